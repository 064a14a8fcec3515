//! Platform safeguards (issue 18): what Fly.io's healthcare blueprint asks for besides the BAA,
//! checked from an app's fly.toml. Pure: no IO, no clock.
//!
//! Two steps:
//!
//! 1. [`PlatformConfig::parse`] reads one fly.toml into facts, each with the file and line it
//!    was read from: app, primary region, image, `[http_service]` and `[[services]]` with their
//!    ports and handlers, `[[mounts]]` with their snapshot settings, `[env]` (and
//!    `[build.args]`, `[[files]]`) entries that look like credentials (name, line and why;
//!    **never the value**), signs of a database app, and the environments the file, the app name
//!    and `NODE_ENV`-like entries name. Malformed TOML is an [`ImportError`] with file and line.
//!    This is the project's one fly.toml reader: the import reads app, region and volumes here.
//! 2. [`check`] runs the [`SafeguardRule`]s over the configs of one or more apps, with what the
//!    tracker knows about each (PHI, the org's environment, secret names, public addresses) and
//!    the workspace's [`SafeguardPolicy`] (snapshot retention, approved exceptions), and gives
//!    one [`SafeguardResult`] per (file, rule): passed, passed by exception, failed, or not
//!    verifiable from the data, with severity, explanation, next step, and file and line.
//!
//! ```
//! use baa_core::safeguards::{check, PlatformConfig, SafeguardInput, SafeguardPolicy, CheckState};
//! let config = PlatformConfig::parse("fly.toml", "app = 'acme-api'\n[http_service]\ninternal_port = 8080\n").unwrap();
//! let input = SafeguardInput::new(config); // PHI unknown, so treated as PHI
//! let day = chrono::NaiveDate::from_ymd_opt(2026, 12, 1).unwrap();
//! let report = check(&[input], &SafeguardPolicy::default(), day);
//! assert!(report.results.iter().any(|r| r.rule.as_str() == "transport-unencrypted" && r.state == CheckState::Failed));
//! ```
//!
//! Rules, what cannot be verified from fly.toml, and the decisions taken are written down in
//! `docs/coverage-rules.md` ("Platform safeguards").

mod checks;
mod credentials;
mod fly_toml;
mod world;

use serde::{Deserialize, Serialize};

use crate::coverage::Environment;
use crate::source::{ImportError, Location};

pub use crate::coverage::{
    SafeguardException, SafeguardPolicy, SafeguardRule, DEFAULT_SNAPSHOT_RETENTION_DAYS,
};
pub use checks::{
    check, CheckState, Problem, SafeguardInput, SafeguardReport, SafeguardResult,
    FLY_DEFAULT_SNAPSHOT_RETENTION_DAYS,
};
pub use world::{app_phi, check_world, AppFacts};

/// A value read from a fly.toml, with the place it was read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Fact<T> {
    /// The value.
    pub value: T,
    /// File and line.
    pub at: Location,
}

/// What the safeguard checks need from one fly.toml. Holds no value of any `[env]`,
/// `[build.args]` or `[[files]]` entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlatformConfig {
    /// The file name as given (`fly.toml`, `deploy/fly.staging.toml`).
    pub file: String,
    /// `app`.
    pub app: Option<Fact<String>>,
    /// `primary_region`.
    pub primary_region: Option<Fact<String>>,
    /// `[build] image`.
    pub image: Option<Fact<String>>,
    /// `[http_service]`, with the ports flyctl makes of it (80 with `http`, 443 with `tls` +
    /// `http`) marked as implied.
    pub http_service: Option<ServiceConfig>,
    /// Each `[[services]]` (a single `[services]` table too), in file order.
    pub services: Vec<ServiceConfig>,
    /// Each `[[mounts]]` (also `[mounts]` and the old `[[mount]]`), in file order.
    pub mounts: Vec<MountConfig>,
    /// Entries that look like credentials: name, line and why, never the value.
    pub credentials: Vec<ConfigCredential>,
    /// How many `[env]` entries were read (credentials included).
    pub env_entries: usize,
    /// Environments named by the file name, the app name and `NODE_ENV`-like `[env]` entries.
    pub environment_hints: Vec<EnvironmentHint>,
    /// Why this looks like a database app (image, database ports, `pg_tls` handler).
    pub database: Vec<DatabaseSign>,
    /// `[env]` names of database backup tools (pgBackRest, Barman, WAL-G, Litestream).
    pub backup_hints: Vec<Fact<String>>,
}

impl PlatformConfig {
    /// Reads a fly.toml. `file` is the name reported in every location and error (and the name
    /// whose words say which environment the file is for: `fly.staging.toml`). Invalid TOML,
    /// or a key the checks read with a type flyctl refuses, is an error on its line.
    pub fn parse(file: &str, text: &str) -> Result<Self, ImportError> {
        fly_toml::parse(file, text)
    }

    fn empty(file: &str) -> Self {
        Self {
            file: file.to_owned(),
            app: None,
            primary_region: None,
            image: None,
            http_service: None,
            services: Vec::new(),
            mounts: Vec::new(),
            credentials: Vec::new(),
            env_entries: 0,
            environment_hints: Vec::new(),
            database: Vec::new(),
            backup_hints: Vec::new(),
        }
    }

    /// The app name, when the file sets one.
    pub fn app_name(&self) -> Option<&str> {
        self.app.as_ref().map(|a| a.value.as_str())
    }

    /// `[http_service]` first, then every `[[services]]`, as flyctl deploys them.
    pub fn all_services(&self) -> impl Iterator<Item = &ServiceConfig> {
        self.http_service.iter().chain(self.services.iter())
    }

    /// Whether anything marks this as a database app.
    pub fn is_database(&self) -> bool {
        !self.database.is_empty()
    }

    /// Whether this is a Fly Postgres app (a `flyio/postgres*` image).
    pub fn is_fly_postgres(&self) -> bool {
        self.database.iter().any(|d| d.fly_postgres)
    }

    /// Where the file is, for facts that are about the file as a whole (the `app` line if any).
    pub fn location(&self) -> Location {
        self.app.as_ref().map_or_else(|| Location::file(&self.file), |a| a.at.clone())
    }
}

/// Which table a service came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ServiceKind {
    /// `[http_service]`.
    HttpService,
    /// `[[services]]`.
    Service,
}

/// A service of the Fly proxy.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServiceConfig {
    /// `[http_service]` or `[[services]]`.
    pub kind: ServiceKind,
    /// `protocol` (`tcp`, `udp`); `tcp` for `[http_service]`.
    pub protocol: Option<String>,
    /// `internal_port`.
    pub internal_port: Option<u16>,
    /// `force_https` of `[http_service]` (for `[[services]]` it is per port).
    pub force_https: Option<Fact<bool>>,
    /// Public ports.
    pub ports: Vec<PortConfig>,
    /// `processes` it applies to (empty: all).
    pub processes: Vec<String>,
    /// The table's line.
    pub at: Location,
}

/// A public port of a service.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PortConfig {
    /// `port`.
    pub port: Option<u16>,
    /// `start_port` of a range.
    pub start_port: Option<u16>,
    /// `end_port` of a range.
    pub end_port: Option<u16>,
    /// `handlers` (`http`, `tls`, `pg_tls`, `proxy_proto`, ...); empty is raw TCP or UDP.
    pub handlers: Vec<String>,
    /// `force_https`: plain HTTP is answered with a redirect to HTTPS.
    pub force_https: bool,
    /// Made by flyctl from `[http_service]`, not written in the file.
    pub implied: bool,
    /// The port's line (for implied ports, the `force_https` line or the `[http_service]` line).
    pub at: Location,
}

impl PortConfig {
    /// `80`, `8000-8009`, or `?` when the file gives no port.
    pub fn label(&self) -> String {
        match (self.port, self.start_port, self.end_port) {
            (Some(p), _, _) => p.to_string(),
            (None, Some(a), Some(b)) => format!("{a}-{b}"),
            (None, Some(a), None) => format!("{a}-"),
            _ => "?".to_owned(),
        }
    }

    fn has(&self, handler: &str) -> bool {
        self.handlers.iter().any(|h| h.eq_ignore_ascii_case(handler))
    }
}

/// A volume mount.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MountConfig {
    /// `source`: the volume name.
    pub source: Option<String>,
    /// `destination`: where it is mounted.
    pub destination: Option<String>,
    /// `snapshot_retention` in days (flyctl accepts 1 to 60; Fly keeps 5 when unset).
    pub snapshot_retention: Option<Fact<i64>>,
    /// `scheduled_snapshots` (daily snapshots; on when unset).
    pub scheduled_snapshots: Option<Fact<bool>>,
    /// `processes` it is mounted for (empty: all).
    pub processes: Vec<String>,
    /// The table's line.
    pub at: Location,
}

/// Where a credential-looking entry was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ConfigSection {
    /// `[env]`: set in every Machine's environment, and kept in version control.
    Env,
    /// `[build.args]`: passed to the image build and kept in the image's history.
    BuildArgs,
    /// `[[files]]` with inline `raw_value` content.
    Files,
}

impl ConfigSection {
    /// The table's name as written in fly.toml.
    pub fn table(self) -> &'static str {
        match self {
            ConfigSection::Env => "[env]",
            ConfigSection::BuildArgs => "[build.args]",
            ConfigSection::Files => "[[files]]",
        }
    }
}

/// An entry that looks like a credential. Deliberately has no field for the value.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConfigCredential {
    /// The table it is in.
    pub section: ConfigSection,
    /// The entry's name (the variable, or the file's `guest_path`).
    pub name: String,
    /// Why it looks like a credential, in words that quote nothing of the value.
    pub why: String,
    /// The entry's line.
    pub at: Location,
}

/// A database engine.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum DatabaseEngine {
    /// PostgreSQL (Fly Postgres included).
    Postgres,
    /// MySQL or MariaDB.
    Mysql,
    /// Redis, Valkey, KeyDB.
    Redis,
    /// MongoDB.
    Mongodb,
}

impl DatabaseEngine {
    /// Display name.
    pub fn label(self) -> &'static str {
        match self {
            DatabaseEngine::Postgres => "Postgres",
            DatabaseEngine::Mysql => "MySQL",
            DatabaseEngine::Redis => "Redis",
            DatabaseEngine::Mongodb => "MongoDB",
        }
    }
}

/// One reason to think an app is a database.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DatabaseSign {
    /// Which engine.
    pub engine: DatabaseEngine,
    /// A Fly Postgres image (`flyio/postgres*`).
    pub fly_postgres: bool,
    /// What was seen.
    pub why: String,
    /// Where.
    pub at: Location,
}

/// What named an environment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", tag = "source")]
pub enum HintSource {
    /// A word of the file name (`fly.staging.toml`).
    FileName,
    /// A word of the app name (`acme-api-staging`).
    AppName,
    /// The value of an `[env]` entry such as `NODE_ENV` or `RAILS_ENV`.
    Env {
        /// The entry's name.
        key: String,
    },
}

/// An environment named somewhere in a fly.toml.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EnvironmentHint {
    /// What named it.
    #[serde(flatten)]
    pub source: HintSource,
    /// The environment.
    pub environment: Environment,
    /// Where.
    pub at: Location,
}
