//! Signing in and out: the first owner, password and second factor, a reset by mail, and
//! accepting an invitation.

use super::*;

pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/actions/setup", post(setup))
        .route("/actions/login", post(login))
        .route("/actions/login/2fa", post(login_2fa))
        .route("/actions/logout", post(logout))
        .route("/actions/forgot", post(forgot))
        .route("/actions/reset", post(reset))
        .route("/actions/invite/accept", post(accept_invite))
}

pub(super) async fn start_session(
    b: &Backend,
    session: &Session,
    user_id: &str,
    version: i64,
    ws: Option<&str>,
) -> Result<(), Response> {
    let now = b.clock.now();
    // A new session id at sign-in defeats session fixation.
    let res: Result<(), tower_sessions::session::Error> = async {
        session.cycle_id().await?;
        session.remove_value(skeys::PENDING_UID).await?;
        session.remove_value(skeys::PENDING_AT).await?;
        session.insert(skeys::UID, user_id).await?;
        session.insert(skeys::VERSION, version).await?;
        session.insert(skeys::LOGIN_AT, now).await?;
        session.insert(skeys::SEEN, now).await?;
        if let Some(ws) = ws {
            session.insert(skeys::WORKSPACE, ws).await?;
        }
        Ok(())
    }
    .await;
    res.map_err(|e| {
        tracing::error!(error = %e, "starting a session failed");
        edge::page(StatusCode::INTERNAL_SERVER_ERROR, "Signing in failed on our side. Try again.")
    })
}

#[derive(Deserialize)]
struct SetupForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    workspace: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    password_confirm: String,
}

async fn setup(
    State(b): State<Backend>,
    Extension(ClientAddr(addr)): Extension<ClientAddr>,
    session: Session,
    Form(f): Form<SetupForm>,
) -> Response {
    let values =
        [("email", f.email.as_str()), ("name", f.name.as_str()), ("workspace", f.workspace.as_str())];
    let input = SetupInput {
        email: f.email.clone(),
        name: f.name.clone(),
        password: Secret::new(f.password.clone()),
        password_confirm: Secret::new(f.password_confirm.clone()),
        workspace: f.workspace.clone(),
        source: addr,
    };
    match accounts::setup_first_owner(&b, input).await {
        Ok(user_id) => {
            if let Err(r) = start_session(&b, &session, &user_id, 1, None).await {
                return r;
            }
            done(&session, "/", "Your workspace is ready. Next, invite your colleagues from Members.").await
        }
        Err(e) => failed(&session, "/setup", "setup", e, &values).await,
    }
}

#[derive(Deserialize)]
struct LoginForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    next: String,
}

async fn login(
    State(b): State<Backend>,
    Extension(ClientAddr(addr)): Extension<ClientAddr>,
    session: Session,
    Form(f): Form<LoginForm>,
) -> Response {
    let next = local_next(&f.next);
    let back = if next == "/" {
        "/login".to_string()
    } else {
        format!("/login?next={}", url::form_urlencoded::byte_serialize(next.as_bytes()).collect::<String>())
    };
    match accounts::authenticate(&b, &f.email, Secret::new(f.password.clone()), &addr).await {
        Ok(LoginOutcome::Done { user_id, session_version }) => {
            if let Err(r) = start_session(&b, &session, &user_id, session_version, None).await {
                return r;
            }
            Redirect::to(&next).into_response()
        }
        Ok(LoginOutcome::NeedsSecondFactor { user_id }) => {
            let _ = session.cycle_id().await;
            let _ = session.insert(skeys::PENDING_UID, user_id).await;
            let _ = session.insert(skeys::PENDING_AT, b.clock.now()).await;
            let _ = session.insert("pending_next", next).await;
            Redirect::to("/login/2fa").into_response()
        }
        Err(e) => failed(&session, &back, "login", e, &[("email", f.email.as_str())]).await,
    }
}

/// A six-digit (or recovery) code, at sign-in and when two-factor sign-in is turned on.
#[derive(Deserialize)]
pub(super) struct CodeForm {
    #[serde(default)]
    pub(super) code: String,
}

async fn login_2fa(
    State(b): State<Backend>,
    Extension(ClientAddr(addr)): Extension<ClientAddr>,
    session: Session,
    Form(f): Form<CodeForm>,
) -> Response {
    let uid: Option<String> = session.get(skeys::PENDING_UID).await.ok().flatten();
    let at: i64 = session.get(skeys::PENDING_AT).await.ok().flatten().unwrap_or(0);
    let Some(uid) = uid.filter(|_| b.clock.now() - at <= 300) else {
        return failed(
            &session,
            "/login",
            "login",
            AppError::invalid("email", "Sign in again: the two-factor step timed out after 5 minutes."),
            &[],
        )
        .await;
    };
    match accounts::verify_second_factor(&b, &uid, &f.code, &addr).await {
        Ok(version) => {
            let next: String = session.get("pending_next").await.ok().flatten().unwrap_or_else(|| "/".into());
            let _ = session.remove_value("pending_next").await;
            if let Err(r) = start_session(&b, &session, &uid, version, None).await {
                return r;
            }
            Redirect::to(&local_next(&next)).into_response()
        }
        Err(e) => failed(&session, "/login/2fa", "2fa", e, &[]).await,
    }
}

async fn logout(session: Session) -> Response {
    let _ = session.flush().await;
    done(&session, "/login", "You are signed out.").await
}

#[derive(Deserialize)]
struct EmailForm {
    #[serde(default)]
    email: String,
}

async fn forgot(
    State(b): State<Backend>,
    Extension(ClientAddr(addr)): Extension<ClientAddr>,
    session: Session,
    Form(f): Form<EmailForm>,
) -> Response {
    match accounts::request_password_reset(&b, &f.email, &addr).await {
        Ok(()) => {
            done(
                &session,
                "/login",
                "If an account exists for that address, we sent it a link to choose a new password. It works for one hour.",
            )
            .await
        }
        Err(e) => failed(&session, "/forgot", "forgot", e, &[("email", f.email.as_str())]).await,
    }
}

/// The page of a link token to go back to; a token too long to be ours goes back to the start.
fn link_back(prefix: &str, token: &str) -> String {
    if token.len() > 100 {
        return if prefix == "/reset/" { "/forgot".into() } else { "/login".into() };
    }
    format!("{prefix}{}", url::form_urlencoded::byte_serialize(token.as_bytes()).collect::<String>())
}

#[derive(Deserialize)]
struct ResetForm {
    #[serde(default)]
    token: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    password_confirm: String,
}

async fn reset(
    State(b): State<Backend>,
    Extension(ClientAddr(addr)): Extension<ClientAddr>,
    session: Session,
    Form(f): Form<ResetForm>,
) -> Response {
    let back = link_back("/reset/", &f.token);
    match accounts::reset_password(
        &b,
        &f.token,
        Secret::new(f.password.clone()),
        Secret::new(f.password_confirm.clone()),
        &addr,
    )
    .await
    {
        Ok(()) => {
            let _ = session.flush().await;
            done(
                &session,
                "/login",
                "Your password is changed and every session was signed out. Sign in with the new password.",
            )
            .await
        }
        Err(e) => failed(&session, &back, "reset", e, &[]).await,
    }
}

#[derive(Deserialize)]
struct AcceptForm {
    #[serde(default)]
    token: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    password_confirm: String,
}

async fn accept_invite(
    State(b): State<Backend>,
    Extension(ClientAddr(addr)): Extension<ClientAddr>,
    Extension(cv): Extension<CurrentViewer>,
    session: Session,
    Form(f): Form<AcceptForm>,
) -> Response {
    let back = link_back("/invite/", &f.token);
    let signed_in = cv.0.as_ref().map(|v| v.user_id.clone());
    match accounts::accept_invitation(
        &b,
        &f.token,
        signed_in.as_deref(),
        &f.name,
        Secret::new(f.password.clone()),
        Secret::new(f.password_confirm.clone()),
        &addr,
    )
    .await
    {
        Ok((user_id, ws)) => {
            if signed_in.as_deref() == Some(user_id.as_str()) {
                let _ = session.insert(skeys::WORKSPACE, &ws).await;
            } else if let Err(r) = start_session(&b, &session, &user_id, 1, Some(&ws)).await {
                return r;
            }
            done(&session, "/", "Welcome! You joined the workspace.").await
        }
        Err(e) => failed(&session, &back, "accept", e, &[("name", f.name.as_str())]).await,
    }
}
