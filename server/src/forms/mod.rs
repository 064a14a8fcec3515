//! Form actions: every change the UI makes is a plain HTML form posted here.
//!
//! Each handler is a short adapter: read the form, call the backend, then redirect
//! (post/redirect/get) with a one-time message. Correctable errors go back to the form with the
//! field and the values typed (never passwords); access errors answer 403/404 pages.

use crate::access::{skeys, ClientAddr};
use crate::edge::{self, Page};
use crate::AppState;
use app::api::Flash;
use app::ssr::{keys, CurrentViewer};
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::post;
use axum::{Extension, Form, Router};
use baa_backend::accounts::{self, LoginOutcome, SetupInput};
use baa_backend::error::AppError;
use baa_backend::secret::Secret;
use baa_backend::Backend;
use baa_core::account::Viewer;
use serde::Deserialize;
use tower_sessions::Session;

mod account;
pub mod imports;
pub mod integrations;
pub mod inventory;
mod members;
pub mod notifications;
pub mod packets;
mod sign_in;
pub mod tokens;
pub mod trust;

/// Every `/actions/...` route (and the public trust page), feature by feature;
/// `document_max_bytes` bounds the one route that takes uploads of agreements.
pub fn routes(document_max_bytes: usize) -> Router<AppState> {
    sign_in::routes()
        .merge(members::routes())
        .merge(account::routes())
        .merge(inventory::routes())
        .merge(inventory::document_routes(document_max_bytes))
        .merge(notifications::routes())
        .merge(imports::routes())
        .merge(tokens::routes())
        .merge(integrations::routes())
        .merge(packets::routes())
        .merge(trust::routes())
}

async fn flash(session: &Session, f: Flash) {
    if let Err(e) = session.insert(keys::FLASH, f).await {
        tracing::warn!(error = %e, "storing a flash message failed");
    }
}

pub(crate) async fn done(session: &Session, to: &str, message: impl Into<String>) -> Response {
    flash(session, Flash { message: message.into(), ..Flash::default() }).await;
    Redirect::to(to).into_response()
}

/// The answer to a posted form, in one place: when the action succeeded, its confirmation
/// carried back to `to` (post/redirect/get); when it was refused, what [`refused`] does (the
/// error page, or back to `to` with `values` and every field error).
pub(crate) async fn answer(
    session: &Session,
    to: &str,
    form: &str,
    result: Result<impl Into<String>, AppError>,
    values: &[(String, String)],
) -> Response {
    match result {
        Ok(message) => done(session, to, message).await,
        Err(e) => refused(session, to, form, e, values).await,
    }
}

/// The first step of a change that asks for confirmation: back to `to` with what the change
/// will do, and the checked values the confirmation form sends again.
pub(crate) async fn to_confirm(
    session: &Session,
    to: &str,
    form: &str,
    message: impl Into<String>,
    values: Vec<(String, String)>,
) -> Response {
    flash(
        session,
        Flash { message: message.into(), form: Some(form.to_string()), values, ..Flash::default() },
    )
    .await;
    Redirect::to(to).into_response()
}

/// Redirects with an error that is not about one field (shown as an alert at the top).
pub(crate) async fn alert(session: &Session, to: &str, form: &str, message: impl Into<String>) -> Response {
    flash(
        session,
        Flash { error: true, message: message.into(), form: Some(form.into()), ..Flash::default() },
    )
    .await;
    Redirect::to(to).into_response()
}

/// Redirects with the effect a save had on coverage as its message.
pub(crate) async fn done_effect(
    session: &Session,
    to: &str,
    effect: baa_core::coverage::effect::Effect,
) -> Response {
    flash(session, Flash { message: effect.text(), effect: Some(effect), ..Flash::default() }).await;
    Redirect::to(to).into_response()
}

/// The world and coverage report of today, for comparing before and after a save (`None` when
/// it cannot be evaluated; the save itself is unaffected).
pub(crate) async fn coverage_now(
    b: &Backend,
    v: &Viewer,
) -> Option<(baa_core::coverage::World, baa_core::coverage::Report)> {
    match baa_backend::inventory::coverage(b, v, baa_backend::inventory::today_for(b)).await {
        Ok(x) => Some(x),
        Err(e) => {
            tracing::warn!(error = %e, "evaluating coverage for a confirmation failed");
            None
        }
    }
}

/// Longest typed value put back into a refused form.
const REFILL_MAX: usize = 4000;
/// Most bytes of typed values kept for one refused form.
const REFILL_TOTAL_MAX: usize = 32 * 1024;

/// A refused form goes back to `to` with `values` to refill it; see [`refused`].
pub(crate) async fn failed(
    session: &Session,
    to: &str,
    form: &str,
    e: AppError,
    values: &[(&str, &str)],
) -> Response {
    let values: Vec<(String, String)> = values.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
    refused(session, to, form, e, &values).await
}

/// The one place a refused form is answered. Access errors get a page of their own; anything
/// the person can correct goes back to `to` (the page the form is on) with every submitted
/// value (`values`, as posted: repeated names such as ticked boxes kept) and every field error
/// the validation found, so the form comes back as it was sent, with each problem beside its
/// field.
pub(crate) async fn refused(
    session: &Session,
    to: &str,
    form: &str,
    e: AppError,
    values: &[(String, String)],
) -> Response {
    match e {
        AppError::Forbidden(_) | AppError::NotFound | AppError::Busy { .. } => Page(e).into_response(),
        AppError::Unauthenticated => Redirect::to("/login").into_response(),
        e => {
            let message = e.public_message();
            let mut total = 0usize;
            flash(
                session,
                Flash {
                    error: true,
                    message,
                    field: e.field().map(str::to_string),
                    form: Some(form.to_string()),
                    // Typed values come back into the form; a huge one (or a huge form) is not
                    // kept in the session.
                    values: values
                        .iter()
                        .filter(|(k, _)| !k.contains("password"))
                        .map(|(k, v)| (k.clone(), v.chars().take(REFILL_MAX).collect::<String>()))
                        .take_while(|(_, v)| {
                            total += v.len();
                            total <= REFILL_TOTAL_MAX
                        })
                        .collect(),
                    errors: e.field_errors(),
                    effect: None,
                },
            )
            .await;
            Redirect::to(to).into_response()
        }
    }
}

/// A posted form read twice: as its typed input, and as the pairs it sent (in order, repeated
/// names kept) so that a refused form comes back exactly as it was filled in.
pub(crate) struct Posted<T> {
    /// The typed input.
    pub input: T,
    /// Every (name, value) sent.
    pub pairs: Vec<(String, String)>,
}

impl<S: Send + Sync, T: serde::de::DeserializeOwned> axum::extract::FromRequest<S> for Posted<T> {
    type Rejection = Response;

    async fn from_request(req: axum::extract::Request, state: &S) -> Result<Self, Self::Rejection> {
        let axum::extract::RawForm(bytes) =
            <axum::extract::RawForm as axum::extract::FromRequest<S>>::from_request(req, state)
                .await
                .map_err(IntoResponse::into_response)?;
        let bad = |_| (StatusCode::UNPROCESSABLE_ENTITY, "The form could not be read.").into_response();
        let pairs = serde_urlencoded::from_bytes(&bytes).map_err(bad)?;
        let input = serde_urlencoded::from_bytes(&bytes).map_err(bad)?;
        Ok(Posted { input, pairs })
    }
}

/// The signed-in viewer; a request without one is sent to the sign-in page. (The access layer
/// already refused anonymous requests to these paths; this keeps each handler honest.)
pub struct SignedIn(pub Viewer);

impl<S: Send + Sync> axum::extract::FromRequestParts<S> for SignedIn {
    type Rejection = Redirect;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        _: &S,
    ) -> Result<Self, Self::Rejection> {
        parts
            .extensions
            .get::<CurrentViewer>()
            .and_then(|c| c.0.clone())
            .map(SignedIn)
            .ok_or_else(|| Redirect::to("/login"))
    }
}

/// A path on our own origin, safe to redirect to after sign-in (`?next=`).
///
/// It must start with one `/`, hold only the characters of a URL path and query (no control
/// characters or whitespace, which browsers strip, turning `/\t/evil.example` into
/// `//evil.example`; no backslash, which they read as `/`), contain no `//`, and resolve against
/// any base to that base's origin. Form actions are not targets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocalPath(String);

impl LocalPath {
    /// The path, or `None` when it is not a safe local path.
    pub fn parse(next: &str) -> Option<LocalPath> {
        let path_char = |c: char| c.is_ascii_alphanumeric() || "-._~%!$&'()*+,;=:@/?".contains(c);
        let ok = next.starts_with('/')
            && next.len() <= 2000
            && next.chars().all(path_char)
            && !next.contains("//")
            && !next.starts_with("/actions/");
        if !ok {
            return None;
        }
        let base = url::Url::parse("https://origin.invalid/").ok()?;
        let joined = base.join(next).ok()?;
        (joined.origin() == base.origin() && joined.path().starts_with('/'))
            .then(|| LocalPath(next.to_string()))
    }

    /// The path.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// `next` if it is a safe local path ([`LocalPath`]), else `/`.
pub fn local_next(next: &str) -> String {
    LocalPath::parse(next).map_or_else(|| "/".to_string(), |p| p.0)
}

#[cfg(test)]
mod tests {
    #[test]
    fn next_is_local_only() {
        use super::local_next;
        assert_eq!(local_next("/members"), "/members");
        assert_eq!(local_next("/services/abc?as_of=2026-01-01"), "/services/abc?as_of=2026-01-01");
        for bad in [
            "//evil.example",
            "https://evil.example",
            "/\\evil.example",
            "",
            "/\t/evil.example/",
            "/\n/evil.example",
            "/ /evil.example",
            "/a//evil.example",
            "/actions/logout",
            "members",
            "/\u{3000}/evil.example",
        ] {
            assert_eq!(local_next(bad), "/", "{bad:?}");
        }
    }
}
