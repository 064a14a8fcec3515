//! The vendor catalog: which vendors sign BAAs, on which plans and add-ons, and where that fact
//! comes from.
//!
//! The seed lives in `catalog/vendors.json` (versioned, with the date each fact was checked) and is
//! compiled in with [`Catalog::bundled`]. Admins may edit a copy; [`Catalog::from_json`] validates
//! any edited copy the same way, so the engine only ever sees a consistent catalog.

use std::collections::HashSet;
use std::fmt;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

/// Slug of the Fly.io platform entry; Fly orgs take their plan eligibility from it.
pub const FLY: &str = "fly";

/// The bundled seed catalog text (`catalog/vendors.json`).
const BUNDLED: &str = include_str!("../../catalog/vendors.json");

/// Why a catalog file was rejected.
///
/// Why a type of its own: core has no IO and no application error; the catalog is checked when
/// it is bundled, when an owner edits it and in tests, which match the exact reason.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CatalogError {
    /// The text is not JSON of the catalog's shape.
    #[error("catalog is not valid JSON of the expected shape: {0}")]
    Json(String),
    /// The version must be 1 or more.
    #[error("catalog version must be 1 or more")]
    Version,
    /// Two vendors share a slug.
    #[error("duplicate vendor slug `{0}`")]
    DuplicateVendor(String),
    /// A vendor lists the same plan, product or add-on slug twice.
    #[error("vendor `{vendor}` lists `{slug}` twice")]
    DuplicateItem {
        /// The vendor slug.
        vendor: String,
        /// The repeated slug.
        slug: String,
    },
    /// An add-on names a plan the vendor does not have.
    #[error("add-on `{add_on}` of vendor `{vendor}` names unknown plan `{plan}`")]
    UnknownPlan {
        /// The vendor slug.
        vendor: String,
        /// The add-on slug.
        add_on: String,
        /// The missing plan slug.
        plan: String,
    },
    /// An extension names a platform that is not a platform entry of the catalog.
    #[error("vendor `{vendor}` is an extension of unknown platform `{platform}`")]
    UnknownPlatform {
        /// The vendor slug.
        vendor: String,
        /// The missing platform slug.
        platform: String,
    },
    /// A vendor has no plan at all (the engine needs at least one to look eligibility up).
    #[error("vendor `{0}` has no plans")]
    NoPlans(String),
    /// A slug is empty or not lowercase kebab-case.
    #[error("`{0}` is not a valid slug (lowercase letters, digits and dashes)")]
    BadSlug(String),
}

/// Whether a vendor signs a BAA for a plan or product.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Eligibility {
    /// The vendor signs BAAs on this plan.
    Eligible,
    /// The vendor does not sign BAAs on this plan.
    NotEligible,
    /// The vendor says it signs BAAs but does not name plans: ask.
    OnRequest,
    /// Nobody has found out yet (the default: fails closed).
    #[default]
    Unknown,
}

impl Eligibility {
    /// Every value, in form order.
    pub const ALL: [Eligibility; 4] =
        [Eligibility::Eligible, Eligibility::OnRequest, Eligibility::NotEligible, Eligibility::Unknown];

    /// The kebab-case id.
    pub fn as_str(self) -> &'static str {
        match self {
            Eligibility::Eligible => "eligible",
            Eligibility::NotEligible => "not-eligible",
            Eligibility::OnRequest => "on-request",
            Eligibility::Unknown => "unknown",
        }
    }

    /// Parses the kebab-case id.
    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|e| e.as_str() == text)
    }

    /// Whether a BAA on these terms can count (eligible, or on request once a BAA is signed).
    pub fn counts(self) -> bool {
        matches!(self, Eligibility::Eligible | Eligibility::OnRequest)
    }
}

/// How likely a vendor is to see PHI, for triage only (the engine uses each service's own flag).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum PhiLikely {
    /// Stores or processes the data itself.
    Yes,
    /// Sees PHI if the app sends it (error payloads, vectors of notes).
    Possibly,
    /// Sees request metadata at most.
    Low,
}

/// How a vendor's service comes into being.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", tag = "via")]
pub enum Provisioning {
    /// The vendor is itself a platform (Fly.io).
    Platform,
    /// Provisioned through a platform's CLI; we become the vendor's customer.
    Extension {
        /// Slug of the platform entry.
        platform: String,
        /// The CLI command that creates one, such as `fly ext sentry create`.
        command: String,
    },
    /// Signed up with the vendor directly.
    Direct,
}

/// A date known to the year, the month or the day, as sources state it ("2025", "2026-07").
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct PartialDate(String);

impl PartialDate {
    /// Parses `YYYY`, `YYYY-MM` or `YYYY-MM-DD`.
    pub fn parse(text: &str) -> Result<Self, String> {
        let ok = match text.len() {
            4 => text.parse::<u16>().is_ok() && text.bytes().all(|b| b.is_ascii_digit()),
            7 => NaiveDate::parse_from_str(&format!("{text}-01"), "%Y-%m-%d").is_ok(),
            10 => NaiveDate::parse_from_str(text, "%Y-%m-%d").is_ok(),
            _ => false,
        };
        if ok {
            Ok(Self(text.to_owned()))
        } else {
            Err(format!("`{text}` is not a date of the form YYYY, YYYY-MM or YYYY-MM-DD"))
        }
    }

    /// The date as written.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for PartialDate {
    type Error = String;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<PartialDate> for String {
    fn from(value: PartialDate) -> Self {
        value.0
    }
}

impl fmt::Display for PartialDate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Where a catalog fact comes from and when it was last checked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Source {
    /// Human name of the source ("fly.io/docs/about/healthcare").
    pub name: String,
    /// Address of the source, when it has one.
    #[serde(default)]
    pub url: Option<String>,
    /// When someone last checked the fact against the source.
    pub checked: PartialDate,
}

/// A product a vendor sells (Sentry error monitoring, Tigris object storage).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Product {
    /// Stable id within the vendor.
    pub slug: String,
    /// Display name.
    pub name: String,
    /// Whether the vendor's BAA covers this product (AWS covers only its HIPAA-eligible
    /// services); missing means unknown, which fails closed.
    #[serde(default)]
    pub baa_eligible: Eligibility,
}

/// A plan (billing tier) and whether the vendor signs a BAA on it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Plan {
    /// Stable id within the vendor.
    pub slug: String,
    /// Display name.
    pub name: String,
    /// BAA eligibility of the plan alone, without add-ons.
    pub baa_eligible: Eligibility,
    /// Caveats (legacy plan, unverified claim).
    #[serde(default)]
    pub note: Option<String>,
}

/// An add-on or package that makes some plans BAA-eligible (Supabase HIPAA add-on, Upstash Prod Pack).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AddOn {
    /// Stable id within the vendor.
    pub slug: String,
    /// Display name.
    pub name: String,
    /// Plans that become eligible with this add-on.
    pub makes_eligible: Vec<String>,
    /// Configuration the vendor requires besides the add-on, as text.
    #[serde(default)]
    pub required_configuration: Vec<String>,
}

/// A removed extension: existing services still need tracking.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Removal {
    /// When creation was removed, as precisely as the source says.
    pub on: PartialDate,
    /// What was removed.
    #[serde(default)]
    pub note: Option<String>,
}

/// One vendor (or extension) of the catalog.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Vendor {
    /// Stable id ("sentry", "tigris", "fly").
    pub slug: String,
    /// Display name ("Sentry").
    pub name: String,
    /// What it is ("error monitoring").
    pub category: String,
    /// How likely it sees PHI.
    pub phi_likely: PhiLikely,
    /// How services of this vendor are provisioned.
    pub provisioning: Provisioning,
    /// The vendor's BAA terms in one phrase that completes "<Vendor> ...", used in next steps.
    pub baa_terms: String,
    /// Products.
    #[serde(default)]
    pub products: Vec<Product>,
    /// Plans with their eligibility.
    pub plans: Vec<Plan>,
    /// Add-ons that make plans eligible.
    #[serde(default)]
    pub add_ons: Vec<AddOn>,
    /// Configuration required for any BAA with this vendor, as text.
    #[serde(default)]
    pub required_configuration: Vec<String>,
    /// Names of well-known SDK environment variables (app secrets) that show an app uses the
    /// vendor directly, such as `SUPABASE_URL`; an import turns them into candidate services.
    #[serde(default)]
    pub secret_names: Vec<String>,
    /// Set when the extension can no longer be created.
    #[serde(default)]
    pub removed: Option<Removal>,
    /// Set when the vendor still exists but new provisioning stopped.
    #[serde(default)]
    pub provisioning_closed: Option<PartialDate>,
    /// Where the facts come from.
    pub source: Source,
}

impl Vendor {
    /// The plan with this slug.
    pub fn plan(&self, slug: &str) -> Option<&Plan> {
        self.plans.iter().find(|p| p.slug == slug)
    }

    /// The plan a person named: its slug or its display name as every dropdown shows it
    /// ("Business", "business", " BUSINESS "), ignoring case, spaces and dashes.
    pub fn find_plan(&self, typed: &str) -> Option<&Plan> {
        let key = |s: &str| -> String {
            s.chars().filter(|c| c.is_alphanumeric()).flat_map(char::to_lowercase).collect()
        };
        let k = key(typed);
        if k.is_empty() {
            return None;
        }
        self.plan(typed.trim()).or_else(|| self.plans.iter().find(|p| key(&p.slug) == k || key(&p.name) == k))
    }

    /// The product with this slug.
    pub fn product(&self, slug: &str) -> Option<&Product> {
        self.products.iter().find(|p| p.slug == slug)
    }

    /// Display name of a plan, or its slug when the catalog does not know it.
    pub fn plan_name<'a>(&'a self, slug: &'a str) -> &'a str {
        self.plan(slug).map_or(slug, |p| p.name.as_str())
    }

    /// Eligibility of `plan` given the add-ons in use: an add-on that makes the plan eligible wins.
    pub fn eligibility(&self, plan: &str, add_ons: &[String]) -> Eligibility {
        let unlocked = self
            .add_ons
            .iter()
            .any(|a| add_ons.contains(&a.slug) && a.makes_eligible.iter().any(|p| p == plan));
        if unlocked {
            return Eligibility::Eligible;
        }
        self.plan(plan).map_or(Eligibility::Unknown, |p| p.baa_eligible)
    }

    /// Eligibility of a product: the catalog's word, or unknown for a product it does not list.
    pub fn product_eligibility(&self, slug: &str) -> Eligibility {
        self.product(slug).map_or(Eligibility::Unknown, |p| p.baa_eligible)
    }

    /// Display name of a product, or its slug when the catalog does not know it.
    pub fn product_name<'a>(&'a self, slug: &'a str) -> &'a str {
        self.product(slug).map_or(slug, |p| p.name.as_str())
    }

    /// Configuration the vendor requires for its BAA on a service with these add-ons.
    pub fn required_configuration_for(&self, add_ons: &[String]) -> Vec<&str> {
        self.required_configuration
            .iter()
            .chain(
                self.add_ons
                    .iter()
                    .filter(|a| add_ons.contains(&a.slug))
                    .flat_map(|a| a.required_configuration.iter()),
            )
            .map(String::as_str)
            .collect()
    }

    /// The platform slug when this vendor is an extension.
    pub fn platform(&self) -> Option<&str> {
        match &self.provisioning {
            Provisioning::Extension { platform, .. } => Some(platform),
            _ => None,
        }
    }
}

/// The versioned vendor catalog.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Catalog {
    /// Bumped on every change of the data file.
    pub version: u32,
    /// When the file as a whole was last checked against its sources.
    pub checked: PartialDate,
    /// The vendors, in file order.
    pub vendors: Vec<Vendor>,
}

fn valid_slug(slug: &str) -> bool {
    !slug.is_empty() && slug.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

impl Catalog {
    /// Parses and validates a catalog file.
    pub fn from_json(text: &str) -> Result<Self, CatalogError> {
        let catalog: Self = serde_json::from_str(text).map_err(|e| CatalogError::Json(e.to_string()))?;
        catalog.validate()?;
        Ok(catalog)
    }

    /// The catalog compiled into this build from `catalog/vendors.json`.
    pub fn bundled() -> Result<Self, CatalogError> {
        Self::from_json(BUNDLED)
    }

    /// An empty catalog (every plan then has unknown eligibility).
    pub fn empty() -> Self {
        Self { version: 1, checked: PartialDate("2026".to_owned()), vendors: Vec::new() }
    }

    /// Checks slugs are unique and well formed and that references resolve.
    pub fn validate(&self) -> Result<(), CatalogError> {
        if self.version == 0 {
            return Err(CatalogError::Version);
        }
        let mut slugs = HashSet::new();
        for v in &self.vendors {
            if !valid_slug(&v.slug) {
                return Err(CatalogError::BadSlug(v.slug.clone()));
            }
            if !slugs.insert(v.slug.as_str()) {
                return Err(CatalogError::DuplicateVendor(v.slug.clone()));
            }
        }
        for v in &self.vendors {
            if v.plans.is_empty() {
                return Err(CatalogError::NoPlans(v.slug.clone()));
            }
            let items = v
                .plans
                .iter()
                .map(|p| ("plan", &p.slug))
                .chain(v.products.iter().map(|p| ("product", &p.slug)))
                .chain(v.add_ons.iter().map(|a| ("add-on", &a.slug)));
            let mut seen = HashSet::new();
            for (kind, slug) in items {
                if !valid_slug(slug) {
                    return Err(CatalogError::BadSlug(slug.clone()));
                }
                if !seen.insert((kind, slug.as_str())) {
                    return Err(CatalogError::DuplicateItem { vendor: v.slug.clone(), slug: slug.clone() });
                }
            }
            for a in &v.add_ons {
                if let Some(plan) = a.makes_eligible.iter().find(|p| v.plan(p).is_none()) {
                    return Err(CatalogError::UnknownPlan {
                        vendor: v.slug.clone(),
                        add_on: a.slug.clone(),
                        plan: plan.clone(),
                    });
                }
            }
            if let Some(platform) = v.platform() {
                let is_platform =
                    self.vendor(platform).is_some_and(|p| p.provisioning == Provisioning::Platform);
                if !is_platform {
                    return Err(CatalogError::UnknownPlatform {
                        vendor: v.slug.clone(),
                        platform: platform.to_owned(),
                    });
                }
            }
        }
        Ok(())
    }

    /// The vendor with this slug.
    pub fn vendor(&self, slug: &str) -> Option<&Vendor> {
        self.vendors.iter().find(|v| v.slug == slug)
    }
}
