//! The audit trail page (owners and auditors): filters, chain verification, export.

use crate::audit_api::{audit_data, AuditRow};
use crate::components::app_page;
use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

/// Percent-encodes a query value.
fn enc(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// A `<select>` of the values present in the chain, with "any" first.
fn choice(
    id: &'static str,
    name: &'static str,
    label: &'static str,
    values: &[String],
    chosen: &str,
) -> impl IntoView {
    let chosen = chosen.to_string();
    let known = chosen.is_empty() || values.contains(&chosen);
    view! {
        <div class="field">
            <label for=id>{label}</label>
            <select id=id name=name>
                <option value="">"any"</option>
                {(!known).then(|| view! { <option value=chosen.clone() selected=true>{chosen.clone()}</option> })}
                {values.iter().map(|v| view! { <option value=v.clone() selected=*v == chosen>{v.clone()}</option> }).collect_view()}
            </select>
        </div>
    }
}

fn entry(e: &AuditRow) -> impl IntoView {
    let changes = if e.changes.is_empty() {
        view! { <p class="hint">"No field values recorded for this entry."</p> }.into_any()
    } else {
        view! {
            <div class="table-wrap" tabindex="0"><table>
                <thead><tr><th scope="col">"Field"</th><th scope="col">"Before"</th><th scope="col">"After"</th></tr></thead>
                <tbody>{e.changes.iter().map(|(k, b, a)| view! { <tr><td><code>{k.clone()}</code></td><td class="wrap">{b.clone()}</td><td class="wrap">{a.clone()}</td></tr> }).collect_view()}</tbody>
            </table></div>
        }
        .into_any()
    };
    let subject = match &e.link {
        Some(href) => view! { <a href=href.clone()>{e.subject.clone()}</a> }.into_any(),
        None => view! { <span>{e.subject.clone()}</span> }.into_any(),
    };
    view! {
        <li>
            <details>
                <summary>
                    <span class="audit-seq">{format!("#{}", e.seq)}</span>" "
                    <span class="audit-when">{e.when.clone()}</span>" "
                    <strong>{e.actor.clone()}</strong>" "
                    <code>{e.action.clone()}</code>" "
                    <span>{e.subject.clone()}</span>
                </summary>
                <div class="audit-detail">
                    <p>"Subject: "{subject}</p>
                    <p>"Reason: "{e.reason.clone().unwrap_or_else(|| "none recorded".into())}</p>
                    {changes}
                    <p class="hint">"From "{e.source.clone()}" · hash "<code class="wrap">{e.hash.clone()}</code></p>
                </div>
            </details>
        </li>
    }
}

/// Who did what, when; whether the chain is intact; export as JSON Lines.
#[component]
pub fn Audit() -> impl IntoView {
    let q = use_query_map();
    let get = move |k: &'static str| move || q.with(|q| q.get(k).unwrap_or_default());
    let key = move || {
        (
            (get("actor")(), get("subject")(), get("action")(), get("from")(), get("to")()),
            (get("kind")(), get("page")().parse::<u32>().unwrap_or(1), get("order")()),
        )
    };
    let data = Resource::new(key, |((actor, subject, action, from, to), (kind, page, order))| {
        audit_data(actor, subject, action, from, to, kind, page, order)
    });
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
        let query = |page: u32| {
            let f = &d.filter;
            format!(
                "/audit?actor={}&subject={}&action={}&kind={}&from={}&to={}{}&page={page}",
                enc(&f[0]),
                enc(&f[1]),
                enc(&f[2]),
                enc(&d.kind),
                enc(&f[3]),
                enc(&f[4]),
                if d.oldest_first { "&order=oldest" } else { "" }
            )
        };
        let page = d.page.max(1);
        let (back, on) = if d.oldest_first {
            ("Older entries", "Newer entries")
        } else {
            ("Newer entries", "Older entries")
        };
        let newer = (page > 1).then(|| view! { <a href=query(page - 1) rel="prev">{back}</a> });
        let older = d.more.then(|| view! { <a href=query(page + 1) rel="next">{on}</a> });
        let mut actions = vec!["login.".to_string()];
        actions.extend(d.choices.actions.iter().cloned());
        let list = if d.entries.is_empty() {
            view! { <p class="empty-state" role="status">"No entries match this filter."</p> }.into_any()
        } else {
            view! { <ol class="audit-list" aria-label="Audit entries">{d.entries.iter().map(entry).collect_view()}</ol> }.into_any()
        };
        view! {
            <p class="lead">"Every change in this workspace, newest first unless you choose otherwise. Each entry holds the SHA-256 of the one before it, so an edit or a deletion anywhere breaks the chain. Nobody can change or delete entries through the app."</p>
            {verdict}
            <form method="post" action="/actions/audit/export" aria-label="Export the audit trail"><button type="submit" class="secondary">"Export as JSON Lines"</button></form>
            <form method="get" action="/audit" class="inline-form filters" aria-label="Filter the audit trail">
                {choice("au-actor", "actor", "Actor", &d.choices.actors, &d.filter[0])}
                {choice("au-action", "action", "Action", &actions, &d.filter[2])}
                {choice("au-kind", "kind", "Subject kind", &d.choices.kinds, &d.kind)}
                <div class="field"><label for="au-subject">"Subject contains"</label><input id="au-subject" name="subject" value=d.filter[1].clone() /></div>
                <div class="field"><label for="au-from">"From"</label><input id="au-from" type="date" name="from" value=d.filter[3].clone() /></div>
                <div class="field"><label for="au-to">"To"</label><input id="au-to" type="date" name="to" value=d.filter[4].clone() /></div>
                <div class="field"><label for="au-order">"Order"</label><select id="au-order" name="order">
                    <option value="">"newest first"</option>
                    <option value="oldest" selected=d.oldest_first>"oldest first"</option>
                </select></div>
                <button type="submit" class="secondary">"Filter"</button>
            </form>
            <p><a href="/audit?action=login.">"Show sign-ins"</a>" · "<a href="/audit">"Clear the filter"</a></p>
            {list}
            <nav class="pager" aria-label="Audit pages">
                {newer}
                <span>{format!("Page {page}, {} per page", crate::audit_api::AUDIT_PAGE)}</span>
                {older}
            </nav>
        }
        .into_any()
    })
}
