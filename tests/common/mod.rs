//! The test harness: the real server on 127.0.0.1:0 over a fresh SQLite file, spoken to over TCP.

#![allow(dead_code)] // Each test binary uses a different part of the harness.

use std::{net::SocketAddr, path::PathBuf};

use reqwest::{StatusCode, header::HeaderMap};
use skl_cms::{
    AppState, app,
    content::{Kind, Status, transfer},
    db::{self, pages::PageContent},
    lang::Lang,
    time::{self, DatePrecision},
};
use sqlx::SqlitePool;
use tempfile::TempDir;
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::{TcpListener, TcpStream},
    sync::oneshot,
};

/// A running server with its own database.
pub struct TestApp {
    pub addr: SocketAddr,
    pub state: AppState,
    pub client: reqwest::Client,
    pub dir: TempDir,
    stop: Option<oneshot::Sender<()>>,
    server: Option<tokio::task::JoinHandle<std::io::Result<()>>>,
}

/// A response, read whole.
pub struct Reply {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
}

impl Reply {
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|value| value.to_str().ok())
    }
}

impl TestApp {
    /// A server over a new database, seeded as on a first start.
    pub async fn spawn() -> TestApp {
        let dir = tempfile::tempdir().expect("temporary folder");
        TestApp::spawn_in(dir).await
    }

    /// A server over the database in `dir` (created if missing), seeded if it is new.
    pub async fn spawn_in(dir: TempDir) -> TestApp {
        let pool = db::open(&dir.path().join("site.db"))
            .await
            .expect("database opens");
        transfer::seed_if_new(&pool).await.expect("seed imports");
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("address");
        let state = AppState::new(pool, &format!("http://{addr}"))
            .await
            .expect("state");
        let (stop, stopped) = oneshot::channel::<()>();
        let server = tokio::spawn(app::serve(listener, state.clone(), async {
            let _ = stopped.await;
        }));
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("client");
        TestApp {
            addr,
            state,
            client,
            dir,
            stop: Some(stop),
            server: Some(server),
        }
    }

    pub fn db(&self) -> &SqlitePool {
        &self.state.db
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// GET `path` with extra request headers.
    pub async fn get_with(&self, path: &str, headers: &[(&str, &str)]) -> Reply {
        let mut request = self.client.get(self.url(path));
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        let response = request.send().await.expect("request is answered");
        let status = response.status();
        let headers = response.headers().clone();
        let body = response.bytes().await.expect("body").to_vec();
        Reply {
            status,
            headers,
            body,
        }
    }

    pub async fn get(&self, path: &str) -> Reply {
        self.get_with(path, &[]).await
    }

    /// Sends `request_head` (a request line and headers, without the final blank line) byte for byte,
    /// for requests that no well-behaved client would send. Returns the status and the whole response.
    pub async fn raw(&self, request_head: &[u8]) -> (u16, String) {
        let mut stream = TcpStream::connect(self.addr).await.expect("connect");
        stream.write_all(request_head).await.expect("write");
        stream
            .write_all(b"\r\nHost: localhost\r\nConnection: close\r\n\r\n")
            .await
            .expect("write");
        let mut response = Vec::new();
        stream.read_to_end(&mut response).await.expect("read");
        let text = String::from_utf8_lossy(&response).into_owned();
        let status = text
            .split(' ')
            .nth(1)
            .and_then(|code| code.parse().ok())
            .unwrap_or(0);
        (status, text)
    }

    /// Creates a page as an editor would and tells the site that content changed.
    pub async fn add_page(&self, page: &PageContent) -> i64 {
        let id = db::pages::insert(self.db(), page, &time::now_db())
            .await
            .expect("insert");
        self.state.content_changed().await.expect("invalidate");
        id
    }

    /// Stops the server, letting requests in flight finish.
    pub async fn stop(mut self) -> TempDir {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(server) = self.server.take() {
            server
                .await
                .expect("server task")
                .expect("server ends cleanly");
        }
        self.state.db.close().await;
        self.dir
    }
}

/// A published Swedish page at `path`, for tests to vary.
pub fn page(path: &str, title: &str) -> PageContent {
    PageContent {
        lang: Lang::Sv,
        path: path.to_owned(),
        title: title.to_owned(),
        description: String::new(),
        body_md: format!("Om {title}."),
        body_html: format!("<p>Om {title}.</p>"),
        kind: Kind::Page,
        status: Status::Published,
        publish_at: None,
        date_precision: DatePrecision::Day,
        menu_order: None,
        translation_key: None,
        archived: false,
    }
}

/// The seed content folder of the repository.
pub fn content_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("content")
}

/// Escapes text the way the templates do, to find it in a page.
pub fn html_escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}
