//! Coverage dashboard, inventory (orgs, apps, services) and agreements pages.

use crate::api::{overview_page, Flash};
use crate::components::{app_page, field_error, for_form, pager, refill, ErrorSummary, Field, PageOf};
use crate::inventory_api::{coverage_data, recorded_late, CoverageView};
use baa_core::coverage::{
    Action, AgreementKind, Clause, Finding, NoPhiBasis, Phi, Role as PartyRole, RuleId, ServiceProvisioning,
    Severity, Verdict,
};
use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

fn severity_class(s: Severity) -> &'static str {
    match s {
        Severity::Critical => "sev sev-critical",
        Severity::High => "sev sev-high",
        Severity::Medium => "sev sev-medium",
        Severity::Warning => "sev sev-warning",
        Severity::Low => "sev sev-low",
    }
}

fn severity_label(s: Severity) -> &'static str {
    match s {
        Severity::Critical => "critical",
        Severity::High => "high",
        Severity::Medium => "medium",
        Severity::Warning => "warning",
        Severity::Low => "low",
    }
}

fn finding_row(f: &Finding) -> impl IntoView {
    view! {
        <li class="finding">
            <span class=severity_class(f.severity)>{severity_label(f.severity)}</span>
            " "
            <code class="rule">{f.rule.as_str()}</code>
            " "
            <strong>{f.subject.name.clone()}</strong>
            <p>{f.explanation.clone()}</p>
            <p class="next"><span class="label">"Next step: "</span>{f.next_step.clone()}</p>
        </li>
    }
}

/// How many of an action's services are listed when it is opened; the rest are one link away.
const ACTION_LISTED: usize = 20;

/// One action: a single finding as it is, or a group of services that one step fixes, closed to
/// its headline and count ("Move Sentry from Team to Business: 212 services in 40 apps").
fn action_item(a: &Action, findings: &[Finding]) -> AnyView {
    let members: Vec<&Finding> = a.findings.iter().filter_map(|&i| findings.get(i)).collect();
    if members.len() == 1 {
        return finding_row(members[0]).into_any();
    }
    let more = members.len().saturating_sub(ACTION_LISTED);
    let list = a.vendor.as_ref().map(|v| {
        let verdict = if a.rule == RuleId::UncoveredService || a.rule == RuleId::PlanIneligible {
            "&verdict=uncovered"
        } else {
            ""
        };
        format!("/inventory?vendor={v}{verdict}#services-h")
    });
    view! {
        <li class="finding action">
            <details>
                <summary>
                    <span class=severity_class(a.severity)>{severity_label(a.severity)}</span>
                    " "
                    <code class="rule">{a.rule.as_str()}</code>
                    " "
                    <strong>{a.headline.clone()}</strong>
                    {format!(": {}", a.scope())}
                </summary>
                {a.why.clone().map(|w| view! { <p>"What they share: "{w}"."</p> })}
                <ul class="findings">{members.iter().take(ACTION_LISTED).map(|f| finding_row(f)).collect_view()}</ul>
                {(more > 0).then(|| view! {
                    <p>{format!("and {more} more")}{list.clone().map(|href| view! { ": "<a href=href>"see them in the inventory"</a> })}</p>
                })}
            </details>
        </li>
    }
    .into_any()
}

fn as_of_form(action: &'static str, d: &CoverageView) -> impl IntoView {
    view! {
        <form method="get" action=action class="inline-form as-of">
            <div class="field">
                <label for="as-of">"As of"</label>
                <input id="as-of" type="date" name="as_of" value=d.as_of.clone() max="9999-12-31" />
            </div>
            <button type="submit" class="secondary">"Show"</button>
            {(d.as_of != d.today).then(|| view! { <a href=action class="button small secondary">"Back to today"</a> })}
        </form>
    }
}

/// The founder's one page: coverage, gaps with next steps, what expires soon, the graph.
#[component]
pub fn Dashboard() -> impl IntoView {
    let q = use_query_map();
    let as_of = move || q.with(|q| q.get("as_of").unwrap_or_default());
    let data = Resource::new(as_of, coverage_data);
    let people = Resource::new(|| (), |_| overview_page());
    app_page("Dashboard", data, move |v, _f, d| {
        let s = d.report.summary.clone();
        let past = d.as_of != d.today;
        let findings = d.report.findings.clone();
        let deadlines = d.report.deadlines.clone();
        let late: Vec<(String, String, String)> = d
            .agreements
            .iter()
            .filter_map(|a| recorded_late(a).map(|t| (a.id.clone(), a.title.clone(), t)))
            .collect();
        let corrections = d.corrections.clone();
        let corrected = d.corrected_verdicts.clone();
        let cov_class = if s.uncovered_phi > 0 {
            "warn-text"
        } else if s.phi_services == 0 {
            ""
        } else {
            "ok-text"
        };
        let no_services = d.services.is_empty();
        let can_import = v.role.allows(baa_core::account::Permission::EditInventory);
        view! {
            <p class="lead">"Welcome, "{v.name.clone()}". You are "<strong>{v.role.label()}</strong>" in "{v.workspace_name.clone()}"."</p>
            {as_of_form("/", &d)}
            {past.then(|| view! { <p class="flash neutral" role="status">{if d.as_of < d.today { format!("Showing the record as it stood at the end of {}; corrections made later are listed below.", d.as_of) } else { format!("Showing the record as planned for {}.", d.as_of) }}</p> })}
            <div class="cards">
                <section class="card" aria-labelledby="cov-h">
                    <h2 id="cov-h">"Coverage"</h2>
                    <p class="big">{s.covered_phi}" / "{s.phi_services}<span class="unit">" PHI services covered"</span></p>
                    <p class=cov_class>
                        {if s.uncovered_phi > 0 { format!("{} PHI service(s) not covered", s.uncovered_phi) } else if s.phi_services == 0 { "No PHI services recorded yet.".to_string() } else { "Every PHI service is covered.".to_string() }}
                    </p>
                    <p class="hint">{s.no_phi}" service(s) recorded as not handling PHI."</p>
                </section>
                <section class="card" aria-labelledby="sev-h">
                    <h2 id="sev-h">"Open findings"</h2>
                    <ul class="plain sev-counts">
                        <li><span class="sev sev-critical">"critical"</span>" "{s.critical}</li>
                        <li><span class="sev sev-high">"high"</span>" "{s.high}</li>
                        <li><span class="sev sev-medium">"medium"</span>" "{s.medium}</li>
                        <li><span class="sev sev-warning">"warning"</span>" "{s.warning}</li>
                        <li><span class="sev sev-low">"low"</span>" "{s.low}</li>
                    </ul>
                </section>
                <section class="card" aria-labelledby="exp-h">
                    <h2 id="exp-h">"Ending or due soon"</h2>
                    {if deadlines.is_empty() {
                        view! { <p>"No agreement ends, and no renewal notice is due, within the reminder windows."</p> }.into_any()
                    } else {
                        view! { <ul class="plain">{deadlines.iter().map(|e| view! { <li><a href=format!("/agreements/{}", e.agreement)><strong>{e.name.clone()}</strong></a>" "{e.kind.label()}" "{e.on.to_string()}" ("{e.days_left}" days)"</li> }).collect_view()}</ul> }.into_any()
                    }}
                </section>
            </div>
            {crate::pages::safeguards::safeguards_section(&d.safeguards, &d.apps, &d.services, None)}
            <section aria-labelledby="findings-h">
                <h2 id="findings-h">"Findings and next steps"</h2>
                {if findings.is_empty() && no_services {
                    empty_state("Nothing to evaluate yet: no services are recorded.", can_import).into_any()
                } else if findings.is_empty() {
                    view! { <p class="ok-text">"No findings."</p> }.into_any()
                } else {
                    view! { <ul class="findings">{d.report.actions.iter().map(|a| action_item(a, &findings)).collect_view()}</ul> }.into_any()
                }}
            </section>
            {(!corrections.is_empty()).then(|| view! {
                <section aria-labelledby="corr-h" class="card">
                    <h2 id="corr-h">"Corrected later"</h2>
                    <p>"These records were entered after "{d.as_of.clone()}" but say they held on it. The verdicts above are as recorded by the end of that day."</p>
                    {(!corrected.is_empty()).then(|| view! {
                        <ul class="plain">{corrected.iter().map(|(name, was, now)| view! { <li><strong>{name.clone()}</strong>": "{was.clone()}" as recorded, "{now.clone()}" with the corrections"</li> }).collect_view()}</ul>
                    })}
                    <div class="table-wrap" tabindex="0"><table>
                        <thead><tr><th scope="col">"Record"</th><th scope="col">"Change"</th><th scope="col">"Holds from"</th><th scope="col">"Corrected on"</th><th scope="col">"By"</th><th scope="col">"Why"</th></tr></thead>
                        <tbody>{corrections.iter().map(|c| view! { <tr><td>{format!("{} {}", c.kind, c.name)}</td><td>{c.change.clone()}</td><td>{c.effective_on.clone()}</td><td>{c.recorded_at.clone()}</td><td>{c.actor.clone()}</td><td>{c.reason.clone()}</td></tr> }).collect_view()}</tbody>
                    </table></div>
                </section>
            })}
            {(!late.is_empty()).then(|| view! {
                <section aria-labelledby="late-h">
                    <h2 id="late-h">"Agreements recorded after the day they claim"</h2>
                    <ul class="plain">{late.iter().map(|(id, title, t)| view! { <li><a href=format!("/agreements/{id}")>{title.clone()}</a>": "{t.clone()}</li> }).collect_view()}</ul>
                </section>
            })}
            <section aria-labelledby="graph-h">
                <h2 id="graph-h">"Chain of agreements"</h2>
                <div class="graph-wrap" tabindex="0" role="group" aria-label="Relationship graph" inner_html=d.graph_svg.clone()></div>
            </section>
            <Suspense fallback=|| ()>
                {move || Suspend::new(async move {
                    people.await.ok().map(|p| view! {
                        <section aria-labelledby="people-h" class="card">
                            <h2 id="people-h">"People and sign-in security"</h2>
                            <p>{p.by_role.iter().map(|(r, n)| format!("{}: {n}", r.label())).collect::<Vec<_>>().join(" · ")}</p>
                            <p>{if p.require_2fa { "Two-factor sign-in is required." } else { "Two-factor sign-in is optional." }}" Automatic sign-out after "{p.idle_minutes}" idle minutes."</p>
                            {(!p.without_2fa.is_empty()).then(|| view! { <p class="warn-text">"Without two-factor sign-in: "{p.without_2fa.join(", ")}"."</p> })}
                        </section>
                    })
                })}
            </Suspense>
        }
        .into_any()
    })
}

/// `s` made safe for a URL's query.
fn url_part(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-_.".contains(&b) {
                char::from(b).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

fn verdict_text(v: &Verdict) -> (&'static str, String) {
    match v {
        Verdict::Covered { chain } => ("ok-text", format!("covered ({} agreement(s))", chain.len())),
        Verdict::CoveredNoPhi { reason } => ("muted", format!("no PHI: {reason}")),
        Verdict::Uncovered { .. } => ("warn-text", "NOT covered".to_string()),
    }
}

/// Orgs, apps and services, with forms for engineers.
#[component]
pub fn Inventory() -> impl IntoView {
    let q = use_query_map();
    let filter = move |k: &str| q.with_untracked(|q| q.get(k).unwrap_or_default());
    let (f_org, f_app, f_vendor, f_verdict) =
        (filter("org"), filter("app"), filter("vendor"), filter("verdict"));
    let edit_org = filter("edit_org");
    let removing = filter("remove");
    let (f_q, f_sort) = (filter("q"), filter("sort"));
    let (page_no, apps_page) = (filter("page"), filter("apps_page"));
    let data = Resource::new(String::new, coverage_data);
    app_page("Inventory", data, move |_v, f, d| {
        let edit = d.can_edit_inventory;
        let verdicts: std::collections::HashMap<String, Verdict> =
            d.report.services.iter().map(|s| (s.service.clone(), s.verdict.clone())).collect();
        let vendor_name = |slug: &str| {
            d.vendors
                .iter()
                .find(|v| v.slug == slug)
                .map(|v| v.name.clone())
                .unwrap_or_else(|| slug.to_string())
        };
        let fly = d.vendors.iter().find(|v| v.slug == "fly");
        let fly_plans = fly.map(|v| v.plans.clone()).unwrap_or_default();
        let package =
            fly.and_then(|v| v.add_on_terms.iter().find(|a| a.slug == "compliance-package")).cloned();
        let shown = |s: &&baa_core::coverage::Service| {
            let org = match &s.provisioning {
                ServiceProvisioning::Platform { org } => org.as_str(),
                ServiceProvisioning::Direct => "",
            };
            let covered = verdicts.get(&s.id).is_some_and(|v| v.is_covered());
            (f_org.is_empty()
                || org == f_org
                || d.apps.iter().any(|a| a.org == f_org && s.apps.contains(&a.name)))
                && (f_app.is_empty() || s.apps.contains(&f_app))
                && (f_vendor.is_empty() || s.vendor == f_vendor)
                && (f_verdict.is_empty() || (f_verdict == "uncovered") != covered)
                && (f_q.is_empty() || {
                    let q = f_q.to_lowercase();
                    s.name.to_lowercase().contains(&q) || vendor_name(&s.vendor).to_lowercase().contains(&q)
                })
        };
        let filters = view! {
            <form method="get" action="/inventory" class="inline-form filters" aria-label="Filter services">
                <div class="field"><label for="flt-org">"Org"</label><select id="flt-org" name="org"><option value="">"any"</option>{d.orgs.iter().map(|o| view! { <option value=o.slug.clone() selected=o.slug == f_org>{o.slug.clone()}</option> }).collect_view()}</select></div>
                <div class="field"><label for="flt-app">"App"</label><select id="flt-app" name="app"><option value="">"any"</option>{d.apps.iter().map(|a| view! { <option value=a.name.clone() selected=a.name == f_app>{a.name.clone()}</option> }).collect_view()}</select></div>
                <div class="field"><label for="flt-vendor">"Vendor"</label><select id="flt-vendor" name="vendor"><option value="">"any"</option>{d.vendors.iter().map(|v| view! { <option value=v.slug.clone() selected=v.slug == f_vendor>{v.name.clone()}</option> }).collect_view()}</select></div>
                <div class="field"><label for="flt-q">"Search"</label><input id="flt-q" type="search" name="q" value=f_q.clone() placeholder="name or vendor" /></div>
                <div class="field"><label for="flt-sort">"Sort by"</label><select id="flt-sort" name="sort"><option value="">"vendor, then name"</option><option value="name" selected=f_sort == "name">"name"</option><option value="verdict" selected=f_sort == "verdict">"not covered first"</option></select></div>
                <div class="field"><label for="flt-verdict">"Verdict"</label><select id="flt-verdict" name="verdict"><option value="">"any"</option><option value="uncovered" selected=f_verdict == "uncovered">"not covered"</option><option value="covered" selected=f_verdict == "covered">"covered"</option></select></div>
                <button type="submit" class="secondary">"Filter"</button>
            </form>
        };
        let no_services = d.services.is_empty();
        let mut listed: Vec<&baa_core::coverage::Service> = d.services.iter().filter(shown).collect();
        let key =
            |s: &baa_core::coverage::Service| (vendor_name(&s.vendor).to_lowercase(), s.name.to_lowercase());
        match f_sort.as_str() {
            "name" => listed.sort_by_key(|s| (s.name.to_lowercase(), vendor_name(&s.vendor).to_lowercase())),
            "verdict" => {
                listed.sort_by_key(|s| (verdicts.get(&s.id).is_some_and(|v| v.is_covered()), key(s)))
            }
            _ => listed.sort_by_key(|s| key(s)),
        }
        let at = PageOf::new(&page_no, listed.len());
        let apps_at = PageOf::new(&apps_page, d.apps.len());
        let query: Vec<(&str, &str)> = [
            ("org", &f_org),
            ("app", &f_app),
            ("vendor", &f_vendor),
            ("verdict", &f_verdict),
            ("q", &f_q),
            ("sort", &f_sort),
            ("page", &page_no),
            ("apps_page", &apps_page),
        ]
        .into_iter()
        .filter(|(_, v)| !v.is_empty())
        .map(|(k, v)| (k, v.as_str()))
        .collect();
        let pager_of_services = pager("services", "/inventory", &query, "page", at, "services-h");
        let pager_of_apps =
            (apps_at.pages > 1).then(|| pager("apps", "/inventory", &query, "apps_page", apps_at, "apps-h"));
        let services = at.rows(listed).map(|s| {
            let (class, text) = verdicts.get(&s.id).map(verdict_text).unwrap_or(("muted", "not evaluated".into()));
            let via = match &s.provisioning { ServiceProvisioning::Platform { org } => format!("Fly org {org}"), ServiceProvisioning::Direct => "direct".into() };
            let phi = match &s.phi { Phi::Yes => "yes".to_string(), Phi::No { .. } => "no".into(), Phi::Unknown => "unknown".into() };
            let id = s.id.clone();
            let candidates = (!s.candidate_apps.is_empty()).then(|| view! { <span class="badge state-pending" title="The import could not tell which app uses it: confirm or reject on the service page.">{format!("unconfirmed: {}", s.candidate_apps.join(", "))}</span> });
            view! {
                <tr>
                    <td><a href=format!("/services/{}", s.id)>{format!("{} · {}", vendor_name(&s.vendor), s.name)}</a>
                        {s.unconfirmed.is_some().then(|| view! { " " <span class="badge state-pending" title=s.unconfirmed.clone().unwrap_or_default()>"unconfirmed service"</span> })}</td>
                    <td>{vendor_name(&s.vendor)}</td>
                    <td>{s.plan.clone()}{(!s.add_ons.is_empty()).then(|| format!(" + {}", s.add_ons.join(", ")))}</td>
                    <td>{s.apps.join(", ")}" "{candidates}</td>
                    <td>{via}</td>
                    <td>{phi}</td>
                    <td class=class>{text}</td>
                    {edit.then(|| view! { <td><a class="button small danger" href=format!("/inventory?remove={}#confirm-remove", url_part(&id)) aria-label=format!("Remove… {}", s.name)>"Remove…"</a></td> })}
                </tr>
            }
        }).collect_view();
        // Removing a service asks first, on this page, without JavaScript.
        let confirm_remove = d.services.iter().find(|s| edit && s.id == removing).map(|s| {
            let rf = for_form(&f, "remove");
            let (on_desc, on_err, on_err_id) = described("rm", &rf, "on");
            view! {
                <section class="card confirm" id="confirm-remove" aria-labelledby="confirm-remove-h">
                    <h2 id="confirm-remove-h">{format!("Remove {} · {}?", vendor_name(&s.vendor), s.name)}</h2>
                    <p>"It stops counting from the day you give; its history and past coverage are kept."</p>
                    <form method="post" action="/actions/services/remove" class="inline-form">
                        <input type="hidden" name="id" value=s.id.clone() />
                        <div class="field" class:has-error=on_err.is_some()><label for="rm-on">"Removed on (empty: today)"</label><input id="rm-on" type="date" name="on" value=refill(&rf, "on") aria-describedby=on_desc />{error_line(&on_err, &on_err_id)}</div>
                        <button type="submit" class="danger">"Remove the service"</button>
                        " "<a class="button secondary" href="/inventory">"Cancel"</a>
                    </form>
                </section>
            }
        });
        view! {
            {confirm_remove}
            <section aria-labelledby="orgs-h">
                <h2 id="orgs-h">"Fly organizations"</h2>
                <div class="table-wrap" tabindex="0"><table>
                    <thead><tr><th scope="col">"Slug"</th><th scope="col">"Name"</th><th scope="col">"Environment"</th><th scope="col">"Plan"</th><th scope="col">"Packages"</th><th scope="col">"Allowed regions"</th>{edit.then(|| view! { <th scope="col"><span class="visually-hidden">"Actions"</span></th> })}</tr></thead>
                    <tbody>{d.orgs.iter().map(|o| view! { <tr><td>{o.slug.clone()}</td><td>{o.name.clone()}</td><td>{format!("{:?}", o.environment).to_lowercase()}</td><td>{o.plan.clone()}</td><td>{o.packages.join(", ")}</td><td>{o.allowed_regions.clone().map(|r| r.join(", ")).unwrap_or_else(|| "workspace policy".into())}</td>
                        {edit.then(|| view! { <td><a class="button small secondary" href=format!("/inventory?edit_org={}#org-form", o.slug) aria-label=format!("Edit {}", o.slug)>"Edit"</a></td> })}</tr> }).collect_view()}</tbody>
                </table></div>
                {edit.then(|| org_form(&for_form(&f, "org"), &fly_plans, package.as_ref(), d.orgs.iter().find(|o| o.slug == edit_org)))}
            </section>
            <section aria-labelledby="apps-h">
                <h2 id="apps-h">"Apps"</h2>
                <div class="table-wrap" tabindex="0"><table>
                    <thead><tr><th scope="col">"Name"</th><th scope="col">"Org"</th><th scope="col">"Regions"</th><th scope="col">"Environment"</th></tr></thead>
                    <tbody>{apps_at.rows(d.apps.iter()).map(|a| view! { <tr><td>{a.name.clone()}</td><td>{a.org.clone()}</td><td>{a.regions.join(", ")}</td><td>{format!("{:?}", a.environment()).to_lowercase()}</td></tr> }).collect_view()}</tbody>
                </table></div>
                {pager_of_apps}
                {(edit && !d.orgs.is_empty()).then(|| app_form(&for_form(&f, "app"), &d))}
            </section>
            <section aria-labelledby="services-h">
                <h2 id="services-h">"Services"</h2>
                {if no_services {
                    empty_state("No services are recorded yet.", edit).into_any()
                } else {
                    view! {
                        {filters}
                        <div class="table-wrap" tabindex="0"><table>
                            <thead><tr><th scope="col">"Service"</th><th scope="col">"Vendor"</th><th scope="col">"Plan"</th><th scope="col">"Apps"</th><th scope="col">"Provisioned"</th><th scope="col">"PHI"</th><th scope="col">"Verdict"</th>{edit.then(|| view! { <th scope="col"><span class="visually-hidden">"Actions"</span></th> })}</tr></thead>
                            <tbody>{services}</tbody>
                        </table></div>
                        {pager_of_services}
                    }.into_any()
                }}
                {edit.then(|| service_form(&for_form(&f, "service"), &d))}
            </section>
        }
        .into_any()
    })
}

/// The PHI fields of a service form: yes / no / unknown, and for "no" a basis from the accepted
/// grounds (never encryption, and the form says why).
pub fn phi_fields(prefix: &str, f: &Option<Flash>, phi: &str, basis: &str, reason: &str) -> impl IntoView {
    let phi = if phi.is_empty() { "unknown".to_string() } else { phi.to_string() };
    let (phi_id, basis_id, reason_id) =
        (format!("{prefix}-phi"), format!("{prefix}-phi-basis"), format!("{prefix}-phi-reason"));
    let (phi_desc, phi_err, phi_err_id) = described(prefix, f, "phi");
    let (basis_desc, basis_err, basis_err_id) = described(prefix, f, "phi_basis");
    let (reason_desc, reason_err, reason_err_id) = described(prefix, f, "phi_reason");
    let why = format!("{prefix}-phi-why");
    let basis_desc = Some(match basis_desc {
        Some(e) => format!("{why} {e}"),
        None => why.clone(),
    });
    view! {
        <div class="field" class:has-error=phi_err.is_some()><label for=phi_id.clone()>"Handles PHI?"</label>
            <select id=phi_id name="phi" aria-describedby=phi_desc>{[("unknown", "unknown (treated as yes)"), ("yes", "yes"), ("no", "no")].into_iter().map(|(v, l)| view! { <option value=v selected=v == phi>{l}</option> }).collect_view()}</select>
            {error_line(&phi_err, &phi_err_id)}</div>
        <div class="field" class:has-error=basis_err.is_some()><label for=basis_id.clone()>"If no: on what basis"</label>
            <select id=basis_id name="phi_basis" aria-describedby=basis_desc>
                {NoPhiBasis::ALL.into_iter().map(|b| view! { <option value=b.as_str() selected=b.as_str() == basis>{b.label()}</option> }).collect_view()}
            </select>
            <p class="hint" id=why>"Encryption is not a basis: a vendor that keeps encrypted PHI, even without the key, still needs a BAA (HHS guidance on cloud computing, 2016)."</p>
            {error_line(&basis_err, &basis_err_id)}</div>
        <div class="field" class:has-error=reason_err.is_some()><label for=reason_id.clone()>"Details (required for another reason)"</label><input id=reason_id name="phi_reason" value=reason.to_string() aria-invalid=reason_err.is_some().then_some("true") aria-describedby=reason_desc />
            {error_line(&reason_err, &reason_err_id)}</div>
    }
}

/// The org form: adds an org, or changes the one chosen with its row's Edit link (prefilled,
/// name included). `f` is the flash of this form only.
fn org_form(
    f: &Option<Flash>,
    plans: &[(String, String, String)],
    package: Option<&crate::inventory_api::AddOnTerms>,
    editing: Option<&baa_core::coverage::FlyOrg>,
) -> impl IntoView {
    let p = "org";
    // What ticking the package changes, from the catalog, shown live by CSS (no script): the
    // plans eligible without it, and with it.
    let names = |pred: &dyn Fn(&(String, String, String)) -> bool| {
        plans.iter().filter(|x| pred(x)).map(|(_, n, _)| n.as_str()).collect::<Vec<_>>().join(", ")
    };
    let (without, with) = match package {
        Some(pk) => (
            format!("Without the {}, BAA-eligible plans: {}.", pk.name, names(&|(_, _, e)| e == "eligible")),
            format!(
                "With the {} ticked, BAA-eligible plans: {}{}.",
                pk.name,
                names(&|(s, _, e)| e == "eligible" || pk.makes_eligible.contains(s)),
                if pk.required.is_empty() {
                    String::new()
                } else {
                    format!(" (Fly.io also requires: {})", pk.required.join("; "))
                }
            ),
        ),
        None => (String::new(), String::new()),
    };
    // A refused form shows what was sent; else the org being edited; else an empty form.
    let value = |name: &str, current: String| {
        if f.as_ref().is_some_and(|x| x.error) {
            refill(f, name)
        } else {
            current
        }
    };
    let env =
        editing.map(|o| format!("{:?}", o.environment).to_lowercase()).unwrap_or_else(|| "production".into());
    let plan = editing.map(|o| o.plan.clone()).unwrap_or_default();
    let pkg = editing.is_some_and(|o| o.packages.iter().any(|x| x == "compliance-package"));
    let plan_opts: Vec<(String, String)> =
        plans.iter().map(|(s, n, e)| (s.clone(), format!("{n} ({e})"))).collect();
    view! {
        <form method="post" action="/actions/orgs/save" class="card inline-form" id="org-form" aria-label="Add or change an org" novalidate=true>
            <ErrorSummary flash=f.clone() />
            <Field label="Org slug" name="slug" prefix=p value=value("slug", editing.map(|o| o.slug.clone()).unwrap_or_default()) error=field_error(f, "slug") />
            <Field label="Name (empty: keep the recorded name)" name="name" prefix=p required=false value=value("name", editing.map(|o| o.name.clone()).unwrap_or_default()) error=field_error(f, "name") />
            {select_field(p, f, "Environment", "environment", [("production", "production"), ("staging", "staging"), ("development", "development")].iter().map(|(a, b)| (a.to_string(), b.to_string())).collect(), &env)}
            {select_field(p, f, "Fly.io plan", "plan", plan_opts, &plan)}
            <div class="field checkbox"><input id="org-pkg" type="checkbox" name="packages" value="compliance-package" checked=crate::components::was_sent(f, "packages", "compliance-package", pkg) /><label for="org-pkg">"Compliance Package"</label>
                <p class="hint when-off">{without}</p><p class="hint when-on">{with}</p></div>
            <Field label="Allowed regions" name="allowed_regions" prefix=p required=false value=value("allowed_regions", editing.and_then(|o| o.allowed_regions.clone()).map(|r| r.join(", ")).unwrap_or_default()) error=field_error(f, "allowed_regions") />
            <button type="submit">"Save org"</button>
        </form>
    }
}

fn app_form(f: &Option<Flash>, d: &CoverageView) -> impl IntoView {
    let p = "app";
    let orgs: Vec<(String, String)> = d.orgs.iter().map(|o| (o.slug.clone(), o.slug.clone())).collect();
    view! {
        <form method="post" action="/actions/apps/save" class="card inline-form" aria-label="Add an app" novalidate=true>
            <ErrorSummary flash=f.clone() />
            <Field label="App name" name="name" prefix=p value=refill(f, "name") error=field_error(f, "name") />
            {select_field(p, f, "Org", "org", orgs, "")}
            <Field label="Regions" name="regions" prefix=p required=false value=refill(f, "regions") error=field_error(f, "regions") />
            <button type="submit">"Save app"</button>
        </form>
    }
}

fn service_form(f: &Option<Flash>, d: &CoverageView) -> impl IntoView {
    let p = "svc";
    let chosen_vp = refill(f, "vendor_plan");
    let chosen_product = refill(f, "product");
    let (vp_desc, vp_err, vp_err_id) = described(p, f, "vendor_plan");
    let (pr_desc, pr_err, pr_err_id) = described(p, f, "product");
    let mut apps = vec![(String::new(), "(none)".to_string())];
    apps.extend(d.apps.iter().map(|a| (a.name.clone(), a.name.clone())));
    let mut orgs = vec![(String::new(), "(direct with the vendor)".to_string())];
    orgs.extend(d.orgs.iter().map(|o| (o.slug.clone(), o.slug.clone())));
    view! {
        <form method="post" action="/actions/services/save" class="card stack" aria-label="Add a service" novalidate=true>
            <h3>"Add a service"</h3>
            <ErrorSummary flash=f.clone() />
            <Field label="Name" name="name" prefix=p value=refill(f, "name") error=field_error(f, "name") />
            <div class="field" class:has-error=vp_err.is_some()><label for="svc-vp">"Vendor and plan"</label>
                <select id="svc-vp" name="vendor_plan" aria-describedby=vp_desc>
                    {d.vendors.iter().map(|v| view! {
                        <optgroup label=v.name.clone()>
                            {v.plans.iter().map(|(s, n, e)| { let val = format!("{}|{}", v.slug, s); let sel = val == chosen_vp; view! { <option value=val selected=sel>{format!("{} – {n} (BAA: {e})", v.name)}</option> } }).collect_view()}
                        </optgroup>
                    }).collect_view()}
                </select>
                {error_line(&vp_err, &vp_err_id)}
            </div>
            <div class="field" class:has-error=pr_err.is_some()><label for="svc-product">"Product (for vendors that sell several)"</label>
                <select id="svc-product" name="product" aria-describedby=pr_desc>
                    <option value="">"the vendor's main product"</option>
                    {d.vendors.iter().filter(|v| v.products.len() > 1).map(|v| view! {
                        <optgroup label=v.name.clone()>{v.products.iter().map(|(slug, name)| { let sel = *slug == chosen_product; view! { <option value=slug.clone() selected=sel>{format!("{} – {name}", v.name)}</option> } }).collect_view()}</optgroup>
                    }).collect_view()}
                </select>
                {error_line(&pr_err, &pr_err_id)}</div>
            <Field label="Add-ons (comma-separated)" name="add_ons" prefix=p required=false value=refill(f, "add_ons") error=field_error(f, "add_ons") />
            {select_field(p, f, "App", "apps", apps, "")}
            {select_field(p, f, "Provisioned through Fly org", "org", orgs, "")}
            <Field label="Regions" name="regions" prefix=p required=false value=refill(f, "regions") error=field_error(f, "regions") />
            <Field label="Vendor account (AWS account id, Sentry organization…; empty: unknown)" name="account" prefix=p required=false value=refill(f, "account") error=field_error(f, "account") />
            {phi_fields("svc", f, &refill(f, "phi"), &refill(f, "phi_basis"), &refill(f, "phi_reason"))}
            <Field label="In use since (empty: today)" name="effective_on" prefix=p kind="date" required=false value=refill(f, "effective_on") error=field_error(f, "effective_on") />
            <button type="submit">"Add service"</button>
        </form>
    }
}

/// The clause checklist of an agreement form: every box starts unticked, each clause named in
/// full, and a ticked clause needs where it is found. A refused form comes back with its boxes
/// and locations as sent, each missing location beside its clause.
pub fn clause_rows(prefix: &str, f: &Option<Flash>) -> impl IntoView {
    let err_id = format!("{prefix}-clauses-error");
    let general = field_error(f, "clauses");
    let general_desc = general.is_some().then(|| err_id.clone());
    view! {
        <fieldset class="clauses" aria-describedby=general_desc><legend>"Required clauses found in the document (tick only what you have read, and say where)"</legend>
            {general.map(|e| view! { <p class="field-error" id=err_id>{e}</p> })}
            {Clause::ALL.into_iter().map(|c| {
                let value = serde_json::to_value(c).ok().and_then(|v| v.as_str().map(str::to_string)).unwrap_or_default();
                let cid = format!("{prefix}-cl-{value}");
                let wid = format!("{prefix}-where-{value}");
                let where_name = format!("where:{value}");
                let error = field_error(f, &where_name);
                let has_error = error.is_some();
                let eid = format!("{wid}-error");
                let ticked = crate::components::was_sent(f, "clause", &value, false);
                view! {
                    <div class="clause-row" class:has-error=has_error>
                        <input id=cid.clone() type="checkbox" name="clause" value=value.clone() checked=ticked />
                        <label for=cid>{c.label()}</label>
                        <label class="visually-hidden" for=wid.clone()>{format!("Where {} is found", c.label())}</label>
                        <input id=wid name=where_name.clone() placeholder="section or page" value=refill(f, &where_name)
                            aria-invalid=has_error.then_some("true") aria-describedby=has_error.then(|| eid.clone()) />
                        {error.map(|e| view! { <p class="field-error" id=eid>{e}</p> })}
                    </div>
                }
            }).collect_view()}
        </fieldset>
    }
}

/// `aria-describedby` and the error line of a hand-built field of form `prefix`.
fn described(prefix: &str, f: &Option<Flash>, field: &str) -> (Option<String>, Option<String>, String) {
    let e = field_error(f, field);
    let id = format!("{prefix}-{field}-error");
    (e.is_some().then(|| id.clone()), e, id)
}

/// An error line for a hand-built field (its id is what the input's `aria-describedby` names).
fn error_line(message: &Option<String>, id: &str) -> impl IntoView {
    let id = id.to_string();
    message.clone().map(|m| view! { <p class="field-error" id=id>{m}</p> })
}

/// A `<select>` with its label, the option chosen when the form was refused (else `default`),
/// and its error beside it.
fn select_field(
    prefix: &str,
    f: &Option<Flash>,
    label: &'static str,
    name: &str,
    options: Vec<(String, String)>,
    default: &str,
) -> impl IntoView {
    let chosen = match f {
        Some(fl) if fl.error && fl.values.iter().any(|(k, _)| k == name) => fl.value(name),
        _ => default.to_string(),
    };
    let id = format!("{prefix}-{name}");
    let (desc, err, err_id) = described(prefix, f, name);
    view! {
        <div class="field" class:has-error=err.is_some()><label for=id.clone()>{label}</label>
            <select id=id name=name.to_string() aria-invalid=err.is_some().then_some("true") aria-describedby=desc>
                {options.into_iter().map(|(v, l)| { let sel = v == chosen; view! { <option value=v selected=sel>{l}</option> } }).collect_view()}
            </select>
            {error_line(&err, &err_id)}</div>
    }
}

/// The "Record an agreement" form. `f` is the flash of this form only.
fn agreement_form(f: &Option<Flash>, d: &CoverageView) -> impl IntoView {
    let p = "ag";
    let parties: Vec<(String, String)> = d.parties.iter().map(|x| (x.id.clone(), x.name.clone())).collect();
    let others: Vec<(String, String)> = parties.iter().filter(|(id, _)| id != "us").cloned().collect();
    let opts =
        |xs: &[(&str, &str)]| xs.iter().map(|(a, b)| (a.to_string(), b.to_string())).collect::<Vec<_>>();
    // Plans are chosen from each vendor's own plans; only the agreement's vendor's count.
    let vendor_parties: Vec<&crate::inventory_api::VendorChoice> = d
        .vendors
        .iter()
        .filter(|v| {
            !v.plans.is_empty()
                && d.parties
                    .iter()
                    .any(|x| matches!(&x.role, PartyRole::Vendor { vendor, .. } if *vendor == v.slug))
        })
        .collect();
    let (plans_desc, plans_err, plans_err_id) = described(p, f, "plans");
    let (notes_desc, notes_err, notes_err_id) = described(p, f, "notes");
    let auto = crate::components::was_sent(f, "auto_renews", "on", false);
    let field = |label: &'static str, name: &'static str, kind: &'static str| {
        view! { <Field label=label name=name kind=kind prefix=p required=false value=refill(f, name) error=field_error(f, name) /> }
    };
    view! {
        <form method="post" action="/actions/agreements/create" class="card stack" id="record-agreement" aria-label="Record an agreement" novalidate=true>
            <h3>"Record an agreement"</h3>
            <ErrorSummary flash=f.clone() />
            {field("Title", "title", "text")}
            {select_field(p, f, "First party", "party_a", parties.clone(), "us")}
            {select_field(p, f, "Second party", "party_b", others, "")}
            {select_field(p, f, "Kind", "kind", opts(&[("baa", "BAA"), ("subcontractor-baa", "Subcontractor BAA"), ("platform-agreement", "Platform agreement (covers extensions)")]), "baa")}
            {field("Extends to vendors (platform agreements)", "extends_to", "text")}
            {select_field(p, f, "Status", "status", opts(&[("signed", "signed"), ("draft", "draft"), ("sent", "sent"), ("in-negotiation", "in negotiation")]), "signed")}
            {field("Effective date", "effective", "date")}
            {field("Expiry date", "expiry", "date")}
            {field("Signed on", "signed_on", "date")}
            <fieldset class="plans" class:has-error=plans_err.is_some() aria-describedby=plans_desc>
                <legend>"Plans covered (tick the plans the agreement names; none ticked: all plans)"</legend>
                {vendor_parties.into_iter().map(|v| view! {
                    <div class="plan-group"><p class="hint">{v.name.clone()}</p>
                        {v.plans.iter().map(|(slug, name, _)| {
                            let value = format!("{}|{}", v.slug, slug);
                            let id = format!("{p}-plan-{}-{}", v.slug, slug);
                            let ticked = crate::components::was_sent(f, "plans", &value, false);
                            view! { <div class="field checkbox"><input id=id.clone() type="checkbox" name="plans" value=value checked=ticked /><label for=id>{format!("{} {name}", v.name)}</label></div> }
                        }).collect_view()}
                    </div>
                }).collect_view()}
                {error_line(&plans_err, &plans_err_id)}
            </fieldset>
            {field("Accounts covered (AWS account ids, Sentry organizations, Fly orgs; comma-separated, empty for all)", "accounts", "text")}
            <div class="field checkbox"><input id="ag-auto" type="checkbox" name="auto_renews" value="on" checked=auto /><label for="ag-auto">"Renews automatically at the end of each term"</label></div>
            {field("Notice period (days)", "notice_days", "text")}
            <div class="field" class:has-error=notes_err.is_some()><label for="ag-notes">"Notes"</label><textarea id="ag-notes" name="notes" rows="3" aria-describedby=notes_desc>{refill(f, "notes")}</textarea>
                {error_line(&notes_err, &notes_err_id)}</div>
            {clause_rows("new", f)}
            {field_error(f, "duplicate").map(|e| view! {
                <div class="flash warning" id="ag-duplicate-error" role="alert"><p>{e}</p>
                    <button type="submit" name="record_anyway" value="yes" class="secondary">"Record it anyway"</button></div>
            })}
            <button type="submit">"Record agreement"</button>
        </form>
    }
}

/// Parties and agreements, with forms for legal.
#[component]
pub fn Agreements() -> impl IntoView {
    let page_no = use_query_map().with_untracked(|q| q.get("page").unwrap_or_default());
    let data = Resource::new(String::new, coverage_data);
    app_page("Agreements", data, move |_v, f, d| {
        let at = PageOf::new(&page_no, d.agreements.len());
        let edit = d.can_edit_agreements;
        let name_of = |id: &str| {
            d.parties.iter().find(|p| p.id == id).map(|p| p.name.clone()).unwrap_or_else(|| id.to_string())
        };
        let no_agreements = d.agreements.is_empty();
        let rows = at.rows(d.agreements.iter()).map(|a| {
            let status = a.history.last().map(|h| format!("{:?}", h.status)).unwrap_or_default();
            let kind = match &a.kind { AgreementKind::Baa => "BAA".to_string(), AgreementKind::SubcontractorBaa => "subcontractor BAA".into(), AgreementKind::PlatformAgreement { extends_to } => format!("platform agreement (extends to {})", extends_to.join(", ")) };
            let id = a.id.clone();
            view! {
                <tr>
                    <td><a href=format!("/agreements/{}", a.id)>{a.title.clone()}</a></td>
                    <td>{format!("{} ↔ {}", name_of(&a.parties[0]), name_of(&a.parties[1]))}</td>
                    <td>{kind}</td>
                    <td>{status}</td>
                    <td>{a.effective.map(|x| x.to_string()).unwrap_or_default()}{recorded_late(a).map(|t| view! { <br /><span class="hint">{t}</span> })}</td>
                    <td>{a.expiry.map(|x| x.to_string()).unwrap_or_else(|| "none".into())}</td>
                    <td>{format!("{}/12", a.confirmed_clauses())}</td>
                    {edit.then(|| view! { <td>
                        // The change itself asks for a date and a reason, then a confirmation,
                        // on the agreement's page.
                        <a class="button small secondary" href=format!("/agreements/{id}#st-h") aria-label=format!("Change status of {}", a.title)>"Change status"</a>
                    </td> })}
                </tr>
            }
        }).collect_view();
        view! {
            <section aria-labelledby="ag-h">
                <h2 id="ag-h">"Agreements"</h2>
                {if no_agreements {
                    view! {
                        <div class="empty-state" role="status">
                            <p>"No agreements are recorded yet."</p>
                            {if edit {
                                view! { <p><a href="#record-agreement">"Record an agreement"</a>" (the BAA with Fly.io first: most services depend on it)."</p> }.into_any()
                            } else {
                                view! { <p>"Legal and owners record agreements here."</p> }.into_any()
                            }}
                        </div>
                    }.into_any()
                } else {
                    view! {
                        <div class="table-wrap" tabindex="0"><table>
                            <thead><tr><th scope="col">"Title"</th><th scope="col">"Parties"</th><th scope="col">"Kind"</th><th scope="col">"Status"</th><th scope="col">"Effective"</th><th scope="col">"Expires"</th><th scope="col">"Clauses"</th>{edit.then(|| view! { <th scope="col">"Change"</th> })}</tr></thead>
                            <tbody>{rows}</tbody>
                        </table></div>
                        {(at.pages > 1).then(|| pager("agreements", "/agreements", &[], "page", at, "ag-h"))}
                    }.into_any()
                }}
            </section>
            {edit.then(|| view! {
                {agreement_form(&for_form(&f, "agreement"), &d)}
                <form method="post" action="/actions/parties/save" class="card inline-form" aria-label="Add a customer or subcontractor">
                    <div class="field"><label for="party-name">"Customer or subcontractor name"</label><input id="party-name" name="name" required=true value=refill(&f, "party_name") /></div>
                    <div class="field"><label for="party-kind">"Kind"</label><select id="party-kind" name="kind"><option value="customer">"customer (covered entity)"</option><option value="subcontractor">"a vendor's subcontractor"</option></select></div>
                    <div class="field"><label for="party-vendor">"Vendor it serves (subcontractors)"</label><select id="party-vendor" name="vendor"><option value="">"—"</option>{d.vendors.iter().map(|v| view! { <option value=v.slug.clone()>{v.name.clone()}</option> }).collect_view()}</select></div>
                    <div class="field checkbox"><input id="party-active" type="checkbox" name="active" value="on" checked=true /><label for="party-active">"Active customer"</label></div>
                    <div class="field checkbox"><input id="party-phi" type="checkbox" name="handles_phi" value="on" checked=true /><label for="party-phi">"We handle its PHI"</label></div>
                    <button type="submit" class="secondary">"Add party"</button>
                </form>
            })}
            <section aria-labelledby="parties-h">
                <h2 id="parties-h">"Customers and subcontractors"</h2>
                <ul class="plain">{d.parties.iter().filter(|p| matches!(p.role, PartyRole::Customer { .. } | PartyRole::Subcontractor { .. })).map(|p| view! { <li>{p.name.clone()}{match p.role { PartyRole::Customer { .. } => " (customer)", _ => " (subcontractor)" }}</li> }).collect_view()}</ul>
            </section>
        }
        .into_any()
    })
}

/// A neutral empty state with the next action: importing from Fly for those who may.
fn empty_state(text: &'static str, can_import: bool) -> impl IntoView {
    view! {
        <div class="empty-state" role="status">
            <p>{text}</p>
            {if can_import {
                view! { <p><a class="button" href="/import">"Import from fly"</a>" or add them by hand."</p> }.into_any()
            } else {
                view! { <p>"Engineers and owners add them, usually by importing from fly."</p> }.into_any()
            }}
        </div>
    }
}
