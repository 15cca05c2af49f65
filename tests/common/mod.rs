//! The test harness: the real server on 127.0.0.1:0 over a fresh SQLite file, spoken to over TCP.

#![allow(dead_code)] // Each test binary uses a different part of the harness.

pub mod admin;
pub mod binary;
pub mod images;
pub mod nginx;
pub mod varnish;

use std::{net::SocketAddr, path::PathBuf};

use reqwest::{StatusCode, header::HeaderMap};
use skl_cms::{
    AppState, app, auth,
    change::Author,
    content::{
        editing::{self, Draft, Outcome, Translation},
        transfer,
    },
    db::{self, pages::Content},
    ids::{PageId, UserId},
    lang::Lang,
    time::{self, Clock, DatePrecision},
    vocab::{Kind, Role, Status},
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

    /// Asserts that this is the 303 a form answers when it was accepted, and returns where it leads.
    #[track_caller]
    pub fn assert_redirect(&self) -> &str {
        assert_eq!(
            self.status,
            StatusCode::SEE_OTHER,
            "expected the form to be accepted: {}",
            self.text()
        );
        self.header("location").expect("a 303 has a Location")
    }

    /// Asserts that this sends a visitor without a (live) session to the login form.
    #[track_caller]
    pub fn assert_to_login(&self, why: &str) {
        assert_eq!(self.status, StatusCode::SEE_OTHER, "{why}");
        let to = self.header("location").unwrap_or_default();
        assert!(to.starts_with("/admin/login"), "{why}: sent to {to}");
    }
}

/// `$body` with `$p` the test's pool, whichever engine it is: the same code compiled for both, for
/// statements both engines take, written with `?` placeholders through `skl_cms::db::engine`'s
/// `query`, `query_as` and `query_scalar`, which give PostgreSQL its own.
#[macro_export]
macro_rules! on_pool {
    ($pool:expr, |$p:ident| $body:expr) => {
        match $pool {
            skl_cms::db::Pool::Sqlite($p) => $body,
            skl_cms::db::Pool::Postgres($p) => $body,
        }
    };
}

/// `$sqlite` or `$postgres` with the test's pool: for what each engine says its own way (its
/// catalogue, its index's tables).
#[macro_export]
macro_rules! by_pool {
    ($pool:expr, |$s:ident| $sqlite:expr, |$p:ident| $postgres:expr $(,)?) => {
        match $pool {
            skl_cms::db::Pool::Sqlite($s) => $sqlite,
            skl_cms::db::Pool::Postgres($p) => $postgres,
        }
    };
}

/// A new, empty, migrated database for one test: a SQLite file in `dir`, or, when
/// `SKL_TEST_POSTGRES` names a PostgreSQL database (`tests/support/postgres.sh` starts one), a new
/// database on that server, so that the suite runs on either engine.
pub async fn database(dir: &std::path::Path) -> db::Pool {
    // `TEST_LOG=1` shows the server's log lines (errors and their causes) with the test's output.
    if std::env::var_os("TEST_LOG").is_some() {
        let _ = tracing_subscriber::fmt().with_test_writer().try_init();
    }
    location(dir).await.open().await.expect("database opens")
}

/// The test's database for the folder `dir`: a SQLite file in it, or with `SKL_TEST_POSTGRES` set
/// (the URL of a server's database the role may create others from), a PostgreSQL database of its
/// own, created on first use and named in the folder, so that a server started again on the same
/// folder finds the same database.
pub async fn location(dir: &std::path::Path) -> db::Location {
    let base = match std::env::var("SKL_TEST_POSTGRES") {
        Ok(base) if !base.is_empty() => base,
        _ => return db::Location::File(dir.join("site.db")),
    };
    let named = dir.join("postgres-database");
    if let Ok(url) = std::fs::read_to_string(&named) {
        return db::Location::Postgres(url);
    }
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let name = format!(
        "skl_test_{}_{}",
        std::process::id(),
        NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
    );
    let server = sqlx::PgPool::connect(&base).await.expect("the test server");
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "drop database if exists {name}"
    )))
    .execute(&server)
    .await
    .expect("drop an earlier run's database");
    sqlx::query(sqlx::AssertSqlSafe(format!("create database {name}")))
        .execute(&server)
        .await
        .expect("create the test's database");
    server.close().await;
    let (server_url, _) = base.rsplit_once('/').expect("a database URL");
    let url = format!("{server_url}/{name}");
    std::fs::write(&named, &url).expect("the database named in the folder");
    db::Location::Postgres(url)
}

impl TestApp {
    /// A server over a new database, seeded as on a first start.
    pub async fn spawn() -> TestApp {
        let dir = tempfile::tempdir().expect("temporary folder");
        TestApp::spawn_in(dir).await
    }

    /// A server over a new, seeded database whose clock the test sets.
    pub async fn spawn_with_clock(clock: Clock) -> TestApp {
        let dir = tempfile::tempdir().expect("temporary folder");
        TestApp::start(dir, clock).await
    }

    /// A server over the test's database for `dir` (see [`location`]; created if missing), seeded
    /// if it is new.
    pub async fn spawn_in(dir: TempDir) -> TestApp {
        TestApp::start(dir, Clock::system()).await
    }

    /// A second server over the database of `other` (another instance of the same site), in a
    /// folder of its own.
    #[allow(dead_code)] // Only the tests of several instances start a second.
    pub async fn spawn_beside(other: &TestApp) -> TestApp {
        TestApp::spawn_at(location(other.dir.path()).await).await
    }

    /// A server over the database at `location`, seeded if it is new.
    #[allow(dead_code)] // Not every test binary names its database.
    pub async fn spawn_at(location: db::Location) -> TestApp {
        let dir = tempfile::tempdir().expect("temporary folder");
        let pool = location.open().await.expect("database opens");
        TestApp::serve(dir, pool, Clock::system(), |state| state).await
    }

    /// A server over a SQLite file in `dir`, whichever engine the other tests run on: for a test
    /// about SQLite's file itself.
    #[allow(dead_code)] // Not every test binary is about SQLite's file.
    pub async fn spawn_on_sqlite_in(dir: TempDir) -> TestApp {
        let pool = db::Location::File(dir.path().join("site.db"))
            .open()
            .await
            .expect("database opens");
        TestApp::serve(dir, pool, Clock::system(), |state| state).await
    }

    /// A server over a new, seeded database, its state changed by `configure` first (as the
    /// command line's options would).
    #[allow(dead_code)] // Not every test binary configures one.
    pub async fn spawn_configured(configure: impl FnOnce(AppState) -> AppState) -> TestApp {
        let dir = tempfile::tempdir().expect("temporary folder");
        TestApp::start_configured(dir, Clock::system(), configure).await
    }

    /// A server configured by `configure`, on `clock`.
    pub async fn spawn_configured_at(
        clock: Clock,
        configure: impl FnOnce(AppState) -> AppState,
    ) -> TestApp {
        let dir = tempfile::tempdir().expect("temporary folder");
        TestApp::start_configured(dir, clock, configure).await
    }

    async fn start(dir: TempDir, clock: Clock) -> TestApp {
        TestApp::start_configured(dir, clock, |state| state).await
    }

    async fn start_configured(
        dir: TempDir,
        clock: Clock,
        configure: impl FnOnce(AppState) -> AppState,
    ) -> TestApp {
        let pool = database(dir.path()).await;
        TestApp::serve(dir, pool, clock, configure).await
    }

    async fn serve(
        dir: TempDir,
        pool: db::Pool,
        clock: Clock,
        configure: impl FnOnce(AppState) -> AppState,
    ) -> TestApp {
        transfer::seed_if_new(&pool).await.expect("seed imports");
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("address");
        let state = configure(
            AppState::with_clock(pool, &format!("http://{addr}"), clock)
                .await
                .expect("state"),
        );
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

    pub fn db(&self) -> &skl_cms::db::Pool {
        &self.state.db
    }

    /// The SQLite pool, for a test's own statements about SQLite's files and tables.
    pub fn sqlite(&self) -> &SqlitePool {
        self.state.db.sqlite().expect("a SQLite database")
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
        Reply::read(request.send().await.expect("request is answered")).await
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

    /// Creates a page through the editors' own save path (Markdown rendered, revision, audit entry,
    /// render cache), as an editor of the test's would.
    pub async fn add_page(&self, draft: &Draft) -> PageId {
        let author = Author {
            id: self.page_author().await,
            ip: "127.0.0.1".to_owned(),
        };
        let edited = editing::create(self.db(), &self.state.clock, &author, draft.clone())
            .await
            .expect("create");
        match self.state.apply(edited).await {
            Outcome::Saved { id, .. } => id,
            other => panic!("the page was not created: {other:?}"),
        }
    }

    /// Page `id` as stored, which must exist.
    pub async fn page(&self, id: PageId) -> db::pages::Page {
        db::pages::find(self.db(), id)
            .await
            .expect("query")
            .expect("page")
    }

    /// The account that [`add_page`](Self::add_page) writes as; it cannot log in.
    async fn page_author(&self) -> UserId {
        const NAME: &str = "testredaktor";
        if let Some(user) = db::users::find_by_name(self.db(), NAME)
            .await
            .expect("read accounts")
        {
            return user.id;
        }
        // Not a hash of anything, so no password matches it.
        db::users::insert(
            self.db(),
            NAME,
            "Testredaktör",
            "!",
            Role::Editor,
            &time::now_db(),
        )
        .await
        .expect("insert author")
        .expect("new username")
    }

    /// Creates an account directly in the database.
    pub async fn add_user(&self, username: &str, role: Role, password: &str) -> UserId {
        let hash = auth::hash_password(password.to_owned())
            .await
            .expect("hash");
        db::users::insert(self.db(), username, username, &hash, role, &time::now_db())
            .await
            .expect("insert user")
            .expect("new username")
    }

    /// A browser of its own (cookie jar included) that has logged in as `username`.
    pub async fn login(&self, username: &str, password: &str) -> Browser {
        let browser = self.browser();
        let reply = browser.log_in(username, password).await;
        assert_eq!(
            reply.status,
            StatusCode::SEE_OTHER,
            "login as {username}: {}",
            reply.text()
        );
        browser
    }

    /// The path of the one-time setup link a start offers while there are no accounts.
    #[allow(dead_code)] // Only the tests of the first account use it.
    pub async fn setup_path(&self) -> String {
        let link = skl_cms::admin::login::offer_setup_link(&self.state)
            .await
            .expect("setup")
            .expect("a link when there are no accounts");
        link[link.find("/admin/setup/").expect("path")..].to_owned()
    }

    /// A browser of its own, not logged in.
    pub fn browser(&self) -> Browser {
        Browser::at(&format!("http://{}", self.addr))
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
pub fn page(path: &str, title: &str) -> Draft {
    Draft {
        lang: Lang::Sv,
        content: Content {
            path: path.to_owned(),
            title: title.to_owned(),
            description: String::new(),
            body_md: format!("Om {title}."),
            kind: Kind::Page,
            status: Status::Published,
            publish_at: None,
            date_precision: DatePrecision::Day,
            menu_order: None,
            translation_key: None,
            archived: false,
        },
        parent_id: None,
        translation: Translation::Unlinked,
    }
}

/// A published Swedish news item at `path`, dated `published` (RFC 3339).
pub fn news(path: &str, title: &str, published: &str) -> Draft {
    let mut item = page(path, title);
    item.content.kind = Kind::News;
    item.content.publish_at = Some(published.to_owned());
    item
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

/// A client that keeps cookies, as a browser does, and sends forms as one would: with the Origin
/// of the page they came from.
pub struct Browser {
    pub base: String,
    pub client: reqwest::Client,
}

impl Browser {
    /// A browser, with no cookies yet, for the site at `base`.
    pub fn at(base: &str) -> Browser {
        Browser {
            base: base.to_owned(),
            client: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .cookie_store(true)
                .build()
                .expect("client"),
        }
    }

    pub async fn get(&self, path: &str) -> Reply {
        let response = self
            .client
            .get(format!("{}{path}", self.base))
            .send()
            .await
            .expect("request is answered");
        Reply::read(response).await
    }

    /// POSTs a form from a page of this site.
    pub async fn post(&self, path: &str, fields: &[(&str, &str)]) -> Reply {
        self.post_with(path, fields, &[("origin", &self.base.clone())])
            .await
    }

    /// POSTs a form with the given headers instead of this site's Origin.
    pub async fn post_with(
        &self,
        path: &str,
        fields: &[(&str, &str)],
        headers: &[(&str, &str)],
    ) -> Reply {
        let mut request = self
            .client
            .post(format!("{}{path}", self.base))
            .form(fields);
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        Reply::read(request.send().await.expect("request is answered")).await
    }

    /// Logs in through the login form, as a person would: load it, fill it in, send it.
    pub async fn log_in(&self, username: &str, password: &str) -> Reply {
        let form = self.get("/admin/login").await;
        let csrf = hidden(&form.text(), "csrf");
        self.post(
            "/admin/login",
            &[
                ("csrf", &csrf),
                ("username", username),
                ("password", password),
                ("next", ""),
            ],
        )
        .await
    }

    /// Loads a page's edit form and returns its fields as the form would send them.
    pub async fn edit_form(&self, page_id: PageId) -> Vec<(String, String)> {
        let reply = self.get(&format!("/admin/pages/{page_id}")).await;
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.text());
        form_fields(&reply.text(), "edit-form")
    }
}

impl Reply {
    pub async fn read(response: reqwest::Response) -> Reply {
        let status = response.status();
        let headers = response.headers().clone();
        let body = response.bytes().await.expect("body").to_vec();
        Reply {
            status,
            headers,
            body,
        }
    }
}

/// The value of the first hidden input called `name` in `html`.
pub fn hidden(html: &str, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    let start = html
        .find(&marker)
        .unwrap_or_else(|| panic!("no hidden {name} in {html}"))
        + marker.len();
    let end = html[start..].find('"').expect("closing quote") + start;
    html_unescape(&html[start..end])
}

/// The fields of the form with `id` in `html`, as a browser would send them: inputs with their values,
/// checked radios and checkboxes, selected options and textareas. Enough for the admin's own forms.
pub fn form_fields(html: &str, id: &str) -> Vec<(String, String)> {
    let start = html.find(&format!("id=\"{id}\"")).expect("form present");
    let end = html[start..].find("</form>").expect("form ends") + start;
    let form = &html[start..end];
    let attr = |tag: &str, name: &str| -> Option<String> {
        let marker = format!(" {name}=\"");
        let at = tag.find(&marker)? + marker.len();
        let stop = tag[at..].find('"')? + at;
        Some(html_unescape(&tag[at..stop]))
    };
    let mut fields = Vec::new();
    let mut rest = form;
    while let Some(open) = rest.find('<') {
        rest = &rest[open..];
        let close = rest.find('>').expect("tag ends");
        let tag = &rest[..=close];
        if tag.starts_with("<input") {
            let kind = attr(tag, "type").unwrap_or_default();
            let checked = tag.contains(" checked");
            if let Some(name) = attr(tag, "name") {
                let value = attr(tag, "value").unwrap_or_else(|| "on".to_owned());
                if !(kind == "radio" || kind == "checkbox") || checked {
                    fields.push((name, value));
                }
            }
        } else if tag.starts_with("<textarea") {
            let name = attr(tag, "name").expect("textarea name");
            let body_end = rest.find("</textarea>").expect("textarea ends");
            fields.push((name, html_unescape(&rest[close + 1..body_end])));
        } else if tag.starts_with("<select") {
            let name = attr(tag, "name").expect("select name");
            let select_end = rest.find("</select>").expect("select ends");
            let options = &rest[..select_end];
            let selected = options
                .split("<option")
                .skip(1)
                .find(|option| option.contains(" selected"))
                .and_then(|option| attr(&format!("<option{option}"), "value"))
                .unwrap_or_default();
            fields.push((name, selected));
        }
        rest = &rest[close + 1..];
    }
    fields
}

/// Replaces `name`'s value in form fields (or adds it).
pub fn set_field(fields: &mut Vec<(String, String)>, name: &str, value: &str) {
    match fields.iter_mut().find(|(field, _)| field == name) {
        Some(field) => field.1 = value.to_owned(),
        None => fields.push((name.to_owned(), value.to_owned())),
    }
}

/// The fields as the `&[(&str, &str)]` that [`Browser::post`] takes.
pub fn as_pairs(fields: &[(String, String)]) -> Vec<(&str, &str)> {
    fields
        .iter()
        .map(|(name, value)| (name.as_str(), value.as_str()))
        .collect()
}

/// Reverses the templates' escaping.
pub fn html_unescape(text: &str) -> String {
    text.replace("&quot;", "\"")
        .replace("&#34;", "\"")
        .replace("&#39;", "'")
        .replace("&#x27;", "'")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}
