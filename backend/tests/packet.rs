//! Evidence packets: the PDF reads right (checked through poppler's pdftotext, as a person
//! would copy it), and a bundle verifies when intact and names exactly what was changed.
#![expect(clippy::unwrap_used, reason = "tests fail loudly on bad fixtures")]

#[path = "packet_fixture/mod.rs"]
mod packet_fixture;

use std::io::{Cursor, Read, Write};
use std::process::Command;

use baa_backend::packet::{
    build_bundle, format_report, render_pdf, verify_bundle, BundleWriter, Manifest, PacketMeta, Problem,
    AUDIT_NAME, MANIFEST_NAME, PDF_NAME,
};
use packet_fixture::{fixture, ACCENTED, CJK, HANGUL};
use sha2::{Digest, Sha256};

/// Text of pages `first..=last` (1-based) of a PDF, as `pdftotext` extracts it.
fn pdftotext(pdf: &[u8], pages: Option<(usize, usize)>) -> String {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("p.pdf");
    std::fs::write(&path, pdf).unwrap();
    let mut cmd = Command::new("pdftotext");
    if let Some((first, last)) = pages {
        cmd.args(["-f", &first.to_string(), "-l", &last.to_string()]);
    }
    let out = cmd.arg(&path).arg("-").output().expect("pdftotext (poppler-utils) must be installed");
    assert!(out.status.success(), "pdftotext failed: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap()
}

fn page_count(pdf: &[u8]) -> usize {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("p.pdf");
    std::fs::write(&path, pdf).unwrap();
    let out = Command::new("pdfinfo").arg(&path).output().unwrap();
    let info = String::from_utf8(out.stdout).unwrap();
    info.lines().find_map(|l| l.strip_prefix("Pages:")).unwrap().trim().parse().unwrap()
}

#[test]
fn pdf_shows_every_section_names_in_any_script_and_the_hashes() {
    let fx = fixture(4, 12, 30, 12);
    let pdf = render_pdf(&fx.data).unwrap();
    assert!(pdf.starts_with(b"%PDF-"));
    // Wrapped lines joined, as a reader reads them.
    let text = pdftotext(&pdf, None).split_whitespace().collect::<Vec<_>>().join(" ");
    for expected in [
        "Evidence packet",
        "Acme Telehealth Inc.",
        "As of 22 November 2026",
        "Evidence packet as of 22 November 2026",
        "Zoë Åkesson <zoe@acme-telehealth.example>",
        "pkt_2026-11-22_01JD8Q",
        "Contents",
        "Summary",
        "Business associates",
        "Coverage",
        "Relationship graph",
        "Agreements",
        "Open findings",
        "Audit trail excerpt",
        ACCENTED,
        CJK,
        HANGUL,
        "Fly.io Business Associate Agreement",
        "Required clauses",
        "§ 2.1 / p. 1",
        "uncovered-service",
        "Upgrade the Sentry org to Business",
    ] {
        assert!(text.contains(expected), "missing {expected:?} in:\n{text}");
    }
    // Every executed document's SHA-256, the audit hashes and the chain head, whole.
    for doc in fx.data.agreements.iter().flat_map(|a| &a.documents) {
        assert!(text.contains(&doc.sha256), "document hash {} missing", doc.sha256);
    }
    for e in &fx.data.audit.entries {
        assert!(text.contains(&e.hash), "audit hash of entry {} missing", e.seq);
    }
    assert!(text.contains(&fx.data.audit.head_hash));
    assert!(text.contains(&fx.data.content_sha256().unwrap()));
    let pages = page_count(&pdf);
    assert!(text.contains(&format!("Page 1 of {pages}")));
    assert!(text.contains(&format!("Page {pages} of {pages}")));
}

#[test]
fn pdf_embeds_only_subset_fonts_and_stays_small() {
    let fx = fixture(4, 12, 30, 12);
    let pdf = render_pdf(&fx.data).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("p.pdf");
    std::fs::write(&path, &pdf).unwrap();
    let out = Command::new("pdffonts").arg(&path).output().unwrap();
    let fonts = String::from_utf8(out.stdout).unwrap();
    // Header, rule, then one line per font: regular, bold, mono and the CJK and Hangul
    // fallbacks, each embedded (emb), subset (sub) and mapped back to Unicode (uni).
    let rows: Vec<&str> = fonts.lines().skip(2).collect();
    assert_eq!(rows.len(), 5, "{fonts}");
    for row in rows {
        let cols: Vec<&str> = row.split_whitespace().collect();
        assert!(cols[0].len() > 7 && &cols[0][6..7] == "+", "not named as a subset: {row}");
        assert!(
            cols.ends_with(&["yes", "yes", "yes", cols[cols.len() - 2], "0"]),
            "not embedded, subset and mapped: {row}"
        );
    }
    // The fallback font alone is 4 MB; subset, the whole packet is far smaller.
    assert!(pdf.len() < 400_000, "PDF is {} bytes", pdf.len());
}

#[test]
fn a_table_that_breaks_across_pages_repeats_its_header() {
    let fx = fixture(2, 12, 140, 3);
    let pdf = render_pdf(&fx.data).unwrap();
    let pages = page_count(&pdf);
    let first = (1..=pages)
        .find(|&p| pdftotext(&pdf, Some((p, p))).contains("Postgres 1\n"))
        .expect("the coverage table starts somewhere");
    let next = pdftotext(&pdf, Some((first + 1, first + 1)));
    assert!(next.contains("Coverage (continued)"), "{next}");
    for header in ["Service", "App", "Org", "Vendor", "Plan", "PHI", "Verdict", "Chain"] {
        assert!(
            next.lines().any(|l| l.trim() == header),
            "header {header:?} not repeated on page {}:\n{next}",
            first + 1
        );
    }
    // Rows continue where the last page stopped, none lost (a name may wrap inside its cell).
    let all = pdftotext(&pdf, None).split_whitespace().collect::<Vec<_>>().join(" ");
    for row in &fx.data.coverage {
        assert!(all.contains(&format!("{} ", row.service)), "row {} missing", row.service);
    }
}

#[test]
fn an_empty_packet_and_overlong_text_still_render() {
    let mut fx = fixture(0, 0, 0, 0);
    fx.data.graph = Default::default();
    fx.data.business_associates.clear();
    fx.data.workspace_name = "Tab\tand\nnewline Workspace".into();
    // A finding far longer than a page: its row is split across pages, nothing is lost.
    let words: Vec<String> = (0..2_500).map(|i| format!("word{i}")).collect();
    fx.data.findings.truncate(1);
    fx.data.findings[0].message = words.join(" ");
    let pdf = render_pdf(&fx.data).unwrap();
    let text = pdftotext(&pdf, None).split_whitespace().collect::<Vec<_>>().join(" ");
    for expected in [
        "No business associates are recorded.",
        "No services are recorded.",
        "No parties are recorded.",
        "No agreements are recorded.",
        "Tab and newline Workspace",
        "word0 word1",
        "word2498 word2499",
        "Open findings (continued)",
    ] {
        assert!(text.contains(expected), "missing {expected:?}");
    }
    // The data round-trips as JSON, so it can be stored with a background job.
    let json = serde_json::to_string(&fx.data).unwrap();
    assert_eq!(serde_json::from_str::<baa_backend::packet::PacketData>(&json).unwrap(), fx.data);
}

fn bundle() -> (Vec<u8>, packet_fixture::Fixture) {
    let fx = fixture(3, 8, 10, 6);
    let pdf = render_pdf(&fx.data).unwrap();
    let zip = build_bundle(
        &pdf,
        &fx.documents,
        &fx.audit_jsonl,
        &PacketMeta::of(&fx.data),
        &baa_backend::packet::PacketKey::generate(),
    )
    .unwrap();
    (zip, fx)
}

fn entries(zip: &[u8]) -> Vec<(String, Vec<u8>)> {
    let mut archive = zip::ZipArchive::new(Cursor::new(zip)).unwrap();
    (0..archive.len())
        .map(|i| {
            let mut f = archive.by_index(i).unwrap();
            let mut bytes = Vec::new();
            f.read_to_end(&mut bytes).unwrap();
            (f.name().unwrap().to_string(), bytes)
        })
        .collect()
}

/// Writes a ZIP of `files` as given (to stage tampering).
fn zip_of(files: &[(String, Vec<u8>)]) -> Vec<u8> {
    let mut w = zip::ZipWriter::new(Cursor::new(Vec::new()));
    for (name, bytes) in files {
        w.start_file(name.as_str(), zip::write::SimpleFileOptions::default()).unwrap();
        w.write_all(bytes).unwrap();
    }
    w.finish().unwrap().into_inner()
}

/// Recomputes the manifest's hashes and sizes, as someone covering their tracks would.
fn rehash_manifest(files: &mut [(String, Vec<u8>)]) {
    let sums: Vec<(String, u64, String)> =
        files.iter().map(|(n, b)| (n.clone(), b.len() as u64, hex::encode(Sha256::digest(b)))).collect();
    let (_, manifest) = files.iter_mut().find(|(n, _)| n == MANIFEST_NAME).unwrap();
    let mut m: Manifest = serde_json::from_slice(manifest).unwrap();
    for f in &mut m.files {
        if let Some((_, size, sha)) = sums.iter().find(|(n, _, _)| *n == f.path) {
            f.size = *size;
            f.sha256 = sha.clone();
        }
    }
    *manifest = serde_json::to_vec_pretty(&m).unwrap();
}

#[test]
fn a_fresh_bundle_verifies_and_lists_every_file() {
    let (zip, fx) = bundle();
    let report = verify_bundle(Cursor::new(&zip));
    assert!(report.is_ok(), "{}", format_report(&report));
    assert_eq!(report.files_checked, 2 + fx.documents.len());
    assert_eq!(report.audit_entries_checked, 6);
    assert_eq!(report.packet_id.as_deref(), Some(fx.data.packet_id.as_str()));
    let text = format_report(&report);
    assert!(text.starts_with("Evidence bundle: INTACT"), "{text}");

    let names: Vec<String> = entries(&zip).into_iter().map(|(n, _)| n).collect();
    assert!(names.contains(&PDF_NAME.to_string()));
    assert!(names.contains(&AUDIT_NAME.to_string()));
    assert!(names.contains(&MANIFEST_NAME.to_string()));
    assert!(names.contains(&format!("documents/{CJK} BAA signed.pdf")), "{names:?}");
    // The manifest's hashes are those printed in the PDF.
    let (_, manifest) = entries(&zip).into_iter().find(|(n, _)| n == MANIFEST_NAME).unwrap();
    let m: Manifest = serde_json::from_slice(&manifest).unwrap();
    for doc in fx.data.agreements.iter().flat_map(|a| &a.documents) {
        assert!(m.files.iter().any(|f| f.sha256 == doc.sha256 && f.size == doc.size), "{}", doc.file_name);
    }
    assert_eq!(m.packet.workspace_id, fx.data.workspace_id);
    assert_eq!(m.audit.last_hash, fx.data.audit.head_hash);
}

#[test]
fn flipping_one_byte_of_one_file_names_that_file() {
    let (zip, fx) = bundle();
    let target = format!("documents/{}", fx.documents[1].0);
    let mut files = entries(&zip);
    let (_, bytes) = files.iter_mut().find(|(n, _)| *n == target).unwrap();
    let expected = hex::encode(Sha256::digest(&bytes[..]));
    bytes[40] ^= 0x01;
    let actual = hex::encode(Sha256::digest(&bytes[..]));
    let report = verify_bundle(Cursor::new(zip_of(&files)));
    assert_eq!(
        report.problems,
        vec![Problem::HashMismatch {
            path: target.clone(),
            expected: expected.clone(),
            actual: actual.clone()
        }]
    );
    let text = format_report(&report);
    assert!(text.contains(&target) && text.contains(&expected) && text.contains(&actual), "{text}");

    // The same flip made in the ZIP's own bytes: the ZIP checksum fails, and the file is named.
    let mut raw = zip.clone();
    let (start, len) = {
        let mut archive = zip::ZipArchive::new(Cursor::new(&zip)).unwrap();
        let f = archive.by_name(&target).unwrap();
        (f.data_start().unwrap() as usize, f.compressed_size() as usize)
    };
    raw[start + len / 2] ^= 0x01;
    let report = verify_bundle(Cursor::new(raw));
    assert!(!report.is_ok());
    let named: Vec<&Problem> = report
        .problems
        .iter()
        .filter(|p| matches!(p, Problem::Unreadable { path, .. } | Problem::HashMismatch { path, .. } if *path == target))
        .collect();
    assert_eq!(named.len(), report.problems.len(), "{}", format_report(&report));
}

#[test]
fn a_tampered_audit_line_is_detected_even_with_a_rewritten_manifest() {
    let (zip, _) = bundle();
    let mut files = entries(&zip);
    let (_, jsonl) = files.iter_mut().find(|(n, _)| n == AUDIT_NAME).unwrap();
    let text = String::from_utf8(jsonl.clone()).unwrap();
    let lines: Vec<String> = text
        .lines()
        .map(|l| {
            let mut v: serde_json::Value = serde_json::from_str(l).unwrap();
            if v["seq"] == 4 {
                v["actor_name"] = "Mallory".into();
            }
            v.to_string()
        })
        .collect();
    *jsonl = (lines.join("\n") + "\n").into_bytes();
    rehash_manifest(&mut files);
    let report = verify_bundle(Cursor::new(zip_of(&files)));
    assert_eq!(report.problems.len(), 1, "{}", format_report(&report));
    assert!(matches!(&report.problems[0], Problem::AuditHashMismatch { seq: 4, .. }));
    assert!(format_report(&report).contains("audit entry 4"));

    // Dropping an entry in the middle breaks the link of the next one.
    let mut files = entries(&zip);
    let (_, jsonl) = files.iter_mut().find(|(n, _)| n == AUDIT_NAME).unwrap();
    let text = String::from_utf8(jsonl.clone()).unwrap();
    *jsonl = (text.lines().filter(|l| !l.contains("\"seq\":3,")).collect::<Vec<_>>().join("\n") + "\n")
        .into_bytes();
    rehash_manifest(&mut files);
    let report = verify_bundle(Cursor::new(zip_of(&files)));
    assert!(
        report.problems.contains(&Problem::AuditSequenceGap { expected: 3, found: 4 }),
        "{}",
        format_report(&report)
    );
    assert!(report.problems.iter().any(|p| matches!(p, Problem::AuditLinkBroken { seq: 4, .. })));
}

#[test]
fn a_file_swapped_with_its_hash_rewritten_in_the_manifest_fails_the_signature() {
    let (zip, fx) = bundle();
    let target = format!("documents/{}", fx.documents[1].0);
    let mut files = entries(&zip);
    files.iter_mut().find(|(n, _)| *n == target).unwrap().1 = b"%PDF-1.4 forged".to_vec();
    rehash_manifest(&mut files);
    let report = verify_bundle(Cursor::new(zip_of(&files)));
    assert!(report.problems.is_empty(), "the files match the rewritten manifest");
    assert!(matches!(report.signature, baa_backend::packet::SignatureCheck::Invalid { .. }));
    assert!(!report.is_ok());
    let text = format_report(&report);
    assert!(
        text.starts_with("Evidence bundle: NOT INTACT") && text.contains("signature   INVALID"),
        "{text}"
    );
    // Re-signing with another key verifies only when no trusted key is given, and names it.
    let trusted = baa_backend::packet::PacketKey::generate().public();
    let report = baa_backend::packet::verify_bundle_with(Cursor::new(&zip), &[trusted]);
    assert!(!report.is_ok(), "a bundle signed by a key that is not trusted is refused");
}

#[test]
fn a_missing_or_unlisted_file_is_reported() {
    let (zip, fx) = bundle();
    let target = format!("documents/{}", fx.documents[0].0);
    let mut files: Vec<(String, Vec<u8>)> = entries(&zip).into_iter().filter(|(n, _)| *n != target).collect();
    files.push(("documents/extra.pdf".into(), b"%PDF-1.4 not listed".to_vec()));
    let report = verify_bundle(Cursor::new(zip_of(&files)));
    assert_eq!(
        report.problems,
        vec![
            Problem::Missing { path: target.clone() },
            Problem::Unlisted { path: "documents/extra.pdf".into() }
        ]
    );
    let text = format_report(&report);
    assert!(text.contains("NOT INTACT (2 problems)") && text.contains(&target), "{text}");

    let report = verify_bundle(Cursor::new(b"not a zip".to_vec()));
    assert!(matches!(report.problems[..], [Problem::NotAZip { .. }]));
}

#[test]
fn a_bundle_streams_into_a_file_and_verifies_from_it() {
    let fx = fixture(2, 4, 5, 3);
    let pdf = render_pdf(&fx.data).unwrap();
    let file = tempfile::tempfile().unwrap();
    let mut w = BundleWriter::new(file, PacketMeta::of(&fx.data));
    w.add_pdf(&pdf).unwrap();
    // A large document, read in pieces: it is never held whole by the writer.
    let big = std::io::repeat(b'x').take(20 * 1024 * 1024);
    assert_eq!(w.add_document("scan.pdf", big).unwrap(), "documents/scan.pdf");
    assert_eq!(w.add_document("scan.pdf", &b"%PDF-1.4 again"[..]).unwrap(), "documents/scan (2).pdf");
    assert_eq!(w.add_document("../../x/evil:name.pdf", &b"%PDF-1.4"[..]).unwrap(), "documents/evil_name.pdf");
    w.add_audit_excerpt(&fx.audit_jsonl).unwrap();
    let (mut file, _manifest_sha) = w.finish(&baa_backend::packet::PacketKey::generate()).unwrap();
    std::io::Seek::rewind(&mut file).unwrap();
    let report = verify_bundle(file);
    assert!(report.is_ok(), "{}", format_report(&report));
    assert_eq!(report.files_checked, 5);
}
