//! The coverage rules as a table: each row is a small world and the exact set of
//! (rule id, subject id) findings it must produce on its as-of date.
#![expect(clippy::unwrap_used, reason = "tests fail loudly on bad fixtures")]

use std::collections::BTreeSet;

use baa_core::catalog::{Catalog, CatalogError, Eligibility, Provisioning};
use baa_core::coverage::build::{
    app, baa, org, platform_agreement, service, subcontractor_baa, With, WorldBuilder, US,
};
use baa_core::coverage::{
    evaluate, Agreement, Clause, Environment, Phi, Policy, RuleId, Scope, Service, ServiceProvisioning,
    Severity, Status, StatusChange, Verdict, World,
};
use chrono::{Days, NaiveDate};

fn d(text: &str) -> NaiveDate {
    NaiveDate::parse_from_str(text, "%Y-%m-%d").unwrap()
}

/// The default as-of date of every row.
fn today() -> NaiveDate {
    d("2026-11-22")
}

fn plus(days: u64) -> NaiveDate {
    today().checked_add_days(Days::new(days)).unwrap()
}

fn minus(days: u64) -> NaiveDate {
    today().checked_sub_days(Days::new(days)).unwrap()
}

fn catalog() -> Catalog {
    Catalog::bundled().unwrap()
}

/// A clean world: a production org on the legacy Scale plan, one app, Fly Postgres holding PHI,
/// and our complete BAA with Fly.io.
fn base() -> WorldBuilder {
    base_with_fly_subcontractors(&[])
}

/// The base world where Fly.io lists its own PHI subcontractors.
fn base_with_fly_subcontractors(subs: &[&str]) -> WorldBuilder {
    WorldBuilder::new(catalog())
        .vendor("fly", subs)
        .org(org("acme-prod", Environment::Production, "scale"))
        .app(app("acme-api", "acme-prod", &["iad"]))
        .service(fly_db())
        .agreement(baa("fly-baa", "fly", d("2026-01-01")))
}

fn fly_db() -> Service {
    service("db", "fly", "postgres", "scale", d("2026-01-01")).with(|s| {
        s.provisioning = platform("acme-prod");
        s.apps = vec!["acme-api".into()];
        s.regions = vec!["iad".into()];
    })
}

fn platform(org: &str) -> ServiceProvisioning {
    ServiceProvisioning::Platform { org: org.into() }
}

/// Sentry error monitoring used by acme-api, provisioned directly.
fn sentry(plan: &str) -> Service {
    service("errors", "sentry", "errors", plan, d("2026-02-01")).with(|s| s.apps = vec!["acme-api".into()])
}

/// Sentry provisioned as a Fly extension in acme-prod.
fn sentry_ext(plan: &str) -> Service {
    sentry(plan).with(|s| s.provisioning = platform("acme-prod"))
}

fn status(on: NaiveDate, status: Status) -> StatusChange {
    StatusChange { on, status }
}

fn replace_agreement(world: World, id: &str, f: impl FnOnce(&mut Agreement)) -> World {
    world.with(|w| {
        let a = w.agreements.iter_mut().find(|a| a.id == id).unwrap();
        f(a);
    })
}

fn fly_baa(f: impl FnOnce(&mut Agreement)) -> World {
    replace_agreement(base().build(), "fly-baa", f)
}

struct Case {
    name: &'static str,
    world: World,
    as_of: NaiveDate,
    policy: Policy,
    expect: Vec<(&'static str, &'static str)>,
}

fn case(name: &'static str, world: World, expect: &[(&'static str, &'static str)]) -> Case {
    Case { name, world, as_of: today(), policy: Policy::default(), expect: expect.to_vec() }
}

impl Case {
    fn on(mut self, as_of: NaiveDate) -> Self {
        self.as_of = as_of;
        self
    }

    fn policy(mut self, policy: Policy) -> Self {
        self.policy = policy;
        self
    }
}

fn regions_policy(regions: &[&str]) -> Policy {
    Policy { allowed_regions: regions.iter().map(|r| (*r).to_owned()).collect(), ..Policy::default() }
}

#[expect(clippy::too_many_lines, reason = "the table is the specification")]
fn cases() -> Vec<Case> {
    let sentry_party = |b: WorldBuilder| b.vendor("sentry", &[]);
    vec![
        // The clean base and non-PHI services.
        case("clean_base_world_has_no_findings", base().build(), &[]),
        case(
            "service_without_phi_and_with_reason_needs_no_baa",
            base()
                .service(
                    sentry("team")
                        .with(|s| s.phi = Phi::No { reason: "PII scrubbing on; no request bodies".into() }),
                )
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
            base().build().with(|w| w.services[0].phi = Phi::No { reason: "  ".into() }),
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
                .service(
                    service("sb", "supabase", "postgres", "team", d("2024-06-01"))
                        .with(|s| s.add_ons = vec!["hipaa".into()]),
                )
                .agreement(baa("sb-baa", "supabase", d("2024-06-01")))
                .build(),
            &[],
        ),
        case(
            "upstash_enterprise_needs_the_prod_pack",
            base()
                .vendor("upstash-redis", &[])
                .service(service("r1", "upstash-redis", "redis", "enterprise", d("2026-01-01")))
                .service(
                    service("r2", "upstash-redis", "redis", "enterprise", d("2026-01-01"))
                        .with(|s| s.add_ons = vec!["prod-pack".into()]),
                )
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
            "unknown_eligibility_is_accepted_when_the_baa_names_the_plan",
            base()
                .vendor("arcjet", &[])
                .service(service("aj", "arcjet", "shield", "default", d("2026-01-01")))
                .agreement(baa("aj-baa", "arcjet", d("2026-01-01")).with(|a| {
                    a.scope =
                        Scope::Limited { products: vec![], plans: vec!["default".into()], regions: vec![] }
                }))
                .build(),
            &[],
        ),
        case(
            "baa_scoped_to_other_plans_does_not_cover",
            sentry_party(base())
                .service(sentry("enterprise"))
                .agreement(baa("sentry-baa", "sentry", d("2026-02-01")).with(|a| {
                    a.scope =
                        Scope::Limited { products: vec![], plans: vec!["business".into()], regions: vec![] }
                }))
                .build(),
            &[("uncovered-service", "errors")],
        ),
        case(
            "baa_scoped_to_other_regions_does_not_cover",
            sentry_party(base())
                .service(sentry("business").with(|s| s.regions = vec!["fra".into()]))
                .agreement(baa("sentry-baa", "sentry", d("2026-02-01")).with(|a| {
                    a.scope = Scope::Limited { products: vec![], plans: vec![], regions: vec!["iad".into()] }
                }))
                .build(),
            &[("uncovered-service", "errors")],
        ),
        // The platform chain.
        case(
            "platform_chain_with_extension_agreement_covers_even_the_team_plan",
            sentry_party(base())
                .service(sentry_ext("team"))
                .agreement(platform_agreement("fly-sentry", "fly", "sentry", &["sentry"], d("2026-03-01")))
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
                .service(sentry_ext("team"))
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
                w.services[0].phi = Phi::No { reason: "only public catalogue data".into() };
            }),
            &[],
        ),
        case(
            "direct_baa_covers_an_extension_when_no_platform_agreement_exists",
            sentry_party(base())
                .service(sentry_ext("business"))
                .agreement(baa("sentry-baa", "sentry", d("2026-02-01")))
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
                .service(sentry_ext("team"))
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
            "termination_after_the_as_of_date_still_counts_on_that_date",
            fly_baa(|a| a.history.push(status(d("2026-10-01"), Status::Terminated))),
            &[],
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
                a.clauses.clear();
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
            fly_baa(|a| a.clauses.retain(|c| *c != Clause::TerminationForBreach)),
            &[("clauses-incomplete", "fly-baa")],
        ),
        case(
            "agreements_we_are_not_party_to_are_not_checked_for_documents",
            sentry_party(base())
                .service(sentry_ext("team"))
                .agreement(
                    platform_agreement("fly-sentry", "fly", "sentry", &["sentry"], d("2026-03-01")).with(
                        |a| {
                            a.has_executed_document = false;
                            a.clauses.clear();
                        },
                    ),
                )
                .build(),
            &[],
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
                .service(sentry("team").with(|s| s.phi = Phi::No { reason: "scrubbed".into() }))
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
            base().build().with(|w| w.services[0].phi = Phi::No { reason: "public data".into() }),
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

fn found(case: &Case) -> BTreeSet<(String, String)> {
    evaluate(&case.world, case.as_of, &case.policy)
        .findings
        .into_iter()
        .map(|f| (f.rule.as_str().to_owned(), f.subject.id))
        .collect()
}

#[test]
fn every_row_produces_exactly_its_findings() {
    let mut failures = Vec::new();
    let cases = cases();
    for case in &cases {
        let want: BTreeSet<(String, String)> =
            case.expect.iter().map(|(r, s)| ((*r).to_owned(), (*s).to_owned())).collect();
        let got = found(case);
        if got != want {
            failures.push(format!("{}:\n  want {want:?}\n  got  {got:?}", case.name));
        }
    }
    assert!(failures.is_empty(), "{} rows failed:\n{}", failures.len(), failures.join("\n"));
    println!("{} rows passed", cases.len());
}

#[test]
fn every_rule_fires_in_some_row_and_is_silent_in_others() {
    let cases = cases();
    for rule in RuleId::ALL {
        let fires = cases.iter().any(|c| c.expect.iter().any(|(r, _)| *r == rule.as_str()));
        let silent = cases.iter().any(|c| c.expect.iter().all(|(r, _)| *r != rule.as_str()));
        assert!(fires && silent, "{rule} needs a row where it fires and one where it does not");
    }
}

#[test]
fn platform_chain_names_both_agreements() {
    let world = base()
        .vendor("sentry", &[])
        .service(sentry_ext("team"))
        .agreement(platform_agreement("fly-sentry", "fly", "sentry", &["sentry"], d("2026-03-01")))
        .build();
    let report = evaluate(&world, today(), &Policy::default());
    let errors = report.services.iter().find(|s| s.service == "errors").unwrap();
    assert_eq!(errors.verdict, Verdict::Covered { chain: vec!["fly-baa".into(), "fly-sentry".into()] });
    let db = report.services.iter().find(|s| s.service == "db").unwrap();
    assert_eq!(db.verdict, Verdict::Covered { chain: vec!["fly-baa".into()] });
}

#[test]
fn plan_ineligible_next_step_names_vendor_terms_app_and_plan() {
    let world = base()
        .vendor("sentry", &[])
        .service(sentry("team"))
        .agreement(baa("sentry-baa", "sentry", d("2026-02-01")))
        .build();
    let report = evaluate(&world, today(), &Policy::default());
    let f = &report.findings[0];
    assert_eq!(f.rule, RuleId::PlanIneligible);
    assert!(
        f.next_step.starts_with("Sentry signs BAAs on Business plan or higher; acme-api uses Team."),
        "{}",
        f.next_step
    );
    assert!(f.next_step.contains("Business or Enterprise"), "{}", f.next_step);
}

#[test]
fn uncovered_extension_next_step_offers_both_fixes() {
    let world = base().vendor("sentry", &[]).service(sentry_ext("team")).build();
    let report = evaluate(&world, today(), &Policy::default());
    let f = &report.findings[0];
    assert_eq!(f.rule, RuleId::UncoveredService);
    assert!(f.next_step.contains("Sentry signs BAAs on Business plan or higher; acme-api uses Team"));
    assert!(f.next_step.contains("have Fly.io extend its BAA to Sentry extensions"));
    let Verdict::Uncovered { why } = &report.services[1].verdict else {
        panic!("expected uncovered");
    };
    assert!(why.contains("Fly.io agreement extending its BAA to Sentry"), "{why}");
}

#[test]
fn expiring_list_uses_the_smallest_containing_window() {
    let world = base()
        .vendor("sentry", &[])
        .agreement(baa("a90", "sentry", d("2026-01-01")).with(|a| a.expiry = Some(plus(61))))
        .agreement(baa("a60", "sentry", d("2026-01-01")).with(|a| a.expiry = Some(plus(60))))
        .agreement(baa("a7", "sentry", d("2026-01-01")).with(|a| a.expiry = Some(plus(7))))
        .agreement(baa("a0", "sentry", d("2026-01-01")).with(|a| a.expiry = Some(today())))
        .agreement(baa("far", "sentry", d("2026-01-01")).with(|a| a.expiry = Some(plus(200))))
        .build();
    let report = evaluate(&world, today(), &Policy::default());
    let got: Vec<(&str, i64, u32)> =
        report.expiring.iter().map(|e| (e.agreement.as_str(), e.days_left, e.window)).collect();
    assert_eq!(got, vec![("a0", 0, 7), ("a7", 7, 7), ("a60", 60, 60), ("a90", 61, 90)]);
}

#[test]
fn summary_counts_services_and_findings() {
    let world = base()
        .vendor("sentry", &[])
        .service(sentry("team"))
        .service(sentry("business").with(|s| {
            s.id = "quiet".into();
            s.phi = Phi::No { reason: "scrubbed".into() };
        }))
        .customer("clinic", true, true)
        .build();
    let report = evaluate(&world, today(), &Policy::default());
    let s = &report.summary;
    assert_eq!((s.services, s.phi_services, s.covered_phi, s.uncovered_phi, s.no_phi), (3, 2, 1, 1, 1));
    assert_eq!((s.critical, s.high, s.medium, s.warning, s.low), (2, 0, 0, 0, 0));
    assert_eq!(s.count(Severity::Critical), 2);
}

#[test]
fn findings_are_sorted_most_severe_first() {
    let world = fly_baa(|a| {
        a.has_executed_document = false;
        a.expiry = Some(plus(3));
    })
    .with(|w| w.services[0].phi = Phi::Unknown)
    .with(|w| w.apps.push(app("x-staging", "acme-prod", &[])));
    let report = evaluate(&world, today(), &Policy::default());
    let severities: Vec<Severity> = report.findings.iter().map(|f| f.severity).collect();
    let mut sorted = severities.clone();
    sorted.sort_by(|a, b| b.cmp(a));
    assert_eq!(severities, sorted);
    assert_eq!(severities.len(), 4);
}

#[test]
fn rule_ids_and_severities_serialize_as_in_the_domain_table() {
    let ids: Vec<String> =
        RuleId::ALL.iter().map(|r| serde_json::to_value(r).unwrap().as_str().unwrap().to_owned()).collect();
    assert_eq!(
        ids,
        [
            "uncovered-service",
            "plan-ineligible",
            "platform-plan-ineligible",
            "agreement-expired",
            "agreement-expiring",
            "document-missing",
            "clauses-incomplete",
            "customer-uncovered",
            "downstream-unverified",
            "environment-mixed",
            "region-outside-policy",
            "phi-unknown",
        ]
    );
    let sev: Vec<Severity> = RuleId::ALL.iter().map(|r| r.severity()).collect();
    use Severity::{Critical as C, High as H, Low as L, Medium as M, Warning as W};
    assert_eq!(sev, [C, C, C, C, W, H, M, C, M, M, H, L]);
    assert!(C > H && H > M && M > W && W > L);
    assert_eq!(serde_json::to_string(&Severity::Warning).unwrap(), "\"warning\"");
}

#[test]
fn world_and_report_round_trip_through_json() {
    let world = base().vendor("sentry", &[]).service(sentry_ext("team")).build();
    let text = serde_json::to_string(&world).unwrap();
    let back: World = serde_json::from_str(&text).unwrap();
    assert_eq!(back, world);
    let report = evaluate(&world, today(), &Policy::default());
    let json = serde_json::to_value(&report).unwrap();
    assert_eq!(json["findings"][0]["rule"], "uncovered-service");
    assert_eq!(json["services"][0]["verdict"]["verdict"], "covered");
}

#[test]
fn policy_defaults_to_the_domain_windows() {
    assert_eq!(Policy::default().reminder_windows, vec![90, 60, 30, 7]);
    let p: Policy = serde_json::from_str("{}").unwrap();
    assert_eq!(p, Policy::default());
}

#[test]
fn status_history_is_read_as_of_the_date() {
    let a = baa("x", "fly", d("2026-01-01")).with(|a| {
        a.history = vec![
            status(d("2025-11-01"), Status::Draft),
            status(d("2025-12-01"), Status::InNegotiation),
            status(d("2026-01-01"), Status::Signed),
            status(d("2026-06-01"), Status::Superseded),
        ]
    });
    assert_eq!(a.status_on(d("2025-10-31")), None);
    assert_eq!(a.status_on(d("2025-12-15")), Some(Status::InNegotiation));
    assert_eq!(a.status_on(d("2026-01-01")), Some(Status::Signed));
    assert_eq!(a.status_on(d("2026-06-01")), Some(Status::Superseded));
    assert_eq!(a.effective_from(), Some(d("2026-01-01")));
}

#[test]
fn app_environment_is_guessed_from_whole_words() {
    let env = |name: &str| app(name, "o", &[]).environment();
    assert_eq!(env("acme-api-staging"), Environment::Staging);
    assert_eq!(env("acme_stg_worker"), Environment::Staging);
    assert_eq!(env("acme-dev"), Environment::Development);
    assert_eq!(env("acme-devices"), Environment::Production);
    assert_eq!(env("acme-api"), Environment::Production);
}

// The catalog.

#[test]
fn bundled_catalog_has_every_vendor_of_the_domain_table() {
    let c = catalog();
    assert!(c.version >= 1);
    for slug in [
        "fly",
        "tigris",
        "upstash-redis",
        "upstash-vector",
        "sentry",
        "supabase",
        "arcjet",
        "wafris",
        "fly-kubernetes",
        "aws",
        "heroku",
        "aptible",
        "mysql",
        "upstash-kafka",
        "planetscale",
        "enveloop",
    ] {
        assert!(c.vendor(slug).is_some(), "missing {slug}");
    }
    let removed: Vec<(&str, &str)> = c
        .vendors
        .iter()
        .filter_map(|v| v.removed.as_ref().map(|r| (v.slug.as_str(), r.on.as_str())))
        .collect();
    assert_eq!(
        removed,
        [
            ("supabase", "2025-01-31"),
            ("mysql", "2026-07"),
            ("upstash-kafka", "2025-05"),
            ("planetscale", "2024-04"),
            ("enveloop", "2025"),
        ]
    );
    let sentry = c.vendor("sentry").unwrap();
    assert_eq!(sentry.eligibility("team", &[]), Eligibility::NotEligible);
    assert_eq!(sentry.eligibility("business", &[]), Eligibility::Eligible);
    let supabase = c.vendor("supabase").unwrap();
    assert_eq!(supabase.eligibility("team", &["hipaa".into()]), Eligibility::Eligible);
    assert_eq!(supabase.eligibility("pro", &["hipaa".into()]), Eligibility::NotEligible);
    assert_eq!(c.vendor("tigris").unwrap().eligibility("standard", &[]), Eligibility::OnRequest);
    assert_eq!(sentry.eligibility("nope", &[]), Eligibility::Unknown);
    assert!(matches!(
        &c.vendor("upstash-redis").unwrap().provisioning,
        Provisioning::Extension { command, .. } if command == "fly redis create"
    ));
    assert!(matches!(
        &c.vendor("tigris").unwrap().provisioning,
        Provisioning::Extension { command, .. } if command == "fly storage create"
    ));
    assert_eq!(c.vendor("aws").unwrap().provisioning, Provisioning::Direct);
}

#[test]
fn catalog_validation_rejects_inconsistent_files() {
    let base: serde_json::Value = serde_json::from_str(include_str!("../../catalog/vendors.json")).unwrap();
    let check = |f: &dyn Fn(&mut serde_json::Value)| {
        let mut v = base.clone();
        f(&mut v);
        Catalog::from_json(&v.to_string())
    };
    assert!(check(&|_| {}).is_ok());
    assert!(matches!(
        check(&|v| {
            let first = v["vendors"][0].clone();
            v["vendors"].as_array_mut().unwrap().push(first);
        }),
        Err(CatalogError::DuplicateVendor(s)) if s == "fly"
    ));
    assert!(matches!(
        check(&|v| v["vendors"][0]["add_ons"][0]["makes_eligible"][0] = "gold".into()),
        Err(CatalogError::UnknownPlan { plan, .. }) if plan == "gold"
    ));
    assert!(matches!(
        check(&|v| v["vendors"][1]["provisioning"]["platform"] = "heroku".into()),
        Err(CatalogError::UnknownPlatform { .. })
    ));
    assert!(matches!(
        check(&|v| v["vendors"][4]["plans"][1]["slug"] = "developer".into()),
        Err(CatalogError::DuplicateItem { .. })
    ));
    assert!(matches!(check(&|v| v["version"] = 0.into()), Err(CatalogError::Version)));
    assert!(matches!(check(&|v| v["checked"] = "August".into()), Err(CatalogError::Json(_))));
    assert!(matches!(
        check(&|v| v["vendors"][2]["slug"] = "Upstash Redis".into()),
        Err(CatalogError::BadSlug(_))
    ));
    assert!(matches!(Catalog::from_json("{"), Err(CatalogError::Json(_))));
}

#[test]
fn us_is_the_default_party() {
    let w = base().build();
    assert_eq!(w.us, US);
}
