// Chat messages as a conversation: roles, tool calls and tool results.
//
// Messages arrive in the shapes the vendors use (OpenAI chat and Responses,
// Anthropic messages); they are normalised into {role, parts} and rendered
// as text. Markdown, HTML and links in content stay literal text.

import { h } from "./dom.js";

const CLAMP_LINES = 14;

export function pretty(value) {
  if (typeof value === "string") return value;
  try {
    return JSON.stringify(value, null, 2);
  } catch {
    return String(value);
  }
}

function parseArgs(args) {
  if (typeof args !== "string") return args;
  try {
    return JSON.parse(args);
  } catch {
    return args;
  }
}

/** A block of text, clamped to a few lines with a toggle when it is long. */
export function textBlock(text, cls = "msg-text") {
  const value = String(text ?? "");
  const lines = value.split("\n").length;
  const pre = h("pre", { class: cls }, value);
  if (lines <= CLAMP_LINES && value.length <= 2400) return pre;
  pre.classList.add("clamped");
  const button = h("button", { class: "link-button", type: "button" },
    `Show all (${lines.toLocaleString("en-US")} lines, ${value.length.toLocaleString("en-US")} chars)`);
  button.addEventListener("click", () => {
    const clamped = pre.classList.toggle("clamped");
    button.textContent = clamped
      ? `Show all (${lines.toLocaleString("en-US")} lines, ${value.length.toLocaleString("en-US")} chars)`
      : "Show less";
  });
  return h("div", { class: "clamp-box" }, pre, button);
}

function toolCallView(call) {
  const fn = call.function || call;
  const name = fn.name ?? call.name ?? "tool";
  const args = parseArgs(fn.arguments ?? call.input ?? call.args ?? call.arguments);
  return h("div", { class: "tool-call" },
    h("div", { class: "tool-call-head" },
      h("span", { class: "arrow", "aria-hidden": "true" }, "→ "),
      h("span", { class: "tool-name" }, String(name)),
      call.id ? h("span", { class: "muted mono" }, ` ${call.id}`) : null),
    args === undefined || args === null ? null : textBlock(pretty(args), "msg-json"));
}

function partsView(content) {
  if (content === null || content === undefined) return [];
  if (typeof content === "string") return [textBlock(content)];
  if (!Array.isArray(content)) return [textBlock(pretty(content), "msg-json")];
  return content.map((part) => {
    if (typeof part === "string") return textBlock(part);
    const type = part && part.type;
    if (type === "text" || type === "input_text" || type === "output_text") {
      return textBlock(part.text ?? "");
    }
    if (type === "tool_use") return toolCallView(part);
    if (type === "tool_result") {
      return h("div", { class: "tool-result" },
        h("div", { class: "muted" }, `result of ${part.tool_use_id ?? "a tool call"}`),
        ...partsView(part.content));
    }
    if (type === "image_url" || type === "image" || type === "input_image") {
      // Never loaded: an image URL from a trace could beacon out.
      return h("div", { class: "muted" }, "[image]");
    }
    return textBlock(pretty(part), "msg-json");
  });
}

/** One message {role, content, tool_calls?, tool_call_id?, name?} as a bubble. */
export function messageView(message, index) {
  const role = String(message.role ?? "message");
  const roleClass = ["system", "user", "assistant", "tool", "developer"].includes(role)
    ? role : "other";
  const head = h("div", { class: "msg-head" },
    h("span", { class: `role role-${roleClass}` }, role),
    message.name ? h("span", { class: "muted" }, ` ${message.name}`) : null,
    message.tool_call_id ? h("span", { class: "muted mono" }, ` ← ${message.tool_call_id}`) : null,
    // "msg 2", not "#2": "#" is for step numbers everywhere else.
    index === undefined ? null : h("span", { class: "msg-index muted mono" }, `msg ${index + 1}`));
  const calls = (message.tool_calls || []).map(toolCallView);
  return h("div", { class: `msg msg-${roleClass}`, "data-role": role },
    head, ...partsView(message.content), ...calls);
}

/** The messages a model was sent, in the shapes the vendors use. */
export function contextMessages(detail) {
  if (Array.isArray(detail.messages)) return detail.messages;
  const input = detail.input;
  if (!input || typeof input !== "object") return null;
  const out = [];
  if (typeof input.system === "string") out.push({ role: "system", content: input.system });
  else if (Array.isArray(input.system)) out.push({ role: "system", content: input.system });
  if (Array.isArray(input.messages)) out.push(...input.messages);
  else if (Array.isArray(input.input)) out.push(...input.input);
  else if (typeof input.input === "string") out.push({ role: "user", content: input.input });
  else if (typeof input.prompt === "string") out.push({ role: "user", content: input.prompt });
  return out.length ? out : null;
}

/** The model's answer, as messages, from an OpenAI or Anthropic response. */
export function replyMessages(output) {
  if (!output || typeof output !== "object") {
    return typeof output === "string" ? [{ role: "assistant", content: output }] : [];
  }
  if (Array.isArray(output.choices)) {
    return output.choices.map((c) => c.message || { role: "assistant", content: c.text ?? "" });
  }
  if (Array.isArray(output.content) && (output.role || output.type === "message")) {
    return [{ role: output.role || "assistant", content: output.content }];
  }
  if (Array.isArray(output.output)) {
    return output.output.map((item) => (item.type === "function_call"
      ? { role: "assistant", content: null, tool_calls: [item] }
      : { role: item.role || "assistant", content: item.content ?? item }));
  }
  if (typeof output.output_text === "string") {
    return [{ role: "assistant", content: output.output_text }];
  }
  if (output.role && "content" in output) return [output];
  return [];
}

export function conversationView(messages) {
  return h("div", { class: "conversation" }, ...messages.map((m, i) => messageView(m, i)));
}
