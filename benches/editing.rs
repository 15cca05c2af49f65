//! What editors feel: how long saving an edit takes with 1,000 pages in the database, and whether
//! logins (argon2id, deliberately slow) hold up visitors.
//!
//!     cargo bench --bench editing
//!
//! Prepares a database (the seed plus 1,000 pages, an account), starts the release binary on it as its
//! own process, and drives it over HTTP on loopback:
//!
//! 1. Saves: the edit form of one page is posted again and again, each time based on the version the
//!    previous save made, and every POST is timed until its 303. Each save writes the page, a
//!    revision and an audit entry, and empties the render cache.
//! 2. Logins: public page latency is measured alone, then while 10 clients log in over and over.
//!
//! Environment: `SAVES` (default 300), `SECONDS` (default 5) per latency phase.

#[path = "support/server.rs"]
mod server;

use std::{
    sync::{
        Arc,
        atomic::{AtomicBool, AtomicUsize, Ordering},
    },
    time::{Duration, Instant},
};

use skl_cms::{
    auth,
    content::transfer,
    db::{self, pages::Content},
    lang::Lang,
    time::{self, DatePrecision},
    vocab::{Kind, RevisionKind, Role, Status},
};

use server::{Server, env_or, hidden, ms, percentile};

const PASSWORD: &str = "ett långt lösenord för mätningen";

fn client() -> reqwest::Client {
    server::editor_client()
}

/// Requests `path` from `clients` concurrent clients for `seconds`, timing each request.
async fn public_latency(base: &str, path: &str, clients: usize, seconds: u64) -> Vec<Duration> {
    let stop = Arc::new(AtomicBool::new(false));
    let mut tasks = Vec::new();
    for _ in 0..clients {
        let url = format!("{base}{path}");
        let stop = Arc::clone(&stop);
        tasks.push(tokio::spawn(async move {
            let client = reqwest::Client::new();
            let mut times = Vec::new();
            while !stop.load(Ordering::Relaxed) {
                let started = Instant::now();
                let reply = client.get(&url).send().await.expect("page");
                let _ = reply.bytes().await.expect("body");
                times.push(started.elapsed());
            }
            times
        }));
    }
    tokio::time::sleep(Duration::from_secs(seconds)).await;
    stop.store(true, Ordering::Relaxed);
    let mut all = Vec::new();
    for task in tasks {
        all.extend(task.await.expect("task"));
    }
    all.sort();
    all
}

#[tokio::main]
async fn main() {
    let saves = env_or("SAVES", 300);
    let seconds = env_or("SECONDS", 5);
    let dir = tempfile::tempdir().expect("temporary folder");
    let database = dir.path().join("bench.db");

    // The database: the seed, 1,000 more pages with a revision each, and one account.
    let pool = db::open(&database).await.expect("database");
    transfer::seed_if_new(&pool).await.expect("seed");
    let now = time::now_db();
    let mut tx = db::begin_write(&pool).await.expect("transaction");
    for n in 0..1000 {
        let body = format!(
            "## Sida {n}\n\n{}",
            "Lite text om kommunernas arbete. ".repeat(40)
        );
        let lang = if n % 2 == 0 { Lang::Sv } else { Lang::En };
        let body_html = skl_cms::content::markdown::render(&body);
        let page = Content {
            path: format!("sektion-{}/sida-{n}", n % 20),
            title: format!("Sida {n}"),
            description: String::new(),
            body_md: body,
            kind: if n % 10 == 0 { Kind::News } else { Kind::Page },
            status: Status::Published,
            publish_at: Some(now.to_string()),
            date_precision: DatePrecision::Day,
            menu_order: None,
            translation_key: None,
            archived: false,
        };
        let id = db::pages::insert(&mut tx, lang, &page, &body_html, &now)
            .await
            .expect("page");
        db::revisions::record(&mut tx, id, None, RevisionKind::Imported, "bench", &now)
            .await
            .expect("revision");
    }
    tx.commit().await.expect("commit");
    let hash = auth::hash_password(PASSWORD.to_owned())
        .await
        .expect("hash");
    db::users::insert(&pool, "bench", "Bench", &hash, Role::Admin, &now)
        .await
        .expect("user");
    let page_id = db::pages::id_by_path(&pool, Lang::Sv, "sektion-4/sida-504")
        .await
        .expect("query")
        .expect("page");
    let pages = db::pages::count(&pool).await.expect("count");
    pool.close().await;

    // The server, as its own process.
    let server = Server::start(&database).await;
    let base = server.base.clone();

    // 1. Saves.
    let editor = client();
    server::log_in(&editor, &base, "bench", PASSWORD).await;
    let form = server::page_text(&editor, &format!("{base}/admin/pages/{page_id}")).await;
    let csrf = hidden(&form, "csrf");
    let first_version: i64 = hidden(&form, "version").parse().expect("version");
    let mut times = Vec::new();
    for (version, n) in (first_version..).zip(0..saves) {
        let body = format!(
            "## Sida 504\n\nÄndring nummer {n}. {}",
            "Mer text. ".repeat(100)
        );
        let fields = [
            ("csrf", csrf.clone()),
            ("version", version.to_string()),
            ("title", "Sida 504".to_owned()),
            ("path", "sektion-4/sida-504".to_owned()),
            ("body", body),
            ("kind", "page".to_owned()),
            ("action", "publish".to_owned()),
        ];
        let started = Instant::now();
        let reply = editor
            .post(format!("{base}/admin/pages/{page_id}"))
            .header("origin", &base)
            .form(&fields)
            .send()
            .await
            .expect("save");
        let elapsed = started.elapsed();
        assert_eq!(
            reply.status(),
            reqwest::StatusCode::SEE_OTHER,
            "save {n} works"
        );
        times.push(elapsed);
    }
    times.sort();
    println!("pages in the database: {pages}");
    println!(
        "save an edit (POST to 303, with revision, audit entry and cache invalidation), {saves} saves: \
         p50 {}, p95 {}, p99 {}, max {}",
        ms(percentile(&times, 50.0)),
        ms(percentile(&times, 95.0)),
        ms(percentile(&times, 99.0)),
        ms(percentile(&times, 100.0)),
    );

    // 2. Public pages alone, then while 10 clients log in again and again.
    let alone = public_latency(&base, "/om-oss", 2, seconds).await;
    let stop = Arc::new(AtomicBool::new(false));
    let logins = Arc::new(AtomicUsize::new(0));
    let mut loggers = Vec::new();
    for _ in 0..10 {
        let (base, stop, logins) = (base.clone(), Arc::clone(&stop), Arc::clone(&logins));
        loggers.push(tokio::spawn(async move {
            let mut times = Vec::new();
            while !stop.load(Ordering::Relaxed) {
                times.push(server::log_in(&client(), &base, "bench", PASSWORD).await);
                logins.fetch_add(1, Ordering::Relaxed);
            }
            times
        }));
    }
    // Let the logins queue up before measuring.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let during = public_latency(&base, "/om-oss", 2, seconds).await;
    stop.store(true, Ordering::Relaxed);
    let mut login_times = Vec::new();
    for logger in loggers {
        login_times.extend(logger.await.expect("logger"));
    }
    login_times.sort();
    println!(
        "public page /om-oss alone: {} requests, p50 {}, p99 {}",
        alone.len(),
        ms(percentile(&alone, 50.0)),
        ms(percentile(&alone, 99.0)),
    );
    println!(
        "public page /om-oss while 10 clients log in: {} requests, p50 {}, p99 {}",
        during.len(),
        ms(percentile(&during, 50.0)),
        ms(percentile(&during, 99.0)),
    );
    println!(
        "logins meanwhile: {} in {:.1} s, each p50 {}, p99 {}",
        logins.load(Ordering::Relaxed),
        seconds as f64 + 0.5,
        ms(percentile(&login_times, 50.0)),
        ms(percentile(&login_times, 99.0)),
    );

    drop(server);
}
