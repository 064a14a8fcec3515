//! Rules about the Fly platform itself: orgs on a plan without a BAA, and non-production apps in
//! a production org.

use std::collections::HashSet;

use super::{env_text, Collector};
use crate::catalog::FLY;
use crate::coverage::engine::text::fly_plan_name;
use crate::coverage::engine::Index;
use crate::coverage::model::Environment;
use crate::coverage::report::{RuleId, Subject, SubjectKind};

impl<'w> Collector<'w> {
    /// `platform-plan-ineligible`: once per ineligible org that hosts or serves a PHI service.
    pub fn orgs(&mut self, ix: &Index<'w>, phi_orgs: &HashSet<&str>) {
        let terms = ix.vendor(FLY).map_or("publishes no BAA terms in the catalog", |v| v.baa_terms.as_str());
        let mut seen = HashSet::new();
        for org in ix.world.orgs.iter().rev() {
            if !seen.insert(org.slug.as_str())
                || !phi_orgs.contains(org.slug.as_str())
                || ix.org_eligible(org)
            {
                continue;
            }
            let plan = fly_plan_name(ix, org);
            self.push(
                RuleId::PlatformPlanIneligible,
                Subject { kind: SubjectKind::Org, id: org.slug.clone(), name: org.name.clone() },
                format!(
                    "Fly org {} hosts services that may handle PHI, but its plan {plan} does not include a BAA, so \
                     every chain through Fly.io in it fails.",
                    org.slug
                ),
                format!("Fly.io {terms}; org {} is on {plan}. Add the Compliance Package to {}.", org.slug, org.slug),
            );
        }
    }

    /// `environment-mixed` (b): non-production apps in a production org.
    pub fn apps(&mut self, ix: &Index<'w>) {
        let mut seen = HashSet::new();
        for app in ix.world.apps.iter().rev() {
            if !seen.insert(app.name.as_str()) {
                continue;
            }
            let env = app.environment();
            let Some(org) = ix.org(&app.org) else { continue };
            if org.environment != Environment::Production || env == Environment::Production {
                continue;
            }
            self.push(
                RuleId::EnvironmentMixed,
                Subject { kind: SubjectKind::App, id: app.name.clone(), name: app.name.clone() },
                format!("{} app {} runs in production org {}.", env_text(env), app.name, org.slug),
                format!(
                    "Move {} to a separate {} org so production stays isolated.",
                    app.name,
                    env_text(env)
                ),
            );
        }
    }
}
