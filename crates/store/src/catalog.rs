//! The seeded lookup catalogues. Ids are fixed here so that they are the same on every install
//! and every engine; new entries may be added, existing ids never change.

use crate::model::LookupKind;

/// `(kind, resource_id, name, code)`.
pub const ENTRIES: &[(LookupKind, &str, &str, Option<&str>)] = &[
    (LookupKind::Industry, "IndAgricultr", "Agriculture", None),
    (LookupKind::Industry, "IndAutomotiv", "Automotive", None),
    (
        LookupKind::Industry,
        "IndBankingFi",
        "Banking & Finance",
        None,
    ),
    (LookupKind::Industry, "IndConstruct", "Construction", None),
    (LookupKind::Industry, "IndEducation", "Education", None),
    (
        LookupKind::Industry,
        "IndEnergyUtl",
        "Energy & Utilities",
        None,
    ),
    (LookupKind::Industry, "IndGovernmnt", "Government", None),
    (LookupKind::Industry, "IndHealthcar", "Healthcare", None),
    (LookupKind::Industry, "IndHospitaly", "Hospitality", None),
    (LookupKind::Industry, "IndInsurance", "Insurance", None),
    (LookupKind::Industry, "IndLegalSrvc", "Legal Services", None),
    (LookupKind::Industry, "IndLogistics", "Logistics", None),
    (LookupKind::Industry, "IndManufactr", "Manufacturing", None),
    (
        LookupKind::Industry,
        "IndMediaEnt0",
        "Media & Entertainment",
        None,
    ),
    (LookupKind::Industry, "IndNonProfit", "Non-Profit", None),
    (
        LookupKind::Industry,
        "IndPharmacut",
        "Pharmaceuticals",
        None,
    ),
    (LookupKind::Industry, "IndRetail000", "Retail", None),
    (LookupKind::Industry, "IndTechnolgy", "Technology", None),
    (
        LookupKind::Industry,
        "IndTelecom00",
        "Telecommunications",
        None,
    ),
    (LookupKind::Industry, "IndOther0000", "Other", None),
    (LookupKind::Country, "CtryAustrali", "Australia", Some("AU")),
    (LookupKind::Country, "CtryAustria0", "Austria", Some("AT")),
    (LookupKind::Country, "CtryBelgium0", "Belgium", Some("BE")),
    (LookupKind::Country, "CtryBrazil00", "Brazil", Some("BR")),
    (LookupKind::Country, "CtryCanada00", "Canada", Some("CA")),
    (LookupKind::Country, "CtryDenmark0", "Denmark", Some("DK")),
    (LookupKind::Country, "CtryFinland0", "Finland", Some("FI")),
    (LookupKind::Country, "CtryFrance00", "France", Some("FR")),
    (LookupKind::Country, "CtryGermany0", "Germany", Some("DE")),
    (LookupKind::Country, "CtryIndia000", "India", Some("IN")),
    (LookupKind::Country, "CtryIreland0", "Ireland", Some("IE")),
    (LookupKind::Country, "CtryItaly000", "Italy", Some("IT")),
    (LookupKind::Country, "CtryJapan000", "Japan", Some("JP")),
    (LookupKind::Country, "CtryMexico00", "Mexico", Some("MX")),
    (
        LookupKind::Country,
        "CtryNethrlnd",
        "Netherlands",
        Some("NL"),
    ),
    (LookupKind::Country, "CtryNorway00", "Norway", Some("NO")),
    (LookupKind::Country, "CtryPoland00", "Poland", Some("PL")),
    (LookupKind::Country, "CtrySpain000", "Spain", Some("ES")),
    (LookupKind::Country, "CtrySweden00", "Sweden", Some("SE")),
    (
        LookupKind::Country,
        "CtrySwitzrld",
        "Switzerland",
        Some("CH"),
    ),
    (LookupKind::Country, "CtryTurkey00", "Türkiye", Some("TR")),
    (
        LookupKind::Country,
        "CtryUnitArEm",
        "United Arab Emirates",
        Some("AE"),
    ),
    (
        LookupKind::Country,
        "CtryUnitKngd",
        "United Kingdom",
        Some("GB"),
    ),
    (
        LookupKind::Country,
        "CtryUnitStat",
        "United States",
        Some("US"),
    ),
    (LookupKind::LicenseType, "LicTrial0000", "Trial", None),
    (LookupKind::LicenseType, "LicStandard0", "Standard", None),
    (LookupKind::LicenseType, "LicEnterpris", "Enterprise", None),
    (
        LookupKind::LicenseType,
        "LicMsspPartn",
        "MSSP Partner",
        None,
    ),
    (
        LookupKind::LicensePeriodType,
        "LpdMonthly00",
        "Monthly",
        None,
    ),
    (
        LookupKind::LicensePeriodType,
        "LpdQuarterly",
        "Quarterly",
        None,
    ),
    (
        LookupKind::LicensePeriodType,
        "LpdYearly000",
        "Yearly",
        None,
    ),
    (
        LookupKind::LicensePeriodType,
        "LpdThreeYear",
        "3 Years",
        None,
    ),
    // Languages carry their ISO 639-1 code, which target users may send instead of the id.
    (LookupKind::Language, "LangEnglish0", "English", Some("en")),
    (LookupKind::Language, "LangTurkish0", "Turkish", Some("tr")),
    (LookupKind::Language, "LangGerman00", "German", Some("de")),
    (LookupKind::Language, "LangFrench00", "French", Some("fr")),
    (LookupKind::Language, "LangSpanish0", "Spanish", Some("es")),
    (LookupKind::Language, "LangItalian0", "Italian", Some("it")),
    (
        LookupKind::Language,
        "LangPortugse",
        "Portuguese",
        Some("pt"),
    ),
    (LookupKind::Language, "LangDutch000", "Dutch", Some("nl")),
    (LookupKind::Language, "LangPolish00", "Polish", Some("pl")),
    (LookupKind::Language, "LangSwedish0", "Swedish", Some("sv")),
    (
        LookupKind::Language,
        "LangNorwegn0",
        "Norwegian",
        Some("no"),
    ),
    (LookupKind::Language, "LangDanish00", "Danish", Some("da")),
    (LookupKind::Language, "LangFinnish0", "Finnish", Some("fi")),
    (LookupKind::Language, "LangCzech000", "Czech", Some("cs")),
    (LookupKind::Language, "LangGreek000", "Greek", Some("el")),
    (
        LookupKind::Language,
        "LangHungarn0",
        "Hungarian",
        Some("hu"),
    ),
    (LookupKind::Language, "LangRomania0", "Romanian", Some("ro")),
    (LookupKind::Language, "LangRussian0", "Russian", Some("ru")),
    (
        LookupKind::Language,
        "LangUkrainn0",
        "Ukrainian",
        Some("uk"),
    ),
    (LookupKind::Language, "LangArabic00", "Arabic", Some("ar")),
    (LookupKind::Language, "LangHindi000", "Hindi", Some("hi")),
    (LookupKind::Language, "LangJapanes0", "Japanese", Some("ja")),
    (LookupKind::Language, "LangKorean00", "Korean", Some("ko")),
    (LookupKind::Language, "LangChinese0", "Chinese", Some("zh")),
];

/// Keepnet lookup types that the New Company form asks for and that rollcall keeps no entries
/// of (notification templates, training content, SMTP configurations: features rollcall does
/// not have). They answer an empty list rather than 404, as Keepnet answers a type with no
/// entries.
pub const UNHELD_TYPES: &[(i32, &str)] = &[
    (5, "NotificationTemplateType"),
    (6, "TrainingContentType"),
    (7, "SmtpConfigurationType"),
];

/// One catalogue entry.
pub fn entry(
    kind: LookupKind,
    resource_id: &str,
) -> Option<&'static (LookupKind, &'static str, &'static str, Option<&'static str>)> {
    ENTRIES
        .iter()
        .find(|(k, id, _, _)| *k == kind && *id == resource_id)
}

/// Display name of an entry.
pub fn name(kind: LookupKind, resource_id: Option<&str>) -> Option<String> {
    resource_id
        .and_then(|id| entry(kind, id))
        .map(|(_, _, name, _)| (*name).to_owned())
}

/// The language a `preferredLanguageId` names: a language entry's resource id, its ISO 639-1
/// code (any case), or a language tag whose primary subtag is one (`en-GB`, `pt_BR`).
pub fn language(
    value: &str,
) -> Option<&'static (LookupKind, &'static str, &'static str, Option<&'static str>)> {
    let value = value.trim();
    let primary = value.split(['-', '_']).next().unwrap_or(value);
    ENTRIES.iter().find(|(k, id, _, code)| {
        *k == LookupKind::Language
            && (*id == value || code.is_some_and(|c| c.eq_ignore_ascii_case(primary)))
    })
}

/// The canonical spelling of a language value: the resource id of the language it names (by id,
/// ISO code or tag), which is what rollcall stores (docs/api.md, "Lookups and time zones"), so
/// that a filter on the id selects every user of that language however it was sent.
pub fn language_id(value: &str) -> Option<&'static str> {
    language(value).map(|(_, id, _, _)| *id)
}

/// What target-user rows show for a stored `preferredLanguageId`: the language's name, which
/// Keepnet's UI matches (REFERENCE.md C.6), or the stored value itself when it names no
/// language (a value kept from before languages were checked).
pub fn language_display(value: &str) -> &str {
    language(value).map_or(value, |(_, _, name, _)| name)
}

/// Licence type given to companies created without one.
pub const DEFAULT_LICENSE_TYPE: &str = "LicStandard0";
/// Licence period given to companies created without one.
pub const DEFAULT_LICENSE_PERIOD: &str = "LpdYearly000";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_resource_ids_and_unique() {
        let mut seen = std::collections::HashSet::new();
        for (_, id, _, _) in ENTRIES {
            assert!(
                rollcall_types::ids::is_resource_id(id),
                "{id} is not a 12-char base62 id"
            );
            assert!(seen.insert(*id), "{id} repeated");
        }
        assert!(seen.contains(DEFAULT_LICENSE_TYPE) && seen.contains(DEFAULT_LICENSE_PERIOD));
    }

    #[test]
    fn languages_are_found_by_id_code_and_tag_only() {
        let name = |v: &str| language(v).map(|(_, _, n, _)| *n);
        assert_eq!(name("LangTurkish0"), Some("Turkish"));
        assert_eq!(name("tr"), Some("Turkish"));
        assert_eq!(name("EN-gb"), Some("English"));
        assert_eq!(name("pt_BR"), Some("Portuguese"));
        assert_eq!(name("Turkish"), None);
        assert_eq!(name("xx"), None);
        assert_eq!(name(""), None);
        // Every language has a distinct two-letter code.
        let codes: std::collections::HashSet<_> = ENTRIES
            .iter()
            .filter(|(k, ..)| *k == LookupKind::Language)
            .map(|(.., c)| c.expect("a language has a code"))
            .collect();
        assert!(codes.iter().all(|c| c.len() == 2));
    }

    #[test]
    fn languages_have_one_canonical_id() {
        assert_eq!(language_id("tr"), Some("LangTurkish0"));
        assert_eq!(language_id("tr-TR"), Some("LangTurkish0"));
        assert_eq!(language_id("LangTurkish0"), Some("LangTurkish0"));
        assert_eq!(language_id("Klingon"), None);
    }

    /// Migration 0015 rewrites codes and tags to ids from its own copy of the language list:
    /// it must be this catalogue's, on both engines.
    #[test]
    fn migration_0015_lists_the_catalogues_languages() {
        let mut want: Vec<String> = ENTRIES
            .iter()
            .filter(|(k, ..)| *k == LookupKind::Language)
            .map(|(_, id, _, code)| format!("('{}', '{id}')", code.unwrap_or_default()))
            .collect();
        want.sort();
        for migration in [
            include_str!("../migrations/sqlite/0015_preferred_language.sql"),
            include_str!("../migrations/postgres/0015_preferred_language.sql"),
        ] {
            let start = migration.find("VALUES").expect("the list");
            let end = start + migration[start..].find("\n)").expect("its end");
            let mut got: Vec<String> = migration[start + "VALUES".len()..end]
                .split(",\n")
                .map(|l| l.trim().to_owned())
                .filter(|l| !l.is_empty())
                .collect();
            got.sort();
            assert_eq!(got, want);
        }
    }

    #[test]
    fn type_ids_are_distinct_from_each_other_and_from_unheld_types() {
        let mut ids: Vec<i32> = LookupKind::ALL.iter().map(|k| k.type_id()).collect();
        ids.extend(UNHELD_TYPES.iter().map(|(id, _)| *id));
        let n = ids.len();
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), n);
        assert_eq!(LookupKind::from_type_id(21), Some(LookupKind::Language));
    }
}
