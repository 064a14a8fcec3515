//! Integrations: Fly.io orgs connected to a workspace, synced from the Fly API (issue 15).
//!
//! - [`connect`] checks a read-only Fly token against the API, seals it ([`seal`]) under
//!   `BAA_SECRET_KEY` and stores it for one org (connecting an org again replaces its token).
//!   Without the key nothing is stored and the message says how to set it. The token is never
//!   shown again, logged, put in an error or in the audit trail.
//! - [`sync`] reads the org ([`crate::fly_api::FlyClient::discover`]), turns it into the import
//!   planner's facts ([`snapshot::from_discovery`]), plans against the world of now with the
//!   same planner and decisions as a file import, and applies the plan in ONE transaction with
//!   its audit entries (actor `integration:fly:ORG`), notices and the integration's new state.
//!   A fault (token refused, rate limit, server error, timeout, malformed answer, a listing cut
//!   short, a database error) writes nothing of the plan: it records the state, keeps the last
//!   good sync time and backs off. A refused token notifies the owners once per token.
//! - Two instances sharing one database never sync the same org at once: a lease on the row,
//!   taken with a conditional UPDATE, checked again by the UPDATE that commits the sync.
//! - [`run_scheduler`] syncs every org at start, then each when due (the workspace's interval,
//!   default 15 minutes, or the backoff after a fault).
//!
//! This file holds connecting, removing and reading integrations; `sync` holds the sync, its
//! lease, its faults and the scheduler.

pub use crate::seal;
pub mod snapshot;
mod sync;

use crate::audit::{Actor, Event};
use crate::authz::authorize;
use crate::db::new_id;
use crate::error::{AppError, AppResult};
use crate::fly_api::{FlyApiConfig, FlyApiError, FlyClient, FlyToken, OrgDiscovery};
use crate::inventory::{self, append, Kind};
use crate::notify::{self, Audience, Notice};
use crate::Backend;
use baa_core::account::{Permission, Role, Viewer};
use baa_core::fly_import::{self, Change, ImportPlan};
use serde::{Deserialize, Serialize};
use sqlx::Row;

pub use seal::SecretKey;
pub use sync::{backoff, run_scheduler, sync, sync_now, sync_workspace, take_lease, SyncOutcome};

/// Minutes between scheduled syncs when the workspace has not chosen.
pub const DEFAULT_SYNC_MINUTES: i64 = 15;
/// How long a sync may hold its lease before another instance may take over.
pub const LEASE_SECS: i64 = 600;
/// Longest wait between attempts after faults.
pub const MAX_BACKOFF_SECS: i64 = 6 * 3600;

/// What the page says when `BAA_SECRET_KEY` is not set.
pub const MISSING_KEY: &str = "Connecting a Fly.io org needs BAA_SECRET_KEY, the key that encrypts its token at rest: set it to 32 random bytes in base64 (`openssl rand -base64 32`; on Fly: `fly secrets set BAA_SECRET_KEY=$(openssl rand -base64 32)`) and restart the app. Nothing was stored.";

/// State of an integration.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum State {
    /// Connected, not synced yet.
    New,
    /// The last sync applied.
    Ok,
    /// The API refused the token (401/403): nothing is tried until it is replaced.
    TokenRefused,
    /// The last sync failed (see the error class); retried with backoff.
    Failing,
}

impl State {
    fn as_str(self) -> &'static str {
        match self {
            State::New => "new",
            State::Ok => "ok",
            State::TokenRefused => "token-refused",
            State::Failing => "failing",
        }
    }

    fn parse(s: &str) -> State {
        match s {
            "new" => State::New,
            "ok" => State::Ok,
            "token-refused" => State::TokenRefused,
            _ => State::Failing,
        }
    }

    /// What people read.
    pub fn label(self) -> &'static str {
        match self {
            State::New => "connected, not synced yet",
            State::Ok => "ok",
            State::TokenRefused => "token refused by Fly.io",
            State::Failing => "failing",
        }
    }
}

/// What the last sync planned and applied, kept for the page.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SyncSummary {
    /// Apps the API listed.
    pub apps_seen: usize,
    /// Add-ons the API listed.
    pub add_ons_seen: usize,
    /// Records created.
    pub created: usize,
    /// Records updated.
    pub updated: usize,
    /// One line per create and change.
    pub changes: Vec<String>,
    /// What the planner could not map.
    pub unmapped: Vec<String>,
    /// Records the API no longer shows (kept, not removed).
    pub absent: Vec<String>,
    /// Notices emitted.
    pub notices: usize,
}

/// A record the API no longer shows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NotSeen {
    /// `app`, `service` or `org`.
    pub kind: String,
    /// Its id.
    pub id: String,
    /// The last good sync that still saw it (none: never seen by this integration).
    pub last_seen_at: Option<i64>,
    /// The first sync that missed it.
    pub missing_since: i64,
}

/// An integration as the page and the API show it (never the token).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IntegrationView {
    /// Id.
    pub id: String,
    /// Fly org slug.
    pub org: String,
    /// State.
    pub state: State,
    /// Why it is failing, as a class (`rate-limited`, `server-error`, `timeout`, `malformed`,
    /// `incomplete`, ...).
    pub error_class: Option<String>,
    /// The fault, for people (never the token).
    pub error_message: Option<String>,
    /// Last attempt.
    pub last_run_at: Option<i64>,
    /// Last sync that applied.
    pub last_good_at: Option<i64>,
    /// Faults in a row.
    pub consecutive_failures: i64,
    /// When the scheduler tries next.
    pub next_attempt_at: i64,
    /// The last applied plan.
    pub last_plan: Option<SyncSummary>,
    /// Records the API no longer shows.
    pub not_seen: Vec<NotSeen>,
    /// When the token was set.
    pub token_set_at: i64,
    /// Who connected it.
    pub created_by: String,
}

/// The actor a sync of `org` is recorded under.
pub fn actor_id(org: &str) -> String {
    format!("integration:fly:{org}")
}

/// Parses a Fly org slug as typed.
pub fn parse_org(s: &str) -> AppResult<String> {
    let s = s.trim().to_lowercase();
    if s.is_empty()
        || s.len() > 63
        || !s.bytes().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == b'-')
    {
        return Err(AppError::invalid(
            "org",
            "give the org's slug as `fly orgs list` shows it (lowercase letters, digits and dashes)",
        ));
    }
    Ok(s)
}

fn aad(id: &str, ws: &str) -> String {
    format!("fly-integration|{id}|{ws}")
}

fn client(b: &Backend) -> AppResult<FlyClient> {
    FlyClient::new(FlyApiConfig::from_config(&b.config))
        .map_err(|e| AppError::Internal(anyhow::anyhow!("{e}")))
}

/// Minutes between scheduled syncs of the workspace.
pub async fn sync_minutes(b: &Backend, ws: &str) -> AppResult<i64> {
    let row = sqlx::query("SELECT sync_minutes FROM integration_settings WHERE workspace_id = $1")
        .bind(ws)
        .fetch_optional(&b.db.pool)
        .await?;
    Ok(match row {
        Some(r) => r.try_get("sync_minutes")?,
        None => DEFAULT_SYNC_MINUTES,
    })
}

/// Sets the minutes between scheduled syncs (5 to 1440). Owners only.
pub async fn set_sync_minutes(b: &Backend, v: &Viewer, minutes: &str) -> AppResult<i64> {
    authorize(v, Permission::ManageSettings)?;
    let m: i64 = minutes
        .trim()
        .parse()
        .ok()
        .filter(|m| (5..=1440).contains(m))
        .ok_or_else(|| AppError::invalid("sync_minutes", "give a number of minutes from 5 to 1440"))?;
    let before = sync_minutes(b, &v.workspace_id).await?;
    let now = b.clock.now();
    let mut tx = b.db.begin_write().await?;
    sqlx::query("DELETE FROM integration_settings WHERE workspace_id = $1")
        .bind(&v.workspace_id)
        .execute(&mut *tx)
        .await?;
    sqlx::query("INSERT INTO integration_settings (workspace_id, sync_minutes) VALUES ($1, $2)")
        .bind(&v.workspace_id)
        .bind(m)
        .execute(&mut *tx)
        .await?;
    Event::by(
        v,
        "integration.settings-changed",
        ("integration-settings", &v.workspace_id, "Fly.io sync interval"),
    )
    .before(serde_json::json!({ "sync_minutes": before }))
    .after(serde_json::json!({ "sync_minutes": m }))
    .record(&mut tx, now)
    .await?;
    tx.commit().await?;
    Ok(m)
}

/// The API's refusal of a token, for people (the token is never in it).
fn check_failed(e: &FlyApiError) -> AppError {
    let message = match e.cause() {
        FlyApiError::Unauthorized { .. } => "The Fly.io API refused this token: make a read-only token for the org with `fly tokens create readonly -o ORG` and paste its whole output. Nothing was stored.".to_owned(),
        FlyApiError::OrgNotFound { slug } => format!("The Fly.io API shows no org {slug:?} to this token: check the slug (`fly orgs list`) and that the token was made for it (`fly tokens create readonly -o {slug}`). Nothing was stored."),
        other => format!("The token could not be checked with the Fly.io API ({other}). Nothing was stored; try again."),
    };
    AppError::invalid("token", message)
}

/// Connects `org` with `token` (or replaces the token of an org already connected): the key
/// must be configured and the API must accept the token for that org. Owners only.
pub async fn connect(b: &Backend, v: &Viewer, org: &str, token: &str) -> AppResult<IntegrationView> {
    authorize(v, Permission::ManageSettings)?;
    let org = parse_org(org)?;
    let key = b.config.secret_key.clone().ok_or_else(|| AppError::invalid("secret_key", MISSING_KEY))?;
    let token = FlyToken::parse(token)?;
    let facts = client(b)?.check_token(&token, &org).await.map_err(|e| check_failed(&e))?;
    let now = b.clock.now();
    let existing = sqlx::query("SELECT id FROM fly_integrations WHERE workspace_id = $1 AND org_slug = $2")
        .bind(&v.workspace_id)
        .bind(&org)
        .fetch_optional(&b.db.pool)
        .await?;
    let mut tx = b.db.begin_write().await?;
    let (id, action) = match existing {
        Some(r) => {
            let id: String = r.try_get("id")?;
            let sealed = key.seal(token.expose(), &aad(&id, &v.workspace_id));
            sqlx::query(
                "UPDATE fly_integrations SET token_sealed = $1, token_set_at = $2, state = 'new', error_class = NULL, \
                 error_message = NULL, consecutive_failures = 0, next_attempt_at = $2 WHERE id = $3 AND workspace_id = $4",
            )
            .bind(sealed)
            .bind(now)
            .bind(&id)
            .bind(&v.workspace_id)
            .execute(&mut *tx)
            .await?;
            (id, "integration.token-replaced")
        }
        None => {
            let id = new_id();
            let sealed = key.seal(token.expose(), &aad(&id, &v.workspace_id));
            sqlx::query(
                "INSERT INTO fly_integrations (id, workspace_id, org_slug, token_sealed, token_set_at, state, \
                 consecutive_failures, next_attempt_at, lease_expires_at, created_by, created_at) \
                 VALUES ($1, $2, $3, $4, $5, 'new', 0, $5, 0, $6, $5)",
            )
            .bind(&id)
            .bind(&v.workspace_id)
            .bind(&org)
            .bind(sealed)
            .bind(now)
            .bind(&v.name)
            .execute(&mut *tx)
            .await
            .map_err(crate::error::on_unique("org", "This Fly org is already connected."))?;
            (id, "integration.connected")
        }
    };
    Event::by(v, action, ("integration", &id, &format!("Fly.io org {org}"))).after(serde_json::json!({ "org": org, "org_name": facts.name, "token": "checked with the Fly.io API and stored encrypted" })).record(&mut tx, now)
    .await?;
    tx.commit().await?;
    get(b, &v.workspace_id, &id).await
}

/// Removes an integration (the records it synced stay). Owners only.
pub async fn remove(b: &Backend, v: &Viewer, id: &str) -> AppResult<()> {
    authorize(v, Permission::ManageSettings)?;
    let current = get(b, &v.workspace_id, id).await?;
    let now = b.clock.now();
    let mut tx = b.db.begin_write().await?;
    sqlx::query("DELETE FROM fly_integrations WHERE id = $1 AND workspace_id = $2")
        .bind(id)
        .bind(&v.workspace_id)
        .execute(&mut *tx)
        .await?;
    Event::by(v, "integration.removed", ("integration", id, &format!("Fly.io org {}", current.org)))
        .before(serde_json::json!({ "org": current.org }))
        .record(&mut tx, now)
        .await?;
    tx.commit().await?;
    Ok(())
}

fn view_of(r: &sqlx::any::AnyRow, not_seen: Vec<NotSeen>) -> AppResult<IntegrationView> {
    let plan: Option<String> = r.try_get("last_plan")?;
    Ok(IntegrationView {
        id: r.try_get("id")?,
        org: r.try_get("org_slug")?,
        state: State::parse(&r.try_get::<String, _>("state")?),
        error_class: r.try_get("error_class")?,
        error_message: r.try_get("error_message")?,
        last_run_at: r.try_get("last_run_at")?,
        last_good_at: r.try_get("last_good_at")?,
        consecutive_failures: r.try_get("consecutive_failures")?,
        next_attempt_at: r.try_get("next_attempt_at")?,
        last_plan: plan.and_then(|p| serde_json::from_str(&p).ok()),
        not_seen,
        token_set_at: r.try_get("token_set_at")?,
        created_by: r.try_get("created_by")?,
    })
}

const COLUMNS: &str =
    "id, workspace_id, org_slug, token_set_at, state, error_class, error_message, last_run_at, \
    last_good_at, last_plan, consecutive_failures, next_attempt_at, created_by";

async fn not_seen(b: &Backend, id: &str) -> AppResult<Vec<NotSeen>> {
    let rows = sqlx::query(
        "SELECT record_kind, record_id, last_seen_at, missing_since FROM integration_not_seen \
         WHERE integration_id = $1 ORDER BY record_kind, record_id",
    )
    .bind(id)
    .fetch_all(&b.db.pool)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(NotSeen {
                kind: r.try_get("record_kind")?,
                id: r.try_get("record_id")?,
                last_seen_at: r.try_get("last_seen_at")?,
                missing_since: r.try_get("missing_since")?,
            })
        })
        .collect()
}

/// One integration of workspace `ws` (else `NotFound`).
pub async fn get(b: &Backend, ws: &str, id: &str) -> AppResult<IntegrationView> {
    let r =
        sqlx::query(&format!("SELECT {COLUMNS} FROM fly_integrations WHERE id = $1 AND workspace_id = $2"))
            .bind(id)
            .bind(ws)
            .fetch_optional(&b.db.pool)
            .await?
            .ok_or(AppError::NotFound)?;
    view_of(&r, not_seen(b, id).await?)
}

/// The workspace's integrations, by org. Owners only.
pub async fn list(b: &Backend, v: &Viewer) -> AppResult<Vec<IntegrationView>> {
    authorize(v, Permission::ManageSettings)?;
    list_in(b, &v.workspace_id).await
}

/// The workspace's integrations for anyone who may read the workspace (the REST API): state and
/// last plan, never the token.
pub async fn overview(b: &Backend, v: &Viewer) -> AppResult<Vec<IntegrationView>> {
    authorize(v, Permission::Read)?;
    list_in(b, &v.workspace_id).await
}

async fn list_in(b: &Backend, ws: &str) -> AppResult<Vec<IntegrationView>> {
    let rows = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM fly_integrations WHERE workspace_id = $1 ORDER BY org_slug"
    ))
    .bind(ws)
    .fetch_all(&b.db.pool)
    .await?;
    let mut out = Vec::new();
    for r in &rows {
        let id: String = r.try_get("id")?;
        out.push(view_of(r, not_seen(b, &id).await?)?);
    }
    Ok(out)
}
