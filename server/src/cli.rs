//! Command line: `serve` (the default), `create-owner` for scripted first-run setup, `migrate`,
//! `import` (a fly snapshot, straight into the database, as a member) and `check` (the CI gate,
//! through the REST API of a running server, or offline over local fly.toml files).

use baa_backend::accounts::{self, SetupInput};
use baa_backend::clock::Clock;
use baa_backend::config::Config;
use baa_backend::error::AppError;
use baa_backend::secret::Secret;
use baa_backend::Backend;
use clap::{Parser, Subcommand};

/// BAA Tracker: is every vendor that can touch patient data covered by a BAA?
#[derive(Parser, Debug)]
#[command(name = "baa-tracker", version, about)]
pub struct Cli {
    /// What to do (default: serve).
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// Subcommands.
#[derive(Subcommand, Debug)]
pub enum Command {
    /// Run the web app (configuration from environment variables; see README).
    Serve,
    /// Create the first owner account and workspace (only when no account exists yet).
    /// The password is read from BAA_OWNER_PASSWORD, or from the first line of standard input.
    CreateOwner {
        /// Owner's e-mail.
        #[arg(long)]
        email: String,
        /// Owner's name.
        #[arg(long)]
        name: String,
        /// Workspace (company) name.
        #[arg(long)]
        workspace: String,
    },
    /// Create or upgrade the database schema, then exit.
    Migrate,
    /// Import a fly CLI snapshot (a folder made by scripts/fly-snapshot.sh, or a ZIP of it) into a
    /// workspace, working on the database named by DATABASE_URL. Shows the plan; changes
    /// nothing without --apply. Exit 0 done, 1 snapshot refused (malformed, or the plan changed),
    /// 2 usage errors (unknown member or workspace, unreadable path).
    Import {
        /// Workspace id or name.
        #[arg(long)]
        workspace: String,
        /// E-mail of the member the import is recorded for (owner or engineer).
        #[arg(long = "as", value_name = "EMAIL")]
        as_email: String,
        /// Snapshot folder or .zip file.
        path: std::path::PathBuf,
        /// Write the changes (default: preview only).
        #[arg(long)]
        apply: bool,
    },
    /// Sync every Fly.io org connected to a workspace now (as the schedule does), working on the
    /// database named by DATABASE_URL. Exit 0 every org synced, 1 any sync failed or was already
    /// running elsewhere (the Integrations page shows why), 2 usage errors (unknown workspace).
    Sync {
        /// Workspace id or name.
        #[arg(long)]
        workspace: String,
    },
    /// Connect a Fly.io org to a workspace (or replace its token) with the read-only token in
    /// FLY_API_TOKEN (`fly tokens create readonly -o ORG`), checked with the Fly.io API before it
    /// is stored encrypted under BAA_SECRET_KEY. Exit 0 connected, 1 refused by the API, 2 usage
    /// errors (no FLY_API_TOKEN, no BAA_SECRET_KEY, unknown workspace, bad org slug).
    ConnectFly {
        /// Workspace id or name.
        #[arg(long)]
        workspace: String,
        /// Fly org slug.
        #[arg(long)]
        org: String,
    },
    /// CI gate: print the coverage findings of an app (or the workspace) from a running server
    /// and exit 1 when any is at or above --fail-on, 0 otherwise, 2 on usage or connection errors.
    /// With --fly-toml PATH...: check local fly.toml files for the platform safeguards instead
    /// (no server, token, configuration or database needed; 2 on unreadable or invalid files).
    Check(crate::check::CheckArgs),
    /// Check an evidence bundle (the ZIP of an evidence packet) offline: the Ed25519 signature
    /// over its manifest (and the key that made it), every file against the manifest's SHA-256
    /// and the audit excerpt's hash chain. Needs no configuration or database. With
    /// --public-key or --server the signing key must be one of those keys. Exit 0 intact,
    /// 1 problems found, 2 unreadable file or keys.
    VerifyPacket {
        /// The bundle (.zip).
        bundle: std::path::PathBuf,
        /// A trusted signing key (base64, as shown on the packets page); may be repeated.
        #[arg(long = "public-key", value_name = "KEY")]
        public_keys: Vec<String>,
        /// A BAA Tracker address whose published signing keys are trusted (reads
        /// /.well-known/baa-tracker-packet-keys.json over https).
        #[arg(long, value_name = "URL")]
        server: Option<String>,
    },
}

/// The keys `verify-packet` trusts: those given with `--public-key`, and those `--server`
/// publishes. An error (exit 2) names what could not be read.
pub async fn trusted_keys(
    public_keys: &[String],
    server: Option<&str>,
) -> Result<Vec<baa_backend::packet::PublicKey>, String> {
    let mut keys = Vec::new();
    for k in public_keys {
        keys.push(
            baa_backend::packet::PublicKey::parse(k)
                .ok_or_else(|| format!("--public-key {k:?} is not an Ed25519 public key in base64"))?,
        );
    }
    if let Some(server) = server {
        let base = url::Url::parse(server)
            .ok()
            .filter(|u| matches!(u.scheme(), "https" | "http"))
            .ok_or_else(|| format!("--server {server:?} is not an http(s) URL"))?;
        let url =
            base.join(crate::forms::packets::KEYS_PATH).map_err(|e| format!("--server {server:?}: {e}"))?;
        let http = reqwest::Client::builder()
            .timeout(std::time::Duration::from_secs(20))
            .build()
            .map_err(|e| e.to_string())?;
        let body: serde_json::Value = http
            .get(url.clone())
            .send()
            .await
            .and_then(|r| r.error_for_status())
            .map_err(|e| format!("reading {url}: {e}"))?
            .json()
            .await
            .map_err(|e| format!("reading {url}: {e}"))?;
        for k in body["keys"].as_array().into_iter().flatten() {
            if let Some(key) = k["public_key"].as_str().and_then(baa_backend::packet::PublicKey::parse) {
                keys.push(key);
            }
        }
        if keys.is_empty() {
            return Err(format!("{url} lists no signing keys"));
        }
    }
    Ok(keys)
}

/// `verify-packet`: prints the report of [`baa_backend::packet::verify_bundle_with`] against
/// the `trusted` keys (none: the signing key is only named); returns 0 when the bundle is
/// intact, 1 when it has problems, 2 when the file cannot be opened.
pub fn verify_packet(
    path: &std::path::Path,
    trusted: &[baa_backend::packet::PublicKey],
    out: &mut dyn std::io::Write,
    err: &mut dyn std::io::Write,
) -> i32 {
    let file = match std::fs::File::open(path) {
        Ok(f) => f,
        Err(e) => {
            let _ = writeln!(err, "baa-tracker: cannot read {}: {e}", path.display());
            return 2;
        }
    };
    let report = baa_backend::packet::verify_bundle_with(std::io::BufReader::new(file), trusted);
    let _ = write!(out, "{}", baa_backend::packet::format_report(&report));
    if report.is_ok() {
        0
    } else {
        1
    }
}

/// `verify-packet` with its key options: reads the trusted keys, then checks the bundle.
pub async fn verify_packet_command(
    bundle: &std::path::Path,
    public_keys: &[String],
    server: Option<&str>,
    out: &mut dyn std::io::Write,
    err: &mut dyn std::io::Write,
) -> i32 {
    match trusted_keys(public_keys, server).await {
        Ok(keys) => verify_packet(bundle, &keys, out, err),
        Err(e) => {
            let _ = writeln!(err, "baa-tracker: {e}");
            2
        }
    }
}

/// Runs a command; returns the process exit code.
pub async fn run(cli: Cli, config: Config) -> anyhow::Result<i32> {
    match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => {
            let app = crate::Application::spawn(config, Clock::system()).await?;
            app.run_until_signal().await?;
            Ok(0)
        }
        Command::VerifyPacket { bundle, public_keys, server } => Ok(verify_packet_command(
            &bundle,
            &public_keys,
            server.as_deref(),
            &mut std::io::stdout(),
            &mut std::io::stderr(),
        )
        .await),
        Command::Check(args) => {
            let code = crate::check::run(&args, &mut std::io::stdout(), &mut std::io::stderr()).await;
            Ok(code)
        }
        Command::Import { workspace, as_email, path, apply } => {
            let b = Backend::start(config, Clock::system()).await?;
            Ok(import(
                &b,
                &workspace,
                &as_email,
                &path,
                apply,
                &mut std::io::stdout(),
                &mut std::io::stderr(),
            )
            .await)
        }
        Command::Sync { workspace } => {
            let b = Backend::start(config, Clock::system()).await?;
            Ok(sync(&b, &workspace, &mut std::io::stdout(), &mut std::io::stderr()).await)
        }
        Command::ConnectFly { workspace, org } => {
            let token = std::env::var("FLY_API_TOKEN").unwrap_or_default();
            let b = Backend::start(config, Clock::system()).await?;
            Ok(connect_fly(&b, &workspace, &org, &token, &mut std::io::stdout(), &mut std::io::stderr())
                .await)
        }
        Command::Migrate => {
            Backend::start(config, Clock::system()).await?;
            println!("database is up to date");
            Ok(0)
        }
        Command::CreateOwner { email, name, workspace } => {
            let password = match std::env::var("BAA_OWNER_PASSWORD") {
                Ok(p) if !p.is_empty() => p,
                _ => {
                    let mut line = String::new();
                    std::io::stdin().read_line(&mut line)?;
                    line.trim_end_matches(['\r', '\n']).to_string()
                }
            };
            let b = Backend::start(config, Clock::system()).await?;
            let input = SetupInput {
                email,
                name,
                password: Secret::new(password.clone()),
                password_confirm: Secret::new(password),
                workspace,
                source: "cli".into(),
            };
            match accounts::setup_first_owner(&b, input).await {
                Ok(_) => {
                    println!("owner account and workspace created; sign in at {}", b.config.public_url);
                    Ok(0)
                }
                Err(e) => {
                    eprintln!("create-owner: {}", e.public_message());
                    Ok(2)
                }
            }
        }
    }
}

/// The member `email` in the workspace named or numbered `workspace`, as a viewer acting from the
/// command line; `None` when there is no such member.
pub async fn cli_viewer(
    b: &Backend,
    workspace: &str,
    email: &str,
) -> anyhow::Result<Option<baa_core::account::Viewer>> {
    use sqlx::Row;
    let email = email.trim().to_lowercase();
    let Some(user) = sqlx::query("SELECT id, session_version FROM users WHERE email = $1")
        .bind(&email)
        .fetch_optional(&b.db.pool)
        .await?
    else {
        return Ok(None);
    };
    let ws = sqlx::query("SELECT id FROM workspaces WHERE id = $1 OR LOWER(name) = $2 ORDER BY id")
        .bind(workspace.trim())
        .bind(workspace.trim().to_lowercase())
        .fetch_all(&b.db.pool)
        .await?;
    let user_id: String = user.try_get("id")?;
    let version: i64 = user.try_get("session_version")?;
    for row in ws {
        let id: String = row.try_get("id")?;
        if let Some(mut v) = accounts::load_viewer(b, &user_id, version, Some(&id))
            .await
            .map_err(|e| anyhow::anyhow!(e.public_message()))?
        {
            if v.workspace_id == id {
                v.source = "cli".into();
                return Ok(Some(v));
            }
        }
    }
    Ok(None)
}

/// Reads a snapshot folder or ZIP.
fn read_snapshot(path: &std::path::Path) -> Result<Vec<baa_core::fly_import::SnapshotFile>, String> {
    use baa_backend::imports::files_from_zip;
    if path.is_dir() {
        return baa_core::fly_import::read_snapshot_dir(path).map_err(|e| format!("{}: {e}", path.display()));
    }
    let bytes = std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    match files_from_zip(&name, &bytes) {
        Ok(files) => Ok(files),
        Err(AppError::Malformed(e)) => {
            Err(format!("{} is neither a folder nor a readable ZIP: {e}", path.display()))
        }
        Err(e) => Err(e.public_message()),
    }
}

/// A plan as text lines: creates, changes (field by field), unmapped (file:line), absent.
pub fn describe_plan(plan: &baa_core::fly_import::ImportPlan) -> String {
    use baa_core::fly_import::Change;
    use std::fmt::Write;
    let mut s = String::new();
    let mut change =
        |kind: &str, id: &str, fields: Option<&[baa_core::fly_import::FieldChange]>, create: bool| {
            if create {
                let _ = writeln!(s, "  create {kind} {id}");
            } else if let Some(fields) = fields {
                let _ = writeln!(s, "  change {kind} {id}");
                for f in fields {
                    let _ = writeln!(s, "      {}: {} -> {}", f.field, f.before, f.after);
                }
            }
        };
    for c in &plan.orgs {
        match c {
            Change::Create { id, .. } => change("org", id, None, true),
            Change::Update { id, fields, .. } => change("org", id, Some(fields), false),
            Change::Unchanged { .. } => {}
        }
    }
    for c in &plan.apps {
        match c {
            Change::Create { id, .. } => change("app", id, None, true),
            Change::Update { id, fields, .. } => change("app", id, Some(fields), false),
            Change::Unchanged { .. } => {}
        }
    }
    for c in &plan.services {
        match c {
            Change::Create { id, .. } => change("service", id, None, true),
            Change::Update { id, fields, .. } => change("service", id, Some(fields), false),
            Change::Unchanged { .. } => {}
        }
    }
    for u in &plan.unmapped {
        let at = u.line.map(|l| format!("{}:{l}", u.file)).unwrap_or_else(|| u.file.clone());
        let _ = writeln!(s, "  not mapped {at}: {}", u.reason);
    }
    for a in &plan.absent {
        let _ = writeln!(s, "  absent {:?} {}: {}", a.kind, a.id, a.reason);
    }
    s
}

/// `import`: preview (and with `apply`, apply) a snapshot as a member; returns the exit code.
pub async fn import(
    b: &Backend,
    workspace: &str,
    email: &str,
    path: &std::path::Path,
    apply: bool,
    out: &mut impl std::io::Write,
    err: &mut impl std::io::Write,
) -> i32 {
    use baa_backend::imports;
    let v = match cli_viewer(b, workspace, email).await {
        Ok(Some(v)) => v,
        Ok(None) => {
            let _ = writeln!(err, "import: {email} is not a member of a workspace named {workspace}");
            return 2;
        }
        Err(e) => {
            let _ = writeln!(err, "import: {e:#}");
            return 2;
        }
    };
    let files = match read_snapshot(path) {
        Ok(f) => f,
        Err(e) => {
            let _ = writeln!(err, "import: {e}");
            return 2;
        }
    };
    let refused = |e: AppError, err: &mut dyn std::io::Write| {
        let (code, message) = match e {
            AppError::Malformed(list) => (1, list.to_string()),
            e @ AppError::Conflict { .. } => (1, e.public_message()),
            e => (2, e.public_message()),
        };
        let _ = writeln!(err, "import: {message}\nnothing was imported");
        code
    };
    let preview = match imports::preview(b, &v, &files).await {
        Ok(p) => p,
        Err(e) => return refused(e, err),
    };
    let _ = write!(
        out,
        "{} files, snapshot {}\nplan: {} to create, {} to change\n{}",
        files.len(),
        &preview.snapshot_hash[..12],
        preview.creates,
        preview.updates,
        describe_plan(&preview.plan)
    );
    if !apply {
        let _ = writeln!(out, "preview only: run again with --apply to import");
        return 0;
    }
    match imports::apply(b, &v, &files, Some(&preview.plan_hash)).await {
        Ok(r) => {
            let _ = writeln!(out, "applied: {} created, {} changed", r.created, r.updated);
            0
        }
        Err(e) => refused(e, err),
    }
}

/// The workspace named or numbered `workspace`: (id, name).
async fn find_workspace(b: &Backend, workspace: &str) -> anyhow::Result<Option<(String, String)>> {
    use sqlx::Row;
    let row = sqlx::query("SELECT id, name FROM workspaces WHERE id = $1 OR LOWER(name) = $2 ORDER BY id")
        .bind(workspace.trim())
        .bind(workspace.trim().to_lowercase())
        .fetch_optional(&b.db.pool)
        .await?;
    Ok(match row {
        Some(r) => Some((r.try_get("id")?, r.try_get("name")?)),
        None => None,
    })
}

/// `sync --workspace W`: syncs every connected org; returns the exit code.
pub async fn sync(
    b: &Backend,
    workspace: &str,
    out: &mut dyn std::io::Write,
    err: &mut dyn std::io::Write,
) -> i32 {
    use baa_backend::integrations::{self, SyncOutcome};
    let ws = match find_workspace(b, workspace).await {
        Ok(Some((id, _))) => id,
        Ok(None) => {
            let _ = writeln!(err, "sync: no workspace {workspace:?}");
            return 2;
        }
        Err(e) => {
            let _ = writeln!(err, "sync: {e:#}");
            return 1;
        }
    };
    let results = match integrations::sync_workspace(b, &ws).await {
        Ok(r) => r,
        Err(e) => {
            let _ = writeln!(err, "sync: {}", e.public_message());
            return 1;
        }
    };
    if results.is_empty() {
        let _ = writeln!(
            err,
            "sync: no Fly.io org is connected to this workspace (connect one with connect-fly)"
        );
        return 2;
    }
    let mut code = 0;
    for (org, outcome) in results {
        match outcome {
            SyncOutcome::Applied(s) => {
                let _ = writeln!(
                    out,
                    "{org}: synced ({} apps, {} add-ons): {} created, {} updated, {} not seen, {} notices",
                    s.apps_seen,
                    s.add_ons_seen,
                    s.created,
                    s.updated,
                    s.absent.len(),
                    s.notices
                );
                for line in &s.changes {
                    let _ = writeln!(out, "  {line}");
                }
            }
            SyncOutcome::Failed { class, message } => {
                code = 1;
                let _ = writeln!(err, "{org}: failed ({class}): {message}; nothing was changed");
            }
            SyncOutcome::Busy => {
                code = 1;
                let _ = writeln!(err, "{org}: a sync of this org is already running elsewhere");
            }
        }
    }
    code
}

/// `connect-fly --workspace W --org ORG` with the token given; returns the exit code.
pub async fn connect_fly(
    b: &Backend,
    workspace: &str,
    org: &str,
    token: &str,
    out: &mut dyn std::io::Write,
    err: &mut dyn std::io::Write,
) -> i32 {
    if token.trim().is_empty() {
        let _ = writeln!(
            err,
            "connect-fly: set FLY_API_TOKEN to a read-only token of the org (`fly tokens create readonly -o {org}`)"
        );
        return 2;
    }
    let (ws, ws_name) = match find_workspace(b, workspace).await {
        Ok(Some(w)) => w,
        Ok(None) => {
            let _ = writeln!(err, "connect-fly: no workspace {workspace:?}");
            return 2;
        }
        Err(e) => {
            let _ = writeln!(err, "connect-fly: {e:#}");
            return 1;
        }
    };
    let v = baa_core::account::Viewer {
        user_id: "cli".into(),
        name: "command line (connect-fly)".into(),
        email: String::new(),
        workspace_id: ws,
        workspace_name: ws_name,
        role: baa_core::account::Role::Owner,
        totp_enabled: false,
        workspace_requires_2fa: false,
        workspaces: Vec::new(),
        source: "cli".into(),
    };
    match baa_backend::integrations::connect(b, &v, org, token).await {
        Ok(i) => {
            let _ = writeln!(out, "connected Fly.io org {} (integration {}); it syncs within a minute of the next start, or run `baa-tracker sync --workspace {workspace}`", i.org, i.id);
            0
        }
        Err(e) => {
            let _ = writeln!(err, "connect-fly: {}", e.public_message());
            if e.field() == Some("token") {
                1
            } else {
                2
            }
        }
    }
}
