//! Fly.io integrations (issue 15) against the fake Fly GraphQL API on loopback (tools/fly-fake,
//! which validates every query against the real schema): connect, sync, idempotence, notices,
//! not-seen records, every fault, the refused token, the secret key, the lease, the CLI.

use crate::api_v1::Api;
use crate::helpers::{Client, TestApp};
use baa_backend::integrations::{self, SyncOutcome};
use fly_fake::{FakeFly, FakeWorld, Fault, DEFAULT_TOKEN};
use serde_json::Value;
use sqlx::Row;

const ORG: &str = "acme-health";
/// base64 of 32 bytes of 0x2a.
const KEY: &str = "KioqKioqKioqKioqKioqKioqKioqKioqKioqKioqKio=";

struct Fly {
    app: TestApp,
    fake: FakeFly,
    owner: Client,
    ws: String,
}

async fn start_with(extra: &[(&str, &str)]) -> Fly {
    let fake = FakeFly::start(FakeWorld::acme(), DEFAULT_TOKEN).await.expect("fake starts");
    let url = fake.graphql_url();
    let mut env: Vec<(&str, &str)> = vec![
        ("FLY_API_URL", url.as_str()),
        ("BAA_SECRET_KEY", KEY),
        ("INTEGRATION_SYNC", "false"),
        ("FLY_API_TIMEOUT_MS", "700"),
        ("FLY_API_ATTEMPTS", "1"),
        ("FLY_API_PAGE_SIZE", "3"),
    ];
    env.extend_from_slice(extra);
    let app = TestApp::spawn_with(&env).await;
    let owner = app.owner().await;
    let ws = sqlx::query("SELECT id FROM workspaces")
        .fetch_one(&app.backend.db.pool)
        .await
        .expect("workspace")
        .try_get("id")
        .expect("id");
    Fly { app, fake, owner, ws }
}

async fn start() -> Fly {
    start_with(&[]).await
}

fn pasted() -> String {
    format!("FlyV1 {DEFAULT_TOKEN}")
}

impl Fly {
    async fn connect(&self) -> String {
        let r = self.owner.post("/actions/integrations/connect", &[("org", ORG), ("token", &pasted())]).await;
        assert_eq!(r.status, 303, "{}", r.body);
        assert_eq!(r.location(), "/integrations");
        let row = sqlx::query("SELECT id FROM fly_integrations WHERE org_slug = $1")
            .bind(ORG)
            .fetch_one(&self.app.backend.db.pool)
            .await
            .expect("integration stored");
        row.try_get("id").expect("id")
    }

    fn ws(&self) -> String {
        self.ws.clone()
    }

    async fn sync(&self, id: &str) -> SyncOutcome {
        integrations::sync(&self.app.backend, &self.ws(), id).await.expect("sync runs")
    }

    async fn state(&self, id: &str) -> integrations::IntegrationView {
        integrations::get(&self.app.backend, &self.ws(), id).await.expect("view")
    }

    async fn scalar(&self, sql: &str) -> i64 {
        sqlx::query(sql).fetch_one(&self.app.backend.db.pool).await.expect("query").try_get(0).expect("n")
    }

    /// Distinct services recorded (any version).
    async fn services(&self) -> i64 {
        self.scalar("SELECT CAST(COUNT(DISTINCT entity_id) AS BIGINT) FROM records WHERE kind = 'service'")
            .await
    }

    async fn records(&self) -> i64 {
        self.scalar("SELECT CAST(COUNT(*) AS BIGINT) FROM records").await
    }

    async fn audit(&self) -> i64 {
        self.scalar("SELECT CAST(COUNT(*) AS BIGINT) FROM audit_log").await
    }

    async fn notices(&self, kind: &str) -> Vec<(String, String)> {
        sqlx::query(
            "SELECT u.email, n.title FROM notices n JOIN users u ON u.id = n.user_id WHERE n.kind = $1 ORDER BY n.title, u.email",
        )
        .bind(kind)
        .fetch_all(&self.app.backend.db.pool)
        .await
        .expect("notices")
        .iter()
        .map(|r| (r.try_get("email").expect("e"), r.try_get("title").expect("t")))
        .collect()
    }
}

fn applied(o: SyncOutcome) -> integrations::SyncSummary {
    match o {
        SyncOutcome::Applied(s) => s,
        other => panic!("expected an applied sync, got {other:?}"),
    }
}

fn new_bucket(w: &mut FakeWorld) {
    let org = w.org_mut(ORG).expect("org");
    let mut b = org.add_ons.iter().find(|a| a.name == "acme-uploads").expect("bucket").clone();
    b.id = "ao_newphiexports".into();
    b.name = "acme-phi-exports".into();
    b.app = Some("acme-api".into());
    b.apps = vec!["acme-api".into()];
    org.add_ons.push(b);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn first_sync_creates_services_and_the_second_changes_nothing() {
    let t = start().await;
    let id = t.connect().await;
    assert_eq!(t.state(&id).await.state, integrations::State::New);
    let first = applied(t.sync(&id).await);
    assert!(first.created > 5, "{first:?}");
    assert_eq!(first.apps_seen, 5);
    assert!(t.services().await > 5);
    // Every change is in the audit trail under the integration's name.
    let by_integration = t
        .scalar(
            "SELECT CAST(COUNT(*) AS BIGINT) FROM audit_log WHERE actor_id = 'integration:fly:acme-health'",
        )
        .await;
    assert!(by_integration as usize > first.created, "one entry per record plus the sync");
    let v = t.state(&id).await;
    assert_eq!(v.state, integrations::State::Ok);
    assert!(v.last_good_at.is_some());
    // The add-on attached to an app in the API is tied to it.
    let sentry: String = sqlx::query("SELECT data FROM records WHERE kind = 'service' AND entity_id LIKE '%sentry%acme-api' ORDER BY seq DESC")
        .fetch_one(&t.app.backend.db.pool)
        .await
        .expect("sentry service")
        .try_get("data")
        .expect("data");
    assert!(sentry.contains("\"apps\":[\"acme-api\"]"), "{sentry}");

    let (records, audit) = (t.records().await, t.audit().await);
    let second = applied(t.sync(&id).await);
    assert_eq!((second.created, second.updated), (0, 0), "{second:?}");
    assert_eq!(t.records().await, records, "idempotent: no new versions");
    assert_eq!(t.audit().await, audit, "idempotent: nothing to audit");

    // The page shows the state and the last run's plan.
    let page: Value = serde_json::from_str(&t.owner.api("integrations_page").await.body).expect("json");
    assert_eq!(page["integrations"][0]["org"], ORG);
    assert_eq!(page["integrations"][0]["state"], "ok");
    let (_, html) = t.owner.page("/integrations").await;
    assert!(html.body.contains("Fly.io org acme-health"), "{}", html.body);
    assert!(html.body.contains("Sync now"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_add_on_is_notified_once_naming_the_app_and_the_add_on() {
    let t = start().await;
    let id = t.connect().await;
    applied(t.sync(&id).await);
    let before = t.notices("uncovered-service").await;
    t.fake.update_world(new_bucket);
    let s = applied(t.sync(&id).await);
    assert!(s.changes.iter().any(|c| c.contains("acme-phi-exports")), "{s:?}");
    let after = t.notices("uncovered-service").await;
    let new: Vec<_> = after.iter().filter(|n| !before.contains(n)).collect();
    assert!(!new.is_empty(), "the new bucket is not covered: notified");
    for (_, title) in &new {
        assert!(title.contains("acme-phi-exports") && title.contains("acme-api"), "{title}");
    }
    // Owner plus the engineers and legal of the workspace; here, the owner.
    assert!(new.iter().any(|(e, _)| e == "priya@acme-health.example"));
    applied(t.sync(&id).await);
    assert_eq!(t.notices("uncovered-service").await, after, "once");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_removed_add_on_is_marked_not_seen_and_kept() {
    let t = start().await;
    let id = t.connect().await;
    applied(t.sync(&id).await);
    let services = t.services().await;
    t.fake.update_world(|w| w.org_mut(ORG).expect("org").add_ons.retain(|a| a.name != "acme-backups"));
    let s = applied(t.sync(&id).await);
    assert!(s.absent.iter().any(|a| a.contains("acme-backups")), "{s:?}");
    let v = t.state(&id).await;
    let gone = v.not_seen.iter().find(|n| n.id.ends_with("acme-backups")).expect("not seen");
    assert_eq!(gone.last_seen_at, t.state(&id).await.not_seen[0].last_seen_at);
    assert!(gone.last_seen_at.is_some());
    assert_eq!(t.services().await, services, "never deleted");
    let removed =
        t.scalar("SELECT CAST(COUNT(*) AS BIGINT) FROM records WHERE kind = 'service' AND deleted = 1").await;
    assert_eq!(removed, 0);
    let (_, html) = t.owner.page("/integrations").await;
    assert!(html.body.contains("not seen since"), "{}", html.body);
    // Back on Fly: off the list.
    t.fake.update_world(|w| *w = FakeWorld::acme());
    applied(t.sync(&id).await);
    assert!(t.state(&id).await.not_seen.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_fault_leaves_nothing_applied_shows_the_state_and_backs_off() {
    let t = start().await;
    let id = t.connect().await;
    applied(t.sync(&id).await);
    let good = t.state(&id).await.last_good_at;
    // What a successful sync would now change.
    t.fake.update_world(|w| {
        new_bucket(w);
        w.org_mut(ORG).expect("org").add_ons.retain(|a| a.name != "acme-backups");
    });
    let faults = [
        (Fault::Status { status: 500, retry_after: None }, "server-error"),
        (Fault::Status { status: 502, retry_after: None }, "server-error"),
        (Fault::Status { status: 429, retry_after: Some("120".into()) }, "rate-limited"),
        (Fault::Delay { millis: 1500 }, "timeout"),
        (Fault::NotJson, "malformed"),
        (Fault::WrongShape, "malformed"),
        (Fault::FailOnPage { page: 2, connection: Some("addOns".into()), status: 500 }, "incomplete"),
        (Fault::FailOnPage { page: 2, connection: Some("apps".into()), status: 503 }, "incomplete"),
    ];
    let mut failures = 0;
    let mut last_next = 0;
    for (fault, class) in faults {
        let (records, audit, not_seen) = (
            t.records().await,
            t.audit().await,
            t.scalar("SELECT CAST(COUNT(*) AS BIGINT) FROM integration_not_seen").await,
        );
        t.fake.set_fault(fault.clone(), None);
        match t.sync(&id).await {
            SyncOutcome::Failed { class: c, message } => {
                assert_eq!(c, class, "{fault:?}: {message}");
                assert!(!message.contains(DEFAULT_TOKEN));
            }
            other => panic!("{fault:?}: {other:?}"),
        }
        t.fake.clear_fault();
        failures += 1;
        let v = t.state(&id).await;
        assert_eq!(v.state, integrations::State::Failing, "{fault:?}");
        assert_eq!(v.error_class.as_deref(), Some(class));
        assert_eq!(v.last_good_at, good, "last good sync kept");
        assert_eq!(v.consecutive_failures, failures);
        assert!(v.next_attempt_at > v.last_run_at.expect("ran"), "backs off");
        if class == "rate-limited" {
            assert!(v.next_attempt_at - v.last_run_at.expect("ran") >= 120, "Retry-After honoured");
        }
        assert!(v.next_attempt_at >= last_next);
        last_next = v.next_attempt_at;
        assert_eq!(t.records().await, records, "{fault:?}: nothing half-applied");
        assert_eq!(t.audit().await, audit, "{fault:?}: nothing audited");
        assert_eq!(
            t.scalar("SELECT CAST(COUNT(*) AS BIGINT) FROM integration_not_seen").await,
            not_seen,
            "{fault:?}"
        );
    }
    let s = applied(t.sync(&id).await);
    assert!(s.created >= 1 && !s.absent.is_empty(), "{s:?}");
    let v = t.state(&id).await;
    assert_eq!((v.state, v.consecutive_failures, v.error_class), (integrations::State::Ok, 0, None));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_token_notifies_the_owners_once_until_it_is_replaced() {
    let t = start().await;
    let legal = t.app.member(&t.owner, baa_core::account::Role::Legal, "lee@acme-health.example").await;
    drop(legal);
    let id = t.connect().await;
    applied(t.sync(&id).await);
    let records = t.records().await;
    t.fake.set_token("fm2_rotated-token-that-we-do-not-have");
    for _ in 0..3 {
        match t.sync(&id).await {
            SyncOutcome::Failed { class, .. } => assert_eq!(class, "token-refused"),
            other => panic!("{other:?}"),
        }
    }
    let v = t.state(&id).await;
    assert_eq!(v.state, integrations::State::TokenRefused);
    assert_eq!(t.records().await, records);
    let notices = t.notices("integration-failing").await;
    assert_eq!(notices.len(), 1, "owners only, once: {notices:?}");
    assert_eq!(notices[0].0, "priya@acme-health.example");
    // 403 reads the same.
    t.fake.set_fault(Fault::Status { status: 403, retry_after: None }, None);
    assert!(matches!(t.sync(&id).await, SyncOutcome::Failed { class, .. } if class == "token-refused"));
    t.fake.clear_fault();
    assert_eq!(t.notices("integration-failing").await.len(), 1);
    // Replacing it with a token the API refuses is refused and stores nothing.
    let r = t.owner.post("/actions/integrations/connect", &[("org", ORG), ("token", &pasted())]).await;
    assert_eq!(r.status, 303);
    assert_eq!(t.state(&id).await.state, integrations::State::TokenRefused);
    // The new token works: connected again, synced.
    let r = t
        .owner
        .post(
            "/actions/integrations/connect",
            &[("org", ORG), ("token", "FlyV1 fm2_rotated-token-that-we-do-not-have")],
        )
        .await;
    assert_eq!(r.status, 303);
    assert_eq!(t.state(&id).await.state, integrations::State::New);
    applied(t.sync(&id).await);
    assert_eq!(
        t.scalar("SELECT CAST(COUNT(*) AS BIGINT) FROM fly_integrations").await,
        1,
        "replaced, not added"
    );
}

/// Every text value of every row of every table.
async fn all_text(app: &TestApp) -> String {
    let pool = &app.backend.db.pool;
    let tables: Vec<String> = match app.backend.db.engine {
        baa_backend::db::Engine::Sqlite => {
            sqlx::query("SELECT name FROM sqlite_master WHERE type = 'table'").fetch_all(pool).await
        }
        baa_backend::db::Engine::Postgres => {
            sqlx::query("SELECT CAST(table_name AS TEXT) AS name FROM information_schema.tables WHERE table_schema = 'public'")
                .fetch_all(pool)
                .await
        }
    }
    .expect("tables")
    .iter()
    .map(|r| r.try_get("name").expect("name"))
    .collect();
    let mut out = String::new();
    for t in tables.iter().filter(|t| !t.starts_with("_sqlx") && !t.starts_with("sqlite_")) {
        for row in sqlx::query(&format!("SELECT * FROM {t}")).fetch_all(pool).await.expect("rows") {
            for i in 0..row.len() {
                if let Ok(Some(s)) = row.try_get::<Option<String>, _>(i) {
                    out.push_str(&s);
                    out.push('\n');
                }
            }
        }
    }
    out
}

/// A `tracing` writer into a shared buffer.
#[derive(Clone, Default)]
struct LogBuf(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

impl std::io::Write for LogBuf {
    fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
        self.0.lock().expect("lock").extend_from_slice(b);
        Ok(b.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn the_token_is_never_in_the_database_pages_audit_notices_or_logs() {
    let logs = LogBuf::default();
    let w = logs.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_writer(move || w.clone())
        .with_ansi(false)
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);
    let t = start().await;
    let id = t.connect().await;
    applied(t.sync(&id).await);
    t.fake.set_fault(Fault::Status { status: 500, retry_after: None }, None);
    t.sync(&id).await;
    t.fake.clear_fault();
    t.fake.set_token("fm2_other-token-value");
    t.sync(&id).await;
    let secret_part = "fake-readonly-token";
    let sealed: String = sqlx::query("SELECT token_sealed FROM fly_integrations")
        .fetch_one(&t.app.backend.db.pool)
        .await
        .expect("row")
        .try_get("token_sealed")
        .expect("sealed");
    assert!(sealed.starts_with("v1:"));
    let db = all_text(&t.app).await;
    assert!(!db.contains(secret_part), "token in the database");
    assert!(db.contains("integration.connected") && db.contains("integration.synced"));
    let (_, html) = t.owner.page("/integrations").await;
    assert!(!html.body.contains(secret_part));
    let json = t.owner.api("integrations_page").await.body;
    assert!(!json.contains(secret_part));
    let api = Api::with_new_token(&t.app, &t.owner, "ci", "read").await;
    let list = api.get("/integrations").await;
    assert_eq!(list.status, 200);
    assert!(!list.body.to_string().contains(secret_part));
    // A refused connect with a wrong token does not echo it.
    let r = t
        .owner
        .post("/actions/integrations/connect", &[("org", ORG), ("token", "FlyV1 fm2_wrong-secret-abcdef")])
        .await;
    assert_eq!(r.status, 303);
    let (_, page) = t.owner.page("/integrations").await;
    assert!(!page.body.contains("wrong-secret"), "token echoed");
    assert!(page.body.contains("refused this token"), "{}", page.body);
    let logged = String::from_utf8_lossy(&logs.0.lock().expect("lock")).to_string();
    assert!(logged.contains("Fly.io sync failed"), "the test captures the logs");
    assert!(!logged.contains(secret_part) && !logged.contains("wrong-secret"), "token in the logs");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_baa_secret_key_connecting_is_refused_and_nothing_is_stored() {
    let t = start_with(&[("BAA_SECRET_KEY", "")]).await;
    let r = t.owner.post("/actions/integrations/connect", &[("org", ORG), ("token", &pasted())]).await;
    assert_eq!(r.status, 303);
    let (_, page) = t.owner.page("/integrations").await;
    assert!(
        page.body.contains("BAA_SECRET_KEY") && page.body.contains("openssl rand -base64 32"),
        "{}",
        page.body
    );
    assert_eq!(t.app.count("fly_integrations").await, 0);
    assert!(t.fake.requests().is_empty(), "the token was not even sent");
    // Bad input: a clear error, nothing stored.
    let t = start().await;
    t.owner.post("/actions/integrations/connect", &[("org", "Not A Slug!"), ("token", &pasted())]).await;
    t.owner.post("/actions/integrations/connect", &[("org", ORG), ("token", "  ")]).await;
    assert_eq!(t.app.count("fly_integrations").await, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_lease_keeps_two_instances_from_syncing_the_same_org_at_once() {
    let t = start_with(&[("FLY_API_TIMEOUT_MS", "5000")]).await;
    let id = t.connect().await;
    let ws = t.ws();
    // A second instance on the same database.
    let other =
        baa_backend::Backend::start((*t.app.backend.config).clone(), baa_backend::clock::Clock::system())
            .await
            .expect("second instance");
    t.fake.set_fault(Fault::Delay { millis: 400 }, None);
    let (a, b) =
        tokio::join!(integrations::sync(&t.app.backend, &ws, &id), integrations::sync(&other, &ws, &id));
    let outcomes = [a.expect("a"), b.expect("b")];
    assert_eq!(outcomes.iter().filter(|o| matches!(o, SyncOutcome::Applied(_))).count(), 1, "{outcomes:?}");
    assert_eq!(outcomes.iter().filter(|o| matches!(o, SyncOutcome::Busy)).count(), 1, "{outcomes:?}");
    t.fake.clear_fault();
    let synced =
        t.scalar("SELECT CAST(COUNT(*) AS BIGINT) FROM audit_log WHERE action = 'integration.synced'").await;
    assert_eq!(synced, 1, "applied once");
    // A lease held elsewhere (and not expired) blocks; an expired one is taken over.
    assert!(integrations::take_lease(&other, &id, "elsewhere").await.expect("lease"));
    assert_eq!(t.sync(&id).await, SyncOutcome::Busy);
    t.app.advance(integrations::LEASE_SECS + 1);
    applied(t.sync(&id).await);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sync_on_demand_through_the_api_and_the_cli() {
    let t = start().await;
    let id = t.connect().await;
    let write = Api::with_new_token(&t.app, &t.owner, "ci", "write:inventory").await;
    let read = Api::with_new_token(&t.app, &t.owner, "ro", "read").await;
    let r = write.post(&format!("/integrations/{id}/sync"), Value::Null).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["outcome"], "applied");
    assert_eq!(r.body["integration"]["state"], "ok");
    assert_eq!(read.post(&format!("/integrations/{id}/sync"), Value::Null).await.status, 403);
    assert_eq!(write.post("/integrations/nope/sync", Value::Null).await.status, 404);
    let doc = write.get("/openapi.json").await;
    assert!(doc.body["paths"]["/integrations/{id}/sync"]["post"].is_object());
    t.fake.set_fault(Fault::Status { status: 500, retry_after: None }, None);
    let r = write.post(&format!("/integrations/{id}/sync"), Value::Null).await;
    assert_eq!((r.status, r.body["outcome"].as_str()), (200, Some("failed")), "{}", r.body);
    assert_eq!(r.body["integration"]["error_class"], "server-error");
    t.fake.clear_fault();

    // The command line: sync, connect-fly exit codes.
    let b = &t.app.backend;
    let (mut out, mut err) = (Vec::new(), Vec::new());
    assert_eq!(
        server::cli::sync(b, "Acme Health", &mut out, &mut err).await,
        0,
        "{}",
        String::from_utf8_lossy(&err)
    );
    assert!(String::from_utf8_lossy(&out).contains("acme-health: synced"));
    assert_eq!(server::cli::sync(b, "nobody", &mut out, &mut err).await, 2);
    let mut e = Vec::new();
    assert_eq!(
        server::cli::connect_fly(b, "Acme Health", "acme-health-staging", &pasted(), &mut out, &mut e).await,
        0
    );
    assert_eq!(t.app.count("fly_integrations").await, 2, "several orgs per workspace");
    assert_eq!(
        server::cli::connect_fly(b, "Acme Health", ORG, "FlyV1 fm2_bad-token-xyz", &mut out, &mut e).await,
        1
    );
    assert!(!String::from_utf8_lossy(&e).contains("bad-token-xyz"));
    assert_eq!(server::cli::connect_fly(b, "Acme Health", ORG, "", &mut out, &mut e).await, 2);
    assert_eq!(server::cli::connect_fly(b, "nobody", ORG, &pasted(), &mut out, &mut e).await, 2);
    assert_eq!(server::cli::connect_fly(b, "Acme Health", "Bad Slug", &pasted(), &mut out, &mut e).await, 2);
    // Remove: the token goes, the records stay.
    let services = t.services().await;
    let r = t.owner.post("/actions/integrations/remove", &[("id", &id)]).await;
    assert_eq!(r.status, 303);
    assert_eq!(t.app.count("fly_integrations").await, 1);
    assert_eq!(t.services().await, services);
}
