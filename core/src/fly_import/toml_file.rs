//! `fly.toml`: the app name, its primary region and its volume mounts. Everything else in the
//! file (services, checks, env, VM sizes) says nothing about BAAs and is not read.

use serde::Deserialize;
use toml::Spanned;

use super::ImportError;

#[derive(Debug, Deserialize)]
struct RawFlyToml {
    app: Option<Spanned<String>>,
    primary_region: Option<Spanned<String>>,
    mounts: Option<Spanned<RawMounts>>,
}

/// `[[mounts]]` (current) or a single `[mounts]` table (older files).
#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum RawMounts {
    Many(Vec<RawMount>),
    One(RawMount),
}

#[derive(Debug, Deserialize)]
struct RawMount {
    source: Option<String>,
}

/// What the import reads from a fly.toml.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct TomlFacts {
    /// `app` and its line, when set.
    pub app: Option<(usize, String)>,
    /// `primary_region` and its line, when set.
    pub primary_region: Option<(usize, String)>,
    /// Line of the mounts table and the volume names (`source`) it mounts; a mount without a
    /// source gives `None`.
    pub mounts: Option<(usize, Vec<Option<String>>)>,
}

fn line_of(text: &str, offset: usize) -> usize {
    text.as_bytes().iter().take(offset).filter(|b| **b == b'\n').count() + 1
}

/// Parses a fly.toml; a TOML syntax error or a wrongly typed key is an error on its line.
pub(super) fn parse(file: &str, text: &str) -> Result<TomlFacts, ImportError> {
    let raw: RawFlyToml = toml::from_str(text).map_err(|e| {
        let line = e.span().map(|s| line_of(text, s.start));
        ImportError::at(file, line, format!("not a valid fly.toml: {}", e.message().trim()))
    })?;
    let spanned = |s: Spanned<String>| (line_of(text, s.span().start), s.into_inner());
    Ok(TomlFacts {
        app: raw.app.map(spanned),
        primary_region: raw.primary_region.map(spanned),
        mounts: raw.mounts.map(|m| {
            let line = line_of(text, m.span().start);
            let mounts = match m.into_inner() {
                RawMounts::Many(list) => list.into_iter().map(|m| m.source).collect(),
                RawMounts::One(one) => vec![one.source],
            };
            (line, mounts)
        }),
    })
}
