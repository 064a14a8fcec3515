//! `baa-tracker check`, the CI gate, against a running app: exit 1 at or above the threshold,
//! 0 otherwise, 2 on usage or connection errors. And `check --fly-toml`, offline over local
//! fly.toml files: the same codes, 2 for unreadable or invalid files, never a secret value.

use crate::api_v1::{make_token, Api};
use crate::helpers::TestApp;
use crate::import::{acme, as_json, Layout};
use server::check::{CheckArgs, OrgEnvironment, Threshold};
use std::path::{Path, PathBuf};

async fn check(
    server: &str,
    token: &str,
    app: Option<&str>,
    json: bool,
    fail_on: Threshold,
) -> (i32, String, String) {
    let args = CheckArgs {
        server: Some(server.into()),
        token: Some(token.into()),
        app: app.map(str::to_string),
        json,
        fail_on,
        ..CheckArgs::default()
    };
    let (mut out, mut err) = (Vec::new(), Vec::new());
    let code = server::check::run(&args, &mut out, &mut err).await;
    (code, String::from_utf8_lossy(&out).into_owned(), String::from_utf8_lossy(&err).into_owned())
}

#[tokio::test]
async fn check_exit_codes_follow_the_findings_and_the_threshold() {
    let app = TestApp::spawn().await;
    let owner = app.owner().await;
    let write = Api::with_new_token(&app, &owner, "ci-import", "write:inventory").await;
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

fn fly_fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../fixtures/fly/fly-toml").join(name)
}

fn fly_args(paths: &[PathBuf], fail_on: Threshold) -> CheckArgs {
    CheckArgs { fly_toml: paths.to_vec(), fail_on, ..CheckArgs::default() }
}

fn check_files(args: &CheckArgs) -> (i32, String, String) {
    let (mut out, mut err) = (Vec::new(), Vec::new());
    let code = server::check::check_fly_toml(args, &mut out, &mut err);
    (code, String::from_utf8_lossy(&out).into_owned(), String::from_utf8_lossy(&err).into_owned())
}

/// The built binary with an empty environment (plus PATH and what is given).
fn offline_bin(args: &[&str], env: &[(&str, &str)]) -> std::process::Output {
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_baa-tracker"));
    cmd.env_clear().env("PATH", std::env::var("PATH").unwrap_or_default());
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.args(args).output().expect("run")
}

#[test]
fn check_fly_toml_prints_every_check_and_fails_at_the_threshold() {
    let clean = fly_fixture("SebastianGarces__ci_foundation__fly.production.toml");
    let diggai = fly_fixture("DiggAiHH__diggai-anamnese__fly.toml");
    let boluo = fly_fixture("mythal__boluo__apps__db__production__fly.toml");

    // Every check is printed, passed ones too; not verifiable never fails the gate.
    for t in [Threshold::Critical, Threshold::High, Threshold::Medium] {
        let (code, out, _) = check_files(&fly_args(std::slice::from_ref(&clean), t));
        assert_eq!(code, 0, "{t:?}: {out}");
        for rule in [
            "secret-in-config",
            "transport-unencrypted",
            "public-database",
            "backup-missing",
            "environment-mixed",
        ] {
            assert!(out.contains(rule), "{rule}: {out}");
        }
        assert!(out.contains("unknown") && out.contains("PASS"), "{out}");
    }

    // The healthcare app's uploads volume keeps Fly's default 5 days of snapshots: medium.
    let (code, out, _) = check_files(&fly_args(std::slice::from_ref(&diggai), Threshold::Critical));
    assert_eq!(code, 0, "{out}");
    let (code, out, _) = check_files(&fly_args(std::slice::from_ref(&diggai), Threshold::Medium));
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("FAILED   MEDIUM   backup-missing"), "{out}");
    assert!(out.contains("DiggAiHH__diggai-anamnese__fly.toml:56"), "{out}");
    assert!(out.contains("next: Set `snapshot_retention = 7`"), "{out}");
    assert!(out.contains("FAIL: 1 failed checks at or above medium"), "{out}");
    // With --no-phi the backup check is not required; a longer policy does not change that.
    let args = CheckArgs {
        no_phi: true,
        snapshot_retention_days: Some(30),
        ..fly_args(std::slice::from_ref(&diggai), Threshold::Medium)
    };
    let (code, out, _) = check_files(&args);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("no PHI (--no-phi)"), "{out}");

    // A self-run Postgres with raw TCP 5432 public: two high failures, as JSON.
    let args = CheckArgs { json: true, ..fly_args(&[clean.clone(), boluo.clone()], Threshold::High) };
    let (code, out, _) = check_files(&args);
    assert_eq!(code, 1, "{out}");
    let v: serde_json::Value = serde_json::from_str(&out).expect("json");
    assert_eq!(
        (v["failing"].as_u64(), v["passed"].as_bool(), v["fail_on"].as_str()),
        (Some(2), Some(false), Some("high"))
    );
    let failed: Vec<(&str, u64)> = v["results"]
        .as_array()
        .expect("results")
        .iter()
        .filter(|r| r["state"] == "failed")
        .map(|r| (r["rule"].as_str().expect("rule"), r["at"]["line"].as_u64().expect("line")))
        .collect();
    assert_eq!(failed, [("transport-unencrypted", 45), ("public-database", 45)]);
    assert_eq!(v["results"].as_array().expect("r").len(), 10);

    // A folder: its fly.toml and fly.staging.toml name the same app for two environments.
    let dir = tempfile::tempdir().expect("tmp");
    std::fs::write(dir.path().join("fly.toml"), "app = 'acme-api'\n[env]\n  NODE_ENV = 'production'\n")
        .expect("w");
    std::fs::write(dir.path().join("fly.staging.toml"), "app = 'acme-api'\n").expect("w");
    std::fs::write(dir.path().join("Cargo.toml"), "[package]\n").expect("w");
    let (code, out, _) = check_files(&fly_args(&[dir.path().to_path_buf()], Threshold::Medium));
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("also configured by"), "{out}");
    assert!(!out.contains("Cargo.toml"), "only fly.toml and fly.*.toml are read: {out}");

    // The org's environment makes the staging file bound for production fail.
    let staging = fly_fixture("SebastianGarces__ci_foundation__fly.staging.toml");
    let args = CheckArgs {
        org_environment: Some(OrgEnvironment::Production),
        ..fly_args(std::slice::from_ref(&staging), Threshold::Medium)
    };
    let (code, out, _) = check_files(&args);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("lives in a production org"), "{out}");
    let args = CheckArgs {
        org_environment: Some(OrgEnvironment::Staging),
        ..fly_args(&[staging], Threshold::Medium)
    };
    assert_eq!(check_files(&args).0, 0);
}

#[test]
fn check_fly_toml_never_prints_a_secret_value() {
    let secret = "hunter2-never-print-me";
    let dir = tempfile::tempdir().expect("tmp");
    let file = dir.path().join("fly.toml");
    std::fs::write(
        &file,
        format!(
            "app = 'acme-api'\n[env]\n  DB_PASSWORD = '{secret}'\n  DATABASE_URL = 'postgres://app:{secret}@db.internal/app'\n\
             [http_service]\n  internal_port = 8080\n  force_https = true\n"
        ),
    )
    .expect("w");
    for json in [false, true] {
        let (code, out, err) =
            check_files(&CheckArgs { json, ..fly_args(std::slice::from_ref(&file), Threshold::Critical) });
        assert_eq!(code, 1, "{out}{err}");
        assert!(out.contains("DB_PASSWORD") && out.contains("DATABASE_URL"), "{out}");
        assert!(out.contains("fly secrets set"), "{out}");
        assert!(!out.contains(secret) && !err.contains(secret), "the value leaked: {out}{err}");
    }
    let (_, out, _) = check_files(&fly_args(std::slice::from_ref(&file), Threshold::Critical));
    assert!(out.contains("FAILED   CRITICAL secret-in-config") && out.contains("fly.toml:3"), "{out}");

    // Through the binary, with no configuration at all; a broken server configuration in the
    // environment does not matter offline.
    let path = file.to_string_lossy().into_owned();
    let o = offline_bin(
        &["check", "--fly-toml", &path],
        &[("DATABASE_URL", "mysql://x"), ("BAA_SERVER", "not a url")],
    );
    let (stdout, stderr) = (String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr));
    assert_eq!(o.status.code(), Some(1), "{stdout}{stderr}");
    assert!(stdout.contains("secret-in-config"), "{stdout}");
    assert!(!stdout.contains(secret) && !stderr.contains(secret), "the value leaked: {stdout}{stderr}");

    // A malformed line holding a secret: refused on its line, the value not echoed.
    std::fs::write(&file, format!("app = 'acme-api'\n[env]\n  DB_PASSWORD = {secret}\n")).expect("w");
    let o = offline_bin(&["check", "--fly-toml", &path], &[]);
    let (stdout, stderr) = (String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr));
    assert_eq!(o.status.code(), Some(2), "{stdout}{stderr}");
    assert!(stderr.contains("line 3"), "{stderr}");
    assert!(!stdout.contains(secret) && !stderr.contains(secret), "the value leaked: {stdout}{stderr}");
}

#[test]
fn check_fly_toml_refuses_unreadable_and_malformed_files_with_2() {
    let malformed = fly_fixture("commonknowledge__leftbookclub__fly.staging.toml");
    let clean = fly_fixture("SebastianGarces__ci_foundation__fly.production.toml");
    let missing = fly_fixture("no-such-file.toml");
    let empty_dir = tempfile::tempdir().expect("tmp");
    let (code, out, err) = check_files(&fly_args(&[clean.clone(), malformed, missing], Threshold::Critical));
    assert_eq!(code, 2, "{out}{err}");
    assert!(out.is_empty(), "nothing is checked when a file cannot be: {out}");
    assert!(err.contains("leftbookclub__fly.staging.toml line 8: not a valid fly.toml"), "{err}");
    assert!(err.contains("no-such-file.toml"), "every problem is named: {err}");
    let (code, _, err) = check_files(&fly_args(&[empty_dir.path().to_path_buf()], Threshold::Critical));
    assert_eq!(code, 2);
    assert!(err.contains("holds no fly.toml"), "{err}");

    // Usage errors from clap are 2 as well.
    let clean = clean.to_string_lossy().into_owned();
    for args in [
        vec!["check", "--fly-toml"],
        vec!["check", "--no-phi"],
        vec!["check", "--fly-toml", &clean, "--app", "acme-api"],
        vec!["check", "--fly-toml", &clean, "--org-environment", "qa"],
        vec!["check", "--fly-toml", &clean, "--snapshot-retention-days", "0"],
    ] {
        let o = offline_bin(&args, &[]);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {}", String::from_utf8_lossy(&o.stderr));
    }
    let o = offline_bin(&["check", "--fly-toml", &clean, "--fail-on", "medium", "--json"], &[]);
    assert_eq!(o.status.code(), Some(0), "{}", String::from_utf8_lossy(&o.stderr));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("json");
    assert_eq!(v["passed"], true);
}
