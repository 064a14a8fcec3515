//! Integrations: owners connect Fly.io orgs (read-only token, encrypted at rest, never shown
//! again), see each org's state and last plan, sync now, replace the token or remove the org.

use crate::components::{app_page, field_error, refill};
use crate::integrations_api::integrations_page;
use leptos::prelude::*;

/// Fly.io orgs synced from the Fly API.
#[component]
pub fn Integrations() -> impl IntoView {
    let data = Resource::new(|| (), |_| integrations_page());
    app_page("Integrations", data, |_v, f, d| {
        if !d.can_manage {
            return view! { <p class="hint">"Only owners can connect and manage integrations."</p> }
                .into_any();
        }
        let key_missing = (!d.key_configured).then(|| {
            view! {
                <p class="alert" role="alert">{d.missing_key.clone()}</p>
            }
        });
        let rows = d.integrations.iter().map(|i| {
            let id = i.id.clone();
            let org = i.org.clone();
            let heading = format!("integration-{}-h", i.org);
            let heading_id = heading.clone();
            view! {
                <section class="card integration" aria-labelledby=heading>
                    <h2 id=heading_id>{format!("Fly.io org {}", i.org)}</h2>
                    <dl>
                        <dt>"State"</dt><dd class=format!("state state-{}", i.state)>{i.state_label.clone()}</dd>
                        {i.error.clone().map(|e| view! { <dt>"Error"</dt><dd role="status">{e}</dd> })}
                        <dt>"Last run"</dt><dd>{i.last_run.clone()}</dd>
                        <dt>"Last good sync"</dt><dd>{i.last_good.clone()}</dd>
                        <dt>"Next attempt"</dt><dd>{i.next_attempt.clone()}</dd>
                        <dt>"Faults in a row"</dt><dd>{i.failures}</dd>
                        <dt>"Token set"</dt><dd>{i.token_set.clone()}</dd>
                    </dl>
                    <h3>"Last run's plan"</h3>
                    {match &i.plan_counts {
                        Some(c) => view! { <p>{c.clone()}</p> }.into_any(),
                        None => view! { <p class="hint">"No sync has applied yet."</p> }.into_any(),
                    }}
                    {(!i.plan_changes.is_empty()).then(|| view! {
                        <ul class="plan-changes">{i.plan_changes.iter().map(|c| view! { <li>{c.clone()}</li> }).collect_view()}</ul>
                    })}
                    {(!i.not_seen.is_empty()).then(|| view! {
                        <h3>"No longer shown by the Fly API (not removed)"</h3>
                        <ul>{i.not_seen.iter().map(|c| view! { <li>{c.clone()}</li> }).collect_view()}</ul>
                    })}
                    {(!i.plan_notes.is_empty()).then(|| view! {
                        <details><summary>"Notes"</summary>
                            <ul>{i.plan_notes.iter().map(|c| view! { <li>{c.clone()}</li> }).collect_view()}</ul>
                        </details>
                    })}
                    <div class="row-actions">
                        <form method="post" action="/actions/integrations/sync" class="row-form">
                            <input type="hidden" name="id" value=id.clone() />
                            <button type="submit" aria-label=format!("Sync now: {}", org)>"Sync now"</button>
                        </form>
                        <form method="post" action="/actions/integrations/connect" class="inline-form" aria-label=format!("Replace the token of {}", org)>
                            <input type="hidden" name="org" value=org.clone() />
                            <div class="field">
                                <label for=format!("replace-{}", org)>{format!("New token for {}", org)}</label>
                                <input id=format!("replace-{}", org) name="token" type="password" required=true autocomplete="off" />
                            </div>
                            <button type="submit">"Replace token"</button>
                        </form>
                        <form method="post" action="/actions/integrations/remove" class="row-form">
                            <input type="hidden" name="id" value=id.clone() />
                            <button type="submit" class="small danger" aria-label=format!("Remove {}", org)>"Remove"</button>
                        </form>
                    </div>
                </section>
            }
        }).collect_view();
        view! {
            <p class="lead">"Connect a Fly.io org and BAA Tracker reads its apps, add-ons (Tigris, Upstash, Sentry, ...) and secret names from the Fly API, applies what changed to the inventory (recorded in the audit trail under "<code>"integration:fly:ORG"</code>") and notifies when a new service is not covered. It never reads secret values. Records the API stops showing are listed, never deleted."</p>
            {key_missing}
            <section class="card" aria-labelledby="connect-h">
                <h2 id="connect-h">"Connect a Fly.io org"</h2>
                <p>"Make an org-scoped read-only token with "<code>"fly tokens create readonly -o ORG"</code>" and paste its whole output. It is checked with the Fly API, stored encrypted, and never shown again."</p>
                <form method="post" action="/actions/integrations/connect" class="inline-form" aria-label="Connect a Fly.io org">
                    <div class="field" class:has-error=field_error(&f, "org").is_some()>
                        <label for="integration-org">"Org slug"</label>
                        <input id="integration-org" name="org" required=true value=refill(&f, "org") autocomplete="off" />
                        {field_error(&f, "org").map(|e| view! { <p class="field-error">{e}</p> })}
                    </div>
                    <div class="field" class:has-error=field_error(&f, "token").or_else(|| field_error(&f, "secret_key")).is_some()>
                        <label for="integration-token">"Read-only token"</label>
                        <input id="integration-token" name="token" type="password" required=true autocomplete="off" />
                        {field_error(&f, "token").or_else(|| field_error(&f, "secret_key")).map(|e| view! { <p class="field-error">{e}</p> })}
                    </div>
                    <button type="submit">"Connect"</button>
                </form>
            </section>
            {rows}
            <section class="card" aria-labelledby="schedule-h">
                <h2 id="schedule-h">"Schedule"</h2>
                <form method="post" action="/actions/integrations/settings" class="inline-form" aria-label="Sync schedule">
                    <div class="field" class:has-error=field_error(&f, "sync_minutes").is_some()>
                        <label for="sync-minutes">"Minutes between syncs"</label>
                        <input id="sync-minutes" name="sync_minutes" type="number" min="5" max="1440" value=d.sync_minutes.to_string() />
                        {field_error(&f, "sync_minutes").map(|e| view! { <p class="field-error">{e}</p> })}
                    </div>
                    <button type="submit">"Save"</button>
                </form>
            </section>
        }
        .into_any()
    })
}
