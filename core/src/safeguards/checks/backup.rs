//! `backup-missing`: volume snapshots and Fly Postgres backups of a PHI app against the policy.

use super::{
    app_label, no_phi_reason, phi_words, CheckState, Outcome, Problem, SafeguardInput, SafeguardPolicy,
    FLY_DEFAULT_SNAPSHOT_RETENTION_DAYS, FLY_POSTGRES_BACKUP_SECRET,
};

pub(super) fn backup_missing(input: &SafeguardInput, policy: &SafeguardPolicy) -> Outcome {
    let config = &input.config;
    if !input.handles_phi() {
        return Outcome::passed(no_phi_reason(input));
    }
    let wanted = policy.snapshot_retention_days;
    let mut problems = Vec::new();
    let mut fine = Vec::new();
    for mount in &config.mounts {
        let name = mount.source.as_deref().map_or_else(|| "a volume".to_owned(), |s| format!("volume `{s}`"));
        if let Some(off) = mount.scheduled_snapshots.as_ref().filter(|f| !f.value) {
            problems.push(Problem {
                at: off.at.clone(),
                message: format!("{name}: `scheduled_snapshots = false`, so Fly takes no daily snapshots"),
                state: CheckState::Failed,
            });
            continue;
        }
        match &mount.snapshot_retention {
            Some(days) if days.value < i64::from(wanted) => problems.push(Problem {
                at: days.at.clone(),
                message: format!("{name}: snapshots are kept {} days, fewer than the policy's {wanted}", days.value),
                state: CheckState::Failed,
            }),
            Some(days) => fine.push(format!("{name}: {} days", days.value)),
            None if FLY_DEFAULT_SNAPSHOT_RETENTION_DAYS < wanted => problems.push(Problem {
                at: mount.at.clone(),
                message: format!(
                    "{name}: no `snapshot_retention`, so a volume created from this file keeps snapshots \
                     {FLY_DEFAULT_SNAPSHOT_RETENTION_DAYS} days (Fly's default), fewer than the policy's {wanted}"
                ),
                state: CheckState::Failed,
            }),
            None => fine.push(format!("{name}: {FLY_DEFAULT_SNAPSHOT_RETENTION_DAYS} days (Fly's default)")),
        }
    }
    if config.is_fly_postgres() {
        let secret_seen = input
            .secret_names
            .as_ref()
            .is_some_and(|names| names.iter().any(|n| n == FLY_POSTGRES_BACKUP_SECRET));
        if secret_seen {
            fine.push(format!("Fly Postgres backups configured ({FLY_POSTGRES_BACKUP_SECRET} is set)"));
        } else if let Some(hint) = config.backup_hints.first() {
            fine.push(format!("a backup tool is configured (`{}`)", hint.value));
        } else {
            let at = config.image.as_ref().map_or_else(|| config.location(), |i| i.at.clone());
            problems.push(match &input.secret_names {
                Some(_) => Problem {
                    at,
                    message: format!(
                        "Fly Postgres with no backup setting: the app's secrets have no {FLY_POSTGRES_BACKUP_SECRET}"
                    ),
                    state: CheckState::Failed,
                },
                None => Problem {
                    at,
                    message: format!(
                        "Fly Postgres: whether backups are on shows only in the app's secrets \
                         ({FLY_POSTGRES_BACKUP_SECRET}), which were not given"
                    ),
                    state: CheckState::NotVerifiable,
                },
            });
        }
    }
    if problems.is_empty() {
        return Outcome::passed(if fine.is_empty() {
            "No volumes: nothing on this app's disks to snapshot.".to_owned()
        } else {
            format!("Snapshots and backups meet the policy of {wanted} days: {}.", fine.join("; "))
        });
    }
    let app = config.app_name().unwrap_or("APP");
    let mut next = format!(
        "Set `snapshot_retention = {wanted}` (or more, up to 60) on each [[mounts]] and leave `scheduled_snapshots` on. \
         fly.toml applies only when a volume is created, so also update the existing volumes: `fly volumes list -a {app}`, \
         then `fly volumes update VOLUME_ID --snapshot-retention {wanted} --scheduled-snapshots=true -a {app}`."
    );
    if config.is_fly_postgres() {
        next.push_str(&format!(" For Fly Postgres, turn on backups: `fly postgres backup enable -a {app}`."));
    }
    Outcome {
        problems,
        passed: String::new(),
        failed: format!(
            "{} {}, and its data is not kept recoverable as the policy asks:",
            app_label(config),
            phi_words(input)
        ),
        next_step: next,
    }
}
