//! `/orgs`: the Fly.io orgs of the workspace, with their plan and Compliance Package.

use super::extract::{created, gone, ok, page_of, to_json, Body, Id, PageQuery, Params, Reader, Writer};
use crate::AppState;
use axum::extract::State;
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use baa_backend::api_inventory as inv;
use baa_backend::error::{AppError, AppResult};
use baa_backend::inventory::OrgInput;
use baa_backend::Backend;
use serde::Deserialize;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/orgs", get(list).post(create))
        .route("/orgs/{slug}", get(read).put(update).delete(remove))
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

fn input(body: OrgBody, slug: Option<&str>) -> AppResult<OrgInput> {
    let slug = match slug {
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

async fn list(
    Reader(v): Reader,
    State(b): State<Backend>,
    Params(q): Params<PageQuery>,
) -> AppResult<Response> {
    ok(page_of("orgs", &inv::orgs(&b, &v).await?, |o| &o.slug, to_json, q)?)
}

async fn create(
    Writer(v): Writer,
    State(b): State<Backend>,
    Body(body): Body<OrgBody>,
) -> AppResult<Response> {
    Ok(created(inv::create_org(&b, &v, &input(body, None)?).await?))
}

async fn read(Reader(v): Reader, State(b): State<Backend>, Id(slug): Id<String>) -> AppResult<Response> {
    ok(inv::org(&b, &v, &slug).await?)
}

async fn update(
    Writer(v): Writer,
    State(b): State<Backend>,
    Id(slug): Id<String>,
    Body(body): Body<OrgBody>,
) -> AppResult<Response> {
    ok(inv::update_org(&b, &v, &slug, &input(body, Some(&slug))?).await?)
}

async fn remove(Writer(v): Writer, State(b): State<Backend>, Id(slug): Id<String>) -> AppResult<Response> {
    inv::remove_org(&b, &v, &slug).await?;
    gone()
}
