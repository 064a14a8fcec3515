//! Workspaces and their members: switching and creating workspaces, invitations, roles and the
//! workspace settings.

use super::*;

pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/actions/workspace/switch", post(switch_workspace))
        .route("/actions/workspaces/create", post(create_workspace))
        .route("/actions/members/invite", post(invite))
        .route("/actions/members/role", post(change_role))
        .route("/actions/members/remove", post(remove_member))
        .route("/actions/invitations/revoke", post(revoke_invitation))
        .route("/actions/settings", post(settings))
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
    let outcome = accounts::change_role(&b, &v, &f.user_id, &f.role).await.map(|()| "Role changed.");
    answer(&session, "/members", "role", outcome, &[]).await
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
    let outcome = accounts::revoke_invitation(&b, &v, &f.id)
        .await
        .map(|()| "Invitation revoked: its link no longer works.");
    answer(&session, "/members", "revoke", outcome, &[]).await
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
