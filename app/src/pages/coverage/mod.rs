//! Coverage dashboard, inventory (orgs, apps, services) and agreements pages: the dashboard
//! here, `inventory` and `agreements` in their own files.

mod agreements;
mod inventory;

pub use agreements::{clause_rows, Agreements};
pub use inventory::{phi_fields, Inventory};

use crate::api::{overview_page, Flash};
use crate::components::{
    app_page, field_error, for_form, list_controls, pager, refill, ErrorSummary, Field, ListQuery, PageOf,
};
use crate::inventory_api::{coverage_data, recorded_late, CoverageView};
use baa_core::coverage::{
    Agreement, AgreementKind, Clause, NoPhiBasis, Phi, Role as PartyRole, ServiceProvisioning, Verdict,
};
use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

fn as_of_form(action: &'static str, d: &CoverageView) -> impl IntoView {
    view! {
        <form method="get" action=action class="inline-form as-of">
            <div class="field">
                <label for="as-of">"As of"</label>
                <input id="as-of" type="date" name="as_of" value=d.as_of.clone() max="9999-12-31" />
            </div>
            <button type="submit" class="secondary">"Show"</button>
            {(d.as_of != d.today).then(|| view! { <a href=action class="button small secondary">"Back to today"</a> })}
        </form>
    }
}

/// The founder's one page: coverage, gaps with next steps, what expires soon, the graph.
#[component]
pub fn Dashboard() -> impl IntoView {
    let q = use_query_map();
    let as_of = move || q.with(|q| q.get("as_of").unwrap_or_default());
    let data = Resource::new(as_of, coverage_data);
    let people = Resource::new(|| (), |_| overview_page());
    app_page("Dashboard", data, move |v, _f, d| {
        let s = &d.data.report.summary;
        let past = d.as_of != d.today;
        let findings = &d.data.report.findings;
        let deadlines = &d.data.report.deadlines;
        let late: Vec<(String, String, String)> = d
            .data
            .agreements
            .iter()
            .filter_map(|a| recorded_late(a).map(|t| (a.id.clone(), a.title.clone(), t)))
            .collect();
        let corrections = &d.data.corrections;
        let corrected = &d.data.corrected_verdicts;
        let cov_class = if s.uncovered_phi > 0 {
            "warn-text"
        } else if s.phi_services == 0 {
            ""
        } else {
            "ok-text"
        };
        let no_services = d.data.services.is_empty();
        let can_import = v.role.allows(baa_core::account::Permission::EditInventory);
        view! {
            <p class="lead">"Welcome, "{v.name.clone()}". You are "<strong>{v.role.label()}</strong>" in "{v.workspace_name.clone()}"."</p>
            {as_of_form("/", &d)}
            {past.then(|| view! { <p class="flash neutral" role="status">{if d.as_of < d.today { format!("Showing the record as it stood at the end of {}; corrections made later are listed below.", d.as_of) } else { format!("Showing the record as planned for {}.", d.as_of) }}</p> })}
            <div class="cards">
                <section class="card" aria-labelledby="cov-h">
                    <h2 id="cov-h">"Coverage"</h2>
                    <p class="big">{s.covered_phi}" / "{s.phi_services}<span class="unit">" PHI services covered"</span></p>
                    <p class=cov_class>
                        {if s.uncovered_phi > 0 { format!("{} PHI service(s) not covered", s.uncovered_phi) } else if s.phi_services == 0 { "No PHI services recorded yet.".to_string() } else { "Every PHI service is covered.".to_string() }}
                    </p>
                    <p class="hint">{s.no_phi}" service(s) recorded as not handling PHI."</p>
                </section>
                <section class="card" aria-labelledby="sev-h">
                    <h2 id="sev-h">"Open findings"</h2>
                    <ul class="plain sev-counts">
                        <li><span class="sev sev-critical">"critical"</span>" "{s.critical}</li>
                        <li><span class="sev sev-high">"high"</span>" "{s.high}</li>
                        <li><span class="sev sev-medium">"medium"</span>" "{s.medium}</li>
                        <li><span class="sev sev-warning">"warning"</span>" "{s.warning}</li>
                        <li><span class="sev sev-low">"low"</span>" "{s.low}</li>
                    </ul>
                </section>
                <section class="card" aria-labelledby="exp-h">
                    <h2 id="exp-h">"Ending or due soon"</h2>
                    {if deadlines.is_empty() {
                        view! { <p>"No agreement ends, and no renewal notice is due, within the reminder windows."</p> }.into_any()
                    } else {
                        view! { <ul class="plain">{deadlines.iter().map(|e| view! { <li><a href=format!("/agreements/{}", e.agreement)><strong>{e.name.clone()}</strong></a>" "{e.kind.label()}" "{e.on.to_string()}" ("{e.days_left}" days)"</li> }).collect_view()}</ul> }.into_any()
                    }}
                </section>
            </div>
            {crate::pages::safeguards::safeguards_section(&d.data.safeguards, &d.data.apps, &d.data.services, None)}
            <section aria-labelledby="findings-h">
                <h2 id="findings-h">"Findings and next steps"</h2>
                {if findings.is_empty() && no_services {
                    empty_state("Nothing to evaluate yet: no services are recorded.", can_import).into_any()
                } else if findings.is_empty() {
                    view! { <p class="ok-text">"No findings."</p> }.into_any()
                } else {
                    view! { <div class="findings-list" inner_html=d.data.findings_html.clone()></div> }.into_any()
                }}
            </section>
            {(!corrections.is_empty()).then(|| view! {
                <section aria-labelledby="corr-h" class="card">
                    <h2 id="corr-h">"Corrected later"</h2>
                    <p>"These records were entered after "{d.as_of.clone()}" but say they held on it. The verdicts above are as recorded by the end of that day."</p>
                    {(!corrected.is_empty()).then(|| view! {
                        <ul class="plain">{corrected.iter().map(|(name, was, now)| view! { <li><strong>{name.clone()}</strong>": "{was.clone()}" as recorded, "{now.clone()}" with the corrections"</li> }).collect_view()}</ul>
                    })}
                    <div class="table-wrap" tabindex="0"><table>
                        <thead><tr><th scope="col">"Record"</th><th scope="col">"Change"</th><th scope="col">"Holds from"</th><th scope="col">"Corrected on"</th><th scope="col">"By"</th><th scope="col">"Why"</th></tr></thead>
                        <tbody>{corrections.iter().map(|c| view! { <tr><td>{format!("{} {}", c.kind, c.name)}</td><td>{c.change.clone()}</td><td>{c.effective_on.clone()}</td><td>{c.recorded_at.clone()}</td><td>{c.actor.clone()}</td><td>{c.reason.clone()}</td></tr> }).collect_view()}</tbody>
                    </table></div>
                </section>
            })}
            {(!late.is_empty()).then(|| view! {
                <section aria-labelledby="late-h">
                    <h2 id="late-h">"Agreements recorded after the day they claim"</h2>
                    <ul class="plain">{late.iter().map(|(id, title, t)| view! { <li><a href=format!("/agreements/{id}")>{title.clone()}</a>": "{t.clone()}</li> }).collect_view()}</ul>
                </section>
            })}
            <section aria-labelledby="graph-h">
                <h2 id="graph-h">"Chain of agreements"</h2>
                <div class="graph-wrap" tabindex="0" role="group" aria-label="Relationship graph" inner_html=d.data.graph_svg.clone()></div>
            </section>
            <Suspense fallback=|| ()>
                {move || Suspend::new(async move {
                    people.await.ok().map(|p| view! {
                        <section aria-labelledby="people-h" class="card">
                            <h2 id="people-h">"People and sign-in security"</h2>
                            <p>{p.by_role.iter().map(|(r, n)| format!("{}: {n}", r.label())).collect::<Vec<_>>().join(" · ")}</p>
                            <p>{if p.require_2fa { "Two-factor sign-in is required." } else { "Two-factor sign-in is optional." }}" Automatic sign-out after "{p.idle_minutes}" idle minutes."</p>
                            {(!p.without_2fa.is_empty()).then(|| view! { <p class="warn-text">"Without two-factor sign-in: "{p.without_2fa.join(", ")}"."</p> })}
                        </section>
                    })
                })}
            </Suspense>
        }
        .into_any()
    })
}

/// `s` made safe for a URL's query.
fn url_part(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-_.".contains(&b) {
                char::from(b).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

fn verdict_text(v: &Verdict) -> (&'static str, String) {
    match v {
        Verdict::Covered { chain } => ("ok-text", format!("covered ({} agreement(s))", chain.len())),
        Verdict::CoveredNoPhi { reason } => ("muted", format!("no PHI: {reason}")),
        Verdict::Uncovered { .. } => ("warn-text", "NOT covered".to_string()),
    }
}

/// A neutral empty state with the next action: importing from Fly for those who may.
fn empty_state(text: &'static str, can_import: bool) -> impl IntoView {
    view! {
        <div class="empty-state" role="status">
            <p>{text}</p>
            {if can_import {
                view! { <p><a class="button" href="/import">"Import from fly"</a>" or add them by hand."</p> }.into_any()
            } else {
                view! { <p>"Engineers and owners add them, usually by importing from fly."</p> }.into_any()
            }}
        </div>
    }
}

/// `aria-describedby` and the error line of a hand-built field of form `prefix`.
fn described(prefix: &str, f: &Option<Flash>, field: &str) -> (Option<String>, Option<String>, String) {
    let e = field_error(f, field);
    let id = format!("{prefix}-{field}-error");
    (e.is_some().then(|| id.clone()), e, id)
}

/// An error line for a hand-built field (its id is what the input's `aria-describedby` names).
fn error_line(message: &Option<String>, id: &str) -> impl IntoView {
    let id = id.to_string();
    message.clone().map(|m| view! { <p class="field-error" id=id>{m}</p> })
}

/// A `<select>` with its label, the option chosen when the form was refused (else `default`),
/// and its error beside it.
fn select_field(
    prefix: &str,
    f: &Option<Flash>,
    label: &'static str,
    name: &str,
    options: Vec<(String, String)>,
    default: &str,
) -> impl IntoView {
    let chosen = match f {
        Some(fl) if fl.error && fl.values.iter().any(|(k, _)| k == name) => fl.value(name),
        _ => default.to_string(),
    };
    let id = format!("{prefix}-{name}");
    let (desc, err, err_id) = described(prefix, f, name);
    view! {
        <div class="field" class:has-error=err.is_some()><label for=id.clone()>{label}</label>
            <select id=id name=name.to_string() aria-invalid=err.is_some().then_some("true") aria-describedby=desc>
                {options.into_iter().map(|(v, l)| { let sel = v == chosen; view! { <option value=v selected=sel>{l}</option> } }).collect_view()}
            </select>
            {error_line(&err, &err_id)}</div>
    }
}
