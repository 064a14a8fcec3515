//! Coverage views computed once per change, not per request.
//!
//! A view (world, report, safeguards, corrections) depends only on what the workspace's writes
//! store, and every write is audited in its own transaction (docs/architecture.md, "Audit"):
//! the audit chain's head (`audit_heads.seq`) is bumped in the same transaction as every record
//! version, catalog edit, executed document and imported fly.toml. That sequence number is the
//! workspace's revision: a view is reused only while the head is the one it was built from,
//! read in one primary-key lookup before the view. A write that lands between the read and the
//! load only makes the cached view newer than its key; the next request sees a higher revision
//! and rebuilds. Nothing can make a cached view older than the data, so a cache hit can never
//! show a verdict the records no longer support. (Writes that change nothing shown, a sign-in
//! or an export, also bump the head: they cost one rebuild, never a stale page.)
//!
//! Memory is capped by weight (services, apps and agreements held), not entries: one huge
//! workspace cannot push the process past the budget.

use crate::error::AppResult;
use chrono::NaiveDate;
use std::sync::Arc;

/// What a cached view was built from: the workspace's audit head when it was read.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Revision(i64);

/// Key of a view: workspace, its name (drawn in the view as "us"), the day and the moment it is
/// read as of (end of a past day, or everything for today).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
struct Key {
    workspace: String,
    name: String,
    as_of: NaiveDate,
    known_at: i64,
}

/// What a cached view weighs against the budget (records it holds; at least 1). The view type
/// is `crate::storage::world::CoverageView`; the cache only needs its weight, so it does not
/// import the module that builds views and reads through it.
pub trait Weight: Send + Sync + 'static {
    /// The weight of this view.
    fn weight(&self) -> u64;
}

struct Weigh<V>(std::marker::PhantomData<fn() -> V>);

impl<V> Clone for Weigh<V> {
    fn clone(&self) -> Self {
        Weigh(std::marker::PhantomData)
    }
}

impl<V: Weight> quick_cache::Weighter<Key, (Revision, Arc<V>)> for Weigh<V> {
    fn weight(&self, _key: &Key, value: &(Revision, Arc<V>)) -> u64 {
        value.1.weight().max(1)
    }
}

/// The views of recent (workspace, day) pairs, bounded by weight.
pub struct ViewCache<V: Weight> {
    views: quick_cache::sync::Cache<Key, (Revision, Arc<V>), Weigh<V>>,
}

impl<V: Weight> std::fmt::Debug for ViewCache<V> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ViewCache").field("len", &self.views.len()).finish()
    }
}

/// About 200,000 records held across views (a 10,000-service workspace takes 11,000 or so).
const BUDGET: u64 = 200_000;

impl<V: Weight> Default for ViewCache<V> {
    fn default() -> Self {
        ViewCache::with_budget(BUDGET)
    }
}

impl<V: Weight> ViewCache<V> {
    /// A cache holding views of at most `budget` records in all.
    pub fn with_budget(budget: u64) -> ViewCache<V> {
        ViewCache {
            views: quick_cache::sync::Cache::with_weighter(256, budget, Weigh(std::marker::PhantomData)),
        }
    }

    /// The view kept for these inputs, if it was built from `revision`.
    pub fn get(
        &self,
        workspace: &str,
        name: &str,
        as_of: NaiveDate,
        known_at: i64,
        revision: Revision,
    ) -> Option<Arc<V>> {
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
        view: Arc<V>,
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

/// The workspace's revision, in one primary-key lookup (0 before its first write).
pub async fn revision(db: &sqlx::AnyPool, workspace: &str) -> AppResult<Revision> {
    use sqlx::Row;
    let row = sqlx::query("SELECT seq FROM audit_heads WHERE workspace_id = $1")
        .bind(workspace)
        .fetch_optional(db)
        .await?;
    Ok(Revision(match row {
        Some(r) => r.try_get("seq")?,
        None => 0,
    }))
}

/// What readers derive from one cached view (a page's shared data, a serialized answer): built
/// at most once per view and dropped with it, so it can never outlive the revision it was
/// derived from. Each derivation is its own type, which is its key.
#[derive(Default)]
pub struct Derived(std::sync::Mutex<Vec<Arc<dyn std::any::Any + Send + Sync>>>);

impl Derived {
    /// The `T` derived from this view, built by `build` on first use. Two readers racing on a
    /// cold view may both build it; the first one kept is shared from then on.
    pub fn get_or_build<T: std::any::Any + Send + Sync>(&self, build: impl FnOnce() -> T) -> Arc<T> {
        if let Some(found) = find(&self.held()) {
            return found;
        }
        // Built without the lock held: a slow build never blocks readers of other derivations.
        let built = Arc::new(build());
        let mut held = self.held();
        if let Some(found) = find(&held) {
            return found;
        }
        held.push(built.clone());
        built
    }

    fn held(&self) -> std::sync::MutexGuard<'_, Vec<Arc<dyn std::any::Any + Send + Sync>>> {
        self.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

fn find<T: std::any::Any + Send + Sync>(held: &[Arc<dyn std::any::Any + Send + Sync>]) -> Option<Arc<T>> {
    held.iter().find_map(|x| x.clone().downcast::<T>().ok())
}

/// A copy of a view starts with nothing derived (what was derived belongs to the original).
impl Clone for Derived {
    fn clone(&self) -> Self {
        Derived::default()
    }
}

impl std::fmt::Debug for Derived {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let held = self.0.lock().map_or(0, |h| h.len());
        f.debug_struct("Derived").field("held", &held).finish()
    }
}
