//! Nothing that was confirmed is lost to a crash: the real binary is killed (SIGKILL) at a random
//! moment while an editor's saves stream in, restarted, and every save that got its 303 must be
//! there, with the database sound. Twenty rounds.

mod common;

use std::{
    process::Stdio,
    sync::{Arc, Mutex},
    time::Duration,
};

use common::{
    Browser, as_pairs,
    binary::{Server, Workspace, stderr},
    set_field,
};
use reqwest::StatusCode;
use skl_cms::ids::PageId;
use sqlx::{Connection, SqliteConnection, sqlite::SqliteConnectOptions};

const PASSWORD: &str = "ett långt lösenord för kraschprovet";

/// Saves the page `id` again and again with numbered texts, recording each number whose save was
/// answered with its 303, until the server stops answering.
async fn save_until_gone(
    browser: Browser,
    id: PageId,
    round: u32,
    confirmed: Arc<Mutex<Vec<String>>>,
) {
    for n in 0.. {
        let Ok(form) = browser
            .client
            .get(format!("{}/admin/pages/{id}", browser.base))
            .send()
            .await
        else {
            return;
        };
        let Ok(html) = form.text().await else { return };
        if !html.contains("id=\"edit-form\"") {
            return;
        }
        let mut fields = common::form_fields(&html, "edit-form");
        let text = format!("Omgång {round}, sparning {n}.");
        set_field(&mut fields, "body", &text);
        set_field(&mut fields, "action", "publish");
        let sent = browser
            .client
            .post(format!("{}/admin/pages/{id}", browser.base))
            .header("origin", &browser.base)
            .form(&as_pairs(&fields))
            .send()
            .await;
        match sent {
            Ok(reply) if reply.status() == StatusCode::SEE_OTHER => {
                confirmed.lock().expect("lock").push(text);
            }
            _ => return,
        }
    }
}

/// What `PRAGMA integrity_check` says of the database at `path`, and the texts of every revision
/// of page `id`, read without changing the file.
async fn inspect(path: &std::path::Path, id: PageId) -> (String, Vec<String>) {
    let options = SqliteConnectOptions::new().filename(path);
    let mut conn = SqliteConnection::connect_with(&options)
        .await
        .expect("opens");
    let integrity: String = sqlx::query_scalar("pragma integrity_check")
        .fetch_one(&mut conn)
        .await
        .expect("checks");
    let texts = sqlx::query_scalar("select body_md from revisions where page_id = ?")
        .bind(id)
        .fetch_all(&mut conn)
        .await
        .expect("revisions");
    let _ = conn.close().await;
    (integrity, texts)
}

#[tokio::test]
async fn every_confirmed_save_survives_a_kill_at_a_random_moment() {
    let work = Workspace::new();
    let added = work.run_with_input(
        &["user", "add", "anna", "--role", "admin", "--password-stdin"],
        PASSWORD,
    );
    assert!(added.status.success(), "{}", stderr(&added));
    let mut random = 0x5eed_u64;
    let mut all_confirmed = 0;
    let mut id = PageId(0);
    for round in 0..20 {
        let server = Server::start_logging(&work.database(), Stdio::null());
        server.wait_until_ready().await;
        let browser = Browser::at(&server.base);
        let reply = browser.log_in("anna", PASSWORD).await;
        assert_eq!(reply.status, StatusCode::SEE_OTHER, "logged in");
        if id == PageId(0) {
            id = common::admin::create_page(
                &browser,
                &[
                    ("title", "Kraschprov"),
                    ("path", "kraschprov"),
                    ("body", "Början."),
                ],
            )
            .await;
        }
        let confirmed = Arc::new(Mutex::new(Vec::new()));
        let saver = tokio::spawn(save_until_gone(browser, id, round, Arc::clone(&confirmed)));
        random ^= random << 13;
        random ^= random >> 7;
        random ^= random << 17;
        tokio::time::sleep(Duration::from_millis(100 + random % 400)).await;
        server.kill();
        let _ = saver.await;
        let confirmed = confirmed.lock().expect("lock").clone();
        all_confirmed += confirmed.len();
        let (integrity, texts) = inspect(&work.database(), id).await;
        assert_eq!(integrity, "ok", "round {round}");
        for text in &confirmed {
            assert!(
                texts.contains(&format!("{text}\n")) || texts.contains(text),
                "round {round}: the confirmed save {text:?} is lost"
            );
        }
    }
    println!("confirmed saves over 20 kills: {all_confirmed}, every one found after the restart");
    assert!(
        all_confirmed >= 20,
        "saves went through before the kills: {all_confirmed}"
    );
    // And the site still starts and shows the page.
    let server = Server::start(&work.database());
    server.wait_until_ready().await;
    assert!(server.get("/kraschprov").await.contains("Omgång"));
    server.terminate();
}
