//! The one access mechanism: resolves the signed-in viewer, enforces idle and absolute session
//! limits, refuses cross-site state changes, and denies every non-public path to anonymous
//! requests. Role checks happen in the backend through `accounts::authorize`, called by every
//! page loader and action; routes that take a large body (uploads, imports) are also checked
//! here, before a byte of the body is read ([`BODY_GATED`]).
//!
//! Cross-site check: the `Origin` (else `Referer`) must be `PUBLIC_URL`'s origin or one listed
//! in `ALLOWED_ORIGINS`; the `Host` header is never consulted (anyone can send any Host).
//! Client address (`crate::client_addr`): the TCP peer, or `CLIENT_IP_HEADER` only when the peer is one of
//! `TRUSTED_PROXIES`.

pub use crate::client_addr::{client_addr, ClientAddr};
use crate::AppState;
use app::api::Flash;
use app::ssr::{keys, CurrentViewer};
use axum::extract::{Request, State};
use axum::http::{header, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use baa_backend::error::AppError;
use baa_backend::Backend;
use baa_core::account::{Permission, Viewer};
use tower_sessions::Session;

/// Session keys of the signed-in state.
pub mod skeys {
    /// User id.
    pub const UID: &str = "uid";
    /// Session version of the user at sign-in.
    pub const VERSION: &str = "sv";
    /// Current workspace.
    pub const WORKSPACE: &str = "ws";
    /// Unix time of sign-in.
    pub const LOGIN_AT: &str = "login_at";
    /// Unix time of the last request.
    pub const SEEN: &str = "seen";
    /// User awaiting the second factor.
    pub const PENDING_UID: &str = "pending_uid";
    /// When the password step succeeded.
    pub const PENDING_AT: &str = "pending_at";
}

const PUBLIC_EXACT: &[&str] = &[
    "/login",
    "/login/2fa",
    "/setup",
    "/forgot",
    "/healthz",
    "/favicon.svg",
    "/actions/login",
    "/actions/login/2fa",
    "/actions/setup",
    "/actions/forgot",
    "/actions/reset",
    "/actions/invite/accept",
    "/actions/logout",
];
const PUBLIC_PREFIX: &[&str] = &["/reset/", "/invite/", "/pkg/", "/api/public/", "/.well-known/", "/trust/"];

/// Routes that read a large body, with the permission they need: refused before the body is
/// read, so a role that may not upload cannot make the server receive (or unpack) 25 MB.
pub const BODY_GATED: &[(&str, Permission)] = &[
    ("/actions/agreements/documents", Permission::EditAgreements),
    ("/actions/import/preview", Permission::EditInventory),
    ("/actions/import/apply", Permission::EditInventory),
];

/// Paths a user who must still enrol in 2FA may use.
const ENROL_ALLOWED: &[&str] =
    &["/account", "/api/account_page", "/actions/account/2fa/start", "/actions/account/2fa/enable"];

/// Whether `path` is reachable without signing in.
pub fn is_public(path: &str) -> bool {
    PUBLIC_EXACT.contains(&path) || PUBLIC_PREFIX.iter().any(|p| path.starts_with(p))
}

fn same_origin(b: &Backend, req: &Request) -> bool {
    let expected = b.config.public_url.origin().ascii_serialization();
    let ok = |o: &str| o == expected || b.config.allowed_origins.iter().any(|a| a == o);
    if let Some(origin) = req.headers().get(header::ORIGIN).and_then(|v| v.to_str().ok()) {
        return ok(origin);
    }
    if let Some(referer) = req.headers().get(header::REFERER).and_then(|v| v.to_str().ok()) {
        if let Ok(u) = url::Url::parse(referer) {
            return ok(&u.origin().ascii_serialization());
        }
    }
    false
}

/// How far the idle clock must move before the session is written back: a minute, or a quarter
/// of the idle timeout when that is shorter (so a one-minute timeout still follows activity). A
/// session can therefore end up to this much before its full idle time after the last request.
pub fn seen_step(idle_seconds: i64) -> i64 {
    (idle_seconds / 4).clamp(1, 60)
}

/// Resolves the viewer from the session, applying the idle and absolute limits.
async fn resolve_viewer(b: &Backend, session: &Session) -> Option<Viewer> {
    let uid: Option<String> = session.get(skeys::UID).await.ok().flatten();
    let uid = uid?;
    let now = b.clock.now();
    let seen: i64 = session.get(skeys::SEEN).await.ok().flatten().unwrap_or(0);
    let login_at: i64 = session.get(skeys::LOGIN_AT).await.ok().flatten().unwrap_or(0);
    let idle = b.config.session_idle_minutes * 60;
    let max = b.config.session_max_hours * 3600;
    if now - seen > idle || now - login_at > max {
        let _ = session.flush().await;
        let message = if now - seen > idle {
            format!(
                "You were signed out after {} minutes without activity. Sign in again to continue.",
                b.config.session_idle_minutes
            )
        } else {
            format!(
                "Your session reached its {} hour limit. Sign in again to continue.",
                b.config.session_max_hours
            )
        };
        let _ = session.insert(keys::FLASH, Flash { message, ..Flash::default() }).await;
        return None;
    }
    let version: i64 = session.get(skeys::VERSION).await.ok().flatten().unwrap_or(-1);
    let ws: Option<String> = session.get(skeys::WORKSPACE).await.ok().flatten();
    match baa_backend::accounts::load_viewer(b, &uid, version, ws.as_deref()).await {
        Ok(Some(v)) => {
            // The idle clock is written back only when it has moved by `seen_step` or more, so
            // page views in between do not rewrite the session.
            if now - seen >= seen_step(idle) {
                let _ = session.insert(skeys::SEEN, now).await;
            }
            Some(v)
        }
        Ok(None) => {
            // Password changed elsewhere, account removed, or no workspace left.
            let _ = session.flush().await;
            None
        }
        Err(e) => {
            let _ = e.public_message();
            None
        }
    }
}

/// The access middleware (see the module doc).
pub async fn access(
    State(state): State<AppState>,
    session: Session,
    mut req: Request,
    next: Next,
) -> Response {
    let b = &state.backend;
    let path = req.uri().path().to_string();
    // The REST API authenticates by bearer token only (never the session cookie), so it is
    // exempt from the Origin check; its own guard still denies everything without a token.
    if crate::api::is_api(&path) {
        return crate::api::guard(b, req, next).await;
    }
    let safe = matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS);
    if !safe && !same_origin(b, &req) {
        return (
            StatusCode::FORBIDDEN,
            "Refused: this request did not come from a BAA Tracker page (cross-site request).",
        )
            .into_response();
    }
    let addr = client_addr(b, &req);
    req.extensions_mut().insert(ClientAddr(addr.clone()));
    let viewer = resolve_viewer(b, &session).await.map(|mut v| {
        v.source = addr;
        v
    });
    req.extensions_mut().insert(CurrentViewer(viewer.clone()));
    if is_public(&path) {
        return next.run(req).await;
    }
    let Some(v) = viewer else {
        if path.starts_with("/api/") {
            return AppError::Unauthenticated.into_response();
        }
        if safe {
            let target = if path == "/" {
                "/login".to_string()
            } else {
                format!(
                    "/login?next={}",
                    url::form_urlencoded::byte_serialize(path.as_bytes()).collect::<String>()
                )
            };
            return Redirect::to(&target).into_response();
        }
        return Redirect::to("/login").into_response();
    };
    if let Some((_, p)) = BODY_GATED.iter().find(|(gated, _)| *gated == path) {
        if let Err(e) = baa_backend::accounts::authorize(&v, *p) {
            return e.into_text();
        }
    }
    if v.must_enrol_2fa() && !ENROL_ALLOWED.contains(&path.as_str()) {
        if safe && !path.starts_with("/api/") {
            return Redirect::to("/account").into_response();
        }
        return (
            StatusCode::FORBIDDEN,
            "This workspace requires two-factor sign-in: set it up on your account page first.",
        )
            .into_response();
    }
    next.run(req).await
}
