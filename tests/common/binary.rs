//! The `skl-cms` binary run as operators run it: one command against a workspace's database, or
//! `serve` as its own process.

use std::{
    path::{Path, PathBuf},
    process::{Child, Command, Output, Stdio},
    time::{Duration, Instant},
};

use super::content_dir;

pub fn skl_cms(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_skl-cms"))
        .args(args)
        .env_remove("SKL_DATABASE")
        .env_remove("SKL_BIND")
        .env_remove("SKL_BASE_URL")
        .env("RUST_LOG", "warn")
        .output()
        .expect("the binary runs")
}

pub fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

pub fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// Every file below `dir`, relative to it, sorted.
pub fn files_below(dir: &Path) -> Vec<PathBuf> {
    fn walk(dir: &Path, base: &Path, found: &mut Vec<PathBuf>) {
        for entry in std::fs::read_dir(dir).expect("readable") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                walk(&path, base, found);
            } else {
                found.push(path.strip_prefix(base).expect("below base").to_owned());
            }
        }
    }
    let mut found = Vec::new();
    walk(dir, dir, &mut found);
    found.sort();
    found
}

pub fn copy_dir(from: &Path, to: &Path) {
    for file in files_below(from) {
        let target = to.join(&file);
        std::fs::create_dir_all(target.parent().expect("has a folder")).expect("mkdir");
        std::fs::copy(from.join(&file), target).expect("copy");
    }
}

/// A temporary folder holding a database, for commands run against it.
pub struct Workspace {
    pub dir: tempfile::TempDir,
    /// Whether the database is the suite's engine's (see [`super::location`]) rather than always
    /// a SQLite file.
    either_engine: bool,
}

impl Workspace {
    /// A workspace whose database is a SQLite file: for commands about the file itself.
    pub fn new() -> Workspace {
        Workspace::in_dir(tempfile::tempdir().expect("temporary folder"))
    }

    /// A workspace in `dir`, whose database is the SQLite file `site.db` there.
    pub fn in_dir(dir: tempfile::TempDir) -> Workspace {
        Workspace {
            dir,
            either_engine: false,
        }
    }

    /// A workspace on the engine the suite runs on: a SQLite file, or a PostgreSQL database of its
    /// own in the PostgreSQL pass.
    pub fn on_either_engine() -> Workspace {
        Workspace {
            either_engine: true,
            ..Workspace::new()
        }
    }

    /// The workspace's database: for a workspace on either engine, created on first use.
    pub fn location(&self) -> skl_cms::db::Location {
        if !self.either_engine {
            return skl_cms::db::Location::File(self.database());
        }
        // On a thread of its own, so that both plain and async tests may ask.
        let dir = self.dir.path().to_owned();
        std::thread::spawn(move || {
            tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("a runtime")
                .block_on(super::location(&dir))
        })
        .join()
        .expect("the database is named")
    }

    /// The database as `--database` takes it: a file's path or a URL.
    fn database_arg(&self) -> String {
        match self.location() {
            skl_cms::db::Location::File(path) => arg(&path).to_owned(),
            skl_cms::db::Location::Postgres(url) => url,
        }
    }

    /// `name` inside the workspace.
    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    pub fn database(&self) -> PathBuf {
        self.path("site.db")
    }

    /// Runs `skl-cms --database WORKSPACE/site.db ARGS…` (or the workspace's PostgreSQL database).
    pub fn run(&self, args: &[&str]) -> Output {
        let database = self.database_arg();
        let mut all = vec!["--database", database.as_str()];
        all.extend_from_slice(args);
        skl_cms(&all)
    }

    /// A copy of the seed content, for a test to change.
    pub fn content(&self) -> PathBuf {
        let content = self.path("content");
        copy_dir(&content_dir(), &content);
        content
    }
}

impl Workspace {
    /// Runs `skl-cms --database WORKSPACE/site.db ARGS…` with `input` on standard input.
    pub fn run_with_input(&self, args: &[&str], input: &str) -> Output {
        use std::io::Write;
        let database = self.database_arg();
        let mut child = Command::new(env!("CARGO_BIN_EXE_skl-cms"))
            .arg("--database")
            .arg(&database)
            .args(args)
            .env("RUST_LOG", "warn")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("the binary runs");
        child
            .stdin
            .take()
            .expect("stdin")
            .write_all(input.as_bytes())
            .expect("write stdin");
        child.wait_with_output().expect("the binary ends")
    }
}

pub fn arg(path: &Path) -> &str {
    path.to_str().expect("temporary paths are UTF-8")
}

/// A `skl-cms serve` process on a free port.
pub struct Server {
    pub child: Child,
    pub base: String,
}

impl Server {
    pub fn start(database: &Path) -> Server {
        Server::start_logging(database, Stdio::inherit())
    }

    /// [`start`](Self::start) with more environment variables (settings) for the server.
    pub fn start_with(database: &Path, settings: &[(&str, &str)]) -> Server {
        Server::spawn(database, Stdio::inherit(), settings)
    }

    pub fn start_logging(database: &Path, log: Stdio) -> Server {
        Server::spawn(database, log, &[])
    }

    fn spawn(database: &Path, log: Stdio, settings: &[(&str, &str)]) -> Server {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .expect("bind")
            .local_addr()
            .expect("addr")
            .port();
        let child = Command::new(env!("CARGO_BIN_EXE_skl-cms"))
            .args(["serve", "--bind", &format!("127.0.0.1:{port}")])
            .env("SKL_DATABASE", database)
            .env("RUST_LOG", "warn")
            .envs(settings.iter().copied())
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("the server starts");
        let base = format!("http://127.0.0.1:{port}");
        Server { child, base }
    }

    pub async fn wait_until_ready(&self) {
        let started = Instant::now();
        while started.elapsed() < Duration::from_secs(20) {
            if let Ok(reply) = reqwest::get(format!("{}/readyz", self.base)).await
                && reply.status().is_success()
            {
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("the server did not become ready");
    }

    pub async fn get(&self, path: &str) -> String {
        reqwest::get(format!("{}{path}", self.base))
            .await
            .expect("answered")
            .text()
            .await
            .expect("text")
    }

    /// Kills the process at once (SIGKILL), as a crash or a power cut would stop it.
    pub fn kill(mut self) {
        self.child.kill().expect("killed");
        self.child.wait().expect("reaped");
    }

    /// Sends SIGTERM and expects a clean exit.
    pub fn terminate(mut self) {
        let pid = self.child.id().to_string();
        assert!(
            Command::new("kill")
                .args(["-TERM", &pid])
                .status()
                .expect("kill runs")
                .success()
        );
        let started = Instant::now();
        loop {
            if let Some(status) = self.child.try_wait().expect("wait") {
                assert!(
                    status.success(),
                    "SIGTERM ends the server cleanly, not {status}"
                );
                return;
            }
            assert!(
                started.elapsed() < Duration::from_secs(10),
                "the server did not stop on SIGTERM"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

/// A server left running when a test fails is killed with it.
impl Drop for Server {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}
