//! The dashboard in headless Chromium: runs `tests/browser` (node's test
//! runner driving Debian's Chromium with playwright-core) against the
//! leadline binary this build made.
//!
//! It needs `node`, `npm` and Chromium (`/usr/bin/chromium`, or
//! `LEADLINE_CHROMIUM`); `.ci/run` installs them. Where they are missing the
//! test says so and passes, unless `LEADLINE_BROWSER_TESTS=required` (set by
//! CI), where a missing piece fails it.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

fn found(program: &str) -> bool {
    Command::new(program)
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
}

fn chromium() -> PathBuf {
    std::env::var_os("LEADLINE_CHROMIUM")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/usr/bin/chromium"))
}

fn run(command: &mut Command, what: &str) {
    let status = command.status().unwrap_or_else(|e| panic!("{what}: {e}"));
    assert!(status.success(), "{what} failed ({status})");
}

#[test]
fn the_dashboard_in_chromium() {
    let required = std::env::var("LEADLINE_BROWSER_TESTS").is_ok_and(|v| v == "required");
    let browser = chromium();
    let missing: Vec<String> = [
        (!found("node")).then(|| "node".to_owned()),
        (!found("npm")).then(|| "npm".to_owned()),
        (!browser.exists()).then(|| format!("Chromium at {}", browser.display())),
    ]
    .into_iter()
    .flatten()
    .collect();
    if !missing.is_empty() {
        let message = format!(
            "the browser tests need {} (`.ci/run` installs them: apt-get install chromium nodejs npm)",
            missing.join(", ")
        );
        assert!(!required, "{message}");
        eprintln!("SKIPPED: {message}");
        return;
    }
    let suite = Path::new(env!("CARGO_MANIFEST_DIR")).join("browser");
    if !suite.join("node_modules/playwright-core").exists() {
        run(
            Command::new("npm")
                .args(["ci", "--no-audit", "--no-fund"])
                .current_dir(&suite),
            "npm ci in tests/browser",
        );
    }
    run(
        Command::new("npm")
            .arg("test")
            .current_dir(&suite)
            .env("LEADLINE_BIN", common::leadline_bin())
            .env("LEADLINE_CHROMIUM", &browser),
        "the browser tests (screenshots of a failing step: target/browser-screenshots/)",
    );
}
