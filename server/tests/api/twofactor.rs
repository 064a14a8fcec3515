use crate::helpers::{TestApp, PASSWORD};
use baa_core::account::Role;

const OWNER: &str = "priya@acme-health.example";

/// Starts enrolment and returns the secret shown on the account page.
pub async fn enrol(app: &TestApp, c: &crate::helpers::Client) -> (String, Vec<String>) {
    assert_eq!(c.post("/actions/account/2fa/start", &[]).await.location(), "/account");
    let page: serde_json::Value = serde_json::from_str(&c.api("account_page").await.body).expect("json");
    let secret = page["enrolment"]["secret"].as_str().expect("secret").to_string();
    assert!(page["enrolment"]["qr_data_url"].as_str().expect("qr").starts_with("data:image/svg+xml;base64,"));
    // A wrong code is refused.
    c.post("/actions/account/2fa/enable", &[("code", "000000")]).await;
    assert!(c.flash().await.contains("does not match"));
    let code = baa_backend::totp::code_at(&secret, app.backend.clock.now()).expect("code");
    c.post("/actions/account/2fa/enable", &[("code", &code)]).await;
    let page: serde_json::Value = serde_json::from_str(&c.api("account_page").await.body).expect("json");
    let codes: Vec<String> = page["new_recovery_codes"]
        .as_array()
        .expect("codes")
        .iter()
        .map(|c| c.as_str().expect("s").to_string())
        .collect();
    assert_eq!(codes.len(), 10);
    assert_eq!(page["totp_enabled"], true);
    // Shown once.
    let again: serde_json::Value = serde_json::from_str(&c.api("account_page").await.body).expect("json");
    assert_eq!(again["new_recovery_codes"].as_array().expect("c").len(), 0);
    (secret, codes)
}

#[tokio::test]
async fn totp_sign_in_with_codes_and_one_time_recovery_codes() {
    let app = TestApp::spawn().await;
    let owner = app.owner().await;
    let (secret, codes) = enrol(&app, &owner).await;

    let c = app.client();
    assert_eq!(c.login(OWNER, PASSWORD).await, "/login/2fa");
    assert_eq!(c.get("/members").await.status, 303, "not signed in before the second factor");
    c.post("/actions/login/2fa", &[("code", "123456")]).await;
    assert!(c.flash().await.contains("not valid"));
    app.advance(31); // a fresh step, since the enrolment code was used
    let code = baa_backend::totp::code_at(&secret, app.backend.clock.now()).expect("code");
    assert_eq!(c.post("/actions/login/2fa", &[("code", &code)]).await.location(), "/");
    assert_eq!(c.get("/members").await.status, 200);

    // The same code cannot be replayed.
    let replay = app.client();
    replay.login(OWNER, PASSWORD).await;
    assert_eq!(replay.post("/actions/login/2fa", &[("code", &code)]).await.location(), "/login/2fa");

    // A recovery code works once, typed in any case.
    let r1 = app.client();
    r1.login(OWNER, PASSWORD).await;
    assert_eq!(r1.post("/actions/login/2fa", &[("code", &codes[0].to_uppercase())]).await.location(), "/");
    let r2 = app.client();
    r2.login(OWNER, PASSWORD).await;
    assert_eq!(r2.post("/actions/login/2fa", &[("code", &codes[0])]).await.location(), "/login/2fa");
    let page: serde_json::Value = serde_json::from_str(&r1.api("account_page").await.body).expect("json");
    assert_eq!(page["recovery_left"], 9);

    // The second step times out.
    let slow = app.client();
    slow.login(OWNER, PASSWORD).await;
    app.advance(301);
    let code = baa_backend::totp::code_at(&secret, app.backend.clock.now()).expect("code");
    assert_eq!(slow.post("/actions/login/2fa", &[("code", &code)]).await.location(), "/login");
    app.stop().await;
}

#[tokio::test]
async fn an_owner_can_require_2fa_and_members_must_enrol_before_anything_else() {
    let app = TestApp::spawn().await;
    let owner = app.owner().await;
    let eng = app.member(&owner, Role::Engineer, "eng@acme-health.example").await;
    // The owner cannot require it... well, they can; then they must enrol too.
    assert_eq!(
        owner.post("/actions/settings", &[("name", "Acme Health"), ("require_2fa", "on")]).await.status,
        303
    );
    let r = eng.get("/members").await;
    assert_eq!((r.status, r.location().as_str()), (303, "/account"));
    assert_eq!(eng.api("members_page").await.status, 403);
    assert_eq!(eng.get("/account").await.status, 200);
    enrol(&app, &eng).await;
    assert_eq!(eng.get("/members").await.status, 200);
    // Turning it off is refused while the workspace requires it.
    eng.post("/actions/account/2fa/disable", &[("password", PASSWORD)]).await;
    assert!(eng.flash().await.contains("requires two-factor"));
    app.stop().await;
}

#[tokio::test]
async fn turning_2fa_off_needs_the_password() {
    let app = TestApp::spawn().await;
    let owner = app.owner().await;
    enrol(&app, &owner).await;
    owner.post("/actions/account/2fa/disable", &[("password", "not my password")]).await;
    assert!(owner.flash().await.contains("not right"));
    owner.post("/actions/account/2fa/disable", &[("password", PASSWORD)]).await;
    assert!(owner.flash().await.contains("off"));
    assert_eq!(app.client().login(OWNER, PASSWORD).await, "/");
    app.stop().await;
}
