//! Notifications: each trigger reaches the right people and no one else, preferences, the
//! expiry scheduler across window boundaries, delivery faults and restarts, the webhook, and
//! what owners see of delivery state.

use crate::helpers::{Client, TestApp};
use crate::seed::Seed;
use crate::smtp::SmtpSink;
use baa_core::account::Role;
use serde_json::Value;
use sqlx::Row;
use std::collections::BTreeSet;

const OWNER: &str = "priya@acme-health.example";
const LEGAL: &str = "lee@acme-health.example";
const ENG: &str = "eve@acme-health.example";
const ENG2: &str = "ed@acme-health.example";
const AUDITOR: &str = "olu@audit-firm.example";

/// Who has outbox mail of `kind` (`notice` for notifications).
async fn mailed(app: &TestApp, kind: &str) -> Vec<String> {
    sqlx::query("SELECT recipient FROM outbox WHERE kind = $1 ORDER BY recipient")
        .bind(kind)
        .fetch_all(&app.backend.db.pool)
        .await
        .expect("outbox")
        .iter()
        .map(|r| r.try_get("recipient").expect("r"))
        .collect()
}

/// Who has in-app notices of `kind`.
async fn noticed(app: &TestApp, kind: &str) -> BTreeSet<String> {
    sqlx::query("SELECT u.email FROM notices n JOIN users u ON u.id = n.user_id WHERE n.kind = $1")
        .bind(kind)
        .fetch_all(&app.backend.db.pool)
        .await
        .expect("notices")
        .iter()
        .map(|r| r.try_get("email").expect("e"))
        .collect()
}

fn set(items: &[&str]) -> BTreeSet<String> {
    items.iter().map(|s| s.to_string()).collect()
}

async fn page(c: &Client) -> Value {
    serde_json::from_str(&c.api("notifications_page").await.body).expect("json")
}

async fn unread(c: &Client) -> i64 {
    let v: Value = serde_json::from_str(&c.api("public/page_ctx").await.body).expect("json");
    v["unread"].as_i64().expect("unread")
}

struct Team {
    owner: Client,
    legal: Client,
    eng: Client,
    eng2: Client,
    auditor: Client,
}

async fn team(app: &TestApp) -> Team {
    let owner = app.owner().await;
    let legal = app.member(&owner, Role::Legal, LEGAL).await;
    let eng = app.member(&owner, Role::Engineer, ENG).await;
    let eng2 = app.member(&owner, Role::Engineer, ENG2).await;
    let auditor = app.member(&owner, Role::Auditor, AUDITOR).await;
    Team { owner, legal, eng, eng2, auditor }
}

pub async fn add_tigris(eng: &Client) -> String {
    Seed::new(eng).service("acme-uploads", "tigris|standard").save_id().await
}

#[tokio::test]
async fn an_uncovered_service_tells_its_author_legal_and_owners_and_no_one_else() {
    let app = TestApp::spawn().await;
    let t = team(&app).await;
    // A second workspace with its own member must hear nothing.
    let other = TestApp::spawn().await;
    let _ = other.owner().await;
    // Legal keeps the in-app notice but turns mail off for this kind.
    let r = t
        .legal
        .post(
            "/actions/notifications/preferences",
            &[
                ("on", "uncovered-service:app"),
                ("on", "plan-ineligible:app"),
                ("on", "plan-ineligible:email"),
                ("on", "agreement-expiry:app"),
                ("on", "agreement-expiry:email"),
            ],
        )
        .await;
    assert_eq!(r.location(), "/notifications");
    let before_eng = app.smtp.to(ENG).len();
    let id = add_tigris(&t.eng).await;

    assert_eq!(noticed(&app, "uncovered-service").await, set(&[ENG, LEGAL, OWNER]));
    assert_eq!(
        mailed(&app, "notice").await,
        vec![ENG.to_string(), OWNER.to_string()],
        "legal opted out of mail"
    );
    let got = app.smtp.wait_for(ENG, before_eng + 1).await.pop().expect("mail");
    // The subject names the vendor with the service ("Tigris · acme-uploads"); the " · " is
    // RFC 2047-encoded on the wire, so the words are checked there and the whole line as stored.
    let subject = got.header("Subject").unwrap_or_default();
    assert!(subject.contains("Tigris") && subject.contains("acme-uploads is not covered"), "{subject}");
    let stored: String =
        sqlx::query_scalar("SELECT subject FROM outbox WHERE kind = 'notice' AND recipient = $1")
            .bind(ENG)
            .fetch_one(&app.backend.db.pool)
            .await
            .expect("stored subject");
    assert!(stored.ends_with("Tigris · acme-uploads is not covered by a BAA"), "{stored}");
    let text = got.text();
    assert!(text.contains(&format!("{}/services/{id}", app.base)), "links to the service: {text}");
    assert!(text.contains("Next step:"), "{text}");
    assert!(got.header("Message-ID").unwrap_or_default().contains("@baa-tracker"));

    // In the app: the engineer sees it, unread, with the next step; the auditor sees nothing.
    assert_eq!(unread(&t.eng).await, 1);
    let p = page(&t.eng).await;
    let n = &p["notices"][0];
    assert_eq!(n["kind"], "uncovered-service");
    assert_eq!(n["link"], format!("/services/{id}"));
    assert!(!n["next_step"].as_str().expect("step").is_empty());
    assert!(p["owner"].is_null(), "delivery state is for owners");
    assert_eq!(unread(&t.auditor).await, 0);
    assert_eq!(unread(&t.eng2).await, 0);
    assert_eq!(page(&t.auditor).await["notices"].as_array().expect("n").len(), 0);
    assert_eq!(other.count("notices").await, 0);
    assert_eq!(other.count("outbox").await, 0);

    // Reading clears the count, for that person only.
    let nid = n["id"].as_str().expect("id").to_string();
    t.eng.post("/actions/notifications/read", &[("id", nid.as_str())]).await;
    assert_eq!(unread(&t.eng).await, 0);
    assert_eq!(unread(&t.owner).await, 1);
    // Someone else's notice id changes nothing.
    t.owner.post("/actions/notifications/read", &[("id", nid.as_str())]).await;
    assert_eq!(unread(&t.owner).await, 1);
    t.owner.post("/actions/notifications/read", &[("id", "")]).await;
    assert_eq!(unread(&t.owner).await, 0);

    // A covered service notifies no one.
    Seed::new(&t.owner)
        .service("status-page", "tigris|standard")
        .phi_no("public status page only")
        .save()
        .await;
    assert_eq!(noticed(&app, "uncovered-service").await.len(), 3, "no new notices");
    other.stop().await;
    app.stop().await;
}

#[tokio::test]
async fn a_plan_change_that_makes_a_covered_service_ineligible_notifies() {
    let app = TestApp::spawn().await;
    let t = team(&app).await;
    Seed::new(&t.owner).baa("vendor:sentry", "Sentry BAA").all_clauses().save().await;
    let eng = Seed::new(&t.eng);
    eng.service("acme-errors", "sentry|business").save().await;
    assert!(noticed(&app, "uncovered-service").await.is_empty(), "covered on Business: no notice");
    let id = eng.service_id("acme-errors").await;
    // Someone else moves it to Team, which Sentry does not sign a BAA for.
    Seed::new(&t.eng2).service_edit(&id, "acme-errors", "sentry|team").save().await;
    assert_eq!(noticed(&app, "plan-ineligible").await, set(&[ENG2, LEGAL, OWNER]));
    let n = &page(&t.legal).await["notices"][0];
    assert!(n["title"].as_str().expect("t").contains("no longer covered"), "{n}");
    assert!(n["body"].as_str().expect("b").to_lowercase().contains("team"), "{n}");
    assert_eq!(unread(&t.auditor).await, 0);
    app.stop().await;
}

#[tokio::test]
async fn expiry_reminders_come_once_per_window_and_on_the_day_and_never_after() {
    let app = TestApp::spawn().await;
    let t = team(&app).await;
    let today = baa_backend::inventory::today_for(&app.backend);
    let expiry = today + chrono::Days::new(95);
    let exp = expiry.to_string();
    let s = Seed::new(&t.owner);
    s.baa("vendor:fly", "Fly.io BAA").expiry(&exp).save().await;
    // A terminated agreement with the same expiry: signed first (a new agreement cannot start
    // terminated), then terminated, so it really is in the world and must get no reminder.
    let old = s.baa("vendor:tigris", "Old Tigris BAA").expiry(&exp).save_id().await;
    let terminate = [
        ("id", old.as_str()),
        ("status", "terminated"),
        ("on", ""),
        ("reason", "moved off"),
        ("confirmed", "yes"),
    ];
    t.owner.post("/actions/agreements/status", &terminate).await;
    assert_eq!(t.owner.flash().await, "Status changed.", "Old Tigris BAA terminated");
    let b = &app.backend;
    let pass = || async { baa_backend::notify::expiry_pass(b).await.expect("pass") };
    let day = 86_400;
    // (days to advance, notices expected from that pass)
    let steps: [(i64, usize); 10] = [
        (0, 0),  // 95 days left: before the 90-day window
        (5, 1),  // 90 left: the 90-day window
        (0, 0),  // same day again: nothing twice
        (1, 0),  // 89 left: still the 90-day window
        (29, 1), // 60 left
        (15, 0), // 45 left
        (15, 1), // 30 left
        (23, 1), // 7 left
        (7, 1),  // 0 left: expires today
        (1, 0),  // expired: nothing after
    ];
    for (i, (days, want)) in steps.into_iter().enumerate() {
        app.advance(days * day);
        assert_eq!(pass().await, want, "step {i} ({days} days on)");
    }
    let titles: Vec<String> =
        sqlx::query("SELECT DISTINCT title FROM notices WHERE kind = 'agreement-expiry' ORDER BY title")
            .fetch_all(&b.db.pool)
            .await
            .expect("rows")
            .iter()
            .map(|r| r.try_get("title").expect("t"))
            .collect();
    assert_eq!(titles.len(), 5, "{titles:?}");
    assert!(titles.iter().all(|t| t.starts_with("Fly.io BAA")), "terminated agreements get none: {titles:?}");
    assert!(titles.iter().any(|t| t.contains("expires today")));
    assert_eq!(noticed(&app, "agreement-expiry").await, set(&[LEGAL, OWNER]), "legal and owners only");
    let _ = (&t.eng, &t.eng2, &t.auditor);
    app.stop().await;
}

#[tokio::test]
async fn expiry_windows_follow_the_workspace_policy() {
    let app = TestApp::spawn().await;
    let owner = app.owner().await;
    let r = owner.post("/actions/policy", &[("allowed_regions", ""), ("reminder_windows", "14")]).await;
    assert_eq!(r.status, 303);
    let today = baa_backend::inventory::today_for(&app.backend);
    let exp = (today + chrono::Days::new(20)).to_string();
    Seed::new(&owner).baa("vendor:fly", "Fly.io BAA").expiry(&exp).save().await;
    let b = &app.backend;
    assert_eq!(
        baa_backend::notify::expiry_pass(b).await.expect("pass"),
        0,
        "20 days: outside a 14-day window"
    );
    app.advance(6 * 86_400);
    assert_eq!(baa_backend::notify::expiry_pass(b).await.expect("pass"), 1, "14 days");
    app.stop().await;
}

#[tokio::test]
async fn a_document_upload_tells_owners() {
    let app = TestApp::spawn().await;
    let t = team(&app).await;
    let agreement = crate::documents::signed_agreement(&t.owner).await;
    let form = reqwest::multipart::Form::new().text("id", agreement.clone()).part(
        "file",
        reqwest::multipart::Part::bytes(crate::documents::pdf("signed")).file_name("fly-baa.pdf"),
    );
    let r = t
        .legal
        .http
        .post(format!("{}/actions/agreements/documents", t.legal.base))
        .multipart(form)
        .send()
        .await
        .expect("upload");
    assert_eq!(r.status().as_u16(), 303);
    assert_eq!(noticed(&app, "document-uploaded").await, set(&[OWNER]));
    let n = &page(&t.owner).await["notices"][0];
    assert_eq!(n["link"], format!("/agreements/{agreement}"));
    assert!(n["body"].as_str().expect("b").contains("fly-baa.pdf"));
    app.stop().await;
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").expect("bind").local_addr().expect("a").port()
}

#[tokio::test]
async fn notices_wait_while_smtp_is_down_and_each_goes_out_exactly_once() {
    let port = free_port();
    let app = TestApp::spawn_with(&[("SMTP_URL", &format!("smtp://127.0.0.1:{port}"))]).await;
    let owner = app.owner().await;
    // The owner is the only member: the invitation path needs mail, so stay with one person.
    add_tigris(&owner).await;
    let b = &app.backend;
    b.mailer.deliver_due(&b.db, &b.clock).await.expect("attempt");
    let state: (Option<i64>, i64, Option<String>) = {
        let r = sqlx::query("SELECT sent_at, attempts, last_error FROM outbox WHERE kind = 'notice'")
            .fetch_one(&b.db.pool)
            .await
            .expect("row");
        (
            r.try_get("sent_at").expect("s"),
            r.try_get("attempts").expect("a"),
            r.try_get("last_error").expect("e"),
        )
    };
    assert!(state.0.is_none() && state.1 >= 1 && state.2.is_some(), "pending with the reason: {state:?}");
    // The owner sees it pending, with the reason.
    let p = page(&owner).await;
    let d = &p["owner"]["deliveries"][0];
    assert_eq!(d["state"], "pending");
    assert!(!d["last_error"].is_null());

    // The mail server comes back minutes later.
    let sink = SmtpSink::start_on(port).await;
    app.advance(10 * 60);
    for _ in 0..3 {
        b.mailer.deliver_due(&b.db, &b.clock).await.expect("deliver");
    }
    sink.wait_for(OWNER, 1).await;
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert_eq!(sink.to(OWNER).len(), 1, "exactly once");
    assert_eq!(page(&owner).await["owner"]["deliveries"][0]["state"], "sent");
    app.stop().await;
}

#[tokio::test]
async fn a_delivery_that_keeps_failing_is_marked_failed_and_an_owner_can_retry_it() {
    let port = free_port();
    let app = TestApp::spawn_with(&[("SMTP_URL", &format!("smtp://127.0.0.1:{port}"))]).await;
    let owner = app.owner().await;
    add_tigris(&owner).await;
    let b = &app.backend;
    for _ in 0..baa_backend::notify::MAX_ATTEMPTS {
        b.mailer.deliver_due(&b.db, &b.clock).await.expect("attempt");
        app.advance(3700);
    }
    // Hours went by: the idle session ended; sign in again.
    let owner = app.client();
    owner.login(OWNER, crate::helpers::PASSWORD).await;
    let d = page(&owner).await["owner"]["deliveries"][0].clone();
    assert_eq!(d["state"], "failed", "{d}");
    assert_eq!(d["attempts"], baa_backend::notify::MAX_ATTEMPTS);
    // Failed rows are not retried on their own.
    b.mailer.deliver_due(&b.db, &b.clock).await.expect("nothing due");
    assert_eq!(page(&owner).await["owner"]["deliveries"][0]["attempts"], baa_backend::notify::MAX_ATTEMPTS);
    let sink = SmtpSink::start_on(port).await;
    let id = d["id"].as_str().expect("id").to_string();
    let r = owner.post("/actions/notifications/retry", &[("id", id.as_str())]).await;
    assert_eq!(r.location(), "/notifications");
    b.mailer.deliver_due(&b.db, &b.clock).await.expect("deliver");
    sink.wait_for(OWNER, 1).await;
    assert_eq!(page(&owner).await["owner"]["deliveries"][0]["state"], "sent");
    // Retrying what did not fail is refused.
    owner.post("/actions/notifications/retry", &[("id", id.as_str())]).await;
    assert!(owner.flash().await.contains("Only a failed delivery"));
    app.stop().await;
}

#[tokio::test]
async fn notices_pending_at_a_restart_go_out_once() {
    let port = free_port();
    let app = TestApp::spawn_with(&[("SMTP_URL", &format!("smtp://127.0.0.1:{port}"))]).await;
    let owner = app.owner().await;
    add_tigris(&owner).await;
    let stopped = app.stop_for_restart().await;
    let sink = SmtpSink::start_on(port).await;
    stopped.clock.advance(3600);
    let restarted = stopped.restart(&[("SMTP_URL", &sink.url())]).await;
    let got = sink.wait_for(OWNER, 1).await;
    assert!(got[0].header("Subject").unwrap_or_default().contains("acme-uploads"));
    restarted.backend.mailer.deliver_due(&restarted.backend.db, &restarted.backend.clock).await.expect("d");
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert_eq!(sink.to(OWNER).len(), 1, "once, not twice");
    restarted.shutdown().await.expect("shutdown");
}

/// A loopback webhook receiver that fails its first `fail_first` calls with 503.
pub struct Receiver {
    pub url: String,
    pub bodies: std::sync::Arc<std::sync::Mutex<Vec<Value>>>,
}

/// Settings that let webhooks reach a loopback receiver (development only).
pub const LOCAL_WEBHOOKS: &[(&str, &str)] =
    &[("WEBHOOK_ALLOW_HTTP", "true"), ("WEBHOOK_ALLOW_PRIVATE", "true")];

pub async fn receiver(fail_first: usize) -> Receiver {
    use axum::routing::post;
    let bodies = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let calls = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let (b2, c2) = (bodies.clone(), calls.clone());
    let router = axum::Router::new().route(
        "/hook/T000/B000/secret",
        post(move |body: axum::Json<Value>| {
            let (b2, c2) = (b2.clone(), c2.clone());
            async move {
                if c2.fetch_add(1, std::sync::atomic::Ordering::SeqCst) < fail_first {
                    return axum::http::StatusCode::SERVICE_UNAVAILABLE;
                }
                b2.lock().expect("lock").push(body.0);
                axum::http::StatusCode::OK
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let url = format!("http://{}/hook/T000/B000/secret", listener.local_addr().expect("addr"));
    tokio::spawn(async move { axum::serve(listener, router).await });
    Receiver { url, bodies }
}

#[tokio::test]
async fn the_workspace_webhook_gets_slack_compatible_json_with_retries() {
    let app = TestApp::spawn_with(LOCAL_WEBHOOKS).await;
    let owner = app.owner().await;
    let hook = receiver(1).await;
    // Bad URLs are refused and nothing is stored.
    owner.post("/actions/notifications/webhook", &[("url", "not a url")]).await;
    assert!(owner.flash().await.contains("webhook URL"));
    assert_eq!(app.count("webhooks").await, 0);
    let r = owner.post("/actions/notifications/webhook", &[("url", hook.url.as_str())]).await;
    assert_eq!(r.location(), "/notifications");
    let p = page(&owner).await;
    assert_eq!(p["owner"]["webhook_host"], "127.0.0.1");
    assert!(!p.to_string().contains("secret"), "the URL is not shown again");
    add_tigris(&owner).await;
    let b = &app.backend;
    let http = baa_backend::notify::WebhookSender::new(b.config.webhook_policy).expect("client");
    assert_eq!(
        baa_backend::notify::deliver_webhooks(&b.db, &b.clock, &http).await.expect("d"),
        0,
        "first call fails"
    );
    let d = page(&owner).await["owner"]["deliveries"]
        .as_array()
        .expect("d")
        .iter()
        .find(|d| d["channel"] == "webhook")
        .cloned()
        .expect("webhook delivery");
    assert_eq!(d["state"], "pending");
    assert_eq!(d["last_error"], baa_backend::notify::WEBHOOK_FAILED, "never the remote's answer");
    assert!(!d["last_error"].as_str().expect("e").contains("secret"), "the error never holds the URL");
    assert_eq!(
        baa_backend::notify::deliver_webhooks(&b.db, &b.clock, &http).await.expect("d"),
        0,
        "not due yet"
    );
    app.advance(60);
    assert_eq!(baa_backend::notify::deliver_webhooks(&b.db, &b.clock, &http).await.expect("d"), 1);
    let bodies = hook.bodies.lock().expect("lock").clone();
    assert_eq!(bodies.len(), 1);
    let text = bodies[0]["text"].as_str().expect("Slack's text field");
    assert!(text.contains("acme-uploads is not covered"), "{text}");
    assert_eq!(bodies[0]["baa_tracker"]["kind"], "uncovered-service");
    // Audited without the URL.
    let audit: String = sqlx::query("SELECT after_json FROM audit_log WHERE action = 'webhook.set'")
        .fetch_one(&b.db.pool)
        .await
        .map(|r| r.try_get("after_json").unwrap_or_default())
        .unwrap_or_default();
    assert!(!audit.contains("secret"), "{audit}");
    app.stop().await;
}

#[tokio::test]
async fn imports_and_api_changes_that_leave_services_uncovered_notify_once() {
    use crate::api_v1::Api;
    let app = TestApp::spawn().await;
    let owner = app.owner().await;
    let legal = app.member(&owner, Role::Legal, LEGAL).await;
    let api = Api::with_new_token(&app, &owner, "ci", "write:inventory").await;
    let files = crate::import::acme(crate::import::Layout::Json);
    let applied = api.post("/imports", crate::import::as_json(&files)).await;
    assert_eq!(applied.status, 200, "{:?}", applied.body);
    let services = applied.body["changed_services"].as_array().expect("ids").len() as i64;
    // Every imported service is uncovered (no BAA yet): one notice each for legal and the owner.
    assert_eq!(noticed(&app, "uncovered-service").await, set(&[LEGAL, OWNER]));
    assert_eq!(unread(&legal).await, services);
    // ... but one mail each for the whole import: a digest that counts and lists them and links
    // to the filtered list, not a mail per service.
    assert!(services > 1, "the snapshot has several services");
    assert_eq!(mailed(&app, "notice").await, vec![LEGAL.to_string(), OWNER.to_string()]);
    let digest: (String, String) =
        sqlx::query_as("SELECT subject, body_text FROM outbox WHERE kind = 'notice' AND recipient = $1")
            .bind(LEGAL)
            .fetch_one(&app.backend.db.pool)
            .await
            .expect("digest");
    assert!(digest.0.contains(&format!("{services} services need a BAA or a decision")), "{}", digest.0);
    assert!(digest.1.contains("/inventory?verdict=uncovered"), "{}", digest.1);
    assert!(digest.1.contains(" · "), "services are named with their vendor: {}", digest.1);
    // The same snapshot again changes nothing and tells no one.
    api.post("/imports", crate::import::as_json(&files)).await;
    assert_eq!(unread(&legal).await, services);
    // A service added through the API: legal and owners hear of it (a token has no mailbox).
    let r = api
        .post(
            "/services",
            serde_json::json!({"name": "api-bucket", "vendor": "tigris", "plan": "standard", "phi": "yes"}),
        )
        .await;
    assert_eq!(r.status, 201, "{:?}", r.body);
    assert_eq!(unread(&legal).await, services + 1);
    let p = page(&legal).await;
    assert!(
        p["notices"]
            .as_array()
            .expect("n")
            .iter()
            .any(|n| n["title"] == "Tigris · api-bucket is not covered by a BAA"),
        "{p}"
    );
    app.stop().await;
}
