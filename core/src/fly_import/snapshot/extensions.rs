//! Extension list commands (`fly storage list`, `fly redis list`, `fly ext ... list`) and
//! `fly redis status NAME`.

use std::collections::BTreeMap;

use super::part::{is_extension_name, is_fly_name, Part};
use super::{Extension, RedisStatus};
use crate::fly_import::mapping::ExtensionKind;
use crate::fly_import::table;

impl Part<'_> {
    pub(super) fn list(&mut self, kind: &ExtensionKind, text: &str) {
        let looks_like_table =
            text.lines().find(|l| !l.trim().is_empty()).is_some_and(|l| l.contains(['│', '\t']));
        if let (Some(line), false) = (table::help_text_line(text), looks_like_table) {
            let what = if *kind == ExtensionKind::Wafris { "Wafris WAFs" } else { "these extensions" };
            return self.note(
                Some(line),
                format!(
                    "`{}` printed the command's help: flyctl has no list command for {kind}, so {what} \
                     cannot be read from the CLI; add them by hand (the app's dashboard lists them)",
                    kind.list_command()
                ),
            );
        }
        let Some(t) = self.table(text) else { return };
        let cols = match t.require(self.file, &["NAME", "ORG"]) {
            Ok(c) => c,
            Err(e) => return self.errors.push(e),
        };
        self.snap.listed.push(kind.clone());
        let plan_col = t.column("PLAN");
        let primary_col = t.column("PRIMARY REGION").or_else(|| t.column("REGION")).or_else(|| {
            // `fly ext arcjet list` prints the primary region under an empty header.
            (*kind == ExtensionKind::Arcjet).then(|| t.column("")).flatten()
        });
        let read_col = t.column("READ REGIONS");
        let mut seen = BTreeMap::new();
        for row in &t.rows {
            let cell = |c: Option<usize>| c.and_then(|c| row.cells.get(c)).map_or("", String::as_str);
            let (name, org) = (cell(Some(cols[0])), cell(Some(cols[1])));
            let ok = self
                .check(is_extension_name(name), row.line, || format!("`{name}` is not an extension name"))
                && self.check(is_fly_name(org), row.line, || format!("`{org}` is not a Fly org slug"))
                && self.unique(&mut seen, &kind.to_string(), name, row.line);
            if !ok {
                continue;
            }
            let regions = self.regions(row.line, &[cell(primary_col), cell(read_col)]);
            let plan = Some(cell(plan_col)).filter(|p| !p.is_empty()).map(str::to_owned);
            self.snap.extensions.push(Extension {
                kind: kind.clone(),
                name: name.to_owned(),
                org: org.to_owned(),
                plan,
                regions,
                apps: Vec::new(),
                at: self.at(row.line),
            });
        }
    }

    pub(super) fn redis_status(&mut self, db: &str, text: &str) {
        let fields = match table::parse_vertical(self.file, text) {
            Ok(f) => f,
            Err(errors) => return self.errors.extend(errors),
        };
        let get = |key: &str| fields.iter().find(|f| f.key == key);
        let Some(name) = get("Name") else {
            return self.error(None, "`fly redis status` output without a Name row");
        };
        if name.value != db {
            return self.error(
                Some(name.line),
                format!("the status is of `{}` but the file is named for `{db}`", name.value),
            );
        }
        let prod_pack = match get("ProdPack") {
            None => None,
            Some(f) if f.value == "Enabled" => Some(true),
            Some(f) if f.value == "Disabled" => Some(false),
            Some(f) => {
                return self
                    .error(Some(f.line), format!("ProdPack is `{}`; expected Enabled or Disabled", f.value))
            }
        };
        let primary = get("Primary Region").map_or("", |f| f.value.as_str());
        let read = get("Read Regions").map_or("", |f| f.value.as_str());
        let regions = self.regions(name.line, &[primary, read]);
        // The Private URL row holds the database password: it is never read.
        self.snap.redis_status.push(RedisStatus {
            name: db.to_owned(),
            plan: get("Plan").map(|f| f.value.clone()).filter(|p| !p.is_empty()),
            prod_pack,
            regions,
            at: self.at(name.line),
        });
    }
}
