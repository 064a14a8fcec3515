//! Notifications as people see them: kinds of notice and the views of the notifications page.
//! Storage and delivery live in the backend (`baa_backend::notify`).

use serde::{Deserialize, Serialize};

/// Kinds of notice a person can choose how to receive.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Kind {
    /// A service ends uncovered after it was added or changed.
    UncoveredService,
    /// A plan or add-on change made a covered service ineligible.
    PlanIneligible,
    /// An agreement entered an expiry reminder window, or expires today.
    AgreementExpiry,
    /// A signed document was uploaded to an agreement.
    DocumentUploaded,
    /// A Fly.io integration stopped working (its token was refused).
    IntegrationFailing,
}

impl Kind {
    /// Every kind, in the order the preferences page shows them.
    pub const ALL: [Kind; 5] = [
        Kind::UncoveredService,
        Kind::PlanIneligible,
        Kind::AgreementExpiry,
        Kind::DocumentUploaded,
        Kind::IntegrationFailing,
    ];

    /// Stable name (stored, and in webhook payloads).
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::UncoveredService => "uncovered-service",
            Kind::PlanIneligible => "plan-ineligible",
            Kind::AgreementExpiry => "agreement-expiry",
            Kind::DocumentUploaded => "document-uploaded",
            Kind::IntegrationFailing => "integration-failing",
        }
    }

    /// Parses a stored name.
    pub fn parse(s: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.as_str() == s)
    }

    /// What people read on the preferences page.
    pub fn label(self) -> &'static str {
        match self {
            Kind::UncoveredService => "A service I or others added or changed is not covered",
            Kind::PlanIneligible => "A plan or add-on change made a covered service ineligible",
            Kind::AgreementExpiry => "An agreement is about to expire (reminder windows) or expires today",
            Kind::DocumentUploaded => "A signed document was uploaded (owners)",
            Kind::IntegrationFailing => "A Fly.io integration's token stopped working (owners)",
        }
    }
}

/// A notice in a person's list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NoticeView {
    /// Id.
    pub id: String,
    /// Kind (stable name).
    pub kind: String,
    /// One line.
    pub title: String,
    /// What happened.
    pub body: String,
    /// What to do next.
    pub next_step: String,
    /// Path in the app.
    pub link: String,
    /// When (formatted).
    pub at: String,
    /// Whether it was read.
    pub read: bool,
}

/// One row of the preferences form.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PreferenceView {
    /// Kind (stable name).
    pub kind: String,
    /// What it is.
    pub label: String,
    /// In the app.
    pub in_app: bool,
    /// By mail.
    pub email: bool,
}

/// A delivery (mail or webhook call) as owners see it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeliveryView {
    /// Id (for retry).
    pub id: String,
    /// `mail` or `webhook`.
    pub channel: String,
    /// Kind of message (`invitation`, `notice`, `uncovered-service`...).
    pub kind: String,
    /// Recipient address (mail) or "workspace webhook".
    pub to: String,
    /// Subject (mail) or kind (webhook).
    pub subject: String,
    /// pending, sent or failed.
    pub state: String,
    /// Attempts so far.
    pub attempts: i64,
    /// Why the last attempt failed.
    pub last_error: Option<String>,
    /// When it was queued.
    pub at: String,
}
