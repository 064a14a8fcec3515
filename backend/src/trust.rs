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

use crate::audit::{self, Actor, Event};
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
    audit::record(
        &mut tx,
        now,
        Event {
            workspace_id: &v.workspace_id,
            actor: &Actor::of(v),
            action: "trust.saved",
            subject_kind: "trust-page",
            subject_id: &slug,
            subject_name: company,
            before: serde_json::Value::Null,
            after: serde_json::json!({"slug": slug, "company_name": company, "contact": contact.as_str(), "show_services": show}),
        },
    )
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
    audit::record(
        &mut tx,
        now,
        Event {
            workspace_id: &v.workspace_id,
            actor: &Actor::of(v),
            action: if published { "trust.published" } else { "trust.unpublished" },
            subject_kind: "trust-page",
            subject_id: &s.slug,
            subject_name: &s.company_name,
            before: serde_json::Value::Null,
            after: serde_json::json!({"published": published}),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Vendor slug -> (regions, service names).
type PhiVendors = BTreeMap<String, (BTreeSet<String>, Vec<String>)>;

/// Customers to notify of one change: (customer, notice days, the day notice must go out).
pub type LegalRows = Vec<(String, i64, String)>;

/// The world today and its PHI subcontractors, by vendor slug.
async fn phi_vendors(
    b: &Backend,
    ws: &str,
    ws_name: &str,
) -> AppResult<(baa_core::coverage::World, PhiVendors)> {
    let today = world::today(b);
    let w = world::load(b, ws, ws_name, today, i64::MAX).await?;
    let mut out = PhiVendors::new();
    // Unknown PHI counts as PHI (fail closed): such a vendor is listed.
    for s in w.services.iter().filter(|s| s.exists_on(today) && !s.phi.valid_no()) {
        let e = out.entry(s.vendor.clone()).or_default();
        e.0.extend(s.regions.iter().cloned());
        e.1.push(s.name.clone());
    }
    Ok((w, out))
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
    let (w, vendors) = phi_vendors(b, ws, ws_name).await?;
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

/// A notice sent to subscribers, for the feed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NoticeEntry {
    /// Id.
    pub id: String,
    /// When.
    pub at: i64,
    /// Vendor names added.
    pub added: Vec<String>,
    /// Vendor names removed.
    pub removed: Vec<String>,
}

/// The notices of a published page, newest first (at most 50).
pub async fn notices(b: &Backend, slug: &str) -> AppResult<Vec<NoticeEntry>> {
    let p = published(b, slug).await?;
    let rows = sqlx::query(
        "SELECT id, created_at, added, removed FROM trust_notices WHERE workspace_id = $1 ORDER BY created_at DESC, id LIMIT 50",
    )
    .bind(&p.workspace_id)
    .fetch_all(&b.db.pool)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(NoticeEntry {
                id: r.try_get("id")?,
                at: r.try_get("created_at")?,
                added: serde_json::from_str(&r.try_get::<String, _>("added")?).unwrap_or_default(),
                removed: serde_json::from_str(&r.try_get::<String, _>("removed")?).unwrap_or_default(),
            })
        })
        .collect()
}

/// Asks to subscribe `email` to the page of `slug`: mails a confirmation link (double opt-in).
/// The answer is the same whether the address was new, pending or confirmed, so the form does
/// not tell who subscribes.
pub async fn subscribe(b: &Backend, slug: &str, email: &str, source: &str) -> AppResult<()> {
    let p = published(b, slug).await?;
    let email = Email::parse(email)?;
    let now = b.clock.now();
    let by_addr = format!("trust-subscribe:addr:{source}");
    let by_email = format!("trust-subscribe:email:{}", email.as_str());
    throttle::reserve_or_refuse(
        &b.db,
        &[(by_addr.as_str(), SUBSCRIBE_ADDRESS), (by_email.as_str(), SUBSCRIBE_EMAIL)],
        now,
        "Too many subscription requests.",
        "",
    )
    .await?;
    let mut tx = b.db.begin_write().await?;
    let existing =
        sqlx::query("SELECT confirmed_at FROM trust_subscribers WHERE workspace_id = $1 AND email = $2")
            .bind(&p.workspace_id)
            .bind(email.as_str())
            .fetch_optional(&mut *tx)
            .await?;
    if let Some(r) = existing {
        if r.try_get::<Option<i64>, _>("confirmed_at")?.is_some() {
            tx.commit().await?;
            return Ok(());
        }
    }
    let t = token();
    sqlx::query("DELETE FROM trust_subscribers WHERE workspace_id = $1 AND email = $2")
        .bind(&p.workspace_id)
        .bind(email.as_str())
        .execute(&mut *tx)
        .await?;
    sqlx::query(
        "INSERT INTO trust_subscribers (id, workspace_id, email, token_sha256, confirmed_at, created_at) VALUES ($1, $2, $3, $4, NULL, $5)",
    )
    .bind(new_id())
    .bind(&p.workspace_id)
    .bind(email.as_str())
    .bind(token_digest(&t))
    .bind(now)
    .execute(&mut *tx)
    .await?;
    let link = link(b, &format!("/trust/{}/confirm?token={t}", p.settings.slug));
    let mail = mail::render(
        Template::TrustConfirm,
        &format!("Confirm: subcontractor notices from {}", p.settings.company_name),
        &[("company", p.settings.company_name.as_str()), ("link", link.as_str())],
    );
    mail::enqueue(&mut tx, Some(&p.workspace_id), email.as_str(), &mail, now).await?;
    tx.commit().await?;
    Ok(())
}

fn link(b: &Backend, path: &str) -> String {
    format!("{}{}", b.config.public_url.as_str().trim_end_matches('/'), path)
}

/// Confirms a subscription by its mailed token.
pub async fn confirm(b: &Backend, slug: &str, token: &str) -> AppResult<()> {
    let p = published(b, slug).await?;
    let done = sqlx::query(
        "UPDATE trust_subscribers SET confirmed_at = COALESCE(confirmed_at, $1) WHERE workspace_id = $2 AND token_sha256 = $3",
    )
    .bind(b.clock.now())
    .bind(&p.workspace_id)
    .bind(token_digest(token.trim()))
    .execute(&b.db.pool)
    .await?;
    if done.rows_affected() == 1 {
        Ok(())
    } else {
        Err(AppError::invalid(
            "token",
            "this link is not valid: it was used to unsubscribe, or it is mistyped",
        ))
    }
}

/// Ends a subscription by its token (one click, no sign-in). Unknown tokens are refused; a page
/// unpublished since still lets people leave.
pub async fn unsubscribe(b: &Backend, slug: &str, token: &str) -> AppResult<()> {
    let done = sqlx::query(
        "DELETE FROM trust_subscribers WHERE token_sha256 = $1 AND workspace_id = (SELECT workspace_id FROM trust_pages WHERE slug = $2)",
    )
    .bind(token_digest(token.trim()))
    .bind(slug)
    .execute(&b.db.pool)
    .await?;
    if done.rows_affected() == 1 {
        Ok(())
    } else {
        Err(AppError::invalid("token", "this link is not valid, or you already unsubscribed"))
    }
}

/// Checks every published page for a changed list of PHI subcontractors and, once a change has
/// been still for [`DEBOUNCE_SECS`], sends one notice for it. Returns the notices sent.
pub async fn sweep(b: &Backend) -> AppResult<usize> {
    let pages = sqlx::query(
        "SELECT t.workspace_id, w.name, t.slug, t.company_name, t.noticed_vendors, t.pending_since FROM trust_pages t \
         JOIN workspaces w ON w.id = t.workspace_id WHERE t.published = 1",
    )
    .fetch_all(&b.db.pool)
    .await?;
    let now = b.clock.now();
    let mut sent = 0;
    for r in &pages {
        let ws: String = r.try_get("workspace_id")?;
        let ws_name: String = r.try_get("name")?;
        let slug: String = r.try_get("slug")?;
        let company: String = r.try_get("company_name")?;
        let noticed: BTreeSet<String> = r
            .try_get::<Option<String>, _>("noticed_vendors")?
            .and_then(|j| serde_json::from_str(&j).ok())
            .unwrap_or_default();
        let pending: Option<i64> = r.try_get("pending_since")?;
        let (w, vendors) = phi_vendors(b, &ws, &ws_name).await?;
        let current: BTreeSet<String> = vendors.keys().cloned().collect();
        if current == noticed {
            if pending.is_some() {
                sqlx::query("UPDATE trust_pages SET pending_since = NULL WHERE workspace_id = $1")
                    .bind(&ws)
                    .execute(&b.db.pool)
                    .await?;
            }
            continue;
        }
        let Some(since) = pending else {
            sqlx::query("UPDATE trust_pages SET pending_since = $1 WHERE workspace_id = $2")
                .bind(now)
                .bind(&ws)
                .execute(&b.db.pool)
                .await?;
            continue;
        };
        if now - since < DEBOUNCE_SECS {
            continue;
        }
        let name = |slug: &str| w.catalog.vendor(slug).map_or_else(|| slug.to_owned(), |v| v.name.clone());
        let added: Vec<String> = current.difference(&noticed).map(|s| name(s.as_str())).collect();
        let removed: Vec<String> = noticed.difference(&current).map(|s| name(s.as_str())).collect();
        // A new subcontractor's first day: the earliest creation of its PHI services.
        let starts: Option<NaiveDate> = w
            .services
            .iter()
            .filter(|s| current.contains(&s.vendor) && !noticed.contains(&s.vendor) && !s.phi.valid_no())
            .map(|s| s.created_on)
            .min();
        let today = world::today(b);
        // Customers whose BAA with us names a notice period: legal must tell them that many days
        // before a new subcontractor starts; a start already past (or a removal) is due today.
        let legal: Vec<(String, u32, NaiveDate)> = w
            .agreements
            .iter()
            .filter(|a| a.kind == AgreementKind::Baa && a.standing_on(today) == Standing::Active)
            .filter_map(|a| {
                let other = a.other(US);
                let party = w.parties.iter().find(|p| p.id == other)?;
                let days = a.notice_days?;
                matches!(party.role, Role::Customer { .. }).then(|| {
                    let due = starts
                        .and_then(|s| s.checked_sub_signed(chrono::Duration::days(i64::from(days))))
                        .map_or(today, |d| d.max(today));
                    (party.name.clone(), days, due)
                })
            })
            .collect();
        let mut tx = b.db.begin_write().await?;
        // Claim the change: only one sweep (of several instances) sends it.
        let claimed = sqlx::query(
            "UPDATE trust_pages SET noticed_vendors = $1, last_changed_at = $2, pending_since = NULL \
             WHERE workspace_id = $3 AND pending_since = $4",
        )
        .bind(serde_json::to_string(&current).map_err(|e| AppError::Internal(e.into()))?)
        .bind(now)
        .bind(&ws)
        .bind(since)
        .execute(&mut *tx)
        .await?;
        if claimed.rows_affected() != 1 {
            continue;
        }
        let id = new_id();
        let legal_json: Vec<serde_json::Value> =
            legal.iter().map(|(c, d, on)| serde_json::json!([c, d, on.to_string()])).collect();
        sqlx::query("INSERT INTO trust_notices (id, workspace_id, created_at, added, removed, legal) VALUES ($1, $2, $3, $4, $5, $6)")
            .bind(&id)
            .bind(&ws)
            .bind(now)
            .bind(serde_json::to_string(&added).map_err(|e| AppError::Internal(e.into()))?)
            .bind(serde_json::to_string(&removed).map_err(|e| AppError::Internal(e.into()))?)
            .bind(serde_json::Value::Array(legal_json).to_string())
            .execute(&mut *tx)
            .await?;
        let mut change = Vec::new();
        if !added.is_empty() {
            change.push(format!("Added: {}.", added.join(", ")));
        }
        if !removed.is_empty() {
            change.push(format!("Removed: {}.", removed.join(", ")));
        }
        let change = change.join(" ");
        let subs = sqlx::query("SELECT id, email FROM trust_subscribers WHERE workspace_id = $1 AND confirmed_at IS NOT NULL ORDER BY email")
            .bind(&ws)
            .fetch_all(&mut *tx)
            .await?;
        for s in &subs {
            // A fresh token per notice: the unsubscribe link works whichever mail it comes from.
            let t = token();
            let sub_id: String = s.try_get("id")?;
            sqlx::query("UPDATE trust_subscribers SET token_sha256 = $1 WHERE id = $2")
                .bind(token_digest(&t))
                .bind(&sub_id)
                .execute(&mut *tx)
                .await?;
            let page = link(b, &format!("/trust/{slug}"));
            let leave = link(b, &format!("/trust/{slug}/unsubscribe?token={t}"));
            let mail = mail::render(
                Template::TrustNotice,
                &format!("{company}: our PHI subcontractors changed"),
                &[
                    ("company", company.as_str()),
                    ("change", change.as_str()),
                    ("page", page.as_str()),
                    ("unsubscribe", leave.as_str()),
                ],
            );
            mail::enqueue_event(
                &mut tx,
                Some(&ws),
                &s.try_get::<String, _>("email")?,
                &mail,
                now,
                &format!("trust:{id}"),
            )
            .await?;
        }
        if !legal.is_empty() {
            // Legal and owners: which customers must be told, and by when.
            let due = legal
                .iter()
                .map(|(c, d, on)| format!("{c} ({d} days' notice): by {on}"))
                .collect::<Vec<_>>()
                .join("; ");
            let body = format!("{change} Customers whose BAA with us names a notice period: {due}.");
            let settings = link(b, "/settings");
            let preferences = link(b, "/notifications");
            let mail = mail::render(
                Template::Notice,
                "Customer notice due: our PHI subcontractors changed",
                &[
                    ("title", "Customers must be told of a subcontractor change"),
                    ("body", body.as_str()),
                    ("next_step", "Send each customer listed its notice by the day shown."),
                    ("link", settings.as_str()),
                    ("workspace", ws_name.as_str()),
                    ("preferences", preferences.as_str()),
                ],
            );
            let staff = sqlx::query(
                "SELECT u.email FROM memberships m JOIN users u ON u.id = m.user_id WHERE m.workspace_id = $1 \
                 AND m.role IN ('owner', 'legal') ORDER BY u.email",
            )
            .bind(&ws)
            .fetch_all(&mut *tx)
            .await?;
            for r in &staff {
                let to: String = r.try_get("email")?;
                mail::enqueue_event(&mut tx, Some(&ws), &to, &mail, now, &format!("trust-legal:{id}"))
                    .await?;
            }
        }
        audit::record(
            &mut tx,
            now,
            Event {
                workspace_id: &ws,
                actor: &Actor::anonymous("trust-page sweep"),
                action: "trust.notice_sent",
                subject_kind: "trust-page",
                subject_id: &slug,
                subject_name: &company,
                before: serde_json::Value::Null,
                after: serde_json::json!({"added": added, "removed": removed, "subscribers": subs.len(), "legal": legal.iter().map(|(c, d, on)| serde_json::json!({"customer": c, "notice_days": d, "notice_by": on.to_string()})).collect::<Vec<_>>()}),
            },
        )
        .await?;
        tx.commit().await?;
        sent += 1;
    }
    Ok(sent)
}

/// Customers to tell about each change, for legal, newest change first: (when noticed,
/// [(customer, notice days, the day notice must go out)]).
pub async fn legal_list(b: &Backend, v: &Viewer) -> AppResult<Vec<(String, LegalRows)>> {
    authorize(v, Permission::Read)?;
    let rows = sqlx::query("SELECT created_at, legal FROM trust_notices WHERE workspace_id = $1 ORDER BY created_at DESC LIMIT 20")
        .bind(&v.workspace_id)
        .fetch_all(&b.db.pool)
        .await?;
    let mut out = Vec::new();
    for r in &rows {
        let list: LegalRows = serde_json::from_str(&r.try_get::<String, _>("legal")?).unwrap_or_default();
        out.push((crate::clock::fmt_ts(r.try_get("created_at")?), list));
    }
    Ok(out)
}
