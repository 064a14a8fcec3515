//! Faults of the Fly.io API, typed so a sync can act on them.
//!
//! Policy: no variant holds the token, a URL, a header or a response body. Messages that come
//! from the server (GraphQL error messages) are kept short and have the token redacted anyway.
//! [`FlyApiError::cause`] gives the fault under an [`FlyApiError::Incomplete`] wrapper, which
//! says a listing failed after earlier pages had succeeded (and nothing was returned).

use std::fmt;
use std::time::Duration;

/// A GraphQL error as the API reported it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GraphQlProblem {
    /// The message (token redacted, at most 300 characters).
    pub message: String,
    /// `extensions.code`, when given (`UNAUTHORIZED`, `NOT_FOUND`, ...).
    pub code: Option<String>,
    /// The response path, dotted (`organization.apps`), when given.
    pub path: Option<String>,
}

impl fmt::Display for GraphQlProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)?;
        if let Some(code) = &self.code {
            write!(f, " ({code})")?;
        }
        if let Some(path) = &self.path {
            write!(f, " at {path}")?;
        }
        Ok(())
    }
}

/// Which listing a page belonged to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Listing {
    /// The org's apps.
    Apps,
    /// The org's add-ons.
    AddOns,
    /// One app's machines.
    Machines,
    /// One app's volumes.
    Volumes,
    /// One add-on's apps.
    AddOnApps,
}

impl fmt::Display for Listing {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Listing::Apps => "apps",
            Listing::AddOns => "add-ons",
            Listing::Machines => "machines",
            Listing::Volumes => "volumes",
            Listing::AddOnApps => "add-on apps",
        })
    }
}

/// A fault talking to the Fly.io API.
///
/// Why a type of its own: a sync must tell these faults apart (a refused token stops syncing and
/// tells the owners; a rate limit waits `Retry-After`; a timeout or a listing cut short backs off
/// and retries), and none of them is a request's error: a failed sync is recorded as the
/// integration's state, never answered to a caller.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FlyApiError {
    /// HTTP 401/403 or a GraphQL `UNAUTHORIZED` error: the token was revoked, has expired, or
    /// does not give access to this org. Not retried.
    #[error("the Fly.io API refused the token ({}): it may have been revoked or have expired; make a new one with `fly tokens create readonly -o ORG`", match .status { Some(s) => format!("HTTP {s}"), None => "GraphQL UNAUTHORIZED".to_owned() })]
    Unauthorized {
        /// The HTTP status, or none for a GraphQL error.
        status: Option<u16>,
    },
    /// HTTP 429, still so after the retry budget (or asking to wait longer than it allows).
    #[error("the Fly.io API is rate limiting these requests{}", match .retry_after { Some(d) => format!(" (retry after {} s)", d.as_secs()), None => String::new() })]
    RateLimited {
        /// The `Retry-After` the API sent, when it sent one.
        retry_after: Option<Duration>,
    },
    /// HTTP 5xx, still so after the retry budget.
    #[error("the Fly.io API answered with a server error (HTTP {status})")]
    Server {
        /// The HTTP status.
        status: u16,
    },
    /// No complete answer within the per-request timeout, still so after the retry budget.
    #[error("the Fly.io API did not answer within {} ms", .after.as_millis())]
    Timeout {
        /// The per-request timeout.
        after: Duration,
    },
    /// The connection failed (DNS, refused, TLS, reset), still so after the retry budget.
    #[error("could not reach the Fly.io API: {reason}")]
    Network {
        /// What failed, without the URL.
        reason: String,
    },
    /// The body is not JSON, not a GraphQL answer, or not the shape the query asked for; or
    /// pagination that makes no sense (a next page without a cursor, a cursor that repeats).
    #[error("the Fly.io API sent an answer that cannot be read: {reason}")]
    Malformed {
        /// What is wrong.
        reason: String,
    },
    /// The API answered with GraphQL errors (the query is wrong for this API, or it failed).
    #[error("the Fly.io API answered with errors: {}", .errors.iter().map(ToString::to_string).collect::<Vec<_>>().join("; "))]
    GraphQl {
        /// The errors, as reported.
        errors: Vec<GraphQlProblem>,
    },
    /// No org with this slug is visible to the token.
    #[error("no Fly.io organization {slug:?} is visible with this token")]
    OrgNotFound {
        /// The slug asked for.
        slug: String,
    },
    /// An HTTP status the client does not expect (a 404 from a wrong `FLY_API_URL`, ...).
    #[error("the Fly.io API answered with HTTP {status}")]
    UnexpectedStatus {
        /// The HTTP status.
        status: u16,
    },
    /// A page of a listing failed after earlier pages succeeded; the whole discovery failed
    /// and nothing of it is returned.
    #[error("reading the {listing} stopped at page {page}: {cause}")]
    Incomplete {
        /// Which listing.
        listing: Listing,
        /// The page that failed (from 2).
        page: u32,
        /// Why.
        cause: Box<FlyApiError>,
    },
    /// The HTTP client could not be built (TLS roots unavailable).
    #[error("the Fly.io API client could not start: {reason}")]
    Client {
        /// Why.
        reason: String,
    },
}

impl FlyApiError {
    /// The fault itself, under any [`FlyApiError::Incomplete`].
    pub fn cause(&self) -> &FlyApiError {
        match self {
            FlyApiError::Incomplete { cause, .. } => cause.cause(),
            other => other,
        }
    }

    /// Whether the token no longer works (tell the owners; do not retry until it is replaced).
    pub fn is_unauthorized(&self) -> bool {
        matches!(self.cause(), FlyApiError::Unauthorized { .. })
    }

    /// Whether trying again later may succeed (rate limit, server error, timeout, network).
    pub fn is_transient(&self) -> bool {
        matches!(
            self.cause(),
            FlyApiError::RateLimited { .. }
                | FlyApiError::Server { .. }
                | FlyApiError::Timeout { .. }
                | FlyApiError::Network { .. }
        )
    }

    /// How long the API asked us to wait, for a rate limit.
    pub fn retry_after(&self) -> Option<Duration> {
        match self.cause() {
            FlyApiError::RateLimited { retry_after } => *retry_after,
            _ => None,
        }
    }
}
