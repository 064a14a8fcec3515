//! Coverage over a period and the difference between two days, built on the versioned records.
//!
//! Each day of a period is read as recorded by the end of that day (as the one-day view does), so
//! a record entered later never fills a past gap: it is listed as a correction, with the services
//! whose spans it would change. Evaluation runs only on change points: the days on which the
//! loaded world can change (a version becomes visible: its effective day or the day it was
//! recorded, whichever is later; a catalog edit; a document upload), and within one world the
//! days [`baa_core::coverage::change_days`] names. Between change points the verdicts are carried;
//! `server/tests/api/period.rs` proves the result equals evaluating every day.

use super::records::{end_of_day, Correction, Kind};
use super::world::{self, known_at, load, policy, today};
use crate::error::{AppError, AppResult};
use crate::Backend;
use baa_core::coverage::{
    change_days, evaluate, over_period, Agreement, PeriodReport, Sample, ServicePeriod, Standing, World,
};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use sqlx::Row;
use std::collections::{BTreeMap, BTreeSet};

/// Longest period one request may ask for, in days (three years and a leap day).
pub const MAX_PERIOD_DAYS: i64 = 3 * 365 + 1;

/// Which record a day is read from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reading {
    /// As recorded by the end of each day (what the day showed then).
    AsRecorded,
    /// With every version recorded since (corrections folded in).
    AsKnownNow,
}

/// An agreement that was in force on at least one day of the period.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AgreementInForce {
    /// Agreement id.
    pub id: String,
    /// Title.
    pub title: String,
    /// The other party (not us, when we are a party).
    pub counterparty: String,
    /// First day of the period it was in force.
    pub first_day: NaiveDate,
    /// Last day of the period it was in force.
    pub last_day: NaiveDate,
    /// The version read on its last day in force (for the packet; not part of the JSON).
    #[serde(skip_serializing)]
    pub agreement: Agreement,
}

/// Coverage over a period, as recorded, with what was corrected later.
#[derive(Debug, Clone, Serialize)]
pub struct PeriodView {
    /// Spans per service, each day as recorded by its end.
    pub report: PeriodReport,
    /// Agreements in force on any day (as recorded), by id.
    pub agreements: Vec<AgreementInForce>,
    /// Versions recorded after a day of the period that hold on it.
    pub corrections: Vec<Correction>,
    /// Services whose spans the corrections change, as they read with every correction.
    pub corrected: Vec<ServicePeriod>,
    /// Days the engine ran (change points), to show the work is not per day.
    pub evaluated_days: usize,
}

/// Checks a period: `from <= to`, at most [`MAX_PERIOD_DAYS`], ending today at the latest (a
/// day that has not happened has no record to read).
pub fn check_period(b: &Backend, from: NaiveDate, to: NaiveDate) -> AppResult<()> {
    if from > to {
        return Err(AppError::invalid(
            "to",
            format!("the period must end on or after its first day ({from})"),
        ));
    }
    let days = (to - from).num_days() + 1;
    if days > MAX_PERIOD_DAYS {
        return Err(AppError::invalid(
            "to",
            format!("a period covers at most {MAX_PERIOD_DAYS} days (three years); this one has {days}"),
        ));
    }
    let now = today(b);
    if to > now {
        return Err(AppError::invalid(
            "to",
            format!("a period ends today ({now}) at the latest: later days have no record yet"),
        ));
    }
    Ok(())
}

/// The first day anything was recorded in the workspace.
async fn first_record_day(b: &Backend, ws: &str) -> AppResult<Option<NaiveDate>> {
    let row =
        sqlx::query("SELECT CAST(MIN(recorded_at) AS BIGINT) AS at FROM records WHERE workspace_id = $1")
            .bind(ws)
            .fetch_one(&b.db.pool)
            .await?;
    let at: Option<i64> = row.try_get("at")?;
    Ok(at.and_then(|t| chrono::DateTime::from_timestamp(t, 0)).map(|t| t.date_naive()))
}

fn day_of(ts: i64) -> Option<NaiveDate> {
    chrono::DateTime::from_timestamp(ts, 0).map(|t| t.date_naive())
}

/// Days on which the loaded world can change: every effective day and every recording day of a
/// version (a superset of the days a version becomes visible, for both readings), catalog edits
/// and document uploads.
async fn world_days(b: &Backend, ws: &str) -> AppResult<BTreeSet<NaiveDate>> {
    let mut out = BTreeSet::new();
    for r in sqlx::query("SELECT effective_on, recorded_at FROM records WHERE workspace_id = $1")
        .bind(ws)
        .fetch_all(&b.db.pool)
        .await?
    {
        if let Ok(d) = NaiveDate::parse_from_str(&r.try_get::<String, _>("effective_on")?, "%Y-%m-%d") {
            out.insert(d);
        }
        out.extend(day_of(r.try_get("recorded_at")?));
    }
    for (sql, col) in [
        ("SELECT recorded_at AS at FROM catalog_edits WHERE workspace_id = $1", "at"),
        ("SELECT uploaded_at AS at FROM documents WHERE workspace_id = $1", "at"),
    ] {
        for r in sqlx::query(sql).bind(ws).fetch_all(&b.db.pool).await? {
            out.extend(day_of(r.try_get(col)?));
        }
    }
    out.insert(today(b));
    Ok(out)
}

struct Evaluated {
    samples: Vec<Sample>,
    /// Agreement id -> (first day active, last day active, version on the last day).
    active: BTreeMap<String, (NaiveDate, NaiveDate, Agreement)>,
    evaluated_days: usize,
}

fn known_for(b: &Backend, reading: Reading, day: NaiveDate) -> i64 {
    match reading {
        Reading::AsRecorded => known_at(b, day),
        Reading::AsKnownNow => i64::MAX,
    }
}

async fn evaluate_period(
    b: &Backend,
    ws: &str,
    ws_name: &str,
    from: NaiveDate,
    to: NaiveDate,
    reading: Reading,
) -> AppResult<Evaluated> {
    let first = first_record_day(b, ws).await?;
    let mut starts: Vec<NaiveDate> = vec![from];
    starts.extend(world_days(b, ws).await?.into_iter().filter(|d| *d > from && *d <= to));
    if let Some(f) = first.filter(|f| *f > from && *f <= to) {
        starts.push(f);
    }
    starts.sort();
    starts.dedup();
    let mut out = Evaluated { samples: Vec::new(), active: BTreeMap::new(), evaluated_days: 0 };
    for (i, start) in starts.iter().copied().enumerate() {
        let end = starts.get(i + 1).and_then(|n| n.pred_opt()).unwrap_or(to);
        let recorded = first.is_some_and(|f| f <= start);
        if !recorded {
            out.samples.push(Sample { from: start, recorded: false, services: Vec::new() });
            continue;
        }
        let known = known_for(b, reading, start);
        let w = load(b, ws, ws_name, start, known).await?;
        let p = policy(b, ws, start, known).await?;
        let mut days = vec![start];
        days.extend(change_days(&w, start, end));
        let bounds: Vec<NaiveDate> = days.clone();
        for (k, day) in days.into_iter().enumerate() {
            let report = evaluate(&w, day, &p);
            out.evaluated_days += 1;
            let until = bounds.get(k + 1).and_then(|n| n.pred_opt()).unwrap_or(end);
            note_active(&mut out.active, &w, day, until);
            out.samples.push(Sample { from: day, recorded: true, services: report.services });
        }
    }
    Ok(out)
}

/// Records the agreements active from `day` to `until` (standing only changes on change days).
fn note_active(
    active: &mut BTreeMap<String, (NaiveDate, NaiveDate, Agreement)>,
    w: &World,
    day: NaiveDate,
    until: NaiveDate,
) {
    for a in w.agreements.iter().filter(|a| a.standing_on(day) == Standing::Active) {
        active
            .entry(a.id.clone())
            .and_modify(|e| {
                e.1 = until;
                e.2 = a.clone();
            })
            .or_insert((day, until, a.clone()));
    }
}

/// Coverage of `[from, to]`, each day read as `reading` says, evaluated on change points only.
pub async fn coverage_period(
    b: &Backend,
    ws: &str,
    ws_name: &str,
    from: NaiveDate,
    to: NaiveDate,
    reading: Reading,
) -> AppResult<PeriodReport> {
    let e = evaluate_period(b, ws, ws_name, from, to, reading).await?;
    Ok(over_period(from, to, &e.samples))
}

/// The same as [`coverage_period`], evaluating every day (slow; the reference the change-point
/// evaluation is tested against).
pub async fn coverage_period_per_day(
    b: &Backend,
    ws: &str,
    ws_name: &str,
    from: NaiveDate,
    to: NaiveDate,
    reading: Reading,
) -> AppResult<PeriodReport> {
    let first = first_record_day(b, ws).await?;
    let mut samples = Vec::new();
    let mut day = from;
    while day <= to {
        if first.is_some_and(|f| f <= day) {
            let known = known_for(b, reading, day);
            let w = load(b, ws, ws_name, day, known).await?;
            let p = policy(b, ws, day, known).await?;
            samples.push(Sample { from: day, recorded: true, services: evaluate(&w, day, &p).services });
        } else {
            samples.push(Sample { from: day, recorded: false, services: Vec::new() });
        }
        let Some(next) = day.succ_opt() else { break };
        day = next;
    }
    Ok(over_period(from, to, &samples))
}

/// The period view: spans as recorded, agreements in force, corrections and what they change.
pub async fn period_view(
    b: &Backend,
    ws: &str,
    ws_name: &str,
    from: NaiveDate,
    to: NaiveDate,
) -> AppResult<PeriodView> {
    check_period(b, from, to)?;
    let e = evaluate_period(b, ws, ws_name, from, to, Reading::AsRecorded).await?;
    let report = over_period(from, to, &e.samples);
    let corrections = period_corrections(b, ws, from, to).await?;
    let mut corrected = Vec::new();
    if !corrections.is_empty() {
        let now = coverage_period(b, ws, ws_name, from, to, Reading::AsKnownNow).await?;
        let before: BTreeMap<&str, &ServicePeriod> =
            report.services.iter().map(|s| (s.service.as_str(), s)).collect();
        for s in now.services {
            let same = before.get(s.service.as_str()).is_some_and(|r| r.spans == s.spans);
            if !same {
                corrected.push(s);
            }
        }
    }
    let agreements = e
        .active
        .into_iter()
        .map(|(id, (first_day, last_day, a))| AgreementInForce {
            id,
            title: a.title.clone(),
            counterparty: a.other(world::US).to_owned(),
            first_day,
            last_day,
            agreement: a,
        })
        .collect();
    Ok(PeriodView { report, agreements, corrections, corrected, evaluated_days: e.evaluated_days })
}

fn correction_of(r: &sqlx::any::AnyRow) -> AppResult<Option<(Correction, NaiveDate, i64)>> {
    let Some(kind) = Kind::parse(&r.try_get::<String, _>("kind")?) else { return Ok(None) };
    let entity_id: String = r.try_get("entity_id")?;
    let data: serde_json::Value = serde_json::from_str(&r.try_get::<String, _>("data")?).unwrap_or_default();
    let name = ["name", "title", "slug"]
        .iter()
        .find_map(|k| data.get(*k).and_then(|n| n.as_str()))
        .unwrap_or(&entity_id)
        .to_owned();
    let change = if crate::db::flag(r, "deleted")? {
        "removed"
    } else if r.try_get::<i64, _>("seq")? == 1 {
        "created"
    } else {
        "changed"
    };
    let effective_on: String = r.try_get("effective_on")?;
    let Ok(eff) = NaiveDate::parse_from_str(&effective_on, "%Y-%m-%d") else { return Ok(None) };
    let at: i64 = r.try_get("recorded_at")?;
    Ok(Some((
        Correction {
            kind,
            entity_id,
            name,
            effective_on,
            recorded_at: crate::clock::fmt_ts(at),
            actor: r.try_get("actor_name")?,
            reason: r.try_get("reason")?,
            change: change.to_owned(),
        },
        eff,
        at,
    )))
}

/// Versions that hold on a day of `[from, to]` but were recorded after the end of that day:
/// each day before its recording read without it.
pub async fn period_corrections(
    b: &Backend,
    ws: &str,
    from: NaiveDate,
    to: NaiveDate,
) -> AppResult<Vec<Correction>> {
    let rows = sqlx::query(
        "SELECT kind, entity_id, seq, effective_on, recorded_at, actor_name, reason, deleted, data FROM records \
         WHERE workspace_id = $1 AND effective_on <= $2 AND recorded_at > $3 ORDER BY recorded_at, kind, entity_id, seq",
    )
    .bind(ws)
    .bind(to.to_string())
    .bind(end_of_day(from))
    .fetch_all(&b.db.pool)
    .await?;
    let mut out = Vec::new();
    for r in &rows {
        if let Some((c, eff, at)) = correction_of(r)? {
            if at > end_of_day(eff.max(from)) {
                out.push(c);
            }
        }
    }
    Ok(out)
}

/// What changed about one thing between the two days.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ItemChange {
    /// Id.
    pub id: String,
    /// Name (on the later day when it exists then).
    pub name: String,
    /// added, removed or changed.
    pub change: String,
    /// Fields that differ (for a change), by their stored names.
    pub fields: Vec<String>,
}

/// A verdict that differs between the two days.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VerdictChange {
    /// Service id.
    pub service: String,
    /// Service name.
    pub name: String,
    /// On the first day ("not in the record" when the service did not exist).
    pub before: String,
    /// On the second day.
    pub after: String,
}

/// One recorded change between the two days, with who made it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChangeEntry {
    /// When it was recorded (formatted).
    pub recorded_at: String,
    /// Who.
    pub actor: String,
    /// What kind of thing ("service", "agreement", "document"...).
    pub kind: String,
    /// Its id.
    pub subject_id: String,
    /// Its name.
    pub subject_name: String,
    /// What happened ("service.changed", "document.uploaded").
    pub action: String,
    /// Day from which a record version holds (none for other audit entries).
    pub effective_on: Option<String>,
    /// Why, when given.
    pub reason: Option<String>,
}

/// The difference between two days, each read as recorded by its end.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DiffView {
    /// First day.
    pub from: NaiveDate,
    /// Second day.
    pub to: NaiveDate,
    /// Services added, removed or changed.
    pub services: Vec<ItemChange>,
    /// Agreements added, removed or changed (a change of standing counts).
    pub agreements: Vec<ItemChange>,
    /// Verdicts that differ.
    pub verdicts: Vec<VerdictChange>,
    /// Every version recorded and every audited action between the end of the first day and the
    /// end of the second, oldest first, with who made it.
    pub changes: Vec<ChangeEntry>,
}

fn item_changes<T: Serialize>(
    a: &BTreeMap<String, (String, T)>,
    b: &BTreeMap<String, (String, T)>,
    extra: impl Fn(&str) -> Vec<String>,
) -> Vec<ItemChange> {
    let mut out = Vec::new();
    let json = |t: &T| serde_json::to_value(t).unwrap_or_default();
    for (id, (name, after)) in b {
        match a.get(id) {
            None => out.push(ItemChange {
                id: id.clone(),
                name: name.clone(),
                change: "added".into(),
                fields: Vec::new(),
            }),
            Some((_, before)) => {
                let (x, y) = (json(before), json(after));
                let mut fields: Vec<String> = match (x.as_object(), y.as_object()) {
                    (Some(x), Some(y)) => {
                        let keys: BTreeSet<&String> = x.keys().chain(y.keys()).collect();
                        keys.into_iter().filter(|k| x.get(*k) != y.get(*k)).cloned().collect()
                    }
                    _ if x != y => vec!["value".into()],
                    _ => Vec::new(),
                };
                fields.extend(extra(id));
                if !fields.is_empty() {
                    out.push(ItemChange {
                        id: id.clone(),
                        name: name.clone(),
                        change: "changed".into(),
                        fields,
                    });
                }
            }
        }
    }
    for (id, (name, _)) in a.iter().filter(|(id, _)| !b.contains_key(*id)) {
        out.push(ItemChange {
            id: id.clone(),
            name: name.clone(),
            change: "removed".into(),
            fields: Vec::new(),
        });
    }
    out
}

fn verdict_label(v: &baa_core::coverage::Verdict) -> &'static str {
    match v {
        baa_core::coverage::Verdict::Covered { .. } => "covered",
        baa_core::coverage::Verdict::CoveredNoPhi { .. } => "no PHI",
        baa_core::coverage::Verdict::Uncovered { .. } => "not covered",
    }
}

/// The difference between `from` and `to` (`from <= to`, both today at the latest).
pub async fn diff_view(
    b: &Backend,
    ws: &str,
    ws_name: &str,
    from: NaiveDate,
    to: NaiveDate,
) -> AppResult<DiffView> {
    check_period(b, from, to)?;
    let (ka, kb) = (known_at(b, from), known_at(b, to));
    let (wa, wb) = (load(b, ws, ws_name, from, ka).await?, load(b, ws, ws_name, to, kb).await?);
    let (pa, pb) = (policy(b, ws, from, ka).await?, policy(b, ws, to, kb).await?);
    let (ra, rb) = (evaluate(&wa, from, &pa), evaluate(&wb, to, &pb));
    let services = |w: &World, day: NaiveDate| -> BTreeMap<String, (String, baa_core::coverage::Service)> {
        w.services
            .iter()
            .filter(|s| s.exists_on(day))
            .map(|s| (s.id.clone(), (s.name.clone(), s.clone())))
            .collect()
    };
    let agreements = |w: &World| -> BTreeMap<String, (String, Agreement)> {
        w.agreements.iter().map(|a| (a.id.clone(), (a.title.clone(), a.clone()))).collect()
    };
    let standing_a: BTreeMap<&str, Standing> =
        wa.agreements.iter().map(|a| (a.id.as_str(), a.standing_on(from))).collect();
    let standing_b: BTreeMap<&str, Standing> =
        wb.agreements.iter().map(|a| (a.id.as_str(), a.standing_on(to))).collect();
    let service_changes = item_changes(&services(&wa, from), &services(&wb, to), |_| Vec::new());
    let agreement_changes = item_changes(&agreements(&wa), &agreements(&wb), |id| {
        if standing_a.get(id) == standing_b.get(id) {
            Vec::new()
        } else {
            vec!["standing".to_owned()]
        }
    });
    let before: BTreeMap<&str, (&str, &str)> = ra
        .services
        .iter()
        .map(|s| (s.service.as_str(), (s.name.as_str(), verdict_label(&s.verdict))))
        .collect();
    let after: BTreeMap<&str, (&str, &str)> = rb
        .services
        .iter()
        .map(|s| (s.service.as_str(), (s.name.as_str(), verdict_label(&s.verdict))))
        .collect();
    let mut verdicts = Vec::new();
    let ids: BTreeSet<&str> = before.keys().chain(after.keys()).copied().collect();
    for id in ids {
        let x = before.get(id).map_or("not in the record", |v| v.1);
        let y = after.get(id).map_or("not in the record", |v| v.1);
        if x != y {
            let name = after.get(id).or_else(|| before.get(id)).map_or(id, |v| v.0);
            verdicts.push(VerdictChange {
                service: id.to_owned(),
                name: name.to_owned(),
                before: x.to_owned(),
                after: y.to_owned(),
            });
        }
    }
    let changes = changes_between(b, ws, ka, kb).await?;
    Ok(DiffView { from, to, services: service_changes, agreements: agreement_changes, verdicts, changes })
}

/// Record versions and audited actions recorded in `(after, until]`.
async fn changes_between(b: &Backend, ws: &str, after: i64, until: i64) -> AppResult<Vec<ChangeEntry>> {
    let mut out: Vec<(i64, ChangeEntry)> = Vec::new();
    let rows = sqlx::query(
        "SELECT kind, entity_id, seq, effective_on, recorded_at, actor_name, reason, deleted, data FROM records \
         WHERE workspace_id = $1 AND recorded_at > $2 AND recorded_at <= $3 ORDER BY recorded_at, kind, entity_id, seq",
    )
    .bind(ws)
    .bind(after)
    .bind(until)
    .fetch_all(&b.db.pool)
    .await?;
    for r in &rows {
        if let Some((c, _, at)) = correction_of(r)? {
            out.push((
                at,
                ChangeEntry {
                    recorded_at: c.recorded_at,
                    actor: c.actor,
                    kind: c.kind.as_str().to_owned(),
                    subject_id: c.entity_id,
                    subject_name: c.name,
                    action: format!("{}.{}", c.kind.as_str(), c.change),
                    effective_on: Some(c.effective_on),
                    reason: c.reason,
                },
            ));
        }
    }
    // Actions that change coverage without a record version: documents and catalog edits.
    let rows = sqlx::query(
        "SELECT at, actor_name, action, subject_kind, subject_id, subject_name FROM audit_log \
         WHERE workspace_id = $1 AND at > $2 AND at <= $3 AND action IN ('document.uploaded', 'catalog.edited', 'catalog.reverted', 'import.applied') \
         ORDER BY seq",
    )
    .bind(ws)
    .bind(after)
    .bind(until)
    .fetch_all(&b.db.pool)
    .await?;
    for r in &rows {
        let at: i64 = r.try_get("at")?;
        out.push((
            at,
            ChangeEntry {
                recorded_at: crate::clock::fmt_ts(at),
                actor: r.try_get("actor_name")?,
                kind: r.try_get("subject_kind")?,
                subject_id: r.try_get("subject_id")?,
                subject_name: r.try_get("subject_name")?,
                action: r.try_get("action")?,
                effective_on: None,
                reason: None,
            },
        ));
    }
    out.sort_by_key(|(at, _)| *at);
    Ok(out.into_iter().map(|(_, c)| c).collect())
}
