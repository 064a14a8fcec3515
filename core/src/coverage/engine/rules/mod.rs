//! The verdict of each PHI service from its chains, and every other rule.
//!
//! The [`Collector`] and the helpers its rules share are here; the rules are in one file per
//! family: the verdict and its findings, per-service rules, Fly orgs and apps, customers and
//! vendors' subcontractors, and agreements with their deadlines.

mod agreements;
mod parties;
mod platform;
mod services;
mod verdict;

use std::collections::BTreeMap;

use super::text::agreement_name;
use super::{finding, Index};
use crate::coverage::model::{AgreementKind, Environment, Policy, Standing};
use crate::coverage::report::{Finding, RuleId, Subject, SubjectKind};

/// Findings gathered during one evaluation.
#[derive(Default)]
pub(super) struct Collector<'w> {
    pub findings: Vec<Finding>,
    /// Expired agreements that chains still rely on, with the services relying on them.
    expired_users: BTreeMap<usize, Vec<&'w str>>,
}

/// A link between two parties with no scope to check (customers, subcontractors).
enum Simple {
    Active,
    Expired(usize),
    Absent(Vec<usize>),
}

fn simple(ix: &Index<'_>, a: &str, b: &str, fits: impl Fn(&AgreementKind) -> bool) -> Simple {
    let (mut active, mut expired, mut other) = (false, None::<usize>, Vec::new());
    for &i in ix.between(a, b) {
        if !fits(&ix.agreement(i).kind) {
            continue;
        }
        match ix.standing(i) {
            Standing::Active => active = true,
            Standing::Expired(_) => {
                if expired.is_none_or(|e| ix.lasts(i) > ix.lasts(e)) {
                    expired = Some(i);
                }
            }
            Standing::NotYetRecorded => {}
            _ => other.push(i),
        }
    }
    match (active, expired) {
        (true, _) => Simple::Active,
        (false, Some(i)) => Simple::Expired(i),
        (false, None) => Simple::Absent(other),
    }
}

fn env_text(env: Environment) -> &'static str {
    match env {
        Environment::Production => "production",
        Environment::Staging => "staging",
        Environment::Development => "development",
    }
}

fn agreement_subject(ix: &Index<'_>, i: usize) -> Subject {
    Subject {
        kind: SubjectKind::Agreement,
        id: ix.agreement(i).id.clone(),
        name: agreement_name(ix, i).to_owned(),
    }
}

/// Whether PHI may live in `region` under the policy and the org's own list (`None`: no limit).
fn region_allowed(policy: &Policy, org_regions: Option<&[String]>, region: &str) -> bool {
    let policy_ok = policy.allowed_regions.is_empty() || policy.allowed_regions.iter().any(|r| r == region);
    policy_ok && org_regions.is_none_or(|list| list.iter().any(|r| r == region))
}

impl<'w> Collector<'w> {
    fn push(&mut self, rule: RuleId, subject: Subject, explanation: String, next_step: String) {
        self.findings.push(finding(rule, subject, explanation, next_step));
    }
}
