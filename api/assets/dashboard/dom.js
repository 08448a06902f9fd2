// Small helpers to build the page from data. Text always goes in as text
// nodes (never as HTML), so nothing a lead list contains can run as code.

/** Builds an element: h("a", {href: "#/x", class: "btn"}, "text", child, …). */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (key.startsWith("on") && typeof value === "function") {
      el.addEventListener(key.slice(2).toLowerCase(), value);
    } else if (key === "class") {
      el.className = value;
    } else if (key === "dataset") {
      Object.assign(el.dataset, value);
    } else if (key === "value" || key === "checked" || key === "disabled" || key === "selected") {
      el[key] = value;
    } else {
      el.setAttribute(key, value === true ? "" : String(value));
    }
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    if (Array.isArray(child)) append(el, child);
    else el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

/** Replaces everything inside `el`. */
export function fill(el, ...children) {
  el.replaceChildren();
  append(el, children);
  return el;
}

const STATUS_LABELS = {
  no_answer: "no answer",
  in_progress: "in progress",
  not_interested: "not interested",
};

/** A status as people read it: `no_answer` → "no answer". */
export function label(status) {
  return STATUS_LABELS[status] || String(status).replaceAll("_", " ");
}

/** A coloured badge for a campaign status, a lead or call status, or a category. */
export function badge(status, extra = "") {
  return h("span", { class: `badge badge-${status} ${extra}`.trim() }, label(status));
}

const numberFormat = new Intl.NumberFormat();
export function num(n) {
  return n === null || n === undefined ? "–" : numberFormat.format(n);
}

export function pct(share) {
  return `${(share * 100).toFixed(share > 0 && share < 0.001 ? 2 : 1)}%`;
}

const timeFormat = new Intl.DateTimeFormat(undefined, {
  year: "numeric", month: "short", day: "numeric",
  hour: "2-digit", minute: "2-digit", second: "2-digit",
});
const clockFormat = new Intl.DateTimeFormat(undefined, {
  hour: "2-digit", minute: "2-digit", second: "2-digit",
});

/** A time in the viewer's zone, with the exact value on hover. */
export function time(iso, { clock = false } = {}) {
  if (!iso) return h("span", { class: "muted" }, "–");
  const at = new Date(iso);
  if (Number.isNaN(at.getTime())) return h("span", {}, String(iso));
  return h("time", { datetime: iso, title: iso }, (clock ? clockFormat : timeFormat).format(at));
}

/** "2 min ago" / "in 3 h" for a time. */
export function relative(iso, now = Date.now()) {
  if (!iso) return "";
  const seconds = Math.round((new Date(iso).getTime() - now) / 1000);
  const abs = Math.abs(seconds);
  const [value, unit] =
    abs < 60 ? [abs, "s"] : abs < 3600 ? [Math.round(abs / 60), "min"]
      : abs < 86400 ? [Math.round(abs / 3600), "h"] : [Math.round(abs / 86400), "d"];
  return seconds >= 0 ? `in ${value} ${unit}` : `${value} ${unit} ago`;
}

/** The progress bar of a campaign's stats: called, failed and in flight out of total. */
export function progressBar(stats, labelText) {
  const total = Math.max(stats.total, 1);
  const ok = Math.max(stats.called - stats.failed, 0);
  // Widths through the CSSOM: the page's policy forbids inline style attributes.
  const part = (n, cls) => {
    const el = h("span", { class: `bar-part ${cls}` });
    el.style.width = `${(100 * n) / total}%`;
    return el;
  };
  return h("div", {
    class: "bar",
    role: "progressbar",
    "aria-label": labelText || "progress",
    "aria-valuemin": 0,
    "aria-valuemax": stats.total,
    "aria-valuenow": stats.called,
    "aria-valuetext": stats.progress,
  },
  part(ok, "bar-ok"), part(stats.failed, "bar-failed"), part(stats.in_flight, "bar-flight"));
}

/** Calls `fn` at most once per `ms`, the last call always going through. */
export function throttle(fn, ms) {
  let timer = null;
  let last = 0;
  return () => {
    if (timer) return;
    const wait = Math.max(0, last + ms - Date.now());
    timer = setTimeout(() => {
      timer = null;
      last = Date.now();
      fn();
    }, wait);
  };
}

/** Shows a short message in the page's status area. */
export function toast(message, kind = "info") {
  const area = document.getElementById("toasts");
  if (!area) return;
  const item = h("div", { class: `toast toast-${kind}`, role: kind === "error" ? "alert" : "status" }, message);
  area.append(item);
  setTimeout(() => item.remove(), kind === "error" ? 9000 : 5000);
}

/**
 * Asks for confirmation in a modal dialog; resolves to true when confirmed.
 * `danger` colours the confirm button red.
 */
export function confirmAction({ title, text, confirm, danger = false }) {
  return new Promise((resolve) => {
    const dialog = h("dialog", { class: "dialog", "aria-labelledby": "dialog-title" },
      h("h2", { id: "dialog-title" }, title),
      h("p", {}, text),
      h("form", { method: "dialog", class: "actions" },
        h("button", { value: "cancel", class: "btn" }, "Cancel"),
        h("button", { value: "confirm", class: danger ? "btn btn-danger" : "btn btn-primary" }, confirm)));
    dialog.addEventListener("close", () => {
      resolve(dialog.returnValue === "confirm");
      dialog.remove();
    });
    document.body.append(dialog);
    dialog.showModal();
  });
}

/** The first line of an event's data: what happened, in words. */
export function describeEvent(event) {
  const body = event.data && typeof event.data === "object" ? Object.values(event.data)[0] || {} : {};
  const parts = [];
  if (body.phone) parts.push(body.phone);
  if (body.name) parts.push(body.name);
  if (body.from && body.to) parts.push(`${label(body.from)} → ${label(body.to)}`);
  else if (body.from) parts.push(`from ${label(body.from)}`);
  if (body.status && typeof body.status === "string") parts.push(label(body.status));
  if (body.attempt) parts.push(`attempt ${body.attempt}`);
  if (body.duration_secs !== undefined && body.duration_secs !== null) parts.push(`${body.duration_secs} s`);
  if (body.reason) parts.push(`reason: ${reasonText(body.reason)}`);
  if (body.error) parts.push(`error: ${body.error}`);
  if (body.message && typeof body.message === "string") parts.push(body.message);
  if (body.reset_dial_count) parts.push("dial count reset");
  return parts.join(" · ");
}

/** A reason as people read it: text, or `{"duplicate": {"of": "l_…"}}` → "duplicate of l_…". */
export function reasonText(reason) {
  if (typeof reason !== "object" || reason === null) return String(reason);
  return Object.entries(reason).map(([kind, detail]) => {
    if (detail === null || typeof detail !== "object") return detail === null ? label(kind) : `${label(kind)}: ${detail}`;
    const rest = Object.entries(detail).map(([k, v]) => `${label(k)} ${typeof v === "object" ? JSON.stringify(v) : v}`).join(", ");
    return rest ? `${label(kind)} ${rest}` : label(kind);
  }).join("; ");
}

const people = new Map();

/** Names for user ids (the signed-in user's, and every user's for the admin). */
export function knowPeople(users) {
  for (const user of users) people.set(user.id, user.name);
}

/** A user's name, or its id when unknown. */
export function personName(id) {
  return people.get(id) || id;
}

/** Who did it, as people read it: `user:u_…` → the user's name, `system:dialer` → "system (dialer)". */
export function actorLabel(actor) {
  if (!actor) return "–";
  if (actor.startsWith("user:") && people.has(actor.slice(5))) return people.get(actor.slice(5));
  const [kind, who] = String(actor).split(":", 2);
  if (kind === "system") return `system (${who || "leadline"})`;
  if (kind === "provider") return `provider (${who || "?"})`;
  if (kind === "admin") return "admin";
  return who ? `${kind} ${who}` : kind;
}

/** A section with a heading; `id` lets tests and links find it. */
export function section(id, title, ...children) {
  return h("section", { class: "card", id, "aria-labelledby": `${id}-title` },
    h("h2", { id: `${id}-title` }, title), ...children);
}

/**
 * A table from column labels and rows of cells. Its wrapper scrolls
 * sideways on a narrow screen, so it can take the focus to be scrolled from
 * the keyboard.
 */
export function table(caption, columns, rows, empty = "Nothing yet.") {
  if (!rows.length) return h("p", { class: "muted empty" }, empty);
  return h("div", { class: "table-wrap", tabindex: 0, role: "region", "aria-label": caption },
    h("table", {},
      h("caption", { class: "sr-only" }, caption),
      h("thead", {}, h("tr", {}, columns.map((c) => h("th", { scope: "col" }, c)))),
      h("tbody", {}, rows.map((cells) => h("tr", {}, cells.map((c) => h("td", {}, c)))))));
}
