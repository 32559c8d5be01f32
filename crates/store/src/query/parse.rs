//! The wire filter and sort read into the typed tree: one reader per [`FieldKind`], sharing one
//! reader of `Include` lists, and the limits on the tree's size.

use rollcall_types::time::DisplayFormat;
use rollcall_types::{Filter, FilterGroup, FilterItem};
use serde_json::Value;

use super::value::{
    bool_text, bool_value, client_status_text, int_value, names_containing, parse_month,
    scalar_text, status_text, time_range,
};
use super::{
    CmpOp, Cond, FilterError, Num, Order, ParsedFilter, Shown, Val, MAX_DEPTH, MAX_INCLUDE,
    MAX_NODES, MAX_VALUE_LEN,
};
use crate::fields::{FieldKind, FieldSpec, Fields};

/// What a filter is read against besides its fields: the time, and the display format of the
/// company the request is scoped to.
#[derive(Debug, Clone, Copy, Default)]
pub struct FilterContext<'a> {
    /// Now, for [`FieldKind::Expired`].
    pub now_millis: i64,
    /// The company's `dateFormat`/`timeFormat`, on its clock (`timeZoneId`): date values may be
    /// written in it as well as in ISO 8601 (CONTRACT.md, rulings of 2026-12-05; docs/api.md,
    /// "Dates in the company's format").
    pub display: Option<&'a DisplayFormat>,
}

/// Parses a wire filter against an endpoint's fields; `searchInputTextValue` searches the
/// fields marked [`FieldSpec::searched`]; `now` is used by [`FieldKind::Expired`]. Dates are
/// read as ISO 8601 only; [`parse_filter_in`] also reads a company's display format.
pub fn parse_filter(
    filter: Option<&Filter>,
    fields: &Fields<'_>,
    now_millis: i64,
) -> Result<ParsedFilter, FilterError> {
    let ctx = FilterContext {
        now_millis,
        display: None,
    };
    parse_filter_in(filter, fields, &ctx)
}

/// [`parse_filter`] with a [`FilterContext`].
pub fn parse_filter_in(
    filter: Option<&Filter>,
    fields: &Fields<'_>,
    ctx: &FilterContext<'_>,
) -> Result<ParsedFilter, FilterError> {
    let mut parser = Parser {
        fields,
        now: ctx.now_millis,
        display: ctx.display,
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
    if let Some(text) = filter
        .search_input_text_value
        .as_deref()
        .filter(|t| !is_search_group_copy(groups, t))
    {
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

/// Whether `text` is the value of a `Contains` item somewhere in `groups`: Keepnet's UI sends
/// its search box's text both as `searchInputTextValue` and as one `Contains` per visible
/// column in its `OR` group, which already says where to look (docs/api.md, "Search boxes").
/// ANDing the text search over the text columns as well would drop the rows that show the
/// text only in a number, a date or a status.
fn is_search_group_copy(groups: &[FilterGroup], text: &str) -> bool {
    let text = text.trim();
    !text.is_empty()
        && groups.iter().any(|g| {
            g.filter_items.iter().flatten().any(|i| {
                i.operator
                    .as_deref()
                    .is_some_and(|o| o.trim().eq_ignore_ascii_case("contains"))
                    && i.value
                        .as_ref()
                        .and_then(scalar_text)
                        .is_some_and(|v| v.trim().eq_ignore_ascii_case(text))
            }) || is_search_group_copy(g.filter_groups.as_deref().unwrap_or(&[]), text)
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
    let field = usable_field(
        fields,
        name,
        |f| f.sortable,
        || format!("orderBy '{name}' is not a sortable field"),
    )?;
    let mut order = vec![Order {
        column: field.column,
        ascending,
        nullable: field.nullable,
        custom: field.custom,
    }];
    if field.column != unique_column || field.custom.is_some() {
        order.push(Order {
            column: unique_column,
            ascending,
            nullable: false,
            custom: None,
        });
    }
    Ok(order)
}

/// The field named `name` among those `usable` selects (sortable, filterable); when there is
/// none, an error that says what was wrong (`refusal`) and lists the names that may be used.
fn usable_field<'f, 'a>(
    fields: &'f Fields<'a>,
    name: &str,
    usable: fn(&FieldSpec<'_>) -> bool,
    refusal: impl FnOnce() -> String,
) -> Result<&'f FieldSpec<'a>, FilterError> {
    fields
        .iter()
        .find(|f| usable(f) && f.is_named(name))
        .ok_or_else(|| {
            let names: Vec<&str> = fields
                .iter()
                .filter(|f| usable(f))
                .map(|f| f.name)
                .collect();
            FilterError(format!("{}; use one of: {}", refusal(), names.join(", ")))
        })
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

struct Parser<'a, 'f> {
    fields: &'a Fields<'f>,
    now: i64,
    display: Option<&'a DisplayFormat>,
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
    fn parse(text: &str, field: &FieldSpec<'_>) -> Result<Op, FilterError> {
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

impl Parser<'_, '_> {
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
        let field = usable_field(
            fields,
            name,
            |f| f.filterable,
            || format!("unknown filter field '{name}'"),
        )?;
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
        // Clearing the UI's search box sends its items again with `Value: ""`, and a cleared
        // multi-select an empty list: no condition, on any field (docs/api.md, "Empty values").
        let empty = scalar_text(value).is_some_and(|t| match op {
            Op::Contains => t.trim().is_empty(),
            Op::Include => t.split(',').all(|p| p.trim().is_empty()),
            Op::Cmp(_) => false,
        });
        if empty {
            return Ok(Cond::All(vec![]));
        }
        if let Some(id) = field.custom {
            return self.custom_item(field, id, op, value);
        }
        let it = Item {
            field,
            op,
            value,
            display: self.display,
        };
        if op == Op::Contains {
            if let Some(cond) = it.shown_contains(self.now)? {
                return Ok(cond);
            }
        }
        match field.kind {
            FieldKind::Text | FieldKind::Exact => it.text(),
            FieldKind::Language => it.language(),
            FieldKind::Int => it.int(),
            FieldKind::Number => it.number(),
            FieldKind::Bool => it.boolean(),
            FieldKind::Status => it.status(),
            FieldKind::ClientStatus => it.client_status(),
            FieldKind::Time => it.time(),
            FieldKind::Tags => it.tags(),
            FieldKind::Priority => it.priority(),
            FieldKind::Month => it.month(),
            FieldKind::MonthSelector => {
                self.month = Some(it.month_selector()?);
                Ok(Cond::All(vec![]))
            }
            FieldKind::Expired => it.expired(self.now),
            FieldKind::NotKept => Err(it.refuse(
                "is shown by Keepnet but rollcall keeps no data for it; only Contains is accepted, and it matches no row",
            )),
        }
    }
}

impl Parser<'_, '_> {
    /// An item on a custom field: `Contains` searches the value as it is shown (any type, as
    /// the search box sends it); other operators compare by the field's type. The condition is
    /// on the field's values, wrapped in [`Cond::Custom`].
    fn custom_item(
        &self,
        field: &FieldSpec<'_>,
        id: i64,
        op: Op,
        value: &Value,
    ) -> Result<Cond, FilterError> {
        let shown;
        let field = if op == Op::Contains {
            shown = FieldSpec {
                column: crate::fields::CUSTOM_TEXT,
                kind: FieldKind::Text,
                ..*field
            };
            &shown
        } else {
            field
        };
        let it = Item {
            field,
            op,
            value,
            display: self.display,
        };
        let cond = match field.kind {
            FieldKind::Text => it.text()?,
            FieldKind::Number => it.number()?,
            // Booleans are stored as 1/0 in the number column.
            FieldKind::Bool => as_numbers(it.boolean()?),
            FieldKind::Time => it.time()?,
            other => {
                return Err(FilterError(format!(
                    "custom field '{}' has no filter for {other:?} values",
                    field.name
                )))
            }
        };
        Ok(Cond::Custom {
            field: id,
            cond: Box::new(cond),
        })
    }
}

/// `c` with its boolean values as the numbers 1 and 0.
fn as_numbers(c: Cond) -> Cond {
    let num = |v: Val| match v {
        Val::Bool(b) => Val::Num(Num(if b { 1.0 } else { 0.0 })),
        other => other,
    };
    match c {
        Cond::All(items) => Cond::All(items.into_iter().map(as_numbers).collect()),
        Cond::Any(items) => Cond::Any(items.into_iter().map(as_numbers).collect()),
        Cond::Cmp { column, op, value } => Cond::Cmp {
            column,
            op,
            value: num(value),
        },
        Cond::In { column, values } => Cond::In {
            column,
            values: values.into_iter().map(num).collect(),
        },
        other => other,
    }
}

/// No row: an empty OR.
fn nothing() -> Cond {
    Cond::Any(vec![])
}

/// Whether `needle` (lowercase) can be part of the text a value of `kind` is shown as: digits
/// and a minus sign for a number, digits and `-` for a month, and the characters of ISO 8601
/// without a zone (`2026-12-05t13:45:00`) for a time.
fn could_be_shown(kind: FieldKind, needle: &str) -> bool {
    let allowed = |c: char| match kind {
        FieldKind::Int | FieldKind::Month => c.is_ascii_digit() || c == '-',
        FieldKind::Number => c.is_ascii_digit() || matches!(c, '-' | '.'),
        FieldKind::Time => c.is_ascii_digit() || matches!(c, '-' | ':' | 't'),
        _ => true,
    };
    needle.chars().all(allowed)
}

/// One filter item whose field and operator are known: read by its field's kind.
struct Item<'a> {
    field: &'a FieldSpec<'a>,
    op: Op,
    value: &'a Value,
    display: Option<&'a DisplayFormat>,
}

impl Item<'_> {
    /// `Contains` on a field that is not text matches the text the field is shown as, any case
    /// (CONTRACT.md, rulings of 2026-12-05: the UI's search box sends `Contains` for every
    /// visible column). A value that reads as the field's own kind of value (a status code,
    /// `true`, a whole month, a whole date) keeps the typed meaning it had, which the same text
    /// shown would select too; `None` leaves the item to its kind's reader.
    /// Enum and boolean names are matched here, in Rust, into an `IN` list: no scan.
    fn shown_contains(&self, now: i64) -> Result<Option<Cond>, FilterError> {
        let col = self.field.column;
        let text = self.scalar("a value")?;
        check_len(&text, self.field.name)?;
        let needle = text.trim().to_lowercase();
        let names = |pairs: &[(&str, Val)]| -> Cond {
            let values = names_containing(pairs, &needle);
            if values.is_empty() {
                nothing()
            } else {
                Cond::In {
                    column: col,
                    values,
                }
            }
        };
        Ok(Some(match self.field.kind {
            FieldKind::Text | FieldKind::Exact | FieldKind::Tags | FieldKind::Language => {
                return Ok(None)
            }
            FieldKind::NotKept | FieldKind::MonthSelector => nothing(),
            // A whole month or date (in the company's format too) keeps its typed meaning.
            FieldKind::Month if parse_month(&needle).is_some() => return Ok(None),
            FieldKind::Time if self.time_window(&text).is_some() => return Ok(None),
            // Text no number, month or date could show (a name, an email: what a search box
            // mostly holds) matches no row without rendering every row's value as text.
            FieldKind::Int | FieldKind::Month | FieldKind::Time | FieldKind::Number
                if !could_be_shown(self.field.kind, &needle) =>
            {
                nothing()
            }
            FieldKind::Int | FieldKind::Number => Cond::Shown {
                column: col,
                shown: Shown::Number,
                needle,
            },
            FieldKind::Month => Cond::Shown {
                column: col,
                shown: Shown::Month,
                needle,
            },
            FieldKind::Time => Cond::Shown {
                column: col,
                shown: Shown::Time,
                needle: needle.to_uppercase(),
            },
            FieldKind::Bool | FieldKind::Expired if bool_value(self.value).is_some() => {
                return Ok(None)
            }
            FieldKind::Bool => names(&[("true", Val::Bool(true)), ("false", Val::Bool(false))]),
            FieldKind::Expired => {
                match names_containing(
                    &[("true", Val::Bool(true)), ("false", Val::Bool(false))],
                    &needle,
                )
                .as_slice()
                {
                    [] => nothing(),
                    [Val::Bool(b)] => expired_cond(col, *b, now),
                    _ => Cond::All(vec![]),
                }
            }
            FieldKind::Status if is_code(self.value, &needle, &["0", "1"]) => return Ok(None),
            FieldKind::ClientStatus if is_code(self.value, &needle, &["0", "1", "2"]) => {
                return Ok(None)
            }
            FieldKind::Status => {
                names(&[("Active", Val::Bool(true)), ("Inactive", Val::Bool(false))])
            }
            FieldKind::ClientStatus => names(&[("Active", Val::Int(1)), ("Inactive", Val::Int(0))]),
            // Shown as `VeryLow` and as `Very Low`: both spellings match.
            FieldKind::Priority => {
                let pairs: Vec<(String, Val)> = crate::priority::PRIORITIES
                    .iter()
                    .zip(1..)
                    .flat_map(|(name, n)| {
                        let spaced = name.replace("Very", "Very ");
                        [(name.to_string(), Val::Int(n)), (spaced, Val::Int(n))]
                    })
                    .collect();
                let pairs: Vec<(&str, Val)> =
                    pairs.iter().map(|(n, v)| (n.as_str(), v.clone())).collect();
                names(&pairs)
            }
        }))
    }

    /// The `[start, end)` a date value names: ISO 8601, or the company's display format.
    fn time_window(&self, text: &str) -> Option<(i64, i64)> {
        time_range(text, self.display)
    }

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

    /// A language field: each value that names a language (resource id, ISO code or tag) is
    /// compared as the language's resource id, the one spelling stored (docs/api.md, "Lookups
    /// and time zones"), so `Include "tr,de-DE"` selects the Turkish and German users. `Contains`
    /// with a value that names no language matches the languages whose name contains it (rows
    /// show the name), or, when none does, the stored text (values kept from before languages
    /// were checked, which rows show as stored).
    fn language(&self) -> Result<Cond, FilterError> {
        let col = self.field.column;
        let text = self.scalar("a language")?;
        let canonical = |v: &str| {
            Val::Text(crate::catalog::language_id(v).map_or_else(|| v.to_owned(), str::to_owned))
        };
        if self.op == Op::Include {
            return Ok(Cond::In {
                column: col,
                values: list(&text)?.iter().map(|v| canonical(v)).collect(),
            });
        }
        check_len(&text, self.field.name)?;
        if self.op == Op::Contains && crate::catalog::language_id(&text).is_none() {
            let needle = text.trim().to_lowercase();
            let values: Vec<Val> = crate::catalog::ENTRIES
                .iter()
                .filter(|(k, _, name, _)| {
                    *k == crate::catalog::LookupKind::Language
                        && name.to_lowercase().contains(&needle)
                })
                .map(|(_, id, _, _)| Val::Text((*id).to_owned()))
                .collect();
            if values.is_empty() {
                return self.text();
            }
            return Ok(Cond::In {
                column: col,
                values,
            });
        }
        Ok(cmp(col, self.op.single(), canonical(&text)))
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

    /// A number with or without a fraction (custom `Number` fields).
    fn number(&self) -> Result<Cond, FilterError> {
        let col = self.field.column;
        let read = |p: &str| p.trim().parse::<f64>().ok().filter(|n| n.is_finite());
        if self.op == Op::Include {
            let what = "a comma-separated list of numbers";
            let text = self.scalar(what)?;
            let values = self.list(&text, what, |p| read(p).map(|n| Val::Num(Num(n))))?;
            return Ok(Cond::In {
                column: col,
                values,
            });
        }
        let n = match self.value {
            Value::Number(n) => n.as_f64(),
            Value::String(s) => read(s),
            _ => None,
        }
        .ok_or_else(|| self.bad("a number"))?;
        Ok(cmp(col, self.op.single(), Val::Num(Num(n))))
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

    /// Target-user `Status`: `1`/`Active` or `0`/`Inactive`, over a boolean column.
    fn status(&self) -> Result<Cond, FilterError> {
        self.status_of(|p| status_text(p).map(Val::Bool))
    }

    /// A client's `StatusId`: `1` active, `0` or `2` inactive, or the names, over 1/0.
    fn client_status(&self) -> Result<Cond, FilterError> {
        self.status_of(|p| client_status_text(p).map(Val::Int))
    }

    /// A status list, each part read by `read`: `Include`, `=` and `Contains` keep the rows in
    /// it, `!=` the others.
    fn status_of(&self, read: impl Fn(&str) -> Option<Val>) -> Result<Cond, FilterError> {
        let col = self.field.column;
        let what = "1 (active) or 0 (inactive)";
        let text = self.scalar(what)?;
        let mut values = self.list(&text, what, read)?;
        values.sort();
        values.dedup();
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
        let what = match self.display {
            Some(d) => format!(
                "a date in ISO 8601 (2026-12-05 or 2026-12-05T13:45:00) or in this company's format ({})",
                d.shown()
            ),
            None => "a date in ISO 8601 (2026-12-05 or 2026-12-05T13:45:00)".to_owned(),
        };
        let text = self.scalar(&what)?;
        let (start, end) = self.time_window(&text).ok_or_else(|| self.bad(&what))?;
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
        Ok(expired_cond(col, b, now))
    }
}

/// Licence expired (`b`) or not, at `now`: a set end date in the past.
fn expired_cond(col: &'static str, b: bool, now: i64) -> Cond {
    let now = Val::Int(now);
    if b {
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
    }
}

/// A status sent as its codes (each comma-separated part one of `codes`, or a JSON number or
/// boolean), rather than as text to find in its name. Digits appear in no status name, so
/// reading them as codes (as rollcall always has) takes nothing from the search box.
fn is_code(value: &Value, needle: &str, codes: &[&str]) -> bool {
    matches!(value, Value::Number(_) | Value::Bool(_))
        || needle
            .split(',')
            .map(str::trim)
            .all(|p| p.is_empty() || codes.contains(&p))
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

    /// `create_time <op> millis`, what a time filter on FIELDS' CreateTime parses to.
    fn created(op: CmpOp, millis: i64) -> Cond {
        Cond::Cmp {
            column: "create_time",
            op,
            value: Val::Int(millis),
        }
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
        assert_eq!(
            p.cond,
            Cond::All(vec![
                created(CmpOp::Ge, day),
                created(CmpOp::Lt, day + 86_400_000)
            ])
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

    fn one(field: &str, op: &str, value: serde_json::Value) -> Filter {
        filter(
            json!({"FilterGroups": [{"FilterItems": [{"FieldName": field, "Operator": op, "Value": value}]}]}),
        )
    }

    fn cond_of(fields: &Fields<'_>, field: &str, op: &str, value: serde_json::Value) -> Cond {
        parse_filter(Some(&one(field, op, value)), fields, 0)
            .unwrap()
            .cond
    }

    /// The WHERE clause `cond` renders to on `engine`, with its bound values.
    fn sql(cond: &Cond, engine: crate::Engine) -> (String, sea_query::Values) {
        use sea_query::{Alias, PostgresQueryBuilder, Query, SqliteQueryBuilder};
        let q = Query::select()
            .column(Alias::new("id"))
            .from(Alias::new("t"))
            .cond_where(cond.to_condition(engine))
            .to_owned();
        match engine {
            crate::Engine::Sqlite => q.build(SqliteQueryBuilder),
            crate::Engine::Postgres => q.build(PostgresQueryBuilder),
        }
    }

    fn ints(values: &[i64]) -> Vec<Val> {
        values.iter().map(|v| Val::Int(*v)).collect()
    }

    /// `(field, operator, value)` on `fields` parses to the condition given.
    fn parses_to(fields: &Fields<'_>, cases: &[(&str, &str, serde_json::Value, Cond)]) {
        for (field, op, value, want) in cases {
            let got = cond_of(fields, field, op, value.clone());
            assert_eq!(&got, want, "{field} {op} {value}");
        }
    }

    #[test]
    fn contains_on_a_priority_is_an_in_list_of_the_names_that_match() {
        let in_list = |values: &[i64]| Cond::In {
            column: "priority",
            values: ints(values),
        };
        parses_to(
            &crate::fields::TARGET_USERS,
            &[
                ("Priority", "Contains", json!("very"), in_list(&[1, 5])),
                ("Priority", "Contains", json!("y l"), in_list(&[1])),
                ("Priority", "Contains", json!("LOW"), in_list(&[1, 2])),
                ("Priority", "Contains", json!("Very High"), in_list(&[5])),
                // Priorities are shown by name only: a number is text no name holds.
                ("Priority", "Contains", json!("4"), Cond::Any(vec![])),
                ("Priority", "Contains", json!("zz"), Cond::Any(vec![])),
            ],
        );
        let (text, values) = sql(&in_list(&[1, 5]), crate::Engine::Sqlite);
        assert!(text.ends_with(r#"WHERE "priority" IN (?, ?)"#), "{text}");
        assert_eq!(values.0.len(), 2);
        let (text, _) = sql(&Cond::Any(vec![]), crate::Engine::Postgres);
        assert!(text.ends_with("WHERE 1 = 0"), "{text}");
    }

    #[test]
    fn contains_on_statuses_and_booleans_matches_their_names() {
        let column = |column: &'static str, values: Vec<Val>| Cond::In { column, values };
        let (t, f) = (Val::Bool(true), Val::Bool(false));
        parses_to(
            &crate::fields::TARGET_USERS,
            &[
                (
                    "Status",
                    "Contains",
                    json!("active"),
                    column("is_active", vec![f.clone(), t.clone()]),
                ),
                (
                    "Status",
                    "Contains",
                    json!("inact"),
                    column("is_active", vec![f.clone()]),
                ),
                // A status code keeps its meaning; other digits are in no name.
                (
                    "Status",
                    "Contains",
                    json!("0"),
                    column("is_active", vec![f.clone()]),
                ),
                ("Status", "Contains", json!("2"), Cond::Any(vec![])),
                (
                    "IsDeleted",
                    "Contains",
                    json!("ru"),
                    column("is_deleted", vec![t]),
                ),
                (
                    "IsDeleted",
                    "Contains",
                    json!(false),
                    Cond::Cmp {
                        column: "is_deleted",
                        op: CmpOp::Eq,
                        value: f,
                    },
                ),
            ],
        );
        let status = |values: &[i64]| column("status_id", ints(values));
        let clients = &crate::fields::API_CLIENTS;
        parses_to(
            clients,
            &[
                ("StatusId", "Contains", json!("active"), status(&[0, 1])),
                ("StatusName", "Contains", json!("Inac"), status(&[0])),
                ("StatusId", "Include", json!("0"), status(&[0])),
                ("StatusId", "Include", json!("2,0"), status(&[0])),
                ("StatusId", "Include", json!("1,2"), status(&[0, 1])),
            ],
        );
        let e =
            parse_filter(Some(&one("StatusId", "Include", json!("3"))), clients, 0).unwrap_err();
        assert!(e.0.contains("1 (active) or 0 (inactive)"), "{e}");
    }

    #[test]
    fn contains_on_numbers_months_and_dates_looks_in_their_text() {
        let companies = &crate::fields::COMPANIES;
        assert_eq!(
            cond_of(companies, "TargetUserCount", "Contains", json!("12")),
            Cond::Shown {
                column: "target_user_count",
                shown: Shown::Number,
                needle: "12".into()
            }
        );
        let created = cond_of(companies, "CreateTime", "Contains", json!("12-05t13"));
        assert_eq!(
            created,
            Cond::Shown {
                column: "create_time",
                shown: Shown::Time,
                needle: "12-05T13".into()
            }
        );
        let (lite, values) = sql(&created, crate::Engine::Sqlite);
        assert!(
            lite.contains(
                r#"(strftime('%Y-%m-%dT%H:%M:%S', "create_time" / 1000, 'unixepoch')) LIKE ?"#
            ),
            "{lite}"
        );
        assert_eq!(values.0, vec![sea_query::Value::from("%12-05T13%")]);
        let (pg, _) = sql(&created, crate::Engine::Postgres);
        assert!(
            pg.contains("to_char(to_timestamp(\"create_time\" / 1000) AT TIME ZONE 'UTC'"),
            "{pg}"
        );
        assert!(pg.contains("LIKE $1"), "{pg}");
        // Text no number or date shows is no row, without rendering every row's value.
        for (field, text) in [
            ("TargetUserCount", "sales"),
            ("TargetUserCount", "1.5"),
            ("CreateTime", "yilmaz"),
            ("CreateTime", "2026/12"),
        ] {
            assert_eq!(
                cond_of(companies, field, "Contains", json!(text)),
                Cond::Any(vec![]),
                "{field} Contains {text}"
            );
        }
        // A whole date keeps its day range.
        assert!(matches!(
            cond_of(companies, "CreateTime", "Contains", json!("2026-12-05")),
            Cond::All(_)
        ));
        let tu = &crate::fields::TARGET_USERS;
        assert_eq!(
            cond_of(tu, "MonthlyActiveUser", "Contains", json!("6-0")),
            Cond::Shown {
                column: "create_month",
                shown: Shown::Month,
                needle: "6-0".into()
            }
        );
    }

    #[test]
    fn fields_rollcall_does_not_keep_match_nothing() {
        let companies = &crate::fields::COMPANIES;
        for field in [
            "MonthlyEnrolled",
            "monthlyConsumption",
            "EnrolledVendorNames",
        ] {
            assert_eq!(
                cond_of(companies, field, "Contains", json!("a")),
                Cond::Any(vec![])
            );
            let e = parse_filter(Some(&one(field, "=", json!("1"))), companies, 0).unwrap_err();
            assert!(e.0.contains("keeps no data"), "{e}");
        }
        assert_eq!(
            cond_of(
                &crate::fields::TARGET_USERS,
                "ScimSettingName",
                "Contains",
                json!("x")
            ),
            Cond::Any(vec![])
        );
        let e = parse_filter(Some(&one("Shoe", "Contains", json!("x"))), companies, 0).unwrap_err();
        assert!(e.0.contains("unknown filter field 'Shoe'"), "{e}");
    }

    #[test]
    fn empty_search_values_and_include_lists_match_everything() {
        let tu = &crate::fields::TARGET_USERS;
        for (field, op, value) in [
            ("Priority", "Contains", json!("")),
            ("CreateTime", "Contains", json!("  ")),
            ("FirstName", "Contains", json!("")),
            ("Status", "Include", json!("")),
            ("ResourceId", "Include", json!(" , ")),
        ] {
            assert_eq!(
                cond_of(tu, field, op, value),
                Cond::All(vec![]),
                "{field} {op}"
            );
        }
        // The UI's search group after the box is cleared: the whole table.
        let cleared = filter(
            json!({"Condition": "AND", "SearchInputTextValue": "", "FilterGroups": [
            {"Condition": "AND", "FilterItems": [], "FilterGroups": []},
            {"Condition": "OR", "FilterItems": [
                {"FieldName": "FirstName", "Operator": "Contains", "Value": ""},
                {"FieldName": "Priority", "Operator": "Contains", "Value": ""},
                {"FieldName": "Status", "Operator": "Contains", "Value": ""}], "FilterGroups": []}]}),
        );
        assert_eq!(
            parse_filter(Some(&cleared), tu, 0).unwrap().cond,
            Cond::All(vec![])
        );
        // `=` with an empty value keeps its meaning: an empty field.
        assert_eq!(
            cond_of(tu, "Department", "=", json!("")),
            Cond::Cmp {
                column: "department_lower",
                op: CmpOp::Eq,
                value: Val::Text(String::new())
            }
        );
    }

    #[test]
    fn search_text_copied_into_contains_items_is_not_searched_again() {
        let ui = |text: &str, item: &str| {
            filter(json!({"SearchInputTextValue": text, "FilterGroups": [
                {"Condition": "OR", "FilterItems": [
                    {"FieldName": "FirstName", "Operator": "Contains", "Value": item},
                    {"FieldName": "Status", "Operator": "Contains", "Value": item}]}]}))
        };
        let both = Cond::Any(vec![
            Cond::Contains {
                column: "first_name_lower",
                needle: "inact".into(),
                negated: false,
            },
            Cond::In {
                column: "is_active",
                values: vec![Val::Bool(false)],
            },
        ]);
        let p = parse_filter(Some(&ui(" Inact", "inact")), &FIELDS, 0).unwrap();
        assert_eq!(p.cond, both);
        // Other text is still searched, ANDed.
        let p = parse_filter(Some(&ui("ann", "inact")), &FIELDS, 0).unwrap();
        assert!(
            matches!(p.cond, Cond::All(ref v) if v.len() == 2 && v[0] == both),
            "{p:?}"
        );
    }

    #[test]
    fn dates_in_the_company_display_format() {
        let display = DisplayFormat::new("dd/MM/yyyy", Some("HH:mm")).unwrap();
        let ctx = FilterContext {
            now_millis: 0,
            display: Some(&display),
        };
        let at = |op: &str, v: &str| {
            parse_filter_in(Some(&one("CreateTime", op, json!(v))), &FIELDS, &ctx).map(|p| p.cond)
        };
        let minute = 1_793_859_660_000_i64; // 2026-11-05T06:21:00Z
        assert_eq!(
            at(">=", "05/11/2026 06:21").unwrap(),
            created(CmpOp::Ge, minute)
        );
        assert_eq!(
            at("<=", "05/11/2026 06:21").unwrap(),
            created(CmpOp::Lt, minute + 60_000)
        );
        let day = minute - (6 * 60 + 21) * 60_000;
        assert_eq!(at("<", "05/11/2026").unwrap(), created(CmpOp::Lt, day));
        assert_eq!(at(">=", "2026-11-05").unwrap(), created(CmpOp::Ge, day));
        let e = at("=", "11/31/2026").unwrap_err();
        assert!(
            e.0.contains("ISO 8601") && e.0.contains("dd/MM/yyyy HH:mm"),
            "{e}"
        );
        // Without the company's format only ISO 8601 is read, and the error says so.
        let e = parse_filter(
            Some(&one("CreateTime", ">", json!("05/11/2026"))),
            &FIELDS,
            0,
        )
        .unwrap_err();
        assert!(e.0.contains("ISO 8601") && !e.0.contains("company"), "{e}");
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
                // Sorted and each once.
                values: vec![Val::Bool(false), Val::Bool(true)],
            }
        );
        let e = parse_filter(Some(&item(json!("1,maybe"))), &FIELDS, 0).unwrap_err();
        assert_eq!(
            e.0,
            "field 'Status' expects 1 (active) or 0 (inactive), got \"1,maybe\""
        );
        // An empty list is no condition (docs/api.md, "Empty values").
        let p = parse_filter(Some(&item(json!(" , "))), &FIELDS, 0).unwrap();
        assert_eq!(p.cond, Cond::All(vec![]));
    }
}
