//! The api suite: the real `leadline` server on loopback. A 1M-row CSV
//! import over HTTP, then campaign stats read at a steady rate (open loop)
//! next to `/healthz` read the same way in the same run, then the highest
//! rate the stats endpoint sustains, then the campaign's `leads.csv`
//! exported (rows/s next to reading the same leads a JSON page at a time,
//! and the server's resident memory during the export next to before it).
//!
//! The server and the load generator share the machine, as the issue asks:
//! the figures are what that setup measures.

use std::collections::VecDeque;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStderr, ChildStdout, Command, ExitStatus, Stdio};
use std::sync::{mpsc, Arc, Mutex};
use std::time::{Duration, Instant};

use crate::report::{quantile, target_dir, Figure, Report};

/// The turns in which /healthz and stats are read.
const READ_SLICE: Duration = Duration::from_secs(1);
/// Keep-alive connections of the load generator (one request in flight on
/// each at a time).
const CONNECTIONS: usize = 64;
/// The rate the read latencies are measured at (requests/s).
const READ_RATE: u64 = 1_000;
/// A rate is sustained when its p99 stays under this and nothing fails.
const SUSTAINED_P99_MS: f64 = 10.0;
/// Beyond this a read counts as an error; it also bounds each step when the
/// server falls behind.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(2);
/// A 1M-row upload is one request: it gets far longer than a read.
const IMPORT_TIMEOUT: Duration = Duration::from_secs(600);
/// The stepping stops here even if every step passes, so a run is bounded.
const RATE_CAP: u64 = 1 << 20;
/// How long the server may take to start listening on an empty directory.
const START_TIMEOUT: Duration = Duration::from_secs(60);
/// How long SIGTERM may take (the server drains for up to 10 s, then
/// closes the log).
const STOP_TIMEOUT: Duration = Duration::from_secs(30);
/// Lines of the server's stderr kept to explain a failure.
const STDERR_TAIL_LINES: usize = 30;

struct Params {
    rows: u64,
    read_duration: Duration,
    step_duration: Duration,
    warmup: Duration,
}

pub fn run(quick: bool) -> Result<Report, String> {
    let params = if quick {
        Params {
            rows: 100_000,
            read_duration: Duration::from_secs(3),
            step_duration: Duration::from_secs(1),
            warmup: Duration::from_millis(500),
        }
    } else {
        Params {
            rows: 1_000_000,
            read_duration: Duration::from_secs(10),
            step_duration: Duration::from_secs(3),
            warmup: Duration::from_secs(1),
        }
    };
    let bench_dir = target_dir().join("bench");
    std::fs::create_dir_all(&bench_dir).map_err(|e| e.to_string())?;
    eprintln!("building the leadline server (cargo build --release -p leadline) …");
    let binary = build_server()?;
    // Declared before the server so that it is removed after the server
    // has stopped (locals drop in reverse order).
    let scratch = tempfile::tempdir_in(&bench_dir).map_err(|e| e.to_string())?;
    let admin_key = uuid::Uuid::new_v4().simple().to_string();
    let mut server = Server::start(&binary, &scratch.path().join("data"), &admin_key)?;
    eprintln!("server listening on {}", server.url);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the runtime: {e}"))?;
    let pid = server.child.id();
    let measured = runtime.block_on(measure(&server.url, &admin_key, &params, pid));
    drop(runtime);
    let stopped = server.stop();
    let figures = measured?;
    stopped?;
    Ok(Report {
        suite: "api".into(),
        figures,
    })
}

/// Builds the server in release mode and returns the binary's path.
fn build_server() -> Result<PathBuf, String> {
    let workspace = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut target = target_dir();
    // Cargo reads a relative CARGO_TARGET_DIR against its own working
    // directory, which is the workspace here, not ours: make it absolute so
    // the binary is where we look for it.
    if target.is_relative() {
        let cwd = std::env::current_dir().map_err(|e| e.to_string())?;
        target = cwd.join(target);
    }
    let status = Command::new("cargo")
        .args(["build", "--release", "-p", "leadline"])
        .current_dir(&workspace)
        .env("CARGO_TARGET_DIR", &target)
        .status()
        .map_err(|e| format!("cannot run cargo: {e}"))?;
    if !status.success() {
        return Err(format!(
            "cargo build --release -p leadline failed ({status})"
        ));
    }
    let binary = target.join("release").join("leadline");
    if !binary.is_file() {
        return Err(format!("the build left no binary at {}", binary.display()));
    }
    Ok(binary)
}

/// A running `leadline serve`; killed if dropped before `stop`.
struct Server {
    child: Child,
    url: String,
    stderr_tail: Arc<Mutex<VecDeque<String>>>,
}

impl Server {
    fn start(binary: &Path, data: &Path, admin_key: &str) -> Result<Server, String> {
        let mut child = Command::new(binary)
            .arg("serve")
            .arg("--data")
            .arg(data)
            .args(["--bind", "127.0.0.1:0", "--admin-key", admin_key])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| format!("cannot start {}: {e}", binary.display()))?;
        let stdout = child.stdout.take();
        let stderr = child.stderr.take();
        let stderr_tail = Arc::new(Mutex::new(VecDeque::new()));
        // From here on the guard kills the process on any early return.
        let mut server = Server {
            child,
            url: String::new(),
            stderr_tail: stderr_tail.clone(),
        };
        let (Some(stdout), Some(stderr)) = (stdout, stderr) else {
            return Err("the server's output was not captured".into());
        };
        drain_stderr(stderr, stderr_tail);
        let listening = watch_stdout(stdout);
        server.url = match listening.recv_timeout(START_TIMEOUT) {
            Ok(url) => url?,
            Err(mpsc::RecvTimeoutError::Timeout) => {
                return Err(format!(
                    "the server did not report listening within {} s{}",
                    START_TIMEOUT.as_secs(),
                    server.tail()
                ))
            }
            Err(mpsc::RecvTimeoutError::Disconnected) => {
                // Its stdout closed: it exited, or is about to.
                std::thread::sleep(Duration::from_millis(200));
                let status = match server.child.try_wait() {
                    Ok(Some(status)) => status.to_string(),
                    _ => "still running".into(),
                };
                return Err(format!(
                    "the server closed its output before listening ({status}){}",
                    server.tail()
                ));
            }
        };
        Ok(server)
    }

    /// The last lines the server wrote to stderr, for error messages.
    fn tail(&self) -> String {
        match self.stderr_tail.lock() {
            Ok(lines) if !lines.is_empty() => format!(
                "; its last output:\n{}",
                lines.iter().cloned().collect::<Vec<_>>().join("\n")
            ),
            _ => String::new(),
        }
    }

    /// SIGTERM, as an operator would stop it, and wait for a clean exit.
    fn stop(&mut self) -> Result<(), String> {
        let pid = self.child.id().to_string();
        let sent = Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .map_err(|e| format!("cannot run kill: {e}"))?;
        if !sent.success() {
            return Err(format!("kill -TERM {pid} failed ({sent})"));
        }
        let deadline = Instant::now() + STOP_TIMEOUT;
        let status: ExitStatus = loop {
            match self.child.try_wait() {
                Ok(Some(status)) => break status,
                Ok(None) if Instant::now() < deadline => {
                    std::thread::sleep(Duration::from_millis(50))
                }
                Ok(None) => {
                    return Err(format!(
                        "the server did not stop within {} s of SIGTERM{}",
                        STOP_TIMEOUT.as_secs(),
                        self.tail()
                    ))
                }
                Err(e) => return Err(format!("waiting for the server: {e}")),
            }
        };
        if status.success() {
            Ok(())
        } else {
            Err(format!(
                "the server exited with {status} on SIGTERM{}",
                self.tail()
            ))
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// Reads the server's stdout on a thread: sends the address from its
/// "leadline listening on http://…" line, then keeps draining so that the
/// server never blocks on a full pipe.
fn watch_stdout(stdout: ChildStdout) -> mpsc::Receiver<Result<String, String>> {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let mut reported = false;
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            if reported {
                continue;
            }
            if let Some(rest) = line.split("leadline listening on ").nth(1) {
                let url = rest
                    .split([' ', ','])
                    .next()
                    .filter(|url| url.starts_with("http://"))
                    .map(|url| url.trim_end_matches('/').to_string())
                    .ok_or_else(|| format!("no http:// address in the server's line {line:?}"));
                let _ = tx.send(url);
                reported = true;
            }
        }
    });
    rx
}

fn drain_stderr(stderr: ChildStderr, tail: Arc<Mutex<VecDeque<String>>>) {
    std::thread::spawn(move || {
        let mut reader = BufReader::new(stderr);
        let mut line = Vec::new();
        loop {
            line.clear();
            // Bytes, not `lines()`: a non-UTF-8 line must not stop the
            // draining.
            match reader.by_ref().take(64 * 1024).read_until(b'\n', &mut line) {
                Ok(0) | Err(_) => break,
                Ok(_) => {
                    if let Ok(mut lines) = tail.lock() {
                        if lines.len() == STDERR_TAIL_LINES {
                            lines.pop_front();
                        }
                        lines.push_back(String::from_utf8_lossy(&line).trim_end().to_string());
                    }
                }
            }
        }
    });
}

async fn measure(
    url: &str,
    admin_key: &str,
    params: &Params,
    pid: u32,
) -> Result<Vec<Figure>, String> {
    let setup = reqwest::Client::builder()
        .timeout(IMPORT_TIMEOUT)
        .build()
        .map_err(|e| format!("cannot make an HTTP client: {e}"))?;
    let key = create_user(&setup, url, admin_key).await?;
    let campaign = create_campaign(&setup, url, &key).await?;
    let mut figures = import(&setup, url, &key, &campaign, params.rows).await?;

    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(CONNECTIONS)
        .tcp_nodelay(true)
        .timeout(REQUEST_TIMEOUT)
        .build()
        .map_err(|e| format!("cannot make an HTTP client: {e}"))?;
    let healthz = Target {
        url: format!("{url}/healthz"),
        key: None,
    };
    let stats = Target {
        url: format!("{url}/api/v1/campaigns/{campaign}/stats"),
        key: Some(key),
    };
    // Opens the connections and warms both paths; not recorded.
    load(&client, &healthz, READ_RATE, params.warmup).await?;
    load(&client, &stats, READ_RATE, params.warmup).await?;

    eprintln!(
        "reading /healthz and stats at {READ_RATE} requests/s, {} s each, in turns of {} s …",
        params.read_duration.as_secs_f64(),
        READ_SLICE.as_secs_f64()
    );
    // In turns rather than one after the other: the machine is shared, and
    // whatever else runs on it (or the server's own background flushing
    // after the import) then falls on both alike.
    let mut floor = Samples::default();
    let mut read = Samples::default();
    let slices = (params.read_duration.as_secs_f64() / READ_SLICE.as_secs_f64()).ceil() as u32;
    for _ in 0..slices {
        floor.extend(load(&client, &healthz, READ_RATE, READ_SLICE).await?);
        read.extend(load(&client, &stats, READ_RATE, READ_SLICE).await?);
    }
    let floor = floor.summary();
    let read = read.summary();
    let floor_p50 = Figure::new("healthz_read_p50_ms", floor.p50_ms, "ms");
    let floor_p99 = Figure::new("healthz_read_p99_ms", floor.p99_ms, "ms");
    figures.push(floor_p50.clone());
    figures.push(floor_p99.clone());
    figures.push(Figure::new(
        "healthz_read_errors",
        floor.errors as f64,
        "requests",
    ));
    figures.push(Figure::new("stats_read_p50_ms", read.p50_ms, "ms").against(&floor_p50));
    figures.push(Figure::new("stats_read_p99_ms", read.p99_ms, "ms").against(&floor_p99));
    figures.push(Figure::new(
        "stats_read_errors",
        read.errors as f64,
        "requests",
    ));

    eprintln!(
        "stepping the stats rate ({} s per step; p99 < {SUSTAINED_P99_MS} ms and 0 errors to pass) …",
        params.step_duration.as_secs_f64()
    );
    let mut rate = READ_RATE;
    let mut sustained = 0;
    loop {
        let step = load(&client, &stats, rate, params.step_duration)
            .await?
            .summary();
        let pass = step.errors == 0 && step.p99_ms < SUSTAINED_P99_MS;
        eprintln!(
            "  {rate:>8} requests/s: p50 {:>8.3} ms, p99 {:>8.3} ms, {} errors: {}",
            step.p50_ms,
            step.p99_ms,
            step.errors,
            if pass { "pass" } else { "fail" }
        );
        if !pass {
            break;
        }
        sustained = rate;
        if rate >= RATE_CAP {
            break;
        }
        rate *= 2;
    }
    figures.push(Figure::new(
        "stats_read_max_rps",
        sustained as f64,
        "requests/s",
    ));
    let key = stats.key.unwrap_or_default();
    figures.extend(export(&setup, url, &key, &campaign, params.rows, pid).await?);
    Ok(figures)
}

/// The server's resident memory, from `/proc/<pid>/status`.
fn rss_bytes(pid: u32) -> Result<u64, String> {
    let path = format!("/proc/{pid}/status");
    let status = std::fs::read_to_string(&path).map_err(|e| format!("{path}: {e}"))?;
    let kb = status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|v| v.parse::<u64>().ok())
        .ok_or_else(|| format!("no VmRSS in {path}"))?;
    Ok(kb * 1024)
}

/// How often the server's memory is sampled during an export.
const RSS_SAMPLE_EVERY: Duration = Duration::from_millis(20);
const MIB: f64 = 1024.0 * 1024.0;

/// The campaign's `leads.csv` read to its end: rows/s and bytes/s next to
/// reading the same leads as JSON pages (`GET /campaigns/{id}/leads`, the
/// largest page) in the same run, and the server's highest resident memory
/// during the export next to its memory just before.
async fn export(
    client: &reqwest::Client,
    url: &str,
    key: &str,
    campaign: &str,
    rows: u64,
    pid: u32,
) -> Result<Vec<Figure>, String> {
    let what = "exporting leads.csv";
    eprintln!("exporting the campaign's {rows} leads as CSV …");
    let before = rss_bytes(pid)?;
    let sampling = Arc::new(std::sync::atomic::AtomicBool::new(true));
    let sampler = {
        let sampling = sampling.clone();
        std::thread::spawn(move || {
            let mut peak = 0;
            while sampling.load(std::sync::atomic::Ordering::Relaxed) {
                peak = rss_bytes(pid).map_or(peak, |rss| rss.max(peak));
                std::thread::sleep(RSS_SAMPLE_EVERY);
            }
            peak
        })
    };
    let start = Instant::now();
    let read = async {
        let mut response = client
            .get(format!("{url}/api/v1/campaigns/{campaign}/leads.csv"))
            .bearer_auth(key)
            .send()
            .await
            .map_err(|e| format!("{what}: {e}"))?;
        if response.status().as_u16() != 200 {
            return Err(format!("{what}: the server answered {}", response.status()));
        }
        let (mut bytes, mut lines) = (0u64, 0u64);
        while let Some(chunk) = response.chunk().await.map_err(|e| format!("{what}: {e}"))? {
            bytes += chunk.len() as u64;
            lines += chunk.iter().filter(|b| **b == b'\n').count() as u64;
        }
        Ok((bytes, lines))
    };
    let read = read.await;
    let seconds = start.elapsed().as_secs_f64();
    sampling.store(false, std::sync::atomic::Ordering::Relaxed);
    let peak = sampler
        .join()
        .map_err(|_| "the memory sampler failed".to_owned())?;
    let (bytes, lines) = read?;
    // The benchmark's leads hold no line break, so lines are rows and the
    // header.
    if lines != rows + 1 {
        return Err(format!(
            "{what}: {lines} lines for {rows} leads and a header"
        ));
    }

    eprintln!("reading the same leads as JSON pages …");
    let page_start = Instant::now();
    let (mut page_rows, mut page_bytes) = (0u64, 0u64);
    let mut cursor: Option<String> = None;
    loop {
        let mut request = client
            .get(format!("{url}/api/v1/campaigns/{campaign}/leads"))
            .bearer_auth(key)
            .query(&[("limit", "1000")]);
        if let Some(cursor) = &cursor {
            request = request.query(&[("cursor", cursor.as_str())]);
        }
        let sent = request.send().await;
        let response = sent.map_err(|e| format!("reading lead pages: {e}"))?;
        let body = response
            .bytes()
            .await
            .map_err(|e| format!("reading lead pages: {e}"))?;
        page_bytes += body.len() as u64;
        let page: serde_json::Value = serde_json::from_slice(&body)
            .map_err(|e| format!("reading lead pages: not JSON: {e}"))?;
        page_rows += page
            .get("leads")
            .and_then(|l| l.as_array())
            .map_or(0, |l| l.len() as u64);
        match page.get("next_cursor").and_then(|c| c.as_str()) {
            Some(next) => cursor = Some(next.to_owned()),
            None => break,
        }
    }
    let page_seconds = page_start.elapsed().as_secs_f64();
    if page_rows != rows {
        return Err(format!("reading lead pages: {page_rows} leads for {rows}"));
    }

    let pages_rows = Figure::new(
        "lead_pages_rows_per_s",
        page_rows as f64 / page_seconds,
        "rows/s",
    );
    let pages_bytes = Figure::new(
        "lead_pages_mib_per_s",
        page_bytes as f64 / MIB / page_seconds,
        "MiB/s",
    );
    let rss_before = Figure::new("export_rss_before_mib", before as f64 / MIB, "MiB");
    Ok(vec![
        Figure::new("export_leads", rows as f64, "rows"),
        Figure::new("export_leads_s", seconds, "s"),
        Figure::new("export_rows_per_s", rows as f64 / seconds, "rows/s").against(&pages_rows),
        Figure::new("export_mib_per_s", bytes as f64 / MIB / seconds, "MiB/s")
            .against(&pages_bytes),
        pages_rows,
        pages_bytes,
        rss_before.clone(),
        Figure::new(
            "export_rss_growth_mib",
            peak.saturating_sub(before) as f64 / MIB,
            "MiB",
        )
        .against(&rss_before),
    ])
}

/// The body of a response with the expected status, else an error naming
/// what was being done and what the server said.
async fn json_answer(
    what: &str,
    sent: Result<reqwest::Response, reqwest::Error>,
    status: u16,
) -> Result<serde_json::Value, String> {
    let response = sent.map_err(|e| format!("{what}: {e}"))?;
    let got = response.status();
    let body = response
        .bytes()
        .await
        .map_err(|e| format!("{what}: reading the answer: {e}"))?;
    if got.as_u16() != status {
        let text = String::from_utf8_lossy(&body);
        let text = leadline_domain::text::truncate(&text, 2000);
        return Err(format!("{what}: expected {status}, got {got}: {text}"));
    }
    serde_json::from_slice(&body).map_err(|e| format!("{what}: the answer is not JSON: {e}"))
}

fn string_field(value: &serde_json::Value, field: &str, what: &str) -> Result<String, String> {
    value
        .get(field)
        .and_then(|v| v.as_str())
        .map(str::to_owned)
        .ok_or_else(|| format!("{what}: the answer has no `{field}` string"))
}

async fn create_user(
    client: &reqwest::Client,
    url: &str,
    admin_key: &str,
) -> Result<String, String> {
    let what = "creating a user";
    let sent = client
        .post(format!("{url}/api/v1/users"))
        .bearer_auth(admin_key)
        .json(&serde_json::json!({"name": "bench"}))
        .send()
        .await;
    let user = json_answer(what, sent, 201).await?;
    string_field(&user, "api_key", what)
}

async fn create_campaign(client: &reqwest::Client, url: &str, key: &str) -> Result<String, String> {
    let what = "creating a campaign";
    let sent = client
        .post(format!("{url}/api/v1/campaigns"))
        .bearer_auth(key)
        .json(&serde_json::json!({"name": "API benchmark", "default_region": "IN"}))
        .send()
        .await;
    let campaign = json_answer(what, sent, 201).await?;
    string_field(&campaign, "id", what)
}

/// Unique valid Indian mobile numbers in national form (`98` and eight
/// digits; the campaign's default region makes them +91), with a name and
/// one extra column kept as a field, as in a lender's EMI list.
fn csv_rows(rows: u64) -> Vec<u8> {
    use std::fmt::Write;
    let mut csv = String::with_capacity(rows as usize * 40 + 32);
    csv.push_str("phone,name,loan_id\n");
    for i in 0..rows {
        let _ = writeln!(csv, "98{i:08},Customer {i},LN-{i:010}");
    }
    csv.into_bytes()
}

/// One upload of every row, timed from sending the request to receiving
/// the report. The field's old figure was 100 rows in 30 s; it was not
/// measured here, so it is no baseline.
async fn import(
    client: &reqwest::Client,
    url: &str,
    key: &str,
    campaign: &str,
    rows: u64,
) -> Result<Vec<Figure>, String> {
    let what = "importing the CSV";
    let csv = csv_rows(rows);
    eprintln!(
        "importing {rows} CSV rows ({:.1} MB) …",
        csv.len() as f64 / 1e6
    );
    let start = Instant::now();
    let sent = client
        .post(format!("{url}/api/v1/campaigns/{campaign}/leads"))
        .bearer_auth(key)
        .header(reqwest::header::CONTENT_TYPE, "text/csv")
        .body(csv)
        .send()
        .await;
    let report = json_answer(what, sent, 200).await?;
    let seconds = start.elapsed().as_secs_f64();
    let count = |field: &str| report.get(field).and_then(|v| v.as_u64());
    let imported = count("imported");
    if imported != Some(rows) || count("rows") != Some(rows) {
        let text = leadline_domain::text::truncate(&report.to_string(), 2000);
        return Err(format!(
            "{what}: {rows} rows sent, but the report is {text}"
        ));
    }
    Ok(vec![
        Figure::new("import_rows", rows as f64, "rows"),
        Figure::new("import_csv_1m_s", seconds, "s"),
        Figure::new("import_rows_per_s", rows as f64 / seconds, "rows/s"),
    ])
}

/// What a load step reads: a URL, with the user's key or none.
struct Target {
    url: String,
    key: Option<String>,
}

/// Latencies (ms) of every request of one or more load runs, and how many
/// failed.
#[derive(Default)]
struct Samples {
    latencies: Vec<f64>,
    errors: u64,
}

impl Samples {
    fn extend(&mut self, other: Samples) {
        self.latencies.extend(other.latencies);
        self.errors += other.errors;
    }

    fn summary(mut self) -> LoadRun {
        LoadRun {
            p50_ms: quantile(&mut self.latencies, 0.50),
            p99_ms: quantile(&mut self.latencies, 0.99),
            errors: self.errors,
        }
    }
}

struct LoadRun {
    p50_ms: f64,
    p99_ms: f64,
    errors: u64,
}

/// Requests `target` at a steady `rate` for `duration`, open loop: request
/// i is due at start + i/rate whether or not earlier ones have answered,
/// and its latency runs from that due time, so a server that stalls is
/// charged for every request it held up (no coordinated omission).
///
/// A thread releases each slot when it is due (a thread's sleep is precise
/// to tens of microseconds; the runtime's timer rounds up to whole
/// milliseconds, which would add up to a millisecond to every figure).
/// `CONNECTIONS` tasks take slots in turn, each with one request in flight
/// on its keep-alive connection; a slot taken late has waited in the queue,
/// and that wait is in its latency.
async fn load(
    client: &reqwest::Client,
    target: &Target,
    rate: u64,
    duration: Duration,
) -> Result<Samples, String> {
    let total = (rate as f64 * duration.as_secs_f64()).round() as u64;
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel::<Instant>();
    let rx = Arc::new(tokio::sync::Mutex::new(rx));
    let mut workers = Vec::with_capacity(CONNECTIONS);
    for _ in 0..CONNECTIONS {
        let rx = rx.clone();
        let client = client.clone();
        let url = target.url.clone();
        let key = target.key.clone();
        workers.push(tokio::spawn(async move {
            let mut latencies = Vec::new();
            let mut errors = 0u64;
            loop {
                let next = rx.lock().await.recv().await;
                let Some(due) = next else { break };
                // So late that it would time out anyway: the generator (or
                // the server) cannot keep this rate; not sending it keeps a
                // failing step bounded.
                if due.elapsed() > REQUEST_TIMEOUT {
                    latencies.push(due.elapsed().as_secs_f64() * 1000.0);
                    errors += 1;
                    continue;
                }
                let mut request = client.get(&url);
                if let Some(key) = &key {
                    request = request.bearer_auth(key);
                }
                let ok = match request.send().await {
                    Ok(response) => {
                        let status_ok = response.status() == reqwest::StatusCode::OK;
                        // The whole body, so the connection is reusable and
                        // the latency covers the full answer.
                        response.bytes().await.is_ok() && status_ok
                    }
                    Err(_) => false,
                };
                latencies.push(due.elapsed().as_secs_f64() * 1000.0);
                if !ok {
                    errors += 1;
                }
            }
            (latencies, errors)
        }));
    }
    // A short lead so the first slots are not late because the tasks were
    // still starting.
    let start = Instant::now() + Duration::from_millis(20);
    let pacer = std::thread::spawn(move || {
        for i in 0..total {
            let due = start + Duration::from_nanos(i * 1_000_000_000 / rate);
            let now = Instant::now();
            if due > now {
                std::thread::sleep(due - now);
            }
            if tx.send(due).is_err() {
                break;
            }
        }
    });
    let mut latencies = Vec::with_capacity(total as usize);
    let mut errors = 0;
    for worker in workers {
        let (done, failed) = worker
            .await
            .map_err(|e| format!("a load task failed: {e}"))?;
        latencies.extend(done);
        errors += failed;
    }
    pacer
        .join()
        .map_err(|_| "the pacing thread panicked".to_string())?;
    if latencies.len() as u64 != total {
        return Err(format!(
            "{} of {total} requests were accounted for",
            latencies.len()
        ));
    }
    Ok(Samples { latencies, errors })
}
