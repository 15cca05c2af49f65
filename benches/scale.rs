//! The site at size: 10,000 generated pages served as a visitor, a crawler and an editor meet them.
//!
//!     cargo bench --bench scale
//!
//! Prepares a database (the seed plus `PAGES` generated pages, default 10,000, 300–2,000 words in
//! Swedish and English; see `benches/support/corpus.rs`), starts the release binary on it as its own
//! process with a render cache of `CACHE_SIZE` (default 192MiB, enough for the 5,000 addresses
//! below), and prints, in one run:
//!
//! 1. the time to insert and to index the pages;
//! 2. the first request for each of 300 pages never asked before, one at a time (p50, p99);
//! 3. `wrk -t2 -c16` for `SECONDS` (default 8) each on: one cached page (the hot page); random
//!    pages among 5,000 addresses, a first pass (mostly misses) and a second; an address that has no
//!    page; every figure also as a ratio to the hot page of the same run;
//! 4. the server's resident memory after that, and its CPU while idle for 10 s;
//! 5. the editors' list of pages (`/admin`: the tree, one level of it, and the flat list): its size
//!    and how long it takes (p50 of 20); and the
//!    writing help's screens (p50 of 20 each): a page's edit form with its panel, the site's broken
//!    links (`/admin/links`, every link checked again each time) and the pages due for review
//!    (`/admin/review`); before the server starts, every page gets two links to others (some lead
//!    nowhere) and the time to record the links of every page is printed;
//! 6. `skl-cms export-site` of the whole site: its time and what it wrote.
//!
//! `KEEP_DATABASE=1` keeps the database for a look afterwards. `wrk` must be installed (`bash bench/run.sh` installs it); without it step 3 is skipped.

#[path = "support/corpus.rs"]
mod corpus;
#[path = "support/server.rs"]
mod server;

use std::time::{Duration, Instant};

use server::{Server, env_or, memory_mib, ms, percentile, wrk};
use skl_cms::{content::transfer, db, lang::Lang, vocab::Role};

/// The benchmark's administrator's password.
const PASSWORD: &str = "bänkprov-lösenord";

/// Random addresses the wrk runs pick from.
const ADDRESSES: usize = 5000;

/// The CPU time (user and system) the process has used, from /proc.
fn cpu_time(pid: u32) -> Option<Duration> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let after_name = stat.rsplit_once(')')?.1;
    let fields: Vec<&str> = after_name.split_whitespace().collect();
    // Fields 14 and 15 of stat (utime, stime), counted from the state, which is field 3.
    let ticks: u64 = fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?;
    Some(Duration::from_secs_f64(ticks as f64 / 100.0))
}

#[tokio::main]
async fn main() {
    let pages = env_or("PAGES", 10_000) as usize;
    let seconds = env_or("SECONDS", 8);
    let cache_size = std::env::var("CACHE_SIZE").unwrap_or_else(|_| "192MiB".to_owned());
    let dir = tempfile::tempdir().expect("temporary folder");
    let database = dir.path().join("scale.db");

    // 1. The pages.
    let pool = db::open(&database).await.expect("database");
    transfer::seed_if_new(&pool).await.expect("seed");
    let started = Instant::now();
    corpus::fill(&pool, pages).await;
    let inserted = started.elapsed();
    let started = Instant::now();
    skl_cms::search::rebuild(&pool, &skl_cms::time::now_db())
        .await
        .expect("index");
    println!(
        "{pages} pages inserted in {:.1} s and indexed for search in {:.1} s",
        inserted.as_secs_f64(),
        started.elapsed().as_secs_f64()
    );
    // Two links a page to other pages of the corpus: to a news item, an English page or a page
    // that is not there, they lead nowhere, as on a real site some do.
    sqlx::query(
        "update pages set body_md = body_md || char(10) || char(10) || 'Läs också [sidan '
             || ((id * 7) % ?1) || '](/sektion-' || (((id * 7) % ?1) % 40) || '/sida-' || ((id * 7) % ?1)
             || ') och [den här](/sektion-' || (((id * 13) % ?1) % 40) || '/sida-' || ((id * 13) % ?1) || ').'
         where path like 'sektion-%' or path like 'nyheter/%' or path like 'news/%'",
    )
    .bind(i64::try_from(pages).expect("pages"))
    .execute(pool.sqlite().expect("SQLite"))
    .await
    .expect("links");
    let started = Instant::now();
    skl_cms::writing::links::rebuild(&pool, &skl_cms::time::now_db())
        .await
        .expect("links");
    let (broken, _) = db::links::count_broken(&pool).await.expect("count");
    println!(
        "the links of every page recorded and checked in {:.1} s ({broken} lead nowhere)",
        started.elapsed().as_secs_f64()
    );
    let hash = skl_cms::auth::hash_password(PASSWORD.to_owned())
        .await
        .expect("hash");
    db::users::insert(
        &pool,
        "bench",
        "Bench",
        &hash,
        Role::Admin,
        &skl_cms::time::now_db(),
    )
    .await
    .expect("account")
    .expect("new");
    let paths: Vec<(Lang, String)> =
        sqlx::query_as("select lang, path from pages where status = 'published' order by id desc")
            .fetch_all(pool.sqlite().expect("SQLite"))
            .await
            .expect("addresses");
    pool.close().await;
    let urls: Vec<String> = paths
        .iter()
        .map(|(lang, path)| lang.page_url(path))
        .collect();

    let server = Server::start_with(&database, &[("SKL_CACHE_SIZE", &cache_size)]).await;
    let base = server.base.clone();
    let client = reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client");

    // 2. First requests, one at a time, each page asked for the first time.
    let mut cold = Vec::new();
    for url in urls.iter().skip(ADDRESSES).take(300) {
        let started = Instant::now();
        let reply = client
            .get(format!("{base}{url}"))
            .header("accept-encoding", "gzip, br")
            .send()
            .await
            .expect("page");
        assert!(reply.status().is_success(), "{url}: {}", reply.status());
        let _ = reply.bytes().await.expect("body");
        cold.push(started.elapsed());
    }
    cold.sort();
    println!(
        "first request of 300 pages (HTTP on loopback, one at a time): p50 {}, p99 {}",
        ms(percentile(&cold, 50.0)),
        ms(percentile(&cold, 99.0))
    );

    // 3. Throughput: the hot page, random pages twice, the page that is not there.
    // Every run picks its address in the same Lua function, so that the client costs the same in
    // each and the ratios compare the server alone (wrk shares the two cores with it).
    let script = |name: &str, paths: &[&str]| {
        let file = dir.path().join(name);
        let list: Vec<String> = paths.iter().map(|path| format!("{path:?}")).collect();
        std::fs::write(
            &file,
            format!(
                "local paths = {{{}}}\n\
                 math.randomseed(2026)\n\
                 request = function()\n\
                   return wrk.format(nil, paths[math.random(#paths)], {{[\"Accept-Encoding\"] = \"gzip, br\"}})\n\
                 end\n",
                list.join(",")
            ),
        )
        .expect("script");
        file
    };
    let random: Vec<&str> = urls.iter().take(ADDRESSES).map(String::as_str).collect();
    let random_script = script("random.lua", &random);
    let hot_script = script("hot.lua", &["/om-oss"]);
    let missing_script = script("missing.lua", &["/finns-inte-alls"]);
    let hot_url = format!("{base}/om-oss");
    let _ = client.get(&hot_url).send().await;
    match wrk(&base, seconds, Some(&hot_script)) {
        None => println!(
            "wrk is not installed: throughput not measured (bash bench/run.sh installs it)"
        ),
        Some(hot) => {
            let ratio = |rate: f64| format!("{rate:.0} req/s ({:.3}× the hot page)", rate / hot);
            let first = wrk(&base, seconds, Some(&random_script)).unwrap_or(0.0);
            let second = wrk(&base, seconds, Some(&random_script)).unwrap_or(0.0);
            let missing = wrk(&base, seconds, Some(&missing_script)).unwrap_or(0.0);
            let hot_again = wrk(&base, seconds, Some(&hot_script)).unwrap_or(0.0);
            println!("wrk -t2 -c16, {seconds} s each, gzip and brotli accepted:");
            println!("  hot page /om-oss: {hot:.0} req/s (and {hot_again:.0} at the end)");
            println!(
                "  random pages of {ADDRESSES}, first pass: {}",
                ratio(first)
            );
            println!(
                "  random pages of {ADDRESSES}, second pass: {}",
                ratio(second)
            );
            println!("  an address with no page (404): {}", ratio(missing));
        }
    }

    // 4. Memory and idle CPU.
    let pid = server.pid();
    if let Some(mib) = memory_mib(pid, "VmRSS:") {
        println!("resident memory after serving (render cache of {cache_size}): {mib:.1} MiB");
    }
    if let Some(before) = cpu_time(pid) {
        tokio::time::sleep(Duration::from_secs(10)).await;
        if let Some(after) = cpu_time(pid) {
            println!(
                "idle CPU over 10 s: {:.2} % of a core",
                (after - before).as_secs_f64() * 10.0
            );
        }
    }

    // 5. The editors' screens: the list, an edit form, the reports.
    server::log_in(&client, &base, "bench", PASSWORD).await;
    let edited: i64 = {
        let pool = db::open(&database).await.expect("database");
        let id = sqlx::query_scalar(
            "select id from pages where path like 'sektion-%' order by id limit 1",
        )
        .fetch_one(pool.sqlite().expect("SQLite"))
        .await
        .expect("a page");
        pool.close().await;
        id
    };
    for (what, path) in [
        ("the editors' tree /admin", "/admin".to_owned()),
        (
            "the tree's Swedish top level /admin?under=sv",
            "/admin?under=sv".to_owned(),
        ),
        (
            "the flat list, last changed first /admin?visa=senaste",
            "/admin?visa=senaste".to_owned(),
        ),
        (
            "a page's edit form with writing help",
            format!("/admin/pages/{edited}"),
        ),
        ("the broken links /admin/links", "/admin/links".to_owned()),
        (
            "the pages to review /admin/review",
            "/admin/review".to_owned(),
        ),
    ] {
        let mut times = Vec::new();
        let mut size = 0;
        for _ in 0..20 {
            let started = Instant::now();
            let reply = client
                .get(format!("{base}{path}"))
                .send()
                .await
                .expect("screen");
            assert!(reply.status().is_success(), "{path}: {}", reply.status());
            size = reply.bytes().await.expect("body").len();
            times.push(started.elapsed());
        }
        times.sort();
        println!(
            "{what}: {:.0} KB, p50 {} over 20",
            size as f64 / 1024.0,
            ms(percentile(&times, 50.0))
        );
    }
    drop(server);

    // The whole site as static files, as `skl-cms export-site` writes it.
    let copy = dir.path().join("copy");
    let started = Instant::now();
    let export = std::process::Command::new(env!("CARGO_BIN_EXE_skl-cms"))
        .arg("--database")
        .arg(&database)
        .arg("export-site")
        .arg(&copy)
        .env("RUST_LOG", "error")
        .output()
        .expect("export-site runs");
    assert!(
        export.status.success(),
        "{}",
        String::from_utf8_lossy(&export.stderr)
    );
    println!(
        "static export ({:.1} s wall): {}",
        started.elapsed().as_secs_f64(),
        String::from_utf8_lossy(&export.stdout).trim()
    );
    let _ = std::fs::remove_dir_all(&copy);

    if std::env::var_os("KEEP_DATABASE").is_some() {
        // For looking into the figures afterwards.
        println!("database kept at {}", dir.keep().join("scale.db").display());
    }
}
