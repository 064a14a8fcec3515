//! The dashboard's findings and actions as HTML, rendered once per coverage view (not per
//! request) by the data loader in `crate::inventory_api` and shown by the dashboard page.
//! Kept out of `crate::pages` so the loader does not import the pages that import it.

use baa_core::coverage::{Action, Finding, RuleId, Severity};
use leptos::prelude::*;

/// The badge of a severity: its id as the label, styled by `sev-<id>`.
fn severity_badge(s: Severity) -> impl IntoView {
    view! { <span class=format!("sev sev-{}", s.as_str())>{s.as_str()}</span> }
}

fn finding_row(f: &Finding) -> impl IntoView {
    view! {
        <li class="finding">
            {severity_badge(f.severity)}
            " "
            <code class="rule">{f.rule.as_str()}</code>
            " "
            <strong>{f.subject.name.clone()}</strong>
            <p>{f.explanation.clone()}</p>
            <p class="next"><span class="label">"Next step: "</span>{f.next_step.clone()}</p>
        </li>
    }
}

/// How many of an action's services are listed when it is opened; the rest are one link away.
const ACTION_LISTED: usize = 20;

/// One action: a single finding as it is, or a group of services that one step fixes, closed to
/// its headline and count ("Move Sentry from Team to Business: 212 services in 40 apps").
fn action_item(a: &Action, findings: &[Finding]) -> AnyView {
    let members: Vec<&Finding> = a.findings.iter().filter_map(|&i| findings.get(i)).collect();
    if members.len() == 1 {
        return finding_row(members[0]).into_any();
    }
    let more = members.len().saturating_sub(ACTION_LISTED);
    let list = a.vendor.as_ref().map(|v| {
        let verdict = if a.rule == RuleId::UncoveredService || a.rule == RuleId::PlanIneligible {
            "&verdict=uncovered"
        } else {
            ""
        };
        format!("/inventory?vendor={v}{verdict}#services-h")
    });
    view! {
        <li class="finding action">
            <details>
                <summary>
                    {severity_badge(a.severity)}
                    " "
                    <code class="rule">{a.rule.as_str()}</code>
                    " "
                    <strong>{a.headline.clone()}</strong>
                    {format!(": {}", a.scope())}
                </summary>
                {a.why.clone().map(|w| view! { <p>"What they share: "{w}"."</p> })}
                <ul class="findings">{members.iter().take(ACTION_LISTED).map(|f| finding_row(f)).collect_view()}</ul>
                {(more > 0).then(|| view! {
                    <p>{format!("and {more} more")}{list.clone().map(|href| view! { ": "<a href=href>"see them in the inventory"</a> })}</p>
                })}
            </details>
        </li>
    }
    .into_any()
}

/// The dashboard's actions and findings as HTML: rendered once per view and shared by every
/// request until the next write (see `CoverageShared::findings_html`); empty without findings.
pub fn findings_html(report: &baa_core::coverage::Report) -> String {
    if report.findings.is_empty() {
        return String::new();
    }
    view! { <ul class="findings">{report.actions.iter().map(|a| action_item(a, &report.findings)).collect_view()}</ul> }
        .to_html()
}
