//! The packet as a PDF: cover, summary, inventory, coverage table, relationship graph, one
//! section per agreement, open findings and the audit-trail excerpt, with a running header and
//! "Page N of M" footer. Laid out by `layout.rs`, drawn with printpdf's low-level operations.

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
use super::PacketError;

/// Renders the packet as PDF bytes. The same data gives the same pages; fonts are embedded
/// (subset to the characters used), so every name renders on every reader.
pub fn render_pdf(data: &PacketData) -> Result<Vec<u8>, PacketError> {
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

fn cover(l: &mut Layout<'_>, data: &PacketData, toc: &[(String, usize)]) -> Result<(), PacketError> {
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

// ---------------------------------------------------------------------------------------------
// 4 Relationship graph

const NODE_W: f32 = 84.0;
const NODE_H: f32 = 22.0;
const PITCH: f32 = 28.0;

fn column_x(col: usize) -> f32 {
    let gap = (BODY_W - 4.0 * NODE_W) / 3.0;
    MARGIN + col as f32 * (NODE_W + gap)
}

/// Nodes placed on one page of the graph: node index to (column, row).
struct GraphPage {
    at: HashMap<usize, (usize, f32)>,
    rows: usize,
}

/// Places nodes in rows: customers down the first column; each vendor followed by its
/// subcontractors (a band as tall as its list), bands never split unless taller than a page;
/// "us" in the middle of every page, since every chain runs through it.
fn place(g: &Graph, first_rows: usize, rows: usize) -> Vec<GraphPage> {
    let index: HashMap<&str, usize> = g.nodes.iter().enumerate().map(|(i, n)| (n.id.as_str(), i)).collect();
    let of_kind = |k: NodeKind| -> Vec<usize> {
        g.nodes.iter().enumerate().filter(|(_, n)| n.kind == k).map(|(i, _)| i).collect()
    };
    let customers = of_kind(NodeKind::Customer);
    let us = of_kind(NodeKind::Us);
    let vendors = of_kind(NodeKind::Vendor);
    let subs = of_kind(NodeKind::Subcontractor);

    // A subcontractor joins the band of the first vendor (or subcontractor already placed)
    // with an edge to it.
    let mut parent: HashMap<usize, usize> = HashMap::new();
    let mut band_of: HashMap<usize, usize> = HashMap::new();
    let mut bands: Vec<(Option<usize>, Vec<usize>)> =
        vendors.iter().map(|&v| (Some(v), Vec::new())).collect();
    for (b, &v) in vendors.iter().enumerate() {
        band_of.insert(v, b);
    }
    for _ in 0..4 {
        for e in &g.edges {
            if let (Some(&from), Some(&to)) = (index.get(e.from.as_str()), index.get(e.to.as_str())) {
                if g.nodes[to].kind == NodeKind::Subcontractor && !parent.contains_key(&to) {
                    if let Some(&b) = band_of.get(&from) {
                        parent.insert(to, from);
                        band_of.insert(to, b);
                        bands[b].1.push(to);
                    }
                }
            }
        }
    }
    let orphans: Vec<usize> = subs.iter().copied().filter(|s| !parent.contains_key(s)).collect();
    if !orphans.is_empty() {
        bands.push((None, orphans));
    }

    let mut pages: Vec<GraphPage> = Vec::new();
    let cap = |p: usize| if p == 0 { first_rows.max(1) } else { rows.max(1) };
    let new_page = |pages: &mut Vec<GraphPage>| pages.push(GraphPage { at: HashMap::new(), rows: 0 });
    new_page(&mut pages);
    // Vendor bands.
    let mut used = 0;
    for (vendor, members) in &bands {
        let mut chunk_start = 0;
        loop {
            let p = pages.len() - 1;
            let room = cap(p) - used;
            let left = members.len() - chunk_start;
            let height = left.max(1);
            if height > room && used > 0 {
                new_page(&mut pages);
                used = 0;
                continue;
            }
            let take = left.min(room);
            let page = &mut pages[p];
            if let Some(v) = vendor {
                let mid = used as f32 + (take.max(1) as f32 - 1.0) / 2.0;
                page.at.insert(*v, (2, mid));
            }
            for (k, &m) in members[chunk_start..chunk_start + take].iter().enumerate() {
                page.at.insert(m, (3, (used + k) as f32));
            }
            used += take.max(1);
            page.rows = page.rows.max(used);
            chunk_start += take;
            if chunk_start >= members.len() {
                break;
            }
            new_page(&mut pages);
            used = 0;
        }
    }
    // Customers, page by page.
    let mut p = 0;
    let mut row = 0;
    for &c in &customers {
        if row >= cap(p) {
            p += 1;
            row = 0;
        }
        while pages.len() <= p {
            new_page(&mut pages);
        }
        pages[p].at.insert(c, (0, row as f32));
        row += 1;
        pages[p].rows = pages[p].rows.max(row);
    }
    for page in &mut pages {
        let n = us.len().max(1);
        let rows = page.rows.max(n);
        page.rows = rows;
        for (k, &u) in us.iter().enumerate() {
            let mid = (rows as f32 - n as f32) / 2.0 + k as f32;
            page.at.insert(u, (1, mid));
        }
    }
    pages
}

fn node_box(l: &mut Layout<'_>, n: &GraphNode, x: f32, y: f32, h: f32) {
    let (fill, stroke, text) = match n.kind {
        NodeKind::Us => (NAVY, NAVY, WHITE),
        NodeKind::Customer => (Rgb(0.90, 0.94, 0.99), BLUE, INK),
        NodeKind::Vendor => (Rgb(0.95, 0.96, 0.97), MUTED, INK),
        NodeKind::Subcontractor => (WHITE, RULE, INK),
    };
    l.rect(x, y, NODE_W, h, Some(fill), Some((stroke, 0.7)));
    let style = if n.kind == NodeKind::Us { Face::Bold } else { Face::Regular };
    let size = 6.8;
    let mut lines = wrap(l.f, &n.label, style, size, NODE_W - 8.0);
    if lines.len() > 2 {
        let rest = lines[1..].join(" ");
        lines.truncate(1);
        lines.push(fit(l.f, &rest, style, size, NODE_W - 8.0));
    }
    let total = lines.len() as f32 * 8.2;
    let mut base = y + (h - total) / 2.0 + 6.3;
    for line in lines {
        let w = l.f.width(style, size, &line);
        l.text(x + (NODE_W - w) / 2.0, base, size, style, text, line);
        base += 8.2;
    }
}

fn arrow(l: &mut Layout<'_>, (x1, y1): (f32, f32), (x2, y2): (f32, f32), color: Rgb, dashed: bool) {
    let (dx, dy) = (x2 - x1, y2 - y1);
    let len = (dx * dx + dy * dy).sqrt().max(0.001);
    let (ux, uy) = (dx / len, dy / len);
    let (bx, by) = (x2 - ux * 5.0, y2 - uy * 5.0);
    l.push(Item::Line { x1, y1, x2: bx, y2: by, color, width: 0.9, dashed });
    l.push(Item::Poly {
        points: vec![(x2, y2), (bx - uy * 2.4, by + ux * 2.4), (bx + uy * 2.4, by - ux * 2.4)],
        fill: color,
    });
}

fn graph(l: &mut Layout<'_>, g: &Graph) {
    l.paragraph(
        "Who passes protected health information to whom, left to right: our customers (covered \
         entities), us, our vendors, and their subcontractors. Each arrow is an agreement; its label \
         is the agreement's status on the as-of date.",
        Face::Regular,
        9.0,
        INK,
    );
    l.gap(6.0);
    // Legend.
    let y = l.y + 6.0;
    arrow(l, (MARGIN, y), (MARGIN + 28.0, y), GREEN, false);
    l.text(MARGIN + 34.0, y + 2.5, 7.5, Face::Regular, INK, "Agreement in force (covered)");
    let x2 = MARGIN + 190.0;
    arrow(l, (x2, y), (x2 + 28.0, y), RED, true);
    l.text(x2 + 34.0, y + 2.5, 7.5, Face::Regular, INK, "Missing, expired or not in force");
    l.y += 22.0;
    if g.nodes.is_empty() {
        l.paragraph("No parties are recorded.", Face::Regular, 9.0, MUTED);
        return;
    }

    let header_h = 18.0;
    let rows_from =
        |top: f32| ((BODY_BOTTOM - top - header_h - NODE_H) / PITCH).floor().max(0.0) as usize + 1;
    let pages = place(g, rows_from(l.y), rows_from(BODY_TOP + 12.0));
    let index: HashMap<&str, usize> = g.nodes.iter().enumerate().map(|(i, n)| (n.id.as_str(), i)).collect();
    let count = pages.len();
    let us_count = g.nodes.iter().filter(|n| n.kind == NodeKind::Us).count();
    for (p, page) in pages.iter().enumerate() {
        if p > 0 {
            l.new_page();
            l.text(
                MARGIN,
                l.y + 7.0,
                7.0,
                Face::Regular,
                MUTED,
                format!("Relationship graph (continued, part {} of {count})", p + 1),
            );
            l.y += 12.0;
        }
        for (col, title) in ["Customers", "Us", "Vendors", "Subcontractors"].iter().enumerate() {
            let x = column_x(col);
            let w = l.f.width(Face::Bold, 7.5, title);
            l.text(x + (NODE_W - w) / 2.0, l.y + 8.0, 7.5, Face::Bold, MUTED, *title);
        }
        l.y += header_h;
        let top = l.y;
        // "us" is a hub: drawn as a tall box so its many lines meet it side by side.
        let hub_h = if us_count == 1 {
            (0.35 * (page.rows as f32 - 1.0) * PITCH + NODE_H).max(NODE_H)
        } else {
            NODE_H
        };
        // Column, x, top and height of a node placed on this page.
        let pos = |node: usize| -> Option<(usize, f32, f32, f32)> {
            page.at.get(&node).map(|&(col, row)| {
                let h = if g.nodes[node].kind == NodeKind::Us { hub_h } else { NODE_H };
                let mid = top + row * PITCH + NODE_H / 2.0;
                (col, column_x(col), mid - h / 2.0, h)
            })
        };
        // Edges under the boxes. Ends sharing a side of a box are spread along that side, in
        // the order of the boxes they lead to, so lines into "us" do not meet in one point.
        struct Drawn {
            a: (usize, f32, f32, f32),
            b: (usize, f32, f32, f32),
            na: usize,
            nb: usize,
            side_a: bool,
            side_b: bool,
            edge: usize,
        }
        let mut drawn: Vec<Drawn> = Vec::new();
        for (k, e) in g.edges.iter().enumerate() {
            let (Some(&na), Some(&nb)) = (index.get(e.from.as_str()), index.get(e.to.as_str())) else {
                continue;
            };
            let (Some(a), Some(b)) = (pos(na), pos(nb)) else {
                continue;
            };
            // true: the right side of the box.
            let (side_a, side_b) = if a.0 == b.0 { (true, true) } else { (a.0 < b.0, b.0 < a.0) };
            drawn.push(Drawn { a, b, na, nb, side_a, side_b, edge: k });
        }
        // (node, right side) -> (centre of the other box, edge, whether this is its start)
        type Ends = HashMap<(usize, bool), Vec<(f32, usize, bool)>>;
        let mut ends: Ends = HashMap::new();
        for (i, d) in drawn.iter().enumerate() {
            ends.entry((d.na, d.side_a)).or_default().push((d.b.2 + d.b.3 / 2.0, i, true));
            ends.entry((d.nb, d.side_b)).or_default().push((d.a.2 + d.a.3 / 2.0, i, false));
        }
        let mut attach: HashMap<(usize, bool), f32> = HashMap::new();
        let mut degree: HashMap<usize, usize> = HashMap::new();
        for ((node, _), list) in &mut ends {
            *degree.entry(*node).or_default() += list.len();
            list.sort_by(|x, y| x.0.total_cmp(&y.0).then(x.1.cmp(&y.1)));
            let n = list.len() as f32;
            let h = if g.nodes[*node].kind == NodeKind::Us { hub_h } else { NODE_H };
            for (k, &(_, i, is_a)) in list.iter().enumerate() {
                let y = if n > 1.0 { 3.0 + (h - 6.0) * (k as f32 + 0.5) / n } else { h / 2.0 };
                attach.insert((i, is_a), y);
            }
        }
        let gap = column_x(1) - column_x(0) - NODE_W;
        let mut labels: Vec<(f32, f32, String, f32, Rgb)> = Vec::new();
        for (i, d) in drawn.iter().enumerate() {
            let e = &g.edges[d.edge];
            let color = if e.covered { GREEN } else { RED };
            let dashed = !e.covered;
            let ma = d.a.2 + attach.get(&(i, true)).copied().unwrap_or(d.a.3 / 2.0);
            let mb = d.b.2 + attach.get(&(i, false)).copied().unwrap_or(d.b.3 / 2.0);
            let start = (if d.side_a { d.a.1 + NODE_W } else { d.a.1 }, ma);
            let end = (if d.side_b { d.b.1 + NODE_W } else { d.b.1 }, mb);
            let text = fit(l.f, &e.status, Face::Regular, 5.6, gap - 8.0);
            let w = l.f.width(Face::Regular, 5.6, &text);
            if d.side_a && d.side_b {
                // Same column (a subcontractor's subcontractor): an elbow on the right.
                let out = start.0 + 10.0;
                l.push(Item::Line { x1: start.0, y1: ma, x2: out, y2: ma, color, width: 0.9, dashed });
                l.push(Item::Line { x1: out, y1: ma, x2: out, y2: mb, color, width: 0.9, dashed });
                arrow(l, (out, mb), end, color, dashed);
                labels.push((out + 2.0 + w / 2.0, (ma + mb) / 2.0, text, w, color));
                continue;
            }
            arrow(l, start, end, color, dashed);
            // The label sits beside the box with fewer lines (not the hub), where lines are
            // a row apart.
            let deg = |n: usize| degree.get(&n).copied().unwrap_or(0);
            let (from, to) = if deg(d.na) < deg(d.nb) { (start, end) } else { (end, start) };
            let dir = if to.0 > from.0 { 1.0 } else { -1.0 };
            let lx = from.0 + dir * (w / 2.0 + 4.0);
            let t = if (to.0 - from.0).abs() > 0.1 { (lx - from.0) / (to.0 - from.0) } else { 0.0 };
            labels.push((lx, from.1 + (to.1 - from.1) * t, text, w, color));
        }
        for (x, y, text, w, color) in labels {
            l.rect(x - w / 2.0 - 1.5, y - 3.9, w + 3.0, 7.2, Some(WHITE), None);
            l.text(x - w / 2.0, y + 2.0, 5.6, Face::Regular, color, text);
        }
        let mut placed: Vec<usize> = page.at.keys().copied().collect();
        placed.sort_unstable();
        for node in placed {
            if let Some((_, x, y, h)) = pos(node) {
                node_box(l, &g.nodes[node], x, y, h);
            }
        }
        l.y = top + page.rows as f32 * PITCH;
    }
}

// ---------------------------------------------------------------------------------------------
// 5 Agreements

fn status_color(status: &str) -> Rgb {
    match status.to_ascii_lowercase().as_str() {
        "signed" | "active" | "in force" => GREEN,
        "expired" | "terminated" | "none" | "missing" => RED,
        _ => AMBER,
    }
}

fn agreements(l: &mut Layout<'_>, data: &PacketData) {
    l.paragraph(
        "Each agreement in effect on the as-of date or relied on by a chain: its parties, dates, \
         status history, the required-clause checklist (45 CFR 164.504(e)(2), 164.314(a)(2)) with \
         where each clause is found, and the SHA-256 of every executed document version.",
        Face::Regular,
        9.0,
        INK,
    );
    l.gap(4.0);
    if data.agreements.is_empty() {
        l.paragraph("No agreements are recorded.", Face::Regular, 9.0, MUTED);
    }
    for (i, a) in data.agreements.iter().enumerate() {
        agreement(l, &format!("5.{}", i + 1), a);
    }
}

fn agreement(l: &mut Layout<'_>, num: &str, a: &AgreementSection) {
    let f = l.f;
    l.ensure(150.0);
    l.y += 10.0;
    // Title with a status badge on the right.
    let badge = a.status.to_uppercase();
    let badge_w = f.width(Face::Bold, 7.0, &badge) + 10.0;
    let title_w = BODY_W - badge_w - 40.0;
    let lines = wrap(f, &a.title, Face::Bold, 11.5, title_w);
    let top = l.y;
    l.text(MARGIN, l.y + 11.5, 11.5, Face::Bold, NAVY, num);
    for line in &lines {
        l.text(MARGIN + 34.0, l.y + 11.5, 11.5, Face::Bold, NAVY, line.clone());
        l.y += 15.0;
    }
    let c = status_color(&a.status);
    l.rect(MARGIN + BODY_W - badge_w, top + 1.0, badge_w, 12.0, None, Some((c, 0.8)));
    l.text(MARGIN + BODY_W - badge_w + 5.0, top + 9.6, 7.0, Face::Bold, c, badge);
    l.y += 3.0;
    l.hline(MARGIN, MARGIN + BODY_W, l.y, RULE, 0.6);
    l.y += 6.0;

    l.key_values(
        92.0,
        8.5,
        &[
            ("Parties", a.parties.join("  ·  "), Face::Regular),
            ("Kind", a.kind.clone(), Face::Regular),
            ("Status", format!("{} on the as-of date", a.status), Face::Regular),
            ("Signed", opt_date(a.signed_on, "date not recorded"), Face::Regular),
            ("Effective", opt_date(a.effective, "not recorded"), Face::Regular),
            (
                "Recorded",
                match (a.recorded_on, a.effective) {
                    (Some(r), Some(e)) if r > e => format!("{r} (entered after its effective date {e})"),
                    (Some(r), _) => r.to_string(),
                    (None, _) => "not recorded".to_string(),
                },
                Face::Regular,
            ),
            ("Expiry", opt_date(a.expiry, "does not expire"), Face::Regular),
            ("Agreement id", a.id.clone(), Face::Mono),
        ],
    );
    l.y += 2.0;

    subheading(l, "Status history", 30.0);
    if a.history.is_empty() {
        l.paragraph("No status history recorded.", Face::Regular, 8.5, MUTED);
    } else {
        let rows: Vec<Row> = a
            .history
            .iter()
            .map(|h| {
                Row::new(vec![
                    Cell::strong(h.status.clone(), status_color(&h.status)),
                    long_date(h.when).into(),
                    h.who.clone().into(),
                    h.why.clone().into(),
                ])
            })
            .collect();
        l.table(
            &format!("{num} status history"),
            &[
                Col::new("Status", 0.16),
                Col::new("Date", 0.16),
                Col::new("Recorded by", 0.22),
                Col::new("Reason", 0.46),
            ],
            &rows,
        );
    }

    let confirmed = a.clauses.iter().filter(|c| c.confirmed).count();
    subheading(l, &format!("Required clauses: {confirmed} of {} confirmed", a.clauses.len()), 30.0);
    if a.clauses.is_empty() {
        l.paragraph("No clause checklist recorded.", Face::Regular, 8.5, MUTED);
    } else {
        let rows: Vec<Row> = a
            .clauses
            .iter()
            .map(|c| {
                let by = match (&c.confirmed_by, c.confirmed_on) {
                    (b, Some(d)) if !b.is_empty() => format!("{b}, {}", d.format("%Y-%m-%d")),
                    (b, _) => b.clone(),
                };
                Row::new(vec![
                    c.clause.clone().into(),
                    if c.confirmed { Cell::strong("Yes", GREEN) } else { Cell::strong("No", RED) },
                    c.location.clone().into(),
                    by.into(),
                ])
            })
            .collect();
        l.table(
            &format!("{num} required clauses"),
            &[
                Col::new("Clause", 0.40),
                Col::new("Confirmed", 0.12),
                Col::new("Location", 0.20),
                Col::new("Confirmed by", 0.28),
            ],
            &rows,
        );
    }

    subheading(l, "Executed documents", 30.0);
    if a.documents.is_empty() {
        l.paragraph("No executed document uploaded.", Face::Bold, 8.5, RED);
    } else {
        let rows: Vec<Row> = a
            .documents
            .iter()
            .map(|d| {
                Row::new(vec![
                    format!("v{}", d.version).into(),
                    Cell::strong(d.file_name.clone(), INK),
                    d.uploaded_by.clone().into(),
                    stamp(d.uploaded_at).into(),
                    format!("{} ({} bytes)", file_size(d.size), thousands(d.size)).into(),
                ])
                .detail("SHA-256", d.sha256.clone(), Face::Mono)
            })
            .collect();
        l.table(
            &format!("{num} executed documents"),
            &[
                Col::new("Version", 0.09),
                Col::new("File", 0.33),
                Col::new("Uploaded by", 0.19),
                Col::new("Uploaded", 0.18),
                Col::new("Size", 0.21).right(),
            ],
            &rows,
        );
    }
    l.y += 8.0;
}

// ---------------------------------------------------------------------------------------------
// 6 Findings, 7 Audit

fn findings(l: &mut Layout<'_>, data: &PacketData) {
    l.paragraph(
        "Problems open on the as-of date, most severe first, each with the concrete next step.",
        Face::Regular,
        9.0,
        INK,
    );
    l.gap(8.0);
    if data.findings.is_empty() {
        l.paragraph("No open findings.", Face::Bold, 9.0, GREEN);
        return;
    }
    let rows: Vec<Row> = data
        .findings
        .iter()
        .map(|x| {
            Row::new(vec![
                Cell::strong(x.severity.label(), severity_color(x.severity)),
                x.rule.clone().into(),
                Cell::strong(x.subject.clone(), INK),
                x.message.clone().into(),
                x.next_step.clone().into(),
            ])
        })
        .collect();
    l.table(
        "Open findings",
        &[
            Col::new("Severity", 0.10),
            Col::new("Rule", 0.19),
            Col::new("Subject", 0.16),
            Col::new("Finding", 0.29),
            Col::new("Next step", 0.26),
        ],
        &rows,
    );
}

fn safeguards(l: &mut Layout<'_>, data: &PacketData) {
    l.paragraph(
        "What Fly.io's healthcare blueprint asks for besides the BAA, checked from each app's fly.toml as \
         imported: credentials kept out of the file, TLS on every public port, databases not publicly \
         reachable, volume snapshots and backups, one file per environment. Each check is passed, passed by \
         an approved exception (with its reason, who approved it and when), failed, or not verifiable from \
         the data, with the file and line it was read from. Secret values are never kept: only names and lines.",
        Face::Regular,
        9.0,
        INK,
    );
    l.gap(8.0);
    if data.safeguards.is_empty() {
        l.paragraph("No app with a fly.toml or PHI on record.", Face::Bold, 9.0, INK);
        return;
    }
    let rows: Vec<Row> = data
        .safeguards
        .iter()
        .map(|x| {
            let color = match x.state.as_str() {
                "passed" | "passed by exception" => GREEN,
                _ => severity_color(x.severity),
            };
            Row::new(vec![
                Cell::strong(format!("{}{}", x.app, if x.phi { " (PHI)" } else { "" }), INK),
                x.rule.clone().into(),
                Cell::strong(x.state.clone(), color),
                x.at.clone().into(),
                x.detail.clone().into(),
                x.next_step.clone().into(),
            ])
        })
        .collect();
    l.table(
        "Platform safeguards",
        &[
            Col::new("App", 0.13),
            Col::new("Check", 0.15),
            Col::new("Result", 0.11),
            Col::new("File and line", 0.15),
            Col::new("Details", 0.26),
            Col::new("Next step", 0.20),
        ],
        &rows,
    );
}

fn corrections(l: &mut Layout<'_>, data: &PacketData) {
    l.paragraph(
        "The sections above show the record as it stood at the end of the as-of date. These records were \
         entered later but say they held on that date; they are listed here instead of being folded in.",
        Face::Regular,
        9.0,
        INK,
    );
    l.gap(8.0);
    if data.corrections.is_empty() {
        l.paragraph("No corrections recorded after the as-of date.", Face::Bold, 9.0, GREEN);
        return;
    }
    for (service, was, now) in &data.corrected_verdicts {
        l.paragraph(
            &format!("{service}: {was} as recorded, {now} with the corrections."),
            Face::Bold,
            8.5,
            INK,
        );
    }
    l.gap(4.0);
    let rows: Vec<Row> = data
        .corrections
        .iter()
        .map(|c| {
            Row::new(vec![
                Cell::strong(c.record.clone(), INK),
                c.change.clone().into(),
                c.holds_from.clone().into(),
                c.corrected_on.clone().into(),
                c.by.clone().into(),
                c.why.clone().into(),
            ])
        })
        .collect();
    l.table(
        "Corrections",
        &[
            Col::new("Record", 0.26),
            Col::new("Change", 0.10),
            Col::new("Holds from", 0.12),
            Col::new("Corrected on", 0.18),
            Col::new("By", 0.14),
            Col::new("Why", 0.20),
        ],
        &rows,
    );
}

fn period(l: &mut Layout<'_>, p: &PeriodSection) {
    l.paragraph(
        &format!(
            "From {} to {} ({} days). Each day is read as it was recorded by the end of that day: a record \
             entered later does not fill a past gap; it is listed under the corrections.",
            long_date(p.from),
            long_date(p.to),
            p.days
        ),
        Face::Regular,
        9.0,
        INK,
    );
    l.gap(4.0);
    let (headline, color) = if p.covered_every_day {
        ("Covered every day: every service was covered on every day it existed.".to_owned(), GREEN)
    } else if p.days_unrecorded > 0 {
        (
            format!(
                "Not shown as covered every day: nothing was recorded for {} of the days.",
                p.days_unrecorded
            ),
            RED,
        )
    } else {
        ("Not covered every day: see the spans below.".to_owned(), RED)
    };
    l.paragraph(&headline, Face::Bold, 9.5, color);
    l.gap(6.0);
    for s in &p.services {
        l.ensure(44.0);
        l.paragraph(
            &format!(
                "{}: {} days covered, {} no PHI, {} not covered{}",
                s.name,
                s.days_covered,
                s.days_no_phi,
                s.days_uncovered,
                if s.covered_every_day { " (covered every day it existed)" } else { "" }
            ),
            Face::Bold,
            8.5,
            INK,
        );
        // The timeline: one bar across the body width, a segment per span.
        let y = l.y + 2.0;
        let mut x = MARGIN;
        for (_, _, days, state, _) in &s.spans {
            let w = BODY_W * (*days as f32) / (p.days.max(1) as f32);
            let fill = match state.as_str() {
                "covered" => GREEN,
                "not covered" => RED,
                "no PHI" => MUTED,
                _ => RULE,
            };
            l.rect(x, y, w, 10.0, Some(fill), None);
            x += w;
        }
        l.gap(16.0);
        let rows: Vec<Row> = s
            .spans
            .iter()
            .map(|(from, to, days, state, reason)| {
                let color = if state == "not covered" { RED } else { INK };
                Row::new(vec![
                    from.to_string().into(),
                    to.to_string().into(),
                    days.to_string().into(),
                    Cell::strong(state.clone(), color),
                    reason.clone().into(),
                ])
            })
            .collect();
        l.table(
            "Spans",
            &[
                Col::new("From", 0.14),
                Col::new("To", 0.14),
                Col::new("Days", 0.08),
                Col::new("State", 0.16),
                Col::new("Reason or chain", 0.48),
            ],
            &rows,
        );
        l.gap(6.0);
    }
    let rows: Vec<Row> = p
        .agreements
        .iter()
        .map(|(title, with, first, last)| {
            Row::new(vec![
                Cell::strong(title.clone(), INK),
                with.clone().into(),
                first.to_string().into(),
                last.to_string().into(),
            ])
        })
        .collect();
    l.paragraph("Agreements in force on any day of the period", Face::Bold, 9.0, NAVY);
    if rows.is_empty() {
        l.paragraph("None.", Face::Regular, 9.0, RED);
    } else {
        l.table(
            "Agreements in force",
            &[
                Col::new("Agreement", 0.40),
                Col::new("With", 0.24),
                Col::new("From", 0.18),
                Col::new("To", 0.18),
            ],
            &rows,
        );
    }
    l.gap(6.0);
    l.paragraph("Changes recorded during the period", Face::Bold, 9.0, NAVY);
    let rows: Vec<Row> = p
        .changes
        .iter()
        .map(|(when, who, action, subject, why)| {
            Row::new(vec![
                when.clone().into(),
                who.clone().into(),
                action.clone().into(),
                subject.clone().into(),
                why.clone().into(),
            ])
        })
        .collect();
    if rows.is_empty() {
        l.paragraph("None.", Face::Regular, 9.0, INK);
    } else {
        l.table(
            "Changes",
            &[
                Col::new("When", 0.20),
                Col::new("Who", 0.16),
                Col::new("Action", 0.20),
                Col::new("Subject", 0.24),
                Col::new("Why", 0.20),
            ],
            &rows,
        );
    }
    if !p.corrections.is_empty() {
        l.gap(6.0);
        l.paragraph("Corrections recorded after the days they hold on", Face::Bold, 9.0, NAVY);
        let rows: Vec<Row> = p
            .corrections
            .iter()
            .map(|(rec, from, at, by)| {
                Row::new(vec![rec.clone().into(), from.clone().into(), at.clone().into(), by.clone().into()])
            })
            .collect();
        l.table(
            "Corrections in the period",
            &[
                Col::new("Record", 0.40),
                Col::new("Holds from", 0.18),
                Col::new("Recorded", 0.24),
                Col::new("By", 0.18),
            ],
            &rows,
        );
    }
}

fn audit(l: &mut Layout<'_>, data: &PacketData) {
    let a = &data.audit;
    let range = match (a.entries.first(), a.entries.last()) {
        (Some(first), Some(last)) => {
            format!("entries {} to {} ({} entries)", first.seq, last.seq, a.entries.len())
        }
        _ => "no entries".to_string(),
    };
    l.paragraph(
        "Every change in the workspace is recorded in a hash chain: each entry holds the SHA-256 of \
         the entry before it and of its own content, so any later edit, insertion or deletion breaks \
         the chain. The bundle holds these entries in full (audit-excerpt.jsonl) for re-checking.",
        Face::Regular,
        9.0,
        INK,
    );
    l.gap(6.0);
    l.key_values(
        92.0,
        8.5,
        &[("Excerpt", range, Face::Regular), ("Chain head", a.head_hash.clone(), Face::Mono)],
    );
    l.gap(6.0);
    if a.entries.is_empty() {
        return;
    }
    let rows: Vec<Row> = a
        .entries
        .iter()
        .map(|e| {
            Row::new(vec![
                e.seq.to_string().into(),
                stamp(e.at).into(),
                e.actor.clone().into(),
                Cell { text: e.action.clone(), style: Some(Face::Mono), color: None },
                e.subject.clone().into(),
            ])
            .detail("SHA-256", e.hash.clone(), Face::Mono)
            .detail("Previous", e.prev_hash.clone(), Face::Mono)
        })
        .collect();
    l.table(
        "Audit trail excerpt",
        &[
            Col::new("Seq", 0.07).right(),
            Col::new("Time", 0.19),
            Col::new("Actor", 0.20),
            Col::new("Action", 0.22),
            Col::new("Subject", 0.32),
        ],
        &rows,
    );
}

// ---------------------------------------------------------------------------------------------
// Display lists to PDF

fn color(c: Rgb) -> Color {
    Color::Rgb(printpdf::Rgb { r: c.0, g: c.1, b: c.2, icc_profile: None })
}

fn pt(x: f32, y_from_top: f32) -> Point {
    Point { x: Pt(x), y: Pt(PAGE_H - y_from_top) }
}

fn font_id(face: Face) -> FontId {
    FontId(face.resource_name().to_string())
}

/// Graphics state already set on a page, so each operator is written only when it changes
/// (a 400-page packet has some 60,000 text items; repeating colour and font for each doubles
/// the content streams and the time to write them).
#[derive(Default)]
struct State {
    in_text: bool,
    fill: Option<Rgb>,
    stroke: Option<(Rgb, f32)>,
    font: Option<(Face, f32)>,
}

impl State {
    fn fill(&mut self, ops: &mut Vec<Op>, c: Rgb) {
        if self.fill != Some(c) {
            ops.push(Op::SetFillColor { col: color(c) });
            self.fill = Some(c);
        }
    }

    fn stroke(&mut self, ops: &mut Vec<Op>, c: Rgb, width: f32) {
        if self.stroke != Some((c, width)) {
            ops.push(Op::SetOutlineColor { col: color(c) });
            ops.push(Op::SetOutlineThickness { pt: Pt(width) });
            self.stroke = Some((c, width));
        }
    }

    fn text(&mut self, ops: &mut Vec<Op>, on: bool) {
        if on != self.in_text {
            ops.push(if on { Op::StartTextSection } else { Op::EndTextSection });
            self.in_text = on;
        }
    }
}

/// One page's display list as PDF operations: runs of text share one text object.
fn page_ops(f: &FontSet, page: Vec<Item>) -> Vec<Op> {
    let mut ops: Vec<Op> = Vec::with_capacity(page.len() * 3);
    let mut st = State::default();
    for item in page {
        match item {
            Item::Text { x, y, size, style, color: c, text } => {
                st.text(&mut ops, true);
                st.fill(&mut ops, c);
                for (face, run, dx) in f.runs(style, &text) {
                    if st.font != Some((face, size)) {
                        ops.push(Op::SetFont {
                            font: PdfFontHandle::External(font_id(face)),
                            size: Pt(size),
                        });
                        st.font = Some((face, size));
                    }
                    ops.push(Op::SetTextMatrix {
                        matrix: TextMatrix::Translate(Pt(x + dx * size), Pt(PAGE_H - y)),
                    });
                    ops.push(Op::ShowText { items: vec![TextItem::Text(run.to_string())] });
                }
            }
            Item::Rect { x, y, w, h, fill, stroke } => {
                let mode = match (fill, stroke) {
                    (Some(_), Some(_)) => PaintMode::FillStroke,
                    (Some(_), None) => PaintMode::Fill,
                    (None, Some(_)) => PaintMode::Stroke,
                    (None, None) => continue,
                };
                st.text(&mut ops, false);
                if let Some(c) = fill {
                    st.fill(&mut ops, c);
                }
                if let Some((c, width)) = stroke {
                    st.stroke(&mut ops, c, width);
                }
                ops.push(Op::DrawRectangle {
                    rectangle: Rect {
                        x: Pt(x),
                        y: Pt(PAGE_H - y - h),
                        width: Pt(w),
                        height: Pt(h),
                        mode: Some(mode),
                        winding_order: Some(WindingOrder::NonZero),
                    },
                });
            }
            Item::Line { x1, y1, x2, y2, color: c, width, dashed } => {
                st.text(&mut ops, false);
                // Colour and width outside the saved state, so restoring it only undoes the dash.
                st.stroke(&mut ops, c, width);
                if dashed {
                    ops.push(Op::SaveGraphicsState);
                    ops.push(Op::SetLineDashPattern {
                        dash: printpdf::LineDashPattern::new(0.0, &[2.5, 2.0]),
                    });
                }
                ops.push(Op::DrawLine {
                    line: Line {
                        points: vec![
                            LinePoint { p: pt(x1, y1), bezier: false },
                            LinePoint { p: pt(x2, y2), bezier: false },
                        ],
                        is_closed: false,
                    },
                });
                if dashed {
                    ops.push(Op::RestoreGraphicsState);
                }
            }
            Item::Poly { points, fill } => {
                st.text(&mut ops, false);
                st.fill(&mut ops, fill);
                ops.push(Op::DrawPolygon {
                    polygon: Polygon {
                        rings: vec![PolygonRing {
                            points: points
                                .iter()
                                .map(|&(x, y)| LinePoint { p: pt(x, y), bezier: false })
                                .collect(),
                        }],
                        mode: PaintMode::Fill,
                        winding_order: WindingOrder::NonZero,
                    },
                });
            }
        }
    }
    st.text(&mut ops, false);
    ops
}

fn emit(
    pages: Vec<Vec<Item>>,
    f: &FontSet,
    data: &PacketData,
    toc: &[(String, usize)],
) -> Result<Vec<u8>, PacketError> {
    // Which characters each face draws, to embed only those glyphs.
    let mut used: HashMap<Face, BTreeSet<char>> = HashMap::new();
    for page in &pages {
        for item in page {
            if let Item::Text { style, text, .. } = item {
                for (face, run, _) in f.runs(*style, text) {
                    used.entry(face).or_default().extend(run.chars());
                }
            }
        }
    }

    let title = format!("Evidence packet: {} as of {}", data.workspace_name, data.as_of);
    let mut doc = PdfDocument::new(&title);
    {
        let info = &mut doc.metadata.info;
        info.author = data.generated_by.name.clone();
        info.creator = "BAA Tracker".to_string();
        info.producer = "BAA Tracker (printpdf)".to_string();
        info.subject = "HIPAA business associate agreements: evidence packet".to_string();
        info.identifier = data.packet_id.clone();
        if let Ok(t) = printpdf::OffsetDateTime::from_unix_timestamp(data.generated_at.timestamp()) {
            info.creation_date = t;
            info.modification_date = t;
            info.metadata_date = t;
        }
    }
    for face in Face::ALL {
        if let Some(chars) = used.get(&face) {
            let font = f.subset(face, chars)?;
            doc.resources.fonts.map.insert(font_id(face), PdfFont::new(font));
        }
    }

    let out_pages: Vec<PdfPage> =
        pages.into_iter().map(|page| PdfPage::new(Mm(210.0), Mm(297.0), page_ops(f, page))).collect();
    doc.add_bookmark("Cover", 1);
    for (title, page) in toc {
        doc.add_bookmark(title, page + 1);
    }
    let mut warnings = Vec::new();
    let bytes = doc.with_pages(out_pages).save(&PdfSaveOptions::default(), &mut warnings);
    if !warnings.is_empty() {
        tracing::debug!(count = warnings.len(), "printpdf warnings while writing an evidence packet");
    }
    Ok(bytes)
}
