//! Findings grouped into the actions a founder can take ("Sign a BAA with Arcjet: 200 services
//! in 40 apps"), most severe first, then the largest. Nothing is decided here: every action is a
//! set of findings the rules already produced, grouped only where the services share the rule,
//! the vendor, the plan and add-ons, the product and (for a missing chain) the exact reason, so the
//! headline is true of every service under it.

use super::text::{eligible_options, vendor_name};
use super::Index;
use crate::catalog::FLY;
use crate::coverage::model::Service;
use crate::coverage::report::{Action, Finding, RuleId, ServiceReport, SubjectKind, Verdict};
use std::collections::{BTreeSet, HashMap};

/// What a rule is about, as a short noun phrase for actions that stand for one finding.
pub fn rule_title(rule: RuleId) -> &'static str {
    match rule {
        RuleId::UncoveredService => "not covered by a BAA",
        RuleId::PlanIneligible => "plan is not BAA-eligible",
        RuleId::PlatformPlanIneligible => "Fly.io plan without a BAA",
        RuleId::AgreementExpired => "agreement expired",
        RuleId::AgreementExpiring => "agreement expiring",
        RuleId::DocumentMissing => "signed document missing",
        RuleId::ClausesIncomplete => "clause checklist incomplete",
        RuleId::CustomerUncovered => "customer without a signed BAA",
        RuleId::DownstreamUnverified => "subcontractors' BAAs not recorded",
        RuleId::EnvironmentMixed => "PHI outside production",
        RuleId::RegionOutsidePolicy => "region outside the policy",
        RuleId::PhiUnknown => "PHI status unknown",
        RuleId::RegionUnknown => "regions unknown",
        RuleId::ConfigurationUnconfirmed => "required configuration not confirmed",
        RuleId::AgreementEnding => "agreement ending",
        RuleId::RenewalNoticeDue => "renewal notice due",
    }
}

/// What services of one group share.
#[derive(Clone, PartialEq, Eq, Hash)]
struct Key<'w> {
    rule: RuleId,
    vendor: &'w str,
    plan: &'w str,
    add_ons: Vec<&'w str>,
    product: &'w str,
    why: &'w str,
}

/// Groups `findings` into actions.
pub fn actions(ix: &Index<'_>, findings: &[Finding], services: &[ServiceReport]) -> Vec<Action> {
    let by_id: HashMap<&str, &Service> = ix.world.services.iter().map(|s| (s.id.as_str(), s)).collect();
    let why: HashMap<&str, &str> = services
        .iter()
        .filter_map(|r| match &r.verdict {
            Verdict::Uncovered { why } => Some((r.service.as_str(), why.as_str())),
            _ => None,
        })
        .collect();
    let mut groups: Vec<(Option<Key<'_>>, Vec<usize>)> = Vec::new();
    let mut index: HashMap<Key<'_>, usize> = HashMap::new();
    for (i, f) in findings.iter().enumerate() {
        let service =
            (f.subject.kind == SubjectKind::Service).then(|| by_id.get(f.subject.id.as_str())).flatten();
        let Some(s) = service else {
            groups.push((None, vec![i]));
            continue;
        };
        let mut add_ons: Vec<&str> = s.add_ons.iter().map(String::as_str).collect();
        add_ons.sort_unstable();
        let key = Key {
            rule: f.rule,
            vendor: &s.vendor,
            plan: &s.plan,
            add_ons,
            product: &s.product,
            why: if f.rule == RuleId::UncoveredService {
                why.get(s.id.as_str()).copied().unwrap_or("")
            } else {
                ""
            },
        };
        match index.get(&key) {
            Some(&g) => groups[g].1.push(i),
            None => {
                index.insert(key.clone(), groups.len());
                groups.push((Some(key), vec![i]));
            }
        }
    }
    let mut out: Vec<Action> = groups
        .into_iter()
        .map(|(key, members)| {
            let first = &findings[members[0]];
            let mut apps: BTreeSet<&str> = BTreeSet::new();
            let mut vendor = None;
            for &m in &members {
                if let Some(s) = by_id.get(findings[m].subject.id.as_str()) {
                    apps.extend(s.apps.iter().map(String::as_str));
                    vendor = Some(s.vendor.clone());
                }
            }
            let (headline, why) = match &key {
                Some(k) => headline(ix, k),
                None => (format!("{}: {}", first.subject.name, rule_title(first.rule)), None),
            };
            Action {
                severity: first.severity,
                rule: first.rule,
                headline,
                why,
                findings: members.clone(),
                services: if key.is_some() { members.len() } else { 0 },
                apps: apps.len(),
                vendor: vendor.filter(|_| key.is_some()),
            }
        })
        .collect();
    out.sort_by(|a, b| {
        b.severity
            .cmp(&a.severity)
            .then(b.findings.len().cmp(&a.findings.len()))
            .then_with(|| a.headline.cmp(&b.headline))
    });
    out
}

/// The headline of a group of services, and the reason they share when it is not in it.
fn headline(ix: &Index<'_>, k: &Key<'_>) -> (String, Option<String>) {
    let vendor = vendor_name(ix, k.vendor);
    let plan = ix.vendor(k.vendor).map_or(k.plan, |v| v.plan_name(k.plan));
    match k.rule {
        RuleId::UncoveredService if k.vendor == FLY || k.why == format!("no BAA with {vendor}") => {
            (format!("Sign a BAA with {vendor}"), None)
        }
        RuleId::UncoveredService => (format!("Close the BAA chain for {vendor}"), Some(k.why.to_owned())),
        RuleId::PlanIneligible => {
            let options = ix.vendor(k.vendor).map(eligible_options).unwrap_or_default();
            if options.is_empty() {
                (format!("Find a BAA-eligible plan for {vendor} (now {plan})"), None)
            } else {
                (format!("Move {vendor} from {plan} to {}", options.join(" or ")), None)
            }
        }
        RuleId::PhiUnknown => (format!("Record whether {vendor} services handle PHI"), None),
        RuleId::EnvironmentMixed => (format!("Keep PHI out of non-production {vendor} services"), None),
        RuleId::RegionOutsidePolicy => (format!("Move {vendor} services into the allowed regions"), None),
        RuleId::RegionUnknown => (format!("Record the regions of {vendor} services"), None),
        RuleId::ConfigurationUnconfirmed => (format!("Confirm the configuration {vendor} requires"), None),
        rule => (format!("{vendor}: {}", rule_title(rule)), None),
    }
}
