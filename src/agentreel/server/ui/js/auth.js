// API keys in the browser, for a server started with --auth (docs/server.md).
//
// The key lives in sessionStorage: it lasts while the tab is open, is not
// shared with other tabs and is gone when the tab closes. It goes out only in
// the Authorization header of this UI's own requests, never in a URL (URLs
// end up in history, logs and Referer headers). boot.js reads the same
// storage entry for the first request of a page.

import { h, mount } from "./dom.js";

export const KEY_STORAGE = "agentreel.apiKey";

export function apiKey() {
  try {
    return window.sessionStorage.getItem(KEY_STORAGE) || "";
  } catch {
    return ""; // storage disabled: the UI works without auth
  }
}

function storeKey(key) {
  try {
    if (key) window.sessionStorage.setItem(KEY_STORAGE, key);
    else window.sessionStorage.removeItem(KEY_STORAGE);
  } catch {
    // Without storage a key cannot be kept; the next request says 401 again.
  }
}

/** The headers that carry the key, or none without one. */
export function authHeaders() {
  const key = apiKey();
  return key ? { Authorization: `Bearer ${key}` } : {};
}

let onChange = () => {};
let showing = false;

/** app.js: what to do once a key was entered or dropped (render the page again). */
export function onKeyChange(fn) {
  onChange = fn;
}

/** The top bar's sign-out link: there while a key is kept. */
export function renderSignOut() {
  const slot = document.getElementById("top-auth");
  if (!slot) return;
  if (!apiKey()) {
    slot.replaceChildren();
    return;
  }
  const out = h("button", { type: "button", class: "link-button", "data-testid": "sign-out", title: "Forget the API key of this tab" }, "Sign out");
  out.addEventListener("click", () => {
    storeKey("");
    renderSignOut();
    onChange();
  });
  mount(slot, h("span", { class: "muted" }, "key set"), out);
}

/** True while the key form is on screen (a page's own 401 message must not replace it). */
export function keyFormShown() {
  return showing;
}

export function keyFormClosed() {
  showing = false;
}

/**
 * Replace the page with the key form. `refused` is the server's message when
 * a key was sent and refused, shown so the user knows it was the key.
 */
export function showKeyForm(main, { refused = null, check }) {
  showing = true;
  document.title = "API key needed · agentreel";
  const input = h("input", {
    type: "password", name: "api-key", placeholder: "agr_…", autocomplete: "off",
    spellcheck: "false", "aria-label": "API key", "data-testid": "key-input", class: "grow",
    id: "api-key",
  });
  const message = h("p", { class: "bad key-message", role: "alert", "data-testid": "key-message" },
    refused || "");
  const submit = h("button", { type: "submit", class: "btn primary", "data-testid": "key-submit" }, "Use key");
  const form = h("form", { class: "key-form", "data-testid": "key-form" },
    h("h1", {}, "API key needed"),
    h("p", {}, "This server was started with ", h("code", {}, "--auth"),
      ": its data is only shown to requests that carry an API key."),
    h("label", { class: "key-label", for: "api-key" }, "API key"),
    h("div", { class: "key-row" }, input, submit),
    message,
    h("p", { class: "muted" }, "Create one with ",
      h("code", {}, "agentreel keys create --project NAME --name NAME"),
      ". The key is kept in this browser tab only (until it closes or you sign out) and is "
      + "sent in the Authorization header of the UI's requests, never in a URL."));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const key = input.value.trim();
    if (!key) {
      message.textContent = "Paste a key first.";
      return;
    }
    submit.disabled = true;
    message.textContent = "";
    const problem = await check(key);
    submit.disabled = false;
    if (problem) {
      message.textContent = problem;
      input.select();
      return;
    }
    storeKey(key);
    showing = false;
    renderSignOut();
    onChange();
  });
  mount(main, form);
  input.focus();
}
