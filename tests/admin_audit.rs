//! The editors' area, the audit log: every action recorded, and a filter built from what can be
//! recorded. Real HTTP over TCP, a cookie-keeping client, a real SQLite file.

mod common;

use common::admin::{app_with_editor, create_page};
use reqwest::StatusCode;
use skl_cms::{lang::Label, vocab::AuditAction};

#[tokio::test]
async fn the_filter_offers_every_action_by_name_and_shows_only_the_chosen_one() {
    let (_app, browser) = app_with_editor().await;
    create_page(&browser, &[("title", "Loggad sida"), ("path", "loggad")]).await;

    let log = browser.get("/admin/audit").await;
    assert_eq!(log.status, StatusCode::OK);
    let text = log.text();
    for action in AuditAction::ALL {
        let option = format!(
            "<option value=\"{}\">{}</option>",
            action.id(),
            action.swedish()
        );
        assert!(text.contains(&option), "the filter offers {option}");
    }

    let logins = browser
        .get(&format!("/admin/audit?action={}", AuditAction::Login))
        .await
        .text();
    let rows = |html: &str| html.matches("<tr><td>").count();
    assert_eq!(rows(&logins), 1, "one login so far: {logins}");
    assert!(logins.contains(AuditAction::Login.swedish()));
    assert!(
        !logins.contains("Loggad sida"),
        "the page's creation is filtered out"
    );
    let created = browser
        .get(&format!("/admin/audit?action={}", AuditAction::Create))
        .await
        .text();
    assert!(created.contains("Loggad sida"), "{created}");

    let unknown = browser.get("/admin/audit?action=no_such_action").await;
    assert_eq!(unknown.status, StatusCode::OK, "an unknown name shows all");
    assert!(rows(&unknown.text()) >= 3);
}
