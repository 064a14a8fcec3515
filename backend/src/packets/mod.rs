//! Evidence packets, end to end: [`assemble`] reads the world as of a day into
//! [`PacketData`]; [`start`] queues a packet; [`run_worker`] (a small pool, `PACKET_WORKERS`)
//! generates queued packets, at most one per workspace at a time, with at most
//! `PACKETS_PER_WORKSPACE` waiting per workspace, so no one can queue the server out of memory.
//! The PDF and the ZIP bundle (written to a temporary file and uploaded in pieces, never held
//! whole) are stored in the document object store under `packets/<id>.pdf` and
//! `packets/<id>.zip`, with their SHA-256, the manifest's SHA-256 and the signing key in the
//! `packets` table and the `packet.generated` audit entry. [`download`] re-checks the file's
//! hash before it is sent; [`grant_download`] is the POST that records a download.
//!
//! Who may generate and download: owners, legal and auditors, that is [`Permission::Read`] and
//! any role but engineer ([`can_generate`]). A packet is what legal hands an auditor and what
//! an auditor reads, so both need it; it prints an audit-trail excerpt, which legal may not
//! otherwise browse, but only the part that documents the compliance record.
//!
//! `gather` reads what a packet prints; `worker` claims queued packets and makes them; this
//! file holds who may, the queue and the downloads.

mod gather;
mod worker;

use gather::gather;
pub use worker::{fail_interrupted, run_worker};

use crate::audit::{self, Event};
use crate::authz::authorize;
use crate::db::new_id;
use crate::error::{AppError, AppResult};
use crate::inventory;
use crate::packet::{
    self, AgreementSection, AuditExcerpt, AuditRow, BundleWriter, BusinessAssociate, ClauseRow, CoverageRow,
    DocumentVersion, FindingRow, Graph, GraphEdge, GraphNode, NodeKind, PacketData, PacketMeta,
    PeriodSection, PeriodService, Person, SeverityCounts, StatusEntry, Summary,
};
use crate::Backend;
use baa_core::account::{Permission, Role, Viewer};
use baa_core::coverage::{self as cov, Clause};
use bytes::Bytes;
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use sqlx::Row;

/// Most audit entries printed in (and bundled with) a packet: the last ones up to the as-of day.
pub const AUDIT_LIMIT: i64 = 500;

/// Whether the viewer may generate and download evidence packets (owners, legal, auditors).
pub fn can_generate(v: &Viewer) -> bool {
    v.can(Permission::Read) && v.role != Role::Engineer
}

fn check(v: &Viewer) -> AppResult<()> {
    authorize(v, Permission::Read)?;
    if v.role == Role::Engineer {
        return Err(AppError::Forbidden(format!(
            "Evidence packets are for owners, legal and auditors; your role ({}) cannot make or download them. Ask an owner of {} if you need one.",
            v.role.label(),
            v.workspace_name
        )));
    }
    Ok(())
}

/// Last second (unix) of a day, UTC.
fn end_of_day(day: NaiveDate) -> i64 {
    day.succ_opt()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|t| t.and_utc().timestamp() - 1)
        .unwrap_or(i64::MAX)
}

fn status_text(s: cov::Status) -> String {
    serde_json::to_value(s).ok().and_then(|v| v.as_str().map(str::to_string)).unwrap_or_default()
}

fn ts(at: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(at, 0).unwrap_or_default()
}

pub async fn assemble(b: &Backend, v: &Viewer, as_of: NaiveDate) -> AppResult<PacketData> {
    Ok(gather(b, v, &new_id(), as_of, None).await?.0)
}

/// A packet as the list page shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PacketView {
    /// Id.
    pub id: String,
    /// The day it describes (`YYYY-MM-DD`).
    pub as_of: String,
    /// queued, running, done or failed.
    pub status: String,
    /// 0 to 100.
    pub progress: i64,
    /// What it is doing now.
    pub stage: String,
    /// Who asked for it.
    pub created_by: String,
    /// When (formatted).
    pub created_at: String,
    /// When it finished (formatted), if it did.
    pub finished_at: Option<String>,
    /// SHA-256 of the PDF, when done.
    pub pdf_sha256: Option<String>,
    /// SHA-256 of the ZIP bundle, when done.
    pub bundle_sha256: Option<String>,
    /// Size of the ZIP bundle in bytes, when done.
    pub bundle_size: Option<i64>,
    /// Why it failed.
    pub error: Option<String>,
    /// SHA-256 of the bundle's `manifest.json`, when done (also in the audit trail).
    pub manifest_sha256: Option<String>,
    /// The key that signed the manifest, when done.
    pub signing_key_id: Option<String>,
    /// First day, for a packet of a period (the as-of date is its last day).
    #[serde(default)]
    pub period_from: Option<String>,
}

const COLUMNS: &str = "id, as_of, status, progress, stage, created_by_name, created_at, finished_at, pdf_sha256, bundle_sha256, bundle_size, error, manifest_sha256, signing_key_id, period_from";

fn view(r: &sqlx::any::AnyRow) -> AppResult<PacketView> {
    Ok(PacketView {
        id: r.try_get("id")?,
        as_of: r.try_get("as_of")?,
        status: r.try_get("status")?,
        progress: r.try_get("progress")?,
        stage: r.try_get("stage")?,
        created_by: r.try_get("created_by_name")?,
        created_at: crate::clock::fmt_ts(r.try_get("created_at")?),
        finished_at: r.try_get::<Option<i64>, _>("finished_at")?.map(crate::clock::fmt_ts),
        pdf_sha256: r.try_get("pdf_sha256")?,
        bundle_sha256: r.try_get("bundle_sha256")?,
        bundle_size: r.try_get("bundle_size")?,
        error: r.try_get("error")?,
        manifest_sha256: r.try_get("manifest_sha256")?,
        signing_key_id: r.try_get("signing_key_id")?,
        period_from: r.try_get("period_from")?,
    })
}

/// The workspace's packets, newest first.
pub async fn list(b: &Backend, v: &Viewer) -> AppResult<Vec<PacketView>> {
    check(v)?;
    let rows = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM packets WHERE workspace_id = $1 ORDER BY created_at DESC, id DESC LIMIT 200"
    ))
    .bind(&v.workspace_id)
    .fetch_all(&b.db.pool)
    .await?;
    rows.iter().map(view).collect()
}

/// One packet of the viewer's workspace.
pub async fn get(b: &Backend, v: &Viewer, id: &str) -> AppResult<PacketView> {
    check(v)?;
    let row = sqlx::query(&format!("SELECT {COLUMNS} FROM packets WHERE id = $1 AND workspace_id = $2"))
        .bind(id)
        .bind(&v.workspace_id)
        .fetch_optional(&b.db.pool)
        .await?
        .ok_or(AppError::NotFound)?;
    view(&row)
}

async fn record(
    b: &Backend,
    v: &Viewer,
    action: &str,
    id: &str,
    as_of: &str,
    after: serde_json::Value,
) -> AppResult<()> {
    let mut tx = b.db.begin_write().await?;
    Event::by(v, action, ("packet", id, &format!("Evidence packet as of {as_of}")))
        .after(after)
        .record(&mut tx, b.clock.now())
        .await?;
    tx.commit().await?;
    Ok(())
}

/// Queues a packet for `as_of` for the workers; returns its id. Refused while the workspace
/// already has `PACKETS_PER_WORKSPACE` packets queued or running.
pub async fn start(
    b: &Backend,
    v: &Viewer,
    as_of: NaiveDate,
    period_from: Option<NaiveDate>,
) -> AppResult<String> {
    check(v)?;
    if as_of > inventory::today_for(b) {
        return Err(AppError::invalid("as_of", "choose today or a day in the past"));
    }
    if let Some(from) = period_from {
        crate::storage::period::check_period(b, from, as_of).map_err(|e| match e {
            AppError::Invalid(i) => AppError::invalid("period_from", i.message),
            other => other,
        })?;
    }
    let id = new_id();
    let now = b.clock.now();
    let mut tx = b.db.begin_write().await?;
    // Lock the workspace row so concurrent requests count each other (PostgreSQL).
    sqlx::query("UPDATE workspaces SET require_2fa = require_2fa WHERE id = $1")
        .bind(&v.workspace_id)
        .execute(&mut *tx)
        .await?;
    let waiting: i64 = sqlx::query(
        "SELECT CAST(COUNT(*) AS BIGINT) AS n FROM packets WHERE workspace_id = $1 AND status IN ('queued', 'running')",
    )
    .bind(&v.workspace_id)
    .fetch_one(&mut *tx)
    .await?
    .try_get("n")?;
    if waiting >= b.config.packets_per_workspace {
        return Err(AppError::too_many(
            format!(
                "{waiting} packets of this workspace are already queued or being made. Wait until one is done, then ask again."
            ),
            30,
        ));
    }
    sqlx::query(
        "INSERT INTO packets (id, workspace_id, as_of, status, progress, stage, created_by, created_by_name, created_at, period_from) \
         VALUES ($1, $2, $3, 'queued', 0, 'Queued', $4, $5, $6, $7)",
    )
    .bind(&id)
    .bind(&v.workspace_id)
    .bind(as_of.to_string())
    .bind(&v.user_id)
    .bind(&v.name)
    .bind(now)
    .bind(period_from.map(|d| d.to_string()))
    .execute(&mut *tx)
    .await?;
    Event::by(v, "packet.requested", ("packet", &id, &format!("Evidence packet as of {as_of}")))
        .after(serde_json::json!({"as_of": as_of.to_string()}))
        .record(&mut tx, now)
        .await?;
    tx.commit().await?;
    b.wake.packets.notify_one();
    Ok(id)
}

/// Which file of a packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum File {
    /// The PDF.
    Pdf,
    /// The ZIP bundle.
    Bundle,
}

/// A packet file ready to send, in a temporary file (a bundle can be large).
#[derive(Debug)]
pub struct Download {
    /// File name for `Content-Disposition`.
    pub file_name: String,
    /// MIME type.
    pub content_type: &'static str,
    /// SHA-256, hex (checked against the bytes).
    pub sha256: String,
    /// Size in bytes.
    pub size: u64,
    /// The bytes, at the start of the file.
    pub file: std::fs::File,
}

impl File {
    /// `pdf` or `zip`.
    pub fn ext(self) -> &'static str {
        match self {
            File::Pdf => "pdf",
            File::Bundle => "zip",
        }
    }
}

/// Records a download of a finished packet's file (`packet.downloaded`). This is the POST
/// behind the download buttons: reading the file ([`download`]) records nothing, so a link on
/// another site cannot add entries to the audit trail.
pub async fn grant_download(b: &Backend, v: &Viewer, id: &str, file: File) -> AppResult<()> {
    let p = get(b, v, id).await?;
    if p.status != "done" {
        return Err(not_ready());
    }
    record(b, v, "packet.downloaded", id, &p.as_of, serde_json::json!({"file": file.ext()})).await
}

fn not_ready() -> AppError {
    AppError::Conflict {
        field: "packet".into(),
        message: "This packet is not ready yet; wait until it shows as done.".into(),
    }
}

/// Reads a finished packet's PDF or bundle into a temporary file, re-checking its SHA-256; a
/// mismatch is refused and recorded.
pub async fn download(b: &Backend, v: &Viewer, id: &str, file: File) -> AppResult<Download> {
    let p = get(b, v, id).await?;
    let (sha, content_type) = match file {
        File::Pdf => (p.pdf_sha256.clone(), "application/pdf"),
        File::Bundle => (p.bundle_sha256.clone(), "application/zip"),
    };
    let ext = file.ext();
    let Some(expected) = sha.filter(|_| p.status == "done") else {
        return Err(not_ready());
    };
    let (bytes, actual, size) = b.documents.get_to_file(&format!("packets/{id}.{ext}")).await?;
    if actual != expected {
        tracing::error!(packet = %id, expected = %expected, actual = %actual, "packet file failed its integrity check");
        record(
            b,
            v,
            "packet.integrity_failed",
            id,
            &p.as_of,
            serde_json::json!({"file": ext, "expected": expected, "actual": actual}),
        )
        .await?;
        return Err(AppError::Conflict {
            field: "packet".into(),
            message: "This packet file failed its integrity check (its bytes no longer match the SHA-256 recorded when it was made), so it was not sent. The event is in the audit trail; generate the packet again.".into(),
        });
    }
    let mut ws: String = v
        .workspace_name
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c.to_ascii_lowercase() } else { '-' })
        .collect();
    ws.truncate(40);
    let stem = match file {
        File::Pdf => "evidence-packet",
        File::Bundle => "evidence-bundle",
    };
    Ok(Download {
        file_name: format!("{stem}-{}-{}.{ext}", ws.trim_matches('-'), p.as_of),
        content_type,
        sha256: actual,
        size,
        file: bytes,
    })
}
