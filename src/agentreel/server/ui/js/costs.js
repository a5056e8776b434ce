// Costs and tokens (/costs?since=7d&project=): per day, per model, per agent,
// and the most expensive sessions. Charts are plain SVG drawn here.

import { enc, get } from "./api.js";
import { h, link, mount, notice, svg } from "./dom.js";
import { fmtCost, fmtDuration, fmtInt, fmtTime, fmtTokens, shortId } from "./format.js";

const RANGES = [["1d", "24 hours"], ["7d", "7 days"], ["30d", "30 days"], ["90d", "90 days"]];
// Rows of a bar list: the costliest; the rest are counted in one line.
const TOP = 12;

/** Items that cost or used something, the costliest first, at most TOP of them. */
function costly(items) {
  const used = items.filter((i) => (i.cost || 0) > 0 || (i.tokens || 0) > 0)
    .sort((a, b) => (b.cost || 0) - (a.cost || 0) || (b.tokens || 0) - (a.tokens || 0));
  return { shown: used.slice(0, TOP), more: used.length - Math.min(used.length, TOP), idle: items.length - used.length };
}

function restLine(more, idle, what) {
  const parts = [];
  if (more) parts.push(`${fmtInt(more)} more ${what}`);
  if (idle) parts.push(`${fmtInt(idle)} ${what} with no cost or tokens`);
  return parts.length ? h("p", { class: "muted bar-rest" }, `and ${parts.join(", and ")}`) : null;
}

export function render(main, route) {
  const view = new CostsView(main);
  view.update(route);
  return view;
}

/** Vertical bars of value per day, with the largest labelled. */
export function dayChart(days, value, format) {
  const W = 720;
  const H = 180;
  const pad = { l: 56, r: 8, t: 10, b: 26 };
  const max = Math.max(0, ...days.map(value)) || 1;
  const inner = W - pad.l - pad.r;
  const bw = days.length ? inner / days.length : inner;
  const chart = svg("svg", { viewBox: `0 0 ${W} ${H}`, class: "chart", role: "img", "aria-label": "per day" });
  for (const f of [0, 0.5, 1]) {
    const y = pad.t + (H - pad.t - pad.b) * (1 - f);
    chart.append(svg("line", { x1: pad.l, x2: W - pad.r, y1: y, y2: y, class: "grid-line" }),
      svg("text", { x: pad.l - 6, y: y + 4, "text-anchor": "end", class: "axis-label", text: format(max * f) }));
  }
  const every = Math.max(1, Math.ceil(days.length / 10));
  days.forEach((d, i) => {
    const v = value(d);
    const hgt = ((H - pad.t - pad.b) * v) / max;
    const x = pad.l + i * bw + bw * 0.15;
    const bar = svg("rect", { x, y: H - pad.b - hgt, width: Math.max(1, bw * 0.7), height: Math.max(0, hgt), class: "bar-fill", "data-testid": "day-bar" });
    bar.append(svg("title", { text: `${d.day}: ${format(v)}` }));
    chart.append(bar);
    if (i % every === 0) {
      chart.append(svg("text", { x: x + bw * 0.35, y: H - 8, "text-anchor": "middle", class: "axis-label", text: String(d.day).slice(5) }));
    }
  });
  return chart;
}

/** Horizontal bars: one row per item, a label, a bar and the figure. */
export function barList(items, label, value, format, extra) {
  const max = Math.max(0, ...items.map(value)) || 1;
  return h("table", { class: "bar-list" }, h("tbody", {}, ...items.map((item) => {
    const track = h("div", { class: "hbar-track" });
    const fill = h("div", { class: "hbar-fill" });
    fill.style.width = `${(value(item) / max) * 100}%`;
    track.append(fill);
    return h("tr", {},
      h("th", { class: "mono" }, label(item)),
      h("td", { class: "hbar" }, track),
      h("td", { class: "num mono" }, format(value(item))),
      h("td", { class: "num mono muted" }, extra(item)));
  })));
}

class CostsView {
  constructor(main) {
    this.main = main;
    this.since = h("select", { "aria-label": "period", "data-testid": "since" }, ...RANGES.map(([v, t]) => h("option", { value: v }, `last ${t}`)));
    this.project = h("input", { type: "text", placeholder: "project", "aria-label": "project", size: "12" });
    const form = h("form", { class: "toolbar" }, this.since, this.project, h("button", { type: "submit", class: "btn primary" }, "Show"));
    const submit = (event) => {
      if (event) event.preventDefault();
      const q = new URLSearchParams({ since: this.since.value });
      if (this.project.value.trim()) q.set("project", this.project.value.trim());
      window.history.pushState(null, "", `/costs?${q}`);
      this.update({ query: q });
    };
    form.addEventListener("submit", submit);
    this.since.addEventListener("change", () => submit());
    this.body = h("div", { class: "costs-body" });
    mount(main, h("div", { class: "page-head" }, h("h1", {}, "Costs and tokens")), form, this.body);
    document.title = "Costs · agentreel";
  }

  async update(route) {
    const since = route.query.get("since") || "7d";
    const project = route.query.get("project") || "";
    this.since.value = since;
    this.project.value = project;
    let data;
    try {
      data = await get("/api/costs", { since, project });
    } catch (err) {
      mount(this.body, notice(`Could not load costs: ${err.message}`, "error"));
      return;
    }
    this.show(data);
  }

  show(data) {
    const days = data.by_day || [];
    const total = days.reduce((sum, d) => sum + (d.cost || 0), 0);
    const tokens = days.reduce((sum, d) => sum + (d.tokens || 0), 0);
    const sessions = days.reduce((sum, d) => sum + (d.sessions || 0), 0);
    const card = (label, value, testid) => h("div", { class: "card" }, h("div", { class: "card-value mono", "data-testid": testid }, value), h("div", { class: "muted" }, label));
    const models = data.by_model || [];
    const agents = costly(data.by_agent || []);
    const top = data.top_sessions || [];
    mount(this.body,
      h("div", { class: "cards" },
        card("cost", fmtCost(total), "total-cost"),
        card("tokens", fmtTokens(tokens), "total-tokens"),
        card("sessions", fmtInt(sessions), "total-sessions")),
      h("section", { class: "chart-box", "data-testid": "by-day" }, h("h2", {}, "Cost per day"),
        days.length ? dayChart(days, (d) => d.cost || 0, fmtCost) : notice("Nothing recorded in this period.")),
      h("div", { class: "two-col" },
        h("section", { "data-testid": "by-model" }, h("h2", {}, "By model"),
          models.length ? barList(models, (m) => m.model ?? "(unknown)", (m) => m.cost || 0, fmtCost,
            (m) => `${fmtTokens(m.tokens || 0)} tok · ${fmtInt(m.calls)} calls`) : notice("No model calls.")),
        h("section", { "data-testid": "by-agent" }, h("h2", {}, "By agent"),
          agents.shown.length ? barList(agents.shown, (a) => a.agent ?? "(none)", (a) => a.cost || 0, fmtCost,
            (a) => `${fmtTokens(a.tokens || 0)} tok`) : notice("No agent used a model in this period."),
          restLine(agents.more, agents.idle, "agents"))),
      h("section", { "data-testid": "top-sessions" }, h("h2", {}, "Most expensive sessions"),
        top.length ? h("div", { class: "table-wrap" }, h("table", { class: "grid" },
          h("thead", {}, h("tr", {}, h("th", {}, "name"), h("th", {}, "id"), h("th", {}, "started"),
            h("th", { class: "num" }, "duration"), h("th", { class: "num" }, "tokens"), h("th", { class: "num" }, "cost"))),
          h("tbody", {}, ...top.map((s) => h("tr", {},
            h("td", {}, link(`/s/${enc(s.id)}`, s.name), " ", h("span", { class: `status status-${s.status}` }, s.status)),
            h("td", { class: "mono" }, shortId(s.id)),
            h("td", { class: "time mono" }, fmtTime(s.started_at)),
            h("td", { class: "num mono" }, fmtDuration(s.duration_ms)),
            h("td", { class: "num mono" }, fmtTokens(s.tokens ? s.tokens.total : 0)),
            h("td", { class: "num mono" }, fmtCost(s.cost))))))) : notice("No sessions in this period.")));
  }
}
