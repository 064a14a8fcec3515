//! Concise constructors for worlds, used by tests, fixtures and benchmarks.
//!
//! Defaults are the "everything in order" case (a signed agreement has all clauses confirmed and
//! its document uploaded), so a test states only what it breaks.

use chrono::NaiveDate;

use super::model::{
    Agreement, AgreementKind, App, Clause, ClauseEvidence, Downstream, Environment, FlyOrg, Party, Phi, Role,
    Scope, Service, ServiceProvisioning, Status, StatusChange, World,
};
use crate::catalog::Catalog;

/// Id of our own party in built worlds.
pub const US: &str = "us";

/// Lets a test tweak a value in a chain: `service(..).with(|s| s.plan = "team".into())`.
pub trait With: Sized {
    /// Applies `f` to the value and returns it.
    fn with(mut self, f: impl FnOnce(&mut Self)) -> Self {
        f(&mut self);
        self
    }
}

impl With for Service {}
impl With for Agreement {}
impl With for FlyOrg {}
impl With for App {}
impl With for World {}

/// Builds a [`World`] step by step.
#[derive(Debug, Clone)]
pub struct WorldBuilder {
    world: World,
}

impl WorldBuilder {
    /// A world with only us (party id [`US`]) and the given catalog.
    pub fn new(catalog: Catalog) -> Self {
        Self {
            world: World {
                us: US.to_owned(),
                parties: vec![Party {
                    id: US.to_owned(),
                    name: "Acme Health".to_owned(),
                    role: Role::Us,
                    contact: String::new(),
                }],
                catalog,
                orgs: Vec::new(),
                apps: Vec::new(),
                services: Vec::new(),
                agreements: Vec::new(),
            },
        }
    }

    /// Adds any party.
    pub fn party(mut self, party: Party) -> Self {
        self.world.parties.push(party);
        self
    }

    /// Adds a vendor party whose id is its catalog slug, whose PHI subcontractors are known:
    /// the list given (none when it is empty).
    pub fn vendor(self, slug: &str, subcontractors: &[&str]) -> Self {
        self.vendor_with(slug, Downstream::from_list(strings(subcontractors)))
    }

    /// Adds a vendor party whose id is its catalog slug, with what is known of its subcontractors.
    pub fn vendor_with(self, slug: &str, downstream: Downstream) -> Self {
        let name = self.world.catalog.vendor(slug).map_or_else(|| slug.to_owned(), |v| v.name.clone());
        self.party(Party {
            id: slug.to_owned(),
            name,
            role: Role::Vendor { vendor: slug.to_owned(), downstream },
            contact: String::new(),
        })
    }

    /// Adds a subcontractor party (not a vendor of ours) with its own known subcontractors.
    pub fn subcontractor(self, id: &str, subcontractors: &[&str]) -> Self {
        self.party(Party {
            id: id.to_owned(),
            name: id.to_owned(),
            role: Role::Subcontractor { downstream: Downstream::from_list(strings(subcontractors)) },
            contact: String::new(),
        })
    }

    /// Adds a customer party.
    pub fn customer(self, id: &str, active: bool, handles_phi: bool) -> Self {
        self.party(Party {
            id: id.to_owned(),
            name: id.to_owned(),
            role: Role::Customer { active, handles_phi },
            contact: String::new(),
        })
    }

    /// Adds a Fly org.
    pub fn org(mut self, org: FlyOrg) -> Self {
        self.world.orgs.push(org);
        self
    }

    /// Adds a Fly app.
    pub fn app(mut self, app: App) -> Self {
        self.world.apps.push(app);
        self
    }

    /// Adds a service.
    pub fn service(mut self, service: Service) -> Self {
        self.world.services.push(service);
        self
    }

    /// Adds an agreement.
    pub fn agreement(mut self, agreement: Agreement) -> Self {
        self.world.agreements.push(agreement);
        self
    }

    /// The finished world.
    pub fn build(self) -> World {
        self.world
    }
}

fn strings(items: &[&str]) -> Vec<String> {
    items.iter().map(|s| (*s).to_owned()).collect()
}

/// A Fly org with no packages and no region limit.
pub fn org(slug: &str, environment: Environment, plan: &str) -> FlyOrg {
    FlyOrg {
        slug: slug.to_owned(),
        name: slug.to_owned(),
        environment,
        plan: plan.to_owned(),
        packages: Vec::new(),
        allowed_regions: None,
    }
}

/// A Fly app whose environment is guessed from its name.
pub fn app(name: &str, org: &str, regions: &[&str]) -> App {
    App { name: name.to_owned(), org: org.to_owned(), regions: strings(regions), environment: None }
}

/// A PHI service with no apps or regions, provisioned directly, existing since `created_on`.
pub fn service(id: &str, vendor: &str, product: &str, plan: &str, created_on: NaiveDate) -> Service {
    Service {
        id: id.to_owned(),
        name: id.to_owned(),
        vendor: vendor.to_owned(),
        product: product.to_owned(),
        plan: plan.to_owned(),
        add_ons: Vec::new(),
        apps: Vec::new(),
        candidate_apps: Vec::new(),
        regions: Vec::new(),
        provisioning: ServiceProvisioning::Direct,
        account: None,
        phi: Phi::Yes,
        unconfirmed: None,
        attestations: Vec::new(),
        created_on,
        removed_on: None,
    }
}

/// An agreement signed on `signed_on`, scope all, every clause confirmed (with a location and
/// who confirmed it), document uploaded.
pub fn agreement(id: &str, a: &str, b: &str, kind: AgreementKind, signed_on: NaiveDate) -> Agreement {
    Agreement {
        id: id.to_owned(),
        title: String::new(),
        parties: [a.to_owned(), b.to_owned()],
        kind,
        history: vec![StatusChange { on: signed_on, status: Status::Signed }],
        effective: None,
        expiry: None,
        scope: Scope::All,
        signed_on: Some(signed_on),
        recorded_on: None,
        has_executed_document: true,
        auto_renews: false,
        notice_days: None,
        notes: String::new(),
        supersedes: None,
        clause_evidence: Clause::ALL
            .iter()
            .map(|c| {
                (
                    *c,
                    ClauseEvidence {
                        location: "§ 1".to_owned(),
                        confirmed_by: "legal".to_owned(),
                        confirmed_on: signed_on,
                    },
                )
            })
            .collect(),
    }
}

/// A complete signed BAA between us and `other`.
pub fn baa(id: &str, other: &str, signed_on: NaiveDate) -> Agreement {
    agreement(id, US, other, AgreementKind::Baa, signed_on)
}

/// A signed agreement by which `platform` extends its BAA to extensions of `vendors`.
pub fn platform_agreement(
    id: &str,
    platform: &str,
    vendor: &str,
    vendors: &[&str],
    signed_on: NaiveDate,
) -> Agreement {
    agreement(
        id,
        platform,
        vendor,
        AgreementKind::PlatformAgreement { extends_to: strings(vendors) },
        signed_on,
    )
}

/// A signed BAA between a vendor and its subcontractor.
pub fn subcontractor_baa(id: &str, vendor: &str, sub: &str, signed_on: NaiveDate) -> Agreement {
    agreement(id, vendor, sub, AgreementKind::SubcontractorBaa, signed_on)
}
