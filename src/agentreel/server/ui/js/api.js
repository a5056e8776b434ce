// The JSON API (docs/ui.md and the server's /api/openapi.json).

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
    throw new ApiError(response.status, type, message);
  }
  return body;
}

/** GET /api/... with query parameters; resolves to the parsed JSON body. */
export async function get(path, params, { signal } = {}) {
  const response = await fetch(url(path, params), {
    headers: { Accept: "application/json" },
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
