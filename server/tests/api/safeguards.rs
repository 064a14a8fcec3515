//! Platform safeguards (issue 18) through the real app: a fly.toml imported with the snapshot is
//! checked on the dashboard and service pages, in the `check` gate and in the evidence packet;
//! an owner's exception turns a failure into "passed by exception" with its reason; bad
//! exception input is refused with a field message and changes nothing; and no secret VALUE of a
//! fly.toml is stored in any table, rendered on any page or in the packet, or logged.

use crate::api_v1::{make_token, Api};
use crate::helpers::{Client, TestApp};
use crate::import::{as_json, fixtures_dir};
use crate::packets::pdftotext;
use crate::seed::coverage;
use baa_core::fly_import::SnapshotFile;
use serde_json::Value;
use server::check::{CheckArgs, Threshold};

const SECRET: &str = "hunter2-very-secret";

/// acme-api's fly.toml: the password line is 9, the http_service without force_https at 4.
fn fly_toml() -> String {
    format!(
        "app = \"acme-api\"\nprimary_region = \"iad\"\n\n[http_service]\n  internal_port = 8080\n  force_https = false\n\n[env]\n  DATABASE_PASSWORD = \"{SECRET}\"\n  LOG_LEVEL = \"info\"\n\n[[mounts]]\n  source = \"data\"\n  destination = \"/data\"\n  snapshot_retention = 3\n"
    )
}

fn snapshot() -> Vec<SnapshotFile> {
    let mut files: Vec<SnapshotFile> = ["orgs-list.json", "apps-list.json", "secrets-list--acme-api.json"]
        .iter()
        .map(|n| SnapshotFile::new(*n, std::fs::read(fixtures_dir().join(n)).expect("fixture")))
        .collect();
    files.push(SnapshotFile::new("fly-toml/fly.toml", fly_toml().into_bytes()));
    files
}

async fn import(app: &TestApp, owner: &Client) -> Api {
    let api = Api::with_new_token(app, owner, "ci", "write:inventory").await;
    let r = api.post("/imports", as_json(&snapshot())).await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    api
}

fn result<'a>(cov: &'a Value, rule: &str) -> &'a Value {
    cov["safeguards"]["results"]
        .as_array()
        .expect("results")
        .iter()
        .find(|r| r["app"] == "acme-api" && r["rule"] == rule)
        .unwrap_or_else(|| panic!("no {rule} result for acme-api: {cov}"))
}

async fn gate(app: &TestApp, token: &str, fail_on: Threshold) -> (i32, String) {
    let args = CheckArgs {
        server: Some(app.base.clone()),
        token: Some(token.into()),
        fail_on,
        ..CheckArgs::default()
    };
    let (mut out, mut err) = (Vec::new(), Vec::new());
    let code = server::check::run(&args, &mut out, &mut err).await;
    (code, String::from_utf8_lossy(&out).into_owned() + &String::from_utf8_lossy(&err))
}

#[tokio::test]
async fn imported_fly_toml_is_checked_an_exception_clears_a_failure_and_the_packet_lists_each_check() {
    let app = TestApp::spawn().await;
    let owner = app.owner().await;
    import(&app, &owner).await;
    assert!(app.count("platform_configs").await >= 1, "the facts are stored");

    // Shown: failed with file and line and the next step.
    let cov = coverage(&owner, "").await;
    let secret = result(&cov, "secret-in-config");
    assert_eq!(secret["state"], "failed");
    assert_eq!(secret["at"]["file"], "fly-toml/fly.toml");
    assert_eq!(secret["at"]["line"], 9);
    assert!(secret["next_step"].as_str().unwrap_or_default().contains("fly secrets set"));
    assert_eq!(result(&cov, "transport-unencrypted")["state"], "failed");
    assert_eq!(result(&cov, "backup-missing")["state"], "failed", "3 days is below the default 7");
    let (_, dash) = owner.page("/").await;
    assert!(dash.body.contains("Platform safeguards"), "dashboard section");
    assert!(dash.body.contains("fly-toml/fly.toml line 9"), "file and line on the dashboard");
    assert!(dash.body.contains("Not verifiable from the data"), "PHI apps without a fly.toml say so");

    // The CI gate fails on the critical safeguard like on any finding.
    let read = make_token(&owner, "gate", "read").await;
    let (code, out) = gate(&app, &read, Threshold::Critical).await;
    assert_eq!(code, server::check::FAIL, "{out}");
    assert!(out.contains("secret-in-config"), "{out}");

    // Bad exception input: a field message, nothing changed.
    let records = app.count("records").await;
    for (form, field) in [
        (vec![("rule", "no-such-rule"), ("app", "acme-api"), ("reason", "x")], "rule"),
        (vec![("rule", "transport-unencrypted"), ("app", "not-an-app"), ("reason", "x")], "app"),
        (vec![("rule", "transport-unencrypted"), ("app", "acme-api"), ("reason", "  ")], "reason"),
        (
            vec![
                ("rule", "transport-unencrypted"),
                ("app", "acme-api"),
                ("reason", "x"),
                ("expires_on", "2001-01-01"),
            ],
            "expires_on",
        ),
    ] {
        let r = owner.post("/actions/policy/exceptions/add", &form).await;
        assert_eq!(r.status, 303, "{field}: {}", r.body);
        let page: Value = serde_json::from_str(&owner.api("public/page_ctx").await.body).expect("ctx");
        assert_eq!(page["flash"]["error"], true, "{field}: {page}");
        assert_eq!(page["flash"]["field"], field, "{page}");
    }
    let r = owner
        .post(
            "/actions/policy",
            &[("allowed_regions", ""), ("reminder_windows", "30"), ("snapshot_retention_days", "90")],
        )
        .await;
    assert_eq!(r.status, 303);
    assert!(owner.flash().await.contains("1 to 60"));
    assert_eq!(app.count("records").await, records, "refused input wrote nothing");

    // A non-owner cannot approve.
    let legal = app.member(&owner, baa_core::account::Role::Legal, "legal@acme-health.example").await;
    let r = legal
        .post(
            "/actions/policy/exceptions/add",
            &[("rule", "transport-unencrypted"), ("app", "acme-api"), ("reason", "x")],
        )
        .await;
    assert_eq!(r.status, 403, "{}", r.body);

    // The owner approves one: it passes by exception, with the reason and who approved it.
    let reason = "TLS is terminated by our own load balancer in front of the Fly proxy";
    let r = owner
        .post(
            "/actions/policy/exceptions/add",
            &[("rule", "transport-unencrypted"), ("app", "acme-api"), ("reason", reason)],
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.body);
    assert!(owner.flash().await.contains("approved"));
    let again = owner
        .post(
            "/actions/policy/exceptions/add",
            &[("rule", "transport-unencrypted"), ("app", "acme-api"), ("reason", reason)],
        )
        .await;
    assert_eq!(again.status, 303);
    assert!(owner.flash().await.contains("already has an exception"));
    let cov = coverage(&owner, "").await;
    let transport = result(&cov, "transport-unencrypted");
    assert_eq!(transport["state"], "passed-by-exception", "{transport}");
    assert!(transport["explanation"].as_str().unwrap_or_default().contains(reason));
    assert_eq!(result(&cov, "secret-in-config")["state"], "failed", "other rules keep failing");
    // Retention lowered to 3 days: backup-missing passes; the exceptions survive a policy save.
    let r = owner
        .post(
            "/actions/policy",
            &[("allowed_regions", ""), ("reminder_windows", "30"), ("snapshot_retention_days", "3")],
        )
        .await;
    assert_eq!(r.status, 303);
    let cov = coverage(&owner, "").await;
    assert_eq!(result(&cov, "backup-missing")["state"], "passed");
    assert_eq!(result(&cov, "transport-unencrypted")["state"], "passed-by-exception");
    let settings: Value = serde_json::from_str(&owner.api("settings_page").await.body).expect("json");
    assert_eq!(settings["snapshot_retention_days"], 3);
    assert_eq!(settings["exceptions"][0]["reason"], reason);

    // The packet lists each check of the app with file and line, and the exception.
    let p = crate::packets::generate(&owner, "").await;
    let id = p["id"].as_str().expect("id");
    let (status, _, pdf) = owner.download_packet(id, "pdf").await;
    assert_eq!(status, 200);
    let text = pdftotext(&pdf);
    for needle in [
        "Platform safeguards",
        "secret-in-config",
        "unencrypted",
        "passed by exception",
        "fly-toml/fly.toml line 9",
        "TLS is terminated by our own load balancer",
    ] {
        assert!(text.contains(needle), "{needle} missing from the packet PDF");
    }

    // Removing the exception brings the failure back.
    let r = owner
        .post("/actions/policy/exceptions/remove", &[("rule", "transport-unencrypted"), ("app", "acme-api")])
        .await;
    assert_eq!(r.status, 303);
    assert_eq!(result(&coverage(&owner, "").await, "transport-unencrypted")["state"], "failed");
    app.stop().await;
}

/// Every text and blob column of every table, as text.
async fn every_stored_value(app: &TestApp) -> String {
    use sqlx::{Column, Row};
    let pool = &app.backend.db.pool;
    let tables_sql = if app.db_url.starts_with("postgres") {
        "SELECT CAST(table_name AS TEXT) AS name FROM information_schema.tables WHERE table_schema = current_schema()"
    } else {
        "SELECT name FROM sqlite_master WHERE type = 'table'"
    };
    let tables: Vec<String> = sqlx::query(tables_sql)
        .fetch_all(pool)
        .await
        .expect("tables")
        .iter()
        .map(|r| r.try_get::<String, _>("name").expect("name"))
        // sqlx's own bookkeeping (migration names and checksums), with types Any cannot read.
        .filter(|t| !t.starts_with("_sqlx"))
        .collect();
    assert!(tables.iter().any(|t| t == "platform_configs"), "{tables:?}");
    let mut all = String::new();
    for t in tables {
        let rows = sqlx::query(&format!("SELECT * FROM {t}")).fetch_all(pool).await.expect("rows");
        for row in rows {
            for c in row.columns() {
                if let Ok(Some(s)) = row.try_get::<Option<String>, _>(c.ordinal()) {
                    all.push_str(&s);
                } else if let Ok(Some(b)) = row.try_get::<Option<Vec<u8>>, _>(c.ordinal()) {
                    all.push_str(&String::from_utf8_lossy(&b));
                }
                all.push('\n');
            }
        }
    }
    all
}

/// Collects every log line of the app (it runs on this test's thread).
#[derive(Clone, Default)]
struct Logs(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

impl std::io::Write for Logs {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().expect("logs").extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test(flavor = "current_thread")]
async fn no_secret_value_from_a_fly_toml_is_stored_rendered_in_the_packet_or_logged() {
    let logs = Logs::default();
    let sink = logs.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_ansi(false)
        .with_writer(move || sink.clone())
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let app = TestApp::spawn().await;
    let owner = app.owner().await;
    let api = import(&app, &owner).await;
    // A broken fly.toml holding the secret is refused without echoing it.
    let broken = vec![SnapshotFile::new(
        "fly-toml/fly.toml",
        format!("app = \"acme-api\"\n[env]\nDATABASE_PASSWORD = \"{SECRET}\n").into_bytes(),
    )];
    let r = api.post("/imports", as_json(&broken)).await;
    assert_eq!(r.status, 422, "{:?}", r.body);
    assert!(!r.body.to_string().contains(SECRET), "error response");

    let cov = coverage(&owner, "").await;
    assert_eq!(result(&cov, "secret-in-config")["state"], "failed", "the check saw it");
    let mut seen = vec![
        ("coverage_data", cov.to_string()),
        ("api coverage", api.get("/coverage").await.body.to_string()),
    ];
    let services = api.get("/services").await.body;
    for path in ["/", "/settings", "/audit", "/inventory", "/import"] {
        seen.push((path, owner.page(path).await.1.body));
    }
    for s in services["services"]
        .as_array()
        .expect("services")
        .iter()
        .filter(|s| s["apps"].to_string().contains("acme-api"))
    {
        let id = s["id"].as_str().expect("id");
        let path = format!("/services/{}", url_escape(id));
        seen.push(("service page", owner.page(&path).await.1.body));
        seen.push((
            "service_detail",
            owner.api_with("service_detail", &[("id", id), ("as_of", "")]).await.body,
        ));
    }
    seen.push(("audit export", app_audit(&owner).await));
    let p = crate::packets::generate(&owner, "").await;
    let id = p["id"].as_str().expect("id");
    let (_, _, pdf) = owner.download_packet(id, "pdf").await;
    let text = pdftotext(&pdf);
    assert!(text.contains("DATABASE_PASSWORD"), "the packet names the key");
    seen.push(("packet pdf", text));
    let (_, _, zip_bytes) = owner.download_packet(id, "zip").await;
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(zip_bytes)).expect("zip");
    for i in 0..archive.len() {
        let mut entry = archive.by_index(i).expect("entry");
        let mut buf = Vec::new();
        std::io::Read::read_to_end(&mut entry, &mut buf).expect("read");
        seen.push(("packet bundle", String::from_utf8_lossy(&buf).into_owned()));
    }
    seen.push(("database", every_stored_value(&app).await));
    for (what, text) in &seen {
        assert!(!text.contains(SECRET), "the secret value is in {what}");
    }
    app.stop().await;
    let logged = String::from_utf8_lossy(&logs.0.lock().expect("logs")).into_owned();
    assert!(logged.contains("import") || !logged.is_empty(), "logs were captured");
    assert!(!logged.contains(SECRET), "the secret value is in the logs");
}

fn url_escape(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b == b'-' {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

async fn app_audit(owner: &Client) -> String {
    owner.export_audit().await.1
}

/// A re-import that changes nothing but a fly.toml (no record, catalog edit or document) still
/// changes what is shown at once: the cached view is keyed by a revision every write bumps, not
/// by the number of rows of some tables.
#[tokio::test]
async fn a_reimport_that_changes_only_a_fly_toml_is_shown_at_once() {
    let app = TestApp::spawn().await;
    let owner = app.owner().await;
    let api = import(&app, &owner).await;
    let configs = app.count("platform_configs").await;
    assert_eq!(result(&coverage(&owner, "").await, "transport-unencrypted")["state"], "failed");
    let mut files = snapshot();
    files.pop();
    let fixed = fly_toml().replace("force_https = false", "force_https = true");
    files.push(SnapshotFile::new("fly-toml/fly.toml", fixed.into_bytes()));
    let r = api.post("/imports", as_json(&files)).await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    assert!(app.count("platform_configs").await > configs, "the new facts are stored");
    assert_eq!(
        result(&coverage(&owner, "").await, "transport-unencrypted")["state"],
        "passed",
        "a cached view outlived the import"
    );
    app.stop().await;
}
