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
//! A form refused for several reasons at once is `Fields`: every field's message, collected by
//! the validation with [`Problems`], so the person fixes them all in one go.
//! An uploaded snapshot that cannot be read is `Malformed`: every file and line at fault.
//! A request refused at the HTTP edge before any feature saw it (a body that is not the JSON
//! asked for, a path or query that does not parse, a token without the scope, an unknown route)
//! is `Rejected`, with the status and stable code the edge chose.
//!
//! This is also the one place an error becomes an HTTP answer: `status()` is the HTTP status,
//! `IntoResponse` writes the one JSON error shape (`{"error": {"code", "message", "field"?,
//! "details"?}}`, with `Retry-After` on a 429 and `WWW-Authenticate` on a 401) used by the REST
//! API and the access layer, and [`AppError::into_text`] writes the plain-text answer of a
//! download. The HTML page of a refused form is the server's (`server::edge::Page`), built from
//! the same status and message.

use axum_core::response::{IntoResponse, Response};
use baa_core::account::Invalid;
use baa_core::fly_import::ImportErrors;
use http::{header, HeaderValue, StatusCode};

/// Every failure a request can end with.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// Bad input: a field and what to do.
    #[error("{0}")]
    Invalid(#[from] Invalid),
    /// Bad input on several fields: each field and what to do (never empty).
    #[error("{}", join_messages(.0))]
    Fields(Vec<Invalid>),
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
    /// An uploaded snapshot cannot be read: every error, with file and line. Nothing was written.
    #[error("{0}")]
    Malformed(ImportErrors),
    /// Refused at the HTTP edge before any feature saw the request (see the module doc).
    #[error("{message}")]
    Rejected {
        /// The HTTP status (4xx).
        status: StatusCode,
        /// The stable code (`bad_request`, `unsupported_media_type`, `insufficient_scope`...).
        code: &'static str,
        /// The input it concerns, when there is one.
        field: Option<String>,
        /// What to do, for people.
        message: String,
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

    /// A request refused at the edge with `status` and `code`.
    pub fn rejected(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        AppError::Rejected { status, code, field: None, message: message.into() }
    }

    /// HTTP status for this error.
    pub fn status(&self) -> StatusCode {
        match self {
            AppError::Invalid(_) | AppError::Fields(_) | AppError::Malformed(_) => {
                StatusCode::UNPROCESSABLE_ENTITY
            }
            AppError::Conflict { .. } => StatusCode::CONFLICT,
            AppError::NotFound => StatusCode::NOT_FOUND,
            AppError::Forbidden(_) => StatusCode::FORBIDDEN,
            AppError::Unauthenticated => StatusCode::UNAUTHORIZED,
            AppError::TooManyRequests { .. } | AppError::Busy { .. } => StatusCode::TOO_MANY_REQUESTS,
            AppError::Rejected { status, .. } => *status,
            AppError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// A stable machine-readable code.
    pub fn code(&self) -> &'static str {
        match self {
            AppError::Invalid(_) | AppError::Fields(_) => "invalid",
            AppError::Conflict { .. } => "conflict",
            AppError::NotFound => "not_found",
            AppError::Forbidden(_) => "forbidden",
            AppError::Unauthenticated => "unauthenticated",
            AppError::TooManyRequests { .. } => "too_many_requests",
            AppError::Busy { .. } => "busy",
            AppError::Malformed(_) => "invalid_snapshot",
            AppError::Rejected { code, .. } => code,
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
            AppError::Fields(all) => all.first().map(|i| i.field.as_str()),
            AppError::Conflict { field, .. } => Some(field),
            AppError::Malformed(_) => Some("files"),
            AppError::Rejected { field, .. } => field.as_deref(),
            _ => None,
        }
    }

    /// The message safe to show to the user. Internal errors are logged here with a reference.
    pub fn public_message(&self) -> String {
        match self {
            AppError::Invalid(i) => i.message.clone(),
            AppError::Fields(all) => join_messages(all),
            AppError::Conflict { message, .. } => message.clone(),
            AppError::NotFound => "Not found: it does not exist or is not in your workspace.".into(),
            AppError::Forbidden(m)
            | AppError::TooManyRequests { message: m, .. }
            | AppError::Rejected { message: m, .. } => m.clone(),
            AppError::Malformed(errors) => {
                let mut message = errors.to_string();
                if message.chars().count() > MALFORMED_MAX {
                    message = message.chars().take(MALFORMED_MAX).collect::<String>() + " …";
                }
                format!("{message}\nNothing was imported.")
            }
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

impl AppError {
    /// Every (field, message) this error is about, in the order the form has them: one for
    /// `Invalid` and `Conflict`, several for `Fields`, none for the others.
    pub fn field_errors(&self) -> Vec<Invalid> {
        match self {
            AppError::Invalid(i) => vec![i.clone()],
            AppError::Fields(all) => all.clone(),
            AppError::Conflict { field, message } => vec![Invalid::new(field.clone(), message.clone())],
            AppError::Malformed(_) => vec![Invalid::new("files", self.public_message())],
            _ => Vec::new(),
        }
    }

    /// The plain-text answer (downloads, refusals before a page exists): status, message, and
    /// `Retry-After` on a 429.
    pub fn into_text(self) -> Response {
        let status = self.status();
        let retry = self.retry_after();
        let mut res = (status, self.public_message()).into_response();
        with_retry_after(&mut res, retry);
        res
    }
}

/// The longest list of snapshot errors shown in one message.
const MALFORMED_MAX: usize = 3000;

/// Sets `Retry-After` when the error has one.
pub fn with_retry_after(res: &mut Response, seconds: Option<u64>) {
    if let Some(v) = seconds.and_then(|s| HeaderValue::from_str(&s.to_string()).ok()) {
        res.headers_mut().insert(header::RETRY_AFTER, v);
    }
}

/// The one JSON error shape: `{"error": {"code", "message", "field"?, "details"?}}`.
impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let status = self.status();
        let retry = self.retry_after();
        // A malformed snapshot's message is the list itself, whole (pages shorten it), with each
        // problem in `details`.
        let message = match &self {
            AppError::Malformed(errors) => errors.to_string(),
            e => e.public_message(),
        };
        let mut error = serde_json::json!({"code": self.code(), "message": message});
        if let Some(f) = self.field() {
            error["field"] = serde_json::json!(f);
        }
        if let AppError::Malformed(errors) = &self {
            error["details"] = serde_json::to_value(&errors.0).unwrap_or_default();
        }
        let body = serde_json::to_vec(&serde_json::json!({ "error": error })).unwrap_or_default();
        let mut res = (status, [(header::CONTENT_TYPE, HeaderValue::from_static("application/json"))], body)
            .into_response();
        if status == StatusCode::UNAUTHORIZED {
            res.headers_mut().insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        with_retry_after(&mut res, retry);
        res
    }
}

fn join_messages(all: &[Invalid]) -> String {
    all.iter().map(|i| i.message.as_str()).collect::<Vec<_>>().join("; ")
}

/// Collects every validation problem of a form instead of stopping at the first, so a refusal
/// names them all. Errors that are not about input (a database failure) end the check at once.
#[derive(Debug, Default)]
pub struct Problems {
    invalid: Vec<Invalid>,
    fatal: Option<AppError>,
}

impl Problems {
    /// An empty collection.
    pub fn new() -> Self {
        Self::default()
    }

    /// The value of `r`, or `None` with its problem(s) kept.
    pub fn check<T>(&mut self, r: AppResult<T>) -> Option<T> {
        match r {
            Ok(v) => Some(v),
            Err(e) => {
                self.push(e);
                None
            }
        }
    }

    /// Keeps one more problem.
    pub fn push(&mut self, e: AppError) {
        match e {
            AppError::Invalid(i) => self.add(i),
            AppError::Fields(all) => all.into_iter().for_each(|i| self.add(i)),
            e => {
                if self.fatal.is_none() {
                    self.fatal = Some(e);
                }
            }
        }
    }

    /// A validation problem on `field` (a second one on the same field is dropped: the person
    /// sees the first, fixes it, and then the next).
    pub fn invalid(&mut self, field: &str, message: impl Into<String>) {
        self.add(Invalid::new(field, message));
    }

    fn add(&mut self, i: Invalid) {
        if !self.invalid.iter().any(|x| x.field == i.field) {
            self.invalid.push(i);
        }
    }

    /// Whether nothing was found wrong so far.
    pub fn is_empty(&self) -> bool {
        self.invalid.is_empty() && self.fatal.is_none()
    }

    /// Whether `field` already has a problem.
    pub fn has(&self, field: &str) -> bool {
        self.invalid.iter().any(|i| i.field == field)
    }

    /// `Ok` when nothing is wrong; else the first fatal error, or every validation problem.
    pub fn finish(self) -> AppResult<()> {
        if let Some(e) = self.fatal {
            return Err(e);
        }
        match self.invalid.len() {
            0 => Ok(()),
            1 => Err(AppError::Invalid(self.invalid.into_iter().next().expect("one"))),
            _ => Err(AppError::Fields(self.invalid)),
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
