//! The evaluation itself. Indexes are built once per call so the work is linear in the size of
//! the world (see docs/coverage-rules.md for every rule and boundary decision).

use std::cmp::Reverse;
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::hash::{BuildHasherDefault, Hasher};

use chrono::NaiveDate;

use super::model::{
    Agreement, AgreementKind, App, Clause, Environment, FlyOrg, Party, Phi, Policy, Role, Service,
    ServiceProvisioning, Standing, Status, World,
};
use super::report::{
    Expiring, Finding, Report, RuleId, ServiceReport, Subject, SubjectKind, Summary, Verdict,
};
use crate::catalog::{Eligibility, Vendor, FLY};

/// FxHash (as in rustc): the keys are ids from the workspace's own data, so a fast
/// non-cryptographic hash is fine and keeps big worlds quick without another dependency.
#[derive(Default, Clone, Copy)]
struct FxHasher(u64);

impl Hasher for FxHasher {
    fn write(&mut self, bytes: &[u8]) {
        const SEED: u64 = 0x51_7c_c1_b7_27_22_0a_95;
        let mut chunks = bytes.chunks_exact(8);
        for chunk in &mut chunks {
            let mut word = [0u8; 8];
            word.copy_from_slice(chunk);
            self.0 = (self.0.rotate_left(5) ^ u64::from_le_bytes(word)).wrapping_mul(SEED);
        }
        for &b in chunks.remainder() {
            self.0 = (self.0.rotate_left(5) ^ u64::from(b)).wrapping_mul(SEED);
        }
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

type FastMap<K, V> = HashMap<K, V, BuildHasherDefault<FxHasher>>;
type FastSet<K> = HashSet<K, BuildHasherDefault<FxHasher>>;

/// How many names a message lists before it says "and N more".
const LIST_LIMIT: usize = 5;

/// Evaluates coverage of `world` on the day `as_of` under `policy`.
pub fn evaluate(world: &World, as_of: NaiveDate, policy: &Policy) -> Report {
    let ix = Index::new(world, as_of);
    let mut out = Collector::default();
    let mut services = Vec::with_capacity(world.services.len());
    let mut summary = Summary::default();
    let mut phi_orgs: FastSet<&str> = FastSet::default();
    let mut in_use: FastSet<&str> = FastSet::default();
    // Reused for every service so the loop does not allocate for it.
    let mut orgs: Vec<&str> = Vec::new();

    for service in world.services.iter().filter(|s| s.exists_on(as_of)) {
        summary.services += 1;
        let verdict = match &service.phi {
            Phi::No { reason } if !reason.trim().is_empty() => {
                summary.no_phi += 1;
                Verdict::CoveredNoPhi { reason: reason.clone() }
            }
            phi => {
                out.phi_unknown(&ix, service, phi);
                summary.phi_services += 1;
                ix.orgs_of(service, &mut orgs);
                phi_orgs.extend(orgs.iter().copied());
                if let Some(p) = ix.vendor_party.get(service.vendor.as_str()) {
                    in_use.insert(p.id.as_str());
                }
                if matches!(service.provisioning, ServiceProvisioning::Platform { .. }) {
                    if let Some(p) = ix.vendor_party.get(FLY) {
                        in_use.insert(p.id.as_str());
                    }
                }
                out.environment(&ix, service, &orgs);
                out.regions(&ix, service, policy);
                let verdict = ix.coverage(service, &mut out);
                if verdict.is_covered() {
                    summary.covered_phi += 1;
                } else {
                    summary.uncovered_phi += 1;
                }
                verdict
            }
        };
        services.push(ServiceReport {
            service: service.id.clone(),
            name: service.name.clone(),
            phi: !matches!(verdict, Verdict::CoveredNoPhi { .. }),
            verdict,
        });
    }

    out.expired(&ix);
    out.orgs(&ix, &phi_orgs);
    out.apps(&ix);
    out.customers(&ix);
    out.downstream(&ix, in_use);
    let expiring = out.agreements(&ix, policy);

    let mut findings = out.findings;
    findings.sort_by(|a, b| {
        (Reverse(a.severity), a.rule, &a.subject, &a.explanation).cmp(&(
            Reverse(b.severity),
            b.rule,
            &b.subject,
            &b.explanation,
        ))
    });
    for f in &findings {
        match f.severity {
            super::Severity::Critical => summary.critical += 1,
            super::Severity::High => summary.high += 1,
            super::Severity::Medium => summary.medium += 1,
            super::Severity::Warning => summary.warning += 1,
            super::Severity::Low => summary.low += 1,
        }
    }
    Report { as_of, services, findings, summary, expiring }
}

/// Lookups built once per evaluation.
struct Index<'w> {
    world: &'w World,
    as_of: NaiveDate,
    parties: FastMap<&'w str, &'w Party>,
    vendor_party: FastMap<&'w str, &'w Party>,
    catalog: FastMap<&'w str, &'w Vendor>,
    orgs: FastMap<&'w str, &'w FlyOrg>,
    apps: FastMap<&'w str, &'w App>,
    standing: Vec<Standing>,
    /// Party ids (from parties and agreements) interned to numbers for pair lookups.
    ids: FastMap<&'w str, u32>,
    by_pair: FastMap<(u32, u32), Vec<usize>>,
    extends: FastMap<&'w str, Vec<usize>>,
}

fn pair(a: u32, b: u32) -> (u32, u32) {
    if a <= b {
        (a, b)
    } else {
        (b, a)
    }
}

/// State of one link of a chain.
enum Link {
    Active(usize),
    Expired(usize),
    /// No usable agreement; these fitting ones exist but are pending, not yet effective or ended.
    Absent(Vec<usize>),
}

/// A missing link, described only when a message needs it (most services never do).
enum Missing<'w> {
    /// A plain reason.
    Text(String),
    /// No usable agreement of this description; the indexes are fitting agreements that do not
    /// count yet or any more.
    Link(String, Vec<usize>),
    /// Lazily described: our BAA with this vendor covering the service's product and plan.
    Direct(&'w str, Vec<usize>),
    /// Lazily described: a Fly.io agreement extending to this vendor's extensions.
    Extension(&'w str, Vec<usize>),
}

/// Why a chain that exists does not hold.
enum Cause<'w> {
    PlanIneligible,
    PlatformPlan(&'w FlyOrg),
    Expired(usize),
}

/// Result of trying one way to be covered.
enum Path<'w> {
    Covered(Vec<usize>),
    Broken(Vec<Cause<'w>>),
    /// A link is missing; expired links of the same chain are still reported.
    NoChain(Vec<Missing<'w>>, Vec<usize>),
}

impl<'w> Index<'w> {
    fn new(world: &'w World, as_of: NaiveDate) -> Self {
        let n_parties = world.parties.len();
        let n_agreements = world.agreements.len();
        let mut vendor_party = FastMap::default();
        let mut parties = FastMap::with_capacity_and_hasher(n_parties, Default::default());
        for p in &world.parties {
            parties.entry(p.id.as_str()).or_insert(p);
            if let Role::Vendor { vendor, .. } = &p.role {
                vendor_party.entry(vendor.as_str()).or_insert(p);
            }
        }
        let mut ids: FastMap<&str, u32> =
            FastMap::with_capacity_and_hasher(n_parties + 16, Default::default());
        let mut intern = |id: &'w str| {
            let next = u32::try_from(ids.len()).unwrap_or(u32::MAX);
            *ids.entry(id).or_insert(next)
        };
        for p in &world.parties {
            intern(&p.id);
        }
        let mut by_pair: FastMap<_, Vec<usize>> =
            FastMap::with_capacity_and_hasher(n_agreements, Default::default());
        let mut extends: FastMap<_, Vec<usize>> = FastMap::default();
        for (i, a) in world.agreements.iter().enumerate() {
            let key = pair(intern(&a.parties[0]), intern(&a.parties[1]));
            by_pair.entry(key).or_default().push(i);
            if let AgreementKind::PlatformAgreement { extends_to } = &a.kind {
                for v in extends_to {
                    extends.entry(v.as_str()).or_default().push(i);
                }
            }
        }
        Self {
            world,
            as_of,
            parties,
            vendor_party,
            catalog: world.catalog.vendors.iter().map(|v| (v.slug.as_str(), v)).collect(),
            orgs: world.orgs.iter().map(|o| (o.slug.as_str(), o)).collect(),
            apps: world.apps.iter().map(|a| (a.name.as_str(), a)).collect(),
            standing: world.agreements.iter().map(|a| a.standing_on(as_of)).collect(),
            ids,
            by_pair,
            extends,
        }
    }

    fn agreement(&self, i: usize) -> &'w Agreement {
        &self.world.agreements[i]
    }

    /// Ordering key "lasts longer": no expiry beats any expiry, later beats earlier, then the
    /// smaller id wins, so choices never depend on input order.
    fn lasts(&self, i: usize) -> (bool, Option<NaiveDate>, Reverse<&'w str>) {
        let a = self.agreement(i);
        (a.expiry.is_none(), a.expiry, Reverse(a.id.as_str()))
    }

    fn agreement_name(&self, i: usize) -> &'w str {
        let a = self.agreement(i);
        if a.title.is_empty() {
            &a.id
        } else {
            &a.title
        }
    }

    fn party_name(&self, id: &'w str) -> &'w str {
        self.parties.get(id).map_or(id, |p| p.name.as_str())
    }

    fn vendor_name(&self, slug: &'w str) -> &'w str {
        self.catalog
            .get(slug)
            .map(|v| v.name.as_str())
            .or_else(|| self.vendor_party.get(slug).map(|p| p.name.as_str()))
            .unwrap_or(slug)
    }

    fn is_ours(&self, a: &Agreement) -> bool {
        a.parties.contains(&self.world.us)
    }

    /// Orgs a service touches: where it was provisioned and where its apps run.
    fn orgs_of(&self, s: &'w Service, orgs: &mut Vec<&'w str>) {
        orgs.clear();
        if let ServiceProvisioning::Platform { org } = &s.provisioning {
            orgs.push(org.as_str());
        }
        for app in &s.apps {
            if let Some(a) = self.apps.get(app.as_str()) {
                if !orgs.contains(&a.org.as_str()) {
                    orgs.push(a.org.as_str());
                }
            }
        }
    }

    fn org_eligible(&self, org: &FlyOrg) -> bool {
        self.catalog.get(FLY).is_some_and(|fly| {
            matches!(
                fly.eligibility(&org.plan, &org.packages),
                Eligibility::Eligible | Eligibility::OnRequest
            )
        })
    }

    /// Best agreement on the pair `a`–`b` that passes `fits`: an active one (longest-lasting
    /// first), else the latest expired one, else a description of what there is.
    fn link(&self, candidates: &[usize], fits: impl Fn(&Agreement) -> bool) -> Link {
        let mut active: Option<usize> = None;
        let mut expired: Option<usize> = None;
        let mut other: Vec<usize> = Vec::new();
        let lasts = |i: usize| self.lasts(i);
        for &i in candidates {
            let a = self.agreement(i);
            if !fits(a) {
                continue;
            }
            match self.standing[i] {
                Standing::Active => {
                    if active.is_none_or(|b| lasts(i) > lasts(b)) {
                        active = Some(i);
                    }
                }
                Standing::Expired(_) => {
                    if expired.is_none_or(|b| lasts(i) > lasts(b)) {
                        expired = Some(i);
                    }
                }
                Standing::NotYetEffective(_) | Standing::Pending(_) | Standing::Ended(_) => {
                    other.push(i);
                }
                Standing::NotYetRecorded => {}
            }
        }
        match (active, expired) {
            (Some(i), _) => Link::Active(i),
            (None, Some(i)) => Link::Expired(i),
            (None, None) => Link::Absent(other),
        }
    }

    /// "no BAA with X" or "no active BAA with X (x-2026 is in negotiation)".
    fn absent_text(&self, what: &str, others: &[usize]) -> String {
        if others.is_empty() {
            return format!("no {what}");
        }
        let mut others = others.to_vec();
        others.sort_by_key(|&i| &self.agreement(i).id);
        let texts: Vec<String> = others
            .into_iter()
            .map(|i| {
                let name = self.agreement_name(i);
                match self.standing[i] {
                    Standing::NotYetEffective(d) => format!("{name} takes effect on {d}"),
                    Standing::Pending(st) => format!("{name} is {}", status_text(st)),
                    Standing::Ended(st) => format!("{name} was {}", status_text(st)),
                    _ => name.to_owned(),
                }
            })
            .collect();
        format!("no active {what} ({})", texts.join("; "))
    }

    fn missing_text(&self, missing: &Missing<'w>) -> String {
        match missing {
            Missing::Text(text) => text.clone(),
            Missing::Link(what, others) => self.absent_text(what, others),
            Missing::Direct(vendor, others) => self.absent_text(
                &format!("BAA with {} covering this product and plan", self.vendor_name(vendor)),
                others,
            ),
            Missing::Extension(vendor, others) => self.absent_text(
                &format!("Fly.io agreement extending its BAA to {} extensions", self.vendor_name(vendor)),
                others,
            ),
        }
    }

    fn pair_agreements(&self, a: &str, b: &str) -> &[usize] {
        match (self.ids.get(a), self.ids.get(b)) {
            (Some(&x), Some(&y)) => self.by_pair.get(&pair(x, y)).map_or(&[], Vec::as_slice),
            _ => &[],
        }
    }

    /// Verdict for a PHI service, recording the findings that explain a missing chain.
    fn coverage(&self, s: &'w Service, out: &mut Collector<'w>) -> Verdict {
        let direct = self.direct_path(s);
        // The platform chain is only tried when the direct one does not cover.
        let platform = if matches!(direct, Some(Path::Covered(_))) { None } else { self.platform_path(s) };
        let mut causes = Vec::new();
        let mut why = Vec::new();
        let paths = [direct, platform];
        // Texts are only built once no path covers the service.
        if let Some(Path::Covered(chain)) = paths.iter().flatten().find(|p| matches!(p, Path::Covered(_))) {
            return Verdict::Covered { chain: chain.iter().map(|&i| self.agreement(i).id.clone()).collect() };
        }
        for path in paths.into_iter().flatten() {
            match path {
                Path::Covered(_) => {}
                Path::Broken(c) => causes.extend(c),
                Path::NoChain(missing, expired) => {
                    for i in expired {
                        out.expired_users.entry(i).or_default().push(&s.name);
                    }
                    why.extend(missing.iter().map(|m| self.missing_text(m)));
                }
            }
        }
        let vendor = self.catalog.get(s.vendor.as_str()).copied();
        let vendor_name = self.vendor_name(&s.vendor);
        let mut broken = Vec::new();
        for cause in &causes {
            match cause {
                Cause::PlanIneligible => {
                    broken.push(format!(
                        "{} is not BAA-eligible for {vendor_name}",
                        self.plan_phrase(s, vendor)
                    ));
                    out.push(
                        RuleId::PlanIneligible,
                        service_subject(s),
                        format!(
                            "A BAA with {vendor_name} exists, but {} ({}) uses {}, which is not \
                             BAA-eligible.",
                            s.name,
                            self.product_label(s),
                            self.plan_phrase(s, vendor)
                        ),
                        self.plan_step(s, vendor),
                    );
                }
                Cause::PlatformPlan(org) => broken.push(format!(
                    "Fly org {} is on plan {} without a BAA",
                    org.slug,
                    self.fly_plan_name(org)
                )),
                Cause::Expired(i) => {
                    broken.push(format!(
                        "{} expired on {}",
                        self.agreement_name(*i),
                        self.agreement(*i).expiry.map_or_else(String::new, |d| d.to_string())
                    ));
                    out.expired_users.entry(*i).or_default().push(&s.name);
                }
            }
        }
        if broken.is_empty() {
            let text = why.join("; ");
            out.push(
                RuleId::UncoveredService,
                service_subject(s),
                format!(
                    "{} ({}) may handle PHI and has no active BAA chain: {text}.",
                    s.name,
                    self.product_label(s)
                ),
                self.uncovered_step(s, vendor),
            );
            Verdict::Uncovered { why: text }
        } else {
            broken.extend(why);
            Verdict::Uncovered { why: broken.join("; ") }
        }
    }

    /// Way (b): an active BAA between us and the vendor, covering product and plan, on an
    /// eligible plan. `None` when we have no party for the vendor.
    fn direct_path(&self, s: &'w Service) -> Option<Path<'w>> {
        let vendor_name = self.vendor_name(&s.vendor);
        let Some(party) = self.vendor_party.get(s.vendor.as_str()) else {
            return Some(Path::NoChain(
                vec![Missing::Text(format!("no BAA with {vendor_name} (no party recorded for it)"))],
                Vec::new(),
            ));
        };
        // Fly's own products run on the org's plan, so the org decides eligibility.
        let fly_org = match &s.provisioning {
            ServiceProvisioning::Platform { org } if s.vendor == FLY => match self.orgs.get(org.as_str()) {
                Some(o) => Some(*o),
                None => {
                    return Some(Path::NoChain(
                        vec![Missing::Text(format!("Fly org {org} is not recorded"))],
                        Vec::new(),
                    ));
                }
            },
            _ => None,
        };
        let plan = fly_org.map_or(s.plan.as_str(), |o| o.plan.as_str());
        let eligibility = match (fly_org, self.catalog.get(s.vendor.as_str())) {
            (Some(o), _) if self.org_eligible(o) => Eligibility::Eligible,
            (Some(_), _) => Eligibility::NotEligible,
            (None, Some(v)) => v.eligibility(plan, &s.add_ons),
            (None, None) => Eligibility::Unknown,
        };
        let candidates = self.pair_agreements(&self.world.us, &party.id);
        let fits = |a: &Agreement| {
            a.kind == AgreementKind::Baa && a.scope.covers(Some(&s.product), Some(plan), &s.regions)
        };
        let eligible_under = |a: &Agreement| match eligibility {
            Eligibility::Eligible | Eligibility::OnRequest => true,
            Eligibility::Unknown => a.scope.names_plan(plan),
            Eligibility::NotEligible => false,
        };
        // An active BAA that makes the plan eligible wins over any other; among several, the
        // longest-lasting, so the chain does not depend on input order.
        let covering = candidates
            .iter()
            .copied()
            .filter(|&i| {
                let a = self.agreement(i);
                self.standing[i] == Standing::Active && fits(a) && eligible_under(a)
            })
            .max_by_key(|&i| self.lasts(i));
        if let Some(i) = covering {
            return Some(Path::Covered(vec![i]));
        }
        let plan_cause = |i: usize| {
            if eligible_under(self.agreement(i)) {
                None
            } else if let Some(o) = fly_org {
                Some(Cause::PlatformPlan(o))
            } else {
                Some(Cause::PlanIneligible)
            }
        };
        Some(match self.link(candidates, fits) {
            Link::Active(i) => Path::Broken(plan_cause(i).into_iter().collect()),
            Link::Expired(i) => {
                Path::Broken(std::iter::once(Cause::Expired(i)).chain(plan_cause(i)).collect())
            }
            Link::Absent(others) => Path::NoChain(vec![Missing::Direct(&s.vendor, others)], Vec::new()),
        })
    }

    /// Way (c): an extension provisioned in a Fly org, our active BAA with Fly.io, an eligible org
    /// plan, and an active Fly.io agreement extending to the vendor's extensions.
    fn platform_path(&self, s: &'w Service) -> Option<Path<'w>> {
        let ServiceProvisioning::Platform { org } = &s.provisioning else {
            return None;
        };
        if s.vendor == FLY {
            return None;
        }
        let Some(org) = self.orgs.get(org.as_str()).copied() else {
            return Some(Path::NoChain(
                vec![Missing::Text(format!("Fly org {org} is not recorded"))],
                Vec::new(),
            ));
        };
        let Some(fly) = self.vendor_party.get(FLY) else {
            return Some(Path::NoChain(
                vec![Missing::Text("no BAA with Fly.io (no party recorded)".into())],
                Vec::new(),
            ));
        };
        let ours = self.link(self.pair_agreements(&self.world.us, &fly.id), |a| {
            a.kind == AgreementKind::Baa && a.scope.covers(None, Some(&org.plan), &s.regions)
        });
        let ext_candidates = self.extends.get(s.vendor.as_str()).map_or(&[][..], |v| v);
        let theirs = self.link(ext_candidates, |a| {
            a.parties.contains(&fly.id) && a.scope.covers(Some(&s.product), Some(&s.plan), &s.regions)
        });
        let mut causes = Vec::new();
        let mut chain = Vec::new();
        let mut absent = Vec::new();
        for (n, link) in [ours, theirs].into_iter().enumerate() {
            match link {
                Link::Active(i) => chain.push(i),
                Link::Expired(i) => {
                    chain.push(i);
                    causes.push(Cause::Expired(i));
                }
                Link::Absent(others) if n == 0 => {
                    absent.push(Missing::Link("BAA with Fly.io".into(), others));
                }
                Link::Absent(others) => absent.push(Missing::Extension(&s.vendor, others)),
            }
        }
        if !absent.is_empty() {
            let expired = causes
                .into_iter()
                .filter_map(|c| match c {
                    Cause::Expired(i) => Some(i),
                    _ => None,
                })
                .collect();
            return Some(Path::NoChain(absent, expired));
        }
        if !self.org_eligible(org) {
            causes.push(Cause::PlatformPlan(org));
        }
        Some(if causes.is_empty() { Path::Covered(chain) } else { Path::Broken(causes) })
    }

    fn product_name(&self, s: &'w Service, vendor: Option<&'w Vendor>) -> &'w str {
        vendor.and_then(|v| v.product(&s.product)).map_or(s.product.as_str(), |p| p.name.as_str())
    }

    /// "Sentry error monitoring", or "Acme Mail mail" when the product name lacks the vendor's.
    fn product_label(&self, s: &'w Service) -> String {
        let vendor = self.catalog.get(s.vendor.as_str()).copied();
        let product = self.product_name(s, vendor);
        let vendor_name = self.vendor_name(&s.vendor);
        if product.contains(vendor_name) {
            product.to_owned()
        } else {
            format!("{vendor_name} {product}")
        }
    }

    fn fly_plan_name(&self, org: &'w FlyOrg) -> &'w str {
        self.catalog.get(FLY).map_or(org.plan.as_str(), |v| v.plan_name(&org.plan))
    }

    /// "the Team plan" or "the Team plan with Prod Pack".
    fn plan_phrase(&self, s: &'w Service, vendor: Option<&'w Vendor>) -> String {
        let plan = vendor.map_or(s.plan.as_str(), |v| v.plan_name(&s.plan));
        let add_ons: Vec<&str> = s
            .add_ons
            .iter()
            .map(|a| {
                vendor
                    .and_then(|v| v.add_ons.iter().find(|x| x.slug == *a))
                    .map_or(a.as_str(), |x| x.name.as_str())
            })
            .collect();
        if add_ons.is_empty() {
            format!("the {plan} plan")
        } else {
            format!("the {plan} plan with {}", add_ons.join(", "))
        }
    }

    /// "acme-api uses Team" in the vendor's words.
    fn terms_sentence(&self, s: &'w Service, vendor: Option<&'w Vendor>) -> String {
        let who = if s.apps.is_empty() { s.name.clone() } else { listing(&s.apps) };
        let verb = if s.apps.len() > 1 { "use" } else { "uses" };
        let plan = vendor.map_or(s.plan.as_str(), |v| v.plan_name(&s.plan));
        match vendor {
            Some(v) => format!("{} {}; {who} {verb} {plan}", v.name, v.baa_terms),
            None => format!(
                "{} is not in the vendor catalog, so no plan is known to be eligible; {who} {verb} {plan}",
                s.vendor
            ),
        }
    }

    fn eligible_options(vendor: &Vendor) -> Vec<String> {
        let mut options: Vec<String> = vendor
            .plans
            .iter()
            .filter(|p| p.baa_eligible == Eligibility::Eligible)
            .map(|p| p.name.clone())
            .collect();
        for a in &vendor.add_ons {
            for p in &a.makes_eligible {
                if vendor.plan(p).is_some_and(|x| x.baa_eligible != Eligibility::Eligible) {
                    options.push(format!("{} with {}", vendor.plan_name(p), a.name));
                }
            }
        }
        options
    }

    fn plan_step(&self, s: &'w Service, vendor: Option<&'w Vendor>) -> String {
        let mut step = format!("{}.", self.terms_sentence(s, vendor));
        match vendor.map(|v| (v, Self::eligible_options(v))) {
            Some((v, options)) if !options.is_empty() => {
                step.push_str(&format!(
                    " Move {} to {} or keep PHI out of it.",
                    s.name,
                    options.join(" or ")
                ));
                let config: Vec<&str> = v
                    .required_configuration
                    .iter()
                    .chain(v.add_ons.iter().flat_map(|a| a.required_configuration.iter()))
                    .map(String::as_str)
                    .collect();
                if !config.is_empty() {
                    step.push_str(&format!(" {} also requires: {}.", v.name, config.join(", ")));
                }
            }
            _ => step.push_str(&format!(
                " Ask {} whether {} is BAA-eligible and record the answer in the catalog, or keep \
                 PHI out of {}.",
                self.vendor_name(&s.vendor),
                self.plan_phrase(s, vendor),
                s.name
            )),
        }
        step
    }

    fn uncovered_step(&self, s: &'w Service, vendor: Option<&'w Vendor>) -> String {
        let vendor_name = self.vendor_name(&s.vendor);
        let plan = vendor.map_or(s.plan.as_str(), |v| v.plan_name(&s.plan));
        let eligible = match vendor {
            Some(v) => v.eligibility(&s.plan, &s.add_ons) != Eligibility::NotEligible,
            None => false,
        };
        let mut step = if eligible || s.vendor == FLY {
            format!(
                "Sign a BAA with {vendor_name} covering {} on the {plan} plan",
                self.product_name(s, vendor)
            )
        } else {
            format!("{}; sign a BAA with {vendor_name} on an eligible plan", self.terms_sentence(s, vendor))
        };
        if matches!(s.provisioning, ServiceProvisioning::Platform { .. }) && s.vendor != FLY {
            step.push_str(&format!(", or have Fly.io extend its BAA to {vendor_name} extensions"));
        }
        step.push_str(&format!(", or record why {} handles no PHI.", s.name));
        step
    }
}

fn status_text(status: Status) -> &'static str {
    match status {
        Status::Draft => "a draft",
        Status::Sent => "sent, not signed",
        Status::InNegotiation => "in negotiation",
        Status::Signed => "signed",
        Status::Terminated => "terminated",
        Status::Superseded => "superseded",
    }
}

/// "a, b, c and 4 more".
fn listing<S: AsRef<str>>(items: &[S]) -> String {
    let shown: Vec<&str> = items.iter().take(LIST_LIMIT).map(AsRef::as_ref).collect();
    let mut text = shown.join(", ");
    if items.len() > LIST_LIMIT {
        text.push_str(&format!(" and {} more", items.len() - LIST_LIMIT));
    }
    text
}

fn service_subject(s: &Service) -> Subject {
    Subject { kind: SubjectKind::Service, id: s.id.clone(), name: s.name.clone() }
}

/// Findings gathered during one evaluation.
#[derive(Default)]
struct Collector<'w> {
    findings: Vec<Finding>,
    /// Expired agreements that chains still rely on, with the services relying on them.
    expired_users: BTreeMap<usize, Vec<&'w str>>,
}

impl<'w> Collector<'w> {
    fn push(&mut self, rule: RuleId, subject: Subject, explanation: String, next_step: String) {
        self.findings.push(Finding { rule, severity: rule.severity(), subject, explanation, next_step });
    }

    fn phi_unknown(&mut self, ix: &Index<'w>, s: &Service, phi: &Phi) {
        let said = match phi {
            Phi::Unknown => "nobody has recorded whether it handles PHI",
            Phi::No { .. } => "it is marked as handling no PHI but no reason is recorded",
            Phi::Yes => return,
        };
        self.push(
            RuleId::PhiUnknown,
            service_subject(s),
            format!("{} ({}): {said}, so it is treated as handling PHI.", s.name, ix.product_label(s)),
            if s.apps.is_empty() {
                format!("Record whether {} handles PHI, with the reason if it does not.", s.name)
            } else {
                format!(
                    "Record whether {} (used by {}) handles PHI, with the reason if it does not.",
                    s.name,
                    listing(&s.apps)
                )
            },
        );
    }

    fn environment(&mut self, ix: &Index<'w>, s: &Service, orgs: &[&str]) {
        let outside: Vec<String> = orgs
            .iter()
            .filter_map(|o| ix.orgs.get(o))
            .filter(|o| o.environment != Environment::Production)
            .map(|o| format!("{} ({})", o.slug, env_text(o.environment)))
            .collect();
        if outside.is_empty() {
            return;
        }
        self.push(
            RuleId::EnvironmentMixed,
            service_subject(s),
            format!(
                "{} may handle PHI but lives in or is used from non-production org {}.",
                s.name,
                outside.join(", ")
            ),
            format!(
                "Use synthetic data in {} or move it to the production org; if it holds no PHI, \
                 record that with the reason.",
                s.name
            ),
        );
    }

    fn regions(&mut self, ix: &Index<'w>, s: &Service, policy: &Policy) {
        let allowed = |region: &str, org: Option<&str>| {
            let policy_ok =
                policy.allowed_regions.is_empty() || policy.allowed_regions.iter().any(|r| r == region);
            let org_ok = org
                .and_then(|o| ix.orgs.get(o))
                .and_then(|o| o.allowed_regions.as_ref())
                .is_none_or(|list| list.iter().any(|r| r == region));
            policy_ok && org_ok
        };
        let home = match &s.provisioning {
            ServiceProvisioning::Platform { org } => Some(org.as_str()),
            ServiceProvisioning::Direct => None,
        };
        let mut bad: BTreeSet<&str> = BTreeSet::new();
        for r in &s.regions {
            if !allowed(r, home) {
                bad.insert(r);
            }
        }
        for app in s.apps.iter().filter_map(|a| ix.apps.get(a.as_str())) {
            for r in &app.regions {
                if !allowed(r, Some(&app.org)) {
                    bad.insert(r);
                }
            }
        }
        if bad.is_empty() {
            return;
        }
        let bad: Vec<&str> = bad.into_iter().collect();
        let allowed_text = if policy.allowed_regions.is_empty() {
            "the org's allowed regions".to_owned()
        } else {
            policy.allowed_regions.join(", ")
        };
        self.push(
            RuleId::RegionOutsidePolicy,
            service_subject(s),
            format!(
                "{} may handle PHI and runs in {} (itself or through {}), outside the allowed regions.",
                s.name,
                bad.join(", "),
                if s.apps.is_empty() { "no app".to_owned() } else { listing(&s.apps) }
            ),
            format!(
                "Move {} and the apps using it out of {} into {allowed_text}, or change the policy.",
                s.name,
                bad.join(", ")
            ),
        );
    }

    fn expired(&mut self, ix: &Index<'w>) {
        let users = std::mem::take(&mut self.expired_users);
        for (i, mut names) in users {
            names.sort_unstable();
            names.dedup();
            let a = ix.agreement(i);
            let other = if ix.is_ours(a) {
                ix.party_name(a.other(&ix.world.us))
            } else {
                ix.party_name(&a.parties[1])
            };
            let expiry = a.expiry.map_or_else(String::new, |d| d.to_string());
            self.push(
                RuleId::AgreementExpired,
                agreement_subject(ix, i),
                format!(
                    "{} expired on {expiry} and was not renewed; {} relies on it.",
                    ix.agreement_name(i),
                    listing(&names)
                ),
                format!(
                    "Renew {} with {other} and record the new agreement; until then keep PHI out of {}.",
                    ix.agreement_name(i),
                    listing(&names)
                ),
            );
        }
    }

    fn orgs(&mut self, ix: &Index<'w>, phi_orgs: &FastSet<&str>) {
        for org in &ix.world.orgs {
            if !phi_orgs.contains(org.slug.as_str()) || ix.org_eligible(org) {
                continue;
            }
            let terms =
                ix.catalog.get(FLY).map_or("publishes no BAA terms in the catalog", |v| v.baa_terms.as_str());
            self.push(
                RuleId::PlatformPlanIneligible,
                Subject { kind: SubjectKind::Org, id: org.slug.clone(), name: org.name.clone() },
                format!(
                    "Fly org {} hosts services that may handle PHI, but its plan {} does not include \
                     a BAA, so every chain through Fly.io in it fails.",
                    org.slug,
                    ix.fly_plan_name(org)
                ),
                format!(
                    "Fly.io {terms}; org {} is on {}. Add the Compliance Package to {}.",
                    org.slug,
                    ix.fly_plan_name(org),
                    org.slug
                ),
            );
        }
    }

    fn apps(&mut self, ix: &Index<'w>) {
        for app in &ix.world.apps {
            let env = app.environment();
            let Some(org) = ix.orgs.get(app.org.as_str()) else {
                continue;
            };
            if org.environment != Environment::Production || env == Environment::Production {
                continue;
            }
            self.push(
                RuleId::EnvironmentMixed,
                Subject { kind: SubjectKind::App, id: app.name.clone(), name: app.name.clone() },
                format!("{} app {} runs in production org {}.", env_text(env), app.name, org.slug),
                format!(
                    "Move {} to a separate {} org so production stays isolated.",
                    app.name,
                    env_text(env)
                ),
            );
        }
    }

    fn customers(&mut self, ix: &Index<'w>) {
        let us = ix.world.us.as_str();
        for p in &ix.world.parties {
            if !matches!(p.role, Role::Customer { active: true, handles_phi: true }) {
                continue;
            }
            let link = ix.link(ix.pair_agreements(us, &p.id), |a| a.kind == AgreementKind::Baa);
            let why = match link {
                Link::Active(_) => continue,
                Link::Expired(i) => format!(
                    "{} expired on {}",
                    ix.agreement_name(i),
                    ix.agreement(i).expiry.map_or_else(String::new, |d| d.to_string())
                ),
                Link::Absent(others) => ix.absent_text("BAA", &others),
            };
            self.push(
                RuleId::CustomerUncovered,
                Subject { kind: SubjectKind::Customer, id: p.id.clone(), name: p.name.clone() },
                format!("We handle PHI of active customer {} without a signed BAA: {why}.", p.name),
                format!(
                    "Sign a BAA between {} and {} (or renew it) before handling more of its PHI.",
                    p.name,
                    ix.party_name(us)
                ),
            );
        }
    }

    /// Walks from the vendors that see PHI down their listed subcontractors.
    fn downstream(&mut self, ix: &Index<'w>, in_use: FastSet<&str>) {
        let mut queue: Vec<&str> = in_use.into_iter().collect();
        let mut seen: FastSet<&str> = queue.iter().copied().collect();
        while let Some(id) = queue.pop() {
            let Some(party) = ix.parties.get(id) else {
                continue;
            };
            let mut missing = Vec::new();
            for sub in party.role.subcontractors() {
                let link = ix.link(ix.pair_agreements(id, sub), |_| true);
                match link {
                    Link::Active(_) => {}
                    Link::Expired(i) => missing.push(format!(
                        "{} (BAA expired {})",
                        ix.party_name(sub),
                        ix.agreement(i).expiry.map_or_else(String::new, |d| d.to_string())
                    )),
                    Link::Absent(_) => missing.push(ix.party_name(sub).to_owned()),
                }
                if seen.insert(sub.as_str()) {
                    queue.push(sub.as_str());
                }
            }
            if missing.is_empty() {
                continue;
            }
            self.push(
                RuleId::DownstreamUnverified,
                Subject { kind: SubjectKind::Vendor, id: party.id.clone(), name: party.name.clone() },
                format!(
                    "{} lists PHI subcontractors without a recorded active BAA: {}.",
                    party.name,
                    listing(&missing)
                ),
                format!("Ask {} for its BAAs with {} and record them.", party.name, listing(&missing)),
            );
        }
    }

    /// Per-agreement rules; returns the expiring list.
    fn agreements(&mut self, ix: &Index<'w>, policy: &Policy) -> Vec<Expiring> {
        let mut expiring = Vec::new();
        let max_window = policy.reminder_windows.iter().copied().max();
        for (i, a) in ix.world.agreements.iter().enumerate() {
            let ours = ix.is_ours(a);
            let other = ix.party_name(if ours { a.other(&ix.world.us) } else { &a.parties[1] });
            let signed = a.status_on(ix.as_of) == Some(Status::Signed);
            if ours && signed && !a.has_executed_document {
                self.push(
                    RuleId::DocumentMissing,
                    agreement_subject(ix, i),
                    format!(
                        "{} with {other} is marked signed but no executed document is uploaded.",
                        ix.agreement_name(i)
                    ),
                    format!("Upload the executed copy of {} with {other}.", ix.agreement_name(i)),
                );
            }
            let missing: Vec<&str> =
                Clause::ALL.iter().filter(|c| !a.confirms(**c)).map(|c| c.label()).collect();
            if ours && signed && !missing.is_empty() {
                self.push(
                    RuleId::ClausesIncomplete,
                    agreement_subject(ix, i),
                    format!(
                        "{} with {other} has unconfirmed required clauses: {}.",
                        ix.agreement_name(i),
                        missing.join(", ")
                    ),
                    format!(
                        "Check {} for {} and confirm them, or ask {other} for an amendment.",
                        ix.agreement_name(i),
                        missing.join(", ")
                    ),
                );
            }
            let (Standing::Active, Some(expiry), Some(max)) = (ix.standing[i], a.expiry, max_window) else {
                continue;
            };
            let days_left = (expiry - ix.as_of).num_days();
            if days_left > i64::from(max) {
                continue;
            }
            let window = policy
                .reminder_windows
                .iter()
                .copied()
                .filter(|w| i64::from(*w) >= days_left)
                .min()
                .unwrap_or(max);
            self.push(
                RuleId::AgreementExpiring,
                agreement_subject(ix, i),
                format!(
                    "{} with {other} expires on {expiry}, in {days_left} days (the {window}-day \
                     reminder).",
                    ix.agreement_name(i)
                ),
                format!("Start renewing {} with {other} before {expiry}.", ix.agreement_name(i)),
            );
            expiring.push(Expiring {
                agreement: a.id.clone(),
                name: ix.agreement_name(i).to_owned(),
                expiry,
                days_left,
                window,
            });
        }
        expiring.sort_by(|x, y| (x.days_left, &x.agreement).cmp(&(y.days_left, &y.agreement)));
        expiring
    }
}

fn agreement_subject(ix: &Index<'_>, i: usize) -> Subject {
    Subject {
        kind: SubjectKind::Agreement,
        id: ix.agreement(i).id.clone(),
        name: ix.agreement_name(i).to_owned(),
    }
}

fn env_text(env: Environment) -> &'static str {
    match env {
        Environment::Production => "production",
        Environment::Staging => "staging",
        Environment::Development => "development",
    }
}
