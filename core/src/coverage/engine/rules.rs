//! The verdict of each PHI service from its chains, and every other rule.

use std::collections::{BTreeMap, BTreeSet, HashSet};

use super::chain::{Chain, Link, Resolution, Way};
use super::text::{
    agreement_name, eligible_options, expired_text, fly_plan_name, listing, party_name, plan_name,
    plan_phrase, product_label, product_name, terms, uses, vendor_name, who_uses,
};
use super::{finding, service_subject, unknown_reason, Index};
use crate::catalog::FLY;
use crate::coverage::model::{
    AgreementKind, Clause, Downstream, Environment, Policy, Role, Service, Standing, Status,
};
use crate::coverage::report::{Deadline, DeadlineKind, Finding, RuleId, Subject, SubjectKind, Verdict};

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

    /// The verdict of a PHI service from its chains, with the findings that explain a failure.
    pub fn verdict(&mut self, ix: &Index<'w>, s: &'w Service, r: &Resolution) -> Verdict {
        if let Some(chain) = &r.covered {
            return Verdict::Covered { chain: chain.iter().map(|&i| ix.agreement(i).id.clone()).collect() };
        }
        let present = r.present();
        let mut causes: Vec<String> = Vec::new();
        let mut missing: Vec<String> = Vec::new();
        let mut other: Vec<String> = Vec::new();
        let mut ineligible: Vec<(Way, usize, bool, bool)> = Vec::new();
        for chain in &r.chains {
            let complete = chain.present();
            for link in &chain.links {
                match link {
                    Link::Holds(_) => {}
                    Link::Fails { agreement, expired, plan, product, org } => {
                        let into = if complete { &mut causes } else { &mut other };
                        if *expired {
                            self.expired_users.entry(*agreement).or_default().push(&s.name);
                            into.push(expired_text(ix, *agreement));
                        }
                        if *plan || *product {
                            into.push(ineligible_text(ix, s, chain.way, *plan, *product));
                            if complete {
                                ineligible.push((chain.way, *agreement, *plan, *product));
                            }
                        }
                        if let Some(o) = org {
                            into.push(o.clone());
                        }
                    }
                    Link::Missing { text, .. } => missing.push(text.clone()),
                }
            }
        }
        let mut pieces = causes;
        pieces.extend(missing);
        for o in other {
            if !pieces.contains(&o) {
                pieces.push(o);
            }
        }
        pieces.dedup();
        let why = pieces.join("; ");
        let label = product_label(ix, s);
        if let Some(&(way, _, plan, product)) = ineligible.first() {
            let (explanation, step) = plan_finding(ix, s, &label, way, plan, product);
            self.push(RuleId::PlanIneligible, service_subject(ix, s), explanation, step);
        }
        if !present {
            self.push(
                RuleId::UncoveredService,
                service_subject(ix, s),
                format!("{} ({label}) may handle PHI and has no active BAA chain: {why}.", s.name),
                uncovered_step(ix, s, &r.chains),
            );
        }
        Verdict::Uncovered { why }
    }

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

    /// One `agreement-expired` per expired agreement some chain still relies on.
    pub fn expired(&mut self, ix: &Index<'w>) {
        let users = std::mem::take(&mut self.expired_users);
        for (i, mut names) in users {
            names.sort_unstable();
            names.dedup();
            let a = ix.agreement(i);
            let us = ix.world.us.as_str();
            let other = if a.parties.iter().any(|p| p == us) {
                party_name(ix, a.other(us))
            } else {
                party_name(ix, &a.parties[1])
            };
            let expiry = a.expiry.map_or_else(String::new, |d| d.to_string());
            let name = agreement_name(ix, i);
            self.push(
                RuleId::AgreementExpired,
                agreement_subject(ix, i),
                format!("{name} expired on {expiry} and was not renewed; {} relies on it.", listing(&names)),
                format!(
                    "Renew {name} with {other} and record the new agreement; until then keep PHI out of {}.",
                    listing(&names)
                ),
            );
        }
    }

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

    /// `customer-uncovered`.
    pub fn customers(&mut self, ix: &Index<'w>) {
        let us = ix.world.us.as_str();
        for p in &ix.world.parties {
            if !matches!(p.role, Role::Customer { active: true, handles_phi: true }) {
                continue;
            }
            let why = match simple(ix, us, &p.id, |k| *k == AgreementKind::Baa) {
                Simple::Active => continue,
                Simple::Expired(i) => expired_text(ix, i),
                Simple::Absent(others) => super::text::missing_link(ix, "BAA", &others, &[], &[]),
            };
            self.push(
                RuleId::CustomerUncovered,
                Subject { kind: SubjectKind::Customer, id: p.id.clone(), name: p.name.clone() },
                format!("We handle PHI of active customer {} without a signed BAA: {why}.", p.name),
                format!(
                    "Sign a BAA between {} and {} (or renew it) before handling more of its PHI.",
                    p.name,
                    party_name(ix, us)
                ),
            );
        }
    }

    /// `downstream-unverified`: from the vendors that see PHI down their listed subcontractors.
    pub fn downstream(&mut self, ix: &Index<'w>, in_use: &HashSet<&'w str>) {
        let mut queue: Vec<(&'w str, bool)> = in_use.iter().map(|id| (*id, true)).collect();
        queue.sort_unstable();
        let mut seen: HashSet<&str> = queue.iter().map(|(id, _)| *id).collect();
        while let Some((id, ours)) = queue.pop() {
            let Some(party) = ix.party(id) else { continue };
            let subject =
                Subject { kind: SubjectKind::Vendor, id: party.id.clone(), name: party.name.clone() };
            match party.role.downstream() {
                None | Some(Downstream::None) => {}
                // Only the vendors we contract with owe us their list; their subcontractors'
                // own lists are theirs to obtain (45 CFR 164.502(e)(1)(ii)).
                Some(Downstream::Unknown) if ours => self.push(
                    RuleId::DownstreamUnverified,
                    subject,
                    format!(
                        "{} handles PHI for us, and nobody has recorded whether it uses subcontractors that do \
                         (unknown is not none).",
                        party.name
                    ),
                    format!(
                        "Ask {} for its list of subcontractors that handle PHI and record it (or that it uses \
                         none), with their BAAs.",
                        party.name
                    ),
                ),
                Some(Downstream::Unknown) => {}
                Some(Downstream::Listed { subcontractors }) => {
                    let mut missing = Vec::new();
                    for sub in subcontractors {
                        match simple(ix, id, sub, |k| *k == AgreementKind::SubcontractorBaa) {
                            Simple::Active => {}
                            Simple::Expired(i) => missing.push(format!(
                                "{} (BAA expired {})",
                                party_name(ix, sub),
                                ix.agreement(i).expiry.map_or_else(String::new, |d| d.to_string())
                            )),
                            Simple::Absent(_) => missing.push(party_name(ix, sub).to_owned()),
                        }
                        if seen.insert(sub.as_str()) {
                            queue.push((sub.as_str(), false));
                        }
                    }
                    if !missing.is_empty() {
                        self.push(
                            RuleId::DownstreamUnverified,
                            subject,
                            format!(
                                "{} lists PHI subcontractors without a recorded active subcontractor BAA: {}.",
                                party.name,
                                listing(&missing)
                            ),
                            format!(
                                "Ask {} for its subcontractor BAAs with {} and record them.",
                                party.name,
                                listing(&missing)
                            ),
                        );
                    }
                }
            }
        }
    }

    /// Per-agreement rules and the deadlines list.
    pub fn agreements(&mut self, ix: &Index<'w>, policy: &Policy) -> Vec<Deadline> {
        let mut deadlines = Vec::new();
        let max_window = policy.reminder_windows.iter().copied().max();
        let us = ix.world.us.as_str();
        for (i, a) in ix.world.agreements.iter().enumerate() {
            let ours = a.parties.iter().any(|p| p == us);
            let platform = matches!(a.kind, AgreementKind::PlatformAgreement { .. });
            let other = if ours { party_name(ix, a.other(us)) } else { party_name(ix, &a.parties[1]) };
            let name = agreement_name(ix, i);
            let signed = a.status_on(ix.as_of) == Some(Status::Signed);
            if signed && (ours || platform) && !a.has_executed_document {
                let (what, step) = if ours {
                    (
                        "no executed document is uploaded",
                        format!("Upload the executed copy of {name} with {other}."),
                    )
                } else {
                    (
                        "no written confirmation from the platform is uploaded",
                        format!(
                            "Upload Fly.io's written confirmation or amendment that extends its BAA ({name}); \
                             until then the record rests on our word alone."
                        ),
                    )
                };
                self.push(
                    RuleId::DocumentMissing,
                    agreement_subject(ix, i),
                    format!("{name} with {other} is marked signed but {what}."),
                    step,
                );
            }
            let missing: Vec<&str> = if signed && ours {
                a.unconfirmed_clauses().into_iter().map(Clause::label).collect()
            } else {
                Vec::new()
            };
            if !missing.is_empty() {
                self.push(
                    RuleId::ClausesIncomplete,
                    agreement_subject(ix, i),
                    format!(
                        "{name} with {other} has {} of 12 required clauses confirmed; unconfirmed: {}.",
                        12 - missing.len(),
                        missing.join(", ")
                    ),
                    format!(
                        "Find {} in {name}, record where each is and confirm it, or ask {other} for an amendment.",
                        missing.join(", ")
                    ),
                );
            }
            let (Standing::Active, Some(max)) = (ix.standing(i), max_window) else { continue };
            for (kind, on) in self.agreement_deadlines(ix, i) {
                let days_left = (on - ix.as_of).num_days();
                if days_left < 0 || days_left > i64::from(max) {
                    continue;
                }
                let window = policy
                    .reminder_windows
                    .iter()
                    .copied()
                    .filter(|w| i64::from(*w) >= days_left)
                    .min()
                    .unwrap_or(max);
                let (rule, explanation, step) = match kind {
                    DeadlineKind::Expiry => (
                        RuleId::AgreementExpiring,
                        format!(
                            "{name} with {other} expires on {on}, in {days_left} days (the {window}-day reminder)."
                        ),
                        format!("Start renewing {name} with {other} before {on}."),
                    ),
                    DeadlineKind::Termination => (
                        RuleId::AgreementEnding,
                        format!("{name} with {other} is terminated from {on}, in {days_left} days."),
                        format!(
                            "Sign a replacement with {other} or another vendor before {on}, or move PHI off the \
                             services that rely on {name}."
                        ),
                    ),
                    DeadlineKind::SupersededWithoutSuccessor => (
                        RuleId::AgreementEnding,
                        format!(
                            "{name} with {other} is superseded from {on}, in {days_left} days, but no agreement that \
                             replaces it is recorded."
                        ),
                        format!("Record the agreement that replaces {name} (renew it), or correct its status."),
                    ),
                    DeadlineKind::RenewalNotice => (
                        RuleId::RenewalNoticeDue,
                        format!(
                            "{name} with {other} renews itself unless notice is given by {on}, in {days_left} days \
                             ({} days before the term ends).",
                            a.notice_days.unwrap_or(0)
                        ),
                        format!("Decide by {on} whether {name} should renew; give {other} notice by then if not."),
                    ),
                };
                self.push(rule, agreement_subject(ix, i), explanation, step);
                deadlines.push(Deadline {
                    agreement: a.id.clone(),
                    name: name.to_owned(),
                    kind,
                    on,
                    days_left,
                    window,
                });
            }
        }
        deadlines
            .sort_by(|x, y| (x.days_left, &x.agreement, x.kind).cmp(&(y.days_left, &y.agreement, y.kind)));
        deadlines
    }

    /// The deadlines of an agreement active on the day.
    fn agreement_deadlines(&self, ix: &Index<'w>, i: usize) -> Vec<(DeadlineKind, chrono::NaiveDate)> {
        let a = ix.agreement(i);
        let mut out = Vec::new();
        if let (Some(expiry), false) = (a.expiry, a.auto_renews) {
            out.push((DeadlineKind::Expiry, expiry));
        }
        match a.ends_after(ix.as_of) {
            Some((on, Status::Terminated)) => out.push((DeadlineKind::Termination, on)),
            Some((on, _)) if !ix.is_succeeded(&a.id) => {
                out.push((DeadlineKind::SupersededWithoutSuccessor, on))
            }
            _ => {}
        }
        if let (true, Some(days), Some(end)) = (a.auto_renews, a.notice_days, a.term_end_on(ix.as_of)) {
            if let Some(by) = end.checked_sub_days(chrono::Days::new(u64::from(days))) {
                out.push((DeadlineKind::RenewalNotice, by));
            }
        }
        out
    }
}

/// "the Team plan with Prod Pack is not BAA-eligible for Sentry" (or the product).
fn ineligible_text(ix: &Index<'_>, s: &Service, way: Way, plan: bool, product: bool) -> String {
    let vendor = vendor_name(ix, &s.vendor);
    let mut parts = Vec::new();
    if plan {
        parts.push(format!("{} is not BAA-eligible for {vendor}", plan_phrase(ix, s)));
    }
    if product {
        parts.push(format!("{} is not recorded as a BAA-eligible {vendor} product", product_name(ix, s)));
    }
    let text = parts.join(" and ");
    if way == Way::Platform {
        format!("{text} (a platform agreement covers only what {vendor} signs BAAs for, unless it names it)")
    } else {
        text
    }
}

/// The `plan-ineligible` explanation and next step.
fn plan_finding(
    ix: &Index<'_>,
    s: &Service,
    label: &str,
    way: Way,
    plan: bool,
    product: bool,
) -> (String, String) {
    let vendor = vendor_name(ix, &s.vendor);
    let exists = if way == Way::Platform {
        format!("Fly.io's agreement extending its BAA to {vendor} extensions exists")
    } else {
        format!("A BAA with {vendor} exists")
    };
    let what = match (plan, product) {
        (true, true) => format!("uses {} and {}", plan_phrase(ix, s), product_name(ix, s)),
        (true, false) => format!("uses {}", plan_phrase(ix, s)),
        _ => format!("is {}", product_name(ix, s)),
    };
    let explanation = format!("{exists}, but {} ({label}) {what}, which is not BAA-eligible.", s.name);
    let mut step = format!("{}; {} {} {}.", terms(ix, &s.vendor), who_uses(s), uses(s), plan_name(ix, s));
    let options = ix.vendor(&s.vendor).map(eligible_options).unwrap_or_default();
    if plan && !options.is_empty() {
        step.push_str(&format!(" Move {} to {} or keep PHI out of it.", s.name, options.join(" or ")));
        if let Some(v) = ix.vendor(&s.vendor) {
            let config: Vec<&str> = v
                .required_configuration
                .iter()
                .chain(v.add_ons.iter().flat_map(|a| a.required_configuration.iter()))
                .map(String::as_str)
                .collect();
            if !config.is_empty() {
                step.push_str(&format!(" {} also requires: {}.", v.name, config.join(", ")));
            }
        }
    } else if plan {
        step.push_str(&format!(
            " Ask {vendor} whether {} is BAA-eligible and record the answer in the catalog, or keep PHI out of {}.",
            plan_phrase(ix, s),
            s.name
        ));
    }
    if product {
        step.push_str(&format!(
            " {vendor}'s BAA covers only its eligible products: keep PHI out of {}, or record {} as eligible in the \
             catalog once {vendor} lists it.",
            s.name,
            product_name(ix, s)
        ));
    }
    if way == Way::Platform && plan {
        step.push_str(
            " Or have the platform agreement's scope name this plan, if Fly.io and the vendor cover it.",
        );
    }
    (explanation, step)
}

/// The next step of `uncovered-service`: fix the nearest miss first, never ask for an agreement
/// that already exists.
fn uncovered_step(ix: &Index<'_>, s: &Service, chains: &[Chain]) -> String {
    let vendor = vendor_name(ix, &s.vendor);
    let extension = chains.iter().any(|c| c.way == Way::Platform);
    let tail = format!(
        "{}, or record why {} handles no PHI.",
        if extension {
            format!(", or have Fly.io extend its BAA to {vendor} extensions")
        } else {
            String::new()
        },
        s.name
    );
    let first = chains.iter().find(|c| c.way != Way::Platform);
    let missing = first.and_then(|c| {
        c.links.iter().find_map(|l| match l {
            Link::Missing { pending, near, .. } => Some((pending, near)),
            _ => None,
        })
    });
    if let Some((_, Some(near))) = missing {
        let name = agreement_name(ix, near.agreement);
        use crate::coverage::model::ScopeMiss;
        let fix = match &near.miss {
            ScopeMiss::Product => format!("Have {vendor} add {} to the scope of {name}", product_name(ix, s)),
            ScopeMiss::Plan => format!(
                "Move {} to a plan {name} covers ({}), or have {vendor} add {} to its scope",
                s.name,
                ix.agreement(near.agreement).scope.plans().join(", "),
                plan_name(ix, s)
            ),
            ScopeMiss::RegionsUnknown => format!(
                "Record the regions of {} ({name} covers only {})",
                s.name,
                ix.agreement(near.agreement).scope.regions().join(", ")
            ),
            ScopeMiss::Regions(outside) => format!(
                "Move {} out of {} or have {vendor} extend {name} to those regions",
                s.name,
                outside.join(", ")
            ),
            ScopeMiss::Account | ScopeMiss::AccountNotNamed => match &s.account {
                None => format!(
                    "Record which {vendor} account {} lives in, and have {vendor} add it to the scope of {name}",
                    s.name
                ),
                Some(acct) => format!("Have {vendor} add account {acct} to the scope of {name}"),
            },
        };
        return format!("{fix}{tail}");
    }
    if let Some((pending, None)) = missing.filter(|(p, _)| !p.is_empty()) {
        let names: Vec<&str> = pending.iter().map(|&i| agreement_name(ix, i)).collect();
        return format!("Finish {} with {vendor} and record it as signed{tail}", listing(&names));
    }
    if s.vendor == FLY {
        return format!(
            "Sign a BAA with Fly.io (it {}) covering {} of {}, or record why {} handles no PHI.",
            ix.vendor(FLY).map_or("signs BAAs", |v| v.baa_terms.as_str()),
            product_name(ix, s),
            who_uses(s),
            s.name
        );
    }
    let Some(v) = ix.vendor(&s.vendor) else {
        return format!(
            "Add {} to the vendor catalog with its BAA terms and record a BAA with it{tail}",
            s.vendor
        );
    };
    if v.eligibility(&s.plan, &s.add_ons) != crate::catalog::Eligibility::NotEligible {
        format!(
            "Sign a BAA with {vendor} covering {} on the {} plan{tail}",
            product_name(ix, s),
            plan_name(ix, s)
        )
    } else {
        format!(
            "{}; {} {} {}; sign a BAA with {vendor} on an eligible plan{tail}",
            terms(ix, &s.vendor),
            who_uses(s),
            uses(s),
            plan_name(ix, s)
        )
    }
}
