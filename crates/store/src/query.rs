//! Keepnet's filter language, parsed into a typed tree and rendered to SQL once.
//!
//! The wire filter ([`rollcall_types::Filter`]) names fields and operators as free text. Parsing
//! checks every name against the endpoint's [`FieldSpec`] list, every value against the field's
//! [`FieldKind`], and the tree's size, so that nothing unknown reaches SQL: columns come from the
//! allow-list, values are bound. [`Cond::matches`] evaluates the same tree in plain Rust, which the
//! tests use as the reference the SQL engines must agree with.

use chrono::{Datelike, TimeZone, Utc};
use rollcall_types::{Filter, FilterGroup, FilterItem};
use sea_query::{Alias, Condition, Expr, LikeExpr, SimpleExpr};
use serde_json::Value;

/// Deepest nesting of filter groups accepted.
pub const MAX_DEPTH: usize = 8;
/// Most filter items (and groups) accepted in one filter.
pub const MAX_NODES: usize = 256;
/// Most values in one `Include` list.
pub const MAX_INCLUDE: usize = 1000;
/// Longest text value accepted.
pub const MAX_VALUE_LEN: usize = 1000;

/// How a field's values are read and compared.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldKind {
    /// Text, compared case-insensitively on a lowercase column.
    Text,
    /// Text compared exactly (resource ids).
    Exact,
    /// Whole number.
    Int,
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
}

/// One field an endpoint lets clients filter or sort on.
#[derive(Debug, Clone, Copy)]
pub struct FieldSpec {
    /// Canonical wire name (PascalCase, as Keepnet's UI sends it).
    pub name: &'static str,
    /// Other accepted names.
    pub aliases: &'static [&'static str],
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
}

impl FieldSpec {
    fn is_named(&self, name: &str) -> bool {
        self.name.eq_ignore_ascii_case(name)
            || self.aliases.iter().any(|a| a.eq_ignore_ascii_case(name))
    }
}

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
    /// `column IS [NOT] NULL`.
    Null {
        /// Allow-listed column.
        column: &'static str,
        /// `IS NOT NULL`.
        negated: bool,
    },
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

/// What parsing a wire filter yields.
#[derive(Debug, Clone, PartialEq)]
pub struct ParsedFilter {
    /// The condition.
    pub cond: Cond,
    /// The month selected by a [`FieldKind::MonthSelector`] item, if any (YYYYMM).
    pub month: Option<i64>,
}

/// Parses a wire filter against an endpoint's fields. `text_columns` are the columns
/// `searchInputTextValue` searches; `now` is used by [`FieldKind::Expired`].
pub fn parse_filter(
    filter: Option<&Filter>,
    fields: &[FieldSpec],
    text_columns: &[&'static str],
    now_millis: i64,
) -> Result<ParsedFilter, FilterError> {
    let mut parser = Parser {
        fields,
        now: now_millis,
        nodes: 0,
        month: None,
    };
    let Some(filter) = filter else {
        return Ok(ParsedFilter {
            cond: Cond::All(vec![]),
            month: None,
        });
    };
    let groups = filter.filter_groups.as_deref().unwrap_or(&[]);
    let mut top = Vec::with_capacity(groups.len());
    for g in groups {
        top.push(parser.group(g, 1)?);
    }
    let combined = combine(parse_condition(filter.condition.as_deref())?, top);
    let mut all = vec![combined];
    if let Some(text) = filter.search_input_text_value.as_deref() {
        let text = text.trim().to_lowercase();
        if text.chars().count() > MAX_VALUE_LEN {
            return Err(FilterError(format!(
                "searchInputTextValue is longer than {MAX_VALUE_LEN} characters"
            )));
        }
        if !text.is_empty() && !text_columns.is_empty() {
            all.push(Cond::Any(
                text_columns
                    .iter()
                    .map(|c| Cond::Contains {
                        column: c,
                        needle: text.clone(),
                        negated: false,
                    })
                    .collect(),
            ));
        }
    }
    Ok(ParsedFilter {
        cond: simplify(Cond::All(all)),
        month: parser.month,
    })
}

/// Parses `orderBy`/`ascending` into a total order ending with `unique_column`.
pub fn parse_order(
    order_by: Option<&str>,
    ascending: bool,
    fields: &[FieldSpec],
    default_field: &str,
    unique_column: &'static str,
) -> Result<Vec<Order>, FilterError> {
    let name = order_by
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .unwrap_or(default_field);
    let field = fields
        .iter()
        .find(|f| f.sortable && f.is_named(name))
        .ok_or_else(|| {
            let allowed: Vec<&str> = fields
                .iter()
                .filter(|f| f.sortable)
                .map(|f| f.name)
                .collect();
            FilterError(format!(
                "orderBy '{name}' is not a sortable field; use one of: {}",
                allowed.join(", ")
            ))
        })?;
    let mut order = vec![Order {
        column: field.column,
        ascending,
        nullable: field.nullable,
    }];
    if field.column != unique_column {
        order.push(Order {
            column: unique_column,
            ascending,
            nullable: false,
        });
    }
    Ok(order)
}

fn parse_condition(c: Option<&str>) -> Result<bool, FilterError> {
    match c.map(str::trim) {
        None | Some("") => Ok(true),
        Some(s) if s.eq_ignore_ascii_case("and") => Ok(true),
        Some(s) if s.eq_ignore_ascii_case("or") => Ok(false),
        Some(s) => Err(FilterError(format!(
            "condition '{s}' is not valid; use AND or OR"
        ))),
    }
}

fn combine(and: bool, items: Vec<Cond>) -> Cond {
    if and {
        Cond::All(items)
    } else if items.is_empty() {
        // An empty group matches everything, whatever its condition.
        Cond::All(items)
    } else {
        Cond::Any(items)
    }
}

/// Flattens single-child groups and drops empty ANDs inside ANDs.
fn simplify(c: Cond) -> Cond {
    match c {
        Cond::All(items) => {
            let mut out = Vec::new();
            for i in items.into_iter().map(simplify) {
                match i {
                    Cond::All(inner) => out.extend(inner),
                    other => out.push(other),
                }
            }
            if out.len() == 1 {
                out.pop().unwrap_or(Cond::All(vec![]))
            } else {
                Cond::All(out)
            }
        }
        Cond::Any(items) => {
            let mut out: Vec<Cond> = items.into_iter().map(simplify).collect();
            if out
                .iter()
                .any(|c| matches!(c, Cond::All(v) if v.is_empty()))
            {
                return Cond::All(vec![]);
            }
            if out.len() == 1 {
                out.pop().unwrap_or(Cond::All(vec![]))
            } else {
                Cond::Any(out)
            }
        }
        other => other,
    }
}

struct Parser<'a> {
    fields: &'a [FieldSpec],
    now: i64,
    nodes: usize,
    month: Option<i64>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Op {
    Contains,
    Include,
    Cmp(CmpOp),
}

impl Parser<'_> {
    fn count(&mut self) -> Result<(), FilterError> {
        self.nodes += 1;
        if self.nodes > MAX_NODES {
            return Err(FilterError(format!(
                "the filter has more than {MAX_NODES} items and groups; simplify it"
            )));
        }
        Ok(())
    }

    fn group(&mut self, g: &FilterGroup, depth: usize) -> Result<Cond, FilterError> {
        if depth > MAX_DEPTH {
            return Err(FilterError(format!(
                "filter groups are nested deeper than {MAX_DEPTH} levels"
            )));
        }
        self.count()?;
        let and = parse_condition(g.condition.as_deref())?;
        let mut items = Vec::new();
        for item in g.filter_items.as_deref().unwrap_or(&[]) {
            self.count()?;
            items.push(self.item(item)?);
        }
        for sub in g.filter_groups.as_deref().unwrap_or(&[]) {
            items.push(self.group(sub, depth + 1)?);
        }
        Ok(combine(and, items))
    }

    fn item(&mut self, item: &FilterItem) -> Result<Cond, FilterError> {
        let name = item.field_name.as_deref().map(str::trim).unwrap_or("");
        if name.is_empty() {
            return Err(FilterError("a filter item has no fieldName".into()));
        }
        let field = *self
            .fields
            .iter()
            .find(|f| f.filterable && f.is_named(name))
            .ok_or_else(|| {
                let allowed: Vec<&str> = self
                    .fields
                    .iter()
                    .filter(|f| f.filterable)
                    .map(|f| f.name)
                    .collect();
                FilterError(format!(
                    "unknown filter field '{name}'; use one of: {}",
                    allowed.join(", ")
                ))
            })?;
        let op_text = item.operator.as_deref().map(str::trim).unwrap_or("");
        let op = match op_text.to_ascii_lowercase().as_str() {
            "contains" => Op::Contains,
            "include" => Op::Include,
            "=" | "==" | "equal" | "equals" => Op::Cmp(CmpOp::Eq),
            "!=" | "<>" => Op::Cmp(CmpOp::Ne),
            ">" => Op::Cmp(CmpOp::Gt),
            ">=" => Op::Cmp(CmpOp::Ge),
            "<" => Op::Cmp(CmpOp::Lt),
            "<=" => Op::Cmp(CmpOp::Le),
            _ => {
                return Err(FilterError(format!(
                    "unknown operator '{op_text}' on field '{}'; use one of: Contains, Include, =, !=, >, >=, <, <=, Equal, Equals",
                    field.name
                )))
            }
        };
        let value = match &item.value {
            None | Some(Value::Null) => {
                return Err(FilterError(format!(
                    "filter item '{}' has no value",
                    field.name
                )))
            }
            Some(v) => v,
        };
        let bad = |what: &str| {
            FilterError(format!(
                "field '{}' expects {what}, got {value}",
                field.name
            ))
        };
        let col = field.column;
        match field.kind {
            FieldKind::Text | FieldKind::Exact => {
                let text = scalar_text(value).ok_or_else(|| bad("a text value"))?;
                let text = if field.kind == FieldKind::Text {
                    text.to_lowercase()
                } else {
                    text
                };
                if op != Op::Include {
                    check_len(&text, field.name)?;
                }
                Ok(match op {
                    Op::Contains => Cond::Contains {
                        column: col,
                        needle: text,
                        negated: false,
                    },
                    Op::Include => Cond::In {
                        column: col,
                        values: list(&text)?.into_iter().map(Val::Text).collect(),
                    },
                    Op::Cmp(op) => cmp(col, op, Val::Text(text)),
                })
            }
            FieldKind::Int => {
                if op == Op::Include {
                    let text = scalar_text(value)
                        .ok_or_else(|| bad("a comma-separated list of whole numbers"))?;
                    let mut values = Vec::new();
                    for part in list(&text)? {
                        values
                            .push(Val::Int(part.parse().map_err(|_| {
                                bad("a comma-separated list of whole numbers")
                            })?));
                    }
                    return Ok(Cond::In {
                        column: col,
                        values,
                    });
                }
                let n = int_value(value).ok_or_else(|| bad("a whole number"))?;
                Ok(match op {
                    Op::Contains => cmp(col, CmpOp::Eq, Val::Int(n)),
                    Op::Cmp(op) => cmp(col, op, Val::Int(n)),
                    Op::Include => return Err(include_handled_above()),
                })
            }
            FieldKind::Bool => {
                if op == Op::Include {
                    let text = scalar_text(value).ok_or_else(|| bad("true or false"))?;
                    let mut values = Vec::new();
                    for part in list(&text)? {
                        values.push(Val::Bool(
                            bool_text(&part).ok_or_else(|| bad("true or false"))?,
                        ));
                    }
                    return Ok(Cond::In {
                        column: col,
                        values,
                    });
                }
                let b = bool_value(value).ok_or_else(|| bad("true or false"))?;
                match op {
                    Op::Contains | Op::Cmp(CmpOp::Eq) => Ok(cmp(col, CmpOp::Eq, Val::Bool(b))),
                    Op::Cmp(CmpOp::Ne) => Ok(cmp(col, CmpOp::Ne, Val::Bool(b))),
                    _ => Err(FilterError(format!(
                        "field '{}' is true/false; use =, != or Include",
                        field.name
                    ))),
                }
            }
            FieldKind::Status => {
                let text = scalar_text(value).ok_or_else(|| bad("1 (active) or 0 (inactive)"))?;
                let mut values = Vec::new();
                for part in list(&text)? {
                    values.push(Val::Bool(
                        status_text(&part).ok_or_else(|| bad("1 (active) or 0 (inactive)"))?,
                    ));
                }
                match op {
                    Op::Include | Op::Contains | Op::Cmp(CmpOp::Eq) => Ok(Cond::In {
                        column: col,
                        values,
                    }),
                    Op::Cmp(CmpOp::Ne) => Ok(Cond::All(
                        values.into_iter().map(|v| cmp(col, CmpOp::Ne, v)).collect(),
                    )),
                    _ => Err(FilterError(format!(
                        "field '{}' accepts Include, = or !=",
                        field.name
                    ))),
                }
            }
            FieldKind::Time => {
                let text =
                    scalar_text(value).ok_or_else(|| bad("an ISO 8601 date or date-time"))?;
                let (start, end) =
                    time_range(&text).ok_or_else(|| bad("an ISO 8601 date or date-time"))?;
                Ok(match op {
                    Op::Cmp(CmpOp::Eq) | Op::Contains => Cond::All(vec![
                        cmp(col, CmpOp::Ge, Val::Int(start)),
                        cmp(col, CmpOp::Lt, Val::Int(end)),
                    ]),
                    Op::Cmp(CmpOp::Ne) => Cond::Any(vec![
                        Cond::Null {
                            column: col,
                            negated: false,
                        },
                        cmp(col, CmpOp::Lt, Val::Int(start)),
                        cmp(col, CmpOp::Ge, Val::Int(end)),
                    ]),
                    Op::Cmp(CmpOp::Gt) => cmp(col, CmpOp::Ge, Val::Int(end)),
                    Op::Cmp(CmpOp::Ge) => cmp(col, CmpOp::Ge, Val::Int(start)),
                    Op::Cmp(CmpOp::Lt) => cmp(col, CmpOp::Lt, Val::Int(start)),
                    Op::Cmp(CmpOp::Le) => cmp(col, CmpOp::Lt, Val::Int(end)),
                    Op::Include => {
                        return Err(FilterError(format!(
                            "field '{}' is a date; use =, !=, >, >=, <, <=",
                            field.name
                        )))
                    }
                })
            }
            FieldKind::Tags => {
                let text = scalar_text(value)
                    .ok_or_else(|| bad("a tag"))?
                    .to_lowercase();
                check_len(&text, field.name)?;
                let tag = |t: String| Cond::Contains {
                    column: col,
                    needle: format!("|{t}|"),
                    negated: false,
                };
                Ok(match op {
                    Op::Contains => Cond::Contains {
                        column: col,
                        needle: text,
                        negated: false,
                    },
                    Op::Include => Cond::Any(list(&text)?.into_iter().map(tag).collect()),
                    Op::Cmp(CmpOp::Eq) => tag(text),
                    Op::Cmp(CmpOp::Ne) => Cond::Contains {
                        column: col,
                        needle: format!("|{text}|"),
                        negated: true,
                    },
                    _ => {
                        return Err(FilterError(format!(
                            "field '{}' is a tag list; use Contains, Include, = or !=",
                            field.name
                        )))
                    }
                })
            }
            FieldKind::Priority => {
                let text = scalar_text(value)
                    .ok_or_else(|| bad("a priority (VeryLow, Low, Medium, High, VeryHigh)"))?;
                let mut values = Vec::new();
                for part in list(&text)? {
                    values.push(Val::Int(crate::model::parse_priority(&part).ok_or_else(
                        || bad("a priority (VeryLow, Low, Medium, High, VeryHigh)"),
                    )?));
                }
                match op {
                    Op::Include => Ok(Cond::In {
                        column: col,
                        values,
                    }),
                    Op::Contains | Op::Cmp(_) => {
                        let [v] = <[Val; 1]>::try_from(values)
                            .map_err(|_| FilterError(format!("field '{}' takes one priority with this operator; use Include for a list", field.name)))?;
                        let op = if let Op::Cmp(op) = op { op } else { CmpOp::Eq };
                        Ok(cmp(col, op, v))
                    }
                }
            }
            FieldKind::Month | FieldKind::MonthSelector => {
                let text = scalar_text(value).ok_or_else(|| bad("a month as YYYY-MM"))?;
                if op == Op::Include && field.kind == FieldKind::Month {
                    let mut values = Vec::new();
                    for part in list(&text)? {
                        values.push(Val::Int(
                            parse_month(&part).ok_or_else(|| bad("months as YYYY-MM"))?,
                        ));
                    }
                    return Ok(Cond::In {
                        column: col,
                        values,
                    });
                }
                let month = parse_month(&text).ok_or_else(|| bad("a month as YYYY-MM"))?;
                if field.kind == FieldKind::MonthSelector {
                    if op != Op::Cmp(CmpOp::Eq) {
                        return Err(FilterError(format!(
                            "field '{}' accepts only =",
                            field.name
                        )));
                    }
                    self.month = Some(month);
                    return Ok(Cond::All(vec![]));
                }
                Ok(match op {
                    Op::Cmp(op) => cmp(col, op, Val::Int(month)),
                    Op::Contains => cmp(col, CmpOp::Eq, Val::Int(month)),
                    Op::Include => return Err(include_handled_above()),
                })
            }
            FieldKind::Expired => {
                let b = bool_value(value).ok_or_else(|| bad("true or false"))?;
                let b = match op {
                    Op::Contains | Op::Cmp(CmpOp::Eq) => b,
                    Op::Cmp(CmpOp::Ne) => !b,
                    _ => {
                        return Err(FilterError(format!(
                            "field '{}' is true/false; use = or !=",
                            field.name
                        )))
                    }
                };
                let now = Val::Int(self.now);
                Ok(if b {
                    Cond::All(vec![
                        Cond::Null {
                            column: col,
                            negated: true,
                        },
                        cmp(col, CmpOp::Lt, now),
                    ])
                } else {
                    Cond::Any(vec![
                        Cond::Null {
                            column: col,
                            negated: false,
                        },
                        cmp(col, CmpOp::Ge, now),
                    ])
                })
            }
        }
    }
}

/// Include lists are parsed before the single-value operators; reaching this is a bug, and it
/// is refused rather than turned into a match-all.
fn include_handled_above() -> FilterError {
    FilterError("internal error: Include list was not parsed; please report this filter".into())
}

/// `!=` also matches rows where the column is NULL: "not equal to x" includes "no value".
fn cmp(column: &'static str, op: CmpOp, value: Val) -> Cond {
    let c = Cond::Cmp { column, op, value };
    if op == CmpOp::Ne {
        Cond::Any(vec![
            Cond::Null {
                column,
                negated: false,
            },
            c,
        ])
    } else {
        c
    }
}

fn check_len(text: &str, field: &str) -> Result<(), FilterError> {
    if text.chars().count() > MAX_VALUE_LEN {
        return Err(FilterError(format!(
            "the value for '{field}' is longer than {MAX_VALUE_LEN} characters"
        )));
    }
    Ok(())
}

fn list(text: &str) -> Result<Vec<String>, FilterError> {
    let parts: Vec<String> = text
        .split(',')
        .map(|s| s.trim().to_owned())
        .filter(|s| !s.is_empty())
        .collect();
    if let Some(long) = parts.iter().find(|p| p.chars().count() > MAX_VALUE_LEN) {
        return Err(FilterError(format!(
            "a value in an Include list is longer than {MAX_VALUE_LEN} characters: '{}...'",
            long.chars().take(20).collect::<String>()
        )));
    }
    if parts.is_empty() {
        return Err(FilterError(
            "an Include list is empty; send comma-separated values".into(),
        ));
    }
    if parts.len() > MAX_INCLUDE {
        return Err(FilterError(format!(
            "an Include list has more than {MAX_INCLUDE} values"
        )));
    }
    Ok(parts)
}

fn scalar_text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

fn int_value(v: &Value) -> Option<i64> {
    match v {
        Value::Number(n) => n.as_i64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

fn bool_text(s: &str) -> Option<bool> {
    match s.trim().to_ascii_lowercase().as_str() {
        "true" | "1" | "yes" => Some(true),
        "false" | "0" | "no" => Some(false),
        _ => None,
    }
}

fn bool_value(v: &Value) -> Option<bool> {
    match v {
        Value::Bool(b) => Some(*b),
        Value::Number(n) => match n.as_i64() {
            Some(1) => Some(true),
            Some(0) => Some(false),
            _ => None,
        },
        Value::String(s) => bool_text(s),
        _ => None,
    }
}

fn status_text(s: &str) -> Option<bool> {
    match s.trim().to_ascii_lowercase().as_str() {
        "1" | "active" | "true" => Some(true),
        "0" | "inactive" | "false" => Some(false),
        _ => None,
    }
}

/// `YYYY-MM` (or `YYYY/MM`) to YYYYMM.
pub fn parse_month(s: &str) -> Option<i64> {
    let s = s.trim();
    let (y, m) = s.split_once(['-', '/'])?;
    let (y, m): (i64, i64) = (y.parse().ok()?, m.parse().ok()?);
    ((1970..=9999).contains(&y) && (1..=12).contains(&m)).then_some(y * 100 + m)
}

/// YYYYMM of a time in milliseconds (UTC).
pub fn month_of(millis: i64) -> i64 {
    let t = Utc
        .timestamp_millis_opt(millis)
        .single()
        .unwrap_or_default();
    i64::from(t.year()) * 100 + i64::from(t.month())
}

/// `[start, end)` in milliseconds: a whole day for a date, one millisecond for a date-time
/// (the formats of [`rollcall_types::time::parse_time`]).
fn time_range(s: &str) -> Option<(i64, i64)> {
    use rollcall_types::time::{parse_time, Precision};
    let (t, precision) = parse_time(s)?;
    let start = t.timestamp_millis();
    Some(match precision {
        Precision::Day => (start, start + 86_400_000),
        Precision::Moment => (start, start + 1),
    })
}

impl Cond {
    /// Renders the tree as a sea-query condition; values are bound, columns come from specs.
    pub fn to_condition(&self) -> Condition {
        self.to_condition_with(&|_| None)
    }

    /// Like [`Cond::to_condition`], letting an engine render some leaves its own way (SQLite
    /// answers `Contains` from a trigram index).
    pub fn to_condition_with(&self, leaf: &dyn Fn(&Cond) -> Option<SimpleExpr>) -> Condition {
        match self {
            Cond::All(items) => items
                .iter()
                .fold(Condition::all(), |c, i| c.add(i.to_condition_with(leaf))),
            Cond::Any(items) => items
                .iter()
                .fold(Condition::any(), |c, i| c.add(i.to_condition_with(leaf))),
            other => Condition::all().add(leaf(other).unwrap_or_else(|| other.to_expr())),
        }
    }

    fn to_expr(&self) -> SimpleExpr {
        match self {
            Cond::All(_) | Cond::Any(_) => SimpleExpr::from(self.to_condition()),
            Cond::Cmp { column, op, value } => {
                let col = Expr::col(Alias::new(*column));
                let v = sea_value(value);
                match op {
                    CmpOp::Eq => col.eq(v),
                    CmpOp::Ne => col.ne(v),
                    CmpOp::Gt => col.gt(v),
                    CmpOp::Ge => col.gte(v),
                    CmpOp::Lt => col.lt(v),
                    CmpOp::Le => col.lte(v),
                }
            }
            Cond::In { column, values } => {
                Expr::col(Alias::new(*column)).is_in(values.iter().map(sea_value))
            }
            Cond::Contains {
                column,
                needle,
                negated,
            } => {
                let pattern = LikeExpr::new(format!("%{}%", escape_like(needle))).escape('\\');
                let col = Expr::col(Alias::new(*column));
                if *negated {
                    Expr::col(Alias::new(*column))
                        .is_null()
                        .or(col.not_like(pattern))
                } else {
                    col.like(pattern)
                }
            }
            Cond::Null { column, negated } => {
                let col = Expr::col(Alias::new(*column));
                if *negated {
                    col.is_not_null()
                } else {
                    col.is_null()
                }
            }
        }
    }

    /// Evaluates the tree in plain Rust over a row given as a column lookup; the reference the
    /// SQL engines are tested against.
    pub fn matches(&self, row: &dyn Fn(&str) -> Option<Val>) -> bool {
        match self {
            Cond::All(items) => items.iter().all(|c| c.matches(row)),
            Cond::Any(items) => items.iter().any(|c| c.matches(row)),
            Cond::Cmp { column, op, value } => match row(column) {
                None => false,
                Some(v) => match op {
                    CmpOp::Eq => v == *value,
                    CmpOp::Ne => v != *value,
                    CmpOp::Gt => v > *value,
                    CmpOp::Ge => v >= *value,
                    CmpOp::Lt => v < *value,
                    CmpOp::Le => v <= *value,
                },
            },
            Cond::In { column, values } => row(column).is_some_and(|v| values.contains(&v)),
            Cond::Contains {
                column,
                needle,
                negated,
            } => match row(column) {
                Some(Val::Text(t)) => t.contains(needle.as_str()) != *negated,
                None => *negated,
                Some(_) => false,
            },
            Cond::Null { column, negated } => row(column).is_some() == *negated,
        }
    }
}

fn sea_value(v: &Val) -> sea_query::Value {
    match v {
        Val::Text(s) => s.clone().into(),
        Val::Int(i) => (*i).into(),
        Val::Bool(b) => (*b).into(),
    }
}

pub(crate) fn escape_like(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for ch in s.chars() {
        if matches!(ch, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(ch);
    }
    out
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use serde_json::json;

    const FIELDS: &[FieldSpec] = &[
        FieldSpec {
            name: "FirstName",
            aliases: &[],
            column: "first_name_lower",
            kind: FieldKind::Text,
            sortable: true,
            filterable: true,
            nullable: false,
        },
        FieldSpec {
            name: "Status",
            aliases: &[],
            column: "is_active",
            kind: FieldKind::Status,
            sortable: true,
            filterable: true,
            nullable: false,
        },
        FieldSpec {
            name: "CreateTime",
            aliases: &[],
            column: "create_time",
            kind: FieldKind::Time,
            sortable: true,
            filterable: true,
            nullable: false,
        },
    ];

    fn filter(v: serde_json::Value) -> Filter {
        serde_json::from_value(rollcall_types::casing::canonicalize_keys(v)).expect("filter json")
    }

    #[test]
    fn unknown_field_and_operator_are_named() {
        let f = filter(
            json!({"FilterGroups": [{"FilterItems": [{"FieldName": "Shoe", "Operator": "=", "Value": "x"}]}]}),
        );
        let e = parse_filter(Some(&f), FIELDS, &[], 0).unwrap_err();
        assert!(e.0.contains("'Shoe'") && e.0.contains("FirstName"), "{e}");
        let f = filter(
            json!({"FilterGroups": [{"FilterItems": [{"FieldName": "firstname", "Operator": "like", "Value": "x"}]}]}),
        );
        let e = parse_filter(Some(&f), FIELDS, &[], 0).unwrap_err();
        assert!(e.0.contains("'like'"), "{e}");
    }

    #[test]
    fn too_deep_is_refused() {
        let mut g = json!({"FilterItems": []});
        for _ in 0..MAX_DEPTH + 1 {
            g = json!({"FilterGroups": [g]});
        }
        let f = filter(json!({"FilterGroups": [g]}));
        assert!(parse_filter(Some(&f), FIELDS, &[], 0)
            .unwrap_err()
            .0
            .contains("deeper"));
    }

    #[test]
    fn date_equality_is_the_whole_day() {
        let f = filter(
            json!({"FilterGroups": [{"FilterItems": [{"FieldName": "CreateTime", "Operator": "=", "Value": "2026-01-02"}]}]}),
        );
        let p = parse_filter(Some(&f), FIELDS, &[], 0).unwrap();
        let day = 1_767_312_000_000_i64; // 2026-01-02T00:00:00Z
        let at = |ms: i64| move |c: &str| (c == "create_time").then_some(Val::Int(ms));
        assert!(p.cond.matches(&at(day)));
        assert!(p.cond.matches(&at(day + 86_399_999)));
        assert!(!p.cond.matches(&at(day + 86_400_000)));
        assert!(!p.cond.matches(&at(day - 1)));
    }

    #[test]
    fn status_include_and_search_text() {
        let f = filter(
            json!({"SearchInputTextValue": "ANN", "FilterGroups": [{"Condition": "AND", "FilterItems": [{"FieldName": "status", "Operator": "Include", "Value": "1"}]}]}),
        );
        let p = parse_filter(Some(&f), FIELDS, &["first_name_lower"], 0).unwrap();
        let row = |name: &'static str, active: bool| {
            move |c: &str| match c {
                "first_name_lower" => Some(Val::Text(name.into())),
                "is_active" => Some(Val::Bool(active)),
                _ => None,
            }
        };
        assert!(p.cond.matches(&row("joanna", true)));
        assert!(!p.cond.matches(&row("joanna", false)));
        assert!(!p.cond.matches(&row("bob", true)));
    }

    #[test]
    fn month_parsing() {
        assert_eq!(parse_month("2026-03"), Some(202_603));
        assert_eq!(parse_month("2026-13"), None);
        assert_eq!(month_of(1_767_312_000_000), 202_601);
    }
}
