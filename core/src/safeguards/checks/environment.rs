//! `environment-mixed`: one fly.toml for two environments, or a file that disagrees with its
//! app's org.

use super::{app_label, CheckState, Outcome, Problem, SafeguardInput};
use crate::coverage::Environment;
use crate::safeguards::{EnvironmentHint, HintSource};

fn env_label(env: Environment) -> &'static str {
    match env {
        Environment::Production => "production",
        Environment::Staging => "staging",
        Environment::Development => "development",
    }
}

fn hint_label(hint: &EnvironmentHint) -> String {
    match &hint.source {
        HintSource::FileName => "the file name".to_owned(),
        HintSource::AppName => "the app name".to_owned(),
        HintSource::Env { key } => format!("`{key}`"),
    }
}

pub(super) fn environment_mixed(input: &SafeguardInput, others: &[&SafeguardInput]) -> Outcome {
    let config = &input.config;
    let hints = &config.environment_hints;
    let mut problems = Vec::new();
    if let Some(first) = hints.first() {
        for other in hints.iter().filter(|h| h.environment != first.environment) {
            problems.push(Problem {
                at: other.at.clone(),
                message: format!(
                    "{} says {} but {} says {}: one file for two environments",
                    hint_label(first),
                    env_label(first.environment),
                    hint_label(other),
                    env_label(other.environment)
                ),
                state: CheckState::Failed,
            });
        }
    }
    if let Some(app) = config.app_name() {
        for other in others.iter().filter(|o| o.config.app_name() == Some(app)) {
            for theirs in &other.config.environment_hints {
                if hints.iter().any(|mine| mine.environment != theirs.environment) {
                    problems.push(Problem {
                        at: config.location(),
                        message: format!(
                            "app `{app}` is also configured by {} for {} ({})",
                            other.config.file,
                            env_label(theirs.environment),
                            hint_label(theirs)
                        ),
                        state: CheckState::Failed,
                    });
                    break;
                }
            }
        }
    }
    // The app name against the org is the coverage engine's own environment-mixed rule; here
    // the file itself (its name, NODE_ENV and the like) is compared with the org.
    let file_hints: Vec<_> = hints.iter().filter(|h| !matches!(h.source, HintSource::AppName)).collect();
    match input.org_environment {
        Some(org) => {
            for hint in file_hints.iter().filter(|h| h.environment != org) {
                problems.push(Problem {
                    at: hint.at.clone(),
                    message: format!(
                        "{} says {} but {} lives in a {} org",
                        hint_label(hint),
                        env_label(hint.environment),
                        app_label(config),
                        env_label(org)
                    ),
                    state: CheckState::Failed,
                });
            }
        }
        None if problems.is_empty() => problems.push(Problem {
            at: config.location(),
            message: "the environment of the app's org is not known here".to_owned(),
            state: CheckState::NotVerifiable,
        }),
        None => {}
    }
    let named = if hints.is_empty() {
        "names no environment".to_owned()
    } else {
        let mut envs: Vec<&str> = Vec::new();
        for env in hints.iter().map(|h| env_label(h.environment)) {
            if !envs.contains(&env) {
                envs.push(env);
            }
        }
        format!("is for {}", envs.join(" and "))
    };
    let passed = match input.org_environment {
        Some(org) => {
            format!("{} {named}, and {} lives in a {} org.", config.file, app_label(config), env_label(org))
        }
        None => String::new(),
    };
    let failed_all_unverifiable = problems.iter().all(|p| p.state == CheckState::NotVerifiable);
    Outcome {
        problems,
        passed,
        failed: if failed_all_unverifiable {
            format!("{} {named}; whether that matches the app's org cannot be checked:", config.file)
        } else {
            format!("{} mixes environments:", config.file)
        },
        next_step: if failed_all_unverifiable {
            "Check the file where the app's org is known: import it with a fly snapshot (the org comes from \
             `fly apps list`), or state the org's environment to `baa-tracker check --org-environment`."
                .to_owned()
        } else {
            "Keep one fly.toml per environment (`fly.toml` for production, `fly.staging.toml` for staging), each naming \
             its own app in its own org, deploy with `fly deploy --config FILE`, and move an app that is in the wrong \
             org (`fly apps move APP --org ORG`)."
                .to_owned()
        },
    }
}
