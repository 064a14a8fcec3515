//! The evaluation itself (see docs/coverage-rules.md for every rule and boundary decision).
//!
//! One mechanism decides every verdict: a service is covered when one of its *chains* holds, and
//! a chain holds when each of its *links* does. A link is an agreement of the right kind between
//! exactly the two parties the link joins, active on the day, whose scope covers the service's
//! product, plan, regions and account, and under which the plan and product are BAA-eligible
//! (`chain.rs`). Everything the data cannot tell (unknown regions, an unknown account, a product
//! or plan the catalog does not know) fails that link, never passes it. The other rules, which
//! raise findings but do not decide verdicts, are in `rules/`; the wording in `text.rs`.

mod actions;
mod chain;
mod rules;
mod text;

use std::collections::{HashMap, HashSet};

use chrono::NaiveDate;

use super::model::{Agreement, App, FlyOrg, Party, Phi, Policy, Role, Service, Standing, World};
use super::report::{Finding, Report, RuleId, ServiceReport, Severity, Subject, Summary, Verdict};
use crate::catalog::{Eligibility, Vendor, FLY};

/// Evaluates coverage of `world` on the day `as_of` under `policy`.
pub fn evaluate(world: &World, as_of: NaiveDate, policy: &Policy) -> Report {
    let ix = Index::new(world, as_of, policy);
    let mut out = rules::Collector::default();
    let mut memo: HashMap<chain::Key<'_>, chain::Resolution> = HashMap::new();
    let mut services = Vec::with_capacity(world.services.len());
    let mut summary = Summary::default();
    let mut phi_orgs: HashSet<&str> = HashSet::new();
    let mut in_use: HashSet<&str> = HashSet::new();

    for service in world.services.iter().filter(|s| s.exists_on(as_of)) {
        summary.services += 1;
        let verdict = if service.phi.valid_no() {
            summary.no_phi += 1;
            Verdict::CoveredNoPhi { reason: service.phi.no_text().unwrap_or_default() }
        } else {
            summary.phi_services += 1;
            for org in ix.orgs_of(service) {
                phi_orgs.insert(org);
            }
            if let Some(p) = ix.vendor_party(&service.vendor) {
                in_use.insert(p.id.as_str());
            }
            if service.vendor == FLY || ix.platform_org(service).is_some() {
                if let Some(fly) = ix.fly {
                    in_use.insert(fly.id.as_str());
                }
            }
            let key = chain::Key::of(service);
            let resolution = memo.entry(key).or_insert_with(|| ix.resolve(service));
            out.service_rules(&ix, service);
            let verdict = out.verdict(&ix, service, resolution);
            if verdict.is_covered() {
                summary.covered_phi += 1;
            } else {
                summary.uncovered_phi += 1;
            }
            verdict
        };
        services.push(ServiceReport {
            service: service.id.clone(),
            name: service.name.clone(),
            label: text::service_label(&ix, service),
            phi: !matches!(verdict, Verdict::CoveredNoPhi { .. }),
            unconfirmed: service.unconfirmed.is_some(),
            verdict,
        });
    }

    out.expired(&ix);
    out.orgs(&ix, &phi_orgs);
    out.apps(&ix);
    out.customers(&ix);
    out.downstream(&ix, &in_use);
    let deadlines = out.agreements(&ix, policy);

    let mut findings = out.findings;
    findings.sort_by(|a, b| {
        b.severity.cmp(&a.severity).then_with(|| {
            (a.rule, a.subject.kind, &a.subject.id, &a.subject.name, &a.explanation).cmp(&(
                b.rule,
                b.subject.kind,
                &b.subject.id,
                &b.subject.name,
                &b.explanation,
            ))
        })
    });
    for f in &findings {
        match f.severity {
            Severity::Critical => summary.critical += 1,
            Severity::High => summary.high += 1,
            Severity::Medium => summary.medium += 1,
            Severity::Warning => summary.warning += 1,
            Severity::Low => summary.low += 1,
        }
    }
    let actions = actions::actions(&ix, &findings, &services);
    Report { as_of, services, findings, summary, deadlines, actions }
}

/// Lookups built once per evaluation.
pub(super) struct Index<'w> {
    pub world: &'w World,
    pub as_of: NaiveDate,
    pub policy: &'w Policy,
    catalog: HashMap<&'w str, &'w Vendor>,
    /// Catalog slug to the (first) vendor party.
    vendor_parties: HashMap<&'w str, &'w Party>,
    /// Party id to the (first) party.
    parties: HashMap<&'w str, &'w Party>,
    /// Org slug to the (last) org.
    orgs: HashMap<&'w str, &'w FlyOrg>,
    /// App name to the (last) app.
    apps: HashMap<&'w str, &'w App>,
    /// Agreements per pair of party ids (both orders), in input order.
    by_pair: HashMap<&'w str, HashMap<&'w str, Vec<usize>>>,
    /// Standing of each agreement on the day.
    standing: Vec<Standing>,
    /// Ids of agreements some other agreement says it supersedes (renewals).
    succeeded: HashSet<&'w str>,
    /// Fly.io's party.
    pub fly: Option<&'w Party>,
}

impl<'w> Index<'w> {
    fn new(world: &'w World, as_of: NaiveDate, policy: &'w Policy) -> Self {
        let mut vendor_parties = HashMap::new();
        let mut parties = HashMap::new();
        for p in &world.parties {
            parties.entry(p.id.as_str()).or_insert(p);
            if let Role::Vendor { vendor, .. } = &p.role {
                vendor_parties.entry(vendor.as_str()).or_insert(p);
            }
        }
        let mut by_pair: HashMap<&str, HashMap<&str, Vec<usize>>> = HashMap::new();
        for (i, a) in world.agreements.iter().enumerate() {
            let (x, y) = (a.parties[0].as_str(), a.parties[1].as_str());
            by_pair.entry(x).or_default().entry(y).or_default().push(i);
            if x != y {
                by_pair.entry(y).or_default().entry(x).or_default().push(i);
            }
        }
        let fly = vendor_parties.get(FLY).copied();
        Self {
            world,
            as_of,
            policy,
            catalog: world.catalog.vendors.iter().map(|v| (v.slug.as_str(), v)).collect(),
            vendor_parties,
            parties,
            orgs: world.orgs.iter().map(|o| (o.slug.as_str(), o)).collect(),
            apps: world.apps.iter().map(|a| (a.name.as_str(), a)).collect(),
            by_pair,
            standing: world.agreements.iter().map(|a| a.standing_on(as_of)).collect(),
            succeeded: world.agreements.iter().filter_map(|a| a.supersedes.as_deref()).collect(),
            fly,
        }
    }

    pub fn agreement(&self, i: usize) -> &'w Agreement {
        &self.world.agreements[i]
    }

    pub fn standing(&self, i: usize) -> Standing {
        self.standing[i]
    }

    pub fn vendor(&self, slug: &str) -> Option<&'w Vendor> {
        self.catalog.get(slug).copied()
    }

    pub fn vendor_party(&self, slug: &str) -> Option<&'w Party> {
        self.vendor_parties.get(slug).copied()
    }

    pub fn party(&self, id: &str) -> Option<&'w Party> {
        self.parties.get(id).copied()
    }

    pub fn org(&self, slug: &str) -> Option<&'w FlyOrg> {
        self.orgs.get(slug).copied()
    }

    pub fn app(&self, name: &str) -> Option<&'w App> {
        self.apps.get(name).copied()
    }

    pub fn is_succeeded(&self, id: &str) -> bool {
        self.succeeded.contains(id)
    }

    /// Agreements between two parties (either order), in input order.
    pub fn between(&self, a: &str, b: &str) -> &[usize] {
        self.by_pair.get(a).and_then(|m| m.get(b)).map_or(&[], Vec::as_slice)
    }

    /// The org a service was provisioned in through Fly, when it was.
    pub fn platform_org<'s>(&self, s: &'s Service) -> Option<&'s str> {
        match &s.provisioning {
            super::model::ServiceProvisioning::Platform { org } => Some(org.as_str()),
            super::model::ServiceProvisioning::Direct => None,
        }
    }

    /// Recorded orgs a service touches: where it was provisioned, then the orgs of the apps
    /// known to use it (candidate apps are not facts and are left out).
    pub fn orgs_of(&self, s: &'w Service) -> Vec<&'w str> {
        let mut out: Vec<&'w str> = Vec::new();
        if let Some(org) = self.platform_org(s).and_then(|o| self.org(o)) {
            out.push(&org.slug);
        }
        for app in s.apps.iter().filter_map(|a| self.app(a)) {
            if let Some(org) = self.org(&app.org) {
                if !out.contains(&org.slug.as_str()) {
                    out.push(&org.slug);
                }
            }
        }
        out
    }

    /// Whether a Fly org's plan and packages give a BAA (eligible, or on request).
    pub fn org_eligible(&self, org: &FlyOrg) -> bool {
        self.vendor(FLY).is_some_and(|fly| fly.eligibility(&org.plan, &org.packages).counts())
    }

    /// Eligibility of a vendor's plan with these add-ons (unknown for a vendor not catalogued).
    pub fn plan_eligibility(&self, vendor: &str, plan: &str, add_ons: &[String]) -> Eligibility {
        self.vendor(vendor).map_or(Eligibility::Unknown, |v| v.eligibility(plan, add_ons))
    }

    /// Eligibility of a vendor's product (unknown for a vendor or product not catalogued).
    pub fn product_eligibility(&self, vendor: &str, product: &str) -> Eligibility {
        self.vendor(vendor).map_or(Eligibility::Unknown, |v| v.product_eligibility(product))
    }

    /// Ordering key "lasts longer": no expiry beats any expiry, later beats earlier, then the
    /// smaller id wins, so choices never depend on input order.
    pub fn lasts(&self, i: usize) -> (bool, Option<NaiveDate>, std::cmp::Reverse<&'w str>) {
        let a = self.agreement(i);
        (a.expiry.is_none(), a.expiry, std::cmp::Reverse(a.id.as_str()))
    }
}

/// Whether the service is treated as handling PHI and why it is unknown, if it is.
pub(super) fn unknown_reason(phi: &Phi) -> Option<&'static str> {
    match phi {
        Phi::Yes => None,
        Phi::Unknown => Some("nobody has recorded whether it handles PHI"),
        Phi::No { .. } if phi.valid_no() => None,
        Phi::No { reason, .. } if super::model::cites_encryption(reason) => Some(
            "it is marked as handling no PHI because the data is encrypted, which is not a reason: a \
             vendor that keeps encrypted PHI, even without the key, is still a business associate (HHS \
             guidance on cloud computing, 2016)",
        ),
        Phi::No { .. } => Some("it is marked as handling no PHI but no reason is recorded"),
    }
}

/// A service as a finding's subject, named with its vendor ("Sentry · acme-api") so that two
/// services never read the same.
pub(super) fn service_subject(ix: &Index<'_>, s: &Service) -> Subject {
    Subject { kind: super::report::SubjectKind::Service, id: s.id.clone(), name: text::service_label(ix, s) }
}

pub(super) fn finding(rule: RuleId, subject: Subject, explanation: String, next_step: String) -> Finding {
    Finding { rule, severity: rule.severity(), subject, explanation, next_step }
}
