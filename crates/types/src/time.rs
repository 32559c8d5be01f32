//! Lenient date input: Keepnet's clients send both dates and date-times.

use chrono::{DateTime, LocalResult, NaiveDate, NaiveDateTime, Offset, TimeDelta, TimeZone, Utc};
use chrono_tz::Tz;
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
    parse_iso(s).or_else(|| {
        let d = NaiveDate::parse_from_str(s.trim(), "%Y/%m/%d").ok()?;
        Some((d.and_hms_opt(0, 0, 0)?.and_utc(), Precision::Day))
    })
}

/// [`parse_time`]'s ISO 8601 spellings only (`2026-01-02`, `2026-01-02T10:30`, with or without
/// a zone; UTC when none), not the `2026/01/02` it also reads. Filters try these before a
/// company's display format and the slash spelling after it, so that a company whose format is
/// `yyyy/dd/MM` gets `2026/05/11` read as 5 November, as its people mean it (docs/api.md,
/// "Dates in the company's format").
pub fn parse_iso(s: &str) -> Option<(DateTime<Utc>, Precision)> {
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
    let d = NaiveDate::parse_from_str(s, "%Y-%m-%d").ok()?;
    Some((d.and_hms_opt(0, 0, 0)?.and_utc(), Precision::Day))
}

/// The instant a wall-clock time in `zone` names, for every local time, DST changes included,
/// by the rule browsers' `Date` and ECMAScript Temporal (`disambiguation: "compatible"`) use
/// for a local time, so that a browser client converting a picked time itself would agree:
/// - a time shown twice (clocks going back) is the earlier instant, the one before the change;
/// - a time skipped (clocks going forward) is read with the offset in force before the change,
///   so it lands after it by as much as it lies inside the gap (02:30 in Berlin on the last
///   Sunday of March, a 02:00 to 03:00 gap, is 01:30 UTC, shown as 03:30).
///
/// Never fails: a zone with no offset found for the time (impossible with the tz database)
/// reads it as UTC.
pub fn local_to_utc(zone: Tz, local: NaiveDateTime) -> DateTime<Utc> {
    match zone.from_local_datetime(&local) {
        LocalResult::Single(t) => t.with_timezone(&Utc),
        LocalResult::Ambiguous(a, b) => a.with_timezone(&Utc).min(b.with_timezone(&Utc)),
        LocalResult::None => {
            // The offset before the gap: that of a valid local time just before it. Gaps last
            // at most a day (Samoa skipped 30 December 2011), so stepping back a quarter hour
            // at a time for two days finds one.
            let before = (1..=4 * 48).find_map(|k| {
                let probe = local.checked_sub_signed(TimeDelta::minutes(15 * k))?;
                match zone.from_local_datetime(&probe) {
                    LocalResult::Single(t) => Some(t.offset().fix()),
                    LocalResult::Ambiguous(_, later) => Some(later.offset().fix()),
                    LocalResult::None => None,
                }
            });
            before
                .and_then(|offset| {
                    let shift = TimeDelta::seconds(i64::from(offset.local_minus_utc()));
                    local.checked_sub_signed(shift)
                })
                .unwrap_or(local)
                .and_utc()
        }
    }
}

/// A company's display format for dates: Keepnet's `dateFormat` and `timeFormat` settings,
/// .NET-style patterns such as `dd/MM/yyyy`, `MM/dd/yyyy`, `dd.MM.yyyy` and `HH:mm` or
/// `hh:mm tt`. Keepnet's UI sends date filter values in this format (CONTRACT.md, rulings of
/// 2026-12-05), e.g. `05/11/2026 06:21`, as its people read the time: on the company's clock
/// (its `timeZoneId`), which [`DisplayFormat::in_zone`] sets; without a zone they are UTC.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DisplayFormat {
    /// The settings as the company holds them, for error messages.
    shown: String,
    /// chrono patterns tried in turn, with what each names.
    patterns: Vec<(String, Precision)>,
    /// The company's time zone; `None` is UTC.
    zone: Option<Tz>,
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
        Some(DisplayFormat {
            shown,
            patterns,
            zone: None,
        })
    }

    /// The same format read on `zone`'s clock: the company's `timeZoneId` (docs/api.md, "Dates
    /// in the company's format").
    #[must_use]
    pub fn in_zone(mut self, zone: Tz) -> Self {
        self.zone = Some(zone);
        self
    }

    /// The zone values are read in; `None` is UTC.
    pub fn zone(&self) -> Option<Tz> {
        self.zone
    }

    /// The format as the company's settings spell it (`dd/MM/yyyy HH:mm`).
    pub fn shown(&self) -> &str {
        &self.shown
    }

    /// Reads `s` in this format, on the company's clock: the `[start, end)` it names. A date is
    /// its whole local day, midnight to midnight (23 or 25 hours on a DST change; a day the zone
    /// skipped is empty); a date and time is the minute it shows, or the second when it shows
    /// seconds, starting at the instant [`local_to_utc`] reads.
    pub fn window(&self, s: &str) -> Option<(DateTime<Utc>, DateTime<Utc>)> {
        let s = s.trim();
        let at = |local: NaiveDateTime| match self.zone {
            Some(zone) => local_to_utc(zone, local),
            None => local.and_utc(),
        };
        self.patterns.iter().find_map(|(pattern, precision)| {
            if *precision == Precision::Day {
                let day = NaiveDate::parse_from_str(s, pattern).ok()?;
                let start = at(day.and_hms_opt(0, 0, 0)?);
                let end = at(day.succ_opt()?.and_hms_opt(0, 0, 0)?);
                return Some((start, end.max(start)));
            }
            let start = at(NaiveDateTime::parse_from_str(s, pattern).ok()?);
            let length = if *precision == Precision::Minute {
                TimeDelta::minutes(1)
            } else {
                TimeDelta::seconds(1)
            };
            Some((start, start.checked_add_signed(length)?))
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
        let at = |s: &str| f.window(s).map(|(a, b)| (a.to_rfc3339(), b.to_rfc3339()));
        assert_eq!(
            at("05/11/2026 06:21"),
            Some((
                "2026-11-05T06:21:00+00:00".into(),
                "2026-11-05T06:22:00+00:00".into()
            ))
        );
        assert_eq!(
            at("05/11/2026 06:21:09"),
            Some((
                "2026-11-05T06:21:09+00:00".into(),
                "2026-11-05T06:21:10+00:00".into()
            ))
        );
        assert_eq!(
            at("5/1/2026"),
            Some((
                "2026-01-05T00:00:00+00:00".into(),
                "2026-01-06T00:00:00+00:00".into()
            ))
        );
        assert_eq!(at("2026-11-05"), None);
        assert_eq!(at("31/02/2026"), None);

        let us = DisplayFormat::new("MM/dd/yyyy", Some("hh:mm tt")).expect("known letters");
        assert_eq!(
            us.window("11/05/2026 06:21 PM")
                .map(|(t, _)| t.to_rfc3339()),
            Some("2026-11-05T18:21:00+00:00".into())
        );
        let dotted = DisplayFormat::new("dd.MM.yyyy", None).expect("known letters");
        assert_eq!(
            dotted.window("05.11.2026").map(|(t, _)| t.to_rfc3339()),
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

    /// Each `(zone, value, start, end)`: `value`, read in `dd/MM/yyyy HH:mm` on `zone`'s
    /// clock, names `[start, end)` (UTC).
    #[track_caller]
    fn assert_windows(cases: &[(Tz, &str, &str, &str)]) {
        let f = DisplayFormat::new("dd/MM/yyyy", Some("HH:mm")).expect("known letters");
        let utc = |t: DateTime<Utc>| t.format("%Y-%m-%dT%H:%M:%SZ").to_string();
        for &(zone, value, start, end) in cases {
            let got = f.clone().in_zone(zone).window(value);
            assert_eq!(
                got.map(|(a, b)| (utc(a), utc(b))),
                Some((start.to_owned(), end.to_owned())),
                "{value} in {zone}"
            );
        }
    }

    #[test]
    fn display_values_are_read_on_the_company_clock() {
        let f = DisplayFormat::new("dd/MM/yyyy", Some("HH:mm")).expect("known letters");
        assert_eq!(f.zone(), None);
        assert_eq!(
            f.in_zone(Tz::Europe__Istanbul).zone(),
            Some(Tz::Europe__Istanbul)
        );
        let (istanbul, berlin) = (Tz::Europe__Istanbul, Tz::Europe__Berlin);
        assert_windows(&[
            // Istanbul is UTC+3 all year: 06:21 there is 03:21 UTC.
            (
                istanbul,
                "05/11/2026 06:21",
                "2026-11-05T03:21:00Z",
                "2026-11-05T03:22:00Z",
            ),
            (
                istanbul,
                "05/11/2026 06:21:09",
                "2026-11-05T03:21:09Z",
                "2026-11-05T03:21:10Z",
            ),
            // A date alone is the local day, midnight to midnight.
            (
                istanbul,
                "05/11/2026",
                "2026-11-04T21:00:00Z",
                "2026-11-05T21:00:00Z",
            ),
            // Berlin: UTC+1 in winter, UTC+2 in summer.
            (
                berlin,
                "15/01/2026 12:00",
                "2026-01-15T11:00:00Z",
                "2026-01-15T11:01:00Z",
            ),
            (
                berlin,
                "15/07/2026 12:00",
                "2026-07-15T10:00:00Z",
                "2026-07-15T10:01:00Z",
            ),
        ]);
        // Westward, the evening is the next UTC day; 12-hour formats too.
        let us = DisplayFormat::new("MM/dd/yyyy", Some("hh:mm tt")).expect("known letters");
        assert_eq!(
            us.in_zone(Tz::America__New_York)
                .window("11/05/2026 09:30 PM")
                .map(|(t, _)| t.to_rfc3339()),
            Some("2026-11-06T02:30:00+00:00".into())
        );
    }

    #[test]
    fn dst_gaps_and_overlaps() {
        let (berlin, sao_paulo, apia) = (
            Tz::Europe__Berlin,
            Tz::America__Sao_Paulo,
            Tz::Pacific__Apia,
        );
        assert_windows(&[
            // 29 March 2026: 02:00 CET becomes 03:00 CEST. 02:30 does not exist; it is read with
            // the offset before the change (+01:00), as a browser reads it: 01:30 UTC (03:30).
            (
                berlin,
                "29/03/2026 02:30",
                "2026-03-29T01:30:00Z",
                "2026-03-29T01:31:00Z",
            ),
            (
                berlin,
                "29/03/2026 03:00",
                "2026-03-29T01:00:00Z",
                "2026-03-29T01:01:00Z",
            ),
            // 25 October 2026: 03:00 CEST becomes 02:00 CET; 02:30 is shown twice and is the
            // earlier instant (00:30 UTC, not 01:30).
            (
                berlin,
                "25/10/2026 02:30",
                "2026-10-25T00:30:00Z",
                "2026-10-25T00:31:00Z",
            ),
            // The days of the changes last 23 and 25 hours.
            (
                berlin,
                "29/03/2026",
                "2026-03-28T23:00:00Z",
                "2026-03-29T22:00:00Z",
            ),
            (
                berlin,
                "25/10/2026",
                "2026-10-24T22:00:00Z",
                "2026-10-25T23:00:00Z",
            ),
            // São Paulo's clocks went from 00:00 to 01:00 on 4 November 2018: the day starts at
            // the change, and the days around it still meet.
            (
                sao_paulo,
                "04/11/2018",
                "2018-11-04T03:00:00Z",
                "2018-11-05T02:00:00Z",
            ),
            (
                sao_paulo,
                "03/11/2018",
                "2018-11-03T03:00:00Z",
                "2018-11-04T03:00:00Z",
            ),
            // Samoa skipped 30 December 2011: that day is empty, the days around it meet.
            (
                apia,
                "30/12/2011",
                "2011-12-30T10:00:00Z",
                "2011-12-30T10:00:00Z",
            ),
            (
                apia,
                "29/12/2011",
                "2011-12-29T10:00:00Z",
                "2011-12-30T10:00:00Z",
            ),
            (
                apia,
                "31/12/2011 00:00",
                "2011-12-30T10:00:00Z",
                "2011-12-30T10:01:00Z",
            ),
        ]);
    }

    #[test]
    fn iso_values_are_not_display_values() {
        // The slash spelling is not ISO 8601: filters read it after the company's format.
        assert!(parse_iso("2026/01/02").is_none());
        assert_eq!(
            parse_iso("2026-01-02").map(|(t, p)| (t.timestamp(), p)),
            Some((1_767_312_000, Precision::Day))
        );
        assert_eq!(
            parse_iso("2026-01-02T03:00:00+03:00").map(|(t, _)| t.timestamp()),
            Some(1_767_312_000)
        );
    }
}
