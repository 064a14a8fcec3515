//! Configuration from environment variables, validated at start.
//!
//! Every variable has a default that gives a working local app; a bad value stops the start with
//! a message that names the variable.

use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;

/// Validated configuration.
#[derive(Clone, Debug)]
pub struct Config {
    /// Folder for the SQLite file, mail files and (later) documents.
    pub data_dir: PathBuf,
    /// `sqlite://...` or `postgres://...`.
    pub database_url: crate::secret::Secret,
    /// Address the HTTP server listens on.
    pub bind_addr: SocketAddr,
    /// The URL people use to reach the app; links in mail start with it.
    pub public_url: url::Url,
    /// SMTP server; none means mail is written as `.eml` files under `DATA_DIR/mail`.
    pub smtp_url: Option<crate::secret::Secret>,
    /// Sender of every mail.
    pub mail_from: String,
    /// Sign out after this many minutes without a request (HIPAA automatic logoff).
    pub session_idle_minutes: i64,
    /// Sign out this many hours after sign-in whatever the activity.
    pub session_max_hours: i64,
    /// `json` for JSON log lines, `text` otherwise.
    pub log_json: bool,
    /// A header set by a trusted proxy holding the client address (e.g. `Fly-Client-IP`).
    pub client_ip_header: Option<String>,
    /// Peers whose `client_ip_header` is believed (`TRUSTED_PROXIES`); from anyone else the
    /// header is ignored and the TCP peer address is used.
    pub trusted_proxies: Vec<IpNet>,
    /// Origins accepted on state-changing requests besides `PUBLIC_URL`'s (`ALLOWED_ORIGINS`).
    pub allowed_origins: Vec<String>,
    /// Argon2 computations allowed at once (`PASSWORD_HASH_CONCURRENCY`, default: the cores).
    pub password_hash_concurrency: usize,
    /// Where workspace webhooks may point (`WEBHOOK_ALLOW_HTTP`, `WEBHOOK_ALLOW_PRIVATE`).
    pub webhook_policy: WebhookPolicy,
    /// Who may start another workspace (`WORKSPACE_CREATORS`).
    pub workspace_creators: WorkspaceCreators,
    /// Invitations a workspace, and a person, may send per day (`INVITATIONS_PER_DAY`).
    pub invitations_per_day: i64,
    /// Evidence packets generated at once by this instance (`PACKET_WORKERS`; 0 leaves the
    /// queue to another instance).
    pub packet_workers: usize,
    /// Packets a workspace may have queued or running (`PACKETS_PER_WORKSPACE`).
    pub packets_per_workspace: i64,
    /// Ed25519 seed that signs packet manifests (`PACKET_SIGNING_KEY`, base64 of 32 bytes);
    /// none means a key generated once and kept in the database.
    pub packet_signing_key: Option<crate::secret::Secret>,
    /// PDF checks of uploads allowed at once (`PDF_CHECK_CONCURRENCY`).
    pub pdf_check_concurrency: usize,
    /// Folder holding `pkg/` (the WASM, JS and CSS built for the browser).
    pub site_root: PathBuf,
    /// Largest accepted document upload, in bytes (`DOCUMENT_MAX_MB`, default 25).
    pub document_max_bytes: usize,
    /// Where executed documents are kept (`DOCUMENT_STORE`).
    pub document_store: DocumentStore,
    /// Fly.io GraphQL endpoint (`FLY_API_URL`, default `https://api.fly.io/graphql`).
    pub fly_api_url: url::Url,
    /// Fly.io Machines API (`FLY_MACHINES_API_URL`, default `https://api.machines.dev`).
    pub fly_machines_api_url: url::Url,
    /// Per-request timeout of the Fly.io API (`FLY_API_TIMEOUT_MS`, default 30000).
    pub fly_api_timeout_ms: u64,
    /// Attempts per Fly.io API request, retries included (`FLY_API_ATTEMPTS`, default 4).
    pub fly_api_attempts: u32,
    /// Items per page of the Fly.io API's listings (`FLY_API_PAGE_SIZE`, default 50).
    pub fly_api_page_size: u32,
    /// Key that seals integration tokens at rest (`BAA_SECRET_KEY`, base64 of 32 bytes); none
    /// means no integration can be connected.
    pub secret_key: Option<crate::seal::SecretKey>,
    /// Whether this instance runs scheduled integration syncs (`INTEGRATION_SYNC`, default
    /// true; tests and one-off commands turn it off).
    pub integration_sync: bool,
}

/// Which webhook targets are accepted.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct WebhookPolicy {
    /// `http://` targets (development only; `WEBHOOK_ALLOW_HTTP=true`).
    pub allow_http: bool,
    /// Loopback, private, link-local and other internal addresses (development and tests
    /// only; `WEBHOOK_ALLOW_PRIVATE=true`).
    pub allow_private: bool,
}

/// Who may start another workspace.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WorkspaceCreators {
    /// Any signed-in person.
    Anyone,
    /// People who are already the owner of a workspace (the default).
    Owners,
    /// Nobody from the app (first-run setup and `create-owner` only).
    Nobody,
}

/// An address range such as `10.0.0.0/8` or `fdaa::/16` (a single address is a full-length
/// range).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct IpNet {
    addr: IpAddr,
    prefix: u8,
}

impl IpNet {
    /// Parses `ADDR` or `ADDR/PREFIX`.
    pub fn parse(s: &str) -> Option<IpNet> {
        let s = s.trim();
        let (a, p) = match s.split_once('/') {
            Some((a, p)) => (a, Some(p)),
            None => (s, None),
        };
        let addr: IpAddr = a.parse().ok()?;
        let max = if addr.is_ipv4() { 32 } else { 128 };
        let prefix = match p {
            Some(p) => p.parse::<u8>().ok().filter(|p| *p <= max)?,
            None => max,
        };
        Some(IpNet { addr, prefix })
    }

    /// Whether `ip` is in the range (IPv4-mapped IPv6 addresses count as IPv4).
    pub fn contains(&self, ip: IpAddr) -> bool {
        match (self.addr, ip.to_canonical()) {
            (IpAddr::V4(net), IpAddr::V4(ip)) => {
                let mask = u32::MAX.checked_shl(32 - u32::from(self.prefix)).unwrap_or(0);
                u32::from(net) & mask == u32::from(ip) & mask
            }
            (IpAddr::V6(net), IpAddr::V6(ip)) => {
                let mask = u128::MAX.checked_shl(128 - u32::from(self.prefix)).unwrap_or(0);
                u128::from(net) & mask == u128::from(ip) & mask
            }
            _ => false,
        }
    }
}

/// Where executed documents are kept.
#[derive(Clone, Debug, PartialEq)]
pub enum DocumentStore {
    /// `DATA_DIR/documents` (the default).
    Local,
    /// An S3-compatible bucket: Tigris on Fly, AWS S3, MinIO.
    S3 {
        /// `DOCUMENT_BUCKET`, else `BUCKET_NAME` (set by `fly storage create`).
        bucket: String,
        /// `AWS_ENDPOINT_URL_S3` (Tigris: `https://fly.storage.tigris.dev`); none means AWS.
        endpoint: Option<String>,
        /// `AWS_REGION` (default `auto`, which Tigris expects).
        region: String,
        /// `AWS_ACCESS_KEY_ID`.
        access_key_id: String,
        /// `AWS_SECRET_ACCESS_KEY`.
        secret_access_key: crate::secret::Secret,
    },
}

/// A configuration error that names the variable.
///
/// Why a type of its own: it happens before there is a request or a user to answer, stops the
/// start, and must name the environment variable at fault (never its value).
#[derive(Debug, thiserror::Error)]
#[error("configuration error in {var}: {message}")]
pub struct ConfigError {
    /// The environment variable at fault.
    pub var: &'static str,
    /// What is wrong with it.
    pub message: String,
}

fn document_store(get: &impl Fn(&str) -> Option<String>) -> Result<DocumentStore, ConfigError> {
    match get("DOCUMENT_STORE").as_deref() {
        None | Some("local") => Ok(DocumentStore::Local),
        Some("s3") => {
            let bucket = get("DOCUMENT_BUCKET").or_else(|| get("BUCKET_NAME")).ok_or_else(|| {
                err("DOCUMENT_BUCKET", "is required with DOCUMENT_STORE=s3 (or set BUCKET_NAME)")
            })?;
            let endpoint = get("AWS_ENDPOINT_URL_S3");
            if let Some(e) = &endpoint {
                url::Url::parse(e)
                    .ok()
                    .filter(|u| matches!(u.scheme(), "http" | "https"))
                    .ok_or_else(|| err("AWS_ENDPOINT_URL_S3", "must be an http:// or https:// URL"))?;
            }
            let access_key_id = get("AWS_ACCESS_KEY_ID")
                .ok_or_else(|| err("AWS_ACCESS_KEY_ID", "is required with DOCUMENT_STORE=s3"))?;
            let secret_access_key = get("AWS_SECRET_ACCESS_KEY")
                .ok_or_else(|| err("AWS_SECRET_ACCESS_KEY", "is required with DOCUMENT_STORE=s3"))?;
            Ok(DocumentStore::S3 {
                bucket,
                endpoint,
                region: get("AWS_REGION").unwrap_or_else(|| "auto".into()),
                access_key_id,
                secret_access_key: crate::secret::Secret::new(secret_access_key),
            })
        }
        Some(_) => Err(err("DOCUMENT_STORE", "must be local or s3")),
    }
}

/// An endpoint that will receive a Fly.io token: https, or http only to this machine (a proxy or
/// the fake in tests), never plain http across a network.
fn fly_url(
    get: &impl Fn(&str) -> Option<String>,
    var: &'static str,
    default: &str,
) -> Result<url::Url, ConfigError> {
    let raw = get(var).unwrap_or_else(|| default.to_owned());
    let u = url::Url::parse(raw.trim()).map_err(|_| err(var, "must be an https:// URL"))?;
    let loopback = match u.host() {
        Some(url::Host::Domain(d)) => d == "localhost",
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    };
    match u.scheme() {
        "https" if u.host().is_some() => {}
        "http" if loopback => {}
        "http" => return Err(err(
            var,
            "must be https:// (plain http:// only to localhost or 127.0.0.1): the Fly.io token is sent to it",
        )),
        _ => return Err(err(var, "must be an https:// URL")),
    }
    if !u.username().is_empty() || u.password().is_some() || u.query().is_some() {
        return Err(err(var, "must not carry a user, password or query string"));
    }
    Ok(u)
}

fn err(var: &'static str, message: impl Into<String>) -> ConfigError {
    ConfigError { var, message: message.into() }
}

impl Config {
    /// Reads the process environment.
    pub fn from_env() -> Result<Config, ConfigError> {
        Config::from_lookup(|k| std::env::var(k).ok().filter(|v| !v.trim().is_empty()))
    }

    /// Reads configuration through `get` (so tests can pass a map).
    pub fn from_lookup(get: impl Fn(&str) -> Option<String>) -> Result<Config, ConfigError> {
        let data_dir = PathBuf::from(get("DATA_DIR").unwrap_or_else(|| "data".into()));
        if data_dir.as_os_str().is_empty() {
            return Err(err("DATA_DIR", "must be a folder path"));
        }
        let database_url = match get("DATABASE_URL") {
            Some(u) => {
                if !(u.starts_with("sqlite:")
                    || u.starts_with("postgres://")
                    || u.starts_with("postgresql://"))
                {
                    return Err(err(
                        "DATABASE_URL",
                        "must start with sqlite: or postgres:// (for example sqlite://data/baa-tracker.db or postgres://user@host/db)",
                    ));
                }
                u
            }
            None => format!("sqlite://{}?mode=rwc", data_dir.join("baa-tracker.db").display()),
        };
        let bind_addr: SocketAddr =
            get("BIND_ADDR").unwrap_or_else(|| "127.0.0.1:3000".into()).parse().map_err(|_| {
                err("BIND_ADDR", "must be an address and port such as 127.0.0.1:3000 or 0.0.0.0:8080")
            })?;
        let public_url = get("PUBLIC_URL").unwrap_or_else(|| format!("http://{bind_addr}"));
        let public_url = url::Url::parse(&public_url)
            .ok()
            .filter(|u| matches!(u.scheme(), "http" | "https") && u.host().is_some())
            .ok_or_else(|| {
                err("PUBLIC_URL", "must be an http:// or https:// URL such as https://baa.example.com")
            })?;
        let smtp_url = match get("SMTP_URL") {
            Some(u) => {
                if !(u.starts_with("smtp://") || u.starts_with("smtps://")) {
                    return Err(err(
                        "SMTP_URL",
                        "must start with smtp:// (STARTTLS with ?tls=required) or smtps:// (TLS), e.g. smtp://user:pass@mail.example.com:587?tls=required",
                    ));
                }
                lettre::AsyncSmtpTransport::<lettre::Tokio1Executor>::from_url(&u)
                    .map_err(|_| err("SMTP_URL", "is not a valid SMTP URL"))?;
                Some(crate::secret::Secret::new(u))
            }
            None => None,
        };
        let mail_from = get("MAIL_FROM").unwrap_or_else(|| "BAA Tracker <no-reply@localhost>".into());
        mail_from
            .parse::<lettre::message::Mailbox>()
            .map_err(|_| err("MAIL_FROM", "must be an address such as \"BAA Tracker <baa@example.com>\""))?;
        let session_idle_minutes = int(&get, "SESSION_IDLE_MINUTES", 30, 1, 24 * 60)?;
        let session_max_hours = int(&get, "SESSION_MAX_HOURS", 12, 1, 24 * 30)?;
        let log_json = match get("LOG_FORMAT").as_deref() {
            None | Some("text") => false,
            Some("json") => true,
            Some(_) => return Err(err("LOG_FORMAT", "must be text or json")),
        };
        let client_ip_header = get("CLIENT_IP_HEADER");
        if let Some(h) = &client_ip_header {
            axum_header_name_ok(h).map_err(|m| err("CLIENT_IP_HEADER", m))?;
        }
        let trusted_proxies = list(&get, "TRUSTED_PROXIES")
            .iter()
            .map(|p| IpNet::parse(p))
            .collect::<Option<Vec<_>>>()
            .ok_or_else(|| {
                err(
                    "TRUSTED_PROXIES",
                    "must be addresses or ranges separated by commas, e.g. 172.16.0.0/12,fdaa::/16",
                )
            })?;
        if client_ip_header.is_some() && trusted_proxies.is_empty() {
            return Err(err(
                "TRUSTED_PROXIES",
                "is required with CLIENT_IP_HEADER: name the proxy addresses the header is believed from",
            ));
        }
        let mut allowed_origins = Vec::new();
        for o in list(&get, "ALLOWED_ORIGINS") {
            let u = url::Url::parse(&o)
                .ok()
                .filter(|u| matches!(u.scheme(), "http" | "https") && u.host().is_some() && u.path() == "/")
                .ok_or_else(|| {
                    err(
                        "ALLOWED_ORIGINS",
                        "must be origins separated by commas, e.g. https://baa.example.com",
                    )
                })?;
            allowed_origins.push(u.origin().ascii_serialization());
        }
        let cores = std::thread::available_parallelism().map(usize::from).unwrap_or(2);
        let password_hash_concurrency =
            usize::try_from(int(&get, "PASSWORD_HASH_CONCURRENCY", cores as i64, 1, 64)?).unwrap_or(1);
        let webhook_policy = WebhookPolicy {
            allow_http: boolean(&get, "WEBHOOK_ALLOW_HTTP")?,
            allow_private: boolean(&get, "WEBHOOK_ALLOW_PRIVATE")?,
        };
        let workspace_creators = match get("WORKSPACE_CREATORS").as_deref() {
            None | Some("owners") => WorkspaceCreators::Owners,
            Some("anyone") => WorkspaceCreators::Anyone,
            Some("nobody") => WorkspaceCreators::Nobody,
            Some(_) => return Err(err("WORKSPACE_CREATORS", "must be anyone, owners or nobody")),
        };
        let invitations_per_day = int(&get, "INVITATIONS_PER_DAY", 50, 1, 10_000)?;
        let packet_workers = usize::try_from(int(&get, "PACKET_WORKERS", 1, 0, 16)?).unwrap_or(1);
        let packets_per_workspace = int(&get, "PACKETS_PER_WORKSPACE", 3, 1, 100)?;
        let packet_signing_key = match get("PACKET_SIGNING_KEY") {
            Some(k) => {
                crate::signing::seed_from_base64(&k).ok_or_else(|| {
                    err("PACKET_SIGNING_KEY", "must be 32 random bytes in base64 (openssl rand -base64 32)")
                })?;
                Some(crate::secret::Secret::new(k))
            }
            None => None,
        };
        let pdf_check_concurrency =
            usize::try_from(int(&get, "PDF_CHECK_CONCURRENCY", 1, 1, 16)?).unwrap_or(1);
        let site_root = PathBuf::from(get("SITE_ROOT").unwrap_or_else(|| "target/site".into()));
        let document_max_bytes =
            usize::try_from(int(&get, "DOCUMENT_MAX_MB", 25, 1, 500)?).unwrap_or(25) * 1024 * 1024;
        let document_store = document_store(&get)?;
        let fly_api_url = fly_url(&get, "FLY_API_URL", "https://api.fly.io/graphql")?;
        let fly_machines_api_url = fly_url(&get, "FLY_MACHINES_API_URL", "https://api.machines.dev")?;
        let fly_api_timeout_ms =
            u64::try_from(int(&get, "FLY_API_TIMEOUT_MS", 30_000, 100, 300_000)?).unwrap_or(30_000);
        let fly_api_attempts = u32::try_from(int(&get, "FLY_API_ATTEMPTS", 4, 1, 10)?).unwrap_or(4);
        let fly_api_page_size = u32::try_from(int(&get, "FLY_API_PAGE_SIZE", 50, 1, 100)?).unwrap_or(50);
        let secret_key = match get("BAA_SECRET_KEY") {
            Some(k) => Some(crate::seal::SecretKey::parse(&k).ok_or_else(|| {
                err("BAA_SECRET_KEY", "must be 32 random bytes in base64 (openssl rand -base64 32)")
            })?),
            None => None,
        };
        let integration_sync = match get("INTEGRATION_SYNC").as_deref() {
            None | Some("true") | Some("1") => true,
            Some("false") | Some("0") => false,
            Some(_) => return Err(err("INTEGRATION_SYNC", "must be true or false")),
        };
        Ok(Config {
            data_dir,
            database_url: crate::secret::Secret::new(database_url),
            bind_addr,
            public_url,
            smtp_url,
            mail_from,
            session_idle_minutes,
            session_max_hours,
            log_json,
            client_ip_header,
            trusted_proxies,
            allowed_origins,
            password_hash_concurrency,
            webhook_policy,
            workspace_creators,
            invitations_per_day,
            packet_workers,
            packets_per_workspace,
            packet_signing_key,
            pdf_check_concurrency,
            site_root,
            document_max_bytes,
            document_store,
            fly_api_url,
            fly_machines_api_url,
            fly_api_timeout_ms,
            fly_api_attempts,
            fly_api_page_size,
            secret_key,
            integration_sync,
        })
    }

    /// Whether cookies must be `Secure` and HSTS sent.
    pub fn is_https(&self) -> bool {
        self.public_url.scheme() == "https"
    }

    /// An absolute link into the app for mail.
    pub fn link(&self, path: &str) -> String {
        let base = self.public_url.as_str().trim_end_matches('/');
        format!("{base}{path}")
    }
}

fn axum_header_name_ok(h: &str) -> Result<(), String> {
    if h.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') {
        Ok(())
    } else {
        Err("must be a header name such as Fly-Client-IP".into())
    }
}

/// A comma-separated list (empty when unset).
fn list(get: &impl Fn(&str) -> Option<String>, var: &str) -> Vec<String> {
    get(var)
        .map(|v| v.split(',').map(str::trim).filter(|s| !s.is_empty()).map(str::to_string).collect())
        .unwrap_or_default()
}

fn boolean(get: &impl Fn(&str) -> Option<String>, var: &'static str) -> Result<bool, ConfigError> {
    match get(var).map(|v| v.trim().to_ascii_lowercase()).as_deref() {
        None | Some("false") | Some("0") | Some("no") => Ok(false),
        Some("true") | Some("1") | Some("yes") => Ok(true),
        Some(_) => Err(err(var, "must be true or false")),
    }
}

fn int(
    get: &impl Fn(&str) -> Option<String>,
    var: &'static str,
    default: i64,
    min: i64,
    max: i64,
) -> Result<i64, ConfigError> {
    match get(var) {
        None => Ok(default),
        Some(v) => v
            .trim()
            .parse::<i64>()
            .ok()
            .filter(|n| (min..=max).contains(n))
            .ok_or_else(|| err(var, format!("must be a whole number from {min} to {max}"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn cfg(pairs: &[(&str, &str)]) -> Result<Config, ConfigError> {
        let m: HashMap<String, String> = pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        Config::from_lookup(|k| m.get(k).cloned())
    }

    #[test]
    fn defaults_give_a_local_sqlite_app() {
        let c = cfg(&[]).expect("defaults");
        assert_eq!(c.bind_addr.to_string(), "127.0.0.1:3000");
        assert_eq!(c.public_url.as_str(), "http://127.0.0.1:3000/");
        assert!(c.database_url.expose().starts_with("sqlite://data/baa-tracker.db"));
        assert_eq!(c.session_idle_minutes, 30);
        assert!(c.smtp_url.is_none());
        assert!(!c.is_https());
    }

    #[test]
    fn bad_values_name_their_variable() {
        for (var, value) in [
            ("DATABASE_URL", "mysql://x"),
            ("BIND_ADDR", "localhost"),
            ("PUBLIC_URL", "ftp://x"),
            ("SMTP_URL", "mail.example.com"),
            ("MAIL_FROM", "not an address"),
            ("SESSION_IDLE_MINUTES", "0"),
            ("SESSION_IDLE_MINUTES", "ten"),
            ("SESSION_MAX_HOURS", "100000"),
            ("LOG_FORMAT", "xml"),
            ("CLIENT_IP_HEADER", "Bad Header"),
            ("DOCUMENT_STORE", "ftp"),
            ("FLY_API_URL", "api.fly.io/graphql"),
            ("FLY_API_URL", "http://api.fly.io/graphql"),
            ("FLY_API_URL", "https://user:pw@api.fly.io/graphql"),
            ("FLY_MACHINES_API_URL", "ftp://api.machines.dev"),
            ("TRUSTED_PROXIES", "10.0.0.0/33"),
            ("TRUSTED_PROXIES", "proxy.internal"),
            ("ALLOWED_ORIGINS", "baa.example.com"),
            ("ALLOWED_ORIGINS", "https://baa.example.com/path"),
            ("PASSWORD_HASH_CONCURRENCY", "0"),
            ("WEBHOOK_ALLOW_HTTP", "sometimes"),
            ("WEBHOOK_ALLOW_PRIVATE", "2"),
            ("WORKSPACE_CREATORS", "admins"),
            ("INVITATIONS_PER_DAY", "0"),
            ("PACKET_WORKERS", "100"),
            ("PACKETS_PER_WORKSPACE", "0"),
            ("PACKET_SIGNING_KEY", "c2hvcnQ="),
            ("PDF_CHECK_CONCURRENCY", "0"),
        ] {
            let e = cfg(&[(var, value)]).expect_err(var);
            assert_eq!(e.var, var);
            assert!(e.to_string().contains(var));
        }
    }

    #[test]
    fn the_client_ip_header_needs_trusted_proxies() {
        let e = cfg(&[("CLIENT_IP_HEADER", "Fly-Client-IP")]).expect_err("no proxies");
        assert_eq!(e.var, "TRUSTED_PROXIES");
        let c =
            cfg(&[("CLIENT_IP_HEADER", "Fly-Client-IP"), ("TRUSTED_PROXIES", "172.16.0.0/12, fdaa::/16")])
                .expect("proxies");
        assert_eq!(c.trusted_proxies.len(), 2);
        assert!(c.trusted_proxies[0].contains("172.19.3.4".parse().expect("ip")));
        assert!(!c.trusted_proxies[0].contains("172.32.0.1".parse().expect("ip")));
        assert!(c.trusted_proxies[1].contains("fdaa:0:1::3".parse().expect("ip")));
        assert!(IpNet::parse("127.0.0.1").expect("one").contains("::ffff:127.0.0.1".parse().expect("ip")));
        assert!(IpNet::parse("0.0.0.0/0").expect("all").contains("8.8.8.8".parse().expect("ip")));
    }

    #[test]
    fn secure_defaults_for_the_hostile_review_settings() {
        let c = cfg(&[]).expect("defaults");
        assert_eq!(c.webhook_policy, WebhookPolicy::default());
        assert_eq!(c.workspace_creators, WorkspaceCreators::Owners);
        assert!(c.allowed_origins.is_empty());
        assert!(c.password_hash_concurrency >= 1);
        assert_eq!(c.packet_workers, 1);
        let c = cfg(&[("ALLOWED_ORIGINS", "https://baa.example.com, https://admin.example.com:8443")])
            .expect("origins");
        assert_eq!(c.allowed_origins, ["https://baa.example.com", "https://admin.example.com:8443"]);
    }

    #[test]
    fn s3_document_store_reads_tigris_variables() {
        assert_eq!(cfg(&[]).expect("cfg").document_store, DocumentStore::Local);
        let e = cfg(&[("DOCUMENT_STORE", "s3")]).expect_err("no bucket");
        assert_eq!(e.var, "DOCUMENT_BUCKET");
        let e = cfg(&[("DOCUMENT_STORE", "s3"), ("BUCKET_NAME", "docs")]).expect_err("no key");
        assert_eq!(e.var, "AWS_ACCESS_KEY_ID");
        let e = cfg(&[
            ("DOCUMENT_STORE", "s3"),
            ("BUCKET_NAME", "docs"),
            ("AWS_ENDPOINT_URL_S3", "fly.storage.tigris.dev"),
        ])
        .expect_err("bad endpoint");
        assert_eq!(e.var, "AWS_ENDPOINT_URL_S3");
        let c = cfg(&[
            ("DOCUMENT_STORE", "s3"),
            ("BUCKET_NAME", "docs"),
            ("AWS_ENDPOINT_URL_S3", "https://fly.storage.tigris.dev"),
            ("AWS_ACCESS_KEY_ID", "tid_x"),
            ("AWS_SECRET_ACCESS_KEY", "tsec_y"),
        ])
        .expect("tigris");
        match c.document_store {
            DocumentStore::S3 { bucket, endpoint, region, .. } => {
                assert_eq!(bucket, "docs");
                assert_eq!(endpoint.as_deref(), Some("https://fly.storage.tigris.dev"));
                assert_eq!(region, "auto");
            }
            DocumentStore::Local => panic!("expected s3"),
        }
    }

    #[test]
    fn fly_endpoints_default_to_fly_and_allow_a_local_fake() {
        let c = cfg(&[]).expect("defaults");
        assert_eq!(c.fly_api_url.as_str(), "https://api.fly.io/graphql");
        assert_eq!(c.fly_machines_api_url.as_str(), "https://api.machines.dev/");
        let c = cfg(&[("FLY_API_URL", "http://127.0.0.1:4010/graphql")]).expect("loopback");
        assert_eq!(c.fly_api_url.as_str(), "http://127.0.0.1:4010/graphql");
    }

    #[test]
    fn links_join_public_url() {
        let c = cfg(&[("PUBLIC_URL", "https://baa.example.com/")]).expect("cfg");
        assert_eq!(c.link("/invite/abc"), "https://baa.example.com/invite/abc");
        assert!(c.is_https());
    }
}
