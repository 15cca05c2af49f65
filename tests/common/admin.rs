//! What the admin-area tests share: an app with a logged-in administrator, and the forms they fill in.

use skl_cms::{db, ids::PageId, vocab::Role};

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
pub async fn create_page(browser: &Browser, fields: &[(&str, &str)]) -> PageId {
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
        .map(PageId)
        .expect("page id in the redirect")
}

/// Saves a page's edit form with `changes` applied.
pub async fn save(browser: &Browser, page_id: PageId, changes: &[(&str, &str)]) -> Reply {
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
    audited(app.db()).await
}

/// The actions in `db`'s audit log, newest first.
pub async fn audited(db: &skl_cms::db::Pool) -> Vec<String> {
    db::audit::list(db, None, None, 1000, 0)
        .await
        .expect("audit")
        .into_iter()
        .map(|entry| entry.action.id().to_owned())
        .collect()
}

/// Asserts that the audit log of `app` holds `action`.
pub async fn assert_audited(app: &TestApp, action: &str) {
    let actions = audit_actions(app).await;
    assert!(
        actions.iter().any(|logged| logged == action),
        "{action} not in {actions:?}"
    );
}

/// The code an authenticator app shows at `unix_seconds` for a secret as the enrolment screen shows
/// it (base 32 in groups of four): computed by `totp-rs`, as the app would, not by the server's code.
pub fn app_code(typed_secret: &str, unix_seconds: i64) -> String {
    let compact: String = typed_secret.split_whitespace().collect();
    let secret = totp_rs::Secret::try_from_base32(&compact).expect("the secret is base 32");
    let totp = totp_rs::Builder::new()
        .with_secret(secret.as_bytes().to_vec())
        .build()
        .expect("an app takes the secret");
    totp.generate(u64::try_from(unix_seconds).expect("after 1970"))
        .to_string()
}

/// The secret an enrolment screen shows as text.
pub fn shown_secret(html: &str) -> String {
    // A browser's copy of the page may carry more attributes than the server sent.
    let tag = html
        .find("<code lang=\"en\"")
        .unwrap_or_else(|| panic!("no secret shown in {html}"));
    let start = html[tag..].find('>').expect("the tag ends") + tag + 1;
    let end = html[start..].find("</code>").expect("the secret ends") + start;
    html[start..end].to_owned()
}

/// Turns on two-factor login for the logged-in `browser` at the time of `app`'s clock, as a person
/// would: start, read the secret, send the app's code. Returns the secret and the recovery codes.
pub async fn turn_on_two_factor(app: &TestApp, browser: &Browser) -> (String, Vec<String>) {
    let screen = browser.get("/admin/account/two-factor").await;
    let csrf = hidden(&screen.text(), "csrf");
    browser
        .post("/admin/account/two-factor/start", &[("csrf", &csrf)])
        .await
        .assert_redirect();
    let offer = browser.get("/admin/account/two-factor").await.text();
    let secret = shown_secret(&offer);
    let code = app_code(&secret, app.state.clock.now().as_second());
    let shown = browser
        .post(
            "/admin/account/two-factor/confirm",
            &[("csrf", &csrf), ("code", &code)],
        )
        .await;
    assert_eq!(shown.status, reqwest::StatusCode::OK, "{}", shown.text());
    (secret, recovery_codes(&shown.text()))
}

/// The recovery codes a page lists.
pub fn recovery_codes(html: &str) -> Vec<String> {
    let list = html
        .split("<ol class=\"recovery-codes\"")
        .nth(1)
        .and_then(|rest| rest.split("</ol>").next())
        .unwrap_or_else(|| panic!("no recovery codes in {html}"));
    list.split("<code>")
        .skip(1)
        .filter_map(|item| item.split("</code>").next())
        .map(str::to_owned)
        .collect()
}

/// Sends the login's second step.
pub async fn send_code(browser: &Browser, code: &str) -> Reply {
    let form = browser.get("/admin/login/code").await;
    let csrf = hidden(&form.text(), "csrf");
    browser
        .post("/admin/login/code", &[("csrf", &csrf), ("code", code)])
        .await
}

/// Sends a multipart upload form to `action` as the library's screen would: the token of the
/// library's page, `fields`, and each of `files` as a part named `file`.
pub async fn upload_to(
    browser: &Browser,
    action: &str,
    fields: &[(&str, &str)],
    files: &[(&str, Vec<u8>)],
) -> Reply {
    let page = browser.get("/admin/media").await;
    let mut form = reqwest::multipart::Form::new().text("csrf", hidden(&page.text(), "csrf"));
    for (name, value) in fields {
        form = form.text(name.to_string(), value.to_string());
    }
    for (name, bytes) in files {
        form = form.part(
            "file",
            reqwest::multipart::Part::bytes(bytes.clone())
                .file_name(name.to_string())
                .mime_str("application/octet-stream")
                .expect("mime"),
        );
    }
    let response = browser
        .client
        .post(format!("{}{action}", browser.base))
        .header("origin", &browser.base)
        .multipart(form)
        .send()
        .await
        .expect("answered");
    Reply::read(response).await
}
