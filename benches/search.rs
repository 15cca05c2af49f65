//! Search at size: how long building the index takes for 10,000 generated pages, how long searches
//! take on the server, and how many searches a second it answers beside a cached page.
//!
//!     cargo bench --bench search
//!
//! Prepares a database (the seed plus `PAGES` generated pages, default 10,000, of 300–2,000 words in
//! Swedish and English from the seed's vocabulary; see `benches/support/corpus.rs`), times a full
//! rebuild of the search index, starts the release binary on it as its own process, and then:
//!
//! 1. Latency: 60 queries (single words, compounds, folded spellings, phrases, exclusions, short,
//!    rare and very common words, both languages) from one keep-alive client on loopback, every
//!    request timed until its body is read: each query the first time (the index is asked), then
//!    `ROUNDS` times more (default 10; the bounded cache of results answers).
//! 2. Throughput: `wrk -t2 -c16` for `SECONDS` (default 5) on `/sok?q=kommun` and on the cached page
//!    `/om-oss`, interleaved, two rounds each, if `wrk` is installed (`bash bench/run.sh` installs it).

#[path = "support/corpus.rs"]
mod corpus;
#[path = "support/server.rs"]
mod server;

use std::time::{Duration, Instant};

use server::{Server, env_or, ms, percentile};
use skl_cms::{content::transfer, db};

const QUERIES: &[&str] = &[
    // Swedish words, common and less so
    "kommun",
    "kommuner",
    "kommunerna",
    "projekt",
    "projektet",
    "utveckling",
    "demokrati",
    "förvaltning",
    "landsting",
    "internationella",
    "samarbete",
    "konsultbolag",
    "millenniemål",
    "målen",
    "hållbar",
    "experter",
    "regional",
    "sverige",
    "bistånd",
    "uppdrag",
    // compounds (parts of words) and folded spellings
    "mål",
    "kommun",
    "utvecklings",
    "forvaltning",
    "hallbar",
    "millenniemal",
    "sverig",
    "arbete",
    // phrases and exclusions
    "\"lokal demokrati\"",
    "\"svenska kommuner\"",
    "kommun -projekt",
    "\"regional förvaltning\" -sida",
    "utveckling demokrati",
    "kommun landsting samarbete",
    // very common and very short
    "och",
    "att",
    "i",
    "en",
    "av",
    "fn",
    "sk",
    "ko",
    // rare or absent, and misspelt
    "zebrafinkar",
    "komun",
    "utvekling",
    "xyzzy",
    // English
    "municipality",
    "municipalities",
    "goals",
    "development",
    "democracy",
    "local government",
    "\"local democracy\"",
    "sweden -goals",
    "consultancy",
    "partner",
    "the",
    "of",
    "agreement",
    "cooperation",
];

/// The address of a search for `query`: English words go to the English search.
fn search_path(query: &str) -> String {
    let english = QUERIES
        .iter()
        .position(|q| *q == "municipality")
        .is_some_and(|first| QUERIES[first..].contains(&query));
    let encoded: String = url::form_urlencoded::byte_serialize(query.as_bytes()).collect();
    if english {
        format!("/en/search?q={encoded}")
    } else {
        format!("/sok?q={encoded}")
    }
}

/// Requests per second that `wrk` reports for `url`, if wrk is installed.
fn wrk(url: &str, seconds: u64) -> Option<f64> {
    let output = std::process::Command::new("wrk")
        .args(["-t2", "-c16", &format!("-d{seconds}s"), url])
        .output()
        .ok()?;
    let text = String::from_utf8_lossy(&output.stdout);
    text.lines()
        .find_map(|line| line.strip_prefix("Requests/sec:"))
        .and_then(|rate| rate.trim().parse().ok())
}

#[tokio::main]
async fn main() {
    let pages = env_or("PAGES", 10_000) as usize;
    let rounds = env_or("ROUNDS", 10);
    let seconds = env_or("SECONDS", 5);
    let dir = tempfile::tempdir().expect("temporary folder");
    let database = dir.path().join("bench.db");

    let pool = db::open(&database).await.expect("database");
    transfer::seed_if_new(&pool).await.expect("seed");
    let started = Instant::now();
    let words = corpus::fill(&pool, pages).await;
    println!(
        "generated {pages} pages ({} words on average) in {:.1} s",
        words / pages.max(1),
        started.elapsed().as_secs_f64()
    );
    let started = Instant::now();
    let indexed = skl_cms::search::rebuild(&pool, &skl_cms::time::now_db())
        .await
        .expect("index");
    println!(
        "built the search index for {indexed} pages in {:.2} s",
        started.elapsed().as_secs_f64()
    );
    let size: i64 = sqlx::query_scalar("select sum(pgsize) from dbstat where name like 'search%'")
        .fetch_one(pool.sqlite().expect("SQLite"))
        .await
        .unwrap_or(0);
    if size > 0 {
        println!("the search index takes {:.1} MiB", size as f64 / 1048576.0);
    }
    pool.close().await;

    let server = Server::start(&database).await;
    let base = server.base.clone();

    // 1. Latency: the first time each query is asked (the index is asked), then again (the bounded
    //    cache of results answers, until content changes).
    let client = reqwest::Client::new();
    let mut first = Vec::new();
    let mut again = Vec::new();
    let mut by_query: Vec<(Duration, &str)> = Vec::new();
    for query in QUERIES {
        let url = format!("{base}{}", search_path(query));
        let started = Instant::now();
        let reply = client.get(&url).send().await.expect("search");
        assert!(reply.status().is_success(), "{query}: {}", reply.status());
        let _ = reply.bytes().await.expect("body");
        let elapsed = started.elapsed();
        by_query.push((elapsed, query));
        first.push(elapsed);
        for _ in 0..rounds {
            let started = Instant::now();
            let reply = client.get(&url).send().await.expect("search");
            let _ = reply.bytes().await.expect("body");
            again.push(started.elapsed());
        }
    }
    first.sort();
    again.sort();
    println!(
        "search latency, first time asked, {} queries (HTTP on loopback, body read): p50 {}, p99 {}, max {}",
        QUERIES.len(),
        ms(percentile(&first, 50.0)),
        ms(percentile(&first, 99.0)),
        ms(percentile(&first, 100.0)),
    );
    by_query.sort_by_key(|(elapsed, _)| std::cmp::Reverse(*elapsed));
    let slowest: Vec<String> = by_query
        .iter()
        .take(8)
        .map(|(elapsed, query)| format!("{query:?} {}", ms(*elapsed)))
        .collect();
    println!("slowest first time: {}", slowest.join(", "));
    println!(
        "search latency, asked again ({} × {rounds}, from the cache of results): p50 {}, p99 {}, max {}",
        QUERIES.len(),
        ms(percentile(&again, 50.0)),
        ms(percentile(&again, 99.0)),
        ms(percentile(&again, 100.0)),
    );

    // 2. Throughput beside a cached page.
    let search = format!("{base}/sok?q=kommun");
    let cached = format!("{base}/om-oss");
    let mut rates = (Vec::new(), Vec::new());
    for _ in 0..2 {
        match (wrk(&cached, seconds), wrk(&search, seconds)) {
            (Some(page), Some(found)) => {
                rates.0.push(page);
                rates.1.push(found);
            }
            _ => {
                println!(
                    "wrk is not installed: throughput not measured (bash bench/run.sh installs it)"
                );
                break;
            }
        }
    }
    if !rates.0.is_empty() {
        let show = |rates: &[f64]| {
            rates
                .iter()
                .map(|rate| format!("{rate:.0}"))
                .collect::<Vec<_>>()
                .join(", ")
        };
        println!(
            "wrk -t2 -c16, {seconds} s a round, interleaved: /om-oss (cached) {} req/s; /sok?q=kommun {} req/s",
            show(&rates.0),
            show(&rates.1),
        );
    }

    drop(server);
}
