//! fly.toml files: the app, its primary region and volumes, and the facts the safeguard checks
//! read.

use super::part::{is_fly_name, is_region, Part};
use super::FlyToml;

impl Part<'_> {
    pub(super) fn fly_toml(&mut self, text: &str) {
        // The one fly.toml reader, shared with the safeguard checks.
        let config = match crate::safeguards::PlatformConfig::parse(self.file, text) {
            Ok(c) => c,
            Err(e) => return self.errors.push(e),
        };
        let facts = config.clone();
        let Some(app) = config.app else {
            return self.note(None, "this fly.toml names no app (`app = ...`), so it cannot be tied to one");
        };
        let (line, app) = (app.at.line.unwrap_or(1), app.value);
        if !self.check(is_fly_name(&app), line, || format!("`{app}` is not a Fly app name")) {
            return;
        }
        let primary_region = match config.primary_region {
            Some(r) if !is_region(&r.value) => {
                return self.error(
                    r.at.line,
                    format!("primary_region `{}` is not a Fly region code such as iad", r.value),
                )
            }
            Some(r) => Some(r.value),
            None => None,
        };
        let mut mounts = Vec::new();
        for mount in config.mounts {
            match mount.source {
                Some(s) if !s.trim().is_empty() => mounts.push(s),
                _ => self.note(mount.at.line, "a mount without `source` names no volume; not imported"),
            }
        }
        let at = self.at(line);
        self.snap.fly_tomls.push(FlyToml { app, primary_region, mounts, at, config: Some(facts) });
    }
}
