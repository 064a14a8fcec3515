//! The one test harness: the real app on port 0 with a fresh database (SQLite by default,
//! PostgreSQL when `BAA_TEST_POSTGRES` names a server), a real SMTP sink, and cookie-keeping
//! clients with one helper per action.

use crate::smtp::SmtpSink;
use baa_backend::config::Config;
use baa_backend::Backend;
use baa_core::account::Role;
use reqwest::header::{HeaderMap, HeaderValue, ORIGIN};
use server::Application;
use sqlx::Connection;
use std::collections::HashMap;

pub const PASSWORD: &str = "correct horse battery staple";

/// Every required clause ticked with where it is found, as the agreement form sends it.
pub const ALL_CLAUSES: [(&str, &str); 24] = [
    ("clause", "a"),
    ("where:a", "§ 1"),
    ("clause", "b"),
    ("where:b", "§ 2"),
    ("clause", "c"),
    ("where:c", "§ 3"),
    ("clause", "d"),
    ("where:d", "§ 4"),
    ("clause", "e"),
    ("where:e", "§ 5"),
    ("clause", "f"),
    ("where:f", "§ 6"),
    ("clause", "g"),
    ("where:g", "§ 7"),
    ("clause", "h"),
    ("where:h", "§ 8"),
    ("clause", "i"),
    ("where:i", "§ 9"),
    ("clause", "j"),
    ("where:j", "§ 10"),
    ("clause", "permitted-uses"),
    ("where:permitted-uses", "§ 11"),
    ("clause", "termination-for-breach"),
    ("where:termination-for-breach", "§ 12"),
];

pub struct TestApp {
    pub base: String,
    pub backend: Backend,
    pub smtp: SmtpSink,
    pub db_url: String,
    pub data_dir: tempfile::TempDir,
    app: Option<Application>,
}

/// A fresh database URL for one test.
pub async fn fresh_database(dir: &std::path::Path) -> String {
    match std::env::var("BAA_TEST_POSTGRES") {
        Ok(base) if !base.is_empty() => {
            sqlx::any::install_default_drivers();
            let name = format!("baa_t_{}", uuid_like());
            let mut c = sqlx::AnyConnection::connect(&format!("{}/postgres", base.trim_end_matches('/')))
                .await
                .expect("connect to the PostgreSQL server named by BAA_TEST_POSTGRES");
            sqlx::query(&format!("CREATE DATABASE {name}")).execute(&mut c).await.expect("create database");
            format!("{}/{name}", base.trim_end_matches('/'))
        }
        _ => format!("sqlite://{}?mode=rwc", dir.join("test.db").display()),
    }
}

fn uuid_like() -> String {
    use rand::Rng;
    let mut r = rand::thread_rng();
    (0..16).map(|_| char::from(b'a' + r.gen_range(0..26))).collect()
}

impl TestApp {
    pub async fn spawn() -> TestApp {
        Self::spawn_with(&[]).await
    }

    /// Starts the app with extra environment settings.
    pub async fn spawn_with(extra: &[(&str, &str)]) -> TestApp {
        if std::env::var("TEST_LOG").is_ok() {
            server::init_tracing(false);
        }
        let data_dir = tempfile::tempdir().expect("tempdir");
        let smtp = SmtpSink::start().await;
        let db_url = fresh_database(data_dir.path()).await;
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let port = listener.local_addr().expect("addr").port();
        let base = format!("http://127.0.0.1:{port}");
        let mut env: HashMap<String, String> = [
            ("DATA_DIR", data_dir.path().display().to_string()),
            ("DATABASE_URL", db_url.clone()),
            ("BIND_ADDR", format!("127.0.0.1:{port}")),
            ("PUBLIC_URL", base.clone()),
            ("SMTP_URL", smtp.url()),
            ("MAIL_FROM", "BAA Tracker <baa@acme-health.example>".into()),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect();
        for (k, v) in extra {
            if v.is_empty() {
                env.remove(*k);
            } else {
                env.insert(k.to_string(), v.to_string());
            }
        }
        let config = Config::from_lookup(|k| env.get(k).cloned()).expect("test config");
        let app = Application::spawn_on(listener, config, baa_backend::clock::Clock::system())
            .await
            .expect("app starts");
        TestApp { base, backend: app.backend.clone(), smtp, db_url, data_dir, app: Some(app) }
    }

    /// A browser-like client: keeps cookies, does not follow redirects, sends our Origin.
    pub fn client(&self) -> Client {
        let mut headers = HeaderMap::new();
        headers.insert(ORIGIN, HeaderValue::from_str(&self.base).expect("origin"));
        let jar = std::sync::Arc::new(reqwest::cookie::Jar::default());
        Client {
            jar: jar.clone(),
            http: reqwest::Client::builder()
                .cookie_provider(jar)
                // A request that hangs fails the test with its URL instead of stalling the suite.
                .timeout(std::time::Duration::from_secs(60))
                .redirect(reqwest::redirect::Policy::none())
                .default_headers(headers)
                .build()
                .expect("client"),
            base: self.base.clone(),
        }
    }

    /// Moves the app's clock forward.
    pub fn advance(&self, secs: i64) {
        self.backend.clock.advance(secs);
    }

    /// Runs the first-run setup and returns the signed-in owner.
    pub async fn owner(&self) -> Client {
        let c = self.client();
        let r = c
            .post(
                "/actions/setup",
                &[
                    ("workspace", "Acme Health"),
                    ("name", "Priya Raman"),
                    ("email", "priya@acme-health.example"),
                    ("password", PASSWORD),
                    ("password_confirm", PASSWORD),
                ],
            )
            .await;
        assert_eq!(r.status, 303, "setup: {}", r.body);
        assert_eq!(r.location(), "/");
        c
    }

    /// `owner` invites `email` as `role`; the invitee accepts by the mailed link and is returned signed in.
    pub async fn member(&self, owner: &Client, role: Role, email: &str) -> Client {
        // Count before inviting: the outbox worker may deliver before the response is read.
        let n = self.smtp.to(email).len() + 1;
        let r = owner.post("/actions/members/invite", &[("email", email), ("role", role.as_str())]).await;
        assert_eq!(r.status, 303);
        assert_eq!(r.location(), "/members");
        let mail = self.smtp.wait_for(email, n).await.pop().expect("mail");
        let link = mail.link("/invite/").expect("invite link");
        let token = link.rsplit('/').next().expect("token").to_string();
        let c = self.client();
        let r = c
            .post(
                "/actions/invite/accept",
                &[
                    ("token", token.as_str()),
                    ("name", email),
                    ("password", PASSWORD),
                    ("password_confirm", PASSWORD),
                ],
            )
            .await;
        assert_eq!(r.status, 303, "accept: {}", r.body);
        assert_eq!(r.location(), "/");
        c
    }

    /// Counts rows of a table (for "nothing was stored" assertions).
    pub async fn count(&self, table: &str) -> i64 {
        use sqlx::Row;
        sqlx::query(&format!("SELECT CAST(COUNT(*) AS BIGINT) AS n FROM {table}"))
            .fetch_one(&self.backend.db.pool)
            .await
            .expect("count")
            .try_get("n")
            .expect("n")
    }

    /// Shuts down but keeps the data folder (and so a SQLite database) for a restart.
    pub async fn stop_keeping_data(mut self) -> tempfile::TempDir {
        if let Some(app) = self.app.take() {
            app.shutdown().await.expect("graceful shutdown");
        }
        self.data_dir
    }

    /// Shuts down keeping the database and data folder, to start a new process on them.
    pub async fn stop_for_restart(self) -> Stopped {
        let (db_url, clock) = (self.db_url.clone(), self.backend.clock.clone());
        let data_dir = self.stop_keeping_data().await;
        Stopped { db_url, data_dir, clock }
    }

    pub async fn stop(mut self) {
        if let Some(app) = self.app.take() {
            app.shutdown().await.expect("graceful shutdown");
        }
    }
}

/// A stopped app's database, data folder and clock.
pub struct Stopped {
    pub db_url: String,
    pub data_dir: tempfile::TempDir,
    pub clock: baa_backend::clock::Clock,
}

impl Stopped {
    /// A new process on the same database, data folder and clock, with `extra` settings.
    pub async fn restart(&self, extra: &[(&str, &str)]) -> Application {
        let data = self.data_dir.path().display().to_string();
        let cfg = Config::from_lookup(|k| match k {
            "DATABASE_URL" => Some(self.db_url.clone()),
            "DATA_DIR" => Some(data.clone()),
            _ => extra.iter().find(|(name, _)| *name == k).map(|(_, v)| v.to_string()),
        })
        .expect("cfg");
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        Application::spawn_on(listener, cfg, self.clock.clone()).await.expect("restart")
    }
}

/// A response, read whole.
pub struct Resp {
    pub status: u16,
    pub headers: reqwest::header::HeaderMap,
    pub body: String,
}

impl Resp {
    pub fn location(&self) -> String {
        self.headers.get("location").and_then(|v| v.to_str().ok()).unwrap_or_default().to_string()
    }
}

#[derive(Clone)]
pub struct Client {
    pub jar: std::sync::Arc<reqwest::cookie::Jar>,
    pub http: reqwest::Client,
    pub base: String,
}

impl Client {
    /// The session cookie value, if any.
    pub fn session_cookie(&self) -> Option<String> {
        use reqwest::cookie::CookieStore;
        let url = reqwest::Url::parse(&self.base).expect("url");
        let h = self.jar.cookies(&url)?;
        h.to_str().ok()?.split("; ").find_map(|c| c.strip_prefix("baa_session=").map(str::to_string))
    }

    async fn read(r: reqwest::Response) -> Resp {
        Resp {
            status: r.status().as_u16(),
            headers: r.headers().clone(),
            body: r.text().await.unwrap_or_default(),
        }
    }

    pub async fn get(&self, path: &str) -> Resp {
        Self::read(self.http.get(format!("{}{path}", self.base)).send().await.expect("get")).await
    }

    pub async fn post(&self, path: &str, form: &[(&str, &str)]) -> Resp {
        Self::read(self.http.post(format!("{}{path}", self.base)).form(form).send().await.expect("post"))
            .await
    }

    /// Calls a server function (they take POST with a form body).
    pub async fn api(&self, name: &str) -> Resp {
        Self::read(
            self.http
                .post(format!("{}/api/{name}", self.base))
                .header("content-type", "application/x-www-form-urlencoded")
                .header("accept", "application/json")
                .body("")
                .send()
                .await
                .expect("api"),
        )
        .await
    }

    /// Calls a server function with arguments.
    pub async fn api_with(&self, name: &str, form: &[(&str, &str)]) -> Resp {
        Self::read(
            self.http
                .post(format!("{}/api/{name}", self.base))
                .header("accept", "application/json")
                .form(form)
                .send()
                .await
                .expect("api"),
        )
        .await
    }

    /// GETs `path`, following redirects within the app; returns the final path and response.
    pub async fn page(&self, path: &str) -> (String, Resp) {
        let mut at = path.to_string();
        for _ in 0..5 {
            let r = self.get(&at).await;
            if (300..400).contains(&r.status) {
                at = r.location();
                continue;
            }
            return (at, r);
        }
        panic!("redirect loop from {path}");
    }

    /// Signs in with the password; returns the redirect target.
    pub async fn login(&self, email: &str, password: &str) -> String {
        let r = self.post("/actions/login", &[("email", email), ("password", password)]).await;
        assert_eq!(r.status, 303);
        r.location()
    }

    /// Presses a download button: POSTs `action` with `form`, then fetches the single-use link
    /// it answers with. Returns the status (of the POST when it did not redirect to a link),
    /// headers and body.
    pub async fn download(&self, action: &str, form: &[(&str, &str)]) -> (u16, HeaderMap, Vec<u8>) {
        let r = self.http.post(format!("{}{action}", self.base)).form(form).send().await.expect("post");
        let location =
            r.headers().get("location").and_then(|v| v.to_str().ok()).unwrap_or_default().to_string();
        if r.status().as_u16() != 303 || !location.starts_with("/downloads/") {
            let status = r.status().as_u16();
            let headers = r.headers().clone();
            return (status, headers, r.bytes().await.expect("body").to_vec());
        }
        let r = self.http.get(format!("{}{location}", self.base)).send().await.expect("get");
        let status = r.status().as_u16();
        let headers = r.headers().clone();
        (status, headers, r.bytes().await.expect("body").to_vec())
    }

    /// Downloads a packet's `pdf` or `zip`.
    pub async fn download_packet(&self, id: &str, file: &str) -> (u16, HeaderMap, Vec<u8>) {
        self.download("/actions/packets/download", &[("id", id), ("file", file)]).await
    }

    /// Exports the audit trail (JSON Lines); the status is 200 when it worked.
    pub async fn export_audit(&self) -> (u16, String) {
        let (status, _, body) = self.download("/actions/audit/export", &[]).await;
        (status, String::from_utf8_lossy(&body).into_owned())
    }

    /// The id of the member `email` (`user_id`) or of the open invitation to `email`, from the
    /// members page.
    async fn on_members_page(&self, list: &str, email: &str, id: &str) -> String {
        let v: serde_json::Value = serde_json::from_str(&self.api("members_page").await.body).expect("json");
        v[list]
            .as_array()
            .expect(list)
            .iter()
            .find(|m| m["email"] == email)
            .unwrap_or_else(|| panic!("{email} not among {list}: {v}"))[id]
            .as_str()
            .expect("id")
            .to_string()
    }

    /// The user id of the member `email`.
    pub async fn member_id(&self, email: &str) -> String {
        self.on_members_page("members", email, "user_id").await
    }

    /// The id of the open invitation to `email`.
    pub async fn invitation_id(&self, email: &str) -> String {
        self.on_members_page("invitations", email, "id").await
    }

    /// The audit trail as the audit page loads it, filtered by `args` (actor, subject, action,
    /// from, to, kind, page; the rest empty).
    pub async fn audit_page(&self, args: &[(&str, &str)]) -> serde_json::Value {
        let mut form = vec![("actor", ""), ("subject", ""), ("action", ""), ("from", ""), ("to", "")];
        for (k, v) in args {
            match form.iter_mut().find(|(n, _)| n == k) {
                Some(slot) => slot.1 = v,
                None => form.push((k, v)),
            }
        }
        let r = self.api_with("audit_data", &form).await;
        assert_eq!(r.status, 200, "{}", r.body);
        serde_json::from_str(&r.body).expect("json")
    }

    /// The pending one-time message, as the next page shows it.
    pub async fn flash(&self) -> String {
        let r = self.api("public/page_ctx").await;
        let v: serde_json::Value = serde_json::from_str(&r.body).unwrap_or_default();
        v["flash"]["message"].as_str().unwrap_or_default().to_string()
    }
}
