// Entry point: pick the page for the URL and render it into <main>.
//
// Every page has a stable URL (docs/ui.md); the server answers each of them
// with the same shell page, and this module reads the path.

import { checkKey, enc, get, onUnauthorized, parse } from "./api.js";
import { apiKey, keyFormClosed, keyFormShown, onKeyChange, renderSignOut, showKeyForm } from "./auth.js";
import { h, mount, notice } from "./dom.js";

const ROUTES = [
  [/^\/$/, "list", () => ({})],
  [/^\/s\/([^/]+)\/?$/, "session", (m) => ({ id: decodeURIComponent(m[1]), step: null })],
  [/^\/s\/([^/]+)\/step\/(\d+)\/?$/, "session",
    (m) => ({ id: decodeURIComponent(m[1]), step: Number(m[2]) })],
  [/^\/live\/([^/]+)\/?$/, "live", (m) => ({ id: decodeURIComponent(m[1]), step: null })],
  [/^\/diff\/?$/, "diff", () => ({})],
  [/^\/costs\/?$/, "costs", () => ({})],
];

const LOADERS = {
  list: () => import("./list.js"),
  session: () => import("./session.js"),
  live: () => import("./session.js"),
  diff: () => import("./diff.js"),
  costs: () => import("./costs.js"),
};

export function parseRoute(location) {
  for (const [re, page, params] of ROUTES) {
    const m = re.exec(location.pathname);
    if (m) {
      return { page, ...params(m), query: new URLSearchParams(location.search) };
    }
  }
  return { page: "missing", query: new URLSearchParams(location.search) };
}

let current = null; // {page, key, view}

function routeKey(route) {
  return `${route.page}:${route.id ?? ""}`;
}

function markNav(page) {
  for (const a of document.querySelectorAll(".nav a")) {
    const on = a.dataset.page === page || (page === "session" && a.dataset.page === "list");
    if (on) a.setAttribute("aria-current", "page");
    else a.removeAttribute("aria-current");
  }
}

async function render() {
  const main = document.getElementById("main");
  const route = parseRoute(window.location);
  const key = routeKey(route);
  keyFormClosed();
  renderSignOut();
  if (current && current.key === key && current.view && current.view.update) {
    current.view.update(route);
    return;
  }
  if (current && current.view && current.view.destroy) current.view.destroy();
  current = { key, view: null };
  markNav(route.page);
  if (route.page === "missing") {
    document.title = "Not found · agentreel";
    mount(main, h("h1", {}, "Page not found"),
      notice("There is no page at this address.", "error"),
      h("p", {}, h("a", { href: "/" }, "All sessions")));
    return;
  }
  if (route.page === "session" || route.page === "live") {
    // Ask for the steps while the page's modules load: for a long session,
    // the fetch is most of the time to first render.
    const early = window.agentreelPrefetch;
    window.agentreelPrefetch = null;
    const ours = early && early.id === route.id;
    route.firstSteps = ours && early.first ? early.first.then(parse) : null;
    if (route.firstSteps) route.firstSteps.catch(() => {}); // the page reports it
    if (!route.firstSteps) {
      route.steps = ours && early.response
        ? early.response.then(parse)
        : get(`/api/sessions/${enc(route.id)}/steps`);
      route.steps.catch(() => {});
    }
  }
  const mine = current;
  try {
    const module = await LOADERS[route.page]();
    // Another render, or the key form, took the page while the module loaded.
    if (current !== mine) return;
    const view = module.render(main, route);
    if (current === mine) current.view = view;
    else if (view && view.destroy) view.destroy();
  } catch (err) {
    mount(main, notice(`The page failed to load: ${err.message}`, "error"));
    throw err;
  }
}

/** Change the URL and re-render what depends on it (no page reload). */
export function navigate(path, { replace = false } = {}) {
  if (replace) window.history.replaceState(null, "", path);
  else window.history.pushState(null, "", path);
  render();
}

/** A 401 from the API: the server wants a key; the page makes way for the key form. */
function askForKey(err) {
  if (keyFormShown()) return;
  if (current && current.view && current.view.destroy) current.view.destroy();
  current = null;
  showKeyForm(document.getElementById("main"), {
    refused: apiKey() ? `The key of this tab was refused: ${err.message}` : null,
    check: checkKey,
  });
}

onUnauthorized(askForKey);
onKeyChange(() => {
  current = null;
  render();
});
window.addEventListener("popstate", render);
render();
