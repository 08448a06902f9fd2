// The signed-in user's contact policy, across all of their campaigns: caps
// per number over rolling windows, and holidays on which numbers of some
// regions are not called. Saved whole (PUT), applied from the next dial.

import { api } from "./api.js";
import { h, fill, num, toast } from "./dom.js";

const PATH = "/users/me/contact-policy";

export function contactPolicyPage(root, { me }) {
  if (me.admin) {
    fill(root, h("div", { class: "page-head" }, h("h1", {}, "Contact policy")),
      h("p", { class: "muted" }, "The admin has no contact policy of its own: each user sets theirs, signed in with their key."));
    return null;
  }
  const summary = h("div", { id: "policy-summary", "aria-live": "polite" });
  const caps = h("div", { id: "policy-caps" });
  const holidays = h("div", { id: "policy-holidays" });
  const error = h("div", { class: "error", role: "alert", id: "policy-error" });
  const save = h("button", { type: "submit", class: "btn btn-primary" }, "Save policy");
  let serial = 0;

  const form = h("form", { class: "card form", id: "contact-policy", novalidate: true, "aria-labelledby": "policy-form-title" },
    h("h2", { id: "policy-form-title" }, "Edit"),
    h("fieldset", {}, h("legend", {}, "Caps per number"),
      h("p", { class: "hint" }, "Dials of one number over a rolling window, counted across all of your campaigns (e.g. at most 3 calls in 24 hours)."),
      caps,
      h("button", { type: "button", class: "btn btn-small", onclick: () => addCap({}, true) }, "Add a cap")),
    h("fieldset", {}, h("legend", {}, "Holidays"),
      h("p", { class: "hint" }, "Dates, in each lead's local time, on which numbers of these regions are not called. Regions are ISO codes separated by commas: US, IN, GB (not UK)."),
      holidays,
      h("button", { type: "button", class: "btn btn-small", onclick: () => addHoliday({}, true) }, "Add a holiday")),
    error,
    h("div", { class: "actions" }, save));

  fill(root,
    h("div", { class: "page-head" }, h("h1", {}, "Contact policy")),
    h("section", { class: "card", "aria-labelledby": "policy-title" },
      h("h2", { id: "policy-title" }, "In force"),
      h("p", { class: "muted small" }, `For every campaign of ${me.name}, on top of each campaign's own settings and the jurisdiction rules.`),
      summary),
    form);

  /** A row of the form with a remove button; `fields` are [id, label, input]. */
  function row(container, fields, what) {
    const item = h("div", { class: "row policy-row" },
      fields.map(([id, text, control]) => h("div", { class: "field" }, h("label", { for: id }, text), control)),
      h("button", { type: "button", class: "btn btn-small btn-quiet", onclick: () => item.remove() },
        "Remove", h("span", { class: "sr-only" }, ` this ${what}`)));
    container.append(item);
    return item;
  }

  function addCap(cap, focus = false) {
    const n = ++serial;
    const calls = h("input", { type: "number", min: 1, max: 100, name: "calls_max", value: cap.calls_max ?? "", placeholder: "3" });
    const hours = h("input", { type: "number", min: 1, max: 744, name: "window_hours", value: cap.window_hours ?? "", placeholder: "24" });
    calls.id = `cap-calls-${n}`;
    hours.id = `cap-hours-${n}`;
    row(caps, [[calls.id, "Calls at most", calls], [hours.id, "In hours", hours]], "cap");
    if (focus) calls.focus();
  }

  function addHoliday(holiday, focus = false) {
    const n = ++serial;
    const date = h("input", { type: "date", name: "date", value: holiday.date || "" });
    const regions = h("input", { name: "regions", value: (holiday.regions || []).join(", "), placeholder: "US, IN", autocomplete: "off" });
    date.id = `holiday-date-${n}`;
    regions.id = `holiday-regions-${n}`;
    row(holidays, [[date.id, "Date", date], [regions.id, "Regions", regions]], "holiday");
    if (focus) date.focus();
  }

  function render(policy) {
    fill(caps);
    fill(holidays);
    policy.per_number.forEach((cap) => addCap(cap));
    policy.holidays.forEach((holiday) => addHoliday(holiday));
    fill(summary,
      h("h3", {}, "Caps per number"),
      policy.per_number.length
        ? h("ul", { class: "policy-summary", id: "policy-caps-in-force" }, policy.per_number.map((cap) =>
          h("li", {}, `at most ${num(cap.calls_max)} call${cap.calls_max === 1 ? "" : "s"} in ${num(cap.window_hours)} h`)))
        : h("p", { class: "muted" }, "No cap of your own."),
      h("h3", {}, "Holidays"),
      policy.holidays.length
        ? h("ul", { class: "policy-summary", id: "policy-holidays-in-force" }, policy.holidays.map((holiday) =>
          h("li", {}, h("time", { datetime: holiday.date }, holiday.date), `: ${holiday.regions.join(", ")}`)))
        : h("p", { class: "muted" }, "No holiday."));
  }

  /** The request body from the form; throws an Error on a value the form can tell is wrong. */
  function policyBody() {
    const whole = (input, text) => {
      const value = input.value.trim();
      const n = Number(value);
      if (!value || !Number.isInteger(n) || n < 1) throw new Error(`${text} must be a whole number of at least 1, not “${value}”.`);
      return n;
    };
    const per_number = [...caps.children].map((item, i) => ({
      calls_max: whole(item.querySelector("[name=calls_max]"), `Cap ${i + 1}: calls at most`),
      window_hours: whole(item.querySelector("[name=window_hours]"), `Cap ${i + 1}: hours`),
    }));
    const days = [...holidays.children].map((item, i) => {
      const date = item.querySelector("[name=date]").value;
      if (!date) throw new Error(`Holiday ${i + 1}: choose a date.`);
      const regions = item.querySelector("[name=regions]").value.split(",").map((r) => r.trim().toUpperCase()).filter(Boolean);
      if (!regions.length) throw new Error(`Holiday ${i + 1}: name at least one region (US, IN, GB, …).`);
      return { date, regions };
    });
    return { per_number, holidays: days };
  }

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    error.textContent = "";
    let body;
    try {
      body = policyBody();
    } catch (problem) {
      error.textContent = problem.message;
      return;
    }
    save.disabled = true;
    try {
      render(await api("PUT", PATH, { json: body }));
      toast("Contact policy saved.");
    } catch (problem) {
      error.textContent = problem.title ? `${problem.title}: ${problem.detail}` : problem.message;
    } finally {
      save.disabled = false;
    }
  });

  api("GET", PATH).then(render).catch((problem) => { error.textContent = problem.message; });
  return null;
}
