//! The HTML surface of the one error type: the page a browser gets when a request it made by
//! a form or a link is refused outright (no permission, not found, busy, a failure on our side).
//! Refusals a person can fix go back to their form instead (`forms::refused`). The JSON and
//! plain-text surfaces live with the error itself (`baa_backend::error`), so every status,
//! message and `Retry-After` comes from one place.

use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use baa_backend::error::{with_retry_after, AppError};

/// An error answered as a page of its own.
#[derive(Debug)]
pub struct Page(pub AppError);

impl IntoResponse for Page {
    fn into_response(self) -> Response {
        let retry = self.0.retry_after();
        let mut res = page(self.0.status(), &self.0.public_message());
        with_retry_after(&mut res, retry);
        res
    }
}

/// A page that says `message` under the status's name, with a way back into the app.
pub fn page(status: StatusCode, message: &str) -> Response {
    let body = format!(
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{title} · BAA Tracker</title><link rel=\"stylesheet\" href=\"/pkg/baa-tracker.css\"></head>\
         <body><main class=\"public\" id=\"main\"><div class=\"public-card\"><h1>{title}</h1><p role=\"alert\">{msg}</p>\
         <a class=\"button\" href=\"/\">Back to the app</a></div></main></body></html>",
        title = status.canonical_reason().unwrap_or("Error"),
        msg = html_escape(message)
    );
    (status, Html(body)).into_response()
}

fn html_escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}
