//! The inventory page: orgs, apps and services, with the forms that add them.

use super::*;

/// Orgs, apps and services, with forms for engineers.
#[component]
pub fn Inventory() -> impl IntoView {
    let q = use_query_map();
    let filter = move |k: &str| q.with_untracked(|q| q.get(k).unwrap_or_default());
    let (f_org, f_app, f_vendor, f_verdict) =
        (filter("org"), filter("app"), filter("vendor"), filter("verdict"));
    let edit_org = filter("edit_org");
    let removing = filter("remove");
    let services_list = ListQuery::from_url("");
    let apps = ListQuery::from_url("apps_");
    let data = Resource::new(String::new, coverage_data);
    app_page("Inventory", data, move |_v, f, d| {
        let edit = d.can_edit_inventory;
        let verdicts: std::collections::HashMap<&str, &Verdict> =
            d.data.report.services.iter().map(|s| (s.service.as_str(), &s.verdict)).collect();
        let names: std::collections::HashMap<&str, &str> =
            d.data.vendors.iter().map(|v| (v.slug.as_str(), v.name.as_str())).collect();
        let vendor_name = |slug: &str| names.get(slug).map_or_else(|| slug.to_string(), |n| n.to_string());
        let fly = d.data.vendors.iter().find(|v| v.slug == "fly");
        let fly_plans = fly.map(|v| v.plans.clone()).unwrap_or_default();
        let package =
            fly.and_then(|v| v.add_on_terms.iter().find(|a| a.slug == "compliance-package")).cloned();
        // A service without a verdict (not evaluated that day) counts as not covered.
        let covered =
            |s: &baa_core::coverage::Service| verdicts.get(s.id.as_str()).is_some_and(|v| v.is_covered());
        let org_apps: std::collections::HashSet<&str> =
            d.data.apps.iter().filter(|a| a.org == f_org).map(|a| a.name.as_str()).collect();
        let shown = |s: &&baa_core::coverage::Service| {
            let org = match &s.provisioning {
                ServiceProvisioning::Platform { org } => org.as_str(),
                ServiceProvisioning::Direct => "",
            };
            (f_org.is_empty() || org == f_org || s.apps.iter().any(|a| org_apps.contains(a.as_str())))
                && (f_app.is_empty() || s.apps.contains(&f_app))
                && (f_vendor.is_empty() || s.vendor == f_vendor)
                && (f_verdict.is_empty() || (f_verdict == "uncovered") != covered(s))
                && services_list.matches(&[&s.name, &vendor_name(&s.vendor)])
        };
        let filters = view! {
            <form method="get" action="/inventory" class="inline-form filters" aria-label="Filter services">
                {apps.pairs().into_iter().filter(|(k, _)| *k != apps.page_param()).map(|(k, v)| view! { <input type="hidden" name=k value=v /> }).collect_view()}
                <div class="field"><label for="flt-org">"Org"</label><select id="flt-org" name="org"><option value="">"any"</option>{d.data.orgs.iter().map(|o| view! { <option value=o.slug.clone() selected=o.slug == f_org>{o.slug.clone()}</option> }).collect_view()}</select></div>
                <div class="field"><label for="flt-app">"App"</label><select id="flt-app" name="app"><option value="">"any"</option>{d.data.apps.iter().map(|a| view! { <option value=a.name.clone() selected=a.name == f_app>{a.name.clone()}</option> }).collect_view()}</select></div>
                <div class="field"><label for="flt-vendor">"Vendor"</label><select id="flt-vendor" name="vendor"><option value="">"any"</option>{d.data.vendors.iter().map(|v| view! { <option value=v.slug.clone() selected=v.slug == f_vendor>{v.name.clone()}</option> }).collect_view()}</select></div>
                <div class="field"><label for="flt-q">"Search"</label><input id="flt-q" type="search" name="q" value=services_list.q.clone() placeholder="name or vendor" /></div>
                <div class="field"><label for="flt-sort">"Sort by"</label><select id="flt-sort" name="sort"><option value="">"vendor, then name"</option><option value="name" selected=services_list.sort == "name">"name"</option><option value="verdict" selected=services_list.sort == "verdict">"not covered first"</option></select></div>
                <div class="field"><label for="flt-verdict">"Verdict"</label><select id="flt-verdict" name="verdict"><option value="">"any"</option><option value="uncovered" selected=f_verdict == "uncovered">"not covered"</option><option value="covered" selected=f_verdict == "covered">"covered"</option></select></div>
                <button type="submit" class="secondary">"Filter"</button>
            </form>
        };
        let no_services = d.data.services.is_empty();
        let mut listed: Vec<&baa_core::coverage::Service> = d.data.services.iter().filter(shown).collect();
        let key =
            |s: &baa_core::coverage::Service| (vendor_name(&s.vendor).to_lowercase(), s.name.to_lowercase());
        // Each key is computed once per service, not once per comparison.
        match services_list.sort.as_str() {
            "name" => {
                listed.sort_by_cached_key(|s| (s.name.to_lowercase(), vendor_name(&s.vendor).to_lowercase()))
            }
            "verdict" => listed.sort_by_cached_key(|s| (covered(s), key(s))),
            _ => listed.sort_by_cached_key(|s| key(s)),
        }
        let at = PageOf::new(&services_list.page, listed.len());
        // Services not covered per app, for the apps list (its column and its order).
        let mut open_per_app: std::collections::HashMap<&str, usize> = std::collections::HashMap::new();
        for s in &d.data.services {
            if !covered(s) {
                for a in &s.apps {
                    *open_per_app.entry(a.as_str()).or_default() += 1;
                }
            }
        }
        let open_of = |a: &str| open_per_app.get(a).copied().unwrap_or(0);
        let mut listed_apps: Vec<&baa_core::coverage::App> = d
            .data
            .apps
            .iter()
            .filter(|a| !apps.searching() || apps.matches(&[&a.name, &a.org, &a.regions.join(" ")]))
            .collect();
        match apps.sort.as_str() {
            "org" => listed_apps.sort_by(|a, b| (&a.org, &a.name).cmp(&(&b.org, &b.name))),
            "uncovered" => listed_apps
                .sort_by(|a, b| open_of(&b.name).cmp(&open_of(&a.name)).then_with(|| a.name.cmp(&b.name))),
            _ => listed_apps.sort_by(|a, b| a.name.cmp(&b.name)),
        }
        let apps_at = PageOf::new(&apps.page, listed_apps.len());
        let services_query: Vec<(String, String)> =
            [("org", &f_org), ("app", &f_app), ("vendor", &f_vendor), ("verdict", &f_verdict)]
                .into_iter()
                .filter(|(_, v)| !v.is_empty())
                .map(|(k, v)| (k.to_string(), v.clone()))
                .chain(services_list.pairs())
                .collect();
        // Each list's links keep the other list's search, order and page.
        let query: Vec<(String, String)> = services_query.iter().cloned().chain(apps.pairs()).collect();
        let pager_of_services =
            pager("services", "/inventory", &query, &services_list.page_param(), at, "services-h");
        let pager_of_apps = apps
            .wants_pager(apps_at)
            .then(|| pager("apps", "/inventory", &query, &apps.page_param(), apps_at, "apps-h"));
        let apps_controls = (d.data.apps.len() > 1).then(|| {
            list_controls(
                "apps-list",
                "/inventory",
                "apps",
                "name, org or region",
                &apps,
                &[("", "name"), ("org", "org, then name"), ("uncovered", "most services not covered first")],
                &services_query,
            )
        });
        let services = at.rows(listed).map(|s| {
            let (class, text) =
                verdicts.get(s.id.as_str()).map(|v| verdict_text(v)).unwrap_or(("muted", "not evaluated".into()));
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
        let confirm_remove = d.data.services.iter().find(|s| edit && s.id == removing).map(|s| {
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
                    <tbody>{d.data.orgs.iter().map(|o| view! { <tr><td>{o.slug.clone()}</td><td>{o.name.clone()}</td><td>{format!("{:?}", o.environment).to_lowercase()}</td><td>{o.plan.clone()}</td><td>{o.packages.join(", ")}</td><td>{o.allowed_regions.clone().map(|r| r.join(", ")).unwrap_or_else(|| "workspace policy".into())}</td>
                        {edit.then(|| view! { <td><a class="button small secondary" href=format!("/inventory?edit_org={}#org-form", o.slug) aria-label=format!("Edit {}", o.slug)>"Edit"</a></td> })}</tr> }).collect_view()}</tbody>
                </table></div>
                {edit.then(|| org_form(&for_form(&f, "org"), &fly_plans, package.as_ref(), d.data.orgs.iter().find(|o| o.slug == edit_org)))}
            </section>
            <section aria-labelledby="apps-h">
                <h2 id="apps-h">"Apps"</h2>
                {apps_controls}
                <div class="table-wrap" tabindex="0"><table>
                    <thead><tr><th scope="col">"Name"</th><th scope="col">"Org"</th><th scope="col">"Regions"</th><th scope="col">"Environment"</th><th scope="col">"Services not covered"</th></tr></thead>
                    <tbody>{apps_at.rows(listed_apps).map(|a| {
                        let open = open_of(&a.name);
                        let open_cell = if open == 0 {
                            view! { <td class="ok-text">"none"</td> }.into_any()
                        } else {
                            view! { <td class="warn-text"><a href=format!("/inventory?app={}&verdict=uncovered#services-h", url_part(&a.name))>{open.to_string()}</a></td> }.into_any()
                        };
                        view! { <tr><td>{a.name.clone()}</td><td>{a.org.clone()}</td><td>{a.regions.join(", ")}</td><td>{format!("{:?}", a.environment()).to_lowercase()}</td>{open_cell}</tr> }
                    }).collect_view()}</tbody>
                </table></div>
                {pager_of_apps}
                {(edit && !d.data.orgs.is_empty()).then(|| app_form(&for_form(&f, "app"), &d))}
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
    let orgs: Vec<(String, String)> = d.data.orgs.iter().map(|o| (o.slug.clone(), o.slug.clone())).collect();
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
    apps.extend(d.data.apps.iter().map(|a| (a.name.clone(), a.name.clone())));
    let mut orgs = vec![(String::new(), "(direct with the vendor)".to_string())];
    orgs.extend(d.data.orgs.iter().map(|o| (o.slug.clone(), o.slug.clone())));
    view! {
        <form method="post" action="/actions/services/save" class="card stack" aria-label="Add a service" novalidate=true>
            <h3>"Add a service"</h3>
            <ErrorSummary flash=f.clone() />
            <Field label="Name" name="name" prefix=p value=refill(f, "name") error=field_error(f, "name") />
            <div class="field" class:has-error=vp_err.is_some()><label for="svc-vp">"Vendor and plan"</label>
                <select id="svc-vp" name="vendor_plan" aria-describedby=vp_desc>
                    {d.data.vendors.iter().map(|v| view! {
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
                    {d.data.vendors.iter().filter(|v| v.products.len() > 1).map(|v| view! {
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
