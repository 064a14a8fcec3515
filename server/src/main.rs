//! The `baa-tracker` binary: parse the command line and configuration, then hand over.

use clap::Parser;

#[tokio::main]
async fn main() {
    let cli = server::cli::Cli::parse();
    if let Some(server::cli::Command::VerifyPacket { bundle, public_keys, server }) = &cli.command {
        // Offline (unless --server): no configuration or database needed.
        let code = server::cli::verify_packet_command(
            bundle,
            public_keys,
            server.as_deref(),
            &mut std::io::stdout(),
            &mut std::io::stderr(),
        )
        .await;
        std::process::exit(code);
    }
    if let Some(server::cli::Command::Check(args)) = &cli.command {
        if !args.fly_toml.is_empty() {
            // Offline too: a pre-deploy check must not depend on the server's configuration.
            std::process::exit(server::check::check_fly_toml(
                args,
                &mut std::io::stdout(),
                &mut std::io::stderr(),
            ));
        }
    }
    let config = match baa_backend::config::Config::from_env() {
        Ok(c) => c,
        Err(e) => {
            eprintln!("baa-tracker: {e}");
            std::process::exit(2);
        }
    };
    server::init_tracing(config.log_json);
    match server::cli::run(cli, config).await {
        Ok(code) => std::process::exit(code),
        Err(e) => {
            tracing::error!(error = %format!("{e:#}"), "baa-tracker stopped");
            eprintln!("baa-tracker: {e:#}");
            std::process::exit(1);
        }
    }
}
