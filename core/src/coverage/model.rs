//! The input of the coverage engine: a plain, serializable snapshot of everything we know.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::catalog::Catalog;

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

/// A legal party.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Party {
    /// Stable id.
    pub id: String,
    /// Display name.
    pub name: String,
    /// What the party is to us.
    pub role: Role,
}

/// What a party is to us.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", tag = "kind")]
pub enum Role {
    /// Ourselves.
    Us,
    /// A customer, usually a covered entity.
    Customer {
        /// Whether the customer relationship is current.
        active: bool,
        /// Whether we handle the customer's PHI.
        handles_phi: bool,
    },
    /// A vendor of ours, tied to a catalog entry.
    Vendor {
        /// Catalog slug of the vendor.
        vendor: String,
        /// Party ids of the vendor's own PHI subcontractors.
        #[serde(default)]
        subcontractors: Vec<String>,
    },
    /// A vendor's subcontractor that we do not contract with ourselves.
    Subcontractor {
        /// Party ids of its own PHI subcontractors.
        #[serde(default)]
        subcontractors: Vec<String>,
    },
}

impl Role {
    /// Listed PHI subcontractors of a vendor or subcontractor (empty for others).
    pub fn subcontractors(&self) -> &[String] {
        match self {
            Role::Vendor { subcontractors, .. } | Role::Subcontractor { subcontractors } => subcontractors,
            _ => &[],
        }
    }
}

/// Deployment environment of an org or app.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Environment {
    /// Real customers and real data.
    Production,
    /// Pre-production copies.
    Staging,
    /// Developers' playground.
    Development,
}

/// A Fly organization.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FlyOrg {
    /// Fly's org slug.
    pub slug: String,
    /// Display name.
    pub name: String,
    /// What the org is for.
    pub environment: Environment,
    /// Plan slug in the catalog's Fly.io entry.
    pub plan: String,
    /// Packages (catalog add-ons of Fly.io) such as `compliance-package`.
    #[serde(default)]
    pub packages: Vec<String>,
    /// Regions this org may use; `None` leaves it to the workspace policy.
    #[serde(default)]
    pub allowed_regions: Option<Vec<String>>,
}

/// A Fly app.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct App {
    /// Fly app name (unique on Fly).
    pub name: String,
    /// Slug of the org it belongs to.
    pub org: String,
    /// Regions it runs in.
    #[serde(default)]
    pub regions: Vec<String>,
    /// Explicit environment; when absent it is guessed from the name (see [`App::environment`]).
    #[serde(default)]
    pub environment: Option<Environment>,
}

impl App {
    /// The explicit environment, or the one its name suggests ("acme-staging" is staging),
    /// or production when the name says nothing.
    pub fn environment(&self) -> Environment {
        if let Some(env) = self.environment {
            return env;
        }
        let lower = self.name.to_ascii_lowercase();
        let mut env = Environment::Production;
        for word in lower.split(|c: char| !c.is_ascii_alphanumeric()) {
            match word {
                "staging" | "stage" | "stg" | "qa" | "test" | "preview" | "uat" => {
                    return Environment::Staging
                }
                "dev" | "development" | "sandbox" => env = Environment::Development,
                _ => {}
            }
        }
        env
    }
}

/// Whether a service handles PHI.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", tag = "handles")]
pub enum Phi {
    /// It creates, receives, keeps or sends PHI.
    Yes,
    /// It does not, for the stated reason.
    No {
        /// Why not (a blank reason counts as unknown).
        reason: String,
    },
    /// Nobody has said: treated as PHI.
    Unknown,
}

/// How a service was provisioned.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", tag = "via")]
pub enum ServiceProvisioning {
    /// Through the Fly platform in an org: an extension, or Fly's own product.
    Platform {
        /// Slug of the org it lives in.
        org: String,
    },
    /// Signed up with the vendor directly.
    Direct,
}

/// A service an app uses.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Service {
    /// Stable id.
    pub id: String,
    /// Display name ("acme-errors").
    pub name: String,
    /// Catalog slug of the vendor.
    pub vendor: String,
    /// Product slug within the vendor.
    pub product: String,
    /// Plan slug within the vendor (ignored for Fly's own products, which use the org's plan).
    pub plan: String,
    /// Add-on slugs in use (HIPAA add-on, Prod Pack).
    #[serde(default)]
    pub add_ons: Vec<String>,
    /// Names of apps that use it.
    #[serde(default)]
    pub apps: Vec<String>,
    /// Regions the data lives in.
    #[serde(default)]
    pub regions: Vec<String>,
    /// Through the platform or direct.
    pub provisioning: ServiceProvisioning,
    /// Whether it handles PHI.
    pub phi: Phi,
    /// First day it existed.
    pub created_on: NaiveDate,
    /// First day it no longer existed.
    #[serde(default)]
    pub removed_on: Option<NaiveDate>,
}

impl Service {
    /// Whether the service exists on `day` (`created_on <= day < removed_on`).
    pub fn exists_on(&self, day: NaiveDate) -> bool {
        self.created_on <= day && self.removed_on.is_none_or(|r| day < r)
    }
}

/// Lifecycle status of an agreement.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Status {
    /// Being written.
    Draft,
    /// Sent to the other party.
    Sent,
    /// Under negotiation.
    InNegotiation,
    /// Executed by both parties.
    Signed,
    /// Ended early.
    Terminated,
    /// Replaced by a newer agreement.
    Superseded,
}

/// One dated entry of an agreement's status history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatusChange {
    /// Day the status took effect.
    pub on: NaiveDate,
    /// The new status.
    pub status: Status,
}

/// What an agreement is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", tag = "kind")]
pub enum AgreementKind {
    /// A BAA between us and a vendor, or between a customer and us.
    Baa,
    /// A BAA between a vendor and its subcontractor.
    SubcontractorBaa,
    /// An agreement between a platform and a vendor that extends the platform's BAA to the
    /// vendor's extensions.
    PlatformAgreement {
        /// Catalog slugs of the vendors whose extensions it covers.
        extends_to: Vec<String>,
    },
}

/// What an agreement covers. Empty lists mean "any".
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", tag = "covers")]
pub enum Scope {
    /// Everything the vendor offers.
    All,
    /// Only the listed products, plans and regions (an empty list does not restrict).
    Limited {
        /// Product slugs.
        #[serde(default)]
        products: Vec<String>,
        /// Plan slugs.
        #[serde(default)]
        plans: Vec<String>,
        /// Region codes.
        #[serde(default)]
        regions: Vec<String>,
    },
}

impl Scope {
    /// Whether the scope covers a product (None: not checked), plan and set of regions.
    pub fn covers(&self, product: Option<&str>, plan: Option<&str>, regions: &[String]) -> bool {
        match self {
            Scope::All => true,
            Scope::Limited { products, plans, regions: allowed } => {
                let ok = |list: &[String], item: Option<&str>| {
                    list.is_empty() || item.is_none_or(|i| list.iter().any(|x| x == i))
                };
                ok(products, product)
                    && ok(plans, plan)
                    && (allowed.is_empty() || regions.iter().all(|r| allowed.contains(r)))
            }
        }
    }

    /// Whether the scope names this plan explicitly.
    pub fn names_plan(&self, plan: &str) -> bool {
        matches!(self, Scope::Limited { plans, .. } if plans.iter().any(|p| p == plan))
    }
}

/// A clause of the required-clause checklist (domain section 5).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Clause {
    /// A: no use or disclosure beyond the contract or the law.
    A,
    /// B: appropriate safeguards; Security Rule for ePHI.
    B,
    /// C: report unpermitted uses, security incidents and breaches.
    C,
    /// D: bind subcontractors to the same terms.
    D,
    /// E: give access to PHI.
    E,
    /// F: make amendments.
    F,
    /// G: accounting of disclosures.
    G,
    /// H: follow the Privacy Rule where acting for the CE.
    H,
    /// I: books open to HHS.
    I,
    /// J: return or destroy PHI at termination.
    J,
    /// The permitted uses are stated.
    PermittedUses,
    /// The CE may terminate for material breach.
    TerminationForBreach,
}

impl Clause {
    /// Every required clause, in checklist order.
    pub const ALL: [Clause; 12] = [
        Clause::A,
        Clause::B,
        Clause::C,
        Clause::D,
        Clause::E,
        Clause::F,
        Clause::G,
        Clause::H,
        Clause::I,
        Clause::J,
        Clause::PermittedUses,
        Clause::TerminationForBreach,
    ];

    /// Short label for messages.
    pub fn label(self) -> &'static str {
        match self {
            Clause::A => "A (limits on use and disclosure)",
            Clause::B => "B (safeguards)",
            Clause::C => "C (breach reporting)",
            Clause::D => "D (subcontractors bound)",
            Clause::E => "E (access)",
            Clause::F => "F (amendment)",
            Clause::G => "G (accounting of disclosures)",
            Clause::H => "H (Privacy Rule)",
            Clause::I => "I (books open to HHS)",
            Clause::J => "J (return or destroy at termination)",
            Clause::PermittedUses => "permitted uses stated",
            Clause::TerminationForBreach => "termination for material breach",
        }
    }
}

/// An agreement between two parties.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Agreement {
    /// Stable id.
    pub id: String,
    /// Display title.
    #[serde(default)]
    pub title: String,
    /// The two parties (order does not matter).
    pub parties: [String; 2],
    /// BAA, subcontractor BAA or platform agreement.
    pub kind: AgreementKind,
    /// Status history; the status on a day is the latest entry on or before it.
    pub history: Vec<StatusChange>,
    /// First day in force; when absent, the day it was signed.
    #[serde(default)]
    pub effective: Option<NaiveDate>,
    /// Last day in force; when absent, it does not expire.
    #[serde(default)]
    pub expiry: Option<NaiveDate>,
    /// What it covers.
    pub scope: Scope,
    /// Clauses legal has confirmed are in the document.
    #[serde(default)]
    pub clauses: Vec<Clause>,
    /// Whether the executed document is uploaded.
    #[serde(default)]
    pub has_executed_document: bool,
    /// Whether the agreement renews itself at the end of each term unless notice is given.
    #[serde(default)]
    pub auto_renews: bool,
    /// Days of notice needed to stop a renewal or to terminate.
    #[serde(default)]
    pub notice_days: Option<u32>,
    /// Free notes from legal.
    #[serde(default)]
    pub notes: String,
    /// The agreement this one renews (which is superseded from this one's effective date).
    #[serde(default)]
    pub supersedes: Option<String>,
    /// Where each confirmed clause is found in the document, and who confirmed it when.
    #[serde(default)]
    pub clause_evidence: std::collections::BTreeMap<Clause, ClauseEvidence>,
}

/// Where a required clause is found in the executed document, and who confirmed it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClauseEvidence {
    /// Section or page ("§ 4.2", "p. 3").
    pub location: String,
    /// Who confirmed it.
    pub confirmed_by: String,
    /// When.
    pub confirmed_on: NaiveDate,
}

impl Agreement {
    /// Status on `day`: the latest history entry dated on or before it (later entries in the list
    /// win ties); `None` before the first entry.
    pub fn status_on(&self, day: NaiveDate) -> Option<Status> {
        let mut best: Option<&StatusChange> = None;
        for change in &self.history {
            if change.on <= day && best.is_none_or(|b| change.on >= b.on) {
                best = Some(change);
            }
        }
        best.map(|c| c.status)
    }

    /// First day in force: `effective`, or else the first day it was signed.
    pub fn effective_from(&self) -> Option<NaiveDate> {
        self.effective
            .or_else(|| self.history.iter().filter(|c| c.status == Status::Signed).map(|c| c.on).min())
    }

    /// Last day of the term running on `day`: the expiry, or for an auto-renewing agreement the
    /// end of the renewed term that contains `day` (each term as long as the first).
    pub fn term_end_on(&self, day: NaiveDate) -> Option<NaiveDate> {
        let expiry = self.expiry?;
        if !self.auto_renews || day <= expiry {
            return Some(expiry);
        }
        let from = self.effective_from()?;
        let term = (expiry - from).num_days().max(1);
        let periods = ((day - expiry).num_days() + term - 1) / term;
        expiry.checked_add_signed(chrono::Duration::days(periods * term))
    }

    /// Where the agreement stands on `day`.
    pub fn standing_on(&self, day: NaiveDate) -> Standing {
        match self.status_on(day) {
            None => Standing::NotYetRecorded,
            Some(Status::Terminated) => Standing::Ended(Status::Terminated),
            Some(Status::Superseded) => Standing::Ended(Status::Superseded),
            Some(Status::Signed) => match (self.effective_from(), self.term_end_on(day)) {
                (Some(from), _) if day < from => Standing::NotYetEffective(from),
                (_, Some(until)) if day > until => Standing::Expired(until),
                _ => Standing::Active,
            },
            Some(other) => Standing::Pending(other),
        }
    }

    /// The other party of the agreement, given one of them.
    pub fn other(&self, party: &str) -> &str {
        if self.parties[0] == party {
            &self.parties[1]
        } else {
            &self.parties[0]
        }
    }

    /// Whether a clause is confirmed.
    pub fn confirms(&self, clause: Clause) -> bool {
        self.clauses.contains(&clause)
    }
}

/// Where an agreement stands on a given day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", tag = "standing", content = "detail")]
pub enum Standing {
    /// Signed, effective and not expired: it counts.
    Active,
    /// Signed but its effective date is later.
    NotYetEffective(NaiveDate),
    /// Signed but past this expiry date.
    Expired(NaiveDate),
    /// Draft, sent or in negotiation.
    Pending(Status),
    /// Terminated or superseded: never counts.
    Ended(Status),
    /// No status entry on or before the day.
    NotYetRecorded,
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
}

fn default_windows() -> Vec<u32> {
    vec![90, 60, 30, 7]
}

impl Default for Policy {
    fn default() -> Self {
        Self { allowed_regions: Vec::new(), reminder_windows: default_windows() }
    }
}
