//! Evidence packets through the app: generated in the background for a day, the PDF reads
//! right, the bundle verifies (and a changed byte is named), a past day differs from today,
//! the verify-packet command's exit codes, and who may generate and download.

use crate::documents::{pdf, signed_agreement, upload};
use crate::helpers::{Client, TestApp};
use crate::seed::{coverage, Seed};
use baa_core::account::Role;
use serde_json::Value;
use std::io::{Cursor, Read, Write};

pub async fn packets(c: &Client) -> Vec<Value> {
    let r = c.api("packets_page").await;
    assert_eq!(r.status, 200, "{}", r.body);
    let v: Value = serde_json::from_str(&r.body).expect("json");
    v["packets"].as_array().expect("packets").clone()
}

/// Asks for a packet as of `as_of` and waits until it is done; returns the packet row.
pub async fn generate(c: &Client, as_of: &str) -> Value {
    let seen: Vec<Value> = packets(c).await.iter().map(|p| p["id"].clone()).collect();
    let r = c.post("/actions/packets/create", &[("as_of", as_of)]).await;
    assert_eq!(r.status, 303, "{}", r.body);
    assert_eq!(r.location(), "/packets");
    for _ in 0..600 {
        let list = packets(c).await;
        assert_eq!(list.len(), seen.len() + 1);
        // Packets made in the same second have no set order: take the one that is new.
        let p = list.iter().find(|p| !seen.contains(&p["id"])).cloned().expect("the new packet");
        match p["status"].as_str() {
            Some("done") => return p,
            Some("failed") => panic!("packet failed: {p}"),
            _ => tokio::time::sleep(std::time::Duration::from_millis(100)).await,
        }
    }
    panic!("packet not done within a minute");
}

/// Downloads `pdf` or `zip` of packet `id` (the POST that records it, then the link).
async fn bytes(c: &Client, id: &str, file: &str) -> (u16, reqwest::header::HeaderMap, Vec<u8>) {
    c.download_packet(id, file).await
}

pub fn pdftotext(pdf: &[u8]) -> String {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("p.pdf");
    std::fs::write(&path, pdf).expect("write");
    let out = std::process::Command::new("pdftotext").arg(&path).arg("-").output().expect("pdftotext");
    assert!(out.status.success());
    String::from_utf8_lossy(&out.stdout).split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The bundle with one byte of `target` changed.
fn tamper(zip_bytes: &[u8], target: &str) -> Vec<u8> {
    let mut archive = zip::ZipArchive::new(Cursor::new(zip_bytes)).expect("zip");
    let mut out = zip::ZipWriter::new(Cursor::new(Vec::new()));
    for i in 0..archive.len() {
        let mut f = archive.by_index(i).expect("entry");
        let name = f.name().expect("name").to_string();
        let mut content = Vec::new();
        f.read_to_end(&mut content).expect("read");
        if name == target {
            let mid = content.len() / 2;
            content[mid] ^= 0x01;
        }
        out.start_file(name, zip::write::SimpleFileOptions::default()).expect("start");
        out.write_all(&content).expect("write");
    }
    out.finish().expect("finish").into_inner()
}

#[tokio::test]
async fn owner_generates_a_packet_that_reads_right_and_verifies() {
    let app = TestApp::spawn().await;
    let owner = app.owner().await;
    let s = Seed::new(&owner);
    s.acme_production().await;
    s.acme_uploads().save().await;
    let agreement = signed_agreement(&owner).await;
    let doc = pdf("signed fly baa");
    let (status, flash) = upload(&owner, &agreement, "fly-baa-signed.pdf", doc.clone()).await;
    assert_eq!(status, 303, "{flash}");
    let doc_sha = hex::encode(<sha2::Sha256 as sha2::Digest>::digest(&doc));
    let cov = coverage(&owner, "").await;
    let rule = cov["report"]["findings"][0]["rule"].as_str().expect("a finding").to_string();

    let now = chrono::Utc::now().date_naive();
    let (today, today_long) = (now.to_string(), now.format("%-d %B %Y").to_string());
    let p = generate(&owner, "").await;
    assert_eq!(p["as_of"], today.as_str());
    let id = p["id"].as_str().expect("id").to_string();

    // The PDF.
    let (status, headers, pdf_bytes) = bytes(&owner, &id, "pdf").await;
    assert_eq!(status, 200);
    assert_eq!(headers["content-type"], "application/pdf");
    assert_eq!(headers["x-content-type-options"], "nosniff");
    let disposition = headers["content-disposition"].to_str().expect("ascii");
    assert!(disposition.starts_with("attachment;") && disposition.contains(".pdf"), "{disposition}");
    assert!(pdf_bytes.starts_with(b"%PDF-"));
    assert_eq!(
        p["pdf_sha256"].as_str(),
        Some(hex::encode(<sha2::Sha256 as sha2::Digest>::digest(&pdf_bytes)).as_str())
    );
    let text = pdftotext(&pdf_bytes);
    for needle in
        ["Acme Health", today_long.as_str(), "Fly.io BAA", doc_sha.as_str(), rule.as_str(), "acme-uploads"]
    {
        assert!(text.contains(needle), "{needle} missing from the packet PDF");
    }

    // The bundle verifies; a changed byte is named.
    let (status, headers, zip_bytes) = bytes(&owner, &id, "zip").await;
    assert_eq!(status, 200);
    assert_eq!(headers["content-type"], "application/zip");
    assert!(zip_bytes.starts_with(b"PK"));
    let report = baa_backend::packet::verify_bundle(Cursor::new(&zip_bytes));
    assert!(report.is_ok(), "{}", baa_backend::packet::format_report(&report));
    let names: Vec<String> = zip::ZipArchive::new(Cursor::new(&zip_bytes))
        .expect("zip")
        .file_names()
        .map(|n| n.expect("name").to_string())
        .collect();
    let doc_entry = names
        .iter()
        .find(|n| n.starts_with("documents/") && n.contains("Fly.io BAA v1 fly-baa-signed"))
        .expect("the document is in the bundle, named by agreement and version")
        .clone();
    let bad = tamper(&zip_bytes, &doc_entry);
    let report = baa_backend::packet::verify_bundle(Cursor::new(&bad));
    assert!(!report.is_ok());
    assert!(baa_backend::packet::format_report(&report).contains(&doc_entry));

    // verify-packet exit codes.
    let dir = tempfile::tempdir().expect("tempdir");
    let (good_path, bad_path) = (dir.path().join("good.zip"), dir.path().join("bad.zip"));
    std::fs::write(&good_path, &zip_bytes).expect("write");
    std::fs::write(&bad_path, &bad).expect("write");
    let (mut out, mut err) = (Vec::new(), Vec::new());
    assert_eq!(server::cli::verify_packet(&good_path, &[], &mut out, &mut err), 0);
    let (mut out, mut err) = (Vec::new(), Vec::new());
    assert_eq!(server::cli::verify_packet(&bad_path, &[], &mut out, &mut err), 1);
    assert!(String::from_utf8_lossy(&out).contains(&doc_entry));
    let (mut out, mut err) = (Vec::new(), Vec::new());
    assert_eq!(server::cli::verify_packet(&dir.path().join("missing.zip"), &[], &mut out, &mut err), 2);

    // A day before the service and the agreement existed reads differently.
    let past = generate(&owner, "2026-01-15").await;
    let (_, _, past_pdf) = bytes(&owner, past["id"].as_str().expect("id"), "pdf").await;
    let past_text = pdftotext(&past_pdf);
    assert!(past_text.contains("15 January 2026"), "{}", &past_text[..past_text.len().min(1500)]);
    assert!(!past_text.contains("acme-uploads"), "the service did not exist yet");
    assert!(!past_text.contains(doc_sha.as_str()), "the document was not uploaded yet");

    // The audit trail records the request and the result.
    let (_, audit) = owner.export_audit().await;
    assert!(audit.contains("packet.requested") && audit.contains("packet.generated"));
    assert!(audit.contains("packet.downloaded"));

    // The page auto-refreshes only while a packet is being made.
    let (_, page) = owner.page("/packets").await;
    assert!(page.body.contains("Evidence packets"));
    assert!(!page.body.contains("http-equiv=\"refresh\""));
    app.stop().await;
}

#[tokio::test]
async fn engineers_cannot_generate_and_auditors_can_download() {
    let app = TestApp::spawn().await;
    let owner = app.owner().await;
    let p = generate(&owner, "").await;
    let id = p["id"].as_str().expect("id").to_string();
    let eng = app.member(&owner, Role::Engineer, "eng@acme-health.example").await;
    let r = eng.post("/actions/packets/create", &[("as_of", "")]).await;
    assert_eq!(r.status, 403);
    let (status, _, _) = bytes(&eng, &id, "pdf").await;
    assert_eq!(status, 403);
    let auditor = app.member(&owner, Role::Auditor, "audit@acme-health.example").await;
    let (status, _, body) = bytes(&auditor, &id, "zip").await;
    assert_eq!(status, 200);
    let report = baa_backend::packet::verify_bundle(Cursor::new(&body));
    assert!(report.is_ok(), "{}", baa_backend::packet::format_report(&report));
    let (status, _, body) = bytes(&auditor, &id, "pdf").await;
    assert_eq!(status, 200);
    assert!(body.starts_with(b"%PDF-"));
    // A future day is refused.
    let r = owner.post("/actions/packets/create", &[("as_of", "2999-01-01")]).await;
    assert_eq!(r.status, 303);
    assert!(packets(&owner).await.len() == 1, "nothing queued for a future day");
    app.stop().await;
}

#[tokio::test]
async fn fly_io_is_a_business_associate_with_its_contact_and_the_manifest_hash_is_on_the_page() {
    let app = TestApp::spawn().await;
    let owner = app.owner().await;
    let legal = app.member(&owner, Role::Legal, "legal@acme-health.example").await;
    let eng = app.member(&owner, Role::Engineer, "eng@acme-health.example").await;
    let s = Seed::new(&owner);
    s.org("acme-prod").save().await;
    s.app("acme-api", "acme-prod").regions("iad").save().await;
    // Legal (and owners) record the vendor's contact; engineers cannot.
    let facts = [("vendor", "fly"), ("contact", "Fly.io Legal, baa@fly.example"), ("downstream", "unknown")];
    assert_eq!(eng.post("/actions/vendors/facts", &facts).await.status, 403);
    let r = legal.post("/actions/vendors/facts", &facts).await;
    assert_eq!(r.status, 303, "{}", r.body);
    let (_, page) = legal.page("/vendors").await;
    assert!(page.body.contains("Fly.io Legal, baa@fly.example"));

    let p = generate(&owner, "").await;
    let id = p["id"].as_str().expect("id").to_string();
    let (_, _, pdf_bytes) = bytes(&owner, &id, "pdf").await;
    let text = pdftotext(&pdf_bytes);
    // The business associates table (after the contents page) names Fly.io with its contact.
    let table =
        text.match_indices("Business associate Services Contact").last().map(|(i, _)| i).expect("the table");
    let rest = &text[table..];
    let fly = rest.find("Fly.io").expect("Fly.io is listed");
    assert!(rest[fly..].contains("Fly.io Legal, baa@fly.example"), "{}", &rest[..rest.len().min(800)]);
    assert!(rest[fly..].contains("acme-api"), "with the service it runs");

    // The manifest hash verify-packet prints is shown on the packets page.
    let manifest = p["manifest_sha256"].as_str().expect("manifest hash").to_string();
    let (_, page) = owner.page("/packets").await;
    assert!(page.body.contains(&format!("data-manifest=\"{manifest}\"")), "{}", page.body);
    let (_, _, zip_bytes) = bytes(&owner, &id, "zip").await;
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("bundle.zip");
    std::fs::write(&path, &zip_bytes).expect("write");
    let (mut out, mut err) = (Vec::new(), Vec::new());
    assert_eq!(server::cli::verify_packet(&path, &[], &mut out, &mut err), 0);
    assert!(String::from_utf8_lossy(&out).contains(&format!("SHA-256 {manifest}")));
    std::fs::write("/tmp/fly-ba-packet.pdf", &pdf_bytes).ok();
    app.stop().await;
}
