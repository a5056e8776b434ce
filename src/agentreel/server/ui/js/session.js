// The session view (/s/{id}, /s/{id}/step/{n}) and the live view (/live/{id}):
// header, replay scrubber, step tree beside the waterfall, step panel.

import { enc, get, sessionPath } from "./api.js";
import { contextMessages, replyMessages } from "./conversation.js";
import { h, link, mount, notice, throttleFrame } from "./dom.js";
import { fmtInt } from "./format.js";
import { DebugPanel } from "./live.js";
import { Scrubber } from "./scrubber.js";
import { sessionHeader } from "./sessionhead.js";
import { stepPanel } from "./steppanel.js";
import { openStream } from "./stream.js";
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
    this.firstPage = route.firstSteps || null;
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

  /** GET the whole step list (once). */
  wholeList() {
    if (!this.prefetched) this.prefetched = get(`${sessionPath(this.id)}/steps`);
    return this.prefetched;
  }

  async start() {
    mount(this.main, h("p", { class: "loading" }, "Loading session…"));
    let data;
    try {
      // A first page of steps, when asked for (boot.js), draws the first
      // screen; the whole list comes after.
      data = this.firstPage
        ? await this.firstPage.catch((err) => (err.status === 401 ? Promise.reject(err) : this.wholeList()))
        : await this.wholeList();
    } catch (err) {
      if (this.destroyed) return;
      this.failed(err);
      return;
    }
    if (this.destroyed) return;
    performance.mark("agentreel:steps-parsed");
    this.session = data.session;
    this.index.setSession(data.session);
    for (const step of data.steps) this.index.upsert(step);
    const partial = data.steps.length < (data.session.steps || 0);
    if (partial) this.index.expect(data.session.steps);
    this.layout();
    this.rebuild();
    let first = this.wanted ?? (this.live ? this.index.maxNumber : this.index.order[0]);
    // A link to a step the session does not have opens at its first step.
    if (!this.index.steps.has(first)) first = this.index.order[0];
    const shown = first ? this.select(first, { url: this.wanted !== null && first !== this.wanted }) : null;
    performance.mark("agentreel:first-render");
    document.addEventListener("keydown", this.onKey);
    if (this.live) this.startLive();
    // The rest of the steps once the first step's payloads are in: on a
    // one-process server the two requests would share its time, and the
    // payloads are what the user reads first.
    if (partial) Promise.resolve(shown).finally(() => this.rest());
  }

  /** The whole step list, after a first page was drawn. */
  async rest() {
    let data;
    try {
      data = await this.wholeList();
    } catch (err) {
      if (this.destroyed) return;
      this.index.expect(0);
      this.rebuild();
      this.header.append(notice(`Only the first ${fmtInt(this.index.steps.size)} steps could be loaded: ${err.message}`, "error"));
      return;
    }
    if (this.destroyed) return;
    this.session = data.session;
    this.index.setSession(data.session);
    for (const step of data.steps) this.index.upsert(step);
    this.index.expect(0);
    this.rebuild();
    performance.mark("agentreel:all-steps");
  }

  failed(err) {
    document.title = "Session not found · agentreel";
    mount(this.main, h("h1", {}, "Session"),
      notice(err.status === 404 ? `No session ${this.id}.` : `Could not load the session: ${err.message}`, "error"),
      h("p", {}, link("/", "All sessions")));
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
      this.debug = new DebugPanel(this.id, {
        contextFor: (n) => this.modelContext(n),
        onPause: (pause) => {
          // The step the agent waits at, in the tree and the panel below.
          if (this.follow && this.index.steps.has(pause.step)) this.select(pause.step, { url: false });
        },
      });
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
    sessionHeader(this.header, s, { id: this.id, live: this.live });
  }

  rebuild() {
    if (this.destroyed) return;
    this.index.rebuild(Date.now() * 1000);
    this.axis.replaceChildren(timeAxis(this.index));
    // While the last steps are on their way, the scrubber names the last
    // step there will be (numbers run from 1 in recorded order).
    const missing = this.index.missing;
    this.scrubber.setNumbers(this.index.numbers, missing ? this.index.numbers.length + missing : null);
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
    return this.load(n);
  }

  contextNumber(n) {
    const step = this.index.steps.get(n);
    if (!step || step.kind === "llm") return null;
    return this.index.lastLlmAtOrBefore(n);
  }

  /** The model's context at step n: the last model call before it, its messages and reply. */
  async modelContext(n) {
    const ctx = this.index.lastLlmAtOrBefore(n - 1);
    if (ctx === null) return null;
    const detail = await this.fetchDetail(ctx);
    if (detail.error) return null;
    const step = this.index.steps.get(ctx);
    return {
      number: ctx,
      name: step ? step.name : "",
      messages: contextMessages(detail) || [],
      reply: replyMessages(detail.output),
    };
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
        sessionHeader(this.header, session, { id: this.id, live: this.live });
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
