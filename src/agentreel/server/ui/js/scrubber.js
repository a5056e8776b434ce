// The replay scrubber: first, back, play/pause, forward, last, a slider over
// the step numbers (the same numbers as `agentreel show` and the debugger),
// and a speed.

import { h } from "./dom.js";

const SPEEDS = [["0.25", "4 steps/s"], ["0.5", "2 steps/s"], ["1", "1 step/s"], ["2", "1 step/2s"]];

export class Scrubber {
  /** onMove(n) moves the session view to step n. */
  constructor({ onMove }) {
    this.onMove = onMove;
    this.numbers = [];
    this.current = null;
    this.timer = null;
    const button = (label, title, testid, fn) => {
      const b = h("button", { type: "button", class: "btn", title, "aria-label": title, "data-testid": testid }, label);
      b.addEventListener("click", fn);
      return b;
    };
    this.first = button("|◀", "First step (Home)", "scrub-first", () => this.go(0, true));
    this.back = button("◀", "Previous step (k, ↑)", "scrub-back", () => this.stepBy(-1));
    this.play = button("Play", "Play (space)", "scrub-play", () => this.toggle());
    this.fwd = button("▶", "Next step (j, ↓)", "scrub-forward", () => this.stepBy(1));
    this.last = button("▶|", "Last step (End)", "scrub-last", () => this.go(-1, true));
    this.range = h("input", { type: "range", min: "0", max: "0", step: "1", class: "scrub-range", "aria-label": "step", "data-testid": "scrub-range" });
    this.range.addEventListener("input", () => this.go(Number(this.range.value), true));
    this.label = h("span", { class: "scrub-label mono", "data-testid": "scrub-label" }, "");
    this.speed = h("select", { class: "scrub-speed", "aria-label": "speed", title: "Playback speed" },
      ...SPEEDS.map(([v, t]) => h("option", { value: v }, t)));
    this.speed.value = "0.5";
    this.speed.addEventListener("change", () => {
      if (this.timer) {
        this.stop();
        this.start();
      }
    });
    this.el = h("div", { class: "scrubber", role: "toolbar", "aria-label": "replay" },
      this.first, this.back, this.play, this.fwd, this.last, this.range, this.label, this.speed);
  }

  /** The step numbers there are, in recorded order; `last`: the last still to come. */
  setNumbers(numbers, last = null) {
    this.numbers = numbers;
    this.lastToCome = last;
    this.range.max = String(Math.max(0, numbers.length - 1));
    this.show();
  }

  setCurrent(n) {
    this.current = n;
    this.show();
  }

  position() {
    const i = this.numbers.indexOf(this.current);
    return i < 0 ? 0 : i;
  }

  show() {
    const total = this.numbers.length;
    const i = this.position();
    this.range.value = String(i);
    const last = this.lastToCome ?? this.numbers[total - 1];
    this.label.textContent = total ? `step ${this.current ?? "-"} / ${last}` : "no steps";
    this.back.disabled = !total || i === 0;
    this.first.disabled = this.back.disabled;
    this.fwd.disabled = !total || i >= total - 1;
    this.last.disabled = this.fwd.disabled;
  }

  go(i, byUser) {
    if (!this.numbers.length) return;
    const at = i < 0 ? this.numbers.length - 1 : Math.min(i, this.numbers.length - 1);
    if (byUser && this.timer && i !== this.position() + 1) this.stop();
    this.onMove(this.numbers[at]);
  }

  stepBy(delta) {
    this.go(Math.max(0, this.position() + delta), true);
  }

  toggle() {
    if (this.timer) this.stop();
    else this.start();
  }

  start() {
    if (!this.numbers.length) return;
    if (this.position() >= this.numbers.length - 1) this.go(0, false);
    this.play.textContent = "Pause";
    this.play.title = "Pause (space)";
    this.play.setAttribute("aria-pressed", "true");
    const delay = Number(this.speed.value) * 1000;
    this.timer = setInterval(() => {
      const i = this.position();
      if (i >= this.numbers.length - 1) this.stop();
      else this.go(i + 1, false);
    }, delay);
  }

  stop() {
    clearInterval(this.timer);
    this.timer = null;
    this.play.textContent = "Play";
    this.play.title = "Play (space)";
    this.play.setAttribute("aria-pressed", "false");
  }

  get playing() {
    return this.timer !== null;
  }

  destroy() {
    this.stop();
  }
}
