// The live view's stream: a session's steps as they start and end, from
// /api/sessions/{id}/stream (server-sent events, docs/api.md).

import { parse, sessionPath } from "./api.js";
import { authHeaders } from "./auth.js";

const RETRY_MS = 2000;

/**
 * Follow /api/sessions/{id}/stream (server-sent events) until close().
 *
 * Read with fetch rather than EventSource: an EventSource cannot send the
 * Authorization header a server with --auth needs, and the key must never go
 * in the URL. Like EventSource, it reconnects after a dropped stream and
 * sends the last event id back as Last-Event-ID.
 */
export function openStream(id, { onStep, onSession, onState }) {
  let closed = false;
  let controller = null;
  let lastId = null;
  let retry = RETRY_MS;
  const close = () => {
    closed = true;
    if (controller) controller.abort();
  };
  const dispatch = (event, data) => {
    let value;
    try {
      value = JSON.parse(data);
    } catch {
      return; // a malformed event is skipped; the next one for the step carries it whole
    }
    if (event === "step") {
      onStep(value);
    } else if (event === "session") {
      onSession(value);
      if (value.status !== "running") {
        onState("ended");
        close();
      }
    } else if (event === "end") {
      onState("ended");
      close();
    }
  };
  const read = async (response) => {
    const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
    let buffer = "";
    let event = "";
    let data = [];
    for (;;) {
      const { value, done } = await reader.read();
      if (done || closed) return;
      buffer += value;
      let nl = buffer.indexOf("\n");
      while (nl >= 0 && !closed) {
        const line = buffer.slice(0, nl).replace(/\r$/, "");
        buffer = buffer.slice(nl + 1);
        nl = buffer.indexOf("\n");
        if (line === "") {
          if (data.length) dispatch(event || "message", data.join("\n"));
          event = "";
          data = [];
          continue;
        }
        if (line.startsWith(":")) continue; // a heartbeat
        const colon = line.indexOf(":");
        const field = colon < 0 ? line : line.slice(0, colon);
        const text = colon < 0 ? "" : line.slice(colon + 1).replace(/^ /, "");
        if (field === "event") event = text;
        else if (field === "data") data.push(text);
        else if (field === "id") lastId = text;
        else if (field === "retry" && /^\d+$/.test(text)) retry = Number(text);
      }
    }
  };
  const run = async () => {
    while (!closed) {
      controller = new AbortController();
      const headers = { Accept: "text/event-stream", ...authHeaders() };
      if (lastId !== null) headers["Last-Event-ID"] = lastId;
      try {
        const response = await fetch(`${sessionPath(id)}/stream`, {
          headers, credentials: "same-origin", cache: "no-store", signal: controller.signal,
        });
        if (!response.ok) {
          // A 401 brings up the key form (api.js); a 404 will not change by asking again.
          await parse(response).catch(() => {});
          if (response.status === 401 || response.status === 404) {
            onState(response.status === 401 ? "needs a key" : "not found");
            return;
          }
        } else {
          onState("connected");
          await read(response);
        }
      } catch {
        // dropped: reconnect below, as EventSource would
      }
      if (closed) return;
      onState("reconnecting");
      await new Promise((resolve) => { setTimeout(resolve, retry); });
    }
  };
  run();
  return { close };
}
