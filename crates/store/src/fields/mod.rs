//! The fields each search endpoint lets clients filter and sort on: wire names (Keepnet's
//! PascalCase, with aliases) mapped to the column each reads and the kind of value it takes.
//! The server picks a catalogue by resource; only the store names columns.
//!
//! A [`Fields`] catalogue is a fixed list plus a list of fields added at run time (per-company
//! custom fields, issue #14), so that one parser serves both.

mod allow_list;
mod audit;
mod clients;
mod companies;
mod import_rows;
mod scim_settings;
mod target_groups;
mod target_users;

use std::borrow::Cow;

pub use allow_list::ALLOW_LIST;
pub use audit::AUDIT_LOGS;
pub use clients::API_CLIENTS;
pub use companies::COMPANIES;
pub use import_rows::IMPORT_ROWS;
pub use scim_settings::SCIM_SETTINGS;
pub use target_groups::TARGET_GROUPS;
pub use target_users::{
    DOMAIN_VERIFIED, GROUP_MEMBER, TARGET_GROUP, TARGET_USERS, TARGET_USER_SEARCHED_COLUMNS,
};

/// Keepnet's `TargetUserCustomFieldDataType`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CustomFieldType {
    String,
    Number,
    Email,
    Boolean,
    Date,
    DateTime,
}

impl CustomFieldType {
    /// Every type, in Keepnet's order.
    pub const ALL: [CustomFieldType; 6] = [
        CustomFieldType::String,
        CustomFieldType::Number,
        CustomFieldType::Email,
        CustomFieldType::Boolean,
        CustomFieldType::Date,
        CustomFieldType::DateTime,
    ];

    /// The name on the wire and in the database.
    pub fn name(self) -> &'static str {
        match self {
            CustomFieldType::String => "String",
            CustomFieldType::Number => "Number",
            CustomFieldType::Email => "Email",
            CustomFieldType::Boolean => "Boolean",
            CustomFieldType::Date => "Date",
            CustomFieldType::DateTime => "DateTime",
        }
    }

    /// A type by its name, in any case.
    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|t| t.name().eq_ignore_ascii_case(name.trim()))
    }
}

/// How a field's values are read and compared.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldKind {
    /// Text, compared case-insensitively on a lowercase column.
    Text,
    /// Text compared exactly (resource ids).
    Exact,
    /// A language (`preferredLanguageId`), stored as the catalogue's resource id: filter values
    /// that name a language by id, ISO code or tag (`tr`, `tr-TR`) compare as its id; others
    /// (values kept from before languages were checked) compare exactly.
    Language,
    /// Whole number.
    Int,
    /// Any number (custom `Number` fields), compared as a double.
    Number,
    /// true/false.
    Bool,
    /// Date or date-time (ISO 8601), stored as UTC milliseconds.
    Time,
    /// `|a|b|` list of lowercase tags.
    Tags,
    /// Keepnet's `Status` filter: `1`/`Active` or `0`/`Inactive` over a boolean column.
    Status,
    /// `YYYY-MM`, stored as the number YYYYMM.
    Month,
    /// `YYYY-MM` that selects the month a count reports rather than filtering rows.
    MonthSelector,
    /// Licence expired: true when the time column is set and in the past.
    Expired,
    /// Keepnet's priority names (`VeryLow` .. `VeryHigh`) or 1..=5, stored as 1..=5.
    Priority,
    /// A REST API client's `StatusId`: 1 active, 0 inactive (2 read as inactive), over an
    /// integer column holding 1 or 0 (CONTRACT.md, rulings of 2026-12-05).
    ClientStatus,
    /// A column Keepnet's rows show but rollcall does not keep (no data behind it, e.g. a
    /// company's enrolment figures): `Contains` matches no row, other operators are refused.
    NotKept,
}

/// One field an endpoint lets clients filter or sort on. Fixed fields are `FieldSpec<'static>`;
/// a company's custom fields borrow their names from the loaded definitions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FieldSpec<'a> {
    /// Canonical wire name (PascalCase, as Keepnet's UI sends it; a custom field's own name).
    pub name: &'a str,
    /// Other accepted names.
    pub aliases: &'a [&'a str],
    /// SQL column it reads (lowercase copy for text).
    pub column: &'static str,
    /// Value type.
    pub kind: FieldKind,
    /// May appear in `orderBy`.
    pub sortable: bool,
    /// May appear in a filter item.
    pub filterable: bool,
    /// The column may hold NULL. Sorting on it then says where NULLs go; on a NOT NULL column
    /// it does not, which lets SQLite walk an index in order instead of sorting every row.
    pub nullable: bool,
    /// `searchInputTextValue` looks for its text in this column.
    pub searched: bool,
    /// The custom field (internal id) whose values the field reads: `column` is then a column
    /// of `custom_field_values`, and filters and sorts read that field's rows (issue #14).
    pub custom: Option<i64>,
}

impl<'a> FieldSpec<'a> {
    /// A filterable, sortable, NOT NULL field with no aliases, not searched by the text box.
    pub const fn new(name: &'a str, column: &'static str, kind: FieldKind) -> Self {
        FieldSpec {
            name,
            aliases: &[],
            column,
            kind,
            sortable: true,
            filterable: true,
            nullable: false,
            searched: false,
            custom: None,
        }
    }

    /// A company's custom field `id` named `name`: its values compare by type (text in any
    /// case, numbers, booleans, dates), and a user without a value holds NULL, which sorts last
    /// (docs/api.md, "Custom fields").
    pub fn custom(name: &'a str, id: i64, data_type: CustomFieldType) -> Self {
        let (column, kind) = match data_type {
            CustomFieldType::String | CustomFieldType::Email => (CUSTOM_TEXT, FieldKind::Text),
            CustomFieldType::Number => (CUSTOM_NUMBER, FieldKind::Number),
            // Stored as 1/0 in the number column; the parser binds them as numbers.
            CustomFieldType::Boolean => (CUSTOM_NUMBER, FieldKind::Bool),
            CustomFieldType::Date | CustomFieldType::DateTime => (CUSTOM_TIME, FieldKind::Time),
        };
        FieldSpec {
            custom: Some(id),
            ..FieldSpec::new(name, column, kind).nullable(true)
        }
    }

    /// Also accepted under these names.
    pub const fn aliases(mut self, aliases: &'a [&'a str]) -> Self {
        self.aliases = aliases;
        self
    }

    /// Sortable or not.
    pub const fn sortable(mut self, sortable: bool) -> Self {
        self.sortable = sortable;
        self
    }

    /// The column may hold NULL.
    pub const fn nullable(mut self, nullable: bool) -> Self {
        self.nullable = nullable;
        self
    }

    /// A field shown in Keepnet's rows that rollcall does not keep ([`FieldKind::NotKept`]):
    /// no column, not sortable.
    pub const fn not_kept(name: &'a str) -> Self {
        FieldSpec::new(name, "", FieldKind::NotKept).sortable(false)
    }

    /// Searched by `searchInputTextValue`.
    pub const fn searched(mut self) -> Self {
        self.searched = true;
        self
    }

    /// Whether the field answers to `name` (any case), by its name or an alias.
    pub fn is_named(&self, name: &str) -> bool {
        self.name.eq_ignore_ascii_case(name)
            || self.aliases.iter().any(|a| a.eq_ignore_ascii_case(name))
    }
}

/// The lowercase text of a custom value (`custom_field_values`): what `Contains` searches and
/// text fields compare and sort by.
pub const CUSTOM_TEXT: &str = "value_lower";
/// A custom value as a number (Number fields; Boolean ones as 1/0).
pub const CUSTOM_NUMBER: &str = "value_number";
/// A custom value as UTC milliseconds (Date and DateTime fields).
pub const CUSTOM_TIME: &str = "value_time";

/// The fields of one search endpoint: a fixed list, fields added at run time, the field
/// sorted on when a request names none, and the unique column that makes every order total.
#[derive(Debug, Clone)]
pub struct Fields<'a> {
    fixed: &'static [FieldSpec<'static>],
    extra: Cow<'a, [FieldSpec<'a>]>,
    default_order: &'static str,
    unique_column: &'static str,
}

impl Fields<'static> {
    /// A catalogue of `fixed` fields.
    pub const fn new(
        fixed: &'static [FieldSpec<'static>],
        default_order: &'static str,
        unique_column: &'static str,
    ) -> Self {
        Fields {
            fixed,
            extra: Cow::Borrowed(&[]),
            default_order,
            unique_column,
        }
    }
}

impl<'a> Fields<'a> {
    /// This catalogue with `extra` fields after the fixed ones (a name the fixed list already
    /// answers to stays the fixed field's).
    pub fn with_extra<'b>(&self, extra: impl Into<Cow<'b, [FieldSpec<'b>]>>) -> Fields<'b> {
        Fields {
            fixed: self.fixed,
            extra: extra.into(),
            default_order: self.default_order,
            unique_column: self.unique_column,
        }
    }

    /// Every field, the fixed ones first.
    pub fn iter(&self) -> impl Iterator<Item = &FieldSpec<'a>> {
        self.fixed.iter().chain(self.extra.iter())
    }

    /// Wire name of the field sorted on when a request names none.
    pub fn default_order(&self) -> &'static str {
        self.default_order
    }

    /// Column whose values are unique: the last sort key of every order.
    pub fn unique_column(&self) -> &'static str {
        self.unique_column
    }

    /// Columns `searchInputTextValue` searches, in field order.
    pub fn searched_columns(&self) -> impl Iterator<Item = &'static str> + use<'_, 'a> {
        self.iter().filter(|f| f.searched).map(|f| f.column)
    }
}

/// How many of `fields` the text box searches (the length of [`searched_columns`]).
pub(crate) const fn searched_count(fields: &[FieldSpec<'_>]) -> usize {
    let (mut i, mut n) = (0, 0);
    while i < fields.len() {
        if fields[i].searched {
            n += 1;
        }
        i += 1;
    }
    n
}

/// The searched columns of a fixed list, as a constant; `N` is [`searched_count`].
pub(crate) const fn searched_columns<const N: usize>(
    fields: &[FieldSpec<'_>],
) -> [&'static str; N] {
    let mut out = [""; N];
    let (mut i, mut n) = (0, 0);
    while i < fields.len() {
        if fields[i].searched {
            out[n] = fields[i].column;
            n += 1;
        }
        i += 1;
    }
    out
}
