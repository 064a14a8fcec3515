//! The workspace overview: who is here and how the workspace is protected.

use crate::api::overview_page;
use crate::components::app_page;
use leptos::prelude::*;

/// The home page of a signed-in member.
#[component]
pub fn Overview() -> impl IntoView {
    let data = Resource::new(|| (), |_| overview_page());
    app_page("Overview", data, |v, _flash, d| {
        let total: usize = d.by_role.iter().map(|(_, n)| n).sum();
        let can_manage = v.can(baa_core::account::Permission::ManageMembers);
        view! {
            <p class="lead">"Welcome, "{v.name.clone()}". You are "<strong>{v.role.label()}</strong>" in "{v.workspace_name.clone()}"."</p>
            <div class="cards">
                <section class="card" aria-labelledby="people-h">
                    <h2 id="people-h">"People"</h2>
                    <p class="big">{total}<span class="unit">" members"</span></p>
                    <ul class="plain">
                        {d.by_role.iter().map(|(r, n)| view! { <li>{r.label()}": "{*n}</li> }).collect_view()}
                    </ul>
                    <p>{d.pending_invitations}" pending invitation(s)."</p>
                    {can_manage.then(|| view! { <a class="button secondary" href="/members">"Invite someone"</a> })}
                </section>
                <section class="card" aria-labelledby="security-h">
                    <h2 id="security-h">"Sign-in security"</h2>
                    <ul class="plain">
                        <li>{if d.require_2fa { "Two-factor sign-in is required for every member." } else { "Two-factor sign-in is optional in this workspace." }}</li>
                        <li>"Automatic sign-out after "{d.idle_minutes}" minutes without activity, and "{d.max_hours}" hours after sign-in."</li>
                    </ul>
                    {if d.without_2fa.is_empty() {
                        view! { <p class="ok-text">"Every member uses two-factor sign-in."</p> }.into_any()
                    } else {
                        view! {
                            <p class="warn-text">"Without two-factor sign-in: "{d.without_2fa.join(", ")}"."</p>
                            <p class="hint">"The proposed 2025 HIPAA Security Rule update expects multi-factor authentication. Owners can require it in Settings."</p>
                        }.into_any()
                    }}
                </section>
                <section class="card" aria-labelledby="you-h">
                    <h2 id="you-h">"Your account"</h2>
                    {if v.totp_enabled {
                        view! { <p class="ok-text">"Your two-factor sign-in is on."</p> }.into_any()
                    } else {
                        view! { <p class="warn-text">"Turn on two-factor sign-in to protect your account."</p> }.into_any()
                    }}
                    <a class="button secondary" href="/account">"Manage your account"</a>
                </section>
            </div>
        }
            .into_any()
    })
}
