//! Properties of the coverage engine over random small worlds.
//!
//! What is claimed, precisely:
//! 1. Evaluation is deterministic, and does not depend on the order of the agreement list.
//! 2. A service whose `created_on` is after the as-of date changes nothing: the report is the same
//!    as without it (so it is never reported).
//! 3. Adding a complete (every clause confirmed, document uploaded), active, non-expiring BAA between
//!    us and a vendor never makes a covered service uncovered, and the only findings it can add are
//!    `plan-ineligible` for services of that vendor (a BAA now exists, but their plan is not
//!    eligible). "Never adds a finding" would be false for exactly that reason.
//! 4. Fail closed: turning a service's PHI status from yes to unknown adds exactly one finding,
//!    `phi-unknown` for that service, and changes nothing else.
//! 5. The summary agrees with the verdicts and findings, each finding carries its rule's severity,
//!    and every uncovered PHI service is explained by at least one critical finding.
#![expect(clippy::unwrap_used, reason = "tests fail loudly on bad fixtures")]

use std::collections::BTreeSet;

use baa_core::catalog::Catalog;
use baa_core::coverage::build::{agreement, app, baa, org, service, With, WorldBuilder};
use baa_core::coverage::{
    evaluate, AgreementKind, Clause, Environment, Phi, Policy, Report, RuleId, Scope, ServiceProvisioning,
    Severity, Status, StatusChange, SubjectKind, Verdict, World,
};
use chrono::{Days, NaiveDate};
use proptest::prelude::*;

fn epoch() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 1, 1).unwrap()
}

fn day(offset: u32) -> NaiveDate {
    // Offsets span about two years centred on the epoch.
    let offset = i64::from(offset % 730) - 365;
    if offset >= 0 {
        epoch().checked_add_days(Days::new(offset.unsigned_abs())).unwrap()
    } else {
        epoch().checked_sub_days(Days::new(offset.unsigned_abs())).unwrap()
    }
}

/// Reads choices from a list of random numbers, so proptest drives the whole world.
struct Seeds<'a>(std::slice::Iter<'a, u32>);

impl Seeds<'_> {
    fn n(&mut self, m: u32) -> u32 {
        self.0.next().copied().unwrap_or(0) % m.max(1)
    }
    fn chance(&mut self, percent: u32) -> bool {
        self.n(100) < percent
    }
    fn pick<'b, T>(&mut self, items: &'b [T]) -> &'b T {
        let len = u32::try_from(items.len()).unwrap();
        &items[usize::try_from(self.n(len)).unwrap()]
    }
}

const VENDORS: [&str; 6] = ["fly", "sentry", "supabase", "upstash-redis", "tigris", "arcjet"];
const REGIONS: [&str; 4] = ["iad", "ord", "fra", "syd"];
const ORGS: [&str; 2] = ["acme-prod", "acme-staging"];
const APPS: [&str; 3] = ["acme-api", "acme-worker", "acme-api-staging"];

fn generate(seeds: &[u32]) -> (World, NaiveDate, Policy) {
    let catalog = Catalog::bundled().unwrap();
    let mut s = Seeds(seeds.iter());
    let mut b = WorldBuilder::new(catalog.clone());
    for v in VENDORS {
        if s.chance(85) {
            let subs: &[&str] = if s.chance(30) { &["sub-a"] } else { &[] };
            b = b.vendor(v, subs);
        }
    }
    b = b.subcontractor("sub-a", &[]);
    for i in 0..2 {
        if s.chance(60) {
            b = b.customer(&format!("clinic-{i}"), s.chance(80), s.chance(80));
        }
    }
    for (i, slug) in ORGS.iter().enumerate() {
        let env = if i == 0 { Environment::Production } else { Environment::Staging };
        let plan = *s.pick(&["pay-as-you-go", "launch", "scale", "enterprise"]);
        let mut o = org(slug, env, plan);
        if s.chance(40) {
            o.packages = vec!["compliance-package".into()];
        }
        if s.chance(20) {
            o.allowed_regions = Some(vec![(*s.pick(&REGIONS)).to_owned()]);
        }
        b = b.org(o);
    }
    for name in APPS {
        let o = *s.pick(&ORGS);
        let region = *s.pick(&REGIONS);
        b = b.app(app(name, o, &[region]));
    }
    let services = s.n(6);
    for i in 0..services {
        let vendor = *s.pick(&VENDORS);
        let v = catalog.vendor(vendor).unwrap();
        let plan = s.pick(&v.plans).slug.clone();
        let product = s.pick(&v.products).slug.clone();
        let mut svc = service(&format!("svc-{i}"), vendor, &product, &plan, day(s.n(730)));
        if !v.add_ons.is_empty() && s.chance(40) {
            svc.add_ons = vec![v.add_ons[0].slug.clone()];
        }
        svc.apps = vec![(*s.pick(&APPS)).to_owned()];
        svc.regions = vec![(*s.pick(&REGIONS)).to_owned()];
        if vendor == "fly" || s.chance(50) {
            svc.provisioning = ServiceProvisioning::Platform { org: (*s.pick(&ORGS)).to_owned() };
        }
        svc.phi = match s.n(5) {
            0 => Phi::Unknown,
            1 => Phi::No { reason: "scrubbed".into() },
            2 => Phi::No { reason: String::new() },
            _ => Phi::Yes,
        };
        if s.chance(15) {
            svc.removed_on = Some(day(s.n(730)));
        }
        b = b.service(svc);
    }
    let agreements = s.n(8);
    for i in 0..agreements {
        let id = format!("agr-{i}");
        let signed = day(s.n(730));
        let mut a = match s.n(4) {
            0 | 1 => {
                let other = *s.pick::<&str>(&VENDORS);
                baa(&id, other, signed)
            }
            2 => {
                let vendor = *s.pick(&VENDORS[1..]);
                agreement(
                    &id,
                    "fly",
                    vendor,
                    AgreementKind::PlatformAgreement { extends_to: vec![vendor.to_owned()] },
                    signed,
                )
            }
            _ => {
                let other = *s.pick::<&str>(&["clinic-0", "clinic-1", "sub-a"]);
                baa(&id, other, signed)
            }
        };
        if s.chance(30) {
            a.expiry = Some(day(s.n(730)));
        }
        if s.chance(15) {
            a.effective = Some(day(s.n(730)));
        }
        if s.chance(25) {
            let st = *s.pick(&[Status::Draft, Status::InNegotiation, Status::Terminated, Status::Superseded]);
            a.history.push(StatusChange { on: day(s.n(730)), status: st });
        }
        if s.chance(20) {
            a.has_executed_document = false;
        }
        if s.chance(20) {
            a.clauses.truncate(usize::try_from(s.n(12)).unwrap());
        }
        if s.chance(20) {
            a.scope = Scope::Limited {
                products: vec![],
                plans: vec![],
                regions: vec![(*s.pick(&REGIONS)).to_owned()],
            };
        }
        b = b.agreement(a);
    }
    let as_of = day(s.n(730));
    let policy = Policy {
        allowed_regions: if s.chance(50) { vec!["iad".into(), "ord".into()] } else { vec![] },
        reminder_windows: if s.chance(80) { vec![90, 60, 30, 7] } else { vec![14] },
    };
    (b.build(), as_of, policy)
}

fn keys(report: &Report) -> BTreeSet<(RuleId, SubjectKind, String)> {
    report.findings.iter().map(|f| (f.rule, f.subject.kind, f.subject.id.clone())).collect()
}

fn uncovered(report: &Report) -> BTreeSet<String> {
    report.services.iter().filter(|s| !s.verdict.is_covered()).map(|s| s.service.clone()).collect()
}

fn seeds() -> impl Strategy<Value = Vec<u32>> {
    proptest::collection::vec(any::<u32>(), 160)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    #[test]
    fn evaluation_is_deterministic_and_ignores_agreement_order(seeds in seeds()) {
        let (world, as_of, policy) = generate(&seeds);
        let first = evaluate(&world, as_of, &policy);
        prop_assert_eq!(&first, &evaluate(&world, as_of, &policy));
        let reversed = world.clone().with(|w| w.agreements.reverse());
        prop_assert_eq!(&first, &evaluate(&reversed, as_of, &policy));
    }

    #[test]
    fn a_service_that_does_not_exist_yet_changes_nothing(seeds in seeds(), later in 1u64..400) {
        let (world, as_of, policy) = generate(&seeds);
        let future = service("future", "sentry", "errors", "team", as_of.checked_add_days(Days::new(later)).unwrap())
            .with(|s| s.apps = vec!["acme-api".into()]);
        let with_future = world.clone().with(|w| w.services.push(future));
        prop_assert_eq!(evaluate(&world, as_of, &policy), evaluate(&with_future, as_of, &policy));
    }

    #[test]
    fn adding_a_complete_active_baa_only_ever_adds_plan_ineligible_for_that_vendor(
        seeds in seeds(),
        vendor in prop::sample::select(VENDORS.to_vec()),
    ) {
        let (world, as_of, policy) = generate(&seeds);
        prop_assume!(world.parties.iter().any(|p| p.id == vendor));
        let before = evaluate(&world, as_of, &policy);
        let signed = as_of.checked_sub_days(Days::new(1)).unwrap();
        let added = baa("new-baa", vendor, signed).with(|a| {
            a.clauses = Clause::ALL.to_vec();
            a.has_executed_document = true;
        });
        let after = evaluate(&world.clone().with(|w| w.agreements.push(added)), as_of, &policy);
        prop_assert!(uncovered(&after).is_subset(&uncovered(&before)));
        let old = keys(&before);
        for (rule, kind, id) in keys(&after).difference(&old) {
            prop_assert_eq!(*rule, RuleId::PlanIneligible, "added {:?} {}", kind, id);
            let svc = world.services.iter().find(|s| s.id == *id).unwrap();
            prop_assert_eq!(&svc.vendor, vendor);
        }
    }

    #[test]
    fn unknown_phi_adds_exactly_phi_unknown(seeds in seeds()) {
        let (world, as_of, policy) = generate(&seeds);
        for (i, s) in world.services.iter().enumerate() {
            if s.phi != Phi::Yes || !s.exists_on(as_of) {
                continue;
            }
            let before = keys(&evaluate(&world, as_of, &policy));
            let changed = world.clone().with(|w| w.services[i].phi = Phi::Unknown);
            let mut after = keys(&evaluate(&changed, as_of, &policy));
            prop_assert!(after.remove(&(RuleId::PhiUnknown, SubjectKind::Service, s.id.clone())));
            prop_assert_eq!(after, before);
        }
    }

    #[test]
    fn summary_matches_verdicts_and_findings(seeds in seeds()) {
        let (world, as_of, policy) = generate(&seeds);
        let r = evaluate(&world, as_of, &policy);
        let s = &r.summary;
        prop_assert_eq!(s.services, r.services.len());
        prop_assert_eq!(s.services, s.phi_services + s.no_phi);
        prop_assert_eq!(s.phi_services, s.covered_phi + s.uncovered_phi);
        prop_assert_eq!(s.uncovered_phi, uncovered(&r).len());
        let total: usize = [Severity::Critical, Severity::High, Severity::Medium, Severity::Warning, Severity::Low]
            .iter()
            .map(|sev| s.count(*sev))
            .sum();
        prop_assert_eq!(total, r.findings.len());
        for f in &r.findings {
            prop_assert_eq!(f.severity, f.rule.severity());
        }
        // One finding per rule and subject.
        prop_assert_eq!(keys(&r).len(), r.findings.len());
        for svc in r.services.iter().filter(|s| !s.verdict.is_covered()) {
            let explained = r.findings.iter().any(|f| {
                f.severity == Severity::Critical
                    && (f.subject.id == svc.service
                        || matches!(f.rule, RuleId::PlatformPlanIneligible | RuleId::AgreementExpired))
            });
            prop_assert!(explained, "{} is uncovered without a critical finding", svc.service);
            let is_phi = svc.phi;
            prop_assert!(is_phi);
        }
        for svc in &r.services {
            if let Verdict::Covered { chain } = &svc.verdict {
                prop_assert!(!chain.is_empty());
            }
        }
        // Nothing that does not exist on the day is reported.
        for svc in &r.services {
            let s = world.services.iter().find(|s| s.id == svc.service).unwrap();
            prop_assert!(s.exists_on(as_of));
        }
    }
}
