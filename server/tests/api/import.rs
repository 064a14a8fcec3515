//! Import from the fly CLI through the real app: the REST endpoint, the UI (upload, preview,
//! apply), and the command line. Every fixture layout gives the same inventory, a second import
//! changes nothing, a malformed file is refused with its file and line and nothing is written,
//! and the acme-health snapshot with only a Fly.io BAA gives the expected services and findings.

use crate::api_v1::Api;
use crate::helpers::{Client, TestApp};
use crate::seed::Seed;
use baa_core::fly_import::SnapshotFile;
use serde_json::{json, Value};
use std::collections::BTreeSet;
use std::path::PathBuf;

pub fn fixtures_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../fixtures/fly")
}

#[derive(Clone, Copy, Debug)]
pub enum Layout {
    Json,
    Current,
    Legacy,
}

const APPS_WITH_SECRETS: [&str; 4] = ["acme-api", "acme-api-staging", "acme-web", "acme-worker"];
const LISTS: [&str; 8] = [
    "storage-list",
    "redis-list",
    "redis-status--acme-redis-prod",
    "ext-sentry-list",
    "ext-arcjet-list",
    "ext-vector-list",
    "ext-kubernetes-list",
    "ext-wafris-list",
];

/// File names of the acme-health snapshot in one layout (as core/tests/fly_import/main.rs).
pub fn acme_names(layout: Layout) -> Vec<String> {
    let table = |stem: &str| match layout {
        Layout::Legacy if stem != "ext-wafris-list" => format!("{stem}.legacy.txt"),
        _ => format!("{stem}.txt"),
    };
    let mut names = vec!["orgs-list.json".to_owned()];
    match layout {
        Layout::Json => {
            names.push("apps-list.json".to_owned());
            names.extend(APPS_WITH_SECRETS.iter().map(|a| format!("secrets-list--{a}.json")));
        }
        Layout::Current | Layout::Legacy => {
            names.push(table("apps-list"));
            names.extend(APPS_WITH_SECRETS.iter().map(|a| table(&format!("secrets-list--{a}"))));
        }
    }
    names.extend(LISTS.iter().map(|s| table(s)));
    names
}

pub fn acme(layout: Layout) -> Vec<SnapshotFile> {
    acme_names(layout)
        .into_iter()
        .map(|n| {
            let bytes = std::fs::read(fixtures_dir().join(&n)).expect("fixture");
            SnapshotFile::new(n, bytes)
        })
        .collect()
}

pub fn as_json(files: &[SnapshotFile]) -> Value {
    use base64::Engine;
    let file = |f: &SnapshotFile| match std::str::from_utf8(&f.bytes) {
        Ok(text) => json!({"name": f.name, "content": text}),
        Err(_) => {
            json!({"name": f.name, "content_base64": base64::engine::general_purpose::STANDARD.encode(&f.bytes)})
        }
    };
    json!({ "files": files.iter().map(file).collect::<Vec<_>>() })
}

/// The ids of the services of the acme-health snapshot.
pub const ACME_SERVICES: [&str; 23] = [
    "fly:arcjet:shield:acme-api",
    "fly:arcjet:shield:acme-web",
    "fly:fly:kubernetes:acme-analytics-fks",
    "fly:fly:machines:acme-admin-legacy",
    "fly:fly:machines:acme-api",
    "fly:fly:machines:acme-api-staging",
    "fly:fly:machines:acme-db",
    "fly:fly:machines:acme-web",
    "fly:fly:machines:acme-web-staging",
    "fly:fly:machines:acme-worker",
    "fly:fly:machines:acme-worker-staging",
    "fly:fly:machines:priya-playground",
    "fly:sentry:errors:acme-api",
    "fly:sentry:errors:acme-api-staging",
    "fly:sentry:errors:acme-web",
    "fly:sentry:errors:acme-worker",
    "fly:tigris:object-storage:acme-health-exports",
    "fly:tigris:object-storage:acme-health-patient-docs",
    "fly:tigris:object-storage:acme-health-staging-docs",
    "fly:upstash-redis:redis:acme-redis-prod",
    "fly:upstash-redis:redis:acme-redis-staging",
    "fly:upstash-redis:redis:acme-sessions-prod",
    "fly:upstash-vector:vector:acme-clinical-notes-index",
];

/// A ZIP of `files` under a folder, stored (no compression), written by hand so the tests need
/// no ZIP writer.
pub fn zip_of(folder: &str, files: &[SnapshotFile]) -> Vec<u8> {
    fn crc32(data: &[u8]) -> u32 {
        let mut crc = 0xFFFF_FFFFu32;
        for &b in data {
            crc ^= u32::from(b);
            for _ in 0..8 {
                crc = if crc & 1 != 0 { (crc >> 1) ^ 0xEDB8_8320 } else { crc >> 1 };
            }
        }
        !crc
    }
    let mut out = Vec::new();
    let mut central = Vec::new();
    for f in files {
        let name = format!("{folder}/{}", f.name);
        let crc = crc32(&f.bytes);
        let offset = out.len() as u32;
        let size = f.bytes.len() as u32;
        let n = name.len() as u16;
        out.extend_from_slice(&0x0403_4b50u32.to_le_bytes());
        for v in [20u16, 0, 0, 0, 0] {
            out.extend_from_slice(&v.to_le_bytes());
        }
        out.extend_from_slice(&crc.to_le_bytes());
        out.extend_from_slice(&size.to_le_bytes());
        out.extend_from_slice(&size.to_le_bytes());
        out.extend_from_slice(&n.to_le_bytes());
        out.extend_from_slice(&0u16.to_le_bytes());
        out.extend_from_slice(name.as_bytes());
        out.extend_from_slice(&f.bytes);
        central.extend_from_slice(&0x0201_4b50u32.to_le_bytes());
        for v in [20u16, 20, 0, 0, 0, 0] {
            central.extend_from_slice(&v.to_le_bytes());
        }
        central.extend_from_slice(&crc.to_le_bytes());
        central.extend_from_slice(&size.to_le_bytes());
        central.extend_from_slice(&size.to_le_bytes());
        central.extend_from_slice(&n.to_le_bytes());
        for v in [0u16, 0, 0, 0] {
            central.extend_from_slice(&v.to_le_bytes());
        }
        central.extend_from_slice(&0u32.to_le_bytes());
        central.extend_from_slice(&offset.to_le_bytes());
        central.extend_from_slice(name.as_bytes());
    }
    let cd_offset = out.len() as u32;
    let cd_size = central.len() as u32;
    out.extend_from_slice(&central);
    out.extend_from_slice(&0x0605_4b50u32.to_le_bytes());
    for v in [0u16, 0, files.len() as u16, files.len() as u16] {
        out.extend_from_slice(&v.to_le_bytes());
    }
    out.extend_from_slice(&cd_size.to_le_bytes());
    out.extend_from_slice(&cd_offset.to_le_bytes());
    out.extend_from_slice(&0u16.to_le_bytes());
    out
}

/// The inventory as the API lists it, with the day-dependent fields left out.
async fn inventory(api: &Api) -> Value {
    let mut services = api.get("/services").await.body["services"].clone();
    for s in services.as_array_mut().expect("services") {
        s.as_object_mut().expect("obj").remove("created_on");
    }
    json!({ "orgs": api.get("/orgs").await.body["orgs"], "apps": api.get("/apps").await.body["apps"], "services": services })
}

async fn count_records(app: &TestApp) -> (i64, i64) {
    (app.count("records").await, app.count("audit_log").await)
}

#[tokio::test]
async fn every_layout_imports_to_the_same_inventory_and_a_second_import_changes_nothing() {
    let mut seen: Vec<Value> = Vec::new();
    for layout in [Layout::Json, Layout::Current, Layout::Legacy] {
        let app = TestApp::spawn().await;
        let owner = app.owner().await;
        let api = Api::with_new_token(&app, &owner, "ci", "write:inventory").await;
        let files = acme(layout);
        let preview = api.post("/imports/preview", as_json(&files)).await;
        assert_eq!(preview.status, 200, "{layout:?}: {:?}", preview.body);
        assert_eq!((preview.body["creates"].as_u64(), preview.body["updates"].as_u64()), (Some(35), Some(0)));
        // The preview wrote nothing.
        assert_eq!(api.get("/services").await.body["services"], json!([]));
        let applied = api.post("/imports", as_json(&files)).await;
        assert_eq!(applied.status, 200, "{:?}", applied.body);
        assert_eq!(applied.body["created"], 35);
        let mut changed: Vec<&str> = applied.body["changed_services"]
            .as_array()
            .expect("ids")
            .iter()
            .filter_map(Value::as_str)
            .collect();
        changed.sort_unstable();
        let mut want = ACME_SERVICES.to_vec();
        want.sort_unstable();
        assert_eq!(changed, want);
        seen.push(inventory(&api).await);

        // Idempotent: the same snapshot again plans and writes nothing.
        let before = count_records(&app).await;
        let again = api.post("/imports", as_json(&files)).await;
        assert_eq!((again.body["created"].as_u64(), again.body["updated"].as_u64()), (Some(0), Some(0)));
        let after = count_records(&app).await;
        assert_eq!(after.0, before.0, "no record versions");
        assert_eq!(after.1, before.1 + 1, "only the import.applied entry");
        app.stop().await;
    }
    assert_eq!(seen[0], seen[1], "JSON vs current tables");
    assert_eq!(seen[1], seen[2], "current vs legacy tables");
}

#[tokio::test]
async fn a_zip_of_the_snapshot_imports_like_its_files() {
    let app = TestApp::spawn().await;
    let owner = app.owner().await;
    let api = Api::with_new_token(&app, &owner, "ci", "write:inventory").await;
    use base64::Engine;
    let zip = base64::engine::general_purpose::STANDARD.encode(zip_of("snapshot", &acme(Layout::Current)));
    let r = api.post("/imports/preview", json!({ "zip_base64": zip })).await;
    assert_eq!((r.status, r.body["creates"].as_u64()), (200, Some(35)), "{:?}", r.body);
    app.stop().await;
}

#[tokio::test]
async fn a_malformed_file_is_refused_with_its_file_and_line_and_nothing_is_written() {
    let app = TestApp::spawn().await;
    let owner = app.owner().await;
    let api = Api::with_new_token(&app, &owner, "ci", "write:inventory").await;
    let bad_toml =
        std::fs::read(fixtures_dir().join("fly-toml/commonknowledge__leftbookclub__fly.staging.toml"))
            .expect("toml");
    let cases: Vec<(SnapshotFile, &str, Option<u64>, &str)> = vec![
        (
            SnapshotFile::new(
                "apps-list.json",
                b"[\n  {\"Name\": \"a\" \"Status\": \"deployed\"}\n]\n".to_vec(),
            ),
            "apps-list.json",
            Some(2),
            "not valid JSON",
        ),
        (
            SnapshotFile::new("orgs-list.json", b"{\n  \"acme\": 5\n}\n".to_vec()),
            "orgs-list.json",
            Some(2),
            "JSON of the wrong shape",
        ),
        (
            SnapshotFile::new("storage-list.txt", b"NAME    ORG\nb1      o1\n".to_vec()),
            "storage-list.txt",
            Some(1),
            "not a table header",
        ),
        (SnapshotFile::new("fly-toml/fly.staging.toml", bad_toml), "fly-toml/fly.staging.toml", Some(8), ""),
        (SnapshotFile::new("redis-list.txt", vec![0xff, 0xfe, 0x00]), "redis-list.txt", Some(1), "UTF-8"),
    ];
    let before = count_records(&app).await;
    for (bad, file, line, message) in cases {
        // The whole acme snapshot, with one file replaced or added.
        let mut files: Vec<SnapshotFile> =
            acme(Layout::Current).into_iter().filter(|f| f.name != bad.name).collect();
        files.push(bad);
        for path in ["/imports/preview", "/imports"] {
            let r = api.post(path, as_json(&files)).await;
            assert_eq!(r.status, 422, "{file}: {:?}", r.body);
            assert_eq!(r.body["error"]["code"], "invalid_snapshot");
            let details = r.body["error"]["details"].as_array().expect("details");
            let hit =
                details.iter().find(|d| d["file"] == file).unwrap_or_else(|| panic!("{file}: {details:?}"));
            assert_eq!(hit["line"].as_u64(), line, "{file}: {hit}");
            assert!(hit["message"].as_str().unwrap_or("").contains(message), "{file}: {hit}");
            let text = r.body["error"]["message"].as_str().unwrap_or("");
            assert!(text.contains(file), "{text}");
        }
    }
    assert_eq!(count_records(&app).await, before, "nothing of a refused import is written");
    app.stop().await;
}

async fn upload(
    client: &Client,
    files: &[SnapshotFile],
    zip: Option<(&str, Vec<u8>)>,
) -> crate::helpers::Resp {
    let mut form = reqwest::multipart::Form::new();
    for f in files {
        form = form.part(
            "files",
            reqwest::multipart::Part::bytes(f.bytes.clone()).file_name(format!("snapshot/{}", f.name)),
        );
    }
    // An empty folder input still sends a part.
    form = form.part("files", reqwest::multipart::Part::bytes(Vec::new()).file_name(""));
    if let Some((name, bytes)) = zip {
        form = form.part("zip", reqwest::multipart::Part::bytes(bytes).file_name(name.to_string()));
    }
    let r = client
        .http
        .post(format!("{}/actions/import/preview", client.base))
        .multipart(form)
        .send()
        .await
        .expect("upload");
    crate::helpers::Resp {
        status: r.status().as_u16(),
        headers: r.headers().clone(),
        body: r.text().await.unwrap_or_default(),
    }
}

async fn import_page(client: &Client, draft: &str) -> Value {
    serde_json::from_str(&client.api_with("import_page", &[("draft", draft)]).await.body).expect("json")
}

fn draft_of(location: &str) -> String {
    location.strip_prefix("/import?draft=").unwrap_or_else(|| panic!("{location}")).to_string()
}

/// Records the signed Fly.io BAA (with every clause) as legal would.
pub async fn sign_fly_baa(owner: &Client) {
    Seed::new(owner).baa("vendor:fly", "Fly.io BAA").all_clauses().save().await;
}

type Findings = BTreeSet<(String, String)>;

/// Findings of the imported acme-health world with only Fly.io's BAA (domain reference, fly
/// import docs): every service PHI-unknown and uncovered, both orgs on a plan without a BAA,
/// three PHI services in the staging org.
pub fn expected_findings() -> Findings {
    let mut out = BTreeSet::new();
    for id in ACME_SERVICES {
        out.insert(("phi-unknown".to_owned(), id.to_owned()));
        // Fly.io's own products have their chain (our Fly.io BAA) but every org is on a plan
        // without a BAA: platform-plan-ineligible, not uncovered-service.
        if !id.starts_with("fly:fly:") {
            out.insert(("uncovered-service".to_owned(), id.to_owned()));
        }
        if id.contains("staging") || id.ends_with("priya-playground") {
            out.insert(("environment-mixed".to_owned(), id.to_owned()));
        }
        if id.starts_with("fly:sentry:") {
            out.insert(("configuration-unconfirmed".to_owned(), id.to_owned()));
        }
    }
    for org in ["acme-health-production", "acme-health-staging", "personal"] {
        out.insert(("platform-plan-ineligible".to_owned(), org.to_owned()));
    }
    out
}

#[tokio::test]
async fn an_engineer_previews_and_applies_the_acme_snapshot_in_the_ui_and_sees_services_and_findings() {
    let app = TestApp::spawn().await;
    let owner = app.owner().await;
    sign_fly_baa(&owner).await;
    let eng = app.member(&owner, baa_core::account::Role::Engineer, "eng@acme-health.example").await;

    let r = upload(&eng, &acme(Layout::Json), None).await;
    assert_eq!(r.status, 303, "{}", r.body);
    let draft = draft_of(&r.location());
    assert!(eng.flash().await.contains("35 to create"));
    let page = import_page(&eng, &draft).await;
    let preview = &page["preview"];
    assert_eq!(preview["creates"].as_array().map(Vec::len), Some(35), "{page}");
    let unmapped: Vec<(String, u64)> = preview["unmapped"]
        .as_array()
        .expect("unmapped")
        .iter()
        .map(|u| (u["file"].as_str().unwrap_or("").to_string(), u["line"].as_u64().unwrap_or(0)))
        .collect();
    assert!(unmapped.contains(&("snapshot/ext-wafris-list.txt".into(), 3)), "{unmapped:?}");
    assert!(unmapped.contains(&("snapshot/secrets-list--acme-api.json".into(), 28)), "{unmapped:?}");
    // Nothing changed yet.
    let read = Api::with_new_token(&app, &owner, "ci", "read").await;
    assert_eq!(read.get("/services").await.body["services"], json!([]));

    let hash = preview["plan_hash"].as_str().expect("hash").to_string();
    let r = eng.post("/actions/import/apply", &[("draft", &draft), ("plan_hash", &hash)]).await;
    assert_eq!((r.status, r.location().as_str()), (303, "/"));
    let r = eng.api("public/page_ctx").await;
    let ctx: serde_json::Value = serde_json::from_str(&r.body).expect("json");
    let flash = ctx["flash"]["message"].as_str().unwrap_or_default();
    assert!(flash.contains("35 created") && flash.contains("imported are not covered"), "{flash}");
    // Not a success banner: a warning with the first uncovered service and one next step.
    let effect = &ctx["flash"]["effect"];
    assert_eq!(effect["tone"], "warning", "{effect}");
    assert!(effect["link"][0].as_str().is_some_and(|l| l.starts_with("/services/")), "{effect}");
    assert!(effect["next_step"].as_str().is_some_and(|s| !s.is_empty()), "{effect}");
    assert!(flash.contains("PHI services are covered (before the import: 0 of 0)"), "{flash}");
    // The draft is gone: applying again is refused, nothing doubles.
    let r = eng.post("/actions/import/apply", &[("draft", &draft), ("plan_hash", &hash)]).await;
    assert_eq!(r.location(), "/import");
    assert!(eng.flash().await.contains("expired or was already applied"));

    // The services and findings.
    let cov = read.get("/coverage").await.body;
    let ids: BTreeSet<&str> =
        cov["services"].as_array().expect("s").iter().filter_map(|s| s["id"].as_str()).collect();
    assert_eq!(ids, ACME_SERVICES.into_iter().collect());
    assert!(cov["services"].as_array().expect("s").iter().all(|s| s["verdict"] == "uncovered"));
    let got: Findings = cov["findings"]
        .as_array()
        .expect("f")
        .iter()
        .filter(|f| f["subject"]["kind"] != "agreement" && f["subject"]["kind"] != "vendor")
        .map(|f| {
            (
                f["rule"].as_str().unwrap_or("").to_string(),
                f["subject"]["id"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect();
    assert_eq!(got, expected_findings());
    // The dashboard's loader sees the same.
    let dash = crate::seed::coverage(&eng, "").await;
    assert_eq!(dash["report"]["summary"]["uncovered_phi"], 23);
    // Each record version and audit entry names the engineer.
    let actors: Vec<String> =
        sqlx::query_scalar::<_, String>("SELECT actor_name FROM records WHERE kind = 'service'")
            .fetch_all(&app.backend.db.pool)
            .await
            .expect("rows");
    assert!(actors.iter().all(|a| a == "eng@acme-health.example"), "{actors:?}");
    app.stop().await;
}

#[tokio::test]
async fn a_stale_preview_is_not_applied_and_a_malformed_upload_says_file_and_line() {
    let app = TestApp::spawn().await;
    let owner = app.owner().await;
    let r = upload(&owner, &acme(Layout::Current), None).await;
    let draft = draft_of(&r.location());
    let hash = import_page(&owner, &draft).await["preview"]["plan_hash"].as_str().expect("h").to_string();
    // Someone records the production org by hand meanwhile: the plan is different now.
    Seed::new(&owner).org("acme-health-production").with("name", "Prod").save().await;
    let before = count_records(&app).await;
    let r = owner.post("/actions/import/apply", &[("draft", &draft), ("plan_hash", &hash)]).await;
    assert_eq!(r.location(), format!("/import?draft={draft}"));
    assert!(owner.flash().await.contains("changed since this preview"));
    assert_eq!(count_records(&app).await, before);
    // The fresh preview shows the org as a change, and applies.
    let page = import_page(&owner, &draft).await;
    let updates = page["preview"]["updates"].as_array().expect("u");
    assert!(
        updates.iter().any(|u| u["id"] == "acme-health-production" && u["field"] == "name"),
        "{updates:?}"
    );
    let hash = page["preview"]["plan_hash"].as_str().expect("h").to_string();
    owner.post("/actions/import/apply", &[("draft", &draft), ("plan_hash", &hash)]).await;
    assert!(owner.flash().await.contains("34 created, 1 changed"));

    // A malformed file in a ZIP: refused with the file and line, nothing stored.
    let mut files = acme(Layout::Current);
    files.push(SnapshotFile::new("storage-list.txt", b"NAME    ORG\nb1      o1\n".to_vec()));
    files.retain(|f| f.name != "storage-list.txt" || f.bytes.starts_with(b"NAME "));
    let before = count_records(&app).await;
    let r = upload(&owner, &[], Some(("acme.zip", zip_of("acme", &files)))).await;
    // Refused, and kept as a draft so it need not be chosen again.
    let draft = draft_of(&r.location());
    assert!(owner.flash().await.contains("nothing was imported"));
    let page = import_page(&owner, &draft).await;
    let error = page["draft_error"].as_str().expect("the errors");
    assert!(
        error.contains("acme/storage-list.txt line 1") && error.contains("Nothing was imported"),
        "{page}"
    );
    assert_eq!(page["refused"][1], serde_json::json!(["acme/storage-list.txt"]), "{page}");
    assert_eq!(page["preview"], Value::Null);
    assert_eq!(count_records(&app).await, before);
    let (_, html) = owner.page(&format!("/import?draft={draft}")).await;
    assert!(html.body.contains("Skip acme/storage-list.txt and preview the rest"), "{}", html.body);
    // Skipping the file previews the rest; nothing is written until it is applied.
    let r = owner.post("/actions/import/skip", &[("draft", &draft), ("file", "acme/storage-list.txt")]).await;
    assert_eq!(r.location(), format!("/import?draft={draft}"));
    assert!(owner.flash().await.contains("acme/storage-list.txt skipped"));
    let page = import_page(&owner, &draft).await;
    assert_eq!(page["draft_error"], Value::Null, "{page}");
    assert!(page["preview"]["plan_hash"].is_string(), "{page}");
    assert_eq!(count_records(&app).await, before);
    // A file not in the upload cannot be skipped; another workspace's draft is not found.
    let r = owner.post("/actions/import/skip", &[("draft", &draft), ("file", "nope.json")]).await;
    assert_eq!(r.location(), format!("/import?draft={draft}"));
    assert!(owner.flash().await.contains("nope.json is not part of this upload"));
    let r = owner.post("/actions/import/skip", &[("draft", "no-such-draft"), ("file", "x")]).await;
    assert_eq!(r.location(), "/import");
    app.stop().await;
}

#[tokio::test]
async fn auditors_cannot_import() {
    let app = TestApp::spawn().await;
    let owner = app.owner().await;
    let auditor = app.member(&owner, baa_core::account::Role::Auditor, "audit@acme-health.example").await;
    assert_eq!(upload(&auditor, &acme(Layout::Json), None).await.status, 403);
    let page = import_page(&auditor, "").await;
    assert_eq!(page["can_import"], false);
    let r = auditor.post("/actions/import/apply", &[("draft", "x"), ("plan_hash", "y")]).await;
    assert_eq!(r.status, 403);
    app.stop().await;
}

#[tokio::test]
async fn the_command_line_previews_then_applies_and_refuses_malformed_snapshots() {
    let app = TestApp::spawn().await;
    let _owner = app.owner().await;
    let dir = tempfile::tempdir().expect("dir");
    for f in acme(Layout::Legacy) {
        std::fs::write(dir.path().join(&f.name), &f.bytes).expect("write");
    }
    let b = &app.backend;
    let email = "priya@acme-health.example";
    let run = |ws: &'static str, who: &'static str, path: PathBuf, apply: bool| async move {
        let (mut out, mut err) = (Vec::new(), Vec::new());
        let code = server::cli::import(b, ws, who, &path, apply, &mut out, &mut err).await;
        (code, String::from_utf8_lossy(&out).into_owned(), String::from_utf8_lossy(&err).into_owned())
    };
    let (code, out, _) = run("Acme Health", email, dir.path().to_path_buf(), false).await;
    assert_eq!(code, 0);
    assert!(
        out.contains("35 to create") && out.contains("create service fly:sentry:errors:acme-api"),
        "{out}"
    );
    assert!(out.contains("not mapped ext-wafris-list.txt:3"), "{out}");
    assert_eq!(app.count("records").await, 0, "preview only");
    let (code, out, _) = run("acme health", email, dir.path().to_path_buf(), true).await;
    assert_eq!((code, out.contains("applied: 35 created")), (0, true), "{out}");
    let (code, out, _) = run("Acme Health", email, dir.path().to_path_buf(), true).await;
    assert_eq!((code, out.contains("applied: 0 created, 0 changed")), (0, true), "{out}");
    // Malformed: exit 1, file and line, nothing written.
    std::fs::write(dir.path().join("apps-list.json"), "[\n  {\"Name\": \"a\" \"Status\": \"deployed\"}\n]\n")
        .expect("w");
    let n = app.count("records").await;
    let (code, _, err) = run("Acme Health", email, dir.path().to_path_buf(), true).await;
    assert_eq!(code, 1);
    assert!(err.contains("apps-list.json line 2") && err.contains("nothing was imported"), "{err}");
    assert_eq!(app.count("records").await, n);
    // Usage errors: exit 2.
    assert_eq!(run("Acme Health", "nobody@example.com", dir.path().to_path_buf(), false).await.0, 2);
    assert_eq!(run("Other Co", email, dir.path().to_path_buf(), false).await.0, 2);
    assert_eq!(run("Acme Health", email, dir.path().join("missing"), false).await.0, 2);
    app.stop().await;
}

#[tokio::test]
async fn the_import_command_of_the_binary_imports_a_zip() {
    let app = TestApp::spawn().await;
    let _owner = app.owner().await;
    let dir = tempfile::tempdir().expect("dir");
    let zip = dir.path().join("snapshot.zip");
    std::fs::write(&zip, zip_of("snap", &acme(Layout::Json))).expect("write");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_baa-tracker"))
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("DATA_DIR", app.data_dir.path())
        .env("DATABASE_URL", &app.db_url)
        .args(["import", "--workspace", "Acme Health", "--as", "priya@acme-health.example", "--apply"])
        .arg(&zip)
        .output()
        .expect("run");
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{text}{}", String::from_utf8_lossy(&out.stderr));
    assert!(text.contains("applied: 35 created"), "{text}");
    app.stop().await;
}

#[tokio::test]
async fn fly_toml_files_picked_without_their_folder_are_known_by_name() {
    let app = TestApp::spawn().await;
    let owner = app.owner().await;
    // A file picker sends bare names: no snapshot folder, no fly-toml/ folder.
    let mut form = reqwest::multipart::Form::new();
    let mut files = acme(Layout::Json);
    files.push(SnapshotFile::new(
        "fly.staging.toml",
        b"app = 'acme-api-staging'\nprimary_region = 'fra'\n".to_vec(),
    ));
    files.push(SnapshotFile::new("settings.toml", b"answer = 42\n".to_vec()));
    for f in &files {
        form = form.part("files", reqwest::multipart::Part::bytes(f.bytes.clone()).file_name(f.name.clone()));
    }
    let r = owner
        .http
        .post(format!("{}/actions/import/preview", owner.base))
        .multipart(form)
        .send()
        .await
        .expect("upload");
    assert_eq!(r.status().as_u16(), 303);
    let location = r.headers()["location"].to_str().expect("location").to_string();
    let page = import_page(&owner, &draft_of(&location)).await;
    let unmapped = page["preview"]["unmapped"].as_array().expect("unmapped");
    assert!(!unmapped.iter().any(|u| u["file"] == "fly.staging.toml"), "{unmapped:?}");
    assert!(
        unmapped.iter().any(|u| u["file"] == "settings.toml"
            && u["reason"].as_str().is_some_and(|r| r.contains("not a fly.toml"))),
        "{unmapped:?}"
    );
    let creates = page["preview"]["creates"].as_array().expect("creates");
    assert!(
        creates.iter().any(|c| c["id"] == "acme-api-staging"
            && c["sources"].as_str().is_some_and(|s| s.contains("fly.staging.toml"))),
        "{creates:?}"
    );
    app.stop().await;
}
