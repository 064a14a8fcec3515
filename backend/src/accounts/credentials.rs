//! Passwords (reset by mail, changed by the person) and two-factor sign-in (TOTP, recovery codes).

use super::*;

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
            Event::new(
                "",
                &Actor::anonymous(&source),
                "password.reset_requested",
                ("user", &user_id, &email),
            )
            .record(&mut tx, now)
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
