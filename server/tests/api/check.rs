//! `baa-tracker check`, the CI gate, against a running app: exit 1 at or above the threshold,
//! 0 otherwise, 2 on usage or connection errors.

use crate::api_v1::{make_token, Api};
use crate::helpers::TestApp;
use crate::import::{acme, as_json, Layout};
use server::check::{CheckArgs, Threshold};

async fn check(
    server: &str,
    token: &str,
    app: Option<&str>,
    json: bool,
    fail_on: Threshold,
) -> (i32, String, String) {
    let args =
        CheckArgs { server: server.into(), token: token.into(), app: app.map(str::to_string), json, fail_on };
    let (mut out, mut err) = (Vec::new(), Vec::new());
    let code = server::check::run(&args, &mut out, &mut err).await;
    (code, String::from_utf8_lossy(&out).into_owned(), String::from_utf8_lossy(&err).into_owned())
}

#[tokio::test]
async fn check_exit_codes_follow_the_findings_and_the_threshold() {
    let app = TestApp::spawn().await;
    let owner = app.owner().await;
    let write = Api::new(&app, Some(&make_token(&owner, "ci-import", "write:inventory").await));
    let read = make_token(&owner, "ci-gate", "read").await;

    // An empty workspace passes.
    let (code, out, _) = check(&app.base, &read, None, false, Threshold::Critical).await;
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("PASS"));

    assert_eq!(write.post("/imports", as_json(&acme(Layout::Json))).await.status, 200);
    // The workspace now has critical findings.
    let (code, out, _) = check(&app.base, &read, None, false, Threshold::Critical).await;
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("CRITICAL") && out.contains("uncovered-service") && out.contains("next:"), "{out}");
    assert!(out.contains("FAIL"));

    // Every app runs on Fly Machines, which need the Fly.io BAA: priya-playground fails until
    // its Machines are recorded as handling no PHI; then it passes at every threshold.
    let (code, out, _) = check(&app.base, &read, Some("priya-playground"), false, Threshold::Critical).await;
    assert_eq!(code, 1, "{out}");
    let id = "fly:fly:machines:priya-playground";
    let mut body = write.get(&format!("/services/{id}")).await.body;
    body["phi"] = "no".into();
    body["phi_basis"] = "not-handled-by-design".into();
    assert_eq!(write.put(&format!("/services/{id}"), body).await.status, 200);
    for t in [Threshold::Critical, Threshold::High, Threshold::Medium] {
        let (code, out, _) = check(&app.base, &read, Some("priya-playground"), false, t).await;
        assert_eq!(code, 0, "{t:?}: {out}");
    }
    // An app whose findings are all below the threshold passes; at a lower threshold it fails.
    // acme-api-staging: critical (uncovered), medium (environment-mixed): medium fails, and so
    // does critical; a world with only medium findings is made below.
    let (code, out, _) = check(&app.base, &read, Some("acme-api-staging"), true, Threshold::Medium).await;
    assert_eq!(code, 1);
    let v: serde_json::Value = serde_json::from_str(&out).expect("json output");
    assert_eq!(v["app"], "acme-api-staging");
    assert_eq!(v["passed"], false);
    assert!(v["findings"].as_array().expect("f").iter().any(|f| f["rule"] == "environment-mixed"));

    // Say every service of acme-web handles no PHI: only findings below critical are left.
    let services = write.get("/services").await.body;
    for s in services["services"]
        .as_array()
        .expect("s")
        .iter()
        .filter(|s| s["apps"].as_array().is_some_and(|a| a.iter().any(|x| x == "acme-web")))
    {
        let mut body = s.clone();
        body["phi"] = "no".into();
        body["phi_reason"] = "only public marketing pages".into();
        let id = s["id"].as_str().expect("id");
        let r = write.put(&format!("/services/{id}"), body).await;
        assert_eq!(r.status, 200, "{:?}", r.body);
    }
    // acme-web's org is on a plan without a BAA: platform-plan-ineligible (critical) remains.
    let (code, out, _) = check(&app.base, &read, Some("acme-web"), false, Threshold::Critical).await;
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("platform-plan-ineligible"), "{out}");
    // Record the Compliance Package on the production org: acme-web is clean.
    let r = write
        .put("/orgs/acme-health-production", serde_json::json!({"name": "Acme Health Production", "plan": "pay-as-you-go", "packages": ["compliance-package"]}))
        .await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    let (code, out, _) = check(&app.base, &read, Some("acme-web"), false, Threshold::Medium).await;
    assert_eq!(code, 0, "{out}");

    // Usage and connection errors: 2.
    let (code, _, err) = check(&app.base, "baa_wrong", None, false, Threshold::Critical).await;
    assert_eq!(code, 2);
    assert!(err.contains("401"), "{err}");
    let (code, _, err) = check(&app.base, &read, Some("no-such-app"), false, Threshold::Critical).await;
    assert_eq!(code, 2);
    assert!(err.contains("404"), "{err}");
    let (code, _, _) = check("not a url", &read, None, false, Threshold::Critical).await;
    assert_eq!(code, 2);
    let closed = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        format!("http://{}", l.local_addr().expect("addr"))
    };
    let (code, _, err) = check(&closed, &read, None, false, Threshold::Critical).await;
    assert_eq!(code, 2);
    assert!(err.contains("cannot reach"), "{err}");

    // Once through the built binary: the same codes, the token from the environment.
    // (on the blocking pool, so the app on this test's runtime keeps answering meanwhile)
    let bin = |args: &[&str], token: &str| {
        let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_baa-tracker"));
        cmd.env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("BAA_TOKEN", token)
            .args(args);
        async move { tokio::task::spawn_blocking(move || cmd.output()).await.expect("join") }
    };
    let out = bin(&["check", "--server", &app.base], &read).await.expect("run");
    assert_eq!(out.status.code(), Some(1), "{}", String::from_utf8_lossy(&out.stderr));
    let out = bin(&["check", "--server", &app.base, "--app", "acme-web", "--fail-on", "medium"], &read)
        .await
        .expect("run");
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stdout));
    let out = bin(&["check", "--server", &app.base, "--fail-on", "low"], &read).await.expect("run");
    assert_eq!(out.status.code(), Some(2), "usage error");
    let out = bin(&["check", "--app", "x"], "").await.expect("run");
    assert_eq!(out.status.code(), Some(2), "missing --server");
    app.stop().await;
}
