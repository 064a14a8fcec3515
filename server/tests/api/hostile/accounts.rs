//! F3 to F6: where sign-in sends you, the second factor, tokens of removed owners, reset floods.

use super::*;

// ---------------------------------------------------------------------------------------------
// F3: `next` after sign-in stays on our origin.

#[tokio::test]
async fn f3_next_with_a_tab_or_slashes_goes_home_after_sign_in_and_after_2fa() {
    let app = TestApp::spawn().await;
    let owner = app.owner().await;
    for next in
        ["/\t/evil.example/", "/\n/evil.example/", "//evil.example/", "/\\evil.example", "/ /evil.example"]
    {
        let c = app.client();
        let r = c.post("/actions/login", &[("email", OWNER), ("password", PASSWORD), ("next", next)]).await;
        assert_eq!(r.location(), "/", "{next:?}");
    }
    let c = app.client();
    let r = c.post("/actions/login", &[("email", OWNER), ("password", PASSWORD), ("next", "/members")]).await;
    assert_eq!(r.location(), "/members", "a real local path still works");

    let (secret, _) = crate::twofactor::enrol(&app, &owner).await;
    let c = app.client();
    let r = c
        .post("/actions/login", &[("email", OWNER), ("password", PASSWORD), ("next", "/\t/evil.example/")])
        .await;
    assert_eq!(r.location(), "/login/2fa");
    app.advance(31);
    let code = baa_backend::totp::code_at(&secret, app.backend.clock.now()).expect("code");
    let r = c.post("/actions/login/2fa", &[("code", code.as_str())]).await;
    assert_eq!(r.location(), "/");
    app.stop().await;
}

// ---------------------------------------------------------------------------------------------
// F4: the second factor has its own counter; the password step clears nothing.

#[tokio::test]
async fn f4_codes_cannot_be_guessed_four_at_a_time_by_signing_in_again() {
    let app = TestApp::spawn().await;
    let owner = app.owner().await;
    let (secret, _) = crate::twofactor::enrol(&app, &owner).await;
    let attacker = app.client();
    let mut refused = false;
    for round in 0..3 {
        assert_eq!(attacker.login(OWNER, PASSWORD).await, "/login/2fa", "round {round}");
        for _ in 0..3 {
            attacker.post("/actions/login/2fa", &[("code", "000000")]).await;
            if attacker.flash().await.contains("Too many failed codes") {
                refused = true;
            }
        }
    }
    assert!(refused, "the code throttle held across new password steps");
    assert!(audit_count(&app, "login.second_factor_failed").await <= 5);
    // Even the right code waits; after the wait it works.
    app.advance(31);
    let code = baa_backend::totp::code_at(&secret, app.backend.clock.now()).expect("code");
    assert_eq!(attacker.login(OWNER, PASSWORD).await, "/login/2fa");
    let r = attacker.post("/actions/login/2fa", &[("code", code.as_str())]).await;
    assert_eq!(r.location(), "/", "{}", attacker.flash().await);
    app.stop().await;
}

#[tokio::test]
async fn f4_a_right_password_before_the_code_does_not_clear_password_failures() {
    let app = TestApp::spawn().await;
    let owner = app.owner().await;
    crate::twofactor::enrol(&app, &owner).await;
    let c = app.client();
    for _ in 0..4 {
        c.post("/actions/login", &[("email", OWNER), ("password", "guess guess guess")]).await;
    }
    assert_eq!(c.login(OWNER, PASSWORD).await, "/login/2fa");
    c.post("/actions/login", &[("email", OWNER), ("password", "guess guess guess")]).await;
    let _ = c.flash().await;
    assert_eq!(c.login(OWNER, PASSWORD).await, "/login", "the fifth failure still counts");
    assert!(c.flash().await.contains("Too many failed sign-ins"));
    app.stop().await;
}

// ---------------------------------------------------------------------------------------------
// F5: tokens end with their maker's owner role.

#[tokio::test]
async fn f5_a_token_stops_working_when_its_maker_is_removed_or_demoted() {
    use crate::api_v1::{make_token, Api};
    let app = TestApp::spawn().await;
    let owner = app.owner().await;
    let second = app.member(&owner, Role::Owner, "sam@acme-health.example").await;
    let token = make_token(&owner, "ci-deploy", "write:inventory").await;
    let api = Api::new(&app, Some(&token));
    let org = serde_json::json!({"slug": "acme-prod", "environment": "production", "plan": "scale"});
    assert_eq!(api.post("/orgs", org).await.status, 201);
    // Sam demotes Priya: her token ends at once.
    let priya = second.member_id(OWNER).await;
    second.post("/actions/members/role", &[("user_id", &priya), ("role", "engineer")]).await;
    let org2 = serde_json::json!({"slug": "acme-stage", "environment": "staging", "plan": "scale"});
    assert_eq!(api.post("/orgs", org2.clone()).await.status, 401);
    let tokens: Value = serde_json::from_str(&second.api("tokens_page").await.body).expect("json");
    assert!(tokens.to_string().contains("revoked_at"), "{tokens}");
    // Even a token whose revocation was lost (set back by hand) dies with the role: the check
    // is made on every request.
    sqlx::query("UPDATE api_tokens SET revoked_at = NULL").execute(&app.backend.db.pool).await.expect("undo");
    assert_eq!(api.post("/orgs", org2.clone()).await.status, 401);
    // Removed rather than demoted: the same.
    second.post("/actions/members/role", &[("user_id", &priya), ("role", "owner")]).await;
    let priya_client = app.client();
    priya_client.login(OWNER, PASSWORD).await;
    let token2 = make_token(&priya_client, "ci-two", "write:inventory").await;
    let api2 = Api::new(&app, Some(&token2));
    assert_eq!(api2.get("/orgs").await.status, 200);
    second.post("/actions/members/remove", &[("user_id", &priya)]).await;
    assert_eq!(api2.get("/orgs").await.status, 401);
    let (_, page) = second.page("/members").await;
    assert!(page.body.contains("revokes the API tokens they made"));
    app.stop().await;
}

// ---------------------------------------------------------------------------------------------
// F6: password-reset floods.

#[tokio::test]
async fn f6_a_reset_flood_sends_three_mails_and_writes_nothing_to_the_workspace_chain() {
    let app = TestApp::spawn().await;
    let _ = app.owner().await;
    let ws_entries_before: i64 =
        sqlx::query("SELECT CAST(COUNT(*) AS BIGINT) AS n FROM audit_log WHERE workspace_id <> ''")
            .fetch_one(&app.backend.db.pool)
            .await
            .expect("count")
            .try_get("n")
            .expect("n");
    let c = app.client();
    let tries: Vec<_> = (0..60)
        .map(|_| {
            let c = c.clone();
            tokio::spawn(async move { c.post("/actions/forgot", &[("email", OWNER)]).await.status })
        })
        .collect();
    for t in tries {
        assert_eq!(t.await.expect("join"), 303);
    }
    // Mail goes out in the background; wait for it, then make sure no more comes.
    app.smtp.wait_for(OWNER, 3).await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    baa_backend::accounts::process_reset_requests(&app.backend).await.expect("process");
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(app.smtp.to(OWNER).len(), 3, "three resets per account an hour");
    let ws_entries_after: i64 =
        sqlx::query("SELECT CAST(COUNT(*) AS BIGINT) AS n FROM audit_log WHERE workspace_id <> ''")
            .fetch_one(&app.backend.db.pool)
            .await
            .expect("count")
            .try_get("n")
            .expect("n");
    assert_eq!(ws_entries_after, ws_entries_before, "anonymous requests stay out of workspace chains");
    assert_eq!(audit_count(&app, "password.reset_requested").await, 3, "recorded in the instance chain");
    app.stop().await;
}

#[tokio::test]
async fn f6_known_and_unknown_addresses_answer_the_same_in_the_same_time() {
    let app = TestApp::spawn().await;
    let _ = app.owner().await;
    let c = app.client();
    c.post("/actions/forgot", &[("email", "warm-up@acme-health.example")]).await;
    let (mut known, mut unknown) = (Vec::new(), Vec::new());
    // Three of each get through the per-address throttle (ten); the rest are dropped alike.
    for _ in 0..8 {
        for (email, times) in [(OWNER, &mut known), ("nobody@acme-health.example", &mut unknown)] {
            let t = std::time::Instant::now();
            let r = c.post("/actions/forgot", &[("email", email)]).await;
            times.push(t.elapsed());
            assert_eq!(r.location(), "/login");
            assert!(c.flash().await.contains("If an account exists"));
        }
    }
    let median = |v: &mut Vec<Duration>| {
        v.sort();
        v[v.len() / 2]
    };
    let (k, u) = (median(&mut known), median(&mut unknown));
    let ratio = k.as_secs_f64() / u.as_secs_f64();
    assert!((0.5..2.0).contains(&ratio), "median known {k:?} vs unknown {u:?}");
    app.stop().await;
}
