//! Inventory, agreements and the coverage report through the app's own forms and loaders.

use crate::helpers::TestApp;
use crate::seed::{agreement_detail, coverage, Seed};
use baa_core::account::Role;
use serde_json::Value;

/// (rule, subject name) of every finding.
fn findings(v: &Value) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = v["report"]["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .map(|f| {
            (
                f["rule"].as_str().unwrap_or_default().to_string(),
                f["subject"]["name"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect();
    out.sort();
    out
}

/// Whether a finding of `rule` is about `subject` (services are named with their vendor,
/// "Tigris · acme-uploads", so either form matches).
fn has(v: &Value, rule: &str, subject: &str) -> bool {
    findings(v).iter().any(|(r, s)| r == rule && (s == subject || s.ends_with(&format!(" · {subject}"))))
}

fn service_id(v: &Value, name: &str) -> String {
    v["services"].as_array().expect("s").iter().find(|s| s["name"] == name).expect("service")["id"]
        .as_str()
        .expect("id")
        .to_string()
}

/// prod, its app acme-api and the Fly database acme-db (PHI), all from `day`.
async fn fly_db_world(s: &Seed<'_>, day: &str) {
    s.org("prod").on(day).save().await;
    s.app("acme-api", "prod").on(day).save().await;
    s.service("acme-db", "fly|scale").apps("acme-api").org("prod").on(day).save().await;
}

#[tokio::test]
async fn findings_follow_agreements_and_plan_changes_and_history_is_kept() {
    let app = TestApp::spawn().await;
    let owner = app.owner().await;
    let eng = app.member(&owner, Role::Engineer, "eng@acme-health.example").await;
    let auditor = app.member(&owner, Role::Auditor, "audit@acme-health.example").await;

    // An engineer describes the world: an org on an eligible plan, an app, Tigris and Sentry (Team).
    let s = Seed::new(&eng);
    s.acme_production().await;
    s.acme_uploads().send().await;
    let told = eng.flash().await;
    assert!(told.contains("acme-uploads is saved but not covered."), "the engineer is told at once: {told}");
    s.service("acme-errors", "sentry|team")
        .apps("acme-api")
        .with("phi", "unknown")
        .on("2026-02-01")
        .save()
        .await;
    let v = coverage(&eng, "").await;
    assert!(has(&v, "uncovered-service", "acme-uploads"));
    assert!(has(&v, "uncovered-service", "acme-errors"));
    assert!(has(&v, "phi-unknown", "acme-errors"));
    // The app runs on Fly Machines, Fly.io's own compute: with no Fly.io BAA it is a gap too.
    assert!(has(&v, "uncovered-service", "acme-api"), "{:?}", findings(&v));
    assert_eq!(v["report"]["summary"]["uncovered_phi"], 3);

    // An auditor reads but cannot add.
    assert_eq!(coverage(&auditor, "").await["report"], v["report"]);
    let r = auditor
        .post("/actions/services/save", &[("name", "x"), ("vendor_plan", "tigris|standard"), ("phi", "yes")])
        .await;
    assert_eq!(r.status, 403);
    // Engineers cannot record agreements.
    let r = eng
        .post(
            "/actions/agreements/create",
            &[("party_a", "us"), ("party_b", "vendor:fly"), ("kind", "baa"), ("status", "signed")],
        )
        .await;
    assert_eq!(r.status, 403);

    // Legal work: a Fly BAA alone does not cover extensions; a Sentry BAA meets the Team plan.
    let legal = Seed::new(&owner);
    legal.baa("vendor:fly", "Fly.io BAA").expiry("2027-12-31").all_clauses().save().await;
    let v = coverage(&owner, "").await;
    assert!(has(&v, "uncovered-service", "acme-uploads"), "{:?}", findings(&v));
    legal.baa("vendor:sentry", "Sentry BAA").all_clauses().save().await;
    let v = coverage(&owner, "").await;
    assert!(has(&v, "plan-ineligible", "acme-errors"), "{:?}", findings(&v));
    let next = v["report"]["findings"]
        .as_array()
        .expect("f")
        .iter()
        .find(|f| f["rule"] == "plan-ineligible")
        .expect("f")["next_step"]
        .as_str()
        .expect("s")
        .to_string();
    assert!(next.contains("Business"), "{next}");

    // The engineer upgrades Sentry to Business: the finding goes away today, and yesterday still shows it.
    let id = service_id(&v, "acme-errors");
    s.service_edit(&id, "acme-errors", "sentry|business").apps("acme-api").save().await;
    let v = coverage(&owner, "").await;
    assert!(!has(&v, "plan-ineligible", "acme-errors"), "{:?}", findings(&v));
    // Yesterday is shown as recorded by the end of yesterday: everything above was entered
    // today, so it appears as corrections, not as if it had been known then.
    let yesterday = app.backend.clock.now_utc().date_naive().pred_opt().expect("day").to_string();
    let past = coverage(&owner, &yesterday).await;
    assert_eq!(past["as_of"], yesterday.as_str());
    assert_eq!(past["report"]["services"].as_array().expect("s").len(), 0);
    assert!(
        past["corrections"].as_array().expect("c").iter().any(|c| c["name"] == "acme-errors"),
        "{}",
        past["corrections"]
    );
    // Before anything existed, nothing is reported.
    let before = coverage(&owner, "2025-06-01").await;
    assert_eq!(before["report"]["services"].as_array().expect("s").len(), 0);
    // The dashboard draws the chain.
    assert!(v["graph_svg"].as_str().expect("svg").contains("Tigris"));
    let (_, page) = owner.page("/").await;
    assert!(page.body.contains("Findings and next steps") && page.body.contains("<svg"));
    app.stop().await;
}

#[tokio::test]
async fn bad_inventory_and_agreement_input_is_refused_and_stores_nothing() {
    let app = TestApp::spawn().await;
    let owner = app.owner().await;
    let before = app.count("records").await;
    for (path, form, field) in [
        (
            "/actions/orgs/save",
            vec![("slug", "Bad Slug!"), ("environment", "production"), ("plan", "scale")],
            "slug",
        ),
        (
            "/actions/orgs/save",
            vec![("slug", "acme"), ("environment", "production"), ("plan", "gold")],
            "plan",
        ),
        ("/actions/apps/save", vec![("name", "acme-api"), ("org", "no-such-org")], "org"),
        (
            "/actions/services/save",
            vec![("name", "x"), ("vendor_plan", "nope|team"), ("phi", "yes")],
            "vendor_plan",
        ),
        (
            "/actions/services/save",
            vec![("name", "x"), ("vendor_plan", "sentry|team"), ("phi", "no")],
            "phi_reason",
        ),
        (
            "/actions/agreements/create",
            vec![
                ("party_a", "us"),
                ("party_b", "vendor:fly"),
                ("kind", "baa"),
                ("effective", "2026-05-01"),
                ("expiry", "2026-04-01"),
            ],
            "expiry",
        ),
        (
            "/actions/agreements/create",
            vec![("party_a", "us"), ("party_b", "vendor:nobody"), ("kind", "baa")],
            "party_b",
        ),
        (
            "/actions/agreements/create",
            vec![("party_a", "us"), ("party_b", "vendor:sentry"), ("kind", "baa"), ("plans", "platinum")],
            "plans",
        ),
        (
            "/actions/agreements/create",
            vec![("party_a", "us"), ("party_b", "vendor:fly"), ("kind", "baa"), ("effective", "01/05/2026")],
            "effective",
        ),
    ] {
        let r = owner.post(path, &form).await;
        assert_eq!(r.status, 303, "{path}");
        let ctx: Value = serde_json::from_str(&owner.api("public/page_ctx").await.body).expect("json");
        assert_eq!(ctx["flash"]["field"], field, "{path} {form:?}: {}", ctx["flash"]);
    }
    assert_eq!(app.count("records").await, before);
    app.stop().await;
}

#[tokio::test]
async fn legal_corrects_a_vendor_fact_and_a_newer_catalog_is_shown_not_applied() {
    let app = TestApp::spawn().await;
    let owner = app.owner().await;
    let legal = app.member(&owner, Role::Legal, "legal@acme-health.example").await;
    let eng = app.member(&owner, Role::Engineer, "eng@acme-health.example").await;
    let s = Seed::new(&owner);
    s.org("prod").save().await;
    s.app("acme-api", "prod").save().await;
    s.service("acme-errors", "sentry|team").apps("acme-api").save().await;
    Seed::new(&legal).baa("vendor:sentry", "").all_clauses().save().await;
    assert!(has(&coverage(&legal, "").await, "plan-ineligible", "acme-errors"));

    // Engineers cannot edit the catalog; a reason is required.
    let form = [
        ("slug", "sentry"),
        ("baa_terms", "signs BAAs on every plan since 2026-11"),
        ("checked", "2026-11-20"),
        ("plan:team", "eligible"),
        ("reason", ""),
    ];
    assert_eq!(eng.post("/actions/vendors/edit", &form).await.status, 403);
    legal.post("/actions/vendors/edit", &form).await;
    assert_eq!(legal.flash().await, "say why (for example the source and what it now says)");
    let mut form = form.to_vec();
    form[4] = ("reason", "Sentry security terms page, read 2026-11-20");
    assert_eq!(legal.post("/actions/vendors/edit", &form).await.location(), "/vendors#sentry");
    let v = coverage(&legal, "").await;
    assert!(!has(&v, "plan-ineligible", "acme-errors"), "the local fact applies: {:?}", findings(&v));

    // The vendors page says who edited it and why.
    let vendors: Value = serde_json::from_str(&legal.api("vendors_data").await.body).expect("json");
    let entry = vendors["vendors"]
        .as_array()
        .expect("v")
        .iter()
        .find(|e| e["vendor"]["slug"] == "sentry")
        .expect("sentry")
        .clone();
    assert_eq!(entry["local_edit"][2], "Sentry security terms page, read 2026-11-20");
    assert_eq!(entry["update_available"].as_array().expect("u").len(), 0);

    // Simulate an edit made against an older catalog: the newer bundled facts are shown, not applied.
    let older = {
        let mut s: Value = serde_json::from_str(&entry["vendor"].to_string()).expect("v");
        s["baa_terms"] = Value::String("older wording".into());
        s.to_string()
    };
    sqlx::query("UPDATE catalog_edits SET base_data = $1")
        .bind(older)
        .execute(&app.backend.db.pool)
        .await
        .expect("update");
    let vendors: Value = serde_json::from_str(&legal.api("vendors_data").await.body).expect("json");
    let entry = vendors["vendors"]
        .as_array()
        .expect("v")
        .iter()
        .find(|e| e["vendor"]["slug"] == "sentry")
        .expect("sentry")
        .clone();
    let diff: Vec<String> = entry["update_available"]
        .as_array()
        .expect("u")
        .iter()
        .map(|l| l.as_str().unwrap_or_default().to_string())
        .collect();
    assert!(diff.iter().any(|l| l.contains("Team plan: yours eligible, catalog not eligible")), "{diff:?}");
    assert!(!has(&coverage(&legal, "").await, "plan-ineligible", "acme-errors"), "still the local fact");
    // Taking the catalog's facts brings the finding back.
    legal
        .post(
            "/actions/vendors/take-bundled",
            &[("slug", "sentry"), ("reason", "took the newer catalog entry")],
        )
        .await;
    assert!(has(&coverage(&legal, "").await, "plan-ineligible", "acme-errors"));
    app.stop().await;
}

#[tokio::test]
async fn detail_pages_show_chains_history_and_filters_narrow_the_list() {
    let app = TestApp::spawn().await;
    let owner = app.owner().await;
    let s = Seed::new(&owner);
    s.org("prod").save().await;
    s.org("staging").with("environment", "staging").save().await;
    s.app("acme-api", "prod").save().await;
    s.app("acme-api-staging", "staging").save().await;
    s.service("acme-db", "fly|scale").apps("acme-api").org("prod").save().await;
    s.service("staging-errors", "sentry|team")
        .apps("acme-api-staging")
        .org("staging")
        .phi_no("scrubbed test data only")
        .save()
        .await;
    s.baa("vendor:fly", "Fly.io BAA").save().await;
    let v = coverage(&owner, "").await;
    let db = service_id(&v, "acme-db");
    let (_, page) = owner.page(&format!("/services/{db}")).await;
    assert!(page.body.contains("Covered on") && page.body.contains("Fly.io BAA"), "chain shown");
    let ag = v["agreements"][0]["id"].as_str().expect("id").to_string();
    // A status change is dated and explained; the history keeps both versions.
    owner
        .post(
            "/actions/agreements/status",
            &[
                ("id", &ag),
                ("status", "terminated"),
                ("on", ""),
                ("reason", "moved off Fly"),
                ("confirmed", "yes"),
            ],
        )
        .await;
    let (_, page) = owner.page(&format!("/agreements/{ag}")).await;
    assert!(
        page.body.contains("Terminated") && page.body.contains("moved off Fly"),
        "history shown: {}",
        &page.body[page.body.find("Status history").unwrap_or(0)..]
            [..2000.min(page.body.len() - page.body.find("Status history").unwrap_or(0))]
    );
    assert!(has(&coverage(&owner, "").await, "uncovered-service", "acme-db"));
    // Filters.
    let (_, page) = owner.page("/inventory?org=staging").await;
    assert!(page.body.contains("staging-errors") && !page.body.contains("· acme-db<"));
    let (_, page) = owner.page("/inventory?verdict=uncovered").await;
    assert!(page.body.contains("· acme-db<") && !page.body.contains("· staging-errors<"));
    // Unknown ids answer 404, as do other workspaces' records.
    assert_eq!(owner.get("/services/nope").await.status, 404);
    assert_eq!(owner.api_with("agreement_detail", &[("id", "nope")]).await.status, 404);
    let other = app.client();
    other.login("priya@acme-health.example", crate::helpers::PASSWORD).await;
    other.post("/actions/workspaces/create", &[("workspace", "Other Clinic")]).await;
    assert_eq!(other.api_with("agreement_detail", &[("id", &ag)]).await.status, 404);
    assert_eq!(other.get(&format!("/services/{db}")).await.status, 404);
    app.stop().await;
}

#[tokio::test]
async fn owners_set_the_region_policy_and_reminder_windows() {
    let app = TestApp::spawn().await;
    let owner = app.owner().await;
    let legal = app.member(&owner, Role::Legal, "legal@acme-health.example").await;
    let s = Seed::new(&owner);
    s.org("prod").save().await;
    s.app("acme-api", "prod").regions("fra").save().await;
    s.service("acme-db", "fly|scale").apps("acme-api").org("prod").regions("fra").save().await;
    assert!(!has(&coverage(&owner, "").await, "region-outside-policy", "acme-db"));
    assert_eq!(
        legal.post("/actions/policy", &[("allowed_regions", "iad"), ("reminder_windows", "30")]).await.status,
        403
    );
    owner.post("/actions/policy", &[("allowed_regions", "iad, ord"), ("reminder_windows", "weekly")]).await;
    assert!(owner.flash().await.contains("whole days"));
    owner.post("/actions/policy", &[("allowed_regions", "iad, ord"), ("reminder_windows", "30, 90")]).await;
    assert_eq!(owner.flash().await, "Coverage policy saved.");
    assert!(has(&coverage(&owner, "").await, "region-outside-policy", "acme-db"));
    let settings: Value = serde_json::from_str(&owner.api("settings_page").await.body).expect("json");
    assert_eq!(settings["reminder_windows"], serde_json::json!([90, 30]));
    app.stop().await;
}

#[tokio::test]
async fn legal_edits_an_agreement_with_validation_and_the_change_is_kept_in_history() {
    let app = TestApp::spawn().await;
    let owner = app.owner().await;
    Seed::new(&owner).baa("vendor:sentry", "Sentry BAA").all_clauses().save().await;
    let v = coverage(&owner, "").await;
    let id = v["agreements"][0]["id"].as_str().expect("id").to_string();
    assert!(!has(&v, "clauses-incomplete", "Sentry BAA"));
    let back = format!("/agreements/{id}");
    // Expiry before the effective date is refused and nothing changes.
    let r = owner
        .post(
            "/actions/agreements/update",
            &[
                ("id", id.as_str()),
                ("effective", "2026-01-01"),
                ("expiry", "2025-12-31"),
                ("reason", "typo fix"),
            ],
        )
        .await;
    assert_eq!(r.location(), back);
    assert!(owner.flash().await.contains("expiry date must be after"));
    // Unticking clause J (legal found it missing) and limiting the plans.
    let edit = vec![
        ("id", id.as_str()),
        ("effective", "2026-01-01"),
        ("expiry", "2027-12-31"),
        ("plans", "business"),
        ("reason", "re-read the signed copy"),
    ];
    assert_eq!(owner.post("/actions/agreements/update", &edit).await.location(), back);
    assert_eq!(owner.flash().await, "Agreement updated.");
    let mut checklist: Vec<(&str, &str)> = vec![("id", id.as_str())];
    checklist
        .extend(crate::helpers::ALL_CLAUSES.iter().copied().filter(|(k, v)| *v != "j" && *k != "where:j"));
    assert_eq!(owner.post("/actions/agreements/clauses", &checklist).await.location(), back);
    let v = coverage(&owner, "").await;
    assert!(has(&v, "clauses-incomplete", "Sentry BAA"), "{:?}", findings(&v));
    assert_eq!(v["agreements"][0]["expiry"], "2027-12-31");
    let detail = agreement_detail(&owner, &id).await;
    assert_eq!(detail["history"].as_array().expect("h").len(), 3);
    assert_eq!(detail["history"][1]["reason"], "re-read the signed copy");
    // A plan the vendor does not have is refused.
    let r = owner
        .post("/actions/agreements/update", &[("id", id.as_str()), ("plans", "platinum"), ("reason", "try")])
        .await;
    assert_eq!(r.location(), back);
    assert!(owner.flash().await.contains("no plan platinum"));
    app.stop().await;
}

#[tokio::test]
async fn auto_renewing_agreements_keep_covering_after_their_first_term() {
    let app = TestApp::spawn().await;
    let owner = app.owner().await;
    fly_db_world(&Seed::new(&owner), "2025-01-01").await;
    let base = [
        ("title", "Fly.io BAA"),
        ("party_a", "us"),
        ("party_b", "vendor:fly"),
        ("kind", "baa"),
        ("status", "signed"),
        ("effective", "2025-01-01"),
    ];
    // Auto-renewal needs the end of the first term, and the notice period is a number of days.
    let mut f = base.to_vec();
    f.push(("auto_renews", "on"));
    owner.post("/actions/agreements/create", &f).await;
    assert!(owner.flash().await.contains("end date of its first term"));
    f.push(("expiry", "2025-12-31"));
    f.push(("notice_days", "sixty"));
    owner.post("/actions/agreements/create", &f).await;
    assert!(owner.flash().await.contains("notice period"));
    f.pop();
    f.push(("notice_days", "60"));
    f.push(("notes", "Renewal confirmed by e-mail from Fly.io legal."));
    owner.post("/actions/agreements/create", &f).await;
    assert!(owner.flash().await.starts_with("Agreement recorded. Fly.io BAA"));
    let v = coverage(&owner, "").await;
    assert!(!has(&v, "agreement-expired", "Fly.io BAA"), "{:?}", findings(&v));
    assert!(!has(&v, "uncovered-service", "acme-db"));
    let id = v["agreements"][0]["id"].as_str().expect("id").to_string();
    let (_, page) = owner.page(&format!("/agreements/{id}")).await;
    assert!(
        page.body.contains("renews automatically")
            && page.body.contains("60 days")
            && page.body.contains("Renewal confirmed")
    );
    app.stop().await;
}

#[tokio::test]
async fn services_name_their_product_and_can_serve_several_apps() {
    let app = TestApp::spawn().await;
    let owner = app.owner().await;
    let s = Seed::new(&owner);
    s.org("prod").save().await;
    s.app("acme-api", "prod").save().await;
    s.app("acme-worker", "prod").save().await;
    owner
        .post(
            "/actions/services/save",
            &[("name", "audit-db"), ("vendor_plan", "aws|account"), ("product", "dynamo"), ("phi", "yes")],
        )
        .await;
    let ctx: Value = serde_json::from_str(&owner.api("public/page_ctx").await.body).expect("json");
    assert_eq!(ctx["flash"]["field"], "product");
    s.service("audit-db", "aws|account").with("product", "rds").apps("acme-api").save().await;
    let v = coverage(&owner, "").await;
    let id = service_id(&v, "audit-db");
    assert_eq!(v["services"][0]["product"], "rds");
    s.service_edit(&id, "audit-db", "aws|account")
        .with("product", "rds")
        .apps("acme-api, acme-worker")
        .save()
        .await;
    let v = coverage(&owner, "").await;
    assert_eq!(v["services"][0]["apps"], serde_json::json!(["acme-api", "acme-worker"]));
    let (_, page) = owner.page(&format!("/services/{id}")).await;
    assert!(page.body.contains("acme-api, acme-worker"));
    app.stop().await;
}

#[tokio::test]
async fn renewal_supersedes_the_old_agreement_without_a_gap_and_clauses_record_where_and_who() {
    let app = TestApp::spawn().await;
    let owner = app.owner().await;
    fly_db_world(&Seed::new(&owner), "2026-01-01").await;
    Seed::new(&owner).baa("vendor:fly", "Fly.io BAA").expiry("2026-12-31").save().await;
    let v = coverage(&owner, "").await;
    let old = v["agreements"][0]["id"].as_str().expect("id").to_string();
    let back = format!("/agreements/{old}");
    // A renewal must start after the agreement it renews.
    let r = owner
        .post(
            "/actions/agreements/renew",
            &[("id", old.as_str()), ("effective", "2025-06-01"), ("reason", "renewal signed")],
        )
        .await;
    assert_eq!(r.location(), back);
    assert!(owner.flash().await.contains("must start after"));
    let r = owner
        .post(
            "/actions/agreements/renew",
            &[
                ("id", old.as_str()),
                ("effective", "2027-01-01"),
                ("expiry", "2027-12-31"),
                ("reason", "renewal signed 2026-12-01"),
            ],
        )
        .await;
    let new_path = r.location();
    assert!(new_path.starts_with("/agreements/") && new_path != back, "{new_path}");
    let new_id = new_path.trim_start_matches("/agreements/").to_string();
    // A day before anything was recorded shows nothing as recorded then, and the later records
    // as corrections that would cover it.
    let past = coverage(&owner, "2026-06-01").await;
    assert_eq!(past["report"]["services"].as_array().expect("s").len(), 0);
    assert!(past["corrected_verdicts"].to_string().contains("covered"), "{}", past["corrected_verdicts"]);
    // Covered across and after the renewal, by the right agreement each day.
    for (day, by) in [("2026-12-31", &old), ("2027-01-01", &new_id), ("2027-06-01", &new_id)] {
        let c = coverage(&owner, day).await;
        let verdict = &c["report"]["services"][0]["verdict"];
        assert!(verdict.to_string().contains(by.as_str()), "{day}: {verdict}");
        assert!(!has(&c, "uncovered-service", "acme-db"), "{day}");
    }
    let detail = agreement_detail(&owner, &new_id).await;
    assert_eq!(detail["agreement"]["supersedes"], old.as_str());
    let old_detail = agreement_detail(&owner, &old).await;
    assert_eq!(
        old_detail["agreement"]["history"].as_array().expect("h").last().expect("l")["status"],
        "superseded"
    );

    // Clause checklist: a ticked clause needs a location; the confirmer is recorded.
    let r = owner
        .post("/actions/agreements/clauses", &[("id", new_id.as_str()), ("clause", "a"), ("where:a", "")])
        .await;
    assert!(r.location().starts_with("/agreements/"));
    assert!(owner.flash().await.contains("say where"));
    owner
        .post(
            "/actions/agreements/clauses",
            &[
                ("id", new_id.as_str()),
                ("clause", "a"),
                ("where:a", "§ 2.1"),
                ("clause", "j"),
                ("where:j", "p. 7, § 9"),
            ],
        )
        .await;
    assert_eq!(owner.flash().await, "Clause checklist saved.");
    let detail = agreement_detail(&owner, &new_id).await;
    let confirmed: Vec<&String> =
        detail["agreement"]["clause_evidence"].as_object().expect("evidence").keys().collect();
    assert_eq!(confirmed, ["a", "j"]);
    assert_eq!(detail["agreement"]["clause_evidence"]["j"]["location"], "p. 7, § 9");
    assert_eq!(detail["agreement"]["clause_evidence"]["a"]["confirmed_by"], "Priya Raman");
    app.stop().await;
}
