//! The relationship graph drawn on the server as SVG: customers → us → the platform (Fly.io) and
//! direct vendors → extension vendors → subcontractors. Each edge shows the status of its
//! agreement on the as-of day (dashed and red when there is none); vendors with uncovered PHI
//! services stand out in red. Only SVG presentation attributes are used (no inline styles), so
//! the strict CSP holds.

use baa_core::coverage::{Report, Status, World};
use baa_core::graph::{self, Edge, Node, NodeKind};
use std::fmt::Write;

const W: i32 = 160;
const H: i32 = 58;
const GAP: i32 = 22;
const COLS: [i32; 5] = [8, 208, 408, 608, 808];
const TOP: i32 = 30;

fn esc(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

fn clip(s: &str, n: usize) -> String {
    if s.chars().count() > n {
        format!("{}…", s.chars().take(n - 1).collect::<String>())
    } else {
        s.to_string()
    }
}

fn y(row: usize) -> i32 {
    TOP + row as i32 * (H + GAP)
}

fn colour(e: Option<&Edge>) -> (&'static str, &'static str, bool) {
    let Some(e) = e else { return ("no agreement", "#b42318", true) };
    let text = e.status_text();
    match e.status {
        Some(Status::Signed) if e.covered => (text, "#0f7b63", false),
        Some(Status::Signed) => ("signed, not in force", "#b42318", true),
        Some(Status::Draft | Status::Sent | Status::InNegotiation) => (text, "#9a5b00", true),
        _ => (text, "#b42318", true),
    }
}

/// The drawing: edges and nodes, then edge labels on top (with a white halo) so no node hides them.
struct Svg(String, String);

impl Svg {
    fn node(&mut self, x: i32, y: i32, lines: [&str; 3], alert: bool) {
        let (fill, stroke, sw) = if alert { ("#fdecea", "#b42318", 2) } else { ("#ffffff", "#14365d", 1) };
        let _ = write!(
            self.0,
            "<g><rect x=\"{x}\" y=\"{y}\" width=\"{W}\" height=\"{H}\" rx=\"8\" fill=\"{fill}\" stroke=\"{stroke}\" stroke-width=\"{sw}\"/>\
             <text x=\"{tx}\" y=\"{y1}\" font-size=\"13\" font-weight=\"600\" fill=\"#1b2430\">{a}</text>\
             <text x=\"{tx}\" y=\"{y2}\" font-size=\"10.5\" fill=\"{c}\">{b}</text>\
             <text x=\"{tx}\" y=\"{y3}\" font-size=\"10.5\" fill=\"#5a6575\">{d}</text></g>",
            tx = x + 9,
            y1 = y + 18,
            y2 = y + 34,
            y3 = y + 49,
            a = esc(&clip(lines[0], 21)),
            b = esc(&clip(lines[1], 30)),
            c = if alert { "#b42318" } else { "#5a6575" },
            d = esc(&clip(lines[2], 30)),
        );
    }

    fn edge(&mut self, points: &[(i32, i32)], text: &str, colour: &str, dashed: bool) {
        let dash = if dashed { " stroke-dasharray=\"6 4\"" } else { "" };
        let pts: Vec<String> = points.iter().map(|(x, y)| format!("{x},{y}")).collect();
        let (x1, y1) = points[0];
        let (x2, y2) = points[points.len() - 1];
        let _ = write!(
            self.0,
            "<polyline points=\"{}\" fill=\"none\" stroke=\"{colour}\" stroke-width=\"2\"{dash}/>",
            pts.join(" ")
        );
        let _ = write!(
            self.1,
            "<text x=\"{lx}\" y=\"{ly}\" font-size=\"10.5\" font-weight=\"600\" fill=\"{colour}\" text-anchor=\"middle\" \
             stroke=\"#ffffff\" stroke-width=\"4\" paint-order=\"stroke\">{t}</text>",
            lx = (x1 + x2) / 2,
            ly = (y1 + y2) / 2 - 5,
            t = esc(text),
        );
    }
}

/// Renders the graph (the one model in `baa_core::graph`, which the packet's PDF draws too).
pub fn render(world: &World, report: &Report) -> String {
    let g = graph::build(world, report);
    let customers = g.column(NodeKind::Customer);
    let col2: Vec<&Node> =
        g.column(NodeKind::Platform).into_iter().chain(g.column(NodeKind::Vendor)).collect();
    let extensions = g.column(NodeKind::Extension);
    let subs = g.column(NodeKind::Subcontractor);
    let us = g.column(NodeKind::Us).first().map(|n| (n.id.clone(), n.name.clone()));
    let (us_id, us_name) = us.unwrap_or_else(|| (world.us.clone(), "Us".to_owned()));
    let rows = customers.len().max(col2.len()).max(extensions.len()).max(subs.len()).max(1);
    let height = y(rows) + 4;
    let mut svg = Svg(
        format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 990 {height}\" role=\"img\" aria-labelledby=\"graph-title\">\
         <title id=\"graph-title\">Agreements from customers to us, to Fly.io and our vendors, to their subcontractors</title>"
        ),
        String::new(),
    );
    for (title, x) in [
        ("Customers", COLS[0]),
        ("Us", COLS[1]),
        ("Platform and direct vendors", COLS[2]),
        ("Fly extensions", COLS[3]),
        ("Subcontractors", COLS[4]),
    ] {
        let _ = write!(
            svg.0,
            "<text x=\"{x}\" y=\"16\" font-size=\"12\" font-weight=\"700\" fill=\"#5a6575\">{title}</text>"
        );
    }
    let mid = |row: usize| y(row) + H / 2;
    // Edges first, so nodes sit on top of them.
    for (i, c) in customers.iter().enumerate() {
        let (t, col, d) = colour(g.edge(&c.id, &us_id));
        svg.edge(&[(COLS[0] + W, mid(i)), (COLS[1], mid(0))], t, col, d);
    }
    for (i, v) in col2.iter().enumerate() {
        let (t, col, d) = colour(g.edge(&us_id, &v.id).filter(|e| !e.platform));
        svg.edge(&[(COLS[1] + W, mid(0)), (COLS[2], mid(i))], t, col, d);
    }
    let platform_row = col2.iter().position(|n| n.kind == NodeKind::Platform);
    for (i, e) in extensions.iter().enumerate() {
        if let Some(fr) = platform_row {
            let edge = g.edges.iter().find(|x| x.platform && x.to == e.id);
            let (t, col, d) = colour(edge);
            let text = if edge.is_none_or(|x| x.status.is_none()) {
                "not extended".to_string()
            } else {
                format!("extends: {t}")
            };
            svg.edge(&[(COLS[2] + W, mid(fr)), (COLS[3], mid(i))], &text, col, d);
        }
    }
    let vendor_pos = |id: &str| -> Option<(i32, usize)> {
        col2.iter()
            .position(|p| p.id == id)
            .map(|r| (COLS[2], r))
            .or_else(|| extensions.iter().position(|p| p.id == id).map(|r| (COLS[3], r)))
    };
    for (i, s) in subs.iter().enumerate() {
        let Some(edge) = g.edges.iter().find(|e| e.to == s.id) else { continue };
        if let Some((vx, vr)) = vendor_pos(&edge.from) {
            let (t, col, d) = colour(Some(edge));
            let pts = if vx == COLS[2] {
                // Route below the extension column's row so the line does not cross a node.
                let lane = y(vr) + H + GAP / 2;
                vec![(COLS[2] + W, mid(vr)), (COLS[3] - 12, lane), (COLS[4] - 12, lane), (COLS[4], mid(i))]
            } else {
                vec![(COLS[3] + W, mid(vr)), (COLS[4], mid(i))]
            };
            svg.edge(&pts, t, col, d);
        }
    }
    for (i, c) in customers.iter().enumerate() {
        svg.node(COLS[0], y(i), [&c.name, NodeKind::Customer.label(), ""], false);
    }
    svg.node(COLS[1], y(0), [&us_name, NodeKind::Us.label(), ""], false);
    for (i, v) in col2.iter().enumerate() {
        let n = v.uncovered;
        let line = if n > 0 { format!("{n} uncovered service(s)") } else { String::new() };
        let kind = v.kind.label();
        svg.node(
            COLS[2],
            y(i),
            [&v.name, if n > 0 { &line } else { kind }, if n > 0 { kind } else { "" }],
            n > 0,
        );
    }
    for (i, e) in extensions.iter().enumerate() {
        let n = e.uncovered;
        let direct = g.edges.iter().find(|x| !x.platform && x.from == us_id && x.to == e.id);
        let line2 =
            if n > 0 { format!("{n} uncovered service(s)") } else { NodeKind::Extension.label().to_string() };
        let line3 = format!("our BAA: {}", direct.map_or("no agreement", Edge::status_text));
        svg.node(COLS[3], y(i), [&e.name, &line2, &line3], n > 0);
    }
    for (i, s) in subs.iter().enumerate() {
        svg.node(COLS[4], y(i), [&s.name, NodeKind::Subcontractor.label(), ""], false);
    }
    svg.0.push_str(&svg.1);
    svg.0.push_str("</svg>");
    svg.0
}
