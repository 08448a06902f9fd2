// Campaigns: one row each with its status, progress and counters, filtered
// by status, kept current by the live feed.

import { api, liveFeed, query } from "./api.js";
import { h, fill, badge, num, progressBar, throttle, time, label, personName } from "./dom.js";
import { sparkline } from "./timeline.js";

const SPARK_STATUSES = ["active", "scheduled", "paused"];
const SPARKS_MAX = 12;
const SPARKS_AT_ONCE = 3;
const SPARK_EVERY_MS = 30_000;

export const CAMPAIGN_STATUSES = ["draft", "scheduled", "active", "paused", "completed", "cancelled", "archived"];

export function campaignsPage(root, { search, setLive, me }) {
  const status = search.get("status") || "";
  const list = h("div", { id: "campaign-list", "aria-live": "polite", "aria-busy": "true" });
  const filters = h("nav", { class: "filters", "aria-label": "Filter by status" },
    [["", "All"], ...CAMPAIGN_STATUSES.map((s) => [s, label(s)])].map(([value, text]) =>
      h("a", {
        href: value ? `#/campaigns?status=${value}` : "#/campaigns",
        class: `chip ${value === status ? "chip-on" : ""}`,
        "aria-current": value === status ? "page" : false,
      }, text)));
  fill(root,
    h("div", { class: "page-head" },
      h("h1", {}, "Campaigns"),
      h("a", { class: "btn btn-primary", href: "#/campaigns/new" }, "New campaign")),
    filters,
    list);

  let stopped = false;
  async function load() {
    try {
      const { campaigns } = await api("GET", `/campaigns${query({ status })}`);
      if (stopped) return;
      const shown = status ? campaigns : campaigns.filter((c) => c.status !== "archived");
      shown.sort((a, b) => b.created_at.localeCompare(a.created_at));
      fill(list, shown.length ? shown.map((c) => row(c, me.admin)) : empty(status));
      shown.forEach((c) => list.querySelector(`[data-id="${c.id}"] .mini-stats`)?.after(activity(c)));
      wantSparks(shown);
      list.setAttribute("aria-busy", "false");
    } catch (error) {
      if (!stopped) fill(list, h("p", { class: "error", role: "alert" }, error.message));
    }
  }
  // Each running campaign's last hour, as a sparkline: read lazily, at
  // most SPARKS_AT_ONCE at a time, each at most every SPARK_EVERY_MS.
  const sparks = new Map();
  let sparkQueue = [];
  let sparksLoading = 0;
  function wantSparks(campaigns) {
    const due = campaigns.filter((c) => SPARK_STATUSES.includes(c.status)
      && Date.now() - (sparks.get(c.id)?.at || 0) >= SPARK_EVERY_MS).slice(0, SPARKS_MAX);
    sparkQueue = due.filter((c) => !sparkQueue.some((q) => q.id === c.id)).concat(sparkQueue).slice(0, SPARKS_MAX);
    while (sparksLoading < SPARKS_AT_ONCE && sparkQueue.length) loadSpark(sparkQueue.shift());
  }
  async function loadSpark(campaign) {
    sparksLoading += 1;
    const entry = sparks.get(campaign.id) || {};
    entry.at = Date.now();
    sparks.set(campaign.id, entry);
    try {
      const to = new Date(Math.ceil(Date.now() / 60_000) * 60_000);
      const from = new Date(to.getTime() - 60 * 60_000);
      entry.line = await api("GET", `/campaigns/${encodeURIComponent(campaign.id)}/timeline${query({
        bucket: "minute", from: from.toISOString(), to: to.toISOString() })}`);
      const holder = !stopped && list.querySelector(`[data-id="${campaign.id}"] .spark-holder`);
      if (holder) fill(holder, sparkline(entry.line, campaign.name), h("span", { class: "muted small" }, "last hour"));
    } catch {
      // No sparkline this time; the next round asks again.
    } finally {
      sparksLoading -= 1;
      if (!stopped && sparkQueue.length) loadSpark(sparkQueue.shift());
    }
  }
  function activity(c) {
    const s = c.stats;
    const spark = sparks.get(c.id)?.line;
    return h("div", { class: "campaign-spark" },
      h("dl", { class: "mini-stats" }, h("div", { title: "leads answered of leads called" },
        h("dt", {}, "answer rate"), h("dd", { dataset: { stat: "answer_rate" } }, s.called ? `${(100 * s.answered / s.called).toFixed(1)}%` : "–"))),
      h("div", { class: "spark-holder" }, spark ? [sparkline(spark, c.name), h("span", { class: "muted small" }, "last hour")] : null));
  }

  const refresh = throttle(load, 1000);
  load();
  const feed = liveFeed({}, { onEvent: refresh, onState: setLive });
  // "scheduled" turns "active" when a window opens, without an event.
  const timer = setInterval(refresh, 15000);
  return () => {
    stopped = true;
    feed.close();
    clearInterval(timer);
  };
}

function empty(status) {
  return h("div", { class: "card empty" },
    h("p", {}, status ? `No ${label(status)} campaigns.` : "No campaigns yet."),
    h("a", { class: "btn btn-primary", href: "#/campaigns/new" }, "Create a campaign"));
}

function row(campaign, showOwner) {
  const s = campaign.stats;
  return h("article", { class: "campaign-row card", dataset: { id: campaign.id, status: campaign.status } },
    h("div", { class: "campaign-title" },
      h("h2", {}, h("a", { href: `#/campaigns/${campaign.id}` }, campaign.name)),
      badge(campaign.status)),
    h("div", { class: "campaign-progress" },
      progressBar(s, `${campaign.name} progress`),
      h("span", { class: "progress-text" }, s.progress)),
    h("dl", { class: "mini-stats" },
      stat("leads", s.total), stat("pending", s.pending), stat("in flight", s.in_flight),
      stat("answered", s.answered), stat("dials", s.dials)),
    h("p", { class: "muted small" }, showOwner ? `${personName(campaign.owner)} · ` : "", "Created ", time(campaign.created_at), ` · ${campaign.timezone}`,
      ` · ${windowText(campaign)}`));
}

function stat(name, value) {
  return h("div", {}, h("dt", {}, name), h("dd", {}, num(value)));
}

/** The calling window as people read it. */
export function windowText(campaign) {
  return campaign.first_call_time === campaign.last_call_time
    ? "calls all day"
    : `calls ${campaign.first_call_time}–${campaign.last_call_time}`;
}
