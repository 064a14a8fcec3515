//! Evidence packets over HTTP: the form that queues one, and the published signing keys. The
//! PDF and bundle downloads (recorded by a POST, hash-checked when read) are in
//! [`crate::downloads`].

use crate::forms::{done, failed, SignedIn};
use crate::AppState;
use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use baa_backend::packets;
use baa_backend::{inventory, Backend};
use serde::Deserialize;
use tower_sessions::Session;

/// Routes of the evidence packets page.
pub fn routes() -> Router<AppState> {
    Router::new().route("/actions/packets/create", post(create)).route(KEYS_PATH, get(published_keys))
}

const BACK: &str = "/packets";

#[derive(Deserialize)]
struct CreateForm {
    /// `YYYY-MM-DD`; empty for today.
    #[serde(default)]
    as_of: String,
    /// `YYYY-MM-DD`: first day of a period ending on the as-of date; empty for one day.
    #[serde(default)]
    period_from: String,
}

async fn create(
    State(b): State<Backend>,
    SignedIn(v): SignedIn,
    session: Session,
    Form(f): Form<CreateForm>,
) -> Response {
    let started = async {
        let as_of = inventory::date("as_of", &f.as_of)?.unwrap_or_else(|| inventory::today_for(&b));
        let from = inventory::date("period_from", &f.period_from)?;
        packets::start(&b, &v, as_of, from).await.map(|id| (id, as_of))
    }
    .await;
    match started {
        Ok((_, as_of)) => {
            done(
                &session,
                BACK,
                format!("Generating the evidence packet as of {as_of}. It appears below when done."),
            )
            .await
        }
        Err(e) => {
            failed(&session, BACK, "packet", e, &[("as_of", &f.as_of), ("period_from", &f.period_from)]).await
        }
    }
}

/// Where the packet signing keys are published (public, no sign-in).
pub const KEYS_PATH: &str = "/.well-known/baa-tracker-packet-keys.json";

/// The public keys that sign packet manifests, the current one first: what
/// `baa-tracker verify-packet --server URL` reads.
async fn published_keys(State(b): State<Backend>) -> Response {
    match baa_backend::signing::published(&b.db, &b.packet_key).await {
        Ok(keys) => (
            [(header::CACHE_CONTROL, "public, max-age=300")],
            axum::Json(serde_json::json!({
                "current": b.packet_key.key_id(),
                "keys": keys,
            })),
        )
            .into_response(),
        Err(e) => {
            tracing::error!(error = %e, "listing the packet signing keys failed");
            (StatusCode::SERVICE_UNAVAILABLE, "The signing keys cannot be read right now.").into_response()
        }
    }
}
