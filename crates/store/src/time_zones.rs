//! The time-zone catalogue: Windows zone ids as Keepnet uses them (`"Turkey Standard Time"`,
//! REFERENCE.md C.4 `TimeZoneId`), each mapped to its IANA zone by CLDR's `windowsZones` data
//! (the `windows-timezones` crate for the world-wide default of each id, `localzone` for the
//! per-territory rows), and IANA names themselves, checked against chrono-tz's tz database.
//! Nothing here is typed by hand: a new CLDR release arrives with a crate update.

use chrono_tz::Tz;
use strum::IntoEnumIterator;
use windows_timezones::WindowsTimezone;

/// One Windows zone: its id, Windows' display name (`"(UTC+03:00) Istanbul"`) and CLDR's
/// world-wide IANA zone for it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WindowsZone {
    /// The Windows id, e.g. `Turkey Standard Time`.
    pub id: &'static str,
    /// Windows' display name, e.g. `(UTC+03:00) Istanbul`.
    pub display_name: &'static str,
    /// CLDR's default IANA zone for the id (territory `001`).
    pub iana: Tz,
}

fn zone(w: WindowsTimezone) -> WindowsZone {
    WindowsZone {
        id: w.name(),
        display_name: w.description(),
        iana: Tz::from(w),
    }
}

/// Every Windows zone, in Windows' own order (by UTC offset).
pub fn windows_zones() -> impl Iterator<Item = WindowsZone> {
    WindowsTimezone::iter().map(zone)
}

/// The Windows zone with this id, compared without regard to case.
pub fn windows_zone(id: &str) -> Option<WindowsZone> {
    windows_zones().find(|z| z.id.eq_ignore_ascii_case(id))
}

/// A time-zone id as a client may send it: a Windows id (any case) or an IANA name (exact, as
/// the tz database spells it). Returns the spelling to store (the Windows id in its own case,
/// or the IANA name) and the IANA zone it means; `None` when it is neither.
pub fn resolve(id: &str) -> Option<(String, Tz)> {
    let id = id.trim();
    if let Some(w) = windows_zone(id) {
        return Some((w.id.to_owned(), w.iana));
    }
    id.parse::<Tz>().ok().map(|tz| (id.to_owned(), tz))
}

/// The Windows zone CLDR gives a territory (`TR`, `DE`), when it gives exactly one. Countries
/// that span several Windows zones (the United States, Brazil...) get `None`: which of them a
/// company means is not ours to guess.
pub fn territory_zone(territory: &str) -> Option<WindowsZone> {
    let mut found =
        windows_zones().filter(|z| localzone::win_zone_to_iana(z.id, Some(territory)).is_some());
    let first = found.next()?;
    found.next().is_none().then_some(first)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn turkey_standard_time_is_istanbul() {
        let z = windows_zone("Turkey Standard Time").expect("listed");
        assert_eq!(z.iana, Tz::Europe__Istanbul);
        assert_eq!(z.display_name, "(UTC+03:00) Istanbul");
        assert_eq!(
            resolve("turkey standard time").map(|(s, tz)| (s, tz.name())),
            Some(("Turkey Standard Time".to_owned(), "Europe/Istanbul"))
        );
    }

    #[test]
    fn iana_names_resolve_to_themselves_and_junk_does_not() {
        assert_eq!(
            resolve("Europe/Berlin").map(|(s, _)| s),
            Some("Europe/Berlin".to_owned())
        );
        assert_eq!(resolve("Mars/Olympus_Mons"), None);
        assert_eq!(resolve(""), None);
    }

    #[test]
    fn every_windows_id_maps_to_a_zone_chrono_tz_knows_and_localzone_agrees() {
        let zones: Vec<_> = windows_zones().collect();
        assert!(zones.len() > 100, "CLDR lists about 140 Windows zones");
        for z in zones {
            // The IANA name parses back into the same zone of chrono-tz's database.
            assert_eq!(z.iana.name().parse::<Tz>(), Ok(z.iana), "{}", z.id);
            // Both CLDR copies (windows-timezones, localzone) give the id the same default.
            if let Some(iana) = localzone::win_zone_to_iana(z.id, Some("001")) {
                assert_eq!(
                    iana.parse::<Tz>().map(|t| t.name()),
                    Ok(z.iana.name()),
                    "{}",
                    z.id
                );
            }
        }
    }

    #[test]
    fn territories_with_one_zone_get_it_and_others_none() {
        assert_eq!(
            territory_zone("TR").map(|z| z.id),
            Some("Turkey Standard Time")
        );
        assert_eq!(
            territory_zone("DE").map(|z| z.id),
            Some("W. Europe Standard Time")
        );
        assert_eq!(territory_zone("US"), None);
        assert_eq!(territory_zone("ZZ"), None);
    }
}
