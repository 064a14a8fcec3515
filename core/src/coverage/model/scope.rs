//! What an agreement covers, and how a service's product, plan, regions and account are
//! checked against it.

use serde::{Deserialize, Serialize};

/// What an agreement covers. Empty lists mean "any".
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", tag = "covers")]
pub enum Scope {
    /// Everything the vendor offers.
    All,
    /// Only the listed products, plans and regions (an empty list does not restrict).
    Limited {
        /// Product slugs.
        #[serde(default)]
        products: Vec<String>,
        /// Plan slugs.
        #[serde(default)]
        plans: Vec<String>,
        /// Region codes.
        #[serde(default)]
        regions: Vec<String>,
        /// Vendor accounts it covers (AWS account ids, Sentry organization slugs, Fly org slugs).
        #[serde(default)]
        accounts: Vec<String>,
    },
}

impl Scope {
    /// The products listed (empty: any).
    pub fn products(&self) -> &[String] {
        match self {
            Scope::All => &[],
            Scope::Limited { products, .. } => products,
        }
    }

    /// The plans listed (empty: any).
    pub fn plans(&self) -> &[String] {
        match self {
            Scope::All => &[],
            Scope::Limited { plans, .. } => plans,
        }
    }

    /// The regions listed (empty: any).
    pub fn regions(&self) -> &[String] {
        match self {
            Scope::All => &[],
            Scope::Limited { regions, .. } => regions,
        }
    }

    /// The accounts listed (empty: not limited to accounts).
    pub fn accounts(&self) -> &[String] {
        match self {
            Scope::All => &[],
            Scope::Limited { accounts, .. } => accounts,
        }
    }

    /// Whether the scope names this plan explicitly.
    pub fn names_plan(&self, plan: &str) -> bool {
        self.plans().iter().any(|p| p == plan)
    }

    /// Whether the scope names this product explicitly.
    pub fn names_product(&self, product: &str) -> bool {
        self.products().iter().any(|p| p == product)
    }

    /// Whether the scope names this account explicitly.
    pub fn names_account(&self, account: &str) -> bool {
        self.accounts().iter().any(|a| a == account)
    }

    /// The first dimension in which the scope leaves out a product (`None`: not checked), plan,
    /// set of regions and account, or `None` when it covers them. Unknown regions (an empty list)
    /// never fit a scope limited to regions, and an unknown account never fits a scope limited to
    /// accounts: what the data cannot tell fails closed.
    pub fn miss(
        &self,
        product: Option<&str>,
        plan: Option<&str>,
        regions: &[String],
        account: AccountCheck<'_>,
    ) -> Option<ScopeMiss> {
        let listed = |list: &[String], item: Option<&str>| {
            list.is_empty() || item.is_none_or(|i| list.iter().any(|x| x == i))
        };
        if !listed(self.products(), product) {
            return Some(ScopeMiss::Product);
        }
        if !listed(self.plans(), plan) {
            return Some(ScopeMiss::Plan);
        }
        let allowed = self.regions();
        if !allowed.is_empty() {
            if regions.is_empty() {
                return Some(ScopeMiss::RegionsUnknown);
            }
            let outside: Vec<String> = regions.iter().filter(|r| !allowed.contains(r)).cloned().collect();
            if !outside.is_empty() {
                return Some(ScopeMiss::Regions(outside));
            }
        }
        let accounts = self.accounts();
        match account {
            AccountCheck::None => {}
            AccountCheck::IfLimited(acct) => {
                if !accounts.is_empty() && !acct.is_some_and(|a| self.names_account(a)) {
                    return Some(ScopeMiss::Account);
                }
            }
            AccountCheck::Named(acct) => {
                if !acct.is_some_and(|a| self.names_account(a)) {
                    return Some(ScopeMiss::AccountNotNamed);
                }
            }
        }
        None
    }

    /// Whether the scope covers a product (None: not checked), plan and set of regions, with no
    /// account check.
    pub fn covers(&self, product: Option<&str>, plan: Option<&str>, regions: &[String]) -> bool {
        self.miss(product, plan, regions, AccountCheck::None).is_none()
    }
}

/// How a link checks the vendor account of a service against an agreement's scope.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AccountCheck<'a> {
    /// Accounts are not checked.
    None,
    /// When the scope lists accounts, the service's account must be among them.
    IfLimited(Option<&'a str>),
    /// The scope must name the service's account (an account created for us through a platform
    /// is not the one a direct agreement was signed for unless the agreement says so).
    Named(Option<&'a str>),
}

/// The dimension in which a scope leaves a service out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ScopeMiss {
    /// The product is not listed.
    Product,
    /// The plan is not listed.
    Plan,
    /// The service's regions are unknown and the scope is limited to regions.
    RegionsUnknown,
    /// These regions of the service are not listed.
    Regions(Vec<String>),
    /// The scope lists accounts and the service's account is unknown or not among them.
    Account,
    /// The scope does not name the service's account, as a service provisioned through a
    /// platform requires.
    AccountNotNamed,
}
