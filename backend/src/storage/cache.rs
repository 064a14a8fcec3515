//! Coverage views computed once per change, not per request.
//!
//! A view (world, report, corrections) depends only on the workspace's append-only tables:
//! record versions, catalog edits and executed documents. Rows there are never updated or
//! deleted (a removal is a new version), so the number of rows of each is a revision that
//! grows with every write: a view is reused only while all three counts are those it was built
//! from, read in one query before the view. A write that lands between the count and the load
//! only makes the cached view newer than its key; the next request sees a higher count and
//! rebuilds. Nothing can make a cached view older than the data, so a cache hit can never show
//! a verdict the records no longer support.
//!
//! Memory is capped by weight (services, apps and agreements held), not entries: one huge
//! workspace cannot push the process past the budget.

use crate::error::AppResult;
use crate::storage::world::CoverageView;
use chrono::NaiveDate;
use std::sync::Arc;

/// What a cached view was built from: the row counts of the workspace's append-only tables.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Revision {
    records: i64,
    catalog_edits: i64,
    documents: i64,
}

/// Key of a view: workspace, its name (drawn in the view as "us"), the day and the moment it is
/// read as of (end of a past day, or everything for today).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
struct Key {
    workspace: String,
    name: String,
    as_of: NaiveDate,
    known_at: i64,
}

#[derive(Clone)]
struct Weigh;

impl quick_cache::Weighter<Key, (Revision, Arc<CoverageView>)> for Weigh {
    fn weight(&self, _key: &Key, value: &(Revision, Arc<CoverageView>)) -> u64 {
        let w = &value.1.world;
        1 + (w.services.len() + w.apps.len() + w.agreements.len() + w.orgs.len()) as u64
    }
}

/// The views of recent (workspace, day) pairs, bounded by weight.
pub struct ViewCache {
    views: quick_cache::sync::Cache<Key, (Revision, Arc<CoverageView>), Weigh>,
}

impl std::fmt::Debug for ViewCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ViewCache").field("len", &self.views.len()).finish()
    }
}

/// About 200,000 records held across views (a 10,000-service workspace takes 11,000 or so).
const BUDGET: u64 = 200_000;

impl Default for ViewCache {
    fn default() -> Self {
        ViewCache::with_budget(BUDGET)
    }
}

impl ViewCache {
    /// A cache holding views of at most `budget` records in all.
    pub fn with_budget(budget: u64) -> ViewCache {
        ViewCache { views: quick_cache::sync::Cache::with_weighter(256, budget, Weigh) }
    }

    /// The view kept for these inputs, if it was built from `revision`.
    pub fn get(
        &self,
        workspace: &str,
        name: &str,
        as_of: NaiveDate,
        known_at: i64,
        revision: Revision,
    ) -> Option<Arc<CoverageView>> {
        let key = key(workspace, name, as_of, known_at);
        match self.views.get(&key) {
            Some((built_from, view)) if built_from == revision => Some(view),
            _ => None,
        }
    }

    /// Keeps a view built from `revision`.
    pub fn put(
        &self,
        workspace: &str,
        name: &str,
        as_of: NaiveDate,
        known_at: i64,
        revision: Revision,
        view: Arc<CoverageView>,
    ) {
        self.views.insert(key(workspace, name, as_of, known_at), (revision, view));
    }

    /// Views held (for tests and figures).
    pub fn len(&self) -> usize {
        self.views.len()
    }

    /// Whether nothing is held.
    pub fn is_empty(&self) -> bool {
        self.views.is_empty()
    }
}

fn key(workspace: &str, name: &str, as_of: NaiveDate, known_at: i64) -> Key {
    Key { workspace: workspace.to_owned(), name: name.to_owned(), as_of, known_at }
}

/// The workspace's revision, in one query.
pub async fn revision(db: &sqlx::AnyPool, workspace: &str) -> AppResult<Revision> {
    use sqlx::Row;
    let row = sqlx::query(
        "SELECT \
           CAST((SELECT COUNT(*) FROM records WHERE workspace_id = $1) AS BIGINT) AS r, \
           CAST((SELECT COUNT(*) FROM catalog_edits WHERE workspace_id = $1) AS BIGINT) AS c, \
           CAST((SELECT COUNT(*) FROM documents WHERE workspace_id = $1) AS BIGINT) AS d",
    )
    .bind(workspace)
    .fetch_one(db)
    .await?;
    Ok(Revision {
        records: row.try_get("r")?,
        catalog_edits: row.try_get("c")?,
        documents: row.try_get("d")?,
    })
}
