//! Several instances: two `skl-cms serve` processes on one PostgreSQL database behind the shipped
//! nginx balancer (`deploy/nginx-upstream.conf`), and the shipped Varnish (`deploy/varnish.vcl`)
//! in front, purged by them.
//!
//!     cargo bench --bench failover
//!
//! Prepares a PostgreSQL database (a throwaway cluster from Debian's packages, unless
//! `SKL_BENCH_POSTGRES` names a server) with the seed and `PAGES` (default 2,000) generated pages,
//! starts the release binary twice on it, nginx in front of both and Varnish in front of nginx, then:
//!
//! 1. **Failover.** `wrk -t2 -c256 --latency` through nginx for `SECONDS` (default 60), each request a
//!    random visible page, while an editor saves a page through nginx every 100 ms; at a third of
//!    the time one instance is killed (SIGKILL), at two thirds it is started again. Prints wrk's
//!    figures and every answer outside 2xx and 3xx (which must be none), the saves acknowledged and
//!    refused, and the acknowledged saves missing from the database afterwards (which must be none).
//! 2. **Edit to visible on the other instance.** 100 saves on one instance, each followed by
//!    requests to the other (every 2 ms) until it shows the new text: p50 and max.
//! 3. **Through Varnish.** The same wrk load through Varnish for half as long, while the editor saves
//!    every 100 ms and, after each save, asks Varnish until it shows the new text: the share of
//!    requests Varnish answered from its cache, and edit-to-visible through it (p50 and max); then
//!    20 more saves with no load, for what the purge itself takes.
//!
//! Needs wrk, nginx and Varnish (`apt-get install wrk nginx-light libnginx-mod-http-brotli-static
//! varnish postgresql postgresql-contrib`). Everything shares the machine's cores.

#[path = "support/cluster.rs"]
mod cluster;
#[path = "support/corpus.rs"]
mod corpus;
#[allow(dead_code)]
#[path = "../tests/common/nginx.rs"]
mod nginx;
#[path = "support/server.rs"]
mod server;
#[allow(dead_code)]
#[path = "../tests/common/varnish.rs"]
mod varnish;

use std::{
    path::Path,
    sync::{
        Arc,
        atomic::{AtomicBool, Ordering},
    },
    time::{Duration, Instant},
};

use server::{Server, env_or, hidden, ms, percentile};
use skl_cms::{content::transfer, db, ids::PageId, time};

const PASSWORD: &str = "ett långt lösenord för failoverprovet";

/// A page the editor saves.
#[derive(Clone)]
struct Edited {
    id: PageId,
    title: String,
    path: String,
    url: String,
}

/// Saves `page` with `body` through the edit form at `base`: whether it was acknowledged (303).
async fn save(client: &reqwest::Client, base: &str, page: &Edited, body: &str) -> bool {
    let id = page.id;
    let Ok(form) = client.get(format!("{base}/admin/pages/{id}")).send().await else {
        return false;
    };
    if !form.status().is_success() {
        return false;
    }
    let Ok(form) = form.text().await else {
        return false;
    };
    let field = |name: &str| {
        let marker = format!("name=\"{name}\" value=\"");
        form.contains(&marker).then(|| hidden(&form, name))
    };
    let (Some(csrf), Some(version)) = (field("csrf"), field("version")) else {
        return false;
    };
    let fields = [
        ("csrf", csrf),
        ("version", version),
        ("title", page.title.clone()),
        ("path", page.path.clone()),
        ("body", body.to_owned()),
        ("kind", "page".to_owned()),
        ("action", "publish".to_owned()),
    ];
    client
        .post(format!("{base}/admin/pages/{id}"))
        .header("origin", base)
        .form(&fields)
        .send()
        .await
        .is_ok_and(|reply| reply.status() == reqwest::StatusCode::SEE_OTHER)
}

/// Asks `url` every 2 ms until its body holds `text`, for at most 5 s: how long that took.
async fn until_shown(client: &reqwest::Client, url: &str, text: &str) -> Duration {
    let started = Instant::now();
    while started.elapsed() < Duration::from_secs(5) {
        if let Ok(reply) = client.get(url).send().await
            && let Ok(body) = reply.text().await
            && body.contains(text)
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    started.elapsed()
}

/// Varnish's count of `counter` (`MAIN.cache_hit`) in the instance at `dir`.
fn varnish_counter(dir: &Path, counter: &str) -> u64 {
    let output = std::process::Command::new("varnishstat")
        .arg("-n")
        .arg(dir)
        .args(["-1", "-f", counter])
        .output()
        .expect("varnishstat runs");
    String::from_utf8_lossy(&output.stdout)
        .split_whitespace()
        .nth(1)
        .and_then(|count| count.parse().ok())
        .unwrap_or(0)
}

#[tokio::main]
async fn main() {
    let pages = env_or("PAGES", 2000) as usize;
    let seconds = env_or("SECONDS", 60);
    for tool in ["wrk", "varnishd", "nginx"] {
        if std::process::Command::new("sh")
            .args([
                "-c",
                &format!("command -v {tool} || test -x /usr/sbin/{tool}"),
            ])
            .output()
            .map_or(true, |output| !output.status.success())
        {
            println!("{tool} is not installed: nothing measured");
            return;
        }
    }
    let (_cluster, server_url) = match std::env::var("SKL_BENCH_POSTGRES") {
        Ok(url) if !url.is_empty() => (None, url),
        _ => {
            let (cluster, url) = cluster::Cluster::start(56998);
            (Some(cluster), url)
        }
    };
    let url =
        cluster::new_database(&server_url, &format!("skl_failover_{}", std::process::id())).await;
    let location: db::Location = url.parse().expect("a URL");
    let pool = location.open().await.expect("opens");
    transfer::seed_if_new(&pool).await.expect("seed");
    corpus::fill(&pool, pages).await;
    server::add_bench_admin(&pool, PASSWORD).await;
    let visible = db::pages::visible_paths(&pool, &time::now_db())
        .await
        .expect("paths");
    let paths: Vec<String> = visible
        .iter()
        .map(|(lang, path)| lang.page_url(path))
        .collect();
    // Generated pages, each a child of a section: out of the menu, so a save purges little.
    let mut edited = Vec::new();
    for (lang, path) in visible
        .iter()
        .filter(|(_, path)| path.contains('/'))
        .take(2)
    {
        let id = db::pages::id_by_path(&pool, *lang, path)
            .await
            .expect("query")
            .expect("the page");
        let page = db::pages::find(&pool, id)
            .await
            .expect("query")
            .expect("the page");
        edited.push(Edited {
            id,
            title: page.content.title,
            path: page.content.path,
            url: lang.page_url(path),
        });
    }
    let [failover_page, watched_page] = [edited[0].clone(), edited[1].clone()];
    pool.close().await;

    let work = tempfile::tempdir().expect("folder");
    let ports: Vec<u16> = (0..3).map(|_| nginx::free_port()).collect();
    let varnish_port = nginx::free_port();
    let balancer_base = format!("http://127.0.0.1:{}", ports[2]);
    let varnish_base = format!("http://127.0.0.1:{varnish_port}");
    let purge = format!("{varnish_base}/");
    let settings = [
        ("SKL_TRUSTED_PROXIES", "127.0.0.1"),
        ("SKL_BASE_URL", balancer_base.as_str()),
        ("SKL_CDN_MAX_AGE", "3600"),
        ("SKL_CDN_PURGE", purge.as_str()),
    ];
    let database = Path::new(&url);
    let mut first = Some(Server::start_at(database, ports[0], &settings).await);
    let second = Server::start_at(database, ports[1], &settings).await;
    let _balancer = nginx::Nginx::start_sized(
        work.path(),
        &nginx::balancer(ports[0], ports[1], ports[2]),
        ports[2],
        4096,
    );
    let varnish_dir = work.path().join("varnish-work");
    std::fs::create_dir_all(&varnish_dir).expect("folder");
    let varnish = varnish::Varnish::start(&varnish_dir, varnish_port, ports[2]);
    let script = server::wrk_script(&work.path().join("mix.lua"), &paths);
    let editor = server::editor_client();
    server::log_in(&editor, &balancer_base, "bench", PASSWORD).await;

    // 1. Failover.
    let stop = Arc::new(AtomicBool::new(false));
    let saver = tokio::spawn({
        let (editor, base, stop) = (editor.clone(), balancer_base.clone(), Arc::clone(&stop));
        let failover_page = failover_page.clone();
        async move {
            let (mut acknowledged, mut refused) = (Vec::new(), 0);
            let mut ticks = tokio::time::interval(Duration::from_millis(100));
            let mut n = 0;
            while !stop.load(Ordering::Relaxed) {
                ticks.tick().await;
                n += 1;
                let body = format!("Sparning {n} under failoverprovet.");
                if save(&editor, &base, &failover_page, &body).await {
                    acknowledged.push(body);
                } else {
                    refused += 1;
                }
            }
            (acknowledged, refused)
        }
    });
    let load = server::wrk_heavy(balancer_base.clone(), script.clone(), seconds);
    tokio::time::sleep(Duration::from_secs(seconds / 3)).await;
    drop(first.take());
    let killed = Instant::now();
    tokio::time::sleep(Duration::from_secs(seconds / 3)).await;
    first = Some(Server::start_at(database, ports[0], &settings).await);
    let back = killed.elapsed();
    let output = load.await.expect("wrk task").expect("wrk runs");
    stop.store(true, Ordering::Relaxed);
    let (acknowledged, refused) = saver.await.expect("saver");
    let pool = location.open().await.expect("opens");
    let stored: Vec<String> = match &pool {
        db::Pool::Postgres(pool) => sqlx::query_scalar(
            "select body_md from revisions where page_id = $1 \
             union all select body_md from pages where id = $1",
        )
        .bind(failover_page.id.0)
        .fetch_all(pool)
        .await
        .expect("revisions"),
        db::Pool::Sqlite(_) => unreachable!("the benchmark runs on PostgreSQL"),
    };
    pool.close().await;
    let lost = acknowledged
        .iter()
        .filter(|body| !stored.iter().any(|text| text.trim() == body.as_str()))
        .count();
    println!(
        "1. two instances behind nginx, {} public pages, wrk -t2 -c256 for {seconds} s; one instance \
         killed (SIGKILL) at {} s, started again {:.1} s later:",
        paths.len(),
        seconds / 3,
        back.as_secs_f64()
    );
    server::print_wrk(&output);
    println!(
        "  editor through nginx, a save every 100 ms: {} acknowledged, {refused} refused or cut off \
         (sent again as the next), {lost} acknowledged saves missing from the database",
        acknowledged.len()
    );

    // 2. Edit to visible on the other instance.
    let Some(first) = first else {
        unreachable!("started again above")
    };
    let visitor = reqwest::Client::new();
    let mut shown = Vec::new();
    for n in 0..100 {
        let body = format!("Ändring {n} som den andra instansen ska visa.");
        assert!(
            save(&editor, &first.base, &watched_page, &body).await,
            "save {n}"
        );
        let url = format!("{}{}", second.base, watched_page.url);
        shown.push(until_shown(&visitor, &url, &body).await);
    }
    shown.sort();
    println!(
        "2. edit on one instance to visible on the other, 100 edits: p50 {}, max {}",
        ms(percentile(&shown, 50.0)),
        ms(percentile(&shown, 100.0))
    );

    // 3. Through Varnish.
    let before = |counter: &str| varnish_counter(&varnish_dir.join("varnish"), counter);
    let (hits, misses) = (before("MAIN.cache_hit"), before("MAIN.cache_miss"));
    let stop = Arc::new(AtomicBool::new(false));
    let watcher = tokio::spawn({
        let (editor, base, stop) = (editor.clone(), balancer_base.clone(), Arc::clone(&stop));
        let url = format!("{}{}", varnish.base, watched_page.url);
        let watched_page = watched_page.clone();
        async move {
            let visitor = reqwest::Client::new();
            let (mut shown, mut saves) = (Vec::new(), Vec::new());
            let mut ticks = tokio::time::interval(Duration::from_millis(100));
            let mut n = 0;
            while !stop.load(Ordering::Relaxed) {
                ticks.tick().await;
                n += 1;
                let body = format!("Ändring {n} som Varnish ska visa.");
                let started = Instant::now();
                if save(&editor, &base, &watched_page, &body).await {
                    saves.push(started.elapsed());
                    shown.push(until_shown(&visitor, &url, &body).await);
                }
            }
            (shown, saves)
        }
    });
    let output = server::wrk_heavy(varnish.base.clone(), script, seconds / 2)
        .await
        .expect("wrk task")
        .expect("wrk runs");
    stop.store(true, Ordering::Relaxed);
    let (mut shown, mut saves) = watcher.await.expect("watcher");
    shown.sort();
    saves.sort();
    let hits = before("MAIN.cache_hit") - hits;
    let misses = before("MAIN.cache_miss") - misses;
    println!(
        "3. Varnish in front of nginx, wrk -t2 -c256 for {} s over the same pages:",
        seconds / 2
    );
    server::print_wrk(&output);
    println!(
        "  answered from Varnish's cache: {:.2} % ({hits} hits, {misses} misses)",
        100.0 * hits as f64 / (hits + misses).max(1) as f64
    );
    println!(
        "  edit to visible through Varnish, from the save's answer, {} saves (one every 100 ms at \
         most): p50 {}, max {}; the saves themselves (form and POST) p50 {}, max {}",
        shown.len(),
        ms(percentile(&shown, 50.0)),
        ms(percentile(&shown, 100.0)),
        ms(percentile(&saves, 50.0)),
        ms(percentile(&saves, 100.0))
    );

    // The same, with no load: what the purge itself takes.
    let mut quiet = Vec::new();
    for n in 0..20 {
        let body = format!("Ändring {n} som Varnish ska visa utan last.");
        assert!(
            save(&editor, &balancer_base, &watched_page, &body).await,
            "quiet save {n}"
        );
        let url = format!("{}{}", varnish.base, watched_page.url);
        quiet.push(until_shown(&visitor, &url, &body).await);
    }
    quiet.sort();
    println!(
        "  edit to visible through Varnish with no load, 20 saves: p50 {}, max {}",
        ms(percentile(&quiet, 50.0)),
        ms(percentile(&quiet, 100.0))
    );
    drop(first);
}
