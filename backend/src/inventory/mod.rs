//! Inventory: Fly orgs, apps, services, parties and the coverage policy, as versioned records
//! (storage in `crate::storage`). Validation happens here, before the write, so a refused
//! change stores nothing; every function authorizes the viewer first.

mod parties;
mod services;

pub use parties::{save_party, save_vendor_facts, PartyInput, VendorFactsInput};
pub use services::{
    attest, confirm_candidate, decisions, phi_of, reject_candidate, remove_service, save_service,
    AttestInput, CandidateDecision, ServiceInput, ENCRYPTION_IS_NO_REASON,
};

use crate::authz::authorize;
use crate::error::{AppError, AppResult};
pub use crate::input::date;
pub(crate) use crate::input::{list, regions, slug};
pub(crate) use crate::storage::records::append;
pub use crate::storage::records::{last_day, Kind, Version};
pub use crate::storage::world::{catalog, subcontractor_of, vendor_party, CoverageView, US};
use crate::storage::{records, world};
use crate::Backend;
use baa_core::account::{Permission, Viewer};
use baa_core::coverage::{App, Environment, FlyOrg, Policy, World};
use chrono::NaiveDate;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The version in force on `as_of` of every record of `kind`, as known now.
pub(crate) async fn current<T: DeserializeOwned>(
    b: &Backend,
    ws: &str,
    kind: Kind,
    as_of: NaiveDate,
) -> AppResult<BTreeMap<String, T>> {
    records::current(&b.db.pool, ws, kind, as_of, i64::MAX).await
}

/// Version history of one record, oldest first (empty when it is not in this workspace).
pub async fn history(b: &Backend, v: &Viewer, kind: Kind, entity_id: &str) -> AppResult<Vec<Version>> {
    authorize(v, Permission::Read)?;
    records::history(&b.db, &v.workspace_id, kind, entity_id).await
}

/// The workspace's policy as of a day, as known now.
pub async fn policy(b: &Backend, ws: &str, as_of: NaiveDate) -> AppResult<Policy> {
    world::policy(b, ws, as_of, i64::MAX).await
}

/// The world as it held on `as_of`, as known now (every correction included): what writes
/// validate against.
pub async fn load_world(b: &Backend, v: &Viewer, as_of: NaiveDate) -> AppResult<World> {
    authorize(v, Permission::Read)?;
    world::load(b, &v.workspace_id, &v.workspace_name, as_of, i64::MAX).await
}

/// Everything the coverage pages need for one day: the world and the engine's report as recorded
/// by the end of that day (for a past day), with later corrections listed apart.
pub async fn coverage_view(
    b: &Backend,
    v: &Viewer,
    as_of: NaiveDate,
) -> AppResult<std::sync::Arc<CoverageView>> {
    authorize(v, Permission::Read)?;
    world::coverage_view(b, &v.workspace_id, &v.workspace_name, as_of).await
}

/// Coverage over `[from, to]`: each day as recorded by its end, the agreements in force, and
/// the corrections recorded later (refused with a field message when the period is not valid).
pub async fn coverage_period(
    b: &Backend,
    v: &Viewer,
    from: NaiveDate,
    to: NaiveDate,
) -> AppResult<crate::storage::period::PeriodView> {
    authorize(v, Permission::Read)?;
    crate::storage::period::period_view(b, &v.workspace_id, &v.workspace_name, from, to).await
}

/// What changed between two days (services, agreements, verdicts, and who changed what).
pub async fn coverage_diff(
    b: &Backend,
    v: &Viewer,
    from: NaiveDate,
    to: NaiveDate,
) -> AppResult<crate::storage::period::DiffView> {
    authorize(v, Permission::Read)?;
    crate::storage::period::diff_view(b, &v.workspace_id, &v.workspace_name, from, to).await
}

/// The world and report of one day, as recorded by the end of that day for a past day.
pub async fn coverage(
    b: &Backend,
    v: &Viewer,
    as_of: NaiveDate,
) -> AppResult<(World, baa_core::coverage::Report)> {
    let view = coverage_view(b, v, as_of).await?;
    Ok((view.world.clone(), view.report.clone()))
}

/// Today in the application clock (UTC).
pub fn today_for(b: &Backend) -> NaiveDate {
    world::today(b)
}

fn today(b: &Backend) -> NaiveDate {
    world::today(b)
}

fn environment(s: &str) -> AppResult<Environment> {
    match s {
        "production" => Ok(Environment::Production),
        "staging" => Ok(Environment::Staging),
        "development" => Ok(Environment::Development),
        _ => Err(AppError::invalid("environment", "choose production, staging or development")),
    }
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

/// Records to append in one transaction, with the world before and after them for notices.
pub(crate) struct Change<'a> {
    /// (kind, id, data, deleted, reason).
    pub versions: Vec<(Kind, String, serde_json::Value, bool, Option<&'a str>)>,
    /// Day from which they hold.
    pub on: NaiveDate,
    pub before: &'a World,
    pub after: &'a World,
    /// Services changed directly (others notify only when they were covered before).
    pub changed: &'a [String],
}

/// Appends versions and, in the same transaction, the notices for services the change leaves
/// uncovered.
pub(crate) async fn append_notifying(b: &Backend, v: &Viewer, change: Change<'_>) -> AppResult<()> {
    let policy = policy(b, &v.workspace_id, change.on).await?;
    // The verdicts before and after are computed before the write lock is taken (SQLite has one
    // writer at a time): the transaction holds it only for the inserts.
    let notices = crate::notify::service_notices(&crate::notify::ServiceChange {
        before: change.before,
        after: change.after,
        as_of: change.on,
        policy: &policy,
        changed: change.changed,
    });
    let mut tx = b.db.begin_write().await?;
    let now = b.clock.now();
    for (kind, id, data, deleted, reason) in &change.versions {
        append(&mut tx, v, *kind, id, change.on, data, *deleted, *reason, now).await?;
    }
    // A change to one record can uncover many services (an org's plan): one mail for all.
    let digest = crate::notify::DigestOf {
        cause: "A change to the inventory".into(),
        link: "/inventory?verdict=uncovered".into(),
    };
    let emitted = crate::notify::emit_service_notices(&mut tx, b, v, &notices, Some(&digest)).await?;
    tx.commit().await?;
    if emitted > 0 {
        b.mailer.wake.notify_one();
    }
    Ok(())
}

fn json(value: &impl Serialize) -> AppResult<serde_json::Value> {
    serde_json::to_value(value).map_err(|e| AppError::Internal(e.into()))
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
    let mut p = crate::error::Problems::new();
    let slug = p.check(slug("slug", &input.slug));
    let env = p.check(environment(&input.environment));
    let fly = catalog()
        .vendor(baa_core::catalog::FLY)
        .ok_or_else(|| AppError::Internal(anyhow::anyhow!("catalog lacks fly")))?;
    let plan = fly.find_plan(&input.plan).map(|x| x.slug.clone());
    if plan.is_none() {
        p.invalid("plan", "choose a Fly.io plan from the list");
    }
    let packages = p.check(list("packages", &input.packages, 64)).unwrap_or_default();
    if let Some(x) = packages.iter().find(|x| !fly.add_ons.iter().any(|a| &a.slug == *x)) {
        p.invalid("packages", format!("{x} is not a Fly.io package in the catalog"));
    }
    let allowed = p.check(regions("allowed_regions", &input.allowed_regions)).unwrap_or_default();
    let on = p.check(date("effective_on", &input.effective_on)).flatten().unwrap_or_else(|| today(b));
    let before = load_world(b, v, on).await?;
    // An empty name keeps the org's recorded name (a new org is named after its slug): saving
    // never replaces a name with the slug.
    let name = slug.as_ref().map(|slug| {
        let kept = before.orgs.iter().find(|o| &o.slug == slug).map(|o| o.name.clone());
        match input.name.trim() {
            "" => Ok(kept.unwrap_or_else(|| slug.clone())),
            n => baa_core::account::check_display_name("name", n).map_err(AppError::from),
        }
    });
    let name = name.and_then(|r| p.check(r));
    p.finish()?;
    let (Some(slug), Some(name), Some(env), Some(plan)) = (slug, name, env, plan) else {
        return Err(AppError::Internal(anyhow::anyhow!("org validation passed without a value")));
    };
    let org = FlyOrg {
        slug: slug.clone(),
        name,
        environment: env,
        plan,
        packages,
        allowed_regions: (!allowed.is_empty()).then_some(allowed),
    };
    let mut after = before.clone();
    after.orgs.retain(|o| o.slug != slug);
    after.orgs.push(org.clone());
    let versions = vec![(Kind::Org, slug.clone(), json(&org)?, false, None)];
    append_notifying(b, v, Change { versions, on, before: &before, after: &after, changed: &[] }).await?;
    Ok(slug)
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

/// Creates or changes a Fly app. A new app also gets its Fly Machines service (Fly.io's own
/// compute, PHI unknown until someone says otherwise), in the same transaction; an existing
/// app's Machines follow its regions and org.
pub async fn save_app(b: &Backend, v: &Viewer, input: &AppInput) -> AppResult<String> {
    authorize(v, Permission::EditInventory)?;
    let mut p = crate::error::Problems::new();
    let name = p.check(slug("name", &input.name));
    let on = p.check(date("effective_on", &input.effective_on)).flatten().unwrap_or_else(|| today(b));
    let before = load_world(b, v, on).await?;
    let org = input.org.trim();
    if !before.orgs.iter().any(|o| o.slug == org) {
        p.invalid("org", "choose an org that exists (add the org first)");
    }
    let regions = p.check(regions("regions", &input.regions));
    let environment = match input.environment.trim() {
        "" => None,
        e => p.check(environment(e)),
    };
    p.finish()?;
    let (Some(name), Some(regions)) = (name, regions) else {
        return Err(AppError::Internal(anyhow::anyhow!("app validation passed without a value")));
    };
    let app = App { name: name.clone(), org: org.to_string(), regions, environment };
    let mut after = before.clone();
    after.apps.retain(|a| a.name != name);
    after.apps.push(app.clone());
    let mut versions = vec![(Kind::App, name.clone(), json(&app)?, false, None)];
    let compute = services::fly_compute_for(&before, &app, on);
    let mut changed = Vec::new();
    if let Some(service) = compute {
        after.services.retain(|s| s.id != service.id);
        after.services.push(service.clone());
        changed.push(service.id.clone());
        versions.push((Kind::Service, service.id.clone(), json(&service)?, false, None));
    }
    append_notifying(b, v, Change { versions, on, before: &before, after: &after, changed: &changed })
        .await?;
    Ok(name)
}

/// Sets the workspace coverage policy (allowed regions, reminder windows and, unless blank, the
/// snapshot retention of the platform safeguards) from today on. The approved safeguard
/// exceptions are kept: the policy is read and written in one transaction.
pub async fn save_policy(
    b: &Backend,
    v: &Viewer,
    allowed_regions: &str,
    windows: &str,
    snapshot_retention_days: &str,
) -> AppResult<Policy> {
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
    let retention = match snapshot_retention_days.trim() {
        "" => None,
        days => Some(crate::safeguards::retention_days("snapshot_retention_days", days)?),
    };
    let on = today(b);
    let mut tx = b.db.begin_write().await?;
    let mut policy = world::policy_in(&mut *tx, &v.workspace_id, on, i64::MAX).await?;
    policy.allowed_regions = allowed;
    policy.reminder_windows = reminder_windows;
    if let Some(days) = retention {
        policy.safeguards.snapshot_retention_days = days;
    }
    append(&mut tx, v, Kind::Policy, "policy", on, &policy, false, None, b.clock.now()).await?;
    tx.commit().await?;
    Ok(policy)
}
