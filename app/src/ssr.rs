//! Server-only glue between Leptos and the backend: context, session, viewer, CSP nonce.

use crate::outcome::{Flash, UiError};
use baa_backend::error::AppError;
use baa_backend::Backend;
use baa_core::account::Viewer;
use leptos::prelude::*;
use tower_sessions::Session;

/// The viewer the access layer resolved for this request (`None` when signed out).
#[derive(Clone, Debug, Default)]
pub struct CurrentViewer(pub Option<Viewer>);

/// The CSP nonce of this response, set by the security-headers layer.
#[derive(Clone, Debug)]
pub struct CspNonce(pub String);

/// Session keys, in one place.
pub mod keys {
    /// Flash message for the next page.
    pub const FLASH: &str = "flash";
    /// TOTP secret of an enrolment in progress.
    pub const TOTP_PENDING: &str = "totp_pending";
    /// Recovery codes to show once.
    pub const RECOVERY_CODES: &str = "recovery_codes";
}

/// The backend provided to every Leptos render and server function.
pub fn backend() -> Backend {
    expect_context::<Backend>()
}

/// Makes the hydration scripts carry this response's CSP nonce.
pub fn provide_request_nonce() {
    if let Some(parts) = use_context::<http::request::Parts>() {
        if let Some(n) = parts.extensions.get::<CspNonce>() {
            provide_context(leptos::nonce::Nonce::from_value(n.0.clone()));
        }
    }
}

/// The signed-in viewer, if any.
pub async fn viewer_opt() -> Option<Viewer> {
    leptos_axum::extract::<axum::Extension<CurrentViewer>>().await.ok().and_then(|e| e.0 .0)
}

/// Backend and viewer, or `Unauthenticated`.
pub async fn context() -> Result<(Backend, Viewer), UiError> {
    let v = viewer_opt().await.ok_or(AppError::Unauthenticated)?;
    Ok((backend(), v))
}

pub(crate) async fn session() -> Option<Session> {
    leptos_axum::extract::<Session>().await.ok()
}

/// Takes (reads and removes) the flash message.
pub async fn take_flash() -> Option<Flash> {
    let s = session().await?;
    // Looked at before it is removed: removing marks the session changed, and an unchanged
    // session is not written back (a page view must not rewrite the session row).
    let flash: Option<Flash> = s.get(keys::FLASH).await.ok().flatten();
    if flash.is_some() {
        let _ = s.remove_value(keys::FLASH).await;
    }
    flash
}
