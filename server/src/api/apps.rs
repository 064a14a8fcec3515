//! `/apps`: the Fly apps of the workspace and the org each runs in.

use super::named::{self, Named};
use crate::AppState;
use axum::Router;
use baa_backend::api_inventory as inv;
use baa_backend::error::{AppError, AppResult};
use baa_backend::inventory::AppInput;
use baa_backend::Backend;
use baa_core::account::Viewer;
use baa_core::coverage::App;
use serde::Deserialize;

pub fn router() -> Router<AppState> {
    named::routes::<Apps>()
}

/// The collection.
struct Apps;

impl Named for Apps {
    const PATH: &'static str = "/apps";
    const LIST: &'static str = "apps";
    type Body = AppBody;
    type Input = AppInput;
    type Item = App;

    fn key(item: &App) -> &str {
        &item.name
    }
    fn input(body: AppBody, key: Option<&str>) -> AppResult<AppInput> {
        let name = match key {
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
    async fn all(b: &Backend, v: &Viewer) -> AppResult<Vec<App>> {
        inv::apps(b, v).await
    }
    async fn one(b: &Backend, v: &Viewer, key: &str) -> AppResult<App> {
        inv::app(b, v, key).await
    }
    async fn create(b: &Backend, v: &Viewer, input: &AppInput) -> AppResult<App> {
        inv::create_app(b, v, input).await
    }
    async fn replace(b: &Backend, v: &Viewer, key: &str, input: &AppInput) -> AppResult<App> {
        inv::update_app(b, v, key, input).await
    }
    async fn remove(b: &Backend, v: &Viewer, key: &str) -> AppResult<()> {
        inv::remove_app(b, v, key).await
    }
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
