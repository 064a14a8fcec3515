//! `baa-tracker check`: the CI gate. Reads the coverage report of a running BAA Tracker through
//! the REST API, prints the findings (of one app, or the whole workspace), and exits
//!
//! - `0` when no finding is at or above the threshold (`--fail-on`, default `critical`),
//! - `1` when at least one is,
//! - `2` on usage errors (clap's own exit code), and on connection, authentication or server
//!   errors: a gate that cannot ask must not pass silently, and must not look like a finding.
//!
//! With `--fly-toml PATH...` it checks local fly.toml files instead, before deploy, with no
//! server and no token ([`check_fly_toml`]): the platform safeguards of
//! `baa_core::safeguards`, every app treated as handling PHI unless `--no-phi`. Same exit codes;
//! a file that cannot be read or is not valid TOML is a `2`. Secret values found in a file are
//! never printed: the checks do not keep them.

use baa_core::coverage::{Environment, Finding, Phi, Severity};
use baa_core::safeguards::{self, CheckState, PlatformConfig, SafeguardInput, SafeguardPolicy};
use clap::{Args, ValueEnum};
use std::io::Write;
use std::path::{Path, PathBuf};

/// Exit code: nothing at or above the threshold.
pub const PASS: i32 = 0;
/// Exit code: a finding at or above the threshold.
pub const FAIL: i32 = 1;
/// Exit code: usage, connection or server error.
pub const ERROR: i32 = 2;

/// Severity threshold of `--fail-on`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, ValueEnum)]
pub enum Threshold {
    /// Only critical findings fail.
    #[default]
    Critical,
    /// High and critical findings fail.
    High,
    /// Medium, high and critical findings fail.
    Medium,
}

/// The environment of the org the checked apps live in (`--org-environment`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OrgEnvironment {
    /// A production org.
    Production,
    /// A staging org.
    Staging,
    /// A development org.
    Development,
}

impl From<OrgEnvironment> for Environment {
    fn from(e: OrgEnvironment) -> Self {
        match e {
            OrgEnvironment::Production => Environment::Production,
            OrgEnvironment::Staging => Environment::Staging,
            OrgEnvironment::Development => Environment::Development,
        }
    }
}

impl Threshold {
    fn severity(self) -> Severity {
        match self {
            Threshold::Critical => Severity::Critical,
            Threshold::High => Severity::High,
            Threshold::Medium => Severity::Medium,
        }
    }
}

/// Arguments of `check`.
#[derive(Debug, Clone, Default, Args)]
pub struct CheckArgs {
    /// Base URL of BAA Tracker, such as https://baa.example.com.
    #[arg(long, env = "BAA_SERVER", required_unless_present = "fly_toml")]
    pub server: Option<String>,
    /// API token (read scope is enough); better passed as the BAA_TOKEN environment variable.
    #[arg(long, env = "BAA_TOKEN", hide_env_values = true, required_unless_present = "fly_toml")]
    pub token: Option<String>,
    /// Only this app's services, the app, its org and the agreements its chains rely on.
    #[arg(long, conflicts_with = "fly_toml")]
    pub app: Option<String>,
    /// Print the report as JSON instead of text.
    #[arg(long)]
    pub json: bool,
    /// Lowest severity that fails the check.
    #[arg(long, value_enum, default_value = "critical")]
    pub fail_on: Threshold,
    /// Check these local fly.toml files (or the fly.toml and fly.*.toml of these folders)
    /// instead of asking a server: no server and no token needed (BAA_SERVER and BAA_TOKEN, if
    /// set, are ignored).
    #[arg(long = "fly-toml", value_name = "PATH", num_args = 1..)]
    pub fly_toml: Vec<PathBuf>,
    /// With --fly-toml: the apps handle no PHI (default: treated as handling PHI, as unknown
    /// PHI is). Transport and backup checks then pass as not required.
    #[arg(long, requires = "fly_toml")]
    pub no_phi: bool,
    /// With --fly-toml: the environment of the org the apps are deployed to, so that a staging
    /// file bound for a production org fails (default: unknown, not verifiable).
    #[arg(long, value_enum, requires = "fly_toml")]
    pub org_environment: Option<OrgEnvironment>,
    /// With --fly-toml: fewest days of volume snapshots asked for (default 7).
    #[arg(long, value_name = "DAYS", requires = "fly_toml", value_parser = clap::value_parser!(u32).range(1..=60))]
    pub snapshot_retention_days: Option<u32>,
}

/// Runs the check, printing to `out` (report) and `err` (problems); returns the exit code.
pub async fn run(args: &CheckArgs, out: &mut impl Write, err: &mut impl Write) -> i32 {
    if !args.fly_toml.is_empty() {
        return check_fly_toml(args, out, err);
    }
    match fetch(args).await {
        Ok(report) => print(args, &report, out, err),
        Err(message) => {
            let _ = writeln!(err, "baa-tracker check: {message}");
            ERROR
        }
    }
}

async fn fetch(args: &CheckArgs) -> Result<serde_json::Value, String> {
    let (Some(server), Some(token)) = (&args.server, &args.token) else {
        return Err("--server and --token (or BAA_SERVER and BAA_TOKEN) are needed, or --fly-toml".into());
    };
    let base = server.trim().trim_end_matches('/').to_string();
    let mut url = url::Url::parse(&format!("{base}/api/v1/coverage"))
        .ok()
        .filter(|u| matches!(u.scheme(), "http" | "https"))
        .ok_or_else(|| format!("--server {server} is not an http(s) URL"))?;
    if let Some(app) = &args.app {
        url.query_pairs_mut().append_pair("app", app);
    }
    let client = reqwest::Client::builder()
        .timeout(std::time::Duration::from_secs(30))
        .build()
        .map_err(|e| format!("cannot start an HTTP client: {e}"))?;
    let res = client
        .get(url)
        .bearer_auth(token.trim())
        .header("accept", "application/json")
        .send()
        .await
        .map_err(|e| format!("cannot reach {base}: {e}"))?;
    let status = res.status();
    let body: serde_json::Value = res.json().await.unwrap_or(serde_json::Value::Null);
    if !status.is_success() {
        let message = body["error"]["message"].as_str().unwrap_or("no details");
        let code = body["error"]["code"].as_str().unwrap_or("error");
        return Err(format!("the server answered {} ({code}): {message}", status.as_u16()));
    }
    if !body["findings"].is_array() {
        return Err(
            "the server's answer is not a coverage report (is --server the BAA Tracker address?)".into()
        );
    }
    Ok(body)
}

fn print(args: &CheckArgs, report: &serde_json::Value, out: &mut impl Write, err: &mut impl Write) -> i32 {
    let findings: Vec<Finding> = match serde_json::from_value(report["findings"].clone()) {
        Ok(f) => f,
        Err(e) => {
            let _ = writeln!(err, "baa-tracker check: unexpected findings in the report: {e}");
            return ERROR;
        }
    };
    // Platform safeguard results; a server that predates them sends none.
    let checks: Vec<safeguards::SafeguardResult> =
        match serde_json::from_value(report.get("safeguards").cloned().unwrap_or(serde_json::json!([]))) {
            Ok(c) => c,
            Err(e) => {
                let _ = writeln!(err, "baa-tracker check: unexpected safeguard results in the report: {e}");
                return ERROR;
            }
        };
    let threshold = args.fail_on.severity();
    let failing_safeguards = checks.iter().filter(|r| r.is_failure() && r.severity >= threshold).count();
    let failing = findings.iter().filter(|f| f.severity >= threshold).count() + failing_safeguards;
    let code = if failing > 0 { FAIL } else { PASS };
    let scope = args.app.as_deref().map(|a| format!("app {a}")).unwrap_or_else(|| "the workspace".into());
    let threshold_name = format!("{:?}", args.fail_on).to_lowercase();
    if args.json {
        let doc = serde_json::json!({
            "as_of": report["as_of"],
            "app": report["app"],
            "fail_on": threshold_name,
            "failing": failing,
            "passed": code == PASS,
            "summary": report["summary"],
            "findings": findings,
            "safeguards": checks,
        });
        let _ = writeln!(out, "{}", serde_json::to_string_pretty(&doc).unwrap_or_default());
        return code;
    }
    let as_of = report["as_of"].as_str().unwrap_or("today");
    let _ = writeln!(out, "BAA coverage of {scope} as of {as_of}: {} findings", findings.len());
    for f in &findings {
        let _ = writeln!(
            out,
            "{:<8} {:<24} {} {}: {}\n         next: {}",
            format!("{:?}", f.severity).to_uppercase(),
            f.rule.as_str(),
            format!("{:?}", f.subject.kind).to_lowercase(),
            f.subject.name,
            f.explanation,
            f.next_step
        );
    }
    let shown: Vec<&safeguards::SafeguardResult> =
        checks.iter().filter(|r| matches!(r.state, CheckState::Failed | CheckState::NotVerifiable)).collect();
    if !checks.is_empty() {
        let _ = writeln!(
            out,
            "Platform safeguards: {} checks, {} failed, {} not verifiable",
            checks.len(),
            checks.iter().filter(|r| r.state == CheckState::Failed).count(),
            checks.iter().filter(|r| r.state == CheckState::NotVerifiable).count()
        );
    }
    for r in shown {
        let _ = writeln!(
            out,
            "{:<8} {:<24} app {} ({}): {} {}\n         next: {}",
            format!("{:?}", r.severity).to_uppercase(),
            r.rule.as_str(),
            r.app.as_deref().unwrap_or("?"),
            r.at,
            r.state.as_str(),
            r.explanation,
            r.next_step.as_deref().unwrap_or("-")
        );
    }
    if code == FAIL {
        let _ = writeln!(out, "FAIL: {failing} findings at or above {threshold_name}");
    } else {
        let _ = writeln!(out, "PASS: no findings at or above {threshold_name}");
    }
    code
}

/// The fly.toml files of a path: the file itself, or `fly.toml` and `fly.*.toml` of a folder
/// (the names `fly launch` and `fly deploy --config` use).
fn fly_toml_paths(path: &Path) -> Result<Vec<PathBuf>, String> {
    if !path.is_dir() {
        return Ok(vec![path.to_path_buf()]);
    }
    let entries = std::fs::read_dir(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let mut found = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        let name = entry.file_name().to_string_lossy().into_owned();
        let is_fly_toml = name == "fly.toml" || (name.starts_with("fly.") && name.ends_with(".toml"));
        if is_fly_toml && entry.path().is_file() {
            found.push(entry.path());
        }
    }
    found.sort();
    if found.is_empty() {
        return Err(format!("{} holds no fly.toml or fly.*.toml", path.display()));
    }
    Ok(found)
}

/// Largest fly.toml read; real ones are a few kilobytes.
const MAX_FLY_TOML_BYTES: u64 = 1024 * 1024;

/// Reads and parses every file; every problem is reported, not only the first.
fn read_fly_tomls(paths: &[PathBuf]) -> Result<Vec<PlatformConfig>, Vec<String>> {
    let mut configs = Vec::new();
    let mut problems = Vec::new();
    for path in paths {
        let files = match fly_toml_paths(path) {
            Ok(f) => f,
            Err(e) => {
                problems.push(e);
                continue;
            }
        };
        for file in files {
            let name = file.display().to_string();
            let text = match std::fs::metadata(&file) {
                Ok(m) if m.len() > MAX_FLY_TOML_BYTES => {
                    Err(format!("{name} is {} bytes, too large for a fly.toml", m.len()))
                }
                Ok(_) => std::fs::read(&file).map_err(|e| format!("cannot read {name}: {e}")),
                Err(e) => Err(format!("cannot read {name}: {e}")),
            }
            .and_then(|bytes| String::from_utf8(bytes).map_err(|_| format!("{name} is not UTF-8 text")));
            match text.map(|t| PlatformConfig::parse(&name, &t).map_err(|e| e.to_string())) {
                Ok(Ok(config)) => configs.push(config),
                Ok(Err(e)) | Err(e) => problems.push(e),
            }
        }
    }
    if problems.is_empty() {
        Ok(configs)
    } else {
        Err(problems)
    }
}

fn state_label(state: CheckState) -> &'static str {
    match state {
        CheckState::Passed => "passed",
        CheckState::PassedByException => "excepted",
        CheckState::Failed => "FAILED",
        CheckState::NotVerifiable => "unknown",
    }
}

fn at_label(at: &baa_core::fly_import::Location) -> String {
    match at.line {
        Some(line) => format!("{}:{line}", at.file),
        None => at.file.clone(),
    }
}

/// `check --fly-toml`: runs the platform safeguard checks over local fly.toml files and prints
/// every check of every file; returns 1 when a failure is at or above `--fail-on`, 0 otherwise,
/// 2 when a path cannot be read or a file is not a valid fly.toml.
pub fn check_fly_toml(args: &CheckArgs, out: &mut impl Write, err: &mut impl Write) -> i32 {
    let configs = match read_fly_tomls(&args.fly_toml) {
        Ok(c) => c,
        Err(problems) => {
            for p in problems {
                let _ = writeln!(err, "baa-tracker check: {p}");
            }
            let _ = writeln!(err, "baa-tracker check: nothing was checked");
            return ERROR;
        }
    };
    let phi = if args.no_phi { Phi::no("--no-phi given to baa-tracker check") } else { Phi::Unknown };
    let inputs: Vec<SafeguardInput> = configs
        .into_iter()
        .map(|config| SafeguardInput {
            phi: phi.clone(),
            org_environment: args.org_environment.map(Environment::from),
            ..SafeguardInput::new(config)
        })
        .collect();
    let policy = SafeguardPolicy {
        snapshot_retention_days: args
            .snapshot_retention_days
            .unwrap_or(safeguards::DEFAULT_SNAPSHOT_RETENTION_DAYS),
        exceptions: Vec::new(),
    };
    // Exceptions are recorded in the tracker, not given here, so the day only matters for them.
    let today = baa_backend::clock::Clock::system().now_utc().date_naive();
    let report = safeguards::check(&inputs, &policy, today);
    let threshold = args.fail_on.severity();
    let failing = report.failures_at_or_above(threshold);
    let code = if failing > 0 { FAIL } else { PASS };
    let threshold_name = format!("{:?}", args.fail_on).to_lowercase();
    if args.json {
        let doc = serde_json::json!({
            "fail_on": threshold_name,
            "failing": failing,
            "passed": code == PASS,
            "files": inputs.iter().map(|i| i.config.file.clone()).collect::<Vec<_>>(),
            "treated_as_phi": !args.no_phi,
            "results": report.results,
        });
        let _ = writeln!(out, "{}", serde_json::to_string_pretty(&doc).unwrap_or_default());
        return code;
    }
    for input in &inputs {
        let config = &input.config;
        let app = config.app_name().map_or_else(|| "no app name".to_owned(), |a| format!("app {a}"));
        let phi = if input.handles_phi() { "treated as handling PHI" } else { "no PHI (--no-phi)" };
        let _ = writeln!(out, "{} ({app}, {phi})", config.file);
        for r in report.results.iter().filter(|r| r.file == config.file) {
            let _ = writeln!(
                out,
                "  {:<8} {:<8} {:<22} {}\n           {}",
                state_label(r.state),
                format!("{:?}", r.severity).to_uppercase(),
                r.rule.as_str(),
                at_label(&r.at),
                r.explanation
            );
            if let Some(next) = &r.next_step {
                let _ = writeln!(out, "           next: {next}");
            }
        }
    }
    let count = |state| report.results.iter().filter(|r| r.state == state).count();
    let all_failures = count(CheckState::Failed);
    let unknown = count(CheckState::NotVerifiable);
    if code == FAIL {
        let _ = writeln!(out, "FAIL: {failing} failed checks at or above {threshold_name} ({all_failures} failed in all, {unknown} not verifiable)");
    } else {
        let _ = writeln!(
            out,
            "PASS: no failed check at or above {threshold_name} ({all_failures} below it, {unknown} not verifiable)"
        );
    }
    code
}
