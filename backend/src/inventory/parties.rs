//! Parties: customers, vendors' subcontractors, and what we know of each catalog vendor (how to
//! reach it, and whether its own PHI subcontractors are known).

use super::{append_one, catalog, load_world, today, vendor_party, Kind};
use crate::authz::authorize;
use crate::db::new_id;
use crate::error::{AppError, AppResult};
use crate::Backend;
use baa_core::account::{Permission, Viewer};
use baa_core::coverage::{Downstream, Party, Role};
use serde::Deserialize;

/// A party (customer or vendor's subcontractor) as the form sends it.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct PartyInput {
    /// Display name.
    #[serde(default)]
    pub name: String,
    /// customer or subcontractor.
    #[serde(default)]
    pub kind: String,
    /// For a customer: whether we handle its PHI ("on" or empty).
    #[serde(default)]
    pub handles_phi: String,
    /// For a customer: whether the relationship is current ("on" or empty).
    #[serde(default)]
    pub active: String,
    /// For a subcontractor: the catalog vendor it serves.
    #[serde(default)]
    pub vendor: String,
    /// How to reach the party.
    #[serde(default)]
    pub contact: String,
}

fn contact(text: &str) -> AppResult<String> {
    let text = text.trim();
    if text.chars().count() > 300 || text.chars().any(|c| c.is_control() && c != '\n') {
        return Err(AppError::invalid("contact", "keep the contact under 300 characters"));
    }
    Ok(text.to_owned())
}

/// Records a customer or a vendor's subcontractor; returns the party id.
pub async fn save_party(b: &Backend, v: &Viewer, input: &PartyInput) -> AppResult<String> {
    authorize(v, Permission::EditAgreements)?;
    let name = baa_core::account::check_display_name("name", &input.name)?;
    let (id, role) = match input.kind.as_str() {
        "customer" => (
            format!("cust:{}", new_id()),
            Role::Customer { active: input.active == "on", handles_phi: input.handles_phi == "on" },
        ),
        "subcontractor" => {
            let vendor = catalog()
                .vendor(input.vendor.trim())
                .ok_or_else(|| AppError::invalid("vendor", "choose the vendor this subcontractor serves"))?;
            (
                format!("sub:{}:{}", vendor.slug, new_id()),
                Role::Subcontractor { downstream: Downstream::Unknown },
            )
        }
        _ => return Err(AppError::invalid("kind", "choose customer or subcontractor")),
    };
    let party = Party { id: id.clone(), name, role, contact: contact(&input.contact)? };
    append_one(b, v, Kind::Party, &id, today(b), &party, false, None).await?;
    Ok(id)
}

/// What legal records about a catalog vendor, as the form sends it.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct VendorFactsInput {
    /// Catalog slug.
    #[serde(default)]
    pub vendor: String,
    /// How to reach the vendor about its BAA.
    #[serde(default)]
    pub contact: String,
    /// unknown, none or listed: what the vendor says of its own PHI subcontractors.
    #[serde(default)]
    pub downstream: String,
    /// Why (the vendor's subprocessor page, a letter).
    #[serde(default)]
    pub reason: String,
}

/// Records a vendor's contact and whether its PHI subcontractors are known ("listed" needs the
/// subcontractors recorded as parties; "none" is the vendor's word that it uses none).
pub async fn save_vendor_facts(b: &Backend, v: &Viewer, input: &VendorFactsInput) -> AppResult<()> {
    authorize(v, Permission::EditAgreements)?;
    let world = load_world(b, v, today(b)).await?;
    let slug = input.vendor.trim();
    let vendor = world
        .catalog
        .vendor(slug)
        .ok_or_else(|| AppError::invalid("vendor", "choose a vendor from the catalog"))?;
    let id = vendor_party(&vendor.slug);
    let listed = world
        .parties
        .iter()
        .any(|p| matches!(p.role, Role::Subcontractor { .. }) && super::subcontractor_of(p) == Some(slug));
    let downstream = match input.downstream.trim() {
        "unknown" | "" => Downstream::Unknown,
        "none" if listed => {
            return Err(AppError::invalid(
                "downstream",
                format!("{} has subcontractors recorded; remove them before saying it has none", vendor.name),
            ))
        }
        "none" => Downstream::None,
        "listed" => Downstream::Listed { subcontractors: Vec::new() },
        _ => return Err(AppError::invalid("downstream", "choose unknown, none or listed")),
    };
    let reason = input.reason.trim();
    if reason.chars().count() > 500 {
        return Err(AppError::invalid("reason", "keep the reason under 500 characters"));
    }
    let party = Party {
        id: id.clone(),
        name: vendor.name.clone(),
        role: Role::Vendor { vendor: vendor.slug.clone(), downstream },
        contact: contact(&input.contact)?,
    };
    append_one(b, v, Kind::Party, &id, today(b), &party, false, (!reason.is_empty()).then_some(reason)).await
}
