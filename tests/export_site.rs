//! `skl-cms export-site`: the static copy, served by the real nginx with the configuration in
//! `deploy/nginx-static.conf`, answers every page and every link in it.

mod common;

use skl_cms::db::engine::query;
use std::{
    collections::{BTreeSet, VecDeque},
    io::Read,
    os::unix::fs::PermissionsExt,
    path::{Path, PathBuf},
    process::Command,
};

use common::{
    TestApp,
    binary::files_below,
    news,
    nginx::{self, Nginx, free_port},
};
use reqwest::StatusCode;
use skl_cms::media::library;

/// The site's own addresses that `body` links to: `href` and `src` attributes, and the sitemap's
/// and feed's absolute URLs below `base`.
fn links(body: &str, base: &str) -> Vec<String> {
    let mut found = Vec::new();
    for marker in ["href=\"", "src=\"", "<loc>", "<id>"] {
        for piece in body.split(marker).skip(1) {
            let end = piece.find(['"', '<']).unwrap_or(piece.len());
            let link = piece[..end].replace("&amp;", "&");
            let link = link.strip_prefix(base).map(str::to_owned).unwrap_or(link);
            if link.starts_with('/') && !link.starts_with("//") {
                found.push(link.split('#').next().unwrap_or_default().to_owned());
            }
        }
    }
    // Every candidate of a `srcset`: the variants of the library's images.
    for piece in body.split("srcset=\"").skip(1) {
        let list = &piece[..piece.find('"').unwrap_or(piece.len())];
        for candidate in list.split(',') {
            if let Some(url) = candidate
                .split_whitespace()
                .next()
                .filter(|url| url.starts_with('/'))
            {
                found.push(url.to_owned());
            }
        }
    }
    found
}

async fn get(
    client: &reqwest::Client,
    url: &str,
    encoding: &str,
) -> (StatusCode, Option<String>, Vec<u8>) {
    let response = client
        .get(url)
        .header("accept-encoding", encoding)
        .send()
        .await
        .unwrap_or_else(|error| panic!("{url}: {error}"));
    let status = response.status();
    let content_encoding = response
        .headers()
        .get("content-encoding")
        .and_then(|value| value.to_str().ok())
        .map(str::to_owned);
    let body = response.bytes().await.expect("body").to_vec();
    (status, content_encoding, body)
}

#[tokio::test]
async fn the_static_copy_served_by_nginx_answers_every_page_and_link() {
    if !nginx::present("the static export test") {
        return;
    }
    let app = TestApp::spawn().await;
    // More news than one page of the list holds, so that the list has a second page.
    for day in 1..=11 {
        let item = news(
            &format!("nyheter/nyhet-{day}"),
            &format!("Nyhet {day}"),
            &format!("2021-03-{day:02}T09:00:00Z"),
        );
        app.add_page(&item).await;
    }
    // Old addresses of pages that have moved; one of them is trashed below.
    for (old, now) in [
        ("gamla-om-oss", "om-oss"),
        ("gammal-nyhet", "nyheter/nyhet-1"),
    ] {
        on_pool!(app.db(), |pool| query(
            "insert into redirects (lang, from_path, page_id, created_at) \
             select 'sv', ?, id, '2026-01-01T00:00:00Z' from pages where lang = 'sv' and path = ?",
        )
        .bind(old)
        .bind(now)
        .execute(pool)
        .await
        .map(|_| ())
        .expect("a redirect"));
    }

    // An image of the media library, on a page of its own.
    let editor = app
        .add_user(
            "anna",
            skl_cms::vocab::Role::Editor,
            "ett långt lösenord för test",
        )
        .await;
    let bytes = common::images::png(900, 300);
    let prepared = library::prepare(library::Upload {
        name: "bild.png".into(),
        bytes,
    })
    .await
    .expect("an image");
    let texts = skl_cms::db::media::Texts {
        alt_sv: "En bild".into(),
        ..Default::default()
    };
    let author = skl_cms::change::Author {
        id: editor,
        ip: "127.0.0.1".into(),
    };
    let [library::Stored::New(image_id)] = app
        .state
        .apply(
            library::store(app.db(), &app.state.clock, &author, &[prepared], &texts)
                .await
                .expect("stored"),
        )
        .await[..]
    else {
        panic!("a new file");
    };
    let mut with_image = common::page("bilder", "Bilder");
    with_image.content.body_md = format!("![](/media/{image_id}/bild.png)");
    app.add_page(&with_image).await;

    let work = tempfile::tempdir().expect("temporary folder");
    // Readable by others too, should nginx run as another user than the test.
    std::fs::set_permissions(work.path(), std::fs::Permissions::from_mode(0o755))
        .expect("readable folder");
    let root = work.path().join("site");
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let database = common::location(app.dir.path()).await.to_string();
    let export = |root: &Path| {
        Command::new(env!("CARGO_BIN_EXE_skl-cms"))
            .arg("--database")
            .arg(&database)
            .arg("export-site")
            .arg(root)
            .args(["--base-url", &base])
            .env("RUST_LOG", "warn")
            .output()
            .expect("the binary runs")
    };
    let output = export(&root);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "export-site failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        stdout.starts_with("exported "),
        "the summary line: {stdout}"
    );

    let files = files_below(&root);
    let has = |name: &str| files.contains(&PathBuf::from(name));
    for expected in [
        "index.html",
        "index.html.gz",
        "index.html.br",
        "en/index.html",
        "om-oss/index.html",
        "nyheter/sida/2/index.html",
        "gamla-om-oss/index.html",
        "gammal-nyhet/index.html",
        "feed.xml",
        "en/feed.xml.br",
        "sitemap.xml",
        "robots.txt",
        "404.html",
        "en/404.html",
    ] {
        assert!(has(expected), "{expected} is in the copy");
    }
    assert!(
        files
            .iter()
            .any(|file| file.starts_with("static")
                && file.extension().is_some_and(|ext| ext == "css")),
        "the stylesheets are in the copy"
    );

    let server = nginx::replaced(
        &nginx::shipped("nginx-static.conf"),
        "listen 80;",
        &format!("listen 127.0.0.1:{port};"),
    );
    let server = nginx::replaced(
        &server,
        "root /var/www/skl-cms;",
        &format!("root {};", root.display()),
    );
    let nginx = Nginx::start(work.path(), &server, port);
    assert_eq!(nginx.base, base);
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client");

    // Every page of the copy, and everything any page, feed or sitemap links to.
    let mut queue: VecDeque<String> = files
        .iter()
        .filter_map(|file| {
            let name = file.to_str()?;
            let page = name.strip_suffix("index.html")?;
            Some(format!("/{}", page.trim_end_matches('/')))
        })
        .chain(["/feed.xml", "/en/feed.xml", "/sitemap.xml", "/robots.txt"].map(String::from))
        .collect();
    let mut seen = BTreeSet::new();
    while let Some(url) = queue.pop_front() {
        let url = if url.is_empty() { "/".to_owned() } else { url };
        if !seen.insert(url.clone()) {
            continue;
        }
        let (status, _, body) = get(&client, &format!("{base}{url}"), "identity").await;
        assert_eq!(status, StatusCode::OK, "{url} answers from the copy");
        let body = String::from_utf8_lossy(&body);
        if url.starts_with("/static/") {
            continue;
        }
        assert!(
            !body.contains("role=\"search\""),
            "{url} offers no search the copy cannot answer"
        );
        queue.extend(links(&body, &base));
    }
    assert!(seen.len() > 30, "the crawl reached the site: {seen:?}");
    for reached in [
        "/nyheter/sida/2",
        "/en/news",
        "/millenniekommun/millenniemalen",
    ] {
        assert!(seen.contains(reached), "{reached} was reached");
    }

    // The image and its variants, as files that may be kept for a year.
    assert!(
        seen.contains(&format!("/media/{image_id}/480/bild.png")),
        "{seen:?}"
    );
    for url in [
        format!("/media/{image_id}/bild.png"),
        format!("/media/{image_id}/480/bild.webp"),
    ] {
        let reply = client
            .get(format!("{base}{url}"))
            .send()
            .await
            .expect("answered");
        assert_eq!(reply.status(), StatusCode::OK, "{url}");
        let header = |name: &str| {
            reply
                .headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default()
                .to_owned()
        };
        assert!(header("content-type").starts_with("image/"), "{url}");
        assert!(
            header("cache-control").contains("max-age=31536000"),
            "{url}"
        );
        assert_eq!(header("x-content-type-options"), "nosniff");
    }

    // Compressed forms, as browsers ask for them, decode to the page.
    let (_, _, plain) = get(&client, &format!("{base}/om-oss"), "identity").await;
    let (_, encoding, gzipped) = get(&client, &format!("{base}/om-oss"), "gzip").await;
    assert_eq!(encoding.as_deref(), Some("gzip"));
    let mut decoded = Vec::new();
    flate2::read::GzDecoder::new(&gzipped[..])
        .read_to_end(&mut decoded)
        .expect("gzip");
    assert_eq!(decoded, plain);
    let (_, encoding, brotli) = get(&client, &format!("{base}/om-oss"), "br, gzip").await;
    assert_eq!(encoding.as_deref(), Some("br"));
    let mut decoded = Vec::new();
    brotli::Decompressor::new(&brotli[..], 4096)
        .read_to_end(&mut decoded)
        .expect("brotli");
    assert_eq!(decoded, plain);

    // A missing address gets its language's "not found" page; an old one leads on.
    let (status, _, body) = get(&client, &format!("{base}/finns-inte"), "identity").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(String::from_utf8_lossy(&body).contains("Sidan finns inte"));
    let (status, _, body) = get(&client, &format!("{base}/en/missing"), "identity").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(String::from_utf8_lossy(&body).contains("Page not found"));
    let (_, _, moved) = get(&client, &format!("{base}/gamla-om-oss"), "identity").await;
    let moved = String::from_utf8_lossy(&moved);
    assert!(
        moved.contains("url=/om-oss\"") && moved.contains("href=\"/om-oss\""),
        "{moved}"
    );

    // A second export replaces the first whole: a page gone from the site is gone from the copy.
    on_pool!(app.db(), |pool| query(
        "update pages set deleted_at = '2026-01-02T00:00:00Z' where path = 'nyheter/nyhet-1'",
    )
    .execute(pool)
    .await
    .map(|_| ())
    .expect("trashed"));
    let again = export(&root);
    assert!(
        again.status.success(),
        "{}",
        String::from_utf8_lossy(&again.stderr)
    );
    assert!(
        !root.join("nyheter/nyhet-1").exists(),
        "the trashed page is gone"
    );
    assert!(
        !root.join("gammal-nyhet").exists(),
        "and so is its old address"
    );
    assert!(root.join("nyheter/nyhet-2/index.html").exists());
    let beside: Vec<_> = std::fs::read_dir(work.path())
        .expect("readable")
        .filter_map(|entry| entry.ok()?.file_name().into_string().ok())
        .filter(|name| name.starts_with("site."))
        .collect();
    assert!(
        beside.is_empty(),
        "nothing is left beside the copy: {beside:?}"
    );

    // A folder of someone's own files is never replaced.
    let theirs = work.path().join("theirs");
    std::fs::create_dir(&theirs).expect("folder");
    std::fs::write(theirs.join("notes.txt"), "mine").expect("file");
    let refused = export(&theirs);
    assert_eq!(refused.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&refused.stderr).contains("not empty"));
    assert!(theirs.join("notes.txt").exists());
}
