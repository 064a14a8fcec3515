//! The "Platform safeguards" section (issue 18): the checks of each app's imported fly.toml,
//! shown beside the BAA verdict on the dashboard and on service pages.

use baa_core::coverage::{App, Service};
use baa_core::safeguards::{app_phi, CheckState, SafeguardReport, SafeguardResult};
use leptos::prelude::*;

fn state_label(s: CheckState) -> &'static str {
    match s {
        CheckState::Passed => "passed",
        CheckState::PassedByException => "passed by exception",
        CheckState::Failed => "failed",
        CheckState::NotVerifiable => "not verifiable from the data",
    }
}

fn state_class(s: CheckState) -> &'static str {
    match s {
        CheckState::Passed | CheckState::PassedByException => "badge state-accepted",
        CheckState::Failed => "badge state-failed",
        CheckState::NotVerifiable => "badge state-pending",
    }
}

fn result_row(r: &SafeguardResult) -> impl IntoView {
    let problems = r.problems.clone();
    let exception = r.exception.clone();
    view! {
        <tr>
            <td>{r.app.clone().unwrap_or_else(|| "(no app)".into())}</td>
            <td><strong>{r.rule.title()}</strong><br /><code class="rule">{r.rule.as_str()}</code>" "<span class=format!("sev sev-{}", r.severity.as_str())>{r.severity.as_str()}</span></td>
            <td><span class=state_class(r.state)>{state_label(r.state)}</span></td>
            <td><code>{r.at.to_string()}</code></td>
            <td>
                <p>{r.explanation.clone()}</p>
                {(!problems.is_empty() && r.state != CheckState::Passed).then(|| view! {
                    <ul class="plain">{problems.iter().map(|p| view! { <li><code>{p.at.to_string()}</code>": "{p.message.clone()}</li> }).collect_view()}</ul>
                })}
                {exception.map(|e| view! { <p class="muted">"Exception: "{e.reason}" (approved by "{e.approved_by}" on "{e.approved_on.to_string()}")"</p> })}
                {r.next_step.clone().map(|n| view! { <p class="next"><span class="label">"Next step: "</span>{n}</p> })}
            </td>
        </tr>
    }
}

/// The section for `apps` (every app of the workspace when `None`): one row per check of each
/// imported fly.toml, and the PHI apps with no fly.toml, which are not verifiable.
pub fn safeguards_section(
    report: &SafeguardReport,
    apps: &[App],
    services: &[Service],
    only: Option<&[String]>,
) -> impl IntoView {
    let wanted = |name: &str| only.is_none_or(|o| o.iter().any(|a| a == name));
    let results: Vec<SafeguardResult> =
        report.results.iter().filter(|r| r.app.as_deref().is_some_and(wanted)).cloned().collect();
    let missing: Vec<String> = apps
        .iter()
        .filter(|a| wanted(&a.name))
        .filter(|a| !app_phi(services, &a.name).valid_no())
        .filter(|a| !report.results.iter().any(|r| r.app.as_deref() == Some(a.name.as_str())))
        .map(|a| a.name.clone())
        .collect();
    let count = |s: CheckState| results.iter().filter(|r| r.state == s).count();
    let summary = format!(
        "{} passed, {} passed by exception, {} failed, {} not verifiable",
        count(CheckState::Passed),
        count(CheckState::PassedByException),
        count(CheckState::Failed),
        count(CheckState::NotVerifiable),
    );
    let failed = count(CheckState::Failed) > 0;
    view! {
        <section class="card" aria-labelledby="safeguards-h">
            <h2 id="safeguards-h">"Platform safeguards"</h2>
            <p class="hint">"Checked from each app's fly.toml, as imported with the fly snapshot: TLS, credentials kept out of the file, volume snapshots and backups, databases kept private, one file per environment."</p>
            {(!results.is_empty()).then(|| view! { <p class=if failed { "warn-text" } else { "ok-text" }>{summary.clone()}</p> })}
            {(!missing.is_empty()).then(|| view! {
                <p class="warn-text">"Not verifiable from the data: no fly.toml imported for "{missing.join(", ")}". Next step: add each app's fly.toml to the snapshot (scripts/fly-snapshot.sh) and import it."</p>
            })}
            {(results.is_empty() && missing.is_empty()).then(|| view! { <p class="muted">"No fly.toml imported for these apps, and none of them is recorded as handling PHI."</p> })}
            {(!results.is_empty()).then(|| view! {
                <div class="table-wrap" tabindex="0"><table aria-label="Platform safeguard checks">
                    <thead><tr><th scope="col">"App"</th><th scope="col">"Check"</th><th scope="col">"Result"</th><th scope="col">"Where"</th><th scope="col">"Details"</th></tr></thead>
                    <tbody>{results.iter().map(result_row).collect_view()}</tbody>
                </table></div>
            })}
        </section>
    }
}
