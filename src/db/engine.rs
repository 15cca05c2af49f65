//! The two database engines behind one interface: SQLite, embedded, the default; PostgreSQL, for a
//! site on several machines.
//!
//! The shape: every statement is written once, in SQL both engines understand, and compiled once for
//! each engine. A function of `db/` takes anything that can run a statement ([`Exec`]: a pool, or a
//! connection in a transaction, of either engine) and runs its statements in `on!`, which hands
//! its body a plain sqlx connection of the engine at hand: `&mut SqliteConnection` or
//! `&mut PgConnection`. The body is the same text for both, so sqlx checks both: a type one engine
//! cannot bind or read, or a method only one has (`last_insert_rowid`), fails to build.
//!
//! The statements are written with SQLite's placeholders (`?`, `?3`); [`query`], [`query_as`] and
//! [`query_scalar`] give PostgreSQL its own (`$1`), translated once a statement and kept. Where the
//! engines differ in more than that (full-text search, upserts of a special kind, the write lock),
//! [`Dialect::pick`] chooses the text, inside `db/` only: nothing above it knows which engine runs.

use std::{
    collections::HashMap,
    sync::{OnceLock, RwLock},
};

use sqlx::{
    Database, PgConnection, PgPool, Postgres, Sqlite, SqliteConnection, SqlitePool,
    pool::PoolConnection,
    query::{Query, QueryAs, QueryScalar},
};

/// The database of a site: a pool of connections to one engine.
#[derive(Debug, Clone)]
pub enum Pool {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

impl Pool {
    /// Closes every connection; queries after this fail.
    pub async fn close(&self) {
        match self {
            Pool::Sqlite(pool) => pool.close().await,
            Pool::Postgres(pool) => pool.close().await,
        }
    }

    /// The SQLite pool, if this is one: for the work only SQLite does (its reading connections, its
    /// backups of the file).
    pub fn sqlite(&self) -> Option<&SqlitePool> {
        match self {
            Pool::Sqlite(pool) => Some(pool),
            Pool::Postgres(_) => None,
        }
    }

    /// One connection of the pool, for several statements in a row without a transaction.
    pub async fn acquire(&self) -> sqlx::Result<Connection> {
        Ok(match self {
            Pool::Sqlite(pool) => Connection::Sqlite(pool.acquire().await?),
            Pool::Postgres(pool) => Connection::Postgres(pool.acquire().await?),
        })
    }

    /// Connections open and idle, for `/metrics`.
    pub fn size_and_idle(&self) -> (u32, usize) {
        match self {
            Pool::Sqlite(pool) => (pool.size(), pool.num_idle()),
            Pool::Postgres(pool) => (pool.size(), pool.num_idle()),
        }
    }
}

/// A connection taken from a [`Pool`], returned to it when dropped; statements run on it through
/// `&mut conn`.
#[derive(Debug)]
pub enum Connection {
    Sqlite(PoolConnection<Sqlite>),
    Postgres(PoolConnection<Postgres>),
}

impl<'a> From<&'a mut Connection> for Exec<'a> {
    fn from(conn: &'a mut Connection) -> Exec<'a> {
        match conn {
            Connection::Sqlite(conn) => Exec::Sqlite(conn),
            Connection::Postgres(conn) => Exec::Postgres(conn),
        }
    }
}

/// The engines a site can run on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Engine {
    Sqlite,
    Postgres,
}

/// Something that can run statements: a pool, or a connection (inside a transaction, usually) of
/// either engine. Every function of `db/` takes one, as `impl Into<Exec<'_>>`.
#[derive(Debug)]
pub enum Exec<'c> {
    SqlitePool(&'c SqlitePool),
    Sqlite(&'c mut SqliteConnection),
    PostgresPool(&'c PgPool),
    Postgres(&'c mut PgConnection),
}

impl<'c> From<&'c Pool> for Exec<'c> {
    fn from(pool: &'c Pool) -> Exec<'c> {
        match pool {
            Pool::Sqlite(pool) => Exec::SqlitePool(pool),
            Pool::Postgres(pool) => Exec::PostgresPool(pool),
        }
    }
}

/// Another use of the same pool or connection: `&mut exec` where a function uses one several times.
impl<'a> From<&'a mut Exec<'_>> for Exec<'a> {
    fn from(exec: &'a mut Exec<'_>) -> Exec<'a> {
        match exec {
            Exec::SqlitePool(pool) => Exec::SqlitePool(pool),
            Exec::Sqlite(conn) => Exec::Sqlite(conn),
            Exec::PostgresPool(pool) => Exec::PostgresPool(pool),
            Exec::Postgres(conn) => Exec::Postgres(conn),
        }
    }
}

impl<'c> From<&'c SqlitePool> for Exec<'c> {
    fn from(pool: &'c SqlitePool) -> Exec<'c> {
        Exec::SqlitePool(pool)
    }
}

impl<'c> From<&'c mut SqliteConnection> for Exec<'c> {
    fn from(conn: &'c mut SqliteConnection) -> Exec<'c> {
        Exec::Sqlite(conn)
    }
}

impl<'c> From<&'c mut sqlx::Transaction<'_, Sqlite>> for Exec<'c> {
    fn from(tx: &'c mut sqlx::Transaction<'_, Sqlite>) -> Exec<'c> {
        Exec::Sqlite(tx)
    }
}

impl<'c> From<&'c mut sqlx::Transaction<'_, Postgres>> for Exec<'c> {
    fn from(tx: &'c mut sqlx::Transaction<'_, Postgres>) -> Exec<'c> {
        Exec::Postgres(tx)
    }
}

impl<'c> From<&'c mut PoolConnection<Sqlite>> for Exec<'c> {
    fn from(conn: &'c mut PoolConnection<Sqlite>) -> Exec<'c> {
        Exec::Sqlite(conn)
    }
}

impl<'c> From<&'c mut PoolConnection<Postgres>> for Exec<'c> {
    fn from(conn: &'c mut PoolConnection<Postgres>) -> Exec<'c> {
        Exec::Postgres(conn)
    }
}

impl<'c> From<&'c PgPool> for Exec<'c> {
    fn from(pool: &'c PgPool) -> Exec<'c> {
        Exec::PostgresPool(pool)
    }
}

impl<'c> From<&'c mut PgConnection> for Exec<'c> {
    fn from(conn: &'c mut PgConnection) -> Exec<'c> {
        Exec::Postgres(conn)
    }
}

impl<'c> Exec<'c> {
    /// A connection to run statements on: the one given, or one from the pool, held until dropped.
    pub async fn connect(self) -> sqlx::Result<Connected<'c>> {
        Ok(match self {
            Exec::SqlitePool(pool) => Connected::Sqlite(Held::Pooled(pool.acquire().await?)),
            Exec::Sqlite(conn) => Connected::Sqlite(Held::Borrowed(conn)),
            Exec::PostgresPool(pool) => Connected::Postgres(Held::Pooled(pool.acquire().await?)),
            Exec::Postgres(conn) => Connected::Postgres(Held::Borrowed(conn)),
        })
    }
}

/// A connection of one engine or the other, ready for `on!`.
#[derive(Debug)]
pub enum Connected<'c> {
    Sqlite(Held<'c, Sqlite>),
    Postgres(Held<'c, Postgres>),
}

/// A connection borrowed from the caller (its transaction) or taken from the pool.
#[derive(Debug)]
pub enum Held<'c, DB: Database> {
    Borrowed(&'c mut DB::Connection),
    Pooled(PoolConnection<DB>),
}

impl<DB: Database> Held<'_, DB> {
    pub fn conn(&mut self) -> &mut DB::Connection {
        match self {
            Held::Borrowed(conn) => conn,
            Held::Pooled(conn) => conn,
        }
    }
}

/// Runs `body` with `c` bound to a plain sqlx connection of the engine `db` talks to; the body is
/// compiled once for each engine. Used inside functions that return `sqlx::Result`.
macro_rules! on {
    ($db:expr, |$c:ident| $body:expr) => {{
        match ::core::convert::Into::<$crate::db::engine::Exec<'_>>::into($db)
            .connect()
            .await?
        {
            $crate::db::engine::Connected::Sqlite(mut held) => {
                let $c: &mut ::sqlx::SqliteConnection = held.conn();
                $body
            }
            $crate::db::engine::Connected::Postgres(mut held) => {
                let $c: &mut ::sqlx::PgConnection = held.conn();
                $body
            }
        }
    }};
}

/// Runs `sqlite` or `postgres`, whichever fits the engine `db` talks to, with the engine's plain
/// sqlx connection: for work the engines do differently (search).
macro_rules! by_engine {
    ($db:expr, |$s:ident| $sqlite:expr, |$p:ident| $postgres:expr $(,)?) => {{
        match ::core::convert::Into::<$crate::db::engine::Exec<'_>>::into($db)
            .connect()
            .await?
        {
            $crate::db::engine::Connected::Sqlite(mut held) => {
                let $s: &mut ::sqlx::SqliteConnection = held.conn();
                $sqlite
            }
            $crate::db::engine::Connected::Postgres(mut held) => {
                let $p: &mut ::sqlx::PgConnection = held.conn();
                $postgres
            }
        }
    }};
}

/// What a statement's text depends on: the engine of the connection it runs on.
pub trait Dialect: Database {
    const ENGINE: Engine;

    /// The statement `sqlite` in this engine's placeholders.
    fn sql(sqlite: &'static str) -> &'static str;

    /// `sqlite` on SQLite, `postgres` on PostgreSQL: for the statements the engines write
    /// differently. Both are written with `?` placeholders, which [`query`] and its kin translate.
    fn pick(sqlite: &'static str, postgres: &'static str) -> &'static str {
        match Self::ENGINE {
            Engine::Sqlite => sqlite,
            Engine::Postgres => postgres,
        }
    }
}

impl Dialect for Sqlite {
    const ENGINE: Engine = Engine::Sqlite;

    fn sql(sqlite: &'static str) -> &'static str {
        sqlite
    }
}

impl Dialect for Postgres {
    const ENGINE: Engine = Engine::Postgres;

    fn sql(sqlite: &'static str) -> &'static str {
        numbered(sqlite)
    }
}

/// A connection type of one of the engines.
pub trait EngineConnection {
    type Database: Dialect;
}

impl EngineConnection for SqliteConnection {
    type Database = Sqlite;
}

impl EngineConnection for PgConnection {
    type Database = Postgres;
}

/// `sqlite` on SQLite, `postgres` on PostgreSQL: for an `on!` body whose statement the engines
/// write differently. Both are written with `?` placeholders.
pub fn pick<C: EngineConnection>(
    _c: &C,
    sqlite: &'static str,
    postgres: &'static str,
) -> &'static str {
    C::Database::pick(sqlite, postgres)
}

/// Whether `_c` is a PostgreSQL connection: for a step only that engine needs.
pub fn is_postgres<C: EngineConnection>(_c: &C) -> bool {
    C::Database::ENGINE == Engine::Postgres
}

/// A statement, in the placeholders of the engine it runs on.
pub fn query<DB: Dialect>(sql: &'static str) -> Query<'static, DB, <DB as Database>::Arguments>
where
    DB::Arguments: sqlx::IntoArguments<DB>,
{
    sqlx::query(DB::sql(sql))
}

/// A statement whose rows are read as `T`, in the placeholders of the engine it runs on.
pub fn query_as<DB: Dialect, T>(
    sql: &'static str,
) -> QueryAs<'static, DB, T, <DB as Database>::Arguments>
where
    T: for<'r> sqlx::FromRow<'r, DB::Row>,
    DB::Arguments: sqlx::IntoArguments<DB>,
{
    sqlx::query_as(DB::sql(sql))
}

/// A statement whose first column is read as `T`, in the placeholders of the engine it runs on.
pub fn query_scalar<DB: Dialect, T>(
    sql: &'static str,
) -> QueryScalar<'static, DB, T, <DB as Database>::Arguments>
where
    (T,): for<'r> sqlx::FromRow<'r, DB::Row>,
    DB::Arguments: sqlx::IntoArguments<DB>,
{
    sqlx::query_scalar(DB::sql(sql))
}

/// `sqlite` with PostgreSQL's placeholders: `?` becomes `$1`, `$2`, … in order, `?N` becomes `$N`;
/// a `?` inside a quoted string or identifier stays. Translated once a statement, then kept.
fn numbered(sqlite: &'static str) -> &'static str {
    static KEPT: OnceLock<RwLock<HashMap<(usize, usize), &'static str>>> = OnceLock::new();
    let kept = KEPT.get_or_init(Default::default);
    // The statements are string literals: where each lies, and how long it is, names it.
    let key = (sqlite.as_ptr() as usize, sqlite.len());
    if let Some(text) = kept.read().expect("not poisoned").get(&key) {
        return text;
    }
    let text: &'static str = Box::leak(translate(sqlite).into_boxed_str());
    kept.write().expect("not poisoned").insert(key, text);
    text
}

/// `sqlite` with PostgreSQL's placeholders, as `query` and its kin translate it (without keeping it).
fn translate(sqlite: &str) -> String {
    let mut out = String::with_capacity(sqlite.len() + 8);
    let mut next = 0;
    let mut quote: Option<char> = None;
    let mut chars = sqlite.chars().peekable();
    while let Some(c) = chars.next() {
        match (quote, c) {
            (Some(open), c) => {
                out.push(c);
                if c == open {
                    quote = None;
                }
            }
            (None, '\'' | '"') => {
                quote = Some(c);
                out.push(c);
            }
            (None, '?') => {
                let mut digits = String::new();
                while let Some(d) = chars.peek().filter(|d| d.is_ascii_digit()) {
                    digits.push(*d);
                    chars.next();
                }
                out.push('$');
                if digits.is_empty() {
                    next += 1;
                    out.push_str(&next.to_string());
                } else {
                    out.push_str(&digits);
                }
            }
            (None, c) => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::translate;

    #[test]
    fn placeholders_are_numbered_outside_quotes() {
        assert_eq!(
            translate("select a from t where b = ? and c = ? limit ?"),
            "select a from t where b = $1 and c = $2 limit $3"
        );
        assert_eq!(
            translate("where x = ?3 or y = ?3"),
            "where x = $3 or y = $3"
        );
        assert_eq!(
            translate("select '?' as q, \"a?\" from t where z = ?"),
            "select '?' as q, \"a?\" from t where z = $1"
        );
        assert_eq!(translate("select 'it''s ?' , ?"), "select 'it''s ?' , $1");
    }
}
