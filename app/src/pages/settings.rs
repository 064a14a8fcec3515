//! Workspace settings.

use crate::api::settings_page;
use crate::api::{Flash, SettingsData};
use crate::components::{app_page, field_error, refill, Field};
use baa_core::safeguards::SafeguardRule;
use leptos::prelude::*;

/// Workspace name and sign-in policy; owners change them, others read them.
#[component]
pub fn Settings() -> impl IntoView {
    let data = Resource::new(|| (), |_| settings_page());
    app_page("Settings", data, |_v, f, d| {
        let new_ws = d.can_create_workspace.then(|| new_workspace_form(&f));
        let windows = d.reminder_windows.iter().map(|w| w.to_string()).collect::<Vec<_>>().join(", ");
        let regions = d.allowed_regions.join(", ");
        if !d.can_manage {
            return view! {
                <dl class="facts">
                    <dt>"Workspace name"</dt><dd>{d.name.clone()}</dd>
                    <dt>"Two-factor sign-in"</dt><dd>{if d.require_2fa { "required for every member" } else { "optional" }}</dd>
                    <dt>"Regions allowed for PHI"</dt><dd>{if d.allowed_regions.is_empty() { "any".to_string() } else { d.allowed_regions.join(", ") }}</dd>
                    <dt>"Expiry reminders"</dt><dd>{d.reminder_windows.iter().map(|w| format!("{w} days")).collect::<Vec<_>>().join(", ")}</dd>
                    <dt>"Volume snapshots kept (PHI apps)"</dt><dd>{format!("at least {} days", d.snapshot_retention_days)}</dd>
                </dl>
                {exceptions_section(&d, &f, false)}
                <p class="hint">"Only owners can change workspace settings."</p>
                {new_ws}
            }
                .into_any();
        }
        view! {
            <form method="post" action="/actions/settings" class="stack narrow">
                <Field label="Workspace name" name="name" value=d.name.clone() error=field_error(&f, "name") />
                <div class="field checkbox">
                    <input id="f-require_2fa" type="checkbox" name="require_2fa" value="on" checked=d.require_2fa />
                    <label for="f-require_2fa">"Require two-factor sign-in for every member"</label>
                    <p class="hint">"Members without it are sent to set it up at their next request, before they can see anything else."</p>
                </div>
                <button type="submit">"Save settings"</button>
            </form>
            <section class="card" aria-labelledby="policy-h">
                <h2 id="policy-h">"Coverage policy"</h2>
                <form method="post" action="/actions/policy" class="stack narrow">
                    <Field label="Regions allowed for PHI (empty: any)" name="allowed_regions" required=false value=regions error=field_error(&f, "allowed_regions") hint=Some("Fly region codes, such as iad, ord. A PHI service elsewhere raises region-outside-policy.") />
                    <Field label="Expiry reminder windows (days)" name="reminder_windows" value=windows error=field_error(&f, "reminder_windows") />
                    <Field label="Volume snapshot retention (days)" name="snapshot_retention_days" value=d.snapshot_retention_days.to_string() error=field_error(&f, "snapshot_retention_days") hint=Some("Fewest days of snapshots a PHI app's volumes must keep (1 to 60; Fly keeps 5 unless fly.toml sets snapshot_retention). Fewer raises backup-missing.") />
                    <button type="submit">"Save policy"</button>
                </form>
            </section>
            {trust_form(&f, d.trust.clone(), &d.name)}
            {exceptions_section(&d, &f, true)}
            {new_ws}
        }
            .into_any()
    })
}

/// The public trust page: settings, preview, publish. Off until an owner publishes it.
fn trust_form(
    f: &Option<Flash>,
    t: Option<(String, bool, String, String, bool, i64)>,
    ws: &str,
) -> impl IntoView {
    let (slug, published, company, contact, show, subscribers) =
        t.clone().unwrap_or_else(|| (String::new(), false, ws.to_owned(), String::new(), false, 0));
    let pick = |name: &str, saved: String| {
        let again = refill(f, name);
        if again.is_empty() {
            saved
        } else {
            again
        }
    };
    view! {
        <section class="card" aria-labelledby="trust-h">
            <h2 id="trust-h">"Public trust page"</h2>
            <p class="hint">"A page anyone can read without signing in, at /trust/<address>: the company name, the subcontractors that handle PHI (vendor, what it does, regions, BAA in place since), when that list last changed, and a contact address. Nothing else: no findings, agreement terms or documents, and service names only if you choose. Visitors can subscribe to one mail per change."</p>
            <p>{if published { "Status: public." } else { "Status: not public." }}{format!(" Confirmed subscribers: {subscribers}.")}</p>
            <form method="post" action="/actions/trust/save" class="stack narrow">
                <Field label="Address (/trust/...)" name="slug" value=pick("slug", slug.clone()) error=field_error(f, "slug") />
                <Field label="Company name" name="company_name" value=pick("company_name", company) error=field_error(f, "company_name") />
                <Field label="Contact e-mail" name="contact" value=pick("contact", contact) error=field_error(f, "contact") />
                <div class="field checkbox">
                    <input id="f-show_services" type="checkbox" name="show_services" value="on" checked=show />
                    <label for="f-show_services">"Show our service names next to each vendor"</label>
                </div>
                <button type="submit">"Save trust page settings"</button>
            </form>
            {field_error(f, "trust").map(|e| view! { <p class="field-error" role="alert">{e}</p> })}
            {t.is_some().then(|| view! {
                <p><a href="/settings/trust/preview" rel="external">"Preview exactly what will be public"</a>
                {published.then(|| view! { " · " <a href=format!("/trust/{slug}") rel="external">"Open the public page"</a> })}</p>
                {if published {
                    view! { <form method="post" action="/actions/trust/unpublish"><button type="submit" class="secondary">"Unpublish"</button></form> }.into_any()
                } else {
                    view! { <form method="post" action="/actions/trust/publish"><button type="submit">"Publish"</button></form> }.into_any()
                }}
            })}
        </section>
    }
}

/// Approved platform safeguard exceptions, and (for owners) the form to approve one.
fn exceptions_section(d: &SettingsData, f: &Option<Flash>, can_manage: bool) -> impl IntoView {
    let rows = d.exceptions.clone();
    let apps = d.apps.clone();
    let rule = refill(f, "rule");
    view! {
        <section class="card" aria-labelledby="safeguards-h">
            <h2 id="safeguards-h">"Platform safeguard exceptions"</h2>
            <p class="hint">"A failed safeguard you accept for one app, with the reason. It shows as passed by exception, with the reason and who approved it, on the dashboard and in the evidence packet."</p>
            {if rows.is_empty() {
                view! { <p>"No exceptions approved."</p> }.into_any()
            } else {
                view! {
                    <div class="table-wrap" tabindex="0"><table aria-label="Approved exceptions">
                        <thead><tr><th scope="col">"Rule"</th><th scope="col">"App"</th><th scope="col">"Reason"</th><th scope="col">"Approved by"</th><th scope="col">"On"</th><th scope="col">"Until"</th>{can_manage.then(|| view! { <th scope="col">"Remove"</th> })}</tr></thead>
                        <tbody>{rows.iter().map(|e| view! {
                            <tr>
                                <td><code>{e.rule.as_str()}</code></td><td>{e.app.clone()}</td><td>{e.reason.clone()}</td><td>{e.approved_by.clone()}</td><td>{e.approved_on.to_string()}</td><td>{e.expires_on.map_or_else(|| "open-ended".to_string(), |d| d.to_string())}</td>
                                {can_manage.then(|| view! {
                                    <td class="actions"><form method="post" action="/actions/policy/exceptions/remove">
                                        <input type="hidden" name="rule" value=e.rule.as_str() />
                                        <input type="hidden" name="app" value=e.app.clone() />
                                        <button type="submit" class="secondary small" aria-label=format!("Remove the {} exception for {}", e.rule.as_str(), e.app)>"Remove"</button>
                                    </form></td>
                                })}
                            </tr>
                        }).collect_view()}</tbody>
                    </table></div>
                }.into_any()
            }}
            {can_manage.then(|| view! {
                <form method="post" action="/actions/policy/exceptions/add" class="stack narrow" aria-label="Approve an exception">
                    <div class="field">
                        <label for="f-rule">"Rule"</label>
                        <select id="f-rule" name="rule">
                            {SafeguardRule::ALL.iter().map(|r| { let sel = rule == r.as_str(); view! { <option value=r.as_str() selected=sel>{format!("{} ({})", r.title(), r.as_str())}</option> } }).collect_view()}
                        </select>
                        {field_error(f, "rule").map(|e| view! { <p class="field-error">{e}</p> })}
                    </div>
                    <Field label="App" name="app" value=refill(f, "app") error=field_error(f, "app") hint=Some("The Fly app name, as in the inventory.") />
                    {(!apps.is_empty()).then(|| view! { <p class="hint">"Apps in the inventory: "{apps.join(", ")}</p> })}
                    <Field label="Reason" name="reason" value=refill(f, "reason") error=field_error(f, "reason") hint=Some("Why the failure is acceptable, for the auditor (for example: TLS is terminated by the database itself).") />
                    <Field label="Last day (optional, YYYY-MM-DD)" name="expires_on" required=false value=refill(f, "expires_on") error=field_error(f, "expires_on") />
                    <button type="submit">"Approve exception"</button>
                </form>
            })}
        </section>
    }
}

/// Starting a separate workspace (for example a consultant serving several companies), for
/// whoever the instance's `WORKSPACE_CREATORS` allows.
fn new_workspace_form(f: &Option<Flash>) -> impl IntoView {
    view! {
        <section class="card" aria-labelledby="new-ws-h">
            <h2 id="new-ws-h">"Another workspace"</h2>
            <p class="hint">"Records never cross workspaces. You become the owner of the new one and can switch between them in the header."</p>
            <form method="post" action="/actions/workspaces/create" class="inline-form">
                <Field label="New workspace name" name="workspace" value=refill(f, "workspace") error=field_error(f, "workspace") />
                <button type="submit" class="secondary">"Create workspace"</button>
            </form>
        </section>
    }
}
