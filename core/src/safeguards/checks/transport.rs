//! `transport-unencrypted`: public ports of a PHI app that answer without TLS.

use super::{app_label, no_phi_reason, phi_words, CheckState, Outcome, Problem, SafeguardInput};
use crate::safeguards::{PortConfig, ServiceConfig, ServiceKind};

fn port_protocol(service_protocol: Option<&str>) -> &'static str {
    match service_protocol.map(str::to_ascii_lowercase).as_deref() {
        Some("udp") => "UDP",
        _ => "TCP",
    }
}

pub(super) fn transport_unencrypted(input: &SafeguardInput) -> Outcome {
    let config = &input.config;
    if !input.handles_phi() {
        return Outcome::passed(no_phi_reason(input));
    }
    let services: Vec<_> = config.all_services().collect();
    let ports: Vec<(&ServiceConfig, &PortConfig)> =
        services.iter().flat_map(|s| s.ports.iter().map(move |p| (*s, p))).collect();
    if ports.is_empty() {
        return Outcome::passed(
            "No [http_service] and no [[services]] port: nothing is exposed through the Fly proxy.",
        );
    }
    if input.public_ips == Some(false) {
        return Outcome::passed(format!(
            "{} has no public IP address, so its ports are reached only over Fly's private network, which is \
             encrypted (WireGuard).",
            app_label(config)
        ));
    }
    let mut problems = Vec::new();
    for (service, port) in &ports {
        let http = port.has("http");
        let tls = port.has("tls") || port.has("pg_tls");
        let problem = if http && !tls && !port.force_https {
            Some(match service.kind {
                ServiceKind::HttpService => {
                    "[http_service] without `force_https = true`: port 80 answers plain HTTP".to_owned()
                }
                ServiceKind::Service => format!(
                    "port {} has the `http` handler without `tls` or `force_https = true`: it answers plain HTTP",
                    port.label()
                ),
            })
        } else if !http && !tls {
            let proto = port_protocol(service.protocol.as_deref());
            Some(format!(
                "port {} passes raw {proto} to the app with no TLS at Fly's edge (encrypted only if the app itself \
                 speaks TLS there, which fly.toml cannot show)",
                port.label()
            ))
        } else {
            None
        };
        if let Some(message) = problem {
            problems.push(Problem { at: port.at.clone(), message, state: CheckState::Failed });
        }
    }
    if problems.is_empty() {
        let mut labels: Vec<String> = Vec::new();
        for label in ports.iter().map(|(_, p)| p.label()) {
            if !labels.contains(&label) {
                labels.push(label);
            }
        }
        return Outcome::passed(format!(
            "Every public port uses TLS at Fly's edge or redirects HTTP to HTTPS (ports {}).",
            labels.join(", ")
        ));
    }
    Outcome {
        problems,
        passed: String::new(),
        failed: format!("{} {} and can be reached without encryption:", app_label(config), phi_words(input)),
        next_step: "Set `force_https = true` in [http_service] and on every `http` port of [[services]]; give raw TCP \
                    ports the `tls` handler (`handlers = [\"tls\"]`), or, if the app requires TLS itself, record an \
                    exception saying how; or serve the app privately only (Flycast, `fly ips release` its public \
                    addresses)."
            .to_owned(),
    }
}
