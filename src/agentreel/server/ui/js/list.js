// The sessions list (/): search, filter, sort and page through sessions.
// The filters live in the URL's query, so every view of the list is a link.

import { enc, get } from "./api.js";
import { h, link, mount, notice } from "./dom.js";
import { fmtAgo, fmtCost, fmtDuration, fmtInt, fmtTime, fmtTokens, shortId } from "./format.js";

const COLUMNS = [
  // [label, sort key or null, class]
  ["", null, "sel"],
  ["status", null, "st"],
  ["name", "name", "name"],
  ["id", null, "id"],
  ["tags", null, "tags"],
  ["started", "started", "time"],
  ["duration", "duration", "num"],
  ["steps", "steps", "num"],
  ["tokens", "tokens", "num"],
  ["cost", "cost", "num"],
];
const FILTERS = ["q", "status", "tag", "name", "project", "since"];
const LIMITS = ["25", "50", "100", "200"];

export function render(main, route) {
  const view = new ListView(main);
  view.update(route);
  return view;
}

class ListView {
  constructor(main) {
    this.main = main;
    this.selected = new Set();
    this.seq = 0;
    this.inputs = {
      q: h("input", { type: "search", name: "q", placeholder: "Search names and payloads", "aria-label": "search", "data-testid": "search", class: "grow" }),
      status: h("select", { name: "status", "aria-label": "status", "data-testid": "status-filter" },
        h("option", { value: "" }, "any status"), h("option", { value: "running" }, "running"),
        h("option", { value: "ok" }, "ok"), h("option", { value: "error" }, "error")),
      tag: h("input", { type: "text", name: "tag", placeholder: "tag", "aria-label": "tag", "data-testid": "tag-filter", size: "10" }),
      name: h("input", { type: "text", name: "name", placeholder: "name", "aria-label": "name", "data-testid": "name-filter", size: "14" }),
      project: h("input", { type: "text", name: "project", placeholder: "project", "aria-label": "project", size: "10" }),
      since: h("select", { name: "since", "aria-label": "started within", "data-testid": "since-filter" },
        h("option", { value: "" }, "any time"), h("option", { value: "1h" }, "last hour"),
        h("option", { value: "24h" }, "last 24 hours"), h("option", { value: "7d" }, "last 7 days"),
        h("option", { value: "30d" }, "last 30 days")),
    };
    const form = h("form", { class: "toolbar", role: "search" },
      this.inputs.q, this.inputs.status, this.inputs.tag, this.inputs.name, this.inputs.project, this.inputs.since,
      h("button", { type: "submit", class: "btn primary" }, "Filter"),
      h("button", { type: "button", class: "btn", "data-testid": "clear-filters", on: { click: () => this.go({}) } }, "Clear"));
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      const params = {};
      for (const key of FILTERS) params[key] = this.inputs[key].value.trim();
      params.sort = this.query.get("sort") || "";
      params.order = this.query.get("order") || "";
      params.limit = this.query.get("limit") || "";
      this.go(params);
    });
    this.inputs.status.addEventListener("change", () => form.requestSubmit());
    this.inputs.since.addEventListener("change", () => form.requestSubmit());
    this.diffButton = h("button", { type: "button", class: "btn", disabled: true, "data-testid": "diff-selected" }, "Diff selected");
    this.diffButton.addEventListener("click", () => {
      const [a, b] = [...this.selected];
      window.location.assign(`/diff?a=${enc(a)}&b=${enc(b)}`);
    });
    this.summary = h("span", { class: "muted", "data-testid": "list-summary" });
    this.table = h("div", { class: "table-wrap" });
    this.pager = h("div", { class: "pager" });
    mount(main,
      h("div", { class: "page-head" }, h("h1", {}, "Sessions"), this.summary, h("span", { class: "spacer" }), this.diffButton),
      form, this.table, this.pager);
    document.title = "Sessions · agentreel";
  }

  go(params) {
    const q = new URLSearchParams();
    for (const [k, v] of Object.entries(params)) if (v !== "" && v !== undefined && v !== null) q.set(k, v);
    const search = q.toString();
    window.history.pushState(null, "", search ? `/?${search}` : "/");
    this.update({ query: q });
  }

  async update(route) {
    this.query = route.query;
    for (const key of FILTERS) this.inputs[key].value = this.query.get(key) || "";
    const params = Object.fromEntries(this.query.entries());
    const seq = ++this.seq;
    let data;
    try {
      data = await get("/api/sessions", params);
    } catch (err) {
      if (seq !== this.seq) return;
      mount(this.table, notice(`Could not list sessions: ${err.message}`, "error"));
      return;
    }
    if (seq !== this.seq) return;
    this.show(data);
  }

  show(data) {
    const sort = this.query.get("sort") || "started";
    const order = this.query.get("order") || "desc";
    const head = h("tr", {}, ...COLUMNS.map(([label, key, cls]) => {
      if (!key) return h("th", { class: cls }, label);
      const active = key === sort;
      const next = active && order === "desc" ? "asc" : "desc";
      const q = new URLSearchParams(this.query);
      q.set("sort", key);
      q.set("order", next);
      q.delete("offset");
      const a = link(`/?${q}`, `${label}${active ? (order === "desc" ? " ▾" : " ▴") : ""}`, { "data-sort": key });
      a.addEventListener("click", (event) => {
        event.preventDefault();
        this.go(Object.fromEntries(q.entries()));
      });
      return h("th", { class: `${cls} sortable${active ? " active" : ""}`, "aria-sort": undefined }, a);
    }));
    const rows = data.sessions.map((s) => this.row(s));
    if (!rows.length) {
      const filtered = FILTERS.some((k) => this.query.get(k));
      mount(this.table, notice(filtered
        ? "No session matches these filters."
        : "No sessions recorded yet. Record one with the SDK, or run `agentreel demo`."));
    } else {
      mount(this.table, h("table", { class: "grid sessions", "data-testid": "sessions" },
        h("thead", {}, head), h("tbody", {}, ...rows)));
    }
    const first = data.total ? data.offset + 1 : 0;
    const last = data.offset + data.sessions.length;
    this.summary.textContent = `${fmtInt(first)}–${fmtInt(last)} of ${fmtInt(data.total)}`;
    this.renderPager(data);
  }

  row(s) {
    const box = h("input", { type: "checkbox", "aria-label": `select ${s.name}` });
    box.checked = this.selected.has(s.id);
    box.addEventListener("change", () => {
      if (box.checked) this.selected.add(s.id);
      else this.selected.delete(s.id);
      this.diffButton.disabled = this.selected.size !== 2;
    });
    const t = s.tokens || {};
    const name = h("td", { class: "name" }, h("div", { class: "name-line", title: s.name },
      link(`/s/${enc(s.id)}`, s.name),
      s.status === "running" ? [" ", link(`/live/${enc(s.id)}`, "live", { class: "live-link" })] : null));
    if (s.error) name.append(h("div", { class: "row-error" }, `${s.error.type}: ${s.error.message}`));
    return h("tr", { "data-status": s.status },
      h("td", { class: "sel" }, box),
      h("td", { class: "st" }, h("span", { class: `status status-${s.status}` }, s.status)),
      name,
      h("td", { class: "id mono", title: s.id }, shortId(s.id)),
      h("td", { class: "tags" }, h("div", { class: "tag-list" },
        ...(s.tags || []).map((tag) => h("span", { class: "tag", title: tag }, tag)))),
      h("td", { class: "time mono", title: fmtTime(s.started_at) }, fmtAgo(s.started_at)),
      h("td", { class: "num mono" }, fmtDuration(s.duration_ms)),
      h("td", { class: "num mono" }, fmtInt(s.steps),
        s.errors ? h("span", { class: "bad", title: "steps that failed" }, ` ✕${s.errors}`) : null),
      h("td", { class: "num mono", title: `${fmtInt(t.input)} in, ${fmtInt(t.output)} out` }, fmtTokens(t.total ?? 0)),
      h("td", { class: "num mono" }, fmtCost(s.cost)));
  }

  renderPager(data) {
    const limit = data.limit;
    const page = (offset) => {
      const q = new URLSearchParams(this.query);
      if (offset) q.set("offset", String(offset));
      else q.delete("offset");
      return q;
    };
    const nav = (label, offset, enabled, testid) => {
      const b = h("button", { type: "button", class: "btn", disabled: !enabled, "data-testid": testid }, label);
      b.addEventListener("click", () => this.go(Object.fromEntries(page(offset).entries())));
      return b;
    };
    const size = h("select", { "aria-label": "page size" }, ...LIMITS.map((v) => h("option", { value: v }, `${v} per page`)));
    size.value = String(limit);
    size.addEventListener("change", () => {
      const q = page(0);
      q.set("limit", size.value);
      this.go(Object.fromEntries(q.entries()));
    });
    mount(this.pager,
      nav("← Previous", Math.max(0, data.offset - limit), data.offset > 0, "page-prev"),
      h("span", { class: "muted mono" }, `page ${Math.floor(data.offset / limit) + 1} of ${Math.max(1, Math.ceil(data.total / limit))}`),
      nav("Next →", data.offset + limit, data.offset + limit < data.total, "page-next"),
      size);
  }
}
