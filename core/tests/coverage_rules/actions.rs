//! Findings grouped into actions: services that share the rule, vendor, plan and reason make one
//! action whose headline holds for each; anything else stays alone.

use super::*;

fn sentry_on(id: &str, plan: &str, app: &str) -> Service {
    attested(service(id, "sentry", "errors", plan, d("2026-02-01")).with(|s| s.apps = vec![app.into()]))
}

fn aws(id: &str, app: &str) -> Service {
    service(id, "aws", "s3", "account", d("2026-02-01")).with(|s| s.apps = vec![app.into()])
}

#[test]
fn services_sharing_a_fix_become_one_action_with_counts() {
    let world = base()
        .vendor("sentry", &[])
        .vendor("aws", &[])
        .app(app("acme-web", "acme-prod", &["iad"]))
        .service(sentry_on("e1", "team", "acme-api"))
        .service(sentry_on("e2", "team", "acme-web"))
        .service(sentry_on("e3", "team", "acme-web"))
        .service(sentry_on("e4", "business", "acme-api"))
        .service(aws("s1", "acme-api"))
        .service(aws("s2", "acme-web"))
        .agreement(baa("sentry-baa", "sentry", d("2026-02-01")))
        .build();
    let report = evaluate(&world, today(), &Policy::default());
    let upgrade = report
        .actions
        .iter()
        .find(|a| a.rule == RuleId::PlanIneligible)
        .unwrap_or_else(|| panic!("{:#?}", report.actions));
    assert_eq!(upgrade.headline, "Move Sentry from Team to Business or Enterprise");
    assert_eq!((upgrade.services, upgrade.apps), (3, 2));
    assert_eq!(upgrade.scope(), "3 services in 2 apps");
    let sign = report
        .actions
        .iter()
        .find(|a| a.rule == RuleId::UncoveredService && a.vendor.as_deref() == Some("aws"))
        .unwrap_or_else(|| panic!("{:#?}", report.actions));
    assert!(
        sign.headline.starts_with("Sign a BAA with") || sign.headline.starts_with("Close the BAA chain for")
    );
    assert_eq!(sign.services, 2);
    // Every finding is in exactly one action, and each action's findings share its rule.
    let mut seen: Vec<usize> = report.actions.iter().flat_map(|a| a.findings.clone()).collect();
    seen.sort_unstable();
    assert_eq!(seen, (0..report.findings.len()).collect::<Vec<_>>());
    for a in &report.actions {
        assert!(a.findings.iter().all(|&i| report.findings[i].rule == a.rule), "{a:?}");
    }
    // Most severe first, then the largest.
    for w in report.actions.windows(2) {
        assert!(
            w[0].severity > w[1].severity
                || (w[0].severity == w[1].severity && w[0].findings.len() >= w[1].findings.len()),
            "{:?} before {:?}",
            w[0].headline,
            w[1].headline
        );
    }
}

#[test]
fn different_plans_or_reasons_are_never_merged() {
    let world = base()
        .vendor("sentry", &[])
        .service(sentry_on("e1", "team", "acme-api"))
        .service(sentry_on("e2", "developer", "acme-api"))
        .agreement(baa("sentry-baa", "sentry", d("2026-02-01")))
        .build();
    let report = evaluate(&world, today(), &Policy::default());
    let plans: Vec<&str> = report
        .actions
        .iter()
        .filter(|a| a.rule == RuleId::PlanIneligible)
        .map(|a| a.headline.as_str())
        .collect();
    assert_eq!(plans.len(), 2, "{plans:?}");
    assert!(
        plans.iter().any(|h| h.contains("from Team")) && plans.iter().any(|h| h.contains("from Developer"))
    );
}
