//! `/integrations`: the connected Fly.io orgs, and a sync of one on demand.

use super::extract::{ok, Id, Reader, Writer};
use crate::AppState;
use axum::extract::State;
use axum::response::Response;
use axum::routing::{get, post};
use axum::Router;
use baa_backend::error::{AppError, AppResult};
use baa_backend::integrations::{self, SyncOutcome};
use baa_backend::Backend;
use serde_json::json;

pub fn router() -> Router<AppState> {
    Router::new().route("/integrations", get(list)).route("/integrations/{id}/sync", post(sync))
}

async fn list(Reader(v): Reader, State(b): State<Backend>) -> AppResult<Response> {
    ok(json!({ "integrations": integrations::overview(&b, &v).await? }))
}

/// Runs a sync of one integration now: 200 with the outcome (`applied`, or `failed` with the
/// integration's state saying why: nothing of the plan is written then), 409 while another
/// sync of the org runs.
async fn sync(Writer(v): Writer, State(b): State<Backend>, Id(id): Id<String>) -> AppResult<Response> {
    let (outcome, view) = integrations::sync_now(&b, &v, &id).await?;
    let outcome = match outcome {
        SyncOutcome::Applied(_) => "applied",
        SyncOutcome::Failed { .. } => "failed",
        SyncOutcome::Busy => {
            return Err(AppError::Conflict {
                field: "id".into(),
                message: "A sync of this org is already running; its result will show shortly.".into(),
            })
        }
    };
    ok(json!({ "outcome": outcome, "integration": view }))
}
