//! Lenient date input: Keepnet's clients send both dates and date-times.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Deserializer};

/// Parses `YYYY-MM-DD` (midnight UTC) or an RFC 3339 date-time.
pub fn parse_date_or_time(s: &str) -> Option<DateTime<Utc>> {
    let s = s.trim();
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Some(t.with_timezone(&Utc));
    }
    if let Ok(t) = chrono::NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S%.f") {
        return Some(t.and_utc());
    }
    NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .ok()?
        .and_hms_opt(0, 0, 0)
        .map(|t| t.and_utc())
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
    }
}
