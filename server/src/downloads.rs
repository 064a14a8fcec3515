//! Downloads that are recorded in the audit trail (the audit export, evidence packet files).
//!
//! Recording is a state change, so it happens only on a POST (which the cross-site check
//! guards): the POST records the download and answers 303 to `/downloads/<token>`, a
//! single-use link kept in the person's own session for two minutes. The GET behind it reads
//! the file and records nothing, so a link or image on another site can neither add entries to
//! the trail nor fetch the file without the POST. Without JavaScript the browser follows the
//! redirect and saves the attachment, staying on the page.

use crate::forms::{failed, SignedIn};
use crate::AppState;
use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{header, HeaderName, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use baa_backend::packets::{self, File};
use baa_backend::secret::new_token;
use baa_backend::Backend;
use serde::{Deserialize, Serialize};
use tower_sessions::Session;

/// Session key of the pending download links.
const GRANTS: &str = "download_grants";
/// How long a download link works.
const GRANT_TTL_SECS: i64 = 120;
/// Most pending links kept per session.
const GRANTS_MAX: usize = 8;

/// What a download link gives.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
enum What {
    /// The workspace's audit trail as JSON Lines.
    AuditExport,
    /// A packet's PDF (`pdf`) or bundle (`zip`).
    Packet { id: String, file: String },
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct Grant {
    /// SHA-256 of the link token (the token itself is only in the Location header).
    token_hash: String,
    what: What,
    workspace_id: String,
    expires_at: i64,
}

/// The routes.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/actions/audit/export", post(export_audit))
        .route("/actions/packets/download", post(download_packet))
        .route("/downloads/{token}", get(fetch))
}

async fn grant(b: &Backend, session: &Session, workspace_id: &str, what: What) -> Response {
    let now = b.clock.now();
    let mut grants: Vec<Grant> = session.get(GRANTS).await.ok().flatten().unwrap_or_default();
    grants.retain(|g| g.expires_at > now);
    if grants.len() >= GRANTS_MAX {
        grants.remove(0);
    }
    let token = new_token();
    grants.push(Grant {
        token_hash: baa_backend::secret::token_digest(token.expose()),
        what,
        workspace_id: workspace_id.to_string(),
        expires_at: now + GRANT_TTL_SECS,
    });
    if let Err(e) = session.insert(GRANTS, grants).await {
        tracing::error!(error = %e, "keeping a download link failed");
        return (StatusCode::INTERNAL_SERVER_ERROR, "Preparing the download failed; try again.")
            .into_response();
    }
    Redirect::to(&format!("/downloads/{}", token.expose())).into_response()
}

async fn export_audit(State(b): State<Backend>, SignedIn(v): SignedIn, session: Session) -> Response {
    match baa_backend::audit::record_export(&b, &v).await {
        Ok(()) => grant(&b, &session, &v.workspace_id, What::AuditExport).await,
        Err(e) => failed(&session, "/audit", "export", e, &[]).await,
    }
}

#[derive(Deserialize)]
struct PacketForm {
    #[serde(default)]
    id: String,
    /// `pdf` or `zip`.
    #[serde(default)]
    file: String,
}

fn packet_file(s: &str) -> Option<File> {
    match s {
        "pdf" => Some(File::Pdf),
        "zip" | "bundle" => Some(File::Bundle),
        _ => None,
    }
}

async fn download_packet(
    State(b): State<Backend>,
    SignedIn(v): SignedIn,
    session: Session,
    Form(f): Form<PacketForm>,
) -> Response {
    let Some(file) = packet_file(&f.file) else {
        return (StatusCode::BAD_REQUEST, "Choose the pdf or the zip file.").into_response();
    };
    match packets::grant_download(&b, &v, &f.id, file).await {
        Ok(()) => {
            grant(&b, &session, &v.workspace_id, What::Packet { id: f.id, file: file.ext().into() }).await
        }
        Err(e) => failed(&session, "/packets", "packet", e, &[]).await,
    }
}

fn refuse(e: baa_backend::error::AppError) -> Response {
    e.into_text()
}

async fn fetch(
    State(b): State<Backend>,
    SignedIn(v): SignedIn,
    session: Session,
    Path(token): Path<String>,
) -> Response {
    let now = b.clock.now();
    let digest = baa_backend::secret::token_digest(&token);
    let mut grants: Vec<Grant> = session.get(GRANTS).await.ok().flatten().unwrap_or_default();
    let found = grants.iter().position(|g| g.token_hash == digest && g.expires_at > now);
    let Some(i) = found else {
        return (
            StatusCode::NOT_FOUND,
            "This download link expired or was already used. Press the download button again.",
        )
            .into_response();
    };
    let g = grants.remove(i);
    grants.retain(|g| g.expires_at > now);
    let _ = session.insert(GRANTS, grants).await;
    if g.workspace_id != v.workspace_id {
        return refuse(baa_backend::error::AppError::NotFound);
    }
    match g.what {
        What::AuditExport => match baa_backend::audit::export_jsonl(&b, &v).await {
            Ok(body) => (
                [
                    (header::CONTENT_TYPE, "application/x-ndjson; charset=utf-8"),
                    (header::CONTENT_DISPOSITION, "attachment; filename=\"audit-trail.jsonl\""),
                ],
                body,
            )
                .into_response(),
            Err(e) => refuse(e),
        },
        What::Packet { id, file } => {
            let Some(file) = packet_file(&file) else {
                return refuse(baa_backend::error::AppError::NotFound);
            };
            match packets::download(&b, &v, &id, file).await {
                Ok(d) => {
                    let stream = tokio_util::io::ReaderStream::new(tokio::fs::File::from_std(d.file));
                    (
                        [
                            (header::CONTENT_TYPE, d.content_type.to_string()),
                            (
                                header::CONTENT_DISPOSITION,
                                format!("attachment; filename=\"{}\"", d.file_name),
                            ),
                            (header::CONTENT_LENGTH, d.size.to_string()),
                            (header::X_CONTENT_TYPE_OPTIONS, "nosniff".to_string()),
                            (HeaderName::from_static("x-content-sha256"), d.sha256),
                        ],
                        Body::from_stream(stream),
                    )
                        .into_response()
                }
                Err(e) => refuse(e),
            }
        }
    }
}
