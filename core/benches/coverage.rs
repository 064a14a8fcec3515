//! One evaluation of generated worlds of 1k, 10k and 100k services, each with 10,000 agreements
//! and chains four agreements deep (us -> Fly.io -> vendor -> subcontractor -> its subcontractor).
//! Target: 100k services under 100 ms, growing linearly. Figures go to docs/benchmarks.md.
#![expect(clippy::unwrap_used, reason = "benchmark fixtures fail loudly")]

use std::hint::black_box;

use baa_core::catalog::{Catalog, Eligibility, PartialDate, Plan, Product, Provisioning, Source, Vendor};
use baa_core::coverage::build::{
    agreement, app, baa, org, platform_agreement, service, subcontractor_baa, WorldBuilder,
};
use baa_core::coverage::{
    evaluate, Agreement, AgreementKind, Environment, Phi, Policy, ServiceProvisioning, Status, StatusChange,
    World,
};
use chrono::{Days, NaiveDate};
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};

/// Extension vendors in the generated catalog.
const VENDORS: usize = 500;
/// Subcontractors per vendor, and sub-subcontractors per subcontractor.
const SUBS: usize = 4;
const SUB_SUBS: usize = 2;
/// Customers with BAAs.
const CUSTOMERS: usize = 3_000;
/// Total agreements in every world.
const AGREEMENTS: usize = 10_000;
const ORGS: usize = 50;

/// Small deterministic generator (xorshift), so the worlds are the same on every run.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        usize::try_from(self.0 % u64::try_from(n).unwrap()).unwrap()
    }
}

fn day(offset: u64) -> NaiveDate {
    NaiveDate::from_ymd_opt(2024, 1, 1).unwrap().checked_add_days(Days::new(offset)).unwrap()
}

fn catalog() -> Catalog {
    let mut catalog = Catalog::bundled().unwrap();
    let source =
        Source { name: "generated".into(), url: None, checked: PartialDate::parse("2026-11").unwrap() };
    for v in 0..VENDORS {
        catalog.vendors.push(Vendor {
            slug: format!("vendor-{v}"),
            name: format!("Vendor {v}"),
            category: "generated".into(),
            phi_likely: baa_core::catalog::PhiLikely::Yes,
            provisioning: Provisioning::Extension {
                platform: "fly".into(),
                command: format!("fly ext vendor-{v} create"),
            },
            baa_terms: "signs BAAs on Pro".into(),
            secret_names: Vec::new(),
            products: vec![Product {
                slug: "db".into(),
                name: format!("Vendor {v} database"),
                baa_eligible: Eligibility::Eligible,
            }],
            plans: vec![
                Plan {
                    slug: "free".into(),
                    name: "Free".into(),
                    baa_eligible: Eligibility::NotEligible,
                    note: None,
                },
                Plan {
                    slug: "pro".into(),
                    name: "Pro".into(),
                    baa_eligible: Eligibility::Eligible,
                    note: None,
                },
            ],
            add_ons: vec![],
            required_configuration: vec![],
            removed: None,
            provisioning_closed: None,
            source: source.clone(),
        });
    }
    catalog
}

fn world(services: usize) -> World {
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let mut b = WorldBuilder::new(catalog()).vendor("fly", &[]);
    let mut agreements = 0;
    b = add(&mut agreements, b, baa("fly-baa", "fly", day(0)));
    for v in 0..VENDORS {
        let subs: Vec<String> = (0..SUBS).map(|s| format!("sub-{v}-{s}")).collect();
        let sub_refs: Vec<&str> = subs.iter().map(String::as_str).collect();
        b = b.vendor(&format!("vendor-{v}"), &sub_refs);
        for (s, sub) in subs.iter().enumerate() {
            let subsubs: Vec<String> = (0..SUB_SUBS).map(|x| format!("subsub-{v}-{s}-{x}")).collect();
            let subsub_refs: Vec<&str> = subsubs.iter().map(String::as_str).collect();
            b = b.subcontractor(sub, &subsub_refs);
            b = add(
                &mut agreements,
                b,
                subcontractor_baa(&format!("sc-{v}-{s}"), &format!("vendor-{v}"), sub, day(10)),
            );
            for subsub in &subsubs {
                b = b.subcontractor(subsub, &[]);
                // One in ten downstream links is missing, so the walk has findings to make.
                if rng.below(10) != 0 {
                    b = add(
                        &mut agreements,
                        b,
                        subcontractor_baa(&format!("ssc-{subsub}"), sub, subsub, day(20)),
                    );
                }
            }
        }
        let vendor = format!("vendor-{v}");
        b = if v % 2 == 0 {
            add(
                &mut agreements,
                b,
                platform_agreement(&format!("pa-{v}"), "fly", &vendor, &[&vendor], day(5)),
            )
        } else {
            let expiry = day(1_000 + u64::try_from(rng.below(700)).unwrap());
            add(&mut agreements, b, baa(&format!("baa-{v}"), &vendor, day(5)).with_expiry(expiry))
        };
    }
    for c in 0..CUSTOMERS {
        let id = format!("clinic-{c}");
        b = b.customer(&id, true, true);
        b = add(&mut agreements, b, baa(&format!("cbaa-{c}"), &id, day(30)));
    }
    // Fill up to 10,000 with history: terminated and superseded agreements.
    let mut h = 0;
    while agreements < AGREEMENTS {
        let vendor = format!("vendor-{}", rng.below(VENDORS));
        let mut a = agreement(&format!("old-{h}"), "us", &vendor, AgreementKind::Baa, day(0));
        a.history.push(StatusChange {
            on: day(3),
            status: if h % 2 == 0 { Status::Terminated } else { Status::Superseded },
        });
        b = add(&mut agreements, b, a);
        h += 1;
    }
    for o in 0..ORGS {
        let plan = if o % 10 == 9 { "launch" } else { "scale" };
        let env = if o % 5 == 4 { Environment::Staging } else { Environment::Production };
        b = b.org(org(&format!("org-{o}"), env, plan));
    }
    let apps = (services / 10).max(1);
    for a in 0..apps {
        b = b.app(app(&format!("app-{a}"), &format!("org-{}", a % ORGS), &["iad"]));
    }
    for s in 0..services {
        let v = rng.below(VENDORS);
        let a = rng.below(apps);
        let plan = if rng.below(5) == 0 { "free" } else { "pro" };
        let mut svc = service(&format!("svc-{s}"), &format!("vendor-{v}"), "db", plan, day(40));
        svc.apps = vec![format!("app-{a}")];
        svc.regions = vec!["iad".into()];
        svc.provisioning = ServiceProvisioning::Platform { org: format!("org-{}", a % ORGS) };
        svc.phi = match rng.below(20) {
            0 => Phi::Unknown,
            1 => Phi::no("metrics only"),
            _ => Phi::Yes,
        };
        b = b.service(svc);
    }
    let w = b.build();
    assert_eq!(w.agreements.len(), AGREEMENTS);
    w
}

fn add(count: &mut usize, b: WorldBuilder, a: Agreement) -> WorldBuilder {
    *count += 1;
    b.agreement(a)
}

trait WithExpiry {
    fn with_expiry(self, expiry: NaiveDate) -> Self;
}

impl WithExpiry for Agreement {
    fn with_expiry(mut self, expiry: NaiveDate) -> Self {
        self.expiry = Some(expiry);
        self
    }
}

fn bench(c: &mut Criterion) {
    let as_of = NaiveDate::from_ymd_opt(2026, 11, 22).unwrap();
    let policy = Policy { allowed_regions: vec!["iad".into(), "ord".into()], ..Policy::default() };
    let mut group = c.benchmark_group("evaluate");
    group.sample_size(10);
    for n in [1_000, 10_000, 100_000] {
        let w = world(n);
        let report = evaluate(&w, as_of, &policy);
        eprintln!(
            "{n} services: {} findings, {} uncovered PHI services, {} expiring",
            report.findings.len(),
            report.summary.uncovered_phi,
            report.deadlines.len()
        );
        group.throughput(Throughput::Elements(u64::try_from(n).unwrap()));
        group.bench_with_input(BenchmarkId::from_parameter(n), &w, |b, w| {
            b.iter(|| evaluate(black_box(w), black_box(as_of), black_box(&policy)));
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
