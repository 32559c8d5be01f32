//! The typed tree rendered as a sea-query condition: columns come from the field specs, every
//! value is bound.

use sea_query::{Alias, Condition, Expr, LikeExpr, Query, SelectStatement, SimpleExpr};

use super::{CmpOp, Cond, Shown, Val};
use crate::open::Engine;

/// The values table of custom fields (migration 0017).
const CUSTOM_VALUES: &str = "custom_field_values";

impl Cond {
    /// Renders the tree as a sea-query condition for `engine`; values are bound, columns come
    /// from specs.
    pub fn to_condition(&self, engine: Engine) -> Condition {
        self.to_condition_with(engine, &|_| None)
    }

    /// Like [`Cond::to_condition`], letting an engine render some leaves its own way (SQLite
    /// answers `Contains` from a trigram index).
    pub fn to_condition_with(
        &self,
        engine: Engine,
        leaf: &dyn Fn(&Cond) -> Option<SimpleExpr>,
    ) -> Condition {
        match self {
            Cond::All(items) => items.iter().fold(Condition::all(), |c, i| {
                c.add(i.to_condition_with(engine, leaf))
            }),
            // sea-query renders an empty condition as nothing at all; an empty OR is false.
            Cond::Any(items) if items.is_empty() => Condition::all().add(Expr::cust("1 = 0")),
            Cond::Any(items) => items.iter().fold(Condition::any(), |c, i| {
                c.add(i.to_condition_with(engine, leaf))
            }),
            other => Condition::all().add(leaf(other).unwrap_or_else(|| other.to_expr(engine))),
        }
    }

    fn to_expr(&self, engine: Engine) -> SimpleExpr {
        match self {
            Cond::All(_) | Cond::Any(_) => SimpleExpr::from(self.to_condition(engine)),
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
            Cond::Shown {
                column,
                shown,
                needle,
            } => {
                let pattern = LikeExpr::new(format!("%{}%", escape_like(needle))).escape('\\');
                Expr::expr(shown_text(engine, column, *shown)).like(pattern)
            }
            Cond::Null { column, negated } => {
                let col = Expr::col(Alias::new(*column));
                if *negated {
                    col.is_not_null()
                } else {
                    col.is_null()
                }
            }
            // A semi-join on the field's values (index on field and value). A condition that a
            // user without a value meets selects the users whose value does not fail it, so
            // that "no value" needs no row.
            Cond::Custom { field, cond } => {
                let id = Expr::col(Alias::new("id"));
                let values = cond.to_condition(engine);
                if cond.holds_for_null() {
                    id.not_in_subquery(custom_values(*field, values.not()))
                } else {
                    id.in_subquery(custom_values(*field, values))
                }
            }
        }
    }
}

/// The ids of the users whose value of custom field `field` meets `cond`.
fn custom_values(field: i64, cond: Condition) -> SelectStatement {
    Query::select()
        .column(Alias::new("target_user_id"))
        .from(Alias::new(CUSTOM_VALUES))
        .and_where(Expr::col(Alias::new("field_id")).eq(field))
        .cond_where(cond)
        .to_owned()
}

/// A user's value of custom field `field` in `column`, as a scalar subquery of the outer
/// `target_users` row: a sort key (NULL when the user has none).
pub(crate) fn custom_value_of(field: i64, column: &'static str) -> SimpleExpr {
    let select = Query::select()
        .column(Alias::new(column))
        .from(Alias::new(CUSTOM_VALUES))
        .and_where(Expr::col(Alias::new("field_id")).eq(field))
        .and_where(
            Expr::col((Alias::new(CUSTOM_VALUES), Alias::new("target_user_id")))
                .equals((Alias::new("target_users"), Alias::new("id"))),
        )
        .to_owned();
    SimpleExpr::SubQuery(None, Box::new(select.into_sub_query_statement()))
}

/// `column` written out as [`Shown`] says, as SQL of `engine`. `column` comes from the
/// allow-list (never from input), and the expression binds nothing, so both engines' builders
/// number the needle's placeholder themselves.
fn shown_text(engine: Engine, column: &str, shown: Shown) -> SimpleExpr {
    let col = format!("\"{column}\"");
    Expr::cust(match (shown, engine) {
        (Shown::Number, _) => format!("CAST({col} AS TEXT)"),
        // YYYYMM: the year, a dash, the two month digits.
        (Shown::Month, _) => {
            format!("(CAST({col} / 100 AS TEXT) || '-' || SUBSTR(CAST({col} AS TEXT), 5, 2))")
        }
        (Shown::Time, Engine::Sqlite) => {
            format!("strftime('%Y-%m-%dT%H:%M:%S', {col} / 1000, 'unixepoch')")
        }
        (Shown::Time, Engine::Postgres) => format!(
            "to_char(to_timestamp({col} / 1000) AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS')"
        ),
    })
}

fn sea_value(v: &Val) -> sea_query::Value {
    match v {
        Val::Text(s) => s.clone().into(),
        Val::Int(i) => (*i).into(),
        Val::Bool(b) => (*b).into(),
        Val::Num(n) => n.0.into(),
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
