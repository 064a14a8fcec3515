//! Versioned records: every change to an inventory record, agreement or the policy appends a
//! version (who, when, from which day it holds, why) to `records`; nothing is updated in place.
//!
//! Two clocks: `effective_on` is the day from which a version holds (a fact recorded late can
//! say it held earlier), `recorded_at` the moment it was written. A day in the past is read *as
//! recorded* by the end of that day; versions written later are corrections, listed apart
//! (see [`corrections`]), so backdating never silently rewrites what a past day showed.

use crate::db::new_id;
use crate::error::{AppError, AppResult};
use baa_core::account::Viewer;
use chrono::NaiveDate;
use serde::{de::DeserializeOwned, Deserialize, Serialize};
use sqlx::{Any, Row};
use std::collections::BTreeMap;

/// What kind of record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Kind {
    /// Customers, subcontractors, and what we know of catalog vendors (contact, downstream).
    Party,
    /// Fly organizations.
    Org,
    /// Fly apps.
    App,
    /// Services.
    Service,
    /// Agreements.
    Agreement,
    /// The workspace coverage policy.
    Policy,
}

impl Kind {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Party => "party",
            Kind::Org => "org",
            Kind::App => "app",
            Kind::Service => "service",
            Kind::Agreement => "agreement",
            Kind::Policy => "policy",
        }
    }

    pub(crate) fn parse(text: &str) -> Option<Kind> {
        [Kind::Party, Kind::Org, Kind::App, Kind::Service, Kind::Agreement, Kind::Policy]
            .into_iter()
            .find(|k| k.as_str() == text)
    }
}

/// One stored version, as the history views show it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Version {
    /// 1, 2, ...
    pub seq: i64,
    /// Day from which it holds.
    pub effective_on: String,
    /// When it was recorded (formatted).
    pub recorded_at: String,
    /// Who recorded it.
    pub actor: String,
    /// Why, when given.
    pub reason: Option<String>,
    /// Whether this version removed the record.
    pub deleted: bool,
}

/// The last second of a day (UTC), as unix time.
pub fn end_of_day(day: NaiveDate) -> i64 {
    day.succ_opt().and_then(|d| d.and_hms_opt(0, 0, 0)).map_or(i64::MAX, |t| t.and_utc().timestamp() - 1)
}

/// Appends a version of a record inside `tx`, with its audit entry in the same transaction.
/// Every read it needs goes through `tx` too, so a write never waits on another connection.
#[expect(clippy::too_many_arguments, reason = "one row of the version table, named field by field")]
pub(crate) async fn append(
    tx: &mut sqlx::Transaction<'static, Any>,
    v: &Viewer,
    kind: Kind,
    entity_id: &str,
    effective_on: NaiveDate,
    data: &impl Serialize,
    deleted: bool,
    reason: Option<&str>,
    now: i64,
) -> AppResult<()> {
    let seq: i64 = sqlx::query(
        "SELECT CAST(COALESCE(MAX(seq), 0) AS BIGINT) AS n FROM records WHERE workspace_id = $1 AND kind = $2 AND entity_id = $3",
    )
    .bind(&v.workspace_id)
    .bind(kind.as_str())
    .bind(entity_id)
    .fetch_one(&mut **tx)
    .await?
    .try_get("n")?;
    let after = serde_json::to_value(data).map_err(|e| AppError::Internal(e.into()))?;
    let json = after.to_string();
    let before: serde_json::Value = match sqlx::query(
        "SELECT data FROM records WHERE workspace_id = $1 AND kind = $2 AND entity_id = $3 AND seq = $4",
    )
    .bind(&v.workspace_id)
    .bind(kind.as_str())
    .bind(entity_id)
    .bind(seq)
    .fetch_optional(&mut **tx)
    .await?
    {
        Some(r) => serde_json::from_str(&r.try_get::<String, _>("data")?).unwrap_or(serde_json::Value::Null),
        None => serde_json::Value::Null,
    };
    let name = after
        .get("name")
        .or_else(|| after.get("title"))
        .or_else(|| after.get("slug"))
        .and_then(|n| n.as_str())
        .unwrap_or(entity_id)
        .to_string();
    let action = format!(
        "{}.{}",
        kind.as_str(),
        if deleted {
            "removed"
        } else if seq == 0 {
            "created"
        } else {
            "changed"
        }
    );
    crate::audit::Event::by(v, &action, (kind.as_str(), entity_id, &name))
        .before(before)
        .after(serde_json::json!({"effective_on": effective_on.to_string(), "reason": reason, "data": after}))
        .record(tx, now)
        .await?;
    sqlx::query(
        "INSERT INTO records (id, workspace_id, kind, entity_id, seq, effective_on, recorded_at, actor_id, actor_name, reason, deleted, data) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
    )
    .bind(new_id())
    .bind(&v.workspace_id)
    .bind(kind.as_str())
    .bind(entity_id)
    .bind(seq + 1)
    .bind(effective_on.to_string())
    .bind(now)
    .bind(&v.user_id)
    .bind(&v.name)
    .bind(reason.map(str::trim).filter(|r| !r.is_empty()))
    .bind(i64::from(deleted))
    .bind(json)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// The version in force on `as_of` of every record of `kind`, as recorded by `known_at` (unix
/// seconds), keyed by entity id. `exec` is the pool, or a transaction's connection for reads
/// inside a write.
pub(crate) async fn current<'e, T, E>(
    exec: E,
    ws: &str,
    kind: Kind,
    as_of: NaiveDate,
    known_at: i64,
) -> AppResult<BTreeMap<String, T>>
where
    T: DeserializeOwned,
    E: sqlx::Executor<'e, Database = Any>,
{
    // Only the version in force per entity leaves the database: the last by (effective_on, seq)
    // of those that hold on the day and were known by then; a removal in force means absent.
    let rows = sqlx::query(
        "SELECT entity_id, data FROM ( \
           SELECT entity_id, deleted, data, ROW_NUMBER() OVER ( \
             PARTITION BY entity_id ORDER BY effective_on DESC, seq DESC) AS rn \
           FROM records WHERE workspace_id = $1 AND kind = $2 AND effective_on <= $3 AND recorded_at <= $4 \
         ) AS in_force WHERE rn = 1 AND deleted = 0 ORDER BY entity_id",
    )
    .bind(ws)
    .bind(kind.as_str())
    .bind(as_of.to_string())
    .bind(known_at)
    .fetch_all(exec)
    .await?;
    let mut out = BTreeMap::new();
    for r in rows {
        let id: String = r.try_get("entity_id")?;
        let data: String = r.try_get("data")?;
        let value: T = serde_json::from_str(&data)
            .map_err(|e| AppError::Internal(anyhow::anyhow!("record {id}: {e}")))?;
        out.insert(id, value);
    }
    Ok(out)
}

/// The last day that compares correctly as `YYYY-MM-DD` text (reads every recorded version).
pub fn last_day() -> NaiveDate {
    NaiveDate::from_ymd_opt(9999, 12, 31).unwrap_or(NaiveDate::MAX)
}

/// Version history of one record, oldest first (empty when it is not in this workspace).
pub async fn history(db: &crate::db::Db, ws: &str, kind: Kind, entity_id: &str) -> AppResult<Vec<Version>> {
    let rows = sqlx::query(
        "SELECT seq, effective_on, recorded_at, actor_name, reason, deleted FROM records \
         WHERE workspace_id = $1 AND kind = $2 AND entity_id = $3 ORDER BY seq",
    )
    .bind(ws)
    .bind(kind.as_str())
    .bind(entity_id)
    .fetch_all(&db.pool)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(Version {
                seq: r.try_get("seq")?,
                effective_on: r.try_get("effective_on")?,
                recorded_at: crate::clock::fmt_ts(r.try_get("recorded_at")?),
                actor: r.try_get("actor_name")?,
                reason: r.try_get("reason")?,
                deleted: crate::db::flag(r, "deleted")?,
            })
        })
        .collect()
}

/// Days each record of `kind` was first recorded (UTC), keyed by entity id.
pub(crate) async fn first_recorded<'e>(
    exec: impl sqlx::Executor<'e, Database = Any>,
    ws: &str,
    kind: Kind,
) -> AppResult<BTreeMap<String, NaiveDate>> {
    let rows = sqlx::query(
        "SELECT entity_id, CAST(MIN(recorded_at) AS BIGINT) AS at FROM records WHERE workspace_id = $1 AND kind = $2 \
         GROUP BY entity_id",
    )
    .bind(ws)
    .bind(kind.as_str())
    .fetch_all(exec)
    .await?;
    let mut out = BTreeMap::new();
    for r in rows {
        let at: i64 = r.try_get("at")?;
        if let Some(t) = chrono::DateTime::from_timestamp(at, 0) {
            out.insert(r.try_get("entity_id")?, t.date_naive());
        }
    }
    Ok(out)
}

/// A version written after the end of a day that changes what held on that day: a correction
/// (a backdated record, or a change whose effective day is on or before it).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Correction {
    /// What kind of record.
    pub kind: Kind,
    /// Its id.
    pub entity_id: String,
    /// Its name when it has one.
    pub name: String,
    /// Day from which the version holds.
    pub effective_on: String,
    /// When it was recorded (formatted).
    pub recorded_at: String,
    /// Who recorded it.
    pub actor: String,
    /// Why, when given.
    pub reason: Option<String>,
    /// created, changed or removed.
    pub change: String,
}

/// Versions recorded after `known_at` whose effective day is on or before `as_of`.
pub async fn corrections(
    db: &crate::db::Db,
    ws: &str,
    as_of: NaiveDate,
    known_at: i64,
) -> AppResult<Vec<Correction>> {
    let rows = sqlx::query(
        "SELECT kind, entity_id, seq, effective_on, recorded_at, actor_name, reason, deleted, data FROM records \
         WHERE workspace_id = $1 AND effective_on <= $2 AND recorded_at > $3 ORDER BY recorded_at, kind, entity_id, seq",
    )
    .bind(ws)
    .bind(as_of.to_string())
    .bind(known_at)
    .fetch_all(&db.pool)
    .await?;
    let mut out = Vec::new();
    for r in rows {
        let Some(kind) = Kind::parse(&r.try_get::<String, _>("kind")?) else { continue };
        let entity_id: String = r.try_get("entity_id")?;
        let data: serde_json::Value =
            serde_json::from_str(&r.try_get::<String, _>("data")?).unwrap_or_default();
        let name = ["name", "title", "slug"]
            .iter()
            .find_map(|k| data.get(*k).and_then(|n| n.as_str()))
            .unwrap_or(&entity_id)
            .to_owned();
        let change = if crate::db::flag(&r, "deleted")? {
            "removed"
        } else if r.try_get::<i64, _>("seq")? == 1 {
            "created"
        } else {
            "changed"
        };
        out.push(Correction {
            kind,
            entity_id,
            name,
            effective_on: r.try_get("effective_on")?,
            recorded_at: crate::clock::fmt_ts(r.try_get("recorded_at")?),
            actor: r.try_get("actor_name")?,
            reason: r.try_get("reason")?,
            change: change.to_owned(),
        });
    }
    Ok(out)
}
