//! The REST API: every endpoint, its auth (no token, wrong scope, revoked, other workspace),
//! JSON errors that are 4xx for bad input, and the audit trail under the token's name.

use crate::helpers::{Client, TestApp};
use serde_json::{json, Value};

/// A token client: no cookies, no Origin, just the bearer token.
pub struct Api {
    pub base: String,
    pub token: Option<String>,
    http: reqwest::Client,
}

pub struct JsonResp {
    pub status: u16,
    pub body: Value,
}

impl Api {
    pub fn new(app: &TestApp, token: Option<&str>) -> Api {
        Api {
            base: app.base.clone(),
            token: token.map(str::to_string),
            http: reqwest::Client::builder()
                .timeout(std::time::Duration::from_secs(60))
                .build()
                .expect("client"),
        }
    }

    pub async fn send(&self, method: &str, path: &str, body: Option<Value>) -> JsonResp {
        let url = format!("{}/api/v1{path}", self.base);
        let mut req = self.http.request(method.parse().expect("method"), url);
        if let Some(t) = &self.token {
            req = req.bearer_auth(t);
        }
        if let Some(b) = body {
            req = req.json(&b);
        }
        let r = req.send().await.expect("send");
        let status = r.status().as_u16();
        let text = r.text().await.unwrap_or_default();
        JsonResp { status, body: serde_json::from_str(&text).unwrap_or(Value::String(text)) }
    }

    /// A client with a new token `name` of `scope`, made by `owner` on the tokens page.
    pub async fn with_new_token(app: &TestApp, owner: &Client, name: &str, scope: &str) -> Api {
        Api::new(app, Some(&make_token(owner, name, scope).await))
    }

    pub async fn get(&self, path: &str) -> JsonResp {
        self.send("GET", path, None).await
    }
    pub async fn post(&self, path: &str, body: Value) -> JsonResp {
        self.send("POST", path, Some(body)).await
    }
    pub async fn put(&self, path: &str, body: Value) -> JsonResp {
        self.send("PUT", path, Some(body)).await
    }
    pub async fn delete(&self, path: &str) -> JsonResp {
        self.send("DELETE", path, None).await
    }
}

/// An owner makes a token on the tokens page; the page shows it once.
pub async fn make_token(owner: &Client, name: &str, scope: &str) -> String {
    let r = owner.post("/actions/tokens/create", &[("name", name), ("scope", scope)]).await;
    assert_eq!(r.status, 303, "{}", r.body);
    assert_eq!(r.location(), "/tokens");
    let page: Value = serde_json::from_str(&owner.api("tokens_page").await.body).expect("json");
    let token = page["new_token"].as_str().expect("token shown once").to_string();
    assert!(token.starts_with("baa_"));
    // Shown once: the next view no longer has it.
    let again: Value = serde_json::from_str(&owner.api("tokens_page").await.body).expect("json");
    assert!(again["new_token"].is_null());
    token
}

fn code(r: &JsonResp) -> &str {
    r.body["error"]["code"].as_str().unwrap_or("")
}

/// Every route with a body that passes validation where one is needed.
fn routes() -> Vec<(&'static str, &'static str, Option<Value>)> {
    vec![
        ("GET", "/orgs", None),
        ("POST", "/orgs", Some(json!({"slug": "x", "plan": "scale"}))),
        ("GET", "/orgs/x", None),
        ("PUT", "/orgs/x", Some(json!({"plan": "scale"}))),
        ("DELETE", "/orgs/x", None),
        ("GET", "/apps", None),
        ("POST", "/apps", Some(json!({"name": "x", "org": "x"}))),
        ("GET", "/apps/x", None),
        ("PUT", "/apps/x", Some(json!({"org": "x"}))),
        ("DELETE", "/apps/x", None),
        ("GET", "/services", None),
        ("POST", "/services", Some(json!({"name": "x", "vendor": "sentry", "plan": "team"}))),
        ("GET", "/services/x", None),
        ("PUT", "/services/x", Some(json!({"name": "x", "vendor": "sentry", "plan": "team"}))),
        ("DELETE", "/services/x", None),
        ("GET", "/agreements", None),
        ("GET", "/agreements/x", None),
        ("POST", "/imports/preview", Some(json!({"files": []}))),
        ("POST", "/imports", Some(json!({"files": []}))),
        ("GET", "/coverage", None),
    ]
}

#[tokio::test]
async fn the_openapi_document_is_public_and_names_every_route() {
    let app = TestApp::spawn().await;
    let r = Api::new(&app, None).get("/openapi.json").await;
    assert_eq!(r.status, 200);
    assert_eq!(r.body["openapi"], "3.1.0");
    let paths = r.body["paths"].as_object().expect("paths");
    for (method, path, _) in routes() {
        let templated = path
            .replace("/orgs/x", "/orgs/{slug}")
            .replace("/apps/x", "/apps/{name}")
            .replace("/services/x", "/services/{id}")
            .replace("/agreements/x", "/agreements/{id}");
        assert!(paths[&templated][method.to_lowercase()].is_object(), "{method} {templated}");
    }
    app.stop().await;
}

#[tokio::test]
async fn without_a_valid_token_every_route_answers_401_json() {
    let app = TestApp::spawn().await;
    let owner = app.owner().await;
    let token = make_token(&owner, "ci-deploy", "write:inventory").await;
    let revoked = make_token(&owner, "old", "write:inventory").await;
    let page: Value = serde_json::from_str(&owner.api("tokens_page").await.body).expect("json");
    let old_id = page["tokens"].as_array().expect("tokens").iter().find(|t| t["name"] == "old").expect("old")
        ["id"]
        .as_str()
        .expect("id")
        .to_string();
    assert_eq!(owner.post("/actions/tokens/revoke", &[("id", &old_id)]).await.location(), "/tokens");
    for t in [None, Some("baa_not-a-real-token"), Some("not even the format"), Some(revoked.as_str())] {
        let api = Api::new(&app, t);
        for (method, path, body) in routes() {
            let r = api.send(method, path, body).await;
            assert_eq!(r.status, 401, "{t:?} {method} {path}: {:?}", r.body);
            assert_eq!(code(&r), "unauthenticated", "{method} {path}");
        }
    }
    // The session cookie is not a credential for the API (and so no cross-site risk).
    let r = owner.get("/api/v1/orgs").await;
    assert_eq!(r.status, 401);
    // The valid token works, and its last use is shown.
    assert_eq!(Api::new(&app, Some(&token)).get("/orgs").await.status, 200);
    let page: Value = serde_json::from_str(&owner.api("tokens_page").await.body).expect("json");
    let listed = page["tokens"].as_array().expect("tokens");
    let ci = listed.iter().find(|t| t["name"] == "ci-deploy").expect("ci");
    assert!(ci["last_used_at"].is_string(), "{ci}");
    let old = listed.iter().find(|t| t["name"] == "old").expect("old");
    assert!(old["revoked_at"].is_string());
    // Only the digest is stored.
    let stored: Vec<String> = sqlx::query_scalar::<_, String>("SELECT token_hash FROM api_tokens")
        .fetch_all(&app.backend.db.pool)
        .await
        .expect("rows");
    assert!(stored.iter().all(|h| h.len() == 64 && *h != token));
    app.stop().await;
}

#[tokio::test]
async fn only_owners_manage_tokens() {
    let app = TestApp::spawn().await;
    let owner = app.owner().await;
    let eng = app.member(&owner, baa_core::account::Role::Engineer, "eng@acme-health.example").await;
    let r = eng.post("/actions/tokens/create", &[("name", "mine"), ("scope", "read")]).await;
    assert_eq!(r.status, 403);
    let page: Value = serde_json::from_str(&eng.api("tokens_page").await.body).expect("json");
    assert_eq!(page["can_manage"], false);
    assert_eq!(page["tokens"], json!([]));
    // Names are checked, and one active token per name.
    make_token(&owner, "ci-deploy", "read").await;
    owner.post("/actions/tokens/create", &[("name", "ci-deploy"), ("scope", "read")]).await;
    assert!(owner.flash().await.contains("already has this name"));
    owner.post("/actions/tokens/create", &[("name", "x"), ("scope", "admin")]).await;
    assert!(owner.flash().await.contains("read or write:inventory"));
    app.stop().await;
}

#[tokio::test]
async fn a_read_token_reads_but_cannot_change_anything() {
    let app = TestApp::spawn().await;
    let owner = app.owner().await;
    let read = Api::with_new_token(&app, &owner, "dashboard", "read").await;
    for (method, path, body) in routes() {
        let r = read.send(method, path, body).await;
        if method == "GET" {
            assert!(r.status == 200 || r.status == 404, "{method} {path}: {}", r.status);
        } else {
            assert_eq!(r.status, 403, "{method} {path}: {:?}", r.body);
            assert_eq!(code(&r), "insufficient_scope");
        }
    }
    app.stop().await;
}

#[tokio::test]
async fn a_write_token_manages_orgs_apps_and_services_under_its_own_name() {
    let app = TestApp::spawn().await;
    let owner = app.owner().await;
    let api = Api::with_new_token(&app, &owner, "ci-deploy", "write:inventory").await;

    let r = api
        .post(
            "/orgs",
            json!({"slug": "acme-prod", "name": "Acme Prod", "plan": "scale", "allowed_regions": ["iad"]}),
        )
        .await;
    assert_eq!(r.status, 201, "{:?}", r.body);
    assert_eq!(r.body["slug"], "acme-prod");
    assert_eq!(r.body["allowed_regions"], json!(["iad"]));
    assert_eq!(api.post("/orgs", json!({"slug": "acme-prod", "plan": "scale"})).await.status, 409);
    let r =
        api.put("/orgs/acme-prod", json!({"name": "Acme Production", "plan": "scale", "packages": []})).await;
    assert_eq!((r.status, r.body["name"].as_str()), (200, Some("Acme Production")));
    assert_eq!(api.put("/orgs/nope", json!({"plan": "scale"})).await.status, 404);
    assert_eq!(api.get("/orgs").await.body["orgs"].as_array().map(Vec::len), Some(1));

    let r = api.post("/apps", json!({"name": "acme-api", "org": "acme-prod", "regions": ["iad"]})).await;
    assert_eq!(r.status, 201, "{:?}", r.body);
    assert_eq!(api.post("/apps", json!({"name": "acme-api", "org": "acme-prod"})).await.status, 409);
    let r = api.put("/apps/acme-api", json!({"org": "acme-prod", "regions": ["iad", "ord"]})).await;
    assert_eq!(r.body["regions"], json!(["iad", "ord"]));
    assert_eq!(api.get("/apps/acme-api").await.status, 200);

    let r = api
        .post(
            "/services",
            json!({"name": "acme-errors", "vendor": "sentry", "plan": "team", "apps": ["acme-api"], "org": "acme-prod", "phi": "yes"}),
        )
        .await;
    assert_eq!(r.status, 201, "{:?}", r.body);
    let id = r.body["id"].as_str().expect("id").to_string();
    assert_eq!((r.body["org"].as_str(), r.body["phi"].as_str()), (Some("acme-prod"), Some("yes")));
    let r = api
        .put(
            &format!("/services/{id}"),
            json!({"name": "acme-errors", "vendor": "sentry", "plan": "business", "apps": ["acme-api"], "org": "acme-prod", "phi": "no", "phi_reason": "scrubbed before sending"}),
        )
        .await;
    assert_eq!(
        (r.status, r.body["plan"].as_str(), r.body["phi_reason"].as_str()),
        (200, Some("business"), Some("scrubbed before sending"))
    );
    assert_eq!(api.get(&format!("/services/{id}")).await.body["plan"], "business");

    // Still in use: the org and the app cannot go.
    assert_eq!(api.delete("/orgs/acme-prod").await.status, 409);
    assert_eq!(api.delete("/apps/acme-api").await.status, 409);
    assert_eq!(api.delete(&format!("/services/{id}")).await.status, 204);
    assert_eq!(api.get(&format!("/services/{id}")).await.status, 404);
    assert_eq!(api.delete(&format!("/services/{id}")).await.status, 404);
    assert_eq!(api.delete("/apps/acme-api").await.status, 204);
    assert_eq!(api.delete("/orgs/acme-prod").await.status, 204);
    assert_eq!(api.get("/orgs/acme-prod").await.status, 404);

    // The audit trail and the record history name the token.
    let actors: Vec<String> = sqlx::query_scalar::<_, String>(
        "SELECT actor_name FROM audit_log WHERE action LIKE 'service.%' OR action LIKE 'org.%'",
    )
    .fetch_all(&app.backend.db.pool)
    .await
    .expect("rows");
    assert!(!actors.is_empty());
    assert!(actors.iter().all(|a| a == "token: ci-deploy"), "{actors:?}");
    let recorded: Vec<String> = sqlx::query_scalar::<_, String>("SELECT actor_name FROM records")
        .fetch_all(&app.backend.db.pool)
        .await
        .expect("rows");
    assert!(recorded.iter().all(|a| a == "token: ci-deploy"));
    // The audit page shows it too.
    let audit = owner.audit_page(&[("actor", "token")]).await;
    assert!(audit.to_string().contains("token: ci-deploy"));
    app.stop().await;
}

#[tokio::test]
async fn another_workspace_s_records_are_not_found() {
    let app = TestApp::spawn().await;
    let owner = app.owner().await;
    let ours = Api::with_new_token(&app, &owner, "ours", "write:inventory").await;
    assert_eq!(ours.post("/orgs", json!({"slug": "acme-prod", "plan": "scale"})).await.status, 201);
    // The same owner starts a second workspace and makes a token there.
    let r = owner.post("/actions/workspaces/create", &[("workspace", "Consulting Client")]).await;
    assert_eq!(r.status, 303);
    let theirs = Api::with_new_token(&app, &owner, "theirs", "write:inventory").await;
    assert_eq!(theirs.get("/orgs/acme-prod").await.status, 404);
    assert_eq!(theirs.put("/orgs/acme-prod", json!({"plan": "scale"})).await.status, 404);
    assert_eq!(theirs.delete("/orgs/acme-prod").await.status, 404);
    assert_eq!(theirs.get("/orgs").await.body["orgs"], json!([]));
    // Creating the same slug there is a different record.
    assert_eq!(theirs.post("/orgs", json!({"slug": "acme-prod", "plan": "scale"})).await.status, 201);
    assert_eq!(ours.get("/orgs").await.body["orgs"].as_array().map(Vec::len), Some(1));
    app.stop().await;
}

#[tokio::test]
async fn wrong_input_is_a_4xx_json_error_never_a_500() {
    let app = TestApp::spawn().await;
    let owner = app.owner().await;
    let token = make_token(&owner, "fuzz", "write:inventory").await;
    let api = Api::new(&app, Some(&token));
    let http = reqwest::Client::new();
    let raw = |method: reqwest::Method, path: &str, ct: Option<&str>, body: &str| {
        let mut r = http
            .request(method, format!("{}/api/v1{path}", app.base))
            .bearer_auth(&token)
            .body(body.to_string());
        if let Some(ct) = ct {
            r = r.header("content-type", ct);
        }
        r.send()
    };
    let cases: Vec<(reqwest::Response, u16)> = vec![
        (raw(reqwest::Method::POST, "/orgs", Some("application/json"), "{not json").await.expect("r"), 400),
        (raw(reqwest::Method::POST, "/orgs", None, "{}").await.expect("r"), 415),
        (
            raw(reqwest::Method::POST, "/orgs", Some("application/json"), r#"{"slug": 5}"#).await.expect("r"),
            422,
        ),
        (raw(reqwest::Method::POST, "/orgs", Some("application/json"), "[]").await.expect("r"), 422),
        (raw(reqwest::Method::PATCH, "/orgs", Some("application/json"), "{}").await.expect("r"), 405),
        (raw(reqwest::Method::GET, "/nothing-here", None, "").await.expect("r"), 404),
    ];
    for (r, want) in cases {
        let status = r.status().as_u16();
        let body: Value = r.json().await.expect("json error");
        assert_eq!(status, want, "{body}");
        assert!(body["error"]["code"].is_string() && body["error"]["message"].is_string(), "{body}");
    }
    for (method, path, body, want, field) in [
        ("POST", "/orgs", json!({"plan": "scale"}), 422, "slug"),
        ("POST", "/orgs", json!({"slug": "Not A Slug!", "plan": "scale"}), 422, "slug"),
        ("POST", "/orgs", json!({"slug": "ok", "plan": "no-such-plan"}), 422, "plan"),
        ("POST", "/orgs", json!({"slug": "ok", "plan": "scale", "environment": "moon"}), 422, "environment"),
        (
            "POST",
            "/orgs",
            json!({"slug": "ok", "plan": "scale", "effective_on": "31/12/2026"}),
            422,
            "effective_on",
        ),
        ("POST", "/apps", json!({"name": "a", "org": "missing"}), 422, "org"),
        ("POST", "/services", json!({"name": "s", "vendor": "nobody", "plan": "x"}), 422, "vendor_plan"),
        (
            "POST",
            "/services",
            json!({"name": "s", "vendor": "sentry", "plan": "team", "phi": "no"}),
            422,
            "phi_reason",
        ),
        ("POST", "/services", json!({"name": "", "vendor": "sentry", "plan": "team"}), 422, "name"),
        ("POST", "/imports/preview", json!({"files": []}), 422, "files"),
        ("POST", "/imports/preview", json!({"files": [{"name": "a.json"}]}), 422, "files"),
        ("POST", "/imports/preview", json!({"zip_base64": "%%%"}), 422, "zip_base64"),
        ("POST", "/imports/preview", json!({"zip_base64": "AAAA"}), 422, "files"),
    ] {
        let r = api.send(method, path, Some(body.clone())).await;
        assert_eq!(r.status, want, "{method} {path} {body}: {:?}", r.body);
        assert_eq!(r.body["error"]["field"], field, "{method} {path} {body}: {:?}", r.body);
    }
    let r = api.get("/coverage?as_of=2026-13-40").await;
    assert_eq!((r.status, code(&r)), (422, "invalid"));
    let r = api.get("/coverage?app=no-such-app").await;
    assert_eq!((r.status, code(&r)), (404, "not_found"));
    app.stop().await;
}

#[tokio::test]
async fn coverage_and_agreements_are_readable_with_verdicts_chains_and_rule_ids() {
    let app = TestApp::spawn().await;
    let owner = app.owner().await;
    let api = Api::with_new_token(&app, &owner, "ci", "write:inventory").await;
    api.post("/orgs", json!({"slug": "acme-prod", "plan": "scale"})).await;
    api.post("/apps", json!({"name": "acme-api", "org": "acme-prod", "regions": ["iad"]})).await;
    api.post("/apps", json!({"name": "acme-web", "org": "acme-prod", "regions": ["iad"]})).await;
    for (name, vendor, plan, app_name) in
        [("acme-db", "fly", "scale", "acme-api"), ("acme-errors", "sentry", "team", "acme-web")]
    {
        let r = api
            .post(
                "/services",
                json!({"name": name, "vendor": vendor, "product": if vendor == "fly" { "volumes" } else { "" }, "plan": plan, "apps": [app_name], "org": "acme-prod", "phi": "yes"}),
            )
            .await;
        assert_eq!(r.status, 201, "{:?}", r.body);
    }
    crate::seed::Seed::new(&owner).baa("vendor:fly", "Fly.io BAA").save().await;
    let agreements = api.get("/agreements").await;
    assert_eq!(agreements.status, 200);
    let a = &agreements.body["agreements"][0];
    assert_eq!((a["kind"].as_str(), a["status"].as_str()), (Some("baa"), Some("signed")));
    let id = a["id"].as_str().expect("id");
    assert_eq!(api.get(&format!("/agreements/{id}")).await.body["title"], "Fly.io BAA");
    assert_eq!(api.get("/agreements/nope").await.status, 404);

    let all = api.get("/coverage").await;
    assert_eq!(all.status, 200, "{:?}", all.body);
    let services = all.body["services"].as_array().expect("services");
    let db = services.iter().find(|s| s["name"] == "acme-db").expect("db");
    assert_eq!(db["verdict"], "covered");
    assert_eq!(db["chain"][0]["title"], "Fly.io BAA");
    let errors = services.iter().find(|s| s["name"] == "acme-errors").expect("errors");
    assert_eq!(errors["verdict"], "uncovered");
    let rules: Vec<&str> =
        all.body["findings"].as_array().expect("f").iter().filter_map(|f| f["rule"].as_str()).collect();
    assert!(rules.contains(&"uncovered-service") && rules.contains(&"document-missing"), "{rules:?}");

    // One app: its services, and the agreements its chains rely on.
    let web = api.get("/coverage?app=acme-web").await;
    assert_eq!(web.body["app"], "acme-web");
    // Its Sentry project and its own Fly Machines.
    assert_eq!(web.body["services"].as_array().map(Vec::len), Some(2));
    assert!(
        web.body["findings"].as_array().expect("f").iter().all(|f| {
            let name = f["subject"]["name"].as_str().unwrap_or_default();
            name.ends_with("acme-errors") || name == "Fly.io · acme-web" || f["subject"]["kind"] != "service"
        }),
        "{:?}",
        web.body["findings"]
    );
    let api_app = api.get("/coverage?app=acme-api").await;
    let rules: Vec<&str> =
        api_app.body["findings"].as_array().expect("f").iter().filter_map(|f| f["rule"].as_str()).collect();
    assert!(rules.contains(&"document-missing") && !rules.contains(&"uncovered-service"), "{rules:?}");
    // As of a day before anything existed.
    let past = api.get("/coverage?as_of=2020-01-01").await;
    assert_eq!((past.status, past.body["services"].as_array().map(Vec::len)), (200, Some(0)));
    app.stop().await;
}

#[tokio::test]
async fn lists_come_a_page_at_a_time_with_an_opaque_cursor() {
    let app = TestApp::spawn().await;
    let owner = app.owner().await;
    let api = Api::with_new_token(&app, &owner, "ci", "write:inventory").await;
    for i in 0..7 {
        let r = api
            .post("/services", json!({"name": format!("svc-{i}"), "vendor": "sentry", "plan": "team"}))
            .await;
        assert_eq!(r.status, 201, "{:?}", r.body);
    }
    // The default page holds all seven and says it is the last.
    let all = api.get("/services").await;
    assert_eq!(all.body["services"].as_array().map(Vec::len), Some(7));
    assert!(all.body["next_cursor"].is_null(), "{:?}", all.body);
    // Pages of three: 3 + 3 + 1, each id once, in the same order as the whole list.
    let mut seen: Vec<String> = Vec::new();
    let mut cursor: Option<String> = None;
    let mut pages = 0;
    loop {
        let path = match &cursor {
            Some(c) => format!("/services?limit=3&cursor={c}"),
            None => "/services?limit=3".to_string(),
        };
        let r = api.get(&path).await;
        assert_eq!(r.status, 200, "{:?}", r.body);
        let items = r.body["services"].as_array().expect("services").clone();
        assert!(items.len() <= 3);
        seen.extend(items.iter().map(|s| s["id"].as_str().expect("id").to_string()));
        pages += 1;
        match r.body["next_cursor"].as_str() {
            Some(c) => {
                assert!(!c.contains("svc-") && !seen.iter().any(|id| c.contains(id.as_str())), "opaque: {c}");
                cursor = Some(c.to_string());
            }
            None => break,
        }
    }
    assert_eq!(pages, 3);
    let whole: Vec<String> = all.body["services"]
        .as_array()
        .expect("services")
        .iter()
        .map(|s| s["id"].as_str().expect("id").to_string())
        .collect();
    assert_eq!(seen, whole);
    // Bad limits and forged cursors get a 400 that says which, and the OpenAPI document names both.
    for (path, field) in [
        ("/services?limit=0", "limit"),
        ("/services?limit=1001", "limit"),
        ("/services?limit=ten", "limit"),
        ("/services?cursor=bm90LW91cnM", "cursor"),
        ("/agreements?cursor=not*base64", "cursor"),
    ] {
        let r = api.get(path).await;
        assert_eq!(r.status, 400, "{path}: {:?}", r.body);
        assert!(
            r.body["error"]["message"].as_str().unwrap_or_default().contains(field),
            "{path}: {:?}",
            r.body
        );
    }
    assert_eq!(api.get("/orgs?limit=1000").await.status, 200);
    let doc = api.get("/openapi.json").await.body;
    for list in ["/services", "/orgs", "/apps", "/agreements"] {
        let params: Vec<&str> = doc["paths"][list]["get"]["parameters"]
            .as_array()
            .expect("parameters")
            .iter()
            .filter_map(|p| p["name"].as_str())
            .collect();
        assert_eq!(params, vec!["limit", "cursor"], "{list}");
    }
    app.stop().await;
}
