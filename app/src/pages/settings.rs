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
        let new_ws = new_workspace_form(&f);
        if !d.can_manage {
            return view! {
                <dl class="facts">
                    <dt>"Workspace name"</dt><dd>{d.name.clone()}</dd>
                    <dt>"Two-factor sign-in"</dt><dd>{if d.require_2fa { "required for every member" } else { "optional" }}</dd>
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
            {new_ws}
        }
            .into_any()
    })
}

/// Anyone may start a separate workspace (for example a consultant serving several companies).
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
