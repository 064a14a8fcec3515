//! Server function and view data of the "Coverage over time" page, and the timeline picture.

use crate::api::UiError;
use crate::inventory_api::CorrectionRow;
use baa_core::coverage::{PeriodReport, ServicePeriod, SpanState};
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

/// An agreement in force on some day of the period.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AgreementRow {
    /// Id.
    pub id: String,
    /// Title.
    pub title: String,
    /// The other party.
    pub counterparty: String,
    /// First day in force within the period.
    pub first_day: String,
    /// Last day in force within the period.
    pub last_day: String,
}

/// One line of the difference: (name, added/removed/changed, fields).
pub type ItemRow = (String, String, Vec<String>);

/// One recorded change: (when, who, action, subject, effective from, reason).
pub type ChangeRow = (String, String, String, String, String, String);

/// Everything the page shows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PeriodPage {
    /// First day asked for.
    pub from: String,
    /// Last day asked for.
    pub to: String,
    /// Today.
    pub today: String,
    /// Why the period cannot be shown (bad input), when it cannot.
    pub error: Option<String>,
    /// The spans.
    pub report: Option<PeriodReport>,
    /// One SVG picture per service of the report, in the same order.
    pub timelines: Vec<String>,
    /// Agreements in force on any day.
    pub agreements: Vec<AgreementRow>,
    /// Versions recorded after the days they hold on.
    pub corrections: Vec<CorrectionRow>,
    /// (service, days covered, days not covered) with every correction folded in, for the
    /// services the corrections change.
    pub corrected: Vec<(String, i64, i64)>,
    /// Services added, removed or changed between the two days.
    pub diff_services: Vec<ItemRow>,
    /// Agreements added, removed or changed.
    pub diff_agreements: Vec<ItemRow>,
    /// (service, before, after).
    pub diff_verdicts: Vec<(String, String, String)>,
    /// Who changed what, oldest first.
    pub changes: Vec<ChangeRow>,
    /// Days the engine evaluated.
    pub evaluated_days: usize,
}

fn esc(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

/// A timeline picture of one service: one bar across the period, a segment per span (green
/// covered, hatched grey no PHI, red not covered, light grey absent or not recorded), each with a
/// title giving its days and state; the first and last day written below.
pub fn timeline_svg(s: &ServicePeriod, from: &str, to: &str, days: i64) -> String {
    const W: f64 = 600.0;
    let days = days.max(1) as f64;
    let mut out = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {W} 40\" width=\"100%\" role=\"img\" aria-label=\"{}\">",
        esc(&format!(
            "{}: {} days covered, {} with no PHI, {} not covered",
            s.name, s.days_covered, s.days_no_phi, s.days_uncovered
        ))
    );
    let mut offset = 0.0;
    for span in &s.spans {
        let w = span.days as f64 / days * W;
        let (fill, label) = match &span.state {
            SpanState::Covered { .. } => ("#2e7d32", "covered"),
            SpanState::NoPhi { .. } => ("#90a4ae", "no PHI"),
            SpanState::Uncovered { .. } => ("#c62828", "not covered"),
            SpanState::Absent => ("#eceff1", "not in the record"),
            SpanState::Unrecorded => ("#cfd8dc", "nothing recorded yet"),
        };
        out.push_str(&format!(
            "<rect x=\"{offset:.2}\" y=\"4\" width=\"{w:.2}\" height=\"18\" fill=\"{fill}\"><title>{}</title></rect>",
            esc(&format!("{} to {} ({} days): {label}", span.from, span.to, span.days))
        ));
        offset += w;
    }
    out.push_str(&format!(
        "<text x=\"0\" y=\"36\" font-size=\"11\">{}</text><text x=\"{W}\" y=\"36\" font-size=\"11\" text-anchor=\"end\">{}</text></svg>",
        esc(from),
        esc(to)
    ));
    out
}

/// Loads the page for `[from, to]` (YYYY-MM-DD; empty: the 365 days ending today).
#[server(endpoint = "period_data")]
pub async fn period_data(from: String, to: String) -> Result<PeriodPage, UiError> {
    use baa_backend::error::AppError;
    use baa_backend::inventory;
    let (b, v) = crate::ssr::context().await?;
    let today = inventory::today_for(&b);
    let mut page = PeriodPage {
        from: from.clone(),
        to: to.clone(),
        today: today.to_string(),
        error: None,
        report: None,
        timelines: Vec::new(),
        agreements: Vec::new(),
        corrections: Vec::new(),
        corrected: Vec::new(),
        diff_services: Vec::new(),
        diff_agreements: Vec::new(),
        diff_verdicts: Vec::new(),
        changes: Vec::new(),
        evaluated_days: 0,
    };
    let days = inventory::date("to", &to).and_then(|to| {
        let to = to.unwrap_or(today);
        Ok((inventory::date("from", &from)?.unwrap_or_else(|| to - chrono::Duration::days(364)), to))
    });
    let (from, to) = match days {
        Ok(d) => d,
        Err(AppError::Invalid(i)) => {
            page.error = Some(format!("{}: {}", i.field, i.message));
            return Ok(page);
        }
        Err(e) => return Err(e.into()),
    };
    page.from = from.to_string();
    page.to = to.to_string();
    let view = match inventory::coverage_period(&b, &v, from, to).await {
        Ok(view) => view,
        Err(AppError::Invalid(i)) => {
            page.error = Some(format!("{}: {}", i.field, i.message));
            return Ok(page);
        }
        Err(e) => return Err(e.into()),
    };
    let diff = inventory::coverage_diff(&b, &v, from, to).await?;
    page.timelines = view
        .report
        .services
        .iter()
        .map(|s| timeline_svg(s, &page.from, &page.to, view.report.days))
        .collect();
    page.agreements = view
        .agreements
        .iter()
        .map(|a| AgreementRow {
            id: a.id.clone(),
            title: a.title.clone(),
            counterparty: a.counterparty.clone(),
            first_day: a.first_day.to_string(),
            last_day: a.last_day.to_string(),
        })
        .collect();
    page.corrections = view
        .corrections
        .into_iter()
        .map(|c| CorrectionRow {
            kind: c.kind.as_str().to_owned(),
            name: c.name,
            change: c.change,
            effective_on: c.effective_on,
            recorded_at: c.recorded_at,
            actor: c.actor,
            reason: c.reason.unwrap_or_default(),
        })
        .collect();
    page.corrected =
        view.corrected.iter().map(|s| (s.name.clone(), s.days_covered, s.days_uncovered)).collect();
    let items = |v: &[baa_backend::storage::period::ItemChange]| -> Vec<ItemRow> {
        v.iter().map(|i| (i.name.clone(), i.change.clone(), i.fields.clone())).collect()
    };
    page.diff_services = items(&diff.services);
    page.diff_agreements = items(&diff.agreements);
    page.diff_verdicts = diff.verdicts.into_iter().map(|v| (v.name, v.before, v.after)).collect();
    page.changes = diff
        .changes
        .into_iter()
        .map(|c| {
            (
                c.recorded_at,
                c.actor,
                c.action,
                c.subject_name,
                c.effective_on.unwrap_or_default(),
                c.reason.unwrap_or_default(),
            )
        })
        .collect();
    page.evaluated_days = view.evaluated_days;
    page.report = Some(view.report);
    Ok(page)
}
