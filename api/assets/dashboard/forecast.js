// A campaign's forecast: when it will finish, its dials and answers per
// day, its peak calls in flight and the leads it will never reach, from
// POST /campaigns/{id}/forecast (the dialer's engine run on a copy of the
// campaign's state; nothing is written). A draft is forecast as soon as its
// page opens; a running or paused campaign on request, since each forecast
// keeps a core of the server busy for a moment.

import { api } from "./api.js";
import { h, fill, num, pct, label, table } from "./dom.js";

const FORECASTABLE = ["draft", "scheduled", "active", "paused"];

/** Where rates and lengths came from, as people read it. */
const SOURCES = {
  history: "this campaign's own calls",
  request: "the values asked for",
  defaults: "Leadline's defaults",
};

/** A date or time as it reads in `zone`, falling back to the viewer's. */
function inZone(iso, zone, withTime) {
  const options = withTime
    ? { weekday: "short", day: "numeric", month: "short", hour: "2-digit", minute: "2-digit", timeZoneName: "short" }
    : { weekday: "short", day: "numeric", month: "short" };
  let format;
  try {
    format = new Intl.DateTimeFormat(undefined, { ...options, timeZone: zone });
  } catch {
    format = new Intl.DateTimeFormat(undefined, options);
  }
  return format.format(new Date(iso));
}

/** The reasons leads are never reached, readable. */
function stopText(key) {
  if (key === "unfinished") return "Still being called when the forecast ends";
  if (key.startsWith("final:")) return `Final status: ${label(key.slice(6))}`;
  return label(key);
}

/**
 * The forecast card for the campaign page. `update(campaign)` shows or
 * hides it for the campaign's status, and forecasts a draft once.
 */
export function forecastCard(id) {
  const result = h("div", { id: "forecast-result", "aria-live": "polite" });
  const button = h("button", { type: "button", class: "btn btn-small", id: "run-forecast", onclick: () => run() }, "Forecast");
  const intro = h("p", { class: "small" });
  const card = h("section", { class: "card", id: "forecast", "aria-labelledby": "forecast-title", hidden: true },
    h("h2", { id: "forecast-title" }, "Forecast"), intro, h("div", { class: "row" }, button), result);
  let campaign = null;
  let ran = false;
  let running = false;

  async function run() {
    if (running || !campaign) return;
    running = true;
    button.disabled = true;
    fill(result, h("p", { class: "muted", role: "status" }, "Running the dialer on a copy of the campaign…"));
    try {
      const started = performance.now();
      const forecast = await api("POST", `/campaigns/${encodeURIComponent(id)}/forecast`, { json: {} });
      render(forecast, Math.round(performance.now() - started));
    } catch (error) {
      fill(result, h("p", { class: "error", role: "alert" }, error.message));
    } finally {
      running = false;
      button.disabled = false;
    }
  }

  function render(f, ms) {
    const zone = campaign.timezone;
    const finish = f.finish_at
      ? h("p", { id: "forecast-finish" }, "Finishes ", h("strong", {}, h("time", { datetime: f.finish_at }, inZone(f.finish_at, zone, true))),
        ` — ${num(f.by_day.length)} calling ${f.by_day.length === 1 ? "day" : "days"}.`)
      : h("p", { id: "forecast-finish", class: "warning" }, h("strong", {}, "Does not finish: "), f.reason || "");
    // A campaign held back now (a window, a retry delay, a cap) says when
    // it dials again.
    const resumes = f.first_dial_at && new Date(f.first_dial_at) - new Date(f.from) > 60_000
      ? h("p", { id: "forecast-resumes" }, "Nothing is dialed until ",
        h("strong", {}, h("time", { datetime: f.first_dial_at }, inZone(f.first_dial_at, zone, true))), ".")
      : null;
    const unreached = Object.entries(f.never_reached || {}).sort((a, b) => b[1] - a[1]);
    const rates = Object.entries(f.rates).map(([outcome, share]) => `${label(outcome)} ${pct(share)}`).join(", ");
    fill(result,
      finish,
      resumes,
      h("dl", { class: "mini-stats", id: "forecast-figures" },
        h("div", {}, h("dt", {}, "dials"), h("dd", { dataset: { figure: "dials" } }, num(f.dials))),
        h("div", {}, h("dt", {}, "answered"), h("dd", { dataset: { figure: "answered" } }, num(f.answered))),
        h("div", {}, h("dt", {}, "peak in flight"), h("dd", { dataset: { figure: "peak_in_flight" } }, num(f.peak_in_flight))),
        h("div", {}, h("dt", {}, "leads"), h("dd", {}, num(f.leads)))),
      table("Forecast dials and answers per day", ["Day", "Dials", "Answered"],
        f.by_day.map((d) => [inZone(`${d.date}T12:00:00Z`, "UTC", false), num(d.dials), num(d.answered)]),
        "No dials are forecast."),
      unreached.length
        ? [h("h3", {}, "Never reached"),
          h("ul", { id: "forecast-unreached" }, unreached.map(([key, n]) => h("li", { dataset: { rule: key } },
            `${stopText(key)}: `, h("strong", {}, num(n)))))]
        : null,
      h("p", { class: "muted small" },
        `Outcomes drawn at ${rates} (from ${SOURCES[f.rates_from] || f.rates_from}); call lengths from ${SOURCES[f.call_seconds_from] || f.call_seconds_from}. `,
        `Seed ${f.seed}; the same state and seed give the same forecast. Computed in ${num(ms)} ms.`));
  }

  function update(next) {
    campaign = next;
    const shown = FORECASTABLE.includes(next.status) && next.stats.total > 0;
    card.hidden = !shown;
    if (!shown) return;
    const draft = next.status === "draft";
    fill(intro, draft
      ? "What Start would do: the dialer runs on a copy of this campaign and your other active campaigns, on a virtual clock, under every rule in force. Nothing is called or written."
      : "What the dialer will do from now on, run on a copy of this campaign and your other active campaigns under every rule in force. Nothing is called or written.");
    if (draft && !ran) {
      ran = true;
      run();
    }
  }

  return { card, update };
}
