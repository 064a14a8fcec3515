//! Parties: who we are to each other, and what we know of a vendor's own PHI subcontractors.

use serde::{Deserialize, Serialize};

/// A legal party.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Party {
    /// Stable id.
    pub id: String,
    /// Display name.
    pub name: String,
    /// What the party is to us.
    pub role: Role,
    /// How to reach the party about the agreement (name, e-mail, address), when recorded.
    #[serde(default)]
    pub contact: String,
}

/// What a party is to us.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", tag = "kind")]
pub enum Role {
    /// Ourselves.
    Us,
    /// A customer, usually a covered entity.
    Customer {
        /// Whether the customer relationship is current.
        active: bool,
        /// Whether we handle the customer's PHI.
        handles_phi: bool,
    },
    /// A vendor of ours, tied to a catalog entry.
    Vendor {
        /// Catalog slug of the vendor.
        vendor: String,
        /// What we know of the vendor's own PHI subcontractors.
        #[serde(default)]
        downstream: Downstream,
    },
    /// A vendor's subcontractor that we do not contract with ourselves.
    Subcontractor {
        /// What we know of its own PHI subcontractors.
        #[serde(default)]
        downstream: Downstream,
    },
}

impl Role {
    /// Listed PHI subcontractors of a vendor or subcontractor (empty for others, and when the
    /// list is unknown or known to be empty).
    pub fn subcontractors(&self) -> &[String] {
        match self {
            Role::Vendor { downstream, .. } | Role::Subcontractor { downstream } => downstream.listed(),
            _ => &[],
        }
    }

    /// What is known of the party's PHI subcontractors (`None` for us and customers).
    pub fn downstream(&self) -> Option<&Downstream> {
        match self {
            Role::Vendor { downstream, .. } | Role::Subcontractor { downstream } => Some(downstream),
            _ => None,
        }
    }
}

/// What we know of a vendor's (or subcontractor's) own PHI subcontractors. "Unknown" is not
/// "none": until someone records the vendor's answer, the chain below it is unverified.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", tag = "known")]
pub enum Downstream {
    /// Nobody has recorded the vendor's subcontractor list.
    #[default]
    Unknown,
    /// The vendor states it uses no subcontractor that handles PHI.
    None,
    /// The vendor's PHI subcontractors, as party ids.
    Listed {
        /// Party ids.
        subcontractors: Vec<String>,
    },
}

impl Downstream {
    /// The listed subcontractors (empty unless [`Downstream::Listed`]).
    pub fn listed(&self) -> &[String] {
        match self {
            Downstream::Listed { subcontractors } => subcontractors,
            _ => &[],
        }
    }

    /// Downstream from a list: `None` when it is empty, else `Listed`.
    pub fn from_list(subcontractors: Vec<String>) -> Self {
        if subcontractors.is_empty() {
            Downstream::None
        } else {
            Downstream::Listed { subcontractors }
        }
    }
}
