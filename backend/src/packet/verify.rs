//! Offline check of an evidence bundle: the Ed25519 signature over the manifest (and, when
//! trusted keys are given, that it was made by one of them), every file against the manifest
//! (size and SHA-256), files the manifest does not list or lists but the ZIP lacks, and the
//! audit excerpt's hash chain (each entry points to the one before it and its hash
//! recomputes). The report names exactly what does not match, and the key that signed.

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::io::{Read, Seek};

use serde::Serialize;
use sha2::{Digest, Sha256};
use zip::result::ZipError;
use zip::ZipArchive;

use super::bundle::{Manifest, AUDIT_NAME, FORMAT, MANIFEST_NAME};
use super::signature::{ManifestSignature, PublicKey, SIGNATURE_NAME};
use crate::audit;

/// One thing that does not match.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "problem", rename_all = "kebab-case")]
pub enum Problem {
    /// The input is not a readable ZIP.
    NotAZip {
        /// Why.
        reason: String,
    },
    /// `manifest.json` is missing or not a manifest.
    BadManifest {
        /// Why.
        reason: String,
    },
    /// The ZIP holds two entries with the same name (an extractor would show only one).
    DuplicateEntries,
    /// A listed file's bytes do not hash to the recorded SHA-256.
    HashMismatch {
        /// Path in the ZIP.
        path: String,
        /// SHA-256 in the manifest.
        expected: String,
        /// SHA-256 of the bytes in the ZIP.
        actual: String,
    },
    /// A listed file's size differs from the recorded one.
    SizeMismatch {
        /// Path in the ZIP.
        path: String,
        /// Size in the manifest.
        expected: u64,
        /// Size in the ZIP.
        actual: u64,
    },
    /// A listed file cannot be read back (damaged data: the ZIP's own checksum fails).
    Unreadable {
        /// Path in the ZIP.
        path: String,
        /// Why.
        reason: String,
    },
    /// Listed in the manifest, absent from the ZIP.
    Missing {
        /// Path in the manifest.
        path: String,
    },
    /// In the ZIP, not listed in the manifest.
    Unlisted {
        /// Path in the ZIP.
        path: String,
    },
    /// A line of the audit excerpt is not an audit entry.
    AuditLineInvalid {
        /// Line number, from 1.
        line: usize,
        /// Why.
        reason: String,
    },
    /// An audit entry does not follow the one before it.
    AuditSequenceGap {
        /// Sequence number expected.
        expected: i64,
        /// Sequence number found.
        found: i64,
    },
    /// An audit entry's `prev_hash` is not the hash of the entry before it.
    AuditLinkBroken {
        /// The entry.
        seq: i64,
        /// Hash of the entry before it (or the genesis hash for entry 1).
        expected: String,
        /// Its `prev_hash`.
        actual: String,
    },
    /// An audit entry's content does not hash to its recorded hash (it was changed).
    AuditHashMismatch {
        /// The entry.
        seq: i64,
        /// Its recorded hash.
        expected: String,
        /// The hash its content computes to.
        actual: String,
    },
    /// The excerpt does not end where the manifest says (entries removed or added at the end).
    AuditExtentMismatch {
        /// What the manifest records.
        expected: String,
        /// What the excerpt holds.
        actual: String,
    },
}

/// What the manifest's signature says.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(tag = "state", rename_all = "kebab-case")]
pub enum SignatureCheck {
    /// The bundle has no `manifest.sig`.
    #[default]
    Missing,
    /// The signature matches the manifest's bytes.
    Valid {
        /// The key that made it.
        key_id: String,
        /// That key, base64.
        public_key: String,
        /// Whether the key is one of the trusted keys given; `None` when none were given (the
        /// key is then only named: anyone can sign with a key of their own).
        trusted: Option<bool>,
    },
    /// The signature is there but does not match.
    Invalid {
        /// Why.
        reason: String,
    },
}

impl SignatureCheck {
    /// Whether it holds: valid, and by a trusted key when trusted keys were given.
    pub fn holds(&self) -> bool {
        matches!(self, SignatureCheck::Valid { trusted: None | Some(true), .. })
    }
}

/// The outcome of [`verify_bundle`].
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct VerifyReport {
    /// Packet id from the manifest.
    pub packet_id: Option<String>,
    /// Workspace name from the manifest.
    pub workspace_name: Option<String>,
    /// As-of date from the manifest.
    pub as_of: Option<String>,
    /// SHA-256 of `manifest.json` itself: compare it with the one recorded when the packet was
    /// made, since whoever can change a file can also rewrite the manifest.
    pub manifest_sha256: Option<String>,
    /// Files listed in the manifest that were checked.
    pub files_checked: usize,
    /// Audit entries checked.
    pub audit_entries_checked: usize,
    /// The manifest's signature.
    pub signature: SignatureCheck,
    /// Everything else that does not match; empty when the files and the audit excerpt are
    /// intact.
    pub problems: Vec<Problem>,
}

impl VerifyReport {
    /// Whether nothing failed: no problem, and a signature that holds.
    pub fn is_ok(&self) -> bool {
        self.problems.is_empty() && self.signature.holds()
    }
}

/// Size and SHA-256 of a file, and its bytes when they were asked for.
struct Hashed {
    size: u64,
    sha256: String,
    bytes: Option<Vec<u8>>,
}

/// Streams `r` through SHA-256; keeps the bytes only when asked (the manifest, the audit
/// excerpt), so large documents are never held whole.
fn read_hashed(r: &mut impl Read, keep: bool) -> std::io::Result<Hashed> {
    let mut hasher = Sha256::new();
    let mut size = 0_u64;
    let mut kept = keep.then(Vec::new);
    let mut buf = vec![0_u8; 64 * 1024];
    loop {
        let n = match r.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        hasher.update(&buf[..n]);
        if let Some(k) = kept.as_mut() {
            k.extend_from_slice(&buf[..n]);
        }
        size += n as u64;
    }
    Ok(Hashed { size, sha256: hex::encode(hasher.finalize()), bytes: kept })
}

/// Checks a bundle read from `reader`, offline, naming the key that signed it without
/// judging it (see [`verify_bundle_with`]).
pub fn verify_bundle(reader: impl Read + Seek) -> VerifyReport {
    verify_bundle_with(reader, &[])
}

/// Checks a bundle read from `reader`, offline; when `trusted` is not empty, the manifest must
/// be signed by one of those keys (the server's published keys). Never fails: whatever cannot
/// be checked is a problem in the report.
pub fn verify_bundle_with(reader: impl Read + Seek, trusted: &[PublicKey]) -> VerifyReport {
    let mut report = VerifyReport::default();
    let mut zip = match ZipArchive::new(reader) {
        Ok(z) => z,
        Err(e) => {
            report.problems.push(Problem::NotAZip { reason: e.to_string() });
            return report;
        }
    };
    if zip.has_duplicate_names() {
        report.problems.push(Problem::DuplicateEntries);
    }
    let mut in_zip: BTreeSet<String> = BTreeSet::new();
    for i in 0..zip.len() {
        match zip.by_index(i) {
            Ok(f) if f.is_dir() => {}
            Ok(f) => {
                in_zip.insert(String::from_utf8_lossy(f.name_raw()).into_owned());
            }
            Err(e) => report.problems.push(Problem::NotAZip { reason: e.to_string() }),
        }
    }

    // The manifest.
    let manifest_bytes = match zip.by_name(MANIFEST_NAME) {
        Ok(mut f) => match read_hashed(&mut f, true) {
            Ok(h) => {
                report.manifest_sha256 = Some(h.sha256);
                h.bytes.unwrap_or_default()
            }
            Err(e) => {
                report.problems.push(Problem::BadManifest { reason: format!("cannot be read: {e}") });
                return report;
            }
        },
        Err(_) => {
            report.problems.push(Problem::BadManifest { reason: format!("{MANIFEST_NAME} is missing") });
            return report;
        }
    };
    let manifest: Manifest = match serde_json::from_slice(&manifest_bytes) {
        Ok(m) => m,
        Err(e) => {
            report.problems.push(Problem::BadManifest { reason: format!("not a bundle manifest: {e}") });
            return report;
        }
    };
    report.signature = match zip.by_name(SIGNATURE_NAME) {
        Err(_) => SignatureCheck::Missing,
        Ok(mut f) => match read_hashed(&mut f, true) {
            Err(e) => SignatureCheck::Invalid { reason: format!("{SIGNATURE_NAME} cannot be read: {e}") },
            Ok(h) => match serde_json::from_slice::<ManifestSignature>(&h.bytes.unwrap_or_default()) {
                Err(e) => {
                    SignatureCheck::Invalid { reason: format!("{SIGNATURE_NAME} is not a signature: {e}") }
                }
                Ok(sig) => match sig.check(&manifest_bytes) {
                    Err(reason) => SignatureCheck::Invalid { reason },
                    Ok(key) => SignatureCheck::Valid {
                        trusted: (!trusted.is_empty()).then(|| trusted.iter().any(|t| t == &key)),
                        key_id: key.key_id,
                        public_key: key.public_key,
                    },
                },
            },
        },
    };
    if manifest.format != FORMAT {
        report.problems.push(Problem::BadManifest {
            reason: format!("format is {:?}, expected {FORMAT:?}", manifest.format),
        });
    }
    report.packet_id = Some(manifest.packet.packet_id.clone());
    report.workspace_name = Some(manifest.packet.workspace_name.clone());
    report.as_of = Some(manifest.packet.as_of.to_string());

    // Every listed file.
    let mut listed: BTreeSet<String> = BTreeSet::new();
    let mut audit_bytes: Option<Vec<u8>> = None;
    for file in &manifest.files {
        listed.insert(file.path.clone());
        let mut entry = match zip.by_name(&file.path) {
            Ok(e) => e,
            Err(ZipError::FileNotFound) => {
                report.problems.push(Problem::Missing { path: file.path.clone() });
                continue;
            }
            Err(e) => {
                report.problems.push(Problem::Unreadable { path: file.path.clone(), reason: e.to_string() });
                continue;
            }
        };
        report.files_checked += 1;
        match read_hashed(&mut entry, file.path == AUDIT_NAME) {
            Ok(h) => {
                if h.size != file.size {
                    report.problems.push(Problem::SizeMismatch {
                        path: file.path.clone(),
                        expected: file.size,
                        actual: h.size,
                    });
                }
                if !h.sha256.eq_ignore_ascii_case(&file.sha256) {
                    report.problems.push(Problem::HashMismatch {
                        path: file.path.clone(),
                        expected: file.sha256.clone(),
                        actual: h.sha256,
                    });
                }
                if h.bytes.is_some() {
                    audit_bytes = h.bytes;
                }
            }
            Err(e) => {
                report.problems.push(Problem::Unreadable { path: file.path.clone(), reason: e.to_string() })
            }
        }
    }
    for path in &in_zip {
        if path != MANIFEST_NAME && path != SIGNATURE_NAME && !listed.contains(path) {
            report.problems.push(Problem::Unlisted { path: path.clone() });
        }
    }

    if let Some(bytes) = audit_bytes {
        check_audit(&bytes, &manifest, &mut report);
    } else if !listed.contains(AUDIT_NAME) && !in_zip.contains(AUDIT_NAME) {
        report.problems.push(Problem::Missing { path: AUDIT_NAME.to_string() });
    }
    report
}

fn check_audit(jsonl: &[u8], manifest: &Manifest, report: &mut VerifyReport) {
    let workspace = &manifest.packet.workspace_id;
    let mut prev: Option<audit::Entry> = None;
    let mut first_seq = None;
    for (i, line) in jsonl.split(|&b| b == b'\n').enumerate() {
        if line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        let e: audit::Entry = match serde_json::from_slice(line) {
            Ok(e) => e,
            Err(err) => {
                report.problems.push(Problem::AuditLineInvalid { line: i + 1, reason: err.to_string() });
                // The chain cannot be followed past an unreadable entry.
                prev = None;
                continue;
            }
        };
        report.audit_entries_checked += 1;
        first_seq.get_or_insert(e.seq);
        let expected_prev = match &prev {
            Some(p) => {
                if e.seq != p.seq + 1 {
                    report.problems.push(Problem::AuditSequenceGap { expected: p.seq + 1, found: e.seq });
                }
                Some(p.hash.clone())
            }
            // An excerpt may start mid-chain; only the first entry of a chain has a known
            // predecessor.
            None if e.seq == 1 => Some(audit::GENESIS.to_string()),
            None => None,
        };
        if let Some(expected) = expected_prev {
            if e.prev_hash != expected {
                report.problems.push(Problem::AuditLinkBroken {
                    seq: e.seq,
                    expected,
                    actual: e.prev_hash.clone(),
                });
            }
        }
        let actual = audit::entry_hash(workspace, &e);
        if actual != e.hash {
            report.problems.push(Problem::AuditHashMismatch { seq: e.seq, expected: e.hash.clone(), actual });
        }
        prev = Some(e);
    }
    let a = &manifest.audit;
    let got_last = prev.as_ref().map(|p| p.seq);
    let got_hash = prev.as_ref().map(|p| p.hash.as_str()).unwrap_or("");
    if a.entries != report.audit_entries_checked
        || a.last_seq != got_last
        || a.first_seq != first_seq
        || a.last_hash != got_hash
    {
        let show = |n: usize, f: Option<i64>, l: Option<i64>, h: &str| {
            format!(
                "{n} entries, seq {} to {}, last hash {}",
                f.map_or("-".into(), |x| x.to_string()),
                l.map_or("-".into(), |x| x.to_string()),
                if h.is_empty() { "-" } else { h }
            )
        };
        report.problems.push(Problem::AuditExtentMismatch {
            expected: show(a.entries, a.first_seq, a.last_seq, &a.last_hash),
            actual: show(report.audit_entries_checked, first_seq, got_last, got_hash),
        });
    }
}

/// The report as text for a terminal: a verdict line, what was checked, then one entry per
/// problem with the file or audit entry and the expected and actual values.
pub fn format_report(r: &VerifyReport) -> String {
    let mut out = String::new();
    let n = r.problems.len() + usize::from(!r.signature.holds());
    if r.is_ok() {
        out.push_str("Evidence bundle: INTACT\n");
    } else {
        let _ = writeln!(out, "Evidence bundle: NOT INTACT ({n} problem{})", if n == 1 { "" } else { "s" });
    }
    if let Some(id) = &r.packet_id {
        let _ = writeln!(
            out,
            "  packet      {id} ({}, as of {})",
            r.workspace_name.as_deref().unwrap_or("?"),
            r.as_of.as_deref().unwrap_or("?")
        );
    }
    if let Some(sha) = &r.manifest_sha256 {
        let _ = writeln!(out, "  manifest    SHA-256 {sha}");
        out.push_str(
            "              (the packets page and the audit trail record it when the packet is made)\n",
        );
    }
    let _ = match &r.signature {
        SignatureCheck::Valid { key_id, trusted: Some(true), .. } => {
            writeln!(out, "  signature   valid, by Ed25519 key {key_id} (one of the trusted keys given)")
        }
        SignatureCheck::Valid { key_id, trusted: None, .. } => writeln!(
            out,
            "  signature   valid, by Ed25519 key {key_id}\n              (not compared with a published key: pass --server URL or --public-key KEY,\n               or compare {key_id} with the key on the app's packets page)"
        ),
        SignatureCheck::Valid { key_id, trusted: Some(false), .. } => writeln!(
            out,
            "  signature   by Ed25519 key {key_id}, which is NOT one of the trusted keys given"
        ),
        SignatureCheck::Invalid { reason } => writeln!(out, "  signature   INVALID: {reason}"),
        SignatureCheck::Missing => {
            writeln!(out, "  signature   MISSING: the bundle has no {SIGNATURE_NAME}, so its manifest is not anchored")
        }
    };
    let _ = writeln!(out, "  files       {} checked against the manifest", r.files_checked);
    let _ = writeln!(out, "  audit       {} entries checked", r.audit_entries_checked);
    if n > 0 {
        out.push_str("\nProblems:\n");
    }
    for p in &r.problems {
        let _ = match p {
            Problem::NotAZip { reason } => writeln!(out, "  - not a readable ZIP: {reason}"),
            Problem::BadManifest { reason } => writeln!(out, "  - {MANIFEST_NAME}: {reason}"),
            Problem::DuplicateEntries => writeln!(out, "  - the ZIP holds two entries with the same name"),
            Problem::HashMismatch { path, expected, actual } => writeln!(
                out,
                "  - {path}: SHA-256 does not match\n      expected {expected}\n      actual   {actual}"
            ),
            Problem::SizeMismatch { path, expected, actual } => {
                writeln!(out, "  - {path}: size does not match (expected {expected} bytes, actual {actual})")
            }
            Problem::Unreadable { path, reason } => {
                writeln!(out, "  - {path}: cannot be read back ({reason}); the file is damaged or was altered")
            }
            Problem::Missing { path } => writeln!(out, "  - {path}: listed in the manifest but missing from the bundle"),
            Problem::Unlisted { path } => writeln!(out, "  - {path}: in the bundle but not listed in the manifest"),
            Problem::AuditLineInvalid { line, reason } => {
                writeln!(out, "  - {AUDIT_NAME} line {line}: not an audit entry ({reason})")
            }
            Problem::AuditSequenceGap { expected, found } => {
                writeln!(out, "  - audit entry {found}: expected entry {expected} here (entries missing or reordered)")
            }
            Problem::AuditLinkBroken { seq, expected, actual } => writeln!(
                out,
                "  - audit entry {seq}: does not point to the entry before it\n      expected prev_hash {expected}\n      actual   prev_hash {actual}"
            ),
            Problem::AuditHashMismatch { seq, expected, actual } => writeln!(
                out,
                "  - audit entry {seq}: content does not match its hash (changed after it was written)\n      recorded {expected}\n      computed {actual}"
            ),
            Problem::AuditExtentMismatch { expected, actual } => writeln!(
                out,
                "  - {AUDIT_NAME}: does not hold what the manifest records\n      expected {expected}\n      actual   {actual}"
            ),
        };
    }
    out
}
