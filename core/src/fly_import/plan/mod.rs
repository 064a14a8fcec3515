//! From a snapshot and the current world to an import plan, and applying a plan.
//!
//! The rules (which secret points at which extension, which plan, what an update may change)
//! are explained in `docs/fly-import.md`. In short: the import only writes what the CLI shows;
//! a field the snapshot says nothing about is never overwritten, lists of apps only grow, PHI is
//! never decided by the import (new services are `unknown`, which fails closed), and nothing is
//! removed (records the snapshot no longer shows are reported as [`Absent`]). Every app is a
//! Fly.io service (Machines, or Fly Postgres), and what the CLI cannot tell (which of several
//! org-level resources an app uses, a vendor named only by an app's secrets) is recorded as a
//! *candidate*, never as a fact.

mod diff;
mod discover;

use std::collections::BTreeSet;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::snapshot::Snapshot;
use super::{Location, Unmapped};
use crate::coverage::{App, Environment, FlyOrg, Phi, Service, ServiceProvisioning, World};

/// Fly.io plan recorded for an org the import creates: the CLI does not show an org's plan, and
/// Pay As You Go (the only plan sold since 2024-10-07) without the Compliance Package has no
/// BAA, so the org fails closed until someone records its real plan and packages.
pub const DEFAULT_ORG_PLAN: &str = "pay-as-you-go";

/// Upstash Redis add-on that `fly redis status` reports as ProdPack.
pub(super) const PROD_PACK: &str = "prod-pack";

/// What importing a snapshot would change.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImportPlan {
    /// Fly orgs, by slug.
    pub orgs: Vec<Change<FlyOrg>>,
    /// Fly apps, by name.
    pub apps: Vec<Change<App>>,
    /// Services, by id. New services have no dates yet: [`NewService::into_service`] adds them.
    pub services: Vec<Change<NewService, Service>>,
    /// What the import could not map, with file, line and reason.
    pub unmapped: Vec<Unmapped>,
    /// Records of the world the snapshot should show but does not (not removed by the import).
    pub absent: Vec<Absent>,
}

/// One record's fate: created, updated field by field, or left as it is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", tag = "change")]
pub enum Change<C, U = C> {
    /// A new record.
    Create {
        /// Its id (org slug, app name, service id).
        id: String,
        /// The record to create.
        record: C,
        /// Where the snapshot shows it.
        sources: Vec<Location>,
        /// Assumptions made for fields the snapshot does not show.
        notes: Vec<String>,
    },
    /// An existing record with some fields changed.
    Update {
        /// Its id.
        id: String,
        /// The record as it is.
        before: U,
        /// The record as it will be.
        after: U,
        /// The changed fields, before and after, as text.
        fields: Vec<FieldChange>,
        /// Where the snapshot shows it.
        sources: Vec<Location>,
        /// Assumptions behind the change.
        notes: Vec<String>,
    },
    /// An existing record the snapshot agrees with.
    Unchanged {
        /// Its id.
        id: String,
    },
}

impl<C, U> Change<C, U> {
    /// The record's id.
    pub fn id(&self) -> &str {
        match self {
            Change::Create { id, .. } | Change::Update { id, .. } | Change::Unchanged { id } => id,
        }
    }

    /// Whether this creates a record.
    pub fn is_create(&self) -> bool {
        matches!(self, Change::Create { .. })
    }

    /// Whether this updates a record.
    pub fn is_update(&self) -> bool {
        matches!(self, Change::Update { .. })
    }
}

/// One changed field of an update, as display text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldChange {
    /// Field name as in the model (`plan`, `apps`, `provisioning`).
    pub field: String,
    /// Value before.
    pub before: String,
    /// Value after.
    pub after: String,
}

/// A service to create: a [`Service`] without its dates, which the caller supplies.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewService {
    /// Deterministic id (see [`service_id`]).
    pub id: String,
    /// The extension's name on Fly.
    pub name: String,
    /// Catalog vendor slug.
    pub vendor: String,
    /// Catalog product slug.
    pub product: String,
    /// Catalog plan slug (may be unknown to the catalog: eligibility then fails closed).
    pub plan: String,
    /// Add-ons known to be on (Upstash ProdPack).
    pub add_ons: Vec<String>,
    /// Apps known to use it.
    pub apps: Vec<String>,
    /// Apps that may use it (the CLI cannot say which of several it is).
    pub candidate_apps: Vec<String>,
    /// Regions its data lives in, primary first; empty when the CLI does not show them.
    pub regions: Vec<String>,
    /// Through the platform in the org it lives in, or direct for a vendor seen in secrets.
    pub provisioning: ServiceProvisioning,
    /// Always unknown: the import cannot know what an app sends (fails closed).
    pub phi: Phi,
    /// Why the service is only suspected (a vendor named by an app's secrets).
    pub unconfirmed: Option<String>,
}

impl NewService {
    /// The service, existing from `created_on`.
    pub fn into_service(self, created_on: NaiveDate) -> Service {
        Service {
            id: self.id,
            name: self.name,
            vendor: self.vendor,
            product: self.product,
            plan: self.plan,
            add_ons: self.add_ons,
            apps: self.apps,
            candidate_apps: self.candidate_apps,
            regions: self.regions,
            provisioning: self.provisioning,
            account: None,
            phi: self.phi,
            unconfirmed: self.unconfirmed,
            attestations: Vec::new(),
            created_on,
            removed_on: None,
        }
    }
}

/// Kind of record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum RecordKind {
    /// A Fly org.
    Org,
    /// A Fly app.
    App,
    /// A service.
    Service,
}

/// A record of the world that the snapshot should list but does not: perhaps deleted on Fly.
/// The import never removes anything; a person decides.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Absent {
    /// Kind of record.
    pub kind: RecordKind,
    /// Its id.
    pub id: String,
    /// Why it was expected, and what to do.
    pub reason: String,
}

impl ImportPlan {
    /// Number of records to create.
    pub fn creates(&self) -> usize {
        self.orgs.iter().filter(|c| c.is_create()).count()
            + self.apps.iter().filter(|c| c.is_create()).count()
            + self.services.iter().filter(|c| c.is_create()).count()
    }

    /// Number of records to update.
    pub fn updates(&self) -> usize {
        self.orgs.iter().filter(|c| c.is_update()).count()
            + self.apps.iter().filter(|c| c.is_update()).count()
            + self.services.iter().filter(|c| c.is_update()).count()
    }

    /// Whether applying the plan changes nothing.
    pub fn is_noop(&self) -> bool {
        self.creates() == 0 && self.updates() == 0
    }
}

/// Id of an imported service: `fly:VENDOR:PRODUCT:NAME` for an extension (extension names are
/// unique per kind on Fly) and for Fly's own products (`fly:fly:machines:APP`,
/// `fly:fly:postgres:APP`, `fly:fly:volumes:APP:VOLUME`). The same extension always gets the
/// same id, so importing again updates instead of duplicating.
pub fn service_id(vendor: &str, product: &str, name: &str) -> String {
    format!("fly:{vendor}:{product}:{name}")
}

/// Id of a candidate service found in an app's secrets: `secret:VENDOR:APP`.
pub fn candidate_service_id(vendor: &str, app: &str) -> String {
    format!("secret:{vendor}:{app}")
}

/// What people decided about earlier candidates, so an import does not bring them back.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Decisions {
    /// Candidate services someone rejected (not ours, not in use), by id.
    pub rejected_services: BTreeSet<String>,
    /// Candidate links (service id, app) someone rejected.
    pub rejected_links: BTreeSet<(String, String)>,
}

/// Compares a snapshot with the world and lists creates, field-level updates and unchanged
/// records for orgs, apps and services, plus what could not be mapped and what is absent.
/// Pure and deterministic: the same inputs give the same plan, sorted by id.
pub fn plan_import(world: &World, snapshot: &Snapshot) -> ImportPlan {
    plan_import_with(world, snapshot, &Decisions::default())
}

/// [`plan_import`], leaving out candidates people rejected before.
pub fn plan_import_with(world: &World, snapshot: &Snapshot, decisions: &Decisions) -> ImportPlan {
    let mut p = discover::Planner::new(world, snapshot, decisions);
    p.discover();
    let orgs = p.orgs();
    let apps = p.apps();
    let services = p.services();
    let absent = p.absent();
    let mut unmapped = p.unmapped;
    unmapped.sort();
    unmapped.dedup();
    ImportPlan { orgs, apps, services, unmapped, absent }
}

/// Whether `note` is not yet among `notes`.
fn lacks(notes: &[String], note: &str) -> bool {
    !notes.iter().any(|n| n == note)
}

fn change<C, U: PartialEq>(
    id: String,
    before: U,
    after: U,
    fields: Vec<FieldChange>,
    sources: Vec<Location>,
    notes: Vec<String>,
) -> Change<C, U> {
    if before == after {
        Change::Unchanged { id }
    } else {
        Change::Update { id, before, after, fields, sources, notes }
    }
}

fn diff(fields: &mut Vec<FieldChange>, field: &str, before: &str, after: &str) {
    if before != after {
        fields.push(FieldChange {
            field: field.to_owned(),
            before: before.to_owned(),
            after: after.to_owned(),
        });
    }
}

fn list(items: &[String]) -> String {
    if items.is_empty() {
        "(none)".to_owned()
    } else {
        items.join(", ")
    }
}

fn via(p: &ServiceProvisioning) -> String {
    match p {
        ServiceProvisioning::Platform { org } => format!("Fly org {org}"),
        ServiceProvisioning::Direct => "direct".to_owned(),
    }
}

/// Appends the items of `more` that `list` lacks, keeping the order of both.
fn union_into(list: &mut Vec<String>, more: &[String]) {
    for item in more {
        if !list.contains(item) {
            list.push(item.clone());
        }
    }
}

fn env_name(env: Environment) -> &'static str {
    match env {
        Environment::Production => "production",
        Environment::Staging => "staging",
        Environment::Development => "development",
    }
}

/// A personal org is for development; otherwise the words of the slug, then of the name, decide
/// as they do for apps ("acme-health-staging" is staging), and production is the default.
fn guess_environment(slug: &str, name: &str, personal: bool) -> Environment {
    if personal {
        return Environment::Development;
    }
    for text in [slug, name] {
        let probe = App { name: text.to_owned(), org: String::new(), regions: Vec::new(), environment: None };
        let env = probe.environment();
        if env != Environment::Production {
            return env;
        }
    }
    Environment::Production
}

fn upsert<T>(list: &mut Vec<T>, same: impl Fn(&T) -> bool, value: T) {
    match list.iter_mut().find(|x| same(x)) {
        Some(slot) => *slot = value,
        None => list.push(value),
    }
}

/// Applies a plan: creates are added (new services exist from `on`), updates replace the record
/// with the same id (or are added if it has gone meanwhile), unchanged records stay. Pure: the
/// database layer does the same with versioned records.
pub fn apply(world: &World, plan: &ImportPlan, on: NaiveDate) -> World {
    let mut w = world.clone();
    for c in &plan.orgs {
        match c {
            Change::Create { record: org, .. } | Change::Update { after: org, .. } => {
                upsert(&mut w.orgs, |o| o.slug == org.slug, org.clone());
            }
            Change::Unchanged { .. } => {}
        }
    }
    for c in &plan.apps {
        match c {
            Change::Create { record: app, .. } | Change::Update { after: app, .. } => {
                upsert(&mut w.apps, |a| a.name == app.name, app.clone());
            }
            Change::Unchanged { .. } => {}
        }
    }
    for c in &plan.services {
        let service = match c {
            Change::Create { record, .. } => record.clone().into_service(on),
            Change::Update { after, .. } => after.clone(),
            Change::Unchanged { .. } => continue,
        };
        let id = service.id.clone();
        upsert(&mut w.services, |s| s.id == id, service);
    }
    w
}
