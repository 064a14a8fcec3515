//! Scoped API tokens per workspace, for the REST API and CI.
//!
//! A token is `baa_` followed by 32 random bytes (URL-safe base64). Only its SHA-256 is stored;
//! the token is returned once, when it is made. Owners make, list and revoke tokens. A request
//! with a valid token acts as a synthetic [`Viewer`] named `token: NAME` (so the audit trail and
//! record history say which token did what) whose role follows the scope: `read` reads like an
//! auditor, `write:inventory` also changes orgs, apps, services and imports like an engineer.
//!
//! A token lives no longer than its maker's standing: it works only while the owner who made it
//! is still an owner of the workspace (checked on every request), and removing or demoting that
//! owner also revokes their tokens, so the tokens page shows it.

use crate::audit::Event;
use crate::authz::authorize;
use crate::db::new_id;
use crate::error::{on_unique, AppError, AppResult};
use crate::secret::{new_token, token_digest, Secret};
use crate::Backend;
use baa_core::account::{Permission, Role, Viewer};
use serde::{Deserialize, Serialize};
use sqlx::Row;

/// Every token starts with this, so secret scanners and people can recognise one.
pub const TOKEN_PREFIX: &str = "baa_";

/// `last_used_at` is written at most this often per token (seconds), to keep reads cheap.
pub const LAST_USED_GRANULARITY: i64 = 60;

/// What a token may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Scope {
    /// Read everything in the workspace.
    #[serde(rename = "read")]
    Read,
    /// Read, and change the inventory (orgs, apps, services, imports).
    #[serde(rename = "write:inventory")]
    WriteInventory,
}

impl Scope {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Scope::Read => "read",
            Scope::WriteInventory => "write:inventory",
        }
    }

    /// Parses the stored or typed name.
    pub fn parse(s: &str) -> AppResult<Scope> {
        match s.trim() {
            "read" => Ok(Scope::Read),
            "write:inventory" => Ok(Scope::WriteInventory),
            _ => Err(AppError::invalid("scope", "choose read or write:inventory")),
        }
    }

    /// The role a token of this scope acts with.
    pub fn role(self) -> Role {
        match self {
            Scope::Read => Role::Auditor,
            Scope::WriteInventory => Role::Engineer,
        }
    }
}

/// A token as the tokens page lists it (never the token itself).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenView {
    /// Token id.
    pub id: String,
    /// Name given by the owner.
    pub name: String,
    /// `read` or `write:inventory`.
    pub scope: String,
    /// The first characters of the token, to recognise it.
    pub prefix: String,
    /// Who made it.
    pub created_by: String,
    /// When (formatted).
    pub created_at: String,
    /// Last use (formatted), if any.
    pub last_used_at: Option<String>,
    /// When it was revoked (formatted), if it was.
    pub revoked_at: Option<String>,
}

fn check_name(name: &str) -> AppResult<String> {
    let n = name.trim();
    if n.is_empty() || n.chars().count() > 60 {
        return Err(AppError::invalid(
            "name",
            "give the token a name of 1 to 60 characters, such as ci-deploy",
        ));
    }
    if !n.chars().all(|c| c.is_ascii_alphanumeric() || "-_. ".contains(c)) {
        return Err(AppError::invalid("name", "use letters, digits, spaces, dots, dashes and underscores"));
    }
    Ok(n.to_string())
}

/// Makes a token for the viewer's workspace (owners only). Returns its listing and the token,
/// which is not stored and cannot be shown again.
pub async fn create(b: &Backend, v: &Viewer, name: &str, scope: &str) -> AppResult<(TokenView, Secret)> {
    authorize(v, Permission::ManageSettings)?;
    let name = check_name(name)?;
    let scope = Scope::parse(scope)?;
    let token = Secret::new(format!("{TOKEN_PREFIX}{}", new_token().expose()));
    let prefix: String = token.expose().chars().take(TOKEN_PREFIX.len() + 6).collect();
    let id = new_id();
    let now = b.clock.now();
    let mut tx = b.db.begin_write().await?;
    sqlx::query(
        "INSERT INTO api_tokens (id, workspace_id, name, scope, token_hash, prefix, created_by, created_by_name, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(&id)
    .bind(&v.workspace_id)
    .bind(&name)
    .bind(scope.as_str())
    .bind(token_digest(token.expose()))
    .bind(&prefix)
    .bind(&v.user_id)
    .bind(&v.name)
    .bind(now)
    .execute(&mut *tx)
    .await
    .map_err(on_unique("name", "an active token already has this name; revoke it or choose another"))?;
    Event::by(v, "api_token.created", ("api_token", &id, &name))
        .after(serde_json::json!({"name": name, "scope": scope.as_str(), "prefix": prefix}))
        .record(&mut tx, now)
        .await?;
    tx.commit().await?;
    let view = TokenView {
        id,
        name,
        scope: scope.as_str().into(),
        prefix,
        created_by: v.name.clone(),
        created_at: crate::clock::fmt_ts(now),
        last_used_at: None,
        revoked_at: None,
    };
    Ok((view, token))
}

/// The workspace's tokens, active first, newest first (owners only).
pub async fn list(b: &Backend, v: &Viewer) -> AppResult<Vec<TokenView>> {
    authorize(v, Permission::ManageSettings)?;
    let rows = sqlx::query(
        "SELECT id, name, scope, prefix, created_by_name, created_at, last_used_at, revoked_at FROM api_tokens \
         WHERE workspace_id = $1 ORDER BY CASE WHEN revoked_at IS NULL THEN 0 ELSE 1 END, created_at DESC, id",
    )
    .bind(&v.workspace_id)
    .fetch_all(&b.db.pool)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(TokenView {
                id: r.try_get("id")?,
                name: r.try_get("name")?,
                scope: r.try_get("scope")?,
                prefix: r.try_get("prefix")?,
                created_by: r.try_get("created_by_name")?,
                created_at: crate::clock::fmt_ts(r.try_get("created_at")?),
                last_used_at: r.try_get::<Option<i64>, _>("last_used_at")?.map(crate::clock::fmt_ts),
                revoked_at: r.try_get::<Option<i64>, _>("revoked_at")?.map(crate::clock::fmt_ts),
            })
        })
        .collect()
}

/// Revokes a token of the viewer's workspace (owners only); it stops working at once.
pub async fn revoke(b: &Backend, v: &Viewer, id: &str) -> AppResult<()> {
    authorize(v, Permission::ManageSettings)?;
    let now = b.clock.now();
    let mut tx = b.db.begin_write().await?;
    let row =
        sqlx::query("SELECT name FROM api_tokens WHERE id = $1 AND workspace_id = $2 AND revoked_at IS NULL")
            .bind(id)
            .bind(&v.workspace_id)
            .fetch_optional(&mut *tx)
            .await?
            .ok_or(AppError::NotFound)?;
    let name: String = row.try_get("name")?;
    sqlx::query("UPDATE api_tokens SET revoked_at = $1 WHERE id = $2 AND workspace_id = $3")
        .bind(now)
        .bind(id)
        .bind(&v.workspace_id)
        .execute(&mut *tx)
        .await?;
    Event::by(v, "api_token.revoked", ("api_token", id, &name)).record(&mut tx, now).await?;
    tx.commit().await?;
    Ok(())
}

/// The viewer a bearer token acts as, or `Unauthenticated` when the token is unknown or
/// revoked. Records the use (at most once a minute per token).
pub async fn authenticate(b: &Backend, token: &str, source: &str) -> AppResult<Viewer> {
    let token = token.trim();
    if !token.starts_with(TOKEN_PREFIX) || token.len() > 200 {
        return Err(AppError::Unauthenticated);
    }
    // The maker must still be an owner of the workspace: a token never outlives their access.
    let row = sqlx::query(
        "SELECT t.id, t.name, t.scope, t.last_used_at, w.id AS workspace_id, w.name AS workspace_name \
         FROM api_tokens t JOIN workspaces w ON w.id = t.workspace_id \
         JOIN memberships m ON m.workspace_id = t.workspace_id AND m.user_id = t.created_by AND m.role = 'owner' \
         WHERE t.token_hash = $1 AND t.revoked_at IS NULL",
    )
    .bind(token_digest(token))
    .fetch_optional(&b.db.pool)
    .await?
    .ok_or(AppError::Unauthenticated)?;
    let id: String = row.try_get("id")?;
    let scope = Scope::parse(&row.try_get::<String, _>("scope")?)?;
    let now = b.clock.now();
    let last: Option<i64> = row.try_get("last_used_at")?;
    if last.is_none_or(|t| now - t >= LAST_USED_GRANULARITY) {
        sqlx::query("UPDATE api_tokens SET last_used_at = $1 WHERE id = $2")
            .bind(now)
            .bind(&id)
            .execute(&b.db.pool)
            .await?;
    }
    Ok(Viewer {
        user_id: format!("token:{id}"),
        name: format!("token: {}", row.try_get::<String, _>("name")?),
        email: String::new(),
        workspace_id: row.try_get("workspace_id")?,
        workspace_name: row.try_get("workspace_name")?,
        role: scope.role(),
        totp_enabled: false,
        workspace_requires_2fa: false,
        workspaces: Vec::new(),
        source: source.to_string(),
    })
}

/// Revokes every active token `user_id` made in the viewer's workspace (they left it or are no
/// longer an owner), each with its audit entry, inside the caller's transaction.
pub async fn end_tokens_of(
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    now: i64,
    v: &Viewer,
    user_id: &str,
    why: &str,
) -> AppResult<usize> {
    let rows = sqlx::query(
        "SELECT id, name FROM api_tokens WHERE workspace_id = $1 AND created_by = $2 AND revoked_at IS NULL",
    )
    .bind(&v.workspace_id)
    .bind(user_id)
    .fetch_all(&mut **tx)
    .await?;
    for r in &rows {
        let id: String = r.try_get("id")?;
        let name: String = r.try_get("name")?;
        sqlx::query("UPDATE api_tokens SET revoked_at = $1 WHERE id = $2")
            .bind(now)
            .bind(&id)
            .execute(&mut **tx)
            .await?;
        Event::by(v, "api_token.revoked", ("api_token", &id, &name))
            .after(serde_json::json!({"reason": why}))
            .record(tx, now)
            .await?;
    }
    Ok(rows.len())
}

/// Whether a viewer is a token rather than a person.
pub fn is_token(v: &Viewer) -> bool {
    v.user_id.starts_with("token:")
}
