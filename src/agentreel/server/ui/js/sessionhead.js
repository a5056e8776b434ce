// The session view's header: crumbs, name, status and tags, the figures, the
// links to the other views, and the session's error.

import { enc, parse, sessionPath } from "./api.js";
import { apiKey, authHeaders } from "./auth.js";
import { h, link, mount, notice } from "./dom.js";
import { fmtCost, fmtDuration, fmtInt, fmtTime, fmtTokens, plural, shortId } from "./format.js";

/** Fill `el` with the session's header: name, status, facts, links, error. */
export function sessionHeader(el, s, { id, live }) {
  const t = s.tokens || {};
  const forked = s.forked_from
    ? h("span", { class: "muted" }, " forked from ",
      link(`/s/${enc(s.forked_from.session_id)}/step/${s.forked_from.step}`,
        `${shortId(s.forked_from.session_id)} #${s.forked_from.step}`, { class: "mono" }))
    : null;
  const tags = (s.tags || []).map((tag) => h("span", { class: "tag" }, tag));
  const other = live
    ? link(`/s/${enc(id)}`, "Replay view")
    : link(`/live/${enc(id)}`, "Live view");
  mount(el,
    h("div", { class: "crumbs" }, link("/", "Sessions"), " / ",
      h("span", { class: "mono" }, shortId(s.id))),
    h("div", { class: "title-row" },
      h("h1", { class: "session-name", title: s.name }, s.name),
      h("span", { class: `status status-${s.status}`, "data-testid": "session-status" }, s.status),
      live ? h("span", { class: "live-badge", "data-testid": "live-badge" },
        s.status === "running" ? "● live" : "ended") : null,
      ...tags, forked),
    h("div", { class: "facts mono" },
      h("span", { title: "session id" }, s.id),
      h("span", {}, fmtTime(s.started_at)),
      h("span", {}, s.status === "running" && s.duration_ms == null ? "running" : fmtDuration(s.duration_ms)),
      h("span", { "data-testid": "session-steps" }, plural(s.steps, "step")),
      s.errors ? h("span", { class: "bad" }, plural(s.errors, "error")) : null,
      h("span", { title: `${fmtInt(t.input)} in, ${fmtInt(t.output)} out` }, `${fmtTokens(t.total ?? 0)} tokens`),
      h("span", {}, fmtCost(s.cost)),
      s.project && s.project !== "default" ? h("span", {}, `project ${s.project}`) : null),
    h("div", { class: "actions" }, other,
      link(`/diff?a=${enc(id)}`, "Diff with…"),
      exportLink(id, el)),
    s.error ? h("div", { class: "error-box" }, h("strong", {}, `${s.error.type}: `), s.error.message) : null);
  document.title = `${s.name} · agentreel`;
}

/**
 * The reel file's download link. With an API key the browser's own
 * download cannot carry the key, so the file is fetched with it and saved
 * from memory.
 */
function exportLink(id, header) {
  const path = `${sessionPath(id)}/export`;
  const a = h("a", { href: path, download: true, "data-testid": "export" }, "Export reel");
  a.addEventListener("click", async (event) => {
    if (!apiKey()) return;
    event.preventDefault();
    try {
      const response = await fetch(path, { headers: authHeaders(), credentials: "same-origin" });
      if (!response.ok) await parse(response);
      const name = /filename="([^"]+)"/.exec(response.headers.get("Content-Disposition") || "");
      const url = URL.createObjectURL(await response.blob());
      const save = document.createElement("a");
      save.setAttribute("href", url);
      save.setAttribute("download", name ? name[1] : `${id}.reel`);
      save.click();
      setTimeout(() => URL.revokeObjectURL(url), 10_000);
    } catch (err) {
      header.append(notice(`Export failed: ${err.message}`, "error"));
    }
  });
  return a;
}
