//! `public-database`: a database app reachable from the internet.

use super::{app_label, CheckState, Outcome, Problem, SafeguardInput};
use crate::safeguards::PortConfig;

pub(super) fn public_database(input: &SafeguardInput) -> Outcome {
    let config = &input.config;
    let Some(sign) = config.database.first() else {
        return Outcome::passed(
            "No sign of a database app: no Fly Postgres or database image, no database port, no `pg_tls` handler.",
        );
    };
    let app = config.app_name().unwrap_or("APP");
    // Every port of a database app is a way into it; [http_service] too, since flyctl
    // makes public ports of it.
    let ports: Vec<&PortConfig> = config.all_services().flat_map(|s| s.ports.iter()).collect();
    let what = if config.is_fly_postgres() { "a Fly Postgres app" } else { "a database app" };
    if ports.is_empty() {
        return Outcome::passed(format!(
            "{} is {what} ({}) with no public port.",
            app_label(config),
            sign.why
        ));
    }
    if input.public_ips == Some(false) {
        return Outcome::passed(format!(
            "{} is {what} ({}) with service ports, but it has no public IP address: they are private (Flycast).",
            app_label(config),
            sign.why
        ));
    }
    let confirmed = input.public_ips == Some(true);
    let problems = ports
        .iter()
        .map(|p| Problem {
            at: p.at.clone(),
            message: if confirmed {
                format!("port {} is public (the app has a public IP address)", p.label())
            } else {
                format!(
                    "port {} is a public port of the Fly proxy (`fly deploy` gives the app public addresses unless told \
                     `--flycast` or `--no-public-ips`; fly.toml cannot show which)",
                    p.label()
                )
            },
            state: CheckState::Failed,
        })
        .collect();
    Outcome {
        problems,
        passed: String::new(),
        failed: format!("{} is {what} ({}) and is reachable from the internet:", app_label(config), sign.why),
        next_step: format!(
            "Remove the public ports (apps of the org reach the database over the private network, \
             `{app}.internal` or `{app}.flycast`), or release its public addresses (`fly ips list -a {app}`, \
             `fly ips release ADDRESS -a {app}`) and keep a private one (`fly ips allocate-v6 --private -a {app}`); \
             connect from outside with `fly proxy` or WireGuard. If `fly ips list` shows no public address, record an \
             exception with that evidence."
        ),
    }
}
