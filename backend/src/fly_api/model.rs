//! What a discovery returns: plain data with serde, independent of cynic's types, for the
//! import planner to take.

use baa_core::fly_import::ExtensionKind;
use serde::{Deserialize, Serialize};

/// A time as Fly's `ISO8601DateTime` scalar gives it.
pub type Timestamp = chrono::DateTime<chrono::Utc>;

/// Fly's `JSON` scalar.
pub type JsonValue = serde_json::Value;

/// Everything one discovery read about one Fly org, complete (a discovery that could not read
/// every page returns an error instead).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OrgDiscovery {
    /// The org.
    pub org: OrgFacts,
    /// Its apps, by name.
    pub apps: Vec<DiscoveredApp>,
    /// Its add-ons (extensions), by provider then name.
    pub add_ons: Vec<DiscoveredAddOn>,
    /// What could not be read and did not fail the discovery (billing facts the token may not
    /// see), for a person to read.
    pub notes: Vec<String>,
}

/// Facts about the org.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OrgFacts {
    /// Fly's id.
    pub id: String,
    /// Slug.
    pub slug: String,
    /// Unmodified slug (`rawSlug`).
    pub raw_slug: String,
    /// Display name.
    pub name: String,
    /// Personal or shared.
    pub kind: OrgKind,
    /// `paidPlan`: on a paid plan.
    pub paid_plan: bool,
    /// `billable`.
    pub billable: bool,
    /// Billing and compliance facts; none when the token may not see them (see the notes).
    pub billing: Option<BillingFacts>,
}

/// `Organization.type`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OrgKind {
    /// A user's personal org.
    Personal,
    /// An org shared between users.
    Shared,
    /// A value this version does not know.
    Other(String),
}

/// What the API says about the org's billing and compliance. Fly's schema has no typed
/// "plan" or "Compliance Package" field: `paidPlan`, `billingStatus`, the untyped `settings`
/// and the org's signed documents (a BAA signed through Fly shows there) are all it exposes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BillingFacts {
    /// `billingStatus` (`CURRENT`, `PAST_DUE`, `TRIAL_ACTIVE`, ...).
    pub billing_status: String,
    /// `settings`, as the API gives it (untyped JSON).
    pub settings: Option<JsonValue>,
    /// `signedDocuments`: kind and whether signed (not who signed).
    pub signed_documents: Vec<SignedDocument>,
}

/// A document the org signed with Fly.io.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignedDocument {
    /// `documentType`, as Fly names it.
    pub document_type: String,
    /// Whether it is signed.
    pub signed: bool,
}

/// A Fly app.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DiscoveredApp {
    /// Fly's id.
    pub id: String,
    /// Name.
    pub name: String,
    /// `status` (`deployed`, `suspended`, `pending`, ...).
    pub status: String,
    /// `deployed`.
    pub deployed: bool,
    /// `platformVersion` (`machines`, `nomad`, `detached`), when given.
    pub platform_version: Option<String>,
    /// `createdAt`.
    pub created_at: Timestamp,
    /// Regions it runs in: the app's `regions` and the regions of its machines that are not
    /// destroyed, sorted, without repeats.
    pub regions: Vec<String>,
    /// Its volumes.
    pub volumes: Vec<DiscoveredVolume>,
    /// Its secrets' names, sorted (never a value or digest).
    pub secret_names: Vec<String>,
}

/// A volume of an app.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DiscoveredVolume {
    /// Fly's id.
    pub id: String,
    /// Name (fly.toml's `[[mounts]] source`).
    pub name: String,
    /// Region.
    pub region: String,
    /// Whether encrypted at rest.
    pub encrypted: bool,
    /// `state`.
    pub state: String,
}

/// An add-on (Fly extension): a bucket, a database, a Sentry project...
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DiscoveredAddOn {
    /// Fly's id.
    pub id: String,
    /// Name, when the API gives one.
    pub name: Option<String>,
    /// `addOnProvider.name` (`tigris`, `upstash_redis`, `sentry`, ...).
    pub provider: Option<String>,
    /// `addOnProvider.displayName`.
    pub provider_display_name: Option<String>,
    /// `addOnPlan.name`.
    pub plan: Option<String>,
    /// `addOnPlan.displayName`, else `addOnPlanName`.
    pub plan_display_name: Option<String>,
    /// `primaryRegion`.
    pub primary_region: Option<String>,
    /// `readRegions`.
    pub read_regions: Vec<String>,
    /// `app.name`: the app it is attached to.
    pub app: Option<String>,
    /// `apps`: every app associated with it, sorted (the attached one included).
    pub apps: Vec<String>,
    /// `status`.
    pub status: Option<String>,
    /// `createdAt`.
    pub created_at: Timestamp,
}

impl DiscoveredAddOn {
    /// The import's extension kind for this add-on's provider.
    pub fn extension_kind(&self) -> ExtensionKind {
        match self.provider.as_deref().unwrap_or("") {
            "tigris" => ExtensionKind::Tigris,
            "upstash_redis" | "redis" => ExtensionKind::UpstashRedis,
            "upstash_vector" => ExtensionKind::UpstashVector,
            "sentry" => ExtensionKind::Sentry,
            "arcjet" => ExtensionKind::Arcjet,
            "wafris" => ExtensionKind::Wafris,
            "kubernetes" => ExtensionKind::Kubernetes,
            "supabase" => ExtensionKind::Supabase,
            "fly_mysql" | "mysql" => ExtensionKind::Mysql,
            "upstash_kafka" => ExtensionKind::UpstashKafka,
            "planetscale" => ExtensionKind::Planetscale,
            "enveloop" => ExtensionKind::Enveloop,
            other => ExtensionKind::Other(other.to_owned()),
        }
    }
}
