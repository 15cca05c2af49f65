//! Two-factor login: turning it on with a code from the app, the login's second step, recovery
//! codes, throttling, an administrator's reset, the command line's, and a site that requires it of
//! administrators. Real HTTP over TCP, a real SQLite file, codes computed as an app computes them.

mod common;

use common::{
    TestApp,
    admin::{
        PASSWORD, app_code, assert_audited, audit_actions, create_page, recovery_codes, send_code,
        shown_secret, turn_on_two_factor,
    },
    binary::{Workspace, stderr, stdout},
    hidden,
};
use jiff::{SignedDuration, Timestamp};
use reqwest::StatusCode;
use skl_cms::db::engine::query_scalar;
use skl_cms::{accounts::Actor, db, ids::UserId, time::Clock, vocab::Role};

/// An app on a clock that stands still until a test moves it, so that codes are predictable.
async fn app_at_rest() -> TestApp {
    let start = Timestamp::now().as_second() / 30 * 30;
    let clock = Clock::manual(Timestamp::from_second(start).expect("a time"));
    TestApp::spawn_with_clock(clock).await
}

/// An app at rest with an editor, anna, logged in with two-factor login turned on: the app, her
/// browser, the secret and the recovery codes.
async fn anna_with_two_factor() -> (TestApp, common::Browser, String, Vec<String>) {
    let app = app_at_rest().await;
    app.add_user("anna", Role::Editor, PASSWORD).await;
    let browser = app.login("anna", PASSWORD).await;
    let (secret, codes) = turn_on_two_factor(&app, &browser).await;
    (app, browser, secret, codes)
}

/// Moves the app's clock on by `seconds`.
fn wait(app: &TestApp, seconds: i64) {
    let now = app.state.clock.now();
    app.state
        .clock
        .set(now + SignedDuration::from_secs(seconds));
}

fn now(app: &TestApp) -> i64 {
    app.state.clock.now().as_second()
}

/// Reads the QR code that a page draws as an SVG path of unit squares, as a phone's camera would:
/// drawn to pixels, then found and decoded by `rqrr`.
fn scan_qr(html: &str) -> String {
    let svg = &html[html.find("<svg class=\"qr\"").expect("a QR code")..];
    let size: usize = svg
        .split("viewBox=\"0 0 ")
        .nth(1)
        .and_then(|rest| rest.split(' ').next())
        .and_then(|n| n.parse().ok())
        .expect("a square viewBox");
    let path = svg
        .split("<path d=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .expect("a path");
    let mut dark = vec![false; size * size];
    for square in path.split('M').skip(1) {
        // `M{x} {y}h{run}v1h-{run}z`
        let (x, rest) = square.split_once(' ').expect("x");
        let (y, rest) = rest.split_once('h').expect("y");
        let run = rest.split('v').next().expect("run");
        let (x, y, run): (usize, usize, usize) = (
            x.parse().expect("x"),
            y.parse().expect("y"),
            run.parse().expect("run"),
        );
        for module in &mut dark[y * size + x..y * size + x + run] {
            *module = true;
        }
    }
    let scale = 4;
    let mut image =
        rqrr::PreparedImage::prepare_from_greyscale(size * scale, size * scale, |x, y| {
            if dark[(y / scale) * size + x / scale] {
                0
            } else {
                255
            }
        });
    let grids = image.detect_grids();
    assert_eq!(grids.len(), 1, "one QR code found");
    grids[0].decode().expect("the QR code decodes").1
}

#[tokio::test]
async fn turning_it_on_takes_a_code_from_the_app_and_shows_recovery_codes_once() {
    let app = app_at_rest().await;
    app.add_user("anna", Role::Editor, PASSWORD).await;
    let browser = app.login("anna", PASSWORD).await;
    let elsewhere = app.login("anna", PASSWORD).await;
    let account = browser.get("/admin/account").await.text();
    assert!(
        account.contains("href=\"/admin/account/two-factor\""),
        "offered"
    );

    let intro = browser.get("/admin/account/two-factor").await;
    assert_eq!(intro.status, StatusCode::OK);
    let csrf = hidden(&intro.text(), "csrf");
    assert!(
        !intro.text().contains("<svg"),
        "no secret before it is asked for"
    );
    browser
        .post("/admin/account/two-factor/start", &[("csrf", &csrf)])
        .await
        .assert_redirect();
    let offer = browser.get("/admin/account/two-factor").await.text();
    assert!(
        offer.contains("<svg class=\"qr\""),
        "a QR code drawn in the page"
    );
    assert!(
        offer.contains("<title id=\"qr-title\">"),
        "the QR code is named"
    );
    let secret = shown_secret(&offer);
    assert_eq!(
        secret.split(' ').count(),
        8,
        "32 letters in groups of four: {secret}"
    );
    let scanned = scan_qr(&offer);
    assert!(
        scanned.starts_with("otpauth://totp/SKL%20International:anna?"),
        "{scanned}"
    );
    assert!(
        scanned.contains(&format!("secret={}&", secret.replace(' ', ""))),
        "{scanned}"
    );
    assert!(offer.contains("href=\"otpauth://totp/SKL%20International:anna?secret="));

    // A wrong code: refused with why, and the same secret is still offered.
    let right = app_code(&secret, now(&app));
    let wrong = other_than(&right, "123456", "654321");
    let refused = browser
        .post(
            "/admin/account/two-factor/confirm",
            &[("csrf", &csrf), ("code", wrong)],
        )
        .await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST);
    assert!(refused.text().contains("Koden stämmer inte"));
    assert_eq!(shown_secret(&refused.text()), secret);
    assert!(!two_factor_on(&app, 2).await);

    let shown = browser
        .post(
            "/admin/account/two-factor/confirm",
            &[("csrf", &csrf), ("code", &right)],
        )
        .await;
    assert_eq!(shown.status, StatusCode::OK, "{}", shown.text());
    let codes = recovery_codes(&shown.text());
    assert_eq!(codes.len(), 10);
    assert_eq!(shown.header("cache-control"), Some("no-store"));
    // Stored as hashes only.
    let stored: Vec<String> = on_pool!(app.db(), |pool| query_scalar(
        "select code_hash from recovery_codes"
    )
    .fetch_all(pool)
    .await
    .expect("read"));
    assert_eq!(stored.len(), 10);
    for code in &codes {
        assert!(
            stored
                .iter()
                .all(|hash| !hash.contains(&code.replace('-', "")))
        );
    }
    // Shown once: the account screen counts them but does not show them.
    let account = browser.get("/admin/account").await.text();
    assert!(account.contains("Reservkoder kvar: 10 av 10"), "{account}");
    assert!(!account.contains(&codes[0]));
    // The account's other sessions ended; this one goes on.
    elsewhere.get("/admin").await.assert_redirect();
    assert_eq!(browser.get("/admin").await.status, StatusCode::OK);
    assert_audited(&app, "two_factor_on").await;
}

#[tokio::test]
async fn the_login_asks_for_the_code_after_the_password_and_takes_each_code_once() {
    let (app, _, secret, _) = anna_with_two_factor().await;
    let used = app_code(&secret, now(&app));

    let browser = app.browser();
    let password = browser.log_in("anna", PASSWORD).await;
    assert_eq!(password.header("location"), Some("/admin/login/code"));
    let cookie = password
        .header("set-cookie")
        .expect("the waiting login's cookie");
    for attribute in [
        "skl_code=",
        "HttpOnly",
        "SameSite=Strict",
        "Path=/admin",
        "Max-Age=300",
    ] {
        assert!(cookie.contains(attribute), "{cookie}");
    }
    // Not logged in yet.
    browser.get("/admin").await.assert_redirect();
    let form = browser.get("/admin/login/code").await;
    assert_eq!(form.status, StatusCode::OK);
    assert!(form.text().contains("autocomplete=\"one-time-code\""));

    // The code that turned it on was taken already: a code counts once.
    let replayed = send_code(&browser, &used).await;
    assert_eq!(replayed.status, StatusCode::UNAUTHORIZED);
    assert!(replayed.text().contains("Koden stämmer inte"));

    wait(&app, 30);
    let fresh = app_code(&secret, now(&app));
    let in_ = send_code(&browser, &fresh).await;
    assert_eq!(in_.header("location"), Some("/admin"), "{}", in_.text());
    assert_eq!(browser.get("/admin").await.status, StatusCode::OK);
    // The waiting login is gone with its use.
    let again = app.browser();
    again.log_in("anna", PASSWORD).await.assert_redirect();
    assert_eq!(
        send_code(&again, &fresh).await.status,
        StatusCode::UNAUTHORIZED,
        "the same code in another browser"
    );

    assert!(logged_in_with(&app, "with a code from the app").await);
}

#[tokio::test]
async fn a_recovery_code_logs_in_once() {
    let (app, _, _, codes) = anna_with_two_factor().await;

    let browser = app.browser();
    browser.log_in("anna", PASSWORD).await.assert_redirect();
    // Typed as people type: upper case, without the hyphen.
    let typed = codes[3].replace('-', " ").to_uppercase();
    let in_ = send_code(&browser, &typed).await;
    assert_eq!(in_.header("location"), Some("/admin"), "{}", in_.text());
    let account = browser.get("/admin/account").await.text();
    assert!(account.contains("Reservkoder kvar: 9 av 10"));

    let other = app.browser();
    other.log_in("anna", PASSWORD).await.assert_redirect();
    assert_eq!(
        send_code(&other, &codes[3]).await.status,
        StatusCode::UNAUTHORIZED
    );
    assert!(logged_in_with(&app, "with a recovery code (9 left)").await);

    // New codes replace the old ones, after the password.
    let csrf = hidden(&account, "csrf");
    let wrong = browser
        .post(
            "/admin/account/two-factor/recovery-codes",
            &[("csrf", &csrf), ("current", "inte mitt lösenord")],
        )
        .await;
    assert_eq!(wrong.status, StatusCode::BAD_REQUEST);
    let renewed = browser
        .post(
            "/admin/account/two-factor/recovery-codes",
            &[("csrf", &csrf), ("current", PASSWORD)],
        )
        .await;
    let new_codes = recovery_codes(&renewed.text());
    assert_eq!(new_codes.len(), 10);
    let third = app.browser();
    third.log_in("anna", PASSWORD).await.assert_redirect();
    assert_eq!(
        send_code(&third, &codes[4]).await.status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        send_code(&third, &new_codes[0]).await.status,
        StatusCode::SEE_OTHER
    );
}

#[tokio::test]
async fn wrong_codes_are_throttled_like_passwords_and_the_password_buys_no_more() {
    let (app, _, secret, _) = anna_with_two_factor().await;
    wait(&app, 30);
    let right = app_code(&secret, now(&app));
    let wrong = other_than(&right, "000000", "111111");

    let browser = app.browser();
    browser.log_in("anna", PASSWORD).await.assert_redirect();
    for attempt in 1..=3 {
        let reply = send_code(&browser, wrong).await;
        assert_eq!(reply.status, StatusCode::UNAUTHORIZED, "attempt {attempt}");
    }
    // Starting over with the password does not forget the failures.
    browser.log_in("anna", PASSWORD).await.assert_redirect();
    for attempt in 4..=5 {
        let reply = send_code(&browser, wrong).await;
        assert_eq!(reply.status, StatusCode::UNAUTHORIZED, "attempt {attempt}");
    }
    let throttled = send_code(&browser, &right).await;
    assert_eq!(
        throttled.status,
        StatusCode::TOO_MANY_REQUESTS,
        "even the right code waits"
    );
    assert!(throttled.header("retry-after").is_some());
    assert!(
        throttled
            .text()
            .contains("För många misslyckade inloggningar")
    );
    assert_eq!(
        browser.log_in("anna", PASSWORD).await.status,
        StatusCode::TOO_MANY_REQUESTS,
        "and so does the password"
    );
    let actions = audit_actions(&app).await;
    assert_eq!(actions.iter().filter(|a| *a == "login_failed").count(), 5);
    assert!(actions.contains(&"login_throttled".to_owned()));
}

#[tokio::test]
async fn a_login_waits_five_minutes_for_its_code() {
    let (app, _, secret, _) = anna_with_two_factor().await;
    let browser = app.browser();
    browser.log_in("anna", PASSWORD).await.assert_redirect();
    let form = browser.get("/admin/login/code").await;
    let csrf = hidden(&form.text(), "csrf");
    wait(&app, 301);
    let late = browser
        .post(
            "/admin/login/code",
            &[("csrf", &csrf), ("code", &app_code(&secret, now(&app)))],
        )
        .await;
    assert_eq!(late.status, StatusCode::UNAUTHORIZED);
    assert!(late.text().contains("väntade för länge"), "{}", late.text());
    assert!(
        late.text().contains("name=\"password\""),
        "the login form again"
    );
    // Without a waiting login, the code step sends to the login form.
    assert_eq!(
        app.browser()
            .get("/admin/login/code")
            .await
            .header("location"),
        Some("/admin/login")
    );
}

#[tokio::test]
async fn turning_it_off_takes_the_password() {
    let (app, browser, _, _) = anna_with_two_factor().await;
    let csrf = hidden(&browser.get("/admin/account").await.text(), "csrf");
    let wrong = browser
        .post(
            "/admin/account/two-factor/off",
            &[("csrf", &csrf), ("current", "inte mitt lösenord")],
        )
        .await;
    assert_eq!(wrong.status, StatusCode::BAD_REQUEST);
    assert!(
        wrong.text().contains("href=\"#off-current\""),
        "the summary points at the field"
    );
    assert!(two_factor_on(&app, 1).await);
    let off = browser
        .post(
            "/admin/account/two-factor/off",
            &[("csrf", &csrf), ("current", PASSWORD)],
        )
        .await;
    assert_eq!(
        off.header("location"),
        Some("/admin/account?klart=tvastegs-av")
    );
    assert!(!two_factor_on(&app, 1).await);
    let later = app.login("anna", PASSWORD).await;
    assert_eq!(
        later.get("/admin").await.status,
        StatusCode::OK,
        "the password alone again"
    );
    assert_audited(&app, "two_factor_off").await;
}

#[tokio::test]
async fn a_save_after_the_session_ended_logs_in_again_with_the_code() {
    let (app, browser, secret, _) = anna_with_two_factor().await;
    let id = create_page(&browser, &[("title", "Före"), ("path", "/fore")]).await;
    let mut fields = browser.edit_form(id).await;
    db::sessions::delete_for_user(app.db(), UserId(1))
        .await
        .expect("the session ends");
    common::set_field(&mut fields, "title", "Efter");
    common::set_field(&mut fields, "action", "publish");
    let signed_out = browser
        .post(&format!("/admin/pages/{id}"), &common::as_pairs(&fields))
        .await;
    assert_eq!(signed_out.status, StatusCode::UNAUTHORIZED);
    assert!(signed_out.text().contains("name=\"relogin_code\""));
    let csrf = hidden(&signed_out.text(), "csrf");
    common::set_field(&mut fields, "csrf", &csrf);
    common::set_field(&mut fields, "relogin_username", "anna");
    common::set_field(&mut fields, "relogin_password", PASSWORD);
    let no_code = browser
        .post(&format!("/admin/pages/{id}"), &common::as_pairs(&fields))
        .await;
    assert_eq!(no_code.status, StatusCode::UNAUTHORIZED);
    assert!(
        no_code.text().contains("skriv också koden"),
        "{}",
        no_code.text()
    );
    assert!(
        no_code.text().contains("value=\"Efter\""),
        "the text is kept"
    );
    wait(&app, 30);
    common::set_field(&mut fields, "relogin_code", &app_code(&secret, now(&app)));
    let saved = browser
        .post(&format!("/admin/pages/{id}"), &common::as_pairs(&fields))
        .await;
    saved.assert_redirect();
    assert!(app.get("/fore").await.text().contains("Efter"));
}

#[tokio::test]
async fn a_site_can_require_it_of_administrators() {
    let start = Timestamp::now().as_second() / 30 * 30;
    let clock = Clock::manual(Timestamp::from_second(start).expect("a time"));
    let app =
        TestApp::spawn_configured_at(clock, |state| state.with_two_factor_for_admins(true)).await;
    app.add_user("anna", Role::Admin, PASSWORD).await;
    app.add_user("bertil", Role::Editor, PASSWORD).await;
    let admin = app.login("anna", PASSWORD).await;
    let editor = app.login("bertil", PASSWORD).await;

    assert_eq!(
        admin.get("/admin").await.header("location"),
        Some("/admin/account/two-factor")
    );
    let screen = admin.get("/admin/account/two-factor").await;
    assert!(
        screen
            .text()
            .contains("Administratörer på den här webbplatsen")
    );
    let csrf = hidden(&screen.text(), "csrf");
    let refused = admin
        .post("/admin/users/2/disable", &[("csrf", &csrf)])
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    assert!(refused.text().contains("måste slå på tvåstegsverifiering"));
    assert_eq!(
        editor.get("/admin").await.status,
        StatusCode::OK,
        "editors are not asked"
    );

    turn_on_two_factor(&app, &admin).await;
    assert_eq!(admin.get("/admin").await.status, StatusCode::OK);
    let account = admin.get("/admin/account").await.text();
    assert!(
        !account.contains("/admin/account/two-factor/off"),
        "no way to turn it off"
    );
    let off = admin
        .post(
            "/admin/account/two-factor/off",
            &[("csrf", &csrf), ("current", PASSWORD)],
        )
        .await;
    assert_eq!(off.status, StatusCode::CONFLICT);
    assert!(two_factor_on(&app, 1).await);
}

#[tokio::test]
async fn an_administrator_resets_it_for_someone_who_lost_their_phone() {
    let app = app_at_rest().await;
    app.add_user("anna", Role::Admin, PASSWORD).await;
    app.add_user("bertil", Role::Editor, PASSWORD).await;
    let admin = app.login("anna", PASSWORD).await;
    let bertil = app.login("bertil", PASSWORD).await;
    turn_on_two_factor(&app, &bertil).await;

    let users = admin.get("/admin/users").await.text();
    assert!(users.contains("<td>På</td>"), "the list shows who has it");
    let screen = admin.get("/admin/users/2").await.text();
    assert!(screen.contains("/admin/users/2/two-factor/reset"));
    let csrf = hidden(&screen, "csrf");
    let reset = admin
        .post("/admin/users/2/two-factor/reset", &[("csrf", &csrf)])
        .await;
    assert_eq!(
        reset.header("location"),
        Some("/admin/users/2?klart=tvastegs-aterstalld")
    );
    assert!(!two_factor_on(&app, 2).await);
    let audit = db::audit::list(app.db(), None, None, 100, 0)
        .await
        .expect("audit");
    let entry = audit
        .iter()
        .find(|entry| entry.action.id() == "two_factor_off")
        .expect("audited");
    assert_eq!(entry.detail, "bertil, reset by another account");
    // Editors cannot.
    let csrf = hidden(&bertil.get("/admin/account").await.text(), "csrf");
    let by_editor = bertil
        .post("/admin/users/1/two-factor/reset", &[("csrf", &csrf)])
        .await;
    assert_eq!(by_editor.status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn the_command_line_resets_it() {
    let workspace = Workspace::new();
    let added = workspace.run_with_input(
        &["user", "add", "anna", "--role", "admin", "--password-stdin"],
        &format!("{PASSWORD}\n"),
    );
    assert!(added.status.success(), "{}", stderr(&added));
    let none = workspace.run(&["user", "reset-2fa", "anna"]);
    assert_eq!(none.status.code(), Some(2), "nothing to reset");
    assert!(stderr(&none).contains("does not log in with two factors"));

    // Turned on through the same rules as the browser's.
    let pool = db::open(&workspace.database()).await.expect("db");
    let clock = Clock::system();
    let secret = skl_cms::accounts::two_factor::begin(&pool, &clock, UserId(1))
        .await
        .expect("begins");
    let code = secret.code_at(u64::try_from(clock.now().as_second()).expect("after 1970"));
    skl_cms::accounts::two_factor::confirm(
        &pool,
        &clock,
        &Actor::command_line(),
        UserId(1),
        &code,
        "",
    )
    .await
    .expect("confirmed");
    assert!(stdout(&workspace.run(&["user", "list"])).contains("two-factor"));

    let reset = workspace.run(&["user", "reset-2fa", "anna"]);
    assert!(reset.status.success(), "{}", stderr(&reset));
    assert!(stdout(&reset).contains("turned off two-factor login for anna"));
    assert!(!db::two_factor::is_on(&pool, UserId(1)).await.expect("read"));
    let detail: String = sqlx::query_scalar(
        "select detail from audit_log where action = 'two_factor_off' order by id desc limit 1",
    )
    .fetch_one(pool.sqlite().expect("SQLite"))
    .await
    .expect("audited");
    assert_eq!(
        detail,
        "anna, reset by another account, from the command line"
    );
}

/// Whether account `id` has two-factor login on, as the database has it.
async fn two_factor_on(app: &TestApp, id: i64) -> bool {
    db::two_factor::is_on(app.db(), UserId(id))
        .await
        .expect("read")
}

/// A code that is not `right`: `code`, or `otherwise` when `right` happens to be `code`.
fn other_than<'a>(right: &str, code: &'a str, otherwise: &'a str) -> &'a str {
    if right == code { otherwise } else { code }
}

/// Whether the audit log holds a login with `detail`: how the second step was passed.
async fn logged_in_with(app: &TestApp, detail: &str) -> bool {
    let audit = db::audit::list(app.db(), None, None, 100, 0)
        .await
        .expect("audit");
    audit
        .iter()
        .any(|entry| entry.action.id() == "login" && entry.detail == detail)
}
