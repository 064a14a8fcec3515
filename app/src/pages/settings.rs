//! Workspace settings.

use crate::api::settings_page;
use crate::api::Flash;
use crate::components::{app_page, field_error, refill, Field};
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
                </dl>
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
                    <button type="submit">"Save policy"</button>
                </form>
            </section>
            {trust_form(&f, d.trust.clone(), &d.name)}
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
                <p><a href="/settings/trust/preview">"Preview exactly what will be public"</a>
                {published.then(|| view! { " · " <a href=format!("/trust/{slug}")>"Open the public page"</a> })}</p>
                {if published {
                    view! { <form method="post" action="/actions/trust/unpublish"><button type="submit" class="secondary">"Unpublish"</button></form> }.into_any()
                } else {
                    view! { <form method="post" action="/actions/trust/publish"><button type="submit">"Publish"</button></form> }.into_any()
                }}
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
