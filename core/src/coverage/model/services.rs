//! Services that apps use: whether they handle PHI (and on what basis not), how they were
//! provisioned, and the attestations of the configuration their vendor requires.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

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
