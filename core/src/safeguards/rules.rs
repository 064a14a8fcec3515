//! The safeguard rules: ids, severities and titles.

use serde::{Deserialize, Serialize};

use crate::coverage::{RuleId, Severity};

/// A platform safeguard rule; serializes to its kebab-case id. Kept apart from the coverage
/// engine's [`RuleId`] so the two can be merged into one report by whoever owns it;
/// `environment-mixed` has the same id (and severity) as the engine's rule it extends to
/// fly.toml files. `region-outside-policy` is not here: the engine's rule checks the regions,
/// and [`super::PlatformConfig::primary_region`] is the fact it gets from fly.toml.
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
