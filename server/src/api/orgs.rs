//! `/orgs`: the Fly.io orgs of the workspace, with their plan and Compliance Package.

use super::named::{self, Named};
use crate::AppState;
use axum::Router;
use baa_backend::api_inventory as inv;
use baa_backend::error::{AppError, AppResult};
use baa_backend::inventory::OrgInput;
use baa_backend::Backend;
use baa_core::account::Viewer;
use baa_core::coverage::FlyOrg;
use serde::Deserialize;

pub fn router() -> Router<AppState> {
    named::routes::<Orgs>()
}

/// The collection.
struct Orgs;

impl Named for Orgs {
    const PATH: &'static str = "/orgs";
    const LIST: &'static str = "orgs";
    type Body = OrgBody;
    type Input = OrgInput;
    type Item = FlyOrg;

    fn key(item: &FlyOrg) -> &str {
        &item.slug
    }
    fn input(body: OrgBody, key: Option<&str>) -> AppResult<OrgInput> {
        let slug = match key {
            Some(s) => s.to_string(),
            None => body.slug.ok_or_else(|| AppError::invalid("slug", "give the org's Fly slug"))?,
        };
        Ok(OrgInput {
            slug,
            name: body.name.unwrap_or_default(),
            environment: body.environment.unwrap_or_else(|| "production".into()),
            plan: body.plan.ok_or_else(|| AppError::invalid("plan", "give the org's Fly.io plan slug"))?,
            packages: body.packages.join(","),
            allowed_regions: body.allowed_regions.unwrap_or_default().join(","),
            effective_on: body.effective_on.unwrap_or_default(),
        })
    }
    async fn all(b: &Backend, v: &Viewer) -> AppResult<Vec<FlyOrg>> {
        inv::orgs(b, v).await
    }
    async fn one(b: &Backend, v: &Viewer, key: &str) -> AppResult<FlyOrg> {
        inv::org(b, v, key).await
    }
    async fn create(b: &Backend, v: &Viewer, input: &OrgInput) -> AppResult<FlyOrg> {
        inv::create_org(b, v, input).await
    }
    async fn replace(b: &Backend, v: &Viewer, key: &str, input: &OrgInput) -> AppResult<FlyOrg> {
        inv::update_org(b, v, key, input).await
    }
    async fn remove(b: &Backend, v: &Viewer, key: &str) -> AppResult<()> {
        inv::remove_org(b, v, key).await
    }
}

/// An org as the API writes it.
#[derive(Debug, Default, Deserialize)]
struct OrgBody {
    #[serde(default)]
    slug: Option<String>,
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    environment: Option<String>,
    #[serde(default)]
    plan: Option<String>,
    #[serde(default)]
    packages: Vec<String>,
    #[serde(default)]
    allowed_regions: Option<Vec<String>>,
    #[serde(default)]
    effective_on: Option<String>,
}
