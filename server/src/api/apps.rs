//! `/apps`: the Fly apps of the workspace and the org each runs in.

use super::extract::{created, gone, ok, page_of, to_json, Body, Id, PageQuery, Params, Reader, Writer};
use crate::AppState;
use axum::extract::State;
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use baa_backend::api_inventory as inv;
use baa_backend::error::{AppError, AppResult};
use baa_backend::inventory::AppInput;
use baa_backend::Backend;
use serde::Deserialize;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/apps", get(list).post(create))
        .route("/apps/{name}", get(read).put(update).delete(remove))
}

/// An app as the API writes it.
#[derive(Debug, Default, Deserialize)]
struct AppBody {
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    org: Option<String>,
    #[serde(default)]
    regions: Vec<String>,
    #[serde(default)]
    environment: Option<String>,
    #[serde(default)]
    effective_on: Option<String>,
}

fn input(body: AppBody, name: Option<&str>) -> AppResult<AppInput> {
    let name = match name {
        Some(n) => n.to_string(),
        None => body.name.ok_or_else(|| AppError::invalid("name", "give the Fly app name"))?,
    };
    Ok(AppInput {
        name,
        org: body.org.ok_or_else(|| AppError::invalid("org", "give the slug of the app's org"))?,
        regions: body.regions.join(","),
        environment: body.environment.unwrap_or_default(),
        effective_on: body.effective_on.unwrap_or_default(),
    })
}

async fn list(
    Reader(v): Reader,
    State(b): State<Backend>,
    Params(q): Params<PageQuery>,
) -> AppResult<Response> {
    ok(page_of("apps", &inv::apps(&b, &v).await?, |a| &a.name, to_json, q)?)
}

async fn create(
    Writer(v): Writer,
    State(b): State<Backend>,
    Body(body): Body<AppBody>,
) -> AppResult<Response> {
    Ok(created(inv::create_app(&b, &v, &input(body, None)?).await?))
}

async fn read(Reader(v): Reader, State(b): State<Backend>, Id(name): Id<String>) -> AppResult<Response> {
    ok(inv::app(&b, &v, &name).await?)
}

async fn update(
    Writer(v): Writer,
    State(b): State<Backend>,
    Id(name): Id<String>,
    Body(body): Body<AppBody>,
) -> AppResult<Response> {
    ok(inv::update_app(&b, &v, &name, &input(body, Some(&name))?).await?)
}

async fn remove(Writer(v): Writer, State(b): State<Backend>, Id(name): Id<String>) -> AppResult<Response> {
    inv::remove_app(&b, &v, &name).await?;
    gone()
}
