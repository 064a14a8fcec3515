//! "Coverage over time": a period's spans per service with a timeline picture, the agreements
//! in force, corrections recorded later, and what changed between the two days. Read-only:
//! everyone signed in (auditors too) can read it; it needs no JavaScript.

use crate::components::app_page;
use crate::period_api::{period_data, ItemRow};
use baa_core::coverage::SpanState;
use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

fn reason(s: &SpanState) -> String {
    match s {
        SpanState::Covered { chain } => format!("chain: {}", chain.join(" → ")),
        SpanState::NoPhi { reason } => reason.clone(),
        SpanState::Uncovered { why } => why.clone(),
        SpanState::Absent => "the service was not in the record on these days".into(),
        SpanState::Unrecorded => "nothing was recorded in the workspace yet: the data cannot tell".into(),
    }
}

fn items(caption: &'static str, rows: Vec<ItemRow>) -> impl IntoView {
    view! {
        <h3>{caption}</h3>
        {if rows.is_empty() {
            view! { <p class="hint">"No change."</p> }.into_any()
        } else {
            view! {
                <ul>{rows.into_iter().map(|(name, change, fields)| view! {
                    <li><strong>{name}</strong>" "{change}{(!fields.is_empty()).then(|| format!(" ({})", fields.join(", ")))}</li>
                }).collect_view()}</ul>
            }.into_any()
        }}
    }
}

/// The period page.
#[component]
pub fn CoverageOverTime() -> impl IntoView {
    let q = use_query_map();
    let key = move || q.with(|q| (q.get("from").unwrap_or_default(), q.get("to").unwrap_or_default()));
    let data = Resource::new(key, |(from, to)| period_data(from, to));
    app_page("Coverage over time", data, move |_v, _f, d| {
        let picker = view! {
            <form method="get" action="/coverage/period" class="inline-form" aria-label="Choose a period">
                <div class="field"><label for="p-from">"From"</label><input id="p-from" type="date" name="from" value=d.from.clone() max=d.today.clone() /></div>
                <div class="field"><label for="p-to">"To"</label><input id="p-to" type="date" name="to" value=d.to.clone() max=d.today.clone() /></div>
                <button type="submit" class="secondary">"Show"</button>
            </form>
        };
        let Some(report) = d.report.clone() else {
            return view! {
                <p class="lead">"Pick a period (at most three years, ending today at the latest)."</p>
                {picker}
                {d.error.clone().map(|e| view! { <div class="flash error" role="alert">{e}</div> })}
            }
            .into_any();
        };
        let headline = if report.covered_every_day {
            view! { <div class="flash ok" role="status"><strong>"Covered every day. "</strong>{format!("Every service was covered on every day it existed, {} to {}.", report.from, report.to)}</div> }.into_any()
        } else if report.days_unrecorded > 0 {
            view! { <div class="flash error" role="status"><strong>"Not shown as covered every day. "</strong>{format!("Nothing was recorded for {} of the {} days, so the record cannot tell for them.", report.days_unrecorded, report.days)}</div> }.into_any()
        } else {
            let gaps = report.services.iter().filter(|s| s.days_uncovered > 0).count();
            view! { <div class="flash error" role="status"><strong>"Not covered every day. "</strong>{format!("{gaps} service(s) had days without coverage.")}</div> }.into_any()
        };
        let timelines = d.timelines.clone();
        let services = report.services.clone();
        view! {
            <p class="lead">"Each day is read as it was recorded by the end of that day: a record entered later does not fill a past gap; it is listed below as a correction."</p>
            {picker}
            {headline}
            <h2>"Services"</h2>
            {if services.is_empty() { Some(view! { <p class="hint">"No service existed in this period."</p> }) } else { None }}
            {services.into_iter().zip(timelines).map(|(s, svg)| {
                let summary = format!(
                    "{} of {} days present: {} covered, {} no PHI, {} not covered{}",
                    s.days_present, report.days, s.days_covered, s.days_no_phi, s.days_uncovered,
                    if s.covered_every_day { " (covered every day it existed)" } else { "" }
                );
                view! {
                    <section class="period-service" aria-label=s.name.clone()>
                        <h3><a href=format!("/services/{}", s.service)>{s.name.clone()}</a></h3>
                        <p>{summary}</p>
                        <div class="timeline" inner_html=svg></div>
                        <div class="table-wrap" tabindex="0"><table>
                            <caption class="visually-hidden">{format!("Spans of {}", s.name)}</caption>
                            <thead><tr><th scope="col">"From"</th><th scope="col">"To"</th><th scope="col">"Days"</th><th scope="col">"State"</th><th scope="col">"Reason"</th></tr></thead>
                            <tbody>{s.spans.iter().map(|sp| view! {
                                <tr class=if matches!(sp.state, SpanState::Uncovered { .. }) { "gap" } else { "" }>
                                    <td>{sp.from.to_string()}</td><td>{sp.to.to_string()}</td><td>{sp.days}</td>
                                    <td>{sp.state.label()}</td><td>{reason(&sp.state)}</td>
                                </tr>
                            }).collect_view()}</tbody>
                        </table></div>
                    </section>
                }
            }).collect_view()}
            <h2>"Agreements in force"</h2>
            {if d.agreements.is_empty() {
                view! { <p class="hint">"No agreement was in force on any day of the period."</p> }.into_any()
            } else {
                view! {
                    <div class="table-wrap" tabindex="0"><table>
                        <thead><tr><th scope="col">"Agreement"</th><th scope="col">"With"</th><th scope="col">"In force from"</th><th scope="col">"to"</th></tr></thead>
                        <tbody>{d.agreements.iter().map(|a| view! {
                            <tr><td><a href=format!("/agreements/{}", a.id)>{a.title.clone()}</a></td><td>{a.counterparty.clone()}</td><td>{a.first_day.clone()}</td><td>{a.last_day.clone()}</td></tr>
                        }).collect_view()}</tbody>
                    </table></div>
                }.into_any()
            }}
            <h2>"Corrections recorded later"</h2>
            {if d.corrections.is_empty() {
                view! { <p class="hint">"None: every version holding in the period was recorded by the end of the days it holds on."</p> }.into_any()
            } else {
                view! {
                    <div class="table-wrap" tabindex="0"><table>
                        <thead><tr><th scope="col">"Record"</th><th scope="col">"Change"</th><th scope="col">"Holds from"</th><th scope="col">"Recorded"</th><th scope="col">"By"</th><th scope="col">"Why"</th></tr></thead>
                        <tbody>{d.corrections.iter().map(|c| view! {
                            <tr><td>{format!("{} {}", c.kind, c.name)}</td><td>{c.change.clone()}</td><td>{c.effective_on.clone()}</td><td>{c.recorded_at.clone()}</td><td>{c.actor.clone()}</td><td>{c.reason.clone()}</td></tr>
                        }).collect_view()}</tbody>
                    </table></div>
                    {(!d.corrected.is_empty()).then(|| view! {
                        <p>"With these corrections folded in:"</p>
                        <ul>{d.corrected.iter().map(|(n, c, u)| view! { <li>{format!("{n}: {c} days covered, {u} not covered")}</li> }).collect_view()}</ul>
                    })}
                }.into_any()
            }}
            <h2>{format!("What changed from {} to {}", d.from, d.to)}</h2>
            {items("Services", d.diff_services.clone())}
            {items("Agreements", d.diff_agreements.clone())}
            <h3>"Verdicts"</h3>
            {if d.diff_verdicts.is_empty() {
                view! { <p class="hint">"No verdict changed."</p> }.into_any()
            } else {
                view! { <ul>{d.diff_verdicts.iter().map(|(n, a, b)| view! { <li><strong>{n.clone()}</strong>{format!(": {a} → {b}")}</li> }).collect_view()}</ul> }.into_any()
            }}
            <h3>"Who changed what"</h3>
            {if d.changes.is_empty() {
                view! { <p class="hint">"Nothing was recorded between the two days."</p> }.into_any()
            } else {
                view! {
                    <div class="table-wrap" tabindex="0"><table>
                        <thead><tr><th scope="col">"When"</th><th scope="col">"Who"</th><th scope="col">"Action"</th><th scope="col">"Subject"</th><th scope="col">"Holds from"</th><th scope="col">"Why"</th></tr></thead>
                        <tbody>{d.changes.iter().map(|(when, who, action, subject, eff, why)| view! {
                            <tr><td>{when.clone()}</td><td>{who.clone()}</td><td><code>{action.clone()}</code></td><td>{subject.clone()}</td><td>{eff.clone()}</td><td>{why.clone()}</td></tr>
                        }).collect_view()}</tbody>
                    </table></div>
                }.into_any()
            }}
            <p class="hint">{format!("The engine ran on {} change days of {}; verdicts are carried between them.", d.evaluated_days, report.days)}</p>
        }
        .into_any()
    })
}
