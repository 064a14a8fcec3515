//! Coverage over a period: one table row per case, each a small sequence of worlds as recorded
//! (a world holds from its day on) and the spans it must give; and the proof that evaluating
//! only on change days gives the same report as evaluating every day.
#![expect(clippy::unwrap_used, reason = "tests fail loudly on bad fixtures")]

use baa_core::catalog::Catalog;
use baa_core::coverage::build::{app, baa, org, service, With, WorldBuilder};
use baa_core::coverage::{
    change_days, evaluate, over_period, Attestation, Environment, PeriodReport, Phi, Policy, Sample,
    ServiceProvisioning, SpanState, Status, StatusChange, World,
};
use chrono::NaiveDate;

fn d(text: &str) -> NaiveDate {
    NaiveDate::parse_from_str(text, "%Y-%m-%d").unwrap()
}

/// A Fly Postgres service on an eligible org, with the Fly BAAs given.
fn world(agreements: Vec<baa_core::coverage::Agreement>) -> World {
    let mut b = WorldBuilder::new(Catalog::bundled().unwrap())
        .vendor("fly", &[])
        .org(org("acme-prod", Environment::Production, "scale"))
        .app(app("acme-api", "acme-prod", &["iad"]))
        .service(service("db", "fly", "postgres", "scale", d("2024-01-01")).with(|s| {
            s.provisioning = ServiceProvisioning::Platform { org: "acme-prod".into() };
            s.apps = vec!["acme-api".into()];
        }));
    for a in agreements {
        b = b.agreement(a);
    }
    b.build()
}

fn fly_baa(id: &str, effective: &str, expiry: Option<&str>) -> baa_core::coverage::Agreement {
    let mut a = baa(id, "fly", d(effective));
    a.effective = Some(d(effective));
    a.expiry = expiry.map(d);
    a
}

/// Samples evaluating each world (as recorded from its day on) on every day of the period.
fn per_day(worlds: &[(&str, World)], from: NaiveDate, to: NaiveDate) -> Vec<Sample> {
    let mut out = Vec::new();
    let mut day = from;
    while day <= to {
        if let Some((_, w)) = worlds.iter().rev().find(|(on, _)| d(on) <= day) {
            let r = evaluate(w, day, &Policy::default());
            out.push(Sample { from: day, recorded: true, services: r.services });
        }
        day = day.succ_opt().unwrap();
    }
    out
}

/// Samples evaluating only where a world starts or [`change_days`] says a verdict may change.
fn at_changes(worlds: &[(&str, World)], from: NaiveDate, to: NaiveDate) -> Vec<Sample> {
    let mut out = Vec::new();
    for (i, (on, w)) in worlds.iter().enumerate() {
        let start = d(on).max(from);
        let end = worlds.get(i + 1).map_or(to, |(n, _)| d(n).pred_opt().unwrap().min(to));
        if start > end {
            continue;
        }
        let mut days = vec![start];
        days.extend(change_days(w, start, end));
        for day in days {
            let r = evaluate(w, day, &Policy::default());
            out.push(Sample { from: day, recorded: true, services: r.services });
        }
    }
    out
}

fn report(worlds: &[(&str, World)], from: &str, to: &str) -> PeriodReport {
    let (from, to) = (d(from), d(to));
    let fast = over_period(from, to, &at_changes(worlds, from, to));
    let naive = over_period(from, to, &per_day(worlds, from, to));
    assert_eq!(fast, naive, "change-point evaluation must equal per-day evaluation");
    fast
}

/// Spans of the service `db` as (from, to, label).
fn spans(r: &PeriodReport) -> Vec<(String, String, &'static str)> {
    let db = r.services.iter().find(|s| s.service == "db").unwrap();
    db.spans.iter().map(|s| (s.from.to_string(), s.to.to_string(), s.state.label())).collect()
}

fn row(from: &str, to: &str, label: &'static str) -> (String, String, &'static str) {
    (from.to_owned(), to.to_owned(), label)
}

#[test]
fn covered_all_year_is_covered_every_day() {
    let r =
        report(&[("2024-01-01", world(vec![fly_baa("a", "2024-06-01", None)]))], "2025-01-01", "2025-12-31");
    assert_eq!(spans(&r), vec![row("2025-01-01", "2025-12-31", "covered")]);
    assert!(r.covered_every_day);
    assert_eq!(r.services[0].days_covered, 365);
}

#[test]
fn gaps_at_both_edges_are_uncovered_spans_with_their_reasons() {
    let w = world(vec![fly_baa("a", "2025-02-01", Some("2025-11-30"))]);
    let r = report(&[("2024-01-01", w)], "2025-01-01", "2025-12-31");
    assert_eq!(
        spans(&r),
        vec![
            row("2025-01-01", "2025-01-31", "not covered"),
            row("2025-02-01", "2025-11-30", "covered"),
            row("2025-12-01", "2025-12-31", "not covered"),
        ]
    );
    assert!(!r.covered_every_day);
    let db = &r.services[0];
    assert!(!db.covered_every_day);
    assert_eq!((db.days_covered, db.days_uncovered), (303, 62));
    let reasons: Vec<&str> = db
        .uncovered_spans()
        .map(|s| match &s.state {
            SpanState::Uncovered { why } => why.as_str(),
            _ => "",
        })
        .collect();
    assert_eq!(reasons.len(), 2);
    assert!(reasons.iter().all(|w| !w.is_empty()), "every gap says why: {reasons:?}");
    assert_ne!(reasons[0], reasons[1], "not yet effective and expired are different reasons");
}

#[test]
fn a_renewal_that_starts_the_day_after_expiry_leaves_no_gap() {
    let old = fly_baa("old", "2024-07-01", Some("2025-06-30"));
    let new = fly_baa("new", "2025-07-01", Some("2026-06-30")).with(|a| a.supersedes = Some("old".into()));
    let r = report(&[("2024-01-01", world(vec![old, new]))], "2025-01-01", "2025-12-31");
    assert_eq!(
        spans(&r),
        vec![row("2025-01-01", "2025-06-30", "covered"), row("2025-07-01", "2025-12-31", "covered")]
    );
    assert!(r.covered_every_day);
    let chains: Vec<Vec<String>> = r.services[0]
        .spans
        .iter()
        .map(|s| match &s.state {
            SpanState::Covered { chain } => chain.clone(),
            _ => Vec::new(),
        })
        .collect();
    assert_eq!(chains, vec![vec!["old".to_owned()], vec!["new".to_owned()]]);
}

#[test]
fn a_renewal_one_day_late_leaves_a_one_day_gap() {
    let old = fly_baa("old", "2024-07-01", Some("2025-06-30"));
    let new = fly_baa("new", "2025-07-02", None);
    let r = report(&[("2024-01-01", world(vec![old, new]))], "2025-01-01", "2025-12-31");
    assert_eq!(
        spans(&r),
        vec![
            row("2025-01-01", "2025-06-30", "covered"),
            row("2025-07-01", "2025-07-01", "not covered"),
            row("2025-07-02", "2025-12-31", "covered"),
        ]
    );
    assert!(!r.covered_every_day);
}

#[test]
fn a_backdated_agreement_does_not_fill_the_days_before_it_was_recorded() {
    // Recorded on 2025-03-10 with an effective date of 2025-03-01: the days 03-01 to 03-09, read
    // as recorded by their end, had no agreement.
    let before = world(vec![]);
    let after = world(vec![fly_baa("late", "2025-03-01", None)]);
    let r = report(&[("2024-01-01", before), ("2025-03-10", after)], "2025-03-01", "2025-03-31");
    assert_eq!(
        spans(&r),
        vec![row("2025-03-01", "2025-03-09", "not covered"), row("2025-03-10", "2025-03-31", "covered")]
    );
    assert!(!r.covered_every_day);
}

#[test]
fn days_before_anything_was_recorded_cannot_be_called_covered() {
    let w = world(vec![fly_baa("a", "2020-01-01", None)]);
    let r = report(&[("2025-03-01", w)], "2025-01-01", "2025-12-31");
    assert_eq!(
        spans(&r),
        vec![
            row("2025-01-01", "2025-02-28", "nothing recorded yet"),
            row("2025-03-01", "2025-12-31", "covered")
        ]
    );
    assert_eq!(r.days_unrecorded, 59);
    assert!(!r.covered_every_day, "the data cannot tell for January and February");
    assert!(!r.services[0].covered_every_day);
}

#[test]
fn a_service_added_mid_period_counts_only_the_days_it_existed() {
    let w = world(vec![fly_baa("a", "2020-01-01", None)])
        .with(|w| w.services[0].created_on = d("2025-05-01"))
        .with(|w| w.services[0].removed_on = Some(d("2025-09-01")));
    let r = report(&[("2024-01-01", w)], "2025-01-01", "2025-12-31");
    assert_eq!(
        spans(&r),
        vec![
            row("2025-01-01", "2025-04-30", "not in the record"),
            row("2025-05-01", "2025-08-31", "covered"),
            row("2025-09-01", "2025-12-31", "not in the record"),
        ]
    );
    assert!(r.covered_every_day);
    assert_eq!(r.services[0].days_present, 123);
}

#[test]
fn a_period_with_no_service_and_nothing_recorded_is_not_covered_every_day() {
    let r = over_period(d("2025-01-01"), d("2025-01-31"), &[]);
    assert_eq!(r.days_unrecorded, 31);
    assert!(!r.covered_every_day);
}

#[test]
fn change_day_evaluation_equals_per_day_on_tricky_worlds() {
    // Auto-renewing then terminated, a status history, an attestation that lapses, a PHI
    // decision: report() asserts the two evaluations agree on each.
    let renewing = fly_baa("auto", "2024-03-01", Some("2024-05-31")).with(|a| {
        a.auto_renews = true;
        a.history.push(StatusChange { on: d("2025-10-15"), status: Status::Terminated });
    });
    let pending = fly_baa("pending", "2025-01-01", None).with(|a| {
        a.history = vec![
            StatusChange { on: d("2024-12-01"), status: Status::Sent },
            StatusChange { on: d("2025-04-10"), status: Status::Signed },
        ];
    });
    let w1 = world(vec![renewing]);
    let w2 = world(vec![pending]).with(|w| {
        w.services[0].attestations.push(Attestation {
            item: "anything".into(),
            confirmed_by: "eng".into(),
            confirmed_on: d("2025-02-01"),
            review_on: d("2025-08-01"),
            note: String::new(),
        });
    });
    let w3 = world(vec![]).with(|w| w.services[0].phi = Phi::no("only de-identified data by design"));
    let r = report(&[("2024-01-01", w1.clone())], "2024-01-01", "2026-12-31");
    assert!(!r.covered_every_day);
    report(&[("2024-01-01", w2)], "2024-06-01", "2025-12-31");
    report(&[("2024-01-01", w1), ("2025-06-01", w3)], "2025-01-01", "2025-12-31");
}
