// Results out: a campaign's leads and its call log downloaded as CSV files
// (GET /campaigns/{id}/leads.csv and /calls.csv?campaign_id=). The file is
// fetched with the signed-in key in the Authorization header (never in the
// URL), gathered into a Blob as it streams in, then saved through a
// temporary <a download>. Progress and errors are announced in the card.

import { session, query } from "./api.js";
import { h, num } from "./dom.js";

/** A file name from a Content-Disposition header, or `fallback`. */
function filenameOf(disposition, fallback) {
  const match = /filename="([^"]+)"/.exec(disposition || "");
  return match ? match[1] : fallback;
}

/** Why a download failed, from a problem+json answer when there is one. */
async function problemText(response) {
  const text = await response.text();
  try {
    const problem = JSON.parse(text);
    return problem.detail || problem.title || `HTTP ${response.status}`;
  } catch {
    return text.slice(0, 300) || `HTTP ${response.status}`;
  }
}

/** Fetches `/api/v1{path}` as a file, reporting the bytes received to `progress`. */
async function download(path, fallback, progress) {
  const headers = { Accept: "text/csv" };
  if (session.key) headers.Authorization = `Bearer ${session.key}`;
  let response;
  try {
    response = await fetch(`/api/v1${path}`, { headers });
  } catch {
    throw new Error("The server cannot be reached. Is Leadline running?");
  }
  if (!response.ok) throw new Error(await problemText(response));
  const parts = [];
  let received = 0;
  const reader = response.body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    parts.push(value);
    received += value.length;
    progress(received);
  }
  const name = filenameOf(response.headers.get("Content-Disposition"), fallback);
  const url = URL.createObjectURL(new Blob(parts, { type: "text/csv" }));
  const link = h("a", { href: url, download: name, hidden: true });
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
  return { name, received };
}

/** "12.3 KB" */
function size(bytes) {
  if (bytes < 1024) return `${num(bytes)} bytes`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

/** The export card of campaign `id`'s page. */
export function exportCard(id) {
  const status = h("p", { id: "export-status", class: "message", role: "status", "aria-live": "polite" });
  const buttons = [];
  const start = (path, fallback, what) => async () => {
    for (const b of buttons) b.disabled = true;
    status.className = "message";
    status.textContent = `Preparing ${what}…`;
    try {
      const { name, received } = await download(path, fallback, (bytes) => {
        status.textContent = `Downloading ${what}: ${size(bytes)} received…`;
      });
      status.className = "message message-ok";
      status.textContent = `Saved ${name} (${size(received)}).`;
    } catch (error) {
      status.className = "message message-error";
      status.textContent = `${what[0].toUpperCase()}${what.slice(1)} could not be downloaded: ${error.message}`;
    } finally {
      for (const b of buttons) b.disabled = false;
    }
  };
  const campaign = encodeURIComponent(id);
  buttons.push(
    h("button", { type: "button", class: "btn btn-small", id: "export-leads",
      onclick: start(`/campaigns/${campaign}/leads.csv`, "leads.csv", "the leads") }, "Export leads"),
    h("button", { type: "button", class: "btn btn-small", id: "export-calls",
      onclick: start(`/calls.csv${query({ campaign_id: id })}`, "calls.csv", "the call log") }, "Export calls"),
  );
  return h("section", { class: "card", id: "exports", "aria-labelledby": "exports-title" },
    h("h2", { id: "exports-title" }, "Results out"),
    h("p", { class: "small" }, "Every lead with its status, attempts and fields, or every call with its result, as a CSV file."),
    h("div", { class: "row", role: "group", "aria-label": "Export" }, ...buttons),
    status);
}
