//! Throttles kept in the database, so they hold across instances and restarts: per account,
//! per client address, per second factor, per reset address.
//!
//! An attempt is *reserved* before the work it guards (an argon2 verification, a TOTP check, a
//! reset mail) in one atomic statement: `UPDATE ... WHERE next_at <= now RETURNING failures`.
//! On PostgreSQL the row lock makes concurrent reservations queue and re-check `next_at` after
//! the one before them commits; on SQLite write transactions are serialised (`BEGIN
//! IMMEDIATE`). Either way, 40 concurrent guesses get exactly the free allowance and then one
//! at a time, never 40 verifications.
//!
//! Past the free allowance the wait doubles with each further attempt up to a cap (exponential
//! backoff), rather than a hard lockout that anyone could use to shut a person out for 15
//! minutes. A key that stays quiet for its `quiet` period starts over.

use crate::db::Db;
use crate::error::{AppError, AppResult};
use sqlx::Row;

/// How a key is throttled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rule {
    /// Attempts allowed without waiting.
    pub free: i64,
    /// Wait after the first attempt past `free`, in seconds; doubles with each further one.
    pub base_delay: i64,
    /// Longest wait, in seconds.
    pub max_delay: i64,
    /// Seconds without attempts after which the count starts over.
    pub quiet: i64,
}

impl Rule {
    /// Seconds to wait after the `n`th attempt (from 1) before the next one.
    pub fn delay_after(&self, n: i64) -> i64 {
        if n < self.free {
            0
        } else {
            let doublings = u32::try_from((n - self.free).clamp(0, 30)).unwrap_or(30);
            self.base_delay.saturating_mul(1_i64 << doublings).min(self.max_delay)
        }
    }
}

/// Password sign-ins per account (whether the account exists or not): 5, then 30 s doubling
/// to 15 minutes.
pub const LOGIN_ACCOUNT: Rule = Rule { free: 5, base_delay: 30, max_delay: 900, quiet: 900 };
/// Password sign-ins per client address, over all accounts.
pub const LOGIN_ADDRESS: Rule = Rule { free: 20, base_delay: 30, max_delay: 900, quiet: 900 };
/// Second-factor codes per user, counted apart from passwords.
pub const SECOND_FACTOR: Rule = Rule { free: 5, base_delay: 30, max_delay: 900, quiet: 900 };
/// Password resets per e-mail address: 3 an hour, then 20 minutes doubling to an hour.
pub const RESET_ACCOUNT: Rule = Rule { free: 3, base_delay: 1200, max_delay: 3600, quiet: 3600 };
/// Password resets per client address.
pub const RESET_ADDRESS: Rule = Rule { free: 10, base_delay: 60, max_delay: 3600, quiet: 3600 };

/// Reserves one attempt under each of `keys` in one transaction: all or none. `Ok(None)` when
/// allowed (now counted), `Ok(Some(seconds))` when one of them must wait that long.
pub async fn reserve(db: &Db, keys: &[(&str, Rule)], now: i64) -> AppResult<Option<i64>> {
    let mut tx = db.begin_write().await?;
    for (key, rule) in keys {
        sqlx::query(
            "INSERT INTO throttle (throttle_key, failures, last_at, next_at) VALUES ($1, 0, $2, 0) \
             ON CONFLICT (throttle_key) DO NOTHING",
        )
        .bind(*key)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        let taken = sqlx::query(
            "UPDATE throttle SET failures = CASE WHEN next_at + $2 < $3 THEN 1 ELSE failures + 1 END, last_at = $3 \
             WHERE throttle_key = $1 AND next_at <= $3 RETURNING failures",
        )
        .bind(*key)
        .bind(rule.quiet)
        .bind(now)
        .fetch_optional(&mut *tx)
        .await?;
        let Some(taken) = taken else {
            let next_at: i64 = sqlx::query("SELECT next_at FROM throttle WHERE throttle_key = $1")
                .bind(*key)
                .fetch_one(&mut *tx)
                .await?
                .try_get("next_at")?;
            // Dropping the transaction rolls back the keys already reserved.
            return Ok(Some((next_at - now).max(1)));
        };
        let n: i64 = taken.try_get("failures")?;
        sqlx::query("UPDATE throttle SET next_at = $1 WHERE throttle_key = $2")
            .bind(now + rule.delay_after(n))
            .bind(*key)
            .execute(&mut *tx)
            .await?;
    }
    tx.commit().await?;
    Ok(None)
}

/// Like [`reserve`], but a wait is the `TooManyRequests` error "`message` Try again in
/// <wait>`hint`."
pub async fn reserve_or_refuse(
    db: &Db,
    keys: &[(&str, Rule)],
    now: i64,
    message: &str,
    hint: &str,
) -> AppResult<()> {
    match reserve(db, keys, now).await? {
        None => Ok(()),
        Some(wait) => {
            let wait = u64::try_from(wait).unwrap_or(1);
            Err(AppError::too_many(format!("{message} Try again in {}{hint}.", human_wait(wait)), wait))
        }
    }
}

/// Forgets a key (after a success: the failures before it no longer count).
pub async fn clear(db: &Db, key: &str) -> AppResult<()> {
    sqlx::query("DELETE FROM throttle WHERE throttle_key = $1").bind(key).execute(&db.pool).await?;
    Ok(())
}

/// Gives back one reserved attempt that turned out to succeed, without forgetting the failures
/// before it (an address shared by many people is not slowed by their successful sign-ins).
pub async fn refund(db: &Db, key: &str, rule: Rule, now: i64) -> AppResult<()> {
    sqlx::query(
        "UPDATE throttle SET failures = failures - 1, next_at = CASE WHEN failures - 1 < $2 THEN $3 ELSE next_at END \
         WHERE throttle_key = $1 AND failures > 0",
    )
    .bind(key)
    .bind(rule.free)
    .bind(now)
    .execute(&db.pool)
    .await?;
    Ok(())
}

/// Removes keys quiet for a day.
pub async fn sweep(db: &Db, now: i64) -> AppResult<u64> {
    Ok(sqlx::query("DELETE FROM throttle WHERE last_at < $1 AND next_at < $1")
        .bind(now - 24 * 3600)
        .execute(&db.pool)
        .await?
        .rows_affected())
}

/// "45 seconds", "3 minutes".
pub fn human_wait(secs: u64) -> String {
    if secs < 90 {
        format!("{secs} second{}", if secs == 1 { "" } else { "s" })
    } else {
        format!("{} minutes", secs.div_ceil(60))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_wait_doubles_past_the_free_attempts_up_to_the_cap() {
        let r = LOGIN_ACCOUNT;
        assert_eq!((1..5).map(|n| r.delay_after(n)).collect::<Vec<_>>(), [0, 0, 0, 0]);
        assert_eq!(r.delay_after(5), 30);
        assert_eq!(r.delay_after(6), 60);
        assert_eq!(r.delay_after(9), 480);
        assert_eq!(r.delay_after(10), 900);
        assert_eq!(r.delay_after(1000), 900);
        assert_eq!(human_wait(30), "30 seconds");
        assert_eq!(human_wait(900), "15 minutes");
    }
}
