//! `/coverage`: the verdict of every service today (or `as_of` a day, or for one `app`), the
//! coverage of a period day by day, and what changed between two days.

use super::extract::{ok, to_json, Params, Reader};
use crate::AppState;
use axum::extract::State;
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use baa_backend::error::{AppError, AppResult};
use baa_backend::inventory;
use baa_backend::Backend;
use baa_core::account::Viewer;
use baa_core::coverage::{SubjectKind, Verdict};
use serde::Deserialize;
use serde_json::{json, Value};
use std::collections::BTreeSet;

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
pub async fn coverage_report(b: &Backend, v: &Viewer, as_of: &str, app: Option<&str>) -> AppResult<Value> {
    let day = inventory::date("as_of", as_of)?.unwrap_or_else(|| inventory::today_for(b));
    let view = inventory::coverage_view(b, v, day).await?;
    let (world, report) = (&view.world, &view.report);
    let app = match app.map(str::trim).filter(|a| !a.is_empty()) {
        Some(name) => Some(world.apps.iter().find(|a| a.name == name).cloned().ok_or(AppError::NotFound)?),
        None => None,
    };
    let uses = |s: &str| {
        app.as_ref().is_none_or(|a| world.services.iter().any(|x| x.id == s && x.apps.contains(&a.name)))
    };
    let title =
        |id: &str| world.agreements.iter().find(|a| a.id == id).map(|a| a.title.clone()).unwrap_or_default();
    let mut chains: BTreeSet<String> = BTreeSet::new();
    let mut services = Vec::new();
    for s in report.services.iter().filter(|s| uses(&s.service)) {
        let (verdict, chain, why) = match &s.verdict {
            Verdict::Covered { chain } => ("covered", chain.clone(), None),
            Verdict::CoveredNoPhi { reason } => ("covered-no-phi", Vec::new(), Some(reason.clone())),
            Verdict::Uncovered { why } => ("uncovered", Vec::new(), Some(why.clone())),
        };
        chains.extend(chain.iter().cloned());
        let svc = world.services.iter().find(|x| x.id == s.service);
        services.push(json!({
            "id": s.service,
            "name": s.name,
            "vendor": svc.map(|x| x.vendor.clone()),
            "plan": svc.map(|x| x.plan.clone()),
            "apps": svc.map(|x| x.apps.clone()).unwrap_or_default(),
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
        .filter(|f| match &app {
            None => true,
            Some(a) => match f.subject.kind {
                SubjectKind::Service => service_ids.contains(f.subject.id.as_str()),
                SubjectKind::App => f.subject.id == a.name,
                SubjectKind::Org => f.subject.id == a.org,
                SubjectKind::Agreement => chains.contains(&f.subject.id),
                SubjectKind::Customer | SubjectKind::Vendor => false,
            },
        })
        .collect();
    let count = |sev: baa_core::coverage::Severity| findings.iter().filter(|f| f.severity == sev).count();
    use baa_core::coverage::Severity;
    let phi: Vec<&Value> = services.iter().filter(|s| s["phi"] == json!(true)).collect();
    Ok(json!({
        "as_of": day.to_string(),
        "app": app.as_ref().map(|a| a.name.clone()),
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
            .filter(|r| app.as_ref().is_none_or(|a| r.app.as_deref() == Some(a.name.as_str())))
            .collect::<Vec<_>>(),
    }))
}

async fn today(
    Reader(v): Reader,
    State(b): State<Backend>,
    Params(q): Params<CoverageQuery>,
) -> AppResult<Response> {
    ok(coverage_report(&b, &v, q.as_of.as_deref().unwrap_or(""), q.app.as_deref()).await?)
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
