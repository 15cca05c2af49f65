//! Rebuilds the crate when a migration is added or changed: `sqlx::migrate!` embeds `migrations/` at
//! compile time, and without this cargo would not notice a new file there.
//!
//! Also tells the browser tests whether this machine has what they need (Chromium, chromedriver,
//! Java, and axe-core and the Nu HTML Checker from `npm ci` in `tests/a11y`). Without them, and
//! without `CI` set, the tests are compiled as ignored with the reason, so that `cargo test`'s
//! summary shows them as not run rather than passed. With `CI` set they always run, and fail if a
//! tool is missing.

use std::path::Path;

fn main() {
    println!("cargo:rerun-if-changed=migrations");
    // Directories that always exist, so that cargo looks again when a tool is installed.
    println!("cargo:rerun-if-changed=/usr/bin");
    println!("cargo:rerun-if-changed=tests/a11y");
    println!("cargo:rerun-if-env-changed=CI");
    println!("cargo:rerun-if-env-changed=CHROMIUM");
    println!("cargo:rerun-if-env-changed=CHROMEDRIVER");
    println!("cargo::rustc-check-cfg=cfg(browser_tools_missing)");
    let tool = |variable: &str, default: &str| {
        std::env::var_os(variable).map_or_else(
            || Path::new(default).exists(),
            |path| Path::new(&path).exists(),
        )
    };
    let present = tool("CHROMIUM", "/usr/bin/chromium")
        && tool("CHROMEDRIVER", "/usr/bin/chromedriver")
        && Path::new("/usr/bin/java").exists()
        && Path::new("tests/a11y/node_modules/axe-core/axe.min.js").exists()
        && Path::new("tests/a11y/node_modules/vnu-jar/build/dist/vnu.jar").exists();
    if !present && std::env::var_os("CI").is_none() {
        println!("cargo::rustc-cfg=browser_tools_missing");
    }
}
