//! Importing a `fly` CLI snapshot into the inventory: preview, then apply.
//!
//! The parsing and planning are pure (`baa_core::fly_import`); this module adds access checks,
//! ZIP reading, drafts kept between a UI preview and its apply, and the all-or-nothing write.
//!
//! - [`preview`] parses the files and plans against the world of today. Nothing is written.
//! - [`apply`] parses and plans **again**, against the world of that moment (a stale preview
//!   cannot apply changes it did not show: when the caller passes the hash of the plan it
//!   reviewed and the new plan differs, it is refused with a conflict), then writes every create
//!   and update as a record version with its audit entry in ONE transaction. A malformed file
//!   fails the parse before anything is written. Importing the same snapshot again is a no-op
//!   (the plan is empty).
//! - Drafts ([`save_draft`], [`preview_draft`], [`apply_draft`]): the UI uploads the files once;
//!   they are kept in `import_drafts` for an hour, for the uploader's workspace only, and
//!   removed when applied.

use crate::audit::Event;
use crate::authz::authorize;
use crate::db::new_id;
use crate::error::{AppError, AppResult};
use crate::inventory::{self, append, Kind};
use crate::Backend;
use baa_core::account::{Permission, Viewer};
use baa_core::fly_import::{self, Change, ImportError, ImportErrors, ImportPlan, Snapshot, SnapshotFile};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use sqlx::Row;
use std::io::Read;

/// Most files one snapshot may hold (a snapshot of a large org is a few dozen).
pub const MAX_FILES: usize = 500;
/// Largest single file, as `read_snapshot_dir` allows.
pub const MAX_FILE_BYTES: u64 = 16 * 1024 * 1024;
/// Largest snapshot in total (files, or the uncompressed content of a ZIP).
pub const MAX_TOTAL_BYTES: u64 = 32 * 1024 * 1024;
/// How long a UI draft is kept between preview and apply.
pub const DRAFT_TTL_SECS: i64 = 3600;

/// What importing would change, as of now.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImportPreview {
    /// SHA-256 over the files' names and bytes.
    pub snapshot_hash: String,
    /// SHA-256 of the plan: pass it to [`apply`] to refuse a plan that changed since.
    pub plan_hash: String,
    /// Records to create.
    pub creates: usize,
    /// Records to update.
    pub updates: usize,
    /// The plan: creates, field-level updates, unchanged, unmapped (file and line), absent.
    pub plan: ImportPlan,
}

/// What an apply wrote.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImportResult {
    /// SHA-256 over the files' names and bytes.
    pub snapshot_hash: String,
    /// SHA-256 of the plan applied.
    pub plan_hash: String,
    /// Records created.
    pub created: usize,
    /// Records updated.
    pub updated: usize,
    /// Ids of the services created or changed.
    pub changed_services: Vec<String>,
    /// The plan applied.
    pub plan: ImportPlan,
}

fn malformed(file: &str, message: impl Into<String>) -> AppError {
    AppError::Malformed(ImportErrors(vec![ImportError {
        file: file.to_string(),
        line: None,
        message: message.into(),
    }]))
}

/// Checks the number and size of files.
pub fn check_limits(files: &[SnapshotFile]) -> AppResult<()> {
    if files.is_empty() {
        return Err(AppError::invalid(
            "files",
            "choose the snapshot folder (or a ZIP of it) made by scripts/fly-snapshot.sh",
        ));
    }
    if files.len() > MAX_FILES {
        return Err(AppError::invalid(
            "files",
            format!("a snapshot has at most {MAX_FILES} files; this one has {}", files.len()),
        ));
    }
    let mut total = 0u64;
    for f in files {
        let n = f.bytes.len() as u64;
        if n > MAX_FILE_BYTES {
            return Err(malformed(&f.name, format!("{n} bytes is more than a fly output can be")));
        }
        total += n;
    }
    if total > MAX_TOTAL_BYTES {
        return Err(AppError::invalid("files", "the snapshot is larger than 32 MiB"));
    }
    Ok(())
}

/// Reads the files of a ZIP archive (folders kept in the names; `__MACOSX/` and `.DS_Store`
/// skipped). `zip_name` names the archive in errors.
pub fn files_from_zip(zip_name: &str, bytes: &[u8]) -> AppResult<Vec<SnapshotFile>> {
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(bytes))
        .map_err(|e| malformed(zip_name, format!("not a readable ZIP archive ({e})")))?;
    if archive.len() > MAX_FILES * 2 {
        return Err(malformed(zip_name, format!("more than {} entries", MAX_FILES * 2)));
    }
    let mut out = Vec::new();
    let mut total = 0u64;
    for i in 0..archive.len() {
        let mut entry = archive
            .by_index(i)
            .map_err(|e| malformed(zip_name, format!("entry {} cannot be read ({e})", i + 1)))?;
        if entry.is_dir() {
            continue;
        }
        let Some(path) = entry.enclosed_name() else {
            return Err(malformed(zip_name, format!("entry {:?} has an unsafe path", entry.name())));
        };
        let name = path
            .components()
            .map(|c| c.as_os_str().to_string_lossy().into_owned())
            .collect::<Vec<_>>()
            .join("/");
        if name.starts_with("__MACOSX/") || name.ends_with(".DS_Store") {
            continue;
        }
        if entry.size() > MAX_FILE_BYTES {
            return Err(malformed(&name, format!("{} bytes is more than a fly output can be", entry.size())));
        }
        let mut buf = Vec::new();
        // Read one byte past the limit so a lying header cannot make us read without bound.
        (&mut entry)
            .take(MAX_FILE_BYTES + 1)
            .read_to_end(&mut buf)
            .map_err(|e| malformed(&name, format!("cannot be read from the ZIP ({e})")))?;
        if buf.len() as u64 > MAX_FILE_BYTES {
            return Err(malformed(&name, "more than 16 MiB: not a fly output"));
        }
        total += buf.len() as u64;
        if total > MAX_TOTAL_BYTES {
            return Err(malformed(zip_name, "more than 32 MiB uncompressed"));
        }
        out.push(SnapshotFile::new(name, buf));
    }
    out.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(out)
}

/// SHA-256 over the sorted files' names and bytes (length-prefixed, so no two snapshots share
/// a hash by shifting bytes between name and content).
pub fn snapshot_hash(files: &[SnapshotFile]) -> String {
    let mut sorted: Vec<&SnapshotFile> = files.iter().collect();
    sorted.sort_by(|a, b| a.name.cmp(&b.name));
    let mut h = Sha256::new();
    for f in sorted {
        h.update((f.name.len() as u64).to_be_bytes());
        h.update(f.name.as_bytes());
        h.update((f.bytes.len() as u64).to_be_bytes());
        h.update(&f.bytes);
    }
    hex::encode(h.finalize())
}

/// SHA-256 of a plan's JSON.
pub fn plan_hash(plan: &ImportPlan) -> String {
    let json = serde_json::to_string(plan).unwrap_or_default();
    hex::encode(Sha256::digest(json.as_bytes()))
}

/// Imports applied at once by this instance (others queue; see `apply_inner`).
static IMPORTS: tokio::sync::Semaphore = tokio::sync::Semaphore::const_new(1);

fn busy() -> AppError {
    AppError::Conflict {
        field: "files".into(),
        message: "Another import is being applied; try again in a moment.".into(),
    }
}

fn parse(files: &[SnapshotFile]) -> AppResult<Snapshot> {
    check_limits(files)?;
    Snapshot::parse(files).map_err(AppError::Malformed)
}

/// What importing `files` would change now. Writes nothing.
pub async fn preview(b: &Backend, v: &Viewer, files: &[SnapshotFile]) -> AppResult<ImportPreview> {
    authorize(v, Permission::EditInventory)?;
    let snapshot = parse(files)?;
    let world = inventory::load_world(b, v, inventory::today_for(b)).await?;
    let decisions = inventory::decisions(b, &v.workspace_id).await?;
    let plan = fly_import::plan_import_with(&world, &snapshot, &decisions);
    Ok(ImportPreview {
        snapshot_hash: snapshot_hash(files),
        plan_hash: plan_hash(&plan),
        creates: plan.creates(),
        updates: plan.updates(),
        plan,
    })
}

/// Applies `files`: parses and plans again against the world of now, refuses when
/// `expected_plan_hash` is given and differs, then writes every create and update in one
/// transaction (all or nothing), each with its audit entry, plus one `import.applied` entry.
pub async fn apply(
    b: &Backend,
    v: &Viewer,
    files: &[SnapshotFile],
    expected_plan_hash: Option<&str>,
) -> AppResult<ImportResult> {
    apply_inner(b, v, files, expected_plan_hash, None).await
}

async fn apply_inner(
    b: &Backend,
    v: &Viewer,
    files: &[SnapshotFile],
    expected_plan_hash: Option<&str>,
    draft_id: Option<&str>,
) -> AppResult<ImportResult> {
    authorize(v, Permission::EditInventory)?;
    let snapshot = parse(files)?;
    let snap_hash = snapshot_hash(files);
    let on = inventory::today_for(b);
    let now = b.clock.now();
    // One import at a time per instance, so concurrent imports queue here instead of holding
    // pool connections while they wait for the write lock; a wait that lasts is a 409.
    let _permit = tokio::time::timeout(std::time::Duration::from_secs(30), IMPORTS.acquire())
        .await
        .map_err(|_| busy())?
        .map_err(|_| busy())?;
    let decisions = inventory::decisions(b, &v.workspace_id).await?;
    // The write transaction is open before the world is read, and the world is read through it:
    // on SQLite it holds the write lock, so nothing changes between planning and writing.
    let mut tx = b.db.begin_write().await?;
    let before =
        crate::storage::world::load_in(&mut tx, &v.workspace_id, &v.workspace_name, on, i64::MAX).await?;
    let plan = fly_import::plan_import_with(&before, &snapshot, &decisions);
    let hash = plan_hash(&plan);
    if let Some(expected) = expected_plan_hash {
        if expected != hash {
            return Err(AppError::Conflict {
                field: "plan_hash".into(),
                message: "The inventory changed since this preview, so the import plan is different now. Review the new preview and apply again.".into(),
            });
        }
    }
    let reason = format!("fly import (snapshot {})", &snap_hash[..12]);
    let mut changed_services = Vec::new();
    for c in &plan.orgs {
        match c {
            Change::Create { id, record, .. } | Change::Update { id, after: record, .. } => {
                append(&mut tx, v, Kind::Org, id, on, record, false, Some(&reason), now).await?;
            }
            Change::Unchanged { .. } => {}
        }
    }
    for c in &plan.apps {
        match c {
            Change::Create { id, record, .. } | Change::Update { id, after: record, .. } => {
                append(&mut tx, v, Kind::App, id, on, record, false, Some(&reason), now).await?;
            }
            Change::Unchanged { .. } => {}
        }
    }
    for c in &plan.services {
        let (id, service) = match c {
            Change::Create { id, record, .. } => (id, record.clone().into_service(on)),
            Change::Update { id, after, .. } => (id, after.clone()),
            Change::Unchanged { .. } => continue,
        };
        append(&mut tx, v, Kind::Service, id, on, &service, false, Some(&reason), now).await?;
        changed_services.push(id.clone());
    }
    let after = fly_import::apply(&before, &plan, on);
    // The fly.toml facts the platform safeguard checks need, in this transaction too.
    let fly_toml_facts =
        crate::safeguards::store_from_snapshot(&mut tx, v, &snapshot, &after, &snap_hash, now).await?;
    Event::by(v, "import.applied", ("import", &snap_hash, "fly snapshot"))
        .after(serde_json::json!({
            "files": files.iter().map(|f| f.name.as_str()).collect::<Vec<_>>(),
            "snapshot_sha256": snap_hash,
            "plan_sha256": hash,
            "created": plan.creates(),
            "updated": plan.updates(),
            "unmapped": plan.unmapped.len(),
            "fly_toml_facts_apps": fly_toml_facts,
        }))
        .record(&mut tx, now)
        .await?;
    if let Some(id) = draft_id {
        sqlx::query("DELETE FROM import_drafts WHERE id = $1 AND workspace_id = $2")
            .bind(id)
            .bind(&v.workspace_id)
            .execute(&mut *tx)
            .await?;
    }
    // Services the import leaves uncovered notify the importer, legal and owners, in this
    // transaction: the notices commit with the import or not at all.
    let policy = crate::storage::world::policy_in(&mut *tx, &v.workspace_id, on, i64::MAX).await?;
    let change = crate::notify::ServiceChange {
        before: &before,
        after: &after,
        as_of: on,
        policy: &policy,
        changed: &changed_services,
    };
    // One mail per person for the whole import, linking to the list of what is not covered.
    let digest = crate::notify::DigestOf {
        cause: format!("Import of {} file{}", files.len(), if files.len() == 1 { "" } else { "s" }),
        link: "/inventory?verdict=uncovered".into(),
    };
    let notices = crate::notify::inventory_changed(&mut tx, b, v, &change, Some(&digest)).await?;
    tx.commit().await?;
    if notices > 0 {
        b.mailer.wake.notify_one();
    }
    Ok(ImportResult {
        snapshot_hash: snap_hash,
        plan_hash: hash,
        created: plan.creates(),
        updated: plan.updates(),
        changed_services,
        plan,
    })
}

#[derive(Serialize, Deserialize)]
struct StoredFile {
    name: String,
    base64: String,
}

/// Keeps a snapshot for a later apply (after checking that it parses); returns the draft id and
/// the preview. Expired drafts of the workspace are removed on the way.
pub async fn save_draft(
    b: &Backend,
    v: &Viewer,
    files: &[SnapshotFile],
) -> AppResult<(String, ImportPreview)> {
    let preview = preview(b, v, files).await?;
    let id = store_draft(b, v, files).await?;
    Ok((id, preview))
}

/// Keeps an upload whose parse was refused, so that the uploader can skip the files at fault
/// and preview the rest without choosing the folder again. Only the uploaded files are kept,
/// in the drafts table (nothing reaches the inventory), and they expire like any draft.
pub async fn keep_refused_draft(b: &Backend, v: &Viewer, files: &[SnapshotFile]) -> AppResult<String> {
    authorize(v, Permission::EditInventory)?;
    check_limits(files).map_err(|e| match e {
        AppError::Malformed(e) => AppError::invalid("files", e.to_string()),
        e => e,
    })?;
    store_draft(b, v, files).await
}

fn encode_files(files: &[SnapshotFile]) -> AppResult<String> {
    use base64::Engine;
    let stored: Vec<StoredFile> = files
        .iter()
        .map(|f| StoredFile {
            name: f.name.clone(),
            base64: base64::engine::general_purpose::STANDARD.encode(&f.bytes),
        })
        .collect();
    serde_json::to_string(&stored).map_err(|e| AppError::Internal(e.into()))
}

async fn store_draft(b: &Backend, v: &Viewer, files: &[SnapshotFile]) -> AppResult<String> {
    let json = encode_files(files)?;
    let id = new_id();
    let now = b.clock.now();
    let mut tx = b.db.begin_write().await?;
    sqlx::query("DELETE FROM import_drafts WHERE expires_at < $1").bind(now).execute(&mut *tx).await?;
    sqlx::query(
        "INSERT INTO import_drafts (id, workspace_id, created_by, created_at, expires_at, snapshot_hash, files) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(&id)
    .bind(&v.workspace_id)
    .bind(&v.user_id)
    .bind(now)
    .bind(now + DRAFT_TTL_SECS)
    .bind(snapshot_hash(files))
    .bind(json)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(id)
}

/// Leaves `file` out of a draft ("skip this file and preview the rest"). Refused when it is not
/// in the draft, or is its last file.
pub async fn skip_draft_file(b: &Backend, v: &Viewer, id: &str, file: &str) -> AppResult<()> {
    let files = draft_files(b, v, id).await?;
    let rest: Vec<SnapshotFile> = files.iter().filter(|f| f.name != file).cloned().collect();
    if rest.len() == files.len() {
        return Err(AppError::invalid("files", format!("{file} is not part of this upload")));
    }
    if rest.is_empty() {
        return Err(AppError::invalid("files", "that was the upload's last file: upload the snapshot again"));
    }
    let mut tx = b.db.begin_write().await?;
    sqlx::query(
        "UPDATE import_drafts SET files = $1, snapshot_hash = $2 WHERE id = $3 AND workspace_id = $4",
    )
    .bind(encode_files(&rest)?)
    .bind(snapshot_hash(&rest))
    .bind(id)
    .bind(&v.workspace_id)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(())
}

/// The files of a draft of the viewer's workspace that has not expired (else `NotFound`).
pub async fn draft_files(b: &Backend, v: &Viewer, id: &str) -> AppResult<Vec<SnapshotFile>> {
    authorize(v, Permission::EditInventory)?;
    let row = sqlx::query(
        "SELECT files FROM import_drafts WHERE id = $1 AND workspace_id = $2 AND expires_at >= $3",
    )
    .bind(id)
    .bind(&v.workspace_id)
    .bind(b.clock.now())
    .fetch_optional(&b.db.pool)
    .await?
    .ok_or(AppError::NotFound)?;
    let stored: Vec<StoredFile> = serde_json::from_str(&row.try_get::<String, _>("files")?)
        .map_err(|e| AppError::Internal(anyhow::anyhow!("import draft {id}: {e}")))?;
    use base64::Engine;
    stored
        .into_iter()
        .map(|f| {
            let bytes = base64::engine::general_purpose::STANDARD
                .decode(f.base64)
                .map_err(|e| AppError::Internal(anyhow::anyhow!("import draft {id}: {e}")))?;
            Ok(SnapshotFile::new(f.name, bytes))
        })
        .collect()
}

/// The preview of a draft, planned against the world of now.
pub async fn preview_draft(b: &Backend, v: &Viewer, id: &str) -> AppResult<ImportPreview> {
    let files = draft_files(b, v, id).await?;
    preview(b, v, &files).await
}

/// Applies a draft if its plan is still the one reviewed (`plan_hash`), and removes the draft.
pub async fn apply_draft(b: &Backend, v: &Viewer, id: &str, plan_hash: &str) -> AppResult<ImportResult> {
    let files = draft_files(b, v, id).await?;
    apply_inner(b, v, &files, Some(plan_hash), Some(id)).await
}
