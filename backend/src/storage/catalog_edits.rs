//! The vendor catalog a workspace reads: the bundled one and its local edits, as stored: the reads the world is built from. The
//! commands that write them (edit, revert, keep, take the bundled entry) are in
//! `crate::catalog_store`.

use crate::db::flag;
use crate::error::{AppError, AppResult};
use baa_core::catalog::{Catalog, Vendor};
use sqlx::Row;
use std::collections::BTreeMap;
use std::sync::OnceLock;

/// The bundled vendor catalog.
pub fn catalog() -> &'static Catalog {
    static CATALOG: OnceLock<Catalog> = OnceLock::new();
    CATALOG.get_or_init(|| Catalog::bundled().unwrap_or_else(|_| Catalog::empty()))
}

/// A local edit in force for one vendor.
#[derive(Debug, Clone)]
pub(crate) struct Edit {
    pub data: Vendor,
    pub base: Vendor,
    pub by: String,
    pub at: i64,
    pub reason: String,
}

/// Latest non-reverted edit per vendor recorded at or before `until` (unix seconds).
pub(crate) async fn edits<'e>(
    exec: impl sqlx::Executor<'e, Database = sqlx::Any>,
    ws: &str,
    until: i64,
) -> AppResult<BTreeMap<String, Edit>> {
    let rows = sqlx::query(
        "SELECT vendor_slug, recorded_at, actor_name, reason, reverted, base_data, data FROM catalog_edits \
         WHERE workspace_id = $1 AND recorded_at <= $2 ORDER BY vendor_slug, seq",
    )
    .bind(ws)
    .bind(until)
    .fetch_all(exec)
    .await?;
    let mut out = BTreeMap::new();
    for r in rows {
        let slug: String = r.try_get("vendor_slug")?;
        if flag(&r, "reverted")? {
            out.remove(&slug);
            continue;
        }
        let parse = |col: &str| -> AppResult<Vendor> {
            let s: String = r.try_get(col)?;
            serde_json::from_str(&s)
                .map_err(|e| AppError::Internal(anyhow::anyhow!("catalog edit {slug}: {e}")))
        };
        out.insert(
            slug.clone(),
            Edit {
                data: parse("data")?,
                base: parse("base_data")?,
                by: r.try_get("actor_name")?,
                at: r.try_get("recorded_at")?,
                reason: r.try_get("reason")?,
            },
        );
    }
    Ok(out)
}

/// The catalog in force for a workspace at `until` (unix seconds): bundled entries with local
/// edits applied.
pub async fn effective<'e>(
    exec: impl sqlx::Executor<'e, Database = sqlx::Any>,
    ws: &str,
    until: i64,
) -> AppResult<Catalog> {
    let mut cat = catalog().clone();
    let e = edits(exec, ws, until).await?;
    for v in &mut cat.vendors {
        if let Some(edit) = e.get(&v.slug) {
            *v = edit.data.clone();
        }
    }
    Ok(cat)
}
