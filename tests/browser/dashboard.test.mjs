// The dashboard, driven as an operator would in headless Chromium: sign in,
// create a campaign from a CSV, start it, watch progress and the live
// console, pause, recycle, read a lead's history, see the calling rules in
// force, and set a contact policy. Every step checks what
// a person would see. A failing step leaves a screenshot in
// target/browser-screenshots/ (every step does with LEADLINE_BROWSER_SHOTS=1).
//
// Needs Debian's Chromium (/usr/bin/chromium, or LEADLINE_CHROMIUM) and the
// leadline binary (target/debug/leadline, or LEADLINE_BIN).

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync, mkdirSync, rmSync, writeFileSync, existsSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join, resolve, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { createInterface } from "node:readline";
import { chromium } from "playwright-core";

const here = dirname(fileURLToPath(import.meta.url));
const repo = resolve(here, "..", "..");
const binary = process.env.LEADLINE_BIN || join(repo, "target", "debug", "leadline");
const browserPath = process.env.LEADLINE_CHROMIUM || "/usr/bin/chromium";
const shots = join(repo, "target", "browser-screenshots");
const ADMIN_KEY = "browser-test-admin-key-0001";
const STEP_MS = 20_000;

let server;
let base;
let data;
let browser;
let page;
let userKey;
let userId;
const offsite = [];
const pageErrors = [];

/** Starts `leadline serve` on a free port and resolves to its URL. */
function startServer() {
  data = mkdtempSync(join(tmpdir(), "leadline-browser-"));
  server = spawn(binary, [
    "serve", "--data", data, "--bind", "127.0.0.1:0", "--admin-key", ADMIN_KEY,
    "--sim-call-ms", "1200", "--provider", "simulator",
  ], { stdio: ["ignore", "pipe", "inherit"] });
  return new Promise((resolveUrl, reject) => {
    const timer = setTimeout(() => reject(new Error("leadline serve printed no address in 30 s")), 30_000);
    server.on("exit", (code) => reject(new Error(`leadline serve exited with ${code}`)));
    createInterface({ input: server.stdout }).on("line", (line) => {
      const url = line.includes("listening on") && line.split(/\s+/).find((w) => w.startsWith("http://"));
      if (url) {
        clearTimeout(timer);
        resolveUrl(url.replace(/,$/, ""));
      }
    });
  });
}

async function adminCall(method, path, body) {
  const response = await fetch(`${base}/api/v1${path}`, {
    method,
    headers: { Authorization: `Bearer ${ADMIN_KEY}`, "Content-Type": "application/json" },
    body: body ? JSON.stringify(body) : undefined,
  });
  const json = await response.json();
  assert.ok(response.ok, `${method} ${path}: ${JSON.stringify(json)}`);
  return json;
}

/** Runs one step; on failure saves a screenshot named after it. */
let failedStep = null;
async function step(name, body) {
  // Each step builds on the one before: after a failure the rest would
  // only time out, so they stop at once.
  if (failedStep) throw new Error(`not run: step "${failedStep}" failed`);
  try {
    await body();
    if (process.env.LEADLINE_BROWSER_SHOTS) {
      mkdirSync(shots, { recursive: true });
      await page.screenshot({ path: join(shots, `ok-${name}.png`), fullPage: true });
    }
  } catch (error) {
    failedStep = name;
    mkdirSync(shots, { recursive: true });
    const file = join(shots, `${name.replace(/[^a-z0-9]+/gi, "-")}.png`);
    await page?.screenshot({ path: file, fullPage: true }).catch(() => {});
    error.message = `${error.message}\n(screenshot: ${file})`;
    throw error;
  }
}

const badge = () => page.locator(".page-head .badge").first();
const button = (name) => page.locator(".page-head .actions").getByRole("button", { name, exact: true });
const stat = (name) => page.locator(`#progress dd[data-stat="${name}"]`);
const statValue = async (name) => Number((await stat(name).textContent()).replace(/[^0-9]/g, ""));

const axeSource = readFileSync(createRequire(import.meta.url).resolve("axe-core/axe.min.js"), "utf8");

/** Checks the page with axe-core: no serious or critical accessibility problem. */
async function accessible(what) {
  await page.evaluate(axeSource);
  const result = await page.evaluate(() => window.axe.run(document, { resultTypes: ["violations"] }));
  const problems = result.violations
    .filter((v) => v.impact === "serious" || v.impact === "critical")
    .map((v) => `${v.id}: ${v.help} (${v.nodes.slice(0, 3).map((n) => n.target.join(" ")).join(", ")})`);
  assert.deepEqual(problems, [], `accessibility of ${what}`);
}

/** Waits until `probe()` is true, polling. */
async function until(what, probe, ms = STEP_MS) {
  const end = Date.now() + ms;
  for (;;) {
    if (await probe()) return;
    if (Date.now() > end) throw new Error(`timed out waiting for: ${what}`);
    await new Promise((r) => setTimeout(r, 150));
  }
}

before(async () => {
  assert.ok(existsSync(binary), `no leadline binary at ${binary}: run cargo build first`);
  assert.ok(existsSync(browserPath), `no Chromium at ${browserPath}: apt-get install chromium`);
  base = await startServer();
  const user = await adminCall("POST", "/users", { name: "Asha", concurrent_calls_limit: 3 });
  userKey = user.api_key;
  userId = user.id;
  browser = await chromium.launch({
    executablePath: browserPath,
    headless: true,
    args: [
      "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
      "--disable-background-networking", "--disable-component-update", "--disable-sync",
    ],
  });
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, acceptDownloads: true });
  context.setDefaultTimeout(STEP_MS);
  page = await context.newPage();
  page.on("request", (request) => {
    const url = new URL(request.url());
    if (!["127.0.0.1", "localhost"].includes(url.hostname) && url.protocol !== "data:" && url.protocol !== "blob:") {
      offsite.push(request.url());
    }
  });
  page.on("pageerror", (error) => pageErrors.push(String(error)));
  // Which request failed, next to the console's bare "Failed to load
  // resource" line.
  page.on("response", (response) => {
    if (response.status() >= 400 && ![401, 422].includes(response.status())) {
      pageErrors.push(`${response.status()} ${response.request().method()} ${new URL(response.url()).pathname}`);
    }
  });
  page.on("console", (message) => {
    // The wrong key (401) and the bad number (422) are sent on purpose;
    // any other error is a fault.
    if (message.type() === "error" && !/status of (401|422)/.test(message.text())) pageErrors.push(message.text());
  });
});

after(async () => {
  await browser?.close();
  if (server && server.exitCode === null) {
    server.kill("SIGTERM");
    await new Promise((r) => server.once("exit", r));
  }
  if (data) rmSync(data, { recursive: true, force: true });
});

test("an operator runs a campaign end to end in the dashboard", async (t) => {
  let campaignUrl;

  await t.test("signing in refuses a wrong key and keeps a right one", () => step("sign-in", async () => {
    await page.goto(base);
    await page.getByLabel("API key", { exact: true }).waitFor();
    await accessible("the sign-in page");
    await page.getByLabel("API key", { exact: true }).fill("ll_not_a_key");
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.getByRole("alert").filter({ hasText: "not known" }).waitFor();
    await page.getByLabel("API key", { exact: true }).fill(userKey);
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.getByRole("heading", { name: "Campaigns", level: 1 }).waitFor();
    await page.getByText("No campaigns yet.").waitFor();
    await accessible("the empty campaign list");
    assert.equal(await page.locator("#who-name").textContent(), "Asha");
    assert.equal(await page.evaluate(() => localStorage.getItem("leadline.api_key")), userKey);
  }));

  await t.test("the lead templates download", () => step("templates", async () => {
    await page.getByRole("link", { name: "New campaign" }).first().click();
    await page.getByLabel("Name", { exact: true }).waitFor();
    await accessible("the new campaign form");
    const [download] = await Promise.all([
      page.waitForEvent("download"),
      page.getByRole("link", { name: /^basic/ }).click(),
    ]);
    assert.equal(download.suggestedFilename(), "leads-basic.csv");
    const text = await (await fetch(`${base}/assets/templates/leads-advanced.csv`)).text();
    assert.match(text.split("\n")[0], /^phone,name,priority,timezone/);
  }));

  await t.test("a campaign is created from a CSV and the import report lists every row", () => step("create", async () => {
    // 24 numbers ending in every digit (1 no answer, 2 busy, 3 failed,
    // 4 dropped, 5 congestion, others answered), one duplicate, one invalid.
    const rows = ["phone,name,priority"];
    for (let i = 0; i < 24; i++) rows.push(`98765${String(43200 + i).padStart(5, "0")},Customer ${i},${i % 3}`);
    rows.push("9876543200,Duplicate of the first,0");
    rows.push("not-a-number,Broken row,0");
    const csv = join(data, "leads.csv");
    writeFileSync(csv, `${rows.join("\n")}\n`);

    await page.getByLabel("Name", { exact: true }).fill("EMI Reminder");
    await page.getByLabel("Time zone", { exact: true }).fill("Asia/Kolkata");
    await page.getByLabel("Default region", { exact: true }).fill("IN");
    await page.getByLabel("First call", { exact: true }).fill("00:00");
    await page.getByLabel("Last call", { exact: true }).fill("00:00");
    await page.getByLabel("Retry delay (minutes)", { exact: true }).fill("1");
    await page.getByLabel("Attempts per lead", { exact: true }).fill("2");
    await page.getByLabel("Busy retry delay (minutes)", { exact: true }).fill("2");
    // Indian numbers, dialed at any hour: the jurisdiction rules (on by
    // default) would keep them to 09:00–21:00 IST.
    const rules = page.getByLabel("Jurisdiction rules", { exact: true });
    assert.ok(await rules.isChecked(), "jurisdiction rules are on by default");
    assert.ok(!(await page.getByLabel("Debt collection (Reg F)", { exact: true }).isChecked()));
    await rules.uncheck();
    await page.getByLabel("Agent id", { exact: true }).fill("agent-7");
    await page.getByLabel("Other provider settings", { exact: true }).fill("flow_id=42");
    // Voicemail is an outcome: retried by default, detection asked for here.
    assert.ok(await page.getByRole("checkbox", { name: "voicemail", exact: true }).isChecked());
    await page.getByLabel(/^Detect voicemail/).check();
    await page.getByLabel("Lead list (CSV)", { exact: true }).setInputFiles(csv);
    await page.getByRole("button", { name: "Create campaign" }).click();

    await page.getByRole("heading", { name: "Campaign “EMI Reminder” created" }).waitFor();
    const report = page.locator("#import-report");
    await report.waitFor();
    assert.equal(await report.locator('[data-stat="imported"]').textContent(), "24");
    assert.equal(await report.locator('[data-stat="duplicates"]').textContent(), "1");
    assert.equal(await report.locator('[data-stat="invalid"]').textContent(), "1");
    const invalid = report.locator("tbody tr");
    assert.equal(await invalid.count(), 1);
    assert.equal(await invalid.locator("td").first().textContent(), "26");
    assert.equal(await invalid.locator("td").nth(1).textContent(), "not-a-number");
    await page.getByRole("link", { name: "Open campaign" }).click();
    await page.getByRole("heading", { name: "EMI Reminder", level: 1 }).waitFor();
    campaignUrl = page.url();
  }));

  await t.test("a draft can start but not pause or resume", () => step("draft", async () => {
    assert.equal(await badge().textContent(), "draft");
    assert.ok(await button("Start").isEnabled());
    assert.ok(await button("Pause").isDisabled());
    assert.ok(await button("Resume").isDisabled());
    assert.equal(await page.locator("#progress-text").textContent(), "0/25 (0 failed)");
    // The duplicate is a lead too: skipped, never dialed.
    await page.locator('.status-card[data-status="skipped"]').waitFor();
    await page.locator("#settings").getByText("flow_id").waitFor();
    const detection = page.locator("#settings dt", { hasText: "voicemail detection" });
    assert.equal(await detection.locator("xpath=following-sibling::dd[1]").textContent(), "on");
    const setting = (name) => page.locator("#settings dt", { hasText: name }).locator("xpath=following-sibling::dd[1]");
    assert.equal(await setting("jurisdiction rules").textContent(), "off");
    assert.equal(await setting("debt collection (Reg F)").textContent(), "off");
    assert.equal(await setting("retry delay by status").textContent(), "busy: 2 min");
    await page.locator("#rules").getByText("Jurisdiction rules are off for this campaign").waitFor();
    // A draft is forecast as soon as its page opens: when it would finish,
    // and its dials, as the API forecasts them.
    await page.locator("#forecast-finish").waitFor();
    assert.match(await page.locator("#forecast-finish").textContent(), /^Finishes /);
    const shownDials = Number((await page.locator('#forecast-figures [data-figure="dials"]').textContent()).replace(/[^0-9]/g, ""));
    const forecast = await adminCall("POST", `/campaigns/${campaignUrl.split("/").pop()}/forecast`, {});
    assert.equal(forecast.leads, 25);
    assert.ok(shownDials >= 24 && forecast.dials >= 24, `dials shown ${shownDials}, forecast ${forecast.dials}`);
    assert.ok(Math.abs(shownDials - forecast.dials) <= 2, `dials shown ${shownDials}, forecast ${forecast.dials}`);
    await page.locator("#forecast").getByRole("region", { name: "Forecast dials and answers per day" }).waitFor();
    assert.equal(await badge().textContent(), "draft", "a forecast starts nothing");
    await accessible("a draft campaign's page");
    // The advanced template imports as it is (its first number is already
    // in the list, so it is a duplicate).
    await page.getByLabel("Lead list (CSV)", { exact: true }).setInputFiles(join(repo, "api/assets/templates/leads-advanced.csv"));
    await page.locator("#upload").getByRole("button", { name: "Upload" }).click();
    const report = page.locator("#upload #import-report");
    await report.waitFor();
    assert.equal(await report.locator('[data-stat="imported"]').textContent(), "2");
    assert.equal(await report.locator('[data-stat="duplicates"]').textContent(), "1");
    assert.equal(await report.locator('[data-stat="invalid"]').textContent(), "0");
    await page.locator("#progress-text").filter({ hasText: "0/28 (0 failed)" }).waitFor();
  }));

  await t.test("started, the progress and the live console move", () => step("start", async () => {
    await button("Start").click();
    await page.locator("#campaign-message").filter({ hasText: /Started/i }).waitFor();
    await until("the campaign shows active", async () => (await badge().textContent()) === "active");
    assert.ok(await button("Start").isDisabled(), "Start is disabled while running");
    assert.ok(await button("Resume").isDisabled(), "Resume is disabled when nothing was paused");
    await until("the console shows dials", async () =>
      (await page.locator("#console-lines li", { hasText: "LeadDialed" }).count()) >= 3);
    await until("calls end and show in the progress", async () => (await statValue("called")) >= 4);
    const text = await page.locator("#progress-text").textContent();
    assert.match(text, /^\d+\/28 \(\d+ failed\)$/);
    await page.locator("#calls tbody tr").first().waitFor();
    await until("a call ends with a result badge", async () =>
      (await page.locator("#calls tbody .badge:not(.badge-dialing)").count()) > 0);
  }));

  await t.test("pause stops new dials and the calls in flight finish", () => step("pause", async () => {
    await button("Pause").click();
    await page.locator("#campaign-message").filter({ hasText: /Paused/i }).waitFor();
    await until("the campaign shows paused", async () => (await badge().textContent()) === "paused");
    assert.ok(await button("Resume").isEnabled());
    assert.ok(await button("Pause").isDisabled());
    await until("the calls in flight finish", async () => (await statValue("in flight")) === 0);
    const dials = await statValue("dials");
    await new Promise((r) => setTimeout(r, 2500));
    assert.equal(await statValue("dials"), dials, "no dial after the pause");
    await page.locator("#hopper-note").filter({ hasText: "nobody is dialed" }).waitFor();
    assert.equal(await page.locator("#hopper tbody .ok").count(), 0, "nobody in the hopper is due now while paused");
  }));

  await t.test("stopping asks first, and cancelling the question changes nothing", () => step("stop-confirm", async () => {
    await button("Stop").click();
    const dialog = page.getByRole("dialog");
    await dialog.getByText("cannot be undone").waitFor();
    await dialog.getByRole("button", { name: "Cancel" }).click();
    await dialog.waitFor({ state: "detached" });
    assert.equal(await badge().textContent(), "paused");
  }));

  await t.test("the leads and the call log download as CSV, as the API lists them", () => step("exports", async () => {
    const id = campaignUrl.split("/").pop();
    const api = async (path) => {
      const response = await fetch(`${base}/api/v1${path}`, { headers: { Authorization: `Bearer ${userKey}` } });
      assert.ok(response.ok, `GET ${path}`);
      return response.json();
    };
    // The first column of every row after the header (ids hold no comma,
    // quote or line break).
    const ids = (text) => text.split("\r\n").filter(Boolean).slice(1).map((line) => line.split(",")[0]);
    const save = async (name) => {
      const [file] = await Promise.all([
        page.waitForEvent("download"),
        page.getByRole("button", { name, exact: true }).click(),
      ]);
      const chunks = [];
      for await (const chunk of await file.createReadStream()) chunks.push(chunk);
      return { name: file.suggestedFilename(), text: Buffer.concat(chunks).toString("utf8") };
    };
    const leadsFile = await save("Export leads");
    assert.equal(leadsFile.name, "emi-reminder-leads.csv");
    assert.match(leadsFile.text, /^lead_id,phone,phone2,phone3,phone4,phone5,name,status,attempts,answered,/);
    const leads = await api(`/campaigns/${id}/leads?limit=1000`);
    assert.deepEqual(ids(leadsFile.text), leads.leads.map((l) => l.id));
    await page.locator("#export-status").filter({ hasText: /^Saved emi-reminder-leads\.csv/ }).waitFor();
    const callsFile = await save("Export calls");
    assert.equal(callsFile.name, "emi-reminder-calls.csv");
    const calls = await api(`/calls?campaign_id=${id}&limit=1000`);
    assert.ok(calls.calls.length > 0, "the campaign has calls");
    assert.deepEqual(ids(callsFile.text), calls.calls.map((c) => c.id));
    await page.locator("#export-status").filter({ hasText: /^Saved emi-reminder-calls\.csv/ }).waitFor();
    // The whole page, its live console full of lines.
    await accessible("the campaign page with its exports and a full console");
  }));

  await t.test("settings are edited in place", () => step("settings", async () => {
    await page.getByRole("link", { name: "Edit settings" }).click();
    await page.getByRole("heading", { name: "Settings of “EMI Reminder”" }).waitFor();
    assert.equal(await page.getByLabel("Agent id", { exact: true }).inputValue(), "agent-7");
    assert.equal(await page.getByLabel("Time zone", { exact: true }).inputValue(), "Asia/Kolkata");
    assert.ok(await page.getByLabel(/^Detect voicemail/).isChecked());
    assert.ok(!(await page.getByLabel("Jurisdiction rules", { exact: true }).isChecked()), "the rules stay off");
    assert.equal(await page.getByLabel("Busy retry delay (minutes)", { exact: true }).inputValue(), "2");
    await page.getByLabel("Attempts per lead", { exact: true }).fill("4");
    await page.getByLabel("Start date", { exact: true }).fill("");
    await page.getByRole("button", { name: "Save settings" }).click();
    await page.getByRole("heading", { name: "EMI Reminder", level: 1 }).waitFor();
    await page.locator("#settings").getByText(/^4 attempts, 1 min apart/).waitFor();
    assert.equal(await badge().textContent(), "paused", "editing changes no status");
  }));

  let recycled;
  await t.test("recycling selects the recyclable statuses and reports the count", () => step("recycle", async () => {
    await page.getByRole("link", { name: "Recycle…" }).click();
    await page.getByRole("heading", { name: /Recycle leads of/ }).waitFor();
    const summary = page.locator("#recycle-summary");
    await page.locator("#recycle-rows tbody tr").first().waitFor();
    await accessible("the recycling page");
    await page.getByRole("button", { name: "Select recyclable" }).click();
    const expected = await page.evaluate(() => [...document.querySelectorAll("#recycle-rows tbody tr")]
      .filter((tr) => tr.querySelector("input:checked"))
      .reduce((n, tr) => n + Number(tr.querySelector("td.num").textContent.replace(/[^0-9]/g, "")), 0));
    assert.ok(expected > 0, "some leads are recyclable after the first calls");
    assert.match(await summary.textContent(), new RegExp(`· ${expected} leads? will be recycled`));
    assert.ok(await page.locator("#recycle-skipped").isDisabled(), "skipped leads cannot be recycled");
    await page.getByRole("button", { name: "Clear" }).click();
    assert.match(await summary.textContent(), /^0 statuses selected · 0 leads will be recycled/);
    assert.ok(await page.getByRole("button", { name: "Recycle", exact: true }).isDisabled());
    await page.getByRole("button", { name: "Select recyclable" }).click();
    await page.getByLabel(/Reset dial count/).check();
    await page.getByLabel(/Reason/).fill("second round");
    await page.getByRole("button", { name: "Recycle", exact: true }).click();
    await page.getByRole("dialog").getByRole("button", { name: "Recycle" }).click();
    await page.locator("#recycle-result").filter({ hasText: `Recycled ${expected} lead` }).waitFor();
    recycled = expected;
  }));

  await t.test("a recycled lead's history shows who recycled it and why", () => step("lead-history", async () => {
    await page.goto(campaignUrl);
    await page.getByRole("heading", { name: "EMI Reminder", level: 1 }).waitFor();
    await page.locator('.status-card[data-status="new"]').click();
    await until("the leads list shows the new leads", async () =>
      (await page.locator("#leads tbody tr").count()) >= Math.min(recycled, 50));
    // A lead whose call ended with a recyclable outcome, from the call log.
    const call = page.locator("#calls tbody tr", { has: page.locator(".badge-no_answer, .badge-busy, .badge-congestion") }).first();
    await call.getByRole("link").click();
    const timeline = page.locator("#timeline");
    await timeline.locator("li", { hasText: "LeadImported" }).waitFor();
    await timeline.locator("li", { hasText: "LeadDialed" }).first().waitFor();
    const recycledItem = timeline.locator("li", { hasText: "LeadRecycled" });
    await recycledItem.waitFor();
    assert.match(await recycledItem.textContent(), /second round/);
    assert.match(await recycledItem.textContent(), /by Asha/);
    await page.locator("#lead-fields").getByText("new", { exact: true }).waitFor();
    await accessible("a lead's page");
    // The auditor's view: the lead as it was right after its call ended.
    await timeline.locator("li", { hasText: /Call(NoAnswer|Busy|Congestion)/ }).getByRole("button", { name: /^State then/ }).click();
    const then = page.locator("#as-of");
    await then.getByText(/1 dial attempts/).waitFor();
    assert.match(await then.locator(".badge").first().textContent(), /no answer|busy|congestion/);
  }));

  await t.test("the campaign list filters by status and fits a phone screen", () => step("list", async () => {
    await page.getByRole("link", { name: "Campaigns", exact: true }).click();
    const row = page.locator(".campaign-row", { hasText: "EMI Reminder" });
    await row.locator(".badge-paused").waitFor();
    await row.getByRole("progressbar").waitFor();
    await page.locator(".filters").getByRole("link", { name: "active" }).click();
    await page.getByText("No active campaigns.").waitFor();
    await page.locator(".filters").getByRole("link", { name: "paused" }).click();
    await row.waitFor();
    await page.setViewportSize({ width: 390, height: 844 });
    await page.goto(campaignUrl);
    await page.getByRole("heading", { name: "EMI Reminder", level: 1 }).waitFor();
    await page.locator("#calls tbody tr").first().waitFor();
    await accessible("a paused campaign's page at phone width");
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(overflow <= 0, `the page is ${overflow}px wider than a phone`);
    await page.setViewportSize({ width: 1280, height: 900 });
  }));

  await t.test("a number goes on the do-not-call list and comes off it", () => step("dnc", async () => {
    await page.getByRole("link", { name: "Do not call" }).click();
    await page.getByRole("heading", { name: "Do not call", level: 1 }).waitFor();
    await page.getByText("The list is empty.").waitFor();
    await accessible("the do-not-call page");
    await page.getByLabel("Phone number", { exact: true }).fill("12345");
    await page.getByRole("button", { name: "Add to the list" }).click();
    await page.locator("#dnc-error").filter({ hasText: "phone" }).waitFor();
    await page.getByLabel("Phone number", { exact: true }).fill("98765 00099");
    await page.getByLabel(/^Region/).fill("in");
    await page.getByLabel("Reason", { exact: true }).fill("asked not to be called");
    await page.getByRole("button", { name: "Add to the list" }).click();
    await page.locator("#dnc-list .phone", { hasText: "+919876500099" }).waitFor();
    await page.locator("#dnc-list").getByRole("button", { name: "Remove +919876500099" }).click();
    await page.getByRole("dialog").getByRole("button", { name: "Remove" }).click();
    await page.getByText("The list is empty.").waitFor();
  }));

  let ruledLead;
  await t.test("a campaign with the jurisdiction rules on lists the rules in force", () => step("rules", async () => {
    const campaign = await adminCall("POST", "/campaigns", {
      name: "Rules on", owner: userId, timezone: "UTC", debt_collection: true,
    });
    assert.equal(campaign.jurisdiction_rules, true);
    const report = await adminCall("POST", `/campaigns/${campaign.id}/leads`, {
      leads: [
        { phone: "+13055550142", name: "Miami" },
        { phone: "+919876500011", name: "Pune", alt_phones: ["+919876500012"] },
        { phone: "+447911123456", name: "Leeds" },
      ],
    });
    assert.equal(report.imported, 3, JSON.stringify(report));
    const { leads } = await adminCall("GET", `/campaigns/${campaign.id}/leads`);
    ruledLead = leads.find((lead) => lead.phone === "+919876500011").id;
    await page.goto(`${base}/#/campaigns/${campaign.id}`);
    await page.getByRole("heading", { name: "Rules on", level: 1 }).waitFor();
    const rules = page.locator("#rules");
    await rules.getByRole("heading", { name: "Rules in force" }).waitFor();
    for (const name of ["Florida", "United States", "India", "United Kingdom", "Debt collection (Reg F)"]) {
      await rules.locator("tbody tr", { hasText: name }).first().waitFor();
    }
    assert.equal(await rules.getByText("Jurisdiction rules are off").count(), 0);
    const india = rules.locator("tbody tr", { hasText: "India" }).first();
    assert.equal((await india.locator("td").last().textContent()).trim(), "1");
    const setting = page.locator("#settings dt", { hasText: "debt collection (Reg F)" }).locator("xpath=following-sibling::dd[1]");
    assert.equal(await setting.textContent(), "on");
    await accessible("the rules in force on a campaign's page");
    await page.setViewportSize({ width: 390, height: 844 });
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(overflow <= 0, `the rules in force make the page ${overflow}px wider than a phone`);
    await page.setViewportSize({ width: 1280, height: 900 });
  }));

  await t.test("a running campaign whose window is closed says why nothing is being called", () => step("idle-why", async () => {
    // A window that opens two hours from now (UTC), for an hour.
    const hour = new Date().getUTCHours();
    const at = (h) => `${String(h % 24).padStart(2, "0")}:00`;
    const campaign = await adminCall("POST", "/campaigns", {
      name: "Closed window", owner: userId, timezone: "UTC", default_region: "IN",
      first_call_time: at(hour + 2), last_call_time: at(hour + 3), jurisdiction_rules: false,
    });
    const report = await adminCall("POST", `/campaigns/${campaign.id}/leads`, {
      leads: [0, 1, 2, 3].map((i) => ({ phone: `98765100${String(i).padStart(2, "0")}`, name: `Idle ${i}` })),
    });
    assert.equal(report.imported, 4, JSON.stringify(report));
    await adminCall("POST", `/campaigns/${campaign.id}/start`);
    const counts = await adminCall("GET", `/campaigns/${campaign.id}/eligibility`);
    assert.equal(counts.eligible_now, 0, JSON.stringify(counts));
    assert.deepEqual(counts.held, { campaign_window: 4 });
    await page.goto(`${base}/#/campaigns/${campaign.id}`);
    await page.getByRole("heading", { name: "Closed window", level: 1 }).waitFor();
    const card = page.locator("#eligibility");
    await card.getByRole("heading", { name: "Why nothing is being called" }).waitFor();
    const rules = card.locator("#held-rules li");
    assert.equal(await rules.count(), 1);
    assert.match(await rules.first().textContent(), /calling window/);
    assert.equal(await card.locator('[data-count="campaign_window"]').textContent(), String(counts.held.campaign_window));
    assert.equal(await card.locator('[data-count="in_flight"]').textContent(), String(counts.in_flight));
    assert.equal(await card.locator('[data-count="finished"]').textContent(), String(counts.finished));
    // The window opens at the top of the hour two hours on: 61 to 120 minutes from now.
    const next = card.locator("#eligibility-next");
    assert.match(await next.textContent(), /^Next lead becomes dialable at .+ \(in (\d+ min|\d h)\)$/);
    assert.equal(await next.locator("time").getAttribute("datetime"), counts.next_eligible_at);
    assert.equal(new Date(counts.next_eligible_at).getUTCHours(), (hour + 2) % 24);
    await accessible("a campaign's page saying why nothing is being called");
    await page.setViewportSize({ width: 390, height: 844 });
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(overflow <= 0, `the card makes the page ${overflow}px wider than a phone`);
    await accessible("the card at phone width");
    await page.setViewportSize({ width: 1280, height: 900 });
  }));

  await t.test("a lead with two numbers lists both, the main one first", () => step("lead-phones", async () => {
    await page.goto(`${base}/#/leads/${ruledLead}`);
    const phones = page.locator("#lead-phones li");
    await phones.first().waitFor();
    assert.equal(await phones.count(), 2);
    assert.match(await phones.nth(0).textContent(), /^\+919876500011\s*main$/);
    assert.equal((await phones.nth(1).textContent()).trim(), "+919876500012");
    // Its campaign is a draft: the lead says why it is not called.
    const why = page.locator("#lead-why");
    await why.getByRole("heading", { name: "Why it is not called" }).waitFor();
    await why.locator("li", { hasText: "campaign_status" }).waitFor();
    assert.match(await why.textContent(), /not active/);
    await accessible("a lead's page with two numbers");
  }));

  await t.test("the contact policy takes a cap and a holiday, and refuses a bad region inline", () => step("contact-policy", async () => {
    await page.getByRole("link", { name: "Contact policy" }).click();
    await page.getByRole("heading", { name: "Contact policy", level: 1 }).waitFor();
    await page.getByText("No cap of your own.").waitFor();
    await accessible("the empty contact policy page");
    await page.getByRole("button", { name: "Add a cap" }).click();
    await page.getByLabel("Calls at most").last().fill("3");
    await page.getByLabel("In hours").last().fill("24");
    await page.getByRole("button", { name: "Add a holiday" }).click();
    await page.getByLabel("Date", { exact: true }).last().fill("2026-12-25");
    await page.getByLabel("Regions", { exact: true }).last().fill("us, IN");
    await page.getByRole("button", { name: "Save policy" }).click();
    await page.locator("#policy-caps-in-force").getByText("at most 3 calls in 24 h").waitFor();
    const policy = await adminCall("GET", `/users/${userId}/contact-policy`);
    assert.deepEqual(policy.per_number, [{ calls_max: 3, window_hours: 24 }]);
    assert.deepEqual(policy.holidays, [{ date: "2026-12-25", regions: ["IN", "US"] }]);
    await page.reload();
    await page.locator("#policy-caps-in-force").getByText("at most 3 calls in 24 h").waitFor();
    await page.locator("#policy-holidays-in-force").getByText("2026-12-25: IN, US").waitFor();
    assert.equal(await page.getByLabel("Calls at most").inputValue(), "3");
    assert.equal(await page.getByLabel("In hours").inputValue(), "24");
    assert.equal(await page.getByLabel("Date", { exact: true }).inputValue(), "2026-12-25");
    assert.equal(await page.getByLabel("Regions", { exact: true }).inputValue(), "IN, US");
    await accessible("the contact policy page");
    // "UK" is not a region code (GB is): the server's answer shows in place.
    await page.getByRole("button", { name: "Add a holiday" }).click();
    await page.getByLabel("Date", { exact: true }).last().fill("2026-12-26");
    await page.getByLabel("Regions", { exact: true }).last().fill("UK");
    await page.getByRole("button", { name: "Save policy" }).click();
    await page.locator("#policy-error").filter({ hasText: "not UK" }).waitFor();
    assert.equal((await adminCall("GET", `/users/${userId}/contact-policy`)).holidays.length, 1, "nothing saved");
    await page.getByRole("button", { name: "Remove this holiday" }).last().click();
    await page.setViewportSize({ width: 390, height: 844 });
    await accessible("the contact policy page at phone width");
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(overflow <= 0, `the contact policy page is ${overflow}px wider than a phone`);
    await page.goto(`${base}/#/leads/${ruledLead}`);
    await page.locator("#lead-phones li").first().waitFor();
    const leadOverflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(leadOverflow <= 0, `the lead page is ${leadOverflow}px wider than a phone`);
    await page.setViewportSize({ width: 1280, height: 900 });
    await page.goto(campaignUrl);
    await page.getByRole("heading", { name: "EMI Reminder", level: 1 }).waitFor();
  }));

  await t.test("resume continues and signing out forgets the key", () => step("resume-sign-out", async () => {
    // Paused, it says so: every lead left is held by the campaign's status.
    const paused = page.locator("#eligibility");
    await paused.getByRole("heading", { name: "Why nothing is being called" }).waitFor();
    await paused.locator('[data-count="campaign_status"]').waitFor();
    assert.match(await paused.locator("#eligibility-next").textContent(), /^No held lead becomes dialable by itself\.$/);
    await button("Resume").click();
    await page.locator("#campaign-message").filter({ hasText: /Resumed/i }).waitFor();
    await until("dials resume", async () =>
      (await page.locator("#console-lines li", { hasText: "LeadDialed" }).count()) >= 1);
    await page.getByRole("button", { name: "Sign out" }).click();
    await page.getByRole("heading", { name: "Sign in to Leadline" }).waitFor();
    assert.equal(await page.evaluate(() => localStorage.getItem("leadline.api_key")), null);
  }));

  await t.test("the admin sees every user's campaigns with their owners", () => step("admin", async () => {
    await page.getByLabel("API key", { exact: true }).fill(ADMIN_KEY);
    await page.getByRole("button", { name: "Sign in" }).click();
    const row = page.locator(".campaign-row", { hasText: "EMI Reminder" });
    await row.getByText(/^Asha · Created/).waitFor();
    assert.equal(await page.locator("#who-name").textContent(), "admin");
    assert.ok(await page.getByRole("link", { name: "Contact policy" }).isHidden(), "the admin has no policy of its own");
    await page.getByRole("link", { name: "New campaign" }).first().click();
    await page.getByLabel("Owner", { exact: true }).locator("option", { hasText: "Asha" }).waitFor({ state: "attached" });
  }));

  await t.test("the admin creates a user, who signs in with the key shown once", () => step("users", async () => {
    await page.getByRole("link", { name: "Users" }).click();
    await page.getByRole("heading", { name: "Users", level: 1 }).waitFor();
    await page.getByRole("cell", { name: "Asha", exact: true }).waitFor();
    await accessible("the users page");
    await page.getByLabel("Name", { exact: true }).fill("Ben");
    await page.getByLabel("Calls in flight at once", { exact: true }).fill("3");
    await page.getByRole("button", { name: "Create user" }).click();
    const key = (await page.locator("#new-api-key").textContent()).trim();
    assert.match(key, /^ll_[0-9a-f]{32}$/);
    await page.getByLabel("Limit of Ben", { exact: true }).fill("4");
    await page.getByRole("button", { name: "Save the limit of Ben" }).click();
    await until("Ben's limit is saved", async () =>
      (await adminCall("GET", "/users")).users.some((u) => u.name === "Ben" && u.concurrent_calls_limit === 4));
    await page.getByRole("button", { name: "Sign out" }).click();
    await page.getByLabel("API key", { exact: true }).fill(key);
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.getByText("No campaigns yet.").waitFor();
    assert.equal(await page.locator("#who-name").textContent(), "Ben");
    assert.ok(await page.getByRole("link", { name: "Users" }).isHidden(), "only the admin sees Users");
  }));

  await t.test("nothing was fetched from elsewhere and no script failed", () => {
    assert.deepEqual(offsite, []);
    assert.deepEqual(pageErrors, []);
  });
});

test("a campaign's activity over time is charted and follows the live feed", async (t) => {
  let key;
  let campaignId;
  const call = async (method, path, body) => {
    const response = await fetch(`${base}/api/v1${path}`, {
      method,
      headers: { Authorization: `Bearer ${key}`, "Content-Type": "application/json" },
      body: body ? JSON.stringify(body) : undefined,
    });
    const json = await response.json();
    assert.ok(response.ok, `${method} ${path}: ${JSON.stringify(json)}`);
    return json;
  };
  const total = async (name) => Number(((await page.locator(`#timeline-summary [data-total="${name}"]`).textContent()) || "").replace(/[^0-9]/g, ""));

  await t.test("the charts draw a running campaign and grow with its calls", () => step("timeline", async () => {
    await page.setViewportSize({ width: 1280, height: 900 });
    key = (await adminCall("POST", "/users", { name: "Chen", concurrent_calls_limit: 2 })).api_key;
    campaignId = (await call("POST", "/campaigns", { name: "Timeline watch", default_region: "IN", jurisdiction_rules: false })).id;
    const leads = Array.from({ length: 30 }, (_, i) => ({ phone: `98765${String(44000 + i).padStart(5, "0")}` }));
    await call("POST", `/campaigns/${campaignId}/leads`, { leads });
    await page.goto(base);
    await page.evaluate((k) => localStorage.setItem("leadline.api_key", k), key);
    await page.goto(`${base}/#/campaigns/${campaignId}`);
    await page.getByRole("heading", { name: "Timeline watch", level: 1 }).waitFor();
    await page.getByRole("heading", { name: "Activity over time" }).waitFor();
    await call("POST", `/campaigns/${campaignId}/start`, {});
    await until("the chart counts a dial", async () => (await total("dials")) >= 1);
    const first = await total("dials");
    await page.locator("#timeline-activity svg.chart").waitFor();
    for (const text of ["dials", "answered", "most in flight"]) {
      await page.locator("#timeline-activity .chart-legend li", { hasText: text }).first().waitFor();
    }
    // No reload: the live feed moves the figures.
    await until("the dials shown grow as calls happen", async () => (await total("dials")) > first + 2);
    await until("an answered call is charted by hour of day", async () =>
      (await page.locator("#timeline-hours svg.chart rect").count()) > 0 && (await total("answered")) > 0);
    // The figures also read as tables.
    await page.locator("#timeline-activity details summary").click();
    await page.locator("#timeline-activity details table tbody tr").first().waitFor();
    await page.locator("#timeline-hours details summary").click();
    await page.locator("#timeline-hours details table tbody tr").first().waitFor();
    // The page shows what the API says (after its next read).
    await until("the chart agrees with the API", async () => {
      const line = await call("GET", `/campaigns/${campaignId}/timeline?bucket=minute`);
      const dials = line.buckets.reduce((s, b) => s + b.dials, 0);
      return dials === await total("dials");
    }, 30_000);
    await page.locator("#timeline-bucket").selectOption("hour");
    await until("hour buckets draw", async () => (await total("dials")) > 0);
    await accessible("a campaign page with its activity charts");
  }));

  await t.test("the call log fits its card on a laptop and nothing overflows a phone", () => step("timeline-widths", async () => {
    await page.locator("#calls tbody tr").first().waitFor();
    const fits = await page.evaluate(() => {
      const card = document.querySelector("#calls");
      const wrap = card.querySelector(".table-wrap");
      const last = wrap.querySelector("thead th:last-child");
      const c = card.getBoundingClientRect();
      const w = wrap.getBoundingClientRect();
      const th = last.getBoundingClientRect();
      const inCard = c.right <= window.innerWidth + 0.5 && w.right <= c.right + 0.5;
      return { inCard, visible: th.right <= c.right + 0.5, scrolls: wrap.scrollWidth > wrap.clientWidth };
    });
    assert.ok(fits.inCard && (fits.visible || fits.scrolls), `the call log at 1280 px: ${JSON.stringify(fits)}`);
    await page.setViewportSize({ width: 390, height: 844 });
    await page.locator("#timeline-activity svg.chart").waitFor();
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth);
    assert.ok(overflow <= 390, `the campaign page is ${overflow}px wide on a 390px phone`);
    await page.setViewportSize({ width: 1280, height: 900 });
  }));

  await t.test("the campaign list shows answer rates and last hour sparklines", () => step("timeline-list", async () => {
    await page.getByRole("link", { name: "Campaigns", exact: true }).click();
    const row = page.locator(".campaign-row", { hasText: "Timeline watch" });
    await row.locator('dd[data-stat="answer_rate"]').waitFor();
    await row.locator("svg.sparkline").waitFor();
    assert.match(await row.locator("svg.sparkline").getAttribute("aria-label"), /\d+ dials, \d+ answered in the last hour/);
    await accessible("the campaign list with sparklines");
    await page.setViewportSize({ width: 390, height: 844 });
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth);
    assert.ok(overflow <= 390, `the campaign list is ${overflow}px wide on a 390px phone`);
    await page.setViewportSize({ width: 1280, height: 900 });
    assert.deepEqual(pageErrors, []);
  }));
});
