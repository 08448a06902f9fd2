//! The domain stays pure: none of the crates that do IO or run an async
//! runtime may appear among its normal dependencies.

use std::process::Command;

const FORBIDDEN: [&str; 3] = ["sled", "tokio", "actix"];

#[test]
fn the_domain_depends_on_no_io_crate() {
    let output = Command::new(env!("CARGO"))
        .args([
            "tree",
            "-p",
            "leadline-domain",
            "-e",
            "normal",
            "--prefix",
            "none",
        ])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("cargo tree runs");
    assert!(
        output.status.success(),
        "cargo tree failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let tree = String::from_utf8_lossy(&output.stdout);
    assert!(
        tree.contains("leadline-domain"),
        "unexpected output: {tree}"
    );
    for line in tree.lines() {
        let name = line.split_whitespace().next().unwrap_or_default();
        for forbidden in FORBIDDEN {
            assert!(
                !name.starts_with(forbidden),
                "leadline-domain depends on `{name}`; the domain must not do IO"
            );
        }
    }
}
