// The live view's debugger controls: breakpoints (and "Pause at next step");
// Continue / Step / Edit input / Skip / Abort on a paused agent, with the
// paused step's input and the model's context shown while it waits.
//
// The controls drive the server's live-debug API (/api/live/{id}/..., docs/api.md):
// the panel asks for the live state every second while the session runs. When
// no live agent process records the session (it runs without the control
// channel, or on another machine), the state answers 404 and the controls stay
// visible but disabled, with the server's reason; the panel asks again every few
// seconds, since the process may switch the channel on later.

import { ApiError, enc, get, send } from "./api.js";
import { contextMessages, conversationView } from "./conversation.js";
import { h, mount } from "./dom.js";
import { plural } from "./format.js";
import { valueView } from "./steppanel.js";

const ACTIONS = [
  ["continue", "Continue", "Let the paused step run"],
  ["step", "Step", "Run the paused step and pause before the next one"],
  ["edit", "Edit input", "Run the paused step with the input in the box below"],
  ["skip", "Skip", "Do not run the paused step: its caller gets StepVetoed"],
  ["abort", "Abort", "End the run: the agent gets RunAborted"],
];

// "The next step" in the breakpoint language: every name matches, and a
// once-breakpoint goes after its first stop. (The API takes a spec; the
// agent's own breakpoint() with no spec means the same.)
export const NEXT_STEP = { spec: "name:*", once: true };

const LIVE_MS = 1000;
const NOT_LIVE_MS = 3000;

function pretty(value) {
  try {
    return JSON.stringify(value, null, 2) ?? "null";
  } catch {
    return String(value);
  }
}

function block(title, testid, ...body) {
  return h("div", { class: "paused-block", "data-testid": testid }, h("h3", {}, title), ...body);
}

/** A block titled like a section, with a line saying where its content comes from. */
function sourced(title, source, testid, ...body) {
  return block(title, testid, h("p", { class: "muted block-source" }, source), ...body);
}

export class DebugPanel {
  /**
   * @param {string} id  the session
   * @param {object} options  contextFor(n) -> Promise of the model's context at
   *   step n ({number, name, messages, reply}) or null; onPause(pause) when a
   *   new pause appears
   */
  constructor(id, { contextFor = async () => null, onPause = () => {} } = {}) {
    this.id = id;
    this.base = `/api/live/${enc(id)}`;
    this.contextFor = contextFor;
    this.onPause = onPause;
    this.available = false;
    this.ended = false;
    this.busy = false;
    this.pause = null;
    this.timer = null;
    this.onFollow = () => {};
    this.streamState = h("span", { class: "stream-state mono", "data-testid": "stream-state" }, "connecting");
    this.followBox = h("input", { type: "checkbox", "data-testid": "follow" });
    this.followBox.checked = true;
    this.followBox.addEventListener("change", () => this.onFollow(this.followBox.checked));
    this.buttons = ACTIONS.map(([action, label, title]) => {
      const b = h("button", { type: "button", class: `btn btn-${action}`, title, disabled: true, "data-testid": `debug-${action}` }, label);
      b.addEventListener("click", () => this.command(action));
      return b;
    });
    this.pauseNext = h("button", {
      type: "button", class: "btn", disabled: true, "data-testid": "pause-next",
      title: "Pause the agent before its next step, of any kind (a breakpoint that goes once it stops)",
    }, "Pause at next step");
    this.pauseNext.addEventListener("click", () => this.addBreakpoint(NEXT_STEP));
    this.bpInput = h("input", { type: "text", class: "bp-input", placeholder: "tool:write_*, llm, name:search, if input.path ~ '/etc/*'", disabled: true, "aria-label": "breakpoint", "data-testid": "bp-input", spellcheck: "false" });
    this.bpInput.addEventListener("keydown", (event) => {
      if (event.key === "Enter") this.addBreakpoint();
    });
    this.bpAdd = h("button", { type: "button", class: "btn", disabled: true, "data-testid": "bp-add" }, "Add breakpoint");
    this.bpAdd.addEventListener("click", () => this.addBreakpoint());
    this.bpList = h("ul", { class: "bp-list", "data-testid": "bp-list" });
    this.editBox = h("textarea", { rows: "4", class: "edit-input", placeholder: "the step's new input, as JSON", disabled: true, "aria-label": "edited input", "data-testid": "edit-input", spellcheck: "false" });
    this.note = h("p", { class: "muted debug-note", "data-testid": "debug-note", role: "status" }, "Looking for the agent process…");
    this.pausedAt = h("div", { class: "paused-at", "data-testid": "paused-at" });
    // The paused step: its input as it will run, the model's context, the edit box.
    this.pausedInput = h("div", { "data-testid": "paused-input" });
    this.pausedContext = h("div", {});
    this.pausedView = h("div", { class: "paused-view" }, this.pausedInput, this.pausedContext,
      block("Edit input (JSON)", "edit-block", this.editBox));
    this.pausedView.hidden = true;
    // What went wrong with the last action; kept until the next one.
    this.message = h("p", { class: "bad debug-note", "data-testid": "debug-message", role: "alert" });
    for (const box of [this.editBox, this.bpInput]) {
      box.addEventListener("input", () => { this.message.textContent = ""; });
    }
    this.el = h("section", { class: "debug-panel", "aria-label": "debugger", "data-testid": "debug-panel" },
      h("div", { class: "debug-row" },
        h("strong", {}, "Live"), this.streamState,
        h("label", { class: "follow" }, this.followBox, " follow newest step")),
      this.pausedAt,
      h("div", { class: "debug-row" }, ...this.buttons),
      this.pausedView,
      h("div", { class: "debug-row" }, this.bpInput, this.bpAdd, this.pauseNext),
      this.bpList, this.message, this.note);
    this.tick();
  }

  setStream(text) {
    this.streamState.textContent = text;
    this.streamState.dataset.state = text;
    if (text === "ended") this.end();
  }

  setFollow(on) {
    this.followBox.checked = on;
  }

  /** Ask for the live state, then again in a second (or a few, while not live). */
  async tick() {
    clearTimeout(this.timer);
    if (this.ended) return;
    // An action asks at once while the timer's request may be on its way:
    // only the answer to the latest request is shown, and one timer runs.
    const seq = (this.seq = (this.seq || 0) + 1);
    let wait = LIVE_MS;
    try {
      const state = await get(`${this.base}/state`);
      if (seq !== this.seq) return;
      this.showState(state);
    } catch (err) {
      if (seq !== this.seq || this.ended) return;
      this.showUnavailable(err);
      wait = NOT_LIVE_MS;
    }
    clearTimeout(this.timer);
    if (!this.ended) this.timer = setTimeout(() => this.tick(), wait);
  }

  showState(state) {
    if (this.ended) return;
    this.available = true;
    const paused = state.paused_at || null;
    const pauseChanged = (paused && paused.pause) !== (this.pause && this.pause.pause);
    this.pause = paused;
    for (const b of this.buttons) b.disabled = !paused || this.busy;
    this.editBox.disabled = !paused;
    this.bpInput.disabled = false;
    this.bpAdd.disabled = false;
    this.pauseNext.disabled = Boolean(paused);
    if (paused) {
      const more = state.pauses.length > 1 ? ` (${state.pauses.length - 1} more waiting)` : "";
      this.pausedAt.textContent = `Paused before #${paused.step} ${paused.kind} ${paused.name}: ${paused.reason}${more}`;
      this.pausedAt.title = `resumes by itself (${paused.on_timeout}) in ${Math.round(paused.resumes_in_s)} s`;
      this.pausedView.hidden = false;
      // A new pause shows its input and fills the box with it; a poll never
      // overwrites what is being typed.
      if (pauseChanged) this.showPause(paused);
    } else {
      this.pausedAt.textContent = "Running";
      this.pausedAt.title = "";
      this.pausedView.hidden = true;
      if (pauseChanged) this.editBox.value = "";
    }
    this.renderBreakpoints(state.breakpoints || []);
    this.note.textContent = `Agent process ${state.pid}: ${state.program || ""}`;
  }

  /** The paused step's input as it will run and the context the model has. */
  showPause(paused) {
    this.editBox.value = pretty(paused.input);
    // A model call's input is its context: shown as the conversation it is.
    const messages = paused.kind === "llm" ? contextMessages({ input: paused.input }) : null;
    mount(this.pausedInput, messages
      ? sourced("Input: the model's context", `${plural(messages.length, "message")}, as the model will get them`,
        "paused-messages", conversationView(messages))
      : block("Input, as it will run", "paused-value", valueView(paused.input)));
    mount(this.pausedContext);
    this.onPause(paused);
    if (messages) return;
    this.contextFor(paused.step).then((context) => {
      if (!this.pause || this.pause.pause !== paused.pause) return;
      mount(this.pausedContext, context
        ? sourced("Model context",
          `${plural(context.messages.length, "message")} sent to #${context.number} ${context.name}${context.reply.length ? ", and its reply" : ""}`,
          "paused-context", conversationView([...context.messages, ...context.reply]))
        : h("p", { class: "muted", "data-testid": "paused-context" }, "No model call before this step: the model has no context yet."));
    });
  }

  showUnavailable(err) {
    this.available = false;
    this.pause = null;
    for (const el of [...this.buttons, this.editBox, this.bpInput, this.bpAdd, this.pauseNext]) el.disabled = true;
    this.pausedAt.textContent = "";
    this.pausedView.hidden = true;
    this.bpList.replaceChildren();
    this.note.textContent = err instanceof ApiError && err.status === 404
      ? `Live debugging is not available: ${err.message}`
      : `Live state unavailable: ${err.message}`;
  }

  end() {
    this.ended = true;
    clearTimeout(this.timer);
    this.pause = null;
    for (const el of [...this.buttons, this.editBox, this.bpInput, this.bpAdd, this.pauseNext]) el.disabled = true;
    this.pausedAt.textContent = "";
    this.pausedView.hidden = true;
    this.bpList.replaceChildren();
    this.note.textContent = "The session has ended.";
  }

  renderBreakpoints(list) {
    this.bpList.replaceChildren(...list.map((bp) => {
      const remove = h("button", { type: "button", class: "link-button", "aria-label": `clear breakpoint ${bp.number}`, "data-testid": `bp-clear-${bp.number}` }, "clear");
      remove.addEventListener("click", () => this.clearBreakpoint(bp.number));
      const next = bp.spec === NEXT_STEP.spec && bp.once;
      return h("li", { "data-number": bp.number },
        h("span", { class: "mono" }, `${bp.number}: ${bp.spec}`),
        next ? " (the next step, once)" : (bp.once ? " (once)" : ""),
        h("span", { class: "muted" }, ` set by ${bp.owner} `), remove);
    }));
  }

  /** Set the typed breakpoint, or `preset` ({spec, once}). */
  async addBreakpoint(preset = null) {
    const body = preset || { spec: this.bpInput.value.trim() };
    if (!body.spec || !this.available) return;
    this.message.textContent = "";
    try {
      await send("POST", `${this.base}/breakpoints`, body);
      if (!preset) this.bpInput.value = "";
      await this.tick();
    } catch (err) {
      this.message.textContent = `Breakpoint not set: ${err.message}`;
    }
  }

  async clearBreakpoint(number) {
    this.message.textContent = "";
    try {
      await send("DELETE", `${this.base}/breakpoints/${number}`);
      await this.tick();
    } catch (err) {
      this.message.textContent = `Breakpoint ${number} not cleared: ${err.message}`;
    }
  }

  async command(action) {
    const pause = this.pause;
    if (!pause || this.busy) return;
    this.message.textContent = "";
    const body = { action, pause: pause.pause };
    if (action === "edit") {
      try {
        body.input = JSON.parse(this.editBox.value);
      } catch {
        this.message.textContent = "The edited input must be JSON.";
        return;
      }
    }
    this.busy = true;
    for (const b of this.buttons) b.disabled = true;
    try {
      await send("POST", `${this.base}/command`, body);
    } catch (err) {
      this.message.textContent = `${action} failed: ${err.message}`;
    } finally {
      this.busy = false;
    }
    await this.tick();
  }

  destroy() {
    this.ended = true;
    clearTimeout(this.timer);
  }
}
