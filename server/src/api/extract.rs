//! The API's extractors: who calls (a read or a write token), and the JSON body, path and query
//! parsed or refused with the one error type, so a handler states what it takes and nothing
//! else. Also the one pager of the list routes ([`page_of`]).

use axum::extract::rejection::JsonRejection;
use axum::extract::{FromRequest, FromRequestParts, Path, Query, Request};
use axum::http::request::Parts;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use baa_backend::error::{AppError, AppResult};
use baa_core::account::{Permission, Viewer};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

/// The token's viewer, set by [`super::guard`].
#[derive(Clone, Debug)]
pub struct ApiViewer(pub Viewer);

/// The caller, with any scope.
pub struct Reader(pub Viewer);

/// The caller, refused unless its token has the `write:inventory` scope.
pub struct Writer(pub Viewer);

fn viewer(parts: &Parts) -> AppResult<Viewer> {
    parts.extensions.get::<ApiViewer>().map(|v| v.0.clone()).ok_or(AppError::Unauthenticated)
}

/// Refuses a token without the write scope.
pub fn need_write(v: &Viewer) -> AppResult<()> {
    if v.can(Permission::EditInventory) {
        Ok(())
    } else {
        Err(AppError::rejected(
            StatusCode::FORBIDDEN,
            "insufficient_scope",
            "This token has the read scope; changes need a token with the write:inventory scope.",
        ))
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Reader {
    type Rejection = AppError;
    async fn from_request_parts(parts: &mut Parts, _: &S) -> AppResult<Self> {
        viewer(parts).map(Reader)
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Writer {
    type Rejection = AppError;
    async fn from_request_parts(parts: &mut Parts, _: &S) -> AppResult<Self> {
        let v = viewer(parts)?;
        need_write(&v)?;
        Ok(Writer(v))
    }
}

/// A JSON body of type `T`.
pub struct Body<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for Body<T> {
    type Rejection = AppError;
    async fn from_request(req: Request, state: &S) -> AppResult<Self> {
        match Json::<T>::from_request(req, state).await {
            Ok(Json(t)) => Ok(Body(t)),
            Err(r) => {
                let (status, code) = match &r {
                    JsonRejection::MissingJsonContentType(_) => {
                        (StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type")
                    }
                    JsonRejection::JsonDataError(_) => (StatusCode::UNPROCESSABLE_ENTITY, "invalid"),
                    JsonRejection::BytesRejection(_) => (StatusCode::PAYLOAD_TOO_LARGE, "too_large"),
                    _ => (StatusCode::BAD_REQUEST, "bad_request"),
                };
                Err(AppError::rejected(status, code, r.body_text()))
            }
        }
    }
}

/// The path parameter(s) `T`.
pub struct Id<T>(pub T);

impl<T: DeserializeOwned + Send, S: Send + Sync> FromRequestParts<S> for Id<T> {
    type Rejection = AppError;
    async fn from_request_parts(parts: &mut Parts, state: &S) -> AppResult<Self> {
        Path::<T>::from_request_parts(parts, state)
            .await
            .map(|Path(t)| Id(t))
            .map_err(|r| AppError::rejected(StatusCode::BAD_REQUEST, "bad_request", r.body_text()))
    }
}

/// The query string as `T`.
pub struct Params<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for Params<T> {
    type Rejection = AppError;
    async fn from_request_parts(parts: &mut Parts, state: &S) -> AppResult<Self> {
        Query::<T>::from_request_parts(parts, state)
            .await
            .map(|Query(t)| Params(t))
            .map_err(|r| AppError::rejected(StatusCode::BAD_REQUEST, "bad_request", r.body_text()))
    }
}

/// `limit` and `cursor` of the list routes.
#[derive(Debug, Default, Deserialize)]
pub struct PageQuery {
    limit: Option<String>,
    cursor: Option<String>,
}

impl PageQuery {
    /// What the page depends on, as one string (a key for answers kept per view).
    pub fn key(&self) -> String {
        format!(
            "limit={} cursor={}",
            self.limit.as_deref().unwrap_or(""),
            self.cursor.as_deref().unwrap_or("")
        )
    }
}

/// Items per page of a list route unless `limit` says otherwise, and the most it may say.
const PAGE_DEFAULT: usize = 100;
const PAGE_MAX: usize = 1000;
/// Marks a cursor as ours (and its version), inside the opaque encoding.
const CURSOR_PREFIX: &str = "v1:";

fn bad_page(field: &str, message: &str) -> AppError {
    AppError::Rejected {
        status: StatusCode::BAD_REQUEST,
        code: "bad_request",
        field: Some(field.to_string()),
        message: message.to_string(),
    }
}

/// One page of `items` under `list_key`, ordered by `key`: the items after the cursor, at most
/// `limit` of them, and `next_cursor` (null on the last page). The cursor is opaque to callers
/// (base64 of the last key), so the order can change without breaking them. Only the items
/// shown are turned into JSON (`show`), and only they are sorted: picking the first `limit`
/// of n keys is linear, so a page costs the same at 1,000 items as at 10,000.
pub fn page_of<T>(
    list_key: &str,
    items: &[T],
    key: impl Fn(&T) -> &str,
    show: impl Fn(&T) -> AppResult<Value>,
    q: PageQuery,
) -> AppResult<Value> {
    use base64::Engine;
    let engine = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let limit = match q.limit.as_deref() {
        None | Some("") => PAGE_DEFAULT,
        Some(t) => t
            .parse::<usize>()
            .ok()
            .filter(|n| (1..=PAGE_MAX).contains(n))
            .ok_or_else(|| bad_page("limit", "limit must be a whole number from 1 to 1000"))?,
    };
    let after: Option<String> = match q.cursor.as_deref() {
        None | Some("") => None,
        Some(c) => Some(
            engine
                .decode(c)
                .ok()
                .and_then(|raw| String::from_utf8(raw).ok())
                .and_then(|t| t.strip_prefix(CURSOR_PREFIX).map(str::to_owned))
                .ok_or_else(|| {
                    bad_page(
                        "cursor",
                        "cursor is not one this API gave out: pass next_cursor from the page before",
                    )
                })?,
        ),
    };
    let mut rest: Vec<(&str, &T)> =
        items.iter().map(|t| (key(t), t)).filter(|(k, _)| after.as_deref().is_none_or(|a| *k > a)).collect();
    let more = rest.len() > limit;
    if more {
        rest.select_nth_unstable_by(limit, |a, b| a.0.cmp(b.0));
        rest.truncate(limit);
    }
    rest.sort_unstable_by(|a, b| a.0.cmp(b.0));
    let next =
        if more { rest.last().map(|(k, _)| engine.encode(format!("{CURSOR_PREFIX}{k}"))) } else { None };
    let shown = rest.iter().map(|(_, t)| show(t)).collect::<AppResult<Vec<Value>>>()?;
    Ok(json!({ list_key: shown, "next_cursor": next }))
}

/// `item` as JSON (a failure is ours, never the caller's).
pub fn to_json<T: Serialize>(item: &T) -> AppResult<Value> {
    serde_json::to_value(item).map_err(|e| AppError::Internal(e.into()))
}

/// 201 with the created record.
pub fn created<T: Serialize>(item: T) -> Response {
    (StatusCode::CREATED, Json(item)).into_response()
}

/// 200 with `item`.
pub fn ok<T: Serialize>(item: T) -> AppResult<Response> {
    Ok(Json(item).into_response())
}

/// 204 after a removal.
pub fn gone() -> AppResult<Response> {
    Ok(StatusCode::NO_CONTENT.into_response())
}
