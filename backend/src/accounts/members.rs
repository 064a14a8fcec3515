//! Members of a workspace, their roles, and invitations to join.

use super::*;

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
    Event::new(
        &ws,
        &Actor { id: user_id.clone(), name: email.as_str().into(), source: source.into() },
        "member.joined",
        ("user", &user_id, email.as_str()),
    )
    .after(serde_json::json!({"role": role.as_str()}))
    .record(&mut tx, now)
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
