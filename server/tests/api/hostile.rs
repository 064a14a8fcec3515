//! The hostile review (issue 12), replayed: each test repeats one confirmed attack against the
//! real app and checks it no longer works. Every test runs on SQLite and on PostgreSQL
//! (`BAA_TEST_POSTGRES`).

use crate::helpers::{Client, TestApp, PASSWORD};
use crate::notifications::{add_tigris, receiver, LOCAL_WEBHOOKS};
use crate::seed::{coverage, Seed};
use baa_core::account::Role;
use serde_json::Value;
use sqlx::Row;
use std::io::{Cursor, Read, Write};
use std::time::Duration;

const OWNER: &str = "priya@acme-health.example";

async fn audit_count(app: &TestApp, action: &str) -> i64 {
    sqlx::query("SELECT CAST(COUNT(*) AS BIGINT) AS n FROM audit_log WHERE action = $1")
        .bind(action)
        .fetch_one(&app.backend.db.pool)
        .await
        .expect("count")
        .try_get("n")
        .expect("n")
}

async fn workspace_id(c: &Client) -> String {
    let ctx: Value = serde_json::from_str(&c.api("public/page_ctx").await.body).expect("json");
    ctx["viewer"]["workspace_id"].as_str().expect("ws").to_string()
}

// ---------------------------------------------------------------------------------------------
// F1: sign-in floods. Argon2 runs in a bounded pool (429 + Retry-After when full) and the
// throttle is reserved atomically before verifying.

#[tokio::test]
async fn f1_a_sign_in_flood_gets_429_with_retry_after_instead_of_an_argon2_run_each() {
    let app = TestApp::spawn_with(&[("PASSWORD_HASH_CONCURRENCY", "1")]).await;
    let _ = app.owner().await;
    let c = app.client();
    let tries: Vec<_> = (0..40)
        .map(|i| {
            let c = c.clone();
            tokio::spawn(async move {
                let email = format!("nobody{i}@flood.example");
                let r = c
                    .http
                    .post(format!("{}/actions/login", c.base))
                    .form(&[("email", email.as_str()), ("password", "wrong wrong wrong")])
                    .send()
                    .await
                    .expect("post");
                (r.status().as_u16(), r.headers().get("retry-after").cloned())
            })
        })
        .collect();
    let mut busy = 0;
    for t in tries {
        let (status, retry_after) = t.await.expect("join");
        assert!(status == 303 || status == 429, "status {status}");
        if status == 429 {
            busy += 1;
            let secs: u64 = retry_after.expect("Retry-After").to_str().expect("ascii").parse().expect("secs");
            assert!(secs >= 1);
        }
    }
    // One permit and a queue of four: at most five of forty were admitted at any time.
    assert!(busy >= 20, "only {busy} of 40 were refused as busy");
    app.stop().await;
}

#[tokio::test]
async fn f1_forty_concurrent_guesses_for_one_account_get_at_most_the_free_five_verifications() {
    let app = TestApp::spawn_with(&[("PASSWORD_HASH_CONCURRENCY", "4")]).await;
    let _ = app.owner().await;
    let c = app.client();
    let tries: Vec<_> = (0..40)
        .map(|_| {
            let c = c.clone();
            tokio::spawn(async move {
                c.http
                    .post(format!("{}/actions/login", c.base))
                    .form(&[("email", OWNER), ("password", "guess guess guess")])
                    .send()
                    .await
                    .expect("post")
                    .status()
                    .as_u16()
            })
        })
        .collect();
    for t in tries {
        let status = t.await.expect("join");
        assert!(status == 303 || status == 429, "status {status}");
    }
    let verified = audit_count(&app, "login.failed").await;
    assert!((1..=5).contains(&verified), "{verified} guesses were verified (free allowance: 5)");
    app.stop().await;
}

#[tokio::test]
async fn f1_throttle_reservations_are_atomic_on_this_engine() {
    let app = TestApp::spawn().await;
    let now = app.backend.clock.now();
    let tries: Vec<_> = (0..40)
        .map(|_| {
            let db = app.backend.db.clone();
            tokio::spawn(async move {
                baa_backend::throttle::reserve(
                    &db,
                    &[("login:account:race@example.com", baa_backend::throttle::LOGIN_ACCOUNT)],
                    now,
                )
                .await
                .expect("reserve")
            })
        })
        .collect();
    let mut allowed = 0;
    for t in tries {
        if t.await.expect("join").is_none() {
            allowed += 1;
        }
    }
    assert_eq!(allowed, baa_backend::throttle::LOGIN_ACCOUNT.free, "check-then-act would let all 40 through");
    app.stop().await;
}

// ---------------------------------------------------------------------------------------------
// F2: webhooks cannot reach the server's own network.

#[tokio::test]
async fn f2_webhooks_to_internal_addresses_are_refused_and_nothing_is_stored() {
    let app = TestApp::spawn().await;
    let owner = app.owner().await;
    let hook = receiver(0).await;
    for url in [
        hook.url.as_str(),
        "http://hooks.slack.example/services/x",
        "https://127.0.0.1:8080/",
        "https://localhost/hook",
        "https://[::1]/hook",
        "https://169.254.169.254/latest/meta-data/",
        "https://[fe80::1]/",
        "https://10.0.0.5/",
        "https://[fdaa:0:1::3]:8080/",
        "https://100.100.1.1/",
        "https://224.0.0.1/",
        "https://api.internal/",
        "https://[::ffff:127.0.0.1]/",
    ] {
        owner.post("/actions/notifications/webhook", &[("url", url)]).await;
        let flash = owner.flash().await;
        assert!(flash.contains("https://") || flash.contains("public internet"), "{url}: {flash}");
        assert_eq!(app.count("webhooks").await, 0, "{url} was stored");
    }
    app.stop().await;
}

/// A resolver that answers every name with loopback, as a rebinding DNS server would.
struct Rebinding;

impl baa_backend::net_guard::Lookup for Rebinding {
    fn lookup(
        &self,
        _host: String,
    ) -> std::pin::Pin<Box<dyn std::future::Future<Output = std::io::Result<Vec<std::net::IpAddr>>> + Send>>
    {
        Box::pin(async { Ok(vec![std::net::IpAddr::V4(std::net::Ipv4Addr::LOCALHOST)]) })
    }
}

#[tokio::test]
async fn f2_a_public_name_that_resolves_to_loopback_is_not_connected_and_owners_see_no_probe_result() {
    let app = TestApp::spawn_with(&[("WEBHOOK_ALLOW_HTTP", "true")]).await;
    let owner = app.owner().await;
    let hook = receiver(0).await;
    let port = hook.url.split(':').nth(2).and_then(|p| p.split('/').next()).expect("port").to_string();
    let url = format!("http://hooks.rebind.example:{port}/hook/T000/B000/secret");
    let r = owner.post("/actions/notifications/webhook", &[("url", url.as_str())]).await;
    assert_eq!(r.location(), "/notifications", "the name looks public, so it is saved");
    add_tigris(&owner).await;
    let b = &app.backend;
    let sender = baa_backend::notify::WebhookSender::with_lookup(
        b.config.webhook_policy,
        std::sync::Arc::new(Rebinding),
    )
    .expect("sender");
    assert_eq!(baa_backend::notify::deliver_webhooks(&b.db, &b.clock, &sender).await.expect("deliver"), 0);
    assert!(hook.bodies.lock().expect("lock").is_empty(), "the loopback receiver was never called");
    let page: Value = serde_json::from_str(&owner.api("notifications_page").await.body).expect("json");
    let d = page["owner"]["deliveries"]
        .as_array()
        .expect("deliveries")
        .iter()
        .find(|d| d["channel"] == "webhook")
        .cloned()
        .expect("webhook delivery");
    assert_eq!(d["last_error"], baa_backend::notify::WEBHOOK_FAILED);
    app.stop().await;
}

#[tokio::test]
async fn f2_owners_see_delivered_or_failed_never_the_remote_s_answer() {
    let app = TestApp::spawn_with(LOCAL_WEBHOOKS).await;
    let owner = app.owner().await;
    let hook = receiver(100).await;
    owner.post("/actions/notifications/webhook", &[("url", hook.url.as_str())]).await;
    add_tigris(&owner).await;
    let b = &app.backend;
    let sender = baa_backend::notify::WebhookSender::new(b.config.webhook_policy).expect("sender");
    baa_backend::notify::deliver_webhooks(&b.db, &b.clock, &sender).await.expect("deliver");
    let body = owner.api("notifications_page").await.body;
    let page: Value = serde_json::from_str(&body).expect("json");
    let hooks: Vec<Value> = page["owner"]["deliveries"]
        .as_array()
        .expect("deliveries")
        .iter()
        .filter(|d| d["channel"] == "webhook")
        .cloned()
        .collect();
    assert!(!hooks.is_empty(), "{body}");
    // Ids are random hex and may hold "503"; what the owner reads is every field but the ids.
    for d in &hooks {
        for field in ["subject", "state", "last_error", "to"] {
            let text = d[field].as_str().unwrap_or_default();
            assert!(!text.contains("503") && !text.contains("HTTP"), "{field}: {text}");
        }
        assert_eq!(d["last_error"], baa_backend::notify::WEBHOOK_FAILED);
    }
    assert!(!body.contains("Service Unavailable") && !body.contains("HTTP/"), "{body}");
    app.stop().await;
}

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

// ---------------------------------------------------------------------------------------------
// F7: text limits (accounts, workspaces, invitations, tokens, webhooks, catalog, passwords) and
// the packet queue.

#[tokio::test]
async fn f7_huge_text_is_refused_with_a_clear_message_and_nothing_is_stored() {
    let app = TestApp::spawn().await;
    let owner = app.owner().await;
    let huge = "x".repeat(900 * 1024);
    let huge_email = format!("{huge}@acme-health.example");
    let huge_url = format!("https://hooks.example.com/{huge}");
    type Case<'a> = (&'a str, Vec<(&'a str, &'a str)>, &'a str);
    let cases: [Case; 6] = [
        ("/actions/workspaces/create", vec![("workspace", &huge)], "workspaces"),
        ("/actions/settings", vec![("name", &huge)], "workspaces"),
        ("/actions/tokens/create", vec![("name", &huge), ("scope", "read")], "api_tokens"),
        ("/actions/members/invite", vec![("email", &huge_email), ("role", "legal")], "invitations"),
        ("/actions/notifications/webhook", vec![("url", &huge_url)], "webhooks"),
        (
            "/actions/vendors/edit",
            vec![
                ("slug", "tigris"),
                ("baa_terms", "Signed on request"),
                ("checked", "2026-11"),
                ("reason", &huge),
            ],
            "catalog_edits",
        ),
    ];
    for (path, form, table) in cases {
        let before = app.count(table).await;
        let r = owner.post(path, &form).await;
        assert!(r.status == 303 || r.status == 422, "{path}: {}", r.status);
        let flash = owner.flash().await;
        assert!(flash.contains("characters") || flash.contains("e-mail address"), "{path}: {flash}");
        assert_eq!(app.count(table).await, before, "{path} stored something");
        let name: String = sqlx::query("SELECT name FROM workspaces")
            .fetch_one(&app.backend.db.pool)
            .await
            .expect("ws")
            .try_get("name")
            .expect("name");
        assert_eq!(name, "Acme Health");
    }
    // A password no account can have is refused without argon2 work.
    let t = std::time::Instant::now();
    app.client().post("/actions/login", &[("email", OWNER), ("password", &huge)]).await;
    assert!(t.elapsed() < Duration::from_secs(5));
    assert_eq!(audit_count(&app, "login.failed").await, 0);
    app.stop().await;
}

#[tokio::test]
async fn f7_thirty_queued_packets_become_three_and_one_runs_at_a_time_per_workspace() {
    // No workers in the app itself: the queue is filled first, then two workers start.
    let app = TestApp::spawn_with(&[("PACKET_WORKERS", "0")]).await;
    let owner = app.owner().await;
    let auditor = app.member(&owner, Role::Auditor, "audit@acme-health.example").await;
    let tries: Vec<_> = (0..30)
        .map(|_| {
            let c = auditor.clone();
            tokio::spawn(async move { c.post("/actions/packets/create", &[("as_of", "")]).await.status })
        })
        .collect();
    for t in tries {
        assert_eq!(t.await.expect("join"), 303);
    }
    let queued = app.count("packets").await;
    assert_eq!(queued, 3, "PACKETS_PER_WORKSPACE is 3");
    let r = auditor.post("/actions/packets/create", &[("as_of", "")]).await;
    assert_eq!(r.status, 303);
    assert!(auditor.flash().await.contains("already queued"));
    // Two workers, one workspace: never two running at once.
    let (trigger, shutdown) = baa_backend::mail::tokio_util_shutdown::channel();
    let workers: Vec<_> = (0..2)
        .map(|n| tokio::spawn(baa_backend::packets::run_worker(app.backend.clone(), n, shutdown.clone())))
        .collect();
    for _ in 0..1200 {
        let running: i64 =
            sqlx::query("SELECT CAST(COUNT(*) AS BIGINT) AS n FROM packets WHERE status = 'running'")
                .fetch_one(&app.backend.db.pool)
                .await
                .expect("n")
                .try_get("n")
                .expect("n");
        assert!(running <= 1, "{running} packets of one workspace ran at once");
        let done: i64 = sqlx::query(
            "SELECT CAST(COUNT(*) AS BIGINT) AS n FROM packets WHERE status IN ('done', 'failed')",
        )
        .fetch_one(&app.backend.db.pool)
        .await
        .expect("n")
        .try_get("n")
        .expect("n");
        if done == 3 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let statuses: Vec<String> = crate::packets::packets(&auditor)
        .await
        .iter()
        .map(|p| p["status"].as_str().unwrap_or_default().to_string())
        .collect();
    assert_eq!(statuses, ["done", "done", "done"]);
    trigger.fire();
    for w in workers {
        w.await.expect("worker");
    }
    app.stop().await;
}

// ---------------------------------------------------------------------------------------------
// F10: a bundle whose file and manifest were both rewritten no longer verifies.

fn zip_entries(zip: &[u8]) -> Vec<(String, Vec<u8>)> {
    let mut archive = zip::ZipArchive::new(Cursor::new(zip)).expect("zip");
    (0..archive.len())
        .map(|i| {
            let mut f = archive.by_index(i).expect("entry");
            let mut bytes = Vec::new();
            f.read_to_end(&mut bytes).expect("read");
            (f.name().expect("name").to_string(), bytes)
        })
        .collect()
}

fn zip_of(files: &[(String, Vec<u8>)]) -> Vec<u8> {
    let mut w = zip::ZipWriter::new(Cursor::new(Vec::new()));
    for (name, bytes) in files {
        w.start_file(name.as_str(), zip::write::SimpleFileOptions::default()).expect("start");
        w.write_all(bytes).expect("write");
    }
    w.finish().expect("finish").into_inner()
}

/// Swaps `target`'s bytes and rewrites its size and hash in the manifest, as a forger would.
fn forge(zip: &[u8], target: &str, with: &[u8]) -> Vec<(String, Vec<u8>)> {
    let mut files = zip_entries(zip);
    files.iter_mut().find(|(n, _)| n == target).expect("target").1 = with.to_vec();
    let sha = hex::encode(<sha2::Sha256 as sha2::Digest>::digest(with));
    let (_, manifest) = files.iter_mut().find(|(n, _)| n == "manifest.json").expect("manifest");
    let mut m: Value = serde_json::from_slice(manifest).expect("json");
    for f in m["files"].as_array_mut().expect("files") {
        if f["path"] == target {
            f["sha256"] = sha.clone().into();
            f["size"] = with.len().into();
        }
    }
    *manifest = serde_json::to_vec_pretty(&m).expect("json");
    files
}

#[tokio::test]
async fn f10_a_swapped_document_with_a_rewritten_manifest_is_caught_by_the_signature() {
    let app = TestApp::spawn().await;
    let owner = app.owner().await;
    let agreement = crate::documents::signed_agreement(&owner).await;
    let (status, flash) =
        crate::documents::upload(&owner, &agreement, "baa.pdf", crate::documents::pdf("genuine")).await;
    assert_eq!(status, 303, "{flash}");
    let p = crate::packets::generate(&owner, "").await;
    let id = p["id"].as_str().expect("id");
    let (status, _, zip) = owner.download_packet(id, "zip").await;
    assert_eq!(status, 200);

    // The server's key is published without sign-in, and on the packets page.
    let keys: Value =
        serde_json::from_str(&app.client().get("/.well-known/baa-tracker-packet-keys.json").await.body)
            .expect("json");
    let key = keys["keys"][0]["public_key"].as_str().expect("key").to_string();
    let key_id = keys["current"].as_str().expect("current").to_string();
    let (_, page) = owner.page("/packets").await;
    assert!(page.body.contains(&key) && page.body.contains(&key_id));
    let trusted = baa_backend::packet::PublicKey::parse(&key).expect("key");

    // The genuine bundle verifies against it; its manifest hash is in the app and the trail.
    let report = baa_backend::packet::verify_bundle_with(Cursor::new(&zip), std::slice::from_ref(&trusted));
    assert!(report.is_ok(), "{}", baa_backend::packet::format_report(&report));
    let manifest_sha = report.manifest_sha256.clone().expect("manifest hash");
    assert_eq!(p["manifest_sha256"].as_str(), Some(manifest_sha.as_str()));
    assert_eq!(p["signing_key_id"].as_str(), Some(key_id.as_str()));
    assert!(page.body.contains(&manifest_sha));
    let (_, trail) = owner.export_audit().await;
    assert!(trail.contains(&format!("\"manifest_sha256\":\"{manifest_sha}\"")), "{trail}");

    // The forgery: another PDF in place of the signed one, its hash and size rewritten.
    let target = zip_entries(&zip)
        .into_iter()
        .map(|(n, _)| n)
        .find(|n| n.starts_with("documents/"))
        .expect("a document in the bundle");
    let forged = forge(&zip, &target, &crate::documents::pdf("forged"));
    let report = baa_backend::packet::verify_bundle(Cursor::new(zip_of(&forged)));
    assert!(report.problems.is_empty(), "the files match the rewritten manifest");
    assert!(!report.is_ok(), "but the signature does not");
    assert!(baa_backend::packet::format_report(&report).contains("NOT INTACT"));

    // Re-signed with the forger's own key: valid on its own, refused against the server's key.
    let mut resigned = forged.clone();
    let manifest = resigned.iter().find(|(n, _)| n == "manifest.json").expect("m").1.clone();
    let mallory = baa_backend::packet::PacketKey::generate();
    let sig = serde_json::to_vec(&mallory.sign_manifest(&manifest)).expect("sig");
    resigned.iter_mut().find(|(n, _)| n == "manifest.sig").expect("sig").1 = sig;
    let resigned = zip_of(&resigned);
    let dir = tempfile::tempdir().expect("dir");
    let (good_path, bad_path) = (dir.path().join("good.zip"), dir.path().join("forged.zip"));
    std::fs::write(&good_path, &zip).expect("write");
    std::fs::write(&bad_path, &resigned).expect("write");
    let (mut out, mut err) = (Vec::new(), Vec::new());
    let code =
        server::cli::verify_packet_command(&bad_path, std::slice::from_ref(&key), None, &mut out, &mut err)
            .await;
    let text = String::from_utf8_lossy(&out);
    assert_eq!(code, 1, "{text}");
    assert!(text.contains(mallory.key_id()) && text.contains("NOT one of the trusted keys"), "{text}");
    // verify-packet --server reads the published keys and names the key that signed.
    let (mut out, mut err) = (Vec::new(), Vec::new());
    let code = server::cli::verify_packet_command(&good_path, &[], Some(&app.base), &mut out, &mut err).await;
    let text = String::from_utf8_lossy(&out);
    assert_eq!(code, 0, "{text}{}", String::from_utf8_lossy(&err));
    assert!(text.contains(&key_id) && text.contains("trusted"), "{text}");
    app.stop().await;
}

// ---------------------------------------------------------------------------------------------
// F11: Origin is compared with PUBLIC_URL (and ALLOWED_ORIGINS), never with Host.

#[tokio::test]
async fn f11_a_matching_host_and_origin_from_elsewhere_is_refused() {
    let app = TestApp::spawn_with(&[("ALLOWED_ORIGINS", "https://admin.acme-health.example")]).await;
    let owner = app.owner().await;
    let r = owner
        .http
        .post(format!("{}/actions/settings", owner.base))
        .header("host", "rebind.evil.example")
        .header("origin", "http://rebind.evil.example")
        .form(&[("name", "Hijacked")])
        .send()
        .await
        .expect("post");
    assert_eq!(r.status().as_u16(), 403);
    let r = owner
        .http
        .post(format!("{}/actions/settings", owner.base))
        .header("origin", "https://admin.acme-health.example")
        .form(&[("name", "Acme Health Group")])
        .send()
        .await
        .expect("post");
    assert_eq!(r.status().as_u16(), 303, "an origin on the allowlist is accepted");
    let name: String = sqlx::query("SELECT name FROM workspaces")
        .fetch_one(&app.backend.db.pool)
        .await
        .expect("ws")
        .try_get("name")
        .expect("name");
    assert_eq!(name, "Acme Health Group");
    app.stop().await;
}

// ---------------------------------------------------------------------------------------------
// F12: downloads are recorded by a POST; no GET changes the audit trail.

#[tokio::test]
async fn f12_cross_site_gets_add_no_audit_entries() {
    let app = TestApp::spawn().await;
    let owner = app.owner().await;
    let p = crate::packets::generate(&owner, "").await;
    let id = p["id"].as_str().expect("id").to_string();
    let before = app.count("audit_log").await;
    for path in [
        "/audit/export.jsonl".to_string(),
        format!("/packets/{id}/pdf"),
        format!("/packets/{id}/bundle"),
        "/downloads/made-up-token".to_string(),
    ] {
        let r = owner.get(&path).await;
        assert_ne!(r.status, 200, "{path}");
        assert_eq!(app.count("audit_log").await, before, "GET {path} wrote to the trail");
    }
    // The POST from another site is refused.
    let r = owner
        .http
        .post(format!("{}/actions/packets/download", owner.base))
        .header("origin", "https://evil.example")
        .form(&[("id", id.as_str()), ("file", "pdf")])
        .send()
        .await
        .expect("post");
    assert_eq!(r.status().as_u16(), 403);
    assert_eq!(app.count("audit_log").await, before);
    // From our page: recorded once, and the link works once.
    let r = owner.post("/actions/packets/download", &[("id", id.as_str()), ("file", "pdf")]).await;
    assert_eq!(r.status, 303);
    let link = r.location();
    assert!(link.starts_with("/downloads/"));
    assert_eq!(app.count("audit_log").await, before + 1);
    assert_eq!(owner.get(&link).await.status, 200);
    assert_eq!(owner.get(&link).await.status, 404, "single use");
    assert_eq!(app.count("audit_log").await, before + 1);
    // Someone else's session cannot use the link.
    let r = owner.post("/actions/packets/download", &[("id", id.as_str()), ("file", "pdf")]).await;
    let other = app.client();
    other.login(OWNER, PASSWORD).await;
    assert_eq!(other.get(&r.location()).await.status, 404);
    app.stop().await;
}

// ---------------------------------------------------------------------------------------------
// F13: webhook text cannot carry Slack link syntax or new lines.

#[tokio::test]
async fn f13_slack_link_syntax_in_a_title_reaches_the_webhook_escaped() {
    let app = TestApp::spawn_with(LOCAL_WEBHOOKS).await;
    let owner = app.owner().await;
    let hook = receiver(0).await;
    owner.post("/actions/notifications/webhook", &[("url", hook.url.as_str())]).await;
    let ws = workspace_id(&owner).await;
    let b = &app.backend;
    let mut tx = b.db.begin_write().await.expect("tx");
    let notice = baa_backend::notify::Notice {
        kind: baa_backend::notify::Kind::AgreementExpiry,
        event_key: "hostile:f13".into(),
        title: "Renew <https://evil.example/login|Click to re-authenticate>\r\n<!channel>".into(),
        body: "body & more".into(),
        next_step: "step".into(),
        link: "/agreements".into(),
    };
    let audience = baa_backend::notify::Audience { roles: vec![], plus: None };
    baa_backend::notify::emit(&mut tx, b, &ws, &notice, &audience, b.clock.now()).await.expect("emit");
    tx.commit().await.expect("commit");
    let sender = baa_backend::notify::WebhookSender::new(b.config.webhook_policy).expect("sender");
    assert_eq!(baa_backend::notify::deliver_webhooks(&b.db, &b.clock, &sender).await.expect("deliver"), 1);
    let bodies = hook.bodies.lock().expect("lock").clone();
    let text = bodies[0]["text"].as_str().expect("text");
    assert!(!text.contains("<https://evil.example") && !text.contains("<!channel>"), "{text}");
    assert!(text.contains("&lt;https://evil.example/login|Click to re-authenticate&gt;"), "{text}");
    assert!(text.contains("body &amp; more"));
    assert!(!text.contains('\r'));
    assert!(
        text.lines().next().expect("first line").contains("&lt;!channel&gt;"),
        "the title stays on its line"
    );
    app.stop().await;
}

// ---------------------------------------------------------------------------------------------
// F14: the role is checked before a large body is read; PDF checks are bounded.

/// Sends the headers of a large multipart POST and only the first bytes of its body, then waits
/// for an answer: a server that reads the body first never answers.
async fn answer_before_body(c: &Client, path: &str) -> Option<u16> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let addr = c.base.trim_start_matches("http://").to_string();
    let mut s = tokio::net::TcpStream::connect(&addr).await.expect("connect");
    let cookie = c.session_cookie().expect("signed in");
    let head = format!(
        "POST {path} HTTP/1.1\r\nHost: {addr}\r\nOrigin: {}\r\nCookie: baa_session={cookie}\r\n\
         Content-Type: multipart/form-data; boundary=XyZ\r\nContent-Length: 20000000\r\n\r\n\
         --XyZ\r\nContent-Disposition: form-data; name=\"zip\"; filename=\"snapshot.zip\"\r\n\r\nPK",
        c.base
    );
    s.write_all(head.as_bytes()).await.expect("write");
    let mut buf = vec![0_u8; 256];
    match tokio::time::timeout(Duration::from_secs(5), s.read(&mut buf)).await {
        Ok(Ok(n)) if n > 12 => String::from_utf8_lossy(&buf[9..12]).parse().ok(),
        _ => None,
    }
}

#[tokio::test]
async fn f14_an_auditor_is_refused_before_the_upload_is_read() {
    let app = TestApp::spawn().await;
    let owner = app.owner().await;
    let auditor = app.member(&owner, Role::Auditor, "audit@acme-health.example").await;
    for path in ["/actions/import/preview", "/actions/agreements/documents"] {
        assert_eq!(answer_before_body(&auditor, path).await, Some(403), "{path}");
    }
    // The API: a read token's import is refused before its body is read.
    let token = crate::api_v1::make_token(&owner, "reader", "read").await;
    let r = reqwest::Client::new()
        .post(format!("{}/api/v1/imports/preview", app.base))
        .bearer_auth(&token)
        .header("content-type", "application/json")
        .body("{\"files\": [")
        .send()
        .await
        .expect("post");
    assert_eq!(r.status().as_u16(), 403);
    app.stop().await;
}

/// A PDF whose object stream inflates to 10 MB of numbers (a 306 KB file of this kind took
/// 343 MB to parse).
fn pdf_bomb() -> Vec<u8> {
    let numbers = "0 ".repeat(5 * 1024 * 1024);
    let inner = format!("4 0 [{numbers}]");
    let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::best());
    z.write_all(inner.as_bytes()).expect("deflate");
    let packed = z.finish().expect("deflate");
    let mut out = b"%PDF-1.5\n".to_vec();
    let mut offsets = Vec::new();
    let objects: Vec<Vec<u8>> = vec![
        b"<< /Type /Catalog /Pages 2 0 R >>".to_vec(),
        b"<< /Type /Pages /Kids [] /Count 0 >>".to_vec(),
        [
            format!(
                "<< /Type /ObjStm /N 1 /First 4 /Filter /FlateDecode /Length {} >>\nstream\n",
                packed.len()
            )
            .into_bytes(),
            packed,
            b"\nendstream".to_vec(),
        ]
        .concat(),
    ];
    for (i, o) in objects.iter().enumerate() {
        offsets.push(out.len());
        out.extend_from_slice(format!("{} 0 obj\n", i + 1).as_bytes());
        out.extend_from_slice(o);
        out.extend_from_slice(b"\nendobj\n");
    }
    let xref = out.len();
    out.extend_from_slice(format!("xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1).as_bytes());
    for o in offsets {
        out.extend_from_slice(format!("{o:010} 00000 n \n").as_bytes());
    }
    out.extend_from_slice(
        format!("trailer\n<< /Size {} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n", objects.len() + 1)
            .as_bytes(),
    );
    out
}

#[tokio::test]
async fn f14_a_pdf_that_inflates_far_beyond_its_size_is_refused_quickly() {
    let app = TestApp::spawn().await;
    let owner = app.owner().await;
    let agreement = crate::documents::signed_agreement(&owner).await;
    let bomb = pdf_bomb();
    assert!(bomb.len() < 400 * 1024, "{} bytes", bomb.len());
    let t = std::time::Instant::now();
    let (status, flash) = crate::documents::upload(&owner, &agreement, "bomb.pdf", bomb).await;
    assert_eq!(status, 303);
    assert!(flash.contains("too complex"), "{flash}");
    assert!(t.elapsed() < Duration::from_secs(20), "{:?}", t.elapsed());
    assert_eq!(app.count("documents").await, 0);
    app.stop().await;
}

// ---------------------------------------------------------------------------------------------
// F15: invitations are rate-limited; who may start a workspace is an instance setting.

#[tokio::test]
async fn f15_invitations_stop_at_the_daily_limit_per_workspace_and_per_person() {
    let app = TestApp::spawn_with(&[("INVITATIONS_PER_DAY", "2")]).await;
    let owner = app.owner().await;
    for who in ["a@elsewhere.example", "b@elsewhere.example"] {
        let r = owner.post("/actions/members/invite", &[("email", who), ("role", "auditor")]).await;
        assert_eq!(r.location(), "/members");
        assert!(owner.flash().await.contains("Invitation sent"));
    }
    owner.post("/actions/members/invite", &[("email", "c@elsewhere.example"), ("role", "auditor")]).await;
    assert!(owner.flash().await.contains("2 invitations in the last 24 hours"));
    assert_eq!(app.count("invitations").await, 2);
    // A second workspace does not reset the person's count.
    let r = owner.post("/actions/workspaces/create", &[("workspace", "Consulting Client")]).await;
    assert_eq!(r.location(), "/");
    owner.post("/actions/members/invite", &[("email", "d@elsewhere.example"), ("role", "auditor")]).await;
    assert!(owner.flash().await.contains("You sent 2 invitations"));
    assert_eq!(app.count("invitations").await, 2);
    app.advance(24 * 3600 + 1);
    let owner = app.client();
    owner.login(OWNER, PASSWORD).await;
    owner.post("/actions/members/invite", &[("email", "d@elsewhere.example"), ("role", "auditor")]).await;
    assert!(owner.flash().await.contains("Invitation sent"));
    app.stop().await;
}

#[tokio::test]
async fn f15_members_who_own_nothing_cannot_start_workspaces_by_default() {
    let app = TestApp::spawn().await;
    let owner = app.owner().await;
    let eng = app.member(&owner, Role::Engineer, "eng@acme-health.example").await;
    let r = eng.post("/actions/workspaces/create", &[("workspace", "Spam Inc")]).await;
    assert_eq!(r.status, 403);
    assert_eq!(app.count("workspaces").await, 1);
    let (_, page) = eng.page("/settings").await;
    assert!(!page.body.contains("Create workspace"), "the form is not offered");
    app.stop().await;

    let app = TestApp::spawn_with(&[("WORKSPACE_CREATORS", "nobody")]).await;
    let owner = app.owner().await;
    assert_eq!(owner.post("/actions/workspaces/create", &[("workspace", "Second")]).await.status, 403);
    app.stop().await;
}

// ---------------------------------------------------------------------------------------------
// F16: the client-address header only from trusted proxies; backoff instead of lockout.

async fn last_source(app: &TestApp, action: &str) -> String {
    sqlx::query("SELECT source FROM audit_log WHERE action = $1 ORDER BY at DESC, seq DESC")
        .bind(action)
        .fetch_one(&app.backend.db.pool)
        .await
        .expect("entry")
        .try_get("source")
        .expect("source")
}

#[tokio::test]
async fn f16_the_client_ip_header_is_ignored_unless_the_peer_is_a_trusted_proxy() {
    let app =
        TestApp::spawn_with(&[("CLIENT_IP_HEADER", "X-Client-IP"), ("TRUSTED_PROXIES", "10.9.9.9")]).await;
    let _ = app.owner().await;
    let c = app.client();
    // Rotating the header does not escape the per-address throttle.
    let mut throttled = false;
    for i in 0..25 {
        let r = c
            .http
            .post(format!("{}/actions/login", c.base))
            .header("x-client-ip", format!("203.0.113.{i}"))
            .form(&[
                ("email", format!("guess{i}@acme-health.example").as_str()),
                ("password", "guess guess guess"),
            ])
            .send()
            .await
            .expect("post");
        assert_eq!(r.status().as_u16(), 303);
        if c.flash().await.contains("Too many failed sign-ins") {
            throttled = true;
        }
    }
    assert!(throttled, "the forged header made every guess look like a new address");
    assert_eq!(last_source(&app, "login.failed").await, "127.0.0.1");
    app.stop().await;

    let app =
        TestApp::spawn_with(&[("CLIENT_IP_HEADER", "X-Client-IP"), ("TRUSTED_PROXIES", "127.0.0.1/32")])
            .await;
    let _ = app.owner().await;
    let c = app.client();
    c.http
        .post(format!("{}/actions/login", c.base))
        .header("x-client-ip", "203.0.113.7")
        .form(&[("email", OWNER), ("password", PASSWORD)])
        .send()
        .await
        .expect("post");
    assert_eq!(
        last_source(&app, "login.succeeded").await,
        "203.0.113.7",
        "from a trusted proxy it is believed"
    );
    app.stop().await;
}

#[tokio::test]
async fn f16_five_wrong_passwords_cost_the_owner_thirty_seconds_not_fifteen_minutes() {
    let app = TestApp::spawn().await;
    let _ = app.owner().await;
    let attacker = app.client();
    for _ in 0..5 {
        attacker.post("/actions/login", &[("email", OWNER), ("password", "guess guess guess")]).await;
    }
    let owner = app.client();
    assert_eq!(owner.login(OWNER, PASSWORD).await, "/login");
    let flash = owner.flash().await;
    // The wait runs from the fifth failure (in the app's clock, which moves with real time too:
    // on a loaded machine a few seconds pass between the guesses and this sign-in).
    let wait: u64 = regex::Regex::new(r"Try again in (\d+) seconds?")
        .expect("re")
        .captures(&flash)
        .and_then(|c| c[1].parse().ok())
        .unwrap_or_else(|| panic!("{flash}"));
    assert!((1..=30).contains(&wait), "{flash}");
    app.advance(31);
    assert_eq!(owner.login(OWNER, PASSWORD).await, "/", "the wait is over");
    // Each further failure doubles the wait.
    for _ in 0..5 {
        attacker.post("/actions/login", &[("email", OWNER), ("password", "guess guess guess")]).await;
    }
    app.advance(31);
    attacker.post("/actions/login", &[("email", OWNER), ("password", "guess guess guess")]).await;
    let _ = attacker.flash().await;
    assert_eq!(owner.login(OWNER, PASSWORD).await, "/login");
    assert!(owner.flash().await.contains("Try again in"), "now 60 seconds");
    app.advance(61);
    assert_eq!(owner.login(OWNER, PASSWORD).await, "/");
    app.stop().await;
}

#[tokio::test]
async fn f8_twelve_concurrent_imports_never_answer_500_and_a_page_still_answers() {
    use crate::api_v1::{make_token, Api};
    let app = TestApp::spawn().await;
    let owner = app.owner().await;
    let token = make_token(&owner, "ci", "write:inventory").await;
    let files = crate::import::as_json(&crate::import::acme(crate::import::Layout::Json));
    let mut runs = tokio::task::JoinSet::new();
    for _ in 0..12 {
        let api = Api::new(&app, Some(&token));
        let body = files.clone();
        runs.spawn(async move {
            let r = api.post("/imports", body).await;
            (r.status, r.body)
        });
    }
    // An unrelated page during the flood answers (the pool is not starved by one route).
    tokio::time::sleep(Duration::from_millis(30)).await;
    let (_, page) = owner.page("/agreements").await;
    assert_eq!(page.status, 200);
    let mut applied = 0;
    while let Some(done) = runs.join_next().await {
        let (status, body) = done.expect("task");
        assert!(matches!(status, 200 | 409 | 429), "{status}: {body}");
        if status == 200 {
            applied += 1;
        } else {
            assert!(body["error"]["message"].as_str().is_some_and(|m| !m.is_empty()), "{body}");
        }
    }
    assert!(applied >= 1);
    // However the imports interleaved, the inventory is that of one import.
    let once = TestApp::spawn().await;
    let once_owner = once.owner().await;
    let once_api = Api::with_new_token(&once, &once_owner, "ci", "write:inventory").await;
    assert_eq!(once_api.post("/imports", files).await.status, 200);
    let services = |v: Value| v["services"].as_array().map(Vec::len).unwrap_or(0);
    let here = coverage(&owner, "").await;
    let there = coverage(&once_owner, "").await;
    assert_eq!(services(here), services(there));
    once.stop().await;
    app.stop().await;
}

#[tokio::test]
async fn f9_a_backdated_agreement_entered_later_does_not_turn_a_past_day_covered() {
    let app = TestApp::spawn().await;
    let owner = app.owner().await;
    let _ = add_tigris(&owner).await;
    let recorded = app.backend.clock.now_utc().date_naive();
    let day = recorded.to_string();
    let uncovered = |v: &Value| {
        v["report"]["findings"].as_array().expect("findings").iter().any(|f| {
            f["rule"] == "uncovered-service"
                && f["subject"]["name"].as_str().is_some_and(|s| s.contains("acme-uploads"))
        })
    };
    let first = coverage(&owner, &day).await;
    assert!(uncovered(&first), "{}", first["report"]["findings"]);
    // Two days later someone enters a Tigris BAA "effective" two years ago.
    app.advance(2 * 86_400);
    owner.login(OWNER, PASSWORD).await;
    Seed::new(&owner).baa("vendor:tigris", "Tigris BAA").effective("2024-06-01").all_clauses().save().await;
    assert!(!uncovered(&coverage(&owner, "").await), "covered from today on");
    // The past day reads as it was recorded by its end: still not covered, with the later
    // record listed as a correction and the verdict it would change named.
    let past = coverage(&owner, &day).await;
    assert!(uncovered(&past), "{}", past["report"]["findings"]);
    assert!(past["corrections"].to_string().contains("Tigris BAA"), "{}", past["corrections"]);
    assert!(
        past["corrected_verdicts"].to_string().contains("acme-uploads"),
        "{}",
        past["corrected_verdicts"]
    );
    // The dashboard for that day says both.
    let (_, page) = owner.page(&format!("/?as_of={day}")).await;
    assert!(page.body.contains("Corrected") || page.body.contains("corrected"), "no correction shown");
    app.stop().await;
}
