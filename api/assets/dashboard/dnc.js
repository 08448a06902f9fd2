// The do-not-call list of a user: numbers that are skipped on import and
// never dialed again. Adding a number also takes its waiting leads out of
// every hopper.

import { api, query } from "./api.js";
import { h, fill, num, toast, confirmAction, personName } from "./dom.js";

export function dncPage(root, { me, search }) {
  const error = h("div", { class: "error", role: "alert", id: "dnc-error" });
  const list = h("div", { id: "dnc-list", "aria-live": "polite" });
  const users = h("select", { id: "dnc-user" });
  let user = me.admin ? search.get("user") || "" : null;

  const phone = h("input", { id: "dnc-phone", required: true, inputmode: "tel", autocomplete: "off", placeholder: "+91 98765 43210" });
  const region = h("input", { id: "dnc-region", maxlength: 2, placeholder: "IN" });
  const reason = h("input", { id: "dnc-reason", maxlength: 200, placeholder: "asked not to be called" });
  const form = h("form", { class: "card form", "aria-labelledby": "dnc-add-title" },
    h("h2", { id: "dnc-add-title" }, "Add a number"),
    h("div", { class: "row" },
      h("div", { class: "field" }, h("label", { for: "dnc-phone" }, "Phone number"), phone),
      h("div", { class: "field" }, h("label", { for: "dnc-region" }, "Region (numbers without a country code)"), region),
      h("div", { class: "field" }, h("label", { for: "dnc-reason" }, "Reason"), reason)),
    h("p", { class: "hint" }, "Its leads that wait in any campaign are taken out of the hopper; calls in progress finish."),
    error,
    h("button", { type: "submit", class: "btn btn-primary" }, "Add to the list"));

  fill(root,
    h("div", { class: "page-head" }, h("h1", {}, "Do not call")),
    me.admin ? h("div", { class: "card row" }, h("label", { for: "dnc-user" }, "User"), users) : null,
    form,
    h("section", { class: "card", "aria-labelledby": "dnc-list-title" }, h("h2", { id: "dnc-list-title" }, "Numbers on the list"), list));

  const subject = () => (me.admin ? { user } : {});

  async function load() {
    if (me.admin && !user) {
      fill(list, h("p", { class: "muted" }, "Choose a user."));
      return;
    }
    try {
      const { numbers } = await api("GET", `/dnc${query(subject())}`);
      fill(list, numbers.length
        ? [h("p", { class: "muted small" }, `${num(numbers.length)} number${numbers.length === 1 ? "" : "s"}`),
          h("ul", { class: "dnc-numbers" }, numbers.map((n) => h("li", {},
            h("span", { class: "phone" }, n), " ",
            h("button", { type: "button", class: "btn btn-small btn-quiet", onclick: () => remove(n) },
              "Remove", h("span", { class: "sr-only" }, ` ${n}`)))))]
        : h("p", { class: "muted" }, "The list is empty."));
    } catch (problem) {
      fill(list, h("p", { class: "error", role: "alert" }, problem.message));
    }
  }

  async function remove(number) {
    const ok = await confirmAction({
      title: `Remove ${number}?`,
      text: "It can be dialed again in campaigns imported or recycled from now on.",
      confirm: "Remove", danger: true,
    });
    if (!ok) return;
    try {
      await api("DELETE", `/dnc/${encodeURIComponent(number)}${query(subject())}`);
      toast(`${number} removed from the do-not-call list.`);
    } catch (problem) {
      toast(problem.message, "error");
    }
    load();
  }

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    error.textContent = "";
    if (!phone.value.trim()) {
      error.textContent = "Enter a phone number.";
      return;
    }
    try {
      const added = await api("POST", `/dnc${query(subject())}`, {
        json: {
          phone: phone.value.trim(),
          default_region: region.value.trim().toUpperCase() || undefined,
          reason: reason.value.trim() || undefined,
        },
      });
      toast(`${added.phone} will not be called.`);
      phone.value = "";
      reason.value = "";
      load();
    } catch (problem) {
      error.textContent = problem.message;
    }
  });

  if (me.admin) {
    api("GET", "/users").then(({ users: all }) => {
      fill(users, h("option", { value: "" }, "choose…"), all.map((u) => h("option", { value: u.id }, personName(u.id))));
      users.value = user;
    }).catch((problem) => { error.textContent = problem.message; });
    users.addEventListener("change", () => {
      user = users.value;
      load();
    });
  }
  load();
  return null;
}
