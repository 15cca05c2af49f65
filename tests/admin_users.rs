//! The editors' area, accounts: roles, passwords and who may manage them. Real HTTP over TCP, a
//! cookie-keeping client, a real SQLite file.

mod common;

use common::{
    TestApp,
    admin::{PASSWORD, audit_actions},
    hidden,
};
use reqwest::StatusCode;
use skl_cms::{db, vocab::Role};

#[tokio::test]
async fn editors_cannot_manage_accounts_or_read_the_audit_log() {
    let app = TestApp::spawn().await;
    app.add_user("admin", Role::Admin, PASSWORD).await;
    app.add_user("redaktor", Role::Editor, PASSWORD).await;
    let editor = app.login("redaktor", PASSWORD).await;
    assert_eq!(
        editor.get("/admin/users").await.status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        editor.get("/admin/audit").await.status,
        StatusCode::FORBIDDEN
    );
    let csrf = hidden(&editor.get("/admin").await.text(), "csrf");
    let reply = editor
        .post(
            "/admin/users",
            &[
                ("csrf", &csrf),
                ("username", "mallory"),
                ("display_name", "M"),
                ("role", "admin"),
                ("password", PASSWORD),
                ("password2", PASSWORD),
            ],
        )
        .await;
    assert_eq!(reply.status, StatusCode::FORBIDDEN);
    assert!(
        db::users::find_by_name(app.db(), "mallory")
            .await
            .expect("query")
            .is_none()
    );

    let admin = app.login("admin", PASSWORD).await;
    let csrf = hidden(&admin.get("/admin/users").await.text(), "csrf");
    let created = admin
        .post(
            "/admin/users",
            &[
                ("csrf", &csrf),
                ("username", "cecilia"),
                ("display_name", "Cecilia"),
                ("role", "editor"),
                ("password", PASSWORD),
                ("password2", PASSWORD),
            ],
        )
        .await;
    created.assert_redirect();
    let weak = admin
        .post(
            "/admin/users",
            &[
                ("csrf", &csrf),
                ("username", "david"),
                ("display_name", "David"),
                ("role", "editor"),
                ("password", "password1234"),
                ("password2", "password1234"),
            ],
        )
        .await;
    assert_eq!(weak.status, StatusCode::BAD_REQUEST);
    assert!(weak.text().contains("för vanligt"));
    app.login("cecilia", PASSWORD).await;

    // Disabling ends the account's sessions.
    let cecilia = db::users::find_by_name(app.db(), "cecilia")
        .await
        .expect("query")
        .expect("user");
    let reply = admin
        .post(
            &format!("/admin/users/{}/disable", cecilia.id),
            &[("csrf", &csrf)],
        )
        .await;
    reply.assert_redirect();
    assert_eq!(
        app.browser().log_in("cecilia", PASSWORD).await.status,
        StatusCode::UNAUTHORIZED
    );
    let actions = audit_actions(&app).await;
    for action in ["user_create", "user_disable"] {
        assert!(actions.contains(&action.to_owned()), "{action} audited");
    }
}

#[tokio::test]
async fn editors_change_their_own_password_and_other_sessions_end() {
    let app = TestApp::spawn().await;
    app.add_user("anna", Role::Editor, PASSWORD).await;
    let laptop = app.login("anna", PASSWORD).await;
    let phone = app.login("anna", PASSWORD).await;
    let page = laptop.get("/admin/account").await;
    assert_eq!(page.status, StatusCode::OK);
    let csrf = hidden(&page.text(), "csrf");
    let new = "ett nytt och längre lösenord";

    let wrong = laptop
        .post(
            "/admin/account",
            &[
                ("csrf", &csrf),
                ("current", "inte mitt lösenord alls"),
                ("password", new),
                ("password2", new),
            ],
        )
        .await;
    assert_eq!(wrong.status, StatusCode::BAD_REQUEST);
    assert!(wrong.text().contains("nuvarande lösenordet stämmer inte"));

    let ok = laptop
        .post(
            "/admin/account",
            &[
                ("csrf", &csrf),
                ("current", PASSWORD),
                ("password", new),
                ("password2", new),
            ],
        )
        .await;
    ok.assert_redirect();
    assert_eq!(
        laptop.get("/admin").await.status,
        StatusCode::OK,
        "this session goes on"
    );
    phone.get("/admin").await.assert_to_login("the others end");
    assert_eq!(
        app.browser().log_in("anna", PASSWORD).await.status,
        StatusCode::UNAUTHORIZED
    );
    app.browser().log_in("anna", new).await.assert_redirect();
    assert!(
        audit_actions(&app)
            .await
            .contains(&"user_password".to_owned())
    );
}

#[tokio::test]
async fn admins_change_roles_and_set_passwords_but_keep_one_admin() {
    let app = TestApp::spawn().await;
    let admin_id = app.add_user("admin", Role::Admin, PASSWORD).await;
    let editor_id = app.add_user("redaktor", Role::Editor, PASSWORD).await;
    let admin = app.login("admin", PASSWORD).await;
    let editor = app.login("redaktor", PASSWORD).await;
    let page = admin.get(&format!("/admin/users/{editor_id}")).await;
    assert_eq!(page.status, StatusCode::OK);
    let csrf = hidden(&page.text(), "csrf");

    // The only admin cannot stop being one.
    let refused = admin
        .post(
            &format!("/admin/users/{admin_id}/role"),
            &[("csrf", &csrf), ("role", "editor")],
        )
        .await;
    assert_eq!(refused.status, StatusCode::CONFLICT);
    assert!(refused.text().contains("enda aktiva administratören"));

    let promoted = admin
        .post(
            &format!("/admin/users/{editor_id}/role"),
            &[("csrf", &csrf), ("role", "admin")],
        )
        .await;
    promoted.assert_redirect();
    assert_eq!(
        editor.get("/admin/users").await.status,
        StatusCode::OK,
        "the new role applies at once"
    );

    let new = "ett nytt lösenord från administratören";
    let short = admin
        .post(
            &format!("/admin/users/{editor_id}/password"),
            &[("csrf", &csrf), ("password", "kort"), ("password2", "kort")],
        )
        .await;
    assert_eq!(short.status, StatusCode::BAD_REQUEST);
    let set = admin
        .post(
            &format!("/admin/users/{editor_id}/password"),
            &[("csrf", &csrf), ("password", new), ("password2", new)],
        )
        .await;
    set.assert_redirect();
    editor
        .get("/admin")
        .await
        .assert_to_login("their sessions ended");
    app.browser()
        .log_in("redaktor", new)
        .await
        .assert_redirect();

    let actions = audit_actions(&app).await;
    for action in ["user_role", "user_password"] {
        assert!(actions.contains(&action.to_owned()), "{action} audited");
    }
    let editor_again = app.login("admin", PASSWORD).await;
    assert_eq!(
        editor_again
            .get(&format!("/admin/users/{editor_id}"))
            .await
            .status,
        StatusCode::OK
    );
}
