//! One database code path for SQLite and PostgreSQL (sqlx `AnyPool`).
//!
//! Habits that keep the SQL portable: `$1` placeholders, TEXT ids, BIGINT unix times, BIGINT 0/1
//! flags, explicit column lists, CASTs on aggregates. Write transactions on SQLite start with
//! `BEGIN IMMEDIATE` so concurrent writers queue instead of failing with "database is locked".

use anyhow::Context;
use sqlx::any::{AnyPoolOptions, AnyRow};
use sqlx::{Any, AnyPool, Row, Transaction};
use std::time::Duration;

/// Which engine a URL selects.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Engine {
    /// Embedded default.
    Sqlite,
    /// Production engine.
    Postgres,
}

/// The pool plus the engine it talks to.
#[derive(Clone, Debug)]
pub struct Db {
    /// The shared pool.
    pub pool: AnyPool,
    /// The engine behind it.
    pub engine: Engine,
}

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("../migrations");

impl Db {
    /// Connects, creating the SQLite file (and its folder) if needed, and runs migrations.
    pub async fn connect(url: &str) -> anyhow::Result<Db> {
        sqlx::any::install_default_drivers();
        let engine = if url.starts_with("sqlite:") { Engine::Sqlite } else { Engine::Postgres };
        if engine == Engine::Sqlite {
            if let Some(path) = sqlite_file(url) {
                if let Some(dir) = std::path::Path::new(&path).parent() {
                    if !dir.as_os_str().is_empty() {
                        std::fs::create_dir_all(dir)
                            .with_context(|| format!("creating the database folder {}", dir.display()))?;
                    }
                }
            }
        }
        let mut options = AnyPoolOptions::new()
            .max_connections(if engine == Engine::Sqlite { 8 } else { 16 })
            .acquire_timeout(Duration::from_secs(10));
        if engine == Engine::Sqlite {
            options = options.after_connect(|conn, _| {
                Box::pin(async move {
                    for pragma in [
                        "PRAGMA journal_mode = WAL",
                        "PRAGMA synchronous = NORMAL",
                        "PRAGMA busy_timeout = 10000",
                        "PRAGMA foreign_keys = ON",
                    ] {
                        sqlx::query(pragma).execute(&mut *conn).await?;
                    }
                    Ok(())
                })
            });
        }
        let pool = options.connect(url).await.context("connecting to the database named by DATABASE_URL")?;
        MIGRATOR.run(&pool).await.context("running database migrations")?;
        Ok(Db { pool, engine })
    }

    /// Starts a transaction that will write.
    pub async fn begin_write(&self) -> sqlx::Result<Transaction<'static, Any>> {
        match self.engine {
            Engine::Sqlite => self.pool.begin_with("BEGIN IMMEDIATE").await,
            Engine::Postgres => self.pool.begin().await,
        }
    }

    /// A cheap round trip for `/healthz`.
    pub async fn ping(&self) -> sqlx::Result<()> {
        let row: AnyRow = sqlx::query("SELECT 1").fetch_one(&self.pool).await?;
        let _: i64 = row.try_get::<i64, _>(0).or_else(|_| row.try_get::<i32, _>(0).map(i64::from))?;
        Ok(())
    }
}

fn sqlite_file(url: &str) -> Option<String> {
    let rest = url.strip_prefix("sqlite://").or_else(|| url.strip_prefix("sqlite:"))?;
    let path = rest.split('?').next().unwrap_or("");
    if path.is_empty() || path.starts_with(":memory:") || path.starts_with("file:") {
        None
    } else {
        Some(path.to_string())
    }
}

/// Reads a 0/1 flag column portably (SQLite and PostgreSQL both return BIGINT here).
pub fn flag(row: &AnyRow, col: &str) -> sqlx::Result<bool> {
    Ok(row.try_get::<i64, _>(col)? != 0)
}

/// A new random id.
pub fn new_id() -> String {
    uuid::Uuid::new_v4().simple().to_string()
}
