//! The text tables `fly` prints, in both layouts flyctl has used:
//!
//! - current (tablewriter 1.x, flyctl 0.4.33 and later): every line starts with a space, cells
//!   are padded and joined by ` │ `;
//! - legacy (tablewriter 0.0.5, flyctl 0.4.32 and older): cells padded and joined by a TAB, data
//!   rows end with a TAB, the header row does not.
//!
//! Both give the same [`Table`]. A table ends at its first empty line (the secrets list prints a
//! sentence after it).

use super::ImportError;

/// Box-drawing separator of the current layout (U+2502).
const BAR: char = '│';

/// A parsed table: upper-case column names and trimmed cells.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Table {
    /// Column names as printed (upper case); an extra unnamed column is `""`.
    pub header: Vec<String>,
    /// Line of the header.
    pub header_line: usize,
    /// Data rows.
    pub rows: Vec<Row>,
}

/// One data row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Row {
    /// Line number (from 1).
    pub line: usize,
    /// Trimmed cells, one per header column.
    pub cells: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Layout {
    Current,
    Legacy,
}

impl Layout {
    fn split(self, line: &str) -> Vec<String> {
        match self {
            Layout::Current => line.split(BAR).map(|c| c.trim().to_owned()).collect(),
            Layout::Legacy => {
                // Data rows end with the separator itself; that is not an empty last cell.
                let line = line.strip_suffix('\t').unwrap_or(line);
                line.split('\t').map(|c| c.trim().to_owned()).collect()
            }
        }
    }
}

impl Table {
    /// Index of a column by its printed name.
    pub fn column(&self, name: &str) -> Option<usize> {
        self.header.iter().position(|h| h == name)
    }

    /// Indexes of columns that must be there, or an error on the header line naming the first
    /// missing one.
    pub fn require(&self, file: &str, names: &[&str]) -> Result<Vec<usize>, ImportError> {
        names
            .iter()
            .map(|name| {
                self.column(name).ok_or_else(|| {
                    ImportError::at(
                        file,
                        Some(self.header_line),
                        format!(
                            "the table header has no {name} column (columns found: {})",
                            self.header
                                .iter()
                                .filter(|h| !h.is_empty())
                                .cloned()
                                .collect::<Vec<_>>()
                                .join(", ")
                        ),
                    )
                })
            })
            .collect()
    }
}

/// Whether a file holds cobra's help text rather than a table (what `fly ext wafris list`
/// prints, since that command has no `list`). Returns the line of `Usage:`.
pub(super) fn help_text_line(text: &str) -> Option<usize> {
    text.lines().position(|l| l.trim_end() == "Usage:").map(|i| i + 1)
}

/// Parses a table in either layout. Every malformed row is reported, not just the first.
pub(super) fn parse(file: &str, text: &str) -> Result<Table, Vec<ImportError>> {
    let mut lines =
        text.lines().enumerate().map(|(i, l)| (i + 1, l)).skip_while(|(_, l)| l.trim().is_empty());
    let Some((header_line, header_text)) = lines.next() else {
        return Err(vec![ImportError::at(
            file,
            None,
            "the file is empty: expected a table with a header line",
        )]);
    };
    let layout = if header_text.contains(BAR) {
        Layout::Current
    } else if header_text.contains('\t') {
        Layout::Legacy
    } else {
        return Err(vec![ImportError::at(
            file,
            Some(header_line),
            "not a table header: expected column names separated by \" │ \" (flyctl 0.4.33 and later) \
             or by tabs (flyctl 0.4.32 and older)",
        )]);
    };
    let header = layout.split(header_text);
    if let Some(bad) =
        header.iter().find(|h| !h.bytes().all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b' '))
    {
        return Err(vec![ImportError::at(
            file,
            Some(header_line),
            format!("not a table header: `{bad}` is not an upper-case column name"),
        )]);
    }
    if header.first().is_none_or(String::is_empty) {
        return Err(vec![ImportError::at(
            file,
            Some(header_line),
            "not a table header: the first column has no name",
        )]);
    }
    let mut rows = Vec::new();
    let mut errors = Vec::new();
    for (line, row_text) in lines.take_while(|(_, l)| !l.trim().is_empty()) {
        let cells = layout.split(row_text);
        if cells.len() == header.len() {
            rows.push(Row { line, cells });
        } else {
            errors.push(ImportError::at(
                file,
                Some(line),
                format!(
                    "the row has {} cells but the header on line {header_line} has {} columns{}",
                    cells.len(),
                    header.len(),
                    if layout == Layout::Current && !row_text.contains(BAR) {
                        " (is it a tab-separated row in a \"│\" table?)"
                    } else {
                        ""
                    }
                ),
            ));
        }
    }
    if errors.is_empty() {
        Ok(Table { header, header_line, rows })
    } else {
        Err(errors)
    }
}

/// Removes ANSI escape sequences (`ESC [ ... letter`), which `fly` prints around bold titles
/// even when its output is not a terminal.
fn strip_ansi(line: &str) -> String {
    let mut out = String::with_capacity(line.len());
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            if chars.peek() == Some(&'[') {
                chars.next();
                for c in chars.by_ref() {
                    if ('@'..='~').contains(&c) {
                        break;
                    }
                }
            }
            continue;
        }
        out.push(c);
    }
    out
}

/// One `key │ value` (current) or `key = value` (legacy) row of a vertical table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Field {
    pub line: usize,
    pub key: String,
    pub value: String,
}

/// Parses a vertical table (`fly redis status`): an optional bold title, then one field a line.
pub(super) fn parse_vertical(file: &str, text: &str) -> Result<Vec<Field>, Vec<ImportError>> {
    let mut fields = Vec::new();
    let mut errors = Vec::new();
    let mut seen_title = false;
    for (i, raw) in text.lines().enumerate() {
        let line = i + 1;
        let clean = strip_ansi(raw);
        let trimmed = clean.trim();
        if trimmed.is_empty() {
            continue;
        }
        let pair = clean.split_once(BAR).or_else(|| clean.split_once(" = "));
        match pair {
            Some((key, value)) => {
                fields.push(Field { line, key: key.trim().to_owned(), value: value.trim().to_owned() })
            }
            None if !seen_title && fields.is_empty() => seen_title = true,
            None => errors.push(ImportError::at(
                file,
                Some(line),
                format!("expected `Key │ Value` or `Key = Value`, found `{trimmed}`"),
            )),
        }
    }
    if errors.is_empty() && fields.is_empty() {
        errors.push(ImportError::at(file, None, "no `Key │ Value` rows found"));
    }
    if errors.is_empty() {
        Ok(fields)
    } else {
        Err(errors)
    }
}

/// One org of `fly orgs list` (text form).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct OrgLine {
    pub line: usize,
    pub name: String,
    pub slug: String,
    pub kind: String,
}

/// Parses `fly orgs list` without `--json`: `Name Slug Type`, a dashes line, then
/// `%-20s %-20s %-10s` rows where a long name pushes the other columns right. So the type is
/// the last word, the slug the one before, and the name everything else.
pub(super) fn parse_orgs_text(file: &str, text: &str) -> Result<Vec<OrgLine>, Vec<ImportError>> {
    let mut lines =
        text.lines().enumerate().map(|(i, l)| (i + 1, l)).skip_while(|(_, l)| l.trim().is_empty());
    let header_ok = lines.next().is_some_and(|(_, l)| l.split_whitespace().eq(["Name", "Slug", "Type"]));
    let dashes_ok = lines.next().is_some_and(|(_, l)| {
        let words: Vec<&str> = l.split_whitespace().collect();
        words.len() == 3 && words.iter().all(|w| w.bytes().all(|b| b == b'-'))
    });
    if !header_ok || !dashes_ok {
        return Err(vec![ImportError::at(
            file,
            Some(1),
            "not the output of `fly orgs list`: expected a `Name Slug Type` header and a `---- ---- ----` line",
        )]);
    }
    let mut out = Vec::new();
    let mut errors = Vec::new();
    for (line, row) in lines.filter(|(_, l)| !l.trim().is_empty()) {
        let words: Vec<&str> = row.split_whitespace().collect();
        match words.as_slice() {
            [name @ .., slug, kind] if !name.is_empty() => out.push(OrgLine {
                line,
                name: name.join(" "),
                slug: (*slug).to_owned(),
                kind: (*kind).to_owned(),
            }),
            _ => errors.push(ImportError::at(
                file,
                Some(line),
                format!("expected `Name Slug Type`, found `{}`", row.trim()),
            )),
        }
    }
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(errors)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_layouts_give_the_same_cells() {
        let current = " NAME     │ ORG  │  \n a        │ o1   │  \n\n";
        let legacy = "NAME\tORG \t \na   \to1  \t\t\n\n";
        let a = parse("f", current).map_err(|e| e[0].message.clone());
        let b = parse("f", legacy).map_err(|e| e[0].message.clone());
        assert_eq!(a, b);
    }

    #[test]
    fn ansi_titles_are_stripped() {
        assert_eq!(strip_ansi("\u{1b}[1mRedis\u{1b}[0m"), "Redis");
    }
}
