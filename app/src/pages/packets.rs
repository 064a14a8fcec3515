//! Evidence packets: generate one for a day, follow its progress, download the PDF and the
//! bundle (buttons that POST, so the download is recorded without a cross-site trigger), and
//! the public key that signs bundle manifests. While a packet is being made the page asks for
//! its progress every two seconds (the `PacketProgress` island) and reloads once it is done,
//! and says so in a status line; without JavaScript the line offers a link to reload. (A meta
//! refresh would do it without a script, but reloading a page under the reader's feet fails
//! WCAG 2.2.1.)

use crate::api::{packets_page, PacketRow, SigningKeyRow};
use crate::components::{app_page, field_error, for_form, refill};
use leptos::prelude::*;

/// Whether a packet is still being made.
fn busy(packets: &[PacketRow]) -> bool {
    packets.iter().any(|p| p.status == "queued" || p.status == "running")
}

/// While a packet is being made: says so, and (an island, in the browser) asks every two
/// seconds whether it is done, then reloads the page once to show it. Without JavaScript the
/// line offers the reload as a link.
#[island]
fn PacketProgress() -> impl IntoView {
    Effect::new(move |_| {
        let look = move || {
            leptos::task::spawn_local(async move {
                if packets_page().await.is_ok_and(|d| !busy(&d.packets)) {
                    let _ = window().location().reload();
                }
            });
        };
        let _ = set_interval_with_handle(look, std::time::Duration::from_secs(2));
    });
    view! {
        <p class="flash neutral" role="status">
            "A packet is being made. This page updates itself when it is ready; "
            <a href="/packets">"reload it"</a>
            " if it does not."
        </p>
    }
}

/// The evidence packets page.
#[component]
pub fn Packets() -> impl IntoView {
    let data = Resource::new(|| (), |_| packets_page());
    app_page("Evidence packets", data, |_v, f, d| {
        let busy = busy(&d.packets);
        // A refused request comes back with the dates as they were typed.
        let f = for_form(&f, "packet");
        let refused = f.as_ref().is_some_and(|x| x.error);
        let as_of = if refused { refill(&f, "as_of") } else { d.today.clone() };
        let period_from = if refused { refill(&f, "period_from") } else { String::new() };
        view! {
            {busy.then(|| view! { <PacketProgress /> })}
            <section class="card" aria-labelledby="new-h">
                <h2 id="new-h">"Generate an evidence packet"</h2>
                <p class="hint">"A packet shows the record as it stood at the end of the chosen day: coverage, business associates, agreements with their history, clause evidence and signed documents, open findings and the audit trail. You get a PDF to read and a ZIP bundle anyone can check offline with "<code>"baa-tracker verify-packet"</code>"."</p>
                <form method="post" action="/actions/packets/create" class="inline-form" aria-label="Generate an evidence packet">
                    <div class="field" class:has-error=field_error(&f, "as_of").is_some()>
                        <label for="packet-as-of">"As of"</label>
                        <input id="packet-as-of" name="as_of" type="date" value=as_of max=d.today.clone() required aria-describedby=field_error(&f, "as_of").map(|_| "packet-as-of-error") />
                        {field_error(&f, "as_of").map(|e| view! { <p class="field-error" id="packet-as-of-error" role="alert">{e}</p> })}
                    </div>
                    <div class="field" class:has-error=field_error(&f, "period_from").is_some()>
                        <label for="packet-period-from">"Period from (optional)"</label>
                        <input id="packet-period-from" name="period_from" type="date" value=period_from max=d.today.clone() aria-describedby=if field_error(&f, "period_from").is_some() { "packet-period-hint packet-period-error" } else { "packet-period-hint" } />
                        <p class="hint" id="packet-period-hint">"For a period packet: its first day; the as-of date is its last. Adds each service's timeline, every agreement in force on any day, and the changes."</p>
                        {field_error(&f, "period_from").map(|e| view! { <p class="field-error" id="packet-period-error" role="alert">{e}</p> })}
                    </div>
                    <button type="submit">"Generate packet"</button>
                </form>
                {field_error(&f, "packet").map(|e| view! { <p class="field-error" role="alert">{e}</p> })}
            </section>
            <section aria-labelledby="list-h">
                <h2 id="list-h">"Packets"</h2>
                {if d.packets.is_empty() {
                    view! { <p class="hint">"No packets yet."</p> }.into_any()
                } else {
                    view! {
                        <div class="table-wrap" tabindex="0"><table>
                            <thead><tr>
                                <th scope="col">"As of"</th>
                                <th scope="col">"Requested"</th>
                                <th scope="col">"Status"</th>
                                <th scope="col">"SHA-256"</th>
                                <th scope="col">"Download"</th>
                            </tr></thead>
                            <tbody>{d.packets.iter().map(row).collect_view()}</tbody>
                        </table></div>
                    }.into_any()
                }}
            </section>
            {keys(&d.keys)}
        }
        .into_any()
    })
}

fn keys(keys: &[SigningKeyRow]) -> impl IntoView {
    let current = keys.iter().find(|k| k.current).cloned();
    let older: Vec<SigningKeyRow> = keys.iter().filter(|k| !k.current).cloned().collect();
    view! {
        <section class="card" aria-labelledby="key-h">
            <h2 id="key-h">"Signing key"</h2>
            <p class="hint">"Every bundle's manifest is signed with this server's Ed25519 key. Check a bundle against it with "<code>"baa-tracker verify-packet bundle.zip --public-key KEY"</code>" (or "<code>"--server"</code>" and this app's address); the keys are also published at "<a href="/.well-known/baa-tracker-packet-keys.json">"/.well-known/baa-tracker-packet-keys.json"</a>"."</p>
            {current.map(|k| view! {
                <p><span class="muted small">"Key "</span><code data-key-id=k.key_id.clone()>{k.key_id.clone()}</code></p>
                <p><span class="muted small">"Public key "</span><code class="hash" data-public-key=k.public_key.clone()>{k.public_key.clone()}</code></p>
            })}
            {(!older.is_empty()).then(|| view! {
                <p class="hint">"Earlier keys (for older bundles): "
                    {older.iter().map(|k| view! { <code title=k.public_key.clone()>{k.key_id.clone()}</code>" " }).collect_view()}
                </p>
            })}
        </section>
    }
}

fn download_button(id: &str, file: &'static str, label: String) -> impl IntoView {
    view! {
        <form method="post" action="/actions/packets/download" class="inline">
            <input type="hidden" name="id" value=id.to_string() />
            <input type="hidden" name="file" value=file />
            <button type="submit" class="small secondary">{label}</button>
        </form>
    }
}

fn row(p: &PacketRow) -> impl IntoView {
    let done = p.status == "done";
    let label = format!("Packet as of {}: {} ({}%)", p.as_of, p.stage, p.progress);
    view! {
        <tr data-packet=p.id.clone() data-status=p.status.clone()>
            <th scope="row">{match &p.period_from {
                Some(from) => format!("{from} to {}", p.as_of),
                None => p.as_of.clone(),
            }}</th>
            <td>{p.created_by.clone()}<br /><span class="muted small">{p.created_at.clone()}</span></td>
            <td>
                <span class=format!("badge packet-{}", p.status)>{p.status.clone()}</span>
                {(!done && p.status != "failed").then(|| view! {
                    " "<progress max="100" value=p.progress.to_string() aria-label=label.clone()>{format!("{}%", p.progress)}</progress>
                    " "<span class="muted small">{p.stage.clone()}</span>
                })}
                {p.error.clone().map(|e| view! { <p class="field-error">{e}</p> })}
            </td>
            <td class="hash">
                {p.pdf_sha256.clone().map(|h| view! { <div><span class="muted small">"PDF "</span><code>{h}</code></div> })}
                {p.bundle_sha256.clone().map(|h| view! { <div><span class="muted small">"ZIP "</span><code>{h}</code></div> })}
                {p.manifest_sha256.clone().map(|h| view! { <div><span class="muted small">"Manifest "</span><code data-manifest=h.clone()>{h.clone()}</code></div> })}
                {p.signing_key_id.clone().map(|k| view! { <div><span class="muted small">"Signed by "</span><code>{k}</code></div> })}
            </td>
            <td>
                {done.then(|| view! {
                    {download_button(&p.id, "pdf", "PDF".to_string())}
                    {download_button(&p.id, "zip", format!("Bundle ({} KB)", p.bundle_size.unwrap_or(0) / 1024))}
                })}
            </td>
        </tr>
    }
}
