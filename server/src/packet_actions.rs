//! Evidence packets over HTTP: the form that queues one, and the PDF and bundle downloads
//! (hash-checked by `baa_backend::packets::download`).

use crate::actions::{done, failed, SignedIn};
use crate::AppState;
use axum::extract::{Path, State};
use axum::http::{header, HeaderName, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use baa_backend::packets::{self, File};
use baa_backend::{inventory, Backend};
use serde::Deserialize;
use tower_sessions::Session;

/// Routes of the evidence packets page.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/actions/packets/create", post(create))
        .route("/packets/{id}/pdf", get(download_pdf))
        .route("/packets/{id}/bundle", get(download_bundle))
}

const BACK: &str = "/packets";

#[derive(Deserialize)]
struct CreateForm {
    /// `YYYY-MM-DD`; empty for today.
    #[serde(default)]
    as_of: String,
}

async fn create(
    State(b): State<Backend>,
    SignedIn(v): SignedIn,
    session: Session,
    Form(f): Form<CreateForm>,
) -> Response {
    let started = async {
        let as_of = inventory::date("as_of", &f.as_of)?.unwrap_or_else(|| inventory::today_for(&b));
        packets::start(&b, &v, as_of).await.map(|id| (id, as_of))
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
        Err(e) => failed(&session, BACK, "packet", e, &[("as_of", &f.as_of)]).await,
    }
}

async fn download_pdf(State(b): State<Backend>, SignedIn(v): SignedIn, Path(id): Path<String>) -> Response {
    send(&b, &v, &id, File::Pdf).await
}

async fn download_bundle(
    State(b): State<Backend>,
    SignedIn(v): SignedIn,
    Path(id): Path<String>,
) -> Response {
    send(&b, &v, &id, File::Bundle).await
}

async fn send(b: &Backend, v: &baa_core::account::Viewer, id: &str, file: File) -> Response {
    match packets::download(b, v, id, file).await {
        Ok(d) => (
            [
                (header::CONTENT_TYPE, d.content_type.to_string()),
                (header::CONTENT_DISPOSITION, format!("attachment; filename=\"{}\"", d.file_name)),
                (header::X_CONTENT_TYPE_OPTIONS, "nosniff".to_string()),
                (HeaderName::from_static("x-content-sha256"), d.sha256),
            ],
            d.bytes,
        )
            .into_response(),
        Err(e) => (
            StatusCode::from_u16(e.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
            e.public_message(),
        )
            .into_response(),
    }
}
