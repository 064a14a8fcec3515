//! The snapshot's records compared with the world: creates, field-level updates, unchanged
//! records, and what the world has that the snapshot no longer shows.

use std::collections::{BTreeMap, BTreeSet};

use super::discover::{Desired, Planner};
use super::{
    change, diff, env_name, guess_environment, list, union_into, via, Absent, Change, NewService, RecordKind,
    DEFAULT_ORG_PLAN, PROD_PACK,
};
use crate::catalog::FLY;
use crate::coverage::{App, FlyOrg, Phi, Service, ServiceProvisioning};
use crate::fly_import::Location;

impl<'a> Planner<'a> {
    pub fn orgs(&mut self) -> Vec<Change<FlyOrg>> {
        let snap = self.snap;
        let mut referenced: BTreeMap<String, Vec<Location>> = BTreeMap::new();
        for a in &snap.apps {
            referenced.entry(a.org.clone()).or_default().push(a.at.clone());
        }
        for d in self.desired.values() {
            if let Some(org) = &d.org {
                referenced.entry(org.clone()).or_default().extend(d.sources.first().cloned());
            }
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

    pub fn apps(&mut self) -> Vec<Change<App>> {
        let snap = self.snap;
        let toml = &self.toml;
        let mut names: BTreeSet<&str> = snap.apps.iter().map(|a| a.name.as_str()).collect();
        // A fly.toml of an app only the tracker knows still adds its region.
        names.extend(toml.keys().map(String::as_str));
        let mut out = Vec::new();
        for name in names {
            let listed = snap.app(name);
            let (mut toml_regions, toml_sources) = toml.get(name).cloned().unwrap_or_default();
            union_into(&mut toml_regions, listed.map(|a| a.regions.as_slice()).unwrap_or(&[]));
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
    fn existing(&self, d: &Desired) -> Option<&'a Service> {
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

    pub fn services(&mut self) -> Vec<Change<NewService, Service>> {
        let mut out = Vec::new();
        for d in self.desired.values() {
            let provisioning = match &d.org {
                Some(org) => ServiceProvisioning::Platform { org: org.clone() },
                None => ServiceProvisioning::Direct,
            };
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
                    if d.apps.is_empty() && d.candidate_apps.is_empty() {
                        notes.push("no app in the snapshot points at it: recorded with no app".to_owned());
                    }
                    let record = NewService {
                        id: d.id.clone(),
                        name: d.name.clone(),
                        vendor: d.vendor.clone(),
                        product: d.product.clone(),
                        plan: d.plan.clone(),
                        add_ons,
                        apps: d.apps.iter().cloned().collect(),
                        candidate_apps: d.candidate_apps.iter().cloned().collect(),
                        regions: d.regions.clone(),
                        provisioning,
                        phi: Phi::Unknown,
                        unconfirmed: d.unconfirmed.clone(),
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
                    let candidates: Vec<String> =
                        d.candidate_apps.iter().filter(|a| !after.apps.contains(a)).cloned().collect();
                    union_into(&mut after.candidate_apps, &candidates);
                    let confirmed = after.apps.clone();
                    after.candidate_apps.retain(|a| !confirmed.contains(a));
                    if !d.regions.is_empty() {
                        after.regions = d.regions.clone();
                    }
                    // A candidate found in secrets keeps what people recorded about it.
                    if d.org.is_some() {
                        after.provisioning = provisioning;
                    }
                    after.removed_on = None;
                    let mut fields = Vec::new();
                    diff(&mut fields, "vendor", &before.vendor, &after.vendor);
                    diff(&mut fields, "product", &before.product, &after.product);
                    diff(&mut fields, "plan", &before.plan, &after.plan);
                    diff(&mut fields, "add_ons", &list(&before.add_ons), &list(&after.add_ons));
                    diff(&mut fields, "apps", &list(&before.apps), &list(&after.apps));
                    diff(
                        &mut fields,
                        "candidate_apps",
                        &list(&before.candidate_apps),
                        &list(&after.candidate_apps),
                    );
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

    pub fn absent(&self) -> Vec<Absent> {
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
            let compute = s.vendor == FLY && matches!(s.product.as_str(), "machines" | "postgres");
            if compute
                && orgs.contains(org.as_str())
                && s.removed_on.is_none()
                && !matched.contains(s.id.as_str())
            {
                out.push(Absent {
                    kind: RecordKind::Service,
                    id: s.id.clone(),
                    reason: format!(
                        "`fly apps list` does not list the app of `{}` in org `{org}`: deleted on Fly? The import \
                         removes nothing; mark it removed in the tracker if it is gone",
                        s.name
                    ),
                });
                continue;
            }
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
