//! Idempotency and updates: reimporting changes nothing, what people recorded survives, hand
//! records are matched, missing records are reported absent, and fly.toml and redis status add
//! their facts.

use super::*;

#[test]
fn importing_the_same_snapshot_again_changes_nothing() {
    for layout in [Layout::Json, Layout::Current, Layout::Legacy] {
        let (first, world) = import(&fly_baa_world(), &acme(layout));
        assert!(!first.is_noop());
        let second = plan_import(&world, &parse(&acme(layout)));
        assert_eq!((second.creates(), second.updates()), (0, 0), "{second:#?}");
        assert_eq!(second.orgs.len() + second.apps.len() + second.services.len(), 3 + 9 + 23);
        assert!(second.absent.is_empty());
        assert_eq!(apply(&world, &second, d("2026-09-01")), world);
    }
}

#[test]
fn what_people_recorded_survives_a_reimport() {
    let (_, mut world) = import(&fly_baa_world(), &acme(Layout::Json));
    let prod = world.orgs.iter_mut().find(|o| o.slug == PROD).unwrap();
    prod.packages = vec!["compliance-package".into()];
    prod.name = "Acme (prod)".into();
    let api = world.apps.iter_mut().find(|a| a.name == "acme-api").unwrap();
    api.regions = vec!["iad".into()];
    let sentry = world.services.iter_mut().find(|s| s.id == "fly:sentry:errors:acme-web").unwrap();
    sentry.plan = "business".into();
    sentry.phi = Phi::no("PII scrubbing on");
    sentry.apps.push("acme-admin-legacy".into());
    let redis =
        world.services.iter_mut().find(|s| s.id == "fly:upstash-redis:redis:acme-redis-prod").unwrap();
    redis.plan = "free".into();
    redis.add_ons = vec!["prod-pack".into()];
    redis.regions = vec!["fra".into()];
    redis.removed_on = Some(d("2026-08-01"));

    let plan = plan_import(&world, &parse(&acme(Layout::Json)));
    let updates: Vec<(&str, Fields)> = (plan.orgs.iter().filter_map(|c| fields(c).map(|f| (c.id(), f))))
        .chain(plan.apps.iter().filter_map(|c| fields(c).map(|f| (c.id(), f))))
        .chain(plan.services.iter().filter_map(|c| fields(c).map(|f| (c.id(), f))))
        .collect();
    let f = |a: &str, b: &str, c: &str| (a.to_owned(), b.to_owned(), c.to_owned());
    assert_eq!(
        updates,
        [
            (PROD, vec![f("name", "Acme (prod)", "Acme Health Production")]),
            // The app's Machines run where the app runs.
            ("fly:fly:machines:acme-api", vec![f("regions", "(none)", "iad")]),
            (
                "fly:upstash-redis:redis:acme-redis-prod",
                vec![
                    f("plan", "free", "fixed"),
                    f("add_ons", "prod-pack", "(none)"),
                    f("regions", "fra", "iad, ord"),
                    f("removed_on", "2026-08-01", "(not removed)"),
                ]
            ),
        ]
    );
    // The assumed Sentry plan, PHI, extra apps, packages and app regions are left alone.
    let after = apply(&world, &plan, today());
    let sentry = after.services.iter().find(|s| s.id == "fly:sentry:errors:acme-web").unwrap();
    assert_eq!((sentry.plan.as_str(), sentry.apps.len()), ("business", 2));
    assert!(matches!(sentry.phi, Phi::No { .. }));
    assert_eq!(after.orgs.iter().find(|o| o.slug == PROD).unwrap().packages, ["compliance-package"]);
    assert_eq!(after.apps.iter().find(|a| a.name == "acme-api").unwrap().regions, ["iad"]);
    assert!(plan_import(&after, &parse(&acme(Layout::Json))).is_noop());
}

/// (field, before, after) of each changed field.
type Fields = Vec<(String, String, String)>;

fn fields<C, U>(c: &Change<C, U>) -> Option<Fields> {
    match c {
        Change::Update { fields, .. } => {
            Some(fields.iter().map(|f| (f.field.clone(), f.before.clone(), f.after.clone())).collect())
        }
        _ => None,
    }
}

#[test]
fn a_service_recorded_by_hand_is_matched_by_name_not_duplicated() {
    let by_hand = Service {
        id: "svc-123".into(),
        name: "acme-api".into(),
        vendor: "sentry".into(),
        product: "errors".into(),
        plan: "business".into(),
        add_ons: Vec::new(),
        apps: vec!["acme-api".into()],
        candidate_apps: Vec::new(),
        regions: Vec::new(),
        provisioning: ServiceProvisioning::Platform { org: PROD.into() },
        account: None,
        phi: Phi::Yes,
        unconfirmed: None,
        attestations: Vec::new(),
        created_on: d("2026-01-01"),
        removed_on: None,
    };
    let mut world = fly_baa_world();
    world.services.push(by_hand);
    let (plan, after) = import(&world, &acme(Layout::Json));
    assert!(plan.services.iter().any(|c| matches!(c, Change::Unchanged { id } if id == "svc-123")));
    assert!(!after.services.iter().any(|s| s.id == "fly:sentry:errors:acme-api"));
    assert_eq!(after.services.len(), 23);
}

#[test]
fn records_the_snapshot_no_longer_shows_are_reported_absent_not_removed() {
    let (_, world) = import(&fly_baa_world(), &acme(Layout::Json));
    // acme-web is gone from the apps list and acme-health-exports from the storage list.
    let files: Vec<SnapshotFile> = acme(Layout::Current)
        .into_iter()
        .map(|f| match f.name.as_str() {
            "apps-list.txt" | "storage-list.txt" => {
                let text = String::from_utf8(f.bytes).unwrap();
                let kept: Vec<&str> = text
                    .lines()
                    .filter(|l| !l.contains("acme-web ") && !l.contains("acme-health-exports"))
                    .collect();
                SnapshotFile::new(f.name, kept.join("\n") + "\n")
            }
            _ => f,
        })
        .collect();
    let plan = plan_import(&world, &parse(&files));
    let absent: Vec<(RecordKind, &str)> = plan.absent.iter().map(|a| (a.kind, a.id.as_str())).collect();
    assert_eq!(
        absent,
        [
            (RecordKind::App, "acme-web"),
            (RecordKind::Service, "fly:fly:machines:acme-web"),
            (RecordKind::Service, "fly:tigris:object-storage:acme-health-exports")
        ]
    );
    assert_eq!(apply(&world, &plan, today()).apps.len(), 9, "nothing is removed");
}

#[test]
fn fly_toml_adds_the_primary_region_and_volumes_of_known_apps() {
    let toml = "app = 'acme-api'\nprimary_region = 'iad'\n\n[[mounts]]\n  source = 'uploads'\n  destination = '/data'\n";
    let mut files = acme(Layout::Json);
    files.push(SnapshotFile::new("fly-toml/fly.toml", toml));
    files.push(fixture("fly-toml/gleam-lang__packages__fly.toml"));
    let (plan, world) = import(&fly_baa_world(), &files);
    assert_eq!(world.apps.iter().find(|a| a.name == "acme-api").unwrap().regions, ["iad"]);
    let volume = world.services.iter().find(|s| s.id == "fly:fly:volumes:acme-api:uploads").unwrap();
    assert_eq!(
        (volume.vendor.as_str(), volume.product.as_str(), volume.apps.clone(), volume.regions.clone()),
        ("fly", "volumes", strings(&["acme-api"]), strings(&["iad"]))
    );
    assert_eq!(volume.provisioning, ServiceProvisioning::Platform { org: PROD.into() });
    let gleam = plan.unmapped.iter().find(|u| u.file.contains("gleam")).unwrap();
    assert_eq!(gleam.line, Some(5));
    assert!(gleam.reason.contains("neither in the apps list nor in the tracker"), "{}", gleam.reason);
    assert!(plan_import(&world, &parse(&files)).is_noop());
}

#[test]
fn hints_without_a_matching_extension_are_unmapped_with_their_line() {
    let secrets = r#"[
    {"name": "SENTRY_DSN", "digest": "00", "status": "Deployed"},
    {"name": "BUCKET_NAME", "digest": "00", "status": "Deployed"},
    {"name": "REDIS_URL", "digest": "00", "status": "Staged"},
    {"name": "SUPABASE_URL", "digest": "00", "status": "Deployed"}
]"#;
    let files = [
        fixture("orgs-list.json"),
        fixture("apps-list.json"),
        fixture("storage-list.txt"),
        SnapshotFile::new("secrets-list--acme-db.json", secrets),
        SnapshotFile::new("secrets-list--ghost.json", "[]"),
        SnapshotFile::new("ext-supabase-list.txt", " NAME    │ ORG                    │ PRIMARY REGION \n acme-sb │ acme-health-production │ iad            \n"),
        SnapshotFile::new("ext-newthing-list.txt", " NAME │ ORG \n n1   │ acme-health-production \n"),
    ];
    let plan = plan_import(&fly_baa_world(), &parse(&files));
    let unmapped: Vec<(&str, Option<usize>)> =
        plan.unmapped.iter().map(|u| (u.file.as_str(), u.line)).collect();
    assert_eq!(
        unmapped,
        [
            ("secrets-list--acme-db.json", Some(3)),
            ("secrets-list--acme-db.json", Some(4)),
            ("secrets-list--ghost.json", None),
        ]
    );
    let reasons: Vec<&str> = plan.unmapped.iter().map(|u| u.reason.as_str()).collect();
    assert!(reasons[0].contains("only one of BUCKET_NAME and AWS_ENDPOINT_URL_S3"), "{}", reasons[0]);
    assert!(reasons[1].contains("no `fly redis list` output"), "{}", reasons[1]);
    assert!(reasons[2].contains("its org is unknown"), "{}", reasons[2]);
    // A kind the catalog does not know is an uncatalogued service, not only a note.
    let other = plan.services.iter().find(|c| c.id() == "fly:newthing:newthing:n1").unwrap();
    assert!(
        matches!(other, Change::Create { notes, .. } if notes.iter().any(|n| n.contains("uncatalogued")))
    );
    // SENTRY_DSN with no Sentry extension named after the app, and SUPABASE_URL: candidate direct
    // services, evaluated like any other (fail closed).
    for (id, vendor) in [("secret:sentry:acme-db", "sentry"), ("secret:supabase:acme-db", "supabase")] {
        match plan.services.iter().find(|c| c.id() == id) {
            Some(Change::Create { record, .. }) => {
                assert_eq!(
                    (record.vendor.as_str(), record.provisioning.clone()),
                    (vendor, ServiceProvisioning::Direct)
                );
                assert!(record.unconfirmed.as_deref().is_some_and(|u| u.contains("acme-db")), "{record:?}");
            }
            other => panic!("{id}: {other:?}"),
        }
    }
    // The removed Supabase extension is still imported, with a plan that fails closed.
    let sb = plan.services.iter().find(|c| c.id() == "fly:supabase:postgres:acme-sb").unwrap();
    match sb {
        Change::Create { record, notes, .. } => {
            assert_eq!((record.plan.as_str(), record.regions.clone()), ("unknown", strings(&["iad"])));
            assert!(notes.iter().any(|n| n.contains("plan `unknown`")), "{notes:?}");
            assert!(notes.iter().any(|n| n.contains("removed 2025-01-31")), "{notes:?}");
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(
        parse(&files).listed,
        [ExtensionKind::Tigris, ExtensionKind::Supabase, ExtensionKind::Other("newthing".into())]
    );
}

#[test]
fn prod_pack_enabled_in_redis_status_is_recorded_as_the_add_on() {
    let status = fixture("redis-status--acme-redis-prod.txt");
    let text = String::from_utf8(status.bytes).unwrap();
    let text = text
        .replace("Fixed 1GB", "Enterprise")
        .replace("ProdPack       │ Disabled", "ProdPack       │ Enabled ");
    assert!(text.contains("│ Enabled"), "the fixture changed");
    let mut files = acme(Layout::Json);
    files.retain(|f| !f.name.starts_with("redis-status"));
    files.push(SnapshotFile::new("redis-status--acme-redis-prod.txt", text));
    let (_, world) = import(&fly_baa_world(), &files);
    let redis = world.services.iter().find(|s| s.id == "fly:upstash-redis:redis:acme-redis-prod").unwrap();
    assert_eq!((redis.plan.as_str(), redis.add_ons.clone()), ("enterprise", strings(&["prod-pack"])));
    let vendor = world.catalog.vendor("upstash-redis").unwrap();
    assert_eq!(vendor.eligibility(&redis.plan, &redis.add_ons), baa_core::catalog::Eligibility::Eligible);
}
