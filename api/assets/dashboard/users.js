// Users (the admin's page): who can run campaigns, how many calls each may
// have in flight, and a new user's API key, shown once.

import { api } from "./api.js";
import { h, fill, num, time, toast, table, knowPeople } from "./dom.js";

export function usersPage(root, { me }) {
  if (!me.admin) {
    fill(root, h("h1", {}, "Users"), h("p", { class: "muted" }, "Only the admin key manages users."));
    return null;
  }
  const list = h("div", { id: "user-list" });
  const created = h("div", { id: "new-user-key", role: "status", "aria-live": "polite" });
  const error = h("div", { class: "error", role: "alert", id: "user-error" });
  const name = h("input", { id: "user-name", required: true, maxlength: 200, placeholder: "Asha" });
  const limit = h("input", { id: "user-limit", type: "number", min: 1, value: 2 });
  const form = h("form", { class: "card form", "aria-labelledby": "new-user-title" },
    h("h2", { id: "new-user-title" }, "New user"),
    h("div", { class: "row" },
      h("div", { class: "field" }, h("label", { for: "user-name" }, "Name"), name),
      h("div", { class: "field" }, h("label", { for: "user-limit" }, "Calls in flight at once"), limit)),
    error,
    h("button", { type: "submit", class: "btn btn-primary" }, "Create user"),
    created);
  fill(root, h("div", { class: "page-head" }, h("h1", {}, "Users")), form,
    h("section", { class: "card", "aria-labelledby": "users-title" }, h("h2", { id: "users-title" }, "Everyone"), list));

  async function load() {
    try {
      const { users } = await api("GET", "/users");
      knowPeople(users);
      fill(list, table("Users", ["name", "id", "calls in flight now", "limit", "created"], users.map((user) => {
        const input = h("input", {
          type: "number", min: 1, value: user.concurrent_calls_limit, id: `limit-${user.id}`, class: "narrow",
        });
        const save = h("button", { type: "button", class: "btn btn-small", onclick: async () => {
          try {
            await api("PATCH", `/users/${encodeURIComponent(user.id)}`, { json: { concurrent_calls_limit: Number(input.value) } });
            toast(`${user.name} may now have ${num(Number(input.value))} calls in flight.`);
            load();
          } catch (problem) {
            toast(problem.message, "error");
          }
        } }, "Save", h("span", { class: "sr-only" }, ` the limit of ${user.name}`));
        return [user.name, h("code", {}, user.id), num(user.in_flight),
          h("span", { class: "row" }, h("label", { for: `limit-${user.id}`, class: "sr-only" }, `Limit of ${user.name}`), input, save),
          time(user.created_at)];
      }), "No users yet."));
    } catch (problem) {
      fill(list, h("p", { class: "error", role: "alert" }, problem.message));
    }
  }

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    error.textContent = "";
    fill(created);
    if (!name.value.trim()) {
      error.textContent = "The user needs a name.";
      return;
    }
    try {
      const user = await api("POST", "/users", {
        json: { name: name.value.trim(), concurrent_calls_limit: Number(limit.value) || undefined },
      });
      fill(created, h("div", { class: "message message-ok" },
        h("p", {}, `${user.name} can sign in with this API key. It is shown only now: hand it over safely.`),
        h("p", {}, h("code", { id: "new-api-key", class: "key" }, user.api_key), " ",
          h("button", { type: "button", class: "btn btn-small", onclick: () => navigator.clipboard?.writeText(user.api_key)
            .then(() => toast("Copied."), () => toast("Select the key and copy it.", "error")) }, "Copy"))));
      name.value = "";
      load();
    } catch (problem) {
      error.textContent = problem.message;
    }
  });
  load();
  return null;
}
