//! Coverage over a period and the difference between two days: the REST API (with its 422s),
//! the page an auditor reads, and the proof that evaluating on change points equals evaluating
//! every day, on both readings (as recorded, and with corrections folded in).

use crate::api_v1::{make_token, Api};
use crate::helpers::{Client, TestApp, PASSWORD};
use crate::seed::Seed;
use baa_backend::storage::period::{coverage_period, coverage_period_per_day, Reading};
use baa_core::account::Role;
use chrono::{Duration, NaiveDate};
use serde_json::Value;

const DAY: i64 = 86_400;
const OWNER: &str = "priya@acme-health.example";

fn day(t0: NaiveDate, n: i64) -> String {
    (t0 + Duration::days(n)).to_string()
}

async fn fly_baa(owner: &Client, title: &str, effective: &str, expiry: &str) {
    Seed::new(owner).baa("vendor:fly", title).effective(effective).expiry(expiry).all_clauses().save().await;
}

/// Signs in again (days pass between steps, longer than a session lives).
async fn again(app: &TestApp) -> Client {
    let c = app.client();
    c.login(OWNER, PASSWORD).await;
    c
}

/// Day 0: an org on an eligible plan, an app (with its Fly Machines service) and a Fly.io BAA in
/// force on days 0 to 2. Day 4: a renewal is recorded, backdated to day 3. Today is day 5.
async fn world(app: &TestApp) -> (Client, NaiveDate) {
    let owner = app.owner().await;
    let t0 = baa_backend::inventory::today_for(&app.backend);
    let d0 = day(t0, 0);
    let s = Seed::new(&owner);
    s.org("acme-prod").on(&d0).save().await;
    s.app("acme-api", "acme-prod").regions("iad").on(&d0).save().await;
    fly_baa(&owner, "Fly.io BAA", &d0, &day(t0, 2)).await;
    app.advance(4 * DAY);
    let owner = again(app).await;
    fly_baa(&owner, "Fly.io BAA renewal", &day(t0, 3), &day(t0, 400)).await;
    app.advance(DAY);
    (again(app).await, t0)
}

fn machines(report: &Value) -> &Value {
    report["services"]
        .as_array()
        .expect("services")
        .iter()
        .find(|s| s["service"].as_str().is_some_and(|id| id.contains("machines")))
        .expect("the app's Fly Machines service")
}

/// (from, to, state) of each span.
fn spans(service: &Value) -> Vec<(String, String, String)> {
    service["spans"]
        .as_array()
        .expect("spans")
        .iter()
        .map(|s| {
            (
                s["from"].as_str().unwrap_or_default().to_owned(),
                s["to"].as_str().unwrap_or_default().to_owned(),
                s["state"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect()
}

fn span(t0: NaiveDate, a: i64, b: i64, state: &str) -> (String, String, String) {
    (day(t0, a), day(t0, b), state.to_owned())
}

#[tokio::test]
async fn a_period_shows_the_gap_a_backdated_renewal_did_not_fill_and_lists_the_correction() {
    let app = TestApp::spawn().await;
    let (owner, t0) = world(&app).await;
    let token = make_token(&owner, "auditor script", "read").await;
    let api = Api::new(&app, Some(&token));
    let r = api.get(&format!("/coverage/period?from={}&to={}", day(t0, 0), day(t0, 5))).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let report = &r.body["report"];
    assert_eq!(report["days"], 6);
    assert_eq!(report["days_unrecorded"], 0);
    let m = machines(report);
    // Day 3, read as recorded by its end, had no agreement in force: the renewal recorded on day
    // 4 does not fill it.
    assert_eq!(
        spans(m),
        vec![span(t0, 0, 2, "covered"), span(t0, 3, 3, "uncovered"), span(t0, 4, 5, "covered")],
        "{m}"
    );
    assert!(m["spans"][1]["why"].as_str().is_some_and(|w| !w.is_empty()), "a gap says why: {m}");
    assert_eq!(report["covered_every_day"], false);
    assert_eq!(m["covered_every_day"], false);
    // The renewal is listed as a correction, and with it folded in the service is covered.
    let corrections = r.body["corrections"].as_array().expect("corrections");
    assert!(
        corrections.iter().any(|c| c["name"] == "Fly.io BAA renewal" && c["actor"] == "Priya Raman"),
        "{corrections:?}"
    );
    let corrected = machines(
        &r.body["corrected"].as_array().map(|c| serde_json::json!({"services": c})).expect("corrected"),
    )
    .clone();
    assert_eq!(corrected["days_uncovered"], 0, "{corrected}");
    // Both agreements were in force on some day.
    let titles: Vec<&str> = r.body["agreements"]
        .as_array()
        .expect("agreements")
        .iter()
        .filter_map(|a| a["title"].as_str())
        .collect();
    assert_eq!(titles.len(), 2, "{titles:?}");
    assert!(r.body["evaluated_days"].as_u64().expect("n") <= 6);
    app.stop().await;
}

#[tokio::test]
async fn change_point_evaluation_equals_evaluating_every_day_on_both_readings() {
    let app = TestApp::spawn().await;
    let (_owner, t0) = world(&app).await;
    let ws: String = {
        use sqlx::Row;
        sqlx::query("SELECT id FROM workspaces").fetch_one(&app.backend.db.pool).await.expect("ws").get("id")
    };
    // From days before anything was recorded to today.
    let (from, to) = (t0 - Duration::days(3), t0 + Duration::days(5));
    for reading in [Reading::AsRecorded, Reading::AsKnownNow] {
        let fast = coverage_period(&app.backend, &ws, "Acme Health", from, to, reading).await.expect("fast");
        let slow =
            coverage_period_per_day(&app.backend, &ws, "Acme Health", from, to, reading).await.expect("slow");
        assert_eq!(fast, slow, "{reading:?}");
        assert_eq!(fast.days_unrecorded, 3);
        assert!(!fast.covered_every_day, "days before the first record cannot tell");
    }
    app.stop().await;
}

#[tokio::test]
async fn the_difference_between_two_days_names_what_changed_and_who_changed_it() {
    let app = TestApp::spawn().await;
    let (owner, t0) = world(&app).await;
    let token = make_token(&owner, "diff", "read").await;
    let api = Api::new(&app, Some(&token));
    let r = api.get(&format!("/coverage/diff?from={}&to={}", day(t0, 2), day(t0, 5))).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let agreements = r.body["agreements"].as_array().expect("agreements");
    assert!(
        agreements.iter().any(|a| a["name"] == "Fly.io BAA renewal" && a["change"] == "added"),
        "{agreements:?}"
    );
    assert!(
        agreements.iter().any(|a| a["name"] == "Fly.io BAA"
            && a["change"] == "changed"
            && a["fields"].as_array().is_some_and(|f| f.iter().any(|x| x == "standing"))),
        "the first agreement expired in between: {agreements:?}"
    );
    let changes = r.body["changes"].as_array().expect("changes");
    assert!(
        changes.iter().any(|c| c["action"] == "agreement.created"
            && c["subject_name"] == "Fly.io BAA renewal"
            && c["actor"] == "Priya Raman"),
        "{changes:?}"
    );
    // Day 2 covered by the first BAA, day 5 by the renewal: no verdict changed.
    assert_eq!(r.body["verdicts"], serde_json::json!([]));
    // From day 0 to day 3 (as recorded): the service went from covered to not covered.
    let r = api.get(&format!("/coverage/diff?from={}&to={}", day(t0, 0), day(t0, 3))).await;
    let verdicts = r.body["verdicts"].as_array().expect("verdicts");
    assert!(verdicts.iter().any(|v| v["before"] == "covered" && v["after"] == "not covered"), "{verdicts:?}");
    app.stop().await;
}

#[tokio::test]
async fn bad_periods_get_a_clear_422_and_the_openapi_document_names_both_routes() {
    let app = TestApp::spawn().await;
    let owner = app.owner().await;
    let token = make_token(&owner, "bad", "read").await;
    let api = Api::new(&app, Some(&token));
    let today = baa_backend::inventory::today_for(&app.backend);
    let cases = [
        (format!("from={}&to={}", day(today, -1), day(today, -2)), "to", "on or after"),
        (format!("from={}&to={}", day(today, -2000), day(today, 0)), "to", "at most"),
        (format!("from={}&to={}", day(today, 0), day(today, 1)), "to", "today"),
        (format!("from=2025-13-01&to={}", day(today, 0)), "from", "YYYY-MM-DD"),
        (format!("to={}", day(today, 0)), "from", "from="),
        ("from=2025-01-01".to_owned(), "to", "to="),
    ];
    for path in ["/coverage/period", "/coverage/diff"] {
        for (query, field, says) in &cases {
            let r = api.get(&format!("{path}?{query}")).await;
            assert_eq!(r.status, 422, "{path}?{query}: {}", r.body);
            assert_eq!(r.body["error"]["field"], *field, "{path}?{query}: {}", r.body);
            let message = r.body["error"]["message"].as_str().unwrap_or_default();
            assert!(message.contains(says), "{path}?{query}: {message}");
        }
    }
    // Without a token: 401, as every API route.
    assert_eq!(Api::new(&app, None).get("/coverage/period?from=2025-01-01&to=2025-01-02").await.status, 401);
    let doc = Api::new(&app, None).get("/openapi.json").await;
    for p in ["/coverage/period", "/coverage/diff"] {
        assert!(doc.body["paths"][p]["get"].is_object(), "{p}");
    }
    app.stop().await;
}

#[tokio::test]
async fn an_auditor_reads_the_period_page_with_timelines_spans_and_changes() {
    let app = TestApp::spawn().await;
    let (owner, t0) = world(&app).await;
    let auditor = app.member(&owner, Role::Auditor, "audit@acme-health.example").await;
    let (path, r) = auditor.page(&format!("/coverage/period?from={}&to={}", day(t0, 0), day(t0, 5))).await;
    assert_eq!(r.status, 200, "{path}: {}", r.body);
    let html = &r.body;
    assert!(html.contains("Coverage over time"));
    assert!(html.contains("<svg"), "a timeline picture per service");
    assert!(html.contains("Not covered every day"), "the headline never claims every day");
    assert!(!html.contains("Covered every day. "));
    assert!(html.contains("not covered"));
    assert!(html.contains("Fly.io BAA renewal"), "the correction and the change are listed");
    assert!(html.contains("Priya Raman"));
    // A bad period keeps the picker and says what is wrong.
    let (_, r) = auditor.page(&format!("/coverage/period?from={}&to={}", day(t0, 5), day(t0, 0))).await;
    assert_eq!(r.status, 200);
    assert!(r.body.contains("on or after"), "{}", r.body);
    assert!(r.body.contains("name=\"from\""));
    app.stop().await;
}

#[tokio::test]
async fn a_packet_for_a_period_holds_the_timelines_the_agreements_in_force_and_the_changes() {
    let app = TestApp::spawn().await;
    let (owner, t0) = world(&app).await;
    // A period that ends before it starts: refused, nothing queued.
    let r =
        owner.post("/actions/packets/create", &[("as_of", &day(t0, 5)), ("period_from", &day(t0, 6))]).await;
    assert_eq!(r.status, 303);
    assert_eq!(app.count("packets").await, 0);
    let r =
        owner.post("/actions/packets/create", &[("as_of", &day(t0, 5)), ("period_from", &day(t0, 0))]).await;
    assert_eq!(r.status, 303, "{}", r.body);
    let mut done = None;
    for _ in 0..600 {
        let list = crate::packets::packets(&owner).await;
        let p = list.first().cloned().expect("the packet");
        match p["status"].as_str() {
            Some("done") => {
                done = Some(p);
                break;
            }
            Some("failed") => panic!("packet failed: {p}"),
            _ => tokio::time::sleep(std::time::Duration::from_millis(100)).await,
        }
    }
    let p = done.expect("packet done within a minute");
    assert_eq!(p["period_from"], day(t0, 0));
    let (status, _, pdf) = owner.download_packet(p["id"].as_str().expect("id"), "pdf").await;
    assert_eq!(status, 200);
    let text = crate::packets::pdftotext(&pdf);
    assert!(text.contains("Coverage over the period"), "{text}");
    assert!(text.contains("Not covered every day"), "{text}");
    assert!(text.contains("Agreements in force on any day of the period"), "{text}");
    assert!(text.contains("Fly.io BAA renewal"), "{text}");
    assert!(text.contains("not covered"), "{text}");
    assert!(text.contains("Changes recorded during the period"), "{text}");
    app.stop().await;
}
