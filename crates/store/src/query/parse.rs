//! The wire filter and sort read into the typed tree: one reader per [`FieldKind`], sharing one
//! reader of `Include` lists, and the limits on the tree's size.

use rollcall_types::{Filter, FilterGroup, FilterItem};
use serde_json::Value;

use super::value::{
    bool_text, bool_value, int_value, parse_month, scalar_text, status_text, time_range,
};
use super::{
    CmpOp, Cond, FilterError, Order, ParsedFilter, Val, MAX_DEPTH, MAX_INCLUDE, MAX_NODES,
    MAX_VALUE_LEN,
};
use crate::fields::{FieldKind, FieldSpec, Fields};

/// Parses a wire filter against an endpoint's fields; `searchInputTextValue` searches the
/// fields marked [`FieldSpec::searched`]; `now` is used by [`FieldKind::Expired`].
pub fn parse_filter(
    filter: Option<&Filter>,
    fields: &Fields<'_>,
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
        let columns: Vec<Cond> = fields
            .searched_columns()
            .map(|column| Cond::Contains {
                column,
                needle: text.clone(),
                negated: false,
            })
            .collect();
        if !text.is_empty() && !columns.is_empty() {
            all.push(Cond::Any(columns));
        }
    }
    Ok(ParsedFilter {
        cond: simplify(Cond::All(all)),
        month: parser.month,
    })
}

/// Parses `orderBy`/`ascending` into a total order ending with the catalogue's unique column;
/// no `orderBy` sorts on the catalogue's default field.
pub fn parse_order(
    order_by: Option<&str>,
    ascending: bool,
    fields: &Fields<'_>,
) -> Result<Vec<Order>, FilterError> {
    let unique_column = fields.unique_column();
    let name = order_by
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .unwrap_or(fields.default_order());
    let field = fields
        .iter()
        .find(|f| f.sortable && f.is_named(name))
        .ok_or_else(|| {
            FilterError(format!(
                "orderBy '{name}' is not a sortable field; use one of: {}",
                names(fields, |f| f.sortable)
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

/// The names of the fields `keep` selects, for an error that lists what may be used.
fn names(fields: &Fields<'_>, keep: fn(&FieldSpec) -> bool) -> String {
    let names: Vec<&str> = fields.iter().filter(|f| keep(f)).map(|f| f.name).collect();
    names.join(", ")
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
    fields: &'a Fields<'a>,
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

impl Op {
    fn parse(text: &str, field: &FieldSpec) -> Result<Op, FilterError> {
        Ok(match text.to_ascii_lowercase().as_str() {
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
                    "unknown operator '{text}' on field '{}'; use one of: Contains, Include, =, !=, >, >=, <, <=, Equal, Equals",
                    field.name
                )))
            }
        })
    }

    /// The comparison a single-value operator makes: `Contains` on a non-text field is `=`.
    /// Callers have handled `Include` before asking.
    fn single(self) -> CmpOp {
        match self {
            Op::Cmp(op) => op,
            Op::Contains | Op::Include => CmpOp::Eq,
        }
    }
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
        let fields = self.fields;
        let field = fields
            .iter()
            .find(|f| f.filterable && f.is_named(name))
            .ok_or_else(|| {
                FilterError(format!(
                    "unknown filter field '{name}'; use one of: {}",
                    names(fields, |f| f.filterable)
                ))
            })?;
        let op = Op::parse(item.operator.as_deref().map(str::trim).unwrap_or(""), field)?;
        let value = match &item.value {
            None | Some(Value::Null) => {
                return Err(FilterError(format!(
                    "filter item '{}' has no value",
                    field.name
                )))
            }
            Some(v) => v,
        };
        let it = Item { field, op, value };
        match field.kind {
            FieldKind::Text | FieldKind::Exact => it.text(),
            FieldKind::Int => it.int(),
            FieldKind::Bool => it.boolean(),
            FieldKind::Status => it.status(),
            FieldKind::Time => it.time(),
            FieldKind::Tags => it.tags(),
            FieldKind::Priority => it.priority(),
            FieldKind::Month => it.month(),
            FieldKind::MonthSelector => {
                self.month = Some(it.month_selector()?);
                Ok(Cond::All(vec![]))
            }
            FieldKind::Expired => it.expired(self.now),
        }
    }
}

/// One filter item whose field and operator are known: read by its field's kind.
struct Item<'a> {
    field: &'a FieldSpec,
    op: Op,
    value: &'a Value,
}

impl Item<'_> {
    /// The value is not what the field takes; `what` says what it takes.
    fn bad(&self, what: &str) -> FilterError {
        FilterError(format!(
            "field '{}' expects {what}, got {}",
            self.field.name, self.value
        ))
    }

    /// The operator does not apply to the field; `rule` says which do.
    fn refuse(&self, rule: &str) -> FilterError {
        FilterError(format!("field '{}' {rule}", self.field.name))
    }

    /// The value as text (numbers and booleans as JSON writes them).
    fn scalar(&self, what: &str) -> Result<String, FilterError> {
        scalar_text(self.value).ok_or_else(|| self.bad(what))
    }

    /// A comma-separated list, each part read by `read`; `what` names what the parts must be.
    fn list<T>(
        &self,
        text: &str,
        what: &str,
        read: impl Fn(&str) -> Option<T>,
    ) -> Result<Vec<T>, FilterError> {
        list(text)?
            .iter()
            .map(|part| read(part).ok_or_else(|| self.bad(what)))
            .collect()
    }

    fn text(&self) -> Result<Cond, FilterError> {
        let col = self.field.column;
        let text = self.scalar("a text value")?;
        let text = if self.field.kind == FieldKind::Text {
            text.to_lowercase()
        } else {
            text
        };
        if self.op != Op::Include {
            check_len(&text, self.field.name)?;
        }
        Ok(match self.op {
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

    fn int(&self) -> Result<Cond, FilterError> {
        let col = self.field.column;
        if self.op == Op::Include {
            let what = "a comma-separated list of whole numbers";
            let text = self.scalar(what)?;
            let values = self.list(&text, what, |p| p.parse().ok().map(Val::Int))?;
            return Ok(Cond::In {
                column: col,
                values,
            });
        }
        let n = int_value(self.value).ok_or_else(|| self.bad("a whole number"))?;
        Ok(cmp(col, self.op.single(), Val::Int(n)))
    }

    fn boolean(&self) -> Result<Cond, FilterError> {
        let col = self.field.column;
        let what = "true or false";
        if self.op == Op::Include {
            let text = self.scalar(what)?;
            let values = self.list(&text, what, |p| bool_text(p).map(Val::Bool))?;
            return Ok(Cond::In {
                column: col,
                values,
            });
        }
        let b = bool_value(self.value).ok_or_else(|| self.bad(what))?;
        match self.op {
            Op::Contains | Op::Cmp(CmpOp::Eq) => Ok(cmp(col, CmpOp::Eq, Val::Bool(b))),
            Op::Cmp(CmpOp::Ne) => Ok(cmp(col, CmpOp::Ne, Val::Bool(b))),
            _ => Err(self.refuse("is true/false; use =, != or Include")),
        }
    }

    fn status(&self) -> Result<Cond, FilterError> {
        let col = self.field.column;
        let what = "1 (active) or 0 (inactive)";
        let text = self.scalar(what)?;
        let values = self.list(&text, what, |p| status_text(p).map(Val::Bool))?;
        match self.op {
            Op::Include | Op::Contains | Op::Cmp(CmpOp::Eq) => Ok(Cond::In {
                column: col,
                values,
            }),
            Op::Cmp(CmpOp::Ne) => Ok(Cond::All(
                values.into_iter().map(|v| cmp(col, CmpOp::Ne, v)).collect(),
            )),
            _ => Err(self.refuse("accepts Include, = or !=")),
        }
    }

    fn time(&self) -> Result<Cond, FilterError> {
        let col = self.field.column;
        let what = "an ISO 8601 date or date-time";
        let text = self.scalar(what)?;
        let (start, end) = time_range(&text).ok_or_else(|| self.bad(what))?;
        let (start, end) = (Val::Int(start), Val::Int(end));
        Ok(match self.op {
            Op::Cmp(CmpOp::Eq) | Op::Contains => {
                Cond::All(vec![cmp(col, CmpOp::Ge, start), cmp(col, CmpOp::Lt, end)])
            }
            Op::Cmp(CmpOp::Ne) => Cond::Any(vec![
                Cond::Null {
                    column: col,
                    negated: false,
                },
                cmp(col, CmpOp::Lt, start),
                cmp(col, CmpOp::Ge, end),
            ]),
            Op::Cmp(CmpOp::Gt) => cmp(col, CmpOp::Ge, end),
            Op::Cmp(CmpOp::Ge) => cmp(col, CmpOp::Ge, start),
            Op::Cmp(CmpOp::Lt) => cmp(col, CmpOp::Lt, start),
            Op::Cmp(CmpOp::Le) => cmp(col, CmpOp::Lt, end),
            Op::Include => return Err(self.refuse("is a date; use =, !=, >, >=, <, <=")),
        })
    }

    fn tags(&self) -> Result<Cond, FilterError> {
        let col = self.field.column;
        let text = self.scalar("a tag")?.to_lowercase();
        check_len(&text, self.field.name)?;
        let tag = |t: &str, negated: bool| Cond::Contains {
            column: col,
            needle: format!("|{t}|"),
            negated,
        };
        Ok(match self.op {
            Op::Contains => Cond::Contains {
                column: col,
                needle: text,
                negated: false,
            },
            Op::Include => Cond::Any(list(&text)?.iter().map(|t| tag(t, false)).collect()),
            Op::Cmp(CmpOp::Eq) => tag(&text, false),
            Op::Cmp(CmpOp::Ne) => tag(&text, true),
            _ => return Err(self.refuse("is a tag list; use Contains, Include, = or !=")),
        })
    }

    fn priority(&self) -> Result<Cond, FilterError> {
        let col = self.field.column;
        let what = "a priority (VeryLow, Low, Medium, High, VeryHigh)";
        let text = self.scalar(what)?;
        let values = self.list(&text, what, |p| {
            crate::priority::parse_priority(p).map(Val::Int)
        })?;
        if self.op == Op::Include {
            return Ok(Cond::In {
                column: col,
                values,
            });
        }
        let [v] = <[Val; 1]>::try_from(values).map_err(|_| {
            self.refuse("takes one priority with this operator; use Include for a list")
        })?;
        Ok(cmp(col, self.op.single(), v))
    }

    fn month(&self) -> Result<Cond, FilterError> {
        let col = self.field.column;
        let text = self.scalar("a month as YYYY-MM")?;
        if self.op == Op::Include {
            let values = self.list(&text, "months as YYYY-MM", |p| parse_month(p).map(Val::Int))?;
            return Ok(Cond::In {
                column: col,
                values,
            });
        }
        let month = parse_month(&text).ok_or_else(|| self.bad("a month as YYYY-MM"))?;
        Ok(cmp(col, self.op.single(), Val::Int(month)))
    }

    /// The month a count reports (YYYYMM); it selects no rows.
    fn month_selector(&self) -> Result<i64, FilterError> {
        let what = "a month as YYYY-MM";
        let month = parse_month(&self.scalar(what)?).ok_or_else(|| self.bad(what))?;
        if self.op != Op::Cmp(CmpOp::Eq) {
            return Err(self.refuse("accepts only ="));
        }
        Ok(month)
    }

    fn expired(&self, now: i64) -> Result<Cond, FilterError> {
        let col = self.field.column;
        let b = bool_value(self.value).ok_or_else(|| self.bad("true or false"))?;
        let b = match self.op {
            Op::Contains | Op::Cmp(CmpOp::Eq) => b,
            Op::Cmp(CmpOp::Ne) => !b,
            _ => return Err(self.refuse("is true/false; use = or !=")),
        };
        let now = Val::Int(now);
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

/// The parts of an `Include` list, trimmed, with the list's limits checked.
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

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use serde_json::json;

    const FIELDS: Fields<'static> = Fields::new(
        &[
            FieldSpec::new("FirstName", "first_name_lower", FieldKind::Text).searched(),
            FieldSpec::new("Status", "is_active", FieldKind::Status),
            FieldSpec::new("CreateTime", "create_time", FieldKind::Time),
        ],
        "CreateTime",
        "id",
    );

    fn filter(v: serde_json::Value) -> Filter {
        serde_json::from_value(rollcall_types::casing::canonicalize_keys(v)).expect("filter json")
    }

    #[test]
    fn unknown_field_and_operator_are_named() {
        let f = filter(
            json!({"FilterGroups": [{"FilterItems": [{"FieldName": "Shoe", "Operator": "=", "Value": "x"}]}]}),
        );
        let e = parse_filter(Some(&f), &FIELDS, 0).unwrap_err();
        assert!(e.0.contains("'Shoe'") && e.0.contains("FirstName"), "{e}");
        let f = filter(
            json!({"FilterGroups": [{"FilterItems": [{"FieldName": "firstname", "Operator": "like", "Value": "x"}]}]}),
        );
        let e = parse_filter(Some(&f), &FIELDS, 0).unwrap_err();
        assert!(e.0.contains("'like'"), "{e}");
    }

    #[test]
    fn too_deep_is_refused() {
        let mut g = json!({"FilterItems": []});
        for _ in 0..MAX_DEPTH + 1 {
            g = json!({"FilterGroups": [g]});
        }
        let f = filter(json!({"FilterGroups": [g]}));
        assert!(parse_filter(Some(&f), &FIELDS, 0)
            .unwrap_err()
            .0
            .contains("deeper"));
    }

    #[test]
    fn date_equality_is_the_whole_day() {
        let f = filter(
            json!({"FilterGroups": [{"FilterItems": [{"FieldName": "CreateTime", "Operator": "=", "Value": "2026-01-02"}]}]}),
        );
        let p = parse_filter(Some(&f), &FIELDS, 0).unwrap();
        let day = 1_767_312_000_000_i64; // 2026-01-02T00:00:00Z
        let at = |op, ms| Cond::Cmp {
            column: "create_time",
            op,
            value: Val::Int(ms),
        };
        assert_eq!(
            p.cond,
            Cond::All(vec![at(CmpOp::Ge, day), at(CmpOp::Lt, day + 86_400_000)])
        );
    }

    #[test]
    fn status_include_and_search_text() {
        let f = filter(
            json!({"SearchInputTextValue": " ANN ", "FilterGroups": [{"Condition": "AND", "FilterItems": [{"FieldName": "status", "Operator": "Include", "Value": "1"}]}]}),
        );
        let p = parse_filter(Some(&f), &FIELDS, 0).unwrap();
        assert_eq!(
            p.cond,
            Cond::All(vec![
                Cond::In {
                    column: "is_active",
                    values: vec![Val::Bool(true)],
                },
                Cond::Contains {
                    column: "first_name_lower",
                    needle: "ann".into(),
                    negated: false,
                },
            ])
        );
    }

    #[test]
    fn include_lists_are_read_part_by_part() {
        let item = |v: serde_json::Value| {
            filter(
                json!({"FilterGroups": [{"FilterItems": [{"FieldName": "Status", "Operator": "Include", "Value": v}]}]}),
            )
        };
        let p = parse_filter(Some(&item(json!(" Active , 0,"))), &FIELDS, 0).unwrap();
        assert_eq!(
            p.cond,
            Cond::In {
                column: "is_active",
                values: vec![Val::Bool(true), Val::Bool(false)],
            }
        );
        let e = parse_filter(Some(&item(json!("1,maybe"))), &FIELDS, 0).unwrap_err();
        assert_eq!(
            e.0,
            "field 'Status' expects 1 (active) or 0 (inactive), got \"1,maybe\""
        );
        let e = parse_filter(Some(&item(json!(" , "))), &FIELDS, 0).unwrap_err();
        assert_eq!(e.0, "an Include list is empty; send comma-separated values");
    }
}
