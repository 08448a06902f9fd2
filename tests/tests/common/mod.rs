//! Helpers shared by the black-box tests of the `leadline` binary.
#![allow(dead_code)]

pub mod http;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;

/// Environment variables the binary reads; cleared for every run so that
/// the developer's own settings never leak into a test.
pub const CLEARED_ENV: [&str; 11] = [
    "LEADLINE_ALLOW_INSECURE_WEBHOOKS",
    "LEADLINE_WEBHOOK_ALLOW_HOSTS",
    "LEADLINE_DATA",
    "LEADLINE_URL",
    "LEADLINE_API_KEY",
    "LEADLINE_ADMIN_KEY",
    "LEADLINE_BIND",
    "LEADLINE_PROVIDER",
    "LEADLINE_SYSTEM_CONCURRENT_CALLS",
    "LEADLINE_SIM_CALL_MS",
    "RUST_LOG",
];

/// The providers' settings (see `leadline::dialer::providers`), cleared
/// for servers started with [`Server::start_with`].
pub const PROVIDER_ENV: [&str; 18] = [
    "EXOTEL_API_KEY",
    "EXOTEL_API_TOKEN",
    "EXOTEL_ACCOUNT_SID",
    "EXOTEL_SUBDOMAIN",
    "LEADLINE_WEBHOOK_TOKEN",
    "TWILIO_ACCOUNT_SID",
    "TWILIO_AUTH_TOKEN",
    "RETELL_API_KEY",
    "BOLNA_API_KEY",
    "VAPI_API_KEY",
    "VAPI_WEBHOOK_SECRET",
    "VAPI_PHONE_NUMBER_ID",
    "LEADLINE_PUBLIC_URL",
    "LEADLINE_EXOTEL_API_BASE",
    "LEADLINE_TWILIO_API_BASE",
    "LEADLINE_RETELL_API_BASE",
    "LEADLINE_BOLNA_API_BASE",
    "LEADLINE_VAPI_API_BASE",
];

/// The `leadline` binary, built once per test process with the same
/// cargo, target directory and profile as the tests themselves.
pub fn leadline_bin() -> PathBuf {
    static BIN: OnceLock<Result<PathBuf, String>> = OnceLock::new();
    match BIN.get_or_init(build_leadline) {
        Ok(path) => path.clone(),
        Err(e) => panic!("cannot build the leadline binary: {e}"),
    }
}

/// A command running the binary with a clean environment.
pub fn leadline() -> Command {
    let mut command = Command::new(leadline_bin());
    for name in CLEARED_ENV {
        command.env_remove(name);
    }
    command.stdin(Stdio::null());
    command
}

/// Runs `cargo build -p leadline` and reads the binary's path from cargo's
/// JSON messages (what the `escargot` crate does, without the dependency).
fn build_leadline() -> Result<PathBuf, String> {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR")).join("../Cargo.toml");
    let mut command = Command::new(cargo);
    command
        .args(["build", "--package", "leadline", "--bin", "leadline"])
        .arg("--message-format=json-render-diagnostics")
        .arg("--manifest-path")
        .arg(&manifest)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit());
    if !cfg!(debug_assertions) {
        command.arg("--release");
    }
    let output = command
        .output()
        .map_err(|e| format!("running cargo: {e}"))?;
    if !output.status.success() {
        return Err(format!("cargo build failed ({})", output.status));
    }
    let stdout = String::from_utf8_lossy(&output.stdout);
    stdout
        .lines()
        .filter_map(|line| serde_json::from_str::<serde_json::Value>(line).ok())
        .filter(|message| message["reason"] == "compiler-artifact")
        .filter(|message| message["target"]["name"] == "leadline")
        .find_map(|message| message["executable"].as_str().map(PathBuf::from))
        .ok_or_else(|| "cargo reported no leadline executable".to_owned())
}

/// A `leadline serve` child on a free loopback port, killed when dropped.
pub struct Server {
    child: std::process::Child,
    /// `http://127.0.0.1:PORT`.
    pub url: String,
}

impl Server {
    /// Starts the server on `data` with `admin_key` and waits until it
    /// accepts requests (it prints its address then).
    pub fn start(data: &Path, admin_key: &str) -> Server {
        Self::start_with(data, admin_key, &[], &[])
    }

    /// Like [`Server::start`], with more arguments and environment
    /// variables (a provider's settings).
    pub fn start_with(data: &Path, admin_key: &str, args: &[&str], env: &[(&str, &str)]) -> Server {
        use std::io::{BufRead, BufReader};
        let mut command = leadline();
        for name in PROVIDER_ENV {
            command.env_remove(name);
        }
        command.envs(env.iter().copied());
        let mut child = command
            .arg("serve")
            .arg("--data")
            .arg(data)
            .args(["--bind", "127.0.0.1:0", "--admin-key", admin_key])
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn leadline serve");
        let mut line = String::new();
        if let Some(stdout) = child.stdout.take() {
            let mut reader = BufReader::new(stdout);
            let _ = reader.read_line(&mut line);
            // Keep the pipe open and drained: a server writing to a closed
            // stdout would fail.
            std::thread::spawn(move || std::io::copy(&mut reader, &mut std::io::sink()));
        }
        let url = line
            .split_whitespace()
            .find(|word| word.starts_with("http://"))
            .map(|url| url.trim_end_matches(',').to_owned());
        match url {
            Some(url) => Server { child, url },
            None => {
                let _ = child.kill();
                let _ = child.wait();
                panic!("leadline serve printed no address: {line:?}");
            }
        }
    }
}

impl Server {
    /// Stops the server with SIGTERM, as an operator would, and returns
    /// how it exited.
    pub fn terminate(mut self) -> std::process::ExitStatus {
        let pid = self.child.id().to_string();
        let sent = Command::new("kill").args(["-TERM", &pid]).status();
        assert!(sent.is_ok_and(|s| s.success()), "kill -TERM {pid} failed");
        let status = self.child.wait().expect("wait for the server");
        // Already reaped: dropping must not signal a recycled pid.
        std::mem::forget(self);
        status
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
