// A lead: its fields and numbers, its calls (each with the number it
// dialed), its whole history as a timeline (who did what, when and why),
// and a disposition.

import { api, liveFeed, query } from "./api.js";
import {
  h, fill, badge, num, throttle, time, relative, label, describeEvent, actorLabel, section, table, toast,
} from "./dom.js";

const DISPOSITIONS = ["sale", "not_interested", "callback", "dnc"];

export function leadPage(root, { params, setLive }) {
  const [id] = params;
  const crumbs = h("p", { class: "crumbs" });
  const head = h("div", { class: "page-head" });
  const fields = h("div", {});
  const why = h("div", { id: "lead-why", role: "status", "aria-live": "polite" });
  const calls = h("div", {});
  const timeline = h("ol", { class: "timeline", id: "timeline", "aria-label": "History" });
  const disposition = h("div", {});
  const asOf = h("div", { id: "as-of", role: "status", "aria-live": "polite" });
  fill(root, crumbs, head,
    h("div", { class: "grid-2" },
      section("lead-fields", "Lead", fields, why),
      section("lead-calls", "Calls", calls, disposition)),
    section("history", "History",
      h("p", { class: "muted small" }, "Every event of this lead, oldest first, from the log. “State then” replays the log up to that event."),
      asOf, timeline));

  let campaignId = null;
  let feed = null;

  async function load() {
    try {
      const [lead, history, log, eligibility] = await Promise.all([
        api("GET", `/leads/${encodeURIComponent(id)}`),
        api("GET", `/leads/${encodeURIComponent(id)}/history`),
        api("GET", `/calls${query({ lead_id: id })}`),
        api("GET", `/leads/${encodeURIComponent(id)}/eligibility`),
      ]);
      render(lead, history, log);
      renderWhy(eligibility);
      if (!feed) {
        campaignId = lead.campaign_id;
        feed = liveFeed({ campaign_id: campaignId }, {
          onEvent: (event) => { if (event.stream === `lead-${id}`) refresh(); },
          onState: setLive,
        });
      }
    } catch (error) {
      fill(root, h("p", { class: "crumbs" }, h("a", { href: "#/campaigns" }, "← Campaigns")),
        h("p", { class: "error", role: "alert" }, error.message));
    }
  }

  function render(lead, history, log) {
    fill(crumbs, h("a", { href: `#/campaigns/${lead.campaign_id}` }, "← Campaign"));
    fill(head, h("div", { class: "campaign-title" }, h("h1", {}, lead.name ? `${lead.name} · ${lead.phone}` : lead.phone), badge(lead.status)));
    document.title = `${lead.phone} · Leadline`;
    const item = (name, value) => [h("dt", {}, name), h("dd", {}, value === null || value === undefined || value === "" ? "–" : value)];
    fill(fields, h("dl", { class: "settings" },
      item(lead.phones?.length > 1 ? "numbers" : "number", h("ul", { class: "phones", id: "lead-phones", "aria-label": "Numbers of this lead" },
        (lead.phones?.length ? lead.phones : [lead.phone]).map((phone, i) => h("li", {},
          h("span", { class: "phone" }, phone), i === 0 ? h("span", { class: "badge badge-small" }, "main") : null)))),
      item("name", lead.name),
      item("status", badge(lead.status)),
      item("priority", String(lead.priority)),
      item("time zone", lead.timezone),
      item("dial attempts", num(lead.dial_attempts)),
      item("answered", num(lead.answered_count)),
      item("last dial", lead.last_dial_attempt ? time(lead.last_dial_attempt) : null),
      item("last result", lead.dial_result ? label(lead.dial_result) : null),
      item("last status change", time(lead.last_status_change)),
      item("next eligible", lead.next_eligible_at ? [time(lead.next_eligible_at), " ", h("span", { class: "muted" }, relative(lead.next_eligible_at))] : null),
      item("callback at", lead.callback_at ? time(lead.callback_at) : null),
      item("imported", time(lead.imported_at)),
      Object.entries(lead.fields || {}).map(([k, v]) => item(k, typeof v === "string" ? v : JSON.stringify(v))),
      item("lead id", lead.id)));
    fill(calls, table("Calls of this lead", ["started", "number dialed", "status", "attempt", "length", "error"], log.calls.map((c) => [
      time(c.started_at), h("span", { class: "phone" }, c.phone || lead.phone), badge(c.status), String(c.attempt),
      c.duration_secs !== null && c.duration_secs !== undefined ? `${c.duration_secs} s` : c.ended_at ? "" : "in progress",
      c.error || "",
    ]), "Not called yet."));
    fill(timeline, history.events.map((event) => h("li", { class: `timeline-item ev-${event.type}` },
      h("div", { class: "timeline-when" }, time(event.at)),
      h("div", { class: "timeline-what" },
        h("strong", {}, event.type),
        describeEvent(event) ? h("span", {}, ` ${describeEvent(event)}`) : null),
      h("div", { class: "timeline-who muted small" }, `by ${actorLabel(event.actor)} · position ${event.position}`,
        event.correlation_id ? ` · correlation ${event.correlation_id}` : "", " ",
        h("button", {
          type: "button", class: "btn btn-small btn-quiet", onclick: () => showAsOf(event),
        }, "State then", h("span", { class: "sr-only" }, ` (the lead after event ${event.position})`))))));
    if (!disposition.childElementCount) fill(disposition, dispositionForm(id, refresh));
  }

  /** Whether the lead may be dialed now, and every rule holding it back. */
  function renderWhy(eligibility) {
    if (eligibility.standing !== "held") {
      const said = {
        eligible: "It may be dialed now.",
        in_flight: "A call to it is in flight.",
        finished: "It is finished: nothing is left to call.",
      }[eligibility.standing] || "";
      fill(why, h("p", { class: "muted small" }, said));
      return;
    }
    fill(why,
      h("h3", {}, "Why it is not called"),
      h("ul", { class: "why", "aria-label": "Rules holding this lead back" },
        eligibility.reasons.map((reason) => h("li", {},
          h("code", {}, reason.rule), " ", reason.detail,
          reason.until ? h("span", { class: "muted" }, ` — until ${time(reason.until)}`) : null))),
      h("p", { class: "small" }, eligibility.eligible_at
        ? ["Dialable at ", time(eligibility.eligible_at), " ", h("span", { class: "muted" }, relative(eligibility.eligible_at))]
        : "Waiting alone will not make it dialable."));
  }

  /** The lead as the log says it was right after `event`. */
  async function showAsOf(event) {
    try {
      const past = await api("GET", `/leads/${encodeURIComponent(id)}/history${query({ as_of: event.at })}`);
      const lead = past.lead;
      fill(asOf, h("div", { class: "message" },
        h("strong", {}, "As of "), time(past.as_of), ` (after ${event.type}, position ${event.position}): `,
        lead ? [badge(lead.status), ` · ${num(lead.dial_attempts)} dial attempts · ${num(lead.answered_count)} answered`,
          lead.dial_result ? ` · last result ${label(lead.dial_result)}` : ""] : "not imported yet",
        " ", h("button", { type: "button", class: "btn btn-small btn-quiet", onclick: () => fill(asOf) }, "Close")));
    } catch (error) {
      toast(error.message, "error");
    }
  }

  const refresh = throttle(load, 500);
  load();
  return () => {
    if (feed) feed.close();
    document.title = "Leadline";
  };
}

/** Records how a conversation went (sale, not interested, callback, do-not-call). */
function dispositionForm(leadId, onDone) {
  const status = h("select", { id: "disposition-status" }, DISPOSITIONS.map((d) => h("option", { value: d }, label(d))));
  const at = h("input", { type: "datetime-local", id: "callback-at", disabled: true });
  status.addEventListener("change", () => { at.disabled = status.value !== "callback"; });
  const form = h("form", { class: "upload", "aria-labelledby": "disposition-title" },
    h("h3", { id: "disposition-title" }, "Disposition"),
    h("div", { class: "row" },
      h("div", { class: "field" }, h("label", { for: "disposition-status" }, "Outcome"), status),
      h("div", { class: "field" }, h("label", { for: "callback-at" }, "Call back at"), at)),
    h("button", { type: "submit", class: "btn" }, "Record"));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const body = { status: status.value };
    if (status.value === "callback") {
      if (!at.value) {
        toast("Choose when to call back.", "error");
        return;
      }
      body.callback_at = new Date(at.value).toISOString();
    }
    try {
      await api("POST", `/leads/${encodeURIComponent(leadId)}/disposition`, { json: body });
      toast(`Recorded: ${label(status.value)}.`);
      onDone();
    } catch (error) {
      toast(error.message, "error");
    }
  });
  return form;
}
