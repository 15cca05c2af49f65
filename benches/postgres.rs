//! PostgreSQL against SQLite, in one run, on the same site: `copy-database` of it, then each engine's
//! server asked the same things, interleaved, with the same client.
//!
//!     cargo bench --bench postgres
//!
//! Prepares a SQLite database (the seed plus `PAGES` generated pages, default 10,000, and `MEDIA`
//! images, default 100), copies it to a new PostgreSQL database as `skl-cms copy-database` does
//! (timed: the copy, the search index built there, the check), starts the release binary on each
//! and prints, each engine beside the other and their ratio:
//!
//! 1. a hot page (in the render cache: the database is not asked), p50 of 300;
//! 2. a cache miss: the first request for each of 300 pages never asked before, p50 and p99;
//! 3. a search, 200 queries of two words never asked before, p50 and p99;
//! 4. a save of a page's edit form (POST to 303), p50 and p99 of `SAVES` (default 40).
//!
//! Requests go one at a time, alternating between the engines, so that both meet the same machine.
//! PostgreSQL comes from Debian's packages, as a throwaway cluster (`tests/support/postgres.sh`)
//! with PostgreSQL's durable defaults (fsync, synchronous commit; SQLite runs in WAL mode with
//! `synchronous = NORMAL`, so PostgreSQL's saves wait for more), unless `SKL_BENCH_POSTGRES` names a
//! database whose role may create others.

#[path = "support/cluster.rs"]
mod cluster;
#[path = "support/corpus.rs"]
mod corpus;
#[path = "support/server.rs"]
mod server;

use std::{
    path::Path,
    time::{Duration, Instant},
};

use server::{Server, env_or, hidden, ms, percentile};
use skl_cms::{
    change::Author,
    content::transfer,
    db::{self, copy},
    lang::Lang,
    media::library,
};

const PASSWORD: &str = "bänkprov-lösenord";

fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .cookie_store(true)
        .build()
        .expect("client")
}

/// How long a GET of `url` takes to its whole body; asserts `expected`.
async fn timed_get(client: &reqwest::Client, url: &str, expected: u16) -> Duration {
    let started = Instant::now();
    let reply = client.get(url).send().await.expect("request");
    let status = reply.status().as_u16();
    let _ = reply.bytes().await.expect("body");
    assert_eq!(status, expected, "{url}");
    started.elapsed()
}

/// p50 and p99 of `times`, with the ratio of `pg` to `sqlite`.
fn report(what: &str, sqlite: &mut [Duration], pg: &mut [Duration]) {
    sqlite.sort();
    pg.sort();
    let (s50, p50) = (percentile(sqlite, 50.0), percentile(pg, 50.0));
    println!(
        "{what}: SQLite p50 {} p99 {} | PostgreSQL p50 {} p99 {} | p50 ratio {:.2}×",
        ms(s50),
        ms(percentile(sqlite, 99.0)),
        ms(p50),
        ms(percentile(pg, 99.0)),
        p50.as_secs_f64() / s50.as_secs_f64()
    );
}

#[tokio::main]
async fn main() {
    let pages = env_or("PAGES", 10_000) as usize;
    let media = env_or("MEDIA", 100) as usize;
    let saves = env_or("SAVES", 40) as usize;
    let dir = tempfile::tempdir().expect("folder");
    let file = dir.path().join("site.db");

    // The site on SQLite.
    let sqlite = db::open(&file).await.expect("database");
    transfer::seed_if_new(&sqlite).await.expect("seed");
    corpus::fill(&sqlite, pages).await;
    server::add_bench_admin(&sqlite, PASSWORD).await;
    let admin = db::users::find_by_name(&sqlite, "bench")
        .await
        .expect("query")
        .expect("the account");
    let author = Author {
        id: admin.id,
        ip: "127.0.0.1".into(),
    };
    let clock = skl_cms::time::Clock::system();
    for n in 0..media {
        let prepared = library::prepare(library::Upload {
            name: format!("bild-{n}.png"),
            bytes: image(n),
        })
        .await
        .expect("an image");
        // No server runs yet: nothing is cached that the change could make stale.
        let _stored = library::store(&sqlite, &clock, &author, &[prepared], &Default::default())
            .await
            .expect("stored")
            .outcome;
    }
    skl_cms::search::rebuild(&sqlite, &skl_cms::time::now_db())
        .await
        .expect("index");

    // A new PostgreSQL database.
    let (_cluster, base) = match std::env::var("SKL_BENCH_POSTGRES") {
        Ok(url) if !url.is_empty() => (None, url),
        _ => {
            let (cluster, url) = cluster::Cluster::start(56999);
            (Some(cluster), url)
        }
    };
    let name = format!("skl_bench_{}", std::process::id());
    let postgres_url = cluster::new_database(&base, &name).await;
    let location: db::Location = postgres_url.parse().expect("a URL");
    let postgres = location.open().await.expect("opens");

    // copy-database, as the command does it.
    let started = Instant::now();
    copy::copy(&sqlite, &postgres, |_, _| {})
        .await
        .expect("copied");
    let copied = started.elapsed();
    let started = Instant::now();
    skl_cms::search::rebuild(&postgres, &skl_cms::time::now_db())
        .await
        .expect("indexed");
    let indexed = started.elapsed();
    let started = Instant::now();
    let compared = copy::compare(&sqlite, &postgres).await.expect("checked");
    let checked = started.elapsed();
    let same = compared.iter().filter(|table| table.matches()).count();
    let rows: u64 = compared.iter().map(|table| table.source_rows).sum();
    println!(
        "copy-database of {} pages and {media} images ({rows} rows): {:.1} s in all (copy {:.1} s, \
         search index {:.1} s, check {:.1} s); check: {same} of {} tables the same",
        db::pages::count(&sqlite).await.expect("count"),
        (copied + indexed + checked).as_secs_f64(),
        copied.as_secs_f64(),
        indexed.as_secs_f64(),
        checked.as_secs_f64(),
        compared.len()
    );
    let paths: Vec<(Lang, String)> = sqlx::query_as(
        "select lang, path from pages where status = 'published' and path like '%/%' \
         order by id desc limit 300",
    )
    .fetch_all(sqlite.sqlite().expect("SQLite"))
    .await
    .expect("paths");
    let page_id = db::pages::id_by_path(&sqlite, Lang::Sv, "om-oss")
        .await
        .expect("query")
        .expect("page");
    sqlite.close().await;
    postgres.close().await;

    // Both servers, asked alike.
    let servers = [
        Server::start(&file).await,
        Server::start(Path::new(&postgres_url)).await,
    ];
    let client = client();
    let (mut hot, mut miss, mut search, mut save) = (
        [vec![], vec![]],
        [vec![], vec![]],
        [vec![], vec![]],
        [vec![], vec![]],
    );
    for server in &servers {
        timed_get(&client, &format!("{}/", server.base), 200).await;
    }
    for _ in 0..300 {
        for (at, server) in servers.iter().enumerate() {
            hot[at].push(timed_get(&client, &format!("{}/", server.base), 200).await);
        }
    }
    for (lang, path) in &paths {
        for (at, server) in servers.iter().enumerate() {
            let url = format!("{}{}", server.base, lang.page_url(path));
            miss[at].push(timed_get(&client, &url, 200).await);
        }
    }
    let words = corpus::vocabulary(Lang::Sv);
    for n in 0..200 {
        let query = format!(
            "{} {}",
            words[(n * 7) % words.len()],
            words[(n * 13 + 5) % words.len()]
        );
        for (at, server) in servers.iter().enumerate() {
            let url = format!("{}/sok?q={}", server.base, query.replace(' ', "+"));
            search[at].push(timed_get(&client, &url, 200).await);
        }
    }
    let editors = [
        client_logged_in(&servers[0].base).await,
        client_logged_in(&servers[1].base).await,
    ];
    let mut versions = [0i64; 2];
    let mut tokens = [String::new(), String::new()];
    for (at, server) in servers.iter().enumerate() {
        let form = server::page_text(
            &editors[at],
            &format!("{}/admin/pages/{page_id}", server.base),
        )
        .await;
        tokens[at] = hidden(&form, "csrf");
        versions[at] = hidden(&form, "version").parse().expect("version");
    }
    for n in 0..saves {
        for (at, server) in servers.iter().enumerate() {
            let fields = [
                ("csrf", tokens[at].clone()),
                ("version", versions[at].to_string()),
                ("title", "Om SKL International".to_owned()),
                ("path", "om-oss".to_owned()),
                (
                    "body",
                    format!("Ändring nummer {n}. {}", "Mer text. ".repeat(100)),
                ),
                ("kind", "page".to_owned()),
                ("action", "publish".to_owned()),
            ];
            let started = Instant::now();
            let reply = editors[at]
                .post(format!("{}/admin/pages/{page_id}", server.base))
                .header("origin", &server.base)
                .form(&fields)
                .send()
                .await
                .expect("save");
            save[at].push(started.elapsed());
            assert_eq!(reply.status(), reqwest::StatusCode::SEE_OTHER, "save {n}");
            versions[at] += 1;
        }
    }
    println!(
        "{} pages on each; requests one at a time, alternating between the engines",
        paths.len().max(pages)
    );
    let [s, p] = &mut hot;
    report("hot page (render cache)", s, p);
    let [s, p] = &mut miss;
    report("cache miss (first request of a page)", s, p);
    let [s, p] = &mut search;
    report("search (two words, never asked before)", s, p);
    let [s, p] = &mut save;
    report("save (POST of the edit form to 303)", s, p);
}

/// A client logged in as the benchmark's administrator at `base`.
async fn client_logged_in(base: &str) -> reqwest::Client {
    let editor = client();
    server::log_in(&editor, base, "bench", PASSWORD).await;
    editor
}

/// Image `n`: a PNG of 1,200 × 800 pixels, different for each `n`.
fn image(n: usize) -> Vec<u8> {
    let mut pixels = image::RgbImage::new(1200, 800);
    for (x, y, pixel) in pixels.enumerate_pixels_mut() {
        let shade = ((x as usize * 3 + y as usize * 5 + n * 17) % 256) as u8;
        *pixel = image::Rgb([shade, shade.wrapping_add(n as u8), 255 - shade]);
    }
    let mut bytes = Vec::new();
    image::DynamicImage::ImageRgb8(pixels)
        .write_to(
            &mut std::io::Cursor::new(&mut bytes),
            image::ImageFormat::Png,
        )
        .expect("a PNG");
    bytes
}
