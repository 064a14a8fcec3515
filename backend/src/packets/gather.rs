//! What a packet prints, read from the world as of its day: services, verdicts, agreements with
//! their clauses and document versions, findings, safeguards, the period and the audit excerpt.

use super::*;

/// One document version in force on the as-of day, with where its bytes are.
#[derive(Debug, Clone)]
pub(super) struct StoredVersion {
    pub(super) agreement_id: String,
    pub(super) version: DocumentVersion,
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
pub(super) async fn gather(
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
