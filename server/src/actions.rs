//! Form actions: every change the UI makes is a plain HTML form posted here.
//!
//! Each handler is a short adapter: read the form, call the backend, then redirect
//! (post/redirect/get) with a one-time message. Correctable errors go back to the form with the
//! field and the values typed (never passwords); access errors answer 403/404 pages.

use crate::access::{skeys, ClientAddr};
use crate::edge::{self, Page};
use crate::AppState;
use app::api::Flash;
use app::ssr::{keys, CurrentViewer};
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::post;
use axum::{Extension, Form, Router};
use baa_backend::accounts::{self, LoginOutcome, SetupInput};
use baa_backend::error::AppError;
use baa_backend::secret::Secret;
use baa_backend::Backend;
use baa_core::account::Viewer;
use serde::Deserialize;
use tower_sessions::Session;

/// The `/actions/...` routes.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/actions/setup", post(setup))
        .route("/actions/login", post(login))
        .route("/actions/login/2fa", post(login_2fa))
        .route("/actions/logout", post(logout))
        .route("/actions/forgot", post(forgot))
        .route("/actions/reset", post(reset))
        .route("/actions/invite/accept", post(accept_invite))
        .route("/actions/workspace/switch", post(switch_workspace))
        .route("/actions/workspaces/create", post(create_workspace))
        .route("/actions/members/invite", post(invite))
        .route("/actions/members/role", post(change_role))
        .route("/actions/members/remove", post(remove_member))
        .route("/actions/invitations/revoke", post(revoke_invitation))
        .route("/actions/settings", post(settings))
        .route("/actions/account/password", post(change_password))
        .route("/actions/account/signout-everywhere", post(signout_everywhere))
        .route("/actions/account/2fa/start", post(totp_start))
        .route("/actions/account/2fa/enable", post(totp_enable))
        .route("/actions/account/2fa/disable", post(totp_disable))
}

async fn flash(session: &Session, f: Flash) {
    if let Err(e) = session.insert(keys::FLASH, f).await {
        tracing::warn!(error = %e, "storing a flash message failed");
    }
}

pub(crate) async fn done(session: &Session, to: &str, message: impl Into<String>) -> Response {
    flash(session, Flash { message: message.into(), ..Flash::default() }).await;
    Redirect::to(to).into_response()
}

/// The first step of a change that asks for confirmation: back to `to` with what the change
/// will do, and the checked values the confirmation form sends again.
pub(crate) async fn to_confirm(
    session: &Session,
    to: &str,
    form: &str,
    message: impl Into<String>,
    values: Vec<(String, String)>,
) -> Response {
    flash(
        session,
        Flash { message: message.into(), form: Some(form.to_string()), values, ..Flash::default() },
    )
    .await;
    Redirect::to(to).into_response()
}

/// Redirects with an error that is not about one field (shown as an alert at the top).
pub(crate) async fn alert(session: &Session, to: &str, form: &str, message: impl Into<String>) -> Response {
    flash(
        session,
        Flash { error: true, message: message.into(), form: Some(form.into()), ..Flash::default() },
    )
    .await;
    Redirect::to(to).into_response()
}

/// Redirects with the effect a save had on coverage as its message.
pub(crate) async fn done_effect(
    session: &Session,
    to: &str,
    effect: baa_core::coverage::effect::Effect,
) -> Response {
    flash(session, Flash { message: effect.text(), effect: Some(effect), ..Flash::default() }).await;
    Redirect::to(to).into_response()
}

/// The world and coverage report of today, for comparing before and after a save (`None` when
/// it cannot be evaluated; the save itself is unaffected).
pub(crate) async fn coverage_now(
    b: &Backend,
    v: &Viewer,
) -> Option<(baa_core::coverage::World, baa_core::coverage::Report)> {
    match baa_backend::inventory::coverage(b, v, baa_backend::inventory::today_for(b)).await {
        Ok(x) => Some(x),
        Err(e) => {
            tracing::warn!(error = %e, "evaluating coverage for a confirmation failed");
            None
        }
    }
}

/// Longest typed value put back into a refused form.
const REFILL_MAX: usize = 4000;
/// Most bytes of typed values kept for one refused form.
const REFILL_TOTAL_MAX: usize = 32 * 1024;

/// A refused form goes back to `to` with `values` to refill it; see [`refused`].
pub(crate) async fn failed(
    session: &Session,
    to: &str,
    form: &str,
    e: AppError,
    values: &[(&str, &str)],
) -> Response {
    let values: Vec<(String, String)> = values.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
    refused(session, to, form, e, &values).await
}

/// The one place a refused form is answered. Access errors get a page of their own; anything
/// the person can correct goes back to `to` (the page the form is on) with every submitted
/// value (`values`, as posted: repeated names such as ticked boxes kept) and every field error
/// the validation found, so the form comes back as it was sent, with each problem beside its
/// field.
pub(crate) async fn refused(
    session: &Session,
    to: &str,
    form: &str,
    e: AppError,
    values: &[(String, String)],
) -> Response {
    match e {
        AppError::Forbidden(_) | AppError::NotFound | AppError::Busy { .. } => Page(e).into_response(),
        AppError::Unauthenticated => Redirect::to("/login").into_response(),
        e => {
            let message = e.public_message();
            let mut total = 0usize;
            flash(
                session,
                Flash {
                    error: true,
                    message,
                    field: e.field().map(str::to_string),
                    form: Some(form.to_string()),
                    // Typed values come back into the form; a huge one (or a huge form) is not
                    // kept in the session.
                    values: values
                        .iter()
                        .filter(|(k, _)| !k.contains("password"))
                        .map(|(k, v)| (k.clone(), v.chars().take(REFILL_MAX).collect::<String>()))
                        .take_while(|(_, v)| {
                            total += v.len();
                            total <= REFILL_TOTAL_MAX
                        })
                        .collect(),
                    errors: e.field_errors(),
                    effect: None,
                },
            )
            .await;
            Redirect::to(to).into_response()
        }
    }
}

/// A posted form read twice: as its typed input, and as the pairs it sent (in order, repeated
/// names kept) so that a refused form comes back exactly as it was filled in.
pub(crate) struct Posted<T> {
    /// The typed input.
    pub input: T,
    /// Every (name, value) sent.
    pub pairs: Vec<(String, String)>,
}

impl<S: Send + Sync, T: serde::de::DeserializeOwned> axum::extract::FromRequest<S> for Posted<T> {
    type Rejection = Response;

    async fn from_request(req: axum::extract::Request, state: &S) -> Result<Self, Self::Rejection> {
        let axum::extract::RawForm(bytes) =
            <axum::extract::RawForm as axum::extract::FromRequest<S>>::from_request(req, state)
                .await
                .map_err(IntoResponse::into_response)?;
        let bad = |_| (StatusCode::UNPROCESSABLE_ENTITY, "The form could not be read.").into_response();
        let pairs = serde_urlencoded::from_bytes(&bytes).map_err(bad)?;
        let input = serde_urlencoded::from_bytes(&bytes).map_err(bad)?;
        Ok(Posted { input, pairs })
    }
}

/// The signed-in viewer; a request without one is sent to the sign-in page. (The access layer
/// already refused anonymous requests to these paths; this keeps each handler honest.)
pub struct SignedIn(pub Viewer);

impl<S: Send + Sync> axum::extract::FromRequestParts<S> for SignedIn {
    type Rejection = Redirect;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        _: &S,
    ) -> Result<Self, Self::Rejection> {
        parts
            .extensions
            .get::<CurrentViewer>()
            .and_then(|c| c.0.clone())
            .map(SignedIn)
            .ok_or_else(|| Redirect::to("/login"))
    }
}

/// A path on our own origin, safe to redirect to after sign-in (`?next=`).
///
/// It must start with one `/`, hold only the characters of a URL path and query (no control
/// characters or whitespace, which browsers strip, turning `/\t/evil.example` into
/// `//evil.example`; no backslash, which they read as `/`), contain no `//`, and resolve against
/// any base to that base's origin. Form actions are not targets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocalPath(String);

impl LocalPath {
    /// The path, or `None` when it is not a safe local path.
    pub fn parse(next: &str) -> Option<LocalPath> {
        let path_char = |c: char| c.is_ascii_alphanumeric() || "-._~%!$&'()*+,;=:@/?".contains(c);
        let ok = next.starts_with('/')
            && next.len() <= 2000
            && next.chars().all(path_char)
            && !next.contains("//")
            && !next.starts_with("/actions/");
        if !ok {
            return None;
        }
        let base = url::Url::parse("https://origin.invalid/").ok()?;
        let joined = base.join(next).ok()?;
        (joined.origin() == base.origin() && joined.path().starts_with('/'))
            .then(|| LocalPath(next.to_string()))
    }

    /// The path.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// `next` if it is a safe local path ([`LocalPath`]), else `/`.
pub fn local_next(next: &str) -> String {
    LocalPath::parse(next).map_or_else(|| "/".to_string(), |p| p.0)
}

async fn start_session(
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

#[derive(Deserialize)]
struct CodeForm {
    #[serde(default)]
    code: String,
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

#[derive(Deserialize)]
struct SwitchForm {
    #[serde(default)]
    workspace_id: String,
}

async fn switch_workspace(SignedIn(v): SignedIn, session: Session, Form(f): Form<SwitchForm>) -> Response {
    let Some(ws) = v.workspaces.iter().find(|w| w.id == f.workspace_id) else {
        return Page(AppError::NotFound).into_response();
    };
    let _ = session.insert(skeys::WORKSPACE, &ws.id).await;
    done(&session, "/", format!("Switched to {}.", ws.name)).await
}

#[derive(Deserialize)]
struct NewWorkspaceForm {
    #[serde(default)]
    workspace: String,
}

async fn create_workspace(
    State(b): State<Backend>,
    SignedIn(v): SignedIn,
    session: Session,
    Form(f): Form<NewWorkspaceForm>,
) -> Response {
    match accounts::create_workspace(&b, &v, &f.workspace).await {
        Ok(ws) => {
            let _ = session.insert(skeys::WORKSPACE, &ws).await;
            done(&session, "/", format!("Workspace {} created; you are its owner.", f.workspace.trim())).await
        }
        Err(e) => failed(&session, "/settings", "workspace", e, &[("workspace", f.workspace.as_str())]).await,
    }
}

#[derive(Deserialize)]
struct InviteForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    role: String,
}

async fn invite(
    State(b): State<Backend>,
    SignedIn(v): SignedIn,
    session: Session,
    Form(f): Form<InviteForm>,
) -> Response {
    match accounts::invite(&b, &v, &f.email, &f.role).await {
        Ok(()) => {
            done(&session, "/members", format!("Invitation sent to {}.", f.email.trim().to_lowercase())).await
        }
        Err(e) => {
            failed(
                &session,
                "/members",
                "invite",
                e,
                &[("email", f.email.as_str()), ("role", f.role.as_str())],
            )
            .await
        }
    }
}

#[derive(Deserialize)]
struct MemberForm {
    #[serde(default)]
    user_id: String,
    #[serde(default)]
    role: String,
}

async fn change_role(
    State(b): State<Backend>,
    SignedIn(v): SignedIn,
    session: Session,
    Form(f): Form<MemberForm>,
) -> Response {
    match accounts::change_role(&b, &v, &f.user_id, &f.role).await {
        Ok(()) => done(&session, "/members", "Role changed.").await,
        Err(e) => failed(&session, "/members", "role", e, &[]).await,
    }
}

async fn remove_member(
    State(b): State<Backend>,
    SignedIn(v): SignedIn,
    session: Session,
    Form(f): Form<MemberForm>,
) -> Response {
    match accounts::remove_member(&b, &v, &f.user_id).await {
        Ok(()) if f.user_id == v.user_id => done(&session, "/", "You left the workspace.").await,
        Ok(()) => done(&session, "/members", "Member removed. Their access ended at once.").await,
        Err(e) => failed(&session, "/members", "remove", e, &[]).await,
    }
}

#[derive(Deserialize)]
struct IdForm {
    #[serde(default)]
    id: String,
}

async fn revoke_invitation(
    State(b): State<Backend>,
    SignedIn(v): SignedIn,
    session: Session,
    Form(f): Form<IdForm>,
) -> Response {
    match accounts::revoke_invitation(&b, &v, &f.id).await {
        Ok(()) => done(&session, "/members", "Invitation revoked: its link no longer works.").await,
        Err(e) => failed(&session, "/members", "revoke", e, &[]).await,
    }
}

#[derive(Deserialize)]
struct SettingsForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    require_2fa: String,
}

async fn settings(
    State(b): State<Backend>,
    SignedIn(v): SignedIn,
    session: Session,
    Form(f): Form<SettingsForm>,
) -> Response {
    match accounts::update_workspace(&b, &v, &f.name, f.require_2fa == "on").await {
        Ok(()) => done(&session, "/settings", "Settings saved.").await,
        Err(e) => failed(&session, "/settings", "settings", e, &[("name", f.name.as_str())]).await,
    }
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
    match accounts::disable_totp(&b, &v, Secret::new(f.password.clone())).await {
        Ok(()) => done(&session, "/account", "Two-factor sign-in is off.").await,
        Err(e) => failed(&session, "/account", "2fa-off", e, &[]).await,
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn next_is_local_only() {
        use super::local_next;
        assert_eq!(local_next("/members"), "/members");
        assert_eq!(local_next("/services/abc?as_of=2026-01-01"), "/services/abc?as_of=2026-01-01");
        for bad in [
            "//evil.example",
            "https://evil.example",
            "/\\evil.example",
            "",
            "/\t/evil.example/",
            "/\n/evil.example",
            "/ /evil.example",
            "/a//evil.example",
            "/actions/logout",
            "members",
            "/\u{3000}/evil.example",
        ] {
            assert_eq!(local_next(bad), "/", "{bad:?}");
        }
    }
}
