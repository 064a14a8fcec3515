//! One sync of a connected org, under a lease: discover, plan, apply all or nothing, or record
//! the fault and back off; and the scheduler that runs syncs when due.

use super::*;

/// How a sync ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SyncOutcome {
    /// The plan was applied (possibly empty).
    Applied(SyncSummary),
    /// A fault: nothing of the plan was written; the state says why.
    Failed {
        /// The error class.
        class: String,
        /// For people.
        message: String,
    },
    /// Another sync of this org holds the lease.
    Busy,
}

/// Syncs one integration of the viewer's workspace now (the page's button, the API, the CLI).
/// Needs the right to change the inventory.
pub async fn sync_now(b: &Backend, v: &Viewer, id: &str) -> AppResult<(SyncOutcome, IntegrationView)> {
    authorize(v, Permission::EditInventory)?;
    get(b, &v.workspace_id, id).await?;
    let outcome = sync(b, &v.workspace_id, id).await?;
    Ok((outcome, get(b, &v.workspace_id, id).await?))
}

/// Syncs every integration of workspace `ws` (the `sync` command), by org.
pub async fn sync_workspace(b: &Backend, ws: &str) -> AppResult<Vec<(String, SyncOutcome)>> {
    let mut out = Vec::new();
    for i in list_in(b, ws).await? {
        out.push((i.org.clone(), sync(b, ws, &i.id).await?));
    }
    Ok(out)
}

/// Takes the lease of integration `id` for `owner` when it is free or expired. Works the same on
/// SQLite and PostgreSQL: one UPDATE whose WHERE clause is the condition.
pub async fn take_lease(b: &Backend, id: &str, owner: &str) -> AppResult<bool> {
    let now = b.clock.now();
    let r = sqlx::query(
        "UPDATE fly_integrations SET lease_owner = $1, lease_expires_at = $2 WHERE id = $3 AND lease_expires_at <= $4",
    )
    .bind(owner)
    .bind(now + LEASE_SECS)
    .bind(id)
    .bind(now)
    .execute(&b.db.pool)
    .await?;
    Ok(r.rows_affected() == 1)
}

async fn release_lease(b: &Backend, id: &str, owner: &str) {
    let r = sqlx::query(
        "UPDATE fly_integrations SET lease_owner = NULL, lease_expires_at = 0 WHERE id = $1 AND lease_owner = $2",
    )
    .bind(id)
    .bind(owner)
    .execute(&b.db.pool)
    .await;
    if let Err(e) = r {
        tracing::warn!(integration = id, error = %e, "releasing an integration lease failed; it expires on its own");
    }
}

/// Syncs integration `id` of workspace `ws`: lease, discovery, plan, one transaction.
pub async fn sync(b: &Backend, ws: &str, id: &str) -> AppResult<SyncOutcome> {
    let owner = format!("{}:{}", instance_id(), new_id());
    if !take_lease(b, id, &owner).await? {
        return Ok(SyncOutcome::Busy);
    }
    let result = sync_leased(b, ws, id, &owner).await;
    release_lease(b, id, &owner).await;
    result
}

/// This process's id in lease owners (for people reading the table).
fn instance_id() -> &'static str {
    static ID: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    ID.get_or_init(|| format!("{}-{}", std::process::id(), &new_id()[..8]))
}

struct Row_ {
    org: String,
    sealed: String,
    token_set_at: i64,
    last_good_at: Option<i64>,
    failures: i64,
}

async fn sync_leased(b: &Backend, ws: &str, id: &str, owner: &str) -> AppResult<SyncOutcome> {
    let r = sqlx::query(
        "SELECT org_slug, token_sealed, token_set_at, last_good_at, consecutive_failures FROM fly_integrations \
         WHERE id = $1 AND workspace_id = $2",
    )
    .bind(id)
    .bind(ws)
    .fetch_optional(&b.db.pool)
    .await?
    .ok_or(AppError::NotFound)?;
    let row = Row_ {
        org: r.try_get("org_slug")?,
        sealed: r.try_get("token_sealed")?,
        token_set_at: r.try_get("token_set_at")?,
        last_good_at: r.try_get("last_good_at")?,
        failures: r.try_get("consecutive_failures")?,
    };
    let Some(key) = b.config.secret_key.clone() else {
        return fail(
            b,
            ws,
            id,
            owner,
            &row,
            Fault::other("key", MISSING_KEY.replace(" Nothing was stored.", "")),
            None,
        )
        .await;
    };
    let token = match key.open(&row.sealed, &aad(id, ws)).map(|t| FlyToken::parse(&t)) {
        Some(Ok(t)) => t,
        _ => {
            return fail(b, ws, id, owner, &row, Fault::other("key", seal::CANNOT_OPEN.to_string()), None)
                .await;
        }
    };
    let discovery = match client(b)?.discover(&token, &row.org).await {
        Ok(d) => d,
        Err(e) => return fail(b, ws, id, owner, &row, Fault::of(&e, &token), Some(&e)).await,
    };
    match apply(b, ws, id, owner, &row, &discovery).await {
        Ok(Some(summary)) => Ok(SyncOutcome::Applied(summary)),
        Ok(None) => Ok(SyncOutcome::Busy),
        Err(e) => {
            // The transaction rolled back: nothing of the plan is written.
            let message = match &e {
                AppError::Internal(_) => {
                    format!("the sync could not be written ({}); nothing was changed", e.public_message())
                }
                other => {
                    format!("the sync could not be written ({}); nothing was changed", other.public_message())
                }
            };
            fail(b, ws, id, owner, &row, Fault::other("storage", message), None).await
        }
    }
}

struct Fault {
    class: String,
    message: String,
    refused: bool,
    retry_after: Option<i64>,
}

impl Fault {
    fn other(class: &str, message: String) -> Fault {
        Fault { class: class.to_owned(), message, refused: false, retry_after: None }
    }

    fn of(e: &FlyApiError, token: &FlyToken) -> Fault {
        let class = match e {
            FlyApiError::Incomplete { .. } => "incomplete",
            _ => match e.cause() {
                FlyApiError::Unauthorized { .. } => "token-refused",
                FlyApiError::RateLimited { .. } => "rate-limited",
                FlyApiError::Server { .. } => "server-error",
                FlyApiError::Timeout { .. } => "timeout",
                FlyApiError::Network { .. } => "network",
                FlyApiError::Malformed { .. } => "malformed",
                FlyApiError::GraphQl { .. } => "graphql",
                FlyApiError::OrgNotFound { .. } => "org-not-found",
                FlyApiError::UnexpectedStatus { .. } => "unexpected-status",
                FlyApiError::Client { .. } | FlyApiError::Incomplete { .. } => "client",
            },
        };
        // The client already redacts server text; this is the second lock on the same door.
        let mut message = e.to_string();
        for part in std::iter::once(token.expose()).chain(token.expose().split(',')) {
            if part.len() >= 8 {
                message = message.replace(part, "[redacted]");
            }
        }
        Fault {
            class: class.to_owned(),
            message,
            refused: e.is_unauthorized(),
            retry_after: e.retry_after().map(|d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX)),
        }
    }
}

/// Seconds to wait after `failures` faults in a row (1 minute, doubling, at most 6 hours, at
/// least what the API asked for).
pub fn backoff(failures: i64, retry_after: Option<i64>) -> i64 {
    let exp = u32::try_from(failures.clamp(1, 20) - 1).unwrap_or(0);
    let delay = 60i64.saturating_mul(2i64.saturating_pow(exp)).min(MAX_BACKOFF_SECS);
    delay.max(retry_after.unwrap_or(0))
}

async fn fail(
    b: &Backend,
    ws: &str,
    id: &str,
    owner: &str,
    row: &Row_,
    fault: Fault,
    source: Option<&FlyApiError>,
) -> AppResult<SyncOutcome> {
    let now = b.clock.now();
    let failures = row.failures + 1;
    let (state, next) = if fault.refused {
        (State::TokenRefused, now + MAX_BACKOFF_SECS)
    } else {
        (State::Failing, now + backoff(failures, fault.retry_after))
    };
    tracing::warn!(
        integration = id,
        org = %row.org,
        class = %fault.class,
        error = %fault.message,
        transient = source.is_some_and(FlyApiError::is_transient),
        "Fly.io sync failed; nothing applied"
    );
    let mut tx = b.db.begin_write().await?;
    sqlx::query(
        "UPDATE fly_integrations SET state = $1, error_class = $2, error_message = $3, last_run_at = $4, \
         consecutive_failures = $5, next_attempt_at = $6 WHERE id = $7 AND lease_owner = $8",
    )
    .bind(state.as_str())
    .bind(&fault.class)
    .bind(&fault.message)
    .bind(now)
    .bind(failures)
    .bind(next)
    .bind(id)
    .bind(owner)
    .execute(&mut *tx)
    .await?;
    if fault.refused {
        let notice = Notice {
            kind: notify::Kind::IntegrationFailing,
            // Once per token: a replaced token that is refused again notifies again.
            event_key: format!("integration:{id}:token-refused:{}", row.token_set_at),
            title: format!("Fly.io refused the token of org {}: its inventory is no longer synced", row.org),
            body: format!(
                "The Fly.io API answered that the read-only token of org {} is not valid (revoked or expired). \
                 Services created on Fly from now on are not discovered until the token is replaced. Last good \
                 sync: {}.",
                row.org,
                row.last_good_at.map_or_else(|| "never".to_owned(), crate::clock::fmt_ts)
            ),
            next_step: format!(
                "Make a new token with `fly tokens create readonly -o {}` and paste it under Replace token on the \
                 Integrations page.",
                row.org
            ),
            link: "/integrations".into(),
        };
        let owners = Audience { roles: vec![Role::Owner], plus: None };
        if notify::emit(&mut tx, b, ws, &notice, &owners, now).await? {
            b.mailer.wake.notify_one();
        }
    }
    tx.commit().await?;
    Ok(SyncOutcome::Failed { class: fault.class, message: fault.message })
}

fn describe(plan: &ImportPlan) -> Vec<String> {
    let mut out = Vec::new();
    let mut line = |kind: &str, id: &str, create: bool, fields: &[fly_import::FieldChange]| {
        if create {
            out.push(format!("created {kind} {id}"));
        } else {
            let f: Vec<String> =
                fields.iter().map(|f| format!("{}: {} → {}", f.field, f.before, f.after)).collect();
            out.push(format!("changed {kind} {id} ({})", f.join("; ")));
        }
    };
    for c in &plan.orgs {
        match c {
            Change::Create { id, .. } => line("org", id, true, &[]),
            Change::Update { id, fields, .. } => line("org", id, false, fields),
            Change::Unchanged { .. } => {}
        }
    }
    for c in &plan.apps {
        match c {
            Change::Create { id, .. } => line("app", id, true, &[]),
            Change::Update { id, fields, .. } => line("app", id, false, fields),
            Change::Unchanged { .. } => {}
        }
    }
    for c in &plan.services {
        match c {
            Change::Create { id, .. } => line("service", id, true, &[]),
            Change::Update { id, fields, .. } => line("service", id, false, fields),
            Change::Unchanged { .. } => {}
        }
    }
    out
}

fn kind_name(k: fly_import::RecordKind) -> &'static str {
    match k {
        fly_import::RecordKind::Org => "org",
        fly_import::RecordKind::App => "app",
        fly_import::RecordKind::Service => "service",
    }
}

/// Applies a discovery in one transaction. `None` when the lease was lost meanwhile (nothing
/// written).
async fn apply(
    b: &Backend,
    ws: &str,
    id: &str,
    owner: &str,
    row: &Row_,
    discovery: &OrgDiscovery,
) -> AppResult<Option<SyncSummary>> {
    let ws_name: String = sqlx::query("SELECT name FROM workspaces WHERE id = $1")
        .bind(ws)
        .fetch_one(&b.db.pool)
        .await?
        .try_get("name")?;
    let actor = actor_id(&row.org);
    let v = Viewer {
        user_id: actor.clone(),
        name: actor.clone(),
        email: String::new(),
        workspace_id: ws.to_owned(),
        workspace_name: ws_name.clone(),
        role: Role::Engineer,
        totp_enabled: false,
        workspace_requires_2fa: false,
        workspaces: Vec::new(),
        source: "fly-api".into(),
    };
    let snapshot = snapshot::from_discovery(discovery);
    let decisions = inventory::decisions(b, ws).await?;
    let minutes = sync_minutes(b, ws).await?;
    let on = inventory::today_for(b);
    let now = b.clock.now();
    let mut tx = b.db.begin_write().await?;
    let before = crate::storage::world::load_in(&mut tx, ws, &ws_name, on, i64::MAX).await?;
    let plan = fly_import::plan_import_with(&before, &snapshot, &decisions);
    let reason = format!("Fly.io API sync of org {}", row.org);
    let mut changed = Vec::new();
    for c in &plan.orgs {
        if let Change::Create { id, record, .. } | Change::Update { id, after: record, .. } = c {
            append(&mut tx, &v, Kind::Org, id, on, record, false, Some(&reason), now).await?;
        }
    }
    for c in &plan.apps {
        if let Change::Create { id, record, .. } | Change::Update { id, after: record, .. } = c {
            append(&mut tx, &v, Kind::App, id, on, record, false, Some(&reason), now).await?;
        }
    }
    for c in &plan.services {
        let (sid, service) = match c {
            Change::Create { id, record, .. } => (id, record.clone().into_service(on)),
            Change::Update { id, after, .. } => (id, after.clone()),
            Change::Unchanged { .. } => continue,
        };
        append(&mut tx, &v, Kind::Service, sid, on, &service, false, Some(&reason), now).await?;
        changed.push(sid.clone());
    }
    let after = fly_import::apply(&before, &plan, on);
    // Not seen since: records the API stopped showing are kept and listed; one that is back
    // leaves the list.
    let absent: Vec<(String, String)> =
        plan.absent.iter().map(|a| (kind_name(a.kind).to_owned(), a.id.clone())).collect();
    let listed =
        sqlx::query("SELECT record_kind, record_id FROM integration_not_seen WHERE integration_id = $1")
            .bind(id)
            .fetch_all(&mut *tx)
            .await?;
    let mut known = Vec::new();
    for r in &listed {
        known.push((r.try_get::<String, _>("record_kind")?, r.try_get::<String, _>("record_id")?));
    }
    let mut not_seen_changed = false;
    for (k, rid) in &known {
        if !absent.contains(&(k.clone(), rid.clone())) {
            not_seen_changed = true;
            sqlx::query(
                "DELETE FROM integration_not_seen WHERE integration_id = $1 AND record_kind = $2 AND record_id = $3",
            )
            .bind(id)
            .bind(k)
            .bind(rid)
            .execute(&mut *tx)
            .await?;
        }
    }
    for (k, rid) in &absent {
        if !known.contains(&(k.clone(), rid.clone())) {
            not_seen_changed = true;
            sqlx::query(
                "INSERT INTO integration_not_seen (integration_id, record_kind, record_id, last_seen_at, missing_since) \
                 VALUES ($1, $2, $3, $4, $5)",
            )
            .bind(id)
            .bind(k)
            .bind(rid)
            .bind(row.last_good_at)
            .bind(now)
            .execute(&mut *tx)
            .await?;
        }
    }
    // New or changed services that end uncovered notify engineers, legal and owners, naming the
    // app and the add-on; the notices commit with the sync or not at all.
    let policy = crate::storage::world::policy_in(&mut *tx, ws, on, i64::MAX).await?;
    let change = notify::ServiceChange {
        before: &before,
        after: &after,
        as_of: on,
        policy: &policy,
        changed: &changed,
    };
    let audience = Audience { roles: vec![Role::Owner, Role::Legal, Role::Engineer], plus: None };
    let mut found = Vec::new();
    for mut notice in notify::service_notices(&change) {
        let sid = notice.link.trim_start_matches("/services/").to_owned();
        if let Some(s) = after.services.iter().find(|s| s.id == sid) {
            let apps = if s.apps.is_empty() { s.candidate_apps.clone() } else { s.apps.clone() };
            let on_apps =
                if apps.is_empty() { String::new() } else { format!(" on app {}", apps.join(", ")) };
            notice.title =
                format!("{} ({} {}{on_apps}, Fly org {})", notice.title, s.vendor, s.product, row.org);
            notice.body = format!(
                "The Fly.io integration found {} ({} {}){on_apps} in org {}. {}",
                s.name, s.vendor, s.product, row.org, notice.body
            );
        }
        found.push(notice);
    }
    // One mail per person for the whole sync, linking to the list of what is not covered.
    let digest = notify::DigestOf {
        cause: format!("Fly.io sync of org {}", row.org),
        link: "/inventory?verdict=uncovered".into(),
    };
    let notices = notify::emit_all(&mut tx, b, ws, &found, &audience, Some(&digest), now).await?;
    let summary = SyncSummary {
        apps_seen: discovery.apps.len(),
        add_ons_seen: discovery.add_ons.len(),
        created: plan.creates(),
        updated: plan.updates(),
        changes: describe(&plan),
        unmapped: plan.unmapped.iter().map(|u| u.reason.clone()).collect(),
        absent: plan.absent.iter().map(|a| format!("{} {}: {}", kind_name(a.kind), a.id, a.reason)).collect(),
        notices,
    };
    if !plan.is_noop() || not_seen_changed {
        Event::new(
            ws,
            &Actor { id: actor.clone(), name: actor.clone(), source: "fly-api".into() },
            "integration.synced",
            ("integration", id, &format!("Fly.io org {}", row.org)),
        )
        .after(serde_json::json!({
            "org": row.org,
            "created": summary.created,
            "updated": summary.updated,
            "absent": summary.absent.len(),
            "notices": notices,
        }))
        .record(&mut tx, now)
        .await?;
    }
    let stored = serde_json::to_string(&summary).map_err(|e| AppError::Internal(e.into()))?;
    let done = sqlx::query(
        "UPDATE fly_integrations SET state = 'ok', error_class = NULL, error_message = NULL, last_run_at = $1, \
         last_good_at = $1, last_plan = $2, consecutive_failures = 0, next_attempt_at = $3 \
         WHERE id = $4 AND lease_owner = $5",
    )
    .bind(now)
    .bind(stored)
    .bind(now + minutes * 60)
    .bind(id)
    .bind(owner)
    .execute(&mut *tx)
    .await?;
    if done.rows_affected() != 1 {
        // The lease expired and another instance took it: leave the org to that sync.
        tx.rollback().await?;
        return Ok(None);
    }
    tx.commit().await?;
    if notices > 0 {
        b.mailer.wake.notify_one();
    }
    Ok(Some(summary))
}

/// Integrations due for a scheduled sync (all but refused tokens when `at_start`).
async fn due(b: &Backend, at_start: bool) -> AppResult<Vec<(String, String)>> {
    let rows = if at_start {
        sqlx::query(
            "SELECT id, workspace_id FROM fly_integrations WHERE state <> 'token-refused' ORDER BY id",
        )
        .fetch_all(&b.db.pool)
        .await?
    } else {
        sqlx::query(
            "SELECT id, workspace_id FROM fly_integrations WHERE state <> 'token-refused' AND next_attempt_at <= $1 \
             ORDER BY next_attempt_at",
        )
        .bind(b.clock.now())
        .fetch_all(&b.db.pool)
        .await?
    };
    rows.iter().map(|r| Ok((r.try_get("id")?, r.try_get("workspace_id")?))).collect()
}

/// Syncs every integration at start, then each when it is due, until shutdown.
pub async fn run_scheduler(b: Backend, shutdown: crate::mail::tokio_util_shutdown::Shutdown) {
    let mut at_start = true;
    loop {
        match due(&b, at_start).await {
            Ok(list) => {
                at_start = false;
                for (id, ws) in list {
                    match sync(&b, &ws, &id).await {
                        Ok(SyncOutcome::Applied(s)) if s.created + s.updated > 0 => {
                            tracing::info!(integration = %id, created = s.created, updated = s.updated, "Fly.io sync applied")
                        }
                        Ok(_) => {}
                        Err(e) => tracing::error!(integration = %id, error = %e, "Fly.io sync could not run"),
                    }
                }
            }
            Err(e) => tracing::error!(error = %e, "listing due Fly.io syncs failed; will retry"),
        }
        tokio::select! {
            _ = tokio::time::sleep(std::time::Duration::from_secs(30)) => {}
            _ = shutdown.wait() => return,
        }
    }
}
