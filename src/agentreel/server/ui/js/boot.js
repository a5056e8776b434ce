// The first script of every page. It has no imports, so it runs as soon as
// it arrives: on a session page it asks for the steps at once, while the
// rest of the UI's modules are still loading (for a long session the fetch
// is most of the time to first render), then it starts the UI.
//
// A session opened at its start asks for its first steps alone: the first
// screen is drawn from them, and the page asks for the rest later if there
// is more (docs/ui.md, "Large sessions").

const FIRST_PAGE = 200;

function headers() {
  const out = { Accept: "application/json" };
  try {
    // The API key of a server with --auth (auth.js keeps it there).
    const key = window.sessionStorage.getItem("agentreel.apiKey");
    if (key) out.Authorization = `Bearer ${key}`;
  } catch {
    // storage disabled: no key
  }
  return out;
}

function ask(path) {
  const response = fetch(path, { headers: headers(), credentials: "same-origin" });
  response.catch(() => {}); // the page reports failures
  return response;
}

const match = /^\/(s|live)\/([^/]+)(\/step\/\d+)?\/?$/.exec(window.location.pathname);
if (match) {
  const steps = `/api/sessions/${match[2]}/steps`;
  const fromStart = match[1] === "s" && !match[3];
  // From the start: the first page only. The page asks for the rest once its
  // first screen and that step's payloads are shown (session.js).
  window.agentreelPrefetch = {
    id: decodeURIComponent(match[2]),
    first: fromStart ? ask(`${steps}?limit=${FIRST_PAGE}`) : null,
    response: fromStart ? null : ask(steps),
  };
}
import("./app.js");
