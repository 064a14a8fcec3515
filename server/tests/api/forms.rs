//! Refused forms: every value comes back into the form it was sent from (selects and boxes
//! included), every error at once beside its field, and nothing is stored.

use crate::helpers::{Client, TestApp};
use crate::seed::{agreement_detail, coverage, Seed};
use serde_json::Value;

/// The pending flash as JSON (reading it uses it up, as the next page would).
async fn flash(c: &Client) -> Value {
    let r = c.api("public/page_ctx").await;
    let v: Value = serde_json::from_str(&r.body).expect("json");
    v["flash"].clone()
}

/// The fields with an error in a flash.
fn error_fields(f: &Value) -> Vec<String> {
    f["errors"]
        .as_array()
        .map(|a| a.iter().map(|e| e["field"].as_str().unwrap_or_default().to_string()).collect())
        .unwrap_or_default()
}

/// Whether a flash carries `name=value` among its values.
fn sent(f: &Value, name: &str, value: &str) -> bool {
    f["values"].as_array().is_some_and(|a| a.iter().any(|p| p[0] == name && p[1] == value))
}

/// The opening tag of the `<option value="value">` of the select with id `select`, or, for
/// `element` "input", the tag of the input with id `select` (its `value` is checked too).
fn tag_with_value<'a>(html: &'a str, select: &str, element: &str, value: &str) -> &'a str {
    let at = html.find(select).unwrap_or_else(|| panic!("{select} not on the page"));
    let needle = format!("value=\"{value}\"");
    let pos = if element == "input" {
        at
    } else {
        at + html[at..].find(&needle).unwrap_or_else(|| panic!("no option {needle} after {select}"))
    };
    let open = html[..pos].rfind(&format!("<{element}")).expect("tag start");
    let close = pos + html[pos..].find('>').expect("tag end");
    let tag = &html[open..=close];
    assert!(tag.contains(&needle), "{tag} has {needle}");
    tag
}

fn is_selected(tag: &str) -> bool {
    tag.contains(" selected") || tag.contains(" checked")
}

async fn agreement_count(app: &TestApp) -> i64 {
    use sqlx::Row;
    sqlx::query("SELECT CAST(COUNT(*) AS BIGINT) AS n FROM records WHERE kind = 'agreement'")
        .fetch_one(&app.backend.db.pool)
        .await
        .expect("count")
        .try_get("n")
        .expect("n")
}

#[tokio::test]
async fn refused_agreement_comes_back_with_its_second_party_ticked_boxes_and_every_error() {
    let app = TestApp::spawn().await;
    let owner = app.owner().await;
    let before = agreement_count(&app).await;
    let form = [
        ("title", "Sentry BAA"),
        ("party_a", "us"),
        ("party_b", "vendor:sentry"),
        ("kind", "baa"),
        ("status", "signed"),
        ("effective", "2026-01-01"),
        ("plans", "Platinum"),
        ("auto_renews", "on"),
        ("notice_days", "sixty"),
        ("clause", "a"),
        ("where:a", "§ 2.1"),
        ("clause", "b"),
        ("where:b", ""),
    ];
    let r = owner.post("/actions/agreements/create", &form).await;
    assert_eq!(r.status, 303);
    assert_eq!(r.location(), "/agreements");
    assert_eq!(agreement_count(&app).await, before, "nothing is stored on a refusal");

    // The page shows the form as it was sent: Sentry still chosen, both boxes still ticked,
    // the typed location kept, and every problem beside its field.
    let (_, page) = owner.page("/agreements").await;
    let html = page.body;
    assert!(
        is_selected(tag_with_value(&html, "id=\"ag-party_b\"", "option", "vendor:sentry")),
        "Sentry stays chosen"
    );
    assert!(!is_selected(tag_with_value(&html, "id=\"ag-party_b\"", "option", "vendor:fly")), "not Fly.io");
    assert!(is_selected(tag_with_value(&html, "id=\"ag-status\"", "option", "signed")));
    assert!(is_selected(tag_with_value(&html, "id=\"new-cl-a\"", "input", "a")), "box a stays ticked");
    assert!(is_selected(tag_with_value(&html, "id=\"new-cl-b\"", "input", "b")), "box b stays ticked");
    assert!(!is_selected(tag_with_value(&html, "id=\"new-cl-c\"", "input", "c")), "box c was not ticked");
    assert!(is_selected(tag_with_value(&html, "id=\"ag-auto\"", "input", "on")), "auto-renew stays ticked");
    assert!(html.contains("value=\"§ 2.1\""), "the typed location is kept");
    for (id, text) in [
        ("ag-plans-error", "Sentry has no plan Platinum"),
        ("ag-notice_days-error", "notice period in days"),
        ("ag-expiry-error", "auto-renewing agreement needs the end date"),
        ("new-where-b-error", "is found"),
    ] {
        assert!(html.contains(&format!("id=\"{id}\"")), "{id} shown beside its field");
        assert!(html.contains(text), "{text}");
        assert!(html.contains(&format!("aria-describedby=\"{id}\"")), "{id} described");
    }
    assert!(html.contains("Nothing was saved: 4 things need fixing."), "a summary at the top");

    // The same again, read as data: every field error, every value.
    owner.post("/actions/agreements/create", &form).await;
    let f = flash(&owner).await;
    assert_eq!(f["form"], "agreement");
    let mut fields = error_fields(&f);
    fields.sort();
    assert_eq!(fields, ["expiry", "notice_days", "plans", "where:b"]);
    assert!(sent(&f, "party_b", "vendor:sentry") && sent(&f, "clause", "b") && sent(&f, "auto_renews", "on"));

    // Fixed, it is filed against Sentry with the plan as the dropdowns name it.
    let mut fixed: Vec<(&str, &str)> =
        form.iter().copied().filter(|(k, _)| !matches!(*k, "plans" | "notice_days" | "where:b")).collect();
    fixed.extend([
        ("plans", "Business"),
        ("notice_days", "60"),
        ("where:b", "§ 3"),
        ("expiry", "2027-12-31"),
    ]);
    let r = owner.post("/actions/agreements/create", &fixed).await;
    assert_eq!(r.location(), "/agreements");
    let said = flash(&owner).await["message"].as_str().unwrap_or_default().to_owned();
    assert!(said.starts_with("Agreement recorded. ") && said.contains("covers"), "{said}");
    let v = coverage(&owner, "").await;
    let a =
        v["agreements"].as_array().expect("a").iter().find(|a| a["title"] == "Sentry BAA").expect("recorded");
    assert_eq!(a["parties"][1], "vendor:sentry");
    assert_eq!(a["scope"]["plans"][0], "business", "{}", a["scope"]);
    app.stop().await;
}

#[tokio::test]
async fn plans_are_ticked_from_the_agreement_vendor_and_other_vendors_plans_are_refused() {
    let app = TestApp::spawn().await;
    let owner = app.owner().await;
    let mut base =
        vec![("party_a", "us"), ("party_b", "vendor:sentry"), ("kind", "baa"), ("status", "draft")];
    base.push(("plans", "fly|scale"));
    let before = agreement_count(&app).await;
    owner.post("/actions/agreements/create", &base).await;
    let f = flash(&owner).await;
    assert_eq!(error_fields(&f), ["plans"], "{f}");
    assert_eq!(agreement_count(&app).await, before);
    base.pop();
    base.extend([("plans", "sentry|business"), ("plans", "sentry|enterprise")]);
    owner.post("/actions/agreements/create", &base).await;
    let said = flash(&owner).await["message"].as_str().unwrap_or_default().to_owned();
    assert!(said.starts_with("Agreement recorded. ") && said.contains("covers"), "{said}");
    let v = coverage(&owner, "").await;
    let a = v["agreements"]
        .as_array()
        .expect("a")
        .iter()
        .find(|a| a["parties"][1] == "vendor:sentry")
        .expect("a");
    assert_eq!(a["scope"]["plans"], serde_json::json!(["business", "enterprise"]));
    // The form offers Sentry's plans as boxes.
    let (_, page) = owner.page("/agreements").await;
    assert!(page.body.contains("value=\"sentry|business\""), "plans are boxes to tick");
    app.stop().await;
}

/// acme-prod ("Acme Production"), its app acme-api in iad and Sentry (Team) for it; returns the
/// owner (with no flash pending) and the service's id.
async fn world(app: &TestApp) -> (Client, String) {
    let owner = app.owner().await;
    let s = Seed::new(&owner);
    s.org("acme-prod").with("name", "Acme Production").save().await;
    s.app("acme-api", "acme-prod").regions("iad").save().await;
    let id = s.service("acme-errors", "sentry|team").apps("acme-api").save_id().await;
    (owner, id)
}

#[tokio::test]
async fn a_refused_service_change_goes_back_to_the_service_page_with_its_own_values() {
    let app = TestApp::spawn().await;
    let (owner, id) = world(&app).await;
    let change = [
        ("id", id.as_str()),
        ("name", "acme-errors"),
        ("vendor_plan", "sentry|business"),
        ("apps", "acme-api"),
        ("regions", "iad"),
        ("phi", "no"),
        ("phi_basis", "other"),
        ("phi_reason", ""),
    ];
    let r = owner.post("/actions/services/save", &change).await;
    let page = format!("/services/{id}");
    assert_eq!(r.location(), page, "back to the page the form is on");
    let (_, html) = owner.page(&page).await;
    let html = html.body;
    assert!(html.contains("say why this service never handles PHI"), "the error is on the service page");
    assert!(html.contains("aria-describedby=\"edit-phi_reason-error\""));
    assert!(is_selected(tag_with_value(&html, "id=\"edit-phi\"", "option", "no")), "PHI: no stays chosen");
    assert!(
        is_selected(tag_with_value(&html, "id=\"edit-vp\"", "option", "sentry|business")),
        "the new plan stays chosen"
    );
    // Nothing was saved.
    let v = coverage(&owner, "").await;
    let s = v["services"].as_array().expect("s").iter().find(|s| s["id"] == id.as_str()).expect("s").clone();
    assert_eq!(s["plan"], "team");
    assert_eq!(s["phi"]["handles"], "yes");
    // The inventory's add form is not filled with this service's values.
    owner.post("/actions/services/save", &change).await;
    let (_, inv) = owner.page("/inventory").await;
    assert!(
        !inv.body.contains("svc-phi_reason-error") && !inv.body.contains("Nothing was saved"),
        "no error under another form"
    );
    app.stop().await;
}

#[tokio::test]
async fn a_refused_new_service_shows_every_error_and_keeps_its_choices() {
    let app = TestApp::spawn().await;
    let (owner, _) = world(&app).await;
    let r = owner
        .post(
            "/actions/services/save",
            &[
                ("name", "acme-mail"),
                ("vendor_plan", "sentry|business"),
                ("apps", "acme-api"),
                ("org", "acme-prod"),
                ("regions", "not a region!"),
                ("phi", "no"),
                ("phi_basis", "other"),
                ("phi_reason", ""),
                ("effective_on", "yesterday"),
            ],
        )
        .await;
    assert_eq!(r.location(), "/inventory");
    let (_, page) = owner.page("/inventory").await;
    let html = page.body;
    assert!(is_selected(tag_with_value(&html, "id=\"svc-vp\"", "option", "sentry|business")));
    assert!(is_selected(tag_with_value(&html, "id=\"svc-apps\"", "option", "acme-api")));
    assert!(is_selected(tag_with_value(&html, "id=\"svc-org\"", "option", "acme-prod")));
    for id in ["svc-regions-error", "svc-phi_reason-error", "svc-effective_on-error"] {
        assert!(html.contains(&format!("id=\"{id}\"")), "{id}");
    }
    let v = coverage(&owner, "").await;
    assert!(!v["services"].as_array().expect("s").iter().any(|s| s["name"] == "acme-mail"), "nothing stored");
    app.stop().await;
}

#[tokio::test]
async fn the_clause_checklist_reports_every_missing_location_and_keeps_what_was_typed() {
    let app = TestApp::spawn().await;
    let owner = app.owner().await;
    Seed::new(&owner).baa("vendor:sentry", "").with("status", "draft").without("effective").save().await;
    let id = coverage(&owner, "").await["agreements"][0]["id"].as_str().expect("id").to_string();
    let _ = flash(&owner).await;
    let r = owner
        .post(
            "/actions/agreements/clauses",
            &[
                ("id", id.as_str()),
                ("clause", "a"),
                ("where:a", "§ 2.1"),
                ("clause", "c"),
                ("where:c", ""),
                ("clause", "h"),
                ("where:h", " "),
                ("where:d", "typed but not ticked"),
            ],
        )
        .await;
    let back = format!("/agreements/{id}");
    assert_eq!(r.location(), back);
    let (_, page) = owner.page(&back).await;
    let html = page.body;
    assert!(
        html.contains("id=\"chk-where-c-error\"") && html.contains("id=\"chk-where-h-error\""),
        "both missing locations"
    );
    assert!(
        html.contains("value=\"§ 2.1\"") && html.contains("value=\"typed but not ticked\""),
        "typed text kept"
    );
    assert!(is_selected(tag_with_value(&html, "id=\"chk-cl-h\"", "input", "h")), "box h stays ticked");
    // Ids are unique: the heading and box h no longer share one.
    assert_eq!(html.matches("id=\"cl-h\"").count(), 1);
    let detail = agreement_detail(&owner, &id).await;
    assert_eq!(detail["agreement"]["clause_evidence"], serde_json::json!({}), "nothing stored");
    app.stop().await;
}

#[tokio::test]
async fn editing_an_org_is_prefilled_and_never_replaces_its_name_with_its_slug() {
    let app = TestApp::spawn().await;
    let (owner, _) = world(&app).await;
    let (_, page) = owner.page("/inventory?edit_org=acme-prod").await;
    assert!(page.body.contains("href=\"/inventory?edit_org=acme-prod#org-form\""), "an Edit link per row");
    assert!(page.body.contains("value=\"Acme Production\""), "the form is prefilled with the name");
    // Saved without a name (an older form, an API client): the name stays.
    owner
        .post(
            "/actions/orgs/save",
            &[("slug", "acme-prod"), ("environment", "production"), ("plan", "Launch")],
        )
        .await;
    let v = coverage(&owner, "").await;
    let org =
        v["orgs"].as_array().expect("o").iter().find(|o| o["slug"] == "acme-prod").expect("org").clone();
    assert_eq!(org["name"], "Acme Production");
    assert_eq!(org["plan"], "launch", "a plan named as shown is accepted");
    app.stop().await;
}

async fn signed_sentry_baa(app: &TestApp, owner: &Client) -> String {
    let s = Seed::new(owner);
    let r = s.baa("vendor:sentry", "Sentry BAA").send().await;
    assert_eq!(r.location(), "/agreements");
    let said = flash(owner).await["message"].as_str().unwrap_or_default().to_owned();
    assert!(said.starts_with("Agreement recorded. ") && said.contains("covers"), "{said}");
    let _ = app;
    s.agreement_id("Sentry BAA").await
}

#[tokio::test]
async fn a_status_change_is_confirmed_before_it_is_recorded_and_a_change_to_the_same_status_is_refused() {
    let app = TestApp::spawn().await;
    let owner = app.owner().await;
    let id = signed_sentry_baa(&app, &owner).await;
    let before = agreement_count(&app).await;
    let change =
        [("id", id.as_str()), ("status", "terminated"), ("on", ""), ("reason", "moved to another tracker")];
    let r = owner.post("/actions/agreements/status", &change).await;
    assert_eq!(r.location(), format!("/agreements/{id}#st-h"));
    assert_eq!(agreement_count(&app).await, before, "the first step only checks");
    let f = flash(&owner).await;
    assert_eq!(f["form"], "status-confirm");
    assert!(f["message"].as_str().unwrap_or_default().contains("from signed to terminated"), "{f}");
    // The page starts the status form from the current status.
    let (_, page) = owner.page(&format!("/agreements/{id}")).await;
    assert!(is_selected(tag_with_value(&page.body, "id=\"st-new\"", "option", "signed")));

    let mut confirmed = change.to_vec();
    confirmed.push(("confirmed", "yes"));
    owner.post("/actions/agreements/status", &confirmed).await;
    assert_eq!(flash(&owner).await["message"], "Status changed.");
    assert_eq!(agreement_count(&app).await, before + 1);

    // Terminating a terminated BAA: refused, clearly, with nothing stored.
    owner.post("/actions/agreements/status", &confirmed).await;
    let f = flash(&owner).await;
    assert_eq!(error_fields(&f), ["status"], "{f}");
    assert!(f["message"].as_str().unwrap_or_default().contains("already terminated"), "{f}");
    assert_eq!(agreement_count(&app).await, before + 1, "nothing stored");
    // A missing reason and a bad date are both reported.
    owner
        .post(
            "/actions/agreements/status",
            &[("id", id.as_str()), ("status", "signed"), ("on", "soon"), ("reason", "")],
        )
        .await;
    let mut fields = error_fields(&flash(&owner).await);
    fields.sort();
    assert_eq!(fields, ["on", "reason"]);
    app.stop().await;
}

#[tokio::test]
async fn an_identical_agreement_is_warned_about_and_recorded_only_when_asked_again() {
    let app = TestApp::spawn().await;
    let owner = app.owner().await;
    signed_sentry_baa(&app, &owner).await;
    let before = agreement_count(&app).await;
    let same = [
        ("title", "Sentry BAA, again"),
        ("party_a", "vendor:sentry"),
        ("party_b", "us"),
        ("kind", "baa"),
        ("status", "signed"),
    ];
    owner.post("/actions/agreements/create", &same).await;
    let f = flash(&owner).await;
    assert_eq!(error_fields(&f), ["duplicate"], "{f}");
    assert_eq!(agreement_count(&app).await, before, "not silently duplicated");
    owner.post("/actions/agreements/create", &same).await;
    let (_, page) = owner.page("/agreements").await;
    assert!(page.body.contains("Record it anyway") && page.body.contains("name=\"record_anyway\""));
    let mut anyway = same.to_vec();
    anyway.push(("record_anyway", "yes"));
    owner.post("/actions/agreements/create", &anyway).await;
    let said = flash(&owner).await["message"].as_str().unwrap_or_default().to_owned();
    assert!(said.starts_with("Agreement recorded. ") && said.contains("covers"), "{said}");
    assert_eq!(agreement_count(&app).await, before + 1);
    app.stop().await;
}

#[tokio::test]
async fn removing_a_service_or_leaving_asks_first_and_the_sole_owner_is_not_offered_leave() {
    let app = TestApp::spawn().await;
    let (owner, id) = world(&app).await;
    let (_, page) = owner.page("/inventory").await;
    assert!(!page.body.contains("action=\"/actions/services/remove\""), "no one-click removal");
    assert!(page.body.contains(&format!("/inventory?remove={id}")));
    let (_, page) = owner.page(&format!("/inventory?remove={id}")).await;
    assert!(
        page.body.contains("action=\"/actions/services/remove\"") && page.body.contains("Remove the service")
    );

    let v: Value = serde_json::from_str(&owner.api("members_page").await.body).expect("json");
    let me = v["members"][0]["user_id"].as_str().expect("id").to_string();
    let (_, page) = owner.page("/members").await;
    assert!(!page.body.contains("Leave"), "the sole owner cannot leave");
    let (_, page) = owner.page(&format!("/members?remove={me}")).await;
    assert!(!page.body.contains("Leave the workspace"));
    app.member(&owner, baa_core::account::Role::Owner, "sam@acme-health.example").await;
    let (_, page) = owner.page("/members").await;
    assert!(page.body.contains("Leave…") && !page.body.contains("action=\"/actions/members/remove\""));
    let (_, page) = owner.page(&format!("/members?remove={me}")).await;
    assert!(
        page.body.contains("Leave the workspace") && page.body.contains("action=\"/actions/members/remove\"")
    );
    app.stop().await;
}
