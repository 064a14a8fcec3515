//! The routes of an inventory collection whose records are named by a key the caller knows (orgs
//! by their Fly slug, apps by their Fly name): list, create, read, replace and remove, the same
//! five handlers for each. A collection says how its body becomes the backend's input and which
//! backend functions it calls; [`routes`] does the rest.

use super::extract::{created, gone, ok, page_of, to_json, Body, Id, PageQuery, Params, Reader, Writer};
use crate::AppState;
use axum::extract::State;
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use baa_backend::error::AppResult;
use baa_backend::Backend;
use baa_core::account::Viewer;
use serde::de::DeserializeOwned;
use serde::Serialize;
use std::future::Future;

/// A collection kept by name.
pub(super) trait Named: Send + Sync + 'static {
    /// Its path (`/orgs`); one record is `<path>/{key}`.
    const PATH: &'static str;
    /// Its name in a page of results (`orgs`).
    const LIST: &'static str;
    /// What a client writes.
    type Body: DeserializeOwned + Default + Send + 'static;
    /// What the backend takes.
    type Input: Send + Sync;
    /// What the backend gives back.
    type Item: Serialize + Send;

    /// The record's key (slug, name).
    fn key(item: &Self::Item) -> &str;
    /// The body as the backend's input; `key` is the one of the path on a replace.
    fn input(body: Self::Body, key: Option<&str>) -> AppResult<Self::Input>;
    /// Every record in force today.
    fn all(b: &Backend, v: &Viewer) -> impl Future<Output = AppResult<Vec<Self::Item>>> + Send;
    /// One record, or `NotFound`.
    fn one(b: &Backend, v: &Viewer, key: &str) -> impl Future<Output = AppResult<Self::Item>> + Send;
    /// Creates a record (refused when the key is taken).
    fn create(
        b: &Backend,
        v: &Viewer,
        input: &Self::Input,
    ) -> impl Future<Output = AppResult<Self::Item>> + Send;
    /// Replaces a record.
    fn replace(
        b: &Backend,
        v: &Viewer,
        key: &str,
        input: &Self::Input,
    ) -> impl Future<Output = AppResult<Self::Item>> + Send;
    /// Removes a record.
    fn remove(b: &Backend, v: &Viewer, key: &str) -> impl Future<Output = AppResult<()>> + Send;
}

/// The five routes of collection `N`.
pub(super) fn routes<N: Named>() -> Router<AppState> {
    Router::new()
        .route(N::PATH, get(list::<N>).post(create::<N>))
        .route(&format!("{}/{{key}}", N::PATH), get(read::<N>).put(update::<N>).delete(remove::<N>))
}

async fn list<N: Named>(
    Reader(v): Reader,
    State(b): State<Backend>,
    Params(q): Params<PageQuery>,
) -> AppResult<Response> {
    ok(page_of(N::LIST, &N::all(&b, &v).await?, N::key, to_json, q)?)
}

async fn create<N: Named>(
    Writer(v): Writer,
    State(b): State<Backend>,
    Body(body): Body<N::Body>,
) -> AppResult<Response> {
    Ok(created(N::create(&b, &v, &N::input(body, None)?).await?))
}

async fn read<N: Named>(
    Reader(v): Reader,
    State(b): State<Backend>,
    Id(key): Id<String>,
) -> AppResult<Response> {
    ok(N::one(&b, &v, &key).await?)
}

async fn update<N: Named>(
    Writer(v): Writer,
    State(b): State<Backend>,
    Id(key): Id<String>,
    Body(body): Body<N::Body>,
) -> AppResult<Response> {
    ok(N::replace(&b, &v, &key, &N::input(body, Some(&key))?).await?)
}

async fn remove<N: Named>(
    Writer(v): Writer,
    State(b): State<Backend>,
    Id(key): Id<String>,
) -> AppResult<Response> {
    N::remove(&b, &v, &key).await?;
    gone()
}
