//! Platform safeguards from fly.toml: one table row per rule (present, absent, exception
//! approved, and the cases the data cannot decide), every real fly.toml of the fixtures with
//! what it must produce, the parser's accepted shapes and refusals, and proof that no value of
//! a credential is ever kept, printed or serialized.
//!
//! The fixtures are the real files in `fixtures/fly/fly-toml` (see its SOURCES.md); set
//! `BAA_FLY_FIXTURES` to the `fixtures/fly` folder of another set to read them from there.
#![expect(clippy::unwrap_used, reason = "tests fail loudly on bad fixtures")]

use std::path::PathBuf;

use baa_core::coverage::{Environment, Phi, Severity};
use baa_core::safeguards::{
    check, CheckState, PlatformConfig, SafeguardException, SafeguardInput, SafeguardPolicy, SafeguardReport,
    SafeguardRule,
};
use chrono::NaiveDate;

use CheckState::{Failed, NotVerifiable, Passed, PassedByException};
use SafeguardRule::{BackupMissing, EnvironmentMixed, PublicDatabase, SecretInConfig, TransportUnencrypted};

fn d(text: &str) -> NaiveDate {
    NaiveDate::parse_from_str(text, "%Y-%m-%d").unwrap()
}

fn today() -> NaiveDate {
    d("2026-12-01")
}

fn parse(file: &str, text: &str) -> PlatformConfig {
    PlatformConfig::parse(file, text).unwrap_or_else(|e| panic!("{e}"))
}

fn exception(rule: SafeguardRule, app: &str) -> SafeguardException {
    SafeguardException {
        rule,
        app: app.to_owned(),
        reason: "accepted after review".to_owned(),
        approved_by: "Priya (security officer)".to_owned(),
        approved_on: d("2026-11-01"),
        expires_on: None,
    }
}

fn policy_with(exceptions: Vec<SafeguardException>) -> SafeguardPolicy {
    SafeguardPolicy { exceptions, ..SafeguardPolicy::default() }
}

/// What a row changes in the input besides the file.
#[derive(Clone, Copy)]
enum Known {
    Nothing,
    NoPhi,
    Org(Environment),
    Secrets(&'static [&'static str]),
    PublicIps(bool),
}

struct Row {
    name: &'static str,
    file: &'static str,
    toml: &'static str,
    known: Known,
    rule: SafeguardRule,
    excepted: bool,
    want: CheckState,
    /// Line of the result (the first problem's, or the `app` line when passed).
    line: Option<usize>,
}

const APP: &str = "app = 'acme-api'\n";

fn rows() -> Vec<Row> {
    use Known::*;
    let row = |name, file, toml, known, rule, excepted, want, line| Row {
        name,
        file,
        toml,
        known,
        rule,
        excepted,
        want,
        line,
    };
    vec![
        // secret-in-config
        row("password in env", "fly.toml", "app = 'acme-api'\n[env]\n  PORT = '8080'\n  DB_PASSWORD = 'hunter2'\n", Nothing, SecretInConfig, false, Failed, Some(4)),
        row("database url with password", "fly.toml", "app = 'acme-api'\n[env]\n  DATABASE_URL = 'postgres://app:pw@db.internal/app'\n", Nothing, SecretInConfig, false, Failed, Some(3)),
        row("token in build args", "fly.toml", "app = 'acme-api'\n[build.args]\n  NPM_TOKEN = 'npm_abc'\n", Nothing, SecretInConfig, false, Failed, Some(3)),
        row("private key inline in files", "fly.toml", "app = 'acme-api'\n[[files]]\n  guest_path = '/etc/key.pem'\n  raw_value = '-----BEGIN PRIVATE KEY-----\\nMII\\n-----END PRIVATE KEY-----'\n", Nothing, SecretInConfig, false, Failed, Some(2)),
        row("secret in a no-phi app still fails", "fly.toml", "app = 'acme-api'\n[env]\n  JWT_SECRET = 'x'\n", NoPhi, SecretInConfig, false, Failed, Some(3)),
        row("plain env", "fly.toml", "app = 'acme-api'\n[env]\n  PORT = '8080'\n  DB_PASSWORD_FILE = '/run/secrets/db'\n  SECRET_NAME = 'db'\n", Nothing, SecretInConfig, false, Passed, Some(1)),
        row("secret reference in files", "fly.toml", "app = 'acme-api'\n[[files]]\n  guest_path = '/etc/key.pem'\n  secret_name = 'TLS_KEY'\n", Nothing, SecretInConfig, false, Passed, Some(1)),
        row("secret excepted", "fly.toml", "app = 'acme-api'\n[env]\n  API_KEY = 'demo'\n", Nothing, SecretInConfig, true, PassedByException, Some(3)),
        // transport-unencrypted
        row("http_service without force_https", "fly.toml", "app = 'acme-api'\n[http_service]\n  internal_port = 8080\n", Nothing, TransportUnencrypted, false, Failed, Some(2)),
        row("http_service with force_https false", "fly.toml", "app = 'acme-api'\n[http_service]\n  internal_port = 8080\n  force_https = false\n", Nothing, TransportUnencrypted, false, Failed, Some(4)),
        row("services port 80 without force_https", "fly.toml", "app = 'acme-api'\n[[services]]\n  internal_port = 8080\n  protocol = 'tcp'\n  [[services.ports]]\n    port = 80\n    handlers = ['http']\n  [[services.ports]]\n    port = 443\n    handlers = ['tls', 'http']\n", Nothing, TransportUnencrypted, false, Failed, Some(5)),
        row("raw tcp port", "fly.toml", "app = 'acme-api'\n[[services]]\n  internal_port = 9000\n  protocol = 'tcp'\n  [[services.ports]]\n    port = 9000\n", Nothing, TransportUnencrypted, false, Failed, Some(5)),
        row("udp port", "fly.toml", "app = 'acme-api'\n[[services]]\n  internal_port = 5000\n  protocol = 'udp'\n  ports = [{ port = 5000 }]\n", Nothing, TransportUnencrypted, false, Failed, Some(5)),
        row("https forced", "fly.toml", "app = 'acme-api'\n[http_service]\n  internal_port = 8080\n  force_https = true\n", Nothing, TransportUnencrypted, false, Passed, Some(1)),
        row("tls on a tcp port", "fly.toml", "app = 'acme-api'\n[[services]]\n  internal_port = 9000\n  [[services.ports]]\n    port = 9443\n    handlers = ['tls']\n", Nothing, TransportUnencrypted, false, Passed, Some(1)),
        row("no services", "fly.toml", APP, Nothing, TransportUnencrypted, false, Passed, Some(1)),
        row("plain http but no phi", "fly.toml", "app = 'acme-api'\n[http_service]\n  internal_port = 8080\n", NoPhi, TransportUnencrypted, false, Passed, Some(1)),
        row("plain http but no public ip", "fly.toml", "app = 'acme-api'\n[http_service]\n  internal_port = 8080\n", PublicIps(false), TransportUnencrypted, false, Passed, Some(1)),
        row("plain http excepted", "fly.toml", "app = 'acme-api'\n[http_service]\n  internal_port = 8080\n", Nothing, TransportUnencrypted, true, PassedByException, Some(2)),
        // public-database
        row("fly postgres with public port", "fly.toml", "app = 'acme-db'\n[build]\n  image = 'flyio/postgres-flex:15.3'\n[[services]]\n  internal_port = 5432\n  [[services.ports]]\n    port = 5432\n    handlers = ['pg_tls']\n", Nothing, PublicDatabase, false, Failed, Some(6)),
        row("redis port on a service", "fly.toml", "app = 'acme-cache'\n[[services]]\n  internal_port = 6379\n  [[services.ports]]\n    port = 16379\n    handlers = ['tls']\n", Nothing, PublicDatabase, false, Failed, Some(4)),
        row("confirmed public address", "fly.toml", "app = 'acme-db'\n[build]\n  image = 'postgres:16'\n[[services]]\n  internal_port = 5432\n  ports = [{ port = 5432 }]\n", PublicIps(true), PublicDatabase, false, Failed, Some(6)),
        row("database without public port", "fly.toml", "app = 'acme-db'\n[build]\n  image = 'flyio/postgres-flex:15.3'\n[[mounts]]\n  source = 'pg_data'\n  destination = '/data'\n", Nothing, PublicDatabase, false, Passed, Some(1)),
        row("database with private address only", "fly.toml", "app = 'acme-db'\n[build]\n  image = 'mysql:8'\n[[services]]\n  internal_port = 3306\n  ports = [{ port = 3306 }]\n", PublicIps(false), PublicDatabase, false, Passed, Some(1)),
        row("web app is no database", "fly.toml", "app = 'acme-api'\n[http_service]\n  internal_port = 8080\n  force_https = true\n", Nothing, PublicDatabase, false, Passed, Some(1)),
        row("public database excepted", "fly.toml", "app = 'acme-db'\n[build]\n  image = 'postgres:16'\n[[services]]\n  internal_port = 5432\n  ports = [{ port = 5432 }]\n", Nothing, PublicDatabase, true, PassedByException, Some(6)),
        // backup-missing
        row("mount without retention", "fly.toml", "app = 'acme-api'\n[[mounts]]\n  source = 'data'\n  destination = '/data'\n", Nothing, BackupMissing, false, Failed, Some(2)),
        row("mount with short retention", "fly.toml", "app = 'acme-api'\n[[mounts]]\n  source = 'data'\n  destination = '/data'\n  snapshot_retention = 3\n", Nothing, BackupMissing, false, Failed, Some(5)),
        row("scheduled snapshots off", "fly.toml", "app = 'acme-api'\n[[mounts]]\n  source = 'data'\n  destination = '/data'\n  snapshot_retention = 30\n  scheduled_snapshots = false\n", Nothing, BackupMissing, false, Failed, Some(6)),
        row("fly postgres, secrets without backups", "fly.toml", "app = 'acme-db'\n[build]\n  image = 'flyio/postgres-flex:15.3'\n", Secrets(&["SU_PASSWORD", "OPERATOR_PASSWORD"]), BackupMissing, false, Failed, Some(3)),
        row("fly postgres, secrets unknown", "fly.toml", "app = 'acme-db'\n[build]\n  image = 'flyio/postgres-flex:15.3'\n", Nothing, BackupMissing, false, NotVerifiable, Some(3)),
        row("fly postgres with backups", "fly.toml", "app = 'acme-db'\n[build]\n  image = 'flyio/postgres-flex:15.3'\n", Secrets(&["S3_ARCHIVE_CONFIG"]), BackupMissing, false, Passed, Some(1)),
        row("mount with enough retention", "fly.toml", "app = 'acme-api'\n[mounts]\n  source = 'data'\n  destination = '/data'\n  snapshot_retention = 14\n", Nothing, BackupMissing, false, Passed, Some(1)),
        row("no mounts", "fly.toml", APP, Nothing, BackupMissing, false, Passed, Some(1)),
        row("short retention but no phi", "fly.toml", "app = 'acme-api'\n[[mounts]]\n  source = 'data'\n  destination = '/data'\n", NoPhi, BackupMissing, false, Passed, Some(1)),
        row("short retention excepted", "fly.toml", "app = 'acme-api'\n[[mounts]]\n  source = 'data'\n  destination = '/data'\n", Nothing, BackupMissing, true, PassedByException, Some(2)),
        // environment-mixed
        row("staging file in the production org", "fly.staging.toml", "app = 'acme-api-staging'\n", Org(Environment::Production), EnvironmentMixed, false, Failed, None),
        row("production NODE_ENV in a staging org", "fly.toml", "app = 'acme-api'\n[env]\n  NODE_ENV = 'production'\n", Org(Environment::Staging), EnvironmentMixed, false, Failed, Some(3)),
        row("one file for two environments", "fly.staging.toml", "app = 'acme-api'\n[env]\n  RAILS_ENV = 'production'\n", Nothing, EnvironmentMixed, false, Failed, Some(3)),
        row("staging file in a staging org", "fly.staging.toml", "app = 'acme-api-staging'\n[env]\n  NODE_ENV = 'staging'\n", Org(Environment::Staging), EnvironmentMixed, false, Passed, Some(1)),
        row("plain fly.toml in the production org", "fly.toml", APP, Org(Environment::Production), EnvironmentMixed, false, Passed, Some(1)),
        row("org unknown", "fly.staging.toml", "app = 'acme-api-staging'\n", Nothing, EnvironmentMixed, false, NotVerifiable, Some(1)),
        row("staging file in production excepted", "fly.staging.toml", "app = 'acme-api-staging'\n", Org(Environment::Production), EnvironmentMixed, true, PassedByException, None),
    ]
}

fn input_for(row: &Row) -> SafeguardInput {
    let mut input = SafeguardInput::new(parse(row.file, row.toml));
    match row.known {
        Known::Nothing => {}
        Known::NoPhi => input.phi = Phi::no("marketing site, no patient data"),
        Known::Org(env) => input.org_environment = Some(env),
        Known::Secrets(names) => input.secret_names = Some(names.iter().map(|n| (*n).to_owned()).collect()),
        Known::PublicIps(public) => input.public_ips = Some(public),
    }
    input
}

#[test]
fn every_rule_fires_when_present_passes_when_absent_and_yields_to_an_approved_exception() {
    for row in rows() {
        let input = input_for(&row);
        let app = input.config.app_name().unwrap().to_owned();
        let policy = policy_with(if row.excepted { vec![exception(row.rule, &app)] } else { vec![] });
        let report = check(&[input], &policy, today());
        let r = report.get(row.file, row.rule).unwrap();
        assert_eq!((r.state, r.at.line), (row.want, row.line), "{}: {}", row.name, r.explanation);
        assert_eq!(r.severity, row.rule.severity(), "{}", row.name);
        assert_eq!(r.app.as_deref(), Some(app.as_str()));
        match r.state {
            Failed | NotVerifiable => {
                assert!(r.next_step.as_deref().is_some_and(|s| !s.is_empty()), "{}: a next step", row.name);
                assert!(!r.problems.is_empty(), "{}", row.name);
            }
            Passed => assert!(r.next_step.is_none() && r.problems.is_empty(), "{}", row.name),
            PassedByException => {
                assert!(r.explanation.contains("accepted after review"), "{}: {}", row.name, r.explanation);
                assert!(r.explanation.contains("Priya"), "{}", row.name);
                assert_eq!(r.exception.as_ref().unwrap().rule, row.rule);
                assert!(!r.problems.is_empty(), "{}: the waived problems stay listed", row.name);
            }
        }
        // Every row's file produces one result per rule.
        assert_eq!(report.results.len(), SafeguardRule::ALL.len());
    }
}

#[test]
fn severities_and_ids_are_those_of_the_issue() {
    let table: Vec<(&str, Severity)> =
        SafeguardRule::ALL.iter().map(|r| (r.as_str(), r.severity())).collect();
    assert_eq!(
        table,
        [
            ("secret-in-config", Severity::Critical),
            ("transport-unencrypted", Severity::High),
            ("public-database", Severity::High),
            ("backup-missing", Severity::Medium),
            ("environment-mixed", Severity::Medium),
        ]
    );
    for rule in SafeguardRule::ALL {
        assert_eq!(serde_json::to_value(rule).unwrap(), rule.as_str());
        assert_eq!(SafeguardRule::from_id(rule.as_str()), Some(rule));
    }
    assert_eq!(serde_json::to_value(PassedByException).unwrap(), "passed-by-exception");
    assert_eq!(serde_json::to_value(NotVerifiable).unwrap(), "not-verifiable");
}

#[test]
fn an_exception_counts_only_with_reason_and_approver_and_while_in_force() {
    let toml = "app = 'acme-api'\n[http_service]\n  internal_port = 8080\n";
    let run = |e: SafeguardException| {
        let report = check(&[SafeguardInput::new(parse("fly.toml", toml))], &policy_with(vec![e]), today());
        report.get("fly.toml", TransportUnencrypted).unwrap().clone()
    };
    let base = exception(TransportUnencrypted, "acme-api");
    let cases = [
        ("in force", base.clone(), PassedByException, ""),
        (
            "open until today",
            SafeguardException { expires_on: Some(today()), ..base.clone() },
            PassedByException,
            "",
        ),
        (
            "expired",
            SafeguardException { expires_on: Some(d("2026-11-30")), ..base.clone() },
            Failed,
            "expired",
        ),
        (
            "approved later",
            SafeguardException { approved_on: d("2026-12-02"), ..base.clone() },
            Failed,
            "approved from",
        ),
        ("no reason", SafeguardException { reason: "  ".into(), ..base.clone() }, Failed, "no reason"),
        (
            "no approver",
            SafeguardException { approved_by: String::new(), ..base.clone() },
            Failed,
            "no approver",
        ),
        ("other app", SafeguardException { app: "acme-web".into(), ..base.clone() }, Failed, ""),
        ("other rule", SafeguardException { rule: BackupMissing, ..base.clone() }, Failed, ""),
    ];
    for (name, e, want, note) in cases {
        let r = run(e);
        assert_eq!(r.state, want, "{name}: {}", r.explanation);
        assert!(r.explanation.contains(note), "{name}: {}", r.explanation);
        assert_eq!(r.next_step.is_some(), want == Failed, "{name}");
    }
}

#[test]
fn the_retention_policy_decides_and_fly_default_is_five_days() {
    let toml = |retention: &str| {
        format!("app = 'acme-api'\n[[mounts]]\n  source = 'data'\n  destination = '/data'\n{retention}")
    };
    let run = |text: String, days: u32| {
        let policy = SafeguardPolicy { snapshot_retention_days: days, exceptions: vec![] };
        let report = check(&[SafeguardInput::new(parse("fly.toml", &text))], &policy, today());
        report.get("fly.toml", BackupMissing).unwrap().state
    };
    assert_eq!(run(toml("  snapshot_retention = 14\n"), 30), Failed);
    assert_eq!(run(toml("  snapshot_retention = 30\n"), 30), Passed);
    assert_eq!(run(toml(""), 5), Passed, "Fly keeps 5 days when unset");
    assert_eq!(run(toml(""), 6), Failed);
    assert_eq!(serde_json::from_str::<SafeguardPolicy>("{}").unwrap(), SafeguardPolicy::default());
    assert_eq!(SafeguardPolicy::default().snapshot_retention_days, 7);
}

#[test]
fn two_files_that_configure_one_app_for_two_environments_are_mixed() {
    let prod = SafeguardInput::new(parse("fly.toml", "app = 'acme-api'\n[env]\n  NODE_ENV = 'production'\n"));
    let staging = SafeguardInput::new(parse("fly.staging.toml", "app = 'acme-api'\n"));
    let other = SafeguardInput::new(parse("fly.staging.toml", "app = 'acme-api-staging'\n"));
    let report = check(&[prod.clone(), staging], &SafeguardPolicy::default(), today());
    for file in ["fly.toml", "fly.staging.toml"] {
        let r = report.get(file, EnvironmentMixed).unwrap();
        assert_eq!(r.state, Failed, "{file}: {}", r.explanation);
        assert!(r.explanation.contains("also configured by"), "{}", r.explanation);
    }
    let report = check(&[prod, other], &SafeguardPolicy::default(), today());
    assert_eq!(report.get("fly.toml", EnvironmentMixed).unwrap().state, NotVerifiable);
}

#[test]
fn a_fly_toml_without_an_app_is_checked_but_no_exception_can_name_it() {
    let config = parse("fly.toml", "[http_service]\n  internal_port = 8080\n");
    let policy = policy_with(vec![exception(TransportUnencrypted, "")]);
    let report = check(&[SafeguardInput::new(config)], &policy, today());
    let r = report.get("fly.toml", TransportUnencrypted).unwrap();
    assert_eq!((r.app.as_deref(), r.state), (None, Failed));
    assert!(r.explanation.contains("the app of fly.toml"), "{}", r.explanation);
}

// ---------------------------------------------------------------------------------------------
// The parser

#[test]
fn the_shapes_flyctl_accepts_are_read_with_their_lines() {
    let text = "app = \"acme-api\"\nprimary_region = \"fra\"\n\
                [[env]]\n  PORT = 8080\n\
                [mount]\n  source = \"old\"\n  destination = \"/old\"\n\
                [[mounts]]\n  source = \"data\"\n  destination = \"/data\"\n  snapshot_retention = \"10\"\n  scheduled_snapshots = true\n\
                [services]\n  internal_port = \"8080\"\n  protocol = \"tcp\"\n  [services.ports]\n    port = \"80\"\n    handlers = \"http\"\n    force_https = true\n";
    let c = parse("deploy/fly.toml", text);
    assert_eq!((c.app_name(), c.app.as_ref().unwrap().at.line), (Some("acme-api"), Some(1)));
    let region = c.primary_region.as_ref().unwrap();
    assert_eq!(
        (region.value.as_str(), region.at.file.as_str(), region.at.line),
        ("fra", "deploy/fly.toml", Some(2))
    );
    assert_eq!(c.env_entries, 1);
    let mounts: Vec<_> = c.mounts.iter().map(|m| (m.source.as_deref(), m.at.line)).collect();
    assert_eq!(mounts, [(Some("old"), Some(5)), (Some("data"), Some(8))]);
    let retention = c.mounts[1].snapshot_retention.as_ref().unwrap();
    assert_eq!((retention.value, retention.at.line), (10, Some(11)));
    assert!(c.mounts[1].scheduled_snapshots.as_ref().unwrap().value);
    assert_eq!(c.services.len(), 1, "a single [services] table");
    let web = &c.services[0];
    assert_eq!(
        (web.internal_port, web.protocol.as_deref(), web.at.line),
        (Some(8080), Some("tcp"), Some(13))
    );
    let p = &web.ports[0];
    assert_eq!(
        (p.port, p.handlers.as_slice(), p.force_https, p.at.line),
        (Some(80), &["http".to_owned()][..], true, Some(16))
    );
    assert!(c.http_service.is_none());
    let range = parse(
        "fly.toml",
        "[[services]]\n  internal_port = 9000\n  ports = [{ start_port = 9000, end_port = 9009, handlers = ['tls'] }]\n",
    );
    assert_eq!(range.services[0].ports[0].label(), "9000-9009");
}

#[test]
fn http_service_implies_port_80_with_force_https_and_port_443_with_tls() {
    let c = parse("fly.toml", "app = 'a'\n[http_service]\n  internal_port = 3000\n  force_https = true\n");
    let s = c.http_service.as_ref().unwrap();
    let ports: Vec<_> =
        s.ports.iter().map(|p| (p.port, p.handlers.join("+"), p.force_https, p.implied)).collect();
    assert_eq!(ports, [(Some(80), "http".into(), true, true), (Some(443), "http+tls".into(), false, true)]);
    assert_eq!((s.internal_port, s.force_https.as_ref().unwrap().at.line), (Some(3000), Some(4)));
    assert_eq!(c.all_services().count(), 1);
}

#[test]
fn malformed_or_wrongly_typed_files_are_refused_on_their_line() {
    let cases = [
        ("app = 'a'\n[env]\n  X = a.b\n", 3, "not a valid fly.toml"),
        ("app = 5\n", 1, "`app` must be a string"),
        (
            "app = 'a'\n[http_service]\n  force_https = 'yes'\n",
            3,
            "`http_service.force_https` must be true or false",
        ),
        (
            "app = 'a'\n[[services]]\n  [[services.ports]]\n    port = 'eighty'\n",
            4,
            "`services.ports.port` must be a whole number",
        ),
        ("app = 'a'\n[[services]]\n  [[services.ports]]\n    port = 70000\n", 4, "port number"),
        (
            "app = 'a'\n[[mounts]]\n  source = 'd'\n  snapshot_retention = true\n",
            4,
            "`mounts.snapshot_retention`",
        ),
        ("app = 'a'\nmounts = 'data'\n", 2, "`mounts` must be a table"),
        ("app = 'a'\nhttp_service = [1]\n", 2, "`http_service` must be a table"),
        ("app = 'a'\napp = 'b'\n", 2, "duplicate key"),
    ];
    for (text, line, message) in cases {
        let e = PlatformConfig::parse("fly.toml", text).unwrap_err();
        assert_eq!((e.file.as_str(), e.line), ("fly.toml", Some(line)), "{text}: {e}");
        assert!(e.message.contains(message), "{text}: `{}` should contain `{message}`", e.message);
    }
}

// ---------------------------------------------------------------------------------------------
// Secret values

#[test]
fn no_secret_value_is_ever_stored_printed_or_serialized() {
    let secrets = [
        "hunter2-db-password",
        "s3cr3t-in-url",
        "jwt-signing-value-0042",
        "build-arg-token-777",
        "MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC",
        "ghp_abcdefghijklmnopqrstuvwxyz0123456789",
        "query-token-value-31337",
    ];
    let text = format!(
        "app = 'acme-api'\n\
         [build.args]\n  NPM_TOKEN = '{}'\n\
         [env]\n  DB_PASSWORD = '{}'\n  DATABASE_URL = 'postgres://app:{}@db.internal:5432/app'\n  JWT_SECRET = \"{}\"\n\
           GITHUB_ACCESS = '{}'\n  WEBHOOK = 'https://api.example.com/hook?token={}'\n  NODE_ENV = 'production'\n\
         [[files]]\n  guest_path = '/etc/ssl/private/key.pem'\n  raw_value = '''-----BEGIN PRIVATE KEY-----\n{}\n-----END PRIVATE KEY-----'''\n",
        secrets[3], secrets[0], secrets[1], secrets[2], secrets[5], secrets[6], secrets[4]
    );
    let config = parse("fly.toml", &text);
    let names: Vec<&str> = config.credentials.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "NPM_TOKEN",
            "DB_PASSWORD",
            "DATABASE_URL",
            "JWT_SECRET",
            "GITHUB_ACCESS",
            "WEBHOOK",
            "/etc/ssl/private/key.pem"
        ]
    );
    let lines: Vec<Option<usize>> = config.credentials.iter().map(|c| c.at.line).collect();
    assert_eq!(lines, [Some(3), Some(5), Some(6), Some(7), Some(8), Some(9), Some(11)]);
    let mut input = SafeguardInput::new(config.clone());
    input.org_environment = Some(Environment::Production);
    let report: SafeguardReport = check(&[input.clone()], &SafeguardPolicy::default(), today());
    assert_eq!(report.get("fly.toml", SecretInConfig).unwrap().state, Failed);
    let outputs = [
        serde_json::to_string(&config).unwrap(),
        format!("{config:?}"),
        format!("{config:#?}"),
        serde_json::to_string(&input).unwrap(),
        format!("{input:?}"),
        serde_json::to_string(&report).unwrap(),
        format!("{report:#?}"),
    ];
    for out in &outputs {
        for secret in secrets {
            assert!(!out.contains(secret), "a secret value leaked: {secret}");
        }
    }
    // Malformed files: the error names the line, never the value.
    for bad in [
        format!("app = 'a'\n[env]\n  DB_PASSWORD = {}\n", secrets[0]),
        format!("app = 'a'\n[env]\n  DB_PASSWORD = \"{}\n", secrets[0]),
        format!("app = 'a'\n[env]\n  DB_PASSWORD = '{}'\n  DB_PASSWORD = '{}'\n", secrets[0], secrets[1]),
        format!("app = 'a'\n[http_service]\n  force_https = '{}'\n", secrets[0]),
    ] {
        let e = PlatformConfig::parse("fly.toml", &bad).unwrap_err();
        let shown = format!("{e} {e:?} {}", serde_json::to_string(&e).unwrap());
        assert!(e.line.is_some(), "{shown}");
        for secret in secrets {
            assert!(!shown.contains(secret), "a secret value leaked through an error: {shown}");
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The real fly.toml files

fn fixtures_dir() -> PathBuf {
    let dir = std::env::var_os("BAA_FLY_FIXTURES")
        .map_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../fixtures/fly"), PathBuf::from)
        .join("fly-toml");
    assert!(dir.is_dir(), "fly.toml fixtures not found in {}: set BAA_FLY_FIXTURES", dir.display());
    dir
}

fn fixture_files() -> Vec<(String, String)> {
    let mut files: Vec<(String, String)> = std::fs::read_dir(fixtures_dir())
        .unwrap()
        .map(|e| e.unwrap())
        .filter(|e| e.file_name().to_string_lossy().ends_with(".toml"))
        .map(|e| (e.file_name().to_string_lossy().into_owned(), std::fs::read_to_string(e.path()).unwrap()))
        .collect();
    files.sort();
    files
}

/// Per file: the state of secret-in-config, transport-unencrypted, public-database,
/// backup-missing and environment-mixed (org unknown, PHI unknown: what `baa-tracker check
/// --fly-toml` sees), with the line of each failure; or the line of its parse error.
type Expected = Result<[(CheckState, Option<usize>); 5], usize>;

fn expected(file: &str) -> Option<Expected> {
    const P: (CheckState, Option<usize>) = (Passed, None);
    const NV: (CheckState, Option<usize>) = (NotVerifiable, None);
    let fail = |line| (Failed, Some(line));
    Some(match file {
        // Healthcare intake app: HTTPS forced; the uploads volume relies on Fly's 5-day default.
        "DiggAiHH__diggai-anamnese__fly.toml" => Ok([P, P, P, fail(56), NV]),
        // Its staging twin: no volume; file name, app name and NODE_ENV all say staging.
        "DiggAiHH__diggai-anamnese__fly.staging.toml" => Ok([P, P, P, P, NV]),
        "SebastianGarces__ci_foundation__fly.production.toml" => Ok([P, P, P, P, NV]),
        "SebastianGarces__ci_foundation__fly.staging.toml" => Ok([P, P, P, P, NV]),
        // Legacy [[services]]: port 80 forces HTTPS, 443 has TLS.
        "commonknowledge__leftbookclub__fly.production.toml" => Ok([P, P, P, P, NV]),
        // Unquoted value on line 8: refused (it would also serve plain HTTP on port 80).
        "commonknowledge__leftbookclub__fly.staging.toml" => Err(8),
        // A bot: no service, no volume.
        "discord-diabetes__diabot__fly.production.toml" => Ok([P, P, P, P, NV]),
        // LiteFS volume in the single-table `[mounts]` form, no retention set.
        "gleam-lang__packages__fly.toml" => Ok([P, P, P, fail(47), NV]),
        // [http_service] plus a leftover [[services]], both forcing HTTPS; volume without retention.
        "jrey8343__nohead-rs__fly.toml" => Ok([P, P, P, fail(14), NV]),
        "kmcphillips__twilio-rails-example__fly.toml" => Ok([P, P, P, P, NV]),
        // Self-run Postgres: raw TCP 5432 exposed without TLS at the edge, a public database;
        // its volume keeps 14 days of snapshots (and pgBackRest is configured).
        "mythal__boluo__apps__db__production__fly.toml" => Ok([P, fail(45), fail(45), P, NV]),
        "openstatusHQ__openstatus__apps__checker__fly.toml" => Ok([P, P, P, P, NV]),
        _ => return None,
    })
}

#[test]
fn every_real_fly_toml_gives_the_results_written_down_for_it() {
    let files = fixture_files();
    assert!(files.len() >= 12, "fixtures missing: {}", files.len());
    let mut inputs = Vec::new();
    let mut want = Vec::new();
    for (name, text) in &files {
        let Some(expected) = expected(name) else {
            // A file from another set: it must still parse or fail on a line, and be checked.
            match PlatformConfig::parse(name, text) {
                Ok(c) => inputs.push(SafeguardInput::new(c)),
                Err(e) => assert!(e.line.is_some(), "{name}: {e}"),
            }
            continue;
        };
        match (PlatformConfig::parse(name, text), expected) {
            (Ok(c), Ok(states)) => {
                inputs.push(SafeguardInput::new(c));
                want.push((name.clone(), states));
            }
            (Err(e), Err(line)) => {
                assert_eq!(e.line, Some(line), "{name}: {e}");
                assert!(e.message.contains("not a valid fly.toml"), "{name}: {e}");
            }
            (got, wanted) => panic!("{name}: got {:?}, expected {wanted:?}", got.map(|_| "parsed")),
        }
    }
    let report = check(&inputs, &SafeguardPolicy::default(), today());
    assert_eq!(report.results.len(), inputs.len() * SafeguardRule::ALL.len());
    for (name, states) in want {
        for (rule, (state, line)) in SafeguardRule::ALL.into_iter().zip(states) {
            let r = report.get(&name, rule).unwrap();
            assert_eq!(r.state, state, "{name} {rule}: {}", r.explanation);
            if let Some(line) = line {
                assert_eq!(r.at.line, Some(line), "{name} {rule}: {}", r.explanation);
            }
        }
    }
    // Whatever the file, a failure says where and what to do.
    for r in report.failures() {
        assert!(r.at.line.is_some() && r.next_step.is_some(), "{} {}", r.file, r.rule);
    }
}

#[test]
fn real_files_yield_the_facts_the_checks_rely_on() {
    let files = fixture_files();
    let get = |name: &str| {
        let (_, text) = files.iter().find(|(n, _)| n == name).unwrap();
        parse(name, text)
    };
    let boluo = get("mythal__boluo__apps__db__production__fly.toml");
    assert!(boluo.is_database() && !boluo.is_fly_postgres());
    assert_eq!(boluo.primary_region.as_ref().unwrap().value, "nrt");
    let pgdata = &boluo.mounts[0];
    assert_eq!(
        (pgdata.source.as_deref(), pgdata.snapshot_retention.as_ref().map(|r| r.value)),
        (Some("pgdata"), Some(14))
    );
    assert_eq!(
        boluo.backup_hints.iter().map(|h| h.value.as_str()).collect::<Vec<_>>(),
        ["PGBACKREST_STANZA"]
    );
    assert!(boluo.credentials.is_empty(), "POSTGRES_USER and a [[files]] secret_name are not credentials");

    let legacy = get("commonknowledge__leftbookclub__fly.production.toml");
    let ports: Vec<_> = legacy.services[0].ports.iter().map(|p| (p.port, p.force_https, p.at.line)).collect();
    assert_eq!(ports, [(Some(80), true, Some(31)), (Some(443), false, Some(36))], "string ports");

    let gleam = get("gleam-lang__packages__fly.toml");
    assert_eq!(gleam.mounts.len(), 1, "single-table [mounts]");

    let diggai = get("DiggAiHH__diggai-anamnese__fly.toml");
    assert!(diggai.credentials.is_empty(), "comments that mention JWT_SECRET are not entries");
    assert_eq!(diggai.primary_region.as_ref().unwrap().value, "fra");
}
