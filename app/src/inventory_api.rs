//! Server functions for the coverage dashboard and the inventory and agreement pages.

use crate::api::UiError;
use baa_core::coverage::{Agreement, App, FlyOrg, Party, Report, Service};
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

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
    /// Whether it is provisioned through Fly.
    pub extension: bool,
    /// Set when the extension can no longer be created.
    pub removed: bool,
    /// BAA terms in one phrase.
    pub baa_terms: String,
    /// Source name and date checked.
    pub source: String,
}

/// The coverage view of one day.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CoverageView {
    /// The day.
    pub as_of: String,
    /// Today.
    pub today: String,
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
    /// Whether the viewer may edit inventory.
    pub can_edit_inventory: bool,
    /// Whether the viewer may edit agreements.
    pub can_edit_agreements: bool,
    /// The relationship graph as an SVG document.
    pub graph_svg: String,
}

/// Loads coverage for `as_of` (YYYY-MM-DD; empty for today).
#[server(endpoint = "coverage_data")]
pub async fn coverage_data(as_of: String) -> Result<CoverageView, UiError> {
    use baa_backend::inventory;
    use baa_core::account::Permission;
    let (b, v) = crate::ssr::context().await?;
    let today = inventory::today_for(&b);
    let day = inventory::date("as_of", &as_of)?.unwrap_or(today);
    let (world, report) = inventory::coverage(&b, &v, day).await?;
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
            extension: x.platform().is_some(),
            removed: x.removed.is_some(),
            baa_terms: x.baa_terms.clone(),
            source: format!("{} (checked {})", x.source.name, x.source.checked),
        })
        .collect();
    let graph_svg = crate::graph::render(&world, &report);
    Ok(CoverageView {
        as_of: day.to_string(),
        today: today.to_string(),
        report,
        orgs: world.orgs,
        apps: world.apps,
        services: world.services,
        agreements: world.agreements,
        parties: world.parties,
        vendors,
        can_edit_inventory: v.can(Permission::EditInventory),
        can_edit_agreements: v.can(Permission::EditAgreements),
        graph_svg,
    })
}
