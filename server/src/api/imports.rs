//! `/imports`: a `fly` CLI snapshot sent as JSON, previewed (what would change) or applied
//! (all or nothing, optionally only if the plan is still the one previewed).

use super::extract::{ok, Body, Writer};
use crate::AppState;
use axum::extract::{DefaultBodyLimit, State};
use axum::response::Response;
use axum::routing::post;
use axum::Router;
use baa_backend::error::{AppError, AppResult};
use baa_backend::imports;
use baa_backend::Backend;
use baa_core::fly_import::SnapshotFile;
use serde::Deserialize;

/// Largest import request body (files as JSON, base64 included).
const BODY_MAX: usize = 48 * 1024 * 1024;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/imports/preview", post(preview).layer(DefaultBodyLimit::max(BODY_MAX)))
        .route("/imports", post(apply).layer(DefaultBodyLimit::max(BODY_MAX)))
}

#[derive(Debug, Default, Deserialize)]
struct ImportFileBody {
    #[serde(default)]
    name: String,
    #[serde(default)]
    content: Option<String>,
    #[serde(default)]
    content_base64: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
struct ImportBody {
    #[serde(default)]
    files: Vec<ImportFileBody>,
    #[serde(default)]
    zip_base64: Option<String>,
    #[serde(default)]
    plan_hash: Option<String>,
}

fn files(body: &ImportBody) -> AppResult<Vec<SnapshotFile>> {
    use base64::Engine;
    let b64 = |field: &str, s: &str| {
        base64::engine::general_purpose::STANDARD
            .decode(s.trim())
            .map_err(|_| AppError::invalid(field, "not valid base64"))
    };
    let mut files = Vec::new();
    if let Some(z) = &body.zip_base64 {
        let bytes = b64("zip_base64", z)?;
        files.extend(imports::files_from_zip("snapshot.zip", &bytes)?);
    }
    for f in &body.files {
        let name = f.name.trim();
        if name.is_empty() || name.chars().count() > 300 || name.chars().any(char::is_control) {
            return Err(AppError::invalid(
                "files",
                "every file needs a name (relative path, at most 300 characters)",
            ));
        }
        let bytes = match (&f.content, &f.content_base64) {
            (Some(text), None) => text.clone().into_bytes(),
            (None, Some(b)) => b64("content_base64", b)?,
            _ => {
                return Err(AppError::invalid(
                    "files",
                    format!("{name}: give either content or content_base64"),
                ))
            }
        };
        files.push(SnapshotFile::new(name, bytes));
    }
    Ok(files)
}

async fn preview(
    Writer(v): Writer,
    State(b): State<Backend>,
    Body(body): Body<ImportBody>,
) -> AppResult<Response> {
    ok(imports::preview(&b, &v, &files(&body)?).await?)
}

async fn apply(
    Writer(v): Writer,
    State(b): State<Backend>,
    Body(body): Body<ImportBody>,
) -> AppResult<Response> {
    let hash = body.plan_hash.as_deref().map(str::trim).filter(|h| !h.is_empty());
    ok(imports::apply(&b, &v, &files(&body)?, hash).await?)
}
