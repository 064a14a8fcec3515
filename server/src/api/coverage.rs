//! `/coverage`: the verdict of every service today (or `as_of` a day, or for one `app`), the
//! coverage of a period day by day, and what changed between two days.

use super::extract::{ok, to_json, Params, Reader};
use crate::AppState;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use baa_backend::error::{AppError, AppResult};
use baa_backend::inventory;
use baa_backend::storage::world::CoverageView;
use baa_backend::Backend;
use baa_core::coverage::{App, SubjectKind, Verdict};
use serde::Deserialize;
use serde_json::{json, Value};
use std::collections::{BTreeSet, HashMap};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/coverage", get(today))
        .route("/coverage/period", get(period))
        .route("/coverage/diff", get(diff))
}

#[derive(Debug, Default, Deserialize)]
struct CoverageQuery {
    #[serde(default)]
    as_of: Option<String>,
    #[serde(default)]
    app: Option<String>,
}

/// The coverage report as JSON, for the workspace or one app (its services, the app, its org and
/// the agreements its chains rely on).
fn report_json(view: &CoverageView, day: chrono::NaiveDate, app: Option<&App>) -> Value {
    let (world, report) = (&view.world, &view.report);
    let by_id: HashMap<&str, &baa_core::coverage::Service> =
        world.services.iter().map(|s| (s.id.as_str(), s)).collect();
    let titles: HashMap<&str, &str> =
        world.agreements.iter().map(|a| (a.id.as_str(), a.title.as_str())).collect();
    let uses = |s: &str| app.is_none_or(|a| by_id.get(s).is_some_and(|x| x.apps.contains(&a.name)));
    let title = |id: &str| titles.get(id).copied().unwrap_or_default();
    let mut chains: BTreeSet<&str> = BTreeSet::new();
    let mut services = Vec::new();
    for s in report.services.iter().filter(|s| uses(&s.service)) {
        let (verdict, chain, why): (_, &[String], _) = match &s.verdict {
            Verdict::Covered { chain } => ("covered", chain, None),
            Verdict::CoveredNoPhi { reason } => ("covered-no-phi", &[], Some(reason)),
            Verdict::Uncovered { why } => ("uncovered", &[], Some(why)),
        };
        chains.extend(chain.iter().map(String::as_str));
        let svc = by_id.get(s.service.as_str());
        services.push(json!({
            "id": s.service,
            "name": s.name,
            "vendor": svc.map(|x| &x.vendor),
            "plan": svc.map(|x| &x.plan),
            "apps": svc.map(|x| x.apps.as_slice()).unwrap_or_default(),
            "phi": s.phi,
            "verdict": verdict,
            "covered": s.verdict.is_covered(),
            "chain": chain.iter().map(|id| json!({"id": id, "title": title(id)})).collect::<Vec<_>>(),
            "why": why,
        }));
    }
    let service_ids: BTreeSet<&str> =
        services.iter().filter_map(|s| s.get("id").and_then(Value::as_str)).collect();
    let findings: Vec<&baa_core::coverage::Finding> = report
        .findings
        .iter()
        .filter(|f| match app {
            None => true,
            Some(a) => match f.subject.kind {
                SubjectKind::Service => service_ids.contains(f.subject.id.as_str()),
                SubjectKind::App => f.subject.id == a.name,
                SubjectKind::Org => f.subject.id == a.org,
                SubjectKind::Agreement => chains.contains(f.subject.id.as_str()),
                SubjectKind::Customer | SubjectKind::Vendor => false,
            },
        })
        .collect();
    let count = |sev: baa_core::coverage::Severity| findings.iter().filter(|f| f.severity == sev).count();
    use baa_core::coverage::Severity;
    let phi: Vec<&Value> = services.iter().filter(|s| s["phi"] == json!(true)).collect();
    json!({
        "as_of": day.to_string(),
        "app": app.map(|a| a.name.clone()),
        "summary": {
            "services": services.len(),
            "phi_services": phi.len(),
            "covered_phi": phi.iter().filter(|s| s["covered"] == json!(true)).count(),
            "uncovered_phi": phi.iter().filter(|s| s["covered"] != json!(true)).count(),
            "findings": {
                "critical": count(Severity::Critical),
                "high": count(Severity::High),
                "medium": count(Severity::Medium),
                "warning": count(Severity::Warning),
                "low": count(Severity::Low),
            },
        },
        "services": services,
        "findings": findings,
        // Platform safeguard checks of the imported fly.toml files (of the app, when scoped).
        "safeguards": view
            .safeguards
            .results
            .iter()
            .filter(|r| app.is_none_or(|a| r.app.as_deref() == Some(a.name.as_str())))
            .collect::<Vec<_>>(),
    })
}

/// The report of the day (kept with the day's view: the same request gets the same bytes until
/// the next write, see `answers`).
async fn today(
    Reader(v): Reader,
    State(b): State<Backend>,
    headers: HeaderMap,
    Params(q): Params<CoverageQuery>,
) -> AppResult<Response> {
    let day = inventory::date("as_of", q.as_of.as_deref().unwrap_or(""))?
        .unwrap_or_else(|| inventory::today_for(&b));
    let view = inventory::coverage_view(&b, &v, day).await?;
    let app = match q.app.as_deref().map(str::trim).filter(|a| !a.is_empty()) {
        Some(name) => Some(view.world.apps.iter().find(|a| a.name == name).ok_or(AppError::NotFound)?),
        None => None,
    };
    // Keyed by what the answer depends on (the view is the day's), not by the raw query: extra
    // parameters cannot make more copies.
    let key = format!("coverage app={}", app.map_or("", |a| a.name.as_str()));
    super::answers::json_of_view(&view, &key, &headers, || Ok(report_json(&view, day, app)))
}

#[derive(Debug, Default, Deserialize)]
struct PeriodQuery {
    #[serde(default)]
    from: Option<String>,
    #[serde(default)]
    to: Option<String>,
}

/// The two days of a period query, both required.
fn period_of(q: &PeriodQuery) -> AppResult<(chrono::NaiveDate, chrono::NaiveDate)> {
    let day = |field: &str, value: &Option<String>| {
        inventory::date(field, value.as_deref().unwrap_or(""))?
            .ok_or_else(|| AppError::invalid(field, format!("give {field}=YYYY-MM-DD")))
    };
    Ok((day("from", &q.from)?, day("to", &q.to)?))
}

async fn period(
    Reader(v): Reader,
    State(b): State<Backend>,
    Params(q): Params<PeriodQuery>,
) -> AppResult<Response> {
    let (from, to) = period_of(&q)?;
    ok(to_json(&inventory::coverage_period(&b, &v, from, to).await?)?)
}

async fn diff(
    Reader(v): Reader,
    State(b): State<Backend>,
    Params(q): Params<PeriodQuery>,
) -> AppResult<Response> {
    let (from, to) = period_of(&q)?;
    ok(to_json(&inventory::coverage_diff(&b, &v, from, to).await?)?)
}
