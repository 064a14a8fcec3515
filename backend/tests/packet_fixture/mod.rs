//! A generated evidence packet (shared by the packet tests, the benchmark and the sample
//! example through `#[path]`): names in several scripts, a real audit hash chain, executed
//! documents whose hashes are in the data.
#![allow(dead_code, reason = "each includer uses a different part")]

use baa_backend::audit::{self, Entry};
use baa_backend::packet::*;
use baa_core::coverage::Clause;
use chrono::{DateTime, Days, NaiveDate, TimeZone, Utc};
use sha2::{Digest, Sha256};

/// A customer name with accents.
pub const ACCENTED: &str = "Clínica São José Müller-Ødegård";
/// A customer name in Chinese.
pub const CJK: &str = "東京医療センター";
/// A vendor name in Korean.
pub const HANGUL: &str = "서울 데이터 주식회사";
/// The workspace.
pub const WORKSPACE_ID: &str = "ws_7f3a";

/// A generated packet with what the bundle needs besides it.
pub struct Fixture {
    pub data: PacketData,
    /// The audit entries as the app exports them (JSON Lines).
    pub audit_jsonl: Vec<u8>,
    /// Executed documents (name, bytes); their SHA-256 are in `data`.
    pub documents: Vec<(String, Vec<u8>)>,
}

fn day(offset: u64) -> NaiveDate {
    NaiveDate::from_ymd_opt(2024, 1, 1)
        .and_then(|d| d.checked_add_days(Days::new(offset)))
        .unwrap_or_default()
}

fn at(offset_minutes: i64) -> DateTime<Utc> {
    Utc.timestamp_opt(1_735_000_000 + offset_minutes * 60, 0).single().unwrap_or_default()
}

fn sha(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// A tiny PDF-looking document.
fn document(i: usize, size: usize) -> Vec<u8> {
    let mut d = format!("%PDF-1.4\n% executed agreement {i}\n").into_bytes();
    let mut x: u32 = 2_463_534_242 ^ (i as u32);
    while d.len() < size {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        d.push(b'a' + (x % 26) as u8);
    }
    d.extend_from_slice(b"\n%%EOF\n");
    d
}

const VENDORS: [(&str, &str); 6] = [
    ("vendor:fly", "Fly.io"),
    ("vendor:tigris", "Tigris Data"),
    ("vendor:upstash", "Upstash"),
    ("vendor:sentry", "Functional Software (Sentry)"),
    ("vendor:supabase", "Supabase"),
    ("vendor:seoul", HANGUL),
];

/// Builds a packet with `agreements` agreement sections (each with `clauses` clauses, one
/// document version), `coverage` coverage rows and `audit_entries` audit entries.
pub fn fixture(agreements: usize, clauses: usize, coverage: usize, audit_entries: usize) -> Fixture {
    let as_of = NaiveDate::from_ymd_opt(2026, 11, 22).unwrap_or_default();

    // Audit chain, hashed exactly as the app hashes it.
    let mut entries: Vec<Entry> = Vec::new();
    let mut prev = audit::GENESIS.to_string();
    for seq in 1..=audit_entries as i64 {
        let mut e = Entry {
            seq,
            at: 1_735_000_000 + seq * 3_600,
            actor_id: "u_1".into(),
            actor_name: if seq % 3 == 0 { "Zoë Åkesson".into() } else { "Dana Legal".into() },
            action: if seq % 2 == 0 { "agreement.saved".into() } else { "document.uploaded".into() },
            subject_kind: "agreement".into(),
            subject_id: format!("agr_{seq}"),
            subject_name: if seq == 2 { format!("{CJK} BAA") } else { format!("Agreement {seq}") },
            before: serde_json::Value::Null,
            after: serde_json::json!({"status": "signed", "n": seq}),
            source: "203.0.113.7".into(),
            prev_hash: prev.clone(),
            hash: String::new(),
        };
        e.hash = audit::entry_hash(WORKSPACE_ID, &e);
        prev = e.hash.clone();
        entries.push(e);
    }
    let mut audit_jsonl = Vec::new();
    for e in &entries {
        audit_jsonl.extend_from_slice(serde_json::to_string(e).unwrap_or_default().as_bytes());
        audit_jsonl.push(b'\n');
    }
    let audit = AuditExcerpt {
        entries: entries
            .iter()
            .map(|e| AuditRow {
                seq: e.seq,
                at: Utc.timestamp_opt(e.at, 0).single().unwrap_or_default(),
                actor: e.actor_name.clone(),
                action: e.action.clone(),
                subject: e.subject_name.clone(),
                hash: e.hash.clone(),
                prev_hash: e.prev_hash.clone(),
            })
            .collect(),
        head_hash: prev,
    };

    // Agreements and their documents.
    let mut documents = Vec::new();
    let mut sections = Vec::new();
    for i in 0..agreements {
        let (_, vendor) = VENDORS[i % VENDORS.len()];
        let (title, parties) = match i {
            0 => (
                "Fly.io Business Associate Agreement".to_string(),
                vec!["Acme Telehealth Inc.".to_string(), "Fly.io".to_string()],
            ),
            1 => (
                format!("{ACCENTED}: BAA with us"),
                vec![ACCENTED.to_string(), "Acme Telehealth Inc.".to_string()],
            ),
            2 => (
                format!("{CJK} 業務提携契約 (BAA)"),
                vec![CJK.to_string(), "Acme Telehealth Inc.".to_string()],
            ),
            _ => (format!("{vendor} BAA #{i}"), vec!["Acme Telehealth Inc.".to_string(), vendor.to_string()]),
        };
        let name = match i {
            2 => format!("{CJK} BAA signed.pdf"),
            _ => format!("BAA {i} - {vendor} (signed).pdf"),
        };
        let bytes = document(i, 1_500 + (i % 7) * 300);
        let doc = DocumentVersion {
            version: 1,
            file_name: name.clone(),
            uploaded_by: "Dana Legal".into(),
            uploaded_at: at(i as i64 * 17),
            size: bytes.len() as u64,
            sha256: sha(&bytes),
        };
        documents.push((name, bytes));
        let clause_rows = Clause::ALL
            .iter()
            .take(clauses)
            .enumerate()
            .map(|(k, c)| {
                let confirmed = (i + k) % 9 != 4;
                ClauseRow {
                    clause: c.label().to_string(),
                    confirmed,
                    location: if confirmed {
                        format!("§ {}.{} / p. {}", k / 3 + 2, k % 3 + 1, k / 2 + 1)
                    } else {
                        String::new()
                    },
                    confirmed_by: if confirmed { "Dana Legal".into() } else { String::new() },
                    confirmed_on: confirmed.then(|| day(400 + k as u64)),
                }
            })
            .collect();
        sections.push(AgreementSection {
            id: format!("agr_{:04}", i + 1),
            title,
            parties,
            kind: if i == 0 { "BAA (platform; extends to Tigris, Upstash)".into() } else { "BAA".into() },
            status: if i % 11 == 5 { "expired".into() } else { "signed".into() },
            effective: Some(day(30 + i as u64 % 200)),
            signed_on: Some(day(25 + i as u64 % 200)),
            // One in seven was entered after the day it claims to hold from.
            recorded_on: Some(day(if i % 7 == 3 { 300 } else { 25 + i as u64 % 200 })),
            expiry: (i % 3 != 0).then(|| day(900 + i as u64 % 400)),
            history: vec![
                StatusEntry {
                    status: "draft".into(),
                    when: day(10),
                    who: "Dana Legal".into(),
                    why: "First draft from the vendor's template".into(),
                },
                StatusEntry {
                    status: "sent".into(),
                    when: day(20),
                    who: "Dana Legal".into(),
                    why: String::new(),
                },
                StatusEntry {
                    status: "signed".into(),
                    when: day(30 + i as u64 % 200),
                    who: "Zoë Åkesson".into(),
                    why: "Countersigned by both parties; executed copy uploaded".into(),
                },
            ],
            clauses: clause_rows,
            documents: vec![doc],
        });
    }

    // Coverage.
    let apps = ["patient-portal", "intake-api", "billing-worker", "video-visits"];
    let coverage_rows: Vec<CoverageRow> = (0..coverage)
        .map(|i| {
            let (_, vendor) = VENDORS[i % VENDORS.len()];
            let verdict = match i % 10 {
                3 => Verdict::Uncovered,
                7 => Verdict::CoveredNoPhi,
                _ => Verdict::Covered,
            };
            CoverageRow {
                service: format!("{} {}", ["Postgres", "Object storage", "Redis", "Error tracking", "Volumes"][i % 5], i + 1),
                app: apps[i % apps.len()].into(),
                org: if i % 9 == 8 { "acme-staging".into() } else { "acme-prod".into() },
                vendor: vendor.into(),
                plan: ["Compliance Package", "Enterprise + Prod Pack", "Team + HIPAA add-on", "Business"][i % 4].into(),
                phi: match i % 10 {
                    7 => Phi::No,
                    9 => Phi::Unknown,
                    _ => Phi::Yes,
                },
                verdict,
                detail: match verdict {
                    Verdict::Uncovered => format!(
                        "No BAA with {vendor} covers this plan, and Fly.io's BAA does not extend to {vendor}'s extensions."
                    ),
                    Verdict::CoveredNoPhi => "Stores only rate-limit counters keyed by hashed IP.".into(),
                    Verdict::Covered => String::new(),
                },
                chain: match verdict {
                    Verdict::Covered if i % 2 == 0 => vec!["Acme Telehealth Inc.".into(), "Fly.io".into(), vendor.into()],
                    Verdict::Covered => vec!["Acme Telehealth Inc.".into(), vendor.into()],
                    _ => Vec::new(),
                },
            }
        })
        .collect();
    let covered = coverage_rows.iter().filter(|r| r.verdict != Verdict::Uncovered).count();

    // Graph.
    let mut nodes = vec![
        GraphNode { id: "cust:1".into(), label: ACCENTED.into(), kind: NodeKind::Customer },
        GraphNode { id: "cust:2".into(), label: CJK.into(), kind: NodeKind::Customer },
        GraphNode {
            id: "cust:3".into(),
            label: "Riverside Family Practice".into(),
            kind: NodeKind::Customer,
        },
        GraphNode { id: "us".into(), label: "Acme Telehealth Inc.".into(), kind: NodeKind::Us },
    ];
    let mut edges = vec![
        GraphEdge { from: "cust:1".into(), to: "us".into(), status: "signed".into(), covered: true },
        GraphEdge { from: "cust:2".into(), to: "us".into(), status: "signed".into(), covered: true },
        GraphEdge { from: "cust:3".into(), to: "us".into(), status: "in negotiation".into(), covered: false },
    ];
    for (k, (id, label)) in VENDORS.iter().enumerate() {
        nodes.push(GraphNode { id: (*id).into(), label: (*label).into(), kind: NodeKind::Vendor });
        edges.push(GraphEdge {
            from: "us".into(),
            to: (*id).into(),
            status: if k == 3 { "none".into() } else { "signed".into() },
            covered: k != 3,
        });
    }
    for (vendor, subs) in
        [("vendor:fly", vec!["Amazon Web Services", "Equinix"]), ("vendor:supabase", vec!["AWS (us-east-1)"])]
    {
        for (k, s) in subs.iter().enumerate() {
            let id = format!("sub:{vendor}:{k}");
            nodes.push(GraphNode { id: id.clone(), label: (*s).into(), kind: NodeKind::Subcontractor });
            edges.push(GraphEdge {
                from: vendor.into(),
                to: id,
                status: if k == 1 { "unverified".into() } else { "signed".into() },
                covered: k != 1,
            });
        }
    }
    // Larger packets get a larger graph: a generated vendor (with one subcontractor) and a
    // customer per four agreements beyond the first six.
    for k in 0..agreements.saturating_sub(6) / 4 {
        let (v, sub, c) = (format!("vendor:gen{k}"), format!("sub:gen{k}:0"), format!("cust:gen{k}"));
        nodes.push(GraphNode {
            id: v.clone(),
            label: format!("Generated Vendor {k} LLC"),
            kind: NodeKind::Vendor,
        });
        nodes.push(GraphNode {
            id: sub.clone(),
            label: format!("Hosting Provider {k}"),
            kind: NodeKind::Subcontractor,
        });
        nodes.push(GraphNode {
            id: c.clone(),
            label: format!("Community Clinic {k}"),
            kind: NodeKind::Customer,
        });
        edges.push(GraphEdge {
            from: "us".into(),
            to: v.clone(),
            status: "signed".into(),
            covered: k % 13 != 7,
        });
        edges.push(GraphEdge { from: v, to: sub, status: "signed".into(), covered: true });
        edges.push(GraphEdge { from: c, to: "us".into(), status: "signed".into(), covered: true });
    }

    let findings = vec![
        FindingRow {
            rule: "uncovered-service".into(),
            severity: Severity::Critical,
            subject: "Error tracking 4".into(),
            message: "Sentry handles PHI (error payloads) on the Team plan, which is not BAA-eligible."
                .into(),
            next_step: "Upgrade the Sentry org to Business and sign Sentry's BAA, or scrub PHI from events."
                .into(),
        },
        FindingRow {
            rule: "agreement-expiring".into(),
            severity: Severity::Warning,
            subject: format!("{ACCENTED}: BAA with us"),
            message: "Expires in 45 days (28 February 2027).".into(),
            next_step: "Start the renewal with the customer's counsel.".into(),
        },
        FindingRow {
            rule: "downstream-unverified".into(),
            severity: Severity::Medium,
            subject: "Fly.io".into(),
            message: "Fly.io lists Equinix as a PHI subcontractor; no BAA between them is recorded.".into(),
            next_step: "Ask Fly.io for confirmation of its BAA with Equinix and record it.".into(),
        },
        FindingRow {
            rule: "phi-unknown".into(),
            severity: Severity::Low,
            subject: "Volumes 10".into(),
            message: "Whether this volume stores PHI is not recorded.".into(),
            next_step: "Record yes, or no with a reason.".into(),
        },
    ];

    let data = PacketData {
        corrections: vec![baa_backend::packet::CorrectionRow {
            record: "agreement Sentry BAA".into(),
            change: "created".into(),
            holds_from: "2026-01-01".into(),
            corrected_on: "2026-12-01 09:00 UTC".into(),
            by: "Dana Legal".into(),
            why: "entered late from the signed copy".into(),
        }],
        corrected_verdicts: vec![("acme-errors".into(), "not covered".into(), "covered".into())],
        packet_id: "pkt_2026-11-22_01JD8Q".into(),
        workspace_id: WORKSPACE_ID.into(),
        workspace_name: "Acme Telehealth Inc.".into(),
        as_of,
        generated_by: Person { name: "Zoë Åkesson".into(), email: "zoe@acme-telehealth.example".into() },
        generated_at: Utc.with_ymd_and_hms(2026, 11, 22, 14, 3, 0).single().unwrap_or_default(),
        summary: Summary {
            services_total: coverage_rows.len(),
            services_covered: covered,
            open_findings: SeverityCounts { critical: 1, high: 0, medium: 1, warning: 1, low: 1 },
        },
        business_associates: VENDORS
            .iter()
            .map(|(_, v)| BusinessAssociate {
                name: (*v).into(),
                services: vec!["Postgres".into(), "Object storage".into()],
                contact: format!(
                    "privacy@{}.example",
                    v.to_lowercase().replace(|c: char| !c.is_ascii_alphanumeric(), "")
                ),
            })
            .collect(),
        coverage: coverage_rows,
        graph: Graph { nodes, edges },
        agreements: sections,
        findings,
        safeguards: Vec::new(),
        audit,
        period: None,
    };
    Fixture { data, audit_jsonl, documents }
}
