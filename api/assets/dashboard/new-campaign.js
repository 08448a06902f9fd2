// A new campaign: every setting, a lead list from CSV, and the import report.

import { api, ApiError } from "./api.js";
import { h, fill, num, label, toast } from "./dom.js";

const RETRY_STATUSES = ["no_answer", "busy", "failed", "dropped", "congestion", "voicemail"];
/** The outcomes whose retry delay the form sets on its own (`retry.delay_minutes_by_status`). */
const STATUS_DELAYS = [["busy", "Busy retry delay (minutes)"], ["no_answer", "No answer retry delay (minutes)"]];
const REGIONS = ["IN", "US", "GB", "AE", "SA", "SG", "MY", "ID", "PH", "AU", "NZ", "CA", "DE", "FR", "ES", "IT", "NL", "BR", "MX", "ZA", "NG", "KE", "PK", "BD", "LK", "NP"];
/** The largest CSV the server takes (its `CSV_BODY_BYTES_MAX`). */
const CSV_BYTES_MAX = 256 * 1024 * 1024;

/** Why `file` cannot be uploaded, or null. */
function tooLarge(file) {
  return file.size > CSV_BYTES_MAX
    ? `The file is ${num(file.size)} bytes; the most one upload takes is ${num(CSV_BYTES_MAX)}.` : null;
}

/** The two lead-list templates, to download. */
function templateLinks() {
  return h("p", { class: "hint" }, "Templates: ",
    h("a", { href: "/assets/templates/leads-basic.csv", download: "leads-basic.csv" }, "basic (phone, name)"), " · ",
    h("a", { href: "/assets/templates/leads-advanced.csv", download: "leads-advanced.csv" }, "advanced (phone, name, priority, timezone, phone2, your own columns)"));
}

function timeZones() {
  try {
    const zones = Intl.supportedValuesOf("timeZone");
    return zones.includes("UTC") ? zones : ["UTC", ...zones];
  } catch {
    return ["UTC", "Asia/Kolkata", "America/New_York", "Europe/London"];
  }
}

function browserZone() {
  try {
    return Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC";
  } catch {
    return "UTC";
  }
}

/** A labelled control; `hint` is read out with it. */
function field(id, text, control, hint) {
  control.id = id;
  if (!control.name) control.name = id;
  if (hint) control.setAttribute("aria-describedby", `${id}-hint`);
  return h("div", { class: "field" },
    h("label", { for: id }, text),
    control,
    hint ? h("p", { class: "hint", id: `${id}-hint` }, hint) : null);
}

const input = (attrs) => h("input", attrs);

/**
 * The fieldsets of a campaign's settings, filled from `campaign` (editing)
 * or with the defaults (a new one). `withOwner` adds the owner picker.
 */
function settingsFieldsets(campaign, withOwner) {
  const c = campaign || {};
  const retry = c.retry || { delay_minutes: 240, dropped_delay_minutes: 5, max_attempts: 3, statuses: RETRY_STATUSES };
  const provider = c.provider || {};
  const localOn = input({ type: "checkbox", id: "local_on", name: "local_on", checked: Boolean(c.local_hours) });
  const localStart = input({ type: "time", value: c.local_hours?.start || "09:00", disabled: !c.local_hours });
  const localEnd = input({ type: "time", value: c.local_hours?.end || "21:00", disabled: !c.local_hours });
  localOn.addEventListener("change", () => {
    localStart.disabled = !localOn.checked;
    localEnd.disabled = !localOn.checked;
  });
  const extra = Object.entries(provider.extra || {}).map(([k, v]) => `${k}=${v}`).join("\n");
  const byStatus = retry.delay_minutes_by_status || {};
  return [
    h("fieldset", {}, h("legend", {}, "Campaign"),
      field("name", "Name", input({ required: true, maxlength: 200, placeholder: "EMI Reminder", value: c.name || "" })),
      withOwner ? field("owner", "Owner", h("select", { required: true }), "The user whose calling limit and do-not-call list apply.") : null,
      field("timezone", "Time zone", input({ list: "timezones", value: c.timezone || browserZone(), required: true, autocomplete: "off" }),
        "IANA zone of the calling window, e.g. Asia/Kolkata."),
      h("datalist", { id: "timezones" }, timeZones().map((z) => h("option", { value: z }))),
      field("default_region", "Default region", input({ list: "regions", maxlength: 2, placeholder: "IN", autocomplete: "off", value: c.default_region || "" }),
        "Country for numbers written without a country code (IN, US, …). Empty: every number needs one."),
      h("datalist", { id: "regions" }, REGIONS.map((r) => h("option", { value: r })))),
    h("fieldset", {}, h("legend", {}, "When to call"),
      h("div", { class: "row" },
        field("first_call_time", "First call", input({ type: "time", value: c.first_call_time || "09:00" })),
        field("last_call_time", "Last call", input({ type: "time", value: c.last_call_time || "18:00" }))),
      h("p", { class: "hint" }, "In the campaign's zone. A last call before the first crosses midnight; equal times call all day."),
      field("start_date", "Start date", input({ type: "date", value: c.start_date || "" }), "Optional: the campaign waits until then."),
      h("div", { class: "field check" }, localOn, h("label", { for: "local_on" }, "Respect local calling hours in each lead's own time zone")),
      h("div", { class: "row" },
        field("local_start", "Local hours from", localStart),
        field("local_end", "Local hours until", localEnd))),
    h("fieldset", {}, h("legend", {}, "Retries and pacing"),
      h("div", { class: "row" },
        field("delay_minutes", "Retry delay (minutes)", input({ type: "number", min: 0, value: retry.delay_minutes })),
        field("dropped_delay_minutes", "Dropped-call retry (minutes)", input({ type: "number", min: 0, value: retry.dropped_delay_minutes })),
        field("max_attempts", "Attempts per lead", input({ type: "number", min: 1, value: retry.max_attempts })),
        field("attempts_per_day_max", "Dials per number per day", input({ type: "number", min: 1, placeholder: "no cap", value: retry.attempts_per_day_max ?? "" })),
        field("dial_delay_ms", "Delay between dials (ms)", input({ type: "number", min: 0, placeholder: "none", value: c.dial_delay_ms ?? "" }))),
      h("div", { class: "row" },
        STATUS_DELAYS.map(([status, text]) => field(`${status}_delay_minutes`, text,
          input({ type: "number", min: 0, placeholder: "retry delay", value: byStatus[status] ?? "" })))),
      h("p", { class: "hint" }, "Optional: a delay of its own for these outcomes. Empty: the retry delay applies."),
      h("div", { class: "field", role: "group", "aria-labelledby": "retry-statuses-label" },
        h("span", { id: "retry-statuses-label", class: "label" }, "Outcomes that are retried"),
        h("div", { class: "checks" }, RETRY_STATUSES.map((s) => h("label", { class: "check" },
          input({ type: "checkbox", name: "retry_status", value: s, checked: retry.statuses.includes(s) }), label(s)))))),
    h("fieldset", {}, h("legend", {}, "Calling rules"),
      h("div", { class: "field check" },
        input({ type: "checkbox", id: "jurisdiction_rules", name: "jurisdiction_rules", checked: c.jurisdiction_rules ?? true, "aria-describedby": "jurisdiction_rules-hint" }),
        h("label", { for: "jurisdiction_rules" }, "Jurisdiction rules")),
      h("p", { class: "hint", id: "jurisdiction_rules-hint" },
        "Hours, caps and holds of each lead's jurisdiction (US, Florida, Oklahoma, Maryland, Canada, India, UK), on top of the window above."),
      h("div", { class: "field check" },
        input({ type: "checkbox", id: "debt_collection", name: "debt_collection", checked: Boolean(c.debt_collection), "aria-describedby": "debt_collection-hint" }),
        h("label", { for: "debt_collection" }, "Debt collection (Reg F)")),
      h("p", { class: "hint", id: "debt_collection-hint" },
        "At most 7 calls per lead in any 7 days, and none within 7 days after an answered call.")),
    h("fieldset", {}, h("legend", {}, "Provider"),
      h("div", { class: "row" },
        field("agent_id", "Agent id", input({ placeholder: "agent-1", value: provider.agent_id || "" })),
        field("caller_id", "Caller id", input({ placeholder: "918047495133", inputmode: "tel", value: provider.caller_id || "" })),
        field("next_action", "Next action", input({ placeholder: "emi", value: provider.next_action || "" }))),
      field("provider_extra", "Other provider settings", h("textarea", { rows: 2, placeholder: "flow_id=1234", value: extra }),
        "One key=value per line; kept as they are and passed to the provider."),
      h("div", { class: "field check" },
        input({ type: "checkbox", id: "detect_voicemail", name: "detect_voicemail", checked: Boolean(c.detect_voicemail), "aria-describedby": "detect_voicemail-hint" }),
        h("label", { for: "detect_voicemail" }, "Detect voicemail: a call a machine answers ends as voicemail, not answered")),
      h("p", { class: "hint", id: "detect_voicemail-hint" }, "Asks the provider for answering-machine detection (Twilio). Voice-agent platforms report voicemail either way.")),
  ];
}

export function newCampaignPage(root, { me }) {
  const error = h("div", { class: "error", role: "alert", id: "form-error" });
  const result = h("div", { id: "create-result" });
  const file = input({ type: "file", accept: ".csv,text/csv" });

  const form = h("form", { class: "card form", id: "new-campaign", novalidate: true },
    settingsFieldsets(null, me.admin),
    h("fieldset", {}, h("legend", {}, "Leads"),
      field("leads_file", "Lead list (CSV)", file, "Header row with a phone column; phone2…phone5 (other numbers of the lead), name, priority, timezone and any other columns are optional."),
      templateLinks()),
    error,
    h("div", { class: "actions" },
      h("button", { type: "submit", class: "btn btn-primary", id: "create" }, "Create campaign"),
      h("a", { class: "btn btn-quiet", href: "#/campaigns" }, "Cancel")));
  const owner = form.querySelector("#owner");

  fill(root, h("p", { class: "crumbs" }, h("a", { href: "#/campaigns" }, "← Campaigns")),
    h("h1", {}, "New campaign"), form, result);

  if (owner) {
    api("GET", "/users").then(({ users }) => {
      fill(owner, users.length ? users.map((u) => h("option", { value: u.id }, `${u.name} (${u.id})`))
        : h("option", { value: "" }, "No users yet: create one on the Users page"));
    }).catch((e) => { error.textContent = e.message; });
  }

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    error.textContent = "";
    let body;
    try {
      body = campaignBody(form, me);
    } catch (problem) {
      error.textContent = problem.message;
      return;
    }
    const chosen = file.files[0];
    if (chosen && tooLarge(chosen)) {
      error.textContent = tooLarge(chosen);
      return;
    }
    const submit = form.querySelector("#create");
    submit.disabled = true;
    submit.textContent = "Creating…";
    let campaign;
    try {
      campaign = await api("POST", "/campaigns", { json: body });
    } catch (problem) {
      error.textContent = problem instanceof ApiError && problem.title
        ? `${problem.title}: ${problem.detail}` : problem.message;
      submit.disabled = false;
      submit.textContent = "Create campaign";
      return;
    }
    form.hidden = true;
    fill(result, h("section", { class: "card", "aria-labelledby": "created-title" },
      h("h2", { id: "created-title" }, `Campaign “${campaign.name}” created`),
      h("div", { id: "import-area" }),
      h("div", { class: "actions" },
        h("a", { class: "btn btn-primary", href: `#/campaigns/${campaign.id}`, id: "open-campaign" }, "Open campaign"))));
    const area = result.querySelector("#import-area");
    if (chosen) {
      fill(area, h("p", { class: "muted" }, `Importing ${chosen.name}…`));
      try {
        const report = await uploadFile(campaign.id, chosen);
        fill(area, importReport(report));
      } catch (problem) {
        fill(area, h("p", { class: "error", role: "alert" }, `The leads were not imported: ${problem.message}. `,
          "Open the campaign to upload them again."));
      }
    } else {
      fill(area, h("p", { class: "muted" }, "No lead list yet: open the campaign to upload one."));
    }
  });
  return null;
}

/**
 * The request body from the form; throws an Error on a bad value. Editing
 * (`edit`), an emptied optional setting is sent as `null`, which clears it.
 */
function campaignBody(form, me, edit = false) {
  const none = edit ? null : undefined;
  const value = (name) => form.elements[name]?.value.trim() ?? "";
  const number = (name) => {
    const text = value(name);
    if (text === "") return undefined;
    const n = Number(text);
    if (!Number.isInteger(n) || n < 0) throw new Error(`${name.replaceAll("_", " ")} must be a whole number, not “${text}”.`);
    return n;
  };
  const name = value("name");
  if (!name) throw new Error("The campaign needs a name.");
  const body = { name, timezone: value("timezone") || "UTC" };
  if (me.admin && !edit) body.owner = value("owner");
  if (value("first_call_time")) body.first_call_time = value("first_call_time");
  if (value("last_call_time")) body.last_call_time = value("last_call_time");
  body.start_date = value("start_date") || none;
  body.default_region = value("default_region").toUpperCase() || none;
  body.local_hours = form.elements.local_on.checked ? { start: value("local_start"), end: value("local_end") } : none;
  body.retry = {
    delay_minutes: number("delay_minutes"),
    dropped_delay_minutes: number("dropped_delay_minutes"),
    max_attempts: number("max_attempts"),
    attempts_per_day_max: number("attempts_per_day_max") ?? none,
    statuses: [...form.querySelectorAll("input[name=retry_status]:checked")].map((c) => c.value),
  };
  // The map replaces the one set before: delays of other statuses (set
  // through the API) are kept as they were.
  const delays = { ...(form.dataset.otherDelays ? JSON.parse(form.dataset.otherDelays) : {}) };
  for (const [status] of STATUS_DELAYS) {
    const minutes = number(`${status}_delay_minutes`);
    if (minutes !== undefined) delays[status] = minutes;
  }
  if (edit || Object.keys(delays).length) body.retry.delay_minutes_by_status = delays;
  body.dial_delay_ms = number("dial_delay_ms") ?? none;
  body.jurisdiction_rules = form.elements.jurisdiction_rules.checked;
  body.debt_collection = form.elements.debt_collection.checked;
  body.detect_voicemail = form.elements.detect_voicemail.checked;
  const provider = {};
  for (const key of ["agent_id", "caller_id", "next_action"]) if (value(key)) provider[key] = value(key);
  for (const [i, line] of value("provider_extra").split("\n").entries()) {
    if (!line.trim()) continue;
    const eq = line.indexOf("=");
    if (eq <= 0) throw new Error(`Other provider settings, line ${i + 1}: write key=value.`);
    provider[line.slice(0, eq).trim()] = line.slice(eq + 1).trim();
  }
  if (Object.keys(provider).length) body.provider = provider;
  return body;
}

/** Sends a CSV file as the campaign's new leads; resolves to the import report. */
export function uploadFile(campaignId, file) {
  return api("POST", `/campaigns/${encodeURIComponent(campaignId)}/leads`, { body: file, contentType: "text/csv" });
}

/** The import report: what was imported, skipped and refused, row by row. */
export function importReport(report) {
  const shown = report.invalid.length;
  return h("div", { class: "report", id: "import-report", role: "status" },
    h("h3", {}, "Import report"),
    h("dl", { class: "stats" },
      h("div", {}, h("dt", {}, "rows"), h("dd", {}, num(report.rows))),
      h("div", {}, h("dt", {}, "imported"), h("dd", { dataset: { stat: "imported" } }, num(report.imported))),
      h("div", {}, h("dt", {}, "duplicates skipped"), h("dd", { dataset: { stat: "duplicates" } }, num(report.duplicates))),
      h("div", {}, h("dt", {}, "do-not-call"), h("dd", { dataset: { stat: "dnc" } }, num(report.dnc))),
      h("div", {}, h("dt", {}, "invalid"), h("dd", { dataset: { stat: "invalid" } }, num(report.invalid_total)))),
    shown ? h("div", { class: "table-wrap" },
      h("table", {},
        h("caption", {}, report.invalid_total > shown ? `Invalid rows (the first ${num(shown)} of ${num(report.invalid_total)})` : "Invalid rows"),
        h("thead", {}, h("tr", {}, ["row", "phone", "why"].map((c) => h("th", { scope: "col" }, c)))),
        h("tbody", {}, report.invalid.map((r) => h("tr", {}, h("td", {}, String(r.row)), h("td", {}, r.phone), h("td", {}, r.error))))))
      : null);
}

/** A small form that uploads more leads into an existing campaign. */
export function uploadForm(campaignId, onDone) {
  const file = input({ type: "file", accept: ".csv,text/csv", id: "more-leads-file", required: true });
  const out = h("div", {});
  const button = h("button", { type: "submit", class: "btn" }, "Upload");
  const form = h("form", { class: "upload" },
    h("label", { for: "more-leads-file" }, "Lead list (CSV)"), file, button,
    templateLinks(),
    out);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const chosen = file.files[0];
    if (!chosen) {
      fill(out, h("p", { class: "error", role: "alert" }, "Choose a CSV file first."));
      return;
    }
    if (tooLarge(chosen)) {
      fill(out, h("p", { class: "error", role: "alert" }, tooLarge(chosen)));
      return;
    }
    button.disabled = true;
    fill(out, h("p", { class: "muted" }, `Importing ${chosen.name}…`));
    try {
      fill(out, importReport(await uploadFile(campaignId, chosen)));
      file.value = "";
      onDone();
    } catch (problem) {
      fill(out, h("p", { class: "error", role: "alert" }, problem.message));
    } finally {
      button.disabled = false;
    }
  });
  return form;
}

/** A campaign's settings, edited in place (PATCH). */
export function editCampaignPage(root, { params, me }) {
  const [id] = params;
  const error = h("div", { class: "error", role: "alert", id: "form-error" });
  const back = `#/campaigns/${id}`;
  api("GET", `/campaigns/${encodeURIComponent(id)}`).then((campaign) => {
    const save = h("button", { type: "submit", class: "btn btn-primary" }, "Save settings");
    const form = h("form", { class: "card form", id: "edit-campaign", novalidate: true },
      settingsFieldsets(campaign, false),
      h("p", { class: "hint" }, "Changes apply to the next dial; calls in progress are not affected. Provider settings keep keys not listed here."),
      error,
      h("div", { class: "actions" }, save, h("a", { class: "btn btn-quiet", href: back }, "Cancel")));
    const others = Object.fromEntries(Object.entries(campaign.retry.delay_minutes_by_status || {})
      .filter(([status]) => !STATUS_DELAYS.some(([shown]) => shown === status)));
    form.dataset.otherDelays = JSON.stringify(others);
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      error.textContent = "";
      let body;
      try {
        body = campaignBody(form, me, true);
      } catch (problem) {
        error.textContent = problem.message;
        return;
      }
      save.disabled = true;
      try {
        await api("PATCH", `/campaigns/${encodeURIComponent(id)}`, { json: body });
        toast("Settings saved.");
        location.hash = back;
      } catch (problem) {
        error.textContent = problem.title ? `${problem.title}: ${problem.detail}` : problem.message;
        save.disabled = false;
      }
    });
    fill(root, h("p", { class: "crumbs" }, h("a", { href: back }, "← Campaign")),
      h("h1", {}, `Settings of “${campaign.name}”`), form);
  }).catch((problem) => {
    fill(root, h("p", { class: "crumbs" }, h("a", { href: back }, "← Campaign")),
      h("p", { class: "error", role: "alert" }, problem.message));
  });
  return null;
}
