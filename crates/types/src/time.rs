//! Lenient date input: Keepnet's clients send both dates and date-times.

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use serde::{Deserialize, Deserializer};

/// What a parsed time names: a whole day, or one moment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Precision {
    /// A date without a time: the whole UTC day that starts at the parsed time.
    Day,
    /// A date-time.
    Moment,
}

/// The one parser of dates and times the API accepts, in bodies and in filters: an RFC 3339
/// date-time, a date-time without a zone (`2026-01-02T10:30:00`, `2026-01-02 10:30:00`,
/// `2026-01-02T10:30`; UTC), or a date (`2026-01-02`, `2026/01/02`; midnight UTC).
pub fn parse_time(s: &str) -> Option<(DateTime<Utc>, Precision)> {
    let s = s.trim();
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Some((t.with_timezone(&Utc), Precision::Moment));
    }
    for fmt in [
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%d %H:%M:%S%.f",
        "%Y-%m-%dT%H:%M",
    ] {
        if let Ok(t) = NaiveDateTime::parse_from_str(s, fmt) {
            return Some((t.and_utc(), Precision::Moment));
        }
    }
    for fmt in ["%Y-%m-%d", "%Y/%m/%d"] {
        if let Ok(d) = NaiveDate::parse_from_str(s, fmt) {
            return Some((d.and_hms_opt(0, 0, 0)?.and_utc(), Precision::Day));
        }
    }
    None
}

/// [`parse_time`]'s time, a date meaning its midnight (UTC).
pub fn parse_date_or_time(s: &str) -> Option<DateTime<Utc>> {
    parse_time(s).map(|(t, _)| t)
}

/// Serde helper for optional date fields that accept a date or a date-time.
pub fn date_or_time<'de, D: Deserializer<'de>>(d: D) -> Result<Option<DateTime<Utc>>, D::Error> {
    let Some(s) = Option::<String>::deserialize(d)? else {
        return Ok(None);
    };
    if s.trim().is_empty() {
        return Ok(None);
    }
    parse_date_or_time(&s).map(Some).ok_or_else(|| {
        serde::de::Error::custom(format!(
            "'{s}' is not a date (YYYY-MM-DD) or an ISO 8601 date-time"
        ))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_and_times() {
        assert_eq!(
            parse_date_or_time("2026-01-02").map(|t| t.timestamp()),
            Some(1_767_312_000)
        );
        assert_eq!(
            parse_date_or_time("2026-01-02T00:00:00Z").map(|t| t.timestamp()),
            Some(1_767_312_000)
        );
        assert_eq!(
            parse_date_or_time("2026-01-02T01:00:00+01:00").map(|t| t.timestamp()),
            Some(1_767_312_000)
        );
        assert!(parse_date_or_time("yesterday").is_none());
        for (text, precision) in [
            ("2026-01-02", Precision::Day),
            ("2026/01/02", Precision::Day),
            ("2026-01-02T00:00:00", Precision::Moment),
            ("2026-01-02 00:00:00.000", Precision::Moment),
            ("2026-01-02T00:00", Precision::Moment),
        ] {
            assert_eq!(
                parse_time(text).map(|(t, p)| (t.timestamp(), p)),
                Some((1_767_312_000, precision)),
                "{text}"
            );
        }
    }
}
