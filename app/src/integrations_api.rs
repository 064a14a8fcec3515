//! Server function of the Integrations page and the types it returns (never a token).

use crate::api::UiError;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

/// One connected Fly.io org as the page shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IntegrationRow {
    /// Id.
    pub id: String,
    /// Org slug.
    pub org: String,
    /// `new`, `ok`, `token-refused`, `failing`.
    pub state: String,
    /// What people read for the state.
    pub state_label: String,
    /// Error class and message, when failing.
    pub error: Option<String>,
    /// Last attempt (formatted), or "never".
    pub last_run: String,
    /// Last sync that applied (formatted), or "never".
    pub last_good: String,
    /// Next scheduled attempt (formatted).
    pub next_attempt: String,
    /// Faults in a row.
    pub failures: i64,
    /// When the token was set (formatted) and by whom the org was connected.
    pub token_set: String,
    /// The last applied plan: counts.
    pub plan_counts: Option<String>,
    /// Its creates and changes, one per line.
    pub plan_changes: Vec<String>,
    /// Its unmapped notes.
    pub plan_notes: Vec<String>,
    /// Records the API no longer shows: "kind id: not seen since ...".
    pub not_seen: Vec<String>,
}

/// The Integrations page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IntegrationsData {
    /// Whether the viewer may manage integrations (owners).
    pub can_manage: bool,
    /// Whether BAA_SECRET_KEY is set (else connecting is refused, with how to set it).
    pub key_configured: bool,
    /// What to do without the key.
    pub missing_key: String,
    /// Minutes between scheduled syncs.
    pub sync_minutes: i64,
    /// The workspace's orgs.
    pub integrations: Vec<IntegrationRow>,
}

/// Loads the Integrations page.
#[server(endpoint = "integrations_page")]
pub async fn integrations_page() -> Result<IntegrationsData, UiError> {
    use baa_backend::clock::fmt_ts;
    use baa_backend::integrations as i;
    let (b, v) = crate::ssr::context().await?;
    let can_manage = v.can(baa_core::account::Permission::ManageSettings);
    let key_configured = b.config.secret_key.is_some();
    let missing_key = i::MISSING_KEY.replace(" Nothing was stored.", "");
    if !can_manage {
        return Ok(IntegrationsData {
            can_manage,
            key_configured,
            missing_key,
            sync_minutes: i::DEFAULT_SYNC_MINUTES,
            integrations: Vec::new(),
        });
    }
    let sync_minutes = i::sync_minutes(&b, &v.workspace_id).await?;
    let never = || "never".to_string();
    let integrations = i::list(&b, &v)
        .await?
        .into_iter()
        .map(|x| {
            let plan = x.last_plan.clone();
            IntegrationRow {
                id: x.id.clone(),
                org: x.org.clone(),
                state: serde_json::to_value(x.state)
                    .ok()
                    .and_then(|s| s.as_str().map(str::to_owned))
                    .unwrap_or_default(),
                state_label: x.state.label().to_string(),
                error: match (&x.error_class, &x.error_message) {
                    (Some(c), Some(m)) => Some(format!("{c}: {m}")),
                    (Some(c), None) => Some(c.clone()),
                    _ => None,
                },
                last_run: x.last_run_at.map_or_else(never, fmt_ts),
                last_good: x.last_good_at.map_or_else(never, fmt_ts),
                next_attempt: fmt_ts(x.next_attempt_at),
                failures: x.consecutive_failures,
                token_set: format!("{} (connected by {})", fmt_ts(x.token_set_at), x.created_by),
                plan_counts: plan.as_ref().map(|p| {
                    format!(
                        "{} apps and {} add-ons seen: {} created, {} updated, {} not seen, {} notices",
                        p.apps_seen,
                        p.add_ons_seen,
                        p.created,
                        p.updated,
                        p.absent.len(),
                        p.notices
                    )
                }),
                plan_changes: plan.as_ref().map(|p| p.changes.clone()).unwrap_or_default(),
                plan_notes: plan.as_ref().map(|p| p.unmapped.clone()).unwrap_or_default(),
                not_seen: x
                    .not_seen
                    .iter()
                    .map(|n| {
                        format!(
                            "{} {}: not seen since {} (missing from {}); kept, not removed",
                            n.kind,
                            n.id,
                            n.last_seen_at.map_or_else(never, fmt_ts),
                            fmt_ts(n.missing_since)
                        )
                    })
                    .collect(),
            }
        })
        .collect();
    Ok(IntegrationsData { can_manage, key_configured, missing_key, sync_minutes, integrations })
}
