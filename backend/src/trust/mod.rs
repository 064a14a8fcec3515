//! The public trust page of a workspace (`/trust/<slug>`): the company, the subcontractors that
//! handle PHI (vendor, what it does, regions, "BAA in place since"), when that list last changed,
//! and a contact address. Nothing else: service names only when the owner chooses to show them;
//! no findings, agreement terms or documents. Off until an owner publishes it, after a preview of
//! exactly what will be public ([`preview`] and [`public`] build the same [`PublicPage`]).
//!
//! Subscribers confirm by a mailed link (double opt-in) and leave with one click; the link
//! carries a random token whose SHA-256 alone is stored. Subscriptions are throttled per address
//! and per e-mail. [`sweep`] compares the PHI subcontractors with the list last noticed and, once
//! the list has been still for [`DEBOUNCE_SECS`], sends one notice per change through the outbox
//! (a sync that adds three sends one mail), and lists for legal the customers whose BAA names a
//! notice period, with the day notice must go out.
//!
//! This file holds the page (settings, preview, the public view); `subscribers` holds the
//! subscriptions, the change notices and legal's list.

use crate::audit::{Actor, Event};
use crate::authz::authorize;
use crate::db::new_id;
use crate::error::{AppError, AppResult};
use crate::mail::{self, Template};
use crate::secret::token_digest;
use crate::storage::world::{self, US};
use crate::throttle::{self, Rule};
use crate::Backend;
use baa_core::account::{Email, Permission, Viewer};
use baa_core::coverage::{AgreementKind, Role, Standing};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use sqlx::Row;
use std::collections::{BTreeMap, BTreeSet};

mod subscribers;

pub use subscribers::*;

/// Seconds the list of PHI subcontractors must stay unchanged before a notice goes out.
pub const DEBOUNCE_SECS: i64 = 600;
/// Subscriptions per client address: 5, then 60 s doubling to an hour.
pub const SUBSCRIBE_ADDRESS: Rule = Rule { free: 5, base_delay: 60, max_delay: 3600, quiet: 3600 };
/// Subscriptions per e-mail address: 2, then 10 minutes doubling to a day.
pub const SUBSCRIBE_EMAIL: Rule = Rule { free: 2, base_delay: 600, max_delay: 86_400, quiet: 86_400 };

/// Every field name the public page, its JSON form and its feed render. The test
/// `the_public_page_renders_only_its_listed_fields` checks the JSON keys against this list.
pub const PUBLIC_FIELDS: &[&str] = &[
    "company",
    "subcontractors",
    "vendor",
    "does",
    "regions",
    "baa_since",
    "services",
    "last_changed",
    "contact",
];

/// One subcontractor that handles PHI, as the public sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PublicSubcontractor {
    /// Vendor name ("Fly.io").
    pub vendor: String,
    /// What it does (the catalog's category: "compute", "object storage").
    pub does: String,
    /// Regions its PHI lives in (empty: not recorded).
    pub regions: Vec<String>,
    /// First day of the BAA with it now in force; `None` when none is.
    pub baa_since: Option<NaiveDate>,
    /// Our service names, only when the owner chose to show them.
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub services: Vec<String>,
}

/// Exactly what the public trust page shows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PublicPage {
    /// Company name as the owner entered it.
    pub company: String,
    /// Subcontractors that handle PHI, by vendor name.
    pub subcontractors: Vec<PublicSubcontractor>,
    /// Day the list last changed (its first publication until then).
    pub last_changed: Option<NaiveDate>,
    /// Contact address.
    pub contact: String,
}

/// The owner's settings of the trust page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TrustSettings {
    /// Address part: `/trust/<slug>`.
    pub slug: String,
    /// Whether it is public.
    pub published: bool,
    /// Company name shown.
    pub company_name: String,
    /// Contact address shown.
    pub contact: String,
    /// Whether service names are shown.
    pub show_services: bool,
    /// Confirmed subscribers.
    pub subscribers: i64,
}

/// What an owner submits.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct TrustInput {
    /// Slug.
    #[serde(default)]
    pub slug: String,
    /// Company name.
    #[serde(default)]
    pub company_name: String,
    /// Contact e-mail address.
    #[serde(default)]
    pub contact: String,
    /// "on" to show service names.
    #[serde(default)]
    pub show_services: Option<String>,
}

fn token() -> String {
    use rand::RngCore;
    let mut bytes = [0_u8; 32];
    rand::thread_rng().fill_bytes(&mut bytes);
    hex::encode(bytes)
}

/// The settings of the viewer's workspace (`None` before the first save). Owners only.
pub async fn settings(b: &Backend, v: &Viewer) -> AppResult<Option<TrustSettings>> {
    authorize(v, Permission::ManageSettings)?;
    let Some(r) = sqlx::query(
        "SELECT slug, published, company_name, contact, show_services FROM trust_pages WHERE workspace_id = $1",
    )
    .bind(&v.workspace_id)
    .fetch_optional(&b.db.pool)
    .await?
    else {
        return Ok(None);
    };
    let subscribers: i64 = sqlx::query(
        "SELECT CAST(COUNT(*) AS BIGINT) AS n FROM trust_subscribers WHERE workspace_id = $1 AND confirmed_at IS NOT NULL",
    )
    .bind(&v.workspace_id)
    .fetch_one(&b.db.pool)
    .await?
    .try_get("n")?;
    Ok(Some(TrustSettings {
        slug: r.try_get("slug")?,
        published: crate::db::flag(&r, "published")?,
        company_name: r.try_get("company_name")?,
        contact: r.try_get("contact")?,
        show_services: crate::db::flag(&r, "show_services")?,
        subscribers,
    }))
}

/// Saves the settings (validated first: nothing is stored when a field is wrong). Saving does
/// not publish; a published page shows the new settings at once.
pub async fn save(b: &Backend, v: &Viewer, input: &TrustInput) -> AppResult<()> {
    authorize(v, Permission::ManageSettings)?;
    let slug = crate::inventory::slug("slug", &input.slug)?;
    let company = input.company_name.trim();
    if company.is_empty() || company.chars().count() > 120 {
        return Err(AppError::invalid("company_name", "enter the company name (at most 120 characters)"));
    }
    let contact = Email::parse(&input.contact).map_err(|_| {
        AppError::invalid("contact", "enter a contact e-mail address like privacy@example.com")
    })?;
    let show = input.show_services.as_deref().is_some_and(|s| s == "on" || s == "true");
    let taken = sqlx::query("SELECT workspace_id FROM trust_pages WHERE slug = $1 AND workspace_id <> $2")
        .bind(&slug)
        .bind(&v.workspace_id)
        .fetch_optional(&b.db.pool)
        .await?;
    if taken.is_some() {
        return Err(AppError::Conflict {
            field: "slug".into(),
            message: "this address is taken; choose another".into(),
        });
    }
    let now = b.clock.now();
    let mut tx = b.db.begin_write().await?;
    let exists = sqlx::query("SELECT slug FROM trust_pages WHERE workspace_id = $1")
        .bind(&v.workspace_id)
        .fetch_optional(&mut *tx)
        .await?
        .is_some();
    if exists {
        sqlx::query(
            "UPDATE trust_pages SET slug = $1, company_name = $2, contact = $3, show_services = $4, updated_at = $5, \
             updated_by_name = $6 WHERE workspace_id = $7",
        )
        .bind(&slug)
        .bind(company)
        .bind(contact.as_str())
        .bind(i64::from(show))
        .bind(now)
        .bind(&v.name)
        .bind(&v.workspace_id)
        .execute(&mut *tx)
        .await?;
    } else {
        sqlx::query(
            "INSERT INTO trust_pages (workspace_id, slug, published, company_name, contact, show_services, updated_at, updated_by_name) \
             VALUES ($1, $2, 0, $3, $4, $5, $6, $7)",
        )
        .bind(&v.workspace_id)
        .bind(&slug)
        .bind(company)
        .bind(contact.as_str())
        .bind(i64::from(show))
        .bind(now)
        .bind(&v.name)
        .execute(&mut *tx)
        .await?;
    }
    Event::by(v, "trust.saved", ("trust-page", &slug, company)).after(serde_json::json!({"slug": slug, "company_name": company, "contact": contact.as_str(), "show_services": show})).record(&mut tx, now)
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Publishes or unpublishes the page. Publishing records the current list as noticed, so the
/// first publication sends no change notice.
pub async fn set_published(b: &Backend, v: &Viewer, published: bool) -> AppResult<()> {
    authorize(v, Permission::ManageSettings)?;
    let Some(s) = settings(b, v).await? else {
        return Err(AppError::invalid("slug", "save the trust page settings first"));
    };
    let now = b.clock.now();
    let vendors =
        if published { Some(vendor_slugs(b, &v.workspace_id, &v.workspace_name).await?) } else { None };
    let mut tx = b.db.begin_write().await?;
    sqlx::query("UPDATE trust_pages SET published = $1 WHERE workspace_id = $2")
        .bind(i64::from(published))
        .bind(&v.workspace_id)
        .execute(&mut *tx)
        .await?;
    if let Some(list) = vendors {
        sqlx::query(
            "UPDATE trust_pages SET noticed_vendors = $1, last_changed_at = COALESCE(last_changed_at, $2), pending_since = NULL \
             WHERE workspace_id = $3",
        )
        .bind(serde_json::to_string(&list).map_err(|e| AppError::Internal(e.into()))?)
        .bind(now)
        .bind(&v.workspace_id)
        .execute(&mut *tx)
        .await?;
    }
    Event::by(
        v,
        if published { "trust.published" } else { "trust.unpublished" },
        ("trust-page", &s.slug, &s.company_name),
    )
    .after(serde_json::json!({"published": published}))
    .record(&mut tx, now)
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Vendor slug -> (regions, service names).
type PhiVendors = BTreeMap<String, (BTreeSet<String>, Vec<String>)>;

/// Customers to notify of one change: (customer, notice days, the day notice must go out).
pub type LegalRows = Vec<(String, i64, String)>;

/// Today's view (cached per revision: a public page never rebuilds the world) and its PHI
/// subcontractors, by vendor slug.
async fn phi_vendors(
    b: &Backend,
    ws: &str,
    ws_name: &str,
) -> AppResult<(std::sync::Arc<world::CoverageView>, PhiVendors)> {
    let today = world::today(b);
    let view = world::coverage_view(b, ws, ws_name, today).await?;
    let w = &view.world;
    let mut out = PhiVendors::new();
    // Unknown PHI counts as PHI (fail closed): such a vendor is listed.
    for s in w.services.iter().filter(|s| s.exists_on(today) && !s.phi.valid_no()) {
        let e = out.entry(s.vendor.clone()).or_default();
        e.0.extend(s.regions.iter().cloned());
        e.1.push(s.name.clone());
    }
    Ok((view, out))
}

async fn vendor_slugs(b: &Backend, ws: &str, ws_name: &str) -> AppResult<Vec<String>> {
    Ok(phi_vendors(b, ws, ws_name).await?.1.into_keys().collect())
}

async fn build(
    b: &Backend,
    ws: &str,
    ws_name: &str,
    s: &TrustSettings,
    last_changed: Option<i64>,
) -> AppResult<PublicPage> {
    let today = world::today(b);
    let (view, vendors) = phi_vendors(b, ws, ws_name).await?;
    let w = &view.world;
    let mut subcontractors = Vec::new();
    for (slug, (regions, services)) in vendors {
        let cat = w.catalog.vendor(&slug);
        let party = world::vendor_party(&slug);
        let baa_since = w
            .agreements
            .iter()
            .filter(|a| {
                a.kind == AgreementKind::Baa
                    && a.parties.contains(&US.to_owned())
                    && a.parties.contains(&party)
                    && a.standing_on(today) == Standing::Active
            })
            .filter_map(|a| a.effective_from())
            .min();
        let mut services = if s.show_services { services } else { Vec::new() };
        services.sort();
        subcontractors.push(PublicSubcontractor {
            vendor: cat.map_or_else(|| slug.clone(), |c| c.name.clone()),
            does: cat.map(|c| c.category.clone()).unwrap_or_default(),
            regions: regions.into_iter().collect(),
            baa_since,
            services,
        });
    }
    subcontractors.sort_by(|a, b| a.vendor.cmp(&b.vendor));
    Ok(PublicPage {
        company: s.company_name.clone(),
        subcontractors,
        last_changed: last_changed
            .and_then(|t| chrono::DateTime::from_timestamp(t, 0))
            .map(|t| t.date_naive()),
        contact: s.contact.clone(),
    })
}

/// Exactly what would be public now (owners), whether published or not.
pub async fn preview(b: &Backend, v: &Viewer) -> AppResult<PublicPage> {
    let Some(s) = settings(b, v).await? else {
        return Err(AppError::invalid("slug", "save the trust page settings first"));
    };
    let last: Option<i64> = sqlx::query("SELECT last_changed_at FROM trust_pages WHERE workspace_id = $1")
        .bind(&v.workspace_id)
        .fetch_one(&b.db.pool)
        .await?
        .try_get("last_changed_at")?;
    build(b, &v.workspace_id, &v.workspace_name, &s, last.or(Some(b.clock.now()))).await
}

struct Published {
    workspace_id: String,
    workspace_name: String,
    settings: TrustSettings,
    last_changed_at: Option<i64>,
}

async fn published(b: &Backend, slug: &str) -> AppResult<Published> {
    let r = sqlx::query(
        "SELECT t.workspace_id, w.name, t.slug, t.company_name, t.contact, t.show_services, t.last_changed_at \
         FROM trust_pages t JOIN workspaces w ON w.id = t.workspace_id WHERE t.slug = $1 AND t.published = 1",
    )
    .bind(slug)
    .fetch_optional(&b.db.pool)
    .await?
    .ok_or(AppError::NotFound)?;
    Ok(Published {
        workspace_id: r.try_get("workspace_id")?,
        workspace_name: r.try_get("name")?,
        settings: TrustSettings {
            slug: r.try_get("slug")?,
            published: true,
            company_name: r.try_get("company_name")?,
            contact: r.try_get("contact")?,
            show_services: crate::db::flag(&r, "show_services")?,
            subscribers: 0,
        },
        last_changed_at: r.try_get("last_changed_at")?,
    })
}

/// The public page of `slug`; not found unless it is published.
pub async fn public(b: &Backend, slug: &str) -> AppResult<PublicPage> {
    let p = published(b, slug).await?;
    build(b, &p.workspace_id, &p.workspace_name, &p.settings, p.last_changed_at).await
}
