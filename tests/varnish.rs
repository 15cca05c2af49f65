//! The real Varnish in front of the server, with `deploy/varnish.vcl` as shipped: it keeps public
//! pages for as long as `--cdn-max-age` allows, an edit purges exactly the responses it made stale
//! (seen through Varnish within a second, while other pages stay in its cache), the keys never
//! reach visitors, the editors' area passes through, a purge sent while Varnish is away is sent
//! again until it arrives, and `skl-cms import` purges everything when it changed something.

mod common;

use std::time::{Duration, Instant};

use common::{
    Browser, TestApp,
    admin::{PASSWORD, create_page, save},
    binary::{Workspace, arg, stderr},
    nginx::free_port,
    varnish::{self, Varnish},
};
use reqwest::StatusCode;
use skl_cms::{cdn::Purger, vocab::Role};

/// A request through Varnish (which keeps gzip, and unpacks it for this client that does not ask
/// for it): whether Varnish had it, and the body.
async fn visit(client: &reqwest::Client, varnish: &Varnish, path: &str) -> (String, String) {
    let reply = client
        .get(format!("{}{path}", varnish.base))
        .send()
        .await
        .expect("Varnish answers");
    assert_eq!(reply.status(), StatusCode::OK, "{path}");
    assert!(
        reply.headers().get("xkey").is_none(),
        "the keys stay in Varnish"
    );
    let cache = reply
        .headers()
        .get("x-cache")
        .and_then(|value| value.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    (cache, reply.text().await.expect("body"))
}

#[tokio::test]
async fn varnish_keeps_pages_and_an_edit_purges_exactly_what_it_made_stale() {
    if !varnish::present("the Varnish test") {
        return;
    }
    let port = free_port();
    let endpoint = format!("http://127.0.0.1:{port}/")
        .parse()
        .expect("endpoint");
    let purger = Purger::start(endpoint);
    let app = TestApp::spawn_configured({
        let purger = purger.clone();
        move |state| state.with_cdn_max_age(3600).with_cdn_purger(purger)
    })
    .await;
    // The server purges everything when it starts; Varnish is not there yet, so that purge is
    // tried again until it is.
    let work = tempfile::tempdir().expect("temporary folder");
    tokio::time::sleep(Duration::from_millis(300)).await;
    let varnish = Varnish::start(work.path(), port, app.addr.port());
    assert!(
        purger.settled(Duration::from_secs(15)).await,
        "the first purge arrives once Varnish listens"
    );
    let (sent, failed) = purger.counts();
    assert!(
        sent >= 1 && failed >= 1,
        "sent {sent}, failed {failed}: tried while Varnish was away, sent once it was there"
    );

    // An editor works through Varnish too: the editors' area passes through it.
    app.add_user("anna", Role::Admin, PASSWORD).await;
    let editor = Browser::at(&varnish.base);
    editor.log_in("anna", PASSWORD).await.assert_redirect();
    let edited = create_page(
        &editor,
        &[
            ("title", "Sida som ändras"),
            ("path", "sida-som-andras"),
            ("body", "Den första texten."),
        ],
    )
    .await;
    create_page(
        &editor,
        &[
            ("title", "Sida som står kvar"),
            ("path", "sida-som-star-kvar"),
            ("body", "Texten här ändras inte."),
        ],
    )
    .await;

    let visitor = reqwest::Client::new();
    for path in ["/sida-som-andras", "/sida-som-star-kvar", "/sitemap.xml"] {
        let (first, _) = visit(&visitor, &varnish, path).await;
        assert_eq!(first, "MISS", "{path} is fetched once");
        let (second, _) = visit(&visitor, &varnish, path).await;
        assert_eq!(second, "HIT", "{path} is kept");
    }
    let direct = app.get("/sida-som-andras").await;
    let control = direct.header("cache-control").expect("cache-control");
    assert!(control.contains("s-maxage=3600"), "{control}");
    let keys = direct.header("xkey").expect("keys for Varnish");
    assert!(
        keys.split(' ').any(|key| key == format!("p{edited}")),
        "{keys}"
    );

    let saved = save(&editor, edited, &[("body", "Den andra texten.")]).await;
    saved.assert_redirect();
    let started = Instant::now();
    loop {
        let (_, body) = visit(&visitor, &varnish, "/sida-som-andras").await;
        if body.contains("Den andra texten.") {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(1),
            "the edit is seen through Varnish within a second"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    println!("edit seen through Varnish after {:?}", started.elapsed());
    let (cache, body) = visit(&visitor, &varnish, "/sida-som-star-kvar").await;
    assert_eq!(
        cache, "HIT",
        "a page the edit did not touch stays in Varnish"
    );
    assert!(body.contains("Texten här ändras inte."));
    // The sitemap lists every page, so its date of the edited page is stale too.
    let (cache, _) = visit(&visitor, &varnish, "/sitemap.xml").await;
    assert_eq!(cache, "MISS", "the sitemap was purged");
}

#[tokio::test]
async fn a_purge_from_elsewhere_is_refused_and_one_without_keys_is_answered_400() {
    if !varnish::present("the Varnish test") {
        return;
    }
    let app = TestApp::spawn().await;
    let work = tempfile::tempdir().expect("temporary folder");
    let port = free_port();
    let varnish = Varnish::start(work.path(), port, app.addr.port());
    let purge = |client: &reqwest::Client, keys: Option<&str>| {
        let mut request = client.request(
            reqwest::Method::from_bytes(b"PURGE").expect("method"),
            format!("{}/", varnish.base),
        );
        if let Some(keys) = keys {
            request = request.header("xkey-purge", keys);
        }
        request.send()
    };
    let local = reqwest::Client::new();
    let reply = purge(&local, Some("p1 site")).await.expect("answer");
    assert_eq!(reply.status(), StatusCode::OK);
    for keys in [None, Some("p1|.*"), Some("p1  site"), Some("\"x\"")] {
        let reply = purge(&local, keys).await.expect("answer");
        assert_eq!(reply.status(), StatusCode::BAD_REQUEST, "{keys:?}");
    }
    // Another loopback address than the ones the configuration lets purge.
    let Ok(elsewhere) = reqwest::Client::builder()
        .local_address(std::net::IpAddr::from([127, 0, 0, 2]))
        .build()
    else {
        panic!("a client on 127.0.0.2");
    };
    let reply = purge(&elsewhere, Some("site")).await.expect("answer");
    assert_eq!(reply.status(), StatusCode::METHOD_NOT_ALLOWED);
}

#[test]
fn an_import_that_changes_pages_purges_everything() {
    if !varnish::present("the Varnish test") {
        return;
    }
    let work = Workspace::on_either_engine();
    let port = free_port();
    let varnish = Varnish::start(&work.path("varnish-work"), port, free_port());
    let purge = format!("{}/", varnish.base);
    let content = common::content_dir();
    let imported = work.run(&["--cdn-purge", &purge, "import", arg(&content)]);
    assert!(imported.status.success(), "{}", stderr(&imported));
    let log = std::process::Command::new("varnishlog")
        .arg("-n")
        .arg(work.path("varnish-work").join("varnish"))
        .args(["-d", "-g", "raw", "-i", "ReqHeader"])
        .output()
        .expect("varnishlog runs");
    let log = String::from_utf8_lossy(&log.stdout);
    assert!(
        log.lines()
            .any(|line| line.trim_end().ends_with("xkey-purge: site")),
        "the import purged everything: {log}"
    );
    // Nothing changed the second time: nothing to purge, and no wait for a cache.
    let again = work.run(&[
        "--cdn-purge",
        "http://127.0.0.1:9/",
        "import",
        arg(&content),
    ]);
    assert!(again.status.success(), "{}", stderr(&again));
}
