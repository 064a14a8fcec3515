//! The workspace itself: its name, its two-factor rule, and new workspaces.

use super::*;

/// Updates the workspace name and its 2FA requirement.
pub async fn update_workspace(b: &Backend, v: &Viewer, name: &str, require_2fa: bool) -> AppResult<()> {
    authorize(v, Permission::ManageSettings)?;
    let name = check_display_name("name", name)?;
    let mut tx = b.db.begin_write().await?;
    sqlx::query("UPDATE workspaces SET name = $1, require_2fa = $2 WHERE id = $3")
        .bind(&name)
        .bind(i64::from(require_2fa))
        .bind(&v.workspace_id)
        .execute(&mut *tx)
        .await?;
    audit_ws(
        &mut tx,
        b.clock.now(),
        v,
        "settings.changed",
        "workspace",
        &v.workspace_id,
        &name,
        serde_json::json!({"name": v.workspace_name, "require_2fa": v.workspace_requires_2fa}),
        serde_json::json!({"name": name, "require_2fa": require_2fa}),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Whether the viewer may start another workspace, by the instance's `WORKSPACE_CREATORS`.
pub fn may_create_workspace(b: &Backend, v: &Viewer) -> AppResult<()> {
    use crate::config::WorkspaceCreators;
    let allowed = match b.config.workspace_creators {
        WorkspaceCreators::Anyone => true,
        WorkspaceCreators::Owners => v.workspaces.iter().any(|w| w.role == Role::Owner),
        WorkspaceCreators::Nobody => false,
    };
    if allowed {
        Ok(())
    } else {
        Err(AppError::Forbidden(match b.config.workspace_creators {
            WorkspaceCreators::Nobody => {
                "New workspaces are not started from the app on this instance; ask its administrator.".into()
            }
            _ => {
                "Only people who own a workspace can start another one on this instance; ask an owner.".into()
            }
        }))
    }
}

/// Creates a new workspace with the viewer as its owner (for people who serve several
/// companies); returns its id.
pub async fn create_workspace(b: &Backend, v: &Viewer, name: &str) -> AppResult<String> {
    may_create_workspace(b, v)?;
    let name = check_display_name("workspace", name)?;
    let now = b.clock.now();
    let ws = new_id();
    let mut tx = b.db.begin_write().await?;
    sqlx::query("INSERT INTO workspaces (id, name, require_2fa, created_at) VALUES ($1, $2, 0, $3)")
        .bind(&ws)
        .bind(&name)
        .bind(now)
        .execute(&mut *tx)
        .await?;
    add_member(&mut tx, &ws, &v.user_id, Role::Owner, now).await?;
    Event::new(&ws, &Actor::of(v), "workspace.created", ("workspace", &ws, &name))
        .after(serde_json::json!({"name": name, "owner": v.email}))
        .record(&mut tx, now)
        .await?;
    tx.commit().await?;
    Ok(ws)
}
