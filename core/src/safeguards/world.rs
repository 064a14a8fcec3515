//! The checks over a workspace: the stored fly.toml facts of its apps, with what the
//! inventory says about each app (PHI from its services, the org's environment).

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::{check, PlatformConfig, SafeguardInput, SafeguardPolicy, SafeguardReport};
use crate::coverage::{Phi, Service, World};

/// What the tracker keeps of one fly.toml: its facts (never a secret value) and the secret
/// names `fly secrets list` gave for its app, when the snapshot had them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AppFacts {
    /// The file's facts.
    pub config: PlatformConfig,
    /// The app's secret names (names only: Fly never shows values), when known.
    #[serde(default)]
    pub secret_names: Option<Vec<String>>,
}

/// Whether an app handles PHI, from the services it uses: yes if any does, unknown if any is
/// unknown (or says no without a valid reason) or if it uses none on record; no only when every
/// service says no with a reason. Fail closed, like the engine.
pub fn app_phi(services: &[Service], app: &str) -> Phi {
    let mut services = services.iter().filter(|s| s.apps.iter().any(|a| a == app)).peekable();
    if services.peek().is_none() {
        return Phi::Unknown;
    }
    let mut no = None;
    let mut unknown = false;
    for s in services {
        match &s.phi {
            Phi::Yes => return Phi::Yes,
            p if p.valid_no() => {
                no.get_or_insert_with(|| p.clone());
            }
            _ => unknown = true,
        }
    }
    match no {
        Some(p) if !unknown => p,
        _ => Phi::Unknown,
    }
}

/// Runs the checks over every stored fly.toml whose app is in `world` (a file of an app no
/// longer recorded is left out). The org's environment comes from the app's org; public IP
/// addresses are unknown (fly.toml and the CLI snapshot do not say), so ports count as public.
pub fn check_world(
    world: &World,
    facts: &[AppFacts],
    policy: &SafeguardPolicy,
    as_of: NaiveDate,
) -> SafeguardReport {
    let inputs: Vec<SafeguardInput> = facts
        .iter()
        .filter_map(|f| {
            let app = world.apps.iter().find(|a| Some(a.name.as_str()) == f.config.app_name())?;
            let org = world.orgs.iter().find(|o| o.slug == app.org);
            Some(SafeguardInput {
                config: f.config.clone(),
                phi: app_phi(&world.services, &app.name),
                org_environment: org.map(|o| o.environment),
                secret_names: f.secret_names.clone(),
                public_ips: None,
            })
        })
        .collect();
    check(&inputs, policy, as_of)
}
