//! The input of the coverage engine: a plain, serializable snapshot of everything we know.
//!
//! [`World`] and the workspace [`Policy`] are here; the records they hold are in one file per
//! subject: parties, Fly orgs and apps, services, agreements and their scopes.

mod agreements;
mod fly;
mod parties;
mod safeguard_policy;
mod scope;
mod services;

use serde::{Deserialize, Serialize};

use crate::catalog::Catalog;

pub use agreements::{Agreement, AgreementKind, Clause, ClauseEvidence, Standing, Status, StatusChange};
pub use fly::{App, Environment, FlyOrg};
pub use parties::{Downstream, Party, Role};
pub use safeguard_policy::{
    SafeguardException, SafeguardPolicy, SafeguardRule, DEFAULT_SNAPSHOT_RETENTION_DAYS,
};
pub use scope::{AccountCheck, Scope, ScopeMiss};
pub use services::{cites_encryption, Attestation, NoPhiBasis, Phi, Service, ServiceProvisioning};

/// Everything the engine reads. Ids are strings chosen by the caller (database keys, slugs).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct World {
    /// Id of our own party (the business associate).
    pub us: String,
    /// Us, our customers, vendors and vendors' subcontractors.
    pub parties: Vec<Party>,
    /// Vendor facts: plans, add-ons, eligibility.
    pub catalog: Catalog,
    /// Fly organizations.
    pub orgs: Vec<FlyOrg>,
    /// Fly apps.
    pub apps: Vec<App>,
    /// Services that apps use (extensions, Fly's own products, direct vendors).
    pub services: Vec<Service>,
    /// Agreements between parties.
    pub agreements: Vec<Agreement>,
}

/// Workspace policy.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Policy {
    /// Regions PHI may live in; empty means any.
    #[serde(default)]
    pub allowed_regions: Vec<String>,
    /// Days before expiry at which to remind.
    #[serde(default = "default_windows")]
    pub reminder_windows: Vec<u32>,
    /// Platform safeguards: snapshot retention and approved exceptions.
    #[serde(default)]
    pub safeguards: SafeguardPolicy,
}

fn default_windows() -> Vec<u32> {
    vec![90, 60, 30, 7]
}

impl Default for Policy {
    fn default() -> Self {
        Self {
            allowed_regions: Vec::new(),
            reminder_windows: default_windows(),
            safeguards: Default::default(),
        }
    }
}
