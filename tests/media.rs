//! The media library: uploads told by their content, limits while the body streams in, images cleaned
//! of camera metadata and made into variants, pages that show them responsively, serving with ranges,
//! the list of uses, the delete guard and replacement. Real HTTP over TCP and a real SQLite file.

mod common;

use common::images::{CAMERA, COMMENT, XMP, camera_jpeg, gif, jpeg, pdf, png, png_bomb, webp};
use common::{
    Browser, Reply, TestApp,
    admin::{app_with_editor, audit_actions, create_page, save, upload_to},
    hidden,
};
use reqwest::{StatusCode, multipart};
use skl_cms::db::engine::query_scalar;
use skl_cms::{db, ids::MediaId, media::DEFAULT_MAX_UPLOAD};

/// Posts an upload form with `files` (name, bytes) and the text `fields`, as the library's form
/// sends it: the token and texts first, the files last.
async fn upload(browser: &Browser, fields: &[(&str, &str)], files: &[(&str, Vec<u8>)]) -> Reply {
    upload_to(browser, "/admin/media", fields, files).await
}

/// Uploads one file and returns its id.
async fn upload_one(browser: &Browser, alt: &str, name: &str, bytes: Vec<u8>) -> MediaId {
    let reply = upload(browser, &[("alt_sv", alt)], &[(name, bytes)]).await;
    id_of(&reply)
}

fn id_of(reply: &Reply) -> MediaId {
    let location = reply.assert_redirect();
    location
        .trim_start_matches("/admin/media/")
        .split('?')
        .next()
        .and_then(|id| id.parse().ok())
        .unwrap_or_else(|| panic!("no file id in {location}"))
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack
        .windows(needle.len())
        .any(|window| window == needle)
}

/// Every stored byte of file `id`: the original and each variant.
async fn stored_bytes(app: &TestApp, id: MediaId) -> Vec<Vec<u8>> {
    let mut all: Vec<Vec<u8>> = on_pool!(app.db(), |pool| query_scalar(
        "select body from media_variants where media_id = ?"
    )
    .bind(id)
    .fetch_all(pool)
    .await
    .expect("variants"));
    all.push(on_pool!(app.db(), |pool| query_scalar(
        "select body from media where id = ?"
    )
    .bind(id)
    .fetch_one(pool)
    .await
    .expect("original")));
    all
}

/// The addresses of a file and its variants that the library's HTML shows.
fn media_addresses(html: &str) -> Vec<String> {
    let mut found: Vec<String> = html
        .split(['"', ' ', ','])
        .filter(|part| part.starts_with("/media/"))
        .map(str::to_owned)
        .collect();
    found.sort();
    found.dedup();
    found
}

#[tokio::test]
async fn each_allowed_type_is_taken_and_served_with_the_right_headers() {
    let (app, browser) = app_with_editor().await;
    let cases: [(&str, Vec<u8>, &str, &str); 5] = [
        ("foto.jpg", jpeg(1200, 800), "image/jpeg", "/foto.jpg"),
        ("ritning.png", png(300, 200), "image/png", "/ritning.png"),
        ("bild.webp", webp(640, 480), "image/webp", "/bild.webp"),
        ("rorlig.gif", gif(64, 64), "image/gif", "/rorlig.gif"),
        (
            "Årsrapport 2024.pdf",
            pdf(2_000),
            "application/pdf",
            "/arsrapport-2024.pdf",
        ),
    ];
    for (name, bytes, mime, ending) in cases {
        let id = upload_one(&browser, "En bild", name, bytes).await;
        let item = db::media::find(app.db(), id)
            .await
            .expect("the database answers")
            .expect("stored");
        assert_eq!(item.media_type.mime(), mime, "{name}");
        let url = format!("/media/{id}{ending}");
        let served = app.get(&url).await;
        assert_eq!(served.status, StatusCode::OK, "{url}");
        assert_eq!(served.header("content-type"), Some(mime));
        assert_eq!(served.header("x-content-type-options"), Some("nosniff"));
        assert_eq!(
            served.header("cache-control"),
            Some("public, max-age=31536000, immutable")
        );
        let etag = served.header("etag").expect("etag").to_owned();
        assert!(etag.starts_with('"'), "a strong ETag: {etag}");
        let again = app.get_with(&url, &[("if-none-match", &etag)]).await;
        assert_eq!(again.status, StatusCode::NOT_MODIFIED);
        let disposition = served.header("content-disposition").expect("disposition");
        if mime == "application/pdf" {
            assert_eq!(disposition, "attachment; filename=\"arsrapport-2024.pdf\"");
            let policy = served.header("content-security-policy").expect("policy");
            assert!(policy.contains("sandbox"), "{policy}");
        } else {
            assert!(disposition.starts_with("inline"), "{disposition}");
            // What is served decodes as the image it claims to be.
            image::load_from_memory(&served.body).expect("a readable image");
        }
        // Another name for the same id is nothing.
        assert_eq!(
            app.get(&format!("/media/{id}/annat-namn.jpg")).await.status,
            StatusCode::NOT_FOUND
        );
    }
    // The photograph has variants in its own format and WebP, none wider than itself.
    let item = db::media::list(app.db(), &Default::default(), 10, 0)
        .await
        .expect("the database answers");
    let photo = item
        .iter()
        .find(|item| item.file_name == "foto.jpg")
        .expect("photo");
    let variants = db::media::variants(app.db(), photo.id)
        .await
        .expect("the database answers");
    let widths: Vec<(u32, &str)> = variants.iter().map(|v| (v.width, v.format.id())).collect();
    assert_eq!(
        widths,
        vec![
            (480, "jpeg"),
            (480, "webp"),
            (960, "jpeg"),
            (960, "webp"),
            (1200, "webp")
        ]
    );
    let small = app.get(&format!("/media/{}/480/foto.webp", photo.id)).await;
    assert_eq!(small.status, StatusCode::OK);
    assert_eq!(small.header("content-type"), Some("image/webp"));
    let decoded = image::load_from_memory(&small.body).expect("webp");
    assert_eq!((decoded.width(), decoded.height()), (480, 320));
    assert_eq!(
        app.get(&format!("/media/{}/1600/foto.jpg", photo.id))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        audit_actions(&app)
            .await
            .iter()
            .filter(|a| *a == "media_upload")
            .count(),
        5
    );
}

#[tokio::test]
async fn the_content_decides_the_type_never_the_name() {
    let (app, browser) = app_with_editor().await;
    let id = upload_one(&browser, "Diagram", "diagram.pdf", png(50, 40)).await;
    let item = db::media::find(app.db(), id)
        .await
        .expect("the database answers")
        .expect("stored");
    assert_eq!(item.media_type.id(), "png");
    assert_eq!(item.file_name, "diagram.png");

    let html = b"<!doctype html><script>alert(1)</script>".to_vec();
    let svg =
        br#"<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>"#.to_vec();
    for (name, bytes) in [("bild.jpg", html), ("logga.svg", svg)] {
        let reply = upload(&browser, &[("alt_sv", "Logga")], &[(name, bytes)]).await;
        assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY, "{name}");
        let text = reply.text();
        assert!(text.contains("JPEG, PNG, WebP, GIF och PDF"), "{text}");
        assert!(text.contains("value=\"Logga\""), "the text typed is kept");
    }
    assert_eq!(
        db::media::count(app.db(), &Default::default())
            .await
            .expect("the database answers"),
        1
    );
}

#[tokio::test]
async fn an_upload_past_the_limit_gets_413_with_the_form_and_the_server_goes_on() {
    let (app, browser) = app_with_editor().await;
    let mut big = jpeg(10, 10);
    big.resize(DEFAULT_MAX_UPLOAD as usize + 1024 * 1024, 0);
    let reply = upload(
        &browser,
        &[("alt_sv", "Karta över kommunen"), ("alt_en", "Map")],
        &[("karta.jpg", big)],
    )
    .await;
    assert_eq!(reply.status, StatusCode::PAYLOAD_TOO_LARGE);
    let text = reply.text();
    assert!(text.contains("10 MiB"), "the limit is named: {text}");
    assert!(text.contains("value=\"Karta över kommunen\""), "{text}");
    assert!(text.contains("value=\"Map\""), "{text}");
    assert_eq!(
        db::media::count(app.db(), &Default::default())
            .await
            .expect("the database answers"),
        0
    );
    assert_eq!(app.get("/").await.status, StatusCode::OK);
    // A file under the limit still goes in.
    upload_one(&browser, "Liten", "liten.jpg", jpeg(20, 20)).await;
}

#[tokio::test]
async fn camera_metadata_is_gone_from_every_stored_and_served_byte_and_photos_stay_upright() {
    let (app, browser) = app_with_editor().await;
    let photo = camera_jpeg(1000, 500);
    assert!(contains(&photo, CAMERA) && contains(&photo, COMMENT) && contains(&photo, XMP));
    let id = upload_one(&browser, "Utsikt", "IMG_0001.JPG", photo).await;
    let item = db::media::find(app.db(), id)
        .await
        .expect("the database answers")
        .expect("stored");
    // Orientation 6: the stored picture is turned, 500 wide and 1000 high.
    assert_eq!((item.width, item.height), (Some(500), Some(1000)));
    let stored = stored_bytes(&app, id).await;
    assert!(stored.len() > 2, "variants were made");
    for bytes in &stored {
        for secret in [CAMERA, COMMENT, XMP, b"Exif\0\0".as_slice()] {
            assert!(
                !contains(bytes, secret),
                "{:?} survived",
                String::from_utf8_lossy(secret)
            );
        }
    }
    let page = browser.get(&format!("/admin/media/{id}")).await.text();
    let mut served = 0;
    for url in media_addresses(&page) {
        let reply = app.get(&url).await;
        assert_eq!(reply.status, StatusCode::OK, "{url}");
        assert!(
            !contains(&reply.body, CAMERA) && !contains(&reply.body, b"Exif\0\0"),
            "{url}"
        );
        served += 1;
    }
    assert!(served >= 2, "{page}");
    let original = app.get(&format!("/media/{id}/img-0001.jpg")).await;
    let decoded = image::load_from_memory(&original.body).expect("jpeg");
    assert_eq!((decoded.width(), decoded.height()), (500, 1000));
}

#[tokio::test]
async fn a_decompression_bomb_is_refused_at_once() {
    let (app, browser) = app_with_editor().await;
    let started = std::time::Instant::now();
    let reply = upload(&browser, &[("alt_sv", "Bomb")], &[("bomb.png", png_bomb())]).await;
    assert!(
        started.elapsed() < std::time::Duration::from_secs(3),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        reply.text().contains("miljoner bildpunkter"),
        "{}",
        reply.text()
    );
    assert_eq!(
        db::media::count(app.db(), &Default::default())
            .await
            .expect("the database answers"),
        0
    );
}

#[tokio::test]
async fn an_image_needs_a_swedish_alt_text_unless_it_is_decorative() {
    let (app, browser) = app_with_editor().await;
    let reply = upload(
        &browser,
        &[("alt_en", "A map")],
        &[("karta.png", png(40, 40))],
    )
    .await;
    assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        reply.text().contains("alternativtext på svenska"),
        "{}",
        reply.text()
    );
    assert!(reply.text().contains("value=\"A map\""));
    let reply = upload(
        &browser,
        &[("decorative", "on")],
        &[("linje.png", png(40, 4))],
    )
    .await;
    let id = id_of(&reply);
    let page = create_page(
        &browser,
        &[
            ("title", "Med dekor"),
            ("path", "med-dekor"),
            ("body", &format!("![](/media/{id}/linje.png)")),
        ],
    )
    .await;
    assert!(page > skl_cms::ids::PageId(0));
    let html = app.get("/med-dekor").await.text();
    assert!(html.contains(r#"alt="""#), "{html}");
    // A document needs no alternative text.
    upload(&browser, &[], &[("rapport.pdf", pdf(10))])
        .await
        .assert_redirect();
}

#[tokio::test]
async fn a_file_sent_without_its_alt_text_is_kept_for_the_next_sending() {
    let (app, browser) = app_with_editor().await;
    let reply = upload(
        &browser,
        &[("alt_sv", "")],
        &[("kommunkarta.png", png(300, 150))],
    )
    .await;
    assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY);
    let html = reply.text();
    assert!(
        html.contains("Du har redan valt <strong>kommunkarta.png</strong>"),
        "{html}"
    );
    let token = hidden(&html, "pending");
    // The file field comes first, and is not required now.
    assert!(
        html.find("id=\"file\"") < html.find("id=\"alt_sv\""),
        "the file first"
    );
    assert!(!html.contains("name=\"file\" multiple required"), "{html}");

    // Sent again with the text and no file: the kept file is stored.
    let csrf = hidden(&html, "csrf");
    let form = multipart::Form::new()
        .text("csrf", csrf.clone())
        .text("pending", token.clone())
        .text("alt_sv", "Karta över kommunerna");
    let sent = browser
        .client
        .post(format!("{}/admin/media", browser.base))
        .header("origin", &browser.base)
        .multipart(form)
        .send()
        .await
        .expect("answered");
    let stored = Reply::read(sent).await;
    let id = id_of(&stored);
    let item = db::media::find(app.db(), id)
        .await
        .expect("read")
        .expect("stored");
    assert_eq!(item.file_name, "kommunkarta.png");
    assert_eq!(item.alt_sv, "Karta över kommunerna");

    // Once only: the same token again finds nothing, and says to choose the file again.
    let again = multipart::Form::new()
        .text("csrf", csrf)
        .text("pending", token)
        .text("alt_sv", "Igen");
    let sent = browser
        .client
        .post(format!("{}/admin/media", browser.base))
        .header("origin", &browser.base)
        .multipart(again)
        .send()
        .await
        .expect("answered");
    let gone = Reply::read(sent).await;
    assert_eq!(gone.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(gone.text().contains("Välj den igen"), "{}", gone.text());
}

#[tokio::test]
async fn pages_show_library_images_responsively_and_say_what_a_document_is() {
    let (app, browser) = app_with_editor().await;
    let photo = upload_one(&browser, "Kommunkarta", "kommunkarta.jpg", jpeg(2000, 1000)).await;
    let second = upload_one(&browser, "Skolan", "skolan.png", png(600, 300)).await;
    let report = id_of(&upload(&browser, &[], &[("rapport.pdf", pdf(1_234_000))]).await);
    let body = format!(
        "![](/media/{photo}/kommunkarta.jpg)\n\n![Skolan i Kigali](/media/{second}/skolan.png)\n\n\
         [Årsrapporten](/media/{report}/rapport.pdf)\n"
    );
    create_page(
        &browser,
        &[("title", "Bilder"), ("path", "bilder"), ("body", &body)],
    )
    .await;
    let html = app.get("/bilder").await.text();
    let first = &html[html.find("<picture>").expect("picture")..];
    let first = &first[..first.find("</picture>").expect("end")];
    assert!(first.contains(r#"type="image/webp""#), "{first}");
    assert!(
        first.contains(&format!("/media/{photo}/1600/kommunkarta.webp 1600w")),
        "{first}"
    );
    assert!(
        first.contains(&format!("/media/{photo}/kommunkarta.jpg 2000w")),
        "{first}"
    );
    assert!(first.contains(r#"width="2000" height="1000""#), "{first}");
    assert!(
        first.contains(r#"alt="Kommunkarta""#),
        "the library's alt text: {first}"
    );
    assert!(first.contains("sizes="), "{first}");
    assert!(
        !first.contains("loading="),
        "the first image loads at once: {first}"
    );
    assert!(first.contains(r#"decoding="async""#));
    let rest = &html[html.find("Skolan i Kigali").expect("second image") - 200..];
    assert!(rest.contains(r#"loading="lazy""#), "{rest}");
    assert!(
        rest.contains(r#"alt="Skolan i Kigali""#),
        "the Markdown's own alt text wins"
    );
    assert!(html.contains("(PDF, 1,2 MB)"), "{html}");
    // The live preview shows the text as a save would, the library's images included.
    let csrf = hidden(&browser.get("/admin/pages/new").await.text(), "csrf");
    let preview = browser
        .post(
            "/admin/pages/body-preview",
            &[("csrf", &csrf), ("body", &body)],
        )
        .await
        .text();
    assert!(
        preview.contains("<picture>") && preview.contains("(PDF, 1,2 MB)"),
        "{preview}"
    );
    // The list of uses knows all three.
    for id in [photo, second, report] {
        let uses = db::media::uses(app.db(), id)
            .await
            .expect("the database answers");
        assert_eq!(uses.len(), 1, "{id}");
        assert_eq!(uses[0].path, "bilder");
    }
    // Changing the alt text in the library changes the page at the next request.
    let page = browser.get(&format!("/admin/media/{photo}")).await;
    let csrf = hidden(&page.text(), "csrf");
    browser
        .post(
            &format!("/admin/media/{photo}"),
            &[
                ("csrf", &csrf),
                ("alt_sv", "Karta över kommunerna"),
                ("alt_en", ""),
            ],
        )
        .await
        .assert_redirect();
    assert!(
        app.get("/bilder")
            .await
            .text()
            .contains(r#"alt="Karta över kommunerna""#)
    );
}

#[tokio::test]
async fn a_file_a_published_page_shows_cannot_be_deleted() {
    let (app, browser) = app_with_editor().await;
    let id = upload_one(&browser, "Karta", "karta.jpg", jpeg(100, 50)).await;
    let page = create_page(
        &browser,
        &[
            ("title", "Kartan"),
            ("path", "kartan"),
            ("body", &format!("![](/media/{id}/karta.jpg)")),
        ],
    )
    .await;
    let screen = browser.get(&format!("/admin/media/{id}")).await;
    assert!(screen.text().contains("Kartan"), "the use is listed");
    let csrf = hidden(&screen.text(), "csrf");
    let refused = browser
        .post(&format!("/admin/media/{id}/delete"), &[("csrf", &csrf)])
        .await;
    assert_eq!(refused.status, StatusCode::CONFLICT);
    assert!(
        refused.text().contains("/kartan"),
        "the blocking page is named"
    );
    assert_eq!(
        app.get(&format!("/media/{id}/karta.jpg")).await.status,
        StatusCode::OK
    );
    // Once the page no longer shows it, it can go.
    save(&browser, page, &[("body", "Ingen karta längre.")])
        .await
        .assert_redirect();
    browser
        .post(&format!("/admin/media/{id}/delete"), &[("csrf", &csrf)])
        .await
        .assert_redirect();
    assert_eq!(
        app.get(&format!("/media/{id}/karta.jpg")).await.status,
        StatusCode::NOT_FOUND
    );
    assert!(
        audit_actions(&app)
            .await
            .contains(&"media_delete".to_owned())
    );
}

#[tokio::test]
async fn a_replaced_file_keeps_its_pages_working_and_its_old_address_leads_on() {
    let (app, browser) = app_with_editor().await;
    let old = upload_one(&browser, "Karta", "karta.jpg", jpeg(1000, 500)).await;
    create_page(
        &browser,
        &[
            ("title", "Kartan"),
            ("path", "kartan"),
            ("body", &format!("![](/media/{old}/karta.jpg)")),
        ],
    )
    .await;
    // Served once, so that the server keeps it in memory.
    assert_eq!(
        app.get(&format!("/media/{old}/karta.jpg")).await.status,
        StatusCode::OK
    );
    assert_eq!(
        app.get(&format!("/media/{old}/480/karta.webp"))
            .await
            .status,
        StatusCode::OK
    );
    let reply = upload_to(
        &browser,
        &format!("/admin/media/{old}/replace"),
        &[],
        &[("karta-2025.jpg", jpeg(1200, 600))],
    )
    .await;
    let new = id_of(&reply);
    assert_ne!(new, old);
    let html = app.get("/kartan").await.text();
    assert!(
        html.contains(&format!("/media/{new}/karta-2025.jpg")),
        "{html}"
    );
    assert!(!html.contains(&format!("/media/{old}/")), "{html}");
    assert!(html.contains(r#"alt="Karta""#), "the texts carry over");
    let moved = app.get(&format!("/media/{old}/karta.jpg")).await;
    assert_eq!(moved.status, StatusCode::PERMANENT_REDIRECT);
    assert_eq!(
        moved.header("location"),
        Some(format!("/media/{new}/karta-2025.jpg").as_str())
    );
    let variant = app.get(&format!("/media/{old}/480/karta.webp")).await;
    assert_eq!(
        variant.header("location"),
        Some(format!("/media/{new}/480/karta-2025.webp").as_str())
    );
    // The old file's screen leads to the new one, whose uses include the page.
    let screen = browser.get(&format!("/admin/media/{old}")).await;
    assert_eq!(screen.status, StatusCode::SEE_OTHER);
    assert!(
        browser
            .get(&format!("/admin/media/{new}"))
            .await
            .text()
            .contains("Kartan")
    );
    // An image is not replaced by a document.
    let refused = upload_to(
        &browser,
        &format!("/admin/media/{new}/replace"),
        &[],
        &[("x.pdf", pdf(5))],
    )
    .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        audit_actions(&app)
            .await
            .contains(&"media_replace".to_owned())
    );
}

#[tokio::test]
async fn large_files_are_served_in_parts() {
    let (app, browser) = app_with_editor().await;
    let bytes = pdf(100_000);
    let length = bytes.len();
    let id = id_of(&upload(&browser, &[], &[("stor.pdf", bytes.clone())]).await);
    let url = format!("/media/{id}/stor.pdf");
    let whole = app.get(&url).await;
    assert_eq!(whole.header("accept-ranges"), Some("bytes"));
    assert_eq!(whole.body, bytes);
    let part = app.get_with(&url, &[("range", "bytes=0-99")]).await;
    assert_eq!(part.status, StatusCode::PARTIAL_CONTENT);
    assert_eq!(
        part.header("content-range"),
        Some(format!("bytes 0-99/{length}").as_str())
    );
    assert_eq!(part.body, &bytes[..100]);
    let tail = app.get_with(&url, &[("range", "bytes=-10")]).await;
    assert_eq!(tail.body, &bytes[length - 10..]);
    let outside = app
        .get_with(&url, &[("range", &format!("bytes={length}-"))])
        .await;
    assert_eq!(outside.status, StatusCode::RANGE_NOT_SATISFIABLE);
    assert_eq!(
        outside.header("content-range"),
        Some(format!("bytes */{length}").as_str())
    );
    let etag = whole.header("etag").expect("etag");
    let current = app
        .get_with(&url, &[("range", "bytes=10-19"), ("if-range", etag)])
        .await;
    assert_eq!(current.status, StatusCode::PARTIAL_CONTENT);
    let stale = app
        .get_with(&url, &[("range", "bytes=10-19"), ("if-range", "\"old\"")])
        .await;
    assert_eq!(stale.status, StatusCode::OK);
}

#[tokio::test]
async fn an_upload_without_the_form_s_token_stores_nothing() {
    let (app, browser) = app_with_editor().await;
    let form = multipart::Form::new()
        .text("csrf", "forged")
        .text("alt_sv", "x")
        .part(
            "file",
            multipart::Part::bytes(png(10, 10)).file_name("x.png"),
        );
    let response = browser
        .client
        .post(format!("{}/admin/media", browser.base))
        .multipart(form)
        .send()
        .await
        .expect("answered");
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    let anonymous = app
        .client
        .post(app.url("/admin/media"))
        .multipart(multipart::Form::new().part(
            "file",
            multipart::Part::bytes(png(10, 10)).file_name("x.png"),
        ))
        .send()
        .await
        .expect("answered");
    let to = anonymous
        .headers()
        .get("location")
        .and_then(|to| to.to_str().ok())
        .unwrap_or_default();
    assert!(to.starts_with("/admin/login"), "{to}");
    assert_eq!(
        db::media::count(app.db(), &Default::default())
            .await
            .expect("the database answers"),
        0
    );
}

#[tokio::test]
async fn the_same_file_twice_is_stored_once() {
    let (app, browser) = app_with_editor().await;
    let bytes = jpeg(300, 200);
    let first = upload_one(&browser, "Ett", "ett.jpg", bytes.clone()).await;
    let reply = upload(&browser, &[("alt_sv", "Två")], &[("tva.jpg", bytes)]).await;
    assert_eq!(id_of(&reply), first);
    assert!(
        reply
            .header("location")
            .unwrap_or_default()
            .contains("fanns-redan")
    );
    assert_eq!(
        db::media::count(app.db(), &Default::default())
            .await
            .expect("the database answers"),
        1
    );
}

#[tokio::test]
async fn the_library_filters_by_name_and_type() {
    let (_app, browser) = app_with_editor().await;
    upload_one(&browser, "Karta över Kigali", "karta.jpg", jpeg(30, 30)).await;
    upload(&browser, &[], &[("rapport.pdf", pdf(10))])
        .await
        .assert_redirect();
    let all = browser.get("/admin/media").await.text();
    assert!(all.contains("2 filer") && all.contains("karta.jpg") && all.contains("rapport.pdf"));
    let pdfs = browser.get("/admin/media?typ=pdf").await.text();
    assert!(
        pdfs.contains("rapport.pdf") && !pdfs.contains(">karta.jpg<"),
        "{pdfs}"
    );
    let named = browser.get("/admin/media?q=Kigali").await.text();
    assert!(
        named.contains("karta.jpg") && !named.contains(">rapport.pdf<"),
        "{named}"
    );
    assert_eq!(
        browser.get("/admin/media?typ=svg").await.status,
        StatusCode::BAD_REQUEST
    );
}

#[tokio::test]
async fn export_and_import_keep_every_page_s_images_working() {
    let (app, browser) = app_with_editor().await;
    let photo = upload_one(&browser, "Kommunkarta", "kommunkarta.jpg", jpeg(1200, 600)).await;
    let report = id_of(&upload(&browser, &[], &[("rapport.pdf", pdf(5_000))]).await);
    let body = format!(
        "![](/media/{photo}/kommunkarta.jpg)\n\n[Rapporten](/media/{report}/rapport.pdf)\n"
    );
    create_page(
        &browser,
        &[("title", "Karta"), ("path", "karta"), ("body", &body)],
    )
    .await;
    let folder = tempfile::tempdir().expect("folder");
    skl_cms::content::transfer::export(app.db(), folder.path())
        .await
        .expect("pages");
    let written = skl_cms::media::transfer::export(app.db(), folder.path())
        .await
        .expect("media");
    assert_eq!(written, 2);
    let manifest =
        std::fs::read_to_string(folder.path().join("media/manifest.toml")).expect("manifest");
    assert!(manifest.contains("alt_sv = \"Kommunkarta\""), "{manifest}");
    assert!(
        folder
            .path()
            .join(format!("media/{photo}/kommunkarta.jpg"))
            .is_file()
    );

    // A new site, imported from the folder.
    let other = TestApp::spawn().await;
    let pages = skl_cms::content::transfer::read_dir(folder.path()).expect("read pages");
    let media = skl_cms::media::transfer::read_dir(folder.path()).expect("read media");
    let imported = skl_cms::content::transfer::import(other.db(), &pages, media, false)
        .await
        .expect("import");
    assert_eq!(imported.media.len(), 2);
    other.state.content_changed().await.expect("cache");
    let html = other.get("/karta").await.text();
    assert!(
        html.contains("<picture>") && html.contains(r#"alt="Kommunkarta""#),
        "{html}"
    );
    assert!(html.contains("(PDF, 5,1 kB)"), "{html}");
    for url in media_addresses(&html) {
        assert_eq!(other.get(&url).await.status, StatusCode::OK, "{url}");
    }
    assert_eq!(
        db::media::uses(other.db(), photo)
            .await
            .expect("the database answers")
            .len(),
        1
    );
    // Importing the same folder again changes nothing.
    let pages = skl_cms::content::transfer::read_dir(folder.path()).expect("read pages");
    let media = skl_cms::media::transfer::read_dir(folder.path()).expect("read media");
    let again = skl_cms::content::transfer::import(other.db(), &pages, media, false)
        .await
        .expect("import again");
    assert!(
        again
            .media
            .iter()
            .all(|(change, _)| *change == skl_cms::content::transfer::Change::Unchanged)
    );
}
