//! The real nginx (Debian's package), started by a test with a configuration the project ships,
//! as one process (no master and workers), so that killing it leaves nothing running.

use std::{
    path::Path,
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
};

pub const NGINX: &str = "/usr/sbin/nginx";
pub const BROTLI_MODULE: &str = "/usr/lib/nginx/modules/ngx_http_brotli_static_module.so";

/// Whether nginx with the brotli_static module is installed; its absence fails a test when CI is
/// set and skips it (saying so) elsewhere.
pub fn present(test: &str) -> bool {
    if Path::new(NGINX).exists() && Path::new(BROTLI_MODULE).exists() {
        return true;
    }
    let message = format!(
        "{test} needs nginx with brotli_static \
         (apt-get install nginx-light libnginx-mod-http-brotli-static)"
    );
    assert!(
        std::env::var_os("CI").is_none(),
        "{message}; CI is set, so this is a failure"
    );
    eprintln!("SKIPPED: {message}");
    false
}

/// The shipped configuration `deploy/{name}`.
pub fn shipped(name: &str) -> String {
    std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("deploy")
            .join(name),
    )
    .expect("the shipped configuration")
}

/// `text` with `from` replaced by `to`; `from` must be there, so that a change to the shipped file
/// cannot quietly leave the test running something else.
#[track_caller]
pub fn replaced(text: &str, from: &str, to: &str) -> String {
    assert!(text.contains(from), "the configuration has `{from}`");
    text.replace(from, to)
}

/// A running nginx; stopped when dropped.
pub struct Nginx {
    child: Child,
    pub base: String,
}

impl Nginx {
    /// nginx with the server block `server` (listening on 127.0.0.1:`port`), its files in `work`.
    pub fn start(work: &Path, server: &str, port: u16) -> Nginx {
        Nginx::start_sized(work, server, port, 64)
    }

    /// [`start`](Self::start) for up to `connections` connections, clients' and upstream together.
    pub fn start_sized(work: &Path, server: &str, port: u16, connections: u32) -> Nginx {
        let work = work.display();
        let conf = format!(
            "load_module {BROTLI_MODULE};\n\
             master_process off;\n\
             pid {work}/nginx.pid;\n\
             error_log {work}/nginx-error.log warn;\n\
             events {{ worker_connections {connections}; }}\n\
             http {{\n\
             include /etc/nginx/mime.types;\n\
             access_log off;\n\
             client_body_temp_path {work}/tmp;\n\
             proxy_temp_path {work}/tmp;\n\
             fastcgi_temp_path {work}/tmp;\n\
             uwsgi_temp_path {work}/tmp;\n\
             scgi_temp_path {work}/tmp;\n\
             {server}\n\
             }}\n"
        );
        std::fs::create_dir_all(format!("{work}/tmp")).expect("nginx's temporary folder");
        let path = format!("{work}/nginx.conf");
        std::fs::write(&path, conf).expect("nginx.conf");
        let child = Command::new(NGINX)
            .args(["-c", &path, "-g", "daemon off;"])
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("nginx starts");
        let deadline = Instant::now() + Duration::from_secs(10);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "nginx did not start listening");
            std::thread::sleep(Duration::from_millis(20));
        }
        Nginx {
            child,
            base: format!("http://127.0.0.1:{port}"),
        }
    }
}

impl Drop for Nginx {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A free port on loopback.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .expect("a free port")
        .port()
}

/// `deploy/nginx-upstream.conf` as shipped, balancing the servers on 127.0.0.1:`first` and
/// `second`, with its TLS replaced by plain http on 127.0.0.1:`port` (and `Host $http_host`, since
/// that port is not 443).
pub fn balancer(first: u16, second: u16, port: u16) -> String {
    let conf = shipped("nginx-upstream.conf");
    let conf = replaced(
        &conf,
        "server 127.0.0.1:3001 ",
        &format!("server 127.0.0.1:{first} "),
    );
    let conf = replaced(
        &conf,
        "server 127.0.0.1:3002 ",
        &format!("server 127.0.0.1:{second} "),
    );
    let conf = replaced(
        &conf,
        "listen 443 ssl;",
        &format!("listen 127.0.0.1:{port};"),
    );
    let conf = replaced(&conf, "    http2 on;\n", "");
    let conf = replaced(
        &conf,
        "    ssl_certificate     /etc/ssl/certs/www.example.se.pem;\n",
        "",
    );
    let conf = replaced(
        &conf,
        "    ssl_certificate_key /etc/ssl/private/www.example.se.key;\n",
        "",
    );
    let conf = replaced(&conf, "Host $host", "Host $http_host");
    replaced(
        &conf,
        "listen 80;",
        &format!("listen 127.0.0.1:{};", free_port()),
    )
}
