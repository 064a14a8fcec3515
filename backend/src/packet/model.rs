//! What an evidence packet says: plain data, assembled elsewhere (from the database, for one
//! as-of date) and rendered by [`crate::packet::render_pdf`]. Nothing here touches storage, so a
//! packet can be rendered, snapshotted and tested from a literal value.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// Everything printed in one evidence packet (domain section 6).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PacketData {
    /// Id of this packet (also in the bundle manifest and the audit trail).
    pub packet_id: String,
    /// Workspace id: part of every audit entry's hash, so needed to re-check the excerpt.
    pub workspace_id: String,
    /// Workspace display name.
    pub workspace_name: String,
    /// The day the packet describes.
    pub as_of: NaiveDate,
    /// Who asked for it.
    pub generated_by: Person,
    /// When it was made.
    pub generated_at: DateTime<Utc>,
    /// Headline counts.
    pub summary: Summary,
    /// Inventory of business associates (vendors and subcontractors handling PHI for us).
    pub business_associates: Vec<BusinessAssociate>,
    /// One row per service existing on the as-of date.
    pub coverage: Vec<CoverageRow>,
    /// Customers, us, vendors and their subcontractors, and the agreements between them.
    pub graph: Graph,
    /// One section per agreement in the packet.
    pub agreements: Vec<AgreementSection>,
    /// Findings open on the as-of date, most severe first.
    pub findings: Vec<FindingRow>,
    /// Platform safeguard checks (issue 18), one row per check of each imported fly.toml and
    /// one per PHI app with no fly.toml (not verifiable).
    #[serde(default)]
    pub safeguards: Vec<SafeguardRow>,
    /// Records entered after the as-of date that say they held on it: the packet shows the day
    /// as recorded then, and lists these apart.
    #[serde(default)]
    pub corrections: Vec<CorrectionRow>,
    /// Verdicts those corrections change: (service, as recorded, with the corrections).
    #[serde(default)]
    pub corrected_verdicts: Vec<(String, String, String)>,
    /// The audit-trail excerpt and the chain head.
    pub audit: AuditExcerpt,
    /// For a packet of a period (its first day to the as-of date): the timeline of each service,
    /// every agreement in force on any day of it, and the changes. Absent for a packet of a day.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub period: Option<PeriodSection>,
}

/// Coverage over a period, as the packet prints it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PeriodSection {
    /// First day.
    pub from: NaiveDate,
    /// Last day (the as-of date).
    pub to: NaiveDate,
    /// Days in the period.
    pub days: i64,
    /// Days before anything was recorded.
    pub days_unrecorded: i64,
    /// True only when every day is recorded and every service was covered every day it existed.
    pub covered_every_day: bool,
    /// One timeline per service.
    pub services: Vec<PeriodService>,
    /// Agreements in force on at least one day: (title, other party, first day, last day).
    pub agreements: Vec<(String, String, NaiveDate, NaiveDate)>,
    /// Changes recorded during the period: (when, who, action, subject, reason).
    pub changes: Vec<(String, String, String, String, String)>,
    /// Corrections recorded later: (record, holds from, recorded, by).
    pub corrections: Vec<(String, String, String, String)>,
}

/// One service over the period.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PeriodService {
    /// Name.
    pub name: String,
    /// Days covered by a chain.
    pub days_covered: i64,
    /// Days with no PHI.
    pub days_no_phi: i64,
    /// Days not covered.
    pub days_uncovered: i64,
    /// Covered (or no PHI) every day it existed, every day recorded.
    pub covered_every_day: bool,
    /// Spans: (first day, last day, days, state label, reason).
    pub spans: Vec<(NaiveDate, NaiveDate, i64, String, String)>,
}

/// One platform safeguard check of one app, as the packet prints it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SafeguardRow {
    /// Fly app.
    pub app: String,
    /// Whether the app handles PHI (or may: unknown counts as PHI).
    pub phi: bool,
    /// Rule id (`secret-in-config`), or `fly.toml` for an app with none imported.
    pub rule: String,
    /// "passed", "passed by exception", "failed" or "not verifiable from the data".
    pub state: String,
    /// Severity of the rule.
    pub severity: Severity,
    /// File and line the result was read from.
    pub at: String,
    /// What was found, with every problem's line and, for an exception, its reason, who approved
    /// it and when.
    pub detail: String,
    /// Next step, empty when passed.
    pub next_step: String,
}

/// A record entered after the as-of date that holds on it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CorrectionRow {
    /// "agreement Fly.io BAA".
    pub record: String,
    /// created, changed or removed.
    pub change: String,
    /// Day from which it holds.
    pub holds_from: String,
    /// When it was recorded.
    pub corrected_on: String,
    /// Who recorded it.
    pub by: String,
    /// Why.
    pub why: String,
}

impl PacketData {
    /// SHA-256 (hex) of this data as JSON: printed on the cover, since a file cannot contain
    /// its own hash. The bundle manifest holds the hash of the PDF file itself.
    pub fn content_sha256(&self) -> Result<String, serde_json::Error> {
        let json = serde_json::to_vec(self)?;
        Ok(hex::encode(Sha256::digest(&json)))
    }
}

/// A person, as printed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Person {
    /// Display name.
    pub name: String,
    /// E-mail address.
    pub email: String,
}

/// Headline counts (aligned with `baa_core::coverage::Summary`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Summary {
    /// Services existing on the as-of date.
    pub services_total: usize,
    /// Of those, covered (by a chain, or handling no PHI with a reason on record).
    pub services_covered: usize,
    /// Open findings per severity.
    pub open_findings: SeverityCounts,
}

/// Number of findings per severity.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SeverityCounts {
    /// Critical.
    pub critical: usize,
    /// High.
    pub high: usize,
    /// Medium.
    pub medium: usize,
    /// Warning (an agreement expiring within a reminder window).
    pub warning: usize,
    /// Low.
    pub low: usize,
}

impl SeverityCounts {
    /// Count of one severity.
    pub fn get(&self, s: Severity) -> usize {
        match s {
            Severity::Critical => self.critical,
            Severity::High => self.high,
            Severity::Medium => self.medium,
            Severity::Warning => self.warning,
            Severity::Low => self.low,
        }
    }

    /// All findings.
    pub fn total(&self) -> usize {
        self.critical + self.high + self.medium + self.warning + self.low
    }
}

/// Severity of a finding (same ids as `baa_core::coverage::Severity`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Severity {
    /// PHI is or may be exposed without a BAA.
    Critical,
    /// Fix soon.
    High,
    /// Fix in the normal course.
    Medium,
    /// Act before a date.
    Warning,
    /// Worth knowing.
    Low,
}

impl Severity {
    /// Most severe first.
    pub const ALL: [Severity; 5] =
        [Severity::Critical, Severity::High, Severity::Medium, Severity::Warning, Severity::Low];

    /// Printed label ("Critical").
    pub fn label(self) -> &'static str {
        match self {
            Severity::Critical => "Critical",
            Severity::High => "High",
            Severity::Medium => "Medium",
            Severity::Warning => "Warning",
            Severity::Low => "Low",
        }
    }
}

impl From<baa_core::coverage::Severity> for Severity {
    fn from(s: baa_core::coverage::Severity) -> Self {
        use baa_core::coverage::Severity as S;
        match s {
            S::Critical => Severity::Critical,
            S::High => Severity::High,
            S::Medium => Severity::Medium,
            S::Warning => Severity::Warning,
            S::Low => Severity::Low,
        }
    }
}

/// One business associate of ours.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BusinessAssociate {
    /// Party name.
    pub name: String,
    /// Services of ours it provides (names).
    pub services: Vec<String>,
    /// Contact for BAA matters (name, e-mail or address as recorded).
    pub contact: String,
}

/// Whether a service handles PHI.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Phi {
    /// Handles PHI.
    Yes,
    /// Handles none (with a reason on record).
    No,
    /// Not known (treated as PHI).
    Unknown,
}

impl Phi {
    /// Printed label.
    pub fn label(self) -> &'static str {
        match self {
            Phi::Yes => "Yes",
            Phi::No => "No",
            Phi::Unknown => "Unknown",
        }
    }
}

/// Coverage verdict of a service (same cases as `baa_core::coverage::Verdict`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Verdict {
    /// Covered by the chain of agreements listed.
    Covered,
    /// Handles no PHI, for the reason recorded.
    CoveredNoPhi,
    /// Handles (or may handle) PHI with no active chain.
    Uncovered,
}

impl Verdict {
    /// Printed label.
    pub fn label(self) -> &'static str {
        match self {
            Verdict::Covered => "Covered",
            Verdict::CoveredNoPhi => "No PHI",
            Verdict::Uncovered => "Not covered",
        }
    }
}

/// One row of the coverage table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CoverageRow {
    /// Service name.
    pub service: String,
    /// Fly app (or "" when none).
    pub app: String,
    /// Fly org.
    pub org: String,
    /// Vendor name.
    pub vendor: String,
    /// Plan (and add-ons).
    pub plan: String,
    /// PHI status.
    pub phi: Phi,
    /// The verdict.
    pub verdict: Verdict,
    /// Why it is uncovered, or the no-PHI reason; "" when covered by a chain.
    #[serde(default)]
    pub detail: String,
    /// Parties of the covering chain, in order (ours first), e.g. ["Us", "Fly.io", "Tigris"].
    pub chain: Vec<String>,
}

/// The relationship graph: customers to us to vendors to their subcontractors.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Graph {
    /// Parties.
    pub nodes: Vec<GraphNode>,
    /// Agreements (or missing ones) between parties.
    pub edges: Vec<GraphEdge>,
}

/// A party in the graph.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GraphNode {
    /// Party id (`us`, `vendor:fly`, `sub:fly:aws`, a customer id).
    pub id: String,
    /// Display name.
    pub label: String,
    /// Which column it is drawn in.
    pub kind: NodeKind,
}

/// Role of a party, left to right in the graph.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum NodeKind {
    /// A covered entity we serve.
    Customer,
    /// Our own party.
    Us,
    /// A vendor of ours.
    Vendor,
    /// A vendor's subcontractor.
    Subcontractor,
}

/// An agreement (or the lack of one) between two parties.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GraphEdge {
    /// Party id upstream (the one whose PHI flows down).
    pub from: String,
    /// Party id downstream.
    pub to: String,
    /// Agreement status on the as-of date ("signed", "expired", "none", ...).
    pub status: String,
    /// Whether the link holds (an active, eligible agreement).
    pub covered: bool,
}

/// One agreement, as an auditor reads it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AgreementSection {
    /// Agreement id.
    pub id: String,
    /// Title ("Fly.io Business Associate Agreement").
    pub title: String,
    /// Party names.
    pub parties: Vec<String>,
    /// Kind, as printed ("BAA", "Subcontractor BAA", "Platform agreement").
    pub kind: String,
    /// Status on the as-of date ("signed", "expired", ...).
    pub status: String,
    /// First day in force.
    pub effective: Option<NaiveDate>,
    /// Day it was signed, when recorded.
    #[serde(default)]
    pub signed_on: Option<NaiveDate>,
    /// Day it was first recorded in the tracker.
    #[serde(default)]
    pub recorded_on: Option<NaiveDate>,
    /// Last day in force (None: does not expire).
    pub expiry: Option<NaiveDate>,
    /// Status history, oldest first.
    pub history: Vec<StatusEntry>,
    /// The required-clause checklist.
    pub clauses: Vec<ClauseRow>,
    /// Executed document versions, oldest first.
    pub documents: Vec<DocumentVersion>,
}

/// One status change of an agreement.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatusEntry {
    /// The new status.
    pub status: String,
    /// Day it took effect.
    pub when: NaiveDate,
    /// Who recorded it.
    pub who: String,
    /// Why (as recorded; may be empty).
    #[serde(default)]
    pub why: String,
}

/// One row of the clause checklist.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClauseRow {
    /// Clause label ("C (breach reporting)").
    pub clause: String,
    /// Whether legal confirmed it is in the document.
    pub confirmed: bool,
    /// Where ("§ 4.2 / p. 3"); "" when not confirmed.
    #[serde(default)]
    pub location: String,
    /// Who confirmed it; "" when not confirmed.
    #[serde(default)]
    pub confirmed_by: String,
    /// When.
    #[serde(default)]
    pub confirmed_on: Option<NaiveDate>,
}

/// One uploaded version of an executed document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DocumentVersion {
    /// 1, 2, ...
    pub version: i64,
    /// The name it was uploaded with.
    pub file_name: String,
    /// Who uploaded it.
    pub uploaded_by: String,
    /// When.
    pub uploaded_at: DateTime<Utc>,
    /// Bytes.
    pub size: u64,
    /// SHA-256 of the bytes, hex.
    pub sha256: String,
}

/// One open finding.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FindingRow {
    /// Rule id ("uncovered-service").
    pub rule: String,
    /// Severity.
    pub severity: Severity,
    /// What it is about (display name).
    pub subject: String,
    /// What is wrong.
    pub message: String,
    /// The concrete next step.
    pub next_step: String,
}

/// The audit-trail excerpt printed in the packet.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditExcerpt {
    /// Consecutive entries of the workspace's chain, oldest first.
    pub entries: Vec<AuditRow>,
    /// Hash of the last entry of the chain when the packet was made.
    pub head_hash: String,
}

/// One audit entry, as printed (the bundle holds the full entries as JSON Lines).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditRow {
    /// Position in the chain, from 1.
    pub seq: i64,
    /// When.
    pub at: DateTime<Utc>,
    /// Actor name.
    pub actor: String,
    /// Action (`agreement.saved`).
    pub action: String,
    /// Subject name.
    pub subject: String,
    /// Hash of this entry.
    pub hash: String,
    /// Hash of the entry before it.
    pub prev_hash: String,
}
