//! Sign-in: the password, then the second factor, each throttled per account and per address.

use super::*;

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
    Event::new("", &Actor::anonymous(client), "login.failed", ("user", user_id.unwrap_or(""), email))
        .record(&mut tx, b.clock.now())
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
