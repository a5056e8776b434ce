// Building DOM without ever parsing markup.
//
// Everything on screen comes from recorded traces, and traces carry whatever
// an agent saw: HTML, markdown, scripts. So text only ever reaches the page
// through textContent, attributes only through setAttribute with names that
// are written here in code, and links only point at this UI's own pages.
// There is no innerHTML anywhere in the UI.

const SVG_NS = "http://www.w3.org/2000/svg";

// Attribute names a caller may set. Event handlers (on*), style, src and
// friends are refused: none of them is needed, and each is a way in.
const ALLOWED_ATTRS = new Set([
  "class", "id", "title", "type", "name", "value", "placeholder", "role", "tabindex",
  "for", "min", "max", "step", "disabled", "checked", "selected", "colspan", "rowspan",
  "aria-label", "aria-expanded", "aria-selected", "aria-current", "aria-hidden",
  "aria-live", "aria-pressed", "aria-busy", "autocomplete", "spellcheck", "list", "rows", "size",
  "data-step", "data-page", "data-sort", "data-row", "data-change", "data-status",
  "data-kind", "data-role", "data-testid", "data-number", "data-state", "download",
]);

const SVG_ATTRS = new Set([
  "viewBox", "width", "height", "x", "y", "x1", "x2", "y1", "y2", "rx", "ry", "cx", "cy",
  "r", "d", "points", "class", "text-anchor", "dominant-baseline", "transform",
  "preserveAspectRatio", "role", "aria-label", "data-testid",
]);

/** True for a path of this UI ("/s/abc"), false for anything that leaves it. */
export function isInternalPath(path) {
  return typeof path === "string" && path.startsWith("/") && !path.startsWith("//")
    && !path.includes("\\");
}

function setAttrs(el, attrs) {
  for (const [key, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (key === "text") {
      el.textContent = String(value);
    } else if (key === "on") {
      for (const [event, fn] of Object.entries(value)) el.addEventListener(event, fn);
    } else if (key === "href") {
      // Only our own pages: a URL found in a trace never becomes a link.
      if (!isInternalPath(value)) throw new Error(`refusing a link that leaves the UI: ${value}`);
      el.setAttribute("href", value);
    } else if (ALLOWED_ATTRS.has(key)) {
      el.setAttribute(key, value === true ? "" : String(value));
    } else {
      throw new Error(`attribute not allowed: ${key}`);
    }
  }
}

function append(el, children) {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    if (Array.isArray(child)) append(el, child);
    else if (child instanceof Node) el.appendChild(child);
    else el.appendChild(document.createTextNode(String(child)));
  }
}

/** h("td", {class: "num"}, "12", otherNode) — text children become text nodes. */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  setAttrs(el, attrs);
  append(el, children);
  return el;
}

/** An SVG element; attribute values are numbers or strings written by our code. */
export function svg(tag, attrs = {}, ...children) {
  const el = document.createElementNS(SVG_NS, tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === undefined || value === null) continue;
    if (key === "text") el.textContent = String(value);
    else if (SVG_ATTRS.has(key)) el.setAttribute(key, String(value));
    else throw new Error(`svg attribute not allowed: ${key}`);
  }
  append(el, children);
  return el;
}

/** Replace every child of el. */
export function mount(el, ...children) {
  el.replaceChildren();
  append(el, children);
  return el;
}

export function clear(el) {
  el.replaceChildren();
}

/** A link to a page of this UI. */
export function link(path, text, attrs = {}) {
  return h("a", { ...attrs, href: path }, text);
}

/** The value of a cookie, or "" when it is not set. */
export function cookie(name) {
  for (const part of document.cookie.split(";")) {
    const eq = part.indexOf("=");
    if (eq < 0) continue;
    if (part.slice(0, eq).trim() === name) return decodeURIComponent(part.slice(eq + 1).trim());
  }
  return "";
}

/** Run fn at most once per animation frame, with the latest arguments. */
export function throttleFrame(fn) {
  let pending = false;
  let lastArgs = [];
  return (...args) => {
    lastArgs = args;
    if (pending) return;
    pending = true;
    requestAnimationFrame(() => {
      pending = false;
      fn(...lastArgs);
    });
  };
}

/** A small message box for empty states and errors. */
export function notice(text, kind = "info") {
  return h("div", { class: `notice notice-${kind}`, role: kind === "error" ? "alert" : "status" },
    text);
}
