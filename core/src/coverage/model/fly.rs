//! Fly.io's own records: organizations, apps and their deployment environment.

use serde::{Deserialize, Serialize};

/// Deployment environment of an org or app.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Environment {
    /// Real customers and real data.
    Production,
    /// Pre-production copies.
    Staging,
    /// Developers' playground.
    Development,
}

/// A Fly organization.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FlyOrg {
    /// Fly's org slug.
    pub slug: String,
    /// Display name.
    pub name: String,
    /// What the org is for.
    pub environment: Environment,
    /// Plan slug in the catalog's Fly.io entry.
    pub plan: String,
    /// Packages (catalog add-ons of Fly.io) such as `compliance-package`.
    #[serde(default)]
    pub packages: Vec<String>,
    /// Regions this org may use; `None` leaves it to the workspace policy.
    #[serde(default)]
    pub allowed_regions: Option<Vec<String>>,
}

/// A Fly app.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct App {
    /// Fly app name (unique on Fly).
    pub name: String,
    /// Slug of the org it belongs to.
    pub org: String,
    /// Regions it runs in.
    #[serde(default)]
    pub regions: Vec<String>,
    /// Explicit environment; when absent it is guessed from the name (see [`App::environment`]).
    #[serde(default)]
    pub environment: Option<Environment>,
}

impl App {
    /// The explicit environment, or the one its name suggests ("acme-staging" is staging),
    /// or production when the name says nothing.
    pub fn environment(&self) -> Environment {
        if let Some(env) = self.environment {
            return env;
        }
        let lower = self.name.to_ascii_lowercase();
        let mut env = Environment::Production;
        for word in lower.split(|c: char| !c.is_ascii_alphanumeric()) {
            match word {
                "staging" | "stage" | "stg" | "qa" | "test" | "preview" | "uat" => {
                    return Environment::Staging
                }
                "dev" | "development" | "sandbox" => env = Environment::Development,
                _ => {}
            }
        }
        env
    }
}
