//! Where the database is, as an operator names it (`--database`, `SKL_DATABASE`): a file path for
//! SQLite, the default, or a `postgres://` URL. Opening either creates nothing but what the engine
//! needs and applies the migrations of its engine.

use std::{fmt, path::PathBuf, str::FromStr, time::Duration};

use sqlx::{
    migrate::{MigrateError, Migrator},
    postgres::{PgConnectOptions, PgPoolOptions},
};

use super::{OpenError, Pool};

/// The migrations of the PostgreSQL schema in `migrations/postgres/`, compiled into the binary.
pub static POSTGRES_MIGRATOR: Migrator = sqlx::migrate!("migrations/postgres");

/// The PostgreSQL extensions the schema uses, with the package that has them.
const EXTENSIONS: [&str; 3] = ["citext", "unaccent", "pg_trgm"];

/// A database, by where it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Location {
    /// A SQLite file, created with its folder if missing.
    File(PathBuf),
    /// A PostgreSQL database, by its URL (`postgres://user:password@host:port/name`).
    Postgres(String),
}

impl FromStr for Location {
    type Err = String;

    fn from_str(text: &str) -> Result<Location, String> {
        if text.starts_with("postgres://") || text.starts_with("postgresql://") {
            PgConnectOptions::from_str(text).map_err(|error| {
                format!("{} is not a PostgreSQL address: {error}", redact(text))
            })?;
            return Ok(Location::Postgres(text.to_owned()));
        }
        if let Some(path) = text.strip_prefix("sqlite://") {
            return Ok(Location::File(PathBuf::from(path)));
        }
        if let Some((scheme, _)) = text.split_once("://") {
            return Err(format!(
                "{scheme}:// is not a database skl-cms can use: give a file path for SQLite, or a \
                 postgres:// address for PostgreSQL"
            ));
        }
        if text.trim().is_empty() {
            return Err(
                "the database setting is empty: give a file path or a postgres:// address".into(),
            );
        }
        Ok(Location::File(PathBuf::from(text)))
    }
}

impl fmt::Display for Location {
    /// The file's path, or the URL without its password: safe to log and to show.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Location::File(path) => write!(f, "{}", path.display()),
            Location::Postgres(url) => f.write_str(&redact(url)),
        }
    }
}

impl Location {
    /// The SQLite file, if the database is one.
    pub fn file(&self) -> Option<&std::path::Path> {
        match self {
            Location::File(path) => Some(path),
            Location::Postgres(_) => None,
        }
    }

    /// Whether there is a database here to read: a file that exists, or any PostgreSQL address
    /// (whether it answers is for opening to find out).
    pub fn exists(&self) -> bool {
        match self {
            Location::File(path) => path.exists(),
            Location::Postgres(_) => true,
        }
    }

    /// Opens and migrates the database: creates a SQLite file (and its folder) if missing; on
    /// PostgreSQL, checks that the extensions the schema needs are installed.
    pub async fn open(&self) -> Result<Pool, OpenError> {
        match self {
            Location::File(path) => super::open(path).await,
            Location::Postgres(url) => open_postgres(url).await,
        }
    }
}

/// `url` with its password replaced by `***`.
fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme_end), Some(at)) if at > scheme_end => {
            let credentials = &url[scheme_end + 3..at];
            match credentials.split_once(':') {
                Some((user, _)) => format!("{}{user}:***{}", &url[..scheme_end + 3], &url[at..]),
                None => url.to_owned(),
            }
        }
        _ => url.to_owned(),
    }
}

/// The name this process's connections give PostgreSQL (`application_name`), its own among every
/// instance on the database: the trigger that notifies a change names the connection that made it,
/// so that an instance tells changes of its own, which it has shown already, from the others'
/// (see [`super::changes::Notices`]).
fn instance_name() -> String {
    let mut bytes = [0u8; 6];
    // Without the operating system's randomness the process id still tells instances on one
    // machine apart; on two machines a clash costs only a cache emptied once more than needed.
    let _ = getrandom::fill(&mut bytes);
    let random: String = bytes.iter().map(|byte| format!("{byte:02x}")).collect();
    format!("skl-cms {} {random}", std::process::id())
}

async fn open_postgres(url: &str) -> Result<Pool, OpenError> {
    let shown = redact(url);
    let options = PgConnectOptions::from_str(url)
        .map_err(OpenError::connect(&shown))?
        .application_name(&instance_name());
    let pool = PgPoolOptions::new()
        // Several instances share the server's connections: each keeps a few.
        .max_connections(8)
        .min_connections(1)
        .acquire_timeout(Duration::from_secs(5))
        .connect_with(options)
        .await
        .map_err(OpenError::connect(&shown))?;
    let missing: Vec<String> = sqlx::query_scalar(
        "select name from unnest($1::text[]) as name \
         where name not in (select name from pg_available_extensions)",
    )
    .bind(EXTENSIONS)
    .fetch_all(&pool)
    .await
    .map_err(OpenError::connect(&shown))?;
    if !missing.is_empty() {
        return Err(OpenError::MissingExtensions {
            path: shown,
            names: missing.join(", "),
        });
    }
    // Text search splits words by the database's idea of a letter.
    let letters: bool =
        sqlx::query_scalar("select to_tsvector('simple', 'fjärrvärme') = 'fjärrvärme:1'")
            .fetch_one(&pool)
            .await
            .map_err(OpenError::connect(&shown))?;
    if !letters {
        return Err(OpenError::NoLetters { path: shown });
    }
    match POSTGRES_MIGRATOR.run(&pool).await {
        Ok(()) => Ok(Pool::Postgres(pool)),
        Err(MigrateError::VersionMissing(version)) => Err(OpenError::NewerSchema {
            path: shown,
            version,
        }),
        Err(source) => Err(OpenError::Migrate {
            path: shown,
            source,
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::Location;

    #[test]
    fn a_path_is_sqlite_and_a_postgres_url_is_postgres() {
        assert_eq!(
            "data/site.db".parse::<Location>(),
            Ok(Location::File("data/site.db".into()))
        );
        let url = "postgres://cms:hemligt@db.example:5432/site";
        assert_eq!(url.parse::<Location>(), Ok(Location::Postgres(url.into())));
        assert_eq!(
            url.parse::<Location>().expect("a location").to_string(),
            "postgres://cms:***@db.example:5432/site",
            "the password is never shown"
        );
        let refused = "mysql://cms@db/site"
            .parse::<Location>()
            .expect_err("refused");
        assert!(refused.contains("mysql://"), "{refused}");
        assert!(refused.contains("postgres://"), "{refused}");
    }
}
