// The panel for one step: figures, error, conversation or input/output,
// attributes, children, and the raw JSON.

import { h, link } from "./dom.js";
import { contextMessages, conversationView, pretty, replyMessages, textBlock } from "./conversation.js";
import { fmtCost, fmtDuration, fmtInt, fmtTime, plural } from "./format.js";

let rawMode = false; // kept across steps: an engineer reading JSON keeps reading JSON
// The model context of a step that is not a model call: open unless the user
// closed it, and kept so while scrubbing, so it follows the steps.
let contextOpen = true;

function kv(label, value, cls = "") {
  return [h("dt", {}, label), h("dd", { class: cls }, value)];
}

function section(title, ...body) {
  return h("section", { class: "panel-section" }, h("h3", {}, title), ...body);
}

/** A payload: text as text, a flat object as a key/value table, else JSON. */
export function valueView(value) {
  if (value === null || value === undefined) return h("span", { class: "muted" }, "none");
  if (typeof value === "string") return textBlock(value);
  if (typeof value === "object" && !Array.isArray(value)) {
    const keys = Object.keys(value);
    if (keys.length && keys.length <= 40) {
      const rows = keys.map((k) => h("tr", {},
        h("th", { class: "mono" }, k),
        h("td", {}, typeof value[k] === "string" ? textBlock(value[k]) : textBlock(pretty(value[k]), "msg-json"))));
      return h("table", { class: "kv-table" }, h("tbody", {}, ...rows));
    }
  }
  return textBlock(pretty(value), "msg-json");
}

function figures(step) {
  const t = step.tokens || {};
  return h("dl", { class: "figures" },
    ...kv("status", h("span", { class: `status status-${step.status}` }, step.status)),
    ...kv("started", fmtTime(step.started_at), "mono"),
    ...kv("latency", fmtDuration(step.duration_ms), "mono"),
    step.model ? kv("model", step.model, "mono") : [],
    t.total ? kv("tokens", `${fmtInt(t.input)} in · ${fmtInt(t.output)} out`
      + (t.cached ? ` · ${fmtInt(t.cached)} cached` : "")
      + (t.reasoning ? ` · ${fmtInt(t.reasoning)} reasoning` : ""), "mono") : [],
    step.cost !== null && step.cost !== undefined ? kv("cost", fmtCost(step.cost), "mono") : [],
    ...kv("span", step.span_id ?? "-", "mono"));
}

/**
 * Render a step.
 * @param {object} opts  sessionId, step (list entry), detail (API answer or
 *   null while loading), context ({number, detail} of the model call whose
 *   context applies, or null), pathFor(n) -> URL of a step.
 */
export function stepPanel({ sessionId, step, detail, context, pathFor, error }) {
  if (!step) return h("div", { class: "panel-empty muted" }, "No step selected.");
  const s = (detail && detail.step) || step;
  const head = h("div", { class: "panel-head" },
    h("span", { class: "step-no mono" }, `#${s.number}`),
    h("span", { class: `kind kind-${s.kind}` }, s.kind),
    h("span", { class: "step-name", title: s.name }, s.name),
    h("span", { class: "spacer" }),
    rawToggle());
  const parts = [head, figures(s)];
  if (s.parent !== null && s.parent !== undefined) {
    parts.push(h("p", { class: "muted" }, "inside ", link(pathFor(s.parent), `#${s.parent}`)));
  }
  if (s.error) {
    parts.push(h("div", { class: "error-box", role: "alert" },
      h("strong", {}, `${s.error.type}: `), s.error.message,
      s.error.traceback ? textBlock(s.error.traceback, "msg-json") : null));
  }
  if (error) parts.push(h("div", { class: "notice notice-error" }, error));
  if (!detail) {
    parts.push(h("p", { class: "muted" }, "Loading payloads…"));
    return h("div", { class: "panel", "data-testid": "step-panel", "data-step": s.number }, ...parts);
  }
  if (rawMode) {
    parts.push(h("pre", { class: "raw-json", "data-testid": "raw-json" }, pretty(detail)));
  } else {
    parts.push(...readable(s, detail, context, pathFor));
  }
  return h("div", { class: "panel", "data-testid": "step-panel", "data-step": s.number }, ...parts);
}

function readable(s, detail, context, pathFor) {
  const out = [];
  const messages = contextMessages(detail);
  if (s.kind === "llm" && messages) {
    const reply = replyMessages(detail.output);
    out.push(section(`Context · ${plural(messages.length, "message")}`, conversationView(messages)));
    out.push(section("Reply", reply.length ? conversationView(reply) : valueView(detail.output)));
  } else {
    out.push(section("Input", valueView(detail.input)));
    out.push(section("Output", valueView(detail.output)));
    if (context && context.detail) out.push(section("Model context", contextBox(context, pathFor)));
  }
  const attrs = Object.entries(s.attributes || {});
  if (attrs.length) {
    out.push(section("Attributes", h("table", { class: "kv-table" }, h("tbody", {},
      ...attrs.map(([k, v]) => h("tr", {}, h("th", { class: "mono" }, k),
        h("td", { class: "mono" }, typeof v === "string" ? v : pretty(v))))))));
  }
  const children = detail.children || [];
  if (children.length) {
    out.push(section(`Children · ${fmtInt(children.length)}`, h("p", { class: "children" },
      ...children.flatMap((n, i) => [i ? " " : null, link(pathFor(n), `#${n}`, { class: "mono" })]))));
  }
  return out;
}

/**
 * What the model "knew" at a step that is not a model call, as `agentreel
 * debug` prints it: the messages sent to the last model call at or before
 * the step, and that call's reply (which asked for this tool call or plan).
 */
function contextBox(context, pathFor) {
  const msgs = contextMessages(context.detail) || [];
  const reply = replyMessages(context.detail.output);
  const call = context.detail.step || {};
  const box = h("details", { class: "context-box", "data-testid": "model-context" },
    h("summary", {}, `${plural(msgs.length, "message")} sent to `,
      link(pathFor(context.number), `#${context.number}`, { class: "mono" }),
      ` ${call.name ?? "the model"}`, reply.length ? ", and its reply" : ""),
    conversationView([...msgs, ...reply]));
  box.open = contextOpen;
  box.addEventListener("toggle", () => { contextOpen = box.open; });
  return box;
}

function rawToggle() {
  const box = h("input", { type: "checkbox", "data-testid": "raw-toggle" });
  box.checked = rawMode;
  box.addEventListener("change", () => {
    rawMode = box.checked;
    box.dispatchEvent(new CustomEvent("rawmode", { bubbles: true }));
  });
  return h("label", { class: "raw-toggle" }, box, " Raw JSON");
}
