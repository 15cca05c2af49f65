//! Load: a crowd of visitors while an editor works.
//!
//!     cargo bench --bench load
//!
//! Prepares a database (the seed plus `PAGES`, default 2,000, generated pages and an account),
//! starts the release binary on it as its own process, and then, for `SECONDS` (default 60):
//!
//! - `wrk -t2 -c256 --latency` asks for the public pages, each request a random one of every
//!   visible page, with gzip and brotli accepted;
//! - an editor saves one page every 100 ms through the edit form (each save empties the cached
//!   responses that show the page, the menu included when it is in the menu).
//!
//! It prints wrk's throughput, latency percentiles and every answer outside 2xx and 3xx (which must
//! be none), the saves made and refused, and the server's resident and peak memory. wrk, the editor
//! and the server share the machine's cores.

#[path = "support/corpus.rs"]
mod corpus;
#[path = "support/server.rs"]
mod server;

use std::{
    sync::{
        Arc,
        atomic::{AtomicBool, Ordering},
    },
    time::{Duration, Instant},
};

use skl_cms::{content::transfer, db, lang::Lang, time};

use server::{Server, env_or, hidden, memory_mib, ms, percentile};

const PASSWORD: &str = "ett långt lösenord för lastprovet";

/// Saves page `id` every 100 ms until `stop`; returns the time of each save and how many were not
/// answered with their 303.
async fn edit(
    base: String,
    id: skl_cms::ids::PageId,
    menu_order: String,
    stop: Arc<AtomicBool>,
) -> (Vec<Duration>, usize) {
    let client = server::editor_client();
    server::log_in(&client, &base, "bench", PASSWORD).await;
    let mut times = Vec::new();
    let mut refused = 0;
    let mut ticks = tokio::time::interval(Duration::from_millis(100));
    let mut n = 0;
    while !stop.load(Ordering::Relaxed) {
        ticks.tick().await;
        let form = server::page_text(&client, &format!("{base}/admin/pages/{id}")).await;
        let fields = [
            ("csrf", hidden(&form, "csrf")),
            ("version", hidden(&form, "version")),
            ("title", "Om SKL International".to_owned()),
            ("path", "om-oss".to_owned()),
            ("body", format!("Ändring {n} under lastprovet.")),
            ("kind", "page".to_owned()),
            ("menu_order", menu_order.clone()),
            ("action", "publish".to_owned()),
        ];
        n += 1;
        let started = Instant::now();
        let reply = client
            .post(format!("{base}/admin/pages/{id}"))
            .header("origin", &base)
            .form(&fields)
            .send()
            .await
            .expect("save");
        times.push(started.elapsed());
        if reply.status() != reqwest::StatusCode::SEE_OTHER {
            refused += 1;
        }
    }
    (times, refused)
}

#[tokio::main]
async fn main() {
    let pages = env_or("PAGES", 2000) as usize;
    let seconds = env_or("SECONDS", 60);
    let dir = tempfile::tempdir().expect("temporary folder");
    let database = dir.path().join("bench.db");
    let pool = db::open(&database).await.expect("database");
    transfer::seed_if_new(&pool).await.expect("seed");
    corpus::fill(&pool, pages).await;
    server::add_bench_admin(&pool, PASSWORD).await;
    let now = time::now_db();
    let paths: Vec<String> = db::pages::visible_paths(&pool, &now)
        .await
        .expect("paths")
        .into_iter()
        .map(|(lang, path)| lang.page_url(&path))
        .collect();
    let edited = db::pages::id_by_path(&pool, Lang::Sv, "om-oss")
        .await
        .expect("query")
        .expect("the about page");
    let menu_order = db::pages::find(&pool, edited)
        .await
        .expect("query")
        .and_then(|page| page.content.menu_order)
        .map(|order| order.to_string())
        .unwrap_or_default();
    pool.close().await;

    let server = Server::start(&database).await;
    let base = server.base.clone();
    let script = server::wrk_script(&dir.path().join("mix.lua"), &paths);

    let stop = Arc::new(AtomicBool::new(false));
    let editor = tokio::spawn(edit(base.clone(), edited, menu_order, Arc::clone(&stop)));
    let visitors = server::wrk_heavy(base.clone(), script.clone(), seconds);
    let output = visitors.await.expect("wrk task");
    stop.store(true, Ordering::Relaxed);
    let (mut saves, refused) = editor.await.expect("editor");
    let Ok(output) = output else {
        println!("wrk is not installed: load not measured (bash bench/run.sh installs it)");
        return;
    };
    println!(
        "{} public pages, wrk -t2 -c256 for {seconds} s, each request a random page, gzip and brotli accepted:",
        paths.len()
    );
    server::print_wrk(&output);
    saves.sort();
    println!(
        "editor: {} saves, one every 100 ms, {refused} not answered with their 303; save p50 {}, p99 {}, max {}",
        saves.len(),
        ms(percentile(&saves, 50.0)),
        ms(percentile(&saves, 99.0)),
        ms(percentile(&saves, 100.0)),
    );
    let pid = server.pid();
    println!(
        "server memory after the load: resident {:.1} MiB, peak {:.1} MiB",
        memory_mib(pid, "VmRSS:").unwrap_or(0.0),
        memory_mib(pid, "VmHWM:").unwrap_or(0.0)
    );
}
