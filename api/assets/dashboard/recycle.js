// Recycling: choose statuses from the live breakdown, a target status and
// whether dial counts reset; see how many leads it takes, then do it.

import { api, liveFeed } from "./api.js";
import { h, fill, badge, num, pct, throttle, label, confirmAction } from "./dom.js";

/** Statuses a recycle may send leads back to. */
const TARGETS = ["new"];

export function recyclePage(root, { params, setLive }) {
  const [id] = params;
  const selected = new Set();
  let campaign = null;
  const title = h("h1", {}, "Recycle leads");
  const rowsArea = h("div", { id: "recycle-rows" });
  const summary = h("p", { id: "recycle-summary", class: "summary", role: "status", "aria-live": "polite" });
  const result = h("div", { id: "recycle-result", role: "status", "aria-live": "polite" });
  const target = h("select", { id: "target-status" }, TARGETS.map((t) => h("option", { value: t }, label(t))));
  const reset = h("input", { type: "checkbox", id: "reset-dial-count" });
  const reason = h("input", { id: "recycle-reason", maxlength: 200, placeholder: "recycled by operator" });
  const submit = h("button", { type: "submit", class: "btn btn-primary", id: "recycle-submit", disabled: true }, "Recycle");

  const form = h("form", { class: "card form", "aria-labelledby": "recycle-form-title" },
    h("h2", { id: "recycle-form-title" }, "Statuses to recycle"),
    h("p", { class: "hint" }, "Recycled leads go back to the target status and are called again by the retry rules. ",
      "Leads being called, skipped or on the do-not-call list cannot be recycled."),
    h("div", { class: "actions" },
      h("button", { type: "button", class: "btn btn-small", id: "select-recyclable", onclick: selectRecyclable }, "Select recyclable"),
      h("button", { type: "button", class: "btn btn-small", id: "clear-selection", onclick: () => { selected.clear(); render(); } }, "Clear")),
    rowsArea,
    h("div", { class: "row" },
      h("div", { class: "field" }, h("label", { for: "target-status" }, "Target status"), target),
      h("div", { class: "field" }, h("label", { for: "recycle-reason" }, "Reason (kept in each lead's history)"), reason)),
    h("div", { class: "field check" }, reset, h("label", { for: "reset-dial-count" }, "Reset dial count (the leads get their full attempts again)")),
    summary,
    h("div", { class: "actions" }, submit, h("a", { class: "btn btn-quiet", href: `#/campaigns/${id}` }, "Back to the campaign")),
    result);

  fill(root, h("p", { class: "crumbs" }, h("a", { href: `#/campaigns/${id}` }, "← Campaign")), title, form);

  function rows() {
    return campaign ? campaign.stats.breakdown : [];
  }

  /** Leads that a recycle of the current selection takes. */
  function willRecycle() {
    return rows().filter((r) => selected.has(r.status) && r.manually_recyclable).reduce((n, r) => n + r.count, 0);
  }

  function selectRecyclable() {
    for (const row of rows()) if (row.category === "recyclable" && row.manually_recyclable) selected.add(row.status);
    render();
  }

  function render() {
    if (!campaign) return;
    // The same status can show in two categories (e.g. a retryable
    // outcome whose attempts ran out); its checkbox covers both.
    const byStatus = new Map();
    for (const row of rows()) {
      const entry = byStatus.get(row.status) || { status: row.status, count: 0, share: 0, categories: [], manually_recyclable: row.manually_recyclable };
      entry.count += row.count;
      entry.share += row.share;
      entry.categories.push(row.category);
      byStatus.set(row.status, entry);
    }
    const entries = [...byStatus.values()];
    fill(rowsArea, entries.length ? h("div", { class: "table-wrap" }, h("table", {},
      h("caption", { class: "sr-only" }, "Leads by status"),
      h("thead", {}, h("tr", {}, ["", "status", "category", "leads", "share"].map((c) => h("th", { scope: "col" }, c)))),
      h("tbody", {}, entries.map((e) => {
        const box = h("input", {
          type: "checkbox", id: `recycle-${e.status}`, value: e.status,
          checked: selected.has(e.status), disabled: !e.manually_recyclable,
          onchange: (event) => {
            if (event.target.checked) selected.add(e.status);
            else selected.delete(e.status);
            render();
          },
        });
        return h("tr", { class: e.manually_recyclable ? "" : "muted" },
          h("td", {}, box),
          h("td", {}, h("label", { for: `recycle-${e.status}` }, badge(e.status))),
          h("td", {}, e.categories.map((c) => badge(c, "badge-small"))),
          h("td", { class: "num" }, num(e.count)),
          h("td", { class: "num" }, pct(e.share)));
      }))))
      : h("p", { class: "muted" }, "This campaign has no leads."));
    const statuses = [...selected].filter((s) => byStatus.get(s)?.manually_recyclable);
    const count = willRecycle();
    summary.textContent = `${statuses.length} status${statuses.length === 1 ? "" : "es"} selected · ${num(count)} lead${count === 1 ? "" : "s"} will be recycled`;
    submit.disabled = count === 0;
  }

  async function load() {
    try {
      campaign = await api("GET", `/campaigns/${encodeURIComponent(id)}`);
      title.textContent = `Recycle leads of “${campaign.name}”`;
      render();
    } catch (error) {
      fill(rowsArea, h("p", { class: "error", role: "alert" }, error.message));
    }
  }

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const statuses = [...selected].filter((s) => rows().some((r) => r.status === s && r.manually_recyclable));
    const count = willRecycle();
    const ok = await confirmAction({
      title: `Recycle ${num(count)} leads?`,
      text: `Leads that are ${statuses.map(label).join(", ")} go back to “${label(target.value)}”` +
        (reset.checked ? " with their dial counts reset." : ", keeping their dial counts."),
      confirm: "Recycle",
    });
    if (!ok) return;
    submit.disabled = true;
    try {
      const answer = await api("POST", `/campaigns/${encodeURIComponent(id)}/recycle`, {
        json: {
          statuses, target_status: target.value, reset_dial_count: reset.checked,
          reason: reason.value.trim() || undefined,
        },
      });
      fill(result, h("p", { class: "message message-ok" }, `Recycled ${num(answer.recycled)} leads.`, " ",
        h("a", { href: `#/campaigns/${id}` }, "Back to the campaign")));
      selected.clear();
    } catch (error) {
      fill(result, h("p", { class: "message message-error", role: "alert" }, error.message));
    }
    await load();
  });

  const refresh = throttle(load, 1000);
  load();
  const feed = liveFeed({ campaign_id: id }, { onEvent: refresh, onState: setLive });
  return () => feed.close();
}
