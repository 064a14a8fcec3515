//! Users, workspaces, memberships, invitations, password resets and two-factor sign-in.
//!
//! Every function validates its input first and writes in one transaction, so a refused request
//! changes nothing.

use crate::audit::{self, Actor, Event};
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

/// Invitation links live this long.
pub const INVITATION_TTL_SECS: i64 = 7 * 24 * 3600;
/// Reset links live this long.
pub const RESET_TTL_SECS: i64 = 3600;

/// The one message for every failed sign-in, whatever the cause.
pub const BAD_LOGIN: &str = "That e-mail and password do not match an account.";

/// Refuses unless the viewer's role allows `p`: the single access check used by pages, server
/// functions and API routes.
pub fn authorize(viewer: &Viewer, p: Permission) -> AppResult<()> {
    if viewer.can(p) {
        Ok(())
    } else {
        Err(AppError::Forbidden(format!(
            "Your role ({}) cannot do this. Ask an owner of {} if you need it.",
            viewer.role.label(),
            viewer.workspace_name
        )))
    }
}

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
        audit::record(
            tx,
            now,
            Event {
                workspace_id: ws,
                actor,
                action,
                subject_kind: "user",
                subject_id: user_id.unwrap_or(""),
                subject_name,
                before: serde_json::Value::Null,
                after: after.clone(),
            },
        )
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
    audit::record(
        tx,
        now,
        Event {
            workspace_id: &v.workspace_id,
            actor: &Actor::of(v),
            action,
            subject_kind,
            subject_id,
            subject_name,
            before,
            after,
        },
    )
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
    audit::record(
        &mut tx,
        now,
        Event {
            workspace_id: &ws,
            actor: &actor,
            action: "workspace.created",
            subject_kind: "workspace",
            subject_id: &ws,
            subject_name: &workspace,
            before: serde_json::Value::Null,
            after: serde_json::json!({"name": workspace, "owner": email.as_str()}),
        },
    )
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

/// What a correct password leads to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LoginOutcome {
    /// Signed in.
    Done {
        /// The user.
        user_id: String,
        /// Their session version (sessions from an older version are dead).
        session_version: i64,
    },
    /// A second factor is still needed.
    NeedsSecondFactor {
        /// The user.
        user_id: String,
    },
}

/// The throttle key of an account (known or not) for password sign-ins.
fn account_key(normal_email: &str) -> String {
    format!("login:account:{normal_email}")
}

/// The throttle key of a client address for sign-ins.
fn address_key(client: &str) -> String {
    format!("login:address:{client}")
}

/// The throttle key of a user's second factor, counted apart from passwords.
fn second_factor_key(user_id: &str) -> String {
    format!("login:2fa:{user_id}")
}

/// Records a failed password sign-in. It goes to the instance chain (workspace ""), never to
/// the workspaces of the account: whoever fails is anonymous, and anonymous events must not be
/// able to push real entries out of a workspace's audit excerpt.
async fn record_failed_sign_in(
    b: &Backend,
    user_id: Option<&str>,
    email: &str,
    client: &str,
) -> AppResult<()> {
    let mut tx = b.db.begin_write().await?;
    audit::record(
        &mut tx,
        b.clock.now(),
        Event {
            workspace_id: "",
            actor: &Actor::anonymous(client),
            action: "login.failed",
            subject_kind: "user",
            subject_id: user_id.unwrap_or(""),
            subject_name: email,
            before: serde_json::Value::Null,
            after: serde_json::Value::Null,
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Checks e-mail and password with throttling per account and per client address. Unknown user
/// and wrong password give the same error after the same argon2 work.
///
/// Order matters: a place in the bounded password pool first (a full pool answers 429 at
/// once), then the throttle reservation (atomic, before verifying, so concurrent guesses cannot
/// all pass the check), then the argon2 verification.
pub async fn authenticate(
    b: &Backend,
    email: &str,
    password: Secret,
    client: &str,
) -> AppResult<LoginOutcome> {
    let normal = email.trim().to_lowercase();
    if normal.len() > 254 || password.expose().chars().count() > baa_core::account::PASSWORD_MAX {
        // No account can match: refused for every address alike, without work.
        return Err(AppError::invalid("email", BAD_LOGIN));
    }
    let admission = b.passwords.admit().await?;
    let now = b.clock.now();
    let acct_key = account_key(&normal);
    let addr_key = address_key(client);
    throttle::reserve_or_refuse(
        &b.db,
        &[(&addr_key, throttle::LOGIN_ADDRESS), (&acct_key, throttle::LOGIN_ACCOUNT)],
        now,
        "Too many failed sign-ins.",
        ", or reset your password",
    )
    .await?;
    let row =
        sqlx::query("SELECT id, password_hash, session_version, totp_secret FROM users WHERE email = $1")
            .bind(&normal)
            .fetch_optional(&b.db.pool)
            .await?;
    let stored = match &row {
        Some(r) => Some(PasswordHashString::from_db(r.try_get("password_hash")?)),
        None => None,
    };
    let ok = admission.verify(password, stored).await?;
    let known: Option<String> = match &row {
        Some(r) => Some(r.try_get("id")?),
        None => None,
    };
    let Some(row) = row.filter(|_| ok) else {
        record_failed_sign_in(b, known.as_deref(), &normal, client).await?;
        return Err(AppError::invalid("email", BAD_LOGIN));
    };
    // A right password is not a failure of the address.
    throttle::refund(&b.db, &addr_key, throttle::LOGIN_ADDRESS, now).await?;
    let user_id: String = row.try_get("id")?;
    let totp_secret: Option<String> = row.try_get("totp_secret")?;
    if totp_secret.is_some() {
        // The account's failures are cleared only once the second factor is right too;
        // this attempt itself is given back.
        throttle::refund(&b.db, &acct_key, throttle::LOGIN_ACCOUNT, now).await?;
        Ok(LoginOutcome::NeedsSecondFactor { user_id })
    } else {
        throttle::clear(&b.db, &acct_key).await?;
        login_succeeded(b, &user_id, &normal, client, now).await?;
        Ok(LoginOutcome::Done { user_id, session_version: row.try_get("session_version")? })
    }
}

async fn login_succeeded(b: &Backend, user_id: &str, email: &str, client: &str, now: i64) -> AppResult<()> {
    let mut tx = b.db.begin_write().await?;
    let actor = Actor { id: user_id.into(), name: email.into(), source: client.into() };
    audit_user(&mut tx, now, Some(user_id), &actor, "login.succeeded", email, serde_json::Value::Null)
        .await?;
    tx.commit().await?;
    Ok(())
}

/// Longest code accepted (a recovery code with separators is well under this).
const CODE_MAX: usize = 64;

/// Checks a TOTP code or an unused recovery code for `user_id`; returns the session version.
/// Codes have their own throttle per user (and count towards the client address), reserved
/// before the check; only a right code clears the account's password failures.
pub async fn verify_second_factor(b: &Backend, user_id: &str, code: &str, client: &str) -> AppResult<i64> {
    let now = b.clock.now();
    let row =
        sqlx::query("SELECT email, totp_secret, totp_last_step, session_version FROM users WHERE id = $1")
            .bind(user_id)
            .fetch_optional(&b.db.pool)
            .await?
            .ok_or(AppError::Unauthenticated)?;
    let email: String = row.try_get("email")?;
    let code_key = second_factor_key(user_id);
    let addr_key = address_key(client);
    throttle::reserve_or_refuse(
        &b.db,
        &[(&addr_key, throttle::LOGIN_ADDRESS), (&code_key, throttle::SECOND_FACTOR)],
        now,
        "Too many failed codes.",
        "",
    )
    .await?;
    let secret: Option<String> = row.try_get("totp_secret")?;
    let last: Option<i64> = row.try_get("totp_last_step")?;
    let version: i64 = row.try_get("session_version")?;
    let Some(secret) = secret else {
        return Ok(version);
    };
    let code = if code.len() > CODE_MAX { "" } else { code };
    let accepted = if let Some(step) = totp::verify(&secret, code, now, last)? {
        let mut tx = b.db.begin_write().await?;
        // Compare-and-set on the last step so a code cannot be replayed concurrently.
        let r = sqlx::query(
            "UPDATE users SET totp_last_step = $1 WHERE id = $2 AND (totp_last_step IS NULL OR totp_last_step < $1)",
        )
        .bind(step)
        .bind(user_id)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        r.rows_affected() == 1
    } else {
        let digest = token_digest(&totp::normalise_recovery_code(code));
        let mut tx = b.db.begin_write().await?;
        let r = sqlx::query("UPDATE recovery_codes SET used_at = $1 WHERE user_id = $2 AND code_hash = $3 AND used_at IS NULL")
            .bind(now)
            .bind(user_id)
            .bind(&digest)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        r.rows_affected() == 1
    };
    if accepted {
        throttle::clear(&b.db, &code_key).await?;
        throttle::clear(&b.db, &account_key(&email)).await?;
        throttle::refund(&b.db, &addr_key, throttle::LOGIN_ADDRESS, now).await?;
        login_succeeded(b, user_id, &email, client, now).await?;
        return Ok(version);
    }
    // The password was right, so this is about the account: it stays in its workspaces' chains
    // (bounded by the code throttle).
    let mut tx = b.db.begin_write().await?;
    audit_user(
        &mut tx,
        now,
        Some(user_id),
        &Actor::anonymous(client),
        "login.second_factor_failed",
        &email,
        serde_json::Value::Null,
    )
    .await?;
    tx.commit().await?;
    Err(AppError::invalid(
        "code",
        "That code is not valid. Enter the current 6-digit code from your authenticator app, or an unused recovery code.",
    ))
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
    let Some(u) =
        sqlx::query("SELECT id, email, name, session_version, totp_secret FROM users WHERE id = $1")
            .bind(user_id)
            .fetch_optional(&b.db.pool)
            .await?
    else {
        return Ok(None);
    };
    if u.try_get::<i64, _>("session_version")? != session_version {
        return Ok(None);
    }
    let rows = sqlx::query(
        "SELECT w.id, w.name, w.require_2fa, m.role FROM memberships m JOIN workspaces w ON w.id = m.workspace_id \
         WHERE m.user_id = $1 ORDER BY w.name, w.id",
    )
    .bind(user_id)
    .fetch_all(&b.db.pool)
    .await?;
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
        user_id: u.try_get("id")?,
        name: u.try_get("name")?,
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

/// Members of the viewer's workspace.
pub async fn list_members(b: &Backend, v: &Viewer) -> AppResult<Vec<MemberView>> {
    authorize(v, Permission::Read)?;
    let rows = sqlx::query(
        "SELECT u.id, u.name, u.email, u.totp_secret, m.role, m.created_at FROM memberships m JOIN users u ON u.id = m.user_id \
         WHERE m.workspace_id = $1 ORDER BY u.name, u.email",
    )
    .bind(&v.workspace_id)
    .fetch_all(&b.db.pool)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(MemberView {
                user_id: r.try_get("id")?,
                name: r.try_get("name")?,
                email: r.try_get("email")?,
                role: Role::parse(&r.try_get::<String, _>("role")?)?,
                totp_enabled: r.try_get::<Option<String>, _>("totp_secret")?.is_some(),
                joined: crate::clock::fmt_ts(r.try_get("created_at")?),
            })
        })
        .collect()
}

/// Invitations of the viewer's workspace, newest first.
pub async fn list_invitations(b: &Backend, v: &Viewer) -> AppResult<Vec<InvitationView>> {
    authorize(v, Permission::Read)?;
    let now = b.clock.now();
    let rows = sqlx::query(
        "SELECT i.id, i.email, i.role, i.expires_at, i.accepted_at, i.revoked_at, u.name AS inviter FROM invitations i \
         JOIN users u ON u.id = i.invited_by WHERE i.workspace_id = $1 ORDER BY i.created_at DESC, i.id LIMIT 100",
    )
    .bind(&v.workspace_id)
    .fetch_all(&b.db.pool)
    .await?;
    rows.iter()
        .map(|r| {
            let expires: i64 = r.try_get("expires_at")?;
            let state = if r.try_get::<Option<i64>, _>("accepted_at")?.is_some() {
                "accepted"
            } else if r.try_get::<Option<i64>, _>("revoked_at")?.is_some() {
                "revoked"
            } else if expires <= now {
                "expired"
            } else {
                "pending"
            };
            Ok(InvitationView {
                id: r.try_get("id")?,
                email: r.try_get("email")?,
                role: Role::parse(&r.try_get::<String, _>("role")?)?,
                invited_by: r.try_get("inviter")?,
                expires: crate::clock::fmt_ts(expires),
                state: state.into(),
            })
        })
        .collect()
}

/// Invites `email` with `role` by mail (a single-use link valid 7 days).
pub async fn invite(b: &Backend, v: &Viewer, email: &str, role: &str) -> AppResult<()> {
    authorize(v, Permission::ManageMembers)?;
    let email = Email::parse(email)?;
    let role = Role::parse(role)?;
    let now = b.clock.now();
    let mut tx = b.db.begin_write().await?;
    invitation_quota(b, &mut tx, v, now).await?;
    let already = sqlx::query(
        "SELECT 1 AS x FROM memberships m JOIN users u ON u.id = m.user_id WHERE m.workspace_id = $1 AND u.email = $2",
    )
    .bind(&v.workspace_id)
    .bind(email.as_str())
    .fetch_optional(&mut *tx)
    .await?;
    if already.is_some() {
        return Err(AppError::Conflict {
            field: "email".into(),
            message: format!("{email} is already a member of this workspace."),
        });
    }
    // A new invitation replaces any pending one for the same address.
    sqlx::query(
        "UPDATE invitations SET revoked_at = $1 WHERE workspace_id = $2 AND email = $3 AND accepted_at IS NULL AND revoked_at IS NULL",
    )
    .bind(now)
    .bind(&v.workspace_id)
    .bind(email.as_str())
    .execute(&mut *tx)
    .await?;
    let token = new_token();
    let expires = now + INVITATION_TTL_SECS;
    sqlx::query(
        "INSERT INTO invitations (id, workspace_id, email, role, token_hash, invited_by, created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(new_id())
    .bind(&v.workspace_id)
    .bind(email.as_str())
    .bind(role.as_str())
    .bind(token_digest(token.expose()))
    .bind(&v.user_id)
    .bind(now)
    .bind(expires)
    .execute(&mut *tx)
    .await?;
    let link = b.config.link(&format!("/invite/{}", token.expose()));
    let m = mail::render(
        Template::Invitation,
        &format!("{} invited you to {} on BAA Tracker", v.name, v.workspace_name),
        &[
            ("inviter", &v.name),
            ("workspace", &v.workspace_name),
            ("role", role.label()),
            ("link", &link),
            ("expires", &crate::clock::fmt_ts(expires)),
        ],
    );
    mail::enqueue(&mut tx, Some(&v.workspace_id), email.as_str(), &m, now).await?;
    audit_ws(
        &mut tx,
        now,
        v,
        "invitation.sent",
        "invitation",
        email.as_str(),
        email.as_str(),
        serde_json::Value::Null,
        serde_json::json!({"email": email.as_str(), "role": role.as_str()}),
    )
    .await?;
    tx.commit().await?;
    b.mailer.wake.notify_one();
    Ok(())
}

/// Refuses when the workspace, or the inviting person over all their workspaces, already sent
/// `INVITATIONS_PER_DAY` invitations in the last 24 hours. The workspace and user rows are
/// locked first (a no-op update), so concurrent invitations queue and the count holds on
/// PostgreSQL too (SQLite serialises write transactions anyway).
async fn invitation_quota(
    b: &Backend,
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    v: &Viewer,
    now: i64,
) -> AppResult<()> {
    let limit = b.config.invitations_per_day;
    sqlx::query("UPDATE workspaces SET require_2fa = require_2fa WHERE id = $1")
        .bind(&v.workspace_id)
        .execute(&mut **tx)
        .await?;
    sqlx::query("UPDATE users SET updated_at = updated_at WHERE id = $1")
        .bind(&v.user_id)
        .execute(&mut **tx)
        .await?;
    for (column, value, who) in [
        ("workspace_id", v.workspace_id.as_str(), "This workspace"),
        ("invited_by", v.user_id.as_str(), "You"),
    ] {
        let row = sqlx::query(&format!(
            "SELECT CAST(COUNT(*) AS BIGINT) AS n, CAST(COALESCE(MIN(created_at), 0) AS BIGINT) AS oldest              FROM invitations WHERE {column} = $1 AND created_at > $2"
        ))
        .bind(value)
        .bind(now - 24 * 3600)
        .fetch_one(&mut **tx)
        .await?;
        let n: i64 = row.try_get("n")?;
        if n >= limit {
            let oldest: i64 = row.try_get("oldest")?;
            let wait = u64::try_from(oldest + 24 * 3600 - now).unwrap_or(60);
            return Err(AppError::too_many(
                format!(
                    "{who} sent {n} invitations in the last 24 hours, the most this instance allows. Try again in {}.",
                    throttle::human_wait(wait)
                ),
                wait,
            ));
        }
    }
    Ok(())
}

/// Revokes a pending invitation of the viewer's workspace.
pub async fn revoke_invitation(b: &Backend, v: &Viewer, id: &str) -> AppResult<()> {
    authorize(v, Permission::ManageMembers)?;
    let mut tx = b.db.begin_write().await?;
    let r = sqlx::query(
        "UPDATE invitations SET revoked_at = $1 WHERE id = $2 AND workspace_id = $3 AND accepted_at IS NULL AND revoked_at IS NULL",
    )
    .bind(b.clock.now())
    .bind(id)
    .bind(&v.workspace_id)
    .execute(&mut *tx)
    .await?;
    if r.rows_affected() > 0 {
        audit_ws(
            &mut tx,
            b.clock.now(),
            v,
            "invitation.revoked",
            "invitation",
            id,
            id,
            serde_json::Value::Null,
            serde_json::Value::Null,
        )
        .await?;
    }
    tx.commit().await?;
    if r.rows_affected() == 0 {
        return Err(AppError::NotFound);
    }
    Ok(())
}

const BAD_INVITE: &str = "This invitation link is not valid: it was already used, revoked, or it expired. Ask an owner to invite you again.";

/// Longest link token looked up (ours are 43 characters).
const LINK_TOKEN_MAX: usize = 100;

async fn open_invitation(b: &Backend, token: &str) -> AppResult<sqlx::any::AnyRow> {
    if token.len() > LINK_TOKEN_MAX {
        return Err(AppError::invalid("token", BAD_INVITE));
    }
    sqlx::query(
        "SELECT i.id, i.workspace_id, i.email, i.role, w.name AS workspace FROM invitations i JOIN workspaces w ON w.id = i.workspace_id \
         WHERE i.token_hash = $1 AND i.accepted_at IS NULL AND i.revoked_at IS NULL AND i.expires_at > $2",
    )
    .bind(token_digest(token))
    .bind(b.clock.now())
    .fetch_optional(&b.db.pool)
    .await?
    .ok_or_else(|| AppError::invalid("token", BAD_INVITE))
}

/// Looks up a pending invitation by its link token.
pub async fn invitation_info(b: &Backend, token: &str) -> AppResult<InvitationInfo> {
    let r = open_invitation(b, token).await?;
    let email: String = r.try_get("email")?;
    let existing = sqlx::query("SELECT id FROM users WHERE email = $1")
        .bind(&email)
        .fetch_optional(&b.db.pool)
        .await?
        .is_some();
    Ok(InvitationInfo {
        email,
        workspace: r.try_get("workspace")?,
        role: Role::parse(&r.try_get::<String, _>("role")?)?,
        existing_user: existing,
    })
}

/// Accepts an invitation. A new person gives a name and password; an existing user must be
/// signed in as the invited address (`signed_in_user`). Returns the user id and workspace id.
pub async fn accept_invitation(
    b: &Backend,
    token: &str,
    signed_in_user: Option<&str>,
    name: &str,
    password: Secret,
    password_confirm: Secret,
    source: &str,
) -> AppResult<(String, String)> {
    let r = open_invitation(b, token).await?;
    let inv_id: String = r.try_get("id")?;
    let ws: String = r.try_get("workspace_id")?;
    let email = Email::parse(&r.try_get::<String, _>("email")?)?;
    let role = Role::parse(&r.try_get::<String, _>("role")?)?;
    let existing = sqlx::query("SELECT id FROM users WHERE email = $1")
        .bind(email.as_str())
        .fetch_optional(&b.db.pool)
        .await?;
    let now = b.clock.now();
    let hash = match &existing {
        Some(_) => None,
        None => {
            let name = check_display_name("name", name)?;
            check_new_password(password.expose(), password_confirm.expose())?;
            Some((name, b.passwords.hash(password).await?))
        }
    };
    let mut tx = b.db.begin_write().await?;
    let user_id = match (&existing, hash) {
        (Some(row), _) => {
            let id: String = row.try_get("id")?;
            if signed_in_user != Some(id.as_str()) {
                return Err(AppError::Forbidden(format!("Sign in as {email} to accept this invitation.")));
            }
            id
        }
        (None, Some((name, hash))) => insert_user(&mut tx, &email, &name, &hash, now).await?,
        (None, None) => return Err(AppError::Internal(anyhow::anyhow!("invitation without password"))),
    };
    let used = sqlx::query("UPDATE invitations SET accepted_at = $1 WHERE id = $2 AND accepted_at IS NULL AND revoked_at IS NULL")
        .bind(now)
        .bind(&inv_id)
        .execute(&mut *tx)
        .await?;
    if used.rows_affected() != 1 {
        return Err(AppError::invalid("token", BAD_INVITE));
    }
    add_member(&mut tx, &ws, &user_id, role, now).await?;
    audit::record(
        &mut tx,
        now,
        Event {
            workspace_id: &ws,
            actor: &Actor { id: user_id.clone(), name: email.as_str().into(), source: source.into() },
            action: "member.joined",
            subject_kind: "user",
            subject_id: &user_id,
            subject_name: email.as_str(),
            before: serde_json::Value::Null,
            after: serde_json::json!({"role": role.as_str()}),
        },
    )
    .await?;
    if existing.is_none() {
        // A new account is signed in by accepting: that is its first sign-in.
        let actor = Actor { id: user_id.clone(), name: email.as_str().into(), source: source.into() };
        audit_user(
            &mut tx,
            now,
            Some(&user_id),
            &actor,
            "login.succeeded",
            email.as_str(),
            serde_json::json!({"via": "invitation"}),
        )
        .await?;
    }
    tx.commit().await?;
    Ok((user_id, ws))
}

async fn owner_count(tx: &mut sqlx::Transaction<'static, sqlx::Any>, ws: &str) -> AppResult<i64> {
    Ok(sqlx::query(
        "SELECT CAST(COUNT(*) AS BIGINT) AS n FROM memberships WHERE workspace_id = $1 AND role = 'owner'",
    )
    .bind(ws)
    .fetch_one(&mut **tx)
    .await?
    .try_get("n")?)
}

async fn member_role(
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    ws: &str,
    user: &str,
) -> AppResult<Role> {
    if user.len() > 64 {
        return Err(AppError::NotFound);
    }
    let row = sqlx::query("SELECT role FROM memberships WHERE workspace_id = $1 AND user_id = $2")
        .bind(ws)
        .bind(user)
        .fetch_optional(&mut **tx)
        .await?
        .ok_or(AppError::NotFound)?;
    Ok(Role::parse(&row.try_get::<String, _>("role")?)?)
}

const LAST_OWNER: &str = "A workspace needs at least one owner: make someone else owner first.";

/// Changes a member's role; the last owner cannot be demoted.
pub async fn change_role(b: &Backend, v: &Viewer, user_id: &str, role: &str) -> AppResult<()> {
    authorize(v, Permission::ManageMembers)?;
    let role = Role::parse(role)?;
    let mut tx = b.db.begin_write().await?;
    let current = member_role(&mut tx, &v.workspace_id, user_id).await?;
    if current == Role::Owner && role != Role::Owner && owner_count(&mut tx, &v.workspace_id).await? <= 1 {
        return Err(AppError::invalid("role", LAST_OWNER));
    }
    sqlx::query("UPDATE memberships SET role = $1 WHERE workspace_id = $2 AND user_id = $3")
        .bind(role.as_str())
        .bind(&v.workspace_id)
        .bind(user_id)
        .execute(&mut *tx)
        .await?;
    if current == Role::Owner && role != Role::Owner {
        crate::api_tokens::end_tokens_of(
            &mut tx,
            b.clock.now(),
            v,
            user_id,
            "its maker is no longer an owner",
        )
        .await?;
    }
    audit_ws(
        &mut tx,
        b.clock.now(),
        v,
        "member.role_changed",
        "user",
        user_id,
        user_id,
        serde_json::json!({"role": current.as_str()}),
        serde_json::json!({"role": role.as_str()}),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Removes a member from the workspace; the last owner cannot be removed.
pub async fn remove_member(b: &Backend, v: &Viewer, user_id: &str) -> AppResult<()> {
    authorize(v, Permission::ManageMembers)?;
    let mut tx = b.db.begin_write().await?;
    let current = member_role(&mut tx, &v.workspace_id, user_id).await?;
    if current == Role::Owner && owner_count(&mut tx, &v.workspace_id).await? <= 1 {
        return Err(AppError::invalid("user", LAST_OWNER));
    }
    sqlx::query("DELETE FROM memberships WHERE workspace_id = $1 AND user_id = $2")
        .bind(&v.workspace_id)
        .bind(user_id)
        .execute(&mut *tx)
        .await?;
    crate::api_tokens::end_tokens_of(&mut tx, b.clock.now(), v, user_id, "its maker left the workspace")
        .await?;
    audit_ws(
        &mut tx,
        b.clock.now(),
        v,
        "member.removed",
        "user",
        user_id,
        user_id,
        serde_json::json!({"role": current.as_str()}),
        serde_json::Value::Null,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Asks for a reset link for `email`; says nothing about whether it has an account.
///
/// The request does the same work for every address, known or not: check the form of the
/// address, reserve the per-address and per-e-mail throttles (silently: a throttled request is
/// dropped with the same answer), queue it. [`process_reset_requests`] looks the account up and
/// puts the mail in the outbox in the background, so neither the answer nor its timing tells
/// whether the address has an account.
pub async fn request_password_reset(b: &Backend, email: &str, source: &str) -> AppResult<()> {
    let email = Email::parse(email)?;
    let now = b.clock.now();
    let by_email = format!("reset:account:{email}");
    let by_address = format!("reset:address:{source}");
    let allowed = throttle::reserve(
        &b.db,
        &[(&by_address, throttle::RESET_ADDRESS), (&by_email, throttle::RESET_ACCOUNT)],
        now,
    )
    .await?
    .is_none();
    if allowed {
        sqlx::query("INSERT INTO reset_requests (id, email, source, created_at) VALUES ($1, $2, $3, $4)")
            .bind(new_id())
            .bind(email.as_str())
            .bind(source)
            .bind(now)
            .execute(&b.db.pool)
            .await?;
        b.wake.resets.notify_one();
    }
    Ok(())
}

/// Turns queued reset requests into reset links and mail (for addresses with an account);
/// returns how many mails were queued. The request is recorded in the instance audit chain
/// (workspace ""), never in the person's workspaces: it is made by someone anonymous.
pub async fn process_reset_requests(b: &Backend) -> AppResult<usize> {
    let rows = sqlx::query(
        "SELECT id, email, source FROM reset_requests WHERE processed_at IS NULL ORDER BY created_at, id LIMIT 50",
    )
    .fetch_all(&b.db.pool)
    .await?;
    let mut sent = 0;
    for r in &rows {
        let id: String = r.try_get("id")?;
        let email: String = r.try_get("email")?;
        let source: String = r.try_get("source")?;
        let now = b.clock.now();
        let mut tx = b.db.begin_write().await?;
        let claimed =
            sqlx::query("UPDATE reset_requests SET processed_at = $1 WHERE id = $2 AND processed_at IS NULL")
                .bind(now)
                .bind(&id)
                .execute(&mut *tx)
                .await?;
        if claimed.rows_affected() != 1 {
            continue;
        }
        let user = sqlx::query("SELECT id, name FROM users WHERE email = $1")
            .bind(&email)
            .fetch_optional(&mut *tx)
            .await?;
        if let Some(user) = user {
            let user_id: String = user.try_get("id")?;
            let name: String = user.try_get("name")?;
            let token = new_token();
            sqlx::query(
                "INSERT INTO password_resets (token_hash, user_id, created_at, expires_at) VALUES ($1, $2, $3, $4)",
            )
            .bind(token_digest(token.expose()))
            .bind(&user_id)
            .bind(now)
            .bind(now + RESET_TTL_SECS)
            .execute(&mut *tx)
            .await?;
            let link = b.config.link(&format!("/reset/{}", token.expose()));
            let m = mail::render(
                Template::PasswordReset,
                "Reset your BAA Tracker password",
                &[("name", &name), ("link", &link)],
            );
            mail::enqueue(&mut tx, None, &email, &m, now).await?;
            audit::record(
                &mut tx,
                now,
                Event {
                    workspace_id: "",
                    actor: &Actor::anonymous(&source),
                    action: "password.reset_requested",
                    subject_kind: "user",
                    subject_id: &user_id,
                    subject_name: &email,
                    before: serde_json::Value::Null,
                    after: serde_json::Value::Null,
                },
            )
            .await?;
            sent += 1;
        }
        tx.commit().await?;
    }
    sqlx::query("DELETE FROM reset_requests WHERE processed_at IS NOT NULL AND processed_at < $1")
        .bind(b.clock.now() - 24 * 3600)
        .execute(&b.db.pool)
        .await?;
    if sent > 0 {
        b.mailer.wake.notify_one();
    }
    Ok(sent)
}

/// Processes reset requests when woken (and every few seconds) until shutdown.
pub async fn run_resets(b: Backend, shutdown: mail::tokio_util_shutdown::Shutdown) {
    loop {
        if let Err(e) = process_reset_requests(&b).await {
            tracing::error!(error = ?e, "processing password reset requests failed");
        }
        tokio::select! {
            _ = b.wake.resets.notified() => {}
            _ = tokio::time::sleep(std::time::Duration::from_secs(5)) => {}
            _ = shutdown.wait() => return,
        }
    }
}

const BAD_RESET: &str = "This reset link is not valid: it was already used or it expired. Ask for a new one.";

/// Whether a reset token is currently usable.
pub async fn reset_token_valid(b: &Backend, token: &str) -> AppResult<bool> {
    if token.len() > LINK_TOKEN_MAX {
        return Ok(false);
    }
    Ok(sqlx::query(
        "SELECT user_id FROM password_resets WHERE token_hash = $1 AND used_at IS NULL AND expires_at > $2",
    )
    .bind(token_digest(token))
    .bind(b.clock.now())
    .fetch_optional(&b.db.pool)
    .await?
    .is_some())
}

/// Sets a new password from a reset link; ends every session of the user.
pub async fn reset_password(
    b: &Backend,
    token: &str,
    password: Secret,
    confirm: Secret,
    source: &str,
) -> AppResult<()> {
    check_new_password(password.expose(), confirm.expose())?;
    if token.len() > LINK_TOKEN_MAX {
        return Err(AppError::invalid("token", BAD_RESET));
    }
    let now = b.clock.now();
    let row = sqlx::query(
        "SELECT user_id FROM password_resets WHERE token_hash = $1 AND used_at IS NULL AND expires_at > $2",
    )
    .bind(token_digest(token))
    .bind(now)
    .fetch_optional(&b.db.pool)
    .await?
    .ok_or_else(|| AppError::invalid("token", BAD_RESET))?;
    let user_id: String = row.try_get("user_id")?;
    let hash = b.passwords.hash(password).await?;
    let mut tx = b.db.begin_write().await?;
    let used =
        sqlx::query("UPDATE password_resets SET used_at = $1 WHERE token_hash = $2 AND used_at IS NULL")
            .bind(now)
            .bind(token_digest(token))
            .execute(&mut *tx)
            .await?;
    if used.rows_affected() != 1 {
        return Err(AppError::invalid("token", BAD_RESET));
    }
    set_password_tx(b, &mut tx, &user_id, &hash, now).await?;
    audit_user(
        &mut tx,
        now,
        Some(&user_id),
        &Actor::anonymous(source),
        "password.reset",
        &user_id,
        serde_json::Value::Null,
    )
    .await?;
    tx.commit().await?;
    b.mailer.wake.notify_one();
    Ok(())
}

/// Checks the signed-in user's own password (to change it or turn 2FA off), throttled per
/// user like a sign-in, so a borrowed session cannot be used to guess it.
async fn check_current_password(b: &Backend, v: &Viewer, password: Secret) -> AppResult<bool> {
    if password.expose().chars().count() > baa_core::account::PASSWORD_MAX {
        return Ok(false);
    }
    let admission = b.passwords.admit().await?;
    let key = format!("reauth:{}", v.user_id);
    throttle::reserve_or_refuse(
        &b.db,
        &[(&key, throttle::LOGIN_ACCOUNT)],
        b.clock.now(),
        "Too many wrong passwords.",
        "",
    )
    .await?;
    let row = sqlx::query("SELECT password_hash FROM users WHERE id = $1")
        .bind(&v.user_id)
        .fetch_one(&b.db.pool)
        .await?;
    let ok =
        admission.verify(password, Some(PasswordHashString::from_db(row.try_get("password_hash")?))).await?;
    if ok {
        throttle::clear(&b.db, &key).await?;
    }
    Ok(ok)
}

async fn set_password_tx(
    b: &Backend,
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    user_id: &str,
    hash: &PasswordHashString,
    now: i64,
) -> AppResult<()> {
    sqlx::query("UPDATE users SET password_hash = $1, session_version = session_version + 1, updated_at = $2 WHERE id = $3")
        .bind(hash.as_db())
        .bind(now)
        .bind(user_id)
        .execute(&mut **tx)
        .await?;
    // Other unused reset links die with the old password.
    sqlx::query("UPDATE password_resets SET used_at = $1 WHERE user_id = $2 AND used_at IS NULL")
        .bind(now)
        .bind(user_id)
        .execute(&mut **tx)
        .await?;
    let row =
        sqlx::query("SELECT email, name FROM users WHERE id = $1").bind(user_id).fetch_one(&mut **tx).await?;
    let email: String = row.try_get("email")?;
    let name: String = row.try_get("name")?;
    let m = mail::render(
        Template::PasswordChanged,
        "Your BAA Tracker password was changed",
        &[("name", &name), ("when", &crate::clock::fmt_ts(now)), ("link", &b.config.link("/forgot"))],
    );
    mail::enqueue(tx, None, &email, &m, now).await?;
    Ok(())
}

/// Changes the signed-in user's password after checking the current one. Every session of the
/// user ends (the caller starts a fresh one). Returns the new session version.
pub async fn change_password(
    b: &Backend,
    v: &Viewer,
    current: Secret,
    new: Secret,
    confirm: Secret,
) -> AppResult<i64> {
    check_new_password(new.expose(), confirm.expose())?;
    if !check_current_password(b, v, current).await? {
        return Err(AppError::invalid("current_password", "The current password is not right."));
    }
    let hash = b.passwords.hash(new).await?;
    let now = b.clock.now();
    let mut tx = b.db.begin_write().await?;
    set_password_tx(b, &mut tx, &v.user_id, &hash, now).await?;
    let version: i64 = sqlx::query("SELECT session_version FROM users WHERE id = $1")
        .bind(&v.user_id)
        .fetch_one(&mut *tx)
        .await?
        .try_get("session_version")?;
    audit_user(
        &mut tx,
        now,
        Some(&v.user_id),
        &Actor::of(v),
        "password.changed",
        &v.email,
        serde_json::Value::Null,
    )
    .await?;
    tx.commit().await?;
    b.mailer.wake.notify_one();
    Ok(version)
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

/// Turns on TOTP for the viewer after checking a code made from `secret`; returns the
/// recovery codes, shown once.
pub async fn enable_totp(b: &Backend, v: &Viewer, secret: &Secret, code: &str) -> AppResult<Vec<Secret>> {
    let now = b.clock.now();
    let Some(step) = totp::verify(secret.expose(), code, now, None)? else {
        return Err(AppError::invalid(
            "code",
            "That code does not match. Check the time on your phone and enter the current 6-digit code.",
        ));
    };
    let codes = totp::new_recovery_codes();
    let mut tx = b.db.begin_write().await?;
    sqlx::query("UPDATE users SET totp_secret = $1, totp_last_step = $2, updated_at = $3 WHERE id = $4")
        .bind(secret.expose())
        .bind(step)
        .bind(now)
        .bind(&v.user_id)
        .execute(&mut *tx)
        .await?;
    sqlx::query("DELETE FROM recovery_codes WHERE user_id = $1").bind(&v.user_id).execute(&mut *tx).await?;
    for c in &codes {
        sqlx::query("INSERT INTO recovery_codes (user_id, code_hash) VALUES ($1, $2)")
            .bind(&v.user_id)
            .bind(token_digest(c.expose()))
            .execute(&mut *tx)
            .await?;
    }
    audit_user(
        &mut tx,
        now,
        Some(&v.user_id),
        &Actor::of(v),
        "2fa.enabled",
        &v.email,
        serde_json::Value::Null,
    )
    .await?;
    tx.commit().await?;
    Ok(codes)
}

/// Turns TOTP off after checking the password; refused when the workspace requires it.
pub async fn disable_totp(b: &Backend, v: &Viewer, password: Secret) -> AppResult<()> {
    if v.workspace_requires_2fa {
        return Err(AppError::invalid(
            "password",
            "This workspace requires two-factor sign-in, so it cannot be turned off.",
        ));
    }
    if !check_current_password(b, v, password).await? {
        return Err(AppError::invalid("password", "The password is not right."));
    }
    let mut tx = b.db.begin_write().await?;
    sqlx::query("UPDATE users SET totp_secret = NULL, totp_last_step = NULL WHERE id = $1")
        .bind(&v.user_id)
        .execute(&mut *tx)
        .await?;
    sqlx::query("DELETE FROM recovery_codes WHERE user_id = $1").bind(&v.user_id).execute(&mut *tx).await?;
    audit_user(
        &mut tx,
        b.clock.now(),
        Some(&v.user_id),
        &Actor::of(v),
        "2fa.disabled",
        &v.email,
        serde_json::Value::Null,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// How many unused recovery codes the viewer has.
pub async fn recovery_codes_left(b: &Backend, user_id: &str) -> AppResult<i64> {
    Ok(sqlx::query(
        "SELECT CAST(COUNT(*) AS BIGINT) AS n FROM recovery_codes WHERE user_id = $1 AND used_at IS NULL",
    )
    .bind(user_id)
    .fetch_one(&b.db.pool)
    .await?
    .try_get("n")?)
}

/// Updates the workspace name and its 2FA requirement.
pub async fn update_workspace(b: &Backend, v: &Viewer, name: &str, require_2fa: bool) -> AppResult<()> {
    authorize(v, Permission::ManageSettings)?;
    let name = check_display_name("name", name)?;
    let mut tx = b.db.begin_write().await?;
    sqlx::query("UPDATE workspaces SET name = $1, require_2fa = $2 WHERE id = $3")
        .bind(&name)
        .bind(i64::from(require_2fa))
        .bind(&v.workspace_id)
        .execute(&mut *tx)
        .await?;
    audit_ws(
        &mut tx,
        b.clock.now(),
        v,
        "settings.changed",
        "workspace",
        &v.workspace_id,
        &name,
        serde_json::json!({"name": v.workspace_name, "require_2fa": v.workspace_requires_2fa}),
        serde_json::json!({"name": name, "require_2fa": require_2fa}),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Whether the viewer may start another workspace, by the instance's `WORKSPACE_CREATORS`.
pub fn may_create_workspace(b: &Backend, v: &Viewer) -> AppResult<()> {
    use crate::config::WorkspaceCreators;
    let allowed = match b.config.workspace_creators {
        WorkspaceCreators::Anyone => true,
        WorkspaceCreators::Owners => v.workspaces.iter().any(|w| w.role == Role::Owner),
        WorkspaceCreators::Nobody => false,
    };
    if allowed {
        Ok(())
    } else {
        Err(AppError::Forbidden(match b.config.workspace_creators {
            WorkspaceCreators::Nobody => {
                "New workspaces are not started from the app on this instance; ask its administrator.".into()
            }
            _ => {
                "Only people who own a workspace can start another one on this instance; ask an owner.".into()
            }
        }))
    }
}

/// Creates a new workspace with the viewer as its owner (for people who serve several
/// companies); returns its id.
pub async fn create_workspace(b: &Backend, v: &Viewer, name: &str) -> AppResult<String> {
    may_create_workspace(b, v)?;
    let name = check_display_name("workspace", name)?;
    let now = b.clock.now();
    let ws = new_id();
    let mut tx = b.db.begin_write().await?;
    sqlx::query("INSERT INTO workspaces (id, name, require_2fa, created_at) VALUES ($1, $2, 0, $3)")
        .bind(&ws)
        .bind(&name)
        .bind(now)
        .execute(&mut *tx)
        .await?;
    add_member(&mut tx, &ws, &v.user_id, Role::Owner, now).await?;
    audit::record(
        &mut tx,
        now,
        Event {
            workspace_id: &ws,
            actor: &Actor::of(v),
            action: "workspace.created",
            subject_kind: "workspace",
            subject_id: &ws,
            subject_name: &name,
            before: serde_json::Value::Null,
            after: serde_json::json!({"name": name, "owner": v.email}),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(ws)
}
