//! The shipped systemd unit, `deploy/skl-cms.service`: systemd itself reads it and rates its
//! sandbox, and every setting it gives the server is one the server knows.

use std::{path::Path, process::Command};

const ANALYZE: &str = "/usr/bin/systemd-analyze";

/// The exposure `systemd-analyze security` may give the unit, in tenths (it gives 0.9).
const MOST_EXPOSURE: &str = "12";

fn unit_path() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("deploy/skl-cms.service")
}

#[test]
fn systemd_rates_the_unit_safe() {
    if !Path::new(ANALYZE).exists() {
        let message = "the unit's check needs systemd-analyze (apt-get install systemd)";
        assert!(
            std::env::var_os("CI").is_none(),
            "{message}; CI is set, so this is a failure"
        );
        eprintln!("SKIPPED: {message}");
        return;
    }
    let output = Command::new(ANALYZE)
        .args(["security", "--offline=true", "--no-pager"])
        .arg(format!("--threshold={MOST_EXPOSURE}"))
        .arg(unit_path())
        .output()
        .expect("systemd-analyze runs");
    let report = String::from_utf8_lossy(&output.stdout);
    let complaints = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "exposure above {MOST_EXPOSURE} tenths:\n{report}\n{complaints}"
    );
    // systemd ignores a setting it cannot read, with a warning only: that would be a hole.
    for line in complaints.lines() {
        assert!(
            !(line.contains("Unknown") || line.contains("Failed") || line.contains("invalid")),
            "systemd does not read the unit as written: {line}"
        );
    }
    let overall = report
        .lines()
        .find(|line| line.contains("Overall exposure level"))
        .expect("an overall figure");
    assert!(overall.contains("skl-cms.service"), "{overall}");
}

#[test]
fn every_setting_of_the_unit_is_one_the_server_knows() {
    let unit = std::fs::read_to_string(unit_path()).expect("the unit");
    let help = Command::new(env!("CARGO_BIN_EXE_skl-cms"))
        .args(["serve", "--help"])
        .output()
        .expect("the binary runs");
    let help = String::from_utf8_lossy(&help.stdout);
    let settings: Vec<&str> = unit
        .lines()
        .filter_map(|line| line.strip_prefix("Environment="))
        .filter_map(|setting| setting.split_once('=').map(|(name, _)| name))
        .collect();
    assert!(settings.len() >= 5, "{settings:?}");
    for name in settings {
        assert!(
            help.contains(&format!("env: {name}=")) || help.contains(&format!("[env: {name}")),
            "`skl-cms serve` has no {name}"
        );
    }
    assert!(unit.contains("ExecStart=/usr/local/bin/skl-cms serve"));
}
