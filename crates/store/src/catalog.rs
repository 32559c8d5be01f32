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
}
