//! A throwaway PostgreSQL cluster from Debian's packages (`tests/support/postgres.sh`), with
//! PostgreSQL's durable defaults, for the benchmarks that run on PostgreSQL.

/// A throwaway cluster, stopped when dropped.
pub struct Cluster {
    dir: tempfile::TempDir,
}

const SCRIPT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/support/postgres.sh");

impl Cluster {
    pub fn start(port: u16) -> (Cluster, String) {
        let dir = tempfile::tempdir().expect("folder");
        let output = std::process::Command::new("bash")
            .arg(SCRIPT)
            .arg("start")
            .arg(dir.path().join("data"))
            .arg(port.to_string())
            .env("SKL_PG_DURABLE", "1")
            .output()
            .expect("postgres.sh runs");
        assert!(output.status.success(), "the cluster starts");
        let url = String::from_utf8(output.stdout).expect("a URL");
        (Cluster { dir }, url.trim().to_owned())
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        let _ = std::process::Command::new("bash")
            .arg(SCRIPT)
            .arg("stop")
            .arg(self.dir.path().join("data"))
            .status();
    }
}

/// A new, empty database `name` on the server of `base` (a URL whose role may create databases),
/// and its URL.
pub async fn new_database(base: &str, name: &str) -> String {
    let server = sqlx::PgPool::connect(base).await.expect("the server");
    for statement in [
        format!("drop database if exists {name}"),
        format!("create database {name}"),
    ] {
        sqlx::query(sqlx::AssertSqlSafe(statement))
            .execute(&server)
            .await
            .expect("a database");
    }
    server.close().await;
    format!("{}/{name}", base.rsplit_once('/').expect("a URL").0)
}
