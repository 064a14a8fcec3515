//! F7 and F10: text limits, the packet queue, and forged bundles.

use super::*;

// ---------------------------------------------------------------------------------------------
// F7: text limits (accounts, workspaces, invitations, tokens, webhooks, catalog, passwords) and
// the packet queue.

#[tokio::test]
async fn f7_huge_text_is_refused_with_a_clear_message_and_nothing_is_stored() {
    let app = TestApp::spawn().await;
    let owner = app.owner().await;
    let huge = "x".repeat(900 * 1024);
    let huge_email = format!("{huge}@acme-health.example");
    let huge_url = format!("https://hooks.example.com/{huge}");
    type Case<'a> = (&'a str, Vec<(&'a str, &'a str)>, &'a str);
    let cases: [Case; 6] = [
        ("/actions/workspaces/create", vec![("workspace", &huge)], "workspaces"),
        ("/actions/settings", vec![("name", &huge)], "workspaces"),
        ("/actions/tokens/create", vec![("name", &huge), ("scope", "read")], "api_tokens"),
        ("/actions/members/invite", vec![("email", &huge_email), ("role", "legal")], "invitations"),
        ("/actions/notifications/webhook", vec![("url", &huge_url)], "webhooks"),
        (
            "/actions/vendors/edit",
            vec![
                ("slug", "tigris"),
                ("baa_terms", "Signed on request"),
                ("checked", "2026-11"),
                ("reason", &huge),
            ],
            "catalog_edits",
        ),
    ];
    for (path, form, table) in cases {
        let before = app.count(table).await;
        let r = owner.post(path, &form).await;
        assert!(r.status == 303 || r.status == 422, "{path}: {}", r.status);
        let flash = owner.flash().await;
        assert!(flash.contains("characters") || flash.contains("e-mail address"), "{path}: {flash}");
        assert_eq!(app.count(table).await, before, "{path} stored something");
        let name: String = sqlx::query("SELECT name FROM workspaces")
            .fetch_one(&app.backend.db.pool)
            .await
            .expect("ws")
            .try_get("name")
            .expect("name");
        assert_eq!(name, "Acme Health");
    }
    // A password no account can have is refused without argon2 work.
    let t = std::time::Instant::now();
    app.client().post("/actions/login", &[("email", OWNER), ("password", &huge)]).await;
    assert!(t.elapsed() < Duration::from_secs(5));
    assert_eq!(audit_count(&app, "login.failed").await, 0);
    app.stop().await;
}

#[tokio::test]
async fn f7_thirty_queued_packets_become_three_and_one_runs_at_a_time_per_workspace() {
    // No workers in the app itself: the queue is filled first, then two workers start.
    let app = TestApp::spawn_with(&[("PACKET_WORKERS", "0")]).await;
    let owner = app.owner().await;
    let auditor = app.member(&owner, Role::Auditor, "audit@acme-health.example").await;
    let tries: Vec<_> = (0..30)
        .map(|_| {
            let c = auditor.clone();
            tokio::spawn(async move { c.post("/actions/packets/create", &[("as_of", "")]).await.status })
        })
        .collect();
    for t in tries {
        assert_eq!(t.await.expect("join"), 303);
    }
    let queued = app.count("packets").await;
    assert_eq!(queued, 3, "PACKETS_PER_WORKSPACE is 3");
    let r = auditor.post("/actions/packets/create", &[("as_of", "")]).await;
    assert_eq!(r.status, 303);
    assert!(auditor.flash().await.contains("already queued"));
    // Two workers, one workspace: never two running at once.
    let (trigger, shutdown) = baa_backend::mail::tokio_util_shutdown::channel();
    let workers: Vec<_> = (0..2)
        .map(|n| tokio::spawn(baa_backend::packets::run_worker(app.backend.clone(), n, shutdown.clone())))
        .collect();
    for _ in 0..1200 {
        let running: i64 =
            sqlx::query("SELECT CAST(COUNT(*) AS BIGINT) AS n FROM packets WHERE status = 'running'")
                .fetch_one(&app.backend.db.pool)
                .await
                .expect("n")
                .try_get("n")
                .expect("n");
        assert!(running <= 1, "{running} packets of one workspace ran at once");
        let done: i64 = sqlx::query(
            "SELECT CAST(COUNT(*) AS BIGINT) AS n FROM packets WHERE status IN ('done', 'failed')",
        )
        .fetch_one(&app.backend.db.pool)
        .await
        .expect("n")
        .try_get("n")
        .expect("n");
        if done == 3 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let statuses: Vec<String> = crate::packets::packets(&auditor)
        .await
        .iter()
        .map(|p| p["status"].as_str().unwrap_or_default().to_string())
        .collect();
    assert_eq!(statuses, ["done", "done", "done"]);
    trigger.fire();
    for w in workers {
        w.await.expect("worker");
    }
    app.stop().await;
}

// ---------------------------------------------------------------------------------------------
// F10: a bundle whose file and manifest were both rewritten no longer verifies.

fn zip_entries(zip: &[u8]) -> Vec<(String, Vec<u8>)> {
    let mut archive = zip::ZipArchive::new(Cursor::new(zip)).expect("zip");
    (0..archive.len())
        .map(|i| {
            let mut f = archive.by_index(i).expect("entry");
            let mut bytes = Vec::new();
            f.read_to_end(&mut bytes).expect("read");
            (f.name().expect("name").to_string(), bytes)
        })
        .collect()
}

fn zip_of(files: &[(String, Vec<u8>)]) -> Vec<u8> {
    let mut w = zip::ZipWriter::new(Cursor::new(Vec::new()));
    for (name, bytes) in files {
        w.start_file(name.as_str(), zip::write::SimpleFileOptions::default()).expect("start");
        w.write_all(bytes).expect("write");
    }
    w.finish().expect("finish").into_inner()
}

/// Swaps `target`'s bytes and rewrites its size and hash in the manifest, as a forger would.
fn forge(zip: &[u8], target: &str, with: &[u8]) -> Vec<(String, Vec<u8>)> {
    let mut files = zip_entries(zip);
    files.iter_mut().find(|(n, _)| n == target).expect("target").1 = with.to_vec();
    let sha = hex::encode(<sha2::Sha256 as sha2::Digest>::digest(with));
    let (_, manifest) = files.iter_mut().find(|(n, _)| n == "manifest.json").expect("manifest");
    let mut m: Value = serde_json::from_slice(manifest).expect("json");
    for f in m["files"].as_array_mut().expect("files") {
        if f["path"] == target {
            f["sha256"] = sha.clone().into();
            f["size"] = with.len().into();
        }
    }
    *manifest = serde_json::to_vec_pretty(&m).expect("json");
    files
}

#[tokio::test]
async fn f10_a_swapped_document_with_a_rewritten_manifest_is_caught_by_the_signature() {
    let app = TestApp::spawn().await;
    let owner = app.owner().await;
    let agreement = crate::documents::signed_agreement(&owner).await;
    let (status, flash) =
        crate::documents::upload(&owner, &agreement, "baa.pdf", crate::documents::pdf("genuine")).await;
    assert_eq!(status, 303, "{flash}");
    let p = crate::packets::generate(&owner, "").await;
    let id = p["id"].as_str().expect("id");
    let (status, _, zip) = owner.download_packet(id, "zip").await;
    assert_eq!(status, 200);

    // The server's key is published without sign-in, and on the packets page.
    let keys: Value =
        serde_json::from_str(&app.client().get("/.well-known/baa-tracker-packet-keys.json").await.body)
            .expect("json");
    let key = keys["keys"][0]["public_key"].as_str().expect("key").to_string();
    let key_id = keys["current"].as_str().expect("current").to_string();
    let (_, page) = owner.page("/packets").await;
    assert!(page.body.contains(&key) && page.body.contains(&key_id));
    let trusted = baa_backend::packet::PublicKey::parse(&key).expect("key");

    // The genuine bundle verifies against it; its manifest hash is in the app and the trail.
    let report = baa_backend::packet::verify_bundle_with(Cursor::new(&zip), std::slice::from_ref(&trusted));
    assert!(report.is_ok(), "{}", baa_backend::packet::format_report(&report));
    let manifest_sha = report.manifest_sha256.clone().expect("manifest hash");
    assert_eq!(p["manifest_sha256"].as_str(), Some(manifest_sha.as_str()));
    assert_eq!(p["signing_key_id"].as_str(), Some(key_id.as_str()));
    assert!(page.body.contains(&manifest_sha));
    let (_, trail) = owner.export_audit().await;
    assert!(trail.contains(&format!("\"manifest_sha256\":\"{manifest_sha}\"")), "{trail}");

    // The forgery: another PDF in place of the signed one, its hash and size rewritten.
    let target = zip_entries(&zip)
        .into_iter()
        .map(|(n, _)| n)
        .find(|n| n.starts_with("documents/"))
        .expect("a document in the bundle");
    let forged = forge(&zip, &target, &crate::documents::pdf("forged"));
    let report = baa_backend::packet::verify_bundle(Cursor::new(zip_of(&forged)));
    assert!(report.problems.is_empty(), "the files match the rewritten manifest");
    assert!(!report.is_ok(), "but the signature does not");
    assert!(baa_backend::packet::format_report(&report).contains("NOT INTACT"));

    // Re-signed with the forger's own key: valid on its own, refused against the server's key.
    let mut resigned = forged.clone();
    let manifest = resigned.iter().find(|(n, _)| n == "manifest.json").expect("m").1.clone();
    let mallory = baa_backend::packet::PacketKey::generate();
    let sig = serde_json::to_vec(&mallory.sign_manifest(&manifest)).expect("sig");
    resigned.iter_mut().find(|(n, _)| n == "manifest.sig").expect("sig").1 = sig;
    let resigned = zip_of(&resigned);
    let dir = tempfile::tempdir().expect("dir");
    let (good_path, bad_path) = (dir.path().join("good.zip"), dir.path().join("forged.zip"));
    std::fs::write(&good_path, &zip).expect("write");
    std::fs::write(&bad_path, &resigned).expect("write");
    let (mut out, mut err) = (Vec::new(), Vec::new());
    let code =
        server::cli::verify_packet_command(&bad_path, std::slice::from_ref(&key), None, &mut out, &mut err)
            .await;
    let text = String::from_utf8_lossy(&out);
    assert_eq!(code, 1, "{text}");
    assert!(text.contains(mallory.key_id()) && text.contains("NOT one of the trusted keys"), "{text}");
    // verify-packet --server reads the published keys and names the key that signed.
    let (mut out, mut err) = (Vec::new(), Vec::new());
    let code = server::cli::verify_packet_command(&good_path, &[], Some(&app.base), &mut out, &mut err).await;
    let text = String::from_utf8_lossy(&out);
    assert_eq!(code, 0, "{text}{}", String::from_utf8_lossy(&err));
    assert!(text.contains(&key_id) && text.contains("trusted"), "{text}");
    app.stop().await;
}
