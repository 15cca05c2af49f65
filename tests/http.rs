//! HTTP done right: caching, compression, security headers, and hostile requests.

mod common;

use std::io::Read;

use common::{TestApp, page};
use reqwest::StatusCode;

const SECURITY_HEADERS: &[&str] = &[
    "content-security-policy",
    "x-content-type-options",
    "referrer-policy",
    "permissions-policy",
    "x-frame-options",
];

fn assert_security_headers(reply: &common::Reply, what: &str) {
    for name in SECURITY_HEADERS {
        assert!(reply.header(name).is_some(), "{what} lacks {name}");
    }
    let csp = reply.header("content-security-policy").unwrap_or_default();
    assert!(csp.contains("default-src 'self'"), "{what}: {csp}");
    assert!(csp.contains("frame-ancestors 'none'"), "{what}: {csp}");
    assert!(!csp.contains("unsafe-inline"), "{what}: {csp}");
    assert_eq!(reply.header("x-content-type-options"), Some("nosniff"));
}

#[tokio::test]
async fn security_headers_are_on_pages_errors_and_assets() {
    let app = TestApp::spawn().await;
    let css = app.state.assets.url("site.css").to_owned();
    for path in [
        "/",
        "/om-oss",
        "/feed.xml",
        "/finns-inte",
        "/nyheter?page=x",
        "/healthz",
        css.as_str(),
    ] {
        // Twice: once rendered, once from the cache.
        for _ in 0..2 {
            assert_security_headers(&app.get(path).await, path);
        }
    }
    let (_, raw) = app.raw(b"DELETE /om-oss HTTP/1.1").await;
    assert!(
        raw.to_ascii_lowercase()
            .contains("content-security-policy: default-src 'self'")
    );
}

#[tokio::test]
async fn visitors_get_no_cookies() {
    let app = TestApp::spawn().await;
    for path in [
        "/",
        "/en/",
        "/om-oss",
        "/nyheter",
        "/feed.xml",
        "/sitemap.xml",
        "/finns-inte",
    ] {
        assert!(
            app.get(path).await.header("set-cookie").is_none(),
            "{path} sets a cookie"
        );
    }
}

#[tokio::test]
async fn a_matching_etag_gets_304_and_a_stale_one_the_page() {
    let app = TestApp::spawn().await;
    let first = app.get("/om-oss").await;
    let etag = first.header("etag").expect("pages have an etag").to_owned();
    assert!(
        first
            .header("cache-control")
            .is_some_and(|value| value.contains("public"))
    );

    let again = app.get_with("/om-oss", &[("if-none-match", &etag)]).await;
    assert_eq!(again.status, StatusCode::NOT_MODIFIED);
    assert!(again.body.is_empty());
    assert_eq!(again.header("etag"), Some(etag.as_str()));

    let stale = app
        .get_with("/om-oss", &[("if-none-match", "\"0000\"")])
        .await;
    assert_eq!(stale.status, StatusCode::OK);
    assert_eq!(stale.body, first.body);
}

#[tokio::test]
async fn a_content_change_changes_the_etag() {
    let app = TestApp::spawn().await;
    let before = app.get("/").await.header("etag").expect("etag").to_owned();
    let mut new_page = page("ny-sida", "Ny sida");
    new_page.content.menu_order = Some(7);
    app.add_page(&new_page).await;
    let after = app.get_with("/", &[("if-none-match", &before)]).await;
    assert_eq!(
        after.status,
        StatusCode::OK,
        "the old version must not be confirmed as current"
    );
    assert!(after.text().contains("Ny sida"));
}

#[tokio::test]
async fn the_first_request_gets_a_quick_gzip_and_later_ones_the_best() {
    let app = TestApp::spawn().await;
    let first = app
        .get_with("/sa-arbetar-vi", &[("accept-encoding", "gzip, br")])
        .await;
    assert_eq!(
        first.header("content-encoding"),
        Some("gzip"),
        "no waiting for brotli"
    );
    let quick_tag = first.header("etag").expect("etag").to_owned();
    assert!(quick_tag.ends_with("-gzq\""), "{quick_tag}");
    let mut later = app
        .get_with("/sa-arbetar-vi", &[("accept-encoding", "gzip")])
        .await;
    for _ in 0..200 {
        if later.header("etag") != Some(quick_tag.as_str()) {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        later = app
            .get_with("/sa-arbetar-vi", &[("accept-encoding", "gzip")])
            .await;
    }
    assert!(
        later.body.len() <= first.body.len(),
        "the best gzip is no larger than the quick one"
    );
    let revalidated = app
        .get_with("/sa-arbetar-vi", &[("if-none-match", &quick_tag)])
        .await;
    assert_eq!(
        revalidated.status,
        reqwest::StatusCode::NOT_MODIFIED,
        "a copy with the quick gzip's tag is still current: the body has not changed"
    );
}

#[tokio::test]
async fn pages_are_compressed_as_negotiated() {
    let app = TestApp::spawn().await;
    let plain = app.get("/om-oss").await;
    assert!(plain.header("content-encoding").is_none());

    let gzip = app
        .get_with("/om-oss", &[("accept-encoding", "gzip")])
        .await;
    assert_eq!(gzip.header("content-encoding"), Some("gzip"));
    assert!(
        gzip.header("vary")
            .is_some_and(|vary| vary.contains("accept-encoding"))
    );
    let mut decoded = Vec::new();
    flate2::read::GzDecoder::new(&gzip.body[..])
        .read_to_end(&mut decoded)
        .expect("valid gzip");
    assert_eq!(decoded, plain.body);

    // The request that rendered the page got a quick gzip; the best compression, brotli included,
    // is made off the async runtime and replaces it in the cache a moment later.
    let mut brotli = app
        .get_with("/om-oss", &[("accept-encoding", "gzip, deflate, br")])
        .await;
    for _ in 0..200 {
        if brotli.header("content-encoding") == Some("br") {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        brotli = app
            .get_with("/om-oss", &[("accept-encoding", "gzip, deflate, br")])
            .await;
    }
    assert_eq!(brotli.header("content-encoding"), Some("br"));
    let mut decoded = Vec::new();
    brotli::BrotliDecompress(&mut &brotli.body[..], &mut decoded).expect("valid brotli");
    assert_eq!(decoded, plain.body);
    assert!(brotli.body.len() < plain.body.len());
}

#[tokio::test]
async fn head_answers_with_headers_only() {
    let app = TestApp::spawn().await;
    let get = app.get("/om-oss").await;
    for _ in 0..2 {
        let head = app
            .client
            .head(app.url("/om-oss"))
            .send()
            .await
            .expect("answered");
        assert_eq!(head.status(), StatusCode::OK);
        let length = head
            .headers()
            .get("content-length")
            .and_then(|value| value.to_str().ok())
            .map(str::to_owned);
        assert_eq!(length, Some(get.body.len().to_string()));
        assert!(head.bytes().await.expect("body").is_empty());
    }
}

#[tokio::test]
async fn static_assets_are_fingerprinted_and_immutable() {
    let app = TestApp::spawn().await;
    let css = app.state.assets.url("site.css").to_owned();
    assert!(
        css.starts_with("/static/site.")
            && css.ends_with(".css")
            && css.len() > "/static/site..css".len()
    );
    assert!(
        app.get("/").await.text().contains(&css),
        "pages link the fingerprinted stylesheet"
    );
    let reply = app.get(&css).await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(
        reply.header("cache-control"),
        Some("public, max-age=31536000, immutable")
    );
    assert!(
        reply
            .header("content-type")
            .is_some_and(|value| value.starts_with("text/css"))
    );
    assert_eq!(
        app.get("/static/site.css").await.status,
        StatusCode::NOT_FOUND,
        "unfingerprinted names are unknown"
    );
}

#[tokio::test]
async fn unknown_methods_get_405_with_a_page() {
    let app = TestApp::spawn().await;
    let reply = app
        .client
        .post(app.url("/om-oss"))
        .send()
        .await
        .expect("answered");
    assert_eq!(reply.status(), StatusCode::METHOD_NOT_ALLOWED);
    assert!(reply.headers().get("allow").is_some());
    for method in ["PUT", "DELETE", "PATCH", "FOO"] {
        let (status, _) = app.raw(format!("{method} / HTTP/1.1").as_bytes()).await;
        assert_eq!(status, 405, "{method}");
    }
}

#[tokio::test]
async fn traversal_attempts_never_return_files() {
    let app = TestApp::spawn().await;
    for target in [
        "/../../../../etc/passwd",
        "/static/../../../../etc/passwd",
        "/static/..%2f..%2f..%2fetc%2fpasswd",
        "/%2e%2e/%2e%2e/etc/passwd",
        "/..%5c..%5cCargo.toml",
        "/static/%2e%2e%2fCargo.toml",
        "/en/../../etc/passwd",
        "/content/sv/om-oss.md",
        "/src/main.rs",
    ] {
        let (status, body) = app.raw(format!("GET {target} HTTP/1.1").as_bytes()).await;
        assert!((400..500).contains(&status), "{target} answered {status}");
        assert!(
            !body.contains("root:") && !body.contains("[package]") && !body.contains("fn main"),
            "{target}"
        );
    }
}

#[tokio::test]
async fn malformed_addresses_get_a_4xx_never_a_500() {
    let app = TestApp::spawn().await;
    let long = format!("GET /{} HTTP/1.1", "a".repeat(5000));
    let cases: Vec<Vec<u8>> = vec![
        b"GET /%FF%FE HTTP/1.1".to_vec(),
        b"GET /om-oss?q=%FF HTTP/1.1".to_vec(),
        b"GET /nyheter?page=%C3%28 HTTP/1.1".to_vec(),
        b"GET /a%00b HTTP/1.1".to_vec(),
        b"GET /%00 HTTP/1.1".to_vec(),
        b"GET /om-oss%ZZ HTTP/1.1".to_vec(),
        long.into_bytes(),
        b"GET /\xff\xfe HTTP/1.1".to_vec(),
        b"GET //// HTTP/1.1".to_vec(),
        b"GET /nyheter?page=99999999999999999999 HTTP/1.1".to_vec(),
    ];
    for request in cases {
        let (status, _) = app.raw(&request).await;
        let shown = String::from_utf8_lossy(&request[..request.len().min(60)]).into_owned();
        assert!((400..500).contains(&status), "{shown} answered {status}");
    }
}

#[tokio::test]
async fn invalid_utf8_gets_a_human_sentence_in_the_pages_language() {
    let app = TestApp::spawn().await;
    let (status, body) = app.raw(b"GET /en/%FF HTTP/1.1").await;
    assert_eq!(status, 400);
    assert!(
        body.contains("<html lang=\"en\">") && body.contains("characters that are not allowed"),
        "{body}"
    );
    let (status, body) = app.raw(b"GET /%FF HTTP/1.1").await;
    assert_eq!(status, 400);
    assert!(body.contains("tecken som inte är tillåtna"), "{body}");
}

#[tokio::test]
async fn health_checks_answer() {
    let app = TestApp::spawn().await;
    let live = app.get("/healthz").await;
    assert_eq!(live.status, StatusCode::OK);
    assert_eq!(live.header("cache-control"), Some("no-store"));
    assert_eq!(app.get("/readyz").await.status, StatusCode::OK);
    app.state.db.close().await;
    assert_eq!(
        app.get("/readyz").await.status,
        StatusCode::SERVICE_UNAVAILABLE,
        "a closed database is not ready"
    );
}

#[tokio::test]
async fn server_errors_show_a_page_with_a_request_id_and_no_cause() {
    let app = TestApp::spawn().await;
    // A table gone from under the server: a statement fails (not the database as a whole, which
    // is answered 503, as below).
    on_pool!(app.db(), |pool| skl_cms::db::engine::query(
        "alter table pages rename to pages_gone"
    )
    .execute(pool)
    .await
    .map(|_| ())
    .expect("renamed"));
    let reply = app.get("/en/about").await;
    assert_eq!(reply.status, StatusCode::INTERNAL_SERVER_ERROR);
    let id = reply
        .header("x-request-id")
        .expect("responses carry their request id")
        .to_owned();
    let html = reply.text();
    assert!(
        html.contains("Something went wrong") && html.contains(&format!("<code>{id}</code>")),
        "{html}"
    );
    assert!(
        !html.contains("pages_gone") && !html.contains("sqlx"),
        "the cause is not shown: {html}"
    );
    assert_security_headers(&reply, "500 page");

    // The database closed (as when it cannot be reached): 503, to try again shortly.
    app.state.db.close().await;
    let away = app.get("/en/news").await;
    assert_eq!(away.status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(away.header("retry-after"), Some("30"));
    assert!(
        !away.text().to_lowercase().contains("pool"),
        "no cause shown"
    );
}

#[tokio::test]
async fn shutdown_lets_the_server_finish_and_stop() {
    let app = TestApp::spawn().await;
    assert_eq!(app.get("/").await.status, StatusCode::OK);
    let addr = app.addr;
    let _dir = app.stop().await;
    assert!(
        tokio::net::TcpStream::connect(addr).await.is_err(),
        "the listener is closed after shutdown"
    );
}

/// A small deterministic generator, so that a failure names a request that can be replayed.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        self.0 >> 33
    }

    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        let len = u64::try_from(items.len()).unwrap_or(1);
        items[usize::try_from(self.next() % len).unwrap_or(0)]
    }
}

#[tokio::test]
async fn no_generated_address_gets_a_server_error() {
    let app = TestApp::spawn().await;
    let pieces = [
        "",
        "/",
        "//",
        "en",
        "en/",
        "om-oss",
        "nyheter",
        "news",
        "static",
        "site.css",
        "..",
        "%2e%2e",
        "%2F",
        "%00",
        "%FF",
        "%C3%A5",
        "å",
        "%",
        "%%",
        "?",
        "?page=",
        "?page=2",
        "?page=-1",
        "?page=1e9",
        "&",
        "#",
        "feed.xml",
        "sitemap.xml",
        "millenniekommun",
        "millenniemalen",
        "a".repeat(300).leak(),
        ";",
        "\\",
        "~",
        "%ZZ",
        "%u0041",
        "+",
        " ",
    ];
    let methods = [
        "GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS", "PATCH", "TRACE", "BREW",
    ];
    let mut random = Lcg(0x5eed);
    for _ in 0..400 {
        let mut target = String::from("/");
        for _ in 0..(1 + random.next() % 4) {
            target.push_str(random.pick(&pieces));
            if random.next().is_multiple_of(2) {
                target.push('/');
            }
        }
        let target = target.replace(' ', "%20").replace('#', "%23");
        let method = random.pick(&methods);
        let (status, _) = app
            .raw(format!("{method} {target} HTTP/1.1").as_bytes())
            .await;
        assert!(
            (100..500).contains(&status),
            "{method} {target} answered {status}"
        );
    }
}

#[tokio::test]
async fn a_client_that_never_finishes_its_request_head_is_cut_off() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let app = TestApp::spawn().await;
    let mut stream = tokio::net::TcpStream::connect(app.addr)
        .await
        .expect("connect");
    stream
        .write_all(b"GET / HTTP/1.1\r\nHost: localhost\r\nX-Slow: ")
        .await
        .expect("write");
    let started = std::time::Instant::now();
    let limit = skl_cms::app::HEADER_READ_TIMEOUT + std::time::Duration::from_secs(5);
    let mut rest = Vec::new();
    let closed = tokio::time::timeout(limit, stream.read_to_end(&mut rest)).await;
    assert!(
        closed.is_ok(),
        "the server still holds the connection after {limit:?}"
    );
    assert!(
        started.elapsed() + std::time::Duration::from_secs(1) >= skl_cms::app::HEADER_READ_TIMEOUT
    );
}

#[tokio::test]
async fn a_body_over_the_limit_gets_413_with_or_without_a_length() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let app = TestApp::spawn().await;
    let form = format!("username=a&password={}", "x".repeat(2 * 1024 * 1024));
    // Declared up front: refused before a byte of the body is read.
    let declared = app
        .client
        .post(app.url("/admin/login"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(form.clone())
        .send()
        .await
        .expect("answered");
    assert_eq!(declared.status(), StatusCode::PAYLOAD_TOO_LARGE);
    assert!(declared.text().await.expect("text").contains("högst 1 MB"));
    // Chunked, without a length: refused once the limit is passed.
    let mut stream = tokio::net::TcpStream::connect(app.addr)
        .await
        .expect("connect");
    stream
        .write_all(
            b"POST /admin/login HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\
              Content-Type: application/x-www-form-urlencoded\r\nTransfer-Encoding: chunked\r\n\r\n",
        )
        .await
        .expect("head");
    for chunk in form.as_bytes().chunks(64 * 1024) {
        let mut framed = format!("{:x}\r\n", chunk.len()).into_bytes();
        framed.extend_from_slice(chunk);
        framed.extend_from_slice(b"\r\n");
        if stream.write_all(&framed).await.is_err() {
            break; // The server answered and closed before the end: that is allowed.
        }
    }
    let _ = stream.write_all(b"0\r\n\r\n").await;
    let mut response = Vec::new();
    let _ = stream.read_to_end(&mut response).await;
    let response = String::from_utf8_lossy(&response);
    assert!(
        response.starts_with("HTTP/1.1 413"),
        "{}",
        &response[..response.len().min(200)]
    );
    assert!(response.contains("högst 1 MB"), "the page names the limit");
}

#[tokio::test]
async fn connections_past_the_limit_get_503_and_the_rest_are_served() {
    use tokio::io::AsyncReadExt;
    let app = TestApp::spawn_configured(|state| state.with_max_connections(2)).await;
    let first = tokio::net::TcpStream::connect(app.addr)
        .await
        .expect("connect");
    let second = tokio::net::TcpStream::connect(app.addr)
        .await
        .expect("connect");
    // Let the server take both before the third arrives.
    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    let mut third = tokio::net::TcpStream::connect(app.addr)
        .await
        .expect("connect");
    let mut answer = String::new();
    tokio::time::timeout(
        std::time::Duration::from_secs(5),
        third.read_to_string(&mut answer),
    )
    .await
    .expect("answered at once")
    .expect("read");
    assert!(answer.starts_with("HTTP/1.1 503"), "{answer}");
    assert!(answer.contains("Retry-After: 1"), "{answer}");
    drop(first);
    drop(second);
    let started = std::time::Instant::now();
    loop {
        if let Ok(reply) = app.client.get(app.url("/om-oss")).send().await
            && reply.status() == StatusCode::OK
        {
            break;
        }
        assert!(
            started.elapsed() < std::time::Duration::from_secs(5),
            "served again"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}
