// The first script of every page. It has no imports, so it runs as soon as
// it arrives: on a session page it asks for the steps at once, while the
// rest of the UI's modules are still loading (for a long session the fetch
// is most of the time to first render), then it starts the UI.

const match = /^\/(?:s|live)\/([^/]+)/.exec(window.location.pathname);
if (match) {
  window.agentreelPrefetch = {
    id: decodeURIComponent(match[1]),
    response: fetch(`/api/sessions/${match[1]}/steps`, {
      headers: { Accept: "application/json" },
      credentials: "same-origin",
    }),
  };
  window.agentreelPrefetch.response.catch(() => {}); // the page reports failures
}
import("./app.js");
