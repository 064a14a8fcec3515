//! Services: create and change them, record the configuration their vendor requires, and
//! confirm or reject what an import could only guess (candidate services and links).

use super::{append_notifying, date, json, list, load_world, regions, today, Change, Kind};
use crate::authz::authorize;
use crate::db::new_id;
use crate::error::{AppError, AppResult, Problems};
use crate::Backend;
use baa_core::account::{Permission, Viewer};
use baa_core::catalog::FLY;
use baa_core::coverage::{
    cites_encryption, App, Attestation, NoPhiBasis, Phi, Service, ServiceProvisioning, World,
};
use baa_core::fly_import::service_id;
use chrono::NaiveDate;
use serde::Deserialize;

/// A service as the form sends it.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct ServiceInput {
    /// Empty to create.
    #[serde(default)]
    pub id: String,
    /// Display name.
    #[serde(default)]
    pub name: String,
    /// Catalog vendor slug.
    #[serde(default)]
    pub vendor: String,
    /// `vendor|plan` from a single select (used when `vendor` is empty).
    #[serde(default)]
    pub vendor_plan: String,
    /// Product slug (empty: the vendor's first product).
    #[serde(default)]
    pub product: String,
    /// Plan slug.
    #[serde(default)]
    pub plan: String,
    /// Comma-separated add-on slugs.
    #[serde(default)]
    pub add_ons: String,
    /// Comma-separated app names.
    #[serde(default)]
    pub apps: String,
    /// Comma-separated regions.
    #[serde(default)]
    pub regions: String,
    /// Org slug when provisioned through Fly; empty for direct.
    #[serde(default)]
    pub org: String,
    /// The vendor account it lives in (AWS account id, Sentry organization slug); empty: unknown.
    #[serde(default)]
    pub account: String,
    /// yes, no, unknown.
    #[serde(default)]
    pub phi: String,
    /// When phi is "no": not-handled-by-design, conduit, de-identified or other.
    #[serde(default)]
    pub phi_basis: String,
    /// Details of the no-PHI basis; required for "other".
    #[serde(default)]
    pub phi_reason: String,
    /// Day from which this holds (empty: today).
    #[serde(default)]
    pub effective_on: String,
}

/// Why "no PHI" was refused for a reason that rests on encryption.
pub const ENCRYPTION_IS_NO_REASON: &str = "encryption is not a reason to skip a BAA: a vendor that keeps \
    encrypted PHI, even without the key, is still a business associate (HHS guidance on HIPAA and cloud \
    computing, 2016); choose another basis or record the service as handling PHI";

/// Parses the PHI fields of a form.
pub fn phi_of(phi: &str, basis: &str, reason: &str, who: &str, on: NaiveDate) -> AppResult<Phi> {
    let reason = reason.trim();
    match phi.trim() {
        "yes" => Ok(Phi::Yes),
        "unknown" | "" => Ok(Phi::Unknown),
        "no" => {
            let basis = match basis.trim() {
                "" => NoPhiBasis::Other,
                b => NoPhiBasis::parse(b).ok_or_else(|| {
                    AppError::invalid("phi_basis", "choose why it handles no PHI from the list")
                })?,
            };
            if reason.chars().count() > 500 || reason.chars().any(|c| c.is_control() && c != '\n') {
                return Err(AppError::invalid("phi_reason", "keep the reason under 500 characters"));
            }
            if basis == NoPhiBasis::Other && reason.chars().count() < 3 {
                return Err(AppError::invalid("phi_reason", "say why this service never handles PHI"));
            }
            if cites_encryption(reason) {
                return Err(AppError::invalid("phi_reason", ENCRYPTION_IS_NO_REASON));
            }
            Ok(Phi::No { basis, reason: reason.to_owned(), decided_by: who.to_owned(), decided_on: Some(on) })
        }
        _ => Err(AppError::invalid("phi", "choose yes, no or unknown")),
    }
}

/// Creates or changes a service; returns it as stored. What the form does not carry (candidate
/// apps, attestations, whether the service is confirmed) is kept.
pub async fn save_service(b: &Backend, v: &Viewer, input: &ServiceInput) -> AppResult<Service> {
    authorize(v, Permission::EditInventory)?;
    // Every problem of the form is collected, so the person sees them all at once.
    let mut p = Problems::new();
    let on = p.check(date("effective_on", &input.effective_on)).flatten().unwrap_or_else(|| today(b));
    let name = p.check(baa_core::account::check_display_name("name", &input.name).map_err(AppError::from));
    let before = load_world(b, v, on).await?;
    let existing = match input.id.trim() {
        "" => None,
        id => Some(before.services.iter().find(|s| s.id == id).cloned().ok_or(AppError::NotFound)?),
    };
    let (vendor_slug, plan_slug) = match input.vendor_plan.split_once('|') {
        Some((v, p)) if input.vendor.trim().is_empty() => (v.trim(), p.trim()),
        _ => (input.vendor.trim(), input.plan.trim()),
    };
    let vendor = before.catalog.vendor(vendor_slug);
    // An uncatalogued vendor (from an import) may stay; new services pick a catalogued one.
    let keeps_uncatalogued = existing.as_ref().is_some_and(|s| s.vendor == vendor_slug);
    if vendor.is_none() && !keeps_uncatalogued {
        p.invalid("vendor_plan", "choose a vendor from the catalog");
    }
    let product = match (input.product.trim(), vendor, &existing) {
        ("", Some(v), _) => v.products.first().map(|p| p.slug.clone()).unwrap_or_default(),
        ("", None, Some(s)) => s.product.clone(),
        (p, _, _) => p.to_string(),
    };
    // The plan as typed or shown ("Business") is the vendor's plan of that name.
    let plan_slug = vendor.and_then(|v| v.find_plan(plan_slug)).map_or(plan_slug, |x| x.slug.as_str());
    if let Some(v) = vendor {
        if !v.products.is_empty() && v.product(&product).is_none() {
            p.invalid("product", format!("{} has no product {product}", v.name));
        }
        if v.plan(plan_slug).is_none() {
            p.invalid("vendor_plan", format!("choose one of {}'s plans", v.name));
        }
    }
    let add_ons = p.check(list("add_ons", &input.add_ons, 64)).unwrap_or_default();
    if let Some(a) = add_ons.iter().find(|a| vendor.is_some_and(|v| !v.add_ons.iter().any(|x| &x.slug == *a)))
    {
        p.invalid("add_ons", format!("{a} is not an add-on of {}", vendor.map_or("", |v| v.name.as_str())));
    }
    let apps = p.check(list("apps", &input.apps, 63)).unwrap_or_default();
    if let Some(a) = apps.iter().find(|a| !before.apps.iter().any(|x| &x.name == *a)) {
        p.invalid("apps", format!("no app named {a} (add the app first)"));
    }
    let provisioning = match input.org.trim() {
        "" => ServiceProvisioning::Direct,
        org if before.orgs.iter().any(|o| o.slug == org) => {
            ServiceProvisioning::Platform { org: org.to_string() }
        }
        _ => {
            p.invalid("org", "choose an org that exists");
            ServiceProvisioning::Direct
        }
    };
    let account = input.account.trim();
    if account.chars().count() > 128 || account.chars().any(char::is_control) {
        p.invalid("account", "enter the vendor account id on one line (up to 128 characters)");
    }
    let phi = p.check(phi_of(&input.phi, &input.phi_basis, &input.phi_reason, &v.name, today(b)));
    let regions = p.check(regions("regions", &input.regions));
    p.finish()?;
    let (Some(name), Some(phi), Some(regions)) = (name, phi, regions) else {
        return Err(AppError::Internal(anyhow::anyhow!("service validation passed without a value")));
    };
    // A decision already on record keeps who made it and when, unless it changes.
    let phi = match (&existing, &phi) {
        (Some(s), Phi::No { basis, reason, .. }) => match &s.phi {
            Phi::No { basis: b0, reason: r0, .. } if b0 == basis && r0 == reason => s.phi.clone(),
            _ => phi,
        },
        _ => phi,
    };
    let (id, created_on) = existing.as_ref().map_or_else(|| (new_id(), on), |s| (s.id.clone(), s.created_on));
    let service = Service {
        id,
        name,
        vendor: vendor.map_or_else(|| vendor_slug.to_owned(), |v| v.slug.clone()),
        product,
        plan: plan_slug.to_string(),
        add_ons,
        candidate_apps: existing
            .as_ref()
            .map(|s| s.candidate_apps.iter().filter(|a| !apps.contains(a)).cloned().collect())
            .unwrap_or_default(),
        apps,
        regions,
        provisioning,
        account: (!account.is_empty()).then(|| account.to_owned()),
        phi,
        unconfirmed: existing.as_ref().and_then(|s| s.unconfirmed.clone()),
        attestations: existing.as_ref().map(|s| s.attestations.clone()).unwrap_or_default(),
        created_on,
        removed_on: None,
    };
    if existing.as_ref() == Some(&service) {
        // Saving what is already recorded changes nothing (an idempotent PUT).
        return Ok(service);
    }
    write(b, v, &before, service.clone(), on, None).await?;
    Ok(service)
}

/// Writes one version of a service, with notices for what it leaves uncovered.
async fn write(
    b: &Backend,
    v: &Viewer,
    before: &World,
    service: Service,
    on: NaiveDate,
    reason: Option<&str>,
) -> AppResult<()> {
    let mut after = before.clone();
    after.services.retain(|s| s.id != service.id);
    after.services.push(service.clone());
    let changed = [service.id.clone()];
    let versions = vec![(Kind::Service, service.id.clone(), json(&service)?, false, reason)];
    append_notifying(b, v, Change { versions, on, before, after: &after, changed: &changed }).await
}

/// Removes a service from a day on (history keeps it).
pub async fn remove_service(b: &Backend, v: &Viewer, id: &str, on: Option<NaiveDate>) -> AppResult<()> {
    authorize(v, Permission::EditInventory)?;
    let on = on.unwrap_or_else(|| today(b));
    let world = load_world(b, v, on).await?;
    let mut s = world.services.iter().find(|s| s.id == id).cloned().ok_or(AppError::NotFound)?;
    s.removed_on = Some(on);
    super::append_one(b, v, Kind::Service, id, on, &s, true, Some("removed")).await
}

/// The Fly Machines service an app needs (new, or with its org and regions brought up to date),
/// or `None` when it is already right. A Fly Postgres app keeps its Postgres service instead.
pub(super) fn fly_compute_for(world: &World, app: &App, on: NaiveDate) -> Option<Service> {
    let postgres = service_id(FLY, "postgres", &app.name);
    if world.services.iter().any(|s| s.id == postgres) {
        return None;
    }
    let id = service_id(FLY, "machines", &app.name);
    let provisioning = ServiceProvisioning::Platform { org: app.org.clone() };
    match world.services.iter().find(|s| s.id == id) {
        Some(s) if s.provisioning == provisioning && s.regions == app.regions => None,
        Some(s) => Some(Service { provisioning, regions: app.regions.clone(), ..s.clone() }),
        None => Some(Service {
            id,
            name: app.name.clone(),
            vendor: FLY.to_owned(),
            product: "machines".to_owned(),
            plan: world.orgs.iter().find(|o| o.slug == app.org).map(|o| o.plan.clone()).unwrap_or_default(),
            add_ons: Vec::new(),
            apps: vec![app.name.clone()],
            candidate_apps: Vec::new(),
            regions: app.regions.clone(),
            provisioning,
            account: None,
            phi: Phi::Unknown,
            unconfirmed: None,
            attestations: Vec::new(),
            created_on: on,
            removed_on: None,
        }),
    }
}

/// An attestation of a required configuration, as the form sends it.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct AttestInput {
    /// The service.
    #[serde(default)]
    pub id: String,
    /// The requirement, as the catalog words it.
    #[serde(default)]
    pub item: String,
    /// Last day it holds (empty: a year from today).
    #[serde(default)]
    pub review_on: String,
    /// How it was checked.
    #[serde(default)]
    pub note: String,
    /// "on" to withdraw the attestation.
    #[serde(default)]
    pub withdraw: String,
}

/// Records (or withdraws) who confirmed a configuration the vendor requires on one service.
pub async fn attest(b: &Backend, v: &Viewer, input: &AttestInput) -> AppResult<()> {
    authorize(v, Permission::EditInventory)?;
    let on = today(b);
    let world = load_world(b, v, on).await?;
    let mut s = world.services.iter().find(|s| s.id == input.id.trim()).cloned().ok_or(AppError::NotFound)?;
    let vendor = world.catalog.vendor(&s.vendor);
    let required: Vec<String> = vendor
        .map(|x| x.required_configuration_for(&s.add_ons).into_iter().map(str::to_owned).collect())
        .unwrap_or_default();
    let item = input.item.trim();
    if !required.iter().any(|r| r == item) {
        return Err(AppError::invalid("item", "choose one of the configurations this vendor requires"));
    }
    s.attestations.retain(|a| a.item != item);
    let reason = if input.withdraw == "on" {
        "configuration attestation withdrawn"
    } else {
        let review_on = match date("review_on", &input.review_on)? {
            Some(d) => d,
            None => on.checked_add_months(chrono::Months::new(12)).unwrap_or(on),
        };
        if review_on <= on || review_on > on.checked_add_months(chrono::Months::new(36)).unwrap_or(on) {
            return Err(AppError::invalid(
                "review_on",
                "set a review date after today and within three years",
            ));
        }
        let note = input.note.trim();
        if note.chars().count() > 500 {
            return Err(AppError::invalid("note", "keep the note under 500 characters"));
        }
        s.attestations.push(Attestation {
            item: item.to_owned(),
            confirmed_by: v.name.clone(),
            confirmed_on: on,
            review_on,
            note: note.to_owned(),
        });
        "configuration confirmed"
    };
    write(b, v, &world, s, on, Some(reason)).await
}

/// A decision on something an import could only guess: the service itself (no app), or one
/// candidate app's link.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct CandidateDecision {
    /// The service.
    #[serde(default)]
    pub id: String,
    /// The candidate app; empty for the service itself.
    #[serde(default)]
    pub app: String,
    /// Why (required to reject).
    #[serde(default)]
    pub reason: String,
}

/// Confirms a candidate: the service exists as found, or the app does use it.
pub async fn confirm_candidate(b: &Backend, v: &Viewer, input: &CandidateDecision) -> AppResult<()> {
    authorize(v, Permission::EditInventory)?;
    let on = today(b);
    let world = load_world(b, v, on).await?;
    let mut s = world.services.iter().find(|s| s.id == input.id.trim()).cloned().ok_or(AppError::NotFound)?;
    let app = input.app.trim();
    let reason = if app.is_empty() {
        if s.unconfirmed.take().is_none() {
            return Err(AppError::invalid("id", "this service is already confirmed"));
        }
        "candidate service confirmed"
    } else {
        if !s.candidate_apps.iter().any(|a| a == app) {
            return Err(AppError::invalid("app", format!("{app} is not a candidate app of this service")));
        }
        s.candidate_apps.retain(|a| a != app);
        s.apps.push(app.to_owned());
        "candidate app confirmed"
    };
    write(b, v, &world, s, on, Some(reason)).await
}

/// Rejects a candidate: the service is not ours (it is removed and not imported again), or the
/// app does not use it (the link is dropped and not proposed again).
pub async fn reject_candidate(b: &Backend, v: &Viewer, input: &CandidateDecision) -> AppResult<()> {
    authorize(v, Permission::EditInventory)?;
    let reason = input.reason.trim();
    if reason.chars().count() < 3 || reason.chars().count() > 500 {
        return Err(AppError::invalid("reason", "say why (3 to 500 characters)"));
    }
    let on = today(b);
    let world = load_world(b, v, on).await?;
    let mut s = world.services.iter().find(|s| s.id == input.id.trim()).cloned().ok_or(AppError::NotFound)?;
    let app = input.app.trim();
    let now = b.clock.now();
    let mut tx = b.db.begin_write().await?;
    if app.is_empty() {
        if s.unconfirmed.is_none() {
            return Err(AppError::invalid(
                "id",
                "only a candidate service can be rejected; remove a confirmed one instead",
            ));
        }
        s.removed_on = Some(on);
        super::append(&mut tx, v, Kind::Service, &s.id, on, &s, true, Some(reason), now).await?;
    } else {
        if !s.candidate_apps.iter().any(|a| a == app) {
            return Err(AppError::invalid("app", format!("{app} is not a candidate app of this service")));
        }
        s.candidate_apps.retain(|a| a != app);
        super::append(&mut tx, v, Kind::Service, &s.id, on, &s, false, Some(reason), now).await?;
    }
    sqlx::query(
        "INSERT INTO import_decisions (workspace_id, service_id, app, decided_by, decided_at, reason) \
         VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (workspace_id, service_id, app) DO NOTHING",
    )
    .bind(&v.workspace_id)
    .bind(&s.id)
    .bind(app)
    .bind(&v.name)
    .bind(now)
    .bind(reason)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(())
}

/// What people rejected before, for the import planner.
pub async fn decisions(b: &Backend, ws: &str) -> AppResult<baa_core::fly_import::Decisions> {
    use sqlx::Row;
    let rows = sqlx::query("SELECT service_id, app FROM import_decisions WHERE workspace_id = $1")
        .bind(ws)
        .fetch_all(&b.db.pool)
        .await?;
    let mut out = baa_core::fly_import::Decisions::default();
    for r in rows {
        let (id, app): (String, String) = (r.try_get("service_id")?, r.try_get("app")?);
        if app.is_empty() {
            out.rejected_services.insert(id);
        } else {
            out.rejected_links.insert((id, app));
        }
    }
    Ok(out)
}
