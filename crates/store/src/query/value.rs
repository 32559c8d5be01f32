//! Readers of filter values: JSON scalars as text, numbers, booleans, statuses, months and
//! times. Each returns `None` for a value it cannot read; the parser words the error.

use chrono::{Datelike, TimeZone, Utc};
use rollcall_types::time::DisplayFormat;
use serde_json::Value;

use super::Val;

pub(super) fn scalar_text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

pub(super) fn int_value(v: &Value) -> Option<i64> {
    match v {
        Value::Number(n) => n.as_i64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

pub(super) fn bool_text(s: &str) -> Option<bool> {
    match s.trim().to_ascii_lowercase().as_str() {
        "true" | "1" | "yes" => Some(true),
        "false" | "0" | "no" => Some(false),
        _ => None,
    }
}

pub(super) fn bool_value(v: &Value) -> Option<bool> {
    match v {
        Value::Bool(b) => Some(*b),
        Value::Number(n) => match n.as_i64() {
            Some(1) => Some(true),
            Some(0) => Some(false),
            _ => None,
        },
        Value::String(s) => bool_text(s),
        _ => None,
    }
}

pub(super) fn status_text(s: &str) -> Option<bool> {
    match s.trim().to_ascii_lowercase().as_str() {
        "1" | "active" | "true" => Some(true),
        "0" | "inactive" | "false" => Some(false),
        _ => None,
    }
}

/// A REST API client's status: `1`/`Active` is 1; `0`, `2` (rollcall's old inactive) and
/// `Inactive` are 0.
pub(super) fn client_status_text(s: &str) -> Option<i64> {
    status_text(s)
        .map(i64::from)
        .or_else(|| (s.trim() == "2").then_some(0))
}

/// The values of the `names` whose name contains `needle` (lowercase), any case, each once.
pub(super) fn names_containing(names: &[(&str, Val)], needle: &str) -> Vec<Val> {
    let mut out: Vec<Val> = names
        .iter()
        .filter(|(name, _)| name.to_lowercase().contains(needle))
        .map(|(_, v)| v.clone())
        .collect();
    out.sort();
    out.dedup();
    out
}

/// `YYYY-MM` (or `YYYY/MM`) to YYYYMM.
pub fn parse_month(s: &str) -> Option<i64> {
    let s = s.trim();
    let (y, m) = s.split_once(['-', '/'])?;
    let (y, m): (i64, i64) = (y.parse().ok()?, m.parse().ok()?);
    ((1970..=9999).contains(&y) && (1..=12).contains(&m)).then_some(y * 100 + m)
}

/// YYYYMM of a time in milliseconds (UTC).
pub fn month_of(millis: i64) -> i64 {
    let t = Utc
        .timestamp_millis_opt(millis)
        .single()
        .unwrap_or_default();
    i64::from(t.year()) * 100 + i64::from(t.month())
}

/// `[start, end)` in milliseconds: a whole day for a date, one millisecond for an ISO
/// date-time (the formats of [`rollcall_types::time::parse_time`]); in the company's
/// `display` format, the minute or second the value shows.
pub(super) fn time_range(s: &str, display: Option<&DisplayFormat>) -> Option<(i64, i64)> {
    use rollcall_types::time::{parse_time, Precision};
    let (t, precision) = parse_time(s).or_else(|| display?.parse(s))?;
    let start = t.timestamp_millis();
    Some(match precision {
        Precision::Day => (start, start + 86_400_000),
        Precision::Minute => (start, start + 60_000),
        Precision::Second => (start, start + 1_000),
        Precision::Moment => (start, start + 1),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn month_parsing() {
        assert_eq!(parse_month("2026-03"), Some(202_603));
        assert_eq!(parse_month("2026-13"), None);
        assert_eq!(month_of(1_767_312_000_000), 202_601);
    }
}
