//! The signed-in person's own account: password, signing out everywhere, two-factor sign-in.

use super::sign_in::{start_session, CodeForm};
use super::*;

pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/actions/account/password", post(change_password))
        .route("/actions/account/signout-everywhere", post(signout_everywhere))
        .route("/actions/account/2fa/start", post(totp_start))
        .route("/actions/account/2fa/enable", post(totp_enable))
        .route("/actions/account/2fa/disable", post(totp_disable))
}

#[derive(Deserialize)]
struct PasswordForm {
    #[serde(default)]
    current_password: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    password_confirm: String,
}

async fn change_password(
    State(b): State<Backend>,
    SignedIn(v): SignedIn,
    session: Session,
    Form(f): Form<PasswordForm>,
) -> Response {
    match accounts::change_password(
        &b,
        &v,
        Secret::new(f.current_password.clone()),
        Secret::new(f.password.clone()),
        Secret::new(f.password_confirm.clone()),
    )
    .await
    {
        Ok(version) => {
            if let Err(r) = start_session(&b, &session, &v.user_id, version, Some(&v.workspace_id)).await {
                return r;
            }
            done(
                &session,
                "/account",
                "Password changed. Every other session of your account was signed out.",
            )
            .await
        }
        Err(e) => failed(&session, "/account", "password", e, &[]).await,
    }
}

async fn signout_everywhere(State(b): State<Backend>, SignedIn(v): SignedIn, session: Session) -> Response {
    match accounts::bump_session_version(&b, &v.user_id, &baa_backend::audit::Actor::of(&v)).await {
        Ok(_) => {
            let _ = session.flush().await;
            done(&session, "/login", "Every session of your account was signed out.").await
        }
        Err(e) => failed(&session, "/account", "sessions", e, &[]).await,
    }
}

async fn totp_start(SignedIn(v): SignedIn, session: Session) -> Response {
    if v.totp_enabled {
        return Redirect::to("/account").into_response();
    }
    let secret = baa_backend::totp::new_secret();
    let _ = session.insert(keys::TOTP_PENDING, secret.expose()).await;
    Redirect::to("/account").into_response()
}

async fn totp_enable(
    State(b): State<Backend>,
    SignedIn(v): SignedIn,
    session: Session,
    Form(f): Form<CodeForm>,
) -> Response {
    let pending: Option<String> = session.get(keys::TOTP_PENDING).await.ok().flatten();
    let Some(secret) = pending else {
        return failed(
            &session,
            "/account",
            "2fa",
            AppError::invalid("code", "Start the set-up again."),
            &[],
        )
        .await;
    };
    match accounts::enable_totp(&b, &v, &Secret::new(secret), &f.code).await {
        Ok(codes) => {
            let _ = session.remove_value(keys::TOTP_PENDING).await;
            let shown: Vec<String> = codes.iter().map(|c| c.expose().to_string()).collect();
            let _ = session.insert(keys::RECOVERY_CODES, shown).await;
            done(&session, "/account", "Two-factor sign-in is on.").await
        }
        Err(e) => failed(&session, "/account", "2fa", e, &[]).await,
    }
}

#[derive(Deserialize)]
struct DisableForm {
    #[serde(default)]
    password: String,
}

async fn totp_disable(
    State(b): State<Backend>,
    SignedIn(v): SignedIn,
    session: Session,
    Form(f): Form<DisableForm>,
) -> Response {
    let outcome = accounts::disable_totp(&b, &v, Secret::new(f.password.clone()))
        .await
        .map(|()| "Two-factor sign-in is off.");
    answer(&session, "/account", "2fa-off", outcome, &[]).await
}
