//! `fly apps list`: the JSON output and the table.

use std::collections::BTreeMap;

use super::part::{is_fly_name, Part};
use super::SnapshotApp;
use crate::fly_import::json;

impl Part<'_> {
    fn push_app(&mut self, seen: &mut BTreeMap<String, usize>, line: usize, app: SnapshotApp) {
        let ok = self.check(is_fly_name(&app.name), line, || format!("`{}` is not a Fly app name", app.name))
            && self.check(is_fly_name(&app.org), line, || {
                format!("app `{}` has no valid org slug (found `{}`)", app.name, app.org)
            });
        if ok && self.unique(seen, "app", &app.name, line) {
            self.snap.apps.push(app);
        }
    }

    pub(super) fn apps_json(&mut self, text: &str) {
        match json::apps(self.file, text) {
            Ok(apps) => {
                let mut seen = BTreeMap::new();
                for (line, app) in apps {
                    let (org, org_name) = app.organization.map(|o| (o.slug, o.name)).unwrap_or_default();
                    let app = SnapshotApp {
                        name: app.name,
                        org,
                        org_name: (!org_name.is_empty()).then_some(org_name),
                        status: app.status,
                        regions: Vec::new(),
                        at: self.at(line),
                    };
                    self.push_app(&mut seen, line, app);
                }
            }
            Err(e) => self.errors.push(e),
        }
    }

    pub(super) fn apps_table(&mut self, text: &str) {
        let Some(t) = self.table(text) else { return };
        let cols = match t.require(self.file, &["NAME", "OWNER", "STATUS"]) {
            Ok(c) => c,
            Err(e) => return self.errors.push(e),
        };
        let mut seen = BTreeMap::new();
        for row in &t.rows {
            let cell = |i: usize| row.cells.get(cols[i]).cloned().unwrap_or_default();
            if cell(0).starts_with('(') {
                self.note(
                    Some(row.line),
                    format!("`{}`: flyctl hides this app's name (run with --verbose to list it)", cell(0)),
                );
                continue;
            }
            let app = SnapshotApp {
                name: cell(0),
                org: cell(1),
                org_name: None,
                status: cell(2),
                regions: Vec::new(),
                at: self.at(row.line),
            };
            self.push_app(&mut seen, row.line, app);
        }
    }
}
