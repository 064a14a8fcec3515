//! The checks: one result per (file, rule), from the facts of each fly.toml and what the
//! tracker knows about its app.
//!
//! The policy, inputs, results and the run that turns each rule's findings into a result are
//! here; each rule is in its own file.

mod backup;
mod database;
mod environment;
mod secrets;
mod transport;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::{PlatformConfig, SafeguardException, SafeguardPolicy, SafeguardRule};
use crate::coverage::{Environment, Phi, Severity};
use crate::source::Location;
use backup::backup_missing;
use database::public_database;
use environment::environment_mixed;
use secrets::secret_in_config;
use transport::transport_unencrypted;

/// Days Fly keeps a volume's snapshots when nobody sets `snapshot_retention` (flyctl's
/// `fly volumes create --snapshot-retention` default, and the platform's for volumes created
/// on deploy).
pub const FLY_DEFAULT_SNAPSHOT_RETENTION_DAYS: u32 = 5;

/// The secret Fly Postgres keeps its backup (Barman) configuration in (flyctl
/// `flypg.BarmanSecretName`); `fly postgres backup enable` sets it.
const FLY_POSTGRES_BACKUP_SECRET: &str = "S3_ARCHIVE_CONFIG";

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
