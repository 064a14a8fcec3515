//! The GraphQL operations this module can send, typed with cynic against
//! `graphql/fly-schema.graphql` (registered in `build.rs`): a field, argument or type that the
//! schema does not have fails the build.
//!
//! What is selected is deliberately narrow. Never selected (and checked by a test over every
//! operation's text, see [`all_operations`]): `AddOn.password`, `AddOn.environment`,
//! `AddOn.publicUrl` (Upstash's carries the password), `AddOn.options`, `AddOn.metadata`,
//! `AddOn.ssoLink`, `Secret.digest`, any token field, any SSO link.

use super::model::{JsonValue, Timestamp};

#[cynic::schema("fly")]
mod schema {}

cynic::impl_scalar!(Timestamp, schema::ISO8601DateTime);
cynic::impl_scalar!(JsonValue, schema::JSON);

/// Variables of the org queries.
#[derive(cynic::QueryVariables, Debug, Clone)]
pub struct OrgVariables {
    /// Org slug.
    pub slug: String,
}

/// Variables of a page of an org's apps or add-ons.
#[derive(cynic::QueryVariables, Debug, Clone)]
pub struct OrgPageVariables {
    /// Org slug.
    pub slug: String,
    /// Page size.
    pub first: i32,
    /// Cursor of the previous page's end; none for the first page.
    pub after: Option<String>,
    /// Page size of the connections nested in each item (machines, volumes, an add-on's apps).
    pub inner_first: i32,
}

/// Variables of a page of one app's machines or volumes.
#[derive(cynic::QueryVariables, Debug, Clone)]
pub struct AppPageVariables {
    /// App name.
    pub name: String,
    /// Page size.
    pub first: i32,
    /// Cursor of the previous page's end.
    pub after: Option<String>,
}

/// Variables of a page of one add-on's apps.
#[derive(cynic::QueryVariables, Debug, Clone)]
pub struct AddOnPageVariables {
    /// Add-on id.
    pub id: cynic::Id,
    /// Page size.
    pub first: i32,
    /// Cursor of the previous page's end.
    pub after: Option<String>,
}

// ---------------------------------------------------------------- org

/// `organization(slug:)` with the facts every token that can read the org sees.
#[derive(cynic::QueryFragment, Debug)]
#[cynic(graphql_type = "Queries", variables = "OrgVariables")]
pub struct OrgQuery {
    #[arguments(slug: $slug)]
    pub organization: Option<OrgCore>,
}

#[derive(cynic::QueryFragment, Debug)]
#[cynic(graphql_type = "Organization")]
pub struct OrgCore {
    pub id: cynic::Id,
    pub slug: String,
    pub raw_slug: String,
    pub name: String,
    #[cynic(rename = "type")]
    pub kind: OrganizationType,
    pub paid_plan: bool,
    pub billable: bool,
}

#[derive(cynic::Enum, Debug, Clone, PartialEq, Eq)]
#[cynic(graphql_type = "OrganizationType")]
pub enum OrganizationType {
    Personal,
    Shared,
    #[cynic(fallback)]
    Other(String),
}

/// Billing and compliance facts, asked apart because a read-only token may not see them: a
/// GraphQL error here leaves them unknown (with a note) instead of failing the discovery.
#[derive(cynic::QueryFragment, Debug)]
#[cynic(graphql_type = "Queries", variables = "OrgVariables")]
pub struct OrgBillingQuery {
    #[arguments(slug: $slug)]
    pub organization: Option<OrgBilling>,
}

#[derive(cynic::QueryFragment, Debug)]
#[cynic(graphql_type = "Organization")]
pub struct OrgBilling {
    pub billing_status: BillingStatus,
    pub settings: Option<JsonValue>,
    #[arguments(first: 100)]
    pub signed_documents: SignedDocumentConnection,
}

#[derive(cynic::Enum, Debug, Clone, PartialEq, Eq)]
#[cynic(graphql_type = "BillingStatus")]
pub enum BillingStatus {
    Current,
    Delinquent,
    PastDue,
    SourceRequired,
    Suspended,
    TrialActive,
    TrialEnded,
    #[cynic(fallback)]
    Other(String),
}

impl BillingStatus {
    /// The schema's name of the value (`CURRENT`, `PAST_DUE`, ...).
    pub fn as_schema_name(&self) -> String {
        match self {
            Self::Current => "CURRENT".into(),
            Self::Delinquent => "DELINQUENT".into(),
            Self::PastDue => "PAST_DUE".into(),
            Self::SourceRequired => "SOURCE_REQUIRED".into(),
            Self::Suspended => "SUSPENDED".into(),
            Self::TrialActive => "TRIAL_ACTIVE".into(),
            Self::TrialEnded => "TRIAL_ENDED".into(),
            Self::Other(s) => s.clone(),
        }
    }
}

#[derive(cynic::QueryFragment, Debug)]
pub struct SignedDocumentConnection {
    pub page_info: PageInfo,
    pub nodes: Option<Vec<Option<SignedDocument>>>,
}

/// Only the kind of document and whether it is signed: not the signer's address.
#[derive(cynic::QueryFragment, Debug)]
pub struct SignedDocument {
    pub document_type: String,
    pub signed: bool,
}

// ---------------------------------------------------------------- pagination

#[derive(cynic::QueryFragment, Debug, Clone)]
pub struct PageInfo {
    pub has_next_page: bool,
    pub end_cursor: Option<String>,
}

// ---------------------------------------------------------------- apps

/// One page of an org's apps, each with its first page of machines and volumes and its secret
/// names.
#[derive(cynic::QueryFragment, Debug)]
#[cynic(graphql_type = "Queries", variables = "OrgPageVariables")]
pub struct AppsPageQuery {
    #[arguments(slug: $slug)]
    pub organization: Option<OrgApps>,
}

#[derive(cynic::QueryFragment, Debug)]
#[cynic(graphql_type = "Organization", variables = "OrgPageVariables")]
pub struct OrgApps {
    #[arguments(first: $first, after: $after)]
    pub apps: AppConnection,
}

#[derive(cynic::QueryFragment, Debug)]
#[cynic(variables = "OrgPageVariables")]
pub struct AppConnection {
    pub page_info: PageInfo,
    pub nodes: Option<Vec<Option<AppNode>>>,
}

#[derive(cynic::QueryFragment, Debug)]
#[cynic(graphql_type = "App", variables = "OrgPageVariables")]
pub struct AppNode {
    pub id: cynic::Id,
    pub name: String,
    pub status: String,
    pub deployed: bool,
    pub platform_version: Option<PlatformVersion>,
    pub created_at: Timestamp,
    pub regions: Vec<RegionCode>,
    #[arguments(first: $inner_first)]
    pub machines: MachineConnection,
    #[arguments(first: $inner_first)]
    pub volumes: VolumeConnection,
    pub secrets: Vec<SecretName>,
}

#[derive(cynic::Enum, Debug, Clone, PartialEq, Eq)]
#[cynic(graphql_type = "PlatformVersionEnum", rename_all = "lowercase")]
pub enum PlatformVersion {
    Detached,
    Machines,
    Nomad,
    #[cynic(fallback)]
    Other(String),
}

impl PlatformVersion {
    /// The schema's name of the value.
    pub fn as_schema_name(&self) -> String {
        match self {
            Self::Detached => "detached".into(),
            Self::Machines => "machines".into(),
            Self::Nomad => "nomad".into(),
            Self::Other(s) => s.clone(),
        }
    }
}

#[derive(cynic::QueryFragment, Debug)]
#[cynic(graphql_type = "Region")]
pub struct RegionCode {
    pub code: String,
}

/// A secret by name only: never its digest (there is no value field to ask for).
#[derive(cynic::QueryFragment, Debug)]
#[cynic(graphql_type = "Secret")]
pub struct SecretName {
    pub name: String,
}

#[derive(cynic::QueryFragment, Debug)]
pub struct MachineConnection {
    pub page_info: PageInfo,
    pub nodes: Option<Vec<Option<MachineNode>>>,
}

#[derive(cynic::QueryFragment, Debug)]
#[cynic(graphql_type = "Machine")]
pub struct MachineNode {
    pub region: String,
    pub state: String,
}

#[derive(cynic::QueryFragment, Debug)]
pub struct VolumeConnection {
    pub page_info: PageInfo,
    pub nodes: Option<Vec<Option<VolumeNode>>>,
}

#[derive(cynic::QueryFragment, Debug)]
#[cynic(graphql_type = "Volume")]
pub struct VolumeNode {
    pub id: cynic::Id,
    pub name: String,
    pub region: String,
    pub encrypted: bool,
    pub state: String,
}

/// The next page of one app's machines (when the first page in the apps page was not all).
#[derive(cynic::QueryFragment, Debug)]
#[cynic(graphql_type = "Queries", variables = "AppPageVariables")]
pub struct AppMachinesQuery {
    #[arguments(name: $name)]
    pub app: Option<AppMachines>,
}

#[derive(cynic::QueryFragment, Debug)]
#[cynic(graphql_type = "App", variables = "AppPageVariables")]
pub struct AppMachines {
    #[arguments(first: $first, after: $after)]
    pub machines: MachineConnection,
}

/// The next page of one app's volumes.
#[derive(cynic::QueryFragment, Debug)]
#[cynic(graphql_type = "Queries", variables = "AppPageVariables")]
pub struct AppVolumesQuery {
    #[arguments(name: $name)]
    pub app: Option<AppVolumes>,
}

#[derive(cynic::QueryFragment, Debug)]
#[cynic(graphql_type = "App", variables = "AppPageVariables")]
pub struct AppVolumes {
    #[arguments(first: $first, after: $after)]
    pub volumes: VolumeConnection,
}

// ---------------------------------------------------------------- add-ons

/// One page of an org's add-ons (every type: no `type:` filter).
#[derive(cynic::QueryFragment, Debug)]
#[cynic(graphql_type = "Queries", variables = "OrgPageVariables")]
pub struct AddOnsPageQuery {
    #[arguments(slug: $slug)]
    pub organization: Option<OrgAddOns>,
}

#[derive(cynic::QueryFragment, Debug)]
#[cynic(graphql_type = "Organization", variables = "OrgPageVariables")]
pub struct OrgAddOns {
    #[arguments(first: $first, after: $after)]
    pub add_ons: AddOnConnection,
}

#[derive(cynic::QueryFragment, Debug)]
#[cynic(variables = "OrgPageVariables")]
pub struct AddOnConnection {
    pub page_info: PageInfo,
    pub nodes: Option<Vec<Option<AddOnNode>>>,
}

#[derive(cynic::QueryFragment, Debug)]
#[cynic(graphql_type = "AddOn", variables = "OrgPageVariables")]
pub struct AddOnNode {
    pub id: cynic::Id,
    pub name: Option<String>,
    pub add_on_provider: Option<AddOnProvider>,
    pub add_on_plan: Option<AddOnPlan>,
    pub add_on_plan_name: Option<String>,
    pub primary_region: Option<String>,
    pub read_regions: Option<Vec<String>>,
    pub status: Option<String>,
    pub created_at: Timestamp,
    pub app: Option<AppName>,
    #[arguments(first: $inner_first)]
    pub apps: Option<AppNameConnection>,
}

#[derive(cynic::QueryFragment, Debug)]
pub struct AddOnProvider {
    pub name: Option<String>,
    pub display_name: Option<String>,
}

#[derive(cynic::QueryFragment, Debug)]
pub struct AddOnPlan {
    pub name: Option<String>,
    pub display_name: Option<String>,
}

#[derive(cynic::QueryFragment, Debug)]
#[cynic(graphql_type = "App")]
pub struct AppName {
    pub name: String,
}

#[derive(cynic::QueryFragment, Debug)]
#[cynic(graphql_type = "AppConnection")]
pub struct AppNameConnection {
    pub page_info: PageInfo,
    pub nodes: Option<Vec<Option<AppName>>>,
}

/// The next page of one add-on's apps.
#[derive(cynic::QueryFragment, Debug)]
#[cynic(graphql_type = "Queries", variables = "AddOnPageVariables")]
pub struct AddOnAppsQuery {
    #[arguments(id: $id)]
    pub add_on: Option<AddOnApps>,
}

#[derive(cynic::QueryFragment, Debug)]
#[cynic(graphql_type = "AddOn", variables = "AddOnPageVariables")]
pub struct AddOnApps {
    #[arguments(first: $first, after: $after)]
    pub apps: Option<AppNameConnection>,
}

// ---------------------------------------------------------------- every operation

/// An operation the client may send. Sealed: only the root queries listed in
/// `sendable_queries!` implement it, and that same list is what [`all_operations`] returns, so the
/// secret-field guard sees every query the client can send.
pub trait Sendable: cynic::QueryFragment + for<'de> serde::Deserialize<'de> + sealed::Sealed {
    /// A short name for logs and errors.
    const NAME: &'static str;
}

mod sealed {
    pub trait Sealed {}
}

macro_rules! sendable_queries {
    ($($query:ident($vars:expr)),+ $(,)?) => {
        $(
            impl sealed::Sealed for $query {}
            impl Sendable for $query {
                const NAME: &'static str = stringify!($query);
            }
        )+

        /// Every operation this module can send, built with placeholder variables, with its
        /// name. The secret-field guard (a test) parses each text and refuses any denied field.
        pub fn all_operations() -> Vec<(&'static str, String)> {
            use cynic::QueryBuilder;
            vec![$((stringify!($query), $query::build($vars).query)),+]
        }
    };
}

sendable_queries! {
    OrgQuery(OrgVariables { slug: "org".into() }),
    OrgBillingQuery(OrgVariables { slug: "org".into() }),
    AppsPageQuery(OrgPageVariables { slug: "org".into(), first: 1, after: None, inner_first: 1 }),
    AppMachinesQuery(AppPageVariables { name: "app".into(), first: 1, after: None }),
    AppVolumesQuery(AppPageVariables { name: "app".into(), first: 1, after: None }),
    AddOnsPageQuery(OrgPageVariables { slug: "org".into(), first: 1, after: None, inner_first: 1 }),
    AddOnAppsQuery(AddOnPageVariables { id: cynic::Id::new("id"), first: 1, after: None }),
}
