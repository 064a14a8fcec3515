//! Executed documents: versions, hash check on every download, bad input refused with nothing
//! stored, roles, and sweeping blobs left by an interrupted upload.

use crate::helpers::{Client, TestApp};
use crate::seed::{agreement_detail as detail, Seed};
use baa_core::account::Role;
use serde_json::Value;

/// A small valid PDF whose content varies with `note`.
pub fn pdf(note: &str) -> Vec<u8> {
    let objects = [
        "<< /Type /Catalog /Pages 2 0 R >>".to_string(),
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_string(),
        format!("<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] /Note ({note}) >>"),
    ];
    let mut out = b"%PDF-1.4\n".to_vec();
    let mut offsets = Vec::new();
    for (i, o) in objects.iter().enumerate() {
        offsets.push(out.len());
        out.extend_from_slice(format!("{} 0 obj\n{o}\nendobj\n", i + 1).as_bytes());
    }
    let xref = out.len();
    out.extend_from_slice(format!("xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1).as_bytes());
    for off in offsets {
        out.extend_from_slice(format!("{off:010} 00000 n \n").as_bytes());
    }
    out.extend_from_slice(
        format!("trailer\n<< /Size {} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n", objects.len() + 1)
            .as_bytes(),
    );
    out
}

pub async fn upload(c: &Client, agreement: &str, name: &str, bytes: Vec<u8>) -> (u16, String) {
    let form = reqwest::multipart::Form::new().text("id", agreement.to_string()).part(
        "file",
        reqwest::multipart::Part::bytes(bytes)
            .file_name(name.to_string())
            .mime_str("application/pdf")
            .expect("mime"),
    );
    let r = c
        .http
        .post(format!("{}/actions/agreements/documents", c.base))
        .multipart(form)
        .send()
        .await
        .expect("upload");
    let status = r.status().as_u16();
    let flash = c.flash().await;
    (status, flash)
}

/// A signed Fly.io BAA with no dates; returns its id.
pub async fn signed_agreement(owner: &Client) -> String {
    Seed::new(owner).baa("vendor:fly", "Fly.io BAA").without("effective").save_id().await
}

fn blobs(app: &TestApp) -> usize {
    std::fs::read_dir(app.data_dir.path().join("documents/sha256")).map(|d| d.count()).unwrap_or(0)
}

#[tokio::test]
async fn legal_uploads_versions_and_each_download_matches_its_hash() {
    let app = TestApp::spawn().await;
    let owner = app.owner().await;
    let legal = app.member(&owner, Role::Legal, "legal@acme-health.example").await;
    let id = signed_agreement(&owner).await;
    let has_missing =
        |v: &Value| v["findings"].as_array().expect("f").iter().any(|f| f["rule"] == "document-missing");
    assert!(has_missing(&detail(&legal, &id).await));
    let v1 = pdf("version one");
    let (status, flash) = upload(&legal, &id, "Fly BAA signed.pdf", v1.clone()).await;
    assert_eq!((status, flash.as_str()), (303, "Version 1 of the executed document is stored."));
    let (_, flash) = upload(&legal, &id, "Fly BAA signed v2.pdf", pdf("version two")).await;
    assert_eq!(flash, "Version 2 of the executed document is stored.");
    let d = detail(&legal, &id).await;
    assert!(!has_missing(&d), "an uploaded document clears document-missing");
    let docs = d["documents"].as_array().expect("docs");
    assert_eq!(docs.len(), 2);
    assert_eq!(docs[0]["version"], 2);
    let first = &docs[1];
    use sha2::Digest;
    assert_eq!(first["sha256"], hex::encode(sha2::Sha256::digest(&v1)));
    assert_eq!(first["uploaded_by"], "legal@acme-health.example");
    let r = legal
        .http
        .get(format!("{}/documents/{}", legal.base, first["id"].as_str().expect("id")))
        .send()
        .await
        .expect("get");
    assert_eq!(r.status().as_u16(), 200);
    assert_eq!(r.headers()["content-type"], "application/pdf");
    assert!(r.headers()["content-disposition"].to_str().expect("cd").starts_with("attachment;"));
    assert_eq!(r.headers()["x-content-type-options"], "nosniff");
    assert_eq!(r.bytes().await.expect("bytes").to_vec(), v1, "version 1 comes back byte for byte");
    app.stop().await;
}

#[tokio::test]
async fn bad_uploads_are_refused_with_a_message_and_nothing_is_stored() {
    let app = TestApp::spawn_with(&[("DOCUMENT_MAX_MB", "1")]).await;
    let owner = app.owner().await;
    let id = signed_agreement(&owner).await;
    let long = format!("{}.pdf", "x".repeat(500));
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        ("notes.pdf", b"these are plain text notes, not a PDF".to_vec(), "not a PDF"),
        ("damaged.pdf", b"%PDF-1.4\nthis is not really a pdf".to_vec(), "damaged"),
        ("empty.pdf", Vec::new(), "empty"),
        (
            "big.pdf",
            {
                let mut b = pdf("big");
                b.extend(std::iter::repeat_n(b' ', 1_200_000));
                b
            },
            "limit",
        ),
        ("../../etc/passwd.pdf", pdf("x"), "path separators"),
        ("evil\\name.pdf", pdf("x"), "path separators"),
        (long.as_str(), pdf("x"), "too long"),
    ];
    for (name, bytes, want) in cases {
        let (status, flash) = upload(&owner, &id, name, bytes).await;
        assert_eq!(status, 303, "{name}");
        assert!(flash.contains(want), "{name}: {flash}");
    }
    assert_eq!(app.count("documents").await, 0);
    assert_eq!(blobs(&app), 0, "no blob stored for a refused upload");
    app.stop().await;
}

#[tokio::test]
async fn a_corrupted_blob_is_refused_on_download_and_recorded() {
    let app = TestApp::spawn().await;
    let owner = app.owner().await;
    let id = signed_agreement(&owner).await;
    upload(&owner, &id, "baa.pdf", pdf("original")).await;
    let d = detail(&owner, &id).await;
    let doc = d["documents"][0]["id"].as_str().expect("id").to_string();
    let sha = d["documents"][0]["sha256"].as_str().expect("sha").to_string();
    std::fs::write(app.data_dir.path().join(format!("documents/sha256/{sha}")), pdf("tampered"))
        .expect("tamper");
    let r = owner.get(&format!("/documents/{doc}")).await;
    assert_eq!(r.status, 409);
    assert!(r.body.contains("integrity check"));
    assert!(!r.body.contains("%PDF"));
    let audit = owner.audit_page(&[("action", "document.integrity")]).await;
    assert_eq!(audit["entries"].as_array().expect("e").len(), 1);
    app.stop().await;
}

#[tokio::test]
async fn auditors_download_but_cannot_upload_and_other_workspaces_get_404() {
    let app = TestApp::spawn().await;
    let owner = app.owner().await;
    let auditor = app.member(&owner, Role::Auditor, "audit@acme-health.example").await;
    let eng = app.member(&owner, Role::Engineer, "eng@acme-health.example").await;
    let id = signed_agreement(&owner).await;
    upload(&owner, &id, "baa.pdf", pdf("one")).await;
    let doc = detail(&owner, &id).await["documents"][0]["id"].as_str().expect("id").to_string();
    assert_eq!(auditor.get(&format!("/documents/{doc}")).await.status, 200);
    for c in [&auditor, &eng] {
        let form = reqwest::multipart::Form::new()
            .text("id", id.clone())
            .part("file", reqwest::multipart::Part::bytes(pdf("two")).file_name("x.pdf"));
        let r = c
            .http
            .post(format!("{}/actions/agreements/documents", c.base))
            .multipart(form)
            .send()
            .await
            .expect("post");
        assert_eq!(r.status().as_u16(), 403);
    }
    assert_eq!(app.count("documents").await, 1);
    owner.post("/actions/workspaces/create", &[("workspace", "Other Clinic")]).await;
    assert_eq!(owner.get(&format!("/documents/{doc}")).await.status, 404);
    app.stop().await;
}

#[tokio::test]
async fn a_blob_left_by_an_interrupted_upload_is_swept_at_start() {
    let app = TestApp::spawn().await;
    let owner = app.owner().await;
    let id = signed_agreement(&owner).await;
    upload(&owner, &id, "kept.pdf", pdf("kept")).await;
    // As if the process died after writing the blob and before recording the version.
    let orphan = app.data_dir.path().join("documents/sha256/00deadbeef");
    std::fs::write(&orphan, pdf("orphan")).expect("orphan");
    let stopped = app.stop_for_restart().await;
    let restarted = stopped.restart(&[]).await;
    assert!(!orphan.exists(), "the orphan blob is gone");
    assert_eq!(
        std::fs::read_dir(stopped.data_dir.path().join("documents/sha256")).expect("dir").count(),
        1,
        "the stored version stays"
    );
    restarted.shutdown().await.expect("shutdown");
}

#[tokio::test]
async fn documents_live_in_an_s3_bucket_when_configured() {
    let s3 = crate::s3::S3Server::start("baa-docs").await;
    let app = TestApp::spawn_with(&s3.env("baa-docs")).await;
    let owner = app.owner().await;
    let id = signed_agreement(&owner).await;
    let v1 = pdf("s3 version one");
    assert_eq!(
        upload(&owner, &id, "baa.pdf", v1.clone()).await.1,
        "Version 1 of the executed document is stored."
    );
    assert_eq!(
        upload(&owner, &id, "baa v2.pdf", pdf("s3 version two")).await.1,
        "Version 2 of the executed document is stored."
    );
    let (_, flash) = upload(&owner, &id, "notes.pdf", b"plain text".to_vec()).await;
    assert!(flash.contains("not a PDF"), "{flash}");
    assert_eq!(
        s3.objects("baa-docs", "sha256").len(),
        2,
        "two blobs in the bucket, none for the refused one"
    );
    assert_eq!(blobs(&app), 0, "nothing in the local folder");
    let d = detail(&owner, &id).await;
    let first = d["documents"][1]["id"].as_str().expect("id").to_string();
    let first_sha = d["documents"][1]["sha256"].as_str().expect("sha").to_string();
    let r = owner.http.get(format!("{}/documents/{first}", owner.base)).send().await.expect("get");
    assert_eq!(r.status().as_u16(), 200);
    assert_eq!(r.bytes().await.expect("bytes").to_vec(), v1, "version 1 comes back from S3 byte for byte");
    // Corrupt the object in the bucket: the download is refused.
    std::fs::write(s3.root.path().join(format!("baa-docs/sha256/{first_sha}")), pdf("tampered"))
        .expect("tamper");
    let r = owner.get(&format!("/documents/{first}")).await;
    assert_eq!(r.status, 409);
    assert!(r.body.contains("integrity check"));
    // An orphan object (a process killed between blob and row) is swept at the next start.
    std::fs::write(s3.root.path().join("baa-docs/sha256/00deadbeef"), pdf("orphan")).expect("orphan");
    let stopped = app.stop_for_restart().await;
    let restarted = stopped.restart(&s3.env("baa-docs")).await;
    let left: Vec<String> = s3
        .objects("baa-docs", "sha256")
        .iter()
        .map(|p| p.file_name().expect("name").to_string_lossy().into_owned())
        .collect();
    assert_eq!(left.len(), 2, "the orphan is swept, both versions stay: {left:?}");
    assert!(!left.iter().any(|n| n == "00deadbeef"));
    restarted.shutdown().await.expect("shutdown");
}

#[tokio::test]
async fn the_upload_script_gets_the_next_page_as_json_and_the_flash_waits_there() {
    let app = TestApp::spawn().await;
    let owner = app.owner().await;
    let id = signed_agreement(&owner).await;
    let form = reqwest::multipart::Form::new()
        .text("id", id.clone())
        .part("file", reqwest::multipart::Part::bytes(pdf("by script")).file_name("baa.pdf"));
    let r = owner
        .http
        .post(format!("{}/actions/agreements/documents", owner.base))
        .header("x-upload", "xhr")
        .multipart(form)
        .send()
        .await
        .expect("post");
    assert_eq!(r.status().as_u16(), 200);
    let body: Value = r.json().await.expect("json");
    assert_eq!(body["location"], format!("/agreements/{id}"));
    assert_eq!(owner.flash().await, "Version 1 of the executed document is stored.");
    app.stop().await;
}
