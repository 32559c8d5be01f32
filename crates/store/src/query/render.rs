//! The typed tree rendered as a sea-query condition: columns come from the field specs, every
//! value is bound.

use sea_query::{Alias, Condition, Expr, LikeExpr, SimpleExpr};

use super::{CmpOp, Cond, Val};

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
}

fn sea_value(v: &Val) -> sea_query::Value {
    match v {
        Val::Text(s) => s.clone().into(),
        Val::Int(i) => (*i).into(),
        Val::Bool(b) => (*b).into(),
    }
}

fn escape_like(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for ch in s.chars() {
        if matches!(ch, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(ch);
    }
    out
}
