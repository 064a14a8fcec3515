//! Executed documents: signed agreement PDFs, stored through `object_store` (a local folder
//! under the data folder, or an S3-compatible bucket such as Tigris), content-addressed by
//! SHA-256.
//!
//! An upload is hashed and size-checked chunk by chunk as it arrives ([`Incoming`]), so an
//! oversized or non-PDF body is refused before it is read to the end. It is then checked as a
//! whole (not empty, a PDF that parses, a safe file name); the blob is written first and the
//! version row (with its audit entry) after, in one transaction. A process killed in between
//! leaves only an unreferenced blob, which [`Store::sweep`] removes at start. Every download
//! re-hashes the bytes and refuses (and records) a mismatch.

use crate::audit::Event;
use crate::authz::authorize;
use crate::config::DocumentStore;
use crate::db::new_id;
use crate::error::{AppError, AppResult};
use crate::Backend;
use baa_core::account::{Permission, Viewer};
use bytes::Bytes;
use bytes::BytesMut;
use object_store::aws::AmazonS3Builder;
use object_store::{
    local::LocalFileSystem, path::Path as ObjectPath, ObjectStore, ObjectStoreExt, PutPayload,
};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use sqlx::Row;
use std::sync::Arc;

/// Upload size limit by default (25 MB).
pub const DEFAULT_MAX_BYTES: usize = 25 * 1024 * 1024;

/// Where documents are kept.
#[derive(Clone)]
pub struct Store {
    inner: Arc<dyn ObjectStore>,
    /// Largest accepted upload in bytes.
    pub max_bytes: usize,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Store({})", self.inner)
    }
}

fn blob_path(sha: &str) -> ObjectPath {
    ObjectPath::from(format!("sha256/{sha}"))
}

impl Store {
    /// A store in `dir` (created if missing).
    pub fn local(dir: &std::path::Path, max_bytes: usize) -> anyhow::Result<Store> {
        std::fs::create_dir_all(dir)?;
        Ok(Store { inner: Arc::new(LocalFileSystem::new_with_prefix(dir)?), max_bytes })
    }

    /// The store the configuration names: `DATA_DIR/documents` or an S3-compatible bucket.
    pub fn from_config(config: &crate::config::Config) -> anyhow::Result<Store> {
        match &config.document_store {
            DocumentStore::Local => {
                Store::local(&config.data_dir.join("documents"), config.document_max_bytes)
            }
            DocumentStore::S3 { bucket, endpoint, region, access_key_id, secret_access_key } => {
                let mut builder = AmazonS3Builder::new()
                    .with_bucket_name(bucket)
                    .with_region(region)
                    .with_access_key_id(access_key_id)
                    .with_secret_access_key(secret_access_key.expose());
                if let Some(endpoint) = endpoint {
                    // Tigris, MinIO and test servers are addressed by path, not by bucket host.
                    builder = builder
                        .with_endpoint(endpoint)
                        .with_virtual_hosted_style_request(false)
                        .with_allow_http(endpoint.starts_with("http://"));
                }
                Ok(Store { inner: Arc::new(builder.build()?), max_bytes: config.document_max_bytes })
            }
        }
    }

    /// Stores `bytes` under an arbitrary key (such as `packets/<id>.pdf`), replacing any
    /// object there.
    pub async fn put_key(&self, key: &str, bytes: Bytes) -> AppResult<()> {
        self.inner
            .put(&ObjectPath::from(key), PutPayload::from(bytes))
            .await
            .map_err(|e| AppError::Internal(anyhow::anyhow!("storing {key}: {e}")))?;
        Ok(())
    }

    /// Reads the object stored under `key` by [`Store::put_key`].
    pub async fn get_key(&self, key: &str) -> AppResult<Bytes> {
        self.inner
            .get(&ObjectPath::from(key))
            .await
            .map_err(|e| AppError::Internal(anyhow::anyhow!("reading {key}: {e}")))?
            .bytes()
            .await
            .map_err(|e| AppError::Internal(anyhow::anyhow!("reading {key}: {e}")))
    }

    /// Stores a file (from its start) under `key`, read and uploaded in pieces (never held
    /// whole); returns the SHA-256 (hex) and size of what was stored.
    pub async fn put_file(&self, key: &str, mut file: std::fs::File) -> AppResult<(String, u64)> {
        use tokio::io::AsyncReadExt;
        let fail = |e: &dyn std::fmt::Display| AppError::Internal(anyhow::anyhow!("storing {key}: {e}"));
        std::io::Seek::rewind(&mut file).map_err(|e| fail(&e))?;
        let upload = self.inner.put_multipart(&ObjectPath::from(key)).await.map_err(|e| fail(&e))?;
        let mut writer = object_store::WriteMultipart::new(upload);
        let mut file = tokio::fs::File::from_std(file);
        let mut hasher = Sha256::new();
        let mut size = 0_u64;
        let mut buf = vec![0_u8; 1024 * 1024];
        loop {
            let n = file.read(&mut buf).await.map_err(|e| fail(&e))?;
            if n == 0 {
                break;
            }
            hasher.update(&buf[..n]);
            size += n as u64;
            writer.wait_for_capacity(2).await.map_err(|e| fail(&e))?;
            writer.write(&buf[..n]);
        }
        writer.finish().await.map_err(|e| fail(&e))?;
        Ok((hex::encode(hasher.finalize()), size))
    }

    /// Copies the object under `key` into a temporary file as it streams in, hashing it;
    /// returns the file (at its start), its SHA-256 (hex) and size.
    pub async fn get_to_file(&self, key: &str) -> AppResult<(std::fs::File, String, u64)> {
        use futures_util::StreamExt;
        use tokio::io::AsyncWriteExt;
        let fail = |e: &dyn std::fmt::Display| AppError::Internal(anyhow::anyhow!("reading {key}: {e}"));
        let mut stream = self.inner.get(&ObjectPath::from(key)).await.map_err(|e| fail(&e))?.into_stream();
        let temp = tempfile::tempfile().map_err(|e| fail(&e))?;
        let mut file = tokio::fs::File::from_std(temp);
        let mut hasher = Sha256::new();
        let mut size = 0_u64;
        while let Some(chunk) = stream.next().await {
            let chunk = chunk.map_err(|e| fail(&e))?;
            hasher.update(&chunk);
            size += chunk.len() as u64;
            file.write_all(&chunk).await.map_err(|e| fail(&e))?;
        }
        file.flush().await.map_err(|e| fail(&e))?;
        let mut file = file.into_std().await;
        std::io::Seek::rewind(&mut file).map_err(|e| fail(&e))?;
        Ok((file, hex::encode(hasher.finalize()), size))
    }

    /// Reads the blob of a document version by its SHA-256 (no integrity check).
    pub async fn get_blob(&self, sha256: &str) -> AppResult<Bytes> {
        self.get_key(blob_path(sha256).as_ref()).await
    }

    /// Removes blobs no document row refers to (left by a process killed mid-upload).
    pub async fn sweep(&self, b: &Backend) -> anyhow::Result<usize> {
        use futures_util::StreamExt;
        let mut listing = self.inner.list(Some(&ObjectPath::from("sha256")));
        let mut removed = 0;
        while let Some(meta) = listing.next().await {
            let meta = meta?;
            let sha = meta.location.filename().unwrap_or_default().to_string();
            let used = sqlx::query("SELECT id FROM documents WHERE sha256 = $1 LIMIT 1")
                .bind(&sha)
                .fetch_optional(&b.db.pool)
                .await?
                .is_some();
            if !used {
                self.inner.delete(&meta.location).await?;
                removed += 1;
            }
        }
        Ok(removed)
    }
}

/// An upload as it arrives: size-checked and hashed chunk by chunk.
pub struct Incoming {
    hasher: Sha256,
    buf: BytesMut,
    max_bytes: usize,
}

/// A fully received upload and the SHA-256 computed while it streamed in.
#[derive(Debug, Clone)]
pub struct Received {
    /// The bytes.
    pub bytes: Bytes,
    /// SHA-256, hex.
    pub sha256: String,
}

fn too_big(max_bytes: usize) -> AppError {
    AppError::invalid("file", format!("the file is over the {} MB limit", max_bytes / (1024 * 1024)))
}

fn not_a_pdf() -> AppError {
    AppError::invalid(
        "file",
        "this is not a PDF (its content does not start like one); upload the signed PDF",
    )
}

impl Incoming {
    /// Starts receiving an upload of at most `max_bytes`.
    pub fn new(max_bytes: usize) -> Incoming {
        Incoming { hasher: Sha256::new(), buf: BytesMut::new(), max_bytes }
    }

    /// Takes the next chunk; refuses as soon as the upload passes the limit or its first bytes
    /// show it is not a PDF.
    pub fn push(&mut self, chunk: &[u8]) -> AppResult<()> {
        if self.buf.len() + chunk.len() > self.max_bytes {
            return Err(too_big(self.max_bytes));
        }
        let before = self.buf.len();
        self.hasher.update(chunk);
        self.buf.extend_from_slice(chunk);
        if before < PDF_MAGIC.len() && self.buf.len() >= PDF_MAGIC.len() && !self.buf.starts_with(PDF_MAGIC) {
            return Err(not_a_pdf());
        }
        Ok(())
    }

    /// The whole upload with its hash.
    pub fn finish(self) -> Received {
        Received { bytes: self.buf.freeze(), sha256: hex::encode(self.hasher.finalize()) }
    }
}

const PDF_MAGIC: &[u8] = b"%PDF-";

/// A stored version as pages list it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DocumentView {
    /// Id (for the download link).
    pub id: String,
    /// 1, 2, ...
    pub version: i64,
    /// The name it was uploaded with.
    pub file_name: String,
    /// Bytes.
    pub size: i64,
    /// SHA-256, hex.
    pub sha256: String,
    /// Who uploaded it.
    pub uploaded_by: String,
    /// When (formatted).
    pub uploaded_at: String,
}

fn view(r: &sqlx::any::AnyRow) -> AppResult<DocumentView> {
    Ok(DocumentView {
        id: r.try_get("id")?,
        version: r.try_get("version")?,
        file_name: r.try_get("file_name")?,
        size: r.try_get("size")?,
        sha256: r.try_get("sha256")?,
        uploaded_by: r.try_get("uploaded_by_name")?,
        uploaded_at: crate::clock::fmt_ts(r.try_get("uploaded_at")?),
    })
}

/// Checks a file name: no path separators or control characters, at most 200 characters.
pub fn check_file_name(name: &str) -> AppResult<String> {
    let n = name.trim();
    if n.is_empty() {
        return Err(AppError::invalid("file", "the file has no name"));
    }
    if n.chars().count() > 200 {
        return Err(AppError::invalid(
            "file",
            "the file name is too long (over 200 characters); rename it and upload again",
        ));
    }
    if n.contains(['/', '\\']) || n.chars().any(char::is_control) || n == "." || n == ".." {
        return Err(AppError::invalid(
            "file",
            "the file name contains path separators or control characters; rename it and upload again",
        ));
    }
    Ok(n.to_string())
}

/// Most bytes an object or cross-reference stream of an uploaded PDF may inflate to while it is
/// checked (lopdf's own default, 256 MiB, let a 245 KB file take 15 GB). These streams hold
/// object dictionaries, a few kilobytes in real files; page content is not inflated to check.
pub const PDF_STREAM_LIMIT: usize = 1024 * 1024;
/// Most memory (estimated, stream data aside: that is bounded by the upload's size) the
/// objects of one uploaded PDF may take while it is checked.
pub const PDF_OBJECTS_BUDGET: usize = 16 * 1024 * 1024;

thread_local! {
    /// What is left of [`PDF_OBJECTS_BUDGET`] for the check running on this thread.
    static PDF_BUDGET_LEFT: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
    /// Whether the check running on this thread went over its budget.
    static PDF_OVER_BUDGET: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Most tokens (numbers, names, brackets...) an uploaded PDF may hold outside its streams.
/// lopdf parses each into an object of about 50 to 100 bytes before any hook sees it, so a
/// 25 MB file of bare numbers took 1.5 GB; a real agreement (scanned or typeset) has far fewer
/// (its pages are streams).
pub const PDF_TOKEN_LIMIT: usize = 200_000;

/// Counts the tokens of a PDF outside its stream data, stopping past `limit`.
fn pdf_tokens(bytes: &[u8], limit: usize) -> usize {
    let is_space = |c: u8| matches!(c, b' ' | b'\n' | b'\r' | b'\t' | b'\x0c' | b'\0');
    let is_delim = |c: u8| matches!(c, b'[' | b']' | b'<' | b'>' | b'(' | b')' | b'/' | b'{' | b'}' | b'%');
    let mut tokens = 0;
    let mut i = 0;
    let mut in_token = false;
    while i < bytes.len() && tokens <= limit {
        let c = bytes[i];
        if is_space(c) {
            in_token = false;
        } else if is_delim(c) {
            tokens += 1;
            in_token = false;
        } else {
            if !in_token {
                tokens += 1;
                // Skip stream data: the keyword `stream` at a token start, then an end of line.
                if bytes[i..].starts_with(b"stream")
                    && bytes.get(i + 6).is_some_and(|&n| n == b'\r' || n == b'\n')
                {
                    match find(&bytes[i + 6..], b"endstream") {
                        Some(at) => {
                            i += 6 + at + b"endstream".len();
                            in_token = false;
                            continue;
                        }
                        None => break,
                    }
                }
            }
            in_token = true;
        }
        i += 1;
    }
    tokens
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// Estimated memory of a parsed object.
fn pdf_weight(o: &lopdf::Object) -> usize {
    use lopdf::Object;
    std::mem::size_of::<Object>()
        + match o {
            Object::Name(v) | Object::String(v, _) => v.len(),
            Object::Array(a) => a.iter().map(pdf_weight).sum(),
            Object::Dictionary(d) => d.iter().map(|(k, v)| k.len() + 16 + pdf_weight(v)).sum(),
            Object::Stream(st) => st.dict.iter().map(|(k, v)| k.len() + 16 + pdf_weight(v)).sum::<usize>(),
            _ => 0,
        }
}

/// lopdf's per-object hook: counts each object against the budget and drops every object once
/// it is spent (so the document stops growing), remembering that it was.
fn pdf_budget_filter(id: lopdf::ObjectId, o: &mut lopdf::Object) -> Option<(lopdf::ObjectId, lopdf::Object)> {
    let w = pdf_weight(o);
    let left = PDF_BUDGET_LEFT.with(|c| c.get());
    if w > left || PDF_OVER_BUDGET.with(|c| c.get()) {
        PDF_OVER_BUDGET.with(|c| c.set(true));
        return None;
    }
    PDF_BUDGET_LEFT.with(|c| c.set(left - w));
    // lopdf keeps `o` itself for top-level objects and the returned copy for objects inside
    // object streams, so both must be the object.
    Some((id, o.clone()))
}

/// Checks the content is a PDF that parses, within a memory budget: at most
/// [`PDF_TOKEN_LIMIT`] tokens outside streams, each stream inflating to at most
/// [`PDF_STREAM_LIMIT`], and all objects together taking at most [`PDF_OBJECTS_BUDGET`].
/// Blocking and CPU-bound: run it through [`check_pdf_bounded`].
pub fn check_pdf(bytes: &[u8]) -> AppResult<()> {
    if bytes.is_empty() {
        return Err(AppError::invalid("file", "the file is empty"));
    }
    if !bytes.starts_with(PDF_MAGIC) {
        return Err(not_a_pdf());
    }
    let too_complex = || {
        AppError::invalid(
            "file",
            "this PDF is too complex to check (its content expands far beyond its size); export or print it to PDF again and upload that",
        )
    };
    if pdf_tokens(bytes, PDF_TOKEN_LIMIT) > PDF_TOKEN_LIMIT {
        return Err(too_complex());
    }
    PDF_BUDGET_LEFT.with(|c| c.set(PDF_OBJECTS_BUDGET));
    PDF_OVER_BUDGET.with(|c| c.set(false));
    let options = lopdf::LoadOptions {
        filter: Some(pdf_budget_filter),
        max_decompressed_size: Some(PDF_STREAM_LIMIT),
        ..lopdf::LoadOptions::default()
    };
    let loaded = lopdf::Document::load_mem_with_options(bytes, options);
    let over = PDF_OVER_BUDGET.with(|c| c.replace(false));
    match loaded {
        _ if over => Err(too_complex()),
        Err(lopdf::Error::Decompress(lopdf::DecompressError::MemoryLimitExceeded { .. })) => {
            Err(too_complex())
        }
        Err(_) => Err(AppError::invalid(
            "file",
            "this PDF is damaged and cannot be read; export it again and upload it",
        )),
        Ok(_) => Ok(()),
    }
}

/// Runs [`check_pdf`] on the blocking pool, at most `PDF_CHECK_CONCURRENCY` at once; waits up to
/// 10 seconds for a turn, then answers busy (429).
pub async fn check_pdf_bounded(b: &Backend, bytes: Bytes) -> AppResult<Bytes> {
    let permit =
        tokio::time::timeout(std::time::Duration::from_secs(10), b.pdf_checks.clone().acquire_owned())
            .await
            .map_err(|_| AppError::Busy { retry_after: 5 })?
            .map_err(|e| AppError::Internal(anyhow::anyhow!("PDF check pool closed: {e}")))?;
    tokio::task::spawn_blocking(move || {
        let _turn = permit;
        check_pdf(&bytes).map(|()| bytes)
    })
    .await
    .map_err(|e| AppError::Internal(anyhow::anyhow!("joining the PDF check: {e}")))?
}

/// The agreement exists in the viewer's workspace, or 404.
async fn agreement_exists(b: &Backend, v: &Viewer, agreement_id: &str) -> AppResult<String> {
    let row = sqlx::query(
        "SELECT data FROM records WHERE workspace_id = $1 AND kind = 'agreement' AND entity_id = $2 ORDER BY seq DESC LIMIT 1",
    )
    .bind(&v.workspace_id)
    .bind(agreement_id)
    .fetch_optional(&b.db.pool)
    .await?
    .ok_or(AppError::NotFound)?;
    let data: serde_json::Value =
        serde_json::from_str(&row.try_get::<String, _>("data")?).unwrap_or_default();
    Ok(data["title"].as_str().unwrap_or(agreement_id).to_string())
}

/// Stores a new version of an agreement's executed document.
pub async fn upload(
    b: &Backend,
    v: &Viewer,
    agreement_id: &str,
    file_name: &str,
    received: Received,
) -> AppResult<DocumentView> {
    authorize(v, Permission::EditAgreements)?;
    let title = agreement_exists(b, v, agreement_id).await?;
    let file_name = check_file_name(file_name)?;
    let Received { bytes, sha256: sha } = received;
    if bytes.len() > b.documents.max_bytes {
        return Err(too_big(b.documents.max_bytes));
    }
    let bytes = check_pdf_bounded(b, bytes).await?;
    let size = i64::try_from(bytes.len()).unwrap_or(i64::MAX);
    b.documents.put_key(blob_path(&sha).as_ref(), bytes).await?;
    let now = b.clock.now();
    let id = new_id();
    let mut tx = b.db.begin_write().await?;
    let version: i64 = sqlx::query(
        "SELECT CAST(COALESCE(MAX(version), 0) AS BIGINT) AS n FROM documents WHERE workspace_id = $1 AND agreement_id = $2",
    )
    .bind(&v.workspace_id)
    .bind(agreement_id)
    .fetch_one(&mut *tx)
    .await?
    .try_get::<i64, _>("n")?
        + 1;
    sqlx::query(
        "INSERT INTO documents (id, workspace_id, agreement_id, version, file_name, size, sha256, uploaded_by, uploaded_by_name, uploaded_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
    )
    .bind(&id)
    .bind(&v.workspace_id)
    .bind(agreement_id)
    .bind(version)
    .bind(&file_name)
    .bind(size)
    .bind(&sha)
    .bind(&v.user_id)
    .bind(&v.name)
    .bind(now)
    .execute(&mut *tx)
    .await?;
    Event::by(v, "document.uploaded", ("agreement", agreement_id, &title))
        .after(serde_json::json!({"version": version, "file_name": file_name, "size": size, "sha256": sha}))
        .record(&mut tx, now)
        .await?;
    let notice = crate::notify::Notice {
        kind: crate::notify::Kind::DocumentUploaded,
        event_key: format!("document:{id}"),
        title: format!("Version {version} of the signed copy of {title} was uploaded"),
        body: format!(
            "{} uploaded {file_name} ({} KB, SHA-256 {sha}) as version {version} of the executed document of {title}.",
            v.name,
            size / 1024
        ),
        next_step: "Check the clause checklist against this version and confirm where each required clause is found.".into(),
        link: format!("/agreements/{agreement_id}"),
    };
    let owners = crate::notify::Audience { roles: vec![baa_core::account::Role::Owner], plus: None };
    crate::notify::emit(&mut tx, b, &v.workspace_id, &notice, &owners, now).await?;
    tx.commit().await?;
    b.mailer.wake.notify_one();
    Ok(DocumentView {
        id,
        version,
        file_name,
        size,
        sha256: sha,
        uploaded_by: v.name.clone(),
        uploaded_at: crate::clock::fmt_ts(now),
    })
}

/// Versions of an agreement's executed document, newest first.
pub async fn list(b: &Backend, v: &Viewer, agreement_id: &str) -> AppResult<Vec<DocumentView>> {
    authorize(v, Permission::Read)?;
    let rows = sqlx::query(
        "SELECT id, version, file_name, size, sha256, uploaded_by_name, uploaded_at FROM documents \
         WHERE workspace_id = $1 AND agreement_id = $2 ORDER BY version DESC",
    )
    .bind(&v.workspace_id)
    .bind(agreement_id)
    .fetch_all(&b.db.pool)
    .await?;
    rows.iter().map(view).collect()
}

/// Reads a document, checking its hash; a mismatch is refused and recorded in the audit trail.
pub async fn download(b: &Backend, v: &Viewer, id: &str) -> AppResult<(DocumentView, Bytes)> {
    authorize(v, Permission::Read)?;
    let row = sqlx::query(
        "SELECT id, agreement_id, version, file_name, size, sha256, uploaded_by_name, uploaded_at FROM documents WHERE id = $1 AND workspace_id = $2",
    )
    .bind(id)
    .bind(&v.workspace_id)
    .fetch_optional(&b.db.pool)
    .await?
    .ok_or(AppError::NotFound)?;
    let doc = view(&row)?;
    let bytes = b.documents.get_blob(&doc.sha256).await?;
    let actual = hex::encode(Sha256::digest(&bytes));
    if actual != doc.sha256 {
        tracing::error!(document = %id, expected = %doc.sha256, actual = %actual, "document failed its integrity check");
        let mut tx = b.db.begin_write().await?;
        let agreement: String = row.try_get("agreement_id")?;
        Event::by(v, "document.integrity_failed", ("agreement", &agreement, &doc.file_name))
            .before(serde_json::json!({"sha256": doc.sha256}))
            .after(serde_json::json!({"sha256": actual}))
            .record(&mut tx, b.clock.now())
            .await?;
        tx.commit().await?;
        return Err(AppError::Conflict {
            field: "document".into(),
            message: "This document failed its integrity check (its bytes no longer match the SHA-256 recorded at upload), so it was not sent. The event is in the audit trail; restore the file from a backup.".into(),
        });
    }
    Ok((doc, bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names_are_checked() {
        assert_eq!(check_file_name(" BAA signed.pdf ").ok().as_deref(), Some("BAA signed.pdf"));
        for bad in ["", "../x.pdf", "a/b.pdf", "a\\b.pdf", "bell\u{7}.pdf", "new\nline.pdf", ".."] {
            assert!(check_file_name(bad).is_err(), "{bad:?}");
        }
        assert!(check_file_name(&"x".repeat(201)).is_err());
    }

    #[test]
    fn incoming_hashes_while_streaming_and_stops_early() {
        let mut up = Incoming::new(64);
        for chunk in [&b"%PD"[..], b"F-1.4 ", b"rest of it"] {
            up.push(chunk).expect("within limit");
        }
        let got = up.finish();
        assert_eq!(got.sha256, hex::encode(Sha256::digest(b"%PDF-1.4 rest of it")));
        let mut up = Incoming::new(8);
        assert!(up.push(b"%PDF-1.4").is_ok());
        assert!(up.push(b"x").is_err(), "one byte over the limit is refused");
        let mut up = Incoming::new(64);
        assert!(up.push(b"PK\x03\x04zip").is_err(), "not a PDF is refused at the first chunk");
    }

    #[test]
    fn tokens_outside_streams_are_counted_and_stream_data_is_skipped() {
        assert_eq!(pdf_tokens(b"1 0 obj [1 2 3] endobj", 100), 9);
        let with_stream = b"1 0 obj << /Length 9 >> stream\n1 2 3 4 5\nendstream endobj";
        assert_eq!(pdf_tokens(with_stream, 100), 12, "the five numbers inside the stream are not counted");
        assert!(pdf_tokens("0 ".repeat(5000).as_bytes(), 1000) > 1000);
    }

    #[test]
    fn only_pdfs_that_parse_pass() {
        assert!(check_pdf(b"").is_err());
        assert!(check_pdf(b"PK\x03\x04 a zip file").is_err());
        assert!(check_pdf(b"%PDF-1.7 but nothing else").is_err());
    }
}
