//! The wording of verdicts and findings: names, plan phrases, what a link is missing.

use super::Index;
use crate::catalog::{Eligibility, Vendor, FLY};
use crate::coverage::model::{FlyOrg, ScopeMiss, Service, Standing, Status};

/// An agreement that would fit a link but for its scope.
#[derive(Debug, Clone)]
pub(super) struct Near {
    pub agreement: usize,
    pub miss: ScopeMiss,
}

/// How many names a message lists before it says "and N more".
const LIST_LIMIT: usize = 5;

/// "a, b, c and 4 more".
pub fn listing<S: AsRef<str>>(items: &[S]) -> String {
    let shown: Vec<&str> = items.iter().take(LIST_LIMIT).map(AsRef::as_ref).collect();
    let mut text = shown.join(", ");
    if items.len() > LIST_LIMIT {
        text.push_str(&format!(" and {} more", items.len() - LIST_LIMIT));
    }
    text
}

pub fn vendor_name<'w>(ix: &Index<'w>, slug: &'w str) -> &'w str {
    ix.vendor(slug)
        .map(|v| v.name.as_str())
        .or_else(|| ix.vendor_party(slug).map(|p| p.name.as_str()))
        .unwrap_or(slug)
}

pub fn party_name<'w>(ix: &Index<'w>, id: &'w str) -> &'w str {
    ix.party(id).map_or(id, |p| p.name.as_str())
}

pub fn agreement_name<'w>(ix: &Index<'w>, i: usize) -> &'w str {
    let a = ix.agreement(i);
    if a.title.is_empty() {
        &a.id
    } else {
        &a.title
    }
}

pub fn fly_plan_name<'w>(ix: &Index<'w>, org: &'w FlyOrg) -> &'w str {
    ix.vendor(FLY).map_or(org.plan.as_str(), |v| v.plan_name(&org.plan))
}

pub fn product_name<'w>(ix: &Index<'w>, s: &'w Service) -> &'w str {
    ix.vendor(&s.vendor).map_or(s.product.as_str(), |v| v.product_name(&s.product))
}

/// "Sentry error monitoring", or "Acme Mail mail" when the product name lacks the vendor's.
pub fn product_label(ix: &Index<'_>, s: &Service) -> String {
    let product = product_name(ix, s);
    let vendor = vendor_name(ix, &s.vendor);
    if product.contains(vendor) {
        product.to_owned()
    } else {
        format!("{vendor} {product}")
    }
}

/// "Sentry · acme-errors": a service always named with its vendor.
pub fn service_label(ix: &Index<'_>, s: &Service) -> String {
    format!("{} · {}", vendor_name(ix, &s.vendor), s.name)
}

/// Display name of the service's plan.
pub fn plan_name<'w>(ix: &Index<'w>, s: &'w Service) -> &'w str {
    ix.vendor(&s.vendor).map_or(s.plan.as_str(), |v| v.plan_name(&s.plan))
}

/// "the Team plan" or "the Team plan with Prod Pack".
pub fn plan_phrase(ix: &Index<'_>, s: &Service) -> String {
    let vendor = ix.vendor(&s.vendor);
    let plan = plan_name(ix, s);
    let add_ons: Vec<&str> = s
        .add_ons
        .iter()
        .map(|a| {
            vendor
                .and_then(|v| v.add_ons.iter().find(|x| x.slug == *a))
                .map_or(a.as_str(), |x| x.name.as_str())
        })
        .collect();
    if add_ons.is_empty() {
        format!("the {plan} plan")
    } else {
        format!("the {plan} plan with {}", add_ons.join(", "))
    }
}

/// Who uses a service in messages: its apps ("a, b and 3 more"), or the service itself.
pub fn who_uses(s: &Service) -> String {
    match s.apps.as_slice() {
        [] => s.name.clone(),
        apps => listing(apps),
    }
}

pub fn uses(s: &Service) -> &'static str {
    if s.apps.len() > 1 {
        "use"
    } else {
        "uses"
    }
}

/// The vendor's plans (and plan + add-on combinations) that are eligible.
pub fn eligible_options(vendor: &Vendor) -> Vec<String> {
    let mut options: Vec<String> = vendor
        .plans
        .iter()
        .filter(|p| p.baa_eligible == Eligibility::Eligible)
        .map(|p| p.name.clone())
        .collect();
    for a in &vendor.add_ons {
        for p in &a.makes_eligible {
            if vendor.plan(p).is_some_and(|x| x.baa_eligible != Eligibility::Eligible) {
                options.push(format!("{} with {}", vendor.plan_name(p), a.name));
            }
        }
    }
    options
}

/// "Sentry signs BAAs on Business plan or higher", or what we know of an uncatalogued vendor.
pub fn terms(ix: &Index<'_>, slug: &str) -> String {
    match ix.vendor(slug) {
        Some(v) => format!("{} {}", v.name, v.baa_terms),
        None => format!("{slug} is not in the vendor catalog, so no plan is known to be eligible"),
    }
}

pub fn status_text(status: Status) -> &'static str {
    match status {
        Status::Draft => "a draft",
        Status::Sent => "sent, not signed",
        Status::InNegotiation => "in negotiation",
        Status::Signed => "signed",
        Status::Terminated => "terminated",
        Status::Superseded => "superseded",
    }
}

pub fn expired_text(ix: &Index<'_>, i: usize) -> String {
    format!(
        "{} expired on {}",
        agreement_name(ix, i),
        ix.agreement(i).expiry.map_or_else(String::new, |d| d.to_string())
    )
}

/// How an agreement's scope leaves a service out: "sentry-baa covers only the plans Business".
pub fn miss_text(ix: &Index<'_>, near: &Near, regions: &[String]) -> String {
    let a = ix.agreement(near.agreement);
    let name = agreement_name(ix, near.agreement);
    match &near.miss {
        ScopeMiss::Product => format!("{name} covers only the products {}", a.scope.products().join(", ")),
        ScopeMiss::Plan => format!("{name} covers only the plans {}", a.scope.plans().join(", ")),
        ScopeMiss::RegionsUnknown => format!(
            "{name} is limited to the regions {} and this service's regions are unknown",
            a.scope.regions().join(", ")
        ),
        ScopeMiss::Regions(outside) => format!(
            "{name} is limited to the regions {} and this service runs in {}",
            a.scope.regions().join(", "),
            if outside.is_empty() { listing(regions) } else { listing(outside) }
        ),
        ScopeMiss::Account => format!(
            "{name} covers only the accounts {} and this service's account is not among them",
            a.scope.accounts().join(", ")
        ),
        ScopeMiss::AccountNotNamed => format!(
            "{name} does not name this service's account: an account created through Fly.io is not \
             the one a direct BAA covers unless the BAA names it"
        ),
    }
}

/// "no BAA with X", or "no active BAA with X (x-2026 is in negotiation; y covers only ...)".
pub fn missing_link(
    ix: &Index<'_>,
    what: &str,
    pending: &[usize],
    near: &[Near],
    regions: &[String],
) -> String {
    if pending.is_empty() && near.is_empty() {
        return format!("no {what}");
    }
    let mut pending = pending.to_vec();
    pending.sort_by_key(|&i| &ix.agreement(i).id);
    let mut texts: Vec<String> = pending
        .into_iter()
        .map(|i| {
            let name = agreement_name(ix, i);
            match ix.standing(i) {
                Standing::NotYetEffective(d) => format!("{name} takes effect on {d}"),
                Standing::Pending(st) => format!("{name} is {}", status_text(st)),
                Standing::Ended(st) => format!("{name} was {}", status_text(st)),
                _ => name.to_owned(),
            }
        })
        .collect();
    texts.extend(near.iter().map(|n| miss_text(ix, n, regions)));
    if texts.len() > LIST_LIMIT {
        let more = texts.len() - LIST_LIMIT;
        texts.truncate(LIST_LIMIT);
        texts.push(format!("and {more} more"));
    }
    let lead = if near.is_empty() {
        format!("no active {what}")
    } else {
        format!("no {what} covering this service")
    };
    format!("{lead} ({})", texts.join("; "))
}
