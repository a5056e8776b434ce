// The live view's parts: the server-sent-events stream of a running session,
// and the debugger controls (breakpoints; Continue / Step / Edit input / Skip /
// Abort on a paused agent).
//
// The controls drive the server's live-debug API (/api/live/{id}/...). Until
// the server offers it, GET /api/live/{id}/state does not answer 200 and the
// controls stay visible but disabled, with a note that says why.

import { enc, get, send, sessionPath } from "./api.js";
import { h } from "./dom.js";

/** Follow /api/sessions/{id}/stream; EventSource resumes with Last-Event-ID itself. */
export function openStream(id, { onStep, onSession, onState }) {
  const source = new EventSource(`${sessionPath(id)}/stream`);
  source.addEventListener("step", (event) => {
    try {
      onStep(JSON.parse(event.data));
    } catch {
      // A malformed event is skipped; the next one for the step carries it whole.
    }
  });
  source.addEventListener("session", (event) => {
    try {
      const session = JSON.parse(event.data);
      onSession(session);
      if (session.status !== "running") {
        onState("ended");
        source.close();
      }
    } catch {
      // as above
    }
  });
  source.addEventListener("open", () => onState("connected"));
  source.addEventListener("error", () => {
    if (source.readyState !== EventSource.CLOSED) onState("reconnecting");
  });
  return source;
}

const ACTIONS = [
  ["continue", "Continue", "Let the paused step run"],
  ["step", "Step", "Run to the next step and pause again"],
  ["edit", "Edit input", "Replace the paused step's input, then continue"],
  ["skip", "Skip", "Do not run the paused step"],
  ["abort", "Abort", "Stop the agent"],
];

export class DebugPanel {
  constructor(id) {
    this.id = id;
    this.available = false;
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
    this.bpInput = h("input", { type: "text", placeholder: "step name, kind:tool or #12", disabled: true, "aria-label": "breakpoint", "data-testid": "bp-input" });
    this.bpAdd = h("button", { type: "button", class: "btn", disabled: true, "data-testid": "bp-add" }, "Add breakpoint");
    this.bpAdd.addEventListener("click", () => this.addBreakpoint());
    this.bpList = h("ul", { class: "bp-list" });
    this.editBox = h("textarea", { rows: "2", class: "edit-input", placeholder: "new input as JSON", disabled: true, "aria-label": "edited input" });
    this.note = h("p", { class: "muted debug-note", "data-testid": "debug-note" },
      "Live debugging is not available from this server yet: the controls are shown disabled.");
    this.pausedAt = h("div", { class: "paused-at" });
    this.el = h("section", { class: "debug-panel", "aria-label": "debugger", "data-testid": "debug-panel" },
      h("div", { class: "debug-row" },
        h("strong", {}, "Live"), this.streamState,
        h("label", { class: "follow" }, this.followBox, " follow newest step")),
      this.pausedAt,
      h("div", { class: "debug-row" }, ...this.buttons),
      this.editBox,
      h("div", { class: "debug-row" }, this.bpInput, this.bpAdd),
      this.bpList, this.note);
    this.probe();
  }

  setStream(text) {
    this.streamState.textContent = text;
    this.streamState.dataset.state = text;
  }

  setFollow(on) {
    this.followBox.checked = on;
  }

  async probe() {
    try {
      const state = await get(`/api/live/${enc(this.id)}/state`);
      this.available = true;
      this.note.textContent = "";
      this.showState(state);
      this.poll = setInterval(() => this.refresh(), 1000);
    } catch {
      this.available = false;
    }
  }

  async refresh() {
    try {
      this.showState(await get(`/api/live/${enc(this.id)}/state`));
    } catch (err) {
      this.note.textContent = `Live state unavailable: ${err.message}`;
    }
  }

  showState(state) {
    const paused = Boolean(state && (state.paused || state.paused_at));
    for (const b of this.buttons) b.disabled = !paused;
    this.editBox.disabled = !paused;
    this.bpInput.disabled = false;
    this.bpAdd.disabled = false;
    const at = state && (state.paused_at ?? state.step);
    this.pausedAt.textContent = paused ? `Paused before step ${typeof at === "object" && at ? at.number : at ?? "?"}` : "";
    this.renderBreakpoints((state && state.breakpoints) || []);
  }

  renderBreakpoints(list) {
    this.bpList.replaceChildren(...list.map((bp) => {
      const text = typeof bp === "string" ? bp : (bp.spec ?? bp.expression ?? JSON.stringify(bp));
      const remove = h("button", { type: "button", class: "link-button", "aria-label": "clear breakpoint" }, "clear");
      remove.addEventListener("click", async () => {
        await send("DELETE", `/api/live/${enc(this.id)}/breakpoints`, { id: bp.id, spec: text });
        this.refresh();
      });
      return h("li", {}, h("span", { class: "mono" }, text), " ", remove);
    }));
  }

  async addBreakpoint() {
    const spec = this.bpInput.value.trim();
    if (!spec) return;
    try {
      await send("POST", `/api/live/${enc(this.id)}/breakpoints`, { spec });
      this.bpInput.value = "";
      this.refresh();
    } catch (err) {
      this.note.textContent = `Breakpoint not set: ${err.message}`;
    }
  }

  async command(action) {
    const body = { action };
    if (action === "edit") {
      try {
        body.input = JSON.parse(this.editBox.value);
      } catch {
        this.note.textContent = "The edited input must be JSON.";
        return;
      }
    }
    try {
      await send("POST", `/api/live/${enc(this.id)}/command`, body);
      this.refresh();
    } catch (err) {
      this.note.textContent = `${action} failed: ${err.message}`;
    }
  }

  destroy() {
    clearInterval(this.poll);
  }
}
