//! Chains and links: the one mechanism behind every verdict.
//!
//! A PHI service has up to two chains: Fly.io's own products have one (our BAA with Fly.io);
//! other services have the direct chain (our BAA with the vendor) and, when provisioned through
//! Fly, the platform chain (our BAA with Fly.io, then Fly.io's agreement with the vendor that
//! extends its BAA to the vendor's extensions). Every link is checked the same way ([`Spec`]).

use super::text::{self, Near};
use super::Index;
use crate::catalog::{Eligibility, FLY};
use crate::coverage::model::{AccountCheck, AgreementKind, FlyOrg, Service, Standing};

/// Everything a service's chains depend on; services with equal keys share one resolution.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(in crate::coverage) struct Key<'w> {
    vendor: &'w str,
    product: &'w str,
    plan: &'w str,
    add_ons: &'w [String],
    regions: &'w [String],
    account: Option<&'w str>,
    org: Option<&'w str>,
}

impl<'w> Key<'w> {
    pub fn of(s: &'w Service) -> Self {
        Self {
            vendor: &s.vendor,
            product: &s.product,
            plan: &s.plan,
            add_ons: &s.add_ons,
            regions: &s.regions,
            account: s.account.as_deref(),
            org: match &s.provisioning {
                crate::coverage::ServiceProvisioning::Platform { org } => Some(org),
                crate::coverage::ServiceProvisioning::Direct => None,
            },
        }
    }
}

/// The kind of agreement a link needs.
#[derive(Debug, Clone, Copy)]
enum Kind<'a> {
    /// A BAA (ours with a vendor, or a customer's with us).
    Baa,
    /// A platform agreement that extends the platform's BAA to this vendor's extensions.
    Platform(&'a str),
}

impl Kind<'_> {
    fn fits(self, kind: &AgreementKind) -> bool {
        match (self, kind) {
            (Kind::Baa, AgreementKind::Baa) => true,
            (Kind::Platform(vendor), AgreementKind::PlatformAgreement { extends_to }) => {
                extends_to.iter().any(|v| v == vendor)
            }
            _ => false,
        }
    }
}

/// What one link of a chain requires.
struct Spec<'a> {
    /// The two parties the agreement must be between (either order).
    parties: (&'a str, &'a str),
    kind: Kind<'a>,
    /// Checked against the scope's products (`None`: not checked).
    product: Option<&'a str>,
    /// Checked against the scope's plans (`None`: not checked).
    plan: Option<&'a str>,
    regions: &'a [String],
    account: AccountCheck<'a>,
    /// Eligibility of the plan (`None`: not checked on this link).
    plan_eligibility: Option<Eligibility>,
    /// Whether a scope that names the plan covers it whatever the catalog says (a platform
    /// agreement binds the vendor to what it names).
    named_plan_counts: bool,
    /// Eligibility of the product (`None`: not checked on this link).
    product_eligibility: Option<Eligibility>,
    /// The Fly org whose plan the link runs on, when it does (an ineligible org fails it).
    org: Option<&'a FlyOrg>,
    /// "BAA with Sentry", for messages.
    what: String,
}

/// The state of one link.
#[derive(Debug, Clone)]
pub(super) enum Link {
    /// An active agreement that fits in every respect.
    Holds(usize),
    /// An agreement in scope exists but the link still fails: it expired, or the plan, the
    /// product or the Fly org is not eligible under it.
    Fails { agreement: usize, expired: bool, plan: bool, product: bool, org: Option<String> },
    /// No agreement in scope that is signed: what is missing, agreements in scope that are
    /// not (or no longer) signed, and the nearest miss.
    Missing { text: String, pending: Vec<usize>, near: Option<Near> },
}

impl Link {
    /// Whether an agreement in scope exists (active or expired).
    fn present(&self) -> bool {
        !matches!(self, Link::Missing { .. })
    }
}

/// Which way to coverage a chain is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Way {
    /// Fly.io's own product: our BAA with Fly.io.
    Own,
    /// Our BAA with the vendor.
    Direct,
    /// Our BAA with Fly.io plus Fly.io's agreement extending it to the vendor.
    Platform,
}

#[derive(Debug, Clone)]
pub(super) struct Chain {
    pub way: Way,
    pub links: Vec<Link>,
}

impl Chain {
    pub fn holds(&self) -> Option<Vec<usize>> {
        self.links
            .iter()
            .map(|l| match l {
                Link::Holds(i) => Some(*i),
                _ => None,
            })
            .collect()
    }

    /// Every link has an agreement in scope (the chain exists but may fail).
    pub fn present(&self) -> bool {
        self.links.iter().all(Link::present)
    }
}

/// A service's chains resolved for one key.
#[derive(Debug, Clone)]
pub(in crate::coverage) struct Resolution {
    /// The agreements of the first chain that holds.
    pub covered: Option<Vec<usize>>,
    pub chains: Vec<Chain>,
}

impl Resolution {
    /// Whether some chain has an agreement in scope for every link.
    pub fn present(&self) -> bool {
        self.chains.iter().any(Chain::present)
    }
}

/// Whether `elig` counts under an agreement: eligible or on request always; unknown only when
/// the agreement's scope names the item (the signed document is then the evidence).
fn counts(elig: Option<Eligibility>, item: Option<&str>, named: impl Fn(&str) -> bool) -> bool {
    match elig {
        None => true,
        Some(e) if e.counts() => true,
        Some(Eligibility::Unknown) => item.is_some_and(named),
        Some(_) => false,
    }
}

impl<'w> Index<'w> {
    /// Resolves every chain of a PHI service.
    pub(super) fn resolve(&self, s: &'w Service) -> Resolution {
        let chains = self.chains(s);
        let covered = chains.iter().find_map(Chain::holds);
        Resolution { covered, chains }
    }

    fn chains(&self, s: &'w Service) -> Vec<Chain> {
        let org_slug = self.platform_org(s);
        let missing = |text: String| Link::Missing { text, pending: Vec::new(), near: None };
        if s.vendor == FLY {
            let link = match (self.fly, org_slug.map(|o| (o, self.org(o)))) {
                (None, _) => missing("no BAA with Fly.io (no party recorded for it)".to_owned()),
                (_, Some((slug, None))) => missing(format!("Fly org {slug} is not recorded")),
                (Some(fly), Some((_, Some(org)))) => self.link(&Spec {
                    parties: (&self.world.us, &fly.id),
                    kind: Kind::Baa,
                    product: Some(&s.product),
                    plan: Some(&org.plan),
                    regions: &s.regions,
                    account: AccountCheck::IfLimited(Some(&org.slug)),
                    plan_eligibility: None,
                    named_plan_counts: false,
                    product_eligibility: Some(self.product_eligibility(FLY, &s.product)),
                    org: Some(org),
                    what: "BAA with Fly.io".to_owned(),
                }),
                (Some(fly), None) => self.link(&Spec {
                    parties: (&self.world.us, &fly.id),
                    kind: Kind::Baa,
                    product: Some(&s.product),
                    plan: Some(&s.plan),
                    regions: &s.regions,
                    account: AccountCheck::IfLimited(s.account.as_deref()),
                    plan_eligibility: Some(self.plan_eligibility(FLY, &s.plan, &s.add_ons)),
                    named_plan_counts: false,
                    product_eligibility: Some(self.product_eligibility(FLY, &s.product)),
                    org: None,
                    what: "BAA with Fly.io".to_owned(),
                }),
            };
            return vec![Chain { way: Way::Own, links: vec![link] }];
        }
        let vendor_name = text::vendor_name(self, &s.vendor);
        let plan_eligibility = self.plan_eligibility(&s.vendor, &s.plan, &s.add_ons);
        let product_eligibility = self.product_eligibility(&s.vendor, &s.product);
        let direct = match self.vendor_party(&s.vendor) {
            None if self.vendor(&s.vendor).is_none() => {
                missing(format!("no BAA with {vendor_name} ({} is not in the vendor catalog)", s.vendor))
            }
            None => missing(format!("no BAA with {vendor_name} (no party recorded for it)")),
            Some(party) => self.link(&Spec {
                parties: (&self.world.us, &party.id),
                kind: Kind::Baa,
                product: Some(&s.product),
                plan: Some(&s.plan),
                regions: &s.regions,
                // An account created for us through Fly is not the account a direct BAA was
                // signed for, unless the BAA names it.
                account: if org_slug.is_some() {
                    AccountCheck::Named(s.account.as_deref())
                } else {
                    AccountCheck::IfLimited(s.account.as_deref())
                },
                plan_eligibility: Some(plan_eligibility),
                named_plan_counts: false,
                product_eligibility: Some(product_eligibility),
                org: None,
                what: format!("BAA with {vendor_name}"),
            }),
        };
        let mut chains = vec![Chain { way: Way::Direct, links: vec![direct] }];
        if let Some(slug) = org_slug {
            let links = match (self.fly, self.org(slug), self.vendor_party(&s.vendor)) {
                (None, _, _) => vec![missing("no BAA with Fly.io (no party recorded for it)".to_owned())],
                (_, None, _) => vec![missing(format!("Fly org {slug} is not recorded"))],
                (Some(fly), Some(org), party) => {
                    let ours = self.link(&Spec {
                        parties: (&self.world.us, &fly.id),
                        kind: Kind::Baa,
                        product: None,
                        plan: Some(&org.plan),
                        regions: &s.regions,
                        account: AccountCheck::IfLimited(Some(&org.slug)),
                        plan_eligibility: None,
                        named_plan_counts: false,
                        product_eligibility: None,
                        org: Some(org),
                        what: "BAA with Fly.io".to_owned(),
                    });
                    let what = format!("Fly.io agreement extending its BAA to {vendor_name} extensions");
                    let ext = match party {
                        None => missing(format!("no {what} ({vendor_name} has no party recorded)")),
                        Some(party) => self.link(&Spec {
                            parties: (&fly.id, &party.id),
                            kind: Kind::Platform(&s.vendor),
                            product: Some(&s.product),
                            plan: Some(&s.plan),
                            regions: &s.regions,
                            account: AccountCheck::None,
                            plan_eligibility: Some(plan_eligibility),
                            named_plan_counts: true,
                            product_eligibility: Some(product_eligibility),
                            org: None,
                            what,
                        }),
                    };
                    vec![ours, ext]
                }
            };
            chains.push(Chain { way: Way::Platform, links });
        }
        chains
    }

    /// Resolves one link: the best agreement between the link's parties, or what is missing.
    fn link(&self, spec: &Spec<'_>) -> Link {
        let mut holds: Option<usize> = None;
        // Active and in scope but failing, preferring one whose plan and product count.
        let mut failing: Option<(bool, usize)> = None;
        let mut expired: Option<usize> = None;
        let mut pending: Vec<usize> = Vec::new();
        let mut near: Vec<Near> = Vec::new();
        let org_ok = spec.org.is_none_or(|o| self.org_eligible(o));
        let plan_ok = |i: usize| {
            let named = |p: &str| self.agreement(i).scope.names_plan(p);
            counts(spec.plan_eligibility, spec.plan, named)
                || (spec.named_plan_counts && spec.plan.is_some_and(named))
        };
        let product_ok = |i: usize| {
            counts(spec.product_eligibility, spec.product, |p| self.agreement(i).scope.names_product(p))
        };
        let longer = |best: Option<usize>, i: usize| match best {
            Some(b) if self.lasts(b) >= self.lasts(i) => Some(b),
            _ => Some(i),
        };
        for &i in self.between(spec.parties.0, spec.parties.1) {
            let a = self.agreement(i);
            if !spec.kind.fits(&a.kind) {
                continue;
            }
            let standing = self.standing(i);
            if let Some(miss) = a.scope.miss(spec.product, spec.plan, spec.regions, spec.account) {
                if matches!(standing, Standing::Active | Standing::Expired(_)) {
                    near.push(Near { agreement: i, miss });
                }
                continue;
            }
            match standing {
                Standing::Active if plan_ok(i) && product_ok(i) && org_ok => holds = longer(holds, i),
                Standing::Active => {
                    let elig = plan_ok(i) && product_ok(i);
                    failing = match failing {
                        Some((e, b)) if (e, self.lasts(b)) >= (elig, self.lasts(i)) => Some((e, b)),
                        _ => Some((elig, i)),
                    };
                }
                Standing::Expired(_) => expired = longer(expired, i),
                Standing::NotYetEffective(_) | Standing::Pending(_) | Standing::Ended(_) => pending.push(i),
                Standing::NotYetRecorded => {}
            }
        }
        if let Some(i) = holds {
            return Link::Holds(i);
        }
        let org_text = || {
            spec.org.filter(|_| !org_ok).map(|o| {
                format!("Fly org {} is on plan {} without a BAA", o.slug, text::fly_plan_name(self, o))
            })
        };
        if let Some(i) = failing.map(|(_, i)| i).or(expired) {
            return Link::Fails {
                agreement: i,
                expired: matches!(self.standing(i), Standing::Expired(_)),
                plan: !plan_ok(i),
                product: !product_ok(i),
                org: org_text(),
            };
        }
        // Whatever order the agreements were recorded in, the same world gives the same words:
        // pending ones by id, near misses by how long they last and then by id.
        pending.sort_by(|&x, &y| self.agreement(x).id.cmp(&self.agreement(y).id));
        near.sort_by(|x, y| {
            self.lasts(y.agreement)
                .cmp(&self.lasts(x.agreement))
                .then_with(|| self.agreement(x.agreement).id.cmp(&self.agreement(y.agreement).id))
        });
        let text = text::missing_link(self, &spec.what, &pending, &near, spec.regions);
        Link::Missing { text, pending, near: near.into_iter().next() }
    }
}
