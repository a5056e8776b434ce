// The diff of two sessions (/diff?a=ID&b=ID): their steps side by side,
// aligned as `agentreel diff` aligns them, the first divergence highlighted.

import { enc, get } from "./api.js";
import { h, link, mount, notice } from "./dom.js";
import { fmtCost, fmtDuration, fmtTokens, shortId } from "./format.js";
import { VirtualList } from "./vlist.js";

const ROW = 26;

export function render(main, route) {
  const view = new DiffView(main);
  view.update(route);
  return view;
}

function detailText(detail) {
  if (detail === null || detail === undefined) return "";
  if (typeof detail === "string") return detail;
  if (Array.isArray(detail)) return detail.map(changeText).join("; ");
  if (typeof detail === "object") {
    return Object.entries(detail).map(([k, v]) => `${k}: ${typeof v === "string" ? v : JSON.stringify(v)}`).join("; ");
  }
  return String(detail);
}

const short = (v) => {
  const text = typeof v === "string" ? v : JSON.stringify(v);
  return text === undefined ? "none" : (text.length > 60 ? `${text.slice(0, 57)}…` : text);
};

/** One field change of agentreel.diff: "input.query: "a" → "b"". */
function changeText(c) {
  if (!c || typeof c !== "object" || !("path" in c)) return detailText(c);
  if (c.change === "added") return `${c.path}: added ${short(c.after)}`;
  if (c.change === "removed") return `${c.path}: removed ${short(c.before)}`;
  return `${c.path}: ${short(c.before)} → ${short(c.after)}`;
}

function sameStep(row, pair) {
  if (!pair) return false;
  const a = pair.a ?? pair.a_step ?? pair[0];
  const b = pair.b ?? pair.b_step ?? pair[1];
  const num = (x) => (x && typeof x === "object" ? x.number : x);
  return (row.a ? row.a.number : null) === (num(a) ?? null)
    && (row.b ? row.b.number : null) === (num(b) ?? null);
}

class DiffView {
  constructor(main) {
    this.main = main;
    this.a = h("input", { type: "text", name: "a", placeholder: "session id (a)", class: "mono", "aria-label": "session a", "data-testid": "diff-a", size: "34" });
    this.b = h("input", { type: "text", name: "b", placeholder: "session id (b)", class: "mono", "aria-label": "session b", "data-testid": "diff-b", size: "34" });
    const form = h("form", { class: "toolbar" }, this.a, h("span", { class: "muted" }, "vs"), this.b,
      h("button", { type: "submit", class: "btn primary" }, "Compare"));
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      const q = new URLSearchParams({ a: this.a.value.trim(), b: this.b.value.trim() });
      window.history.pushState(null, "", `/diff?${q}`);
      this.update({ query: q });
    });
    this.body = h("div", { class: "diff-body" });
    mount(main, h("div", { class: "page-head" }, h("h1", {}, "Diff")), form, this.body);
    document.title = "Diff · agentreel";
  }

  async update(route) {
    const a = route.query.get("a") || "";
    const b = route.query.get("b") || "";
    this.a.value = a;
    this.b.value = b;
    if (this.list) this.list.destroy();
    this.list = null;
    if (!a || !b) {
      mount(this.body, notice("Name two sessions to compare (any unique id prefix), or tick two in the sessions list."));
      return;
    }
    mount(this.body, h("p", { class: "loading" }, "Comparing…"));
    let data;
    try {
      data = await get("/api/diff", { a, b });
    } catch (err) {
      mount(this.body, notice(`Could not compare: ${err.message}`, "error"));
      return;
    }
    this.show(data);
  }

  show(data) {
    const rows = data.rows || [];
    const firstIndex = data.first_divergence
      ? rows.findIndex((r) => sameStep(r, data.first_divergence))
      : -1;
    const divergeAt = firstIndex >= 0 ? firstIndex : rows.findIndex((r) => r.change !== "same");
    const counts = { same: 0, changed: 0, added: 0, removed: 0 };
    for (const r of rows) counts[r.change] = (counts[r.change] || 0) + 1;
    const side = (s) => h("div", { class: "diff-side" },
      link(`/s/${enc(s.id)}`, s.name, { class: "strong" }),
      h("span", { class: "mono muted" }, ` ${shortId(s.id)}`),
      h("span", { class: `status status-${s.status}` }, s.status),
      h("span", { class: "mono" }, `${s.steps} steps · ${fmtTokens(s.tokens ? s.tokens.total : 0)} tok · ${fmtCost(s.cost)} · ${fmtDuration(s.duration_ms)}`));
    const jump = h("button", { type: "button", class: "btn", "data-testid": "jump-divergence", disabled: divergeAt < 0 }, "Jump to first divergence");
    const summary = h("div", { class: "diff-summary" },
      divergeAt < 0
        ? h("span", { class: "good", "data-testid": "no-divergence" }, "No divergence: the sessions took the same steps.")
        : h("span", { class: "bad", "data-testid": "divergence-summary" }, `First divergence at row ${divergeAt + 1}`),
      h("span", { class: "muted" }, ` · ${counts.same} same, ${counts.changed} changed, ${counts.added} added, ${counts.removed} removed`),
      h("span", { class: "spacer" }), jump);
    const viewport = h("div", { class: "diff-viewport", "data-testid": "diff-rows" });
    mount(this.body,
      h("div", { class: "diff-sides" }, side(data.a), side(data.b)),
      summary,
      h("div", { class: "diff-head" }, h("span", {}, "a"), h("span", {}, ""), h("span", {}, "b"),
        h("span", {}, "what differs")),
      viewport);
    // A short diff gets a box its size rather than a tall empty one.
    if (rows.length * ROW < 300) {
      viewport.classList.add("fits");
      viewport.style.height = `${rows.length * ROW + 2}px`;
    }
    this.list = new VirtualList(viewport, {
      rowHeight: ROW,
      renderRow: (i) => this.row(rows[i], i === divergeAt, data),
    });
    this.list.setCount(rows.length);
    jump.addEventListener("click", () => this.list.scrollToIndex(divergeAt));
    if (divergeAt >= 0) this.list.scrollToIndex(divergeAt);
  }

  row(r, first, data) {
    const cell = (step, id) => {
      if (!step) return h("div", { class: "diff-cell empty" }, "");
      const a = link(`/s/${enc(id)}/step/${step.number}`, `#${step.number}`, { class: "mono" });
      return h("div", { class: `diff-cell st-${step.status}` }, a, " ",
        h("span", { class: `kind kind-${step.kind}` }, step.kind), " ",
        h("span", { class: "name" }, step.name),
        step.tokens && step.tokens.total ? h("span", { class: "mono muted" }, ` ${fmtTokens(step.tokens.total)}`) : null);
    };
    const marks = { same: "=", changed: "≠", added: "+", removed: "−" };
    const detail = detailText(r.detail);
    const el = h("div", {
      class: `diff-row change-${r.change}${first ? " first-divergence" : ""}`,
      "data-change": r.change, title: detail || undefined,
    },
    cell(r.a, data.a.id),
    h("div", { class: "diff-mark mono" }, marks[r.change] ?? "?"),
    cell(r.b, data.b.id),
    detail ? h("div", { class: "diff-detail" }, detail) : null);
    if (first) el.setAttribute("data-testid", "first-divergence");
    return el;
  }

  destroy() {
    if (this.list) this.list.destroy();
  }
}
