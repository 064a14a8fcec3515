//! Inventory, agreements and the coverage report through the app's own forms and loaders.

use crate::helpers::{Client, TestApp};
use baa_core::account::Role;
use serde_json::Value;

async fn coverage(c: &Client, as_of: &str) -> Value {
    let r = c.api_with("coverage_data", &[("as_of", as_of)]).await;
    assert_eq!(r.status, 200, "{}", r.body);
    serde_json::from_str(&r.body).expect("json")
}

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

fn has(v: &Value, rule: &str, subject: &str) -> bool {
    findings(v).iter().any(|(r, s)| r == rule && s == subject)
}

fn service_id(v: &Value, name: &str) -> String {
    v["services"].as_array().expect("s").iter().find(|s| s["name"] == name).expect("service")["id"]
        .as_str()
        .expect("id")
        .to_string()
}

#[tokio::test]
async fn findings_follow_agreements_and_plan_changes_and_history_is_kept() {
    let app = TestApp::spawn().await;
    let owner = app.owner().await;
    let eng = app.member(&owner, Role::Engineer, "eng@acme-health.example").await;
    let auditor = app.member(&owner, Role::Auditor, "audit@acme-health.example").await;

    // An engineer describes the world: an org on an eligible plan, an app, Tigris and Sentry (Team).
    let r = eng
        .post(
            "/actions/orgs/save",
            &[
                ("slug", "acme-health-production"),
                ("environment", "production"),
                ("plan", "scale"),
                ("effective_on", "2026-02-01"),
            ],
        )
        .await;
    assert_eq!(r.location(), "/inventory");
    eng.post(
        "/actions/apps/save",
        &[
            ("name", "acme-api"),
            ("org", "acme-health-production"),
            ("regions", "iad"),
            ("effective_on", "2026-02-01"),
        ],
    )
    .await;
    eng.post(
        "/actions/services/save",
        &[
            ("name", "acme-uploads"),
            ("vendor_plan", "tigris|standard"),
            ("apps", "acme-api"),
            ("org", "acme-health-production"),
            ("regions", "iad"),
            ("phi", "yes"),
            ("effective_on", "2026-02-01"),
        ],
    )
    .await;
    let told = eng.flash_on("/inventory").await;
    assert!(told.contains("NOT covered"), "the engineer is told at once: {told}");
    eng.post(
        "/actions/services/save",
        &[
            ("name", "acme-errors"),
            ("vendor_plan", "sentry|team"),
            ("apps", "acme-api"),
            ("org", "acme-health-production"),
            ("phi", "unknown"),
            ("effective_on", "2026-02-01"),
        ],
    )
    .await;
    let v = coverage(&eng, "").await;
    assert!(has(&v, "uncovered-service", "acme-uploads"));
    assert!(has(&v, "uncovered-service", "acme-errors"));
    assert!(has(&v, "phi-unknown", "acme-errors"));
    assert_eq!(v["report"]["summary"]["uncovered_phi"], 2);

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
    let clauses: Vec<(&str, &str)> =
        ["a", "b", "c", "d", "e", "f", "g", "h", "i", "j", "permitted-uses", "termination-for-breach"]
            .into_iter()
            .map(|c| ("clauses", c))
            .collect();
    let mut fly = vec![
        ("title", "Fly.io BAA"),
        ("party_a", "us"),
        ("party_b", "vendor:fly"),
        ("kind", "baa"),
        ("status", "signed"),
        ("effective", "2026-01-01"),
        ("expiry", "2027-12-31"),
    ];
    fly.extend(clauses.iter().copied());
    assert_eq!(owner.post("/actions/agreements/create", &fly).await.location(), "/agreements");
    let v = coverage(&owner, "").await;
    assert!(has(&v, "uncovered-service", "acme-uploads"), "{:?}", findings(&v));
    let mut sentry = vec![
        ("title", "Sentry BAA"),
        ("party_a", "us"),
        ("party_b", "vendor:sentry"),
        ("kind", "baa"),
        ("status", "signed"),
        ("effective", "2026-01-01"),
    ];
    sentry.extend(clauses.iter().copied());
    owner.post("/actions/agreements/create", &sentry).await;
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
    eng.post(
        "/actions/services/save",
        &[
            ("id", &id),
            ("name", "acme-errors"),
            ("vendor_plan", "sentry|business"),
            ("apps", "acme-api"),
            ("org", "acme-health-production"),
            ("phi", "yes"),
        ],
    )
    .await;
    let v = coverage(&owner, "").await;
    assert!(!has(&v, "plan-ineligible", "acme-errors"), "{:?}", findings(&v));
    let yesterday = app.backend.clock.now_utc().date_naive().pred_opt().expect("day").to_string();
    let past = coverage(&owner, &yesterday).await;
    assert!(has(&past, "plan-ineligible", "acme-errors"), "as of yesterday: {:?}", findings(&past));
    assert_eq!(past["as_of"], yesterday.as_str());
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
