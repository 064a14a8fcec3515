//! `baa-tracker check`: the CI gate. Reads the coverage report of a running BAA Tracker through
//! the REST API, prints the findings (of one app, or the whole workspace), and exits
//!
//! - `0` when no finding is at or above the threshold (`--fail-on`, default `critical`),
//! - `1` when at least one is,
//! - `2` on usage errors (clap's own exit code), and on connection, authentication or server
//!   errors: a gate that cannot ask must not pass silently, and must not look like a finding.

use baa_core::coverage::{Finding, Severity};
use clap::{Args, ValueEnum};
use std::io::Write;

/// Exit code: nothing at or above the threshold.
pub const PASS: i32 = 0;
/// Exit code: a finding at or above the threshold.
pub const FAIL: i32 = 1;
/// Exit code: usage, connection or server error.
pub const ERROR: i32 = 2;

/// Severity threshold of `--fail-on`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Threshold {
    /// Only critical findings fail.
    Critical,
    /// High and critical findings fail.
    High,
    /// Medium, high and critical findings fail.
    Medium,
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
#[derive(Debug, Clone, Args)]
pub struct CheckArgs {
    /// Base URL of BAA Tracker, such as https://baa.example.com.
    #[arg(long, env = "BAA_SERVER")]
    pub server: String,
    /// API token (read scope is enough); better passed as the BAA_TOKEN environment variable.
    #[arg(long, env = "BAA_TOKEN", hide_env_values = true)]
    pub token: String,
    /// Only this app's services, the app, its org and the agreements its chains rely on.
    #[arg(long)]
    pub app: Option<String>,
    /// Print the report as JSON instead of text.
    #[arg(long)]
    pub json: bool,
    /// Lowest severity that fails the check.
    #[arg(long, value_enum, default_value = "critical")]
    pub fail_on: Threshold,
}

/// Runs the check, printing to `out` (report) and `err` (problems); returns the exit code.
pub async fn run(args: &CheckArgs, out: &mut impl Write, err: &mut impl Write) -> i32 {
    match fetch(args).await {
        Ok(report) => print(args, &report, out, err),
        Err(message) => {
            let _ = writeln!(err, "baa-tracker check: {message}");
            ERROR
        }
    }
}

async fn fetch(args: &CheckArgs) -> Result<serde_json::Value, String> {
    let base = args.server.trim().trim_end_matches('/').to_string();
    let mut url = url::Url::parse(&format!("{base}/api/v1/coverage"))
        .ok()
        .filter(|u| matches!(u.scheme(), "http" | "https"))
        .ok_or_else(|| format!("--server {} is not an http(s) URL", args.server))?;
    if let Some(app) = &args.app {
        url.query_pairs_mut().append_pair("app", app);
    }
    let client = reqwest::Client::builder()
        .timeout(std::time::Duration::from_secs(30))
        .build()
        .map_err(|e| format!("cannot start an HTTP client: {e}"))?;
    let res = client
        .get(url)
        .bearer_auth(args.token.trim())
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
    let threshold = args.fail_on.severity();
    let failing = findings.iter().filter(|f| f.severity >= threshold).count();
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
    if code == FAIL {
        let _ = writeln!(out, "FAIL: {failing} findings at or above {threshold_name}");
    } else {
        let _ = writeln!(out, "PASS: no findings at or above {threshold_name}");
    }
    code
}
