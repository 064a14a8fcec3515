//! Form actions of the import page (post/redirect/get like every form).
//!
//! Import: the snapshot (a folder's files, or a ZIP) is uploaded once to `/actions/import/preview`,
//! kept as a draft (see `baa_backend::imports`), and the page `/import?draft=ID` shows the plan.
//! The apply form sends the draft id and the hash of the plan shown; the backend re-plans and
//! refuses when the plan changed since.

use crate::forms::{alert, coverage_now, done, done_effect, failed, SignedIn};
use crate::AppState;
use axum::extract::{Multipart, State};
use axum::response::Response;
use axum::routing::post;
use axum::{Form, Router};
use baa_backend::error::{AppError, AppResult};
use baa_backend::imports;
use baa_backend::Backend;
use baa_core::coverage::effect;
use baa_core::fly_import::SnapshotFile;
use tower_sessions::Session;

/// Largest multipart upload of a snapshot.
const UPLOAD_MAX: usize = 40 * 1024 * 1024;

/// The routes.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route(
            "/actions/import/preview",
            post(preview).layer(axum::extract::DefaultBodyLimit::max(UPLOAD_MAX)),
        )
        .route("/actions/import/apply", post(apply))
        .route("/actions/import/skip", post(skip_file))
}

async fn read_upload(mut form: Multipart) -> AppResult<Vec<SnapshotFile>> {
    let mut files = Vec::new();
    loop {
        let field = match form.next_field().await {
            Ok(Some(f)) => f,
            Ok(None) => break,
            Err(_) => {
                return Err(AppError::invalid(
                    "files",
                    "the upload did not arrive whole (over 40 MB, or interrupted); nothing was imported",
                ))
            }
        };
        let field_name = field.name().unwrap_or_default().to_string();
        let file_name = field.file_name().unwrap_or_default().to_string();
        if field_name != "files" && field_name != "zip" {
            continue;
        }
        let bytes = field.bytes().await.map_err(|_| {
            AppError::invalid("files", "the upload did not arrive whole; nothing was imported")
        })?;
        if file_name.is_empty() && bytes.is_empty() {
            // An empty file input still sends a part.
            continue;
        }
        if file_name.to_ascii_lowercase().ends_with(".zip") {
            files.extend(imports::files_from_zip(&file_name, &bytes)?);
        } else {
            files.push(SnapshotFile::new(file_name, bytes.to_vec()));
        }
    }
    Ok(files)
}

async fn preview(
    State(b): State<Backend>,
    SignedIn(v): SignedIn,
    session: Session,
    form: Multipart,
) -> Response {
    let files = match read_upload(form).await {
        Ok(files) => files,
        Err(e) => return failed(&session, "/import", "import", e, &[]).await,
    };
    let result = match imports::save_draft(&b, &v, &files).await {
        // A malformed file: the upload is kept as a draft so that the files at fault can be
        // skipped without choosing the folder again; the draft page lists the errors.
        Err(AppError::Malformed(_)) => match imports::keep_refused_draft(&b, &v, &files).await {
            Ok(id) => {
                return alert(
                    &session,
                    &format!("/import?draft={id}"),
                    "import",
                    "The snapshot was refused: nothing was imported. Fix the files named below, or skip them and preview the rest.",
                )
                .await
            }
            Err(e) => Err(e),
        },
        other => other,
    };
    match result {
        Ok((id, p)) => {
            let message = if p.plan.is_noop() {
                "Snapshot read: it matches the inventory, nothing would change.".to_string()
            } else {
                format!(
                    "Snapshot read: {} to create, {} to change. Review the plan, then apply it.",
                    p.creates, p.updates
                )
            };
            done(&session, &format!("/import?draft={id}"), message).await
        }
        Err(e) => failed(&session, "/import", "import", e, &[]).await,
    }
}

#[derive(serde::Deserialize)]
struct ApplyForm {
    #[serde(default)]
    draft: String,
    #[serde(default)]
    plan_hash: String,
}

async fn apply(
    State(b): State<Backend>,
    SignedIn(v): SignedIn,
    session: Session,
    Form(f): Form<ApplyForm>,
) -> Response {
    let back = format!(
        "/import?draft={}",
        url::form_urlencoded::byte_serialize(f.draft.as_bytes()).collect::<String>()
    );
    let before = coverage_now(&b, &v).await;
    match imports::apply_draft(&b, &v, f.draft.trim(), f.plan_hash.trim()).await {
        Ok(r) => {
            let effect = match (before, coverage_now(&b, &v).await) {
                (Some((_, before)), Some((_, after))) => {
                    effect::of_import(&before, &after, &r.changed_services, r.created, r.updated)
                }
                _ => {
                    effect::unknown(&format!("Import applied: {} created, {} changed.", r.created, r.updated))
                }
            };
            done_effect(&session, "/", effect).await
        }
        Err(AppError::NotFound) => expired(&session, "preview").await,
        Err(e) => failed(&session, &back, "import", e, &[]).await,
    }
}

#[derive(serde::Deserialize)]
struct SkipForm {
    #[serde(default)]
    draft: String,
    #[serde(default)]
    file: String,
}

/// "Skip this file and preview the rest": the draft loses the file and is previewed again.
async fn skip_file(
    State(b): State<Backend>,
    SignedIn(v): SignedIn,
    session: Session,
    Form(f): Form<SkipForm>,
) -> Response {
    let draft = f.draft.trim();
    let back = format!(
        "/import?draft={}",
        url::form_urlencoded::byte_serialize(draft.as_bytes()).collect::<String>()
    );
    match imports::skip_draft_file(&b, &v, draft, &f.file).await {
        Ok(()) => {
            done(&session, &back, format!("{} skipped; the rest of the upload is previewed below.", f.file))
                .await
        }
        Err(AppError::NotFound) => expired(&session, "upload").await,
        Err(e) => failed(&session, &back, "import", e, &[]).await,
    }
}

/// A preview or kept upload that is gone (expired, or applied meanwhile): back to the import page.
async fn expired(session: &Session, what: &str) -> Response {
    let message = format!("This {what} expired or was already applied. Upload the snapshot again.");
    failed(session, "/import", "import", AppError::invalid("files", message), &[]).await
}
