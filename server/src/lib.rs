//! The BAA Tracker server: one `AppState`, the router, background workers, graceful shutdown.
//!
//! `main.rs` only parses the command line; tests build the very same app through
//! [`Application::spawn`] on port 0.

// The OpenAPI document is one large `json!` literal.
#![recursion_limit = "512"]

pub mod access;
pub mod api;
pub mod assets;
pub mod check;
pub mod cli;
pub mod client_addr;
pub mod downloads;
pub mod edge;
pub mod forms;
pub mod headers;
pub mod request_log;

use anyhow::Context;
use app::{shell, App};
use axum::extract::{FromRef, State};
use axum::response::IntoResponse;
use axum::routing::get;
use axum::Router;
use baa_backend::clock::Clock;
use baa_backend::config::Config;
use baa_backend::mail::tokio_util_shutdown::{self, Shutdown, Trigger};
use baa_backend::session_store::DbSessionStore;
use baa_backend::Backend;
use leptos::prelude::*;
use leptos_axum::{generate_route_list, LeptosRoutes};
use std::net::SocketAddr;
use tower_sessions::{cookie::SameSite, Expiry, SessionManagerLayer};

/// Shared state of every handler.
#[derive(Clone, FromRef)]
pub struct AppState {
    /// Leptos rendering options.
    pub leptos_options: LeptosOptions,
    /// Storage, mail, clock, configuration.
    pub backend: Backend,
    /// The browser's files and their content hashes.
    pub assets: assets::Assets,
}

/// The app's page routes, generated once per process and shared by every router built in it.
///
/// Generating runs the whole app once with resource loading suppressed through a flag that is
/// global to the process (leptos_server's `SuppressResourceLoad`): a page rendering in another
/// router of the same process (the test harness runs many apps at once) whose resource first
/// polls in that window waits forever (leptos-rs/leptos#4773). Generated once, before any
/// router exists, the window never overlaps a render.
pub fn route_list() -> Vec<leptos_axum::AxumRouteListing> {
    static ROUTES: std::sync::OnceLock<Vec<leptos_axum::AxumRouteListing>> = std::sync::OnceLock::new();
    ROUTES.get_or_init(|| generate_route_list(App)).clone()
}

/// Builds the router with every layer, for `state`.
pub fn router(state: AppState) -> Router {
    let routes = route_list();
    let b = state.backend.clone();
    let leptos_options = state.leptos_options.clone();
    let store = DbSessionStore::new(b.db.clone());
    let cookie_name = if b.config.is_https() { "__Host-baa_session" } else { "baa_session" };
    let sessions = SessionManagerLayer::new(store)
        .with_name(cookie_name)
        .with_http_only(true)
        .with_secure(b.config.is_https())
        .with_same_site(SameSite::Lax)
        .with_path("/")
        .with_expiry(Expiry::OnInactivity(time::Duration::minutes(b.config.session_idle_minutes)));
    let router = Router::new()
        .route("/healthz", get(healthz))
        .route("/favicon.svg", get(favicon))
        .merge(forms::routes(b.config.document_max_bytes))
        .merge(downloads::routes())
        .merge(api::routes())
        .leptos_routes_with_context(
            &state,
            routes,
            {
                let b = b.clone();
                let names = state.assets.names();
                move || {
                    provide_context(b.clone());
                    provide_context(names.clone());
                }
            },
            move || shell(leptos_options.clone()),
        )
        .route("/pkg/{name}", get(assets::pkg))
        .fallback(leptos_axum::file_and_error_handler::<AppState, _>(shell))
        .layer(axum::middleware::from_fn_with_state(state.clone(), access::access))
        .layer(sessions)
        .layer(axum::middleware::from_fn_with_state(state.clone(), headers::security_headers))
        // Forms and server functions stay small; only the document upload route raises this.
        .layer(axum::extract::DefaultBodyLimit::max(1024 * 1024))
        .layer(tower_http::limit::RequestBodyLimitLayer::new(b.config.document_max_bytes + 1024 * 1024))
        .layer(compression())
        .with_state(state);
    request_log::layer(router)
}

/// br or gzip, as the client accepts, for pages, JSON, CSS and JS, at level 1. Measured
/// (docs/benchmarks.md, "Read path"): the brotli encoder at level 2 and up keeps a ring buffer
/// the size of its window (4 MB) that it allocates and zeroes for every answer, a third of the
/// CPU of a page view at level 4; levels 0 and 1 take brotli's one-pass path with tables sized
/// to the input. A page still shrinks to a tenth or less. PDFs and ZIPs are compressed already;
/// the WASM bundle and the other browser files are compressed once by scripts/build-site.sh and
/// served as they are (`assets.rs`).
fn compression() -> tower_http::compression::CompressionLayer<impl tower_http::compression::Predicate> {
    use tower_http::compression::predicate::{NotForContentType, Predicate as _};
    use tower_http::compression::{CompressionLayer, DefaultPredicate};
    use tower_http::CompressionLevel;
    CompressionLayer::new().br(true).gzip(true).quality(CompressionLevel::Precise(1)).compress_when(
        DefaultPredicate::new()
            .and(NotForContentType::new("application/pdf"))
            .and(NotForContentType::new("application/zip"))
            .and(NotForContentType::new("application/wasm")),
    )
}

async fn healthz(State(b): State<Backend>) -> impl IntoResponse {
    match b.db.ping().await {
        Ok(()) => {
            (axum::http::StatusCode::OK, axum::Json(serde_json::json!({"status": "ok", "database": "ok"})))
        }
        Err(e) => {
            tracing::error!(error = %e, "health check: database unreachable");
            (
                axum::http::StatusCode::SERVICE_UNAVAILABLE,
                axum::Json(serde_json::json!({"status": "error", "database": "unreachable"})),
            )
        }
    }
}

async fn favicon() -> impl IntoResponse {
    ([(axum::http::header::CONTENT_TYPE, "image/svg+xml")], include_str!("../../style/favicon.svg"))
}

/// Leptos options for a site root (the folder holding `pkg/`), naming the bundle by its hash.
pub fn leptos_options(config: &Config, assets: &assets::Assets) -> LeptosOptions {
    LeptosOptions::builder()
        .output_name(assets.output_name())
        .site_root(config.site_root.display().to_string())
        .site_pkg_dir("pkg")
        .site_addr(config.bind_addr)
        .build()
}

/// A running server.
pub struct Application {
    /// The address it listens on (port 0 resolved).
    pub addr: SocketAddr,
    /// Its backend (tests use it to move the clock and read the database).
    pub backend: Backend,
    trigger: Trigger,
    server: tokio::task::JoinHandle<anyhow::Result<()>>,
    workers: Vec<tokio::task::JoinHandle<()>>,
}

impl Application {
    /// Connects, migrates, binds `config.bind_addr`, and starts serving and the workers.
    pub async fn spawn(config: Config, clock: Clock) -> anyhow::Result<Application> {
        let listener = tokio::net::TcpListener::bind(config.bind_addr)
            .await
            .with_context(|| format!("binding BIND_ADDR {}", config.bind_addr))?;
        Application::spawn_on(listener, config, clock).await
    }

    /// Like [`Application::spawn`] on a listener the caller bound (tests bind port 0 first so
    /// `PUBLIC_URL` can name the real port).
    pub async fn spawn_on(
        listener: tokio::net::TcpListener,
        config: Config,
        clock: Clock,
    ) -> anyhow::Result<Application> {
        let backend = Backend::start(config.clone(), clock).await?;
        match baa_backend::packets::fail_interrupted(&backend).await {
            Ok(0) => {}
            Ok(n) => {
                tracing::warn!(packets = n, "marked evidence packets interrupted by a restart as failed")
            }
            Err(e) => tracing::warn!(error = %e, "marking interrupted evidence packets failed"),
        }
        let addr = listener.local_addr()?;
        let assets = assets::Assets::load(&config.site_root);
        let state =
            AppState { leptos_options: leptos_options(&config, &assets), backend: backend.clone(), assets };
        let (trigger, shutdown) = tokio_util_shutdown::channel();
        let workers = start_workers(&backend, &shutdown);
        let app = router(state);
        let sd = shutdown.clone();
        let server = tokio::spawn(async move {
            axum::serve(listener, app.into_make_service_with_connect_info::<SocketAddr>())
                .with_graceful_shutdown(async move { sd.wait().await })
                .await
                .context("serving HTTP")
        });
        tracing::info!(%addr, "BAA Tracker listening");
        Ok(Application { addr, backend, trigger, server, workers })
    }

    /// Stops accepting requests, lets running ones finish (for up to 20 seconds), stops the
    /// workers.
    pub async fn shutdown(mut self) -> anyhow::Result<()> {
        self.trigger.fire();
        let r = match tokio::time::timeout(std::time::Duration::from_secs(20), &mut self.server).await {
            Ok(joined) => joined.context("joining the server task")?,
            Err(_) => {
                tracing::warn!("requests still running 20 s after shutdown began; stopping anyway");
                self.server.abort();
                Ok(())
            }
        };
        for w in self.workers {
            let _ = w.await;
        }
        r
    }

    /// Waits for Ctrl-C or SIGTERM, then shuts down gracefully.
    pub async fn run_until_signal(self) -> anyhow::Result<()> {
        shutdown_signal().await;
        tracing::info!("shutting down");
        self.shutdown().await
    }
}

fn start_workers(b: &Backend, shutdown: &Shutdown) -> Vec<tokio::task::JoinHandle<()>> {
    let outbox = {
        let (m, db, clock, sd) = (b.mailer.clone(), b.db.clone(), b.clock.clone(), shutdown.clone());
        tokio::spawn(async move { m.run(db, clock, sd).await })
    };
    let sweeper = {
        let store = DbSessionStore::new(b.db.clone());
        let (db, clock, sd) = (b.db.clone(), b.clock.clone(), shutdown.clone());
        tokio::spawn(async move {
            loop {
                if let Err(e) = store.delete_expired().await {
                    tracing::warn!(error = %e, "deleting expired sessions failed");
                }
                if let Err(e) = baa_backend::throttle::sweep(&db, clock.now()).await {
                    tracing::warn!(error = ?e, "deleting old throttle keys failed");
                }
                tokio::select! {
                    _ = tokio::time::sleep(std::time::Duration::from_secs(600)) => {}
                    _ = sd.wait() => return,
                }
            }
        })
    };
    let scheduler = {
        let (b, sd) = (b.clone(), shutdown.clone());
        tokio::spawn(async move { baa_backend::notify::run_scheduler(b, sd).await })
    };
    let webhooks = {
        let (db, clock, sd) = (b.db.clone(), b.clock.clone(), shutdown.clone());
        let policy = b.config.webhook_policy;
        tokio::spawn(async move { baa_backend::notify::run_webhooks(db, clock, policy, sd).await })
    };
    let resets = {
        let (b, sd) = (b.clone(), shutdown.clone());
        tokio::spawn(async move { baa_backend::accounts::run_resets(b, sd).await })
    };
    let trust = {
        let (b, sd) = (b.clone(), shutdown.clone());
        tokio::spawn(async move {
            loop {
                if let Err(e) = baa_backend::trust::sweep(&b).await {
                    tracing::warn!(error = ?e, "trust page change notices failed; will retry");
                }
                tokio::select! {
                    _ = tokio::time::sleep(std::time::Duration::from_secs(60)) => {}
                    _ = sd.wait() => return,
                }
            }
        })
    };
    let mut workers = vec![outbox, sweeper, scheduler, webhooks, resets, trust];
    if b.config.integration_sync {
        let (b, sd) = (b.clone(), shutdown.clone());
        workers.push(tokio::spawn(async move { baa_backend::integrations::run_scheduler(b, sd).await }));
    }
    for n in 0..b.config.packet_workers {
        let (b, sd) = (b.clone(), shutdown.clone());
        workers.push(tokio::spawn(async move { baa_backend::packets::run_worker(b, n, sd).await }));
    }
    workers
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
}

/// Sets up logging: text or JSON lines, filtered by `RUST_LOG` (default `info`).
pub fn init_tracing(json: bool) {
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn,tower_sessions=warn"));
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_target(false);
    let _ = if json { builder.json().flatten_event(true).try_init() } else { builder.try_init() };
}
