//! Rules about one PHI service that do not decide its verdict: PHI unknown, non-production
//! orgs, regions, and the configuration its vendor requires.

use std::collections::BTreeSet;

use super::{env_text, region_allowed, Collector};
use crate::coverage::engine::text::{listing, product_label};
use crate::coverage::engine::{service_subject, unknown_reason, Index};
use crate::coverage::model::{Environment, Service};
use crate::coverage::report::RuleId;

impl<'w> Collector<'w> {
    /// Rules about one PHI service that do not decide its verdict.
    pub fn service_rules(&mut self, ix: &Index<'w>, s: &'w Service) {
        self.phi_unknown(ix, s);
        self.environment(ix, s);
        self.regions(ix, s);
        self.configuration(ix, s);
    }

    fn phi_unknown(&mut self, ix: &Index<'w>, s: &'w Service) {
        let Some(said) = unknown_reason(&s.phi) else { return };
        let used_by =
            if s.apps.is_empty() { String::new() } else { format!(" (used by {})", listing(&s.apps)) };
        self.push(
            RuleId::PhiUnknown,
            service_subject(ix, s),
            format!("{} ({}): {said}, so it is treated as handling PHI.", s.name, product_label(ix, s)),
            format!(
                "Record whether {}{used_by} handles PHI, with the basis if it does not (no PHI sent by \
                 design, transmission-only conduit, or de-identified data).",
                s.name
            ),
        );
    }

    fn environment(&mut self, ix: &Index<'w>, s: &'w Service) {
        let outside: Vec<String> = ix
            .orgs_of(s)
            .into_iter()
            .filter_map(|o| ix.org(o))
            .filter(|o| o.environment != Environment::Production)
            .map(|o| format!("{} ({})", o.slug, env_text(o.environment)))
            .collect();
        if outside.is_empty() {
            return;
        }
        self.push(
            RuleId::EnvironmentMixed,
            service_subject(ix, s),
            format!(
                "{} may handle PHI but lives in or is used from non-production org {}.",
                s.name,
                outside.join(", ")
            ),
            format!(
                "Use synthetic data in {} or move it to the production org; if it holds no PHI, record that \
                 with the basis.",
                s.name
            ),
        );
    }

    fn regions(&mut self, ix: &Index<'w>, s: &'w Service) {
        let policy = ix.policy;
        let home = ix.platform_org(s).and_then(|o| ix.org(o));
        let home_regions = home.and_then(|o| o.allowed_regions.as_deref());
        let apps: Vec<_> = s.apps.iter().filter_map(|a| ix.app(a)).collect();
        let mut bad: BTreeSet<&str> = BTreeSet::new();
        for r in &s.regions {
            if !region_allowed(policy, home_regions, r) {
                bad.insert(r);
            }
        }
        let mut limited = !policy.allowed_regions.is_empty() || home_regions.is_some_and(|r| !r.is_empty());
        for app in &apps {
            let org_regions = ix.org(&app.org).and_then(|o| o.allowed_regions.as_deref());
            limited |= org_regions.is_some_and(|r| !r.is_empty());
            for r in &app.regions {
                if !region_allowed(policy, org_regions, r) {
                    bad.insert(r);
                }
            }
        }
        if s.regions.is_empty() && limited {
            self.push(
                RuleId::RegionUnknown,
                service_subject(ix, s),
                format!(
                    "{} may handle PHI and its regions are unknown, so the region policy cannot be checked and \
                     no BAA limited to regions can cover it.",
                    s.name
                ),
                format!("Record the regions where {} keeps its data.", s.name),
            );
        }
        if bad.is_empty() {
            return;
        }
        let bad: Vec<&str> = bad.into_iter().collect();
        let allowed_text = if policy.allowed_regions.is_empty() {
            "the org's allowed regions".to_owned()
        } else {
            policy.allowed_regions.join(", ")
        };
        self.push(
            RuleId::RegionOutsidePolicy,
            service_subject(ix, s),
            format!(
                "{} may handle PHI and runs in {} (itself or through {}), outside the allowed regions.",
                s.name,
                bad.join(", "),
                if s.apps.is_empty() { "no app".to_owned() } else { listing(&s.apps) }
            ),
            format!(
                "Move {} and the apps using it out of {} into {allowed_text}, or change the policy.",
                s.name,
                bad.join(", ")
            ),
        );
    }

    fn configuration(&mut self, ix: &Index<'w>, s: &'w Service) {
        let Some(vendor) = ix.vendor(&s.vendor) else { return };
        let required = vendor.required_configuration_for(&s.add_ons);
        let missing: Vec<&str> = required
            .into_iter()
            .filter(|item| !s.attestations.iter().any(|a| a.item == *item && a.holds_on(ix.as_of)))
            .collect();
        if missing.is_empty() {
            return;
        }
        let lapsed = missing.iter().any(|item| s.attestations.iter().any(|a| a.item == *item));
        self.push(
            RuleId::ConfigurationUnconfirmed,
            service_subject(ix, s),
            format!(
                "{} requires {} for its BAA to hold, and nobody has confirmed {} on {}{}.",
                vendor.name,
                listing(&missing),
                if missing.len() == 1 { "it" } else { "them" },
                s.name,
                if lapsed { " (or the confirmation is past its review date)" } else { "" }
            ),
            format!(
                "Check {} in {}'s settings and record who confirmed it, when, and when to review it again, on \
                 the service's page.",
                listing(&missing),
                s.name
            ),
        );
    }
}
