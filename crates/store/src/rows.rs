//! Reading rows and binding values, for every driver the store reads through: sqlx's `Any`
//! pool, the native PostgreSQL export connection and rusqlite.

use sea_query::{
    Alias, Expr, Iden, InsertStatement, NullOrdering, Order as SqOrder, Query, SelectStatement,
    SimpleExpr, UpdateStatement, Value, Values,
};
use sqlx::any::AnyRow;
use sqlx::postgres::PgRow;
use sqlx::Row;

use crate::query::SearchSpec;
use crate::{Result, StoreError};

/// A row's columns by position, whichever driver read it; the decoders of each aggregate are
/// written once against this.
pub(crate) trait ReadColumns {
    fn int(&self, at: usize) -> Result<i64>;
    fn opt_int(&self, at: usize) -> Result<Option<i64>>;
    fn text(&self, at: usize) -> Result<String>;
    fn opt_text(&self, at: usize) -> Result<Option<String>>;
    fn flag(&self, at: usize) -> Result<bool>;
}

/// The columns of a row from `offset` on, for decoding the second aggregate of a joined row.
pub(crate) struct Shifted<'r, R: ?Sized>(pub &'r R, pub usize);

impl<R: ReadColumns + ?Sized> ReadColumns for Shifted<'_, R> {
    fn int(&self, at: usize) -> Result<i64> {
        self.0.int(self.1 + at)
    }
    fn opt_int(&self, at: usize) -> Result<Option<i64>> {
        self.0.opt_int(self.1 + at)
    }
    fn text(&self, at: usize) -> Result<String> {
        self.0.text(self.1 + at)
    }
    fn opt_text(&self, at: usize) -> Result<Option<String>> {
        self.0.opt_text(self.1 + at)
    }
    fn flag(&self, at: usize) -> Result<bool> {
        self.0.flag(self.1 + at)
    }
}

/// `alias.column, ...` for the read columns of `C`, for a SELECT over a join (names come from
/// the column enum, never from input).
pub(crate) fn qualified<C: crate::columns::Columns>(alias: &str) -> String {
    C::SELECT
        .split(", ")
        .map(|column| format!("{alias}.{column}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// An aggregate decoded from a row whose first columns are its table's read columns, in the
/// order of its column enum; every path that reads it (pages, lookups, exports on either
/// engine) decodes through this.
pub(crate) trait FromColumns: Sized {
    fn from_columns<R: ReadColumns + ?Sized>(r: &R) -> Result<Self>;
}

/// A row of integers (sums of counters), in the SELECT's order.
impl<const N: usize> FromColumns for [i64; N] {
    fn from_columns<R: ReadColumns + ?Sized>(r: &R) -> Result<Self> {
        let mut out = [0; N];
        for (at, slot) in out.iter_mut().enumerate() {
            *slot = r.int(at)?;
        }
        Ok(out)
    }
}

/// [`ReadColumns`] for a driver's row type through its typed getter (`try_get` in sqlx, `get`
/// in rusqlite): one body for the three drivers.
macro_rules! read_columns {
    ($($row:ty => $get:ident),*) => {$(
        impl ReadColumns for $row {
            fn int(&self, at: usize) -> Result<i64> {
                Ok(self.$get(at)?)
            }
            fn opt_int(&self, at: usize) -> Result<Option<i64>> {
                Ok(self.$get(at)?)
            }
            fn text(&self, at: usize) -> Result<String> {
                Ok(self.$get(at)?)
            }
            fn opt_text(&self, at: usize) -> Result<Option<String>> {
                Ok(self.$get(at)?)
            }
            fn flag(&self, at: usize) -> Result<bool> {
                // SQLite stores booleans as integers (sqlx's SQLite reads them only as such);
                // PostgreSQL as BOOLEAN.
                let flag: std::result::Result<bool, _> = self.$get(at);
                if let Ok(b) = flag {
                    return Ok(b);
                }
                let n: i64 = self.$get(at)?;
                Ok(n != 0)
            }
        }
    )*};
}

read_columns!(AnyRow => try_get, PgRow => try_get, rusqlite::Row<'_> => get);

impl From<rusqlite::Error> for StoreError {
    fn from(e: rusqlite::Error) -> Self {
        let busy = matches!(
            e.sqlite_error_code(),
            Some(rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked)
        );
        StoreError::Reader {
            busy,
            message: e.to_string(),
        }
    }
}

/// Binds rendered sea-query values to a query (the `Any` pool's, or the PostgreSQL export's).
pub(crate) fn bind_values<'q, DB>(
    mut q: sqlx::query::Query<'q, DB, <DB as sqlx::Database>::Arguments<'q>>,
    values: &Values,
) -> sqlx::query::Query<'q, DB, <DB as sqlx::Database>::Arguments<'q>>
where
    DB: sqlx::Database,
    Option<bool>: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    Option<i64>: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    Option<f64>: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    Option<String>: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
{
    use sea_query::Value as V;
    for v in &values.0 {
        q = match v {
            V::Bool(b) => q.bind(*b),
            V::TinyInt(i) => q.bind(i.map(i64::from)),
            V::SmallInt(i) => q.bind(i.map(i64::from)),
            V::Int(i) => q.bind(i.map(i64::from)),
            V::BigInt(i) => q.bind(*i),
            V::TinyUnsigned(i) => q.bind(i.map(i64::from)),
            V::SmallUnsigned(i) => q.bind(i.map(i64::from)),
            V::Unsigned(i) => q.bind(i.map(i64::from)),
            V::BigUnsigned(i) => q.bind(i.map(|u| i64::try_from(u).unwrap_or(i64::MAX))),
            V::String(s) => q.bind(s.as_deref().cloned()),
            V::Char(c) => q.bind(c.map(|c| c.to_string())),
            V::Float(f) => q.bind(f.map(f64::from)),
            V::Double(f) => q.bind(*f),
            _ => q.bind(Option::<String>::None),
        };
    }
    q
}

/// `INSERT INTO table (...) VALUES (...), ...` of rows given as (column, value) pairs, as an
/// aggregate's stored-values function returns them; every row names the same columns in the
/// same order, and the first row's give the column list.
pub(crate) fn insert_rows<C, R>(table: &'static str, rows: R) -> Result<InsertStatement>
where
    C: Iden + 'static,
    R: IntoIterator,
    R::Item: IntoIterator<Item = (C, Value)>,
{
    let mut stmt = Query::insert().into_table(Alias::new(table)).to_owned();
    for (n, row) in rows.into_iter().enumerate() {
        let (columns, values): (Vec<C>, Vec<SimpleExpr>) =
            row.into_iter().map(|(c, v)| (c, v.into())).unzip();
        if n == 0 {
            stmt.columns(columns);
        }
        stmt.values(values)
            .map_err(|e| StoreError::Statement(format!("an insert into {table}: {e}")))?;
    }
    Ok(stmt)
}

/// `UPDATE` of the row of `C`'s table whose `key` column is `id`, to (column, value) pairs as
/// an aggregate's stored-values function returns them.
pub(crate) fn update_row_by<C: crate::columns::Columns>(
    key: C,
    id: i64,
    values: impl IntoIterator<Item = (C, Value)>,
) -> UpdateStatement {
    Query::update()
        .table(Alias::new(C::TABLE))
        .values(values.into_iter().map(|(c, v)| (c, v.into())))
        .and_where(Expr::col(key).eq(id))
        .to_owned()
}

/// Runs hand-written statements whose one parameter, `$1`, is `key`, in order on `conn` (the
/// deletes of an aggregate and what hangs on it); the rows each changed.
pub(crate) async fn execute_keyed<const N: usize>(
    conn: &mut sqlx::AnyConnection,
    key: i64,
    statements: [&'static str; N],
) -> Result<[u64; N]> {
    let mut changed = [0; N];
    for (n, sql) in statements.into_iter().enumerate() {
        changed[n] = sqlx::query(sql)
            .bind(key)
            .execute(&mut *conn)
            .await?
            .rows_affected();
    }
    Ok(changed)
}

/// SQLite's query plan of `sql` with `values` bound, one line a step: for the tests that pin
/// the index a statement reads.
#[cfg(test)]
#[allow(clippy::unwrap_used)]
pub(crate) fn sqlite_plan(conn: &rusqlite::Connection, sql: &str, values: &Values) -> Vec<String> {
    let params: Vec<_> = values.0.iter().map(to_sql_value).collect();
    let mut stmt = conn.prepare(&format!("EXPLAIN QUERY PLAN {sql}")).unwrap();
    let rows = stmt
        .query_map(rusqlite::params_from_iter(params), |r| {
            r.get::<_, String>(3)
        })
        .unwrap();
    rows.collect::<std::result::Result<_, _>>().unwrap()
}

/// A sea-query value as rusqlite binds it; the same mapping as [`bind_values`].
pub(crate) fn to_sql_value(v: &sea_query::Value) -> rusqlite::types::Value {
    use rusqlite::types::Value as SqlValue;
    use sea_query::Value as V;
    let int = |i: Option<i64>| i.map_or(SqlValue::Null, SqlValue::Integer);
    match v {
        V::Bool(b) => int(b.map(i64::from)),
        V::TinyInt(i) => int(i.map(i64::from)),
        V::SmallInt(i) => int(i.map(i64::from)),
        V::Int(i) => int(i.map(i64::from)),
        V::BigInt(i) => int(*i),
        V::TinyUnsigned(i) => int(i.map(i64::from)),
        V::SmallUnsigned(i) => int(i.map(i64::from)),
        V::Unsigned(i) => int(i.map(i64::from)),
        V::BigUnsigned(i) => int(i.map(|u| i64::try_from(u).unwrap_or(i64::MAX))),
        V::String(s) => s
            .as_deref()
            .map_or(SqlValue::Null, |s| SqlValue::Text(s.clone())),
        V::Char(c) => c.map_or(SqlValue::Null, |c| SqlValue::Text(c.to_string())),
        V::Float(f) => f.map_or(SqlValue::Null, |f| SqlValue::Real(f64::from(f))),
        V::Double(f) => f.map_or(SqlValue::Null, SqlValue::Real),
        _ => SqlValue::Null,
    }
}

// Readers by name, for rows that are not an aggregate's (counts, views, RETURNING lists).
pub(crate) fn get_i64(row: &AnyRow, col: &str) -> Result<i64> {
    Ok(row.try_get::<i64, _>(col)?)
}
pub(crate) fn get_opt_i64(row: &AnyRow, col: &str) -> Result<Option<i64>> {
    Ok(row.try_get::<Option<i64>, _>(col)?)
}
pub(crate) fn get_str(row: &AnyRow, col: &str) -> Result<String> {
    Ok(row.try_get::<String, _>(col)?)
}
pub(crate) fn get_opt_str(row: &AnyRow, col: &str) -> Result<Option<String>> {
    Ok(row.try_get::<Option<String>, _>(col)?)
}
pub(crate) fn get_bool(row: &AnyRow, col: &str) -> Result<bool> {
    match row.try_get::<bool, _>(col) {
        Ok(b) => Ok(b),
        Err(_) => Ok(row.try_get::<i64, _>(col)? != 0),
    }
}

/// A JSON list stored as text (tags, allowed addresses); `col` names it in the error.
pub(crate) fn json_list_from(text: &str, col: &str) -> Result<Vec<String>> {
    serde_json::from_str(text).map_err(|e| StoreError::Corrupt(format!("{col}: {e}")))
}

/// A list as the JSON text it is stored as.
pub(crate) fn json_list(items: &[String]) -> String {
    serde_json::to_string(items).unwrap_or_else(|_| "[]".to_owned())
}

/// `SELECT COUNT(*) AS n`, for [`crate::SqlStore::count`]; the caller adds FROM and WHERE.
pub(crate) fn count_select() -> SelectStatement {
    Query::select()
        .expr_as(Expr::cust("COUNT(*)"), Alias::new("n"))
        .to_owned()
}

/// `res`, with a unique violation turned into the caller's [`StoreError::Conflict`] (which names
/// the key taken) and any other error passed on.
pub(crate) fn or_conflict<T>(
    res: std::result::Result<T, sqlx::Error>,
    conflict: impl FnOnce() -> StoreError,
) -> Result<T> {
    match res {
        Ok(v) => Ok(v),
        Err(e) if is_unique_violation(&e) => Err(conflict()),
        Err(e) => Err(e.into()),
    }
}

pub(crate) fn is_unique_violation(e: &sqlx::Error) -> bool {
    match e {
        sqlx::Error::Database(db) => {
            db.is_unique_violation()
                || db
                    .code()
                    .is_some_and(|c| c == "23505" || c == "2067" || c == "1555")
        }
        _ => false,
    }
}

pub(crate) fn apply_order(stmt: &mut SelectStatement, spec: &SearchSpec) {
    // NULL sorts as the largest value on both engines (PostgreSQL's default; SQLite's is the
    // opposite), so that both give the same order. A NOT NULL column gets no NULLS clause:
    // with one, SQLite sorts the whole result in a temporary b-tree instead of reading the
    // index in order.
    for o in &spec.order {
        let (dir, nulls) = if o.ascending {
            (SqOrder::Asc, NullOrdering::Last)
        } else {
            (SqOrder::Desc, NullOrdering::First)
        };
        if let Some(field) = o.custom {
            let value = crate::query::custom_value_of(field, o.column);
            stmt.order_by_expr_with_nulls(value, dir, nulls);
        } else if o.nullable {
            stmt.order_by_with_nulls(Alias::new(o.column), dir, nulls);
        } else {
            stmt.order_by(Alias::new(o.column), dir);
        }
    }
    stmt.limit(u64::try_from(spec.limit).unwrap_or(0))
        .offset(u64::try_from(spec.offset).unwrap_or(0));
}
