//! Forwarding headers are believed from trusted proxies only: the client's address in the audit log,
//! in the log lines and a proxy's request id come from a proxy the site trusts, never from a client
//! naming them.

mod common;

use std::sync::{Arc, Mutex};

use common::{TestApp, hidden};
use skl_cms::{db, proxy::TrustedProxies, vocab::AuditAction, vocab::Role};

/// Sends the login form with `username`, `password` and `headers`.
async fn log_in_with(
    app: &TestApp,
    username: &str,
    password: &str,
    headers: &[(&str, &str)],
) -> reqwest::Response {
    let browser = app.browser();
    let form = browser.get("/admin/login").await;
    let csrf = hidden(&form.text(), "csrf");
    let mut request = browser
        .client
        .post(app.url("/admin/login"))
        .header("origin", &browser.base)
        .form(&[
            ("csrf", csrf.as_str()),
            ("username", username),
            ("password", password),
        ]);
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    request.send().await.expect("answered")
}

/// Fails a login with `headers` and returns the address the audit log recorded and the response's
/// request id.
async fn failed_login(app: &TestApp, headers: &[(&str, &str)]) -> (String, String) {
    let reply = log_in_with(app, "ingen", "fel lösenord för provet", headers).await;
    let id = reply
        .headers()
        .get("x-request-id")
        .and_then(|id| id.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let entry = db::audit::list(app.db(), None, Some(AuditAction::LoginFailed), 1, 0)
        .await
        .expect("audit")
        .pop()
        .expect("the failure is logged");
    (entry.ip.unwrap_or_default(), id)
}

const FORGED: &[(&str, &str)] = &[
    ("x-forwarded-for", "203.0.113.9"),
    ("x-request-id", "forged-id"),
];

#[tokio::test]
async fn a_client_cannot_name_its_own_address_or_request_id() {
    let app = TestApp::spawn().await;
    let (ip, id) = failed_login(&app, FORGED).await;
    assert_eq!(ip, "127.0.0.1", "the connection's peer, not the header");
    assert!(!id.is_empty() && id != "forged-id", "{id}");
    // Trusting another proxy changes nothing for a peer that is not it.
    let app = TestApp::spawn_configured(|state| {
        state.with_trusted_proxies(TrustedProxies::parse("10.0.0.0/8").expect("list"))
    })
    .await;
    let (ip, id) = failed_login(&app, FORGED).await;
    assert_eq!(ip, "127.0.0.1");
    assert_ne!(id, "forged-id");
}

#[tokio::test]
async fn a_trusted_proxy_s_client_and_request_id_are_taken() {
    let app =
        TestApp::spawn_configured(|state| state.with_trusted_proxies(TrustedProxies::loopback()))
            .await;
    let (ip, id) = failed_login(
        &app,
        &[
            ("x-forwarded-for", "198.51.100.23, 127.0.0.1"),
            ("x-request-id", "proxy-42"),
        ],
    )
    .await;
    assert_eq!(
        ip, "198.51.100.23",
        "the rightmost address that is not a proxy"
    );
    assert_eq!(id, "proxy-42");
}

#[tokio::test]
async fn https_at_a_trusted_proxy_means_secure_cookies_and_hsts() {
    let app =
        TestApp::spawn_configured(|state| state.with_trusted_proxies(TrustedProxies::loopback()))
            .await;
    let get = |proto: &'static str| {
        let app = &app;
        async move {
            app.get_with("/admin/login", &[("x-forwarded-proto", proto)])
                .await
        }
    };
    let https = get("https").await;
    let cookie = https.header("set-cookie").expect("the login form's cookie");
    assert!(cookie.contains("; Secure"), "{cookie}");
    assert!(https.header("strict-transport-security").is_some());
    let http = get("http").await;
    assert!(
        !http
            .header("set-cookie")
            .expect("cookie")
            .contains("Secure")
    );
    assert!(http.header("strict-transport-security").is_none());
    // From a peer that is not trusted, the header says nothing.
    let untrusted = TestApp::spawn().await;
    let forged = untrusted
        .get_with("/admin/login", &[("x-forwarded-proto", "https")])
        .await;
    assert!(
        !forged
            .header("set-cookie")
            .expect("cookie")
            .contains("Secure")
    );
    assert!(forged.header("strict-transport-security").is_none());
}

/// A log that the tests of this file can read: JSON lines, as `--log-format json` writes them.
fn captured_log() -> Arc<Mutex<Vec<u8>>> {
    static LOG: std::sync::OnceLock<Arc<Mutex<Vec<u8>>>> = std::sync::OnceLock::new();
    Arc::clone(LOG.get_or_init(|| {
        let log = Arc::new(Mutex::new(Vec::new()));
        let sink = Arc::clone(&log);
        tracing_subscriber::fmt()
            .json()
            .with_max_level(tracing::Level::INFO)
            .with_writer(move || Sink(Arc::clone(&sink)))
            .init();
        log
    }))
}

struct Sink(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Sink {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().expect("log").extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// The captured log lines that mention `user` logging in.
fn logins_of(log: &Mutex<Vec<u8>>, user: &str) -> Vec<serde_json::Value> {
    let text = String::from_utf8(log.lock().expect("log").clone()).expect("UTF-8");
    text.lines()
        .map(|line| serde_json::from_str::<serde_json::Value>(line).expect("a JSON line"))
        .filter(|line| line["fields"]["user"] == user && line["fields"]["message"] == "logged in")
        .collect()
}

#[tokio::test]
async fn log_lines_name_the_client_as_the_proxy_rules_tell_it() {
    let log = captured_log();
    let password = "ett långt lösenord för loggprovet";
    let behind =
        TestApp::spawn_configured(|state| state.with_trusted_proxies(TrustedProxies::loopback()))
            .await;
    behind.add_user("via-proxy", Role::Editor, password).await;
    let reply = log_in_with(
        &behind,
        "via-proxy",
        password,
        &[("x-forwarded-for", "198.51.100.77, 127.0.0.1")],
    )
    .await;
    assert!(reply.status().is_redirection(), "{}", reply.status());
    let lines = logins_of(&log, "via-proxy");
    assert_eq!(lines.len(), 1, "{lines:?}");
    assert_eq!(lines[0]["span"]["client"], "198.51.100.77", "{}", lines[0]);
    assert!(lines[0]["span"]["id"].is_string(), "{}", lines[0]);

    // From a peer that is not a proxy, the header names nobody: the line has the peer.
    let direct = TestApp::spawn().await;
    direct.add_user("direct", Role::Editor, password).await;
    let reply = log_in_with(
        &direct,
        "direct",
        password,
        &[("x-forwarded-for", "203.0.113.99")],
    )
    .await;
    assert!(reply.status().is_redirection(), "{}", reply.status());
    let lines = logins_of(&log, "direct");
    assert_eq!(lines.len(), 1, "{lines:?}");
    assert_eq!(lines[0]["span"]["client"], "127.0.0.1", "{}", lines[0]);
}
