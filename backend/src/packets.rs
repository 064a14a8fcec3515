//! Evidence packets, end to end: [`assemble`] reads the world as of a day into
//! [`PacketData`]; [`start`] queues a packet; [`run_worker`] (a small pool, `PACKET_WORKERS`)
//! generates queued packets, at most one per workspace at a time, with at most
//! `PACKETS_PER_WORKSPACE` waiting per workspace, so no one can queue the server out of memory.
//! The PDF and the ZIP bundle (written to a temporary file and uploaded in pieces, never held
//! whole) are stored in the document object store under `packets/<id>.pdf` and
//! `packets/<id>.zip`, with their SHA-256, the manifest's SHA-256 and the signing key in the
//! `packets` table and the `packet.generated` audit entry. [`download`] re-checks the file's
//! hash before it is sent; [`grant_download`] is the POST that records a download.
//!
//! Who may generate and download: owners, legal and auditors, that is [`Permission::Read`] and
//! any role but engineer ([`can_generate`]). A packet is what legal hands an auditor and what
//! an auditor reads, so both need it; it prints an audit-trail excerpt, which legal may not
//! otherwise browse, but only the part that documents the compliance record.

use crate::accounts::authorize;
use crate::audit::{self, Actor, Event};
use crate::db::new_id;
use crate::error::{AppError, AppResult};
use crate::inventory;
use crate::packet::{
    self, AgreementSection, AuditExcerpt, AuditRow, BundleWriter, BusinessAssociate, ClauseRow, CoverageRow,
    DocumentVersion, FindingRow, Graph, GraphEdge, GraphNode, NodeKind, PacketData, PacketMeta,
    PeriodSection, PeriodService, Person, SeverityCounts, StatusEntry, Summary,
};
use crate::Backend;
use baa_core::account::{Permission, Role, Viewer};
use baa_core::coverage::{self as cov, Clause};
use bytes::Bytes;
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use sqlx::Row;

/// Most audit entries printed in (and bundled with) a packet: the last ones up to the as-of day.
pub const AUDIT_LIMIT: i64 = 500;

/// Whether the viewer may generate and download evidence packets (owners, legal, auditors).
pub fn can_generate(v: &Viewer) -> bool {
    v.can(Permission::Read) && v.role != Role::Engineer
}

fn check(v: &Viewer) -> AppResult<()> {
    authorize(v, Permission::Read)?;
    if v.role == Role::Engineer {
        return Err(AppError::Forbidden(format!(
            "Evidence packets are for owners, legal and auditors; your role ({}) cannot make or download them. Ask an owner of {} if you need one.",
            v.role.label(),
            v.workspace_name
        )));
    }
    Ok(())
}

/// Last second (unix) of a day, UTC.
fn end_of_day(day: NaiveDate) -> i64 {
    day.succ_opt()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|t| t.and_utc().timestamp() - 1)
        .unwrap_or(i64::MAX)
}

fn status_text(s: cov::Status) -> String {
    serde_json::to_value(s).ok().and_then(|v| v.as_str().map(str::to_string)).unwrap_or_default()
}

fn ts(at: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(at, 0).unwrap_or_default()
}

/// One document version in force on the as-of day, with where its bytes are.
#[derive(Debug, Clone)]
struct StoredVersion {
    agreement_id: String,
    version: DocumentVersion,
}

async fn document_versions(b: &Backend, ws: &str, until: i64) -> AppResult<Vec<StoredVersion>> {
    let rows = sqlx::query(
        "SELECT agreement_id, version, file_name, size, sha256, uploaded_by_name, uploaded_at FROM documents \
         WHERE workspace_id = $1 AND uploaded_at <= $2 ORDER BY agreement_id, version",
    )
    .bind(ws)
    .bind(until)
    .fetch_all(&b.db.pool)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(StoredVersion {
                agreement_id: r.try_get("agreement_id")?,
                version: DocumentVersion {
                    version: r.try_get("version")?,
                    file_name: r.try_get("file_name")?,
                    uploaded_by: r.try_get("uploaded_by_name")?,
                    uploaded_at: ts(r.try_get("uploaded_at")?),
                    size: u64::try_from(r.try_get::<i64, _>("size")?).unwrap_or(0),
                    sha256: r.try_get("sha256")?,
                },
            })
        })
        .collect()
}

/// Everything a packet prints about the viewer's workspace as of `as_of`, with the document
/// versions to bundle (agreement title, version).
async fn gather(
    b: &Backend,
    v: &Viewer,
    packet_id: &str,
    as_of: NaiveDate,
    period_from: Option<NaiveDate>,
) -> AppResult<(PacketData, Vec<(String, StoredVersion)>, Vec<audit::Entry>)> {
    check(v)?;
    let period = match period_from {
        Some(from) => Some(period_section(b, v, from, as_of).await?),
        None => None,
    };
    let view = inventory::coverage_view(b, v, as_of).await?;
    let (world, report) = (&view.world, &view.report);
    let until = end_of_day(as_of);
    let party_name = |id: &str| -> String {
        world.parties.iter().find(|p| p.id == id).map(|p| p.name.clone()).unwrap_or_else(|| id.to_string())
    };
    let vendor_name = |slug: &str| -> String {
        world
            .catalog
            .vendors
            .iter()
            .find(|x| x.slug == slug)
            .map(|x| x.name.clone())
            .unwrap_or_else(|| slug.to_string())
    };

    // Coverage.
    let mut coverage = Vec::new();
    for sr in &report.services {
        let Some(s) = world.services.iter().find(|s| s.id == sr.service) else { continue };
        let (verdict, detail, chain) = match &sr.verdict {
            cov::Verdict::Covered { chain } => {
                let mut names = vec![party_name(&world.us)];
                for id in chain {
                    if let Some(a) = world.agreements.iter().find(|a| &a.id == id) {
                        let last = names.last().cloned().unwrap_or_default();
                        let other = a.parties.iter().find(|p| party_name(p) != last).cloned();
                        if let Some(o) = other {
                            names.push(party_name(&o));
                        }
                    }
                }
                (packet::Verdict::Covered, String::new(), names)
            }
            cov::Verdict::CoveredNoPhi { reason } => {
                (packet::Verdict::CoveredNoPhi, reason.clone(), Vec::new())
            }
            cov::Verdict::Uncovered { why } => (packet::Verdict::Uncovered, why.clone(), Vec::new()),
        };
        let mut plan = s.plan.clone();
        if !s.add_ons.is_empty() {
            plan = format!("{plan} + {}", s.add_ons.join(", "));
        }
        coverage.push(CoverageRow {
            service: s.name.clone(),
            app: s.apps.join(", "),
            org: match &s.provisioning {
                cov::ServiceProvisioning::Platform { org } => org.clone(),
                cov::ServiceProvisioning::Direct => String::new(),
            },
            vendor: vendor_name(&s.vendor),
            plan,
            phi: match s.phi {
                cov::Phi::Yes => packet::Phi::Yes,
                cov::Phi::No { .. } => packet::Phi::No,
                cov::Phi::Unknown => packet::Phi::Unknown,
            },
            verdict,
            detail,
            chain,
        });
    }

    // Business associates: vendors with services existing that day, and Fly.io whenever a
    // service runs on it or was provisioned through it.
    let live: Vec<&cov::Service> = world.services.iter().filter(|s| s.exists_on(as_of)).collect();
    let mut business_associates = Vec::new();
    for vendor in &world.catalog.vendors {
        let mut services: Vec<String> =
            live.iter().filter(|s| s.vendor == vendor.slug).map(|s| s.name.clone()).collect();
        if vendor.slug == baa_core::catalog::FLY {
            for s in live.iter().filter(|s| s.vendor != vendor.slug) {
                if let cov::ServiceProvisioning::Platform { org } = &s.provisioning {
                    services.push(format!("{} (provisioned through org {org})", s.name));
                }
            }
        }
        if !services.is_empty() {
            let contact = world
                .parties
                .iter()
                .find(|p| p.id == inventory::vendor_party(&vendor.slug))
                .map(|p| p.contact.clone())
                .unwrap_or_default();
            business_associates.push(BusinessAssociate { name: vendor.name.clone(), services, contact });
        }
    }

    // Graph: the one model the dashboard draws too (baa_core::graph), so page and packet agree.
    let model = baa_core::graph::build(world, report);
    let nodes: Vec<GraphNode> = model
        .nodes
        .iter()
        .map(|n| GraphNode {
            id: n.id.clone(),
            label: n.name.clone(),
            kind: match n.kind {
                baa_core::graph::NodeKind::Customer => NodeKind::Customer,
                baa_core::graph::NodeKind::Us => NodeKind::Us,
                baa_core::graph::NodeKind::Platform
                | baa_core::graph::NodeKind::Vendor
                | baa_core::graph::NodeKind::Extension => NodeKind::Vendor,
                baa_core::graph::NodeKind::Subcontractor => NodeKind::Subcontractor,
            },
        })
        .collect();
    let edges: Vec<GraphEdge> = model
        .edges
        .iter()
        .map(|e| GraphEdge {
            from: e.from.clone(),
            to: e.to.clone(),
            status: match (e.status, e.platform) {
                (None, true) => "not extended".into(),
                (None, false) => "none".into(),
                (Some(st), true) => format!("extends: {}", status_text(st)),
                (Some(st), false) => status_text(st),
            },
            covered: e.covered,
        })
        .collect();

    // Agreements with history, clause evidence and document versions.
    let versions = document_versions(b, &v.workspace_id, until).await?;
    let mut agreements = Vec::new();
    let mut to_bundle = Vec::new();
    for a in &world.agreements {
        let recorded = inventory::history(b, v, inventory::Kind::Agreement, &a.id).await?;
        let history = a
            .history
            .iter()
            .map(|h| {
                let when = h.on.to_string();
                let ver = recorded.iter().rev().find(|r| r.effective_on == when);
                StatusEntry {
                    status: status_text(h.status),
                    when: h.on,
                    who: ver.map(|r| r.actor.clone()).unwrap_or_default(),
                    why: ver.and_then(|r| r.reason.clone()).unwrap_or_default(),
                }
            })
            .collect();
        // One rule for the checklist: a clause counts only with where it is and who confirmed it.
        let clauses = Clause::ALL
            .iter()
            .map(|c| match a.clause_evidence.get(c).filter(|_| a.confirms(*c)) {
                Some(ev) => ClauseRow {
                    clause: c.label().to_string(),
                    confirmed: true,
                    location: ev.location.clone(),
                    confirmed_by: ev.confirmed_by.clone(),
                    confirmed_on: Some(ev.confirmed_on),
                },
                None => ClauseRow {
                    clause: c.label().to_string(),
                    confirmed: false,
                    location: String::new(),
                    confirmed_by: String::new(),
                    confirmed_on: None,
                },
            })
            .collect();
        let docs: Vec<&StoredVersion> = versions.iter().filter(|d| d.agreement_id == a.id).collect();
        for d in &docs {
            to_bundle.push((a.title.clone(), (*d).clone()));
        }
        agreements.push(AgreementSection {
            id: a.id.clone(),
            title: a.title.clone(),
            parties: a.parties.iter().map(|p| party_name(p)).collect(),
            kind: match &a.kind {
                cov::AgreementKind::Baa => "BAA".into(),
                cov::AgreementKind::SubcontractorBaa => "Subcontractor BAA".into(),
                cov::AgreementKind::PlatformAgreement { .. } => "Platform agreement".into(),
            },
            status: a.status_on(as_of).map(status_text).unwrap_or_else(|| "not recorded".into()),
            effective: a.effective_from(),
            signed_on: a.signed_on,
            recorded_on: a.recorded_on,
            expiry: a.expiry,
            history,
            clauses,
            documents: docs.iter().map(|d| d.version.clone()).collect(),
        });
    }

    // Findings, most severe first.
    let mut findings: Vec<&cov::Finding> = report.findings.iter().collect();
    findings.sort_by_key(|f| std::cmp::Reverse(f.severity));
    let findings: Vec<FindingRow> = findings
        .into_iter()
        .map(|f| FindingRow {
            rule: f.rule.as_str().to_string(),
            severity: f.severity.into(),
            subject: f.subject.name.clone(),
            message: f.explanation.clone(),
            next_step: f.next_step.clone(),
        })
        .collect();
    let safeguards = safeguard_rows(world, &view.safeguards);
    let mut counts = SeverityCounts::default();
    for f in &findings {
        match f.severity {
            packet::Severity::Critical => counts.critical += 1,
            packet::Severity::High => counts.high += 1,
            packet::Severity::Medium => counts.medium += 1,
            packet::Severity::Warning => counts.warning += 1,
            packet::Severity::Low => counts.low += 1,
        }
    }

    // Audit excerpt up to the end of the day.
    let entries = audit::excerpt(b, &v.workspace_id, until, AUDIT_LIMIT).await?;
    let audit_rows = entries
        .iter()
        .map(|e| AuditRow {
            seq: e.seq,
            at: ts(e.at),
            actor: e.actor_name.clone(),
            action: e.action.clone(),
            subject: e.subject_name.clone(),
            hash: e.hash.clone(),
            prev_hash: e.prev_hash.clone(),
        })
        .collect();
    let head_hash = entries.last().map(|e| e.hash.clone()).unwrap_or_else(|| audit::GENESIS.to_string());

    let data = PacketData {
        packet_id: packet_id.to_string(),
        workspace_id: v.workspace_id.clone(),
        workspace_name: v.workspace_name.clone(),
        as_of,
        generated_by: Person { name: v.name.clone(), email: v.email.clone() },
        generated_at: b.clock.now_utc(),
        summary: Summary {
            services_total: report.services.len(),
            services_covered: report.services.iter().filter(|s| s.verdict.is_covered()).count(),
            open_findings: counts,
        },
        business_associates,
        coverage,
        graph: Graph { nodes, edges },
        agreements,
        findings,
        safeguards,
        corrections: view
            .corrections
            .iter()
            .map(|c| packet::CorrectionRow {
                record: format!("{} {}", c.kind.as_str(), c.name),
                change: c.change.clone(),
                holds_from: c.effective_on.clone(),
                corrected_on: c.recorded_at.clone(),
                by: c.actor.clone(),
                why: c.reason.clone().unwrap_or_default(),
            })
            .collect(),
        corrected_verdicts: view
            .corrected_verdicts
            .iter()
            .map(|c| (c.name.clone(), c.recorded.clone(), c.corrected.clone()))
            .collect(),
        audit: AuditExcerpt { entries: audit_rows, head_hash },
        period,
    };
    Ok((data, to_bundle, entries))
}

/// The period part of a packet: timelines, agreements in force, changes and corrections.
async fn period_section(b: &Backend, v: &Viewer, from: NaiveDate, to: NaiveDate) -> AppResult<PeriodSection> {
    let view = inventory::coverage_period(b, v, from, to).await?;
    let diff = inventory::coverage_diff(b, v, from, to).await?;
    let r = &view.report;
    Ok(PeriodSection {
        from,
        to,
        days: r.days,
        days_unrecorded: r.days_unrecorded,
        covered_every_day: r.covered_every_day,
        services: r
            .services
            .iter()
            .map(|s| PeriodService {
                name: s.name.clone(),
                days_covered: s.days_covered,
                days_no_phi: s.days_no_phi,
                days_uncovered: s.days_uncovered,
                covered_every_day: s.covered_every_day,
                spans: s
                    .spans
                    .iter()
                    .map(|sp| {
                        let reason = match &sp.state {
                            cov::SpanState::Covered { chain } => chain.join(", "),
                            cov::SpanState::NoPhi { reason } => reason.clone(),
                            cov::SpanState::Uncovered { why } => why.clone(),
                            cov::SpanState::Absent | cov::SpanState::Unrecorded => String::new(),
                        };
                        (sp.from, sp.to, sp.days, sp.state.label().to_owned(), reason)
                    })
                    .collect(),
            })
            .collect(),
        agreements: view
            .agreements
            .iter()
            .map(|a| (a.title.clone(), a.counterparty.clone(), a.first_day, a.last_day))
            .collect(),
        changes: diff
            .changes
            .into_iter()
            .map(|c| (c.recorded_at, c.actor, c.action, c.subject_name, c.reason.unwrap_or_default()))
            .collect(),
        corrections: view
            .corrections
            .into_iter()
            .map(|c| (format!("{} {}", c.kind.as_str(), c.name), c.effective_on, c.recorded_at, c.actor))
            .collect(),
    })
}

/// The packet data for the viewer's workspace as of `as_of` (owners, legal and auditors).
/// The packet's safeguard rows: every check of each imported fly.toml, and a not-verifiable row
/// for each PHI app with none.
fn safeguard_rows(
    world: &cov::World,
    report: &baa_core::safeguards::SafeguardReport,
) -> Vec<packet::SafeguardRow> {
    use baa_core::safeguards::{app_phi, CheckState};
    let state = |s: CheckState| match s {
        CheckState::Passed => "passed",
        CheckState::PassedByException => "passed by exception",
        CheckState::Failed => "failed",
        CheckState::NotVerifiable => "not verifiable from the data",
    };
    let mut rows = Vec::new();
    for app in &world.apps {
        let phi = !app_phi(&world.services, &app.name).valid_no();
        let mut any = false;
        for r in report.for_app(&app.name) {
            any = true;
            let mut detail = r.explanation.clone();
            if r.state != CheckState::Passed {
                for p in &r.problems {
                    detail.push_str(&format!(" [{}: {}]", p.at, p.message));
                }
            }
            if let Some(e) = &r.exception {
                detail.push_str(&format!(
                    " Exception: {} (approved by {} on {}).",
                    e.reason, e.approved_by, e.approved_on
                ));
            }
            rows.push(packet::SafeguardRow {
                app: app.name.clone(),
                phi,
                rule: r.rule.as_str().to_owned(),
                state: state(r.state).to_owned(),
                severity: r.severity.into(),
                at: r.at.to_string(),
                detail,
                next_step: r.next_step.clone().unwrap_or_default(),
            });
        }
        if !any && phi {
            rows.push(packet::SafeguardRow {
                app: app.name.clone(),
                phi,
                rule: "fly.toml".to_owned(),
                state: state(CheckState::NotVerifiable).to_owned(),
                severity: cov::Severity::High.into(),
                at: "no fly.toml imported".to_owned(),
                detail:
                    "No fly.toml of this app was imported, so none of the platform safeguards can be checked."
                        .to_owned(),
                next_step:
                    "Add the app's fly.toml to the fly snapshot (scripts/fly-snapshot.sh) and import it."
                        .to_owned(),
            });
        }
    }
    rows
}

pub async fn assemble(b: &Backend, v: &Viewer, as_of: NaiveDate) -> AppResult<PacketData> {
    Ok(gather(b, v, &new_id(), as_of, None).await?.0)
}

/// A packet as the list page shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PacketView {
    /// Id.
    pub id: String,
    /// The day it describes (`YYYY-MM-DD`).
    pub as_of: String,
    /// queued, running, done or failed.
    pub status: String,
    /// 0 to 100.
    pub progress: i64,
    /// What it is doing now.
    pub stage: String,
    /// Who asked for it.
    pub created_by: String,
    /// When (formatted).
    pub created_at: String,
    /// When it finished (formatted), if it did.
    pub finished_at: Option<String>,
    /// SHA-256 of the PDF, when done.
    pub pdf_sha256: Option<String>,
    /// SHA-256 of the ZIP bundle, when done.
    pub bundle_sha256: Option<String>,
    /// Size of the ZIP bundle in bytes, when done.
    pub bundle_size: Option<i64>,
    /// Why it failed.
    pub error: Option<String>,
    /// SHA-256 of the bundle's `manifest.json`, when done (also in the audit trail).
    pub manifest_sha256: Option<String>,
    /// The key that signed the manifest, when done.
    pub signing_key_id: Option<String>,
    /// First day, for a packet of a period (the as-of date is its last day).
    #[serde(default)]
    pub period_from: Option<String>,
}

const COLUMNS: &str = "id, as_of, status, progress, stage, created_by_name, created_at, finished_at, pdf_sha256, bundle_sha256, bundle_size, error, manifest_sha256, signing_key_id, period_from";

fn view(r: &sqlx::any::AnyRow) -> AppResult<PacketView> {
    Ok(PacketView {
        id: r.try_get("id")?,
        as_of: r.try_get("as_of")?,
        status: r.try_get("status")?,
        progress: r.try_get("progress")?,
        stage: r.try_get("stage")?,
        created_by: r.try_get("created_by_name")?,
        created_at: crate::clock::fmt_ts(r.try_get("created_at")?),
        finished_at: r.try_get::<Option<i64>, _>("finished_at")?.map(crate::clock::fmt_ts),
        pdf_sha256: r.try_get("pdf_sha256")?,
        bundle_sha256: r.try_get("bundle_sha256")?,
        bundle_size: r.try_get("bundle_size")?,
        error: r.try_get("error")?,
        manifest_sha256: r.try_get("manifest_sha256")?,
        signing_key_id: r.try_get("signing_key_id")?,
        period_from: r.try_get("period_from")?,
    })
}

/// The workspace's packets, newest first.
pub async fn list(b: &Backend, v: &Viewer) -> AppResult<Vec<PacketView>> {
    check(v)?;
    let rows = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM packets WHERE workspace_id = $1 ORDER BY created_at DESC, id DESC LIMIT 200"
    ))
    .bind(&v.workspace_id)
    .fetch_all(&b.db.pool)
    .await?;
    rows.iter().map(view).collect()
}

/// One packet of the viewer's workspace.
pub async fn get(b: &Backend, v: &Viewer, id: &str) -> AppResult<PacketView> {
    check(v)?;
    let row = sqlx::query(&format!("SELECT {COLUMNS} FROM packets WHERE id = $1 AND workspace_id = $2"))
        .bind(id)
        .bind(&v.workspace_id)
        .fetch_optional(&b.db.pool)
        .await?
        .ok_or(AppError::NotFound)?;
    view(&row)
}

async fn record(
    b: &Backend,
    v: &Viewer,
    action: &str,
    id: &str,
    as_of: &str,
    after: serde_json::Value,
) -> AppResult<()> {
    let mut tx = b.db.begin_write().await?;
    audit::record(
        &mut tx,
        b.clock.now(),
        Event {
            workspace_id: &v.workspace_id,
            actor: &Actor::of(v),
            action,
            subject_kind: "packet",
            subject_id: id,
            subject_name: &format!("Evidence packet as of {as_of}"),
            before: serde_json::Value::Null,
            after,
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Queues a packet for `as_of` for the workers; returns its id. Refused while the workspace
/// already has `PACKETS_PER_WORKSPACE` packets queued or running.
pub async fn start(
    b: &Backend,
    v: &Viewer,
    as_of: NaiveDate,
    period_from: Option<NaiveDate>,
) -> AppResult<String> {
    check(v)?;
    if as_of > inventory::today_for(b) {
        return Err(AppError::invalid("as_of", "choose today or a day in the past"));
    }
    if let Some(from) = period_from {
        crate::storage::period::check_period(b, from, as_of).map_err(|e| match e {
            AppError::Invalid(i) => AppError::invalid("period_from", i.message),
            other => other,
        })?;
    }
    let id = new_id();
    let now = b.clock.now();
    let mut tx = b.db.begin_write().await?;
    // Lock the workspace row so concurrent requests count each other (PostgreSQL).
    sqlx::query("UPDATE workspaces SET require_2fa = require_2fa WHERE id = $1")
        .bind(&v.workspace_id)
        .execute(&mut *tx)
        .await?;
    let waiting: i64 = sqlx::query(
        "SELECT CAST(COUNT(*) AS BIGINT) AS n FROM packets WHERE workspace_id = $1 AND status IN ('queued', 'running')",
    )
    .bind(&v.workspace_id)
    .fetch_one(&mut *tx)
    .await?
    .try_get("n")?;
    if waiting >= b.config.packets_per_workspace {
        return Err(AppError::too_many(
            format!(
                "{waiting} packets of this workspace are already queued or being made. Wait until one is done, then ask again."
            ),
            30,
        ));
    }
    sqlx::query(
        "INSERT INTO packets (id, workspace_id, as_of, status, progress, stage, created_by, created_by_name, created_at, period_from) \
         VALUES ($1, $2, $3, 'queued', 0, 'Queued', $4, $5, $6, $7)",
    )
    .bind(&id)
    .bind(&v.workspace_id)
    .bind(as_of.to_string())
    .bind(&v.user_id)
    .bind(&v.name)
    .bind(now)
    .bind(period_from.map(|d| d.to_string()))
    .execute(&mut *tx)
    .await?;
    audit::record(
        &mut tx,
        now,
        Event {
            workspace_id: &v.workspace_id,
            actor: &Actor::of(v),
            action: "packet.requested",
            subject_kind: "packet",
            subject_id: &id,
            subject_name: &format!("Evidence packet as of {as_of}"),
            before: serde_json::Value::Null,
            after: serde_json::json!({"as_of": as_of.to_string()}),
        },
    )
    .await?;
    tx.commit().await?;
    b.wake.packets.notify_one();
    Ok(id)
}

/// A queued packet a worker took.
struct Claimed {
    id: String,
    workspace_id: String,
    created_by: String,
    as_of: NaiveDate,
    period_from: Option<NaiveDate>,
}

/// Takes the oldest queued packet of a workspace that has none running, and marks it running.
/// The workspace row is locked first, so two workers never run two packets of one workspace.
async fn claim_next(b: &Backend) -> AppResult<Option<Claimed>> {
    let candidates = sqlx::query(
        "SELECT p.id, p.workspace_id FROM packets p WHERE p.status = 'queued' AND NOT EXISTS \
         (SELECT 1 FROM packets r WHERE r.workspace_id = p.workspace_id AND r.status = 'running') \
         ORDER BY p.created_at, p.id LIMIT 20",
    )
    .fetch_all(&b.db.pool)
    .await?;
    for c in &candidates {
        let id: String = c.try_get("id")?;
        let ws: String = c.try_get("workspace_id")?;
        let mut tx = b.db.begin_write().await?;
        sqlx::query("UPDATE workspaces SET require_2fa = require_2fa WHERE id = $1")
            .bind(&ws)
            .execute(&mut *tx)
            .await?;
        let taken = sqlx::query(
            "UPDATE packets SET status = 'running', progress = 5, stage = 'Starting' WHERE id = $1 AND status = 'queued' \
             AND NOT EXISTS (SELECT 1 FROM packets r WHERE r.workspace_id = $2 AND r.status = 'running')",
        )
        .bind(&id)
        .bind(&ws)
        .execute(&mut *tx)
        .await?;
        if taken.rows_affected() != 1 {
            continue;
        }
        let row = sqlx::query("SELECT as_of, created_by, period_from FROM packets WHERE id = $1")
            .bind(&id)
            .fetch_one(&mut *tx)
            .await?;
        tx.commit().await?;
        let as_of: String = row.try_get("as_of")?;
        let as_of = as_of
            .parse::<NaiveDate>()
            .map_err(|e| AppError::Internal(anyhow::anyhow!("packet {id} as_of {as_of:?}: {e}")))?;
        let period_from =
            row.try_get::<Option<String>, _>("period_from")?.and_then(|d| d.parse::<NaiveDate>().ok());
        return Ok(Some(Claimed {
            id,
            workspace_id: ws,
            created_by: row.try_get("created_by")?,
            as_of,
            period_from,
        }));
    }
    Ok(None)
}

/// One packet worker: generates queued packets until shutdown.
pub async fn run_worker(b: Backend, n: usize, shutdown: crate::mail::tokio_util_shutdown::Shutdown) {
    loop {
        match claim_next(&b).await {
            Ok(Some(c)) => {
                run_claimed(&b, &c).await;
                // Another packet may be waiting: look again at once.
                continue;
            }
            Ok(None) => {}
            Err(e) => tracing::error!(worker = n, error = ?e, "taking a queued evidence packet failed"),
        }
        tokio::select! {
            _ = b.wake.packets.notified() => {}
            _ = tokio::time::sleep(std::time::Duration::from_secs(5)) => {}
            _ = shutdown.wait() => return,
        }
    }
}

async fn run_claimed(b: &Backend, c: &Claimed) {
    let result = async {
        // The packet is made as its requester, with their role now: someone who lost access
        // since asking gets nothing.
        let v =
            crate::accounts::member_viewer(b, &c.created_by, &c.workspace_id).await?.ok_or_else(|| {
                AppError::Forbidden(
                    "The person who asked for this packet is no longer a member of the workspace.".into(),
                )
            })?;
        generate(b, &v, &c.id, c.as_of, c.period_from).await
    }
    .await;
    if let Err(e) = result {
        let message = match &e {
            AppError::Internal(inner) => {
                tracing::error!(packet = %c.id, error = %inner, "generating an evidence packet failed");
                "Generating the packet failed (see the server log); try again.".to_string()
            }
            other => other.public_message(),
        };
        if let Err(e2) = finish_failed(b, &c.id, &message).await {
            tracing::error!(packet = %c.id, error = ?e2, "recording a failed packet failed");
        }
    }
    // A packet of the same workspace may have waited for this one.
    b.wake.packets.notify_one();
}

async fn progress(b: &Backend, id: &str, status: &str, pct: i64, stage: &str) -> AppResult<()> {
    sqlx::query("UPDATE packets SET status = $1, progress = $2, stage = $3 WHERE id = $4")
        .bind(status)
        .bind(pct)
        .bind(stage)
        .bind(id)
        .execute(&b.db.pool)
        .await?;
    Ok(())
}

async fn finish_failed(b: &Backend, id: &str, message: &str) -> AppResult<()> {
    sqlx::query(
        "UPDATE packets SET status = 'failed', stage = 'Failed', error = $1, finished_at = $2 WHERE id = $3",
    )
    .bind(message)
    .bind(b.clock.now())
    .bind(id)
    .execute(&b.db.pool)
    .await?;
    Ok(())
}

fn internal(e: impl std::fmt::Display) -> AppError {
    AppError::Internal(anyhow::anyhow!("{e}"))
}

/// Runs `f` on the blocking pool with the bundle writer, handing the writer back.
async fn with_writer<T: Send + 'static>(
    w: BundleWriter<std::fs::File>,
    f: impl FnOnce(&mut BundleWriter<std::fs::File>) -> Result<T, packet::PacketError> + Send + 'static,
) -> AppResult<(BundleWriter<std::fs::File>, T)> {
    tokio::task::spawn_blocking(move || {
        let mut w = w;
        let out = f(&mut w)?;
        Ok::<_, packet::PacketError>((w, out))
    })
    .await
    .map_err(internal)?
    .map_err(internal)
}

async fn generate(
    b: &Backend,
    v: &Viewer,
    id: &str,
    as_of: NaiveDate,
    period_from: Option<NaiveDate>,
) -> AppResult<()> {
    progress(b, id, "running", 10, "Assembling the record").await?;
    let (data, to_bundle, entries) = gather(b, v, id, as_of, period_from).await?;
    progress(b, id, "running", 40, "Drawing the PDF").await?;
    let for_pdf = data.clone();
    let pdf = Bytes::from(
        tokio::task::spawn_blocking(move || packet::render_pdf(&for_pdf))
            .await
            .map_err(internal)?
            .map_err(internal)?,
    );
    let pdf_sha = hex::encode(Sha256::digest(&pdf));
    b.documents.put_key(&format!("packets/{id}.pdf"), pdf.clone()).await?;
    progress(b, id, "running", 60, "Packing the bundle").await?;
    // The bundle goes to a temporary file, one document in memory at a time.
    let file = tempfile::tempfile().map_err(internal)?;
    let w = BundleWriter::new(file, PacketMeta::of(&data));
    let (mut w, ()) = with_writer(w, move |w| w.add_pdf(&pdf)).await?;
    for (title, d) in to_bundle {
        let bytes = b.documents.get_blob(&d.version.sha256).await?;
        let name = format!("{title} v{} {}", d.version.version, d.version.file_name);
        (w, _) = with_writer(w, move |w| w.add_document(&name, bytes.as_ref())).await?;
    }
    let mut jsonl = String::new();
    for e in &entries {
        jsonl.push_str(&serde_json::to_string(e).map_err(internal)?);
        jsonl.push('\n');
    }
    let (w, ()) = with_writer(w, move |w| w.add_audit_excerpt(jsonl.as_bytes())).await?;
    let key = b.packet_key.clone();
    let (file, manifest_sha) =
        tokio::task::spawn_blocking(move || w.finish(&key)).await.map_err(internal)?.map_err(internal)?;
    progress(b, id, "running", 85, "Storing the bundle").await?;
    let (zip_sha, zip_size) = b.documents.put_file(&format!("packets/{id}.zip"), file).await?;
    let zip_size = i64::try_from(zip_size).unwrap_or(i64::MAX);
    let key_id = b.packet_key.key_id().to_string();
    let now = b.clock.now();
    let mut tx = b.db.begin_write().await?;
    sqlx::query(
        "UPDATE packets SET status = 'done', progress = 100, stage = 'Done', finished_at = $1, pdf_sha256 = $2, \
         bundle_sha256 = $3, bundle_size = $4, manifest_sha256 = $5, signing_key_id = $6 WHERE id = $7",
    )
    .bind(now)
    .bind(&pdf_sha)
    .bind(&zip_sha)
    .bind(zip_size)
    .bind(&manifest_sha)
    .bind(&key_id)
    .bind(id)
    .execute(&mut *tx)
    .await?;
    audit::record(
        &mut tx,
        now,
        Event {
            workspace_id: &v.workspace_id,
            actor: &Actor::of(v),
            action: "packet.generated",
            subject_kind: "packet",
            subject_id: id,
            subject_name: &format!("Evidence packet as of {as_of}"),
            before: serde_json::Value::Null,
            after: serde_json::json!({
                "as_of": as_of.to_string(),
                "pdf_sha256": pdf_sha,
                "bundle_sha256": zip_sha,
                "bundle_size": zip_size,
                "manifest_sha256": manifest_sha,
                "signing_key": key_id,
                "audit_head": data.audit.head_hash,
            }),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Marks packets left running by a previous process as failed (queued ones stay queued and
/// are made by the workers). Call once at server start, before serving.
pub async fn fail_interrupted(b: &Backend) -> AppResult<u64> {
    let r = sqlx::query(
        "UPDATE packets SET status = 'failed', stage = 'Failed', error = 'interrupted by a restart; generate it again', \
         finished_at = $1 WHERE status = 'running'",
    )
    .bind(b.clock.now())
    .execute(&b.db.pool)
    .await?;
    Ok(r.rows_affected())
}

/// Which file of a packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum File {
    /// The PDF.
    Pdf,
    /// The ZIP bundle.
    Bundle,
}

/// A packet file ready to send, in a temporary file (a bundle can be large).
#[derive(Debug)]
pub struct Download {
    /// File name for `Content-Disposition`.
    pub file_name: String,
    /// MIME type.
    pub content_type: &'static str,
    /// SHA-256, hex (checked against the bytes).
    pub sha256: String,
    /// Size in bytes.
    pub size: u64,
    /// The bytes, at the start of the file.
    pub file: std::fs::File,
}

impl File {
    /// `pdf` or `zip`.
    pub fn ext(self) -> &'static str {
        match self {
            File::Pdf => "pdf",
            File::Bundle => "zip",
        }
    }
}

/// Records a download of a finished packet's file (`packet.downloaded`). This is the POST
/// behind the download buttons: reading the file ([`download`]) records nothing, so a link on
/// another site cannot add entries to the audit trail.
pub async fn grant_download(b: &Backend, v: &Viewer, id: &str, file: File) -> AppResult<()> {
    let p = get(b, v, id).await?;
    if p.status != "done" {
        return Err(not_ready());
    }
    record(b, v, "packet.downloaded", id, &p.as_of, serde_json::json!({"file": file.ext()})).await
}

fn not_ready() -> AppError {
    AppError::Conflict {
        field: "packet".into(),
        message: "This packet is not ready yet; wait until it shows as done.".into(),
    }
}

/// Reads a finished packet's PDF or bundle into a temporary file, re-checking its SHA-256; a
/// mismatch is refused and recorded.
pub async fn download(b: &Backend, v: &Viewer, id: &str, file: File) -> AppResult<Download> {
    let p = get(b, v, id).await?;
    let (sha, content_type) = match file {
        File::Pdf => (p.pdf_sha256.clone(), "application/pdf"),
        File::Bundle => (p.bundle_sha256.clone(), "application/zip"),
    };
    let ext = file.ext();
    let Some(expected) = sha.filter(|_| p.status == "done") else {
        return Err(not_ready());
    };
    let (bytes, actual, size) = b.documents.get_to_file(&format!("packets/{id}.{ext}")).await?;
    if actual != expected {
        tracing::error!(packet = %id, expected = %expected, actual = %actual, "packet file failed its integrity check");
        record(
            b,
            v,
            "packet.integrity_failed",
            id,
            &p.as_of,
            serde_json::json!({"file": ext, "expected": expected, "actual": actual}),
        )
        .await?;
        return Err(AppError::Conflict {
            field: "packet".into(),
            message: "This packet file failed its integrity check (its bytes no longer match the SHA-256 recorded when it was made), so it was not sent. The event is in the audit trail; generate the packet again.".into(),
        });
    }
    let mut ws: String = v
        .workspace_name
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c.to_ascii_lowercase() } else { '-' })
        .collect();
    ws.truncate(40);
    let stem = match file {
        File::Pdf => "evidence-packet",
        File::Bundle => "evidence-bundle",
    };
    Ok(Download {
        file_name: format!("{stem}-{}-{}.{ext}", ws.trim_matches('-'), p.as_of),
        content_type,
        sha256: actual,
        size,
        file: bytes,
    })
}
