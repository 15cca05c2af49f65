//! A real headless Chromium, driven over WebDriver (chromedriver) by fantoccini, and the standard
//! checkers run against what it shows: axe-core for WCAG 2.0/2.1 A and AA, the Nu HTML Checker for
//! HTML.
//!
//! Nothing is downloaded: Chromium and chromedriver come from the system (Debian's `chromium` and
//! `chromium-driver`, or `CHROMIUM` and `CHROMEDRIVER`), axe-core and the Nu checker from the npm
//! packages in `tests/a11y/node_modules` (`npm ci` there), Java from the system. When any of them is
//! missing the browser tests say so and skip, except with `CI` set, where that is a failure.

#![allow(dead_code)] // Each test uses a different part of the harness.

use std::{
    path::{Path, PathBuf},
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
};

use fantoccini::{
    Client, ClientBuilder,
    actions::{InputSource, KeyAction, KeyActions},
    key::Key,
    wd::WebDriverCompatibleCommand,
};
use serde_json::{Value, json};

/// The tools the browser tests need, found on this machine.
pub struct Tools {
    pub chromium: PathBuf,
    pub chromedriver: PathBuf,
    pub axe: PathBuf,
    pub vnu: PathBuf,
}

impl Tools {
    /// The tools, or `None` (after saying what is missing) when the tests should skip. Under CI a
    /// missing tool fails the test instead.
    pub fn find() -> Option<Tools> {
        let node_modules = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/a11y/node_modules");
        let tools = Tools {
            chromium: std::env::var_os("CHROMIUM")
                .map_or_else(|| "/usr/bin/chromium".into(), PathBuf::from),
            chromedriver: std::env::var_os("CHROMEDRIVER")
                .map_or_else(|| "/usr/bin/chromedriver".into(), PathBuf::from),
            axe: node_modules.join("axe-core/axe.min.js"),
            vnu: node_modules.join("vnu-jar/build/dist/vnu.jar"),
        };
        let java = Command::new("java")
            .arg("-version")
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|status| status.success());
        let missing: Vec<&str> = [
            (
                tools.chromium.exists(),
                "Chromium (apt-get install chromium)",
            ),
            (
                tools.chromedriver.exists(),
                "chromedriver (apt-get install chromium-driver)",
            ),
            (tools.axe.exists(), "axe-core (npm ci in tests/a11y)"),
            (tools.vnu.exists(), "vnu-jar (npm ci in tests/a11y)"),
            (java, "Java (apt-get install default-jre-headless)"),
        ]
        .into_iter()
        .filter(|(present, _)| !present)
        .map(|(_, what)| what)
        .collect();
        if missing.is_empty() {
            return Some(tools);
        }
        let message = format!("browser tests need {}", missing.join(", "));
        assert!(
            std::env::var_os("CI").is_none(),
            "{message}; CI is set, so this is a failure"
        );
        eprintln!("SKIPPED: {message}");
        None
    }
}

/// A headless Chromium with its own profile, driven through its own chromedriver.
pub struct Chrome {
    pub client: Client,
    driver: Child,
    _profile: tempfile::TempDir,
    /// Where the site under test is.
    pub base: String,
}

/// Flags for a quiet, reproducible browser that never reaches the network on its own.
const FLAGS: &[&str] = &[
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    "--window-size=1280,900",
];

impl Chrome {
    pub async fn start(tools: &Tools, base: &str) -> Chrome {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .expect("bind")
            .local_addr()
            .expect("address")
            .port();
        let driver = Command::new(&tools.chromedriver)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver starts");
        let profile = tempfile::tempdir().expect("profile folder");
        let mut args: Vec<String> = FLAGS.iter().map(|flag| (*flag).to_owned()).collect();
        args.push(format!("--user-data-dir={}", profile.path().display()));
        let capabilities = json!({
            "browserName": "chrome",
            "goog:chromeOptions": { "binary": tools.chromium, "args": args },
        });
        let Value::Object(capabilities) = capabilities else {
            unreachable!("a JSON object literal")
        };
        let url = format!("http://127.0.0.1:{port}");
        let started = Instant::now();
        let client = loop {
            let connector = hyper_util::client::legacy::connect::HttpConnector::new();
            match ClientBuilder::new(connector)
                .capabilities(capabilities.clone())
                .connect(&url)
                .await
            {
                Ok(client) => break client,
                Err(error) if started.elapsed() < Duration::from_secs(20) => {
                    let _ = error;
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
                Err(error) => panic!("cannot start a browser session: {error}"),
            }
        };
        Chrome {
            client,
            driver,
            _profile: profile,
            base: base.to_owned(),
        }
    }

    /// Opens a path of the site.
    pub async fn goto(&self, path: &str) {
        self.client
            .goto(&format!("{}{path}", self.base))
            .await
            .unwrap_or_else(|error| panic!("cannot open {path}: {error}"));
    }

    /// The current address, path and query only.
    pub async fn path(&self) -> String {
        let url = self.client.current_url().await.expect("current url");
        match url.query() {
            Some(query) => format!("{}?{query}", url.path()),
            None => url.path().to_owned(),
        }
    }

    /// Runs `script` (a function body; `arguments` holds `args`) in the page and returns its value.
    pub async fn js(&self, script: &str, args: Vec<Value>) -> Value {
        self.client
            .execute(script, args)
            .await
            .unwrap_or_else(|error| panic!("script failed: {error}\n{script}"))
    }

    /// Sends a Chrome DevTools Protocol command through chromedriver.
    pub async fn cdp(&self, command: &str, params: Value) -> Value {
        self.client
            .issue_cmd(Cdp {
                command: command.to_owned(),
                params,
            })
            .await
            .unwrap_or_else(|error| panic!("CDP {command} failed: {error}"))
    }

    /// Makes the page `width` CSS pixels wide at `scale` device pixels per CSS pixel (2.0 is what
    /// a 200 % zoom does to a 2×-wide window).
    pub async fn viewport(&self, width: u32, height: u32, scale: f64) {
        self.cdp(
            "Emulation.setDeviceMetricsOverride",
            json!({ "width": width, "height": height, "deviceScaleFactor": scale, "mobile": false }),
        )
        .await;
    }

    /// Back to the window's own size (1280 pixels wide, see `FLAGS`), waiting until the page has
    /// been laid out at it: on a busy machine that takes a moment, and a check run before would
    /// measure the narrow layout.
    pub async fn reset_viewport(&self) {
        self.cdp("Emulation.clearDeviceMetricsOverride", json!({}))
            .await;
        let started = Instant::now();
        while self
            .js("return window.innerWidth;", vec![])
            .await
            .as_i64()
            .is_some_and(|width| width < 1000)
            && started.elapsed() < Duration::from_secs(5)
        {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// The innermost elements that reach past the window's right edge, as `tag.class` (to say
    /// what makes a page scroll sideways).
    pub async fn past_right_edge(&self) -> Value {
        self.js(
            r"const width = document.documentElement.clientWidth;
              return [...document.querySelectorAll('body *')]
                .filter((el) => el.getBoundingClientRect().right > width + 0.5)
                .filter((el) => ![...el.children].some((child) => child.getBoundingClientRect().right > width + 0.5))
                .filter((el) => !el.closest('.visually-hidden, .table-wrap'))
                .slice(0, 5)
                .map((el) => el.tagName.toLowerCase() + (el.className ? '.' + el.className : '') + (el.id ? '#' + el.id : ''));",
            vec![],
        )
        .await
    }

    /// How many CSS pixels the page scrolls sideways.
    pub async fn sideways_overflow(&self) -> i64 {
        self.js(
            "return document.documentElement.scrollWidth - document.documentElement.clientWidth;",
            vec![],
        )
        .await
        .as_i64()
        .unwrap_or(i64::MAX)
    }

    /// Presses keys on whatever has focus, as a person would: each character down and up; the
    /// modifier keys (Control, Shift, Alt, Meta) stay down until `Key::Null` or the end. A newline is
    /// the Enter key.
    pub async fn keys(&self, keys: &str) {
        let modifiers: [char; 4] = [
            Key::Control.into(),
            Key::Shift.into(),
            Key::Alt.into(),
            Key::Meta.into(),
        ];
        let mut actions = KeyActions::new("keyboard".to_owned());
        let mut held: Vec<char> = Vec::new();
        for key in keys.chars() {
            let key = if key == '\n' { Key::Enter.into() } else { key };
            if modifiers.contains(&key) {
                actions = actions.then(KeyAction::Down { value: key });
                held.push(key);
            } else if key == char::from(Key::Null) {
                for modifier in held.drain(..) {
                    actions = actions.then(KeyAction::Up { value: modifier });
                }
            } else {
                actions = actions
                    .then(KeyAction::Down { value: key })
                    .then(KeyAction::Up { value: key });
            }
        }
        for modifier in held {
            actions = actions.then(KeyAction::Up { value: modifier });
        }
        self.client
            .perform_actions(actions)
            .await
            .expect("keys are pressed");
    }

    /// Marks the page, so that [`wait_for_path`](Self::wait_for_path) waits for the next one.
    pub async fn mark(&self) {
        self.js("window.__stale = true; return true;", vec![]).await;
    }

    pub async fn tab(&self) {
        self.keys(&char::from(Key::Tab).to_string()).await;
    }

    pub async fn shift_tab(&self) {
        self.keys(&format!(
            "{}{}",
            char::from(Key::Shift),
            char::from(Key::Tab)
        ))
        .await;
    }

    /// Presses Enter, which may submit a form or follow a link: the page is marked first.
    pub async fn enter(&self) {
        self.mark().await;
        self.keys(&char::from(Key::Enter).to_string()).await;
    }

    pub async fn space(&self) {
        self.keys(" ").await;
    }

    /// Replaces the text of the focused field with `text`, as Ctrl+A and typing would.
    pub async fn replace_text(&self, text: &str) {
        self.keys(&format!(
            "{}a{}",
            char::from(Key::Control),
            char::from(Key::Null)
        ))
        .await;
        self.keys(&format!("{}{text}", char::from(Key::Backspace)))
            .await;
    }

    /// What has focus: a short description (`tag#id.class "text"`), whether it shows a focus
    /// indicator, and whether it is on screen.
    pub async fn focused(&self) -> Focused {
        let value = self
            .js(
                r"const el = document.activeElement;
                  const style = getComputedStyle(el);
                  const box = el.getBoundingClientRect();
                  const ring = (style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) > 0)
                    || style.boxShadow !== 'none';
                  return {
                    tag: el.tagName.toLowerCase(),
                    id: el.id || '',
                    name: el.getAttribute('name') || '',
                    value: el.getAttribute('value') || '',
                    href: el.getAttribute('href') || '',
                    text: (el.innerText || el.value || '').trim().slice(0, 80),
                    ring,
                    style: `outline ${style.outlineStyle} ${style.outlineWidth}, box-shadow ${style.boxShadow}`,
                    visible: box.width > 0 && box.height > 0 && box.bottom > 0 && box.right > 0,
                  };",
                vec![],
            )
            .await;
        serde_json::from_value(value).expect("focus description")
    }

    /// Presses Tab until `wanted` holds for the focused element, checking at every stop that focus
    /// is visible. Panics after `limit` presses.
    pub async fn tab_to(
        &self,
        what: &str,
        limit: usize,
        wanted: impl Fn(&Focused) -> bool,
    ) -> Focused {
        for _ in 0..limit {
            self.tab().await;
            let focused = self.focused().await;
            if focused.tag != "body" {
                assert!(
                    focused.ring && focused.visible,
                    "focus is not visible on {focused:?}"
                );
            }
            if wanted(&focused) {
                return focused;
            }
        }
        panic!("{limit} presses of Tab did not reach {what}");
    }

    /// Waits until a new page (not one [`mark`](Self::mark)ed) has loaded at an address that satisfies
    /// `done`.
    pub async fn wait_for_path(&self, what: &str, done: impl Fn(&str) -> bool) -> String {
        let started = Instant::now();
        loop {
            let path = self.path().await;
            let ready = self
                .client
                .execute(
                    "return !window.__stale && document.readyState === 'complete';",
                    vec![],
                )
                .await
                .is_ok_and(|ready| ready == Value::Bool(true));
            if done(&path) && ready {
                return path;
            }
            assert!(
                started.elapsed() < Duration::from_secs(10),
                "waited in vain for {what}; at {path}"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// The page as HTML, doctype included, for the Nu checker.
    pub async fn html(&self) -> String {
        self.js(
            r"const doctype = document.doctype ? new XMLSerializer().serializeToString(document.doctype) : '';
              return doctype + '\n' + document.documentElement.outerHTML;",
            vec![],
        )
        .await
        .as_str()
        .unwrap_or_default()
        .to_owned()
    }

    /// Runs axe-core with the WCAG 2.0 and 2.1 A and AA rules; one line per violation.
    pub async fn axe(&self, axe_source: &str) -> Vec<String> {
        self.js(axe_source, vec![]).await;
        let results = self
            .client
            .execute_async(
                r"const done = arguments[arguments.length - 1];
                  axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] } })
                    .then((results) => done(results.violations.map((v) =>
                      `${v.id} (${v.impact}): ${v.help} at ${v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join(', ')}`)))
                    .catch((error) => done([`axe failed: ${error}`]));",
                vec![],
            )
            .await
            .expect("axe runs");
        serde_json::from_value(results).expect("violations")
    }

    pub async fn screenshot(&self, path: &Path) {
        let png = self.client.screenshot().await.expect("screenshot");
        std::fs::create_dir_all(path.parent().expect("folder")).expect("screenshot folder");
        std::fs::write(path, png).expect("screenshot written");
    }

    /// Ends the session and the driver.
    pub async fn quit(mut self) {
        let _ = self.client.clone().close().await;
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

impl Drop for Chrome {
    fn drop(&mut self) {
        let _ = self.driver.kill();
    }
}

/// What has focus, as [`Chrome::focused`] describes it.
#[derive(Debug, Clone, serde::Deserialize)]
pub struct Focused {
    pub tag: String,
    pub id: String,
    pub name: String,
    pub value: String,
    pub href: String,
    pub text: String,
    pub ring: bool,
    pub visible: bool,
    /// The focus indicator's computed style, to show when it is missing.
    pub style: String,
}

/// chromedriver's own command for the DevTools protocol.
#[derive(Debug)]
struct Cdp {
    command: String,
    params: Value,
}

impl WebDriverCompatibleCommand for Cdp {
    fn endpoint(
        &self,
        base_url: &url::Url,
        session_id: Option<&str>,
    ) -> Result<url::Url, url::ParseError> {
        base_url.join(&format!(
            "session/{}/goog/cdp/execute",
            session_id.unwrap_or_default()
        ))
    }

    fn method_and_body(&self, _request_url: &url::Url) -> (axum::http::Method, Option<String>) {
        let body = json!({ "cmd": self.command, "params": self.params });
        (axum::http::Method::POST, Some(body.to_string()))
    }
}

/// Problems found on pages, by page, and the pages' HTML for one run of the Nu checker at the end.
#[derive(Default)]
pub struct Report {
    pub problems: Vec<(String, String)>,
    html: Vec<(String, PathBuf)>,
    folder: Option<tempfile::TempDir>,
    pub pages: usize,
}

impl Report {
    pub fn fail(&mut self, page: &str, problem: impl Into<String>) {
        self.problems.push((page.to_owned(), problem.into()));
    }

    /// Keeps a page's HTML for the Nu checker.
    pub fn keep_html(&mut self, page: &str, html: String) {
        let folder = self
            .folder
            .get_or_insert_with(|| tempfile::tempdir().expect("html folder"));
        let file = folder.path().join(format!("page-{}.html", self.html.len()));
        std::fs::write(&file, html).expect("html written");
        self.html.push((page.to_owned(), file));
    }

    /// Runs the Nu HTML Checker over every kept page; each error becomes a problem of its page.
    pub fn check_html(&mut self, vnu: &Path) {
        if self.html.is_empty() {
            return;
        }
        let output = Command::new("java")
            .arg("-jar")
            .arg(vnu)
            .args(["--errors-only", "--format", "json"])
            .args(self.html.iter().map(|(_, file)| file))
            .output()
            .expect("the Nu checker runs");
        let report: Value = serde_json::from_slice(&output.stderr).unwrap_or_else(|_| {
            panic!(
                "Nu checker output: {}",
                String::from_utf8_lossy(&output.stderr)
            )
        });
        for message in report["messages"].as_array().into_iter().flatten() {
            if message["type"] != "error" {
                continue;
            }
            let url = message["url"].as_str().unwrap_or_default();
            let page = self
                .html
                .iter()
                .find(|(_, file)| url.ends_with(&*file.to_string_lossy()))
                .map_or(url.to_owned(), |(page, _)| page.clone());
            let text = format!(
                "HTML: {} (line {})",
                message["message"].as_str().unwrap_or_default(),
                message["lastLine"]
            );
            self.problems.push((page, text));
        }
    }

    /// Panics with every problem, one per line, if there are any.
    pub fn assert_clean(&self) {
        let lines: Vec<String> = self
            .problems
            .iter()
            .map(|(page, problem)| format!("{page}: {problem}"))
            .collect();
        assert!(
            lines.is_empty(),
            "{} problems on {} pages:\n{}",
            lines.len(),
            self.pages,
            lines.join("\n")
        );
    }
}

/// The folder for screenshots: `target/screenshots`.
pub fn screenshot_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("target/screenshots")
}
