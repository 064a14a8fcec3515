use crate::helpers::{TestApp, PASSWORD};

const OWNER: &str = "priya@acme-health.example";

#[tokio::test]
async fn sign_in_issues_a_new_session_id_and_sign_out_ends_the_session() {
    let app = TestApp::spawn().await;
    let _ = app.owner().await;
    let c = app.client();
    // A visit before sign-in that stores something in the session (a flash) gets an id.
    c.post("/actions/login", &[("email", OWNER), ("password", "wrong wrong wrong")]).await;
    let before = c.session_cookie().expect("pre-login session");
    assert_eq!(c.login(OWNER, PASSWORD).await, "/");
    let after = c.session_cookie().expect("session");
    assert_ne!(before, after, "session fixation: id must change at sign-in");
    let r = c.get("/members").await;
    assert_eq!(r.status, 200);
    let r = c.post("/actions/logout", &[]).await;
    assert_eq!(r.location(), "/login");
    let r = c.get("/members").await;
    assert_eq!(r.status, 303);
    assert_eq!(r.location(), "/login?next=%2Fmembers");
    app.stop().await;
}

#[tokio::test]
async fn the_session_cookie_is_http_only_and_same_site() {
    let app = TestApp::spawn().await;
    let c = app.client();
    let r = c
        .post(
            "/actions/setup",
            &[
                ("workspace", "Acme"),
                ("name", "P"),
                ("email", OWNER),
                ("password", PASSWORD),
                ("password_confirm", PASSWORD),
            ],
        )
        .await;
    let cookie = r.headers.get("set-cookie").and_then(|v| v.to_str().ok()).expect("set-cookie").to_string();
    assert!(cookie.contains("HttpOnly"), "{cookie}");
    assert!(cookie.contains("SameSite=Lax"), "{cookie}");
    assert!(!cookie.contains("Secure"), "plain http in tests: {cookie}");
    app.stop().await;
}

#[tokio::test]
async fn an_idle_session_ends_after_the_timeout_and_says_why() {
    let app = TestApp::spawn_with(&[("SESSION_IDLE_MINUTES", "30")]).await;
    let c = app.owner().await;
    app.advance(29 * 60);
    assert_eq!(c.get("/members").await.status, 200, "activity within the window keeps the session");
    app.advance(29 * 60);
    assert_eq!(c.get("/members").await.status, 200, "each request restarts the idle timer");
    app.advance(30 * 60 + 1);
    let r = c.get("/members").await;
    assert_eq!(r.status, 303);
    assert!(c.flash().await.contains("after 30 minutes without activity"));
    // The old session does not come back.
    assert_eq!(c.get("/members").await.status, 303);
    app.stop().await;
}

#[tokio::test]
async fn a_session_ends_at_its_absolute_lifetime_even_when_active() {
    let app = TestApp::spawn_with(&[("SESSION_MAX_HOURS", "2"), ("SESSION_IDLE_MINUTES", "30")]).await;
    let c = app.owner().await;
    for _ in 0..4 {
        app.advance(25 * 60);
        assert_eq!(c.get("/members").await.status, 200);
    }
    app.advance(25 * 60);
    assert_eq!(c.get("/members").await.status, 303);
    assert!(c.flash().await.contains("2 hour limit"));
    app.stop().await;
}

#[tokio::test]
async fn changing_the_password_ends_every_other_session() {
    let app = TestApp::spawn().await;
    let laptop = app.owner().await;
    let phone = app.client();
    assert_eq!(phone.login(OWNER, PASSWORD).await, "/");
    let new_pw = "a much longer new passphrase";
    let r = laptop
        .post(
            "/actions/account/password",
            &[("current_password", PASSWORD), ("password", new_pw), ("password_confirm", new_pw)],
        )
        .await;
    assert_eq!(r.location(), "/account");
    assert_eq!(laptop.get("/members").await.status, 200, "the session that changed it continues");
    assert_eq!(phone.get("/members").await.status, 303, "other sessions end");
    // A wrong current password changes nothing.
    let r = laptop
        .post(
            "/actions/account/password",
            &[
                ("current_password", "wrong current pw"),
                ("password", PASSWORD),
                ("password_confirm", PASSWORD),
            ],
        )
        .await;
    assert_eq!(r.location(), "/account");
    assert!(laptop.flash().await.contains("current password"));
    assert_eq!(app.client().login(OWNER, new_pw).await, "/");
    app.stop().await;
}

#[tokio::test]
async fn sign_out_everywhere_ends_all_sessions() {
    let app = TestApp::spawn().await;
    let a = app.owner().await;
    let b = app.client();
    b.login(OWNER, PASSWORD).await;
    assert_eq!(a.post("/actions/account/signout-everywhere", &[]).await.location(), "/login");
    assert_eq!(a.get("/").await.status, 303);
    assert_eq!(b.get("/").await.status, 303);
    app.stop().await;
}

#[tokio::test]
async fn wrong_password_and_unknown_user_get_the_same_answer_in_about_the_same_time() {
    let app = TestApp::spawn().await;
    let _ = app.owner().await;
    let c = app.client();
    let time = |email: &'static str| {
        let c = c.clone();
        async move {
            let t = std::time::Instant::now();
            c.post("/actions/login", &[("email", email), ("password", "not the password!")]).await;
            let elapsed = t.elapsed();
            (elapsed, c.flash().await)
        }
    };
    let mut known = std::time::Duration::ZERO;
    let mut unknown = std::time::Duration::ZERO;
    for _ in 0..2 {
        let (t1, m1) = time(OWNER).await;
        let (t2, m2) = time("nobody@acme-health.example").await;
        assert_eq!(m1, m2);
        assert_eq!(m1, "That e-mail and password do not match an account.");
        known += t1;
        unknown += t2;
    }
    let ratio = known.as_secs_f64() / unknown.as_secs_f64();
    assert!((0.5..2.0).contains(&ratio), "known {known:?} vs unknown {unknown:?}");
    app.stop().await;
}

#[tokio::test]
async fn failed_sign_ins_are_throttled_per_account_and_per_address() {
    let app = TestApp::spawn().await;
    let _ = app.owner().await;
    let c = app.client();
    for _ in 0..5 {
        c.post("/actions/login", &[("email", OWNER), ("password", "guess guess guess")]).await;
    }
    assert_eq!(c.login(OWNER, PASSWORD).await, "/login", "even the right password waits");
    assert!(c.flash().await.contains("Too many failed sign-ins"));
    app.advance(15 * 60 + 1);
    assert_eq!(c.login(OWNER, PASSWORD).await, "/", "the window passes");

    // Per address: many accounts guessed from one address.
    let d = app.client();
    for i in 0..20 {
        let email = format!("guess{i}@acme-health.example");
        d.post("/actions/login", &[("email", email.as_str()), ("password", "guess guess guess")]).await;
    }
    let _ = d.flash().await;
    d.post("/actions/login", &[("email", OWNER), ("password", PASSWORD)]).await;
    assert!(d.flash().await.contains("Too many failed sign-ins"));
    app.stop().await;
}

/// Each stored session row (data and expiry), to see whether a request wrote it back.
async fn session_rows(app: &TestApp) -> Vec<(String, String, i64)> {
    sqlx::query_as("SELECT id, data, expiry_date FROM sessions ORDER BY id")
        .fetch_all(&app.backend.db.pool)
        .await
        .expect("sessions")
}

#[tokio::test]
async fn page_views_within_a_minute_do_not_rewrite_the_session() {
    let app = TestApp::spawn_with(&[("SESSION_IDLE_MINUTES", "30")]).await;
    let c = app.owner().await;
    app.advance(120);
    assert_eq!(c.get("/").await.status, 200);
    let before = session_rows(&app).await;
    assert_eq!(before.len(), 1, "{before:?}");
    // Any write-back would move the expiry (it counts in wall-clock seconds).
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    for path in ["/", "/inventory", "/agreements", "/members", "/notifications"] {
        app.advance(10);
        assert_eq!(c.get(path).await.status, 200, "{path}");
    }
    assert_eq!(session_rows(&app).await, before, "five page views in 50 seconds rewrote the session");
    // Once the idle clock has moved by a minute, the next view writes it back.
    app.advance(15);
    assert_eq!(c.get("/").await.status, 200);
    let after = session_rows(&app).await;
    assert_ne!(after, before, "the idle clock was not written back after a minute");
    app.stop().await;
}

#[tokio::test]
async fn activity_less_than_a_minute_apart_keeps_a_one_minute_session_alive() {
    let app = TestApp::spawn_with(&[("SESSION_IDLE_MINUTES", "1")]).await;
    let c = app.owner().await;
    for i in 0..6 {
        app.advance(40);
        assert_eq!(c.get("/members").await.status, 200, "view {i}, 40 s after the one before");
    }
    app.advance(61);
    assert_eq!(c.get("/members").await.status, 303, "a minute without activity ends it");
    app.stop().await;
}
