//! The vendor catalog as a workspace sees it: the bundled, versioned data file plus local edits.
//!
//! Owners and legal edit a vendor's facts (plan eligibility, BAA terms, when the source was last
//! checked) with a reason. An edit replaces the vendor's bundled entry from the moment it is
//! recorded. When a newer bundled catalog changes a vendor that has a local edit, the edit stays
//! in force and the difference is shown, until someone keeps the edit or takes the new entry.

use crate::authz::authorize;
use crate::db::new_id;
use crate::error::{AppError, AppResult};
use crate::storage::catalog_edits::edits;
pub use crate::storage::catalog_edits::effective;
use crate::storage::world::catalog;
use crate::Backend;
use baa_core::account::{Permission, Viewer};
use baa_core::catalog::{Eligibility, PartialDate, Vendor};
use serde::{Deserialize, Serialize};
use sqlx::Row;
use std::collections::BTreeMap;

/// A vendor as the catalog page shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VendorView {
    /// The entry in force.
    pub vendor: Vendor,
    /// Who edited it locally, when and why (none: the bundled entry).
    pub local_edit: Option<(String, String, String)>,
    /// Differences between the local edit and a newer bundled entry, one line each.
    pub update_available: Vec<String>,
}

fn elig(e: Eligibility) -> &'static str {
    match e {
        Eligibility::Eligible => "eligible",
        Eligibility::NotEligible => "not eligible",
        Eligibility::OnRequest => "on request",
        Eligibility::Unknown => "unknown",
    }
}

/// Field-by-field differences between two entries of the same vendor.
pub fn diff(local: &Vendor, bundled: &Vendor) -> Vec<String> {
    let mut out = Vec::new();
    if local.baa_terms != bundled.baa_terms {
        out.push(format!("BAA terms: yours \"{}\", catalog \"{}\"", local.baa_terms, bundled.baa_terms));
    }
    for p in &bundled.plans {
        match local.plan(&p.slug) {
            Some(l) if l.baa_eligible != p.baa_eligible => out.push(format!(
                "{} plan: yours {}, catalog {}",
                p.name,
                elig(l.baa_eligible),
                elig(p.baa_eligible)
            )),
            None => out.push(format!("{} plan: new in the catalog ({})", p.name, elig(p.baa_eligible))),
            _ => {}
        }
    }
    for p in &local.plans {
        if bundled.plan(&p.slug).is_none() {
            out.push(format!("{} plan: no longer in the catalog", p.name));
        }
    }
    if local.source.checked != bundled.source.checked {
        out.push(format!(
            "source checked: yours {}, catalog {}",
            local.source.checked, bundled.source.checked
        ));
    }
    if local.add_ons != bundled.add_ons {
        out.push("add-ons differ".into());
    }
    if local.removed != bundled.removed {
        out.push("removal status differs".into());
    }
    out
}

/// Every vendor with its local edit and any pending catalog update.
pub async fn vendor_views(b: &Backend, v: &Viewer) -> AppResult<Vec<VendorView>> {
    authorize(v, Permission::Read)?;
    let e = edits(&b.db.pool, &v.workspace_id, i64::MAX).await?;
    Ok(catalog()
        .vendors
        .iter()
        .map(|bundled| match e.get(&bundled.slug) {
            Some(edit) => VendorView {
                vendor: edit.data.clone(),
                local_edit: Some((edit.by.clone(), crate::clock::fmt_ts(edit.at), edit.reason.clone())),
                update_available: if &edit.base == bundled { Vec::new() } else { diff(&edit.data, bundled) },
            },
            None => VendorView { vendor: bundled.clone(), local_edit: None, update_available: Vec::new() },
        })
        .collect())
}

/// An edit of one vendor's facts as the form sends it.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct VendorEditInput {
    /// Vendor slug.
    #[serde(default)]
    pub slug: String,
    /// BAA terms phrase.
    #[serde(default)]
    pub baa_terms: String,
    /// When the source was checked (YYYY, YYYY-MM or YYYY-MM-DD).
    #[serde(default)]
    pub checked: String,
    /// Why (required).
    #[serde(default)]
    pub reason: String,
    /// `plan slug -> eligibility` (eligible, not-eligible, on-request, unknown).
    #[serde(default)]
    pub plans: BTreeMap<String, String>,
}

fn parse_elig(s: &str) -> AppResult<Eligibility> {
    match s {
        "eligible" => Ok(Eligibility::Eligible),
        "not-eligible" => Ok(Eligibility::NotEligible),
        "on-request" => Ok(Eligibility::OnRequest),
        "unknown" => Ok(Eligibility::Unknown),
        _ => Err(AppError::invalid("plans", "choose eligible, not eligible, on request or unknown")),
    }
}

async fn append(
    b: &Backend,
    v: &Viewer,
    slug: &str,
    reason: &str,
    reverted: bool,
    base: &Vendor,
    data: &Vendor,
) -> AppResult<()> {
    let mut tx = b.db.begin_write().await?;
    let seq: i64 = sqlx::query(
        "SELECT CAST(COALESCE(MAX(seq), 0) AS BIGINT) AS n FROM catalog_edits WHERE workspace_id = $1 AND vendor_slug = $2",
    )
    .bind(&v.workspace_id)
    .bind(slug)
    .fetch_one(&mut *tx)
    .await?
    .try_get("n")?;
    let json = |x: &Vendor| serde_json::to_string(x).map_err(|e| AppError::Internal(e.into()));
    let action = if reverted { "catalog.reverted" } else { "catalog.edited" };
    crate::audit::Event::by(v, action, ("vendor", slug, &data.name))
        .before(serde_json::to_value(base).unwrap_or_default())
        .after(serde_json::json!({"reason": reason, "data": data}))
        .record(&mut tx, b.clock.now())
        .await?;
    sqlx::query(
        "INSERT INTO catalog_edits (id, workspace_id, vendor_slug, seq, recorded_at, actor_id, actor_name, reason, reverted, base_data, data) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
    )
    .bind(new_id())
    .bind(&v.workspace_id)
    .bind(slug)
    .bind(seq + 1)
    .bind(b.clock.now())
    .bind(&v.user_id)
    .bind(&v.name)
    .bind(reason)
    .bind(i64::from(reverted))
    .bind(json(base)?)
    .bind(json(data)?)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Longest reason kept with a catalog edit.
pub const REASON_MAX: usize = 1000;

fn reason(s: &str) -> AppResult<String> {
    if s.trim().chars().count() < 5 {
        return Err(AppError::invalid("reason", "say why (for example the source and what it now says)"));
    }
    Ok(baa_core::account::check_text("reason", s, 5, REASON_MAX, true)?)
}

/// Records a local edit of a vendor's facts.
pub async fn edit_vendor(b: &Backend, v: &Viewer, input: &VendorEditInput) -> AppResult<()> {
    authorize(v, Permission::EditCatalog)?;
    let reason = reason(&input.reason)?;
    let bundled = catalog().vendor(input.slug.trim()).ok_or(AppError::NotFound)?.clone();
    let current = edits(&b.db.pool, &v.workspace_id, i64::MAX).await?.remove(&bundled.slug);
    let mut data = current.as_ref().map(|e| e.data.clone()).unwrap_or_else(|| bundled.clone());
    let terms = input.baa_terms.trim();
    if terms.is_empty() || terms.chars().count() > 300 {
        return Err(AppError::invalid(
            "baa_terms",
            "describe the vendor's BAA terms in one phrase (up to 300 characters)",
        ));
    }
    data.baa_terms = baa_core::account::check_text("baa_terms", terms, 1, 300, false)?;
    data.source.checked = PartialDate::parse(input.checked.trim())
        .map_err(|_| AppError::invalid("checked", "enter YYYY, YYYY-MM or YYYY-MM-DD"))?;
    for (plan, e) in &input.plans {
        let e = parse_elig(e)?;
        let p = data
            .plans
            .iter_mut()
            .find(|p| &p.slug == plan)
            .ok_or_else(|| AppError::invalid("plans", format!("{} has no plan {plan}", data.name)))?;
        p.baa_eligible = e;
    }
    if current.as_ref().is_some_and(|c| c.data == data) || (current.is_none() && data == bundled) {
        return Err(AppError::invalid("reason", "nothing changed"));
    }
    append(b, v, &bundled.slug, &reason, false, &bundled, &data).await
}

/// Drops the local edit of a vendor: the bundled entry applies again.
pub async fn take_bundled(b: &Backend, v: &Viewer, slug: &str, why: &str) -> AppResult<()> {
    authorize(v, Permission::EditCatalog)?;
    let reason = reason(why)?;
    let bundled = catalog().vendor(slug.trim()).ok_or(AppError::NotFound)?.clone();
    if !edits(&b.db.pool, &v.workspace_id, i64::MAX).await?.contains_key(&bundled.slug) {
        return Err(AppError::invalid("reason", "this vendor has no local edit"));
    }
    append(b, v, &bundled.slug, &reason, true, &bundled, &bundled).await
}

/// Keeps the local edit but marks it as based on the current bundled entry (the difference was
/// reviewed and the local facts stand).
pub async fn keep_local(b: &Backend, v: &Viewer, slug: &str, why: &str) -> AppResult<()> {
    authorize(v, Permission::EditCatalog)?;
    let reason = reason(why)?;
    let bundled = catalog().vendor(slug.trim()).ok_or(AppError::NotFound)?.clone();
    let current = edits(&b.db.pool, &v.workspace_id, i64::MAX)
        .await?
        .remove(&bundled.slug)
        .ok_or_else(|| AppError::invalid("reason", "this vendor has no local edit"))?;
    append(b, v, &bundled.slug, &reason, false, &bundled, &current.data).await
}
