//! Form actions of the notifications page: read, preferences, retry a failed delivery, and the
//! workspace webhook.

use crate::forms::{answer, done, failed, SignedIn};
use crate::AppState;
use axum::extract::State;
use axum::response::Response;
use axum::routing::post;
use axum::{Form, Router};
use baa_backend::{notify, Backend};
use serde::Deserialize;
use tower_sessions::Session;

/// Routes of the notifications page.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/actions/notifications/read", post(read))
        .route("/actions/notifications/preferences", post(preferences))
        .route("/actions/notifications/retry", post(retry))
        .route("/actions/notifications/webhook", post(webhook))
}

const BACK: &str = "/notifications";

#[derive(Deserialize)]
struct IdForm {
    /// A notice (or delivery) id; empty for "all".
    #[serde(default)]
    id: String,
}

async fn read(
    State(b): State<Backend>,
    SignedIn(v): SignedIn,
    session: Session,
    Form(f): Form<IdForm>,
) -> Response {
    let id = (!f.id.trim().is_empty()).then_some(f.id.trim());
    match notify::mark_read(&b, &v, id).await {
        Ok(n) => {
            let msg = if id.is_some() {
                "Marked as read.".to_string()
            } else {
                format!("{n} notices marked as read.")
            };
            done(&session, BACK, msg).await
        }
        Err(e) => failed(&session, BACK, "read", e, &[]).await,
    }
}

/// Ticked boxes arrive as `on=<kind>:app` and `on=<kind>:email`.
async fn preferences(
    State(b): State<Backend>,
    SignedIn(v): SignedIn,
    session: Session,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Response {
    let on: Vec<String> = pairs.into_iter().filter(|(k, _)| k == "on").map(|(_, v)| v).collect();
    let outcome = notify::save_preferences(&b, &v, &on).await.map(|()| "Notification preferences saved.");
    answer(&session, BACK, "preferences", outcome, &[]).await
}

async fn retry(
    State(b): State<Backend>,
    SignedIn(v): SignedIn,
    session: Session,
    Form(f): Form<IdForm>,
) -> Response {
    let outcome =
        notify::retry(&b, &v, f.id.trim()).await.map(|()| "Queued again; it goes out within a few seconds.");
    answer(&session, BACK, "retry", outcome, &[]).await
}

#[derive(Deserialize)]
struct WebhookForm {
    #[serde(default)]
    url: String,
}

async fn webhook(
    State(b): State<Backend>,
    SignedIn(v): SignedIn,
    session: Session,
    Form(f): Form<WebhookForm>,
) -> Response {
    let removing = f.url.trim().is_empty();
    match notify::save_webhook(&b, &v, &f.url).await {
        Ok(()) if removing => done(&session, BACK, "Webhook removed.").await,
        Ok(()) => done(&session, BACK, "Webhook saved. Notices from now on are posted to it.").await,
        // The URL is a secret: it is not put back into the form.
        Err(e) => failed(&session, BACK, "webhook", e, &[]).await,
    }
}
