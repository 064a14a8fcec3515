//! The role matrix, generated: every route the server registers and every page of the app,
//! tried by nobody and by each role, so a route added tomorrow is checked without anyone
//! remembering to list it here.
//!
//! Where the routes come from: the pages from the app's own route list
//! (`server::route_list`, what the server mounts), and every `.route("...", ...)`
//! of the server's source (forms, downloads, the REST API under `/api/v1`, and the five routes
//! of each collection `api/named.rs` builds from its `PATH`), read from the files the router is
//! built from. A floor on the count catches a parser that stops finding them.
//!
//! What must hold, whatever the route:
//! - nobody signed in gets past the access layer on a path that is not public: pages and forms
//!   send them to `/login`, the REST API answers 401;
//! - an auditor changes nothing: every form action answers 403 except the few that are the
//!   auditor's own (their account, their notifications, sign-in and -out, the audit export,
//!   evidence packets), and the workspace's audit chain (which every change appends to) has not
//!   moved after all of them;
//! - legal and engineers are refused (403) every form action whose permission their role lacks;
//! - no route answers a server error to anyone, with whatever the request lacks.

use crate::helpers::{Client, TestApp};
use baa_core::account::{Permission, Role};
use std::collections::BTreeSet;

/// Form actions an auditor may use: their own account and session, their own notifications,
/// the audit export (recorded), evidence packets (read-only documents of the workspace), and
/// starting or switching to a workspace (gated by its own setting).
const AUDITOR_MAY: &[&str] = &[
    "/actions/account/",
    "/actions/login",
    "/actions/logout",
    "/actions/setup",
    "/actions/forgot",
    "/actions/reset",
    "/actions/invite/accept",
    "/actions/notifications/read",
    "/actions/notifications/preferences",
    "/actions/audit/export",
    "/actions/packets/",
    "/actions/workspace/switch",
    "/actions/workspaces/create",
];

/// The permission each family of form actions needs.
const NEEDS: &[(&str, Permission)] = &[
    ("/actions/orgs/", Permission::EditInventory),
    ("/actions/apps/", Permission::EditInventory),
    ("/actions/services/", Permission::EditInventory),
    ("/actions/import/", Permission::EditInventory),
    ("/actions/agreements/", Permission::EditAgreements),
    ("/actions/parties/", Permission::EditAgreements),
    // A vendor's facts as this workspace knows them (contact, subcontractors) are agreement
    // records; the catalog entry itself is the catalog.
    ("/actions/vendors/facts", Permission::EditAgreements),
    ("/actions/vendors/", Permission::EditCatalog),
    ("/actions/members/", Permission::ManageMembers),
    ("/actions/invitations/", Permission::ManageMembers),
    ("/actions/settings", Permission::ManageSettings),
    ("/actions/policy", Permission::ManageSettings),
    ("/actions/trust/", Permission::ManageSettings),
    ("/actions/tokens/", Permission::ManageSettings),
    // A sync is an inventory import; connecting an org (its token) is a setting.
    ("/actions/integrations/sync", Permission::EditInventory),
    ("/actions/integrations/", Permission::ManageSettings),
    ("/actions/notifications/webhook", Permission::ManageSettings),
    ("/actions/notifications/retry", Permission::ManageSettings),
];

/// Every (method, path) the server's source registers, path parameters as written (`{id}`).
fn source_routes() -> BTreeSet<(String, String)> {
    let src = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let route =
        regex::Regex::new(r#"\.route\(\s*"([^"]+)"\s*,\s*((?:[a-z_]+\([^()]*\)\s*\.?\s*)+)"#).expect("regex");
    let method = regex::Regex::new(r"\b(get|post|put|delete|patch)\(").expect("regex");
    let named = regex::Regex::new(r#"const PATH: &'static str = "([^"]+)";"#).expect("regex");
    let mut out = BTreeSet::new();
    let mut stack = vec![src.clone()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).expect("read src") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                stack.push(path);
                continue;
            }
            if path.extension().and_then(|e| e.to_str()) != Some("rs") {
                continue;
            }
            let code = std::fs::read_to_string(&path).expect("read file");
            // The REST API's routers are nested under its prefix.
            let prefix = if path.starts_with(src.join("api")) { "/api/v1" } else { "" };
            for c in route.captures_iter(&code) {
                for m in method.captures_iter(&c[2]) {
                    out.insert((m[1].to_uppercase(), format!("{prefix}{}", &c[1])));
                }
            }
            // A collection kept by name (`api/named.rs`) has its five routes under its PATH.
            for c in named.captures_iter(&code) {
                for (m, p) in
                    [("GET", ""), ("POST", ""), ("GET", "/{key}"), ("PUT", "/{key}"), ("DELETE", "/{key}")]
                {
                    out.insert((m.to_string(), format!("{prefix}{}{p}", &c[1])));
                }
            }
        }
    }
    out
}

/// The app's pages, as the server mounts them.
fn page_routes() -> BTreeSet<String> {
    server::route_list().into_iter().map(|r| r.path().to_string()).collect()
}

/// A path with each `{param}` (or `:param`) filled with an id that names nothing.
fn concrete(path: &str) -> String {
    path.split('/')
        .map(|seg| if seg.starts_with('{') || seg.starts_with(':') { "no-such-thing" } else { seg })
        .collect::<Vec<_>>()
        .join("/")
}

fn public(path: &str) -> bool {
    server::access::is_public(path)
}

async fn send(c: &Client, method: &str, path: &str) -> crate::helpers::Resp {
    match method {
        "GET" => c.get(path).await,
        "POST" => c.post(path, &[]).await,
        other => {
            let m = reqwest::Method::from_bytes(other.as_bytes()).expect("method");
            let r = c.http.request(m, format!("{}{path}", c.base)).send().await.expect("send");
            crate::helpers::Resp {
                status: r.status().as_u16(),
                headers: r.headers().clone(),
                body: r.text().await.unwrap_or_default(),
            }
        }
    }
}

#[tokio::test]
async fn every_route_against_nobody_and_every_role() {
    let routes = source_routes();
    let pages = page_routes();
    // Forms, downloads and the REST API: well over 80 routes today; a parser that finds far
    // fewer has stopped reading the router.
    assert!(routes.len() >= 80, "only {} routes found in the server's source: {routes:?}", routes.len());
    assert!(pages.len() >= 20, "only {} pages in the app's route list: {pages:?}", pages.len());
    assert!(routes.contains(&("POST".into(), "/actions/services/save".into())), "{routes:?}");
    assert!(routes.contains(&("GET".into(), "/api/v1/services/{id}".into())), "{routes:?}");
    assert!(routes.contains(&("DELETE".into(), "/api/v1/orgs/{key}".into())), "{routes:?}");

    let app = TestApp::spawn().await;
    let owner = app.owner().await;
    let auditor = app.member(&owner, Role::Auditor, "audit@acme-health.example").await;
    let legal = app.member(&owner, Role::Legal, "legal@acme-health.example").await;
    let engineer = app.member(&owner, Role::Engineer, "eng@acme-health.example").await;
    let anonymous = app.client();

    // Nobody signed in.
    for (method, path) in &routes {
        let at = concrete(path);
        if public(&at) || path == "/api/v1/openapi.json" || path.starts_with("/pkg/") {
            continue;
        }
        let r = send(&anonymous, method, &at).await;
        if path.starts_with("/api/v1/") {
            assert_eq!(r.status, 401, "anonymous {method} {path}: {}", r.body);
        } else {
            assert_eq!(r.status, 303, "anonymous {method} {path}: {}", r.body);
            assert!(r.location().starts_with("/login"), "anonymous {method} {path} -> {}", r.location());
        }
    }
    for page in &pages {
        let at = concrete(page);
        if public(&at) {
            continue;
        }
        let r = anonymous.get(&at).await;
        assert_eq!(r.status, 303, "anonymous GET page {page}");
        assert!(r.location().starts_with("/login"), "anonymous GET page {page} -> {}", r.location());
    }

    // The auditor changes nothing: every form action outside their own answers 403, and the
    // workspace's audit chain has not moved once they are all tried.
    let ws = owner_workspace(&owner).await;
    let before = audit_head(&app, &ws).await;
    let mut refused = 0;
    for (method, path) in routes.iter().filter(|(m, p)| m == "POST" && p.starts_with("/actions/")) {
        if AUDITOR_MAY.iter().any(|p| path.starts_with(p)) {
            continue;
        }
        let r = send(&auditor, method, path).await;
        assert_eq!(r.status, 403, "auditor {method} {path} -> {} {}", r.status, r.location());
        refused += 1;
    }
    assert!(refused >= 30, "only {refused} form actions tried as the auditor");
    assert_eq!(audit_head(&app, &ws).await, before, "an auditor's request changed the workspace");

    // Legal and engineers are refused every form action that needs a permission their role
    // does not have (the permission each family of actions needs, from `Role::allows`).
    for (role, c) in [(Role::Legal, &legal), (Role::Engineer, &engineer)] {
        let mut refused = 0;
        for (method, path) in routes.iter().filter(|(m, p)| m == "POST" && p.starts_with("/actions/")) {
            let Some(needs) = NEEDS.iter().find(|(p, _)| path.starts_with(p)).map(|(_, n)| *n) else {
                continue;
            };
            if role.allows(needs) {
                continue;
            }
            let r = send(c, method, path).await;
            assert_eq!(
                r.status,
                403,
                "{role} {method} {path} (needs {needs:?}) -> {} {}",
                r.status,
                r.location()
            );
            refused += 1;
        }
        assert!(refused >= 10, "only {refused} form actions tried as {role}");
    }
    assert_eq!(audit_head(&app, &ws).await, before, "a refused request changed the workspace");

    // No route answers a server error to anyone, whatever the request lacks. The two routes
    // that end a session go last, per client, so every other route and page is tried signed in.
    let signs_out = |p: &str| p == "/actions/logout" || p == "/actions/account/signout-everywhere";
    let (last, first): (Vec<_>, Vec<_>) = routes.iter().partition(|(_, p)| signs_out(p));
    for c in [&owner, &legal, &engineer, &auditor, &anonymous] {
        for (method, path) in &first {
            let r = send(c, method, &concrete(path)).await;
            assert!(r.status < 500, "{method} {path} -> {}: {}", r.status, r.body);
        }
        for page in &pages {
            let r = c.get(&concrete(page)).await;
            assert!(r.status < 500, "GET page {page} -> {}: {}", r.status, r.body);
        }
        for (method, path) in &last {
            let r = send(c, method, path).await;
            assert!(r.status < 500, "{method} {path} -> {}: {}", r.status, r.body);
        }
    }
    app.stop().await;
}

async fn owner_workspace(owner: &Client) -> String {
    let ctx: serde_json::Value =
        serde_json::from_str(&owner.api("public/page_ctx").await.body).expect("page context");
    ctx["viewer"]["workspace_id"].as_str().expect("workspace id").to_string()
}

async fn audit_head(app: &TestApp, ws: &str) -> i64 {
    use sqlx::Row;
    let row = sqlx::query("SELECT seq FROM audit_heads WHERE workspace_id = $1")
        .bind(ws)
        .fetch_one(&app.backend.db.pool)
        .await
        .expect("audit head");
    row.try_get("seq").expect("seq")
}
