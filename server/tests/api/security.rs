use crate::helpers::{TestApp, PASSWORD};

#[tokio::test]
async fn cross_site_posts_are_refused() {
    let app = TestApp::spawn().await;
    let owner = app.owner().await;
    for origin in [Some("https://evil.example"), None] {
        let mut req = owner
            .http
            .post(format!("{}/actions/members/invite", app.base))
            .form(&[("email", "x@evil.example"), ("role", "owner")]);
        req = match origin {
            Some(o) => req.header("origin", o),
            // reqwest sends our default Origin; replace it with an empty value to simulate none.
            None => req.header("origin", ""),
        };
        let r = req.send().await.expect("send");
        assert_eq!(r.status().as_u16(), 403, "origin {origin:?}");
    }
    assert_eq!(app.count("invitations").await, 0);
    app.stop().await;
}

#[tokio::test]
async fn pages_carry_security_headers_and_a_csp_nonce_that_matches_the_scripts() {
    let app = TestApp::spawn().await;
    let r = app.client().get("/login").await;
    assert_eq!(r.status, 200);
    let h = |n: &str| r.headers.get(n).and_then(|v| v.to_str().ok()).unwrap_or_default().to_string();
    let csp = h("content-security-policy");
    assert!(csp.contains("frame-ancestors 'none'"), "{csp}");
    assert!(csp.contains("'wasm-unsafe-eval'"));
    assert!(!csp.contains("unsafe-inline"));
    assert_eq!(h("x-content-type-options"), "nosniff");
    assert_eq!(h("referrer-policy"), "same-origin");
    assert_eq!(h("cache-control"), "no-store");
    assert!(h("strict-transport-security").is_empty(), "no HSTS on plain http");
    let nonce = csp.split("'nonce-").nth(1).and_then(|s| s.split('\'').next()).expect("nonce");
    let scripts = r.body.matches("<script").count();
    assert!(scripts > 0);
    assert_eq!(
        r.body.matches(&format!("nonce=\"{nonce}\"")).count(),
        scripts,
        "every inline script carries the nonce"
    );
    // Nonces differ per response.
    let r2 = app.client().get("/login").await;
    assert_ne!(r2.headers.get("content-security-policy"), r.headers.get("content-security-policy"));
    app.stop().await;
}

#[tokio::test]
async fn https_deployments_send_hsts_and_secure_cookies() {
    let app = TestApp::spawn().await;
    // Same app, configured as if behind Fly's TLS edge.
    let cfg = baa_backend::config::Config::from_lookup(|k| match k {
        "PUBLIC_URL" => Some("https://baa.acme-health.example".into()),
        "DATABASE_URL" => Some(app.db_url.clone()),
        "DATA_DIR" => Some(app.data_dir.path().display().to_string()),
        _ => None,
    })
    .expect("cfg");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let port = listener.local_addr().expect("a").port();
    let https = server::Application::spawn_on(listener, cfg, baa_backend::clock::Clock::system())
        .await
        .expect("spawn");
    let client = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().expect("c");
    let r = client
        .post(format!("http://127.0.0.1:{port}/actions/login"))
        .header("origin", "https://baa.acme-health.example")
        .form(&[("email", "a@b.example"), ("password", PASSWORD)])
        .send()
        .await
        .expect("send");
    let hsts = r.headers().get("strict-transport-security").and_then(|v| v.to_str().ok()).unwrap_or_default();
    assert!(hsts.contains("max-age="), "{hsts}");
    let cookie = r.headers().get("set-cookie").and_then(|v| v.to_str().ok()).unwrap_or_default().to_string();
    assert!(cookie.starts_with("__Host-baa_session=") && cookie.contains("Secure"), "{cookie}");
    https.shutdown().await.expect("shutdown");
    app.stop().await;
}

#[tokio::test]
async fn errors_never_reveal_internals() {
    let app = TestApp::spawn().await;
    let owner = app.owner().await;
    // A malformed body on an action gets a plain refusal, not a parser dump.
    let r = owner
        .http
        .post(format!("{}/actions/members/invite", app.base))
        .header("content-type", "application/x-www-form-urlencoded")
        .body("email=%ZZ&role=")
        .send()
        .await
        .expect("send");
    let status = r.status().as_u16();
    let body = r.text().await.unwrap_or_default();
    assert!(status == 400 || status == 422 || status == 303, "{status}");
    for leak in ["sqlx", "SELECT", "panicked", "argon2", "/work/"] {
        assert!(!body.contains(leak), "{leak} in {body}");
    }

    // A real internal error: the table every read needs is gone. The page, the REST API and a
    // form all answer without a word of the database's own message.
    let token = crate::api_v1::make_token(&owner, "leak-check", "write:inventory").await;
    sqlx::query("ALTER TABLE records RENAME TO records_gone")
        .execute(&app.backend.db.pool)
        .await
        .expect("rename");
    let page = owner.get("/inventory").await;
    let api = owner
        .http
        .get(format!("{}/api/v1/services", app.base))
        .header("authorization", format!("Bearer {token}"))
        .send()
        .await
        .expect("api");
    let api_status = api.status().as_u16();
    let api_body = api.text().await.unwrap_or_default();
    let form = owner
        .post("/actions/services/save", &[("name", "x"), ("vendor_plan", "tigris|standard"), ("phi", "yes")])
        .await;
    let (_, after_form) = owner.page("/inventory").await;
    assert_eq!(api_status, 500, "{api_body}");
    assert!(api_body.contains("\"internal\""), "{api_body}");
    for (what, body) in
        [("page", &page.body), ("api", &api_body), ("form", &form.body), ("form's page", &after_form.body)]
    {
        for leak in ["sqlx", "SELECT", "records_gone", "no such table", "relation", "panicked", "/work/"] {
            assert!(!body.contains(leak), "{what}: {leak} in {body}");
        }
    }
    sqlx::query("ALTER TABLE records_gone RENAME TO records")
        .execute(&app.backend.db.pool)
        .await
        .expect("rename back");
    app.stop().await;
}

/// Every answer carries a request id (a new one, or the one the proxy sent), so a failure a
/// person reports can be found in the log.
#[tokio::test]
async fn every_answer_carries_a_request_id() {
    let app = TestApp::spawn().await;
    let http = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().expect("c");
    let mut ids = Vec::new();
    for path in ["/healthz", "/login", "/no-such-page", "/reset/secret-token-value"] {
        let r = http.get(format!("{}{path}", app.base)).send().await.expect("send");
        let id = r.headers().get("x-request-id").and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
        assert_eq!(id.len(), 36, "{path}: {id:?}");
        ids.push(id);
    }
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 4, "each request has its own id");
    let r = http
        .get(format!("{}/healthz", app.base))
        .header("x-request-id", "fly-abc123")
        .send()
        .await
        .expect("send");
    assert_eq!(r.headers().get("x-request-id").and_then(|v| v.to_str().ok()), Some("fly-abc123"));
    app.stop().await;
}
