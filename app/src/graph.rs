//! The relationship graph drawn on the server as SVG: customers → us → platform and vendors →
//! their subcontractors. Each edge shows the status of its agreement on the as-of day; vendors
//! with uncovered PHI services stand out in red. Only SVG presentation attributes are used (no
//! inline styles), so the strict CSP holds.

use baa_core::coverage::{AgreementKind, Party, Report, Role, Status, World};
use std::fmt::Write;

const W: i32 = 200;
const H: i32 = 46;
const GAP: i32 = 18;
const COLS: [i32; 4] = [10, 270, 530, 790];

fn esc(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

fn clip(s: &str) -> String {
    if s.chars().count() > 26 {
        format!("{}…", s.chars().take(25).collect::<String>())
    } else {
        s.to_string()
    }
}

/// Status label and colour of the agreement between two parties (of the given kinds) on the day.
fn link(world: &World, report: &Report, a: &str, b: &str, platform: bool) -> (String, &'static str, bool) {
    let mut best: Option<Status> = None;
    for ag in &world.agreements {
        let joins = ag.parties.contains(&a.to_string()) && ag.parties.contains(&b.to_string());
        let kind_ok = matches!(ag.kind, AgreementKind::PlatformAgreement { .. }) == platform;
        if joins && kind_ok {
            if let Some(st) = ag.status_on(report.as_of) {
                if best != Some(Status::Signed) {
                    best = Some(st);
                }
            }
        }
    }
    match best {
        Some(Status::Signed) => ("signed".into(), "#0f7b63", false),
        Some(Status::Draft) => ("draft".into(), "#9a5b00", true),
        Some(Status::Sent) => ("sent".into(), "#9a5b00", true),
        Some(Status::InNegotiation) => ("in negotiation".into(), "#9a5b00", true),
        Some(Status::Terminated) => ("terminated".into(), "#b42318", true),
        Some(Status::Superseded) => ("superseded".into(), "#b42318", true),
        None => ("no agreement".into(), "#b42318", true),
    }
}

/// Renders the graph.
pub fn render(world: &World, report: &Report) -> String {
    let customers: Vec<&Party> =
        world.parties.iter().filter(|p| matches!(p.role, Role::Customer { .. })).collect();
    let used: std::collections::BTreeSet<&str> = world.services.iter().map(|s| s.vendor.as_str()).collect();
    let in_agreements = |id: &str| world.agreements.iter().any(|a| a.parties.iter().any(|p| p == id));
    let mut vendors: Vec<&Party> = world
        .parties
        .iter()
        .filter(|p| match &p.role {
            Role::Vendor { vendor, .. } => used.contains(vendor.as_str()) || in_agreements(&p.id),
            _ => false,
        })
        .collect();
    // Fly (the platform) first.
    vendors.sort_by_key(|p| (p.id != "vendor:fly", p.name.clone()));
    let subs: Vec<&Party> =
        world.parties.iter().filter(|p| matches!(p.role, Role::Subcontractor { .. })).collect();
    let uncovered_by_vendor = |slug: &str| {
        report
            .services
            .iter()
            .filter(|sr| !sr.verdict.is_covered())
            .filter(|sr| world.services.iter().any(|s| s.id == sr.service && s.vendor == slug))
            .count()
    };
    let rows = customers.len().max(vendors.len()).max(subs.len()).max(1) as i32;
    let height = rows * (H + GAP) + 40;
    let mut svg = String::new();
    let _ = write!(
        svg,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 1000 {height}\" role=\"img\" aria-labelledby=\"graph-title\" class=\"graph\">\
         <title id=\"graph-title\">Agreements from customers to us to vendors to their subcontractors</title>"
    );
    let y = |i: usize| 30 + i as i32 * (H + GAP);
    let node = |svg: &mut String, x: i32, y: i32, name: &str, sub: &str, alert: bool| {
        let (fill, stroke) = if alert { ("#fdecea", "#b42318") } else { ("#ffffff", "#14365d") };
        let _ = write!(
            svg,
            "<g><rect x=\"{x}\" y=\"{y}\" width=\"{W}\" height=\"{H}\" rx=\"8\" fill=\"{fill}\" stroke=\"{stroke}\" stroke-width=\"{sw}\"/>\
             <text x=\"{tx}\" y=\"{ty}\" font-size=\"14\" font-weight=\"600\" fill=\"#1b2430\">{name}</text>\
             <text x=\"{tx}\" y=\"{ty2}\" font-size=\"11\" fill=\"{subc}\">{sub}</text></g>",
            sw = if alert { 2 } else { 1 },
            tx = x + 10,
            ty = y + 19,
            ty2 = y + 36,
            name = esc(&clip(name)),
            sub = esc(sub),
            subc = if alert { "#b42318" } else { "#5a6575" },
        );
    };
    let edge = |svg: &mut String,
                x1: i32,
                y1: i32,
                x2: i32,
                y2: i32,
                label: &str,
                colour: &str,
                dashed: bool| {
        let dash = if dashed { " stroke-dasharray=\"6 4\"" } else { "" };
        let _ = write!(
            svg,
            "<line x1=\"{x1}\" y1=\"{y1}\" x2=\"{x2}\" y2=\"{y2}\" stroke=\"{colour}\" stroke-width=\"2\"{dash}/>\
             <text x=\"{lx}\" y=\"{ly}\" font-size=\"11\" fill=\"{colour}\" text-anchor=\"middle\">{label}</text>",
            lx = (x1 + x2) / 2,
            ly = (y1 + y2) / 2 - 4,
            label = esc(label),
        );
    };
    for (title, x) in [
        ("Customers", COLS[0]),
        ("Us", COLS[1]),
        ("Platform and vendors", COLS[2]),
        ("Their subcontractors", COLS[3]),
    ] {
        let _ = write!(
            svg,
            "<text x=\"{x}\" y=\"16\" font-size=\"12\" font-weight=\"700\" fill=\"#5a6575\">{title}</text>"
        );
    }
    let us_y = y(0);
    let us_name = world.parties.iter().find(|p| p.id == world.us).map(|p| p.name.clone()).unwrap_or_default();
    for (i, c) in customers.iter().enumerate() {
        let (label, colour, dashed) = link(world, report, &c.id, &world.us, false);
        edge(&mut svg, COLS[0] + W, y(i) + H / 2, COLS[1], us_y + H / 2, &label, colour, dashed);
    }
    let fly_index = vendors.iter().position(|p| p.id == "vendor:fly");
    for (i, v) in vendors.iter().enumerate() {
        let slug = v.id.trim_start_matches("vendor:");
        let is_ext = world.catalog.vendor(slug).and_then(|x| x.platform()).is_some();
        match (is_ext, fly_index) {
            (true, Some(fi)) if fi != i => {
                let (label, colour, dashed) = link(world, report, "vendor:fly", &v.id, true);
                let direct = link(world, report, &world.us, &v.id, false);
                if direct.0 == "signed" {
                    edge(
                        &mut svg,
                        COLS[1] + W,
                        us_y + H / 2,
                        COLS[2],
                        y(i) + H / 2,
                        "BAA signed",
                        direct.1,
                        false,
                    );
                } else {
                    edge(
                        &mut svg,
                        COLS[2] + W / 2,
                        y(fi) + H,
                        COLS[2] + W / 2 - 30,
                        y(i),
                        &format!("via Fly: {label}"),
                        colour,
                        dashed,
                    );
                }
            }
            _ => {
                let (label, colour, dashed) = link(world, report, &world.us, &v.id, false);
                edge(&mut svg, COLS[1] + W, us_y + H / 2, COLS[2], y(i) + H / 2, &label, colour, dashed);
            }
        }
    }
    for (i, s) in subs.iter().enumerate() {
        let vendor_id =
            s.id.strip_prefix("sub:").and_then(|r| r.split(':').next()).map(|v| format!("vendor:{v}"));
        if let Some(vi) = vendor_id.as_ref().and_then(|vid| vendors.iter().position(|p| &p.id == vid)) {
            let (label, colour, dashed) = link(world, report, &vendors[vi].id, &s.id, false);
            edge(&mut svg, COLS[2] + W, y(vi) + H / 2, COLS[3], y(i) + H / 2, &label, colour, dashed);
        }
    }
    for (i, c) in customers.iter().enumerate() {
        node(&mut svg, COLS[0], y(i), &c.name, "customer", false);
    }
    node(&mut svg, COLS[1], us_y, &us_name, "business associate", false);
    for (i, v) in vendors.iter().enumerate() {
        let slug = v.id.trim_start_matches("vendor:");
        let n = uncovered_by_vendor(slug);
        let sub = if n > 0 {
            format!("{n} uncovered service(s)")
        } else if slug == "fly" {
            "platform".into()
        } else {
            "vendor".into()
        };
        node(&mut svg, COLS[2], y(i), &v.name, &sub, n > 0);
    }
    for (i, s) in subs.iter().enumerate() {
        node(&mut svg, COLS[3], y(i), &s.name, "subcontractor", false);
    }
    svg.push_str("</svg>");
    svg
}
