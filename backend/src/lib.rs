//! Server-side core of BAA Tracker: storage, accounts, sessions and mail. No UI, no HTTP.

pub mod accounts;
pub mod agreements;
pub mod api_inventory;
pub mod api_tokens;
pub mod audit;
pub mod authz;
pub mod catalog_store;
pub mod clock;
pub mod config;
pub mod db;
pub mod documents;
pub mod error;
pub mod fly_api;
pub mod imports;
pub mod input;
pub mod integrations;
pub mod inventory;
pub mod mail;
pub mod net_guard;
pub mod notify;

pub mod packet;
pub mod packets;
pub mod password;
pub mod safeguards;
pub mod seal;
pub mod secret;
pub mod session_store;
pub mod signing;
pub mod storage;
pub mod throttle;
pub mod totp;
pub mod trust;

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
    /// The bounded pool every argon2 hash and verification runs in.
    pub passwords: password::Pool,
    /// The key that signs evidence packet manifests.
    pub packet_key: Arc<packet::PacketKey>,
    /// Bounds the PDF checks of uploads running at once.
    pub pdf_checks: Arc<tokio::sync::Semaphore>,
    /// Wakes the background workers fed from the database (resets, packets).
    pub wake: Wake,
    /// Coverage views reused until the workspace's records change.
    pub views: Arc<storage::cache::ViewCache<storage::world::CoverageView>>,
}

/// Wake-ups for workers that otherwise poll.
#[derive(Clone, Debug, Default)]
pub struct Wake {
    /// Password reset requests to process.
    pub resets: Arc<tokio::sync::Notify>,
    /// Evidence packets queued.
    pub packets: Arc<tokio::sync::Notify>,
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
        let packet_key = Arc::new(signing::load(&db, config.packet_signing_key.as_ref(), clock.now()).await?);
        let b = Backend {
            db,
            clock,
            passwords: password::Pool::new(config.password_hash_concurrency),
            pdf_checks: Arc::new(tokio::sync::Semaphore::new(config.pdf_check_concurrency)),
            config: Arc::new(config),
            mailer,
            documents,
            packet_key,
            wake: Wake::default(),
            views: Arc::new(storage::cache::ViewCache::default()),
        };
        match b.documents.sweep(&b).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(removed = n, "removed document blobs left by interrupted uploads"),
            Err(e) => tracing::warn!(error = %e, "sweeping unreferenced document blobs failed"),
        }
        Ok(b)
    }
}
