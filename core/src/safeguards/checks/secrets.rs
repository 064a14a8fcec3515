//! `secret-in-config`: entries of fly.toml that look like credentials.

use super::{CheckState, Outcome, Problem, SafeguardInput};
use crate::safeguards::ConfigSection;

pub(super) fn secret_in_config(input: &SafeguardInput) -> Outcome {
    let config = &input.config;
    if config.credentials.is_empty() {
        return Outcome::passed(if config.env_entries == 0 {
            "No entry of fly.toml looks like a credential ([env] is empty or absent).".to_owned()
        } else {
            let entries = match config.env_entries {
                1 => "The one [env] entry does not look".to_owned(),
                n => format!("None of the {n} [env] entries looks"),
            };
            format!(
                "{entries} like a credential (names such as `*_PASSWORD`, `*_SECRET`, `*_TOKEN`, `*_KEY` with a value, \
                 URLs with a password, known token formats)."
            )
        });
    }
    let problems = config
        .credentials
        .iter()
        .map(|c| Problem {
            at: c.at.clone(),
            message: format!("{} `{}`: {}", c.section.table(), c.name, c.why),
            state: CheckState::Failed,
        })
        .collect();
    let app = config.app_name().unwrap_or("APP");
    let mut next = format!(
        "Move each value into Fly's secrets manager (`fly secrets set NAME=VALUE -a {app}`, or `fly secrets import -a {app}` \
         from standard input to keep it out of shell history), delete the entry from fly.toml, and rotate the credential: \
         it is in the repository's history, so treat it as leaked."
    );
    if config.credentials.iter().any(|c| c.section == ConfigSection::BuildArgs) {
        next.push_str(
            " For build arguments, use a build secret instead (`fly deploy --build-secret NAME=VALUE` and \
             `RUN --mount=type=secret,id=NAME` in the Dockerfile): build arguments stay in the image.",
        );
    }
    if config.credentials.iter().any(|c| c.section == ConfigSection::Files) {
        next.push_str(" For [[files]], replace `raw_value` with `secret_name` naming a Fly secret.");
    }
    Outcome {
        problems,
        passed: String::new(),
        failed: format!(
            "fly.toml is kept in version control and shown by `fly config show`, yet entries of {} look like credentials:",
            config.file
        ),
        next_step: next,
    }
}
