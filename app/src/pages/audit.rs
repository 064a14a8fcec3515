//! The audit trail page (owners and auditors): filters, chain verification, export.

use crate::components::app_page;
use crate::inventory_api::audit_data;
use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

fn short(h: &str) -> String {
    h.chars().take(12).collect()
}

/// Who did what, when; whether the chain is intact; export as JSON Lines.
#[component]
pub fn Audit() -> impl IntoView {
    let q = use_query_map();
    let get = move |k: &'static str| move || q.with(|q| q.get(k).unwrap_or_default());
    let key = move || (get("actor")(), get("subject")(), get("action")(), get("from")(), get("to")());
    let data =
        Resource::new(key, |(actor, subject, action, from, to)| audit_data(actor, subject, action, from, to));
    app_page("Audit trail", data, move |_v, _f, d| {
        let verdict = match &d.verification.broken_at {
            None => view! {
                <div class="flash ok" role="status">
                    <strong>"Intact. "</strong>{format!("{} entries; chain head {}.", d.verification.entries, d.verification.head)}
                </div>
            }
            .into_any(),
            Some((seq, why)) => view! {
                <div class="flash error" role="alert">
                    <strong>{format!("Broken at entry {seq}: ")}</strong>{why.clone()}
                </div>
            }
            .into_any(),
        };
        view! {
            <p class="lead">"Every change in this workspace, in order. Each entry holds the SHA-256 of the one before it, so an edit or a deletion anywhere breaks the chain. Nobody can change or delete entries through the app."</p>
            {verdict}
            <form method="post" action="/actions/audit/export" aria-label="Export the audit trail"><button type="submit" class="secondary">"Export as JSON Lines"</button></form>
            <form method="get" action="/audit" class="inline-form filters" aria-label="Filter the audit trail">
                <div class="field"><label for="au-actor">"Actor"</label><input id="au-actor" name="actor" value=d.filter[0].clone() /></div>
                <div class="field"><label for="au-subject">"Subject"</label><input id="au-subject" name="subject" value=d.filter[1].clone() /></div>
                <div class="field"><label for="au-action">"Action"</label><input id="au-action" name="action" value=d.filter[2].clone() /></div>
                <div class="field"><label for="au-from">"From"</label><input id="au-from" type="date" name="from" value=d.filter[3].clone() /></div>
                <div class="field"><label for="au-to">"To"</label><input id="au-to" type="date" name="to" value=d.filter[4].clone() /></div>
                <button type="submit" class="secondary">"Filter"</button>
            </form>
            <div class="table-wrap"><table>
                <thead><tr><th scope="col">"#"</th><th scope="col">"When"</th><th scope="col">"Who"</th><th scope="col">"Action"</th><th scope="col">"Subject"</th><th scope="col">"From"</th><th scope="col">"Hash"</th></tr></thead>
                <tbody>{d.entries.iter().map(|e| view! {
                    <tr>
                        <td>{e.seq}</td><td>{e.when.clone()}</td><td>{e.actor.clone()}</td><td><code>{e.action.clone()}</code></td>
                        <td>{e.subject.clone()}</td><td>{e.source.clone()}</td><td><code title=e.hash.clone()>{short(&e.hash)}</code></td>
                    </tr>
                }).collect_view()}</tbody>
            </table></div>
            {(d.entries.len() >= 500).then(|| view! { <p class="hint">"Showing the newest 500 entries that match; narrow the filter or export for the rest."</p> })}
        }
        .into_any()
    })
}
