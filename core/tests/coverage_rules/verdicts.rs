//! Table rows for the verdict rules added after the first review (issue "Verdicts you can
//! trust"): each row failed, or could not be written, before; docs/coverage-rules.md explains
//! each decision.

use super::*;
use baa_core::coverage::build::agreement;
use baa_core::coverage::{AgreementKind, ClauseEvidence, Downstream, NoPhiBasis, Role};

/// Fly Machines of an app in acme-prod, handling PHI.
fn machines(id: &str, app_name: &str) -> Service {
    service(id, "fly", "machines", "scale", d("2026-01-01")).with(|s| {
        s.provisioning = platform("acme-prod");
        s.apps = vec![app_name.into()];
        s.regions = vec!["iad".into()];
    })
}

/// A world on Fly with no Fly.io BAA at all.
fn no_fly_baa() -> WorldBuilder {
    WorldBuilder::new(catalog())
        .vendor("fly", &[])
        .org(org("acme-prod", Environment::Production, "scale"))
        .app(app("acme-api", "acme-prod", &["iad"]))
        .app(app("acme-worker", "acme-prod", &["iad"]))
}

/// Amazon S3 in AWS account 111, used directly.
fn s3(product: &str) -> Service {
    service("s3", "aws", product, "account", d("2026-01-01")).with(|s| {
        s.account = Some("111".into());
        s.regions = vec!["iad".into()];
    })
}

fn limited(products: &[&str], plans: &[&str], regions: &[&str], accounts: &[&str]) -> Scope {
    let v = |items: &[&str]| items.iter().map(|s| (*s).to_owned()).collect();
    Scope::Limited { products: v(products), plans: v(plans), regions: v(regions), accounts: v(accounts) }
}

fn sentry_baa() -> Agreement {
    baa("sentry-baa", "sentry", d("2026-02-01"))
}

fn with_downstream(world: World, vendor: &str, downstream: Downstream) -> World {
    world.with(|w| {
        for p in &mut w.parties {
            if let Role::Vendor { vendor: v, downstream: dst } = &mut p.role {
                if v == vendor {
                    *dst = downstream.clone();
                }
            }
        }
    })
}

#[expect(clippy::too_many_lines, reason = "the table is the specification")]
pub fn cases() -> Vec<Case> {
    let sentry_party = |b: WorldBuilder| b.vendor("sentry", &[]);
    vec![
        // 1. Fly.io's own compute.
        case(
            "app_on_fly_without_a_fly_baa_is_uncovered",
            no_fly_baa().service(machines("m-api", "acme-api")).build(),
            &[("uncovered-service", "m-api")],
        ),
        case(
            "every_phi_app_raises_its_own_fly_gap_without_a_fly_baa",
            no_fly_baa()
                .service(machines("m-api", "acme-api"))
                .service(machines("m-worker", "acme-worker").with(|s| s.phi = Phi::Unknown))
                .build(),
            &[("uncovered-service", "m-api"), ("uncovered-service", "m-worker"), ("phi-unknown", "m-worker")],
        ),
        case(
            "app_recorded_as_handling_no_phi_needs_no_fly_baa",
            no_fly_baa()
                .service(machines("m-api", "acme-api").with(|s| {
                    s.phi = Phi::No {
                        basis: NoPhiBasis::NotHandledByDesign,
                        reason: String::new(),
                        decided_by: "priya".into(),
                        decided_on: Some(d("2026-01-01")),
                    }
                }))
                .build(),
            &[],
        ),
        case(
            "machines_are_covered_by_the_fly_baa_on_an_eligible_org",
            base().service(machines("m-api", "acme-api")).build(),
            &[],
        ),
        case(
            "machines_on_an_ineligible_org_are_platform_plan_ineligible",
            base()
                .service(machines("m-api", "acme-api"))
                .build()
                .with(|w| w.orgs[0].plan = "pay-as-you-go".into()),
            &[("platform-plan-ineligible", "acme-prod")],
        ),
        case(
            "fly_kubernetes_is_covered_by_the_fly_baa",
            base().service(machines("fks", "acme-api").with(|s| s.product = "kubernetes".into())).build(),
            &[],
        ),
        case(
            "fly_baa_limited_to_another_org_does_not_cover",
            fly_baa(|a| a.scope = limited(&[], &[], &[], &["acme-other"])),
            &[("uncovered-service", "db")],
        ),
        case(
            "fly_baa_naming_the_org_covers",
            fly_baa(|a| a.scope = limited(&[], &[], &[], &["acme-prod"])),
            &[],
        ),
        // 3. Unknown regions.
        case(
            "unknown_regions_never_fit_a_region_limited_baa",
            sentry_party(base())
                .service(sentry("business"))
                .agreement(sentry_baa().with(|a| a.scope = limited(&[], &[], &["iad"], &[])))
                .build(),
            &[("uncovered-service", "errors")],
        ),
        case(
            "region_policy_with_unknown_service_regions_raises_region_unknown",
            sentry_party(base()).service(sentry("business")).agreement(sentry_baa()).build(),
            &[("region-unknown", "errors")],
        )
        .policy(regions_policy(&["iad", "ord"])),
        case(
            "org_region_limit_with_unknown_regions_raises_region_unknown",
            sentry_party(base())
                .service(sentry_ext("business"))
                .agreement(platform_agreement("fly-sentry", "fly", "sentry", &["sentry"], d("2026-03-01")))
                .build()
                .with(|w| w.orgs[0].allowed_regions = Some(vec!["iad".into()])),
            &[("region-unknown", "errors")],
        ),
        // 4. Product eligibility.
        case(
            "aws_s3_under_an_aws_baa_is_covered",
            base()
                .vendor("aws", &[])
                .service(s3("s3"))
                .agreement(baa("aws-baa", "aws", d("2026-01-01")))
                .build(),
            &[],
        ),
        case(
            "aws_product_the_catalog_does_not_list_fails_closed",
            base()
                .vendor("aws", &[])
                .service(s3("lightsail"))
                .agreement(baa("aws-baa", "aws", d("2026-01-01")))
                .build(),
            &[("plan-ineligible", "s3")],
        ),
        case(
            "aws_product_named_in_the_baa_counts",
            base()
                .vendor("aws", &[])
                .service(s3("lightsail"))
                .agreement(
                    baa("aws-baa", "aws", d("2026-01-01"))
                        .with(|a| a.scope = limited(&["lightsail"], &[], &[], &[])),
                )
                .build(),
            &[],
        ),
        case(
            "a_baa_scoped_to_all_covers_only_eligible_products",
            base()
                .vendor("aws", &[])
                .service(s3("s3"))
                .agreement(baa("aws-baa", "aws", d("2026-01-01")))
                .build()
                .with(|w| {
                    let aws = w.catalog.vendors.iter_mut().find(|v| v.slug == "aws").unwrap();
                    aws.products.iter_mut().find(|p| p.slug == "s3").unwrap().baa_eligible =
                        Eligibility::NotEligible;
                }),
            &[("plan-ineligible", "s3")],
        ),
        // 5. Accounts.
        case(
            "baa_limited_to_another_account_does_not_cover",
            base()
                .vendor("aws", &[])
                .service(s3("s3"))
                .agreement(
                    baa("aws-baa", "aws", d("2026-01-01"))
                        .with(|a| a.scope = limited(&[], &[], &[], &["222"])),
                )
                .build(),
            &[("uncovered-service", "s3")],
        ),
        case(
            "baa_limited_to_accounts_does_not_cover_an_unknown_account",
            base()
                .vendor("aws", &[])
                .service(s3("s3").with(|s| s.account = None))
                .agreement(
                    baa("aws-baa", "aws", d("2026-01-01"))
                        .with(|a| a.scope = limited(&[], &[], &[], &["111"])),
                )
                .build(),
            &[("uncovered-service", "s3")],
        ),
        case(
            "baa_naming_the_account_covers",
            base()
                .vendor("aws", &[])
                .service(s3("s3"))
                .agreement(
                    baa("aws-baa", "aws", d("2026-01-01"))
                        .with(|a| a.scope = limited(&[], &[], &[], &["111"])),
                )
                .build(),
            &[],
        ),
        // 6. A platform agreement counts only between the platform and that vendor.
        case(
            "platform_agreement_recorded_with_another_vendor_does_not_cover",
            sentry_party(base())
                .vendor("tigris", &[])
                .service(sentry_ext("business"))
                .agreement(platform_agreement("fly-x", "fly", "tigris", &["sentry"], d("2026-03-01")))
                .build(),
            &[("uncovered-service", "errors")],
        ),
        case(
            "platform_agreement_with_us_as_party_does_not_cover",
            sentry_party(base())
                .service(sentry_ext("business"))
                .agreement(platform_agreement("fly-x", US, "sentry", &["sentry"], d("2026-03-01")))
                .build(),
            &[("uncovered-service", "errors")],
        ),
        // 7. Candidates are not facts; unknowns fail closed.
        case(
            "candidate_link_from_a_staging_app_is_not_a_fact",
            sentry_party(base())
                .org(org("acme-staging", Environment::Staging, "scale"))
                .app(app("acme-api-staging", "acme-staging", &["fra"]))
                .service(sentry("business").with(|s| {
                    s.regions = vec!["iad".into()];
                    s.candidate_apps = vec!["acme-api-staging".into()];
                }))
                .agreement(sentry_baa())
                .build(),
            &[],
        )
        .policy(regions_policy(&["iad"])),
        case(
            "confirmed_link_from_a_staging_app_is_environment_mixed",
            sentry_party(base())
                .org(org("acme-staging", Environment::Staging, "scale"))
                .app(app("acme-api-staging", "acme-staging", &["iad"]))
                .service(sentry("business").with(|s| s.apps.push("acme-api-staging".into())))
                .agreement(sentry_baa())
                .build(),
            &[("environment-mixed", "errors")],
        ),
        case(
            "unconfirmed_service_still_counts",
            sentry_party(base())
                .service(
                    sentry("team").with(|s| s.unconfirmed = Some("SENTRY_DSN is set on acme-api".into())),
                )
                .build(),
            &[("uncovered-service", "errors")],
        ),
        case(
            "uncatalogued_vendor_fails_closed",
            base().service(service("x", "acme-widgets", "acme-widgets", "unknown", d("2026-01-01"))).build(),
            &[("uncovered-service", "x")],
        ),
        // 8. Required vendor configuration.
        case(
            "required_configuration_without_attestation_is_unconfirmed",
            sentry_party(base())
                .service(sentry("business").with(|s| s.attestations.clear()))
                .agreement(sentry_baa())
                .build(),
            &[("configuration-unconfirmed", "errors")],
        ),
        case(
            "attestation_past_its_review_date_is_unconfirmed",
            sentry_party(base())
                .service(sentry("business").with(|s| s.attestations[0].review_on = minus(1)))
                .agreement(sentry_baa())
                .build(),
            &[("configuration-unconfirmed", "errors")],
        ),
        case(
            "every_item_of_an_add_on_needs_its_attestation",
            base()
                .vendor("upstash-redis", &[])
                .service(
                    attested(
                        service("r2", "upstash-redis", "redis", "enterprise", d("2026-01-01"))
                            .with(|s| s.add_ons = vec!["prod-pack".into()]),
                    )
                    .with(|s| {
                        s.attestations.pop();
                    }),
                )
                .agreement(baa("up-baa", "upstash-redis", d("2026-01-01")))
                .build(),
            &[("configuration-unconfirmed", "r2")],
        ),
        case(
            "service_without_phi_needs_no_attestation",
            sentry_party(base())
                .service(sentry("business").with(|s| {
                    s.attestations.clear();
                    s.phi = Phi::no("only stack traces of the public site");
                }))
                .build(),
            &[],
        ),
        // 9. Downstream: unknown is not none.
        case(
            "vendor_whose_subcontractors_are_unknown_is_unverified",
            with_downstream(base().build(), "fly", Downstream::Unknown),
            &[("downstream-unverified", "fly")],
        ),
        case(
            "unknown_subcontractors_of_a_vendor_not_in_use_are_silent",
            base().vendor_with("sentry", Downstream::Unknown).build(),
            &[],
        ),
        case(
            "only_subcontractor_baas_count_downstream",
            base_with_fly_subcontractors(&["storage-co"])
                .subcontractor("storage-co", &[])
                .agreement(agreement("fly-storage", "fly", "storage-co", AgreementKind::Baa, d("2026-01-01")))
                .build(),
            &[("downstream-unverified", "fly")],
        ),
        // 10. Endings without reminders.
        case(
            "supersession_without_successor_reminds",
            fly_baa(|a| a.history.push(status(plus(20), Status::Superseded))),
            &[("agreement-ending", "fly-baa")],
        ),
        case(
            "supersession_with_a_recorded_successor_is_silent",
            replace_agreement(
                base()
                    .agreement(
                        baa("fly-baa-2", "fly", plus(20)).with(|a| a.supersedes = Some("fly-baa".into())),
                    )
                    .build(),
                "fly-baa",
                |a| a.history.push(status(plus(20), Status::Superseded)),
            ),
            &[],
        ),
        case(
            "termination_beyond_the_largest_window_is_silent",
            fly_baa(|a| a.history.push(status(plus(120), Status::Terminated))),
            &[],
        ),
        case(
            "auto_renewal_notice_deadline_reminds",
            fly_baa(|a| {
                a.effective = Some(d("2026-02-01"));
                a.expiry = Some(d("2027-01-31"));
                a.auto_renews = true;
                a.notice_days = Some(60);
            }),
            &[("renewal-notice-due", "fly-baa")],
        ),
        case(
            "auto_renewal_notice_deadline_already_passed_is_silent",
            fly_baa(|a| {
                a.effective = Some(d("2026-02-01"));
                a.expiry = Some(d("2027-01-31"));
                a.auto_renews = true;
                a.notice_days = Some(90);
            }),
            &[],
        ),
        // 12. No-PHI reasons.
        case(
            "structured_no_phi_basis_needs_no_baa",
            sentry_party(base())
                .service(sentry("team").with(|s| {
                    s.phi = Phi::No {
                        basis: NoPhiBasis::Conduit,
                        reason: String::new(),
                        decided_by: "priya".into(),
                        decided_on: Some(d("2026-01-01")),
                    }
                }))
                .build(),
            &[],
        ),
        case(
            "encryption_is_never_a_reason_to_skip_a_baa",
            sentry_party(base())
                .service(sentry("team").with(|s| s.phi = Phi::no("all data is encrypted at rest")))
                .build(),
            &[("phi-unknown", "errors"), ("uncovered-service", "errors")],
        ),
        // 13. Clause evidence must be earned.
        case(
            "clause_recorded_without_a_location_does_not_count",
            fly_baa(|a| {
                a.clause_evidence.insert(
                    Clause::A,
                    ClauseEvidence {
                        location: " ".into(),
                        confirmed_by: "priya".into(),
                        confirmed_on: d("2026-01-01"),
                    },
                );
            }),
            &[("clauses-incomplete", "fly-baa")],
        ),
        case(
            "clause_recorded_without_who_confirmed_it_does_not_count",
            fly_baa(|a| {
                a.clause_evidence.insert(
                    Clause::B,
                    ClauseEvidence {
                        location: "§ 2".into(),
                        confirmed_by: String::new(),
                        confirmed_on: d("2026-01-01"),
                    },
                );
            }),
            &[("clauses-incomplete", "fly-baa")],
        ),
    ]
}

#[test]
fn a_next_step_never_asks_for_an_agreement_that_exists() {
    // Our Sentry BAA exists but does not name the account Fly created: fix the scope, do not
    // "sign a BAA with Sentry".
    let world = base().vendor("sentry", &[]).service(sentry_ext("business")).agreement(sentry_baa()).build();
    let report = evaluate(&world, today(), &Policy::default());
    let f = report.findings.iter().find(|f| f.rule == RuleId::UncoveredService).unwrap();
    assert!(!f.next_step.starts_with("Sign a BAA with Sentry"), "{}", f.next_step);
    assert!(f.next_step.contains("sentry-baa"), "{}", f.next_step);
    assert!(f.explanation.contains("does not name this service's account"), "{}", f.explanation);
    // With the BAA there but the plan ineligible, the finding is plan-ineligible and says so.
    let world = base().vendor("sentry", &[]).service(sentry("team")).agreement(sentry_baa()).build();
    let report = evaluate(&world, today(), &Policy::default());
    let rules: Vec<RuleId> = report.findings.iter().map(|f| f.rule).collect();
    assert_eq!(rules, vec![RuleId::PlanIneligible]);
    assert!(report.findings[0].explanation.starts_with("A BAA with Sentry exists"));
}

#[test]
fn findings_name_services_with_their_vendor() {
    let world = no_fly_baa()
        .vendor("sentry", &[])
        .service(machines("m-api", "acme-api").with(|s| s.name = "acme-api".into()))
        .service(sentry("team").with(|s| s.name = "acme-api".into()))
        .build();
    let report = evaluate(&world, today(), &Policy::default());
    let names: BTreeSet<&str> = report.findings.iter().map(|f| f.subject.name.as_str()).collect();
    assert!(names.contains("Fly.io · acme-api") && names.contains("Sentry · acme-api"), "{names:?}");
}

#[test]
fn the_deadlines_list_says_what_ends() {
    let world = fly_baa(|a| a.history.push(status(plus(10), Status::Terminated)));
    let report = evaluate(&world, today(), &Policy::default());
    assert_eq!(report.deadlines.len(), 1);
    let dl = &report.deadlines[0];
    assert_eq!(
        (dl.kind, dl.on, dl.days_left, dl.window),
        (baa_core::coverage::DeadlineKind::Termination, plus(10), 10, 30)
    );
}
