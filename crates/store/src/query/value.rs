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

/// `s` (trimmed, any case) read as one of the words meaning true or false.
fn flag_word(s: &str, trues: &[&str], falses: &[&str]) -> Option<bool> {
    let word = s.trim().to_ascii_lowercase();
    if trues.contains(&word.as_str()) {
        Some(true)
    } else {
        falses.contains(&word.as_str()).then_some(false)
    }
}

pub(super) fn bool_text(s: &str) -> Option<bool> {
    flag_word(s, &["true", "1", "yes"], &["false", "0", "no"])
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
    flag_word(s, &["1", "active", "true"], &["0", "inactive", "false"])
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

/// The first millisecond (UTC) of month YYYYMM, and of the month after it; `None` for a number
/// that is not a month.
pub fn month_bounds(month: i64) -> Option<(i64, i64)> {
    let start = |y: i64, m: i64| {
        Utc.with_ymd_and_hms(i32::try_from(y).ok()?, u32::try_from(m).ok()?, 1, 0, 0, 0)
            .single()
            .map(|t| t.timestamp_millis())
    };
    let (y, m) = (month / 100, month % 100);
    let (ny, nm) = if m == 12 { (y + 1, 1) } else { (y, m + 1) };
    Some((start(y, m)?, start(ny, nm)?))
}

/// `[start, end)` in milliseconds: a whole UTC day for an ISO date, one millisecond for an ISO
/// date-time (exact with a zone, UTC without: [`rollcall_types::time::parse_iso`]); in the
/// company's `display` format, on its clock, the local day, minute or second the value shows
/// ([`DisplayFormat::window`]); then the `2026/01/02` spelling, a UTC day. The display format
/// comes before that spelling, which a `yyyy/dd/MM` company reads otherwise (docs/api.md,
/// "Dates in the company's format").
pub(super) fn time_range(s: &str, display: Option<&DisplayFormat>) -> Option<(i64, i64)> {
    use rollcall_types::time::{parse_iso, parse_time, Precision};
    let span = |(t, precision): (chrono::DateTime<Utc>, Precision)| {
        let start = t.timestamp_millis();
        let length = match precision {
            Precision::Day => 86_400_000,
            Precision::Minute => 60_000,
            Precision::Second => 1_000,
            Precision::Moment => 1,
        };
        (start, start.saturating_add(length))
    };
    if let Some(t) = parse_iso(s) {
        return Some(span(t));
    }
    if let Some((start, end)) = display.and_then(|d| d.window(s)) {
        return Some((start.timestamp_millis(), end.timestamp_millis()));
    }
    parse_time(s).map(span)
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

    /// Each `(format, value, start, end)`: `value` read with the company's `format` names
    /// `[start, end)` (RFC 3339).
    #[track_caller]
    fn assert_ranges(cases: &[(Option<&DisplayFormat>, &str, &str, &str)]) {
        let ms = |t: &str| {
            chrono::DateTime::parse_from_rfc3339(t)
                .map(|t| t.timestamp_millis())
                .unwrap_or(i64::MIN)
        };
        for &(format, value, start, end) in cases {
            assert_eq!(
                time_range(value, format),
                Some((ms(start), ms(end))),
                "{value} in {:?}",
                format.and_then(DisplayFormat::zone)
            );
        }
    }

    #[test]
    fn display_values_in_the_company_zone() {
        use crate::time_zones::resolve;
        let format = DisplayFormat::new("dd/MM/yyyy", Some("HH:mm")).expect("known letters");
        let zoned = |id: &str| {
            let (_, tz) = resolve(id).expect("a Windows id CLDR maps");
            format.clone().in_zone(tz)
        };
        let istanbul = zoned("Turkey Standard Time");
        // W. Europe Standard Time is Berlin: +1 in winter, +2 in summer.
        let berlin = zoned("W. Europe Standard Time");
        let (ist, ber, utc) = (Some(&istanbul), Some(&berlin), Some(&format));
        assert_ranges(&[
            (
                ist,
                "05/11/2026 06:21",
                "2026-11-05T03:21:00Z",
                "2026-11-05T03:22:00Z",
            ),
            (
                ist,
                "05/11/2026",
                "2026-11-04T21:00:00Z",
                "2026-11-05T21:00:00Z",
            ),
            // ISO values keep their meaning whatever the company's zone: UTC without a zone,
            // exact with one.
            (
                ist,
                "2026-11-05T06:21",
                "2026-11-05T06:21:00Z",
                "2026-11-05T06:21:00.001Z",
            ),
            (
                ist,
                "2026-11-05",
                "2026-11-05T00:00:00Z",
                "2026-11-06T00:00:00Z",
            ),
            (
                ist,
                "2026-11-05T06:21:00+03:00",
                "2026-11-05T03:21:00Z",
                "2026-11-05T03:21:00.001Z",
            ),
            (
                ber,
                "15/01/2026 12:00",
                "2026-01-15T11:00:00Z",
                "2026-01-15T11:01:00Z",
            ),
            (
                ber,
                "15/07/2026 12:00",
                "2026-07-15T10:00:00Z",
                "2026-07-15T10:01:00Z",
            ),
            // A time the change skips, a time it repeats (the earlier), a 25-hour day.
            (
                ber,
                "29/03/2026 02:30",
                "2026-03-29T01:30:00Z",
                "2026-03-29T01:31:00Z",
            ),
            (
                ber,
                "25/10/2026 02:30",
                "2026-10-25T00:30:00Z",
                "2026-10-25T00:31:00Z",
            ),
            (
                ber,
                "25/10/2026",
                "2026-10-24T22:00:00Z",
                "2026-10-25T23:00:00Z",
            ),
            // Without a zone the format is read as UTC, as before.
            (
                utc,
                "05/11/2026 06:21",
                "2026-11-05T06:21:00Z",
                "2026-11-05T06:22:00Z",
            ),
        ]);
    }

    #[test]
    fn the_company_format_comes_before_the_slash_spelling() {
        let ydm = DisplayFormat::new("yyyy/dd/MM", Some("HH:mm")).expect("known letters");
        let dmy = DisplayFormat::new("dd/MM/yyyy", None).expect("known letters");
        assert_ranges(&[
            // 2026/05/11 in yyyy/dd/MM is 5 November, not 11 May.
            (
                Some(&ydm),
                "2026/05/11",
                "2026-11-05T00:00:00Z",
                "2026-11-06T00:00:00Z",
            ),
            // A company whose format does not read it still gets the slash spelling.
            (
                Some(&dmy),
                "2026/05/11",
                "2026-05-11T00:00:00Z",
                "2026-05-12T00:00:00Z",
            ),
            (
                None,
                "2026/05/11",
                "2026-05-11T00:00:00Z",
                "2026-05-12T00:00:00Z",
            ),
        ]);
    }
}
