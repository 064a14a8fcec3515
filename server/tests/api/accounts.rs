use crate::helpers::{TestApp, PASSWORD};
use baa_core::account::Role;

#[tokio::test]
async fn health_check_reports_the_database() {
    let app = TestApp::spawn().await;
    let r = app.client().get("/healthz").await;
    assert_eq!(r.status, 200);
    assert!(r.body.contains("\"database\":\"ok\""), "{}", r.body);
    app.stop().await;
}

#[tokio::test]
async fn first_run_offers_setup_once_and_signs_the_owner_in() {
    let app = TestApp::spawn().await;
    let anon = app.client();
    let (at, page) = anon.page("/").await;
    assert_eq!(at, "/login");
    assert!(page.body.contains("Set up BAA Tracker"));
    let owner = app.owner().await;
    let (at, page) = owner.page("/").await;
    assert_eq!(at, "/");
    assert!(page.body.contains("Priya Raman"), "overview shows the owner");
    assert!(page.body.contains("Acme Health"));
    // A second setup is refused and creates nothing.
    let other = app.client();
    let r = other
        .post(
            "/actions/setup",
            &[
                ("workspace", "Evil"),
                ("name", "Mallory"),
                ("email", "m@evil.example"),
                ("password", PASSWORD),
                ("password_confirm", PASSWORD),
            ],
        )
        .await;
    assert_eq!(r.status, 403);
    assert_eq!(app.count("users").await, 1);
    assert_eq!(app.count("workspaces").await, 1);
    app.stop().await;
}

#[tokio::test]
async fn setup_with_bad_input_says_what_is_wrong_and_stores_nothing() {
    let app = TestApp::spawn().await;
    let c = app.client();
    for (field, email, pw, confirm) in [
        ("email", "not-an-email", PASSWORD, PASSWORD),
        ("password", "a@acme.example", "short", "short"),
        ("password_confirm", "a@acme.example", PASSWORD, "different passphrase!"),
    ] {
        let r = c
            .post(
                "/actions/setup",
                &[
                    ("workspace", "Acme"),
                    ("name", "A"),
                    ("email", email),
                    ("password", pw),
                    ("password_confirm", confirm),
                ],
            )
            .await;
        assert_eq!(r.status, 303);
        assert_eq!(r.location(), "/setup");
        let ctx = c.api("public/page_ctx").await;
        let v: serde_json::Value = serde_json::from_str(&ctx.body).expect("json");
        assert_eq!(v["flash"]["field"], field, "{}", ctx.body);
        assert_eq!(v["flash"]["error"], true);
        assert!(
            !ctx.body.contains(pw) || pw == "short" && !ctx.body.contains("\"short\""),
            "passwords are never echoed"
        );
    }
    assert_eq!(app.count("users").await, 0);
    assert_eq!(app.count("workspaces").await, 0);
    app.stop().await;
}

#[tokio::test]
async fn owners_change_roles_and_remove_members_but_never_the_last_owner() {
    let app = TestApp::spawn().await;
    let owner = app.owner().await;
    let eng = app.member(&owner, Role::Engineer, "eng@acme-health.example").await;
    let owner_id = owner.member_id("priya@acme-health.example").await;
    let eng_id = owner.member_id("eng@acme-health.example").await;

    // The only owner cannot be demoted or removed.
    let r = owner.post("/actions/members/role", &[("user_id", &owner_id), ("role", "legal")]).await;
    assert_eq!(r.location(), "/members");
    assert!(owner.flash().await.contains("at least one owner"));
    let r = owner.post("/actions/members/remove", &[("user_id", &owner_id)]).await;
    assert_eq!(r.status, 303);
    assert!(owner.flash().await.contains("at least one owner"));

    // Promote the engineer; now the first owner may step down.
    owner.post("/actions/members/role", &[("user_id", &eng_id), ("role", "owner")]).await;
    let r = owner.post("/actions/members/role", &[("user_id", &owner_id), ("role", "auditor")]).await;
    assert_eq!(r.status, 303);
    assert!(owner.flash().await.contains("Role changed"));
    // As an auditor now, Priya cannot change anything.
    let r = owner.post("/actions/members/role", &[("user_id", &owner_id), ("role", "owner")]).await;
    assert_eq!(r.status, 403);

    // The new owner removes Priya: her access ends at once.
    let r = eng.post("/actions/members/remove", &[("user_id", &owner_id)]).await;
    assert_eq!(r.status, 303);
    let (at, _) = owner.page("/members").await;
    assert!(at.starts_with("/login"), "removed member is signed out, got {at}");
    // An unknown role is refused.
    let r = eng.post("/actions/members/role", &[("user_id", &eng_id), ("role", "admin")]).await;
    assert_eq!(r.status, 303);
    assert!(eng.flash().await.contains("choose owner"));
    app.stop().await;
}

#[tokio::test]
async fn invitations_are_single_use_expire_after_seven_days_and_can_be_revoked() {
    let app = TestApp::spawn().await;
    let owner = app.owner().await;
    let invite = |email: &'static str| {
        let owner = owner.clone();
        async move { owner.post("/actions/members/invite", &[("email", email), ("role", "legal")]).await }
    };
    // Single use.
    invite("dana@acme-health.example").await;
    let mail = app.smtp.wait_for("dana@acme-health.example", 1).await.remove(0);
    assert!(mail.text().contains("as Legal"), "{}", mail.text());
    let link = mail.link("/invite/").expect("link");
    assert!(link.starts_with(&app.base), "links start with PUBLIC_URL: {link}");
    let token = link.rsplit('/').next().expect("token").to_string();
    let accept = |token: String| {
        let c = app.client();
        async move {
            c.post(
                "/actions/invite/accept",
                &[
                    ("token", &token),
                    ("name", "Dana"),
                    ("password", PASSWORD),
                    ("password_confirm", PASSWORD),
                ],
            )
            .await
        }
    };
    assert_eq!(accept(token.clone()).await.location(), "/");
    let again = accept(token.clone()).await;
    assert!(again.location().starts_with("/invite/"), "second use is refused");
    assert_eq!(app.count("users").await, 2);

    // Expiry after 7 days.
    invite("late@acme-health.example").await;
    let mail = app.smtp.wait_for("late@acme-health.example", 1).await.remove(0);
    let token = mail.link("/invite/").expect("link").rsplit('/').next().expect("t").to_string();
    app.advance(7 * 24 * 3600 + 1);
    let (_, page) = app.client().page(&format!("/invite/{token}")).await;
    assert!(page.body.contains("not valid"), "expired invitation page");
    assert!(accept(token).await.location().starts_with("/invite/"));

    // Revocation.
    let owner = app.client();
    owner.login("priya@acme-health.example", PASSWORD).await;
    owner.post("/actions/members/invite", &[("email", "rev@acme-health.example"), ("role", "auditor")]).await;
    let mail = app.smtp.wait_for("rev@acme-health.example", 1).await.remove(0);
    let token = mail.link("/invite/").expect("link").rsplit('/').next().expect("t").to_string();
    let id = owner.invitation_id("rev@acme-health.example").await;
    assert_eq!(owner.post("/actions/invitations/revoke", &[("id", &id)]).await.status, 303);
    assert!(accept(token).await.location().starts_with("/invite/"));
    assert_eq!(app.count("users").await, 2, "no account from an expired or revoked link");
    app.stop().await;
}

#[tokio::test]
async fn inviting_an_existing_member_or_a_bad_address_is_refused() {
    let app = TestApp::spawn().await;
    let owner = app.owner().await;
    owner.post("/actions/members/invite", &[("email", "priya@acme-health.example"), ("role", "legal")]).await;
    assert!(owner.flash().await.contains("already a member"));
    owner.post("/actions/members/invite", &[("email", "nope"), ("role", "legal")]).await;
    assert!(owner.flash().await.contains("e-mail address"));
    assert_eq!(app.count("invitations").await, 0);
    app.stop().await;
}

#[tokio::test]
async fn password_reset_by_mail_sets_a_new_password_once() {
    let app = TestApp::spawn().await;
    let _owner = app.owner().await;
    let c = app.client();
    // Unknown addresses get the same answer and no mail.
    let r = c.post("/actions/forgot", &[("email", "nobody@acme-health.example")]).await;
    assert_eq!(r.location(), "/login");
    let unknown_msg = c.flash().await;
    let r = c.post("/actions/forgot", &[("email", "priya@acme-health.example")]).await;
    assert_eq!(r.location(), "/login");
    assert_eq!(c.flash().await, unknown_msg);
    let mail = app.smtp.wait_for("priya@acme-health.example", 1).await.remove(0);
    assert!(app.smtp.to("nobody@acme-health.example").is_empty());
    let link = mail.link("/reset/").expect("reset link");
    let token = link.rsplit('/').next().expect("token").to_string();
    let (_, page) = c.page(&format!("/reset/{token}")).await;
    assert!(page.body.contains("Set the new password"));
    let new_pw = "a brand new passphrase 42";
    let r = c
        .post("/actions/reset", &[("token", &token), ("password", new_pw), ("password_confirm", new_pw)])
        .await;
    assert_eq!(r.location(), "/login");
    assert_eq!(
        c.login("priya@acme-health.example", PASSWORD).await,
        "/login",
        "old password no longer works"
    );
    assert_eq!(c.login("priya@acme-health.example", new_pw).await, "/");
    let r = app
        .client()
        .post("/actions/reset", &[("token", &token), ("password", PASSWORD), ("password_confirm", PASSWORD)])
        .await;
    assert!(r.location().starts_with("/reset/"), "the link works once");
    // The user is told the password changed.
    let notices = app.smtp.wait_for("priya@acme-health.example", 2).await;
    assert!(notices.iter().any(|m| m.header("Subject").unwrap_or_default().contains("password was changed")));
    app.stop().await;
}

#[tokio::test]
async fn reset_links_expire_after_an_hour() {
    let app = TestApp::spawn().await;
    let _owner = app.owner().await;
    let c = app.client();
    c.post("/actions/forgot", &[("email", "priya@acme-health.example")]).await;
    let mail = app.smtp.wait_for("priya@acme-health.example", 1).await.remove(0);
    let token = mail.link("/reset/").expect("link").rsplit('/').next().expect("t").to_string();
    app.advance(3601);
    let r = c
        .post(
            "/actions/reset",
            &[
                ("token", &token),
                ("password", "another passphrase 1"),
                ("password_confirm", "another passphrase 1"),
            ],
        )
        .await;
    assert!(r.location().starts_with("/reset/"));
    assert_eq!(c.login("priya@acme-health.example", PASSWORD).await, "/");
    app.stop().await;
}
