//! The one authorization check every backend function makes first: the viewer's role must allow
//! the permission (the table is `baa_core::account::Role::allows`). A leaf, so features and
//! storage use it without importing each other.

use crate::error::{AppError, AppResult};
use baa_core::account::{Permission, Viewer};

/// Refuses unless the viewer's role allows `p`: the single access check used by pages, server
/// functions and API routes.
pub fn authorize(viewer: &Viewer, p: Permission) -> AppResult<()> {
    if viewer.can(p) {
        Ok(())
    } else {
        Err(AppError::Forbidden(format!(
            "Your role ({}) cannot do this. Ask an owner of {} if you need it.",
            viewer.role.label(),
            viewer.workspace_name
        )))
    }
}
