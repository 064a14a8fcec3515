//! What the snapshot shows: every service it implies, with the apps known to use it and the
//! apps that may (candidates), before anything is compared with the world.

use std::collections::{BTreeMap, BTreeSet};

use super::super::mapping::{redis_plan, slugify, ExtensionKind};
use super::super::snapshot::{AppSecrets, Snapshot};
use super::super::{Location, Unmapped};
use super::{candidate_service_id, lacks, service_id, Decisions, DEFAULT_ORG_PLAN};
use crate::catalog::FLY;
use crate::coverage::World;

/// Secrets that Fly Postgres sets on its own apps: an app with all three is a Fly Postgres app.
const POSTGRES_SECRETS: [&str; 3] = ["SU_PASSWORD", "REPL_PASSWORD", "OPERATOR_PASSWORD"];

/// Secrets a Tigris bucket (`fly storage create`) sets, which say nothing about direct AWS use.
const TIGRIS_SECRETS: [&str; 5] =
    ["BUCKET_NAME", "AWS_ENDPOINT_URL_S3", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_REGION"];

/// A service as the snapshot shows it, before comparing with the world.
#[derive(Debug, Clone)]
pub(super) struct Desired {
    pub id: String,
    /// The extension kind; `None` for Fly's own products and candidates found in secrets.
    pub kind: Option<ExtensionKind>,
    pub name: String,
    pub vendor: String,
    pub product: String,
    pub plan: String,
    /// Whether the plan was read from the snapshot (then updates follow it) rather than assumed.
    pub plan_read: bool,
    /// `Some` when `fly redis status` showed ProdPack.
    pub prod_pack: Option<bool>,
    /// Apps known to use it.
    pub apps: BTreeSet<String>,
    /// Apps that may use it.
    pub candidate_apps: BTreeSet<String>,
    /// Empty when unknown.
    pub regions: Vec<String>,
    /// The org it lives in through Fly; `None` for a vendor used directly.
    pub org: Option<String>,
    pub sources: Vec<Location>,
    pub notes: Vec<String>,
    /// Why the service itself is only suspected.
    pub unconfirmed: Option<String>,
}

impl Desired {
    fn new(id: String, name: String, vendor: &str, product: &str, plan: String, org: Option<String>) -> Self {
        Self {
            id,
            kind: None,
            name,
            vendor: vendor.to_owned(),
            product: product.to_owned(),
            plan,
            plan_read: false,
            prod_pack: None,
            apps: BTreeSet::new(),
            candidate_apps: BTreeSet::new(),
            regions: Vec::new(),
            org,
            sources: Vec::new(),
            notes: Vec::new(),
            unconfirmed: None,
        }
    }

    fn note(&mut self, note: String) {
        if lacks(&self.notes, &note) {
            self.notes.push(note);
        }
    }
}

pub(super) struct Planner<'a> {
    pub world: &'a World,
    pub snap: &'a Snapshot,
    pub decisions: &'a Decisions,
    pub unmapped: Vec<Unmapped>,
    pub desired: BTreeMap<String, Desired>,
    /// (kind, extension name) to desired id.
    by_name: BTreeMap<(ExtensionKind, String), String>,
    /// Regions each app's fly.toml names, and where they were read.
    pub toml: BTreeMap<String, (Vec<String>, Vec<Location>)>,
}

impl<'a> Planner<'a> {
    pub fn new(world: &'a World, snap: &'a Snapshot, decisions: &'a Decisions) -> Self {
        Self {
            world,
            snap,
            decisions,
            unmapped: snap.unmapped.clone(),
            desired: BTreeMap::new(),
            by_name: BTreeMap::new(),
            toml: BTreeMap::new(),
        }
    }

    /// Finds every service the snapshot implies.
    pub fn discover(&mut self) {
        self.extensions();
        self.redis_status_without_list();
        self.fly_tomls();
        self.fly_compute();
        let snap = self.snap;
        for secrets in &snap.secrets {
            self.secrets(secrets);
        }
        self.drop_rejected();
    }

    pub fn note(&mut self, at: &Location, reason: impl Into<String>) {
        self.unmapped.push(Unmapped::new(at, reason));
    }

    /// The org of an app: from the snapshot's apps list, else from the world.
    pub fn app_org(&self, app: &str) -> Option<&str> {
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
            let catalogued = ext.kind.catalog_slugs().and_then(|(v, p)| {
                self.world.catalog.vendor(v).filter(|x| x.product(p).is_some()).map(|x| (x, p))
            });
            let mut notes = Vec::new();
            let (vendor_slug, product, vendor) = match catalogued {
                Some((vendor, product)) => (vendor.slug.clone(), product.to_owned(), Some(vendor)),
                None => {
                    let slug = ext
                        .kind
                        .catalog_slugs()
                        .map_or_else(|| ext.kind.uncatalogued_slugs(), |(v, _)| v.to_owned());
                    notes.push(format!(
                        "{} is not in the vendor catalog: recorded as an uncatalogued service, which no BAA can \
                         cover until the vendor is added to the catalog (fails closed)",
                        ext.kind
                    ));
                    let product =
                        ext.kind.catalog_slugs().map_or_else(|| slug.clone(), |(_, p)| p.to_owned());
                    (slug, product, None)
                }
            };
            if let Some(removed) = vendor.and_then(|v| v.removed.as_ref()) {
                notes.push(format!(
                    "{} extensions can no longer be created (removed {}); existing ones still need a BAA",
                    vendor.map_or("", |v| v.name.as_str()),
                    removed.on
                ));
            }
            if vendor_slug == FLY {
                notes.push(
                    "Fly.io's own product: covered by our BAA with Fly.io on an eligible org plan".to_owned(),
                );
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
            let plans = vendor.map(|v| v.plans.as_slice()).unwrap_or(&[]);
            let (plan, plan_read) = match (&ext.kind, shown_plan) {
                (ExtensionKind::UpstashRedis, Some(shown)) => (redis_plan(&shown), true),
                (_, Some(shown)) => (slugify(&shown), true),
                (_, None) if vendor_slug == FLY => (self.org_plan(&ext.org), false),
                (ExtensionKind::Sentry, None) => {
                    notes.push(
                        "plan `team`: Fly provisioned Sentry projects on Sentry's Team plan, which is not \
                         BAA-eligible; change it if the project was upgraded with Sentry"
                            .to_owned(),
                    );
                    ("team".to_owned(), false)
                }
                (_, None) => match plans {
                    [only] => (only.slug.clone(), false),
                    _ => {
                        notes.push(format!(
                            "plan `unknown`: `{}` shows no plan{}; set the real plan",
                            ext.kind.list_command(),
                            vendor.map_or(String::new(), |v| format!(" and {} has several", v.name))
                        ));
                        ("unknown".to_owned(), false)
                    }
                },
            };
            if let (true, Some(v)) = (plan_read, vendor) {
                if v.plan(&plan).is_none() {
                    notes.push(format!(
                        "plan `{plan}` is not in the catalog's {} entry, so its BAA eligibility is unknown \
                         (fails closed) until an admin adds it",
                        v.name
                    ));
                }
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
            let id = service_id(&vendor_slug, &product, &ext.name);
            let mut d = Desired::new(
                id.clone(),
                ext.name.clone(),
                &vendor_slug,
                &product,
                plan,
                Some(ext.org.clone()),
            );
            if ext.kind.named_after_app() && self.app_org(&ext.name).is_some() {
                d.apps.insert(ext.name.clone());
                notes.push(format!(
                    "tied to app `{}`: flyctl names {} extensions after their app",
                    ext.name, ext.kind
                ));
            }
            for app in &ext.apps {
                if self.app_org(app).is_some() && d.apps.insert(app.clone()) {
                    let note =
                        format!("attached to app `{app}`: the Fly API lists it among the add-on's apps");
                    if lacks(&notes, &note) {
                        notes.push(note);
                    }
                }
            }
            d.kind = Some(ext.kind.clone());
            d.plan_read = plan_read;
            d.prod_pack = prod_pack;
            d.regions = regions;
            d.sources = sources;
            d.notes = notes;
            self.by_name.insert((ext.kind.clone(), ext.name.clone()), id.clone());
            self.desired.insert(id, d);
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

    /// Regions each app's fly.toml names, and the volumes it mounts (Fly's own product).
    fn fly_tomls(&mut self) {
        let snap = self.snap;
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
            let entry = self.toml.entry(t.app.clone()).or_default();
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
                let d = self.desired.entry(id.clone()).or_insert_with(|| {
                    let mut d = Desired::new(
                        id,
                        format!("{} volume {source}", t.app),
                        FLY,
                        "volumes",
                        plan,
                        Some(org.clone()),
                    );
                    d.notes.push(
                        "a volume mounted in fly.toml: Fly's own product, on the org's plan".to_owned(),
                    );
                    d
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
    }

    /// Every app runs on Fly.io: a Fly Machines service per app, or a Fly Postgres service for
    /// a Fly Postgres app (recognised by the secrets Fly Postgres sets on itself).
    fn fly_compute(&mut self) {
        let snap = self.snap;
        let mut names: BTreeSet<&str> = snap.apps.iter().map(|a| a.name.as_str()).collect();
        names.extend(self.toml.keys().map(String::as_str));
        for name in names {
            let Some(org) = self.app_org(name).map(str::to_owned) else { continue };
            let secrets = snap.secrets.iter().find(|s| s.app == name);
            let postgres = secrets.is_some_and(|s| POSTGRES_SECRETS.iter().all(|n| s.get(n).is_some()));
            let product = if postgres { "postgres" } else { "machines" };
            if self.world.catalog.vendor(FLY).is_none_or(|v| v.product(product).is_none()) {
                continue;
            }
            let mut d = Desired::new(
                service_id(FLY, product, name),
                name.to_owned(),
                FLY,
                product,
                self.org_plan(&org),
                Some(org),
            );
            d.apps.insert(name.to_owned());
            let mut regions = self.toml.get(name).map(|t| t.0.clone()).unwrap_or_default();
            for r in snap.app(name).map(|a| a.regions.as_slice()).unwrap_or(&[]) {
                if !regions.contains(r) {
                    regions.push(r.clone());
                }
            }
            if let Some(app) = self.world.apps.iter().find(|a| a.name == name) {
                for r in &app.regions {
                    if !regions.contains(r) {
                        regions.push(r.clone());
                    }
                }
            }
            d.regions = regions;
            d.sources.extend(snap.app(name).map(|a| a.at.clone()));
            if postgres {
                d.sources.extend(secrets.map(|s| s.at.clone()));
                d.notes.push(format!(
                    "a Fly Postgres app: its secrets are the ones Fly Postgres sets ({})",
                    POSTGRES_SECRETS.join(", ")
                ));
            } else {
                d.notes.push(
                    "the app's Fly Machines: Fly.io's own compute, covered only by our BAA with Fly.io on an \
                     eligible org plan"
                        .to_owned(),
                );
            }
            if let Some(a) = snap.app(name).filter(|a| a.status != "deployed" && !a.status.is_empty()) {
                d.notes.push(format!("app status on Fly: {}", a.status));
            }
            self.desired.insert(d.id.clone(), d);
        }
    }

    /// Ties the extension of `kind` named after `app` to it; `false` when there is none.
    fn link_named(&mut self, kind: &ExtensionKind, app: &str, at: &Location) -> bool {
        match self.by_name.get(&(kind.clone(), app.to_owned())).and_then(|id| self.desired.get_mut(id)) {
            Some(d) => {
                d.apps.insert(app.to_owned());
                d.sources.push(at.clone());
                true
            }
            None => false,
        }
    }

    /// Ties the services in `org` that `matches` accepts to `app`: a fact when there is only
    /// one (unless `guess`), candidates when there are several (the secrets do not say which).
    /// `false` when there is none.
    fn link_org(
        &mut self,
        matches: impl Fn(&Desired) -> bool,
        org: &str,
        app: &str,
        hint: &str,
        at: &Location,
    ) -> bool {
        self.link_in_org(matches, org, app, hint, at, false)
    }

    fn link_in_org(
        &mut self,
        matches: impl Fn(&Desired) -> bool,
        org: &str,
        app: &str,
        hint: &str,
        at: &Location,
        guess: bool,
    ) -> bool {
        let ids: Vec<String> = self
            .desired
            .values()
            .filter(|d| d.org.as_deref() == Some(org) && !d.apps.contains(app) && matches(d))
            .map(|d| d.id.clone())
            .collect();
        let candidates = guess || ids.len() > 1;
        for id in &ids {
            let Some(d) = self.desired.get_mut(id) else { continue };
            d.sources.push(at.clone());
            if candidates {
                d.candidate_apps.insert(app.to_owned());
                d.note(format!(
                    "candidate apps: apps of org `{org}` whose secrets point at such a service ({hint}); the CLI \
                     does not show which one each app uses, so the link is unconfirmed until an engineer confirms it"
                ));
            } else {
                d.apps.insert(app.to_owned());
                d.note(format!("apps: those of org `{org}` whose secrets point at it ({hint}); it is the only one in the org"));
            }
        }
        !ids.is_empty()
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
        // Secrets an extension or Fly itself accounts for; the rest may name a direct vendor.
        let mut explained: BTreeSet<&str> = POSTGRES_SECRETS.into_iter().collect();
        explained.insert("FLY_CONSUL_URL");
        for (secret, kind) in [("SENTRY_DSN", ExtensionKind::Sentry), ("ARCJET_KEY", ExtensionKind::Arcjet)] {
            if let Some(at) = get(secret) {
                if self.link_named(&kind, app, &at) {
                    explained.insert(secret);
                }
            }
        }
        let kind_is = |kind: ExtensionKind| move |d: &Desired| d.kind.as_ref() == Some(&kind);
        match (get("BUCKET_NAME"), get("AWS_ENDPOINT_URL_S3")) {
            (Some(at), Some(_)) => {
                explained.extend(TIGRIS_SECRETS);
                if !self.link_org(
                    kind_is(ExtensionKind::Tigris),
                    &org,
                    app,
                    "BUCKET_NAME and AWS_ENDPOINT_URL_S3",
                    &at,
                ) {
                    let why = self.missing_list(&ExtensionKind::Tigris);
                    self.note(
                        &at,
                        format!(
                            "BUCKET_NAME and AWS_ENDPOINT_URL_S3 are set, but {why} no Tigris bucket in org `{org}`: \
                             it may be another S3-compatible store; if that may see PHI, record it by hand"
                        ),
                    );
                }
            }
            (Some(at), None) | (None, Some(at)) => {
                if get("AWS_ENDPOINT_URL_S3").is_some() {
                    // An S3 endpoint that is not AWS's: the AWS_* keys are not AWS's either.
                    explained.extend(TIGRIS_SECRETS);
                }
                self.note(
                    &at,
                    "only one of BUCKET_NAME and AWS_ENDPOINT_URL_S3 is set, which does not tell Tigris from \
                     another S3 store; if the bucket may hold PHI, record it by hand",
                );
            }
            (None, None) => {}
        }
        if let Some(at) = get("REDIS_URL") {
            if !self.link_org(kind_is(ExtensionKind::UpstashRedis), &org, app, "REDIS_URL", &at) {
                let why = self.missing_list(&ExtensionKind::UpstashRedis);
                self.note(
                    &at,
                    format!(
                        "REDIS_URL is set, but {why} no Upstash Redis in org `{org}`: it may point at another \
                         provider or a Redis app of your own; if that may see PHI, record it by hand"
                    ),
                );
            }
        }
        if let Some(at) =
            ["VECTOR_ENDPOINT", "VECTOR_TOKEN", "VECTOR_READONLY_TOKEN"].iter().find_map(|n| get(n))
        {
            let hint = "VECTOR_ENDPOINT/VECTOR_TOKEN";
            if !self.link_org(kind_is(ExtensionKind::UpstashVector), &org, app, hint, &at) {
                let why = self.missing_list(&ExtensionKind::UpstashVector);
                self.note(&at, format!("{hint} is set, but {why} no Upstash Vector index in org `{org}`"));
            }
        }
        if let Some(at) = get("DATABASE_URL") {
            let postgres = |d: &Desired| d.vendor == FLY && d.product == "postgres";
            // DATABASE_URL may as well point outside Fly: even one Fly Postgres app is a guess.
            if !self.link_in_org(postgres, &org, app, "DATABASE_URL", &at, true) {
                self.note(
                    &at,
                    "DATABASE_URL points at a database the snapshot does not show (no Fly Postgres app in the \
                     org): if it is Supabase, RDS or another provider, record it as a service by hand",
                );
            }
        }
        self.direct_vendors(secrets, &explained);
    }

    /// Vendors an app's secrets name that no extension accounts for: candidate direct services.
    fn direct_vendors(&mut self, secrets: &AppSecrets, explained: &BTreeSet<&str>) {
        let app = secrets.app.as_str();
        let world = self.world;
        for vendor in world.catalog.vendors.iter().filter(|v| v.slug != FLY) {
            let found: Vec<&str> = vendor
                .secret_names
                .iter()
                .map(String::as_str)
                .filter(|n| secrets.get(n).is_some() && !explained.contains(n))
                .collect();
            let Some(first) = found.first().and_then(|n| secrets.get(n)) else { continue };
            let id = candidate_service_id(&vendor.slug, app);
            let (product, product_note) = match vendor.products.as_slice() {
                [only] => (only.slug.clone(), None),
                _ => (
                    "unknown".to_owned(),
                    Some(format!("product unknown: {} has several; set it", vendor.name)),
                ),
            };
            let (plan, plan_note) = match vendor.plans.as_slice() {
                [only] => (only.slug.clone(), None),
                _ => (
                    "unknown".to_owned(),
                    Some(format!("plan unknown: {} has several; set the real plan", vendor.name)),
                ),
            };
            let mut d = Desired::new(id.clone(), app.to_owned(), &vendor.slug, &product, plan, None);
            d.apps.insert(app.to_owned());
            d.sources.push(first.at.clone());
            d.unconfirmed = Some(format!(
                "{} {} set on {app}: it seems to use {} directly",
                found.join(" and "),
                if found.len() == 1 { "is" } else { "are" },
                vendor.name
            ));
            d.notes.push(format!(
                "a candidate {} service found in `{app}`'s secrets ({}): it counts as PHI until an engineer \
                 confirms it (with its plan and account) or rejects it",
                vendor.name,
                found.join(", ")
            ));
            d.notes.extend(product_note);
            d.notes.extend(plan_note);
            self.desired.insert(id, d);
        }
    }

    /// Leaves out candidates people rejected before.
    fn drop_rejected(&mut self) {
        let decisions = self.decisions;
        let mut dropped = Vec::new();
        self.desired.retain(|id, d| {
            let keep = !(d.unconfirmed.is_some() && decisions.rejected_services.contains(id));
            if !keep {
                dropped.push((d.sources.first().cloned(), d.name.clone(), d.vendor.clone()));
            }
            keep
        });
        for (at, name, vendor) in dropped {
            if let Some(at) = at {
                self.note(
                    &at,
                    format!(
                        "the candidate {vendor} service for `{name}` was rejected before: not imported again"
                    ),
                );
            }
        }
        for d in self.desired.values_mut() {
            d.candidate_apps.retain(|app| !decisions.rejected_links.contains(&(d.id.clone(), app.clone())));
            let confirmed = d.apps.clone();
            d.candidate_apps.retain(|app| !confirmed.contains(app));
        }
    }
}
