//! PostgreSQL itself: several instances on one database, and the database refused with a sentence
//! an operator can act on. Every other test file runs on PostgreSQL too when `SKL_TEST_POSTGRES`
//! is set (CI's second pass); the tests here that need a server run only then.

mod common;

use std::time::{Duration, Instant};

use common::{TestApp, page};
use skl_cms::db::{Location, OpenError};

/// The server of `SKL_TEST_POSTGRES`, or None (with a note) on the SQLite pass.
fn server() -> Option<String> {
    match std::env::var("SKL_TEST_POSTGRES") {
        Ok(url) if !url.is_empty() => Some(url),
        _ => {
            eprintln!("SKIPPED here: runs in the PostgreSQL pass (SKL_TEST_POSTGRES, CI's second)");
            None
        }
    }
}

/// The URL of database `name` on the server of `base`.
fn database_url(base: &str, name: &str) -> String {
    let (server, _) = base.rsplit_once('/').expect("a database URL");
    format!("{server}/{name}")
}

#[tokio::test]
async fn an_edit_on_one_instance_is_shown_by_the_other_within_a_second() {
    if server().is_none() {
        return;
    }
    let first = TestApp::spawn().await;
    let second = TestApp::spawn_beside(&first).await;
    let mut edits = Vec::new();
    for n in 0..10 {
        let path = format!("sida-{n}");
        // The other instance has the page's address cached as missing.
        assert_eq!(second.get(&format!("/{path}")).await.status, 404);
        assert_eq!(second.get(&format!("/{path}")).await.status, 404);
        let started = Instant::now();
        first.add_page(&page(&path, &format!("Sida {n}"))).await;
        while second.get(&format!("/{path}")).await.status != 200 {
            assert!(
                started.elapsed() < Duration::from_secs(1),
                "edit {n} not shown by the other instance within a second"
            );
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        edits.push(started.elapsed());
    }
    eprintln!("edit to visible on the other instance: {edits:?}");
    // An instance's own edit empties only what it changed, although PostgreSQL notifies every
    // listener of it: the first instance's cache keeps its other pages.
    first.get("/om-oss").await;
    first.get("/om-oss").await;
    assert!(first.state.cache.contains("/om-oss"));
    first.add_page(&page("egen", "Egen")).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(
        first.state.cache.contains("/om-oss"),
        "its own change's notice is not taken for another's"
    );
    // The other instance is told what the edit changed, and forgets only that.
    second.get("/om-oss").await;
    second.get("/om-oss").await;
    assert!(second.state.cache.contains("/om-oss"));
    let started = Instant::now();
    first.add_page(&page("annan", "Annan")).await;
    while second.get("/annan").await.status != 200 {
        assert!(
            started.elapsed() < Duration::from_secs(1),
            "shown within a second"
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    assert!(
        second.state.cache.contains("/om-oss"),
        "a page the edit did not touch stays cached on the other instance"
    );
}

#[tokio::test]
async fn a_database_of_a_newer_version_is_refused() {
    if server().is_none() {
        return;
    }
    let dir = tempfile::tempdir().expect("folder");
    let location = common::location(dir.path()).await;
    let pool = location.open().await.expect("opens");
    on_pool!(&pool, |pool| sqlx::query(
        "insert into _sqlx_migrations (version, description, success, checksum, execution_time) \
         values (9999, 'from the future', true, '\\x00', 0)"
    )
    .execute(pool)
    .await
    .map(|_| ())
    .expect("a migration from a newer version"));
    pool.close().await;
    let refused = location.open().await.expect_err("refused");
    assert!(
        matches!(refused, OpenError::NewerSchema { version: 9999, .. }),
        "{refused}"
    );
    assert!(refused.to_string().contains("newer version of skl-cms"));
}

#[tokio::test]
async fn a_database_that_knows_no_letters_is_refused_with_what_to_do() {
    let Some(base) = server() else {
        return;
    };
    let name = format!("skl_test_ascii_{}", std::process::id());
    let admin = sqlx::PgPool::connect(&base).await.expect("server");
    for statement in [
        format!("drop database if exists {name}"),
        format!(
            "create database {name} encoding 'SQL_ASCII' lc_ctype 'C' lc_collate 'C' \
             template template0"
        ),
    ] {
        sqlx::query(sqlx::AssertSqlSafe(statement))
            .execute(&admin)
            .await
            .expect("the database");
    }
    let refused = Location::Postgres(database_url(&base, &name))
        .open()
        .await
        .expect_err("refused");
    assert!(matches!(refused, OpenError::NoLetters { .. }), "{refused}");
    assert!(
        refused.to_string().contains("LC_CTYPE 'C.UTF-8'"),
        "{refused}"
    );
}

#[tokio::test]
async fn an_unreachable_server_is_named_without_its_password() {
    // Nothing listens on port 1: no server is needed to see this.
    let location: Location = "postgres://cms:hemligt@127.0.0.1:1/site"
        .parse()
        .expect("a PostgreSQL URL");
    let refused = location.open().await.expect_err("refused");
    let said = refused.to_string();
    assert!(
        said.contains("postgres://cms:***@127.0.0.1:1/site"),
        "{said}"
    );
    assert!(!said.contains("hemligt"), "{said}");
}

/// A PostgreSQL cluster of the test's own (`tests/support/postgres.sh`), to stop and start again.
struct Cluster {
    dir: tempfile::TempDir,
    port: u16,
}

impl Cluster {
    /// A new cluster on a free port. A port found free may be taken by another test's listener
    /// before PostgreSQL binds it, so a failed start is tried again on another.
    fn start() -> Cluster {
        for _ in 0..3 {
            let cluster = Cluster {
                dir: tempfile::tempdir().expect("folder"),
                port: common::nginx::free_port(),
            };
            if cluster.try_run("start") {
                return cluster;
            }
        }
        panic!("no cluster started in three tries");
    }

    fn url(&self) -> String {
        format!("postgres://skl@127.0.0.1:{}/skl", self.port)
    }

    fn run(&self, command: &str) {
        assert!(self.try_run(command), "postgres.sh {command}");
    }

    /// Runs `postgres.sh COMMAND` on this cluster; on a failure, shows the server's log.
    fn try_run(&self, command: &str) -> bool {
        let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/support/postgres.sh");
        let data = self.dir.path().join("data");
        let status = std::process::Command::new("bash")
            .arg(script)
            .arg(command)
            .arg(&data)
            .arg(self.port.to_string())
            .stdout(std::process::Stdio::null())
            .status()
            .expect("the script runs");
        if !status.success() {
            let log = std::fs::read_to_string(data.join("server.log")).unwrap_or_default();
            eprintln!("postgres.sh {command} on port {} failed:\n{log}", self.port);
        }
        status.success()
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/support/postgres.sh");
        let _ = std::process::Command::new("bash")
            .args([script, "stop"])
            .arg(self.dir.path().join("data"))
            .status();
    }
}

#[tokio::test]
async fn a_database_lost_while_serving_keeps_cached_pages_served_and_comes_back_by_itself() {
    if server().is_none() {
        return;
    }
    let cluster = Cluster::start();
    let app = TestApp::spawn_at(cluster.url().parse().expect("a URL")).await;
    assert_eq!(app.get("/om-oss").await.status, 200);
    assert!(app.state.cache.contains("/om-oss"));
    app.add_user(
        "anna",
        skl_cms::vocab::Role::Editor,
        common::admin::PASSWORD,
    )
    .await;
    let editor = app.login("anna", common::admin::PASSWORD).await;
    let about = skl_cms::db::pages::id_by_path(app.db(), skl_cms::lang::Lang::Sv, "om-oss")
        .await
        .expect("query")
        .expect("the page");
    let mut fields = editor.edit_form(about).await;
    let text = "En text skriven medan databasen var borta, som inte får försvinna.";
    common::set_field(&mut fields, "body", text);
    common::set_field(&mut fields, "action", "publish");

    cluster.run("stop");
    // A save: refused with 503, everything typed given back in a form that sends it again.
    let refused = editor
        .post(&format!("/admin/pages/{about}"), &common::as_pairs(&fields))
        .await;
    assert_eq!(refused.status, 503, "{}", refused.text());
    assert_eq!(refused.header("retry-after"), Some("30"));
    let kept = common::form_fields(&refused.text(), "edit-form");
    assert!(
        kept.contains(&("body".to_owned(), text.to_owned())),
        "{kept:?}"
    );
    assert!(refused.text().contains("kunde inte sparas"));
    assert_eq!(
        app.get("/om-oss").await.status,
        200,
        "a cached page is served"
    );
    let away = app.get("/sa-arbetar-vi").await;
    assert_eq!(away.status, 503, "{}", away.text());
    assert_eq!(away.header("retry-after"), Some("30"));
    assert!(away.text().contains("</html>"), "a page says so");
    let search = app.get("/sok?q=kommun").await;
    assert_eq!(search.status, 503, "{}", search.text());

    cluster.run("start");
    let started = Instant::now();
    while app.get("/sa-arbetar-vi").await.status != 200 {
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "the site recovers without a restart"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(app.get("/sok?q=kommun").await.status, 200);
    // The form given back, sent again, saves.
    editor
        .post(&format!("/admin/pages/{about}"), &common::as_pairs(&kept))
        .await
        .assert_redirect();
    assert!(app.get("/om-oss").await.text().contains(text));
}

#[tokio::test]
async fn a_login_holds_on_every_instance_and_failed_attempts_count_on_all_of_them() {
    if server().is_none() {
        return;
    }
    let first = TestApp::spawn().await;
    let second = TestApp::spawn_beside(&first).await;
    first
        .add_user(
            "anna",
            skl_cms::vocab::Role::Editor,
            common::admin::PASSWORD,
        )
        .await;
    // Cookies go by host, not port: the same browser, sent to the other instance.
    let logged_in = first.login("anna", common::admin::PASSWORD).await;
    let elsewhere = common::Browser {
        base: second.url(""),
        client: logged_in.client.clone(),
    };
    assert_eq!(
        elsewhere.get("/admin").await.status,
        200,
        "the session holds"
    );

    // Wrong passwords, some on each instance: the throttle counts them together.
    let limit = skl_cms::accounts::MAX_FAILURES_PER_USERNAME;
    for n in 0..limit {
        let app = if n % 2 == 0 { &first } else { &second };
        let reply = app.browser().log_in("anna", "fel lösenord igen").await;
        assert_eq!(reply.status, 401, "attempt {n}: {}", reply.text());
    }
    for app in [&first, &second] {
        let reply = app.browser().log_in("anna", common::admin::PASSWORD).await;
        assert_eq!(
            reply.status,
            429,
            "throttled on both, the right password too: {}",
            reply.text()
        );
    }
}

#[tokio::test]
async fn once_only_work_is_leased_to_one_instance_and_taken_over_when_it_dies() {
    use skl_cms::db::lease::{Lease, Work};
    if server().is_none() {
        return;
    }
    let dir = tempfile::tempdir().expect("folder");
    let location = common::location(dir.path()).await;
    let (one, other) = (
        location.open().await.expect("opens"),
        location.open().await.expect("opens"),
    );
    let mut first = Lease::new(&one, Work::SchedulePurge);
    let mut second = Lease::new(&other, Work::SchedulePurge);
    assert!(first.hold().await, "the first to ask takes it");
    for _ in 0..3 {
        assert!(!second.hold().await, "while it is held, no one else has it");
        assert!(first.hold().await, "and its holder keeps it");
    }
    // The holder's process ends as a killed one would: its connections close with it.
    drop(first);
    one.close().await;
    let started = Instant::now();
    while !second.hold().await {
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "the other instance takes the lease over within seconds"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    eprintln!("lease taken over after {:?}", started.elapsed());
    assert!(second.hold().await);
}
