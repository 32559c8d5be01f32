//! How a search reaches its users (issue #17; the measurements behind each rule are in
//! `docs/performance.md`, "Search speed at a million users").
//!
//! - A `Contains` on an indexed text column becomes a lookup where one is cheap: the column's
//!   matching values when the company has few distinct ones (a department, a first name), else,
//!   on SQLite, the ids of the few users the trigram index finds. Both are exact. A lookup that
//!   finds nothing (on PostgreSQL, a probe of the trigram index for any match) takes its branch
//!   out of an `or`: on PostgreSQL a branch left in would make the whole `or` a bitmap heap
//!   scan that rechecks every row the other branches match.
//! - SQLite gathers no statistics, so its planner takes every `company_id = ?` for a handful of
//!   rows and walks the company's whole index. The count, and a page whose matches are few,
//!   therefore name their access path: the rows by id, the filter's own index, or one index per
//!   branch of an `or`. A page of many matches keeps walking the sort order's index, which
//!   stops after the page.

use super::record::TargetUserCol as C;
use crate::open::Engine;
use crate::query::{escape_like, CmpOp, Cond, Val};
use crate::rows::get_str;
use crate::{Result, SqlStore};

/// Most distinct values of a column that a `Contains` is matched against one by one.
const FEW_VALUES: i64 = 256;

/// Most trigram-index hits that a `Contains` gathers as ids (SQLite).
const FEW_IDS: i64 = 2000;

/// A searched text column with an index on (company_id, column, id): the index's name, and
/// whether the column can have few distinct values (an email is unique to its user).
fn text_index(column: &str) -> Option<(&'static str, bool)> {
    match column {
        _ if column == C::EmailLower.name() => Some(("target_users_email", false)),
        _ if column == C::FirstNameLower.name() => Some(("target_users_first", true)),
        _ if column == C::LastNameLower.name() => Some(("target_users_last", true)),
        _ if column == C::DepartmentLower.name() => Some(("target_users_dept", true)),
        _ => None,
    }
}

/// The positive `Contains` leaves on indexed text columns in `c`, outside custom fields.
fn text_leaves<'a>(c: &'a Cond, out: &mut Vec<(&'static str, &'a str)>) {
    match c {
        Cond::All(items) | Cond::Any(items) => items.iter().for_each(|i| text_leaves(i, out)),
        Cond::Contains {
            column,
            needle,
            negated: false,
        } if text_index(column).is_some() && !out.contains(&(*column, needle.as_str())) => {
            out.push((*column, needle.as_str()))
        }
        _ => {}
    }
}

/// The positive `Contains` leaves of `c` that sit, however deep, in a branch of an `or` of two
/// or more branches: those whose pruning changes PostgreSQL's plan (see the module's doc).
fn or_leaves<'a>(c: &'a Cond, in_or: bool, out: &mut Vec<(&'static str, &'a str)>) {
    match c {
        Cond::Any(items) => items
            .iter()
            .for_each(|i| or_leaves(i, in_or || items.len() > 1, out)),
        Cond::All(items) => items.iter().for_each(|i| or_leaves(i, in_or, out)),
        Cond::Contains {
            column,
            needle,
            negated: false,
        } if in_or => out.push((*column, needle.as_str())),
        _ => {}
    }
}

/// A condition that holds for no row.
fn never(c: &Cond) -> bool {
    matches!(c, Cond::Any(items) if items.is_empty())
}

/// `c` with each leaf that `found` resolved replaced by its lookup, and the branches a lookup
/// made empty pruned: an `or` leaves them out, an `and` with one holds for no row.
fn replaced(c: &Cond, found: &[((&str, &str), Cond)]) -> Cond {
    match c {
        Cond::All(items) => {
            let items: Vec<Cond> = items.iter().map(|i| replaced(i, found)).collect();
            if items.iter().any(never) {
                Cond::Any(vec![])
            } else {
                Cond::All(items)
            }
        }
        Cond::Any(items) => Cond::Any(
            items
                .iter()
                .map(|i| replaced(i, found))
                .filter(|i| !never(i))
                .collect(),
        ),
        Cond::Contains {
            column,
            needle,
            negated: false,
        } => found
            .iter()
            .find(|(key, _)| *key == (*column, needle.as_str()))
            .map_or_else(|| c.clone(), |(_, with)| with.clone()),
        _ => c.clone(),
    }
}

/// `column IN (values)`, or a condition that never holds when there are none.
fn one_of(column: &'static str, values: Vec<Val>) -> Cond {
    if values.is_empty() {
        Cond::Any(vec![])
    } else {
        Cond::In { column, values }
    }
}

/// How SQLite is told to reach a query's rows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Drive {
    /// The planner's own choice (the company's index).
    Plain,
    /// By id, from a list of ids in the filter (`NOT INDEXED` leaves SQLite only the rowid).
    Rowids,
    /// By the named index on (company, column), from a list of values or a `Contains`.
    Index(&'static str),
    /// One index per branch of an `or` whose every branch has one (SQLite's multi-index OR),
    /// the company repeated inside each branch.
    Union,
}

/// The best way to `c`'s rows, when something narrower than the whole company leads there.
pub(super) fn drive(c: &Cond) -> Drive {
    match c {
        Cond::In { column, .. } if *column == C::Id.name() => Drive::Rowids,
        Cond::In { column, .. }
        | Cond::Contains {
            column,
            negated: false,
            ..
        } => text_index(column).map_or(Drive::Plain, |(index, _)| Drive::Index(index)),
        Cond::All(items) => {
            let drives: Vec<Drive> = items.iter().map(drive).collect();
            // Ids are the narrowest; then a value list's index; an `or` last.
            [Drive::Rowids]
                .into_iter()
                .chain(
                    drives
                        .iter()
                        .copied()
                        .filter(|d| matches!(d, Drive::Index(_))),
                )
                .chain([Drive::Union])
                .find(|want| drives.contains(want))
                .unwrap_or(Drive::Plain)
        }
        Cond::Any(items) if !items.is_empty() && items.iter().all(|i| drive(i) != Drive::Plain) => {
            Drive::Union
        }
        _ => Drive::Plain,
    }
}

/// `c` scoped to the company in the form that makes SQLite take `how`, and the hint its table
/// takes in the FROM clause (`INDEXED BY ...`, `NOT INDEXED`).
pub(super) fn driven(company_id: i64, c: &Cond, how: Drive) -> (Cond, Option<String>) {
    let company = Cond::Cmp {
        column: C::CompanyId.name(),
        op: CmpOp::Eq,
        value: Val::Int(company_id),
    };
    match how {
        Drive::Plain => (Cond::All(vec![company, c.clone()]), None),
        Drive::Rowids => (
            Cond::All(vec![company, c.clone()]),
            Some("NOT INDEXED".into()),
        ),
        Drive::Index(index) => (
            Cond::All(vec![company, c.clone()]),
            Some(format!("INDEXED BY {index}")),
        ),
        // Nothing else names the company, so that its own index does not tempt the planner.
        Drive::Union => (spread(&company, c), None),
    }
}

/// `c` with `company` inside each branch of the `or` that leads it (see [`drive`]), however
/// deep that `or` sits: every row `c` then selects is checked against the company.
fn spread(company: &Cond, c: &Cond) -> Cond {
    match c {
        Cond::Any(branches) if drive(c) == Drive::Union => Cond::Any(
            branches
                .iter()
                .map(|b| Cond::All(vec![company.clone(), b.clone()]))
                .collect(),
        ),
        Cond::All(items) => match items.iter().position(|i| drive(i) == Drive::Union) {
            Some(lead) => Cond::All(
                items
                    .iter()
                    .enumerate()
                    .map(|(n, i)| {
                        if n == lead {
                            spread(company, i)
                        } else {
                            i.clone()
                        }
                    })
                    .collect(),
            ),
            None => Cond::All(vec![company.clone(), c.clone()]),
        },
        _ => Cond::All(vec![company.clone(), c.clone()]),
    }
}

/// Puts `hint` after the query's own table (the first `FROM "target_users"`; subqueries of
/// the filter name other tables). The hint is one of [`driven`]'s constants.
pub(super) fn with_hint(sql: String, hint: Option<&str>) -> String {
    match hint {
        Some(hint) => sql.replacen(
            &format!("FROM \"{}\"", C::TABLE),
            &format!("FROM \"{}\" {hint}", C::TABLE),
            1,
        ),
        None => sql,
    }
}

impl SqlStore {
    /// `cond` with each positive `Contains` on an indexed text column turned into a lookup
    /// where one is cheap (see the module's doc); the others stay as they are.
    pub(super) async fn resolve_text(&self, company_id: i64, cond: &Cond) -> Result<Cond> {
        let mut leaves = Vec::new();
        text_leaves(cond, &mut leaves);
        if leaves.is_empty() {
            return Ok(cond.clone());
        }
        let mut in_or = Vec::new();
        or_leaves(cond, false, &mut in_or);
        let mut values: Vec<(&'static str, Option<Vec<String>>)> = Vec::new();
        let mut found = Vec::new();
        for (column, needle) in leaves {
            let Some((_, can_be_few)) = text_index(column) else {
                continue;
            };
            if can_be_few {
                if !values.iter().any(|(c, _)| *c == column) {
                    let few = self.few_values(company_id, column).await?;
                    values.push((column, few));
                }
                if let Some((_, Some(all))) = values.iter().find(|(c, _)| *c == column) {
                    let matching = all
                        .iter()
                        .filter(|v| v.contains(needle))
                        .map(|v| Val::Text(v.clone()))
                        .collect();
                    found.push(((column, needle), one_of(column, matching)));
                    continue;
                }
            }
            match self.engine {
                Engine::Sqlite => {
                    if let Some(ids) = self.few_ids(column, needle).await? {
                        found.push(((column, needle), one_of(C::Id.name(), ids)));
                    }
                }
                // Alone, a `LIKE` that finds nobody is already cheap through the trigram
                // index: the probe would only add a round trip.
                Engine::Postgres if in_or.contains(&(column, needle)) => {
                    if !self.may_contain(company_id, column, needle).await? {
                        found.push(((column, needle), Cond::Any(vec![])));
                    }
                }
                Engine::Postgres => {}
            }
        }
        Ok(replaced(cond, &found))
    }

    /// The company's distinct values of `column`, when it has at most [`FEW_VALUES`]: one
    /// step of the (company, column) index per value, never a scan.
    async fn few_values(
        &self,
        company_id: i64,
        column: &'static str,
    ) -> Result<Option<Vec<String>>> {
        // `column` is one of `text_index`'s constants; the company and the bound are bound.
        let sql = format!(
            "WITH RECURSIVE d(v, n) AS ( \
               SELECT (SELECT MIN({column}) FROM target_users WHERE company_id = $1), 0 \
               UNION ALL \
               SELECT (SELECT MIN({column}) FROM target_users WHERE company_id = $1 AND {column} > d.v), n + 1 \
               FROM d WHERE d.v IS NOT NULL AND n < $2 \
             ) SELECT v FROM d WHERE v IS NOT NULL"
        );
        let rows = sqlx::query(&sql)
            .bind(company_id)
            .bind(FEW_VALUES)
            .fetch_all(&self.pool)
            .await?;
        if rows.len() as i64 > FEW_VALUES {
            return Ok(None);
        }
        rows.iter()
            .map(|r| get_str(r, "v"))
            .collect::<Result<_>>()
            .map(Some)
    }

    /// The ids (of any company) of the users whose `column` contains `needle`, from SQLite's
    /// trigram index, when there are at most [`FEW_IDS`]; `None` when there are more, or when
    /// the index cannot answer (fewer than three characters, or GLOB's wildcards).
    async fn few_ids(&self, column: &'static str, needle: &str) -> Result<Option<Vec<Val>>> {
        if needle.chars().count() < 3 || needle.contains(['*', '?', '[', ']']) {
            return Ok(None);
        }
        // `column` is one of `text_index`'s constants; the pattern is bound.
        let sql =
            format!("SELECT rowid AS id FROM target_users_fts WHERE {column} GLOB $1 LIMIT $2");
        let rows = sqlx::query(&sql)
            .bind(format!("*{needle}*"))
            .bind(FEW_IDS + 1)
            .fetch_all(&self.pool)
            .await?;
        if rows.len() as i64 > FEW_IDS {
            return Ok(None);
        }
        rows.iter()
            .map(|r| crate::rows::get_i64(r, "id").map(Val::Int))
            .collect::<Result<_>>()
            .map(Some)
    }

    /// Whether any of the company's users may have `column` containing `needle` (PostgreSQL):
    /// `true` without asking when the trigram index cannot answer (fewer than three
    /// characters), else whether one does. An unnamed
    /// statement, so that the planner sees the pattern: a rare one reads the trigram index, a
    /// common one stops at the first row of a sequential scan. The matches are a materialized
    /// CTE, planned as if all were read: under a plain `LIMIT 1` the planner's guess for a
    /// pattern it has no statistics on made a sequential scan look likely to stop early, and
    /// for a needle nobody's column contains that scan read every row (`docs/performance.md`,
    /// "PostgreSQL: the probe at 10,000,000 users"). Unlike
    /// SQLite, the matches do not become a list of ids: each length of list would be a
    /// statement of its own for PostgreSQL to parse and plan, and its trigram index already
    /// serves the `LIKE`.
    async fn may_contain(
        &self,
        company_id: i64,
        column: &'static str,
        needle: &str,
    ) -> Result<bool> {
        if needle.chars().count() < 3 {
            return Ok(true);
        }
        // `column` is one of `text_index`'s constants; the company and the pattern are bound.
        let sql = format!(
            "WITH m AS MATERIALIZED (SELECT 1 AS one FROM target_users WHERE company_id = $1 \
             AND {column} LIKE $2 ESCAPE E'\\\\') SELECT one FROM m LIMIT 1"
        );
        let found = sqlx::query(&sql)
            .persistent(false)
            .bind(company_id)
            .bind(format!("%{}%", escape_like(needle)))
            .fetch_optional(&self.pool)
            .await?;
        Ok(found.is_some())
    }

    /// Renders `c` for a search on this engine, with `Contains` left as LIKE (a resolved
    /// filter's remaining ones have many matches, which the trigram index only slows down).
    pub(super) fn rendered(&self, c: &Cond, probe: bool) -> sea_query::Condition {
        self.user_condition_opts(c, probe, false)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use sea_query::Alias;

    use super::*;
    use crate::query::{Order, SearchSpec};
    use crate::rows::{count_select, sqlite_plan};

    fn text(column: &'static str, values: &[&str]) -> Cond {
        Cond::In {
            column,
            values: values.iter().map(|v| Val::Text((*v).into())).collect(),
        }
    }

    fn ids(values: &[i64]) -> Cond {
        Cond::In {
            column: "id",
            values: values.iter().map(|v| Val::Int(*v)).collect(),
        }
    }

    /// The plan SQLite (with no statistics, as rollcall runs it) makes for a search's count
    /// and for a page of few matches sorted by creation time.
    fn plans(store: &SqlStore, conn: &rusqlite::Connection, cond: &Cond) -> [Vec<String>; 2] {
        let (scoped, hint) = driven(7, cond, drive(cond));
        let (sql, values) = store.render(
            count_select()
                .from(Alias::new(C::TABLE))
                .cond_where(store.rendered(&scoped, false)),
        );
        let count = sqlite_plan(conn, &with_hint(sql, hint.as_deref()), &values);
        let spec = SearchSpec {
            cond: cond.clone(),
            order: ["create_time", "id"]
                .map(|column| Order {
                    column,
                    ascending: false,
                    nullable: false,
                    custom: None,
                })
                .into(),
            offset: 1_500,
            limit: 20,
        };
        let (sql, values) = store.user_page_sql(store.rendered(&scoped, false), &spec, true, false);
        let page = sqlite_plan(conn, &with_hint(sql, hint.as_deref()), &values);
        [count, page]
    }

    fn has(plan: &[String], what: &str) -> bool {
        plan.iter().any(|l| l.contains(what))
    }

    /// Each lookup the resolution makes reaches its rows without walking the company's index,
    /// for the count and for a page of few matches.
    #[tokio::test]
    async fn sqlite_takes_the_lookup_it_is_given() {
        let dir = tempfile::tempdir().unwrap();
        let store = SqlStore::open("", dir.path()).await.unwrap();
        let conn = rusqlite::Connection::open(dir.path().join("rollcall.db")).unwrap();
        let active = Cond::Cmp {
            column: "is_active",
            op: CmpOp::Eq,
            value: Val::Bool(true),
        };

        let by_id = ids(&[3, 5, 8]);
        assert_eq!(drive(&by_id), Drive::Rowids);
        for plan in plans(
            &store,
            &conn,
            &Cond::All(vec![active.clone(), by_id.clone()]),
        ) {
            assert!(has(&plan, "INTEGER PRIMARY KEY (rowid=?)"), "{plan:?}");
            assert!(!has(&plan, "(company_id=?)"), "{plan:?}");
        }

        let sales = text("department_lower", &["sales", "pre-sales"]);
        assert_eq!(drive(&sales), Drive::Index("target_users_dept"));
        for plan in plans(&store, &conn, &sales) {
            assert!(
                has(
                    &plan,
                    "INDEX target_users_dept (company_id=? AND department_lower=?)"
                ),
                "{plan:?}"
            );
        }

        // A `Contains` with many matches: the count reads the column's own index, not rows.
        let scan = Cond::Contains {
            column: "email_lower",
            needle: "example".into(),
            negated: false,
        };
        let [count, _] = plans(&store, &conn, &scan);
        assert!(
            has(&count, "COVERING INDEX target_users_email"),
            "{count:?}"
        );

        // The search text over four columns: one index per branch.
        let text_box = Cond::Any(vec![
            by_id.clone(),
            text("first_name_lower", &["ann"]),
            text("last_name_lower", &["okafor"]),
            scan.clone(),
        ]);
        assert_eq!(drive(&text_box), Drive::Union);
        for plan in plans(&store, &conn, &Cond::All(vec![active.clone(), text_box])) {
            assert!(has(&plan, "MULTI-INDEX OR"), "{plan:?}");
            assert!(
                has(
                    &plan,
                    "target_users_last (company_id=? AND last_name_lower=?)"
                ),
                "{plan:?}"
            );
        }

        // Nothing narrower than the company: the planner's own plan, no hint.
        assert_eq!(drive(&active), Drive::Plain);
        assert_eq!(driven(7, &active, Drive::Plain).1, None);
        let half = Cond::Any(vec![by_id, active]);
        assert_eq!(drive(&half), Drive::Plain);
    }

    /// Whether every row `c` selects has passed a `company_id = 7` test.
    fn scoped(c: &Cond) -> bool {
        match c {
            Cond::All(items) => items.iter().any(scoped),
            Cond::Any(items) => !items.is_empty() && items.iter().all(scoped),
            Cond::Cmp {
                column: "company_id",
                op: CmpOp::Eq,
                value: Val::Int(7),
            } => true,
            _ => false,
        }
    }

    /// Whatever the filter's shape and the access path, the company is on every way to a row:
    /// an `or` nested in `and`s gets it in each branch.
    #[test]
    fn every_path_names_the_company() {
        let last = text("last_name_lower", &["okafor"]);
        let first = text("first_name_lower", &["ann"]);
        let active = Cond::Cmp {
            column: "is_active",
            op: CmpOp::Eq,
            value: Val::Bool(true),
        };
        let or = Cond::Any(vec![last.clone(), ids(&[1, 2])]);
        let shapes = [
            or.clone(),
            Cond::All(vec![active.clone(), or.clone()]),
            Cond::All(vec![Cond::All(vec![or.clone()]), active.clone()]),
            Cond::All(vec![Cond::All(vec![
                active.clone(),
                Cond::All(vec![or.clone()]),
            ])]),
            Cond::Any(vec![
                Cond::All(vec![last.clone(), active.clone()]),
                first.clone(),
            ]),
            Cond::All(vec![last, ids(&[3])]),
            first,
            active,
        ];
        for c in shapes {
            for how in [drive(&c), Drive::Plain] {
                let (scoped_cond, _) = driven(7, &c, how);
                assert!(scoped(&scoped_cond), "{how:?}: {scoped_cond:?}");
            }
        }
    }

    /// Pruning: a lookup that found nothing drops out of an `or` and empties an `and`.
    #[test]
    fn empty_lookups_are_pruned() {
        let needle = |n: &str| Cond::Contains {
            column: "email_lower",
            needle: n.into(),
            negated: false,
        };
        let found = [
            (("email_lower", "none"), Cond::Any(vec![])),
            (("email_lower", "some"), ids(&[1])),
        ];
        let or = Cond::Any(vec![needle("none"), needle("some")]);
        assert_eq!(replaced(&or, &found), Cond::Any(vec![ids(&[1])]));
        let and = Cond::All(vec![needle("some"), needle("none")]);
        assert_eq!(replaced(&and, &found), Cond::Any(vec![]));
        let untouched = Cond::All(vec![needle("other")]);
        assert_eq!(replaced(&untouched, &found), untouched);
    }

    #[test]
    fn probes_are_for_the_branches_of_an_or() {
        let needle = |n: &str| Cond::Contains {
            column: "email_lower",
            needle: n.into(),
            negated: false,
        };
        let leaves = |c: &Cond| {
            let mut out = Vec::new();
            or_leaves(c, false, &mut out);
            out.into_iter()
                .map(|(_, n)| n.to_owned())
                .collect::<Vec<_>>()
        };
        assert!(leaves(&Cond::All(vec![needle("alone")])).is_empty());
        assert!(leaves(&Cond::Any(vec![needle("one branch")])).is_empty());
        let negated = Cond::Contains {
            column: "email_lower",
            needle: "not".into(),
            negated: true,
        };
        assert_eq!(
            leaves(&Cond::Any(vec![needle("a"), negated])),
            vec!["a".to_owned()]
        );
        // A leaf inside an `and` inside an `or`: finding nothing empties that branch.
        let deep = Cond::All(vec![
            needle("outside"),
            Cond::Any(vec![
                Cond::All(vec![needle("deep"), ids(&[1])]),
                needle("b"),
            ]),
        ]);
        assert_eq!(leaves(&deep), vec!["deep".to_owned(), "b".to_owned()]);
    }
}
