//! A full disk while the site serves: visitors still get their pages, an editor's save gets a 503
//! page that keeps the text, nothing is half written, and saving works again once there is room.
//! The database lives on a small tmpfs of its own, which is filled up for real (the test mounts it,
//! so it needs root; under CI it fails without, elsewhere it says SKIPPED).

mod common;

use std::{io::Write, path::PathBuf, process::Command};

use common::{
    TestApp,
    admin::{PASSWORD, create_page, save},
    html_escape,
};
use reqwest::StatusCode;
use skl_cms::vocab::Role;

/// A tmpfs mounted on a temporary folder, unmounted when dropped.
struct SmallDisk {
    dir: Option<tempfile::TempDir>,
    path: PathBuf,
}

impl SmallDisk {
    fn mount(megabytes: u32) -> Option<SmallDisk> {
        let dir = tempfile::tempdir().expect("temporary folder");
        let path = dir.path().to_owned();
        let mounted = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={megabytes}m"), "tmpfs"])
            .arg(&path)
            .status()
            .is_ok_and(|status| status.success());
        if mounted {
            return Some(SmallDisk {
                dir: Some(dir),
                path,
            });
        }
        let message = "the fault test mounts a small tmpfs and needs root";
        assert!(
            std::env::var_os("CI").is_none(),
            "{message}; CI is set, so this is a failure"
        );
        eprintln!("SKIPPED: {message}");
        None
    }

    /// Writes a file until the disk is full.
    fn fill(&self) -> PathBuf {
        let filler = self.path.join("filler");
        let mut file = std::fs::File::create(&filler).expect("filler");
        let block = vec![0u8; 64 * 1024];
        while file.write_all(&block).is_ok() {}
        let _ = file.flush();
        filler
    }
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(&self.path).status();
        drop(self.dir.take());
    }
}

#[tokio::test]
async fn a_full_disk_keeps_pages_served_and_the_editor_s_text() {
    let Some(disk) = SmallDisk::mount(24) else {
        return;
    };
    // The app's own folder is the tmpfs: a TempDir inside it holds the database, a SQLite file
    // whichever engine the other tests run on (a full disk under PostgreSQL is PostgreSQL's).
    let dir = tempfile::tempdir_in(&disk.path).expect("folder on the small disk");
    let app = TestApp::spawn_on_sqlite_in(dir).await;
    app.add_user("anna", Role::Admin, PASSWORD).await;
    let browser = app.login("anna", PASSWORD).await;
    let id = create_page(
        &browser,
        &[
            ("title", "Före"),
            ("path", "fore"),
            ("body", "Den första texten."),
        ],
    )
    .await;
    // Written back to the database file, so that the next write needs new room in the log.
    sqlx::query("pragma wal_checkpoint(truncate)")
        .execute(app.sqlite())
        .await
        .expect("checkpoint");

    let filler = disk.fill();
    assert_eq!(
        app.get("/fore").await.status,
        StatusCode::OK,
        "a page already seen"
    );
    assert_eq!(
        app.get("/om-oss").await.status,
        StatusCode::OK,
        "a page rendered now"
    );
    let text = "En lång text som inte får försvinna, skriven medan disken var full. ".repeat(200);
    let refused = save(&browser, id, &[("body", &text)]).await;
    assert_eq!(
        refused.status,
        StatusCode::SERVICE_UNAVAILABLE,
        "{}",
        refused.text()
    );
    assert_eq!(refused.header("retry-after"), Some("30"));
    let page = refused.text();
    assert!(
        page.contains("kunde inte sparas"),
        "a sentence says what happened"
    );
    assert!(
        page.contains(&html_escape(text.trim_end())),
        "the text is still in the form"
    );
    assert_eq!(
        app.get("/fore").await.status,
        StatusCode::OK,
        "visitors are still served"
    );

    std::fs::remove_file(filler).expect("room again");
    save(&browser, id, &[("body", &text)])
        .await
        .assert_redirect();
    assert!(
        app.get("/fore")
            .await
            .text()
            .contains("skriven medan disken var full")
    );
    let integrity: String = sqlx::query_scalar("pragma integrity_check")
        .fetch_one(app.sqlite())
        .await
        .expect("check");
    assert_eq!(integrity, "ok");
    let _ = app.stop().await;
    drop(disk);
}
