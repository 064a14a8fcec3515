//! The relationship graph model both renderings draw: the platform is always there when apps run
//! on it, and every edge a chain needs is there, marked missing when no agreement backs it.
#![expect(clippy::unwrap_used, reason = "tests fail loudly on bad fixtures")]

use baa_core::catalog::Catalog;
use baa_core::coverage::build::{app, baa, org, platform_agreement, service, With, WorldBuilder, US};
use baa_core::coverage::{evaluate, Environment, Policy, ServiceProvisioning, Status};
use baa_core::graph::{build, NodeKind, PLATFORM};
use chrono::NaiveDate;

fn d(t: &str) -> NaiveDate {
    NaiveDate::parse_from_str(t, "%Y-%m-%d").unwrap()
}

fn tigris() -> baa_core::coverage::Service {
    service("bucket", "tigris", "object-storage", "standard", d("2026-01-01")).with(|s| {
        s.provisioning = ServiceProvisioning::Platform { org: "acme-prod".into() };
        s.apps = vec!["acme-api".into()];
    })
}

#[test]
fn with_no_agreement_yet_the_platform_and_each_needed_edge_are_shown_as_missing() {
    // No Fly.io party recorded yet and no agreement at all: only an org, an app and an extension.
    let world = WorldBuilder::new(Catalog::bundled().unwrap())
        .vendor("tigris", &[])
        .org(org("acme-prod", Environment::Production, "scale"))
        .app(app("acme-api", "acme-prod", &["iad"]))
        .service(tigris())
        .build();
    let report = evaluate(&world, d("2026-11-01"), &Policy::default());
    let g = build(&world, &report);
    let platform = g.column(NodeKind::Platform);
    assert_eq!(platform.len(), 1, "{:?}", g.nodes);
    assert_eq!((platform[0].id.as_str(), platform[0].name.as_str()), (PLATFORM, "Fly.io"));
    let ext = g.column(NodeKind::Extension);
    assert_eq!(ext.len(), 1);
    assert_eq!(ext[0].uncovered, 1);
    let to_fly = g.edge(US, PLATFORM).unwrap();
    assert_eq!((to_fly.status, to_fly.covered, to_fly.status_text()), (None, false, "no agreement"));
    let extends = g.edges.iter().find(|e| e.platform && e.to == ext[0].id).unwrap();
    assert_eq!((extends.from.as_str(), extends.status, extends.covered), (PLATFORM, None, false));
}

#[test]
fn signed_agreements_make_the_edges_covered() {
    let world = WorldBuilder::new(Catalog::bundled().unwrap())
        .vendor("fly", &[])
        .vendor("tigris", &[])
        .org(org("acme-prod", Environment::Production, "scale"))
        .app(app("acme-api", "acme-prod", &["iad"]))
        .service(tigris())
        .agreement(baa("fly-baa", "fly", d("2026-01-01")))
        .agreement(platform_agreement("fly-tigris", "fly", "tigris", &["tigris"], d("2026-01-01")))
        .build();
    let report = evaluate(&world, d("2026-11-01"), &Policy::default());
    let g = build(&world, &report);
    // Built worlds name vendor parties by their slug.
    assert_eq!(g.column(NodeKind::Platform)[0].id, "fly");
    let to_fly = g.edge(US, "fly").unwrap();
    assert_eq!((to_fly.status, to_fly.covered), (Some(Status::Signed), true));
    let extends = g.edges.iter().find(|e| e.platform).unwrap();
    assert!(extends.covered);
    assert_eq!(g.column(NodeKind::Platform).len(), 1, "Fly.io once, not also as a direct vendor");
    assert!(g.column(NodeKind::Vendor).is_empty());
}
