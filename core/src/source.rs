//! Where a fact was read (a file and a line) and what is wrong with a file that cannot be read.
//!
//! Shared by the `fly` CLI import and the fly.toml safeguard parser, so neither imports the
//! other; `crate::fly_import` re-exports these types.

use std::fmt;

use serde::{Deserialize, Serialize};

/// Where a fact was read: a file of the snapshot and, when it points at one, a line (from 1).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Location {
    /// Relative file name as given.
    pub file: String,
    /// Line number, starting at 1; `None` for the file as a whole.
    pub line: Option<usize>,
}

impl Location {
    /// A line of a file.
    pub fn line(file: &str, line: usize) -> Self {
        Self { file: file.to_owned(), line: Some(line) }
    }

    /// A file as a whole.
    pub fn file(file: &str) -> Self {
        Self { file: file.to_owned(), line: None }
    }
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.line {
            Some(line) => write!(f, "{} line {line}", self.file),
            None => f.write_str(&self.file),
        }
    }
}

/// A malformed snapshot file: which file, which line (when known) and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImportError {
    /// Relative file name as given.
    pub file: String,
    /// Line number, starting at 1; `None` when the problem is the file as a whole.
    pub line: Option<usize>,
    /// What is wrong, for a person to fix.
    pub message: String,
}

impl ImportError {
    pub(crate) fn at(file: &str, line: Option<usize>, message: impl Into<String>) -> Self {
        Self { file: file.to_owned(), line, message: message.into() }
    }
}

impl fmt::Display for ImportError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.line {
            Some(line) => write!(f, "{} line {line}: {}", self.file, self.message),
            None => write!(f, "{}: {}", self.file, self.message),
        }
    }
}

impl std::error::Error for ImportError {}

/// Every problem found in a snapshot that could not be parsed (at least one).
///
/// Why a type of its own: a refused snapshot is a list of problems, each with its file and line,
/// shown all at once (the backend carries it as `AppError::Malformed`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImportErrors(pub Vec<ImportError>);

impl fmt::Display for ImportErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = self.0.len();
        write!(f, "the snapshot cannot be imported: {n} {}", if n == 1 { "error" } else { "errors" })?;
        for e in &self.0 {
            write!(f, "\n{e}")?;
        }
        Ok(())
    }
}

impl std::error::Error for ImportErrors {}
