//! The output of the coverage engine.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

/// Identifier of a coverage rule (domain section 3); serializes to its kebab-case id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum RuleId {
    /// A PHI service has no active chain.
    UncoveredService,
    /// A BAA exists but the service's plan or add-on is not eligible.
    PlanIneligible,
    /// The Fly org's plan or package does not include a BAA.
    PlatformPlanIneligible,
    /// An agreement a chain relies on is past its expiry and not renewed.
    AgreementExpired,
    /// An active agreement expires within a reminder window.
    AgreementExpiring,
    /// A signed agreement has no executed document.
    DocumentMissing,
    /// The required-clause checklist is not fully confirmed.
    ClausesIncomplete,
    /// An active customer whose PHI we handle has no signed BAA with us.
    CustomerUncovered,
    /// A vendor's PHI subcontractors are listed without recorded BAAs.
    DownstreamUnverified,
    /// PHI outside production, or staging apps in the production org.
    EnvironmentMixed,
    /// PHI in a region outside the allowed regions.
    RegionOutsidePolicy,
    /// A service's PHI status is unknown.
    PhiUnknown,
    /// A PHI service whose regions are unknown while a region policy is set.
    RegionUnknown,
    /// A PHI service lacks an attestation of the configuration its vendor requires.
    ConfigurationUnconfirmed,
    /// An active agreement ends by a dated termination, or by supersession with no successor.
    AgreementEnding,
    /// An auto-renewing agreement's notice deadline is near.
    RenewalNoticeDue,
}

impl RuleId {
    /// Every rule, in the order of domain section 3, then the rules added since.
    pub const ALL: [RuleId; 16] = [
        RuleId::UncoveredService,
        RuleId::PlanIneligible,
        RuleId::PlatformPlanIneligible,
        RuleId::AgreementExpired,
        RuleId::AgreementExpiring,
        RuleId::DocumentMissing,
        RuleId::ClausesIncomplete,
        RuleId::CustomerUncovered,
        RuleId::DownstreamUnverified,
        RuleId::EnvironmentMixed,
        RuleId::RegionOutsidePolicy,
        RuleId::PhiUnknown,
        RuleId::RegionUnknown,
        RuleId::ConfigurationUnconfirmed,
        RuleId::AgreementEnding,
        RuleId::RenewalNoticeDue,
    ];

    /// The kebab-case id ("uncovered-service").
    pub fn as_str(self) -> &'static str {
        match self {
            RuleId::UncoveredService => "uncovered-service",
            RuleId::PlanIneligible => "plan-ineligible",
            RuleId::PlatformPlanIneligible => "platform-plan-ineligible",
            RuleId::AgreementExpired => "agreement-expired",
            RuleId::AgreementExpiring => "agreement-expiring",
            RuleId::DocumentMissing => "document-missing",
            RuleId::ClausesIncomplete => "clauses-incomplete",
            RuleId::CustomerUncovered => "customer-uncovered",
            RuleId::DownstreamUnverified => "downstream-unverified",
            RuleId::EnvironmentMixed => "environment-mixed",
            RuleId::RegionOutsidePolicy => "region-outside-policy",
            RuleId::PhiUnknown => "phi-unknown",
            RuleId::RegionUnknown => "region-unknown",
            RuleId::ConfigurationUnconfirmed => "configuration-unconfirmed",
            RuleId::AgreementEnding => "agreement-ending",
            RuleId::RenewalNoticeDue => "renewal-notice-due",
        }
    }

    /// The fixed severity of the rule.
    pub fn severity(self) -> Severity {
        match self {
            RuleId::UncoveredService
            | RuleId::PlanIneligible
            | RuleId::PlatformPlanIneligible
            | RuleId::AgreementExpired
            | RuleId::CustomerUncovered => Severity::Critical,
            RuleId::DocumentMissing | RuleId::RegionOutsidePolicy | RuleId::ConfigurationUnconfirmed => {
                Severity::High
            }
            RuleId::ClausesIncomplete
            | RuleId::DownstreamUnverified
            | RuleId::EnvironmentMixed
            | RuleId::RegionUnknown => Severity::Medium,
            RuleId::AgreementExpiring | RuleId::AgreementEnding | RuleId::RenewalNoticeDue => {
                Severity::Warning
            }
            RuleId::PhiUnknown => Severity::Low,
        }
    }
}

impl std::fmt::Display for RuleId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How urgent a finding is; ordered so that `Critical` is the greatest.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Severity {
    /// Worth knowing.
    Low,
    /// Act before a date.
    Warning,
    /// Fix soon.
    Medium,
    /// Fix now.
    High,
    /// PHI is or may be exposed without a BAA.
    Critical,
}

impl Severity {
    /// The kebab-case id (`critical`, `high`, ...), as serialized; pages show it as the label
    /// and style it with the class `sev-<id>`.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Critical => "critical",
            Severity::High => "high",
            Severity::Medium => "medium",
            Severity::Warning => "warning",
            Severity::Low => "low",
        }
    }
}

/// What kind of thing a finding is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum SubjectKind {
    /// A service.
    Service,
    /// An agreement.
    Agreement,
    /// A Fly org.
    Org,
    /// A Fly app.
    App,
    /// A customer party.
    Customer,
    /// A vendor or subcontractor party.
    Vendor,
}

/// The thing a finding is about.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Subject {
    /// Kind of thing.
    pub kind: SubjectKind,
    /// Its id (service id, agreement id, org slug, app name, party id).
    pub id: String,
    /// Its display name.
    pub name: String,
}

/// One problem found, with what to do about it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Finding {
    /// Which rule fired.
    pub rule: RuleId,
    /// The rule's severity.
    pub severity: Severity,
    /// What it is about.
    pub subject: Subject,
    /// What is wrong, in a sentence or two.
    pub explanation: String,
    /// The concrete next step.
    pub next_step: String,
}

/// Coverage verdict of one service.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", tag = "verdict")]
pub enum Verdict {
    /// Covered by the chain of agreements named (ours first).
    Covered {
        /// Agreement ids the coverage relies on.
        chain: Vec<String>,
    },
    /// Handles no PHI, for the recorded reason.
    CoveredNoPhi {
        /// The recorded reason.
        reason: String,
    },
    /// Handles (or may handle) PHI with no active chain.
    Uncovered {
        /// Why no chain holds.
        why: String,
    },
}

impl Verdict {
    /// Whether the service is covered (with or without PHI).
    pub fn is_covered(&self) -> bool {
        !matches!(self, Verdict::Uncovered { .. })
    }
}

/// Verdict for one service that exists on the as-of date.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServiceReport {
    /// Service id.
    pub service: String,
    /// Service display name.
    pub name: String,
    /// How the service is named wherever people read it: its vendor, then its name
    /// ("Sentry · acme-api"), so two services never read the same.
    #[serde(default)]
    pub label: String,
    /// Whether it is treated as handling PHI (yes or unknown).
    pub phi: bool,
    /// Whether the service itself is only suspected (found from secrets); it is evaluated
    /// like any other, and shown as unconfirmed.
    #[serde(default)]
    pub unconfirmed: bool,
    /// The verdict.
    pub verdict: Verdict,
}

/// What comes to an end, or must be decided, on a deadline.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum DeadlineKind {
    /// The agreement expires (its last day in force).
    Expiry,
    /// A termination recorded ahead of time takes effect (the first day it no longer counts).
    Termination,
    /// It is superseded from that day and no successor agreement is recorded.
    SupersededWithoutSuccessor,
    /// The last day to give notice before an auto-renewing agreement renews itself.
    RenewalNotice,
}

impl DeadlineKind {
    /// The kebab-case id.
    pub fn as_str(self) -> &'static str {
        match self {
            DeadlineKind::Expiry => "expiry",
            DeadlineKind::Termination => "termination",
            DeadlineKind::SupersededWithoutSuccessor => "superseded-without-successor",
            DeadlineKind::RenewalNotice => "renewal-notice",
        }
    }

    /// Short label ("expires", "terminated from").
    pub fn label(self) -> &'static str {
        match self {
            DeadlineKind::Expiry => "expires",
            DeadlineKind::Termination => "terminated from",
            DeadlineKind::SupersededWithoutSuccessor => "superseded without successor from",
            DeadlineKind::RenewalNotice => "renewal notice due by",
        }
    }
}

/// An active agreement with a deadline within the largest reminder window: an expiry, a dated
/// termination, a supersession with no successor, or an auto-renewal's notice deadline.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Deadline {
    /// Agreement id.
    pub agreement: String,
    /// Agreement display name.
    pub name: String,
    /// What happens on the day.
    pub kind: DeadlineKind,
    /// The day.
    pub on: NaiveDate,
    /// Days from the as-of date to the day (0 on the day).
    pub days_left: i64,
    /// The smallest reminder window that contains it.
    pub window: u32,
}

/// Counts for the summary screen.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Summary {
    /// Services existing on the as-of date.
    pub services: usize,
    /// Of those, treated as handling PHI (yes or unknown).
    pub phi_services: usize,
    /// PHI services with an active chain.
    pub covered_phi: usize,
    /// PHI services without one.
    pub uncovered_phi: usize,
    /// Services recorded as handling no PHI.
    pub no_phi: usize,
    /// Findings of severity critical.
    pub critical: usize,
    /// Findings of severity high.
    pub high: usize,
    /// Findings of severity medium.
    pub medium: usize,
    /// Findings of severity warning.
    pub warning: usize,
    /// Findings of severity low.
    pub low: usize,
}

impl Summary {
    /// Number of findings of a severity.
    pub fn count(&self, severity: Severity) -> usize {
        match severity {
            Severity::Critical => self.critical,
            Severity::High => self.high,
            Severity::Medium => self.medium,
            Severity::Warning => self.warning,
            Severity::Low => self.low,
        }
    }
}

/// The result of one evaluation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Report {
    /// The day it was evaluated for.
    pub as_of: NaiveDate,
    /// One entry per service existing on that day, in input order.
    pub services: Vec<ServiceReport>,
    /// Findings, most severe first, then by rule, subject and text.
    pub findings: Vec<Finding>,
    /// Counts.
    pub summary: Summary,
    /// Deadlines of active agreements within the largest reminder window, soonest first.
    pub deadlines: Vec<Deadline>,
    /// The findings grouped into actions, most severe first, then the largest.
    #[serde(default)]
    pub actions: Vec<Action>,
}

/// Findings that one step resolves: services sharing the rule, vendor, plan, add-ons, product
/// and reason, or a single finding about something else (an agreement, a customer, an org).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Action {
    /// The findings' severity.
    pub severity: Severity,
    /// The rule they share.
    pub rule: RuleId,
    /// What to do ("Sign a BAA with Arcjet", "Move Sentry from Team to Business").
    pub headline: String,
    /// The reason they share, when the headline does not say it.
    pub why: Option<String>,
    /// Indexes into the report's findings.
    pub findings: Vec<usize>,
    /// How many services (0 when the action is about something else).
    pub services: usize,
    /// How many apps use those services.
    pub apps: usize,
    /// The services' vendor slug, for a link to the filtered inventory.
    pub vendor: Option<String>,
}

impl Action {
    /// "212 services in 40 apps", "1 service", or "" for an action about something else.
    pub fn scope(&self) -> String {
        let services = match self.services {
            0 => return String::new(),
            1 => "1 service".to_string(),
            n => format!("{n} services"),
        };
        match self.apps {
            0 => services,
            1 => format!("{services} in 1 app"),
            n => format!("{services} in {n} apps"),
        }
    }
}
