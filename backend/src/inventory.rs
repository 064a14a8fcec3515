//! Inventory (parties, Fly orgs, apps, services) and agreements, stored as versioned records.
//!
//! Every change appends a version (who, when, from which day it holds, why) to `records`; nothing
//! is updated in place. [`load_world`] rebuilds the engine's `World` as of any day by taking,
//! for each record, the latest version in force that day. Validation happens here, before the
//! write, so a refused change stores nothing.

use crate::accounts::authorize;
use crate::db::new_id;
use crate::error::{AppError, AppResult};
use crate::Backend;
use baa_core::account::{Permission, Viewer};
use baa_core::catalog::Catalog;
use baa_core::coverage::{
    Agreement, AgreementKind, App, Clause, Environment, FlyOrg, Party, Phi, Policy, Role, Scope, Service,
    ServiceProvisioning, Status, StatusChange, World,
};
use chrono::NaiveDate;
use serde::{de::DeserializeOwned, Deserialize, Serialize};
use sqlx::Row;
use std::collections::BTreeMap;
use std::sync::OnceLock;

/// Id of our own party in every workspace.
pub const US: &str = "us";

/// Party id of a catalog vendor.
pub fn vendor_party(slug: &str) -> String {
    format!("vendor:{slug}")
}

/// The bundled vendor catalog.
pub fn catalog() -> &'static Catalog {
    static CATALOG: OnceLock<Catalog> = OnceLock::new();
    CATALOG.get_or_init(|| Catalog::bundled().unwrap_or_else(|_| Catalog::empty()))
}

/// What kind of record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Customers and subcontractors (vendors come from the catalog).
    Party,
    /// Fly organizations.
    Org,
    /// Fly apps.
    App,
    /// Services.
    Service,
    /// Agreements.
    Agreement,
    /// The workspace coverage policy.
    Policy,
}

impl Kind {
    fn as_str(self) -> &'static str {
        match self {
            Kind::Party => "party",
            Kind::Org => "org",
            Kind::App => "app",
            Kind::Service => "service",
            Kind::Agreement => "agreement",
            Kind::Policy => "policy",
        }
    }
}

/// One stored version, as the history views show it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Version {
    /// 1, 2, ...
    pub seq: i64,
    /// Day from which it holds.
    pub effective_on: String,
    /// When it was recorded (formatted).
    pub recorded_at: String,
    /// Who recorded it.
    pub actor: String,
    /// Why, when given.
    pub reason: Option<String>,
    /// Whether this version removed the record.
    pub deleted: bool,
}

/// Appends a version of a record inside `tx` (with its audit entry, in the same transaction).
#[expect(clippy::too_many_arguments, reason = "one row of the version table, named field by field")]
pub(crate) async fn append(
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    v: &Viewer,
    kind: Kind,
    entity_id: &str,
    effective_on: NaiveDate,
    data: &impl Serialize,
    deleted: bool,
    reason: Option<&str>,
    now: i64,
) -> AppResult<()> {
    let seq: i64 = sqlx::query(
        "SELECT CAST(COALESCE(MAX(seq), 0) AS BIGINT) AS n FROM records WHERE workspace_id = $1 AND kind = $2 AND entity_id = $3",
    )
    .bind(&v.workspace_id)
    .bind(kind.as_str())
    .bind(entity_id)
    .fetch_one(&mut **tx)
    .await?
    .try_get("n")?;
    let after = serde_json::to_value(data).map_err(|e| AppError::Internal(e.into()))?;
    let json = after.to_string();
    let before: serde_json::Value = match sqlx::query(
        "SELECT data FROM records WHERE workspace_id = $1 AND kind = $2 AND entity_id = $3 AND seq = $4",
    )
    .bind(&v.workspace_id)
    .bind(kind.as_str())
    .bind(entity_id)
    .bind(seq)
    .fetch_optional(&mut **tx)
    .await?
    {
        Some(r) => serde_json::from_str(&r.try_get::<String, _>("data")?).unwrap_or(serde_json::Value::Null),
        None => serde_json::Value::Null,
    };
    let name = after
        .get("name")
        .or_else(|| after.get("title"))
        .or_else(|| after.get("slug"))
        .and_then(|n| n.as_str())
        .unwrap_or(entity_id)
        .to_string();
    let action = format!(
        "{}.{}",
        kind.as_str(),
        if deleted {
            "removed"
        } else if seq == 0 {
            "created"
        } else {
            "changed"
        }
    );
    crate::audit::record(
        tx,
        now,
        crate::audit::Event {
            workspace_id: &v.workspace_id,
            actor: &crate::audit::Actor::of(v),
            action: &action,
            subject_kind: kind.as_str(),
            subject_id: entity_id,
            subject_name: &name,
            before,
            after: serde_json::json!({"effective_on": effective_on.to_string(), "reason": reason, "data": after}),
        },
    )
    .await?;
    sqlx::query(
        "INSERT INTO records (id, workspace_id, kind, entity_id, seq, effective_on, recorded_at, actor_id, actor_name, reason, deleted, data) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
    )
    .bind(new_id())
    .bind(&v.workspace_id)
    .bind(kind.as_str())
    .bind(entity_id)
    .bind(seq + 1)
    .bind(effective_on.to_string())
    .bind(now)
    .bind(&v.user_id)
    .bind(&v.name)
    .bind(reason.map(str::trim).filter(|r| !r.is_empty()))
    .bind(i64::from(deleted))
    .bind(json)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Appends one version in a transaction of its own.
#[expect(clippy::too_many_arguments, reason = "one row of the version table, named field by field")]
async fn append_one(
    b: &Backend,
    v: &Viewer,
    kind: Kind,
    entity_id: &str,
    effective_on: NaiveDate,
    data: &impl Serialize,
    deleted: bool,
    reason: Option<&str>,
) -> AppResult<()> {
    let mut tx = b.db.begin_write().await?;
    append(&mut tx, v, kind, entity_id, effective_on, data, deleted, reason, b.clock.now()).await?;
    tx.commit().await?;
    Ok(())
}

/// The latest version in force on `as_of` of every record of `kind`, keyed by entity id.
pub(crate) async fn current<T: DeserializeOwned>(
    b: &Backend,
    ws: &str,
    kind: Kind,
    as_of: NaiveDate,
) -> AppResult<BTreeMap<String, T>> {
    let rows = sqlx::query(
        "SELECT entity_id, deleted, data FROM records WHERE workspace_id = $1 AND kind = $2 AND effective_on <= $3 \
         ORDER BY entity_id, effective_on, seq",
    )
    .bind(ws)
    .bind(kind.as_str())
    .bind(as_of.to_string())
    .fetch_all(&b.db.pool)
    .await?;
    let mut out = BTreeMap::new();
    for r in rows {
        let id: String = r.try_get("entity_id")?;
        if crate::db::flag(&r, "deleted")? {
            out.remove(&id);
            continue;
        }
        let data: String = r.try_get("data")?;
        let value: T = serde_json::from_str(&data)
            .map_err(|e| AppError::Internal(anyhow::anyhow!("record {id}: {e}")))?;
        out.insert(id, value);
    }
    Ok(out)
}

/// Version history of one record, oldest first (empty when it is not in this workspace).
pub async fn history(b: &Backend, v: &Viewer, kind: Kind, entity_id: &str) -> AppResult<Vec<Version>> {
    authorize(v, Permission::Read)?;
    let rows = sqlx::query(
        "SELECT seq, effective_on, recorded_at, actor_name, reason, deleted FROM records \
         WHERE workspace_id = $1 AND kind = $2 AND entity_id = $3 ORDER BY seq",
    )
    .bind(&v.workspace_id)
    .bind(kind.as_str())
    .bind(entity_id)
    .fetch_all(&b.db.pool)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(Version {
                seq: r.try_get("seq")?,
                effective_on: r.try_get("effective_on")?,
                recorded_at: crate::clock::fmt_ts(r.try_get("recorded_at")?),
                actor: r.try_get("actor_name")?,
                reason: r.try_get("reason")?,
                deleted: crate::db::flag(r, "deleted")?,
            })
        })
        .collect()
}

/// The workspace's policy as of a day (the default until an owner sets one).
pub async fn policy(b: &Backend, ws: &str, as_of: NaiveDate) -> AppResult<Policy> {
    Ok(current::<Policy>(b, ws, Kind::Policy, as_of).await?.remove("policy").unwrap_or_default())
}

/// Rebuilds the world as it was on `as_of`.
pub async fn load_world(b: &Backend, v: &Viewer, as_of: NaiveDate) -> AppResult<World> {
    authorize(v, Permission::Read)?;
    let ws = v.workspace_id.as_str();
    let end_of_day = as_of
        .succ_opt()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|t| t.and_utc().timestamp() - 1)
        .unwrap_or(i64::MAX);
    let cat = crate::catalog_store::effective(b, ws, end_of_day).await?;
    let stored: BTreeMap<String, Party> = current(b, ws, Kind::Party, as_of).await?;
    let mut parties = vec![Party { id: US.into(), name: v.workspace_name.clone(), role: Role::Us }];
    for vendor in &cat.vendors {
        let id = vendor_party(&vendor.slug);
        let subcontractors = stored
            .values()
            .filter(|p| matches!(p.role, Role::Subcontractor { .. }))
            .filter(|p| subcontractor_of(p) == Some(vendor.slug.as_str()))
            .map(|p| p.id.clone())
            .collect();
        parties.push(Party {
            id,
            name: vendor.name.clone(),
            role: Role::Vendor { vendor: vendor.slug.clone(), subcontractors },
        });
    }
    parties.extend(stored.into_values());
    Ok(World {
        us: US.into(),
        parties,
        catalog: cat,
        orgs: current(b, ws, Kind::Org, as_of).await?.into_values().collect(),
        apps: current(b, ws, Kind::App, as_of).await?.into_values().collect(),
        services: current(b, ws, Kind::Service, as_of).await?.into_values().collect(),
        agreements: {
            let with_docs = crate::documents::agreements_with_documents(b, ws, end_of_day).await?;
            current::<Agreement>(b, ws, Kind::Agreement, as_of)
                .await?
                .into_values()
                .map(|mut a| {
                    a.has_executed_document = with_docs.contains(&a.id);
                    a
                })
                .collect()
        },
    })
}

/// Subcontractor parties are stored with the vendor they serve encoded in their id
/// (`sub:<vendor>:<id>`), so the vendor's list can be rebuilt for any day.
fn subcontractor_of(p: &Party) -> Option<&str> {
    p.id.strip_prefix("sub:").and_then(|rest| rest.split(':').next())
}

/// The last day that compares correctly as `YYYY-MM-DD` text (reads every recorded version).
pub fn last_day() -> NaiveDate {
    NaiveDate::from_ymd_opt(9999, 12, 31).unwrap_or(NaiveDate::MAX)
}

fn today(b: &Backend) -> NaiveDate {
    b.clock.now_utc().date_naive()
}

fn slug(field: &str, s: &str) -> AppResult<String> {
    let s = s.trim().to_lowercase();
    if s.is_empty()
        || s.len() > 63
        || !s.bytes().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == b'-')
    {
        return Err(AppError::invalid(field, "use lowercase letters, digits and dashes (as Fly names do)"));
    }
    Ok(s)
}

fn regions(field: &str, s: &str) -> AppResult<Vec<String>> {
    let mut out = Vec::new();
    for r in s.split([',', ' ']).map(str::trim).filter(|r| !r.is_empty()) {
        let r = r.to_lowercase();
        if r.len() > 8 || !r.bytes().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == b'-') {
            return Err(AppError::invalid(field, format!("{r} is not a region code such as iad or fra")));
        }
        if !out.contains(&r) {
            out.push(r);
        }
    }
    Ok(out)
}

/// Parses an optional `YYYY-MM-DD` date field.
pub fn date(field: &str, s: &str) -> AppResult<Option<NaiveDate>> {
    let s = s.trim();
    if s.is_empty() {
        return Ok(None);
    }
    NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .ok()
        .filter(|d| (1900..=9999).contains(&chrono::Datelike::year(d)))
        .map(Some)
        .ok_or_else(|| AppError::invalid(field, "enter a date as YYYY-MM-DD (years 1900 to 9999)"))
}

fn environment(s: &str) -> AppResult<Environment> {
    match s {
        "production" => Ok(Environment::Production),
        "staging" => Ok(Environment::Staging),
        "development" => Ok(Environment::Development),
        _ => Err(AppError::invalid("environment", "choose production, staging or development")),
    }
}

/// A Fly org as the form sends it.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct OrgInput {
    /// Fly slug.
    #[serde(default)]
    pub slug: String,
    /// Display name.
    #[serde(default)]
    pub name: String,
    /// production, staging, development.
    #[serde(default)]
    pub environment: String,
    /// Fly.io plan slug from the catalog.
    #[serde(default)]
    pub plan: String,
    /// Comma-separated package slugs.
    #[serde(default)]
    pub packages: String,
    /// Comma-separated allowed regions (empty: workspace policy).
    #[serde(default)]
    pub allowed_regions: String,
    /// Day from which this holds (empty: today).
    #[serde(default)]
    pub effective_on: String,
}

/// Creates or changes a Fly org.
pub async fn save_org(b: &Backend, v: &Viewer, input: &OrgInput) -> AppResult<String> {
    authorize(v, Permission::EditInventory)?;
    let slug = slug("slug", &input.slug)?;
    let name = baa_core::account::check_display_name(
        "name",
        if input.name.trim().is_empty() { &slug } else { &input.name },
    )?;
    let env = environment(&input.environment)?;
    let fly = catalog()
        .vendor(baa_core::catalog::FLY)
        .ok_or_else(|| AppError::Internal(anyhow::anyhow!("catalog lacks fly")))?;
    let plan = input.plan.trim().to_string();
    if fly.plan(&plan).is_none() {
        return Err(AppError::invalid("plan", "choose a Fly.io plan from the list"));
    }
    let packages: Vec<String> =
        input.packages.split(',').map(|p| p.trim().to_string()).filter(|p| !p.is_empty()).collect();
    for p in &packages {
        if !fly.add_ons.iter().any(|a| &a.slug == p) {
            return Err(AppError::invalid("packages", format!("{p} is not a Fly.io package in the catalog")));
        }
    }
    let allowed = regions("allowed_regions", &input.allowed_regions)?;
    let on = date("effective_on", &input.effective_on)?.unwrap_or_else(|| today(b));
    let org = FlyOrg {
        slug: slug.clone(),
        name,
        environment: env,
        plan,
        packages,
        allowed_regions: (!allowed.is_empty()).then_some(allowed),
    };
    let before = load_world(b, v, on).await?;
    let mut after = before.clone();
    after.orgs.retain(|o| o.slug != slug);
    after.orgs.push(org.clone());
    append_notifying(b, v, Kind::Org, &slug, on, &org, (&before, &after, &[])).await?;
    Ok(slug)
}

/// Appends one record version and, in the same transaction, the notices for services the
/// change leaves uncovered (`changed`: services changed directly; others notify only when they
/// were covered before).
async fn append_notifying(
    b: &Backend,
    v: &Viewer,
    kind: Kind,
    entity_id: &str,
    on: NaiveDate,
    data: &impl Serialize,
    (before, after, changed): (&World, &World, &[String]),
) -> AppResult<()> {
    let policy = policy(b, &v.workspace_id, on).await?;
    let mut tx = b.db.begin_write().await?;
    append(&mut tx, v, kind, entity_id, on, data, false, None, b.clock.now()).await?;
    let change = crate::notify::ServiceChange { before, after, as_of: on, policy: &policy, changed };
    let notices = crate::notify::inventory_changed(&mut tx, b, v, &change).await?;
    tx.commit().await?;
    if notices > 0 {
        b.mailer.wake.notify_one();
    }
    Ok(())
}

/// A Fly app as the form sends it.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct AppInput {
    /// Fly app name.
    #[serde(default)]
    pub name: String,
    /// Org slug.
    #[serde(default)]
    pub org: String,
    /// Comma-separated regions.
    #[serde(default)]
    pub regions: String,
    /// Empty: guessed from the name.
    #[serde(default)]
    pub environment: String,
    /// Day from which this holds (empty: today).
    #[serde(default)]
    pub effective_on: String,
}

/// Creates or changes a Fly app.
pub async fn save_app(b: &Backend, v: &Viewer, input: &AppInput) -> AppResult<String> {
    authorize(v, Permission::EditInventory)?;
    let name = slug("name", &input.name)?;
    let on = date("effective_on", &input.effective_on)?.unwrap_or_else(|| today(b));
    let orgs: BTreeMap<String, FlyOrg> = current(b, &v.workspace_id, Kind::Org, on).await?;
    if !orgs.contains_key(input.org.trim()) {
        return Err(AppError::invalid("org", "choose an org that exists (add the org first)"));
    }
    let app = App {
        name: name.clone(),
        org: input.org.trim().to_string(),
        regions: regions("regions", &input.regions)?,
        environment: if input.environment.trim().is_empty() {
            None
        } else {
            Some(environment(input.environment.trim())?)
        },
    };
    append_one(b, v, Kind::App, &name, on, &app, false, None).await?;
    Ok(name)
}

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
    /// yes, no, unknown.
    #[serde(default)]
    pub phi: String,
    /// Required when phi is "no".
    #[serde(default)]
    pub phi_reason: String,
    /// Day from which this holds (empty: today).
    #[serde(default)]
    pub effective_on: String,
}

/// Creates or changes a service; returns its id.
pub async fn save_service(b: &Backend, v: &Viewer, input: &ServiceInput) -> AppResult<String> {
    authorize(v, Permission::EditInventory)?;
    let on = date("effective_on", &input.effective_on)?.unwrap_or_else(|| today(b));
    let name = baa_core::account::check_display_name("name", &input.name)?;
    let (vendor_slug, plan_slug) = match input.vendor_plan.split_once('|') {
        Some((v, p)) if input.vendor.trim().is_empty() => (v.trim(), p.trim()),
        _ => (input.vendor.trim(), input.plan.trim()),
    };
    let vendor = catalog()
        .vendor(vendor_slug)
        .ok_or_else(|| AppError::invalid("vendor_plan", "choose a vendor from the catalog"))?;
    let product = if input.product.trim().is_empty() {
        vendor.products.first().map(|p| p.slug.clone()).unwrap_or_default()
    } else {
        input.product.trim().to_string()
    };
    if !vendor.products.is_empty() && vendor.product(&product).is_none() {
        return Err(AppError::invalid("product", format!("{} has no product {product}", vendor.name)));
    }
    let plan = plan_slug.to_string();
    if vendor.plan(&plan).is_none() {
        return Err(AppError::invalid("vendor_plan", format!("choose one of {}'s plans", vendor.name)));
    }
    let add_ons: Vec<String> =
        input.add_ons.split(',').map(|a| a.trim().to_string()).filter(|a| !a.is_empty()).collect();
    for a in &add_ons {
        if !vendor.add_ons.iter().any(|x| &x.slug == a) {
            return Err(AppError::invalid("add_ons", format!("{a} is not an add-on of {}", vendor.name)));
        }
    }
    let apps_now: BTreeMap<String, App> = current(b, &v.workspace_id, Kind::App, on).await?;
    let apps: Vec<String> =
        input.apps.split(',').map(|a| a.trim().to_string()).filter(|a| !a.is_empty()).collect();
    for a in &apps {
        if !apps_now.contains_key(a) {
            return Err(AppError::invalid("apps", format!("no app named {a} (add the app first)")));
        }
    }
    let provisioning = if input.org.trim().is_empty() {
        ServiceProvisioning::Direct
    } else {
        let orgs: BTreeMap<String, FlyOrg> = current(b, &v.workspace_id, Kind::Org, on).await?;
        if !orgs.contains_key(input.org.trim()) {
            return Err(AppError::invalid("org", "choose an org that exists"));
        }
        ServiceProvisioning::Platform { org: input.org.trim().to_string() }
    };
    let phi = match input.phi.trim() {
        "yes" => Phi::Yes,
        "unknown" | "" => Phi::Unknown,
        "no" if input.phi_reason.trim().len() >= 3 => Phi::No { reason: input.phi_reason.trim().to_string() },
        "no" => return Err(AppError::invalid("phi_reason", "say why this service never handles PHI")),
        _ => return Err(AppError::invalid("phi", "choose yes, no or unknown")),
    };
    let existing: BTreeMap<String, Service> = current(b, &v.workspace_id, Kind::Service, on).await?;
    let (id, created_on) = if input.id.trim().is_empty() {
        (new_id(), on)
    } else {
        let s = existing.get(input.id.trim()).ok_or(AppError::NotFound)?;
        (s.id.clone(), s.created_on)
    };
    let service = Service {
        id: id.clone(),
        name,
        vendor: vendor.slug.clone(),
        product,
        plan,
        add_ons,
        apps,
        regions: regions("regions", &input.regions)?,
        provisioning,
        phi,
        created_on,
        removed_on: None,
    };
    let before = load_world(b, v, on).await?;
    let mut after = before.clone();
    after.services.retain(|s| s.id != id);
    after.services.push(service.clone());
    append_notifying(b, v, Kind::Service, &id, on, &service, (&before, &after, std::slice::from_ref(&id)))
        .await?;
    Ok(id)
}

/// Removes a service from a day on (history keeps it).
pub async fn remove_service(b: &Backend, v: &Viewer, id: &str, on: Option<NaiveDate>) -> AppResult<()> {
    authorize(v, Permission::EditInventory)?;
    let on = on.unwrap_or_else(|| today(b));
    let existing: BTreeMap<String, Service> = current(b, &v.workspace_id, Kind::Service, on).await?;
    let mut s = existing.get(id).cloned().ok_or(AppError::NotFound)?;
    s.removed_on = Some(on);
    append_one(b, v, Kind::Service, id, on, &s, true, Some("removed")).await?;
    Ok(())
}

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
            (format!("sub:{}:{}", vendor.slug, new_id()), Role::Subcontractor { subcontractors: Vec::new() })
        }
        _ => return Err(AppError::invalid("kind", "choose customer or subcontractor")),
    };
    let party = Party { id: id.clone(), name, role };
    append_one(b, v, Kind::Party, &id, today(b), &party, false, None).await?;
    Ok(id)
}

/// An agreement as the form sends it.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct AgreementInput {
    /// Title.
    #[serde(default)]
    pub title: String,
    /// Party ids (`us`, `vendor:sentry`, `cust:...`, `sub:...`).
    #[serde(default)]
    pub party_a: String,
    /// The other party.
    #[serde(default)]
    pub party_b: String,
    /// baa, subcontractor-baa, platform-agreement.
    #[serde(default)]
    pub kind: String,
    /// For a platform agreement: comma-separated vendor slugs it extends to.
    #[serde(default)]
    pub extends_to: String,
    /// draft, sent, in-negotiation, signed.
    #[serde(default)]
    pub status: String,
    /// YYYY-MM-DD.
    #[serde(default)]
    pub effective: String,
    /// YYYY-MM-DD.
    #[serde(default)]
    pub expiry: String,
    /// Comma-separated product slugs (empty: all).
    #[serde(default)]
    pub products: String,
    /// Comma-separated plan slugs (empty: all).
    #[serde(default)]
    pub plans: String,
    /// Comma-separated regions (empty: all).
    #[serde(default)]
    pub regions: String,
    /// Clause ids confirmed (a, b, ..., permitted-uses, termination-for-breach), comma-separated.
    #[serde(default)]
    pub clauses: String,
    /// "on" when the agreement renews itself at the end of each term.
    #[serde(default)]
    pub auto_renews: String,
    /// Days of notice to stop a renewal or terminate (empty: not stated).
    #[serde(default)]
    pub notice_days: String,
    /// Free notes.
    #[serde(default)]
    pub notes: String,
}

fn status(s: &str) -> AppResult<Status> {
    match s {
        "draft" | "" => Ok(Status::Draft),
        "sent" => Ok(Status::Sent),
        "in-negotiation" => Ok(Status::InNegotiation),
        "signed" => Ok(Status::Signed),
        "terminated" => Ok(Status::Terminated),
        "superseded" => Ok(Status::Superseded),
        _ => Err(AppError::invalid(
            "status",
            "choose draft, sent, in negotiation, signed, terminated or superseded",
        )),
    }
}

fn clauses(s: &str) -> AppResult<Vec<Clause>> {
    let mut out = Vec::new();
    for c in s.split(',').map(str::trim).filter(|c| !c.is_empty()) {
        let clause: Clause = serde_json::from_value(serde_json::Value::String(c.to_lowercase()))
            .map_err(|_| AppError::invalid("clauses", format!("{c} is not a clause of the checklist")))?;
        if !out.contains(&clause) {
            out.push(clause);
        }
    }
    out.sort();
    Ok(out)
}

/// An agreement's fields, validated.
struct ValidAgreement {
    a: Party,
    b: Party,
    kind: AgreementKind,
    effective: Option<NaiveDate>,
    expiry: Option<NaiveDate>,
    scope: Scope,
    status: Status,
    clauses: Vec<Clause>,
    auto_renews: bool,
    notice_days: Option<u32>,
    notes: String,
}

/// Checks an agreement form against the world: parties exist and differ, the kind fits, the
/// expiry follows the effective date, and the scope names the vendor's own products and plans.
fn validate_agreement(world: &World, input: &AgreementInput) -> AppResult<ValidAgreement> {
    let party = |field: &str, id: &str| -> AppResult<Party> {
        world
            .parties
            .iter()
            .find(|p| p.id == id.trim())
            .cloned()
            .ok_or_else(|| AppError::invalid(field, "choose a party that exists"))
    };
    let a = party("party_a", &input.party_a)?;
    let bp = party("party_b", &input.party_b)?;
    if a.id == bp.id {
        return Err(AppError::invalid("party_b", "an agreement needs two different parties"));
    }
    let kind = match input.kind.as_str() {
        "baa" => AgreementKind::Baa,
        "subcontractor-baa" => AgreementKind::SubcontractorBaa,
        "platform-agreement" => {
            let extends_to: Vec<String> =
                input.extends_to.split(',').map(|s| s.trim().to_string()).filter(|s| !s.is_empty()).collect();
            for s in &extends_to {
                if catalog().vendor(s).is_none() {
                    return Err(AppError::invalid(
                        "extends_to",
                        format!("{s} is not a vendor in the catalog"),
                    ));
                }
            }
            if extends_to.is_empty() {
                return Err(AppError::invalid("extends_to", "name the extension vendors it covers"));
            }
            AgreementKind::PlatformAgreement { extends_to }
        }
        _ => return Err(AppError::invalid("kind", "choose BAA, subcontractor BAA or platform agreement")),
    };
    let effective = date("effective", &input.effective)?;
    let expiry = date("expiry", &input.expiry)?;
    if let (Some(e), Some(x)) = (effective, expiry) {
        if x <= e {
            return Err(AppError::invalid("expiry", "the expiry date must be after the effective date"));
        }
    }
    let products: Vec<String> =
        input.products.split(',').map(|s| s.trim().to_string()).filter(|s| !s.is_empty()).collect();
    let plans: Vec<String> =
        input.plans.split(',').map(|s| s.trim().to_string()).filter(|s| !s.is_empty()).collect();
    // Scope must match the vendor's products and plans.
    let vendor_slug = [&a, &bp].iter().find_map(|p| match &p.role {
        Role::Vendor { vendor, .. } => Some(vendor.clone()),
        _ => None,
    });
    if let Some(vs) = &vendor_slug {
        if let Some(vendor) = catalog().vendor(vs) {
            for p in &products {
                if vendor.product(p).is_none() {
                    return Err(AppError::invalid("products", format!("{} has no product {p}", vendor.name)));
                }
            }
            for p in &plans {
                if vendor.plan(p).is_none() {
                    return Err(AppError::invalid("plans", format!("{} has no plan {p}", vendor.name)));
                }
            }
        }
    }
    let regions = regions("regions", &input.regions)?;
    let scope = if products.is_empty() && plans.is_empty() && regions.is_empty() {
        Scope::All
    } else {
        Scope::Limited { products, plans, regions }
    };
    let st = status(&input.status)?;
    if matches!(st, Status::Terminated | Status::Superseded) {
        return Err(AppError::invalid(
            "status",
            "a new agreement starts as draft, sent, in negotiation or signed",
        ));
    }
    let auto_renews = input.auto_renews == "on";
    if auto_renews && expiry.is_none() {
        return Err(AppError::invalid(
            "expiry",
            "an auto-renewing agreement needs the end date of its first term",
        ));
    }
    let notice_days = match input.notice_days.trim() {
        "" => None,
        n => Some(n.parse::<u32>().ok().filter(|d| *d <= 3650).ok_or_else(|| {
            AppError::invalid("notice_days", "enter the notice period in days, such as 60")
        })?),
    };
    let notes = input.notes.trim().to_string();
    if notes.chars().count() > 5000 {
        return Err(AppError::invalid("notes", "keep notes under 5,000 characters"));
    }
    Ok(ValidAgreement {
        a,
        b: bp,
        kind,
        effective,
        expiry,
        scope,
        status: st,
        clauses: clauses(&input.clauses)?,
        auto_renews,
        notice_days,
        notes,
    })
}

/// Records a new agreement; returns its id.
pub async fn create_agreement(b: &Backend, v: &Viewer, input: &AgreementInput) -> AppResult<String> {
    authorize(v, Permission::EditAgreements)?;
    let world = load_world(b, v, today(b)).await?;
    let ValidAgreement {
        a,
        b: bp,
        kind,
        effective,
        expiry,
        scope,
        status: st,
        clauses,
        auto_renews,
        notice_days,
        notes,
    } = validate_agreement(&world, input)?;
    let on = today(b);
    let title = if input.title.trim().is_empty() {
        format!("{} – {}", a.name, bp.name)
    } else {
        input.title.trim().to_string()
    };
    let id = new_id();
    let agreement = Agreement {
        id: id.clone(),
        title,
        parties: [a.id, bp.id],
        kind,
        history: vec![StatusChange {
            on: effective.filter(|_| st == Status::Signed).unwrap_or(on).min(on),
            status: st,
        }],
        effective,
        expiry,
        scope,
        clauses,
        has_executed_document: false,
        auto_renews,
        notice_days,
        notes,
        supersedes: None,
        clause_evidence: BTreeMap::new(),
    };
    let mut tx = b.db.begin_write().await?;
    append(
        &mut tx,
        v,
        Kind::Agreement,
        &id,
        on.min(agreement.history[0].on),
        &agreement,
        false,
        None,
        b.clock.now(),
    )
    .await?;
    tx.commit().await?;
    Ok(id)
}

/// Changes an agreement's status from a day on, with a reason.
pub async fn set_agreement_status(
    b: &Backend,
    v: &Viewer,
    id: &str,
    new_status: &str,
    on: &str,
    reason: &str,
) -> AppResult<()> {
    authorize(v, Permission::EditAgreements)?;
    let st = status(new_status)?;
    let on = date("on", on)?.unwrap_or_else(|| today(b));
    let all: BTreeMap<String, Agreement> = current(b, &v.workspace_id, Kind::Agreement, last_day()).await?;
    let mut a = all.get(id).cloned().ok_or(AppError::NotFound)?;
    if let Some(last) = a.history.last() {
        if on < last.on {
            return Err(AppError::invalid(
                "on",
                format!("the status history already has an entry on {}", last.on),
            ));
        }
    }
    a.history.push(StatusChange { on, status: st });
    append_one(b, v, Kind::Agreement, id, on, &a, false, Some(reason)).await?;
    Ok(())
}

/// Everything the coverage pages need for one day: the world then, and the engine's report.
pub async fn coverage(
    b: &Backend,
    v: &Viewer,
    as_of: NaiveDate,
) -> AppResult<(World, baa_core::coverage::Report)> {
    let world = load_world(b, v, as_of).await?;
    let policy = policy(b, &v.workspace_id, as_of).await?;
    let report = baa_core::coverage::evaluate(&world, as_of, &policy);
    Ok((world, report))
}

/// Today in the application clock (UTC).
pub fn today_for(b: &Backend) -> NaiveDate {
    today(b)
}

/// Sets the workspace coverage policy (allowed regions, reminder windows) from today on.
pub async fn save_policy(b: &Backend, v: &Viewer, allowed_regions: &str, windows: &str) -> AppResult<Policy> {
    authorize(v, Permission::ManageSettings)?;
    let allowed = regions("allowed_regions", allowed_regions)?;
    let mut reminder_windows = Vec::new();
    for w in windows.split([',', ' ']).map(str::trim).filter(|w| !w.is_empty()) {
        let days: u32 = w.parse().ok().filter(|d| (1..=365).contains(d)).ok_or_else(|| {
            AppError::invalid("reminder_windows", "list whole days from 1 to 365, such as 90, 60, 30, 7")
        })?;
        if !reminder_windows.contains(&days) {
            reminder_windows.push(days);
        }
    }
    if reminder_windows.is_empty() {
        return Err(AppError::invalid("reminder_windows", "give at least one reminder window, such as 30"));
    }
    reminder_windows.sort_unstable_by(|a, b| b.cmp(a));
    let policy = Policy { allowed_regions: allowed, reminder_windows };
    append_one(b, v, Kind::Policy, "policy", today(b), &policy, false, None).await?;
    Ok(policy)
}

/// Changes an agreement's title, dates, scope and clause checklist (not its parties, kind or
/// status: a different party is a different agreement; status has its own dated history).
pub async fn update_agreement(
    b: &Backend,
    v: &Viewer,
    id: &str,
    input: &AgreementInput,
    reason: &str,
) -> AppResult<()> {
    authorize(v, Permission::EditAgreements)?;
    let all: BTreeMap<String, Agreement> = current(b, &v.workspace_id, Kind::Agreement, last_day()).await?;
    let old = all.get(id).cloned().ok_or(AppError::NotFound)?;
    if reason.trim().chars().count() < 3 {
        return Err(AppError::invalid("reason", "say why the agreement record changes"));
    }
    let world = load_world(b, v, last_day()).await?;
    let mut input = input.clone();
    input.party_a = old.parties[0].clone();
    input.party_b = old.parties[1].clone();
    input.kind = match &old.kind {
        AgreementKind::Baa => "baa".into(),
        AgreementKind::SubcontractorBaa => "subcontractor-baa".into(),
        AgreementKind::PlatformAgreement { extends_to } => {
            if input.extends_to.trim().is_empty() {
                input.extends_to = extends_to.join(",");
            }
            "platform-agreement".into()
        }
    };
    input.status = "draft".into();
    let valid = validate_agreement(&world, &input)?;
    let mut a = old.clone();
    if !input.title.trim().is_empty() {
        a.title = input.title.trim().to_string();
    }
    a.kind = valid.kind;
    a.effective = valid.effective;
    a.expiry = valid.expiry;
    a.scope = valid.scope;
    a.clauses = valid.clauses;
    a.auto_renews = valid.auto_renews;
    a.notice_days = valid.notice_days;
    a.notes = valid.notes;
    if a == old {
        return Err(AppError::invalid("reason", "nothing changed"));
    }
    append_one(b, v, Kind::Agreement, id, today(b), &a, false, Some(reason)).await?;
    Ok(())
}

/// A renewal as the form sends it.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct RenewInput {
    /// The agreement being renewed.
    #[serde(default)]
    pub id: String,
    /// First day of the new agreement.
    #[serde(default)]
    pub effective: String,
    /// Last day of the new agreement (empty: none).
    #[serde(default)]
    pub expiry: String,
    /// Why (e.g. "renewed for 2027, signed 2026-12-01").
    #[serde(default)]
    pub reason: String,
}

/// Renews a signed agreement: records a new signed agreement with the same parties, kind, scope
/// and checklist, and marks the old one superseded from the new one's effective date, in one
/// transaction, so coverage never has a gap. Returns the new agreement's id.
pub async fn renew_agreement(b: &Backend, v: &Viewer, input: &RenewInput) -> AppResult<String> {
    authorize(v, Permission::EditAgreements)?;
    let all: BTreeMap<String, Agreement> = current(b, &v.workspace_id, Kind::Agreement, last_day()).await?;
    let old = all.get(input.id.trim()).cloned().ok_or(AppError::NotFound)?;
    if old.history.last().map(|h| h.status) != Some(Status::Signed) {
        return Err(AppError::invalid(
            "effective",
            "only a signed agreement can be renewed; record the new agreement instead",
        ));
    }
    let effective = date("effective", &input.effective)?
        .ok_or_else(|| AppError::invalid("effective", "enter the first day of the renewed agreement"))?;
    let expiry = date("expiry", &input.expiry)?;
    if expiry.is_some_and(|x| x <= effective) {
        return Err(AppError::invalid("expiry", "the expiry date must be after the effective date"));
    }
    if old.effective_from().is_some_and(|f| effective <= f)
        || old.history.last().is_some_and(|h| effective < h.on)
    {
        return Err(AppError::invalid("effective", "the renewal must start after the agreement it renews"));
    }
    let reason = input.reason.trim();
    if reason.chars().count() < 3 {
        return Err(AppError::invalid("reason", "say why (for example when the renewal was signed)"));
    }
    let id = new_id();
    let mut renewed = old.clone();
    renewed.id = id.clone();
    renewed.history = vec![StatusChange { on: effective, status: Status::Signed }];
    renewed.effective = Some(effective);
    renewed.expiry = expiry;
    renewed.has_executed_document = false;
    renewed.supersedes = Some(old.id.clone());
    let mut superseded = old.clone();
    superseded.history.push(StatusChange { on: effective, status: Status::Superseded });
    let now = b.clock.now();
    let mut tx = b.db.begin_write().await?;
    append(&mut tx, v, Kind::Agreement, &id, effective.min(today(b)), &renewed, false, Some(reason), now)
        .await?;
    append(&mut tx, v, Kind::Agreement, &old.id, effective, &superseded, false, Some(reason), now).await?;
    tx.commit().await?;
    Ok(id)
}

/// Records where each clause is found in the document (clause id -> location; a clause left
/// out is not confirmed). Confirmation keeps who confirmed it and when; unchanged entries keep
/// their original confirmer.
pub async fn confirm_clauses(
    b: &Backend,
    v: &Viewer,
    id: &str,
    confirmed: &[(String, String)],
) -> AppResult<()> {
    authorize(v, Permission::EditAgreements)?;
    let all: BTreeMap<String, Agreement> = current(b, &v.workspace_id, Kind::Agreement, last_day()).await?;
    let old = all.get(id.trim()).cloned().ok_or(AppError::NotFound)?;
    let mut a = old.clone();
    let mut clauses_now = Vec::new();
    let mut evidence = BTreeMap::new();
    for (c, location) in confirmed {
        let clause: Clause = serde_json::from_value(serde_json::Value::String(c.to_lowercase()))
            .map_err(|_| AppError::invalid("clauses", format!("{c} is not a clause of the checklist")))?;
        let location = location.trim();
        if location.is_empty() || location.chars().count() > 200 {
            return Err(AppError::invalid(
                "clauses",
                format!("say where clause {} is found (section or page)", clause.label()),
            ));
        }
        let keep = old.clause_evidence.get(&clause).filter(|e| e.location == location).cloned();
        evidence.insert(
            clause,
            keep.unwrap_or_else(|| baa_core::coverage::ClauseEvidence {
                location: location.to_string(),
                confirmed_by: v.name.clone(),
                confirmed_on: today(b),
            }),
        );
        if !clauses_now.contains(&clause) {
            clauses_now.push(clause);
        }
    }
    clauses_now.sort();
    a.clauses = clauses_now;
    a.clause_evidence = evidence;
    if a == old {
        return Err(AppError::invalid("clauses", "nothing changed"));
    }
    let mut tx = b.db.begin_write().await?;
    append(&mut tx, v, Kind::Agreement, &a.id, today(b), &a, false, Some("clause checklist"), b.clock.now())
        .await?;
    tx.commit().await?;
    Ok(())
}
