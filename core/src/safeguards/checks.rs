//! The checks: one result per (file, rule), from the facts of each fly.toml and what the
//! tracker knows about its app.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::{ConfigSection, PlatformConfig, PortConfig, SafeguardRule, ServiceKind};
use crate::coverage::{Environment, Phi, Severity};
use crate::fly_import::Location;

/// Days of volume snapshots a workspace asks for unless its policy says otherwise.
pub const DEFAULT_SNAPSHOT_RETENTION_DAYS: u32 = 7;

/// Days Fly keeps a volume's snapshots when nobody sets `snapshot_retention` (flyctl's
/// `fly volumes create --snapshot-retention` default, and the platform's for volumes created
/// on deploy).
pub const FLY_DEFAULT_SNAPSHOT_RETENTION_DAYS: u32 = 5;

/// The secret Fly Postgres keeps its backup (Barman) configuration in (flyctl
/// `flypg.BarmanSecretName`); `fly postgres backup enable` sets it.
const FLY_POSTGRES_BACKUP_SECRET: &str = "S3_ARCHIVE_CONFIG";

/// The workspace's settings for the safeguard checks.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SafeguardPolicy {
    /// Fewest days of volume snapshots a PHI app's volumes must keep.
    #[serde(default = "default_retention")]
    pub snapshot_retention_days: u32,
    /// Approved exceptions.
    #[serde(default)]
    pub exceptions: Vec<SafeguardException>,
}

fn default_retention() -> u32 {
    DEFAULT_SNAPSHOT_RETENTION_DAYS
}

impl Default for SafeguardPolicy {
    fn default() -> Self {
        Self { snapshot_retention_days: DEFAULT_SNAPSHOT_RETENTION_DAYS, exceptions: Vec::new() }
    }
}

/// A failure someone with authority accepted for one app, with the reason. It turns that
/// app's failed (or unverifiable) result of the rule into "passed by exception", listed with
/// the reason, while it is in force.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SafeguardException {
    /// The rule.
    pub rule: SafeguardRule,
    /// The Fly app name.
    pub app: String,
    /// Why the failure is acceptable (a blank reason makes the exception void).
    pub reason: String,
    /// Who approved it (blank: void).
    pub approved_by: String,
    /// The day it was approved; it counts from that day.
    pub approved_on: NaiveDate,
    /// Last day it counts; `None` for open-ended.
    #[serde(default)]
    pub expires_on: Option<NaiveDate>,
}

impl SafeguardException {
    /// Whether the exception has a reason and an approver and counts on `day`.
    pub fn in_force_on(&self, day: NaiveDate) -> bool {
        self.is_complete() && self.approved_on <= day && self.expires_on.is_none_or(|e| day <= e)
    }

    fn is_complete(&self) -> bool {
        !self.reason.trim().is_empty() && !self.approved_by.trim().is_empty()
    }
}

/// One fly.toml and what the tracker knows about its app.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SafeguardInput {
    /// The file's facts.
    pub config: PlatformConfig,
    /// Whether the app handles PHI (unknown, and "no" without a reason, count as PHI).
    pub phi: Phi,
    /// The environment of the app's org, when known.
    pub org_environment: Option<Environment>,
    /// The app's secret names (`fly secrets list`), when known; they show whether Fly Postgres
    /// backups are configured.
    pub secret_names: Option<Vec<String>>,
    /// Whether the app has a public IP address (`fly ips list`), when known; fly.toml cannot
    /// say, so `None` treats its service ports as public (fail closed).
    pub public_ips: Option<bool>,
}

impl SafeguardInput {
    /// A file checked with nothing else known: PHI unknown (so treated as PHI), org
    /// environment, secrets and IP addresses unknown.
    pub fn new(config: PlatformConfig) -> Self {
        Self { config, phi: Phi::Unknown, org_environment: None, secret_names: None, public_ips: None }
    }

    /// Whether the checks treat the app as handling PHI: yes, unknown, or "no" with a blank
    /// reason (fail closed, as in the coverage engine).
    pub fn handles_phi(&self) -> bool {
        !self.phi.valid_no()
    }
}

/// The state of one check.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum CheckState {
    /// The configuration meets the safeguard.
    Passed,
    /// It does not, and an approved exception in force accepts that.
    PassedByException,
    /// It does not.
    Failed,
    /// The data at hand cannot tell.
    NotVerifiable,
}

impl CheckState {
    /// The kebab-case id (`passed-by-exception`).
    pub fn as_str(self) -> &'static str {
        match self {
            CheckState::Passed => "passed",
            CheckState::PassedByException => "passed-by-exception",
            CheckState::Failed => "failed",
            CheckState::NotVerifiable => "not-verifiable",
        }
    }
}

/// One thing a check found wrong or could not verify, where it was read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Problem {
    /// File and line.
    pub at: Location,
    /// What is wrong (or unknown) there.
    pub message: String,
    /// [`CheckState::Failed`] or [`CheckState::NotVerifiable`].
    pub state: CheckState,
}

/// The result of one rule for one fly.toml (one app).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SafeguardResult {
    /// The app the file configures, when it names one.
    pub app: Option<String>,
    /// The file.
    pub file: String,
    /// The rule.
    pub rule: SafeguardRule,
    /// The rule's severity.
    pub severity: Severity,
    /// Passed, passed by exception, failed, or not verifiable.
    pub state: CheckState,
    /// What was checked and found, in a sentence or two.
    pub explanation: String,
    /// The concrete next step; `None` when passed (by exception too).
    pub next_step: Option<String>,
    /// Where: the first problem's line, else the file (its `app` line).
    pub at: Location,
    /// Every problem found, each with its line (kept when an exception accepts them).
    pub problems: Vec<Problem>,
    /// The exception that accepted the failure.
    pub exception: Option<SafeguardException>,
}

impl SafeguardResult {
    /// Whether this is a failure (not accepted by an exception).
    pub fn is_failure(&self) -> bool {
        self.state == CheckState::Failed
    }
}

/// Every result of a [`check`] run: per file in input order, per rule in
/// [`SafeguardRule::ALL`] order.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SafeguardReport {
    /// The results.
    pub results: Vec<SafeguardResult>,
}

impl SafeguardReport {
    /// Failures (not accepted by an exception).
    pub fn failures(&self) -> impl Iterator<Item = &SafeguardResult> {
        self.results.iter().filter(|r| r.is_failure())
    }

    /// Failures at or above a severity (what a CI gate counts).
    pub fn failures_at_or_above(&self, threshold: Severity) -> usize {
        self.failures().filter(|r| r.severity >= threshold).count()
    }

    /// The results of one app.
    pub fn for_app<'a>(&'a self, app: &'a str) -> impl Iterator<Item = &'a SafeguardResult> + 'a {
        self.results.iter().filter(move |r| r.app.as_deref() == Some(app))
    }

    /// The result of one rule for one file.
    pub fn get(&self, file: &str, rule: SafeguardRule) -> Option<&SafeguardResult> {
        self.results.iter().find(|r| r.file == file && r.rule == rule)
    }
}

/// Runs every rule over every input. Inputs are checked together because one rule
/// (`environment-mixed`) compares files that configure the same app. `as_of` decides which
/// exceptions are in force.
pub fn check(inputs: &[SafeguardInput], policy: &SafeguardPolicy, as_of: NaiveDate) -> SafeguardReport {
    let mut results = Vec::new();
    for (i, input) in inputs.iter().enumerate() {
        let others: Vec<&SafeguardInput> =
            inputs.iter().enumerate().filter(|(j, _)| *j != i).map(|(_, o)| o).collect();
        for rule in SafeguardRule::ALL {
            let outcome = match rule {
                SafeguardRule::SecretInConfig => secret_in_config(input),
                SafeguardRule::TransportUnencrypted => transport_unencrypted(input),
                SafeguardRule::PublicDatabase => public_database(input),
                SafeguardRule::BackupMissing => backup_missing(input, policy),
                SafeguardRule::EnvironmentMixed => environment_mixed(input, &others),
            };
            results.push(finish(input, rule, outcome, policy, as_of));
        }
    }
    SafeguardReport { results }
}

/// What a rule found, before exceptions.
struct Outcome {
    problems: Vec<Problem>,
    /// Explanation when nothing is wrong.
    passed: String,
    /// Explanation when something is wrong or unknown (the problems are listed after it).
    failed: String,
    next_step: String,
}

impl Outcome {
    fn passed(explanation: impl Into<String>) -> Self {
        Self {
            problems: Vec::new(),
            passed: explanation.into(),
            failed: String::new(),
            next_step: String::new(),
        }
    }
}

fn finish(
    input: &SafeguardInput,
    rule: SafeguardRule,
    outcome: Outcome,
    policy: &SafeguardPolicy,
    as_of: NaiveDate,
) -> SafeguardResult {
    let config = &input.config;
    let app = config.app_name().map(str::to_owned);
    let failed = outcome.problems.iter().any(|p| p.state == CheckState::Failed);
    let state = if failed {
        CheckState::Failed
    } else if outcome.problems.is_empty() {
        CheckState::Passed
    } else {
        CheckState::NotVerifiable
    };
    let at = outcome
        .problems
        .iter()
        .find(|p| p.state == state)
        .map_or_else(|| config.location(), |p| p.at.clone());
    let mut result = SafeguardResult {
        app: app.clone(),
        file: config.file.clone(),
        rule,
        severity: rule.severity(),
        state,
        explanation: String::new(),
        next_step: None,
        at,
        problems: Vec::new(),
        exception: None,
    };
    if state == CheckState::Passed {
        result.explanation = outcome.passed;
        return result;
    }
    let listed: Vec<String> =
        outcome.problems.iter().map(|p| format!("{} ({})", p.message, line_of(&p.at))).collect();
    result.explanation = format!("{} {}.", outcome.failed, list(&listed));
    result.next_step = Some(outcome.next_step);
    result.problems = outcome.problems;

    let recorded: Vec<&SafeguardException> = policy
        .exceptions
        .iter()
        .filter(|e| e.rule == rule && app.as_deref() == Some(e.app.as_str()))
        .collect();
    // The longest-lasting exception in force, so the choice never depends on list order.
    let in_force = recorded.iter().filter(|e| e.in_force_on(as_of)).max_by(|a, b| {
        let end = |e: &SafeguardException| e.expires_on.unwrap_or(NaiveDate::MAX);
        (end(a), &a.approved_on, &a.reason).cmp(&(end(b), &b.approved_on, &b.reason))
    });
    if let Some(exception) = in_force {
        result.state = CheckState::PassedByException;
        result.explanation = format!(
            "{} Passed by exception: {} (approved by {} on {}{}).",
            result.explanation,
            exception.reason.trim(),
            exception.approved_by.trim(),
            exception.approved_on,
            exception.expires_on.map(|d| format!(", until {d}")).unwrap_or_default()
        );
        result.next_step = None;
        result.exception = Some((*exception).clone());
    } else if let Some(e) = recorded.first() {
        let why = if !e.is_complete() {
            "it has no reason or no approver".to_owned()
        } else if e.approved_on > as_of {
            format!("it is approved from {}", e.approved_on)
        } else {
            format!("it expired after {}", e.expires_on.unwrap_or(as_of))
        };
        result.explanation =
            format!("{} An exception is recorded but does not count: {why}.", result.explanation);
    }
    result
}

fn line_of(at: &Location) -> String {
    match at.line {
        Some(line) => format!("line {line}"),
        None => at.file.clone(),
    }
}

/// At most five items, then "and N more", so results stay short.
fn list(items: &[String]) -> String {
    const SHOWN: usize = 5;
    let mut text = items.iter().take(SHOWN).cloned().collect::<Vec<_>>().join("; ");
    if items.len() > SHOWN {
        text.push_str(&format!("; and {} more", items.len() - SHOWN));
    }
    text
}

fn app_label(config: &PlatformConfig) -> String {
    config.app_name().map_or_else(|| format!("the app of {}", config.file), |a| format!("app `{a}`"))
}

fn no_phi_reason(input: &SafeguardInput) -> String {
    match input.phi.no_text() {
        Some(reason) if input.phi.valid_no() => {
            format!("Not required: {} is recorded as handling no PHI ({}).", app_label(&input.config), reason)
        }
        _ => String::new(),
    }
}

fn phi_words(input: &SafeguardInput) -> &'static str {
    match input.phi {
        Phi::Yes => "handles PHI",
        _ => "may handle PHI (unknown counts as PHI)",
    }
}

fn secret_in_config(input: &SafeguardInput) -> Outcome {
    let config = &input.config;
    if config.credentials.is_empty() {
        return Outcome::passed(if config.env_entries == 0 {
            "No entry of fly.toml looks like a credential ([env] is empty or absent).".to_owned()
        } else {
            let entries = match config.env_entries {
                1 => "The one [env] entry does not look".to_owned(),
                n => format!("None of the {n} [env] entries looks"),
            };
            format!(
                "{entries} like a credential (names such as `*_PASSWORD`, `*_SECRET`, `*_TOKEN`, `*_KEY` with a value, \
                 URLs with a password, known token formats)."
            )
        });
    }
    let problems = config
        .credentials
        .iter()
        .map(|c| Problem {
            at: c.at.clone(),
            message: format!("{} `{}`: {}", c.section.table(), c.name, c.why),
            state: CheckState::Failed,
        })
        .collect();
    let app = config.app_name().unwrap_or("APP");
    let mut next = format!(
        "Move each value into Fly's secrets manager (`fly secrets set NAME=VALUE -a {app}`, or `fly secrets import -a {app}` \
         from standard input to keep it out of shell history), delete the entry from fly.toml, and rotate the credential: \
         it is in the repository's history, so treat it as leaked."
    );
    if config.credentials.iter().any(|c| c.section == ConfigSection::BuildArgs) {
        next.push_str(
            " For build arguments, use a build secret instead (`fly deploy --build-secret NAME=VALUE` and \
             `RUN --mount=type=secret,id=NAME` in the Dockerfile): build arguments stay in the image.",
        );
    }
    if config.credentials.iter().any(|c| c.section == ConfigSection::Files) {
        next.push_str(" For [[files]], replace `raw_value` with `secret_name` naming a Fly secret.");
    }
    Outcome {
        problems,
        passed: String::new(),
        failed: format!(
            "fly.toml is kept in version control and shown by `fly config show`, yet entries of {} look like credentials:",
            config.file
        ),
        next_step: next,
    }
}

fn port_protocol(service_protocol: Option<&str>) -> &'static str {
    match service_protocol.map(str::to_ascii_lowercase).as_deref() {
        Some("udp") => "UDP",
        _ => "TCP",
    }
}

fn transport_unencrypted(input: &SafeguardInput) -> Outcome {
    let config = &input.config;
    if !input.handles_phi() {
        return Outcome::passed(no_phi_reason(input));
    }
    let services: Vec<_> = config.all_services().collect();
    let ports: Vec<(&super::ServiceConfig, &PortConfig)> =
        services.iter().flat_map(|s| s.ports.iter().map(move |p| (*s, p))).collect();
    if ports.is_empty() {
        return Outcome::passed(
            "No [http_service] and no [[services]] port: nothing is exposed through the Fly proxy.",
        );
    }
    if input.public_ips == Some(false) {
        return Outcome::passed(format!(
            "{} has no public IP address, so its ports are reached only over Fly's private network, which is \
             encrypted (WireGuard).",
            app_label(config)
        ));
    }
    let mut problems = Vec::new();
    for (service, port) in &ports {
        let http = port.has("http");
        let tls = port.has("tls") || port.has("pg_tls");
        let problem = if http && !tls && !port.force_https {
            Some(match service.kind {
                ServiceKind::HttpService => {
                    "[http_service] without `force_https = true`: port 80 answers plain HTTP".to_owned()
                }
                ServiceKind::Service => format!(
                    "port {} has the `http` handler without `tls` or `force_https = true`: it answers plain HTTP",
                    port.label()
                ),
            })
        } else if !http && !tls {
            let proto = port_protocol(service.protocol.as_deref());
            Some(format!(
                "port {} passes raw {proto} to the app with no TLS at Fly's edge (encrypted only if the app itself \
                 speaks TLS there, which fly.toml cannot show)",
                port.label()
            ))
        } else {
            None
        };
        if let Some(message) = problem {
            problems.push(Problem { at: port.at.clone(), message, state: CheckState::Failed });
        }
    }
    if problems.is_empty() {
        let mut labels: Vec<String> = Vec::new();
        for label in ports.iter().map(|(_, p)| p.label()) {
            if !labels.contains(&label) {
                labels.push(label);
            }
        }
        return Outcome::passed(format!(
            "Every public port uses TLS at Fly's edge or redirects HTTP to HTTPS (ports {}).",
            labels.join(", ")
        ));
    }
    Outcome {
        problems,
        passed: String::new(),
        failed: format!("{} {} and can be reached without encryption:", app_label(config), phi_words(input)),
        next_step: "Set `force_https = true` in [http_service] and on every `http` port of [[services]]; give raw TCP \
                    ports the `tls` handler (`handlers = [\"tls\"]`), or, if the app requires TLS itself, record an \
                    exception saying how; or serve the app privately only (Flycast, `fly ips release` its public \
                    addresses)."
            .to_owned(),
    }
}

fn public_database(input: &SafeguardInput) -> Outcome {
    let config = &input.config;
    let Some(sign) = config.database.first() else {
        return Outcome::passed(
            "No sign of a database app: no Fly Postgres or database image, no database port, no `pg_tls` handler.",
        );
    };
    let app = config.app_name().unwrap_or("APP");
    // Every port of a database app is a way into it; [http_service] too, since flyctl
    // makes public ports of it.
    let ports: Vec<&PortConfig> = config.all_services().flat_map(|s| s.ports.iter()).collect();
    let what = if config.is_fly_postgres() { "a Fly Postgres app" } else { "a database app" };
    if ports.is_empty() {
        return Outcome::passed(format!(
            "{} is {what} ({}) with no public port.",
            app_label(config),
            sign.why
        ));
    }
    if input.public_ips == Some(false) {
        return Outcome::passed(format!(
            "{} is {what} ({}) with service ports, but it has no public IP address: they are private (Flycast).",
            app_label(config),
            sign.why
        ));
    }
    let confirmed = input.public_ips == Some(true);
    let problems = ports
        .iter()
        .map(|p| Problem {
            at: p.at.clone(),
            message: if confirmed {
                format!("port {} is public (the app has a public IP address)", p.label())
            } else {
                format!(
                    "port {} is a public port of the Fly proxy (`fly deploy` gives the app public addresses unless told \
                     `--flycast` or `--no-public-ips`; fly.toml cannot show which)",
                    p.label()
                )
            },
            state: CheckState::Failed,
        })
        .collect();
    Outcome {
        problems,
        passed: String::new(),
        failed: format!("{} is {what} ({}) and is reachable from the internet:", app_label(config), sign.why),
        next_step: format!(
            "Remove the public ports (apps of the org reach the database over the private network, \
             `{app}.internal` or `{app}.flycast`), or release its public addresses (`fly ips list -a {app}`, \
             `fly ips release ADDRESS -a {app}`) and keep a private one (`fly ips allocate-v6 --private -a {app}`); \
             connect from outside with `fly proxy` or WireGuard. If `fly ips list` shows no public address, record an \
             exception with that evidence."
        ),
    }
}

fn backup_missing(input: &SafeguardInput, policy: &SafeguardPolicy) -> Outcome {
    let config = &input.config;
    if !input.handles_phi() {
        return Outcome::passed(no_phi_reason(input));
    }
    let wanted = policy.snapshot_retention_days;
    let mut problems = Vec::new();
    let mut fine = Vec::new();
    for mount in &config.mounts {
        let name = mount.source.as_deref().map_or_else(|| "a volume".to_owned(), |s| format!("volume `{s}`"));
        if let Some(off) = mount.scheduled_snapshots.as_ref().filter(|f| !f.value) {
            problems.push(Problem {
                at: off.at.clone(),
                message: format!("{name}: `scheduled_snapshots = false`, so Fly takes no daily snapshots"),
                state: CheckState::Failed,
            });
            continue;
        }
        match &mount.snapshot_retention {
            Some(days) if days.value < i64::from(wanted) => problems.push(Problem {
                at: days.at.clone(),
                message: format!("{name}: snapshots are kept {} days, fewer than the policy's {wanted}", days.value),
                state: CheckState::Failed,
            }),
            Some(days) => fine.push(format!("{name}: {} days", days.value)),
            None if FLY_DEFAULT_SNAPSHOT_RETENTION_DAYS < wanted => problems.push(Problem {
                at: mount.at.clone(),
                message: format!(
                    "{name}: no `snapshot_retention`, so a volume created from this file keeps snapshots \
                     {FLY_DEFAULT_SNAPSHOT_RETENTION_DAYS} days (Fly's default), fewer than the policy's {wanted}"
                ),
                state: CheckState::Failed,
            }),
            None => fine.push(format!("{name}: {FLY_DEFAULT_SNAPSHOT_RETENTION_DAYS} days (Fly's default)")),
        }
    }
    if config.is_fly_postgres() {
        let secret_seen = input
            .secret_names
            .as_ref()
            .is_some_and(|names| names.iter().any(|n| n == FLY_POSTGRES_BACKUP_SECRET));
        if secret_seen {
            fine.push(format!("Fly Postgres backups configured ({FLY_POSTGRES_BACKUP_SECRET} is set)"));
        } else if let Some(hint) = config.backup_hints.first() {
            fine.push(format!("a backup tool is configured (`{}`)", hint.value));
        } else {
            let at = config.image.as_ref().map_or_else(|| config.location(), |i| i.at.clone());
            problems.push(match &input.secret_names {
                Some(_) => Problem {
                    at,
                    message: format!(
                        "Fly Postgres with no backup setting: the app's secrets have no {FLY_POSTGRES_BACKUP_SECRET}"
                    ),
                    state: CheckState::Failed,
                },
                None => Problem {
                    at,
                    message: format!(
                        "Fly Postgres: whether backups are on shows only in the app's secrets \
                         ({FLY_POSTGRES_BACKUP_SECRET}), which were not given"
                    ),
                    state: CheckState::NotVerifiable,
                },
            });
        }
    }
    if problems.is_empty() {
        return Outcome::passed(if fine.is_empty() {
            "No volumes: nothing on this app's disks to snapshot.".to_owned()
        } else {
            format!("Snapshots and backups meet the policy of {wanted} days: {}.", fine.join("; "))
        });
    }
    let app = config.app_name().unwrap_or("APP");
    let mut next = format!(
        "Set `snapshot_retention = {wanted}` (or more, up to 60) on each [[mounts]] and leave `scheduled_snapshots` on. \
         fly.toml applies only when a volume is created, so also update the existing volumes: `fly volumes list -a {app}`, \
         then `fly volumes update VOLUME_ID --snapshot-retention {wanted} --scheduled-snapshots=true -a {app}`."
    );
    if config.is_fly_postgres() {
        next.push_str(&format!(" For Fly Postgres, turn on backups: `fly postgres backup enable -a {app}`."));
    }
    Outcome {
        problems,
        passed: String::new(),
        failed: format!(
            "{} {}, and its data is not kept recoverable as the policy asks:",
            app_label(config),
            phi_words(input)
        ),
        next_step: next,
    }
}

fn env_label(env: Environment) -> &'static str {
    match env {
        Environment::Production => "production",
        Environment::Staging => "staging",
        Environment::Development => "development",
    }
}

fn hint_label(hint: &super::EnvironmentHint) -> String {
    match &hint.source {
        super::HintSource::FileName => "the file name".to_owned(),
        super::HintSource::AppName => "the app name".to_owned(),
        super::HintSource::Env { key } => format!("`{key}`"),
    }
}

fn environment_mixed(input: &SafeguardInput, others: &[&SafeguardInput]) -> Outcome {
    let config = &input.config;
    let hints = &config.environment_hints;
    let mut problems = Vec::new();
    if let Some(first) = hints.first() {
        for other in hints.iter().filter(|h| h.environment != first.environment) {
            problems.push(Problem {
                at: other.at.clone(),
                message: format!(
                    "{} says {} but {} says {}: one file for two environments",
                    hint_label(first),
                    env_label(first.environment),
                    hint_label(other),
                    env_label(other.environment)
                ),
                state: CheckState::Failed,
            });
        }
    }
    if let Some(app) = config.app_name() {
        for other in others.iter().filter(|o| o.config.app_name() == Some(app)) {
            for theirs in &other.config.environment_hints {
                if hints.iter().any(|mine| mine.environment != theirs.environment) {
                    problems.push(Problem {
                        at: config.location(),
                        message: format!(
                            "app `{app}` is also configured by {} for {} ({})",
                            other.config.file,
                            env_label(theirs.environment),
                            hint_label(theirs)
                        ),
                        state: CheckState::Failed,
                    });
                    break;
                }
            }
        }
    }
    // The app name against the org is the coverage engine's own environment-mixed rule; here
    // the file itself (its name, NODE_ENV and the like) is compared with the org.
    let file_hints: Vec<_> =
        hints.iter().filter(|h| !matches!(h.source, super::HintSource::AppName)).collect();
    match input.org_environment {
        Some(org) => {
            for hint in file_hints.iter().filter(|h| h.environment != org) {
                problems.push(Problem {
                    at: hint.at.clone(),
                    message: format!(
                        "{} says {} but {} lives in a {} org",
                        hint_label(hint),
                        env_label(hint.environment),
                        app_label(config),
                        env_label(org)
                    ),
                    state: CheckState::Failed,
                });
            }
        }
        None if problems.is_empty() => problems.push(Problem {
            at: config.location(),
            message: "the environment of the app's org is not known here".to_owned(),
            state: CheckState::NotVerifiable,
        }),
        None => {}
    }
    let named = if hints.is_empty() {
        "names no environment".to_owned()
    } else {
        let mut envs: Vec<&str> = Vec::new();
        for env in hints.iter().map(|h| env_label(h.environment)) {
            if !envs.contains(&env) {
                envs.push(env);
            }
        }
        format!("is for {}", envs.join(" and "))
    };
    let passed = match input.org_environment {
        Some(org) => {
            format!("{} {named}, and {} lives in a {} org.", config.file, app_label(config), env_label(org))
        }
        None => String::new(),
    };
    let failed_all_unverifiable = problems.iter().all(|p| p.state == CheckState::NotVerifiable);
    Outcome {
        problems,
        passed,
        failed: if failed_all_unverifiable {
            format!("{} {named}; whether that matches the app's org cannot be checked:", config.file)
        } else {
            format!("{} mixes environments:", config.file)
        },
        next_step: if failed_all_unverifiable {
            "Check the file where the app's org is known: import it with a fly snapshot (the org comes from \
             `fly apps list`), or state the org's environment to `baa-tracker check --org-environment`."
                .to_owned()
        } else {
            "Keep one fly.toml per environment (`fly.toml` for production, `fly.staging.toml` for staging), each naming \
             its own app in its own org, deploy with `fly deploy --config FILE`, and move an app that is in the wrong \
             org (`fly apps move APP --org ORG`)."
                .to_owned()
        },
    }
}
