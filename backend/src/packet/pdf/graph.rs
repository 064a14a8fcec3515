//! Section 4: the relationship graph, placed in columns and split over pages.

use super::*;

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

pub(super) fn graph(l: &mut Layout<'_>, g: &Graph) {
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
