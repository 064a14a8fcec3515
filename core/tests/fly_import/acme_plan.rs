//! The import plan of the acme-health sample: its orgs, apps and services, and the notes that
//! explain every assumption.

use super::*;

#[test]
fn acme_health_import_creates_the_expected_orgs_apps_and_services() {
    let (plan, world) = import(&fly_baa_world(), &acme(Layout::Json));
    let orgs: Vec<(&str, &str, Environment, &str)> = world
        .orgs
        .iter()
        .map(|o| (o.slug.as_str(), o.name.as_str(), o.environment, o.plan.as_str()))
        .collect();
    assert_eq!(
        orgs,
        [
            (PROD, "Acme Health Production", Environment::Production, "pay-as-you-go"),
            (STAGING, "Acme Health Staging", Environment::Staging, "pay-as-you-go"),
            ("personal", "Priya Raman", Environment::Development, "pay-as-you-go"),
        ]
    );
    assert_eq!(world.apps.len(), 9);
    assert!(world.apps.iter().all(|a| a.regions.is_empty() && a.environment.is_none()));
    assert_eq!(world.apps.iter().find(|a| a.name == "priya-playground").unwrap().org, "personal");

    let got: Vec<_> = world
        .services
        .iter()
        .map(|s| {
            (
                s.id.as_str(),
                s.provisioning.clone(),
                s.plan.clone(),
                s.add_ons.clone(),
                s.apps.clone(),
                s.candidate_apps.clone(),
                s.regions.clone(),
            )
        })
        .collect();
    let want: Vec<_> = ACME_SERVICES
        .iter()
        .map(|(id, org, plan, add_ons, apps, candidates, regions)| {
            (
                *id,
                ServiceProvisioning::Platform { org: (*org).into() },
                (*plan).to_owned(),
                strings(add_ons),
                strings(apps),
                strings(candidates),
                strings(regions),
            )
        })
        .collect();
    assert_eq!(got, want);
    for s in &world.services {
        assert_eq!((s.phi.clone(), s.created_on, s.removed_on), (Phi::Unknown, today(), None), "{}", s.id);
        assert!(s.id.ends_with(&format!(":{}", s.name)));
        let vendor = world.catalog.vendor(&s.vendor).unwrap();
        assert!(vendor.product(&s.product).is_some() && vendor.plan(&s.plan).is_some(), "{}", s.id);
    }
    assert_eq!((plan.creates(), plan.updates()), (3 + 9 + 23, 0));
    assert!(
        world.services.iter().all(|s| s.unconfirmed.is_none()),
        "no vendor is guessed from these secrets"
    );

    // What could not be mapped, with the line it comes from.
    let unmapped: Vec<(&str, Option<usize>, &str)> = plan
        .unmapped
        .iter()
        .map(|u| (u.file.as_str(), u.line, u.reason.split(':').next().unwrap_or("")))
        .collect();
    assert_eq!(
        unmapped,
        [
            ("ext-wafris-list.txt", Some(3), "`fly ext wafris list` printed the command's help"),
            ("secrets-list--acme-api-staging.json", Some(23), "DATABASE_URL points at a database the snapshot does not show (no Fly Postgres app in the org)"),
            ("secrets-list--acme-api.json", Some(28), "DATABASE_URL points at a database the snapshot does not show (no Fly Postgres app in the org)"),
            ("secrets-list--acme-worker.json", Some(23), "DATABASE_URL points at a database the snapshot does not show (no Fly Postgres app in the org)"),
        ]
    );
}

#[test]
fn plan_notes_explain_every_assumption() {
    let plan = plan_import(&fly_baa_world(), &parse(&acme(Layout::Json)));
    let notes = |id: &str| match plan.services.iter().find(|c| c.id() == id).unwrap() {
        Change::Create { notes, sources, .. } => (notes.join(" | "), sources.clone()),
        other => panic!("{id}: {other:?}"),
    };
    let (sentry, _) = notes("fly:sentry:errors:acme-web");
    assert!(sentry.contains("plan `team`") && sentry.contains("PHI unknown"), "{sentry}");
    let (redis, sources) = notes("fly:upstash-redis:redis:acme-redis-prod");
    assert!(
        redis.contains("candidate apps") && redis.contains("unconfirmed until an engineer confirms"),
        "{redis}"
    );
    assert!(!redis.contains("ProdPack unknown"), "{redis}");
    assert_eq!(sources[0].to_string(), "redis-list.txt line 2");
    assert_eq!(sources[1].to_string(), "redis-status--acme-redis-prod.txt line 3");
    let (sessions, _) = notes("fly:upstash-redis:redis:acme-sessions-prod");
    assert!(sessions.contains("ProdPack unknown"), "{sessions}");
    let (fks, _) = notes("fly:fly:kubernetes:acme-analytics-fks");
    assert!(
        fks.contains("no app in the snapshot points at it") && fks.contains("Fly.io's own product"),
        "{fks}"
    );
    let (machines, _) = notes("fly:fly:machines:acme-api");
    assert!(machines.contains("Fly Machines") && machines.contains("PHI unknown"), "{machines}");
    let org = match &plan.orgs[0] {
        Change::Create { notes, .. } => notes.join(" | "),
        other => panic!("{other:?}"),
    };
    assert!(org.contains("plan `pay-as-you-go`") && org.contains("guessed"), "{org}");
}
