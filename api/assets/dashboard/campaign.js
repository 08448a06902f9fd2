// A campaign: its controls, progress, why nothing is being called when it
// is idle, its forecast (at once for a draft), leads by status, the hopper, the call log, its leads, a live
// console of its events, and more leads by upload.

import { api, liveFeed, query } from "./api.js";
import {
  h, fill, badge, num, pct, progressBar, throttle, time, relative, label, toast,
  confirmAction, describeEvent, actorLabel, section, table,
} from "./dom.js";
import { windowText } from "./campaigns.js";
import { exportCard } from "./exports.js";
import { uploadForm } from "./new-campaign.js";
import { forecastCard } from "./forecast.js";
import { timelineCard } from "./timeline.js";

const CONSOLE_LINES_MAX = 200;
const CALLS_SHOWN = 25;
const HOPPER_SHOWN = 10;
const LEADS_PAGE = 50;
// Counting a campaign's eligibility reads every one of its leads: asked on
// page load, then at most this often, and never while the tab is hidden.
const ELIGIBILITY_EVERY_MS = 30_000;

/** The rules that hold leads back, in the API's order, as people read them. */
const HOLD_RULES = [
  ["campaign_status", "Campaign not active"],
  ["start_date", "Campaign's start date not reached"],
  ["campaign_window", "Outside the campaign's calling window"],
  ["holiday", "A holiday of the contact policy"],
  ["jurisdiction_hours", "Outside their jurisdiction's legal hours"],
  ["local_hours", "Outside the campaign's local hours"],
  ["dnc", "Number on the do-not-call list"],
  ["max_attempts", "Every attempt of this round used (a recycle brings them back)"],
  ["retry_delay", "Waiting for the retry delay"],
  ["callback_time", "Callback time not reached"],
  ["daily_cap", "Campaign's dials per day reached"],
  ["contact_cap", "A cap per number of the contact policy reached"],
  ["jurisdiction_cap", "Their jurisdiction's cap per number reached"],
  ["abandoned_hold", "Held after a dropped call"],
  ["debt_collection", "Debt collection limits (Reg F)"],
];

/** The held counts in the rules' order, only those that hold some lead. */
function heldRows(held) {
  const known = new Map(HOLD_RULES);
  const rows = HOLD_RULES.filter(([rule]) => held[rule] > 0).map(([rule, text]) => [rule, text, held[rule]]);
  // A rule this page does not know yet still shows, after the others.
  for (const [rule, n] of Object.entries(held)) if (!known.has(rule) && n > 0) rows.push([rule, label(rule), n]);
  return rows;
}

/** A time as it reads in `zone` (the campaign's), falling back to the viewer's. */
function zoneTime(iso, zone) {
  const options = { weekday: "short", day: "numeric", month: "short", hour: "2-digit", minute: "2-digit", timeZoneName: "short" };
  let format;
  try {
    format = new Intl.DateTimeFormat(undefined, { ...options, timeZone: zone });
  } catch {
    format = new Intl.DateTimeFormat(undefined, options);
  }
  return h("time", { datetime: iso, title: iso }, format.format(new Date(iso)));
}

/** Which controls apply to a campaign in `status` (as the API shows it). */
export function controls(campaign) {
  const s = campaign.status;
  const running = s === "active" || s === "scheduled";
  const open = s !== "cancelled" && s !== "archived";
  return {
    start: {
      enabled: (s === "draft" || s === "completed") && campaign.stats.total > 0,
      why: campaign.stats.total === 0 ? "Add leads first." : running || s === "paused" ? "Already running." : `Not while ${label(s)}.`,
    },
    pause: { enabled: running, why: s === "paused" ? "Already paused." : "Only a running campaign can be paused." },
    resume: { enabled: s === "paused", why: "Nothing was paused." },
    cancel: { enabled: ["draft", "scheduled", "active", "paused"].includes(s), why: "The campaign has ended." },
    recycle: { enabled: open, why: "The campaign is closed." },
    archive: { enabled: ["draft", "completed", "cancelled"].includes(s), why: s === "archived" ? "Already archived." : "Stop it first." },
  };
}

export function campaignPage(root, { params, setLive }) {
  const [id] = params;
  const state = { campaign: null, leadStatus: "", leadCursor: null, leads: [], paused: false };
  const message = h("p", { id: "campaign-message", class: "message", role: "status", "aria-live": "polite" });
  const head = h("div", { class: "page-head" });
  const progress = h("section", { class: "card", id: "progress", "aria-label": "Progress" });
  const eligibility = h("section", { class: "card", id: "eligibility", "aria-labelledby": "eligibility-title", hidden: true });
  const forecast = forecastCard(id);
  const breakdown = h("div", { class: "status-cards", id: "status-cards" });
  const hopper = h("div", {});
  const calls = h("div", {});
  const leadRows = h("div", {});
  const leadFilter = h("select", { id: "lead-status-filter", onchange: () => { state.leadStatus = leadFilter.value; loadLeads(true); } });
  const moreLeads = h("button", { type: "button", class: "btn btn-small", onclick: () => loadLeads(false) }, "Load more");
  // The list keeps its list semantics; the log role is on its wrapper.
  const consoleList = h("ol", { id: "console-lines", class: "console" });
  const consoleNote = h("p", { class: "muted small" }, "Events of this campaign and its leads appear here as they happen.");
  const pauseConsole = h("button", { type: "button", class: "btn btn-small", "aria-pressed": "false", onclick: () => {
    state.paused = !state.paused;
    pauseConsole.setAttribute("aria-pressed", String(state.paused));
  } }, "Hold");
  const rules = h("div", {});
  const settings = h("div", {});
  const upload = h("div", {});

  fill(root,
    h("p", { class: "crumbs" }, h("a", { href: "#/campaigns" }, "← Campaigns")),
    head, message, progress, eligibility, forecast.card,
    section("rules", "Rules in force", rules),
    section("breakdown", "Leads by status",
      h("p", { class: "legend small" }, badge("pending"), " waiting to be called · ", badge("in_progress"),
        " being called · ", badge("recyclable"), " may be called again · ", badge("final"), " done"),
      breakdown),
    h("div", { class: "grid-2" },
      section("hopper", "Hopper (next to call)", hopper),
      section("calls", "Call log (latest first)", calls)),
    section("console", "Live console", h("div", { class: "row" }, consoleNote, pauseConsole),
      h("div", { role: "log", "aria-live": "off", "aria-label": "Live events" }, consoleList)),
    section("leads", "Leads",
      h("div", { class: "row" }, h("label", { for: "lead-status-filter" }, "Status"), leadFilter),
      leadRows, moreLeads),
    section("upload", "Add leads", upload),
    exportCard(id),
    section("settings", "Settings", settings,
      h("a", { class: "btn btn-small", href: `#/campaigns/${id}/settings`, id: "edit-settings" }, "Edit settings")));
  // Activity over time, after the progress and its forecast.
  const timeline = timelineCard(id);
  forecast.card.after(timeline.card);

  let stopped = false;

  async function load() {
    try {
      const [campaign, hop, log] = await Promise.all([
        api("GET", `/campaigns/${encodeURIComponent(id)}`),
        api("GET", `/campaigns/${encodeURIComponent(id)}/hopper${query({ limit: HOPPER_SHOWN })}`),
        api("GET", `/calls${query({ campaign_id: id, order: "desc", limit: CALLS_SHOWN })}`),
      ]);
      if (stopped) return;
      const first = !state.campaign;
      state.campaign = campaign;
      renderHead(campaign);
      renderProgress(campaign);
      renderBreakdown(campaign);
      renderRules(campaign);
      renderHopper(hop, campaign);
      renderEligibility();
      forecast.update(campaign);
      timeline.update(campaign);
      renderCalls(log);
      if (first) {
        renderSettings(campaign);
        renderLeadFilter(campaign);
        fill(upload, uploadForm(id, () => load()));
        document.title = `${campaign.name} · Leadline`;
      }
      loadLeads(true);
    } catch (error) {
      if (stopped) return;
      if (!state.campaign) fill(root, h("p", { class: "crumbs" }, h("a", { href: "#/campaigns" }, "← Campaigns")),
        h("p", { class: "error", role: "alert" }, error.message));
      else toast(error.message, "error");
    }
  }

  function renderHead(campaign) {
    const c = controls(campaign);
    const button = (key, text, cls, handler) => h("button", {
      type: "button", class: `btn ${cls}`, disabled: !c[key].enabled,
      title: c[key].enabled ? null : c[key].why, onclick: handler,
    }, text);
    fill(head,
      h("div", { class: "campaign-title" }, h("h1", {}, campaign.name), badge(campaign.status)),
      h("div", { class: "actions", role: "group", "aria-label": "Campaign controls" },
        button("start", "Start", "btn-primary", () => act("start")),
        button("pause", "Pause", "", () => act("pause")),
        button("resume", "Resume", "btn-primary", () => act("resume")),
        button("cancel", "Stop", "btn-danger", async () => {
          const s = campaign.stats;
          const ok = await confirmAction({
            title: `Stop “${campaign.name}”?`,
            text: `${num(s.pending)} leads that have not been called will be cancelled and the campaign ends. ` +
              `${num(s.in_flight)} calls in progress finish and their results are kept. This cannot be undone.`,
            confirm: "Stop campaign", danger: true,
          });
          if (ok) act("cancel");
        }),
        c.recycle.enabled
          ? h("a", { class: "btn", href: `#/campaigns/${id}/recycle` }, "Recycle…")
          : h("button", { type: "button", class: "btn", disabled: true, title: c.recycle.why }, "Recycle…"),
        button("archive", "Archive", "btn-quiet", async () => {
          const ok = await confirmAction({
            title: `Archive “${campaign.name}”?`,
            text: "It leaves the campaign list; its history stays readable.",
            confirm: "Archive", danger: true,
          });
          if (ok) archive();
        })));
  }

  async function act(action) {
    try {
      const result = await api("POST", `/campaigns/${encodeURIComponent(id)}/${action}`);
      message.textContent = result.message || `${label(action)}: done`;
      message.className = "message message-ok";
    } catch (error) {
      message.textContent = error.message;
      message.className = "message message-error";
    }
    load();
  }

  async function archive() {
    try {
      await api("DELETE", `/campaigns/${encodeURIComponent(id)}`);
      toast("Campaign archived.");
      location.hash = "#/campaigns";
    } catch (error) {
      message.textContent = error.message;
      message.className = "message message-error";
    }
  }

  function renderProgress(campaign) {
    const s = campaign.stats;
    const item = (name, value, hint) => h("div", { title: hint }, h("dt", {}, name), h("dd", { dataset: { stat: name } }, num(value)));
    fill(progress,
      h("div", { class: "progress-line" },
        progressBar(s, "campaign progress"),
        h("strong", { class: "progress-text", id: "progress-text" }, s.progress)),
      h("dl", { class: "stats" },
        item("total", s.total, "leads in the campaign"),
        item("pending", s.pending, "not called yet, or waiting for a retry"),
        item("in flight", s.in_flight, "calls ringing or connected now"),
        item("called", s.called, "leads with a final or retryable result"),
        item("answered", s.answered),
        item("failed", s.failed),
        item("cancelled", s.cancelled),
        item("skipped", s.skipped, "duplicates and do-not-call numbers"),
        item("dials", s.dials, "calls placed"),
        item("in hopper", s.hopper, "leads queued to be dialed")),
      h("p", { class: "muted small" }, `${campaign.timezone} · ${windowText(campaign)}`,
        campaign.start_date ? ` · from ${campaign.start_date}` : "",
        campaign.started_at ? [" · started ", time(campaign.started_at)] : "",
        campaign.ended_at ? [" · ended ", time(campaign.ended_at)] : ""));
  }

  function renderBreakdown(campaign) {
    const rows = campaign.stats.breakdown;
    if (!rows.length) {
      fill(breakdown, h("p", { class: "muted" }, "No leads yet. Add some below."));
      return;
    }
    fill(breakdown, rows.map((row) => h("button", {
      type: "button",
      class: `status-card cat-${row.category} ${state.leadStatus === row.status ? "status-card-on" : ""}`,
      dataset: { status: row.status, category: row.category },
      "aria-pressed": String(state.leadStatus === row.status),
      onclick: () => {
        state.leadStatus = state.leadStatus === row.status ? "" : row.status;
        leadFilter.value = state.leadStatus;
        renderBreakdown(state.campaign);
        loadLeads(true);
        document.getElementById("leads")?.scrollIntoView({ behavior: "smooth" });
      },
    },
    h("span", { class: "status-count" }, num(row.count)),
    h("span", { class: "status-name" }, label(row.status)),
    h("span", { class: "status-meta" }, `${label(row.category)} · ${pct(row.share)}`),
    h("span", { class: "sr-only" }, " (show these leads)"))));
  }

  /** The jurisdiction rules (and Reg F) that apply to the campaign's leads. */
  function renderRules(campaign) {
    const list = campaign.rules || [];
    const rows = list.map((rule) => [
      h("span", { class: "rule-name", title: rule.source },
        h("strong", {}, rule.name), " ", h("span", { class: "muted small" }, rule.id),
        h("span", { class: "rule-source muted small" }, rule.source)),
      rule.hours ? h("span", { class: "nowrap" }, rule.hours) : "–",
      rule.cap || "–",
      rule.abandoned_hold_hours ? `${rule.abandoned_hold_hours} h after a dropped call` : "–",
      num(rule.leads),
    ]);
    const empty = campaign.jurisdiction_rules
      ? "No lead yet has a number of a jurisdiction with built-in rules (US, Florida, Oklahoma, Maryland, Canada, India, UK)."
      : "Only the campaign's own window, local hours and retries apply.";
    fill(rules,
      campaign.jurisdiction_rules ? null : h("p", { class: "message message-warn", id: "rules-off" },
        h("strong", {}, "Jurisdiction rules are off for this campaign."),
        " Leads are dialed at any hour its window allows, whatever their jurisdiction's hours, caps and holds."),
      campaign.jurisdiction_rules
        ? h("p", { class: "muted small" }, "The rules of each lead's jurisdiction, by its number, on top of the campaign's window. Caps count the owner's dials across all campaigns.")
        : null,
      table("Rules in force", ["rule", "hours (lead's time)", "cap", "hold", "leads"], rows, empty));
  }

  // The eligibility counts: on page load, then every ELIGIBILITY_EVERY_MS
  // while the tab is visible (a hidden tab catches up when shown again),
  // never on live events: each answer is a scan of the campaign's leads.
  let eligibilityAt = 0;
  let eligibilityLoading = false;
  async function loadEligibility() {
    if (stopped || eligibilityLoading || document.hidden) return;
    eligibilityLoading = true;
    eligibilityAt = Date.now();
    try {
      const counts = await api("GET", `/campaigns/${encodeURIComponent(id)}/eligibility`);
      if (stopped) return;
      state.eligibility = counts;
      renderEligibility();
    } catch {
      // The card stays as it was (or hidden); the next round asks again.
    } finally {
      eligibilityLoading = false;
    }
  }
  function eligibilityDue() {
    if (!document.hidden && Date.now() - eligibilityAt >= ELIGIBILITY_EVERY_MS) loadEligibility();
    else renderEligibility();
  }

  /**
   * Why nothing is being called, when a running (or paused, or scheduled)
   * campaign with leads left has none dialable; a line saying how many are
   * dialable otherwise. Drawn from the last counts, with the campaign's
   * status as it is now.
   */
  let eligibilityShown = "";
  function renderEligibility() {
    const campaign = state.campaign;
    const counts = state.eligibility;
    const live = campaign && ["active", "paused", "scheduled"].includes(campaign.status);
    if (!live || !counts || counts.total <= counts.finished) {
      eligibility.hidden = true;
      eligibilityShown = "";
      return;
    }
    const next = counts.next_eligible_at;
    // Redrawn only when what it says changes (the minutes to the next lead
    // do, once a minute).
    const key = JSON.stringify([counts, campaign.timezone, next ? relative(next) : null]);
    if (key === eligibilityShown) return;
    eligibilityShown = key;
    eligibility.hidden = false;
    const leads = (n) => `${num(n)} ${n === 1 ? "lead" : "leads"}`;
    const when = counts.at ? h("span", { class: "muted small" }, " · counted ", time(counts.at, { clock: true })) : null;
    if (counts.eligible_now > 0) {
      eligibility.classList.add("card-compact");
      fill(eligibility,
        h("h2", { id: "eligibility-title", class: "sr-only" }, "Dialable now"),
        h("p", { class: "eligibility-line", id: "eligibility-line" },
          h("strong", { dataset: { count: "eligible_now" } }, leads(counts.eligible_now)), " dialable now",
          counts.in_flight ? ` · ${num(counts.in_flight)} in flight` : "", when));
      return;
    }
    eligibility.classList.remove("card-compact");
    const rows = heldRows(counts.held || {});
    fill(eligibility,
      h("h2", { id: "eligibility-title" }, "Why nothing is being called"),
      h("p", { class: "small" }, `No lead of this campaign may be dialed now. ${leads(counts.total - counts.finished)} of ${num(counts.total)} remain; each held lead is counted once, under the first rule holding it back.`),
      rows.length ? h("ul", { class: "held", id: "held-rules", "aria-label": "Leads held back, by rule" },
        rows.map(([rule, text, n]) => h("li", { dataset: { rule } },
          h("span", { class: "held-rule" }, text, " ", h("code", { class: "muted small" }, rule)),
          h("strong", { class: "held-count", dataset: { count: rule } }, num(n))))) : null,
      h("dl", { class: "mini-stats held-others" },
        h("div", {}, h("dt", {}, "in flight"), h("dd", { dataset: { count: "in_flight" } }, num(counts.in_flight))),
        h("div", {}, h("dt", {}, "finished"), h("dd", { dataset: { count: "finished" } }, num(counts.finished)))),
      h("p", { id: "eligibility-next" }, next
        ? ["Next lead becomes dialable at ", zoneTime(next, campaign.timezone), " ", h("span", { class: "muted" }, `(${relative(next)})`)]
        : "No held lead becomes dialable by itself."),
      h("p", { class: "muted small" }, "A lead's own page (open one from the list below) names every rule holding it back and when each lifts.", when));
  }

  function renderHopper(hop, campaign) {
    const rows = hop.leads.map((lead, i) => [
      String(i + 1),
      h("a", { href: `#/leads/${lead.lead_id}` }, lead.phone),
      lead.name || "",
      String(lead.priority),
      lead.eligible_now ? h("span", { class: "ok" }, "now") : [time(lead.eligible_at), " ", h("span", { class: "muted" }, relative(lead.eligible_at))],
    ]);
    const idle = campaign.status === "draft" ? "Nobody is dialed before the campaign starts."
      : campaign.status === "paused" ? "Nobody is dialed while the campaign is paused."
        : hop.total > 0 ? "None of them is due yet." : "Nobody is waiting to be called.";
    const note = campaign.status === "paused" ? "Paused: nobody is dialed until the campaign resumes. "
      : campaign.status === "scheduled" ? "Scheduled: dialing begins when the calling window opens. " : "";
    fill(hopper,
      h("p", { class: "muted small", id: "hopper-note" }, note, `${num(hop.total)} leads in the hopper`,
        rows.length && hop.total > rows.length ? `; the next ${rows.length} in dial order:` : ""),
      table("Hopper in dial order", ["#", "phone", "name", "priority", "eligible"], rows, idle));
  }

  function renderCalls(log) {
    const rows = log.calls.map((call) => [
      h("a", { href: `#/leads/${call.lead_id}` }, call.phone),
      badge(call.status),
      String(call.attempt),
      time(call.started_at, { clock: true }),
      call.duration_secs !== null && call.duration_secs !== undefined ? `${call.duration_secs} s` : call.ended_at ? "" : h("span", { class: "muted" }, "in progress"),
      call.error ? h("span", { class: "error-text" }, call.error) : "",
    ]);
    fill(calls, table("Latest calls", ["phone", "status", "attempt", "started", "length", "error"], rows, "No calls yet."));
  }

  function renderLeadFilter(campaign) {
    fill(leadFilter, h("option", { value: "" }, "all statuses"),
      Object.keys(campaign.stats.by_status).map((s) => h("option", { value: s }, label(s))));
    leadFilter.value = state.leadStatus;
  }

  let leadsLoading = false;
  async function loadLeads(reset) {
    if (leadsLoading) return;
    leadsLoading = true;
    try {
      const page = await api("GET", `/campaigns/${encodeURIComponent(id)}/leads${query({
        status: state.leadStatus, limit: reset ? Math.max(LEADS_PAGE, state.leads.length) : LEADS_PAGE,
        cursor: reset ? null : state.leadCursor,
      })}`);
      if (stopped) return;
      state.leads = reset ? page.leads : state.leads.concat(page.leads);
      state.leadCursor = page.next_cursor;
      moreLeads.hidden = !page.next_cursor;
      fill(leadRows, table("Leads", ["phone", "name", "status", "dials", "last result", "next eligible"],
        state.leads.map((lead) => [
          h("a", { href: `#/leads/${lead.id}` }, lead.phone),
          lead.name || "",
          badge(lead.status),
          String(lead.dial_attempts),
          lead.dial_result ? label(lead.dial_result) : "",
          lead.next_eligible_at ? time(lead.next_eligible_at) : "",
        ]), state.leadStatus ? `No ${label(state.leadStatus)} leads.` : "No leads yet."));
    } catch (error) {
      if (!stopped) fill(leadRows, h("p", { class: "error", role: "alert" }, error.message));
    } finally {
      leadsLoading = false;
    }
  }

  function renderSettings(campaign) {
    const r = campaign.retry;
    const p = campaign.provider;
    const item = (name, value) => [h("dt", {}, name), h("dd", {}, value === null || value === undefined || value === "" ? "–" : String(value))];
    fill(settings, h("dl", { class: "settings" },
      item("time zone", campaign.timezone),
      item("calling window", windowText(campaign)),
      item("start date", campaign.start_date),
      item("default region", campaign.default_region),
      item("local hours", campaign.local_hours ? `${campaign.local_hours.start}–${campaign.local_hours.end} in each lead's zone` : "off"),
      item("retry", `${r.max_attempts} attempts, ${r.delay_minutes} min apart (dropped: ${r.dropped_delay_minutes} min); retried: ${r.statuses.map(label).join(", ")}`),
      item("retry delay by status", Object.entries(r.delay_minutes_by_status || {})
        .map(([status, minutes]) => `${label(status)}: ${minutes} min`).join(", ") || "the retry delay for every outcome"),
      item("dials per day per number", r.attempts_per_day_max ?? "no cap"),
      item("jurisdiction rules", campaign.jurisdiction_rules ? "on" : "off"),
      item("debt collection (Reg F)", campaign.debt_collection ? "on" : "off"),
      item("delay between dials", campaign.dial_delay_ms ? `${campaign.dial_delay_ms} ms` : "none"),
      item("voicemail detection", campaign.detect_voicemail ? "on" : "off"),
      item("agent id", p.agent_id),
      item("caller id", p.caller_id),
      item("next action", p.next_action),
      Object.entries(p.extra || {}).map(([k, v]) => item(k, typeof v === "string" ? v : JSON.stringify(v))),
      item("campaign id", campaign.id)));
  }

  // Events are drawn once per frame, however fast they come: at a thousand
  // dials a second only the newest lines of each frame reach the page.
  let pending = [];
  let frame = null;
  function logEvent(event) {
    if (state.paused) return;
    pending.push(event);
    if (pending.length > CONSOLE_LINES_MAX) pending = pending.slice(-CONSOLE_LINES_MAX);
    if (!frame) frame = requestAnimationFrame(drawEvents);
  }

  function drawEvents() {
    frame = null;
    const lines = pending.map(consoleLine).reverse();
    pending = [];
    consoleList.prepend(...lines);
    while (consoleList.childElementCount > CONSOLE_LINES_MAX) consoleList.lastElementChild.remove();
  }

  function consoleLine(event) {
    const lead = event.stream.startsWith("lead-") ? event.stream.slice(5) : null;
    return h("li", { class: `console-line ev-${event.type}` },
      time(event.at, { clock: true }), " ",
      h("span", { class: "pos" }, `#${event.position}`), " ",
      h("strong", {}, event.type), " ",
      lead ? h("a", { href: `#/leads/${lead}` }, describeEvent(event) || lead) : describeEvent(event),
      h("span", { class: "muted" }, ` · ${actorLabel(event.actor)}`));
  }

  const refresh = throttle(load, 1000);
  load();
  const feed = liveFeed({ campaign_id: id }, {
    onEvent: (event) => {
      logEvent(event);
      refresh();
      timeline.onEvent(event);
    },
    onState: setLive,
  });
  const timer = setInterval(refresh, 15000);
  loadEligibility();
  const eligibilityTimer = setInterval(eligibilityDue, 1000);
  document.addEventListener("visibilitychange", eligibilityDue);
  return () => {
    stopped = true;
    feed.close();
    timeline.stop();
    clearInterval(timer);
    clearInterval(eligibilityTimer);
    document.removeEventListener("visibilitychange", eligibilityDue);
    if (frame) cancelAnimationFrame(frame);
    document.title = "Leadline";
  };
}
