//! The audit trail: every change leaves an entry in the same transaction, the chain detects
//! edits and deletions, and only owners and auditors read it.

use crate::helpers::{TestApp, PASSWORD};
use crate::seed::Seed;
use baa_core::account::Role;
use serde_json::Value;

async fn actions(app: &TestApp) -> Vec<String> {
    use sqlx::Row;
    sqlx::query("SELECT action FROM audit_log WHERE workspace_id <> '' ORDER BY workspace_id, seq")
        .fetch_all(&app.backend.db.pool)
        .await
        .expect("rows")
        .iter()
        .map(|r| r.try_get::<String, _>("action").expect("a"))
        .collect()
}

async fn ws_id(c: &crate::helpers::Client) -> String {
    let ctx: Value = serde_json::from_str(&c.api("public/page_ctx").await.body).expect("json");
    ctx["viewer"]["workspace_id"].as_str().expect("ws").to_string()
}

#[tokio::test]
async fn every_change_is_recorded_with_actor_and_source_and_refusals_leave_nothing() {
    let app = TestApp::spawn().await;
    let owner = app.owner().await;
    let eng = app.member(&owner, Role::Engineer, "eng@acme-health.example").await;
    let eng_id = owner.member_id("eng@acme-health.example").await;
    owner.post("/actions/members/role", &[("user_id", &eng_id), ("role", "legal")]).await;
    owner.post("/actions/members/role", &[("user_id", &eng_id), ("role", "engineer")]).await;
    owner.post("/actions/settings", &[("name", "Acme Health Inc"), ("require_2fa", "")]).await;
    Seed::new(&eng).org("prod").save().await;
    Seed::new(&owner).baa("vendor:fly", "").without("effective").save().await;
    owner
        .post(
            "/actions/vendors/edit",
            &[
                ("slug", "tigris"),
                ("baa_terms", "signs BAAs on request"),
                ("checked", "2026-11-20"),
                ("reason", "vendor e-mail of 2026-11-20"),
            ],
        )
        .await;
    app.client()
        .post("/actions/login", &[("email", "priya@acme-health.example"), ("password", "wrong wrong wrong")])
        .await;
    app.client().login("priya@acme-health.example", PASSWORD).await;
    let before = app.count("audit_log").await;
    // A refused change records nothing.
    eng.post("/actions/orgs/save", &[("slug", "Bad Slug"), ("environment", "production"), ("plan", "scale")])
        .await;
    assert_eq!(app.count("audit_log").await, before);
    let got = actions(&app).await;
    for want in [
        "workspace.created",
        "invitation.sent",
        "member.joined",
        "member.role_changed",
        "settings.changed",
        "org.created",
        "agreement.created",
        "catalog.edited",
        "login.succeeded",
    ] {
        assert!(got.iter().any(|a| a == want), "{want} missing from {got:?}");
    }
    // Failed sign-ins are anonymous: recorded in the instance chain, not the workspace's.
    assert!(!got.iter().any(|a| a == "login.failed"), "{got:?}");
    let instance: i64 = sqlx::query(
        "SELECT CAST(COUNT(*) AS BIGINT) AS n FROM audit_log WHERE workspace_id = '' AND action = 'login.failed'",
    )
    .fetch_one(&app.backend.db.pool)
    .await
    .map(|r| sqlx::Row::try_get(&r, "n").unwrap_or(0))
    .unwrap_or(0);
    assert_eq!(instance, 1);
    // The role change keeps before and after; the org change names its actor.
    let audit = owner.audit_page(&[("action", "member.role")]).await;
    assert_eq!(audit["entries"].as_array().expect("e").len(), 2);
    assert_eq!(audit["verification"]["broken_at"], Value::Null);
    let orgs = owner.audit_page(&[("actor", "eng@"), ("subject", "prod")]).await;
    assert_eq!(orgs["entries"][0]["action"], "org.created");
    assert_eq!(orgs["entries"][0]["source"], "127.0.0.1");
    app.stop().await;
}

#[tokio::test]
async fn editing_or_deleting_a_past_entry_breaks_the_chain_at_that_entry() {
    let app = TestApp::spawn().await;
    let owner = app.owner().await;
    for slug in ["one", "two", "three", "four"] {
        Seed::new(&owner).org(slug).save().await;
    }
    let ws = ws_id(&owner).await;
    let ok = baa_backend::audit::verify_chain(&app.backend, &ws).await.expect("verify");
    assert_eq!(ok.broken_at, None);
    assert!(ok.entries >= 5);
    // Someone with database access rewrites entry 3.
    sqlx::query("UPDATE audit_log SET subject_name = 'nothing to see' WHERE workspace_id = $1 AND seq = 3")
        .bind(&ws)
        .execute(&app.backend.db.pool)
        .await
        .expect("tamper");
    let broken = baa_backend::audit::verify_chain(&app.backend, &ws).await.expect("verify");
    assert_eq!(broken.broken_at.as_ref().map(|b| b.0), Some(3), "{broken:?}");
    let page = owner.audit_page(&[]).await;
    assert_eq!(page["verification"]["broken_at"][0], 3);
    assert!(page["verification"]["broken_at"][1]
        .as_str()
        .expect("why")
        .contains("changed after it was written"));
    app.stop().await;

    // Deleting the newest entry is caught by the recorded chain head.
    let app = TestApp::spawn().await;
    let owner = app.owner().await;
    Seed::new(&owner).org("one").save().await;
    let ws = ws_id(&owner).await;
    sqlx::query("DELETE FROM audit_log WHERE workspace_id = $1 AND seq = (SELECT MAX(seq) FROM audit_log WHERE workspace_id = $1)")
        .bind(&ws)
        .execute(&app.backend.db.pool)
        .await
        .expect("delete");
    let broken = baa_backend::audit::verify_chain(&app.backend, &ws).await.expect("verify");
    assert!(broken.broken_at.as_ref().is_some_and(|b| b.1.contains("removed")), "{broken:?}");
    app.stop().await;
}

#[tokio::test]
async fn owners_and_auditors_read_and_export_the_trail_others_cannot() {
    let app = TestApp::spawn().await;
    let owner = app.owner().await;
    let auditor = app.member(&owner, Role::Auditor, "audit@acme-health.example").await;
    let legal = app.member(&owner, Role::Legal, "legal@acme-health.example").await;
    let eng = app.member(&owner, Role::Engineer, "eng@acme-health.example").await;
    let args = [("actor", ""), ("subject", ""), ("action", ""), ("from", ""), ("to", "")];
    assert_eq!(auditor.api_with("audit_data", &args).await.status, 200);
    assert_eq!(auditor.get("/audit").await.status, 200);
    assert_eq!(legal.api_with("audit_data", &args).await.status, 403);
    assert_eq!(eng.export_audit().await.0, 403);
    let (status, headers, body) = auditor.download("/actions/audit/export", &[]).await;
    assert_eq!(status, 200);
    assert!(headers
        .get("content-disposition")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .contains("attachment"));
    let body = String::from_utf8(body).expect("utf-8");
    let lines: Vec<Value> = body.lines().map(|l| serde_json::from_str(l).expect("json line")).collect();
    assert!(lines.len() >= 4);
    assert_eq!(lines[0]["seq"], 1);
    assert_eq!(lines[0]["prev_hash"], baa_backend::audit::GENESIS);
    for w in lines.windows(2) {
        assert_eq!(w[1]["prev_hash"], w[0]["hash"], "each line points to the one before");
    }
    // The export itself is recorded.
    let (_, again) = auditor.export_audit().await;
    assert!(again.lines().any(|l| l.contains("\"audit.exported\"")));
    assert!(!again.contains(PASSWORD), "no secrets in the trail");
    app.stop().await;
}

async fn audit_page(c: &crate::helpers::Client, args: &[(&str, &str)]) -> Value {
    c.audit_page(args).await
}

#[tokio::test]
async fn auditors_filter_page_and_expand_the_trail_and_see_sign_ins() {
    let app = TestApp::spawn().await;
    let owner = app.owner().await;
    let auditor = app.member(&owner, Role::Auditor, "audit@acme-health.example").await;
    for i in 0..54 {
        let slug = format!("org-{i:02}");
        Seed::new(&owner).org(&slug).save().await;
    }
    // A change keeps what it was before and after.
    Seed::new(&owner).org("org-00").with("plan", "launch").save().await;

    // 55 org entries: 50 on the first page with a next page, the rest on the second.
    let first = audit_page(&auditor, &[("kind", "org")]).await;
    assert_eq!(first["entries"].as_array().expect("e").len(), 50, "{first}");
    assert_eq!((first["page"].as_u64(), first["more"].as_bool()), (Some(1), Some(true)));
    let second = audit_page(&auditor, &[("kind", "org"), ("page", "2")]).await;
    assert_eq!(second["entries"].as_array().expect("e").len(), 5);
    assert_eq!(second["more"], false);
    assert!(second["entries"]
        .as_array()
        .expect("e")
        .iter()
        .all(|e| e["subject"].as_str().is_some_and(|s| s.starts_with("org "))));

    // The newest entry is the plan change: field by field, linked to its subject.
    let changed = &first["entries"][0];
    assert_eq!(changed["action"], "org.changed", "{changed}");
    assert_eq!(changed["link"], "/inventory");
    let plan =
        changed["changes"].as_array().expect("c").iter().find(|c| c[0] == "plan").expect("plan changed");
    assert_eq!((plan[1].as_str(), plan[2].as_str()), (Some("scale"), Some("launch")), "{changed}");

    // The filter offers the values present; the owner's and the auditor's sign-ins are listed,
    // without secrets.
    assert!(first["choices"]["kinds"].as_array().expect("k").iter().any(|k| k == "org"));
    assert!(first["choices"]["actions"].as_array().expect("a").iter().any(|k| k == "login.succeeded"));
    let actors = first["choices"]["actors"].as_array().expect("a").clone();
    assert!(actors.iter().any(|a| a == "audit@acme-health.example"), "{actors:?}");
    let sign_ins = audit_page(&auditor, &[("action", "login.")]).await;
    let rows = sign_ins["entries"].as_array().expect("e");
    assert!(
        rows.iter().any(|e| e["actor"] == "audit@acme-health.example" && e["action"] == "login.succeeded"),
        "{sign_ins}"
    );
    assert!(rows.iter().all(|e| e["action"].as_str().is_some_and(|a| a.starts_with("login."))));
    let text = sign_ins["entries"].to_string().to_lowercase();
    assert!(!text.contains(crate::helpers::PASSWORD) && !text.contains("session"), "{text}");
    let mine =
        audit_page(&auditor, &[("actor", "audit@acme-health.example"), ("action", "login.succeeded")]).await;
    assert!(!mine["entries"].as_array().expect("e").is_empty());
    assert!(mine["entries"].as_array().expect("e").iter().all(|e| e["actor"] == "audit@acme-health.example"));
    // Dates bound the list.
    let tomorrow = (app.backend.clock.now_utc().date_naive() + chrono::Days::new(1)).to_string();
    assert_eq!(audit_page(&auditor, &[("from", &tomorrow)]).await["entries"], serde_json::json!([]));

    // The page works without JavaScript: a GET form, expandable rows, page links.
    let (_, page) = auditor.page("/audit?kind=org").await;
    assert!(page.body.contains("<form method=\"get\" action=\"/audit\""), "{}", page.body);
    assert!(page.body.contains("<details>") && page.body.contains("rel=\"next\""));
    assert!(page.body.contains("page=2"));
    assert!(page.body.contains("<option value=\"org\" selected"), "the chosen kind stays chosen");
    app.stop().await;
}
