//! A whole site copied from one engine's database to the other's (`skl-cms copy-database`), so that
//! a growing organisation moves from SQLite to PostgreSQL (or back) without losing a revision, a file
//! or an account; and the check that the copy holds what the source holds.
//!
//! Every table that holds the site ([`TABLES`]) is copied row by row, in one transaction on the
//! target, from one snapshot of the source. Each column's kind (integer, flag, number, text, bytes)
//! is read from PostgreSQL's catalogue, so that SQLite's loosely typed values are written as
//! PostgreSQL's types and back. The index of search is each engine's own and is built again on the
//! target, not copied; so is the counter of changes. The check counts each table's rows on both sides
//! and hashes their values, in a form that is the same on both engines, whatever order they come in.

use futures_util::TryStreamExt;
use sha2::{Digest, Sha256};
use sqlx::{AssertSqlSafe, Row};

use super::{Pool, Tx, engine::Connection};

/// The tables that hold the site, each after the tables it refers to, with the column (if any) that
/// refers to a row of the same table: that one is filled in once every row is in.
pub const TABLES: &[(&str, Option<&str>)] = &[
    ("users", None),
    ("pages", Some("parent_id")),
    ("redirects", None),
    ("audit_log", None),
    ("settings", None),
    ("sessions", None),
    ("login_failures", None),
    ("setup_tokens", None),
    ("revisions", None),
    ("search_misses", None),
    ("media", Some("replaced_by")),
    ("media_variants", None),
    ("media_uses", None),
    ("two_factor", None),
    ("recovery_codes", None),
    ("login_challenges", None),
    ("page_links", None),
    ("page_reviews", None),
];

/// Whether `table` is derived by each engine in its own way, so built again on the target instead
/// of copied: the index of search (every `search_` table but the counts of searches that found
/// little), the counter of changes, the migrations' own record, SQLite's own tables.
fn is_derived(table: &str) -> bool {
    (table.starts_with("search_") && table != "search_misses")
        || table == "content_version"
        || table.starts_with("_sqlx")
        || table.starts_with("sqlite_")
}

/// Rows written by one statement, at most; fewer when they hold many bytes (see [`BATCH_BYTES`]).
const BATCH_ROWS: usize = 500;

/// A statement's rows hold at most about this many bytes of text and files.
const BATCH_BYTES: usize = 8 * 1024 * 1024;

/// Why a copy or its check could not be made.
#[derive(Debug, thiserror::Error)]
pub enum CopyError {
    #[error(transparent)]
    Database(#[from] sqlx::Error),
    #[error(
        "both databases are {0}: copy-database moves a site between SQLite and PostgreSQL; within \
         one engine use `skl-cms backup` (SQLite) or pg_dump (PostgreSQL)"
    )]
    SameEngine(&'static str),
    #[error(
        "the source is at migration {from} and the target at {to}: run this version of skl-cms \
         against the source first (it migrates it), then copy"
    )]
    Versions { from: i64, to: i64 },
    #[error(
        "the target already holds a site ({pages} pages, {users} accounts, {media} files); \
         copy-database only copies into an empty database, so that nothing is overwritten"
    )]
    NotEmpty { pages: i64, users: i64, media: i64 },
    #[error(
        "the source has a table this version of skl-cms does not know, {0}: nothing was copied"
    )]
    UnknownTable(String),
    #[error("the table {table} differs between the databases: {detail}")]
    Schema { table: String, detail: String },
}

/// What a column holds, as both engines can write it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Int,
    Flag,
    Number,
    Text,
    Bytes,
}

#[derive(Debug, Clone)]
struct Column {
    name: String,
    kind: Kind,
}

/// A value of a row, whichever engine it came from.
#[derive(Debug, Clone, PartialEq)]
enum Value {
    Null,
    Int(i64),
    Flag(bool),
    Number(f64),
    Text(String),
    Bytes(Vec<u8>),
}

impl Value {
    /// Roughly how many bytes the value takes, for the size of a statement.
    fn size(&self) -> usize {
        match self {
            Value::Text(text) => text.len(),
            Value::Bytes(bytes) => bytes.len(),
            _ => 8,
        }
    }

    /// The value in the form hashed by [`compare`]: the same on both engines (a flag is the integer
    /// SQLite keeps it as).
    fn hash_into(&self, hasher: &mut Sha256) {
        match self {
            Value::Null => hasher.update([0]),
            Value::Int(value) => {
                hasher.update([1]);
                hasher.update(value.to_le_bytes());
            }
            Value::Flag(value) => {
                hasher.update([1]);
                hasher.update(i64::from(*value).to_le_bytes());
            }
            Value::Number(value) => {
                hasher.update([2]);
                hasher.update(value.to_bits().to_le_bytes());
            }
            Value::Text(text) => {
                hasher.update([3]);
                hasher.update((text.len() as u64).to_le_bytes());
                hasher.update(text.as_bytes());
            }
            Value::Bytes(bytes) => {
                hasher.update([4]);
                hasher.update((bytes.len() as u64).to_le_bytes());
                hasher.update(bytes);
            }
        }
    }
}

/// A table of both databases, as counted and hashed by [`compare`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Compared {
    pub table: &'static str,
    pub source_rows: u64,
    pub target_rows: u64,
    /// The hashes of the rows' values (the sum of each row's), as hexadecimal.
    pub source_hash: String,
    pub target_hash: String,
}

impl Compared {
    pub fn matches(&self) -> bool {
        self.source_rows == self.target_rows && self.source_hash == self.target_hash
    }
}

/// Copies every table of the site from `from` into `to`, which must be of the other engine, at the
/// same migration, and empty. Calls `copied` with each table and its rows once it is written. The
/// index of search is not copied: build it on the target afterwards.
pub async fn copy(
    from: &Pool,
    to: &Pool,
    mut copied: impl FnMut(&'static str, u64),
) -> Result<(), CopyError> {
    let schema = Schema::of(from, to).await?;
    let mut source = snapshot(from).await?;
    let mut tx = super::begin_write(to).await?;
    let (pages, users, media) = (
        count(&mut tx, "pages").await?,
        count(&mut tx, "users").await?,
        count(&mut tx, "media").await?,
    );
    if pages + users + media > 0 {
        return Err(CopyError::NotEmpty {
            pages,
            users,
            media,
        });
    }
    // What the migrations put there (the first settings) makes way for the source's.
    for (table, _) in TABLES.iter().rev() {
        run(&mut tx, format!("delete from {table}")).await?;
    }
    for (table, later) in TABLES {
        let columns = &schema.columns(table);
        let rows = copy_table(&mut source, &mut tx, table, *later, columns).await?;
        copied(table, rows);
    }
    for (table, _) in TABLES {
        if schema
            .columns(table)
            .iter()
            .any(|column| column.name == "id")
        {
            let high = high_water(&mut source, table).await?;
            set_high_water(&mut tx, table, high).await?;
        }
    }
    tx.commit().await?;
    end_snapshot(source).await?;
    Ok(())
}

/// Counts and hashes every table of the site on both sides.
pub async fn compare(from: &Pool, to: &Pool) -> Result<Vec<Compared>, CopyError> {
    let schema = Schema::of(from, to).await?;
    let mut source = snapshot(from).await?;
    let mut target = snapshot(to).await?;
    let mut compared = Vec::new();
    for (table, _) in TABLES {
        let columns = schema.columns(table);
        let (source_rows, source_hash) = summarize(&mut source, table, &columns).await?;
        let (target_rows, target_hash) = summarize(&mut target, table, &columns).await?;
        compared.push(Compared {
            table,
            source_rows,
            target_rows,
            source_hash: format!("{source_hash:032x}"),
            target_hash: format!("{target_hash:032x}"),
        });
    }
    end_snapshot(source).await?;
    end_snapshot(target).await?;
    Ok(compared)
}

/// The columns of every table, with their kinds, from PostgreSQL's catalogue; checked against
/// SQLite's.
struct Schema {
    tables: Vec<(&'static str, Vec<Column>)>,
}

impl Schema {
    async fn of(from: &Pool, to: &Pool) -> Result<Schema, CopyError> {
        let (sqlite, postgres) = match (from, to) {
            (Pool::Sqlite(sqlite), Pool::Postgres(postgres))
            | (Pool::Postgres(postgres), Pool::Sqlite(sqlite)) => (sqlite, postgres),
            (Pool::Sqlite(_), Pool::Sqlite(_)) => return Err(CopyError::SameEngine("SQLite")),
            (Pool::Postgres(_), Pool::Postgres(_)) => {
                return Err(CopyError::SameEngine("PostgreSQL"));
            }
        };
        let version = "select coalesce(max(version), 0) from _sqlx_migrations where success";
        let from_version: i64 = on!(from, |c| sqlx::query_scalar(version).fetch_one(c).await)?;
        let to_version: i64 = on!(to, |c| sqlx::query_scalar(version).fetch_one(c).await)?;
        if from_version != to_version {
            return Err(CopyError::Versions {
                from: from_version,
                to: to_version,
            });
        }
        let known: Vec<String> =
            sqlx::query_scalar("select name from sqlite_master where type = 'table'")
                .fetch_all(sqlite)
                .await?;
        let in_postgres: Vec<String> = sqlx::query_scalar(
            "select table_name::text from information_schema.tables \
             where table_schema = current_schema() and table_type = 'BASE TABLE'",
        )
        .fetch_all(postgres)
        .await?;
        if let Some(unknown) = known
            .iter()
            .chain(&in_postgres)
            .find(|table| !is_derived(table) && !TABLES.iter().any(|(name, _)| name == table))
        {
            return Err(CopyError::UnknownTable(unknown.clone()));
        }
        let mut tables = Vec::new();
        for (table, _) in TABLES {
            let typed: Vec<(String, String, String)> = sqlx::query_as(
                "select column_name::text, data_type::text, udt_name::text \
                 from information_schema.columns \
                 where table_schema = current_schema() and table_name = $1 order by ordinal_position",
            )
            .bind(table)
            .fetch_all(postgres)
            .await?;
            let mut columns = Vec::new();
            for (name, data_type, udt) in typed {
                let kind = match (data_type.as_str(), udt.as_str()) {
                    ("bigint" | "integer" | "smallint", _) => Kind::Int,
                    ("boolean", _) => Kind::Flag,
                    ("double precision" | "real" | "numeric", _) => Kind::Number,
                    ("text" | "character varying", _) | ("USER-DEFINED", "citext") => Kind::Text,
                    ("bytea", _) => Kind::Bytes,
                    _ => {
                        return Err(CopyError::Schema {
                            table: (*table).to_owned(),
                            detail: format!("the column {name} is of the type {data_type}"),
                        });
                    }
                };
                columns.push(Column { name, kind });
            }
            let mut in_sqlite: Vec<String> =
                sqlx::query_scalar("select name from pragma_table_info(?)")
                    .bind(table)
                    .fetch_all(sqlite)
                    .await?;
            let mut in_both: Vec<String> = columns.iter().map(|c| c.name.clone()).collect();
            in_sqlite.sort();
            in_both.sort();
            if in_sqlite != in_both {
                return Err(CopyError::Schema {
                    table: (*table).to_owned(),
                    detail: format!("SQLite has {in_sqlite:?}, PostgreSQL {in_both:?}"),
                });
            }
            tables.push((*table, columns));
        }
        Ok(Schema { tables })
    }

    fn columns(&self, table: &str) -> Vec<Column> {
        self.tables
            .iter()
            .find(|(name, _)| *name == table)
            .map(|(_, columns)| columns.clone())
            .unwrap_or_default()
    }
}

/// A connection that reads one snapshot of the database, whatever is written meanwhile.
async fn snapshot(pool: &Pool) -> Result<Connection, CopyError> {
    let mut connection = pool.acquire().await?;
    by_engine!(
        &mut connection,
        |c| sqlx::query("begin").execute(c).await,
        |c| sqlx::query("begin isolation level repeatable read read only")
            .execute(c)
            .await
            .map(|_| Default::default())
    )?;
    Ok(connection)
}

async fn end_snapshot(mut connection: Connection) -> Result<(), CopyError> {
    on!(&mut connection, |c| sqlx::query("commit")
        .execute(c)
        .await
        .map(|_| ()))?;
    Ok(())
}

/// Runs `sql`, written here from the names of [`TABLES`] and of their columns in the catalogue.
async fn run(tx: &mut Tx, sql: String) -> Result<(), sqlx::Error> {
    on!(tx, |c| sqlx::query(AssertSqlSafe(sql))
        .execute(c)
        .await
        .map(|_| ()))
}

async fn count(tx: &mut Tx, table: &str) -> Result<i64, sqlx::Error> {
    let sql = format!("select count(*) from {table}");
    on!(tx, |c| sqlx::query_scalar(AssertSqlSafe(sql))
        .fetch_one(c)
        .await)
}

/// The statement that reads `columns` of every row of `table`, each as [`Kind`] decodes it.
fn select(postgres: bool, table: &str, columns: &[Column]) -> String {
    let list: Vec<String> = columns
        .iter()
        .map(|column| match (postgres, column.kind) {
            (true, Kind::Text) => format!("{}::text", column.name),
            (true, Kind::Int) => format!("{}::bigint", column.name),
            _ => column.name.clone(),
        })
        .collect();
    format!("select {} from {table}", list.join(", "))
}

/// The values of `row`, one per column.
macro_rules! values {
    ($row:expr, $columns:expr) => {{
        let row = $row;
        let mut values = Vec::with_capacity($columns.len());
        for (i, column) in $columns.iter().enumerate() {
            values.push(match column.kind {
                Kind::Int => row
                    .try_get::<Option<i64>, _>(i)?
                    .map_or(Value::Null, Value::Int),
                Kind::Flag => row
                    .try_get::<Option<bool>, _>(i)?
                    .map_or(Value::Null, Value::Flag),
                Kind::Number => row
                    .try_get::<Option<f64>, _>(i)?
                    .map_or(Value::Null, Value::Number),
                Kind::Text => row
                    .try_get::<Option<String>, _>(i)?
                    .map_or(Value::Null, Value::Text),
                Kind::Bytes => row
                    .try_get::<Option<Vec<u8>>, _>(i)?
                    .map_or(Value::Null, Value::Bytes),
            });
        }
        values
    }};
}

/// Binds `value` of a column of `kind` (a null is bound as that kind's, as PostgreSQL wants it).
macro_rules! push {
    ($builder:expr, $value:expr, $kind:expr) => {
        match ($value, $kind) {
            (Value::Int(value), _) => $builder.push_bind(*value),
            (Value::Flag(value), _) => $builder.push_bind(*value),
            (Value::Number(value), _) => $builder.push_bind(*value),
            (Value::Text(value), _) => $builder.push_bind(value.as_str()),
            (Value::Bytes(value), _) => $builder.push_bind(value.as_slice()),
            (Value::Null, Kind::Int) => $builder.push_bind(None::<i64>),
            (Value::Null, Kind::Flag) => $builder.push_bind(None::<bool>),
            (Value::Null, Kind::Number) => $builder.push_bind(None::<f64>),
            (Value::Null, Kind::Text) => $builder.push_bind(None::<&str>),
            (Value::Null, Kind::Bytes) => $builder.push_bind(None::<&[u8]>),
        }
    };
}

/// Copies the rows of `table`, `later` (a column referring to the same table) filled in last.
async fn copy_table(
    source: &mut Connection,
    tx: &mut Tx,
    table: &str,
    later: Option<&str>,
    columns: &[Column],
) -> Result<u64, CopyError> {
    let later_at = later.and_then(|name| columns.iter().position(|c| c.name == name));
    let id_at = columns.iter().position(|c| c.name == "id");
    let mut batch: Vec<Vec<Value>> = Vec::new();
    let mut bytes = 0;
    let mut links: Vec<(Value, Value)> = Vec::new();
    let mut rows = 0u64;
    let postgres = matches!(source, Connection::Postgres(_));
    let sql = select(postgres, table, columns);
    on!(&mut *source, |c| {
        let mut stream = sqlx::query(AssertSqlSafe(sql)).fetch(c);
        while let Some(row) = stream.try_next().await? {
            let mut values = values!(&row, columns);
            if let (Some(at), Some(id)) = (later_at, id_at)
                && values[at] != Value::Null
            {
                links.push((
                    values[id].clone(),
                    std::mem::replace(&mut values[at], Value::Null),
                ));
            }
            bytes += values.iter().map(Value::size).sum::<usize>();
            batch.push(values);
            rows += 1;
            if batch.len() >= BATCH_ROWS || bytes >= BATCH_BYTES {
                insert(tx, table, columns, &batch).await?;
                batch.clear();
                bytes = 0;
            }
        }
        Ok::<(), CopyError>(())
    })?;
    if !batch.is_empty() {
        insert(tx, table, columns, &batch).await?;
    }
    if let Some(later) = later {
        for (id, value) in &links {
            on!(&mut *tx, |c| {
                let mut update = sqlx::QueryBuilder::new(format!("update {table} set {later} = "));
                push!(update, value, Kind::Int);
                update.push(" where id = ");
                push!(update, id, Kind::Int);
                update.build().execute(c).await.map(|_| ())
            })?;
        }
    }
    Ok(rows)
}

async fn insert(
    tx: &mut Tx,
    table: &str,
    columns: &[Column],
    batch: &[Vec<Value>],
) -> Result<(), sqlx::Error> {
    let names: Vec<&str> = columns.iter().map(|c| c.name.as_str()).collect();
    let prefix = format!("insert into {table} ({}) ", names.join(", "));
    on!(tx, |c| {
        let mut insert = sqlx::QueryBuilder::new(prefix);
        insert.push_values(batch, |mut row, values| {
            for (value, column) in values.iter().zip(columns) {
                push!(row, value, column.kind);
            }
        });
        insert.build().execute(c).await.map(|_| ())
    })
}

/// The highest id `table` has given out on the source (above its rows' ids, when the newest rows
/// were deleted), so that the target never gives one out again: an address with a file's id is
/// cached for a year.
async fn high_water(source: &mut Connection, table: &str) -> Result<i64, sqlx::Error> {
    let max = format!("select coalesce(max(id), 0) from {table}");
    let highest: i64 = on!(&mut *source, |c| sqlx::query_scalar(AssertSqlSafe(max))
        .fetch_one(c)
        .await)?;
    let given: Option<i64> = by_engine!(
        &mut *source,
        |c| sqlx::query_scalar("select seq from sqlite_sequence where name = ?")
            .bind(table)
            .fetch_optional(c)
            .await,
        |c| sqlx::query_scalar(
            "select pg_sequence_last_value(pg_get_serial_sequence($1, 'id')::regclass)"
        )
        .bind(table)
        .fetch_optional(c)
        .await
        .map(Option::flatten)
    )?;
    Ok(highest.max(given.unwrap_or(0)))
}

async fn set_high_water(tx: &mut Tx, table: &str, high: i64) -> Result<(), sqlx::Error> {
    if high == 0 {
        return Ok(());
    }
    by_engine!(
        tx,
        |c| {
            // Only tables declared `autoincrement` keep a high-water mark; SQLite keeps it itself.
            sqlx::query(
                "insert into sqlite_sequence (name, seq) select ?1, ?2 \
                 where exists (select 1 from sqlite_master where name = ?1 \
                               and sql like '%autoincrement%') \
                 and not exists (select 1 from sqlite_sequence where name = ?1)",
            )
            .bind(table)
            .bind(high)
            .execute(&mut *c)
            .await?;
            sqlx::query("update sqlite_sequence set seq = max(seq, ?2) where name = ?1")
                .bind(table)
                .bind(high)
                .execute(c)
                .await
                .map(|_| ())
        },
        |c| sqlx::query(
            "select setval(pg_get_serial_sequence($1, 'id'), $2) \
             where pg_get_serial_sequence($1, 'id') is not null"
        )
        .bind(table)
        .bind(high)
        .execute(c)
        .await
        .map(|_| ())
    )
}

/// How many rows `table` has, and the sum of their hashes: the same rows give the same sum on
/// either engine, in whatever order they are read.
async fn summarize(
    connection: &mut Connection,
    table: &str,
    columns: &[Column],
) -> Result<(u64, u128), CopyError> {
    let postgres = matches!(connection, Connection::Postgres(_));
    let sql = select(postgres, table, columns);
    let mut rows = 0u64;
    let mut sum = 0u128;
    on!(&mut *connection, |c| {
        let mut stream = sqlx::query(AssertSqlSafe(sql)).fetch(c);
        while let Some(row) = stream.try_next().await? {
            let mut hasher = Sha256::new();
            for value in values!(&row, columns) {
                value.hash_into(&mut hasher);
            }
            let digest = hasher.finalize();
            let mut first = [0u8; 16];
            first.copy_from_slice(&digest[..16]);
            sum = sum.wrapping_add(u128::from_le_bytes(first));
            rows += 1;
        }
        Ok::<(), CopyError>(())
    })?;
    Ok((rows, sum))
}
