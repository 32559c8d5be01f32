//! The seeded lookup catalogues. Ids are fixed here so that they are the same on every install
//! and every engine; new entries may be added, existing ids never change.

use serde::{Deserialize, Serialize};

/// Kinds of lookup catalogue.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum LookupKind {
    /// `IndustryResourceId`.
    Industry,
    /// `CountryResourceId`.
    Country,
    /// `LicenseTypeResourceId`.
    LicenseType,
    /// `LicensePeriodTypeResourceId`.
    LicensePeriodType,
    /// `preferredLanguageId` of target users (lookup type 21 in Keepnet's UI).
    Language,
}

impl LookupKind {
    /// Every kind.
    pub const ALL: [LookupKind; 5] = [
        LookupKind::Industry,
        LookupKind::Country,
        LookupKind::LicenseType,
        LookupKind::LicensePeriodType,
        LookupKind::Language,
    ];

    /// Name stored in the `kind` column and used in `/api/lookups/{kind}`.
    pub fn as_str(self) -> &'static str {
        match self {
            LookupKind::Industry => "industry",
            LookupKind::Country => "country",
            LookupKind::LicenseType => "license_type",
            LookupKind::LicensePeriodType => "license_period_type",
            LookupKind::Language => "language",
        }
    }

    /// Keepnet's numeric lookup type (`genericCodeTypeId`, the `typeId` of
    /// `/api/lookups/{typeId}`), as Keepnet's UI and agent use them: the New Company form asks
    /// for `[1, 2, 4, 5, 6, 7]` and files countries under 1, industries under 2 and licence
    /// periods under 4; the agent's constants name 2 industry and 3 licence type; REFERENCE.md
    /// F names 21 the language list.
    pub fn type_id(self) -> i32 {
        match self {
            LookupKind::Country => 1,
            LookupKind::Industry => 2,
            LookupKind::LicenseType => 3,
            LookupKind::LicensePeriodType => 4,
            LookupKind::Language => 21,
        }
    }

    /// Keepnet's display name of the lookup type (`genericCodeTypeName`).
    pub fn type_name(self) -> &'static str {
        match self {
            LookupKind::Country => "Country",
            LookupKind::Industry => "Industry",
            LookupKind::LicenseType => "LicenseType",
            LookupKind::LicensePeriodType => "LicensePeriodType",
            LookupKind::Language => "Language",
        }
    }

    /// The kind with Keepnet's numeric type id.
    pub fn from_type_id(id: i32) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.type_id() == id)
    }

    /// Parses `industry`, `license-type`, `LicenseType`... (any case, `-`/`_` optional).
    pub fn parse(s: &str) -> Option<Self> {
        let norm: String = s
            .chars()
            .filter(|c| *c != '-' && *c != '_')
            .collect::<String>()
            .to_ascii_lowercase();
        Self::ALL.into_iter().find(|k| {
            k.as_str().replace('_', "") == norm || k.as_str().replace('_', "") + "s" == norm
        })
    }
}

/// Writes [`ENTRIES`] as a table grouped by kind, one entry a line (`id name [code]`), so that
/// each kind is named once instead of on every entry. The order is the seeded sort order.
macro_rules! catalogue {
    ($($kind:ident { $($id:literal $name:literal $($code:literal)?,)* })*) => {
        /// `(kind, resource_id, name, code)`.
        pub const ENTRIES: &[(LookupKind, &str, &str, Option<&str>)] = &[
            $($((LookupKind::$kind, $id, $name, catalogue!(@code $($code)?)),)*)*
        ];
    };
    (@code) => { None };
    (@code $code:literal) => { Some($code) };
}

catalogue! {
    Industry {
        "IndAgricultr" "Agriculture",
        "IndAutomotiv" "Automotive",
        "IndBankingFi" "Banking & Finance",
        "IndConstruct" "Construction",
        "IndEducation" "Education",
        "IndEnergyUtl" "Energy & Utilities",
        "IndGovernmnt" "Government",
        "IndHealthcar" "Healthcare",
        "IndHospitaly" "Hospitality",
        "IndInsurance" "Insurance",
        "IndLegalSrvc" "Legal Services",
        "IndLogistics" "Logistics",
        "IndManufactr" "Manufacturing",
        "IndMediaEnt0" "Media & Entertainment",
        "IndNonProfit" "Non-Profit",
        "IndPharmacut" "Pharmaceuticals",
        "IndRetail000" "Retail",
        "IndTechnolgy" "Technology",
        "IndTelecom00" "Telecommunications",
        "IndOther0000" "Other",
    }
    Country {
        "CtryAustrali" "Australia" "AU",
        "CtryAustria0" "Austria" "AT",
        "CtryBelgium0" "Belgium" "BE",
        "CtryBrazil00" "Brazil" "BR",
        "CtryCanada00" "Canada" "CA",
        "CtryDenmark0" "Denmark" "DK",
        "CtryFinland0" "Finland" "FI",
        "CtryFrance00" "France" "FR",
        "CtryGermany0" "Germany" "DE",
        "CtryIndia000" "India" "IN",
        "CtryIreland0" "Ireland" "IE",
        "CtryItaly000" "Italy" "IT",
        "CtryJapan000" "Japan" "JP",
        "CtryMexico00" "Mexico" "MX",
        "CtryNethrlnd" "Netherlands" "NL",
        "CtryNorway00" "Norway" "NO",
        "CtryPoland00" "Poland" "PL",
        "CtrySpain000" "Spain" "ES",
        "CtrySweden00" "Sweden" "SE",
        "CtrySwitzrld" "Switzerland" "CH",
        "CtryTurkey00" "Türkiye" "TR",
        "CtryUnitArEm" "United Arab Emirates" "AE",
        "CtryUnitKngd" "United Kingdom" "GB",
        "CtryUnitStat" "United States" "US",
    }
    LicenseType {
        "LicTrial0000" "Trial",
        "LicStandard0" "Standard",
        "LicEnterpris" "Enterprise",
        "LicMsspPartn" "MSSP Partner",
    }
    LicensePeriodType {
        "LpdMonthly00" "Monthly",
        "LpdQuarterly" "Quarterly",
        "LpdYearly000" "Yearly",
        "LpdThreeYear" "3 Years",
    }
    // Languages carry their ISO 639-1 code, which target users may send instead of the id.
    Language {
        "LangEnglish0" "English" "en",
        "LangTurkish0" "Turkish" "tr",
        "LangGerman00" "German" "de",
        "LangFrench00" "French" "fr",
        "LangSpanish0" "Spanish" "es",
        "LangItalian0" "Italian" "it",
        "LangPortugse" "Portuguese" "pt",
        "LangDutch000" "Dutch" "nl",
        "LangPolish00" "Polish" "pl",
        "LangSwedish0" "Swedish" "sv",
        "LangNorwegn0" "Norwegian" "no",
        "LangDanish00" "Danish" "da",
        "LangFinnish0" "Finnish" "fi",
        "LangCzech000" "Czech" "cs",
        "LangGreek000" "Greek" "el",
        "LangHungarn0" "Hungarian" "hu",
        "LangRomania0" "Romanian" "ro",
        "LangRussian0" "Russian" "ru",
        "LangUkrainn0" "Ukrainian" "uk",
        "LangArabic00" "Arabic" "ar",
        "LangHindi000" "Hindi" "hi",
        "LangJapanes0" "Japanese" "ja",
        "LangKorean00" "Korean" "ko",
        "LangChinese0" "Chinese" "zh",
    }
}

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
