// The session view (/s/{id}, /s/{id}/step/{n}) and the live view (/live/{id}):
// header, replay scrubber, step tree beside the waterfall, step panel.

import { enc, get, sessionPath } from "./api.js";
import { h, link, mount, notice, throttleFrame } from "./dom.js";
import { fmtCost, fmtDuration, fmtInt, fmtTime, fmtTokens, shortId } from "./format.js";
import { DebugPanel, openStream } from "./live.js";
import { Scrubber } from "./scrubber.js";
import { stepPanel } from "./steppanel.js";
import { StepIndex, StepTree, timeAxis } from "./tree.js";

export function render(main, route) {
  const view = new SessionView(main, route);
  view.start();
  return view;
}

class SessionView {
  constructor(main, route) {
    this.main = main;
    this.id = route.id;
    this.live = route.page === "live";
    this.wanted = route.step;
    this.prefetched = route.steps || null;
    this.index = new StepIndex();
    this.details = new Map();
    this.current = null;
    this.session = null;
    this.destroyed = false;
    this.onKey = (event) => this.key(event);
    this.rebuildSoon = throttleFrame(() => this.rebuild());
  }

  stepPath(n) {
    return `/s/${enc(this.id)}/step/${n}`;
  }

  async start() {
    mount(this.main, h("p", { class: "loading" }, "Loading session…"));
    let data;
    try {
      data = await (this.prefetched || get(`${sessionPath(this.id)}/steps`));
    } catch (err) {
      if (this.destroyed) return;
      document.title = "Session not found · agentreel";
      mount(this.main, h("h1", {}, "Session"),
        notice(err.status === 404 ? `No session ${this.id}.` : `Could not load the session: ${err.message}`, "error"),
        h("p", {}, link("/", "All sessions")));
      return;
    }
    if (this.destroyed) return;
    this.session = data.session;
    for (const step of data.steps) this.index.upsert(step);
    this.layout();
    this.rebuild();
    let first = this.wanted ?? (this.live ? this.index.maxNumber : this.index.order[0]);
    // A link to a step the session does not have opens at its first step.
    if (!this.index.steps.has(first)) first = this.index.order[0];
    if (first) this.select(first, { url: this.wanted !== null && first !== this.wanted });
    document.addEventListener("keydown", this.onKey);
    if (this.live) this.startLive();
  }

  layout() {
    const s = this.session;
    this.header = h("div", { class: "session-head" });
    this.scrubber = new Scrubber({ onMove: (n) => this.select(n) });
    this.viewport = h("div", { class: "tree-viewport", role: "grid", "aria-label": "steps", "data-testid": "tree" });
    this.axis = h("div", { class: "cell-time" });
    const treeHead = h("div", { class: "tree-head" },
      h("div", { class: "cell-tree" }, "step"), this.axis);
    this.panel = h("div", { class: "panel-wrap", "aria-live": "polite" });
    this.panel.addEventListener("rawmode", () => this.renderPanel());
    const left = h("div", { class: "pane-left" }, treeHead, this.viewport);
    const right = h("div", { class: "pane-right" });
    if (this.live) {
      this.debug = new DebugPanel(this.id);
      right.appendChild(this.debug.el);
    }
    right.appendChild(this.panel);
    mount(this.main, this.header, this.scrubber.el, h("div", { class: "split" }, left, right));
    this.tree = new StepTree(this.viewport, this.index, {
      onSelect: (n) => {
        this.scrubber.stop();
        this.select(n);
      },
      onToggle: (n) => {
        if (!this.index.collapsed.delete(n)) this.index.collapsed.add(n);
        this.rebuild();
      },
    });
    this.renderHeader(s);
  }

  renderHeader(s) {
    const t = s.tokens || {};
    const forked = s.forked_from
      ? h("span", { class: "muted" }, " forked from ",
        link(`/s/${enc(s.forked_from.session_id)}/step/${s.forked_from.step}`,
          `${shortId(s.forked_from.session_id)} #${s.forked_from.step}`, { class: "mono" }))
      : null;
    const tags = (s.tags || []).map((tag) => h("span", { class: "tag" }, tag));
    const other = this.live
      ? link(`/s/${enc(this.id)}`, "Replay view")
      : link(`/live/${enc(this.id)}`, "Live view");
    mount(this.header,
      h("div", { class: "crumbs" }, link("/", "Sessions"), " / ",
        h("span", { class: "mono" }, shortId(s.id))),
      h("div", { class: "title-row" },
        h("h1", { class: "session-name", title: s.name }, s.name),
        h("span", { class: `status status-${s.status}`, "data-testid": "session-status" }, s.status),
        this.live ? h("span", { class: "live-badge", "data-testid": "live-badge" },
          s.status === "running" ? "● live" : "ended") : null,
        ...tags, forked),
      h("div", { class: "facts mono" },
        h("span", { title: "session id" }, s.id),
        h("span", {}, fmtTime(s.started_at)),
        h("span", {}, fmtDuration(s.duration_ms)),
        h("span", { "data-testid": "session-steps" }, `${fmtInt(s.steps)} steps`),
        s.errors ? h("span", { class: "bad" }, `${fmtInt(s.errors)} errors`) : null,
        h("span", { title: `${fmtInt(t.input)} in, ${fmtInt(t.output)} out` }, `${fmtTokens(t.total ?? 0)} tokens`),
        h("span", {}, fmtCost(s.cost)),
        s.project && s.project !== "default" ? h("span", {}, `project ${s.project}`) : null),
      h("div", { class: "actions" }, other,
        link(`/diff?a=${enc(this.id)}`, "Diff with…"),
        h("a", { href: `${sessionPath(this.id)}/export`, download: true }, "Export reel")),
      s.error ? h("div", { class: "error-box" }, h("strong", {}, `${s.error.type}: `), s.error.message) : null);
    document.title = `${s.name} · agentreel`;
  }

  rebuild() {
    if (this.destroyed) return;
    this.index.rebuild(Date.now() * 1000);
    this.axis.replaceChildren(timeAxis(this.index));
    this.scrubber.setNumbers([...this.index.steps.keys()].sort((a, b) => a - b));
    this.tree.reload();
  }

  select(n, { url = true } = {}) {
    if (!this.index.steps.has(n)) return;
    this.current = n;
    if (this.index.reveal(n)) this.index.rebuild(Date.now() * 1000);
    this.tree.setCurrent(n);
    this.tree.reload();
    this.tree.scrollTo(n);
    this.scrubber.setCurrent(n);
    if (url && !this.live) window.history.replaceState(null, "", this.stepPath(n));
    this.renderPanel();
    this.load(n);
  }

  contextNumber(n) {
    const step = this.index.steps.get(n);
    if (!step || step.kind === "llm") return null;
    return this.index.lastLlmAtOrBefore(n);
  }

  async load(n) {
    const wanted = [n];
    const ctx = this.contextNumber(n);
    if (ctx !== null) wanted.push(ctx);
    if (this.scrubber.playing) {
      const next = this.scrubber.numbers[this.scrubber.position() + 1];
      if (next !== undefined) wanted.push(next);
    }
    await Promise.all(wanted.map((m) => this.fetchDetail(m)));
    if (!this.destroyed && this.current === n) this.renderPanel();
  }

  async fetchDetail(n) {
    const cached = this.details.get(n);
    const step = this.index.steps.get(n);
    // A running step's payloads are still being written: fetch again later.
    if (cached && !(cached.error) && !(step && step.status === "running")) return cached;
    try {
      const detail = await get(`${sessionPath(this.id)}/steps/${n}`);
      this.details.set(n, detail);
      return detail;
    } catch (err) {
      const failed = { error: err.message };
      this.details.set(n, failed);
      return failed;
    }
  }

  renderPanel() {
    const n = this.current;
    const step = this.index.steps.get(n);
    const got = this.details.get(n);
    const ctx = this.contextNumber(n);
    const ctxDetail = ctx === null ? null : this.details.get(ctx);
    mount(this.panel, stepPanel({
      sessionId: this.id,
      step,
      detail: got && !got.error ? got : null,
      error: got && got.error ? `Could not load the payloads: ${got.error}` : null,
      context: ctxDetail && !ctxDetail.error ? { number: ctx, detail: ctxDetail } : null,
      pathFor: (m) => this.stepPath(m),
    }));
  }

  key(event) {
    const target = event.target;
    if (target && ["INPUT", "SELECT", "TEXTAREA"].includes(target.tagName) && target.type !== "range") return;
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    const keys = {
      j: () => this.scrubber.stepBy(1),
      ArrowDown: () => this.scrubber.stepBy(1),
      k: () => this.scrubber.stepBy(-1),
      ArrowUp: () => this.scrubber.stepBy(-1),
      Home: () => this.scrubber.go(0, true),
      End: () => this.scrubber.go(-1, true),
      " ": () => this.scrubber.toggle(),
    };
    const fn = keys[event.key];
    if (fn && target.type !== "range") {
      event.preventDefault();
      fn();
    }
  }

  startLive() {
    this.follow = true;
    this.stream = openStream(this.id, {
      onStep: (step) => {
        const before = this.index.steps.get(step.number);
        this.index.upsert(step);
        // The payloads of a step that was running when they were fetched are
        // incomplete: drop them once the step has ended.
        if (before && before.status === "running" && step.status !== "running") {
          this.details.delete(step.number);
        }
        this.rebuildSoon();
        if (this.follow) this.followSoon();
      },
      onSession: (session) => {
        this.session = session;
        this.renderHeader(session);
      },
      onState: (text) => this.debug && this.debug.setStream(text),
    });
    this.followSoon = throttleFrame(() => {
      const newest = this.index.maxNumber;
      if (newest && newest !== this.current) this.select(newest, { url: false });
      else if (newest) this.load(newest);
    });
    this.viewport.addEventListener("wheel", () => {
      this.follow = false;
      this.debug.setFollow(false);
    }, { passive: true });
    this.debug.onFollow = (on) => {
      this.follow = on;
      if (on) this.followSoon();
    };
  }

  update(route) {
    if (route.step && route.step !== this.current) this.select(route.step, { url: false });
  }

  destroy() {
    this.destroyed = true;
    document.removeEventListener("keydown", this.onKey);
    if (this.scrubber) this.scrubber.destroy();
    if (this.tree) this.tree.destroy();
    if (this.stream) this.stream.close();
    if (this.debug) this.debug.destroy();
  }
}
