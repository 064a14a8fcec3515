//! Users, workspaces, memberships, invitations, password resets and two-factor sign-in.
//!
//! Every function validates its input first and writes in one transaction, so a refused request
//! changes nothing. This file holds the role check ([`authorize`]), the first owner, the viewer
//! of a session and the audit helpers the parts share; the parts are
//! - `sign_in`: passwords and second factors at sign-in, with their throttles;
//! - `members`: members, roles and invitations;
//! - `credentials`: password resets and changes, two-factor setup;
//! - `workspaces`: workspace settings and new workspaces.

mod credentials;
mod members;
mod sign_in;
mod workspaces;

pub use credentials::*;
pub use members::*;
pub use sign_in::*;
pub use workspaces::*;

use crate::audit::{Actor, Event};
use crate::db::{flag, new_id};
use crate::error::{on_unique, AppError, AppResult};
use crate::mail::{self, Template};
use crate::password::PasswordHashString;
use crate::secret::{new_token, token_digest, Secret};
use crate::{throttle, totp, Backend};
use baa_core::account::{
    check_display_name, check_new_password, Email, InvitationInfo, InvitationView, MemberView, Permission,
    Role, Viewer, WorkspaceChoice,
};
use sqlx::Row;

/// Longest link token looked up (invitation and reset links; ours are 43 characters).
const LINK_TOKEN_MAX: usize = 100;

/// Invitation links live this long.
pub const INVITATION_TTL_SECS: i64 = 7 * 24 * 3600;
/// Reset links live this long.
pub const RESET_TTL_SECS: i64 = 3600;

/// The one message for every failed sign-in, whatever the cause.
pub const BAD_LOGIN: &str = "That e-mail and password do not match an account.";

pub use crate::authz::authorize;

/// Records an event about a user in the chain of every workspace they belong to (or the
/// no-workspace chain when they have none, or are unknown).
async fn audit_user(
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    now: i64,
    user_id: Option<&str>,
    actor: &Actor,
    action: &str,
    subject_name: &str,
    after: serde_json::Value,
) -> AppResult<()> {
    let mut chains: Vec<String> = Vec::new();
    if let Some(u) = user_id {
        for r in sqlx::query("SELECT workspace_id FROM memberships WHERE user_id = $1 ORDER BY workspace_id")
            .bind(u)
            .fetch_all(&mut **tx)
            .await?
        {
            chains.push(r.try_get("workspace_id")?);
        }
    }
    if chains.is_empty() {
        chains.push(String::new());
    }
    for ws in &chains {
        Event::new(ws, actor, action, ("user", user_id.unwrap_or(""), subject_name))
            .after(after.clone())
            .record(tx, now)
            .await?;
    }
    Ok(())
}

/// Records an event of the viewer's workspace.
#[expect(clippy::too_many_arguments, reason = "the fields of one audit event")]
async fn audit_ws(
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    now: i64,
    v: &Viewer,
    action: &str,
    subject_kind: &str,
    subject_id: &str,
    subject_name: &str,
    before: serde_json::Value,
    after: serde_json::Value,
) -> AppResult<()> {
    Event::by(v, action, (subject_kind, subject_id, subject_name))
        .before(before)
        .after(after)
        .record(tx, now)
        .await
}

/// Whether any user exists (first-run setup is offered only when none does).
pub async fn has_users(b: &Backend) -> AppResult<bool> {
    let row = sqlx::query("SELECT CAST(COUNT(*) AS BIGINT) AS n FROM users").fetch_one(&b.db.pool).await?;
    Ok(row.try_get::<i64, _>("n")? > 0)
}

/// Input of the first-run setup.
pub struct SetupInput {
    /// Owner's address.
    pub email: String,
    /// Owner's name.
    pub name: String,
    /// Password.
    pub password: Secret,
    /// Confirmation.
    pub password_confirm: Secret,
    /// Workspace (company) name.
    pub workspace: String,
    /// Client address, for the audit trail.
    pub source: String,
}

/// Creates the first owner and workspace; refused once any user exists.
pub async fn setup_first_owner(b: &Backend, input: SetupInput) -> AppResult<String> {
    let email = Email::parse(&input.email)?;
    let name = check_display_name("name", &input.name)?;
    let workspace = check_display_name("workspace", &input.workspace)?;
    check_new_password(input.password.expose(), input.password_confirm.expose())?;
    let hash = b.passwords.hash(input.password).await?;
    let now = b.clock.now();
    let mut tx = b.db.begin_write().await?;
    let n: i64 = sqlx::query("SELECT CAST(COUNT(*) AS BIGINT) AS n FROM users")
        .fetch_one(&mut *tx)
        .await?
        .try_get("n")?;
    if n > 0 {
        return Err(AppError::Forbidden("Setup is already done: sign in instead.".into()));
    }
    let user_id = insert_user(&mut tx, &email, &name, &hash, now).await?;
    let ws = new_id();
    sqlx::query("INSERT INTO workspaces (id, name, require_2fa, created_at) VALUES ($1, $2, 0, $3)")
        .bind(&ws)
        .bind(&workspace)
        .bind(now)
        .execute(&mut *tx)
        .await?;
    add_member(&mut tx, &ws, &user_id, Role::Owner, now).await?;
    let actor = Actor { id: user_id.clone(), name: name.clone(), source: input.source.clone() };
    Event::new(&ws, &actor, "workspace.created", ("workspace", &ws, &workspace))
        .after(serde_json::json!({"name": workspace, "owner": email.as_str()}))
        .record(&mut tx, now)
        .await?;
    tx.commit().await?;
    Ok(user_id)
}

async fn insert_user(
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    email: &Email,
    name: &str,
    hash: &PasswordHashString,
    now: i64,
) -> AppResult<String> {
    let id = new_id();
    sqlx::query(
        "INSERT INTO users (id, email, name, password_hash, session_version, created_at, updated_at) VALUES ($1, $2, $3, $4, 1, $5, $5)",
    )
    .bind(&id)
    .bind(email.as_str())
    .bind(name)
    .bind(hash.as_db())
    .bind(now)
    .execute(&mut **tx)
    .await
    .map_err(on_unique("email", "an account with this e-mail already exists"))?;
    Ok(id)
}

async fn add_member(
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    ws: &str,
    user: &str,
    role: Role,
    now: i64,
) -> AppResult<()> {
    sqlx::query("INSERT INTO memberships (workspace_id, user_id, role, created_at) VALUES ($1, $2, $3, $4)")
        .bind(ws)
        .bind(user)
        .bind(role.as_str())
        .bind(now)
        .execute(&mut **tx)
        .await
        .map_err(on_unique("email", "this person is already a member of the workspace"))?;
    Ok(())
}

/// Loads the viewer for a session, or `None` when the user is gone, the session version is old,
/// or the user has no workspace left. Falls back to the first workspace when `workspace_id` is
/// not (or no longer) one of theirs.
pub async fn load_viewer(
    b: &Backend,
    user_id: &str,
    session_version: i64,
    workspace_id: Option<&str>,
) -> AppResult<Option<Viewer>> {
    // One query per page view: the user with every membership (none when the user is gone or
    // belongs to no workspace, which both sign the session out).
    let rows = sqlx::query(
        "SELECT u.email, u.name AS user_name, u.session_version, u.totp_secret, \
         w.id, w.name, w.require_2fa, m.role \
         FROM users u JOIN memberships m ON m.user_id = u.id JOIN workspaces w ON w.id = m.workspace_id \
         WHERE u.id = $1 ORDER BY w.name, w.id",
    )
    .bind(user_id)
    .fetch_all(&b.db.pool)
    .await?;
    let Some(u) = rows.first() else {
        return Ok(None);
    };
    if u.try_get::<i64, _>("session_version")? != session_version {
        return Ok(None);
    }
    let mut workspaces = Vec::new();
    let mut current = None;
    for r in &rows {
        let choice = WorkspaceChoice {
            id: r.try_get("id")?,
            name: r.try_get("name")?,
            role: Role::parse(&r.try_get::<String, _>("role")?)?,
        };
        let req = flag(r, "require_2fa")?;
        if current.is_none() || Some(choice.id.as_str()) == workspace_id {
            current = Some((choice.clone(), req));
        }
        workspaces.push(choice);
    }
    let Some((ws, require_2fa)) = current else {
        return Ok(None);
    };
    Ok(Some(Viewer {
        user_id: user_id.to_string(),
        name: u.try_get("user_name")?,
        email: u.try_get("email")?,
        workspace_id: ws.id,
        workspace_name: ws.name,
        role: ws.role,
        totp_enabled: u.try_get::<Option<String>, _>("totp_secret")?.is_some(),
        workspace_requires_2fa: require_2fa,
        workspaces,
        source: String::new(),
    }))
}

/// The viewer a background job acts as: `user_id` with their role in `workspace_id` as it is
/// now, or `None` when they are no longer a member.
pub async fn member_viewer(b: &Backend, user_id: &str, workspace_id: &str) -> AppResult<Option<Viewer>> {
    let row = sqlx::query(
        "SELECT u.id, u.name, u.email, u.totp_secret, w.name AS workspace, w.require_2fa, m.role \
         FROM memberships m JOIN users u ON u.id = m.user_id JOIN workspaces w ON w.id = m.workspace_id \
         WHERE m.user_id = $1 AND m.workspace_id = $2",
    )
    .bind(user_id)
    .bind(workspace_id)
    .fetch_optional(&b.db.pool)
    .await?;
    let Some(r) = row else { return Ok(None) };
    let role = Role::parse(&r.try_get::<String, _>("role")?)?;
    let workspace: String = r.try_get("workspace")?;
    Ok(Some(Viewer {
        user_id: r.try_get("id")?,
        name: r.try_get("name")?,
        email: r.try_get("email")?,
        workspace_id: workspace_id.to_string(),
        workspace_name: workspace.clone(),
        role,
        totp_enabled: r.try_get::<Option<String>, _>("totp_secret")?.is_some(),
        workspace_requires_2fa: flag(&r, "require_2fa")?,
        workspaces: vec![WorkspaceChoice { id: workspace_id.to_string(), name: workspace, role }],
        source: "background job".into(),
    }))
}

/// Ends every session of the user (e.g. "sign out everywhere"); returns the new version.
pub async fn bump_session_version(b: &Backend, user_id: &str, actor: &Actor) -> AppResult<i64> {
    let mut tx = b.db.begin_write().await?;
    sqlx::query("UPDATE users SET session_version = session_version + 1 WHERE id = $1")
        .bind(user_id)
        .execute(&mut *tx)
        .await?;
    let v: i64 = sqlx::query("SELECT session_version FROM users WHERE id = $1")
        .bind(user_id)
        .fetch_one(&mut *tx)
        .await?
        .try_get("session_version")?;
    audit_user(
        &mut tx,
        b.clock.now(),
        Some(user_id),
        actor,
        "sessions.ended",
        user_id,
        serde_json::Value::Null,
    )
    .await?;
    tx.commit().await?;
    Ok(v)
}
