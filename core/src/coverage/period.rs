//! Coverage over a period: from the verdicts of each day, the days each service was covered
//! and the spans it was not, with the reason of each span.
//!
//! Pure: the caller evaluates the days (as recorded by the end of each day) and hands over
//! [`Sample`]s; a sample holds from its day until the next sample's day. Handing one sample per
//! day and handing one per change point give the same [`PeriodReport`] (the caller proves it for
//! its change points; [`change_days`] finds the days on which [`super::evaluate`] can change
//! for one fixed world).
//!
//! "Covered every day" is true only when every day of the period is recorded and every service
//! that existed on a day was covered (or recorded as handling no PHI) on it.

use std::collections::{BTreeMap, BTreeSet};

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::model::World;
use super::report::{ServiceReport, Verdict};

/// Verdicts of every service from a day on, until the next sample.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Sample {
    /// First day it holds.
    pub from: NaiveDate,
    /// Whether anything was recorded by then; days before the first record cannot tell.
    pub recorded: bool,
    /// Services existing on those days, with their verdicts.
    pub services: Vec<ServiceReport>,
}

/// What a service was on the days of a span.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", tag = "state")]
pub enum SpanState {
    /// Covered by the chain of agreements named.
    Covered {
        /// Agreement ids the coverage relied on.
        chain: Vec<String>,
    },
    /// Recorded as handling no PHI.
    NoPhi {
        /// The recorded reason.
        reason: String,
    },
    /// Handled (or may have handled) PHI with no chain that held.
    Uncovered {
        /// Why no chain held, as the engine said on the span's first day.
        why: String,
    },
    /// The service did not exist (or was not yet recorded) on those days.
    Absent,
    /// Nothing at all was recorded in the workspace by then: the data cannot tell.
    Unrecorded,
}

impl SpanState {
    /// Whether the days count as covered (with or without PHI).
    pub fn is_covered(&self) -> bool {
        matches!(self, SpanState::Covered { .. } | SpanState::NoPhi { .. })
    }

    /// Short label: covered, no PHI, not covered, absent, not recorded.
    pub fn label(&self) -> &'static str {
        match self {
            SpanState::Covered { .. } => "covered",
            SpanState::NoPhi { .. } => "no PHI",
            SpanState::Uncovered { .. } => "not covered",
            SpanState::Absent => "not in the record",
            SpanState::Unrecorded => "nothing recorded yet",
        }
    }

    fn of(verdict: &Verdict) -> SpanState {
        match verdict {
            Verdict::Covered { chain } => SpanState::Covered { chain: chain.clone() },
            Verdict::CoveredNoPhi { reason } => SpanState::NoPhi { reason: reason.clone() },
            Verdict::Uncovered { why } => SpanState::Uncovered { why: why.clone() },
        }
    }
}

/// Consecutive days (both ends included) a service spent in one state.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Span {
    /// First day.
    pub from: NaiveDate,
    /// Last day.
    pub to: NaiveDate,
    /// Number of days.
    pub days: i64,
    /// The state.
    #[serde(flatten)]
    pub state: SpanState,
}

/// One service over the period.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServicePeriod {
    /// Service id.
    pub service: String,
    /// Its name on the last day it existed in the period.
    pub name: String,
    /// Whether it was treated as handling PHI on any day.
    pub phi: bool,
    /// Days it existed.
    pub days_present: i64,
    /// Days it was covered by a chain.
    pub days_covered: i64,
    /// Days it was recorded as handling no PHI.
    pub days_no_phi: i64,
    /// Days it existed and was not covered.
    pub days_uncovered: i64,
    /// Every day of the period, in spans (absent days included), first day first.
    pub spans: Vec<Span>,
    /// True only when it was covered (or no PHI) on every day it existed and every day of the
    /// period is recorded.
    pub covered_every_day: bool,
}

impl ServicePeriod {
    /// The spans it existed and was not covered.
    pub fn uncovered_spans(&self) -> impl Iterator<Item = &Span> {
        self.spans.iter().filter(|s| matches!(s.state, SpanState::Uncovered { .. }))
    }
}

/// Coverage over a period.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PeriodReport {
    /// First day.
    pub from: NaiveDate,
    /// Last day.
    pub to: NaiveDate,
    /// Days in the period.
    pub days: i64,
    /// Days before anything was recorded (the data cannot tell).
    pub days_unrecorded: i64,
    /// Every service that existed on at least one day, by id.
    pub services: Vec<ServicePeriod>,
    /// True only when every day is recorded and every service was covered on every day it
    /// existed.
    pub covered_every_day: bool,
}

/// The report for `[from, to]` from samples (any order; each holds until the next). Days before
/// the first sample are unrecorded. Returns an empty report when `to < from`.
pub fn over_period(from: NaiveDate, to: NaiveDate, samples: &[Sample]) -> PeriodReport {
    let mut samples: Vec<&Sample> = samples.iter().collect();
    samples.sort_by_key(|s| s.from);
    let days = if to < from { 0 } else { (to - from).num_days() + 1 };
    // Day states per service, as runs: (first day, last day, state).
    let mut runs: BTreeMap<&str, Vec<(NaiveDate, NaiveDate, SpanState)>> = BTreeMap::new();
    let mut names: BTreeMap<&str, &str> = BTreeMap::new();
    let mut phi: BTreeSet<&str> = BTreeSet::new();
    let mut unrecorded: Vec<(NaiveDate, NaiveDate)> = Vec::new();
    for (i, s) in samples.iter().enumerate() {
        let start = s.from.max(from);
        let next = samples.get(i + 1).map(|n| n.from);
        let end = next.and_then(|n| n.pred_opt()).map_or(to, |n| n.min(to));
        if days == 0 || start > end || next.is_some_and(|n| n <= s.from) {
            continue;
        }
        if !s.recorded {
            unrecorded.push((start, end));
            continue;
        }
        for r in &s.services {
            names.insert(&r.service, &r.name);
            if r.phi {
                phi.insert(&r.service);
            }
            push_run(runs.entry(&r.service).or_default(), start, end, SpanState::of(&r.verdict));
        }
    }
    let first = samples.first().map_or(to.succ_opt().unwrap_or(to), |s| s.from);
    if days > 0 && first > from {
        unrecorded.insert(0, (from, first.pred_opt().unwrap_or(from).min(to)));
    }
    let days_unrecorded: i64 = unrecorded.iter().map(|(a, b)| (*b - *a).num_days() + 1).sum();

    let mut services = Vec::new();
    for (id, own) in runs {
        // Fill the whole period: unrecorded days, then absent days, around the service's runs.
        let mut all: Vec<(NaiveDate, NaiveDate, SpanState)> = Vec::new();
        let mut marks: Vec<(NaiveDate, NaiveDate, SpanState)> =
            unrecorded.iter().map(|(a, b)| (*a, *b, SpanState::Unrecorded)).collect();
        marks.extend(own);
        marks.sort_by_key(|m| m.0);
        let mut day = from;
        for (a, b, state) in marks {
            if a > day {
                push_run(&mut all, day, a.pred_opt().unwrap_or(a), SpanState::Absent);
            }
            push_run(&mut all, a, b, state);
            day = b.succ_opt().unwrap_or(b);
        }
        if day <= to {
            push_run(&mut all, day, to, SpanState::Absent);
        }
        let count = |f: &dyn Fn(&SpanState) -> bool| -> i64 {
            all.iter().filter(|(_, _, s)| f(s)).map(|(a, b, _)| (*b - *a).num_days() + 1).sum()
        };
        let days_covered = count(&|s| matches!(s, SpanState::Covered { .. }));
        let days_no_phi = count(&|s| matches!(s, SpanState::NoPhi { .. }));
        let days_uncovered = count(&|s| matches!(s, SpanState::Uncovered { .. }));
        let days_present = days_covered + days_no_phi + days_uncovered;
        services.push(ServicePeriod {
            service: id.to_owned(),
            name: names.get(id).copied().unwrap_or(id).to_owned(),
            phi: phi.contains(id),
            days_present,
            days_covered,
            days_no_phi,
            days_uncovered,
            covered_every_day: days_uncovered == 0 && days_unrecorded == 0 && days_present > 0,
            spans: all
                .into_iter()
                .map(|(a, b, state)| Span { from: a, to: b, days: (b - a).num_days() + 1, state })
                .collect(),
        });
    }
    let covered_every_day =
        days > 0 && days_unrecorded == 0 && services.iter().all(|s| s.days_uncovered == 0);
    PeriodReport { from, to, days, days_unrecorded, services, covered_every_day }
}

/// Appends a run, merging it with the previous one when it continues it in the same state.
/// An uncovered run keeps the reason of its first day; a later day with another reason starts
/// a new span.
fn push_run(runs: &mut Vec<(NaiveDate, NaiveDate, SpanState)>, a: NaiveDate, b: NaiveDate, state: SpanState) {
    if let Some(last) = runs.last_mut() {
        if last.2 == state && last.1.succ_opt() == Some(a) {
            last.1 = b;
            return;
        }
    }
    runs.push((a, b, state));
}

/// Days in `(from, to]` on which evaluating this one world may give another answer than on the
/// day before: every day the world names (effective, expiry, status changes, creation and
/// removal, attestations, PHI decisions...) and the day after it, and the day after the end of
/// each renewed term of an auto-renewing agreement. Conservative: it may list days on which
/// nothing changes, never misses one on which a verdict does.
pub fn change_days(world: &World, from: NaiveDate, to: NaiveDate) -> BTreeSet<NaiveDate> {
    let mut out = BTreeSet::new();
    let mut add = |d: NaiveDate| {
        if d > from && d <= to {
            out.insert(d);
        }
    };
    let mut dates = Vec::new();
    if let Ok(value) = serde_json::to_value(world) {
        collect_dates(&value, &mut dates);
    }
    for d in dates {
        add(d);
        if let Some(next) = d.succ_opt() {
            add(next);
        }
    }
    for a in world.agreements.iter().filter(|a| a.auto_renews) {
        let Some(mut end) = a.expiry else { continue };
        // Each renewed term ends on a day the data does not name: walk them through the period.
        for _ in 0..10_000 {
            let Some(next) = end.succ_opt() else { break };
            add(next);
            if next > to {
                break;
            }
            match a.term_end_on(next) {
                Some(e) if e > end => end = e,
                _ => break,
            }
        }
    }
    out
}

fn collect_dates(value: &serde_json::Value, out: &mut Vec<NaiveDate>) {
    match value {
        serde_json::Value::String(s) if s.len() == 10 => {
            if let Ok(d) = NaiveDate::parse_from_str(s, "%Y-%m-%d") {
                out.push(d);
            }
        }
        serde_json::Value::Array(items) => items.iter().for_each(|v| collect_dates(v, out)),
        serde_json::Value::Object(map) => map.values().for_each(|v| collect_dates(v, out)),
        _ => {}
    }
}
