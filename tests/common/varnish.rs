//! The real Varnish (Debian's package), started by a test with `deploy/varnish.vcl` as shipped, its
//! backend pointed at the test's server; in the foreground, so that killing it leaves nothing running.

use std::{
    path::Path,
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
};

use super::nginx::{replaced, shipped};

pub const VARNISHD: &str = "/usr/sbin/varnishd";

/// Whether Varnish is installed; its absence fails a test when CI is set and skips it (saying so)
/// elsewhere.
pub fn present(test: &str) -> bool {
    if Path::new(VARNISHD).exists() {
        return true;
    }
    let message = format!("{test} needs Varnish (apt-get install varnish)");
    assert!(
        std::env::var_os("CI").is_none(),
        "{message}; CI is set, so this is a failure"
    );
    eprintln!("SKIPPED: {message}");
    false
}

/// A running Varnish; stopped when dropped.
pub struct Varnish {
    child: Child,
    pub base: String,
}

impl Varnish {
    /// Varnish on 127.0.0.1:`port` with the shipped configuration, in front of the server at
    /// 127.0.0.1:`backend`, its files in `work`.
    pub fn start(work: &Path, port: u16, backend: u16) -> Varnish {
        let vcl = replaced(
            &shipped("varnish.vcl"),
            ".port = \"3000\";",
            &format!(".port = \"{backend}\";"),
        );
        std::fs::create_dir_all(work).expect("Varnish's folder");
        let path = work.join("skl-cms.vcl");
        std::fs::write(&path, vcl).expect("the configuration");
        let child = Command::new(VARNISHD)
            .arg("-F")
            .arg("-n")
            .arg(work.join("varnish"))
            .args(["-a", &format!("127.0.0.1:{port}")])
            .arg("-f")
            .arg(&path)
            .args(["-s", "malloc,32m"])
            // As the user that runs the test, whoever that is.
            .args(["-j", "none"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("varnishd starts");
        let deadline = Instant::now() + Duration::from_secs(30);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "Varnish did not start listening");
            std::thread::sleep(Duration::from_millis(50));
        }
        Varnish {
            child,
            base: format!("http://127.0.0.1:{port}"),
        }
    }
}

impl Drop for Varnish {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
