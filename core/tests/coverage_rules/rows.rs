//! The table rows of the first rules: each a small world and the exact findings it produces.

use super::*;

#[expect(clippy::too_many_lines, reason = "the table is the specification")]
pub fn cases() -> Vec<Case> {
    let sentry_party = |b: WorldBuilder| b.vendor("sentry", &[]);
    vec![
        // The clean base and non-PHI services.
        case("clean_base_world_has_no_findings", base().build(), &[]),
        case(
            "service_without_phi_and_with_reason_needs_no_baa",
            base()
                .service(sentry("team").with(|s| s.phi = Phi::no("PII scrubbing on; no request bodies")))
                .build(),
            &[],
        ),
        // phi-unknown
        case(
            "unknown_phi_is_treated_as_phi_and_can_be_uncovered",
            base().service(sentry("business").with(|s| s.phi = Phi::Unknown)).build(),
            &[("phi-unknown", "errors"), ("uncovered-service", "errors")],
        ),
        case(
            "no_phi_without_a_reason_counts_as_unknown",
            base().build().with(|w| w.services[0].phi = Phi::no("  ")),
            &[("phi-unknown", "db")],
        ),
        // uncovered-service and direct BAAs
        case(
            "phi_service_without_any_baa_is_uncovered",
            sentry_party(base()).service(sentry("business")).build(),
            &[("uncovered-service", "errors")],
        ),
        case(
            "vendor_without_a_party_is_uncovered",
            base().service(sentry("business")).build(),
            &[("uncovered-service", "errors")],
        ),
        case(
            "direct_baa_on_eligible_plan_covers",
            sentry_party(base())
                .service(sentry("business"))
                .agreement(baa("sentry-baa", "sentry", d("2026-02-01")))
                .build(),
            &[],
        ),
        case(
            "direct_baa_on_ineligible_plan_is_plan_ineligible",
            sentry_party(base())
                .service(sentry("team"))
                .agreement(baa("sentry-baa", "sentry", d("2026-02-01")))
                .build(),
            &[("plan-ineligible", "errors")],
        ),
        case(
            "downgrade_from_business_to_developer_loses_coverage",
            sentry_party(base())
                .service(sentry("developer"))
                .agreement(baa("sentry-baa", "sentry", d("2026-02-01")))
                .build(),
            &[("plan-ineligible", "errors")],
        ),
        case(
            "upgrade_from_team_to_enterprise_gains_coverage",
            sentry_party(base())
                .service(sentry("enterprise"))
                .agreement(baa("sentry-baa", "sentry", d("2026-02-01")))
                .build(),
            &[],
        ),
        case(
            "ineligible_plan_without_baa_is_uncovered_not_plan_ineligible",
            sentry_party(base()).service(sentry("team")).build(),
            &[("uncovered-service", "errors")],
        ),
        case(
            "supabase_team_without_hipaa_add_on_is_plan_ineligible",
            base()
                .vendor("supabase", &[])
                .service(service("sb", "supabase", "postgres", "team", d("2024-06-01")))
                .agreement(baa("sb-baa", "supabase", d("2024-06-01")))
                .build(),
            &[("plan-ineligible", "sb")],
        ),
        case(
            "supabase_team_with_hipaa_add_on_is_covered_after_extension_removal",
            base()
                .vendor("supabase", &[])
                .service(attested(
                    service("sb", "supabase", "postgres", "team", d("2024-06-01"))
                        .with(|s| s.add_ons = vec!["hipaa".into()]),
                ))
                .agreement(baa("sb-baa", "supabase", d("2024-06-01")))
                .build(),
            &[],
        ),
        case(
            "upstash_enterprise_needs_the_prod_pack",
            base()
                .vendor("upstash-redis", &[])
                .service(service("r1", "upstash-redis", "redis", "enterprise", d("2026-01-01")))
                .service(attested(
                    service("r2", "upstash-redis", "redis", "enterprise", d("2026-01-01"))
                        .with(|s| s.add_ons = vec!["prod-pack".into()]),
                ))
                .agreement(baa("up-baa", "upstash-redis", d("2026-01-01")))
                .build(),
            &[("plan-ineligible", "r1")],
        ),
        case(
            "on_request_plan_is_eligible_once_a_baa_is_signed",
            base()
                .vendor("tigris", &[])
                .service(service("bucket", "tigris", "object-storage", "standard", d("2026-01-01")))
                .agreement(baa("tigris-baa", "tigris", d("2026-01-01")))
                .build(),
            &[],
        ),
        case(
            "unknown_eligibility_fails_closed_under_a_general_baa",
            base()
                .vendor("arcjet", &[])
                .service(service("aj", "arcjet", "shield", "default", d("2026-01-01")))
                .agreement(baa("aj-baa", "arcjet", d("2026-01-01")))
                .build(),
            &[("plan-ineligible", "aj")],
        ),
        case(
            "unknown_eligibility_is_accepted_when_the_baa_names_the_plan_and_product",
            base()
                .vendor("arcjet", &[])
                .service(service("aj", "arcjet", "shield", "default", d("2026-01-01")))
                .agreement(baa("aj-baa", "arcjet", d("2026-01-01")).with(|a| {
                    a.scope = Scope::Limited {
                        products: vec!["shield".into()],
                        plans: vec!["default".into()],
                        regions: vec![],
                        accounts: vec![],
                    }
                }))
                .build(),
            &[],
        ),
        case(
            "naming_the_plan_is_not_enough_when_the_product_is_of_unknown_eligibility",
            base()
                .vendor("arcjet", &[])
                .service(service("aj", "arcjet", "shield", "default", d("2026-01-01")))
                .agreement(baa("aj-baa", "arcjet", d("2026-01-01")).with(|a| {
                    a.scope = Scope::Limited {
                        products: vec![],
                        plans: vec!["default".into()],
                        regions: vec![],
                        accounts: vec![],
                    }
                }))
                .build(),
            &[("plan-ineligible", "aj")],
        ),
        case(
            "baa_scoped_to_other_plans_does_not_cover",
            sentry_party(base())
                .service(sentry("enterprise"))
                .agreement(baa("sentry-baa", "sentry", d("2026-02-01")).with(|a| {
                    a.scope = Scope::Limited {
                        products: vec![],
                        plans: vec!["business".into()],
                        regions: vec![],
                        accounts: vec![],
                    }
                }))
                .build(),
            &[("uncovered-service", "errors")],
        ),
        case(
            "baa_scoped_to_other_regions_does_not_cover",
            sentry_party(base())
                .service(sentry("business").with(|s| s.regions = vec!["fra".into()]))
                .agreement(baa("sentry-baa", "sentry", d("2026-02-01")).with(|a| {
                    a.scope = Scope::Limited {
                        products: vec![],
                        plans: vec![],
                        regions: vec!["iad".into()],
                        accounts: vec![],
                    }
                }))
                .build(),
            &[("uncovered-service", "errors")],
        ),
        // The platform chain.
        case(
            "platform_chain_covers_an_extension_on_an_eligible_plan",
            sentry_party(base())
                .service(sentry_ext("business"))
                .agreement(platform_agreement("fly-sentry", "fly", "sentry", &["sentry"], d("2026-03-01")))
                .build(),
            &[],
        ),
        case(
            "platform_chain_does_not_cover_an_extension_on_an_ineligible_plan",
            sentry_party(base())
                .service(sentry_ext("team"))
                .agreement(platform_agreement("fly-sentry", "fly", "sentry", &["sentry"], d("2026-03-01")))
                .build(),
            &[("plan-ineligible", "errors")],
        ),
        case(
            "platform_agreement_that_names_the_plan_covers_it",
            sentry_party(base())
                .service(sentry_ext("team"))
                .agreement(
                    platform_agreement("fly-sentry", "fly", "sentry", &["sentry"], d("2026-03-01")).with(
                        |a| {
                            a.scope = Scope::Limited {
                                products: vec![],
                                plans: vec!["team".into()],
                                regions: vec![],
                                accounts: vec![],
                            }
                        },
                    ),
                )
                .build(),
            &[],
        ),
        case(
            "platform_baa_without_extension_agreement_does_not_cover_extensions",
            sentry_party(base()).service(sentry_ext("team")).build(),
            &[("uncovered-service", "errors")],
        ),
        case(
            "platform_agreement_extending_to_other_vendors_does_not_cover",
            sentry_party(base())
                .vendor("tigris", &[])
                .service(sentry_ext("business"))
                .agreement(platform_agreement("fly-tigris", "fly", "tigris", &["tigris"], d("2026-03-01")))
                .build(),
            &[("uncovered-service", "errors")],
        ),
        case(
            "platform_agreement_in_negotiation_does_not_cover",
            sentry_party(base())
                .service(sentry_ext("team"))
                .agreement(
                    platform_agreement("fly-sentry", "fly", "sentry", &["sentry"], d("2026-03-01"))
                        .with(|a| a.history = vec![status(d("2026-03-01"), Status::InNegotiation)]),
                )
                .build(),
            &[("uncovered-service", "errors")],
        ),
        case(
            "platform_chain_through_ineligible_org_is_platform_plan_ineligible",
            sentry_party(base())
                .service(sentry_ext("business"))
                .agreement(platform_agreement("fly-sentry", "fly", "sentry", &["sentry"], d("2026-03-01")))
                .build()
                .with(|w| w.orgs[0].plan = "pay-as-you-go".into()),
            &[("platform-plan-ineligible", "acme-prod")],
        ),
        case(
            "compliance_package_makes_pay_as_you_go_eligible",
            base().build().with(|w| {
                w.orgs[0].plan = "pay-as-you-go".into();
                w.orgs[0].packages = vec!["compliance-package".into()];
            }),
            &[],
        ),
        case(
            "ineligible_org_without_phi_is_silent",
            base().build().with(|w| {
                w.orgs[0].plan = "launch".into();
                w.services[0].phi = Phi::no("only public catalogue data");
            }),
            &[],
        ),
        case(
            "direct_baa_does_not_cover_an_account_created_through_fly",
            sentry_party(base())
                .service(sentry_ext("business").with(|s| s.account = Some("acme-fly-org".into())))
                .agreement(baa("sentry-baa", "sentry", d("2026-02-01")))
                .build(),
            &[("uncovered-service", "errors")],
        ),
        case(
            "direct_baa_that_names_the_extension_account_covers_it",
            sentry_party(base())
                .service(sentry_ext("business").with(|s| s.account = Some("acme-fly-org".into())))
                .agreement(baa("sentry-baa", "sentry", d("2026-02-01")).with(|a| {
                    a.scope = Scope::Limited {
                        products: vec![],
                        plans: vec![],
                        regions: vec![],
                        accounts: vec!["acme-fly-org".into()],
                    }
                }))
                .build(),
            &[],
        ),
        // Expiry boundaries: expiry is the last day in force.
        case(
            "day_before_expiry_is_active_and_expiring",
            fly_baa(|a| a.expiry = Some(plus(1))),
            &[("agreement-expiring", "fly-baa")],
        ),
        case(
            "expiry_day_is_still_active_and_expiring",
            fly_baa(|a| a.expiry = Some(today())),
            &[("agreement-expiring", "fly-baa")],
        ),
        case(
            "day_after_expiry_is_expired",
            fly_baa(|a| a.expiry = Some(minus(1))),
            &[("agreement-expired", "fly-baa")],
        ),
        case(
            "expired_platform_agreement_breaks_the_chain",
            sentry_party(base())
                .service(sentry_ext("business"))
                .agreement(
                    platform_agreement("fly-sentry", "fly", "sentry", &["sentry"], d("2026-03-01"))
                        .with(|a| a.expiry = Some(minus(10))),
                )
                .build(),
            &[("agreement-expired", "fly-sentry")],
        ),
        case(
            "expired_platform_agreement_is_reported_even_when_another_link_is_missing",
            WorldBuilder::new(catalog())
                .vendor("fly", &[])
                .vendor("sentry", &[])
                .org(org("acme-prod", Environment::Production, "scale"))
                .app(app("acme-api", "acme-prod", &["iad"]))
                .service(sentry_ext("team"))
                .agreement(
                    platform_agreement("fly-sentry", "fly", "sentry", &["sentry"], d("2026-03-01"))
                        .with(|a| a.expiry = Some(minus(10))),
                )
                .build(),
            &[("agreement-expired", "fly-sentry"), ("uncovered-service", "errors")],
        ),
        case(
            "expired_agreement_renewed_by_a_new_one_is_silent",
            base()
                .agreement(baa("fly-baa-2025", "fly", d("2025-01-01")).with(|a| {
                    a.expiry = Some(d("2025-12-31"));
                }))
                .build(),
            &[],
        ),
        case(
            "expired_baa_with_ineligible_plan_reports_both",
            sentry_party(base())
                .service(sentry("team"))
                .agreement(baa("sentry-baa", "sentry", d("2026-02-01")).with(|a| a.expiry = Some(minus(1))))
                .build(),
            &[("agreement-expired", "sentry-baa"), ("plan-ineligible", "errors")],
        ),
        // agreement-expiring per window.
        case("expiry_beyond_the_largest_window_is_silent", fly_baa(|a| a.expiry = Some(plus(91))), &[]),
        case(
            "expiry_at_ninety_days_is_expiring",
            fly_baa(|a| a.expiry = Some(plus(90))),
            &[("agreement-expiring", "fly-baa")],
        ),
        case(
            "expiry_at_thirty_days_is_expiring",
            fly_baa(|a| a.expiry = Some(plus(30))),
            &[("agreement-expiring", "fly-baa")],
        ),
        case("custom_windows_are_respected", fly_baa(|a| a.expiry = Some(plus(45))), &[])
            .policy(Policy { reminder_windows: vec![30, 14], ..Policy::default() }),
        case("no_windows_means_no_expiring_findings", fly_baa(|a| a.expiry = Some(plus(3))), &[])
            .policy(Policy { reminder_windows: vec![], ..Policy::default() }),
        case(
            "terminated_agreements_never_remind",
            fly_baa(|a| {
                a.expiry = Some(plus(5));
                a.history.push(status(minus(2), Status::Terminated));
            }),
            &[("uncovered-service", "db")],
        ),
        // Terminated, superseded, pending, not yet effective.
        case(
            "terminated_baa_does_not_count",
            fly_baa(|a| a.history.push(status(d("2026-10-01"), Status::Terminated))),
            &[("uncovered-service", "db")],
        ),
        case(
            "termination_after_the_as_of_date_still_counts_on_that_date_and_reminds",
            fly_baa(|a| a.history.push(status(d("2026-10-01"), Status::Terminated))),
            &[("agreement-ending", "fly-baa")],
        )
        .on(d("2026-09-30")),
        case(
            "superseded_baa_without_replacement_does_not_count",
            fly_baa(|a| a.history.push(status(d("2026-10-01"), Status::Superseded))),
            &[("uncovered-service", "db")],
        ),
        case(
            "superseded_baa_with_active_replacement_is_silent",
            replace_agreement(
                base().agreement(baa("fly-baa-2", "fly", d("2026-10-01"))).build(),
                "fly-baa",
                |a| a.history.push(status(d("2026-10-01"), Status::Superseded)),
            ),
            &[],
        ),
        case(
            "baa_signed_later_than_the_as_of_date_does_not_count",
            fly_baa(|a| a.history = vec![status(d("2026-12-01"), Status::Signed)]),
            &[("uncovered-service", "db")],
        ),
        case(
            "signed_baa_not_yet_effective_does_not_count",
            fly_baa(|a| a.effective = Some(plus(1))),
            &[("uncovered-service", "db")],
        ),
        case("effective_day_counts", fly_baa(|a| a.effective = Some(today())), &[]),
        case(
            "draft_baa_does_not_count_and_is_not_checked_for_documents",
            fly_baa(|a| {
                a.history = vec![status(d("2026-01-01"), Status::Draft)];
                a.has_executed_document = false;
                a.clause_evidence.clear();
            }),
            &[("uncovered-service", "db")],
        ),
        // document-missing and clauses-incomplete.
        case(
            "signed_baa_without_document_is_document_missing",
            fly_baa(|a| a.has_executed_document = false),
            &[("document-missing", "fly-baa")],
        ),
        case(
            "signed_baa_with_unconfirmed_clause_is_clauses_incomplete",
            fly_baa(|a| {
                a.clause_evidence.remove(&Clause::TerminationForBreach);
            }),
            &[("clauses-incomplete", "fly-baa")],
        ),
        case(
            "platform_agreements_need_the_platforms_written_confirmation_but_no_clause_checklist",
            sentry_party(base())
                .service(sentry_ext("business"))
                .agreement(
                    platform_agreement("fly-sentry", "fly", "sentry", &["sentry"], d("2026-03-01")).with(
                        |a| {
                            a.has_executed_document = false;
                            a.clause_evidence.clear();
                        },
                    ),
                )
                .build(),
            &[("document-missing", "fly-sentry")],
        ),
        // customer-uncovered.
        case(
            "active_phi_customer_without_baa_is_uncovered",
            base().customer("clinic", true, true).build(),
            &[("customer-uncovered", "clinic")],
        ),
        case(
            "customer_with_signed_baa_is_covered",
            base()
                .customer("clinic", true, true)
                .agreement(baa("clinic-baa", "clinic", d("2026-01-01")))
                .build(),
            &[],
        ),
        case(
            "customer_with_baa_in_negotiation_is_uncovered",
            base()
                .customer("clinic", true, true)
                .agreement(
                    baa("clinic-baa", "clinic", d("2026-01-01"))
                        .with(|a| a.history = vec![status(d("2026-01-01"), Status::Sent)]),
                )
                .build(),
            &[("customer-uncovered", "clinic")],
        ),
        case(
            "customer_with_expired_baa_is_uncovered",
            base()
                .customer("clinic", true, true)
                .agreement(
                    baa("clinic-baa", "clinic", d("2025-01-01")).with(|a| a.expiry = Some(d("2025-12-31"))),
                )
                .build(),
            &[("customer-uncovered", "clinic")],
        ),
        case(
            "inactive_or_non_phi_customers_need_no_baa",
            base().customer("former", false, true).customer("billing-only", true, false).build(),
            &[],
        ),
        // downstream-unverified.
        case(
            "vendor_listing_subcontractor_without_baa_is_unverified",
            base_with_fly_subcontractors(&["storage-co"]).subcontractor("storage-co", &[]).build(),
            &[("downstream-unverified", "fly")],
        ),
        case(
            "vendor_with_recorded_subcontractor_baa_is_verified",
            base_with_fly_subcontractors(&["storage-co"])
                .subcontractor("storage-co", &[])
                .agreement(subcontractor_baa("fly-storage", "fly", "storage-co", d("2026-01-01")))
                .build(),
            &[],
        ),
        case(
            "expired_subcontractor_baa_is_unverified",
            base_with_fly_subcontractors(&["storage-co"])
                .subcontractor("storage-co", &[])
                .agreement(
                    subcontractor_baa("fly-storage", "fly", "storage-co", d("2025-01-01"))
                        .with(|a| a.expiry = Some(d("2025-12-31"))),
                )
                .build(),
            &[("downstream-unverified", "fly")],
        ),
        case(
            "downstream_is_followed_to_the_subcontractors_own_subcontractors",
            base_with_fly_subcontractors(&["storage-co"])
                .subcontractor("storage-co", &["disk-co"])
                .subcontractor("disk-co", &[])
                .agreement(subcontractor_baa("fly-storage", "fly", "storage-co", d("2026-01-01")))
                .build(),
            &[("downstream-unverified", "storage-co")],
        ),
        case(
            "vendor_that_sees_no_phi_is_not_followed_downstream",
            base()
                .vendor("sentry", &["gcp"])
                .subcontractor("gcp", &[])
                .service(sentry("team").with(|s| s.phi = Phi::no("scrubbed")))
                .build(),
            &[],
        ),
        // environment-mixed.
        case(
            "phi_service_in_staging_org_is_environment_mixed",
            base()
                .org(org("acme-staging", Environment::Staging, "scale"))
                .app(app("acme-api-staging", "acme-staging", &["iad"]))
                .service(fly_db().with(|s| {
                    s.id = "db-staging".into();
                    s.name = "db-staging".into();
                    s.provisioning = platform("acme-staging");
                    s.apps = vec!["acme-api-staging".into()];
                }))
                .build(),
            &[("environment-mixed", "db-staging")],
        ),
        case(
            "staging_app_in_production_org_is_environment_mixed",
            base().app(app("acme-api-staging", "acme-prod", &["iad"])).build(),
            &[("environment-mixed", "acme-api-staging")],
        ),
        case(
            "explicit_environment_beats_the_name",
            base()
                .app(
                    app("acme-api-staging", "acme-prod", &["iad"])
                        .with(|a| a.environment = Some(Environment::Production)),
                )
                .app(
                    app("acme-sandbox", "acme-prod", &["iad"])
                        .with(|a| a.environment = Some(Environment::Development)),
                )
                .build(),
            &[("environment-mixed", "acme-sandbox")],
        ),
        case(
            "non_phi_staging_in_staging_org_is_fine",
            base()
                .org(org("acme-staging", Environment::Staging, "launch"))
                .app(app("acme-api-staging", "acme-staging", &["iad"]))
                .build(),
            &[],
        ),
        // region-outside-policy.
        case(
            "phi_in_region_outside_policy",
            base().build().with(|w| w.apps[0].regions.push("fra".into())),
            &[("region-outside-policy", "db")],
        )
        .policy(regions_policy(&["iad", "ord"])),
        case("regions_inside_policy_are_silent", base().build(), &[]).policy(regions_policy(&["iad", "ord"])),
        case(
            "empty_policy_allows_any_region",
            base().build().with(|w| w.apps[0].regions.push("syd".into())),
            &[],
        ),
        case(
            "org_allowed_regions_also_bind",
            base().build().with(|w| {
                w.orgs[0].allowed_regions = Some(vec!["ord".into()]);
            }),
            &[("region-outside-policy", "db")],
        ),
        case(
            "non_phi_service_outside_policy_is_silent",
            base().build().with(|w| w.services[0].phi = Phi::no("public data")),
            &[],
        )
        .policy(regions_policy(&["ord"])),
        // Time travel over services.
        case(
            "service_created_after_the_as_of_date_is_not_reported",
            sentry_party(base()).service(sentry("team").with(|s| s.created_on = plus(1))).build(),
            &[],
        ),
        case(
            "service_removed_on_or_before_the_as_of_date_is_not_reported",
            sentry_party(base()).service(sentry("team").with(|s| s.removed_on = Some(today()))).build(),
            &[],
        ),
        case(
            "service_removed_after_the_as_of_date_is_reported",
            sentry_party(base()).service(sentry("team").with(|s| s.removed_on = Some(plus(1)))).build(),
            &[("uncovered-service", "errors")],
        ),
    ]
}
