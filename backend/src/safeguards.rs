//! Platform safeguards (issue 18) in a workspace: the fly.toml facts an import stores, the
//! policy's snapshot retention and approved exceptions, and the checks over them.
//!
//! - [`store_from_snapshot`] runs inside the import's transaction: per app whose fly.toml the
//!   snapshot holds, the facts of its files (`baa_core::safeguards::PlatformConfig`, which has
//!   no field for a secret value) and the app's secret names, as a new set when they differ from
//!   the stored one. Nothing is updated in place, so a past day is checked with what was known
//!   by its end.
//! - `crate::storage::platform_facts::facts` reads the sets in force at a moment; the world's
//!   coverage view runs the checks on them.
//! - [`save_retention`], [`add_exception`], [`remove_exception`] change the policy record (the
//!   same versioned `policy` record as the region policy), read and written in one transaction.

use crate::authz::authorize;
use crate::error::{AppError, AppResult};
use crate::storage::platform_facts::decode;
use crate::storage::records::{append, Kind};
use crate::storage::world::{policy_in, today};
use crate::Backend;
use baa_core::account::{Permission, Viewer};
use baa_core::coverage::{Policy, World};
use baa_core::fly_import::Snapshot;
use baa_core::safeguards::{AppFacts, PlatformConfig, SafeguardException, SafeguardRule};
use chrono::NaiveDate;
use sqlx::Row;
use std::collections::BTreeMap;

/// Longest exception reason kept.
pub const MAX_REASON_CHARS: usize = 500;

/// Stores, inside the import's transaction `tx`, the facts of each fly.toml of `snapshot`
/// whose app is in `after` (the world the import leaves). An app's set is written again only
/// when it differs from the stored one. Returns the number of apps whose facts were written.
pub async fn store_from_snapshot(
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    v: &Viewer,
    snapshot: &Snapshot,
    after: &World,
    snapshot_sha256: &str,
    now: i64,
) -> AppResult<usize> {
    let mut by_app: BTreeMap<&str, Vec<&PlatformConfig>> = BTreeMap::new();
    for t in &snapshot.fly_tomls {
        if let Some(config) = t.config.as_ref().filter(|_| after.apps.iter().any(|a| a.name == t.app)) {
            by_app.entry(t.app.as_str()).or_default().push(config);
        }
    }
    let mut written = 0;
    for (app, configs) in by_app {
        let secret_names: Option<Vec<String>> = snapshot
            .secrets
            .iter()
            .find(|s| s.app == app)
            .map(|s| s.secrets.iter().map(|n| n.name.clone()).collect());
        let mut new: Vec<AppFacts> = configs
            .into_iter()
            .map(|c| AppFacts { config: c.clone(), secret_names: secret_names.clone() })
            .collect();
        new.sort_by(|a, b| a.config.file.cmp(&b.config.file));
        let latest: Option<i64> = sqlx::query(
            "SELECT MAX(imported_at) AS t FROM platform_configs WHERE workspace_id = $1 AND app = $2",
        )
        .bind(&v.workspace_id)
        .bind(app)
        .fetch_one(&mut **tx)
        .await?
        .try_get("t")?;
        if let Some(t) = latest {
            let rows = sqlx::query(
                "SELECT facts, secret_names FROM platform_configs \
                 WHERE workspace_id = $1 AND app = $2 AND imported_at = $3 ORDER BY file",
            )
            .bind(&v.workspace_id)
            .bind(app)
            .bind(t)
            .fetch_all(&mut **tx)
            .await?;
            let old = rows.iter().map(decode).collect::<AppResult<Vec<_>>>()?;
            if old == new {
                continue;
            }
        }
        // Two imports within one second still get distinct sets.
        let at = latest.map_or(now, |t| now.max(t + 1));
        for f in &new {
            let facts = serde_json::to_string(&f.config).map_err(|e| AppError::Internal(e.into()))?;
            let names = match &f.secret_names {
                Some(n) => Some(serde_json::to_string(n).map_err(|e| AppError::Internal(e.into()))?),
                None => None,
            };
            sqlx::query(
                "INSERT INTO platform_configs \
                 (workspace_id, app, file, imported_at, imported_by, snapshot_sha256, facts, secret_names) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            )
            .bind(&v.workspace_id)
            .bind(app)
            .bind(&f.config.file)
            .bind(at)
            .bind(&v.user_id)
            .bind(snapshot_sha256)
            .bind(facts)
            .bind(names)
            .execute(&mut **tx)
            .await?;
        }
        written += 1;
    }
    Ok(written)
}

/// Reads the policy in force today inside a write, lets `change` edit it, and appends it.
async fn edit_policy(
    b: &Backend,
    v: &Viewer,
    reason: &str,
    change: impl FnOnce(&mut Policy, NaiveDate) -> AppResult<()>,
) -> AppResult<Policy> {
    authorize(v, Permission::ManageSettings)?;
    let on = today(b);
    let mut tx = b.db.begin_write().await?;
    let mut policy = policy_in(&mut *tx, &v.workspace_id, on, i64::MAX).await?;
    change(&mut policy, on)?;
    append(&mut tx, v, Kind::Policy, "policy", on, &policy, false, Some(reason), b.clock.now()).await?;
    tx.commit().await?;
    Ok(policy)
}

/// Parses the snapshot retention field: whole days from 1 to 60 (what Fly accepts).
pub fn retention_days(field: &str, s: &str) -> AppResult<u32> {
    s.trim().parse::<u32>().ok().filter(|d| (1..=60).contains(d)).ok_or_else(|| {
        AppError::invalid(
            field,
            "give the days of volume snapshots to keep, a whole number from 1 to 60 (Fly keeps at most 60)",
        )
    })
}

/// Sets the snapshot retention PHI apps' volumes must keep, from today on.
pub async fn save_retention(b: &Backend, v: &Viewer, days: &str) -> AppResult<Policy> {
    authorize(v, Permission::ManageSettings)?;
    let days = retention_days("snapshot_retention_days", days)?;
    edit_policy(b, v, "snapshot retention changed", |p, _| {
        p.safeguards.snapshot_retention_days = days;
        Ok(())
    })
    .await
}

/// An exception as typed in the settings form.
#[derive(Debug, Clone, Default, serde::Deserialize)]
pub struct ExceptionInput {
    /// Rule id (`transport-unencrypted`).
    #[serde(default)]
    pub rule: String,
    /// Fly app name.
    #[serde(default)]
    pub app: String,
    /// Why the failure is acceptable.
    #[serde(default)]
    pub reason: String,
    /// Optional last day (YYYY-MM-DD).
    #[serde(default)]
    pub expires_on: String,
}

/// Records an exception approved by the viewer (an owner) today. The rule must be a safeguard
/// rule, the app one on record, the reason given; one exception per rule and app.
pub async fn add_exception(b: &Backend, v: &Viewer, input: &ExceptionInput) -> AppResult<SafeguardException> {
    authorize(v, Permission::ManageSettings)?;
    let rule = SafeguardRule::from_id(input.rule.trim()).ok_or_else(|| {
        let ids: Vec<&str> = SafeguardRule::ALL.iter().map(|r| r.as_str()).collect();
        AppError::invalid("rule", format!("choose one of the safeguard rules: {}", ids.join(", ")))
    })?;
    let app = input.app.trim().to_lowercase();
    if app.is_empty() {
        return Err(AppError::invalid("app", "name the Fly app the exception is for"));
    }
    let on = today(b);
    let world = crate::storage::world::load(b, &v.workspace_id, &v.workspace_name, on, i64::MAX).await?;
    if !world.apps.iter().any(|a| a.name == app) {
        return Err(AppError::invalid(
            "app",
            format!("there is no app {app} in the inventory; import or add it first"),
        ));
    }
    let reason = input.reason.trim();
    if reason.is_empty() {
        return Err(AppError::invalid(
            "reason",
            "say why this failure is acceptable (an auditor reads it in the packet)",
        ));
    }
    if reason.chars().count() > MAX_REASON_CHARS || reason.chars().any(|c| c.is_control() && c != '\n') {
        return Err(AppError::invalid(
            "reason",
            format!("keep the reason under {MAX_REASON_CHARS} characters of plain text"),
        ));
    }
    let expires_on = crate::input::date("expires_on", &input.expires_on)?;
    if expires_on.is_some_and(|d| d < on) {
        return Err(AppError::invalid(
            "expires_on",
            "the last day must be today or later (or leave it empty)",
        ));
    }
    let approver =
        if v.name.trim().is_empty() { v.email.clone() } else { format!("{} <{}>", v.name, v.email) };
    let exception = SafeguardException {
        rule,
        app: app.clone(),
        reason: reason.to_owned(),
        approved_by: approver,
        approved_on: on,
        expires_on,
    };
    let added = exception.clone();
    edit_policy(b, v, &format!("safeguard exception approved: {rule} for {app}"), move |p, _| {
        if p.safeguards.exceptions.iter().any(|e| e.rule == rule && e.app == app) {
            return Err(AppError::Conflict {
                field: "rule".into(),
                message: format!(
                    "{app} already has an exception for {rule}; remove it first to record a new one"
                ),
            });
        }
        p.safeguards.exceptions.push(exception);
        Ok(())
    })
    .await?;
    Ok(added)
}

/// Removes the exception for (rule, app) from today on.
pub async fn remove_exception(b: &Backend, v: &Viewer, rule: &str, app: &str) -> AppResult<()> {
    authorize(v, Permission::ManageSettings)?;
    let rule = SafeguardRule::from_id(rule.trim())
        .ok_or_else(|| AppError::invalid("rule", "unknown safeguard rule"))?;
    let app = app.trim().to_owned();
    edit_policy(b, v, &format!("safeguard exception removed: {rule} for {app}"), |p, _| {
        let before = p.safeguards.exceptions.len();
        p.safeguards.exceptions.retain(|e| !(e.rule == rule && e.app == app));
        if p.safeguards.exceptions.len() == before {
            return Err(AppError::NotFound);
        }
        Ok(())
    })
    .await?;
    Ok(())
}
