//! Form actions of the Integrations page (post/redirect/get like every form). The token field
//! is never refilled, echoed or logged.

use crate::forms::{done, failed, SignedIn};
use crate::AppState;
use axum::extract::State;
use axum::response::Response;
use axum::routing::post;
use axum::{Form, Router};
use baa_backend::integrations::{self, SyncOutcome};
use baa_backend::Backend;
use tower_sessions::Session;

const PAGE: &str = "/integrations";

/// The routes.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/actions/integrations/connect", post(connect))
        .route("/actions/integrations/remove", post(remove))
        .route("/actions/integrations/sync", post(sync))
        .route("/actions/integrations/settings", post(settings))
}

#[derive(serde::Deserialize)]
struct ConnectForm {
    #[serde(default)]
    org: String,
    #[serde(default)]
    token: String,
}

async fn connect(
    State(b): State<Backend>,
    SignedIn(v): SignedIn,
    session: Session,
    Form(f): Form<ConnectForm>,
) -> Response {
    match integrations::connect(&b, &v, &f.org, &f.token).await {
        Ok(i) => {
            done(
                &session,
                PAGE,
                format!("Fly.io org {} connected: the token was accepted and is stored encrypted. Sync now to read it, or wait for the schedule.", i.org),
            )
            .await
        }
        Err(e) => failed(&session, PAGE, "integration", e, &[("org", &f.org)]).await,
    }
}

#[derive(serde::Deserialize)]
struct IdForm {
    #[serde(default)]
    id: String,
}

async fn remove(
    State(b): State<Backend>,
    SignedIn(v): SignedIn,
    session: Session,
    Form(f): Form<IdForm>,
) -> Response {
    match integrations::remove(&b, &v, &f.id).await {
        Ok(()) => {
            done(&session, PAGE, "Integration removed: its token is deleted; the records it synced stay.")
                .await
        }
        Err(e) => failed(&session, PAGE, "integration", e, &[]).await,
    }
}

async fn sync(
    State(b): State<Backend>,
    SignedIn(v): SignedIn,
    session: Session,
    Form(f): Form<IdForm>,
) -> Response {
    match integrations::sync_now(&b, &v, &f.id).await {
        Ok((SyncOutcome::Applied(s), i)) => {
            done(
                &session,
                PAGE,
                format!(
                    "Fly.io org {} synced: {} created, {} updated, {} not seen.",
                    i.org,
                    s.created,
                    s.updated,
                    s.absent.len()
                ),
            )
            .await
        }
        Ok((SyncOutcome::Failed { class, message }, i)) => {
            done(
                &session,
                PAGE,
                format!("The sync of {} failed ({class}): {message}. Nothing was changed.", i.org),
            )
            .await
        }
        Ok((SyncOutcome::Busy, i)) => {
            done(
                &session,
                PAGE,
                format!("A sync of {} is already running; its result shows here shortly.", i.org),
            )
            .await
        }
        Err(e) => failed(&session, PAGE, "integration", e, &[]).await,
    }
}

#[derive(serde::Deserialize)]
struct SettingsForm {
    #[serde(default)]
    sync_minutes: String,
}

async fn settings(
    State(b): State<Backend>,
    SignedIn(v): SignedIn,
    session: Session,
    Form(f): Form<SettingsForm>,
) -> Response {
    match integrations::set_sync_minutes(&b, &v, &f.sync_minutes).await {
        Ok(m) => done(&session, PAGE, format!("Fly.io orgs now sync every {m} minutes.")).await,
        Err(e) => failed(&session, PAGE, "integration", e, &[("sync_minutes", &f.sync_minutes)]).await,
    }
}
