//! One id per request, in the `x-request-id` answer header and on every log line the request
//! causes (a `request` span holding the id), so a person reporting "it failed at 10:02" can be
//! matched to the server's log. The id is the one Fly's proxy or a client sent (`x-request-id`),
//! else a new UUID.
//!
//! The line per request itself (method, path with link tokens redacted, status, time) is written
//! by `headers::security_headers`, inside this span; a server error adds one more line at ERROR
//! level (tower-http's `on_failure`).

use axum::http::{HeaderName, Request};
use axum::Router;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::trace::TraceLayer;

/// The header holding the id, in requests and answers.
pub const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// Wraps `router` so that every request gets an id and a span that carries it.
pub fn layer(router: Router) -> Router {
    router
        .layer(PropagateRequestIdLayer::new(REQUEST_ID))
        .layer(
            TraceLayer::new_for_http()
                .make_span_with(|req: &Request<_>| {
                    let id = req.headers().get(&REQUEST_ID).and_then(|v| v.to_str().ok()).unwrap_or("-");
                    tracing::info_span!("request", id = %id)
                })
                // The request line is written by `headers::security_headers`.
                .on_request(())
                .on_response(()),
        )
        .layer(SetRequestIdLayer::new(REQUEST_ID, MakeRequestUuid))
}
