//! Coverage of the imported acme-health world when only Fly.io's BAA is signed.

use super::*;

/// (rule id, subject id) of findings.
type Findings = BTreeSet<(String, String)>;

/// Findings of the imported acme-health world when only Fly.io's BAA is signed: every service is
/// PHI-unknown (so treated as PHI); the extensions have no chain; Fly.io's own products have their
/// chain, but every org is on a plan without a BAA; non-production orgs hold PHI services; and
/// Sentry's data scrubbing is not confirmed.
fn base_findings() -> Findings {
    let mut out = BTreeSet::new();
    for (id, org, ..) in ACME_SERVICES {
        out.insert(("phi-unknown".to_owned(), id.to_owned()));
        if !id.starts_with("fly:fly:") {
            out.insert(("uncovered-service".to_owned(), id.to_owned()));
        }
        if org != PROD {
            out.insert(("environment-mixed".to_owned(), id.to_owned()));
        }
        if id.starts_with("fly:sentry:") {
            out.insert(("configuration-unconfirmed".to_owned(), id.to_owned()));
        }
    }
    for org in [PROD, STAGING, "personal"] {
        out.insert(("platform-plan-ineligible".to_owned(), org.to_owned()));
    }
    out
}

/// Services of the acme world with no regions recorded.
fn without_regions() -> Vec<&'static str> {
    ACME_SERVICES.iter().filter(|r| r.6.is_empty()).map(|r| r.0).collect()
}

#[test]
fn coverage_of_the_imported_acme_world_with_only_a_fly_baa() {
    let (_, imported) = import(&fly_baa_world(), &acme(Layout::Json));
    let set = |pairs: &[(&str, &str)]| -> Findings {
        pairs.iter().map(|(r, s)| ((*r).to_owned(), (*s).to_owned())).collect()
    };
    let with_compliance = {
        let mut w = imported.clone();
        w.orgs.iter_mut().find(|o| o.slug == PROD).unwrap().packages = vec!["compliance-package".into()];
        w
    };
    let iad_only = Policy { allowed_regions: vec!["iad".into()], ..Policy::default() };
    let cases: Vec<(&str, &World, Policy, Findings, Findings)> = vec![
        ("as imported", &imported, Policy::default(), set(&[]), set(&[])),
        (
            "production org on the Compliance Package",
            &with_compliance,
            Policy::default(),
            set(&[]),
            set(&[("platform-plan-ineligible", PROD)]),
        ),
        (
            "PHI allowed only in iad",
            &imported,
            iad_only,
            set(&[
                ("region-outside-policy", "fly:upstash-redis:redis:acme-redis-prod"),
                ("region-outside-policy", "fly:fly:kubernetes:acme-analytics-fks"),
            ])
            .union(
                &without_regions()
                    .into_iter()
                    .map(|id| ("region-unknown".to_owned(), id.to_owned()))
                    .collect(),
            )
            .cloned()
            .collect(),
            set(&[]),
        ),
    ];
    for (name, world, policy, plus, minus) in cases {
        let report = evaluate(world, today(), &policy);
        let got: Findings =
            report.findings.iter().map(|f| (f.rule.as_str().to_owned(), f.subject.id.clone())).collect();
        let want: Findings = base_findings().union(&plus).filter(|x| !minus.contains(x)).cloned().collect();
        assert_eq!(got, want, "{name}");
        assert_eq!(
            (report.summary.services, report.summary.phi_services, report.summary.covered_phi),
            (23, 23, if name.contains("Compliance") { 6 } else { 0 }),
            "{name}"
        );
    }
}
