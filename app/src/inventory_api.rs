//! Server functions for the coverage dashboard and the inventory and agreement pages.

use crate::api::UiError;
use baa_core::coverage::{Agreement, App, FlyOrg, Party, Report, Service};
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

/// A vendor add-on (Fly.io's Compliance Package) as the forms need it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AddOnTerms {
    /// Slug.
    pub slug: String,
    /// Name.
    pub name: String,
    /// Slugs of the plans it makes eligible.
    pub makes_eligible: Vec<String>,
    /// Configuration the vendor requires besides the add-on.
    pub required: Vec<String>,
}

/// A catalog vendor as the forms need it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VendorChoice {
    /// Slug.
    pub slug: String,
    /// Name.
    pub name: String,
    /// (slug, name, eligibility) of each plan.
    pub plans: Vec<(String, String, String)>,
    /// Add-on slugs.
    pub add_ons: Vec<String>,
    /// Each add-on with the plans it makes eligible and what else the vendor requires (the
    /// org form says live what ticking the add-on changes).
    pub add_on_terms: Vec<AddOnTerms>,
    /// (slug, name) of each product.
    pub products: Vec<(String, String)>,
    /// Whether it is provisioned through Fly.
    pub extension: bool,
    /// Set when the extension can no longer be created.
    pub removed: bool,
    /// BAA terms in one phrase.
    pub baa_terms: String,
    /// Source name and date checked.
    pub source: String,
}

/// The coverage view of one day, as one viewer sees it: the day, what the viewer may do, and
/// the data every viewer of that day shares.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CoverageView {
    /// The day.
    pub as_of: String,
    /// Today.
    pub today: String,
    /// Whether the viewer may edit inventory.
    pub can_edit_inventory: bool,
    /// Whether the viewer may edit agreements.
    pub can_edit_agreements: bool,
    /// Built once per cached backend view and shared by every page until the next write
    /// (flattened: the server function's JSON keeps one level).
    #[serde(flatten)]
    pub data: std::sync::Arc<CoverageShared>,
}

/// What the coverage pages show of one day, the same for every viewer.
#[derive(Debug, PartialEq, Serialize, Deserialize)]
pub struct CoverageShared {
    /// The engine's report.
    pub report: Report,
    /// The world that day.
    pub orgs: Vec<FlyOrg>,
    /// Apps that day.
    pub apps: Vec<App>,
    /// Services that day.
    pub services: Vec<Service>,
    /// Agreements that day.
    pub agreements: Vec<Agreement>,
    /// Parties that day.
    pub parties: Vec<Party>,
    /// Catalog vendors.
    pub vendors: Vec<VendorChoice>,
    /// The relationship graph as an SVG document.
    pub graph_svg: String,
    /// Versions recorded after the day that hold on it (only for a past day).
    pub corrections: Vec<CorrectionRow>,
    /// Verdicts those corrections change: (service, as recorded, corrected).
    pub corrected_verdicts: Vec<(String, String, String)>,
    /// Platform safeguard checks of the apps whose fly.toml was imported.
    pub safeguards: baa_core::safeguards::SafeguardReport,
    /// The dashboard's list of actions and findings, rendered once (HTML; empty when there are
    /// no findings).
    pub findings_html: String,
}

impl CoverageShared {
    /// A vendor's name from the catalog, or its slug when the catalog does not know it.
    pub fn vendor_name<'a>(&'a self, slug: &'a str) -> &'a str {
        self.vendors.iter().find(|v| v.slug == slug).map_or(slug, |v| v.name.as_str())
    }
}

/// A correction recorded after the day it holds on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CorrectionRow {
    /// What kind of record.
    pub kind: String,
    /// Its name.
    pub name: String,
    /// created, changed or removed.
    pub change: String,
    /// Day from which it holds.
    pub effective_on: String,
    /// When it was recorded.
    pub recorded_at: String,
    /// Who recorded it.
    pub actor: String,
    /// Why.
    pub reason: String,
}

/// "recorded 2026-08-15, effective 2026-07-01" when an agreement was entered after the day it
/// claims to hold from; `None` when it was recorded in time.
pub fn recorded_late(a: &Agreement) -> Option<String> {
    let from = a.effective_from()?;
    let recorded = a.recorded_on?;
    (recorded > from).then(|| format!("recorded {recorded}, effective {from}"))
}

/// Loads coverage for `as_of` (YYYY-MM-DD; empty for today).
#[server(endpoint = "coverage_data")]
pub async fn coverage_data(as_of: String) -> Result<CoverageView, UiError> {
    use baa_backend::inventory;
    use baa_core::account::Permission;
    let (b, v) = crate::ssr::context().await?;
    let today = inventory::today_for(&b);
    let day = inventory::date("as_of", &as_of)?.unwrap_or(today);
    let view = inventory::coverage_view(&b, &v, day).await?;
    let data = view.derived.get_or_build(|| coverage_data_of(&view));
    Ok(CoverageView {
        as_of: day.to_string(),
        today: today.to_string(),
        can_edit_inventory: v.can(Permission::EditInventory),
        can_edit_agreements: v.can(Permission::EditAgreements),
        data,
    })
}

/// The pages' data of one backend view (built once per view, see [`coverage_data`]).
#[cfg(feature = "ssr")]
fn coverage_data_of(view: &baa_backend::storage::world::CoverageView) -> CoverageShared {
    let (world, report) = (&view.world, &view.report);
    let corrections = view
        .corrections
        .iter()
        .map(|c| CorrectionRow {
            kind: c.kind.as_str().to_owned(),
            name: c.name.clone(),
            change: c.change.clone(),
            effective_on: c.effective_on.clone(),
            recorded_at: c.recorded_at.clone(),
            actor: c.actor.clone(),
            reason: c.reason.clone().unwrap_or_default(),
        })
        .collect();
    let corrected_verdicts = view
        .corrected_verdicts
        .iter()
        .map(|c| (c.name.clone(), c.recorded.clone(), c.corrected.clone()))
        .collect();
    let vendors = world
        .catalog
        .vendors
        .iter()
        .map(|x| VendorChoice {
            slug: x.slug.clone(),
            name: x.name.clone(),
            plans: x
                .plans
                .iter()
                .map(|p| {
                    (
                        p.slug.clone(),
                        p.name.clone(),
                        serde_json::to_value(p.baa_eligible)
                            .ok()
                            .and_then(|j| j.as_str().map(str::to_string))
                            .unwrap_or_default(),
                    )
                })
                .collect(),
            add_ons: x.add_ons.iter().map(|a| a.slug.clone()).collect(),
            add_on_terms: x
                .add_ons
                .iter()
                .map(|a| AddOnTerms {
                    slug: a.slug.clone(),
                    name: a.name.clone(),
                    makes_eligible: a.makes_eligible.clone(),
                    required: a.required_configuration.clone(),
                })
                .collect(),
            products: x.products.iter().map(|p| (p.slug.clone(), p.name.clone())).collect(),
            extension: x.platform().is_some(),
            removed: x.removed.is_some(),
            baa_terms: x.baa_terms.clone(),
            source: format!("{} (checked {})", x.source.name, x.source.checked),
        })
        .collect();
    CoverageShared {
        graph_svg: crate::graph::render(world, report),
        findings_html: crate::findings_view::findings_html(report),
        report: report.clone(),
        orgs: world.orgs.clone(),
        apps: world.apps.clone(),
        services: world.services.clone(),
        agreements: world.agreements.clone(),
        parties: world.parties.clone(),
        vendors,
        corrections,
        corrected_verdicts,
        safeguards: view.safeguards.clone(),
    }
}

/// A catalog entry as the vendors page shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VendorPageEntry {
    /// The entry in force for this workspace.
    pub vendor: baa_core::catalog::Vendor,
    /// (who, when, why) of the local edit, if any.
    pub local_edit: Option<(String, String, String)>,
    /// Differences with a newer bundled entry, one line each.
    pub update_available: Vec<String>,
    /// How to reach the vendor about its BAA.
    pub contact: String,
    /// unknown, none or listed: what we know of its own PHI subcontractors.
    pub downstream: String,
    /// Names of its recorded PHI subcontractors.
    pub subcontractors: Vec<String>,
}

/// The vendors page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VendorsView {
    /// Catalog version and date checked.
    pub catalog_version: String,
    /// Entries.
    pub vendors: Vec<VendorPageEntry>,
    /// Whether the viewer may edit the catalog.
    pub can_edit: bool,
}

/// Loads the vendor catalog with this workspace's edits.
#[server(endpoint = "vendors_data")]
pub async fn vendors_data() -> Result<VendorsView, UiError> {
    use baa_core::coverage::{Downstream, Role};
    let (b, v) = crate::ssr::context().await?;
    let cat = baa_backend::inventory::catalog();
    let view = baa_backend::inventory::coverage_view(&b, &v, baa_backend::inventory::today_for(&b)).await?;
    let world = &view.world;
    let name_of =
        |id: &str| world.parties.iter().find(|p| p.id == id).map_or(id.to_string(), |p| p.name.clone());
    Ok(VendorsView {
        catalog_version: format!("version {} (checked {})", cat.version, cat.checked),
        vendors: baa_backend::catalog_store::vendor_views(&b, &v)
            .await?
            .into_iter()
            .map(|x| {
                let party = world
                    .parties
                    .iter()
                    .find(|p| p.id == baa_backend::inventory::vendor_party(&x.vendor.slug));
                let downstream = party.and_then(|p| p.role.downstream()).cloned().unwrap_or_default();
                VendorPageEntry {
                    contact: party.map(|p| p.contact.clone()).unwrap_or_default(),
                    downstream: match &downstream {
                        Downstream::Unknown => "unknown",
                        Downstream::None => "none",
                        Downstream::Listed { .. } => "listed",
                    }
                    .to_owned(),
                    subcontractors: party
                        .map(|p| match &p.role {
                            Role::Vendor { .. } => {
                                p.role.subcontractors().iter().map(|s| name_of(s)).collect()
                            }
                            _ => Vec::new(),
                        })
                        .unwrap_or_default(),
                    vendor: x.vendor,
                    local_edit: x.local_edit,
                    update_available: x.update_available,
                }
            })
            .collect(),
        can_edit: v.can(baa_core::account::Permission::EditCatalog),
    })
}

/// One version of a record, for history tables.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VersionRow {
    /// 1, 2, ...
    pub seq: i64,
    /// Day from which it held.
    pub effective_on: String,
    /// When recorded.
    pub recorded_at: String,
    /// Who.
    pub actor: String,
    /// Why.
    pub reason: Option<String>,
}

#[cfg(feature = "ssr")]
fn version_rows(history: Vec<baa_backend::inventory::Version>) -> Vec<VersionRow> {
    history
        .into_iter()
        .map(|h| VersionRow {
            seq: h.seq,
            effective_on: h.effective_on,
            recorded_at: h.recorded_at,
            actor: h.actor,
            reason: h.reason,
        })
        .collect()
}

/// A service with its verdict, chain, findings and history.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ServiceDetailView {
    /// The coverage view of the day (for names and the service itself).
    pub view: CoverageView,
    /// The service id.
    pub id: String,
    /// Its versions.
    pub history: Vec<VersionRow>,
    /// The configurations its vendor requires for the BAA (with the add-ons in use).
    pub required: Vec<String>,
}

/// Loads one service as of a day.
#[server(endpoint = "service_detail")]
pub async fn service_detail(id: String, as_of: String) -> Result<ServiceDetailView, UiError> {
    let (b, v) = crate::ssr::context().await?;
    let history = baa_backend::inventory::history(&b, &v, baa_backend::inventory::Kind::Service, &id).await?;
    if history.is_empty() {
        return Err(baa_backend::error::AppError::NotFound.into());
    }
    let view = coverage_data(as_of).await?;
    let catalog = baa_backend::catalog_store::effective(&b.db.pool, &v.workspace_id, i64::MAX).await?;
    let required = view
        .data
        .services
        .iter()
        .find(|s| s.id == id)
        .and_then(|s| catalog.vendor(&s.vendor).map(|x| (x, s)))
        .map(|(x, s)| x.required_configuration_for(&s.add_ons).into_iter().map(str::to_owned).collect())
        .unwrap_or_default();
    Ok(ServiceDetailView { view, id, history: version_rows(history), required })
}

/// An agreement with its history.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AgreementDetailView {
    /// The agreement as recorded now.
    pub agreement: Agreement,
    /// Party names.
    pub parties: Vec<Party>,
    /// Its versions (who changed what, when, why).
    pub history: Vec<VersionRow>,
    /// Whether the viewer may change it.
    pub can_edit: bool,
    /// Findings about it today.
    pub findings: Vec<baa_core::coverage::Finding>,
    /// Versions of its executed document, newest first.
    pub documents: Vec<DocumentRow>,
    /// Upload limit in MB.
    pub max_upload_mb: usize,
    /// The agreement's vendor and its plans, to tick the plans covered.
    #[serde(default)]
    pub plan_choices: Option<PlanChoices>,
}

/// A vendor's plans, offered as boxes to tick.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlanChoices {
    /// Vendor slug.
    pub vendor: String,
    /// Vendor name.
    pub name: String,
    /// (slug, name) of each plan.
    pub plans: Vec<(String, String)>,
}

/// One version of an executed document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DocumentRow {
    /// Id (download link).
    pub id: String,
    /// Version number.
    pub version: i64,
    /// File name.
    pub file_name: String,
    /// Bytes.
    pub size: i64,
    /// SHA-256.
    pub sha256: String,
    /// Uploader.
    pub uploaded_by: String,
    /// When.
    pub uploaded_at: String,
}

/// Loads one agreement.
#[server(endpoint = "agreement_detail")]
pub async fn agreement_detail(id: String) -> Result<AgreementDetailView, UiError> {
    let (b, v) = crate::ssr::context().await?;
    let history =
        baa_backend::inventory::history(&b, &v, baa_backend::inventory::Kind::Agreement, &id).await?;
    if history.is_empty() {
        return Err(baa_backend::error::AppError::NotFound.into());
    }
    let world = baa_backend::inventory::load_world(&b, &v, baa_backend::inventory::last_day()).await?;
    let agreement = world
        .agreements
        .iter()
        .find(|a| a.id == id)
        .cloned()
        .ok_or(baa_backend::error::AppError::NotFound)?;
    let (_, today_report) =
        baa_backend::inventory::coverage(&b, &v, baa_backend::inventory::today_for(&b)).await?;
    let plan_choices = world
        .parties
        .iter()
        .filter(|p| agreement.parties.contains(&p.id))
        .find_map(|p| match &p.role {
            baa_core::coverage::Role::Vendor { vendor, .. } => world.catalog.vendor(vendor),
            _ => None,
        })
        .map(|v| PlanChoices {
            vendor: v.slug.clone(),
            name: v.name.clone(),
            plans: v.plans.iter().map(|p| (p.slug.clone(), p.name.clone())).collect(),
        });
    Ok(AgreementDetailView {
        plan_choices,
        findings: today_report.findings.into_iter().filter(|f| f.subject.id == id).collect(),
        agreement,
        parties: world.parties,
        history: version_rows(history),
        documents: baa_backend::documents::list(&b, &v, &id)
            .await?
            .into_iter()
            .map(|d| DocumentRow {
                id: d.id,
                version: d.version,
                file_name: d.file_name,
                size: d.size,
                sha256: d.sha256,
                uploaded_by: d.uploaded_by,
                uploaded_at: d.uploaded_at,
            })
            .collect(),
        max_upload_mb: b.documents.max_bytes / (1024 * 1024),
        can_edit: v.can(baa_core::account::Permission::EditAgreements),
    })
}
