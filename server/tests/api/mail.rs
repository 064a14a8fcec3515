use crate::helpers::{TestApp, PASSWORD};
use crate::smtp::SmtpSink;
use sqlx::Row;

async fn outbox_states(app: &TestApp) -> Vec<(String, Option<i64>, i64, Option<String>)> {
    sqlx::query("SELECT recipient, sent_at, attempts, last_error FROM outbox ORDER BY created_at, id")
        .fetch_all(&app.backend.db.pool)
        .await
        .expect("outbox")
        .iter()
        .map(|r| {
            (
                r.try_get("recipient").expect("r"),
                r.try_get("sent_at").expect("s"),
                r.try_get("attempts").expect("a"),
                r.try_get("last_error").expect("e"),
            )
        })
        .collect()
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").expect("bind").local_addr().expect("a").port()
}

#[tokio::test]
async fn mail_waits_in_the_outbox_while_smtp_is_down_and_is_delivered_once_when_it_returns() {
    let port = free_port();
    let app = TestApp::spawn_with(&[("SMTP_URL", &format!("smtp://127.0.0.1:{port}"))]).await;
    let owner = app.owner().await;
    owner.post("/actions/members/invite", &[("email", "dana@acme-health.example"), ("role", "legal")]).await;
    // The worker tries and fails: the mail stays pending with the reason.
    for _ in 0..100 {
        if outbox_states(&app).await.iter().any(|s| s.2 > 0) {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let s = outbox_states(&app).await;
    assert_eq!(s.len(), 1);
    assert!(s[0].1.is_none() && s[0].2 >= 1 && s[0].3.is_some(), "{s:?}");
    assert!(!s[0].3.clone().unwrap_or_default().contains(PASSWORD));

    // The server comes back minutes later.
    let sink = SmtpSink::start_on(port).await;
    app.advance(10 * 60);
    for _ in 0..3 {
        app.backend.mailer.deliver_due(&app.backend.db, &app.backend.clock).await.expect("deliver");
    }
    let got = sink.wait_for("dana@acme-health.example", 1).await;
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert_eq!(sink.to("dana@acme-health.example").len(), 1, "exactly once");
    assert!(got[0].header("Message-ID").unwrap_or_default().contains("@baa-tracker"));
    let s = outbox_states(&app).await;
    assert!(s[0].1.is_some(), "marked sent");
    // The invitation link in the stored row was erased after delivery.
    let body: String = sqlx::query("SELECT body_text FROM outbox")
        .fetch_one(&app.backend.db.pool)
        .await
        .expect("row")
        .try_get("body_text")
        .expect("b");
    assert!(!body.contains("/invite/"));
    app.stop().await;
}

#[tokio::test]
async fn pending_mail_goes_out_once_after_a_restart() {
    let port = free_port();
    let app = TestApp::spawn_with(&[("SMTP_URL", &format!("smtp://127.0.0.1:{port}"))]).await;
    let owner = app.owner().await;
    owner.post("/actions/forgot", &[("email", "priya@acme-health.example")]).await;
    // Stop while the mail is pending, then start a new process on the same database.
    let stopped = app.stop_for_restart().await;
    let sink = SmtpSink::start_on(port).await;
    stopped.clock.advance(3600);
    let restarted = stopped.restart(&[("SMTP_URL", &sink.url())]).await;
    let got = sink.wait_for("priya@acme-health.example", 1).await;
    assert!(got[0].text().contains("/reset/"));
    restarted.backend.mailer.deliver_due(&restarted.backend.db, &restarted.backend.clock).await.expect("d");
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert_eq!(sink.to("priya@acme-health.example").len(), 1, "once, not twice");
    restarted.shutdown().await.expect("shutdown");
}

#[tokio::test]
async fn without_smtp_mail_is_written_as_files_in_the_data_folder() {
    let app = TestApp::spawn_with(&[("SMTP_URL", "")]).await;
    let owner = app.owner().await;
    owner.post("/actions/members/invite", &[("email", "dana@acme-health.example"), ("role", "legal")]).await;
    let dir = app.data_dir.path().join("mail");
    let mut found = String::new();
    for _ in 0..100 {
        if let Ok(rd) = std::fs::read_dir(&dir) {
            for e in rd.flatten() {
                found = std::fs::read_to_string(e.path()).unwrap_or_default();
            }
        }
        if !found.is_empty() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert!(found.contains("To: dana@acme-health.example"), "{found}");
    assert!(found.contains("Content-Type: text/html") && found.contains("Content-Type: text/plain"));
    app.stop().await;
}
