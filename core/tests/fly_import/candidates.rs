//! Fly.io's own compute and what the CLI cannot tell: Fly Machines and Fly Postgres services,
//! candidate links, orphan buckets, vendors seen only in secrets, and rejected candidates.

use super::*;
use baa_core::coverage::RuleId;
use baa_core::fly_import::{plan_import_with, Decisions};

fn secrets_file(app: &str, names: &[&str]) -> SnapshotFile {
    let items: Vec<String> = names
        .iter()
        .map(|n| format!(r#"    {{"name": "{n}", "digest": "00", "status": "Deployed"}}"#))
        .collect();
    SnapshotFile::new(format!("secrets-list--{app}.json"), format!("[\n{}\n]\n", items.join(",\n")))
}

fn apps_table(rows: &[(&str, &str)]) -> SnapshotFile {
    let mut text = String::from("NAME\tOWNER\tSTATUS\tLATEST DEPLOY \n");
    for (name, org) in rows {
        text.push_str(&format!("{name}\t{org}\tdeployed\t\t\n"));
    }
    SnapshotFile::new("apps-list.legacy.txt", text + "\n")
}

fn service<'a>(world: &'a World, id: &str) -> &'a Service {
    world.services.iter().find(|s| s.id == id).unwrap_or_else(|| panic!("no service {id}"))
}

#[test]
fn a_fly_postgres_app_is_a_fly_postgres_service_and_database_url_users_are_candidates() {
    let files = [
        apps_table(&[("acme-pg", PROD), ("acme-api", PROD), ("acme-jobs", PROD)]),
        secrets_file("acme-pg", &["FLY_CONSUL_URL", "OPERATOR_PASSWORD", "REPL_PASSWORD", "SU_PASSWORD"]),
        secrets_file("acme-api", &["DATABASE_URL"]),
        secrets_file("acme-jobs", &["RAILS_MASTER_KEY"]),
    ];
    let (_, world) = import(&fly_baa_world(), &files);
    let pg = service(&world, "fly:fly:postgres:acme-pg");
    assert_eq!((pg.vendor.as_str(), pg.product.as_str()), ("fly", "postgres"));
    assert_eq!(pg.apps, ["acme-pg"]);
    // DATABASE_URL may point anywhere: the link is a candidate even with one Postgres app.
    assert_eq!(pg.candidate_apps, ["acme-api"]);
    assert!(
        !world.services.iter().any(|s| s.id == "fly:fly:machines:acme-pg"),
        "a Postgres app is not also Machines"
    );
    for app in ["acme-api", "acme-jobs"] {
        let m = service(&world, &format!("fly:fly:machines:{app}"));
        assert_eq!(
            (m.product.as_str(), m.apps.clone(), m.phi.clone()),
            ("machines", strings(&[app]), Phi::Unknown)
        );
    }
}

#[test]
fn a_bucket_no_app_points_to_is_recorded_with_no_app() {
    let files = [
        apps_table(&[("acme-api", PROD)]),
        fixture("storage-list.txt"),
        secrets_file("acme-api", &["SENTRY_DSN"]),
    ];
    let (plan, world) = import(&fly_baa_world(), &files);
    let bucket = service(&world, "fly:tigris:object-storage:acme-health-exports");
    assert!(bucket.apps.is_empty() && bucket.candidate_apps.is_empty());
    match plan.services.iter().find(|c| c.id() == bucket.id).unwrap() {
        Change::Create { notes, .. } => {
            assert!(notes.iter().any(|n| n.contains("recorded with no app")), "{notes:?}")
        }
        other => panic!("{other:?}"),
    }
    // It is still a PHI-unknown service with no chain: it counts.
    let report = evaluate(&world, today(), &Policy::default());
    assert!(report.findings.iter().any(|f| f.rule == RuleId::UncoveredService && f.subject.id == bucket.id));
}

#[test]
fn without_a_fly_baa_every_phi_app_has_a_fly_gap() {
    let world = WorldBuilder::new(Catalog::bundled().unwrap()).vendor("fly", &[]).build();
    let (_, imported) = import(&world, &acme(Layout::Json));
    let report = evaluate(&imported, today(), &Policy::default());
    for app in &imported.apps {
        let id = format!("fly:fly:machines:{}", app.name);
        let f = report
            .findings
            .iter()
            .find(|f| f.rule == RuleId::UncoveredService && f.subject.id == id)
            .unwrap_or_else(|| panic!("no Fly.io gap for {}", app.name));
        assert!(f.explanation.contains("no BAA with Fly.io"), "{}", f.explanation);
        assert!(f.next_step.starts_with("Sign a BAA with Fly.io"), "{}", f.next_step);
        assert_eq!(f.subject.name, format!("Fly.io · {}", app.name));
    }
}

#[test]
fn aws_keys_without_a_tigris_endpoint_are_a_candidate_aws_service_of_unknown_product() {
    let files = [
        apps_table(&[("acme-api", PROD)]),
        secrets_file("acme-api", &["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"]),
    ];
    let (_, world) = import(&fly_baa_world(), &files);
    let aws = service(&world, "secret:aws:acme-api");
    assert_eq!((aws.product.as_str(), aws.provisioning.clone()), ("unknown", ServiceProvisioning::Direct));
    assert!(aws.unconfirmed.as_deref().unwrap().contains("AWS_ACCESS_KEY_ID"));
    // A Tigris bucket's keys are not AWS.
    let files = [
        apps_table(&[("acme-api", PROD)]),
        secrets_file(
            "acme-api",
            &["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_ENDPOINT_URL_S3", "BUCKET_NAME"],
        ),
    ];
    let (_, world) = import(&fly_baa_world(), &files);
    assert!(!world.services.iter().any(|s| s.vendor == "aws"));
}

#[test]
fn rejected_candidates_are_not_imported_again() {
    let files = [
        apps_table(&[("acme-api", PROD), ("acme-worker", PROD)]),
        fixture("storage-list.txt"),
        secrets_file("acme-api", &["SUPABASE_URL", "BUCKET_NAME", "AWS_ENDPOINT_URL_S3"]),
        secrets_file("acme-worker", &["BUCKET_NAME", "AWS_ENDPOINT_URL_S3"]),
    ];
    let (_, world) = import(&fly_baa_world(), &files);
    assert!(world.services.iter().any(|s| s.id == "secret:supabase:acme-api"));
    let exports = "fly:tigris:object-storage:acme-health-exports";
    assert_eq!(service(&world, exports).candidate_apps, ["acme-api", "acme-worker"]);
    let mut decisions = Decisions::default();
    decisions.rejected_services.insert("secret:supabase:acme-api".into());
    decisions.rejected_links.insert((exports.into(), "acme-worker".into()));
    let fresh = fly_baa_world();
    let plan = plan_import_with(&fresh, &parse(&files), &decisions);
    let after = apply(&fresh, &plan, today());
    assert!(!after.services.iter().any(|s| s.id == "secret:supabase:acme-api"));
    assert_eq!(service(&after, exports).candidate_apps, ["acme-api"]);
    assert!(plan.unmapped.iter().any(|u| u.reason.contains("rejected before")));
}
