//! Detail pages: a service with its chain, an agreement with its history and clause checklist,
//! and the vendor catalog.

use crate::components::{app_page, field_error, refill, ErrorSummary};
use crate::inventory_api::{agreement_detail, service_detail, vendors_data, VersionRow};
use baa_core::catalog::Eligibility;
use baa_core::coverage::{AgreementKind, Clause, Phi, Scope, ServiceProvisioning, Verdict};
use leptos::prelude::*;
use leptos_router::hooks::{use_params_map, use_query_map};

fn history_table(rows: Vec<VersionRow>) -> impl IntoView {
    view! {
        <div class="table-wrap" tabindex="0"><table>
            <thead><tr><th scope="col">"#"</th><th scope="col">"In force from"</th><th scope="col">"Recorded"</th><th scope="col">"By"</th><th scope="col">"Why"</th></tr></thead>
            <tbody>{rows.into_iter().map(|h| view! { <tr><td>{h.seq}</td><td>{h.effective_on}</td><td>{h.recorded_at}</td><td>{h.actor}</td><td>{h.reason.unwrap_or_default()}</td></tr> }).collect_view()}</tbody>
        </table></div>
    }
}

/// One service: facts, verdict with the chain of agreements, findings, history.
#[component]
pub fn ServicePage() -> impl IntoView {
    let params = use_params_map();
    let q = use_query_map();
    let key = move || {
        (params.with(|p| p.get("id").unwrap_or_default()), q.with(|q| q.get("as_of").unwrap_or_default()))
    };
    let data = Resource::new(key, |(id, as_of)| service_detail(id, as_of));
    app_page("Service", data, |_v, _f, d| {
        let _f = _f.clone();
        let view_ = d.view.clone();
        // A day after today shows the record as planned, not as it was.
        let planned = view_.as_of > view_.today;
        let on =
            if planned { format!("as planned for {}", view_.as_of) } else { format!("on {}", view_.as_of) };
        let Some(s) = view_.data.services.iter().find(|s| s.id == d.id).cloned() else {
            let text = if planned {
                format!("This service is not planned to exist on {}.", view_.as_of)
            } else {
                format!("This service did not exist on {}.", view_.as_of)
            };
            return view! {
                <p>{text}</p>
                {history_table(d.history.clone())}
            }
            .into_any();
        };
        let report = view_.data.report.services.iter().find(|r| r.service == s.id).cloned();
        let title_of = |id: &str| {
            view_
                .data
                .agreements
                .iter()
                .find(|a| a.id == id)
                .map(|a| a.title.clone())
                .unwrap_or_else(|| id.to_string())
        };
        let verdict = match report.map(|r| r.verdict) {
            Some(Verdict::Covered { chain }) => view! {
                <p class="ok-text">{format!("Covered {on} by this chain:")}</p>
                <ol>{chain.iter().map(|id| view! { <li><a href=format!("/agreements/{id}")>{title_of(id)}</a></li> }).collect_view()}</ol>
            }.into_any(),
            Some(Verdict::CoveredNoPhi { reason }) => view! { <p class="muted">"Does not handle PHI: "{reason}</p> }.into_any(),
            Some(Verdict::Uncovered { why }) => view! {
                <p class="warn-text">{format!("Not covered {on}:")}</p>
                <p>{why}</p>
            }.into_any(),
            None => view! { <p class="muted">"Not evaluated."</p> }.into_any(),
        };
        let findings =
            view_.data.report.findings.iter().filter(|f| f.subject.id == s.id).cloned().collect::<Vec<_>>();
        let vendor = view_.data.vendor_name(&s.vendor).to_owned();
        view! {
            <h2>{s.name.clone()}</h2>
            <dl class="facts">
                <dt>"Vendor"</dt><dd>{vendor.clone()}</dd>
                <dt>"Product"</dt><dd>{s.product.clone()}</dd>
                <dt>"Plan"</dt><dd>{s.plan.clone()}{(!s.add_ons.is_empty()).then(|| format!(" + {}", s.add_ons.join(", ")))}</dd>
                <dt>"Vendor account"</dt><dd>{s.account.clone().unwrap_or_else(|| "unknown".into())}</dd>
                <dt>"Apps"</dt><dd>{if s.apps.is_empty() { "none known".to_string() } else { s.apps.join(", ") }}</dd>
                {(!s.candidate_apps.is_empty()).then(|| view! { <dt>"Apps that may use it"</dt><dd><span class="badge state-pending">"unconfirmed"</span>" "{s.candidate_apps.join(", ")}</dd> })}
                <dt>"Regions"</dt><dd>{s.regions.join(", ")}</dd>
                <dt>"Provisioned"</dt><dd>{match &s.provisioning { ServiceProvisioning::Platform { org } => format!("through Fly org {org}"), ServiceProvisioning::Direct => "directly with the vendor".into() }}</dd>
                <dt>"PHI"</dt><dd>{match &s.phi { Phi::Yes => "yes".to_string(), Phi::No { decided_by, decided_on, .. } => format!("no: {}{}", s.phi.no_text().unwrap_or_default(), if decided_by.is_empty() { String::new() } else { format!(" (decided by {decided_by}{})", decided_on.map(|d| format!(" on {d}")).unwrap_or_default()) }), Phi::Unknown => "unknown (treated as yes)".into() }}</dd>
                <dt>"In use since"</dt><dd>{s.created_on.to_string()}</dd>
            </dl>
            <section class="card"><h2>"Verdict"</h2>{verdict}</section>
            {crate::pages::safeguards::safeguards_section(&view_.data.safeguards, &view_.data.apps, &view_.data.services, Some(&s.apps))}
            {candidate_section(&s, view_.can_edit_inventory)}
            {config_section(&s, &d.required, &view_.as_of, view_.can_edit_inventory)}
            {view_.can_edit_inventory.then(|| {
                // A refused change comes back as it was sent, with its errors; else the record.
                let ef = crate::components::for_form(&_f, "service-edit");
                let refused = ef.as_ref().is_some_and(|x| x.error);
                let val = |name: &str, current: String| if refused { refill(&ef, name) } else { current };
                let current = val("vendor_plan", format!("{}|{}", s.vendor, s.plan));
                let vendor_slug = s.vendor.clone();
                let org = match &s.provisioning { ServiceProvisioning::Platform { org } => org.clone(), ServiceProvisioning::Direct => String::new() };
                let phi = match &s.phi { Phi::Yes => "yes", Phi::No { .. } => "no", Phi::Unknown => "unknown" };
                let (basis, reason) = match &s.phi { Phi::No { basis, reason, .. } => (basis.as_str().to_string(), reason.clone()), _ => (String::new(), String::new()) };
                let (phi, basis, reason) = (val("phi", phi.to_string()), val("phi_basis", basis), val("phi_reason", reason));
                let err = |name: &str| field_error(&ef, name);
                let desc = |name: &str| err(name).is_some().then(|| format!("edit-{name}-error"));
                let line = |name: &str| err(name).map(|e| view! { <p class="field-error" id=format!("edit-{name}-error")>{e}</p> });
                view! {
                    <form method="post" action="/actions/services/save" class="card stack narrow" aria-label="Change this service" novalidate=true>
                        <h3>"Change this service"</h3>
                        <ErrorSummary flash=ef.clone() />
                        <input type="hidden" name="id" value=s.id.clone() />
                        <input type="hidden" name="name" value=s.name.clone() />
                        <input type="hidden" name="product" value=s.product.clone() />
                        <input type="hidden" name="org" value=org />
                        <div class="field"><label for="edit-vp">"Plan"</label>
                            <select id="edit-vp" name="vendor_plan" aria-describedby=desc("vendor_plan")>{view_.data.vendors.iter().filter(|v| v.slug == vendor_slug).flat_map(|v| v.plans.iter().map(move |(p, n, e)| (format!("{}|{p}", v.slug), format!("{n} (BAA: {e})")))).map(|(v, label)| { let sel = v == current; view! { <option value=v selected=sel>{label}</option> } }).collect_view()}</select>
                            {line("vendor_plan")}</div>
                        <div class="field"><label for="edit-apps">"Apps using it (comma-separated)"</label><input id="edit-apps" name="apps" value=val("apps", s.apps.join(", ")) aria-describedby=desc("apps") />{line("apps")}</div>
                        <div class="field"><label for="edit-regions">"Regions"</label><input id="edit-regions" name="regions" value=val("regions", s.regions.join(", ")) aria-describedby=desc("regions") />{line("regions")}</div>
                        <div class="field"><label for="edit-addons">"Add-ons (comma-separated)"</label><input id="edit-addons" name="add_ons" value=val("add_ons", s.add_ons.join(", ")) aria-describedby=desc("add_ons") />{line("add_ons")}</div>
                        <div class="field"><label for="edit-account">"Vendor account (empty: unknown)"</label><input id="edit-account" name="account" value=val("account", s.account.clone().unwrap_or_default()) aria-describedby=desc("account") />{line("account")}</div>
                        {crate::pages::coverage::phi_fields("edit", &ef, &phi, &basis, &reason)}
                        <div class="field"><label for="edit-on">"Changed on (empty: today)"</label><input id="edit-on" type="date" name="effective_on" value=val("effective_on", String::new()) aria-describedby=desc("effective_on") />{line("effective_on")}</div>
                        <button type="submit">"Save change"</button>
                    </form>
                }
            })}
            <section><h2>"Findings"</h2>
                {if findings.is_empty() { view! { <p>"None."</p> }.into_any() } else {
                    view! { <ul class="findings">{findings.into_iter().map(|f| view! { <li class="finding"><strong>{f.rule.as_str()}</strong><p>{f.explanation}</p><p class="next"><span class="label">"Next step: "</span>{f.next_step}</p></li> }).collect_view()}</ul> }.into_any()
                }}
            </section>
            <section><h2>"History"</h2>{history_table(d.history.clone())}</section>
        }
        .into_any()
    })
}

/// One agreement: parties, dates, scope, status history, clause checklist, changes.
#[component]
pub fn AgreementPage() -> impl IntoView {
    let params = use_params_map();
    let data = Resource::new(move || params.with(|p| p.get("id").unwrap_or_default()), agreement_detail);
    app_page("Agreement", data, |_v, f, d| {
        let a = d.agreement.clone();
        let name = |id: &str| {
            d.parties.iter().find(|p| p.id == id).map(|p| p.name.clone()).unwrap_or_else(|| id.to_string())
        };
        let kind = match &a.kind {
            AgreementKind::Baa => "Business associate agreement".to_string(),
            AgreementKind::SubcontractorBaa => "Subcontractor BAA".into(),
            AgreementKind::PlatformAgreement { extends_to } => {
                format!("Platform agreement extending to {}", extends_to.join(", "))
            }
        };
        let scope = match &a.scope {
            Scope::All => "everything the vendor offers".to_string(),
            Scope::Limited { products, plans, regions, accounts } => format!(
                "products: {}; plans: {}; regions: {}; accounts: {}",
                if products.is_empty() { "all".into() } else { products.join(", ") },
                if plans.is_empty() { "all".into() } else { plans.join(", ") },
                if regions.is_empty() { "all".into() } else { regions.join(", ") },
                if accounts.is_empty() { "any".into() } else { accounts.join(", ") }
            ),
        };
        let id = a.id.clone();
        view! {
            <h2>{a.title.clone()}</h2>
            <dl class="facts">
                <dt>"Parties"</dt><dd>{format!("{} and {}", name(&a.parties[0]), name(&a.parties[1]))}</dd>
                <dt>"Kind"</dt><dd>{kind}</dd>
                <dt>"Signed"</dt><dd>{a.signed_on.map(|x| x.to_string()).unwrap_or_else(|| "date not recorded".into())}</dd>
                <dt>"Effective"</dt><dd>{a.effective.map(|x| x.to_string()).unwrap_or_else(|| "from signature".into())}</dd>
                <dt>"Recorded"</dt><dd>{a.recorded_on.map(|x| x.to_string()).unwrap_or_default()}{crate::inventory_api::recorded_late(&a).map(|t| view! { " " <span class="badge state-pending">{format!("entered late: {t}")}</span> })}</dd>
                <dt>"Expires"</dt><dd>{a.expiry.map(|x| x.to_string()).unwrap_or_else(|| "no expiry".into())}</dd>
                <dt>"Renewal"</dt><dd>{if a.auto_renews { "renews automatically at the end of each term".to_string() } else { "fixed term".to_string() }}{a.notice_days.map(|n| format!("; {n} days' notice"))}</dd>
                <dt>"Scope"</dt><dd>{scope}</dd>
                {(!a.notes.is_empty()).then(|| view! { <dt>"Notes"</dt><dd class="notes">{a.notes.clone()}</dd> })}
                {a.supersedes.clone().map(|p| view! { <dt>"Renews"</dt><dd><a href=format!("/agreements/{p}")>"the previous agreement"</a></dd> })}
                <dt>"Executed document"</dt><dd>{if a.has_executed_document { "uploaded" } else { "not uploaded" }}</dd>
            </dl>
            <section aria-labelledby="st-h"><h2 id="st-h">"Status history"</h2>
                <ol class="plain">{a.history.iter().map(|h| view! { <li>{h.on.to_string()}": "<strong>{format!("{:?}", h.status)}</strong></li> }).collect_view()}</ol>
                {d.can_edit.then(|| {
                    // Step 1: choose (starting from the current status), date and reason.
                    // Step 2: the checked change comes back to be confirmed.
                    let sf = crate::components::for_form(&f, "status");
                    let confirm = crate::components::for_form(&f, "status-confirm");
                    let now = a.history.last().map(|h| h.status);
                    let now_value = match now { Some(baa_core::coverage::Status::Sent) => "sent", Some(baa_core::coverage::Status::InNegotiation) => "in-negotiation", Some(baa_core::coverage::Status::Signed) => "signed", Some(baa_core::coverage::Status::Terminated) => "terminated", Some(baa_core::coverage::Status::Superseded) => "superseded", _ => "draft" };
                    let chosen = if sf.is_some() { refill(&sf, "status") } else { now_value.to_string() };
                    let err = |n: &str| field_error(&sf, n);
                    let desc = |n: &str| err(n).is_some().then(|| format!("st-{n}-error"));
                    let line = |n: &str| err(n).map(|e| view! { <p class="field-error" id=format!("st-{n}-error")>{e}</p> });
                    view! {
                        {confirm.map(|c| view! {
                            <form method="post" action="/actions/agreements/status" class="card stack confirm" aria-label="Confirm the status change">
                                <p role="status"><strong>{c.message.clone()}</strong></p>
                                <input type="hidden" name="id" value=id.clone() />
                                <input type="hidden" name="status" value=c.value("status") />
                                <input type="hidden" name="on" value=c.value("on") />
                                <input type="hidden" name="reason" value=c.value("reason") />
                                <input type="hidden" name="confirmed" value="yes" />
                                <div class="actions"><button type="submit">"Confirm the change"</button>" "<a class="button secondary" href=format!("/agreements/{}#st-h", id)>"Cancel"</a></div>
                            </form>
                        })}
                        <form method="post" action="/actions/agreements/status" class="card inline-form" aria-label="Change the status" novalidate=true>
                            <ErrorSummary flash=sf.clone() />
                            <input type="hidden" name="id" value=id.clone() />
                            <div class="field" class:has-error=err("status").is_some()><label for="st-new">"New status"</label>
                                <select id="st-new" name="status" aria-describedby=desc("status")>{["draft", "sent", "in-negotiation", "signed", "terminated", "superseded"].into_iter().map(|s| { let sel = s == chosen; view! { <option value=s selected=sel>{if s == now_value { format!("{s} (current)") } else { s.replace('-', " ") }}</option> } }).collect_view()}</select>
                                {line("status")}</div>
                            <div class="field" class:has-error=err("on").is_some()><label for="st-on">"From (empty: today)"</label><input id="st-on" type="date" name="on" value=refill(&sf, "on") aria-describedby=desc("on") />{line("on")}</div>
                            <div class="field" class:has-error=err("reason").is_some()><label for="st-reason">"Why"</label><input id="st-reason" name="reason" required=true value=refill(&sf, "reason") aria-describedby=desc("reason") />
                                {line("reason")}</div>
                            <button type="submit">"Review the change"</button>
                        </form>
                    }
                })}
            </section>
            {d.can_edit.then(|| {
                let (products, plans, regions, accounts) = match &a.scope { Scope::All => (String::new(), String::new(), String::new(), String::new()), Scope::Limited { products, plans, regions, accounts } => (products.join(", "), plans.join(", "), regions.join(", "), accounts.join(", ")) };
                let extends = match &a.kind { AgreementKind::PlatformAgreement { extends_to } => Some(extends_to.join(", ")), _ => None };
                let plan_slugs: Vec<String> = match &a.scope { Scope::Limited { plans, .. } => plans.clone(), Scope::All => Vec::new() };
                view! {
                    <details class="card">
                        <summary>"Edit dates and scope"</summary>
                        <form method="post" action="/actions/agreements/update" class="stack narrow" aria-label="Edit the agreement">
                            <input type="hidden" name="id" value=a.id.clone() />
                            <div class="field"><label for="ed-title">"Title"</label><input id="ed-title" name="title" value=a.title.clone() /></div>
                            {extends.map(|x| view! { <div class="field"><label for="ed-ext">"Extends to vendors"</label><input id="ed-ext" name="extends_to" value=x /></div> })}
                            <div class="field"><label for="ed-eff">"Effective date"</label><input id="ed-eff" type="date" name="effective" value=a.effective.map(|x| x.to_string()).unwrap_or_default() /></div>
                            <div class="field" class:has-error=field_error(&crate::components::for_form(&f, "agreement-edit"), "expiry").is_some()><label for="ed-exp">"Expiry date"</label><input id="ed-exp" type="date" name="expiry" value=a.expiry.map(|x| x.to_string()).unwrap_or_default() />
                                {field_error(&crate::components::for_form(&f, "agreement-edit"), "expiry").map(|e| view! { <p class="field-error">{e}</p> })}</div>
                            <div class="field checkbox"><input id="ed-auto" type="checkbox" name="auto_renews" value="on" checked=a.auto_renews /><label for="ed-auto">"Renews automatically"</label></div>
                            <div class="field"><label for="ed-notice">"Notice period (days)"</label><input id="ed-notice" name="notice_days" value=a.notice_days.map(|n| n.to_string()).unwrap_or_default() />
                                {field_error(&crate::components::for_form(&f, "agreement-edit"), "notice_days").map(|e| view! { <p class="field-error">{e}</p> })}</div>
                            <div class="field"><label for="ed-notes">"Notes"</label><textarea id="ed-notes" name="notes" rows="3">{a.notes.clone()}</textarea></div>
                            <div class="field"><label for="ed-products">"Products (empty: all)"</label><input id="ed-products" name="products" value=products /></div>
                            {match d.plan_choices.clone() {
                                // Plans are ticked from the vendor's own plans.
                                Some(crate::inventory_api::PlanChoices { vendor: vslug, name: vname, plans: choices }) => view! {
                                    <fieldset class="plans" aria-describedby=field_error(&crate::components::for_form(&f, "agreement-edit"), "plans").map(|_| "ed-plans-error")><legend>{format!("{vname} plans covered (none ticked: all)")}</legend>
                                        {choices.into_iter().map(|(slug, name)| {
                                            let id = format!("ed-plan-{slug}");
                                            let on = plan_slugs.contains(&slug);
                                            view! { <div class="field checkbox"><input id=id.clone() type="checkbox" name="plans" value=format!("{vslug}|{slug}") checked=on /><label for=id>{name}</label></div> }
                                        }).collect_view()}
                                        {field_error(&crate::components::for_form(&f, "agreement-edit"), "plans").map(|e| view! { <p class="field-error" id="ed-plans-error">{e}</p> })}
                                    </fieldset>
                                }.into_any(),
                                None => view! { <div class="field"><label for="ed-plans">"Plans (empty: all)"</label><input id="ed-plans" name="plans" value=plans />
                                    {field_error(&crate::components::for_form(&f, "agreement-edit"), "plans").map(|e| view! { <p class="field-error" id="ed-plans-error">{e}</p> })}</div> }.into_any(),
                            }}
                            <div class="field"><label for="ed-regions">"Regions (empty: all)"</label><input id="ed-regions" name="regions" value=regions /></div>
                            <div class="field"><label for="ed-accounts">"Accounts (empty: any)"</label><input id="ed-accounts" name="accounts" value=accounts /></div>
                            <div class="field" class:has-error=field_error(&crate::components::for_form(&f, "agreement-edit"), "reason").is_some()><label for="ed-reason">"Why"</label><input id="ed-reason" name="reason" required=true />
                                {field_error(&crate::components::for_form(&f, "agreement-edit"), "reason").map(|e| view! { <p class="field-error">{e}</p> })}</div>
                            <button type="submit">"Save changes"</button>
                        </form>
                    </details>
                }
            })}
            <section aria-labelledby="doc-h"><h2 id="doc-h">"Executed document"</h2>
                {if d.documents.is_empty() {
                    view! { <p class="warn-text">"No signed copy uploaded yet."</p> }.into_any()
                } else {
                    view! {
                        <div class="table-wrap" tabindex="0"><table>
                            <thead><tr><th scope="col">"Version"</th><th scope="col">"File"</th><th scope="col">"Uploaded by"</th><th scope="col">"When"</th><th scope="col">"Size"</th><th scope="col">"SHA-256"</th></tr></thead>
                            <tbody>{d.documents.iter().map(|doc| view! {
                                <tr>
                                    <td>{doc.version}</td>
                                    <td><a href=format!("/documents/{}", doc.id) download="">{doc.file_name.clone()}</a></td>
                                    <td>{doc.uploaded_by.clone()}</td>
                                    <td>{doc.uploaded_at.clone()}</td>
                                    <td>{format!("{:.1} KB", doc.size as f64 / 1024.0)}</td>
                                    <td><code class="hash">{doc.sha256.clone()}</code></td>
                                </tr>
                            }).collect_view()}</tbody>
                        </table></div>
                    }.into_any()
                }}
                {d.can_edit.then(|| view! {
                    <form method="post" action="/actions/agreements/documents" enctype="multipart/form-data" class="card dropzone" aria-label="Upload the signed PDF" data-upload="" data-max-bytes=(d.max_upload_mb * 1024 * 1024).to_string()>
                        <input type="hidden" name="id" value=a.id.clone() />
                        <p class="dropzone-hint" aria-hidden="true">"Drop the signed PDF here, or choose it below."</p>
                        <div class="inline-form">
                            <div class="field" class:has-error=field_error(&crate::components::for_form(&f, "document"), "file").is_some()>
                                <label for="doc-file">{format!("Signed PDF (up to {} MB)", d.max_upload_mb)}</label>
                                <input id="doc-file" type="file" name="file" accept="application/pdf,.pdf" required=true />
                                {field_error(&crate::components::for_form(&f, "document"), "file").map(|e| view! { <p class="field-error" role="alert">{e}</p> })}
                            </div>
                            <button type="submit">"Upload"</button>
                        </div>
                        <progress max="100" value="0" hidden=true aria-label="Upload progress"></progress>
                        <p class="upload-status" data-upload-status="" role="status" aria-live="polite"></p>
                    </form>
                })}
            </section>
            <section aria-labelledby="cl-h"><h2 id="cl-h">"Required clauses (45 CFR 164.504(e), 164.314(a))"</h2>
                <p>{format!("{} of 12 confirmed (a clause counts only with where it is found and who confirmed it).", a.confirmed_clauses())}</p>
                {if d.can_edit {
                    view! {
                        <form method="post" action="/actions/agreements/clauses" class="stack" aria-label="Clause checklist">
                            <input type="hidden" name="id" value=a.id.clone() />
                            <ErrorSummary flash=crate::components::for_form(&f, "clauses") />
                            {field_error(&crate::components::for_form(&f, "clauses"), "clauses").map(|e| view! { <p class="field-error" id="chk-clauses-error">{e}</p> })}
                            <div class="table-wrap" tabindex="0"><table class="checklist">
                                <thead><tr><th scope="col">"Clause"</th><th scope="col">"Found in the document"</th><th scope="col">"Where (section or page)"</th><th scope="col">"Confirmed by"</th></tr></thead>
                                <tbody>{Clause::ALL.into_iter().map(|c| {
                                    // A refused checklist comes back as it was sent (ticks and
                                    // locations), each missing location beside its clause.
                                    let cf = crate::components::for_form(&f, "clauses");
                                    let refused = cf.as_ref().is_some_and(|x| x.error);
                                    let value = serde_json::to_value(c).ok().and_then(|v| v.as_str().map(str::to_string)).unwrap_or_default();
                                    let ev = a.clause_evidence.get(&c).cloned();
                                    // "chk-" keeps these ids apart from the page's headings
                                    // (the section heading is "cl-h", clause h's box was too).
                                    let cid = format!("chk-cl-{value}");
                                    let wid = format!("chk-where-{value}");
                                    let where_name = format!("where:{value}");
                                    let ticked = if refused { cf.as_ref().is_some_and(|x| x.sent("clause", &value)) } else { a.confirms(c) };
                                    let location = if refused { refill(&cf, &where_name) } else { ev.as_ref().map(|e| e.location.clone()).unwrap_or_default() };
                                    let err = field_error(&cf, &where_name);
                                    let has_err = err.is_some();
                                    let eid = format!("{wid}-error");
                                    let described = has_err.then(|| eid.clone());
                                    view! {
                                        <tr class:has-error=has_err>
                                            <td><label for=cid.clone()>{c.label()}</label></td>
                                            <td><input id=cid type="checkbox" name="clause" value=value.clone() checked=ticked /></td>
                                            <td><label class="visually-hidden" for=wid.clone()>{format!("Where {} is found", c.label())}</label><input id=wid name=where_name value=location aria-invalid=has_err.then_some("true") aria-describedby=described />
                                                {err.map(|e| view! { <p class="field-error" id=eid>{e}</p> })}</td>
                                            <td>{ev.map(|e| format!("{} on {}", e.confirmed_by, e.confirmed_on)).unwrap_or_default()}</td>
                                        </tr>
                                    }
                                }).collect_view()}</tbody>
                            </table></div>
                            <button type="submit">"Save checklist"</button>
                        </form>
                    }.into_any()
                } else {
                    view! {
                        <ul class="plain checklist">{Clause::ALL.into_iter().map(|c| {
                            let ok = a.confirms(c);
                            let ev = a.clause_evidence.get(&c).map(|e| format!(" — {} (confirmed by {} on {})", e.location, e.confirmed_by, e.confirmed_on)).unwrap_or_default();
                            view! { <li class=if ok { "ok-text" } else { "warn-text" }>{if ok { "✓ " } else { "✗ " }}{c.label()}{ev}</li> }
                        }).collect_view()}</ul>
                    }.into_any()
                }}
            </section>
            {(d.can_edit && a.history.last().map(|h| h.status) == Some(baa_core::coverage::Status::Signed)).then(|| view! {
                <details class="card">
                    <summary>"Renew this agreement"</summary>
                    <p class="hint">"Records the renewal as a new signed agreement with the same parties, scope and checklist; this one is superseded from the renewal's first day, so coverage has no gap."</p>
                    <form method="post" action="/actions/agreements/renew" class="stack narrow" aria-label="Renew the agreement">
                        <input type="hidden" name="id" value=a.id.clone() />
                        <div class="field" class:has-error=field_error(&crate::components::for_form(&f, "renew"), "effective").is_some()><label for="rn-eff">"First day of the renewal"</label><input id="rn-eff" type="date" name="effective" required=true />
                            {field_error(&crate::components::for_form(&f, "renew"), "effective").map(|e| view! { <p class="field-error">{e}</p> })}</div>
                        <div class="field"><label for="rn-exp">"Expiry of the renewal"</label><input id="rn-exp" type="date" name="expiry" /></div>
                        <div class="field"><label for="rn-why">"Why"</label><input id="rn-why" name="reason" required=true /></div>
                        <button type="submit">"Renew"</button>
                    </form>
                </details>
            })}
            <section><h2>"Findings today"</h2>
                {if d.findings.is_empty() { view! { <p>"None."</p> }.into_any() } else {
                    view! { <ul class="findings">{d.findings.iter().map(|f| view! { <li class="finding"><strong>{f.rule.as_str()}</strong><p>{f.explanation.clone()}</p><p class="next"><span class="label">"Next step: "</span>{f.next_step.clone()}</p></li> }).collect_view()}</ul> }.into_any()
                }}
            </section>
            <section><h2>"Changes"</h2>{history_table(d.history.clone())}</section>
        }
        .into_any()
    })
}

/// Confirm or reject what an import could only guess about this service.
fn candidate_section(s: &baa_core::coverage::Service, edit: bool) -> impl IntoView {
    if s.unconfirmed.is_none() && s.candidate_apps.is_empty() {
        return None;
    }
    let id = s.id.clone();
    let reject = |app: &str, label: String| {
        let rid = format!("rej-{}", if app.is_empty() { "service" } else { app });
        view! {
            <form method="post" action="/actions/services/reject" class="row-form">
                <input type="hidden" name="id" value=id.clone() />
                <input type="hidden" name="app" value=app.to_string() />
                <label class="visually-hidden" for=rid.clone()>{format!("Why reject: {label}")}</label>
                <input id=rid name="reason" placeholder="why (required)" required=true />
                <button type="submit" class="small secondary">{format!("Reject: {label}")}</button>
            </form>
        }
    };
    let confirm = |app: &str, label: String| {
        view! {
            <form method="post" action="/actions/services/confirm" class="row-form">
                <input type="hidden" name="id" value=id.clone() />
                <input type="hidden" name="app" value=app.to_string() />
                <button type="submit" class="small">{format!("Confirm: {label}")}</button>
            </form>
        }
    };
    Some(view! {
        <section class="card" aria-labelledby="cand-h">
            <h2 id="cand-h">"Unconfirmed"</h2>
            <p class="hint">"An import found these but could not tell for sure. They count as facts nowhere: the service is still evaluated (fail closed) until someone decides."</p>
            {s.unconfirmed.clone().map(|why| view! {
                <div class="candidate"><p><strong>"This service itself: "</strong>{why}</p>
                {edit.then(|| view! { {confirm("", "it exists and is ours".into())}{reject("", "not ours, or not in use".into())} })}</div>
            })}
            {s.candidate_apps.iter().map(|app| view! {
                <div class="candidate"><p><strong>{app.clone()}</strong>" may use it."</p>
                {edit.then(|| view! { {confirm(app, format!("{app} uses it"))}{reject(app, format!("{app} does not"))} })}</div>
            }).collect_view()}
        </section>
    })
}

/// The configurations the vendor requires for its BAA, with who confirmed each on this service.
fn config_section(
    s: &baa_core::coverage::Service,
    required: &[String],
    as_of: &str,
    edit: bool,
) -> impl IntoView {
    if required.is_empty() {
        return None;
    }
    let day = chrono::NaiveDate::parse_from_str(as_of, "%Y-%m-%d").ok();
    Some(view! {
        <section class="card" aria-labelledby="cfg-h">
            <h2 id="cfg-h">"Configuration the vendor requires"</h2>
            <ul class="plain">{required.iter().enumerate().map(|(n, item)| {
                let att = s.attestations.iter().find(|a| &a.item == item).cloned();
                let holds = att.as_ref().zip(day).is_some_and(|(a, d)| a.holds_on(d));
                let status = match &att {
                    Some(a) if holds => format!("confirmed by {} on {}, review by {}", a.confirmed_by, a.confirmed_on, a.review_on),
                    Some(a) => format!("confirmed by {} on {}, but past its review date {}", a.confirmed_by, a.confirmed_on, a.review_on),
                    None => "not confirmed".to_string(),
                };
                let rid = format!("cfg-review-{n}");
                view! {
                    <li class="config-item">
                        <strong>{item.clone()}</strong>": "<span class=if holds { "ok-text" } else { "warn-text" }>{status}</span>
                        {edit.then(|| view! {
                            <form method="post" action="/actions/services/attest" class="row-form">
                                <input type="hidden" name="id" value=s.id.clone() />
                                <input type="hidden" name="item" value=item.clone() />
                                <label for=rid.clone()>"Review by"</label><input id=rid type="date" name="review_on" />
                                <button type="submit" class="small">"I checked it is set"</button>
                            </form>
                        })}
                    </li>
                }
            }).collect_view()}</ul>
        </section>
    })
}

fn elig_value(e: Eligibility) -> &'static str {
    match e {
        Eligibility::Eligible => "eligible",
        Eligibility::NotEligible => "not-eligible",
        Eligibility::OnRequest => "on-request",
        Eligibility::Unknown => "unknown",
    }
}

/// The vendor catalog: plans, BAA eligibility, sources; local edits and pending catalog updates.
#[component]
pub fn Vendors() -> impl IntoView {
    let data = Resource::new(|| (), |_| vendors_data());
    app_page("Vendors", data, |_v, f, d| {
        let edit = d.can_edit;
        view! {
            <p class="lead">"Vendor facts (catalog "{d.catalog_version.clone()}"). Facts change: each entry names its source and when it was checked. Owners and legal can correct an entry for this workspace; a newer catalog never overwrites a local correction silently."</p>
            {d.vendors.into_iter().map(|e| {
                let v = e.vendor.clone();
                let slug = v.slug.clone();
                let form_id = format!("vendor-{slug}");
                let mine = f.as_ref().and_then(|x| x.form.clone()) == Some(form_id.clone());
                view! {
                    <section class="card vendor" id=slug.clone() aria-labelledby=format!("{slug}-h")>
                        <h2 id=format!("{slug}-h")>{v.name.clone()}<span class="badge">{v.category.clone()}</span>
                            {v.removed.as_ref().map(|r| view! { <span class="badge state-expired">{format!("removed {}", r.on)}</span> })}</h2>
                        <p>{format!("{} {}.", v.name, v.baa_terms)}</p>
                        <div class="table-wrap" tabindex="0"><table>
                            <thead><tr><th scope="col">"Plan"</th><th scope="col">"BAA"</th><th scope="col">"Note"</th></tr></thead>
                            <tbody>{v.plans.iter().map(|p| view! { <tr><td>{p.name.clone()}</td><td>{elig_value(p.baa_eligible).replace('-', " ")}</td><td>{p.note.clone().unwrap_or_default()}</td></tr> }).collect_view()}</tbody>
                        </table></div>
                        {(!v.add_ons.is_empty()).then(|| view! { <p>"Add-ons: "{v.add_ons.iter().map(|a| format!("{} (makes {} eligible)", a.name, a.makes_eligible.join(", "))).collect::<Vec<_>>().join("; ")}</p> })}
                        {(!v.required_configuration.is_empty()).then(|| view! { <p>"Required configuration: "{v.required_configuration.join("; ")}</p> })}
                        <p class="hint">"Source: "{v.source.url.clone().map(|u| view! { <a href=u.clone() rel="noopener noreferrer">{v.source.name.clone()}</a> }.into_any()).unwrap_or_else(|| v.source.name.clone().into_any())}", checked "{v.source.checked.to_string()}"."</p>
                        {e.local_edit.clone().map(|(by, at, why)| view! { <p class="warn-text">"Edited for this workspace by "{by}" on "{at}": "{why}</p> })}
                        <p>"Contact: "{if e.contact.is_empty() { "not recorded".to_string() } else { e.contact.clone() }}</p>
                        <p>"Its own PHI subcontractors: "{match e.downstream.as_str() {
                            "none" => "none (the vendor says it uses none)".to_string(),
                            "listed" => e.subcontractors.join(", "),
                            _ => "unknown: until recorded, the chain below it is unverified".to_string(),
                        }}</p>
                        {edit.then(|| {
                            let fid = format!("facts-{slug}");
                            let mine_facts = f.as_ref().and_then(|x| x.form.clone()) == Some(fid.clone());
                            view! {
                                <details open=mine_facts>
                                    <summary>"Record contact and subcontractors"</summary>
                                    <form method="post" action="/actions/vendors/facts" class="stack narrow">
                                        <input type="hidden" name="vendor" value=slug.clone() />
                                        <div class="field"><label for=format!("{fid}-contact")>"Contact for BAA matters"</label><input id=format!("{fid}-contact") name="contact" value=e.contact.clone() />
                                            {mine_facts.then(|| field_error(&f, "contact").map(|m| view! { <p class="field-error">{m}</p> }))}</div>
                                        <div class="field"><label for=format!("{fid}-down")>"Its PHI subcontractors"</label>
                                            <select id=format!("{fid}-down") name="downstream">{[("unknown", "unknown"), ("none", "none: the vendor says it uses none"), ("listed", "listed: recorded as subcontractors on the agreements page")].into_iter().map(|(val, l)| view! { <option value=val selected=val == e.downstream>{l}</option> }).collect_view()}</select>
                                            {mine_facts.then(|| field_error(&f, "downstream").map(|m| view! { <p class="field-error">{m}</p> }))}</div>
                                        <div class="field"><label for=format!("{fid}-why")>"Source (subprocessor page, letter)"</label><input id=format!("{fid}-why") name="reason" /></div>
                                        <button type="submit">"Save vendor facts"</button>
                                    </form>
                                </details>
                            }
                        })}
                        {(!e.update_available.is_empty()).then(|| view! {
                            <div class="flash error" role="status">
                                <p><strong>"The catalog has newer facts for "{v.name.clone()}" than your edit:"</strong></p>
                                <ul>{e.update_available.iter().map(|l| view! { <li>{l.clone()}</li> }).collect_view()}</ul>
                                {edit.then(|| view! {
                                    <form method="post" action="/actions/vendors/take-bundled" class="row-form"><input type="hidden" name="slug" value=slug.clone() /><input type="hidden" name="reason" value="took the newer catalog entry" /><button type="submit" class="small">"Use the catalog's facts"</button></form>
                                    <form method="post" action="/actions/vendors/keep-local" class="row-form"><input type="hidden" name="slug" value=slug.clone() /><input type="hidden" name="reason" value="reviewed the catalog update; our facts stand" /><button type="submit" class="small secondary">"Keep our edit"</button></form>
                                })}
                            </div>
                        })}
                        {edit.then(|| view! {
                            <details open=mine>
                                <summary>"Correct these facts"</summary>
                                <form method="post" action="/actions/vendors/edit" class="stack narrow">
                                    <input type="hidden" name="slug" value=slug.clone() />
                                    <div class="field"><label for=format!("{slug}-terms")>"BAA terms"</label><input id=format!("{slug}-terms") name="baa_terms" value=v.baa_terms.clone() required=true /></div>
                                    {v.plans.iter().map(|p| {
                                        let id = format!("{slug}-plan-{}", p.slug);
                                        let cur = elig_value(p.baa_eligible);
                                        view! { <div class="field"><label for=id.clone()>{format!("{} plan", p.name)}</label>
                                            <select id=id name=format!("plan:{}", p.slug)>{["eligible", "not-eligible", "on-request", "unknown"].into_iter().map(|o| view! { <option value=o selected=o == cur>{o.replace('-', " ")}</option> }).collect_view()}</select></div> }
                                    }).collect_view()}
                                    <div class="field"><label for=format!("{slug}-checked")>"Source checked (YYYY-MM-DD)"</label><input id=format!("{slug}-checked") name="checked" value=v.source.checked.to_string() required=true /></div>
                                    <div class="field" class:has-error=mine && field_error(&f, "reason").is_some()><label for=format!("{slug}-reason")>"Why (source and what it says)"</label><input id=format!("{slug}-reason") name="reason" required=true value=if mine { refill(&f, "reason") } else { String::new() } />
                                        {mine.then(|| field_error(&f, "reason").or_else(|| field_error(&f, "checked")).or_else(|| field_error(&f, "baa_terms")).map(|e| view! { <p class="field-error">{e}</p> }))}</div>
                                    <button type="submit">"Save correction"</button>
                                </form>
                            </details>
                        })}
                    </section>
                }
            }).collect_view()}
        }
        .into_any()
    })
}
