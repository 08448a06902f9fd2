// How fast the dashboard is on the field's big list, each figure next to a
// baseline measured in the same run:
//
// - campaign_page_load_ms: a fresh load of a campaign page until its
//   progress shows, against the page's own three API reads made from node.
// - console_latency_p50/p99_ms: an event's log time to its line on screen
//   while the campaign dials, against the same feed read raw from node
//   (the page receives every event; its console draws the newest 200 of
//   each burst).
// - page_api_requests_per_s: what one open campaign page asks of the server
//   while events stream in.
// - dashboard_asset_bytes: every file the page loads.
//
//   cargo build --release -p leadline && npm --prefix tests/browser run bench
//
// Writes target/bench/dashboard.json like the other suites.

import { spawn } from "node:child_process";
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { createInterface } from "node:readline";
import { chromium } from "playwright-core";

const here = dirname(fileURLToPath(import.meta.url));
const repo = resolve(here, "..", "..");
const binary = process.env.LEADLINE_BIN || join(repo, "target", "release", "leadline");
const browserPath = process.env.LEADLINE_CHROMIUM || "/usr/bin/chromium";
const ADMIN_KEY = "dashboard-bench-admin-key";
const LEADS = Number(process.env.LEADLINE_BENCH_LEADS || 58_466);
const CONCURRENT = 500;
const WINDOW_MS = 10_000;
const LOADS = 7;

const data = mkdtempSync(join(tmpdir(), "leadline-dashboard-bench-"));
const server = spawn(binary, [
  "serve", "--data", data, "--bind", "127.0.0.1:0", "--admin-key", ADMIN_KEY,
  "--sim-call-ms", "1000", "--system-concurrent-calls", String(CONCURRENT),
], { stdio: ["ignore", "pipe", "inherit"] });
const base = await new Promise((ok, fail) => {
  server.on("exit", (code) => fail(new Error(`leadline serve exited with ${code}`)));
  createInterface({ input: server.stdout }).on("line", (line) => {
    const url = line.includes("listening on") && line.split(/\s+/).find((w) => w.startsWith("http://"));
    if (url) ok(url.replace(/,$/, ""));
  });
});

async function call(key, method, path, body, contentType = "application/json") {
  const response = await fetch(`${base}/api/v1${path}`, {
    method,
    headers: { Authorization: `Bearer ${key}`, "Content-Type": contentType },
    body: body === undefined ? undefined : contentType === "application/json" ? JSON.stringify(body) : body,
  });
  const json = await response.json();
  if (!response.ok) throw new Error(`${method} ${path}: ${JSON.stringify(json)}`);
  return json;
}

const median = (xs) => quantile(xs, 0.5);
function quantile(xs, q) {
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
}
const round = (x) => Math.round(x * 1000) / 1000;

const figures = [];
let browser;
try {
  const user = await call(ADMIN_KEY, "POST", "/users", { name: "Bench", concurrent_calls_limit: CONCURRENT });
  const key = user.api_key;
  const campaign = await call(key, "POST", "/campaigns", { name: "The 80K list", default_region: "IN", timezone: "Asia/Kolkata" });
  const rows = ["phone,name"];
  for (let i = 0; i < LEADS; i++) rows.push(`${9_800_000_000 + i * 7},Lead ${i}`);
  const report = await call(key, "POST", `/campaigns/${campaign.id}/leads`, rows.join("\n"), "text/csv");
  if (report.imported !== LEADS) throw new Error(`imported ${report.imported} of ${LEADS}`);
  await call(key, "POST", `/campaigns/${campaign.id}/start`, {});
  await new Promise((r) => setTimeout(r, 3000));

  // Baseline: the page's three reads, straight from node.
  const reads = [
    `/campaigns/${campaign.id}`,
    `/campaigns/${campaign.id}/hopper?limit=10`,
    `/calls?campaign_id=${campaign.id}&order=desc&limit=25`,
  ];
  const apiTimes = [];
  for (let i = 0; i < 20; i++) {
    const started = performance.now();
    await Promise.all(reads.map((path) => call(key, "GET", path)));
    apiTimes.push(performance.now() - started);
  }

  browser = await chromium.launch({
    executablePath: browserPath,
    args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
      "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  await context.addInitScript((k) => localStorage.setItem("leadline.api_key", k), key);
  const page = await context.newPage();
  const pageUrl = `${base}/#/campaigns/${campaign.id}`;
  const loadTimes = [];
  for (let i = 0; i < LOADS; i++) {
    await page.goto("about:blank");
    const started = performance.now();
    await page.goto(pageUrl);
    await page.locator("#progress-text").waitFor();
    loadTimes.push(performance.now() - started);
  }

  // The live window: the page's console against a raw feed from node.
  let requests = 0;
  page.on("request", (r) => { if (r.url().includes("/api/v1/") && !r.url().includes("/events/stream")) requests += 1; });
  await page.evaluate(() => {
    window.__latencies = [];
    window.__frames = 0;
    const tick = () => { window.__frames += 1; requestAnimationFrame(tick); };
    requestAnimationFrame(tick);
    new MutationObserver((changes) => {
      const now = Date.now();
      for (const change of changes) {
        for (const node of change.addedNodes) {
          const at = node.querySelector?.("time")?.getAttribute("datetime");
          if (at) window.__latencies.push(now - Date.parse(at));
        }
      }
    }).observe(document.getElementById("console-lines"), { childList: true });
  });
  const rawLatencies = [];
  const controller = new AbortController();
  const raw = (async () => {
    const response = await fetch(`${base}/api/v1/events/stream?campaign_id=${campaign.id}`, {
      headers: { Authorization: `Bearer ${key}` }, signal: controller.signal,
    });
    const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
    let buffer = "";
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      buffer += value;
      const now = Date.now();
      let end;
      while ((end = buffer.indexOf("\n\n")) >= 0) {
        const frame = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const data = frame.split("\n").find((l) => l.startsWith("data: "));
        if (data) rawLatencies.push(now - Date.parse(JSON.parse(data.slice(6)).at));
      }
    }
  })().catch(() => {});
  const before = await call(key, "GET", `/campaigns/${campaign.id}/stats`);
  await new Promise((r) => setTimeout(r, WINDOW_MS));
  const after = await call(key, "GET", `/campaigns/${campaign.id}/stats`);
  controller.abort();
  await raw;
  const pageLatencies = await page.evaluate(() => window.__latencies);
  const frames = await page.evaluate(() => window.__frames);
  const assets = ["/", "/assets/app.css", "/assets/favicon.svg",
    ...["app", "api", "dom", "campaigns", "campaign", "new-campaign", "recycle", "lead", "dnc", "users"].map((m) => `/assets/${m}.js`)];
  let bytes = 0;
  for (const path of assets) bytes += (await (await fetch(`${base}${path}`)).arrayBuffer()).byteLength;

  const apiFigure = { name: "api_reads_ms", value: round(median(apiTimes)), unit: "ms" };
  const rawP50 = { name: "raw_feed_latency_p50_ms", value: median(rawLatencies), unit: "ms" };
  const rawP99 = { name: "raw_feed_latency_p99_ms", value: quantile(rawLatencies, 0.99), unit: "ms" };
  figures.push(
    { name: "campaign_page_load_ms", value: round(median(loadTimes)), unit: "ms", baseline: apiFigure },
    { name: "console_latency_p50_ms", value: median(pageLatencies), unit: "ms", baseline: rawP50 },
    { name: "console_latency_p99_ms", value: quantile(pageLatencies, 0.99), unit: "ms", baseline: rawP99 },
    // The console keeps the newest 200 lines: of a burst larger than that
    // (a dial round of 500 is 1,000 events) only the newest 200 are drawn.
    { name: "console_lines_drawn", value: pageLatencies.length, unit: "lines" },
    { name: "raw_feed_events_seen", value: rawLatencies.length, unit: "events" },
    { name: "page_frames_per_s", value: round(frames / (WINDOW_MS / 1000)), unit: "frames/s" },
    { name: "page_api_requests_per_s", value: round(requests / (WINDOW_MS / 1000)), unit: "req/s" },
    { name: "dials_per_s_during_window", value: round((after.dials - before.dials) / (WINDOW_MS / 1000)), unit: "dials/s" },
    { name: "campaign_leads", value: LEADS, unit: "leads" },
    { name: "dashboard_asset_bytes", value: bytes, unit: "bytes" },
  );
} finally {
  await browser?.close();
  server.kill("SIGTERM");
  await new Promise((r) => server.once("exit", r));
  rmSync(data, { recursive: true, force: true });
}

console.log("\ndashboard suite");
console.log(`${"figure".padEnd(28)} ${"value".padStart(12)} ${"unit".padEnd(8)} ${"baseline".padEnd(24)} ${"value".padStart(12)} ${"ratio".padStart(7)}`);
for (const f of figures) {
  const b = f.baseline;
  console.log(`${f.name.padEnd(28)} ${String(f.value).padStart(12)} ${f.unit.padEnd(8)} ${(b?.name ?? "").padEnd(24)} ${String(b?.value ?? "").padStart(12)} ${b && b.value ? (f.value / b.value).toFixed(2).padStart(7) : ""}`);
}
const out = join(repo, "target", "bench");
mkdirSync(out, { recursive: true });
writeFileSync(join(out, "dashboard.json"), `${JSON.stringify({ suite: "dashboard", figures }, null, 2)}\n`);
console.log(`\nwritten: ${join(out, "dashboard.json")}`);
