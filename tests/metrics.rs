//! `/metrics` on its own address, in the Prometheus text format, with what operators watch.

mod common;

use common::{TestApp, hidden};
use reqwest::StatusCode;

/// The value of the sample `name` (with its labels, as written) in `text`.
fn sample(text: &str, name: &str) -> Option<f64> {
    text.lines()
        .find_map(|line| line.strip_prefix(name)?.strip_prefix(' '))
        .and_then(|value| value.split_whitespace().next()?.parse().ok())
}

#[tokio::test]
async fn metrics_report_requests_the_cache_pages_and_refused_logins() {
    let app = TestApp::spawn().await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let metrics_url = format!("http://{}/metrics", listener.local_addr().expect("address"));
    tokio::spawn(axum::serve(listener, skl_cms::metrics::router(app.state.clone())).into_future());

    assert_eq!(app.get("/om-oss").await.status, StatusCode::OK);
    assert_eq!(
        app.get("/om-oss").await.status,
        StatusCode::OK,
        "from the cache"
    );
    assert_eq!(app.get("/finns-inte").await.status, StatusCode::NOT_FOUND);
    let browser = app.browser();
    let csrf = hidden(&browser.get("/admin/login").await.text(), "csrf");
    browser
        .post(
            "/admin/login",
            &[
                ("csrf", &csrf),
                ("username", "ingen"),
                ("password", "fel lösenord för provet"),
            ],
        )
        .await;

    let reply = reqwest::get(&metrics_url).await.expect("scraped");
    assert_eq!(reply.status(), StatusCode::OK);
    let kind = reply
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    assert!(kind.starts_with("application/openmetrics-text"), "{kind}");
    let text = reply.text().await.expect("text");
    assert!(text.ends_with("# EOF\n"), "a whole exposition");
    let requests = |labels: &str| {
        sample(&text, &format!("skl_cms_http_requests_total{{{labels}}}")).unwrap_or(0.0)
    };
    assert!(requests("group=\"pages\",status=\"200\"") >= 1.0, "{text}");
    assert!(requests("group=\"pages\",status=\"404\"") >= 1.0, "{text}");
    assert!(requests("group=\"admin\",status=\"401\"") >= 1.0, "{text}");
    assert!(
        sample(&text, "skl_cms_render_cache_hits_total").unwrap_or(0.0) >= 1.0,
        "{text}"
    );
    assert!(
        sample(&text, "skl_cms_render_cache_entries").unwrap_or(0.0) >= 1.0,
        "{text}"
    );
    assert_eq!(
        sample(&text, "skl_cms_render_cache_evictions_total"),
        Some(0.0),
        "nothing evicted within the default budget: {text}"
    );
    assert!(
        sample(&text, "skl_cms_pages{status=\"published\"}").unwrap_or(0.0) > 10.0,
        "{text}"
    );
    assert_eq!(sample(&text, "skl_cms_logins_failed"), Some(1.0), "{text}");
    assert_eq!(
        sample(&text, "skl_cms_backup_age_seconds"),
        Some(-1.0),
        "no backup yet"
    );
    assert!(
        text.contains("skl_cms_http_request_duration_seconds_bucket{"),
        "{text}"
    );
    assert!(
        sample(&text, "skl_cms_db_pool_connections").unwrap_or(0.0) >= 1.0,
        "{text}"
    );

    // Never on the site's own address.
    assert_eq!(app.get("/metrics").await.status, StatusCode::NOT_FOUND);
}
