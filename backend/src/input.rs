//! Parsers of the fields every form and API body shares: slugs, region lists, comma lists and
//! dates, each refusing with the field's name and what to type. A leaf: it imports only the
//! error type, so any feature (and the audit filter) may use it.

use crate::error::{AppError, AppResult};
use chrono::NaiveDate;

pub fn slug(field: &str, s: &str) -> AppResult<String> {
    let s = s.trim().to_lowercase();
    if s.is_empty()
        || s.len() > 63
        || !s.bytes().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == b'-')
    {
        return Err(AppError::invalid(field, "use lowercase letters, digits and dashes (as Fly names do)"));
    }
    Ok(s)
}

pub fn regions(field: &str, s: &str) -> AppResult<Vec<String>> {
    let mut out = Vec::new();
    for r in s.split([',', ' ']).map(str::trim).filter(|r| !r.is_empty()) {
        let r = r.to_lowercase();
        if r.len() > 8 || !r.bytes().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == b'-') {
            return Err(AppError::invalid(field, format!("{r} is not a region code such as iad or fra")));
        }
        if !out.contains(&r) {
            out.push(r);
        }
    }
    Ok(out)
}

/// Comma-separated items, trimmed, empty ones dropped, each at most `max` characters.
pub fn list(field: &str, s: &str, max: usize) -> AppResult<Vec<String>> {
    let mut out: Vec<String> = Vec::new();
    for item in s.split(',').map(str::trim).filter(|i| !i.is_empty()) {
        if item.chars().count() > max || item.chars().any(char::is_control) {
            return Err(AppError::invalid(
                field,
                format!("keep each entry under {max} characters, on one line"),
            ));
        }
        if !out.iter().any(|x| x == item) {
            out.push(item.to_owned());
        }
    }
    Ok(out)
}

/// Parses an optional `YYYY-MM-DD` date field.
pub fn date(field: &str, s: &str) -> AppResult<Option<NaiveDate>> {
    let s = s.trim();
    if s.is_empty() {
        return Ok(None);
    }
    NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .ok()
        .filter(|d| (1900..=9999).contains(&chrono::Datelike::year(d)))
        .map(Some)
        .ok_or_else(|| AppError::invalid(field, "enter a date as YYYY-MM-DD (years 1900 to 9999)"))
}
