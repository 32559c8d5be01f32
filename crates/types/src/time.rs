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
    /// A date-time shown to the minute (a company display format without seconds): the
    /// minute that starts at the parsed time.
    Minute,
    /// A date-time shown to the second: the second that starts at the parsed time.
    Second,
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

/// A company's display format for dates: Keepnet's `dateFormat` and `timeFormat` settings,
/// .NET-style patterns such as `dd/MM/yyyy`, `MM/dd/yyyy`, `dd.MM.yyyy` and `HH:mm` or
/// `hh:mm tt`. Keepnet's UI sends date filter values in this format (CONTRACT.md, rulings of
/// 2026-12-05), e.g. `05/11/2026 06:21`; values are read as UTC, as ISO values without a zone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DisplayFormat {
    /// The settings as the company holds them, for error messages.
    shown: String,
    /// chrono patterns tried in turn, with what each names.
    patterns: Vec<(String, Precision)>,
}

impl DisplayFormat {
    /// The format of a company whose settings are `date_format` and `time_format`; `None` when
    /// the date format is empty or uses a pattern letter this reader does not know.
    pub fn new(date_format: &str, time_format: Option<&str>) -> Option<Self> {
        let date = chrono_pattern(date_format.trim())?;
        let time = time_format
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .and_then(chrono_pattern);
        let mut patterns = Vec::new();
        let mut shown = date_format.trim().to_owned();
        if let Some(time) = &time {
            // A time format without seconds still reads a value that has them.
            if !time.contains("%S") {
                let with_seconds = time.replacen("%M", "%M:%S", 1);
                patterns.push((format!("{date} {with_seconds}"), Precision::Second));
            }
            let precision = if time.contains("%S") {
                Precision::Second
            } else {
                Precision::Minute
            };
            patterns.push((format!("{date} {time}"), precision));
            shown = format!("{shown} {}", time_format.unwrap_or_default().trim());
        }
        patterns.push((date, Precision::Day));
        Some(DisplayFormat { shown, patterns })
    }

    /// The format as the company's settings spell it (`dd/MM/yyyy HH:mm`).
    pub fn shown(&self) -> &str {
        &self.shown
    }

    /// Reads `s` in this format: a date (the whole day) or a date and time.
    pub fn parse(&self, s: &str) -> Option<(DateTime<Utc>, Precision)> {
        let s = s.trim();
        self.patterns.iter().find_map(|(pattern, precision)| {
            let t = if *precision == Precision::Day {
                NaiveDate::parse_from_str(s, pattern)
                    .ok()?
                    .and_hms_opt(0, 0, 0)?
            } else {
                NaiveDateTime::parse_from_str(s, pattern).ok()?
            };
            Some((t.and_utc(), *precision))
        })
    }
}

/// A .NET date pattern (`dd/MM/yyyy HH:mm`) as a chrono one; `None` for a letter it does not
/// know. Runs of one letter are one field (`d`/`dd` day, `M`/`MM` month, `MMM` month name,
/// `yy`/`yyyy` year, `H`/`HH` and `h`/`hh` hours, `m`/`mm` minutes, `s`/`ss` seconds, `t`/`tt`
/// AM/PM); `'quoted'` text and other characters are literal. dayjs's `DD`/`YYYY`/`A` spellings
/// are read too. chrono reads one- and two-digit numbers alike, so `d` and `dd` agree.
fn chrono_pattern(dotnet: &str) -> Option<String> {
    if dotnet.is_empty() {
        return None;
    }
    let chars: Vec<char> = dotnet.chars().collect();
    let mut out = String::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let run = chars[i..].iter().take_while(|&&x| x == c).count();
        i += run;
        let piece = match (c, run) {
            ('\'', _) => {
                // A quoted literal runs to the next quote.
                let end = chars[i - run + 1..].iter().position(|&x| x == '\'')?;
                let literal: String = chars[i - run + 1..i - run + 1 + end].iter().collect();
                i = i - run + 2 + end;
                literal.replace('%', "%%")
            }
            ('d' | 'D', 1 | 2) => "%d".into(),
            ('d', 3) => "%a".into(),
            ('d', 4) => "%A".into(),
            ('M', 1 | 2) => "%m".into(),
            ('M', 3) => "%b".into(),
            ('M', 4) => "%B".into(),
            ('y' | 'Y', 2) => "%y".into(),
            ('y' | 'Y', 4) => "%Y".into(),
            ('H', 1 | 2) => "%H".into(),
            ('h', 1 | 2) => "%I".into(),
            ('m', 1 | 2) => "%M".into(),
            ('s', 1 | 2) => "%S".into(),
            ('t' | 'A' | 'a', 1 | 2) => "%p".into(),
            (c, _) if c.is_ascii_alphabetic() => return None,
            ('%', n) => "%%".repeat(n),
            (c, n) => c.to_string().repeat(n),
        };
        out.push_str(&piece);
    }
    Some(out)
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
    fn company_display_formats() {
        let f = DisplayFormat::new("dd/MM/yyyy", Some("HH:mm")).expect("known letters");
        assert_eq!(f.shown(), "dd/MM/yyyy HH:mm");
        let at = |s: &str| f.parse(s).map(|(t, p)| (t.to_rfc3339(), p));
        assert_eq!(
            at("05/11/2026 06:21"),
            Some(("2026-11-05T06:21:00+00:00".into(), Precision::Minute))
        );
        assert_eq!(
            at("05/11/2026 06:21:09"),
            Some(("2026-11-05T06:21:09+00:00".into(), Precision::Second))
        );
        assert_eq!(
            at("5/1/2026"),
            Some(("2026-01-05T00:00:00+00:00".into(), Precision::Day))
        );
        assert_eq!(at("2026-11-05"), None);
        assert_eq!(at("31/02/2026"), None);

        let us = DisplayFormat::new("MM/dd/yyyy", Some("hh:mm tt")).expect("known letters");
        assert_eq!(
            us.parse("11/05/2026 06:21 PM").map(|(t, _)| t.to_rfc3339()),
            Some("2026-11-05T18:21:00+00:00".into())
        );
        let dotted = DisplayFormat::new("dd.MM.yyyy", None).expect("known letters");
        assert_eq!(
            dotted.parse("05.11.2026").map(|(t, _)| t.to_rfc3339()),
            Some("2026-11-05T00:00:00+00:00".into())
        );
        let quoted = DisplayFormat::new("yyyy'y'MM", None);
        assert!(quoted.is_some());
        assert!(DisplayFormat::new("dd/QQ/yyyy", None).is_none());
        assert!(DisplayFormat::new("  ", Some("HH:mm")).is_none());
    }

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
