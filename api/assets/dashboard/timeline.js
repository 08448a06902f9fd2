// A campaign's activity over time (GET /campaigns/{id}/timeline): dials
// and answers per bucket with the most calls in flight, and the outcome
// mix by hour of day in the campaign's zone. Drawn as plain SVG; each
// chart has a visible legend, a summary and its figures as a table.
//
// Live: feed events of dials and call ends are counted into the newest
// bucket as they come (redrawn at most every REDRAW_MS), and the timeline
// is read again at most every REFETCH_MS, which puts every figure back to
// the projection's.

import { api, query } from "./api.js";
import { h, fill, num, pct, throttle, table, time } from "./dom.js";

const REDRAW_MS = 2_000;
const REFETCH_MS = 12_000;
const SVG = "http://www.w3.org/2000/svg";
const NOMINAL_MS = { minute: 60_000, hour: 3_600_000, day: 86_400_000 };

/** The outcomes as the timeline names them, with how the charts show them. */
export const OUTCOMES = [
  ["answered", "answered", "#1f7a3f"],
  ["voicemail", "voicemail", "#5b3cc4"],
  ["no_answer", "no answer", "#e0a400"],
  ["busy", "busy", "#a15c00"],
  ["dropped", "dropped", "#c2410c"],
  ["congestion", "congestion", "#7b8794"],
  ["failed", "failed", "#b42318"],
];
const ENDS = {
  CallAnswered: "answered", CallNoAnswer: "no_answer", CallBusy: "busy", CallFailed: "failed",
  CallDropped: "dropped", CallCongestion: "congestion", CallVoicemail: "voicemail", CallReclaimed: "failed",
};
const DIALS_COLOR = "#9fb3c8";
const FLIGHT_COLOR = "#8b6fe0";

/** Builds an SVG element (the DOM builder makes HTML ones). */
export function svg(tag, attrs = {}, ...children) {
  const el = document.createElementNS(SVG, tag);
  for (const [key, value] of Object.entries(attrs)) if (value !== null && value !== undefined) el.setAttribute(key, String(value));
  for (const child of children.flat()) if (child) el.append(child);
  return el;
}

function swatch(color, text, line = false) {
  return h("li", {}, svg("svg", { width: 14, height: 10, "aria-hidden": "true", class: "swatch" },
    line ? svg("line", { x1: 0, y1: 5, x2: 14, y2: 5, stroke: color, "stroke-width": 3 })
      : svg("rect", { width: 14, height: 10, rx: 2, fill: color })), " ", text);
}

const ended = (b) => OUTCOMES.reduce((sum, [key]) => sum + (b[key] || 0), 0);
const rate = (answered, ends) => (ends > 0 ? pct(answered / ends) : "–");

/** A bucket's start as read in `zone`. */
function startText(iso, bucket, zone) {
  const options = bucket === "day" ? { day: "numeric", month: "short" }
    : bucket === "hour" ? { day: "numeric", month: "short", hour: "2-digit", minute: "2-digit" }
      : { hour: "2-digit", minute: "2-digit" };
  try {
    return new Intl.DateTimeFormat(undefined, { ...options, timeZone: zone }).format(new Date(iso));
  } catch {
    return new Intl.DateTimeFormat(undefined, options).format(new Date(iso));
  }
}

/** The local hour (0–23) of an instant in `zone`. */
function hourIn(iso, zone) {
  try {
    const text = new Intl.DateTimeFormat("en-GB", { hour: "2-digit", hourCycle: "h23", timeZone: zone }).format(new Date(iso));
    return Number.parseInt(text, 10) % 24;
  } catch {
    return new Date(iso).getUTCHours();
  }
}

/** The activity chart: dials and answers per bucket, the most in flight as a line. */
function activityChart(line) {
  const buckets = line.buckets;
  const W = 720, H = 190, left = 36, bottom = 22, top = 8, right = 8;
  const plotW = W - left - right, plotH = H - top - bottom;
  const max = Math.max(1, ...buckets.map((b) => Math.max(b.dials, b.answered, b.in_flight_max)));
  const y = (v) => top + plotH - (v / max) * plotH;
  const step = plotW / Math.max(1, buckets.length);
  const bar = Math.max(0.5, step * 0.8);
  const bars = [];
  const points = [];
  buckets.forEach((b, i) => {
    const x = left + i * step + (step - bar) / 2;
    if (b.dials) bars.push(svg("rect", { x, y: y(b.dials), width: bar, height: top + plotH - y(b.dials), fill: DIALS_COLOR }));
    if (b.answered) bars.push(svg("rect", { x: x + bar * 0.2, y: y(b.answered), width: bar * 0.6, height: top + plotH - y(b.answered), fill: "#1f7a3f" }));
    points.push(`${(left + i * step + step / 2).toFixed(1)},${y(b.in_flight_max).toFixed(1)}`);
  });
  const label = (x, yy, text, anchor = "start") => svg("text", { x, y: yy, "font-size": 11, fill: "#52606d", "text-anchor": anchor }, text);
  const first = buckets[0], last = buckets[buckets.length - 1];
  return svg("svg", { viewBox: `0 0 ${W} ${H}`, class: "chart", "aria-hidden": "true", focusable: "false" },
    svg("line", { x1: left, y1: top + plotH, x2: W - right, y2: top + plotH, stroke: "#d9e2ec" }),
    svg("line", { x1: left, y1: top, x2: W - right, y2: top, stroke: "#eef1f4" }),
    label(left - 4, top + 10, num(max), "end"),
    label(left - 4, top + plotH, "0", "end"),
    first ? label(left, H - 6, startText(first.start, line.bucket, line.timezone)) : null,
    last && buckets.length > 1 ? label(W - right, H - 6, startText(last.start, line.bucket, line.timezone), "end") : null,
    bars,
    points.length > 1 ? svg("polyline", { points: points.join(" "), fill: "none", stroke: FLIGHT_COLOR, "stroke-width": 2 })
      : points.length ? svg("circle", { cx: points[0].split(",")[0], cy: points[0].split(",")[1], r: 3, fill: FLIGHT_COLOR }) : null);
}

/** Calls ended by local hour of day and outcome, from hour buckets. */
function byHour(line) {
  const hours = Array.from({ length: 24 }, (_, hour) => ({ hour, ...Object.fromEntries(OUTCOMES.map(([k]) => [k, 0])) }));
  for (const b of line.buckets) {
    const row = hours[hourIn(b.start, line.timezone)];
    for (const [key] of OUTCOMES) row[key] += b[key] || 0;
  }
  return hours;
}

function hourChart(hours) {
  const W = 720, H = 170, left = 8, bottom = 20, top = 6;
  const plotW = W - 2 * left, plotH = H - top - bottom;
  const step = plotW / 24;
  const bars = [];
  for (const row of hours) {
    const total = ended(row);
    let yy = top + plotH;
    if (total) {
      for (const [key, , color] of OUTCOMES) {
        const height = (row[key] / total) * plotH;
        if (!height) continue;
        yy -= height;
        bars.push(svg("rect", { x: left + row.hour * step + step * 0.1, y: yy, width: step * 0.8, height, fill: color }));
      }
    }
    if (row.hour % 3 === 0) {
      bars.push(svg("text", { x: left + row.hour * step + step / 2, y: H - 5, "font-size": 11, fill: "#52606d", "text-anchor": "middle" },
        String(row.hour).padStart(2, "0")));
    }
  }
  return svg("svg", { viewBox: `0 0 ${W} ${H}`, class: "chart", "aria-hidden": "true", focusable: "false" },
    svg("line", { x1: left, y1: top + plotH, x2: W - left, y2: top + plotH, stroke: "#d9e2ec" }), bars);
}

/**
 * The "Activity over time" card of a campaign page. `update(campaign)`
 * with each read of the campaign, `onEvent(event)` with each live event.
 */
export function timelineCard(id) {
  const state = { bucket: "minute", line: null, hours: null, zone: "UTC", stopped: false, loading: false };
  const bucketSelect = h("select", { id: "timeline-bucket", onchange: () => { state.bucket = bucketSelect.value; load(); } },
    h("option", { value: "minute" }, "per minute"), h("option", { value: "hour" }, "per hour"), h("option", { value: "day" }, "per day"));
  const summary = h("p", { id: "timeline-summary", class: "chart-summary", "aria-live": "off" });
  const activity = h("figure", { class: "chart-box", id: "timeline-activity" });
  const mix = h("figure", { class: "chart-box", id: "timeline-hours" });
  const card = h("section", { class: "card", id: "timeline", "aria-labelledby": "timeline-title" },
    h("h2", { id: "timeline-title" }, "Activity over time"),
    h("div", { class: "row" },
      h("p", { class: "muted small" }, "Dials and answered calls per bucket, with the most calls in flight; hours and days in the campaign's time zone."),
      h("label", { for: "timeline-bucket" }, "Buckets"), bucketSelect),
    summary, activity, mix);

  async function load() {
    if (state.stopped) return;
    if (state.loading) {
      state.again = true;
      return;
    }
    state.loading = true;
    state.again = false;
    try {
      const path = `/campaigns/${encodeURIComponent(id)}/timeline`;
      const hours = await api("GET", `${path}${query({ bucket: "hour" })}`);
      const line = state.bucket === "hour" ? hours : await api("GET", `${path}${query({ bucket: state.bucket })}`);
      if (state.stopped) return;
      state.hours = hours;
      state.line = line;
      draw();
    } catch (error) {
      if (!state.stopped && !state.line) fill(summary, h("span", { class: "error" }, error.message));
    } finally {
      state.loading = false;
      if (state.again) load();
    }
  }

  function draw() {
    const line = state.line;
    if (!line) return;
    const totals = { dials: 0, answered: 0, ended: 0, flight: 0 };
    for (const b of line.buckets) {
      totals.dials += b.dials;
      totals.answered += b.answered;
      totals.ended += ended(b);
      totals.flight = Math.max(totals.flight, b.in_flight_max);
    }
    fill(summary,
      h("strong", { dataset: { total: "dials" } }, num(totals.dials)), " dials · ",
      h("strong", { dataset: { total: "answered" } }, num(totals.answered)), " answered of ",
      h("strong", { dataset: { total: "ended" } }, num(totals.ended)), " ended · answer rate ",
      h("strong", { dataset: { total: "answer_rate" } }, rate(totals.answered, totals.ended)), " · at most ",
      h("strong", { dataset: { total: "in_flight_max" } }, num(totals.flight)), " in flight");
    const active = line.buckets.filter((b) => b.dials || ended(b) || b.in_flight_max);
    const shown = active.slice(-60);
    fill(activity,
      h("figcaption", {}, `Dials, answers and calls in flight ${line.bucket === "minute" ? "per minute" : `per ${line.bucket}`}`),
      h("ul", { class: "chart-legend", "aria-label": "Legend" },
        swatch(DIALS_COLOR, "dials"), swatch("#1f7a3f", "answered"), swatch(FLIGHT_COLOR, "most in flight", true)),
      line.buckets.length ? activityChart(line) : h("p", { class: "muted empty" }, "No calls yet."),
      active.length ? h("details", {},
        h("summary", {}, `The figures as a table${active.length > shown.length ? ` (latest ${shown.length} of ${active.length} active buckets)` : ""}`),
        table(`Activity per ${line.bucket}`, ["start", "dials", "answered", "ended", "answer rate", "most in flight"],
          shown.map((b) => [time(b.start, { clock: line.bucket === "minute" }), num(b.dials), num(b.answered), num(ended(b)),
            b.answer_rate === null || b.answer_rate === undefined ? rate(b.answered, ended(b)) : pct(b.answer_rate), num(b.in_flight_max)]))) : null);
    const hours = state.hours ? byHour(state.hours) : [];
    const called = hours.filter((row) => ended(row) > 0);
    fill(mix,
      h("figcaption", {}, `Outcomes by hour of day (${line.timezone})`),
      h("ul", { class: "chart-legend", "aria-label": "Legend" }, OUTCOMES.map(([, text, color]) => swatch(color, text))),
      called.length ? hourChart(hours) : h("p", { class: "muted empty" }, "No call has ended yet."),
      called.length ? h("details", {},
        h("summary", {}, "The figures as a table"),
        table("Outcomes by hour of day", ["hour", "ended", ...OUTCOMES.map(([, text]) => text), "answer rate"],
          called.map((row) => [`${String(row.hour).padStart(2, "0")}:00`, num(ended(row)),
            ...OUTCOMES.map(([key]) => num(row[key])), rate(row.answered, ended(row))]))) : null);
  }

  /** Counts a live event into the newest bucket of `line` (a later one when due). */
  function count(line, event, field) {
    if (!line || !event.at) return false;
    const at = Date.parse(event.at);
    const step = NOMINAL_MS[line.bucket];
    let last = line.buckets[line.buckets.length - 1];
    if (!last) {
      if (line.bucket === "day") return false;
      last = blank(new Date(Math.floor(at / step) * step).toISOString());
      line.buckets.push(last);
    }
    const start = Date.parse(last.start);
    if (at < start) return false;
    if (at >= start + step) {
      if (line.bucket === "day") return false;
      last = blank(new Date(start + Math.floor((at - start) / step) * step).toISOString());
      line.buckets.push(last);
    }
    last[field] += 1;
    if (field !== "dials") last.answer_rate = null;
    return true;
  }
  function blank(start) {
    return { start, dials: 0, in_flight_max: 0, answer_rate: null, ...Object.fromEntries(OUTCOMES.map(([k]) => [k, 0])) };
  }

  const redraw = throttle(draw, REDRAW_MS);
  const refetch = throttle(load, REFETCH_MS);
  load();
  return {
    card,
    update(campaign) {
      if (campaign && campaign.timezone) state.zone = campaign.timezone;
    },
    onEvent(event) {
      const field = event.type === "LeadDialed" ? "dials" : ENDS[event.type];
      if (!field) return;
      const changed = count(state.line, event, field);
      if (state.hours && state.hours !== state.line) count(state.hours, event, field);
      if (changed) redraw();
      refetch();
    },
    stop() {
      state.stopped = true;
    },
  };
}

/**
 * A sparkline of dials per minute over the last hour (a timeline of
 * minute buckets), with its figures as its accessible name.
 */
export function sparkline(line, name) {
  const buckets = line.buckets;
  const dials = buckets.reduce((s, b) => s + b.dials, 0);
  const answered = buckets.reduce((s, b) => s + b.answered, 0);
  const max = Math.max(1, ...buckets.map((b) => b.dials));
  const W = 120, H = 28;
  const step = W / Math.max(1, buckets.length - 1);
  const points = buckets.map((b, i) => `${(i * step).toFixed(1)},${(H - 2 - (b.dials / max) * (H - 4)).toFixed(1)}`);
  return svg("svg", { viewBox: `0 0 ${W} ${H}`, width: W, height: H, class: "sparkline", role: "img",
    "aria-label": `${name}: ${dials} dials, ${answered} answered in the last hour` },
    svg("title", {}, `${dials} dials, ${answered} answered in the last hour`),
    points.length > 1 ? svg("polyline", { points: points.join(" "), fill: "none", stroke: "#0b6bcb", "stroke-width": 1.5 }) : null);
}
