//! From a snapshot and the current world to an import plan, and applying a plan.
//!
//! The rules (which secret points at which extension, which plan, what an update may change)
//! are explained in `docs/fly-import.md`. In short: the import only writes what the CLI shows;
//! a field the snapshot says nothing about is never overwritten, lists of apps only grow, PHI is
//! never decided by the import (new services are `unknown`, which fails closed), and nothing is
//! removed (records the snapshot no longer shows are reported as [`Absent`]).

use std::collections::{BTreeMap, BTreeSet};

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::mapping::{redis_plan, slugify, ExtensionKind};
use super::snapshot::{AppSecrets, Snapshot};
use super::{Location, Unmapped};
use crate::catalog::FLY;
use crate::coverage::{App, Environment, FlyOrg, Phi, Service, ServiceProvisioning, World};

/// Fly.io plan recorded for an org the import creates: the CLI does not show an org's plan, and
/// Pay As You Go (the only plan sold since 2024-10-07) without the Compliance Package has no
/// BAA, so the org fails closed until someone records its real plan and packages.
pub const DEFAULT_ORG_PLAN: &str = "pay-as-you-go";

/// Upstash Redis add-on that `fly redis status` reports as ProdPack.
const PROD_PACK: &str = "prod-pack";

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
    /// Apps that use it.
    pub apps: Vec<String>,
    /// Regions its data lives in, primary first; empty when the CLI does not show them.
    pub regions: Vec<String>,
    /// Always through the platform in the extension's org.
    pub provisioning: ServiceProvisioning,
    /// Always unknown: the import cannot know what an app sends (fails closed).
    pub phi: Phi,
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
            regions: self.regions,
            provisioning: self.provisioning,
            phi: self.phi,
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
/// unique per kind on Fly), `fly:fly:volumes:APP:VOLUME` for a volume of a fly.toml. The same
/// extension always gets the same id, so importing again updates instead of duplicating.
pub fn service_id(vendor: &str, product: &str, name: &str) -> String {
    format!("fly:{vendor}:{product}:{name}")
}

/// A service as the snapshot shows it, before comparing with the world.
#[derive(Debug, Clone)]
struct Desired {
    id: String,
    /// `None` for Fly volumes.
    kind: Option<ExtensionKind>,
    name: String,
    vendor: String,
    product: String,
    plan: String,
    /// Whether the plan was read from the snapshot (then updates follow it) rather than assumed.
    plan_read: bool,
    /// `Some` when `fly redis status` showed ProdPack.
    prod_pack: Option<bool>,
    apps: BTreeSet<String>,
    /// Empty when unknown.
    regions: Vec<String>,
    org: String,
    sources: Vec<Location>,
    notes: Vec<String>,
}

struct Planner<'a> {
    world: &'a World,
    snap: &'a Snapshot,
    unmapped: Vec<Unmapped>,
    desired: BTreeMap<String, Desired>,
    /// (kind, extension name) to desired id.
    by_name: BTreeMap<(ExtensionKind, String), String>,
}

/// Compares a snapshot with the world and lists creates, field-level updates and unchanged
/// records for orgs, apps and services, plus what could not be mapped and what is absent.
/// Pure and deterministic: the same inputs give the same plan, sorted by id.
pub fn plan_import(world: &World, snapshot: &Snapshot) -> ImportPlan {
    let mut p = Planner {
        world,
        snap: snapshot,
        unmapped: snapshot.unmapped.clone(),
        desired: BTreeMap::new(),
        by_name: BTreeMap::new(),
    };
    p.extensions();
    p.redis_status_without_list();
    for secrets in &snapshot.secrets {
        p.secrets(secrets);
    }
    let toml_regions = p.fly_tomls();
    let orgs = p.orgs();
    let apps = p.apps(&toml_regions);
    let services = p.services();
    let absent = p.absent();
    let mut unmapped = p.unmapped;
    unmapped.sort();
    unmapped.dedup();
    ImportPlan { orgs, apps, services, unmapped, absent }
}

impl Planner<'_> {
    fn note(&mut self, at: &Location, reason: impl Into<String>) {
        self.unmapped.push(Unmapped::new(at, reason));
    }

    /// The org of an app: from the snapshot's apps list, else from the world.
    fn app_org(&self, app: &str) -> Option<&str> {
        self.snap
            .app(app)
            .map(|a| a.org.as_str())
            .or_else(|| self.world.apps.iter().find(|a| a.name == app).map(|a| a.org.as_str()))
    }

    fn org_plan(&self, org: &str) -> String {
        self.world
            .orgs
            .iter()
            .find(|o| o.slug == org)
            .map_or(DEFAULT_ORG_PLAN, |o| o.plan.as_str())
            .to_owned()
    }

    fn extensions(&mut self) {
        let snap = self.snap;
        for ext in &snap.extensions {
            let Some((vendor_slug, product)) = ext.kind.catalog_slugs() else {
                self.note(
                    &ext.at,
                    format!(
                        "`{}` lists `{}`, but the catalog has no vendor for `{}` extensions: add the vendor \
                         to the catalog, or record the service by hand",
                        ext.kind.list_command(),
                        ext.name,
                        ext.kind
                    ),
                );
                continue;
            };
            let Some(vendor) = self.world.catalog.vendor(vendor_slug) else {
                self.note(
                    &ext.at,
                    format!("the catalog has no vendor `{vendor_slug}` for {} `{}`", ext.kind, ext.name),
                );
                continue;
            };
            if vendor.product(product).is_none() {
                self.note(&ext.at, format!("the catalog's {} entry has no product `{product}`", vendor.name));
                continue;
            }
            let mut notes = Vec::new();
            if let Some(removed) = &vendor.removed {
                notes.push(format!(
                    "{} extensions can no longer be created (removed {}); existing ones still need a BAA",
                    vendor.name, removed.on
                ));
            }
            let status = snap
                .redis_status
                .iter()
                .find(|s| s.name == ext.name && ext.kind == ExtensionKind::UpstashRedis);
            let mut sources = vec![ext.at.clone()];
            sources.extend(status.map(|s| s.at.clone()));
            let shown_plan = status.and_then(|s| s.plan.clone()).or_else(|| ext.plan.clone());
            if let (Some(listed), Some(Some(stated))) = (&ext.plan, status.map(|s| &s.plan)) {
                if listed != stated {
                    notes.push(format!(
                        "`fly redis list` says plan {listed} but `fly redis status` says {stated}; the status is used"
                    ));
                }
            }
            let (plan, plan_read) = match (&ext.kind, shown_plan) {
                (ExtensionKind::UpstashRedis, Some(shown)) => (redis_plan(&shown), true),
                (_, Some(shown)) => (slugify(&shown), true),
                (ExtensionKind::Sentry, None) => {
                    notes.push(
                        "plan `team`: Fly provisioned Sentry projects on Sentry's Team plan, which is not \
                         BAA-eligible; change it if the project was upgraded with Sentry"
                            .to_owned(),
                    );
                    ("team".to_owned(), false)
                }
                (_, None) => match vendor.plans.as_slice() {
                    [only] => (only.slug.clone(), false),
                    _ => {
                        notes.push(format!(
                            "plan `unknown`: `{}` shows no plan and {} has several; set the real plan",
                            ext.kind.list_command(),
                            vendor.name
                        ));
                        ("unknown".to_owned(), false)
                    }
                },
            };
            if plan_read && vendor.plan(&plan).is_none() {
                notes.push(format!(
                    "plan `{plan}` is not in the catalog's {} entry, so its BAA eligibility is unknown \
                     (fails closed) until an admin adds it",
                    vendor.name
                ));
            }
            let prod_pack = status.and_then(|s| s.prod_pack);
            if ext.kind == ExtensionKind::UpstashRedis && prod_pack.is_none() {
                notes.push(format!(
                    "no `fly redis status {}` output with a ProdPack row: ProdPack unknown, not recorded",
                    ext.name
                ));
            }
            let regions = if ext.regions.is_empty() {
                status.map(|s| s.regions.clone()).unwrap_or_default()
            } else {
                ext.regions.clone()
            };
            let mut apps = BTreeSet::new();
            if ext.kind.named_after_app() && self.app_org(&ext.name).is_some() {
                apps.insert(ext.name.clone());
                notes.push(format!(
                    "tied to app `{}`: flyctl names {} extensions after their app",
                    ext.name, ext.kind
                ));
            }
            let id = service_id(vendor_slug, product, &ext.name);
            self.by_name.insert((ext.kind.clone(), ext.name.clone()), id.clone());
            self.desired.insert(
                id.clone(),
                Desired {
                    id,
                    kind: Some(ext.kind.clone()),
                    name: ext.name.clone(),
                    vendor: vendor_slug.to_owned(),
                    product: product.to_owned(),
                    plan,
                    plan_read,
                    prod_pack,
                    apps,
                    regions,
                    org: ext.org.clone(),
                    sources,
                    notes,
                },
            );
        }
    }

    fn redis_status_without_list(&mut self) {
        let snap = self.snap;
        for status in &snap.redis_status {
            if !self.by_name.contains_key(&(ExtensionKind::UpstashRedis, status.name.clone())) {
                self.note(
                    &status.at,
                    format!(
                        "`fly redis status {}` has no matching row in `fly redis list`, which gives the org; \
                         add redis-list.txt to the snapshot",
                        status.name
                    ),
                );
            }
        }
    }

    /// Ties the extension of `kind` named after `app` to it.
    fn link_named(&mut self, kind: &ExtensionKind, app: &str, secret: &str, at: &Location) {
        match self.by_name.get(&(kind.clone(), app.to_owned())).and_then(|id| self.desired.get_mut(id)) {
            Some(d) => {
                d.apps.insert(app.to_owned());
                d.sources.push(at.clone());
            }
            None => {
                let why = self.missing_list(kind);
                self.note(
                    at,
                    format!(
                        "{secret} is set, but {why} no {kind} extension named `{app}`: is {kind} used directly, \
                         outside Fly? If it may see PHI, record it as a direct service"
                    ),
                );
            }
        }
    }

    /// Ties every extension of `kind` in `org` to `app` (the secrets do not say which one).
    fn link_org(&mut self, kind: &ExtensionKind, org: &str, app: &str, hint: &str, at: &Location) {
        let ids: Vec<String> = self
            .desired
            .values()
            .filter(|d| d.kind.as_ref() == Some(kind) && d.org == org)
            .map(|d| d.id.clone())
            .collect();
        if ids.is_empty() {
            let why = self.missing_list(kind);
            self.note(
                at,
                format!(
                    "{hint} set, but {why} no {kind} in org `{org}`: it may point at another provider; if that \
                     may see PHI, record it by hand"
                ),
            );
            return;
        }
        let note = format!(
            "apps are those of org `{org}` whose secrets point at {kind} ({hint}); the CLI does not show \
             which {kind} each app uses"
        );
        for id in ids {
            if let Some(d) = self.desired.get_mut(&id) {
                d.apps.insert(app.to_owned());
                d.sources.push(at.clone());
                if lacks(&d.notes, &note) {
                    d.notes.push(note.clone());
                }
            }
        }
    }

    /// "the snapshot has no `fly redis list` output, so it shows" or "`fly redis list` shows".
    fn missing_list(&self, kind: &ExtensionKind) -> String {
        if self.snap.listed.contains(kind) {
            format!("`{}` shows", kind.list_command())
        } else {
            format!("the snapshot has no `{}` output, so it shows", kind.list_command())
        }
    }

    fn secrets(&mut self, secrets: &AppSecrets) {
        let app = secrets.app.as_str();
        let Some(org) = self.app_org(app).map(str::to_owned) else {
            self.note(
                &secrets.at,
                format!(
                    "secrets of app `{app}`, which is neither in the apps list nor in the tracker: its org is \
                     unknown, so its extensions cannot be found"
                ),
            );
            return;
        };
        let get = |name: &str| secrets.get(name).map(|s| s.at.clone());
        if let Some(at) = get("SENTRY_DSN") {
            self.link_named(&ExtensionKind::Sentry, app, "SENTRY_DSN", &at);
        }
        if let Some(at) = get("ARCJET_KEY") {
            self.link_named(&ExtensionKind::Arcjet, app, "ARCJET_KEY", &at);
        }
        match (get("BUCKET_NAME"), get("AWS_ENDPOINT_URL_S3")) {
            (Some(at), Some(_)) => {
                self.link_org(&ExtensionKind::Tigris, &org, app, "BUCKET_NAME and AWS_ENDPOINT_URL_S3", &at);
            }
            (Some(at), None) | (None, Some(at)) => self.note(
                &at,
                "only one of BUCKET_NAME and AWS_ENDPOINT_URL_S3 is set, which does not tell Tigris from \
                 another S3 store; if the bucket may hold PHI, record it by hand",
            ),
            (None, None) => {
                if let Some(at) = get("AWS_ACCESS_KEY_ID") {
                    self.note(
                        &at,
                        "AWS credentials without a Tigris bucket: is AWS used directly? If so, record it as a \
                         direct AWS service",
                    );
                }
            }
        }
        if let Some(at) = get("REDIS_URL") {
            self.link_org(&ExtensionKind::UpstashRedis, &org, app, "REDIS_URL", &at);
        }
        if let Some(at) =
            ["VECTOR_ENDPOINT", "VECTOR_TOKEN", "VECTOR_READONLY_TOKEN"].iter().find_map(|n| get(n))
        {
            self.link_org(&ExtensionKind::UpstashVector, &org, app, "VECTOR_ENDPOINT/VECTOR_TOKEN", &at);
        }
        if let Some(at) = get("DATABASE_URL") {
            self.note(
                &at,
                "DATABASE_URL points at a database the CLI does not name (a Fly Postgres app, Supabase, \
                 another provider): record that database as a service by hand",
            );
        }
    }

    /// Regions each app's fly.toml names, and the volumes it mounts.
    fn fly_tomls(&mut self) -> BTreeMap<String, (Vec<String>, Vec<Location>)> {
        let snap = self.snap;
        let mut regions: BTreeMap<String, (Vec<String>, Vec<Location>)> = BTreeMap::new();
        for t in &snap.fly_tomls {
            let Some(org) = self.app_org(&t.app).map(str::to_owned) else {
                self.note(
                    &t.at,
                    format!(
                        "fly.toml of app `{}`, which is neither in the apps list nor in the tracker: its org is \
                         unknown, so it is not imported",
                        t.app
                    ),
                );
                continue;
            };
            let entry = regions.entry(t.app.clone()).or_default();
            entry.1.push(t.at.clone());
            if let Some(r) = &t.primary_region {
                if !entry.0.contains(r) {
                    entry.0.push(r.clone());
                }
            }
            let has_volumes = self.world.catalog.vendor(FLY).is_some_and(|v| v.product("volumes").is_some());
            for source in &t.mounts {
                if !has_volumes {
                    self.note(
                        &t.at,
                        "the catalog's Fly.io entry has no `volumes` product; volume not imported",
                    );
                    continue;
                }
                let id = format!("fly:fly:volumes:{}:{source}", t.app);
                let plan = self.org_plan(&org);
                let d = self.desired.entry(id.clone()).or_insert_with(|| Desired {
                    id,
                    kind: None,
                    name: format!("{} volume {source}", t.app),
                    vendor: FLY.to_owned(),
                    product: "volumes".to_owned(),
                    plan,
                    plan_read: false,
                    prod_pack: None,
                    apps: BTreeSet::new(),
                    regions: Vec::new(),
                    org: org.clone(),
                    sources: Vec::new(),
                    notes: vec![
                        "a volume mounted in fly.toml: Fly's own product, on the org's plan".to_owned()
                    ],
                });
                d.apps.insert(t.app.clone());
                d.sources.push(t.at.clone());
                if let Some(r) = &t.primary_region {
                    if !d.regions.contains(r) {
                        d.regions.push(r.clone());
                    }
                }
            }
        }
        regions
    }

    fn orgs(&mut self) -> Vec<Change<FlyOrg>> {
        let snap = self.snap;
        let mut referenced: BTreeMap<String, Vec<Location>> = BTreeMap::new();
        for a in &snap.apps {
            referenced.entry(a.org.clone()).or_default().push(a.at.clone());
        }
        for d in self.desired.values() {
            referenced.entry(d.org.clone()).or_default().extend(d.sources.first().cloned());
        }
        let mut slugs: BTreeSet<String> = referenced.keys().cloned().collect();
        slugs.extend(snap.orgs.iter().map(|o| o.slug.clone()));
        let mut out = Vec::new();
        for slug in slugs {
            let listed = snap.org(&slug);
            let name = listed
                .map(|o| o.name.clone())
                .or_else(|| snap.apps.iter().filter(|a| a.org == slug).find_map(|a| a.org_name.clone()));
            // The listing, and the first app or extension that names the org.
            let mut sources: Vec<Location> = listed.map(|o| o.at.clone()).into_iter().collect();
            sources.extend(referenced.get(&slug).and_then(|r| r.first()).cloned());
            match self.world.orgs.iter().find(|o| o.slug == slug) {
                Some(before) => {
                    let mut after = before.clone();
                    if let Some(name) = name {
                        after.name = name;
                    }
                    let mut fields = Vec::new();
                    diff(&mut fields, "name", &before.name, &after.name);
                    out.push(change(slug, before.clone(), after, fields, sources, Vec::new()));
                }
                None if referenced.contains_key(&slug) => {
                    let personal = listed.is_some_and(|o| o.personal) || slug == "personal";
                    let environment = guess_environment(&slug, name.as_deref().unwrap_or(""), personal);
                    let mut notes = vec![format!(
                        "plan `{DEFAULT_ORG_PLAN}` without packages: the CLI does not show an org's plan, and \
                         this one has no BAA (fails closed); record the real plan and the Compliance Package"
                    )];
                    notes.push(format!(
                        "environment `{}` {}; correct it if wrong",
                        env_name(environment),
                        if personal { "for a personal org" } else { "guessed from the org's slug and name" }
                    ));
                    if name.is_none() {
                        notes.push("name unknown (no `fly orgs list` output): the slug is used".to_owned());
                    }
                    let record = FlyOrg {
                        slug: slug.clone(),
                        name: name.unwrap_or_else(|| slug.clone()),
                        environment,
                        plan: DEFAULT_ORG_PLAN.to_owned(),
                        packages: Vec::new(),
                        allowed_regions: None,
                    };
                    out.push(Change::Create { id: slug, record, sources, notes });
                }
                None => {
                    if let Some(o) = listed {
                        let at = o.at.clone();
                        self.note(
                            &at,
                            format!("org `{slug}` has no apps or extensions in this snapshot: not imported"),
                        );
                    }
                }
            }
        }
        out
    }

    fn apps(&mut self, toml: &BTreeMap<String, (Vec<String>, Vec<Location>)>) -> Vec<Change<App>> {
        let snap = self.snap;
        let mut names: BTreeSet<&str> = snap.apps.iter().map(|a| a.name.as_str()).collect();
        // A fly.toml of an app only the tracker knows still adds its region.
        names.extend(toml.keys().map(String::as_str));
        let mut out = Vec::new();
        for name in names {
            let listed = snap.app(name);
            let (toml_regions, toml_sources) = toml.get(name).cloned().unwrap_or_default();
            let mut sources: Vec<Location> = listed.map(|a| a.at.clone()).into_iter().collect();
            sources.extend(toml_sources);
            match (self.world.apps.iter().find(|a| a.name == name), listed) {
                (Some(before), _) => {
                    let mut after = before.clone();
                    if let Some(a) = listed {
                        after.org = a.org.clone();
                    }
                    union_into(&mut after.regions, &toml_regions);
                    let mut fields = Vec::new();
                    diff(&mut fields, "org", &before.org, &after.org);
                    diff(&mut fields, "regions", &list(&before.regions), &list(&after.regions));
                    out.push(change(name.to_owned(), before.clone(), after, fields, sources, Vec::new()));
                }
                (None, Some(a)) => {
                    let mut notes = Vec::new();
                    if toml_regions.is_empty() {
                        notes.push(
                            "regions unknown: `fly apps list` does not show them and no fly.toml names \
                                    a primary_region"
                                .to_owned(),
                        );
                    }
                    if a.status != "deployed" && !a.status.is_empty() {
                        notes.push(format!("status on Fly: {}", a.status));
                    }
                    let record = App {
                        name: name.to_owned(),
                        org: a.org.clone(),
                        regions: toml_regions,
                        environment: None,
                    };
                    out.push(Change::Create { id: name.to_owned(), record, sources, notes });
                }
                // Only fly.toml apps whose org is known reach here, and those are in one of the two.
                (None, None) => {}
            }
        }
        out
    }

    /// The world's service this desired service is: same id, or an extension recorded by hand
    /// with the same vendor, product and name in the platform.
    fn existing(&self, d: &Desired) -> Option<&Service> {
        let services = &self.world.services;
        services.iter().find(|s| s.id == d.id).or_else(|| {
            services.iter().find(|s| {
                s.vendor == d.vendor
                    && s.product == d.product
                    && s.name == d.name
                    && matches!(s.provisioning, ServiceProvisioning::Platform { .. })
            })
        })
    }

    fn services(&mut self) -> Vec<Change<NewService, Service>> {
        let mut out = Vec::new();
        for d in self.desired.values() {
            let provisioning = ServiceProvisioning::Platform { org: d.org.clone() };
            match self.existing(d) {
                None => {
                    let add_ons =
                        if d.prod_pack == Some(true) { vec![PROD_PACK.to_owned()] } else { Vec::new() };
                    let mut notes = d.notes.clone();
                    notes.push(
                        "PHI unknown: the import cannot tell what the apps send; it counts as PHI until \
                                someone records yes, or no with a reason"
                            .to_owned(),
                    );
                    if d.apps.is_empty() {
                        notes.push("no app in the snapshot points at it".to_owned());
                    }
                    let record = NewService {
                        id: d.id.clone(),
                        name: d.name.clone(),
                        vendor: d.vendor.clone(),
                        product: d.product.clone(),
                        plan: d.plan.clone(),
                        add_ons,
                        apps: d.apps.iter().cloned().collect(),
                        regions: d.regions.clone(),
                        provisioning,
                        phi: Phi::Unknown,
                    };
                    out.push(Change::Create { id: d.id.clone(), record, sources: d.sources.clone(), notes });
                }
                Some(before) => {
                    let mut after = before.clone();
                    after.vendor = d.vendor.clone();
                    after.product = d.product.clone();
                    // Fly's own products run on the org's plan; theirs is not kept in sync.
                    if d.plan_read && d.vendor != FLY {
                        after.plan = d.plan.clone();
                    }
                    match d.prod_pack {
                        Some(true) if !after.add_ons.iter().any(|a| a == PROD_PACK) => {
                            after.add_ons.push(PROD_PACK.to_owned());
                        }
                        Some(false) => after.add_ons.retain(|a| a != PROD_PACK),
                        _ => {}
                    }
                    let apps: Vec<String> = d.apps.iter().cloned().collect();
                    union_into(&mut after.apps, &apps);
                    if !d.regions.is_empty() {
                        after.regions = d.regions.clone();
                    }
                    after.provisioning = provisioning;
                    after.removed_on = None;
                    let mut fields = Vec::new();
                    diff(&mut fields, "vendor", &before.vendor, &after.vendor);
                    diff(&mut fields, "product", &before.product, &after.product);
                    diff(&mut fields, "plan", &before.plan, &after.plan);
                    diff(&mut fields, "add_ons", &list(&before.add_ons), &list(&after.add_ons));
                    diff(&mut fields, "apps", &list(&before.apps), &list(&after.apps));
                    diff(&mut fields, "regions", &list(&before.regions), &list(&after.regions));
                    diff(&mut fields, "provisioning", &via(&before.provisioning), &via(&after.provisioning));
                    diff(
                        &mut fields,
                        "removed_on",
                        &before.removed_on.map_or_else(|| "(not removed)".to_owned(), |d| d.to_string()),
                        &after.removed_on.map_or_else(|| "(not removed)".to_owned(), |d| d.to_string()),
                    );
                    let id = before.id.clone();
                    out.push(change(id, before.clone(), after, fields, d.sources.clone(), d.notes.clone()));
                }
            }
        }
        out.sort_by(|a, b| a.id().cmp(b.id()));
        out
    }

    fn absent(&self) -> Vec<Absent> {
        let snap = self.snap;
        // Orgs whose apps the snapshot lists: only there does a missing record mean anything
        // (the snapshot script lists one org's apps and extensions).
        let orgs: BTreeSet<&str> = snap.apps.iter().map(|a| a.org.as_str()).collect();
        let mut out = Vec::new();
        for app in &self.world.apps {
            if orgs.contains(app.org.as_str()) && snap.app(&app.name).is_none() {
                out.push(Absent {
                    kind: RecordKind::App,
                    id: app.name.clone(),
                    reason: format!(
                        "`fly apps list` does not list `{}` in org `{}`: deleted on Fly? The import removes \
                         nothing; remove it in the tracker if it is gone",
                        app.name, app.org
                    ),
                });
            }
        }
        let matched: BTreeSet<&str> =
            self.desired.values().filter_map(|d| self.existing(d)).map(|s| s.id.as_str()).collect();
        for s in &self.world.services {
            let ServiceProvisioning::Platform { org } = &s.provisioning else { continue };
            let kind = snap
                .listed
                .iter()
                .find(|k| k.catalog_slugs().is_some_and(|(v, p)| v == s.vendor && p == s.product));
            if let (Some(kind), true, None, false) =
                (kind, orgs.contains(org.as_str()), s.removed_on, matched.contains(s.id.as_str()))
            {
                out.push(Absent {
                    kind: RecordKind::Service,
                    id: s.id.clone(),
                    reason: format!(
                        "`{}` does not list `{}` in org `{org}`: destroyed on Fly? The import removes nothing; \
                         mark it removed in the tracker if it is gone",
                        kind.list_command(),
                        s.name
                    ),
                });
            }
        }
        out.sort();
        out
    }
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
