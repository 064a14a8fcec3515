//! Reading one fly.toml into [`PlatformConfig`]: the one place the project reads fly.toml (the
//! import's `fly_import::toml_file` reads its app, region and volumes from here too).
//!
//! The file is parsed into the toml crate's spanned tree and walked by hand rather than
//! deserialized into structs, because flyctl accepts several shapes for the same setting
//! (`[mounts]` or `[[mounts]]` or `[[mount]]`, `port = "80"` or `port = 80`, `[env]` values of
//! any type; see flyctl `internal/appconfig/patches.go`) and every fact needs its own line.
//! Keys this module does not read are ignored, as flyctl ignores keys it does not know; keys it
//! reads must have a type flyctl accepts, otherwise the file is refused on that key's line.
//!
//! `[env]`, `[build.args]` and `[[files]]` values are looked at to judge whether they are
//! credentials and are dropped on the spot: nothing derived from a value is stored except the
//! environment named by `NODE_ENV`-like entries (not credentials) and the verdict's reason.

use std::ops::Range;

use toml::de::{DeTable, DeValue};
use toml::Spanned;

use super::credentials;
use super::{
    ConfigCredential, ConfigSection, DatabaseEngine, DatabaseSign, EnvironmentHint, Fact, HintSource,
    MountConfig, PlatformConfig, PortConfig, ServiceConfig, ServiceKind,
};
use crate::coverage::Environment;
use crate::source::{ImportError, Location};

type Value<'i> = Spanned<DeValue<'i>>;

/// Ports whose service marks a database app: Postgres (and Fly Postgres' direct port 5433),
/// MySQL, Redis, MongoDB.
const DATABASE_PORTS: &[(u16, DatabaseEngine)] = &[
    (5432, DatabaseEngine::Postgres),
    (5433, DatabaseEngine::Postgres),
    (3306, DatabaseEngine::Mysql),
    (6379, DatabaseEngine::Redis),
    (27017, DatabaseEngine::Mongodb),
];

/// `[env]` keys whose value names the environment the app runs as.
const ENVIRONMENT_KEYS: &[&str] = &[
    "NODE_ENV",
    "RAILS_ENV",
    "RACK_ENV",
    "APP_ENV",
    "APP_ENVIRONMENT",
    "ENVIRONMENT",
    "ENV",
    "MIX_ENV",
    "FLASK_ENV",
    "DJANGO_ENV",
    "DJANGO_SETTINGS_MODULE",
    "GO_ENV",
    "ASPNETCORE_ENVIRONMENT",
    "DOTNET_ENVIRONMENT",
    "SENTRY_ENVIRONMENT",
    "DEPLOY_ENV",
    "DEPLOYMENT_ENV",
    "STAGE",
];

/// `[env]` key prefixes of database backup tools (pgBackRest, Barman as Fly Postgres uses it,
/// WAL-G, WAL-E, Litestream).
const BACKUP_KEY_PREFIXES: &[&str] =
    &["PGBACKREST_", "BARMAN_", "WALG_", "WALE_", "LITESTREAM_", "S3_ARCHIVE_"];

/// The environment a word of a name stands for. The staging and development words are those of
/// `App::environment` in the coverage engine, so a name means the same thing in both places.
pub(super) fn word_environment(word: &str) -> Option<Environment> {
    match word {
        "staging" | "stage" | "stg" | "qa" | "test" | "preview" | "uat" => Some(Environment::Staging),
        "dev" | "development" | "sandbox" => Some(Environment::Development),
        "production" | "prod" | "prd" => Some(Environment::Production),
        _ => None,
    }
}

/// The environments the words of `text` name, in order, without repeats.
pub(super) fn environments_named(text: &str) -> Vec<Environment> {
    let lower = text.to_ascii_lowercase();
    let mut out = Vec::new();
    for env in lower.split(|c: char| !c.is_ascii_alphanumeric()).filter_map(word_environment) {
        if !out.contains(&env) {
            out.push(env);
        }
    }
    out
}

struct Doc<'a> {
    file: &'a str,
    /// Byte offset where each line starts.
    starts: Vec<usize>,
}

impl<'a> Doc<'a> {
    fn new(file: &'a str, text: &str) -> Self {
        let starts = std::iter::once(0)
            .chain(text.bytes().enumerate().filter(|(_, b)| *b == b'\n').map(|(i, _)| i + 1));
        Self { file, starts: starts.collect() }
    }

    fn line(&self, offset: usize) -> usize {
        match self.starts.binary_search(&offset) {
            Ok(i) => i + 1,
            Err(i) => i,
        }
    }

    fn at(&self, span: &Range<usize>) -> Location {
        Location::line(self.file, self.line(span.start))
    }

    fn error(&self, offset: Option<usize>, message: impl std::fmt::Display) -> ImportError {
        ImportError::at(self.file, offset.map(|o| self.line(o)), format!("not a valid fly.toml: {message}"))
    }

    fn wrong(&self, v: &Value<'_>, path: &str, expected: &str) -> ImportError {
        // Only the key and the expected type: the value may be a secret.
        self.error(
            Some(v.span().start),
            format!("`{path}` must be {expected}, not {}", v.get_ref().type_str()),
        )
    }

    fn string(&self, v: &Value<'_>, path: &str) -> Result<Fact<String>, ImportError> {
        match v.get_ref() {
            DeValue::String(s) => Ok(Fact { value: s.to_string(), at: self.at(&v.span()) }),
            _ => Err(self.wrong(v, path, "a string")),
        }
    }

    fn bool(&self, v: &Value<'_>, path: &str) -> Result<Fact<bool>, ImportError> {
        match v.get_ref() {
            DeValue::Boolean(b) => Ok(Fact { value: *b, at: self.at(&v.span()) }),
            _ => Err(self.wrong(v, path, "true or false")),
        }
    }

    /// A whole number; flyctl also takes one written as a string (`port = "80"`) or a float.
    fn int(&self, v: &Value<'_>, path: &str) -> Result<Fact<i64>, ImportError> {
        let n = match v.get_ref() {
            DeValue::Integer(i) => i64::from_str_radix(i.as_str(), i.radix()).ok(),
            DeValue::String(s) => s.trim().parse::<i64>().ok(),
            DeValue::Float(f) => f
                .as_str()
                .parse::<f64>()
                .ok()
                .filter(|x| x.fract() == 0.0 && x.abs() < 1e15)
                .map(|x| x as i64),
            _ => None,
        };
        n.map(|value| Fact { value, at: self.at(&v.span()) })
            .ok_or_else(|| self.wrong(v, path, "a whole number"))
    }

    fn port(&self, v: &Value<'_>, path: &str) -> Result<Fact<u16>, ImportError> {
        let n = self.int(v, path)?;
        let value = u16::try_from(n.value).map_err(|_| self.wrong(v, path, "a port number (0 to 65535)"))?;
        Ok(Fact { value, at: n.at })
    }

    /// A list of strings (flyctl also takes a single string for lists like `processes`).
    fn strings(&self, v: &Value<'_>, path: &str) -> Result<Vec<String>, ImportError> {
        match v.get_ref() {
            DeValue::String(s) => Ok(vec![s.to_string()]),
            DeValue::Array(items) => {
                items.iter().map(|i| self.string(i, path).map(|f| f.value)).collect::<Result<Vec<_>, _>>()
            }
            _ => Err(self.wrong(v, path, "a list of strings")),
        }
    }

    /// A table, or an array of tables (`[mounts]` and `[[mounts]]` mean the same to flyctl).
    fn tables<'t, 'i>(
        &self,
        v: &'t Value<'i>,
        path: &str,
    ) -> Result<Vec<(&'t DeTable<'i>, Range<usize>)>, ImportError> {
        match v.get_ref() {
            DeValue::Table(t) => Ok(vec![(t, v.span())]),
            DeValue::Array(items) => items
                .iter()
                .map(|i| match i.get_ref() {
                    DeValue::Table(t) => Ok((t, i.span())),
                    _ => Err(self.wrong(i, path, "a table")),
                })
                .collect(),
            _ => Err(self.wrong(v, path, "a table")),
        }
    }

    fn table<'t, 'i>(&self, v: &'t Value<'i>, path: &str) -> Result<&'t DeTable<'i>, ImportError> {
        match v.get_ref() {
            DeValue::Table(t) => Ok(t),
            _ => Err(self.wrong(v, path, "a table")),
        }
    }

    fn opt<T>(
        &self,
        t: &DeTable<'_>,
        key: &str,
        path: &str,
        read: impl Fn(&Self, &Value<'_>, &str) -> Result<T, ImportError>,
    ) -> Result<Option<T>, ImportError> {
        let path = if path.is_empty() { key.to_owned() } else { format!("{path}.{key}") };
        t.get(key).map(|v| read(self, v, &path)).transpose()
    }
}

/// The entries of a table in file order (the parsed table is sorted by key).
fn entries<'t, 'i>(t: &'t DeTable<'i>) -> Vec<(&'t Spanned<std::borrow::Cow<'i, str>>, &'t Value<'i>)> {
    let mut list: Vec<_> = t.iter().collect();
    list.sort_by_key(|(k, _)| k.span().start);
    list
}

/// A scalar as flyctl turns it into an environment variable (`fmt.Sprintf("%v")`); `None` for
/// arrays and tables, which cannot hold a credential the checks could name.
fn scalar_text<'v>(v: &'v DeValue<'_>) -> Option<std::borrow::Cow<'v, str>> {
    use std::borrow::Cow;
    match v {
        DeValue::String(s) => Some(Cow::Borrowed(s.as_ref())),
        DeValue::Integer(i) => Some(Cow::Borrowed(i.as_str())),
        DeValue::Float(f) => Some(Cow::Borrowed(f.as_str())),
        DeValue::Boolean(b) => Some(Cow::Borrowed(if *b { "true" } else { "false" })),
        DeValue::Datetime(d) => Some(Cow::Owned(d.to_string())),
        DeValue::Array(_) | DeValue::Table(_) => None,
    }
}

/// Parses a fly.toml; invalid TOML, or a key this module reads with a type flyctl refuses, is an
/// error on its line.
pub(super) fn parse(file: &str, text: &str) -> Result<PlatformConfig, ImportError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let doc = Doc::new(file, text);
    let root = DeTable::parse(text).map_err(|e| doc.error(e.span().map(|s| s.start), e.message().trim()))?;
    let root = root.get_ref();
    let mut config = PlatformConfig {
        file: file.to_owned(),
        app: doc.opt(root, "app", "", Doc::string)?,
        primary_region: doc.opt(root, "primary_region", "", Doc::string)?,
        ..PlatformConfig::empty(file)
    };

    if let Some(build) = root.get("build").map(|v| doc.table(v, "build")).transpose()? {
        config.image = doc.opt(build, "image", "build", Doc::string)?;
        if let Some(args) = build.get("args").map(|v| doc.table(v, "build.args")).transpose()? {
            for (key, value) in entries(args) {
                let why = credentials::judge(key.get_ref(), scalar_text(value.get_ref()).as_deref());
                if let Some(why) = why {
                    config.credentials.push(ConfigCredential {
                        section: ConfigSection::BuildArgs,
                        name: key.get_ref().to_string(),
                        why,
                        at: doc.at(&key.span()),
                    });
                }
            }
        }
    }

    // `[env]` is a table; flyctl also merges an array of tables (`[[env]]`, old files).
    if let Some(env) = root.get("env") {
        for (table, _) in doc.tables(env, "env")? {
            for (key, value) in entries(table) {
                read_env_entry(&doc, &mut config, key, value);
            }
        }
    }

    if let Some(v) = root.get("http_service") {
        let t = doc.table(v, "http_service")?;
        config.http_service = Some(read_service(&doc, t, &v.span(), ServiceKind::HttpService)?);
    }
    if let Some(v) = root.get("services") {
        for (t, span) in doc.tables(v, "services")? {
            config.services.push(read_service(&doc, t, &span, ServiceKind::Service)?);
        }
    }

    let mut mounts = Vec::new();
    for key in ["mounts", "mount"] {
        if let Some(v) = root.get(key) {
            for (t, span) in doc.tables(v, key)? {
                mounts.push(read_mount(&doc, t, &span, key)?);
            }
        }
    }
    mounts.sort_by_key(|m: &MountConfig| m.at.line);
    config.mounts = mounts;

    if let Some(v) = root.get("files") {
        for (t, span) in doc.tables(v, "files")? {
            let guest_path = doc.opt(t, "guest_path", "files", Doc::string)?;
            let raw_value = t.get("raw_value");
            if let Some(raw) = raw_value {
                let content = scalar_text(raw.get_ref())
                    .ok_or_else(|| doc.wrong(raw, "files.raw_value", "a string"))?;
                let path = guest_path.as_ref().map_or("", |g| g.value.as_str());
                if let Some(why) = credentials::judge_file(path, &content) {
                    config.credentials.push(ConfigCredential {
                        section: ConfigSection::Files,
                        name: if path.is_empty() { "(no guest_path)".to_owned() } else { path.to_owned() },
                        why,
                        at: doc.at(&span),
                    });
                }
            }
        }
    }

    config.credentials.sort_by_key(|c| c.at.line);
    add_environment_hints(&mut config);
    add_database_signs(&mut config);
    Ok(config)
}

fn read_env_entry(
    doc: &Doc<'_>,
    config: &mut PlatformConfig,
    key: &Spanned<std::borrow::Cow<'_, str>>,
    value: &Value<'_>,
) {
    let name = key.get_ref().as_ref();
    let at = doc.at(&key.span());
    let text = scalar_text(value.get_ref());
    config.env_entries += 1;
    if let Some(why) = credentials::judge(name, text.as_deref()) {
        config.credentials.push(ConfigCredential {
            section: ConfigSection::Env,
            name: name.to_owned(),
            why,
            at,
        });
        // A credential is never read for anything else.
        return;
    }
    let upper = name.to_ascii_uppercase();
    if ENVIRONMENT_KEYS.contains(&upper.as_str()) {
        for environment in text.as_deref().map(environments_named).unwrap_or_default() {
            config.environment_hints.push(EnvironmentHint {
                source: HintSource::Env { key: name.to_owned() },
                environment,
                at: at.clone(),
            });
        }
    }
    if BACKUP_KEY_PREFIXES.iter().any(|p| upper.starts_with(p)) {
        config.backup_hints.push(Fact { value: name.to_owned(), at });
    }
}

fn read_service(
    doc: &Doc<'_>,
    t: &DeTable<'_>,
    span: &Range<usize>,
    kind: ServiceKind,
) -> Result<ServiceConfig, ImportError> {
    let path = match kind {
        ServiceKind::HttpService => "http_service",
        ServiceKind::Service => "services",
    };
    let at = doc.at(span);
    let internal_port = doc.opt(t, "internal_port", path, Doc::port)?.map(|f| f.value);
    let processes = doc.opt(t, "processes", path, Doc::strings)?.unwrap_or_default();
    let mut service = ServiceConfig {
        kind,
        protocol: None,
        internal_port,
        force_https: None,
        ports: Vec::new(),
        processes,
        at: at.clone(),
    };
    match kind {
        ServiceKind::HttpService => {
            // flyctl turns `[http_service]` into port 80 (`http`, with `force_https`) and port
            // 443 (`tls` + `http`) on TCP (`HTTPService.ToService` in appconfig/service.go).
            let force_https = doc.opt(t, "force_https", path, Doc::bool)?;
            let forced = force_https.as_ref().is_some_and(|f| f.value);
            let port80_at = force_https.as_ref().map_or_else(|| at.clone(), |f| f.at.clone());
            service.protocol = Some("tcp".to_owned());
            service.ports = vec![
                PortConfig {
                    port: Some(80),
                    start_port: None,
                    end_port: None,
                    handlers: vec!["http".to_owned()],
                    force_https: forced,
                    implied: true,
                    at: port80_at,
                },
                PortConfig {
                    port: Some(443),
                    start_port: None,
                    end_port: None,
                    handlers: vec!["http".to_owned(), "tls".to_owned()],
                    force_https: false,
                    implied: true,
                    at: at.clone(),
                },
            ];
            service.force_https = force_https;
        }
        ServiceKind::Service => {
            service.protocol = doc.opt(t, "protocol", path, Doc::string)?.map(|f| f.value);
            if let Some(v) = t.get("ports") {
                let port_path = format!("{path}.ports");
                for (p, span) in doc.tables(v, &port_path)? {
                    service.ports.push(PortConfig {
                        port: doc.opt(p, "port", &port_path, Doc::port)?.map(|f| f.value),
                        start_port: doc.opt(p, "start_port", &port_path, Doc::port)?.map(|f| f.value),
                        end_port: doc.opt(p, "end_port", &port_path, Doc::port)?.map(|f| f.value),
                        handlers: doc.opt(p, "handlers", &port_path, Doc::strings)?.unwrap_or_default(),
                        force_https: doc
                            .opt(p, "force_https", &port_path, Doc::bool)?
                            .is_some_and(|f| f.value),
                        implied: false,
                        at: doc.at(&span),
                    });
                }
            }
        }
    }
    Ok(service)
}

fn read_mount(
    doc: &Doc<'_>,
    t: &DeTable<'_>,
    span: &Range<usize>,
    key: &str,
) -> Result<MountConfig, ImportError> {
    Ok(MountConfig {
        source: doc.opt(t, "source", key, Doc::string)?.map(|f| f.value),
        destination: doc.opt(t, "destination", key, Doc::string)?.map(|f| f.value),
        snapshot_retention: doc.opt(t, "snapshot_retention", key, Doc::int)?,
        scheduled_snapshots: doc.opt(t, "scheduled_snapshots", key, Doc::bool)?,
        processes: doc.opt(t, "processes", key, Doc::strings)?.unwrap_or_default(),
        at: doc.at(span),
    })
}

/// Environments named by the file name (`fly.staging.toml`) and the app name (`acme-api-staging`).
fn add_environment_hints(config: &mut PlatformConfig) {
    let base = config.file.rsplit(['/', '\\']).next().unwrap_or_default();
    let stem = base.strip_suffix(".toml").unwrap_or(base);
    let mut hints: Vec<EnvironmentHint> = environments_named(stem)
        .into_iter()
        .map(|environment| EnvironmentHint {
            source: HintSource::FileName,
            environment,
            at: Location::file(&config.file),
        })
        .collect();
    if let Some(app) = &config.app {
        hints.extend(environments_named(&app.value).into_iter().map(|environment| EnvironmentHint {
            source: HintSource::AppName,
            environment,
            at: app.at.clone(),
        }));
    }
    hints.append(&mut config.environment_hints);
    config.environment_hints = hints;
}

/// Words of an image's last path segment that name a database engine.
fn image_engine(image: &str) -> Option<DatabaseEngine> {
    const NOT_A_DATABASE: &[&str] = &[
        "exporter",
        "commander",
        "admin",
        "pgadmin",
        "ui",
        "web",
        "gui",
        "insight",
        "insights",
        "backup",
        "operator",
        "studio",
        "client",
        "cli",
        "browser",
        "dashboard",
        "monitor",
        "proxy",
    ];
    let name = image_repository(image);
    let last = name.rsplit('/').next().unwrap_or_default().to_ascii_lowercase();
    let words: Vec<&str> = last.split(['-', '_', '.']).collect();
    if words.iter().any(|w| NOT_A_DATABASE.contains(w)) {
        return None;
    }
    words.iter().find_map(|w| match *w {
        "postgres" | "postgresql" | "postgis" | "timescaledb" | "pgvector" => Some(DatabaseEngine::Postgres),
        "mysql" | "mariadb" | "percona" => Some(DatabaseEngine::Mysql),
        "redis" | "valkey" | "keydb" => Some(DatabaseEngine::Redis),
        "mongo" | "mongodb" => Some(DatabaseEngine::Mongodb),
        _ => None,
    })
}

/// `registry.example.com:5000/owner/name:tag@sha256:...` without registry, tag and digest.
fn image_repository(image: &str) -> &str {
    let image = image.split('@').next().unwrap_or_default().trim();
    let mut parts = image.splitn(2, '/');
    let first = parts.next().unwrap_or_default();
    let path = match parts.next() {
        Some(rest) if first.contains(['.', ':']) || first == "localhost" => rest,
        _ => image,
    };
    match path.rsplit_once(':') {
        Some((repo, tag)) if !tag.contains('/') => repo,
        _ => path,
    }
}

/// Fly Postgres images are `flyio/postgres`, `flyio/postgres-flex` and their relatives.
fn is_fly_postgres_image(image: &str) -> bool {
    let repo = image_repository(image).to_ascii_lowercase();
    let repo = repo.strip_prefix("library/").unwrap_or(&repo);
    repo.starts_with("flyio/postgres")
}

fn add_database_signs(config: &mut PlatformConfig) {
    let mut signs = Vec::new();
    if let Some(image) = &config.image {
        if is_fly_postgres_image(&image.value) {
            signs.push(DatabaseSign {
                engine: DatabaseEngine::Postgres,
                fly_postgres: true,
                why: format!("the image `{}` is Fly Postgres", image.value),
                at: image.at.clone(),
            });
        } else if let Some(engine) = image_engine(&image.value) {
            signs.push(DatabaseSign {
                engine,
                fly_postgres: false,
                why: format!("the image `{}` is a {} server", image.value, engine.label()),
                at: image.at.clone(),
            });
        }
    }
    let db_port = |p: u16| DATABASE_PORTS.iter().find(|(n, _)| *n == p).map(|(_, e)| *e);
    for service in config.services.iter().chain(config.http_service.iter()) {
        if let Some(engine) = service.internal_port.and_then(db_port) {
            signs.push(DatabaseSign {
                engine,
                fly_postgres: false,
                why: format!(
                    "a service forwards to internal port {}, the {} port",
                    service.internal_port.unwrap_or_default(),
                    engine.label()
                ),
                at: service.at.clone(),
            });
        }
        for port in service.ports.iter().filter(|p| !p.implied) {
            if let Some((n, engine)) = port.port.and_then(|n| db_port(n).map(|e| (n, e))) {
                signs.push(DatabaseSign {
                    engine,
                    fly_postgres: false,
                    why: format!("the service listens on port {n}, the {} port", engine.label()),
                    at: port.at.clone(),
                });
            }
            if port.handlers.iter().any(|h| h == "pg_tls") {
                signs.push(DatabaseSign {
                    engine: DatabaseEngine::Postgres,
                    fly_postgres: false,
                    why: "a port uses the `pg_tls` handler, which only Postgres speaks".to_owned(),
                    at: port.at.clone(),
                });
            }
        }
    }
    signs.sort_by_key(|s| s.at.line);
    config.database = signs;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn images_name_their_engine_by_word() {
        for (image, engine) in [
            ("flyio/postgres-flex:15.3", Some(DatabaseEngine::Postgres)),
            ("postgres:16", Some(DatabaseEngine::Postgres)),
            ("ghcr.io/mythal/boluo/boluo-postgres:v26.07.27", Some(DatabaseEngine::Postgres)),
            ("docker.io/bitnami/redis:7", Some(DatabaseEngine::Redis)),
            ("mongo", Some(DatabaseEngine::Mongodb)),
            ("mariadb:11", Some(DatabaseEngine::Mysql)),
            ("postgrest/postgrest", None),
            ("prometheuscommunity/postgres-exporter", None),
            ("rediscommander/redis-commander", None),
            ("ghcr.io/reddit-diabetes/diabot:latest", None),
            ("localhost:5000/postgres", Some(DatabaseEngine::Postgres)),
        ] {
            assert_eq!(image_engine(image), engine, "{image}");
        }
        assert!(is_fly_postgres_image("flyio/postgres-flex:15.3"));
        assert!(is_fly_postgres_image("registry-1.docker.io/flyio/postgres:14.6"));
        assert!(!is_fly_postgres_image("postgres:16"));
    }

    #[test]
    fn names_say_their_environment_in_whole_words() {
        assert_eq!(environments_named("fly.staging"), [Environment::Staging]);
        assert_eq!(environments_named("acme-devices"), []);
        assert_eq!(environments_named("app.settings.staging"), [Environment::Staging]);
        assert_eq!(environments_named("prod-to-staging"), [Environment::Production, Environment::Staging]);
    }
}
