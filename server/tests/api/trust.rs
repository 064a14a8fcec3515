//! The public trust page: off until published (after a preview), only its listed fields, the
//! JSON form and the Atom feed; subscribe with double opt-in, one-click unsubscribe, throttled;
//! one notice per change of PHI subcontractors (debounced), through the outbox.

use crate::helpers::{Client, TestApp};
use crate::seed::Seed;
use baa_backend::trust::{self, DEBOUNCE_SECS, PUBLIC_FIELDS};
use baa_core::account::Role;
use serde_json::Value;

const SLUG: &str = "acme-health";

/// An org, an app (its Fly Machines service, PHI unknown), a Tigris bucket that handles PHI,
/// and a Fly.io BAA.
async fn world(app: &TestApp) -> Client {
    let owner = app.owner().await;
    let today = baa_backend::inventory::today_for(&app.backend).to_string();
    let s = Seed::new(&owner);
    s.org("acme-prod").on(&today).save().await;
    s.app("acme-api", "acme-prod").regions("iad").on(&today).save().await;
    s.service("acme-uploads", "tigris|standard")
        .apps("acme-api")
        .org("acme-prod")
        .regions("iad")
        .on(&today)
        .save()
        .await;
    s.baa("vendor:fly", "Fly.io BAA (private title)").all_clauses().save().await;
    owner
}

async fn save(owner: &Client, show_services: bool) {
    let mut form =
        vec![("slug", SLUG), ("company_name", "Acme Health"), ("contact", "privacy@acme-health.example")];
    if show_services {
        form.push(("show_services", "on"));
    }
    let r = owner.post("/actions/trust/save", &form).await;
    assert_eq!(r.status, 303, "{}", r.body);
    assert_eq!(owner.flash().await, "Trust page settings saved. Preview it before publishing.");
}

/// Every key of a JSON value, at any depth.
fn keys(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::Object(m) => {
            for (k, x) in m {
                out.push(k.clone());
                keys(x, out);
            }
        }
        Value::Array(a) => a.iter().for_each(|x| keys(x, out)),
        _ => {}
    }
}

#[tokio::test]
async fn an_owner_previews_publishes_and_unpublishes_the_trust_page() {
    let app = TestApp::spawn().await;
    let owner = world(&app).await;
    let visitor = app.client();
    assert_eq!(visitor.get(&format!("/trust/{SLUG}")).await.status, 404, "off until an owner turns it on");

    // Bad input: a clear message, nothing stored.
    let r = owner
        .post("/actions/trust/save", &[("slug", "Acme Health!"), ("company_name", "Acme"), ("contact", "x")])
        .await;
    assert_eq!(r.status, 303);
    assert!(owner.flash().await.contains("lowercase"));
    assert_eq!(app.count("trust_pages").await, 0);

    save(&owner, false).await;
    assert_eq!(visitor.get(&format!("/trust/{SLUG}")).await.status, 404, "saving does not publish");
    let preview = owner.get("/settings/trust/preview").await;
    assert_eq!(preview.status, 200, "{}", preview.body);
    assert!(
        preview.body.contains("Preview")
            && preview.body.contains("Tigris")
            && preview.body.contains("Fly.io")
    );

    // Others cannot publish.
    let auditor = app.member(&owner, Role::Auditor, "audit@acme-health.example").await;
    let r = auditor.post("/actions/trust/publish", &[]).await;
    assert_ne!(r.status, 200);
    assert_eq!(visitor.get(&format!("/trust/{SLUG}")).await.status, 404);

    assert_eq!(owner.post("/actions/trust/publish", &[]).await.status, 303);
    let page = visitor.get(&format!("/trust/{SLUG}")).await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains("Acme Health") && page.body.contains("privacy@acme-health.example"));
    assert!(page.body.contains("BAA in place since") && page.body.contains("2026-01-01"), "{}", page.body);
    assert!(page.body.contains("not in place"), "Tigris has no BAA and the page says so");
    assert!(!page.body.contains("<script"), "no JavaScript");
    // The preview showed exactly this data.
    let preview = owner.get("/settings/trust/preview").await;
    let table = |html: &str| {
        html.split("<table").nth(1).and_then(|t| t.split("</table>").next()).unwrap_or("").to_owned()
    };
    assert_eq!(table(&preview.body), table(&page.body));

    let json = visitor.get(&format!("/trust/{SLUG}/feed.json")).await;
    assert_eq!(json.status, 200);
    let atom = visitor.get(&format!("/trust/{SLUG}/feed.atom")).await;
    assert_eq!(atom.status, 200);
    assert!(
        atom.body.starts_with("<?xml") && atom.body.contains("<feed xmlns=\"http://www.w3.org/2005/Atom\"")
    );

    assert_eq!(owner.post("/actions/trust/unpublish", &[]).await.status, 303);
    assert_eq!(visitor.get(&format!("/trust/{SLUG}")).await.status, 404);
    assert_eq!(visitor.get(&format!("/trust/{SLUG}/feed.json")).await.status, 404);
    app.stop().await;
}

#[tokio::test]
async fn the_public_page_renders_only_its_listed_fields() {
    let app = TestApp::spawn().await;
    let owner = world(&app).await;
    save(&owner, false).await;
    owner.post("/actions/trust/publish", &[]).await;
    let visitor = app.client();
    let json: Value =
        serde_json::from_str(&visitor.get(&format!("/trust/{SLUG}/feed.json")).await.body).expect("json");
    let mut found = Vec::new();
    keys(&json, &mut found);
    for k in &found {
        assert!(PUBLIC_FIELDS.contains(&k.as_str()), "{k} is rendered but not a listed public field");
    }
    assert!(!found.iter().any(|k| k == "services"), "service names only when the owner chooses");
    // Nothing private in any public form: app, service, org and plan names, agreement titles,
    // findings, members.
    let private = [
        "acme-api",
        "acme-uploads",
        "acme-prod",
        "private title",
        "uncovered",
        "not covered",
        "priya@acme-health.example",
        "Priya",
    ];
    for path in ["", "/feed.json", "/feed.atom"] {
        let body = visitor.get(&format!("/trust/{SLUG}{path}")).await.body;
        for p in private {
            assert!(!body.contains(p), "{path}: {p} must not be public");
        }
    }
    // With service names opted in, they appear (and nothing else does).
    save(&owner, true).await;
    let body = visitor.get(&format!("/trust/{SLUG}")).await.body;
    assert!(body.contains("acme-uploads"));
    assert!(!body.contains("private title") && !body.contains("acme-prod"));
    app.stop().await;
}

#[tokio::test]
async fn a_visitor_subscribes_confirms_and_unsubscribes_and_a_change_sends_one_notice() {
    let app = TestApp::spawn().await;
    let owner = world(&app).await;
    save(&owner, false).await;
    owner.post("/actions/trust/publish", &[]).await;
    let visitor = app.client();
    let email = "customer@clinic.example";
    let r = visitor.post(&format!("/trust/{SLUG}/subscribe"), &[("email", email)]).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(r.body.contains("Check your inbox"));
    let mail = app.smtp.wait_for(email, 1).await.pop().expect("confirmation");
    let confirm = mail.link(&format!("/trust/{SLUG}/confirm?token=")).expect("confirm link");
    let path = confirm
        .split_once("127.0.0.1")
        .and_then(|(_, p)| p.split_once('/'))
        .map(|(_, p)| format!("/{p}"))
        .expect("path");
    // A wrong token confirms nothing.
    assert_eq!(visitor.get(&format!("/trust/{SLUG}/confirm?token=nope")).await.status, 422);
    let r = visitor.get(&path).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(r.body.contains("Subscribed"));
    assert!(!r.body.contains("token="), "no token echoed");
    // Bad address: clear message, nothing stored.
    let r = visitor.post(&format!("/trust/{SLUG}/subscribe"), &[("email", "not an address")]).await;
    assert_eq!(r.status, 422);
    assert_eq!(app.count("trust_subscribers").await, 1);

    // A customer whose BAA with us names a notice period of 30 days.
    let today = baa_backend::inventory::today_for(&app.backend).to_string();
    let r = owner
        .post(
            "/actions/parties/save",
            &[("kind", "customer"), ("name", "Clinic One"), ("handles_phi", "on"), ("active", "on")],
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.body);
    let customer: String = {
        use sqlx::Row;
        sqlx::query("SELECT entity_id FROM records WHERE kind = 'party' AND entity_id LIKE 'cust:%'")
            .fetch_one(&app.backend.db.pool)
            .await
            .expect("customer")
            .get("entity_id")
    };
    let s = Seed::new(&owner);
    s.baa("us", "Clinic One BAA")
        .with("party_a", &customer)
        .with("notice_days", "30")
        .all_clauses()
        .save()
        .await;

    // A sync adds three PHI subcontractors at once: one notice, after the list is still.
    for (name, plan) in [
        ("acme-errors", "sentry|business"),
        ("acme-cache", "upstash-redis|enterprise"),
        ("acme-db", "supabase|team"),
    ] {
        s.service(name, plan).on(&today).save().await;
    }
    trust::sweep(&app.backend).await.expect("sweep");
    assert_eq!(app.count("trust_notices").await, 0, "debounced: nothing yet");
    app.advance(DEBOUNCE_SECS + 1);
    trust::sweep(&app.backend).await.expect("sweep");
    trust::sweep(&app.backend).await.expect("sweep again");
    assert_eq!(app.count("trust_notices").await, 1, "one notice per change");
    let got = app.smtp.wait_for(email, 2).await;
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert_eq!(app.smtp.to(email).len(), 2, "the confirmation and one notice");
    let notice = got.last().expect("notice").text();
    assert!(
        notice.contains("Sentry") && notice.contains("Upstash") && notice.contains("Supabase"),
        "{notice}"
    );
    // Legal (and owners) are told which customers to notify, and by when.
    let mut legal = None;
    for _ in 0..200 {
        legal = app
            .smtp
            .to("priya@acme-health.example")
            .into_iter()
            .map(|m| m.text())
            .find(|t| t.contains("Customer notice due"));
        if legal.is_some() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let legal = legal.expect("a mail to legal and owners");
    assert!(legal.contains(&format!("Clinic One (30 days' notice): by {today}")), "{legal}");
    let page = visitor.get(&format!("/trust/{SLUG}/feed.atom")).await.body;
    assert!(page.contains("<entry>"), "the feed lists the change");
    let leave = got
        .last()
        .expect("notice")
        .link(&format!("/trust/{SLUG}/unsubscribe?token="))
        .expect("unsubscribe link");
    let path = leave
        .split_once("127.0.0.1")
        .and_then(|(_, p)| p.split_once('/'))
        .map(|(_, p)| format!("/{p}"))
        .expect("path");
    let r = visitor.get(&path).await;
    assert_eq!(r.status, 200, "one click: {}", r.body);
    assert_eq!(app.count("trust_subscribers").await, 0);
    assert_eq!(visitor.get(&path).await.status, 422, "a used link says so");
    app.stop().await;
}

#[tokio::test]
async fn subscribing_is_rate_limited() {
    let app = TestApp::spawn().await;
    let owner = world(&app).await;
    save(&owner, false).await;
    owner.post("/actions/trust/publish", &[]).await;
    let visitor = app.client();
    let mut statuses = Vec::new();
    for _ in 0..4 {
        statuses.push(
            visitor.post(&format!("/trust/{SLUG}/subscribe"), &[("email", "a@clinic.example")]).await.status,
        );
    }
    assert_eq!(&statuses[..2], &[200, 200]);
    assert!(statuses[2..].contains(&429), "{statuses:?}");
    app.stop().await;
}
