//! F11 to F15: Origin checks, GETs that change nothing, webhook text, uploads refused before
//! they are read, PDF bombs, invitation limits.

use super::*;

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
