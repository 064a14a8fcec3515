//! The audit trail page's data: entries, the chain check and the filter's choices.
// The server function takes the page's URL values one argument each, as its GET form sends
// them (the generated client and server functions carry the same argument list).
#![allow(clippy::too_many_arguments)]

use crate::api::UiError;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

/// One audit entry as the page lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditRow {
    /// Position in the chain.
    pub seq: i64,
    /// When (formatted).
    pub when: String,
    /// Who.
    pub actor: String,
    /// Action.
    pub action: String,
    /// Subject (kind and name).
    pub subject: String,
    /// Source address.
    pub source: String,
    /// Entry hash.
    pub hash: String,
    /// The subject's page, when it has one.
    #[serde(default)]
    pub link: Option<String>,
    /// The reason recorded with the change, if any.
    #[serde(default)]
    pub reason: Option<String>,
    /// The fields that changed: (field, before, after), values as compact JSON.
    #[serde(default)]
    pub changes: Vec<(String, String, String)>,
}

/// Page size of the audit trail.
pub const AUDIT_PAGE: i64 = 50;

/// Chain check result.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditCheck {
    /// Entries checked.
    pub entries: i64,
    /// Chain head hash.
    pub head: String,
    /// First broken entry and why.
    pub broken_at: Option<(i64, String)>,
}

/// The audit page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditView {
    /// Matching entries, newest first unless `oldest_first`.
    pub entries: Vec<AuditRow>,
    /// Whole-chain verification.
    pub verification: AuditCheck,
    /// The filter as given (actor, subject, action, from, to).
    pub filter: [String; 5],
    /// The subject kind chosen (empty: any).
    #[serde(default)]
    pub kind: String,
    /// Values to choose from in the filter.
    #[serde(default)]
    pub choices: AuditChoices,
    /// The page shown (1 is the first in the chosen order).
    #[serde(default)]
    pub page: u32,
    /// Whether more entries match beyond this page (older ones, or newer ones when oldest first).
    #[serde(default)]
    pub more: bool,
    /// Whether the entries are shown oldest first.
    #[serde(default)]
    pub oldest_first: bool,
}

/// The values the audit filter offers: actors, actions and subject kinds present in the chain.
pub use baa_core::audit::AuditChoices;

/// The page of a subject of the audit trail, when it has one.
#[cfg(feature = "ssr")]
fn subject_link(kind: &str, id: &str) -> Option<String> {
    // Ids are generated (letters, digits, dashes); anything else gets no link rather than a
    // link built from unescaped text.
    if id.is_empty() || !id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_') {
        return None;
    }
    match kind {
        "service" => Some(format!("/services/{id}")),
        "agreement" => Some(format!("/agreements/{id}")),
        "org" | "app" => Some("/inventory".into()),
        "party" | "vendor" => Some("/agreements".into()),
        "user" => Some("/members".into()),
        "workspace" | "policy" => Some("/settings".into()),
        "packet" => Some("/packets".into()),
        "import" => Some("/import".into()),
        "api_token" => Some("/tokens".into()),
        "integration" => Some("/integrations".into()),
        "delivery" => Some("/notifications".into()),
        _ => None,
    }
}

/// What changed between an entry's before and after, field by field. Record changes keep the
/// new value under `data` (with `reason` and `effective_on` beside it).
#[cfg(feature = "ssr")]
fn audit_changes(before: &serde_json::Value, after: &serde_json::Value) -> Vec<(String, String, String)> {
    use serde_json::Value;
    let after = after.get("data").unwrap_or(after);
    let empty = serde_json::Map::new();
    let (b, a) = match (before, after) {
        (Value::Object(b), Value::Object(a)) => (b, a),
        (Value::Null, Value::Object(a)) => (&empty, a),
        (Value::Object(b), Value::Null) => (b, &empty),
        (Value::Null, Value::Null) => return Vec::new(),
        (b, a) => return vec![(String::new(), b.to_string(), a.to_string())],
    };
    let mut keys: Vec<&String> = b.keys().chain(a.keys()).collect();
    keys.sort();
    keys.dedup();
    let show = |v: Option<&Value>| match v {
        None | Some(Value::Null) => "—".to_string(),
        Some(Value::String(s)) => s.clone(),
        Some(v) => v.to_string(),
    };
    keys.into_iter()
        .filter(|k| b.get(*k) != a.get(*k))
        .map(|k| (k.clone(), show(b.get(k)), show(a.get(k))))
        .collect()
}

/// Loads the audit page: entries matching the filter (actor, subject, action, from, to, kind),
/// page `page` of them in `order` (`"oldest"` for the chain's order, else newest first).
#[server(endpoint = "audit_data")]
pub async fn audit_data(
    actor: String,
    subject: String,
    action: String,
    from: String,
    to: String,
    #[server(default)] kind: String,
    #[server(default)] page: u32,
    #[server(default)] order: String,
) -> Result<AuditView, UiError> {
    let (b, v) = crate::ssr::context().await?;
    let oldest_first = order == "oldest";
    let filter = baa_backend::audit::Filter {
        actor: actor.clone(),
        subject: subject.clone(),
        action: action.clone(),
        from: from.clone(),
        to: to.clone(),
        kind: kind.clone(),
        oldest_first,
    };
    let page = page.max(1);
    // One more than a page tells whether there is a next one.
    let mut entries =
        baa_backend::audit::list(&b, &v, &filter, AUDIT_PAGE + 1, (i64::from(page) - 1) * AUDIT_PAGE).await?;
    let more = entries.len() as i64 > AUDIT_PAGE;
    entries.truncate(AUDIT_PAGE as usize);
    let check = baa_backend::audit::verify(&b, &v).await?;
    let c = baa_backend::audit::choices(&b, &v).await?;
    Ok(AuditView {
        entries: entries
            .into_iter()
            .map(|e| AuditRow {
                seq: e.seq,
                when: baa_backend::clock::fmt_ts(e.at),
                link: subject_link(&e.subject_kind, &e.subject_id),
                reason: e
                    .after
                    .get("reason")
                    .and_then(|r| r.as_str())
                    .filter(|r| !r.is_empty())
                    .map(str::to_string),
                changes: audit_changes(&e.before, &e.after),
                actor: e.actor_name,
                action: e.action,
                subject: format!("{} {}", e.subject_kind, e.subject_name),
                source: e.source,
                hash: e.hash,
            })
            .collect(),
        verification: AuditCheck { entries: check.entries, head: check.head, broken_at: check.broken_at },
        filter: [actor, subject, action, from, to],
        kind,
        choices: c,
        page,
        more,
        oldest_first,
    })
}
