//! The real nginx in front of the server, with `deploy/nginx-proxy.conf` as shipped (its TLS
//! replaced by plain loopback on a port of its own, its `$scheme` by `https` as TLS termination
//! would set it, `$host` by `$http_host` because that port is not 443): the
//! client's address reaches the audit log, cookies are `Secure` and pages carry HSTS, a client's
//! forged headers change nothing, and an upload near the limit passes through.

mod common;

use std::net::{IpAddr, Ipv4Addr};

use common::{
    TestApp, hidden,
    images::jpeg,
    nginx::{self, Nginx, free_port, replaced},
};
use reqwest::StatusCode;
use skl_cms::{
    db,
    proxy::TrustedProxies,
    vocab::{AuditAction, Role},
};

/// The client's own address: another loopback address than nginx's, so that the two can be told apart.
const CLIENT: IpAddr = IpAddr::V4(Ipv4Addr::new(127, 0, 0, 2));

fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .local_address(CLIENT)
        .build()
        .expect("client")
}

/// The value of the cookie `name` that `reply` sets.
fn cookie(reply: &reqwest::Response, name: &str) -> Option<(String, String)> {
    reply
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|value| value.to_str().ok())
        .find(|value| value.starts_with(&format!("{name}=")))
        .map(|value| {
            let pair = value.split(';').next().unwrap_or_default().to_owned();
            (pair, value.to_owned())
        })
}

#[tokio::test]
async fn behind_the_shipped_nginx_the_client_https_and_uploads_come_through() {
    if !nginx::present("the reverse proxy test") {
        return;
    }
    // nginx reaches the server from 127.0.0.1, the one proxy the server trusts.
    let app = TestApp::spawn_configured(|state| {
        state.with_trusted_proxies(TrustedProxies::parse("127.0.0.1").expect("list"))
    })
    .await;
    let password = "ett långt lösenord för proxyprovet";
    app.add_user("anna", Role::Admin, password).await;
    let port = free_port();
    let server = nginx::shipped("nginx-proxy.conf");
    let server = replaced(
        &server,
        "listen 443 ssl;",
        &format!("listen 127.0.0.1:{port};"),
    );
    let server = replaced(&server, "    http2 on;\n", "");
    let server = replaced(
        &server,
        "    ssl_certificate     /etc/ssl/certs/www.example.se.pem;\n",
        "",
    );
    let server = replaced(
        &server,
        "    ssl_certificate_key /etc/ssl/private/www.example.se.key;\n",
        "",
    );
    let server = replaced(
        &server,
        "http://127.0.0.1:3000",
        &format!("http://{}", app.addr),
    );
    let server = replaced(
        &server,
        "X-Forwarded-Proto $scheme",
        "X-Forwarded-Proto https",
    );
    // On a port other than 443 the browser's Origin names the port, which `$host` drops.
    let server = replaced(&server, "Host $host", "Host $http_host");
    let server = replaced(
        &server,
        "listen 80;",
        &format!("listen 127.0.0.1:{};", free_port()),
    );
    let work = tempfile::tempdir().expect("folder");
    let nginx = Nginx::start(work.path(), &server, port);
    let base = nginx.base.clone();
    let client = client();

    // The login form through nginx: its cookie is Secure and the page carries HSTS, while the
    // client's own X-Forwarded-For and X-Request-Id are only appended to or replaced.
    let form = client
        .get(format!("{base}/admin/login"))
        .header("x-forwarded-for", "203.0.113.7")
        .header("x-request-id", "forged-id")
        .send()
        .await
        .expect("answered");
    assert_eq!(form.status(), StatusCode::OK);
    assert!(form.headers().contains_key("strict-transport-security"));
    let (login_cookie, attributes) = cookie(&form, "skl_login").expect("the login form's cookie");
    assert!(attributes.contains("; Secure"), "{attributes}");
    assert_ne!(
        form.headers()
            .get("x-request-id")
            .and_then(|v| v.to_str().ok()),
        Some("forged-id")
    );
    let csrf = hidden(&form.text().await.expect("text"), "csrf");

    // A failed login: the audit log has the client's address, not the forged one nor nginx's.
    let refused = client
        .post(format!("{base}/admin/login"))
        .header("origin", &base)
        .header("cookie", &login_cookie)
        .header("x-forwarded-for", "203.0.113.7")
        .form(&[
            ("csrf", csrf.as_str()),
            ("username", "anna"),
            ("password", "fel lösenord helt och hållet"),
        ])
        .send()
        .await
        .expect("answered");
    let status = refused.status();
    let page = refused.text().await.unwrap_or_default();
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{page}");
    let failed = db::audit::list(app.db(), None, Some(AuditAction::LoginFailed), 1, 0)
        .await
        .expect("audit")
        .pop()
        .expect("logged");
    assert_eq!(failed.ip.as_deref(), Some("127.0.0.2"));

    // Logged in through nginx, an upload of 9.5 MB passes its limit of 12 MB and reaches the server.
    let login = client
        .post(format!("{base}/admin/login"))
        .header("origin", &base)
        .header("cookie", &login_cookie)
        .form(&[
            ("csrf", csrf.as_str()),
            ("username", "anna"),
            ("password", password),
        ])
        .send()
        .await
        .expect("answered");
    assert_eq!(login.status(), StatusCode::SEE_OTHER);
    let (session, attributes) = cookie(&login, "skl_session").expect("a session");
    assert!(attributes.contains("; Secure"), "{attributes}");
    let library = client
        .get(format!("{base}/admin/media"))
        .header("cookie", &session)
        .send()
        .await
        .expect("answered")
        .text()
        .await
        .expect("text");
    let mut big = jpeg(1600, 1200);
    big.resize(9_500_000, 0);
    let form = reqwest::multipart::Form::new()
        .text("csrf", hidden(&library, "csrf"))
        .text("alt_sv", "En stor bild")
        .part(
            "file",
            reqwest::multipart::Part::bytes(big).file_name("stor.jpg"),
        );
    let uploaded = client
        .post(format!("{base}/admin/media"))
        .header("origin", &base)
        .header("cookie", &session)
        .multipart(form)
        .send()
        .await
        .expect("answered");
    assert_eq!(
        uploaded.status(),
        StatusCode::SEE_OTHER,
        "{}",
        uploaded.text().await.unwrap_or_default()
    );
    assert_eq!(
        db::media::count(app.db(), &Default::default())
            .await
            .expect("count"),
        1
    );
    let uploads = db::audit::list(app.db(), None, Some(AuditAction::MediaUpload), 1, 0)
        .await
        .expect("audit");
    assert_eq!(uploads[0].ip.as_deref(), Some("127.0.0.2"));
    drop(nginx);
}
