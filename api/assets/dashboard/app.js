// The dashboard's shell: sign in and out, and a router over the page's hash
// (#/campaigns, #/campaigns/new, #/campaigns/{id}, #/campaigns/{id}/recycle,
// #/campaigns/{id}/settings, #/leads/{id}, #/dnc, #/contact-policy,
// #/users). Each page renders into <main> and returns a function that stops
// its live feed and timers when the page is left.

import { api, session, ApiError } from "./api.js";
import { h, fill, knowPeople } from "./dom.js";
import { campaignsPage } from "./campaigns.js";
import { campaignPage } from "./campaign.js";
import { newCampaignPage, editCampaignPage } from "./new-campaign.js";
import { recyclePage } from "./recycle.js";
import { leadPage } from "./lead.js";
import { dncPage } from "./dnc.js";
import { usersPage } from "./users.js";
import { contactPolicyPage } from "./contact-policy.js";

const main = document.getElementById("main");
let leave = null;
let me = null;

const routes = [
  [/^#\/campaigns\/new$/, newCampaignPage],
  [/^#\/campaigns\/([^/]+)\/recycle$/, recyclePage],
  [/^#\/campaigns\/([^/]+)\/settings$/, editCampaignPage],
  [/^#\/campaigns\/([^/]+)$/, campaignPage],
  [/^#\/leads\/([^/]+)$/, leadPage],
  [/^#\/dnc(?:\?.*)?$/, dncPage],
  [/^#\/contact-policy$/, contactPolicyPage],
  [/^#\/users$/, usersPage],
  [/^#\/campaigns(?:\?.*)?$/, campaignsPage],
];

function setLive(state) {
  const el = document.getElementById("live-state");
  if (!el) return;
  const text = { live: "● live", reconnecting: "○ reconnecting…", closed: "" }[state] ?? "";
  el.textContent = text;
  el.className = `live live-${state}`;
}

async function route() {
  if (leave) {
    leave();
    leave = null;
  }
  setLive("closed");
  if (!session.key) {
    showSignedIn(false);
    leave = signInPage(main);
    return;
  }
  if (!me) {
    try {
      await whoAmI();
    } catch (error) {
      if (error instanceof ApiError && error.status === 401) return;
      fill(main, h("p", { class: "error", role: "alert" }, error.message));
      return;
    }
  }
  showSignedIn(true);
  const hash = location.hash || "#/campaigns";
  const found = routes.find(([pattern]) => pattern.test(hash));
  if (!found) {
    location.replace("#/campaigns");
    return;
  }
  const [pattern, page] = found;
  const params = hash.match(pattern).slice(1).map(decodeURIComponent);
  const search = new URLSearchParams(hash.split("?")[1] || "");
  fill(main, h("p", { class: "muted loading" }, "Loading…"));
  for (const link of document.querySelectorAll("#nav a")) {
    link.toggleAttribute("aria-current", link.getAttribute("href") === hash.split("?")[0]);
  }
  leave = page(main, { params, search, me, setLive }) || null;
  main.focus({ preventScroll: true });
}

/** Who the key belongs to, and the names of the users it can see. */
async function whoAmI(key) {
  const who = await api("GET", "/users/me", { key });
  knowPeople(who.admin ? (await api("GET", "/users", { key })).users : [who]);
  me = who;
}

function showSignedIn(signedIn) {
  document.getElementById("nav").hidden = !signedIn;
  document.getElementById("who").hidden = !signedIn;
  if (signedIn && me) {
    document.getElementById("who-name").textContent = me.admin ? "admin" : me.name;
  }
  document.getElementById("nav-users").hidden = !(signedIn && me?.admin);
  // The admin has no contact policy of its own.
  document.getElementById("nav-policy").hidden = !(signedIn && me && !me.admin);
}

function signInPage(root) {
  const input = h("input", {
    id: "api-key", name: "api-key", type: "password", autocomplete: "current-password",
    required: true, spellcheck: "false", placeholder: "ll_…",
  });
  const error = h("p", { class: "error", role: "alert", id: "sign-in-error" });
  const form = h("form", { class: "card sign-in", "aria-labelledby": "sign-in-title" },
    h("h1", { id: "sign-in-title" }, "Sign in to Leadline"),
    h("p", { class: "muted" }, "Use your API key (the admin key, or a user's key). It is kept in this browser until you sign out."),
    h("label", { for: "api-key" }, "API key"),
    input,
    error,
    h("button", { type: "submit", class: "btn btn-primary" }, "Sign in"));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const key = input.value.trim();
    error.textContent = "";
    try {
      await whoAmI(key);
    } catch (failure) {
      error.textContent = failure.status === 401
        ? "This API key is not known. Check it and try again."
        : failure.message;
      input.focus();
      return;
    }
    session.signIn(key);
    if (!location.hash || location.hash === "#/signin") location.hash = "#/campaigns";
    else route();
  });
  fill(root, form);
  input.focus();
  return null;
}

function signOut() {
  session.signOut();
  me = null;
  if (location.hash === "#/signin") route();
  else location.hash = "#/signin";
}

document.getElementById("sign-out").addEventListener("click", signOut);
window.addEventListener("leadline:signed-out", () => {
  if (session.key) signOut();
});
window.addEventListener("hashchange", route);
route();
