//! Which fly command wrote a file and in which format, from its name; and reading its bytes
//! as text.

use crate::fly_import::mapping::ExtensionKind;
use crate::fly_import::ImportError;

/// Which command wrote a file, and in which format.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Command {
    Orgs,
    Apps,
    Secrets(String),
    List(ExtensionKind),
    RedisStatus(String),
    FlyToml,
}

/// Output formats in order of preference when one command's output is given several times.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(super) enum Format {
    Json,
    Table,
    LegacyTable,
}

/// A file to read, once classified.
pub(super) struct Input<'a> {
    pub(super) format: Format,
    pub(super) name: String,
    pub(super) command: Command,
    pub(super) bytes: &'a [u8],
}

pub(super) enum Classified {
    Read(Command, Format),
    Skip(String),
}

pub(super) fn classify(name: &str) -> Classified {
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
    pub(super) fn group(&self, file: &str) -> String {
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

pub(super) fn normalize(name: &str) -> String {
    let name = name.replace('\\', "/");
    let mut name = name.as_str();
    while let Some(rest) = name.strip_prefix("./").or_else(|| name.strip_prefix('/')) {
        name = rest;
    }
    name.to_owned()
}

pub(super) fn decode<'a>(file: &str, bytes: &'a [u8]) -> Result<&'a str, ImportError> {
    match std::str::from_utf8(bytes) {
        Ok(text) => Ok(text.strip_prefix('\u{feff}').unwrap_or(text)),
        Err(e) => {
            let good = bytes.get(..e.valid_up_to()).unwrap_or_default();
            let line = good.iter().filter(|b| **b == b'\n').count() + 1;
            Err(ImportError::at(file, Some(line), "not UTF-8 text: is this really a fly output?"))
        }
    }
}
