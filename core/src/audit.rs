//! What the audit trail's filter offers to choose from (shared by the backend that reads it and
//! the page that shows it).

use serde::{Deserialize, Serialize};

/// The values present in a workspace's audit chain.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditChoices {
    /// Actor names.
    pub actors: Vec<String>,
    /// Actions.
    pub actions: Vec<String>,
    /// Subject kinds.
    pub kinds: Vec<String>,
}
