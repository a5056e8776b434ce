// The step tree beside its waterfall, as one virtualised list: each row is a
// step, indented under its parent on the left, a bar on the session's time
// axis on the right, so tree and timeline always scroll together.

import { h } from "./dom.js";
import { fmtDuration, isoUs } from "./format.js";
import { VirtualList } from "./vlist.js";

export const ROW_HEIGHT = 24;
const INDENT = 14;

/** Steps keyed by number, in tree order (parents before children, by number). */
export class StepIndex {
  constructor() {
    this.steps = new Map();
    this.collapsed = new Set();
    this.order = [];
    this.numbers = [];
    this.rowOf = new Map();
    this.depth = new Map();
    this.children = new Map();
    this.llmNumbers = [];
    this.t0 = null;
    this.t1 = null;
    // The session's own time range: the axis is right from the first page of
    // steps on, before the last ones arrive.
    this.sessionT0 = null;
    this.sessionT1 = null;
    // Steps the session has that are not here yet (drawn as loading rows).
    this.missing = 0;
  }

  /** The session's time range, from its summary. */
  setSession(session) {
    this.sessionT0 = isoUs(session.started_at);
    this.sessionT1 = isoUs(session.ended_at);
  }

  /** The session has `total` steps, some still on their way (0: all are here). */
  expect(total) {
    this.missing = Math.max(0, total - this.steps.size);
  }

  upsert(step) {
    this.steps.set(step.number, step);
  }

  get maxNumber() {
    let max = 0;
    for (const n of this.steps.keys()) if (n > max) max = n;
    return max;
  }

  /** Recompute the tree order, depths and time range after steps changed. */
  rebuild(nowUs = null) {
    const children = new Map();
    const roots = [];
    const numbers = [...this.steps.keys()].sort((a, b) => a - b);
    this.numbers = numbers;
    this.llmNumbers = [];
    let t0 = this.sessionT0;
    let t1 = this.sessionT1;
    for (const n of numbers) {
      const step = this.steps.get(n);
      const parent = step.parent;
      if (parent !== null && parent !== undefined && this.steps.has(parent)) {
        if (!children.has(parent)) children.set(parent, []);
        children.get(parent).push(n);
      } else {
        roots.push(n);
      }
      if (step.kind === "llm") this.llmNumbers.push(n);
      const start = isoUs(step.started_at);
      const end = isoUs(step.ended_at) ?? (step.status === "running" ? nowUs : start);
      if (start !== null && (t0 === null || start < t0)) t0 = start;
      if (end !== null && (t1 === null || end > t1)) t1 = end;
    }
    this.children = children;
    this.t0 = t0;
    this.t1 = t1;
    const order = [];
    const depth = new Map();
    // Iterative depth-first walk: a deep agent must not overflow the JS stack.
    const stack = roots.slice().reverse().map((n) => [n, 0]);
    while (stack.length) {
      const [n, d] = stack.pop();
      order.push(n);
      depth.set(n, d);
      if (this.collapsed.has(n)) continue;
      const kids = children.get(n);
      if (kids) for (let i = kids.length - 1; i >= 0; i--) stack.push([kids[i], d + 1]);
    }
    this.order = order;
    this.depth = depth;
    this.rowOf = new Map(order.map((n, i) => [n, i]));
  }

  /** Open every collapsed ancestor of n; true when something opened. */
  reveal(n) {
    let changed = false;
    let step = this.steps.get(n);
    while (step && step.parent !== null && step.parent !== undefined) {
      if (this.collapsed.delete(step.parent)) changed = true;
      step = this.steps.get(step.parent);
    }
    return changed;
  }

  /** The last model call at or before step n, or null. */
  lastLlmAtOrBefore(n) {
    const list = this.llmNumbers;
    let lo = 0;
    let hi = list.length - 1;
    let found = null;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (list[mid] <= n) {
        found = list[mid];
        lo = mid + 1;
      } else {
        hi = mid - 1;
      }
    }
    return found;
  }
}

/** The tree-and-waterfall list; calls onSelect(n) and onToggle(n). */
export class StepTree {
  constructor(viewport, index, { onSelect, onToggle }) {
    this.index = index;
    this.current = null;
    this.list = new VirtualList(viewport, {
      rowHeight: ROW_HEIGHT,
      renderRow: (i) => this.renderRow(i),
    });
    // One listener for every row, rather than two per row drawn: scrolling
    // through 10,000 steps draws rows on every frame.
    this.onClick = (event) => {
      const row = event.target.closest(".row[data-step]");
      if (!row) return;
      const n = Number(row.dataset.step);
      if (event.target.closest(".caret[aria-expanded]")) {
        event.stopPropagation();
        onToggle(n);
      } else {
        onSelect(n);
      }
    };
    viewport.addEventListener("click", this.onClick);
    this.viewport = viewport;
  }

  renderRow(i) {
    const index = this.index;
    if (i >= index.order.length) {
      return h("div", { class: "row loading-row", "aria-busy": "true" },
        h("div", { class: "cell-tree" }, h("span", { class: "num mono" }, ""),
          h("span", { class: "muted" }, "loading…")),
        h("div", { class: "cell-time" }));
    }
    const n = index.order[i];
    const step = index.steps.get(n);
    const depth = index.depth.get(n) || 0;
    const hasKids = index.children.has(n);
    const collapsed = hasKids && index.collapsed.has(n);
    const classes = ["row", `st-${step.status}`];
    if (n === this.current) classes.push("selected");
    else if (this.current !== null && n > this.current) classes.push("future");
    const caret = hasKids
      ? h("button", {
        class: "caret", type: "button", tabindex: "-1",
        "aria-label": collapsed ? "expand" : "collapse",
        "aria-expanded": collapsed ? "false" : "true",
      }, collapsed ? "▸" : "▾")
      : h("span", { class: "caret" });
    const indent = h("span", { class: "indent" });
    indent.style.width = `${depth * INDENT}px`;
    const tree = h("div", { class: "cell-tree" },
      h("span", { class: "num mono" }, String(n)),
      indent, caret,
      h("span", { class: `kind kind-${step.kind}` }, step.kind),
      h("span", { class: "name" }, step.name),
      step.status === "error" ? h("span", { class: "err-mark", title: "error" }, "✕") : null);
    return h("div", {
      class: classes.join(" "), role: "row", "data-step": n,
      "aria-selected": n === this.current ? "true" : "false",
    }, tree, this.bar(step));
  }

  bar(step) {
    const { t0, t1 } = this.index;
    const cell = h("div", { class: "cell-time" });
    const start = isoUs(step.started_at);
    if (start === null || t0 === null) return cell;
    const span = Math.max(1, t1 - t0);
    const end = isoUs(step.ended_at) ?? (step.status === "running" ? t1 : start);
    const left = Math.max(0, Math.min(100, ((start - t0) / span) * 100));
    const width = Math.min(Math.max(0.3, ((end - start) / span) * 100), 100 - left);
    const bar = h("div", { class: `bar kind-${step.kind} st-${step.status}` });
    bar.style.left = `${left}%`;
    bar.style.width = `${width}%`;
    const label = h("span", { class: "bar-label mono" },
      step.status === "running" ? "running" : fmtDuration(step.duration_ms));
    // The label goes after the bar, or before it when the bar reaches the
    // right edge (a label past the edge would be cut off).
    if (left + width > 80) {
      label.classList.add("before");
      label.style.right = `${100 - left}%`;
      if (left < 20) {
        // A bar across nearly the whole axis: the label sits inside it.
        label.classList.add("inside");
        label.style.right = "auto";
        label.style.left = `${left}%`;
      }
    } else {
      label.style.left = `${left + width}%`;
    }
    cell.append(bar, label);
    return cell;
  }

  setCurrent(n) {
    this.current = n;
  }

  /** Re-render after the steps or the order changed. */
  reload() {
    this.list.setCount(this.index.order.length + this.index.missing);
  }

  repaint() {
    this.list.refresh();
  }

  scrollTo(n) {
    const row = this.index.rowOf.get(n);
    if (row !== undefined) this.list.scrollToIndex(row);
  }

  destroy() {
    this.viewport.removeEventListener("click", this.onClick);
    this.list.destroy();
  }
}

/** Tick labels for the waterfall's header. */
export function timeAxis(index) {
  const axis = h("div", { class: "time-axis mono" });
  if (index.t0 === null) return axis;
  const spanMs = (index.t1 - index.t0) / 1000;
  // Three ticks and the end: a fourth crowded the end label on a narrow pane.
  for (const f of [0, 1 / 3, 2 / 3]) {
    const tick = h("span", { class: "tick" }, f === 0 ? "0" : fmtDuration(spanMs * f));
    tick.style.left = `${f * 100}%`;
    axis.appendChild(tick);
  }
  const end = h("span", { class: "tick end" }, fmtDuration(spanMs));
  axis.appendChild(end);
  return axis;
}
