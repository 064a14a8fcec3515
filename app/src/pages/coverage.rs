//! Coverage dashboard, inventory (orgs, apps, services) and agreements pages.

use crate::api::{overview_page, Flash};
use crate::components::{app_page, field_error, refill, Field};
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
                    <div class="table-wrap"><table>
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
                <div class="graph-wrap" inner_html=d.graph_svg.clone()></div>
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

/// Services shown per inventory page.
const SERVICES_PER_PAGE: usize = 50;

/// "Services 51–100 of 1,000" with previous and next links (plain links, so they work without
/// JavaScript and are reached with the keyboard), keeping the list's filters.
fn pager(
    path: &str,
    query: &[(&str, &str)],
    page: usize,
    pages: usize,
    total: usize,
    first: usize,
    anchor: &str,
) -> impl IntoView {
    let href = |p: usize| {
        let q = form_urlencoded::Serializer::new(String::new())
            .extend_pairs(query.iter())
            .append_pair("page", &p.to_string())
            .finish();
        format!("{path}?{q}#{anchor}")
    };
    let last = (first + SERVICES_PER_PAGE).min(total);
    let shown = if total == 0 {
        "No services match.".to_string()
    } else {
        format!("Showing {}–{last} of {total}", first + 1)
    };
    view! {
        <nav class="pager" aria-label="Pages of services">
            <span>{shown}</span>
            {(page > 1).then(|| view! { <a href=href(page - 1) rel="prev">"← Previous"</a> })}
            {(pages > 1).then(|| view! { <span>{format!("Page {page} of {pages}")}</span> })}
            {(page < pages).then(|| view! { <a href=href(page + 1) rel="next">"Next →"</a> })}
        </nav>
    }
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
    let (f_q, f_sort) = (filter("q"), filter("sort"));
    let page_no: usize = filter("page").parse().ok().filter(|n| *n >= 1).unwrap_or(1);
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
        let fly_plans =
            d.vendors.iter().find(|v| v.slug == "fly").map(|v| v.plans.clone()).unwrap_or_default();
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
        let total = listed.len();
        let pages = total.div_ceil(SERVICES_PER_PAGE).max(1);
        let page_no = page_no.min(pages);
        let first = (page_no - 1) * SERVICES_PER_PAGE;
        let query: Vec<(&str, &str)> = [
            ("org", &f_org),
            ("app", &f_app),
            ("vendor", &f_vendor),
            ("verdict", &f_verdict),
            ("q", &f_q),
            ("sort", &f_sort),
        ]
        .into_iter()
        .filter(|(_, v)| !v.is_empty())
        .map(|(k, v)| (k, v.as_str()))
        .collect();
        let pager = pager("/inventory", &query, page_no, pages, total, first, "services-h");
        let services = listed.into_iter().skip(first).take(SERVICES_PER_PAGE).map(|s| {
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
                    {edit.then(|| view! { <td><form method="post" action="/actions/services/remove" class="row-form"><input type="hidden" name="id" value=id /><button type="submit" class="small danger" aria-label=format!("Remove {}", s.name)>"Remove"</button></form></td> })}
                </tr>
            }
        }).collect_view();
        view! {
            <section aria-labelledby="orgs-h">
                <h2 id="orgs-h">"Fly organizations"</h2>
                <div class="table-wrap"><table>
                    <thead><tr><th scope="col">"Slug"</th><th scope="col">"Environment"</th><th scope="col">"Plan"</th><th scope="col">"Packages"</th><th scope="col">"Allowed regions"</th></tr></thead>
                    <tbody>{d.orgs.iter().map(|o| view! { <tr><td>{o.slug.clone()}</td><td>{format!("{:?}", o.environment).to_lowercase()}</td><td>{o.plan.clone()}</td><td>{o.packages.join(", ")}</td><td>{o.allowed_regions.clone().map(|r| r.join(", ")).unwrap_or_else(|| "workspace policy".into())}</td></tr> }).collect_view()}</tbody>
                </table></div>
                {edit.then(|| org_form(&f, &fly_plans))}
            </section>
            <section aria-labelledby="apps-h">
                <h2 id="apps-h">"Apps"</h2>
                <div class="table-wrap"><table>
                    <thead><tr><th scope="col">"Name"</th><th scope="col">"Org"</th><th scope="col">"Regions"</th><th scope="col">"Environment"</th></tr></thead>
                    <tbody>{d.apps.iter().map(|a| view! { <tr><td>{a.name.clone()}</td><td>{a.org.clone()}</td><td>{a.regions.join(", ")}</td><td>{format!("{:?}", a.environment()).to_lowercase()}</td></tr> }).collect_view()}</tbody>
                </table></div>
                {(edit && !d.orgs.is_empty()).then(|| app_form(&f, &d))}
            </section>
            <section aria-labelledby="services-h">
                <h2 id="services-h">"Services"</h2>
                {if no_services {
                    empty_state("No services are recorded yet.", edit).into_any()
                } else {
                    view! {
                        {filters}
                        <div class="table-wrap"><table>
                            <thead><tr><th scope="col">"Service"</th><th scope="col">"Vendor"</th><th scope="col">"Plan"</th><th scope="col">"Apps"</th><th scope="col">"Provisioned"</th><th scope="col">"PHI"</th><th scope="col">"Verdict"</th>{edit.then(|| view! { <th scope="col"><span class="visually-hidden">"Actions"</span></th> })}</tr></thead>
                            <tbody>{services}</tbody>
                        </table></div>
                        {pager}
                    }.into_any()
                }}
                {edit.then(|| service_form(&f, &d))}
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
    view! {
        <div class="field"><label for=phi_id.clone()>"Handles PHI?"</label>
            <select id=phi_id name="phi">{[("unknown", "unknown (treated as yes)"), ("yes", "yes"), ("no", "no")].into_iter().map(|(v, l)| view! { <option value=v selected=v == phi>{l}</option> }).collect_view()}</select>
            {field_error(f, "phi").map(|e| view! { <p class="field-error">{e}</p> })}</div>
        <div class="field"><label for=basis_id.clone()>"If no: on what basis"</label>
            <select id=basis_id name="phi_basis" aria-describedby=format!("{prefix}-phi-why")>
                {NoPhiBasis::ALL.into_iter().map(|b| view! { <option value=b.as_str() selected=b.as_str() == basis>{b.label()}</option> }).collect_view()}
            </select>
            <p class="hint" id=format!("{prefix}-phi-why")>"Encryption is not a basis: a vendor that keeps encrypted PHI, even without the key, still needs a BAA (HHS guidance on cloud computing, 2016)."</p>
            {field_error(f, "phi_basis").map(|e| view! { <p class="field-error">{e}</p> })}</div>
        <div class="field"><label for=reason_id.clone()>"Details (required for another reason)"</label><input id=reason_id name="phi_reason" value=reason.to_string() />
            {field_error(f, "phi_reason").map(|e| view! { <p class="field-error">{e}</p> })}</div>
    }
}

fn org_form(f: &Option<Flash>, plans: &[(String, String, String)]) -> impl IntoView {
    view! {
        <form method="post" action="/actions/orgs/save" class="card inline-form" aria-label="Add or change an org">
            <Field label="Org slug" name="slug" value=refill(f, "slug") error=field_error(f, "slug") />
            <div class="field"><label for="org-env">"Environment"</label>
                <select id="org-env" name="environment"><option value="production">"production"</option><option value="staging">"staging"</option><option value="development">"development"</option></select></div>
            <div class="field"><label for="org-plan">"Fly.io plan"</label>
                <select id="org-plan" name="plan">{plans.iter().map(|(s, n, e)| view! { <option value=s.clone()>{format!("{n} ({e})")}</option> }).collect_view()}</select></div>
            <div class="field checkbox"><input id="org-pkg" type="checkbox" name="packages" value="compliance-package" /><label for="org-pkg">"Compliance Package"</label></div>
            <Field label="Allowed regions" name="allowed_regions" required=false value=refill(f, "allowed_regions") error=field_error(f, "allowed_regions") />
            <button type="submit">"Save org"</button>
        </form>
    }
}

fn app_form(f: &Option<Flash>, d: &CoverageView) -> impl IntoView {
    view! {
        <form method="post" action="/actions/apps/save" class="card inline-form" aria-label="Add an app">
            <div class="field"><label for="app-name">"App name"</label><input id="app-name" name="name" required=true value=refill(f, "app_name") /></div>
            <div class="field"><label for="app-org">"Org"</label>
                <select id="app-org" name="org">{d.orgs.iter().map(|o| view! { <option value=o.slug.clone()>{o.slug.clone()}</option> }).collect_view()}</select></div>
            <Field label="Regions" name="regions" required=false value=refill(f, "regions") error=field_error(f, "regions") />
            <button type="submit">"Save app"</button>
        </form>
    }
}

fn service_form(f: &Option<Flash>, d: &CoverageView) -> impl IntoView {
    view! {
        <form method="post" action="/actions/services/save" class="card stack" aria-label="Add a service">
            <h3>"Add a service"</h3>
            <div class="field"><label for="svc-name">"Name"</label><input id="svc-name" name="name" required=true value=refill(f, "service_name") /></div>
            <div class="field"><label for="svc-vp">"Vendor and plan"</label>
                <select id="svc-vp" name="vendor_plan">
                    {d.vendors.iter().map(|v| view! {
                        <optgroup label=v.name.clone()>
                            {v.plans.iter().map(|(s, n, e)| view! { <option value=format!("{}|{}", v.slug, s)>{format!("{} – {n} (BAA: {e})", v.name)}</option> }).collect_view()}
                        </optgroup>
                    }).collect_view()}
                </select>
                {field_error(f, "vendor_plan").map(|e| view! { <p class="field-error">{e}</p> })}
            </div>
            <div class="field"><label for="svc-product">"Product (for vendors that sell several)"</label>
                <select id="svc-product" name="product">
                    <option value="">"the vendor's main product"</option>
                    {d.vendors.iter().filter(|v| v.products.len() > 1).map(|v| view! {
                        <optgroup label=v.name.clone()>{v.products.iter().map(|(slug, name)| view! { <option value=slug.clone()>{format!("{} – {name}", v.name)}</option> }).collect_view()}</optgroup>
                    }).collect_view()}
                </select>
                {field_error(f, "product").map(|e| view! { <p class="field-error">{e}</p> })}</div>
            <Field label="Add-ons (comma-separated)" name="add_ons" required=false error=field_error(f, "add_ons") />
            <div class="field"><label for="svc-app">"App"</label>
                <select id="svc-app" name="apps"><option value="">"(none)"</option>{d.apps.iter().map(|a| view! { <option value=a.name.clone()>{a.name.clone()}</option> }).collect_view()}</select></div>
            <div class="field"><label for="svc-org">"Provisioned through Fly org"</label>
                <select id="svc-org" name="org"><option value="">"(direct with the vendor)"</option>{d.orgs.iter().map(|o| view! { <option value=o.slug.clone()>{o.slug.clone()}</option> }).collect_view()}</select></div>
            <div class="field"><label for="svc-regions">"Regions"</label><input id="svc-regions" name="regions" value=refill(f, "regions") />
                {field_error(f, "regions").map(|e| view! { <p class="field-error">{e}</p> })}</div>
            <Field label="Vendor account (AWS account id, Sentry organization…; empty: unknown)" name="account" required=false value=refill(f, "account") error=field_error(f, "account") />
            {phi_fields("svc", f, &refill(f, "phi"), &refill(f, "phi_basis"), &refill(f, "phi_reason"))}
            <Field label="In use since (empty: today)" name="effective_on" kind="date" required=false error=field_error(f, "effective_on") />
            <button type="submit">"Add service"</button>
        </form>
    }
}

/// The clause checklist of the agreement form: every box starts unticked, each clause named in
/// full, and a ticked clause needs where it is found.
fn clause_rows(prefix: &str, f: &Option<Flash>) -> impl IntoView {
    view! {
        <fieldset class="clauses"><legend>"Required clauses found in the document (tick only what you have read, and say where)"</legend>
            {field_error(f, "clauses").map(|e| view! { <p class="field-error" role="alert">{e}</p> })}
            {Clause::ALL.into_iter().map(|c| {
                let value = serde_json::to_value(c).ok().and_then(|v| v.as_str().map(str::to_string)).unwrap_or_default();
                let cid = format!("{prefix}-cl-{value}");
                let wid = format!("{prefix}-where-{value}");
                view! {
                    <div class="clause-row">
                        <input id=cid.clone() type="checkbox" name="clause" value=value.clone() />
                        <label for=cid>{c.label()}</label>
                        <label class="visually-hidden" for=wid.clone()>{format!("Where {} is found", c.label())}</label>
                        <input id=wid name=format!("where:{value}") placeholder="section or page" />
                    </div>
                }
            }).collect_view()}
        </fieldset>
    }
}

/// Parties and agreements, with forms for legal.
#[component]
pub fn Agreements() -> impl IntoView {
    let data = Resource::new(String::new, coverage_data);
    app_page("Agreements", data, |_v, f, d| {
        let edit = d.can_edit_agreements;
        let name_of = |id: &str| {
            d.parties.iter().find(|p| p.id == id).map(|p| p.name.clone()).unwrap_or_else(|| id.to_string())
        };
        let no_agreements = d.agreements.is_empty();
        let rows = d.agreements.iter().map(|a| {
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
                        <form method="post" action="/actions/agreements/status" class="row-form">
                            <input type="hidden" name="id" value=id.clone() />
                            <label class="visually-hidden" for=format!("st-{id}")>{format!("New status of {}", a.title)}</label>
                            <select id=format!("st-{id}") name="status">
                                {["draft", "sent", "in-negotiation", "signed", "terminated", "superseded"].into_iter().map(|s| view! { <option value=s>{s}</option> }).collect_view()}
                            </select>
                            <input type="hidden" name="reason" value="changed on the agreements page" />
                            <button type="submit" class="small secondary">"Set status"</button>
                        </form>
                    </td> })}
                </tr>
            }
        }).collect_view();
        let parties = d.parties.clone();
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
                        <div class="table-wrap"><table>
                            <thead><tr><th scope="col">"Title"</th><th scope="col">"Parties"</th><th scope="col">"Kind"</th><th scope="col">"Status"</th><th scope="col">"Effective"</th><th scope="col">"Expires"</th><th scope="col">"Clauses"</th>{edit.then(|| view! { <th scope="col">"Change"</th> })}</tr></thead>
                            <tbody>{rows}</tbody>
                        </table></div>
                    }.into_any()
                }}
            </section>
            {edit.then(|| view! {
                <form method="post" action="/actions/agreements/create" class="card stack" id="record-agreement" aria-label="Record an agreement">
                    <h3>"Record an agreement"</h3>
                    <Field label="Title" name="title" required=false value=refill(&f, "title") />
                    <div class="field"><label for="ag-a">"First party"</label>
                        <select id="ag-a" name="party_a">{parties.iter().map(|p| view! { <option value=p.id.clone()>{p.name.clone()}</option> }).collect_view()}</select></div>
                    <div class="field"><label for="ag-b">"Second party"</label>
                        <select id="ag-b" name="party_b">{parties.iter().filter(|p| p.id != "us").map(|p| view! { <option value=p.id.clone()>{p.name.clone()}</option> }).collect_view()}</select>
                        {field_error(&f, "party_b").map(|e| view! { <p class="field-error">{e}</p> })}</div>
                    <div class="field"><label for="ag-kind">"Kind"</label>
                        <select id="ag-kind" name="kind"><option value="baa">"BAA"</option><option value="subcontractor-baa">"Subcontractor BAA"</option><option value="platform-agreement">"Platform agreement (covers extensions)"</option></select></div>
                    <Field label="Extends to vendors (platform agreements)" name="extends_to" required=false value=refill(&f, "extends_to") error=field_error(&f, "extends_to") />
                    <div class="field"><label for="ag-status">"Status"</label>
                        <select id="ag-status" name="status"><option value="signed">"signed"</option><option value="draft">"draft"</option><option value="sent">"sent"</option><option value="in-negotiation">"in negotiation"</option></select></div>
                    <Field label="Effective date" name="effective" kind="date" required=false value=refill(&f, "effective") error=field_error(&f, "effective") />
                    <Field label="Expiry date" name="expiry" kind="date" required=false value=refill(&f, "expiry") error=field_error(&f, "expiry") />
                    <Field label="Signed on" name="signed_on" kind="date" required=false value=refill(&f, "signed_on") error=field_error(&f, "signed_on") />
                    <Field label="Plans covered (comma-separated, empty for all)" name="plans" required=false value=refill(&f, "plans") error=field_error(&f, "plans") />
                    <Field label="Accounts covered (AWS account ids, Sentry organizations, Fly orgs; comma-separated, empty for all)" name="accounts" required=false value=refill(&f, "accounts") error=field_error(&f, "accounts") />
                    <div class="field checkbox"><input id="ag-auto" type="checkbox" name="auto_renews" value="on" /><label for="ag-auto">"Renews automatically at the end of each term"</label></div>
                    <Field label="Notice period (days)" name="notice_days" required=false value=refill(&f, "notice_days") error=field_error(&f, "notice_days") />
                    <div class="field"><label for="ag-notes">"Notes"</label><textarea id="ag-notes" name="notes" rows="3">{refill(&f, "notes")}</textarea></div>
                    {clause_rows("new", &f)}
                    <button type="submit">"Record agreement"</button>
                </form>
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
