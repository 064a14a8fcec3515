//! The REST API under `/api/v1`, for scripts and CI, with its OpenAPI 3.1 document at
//! `/api/v1/openapi.json` (built in [`openapi`], checked by a schemathesis run).
//!
//! Authentication is a bearer token only (`Authorization: Bearer baa_...`), never the session
//! cookie, which is why these routes are exempt from the cross-site (Origin) check: a browser
//! cannot attach the token on its own. [`guard`] runs inside the access layer and denies every
//! path but the OpenAPI document without a valid, unrevoked token.
//!
//! One file per resource, each with its `router()`; handlers are short adapters over the
//! backend that take their inputs through the extractors of [`extract`] and answer
//! `AppResult<Response>`. Every error is the one JSON shape of `AppError`
//! (`{"error": {"code", "message", ...}}`), 4xx for anything the caller can fix; bad input never
//! reaches a 500.

mod agreements;
mod answers;
mod apps;
mod coverage;
mod extract;
mod imports;
mod integrations;
mod named;
pub mod openapi;
mod orgs;
mod services;

pub use extract::ApiViewer;

use crate::client_addr::client_addr;
use crate::AppState;
use axum::extract::{Request, State};
use axum::http::{header, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use baa_backend::error::AppError;
use baa_backend::Backend;

/// Prefix of every API route.
pub const PREFIX: &str = "/api/v1";

/// Whether `path` belongs to the REST API (bearer tokens, not sessions).
pub fn is_api(path: &str) -> bool {
    path == PREFIX || path.starts_with("/api/v1/")
}

/// Access for API paths (called by the access layer): the OpenAPI document is public, anything
/// else needs a valid bearer token; the token's viewer is stored for the handlers.
pub async fn guard(b: &Backend, mut req: Request, next: Next) -> Response {
    if req.uri().path() == "/api/v1/openapi.json" {
        return next.run(req).await;
    }
    let bearer = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|h| h.to_str().ok())
        .and_then(|h| h.strip_prefix("Bearer ").or_else(|| h.strip_prefix("bearer ")))
        .map(str::trim)
        .map(str::to_string);
    let Some(token) = bearer else {
        return unauthenticated(
            "Send an API token as `Authorization: Bearer baa_...` (owners make tokens on the API tokens page).",
        );
    };
    let source = client_addr(b, &req);
    match baa_backend::api_tokens::authenticate(b, &token, &source).await {
        Ok(v) => {
            // Every API change is an inventory change: a read token is refused before its body
            // (an import can be megabytes) is read.
            if !matches!(*req.method(), Method::GET | Method::HEAD) {
                if let Err(e) = extract::need_write(&v) {
                    return e.into_response();
                }
            }
            req.extensions_mut().insert(ApiViewer(v));
            next.run(req).await
        }
        Err(AppError::Unauthenticated) => {
            unauthenticated("This API token is not valid: it is unknown or was revoked.")
        }
        Err(e) => e.into_response(),
    }
}

fn unauthenticated(message: &str) -> Response {
    AppError::rejected(StatusCode::UNAUTHORIZED, "unauthenticated", message).into_response()
}

/// The API routes (nested under [`PREFIX`]).
pub fn routes() -> Router<AppState> {
    let api = Router::new()
        .route("/openapi.json", get(document))
        .merge(orgs::router())
        .merge(apps::router())
        .merge(services::router())
        .merge(agreements::router())
        .merge(imports::router())
        .merge(coverage::router())
        .merge(integrations::router())
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed);
    Router::new().nest(PREFIX, api)
}

async fn not_found() -> AppError {
    AppError::rejected(StatusCode::NOT_FOUND, "not_found", "No such API route.")
}

async fn method_not_allowed() -> AppError {
    AppError::rejected(
        StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
        "This route does not take this method.",
    )
}

async fn document(State(b): State<Backend>) -> Response {
    ([(header::CONTENT_TYPE, "application/json")], Json(openapi::document(b.config.public_url.as_str())))
        .into_response()
}
