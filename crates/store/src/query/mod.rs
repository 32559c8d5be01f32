//! Keepnet's filter language, parsed into a typed tree and rendered to SQL once.
//!
//! The wire filter ([`rollcall_types::Filter`]) names fields and operators as free text. Parsing
//! (`parse.rs`, with the value readers of `value.rs`) checks every name against the endpoint's
//! [`Fields`] catalogue, every value against the field's [`FieldKind`], and the tree's size, so
//! that nothing unknown reaches SQL: columns come from the allow-list, values are bound.
//! `render.rs` turns the tree into a sea-query condition ([`Cond::to_condition`]). The tests'
//! plain-Rust evaluator of the same tree is `rollcall_testkit::eval`: the property tests check
//! the parsed tree against an independent evaluator of the wire filter, and both engines'
//! answers against that evaluator.

mod parse;
mod render;
mod value;

#[cfg(doc)]
use crate::fields::{FieldKind, FieldSpec, Fields};

pub use parse::{parse_filter, parse_filter_in, parse_order, FilterContext};
pub(crate) use render::{custom_value_of, escape_like};
pub use value::{month_bounds, month_of, parse_month};

/// Deepest nesting of filter groups accepted.
pub const MAX_DEPTH: usize = 8;
/// Most filter items (and groups) accepted in one filter.
pub const MAX_NODES: usize = 256;
/// Most values in one `Include` list.
pub const MAX_INCLUDE: usize = 1000;
/// Longest text value accepted.
pub const MAX_VALUE_LEN: usize = 1000;

/// A problem with a filter or sort, reported as a 400.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct FilterError(pub String);

/// A bound value.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Val {
    /// Text (already lowercased for text fields).
    Text(String),
    /// Integer (also times and months).
    Int(i64),
    /// Boolean.
    Bool(bool),
    /// A number that may have a fraction (custom `Number` fields).
    Num(Num),
}

/// A finite double with a total order, so that [`Val`] stays `Eq` and `Ord` (filter values
/// are never NaN: the parser reads only finite numbers).
#[derive(Debug, Clone, Copy)]
pub struct Num(pub f64);

impl PartialEq for Num {
    fn eq(&self, other: &Self) -> bool {
        self.0.total_cmp(&other.0).is_eq()
    }
}

impl Eq for Num {}

impl PartialOrd for Num {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Num {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.0.total_cmp(&other.0)
    }
}

/// Comparison operators.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CmpOp {
    /// `=`
    Eq,
    /// `<>`
    Ne,
    /// `>`
    Gt,
    /// `>=`
    Ge,
    /// `<`
    Lt,
    /// `<=`
    Le,
}

/// The typed filter tree.
#[derive(Debug, Clone, PartialEq)]
pub enum Cond {
    /// Every child holds (true when empty).
    All(Vec<Cond>),
    /// Some child holds (false when empty).
    Any(Vec<Cond>),
    /// `column op value`; false when the column is NULL.
    Cmp {
        /// Allow-listed column.
        column: &'static str,
        /// Operator.
        op: CmpOp,
        /// Operand.
        value: Val,
    },
    /// `column IN (...)`.
    In {
        /// Allow-listed column.
        column: &'static str,
        /// Operands (non-empty).
        values: Vec<Val>,
    },
    /// Case-insensitive substring on a lowercase column.
    Contains {
        /// Allow-listed column.
        column: &'static str,
        /// Lowercase needle.
        needle: String,
        /// `NOT LIKE`.
        negated: bool,
    },
    /// The text a non-text column is shown as contains `needle` (`Contains` on a number, a
    /// month or a time: CONTRACT.md, rulings of 2026-12-05). Rendered in SQL per engine.
    Shown {
        /// Allow-listed column.
        column: &'static str,
        /// How the column's value is written out.
        shown: Shown,
        /// The needle, as the shown text spells it (times in uppercase: `T`).
        needle: String,
    },
    /// `column IS [NOT] NULL`.
    Null {
        /// Allow-listed column.
        column: &'static str,
        /// `IS NOT NULL`.
        negated: bool,
    },
    /// `cond` over the value of custom field `field` (its columns are those of
    /// `custom_field_values`); a user without a value has NULL in each, so `cond` holds for it
    /// only when it holds for NULL (`!=`, negated `Contains`, "is empty").
    Custom {
        /// The custom field's internal id.
        field: i64,
        /// The condition on the value's columns.
        cond: Box<Cond>,
    },
}

impl Cond {
    /// Whether the condition holds for a row whose every column is NULL (a user without a
    /// value of a custom field), by the same rules the SQL follows.
    pub fn holds_for_null(&self) -> bool {
        match self {
            Cond::All(items) => items.iter().all(Cond::holds_for_null),
            Cond::Any(items) => items.iter().any(Cond::holds_for_null),
            Cond::Cmp { .. } | Cond::In { .. } | Cond::Shown { .. } => false,
            Cond::Contains { negated, .. } => *negated,
            Cond::Null { negated, .. } => !negated,
            Cond::Custom { cond, .. } => cond.holds_for_null(),
        }
    }

    /// The column a leaf compares; `None` for a combination or a custom field's condition.
    pub(crate) fn leaf_column(&self) -> Option<&'static str> {
        match self {
            Cond::Cmp { column, .. }
            | Cond::In { column, .. }
            | Cond::Contains { column, .. }
            | Cond::Shown { column, .. }
            | Cond::Null { column, .. } => Some(column),
            Cond::All(_) | Cond::Any(_) | Cond::Custom { .. } => None,
        }
    }
}

/// How [`Cond::Shown`] writes a non-text column out as text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shown {
    /// A whole number in decimal (`-12`, `340`).
    Number,
    /// A YYYYMM number as `YYYY-MM`.
    Month,
    /// UTC milliseconds as ISO 8601 to the second, without a zone (`2026-12-05T13:45:00`).
    Time,
}

/// One sort key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Order {
    /// Allow-listed column.
    pub column: &'static str,
    /// Ascending or not.
    pub ascending: bool,
    /// The column may hold NULL ([`FieldSpec::nullable`]).
    pub nullable: bool,
    /// The custom field whose value `column` is ([`FieldSpec::custom`]): the sort reads the
    /// user's row of that field.
    pub custom: Option<i64>,
}

/// A parsed search: condition, total order and page window.
#[derive(Debug, Clone, PartialEq)]
pub struct SearchSpec {
    /// Rows to keep.
    pub cond: Cond,
    /// Sort keys; the last one is unique, so the order is total.
    pub order: Vec<Order>,
    /// Rows to skip.
    pub offset: i64,
    /// Rows to return.
    pub limit: i64,
}

impl SearchSpec {
    /// Every row the filter selects, in the same order: an export with `reportAllPages`.
    pub fn every_page(&mut self) {
        self.offset = 0;
        self.limit = i64::MAX;
    }
}

/// What parsing a wire filter yields.
#[derive(Debug, Clone, PartialEq)]
pub struct ParsedFilter {
    /// The condition.
    pub cond: Cond,
    /// The month selected by a [`FieldKind::MonthSelector`] item, if any (YYYYMM).
    pub month: Option<i64>,
}
