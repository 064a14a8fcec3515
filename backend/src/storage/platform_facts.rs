//! The fly.toml facts an import stored per app, as known at a moment: the reads the
//! safeguard checks of a coverage view run on. Writing them is `crate::safeguards`.

use crate::error::{AppError, AppResult};
use baa_core::safeguards::{AppFacts, PlatformConfig};
use sqlx::Row;

/// The stored facts of every app, as known at `known_at` (seconds; `i64::MAX` for now): per
/// app, the newest set imported by then.
pub async fn facts<'e>(
    exec: impl sqlx::Executor<'e, Database = sqlx::Any>,
    ws: &str,
    known_at: i64,
) -> AppResult<Vec<AppFacts>> {
    let rows = sqlx::query(
        "SELECT p.facts, p.secret_names FROM platform_configs p \
         WHERE p.workspace_id = $1 AND p.imported_at = ( \
             SELECT MAX(q.imported_at) FROM platform_configs q \
             WHERE q.workspace_id = p.workspace_id AND q.app = p.app AND q.imported_at <= $2) \
         ORDER BY p.app, p.file",
    )
    .bind(ws)
    .bind(known_at)
    .fetch_all(exec)
    .await?;
    rows.iter().map(decode).collect()
}

pub(crate) fn decode(row: &sqlx::any::AnyRow) -> AppResult<AppFacts> {
    let config: PlatformConfig = serde_json::from_str(&row.try_get::<String, _>("facts")?)
        .map_err(|e| AppError::Internal(anyhow::anyhow!("stored fly.toml facts: {e}")))?;
    let secret_names = match row.try_get::<Option<String>, _>("secret_names")? {
        Some(json) => Some(
            serde_json::from_str(&json)
                .map_err(|e| AppError::Internal(anyhow::anyhow!("stored secret names: {e}")))?,
        ),
        None => None,
    };
    Ok(AppFacts { config, secret_names })
}
