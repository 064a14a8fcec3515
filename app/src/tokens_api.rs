//! The server function of the API tokens page, and the types it returns.

use crate::api::UiError;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

/// Session key of a token just made, shown once by the tokens page.
pub const NEW_TOKEN_KEY: &str = "new_api_token";

/// One API token as the tokens page lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenRow {
    /// Id.
    pub id: String,
    /// Name.
    pub name: String,
    /// Scope.
    pub scope: String,
    /// First characters.
    pub prefix: String,
    /// Who made it.
    pub created_by: String,
    /// When.
    pub created_at: String,
    /// Last use.
    pub last_used_at: Option<String>,
    /// When revoked.
    pub revoked_at: Option<String>,
}

/// The API tokens page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokensData {
    /// Whether the viewer may make and revoke tokens (owners).
    pub can_manage: bool,
    /// The workspace's tokens.
    pub tokens: Vec<TokenRow>,
    /// A token just made: shown this once.
    pub new_token: Option<String>,
}

/// Loads the API tokens page (and takes the one-time display of a token just made).
#[server(endpoint = "tokens_page")]
pub async fn tokens_page() -> Result<TokensData, UiError> {
    let (b, v) = crate::ssr::context().await?;
    let can_manage = v.can(baa_core::account::Permission::ManageSettings);
    if !can_manage {
        return Ok(TokensData { can_manage, tokens: Vec::new(), new_token: None });
    }
    let tokens = baa_backend::api_tokens::list(&b, &v)
        .await?
        .into_iter()
        .map(|t| TokenRow {
            id: t.id,
            name: t.name,
            scope: t.scope,
            prefix: t.prefix,
            created_by: t.created_by,
            created_at: t.created_at,
            last_used_at: t.last_used_at,
            revoked_at: t.revoked_at,
        })
        .collect();
    let new_token = match leptos_axum::extract::<tower_sessions::Session>().await {
        Ok(s) => s.remove::<String>(NEW_TOKEN_KEY).await.ok().flatten(),
        Err(_) => None,
    };
    Ok(TokensData { can_manage, tokens, new_token })
}
