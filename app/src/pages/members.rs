//! Members and invitations.

use crate::api::members_page;
use crate::components::{app_page, field_error, refill};
use baa_core::account::Role;
use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

/// Members of the workspace; owners invite, change roles and remove.
#[component]
pub fn Members() -> impl IntoView {
    let data = Resource::new(|| (), |_| members_page());
    let q = use_query_map();
    app_page("Members", data, move |v, f, d| {
        let me = v.user_id.clone();
        let manage = d.can_manage;
        let invite_form = manage.then(|| {
            let chosen = refill(&f, "role");
            view! {
                <section class="card" aria-labelledby="invite-h">
                    <h2 id="invite-h">"Invite someone"</h2>
                    <p class="hint">"They get an e-mail with a link that works once and expires in 7 days."</p>
                    <form method="post" action="/actions/members/invite" class="inline-form">
                        <div class="field" class:has-error=field_error(&f, "email").is_some()>
                            <label for="invite-email">"E-mail"</label>
                            <input id="invite-email" name="email" type="email" required=true value=refill(&f, "email") autocomplete="off" aria-describedby=field_error(&f, "email").map(|_| "invite-email-error") />
                            {field_error(&f, "email").map(|e| view! { <p class="field-error" id="invite-email-error">{e}</p> })}
                        </div>
                        <div class="field">
                            <label for="invite-role">"Role"</label>
                            <select id="invite-role" name="role">
                                {Role::ALL.into_iter().map(|r| {
                                    let sel = if chosen.is_empty() { r == Role::Engineer } else { chosen == r.as_str() };
                                    view! { <option value=r.as_str() selected=sel>{r.label()}</option> }
                                }).collect_view()}
                            </select>
                        </div>
                        <button type="submit">"Send invitation"</button>
                    </form>
                </section>
            }
        });
        let owners = d.members.iter().filter(|m| m.role == Role::Owner).count();
        let sole_owner = owners == 1 && d.members.iter().any(|m| m.user_id == me && m.role == Role::Owner);
        let removing = q.with_untracked(|q| q.get("remove").unwrap_or_default());
        let confirm_remove = d.members.iter().find(|m| manage && m.user_id == removing && !(m.user_id == me && sole_owner)).map(|m| {
            let leaving = m.user_id == me;
            view! {
                <section class="card confirm" id="confirm-remove" aria-labelledby="confirm-remove-h">
                    <h2 id="confirm-remove-h">{if leaving { "Leave this workspace?".to_string() } else { format!("Remove {}?", m.name) }}</h2>
                    <p>{if leaving { "You lose access to this workspace at once; an owner can invite you again.".to_string() } else { format!("{} loses access at once; their past actions stay in the audit trail.", m.name) }}</p>
                    <form method="post" action="/actions/members/remove" class="row-form">
                        <input type="hidden" name="user_id" value=m.user_id.clone() />
                        <button type="submit" class="danger">{if leaving { "Leave the workspace" } else { "Remove the member" }}</button>
                        " "<a class="button secondary" href="/members">"Cancel"</a>
                    </form>
                </section>
            }
        });
        let rows = d.members.iter().map(|m| {
            let is_me = m.user_id == me;
            let uid = m.user_id.clone();
            let uid2 = m.user_id.clone();
            let role = m.role;
            let actions = manage.then(|| view! {
                <td class="actions">
                    <form method="post" action="/actions/members/role" class="row-form">
                        <input type="hidden" name="user_id" value=uid />
                        <label class="visually-hidden" for=format!("role-{}", m.user_id)>{format!("Role of {}", m.name)}</label>
                        <select id=format!("role-{}", m.user_id) name="role">
                            {Role::ALL.into_iter().map(|r| view! { <option value=r.as_str() selected=r == role>{r.label()}</option> }).collect_view()}
                        </select>
                        <button type="submit" class="small secondary">"Change role"</button>
                    </form>
                    // Removing (or leaving) asks first, on this page, without JavaScript. The sole
                    // owner is not offered "Leave": the workspace would have no owner.
                    {(!(is_me && sole_owner)).then(|| view! {
                        <a class="button small danger" href=format!("/members?remove={uid2}#confirm-remove") aria-label=format!("{} {}", if is_me { "Leave as" } else { "Remove" }, m.name)>{if is_me { "Leave…" } else { "Remove…" }}</a>
                    })}
                </td>
            });
            view! {
                <tr>
                    <td>{m.name.clone()}{is_me.then(|| view! { <span class="badge">"you"</span> })}</td>
                    <td>{m.email.clone()}</td>
                    <td>{m.role.label()}</td>
                    <td>{if m.totp_enabled { "on" } else { "off" }}</td>
                    <td>{m.joined.clone()}</td>
                    {actions}
                </tr>
            }
        }).collect_view();
        let invitations = d.invitations.clone();
        let inv_section = (!invitations.is_empty()).then(|| view! {
            <section aria-labelledby="inv-h">
                <h2 id="inv-h">"Invitations"</h2>
                <div class="table-wrap" tabindex="0">
                    <table>
                        <thead><tr><th scope="col">"E-mail"</th><th scope="col">"Role"</th><th scope="col">"Invited by"</th><th scope="col">"Expires"</th><th scope="col">"State"</th>{manage.then(|| view! { <th scope="col"><span class="visually-hidden">"Actions"</span></th> })}</tr></thead>
                        <tbody>
                            {invitations.into_iter().map(|i| {
                                let pending = i.state == "pending";
                                let id = i.id.clone();
                                view! {
                                    <tr>
                                        <td>{i.email.clone()}</td>
                                        <td>{i.role.label()}</td>
                                        <td>{i.invited_by.clone()}</td>
                                        <td>{i.expires.clone()}</td>
                                        <td><span class=format!("badge state-{}", i.state)>{i.state.clone()}</span></td>
                                        {manage.then(|| view! {
                                            <td>{pending.then(|| view! {
                                                <form method="post" action="/actions/invitations/revoke" class="row-form">
                                                    <input type="hidden" name="id" value=id.clone() />
                                                    <button type="submit" class="small secondary" aria-label=format!("Revoke the invitation of {}", i.email)>"Revoke"</button>
                                                </form>
                                            })}</td>
                                        })}
                                    </tr>
                                }
                            }).collect_view()}
                        </tbody>
                    </table>
                </div>
            </section>
        });
        view! {
            {confirm_remove}
            {invite_form}
            <section aria-labelledby="members-h">
                <h2 id="members-h">"Current members"</h2>
                {(!manage).then(|| view! { <p class="hint">"Only owners can invite people, change roles or remove members."</p> })}
                {manage.then(|| view! { <p class="hint">"Removing someone ends their access at once. Removing an owner, or making them anything but owner, also revokes the API tokens they made: a token never outlives its maker's owner role."</p> })}
                <div class="table-wrap" tabindex="0">
                    <table>
                        <thead><tr><th scope="col">"Name"</th><th scope="col">"E-mail"</th><th scope="col">"Role"</th><th scope="col">"2FA"</th><th scope="col">"Joined"</th>{manage.then(|| view! { <th scope="col">"Actions"</th> })}</tr></thead>
                        <tbody>{rows}</tbody>
                    </table>
                </div>
            </section>
            {inv_section}
        }
            .into_any()
    })
}
