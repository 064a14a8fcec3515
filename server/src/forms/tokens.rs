//! Form actions of the API tokens page: make a token (shown once) and revoke one.

use crate::forms::{answer, done, failed, SignedIn};
use crate::AppState;
use app::tokens_api::NEW_TOKEN_KEY;
use axum::extract::State;
use axum::response::Response;
use axum::routing::post;
use axum::{Form, Router};
use baa_backend::Backend;
use tower_sessions::Session;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/actions/tokens/create", post(create_token))
        .route("/actions/tokens/revoke", post(revoke_token))
}

#[derive(serde::Deserialize)]
struct TokenForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    scope: String,
}

async fn create_token(
    State(b): State<Backend>,
    SignedIn(v): SignedIn,
    session: Session,
    Form(f): Form<TokenForm>,
) -> Response {
    match baa_backend::api_tokens::create(&b, &v, &f.name, &f.scope).await {
        Ok((view, token)) => {
            if let Err(e) = session.insert(NEW_TOKEN_KEY, token.expose()).await {
                tracing::warn!(error = %e, "keeping a new token for its one-time display failed");
            }
            done(
                &session,
                "/tokens",
                format!("Token {} created. Copy it now: it is shown only once.", view.name),
            )
            .await
        }
        Err(e) => failed(&session, "/tokens", "token", e, &[("name", &f.name)]).await,
    }
}

#[derive(serde::Deserialize)]
struct RevokeForm {
    #[serde(default)]
    id: String,
}

async fn revoke_token(
    State(b): State<Backend>,
    SignedIn(v): SignedIn,
    session: Session,
    Form(f): Form<RevokeForm>,
) -> Response {
    let outcome =
        baa_backend::api_tokens::revoke(&b, &v, &f.id).await.map(|()| "Token revoked: it no longer works.");
    answer(&session, "/tokens", "token", outcome, &[]).await
}
