//! The `--json` outputs: `fly orgs list`, `fly apps list`, `fly secrets list`.
//!
//! serde_json gives no positions for values, so [`top_level_lines`] finds the line on which each
//! top-level element (array) or key (object) starts; facts and notes then point at that line.

use std::collections::BTreeMap;

use serde::de::DeserializeOwned;
use serde::Deserialize;

use super::ImportError;

/// Line (from 1) of each top-level array element or object key, in document order, with the
/// raw key text for objects. Assumes the text is valid JSON (call it after parsing).
pub(super) fn top_level_lines(text: &str) -> Vec<(usize, Option<String>)> {
    let mut out = Vec::new();
    let mut line = 1;
    let mut depth = 0usize;
    let mut in_string = false;
    let mut escaped = false;
    // At depth 1: whether the next token starts an element (array) or a key (object).
    let mut expect_item = false;
    let mut top_is_object = false;
    let mut key: Option<(usize, String)> = None;
    for c in text.chars() {
        if c == '\n' {
            line += 1;
        }
        if in_string {
            if let Some((_, k)) = key.as_mut() {
                if escaped || (c != '"' && c != '\\') {
                    k.push(c);
                }
            }
            if escaped {
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c == '"' {
                in_string = false;
                if let Some((l, k)) = key.take() {
                    out.push((l, Some(k)));
                }
            }
            continue;
        }
        if depth == 1 && expect_item && !c.is_whitespace() && c != ']' && c != '}' {
            expect_item = false;
            if top_is_object {
                if c == '"' {
                    key = Some((line, String::new()));
                }
            } else {
                out.push((line, None));
            }
        }
        match c {
            '"' => in_string = true,
            '[' | '{' => {
                depth += 1;
                if depth == 1 {
                    top_is_object = c == '{';
                    expect_item = true;
                }
            }
            ']' | '}' => depth = depth.saturating_sub(1),
            ',' if depth == 1 => expect_item = true,
            _ => {}
        }
    }
    out
}

/// Deserializes `text`, turning a serde error into an [`ImportError`] on its line.
fn from_str<T: DeserializeOwned>(file: &str, text: &str, what: &str) -> Result<T, ImportError> {
    serde_json::from_str(text).map_err(|e| {
        let line = (e.line() > 0).then_some(e.line());
        // serde_json ends its message with "at line L column C"; the line is in `line` already.
        let full = e.to_string();
        let message = match full.rfind(" at line ") {
            Some(cut) => format!("{} (column {})", &full[..cut], e.column()),
            None => full,
        };
        let kind = if e.is_syntax() || e.is_eof() { "not valid JSON" } else { "JSON of the wrong shape" };
        ImportError::at(file, line, format!("{kind} for {what}: {message}"))
    })
}

/// Org slug, name and line from `fly orgs list --json` (an object of slug to name).
pub(super) fn orgs(file: &str, text: &str) -> Result<Vec<(usize, String, String)>, ImportError> {
    let map: BTreeMap<String, String> =
        from_str(file, text, "`fly orgs list --json` (an object of slug to name)")?;
    let lines: BTreeMap<String, usize> =
        top_level_lines(text).into_iter().filter_map(|(l, k)| k.map(|k| (k, l))).collect();
    Ok(map.into_iter().map(|(slug, name)| (lines.get(&slug).copied().unwrap_or(1), slug, name)).collect())
}

/// The fields of fly-go's `App` the import reads (Go field names, no json tags).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct JsonApp {
    pub name: String,
    #[serde(default)]
    pub status: String,
    pub organization: Option<JsonOrg>,
}

/// The fields of fly-go's `Organization` the import reads.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct JsonOrg {
    #[serde(default)]
    pub slug: String,
    #[serde(default)]
    pub name: String,
}

/// Apps of `fly apps list --json`, each with the line of its `Name`.
pub(super) fn apps(file: &str, text: &str) -> Result<Vec<(usize, JsonApp)>, ImportError> {
    let apps: Vec<JsonApp> = from_str(file, text, "`fly apps list --json` (an array of apps)")?;
    Ok(zip_lines(text, apps, "Name"))
}

/// One entry of `fly secrets list --json`. Only the name and status are read: the digest is
/// not deserialized at all.
#[derive(Debug, Deserialize)]
pub(super) struct JsonSecret {
    pub name: String,
    #[serde(default)]
    pub status: Option<String>,
}

/// Secrets of `fly secrets list --json`, each with the line of its `name`.
pub(super) fn secrets(file: &str, text: &str) -> Result<Vec<(usize, JsonSecret)>, ImportError> {
    let secrets: Vec<JsonSecret> =
        from_str(file, text, "`fly secrets list --json` (an array of {name, digest, status})")?;
    Ok(zip_lines(text, secrets, "name"))
}

/// Pairs each array element with the line of its first `"key"` (where the name a person looks
/// for is), or the line the element starts on when the key is not on a line of its own.
fn zip_lines<T>(text: &str, items: Vec<T>, key: &str) -> Vec<(usize, T)> {
    let starts: Vec<usize> = top_level_lines(text).into_iter().map(|(l, _)| l).collect();
    let lines: Vec<&str> = text.lines().collect();
    let needle = format!("\"{key}\"");
    let key_line = |i: usize| -> usize {
        let start = starts.get(i).copied().unwrap_or(1);
        let end = starts.get(i + 1).copied().unwrap_or(lines.len() + 1);
        (start..end).find(|l| lines.get(l - 1).is_some_and(|t| t.contains(&needle))).unwrap_or(start)
    };
    items.into_iter().enumerate().map(|(i, item)| (key_line(i), item)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_of_array_elements_and_object_keys() {
        let arr = "[\n  {\"a\": [1, {\"b\": \"x,]\"}]},\n  {\"a\": 2}\n]\n";
        assert_eq!(top_level_lines(arr), vec![(2, None), (3, None)]);
        let obj = "{\n  \"k\\\"1\": \"v\",\n  \"k2\": {\"n\": 1}\n}";
        assert_eq!(top_level_lines(obj), vec![(2, Some("k\"1".into())), (3, Some("k2".into()))]);
        assert!(top_level_lines("[]").is_empty());
    }
}
