//! Auto-renewing agreements: they roll over at the end of each term and never expire, unless
//! terminated; agreements without auto-renewal expire the day after their expiry.
#![expect(clippy::unwrap_used, reason = "tests fail loudly on bad fixtures")]

use baa_core::catalog::Catalog;
use baa_core::coverage::build::{app, baa, org, service, With, WorldBuilder};
use baa_core::coverage::{
    evaluate, Environment, Policy, RuleId, ServiceProvisioning, Standing, Status, StatusChange, Verdict,
    World,
};
use chrono::NaiveDate;

fn d(text: &str) -> NaiveDate {
    NaiveDate::parse_from_str(text, "%Y-%m-%d").unwrap()
}

fn world(auto_renews: bool, terminated_on: Option<&str>) -> World {
    let mut fly = baa("fly-baa", "fly", d("2025-01-01"));
    fly.effective = Some(d("2025-01-01"));
    fly.expiry = Some(d("2025-12-31"));
    fly.auto_renews = auto_renews;
    fly.notice_days = Some(60);
    if let Some(t) = terminated_on {
        fly.history.push(StatusChange { on: d(t), status: Status::Terminated });
    }
    WorldBuilder::new(Catalog::bundled().unwrap())
        .vendor("fly", &[])
        .org(org("acme-prod", Environment::Production, "scale"))
        .app(app("acme-api", "acme-prod", &["iad"]))
        .service(service("db", "fly", "postgres", "scale", d("2025-01-01")).with(|s| {
            s.provisioning = ServiceProvisioning::Platform { org: "acme-prod".into() };
            s.apps = vec!["acme-api".into()];
        }))
        .agreement(fly)
        .build()
}

/// (name, auto renews, terminated on, as of, covered, rules that must fire, rules that must not).
type Row =
    (&'static str, bool, Option<&'static str>, &'static str, bool, &'static [RuleId], &'static [RuleId]);

#[test]
fn each_row_gives_its_standing_and_findings() {
    let rows: [Row; 6] = [
        ("fixed term, in force", false, None, "2025-06-01", true, &[], &[RuleId::AgreementExpired]),
        (
            "fixed term, last day",
            false,
            None,
            "2025-12-31",
            true,
            &[RuleId::AgreementExpiring],
            &[RuleId::AgreementExpired],
        ),
        ("fixed term, day after", false, None, "2026-01-01", false, &[RuleId::AgreementExpired], &[]),
        (
            "auto-renewing, day after the first term",
            true,
            None,
            "2026-01-01",
            true,
            &[],
            &[RuleId::AgreementExpired, RuleId::AgreementExpiring],
        ),
        (
            "auto-renewing, a year later",
            true,
            None,
            "2026-11-22",
            true,
            &[],
            &[RuleId::AgreementExpired, RuleId::AgreementExpiring],
        ),
        (
            "auto-renewing, then terminated",
            true,
            Some("2026-03-01"),
            "2026-11-22",
            false,
            &[RuleId::UncoveredService],
            &[RuleId::AgreementExpiring],
        ),
    ];
    for (name, auto, terminated, as_of, covered, fire, silent) in rows {
        let report = evaluate(&world(auto, terminated), d(as_of), &Policy::default());
        let db = report.services.iter().find(|s| s.service == "db").unwrap();
        assert_eq!(matches!(db.verdict, Verdict::Covered { .. }), covered, "{name}: {:?}", db.verdict);
        for r in fire {
            assert!(report.findings.iter().any(|f| f.rule == *r), "{name}: {r:?} should fire");
        }
        for r in silent {
            assert!(!report.findings.iter().any(|f| f.rule == *r), "{name}: {r:?} should stay silent");
        }
    }
}

#[test]
fn renewed_terms_follow_the_calendar() {
    let w = world(true, None);
    let a = &w.agreements[0];
    assert_eq!(a.term_end_on(d("2025-06-01")), Some(d("2025-12-31")));
    // A first term of one calendar year renews for calendar years: no drift, leap years included.
    assert_eq!(a.term_end_on(d("2026-01-01")), Some(d("2026-12-31")));
    assert_eq!(a.term_end_on(d("2026-12-31")), Some(d("2026-12-31")));
    assert_eq!(a.term_end_on(d("2027-01-01")), Some(d("2027-12-31")));
    assert_eq!(a.term_end_on(d("2028-12-31")), Some(d("2028-12-31")));
    assert_eq!(a.term_end_on(d("2035-07-04")), Some(d("2035-12-31")));
    assert_eq!(a.standing_on(d("2030-01-01")), Standing::Active);
    let fixed = &world(false, None).agreements[0];
    assert_eq!(fixed.standing_on(d("2026-01-01")), Standing::Expired(d("2025-12-31")));
}

#[test]
fn month_terms_renew_by_months_and_other_terms_by_days() {
    let mut a = world(true, None).agreements[0].clone();
    // Quarterly from March 1st: May 31st, then August 31st, November 30th.
    a.effective = Some(d("2026-03-01"));
    a.expiry = Some(d("2026-05-31"));
    assert_eq!(a.term_end_on(d("2026-06-01")), Some(d("2026-08-31")));
    assert_eq!(a.term_end_on(d("2026-09-01")), Some(d("2026-11-30")));
    // A year from 2027-03-01 ends 2028-02-29; the next ends 2029-02-28.
    a.effective = Some(d("2027-03-01"));
    a.expiry = Some(d("2028-02-29"));
    assert_eq!(a.term_end_on(d("2028-03-01")), Some(d("2029-02-28")));
    // 74 days (not whole months) renew for 74 days.
    a.effective = Some(d("2026-01-01"));
    a.expiry = Some(d("2026-03-15"));
    assert_eq!(a.term_end_on(d("2026-03-16")), Some(d("2026-05-28")));
}
