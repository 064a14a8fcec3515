//! Security headers (CSP with a per-response nonce, HSTS on https, no caching of pages) and the
//! request log line, which never holds a query string or a link token.

use crate::AppState;
use app::ssr::CspNonce;
use axum::extract::{Request, State};
use axum::http::{header, HeaderValue};
use axum::middleware::Next;
use axum::response::Response;
use base64::Engine;
use rand::RngCore;

/// Adds the security headers to every response and logs the request.
pub async fn security_headers(State(state): State<AppState>, mut req: Request, next: Next) -> Response {
    let started = std::time::Instant::now();
    let mut bytes = [0u8; 16];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    let nonce = base64::engine::general_purpose::STANDARD_NO_PAD.encode(bytes);
    req.extensions_mut().insert(CspNonce(nonce.clone()));
    let method = req.method().clone();
    let path = redact_path(req.uri().path());
    let is_asset = path.starts_with("/pkg/") || path == "/favicon.svg";
    let mut res = next.run(req).await;
    let h = res.headers_mut();
    let csp = format!(
        "default-src 'self'; script-src 'self' 'nonce-{nonce}' 'wasm-unsafe-eval'; style-src 'self'; img-src 'self' data:; \
         font-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'"
    );
    if let Ok(v) = HeaderValue::from_str(&csp) {
        h.insert(header::CONTENT_SECURITY_POLICY, v);
    }
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    h.insert(header::REFERRER_POLICY, HeaderValue::from_static("same-origin"));
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(
        "permissions-policy",
        HeaderValue::from_static("camera=(), microphone=(), geolocation=(), payment=()"),
    );
    h.insert("cross-origin-opener-policy", HeaderValue::from_static("same-origin"));
    if state.backend.config.is_https() {
        h.insert(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static("max-age=63072000; includeSubDomains"),
        );
    }
    if !is_asset {
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    let status = res.status().as_u16();
    tracing::info!(%method, path, status, ms = started.elapsed().as_millis() as u64, "request");
    res
}

/// Replaces the secret part of link paths (`/reset/<token>`, `/invite/<token>`,
/// `/downloads/<token>`).
pub fn redact_path(path: &str) -> String {
    for prefix in ["/reset/", "/invite/", "/downloads/"] {
        if let Some(rest) = path.strip_prefix(prefix) {
            if !rest.is_empty() {
                return format!("{prefix}[redacted]");
            }
        }
    }
    path.to_string()
}

#[cfg(test)]
mod tests {
    #[test]
    fn link_tokens_are_redacted() {
        assert_eq!(super::redact_path("/reset/abc123"), "/reset/[redacted]");
        assert_eq!(super::redact_path("/invite/abc123"), "/invite/[redacted]");
        assert_eq!(super::redact_path("/downloads/abc123"), "/downloads/[redacted]");
        assert_eq!(super::redact_path("/members"), "/members");
    }
}
