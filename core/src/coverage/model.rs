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
    /// How to reach the party about the agreement (name, e-mail, address), when recorded.
    #[serde(default)]
    pub contact: String,
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
        /// What we know of the vendor's own PHI subcontractors.
        #[serde(default)]
        downstream: Downstream,
    },
    /// A vendor's subcontractor that we do not contract with ourselves.
    Subcontractor {
        /// What we know of its own PHI subcontractors.
        #[serde(default)]
        downstream: Downstream,
    },
}

impl Role {
    /// Listed PHI subcontractors of a vendor or subcontractor (empty for others, and when the
    /// list is unknown or known to be empty).
    pub fn subcontractors(&self) -> &[String] {
        match self {
            Role::Vendor { downstream, .. } | Role::Subcontractor { downstream } => downstream.listed(),
            _ => &[],
        }
    }

    /// What is known of the party's PHI subcontractors (`None` for us and customers).
    pub fn downstream(&self) -> Option<&Downstream> {
        match self {
            Role::Vendor { downstream, .. } | Role::Subcontractor { downstream } => Some(downstream),
            _ => None,
        }
    }
}

/// What we know of a vendor's (or subcontractor's) own PHI subcontractors. "Unknown" is not
/// "none": until someone records the vendor's answer, the chain below it is unverified.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", tag = "known")]
pub enum Downstream {
    /// Nobody has recorded the vendor's subcontractor list.
    #[default]
    Unknown,
    /// The vendor states it uses no subcontractor that handles PHI.
    None,
    /// The vendor's PHI subcontractors, as party ids.
    Listed {
        /// Party ids.
        subcontractors: Vec<String>,
    },
}

impl Downstream {
    /// The listed subcontractors (empty unless [`Downstream::Listed`]).
    pub fn listed(&self) -> &[String] {
        match self {
            Downstream::Listed { subcontractors } => subcontractors,
            _ => &[],
        }
    }

    /// Downstream from a list: `None` when it is empty, else `Listed`.
    pub fn from_list(subcontractors: Vec<String>) -> Self {
        if subcontractors.is_empty() {
            Downstream::None
        } else {
            Downstream::Listed { subcontractors }
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
    /// It does not, on the stated basis.
    No {
        /// Why not, as one of the accepted grounds.
        #[serde(default)]
        basis: NoPhiBasis,
        /// Details; required for [`NoPhiBasis::Other`] (blank counts as unknown).
        #[serde(default)]
        reason: String,
        /// Who decided.
        #[serde(default)]
        decided_by: String,
        /// When.
        #[serde(default)]
        decided_on: Option<NaiveDate>,
    },
    /// Nobody has said: treated as PHI.
    Unknown,
}

impl Phi {
    /// "No PHI" for a reason given as free text (basis `other`), as older records and tests
    /// state it.
    pub fn no(reason: impl Into<String>) -> Self {
        Phi::No {
            basis: NoPhiBasis::Other,
            reason: reason.into(),
            decided_by: String::new(),
            decided_on: None,
        }
    }

    /// Whether this is a valid "no PHI" decision: a structured basis, or `other` with a reason
    /// that is not blank and does not rest on encryption (HHS guidance on cloud computing, 2016:
    /// a vendor that keeps encrypted PHI without the key is still a business associate).
    pub fn valid_no(&self) -> bool {
        match self {
            Phi::No { basis: NoPhiBasis::Other, reason, .. } => {
                !reason.trim().is_empty() && !cites_encryption(reason)
            }
            Phi::No { .. } => true,
            _ => false,
        }
    }

    /// The reason as a person reads it ("transmission-only conduit: ...").
    pub fn no_text(&self) -> Option<String> {
        let Phi::No { basis, reason, .. } = self else { return None };
        let reason = reason.trim();
        Some(match (basis, reason.is_empty()) {
            (NoPhiBasis::Other, _) => reason.to_owned(),
            (basis, true) => basis.label().to_owned(),
            (basis, false) => format!("{}: {reason}", basis.label()),
        })
    }
}

/// Whether a free-text reason rests on encryption, which is never a reason to skip a BAA.
pub fn cites_encryption(reason: &str) -> bool {
    let lower = reason.to_lowercase();
    ["encrypt", "cipher", "e2ee", "aes-256", "aes256"].iter().any(|w| lower.contains(w))
}

/// The accepted grounds for "this service handles no PHI".
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum NoPhiBasis {
    /// The service is never sent PHI: the app does not send it any, by design.
    NotHandledByDesign,
    /// Transmission only, with no access or storage beyond transient copies (the narrow
    /// "conduit" exception of 45 CFR 160.103, as HHS reads it).
    Conduit,
    /// Only de-identified data reaches it (45 CFR 164.514).
    Deidentified,
    /// Another reason, stated in the text.
    #[default]
    Other,
}

impl NoPhiBasis {
    /// Every basis, in form order.
    pub const ALL: [NoPhiBasis; 4] =
        [NoPhiBasis::NotHandledByDesign, NoPhiBasis::Conduit, NoPhiBasis::Deidentified, NoPhiBasis::Other];

    /// The kebab-case id.
    pub fn as_str(self) -> &'static str {
        match self {
            NoPhiBasis::NotHandledByDesign => "not-handled-by-design",
            NoPhiBasis::Conduit => "conduit",
            NoPhiBasis::Deidentified => "de-identified",
            NoPhiBasis::Other => "other",
        }
    }

    /// Parses the kebab-case id.
    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|b| b.as_str() == text)
    }

    /// Label for people.
    pub fn label(self) -> &'static str {
        match self {
            NoPhiBasis::NotHandledByDesign => "no PHI is sent to it, by design",
            NoPhiBasis::Conduit => "transmission-only conduit",
            NoPhiBasis::Deidentified => "only de-identified data",
            NoPhiBasis::Other => "other reason",
        }
    }
}

/// Someone's confirmation that a configuration the vendor requires for its BAA is in place on
/// one service (the Upstash HIPAA flag, Supabase's HIPAA project setting, Sentry's scrubbing).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Attestation {
    /// The requirement, as the catalog words it.
    pub item: String,
    /// Who confirmed it.
    pub confirmed_by: String,
    /// When.
    pub confirmed_on: NaiveDate,
    /// Last day the confirmation holds; it must be reviewed by then.
    pub review_on: NaiveDate,
    /// How it was checked (optional).
    #[serde(default)]
    pub note: String,
}

impl Attestation {
    /// Whether it holds on `day`.
    pub fn holds_on(&self, day: NaiveDate) -> bool {
        self.confirmed_on <= day && day <= self.review_on
    }
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
    /// Names of apps known to use it.
    #[serde(default)]
    pub apps: Vec<String>,
    /// Apps that may use it, as an import guessed (several buckets in one org, a DATABASE_URL
    /// towards one of several databases): shown as unconfirmed, never used as a fact.
    #[serde(default)]
    pub candidate_apps: Vec<String>,
    /// Regions the data lives in (empty: unknown).
    #[serde(default)]
    pub regions: Vec<String>,
    /// Through the platform or direct.
    pub provisioning: ServiceProvisioning,
    /// The vendor account it lives in (AWS account id, Sentry organization slug, Upstash team,
    /// Supabase organization); `None` when unknown.
    #[serde(default)]
    pub account: Option<String>,
    /// Whether it handles PHI.
    pub phi: Phi,
    /// Set while the service itself is only suspected (found from an app's secrets): why it is
    /// thought to exist. It is evaluated like any other service (fail closed).
    #[serde(default)]
    pub unconfirmed: Option<String>,
    /// Confirmations of the configuration its vendor requires for the BAA.
    #[serde(default)]
    pub attestations: Vec<Attestation>,
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
        /// Vendor accounts it covers (AWS account ids, Sentry organization slugs, Fly org slugs).
        #[serde(default)]
        accounts: Vec<String>,
    },
}

impl Scope {
    /// The products listed (empty: any).
    pub fn products(&self) -> &[String] {
        match self {
            Scope::All => &[],
            Scope::Limited { products, .. } => products,
        }
    }

    /// The plans listed (empty: any).
    pub fn plans(&self) -> &[String] {
        match self {
            Scope::All => &[],
            Scope::Limited { plans, .. } => plans,
        }
    }

    /// The regions listed (empty: any).
    pub fn regions(&self) -> &[String] {
        match self {
            Scope::All => &[],
            Scope::Limited { regions, .. } => regions,
        }
    }

    /// The accounts listed (empty: not limited to accounts).
    pub fn accounts(&self) -> &[String] {
        match self {
            Scope::All => &[],
            Scope::Limited { accounts, .. } => accounts,
        }
    }

    /// Whether the scope names this plan explicitly.
    pub fn names_plan(&self, plan: &str) -> bool {
        self.plans().iter().any(|p| p == plan)
    }

    /// Whether the scope names this product explicitly.
    pub fn names_product(&self, product: &str) -> bool {
        self.products().iter().any(|p| p == product)
    }

    /// Whether the scope names this account explicitly.
    pub fn names_account(&self, account: &str) -> bool {
        self.accounts().iter().any(|a| a == account)
    }

    /// The first dimension in which the scope leaves out a product (`None`: not checked), plan,
    /// set of regions and account, or `None` when it covers them. Unknown regions (an empty list)
    /// never fit a scope limited to regions, and an unknown account never fits a scope limited to
    /// accounts: what the data cannot tell fails closed.
    pub fn miss(
        &self,
        product: Option<&str>,
        plan: Option<&str>,
        regions: &[String],
        account: AccountCheck<'_>,
    ) -> Option<ScopeMiss> {
        let listed = |list: &[String], item: Option<&str>| {
            list.is_empty() || item.is_none_or(|i| list.iter().any(|x| x == i))
        };
        if !listed(self.products(), product) {
            return Some(ScopeMiss::Product);
        }
        if !listed(self.plans(), plan) {
            return Some(ScopeMiss::Plan);
        }
        let allowed = self.regions();
        if !allowed.is_empty() {
            if regions.is_empty() {
                return Some(ScopeMiss::RegionsUnknown);
            }
            let outside: Vec<String> = regions.iter().filter(|r| !allowed.contains(r)).cloned().collect();
            if !outside.is_empty() {
                return Some(ScopeMiss::Regions(outside));
            }
        }
        let accounts = self.accounts();
        match account {
            AccountCheck::None => {}
            AccountCheck::IfLimited(acct) => {
                if !accounts.is_empty() && !acct.is_some_and(|a| self.names_account(a)) {
                    return Some(ScopeMiss::Account);
                }
            }
            AccountCheck::Named(acct) => {
                if !acct.is_some_and(|a| self.names_account(a)) {
                    return Some(ScopeMiss::AccountNotNamed);
                }
            }
        }
        None
    }

    /// Whether the scope covers a product (None: not checked), plan and set of regions, with no
    /// account check.
    pub fn covers(&self, product: Option<&str>, plan: Option<&str>, regions: &[String]) -> bool {
        self.miss(product, plan, regions, AccountCheck::None).is_none()
    }
}

/// How a link checks the vendor account of a service against an agreement's scope.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AccountCheck<'a> {
    /// Accounts are not checked.
    None,
    /// When the scope lists accounts, the service's account must be among them.
    IfLimited(Option<&'a str>),
    /// The scope must name the service's account (an account created for us through a platform
    /// is not the one a direct agreement was signed for unless the agreement says so).
    Named(Option<&'a str>),
}

/// The dimension in which a scope leaves a service out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ScopeMiss {
    /// The product is not listed.
    Product,
    /// The plan is not listed.
    Plan,
    /// The service's regions are unknown and the scope is limited to regions.
    RegionsUnknown,
    /// These regions of the service are not listed.
    Regions(Vec<String>),
    /// The scope lists accounts and the service's account is unknown or not among them.
    Account,
    /// The scope does not name the service's account, as a service provisioned through a
    /// platform requires.
    AccountNotNamed,
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
    /// Day both parties had signed, when recorded (kept apart from the effective date).
    #[serde(default)]
    pub signed_on: Option<NaiveDate>,
    /// Day the agreement was first recorded in the tracker (filled in by the storage layer), so
    /// a record entered after the day it claims can say so.
    #[serde(default)]
    pub recorded_on: Option<NaiveDate>,
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
    /// Where each confirmed clause is found in the document, and who confirmed it when: the one
    /// source of the checklist (a clause counts as confirmed only with both).
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

impl ClauseEvidence {
    /// Whether it says where the clause is and who confirmed it.
    pub fn is_complete(&self) -> bool {
        !self.location.trim().is_empty() && !self.confirmed_by.trim().is_empty()
    }
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
    /// end of the renewed term that contains `day`. Renewed terms follow the calendar: a first
    /// term of whole months (2026-01-01 to 2026-12-31) renews for the same number of months
    /// (to 2027-12-31, 2028-12-31: no drift in leap years); any other first term renews for the
    /// same number of days.
    pub fn term_end_on(&self, day: NaiveDate) -> Option<NaiveDate> {
        let expiry = self.expiry?;
        if !self.auto_renews || day <= expiry {
            return Some(expiry);
        }
        let from = self.effective_from()?;
        let next = expiry.succ_opt()?;
        if let Some(months) = whole_months(from, next) {
            let elapsed = u32::try_from(months_between(from, day).max(0)).ok()?;
            let mut k = (elapsed / months).saturating_sub(1).max(1);
            loop {
                let end = add_months(from, k.checked_add(1)?.checked_mul(months)?)?.pred_opt()?;
                if end >= day {
                    return Some(end);
                }
                k += 1;
            }
        }
        let term = (expiry - from).num_days() + 1;
        let periods = ((day - expiry).num_days() + term - 1) / term.max(1);
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

    /// Whether a clause is confirmed: recorded with where it is found and who confirmed it.
    pub fn confirms(&self, clause: Clause) -> bool {
        self.clause_evidence.get(&clause).is_some_and(ClauseEvidence::is_complete)
    }

    /// How many of the twelve required clauses are confirmed.
    pub fn confirmed_clauses(&self) -> usize {
        Clause::ALL.iter().filter(|c| self.confirms(**c)).count()
    }

    /// The required clauses not confirmed, in checklist order.
    pub fn unconfirmed_clauses(&self) -> Vec<Clause> {
        Clause::ALL.into_iter().filter(|c| !self.confirms(*c)).collect()
    }

    /// The first day after `day` on which a status change dated later ends the agreement
    /// (a termination or supersession recorded ahead of time), with that status.
    pub fn ends_after(&self, day: NaiveDate) -> Option<(NaiveDate, Status)> {
        self.history
            .iter()
            .filter(|c| c.on > day && matches!(c.status, Status::Terminated | Status::Superseded))
            .map(|c| (c.on, c.status))
            .min_by_key(|(on, _)| *on)
    }
}

/// Whole months from `a` to `b` when `b` is exactly that many calendar months after `a`.
fn whole_months(a: NaiveDate, b: NaiveDate) -> Option<u32> {
    let m = u32::try_from(months_between(a, b)).ok().filter(|m| *m >= 1)?;
    (add_months(a, m)? == b).then_some(m)
}

fn months_between(a: NaiveDate, b: NaiveDate) -> i64 {
    use chrono::Datelike;
    (i64::from(b.year()) - i64::from(a.year())) * 12 + i64::from(b.month()) - i64::from(a.month())
}

fn add_months(day: NaiveDate, months: u32) -> Option<NaiveDate> {
    day.checked_add_months(chrono::Months::new(months))
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
    /// Platform safeguards: snapshot retention and approved exceptions.
    #[serde(default)]
    pub safeguards: crate::safeguards::SafeguardPolicy,
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
