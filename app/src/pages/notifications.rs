//! Notifications: the person's notices (unread first in weight), their preferences, and for
//! owners the delivery state of mail and webhook calls with a retry for failed ones.

use crate::api::{notifications_page, Flash, OwnerNotifications};
use crate::components::{app_page, field_error, list_controls, pager, ListQuery, PageOf};
use baa_core::notice::{NoticeView, PreferenceView};
use leptos::prelude::*;

/// The notifications page.
#[component]
pub fn Notifications() -> impl IntoView {
    let list = ListQuery::from_url("");
    let data = Resource::new(|| (), |_| notifications_page());
    app_page("Notifications", data, move |_v, f, d| {
        let unread = d.notices.iter().filter(|n| !n.read).count();
        // Newest first as they come; the other orders are stable, so ties stay newest first.
        let mut listed: Vec<&NoticeView> = d
            .notices
            .iter()
            .filter(|n| list.matches(&[&n.title, &n.body, &n.next_step, kind_label(&n.kind)]))
            .collect();
        match list.sort.as_str() {
            "oldest" => listed.reverse(),
            "unread" => listed.sort_by_key(|n| n.read),
            _ => {}
        }
        let at = PageOf::new(&list.page, listed.len());
        let controls = (d.notices.len() > 1).then(|| {
            list_controls(
                "inbox-list",
                "/notifications",
                "notices",
                "title, text or kind",
                &list,
                &[("", "newest first"), ("oldest", "oldest first"), ("unread", "unread first")],
                &[],
            )
        });
        let pager_of_notices = list
            .wants_pager(at)
            .then(|| pager("notices", "/notifications", &list.pairs(), &list.page_param(), at, "inbox-h"));
        view! {
            <section aria-labelledby="inbox-h">
                <div class="section-head">
                    <h2 id="inbox-h">{format!("Your notices ({unread} unread)")}</h2>
                    {(unread > 0).then(|| view! {
                        <form method="post" action="/actions/notifications/read">
                            <input type="hidden" name="id" value="" />
                            <button type="submit" class="secondary small">"Mark all as read"</button>
                        </form>
                    })}
                </div>
                {if d.notices.is_empty() {
                    view! { <p class="hint">"Nothing yet. You are told here (and by mail, unless you turn it off below) when a service you or others add is not covered, when a plan change makes a service ineligible, and when an agreement nears its expiry."</p> }.into_any()
                } else {
                    view! {
                        {controls}
                        <ul class="notices">{at.rows(listed).map(notice).collect_view()}</ul>
                        {pager_of_notices}
                    }.into_any()
                }}
            </section>
            {preferences(&d.preferences, &f)}
            {d.owner.as_ref().map(|o| owner_section(o, &f))}
        }
        .into_any()
    })
}

fn notice(n: &NoticeView) -> impl IntoView {
    let id = n.id.clone();
    view! {
        <li class="notice" class:unread=!n.read>
            <div class="notice-head">
                <span class=format!("badge kind-{}", n.kind)>{kind_label(&n.kind)}</span>
                <a href=n.link.clone() class="notice-title">{n.title.clone()}</a>
                <span class="muted small">{n.at.clone()}</span>
            </div>
            <p>{n.body.clone()}</p>
            <p class="next-step"><strong>"Next step: "</strong>{n.next_step.clone()}</p>
            {(!n.read).then(|| view! {
                <form method="post" action="/actions/notifications/read">
                    <input type="hidden" name="id" value=id />
                    <button type="submit" class="link-button">"Mark as read"</button>
                </form>
            })}
        </li>
    }
}

fn kind_label(kind: &str) -> &'static str {
    match kind {
        "uncovered-service" => "Uncovered service",
        "plan-ineligible" => "Plan not eligible",
        "agreement-expiry" => "Expiring agreement",
        "document-uploaded" => "Document uploaded",
        _ => "Notice",
    }
}

fn preferences(prefs: &[PreferenceView], f: &Option<Flash>) -> impl IntoView {
    view! {
        <section class="card" aria-labelledby="prefs-h">
            <h2 id="prefs-h">"How you are told"</h2>
            <p class="hint">"Security mail (invitations, password resets, password changes) always goes out and is not listed here."</p>
            <form method="post" action="/actions/notifications/preferences" aria-label="Notification preferences">
                {field_error(f, "preferences").map(|e| view! { <p class="field-error" role="alert">{e}</p> })}
                <div class="table-wrap" tabindex="0"><table>
                    <thead><tr><th scope="col">"Notice"</th><th scope="col">"In the app"</th><th scope="col">"By mail"</th></tr></thead>
                    <tbody>{prefs.iter().map(|p| {
                        let app_id = format!("pref-{}-app", p.kind);
                        let mail_id = format!("pref-{}-email", p.kind);
                        view! {
                            <tr>
                                <th scope="row">{p.label.clone()}</th>
                                <td><input type="checkbox" id=app_id.clone() name="on" value=format!("{}:app", p.kind) checked=p.in_app aria-label=format!("{} — in the app", p.label) /></td>
                                <td><input type="checkbox" id=mail_id.clone() name="on" value=format!("{}:email", p.kind) checked=p.email aria-label=format!("{} — by mail", p.label) /></td>
                            </tr>
                        }
                    }).collect_view()}</tbody>
                </table></div>
                <button type="submit">"Save preferences"</button>
            </form>
        </section>
    }
}

fn owner_section(o: &OwnerNotifications, f: &Option<Flash>) -> impl IntoView {
    view! {
        <section class="card" aria-labelledby="hook-h">
            <h2 id="hook-h">"Workspace webhook"</h2>
            <p class="hint">"Every notice of this workspace is also posted as JSON to this address (Slack incoming webhooks work as they are). The address is kept secret: it is not shown again after saving."</p>
            <p>{match &o.webhook_host {
                Some(h) => format!("Posting to a webhook at {h}."),
                None => "No webhook set.".to_string(),
            }}</p>
            <form method="post" action="/actions/notifications/webhook" class="inline-form" aria-label="Webhook">
                <div class="field" class:has-error=field_error(f, "webhook").is_some()>
                    <label for="hook-url">"Webhook URL (empty to remove)"</label>
                    <input id="hook-url" name="url" type="url" autocomplete="off" placeholder="https://hooks.slack.com/services/…" />
                    {field_error(f, "webhook").map(|e| view! { <p class="field-error" role="alert">{e}</p> })}
                </div>
                <button type="submit" class="secondary">"Save webhook"</button>
            </form>
        </section>
        <section aria-labelledby="deliv-h">
            <h2 id="deliv-h">"Deliveries (owners)"</h2>
            {field_error(f, "retry").map(|e| view! { <p class="field-error" role="alert">{e}</p> })}
            {if o.deliveries.is_empty() {
                view! { <p class="hint">"No mail or webhook calls yet."</p> }.into_any()
            } else {
                view! {
                    <div class="table-wrap" tabindex="0"><table aria-label="Deliveries">
                        <thead><tr><th scope="col">"Queued"</th><th scope="col">"Channel"</th><th scope="col">"To"</th><th scope="col">"Subject"</th><th scope="col">"State"</th><th scope="col">"Attempts"</th><th scope="col">"Last error"</th><th scope="col"><span class="visually-hidden">"Actions"</span></th></tr></thead>
                        <tbody>{o.deliveries.iter().map(|d| {
                            let id = d.id.clone();
                            let failed = d.state == "failed";
                            view! {
                                <tr>
                                    <td>{d.at.clone()}</td>
                                    <td>{d.channel.clone()}</td>
                                    <td>{d.to.clone()}</td>
                                    <td>{d.subject.clone()}</td>
                                    <td><span class=format!("badge state-{}", d.state)>{d.state.clone()}</span></td>
                                    <td>{d.attempts}</td>
                                    <td class="small">{d.last_error.clone().unwrap_or_default()}</td>
                                    <td>{failed.then(|| view! {
                                        <form method="post" action="/actions/notifications/retry">
                                            <input type="hidden" name="id" value=id />
                                            <button type="submit" class="small">"Retry"</button>
                                        </form>
                                    })}</td>
                                </tr>
                            }
                        }).collect_view()}</tbody>
                    </table></div>
                }.into_any()
            }}
        </section>
    }
}
