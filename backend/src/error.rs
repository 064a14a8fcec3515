//! The one application error type.
//!
//! Policy: a variant says what the *user* can learn. `Invalid`, `Conflict`, `NotFound`,
//! `Forbidden`, `Unauthenticated` and `TooManyRequests` carry messages written for people and are
//! shown as they are. `Internal` wraps anything else: its detail (SQL, IO, library errors) is logged
//! with a random reference and never sent; the user sees only "something went wrong (ref ...)".
//! Another workspace's record is `NotFound`, never `Forbidden`, so ids cannot be probed.
//! Unique-constraint violations are turned into `Conflict` with a field by [`on_unique`].
//! `TooManyRequests` (a throttle) and `Busy` (a bounded pool is full) both answer 429 and say
//! when to try again ([`AppError::retry_after`], sent as `Retry-After`). Lock contention in the
//! database (see [`is_contention`]) is `Busy` too: "busy" is never a 500.

use baa_core::account::Invalid;

/// Every failure a request can end with.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// Bad input: a field and what to do.
    #[error("{0}")]
    Invalid(#[from] Invalid),
    /// The record would clash with an existing one.
    #[error("{message}")]
    Conflict {
        /// The field that clashes.
        field: String,
        /// What clashes.
        message: String,
    },
    /// No such record in this workspace.
    #[error("not found")]
    NotFound,
    /// Signed in, but the role does not allow it.
    #[error("{0}")]
    Forbidden(String),
    /// Not signed in (or the session ended).
    #[error("sign in to continue")]
    Unauthenticated,
    /// Throttled: this account or address must wait.
    #[error("{message}")]
    TooManyRequests {
        /// What to do, for people.
        message: String,
        /// Seconds until a new attempt can succeed.
        retry_after: u64,
    },
    /// A bounded pool (password hashing, PDF checks) is full: try again shortly.
    #[error("busy")]
    Busy {
        /// Seconds to wait before trying again.
        retry_after: u64,
    },
    /// Anything else: logged, never shown.
    #[error("internal error")]
    Internal(#[source] anyhow::Error),
}

/// Short alias used across the backend.
pub type AppResult<T> = Result<T, AppError>;

impl AppError {
    /// A validation error on `field`.
    pub fn invalid(field: &str, message: impl Into<String>) -> Self {
        AppError::Invalid(Invalid::new(field, message))
    }

    /// HTTP status for this error.
    pub fn status(&self) -> u16 {
        match self {
            AppError::Invalid(_) => 422,
            AppError::Conflict { .. } => 409,
            AppError::NotFound => 404,
            AppError::Forbidden(_) => 403,
            AppError::Unauthenticated => 401,
            AppError::TooManyRequests { .. } | AppError::Busy { .. } => 429,
            AppError::Internal(_) => 500,
        }
    }

    /// A stable machine-readable code.
    pub fn code(&self) -> &'static str {
        match self {
            AppError::Invalid(_) => "invalid",
            AppError::Conflict { .. } => "conflict",
            AppError::NotFound => "not_found",
            AppError::Forbidden(_) => "forbidden",
            AppError::Unauthenticated => "unauthenticated",
            AppError::TooManyRequests { .. } => "too_many_requests",
            AppError::Busy { .. } => "busy",
            AppError::Internal(_) => "internal",
        }
    }

    /// A throttle refusal that tells when to try again.
    pub fn too_many(message: impl Into<String>, retry_after: u64) -> Self {
        AppError::TooManyRequests { message: message.into(), retry_after: retry_after.max(1) }
    }

    /// Seconds to wait before retrying, for the `Retry-After` header of a 429.
    pub fn retry_after(&self) -> Option<u64> {
        match self {
            AppError::TooManyRequests { retry_after, .. } | AppError::Busy { retry_after } => {
                Some(*retry_after)
            }
            _ => None,
        }
    }

    /// The field the message concerns, when there is one.
    pub fn field(&self) -> Option<&str> {
        match self {
            AppError::Invalid(i) => Some(&i.field),
            AppError::Conflict { field, .. } => Some(field),
            _ => None,
        }
    }

    /// The message safe to show to the user. Internal errors are logged here with a reference.
    pub fn public_message(&self) -> String {
        match self {
            AppError::Invalid(i) => i.message.clone(),
            AppError::Conflict { message, .. } => message.clone(),
            AppError::NotFound => "Not found: it does not exist or is not in your workspace.".into(),
            AppError::Forbidden(m) | AppError::TooManyRequests { message: m, .. } => m.clone(),
            AppError::Busy { retry_after } => format!(
                "The server is busy with other requests. Try again in {retry_after} second{}.",
                if *retry_after == 1 { "" } else { "s" }
            ),
            AppError::Unauthenticated => "Sign in to continue.".into(),
            AppError::Internal(e) => {
                let reference = uuid::Uuid::new_v4().simple().to_string()[..8].to_string();
                tracing::error!(error = ?e, reference, "internal error");
                format!("Something went wrong on our side (reference {reference}). Try again; if it persists, tell your administrator.")
            }
        }
    }
}

/// Whether a database error only means "another writer holds the lock, try again": SQLite's
/// busy and locked codes, PostgreSQL's serialization failure, deadlock and lock-not-available,
/// and a pool with no free connection in time. These answer [`AppError::Busy`], never a 500.
pub fn is_contention(e: &sqlx::Error) -> bool {
    match e {
        sqlx::Error::PoolTimedOut => true,
        sqlx::Error::Database(d) => {
            let code = d.code();
            let code = code.as_deref().unwrap_or("");
            // SQLite: SQLITE_BUSY (5) and SQLITE_LOCKED (6) with their extended codes (low byte).
            let sqlite_busy = code.parse::<u32>().is_ok_and(|c| matches!(c & 0xff, 5 | 6));
            sqlite_busy || matches!(code, "40001" | "40P01" | "55P03")
        }
        _ => false,
    }
}

impl From<sqlx::Error> for AppError {
    fn from(e: sqlx::Error) -> Self {
        if is_contention(&e) {
            tracing::warn!(error = %e, "database busy; the request is refused with retry");
            return AppError::Busy { retry_after: 1 };
        }
        AppError::Internal(anyhow::Error::new(e))
    }
}

impl From<anyhow::Error> for AppError {
    fn from(e: anyhow::Error) -> Self {
        if let Some(db) = e.chain().find_map(|c| c.downcast_ref::<sqlx::Error>()) {
            if is_contention(db) {
                tracing::warn!(error = %db, "database busy; the request is refused with retry");
                return AppError::Busy { retry_after: 1 };
            }
        }
        AppError::Internal(e)
    }
}

/// Turns a unique-constraint violation into a `Conflict` on `field`; other errors pass through.
pub fn on_unique<'a>(field: &'a str, message: &'a str) -> impl FnOnce(sqlx::Error) -> AppError + 'a {
    move |e| match &e {
        sqlx::Error::Database(d) if d.is_unique_violation() => {
            AppError::Conflict { field: field.to_string(), message: message.to_string() }
        }
        _ => AppError::from(e),
    }
}
