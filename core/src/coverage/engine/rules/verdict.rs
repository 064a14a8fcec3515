//! The verdict of a PHI service from its chains, with the `uncovered-service` and
//! `plan-ineligible` findings that explain a failure.

use super::Collector;
use crate::catalog::FLY;
use crate::coverage::engine::chain::{Chain, Link, Resolution, Way};
use crate::coverage::engine::text::{
    agreement_name, eligible_options, expired_text, listing, plan_name, plan_phrase, product_label,
    product_name, terms, uses, vendor_name, who_uses,
};
use crate::coverage::engine::{service_subject, Index};
use crate::coverage::model::Service;
use crate::coverage::report::{RuleId, Verdict};

impl<'w> Collector<'w> {
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
