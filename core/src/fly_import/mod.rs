//! Import from the `fly` CLI: a snapshot folder of `fly` outputs becomes an import plan.
//!
//! Two steps, both pure:
//!
//! 1. [`Snapshot::parse`] reads the files (names and formats as in `scripts/fly-snapshot.sh` and
//!    `docs/fly-import.md`) into plain facts: orgs, apps, secret *names* per app, extensions,
//!    `fly redis status` and `fly.toml` facts. Any malformed file fails the whole parse with
//!    every [`ImportError`] found (file, line, message); nothing partial comes out. Files the
//!    import does not read become [`Unmapped`] notes, not errors.
//! 2. [`plan_import`] compares the snapshot with the current [`World`](crate::coverage::World)
//!    and lists what to create, what to update (field by field) and what is unchanged, plus
//!    everything it could not map, each with its file, line and reason. [`apply`] applies a plan
//!    to a world (the database layer does the same with versioned records).
//!
//! The files come in as a list of (relative name, bytes), so a folder on disk
//! ([`read_snapshot_dir`], the only function here that does IO), a browser upload or a ZIP all
//! work the same. Secret values are never shown by `fly`, and the digests it shows are not read;
//! the password in `fly redis status`'s Private URL is skipped without being copied.
//!
//! The mapping decisions (which secret points at which extension, which plan, which ids) are
//! written down in `docs/fly-import.md`.

mod json;
mod mapping;
mod plan;
mod snapshot;
mod table;

use std::path::Path;

use serde::{Deserialize, Serialize};

pub use crate::source::{ImportError, ImportErrors, Location};
pub use mapping::ExtensionKind;
pub use plan::{
    apply, candidate_service_id, plan_import, plan_import_with, service_id, Absent, Change, Decisions,
    FieldChange, ImportPlan, NewService, RecordKind, DEFAULT_ORG_PLAN,
};
pub use snapshot::{
    AppSecrets, Extension, FlyToml, RedisStatus, SecretName, Snapshot, SnapshotApp, SnapshotOrg,
};

/// One file of a snapshot: its name relative to the snapshot folder (`/` separated) and content.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SnapshotFile {
    /// Relative name, such as `apps-list.json` or `fly-toml/fly.toml`.
    pub name: String,
    /// The file's bytes as `fly` wrote them.
    pub bytes: Vec<u8>,
}

impl SnapshotFile {
    /// A file from its relative name and content.
    pub fn new(name: impl Into<String>, bytes: impl Into<Vec<u8>>) -> Self {
        Self { name: name.into(), bytes: bytes.into() }
    }
}

/// Something in the snapshot the import does not turn into a record, and why.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Unmapped {
    /// Relative file name as given.
    pub file: String,
    /// Line number, starting at 1; `None` for the file as a whole.
    pub line: Option<usize>,
    /// Why it was not mapped and, where there is one, what to do instead.
    pub reason: String,
}

impl Unmapped {
    pub(crate) fn new(at: &Location, reason: impl Into<String>) -> Self {
        Self { file: at.file.clone(), line: at.line, reason: reason.into() }
    }
}

/// Largest file [`read_snapshot_dir`] reads; `fly` outputs are a few kilobytes.
const MAX_FILE_BYTES: u64 = 16 * 1024 * 1024;

/// Reads every regular file under `dir` (sub-folders such as `fly-toml/` included, symbolic
/// links not followed) as a snapshot file list, sorted by name. Names are relative to `dir` with
/// `/` separators. Fails on the first file that cannot be read or is larger than 16 MiB.
pub fn read_snapshot_dir(dir: &Path) -> std::io::Result<Vec<SnapshotFile>> {
    let mut out = Vec::new();
    read_dir_into(dir, "", 0, &mut out)?;
    out.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(out)
}

fn read_dir_into(dir: &Path, prefix: &str, depth: usize, out: &mut Vec<SnapshotFile>) -> std::io::Result<()> {
    // A snapshot is one folder with `fly-toml/` in it; deeper trees are not snapshots.
    const MAX_DEPTH: usize = 4;
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let kind = entry.file_type()?;
        let name = format!("{prefix}{}", entry.file_name().to_string_lossy());
        if kind.is_dir() && depth < MAX_DEPTH {
            read_dir_into(&entry.path(), &format!("{name}/"), depth + 1, out)?;
        } else if kind.is_file() {
            let len = entry.metadata()?.len();
            if len > MAX_FILE_BYTES {
                return Err(std::io::Error::new(
                    std::io::ErrorKind::InvalidData,
                    format!("{name} is {len} bytes, more than a fly output can be"),
                ));
            }
            out.push(SnapshotFile { name, bytes: std::fs::read(entry.path())? });
        }
    }
    Ok(())
}
