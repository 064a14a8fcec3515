//! The evidence bundle: one ZIP with the packet PDF, the executed documents, the audit excerpt
//! and `manifest.json`, which lists the size and SHA-256 of every other file so anyone can
//! re-check the bundle offline ([`crate::packet::verify_bundle`]), and `manifest.sig`, the
//! server's Ed25519 signature over the manifest's bytes (so rewriting a file and its hash in
//! the manifest is caught too).
//!
//! [`BundleWriter`] streams into any `Write + Seek` (a temporary file for large bundles): each
//! document is read once, hashed and compressed as it is copied, and never held whole in
//! memory. [`build_bundle`] is the in-memory shortcut.

use std::collections::HashSet;
use std::io::{Cursor, Read, Seek, Write};

use chrono::{DateTime, Datelike, NaiveDate, Timelike, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, ZipWriter};

use super::model::{PacketData, Person};
use super::signature::{PacketKey, SIGNATURE_NAME};
use crate::audit;

/// Name of the manifest in the ZIP.
pub const MANIFEST_NAME: &str = "manifest.json";
/// Name of the packet PDF in the ZIP.
pub const PDF_NAME: &str = "packet.pdf";
/// Name of the audit excerpt (JSON Lines of `audit::Entry`, oldest first) in the ZIP.
pub const AUDIT_NAME: &str = "audit-excerpt.jsonl";
/// Folder of the executed documents in the ZIP.
pub const DOCUMENTS_DIR: &str = "documents/";
/// Value of the manifest's `format` field.
pub const FORMAT: &str = "baa-tracker-evidence-bundle/1";

/// What the manifest says about the packet.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PacketMeta {
    /// Packet id.
    pub packet_id: String,
    /// Workspace id (audit entry hashes include it).
    pub workspace_id: String,
    /// Workspace name.
    pub workspace_name: String,
    /// The day the packet describes.
    pub as_of: NaiveDate,
    /// Who made it.
    pub generated_by: Person,
    /// When.
    pub generated_at: DateTime<Utc>,
    /// Hash of the last audit entry of the workspace when the packet was made.
    pub audit_head: String,
}

impl PacketMeta {
    /// The metadata of a packet.
    pub fn of(data: &PacketData) -> PacketMeta {
        PacketMeta {
            packet_id: data.packet_id.clone(),
            workspace_id: data.workspace_id.clone(),
            workspace_name: data.workspace_name.clone(),
            as_of: data.as_of,
            generated_by: data.generated_by.clone(),
            generated_at: data.generated_at,
            audit_head: data.audit.head_hash.clone(),
        }
    }
}

/// `manifest.json`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manifest {
    /// Always [`FORMAT`].
    pub format: String,
    /// The packet.
    #[serde(flatten)]
    pub packet: PacketMeta,
    /// The audit excerpt's extent, so a truncated excerpt is noticed.
    pub audit: AuditSummary,
    /// Every file of the bundle but the manifest, in the order written.
    pub files: Vec<ManifestFile>,
}

/// Extent of the audit excerpt.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditSummary {
    /// Entries in the excerpt.
    pub entries: usize,
    /// Sequence number of the first, if any.
    pub first_seq: Option<i64>,
    /// Sequence number of the last, if any.
    pub last_seq: Option<i64>,
    /// Hash of the last entry ("" when none).
    pub last_hash: String,
}

/// One file listed in the manifest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ManifestFile {
    /// Path in the ZIP.
    pub path: String,
    /// Bytes (uncompressed).
    pub size: u64,
    /// SHA-256 of the bytes, hex.
    pub sha256: String,
    /// For documents: the name it was uploaded with, when the path had to change it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub original_name: Option<String>,
}

/// Writes a bundle file by file; [`BundleWriter::finish`] adds the manifest. Files are
/// deflated; each must be under 4 GiB (no ZIP64), far above `DOCUMENT_MAX_MB`.
pub struct BundleWriter<W: Write + Seek> {
    zip: ZipWriter<W>,
    meta: PacketMeta,
    audit: Option<AuditSummary>,
    files: Vec<ManifestFile>,
    taken: HashSet<String>,
    options: SimpleFileOptions,
}

/// A file name safe to extract anywhere: no path, no control or reserved characters, no
/// leading dots, at most 120 characters; letters of any script are kept.
pub fn safe_name(name: &str) -> String {
    let base = name.rsplit(['/', '\\']).next().unwrap_or("");
    let cleaned: String = base
        .chars()
        .map(|c| if c.is_control() || matches!(c, '<' | '>' | ':' | '"' | '|' | '?' | '*') { '_' } else { c })
        .collect();
    let trimmed = cleaned.trim().trim_start_matches(['.', ' ']).trim_end_matches(['.', ' ']);
    let short: String = trimmed.chars().take(120).collect();
    if short.is_empty() {
        "document".to_string()
    } else {
        short
    }
}

fn zip_time(t: DateTime<Utc>) -> zip::DateTime {
    let convert = || -> Option<zip::DateTime> {
        zip::DateTime::from_date_and_time(
            u16::try_from(t.year()).ok()?,
            u8::try_from(t.month()).ok()?,
            u8::try_from(t.day()).ok()?,
            u8::try_from(t.hour()).ok()?,
            u8::try_from(t.minute()).ok()?,
            u8::try_from(t.second()).ok()?,
        )
        .ok()
    };
    convert().unwrap_or_default()
}

/// Reads the extent of a JSON Lines audit excerpt, refusing one that does not parse.
pub fn audit_summary(jsonl: &[u8]) -> Result<AuditSummary, anyhow::Error> {
    let mut s = AuditSummary::default();
    for line in jsonl.split(|&b| b == b'\n') {
        if line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        let e: audit::Entry = serde_json::from_slice(line)?;
        s.entries += 1;
        s.first_seq.get_or_insert(e.seq);
        s.last_seq = Some(e.seq);
        s.last_hash = e.hash;
    }
    Ok(s)
}

impl<W: Write + Seek> BundleWriter<W> {
    /// Starts a bundle in `out`.
    pub fn new(out: W, meta: PacketMeta) -> BundleWriter<W> {
        let options = SimpleFileOptions::default()
            .compression_method(CompressionMethod::Deflated)
            .last_modified_time(zip_time(meta.generated_at))
            .unix_permissions(0o644);
        BundleWriter {
            zip: ZipWriter::new(out),
            meta,
            audit: None,
            files: Vec::new(),
            taken: HashSet::new(),
            options,
        }
    }

    fn add(
        &mut self,
        path: String,
        original_name: Option<String>,
        mut content: impl Read,
    ) -> Result<(), anyhow::Error> {
        self.zip.start_file(path.as_str(), self.options)?;
        let mut hasher = Sha256::new();
        let mut size: u64 = 0;
        let mut buf = vec![0_u8; 64 * 1024];
        loop {
            let n = match content.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e.into()),
            };
            let chunk = &buf[..n];
            hasher.update(chunk);
            self.zip.write_all(chunk)?;
            size += n as u64;
        }
        self.taken.insert(path.clone());
        self.files.push(ManifestFile { path, size, sha256: hex::encode(hasher.finalize()), original_name });
        Ok(())
    }

    /// Adds the packet PDF as `packet.pdf`.
    pub fn add_pdf(&mut self, pdf: &[u8]) -> Result<(), anyhow::Error> {
        self.add(PDF_NAME.to_string(), None, pdf)
    }

    /// Adds the audit excerpt (JSON Lines of `audit::Entry`, oldest first) as
    /// `audit-excerpt.jsonl`; refuses one that does not parse.
    pub fn add_audit_excerpt(&mut self, jsonl: &[u8]) -> Result<(), anyhow::Error> {
        self.audit = Some(audit_summary(jsonl)?);
        self.add(AUDIT_NAME.to_string(), None, jsonl)
    }

    /// Adds an executed document, streamed from `content`, as `documents/<safe name>` (with
    /// " (2)", " (3)"... before the extension when the name is taken). Returns the path used.
    pub fn add_document(&mut self, name: &str, content: impl Read) -> Result<String, anyhow::Error> {
        let safe = safe_name(name);
        let (stem, ext) = match safe.rfind('.') {
            Some(i) if i > 0 => (&safe[..i], &safe[i..]),
            _ => (safe.as_str(), ""),
        };
        let mut path = format!("{DOCUMENTS_DIR}{safe}");
        let mut n = 2;
        while self.taken.contains(&path) {
            path = format!("{DOCUMENTS_DIR}{stem} ({n}){ext}");
            n += 1;
        }
        let original = (path != format!("{DOCUMENTS_DIR}{name}")).then(|| name.to_string());
        self.add(path.clone(), original, content)?;
        Ok(path)
    }

    /// Writes `manifest.json`, its signature `manifest.sig` and the ZIP directory; returns the
    /// output and the SHA-256 of the manifest (recorded in the audit trail).
    pub fn finish(mut self, key: &PacketKey) -> Result<(W, String), anyhow::Error> {
        let manifest = Manifest {
            format: FORMAT.to_string(),
            packet: self.meta,
            audit: self.audit.unwrap_or_default(),
            files: self.files,
        };
        let json = serde_json::to_vec_pretty(&manifest)?;
        let signature = serde_json::to_vec_pretty(&key.sign_manifest(&json))?;
        self.zip.start_file(MANIFEST_NAME, self.options)?;
        self.zip.write_all(&json)?;
        self.zip.start_file(SIGNATURE_NAME, self.options)?;
        self.zip.write_all(&signature)?;
        Ok((self.zip.finish()?, hex::encode(Sha256::digest(&json))))
    }
}

/// Builds a whole bundle in memory: `packet.pdf`, `documents/<safe name>` for each
/// (name, bytes), `audit-excerpt.jsonl`, `manifest.json` and `manifest.sig` signed with `key`.
/// For large documents, stream with [`BundleWriter`] into a file instead.
pub fn build_bundle<N: AsRef<str>, B: AsRef<[u8]>>(
    pdf: &[u8],
    documents: &[(N, B)],
    audit_jsonl: &[u8],
    meta: &PacketMeta,
    key: &PacketKey,
) -> Result<Vec<u8>, anyhow::Error> {
    let mut w = BundleWriter::new(Cursor::new(Vec::new()), meta.clone());
    w.add_pdf(pdf)?;
    for (name, bytes) in documents {
        w.add_document(name.as_ref(), bytes.as_ref())?;
    }
    w.add_audit_excerpt(audit_jsonl)?;
    Ok(w.finish(key)?.0.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn safe_names_keep_letters_and_drop_paths_and_reserved_characters() {
        assert_eq!(safe_name("../../etc/passwd"), "passwd");
        assert_eq!(safe_name("C:\\x\\Vertrag Müller.pdf"), "Vertrag Müller.pdf");
        assert_eq!(safe_name("東京病院 BAA.pdf"), "東京病院 BAA.pdf");
        assert_eq!(safe_name("a:b*c?.pdf"), "a_b_c_.pdf");
        assert_eq!(safe_name("..."), "document");
        assert_eq!(safe_name(".hidden"), "hidden");
        assert_eq!(safe_name(&"x".repeat(300)).chars().count(), 120);
    }
}
