//! The workspace's safeguard policy: the rules' ids, severities and titles, snapshot retention
//! and approved exceptions. It is part of [`super::Policy`], so it lives with the model; the
//! checks that apply it are in `crate::safeguards`, which re-exports these types.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::coverage::{RuleId, Severity};

/// A platform safeguard rule; serializes to its kebab-case id. Kept apart from the coverage
/// engine's [`RuleId`] so the two can be merged into one report by whoever owns it;
/// `environment-mixed` has the same id (and severity) as the engine's rule it extends to
/// fly.toml files. `region-outside-policy` is not here: the engine's rule checks the regions,
/// and `PlatformConfig::primary_region` is the fact it gets from fly.toml.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum SafeguardRule {
    /// A credential written in fly.toml instead of Fly's secrets manager.
    SecretInConfig,
    /// A PHI app reachable over plain HTTP or TCP without TLS.
    TransportUnencrypted,
    /// A database app with a public port.
    PublicDatabase,
    /// A PHI app's volume without snapshots kept long enough, or Fly Postgres without backups.
    BackupMissing,
    /// A fly.toml whose environment is not its org's, or that names two environments.
    EnvironmentMixed,
}

impl SafeguardRule {
    /// Every rule, most severe first (the order of results for one file).
    pub const ALL: [SafeguardRule; 5] = [
        SafeguardRule::SecretInConfig,
        SafeguardRule::TransportUnencrypted,
        SafeguardRule::PublicDatabase,
        SafeguardRule::BackupMissing,
        SafeguardRule::EnvironmentMixed,
    ];

    /// The kebab-case id (`secret-in-config`).
    pub fn as_str(self) -> &'static str {
        match self {
            SafeguardRule::SecretInConfig => "secret-in-config",
            SafeguardRule::TransportUnencrypted => "transport-unencrypted",
            SafeguardRule::PublicDatabase => "public-database",
            SafeguardRule::BackupMissing => "backup-missing",
            SafeguardRule::EnvironmentMixed => "environment-mixed",
        }
    }

    /// The rule with this id.
    pub fn from_id(id: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.as_str() == id)
    }

    /// The fixed severity of the rule.
    pub fn severity(self) -> Severity {
        match self {
            SafeguardRule::SecretInConfig => Severity::Critical,
            SafeguardRule::TransportUnencrypted | SafeguardRule::PublicDatabase => Severity::High,
            SafeguardRule::BackupMissing => Severity::Medium,
            // The engine's rule of the same id.
            SafeguardRule::EnvironmentMixed => RuleId::EnvironmentMixed.severity(),
        }
    }

    /// A short title for a dashboard row or a packet table.
    pub fn title(self) -> &'static str {
        match self {
            SafeguardRule::SecretInConfig => "Credentials kept out of fly.toml",
            SafeguardRule::TransportUnencrypted => "TLS on every public port",
            SafeguardRule::PublicDatabase => "Databases not publicly reachable",
            SafeguardRule::BackupMissing => "Volume snapshots and database backups",
            SafeguardRule::EnvironmentMixed => "One fly.toml per environment, in its own org",
        }
    }

    /// The coverage engine's rule with the same id, when there is one.
    pub fn coverage_rule(self) -> Option<RuleId> {
        match self {
            SafeguardRule::EnvironmentMixed => Some(RuleId::EnvironmentMixed),
            _ => None,
        }
    }
}

impl std::fmt::Display for SafeguardRule {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Days of volume snapshots a workspace asks for unless its policy says otherwise.
pub const DEFAULT_SNAPSHOT_RETENTION_DAYS: u32 = 7;

/// The workspace's settings for the safeguard checks.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SafeguardPolicy {
    /// Fewest days of volume snapshots a PHI app's volumes must keep.
    #[serde(default = "default_retention")]
    pub snapshot_retention_days: u32,
    /// Approved exceptions.
    #[serde(default)]
    pub exceptions: Vec<SafeguardException>,
}

fn default_retention() -> u32 {
    DEFAULT_SNAPSHOT_RETENTION_DAYS
}

impl Default for SafeguardPolicy {
    fn default() -> Self {
        Self { snapshot_retention_days: DEFAULT_SNAPSHOT_RETENTION_DAYS, exceptions: Vec::new() }
    }
}

/// A failure someone with authority accepted for one app, with the reason. It turns that
/// app's failed (or unverifiable) result of the rule into "passed by exception", listed with
/// the reason, while it is in force.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SafeguardException {
    /// The rule.
    pub rule: SafeguardRule,
    /// The Fly app name.
    pub app: String,
    /// Why the failure is acceptable (a blank reason makes the exception void).
    pub reason: String,
    /// Who approved it (blank: void).
    pub approved_by: String,
    /// The day it was approved; it counts from that day.
    pub approved_on: NaiveDate,
    /// Last day it counts; `None` for open-ended.
    #[serde(default)]
    pub expires_on: Option<NaiveDate>,
}

impl SafeguardException {
    /// Whether the exception has a reason and an approver and counts on `day`.
    pub fn in_force_on(&self, day: NaiveDate) -> bool {
        self.is_complete() && self.approved_on <= day && self.expires_on.is_none_or(|e| day <= e)
    }

    pub(crate) fn is_complete(&self) -> bool {
        !self.reason.trim().is_empty() && !self.approved_by.trim().is_empty()
    }
}
