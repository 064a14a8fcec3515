//! What a save did to coverage: the confirmation shown after recording an agreement, saving a
//! service or applying an import, computed from the report before and the report after.
//!
//! The message never calls something "saved" in a success tone while it leaves a service it
//! concerns uncovered: then it is a [`Tone::Warning`] with a headline, a link to the first
//! uncovered service and one next step.

use super::model::{Role, ServiceProvisioning, World};
use super::report::{Report, ServiceReport, Severity, Verdict};
use crate::catalog::FLY;
use serde::{Deserialize, Serialize};

/// How many services a message names before it says "and N more".
const NAMED: usize = 5;

/// How the confirmation is shown.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Tone {
    /// Everything the save concerns is covered.
    #[default]
    Ok,
    /// Nothing the save concerns is uncovered, but nothing is covered by it either.
    Neutral,
    /// The save leaves something it concerns uncovered.
    Warning,
}

/// The effect of one save on coverage.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Effect {
    /// How to show it.
    pub tone: Tone,
    /// One sentence: what the save did to coverage.
    pub headline: String,
    /// Reasons and near misses, one sentence each.
    pub details: Vec<String>,
    /// The first service left uncovered: its page and its name.
    pub link: Option<(String, String)>,
    /// The one next step.
    pub next_step: Option<String>,
}

fn services(n: usize) -> String {
    if n == 1 {
        "1 service".to_owned()
    } else {
        format!("{n} services")
    }
}

fn names(list: &[&ServiceReport]) -> String {
    let shown: Vec<&str> = list.iter().take(NAMED).map(|s| s.name.as_str()).collect();
    let mut text = shown.join(", ");
    if list.len() > NAMED {
        text.push_str(&format!(" and {} more", list.len() - NAMED));
    }
    text
}

fn was_covered(before: &Report, id: &str) -> Option<bool> {
    before.services.iter().find(|s| s.service == id).map(|s| s.verdict.is_covered())
}

fn why(s: &ServiceReport) -> &str {
    match &s.verdict {
        Verdict::Uncovered { why } => why,
        _ => "",
    }
}

/// The most severe finding's next step for a service, if any.
fn next_step_for(after: &Report, id: &str) -> Option<String> {
    after
        .findings
        .iter()
        .filter(|f| f.subject.id == id && f.severity == Severity::Critical)
        .map(|f| f.next_step.clone())
        .next()
}

/// Near misses that name a plan: "the Sentry plan finding" explanation, when the engine has one.
fn plan_explanation(after: &Report, id: &str) -> Option<String> {
    after
        .findings
        .iter()
        .find(|f| f.subject.id == id && f.rule == super::report::RuleId::PlanIneligible)
        .map(|f| f.explanation.clone())
}

/// Warning about `uncovered` (non-empty): link to the first, its next step, the reasons.
fn warn(after: &Report, headline: String, uncovered: &[&ServiceReport], mut details: Vec<String>) -> Effect {
    let first = uncovered[0];
    // Services that fail for the same reason are named together, so a reason shared by twelve
    // services reads once.
    let mut groups: Vec<(&str, Vec<&ServiceReport>)> = Vec::new();
    for s in uncovered {
        match groups.iter_mut().find(|(w, _)| *w == why(s)) {
            Some((_, list)) => list.push(s),
            None => groups.push((why(s), vec![s])),
        }
    }
    for (reason, list) in groups.iter().take(NAMED) {
        let id = &list[0].service;
        let text = match plan_explanation(after, id) {
            Some(plan) if list.len() == 1 => plan,
            _ if reason.is_empty() => format!("{} not covered.", names(list)),
            _ => format!("{}: {reason}.", names(list)),
        };
        details.push(text);
    }
    Effect {
        tone: Tone::Warning,
        headline,
        details,
        link: Some((format!("/services/{}", first.service), first.name.clone())),
        next_step: next_step_for(after, &first.service),
    }
}

/// After saving one service.
pub fn of_service(world: &World, before: &Report, after: &Report, id: &str) -> Effect {
    let Some(s) = after.services.iter().find(|s| s.service == id) else {
        return Effect {
            tone: Tone::Neutral,
            headline: "Service saved; it does not exist on today's date, so it is not evaluated.".to_owned(),
            ..Effect::default()
        };
    };
    match &s.verdict {
        Verdict::Covered { chain } => {
            let chain: Vec<&str> = chain
                .iter()
                .map(|a| {
                    world.agreements.iter().find(|x| &x.id == a).map_or(a.as_str(), |x| x.title.as_str())
                })
                .collect();
            let now = if was_covered(before, id) == Some(true) { "is covered" } else { "is now covered" };
            Effect { headline: format!("{} {now} by {}.", s.name, chain.join(" and ")), ..Effect::default() }
        }
        Verdict::CoveredNoPhi { reason } => Effect {
            headline: format!("{} is recorded as handling no PHI ({reason}), so it needs no BAA.", s.name),
            ..Effect::default()
        },
        Verdict::Uncovered { .. } => {
            let headline = if was_covered(before, id) == Some(true) {
                format!("{} is no longer covered.", s.name)
            } else {
                format!("{} is saved but not covered.", s.name)
            };
            warn(after, headline, &[s], Vec::new())
        }
    }
}

/// After an import that created or changed the services `ids`.
pub fn of_import(before: &Report, after: &Report, ids: &[String], created: usize, updated: usize) -> Effect {
    let touched: Vec<&ServiceReport> = after.services.iter().filter(|s| ids.contains(&s.service)).collect();
    let uncovered: Vec<&ServiceReport> =
        touched.iter().copied().filter(|s| !s.verdict.is_covered()).collect();
    let lost: Vec<&ServiceReport> = after
        .services
        .iter()
        .filter(|s| {
            !ids.contains(&s.service)
                && !s.verdict.is_covered()
                && was_covered(before, &s.service) == Some(true)
        })
        .collect();
    let applied = format!("Import applied: {created} created, {updated} changed.");
    let overall = format!(
        "Overall {} of {} PHI services are covered (before the import: {} of {}).",
        after.summary.covered_phi,
        after.summary.phi_services,
        before.summary.covered_phi,
        before.summary.phi_services
    );
    let mut all: Vec<&ServiceReport> = uncovered.clone();
    all.extend(lost.iter().copied());
    if all.is_empty() {
        let headline = if touched.is_empty() {
            format!("{applied} No service was added or changed.")
        } else {
            format!("{applied} All {} imported are covered.", services(touched.len()))
        };
        return Effect { tone: Tone::Ok, headline, details: vec![overall], ..Effect::default() };
    }
    let mut headline = applied;
    if !uncovered.is_empty() {
        headline.push_str(&format!(" {} of {} imported are not covered.", uncovered.len(), touched.len()));
    }
    if !lost.is_empty() {
        headline.push_str(&format!(" {} no longer covered: {}.", services(lost.len()), names(&lost)));
    }
    warn(after, headline, &all, vec![overall])
}

/// The vendor slug a party stands for, when it is a vendor.
fn vendor_of<'w>(world: &'w World, party: &str) -> Option<&'w str> {
    world.parties.iter().find(|p| p.id == party).and_then(|p| match &p.role {
        Role::Vendor { vendor, .. } => Some(vendor.as_str()),
        _ => None,
    })
}

/// After recording (or changing) the agreement `id`.
pub fn of_agreement(world: &World, before: &Report, after: &Report, id: &str) -> Effect {
    let Some(a) = world.agreements.iter().find(|x| x.id == id) else {
        return Effect {
            tone: Tone::Neutral,
            headline: "Agreement recorded.".to_owned(),
            ..Effect::default()
        };
    };
    let name = if a.title.is_empty() { a.id.as_str() } else { a.title.as_str() };
    let vendors: Vec<&str> = a.parties.iter().filter_map(|p| vendor_of(world, p)).collect();
    let vendor_names: Vec<&str> = a
        .parties
        .iter()
        .filter(|p| vendor_of(world, p).is_some())
        .filter_map(|p| world.parties.iter().find(|x| &x.id == p).map(|x| x.name.as_str()))
        .collect();
    // The services the agreement is about: those of its vendors, and for an agreement with
    // Fly.io every service provisioned through Fly.
    let related: Vec<&ServiceReport> = after
        .services
        .iter()
        .filter(|r| {
            world.services.iter().any(|s| {
                s.id == r.service
                    && r.phi
                    && (vendors.contains(&s.vendor.as_str())
                        || (vendors.contains(&FLY)
                            && matches!(s.provisioning, ServiceProvisioning::Platform { .. })))
            })
        })
        .collect();
    let covers: Vec<&ServiceReport> = after
        .services
        .iter()
        .filter(|s| matches!(&s.verdict, Verdict::Covered { chain } if chain.iter().any(|c| c == id)))
        .collect();
    let newly = covers.iter().filter(|s| was_covered(before, &s.service) == Some(false)).count();
    let uncovered: Vec<&ServiceReport> =
        related.iter().copied().filter(|s| !s.verdict.is_covered()).collect();
    let mut headline = if covers.is_empty() {
        format!("{name} covers 0 services")
    } else {
        format!("{name} now covers {}", services(covers.len()))
    };
    if newly > 0 && newly < covers.len() {
        headline.push_str(&format!(" ({newly} newly covered)"));
    }
    if uncovered.is_empty() {
        if covers.is_empty() {
            let whose =
                if vendor_names.is_empty() { "its parties".to_owned() } else { vendor_names.join(" or ") };
            return Effect {
                tone: Tone::Neutral,
                headline: format!("{headline}: no service in the inventory may handle PHI with {whose}."),
                ..Effect::default()
            };
        }
        headline.push('.');
        return Effect {
            headline,
            details: vec![format!("Covered: {}.", names(&covers))],
            ..Effect::default()
        };
    }
    let first_why = why(uncovered[0]);
    let same = uncovered.iter().filter(|s| why(s) == first_why).count();
    if covers.is_empty() && !first_why.is_empty() {
        headline.push_str(&format!(": {first_why}"));
        if same > 1 {
            headline.push_str(&format!(" (fixing that would cover {})", services(same)));
        }
        headline.push('.');
    } else {
        let on = if vendor_names.is_empty() { "its parties".to_owned() } else { vendor_names.join(" or ") };
        headline.push_str(&format!(
            "; {} that {} on {on} still not covered.",
            services(uncovered.len()),
            if uncovered.len() == 1 { "depends" } else { "depend" }
        ));
    }
    let details = if covers.is_empty() { Vec::new() } else { vec![format!("Covered: {}.", names(&covers))] };
    warn(after, headline, &uncovered, details)
}

/// The confirmation when a save has no coverage report to compare (it could not be evaluated).
pub fn unknown(headline: &str) -> Effect {
    Effect { tone: Tone::Neutral, headline: headline.to_owned(), ..Effect::default() }
}

impl Effect {
    /// The whole message as plain text (headline, reasons, next step).
    pub fn text(&self) -> String {
        let mut parts = vec![self.headline.clone()];
        parts.extend(self.details.iter().cloned());
        if let Some(step) = &self.next_step {
            parts.push(format!("Next step: {step}"));
        }
        parts.join(" ")
    }
}
