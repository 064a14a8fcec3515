//! `fly orgs list`: the JSON output and the text table.

use std::collections::BTreeMap;

use super::part::{is_fly_name, Part};
use super::SnapshotOrg;
use crate::fly_import::{json, table};

impl Part<'_> {
    pub(super) fn orgs_json(&mut self, text: &str) {
        match json::orgs(self.file, text) {
            Ok(orgs) => {
                for (line, slug, name) in orgs {
                    if self.check(is_fly_name(&slug), line, || format!("`{slug}` is not a Fly org slug")) {
                        let personal = slug == "personal";
                        let at = self.at(line);
                        self.snap.orgs.push(SnapshotOrg { slug, name, personal, at });
                    }
                }
            }
            Err(e) => self.errors.push(e),
        }
    }

    pub(super) fn orgs_text(&mut self, text: &str) {
        match table::parse_orgs_text(self.file, text) {
            Ok(rows) => {
                let mut seen = BTreeMap::new();
                for row in rows {
                    let ok = self.check(is_fly_name(&row.slug), row.line, || {
                        format!("`{}` is not a Fly org slug", row.slug)
                    });
                    if ok && self.unique(&mut seen, "org", &row.slug, row.line) {
                        let personal = row.kind == "PERSONAL" || row.slug == "personal";
                        let at = self.at(row.line);
                        self.snap.orgs.push(SnapshotOrg { slug: row.slug, name: row.name, personal, at });
                    }
                }
            }
            Err(errors) => self.errors.extend(errors),
        }
    }
}
