//! The parsed facts of a snapshot, and the parser that reads them from the files.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use super::mapping::ExtensionKind;
use super::table::{self, Table};
use super::{json, ImportError, ImportErrors, Location, SnapshotFile, Unmapped};

/// Everything a snapshot says, as plain facts with the place each was read.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Snapshot {
    /// Orgs of `fly orgs list`, by slug.
    pub orgs: Vec<SnapshotOrg>,
    /// Apps of `fly apps list`, by name.
    pub apps: Vec<SnapshotApp>,
    /// Secret names of `fly secrets list -a APP`, by app.
    pub secrets: Vec<AppSecrets>,
    /// Extensions of `fly storage list`, `fly redis list` and `fly ext NAME list`, by kind and name.
    pub extensions: Vec<Extension>,
    /// Kinds whose list is in the snapshot (an empty list included): only for these does a
    /// missing extension mean anything.
    pub listed: Vec<ExtensionKind>,
    /// `fly redis status NAME` outputs, by name.
    pub redis_status: Vec<RedisStatus>,
    /// fly.toml files, by app.
    pub fly_tomls: Vec<FlyToml>,
    /// Files and parts of files the import does not read, with the reason.
    pub unmapped: Vec<Unmapped>,
}

/// A Fly org.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SnapshotOrg {
    /// Fly's slug.
    pub slug: String,
    /// Display name.
    pub name: String,
    /// Whether it is the user's personal org (slug `personal`, or type `PERSONAL`).
    pub personal: bool,
    /// Where it was read.
    pub at: Location,
}

/// A Fly app.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SnapshotApp {
    /// App name.
    pub name: String,
    /// Org slug (`OWNER` in the table).
    pub org: String,
    /// Org display name, which only the JSON output carries.
    pub org_name: Option<String>,
    /// `deployed`, `suspended`, `pending`, ...
    pub status: String,
    /// Regions it runs in, when the source shows them (the Fly API does; `fly apps list` not).
    #[serde(default)]
    pub regions: Vec<String>,
    /// Where it was read.
    pub at: Location,
}

/// The secret names of one app.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AppSecrets {
    /// App name, from the file name `secrets-list--APP`.
    pub app: String,
    /// Secret names with their deployment status.
    pub secrets: Vec<SecretName>,
    /// The file.
    pub at: Location,
}

impl AppSecrets {
    /// The secret with this name.
    pub fn get(&self, name: &str) -> Option<&SecretName> {
        self.secrets.iter().find(|s| s.name == name)
    }
}

/// The name of a secret (never its value or digest).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SecretName {
    /// Environment variable name.
    pub name: String,
    /// `Deployed`, `Staged`, `Partial`, `Unknown`, or `None` when flyctl printed no status.
    pub status: Option<String>,
    /// Where it was read.
    pub at: Location,
}

/// One extension (bucket, database, project, cluster) from a list command.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Extension {
    /// Which list it came from.
    pub kind: ExtensionKind,
    /// Its name.
    pub name: String,
    /// Org slug.
    pub org: String,
    /// Plan display name, when the list has a PLAN column (`fly redis list`).
    pub plan: Option<String>,
    /// Primary region first, then read regions; empty when the list shows none.
    pub regions: Vec<String>,
    /// Apps the source says it is attached to (the Fly API's `app` and `apps`; the CLI lists
    /// show none, so the planner falls back on secrets).
    #[serde(default)]
    pub apps: Vec<String>,
    /// Where it was read.
    pub at: Location,
}

/// What `fly redis status NAME` adds to the list: the plan and whether ProdPack is on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RedisStatus {
    /// Database name.
    pub name: String,
    /// Plan display name.
    pub plan: Option<String>,
    /// Whether Upstash ProdPack is enabled; `None` when the output has no ProdPack row.
    pub prod_pack: Option<bool>,
    /// Primary region first, then read regions.
    pub regions: Vec<String>,
    /// Where it was read (the Name row).
    pub at: Location,
}

/// What a fly.toml says.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FlyToml {
    /// `app`.
    pub app: String,
    /// `primary_region`.
    pub primary_region: Option<String>,
    /// Volume names (`source`) of `[[mounts]]`.
    pub mounts: Vec<String>,
    /// Where it was read (the `app` line).
    pub at: Location,
    /// Every fact the platform safeguard checks need (no secret value: see
    /// [`crate::safeguards::PlatformConfig`]), kept so the import can store them. `None` when
    /// the mounts come from the Fly API rather than a file (nothing to check then).
    pub config: Option<crate::safeguards::PlatformConfig>,
}

/// Which command wrote a file, and in which format.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Command {
    Orgs,
    Apps,
    Secrets(String),
    List(ExtensionKind),
    RedisStatus(String),
    FlyToml,
}

/// Output formats in order of preference when one command's output is given several times.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Format {
    Json,
    Table,
    LegacyTable,
}

/// A file to read, once classified.
struct Input<'a> {
    format: Format,
    name: String,
    command: Command,
    bytes: &'a [u8],
}

enum Classified {
    Read(Command, Format),
    Skip(String),
}

fn classify(name: &str) -> Classified {
    let (dir, base) = name.rsplit_once('/').unwrap_or(("", name));
    if base.ends_with(".toml") {
        let in_toml_dir = dir.rsplit('/').next() == Some("fly-toml");
        return if in_toml_dir || base.starts_with("fly") {
            Classified::Read(Command::FlyToml, Format::Table)
        } else {
            Classified::Skip(
                "a TOML file that is not a fly.toml (put fly.toml files in fly-toml/)".to_owned(),
            )
        };
    }
    let (stem, format) = if let Some(s) = base.strip_suffix(".legacy.txt") {
        (s, Format::LegacyTable)
    } else if let Some(s) = base.strip_suffix(".txt") {
        (s, Format::Table)
    } else if let Some(s) = base.strip_suffix(".json") {
        (s, Format::Json)
    } else {
        return Classified::Skip("not a fly output this import reads".to_owned());
    };
    let command =
        match stem {
            "orgs-list" => Command::Orgs,
            "apps-list" => Command::Apps,
            "storage-list" => Command::List(ExtensionKind::Tigris),
            "redis-list" => Command::List(ExtensionKind::UpstashRedis),
            "platform-regions" => return Classified::Skip(
                "the platform's region list is reference data; regions are read from the lists and fly.toml"
                    .to_owned(),
            ),
            _ => {
                if let Some(app) = stem.strip_prefix("secrets-list--").filter(|a| !a.is_empty()) {
                    Command::Secrets(app.to_owned())
                } else if let Some(db) = stem.strip_prefix("redis-status--").filter(|a| !a.is_empty()) {
                    Command::RedisStatus(db.to_owned())
                } else if let Some(ext) =
                    stem.strip_prefix("ext-").and_then(|s| s.strip_suffix("-list")).filter(|s| !s.is_empty())
                {
                    Command::List(ExtensionKind::from_command(ext))
                } else {
                    return Classified::Skip("not a fly output this import reads".to_owned());
                }
            }
        };
    let json_ok = matches!(command, Command::Orgs | Command::Apps | Command::Secrets(_));
    if format == Format::Json && !json_ok {
        return Classified::Skip(
            "this fly command has no --json output; the import reads its table".to_owned(),
        );
    }
    Classified::Read(command, format)
}

impl Command {
    /// Files of the same command describe the same facts; only one of them is used.
    fn group(&self, file: &str) -> String {
        match self {
            Command::Orgs => "orgs".to_owned(),
            Command::Apps => "apps".to_owned(),
            Command::Secrets(app) => format!("secrets:{app}"),
            Command::List(kind) => format!("list:{kind:?}"),
            Command::RedisStatus(name) => format!("redis-status:{name}"),
            Command::FlyToml => format!("toml:{file}"),
        }
    }
}

fn normalize(name: &str) -> String {
    let name = name.replace('\\', "/");
    let mut name = name.as_str();
    while let Some(rest) = name.strip_prefix("./").or_else(|| name.strip_prefix('/')) {
        name = rest;
    }
    name.to_owned()
}

fn decode<'a>(file: &str, bytes: &'a [u8]) -> Result<&'a str, ImportError> {
    match std::str::from_utf8(bytes) {
        Ok(text) => Ok(text.strip_prefix('\u{feff}').unwrap_or(text)),
        Err(e) => {
            let good = bytes.get(..e.valid_up_to()).unwrap_or_default();
            let line = good.iter().filter(|b| **b == b'\n').count() + 1;
            Err(ImportError::at(file, Some(line), "not UTF-8 text: is this really a fly output?"))
        }
    }
}

/// Fly app names and org slugs: lower-case letters, digits and dashes.
fn is_fly_name(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 63
        && s.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_')
}

/// Region codes such as `iad` or `fra`.
fn is_region(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 8
        && s.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

/// Extension names: anything without spaces or control characters.
fn is_extension_name(s: &str) -> bool {
    !s.is_empty() && s.len() <= 255 && !s.chars().any(|c| c.is_whitespace() || c.is_control())
}

/// Collects the facts, notes and errors of one file.
struct Part<'a> {
    file: &'a str,
    snap: Snapshot,
    errors: Vec<ImportError>,
}

impl<'a> Part<'a> {
    fn new(file: &'a str) -> Self {
        Self { file, snap: Snapshot::default(), errors: Vec::new() }
    }

    fn at(&self, line: usize) -> Location {
        Location::line(self.file, line)
    }

    fn error(&mut self, line: Option<usize>, message: impl Into<String>) {
        self.errors.push(ImportError::at(self.file, line, message));
    }

    fn note(&mut self, line: Option<usize>, reason: impl Into<String>) {
        self.snap.unmapped.push(Unmapped { file: self.file.to_owned(), line, reason: reason.into() });
    }

    /// Checks a name, reporting it once per file if it repeats.
    fn unique(&mut self, seen: &mut BTreeMap<String, usize>, what: &str, name: &str, line: usize) -> bool {
        if let Some(first) = seen.get(name) {
            self.error(Some(line), format!("{what} `{name}` is listed twice (first on line {first})"));
            return false;
        }
        seen.insert(name.to_owned(), line);
        true
    }

    fn check(&mut self, ok: bool, line: usize, message: impl FnOnce() -> String) -> bool {
        if !ok {
            self.error(Some(line), message());
        }
        ok
    }

    fn regions(&mut self, line: usize, cells: &[&str]) -> Vec<String> {
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

    fn table(&mut self, text: &str) -> Option<Table> {
        match table::parse(self.file, text) {
            Ok(t) => Some(t),
            Err(errors) => {
                self.errors.extend(errors);
                None
            }
        }
    }

    fn orgs_json(&mut self, text: &str) {
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

    fn orgs_text(&mut self, text: &str) {
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

    fn push_app(&mut self, seen: &mut BTreeMap<String, usize>, line: usize, app: SnapshotApp) {
        let ok = self.check(is_fly_name(&app.name), line, || format!("`{}` is not a Fly app name", app.name))
            && self.check(is_fly_name(&app.org), line, || {
                format!("app `{}` has no valid org slug (found `{}`)", app.name, app.org)
            });
        if ok && self.unique(seen, "app", &app.name, line) {
            self.snap.apps.push(app);
        }
    }

    fn apps_json(&mut self, text: &str) {
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

    fn apps_table(&mut self, text: &str) {
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

    fn secrets(&mut self, app: &str, format: Format, text: &str) {
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

    fn list(&mut self, kind: &ExtensionKind, text: &str) {
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

    fn redis_status(&mut self, db: &str, text: &str) {
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

    fn fly_toml(&mut self, text: &str) {
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

    fn parse(&mut self, command: &Command, format: Format, text: &str) {
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

impl Snapshot {
    /// Parses a snapshot. Every file is read; if any is malformed the result is every error
    /// found (in file order), and no snapshot. Unknown files become [`Unmapped`] notes. When one
    /// command's output is given several times (JSON and table, or both table layouts), the
    /// JSON, else the current table, else the legacy table is used and the others are noted.
    pub fn parse(files: &[SnapshotFile]) -> Result<Snapshot, ImportErrors> {
        let mut snap = Snapshot::default();
        let mut errors = Vec::new();
        let mut names = BTreeSet::new();
        let mut groups: BTreeMap<String, Vec<Input<'_>>> = BTreeMap::new();
        for f in files {
            let name = normalize(&f.name);
            if !names.insert(name.clone()) {
                errors.push(ImportError::at(&name, None, "the file is given twice"));
                continue;
            }
            match classify(&name) {
                Classified::Skip(reason) => snap.unmapped.push(Unmapped { file: name, line: None, reason }),
                Classified::Read(command, format) => {
                    let input = Input { format, name, command, bytes: &f.bytes };
                    groups.entry(input.command.group(&input.name)).or_default().push(input);
                }
            }
        }
        for mut group in groups.into_values() {
            group.sort_by(|a, b| (a.format, &a.name).cmp(&(b.format, &b.name)));
            let used = group.first().map(|g| g.name.clone()).unwrap_or_default();
            for (i, input) in group.iter().enumerate() {
                let mut part = Part::new(&input.name);
                match decode(&input.name, input.bytes) {
                    Ok(text) => part.parse(&input.command, input.format, text),
                    Err(e) => part.errors.push(e),
                }
                errors.append(&mut part.errors);
                if i == 0 {
                    snap.merge(part.snap);
                } else {
                    snap.unmapped.push(Unmapped {
                        file: input.name.clone(),
                        line: None,
                        reason: format!("output of the same command as {used}, which was used instead"),
                    });
                }
            }
        }
        if !errors.is_empty() {
            errors.sort_by(|a, b| (&a.file, a.line).cmp(&(&b.file, b.line)));
            return Err(ImportErrors(errors));
        }
        snap.sort();
        Ok(snap)
    }

    fn merge(&mut self, other: Snapshot) {
        self.orgs.extend(other.orgs);
        self.apps.extend(other.apps);
        self.secrets.extend(other.secrets);
        self.extensions.extend(other.extensions);
        self.listed.extend(other.listed);
        self.redis_status.extend(other.redis_status);
        self.fly_tomls.extend(other.fly_tomls);
        self.unmapped.extend(other.unmapped);
    }

    fn sort(&mut self) {
        self.orgs.sort_by(|a, b| a.slug.cmp(&b.slug));
        self.apps.sort_by(|a, b| a.name.cmp(&b.name));
        self.secrets.sort_by(|a, b| a.app.cmp(&b.app));
        self.extensions.sort_by(|a, b| (&a.kind, &a.name).cmp(&(&b.kind, &b.name)));
        self.listed.sort();
        self.listed.dedup();
        self.redis_status.sort_by(|a, b| a.name.cmp(&b.name));
        self.fly_tomls.sort_by(|a, b| (&a.app, &a.at).cmp(&(&b.app, &b.at)));
        self.unmapped.sort();
    }

    /// The app with this name.
    pub fn app(&self, name: &str) -> Option<&SnapshotApp> {
        self.apps.iter().find(|a| a.name == name)
    }

    /// The org with this slug.
    pub fn org(&self, slug: &str) -> Option<&SnapshotOrg> {
        self.orgs.iter().find(|o| o.slug == slug)
    }
}
