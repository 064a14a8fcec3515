//! The verdict issue's people-facing decisions, end to end: a no-PHI reason that cites
//! encryption is refused, configuration attestations, candidate services and links from an
//! import, and vendor facts (downstream subcontractors). Each runs on SQLite and PostgreSQL.

use crate::api_v1::Api;
use crate::helpers::{Client, TestApp};
use crate::seed::{coverage, Seed};
use baa_core::account::Role;
use serde_json::Value;

fn service<'a>(v: &'a Value, name: &str) -> &'a Value {
    v["services"].as_array().expect("services").iter().find(|s| s["name"] == name).expect(name)
}

/// Whether a finding with `rule` names `subject` (a substring of the subject's name).
fn has(v: &Value, rule: &str, subject: &str) -> bool {
    v["report"]["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .any(|f| f["rule"] == rule && f["subject"]["name"].as_str().is_some_and(|n| n.contains(subject)))
}

#[tokio::test]
async fn a_no_phi_reason_that_cites_encryption_is_refused_and_nothing_is_stored() {
    let app = TestApp::spawn().await;
    let owner = app.owner().await;
    let before = app.count("records").await;
    for reason in ["the data is encrypted at rest", "We use end-to-end encryption (AES-256)"] {
        let r = owner
            .post(
                "/actions/services/save",
                &[
                    ("name", "acme-uploads"),
                    ("vendor_plan", "tigris|standard"),
                    ("phi", "no"),
                    ("phi_basis", "other"),
                    ("phi_reason", reason),
                ],
            )
            .await;
        assert_eq!(r.status, 303);
        assert!(owner.flash().await.contains("encryption is not a reason"), "{reason}");
        assert_eq!(app.count("records").await, before, "nothing stored for {reason:?}");
    }
    // A basis from the list with a reason that is not about encryption is kept, with who and when.
    Seed::new(&owner)
        .service("acme-uploads", "tigris|standard")
        .phi_no("holds only the public marketing site's images")
        .with("phi_basis", "not-handled-by-design")
        .save()
        .await;
    let v = coverage(&owner, "").await;
    let phi = &service(&v, "acme-uploads")["phi"];
    assert!(phi.to_string().contains("not-handled-by-design"), "{phi}");
    assert!(!has(&v, "uncovered-service", "acme-uploads"));
    app.stop().await;
}

async fn sentry_business(owner: &Client) -> String {
    let s = Seed::new(owner);
    s.service("acme-errors", "sentry|business").save().await;
    s.baa("vendor:sentry", "Sentry BAA").all_clauses().save().await;
    s.service_id("acme-errors").await
}

#[tokio::test]
async fn a_required_configuration_is_an_open_finding_until_someone_confirms_it() {
    let app = TestApp::spawn().await;
    let owner = app.owner().await;
    let id = sentry_business(&owner).await;
    let v = coverage(&owner, "").await;
    assert!(has(&v, "configuration-unconfirmed", "acme-errors"), "{}", v["report"]["findings"]);
    let item = "server-side data scrubbing on for every project (default scrubbers plus the fields that may carry PHI)";
    // Bad input is refused and changes nothing.
    let before = app.count("records").await;
    for (form, field_text) in [
        (vec![("id", id.as_str()), ("item", "scrubbing, roughly")], "configurations this vendor requires"),
        (vec![("id", id.as_str()), ("item", item), ("review_on", "2020-01-01")], "review date"),
        (vec![("id", id.as_str()), ("item", item), ("review_on", "2099-01-01")], "review date"),
    ] {
        assert_eq!(owner.post("/actions/services/attest", &form).await.status, 303);
        assert!(owner.flash().await.contains(field_text), "{form:?}");
    }
    assert_eq!(app.count("records").await, before);
    // An auditor changes nothing.
    let auditor = app.member(&owner, Role::Auditor, "audit@acme-health.example").await;
    let r = auditor.post("/actions/services/attest", &[("id", id.as_str()), ("item", item)]).await;
    assert!(r.status == 403 || auditor.flash().await.to_lowercase().contains("role"), "{}", r.status);
    assert_eq!(app.count("records").await, before);
    // Confirmed: the finding is gone and the service is covered; who confirmed is kept.
    let r = owner
        .post(
            "/actions/services/attest",
            &[("id", id.as_str()), ("item", item), ("note", "checked in Sentry")],
        )
        .await;
    assert_eq!(r.status, 303);
    assert_eq!(owner.flash().await, "Configuration confirmed.");
    let v = coverage(&owner, "").await;
    assert!(!has(&v, "configuration-unconfirmed", "acme-errors"), "{}", v["report"]["findings"]);
    let attestations = &service(&v, "acme-errors")["attestations"];
    assert_eq!(attestations[0]["item"], item);
    assert!(attestations[0]["review_on"].as_str().is_some_and(|d| d > "2026"));
    // Withdrawn: the finding is back.
    owner.post("/actions/services/attest", &[("id", id.as_str()), ("item", item), ("withdraw", "on")]).await;
    assert!(has(&coverage(&owner, "").await, "configuration-unconfirmed", "acme-errors"));
    app.stop().await;
}

#[tokio::test]
async fn candidates_from_an_import_are_confirmed_or_rejected_and_a_rejection_sticks() {
    let app = TestApp::spawn().await;
    let owner = app.owner().await;
    let api = Api::with_new_token(&app, &owner, "ci", "write:inventory").await;
    // acme-web also holds an OpenAI key: the import can only guess that it calls OpenAI.
    let mut snapshot = crate::import::acme(crate::import::Layout::Json);
    let web = snapshot.iter_mut().find(|f| f.name == "secrets-list--acme-web.json").expect("web secrets");
    let mut secrets: Vec<Value> = serde_json::from_slice(&web.bytes).expect("json");
    secrets.push(
        serde_json::json!({"name": "OPENAI_API_KEY", "digest": "5f1e0c2a9b7d3e41", "status": "Deployed"}),
    );
    web.bytes = serde_json::to_vec(&secrets).expect("json");
    let files = crate::import::as_json(&snapshot);
    assert_eq!(api.post("/imports", files.clone()).await.status, 200);
    let v = coverage(&owner, "").await;
    let services = v["services"].as_array().expect("services");
    // A guess is never shown as a fact: the import marks what it could not tell.
    let candidate = services.iter().find(|s| !s["unconfirmed"].is_null()).expect("a candidate service");
    assert_eq!(candidate["vendor"], "openai");
    // A guess still fails closed: the candidate counts as uncovered until someone decides.
    assert!(
        has(&v, "uncovered-service", candidate["name"].as_str().expect("n")),
        "{}",
        v["report"]["findings"]
    );
    let linked = services
        .iter()
        .find(|s| s["candidate_apps"].as_array().is_some_and(|a| !a.is_empty()))
        .expect("a candidate app link");
    let (cid, cname) = (candidate["id"].as_str().expect("id"), candidate["name"].as_str().expect("n"));
    let lid = linked["id"].as_str().expect("id").to_string();
    let app_name = linked["candidate_apps"][0].as_str().expect("app").to_string();

    // Confirming a link turns the candidate app into a fact.
    let r =
        owner.post("/actions/services/confirm", &[("id", lid.as_str()), ("app", app_name.as_str())]).await;
    assert_eq!(r.status, 303);
    assert_eq!(owner.flash().await, format!("Confirmed: {app_name} uses this service."));
    let v = coverage(&owner, "").await;
    let now = v["services"].as_array().expect("s").iter().find(|s| s["id"] == lid.as_str()).expect("linked");
    assert!(now["apps"].as_array().expect("apps").iter().any(|a| a == app_name.as_str()));
    assert!(!now["candidate_apps"].as_array().expect("c").iter().any(|a| a == app_name.as_str()));
    // Confirming it again is refused.
    owner.post("/actions/services/confirm", &[("id", lid.as_str()), ("app", app_name.as_str())]).await;
    assert!(owner.flash().await.contains("not a candidate app"));

    // A rejection needs a reason; with one, the candidate service is gone and stays gone.
    let before = app.count("records").await;
    owner.post("/actions/services/reject", &[("id", cid), ("reason", "")]).await;
    assert!(owner.flash().await.contains("say why"));
    assert_eq!(app.count("records").await, before);
    let r =
        owner.post("/actions/services/reject", &[("id", cid), ("reason", "a bucket of another team")]).await;
    assert_eq!(r.location(), "/inventory");
    let gone = |v: &Value| {
        !v["services"].as_array().expect("s").iter().any(|s| s["id"] == cid && s["removed_on"].is_null())
    };
    assert!(gone(&coverage(&owner, "").await), "{cname} still listed");
    assert_eq!(api.post("/imports", files).await.status, 200);
    assert!(gone(&coverage(&owner, "").await), "{cname} imported again after it was rejected");
    app.stop().await;
}

#[tokio::test]
async fn vendor_facts_record_the_downstream_chain_and_refuse_contradictions() {
    let app = TestApp::spawn().await;
    let owner = app.owner().await;
    let _ = crate::notifications::add_tigris(&owner).await;
    let v = coverage(&owner, "").await;
    assert!(has(&v, "downstream-unverified", "Tigris"), "{}", v["report"]["findings"]);
    let before = app.count("records").await;
    for (form, text) in [
        (vec![("vendor", "no-such-vendor"), ("downstream", "none")], "choose a vendor"),
        (vec![("vendor", "tigris"), ("downstream", "maybe")], "choose unknown, none or listed"),
    ] {
        assert_eq!(owner.post("/actions/vendors/facts", &form).await.status, 303);
        assert!(owner.flash().await.contains(text), "{form:?}");
    }
    assert_eq!(app.count("records").await, before);
    let r = owner
        .post(
            "/actions/vendors/facts",
            &[
                ("vendor", "tigris"),
                ("downstream", "none"),
                ("contact", "privacy@tigris.example"),
                ("reason", "Tigris security page, checked 2026-11"),
            ],
        )
        .await;
    assert_eq!(r.status, 303);
    let v = coverage(&owner, "").await;
    assert!(!has(&v, "downstream-unverified", "Tigris"), "{}", v["report"]["findings"]);
    // Unknown again brings the finding back: unknown is not none.
    owner.post("/actions/vendors/facts", &[("vendor", "tigris"), ("downstream", "unknown")]).await;
    assert!(has(&coverage(&owner, "").await, "downstream-unverified", "Tigris"));
    app.stop().await;
}
