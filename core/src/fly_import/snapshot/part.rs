//! The collector of one file's facts, notes and errors, the checks every parser shares, and the
//! choice of parser for a file.

use std::collections::BTreeMap;

use super::classify::{Command, Format};
use super::Snapshot;
use crate::fly_import::table::{self, Table};
use crate::fly_import::{ImportError, Location, Unmapped};

/// Fly app names and org slugs: lower-case letters, digits and dashes.
pub(super) fn is_fly_name(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 63
        && s.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_')
}

/// Region codes such as `iad` or `fra`.
pub(super) fn is_region(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 8
        && s.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

/// Extension names: anything without spaces or control characters.
pub(super) fn is_extension_name(s: &str) -> bool {
    !s.is_empty() && s.len() <= 255 && !s.chars().any(|c| c.is_whitespace() || c.is_control())
}

/// Collects the facts, notes and errors of one file.
pub(super) struct Part<'a> {
    pub(super) file: &'a str,
    pub(super) snap: Snapshot,
    pub(super) errors: Vec<ImportError>,
}

impl<'a> Part<'a> {
    pub(super) fn new(file: &'a str) -> Self {
        Self { file, snap: Snapshot::default(), errors: Vec::new() }
    }

    pub(super) fn at(&self, line: usize) -> Location {
        Location::line(self.file, line)
    }

    pub(super) fn error(&mut self, line: Option<usize>, message: impl Into<String>) {
        self.errors.push(ImportError::at(self.file, line, message));
    }

    pub(super) fn note(&mut self, line: Option<usize>, reason: impl Into<String>) {
        self.snap.unmapped.push(Unmapped { file: self.file.to_owned(), line, reason: reason.into() });
    }

    /// Checks a name, reporting it once per file if it repeats.
    pub(super) fn unique(
        &mut self,
        seen: &mut BTreeMap<String, usize>,
        what: &str,
        name: &str,
        line: usize,
    ) -> bool {
        if let Some(first) = seen.get(name) {
            self.error(Some(line), format!("{what} `{name}` is listed twice (first on line {first})"));
            return false;
        }
        seen.insert(name.to_owned(), line);
        true
    }

    pub(super) fn check(&mut self, ok: bool, line: usize, message: impl FnOnce() -> String) -> bool {
        if !ok {
            self.error(Some(line), message());
        }
        ok
    }

    pub(super) fn regions(&mut self, line: usize, cells: &[&str]) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for cell in cells {
            for r in cell.split(',').map(str::trim).filter(|r| !r.is_empty() && *r != "None") {
                if !is_region(r) {
                    self.error(Some(line), format!("`{r}` is not a Fly region code such as iad or fra"));
                } else if !out.iter().any(|x| x == r) {
                    out.push(r.to_owned());
                }
            }
        }
        out
    }

    pub(super) fn table(&mut self, text: &str) -> Option<Table> {
        match table::parse(self.file, text) {
            Ok(t) => Some(t),
            Err(errors) => {
                self.errors.extend(errors);
                None
            }
        }
    }

    pub(super) fn parse(&mut self, command: &Command, format: Format, text: &str) {
        match (command, format) {
            (Command::Orgs, Format::Json) => self.orgs_json(text),
            (Command::Orgs, _) => self.orgs_text(text),
            (Command::Apps, Format::Json) => self.apps_json(text),
            (Command::Apps, _) => self.apps_table(text),
            (Command::Secrets(app), _) => self.secrets(app, format, text),
            (Command::List(kind), _) => self.list(kind, text),
            (Command::RedisStatus(db), _) => self.redis_status(db, text),
            (Command::FlyToml, _) => self.fly_toml(text),
        }
    }
}
