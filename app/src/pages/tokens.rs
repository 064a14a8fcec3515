//! API tokens: owners make them (shown once), see when each was last used, and revoke them.

use crate::components::{app_page, field_error, refill};
use crate::tokens_api::tokens_page;
use leptos::prelude::*;

/// Scoped API tokens of the workspace, for scripts and CI (`baa-tracker check`).
#[component]
pub fn Tokens() -> impl IntoView {
    let data = Resource::new(|| (), |_| tokens_page());
    app_page("API tokens", data, |_v, f, d| {
        if !d.can_manage {
            return view! { <p class="hint">"Only owners can make and revoke API tokens."</p> }.into_any();
        }
        let shown = d.new_token.clone().map(|t| view! {
            <section class="card new-token" aria-labelledby="new-token-h">
                <h2 id="new-token-h">"Your new token"</h2>
                <p>"Copy it now and keep it in your CI's secrets: it is not stored and will not be shown again."</p>
                <p><label for="new-token-value" class="visually-hidden">"New API token"</label>
                <input id="new-token-value" class="token-value" readonly=true value=t size="60" /></p>
            </section>
        });
        let rows = d.tokens.iter().map(|t| {
            let active = t.revoked_at.is_none();
            let id = t.id.clone();
            view! {
                <tr>
                    <td>{t.name.clone()}</td>
                    <td><code>{t.scope.clone()}</code></td>
                    <td><code>{format!("{}…", t.prefix)}</code></td>
                    <td>{format!("{} by {}", t.created_at, t.created_by)}</td>
                    <td>{t.last_used_at.clone().unwrap_or_else(|| "never".into())}</td>
                    <td>{match &t.revoked_at { Some(at) => format!("revoked {at}"), None => "active".into() }}</td>
                    <td>{active.then(|| view! {
                        <form method="post" action="/actions/tokens/revoke" class="row-form">
                            <input type="hidden" name="id" value=id.clone() />
                            <button type="submit" class="small danger" aria-label=format!("Revoke {}", t.name)>"Revoke"</button>
                        </form>
                    })}</td>
                </tr>
            }
        }).collect_view();
        view! {
            <p class="lead">"Tokens let scripts and CI use the API ("<code>"/api/v1"</code>", described at "<a href="/api/v1/openapi.json">"/api/v1/openapi.json"</a>") as "<code>"Authorization: Bearer baa_…"</code>". What a token changes is recorded in the audit trail under its name. A token works only while the owner who made it is an owner of this workspace: removing or demoting them revokes it."</p>
            {shown}
            <section class="card" aria-labelledby="make-token-h">
                <h2 id="make-token-h">"Make a token"</h2>
                <form method="post" action="/actions/tokens/create" class="inline-form" aria-label="Make a token">
                    <div class="field" class:has-error=field_error(&f, "name").is_some()>
                        <label for="token-name">"Token name"</label>
                        <input id="token-name" name="name" required=true value=refill(&f, "name") autocomplete="off" />
                        {field_error(&f, "name").map(|e| view! { <p class="field-error">{e}</p> })}
                    </div>
                    <div class="field">
                        <label for="token-scope">"Scope"</label>
                        <select id="token-scope" name="scope">
                            <option value="read" selected=true>"read (coverage, inventory, agreements)"</option>
                            <option value="write:inventory">"write:inventory (also orgs, apps, services, imports)"</option>
                        </select>
                    </div>
                    <button type="submit">"Make token"</button>
                </form>
            </section>
            <section aria-labelledby="tokens-h">
                <h2 id="tokens-h">"Tokens"</h2>
                <div class="table-wrap" tabindex="0"><table>
                    <thead><tr><th scope="col">"Name"</th><th scope="col">"Scope"</th><th scope="col">"Starts with"</th><th scope="col">"Made"</th><th scope="col">"Last used"</th><th scope="col">"State"</th><th scope="col"><span class="visually-hidden">"Actions"</span></th></tr></thead>
                    <tbody>{rows}</tbody>
                </table></div>
            </section>
        }
        .into_any()
    })
}
