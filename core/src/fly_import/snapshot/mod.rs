//! The parsed facts of a snapshot, and the parser that reads them from the files.
//!
//! The facts and [`Snapshot::parse`] are here; how a file is recognized is in `classify.rs`,
//! the per-file collector in `part.rs`, and each fly output has its own parser file.

mod apps;
mod classify;
mod extensions;
mod fly_toml;
mod orgs;
mod part;
mod secrets;

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use super::mapping::ExtensionKind;
use super::{ImportError, ImportErrors, Location, SnapshotFile, Unmapped};
use classify::{classify, decode, normalize, Classified, Input};
use part::Part;

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
