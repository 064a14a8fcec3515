//! Live discovery from the Fly.io GraphQL API: what an org runs, read with a read-only token.
//!
//! [`FlyClient::discover`] reads one org into an [`OrgDiscovery`] (plain data with serde, for
//! the import planner): the org's facts (type, paid plan, billing status, settings, signed
//! documents), every app (status, platform version, regions of the app and of its machines,
//! volumes, secret **names**) and every add-on (provider, plan, regions, attached apps, status,
//! creation time). [`FlyClient::check_token`] is the cheap check to run before saving a token.
//!
//! Never read: secret values or digests, add-on passwords, environments, public URLs (Upstash's
//! carries the password), options, metadata, SSO links, tokens. The queries are typed with
//! cynic against Fly's schema (`graphql/fly-schema.graphql`, checked at compile time), and a
//! test parses every query this module can send ([`queries::all_operations`]) and fails on any
//! field of [`DENIED_FIELDS`].
//!
//! Faults are [`FlyApiError`]s: unauthorized (401/403, GraphQL `UNAUTHORIZED`), rate limited
//! (429 with `Retry-After`), server errors, timeouts, network failures, malformed answers,
//! GraphQL errors, an org that is not visible, and [`FlyApiError::Incomplete`] when a page fails
//! after earlier ones succeeded. 429, 5xx, timeouts and network failures are retried with
//! exponential backoff inside [`RetryPolicy::budget`]. Nothing partial is ever returned, and no
//! error, log line or URL carries the token. Details in `docs/fly-api.md`.
//!
//! ```no_run
//! # async fn example() -> Result<(), baa_backend::fly_api::FlyApiError> {
//! use baa_backend::fly_api::{FlyApiConfig, FlyClient, FlyToken};
//! let client = FlyClient::new(FlyApiConfig::default())?;
//! let token = FlyToken::parse("FlyV1 fm2_...").expect("a token");
//! client.check_token(&token, "acme-health").await?;
//! let found = client.discover(&token, "acme-health").await?;
//! println!("{} apps, {} add-ons", found.apps.len(), found.add_ons.len());
//! # Ok(()) }
//! ```

mod client;
mod error;
pub mod model;
pub mod queries;
mod token;

pub use client::{FlyApiConfig, FlyClient, RetryPolicy, DEFAULT_GRAPHQL_URL, DEFAULT_MACHINES_URL};
pub use error::{FlyApiError, GraphQlProblem, Listing};
pub use model::{
    BillingFacts, DiscoveredAddOn, DiscoveredApp, DiscoveredVolume, OrgDiscovery, OrgFacts, OrgKind,
    SignedDocument,
};
pub use token::FlyToken;

/// Fields no query of this module may select, as `(type, field)`; `"*"` is any type. Checked
/// by a test on the parsed text of every operation, and by the fake's request log.
pub const DENIED_FIELDS: &[(&str, &str)] = &[
    ("AddOn", "password"),
    ("AddOn", "environment"),
    ("AddOn", "publicUrl"),
    ("AddOn", "options"),
    ("AddOn", "metadata"),
    ("AddOn", "ssoLink"),
    ("AddOn", "privateIp"),
    ("Secret", "digest"),
    ("Organization", "addOnSsoLink"),
    ("Organization", "extensionSsoLink"),
    ("Organization", "sshCertificate"),
    ("Organization", "limitedAccessTokens"),
    ("Organization", "delegatedWireGuardTokens"),
    ("SignedDocument", "signerEmailAddress"),
    ("App", "instrumentsKey"),
    ("App", "limitedAccessTokens"),
    ("*", "token"),
    ("*", "value"),
    ("*", "digest"),
    ("*", "password"),
    ("*", "environment"),
    ("*", "secret"),
    ("*", "privateKey"),
    ("*", "accessToken"),
];

/// Whether `(type, field)` is denied by [`DENIED_FIELDS`].
pub fn is_denied(type_name: &str, field: &str) -> bool {
    DENIED_FIELDS.iter().any(|(t, f)| (*t == "*" || *t == type_name) && *f == field)
}
