//! `fly secrets list -a APP`: secret names (never values or digests), from JSON or the table.

use std::collections::BTreeMap;

use super::classify::Format;
use super::part::{is_fly_name, Part};
use super::{AppSecrets, SecretName};
use crate::fly_import::{json, Location};

impl Part<'_> {
    fn secret(
        &mut self,
        seen: &mut BTreeMap<String, usize>,
        line: usize,
        name: &str,
        status: Option<String>,
    ) -> Option<SecretName> {
        let valid = !name.is_empty() && !name.chars().any(|c| c.is_whitespace() || c.is_control());
        let ok = self.check(valid, line, || format!("`{name}` is not a secret name"))
            && self.unique(seen, "secret", name, line);
        ok.then(|| SecretName { name: name.to_owned(), status, at: self.at(line) })
    }

    pub(super) fn secrets(&mut self, app: &str, format: Format, text: &str) {
        if !is_fly_name(app) {
            return self.error(None, format!("`{app}` in the file name is not a Fly app name"));
        }
        let mut seen = BTreeMap::new();
        let mut secrets = Vec::new();
        if format == Format::Json {
            match json::secrets(self.file, text) {
                Ok(list) => {
                    for (line, s) in list {
                        secrets.extend(self.secret(&mut seen, line, &s.name, s.status));
                    }
                }
                Err(e) => self.errors.push(e),
            }
        } else if let Some(t) = self.table(text) {
            let name_col = match t.require(self.file, &["NAME"]) {
                Ok(c) => c[0],
                Err(e) => return self.errors.push(e),
            };
            let status_col = t.column("STATUS");
            for row in &t.rows {
                let raw = row.cells.get(name_col).map_or("", String::as_str);
                // A staged secret is printed `* NAME`, a partially deployed one `! NAME`.
                let name = raw.strip_prefix("* ").or_else(|| raw.strip_prefix("! ")).unwrap_or(raw).trim();
                let status = status_col.and_then(|c| row.cells.get(c)).filter(|s| !s.is_empty()).cloned();
                secrets.extend(self.secret(&mut seen, row.line, name, status));
            }
        }
        let at = Location::file(self.file);
        self.snap.secrets.push(AppSecrets { app: app.to_owned(), secrets, at });
    }
}
