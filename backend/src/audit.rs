//! The tamper-evident audit trail.
//!
//! Every change appends an entry in the same transaction as the change itself: actor, time,
//! action, subject, before and after (as JSON), source address. Entries form one hash chain per
//! workspace: each holds the SHA-256 of the previous entry and the SHA-256 of its own canonical
//! content (a JSON object with a fixed key order that includes the previous hash). [`verify`]
//! recomputes the chain and names the first entry where it breaks. Nothing in the app updates or
//! deletes entries.

use crate::authz::authorize;
use crate::error::{AppError, AppResult};
use crate::Backend;
use baa_core::account::{Permission, Viewer};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use sqlx::{Any, Row, Transaction};

/// The hash before the first entry of every chain.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// Who did something, and from where.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Actor {
    /// User id (or "anonymous", or a token id later).
    pub id: String,
    /// Display name at the time.
    pub name: String,
    /// Client address.
    pub source: String,
}

impl Actor {
    /// The signed-in viewer.
    pub fn of(v: &Viewer) -> Actor {
        Actor { id: v.user_id.clone(), name: v.name.clone(), source: v.source.clone() }
    }

    /// Someone not signed in, from `source`.
    pub fn anonymous(source: &str) -> Actor {
        Actor { id: "anonymous".into(), name: "anonymous".into(), source: source.into() }
    }
}

/// What happened to what.
#[derive(Debug, Clone)]
pub struct Event<'a> {
    /// Chain: the workspace, or "" for events with no workspace.
    pub workspace_id: &'a str,
    /// Who.
    pub actor: Actor,
    /// Dotted verb such as `service.saved`, `member.removed`, `login.failed`.
    pub action: &'a str,
    /// Kind of subject (`service`, `agreement`, `user`, ...).
    pub subject_kind: &'a str,
    /// Its id.
    pub subject_id: &'a str,
    /// Its display name at the time.
    pub subject_name: &'a str,
    /// State before (JSON `null` when none).
    pub before: serde_json::Value,
    /// State after (JSON `null` when none).
    pub after: serde_json::Value,
}

impl<'a> Event<'a> {
    /// `actor` did `action` to `subject` (kind, id, display name) in the chain of
    /// `workspace_id`; no state before or after until [`Event::before`] / [`Event::after`].
    pub fn new(
        workspace_id: &'a str,
        actor: &Actor,
        action: &'a str,
        subject: (&'a str, &'a str, &'a str),
    ) -> Self {
        let (subject_kind, subject_id, subject_name) = subject;
        Event {
            workspace_id,
            actor: actor.clone(),
            action,
            subject_kind,
            subject_id,
            subject_name,
            before: serde_json::Value::Null,
            after: serde_json::Value::Null,
        }
    }

    /// The signed-in viewer `v` did `action` to `subject`, in the chain of `v`'s workspace: what
    /// nearly every event is.
    pub fn by(v: &'a Viewer, action: &'a str, subject: (&'a str, &'a str, &'a str)) -> Self {
        Event::new(&v.workspace_id, &Actor::of(v), action, subject)
    }

    /// Appends the event inside the caller's transaction (see [`record`]).
    pub async fn record(self, tx: &mut Transaction<'static, Any>, now: i64) -> AppResult<()> {
        record(tx, now, self).await
    }

    /// With the state before the change.
    pub fn before(self, before: serde_json::Value) -> Self {
        Event { before, ..self }
    }

    /// With the state after the change.
    pub fn after(self, after: serde_json::Value) -> Self {
        Event { after, ..self }
    }
}

/// One stored entry, as listed and exported.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Entry {
    /// Position in its chain, from 1.
    pub seq: i64,
    /// Unix seconds.
    pub at: i64,
    /// Actor id.
    pub actor_id: String,
    /// Actor name.
    pub actor_name: String,
    /// Action.
    pub action: String,
    /// Subject kind.
    pub subject_kind: String,
    /// Subject id.
    pub subject_id: String,
    /// Subject name.
    pub subject_name: String,
    /// Before.
    pub before: serde_json::Value,
    /// After.
    pub after: serde_json::Value,
    /// Source address.
    pub source: String,
    /// Hash of the previous entry.
    pub prev_hash: String,
    /// Hash of this entry.
    pub hash: String,
}

/// The canonical text an entry's hash is computed over (fixed key order; the workspace id is part
/// of it so an entry cannot be moved to another chain).
pub fn canonical(workspace_id: &str, e: &Entry) -> String {
    let v = serde_json::json!([
        ["workspace_id", workspace_id],
        ["seq", e.seq],
        ["at", e.at],
        ["actor_id", e.actor_id],
        ["actor_name", e.actor_name],
        ["action", e.action],
        ["subject_kind", e.subject_kind],
        ["subject_id", e.subject_id],
        ["subject_name", e.subject_name],
        ["before", e.before],
        ["after", e.after],
        ["source", e.source],
        ["prev_hash", e.prev_hash],
    ]);
    v.to_string()
}

/// SHA-256 (hex) of an entry's canonical text.
pub fn entry_hash(workspace_id: &str, e: &Entry) -> String {
    hex::encode(Sha256::digest(canonical(workspace_id, e).as_bytes()))
}

/// Appends an entry inside the caller's transaction.
pub async fn record(tx: &mut Transaction<'static, Any>, now: i64, ev: Event<'_>) -> AppResult<()> {
    // Take (or create) the chain head under a row lock.
    sqlx::query("INSERT INTO audit_heads (workspace_id, seq, hash) VALUES ($1, 0, $2) ON CONFLICT (workspace_id) DO NOTHING")
        .bind(ev.workspace_id)
        .bind(GENESIS)
        .execute(&mut **tx)
        .await?;
    let head =
        sqlx::query("UPDATE audit_heads SET seq = seq + 1 WHERE workspace_id = $1 RETURNING seq, hash")
            .bind(ev.workspace_id)
            .fetch_one(&mut **tx)
            .await?;
    let mut entry = Entry {
        seq: head.try_get("seq")?,
        at: now,
        actor_id: ev.actor.id.clone(),
        actor_name: ev.actor.name.clone(),
        action: ev.action.into(),
        subject_kind: ev.subject_kind.into(),
        subject_id: ev.subject_id.into(),
        subject_name: ev.subject_name.into(),
        before: ev.before,
        after: ev.after,
        source: ev.actor.source.clone(),
        prev_hash: head.try_get("hash")?,
        hash: String::new(),
    };
    entry.hash = entry_hash(ev.workspace_id, &entry);
    sqlx::query(
        "INSERT INTO audit_log (workspace_id, seq, at, actor_id, actor_name, action, subject_kind, subject_id, subject_name, \
         before_json, after_json, source, prev_hash, hash) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)",
    )
    .bind(ev.workspace_id)
    .bind(entry.seq)
    .bind(entry.at)
    .bind(&entry.actor_id)
    .bind(&entry.actor_name)
    .bind(&entry.action)
    .bind(&entry.subject_kind)
    .bind(&entry.subject_id)
    .bind(&entry.subject_name)
    .bind(entry.before.to_string())
    .bind(entry.after.to_string())
    .bind(&entry.source)
    .bind(&entry.prev_hash)
    .bind(&entry.hash)
    .execute(&mut **tx)
    .await?;
    sqlx::query("UPDATE audit_heads SET hash = $1 WHERE workspace_id = $2")
        .bind(&entry.hash)
        .bind(ev.workspace_id)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

fn row_entry(r: &sqlx::any::AnyRow) -> AppResult<Entry> {
    let json = |col: &str| -> AppResult<serde_json::Value> {
        let s: String = r.try_get(col)?;
        serde_json::from_str(&s).map_err(|e| AppError::Internal(anyhow::anyhow!("audit entry {col}: {e}")))
    };
    Ok(Entry {
        seq: r.try_get("seq")?,
        at: r.try_get("at")?,
        actor_id: r.try_get("actor_id")?,
        actor_name: r.try_get("actor_name")?,
        action: r.try_get("action")?,
        subject_kind: r.try_get("subject_kind")?,
        subject_id: r.try_get("subject_id")?,
        subject_name: r.try_get("subject_name")?,
        before: json("before_json")?,
        after: json("after_json")?,
        source: r.try_get("source")?,
        prev_hash: r.try_get("prev_hash")?,
        hash: r.try_get("hash")?,
    })
}

const COLUMNS: &str = "seq, at, actor_id, actor_name, action, subject_kind, subject_id, subject_name, before_json, after_json, source, prev_hash, hash";

/// The result of checking a chain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Verification {
    /// Entries checked.
    pub entries: i64,
    /// Hash of the last entry (the chain head).
    pub head: String,
    /// The first entry where the chain breaks, and why; `None` when intact.
    pub broken_at: Option<(i64, String)>,
}

/// Recomputes the workspace's chain from the first entry.
pub async fn verify(b: &Backend, v: &Viewer) -> AppResult<Verification> {
    authorize(v, Permission::ReadAudit)?;
    verify_chain(b, &v.workspace_id).await
}

/// Recomputes one chain (also used by tests and, later, evidence packets).
pub async fn verify_chain(b: &Backend, workspace_id: &str) -> AppResult<Verification> {
    let rows = sqlx::query(&format!("SELECT {COLUMNS} FROM audit_log WHERE workspace_id = $1 ORDER BY seq"))
        .bind(workspace_id)
        .fetch_all(&b.db.pool)
        .await?;
    let mut prev = GENESIS.to_string();
    let mut count = 0;
    for (expected_seq, r) in (1_i64..).zip(rows.iter()) {
        let e = row_entry(r)?;
        count += 1;
        let problem = if e.seq != expected_seq {
            Some(format!("entry {expected_seq} is missing"))
        } else if e.prev_hash != prev {
            Some("it does not point to the entry before it".to_string())
        } else if entry_hash(workspace_id, &e) != e.hash {
            Some("its content does not match its hash (it was changed after it was written)".to_string())
        } else {
            None
        };
        if let Some(p) = problem {
            return Ok(Verification {
                entries: count,
                head: e.hash,
                broken_at: Some((e.seq.min(expected_seq), p)),
            });
        }
        prev = e.hash.clone();
    }
    // The recorded head must match the last entry (catches deleted trailing entries).
    if let Some(h) = sqlx::query("SELECT seq, hash FROM audit_heads WHERE workspace_id = $1")
        .bind(workspace_id)
        .fetch_optional(&b.db.pool)
        .await?
    {
        let seq: i64 = h.try_get("seq")?;
        if seq != count {
            return Ok(Verification {
                entries: count,
                head: prev,
                broken_at: Some((count + 1, format!("entries {} to {seq} were removed", count + 1))),
            });
        }
    }
    Ok(Verification { entries: count, head: prev, broken_at: None })
}

/// Filters of the audit page.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct Filter {
    /// Actor name contains.
    #[serde(default)]
    pub actor: String,
    /// Subject name or id contains.
    #[serde(default)]
    pub subject: String,
    /// Action starts with.
    #[serde(default)]
    pub action: String,
    /// From day (YYYY-MM-DD).
    #[serde(default)]
    pub from: String,
    /// To day (YYYY-MM-DD), inclusive.
    #[serde(default)]
    pub to: String,
    /// Subject kind, exactly ("agreement", "user"; empty: any).
    #[serde(default)]
    pub kind: String,
    /// Oldest entries first (the chain's order) instead of newest first.
    #[serde(default)]
    pub oldest_first: bool,
}

/// The values the audit filter offers to choose from: those present in the workspace's chain.
pub use baa_core::audit::AuditChoices as Choices;

pub async fn choices(b: &Backend, v: &Viewer) -> AppResult<Choices> {
    authorize(v, Permission::ReadAudit)?;
    let mut out = Choices::default();
    for (column, into) in
        [("actor_name", &mut out.actors), ("action", &mut out.actions), ("subject_kind", &mut out.kinds)]
    {
        // The column names are fixed above, never input.
        let rows = sqlx::query(&format!(
            "SELECT DISTINCT {column} AS v FROM audit_log WHERE workspace_id = $1 ORDER BY {column}"
        ))
        .bind(&v.workspace_id)
        .fetch_all(&b.db.pool)
        .await?;
        for r in &rows {
            into.push(r.try_get("v")?);
        }
    }
    Ok(out)
}

fn day_start(field: &str, s: &str) -> AppResult<Option<i64>> {
    Ok(crate::input::date(field, s)?.and_then(|d| d.and_hms_opt(0, 0, 0)).map(|t| t.and_utc().timestamp()))
}

/// Entries of the viewer's workspace matching the filter, newest first (at most `limit`, after
/// skipping `offset`).
pub async fn list(b: &Backend, v: &Viewer, f: &Filter, limit: i64, offset: i64) -> AppResult<Vec<Entry>> {
    authorize(v, Permission::ReadAudit)?;
    for (field, value) in
        [("actor", &f.actor), ("subject", &f.subject), ("action", &f.action), ("kind", &f.kind)]
    {
        baa_core::account::check_text(field, value, 0, 200, false)?;
    }
    let from = day_start("from", &f.from)?.unwrap_or(i64::MIN);
    let to = day_start("to", &f.to)?.map(|t| t + 86_400).unwrap_or(i64::MAX);
    // Chosen values hold `_` ("password.reset_requested"): escaped, not dropped.
    let escape = |s: &str| s.trim().replace('!', "!!").replace('%', "!%").replace('_', "!_");
    let like = |s: &str| format!("%{}%", escape(&s.to_lowercase()));
    let rows = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM audit_log WHERE workspace_id = $1 AND at >= $2 AND at < $3 \
         AND LOWER(actor_name) LIKE $4 ESCAPE '!' AND (LOWER(subject_name) LIKE $5 ESCAPE '!' OR LOWER(subject_id) LIKE $5 ESCAPE '!') \
         AND action LIKE $6 ESCAPE '!' \
         AND ($7 = '' OR subject_kind = $7) ORDER BY seq {order} LIMIT $8 OFFSET $9",
        order = if f.oldest_first { "ASC" } else { "DESC" }
    ))
    .bind(&v.workspace_id)
    .bind(from)
    .bind(to)
    .bind(like(&f.actor))
    .bind(like(&f.subject))
    .bind(format!("{}%", escape(&f.action)))
    .bind(f.kind.trim())
    .bind(limit)
    .bind(offset.max(0))
    .fetch_all(&b.db.pool)
    .await?;
    rows.iter().map(row_entry).collect()
}

/// The last `limit` entries of a workspace's chain recorded at or before `until` (unix seconds),
/// oldest first. No permission check: callers (evidence packets) check their own.
pub async fn excerpt(b: &Backend, workspace_id: &str, until: i64, limit: i64) -> AppResult<Vec<Entry>> {
    let rows = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM audit_log WHERE workspace_id = $1 AND at <= $2 ORDER BY seq DESC LIMIT $3"
    ))
    .bind(workspace_id)
    .bind(until)
    .bind(limit)
    .fetch_all(&b.db.pool)
    .await?;
    let mut out = rows.iter().map(row_entry).collect::<AppResult<Vec<_>>>()?;
    out.reverse();
    Ok(out)
}

/// Records an export of the chain (`audit.exported`): the POST behind the export button.
/// Reading the export ([`export_jsonl`]) records nothing, so no link on another site can add
/// entries to the trail.
pub async fn record_export(b: &Backend, v: &Viewer) -> AppResult<()> {
    authorize(v, Permission::ReadAudit)?;
    let mut tx = b.db.begin_write().await?;
    Event::by(v, "audit.exported", ("workspace", &v.workspace_id, &v.workspace_name))
        .record(&mut tx, b.clock.now())
        .await?;
    tx.commit().await?;
    Ok(())
}

/// The whole chain as JSON Lines (oldest first), for an export recorded by [`record_export`].
pub async fn export_jsonl(b: &Backend, v: &Viewer) -> AppResult<String> {
    authorize(v, Permission::ReadAudit)?;
    let rows = sqlx::query(&format!("SELECT {COLUMNS} FROM audit_log WHERE workspace_id = $1 ORDER BY seq"))
        .bind(&v.workspace_id)
        .fetch_all(&b.db.pool)
        .await?;
    let mut out = String::new();
    for r in &rows {
        let e = row_entry(r)?;
        out.push_str(&serde_json::to_string(&e).map_err(|e| AppError::Internal(e.into()))?);
        out.push('\n');
    }
    Ok(out)
}
