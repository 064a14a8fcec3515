//! Server-side core of BAA Tracker: storage, accounts, sessions and mail. No UI, no HTTP.

pub mod accounts;
pub mod agreements;
pub mod api_inventory;
pub mod api_tokens;
pub mod audit;
pub mod catalog_store;
pub mod clock;
pub mod config;
pub mod db;
pub mod documents;
pub mod error;
pub mod fly_api;
pub mod imports;
pub mod inventory;
pub mod mail;
pub mod notify;

pub mod packet;
pub mod packets;
pub mod password;
pub mod secret;
pub mod session_store;
pub mod storage;
pub mod totp;

use std::sync::Arc;

/// Everything a request handler needs, cheap to clone.
#[derive(Clone)]
pub struct Backend {
    /// The database.
    pub db: db::Db,
    /// The application clock.
    pub clock: clock::Clock,
    /// Validated configuration.
    pub config: Arc<config::Config>,
    /// Outbound mail.
    pub mailer: mail::Mailer,
    /// Executed documents.
    pub documents: documents::Store,
}

impl Backend {
    /// Connects the database (running migrations) and builds the mailer.
    pub async fn start(config: config::Config, clock: clock::Clock) -> anyhow::Result<Backend> {
        let db = db::Db::connect(config.database_url.expose()).await?;
        let mailer = mail::Mailer::new(
            config.smtp_url.as_ref().map(|s| s.expose()),
            &config.mail_from,
            &config.data_dir,
        )?;
        let documents = documents::Store::from_config(&config)?;
        let b = Backend { db, clock, config: Arc::new(config), mailer, documents };
        match b.documents.sweep(&b).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(removed = n, "removed document blobs left by interrupted uploads"),
            Err(e) => tracing::warn!(error = %e, "sweeping unreferenced document blobs failed"),
        }
        Ok(b)
    }
}
