//! The store's typed filter tree ([`rollcall_store::Cond`]) evaluated in plain Rust over one
//! row. It lives here, outside the store, because only tests need it: the target-user property
//! tests check that the tree the parser builds selects the rows an independent evaluator of the
//! wire filter selects, so a parser fault is told apart from an engine's.

use rollcall_store::query::{CmpOp, Shown};
use rollcall_store::{Cond, Val};

/// Whether the row, given as a column lookup (`None` for NULL), satisfies `cond`, with SQL's
/// meaning: a comparison with NULL is false, `NOT LIKE` also holds for NULL. A custom field's
/// value columns are looked up as `custom.<field id>.<column>`.
pub fn matches(cond: &Cond, row: &dyn Fn(&str) -> Option<Val>) -> bool {
    match cond {
        Cond::All(items) => items.iter().all(|c| matches(c, row)),
        Cond::Any(items) => items.iter().any(|c| matches(c, row)),
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
        Cond::Shown {
            column,
            shown,
            needle,
        } => match row(column) {
            Some(Val::Int(n)) => shown_text(*shown, n).is_some_and(|t| t.contains(needle.as_str())),
            _ => false,
        },
        Cond::Null { column, negated } => row(column).is_some() == *negated,
        // The row names a custom field's columns `custom.<field id>.<column>`.
        Cond::Custom { field, cond } => {
            matches(cond, &|column| row(&format!("custom.{field}.{column}")))
        }
    }
}

/// The text [`Cond::Shown`] looks in, written out in Rust (the store writes it in SQL).
fn shown_text(shown: Shown, n: i64) -> Option<String> {
    Some(match shown {
        Shown::Number => n.to_string(),
        Shown::Month => format!("{}-{:02}", n / 100, n % 100),
        Shown::Time => chrono::DateTime::from_timestamp_millis(n)?
            .format("%Y-%m-%dT%H:%M:%S")
            .to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cmp(op: CmpOp, value: i64) -> Cond {
        Cond::Cmp {
            column: "n",
            op,
            value: Val::Int(value),
        }
    }

    #[test]
    fn null_fails_comparisons_and_passes_not_like() {
        let null = |_: &str| None;
        let five = |_: &str| Some(Val::Int(5));
        assert!(!matches(&cmp(CmpOp::Ne, 1), &null));
        assert!(matches(&cmp(CmpOp::Ne, 1), &five));
        assert!(matches(&cmp(CmpOp::Le, 5), &five) && !matches(&cmp(CmpOp::Lt, 5), &five));
        let not_like = Cond::Contains {
            column: "n",
            needle: "x".into(),
            negated: true,
        };
        assert!(matches(&not_like, &null));
        assert!(!matches(&Cond::Any(vec![]), &five) && matches(&Cond::All(vec![]), &five));
        let shown = |shown, needle: &str| Cond::Shown {
            column: "n",
            shown,
            needle: needle.into(),
        };
        let month = |_: &str| Some(Val::Int(202_603));
        assert!(matches(&shown(Shown::Month, "6-03"), &month));
        assert!(!matches(&shown(Shown::Month, "202603"), &month));
        let time = |_: &str| Some(Val::Int(1_767_312_000_000));
        assert!(matches(&shown(Shown::Time, "01-02T00:00"), &time));
    }
}
