//! Two `skl-cms serve` processes on one PostgreSQL database behind the real nginx, with
//! `deploy/nginx-upstream.conf` as shipped (its TLS replaced by plain loopback): both answer, a
//! login holds whichever instance answers, and when one is killed (SIGKILL, as a crash would) every
//! request still gets its page from the other. Runs in CI's PostgreSQL pass.

mod common;

use std::path::Path;

use common::{
    Browser,
    admin::PASSWORD,
    binary::Server,
    nginx::{self, Nginx, free_port},
};
use reqwest::StatusCode;
use skl_cms::{auth, db, time, vocab::Role};

fn port_of(server: &Server) -> u16 {
    server
        .base
        .rsplit(':')
        .next()
        .and_then(|port| port.parse().ok())
        .expect("a port")
}

#[tokio::test]
async fn behind_the_shipped_balancer_a_killed_instance_costs_no_request() {
    let Ok(_) = std::env::var("SKL_TEST_POSTGRES") else {
        eprintln!("SKIPPED here: runs in the PostgreSQL pass (SKL_TEST_POSTGRES, CI's second)");
        return;
    };
    if !nginx::present("the balancer test") {
        return;
    }
    let dir = tempfile::tempdir().expect("folder");
    let db::Location::Postgres(url) = common::location(dir.path()).await else {
        panic!("a PostgreSQL database");
    };
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let settings = [
        ("SKL_TRUSTED_PROXIES", "127.0.0.1"),
        ("SKL_BASE_URL", base.as_str()),
    ];
    // The first seeds the database; the second starts on it seeded.
    let first = Server::start_with(Path::new(&url), &settings);
    first.wait_until_ready().await;
    let second = Server::start_with(Path::new(&url), &settings);
    second.wait_until_ready().await;
    let pool = db::Location::Postgres(url.clone())
        .open()
        .await
        .expect("opens");
    let hash = auth::hash_password(PASSWORD.to_owned())
        .await
        .expect("hash");
    db::users::insert(&pool, "anna", "Anna", &hash, Role::Editor, &time::now_db())
        .await
        .expect("insert")
        .expect("a new name");

    let conf = nginx::balancer(port_of(&first), port_of(&second), port);
    let work = tempfile::tempdir().expect("folder");
    let balancer = Nginx::start(work.path(), &conf, port);

    // A login through the balancer holds on both instances: its requests go round them.
    let editor = Browser::at(&balancer.base);
    editor.log_in("anna", PASSWORD).await.assert_redirect();
    for _ in 0..6 {
        assert_eq!(editor.get("/admin").await.status, 200);
    }
    let visitor = reqwest::Client::new();
    let visit = |path: &'static str| {
        let visitor = visitor.clone();
        let base = balancer.base.clone();
        async move {
            visitor
                .get(format!("{base}{path}"))
                .send()
                .await
                .map(|reply| reply.status())
        }
    };
    for path in ["/", "/om-oss", "/en/", "/sitemap.xml"] {
        assert_eq!(visit(path).await.ok(), Some(StatusCode::OK), "{path}");
    }

    // One instance crashes while visitors keep coming: nginx passes their requests to the other.
    first.kill();
    let mut statuses = Vec::new();
    for _ in 0..40 {
        statuses.push(visit("/om-oss").await.ok());
    }
    assert!(
        statuses
            .iter()
            .all(|status| *status == Some(StatusCode::OK)),
        "every request answered 200 with one instance gone: {statuses:?}"
    );
    assert_eq!(
        editor.get("/admin").await.status,
        200,
        "the editor is still logged in on the instance left"
    );
    second.kill();
}
