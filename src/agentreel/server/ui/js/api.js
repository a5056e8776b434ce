// The JSON API (docs/ui.md and the server's /api/openapi.json).

import { authHeaders } from "./auth.js";
import { cookie } from "./dom.js";

export class ApiError extends Error {
  constructor(status, type, message) {
    super(message);
    this.status = status;
    this.type = type;
  }
}

function url(path, params) {
  const u = new URL(path, window.location.origin);
  for (const [key, value] of Object.entries(params || {})) {
    if (value === undefined || value === null || value === "") continue;
    u.searchParams.set(key, String(value));
  }
  return u.pathname + u.search;
}

let unauthorized = () => {};

/** app.js: called with the ApiError of every 401 answer (auth on, no or a bad key). */
export function onUnauthorized(fn) {
  unauthorized = fn;
}

/** The JSON body of a response, or an ApiError for an error answer. */
export async function parse(response) {
  let body = null;
  try {
    body = await response.json();
  } catch {
    body = null;
  }
  if (!response.ok) {
    const err = body && body.error;
    const type = (err && err.type) || `HTTP ${response.status}`;
    const message = (err && err.message) || (body && body.detail && String(body.detail))
      || response.statusText || "request failed";
    const error = new ApiError(response.status, type, message);
    if (response.status === 401) unauthorized(error);
    throw error;
  }
  return body;
}

/** GET /api/... with query parameters; resolves to the parsed JSON body. */
export async function get(path, params, { signal } = {}) {
  const response = await fetch(url(path, params), {
    headers: { Accept: "application/json", ...authHeaders() },
    credentials: "same-origin",
    signal,
  });
  return parse(response);
}

/**
 * A state-changing request. It carries the CSRF double-submit token: the
 * server set cookie agentreel_csrf when it served the page, and only a page
 * of this origin can read the cookie and echo it in the header.
 */
export async function send(method, path, body) {
  const response = await fetch(url(path), {
    method,
    headers: {
      Accept: "application/json",
      "Content-Type": "application/json",
      "X-CSRF-Token": cookie("agentreel_csrf"),
      ...authHeaders(),
    },
    credentials: "same-origin",
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return parse(response);
}

export const enc = encodeURIComponent;

export function sessionPath(id) {
  return `/api/sessions/${enc(id)}`;
}

/** null when `key` opens the API, else what to tell the user. */
export async function checkKey(key) {
  // Keys are printable ASCII; anything else cannot even go in a header.
  if (!/^[\x21-\x7e]+$/.test(key)) {
    return "That is not an API key: it has spaces or characters no key has.";
  }
  let response;
  try {
    response = await fetch(url("/api/sessions", { limit: 1 }), {
      headers: { Accept: "application/json", Authorization: `Bearer ${key}` },
      credentials: "same-origin",
    });
  } catch (err) {
    return `The server could not be reached: ${err.message}`;
  }
  if (response.ok) return null;
  let message = response.statusText;
  try {
    const body = await response.json();
    message = (body && body.error && body.error.message) || message;
  } catch {
    // keep the status text
  }
  return response.status === 401
    ? `The server refused this key: ${message}`
    : `The server answered ${response.status}: ${message}`;
}
