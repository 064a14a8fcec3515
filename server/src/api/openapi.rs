//! The OpenAPI 3.1 document of `/api/v1`, written by hand as JSON so it says exactly what the
//! handlers in [`crate::api`] do. `scripts/test.sh` fuzzes the running app with schemathesis
//! against it (no server errors, responses that match the schemas and documented statuses).

use serde_json::{json, Value};

fn reference(name: &str) -> Value {
    json!({ "$ref": format!("#/components/schemas/{name}") })
}

fn content(schema: Value) -> Value {
    json!({ "application/json": { "schema": schema } })
}

/// Responses every operation may give, plus the success ones.
fn responses(ok: &[(&str, &str, Option<Value>)], errors: &[&str]) -> Value {
    let mut r = serde_json::Map::new();
    for (status, description, schema) in ok {
        let mut one = json!({ "description": description });
        if let Some(s) = schema {
            one["content"] = content(s.clone());
        }
        r.insert((*status).to_string(), one);
    }
    for status in errors.iter().chain(["401", "405"].iter()) {
        r.insert((*status).to_string(), json!({ "$ref": format!("#/components/responses/E{status}") }));
    }
    Value::Object(r)
}

fn path_param(name: &str, description: &str) -> Value {
    json!({ "name": name, "in": "path", "required": true, "description": description, "schema": { "type": "string" } })
}

fn body(schema: &str) -> Value {
    json!({ "required": true, "content": content(reference(schema)) })
}

fn string_list() -> Value {
    json!({ "type": "array", "items": { "type": "string" } })
}

fn period_params() -> Value {
    json!([
        { "name": "from", "in": "query", "required": true, "description": "First day, YYYY-MM-DD", "schema": { "type": "string", "format": "date" } },
        { "name": "to", "in": "query", "required": true, "description": "Last day, YYYY-MM-DD: on or after from, today at the latest, at most 1096 days after from", "schema": { "type": "string", "format": "date" } }
    ])
}

fn nullable(t: &str) -> Value {
    json!({ "type": [t, "null"] })
}

const READ_ERRORS: &[&str] = &["400", "404"];
const WRITE_ERRORS: &[&str] = &["400", "403", "404", "409", "413", "415", "422"];

/// `limit` and `cursor` of every list route.
fn page_params() -> Value {
    json!([
        { "name": "limit", "in": "query", "required": false,
          "description": "Items per page, 1 to 1000 (default 100)",
          "schema": { "type": "integer", "minimum": 1, "maximum": 1000, "default": 100 } },
        { "name": "cursor", "in": "query", "required": false,
          "description": "Opaque: the next_cursor of the page before; omit for the first page",
          "schema": { "type": "string" } }
    ])
}

/// A page of `schema` items under `list_key`, with the cursor of the next page.
fn page_schema(list_key: &str, schema: &str) -> Value {
    json!({
        "type": "object", "required": [list_key, "next_cursor"],
        "properties": {
            list_key: { "type": "array", "items": reference(schema) },
            "next_cursor": { "type": ["string", "null"], "description": "Pass as cursor for the next page; null on the last page" }
        }
    })
}

fn crud(kind: &str, schema: &str, list_key: &str, key: &str, key_doc: &str) -> (Value, Value) {
    let list = page_schema(list_key, schema);
    let collection = json!({
        "get": {
            "operationId": format!("list_{list_key}"), "summary": format!("List {kind}s in force today, a page at a time (ordered by {key})"),
            "tags": [kind], "parameters": page_params(),
            "responses": responses(&[("200", "The list", Some(list))], &["400"]),
        },
        "post": {
            "operationId": format!("create_{kind}"), "summary": format!("Create a {kind} (409 when it exists)"),
            "tags": [kind], "requestBody": body(&format!("{schema}Input")),
            "responses": responses(&[("201", "Created", Some(reference(schema)))], WRITE_ERRORS),
        },
    });
    let item = json!({
        "parameters": [path_param(key, key_doc)],
        "get": {
            "operationId": format!("get_{kind}"), "summary": format!("One {kind}"), "tags": [kind],
            "responses": responses(&[("200", "Found", Some(reference(schema)))], READ_ERRORS),
        },
        "put": {
            "operationId": format!("update_{kind}"), "summary": format!("Change a {kind} (every field; 404 when unknown)"),
            "tags": [kind], "requestBody": body(&format!("{schema}Input")),
            "responses": responses(&[("200", "Changed", Some(reference(schema)))], WRITE_ERRORS),
        },
        "delete": {
            "operationId": format!("delete_{kind}"), "summary": format!("Remove a {kind} from today on (history keeps it)"),
            "tags": [kind], "responses": responses(&[("204", "Removed", None)], WRITE_ERRORS),
        },
    });
    (collection, item)
}

/// The document, with `server` as the base URL.
pub fn document(server: &str) -> Value {
    let (orgs, org) = crud("org", "Org", "orgs", "slug", "Fly org slug");
    let (apps, app) = crud("app", "App", "apps", "name", "Fly app name");
    let (services, service) = crud("service", "Service", "services", "id", "Service id");
    let error_response =
        |description: &str| json!({ "description": description, "content": content(reference("Error")) });
    let import_body = json!({
        "type": "object",
        "properties": {
            "files": {
                "type": "array",
                "description": "Snapshot files (names as scripts/fly-snapshot.sh writes them), each with `content` (text) or `content_base64`.",
                "items": {
                    "type": "object", "required": ["name"],
                    "properties": {
                        "name": { "type": "string", "examples": ["apps-list.json"] },
                        "content": { "type": "string" },
                        "content_base64": { "type": "string", "contentEncoding": "base64" }
                    }
                }
            },
            "zip_base64": { "type": "string", "contentEncoding": "base64", "description": "A ZIP of the snapshot folder" },
            "plan_hash": { "type": "string", "description": "Apply only: the plan_hash of the preview reviewed; refused with 409 when the plan changed since" }
        }
    });
    let plan = json!({
        "type": "object",
        "description": "creates, field-level updates and unchanged records per kind; unmapped notes with file and line; absent records",
        "required": ["orgs", "apps", "services", "unmapped", "absent"],
        "properties": {
            "orgs": { "type": "array", "items": { "type": "object" } },
            "apps": { "type": "array", "items": { "type": "object" } },
            "services": { "type": "array", "items": { "type": "object" } },
            "unmapped": { "type": "array", "items": {
                "type": "object", "required": ["file", "reason"],
                "properties": { "file": { "type": "string" }, "line": nullable("integer"), "reason": { "type": "string" } }
            } },
            "absent": { "type": "array", "items": { "type": "object" } }
        }
    });
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "BAA Tracker API",
            "version": "1",
            "description": "Inventory (Fly orgs, apps, services), agreements, fly CLI imports and the coverage report of one workspace. Authenticate with `Authorization: Bearer baa_...` (owners make tokens on the API tokens page; scope `read` or `write:inventory`). Errors are JSON `{\"error\": {\"code\", \"message\"}}`."
        },
        "servers": [{ "url": format!("{}api/v1", if server.ends_with('/') { server.to_string() } else { format!("{server}/") }) }],
        "security": [{ "bearer": [] }],
        "paths": {
            "/orgs": orgs, "/orgs/{slug}": org,
            "/apps": apps, "/apps/{name}": app,
            "/services": services, "/services/{id}": service,
            "/agreements": { "get": {
                "operationId": "list_agreements", "summary": "Agreements (latest version of each), a page at a time (ordered by id)", "tags": ["agreement"],
                "parameters": page_params(),
                "responses": responses(&[("200", "The list", Some(page_schema("agreements", "Agreement")))], &["400"]),
            } },
            "/agreements/{id}": {
                "parameters": [path_param("id", "Agreement id")],
                "get": {
                    "operationId": "get_agreement", "summary": "One agreement", "tags": ["agreement"],
                    "responses": responses(&[("200", "Found", Some(reference("Agreement")))], READ_ERRORS),
                }
            },
            "/imports/preview": { "post": {
                "operationId": "preview_import", "summary": "What importing a fly snapshot would change (nothing is written)",
                "tags": ["import"], "requestBody": { "required": true, "content": content(import_body.clone()) },
                "responses": responses(&[("200", "The plan", Some(reference("ImportPreview")))], WRITE_ERRORS),
            } },
            "/imports": { "post": {
                "operationId": "apply_import", "summary": "Import a fly snapshot: every create and update in one transaction, or nothing",
                "tags": ["import"], "requestBody": { "required": true, "content": content(import_body) },
                "responses": responses(&[("200", "Applied", Some(reference("ImportResult")))], WRITE_ERRORS),
            } },
            "/integrations": { "get": {
                "operationId": "list_integrations", "summary": "Fly.io orgs connected to the workspace: state, last good sync, last plan (never the token)",
                "tags": ["integration"],
                "responses": responses(&[("200", "The list", Some(json!({
                    "type": "object", "required": ["integrations"],
                    "properties": { "integrations": { "type": "array", "items": reference("Integration") } }
                })))], &["400"]),
            } },
            "/integrations/{id}/sync": {
                "parameters": [path_param("id", "Integration id")],
                "post": {
                    "operationId": "sync_integration", "summary": "Sync one Fly.io org now: discovery, plan, and one transaction (or nothing, with the state saying why)",
                    "tags": ["integration"],
                    "responses": responses(&[("200", "The sync ran", Some(json!({
                        "type": "object", "required": ["outcome", "integration"],
                        "properties": {
                            "outcome": { "type": "string", "enum": ["applied", "failed"], "description": "failed: nothing was written; the integration's state and error say why" },
                            "integration": reference("Integration")
                        }
                    })))], &["400", "403", "404", "409"]),
                }
            },
            "/coverage": { "get": {
                "operationId": "coverage", "summary": "Coverage report: verdicts, chains and findings (rule ids of the domain reference)",
                "tags": ["coverage"],
                "parameters": [
                    { "name": "as_of", "in": "query", "required": false, "description": "YYYY-MM-DD (default today)", "schema": { "type": "string", "format": "date" } },
                    { "name": "app", "in": "query", "required": false, "description": "Only this app: its services, the app, its org and the agreements its chains rely on", "schema": { "type": "string" } }
                ],
                "responses": responses(&[("200", "The report", Some(reference("Coverage")))], &["400", "404", "422"]),
            } },
            "/coverage/period": { "get": {
                "operationId": "coveragePeriod",
                "summary": "Coverage over a period: per service the days covered and the spans not covered with their reasons, each day as recorded by its end; agreements in force; corrections recorded later",
                "tags": ["coverage"],
                "parameters": period_params(),
                "responses": responses(&[("200", "The period", Some(reference("CoveragePeriod")))], &["400", "422"]),
            } },
            "/coverage/diff": { "get": {
                "operationId": "coverageDiff",
                "summary": "What changed between two days: services, agreements and verdicts added, removed or changed, and who recorded each change",
                "tags": ["coverage"],
                "parameters": period_params(),
                "responses": responses(&[("200", "The difference", Some(reference("CoverageDiff")))], &["400", "422"]),
            } },
        },
        "components": {
            "securitySchemes": { "bearer": { "type": "http", "scheme": "bearer", "description": "baa_... API token" } },
            "responses": {
                "E400": error_response("Malformed request (syntax)"),
                "E401": error_response("No token, or an unknown or revoked one"),
                "E403": error_response("The token's scope does not allow this"),
                "E404": error_response("Not found in this workspace"),
                "E405": error_response("Method not allowed"),
                "E409": error_response("Conflicts with what exists (or the import plan changed since the preview)"),
                "E413": error_response("Body too large"),
                "E415": error_response("Send application/json"),
                "E422": error_response("Invalid input: the field and what to do, or every error of a malformed snapshot with file and line"),
            },
            "schemas": {
                "Error": {
                    "type": "object", "required": ["error"],
                    "properties": { "error": {
                        "type": "object", "required": ["code", "message"],
                        "properties": {
                            "code": { "type": "string", "examples": ["not_found", "invalid", "invalid_snapshot", "insufficient_scope"] },
                            "message": { "type": "string" },
                            "field": { "type": "string" },
                            "details": { "type": "array", "items": {
                                "type": "object", "required": ["file", "message"],
                                "properties": { "file": { "type": "string" }, "line": nullable("integer"), "message": { "type": "string" } }
                            } }
                        }
                    } }
                },
                "Environment": { "type": "string", "enum": ["production", "staging", "development"] },
                "Org": {
                    "type": "object", "required": ["slug", "name", "environment", "plan", "packages"],
                    "properties": {
                        "slug": { "type": "string" }, "name": { "type": "string" },
                        "environment": reference("Environment"), "plan": { "type": "string" },
                        "packages": string_list(),
                        "allowed_regions": { "type": ["array", "null"], "items": { "type": "string" } }
                    }
                },
                "OrgInput": {
                    "type": "object", "required": ["plan"],
                    "properties": {
                        "slug": { "type": "string", "description": "Required to create; ignored on update (the path names the org)" },
                        "name": { "type": "string" },
                        "environment": { "type": "string", "description": "production (default), staging or development" },
                        "plan": { "type": "string", "description": "Fly.io plan slug of the catalog, such as pay-as-you-go or scale" },
                        "packages": string_list(), "allowed_regions": string_list(),
                        "effective_on": { "type": "string", "description": "YYYY-MM-DD (default today)" }
                    }
                },
                "App": {
                    "type": "object", "required": ["name", "org", "regions"],
                    "properties": {
                        "name": { "type": "string" }, "org": { "type": "string" }, "regions": string_list(),
                        "environment": { "oneOf": [reference("Environment"), { "type": "null" }] }
                    }
                },
                "AppInput": {
                    "type": "object", "required": ["org"],
                    "properties": {
                        "name": { "type": "string", "description": "Required to create; ignored on update" },
                        "org": { "type": "string" }, "regions": string_list(),
                        "environment": { "type": "string", "description": "empty: guessed from the name" },
                        "effective_on": { "type": "string" }
                    }
                },
                "Service": {
                    "type": "object",
                    "required": ["id", "name", "vendor", "product", "plan", "add_ons", "apps", "regions", "org", "phi", "phi_reason", "created_on", "removed_on"],
                    "properties": {
                        "id": { "type": "string" }, "name": { "type": "string" }, "vendor": { "type": "string" },
                        "product": { "type": "string" }, "plan": { "type": "string" },
                        "add_ons": string_list(), "apps": string_list(), "regions": string_list(),
                        "org": nullable("string"),
                        "phi": { "type": "string", "enum": ["yes", "no", "unknown"] },
                        "phi_reason": nullable("string"),
                        "created_on": { "type": "string", "format": "date" },
                        "removed_on": { "type": ["string", "null"], "format": "date" }
                    }
                },
                "ServiceInput": {
                    "type": "object", "required": ["name", "vendor", "plan"],
                    "properties": {
                        "name": { "type": "string" }, "vendor": { "type": "string", "description": "catalog vendor slug" },
                        "product": { "type": "string" }, "plan": { "type": "string" },
                        "add_ons": string_list(), "apps": string_list(), "regions": string_list(),
                        "org": { "type": "string", "description": "org slug when provisioned through Fly; empty or absent for direct" },
                        "phi": { "type": "string", "description": "yes, no (with phi_reason) or unknown (default)" },
                        "phi_reason": { "type": "string" }, "effective_on": { "type": "string" }
                    }
                },
                "Agreement": {
                    "type": "object", "required": ["id", "title", "parties", "kind", "history", "scope"],
                    "properties": {
                        "id": { "type": "string" }, "title": { "type": "string" },
                        "parties": string_list(),
                        "kind": { "type": "string", "enum": ["baa", "subcontractor-baa", "platform-agreement"] },
                        "extends_to": string_list(),
                        "status": nullable("string"),
                        "history": { "type": "array", "items": { "type": "object" } },
                        "effective": nullable("string"), "expiry": nullable("string"),
                        "scope": { "type": "object" }, "clauses": string_list(),
                        "has_executed_document": { "type": "boolean" }, "auto_renews": { "type": "boolean" },
                        "notice_days": nullable("integer"), "supersedes": nullable("string")
                    }
                },
                "ImportPreview": {
                    "type": "object", "required": ["snapshot_hash", "plan_hash", "creates", "updates", "plan"],
                    "properties": {
                        "snapshot_hash": { "type": "string" }, "plan_hash": { "type": "string" },
                        "creates": { "type": "integer" }, "updates": { "type": "integer" }, "plan": plan.clone()
                    }
                },
                "Integration": {
                    "type": "object",
                    "required": ["id", "org", "state", "consecutive_failures", "next_attempt_at", "not_seen", "token_set_at", "created_by"],
                    "properties": {
                        "id": { "type": "string" }, "org": { "type": "string", "description": "Fly org slug" },
                        "state": { "type": "string", "enum": ["new", "ok", "token-refused", "failing"] },
                        "error_class": { "type": ["string", "null"], "description": "rate-limited, server-error, timeout, network, malformed, incomplete, graphql, org-not-found, unexpected-status, key, storage" },
                        "error_message": { "type": ["string", "null"] },
                        "last_run_at": { "type": ["integer", "null"], "description": "unix seconds" },
                        "last_good_at": { "type": ["integer", "null"], "description": "unix seconds of the last sync that applied" },
                        "consecutive_failures": { "type": "integer" },
                        "next_attempt_at": { "type": "integer" },
                        "last_plan": { "type": ["object", "null"] },
                        "not_seen": { "type": "array", "items": { "type": "object" } },
                        "token_set_at": { "type": "integer" },
                        "created_by": { "type": "string" }
                    }
                },
                "ImportResult": {
                    "type": "object", "required": ["snapshot_hash", "plan_hash", "created", "updated", "changed_services", "plan"],
                    "properties": {
                        "snapshot_hash": { "type": "string" }, "plan_hash": { "type": "string" },
                        "created": { "type": "integer" }, "updated": { "type": "integer" },
                        "changed_services": string_list(), "plan": plan
                    }
                },
                "Finding": {
                    "type": "object", "required": ["rule", "severity", "subject", "explanation", "next_step"],
                    "properties": {
                        "rule": { "type": "string", "enum": baa_core::coverage::RuleId::ALL.iter().map(|r| r.as_str()).collect::<Vec<_>>() },
                        "severity": { "type": "string", "enum": ["critical", "high", "medium", "warning", "low"] },
                        "subject": { "type": "object", "required": ["kind", "id", "name"], "properties": {
                            "kind": { "type": "string" }, "id": { "type": "string" }, "name": { "type": "string" }
                        } },
                        "explanation": { "type": "string" }, "next_step": { "type": "string" }
                    }
                },
                "CoveragePeriod": {
                    "type": "object", "required": ["report", "agreements", "corrections", "corrected", "evaluated_days"],
                    "properties": {
                        "report": { "type": "object", "required": ["from", "to", "days", "days_unrecorded", "services", "covered_every_day"],
                            "properties": {
                                "from": { "type": "string", "format": "date" }, "to": { "type": "string", "format": "date" },
                                "days": { "type": "integer" }, "days_unrecorded": { "type": "integer" },
                                "covered_every_day": { "type": "boolean", "description": "true only when every day is recorded and every service was covered on every day it existed" },
                                "services": { "type": "array", "items": reference("ServicePeriod") }
                            } },
                        "agreements": { "type": "array", "items": { "type": "object", "properties": {
                            "id": { "type": "string" }, "title": { "type": "string" }, "counterparty": { "type": "string" },
                            "first_day": { "type": "string", "format": "date" }, "last_day": { "type": "string", "format": "date" }
                        } } },
                        "corrections": { "type": "array", "items": { "type": "object" } },
                        "corrected": { "type": "array", "items": reference("ServicePeriod") },
                        "evaluated_days": { "type": "integer" }
                    }
                },
                "ServicePeriod": {
                    "type": "object", "required": ["service", "name", "spans", "covered_every_day"],
                    "properties": {
                        "service": { "type": "string" }, "name": { "type": "string" }, "phi": { "type": "boolean" },
                        "days_present": { "type": "integer" }, "days_covered": { "type": "integer" },
                        "days_no_phi": { "type": "integer" }, "days_uncovered": { "type": "integer" },
                        "covered_every_day": { "type": "boolean" },
                        "spans": { "type": "array", "items": { "type": "object", "required": ["from", "to", "days", "state"], "properties": {
                            "from": { "type": "string", "format": "date" }, "to": { "type": "string", "format": "date" },
                            "days": { "type": "integer" },
                            "state": { "type": "string", "enum": ["covered", "no-phi", "uncovered", "absent", "unrecorded"] },
                            "chain": string_list(), "reason": { "type": "string" }, "why": { "type": "string" }
                        } } }
                    }
                },
                "CoverageDiff": {
                    "type": "object", "required": ["from", "to", "services", "agreements", "verdicts", "changes"],
                    "properties": {
                        "from": { "type": "string", "format": "date" }, "to": { "type": "string", "format": "date" },
                        "services": { "type": "array", "items": reference("ItemChange") },
                        "agreements": { "type": "array", "items": reference("ItemChange") },
                        "verdicts": { "type": "array", "items": { "type": "object", "properties": {
                            "service": { "type": "string" }, "name": { "type": "string" }, "before": { "type": "string" }, "after": { "type": "string" }
                        } } },
                        "changes": { "type": "array", "items": { "type": "object", "properties": {
                            "recorded_at": { "type": "string" }, "actor": { "type": "string" }, "kind": { "type": "string" },
                            "subject_id": { "type": "string" }, "subject_name": { "type": "string" }, "action": { "type": "string" },
                            "effective_on": nullable("string"), "reason": nullable("string")
                        } } }
                    }
                },
                "ItemChange": {
                    "type": "object", "required": ["id", "name", "change", "fields"],
                    "properties": {
                        "id": { "type": "string" }, "name": { "type": "string" },
                        "change": { "type": "string", "enum": ["added", "removed", "changed"] },
                        "fields": string_list()
                    }
                },
                "Coverage": {
                    "type": "object", "required": ["as_of", "app", "summary", "services", "findings"],
                    "properties": {
                        "as_of": { "type": "string", "format": "date" },
                        "app": nullable("string"),
                        "summary": { "type": "object" },
                        "services": { "type": "array", "items": {
                            "type": "object", "required": ["id", "name", "phi", "verdict", "covered", "chain"],
                            "properties": {
                                "id": { "type": "string" }, "name": { "type": "string" },
                                "phi": { "type": "boolean" },
                                "verdict": { "type": "string", "enum": ["covered", "covered-no-phi", "uncovered"] },
                                "covered": { "type": "boolean" },
                                "chain": { "type": "array", "items": { "type": "object", "properties": {
                                    "id": { "type": "string" }, "title": { "type": "string" }
                                } } },
                                "why": nullable("string")
                            }
                        } },
                        "findings": { "type": "array", "items": reference("Finding") }
                    }
                }
            }
        }
    })
}
