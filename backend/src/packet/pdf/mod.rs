//! The packet as a PDF: cover, summary, inventory, coverage table, relationship graph, one
//! section per agreement, open findings and the audit-trail excerpt, with a running header and
//! "Page N of M" footer. Laid out by `layout.rs`, drawn with printpdf's low-level operations.
//! This file holds the order of the sections, the cover, the summary, the inventory and the
//! coverage table; `graph` draws the relationship graph, `agreements` one section per
//! agreement, `findings` the findings, safeguards, corrections, period and audit sections, and
//! `emit` turns the laid-out pages into PDF operations.

mod agreements;
mod emit;
mod findings;
mod graph;

use agreements::agreements;
use emit::emit;
use findings::{audit, corrections, findings, period, safeguards};
use graph::graph;

use std::collections::{BTreeSet, HashMap};

use chrono::{DateTime, NaiveDate, Utc};
use printpdf::{
    Color, FontId, Line, LinePoint, Mm, Op, PaintMode, PdfDocument, PdfFont, PdfFontHandle, PdfPage,
    PdfSaveOptions, Point, Polygon, PolygonRing, Pt, Rect, TextItem, TextMatrix, WindingOrder,
};

use super::fonts::{fonts, Face, FontSet};
use super::layout::{
    fit, wrap, Cell, Col, Item, Layout, Rgb, Row, AMBER, BLUE, BODY_BOTTOM, BODY_TOP, BODY_W, GREEN, INK,
    MARGIN, MUTED, NAVY, ORANGE, PAGE_H, PAGE_W, RED, RULE, WHITE,
};
use super::model::{
    AgreementSection, Graph, GraphNode, NodeKind, PacketData, PeriodSection, Phi, Severity, Verdict,
};

/// Renders the packet as PDF bytes. The same data gives the same pages; fonts are embedded
/// (subset to the characters used), so every name renders on every reader.
pub fn render_pdf(data: &PacketData) -> Result<Vec<u8>, anyhow::Error> {
    let f = fonts()?;
    let mut l = Layout::new(f);
    l.new_page(); // the cover, drawn last: it lists the page of every section
    let mut toc: Vec<(String, usize)> = Vec::new();

    section(&mut l, &mut toc, "1", "Summary");
    summary(&mut l, data);
    section(&mut l, &mut toc, "2", "Business associates");
    inventory(&mut l, data);
    section(&mut l, &mut toc, "3", "Coverage");
    coverage(&mut l, data);
    section(&mut l, &mut toc, "4", "Relationship graph");
    graph(&mut l, &data.graph);
    section(&mut l, &mut toc, "5", "Agreements");
    agreements(&mut l, data);
    section(&mut l, &mut toc, "6", "Open findings");
    findings(&mut l, data);
    section(&mut l, &mut toc, "7", "Platform safeguards");
    safeguards(&mut l, data);
    section(&mut l, &mut toc, "8", "Corrections recorded later");
    corrections(&mut l, data);
    section(&mut l, &mut toc, "9", "Audit trail excerpt");
    audit(&mut l, data);
    if let Some(p) = &data.period {
        section(&mut l, &mut toc, "10", "Coverage over the period");
        period(&mut l, p);
    }

    let mut cover_layout = Layout::new(f);
    cover_layout.new_page();
    cover(&mut cover_layout, data, &toc)?;
    if let Some(first) = cover_layout.pages.into_iter().next() {
        l.pages[0] = first;
    }
    chrome(&mut l, data);
    emit(l.pages, f, data, &toc)
}

// ---------------------------------------------------------------------------------------------
// Formatting

fn long_date(d: NaiveDate) -> String {
    d.format("%-d %B %Y").to_string()
}

fn opt_date(d: Option<NaiveDate>, none: &str) -> String {
    d.map_or_else(|| none.to_string(), long_date)
}

fn stamp(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%d %H:%M UTC").to_string()
}

fn thousands(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

fn file_size(bytes: u64) -> String {
    let b = bytes as f64;
    if bytes < 1024 {
        format!("{bytes} B")
    } else if b < 1024.0 * 1024.0 {
        format!("{:.1} KB", b / 1024.0)
    } else {
        format!("{:.1} MB", b / (1024.0 * 1024.0))
    }
}

fn severity_color(s: Severity) -> Rgb {
    match s {
        Severity::Critical => RED,
        Severity::High => ORANGE,
        Severity::Medium => AMBER,
        Severity::Warning => BLUE,
        Severity::Low => MUTED,
    }
}

fn verdict_color(v: Verdict) -> Rgb {
    match v {
        Verdict::Covered => GREEN,
        Verdict::CoveredNoPhi => MUTED,
        Verdict::Uncovered => RED,
    }
}

fn as_of_line(data: &PacketData) -> String {
    format!("Evidence packet as of {}", long_date(data.as_of))
}

// ---------------------------------------------------------------------------------------------
// Headings and page furniture

/// A numbered top-level section: always on a new page, recorded for the contents.
fn section(l: &mut Layout<'_>, toc: &mut Vec<(String, usize)>, num: &str, title: &str) {
    l.new_page();
    toc.push((format!("{num}  {title}"), l.page_index()));
    let f = l.f;
    l.text(MARGIN, l.y + 16.0, 16.0, Face::Bold, NAVY, num);
    let x = MARGIN + f.width(Face::Bold, 16.0, num) + 10.0;
    l.text(x, l.y + 16.0, 16.0, Face::Bold, NAVY, title);
    l.y += 24.0;
    l.hline(MARGIN, MARGIN + BODY_W, l.y, NAVY, 1.2);
    l.y += 14.0;
}

/// A sub-heading kept with at least `keep` points of what follows.
fn subheading(l: &mut Layout<'_>, text: &str, keep: f32) {
    l.ensure(22.0 + keep);
    l.y += 4.0;
    l.text(MARGIN, l.y + 9.5, 9.5, Face::Bold, NAVY, text);
    l.y += 16.0;
}

/// Running header (not on the cover) and footer on every page.
fn chrome(l: &mut Layout<'_>, data: &PacketData) {
    let f = l.f;
    let total = l.pages.len();
    let right = as_of_line(data);
    let right_w = f.width(Face::Regular, 8.0, &right);
    let left = fit(f, &data.workspace_name, Face::Bold, 8.0, BODY_W - right_w - 24.0);
    let footer_left = format!("Packet {}", data.packet_id);
    let footer_mid = "Confidential: prepared for audit";
    let mid_w = f.width(Face::Regular, 7.0, footer_mid);
    for (i, page) in l.pages.iter_mut().enumerate() {
        let mut add = |item: Item| page.push(item);
        if i > 0 {
            add(Item::Text {
                x: MARGIN,
                y: 46.0,
                size: 8.0,
                style: Face::Bold,
                color: NAVY,
                text: left.clone(),
            });
            add(Item::Text {
                x: MARGIN + BODY_W - right_w,
                y: 46.0,
                size: 8.0,
                style: Face::Regular,
                color: MUTED,
                text: right.clone(),
            });
            add(Item::Line {
                x1: MARGIN,
                y1: 53.0,
                x2: MARGIN + BODY_W,
                y2: 53.0,
                color: RULE,
                width: 0.6,
                dashed: false,
            });
        }
        let fy = PAGE_H - 36.0;
        add(Item::Line {
            x1: MARGIN,
            y1: fy - 12.0,
            x2: MARGIN + BODY_W,
            y2: fy - 12.0,
            color: RULE,
            width: 0.6,
            dashed: false,
        });
        add(Item::Text {
            x: MARGIN,
            y: fy,
            size: 7.0,
            style: Face::Regular,
            color: MUTED,
            text: footer_left.clone(),
        });
        add(Item::Text {
            x: MARGIN + (BODY_W - mid_w) / 2.0,
            y: fy,
            size: 7.0,
            style: Face::Regular,
            color: MUTED,
            text: footer_mid.to_string(),
        });
        let num = format!("Page {} of {}", i + 1, total);
        let w = f.width(Face::Regular, 7.5, &num);
        add(Item::Text {
            x: MARGIN + BODY_W - w,
            y: fy,
            size: 7.5,
            style: Face::Regular,
            color: INK,
            text: num,
        });
    }
}

// ---------------------------------------------------------------------------------------------
// Cover

fn cover(l: &mut Layout<'_>, data: &PacketData, toc: &[(String, usize)]) -> Result<(), anyhow::Error> {
    let f = l.f;
    l.rect(0.0, 0.0, PAGE_W, 10.0, Some(NAVY), None);
    l.y = 120.0;
    l.text(MARGIN, l.y, 9.0, Face::Bold, MUTED, "HIPAA BUSINESS ASSOCIATE AGREEMENTS");
    l.y += 40.0;
    l.text(MARGIN, l.y, 30.0, Face::Bold, NAVY, "Evidence packet");
    l.y += 20.0;
    for line in wrap(f, &data.workspace_name, Face::Regular, 20.0, BODY_W) {
        l.y += 26.0;
        l.text(MARGIN, l.y, 20.0, Face::Regular, INK, line);
    }
    l.y += 26.0;
    l.text(MARGIN, l.y, 13.0, Face::Regular, INK, format!("As of {}", long_date(data.as_of)));
    l.y += 22.0;
    l.hline(MARGIN, MARGIN + BODY_W, l.y, NAVY, 1.2);
    l.y += 16.0;

    let by = if data.generated_by.email.is_empty() {
        data.generated_by.name.clone()
    } else {
        format!("{} <{}>", data.generated_by.name, data.generated_by.email)
    };
    l.key_values(
        118.0,
        9.0,
        &[
            ("Prepared by", by, Face::Regular),
            ("Generated", stamp(data.generated_at), Face::Regular),
            ("Packet id", data.packet_id.clone(), Face::Mono),
            ("Content SHA-256", data.content_sha256()?, Face::Mono),
            ("Audit chain head", data.audit.head_hash.clone(), Face::Mono),
        ],
    );

    l.y += 22.0;
    l.text(MARGIN, l.y + 10.0, 10.0, Face::Bold, NAVY, "Contents");
    l.y += 20.0;
    for (title, page) in toc {
        let num = (page + 1).to_string();
        let base = l.y + 9.5;
        l.text(MARGIN, base, 9.5, Face::Regular, INK, title.clone());
        let tw = f.width(Face::Regular, 9.5, title);
        let nw = f.width(Face::Regular, 9.5, &num);
        // Dotted leader between the title and its page number.
        let (x1, x2) = (MARGIN + tw + 6.0, MARGIN + BODY_W - nw - 6.0);
        if x2 > x1 {
            l.push(Item::Line { x1, y1: base, x2, y2: base, color: RULE, width: 0.8, dashed: true });
        }
        l.text_right(MARGIN + BODY_W, base, 9.5, Face::Regular, INK, &num);
        l.y += 17.0;
    }

    l.y = BODY_BOTTOM - 92.0;
    l.hline(MARGIN, MARGIN + BODY_W, l.y, RULE, 0.6);
    l.y += 8.0;
    let note = format!(
        "This packet records, for {as_of}, the business associates of {ws}, the written agreements \
         in effect and their required terms (45 CFR 164.308(b), 164.314(a), 164.504(e)), the \
         subcontractors behind them, open findings and an excerpt of the tamper-evident audit trail. \
         The content SHA-256 above is computed over the packet's data; the bundle that accompanies \
         this document lists the SHA-256 of this file and of every executed agreement, and can be \
         re-checked offline. Records are kept for six years (45 CFR 164.316(b)(2)(i)).",
        as_of = long_date(data.as_of),
        ws = data.workspace_name,
    );
    l.paragraph(&note, Face::Regular, 7.5, MUTED);
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// 1 Summary

fn tile(l: &mut Layout<'_>, x: f32, w: f32, value: &str, label: &str, accent: Rgb) {
    let y = l.y;
    l.rect(x, y, w, 62.0, Some(Rgb(0.975, 0.98, 0.99)), Some((RULE, 0.6)));
    l.rect(x, y, w, 3.0, Some(accent), None);
    l.text(x + 10.0, y + 34.0, 22.0, Face::Bold, accent, value);
    let label = fit(l.f, label, Face::Regular, 8.0, w - 20.0);
    l.text(x + 10.0, y + 51.0, 8.0, Face::Regular, MUTED, label);
}

fn summary(l: &mut Layout<'_>, data: &PacketData) {
    let s = &data.summary;
    let uncovered = s.services_total.saturating_sub(s.services_covered);
    let counts = &s.open_findings;
    let lead = format!(
        "As of {}, {} of {} services of {} are covered by a chain of business associate agreements \
         or handle no protected health information; {} {} not covered. {} {} open{}.",
        long_date(data.as_of),
        s.services_covered,
        s.services_total,
        data.workspace_name,
        uncovered,
        if uncovered == 1 { "is" } else { "are" },
        counts.total(),
        if counts.total() == 1 { "finding is" } else { "findings are" },
        if counts.critical > 0 { format!(", {} of them critical", counts.critical) } else { String::new() },
    );
    l.paragraph(&lead, Face::Regular, 10.0, INK);
    l.gap(12.0);

    let gap = 10.0;
    let w4 = (BODY_W - 3.0 * gap) / 4.0;
    let pct = if s.services_total == 0 {
        "n/a".to_string()
    } else {
        format!("{:.0}%", s.services_covered as f64 * 100.0 / s.services_total as f64)
    };
    let tiles = [
        (s.services_total.to_string(), "Services".to_string(), NAVY),
        (s.services_covered.to_string(), format!("Covered ({pct})"), GREEN),
        (uncovered.to_string(), "Not covered".to_string(), if uncovered > 0 { RED } else { GREEN }),
        (data.agreements.len().to_string(), "Agreements".to_string(), NAVY),
    ];
    for (i, (v, label, c)) in tiles.iter().enumerate() {
        tile(l, MARGIN + i as f32 * (w4 + gap), w4, v, label, *c);
    }
    l.y += 62.0 + 22.0;

    subheading(l, "Open findings by severity", 70.0);
    let w5 = (BODY_W - 4.0 * gap) / 5.0;
    for (i, sev) in Severity::ALL.iter().enumerate() {
        let n = counts.get(*sev);
        let c = if n == 0 { MUTED } else { severity_color(*sev) };
        tile(l, MARGIN + i as f32 * (w5 + gap), w5, &n.to_string(), sev.label(), c);
    }
    l.y += 62.0 + 22.0;

    subheading(l, "In this packet", 80.0);
    let documents: usize = data.agreements.iter().map(|a| a.documents.len()).sum();
    let rows = vec![
        Row::new(vec!["Business associates".into(), data.business_associates.len().to_string().into()]),
        Row::new(vec!["Services in the coverage table".into(), data.coverage.len().to_string().into()]),
        Row::new(vec!["Agreements".into(), data.agreements.len().to_string().into()]),
        Row::new(vec!["Executed document versions".into(), documents.to_string().into()]),
        Row::new(vec!["Open findings".into(), data.findings.len().to_string().into()]),
        Row::new(vec!["Audit entries in the excerpt".into(), data.audit.entries.len().to_string().into()]),
    ];
    l.table("In this packet", &[Col::new("Item", 3.0), Col::new("Count", 1.0).right()], &rows);
}

// ---------------------------------------------------------------------------------------------
// 2 Business associates, 3 Coverage

fn inventory(l: &mut Layout<'_>, data: &PacketData) {
    l.paragraph(
        "Every vendor and subcontractor that creates, receives, maintains or transmits protected \
         health information on our behalf (45 CFR 164.308(b)(1)), with the services it provides and \
         the contact for agreement matters.",
        Face::Regular,
        9.0,
        INK,
    );
    l.gap(8.0);
    if data.business_associates.is_empty() {
        l.paragraph("No business associates are recorded.", Face::Regular, 9.0, MUTED);
        return;
    }
    let rows: Vec<Row> = data
        .business_associates
        .iter()
        .map(|b| {
            Row::new(vec![
                Cell::strong(b.name.clone(), INK),
                b.services.join(", ").into(),
                b.contact.clone().into(),
            ])
        })
        .collect();
    l.table(
        "Business associates",
        &[Col::new("Business associate", 0.28), Col::new("Services", 0.40), Col::new("Contact", 0.32)],
        &rows,
    );
}

fn coverage(l: &mut Layout<'_>, data: &PacketData) {
    l.paragraph(
        "Each service in use on the as-of date, whether it handles protected health information \
         (unknown counts as yes), and the chain of agreements that covers it, from us down to the \
         party that runs it.",
        Face::Regular,
        9.0,
        INK,
    );
    l.gap(8.0);
    if data.coverage.is_empty() {
        l.paragraph("No services are recorded.", Face::Regular, 9.0, MUTED);
        return;
    }
    let rows: Vec<Row> = data
        .coverage
        .iter()
        .map(|r| {
            let phi = match r.phi {
                Phi::Yes => Cell::from("Yes"),
                Phi::No => Cell::muted("No"),
                Phi::Unknown => Cell { text: "Unknown".into(), style: None, color: Some(AMBER) },
            };
            let chain =
                if r.chain.is_empty() { Cell::muted("none") } else { Cell::from(r.chain.join(" › ")) };
            let row = Row::new(vec![
                Cell::strong(r.service.clone(), INK),
                r.app.clone().into(),
                r.org.clone().into(),
                r.vendor.clone().into(),
                r.plan.clone().into(),
                phi,
                Cell::strong(r.verdict.label(), verdict_color(r.verdict)),
                chain,
            ]);
            if r.detail.is_empty() {
                row
            } else {
                let label = if r.verdict == Verdict::Uncovered { "Why:" } else { "Reason:" };
                row.detail(label, r.detail.clone(), Face::Regular)
            }
        })
        .collect();
    l.table(
        "Coverage",
        &[
            Col::new("Service", 0.135),
            Col::new("App", 0.10),
            Col::new("Org", 0.10),
            Col::new("Vendor", 0.115),
            Col::new("Plan", 0.125),
            Col::new("PHI", 0.09),
            Col::new("Verdict", 0.105),
            Col::new("Chain", 0.23),
        ],
        &rows,
    );
}
