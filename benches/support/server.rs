//! What the benchmarks share: the release binary started on a database as its own process, and
//! figures printed the same way.

use std::time::{Duration, Instant};

/// The server, as its own process on a free port of loopback; stopped when dropped.
pub struct Server {
    pub base: String,
    child: std::process::Child,
}

impl Server {
    /// Starts `skl-cms serve` on `database` and waits until it answers `/readyz`.
    #[allow(dead_code)] // Not every benchmark starts it plain.
    pub async fn start(database: &std::path::Path) -> Server {
        Server::start_with(database, &[]).await
    }

    /// [`start`](Self::start) with more environment variables (settings) for the server.
    #[allow(dead_code)] // Not every benchmark sets any.
    pub async fn start_with(database: &std::path::Path, settings: &[(&str, &str)]) -> Server {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .expect("bind")
            .local_addr()
            .expect("address")
            .port();
        Server::start_at(database, port, settings).await
    }

    /// [`start_with`](Self::start_with) on 127.0.0.1:`port`.
    pub async fn start_at(
        database: &std::path::Path,
        port: u16,
        settings: &[(&str, &str)],
    ) -> Server {
        let base = format!("http://127.0.0.1:{port}");
        let child = std::process::Command::new(env!("CARGO_BIN_EXE_skl-cms"))
            .args(["serve", "--bind", &format!("127.0.0.1:{port}")])
            .env("SKL_DATABASE", database)
            .env("RUST_LOG", "error")
            .envs(settings.iter().copied())
            .spawn()
            .expect("server starts");
        let ready = Instant::now();
        while reqwest::get(format!("{base}/readyz")).await.is_err() {
            assert!(
                ready.elapsed() < Duration::from_secs(60),
                "server not ready"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        Server { base, child }
    }
}

impl Server {
    /// The server's process id.
    #[allow(dead_code)] // Not every benchmark reads it.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The value of the hidden field `name` in `html`.
#[allow(dead_code)] // Not every benchmark reads forms.
pub fn hidden(html: &str, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    let start = html.find(&marker).expect("field") + marker.len();
    let end = html[start..].find('"').expect("quote") + start;
    html[start..end].to_owned()
}

/// Adds the administrator `bench` with `password` to the database of `pool`, for [`log_in`].
#[allow(dead_code)] // Not every benchmark logs in.
pub async fn add_bench_admin(pool: &skl_cms::db::Pool, password: &str) {
    let hash = skl_cms::auth::hash_password(password.to_owned())
        .await
        .expect("hash");
    let now = skl_cms::time::now_db();
    skl_cms::db::users::insert(
        pool,
        "bench",
        "Bench",
        &hash,
        skl_cms::vocab::Role::Admin,
        &now,
    )
    .await
    .expect("user");
}

/// Logs `client` (which keeps cookies) in to the editors' area at `base`, and returns how long the
/// login itself took.
#[allow(dead_code)] // Not every benchmark logs in.
pub async fn log_in(
    client: &reqwest::Client,
    base: &str,
    username: &str,
    password: &str,
) -> Duration {
    let form = client
        .get(format!("{base}/admin/login"))
        .send()
        .await
        .expect("login form")
        .text()
        .await
        .expect("text");
    let csrf = hidden(&form, "csrf");
    let started = Instant::now();
    let reply = client
        .post(format!("{base}/admin/login"))
        .header("origin", base)
        .form(&[
            ("csrf", csrf.as_str()),
            ("username", username),
            ("password", password),
        ])
        .send()
        .await
        .expect("login");
    assert_eq!(
        reply.status(),
        reqwest::StatusCode::SEE_OTHER,
        "login works"
    );
    started.elapsed()
}

/// The number in environment variable `name`, or `default`.
pub fn env_or(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|value| value.parse().ok())
        .unwrap_or(default)
}

/// The `p`th percentile of `sorted` (nearest rank).
pub fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

/// A duration in milliseconds, as the figures show it.
pub fn ms(duration: Duration) -> String {
    format!("{:.2} ms", duration.as_secs_f64() * 1000.0)
}

/// Requests per second that `wrk -t2 -c16` reports for `url` in `seconds`, with `script` if given;
/// nothing if wrk is not installed.
#[allow(dead_code)] // Not every benchmark runs wrk.
pub fn wrk(url: &str, seconds: u64, script: Option<&std::path::Path>) -> Option<f64> {
    let mut command = std::process::Command::new("wrk");
    command.args(["-t2", "-c16", &format!("-d{seconds}s")]);
    if let Some(script) = script {
        command.arg("-s").arg(script);
    }
    let output = command.arg(url).output().ok()?;
    let text = String::from_utf8_lossy(&output.stdout);
    text.lines()
        .find_map(|line| line.strip_prefix("Requests/sec:"))
        .and_then(|rate| rate.trim().parse().ok())
}

/// A client as an editor's browser: it keeps cookies and does not follow redirects.
#[allow(dead_code)] // Not every benchmark logs in.
pub fn editor_client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .cookie_store(true)
        .build()
        .expect("client")
}

/// The text of the page at `url`.
#[allow(dead_code)] // Not every benchmark reads pages.
pub async fn page_text(client: &reqwest::Client, url: &str) -> String {
    client
        .get(url)
        .send()
        .await
        .expect("answered")
        .text()
        .await
        .expect("text")
}

/// A memory figure of the process `pid` in MiB, from /proc: `field` is `VmRSS:` (resident now)
/// or `VmHWM:` (the peak).
#[allow(dead_code)] // Not every benchmark reads memory.
pub fn memory_mib(pid: u32, field: &str) -> Option<f64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let kib: f64 = status
        .lines()
        .find_map(|line| line.strip_prefix(field))?
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .ok()?;
    Some(kib / 1024.0)
}

/// Writes a wrk script to `path` that asks for a random one of `paths` with each request, gzip and
/// brotli accepted, and returns `path`.
#[allow(dead_code)] // Not every benchmark runs wrk with a script.
pub fn wrk_script(path: &std::path::Path, paths: &[String]) -> std::path::PathBuf {
    let list: Vec<String> = paths.iter().map(|path| format!("{path:?}")).collect();
    std::fs::write(
        path,
        format!(
            "local paths = {{{}}}\n\
             request = function()\n\
               return wrk.format(nil, paths[math.random(#paths)], {{[\"Accept-Encoding\"] = \"gzip, br\"}})\n\
             end\n",
            list.join(",")
        ),
    )
    .expect("script");
    path.to_owned()
}

/// wrk's `-t2 -c256 --latency` run over `script` at `base` for `seconds`, on a blocking thread.
#[allow(dead_code)] // Only the load benchmarks run wrk at 256 connections.
pub fn wrk_heavy(
    base: String,
    script: std::path::PathBuf,
    seconds: u64,
) -> tokio::task::JoinHandle<std::io::Result<std::process::Output>> {
    tokio::task::spawn_blocking(move || {
        std::process::Command::new("wrk")
            .args(["-t2", "-c256", &format!("-d{seconds}s"), "--latency", "-s"])
            .arg(&script)
            .arg(&base)
            .output()
    })
}

/// Prints the lines of wrk's `--latency` report that matter: the rate, the percentiles, the
/// requests in all, the answers outside 2xx and 3xx, and the socket errors (named even when none).
#[allow(dead_code)] // Only the load benchmarks run wrk at 256 connections.
pub fn print_wrk(output: &std::process::Output) {
    let report = String::from_utf8_lossy(&output.stdout);
    let line = |prefix: &str| {
        report
            .lines()
            .find(|line| line.trim_start().starts_with(prefix))
            .map(|line| line.trim().to_owned())
    };
    for prefix in ["Requests/sec:", "50%", "90%", "99%", "Latency "] {
        if let Some(found) = line(prefix) {
            println!("  {found}");
        }
    }
    if let Some(total) = report.lines().find(|line| line.contains("requests in")) {
        println!("  {}", total.trim());
    }
    println!(
        "  {}",
        line("Non-2xx or 3xx responses:")
            .unwrap_or_else(|| "Non-2xx or 3xx responses: 0".to_owned())
    );
    println!(
        "  {}",
        line("Socket errors:").unwrap_or_else(|| "Socket errors: none".to_owned())
    );
}
