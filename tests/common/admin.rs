//! What the admin-area tests share: an app with a logged-in administrator, and the forms they fill in.

use skl_cms::{db, vocab::Role};

use super::{Browser, Reply, TestApp, as_pairs, hidden, set_field};

pub const PASSWORD: &str = "ett långt lösenord för test";

/// An app with one administrator, anna, logged in.
pub async fn app_with_editor() -> (TestApp, Browser) {
    let app = TestApp::spawn().await;
    app.add_user("anna", Role::Admin, PASSWORD).await;
    let browser = app.login("anna", PASSWORD).await;
    (app, browser)
}

/// Creates a page through the form and returns its id.
pub async fn create_page(browser: &Browser, fields: &[(&str, &str)]) -> i64 {
    let form = browser.get("/admin/pages/new").await;
    let csrf = hidden(&form.text(), "csrf");
    let mut all = vec![
        ("csrf", csrf.as_str()),
        ("lang", "sv"),
        ("kind", "page"),
        ("action", "publish"),
    ];
    for (name, value) in fields {
        all.retain(|(field, _)| field != name);
        all.push((name, value));
    }
    let reply = browser.post("/admin/pages/new", &all).await;
    reply.assert_redirect();
    let location = reply.header("location").expect("redirect");
    location
        .trim_start_matches("/admin/pages/")
        .split('?')
        .next()
        .and_then(|id| id.parse().ok())
        .expect("page id in the redirect")
}

/// Saves a page's edit form with `changes` applied.
pub async fn save(browser: &Browser, page_id: i64, changes: &[(&str, &str)]) -> Reply {
    let mut fields = browser.edit_form(page_id).await;
    for (name, value) in changes {
        set_field(&mut fields, name, value);
    }
    if !changes.iter().any(|(name, _)| *name == "action") {
        set_field(&mut fields, "action", "publish");
    }
    browser
        .post(&format!("/admin/pages/{page_id}"), &as_pairs(&fields))
        .await
}

/// The identifiers of every action in the audit log, newest first.
pub async fn audit_actions(app: &TestApp) -> Vec<String> {
    db::audit::list(app.db(), None, None, 1000, 0)
        .await
        .expect("audit")
        .into_iter()
        .map(|entry| entry.action.id().to_owned())
        .collect()
}
