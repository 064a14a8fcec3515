//! Command line: `serve` (the default), `create-owner` for scripted first-run setup, `migrate`.

use baa_backend::accounts::{self, SetupInput};
use baa_backend::clock::Clock;
use baa_backend::config::Config;
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
}

/// Runs a command; returns the process exit code.
pub async fn run(cli: Cli, config: Config) -> anyhow::Result<i32> {
    match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => {
            let app = crate::Application::spawn(config, Clock::system()).await?;
            app.run_until_signal().await?;
            Ok(0)
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
