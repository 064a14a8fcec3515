//! The agreements page: the list and the form that records an agreement with its clauses.

use super::*;

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

/// The "Record an agreement" form. `f` is the flash of this form only.
fn agreement_form(f: &Option<Flash>, d: &CoverageView) -> impl IntoView {
    let p = "ag";
    let parties: Vec<(String, String)> =
        d.data.parties.iter().map(|x| (x.id.clone(), x.name.clone())).collect();
    let others: Vec<(String, String)> = parties.iter().filter(|(id, _)| id != "us").cloned().collect();
    let opts =
        |xs: &[(&str, &str)]| xs.iter().map(|(a, b)| (a.to_string(), b.to_string())).collect::<Vec<_>>();
    // Plans are chosen from each vendor's own plans; only the agreement's vendor's count.
    let vendor_parties: Vec<&crate::inventory_api::VendorChoice> = d
        .data
        .vendors
        .iter()
        .filter(|v| {
            !v.plans.is_empty()
                && d.data
                    .parties
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
    let list = ListQuery::from_url("");
    let data = Resource::new(String::new, coverage_data);
    app_page("Agreements", data, move |_v, f, d| {
        let edit = d.can_edit_agreements;
        let names: std::collections::HashMap<&str, &str> =
            d.data.parties.iter().map(|p| (p.id.as_str(), p.name.as_str())).collect();
        let name_of = |id: &str| names.get(id).map_or_else(|| id.to_string(), |n| n.to_string());
        let status_of =
            |a: &Agreement| a.history.last().map(|h| format!("{:?}", h.status)).unwrap_or_default();
        let kind_of = |a: &Agreement| match &a.kind {
            AgreementKind::Baa => "BAA".to_string(),
            AgreementKind::SubcontractorBaa => "subcontractor BAA".into(),
            AgreementKind::PlatformAgreement { extends_to } => {
                format!("platform agreement (extends to {})", extends_to.join(", "))
            }
        };
        let no_agreements = d.data.agreements.is_empty();
        let mut listed: Vec<&Agreement> = d
            .data
            .agreements
            .iter()
            .filter(|a| {
                if !list.searching() {
                    return true;
                }
                let parties = a.parties.iter().map(|p| name_of(p)).collect::<Vec<_>>().join(" ");
                list.matches(&[&a.title, &a.id, &parties, &kind_of(a), &status_of(a)])
            })
            .collect();
        // Ties fall back to the title, then the id, so the order never depends on storage.
        match list.sort.as_str() {
            // Soonest first; an agreement that never expires goes last.
            "expiry" => listed
                .sort_by_cached_key(|a| (a.expiry.is_none(), a.expiry, a.title.to_lowercase(), a.id.clone())),
            "status" => listed.sort_by_cached_key(|a| (status_of(a), a.title.to_lowercase(), a.id.clone())),
            _ => listed.sort_by_cached_key(|a| (a.title.to_lowercase(), a.id.clone())),
        }
        let at = PageOf::new(&list.page, listed.len());
        let controls = list_controls(
            "ag-list",
            "/agreements",
            "agreements",
            "title, party, kind or status",
            &list,
            &[("", "title"), ("expiry", "expires soonest"), ("status", "status")],
            &[],
        );
        let pager_of_agreements = list
            .wants_pager(at)
            .then(|| pager("agreements", "/agreements", &list.pairs(), &list.page_param(), at, "ag-h"));
        let rows = at.rows(listed).map(|a| {
            let status = status_of(a);
            let kind = kind_of(a);
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
                        {controls}
                        <div class="table-wrap" tabindex="0"><table>
                            <thead><tr><th scope="col">"Title"</th><th scope="col">"Parties"</th><th scope="col">"Kind"</th><th scope="col">"Status"</th><th scope="col">"Effective"</th><th scope="col">"Expires"</th><th scope="col">"Clauses"</th>{edit.then(|| view! { <th scope="col">"Change"</th> })}</tr></thead>
                            <tbody>{rows}</tbody>
                        </table></div>
                        {pager_of_agreements}
                    }.into_any()
                }}
            </section>
            {edit.then(|| view! {
                {agreement_form(&for_form(&f, "agreement"), &d)}
                <form method="post" action="/actions/parties/save" class="card inline-form" aria-label="Add a customer or subcontractor">
                    <div class="field"><label for="party-name">"Customer or subcontractor name"</label><input id="party-name" name="name" required=true value=refill(&f, "party_name") /></div>
                    <div class="field"><label for="party-kind">"Kind"</label><select id="party-kind" name="kind"><option value="customer">"customer (covered entity)"</option><option value="subcontractor">"a vendor's subcontractor"</option></select></div>
                    <div class="field"><label for="party-vendor">"Vendor it serves (subcontractors)"</label><select id="party-vendor" name="vendor"><option value="">"—"</option>{d.data.vendors.iter().map(|v| view! { <option value=v.slug.clone()>{v.name.clone()}</option> }).collect_view()}</select></div>
                    <div class="field checkbox"><input id="party-active" type="checkbox" name="active" value="on" checked=true /><label for="party-active">"Active customer"</label></div>
                    <div class="field checkbox"><input id="party-phi" type="checkbox" name="handles_phi" value="on" checked=true /><label for="party-phi">"We handle its PHI"</label></div>
                    <button type="submit" class="secondary">"Add party"</button>
                </form>
            })}
            <section aria-labelledby="parties-h">
                <h2 id="parties-h">"Customers and subcontractors"</h2>
                <ul class="plain">{d.data.parties.iter().filter(|p| matches!(p.role, PartyRole::Customer { .. } | PartyRole::Subcontractor { .. })).map(|p| view! { <li>{p.name.clone()}{match p.role { PartyRole::Customer { .. } => " (customer)", _ => " (subcontractor)" }}</li> }).collect_view()}</ul>
            </section>
        }
        .into_any()
    })
}
