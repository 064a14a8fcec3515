//! The relationship graph, one model for the dashboard's SVG and the packet's PDF: customers →
//! us → the platform (Fly.io) and direct vendors → extension vendors → subcontractors.
//!
//! The graph always shows the platform the apps run on (whenever there is an org, an app or an
//! extension vendor, even before any agreement exists) and every edge a chain needs: customer →
//! us, us → the platform and each direct vendor, the platform → each extension vendor, each
//! vendor → its subcontractors. An edge with no agreement behind it is still drawn, marked as
//! missing; any other recorded agreement between two shown parties is drawn too.

use crate::catalog::FLY;
use crate::coverage::{AgreementKind, Report, Role, Standing, Status, World};
use std::collections::{BTreeSet, HashMap};

/// Party id of the platform until its party is recorded (the app names vendor parties
/// `vendor:<slug>`).
pub const PLATFORM: &str = "vendor:fly";

/// Where a party sits, left to right.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum NodeKind {
    /// A covered entity we serve.
    Customer,
    /// Our own party.
    Us,
    /// The platform the apps run on (Fly.io).
    Platform,
    /// A vendor we contract with directly.
    Vendor,
    /// A vendor reached through the platform (a Fly extension).
    Extension,
    /// A vendor's subcontractor.
    Subcontractor,
}

impl NodeKind {
    /// What the party is to us, as a short phrase.
    pub fn label(self) -> &'static str {
        match self {
            NodeKind::Customer => "customer (covered entity)",
            NodeKind::Us => "business associate",
            NodeKind::Platform => "platform",
            NodeKind::Vendor => "direct vendor",
            NodeKind::Extension => "extension",
            NodeKind::Subcontractor => "subcontractor",
        }
    }
}

/// A party in the graph.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Node {
    /// Party id.
    pub id: String,
    /// Display name.
    pub name: String,
    /// Its column.
    pub kind: NodeKind,
    /// Its PHI services without an active chain on the day.
    pub uncovered: usize,
}

/// An edge a chain needs, or a recorded agreement, between two parties.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Edge {
    /// Upstream party (whose PHI flows down).
    pub from: String,
    /// Downstream party.
    pub to: String,
    /// Whether it is the platform extending its BAA to an extension vendor.
    pub platform: bool,
    /// The best status on the day of the agreements between them (signed wins); `None` when
    /// there is no agreement.
    pub status: Option<Status>,
    /// Whether one of those agreements is in force on the day.
    pub covered: bool,
}

impl Edge {
    /// "signed", "in negotiation", ... or "no agreement".
    pub fn status_text(&self) -> &'static str {
        match self.status {
            Some(Status::Signed) => "signed",
            Some(Status::Draft) => "draft",
            Some(Status::Sent) => "sent",
            Some(Status::InNegotiation) => "in negotiation",
            Some(Status::Terminated) => "terminated",
            Some(Status::Superseded) => "superseded",
            None => "no agreement",
        }
    }
}

/// The graph on the report's day.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Graph {
    /// Parties, by column, each column by name.
    pub nodes: Vec<Node>,
    /// Edges, in the order of their upstream column.
    pub edges: Vec<Edge>,
}

impl Graph {
    /// The parties of one column.
    pub fn column(&self, kind: NodeKind) -> Vec<&Node> {
        self.nodes.iter().filter(|n| n.kind == kind).collect()
    }

    /// The edge between two parties, either way.
    pub fn edge(&self, a: &str, b: &str) -> Option<&Edge> {
        self.edges.iter().find(|e| (e.from == a && e.to == b) || (e.from == b && e.to == a))
    }
}

/// Builds the graph of `world` on `report`'s day.
pub fn build(world: &World, report: &Report) -> Graph {
    let day = report.as_of;
    let is_extension = |slug: &str| world.catalog.vendor(slug).and_then(|v| v.platform()).is_some();
    let used: BTreeSet<&str> =
        world.services.iter().filter(|s| s.exists_on(day)).map(|s| s.vendor.as_str()).collect();
    let in_agreements = |id: &str| world.agreements.iter().any(|a| a.parties.iter().any(|p| p == id));
    let mut uncovered: HashMap<&str, usize> = HashMap::new();
    let vendor_of: HashMap<&str, &str> =
        world.services.iter().map(|s| (s.id.as_str(), s.vendor.as_str())).collect();
    for sr in report.services.iter().filter(|sr| !sr.verdict.is_covered()) {
        if let Some(v) = vendor_of.get(sr.service.as_str()) {
            *uncovered.entry(v).or_default() += 1;
        }
    }
    let mut nodes: Vec<Node> = Vec::new();
    let mut push = |id: &str, name: &str, kind: NodeKind, slug: Option<&str>| {
        nodes.push(Node {
            id: id.to_owned(),
            name: name.to_owned(),
            kind,
            uncovered: slug.and_then(|s| uncovered.get(s)).copied().unwrap_or(0),
        });
    };
    let mut customers: Vec<_> =
        world.parties.iter().filter(|p| matches!(p.role, Role::Customer { .. })).collect();
    customers.sort_by(|a, b| a.name.cmp(&b.name));
    for c in customers {
        push(&c.id, &c.name, NodeKind::Customer, None);
    }
    let us_name = world.parties.iter().find(|p| p.id == world.us).map_or("Us", |p| p.name.as_str());
    push(&world.us, us_name, NodeKind::Us, None);
    let mut vendors: Vec<(&str, &str, &str)> = world
        .parties
        .iter()
        .filter_map(|p| match &p.role {
            Role::Vendor { vendor, .. } => Some((p.id.as_str(), p.name.as_str(), vendor.as_str())),
            _ => None,
        })
        .filter(|(id, _, slug)| used.contains(slug) || in_agreements(id))
        .collect();
    vendors.sort_by(|a, b| a.1.cmp(b.1));
    let extensions: Vec<_> = vendors.iter().filter(|(_, _, slug)| is_extension(slug)).copied().collect();
    let runs_on_platform = !world.orgs.is_empty() || !world.apps.is_empty() || !extensions.is_empty();
    // The platform's party, or the id it will have once recorded.
    let platform =
        world.parties.iter().find(|p| matches!(&p.role, Role::Vendor { vendor, .. } if vendor == FLY));
    let platform_id = platform.map_or(PLATFORM, |p| p.id.as_str());
    if runs_on_platform || vendors.iter().any(|(_, _, slug)| *slug == FLY) {
        let name = platform
            .map(|p| p.name.as_str())
            .or_else(|| world.catalog.vendor(FLY).map(|v| v.name.as_str()))
            .unwrap_or("Fly.io");
        push(platform_id, name, NodeKind::Platform, Some(FLY));
    }
    for (id, name, slug) in vendors.iter().filter(|(_, _, slug)| *slug != FLY && !is_extension(slug)) {
        push(id, name, NodeKind::Vendor, Some(slug));
    }
    for (id, name, slug) in &extensions {
        push(id, name, NodeKind::Extension, Some(slug));
    }
    let mut subs: Vec<_> =
        world.parties.iter().filter(|p| matches!(p.role, Role::Subcontractor { .. })).collect();
    subs.sort_by(|a, b| a.name.cmp(&b.name));
    for s in subs {
        push(&s.id, &s.name, NodeKind::Subcontractor, None);
    }

    let between = |a: &str, b: &str, platform: bool| {
        let mut status = None;
        let mut covered = false;
        for ag in &world.agreements {
            let joins = ag.parties.iter().any(|p| p == a) && ag.parties.iter().any(|p| p == b);
            if !joins || matches!(ag.kind, AgreementKind::PlatformAgreement { .. }) != platform {
                continue;
            }
            if let Some(st) = ag.status_on(day) {
                if status != Some(Status::Signed) {
                    status = Some(st);
                }
            }
            covered |= ag.standing_on(day) == Standing::Active;
        }
        Edge { from: a.to_owned(), to: b.to_owned(), platform, status, covered }
    };
    let shown: HashMap<&str, NodeKind> = nodes.iter().map(|n| (n.id.as_str(), n.kind)).collect();
    let mut edges: Vec<Edge> = Vec::new();
    for n in &nodes {
        match n.kind {
            NodeKind::Customer => edges.push(between(&n.id, &world.us, false)),
            NodeKind::Platform | NodeKind::Vendor => edges.push(between(&world.us, &n.id, false)),
            NodeKind::Extension => {
                edges.push(between(platform_id, &n.id, true));
                let direct = between(&world.us, &n.id, false);
                if direct.status.is_some() {
                    edges.push(direct);
                }
            }
            NodeKind::Subcontractor => {
                // The vendor that lists it: "sub:<vendor slug>:<name>", or any shown vendor with
                // an agreement with it.
                let slug = n.id.strip_prefix("sub:").and_then(|r| r.split(':').next());
                let parent =
                    vendors.iter().find(|(_, _, v)| Some(*v) == slug).map(|(id, _, _)| *id).or_else(|| {
                        world.agreements.iter().find_map(|a| {
                            a.parties.contains(&n.id).then(|| a.other(&n.id)).filter(|o| {
                                matches!(
                                    shown.get(o),
                                    Some(NodeKind::Platform | NodeKind::Vendor | NodeKind::Extension)
                                )
                            })
                        })
                    });
                if let Some(p) = parent.filter(|p| shown.contains_key(p)) {
                    edges.push(between(p, &n.id, false));
                }
            }
            NodeKind::Us => {}
        }
    }
    // Any other agreement between two shown parties.
    for ag in &world.agreements {
        let (a, b) = (ag.parties[0].as_str(), ag.parties[1].as_str());
        let platform = matches!(ag.kind, AgreementKind::PlatformAgreement { .. });
        let known = edges
            .iter()
            .any(|e| e.platform == platform && ((e.from == a && e.to == b) || (e.from == b && e.to == a)));
        if !known && shown.contains_key(a) && shown.contains_key(b) {
            let (from, to) = if shown[a] <= shown[b] { (a, b) } else { (b, a) };
            edges.push(between(from, to, platform));
        }
    }
    Graph { nodes, edges }
}
