//! The one delivery pass of every outbox (mail in `outbox`, webhook calls in `webhook_outbox`).
//!
//! A change writes its outgoing message into an outbox table in its own transaction; a worker
//! delivers it later, so a mail server or webhook that is down delays messages and loses none.
//! One pass ([`deliver_due`]): read up to 50 due rows, lease each (a conditional update of
//! `next_attempt_at`, so a second instance on the same database leaves it alone), hand it to the
//! courier, then record the outcome: sent, or another attempt after [`backoff`], or failed for
//! good after [`MAX_ATTEMPTS`] (an owner may retry it). Each table has `id`, `attempts`,
//! `next_attempt_at`, `sent_at`, `failed_at`, `last_error` and `created_at`.

use crate::clock::Clock;
use crate::db::Db;
use sqlx::any::AnyRow;
use sqlx::Row;
use std::future::Future;

/// Attempts before a message is marked failed (about 2.5 hours of backoff).
pub const MAX_ATTEMPTS: i64 = 8;

/// Seconds a leased row is left alone by other workers while it is being delivered.
const LEASE_SECS: i64 = 300;

/// Seconds to wait after `attempts` failed attempts: 30 s doubling, at most an hour.
pub fn backoff(attempts: i64) -> i64 {
    30_i64.saturating_mul(1 << attempts.clamp(0, 7)).min(3600)
}

/// One outbox table and the query of its due rows.
pub struct Outbox {
    /// The table (a constant of ours, never input).
    pub table: &'static str,
    /// Selects the due rows with `$1` = now: at least `id`, `attempts` and `next_attempt_at`,
    /// plus whatever the courier reads, oldest first, `LIMIT 50`.
    pub due: &'static str,
    /// What the log calls a row of it.
    pub what: &'static str,
}

/// How one delivery went.
pub enum Attempt {
    /// Delivered; `and_set` is an extra `SET` clause of ours (erasing a sensitive body).
    Sent {
        /// Extra assignments for the sent row, if any.
        and_set: Option<&'static str>,
    },
    /// Not delivered: `shown` is stored for owners to read, `cause` goes to the log only.
    Failed {
        /// What the delivery list shows.
        shown: String,
        /// The cause, for the server log (never a secret: no URL, no token).
        cause: String,
    },
}

/// Delivers every due row of `outbox` once with `send`; returns how many were sent.
pub async fn deliver_due<F, Fut>(
    db: &Db,
    clock: &Clock,
    outbox: &Outbox,
    mut send: F,
) -> anyhow::Result<usize>
where
    F: FnMut(String, AnyRow) -> Fut,
    Fut: Future<Output = Attempt>,
{
    let table = outbox.table;
    let now = clock.now();
    let rows = sqlx::query(outbox.due).bind(now).fetch_all(&db.pool).await?;
    let mut sent = 0;
    for row in rows {
        let id: String = row.try_get("id")?;
        let due: i64 = row.try_get("next_attempt_at")?;
        let attempts: i64 = row.try_get("attempts")?;
        let lease = sqlx::query(&format!(
            "UPDATE {table} SET next_attempt_at = $1 WHERE id = $2 AND next_attempt_at = $3 AND sent_at IS NULL"
        ))
        .bind(now + LEASE_SECS)
        .bind(&id)
        .bind(due)
        .execute(&db.pool)
        .await?;
        if lease.rows_affected() != 1 {
            continue;
        }
        match send(id.clone(), row).await {
            Attempt::Sent { and_set } => {
                let extra = and_set.map(|s| format!(", {s}")).unwrap_or_default();
                sqlx::query(&format!(
                    "UPDATE {table} SET sent_at = $1, attempts = attempts + 1, last_error = NULL{extra} WHERE id = $2"
                ))
                .bind(clock.now())
                .bind(&id)
                .execute(&db.pool)
                .await?;
                sent += 1;
            }
            Attempt::Failed { shown, cause } => {
                tracing::warn!(outbox = outbox.what, id = %id, attempts = attempts + 1, error = %cause, "delivery failed; will retry");
                // After the last attempt the row waits, failed, for an owner to retry it.
                let failed = (attempts + 1 >= MAX_ATTEMPTS).then(|| clock.now());
                sqlx::query(&format!(
                    "UPDATE {table} SET attempts = attempts + 1, last_error = $1, next_attempt_at = $2, failed_at = $3 WHERE id = $4"
                ))
                .bind(shown)
                .bind(clock.now() + backoff(attempts))
                .bind(failed)
                .bind(&id)
                .execute(&db.pool)
                .await?;
            }
        }
    }
    Ok(sent)
}

#[cfg(test)]
mod tests {
    use super::backoff;

    #[test]
    fn backoff_doubles_from_thirty_seconds_to_an_hour() {
        assert_eq!(backoff(0), 30);
        assert_eq!(backoff(1), 60);
        assert_eq!(backoff(20), 3600);
    }
}
