//! The coverage rules as a table: each row is a small world and the exact set of
//! (rule id, subject id) findings it must produce on its as-of date.
#![expect(clippy::unwrap_used, reason = "tests fail loudly on bad fixtures")]

mod actions;
mod rows;
mod verdicts;

use std::collections::BTreeSet;

use baa_core::catalog::{Catalog, CatalogError, Eligibility, Provisioning};
use baa_core::coverage::build::{
    app, baa, org, platform_agreement, service, subcontractor_baa, With, WorldBuilder, US,
};
use baa_core::coverage::{
    evaluate, Agreement, Attestation, Clause, Environment, Phi, Policy, RuleId, Scope, Service,
    ServiceProvisioning, Severity, Status, StatusChange, Verdict, World,
};
use chrono::{Days, NaiveDate};

fn d(text: &str) -> NaiveDate {
    NaiveDate::parse_from_str(text, "%Y-%m-%d").unwrap()
}

/// The default as-of date of every row.
fn today() -> NaiveDate {
    d("2026-11-22")
}

fn plus(days: u64) -> NaiveDate {
    today().checked_add_days(Days::new(days)).unwrap()
}

fn minus(days: u64) -> NaiveDate {
    today().checked_sub_days(Days::new(days)).unwrap()
}

fn catalog() -> Catalog {
    Catalog::bundled().unwrap()
}

/// A clean world: a production org on the legacy Scale plan, one app, Fly Postgres holding PHI,
/// and our complete BAA with Fly.io.
fn base() -> WorldBuilder {
    base_with_fly_subcontractors(&[])
}

/// The base world where Fly.io lists its own PHI subcontractors.
fn base_with_fly_subcontractors(subs: &[&str]) -> WorldBuilder {
    WorldBuilder::new(catalog())
        .vendor("fly", subs)
        .org(org("acme-prod", Environment::Production, "scale"))
        .app(app("acme-api", "acme-prod", &["iad"]))
        .service(fly_db())
        .agreement(baa("fly-baa", "fly", d("2026-01-01")))
}

fn fly_db() -> Service {
    service("db", "fly", "postgres", "scale", d("2026-01-01")).with(|s| {
        s.provisioning = platform("acme-prod");
        s.apps = vec!["acme-api".into()];
        s.regions = vec!["iad".into()];
    })
}

fn platform(org: &str) -> ServiceProvisioning {
    ServiceProvisioning::Platform { org: org.into() }
}

/// Sentry error monitoring used by acme-api, provisioned directly, with the configuration
/// Sentry requires (data scrubbing) confirmed.
fn sentry(plan: &str) -> Service {
    attested(
        service("errors", "sentry", "errors", plan, d("2026-02-01"))
            .with(|s| s.apps = vec!["acme-api".into()]),
    )
}

/// The service with every configuration its vendor requires confirmed, reviewed in a year.
fn attested(mut s: Service) -> Service {
    let catalog = catalog();
    let items: Vec<String> = catalog
        .vendor(&s.vendor)
        .map(|v| v.required_configuration_for(&s.add_ons).into_iter().map(str::to_owned).collect())
        .unwrap_or_default();
    s.attestations = items
        .into_iter()
        .map(|item| Attestation {
            item,
            confirmed_by: "priya".into(),
            confirmed_on: d("2026-01-01"),
            review_on: plus(365),
            note: String::new(),
        })
        .collect();
    s
}

/// Sentry provisioned as a Fly extension in acme-prod.
fn sentry_ext(plan: &str) -> Service {
    sentry(plan).with(|s| s.provisioning = platform("acme-prod"))
}

fn status(on: NaiveDate, status: Status) -> StatusChange {
    StatusChange { on, status }
}

fn replace_agreement(world: World, id: &str, f: impl FnOnce(&mut Agreement)) -> World {
    world.with(|w| {
        let a = w.agreements.iter_mut().find(|a| a.id == id).unwrap();
        f(a);
    })
}

fn fly_baa(f: impl FnOnce(&mut Agreement)) -> World {
    replace_agreement(base().build(), "fly-baa", f)
}

struct Case {
    name: &'static str,
    world: World,
    as_of: NaiveDate,
    policy: Policy,
    expect: Vec<(&'static str, &'static str)>,
}

fn case(name: &'static str, world: World, expect: &[(&'static str, &'static str)]) -> Case {
    Case { name, world, as_of: today(), policy: Policy::default(), expect: expect.to_vec() }
}

impl Case {
    fn on(mut self, as_of: NaiveDate) -> Self {
        self.as_of = as_of;
        self
    }

    fn policy(mut self, policy: Policy) -> Self {
        self.policy = policy;
        self
    }
}

fn regions_policy(regions: &[&str]) -> Policy {
    Policy { allowed_regions: regions.iter().map(|r| (*r).to_owned()).collect(), ..Policy::default() }
}

/// Every row of the table: the rules as first built, then the verdict rules added since.
fn cases() -> Vec<Case> {
    let mut all = rows::cases();
    all.extend(verdicts::cases());
    all
}

fn found(case: &Case) -> BTreeSet<(String, String)> {
    evaluate(&case.world, case.as_of, &case.policy)
        .findings
        .into_iter()
        .map(|f| (f.rule.as_str().to_owned(), f.subject.id))
        .collect()
}

#[test]
fn every_row_produces_exactly_its_findings() {
    let mut failures = Vec::new();
    let cases = cases();
    for case in &cases {
        let want: BTreeSet<(String, String)> =
            case.expect.iter().map(|(r, s)| ((*r).to_owned(), (*s).to_owned())).collect();
        let got = found(case);
        if got != want {
            failures.push(format!("{}:\n  want {want:?}\n  got  {got:?}", case.name));
        }
    }
    assert!(failures.is_empty(), "{} rows failed:\n{}", failures.len(), failures.join("\n"));
    println!("{} rows passed", cases.len());
}

#[test]
fn every_rule_fires_in_some_row_and_is_silent_in_others() {
    let cases = cases();
    for rule in RuleId::ALL {
        let fires = cases.iter().any(|c| c.expect.iter().any(|(r, _)| *r == rule.as_str()));
        let silent = cases.iter().any(|c| c.expect.iter().all(|(r, _)| *r != rule.as_str()));
        assert!(fires && silent, "{rule} needs a row where it fires and one where it does not");
    }
}

#[test]
fn platform_chain_names_both_agreements() {
    let world = base()
        .vendor("sentry", &[])
        .service(sentry_ext("business"))
        .agreement(platform_agreement("fly-sentry", "fly", "sentry", &["sentry"], d("2026-03-01")))
        .build();
    let report = evaluate(&world, today(), &Policy::default());
    let errors = report.services.iter().find(|s| s.service == "errors").unwrap();
    assert_eq!(errors.verdict, Verdict::Covered { chain: vec!["fly-baa".into(), "fly-sentry".into()] });
    let db = report.services.iter().find(|s| s.service == "db").unwrap();
    assert_eq!(db.verdict, Verdict::Covered { chain: vec!["fly-baa".into()] });
}

#[test]
fn plan_ineligible_next_step_names_vendor_terms_app_and_plan() {
    let world = base()
        .vendor("sentry", &[])
        .service(sentry("team"))
        .agreement(baa("sentry-baa", "sentry", d("2026-02-01")))
        .build();
    let report = evaluate(&world, today(), &Policy::default());
    let f = &report.findings[0];
    assert_eq!(f.rule, RuleId::PlanIneligible);
    assert!(
        f.next_step.starts_with("Sentry signs BAAs on Business plan or higher; acme-api uses Team."),
        "{}",
        f.next_step
    );
    assert!(f.next_step.contains("Business or Enterprise"), "{}", f.next_step);
}

#[test]
fn uncovered_extension_next_step_offers_both_fixes() {
    let world = base().vendor("sentry", &[]).service(sentry_ext("team")).build();
    let report = evaluate(&world, today(), &Policy::default());
    let f = &report.findings[0];
    assert_eq!(f.rule, RuleId::UncoveredService);
    assert!(f.next_step.contains("Sentry signs BAAs on Business plan or higher; acme-api uses Team"));
    assert!(f.next_step.contains("have Fly.io extend its BAA to Sentry extensions"));
    let Verdict::Uncovered { why } = &report.services[1].verdict else {
        panic!("expected uncovered");
    };
    assert!(why.contains("Fly.io agreement extending its BAA to Sentry"), "{why}");
}

#[test]
fn expiring_list_uses_the_smallest_containing_window() {
    let world = base()
        .vendor("sentry", &[])
        .agreement(baa("a90", "sentry", d("2026-01-01")).with(|a| a.expiry = Some(plus(61))))
        .agreement(baa("a60", "sentry", d("2026-01-01")).with(|a| a.expiry = Some(plus(60))))
        .agreement(baa("a7", "sentry", d("2026-01-01")).with(|a| a.expiry = Some(plus(7))))
        .agreement(baa("a0", "sentry", d("2026-01-01")).with(|a| a.expiry = Some(today())))
        .agreement(baa("far", "sentry", d("2026-01-01")).with(|a| a.expiry = Some(plus(200))))
        .build();
    let report = evaluate(&world, today(), &Policy::default());
    let got: Vec<(&str, i64, u32)> =
        report.deadlines.iter().map(|e| (e.agreement.as_str(), e.days_left, e.window)).collect();
    assert_eq!(got, vec![("a0", 0, 7), ("a7", 7, 7), ("a60", 60, 60), ("a90", 61, 90)]);
}

#[test]
fn summary_counts_services_and_findings() {
    let world = base()
        .vendor("sentry", &[])
        .service(sentry("team"))
        .service(sentry("business").with(|s| {
            s.id = "quiet".into();
            s.phi = Phi::no("scrubbed");
        }))
        .customer("clinic", true, true)
        .build();
    let report = evaluate(&world, today(), &Policy::default());
    let s = &report.summary;
    assert_eq!((s.services, s.phi_services, s.covered_phi, s.uncovered_phi, s.no_phi), (3, 2, 1, 1, 1));
    assert_eq!((s.critical, s.high, s.medium, s.warning, s.low), (2, 0, 0, 0, 0));
    assert_eq!(s.count(Severity::Critical), 2);
}

#[test]
fn findings_are_sorted_most_severe_first() {
    let world = fly_baa(|a| {
        a.has_executed_document = false;
        a.expiry = Some(plus(3));
    })
    .with(|w| w.services[0].phi = Phi::Unknown)
    .with(|w| w.apps.push(app("x-staging", "acme-prod", &[])));
    let report = evaluate(&world, today(), &Policy::default());
    let severities: Vec<Severity> = report.findings.iter().map(|f| f.severity).collect();
    let mut sorted = severities.clone();
    sorted.sort_by(|a, b| b.cmp(a));
    assert_eq!(severities, sorted);
    assert_eq!(severities.len(), 4);
}

#[test]
fn rule_ids_and_severities_serialize_as_in_the_domain_table() {
    let ids: Vec<String> =
        RuleId::ALL.iter().map(|r| serde_json::to_value(r).unwrap().as_str().unwrap().to_owned()).collect();
    assert_eq!(
        ids,
        [
            "uncovered-service",
            "plan-ineligible",
            "platform-plan-ineligible",
            "agreement-expired",
            "agreement-expiring",
            "document-missing",
            "clauses-incomplete",
            "customer-uncovered",
            "downstream-unverified",
            "environment-mixed",
            "region-outside-policy",
            "phi-unknown",
            "region-unknown",
            "configuration-unconfirmed",
            "agreement-ending",
            "renewal-notice-due",
        ]
    );
    let sev: Vec<Severity> = RuleId::ALL.iter().map(|r| r.severity()).collect();
    use Severity::{Critical as C, High as H, Low as L, Medium as M, Warning as W};
    assert_eq!(sev, [C, C, C, C, W, H, M, C, M, M, H, L, M, H, W, W]);
    // Fly Kubernetes is Fly.io's own product, not a vendor of its own.
    assert!(catalog().vendor("fly-kubernetes").is_none());
    assert!(catalog().vendor("fly").and_then(|v| v.product("kubernetes")).is_some());
    assert!(C > H && H > M && M > W && W > L);
    assert_eq!(serde_json::to_string(&Severity::Warning).unwrap(), "\"warning\"");
}

#[test]
fn world_and_report_round_trip_through_json() {
    let world = base().vendor("sentry", &[]).service(sentry_ext("team")).build();
    let text = serde_json::to_string(&world).unwrap();
    let back: World = serde_json::from_str(&text).unwrap();
    assert_eq!(back, world);
    let report = evaluate(&world, today(), &Policy::default());
    let json = serde_json::to_value(&report).unwrap();
    assert_eq!(json["findings"][0]["rule"], "uncovered-service");
    assert_eq!(json["services"][0]["verdict"]["verdict"], "covered");
}

#[test]
fn policy_defaults_to_the_domain_windows() {
    assert_eq!(Policy::default().reminder_windows, vec![90, 60, 30, 7]);
    let p: Policy = serde_json::from_str("{}").unwrap();
    assert_eq!(p, Policy::default());
}

#[test]
fn status_history_is_read_as_of_the_date() {
    let a = baa("x", "fly", d("2026-01-01")).with(|a| {
        a.history = vec![
            status(d("2025-11-01"), Status::Draft),
            status(d("2025-12-01"), Status::InNegotiation),
            status(d("2026-01-01"), Status::Signed),
            status(d("2026-06-01"), Status::Superseded),
        ]
    });
    assert_eq!(a.status_on(d("2025-10-31")), None);
    assert_eq!(a.status_on(d("2025-12-15")), Some(Status::InNegotiation));
    assert_eq!(a.status_on(d("2026-01-01")), Some(Status::Signed));
    assert_eq!(a.status_on(d("2026-06-01")), Some(Status::Superseded));
    assert_eq!(a.effective_from(), Some(d("2026-01-01")));
}

#[test]
fn app_environment_is_guessed_from_whole_words() {
    let env = |name: &str| app(name, "o", &[]).environment();
    assert_eq!(env("acme-api-staging"), Environment::Staging);
    assert_eq!(env("acme_stg_worker"), Environment::Staging);
    assert_eq!(env("acme-dev"), Environment::Development);
    assert_eq!(env("acme-devices"), Environment::Production);
    assert_eq!(env("acme-api"), Environment::Production);
}

// The catalog.

#[test]
fn bundled_catalog_has_every_vendor_of_the_domain_table() {
    let c = catalog();
    assert!(c.version >= 1);
    for slug in [
        "fly",
        "tigris",
        "upstash-redis",
        "upstash-vector",
        "sentry",
        "supabase",
        "arcjet",
        "wafris",
        "aws",
        "heroku",
        "aptible",
        "mysql",
        "upstash-kafka",
        "planetscale",
        "enveloop",
    ] {
        assert!(c.vendor(slug).is_some(), "missing {slug}");
    }
    let removed: Vec<(&str, &str)> = c
        .vendors
        .iter()
        .filter_map(|v| v.removed.as_ref().map(|r| (v.slug.as_str(), r.on.as_str())))
        .collect();
    assert_eq!(
        removed,
        [
            ("supabase", "2025-01-31"),
            ("mysql", "2026-07"),
            ("upstash-kafka", "2025-05"),
            ("planetscale", "2024-04"),
            ("enveloop", "2025"),
        ]
    );
    let sentry = c.vendor("sentry").unwrap();
    assert_eq!(sentry.eligibility("team", &[]), Eligibility::NotEligible);
    assert_eq!(sentry.eligibility("business", &[]), Eligibility::Eligible);
    let supabase = c.vendor("supabase").unwrap();
    assert_eq!(supabase.eligibility("team", &["hipaa".into()]), Eligibility::Eligible);
    assert_eq!(supabase.eligibility("pro", &["hipaa".into()]), Eligibility::NotEligible);
    assert_eq!(c.vendor("tigris").unwrap().eligibility("standard", &[]), Eligibility::OnRequest);
    assert_eq!(sentry.eligibility("nope", &[]), Eligibility::Unknown);
    assert!(matches!(
        &c.vendor("upstash-redis").unwrap().provisioning,
        Provisioning::Extension { command, .. } if command == "fly redis create"
    ));
    assert!(matches!(
        &c.vendor("tigris").unwrap().provisioning,
        Provisioning::Extension { command, .. } if command == "fly storage create"
    ));
    assert_eq!(c.vendor("aws").unwrap().provisioning, Provisioning::Direct);
}

#[test]
fn catalog_validation_rejects_inconsistent_files() {
    let base: serde_json::Value =
        serde_json::from_str(include_str!("../../../catalog/vendors.json")).unwrap();
    let check = |f: &dyn Fn(&mut serde_json::Value)| {
        let mut v = base.clone();
        f(&mut v);
        Catalog::from_json(&v.to_string())
    };
    assert!(check(&|_| {}).is_ok());
    assert!(matches!(
        check(&|v| {
            let first = v["vendors"][0].clone();
            v["vendors"].as_array_mut().unwrap().push(first);
        }),
        Err(CatalogError::DuplicateVendor(s)) if s == "fly"
    ));
    assert!(matches!(
        check(&|v| v["vendors"][0]["add_ons"][0]["makes_eligible"][0] = "gold".into()),
        Err(CatalogError::UnknownPlan { plan, .. }) if plan == "gold"
    ));
    assert!(matches!(
        check(&|v| v["vendors"][1]["provisioning"]["platform"] = "heroku".into()),
        Err(CatalogError::UnknownPlatform { .. })
    ));
    assert!(matches!(
        check(&|v| v["vendors"][4]["plans"][1]["slug"] = "developer".into()),
        Err(CatalogError::DuplicateItem { .. })
    ));
    assert!(matches!(check(&|v| v["version"] = 0.into()), Err(CatalogError::Version)));
    assert!(matches!(check(&|v| v["checked"] = "August".into()), Err(CatalogError::Json(_))));
    assert!(matches!(
        check(&|v| v["vendors"][2]["slug"] = "Upstash Redis".into()),
        Err(CatalogError::BadSlug(_))
    ));
    assert!(matches!(Catalog::from_json("{"), Err(CatalogError::Json(_))));
}

#[test]
fn us_is_the_default_party() {
    let w = base().build();
    assert_eq!(w.us, US);
}
