// The JSON API, as every other client uses it: a bearer key on each request,
// problem+json errors, and the live feed read as Server-Sent Events.

const KEY_STORAGE = "leadline.api_key";

export const session = {
  get key() {
    return localStorage.getItem(KEY_STORAGE);
  },
  signIn(key) {
    localStorage.setItem(KEY_STORAGE, key);
  },
  signOut() {
    localStorage.removeItem(KEY_STORAGE);
  },
};

/** An error answer of the API (its problem+json), or a network failure (status 0). */
export class ApiError extends Error {
  constructor(status, title, detail) {
    super(detail || title || `HTTP ${status}`);
    this.status = status;
    this.title = title;
    this.detail = detail;
  }
}

/**
 * Calls `/api/v1{path}`. `json` is sent as JSON; `body` as is, with
 * `contentType`. Resolves to the parsed answer; rejects with an ApiError.
 * A 401 signs the browser out (the key is no longer valid).
 */
export async function api(method, path, { json, body, contentType, key, signal } = {}) {
  const headers = { Accept: "application/json" };
  const bearer = key || session.key;
  if (bearer) headers.Authorization = `Bearer ${bearer}`;
  if (json !== undefined) {
    headers["Content-Type"] = "application/json";
    body = JSON.stringify(json);
  } else if (contentType) {
    headers["Content-Type"] = contentType;
  }
  let response;
  try {
    response = await fetch(`/api/v1${path}`, { method, headers, body, signal });
  } catch (error) {
    if (error.name === "AbortError") throw error;
    throw new ApiError(0, "Network error", "The server cannot be reached. Is Leadline running?");
  }
  const text = await response.text();
  let data = null;
  try {
    data = text ? JSON.parse(text) : null;
  } catch {
    data = null;
  }
  if (!response.ok) {
    if (response.status === 401 && !key) {
      window.dispatchEvent(new CustomEvent("leadline:signed-out"));
    }
    throw new ApiError(response.status, data?.title, data?.detail || text.slice(0, 300));
  }
  return data;
}

/** Query string from an object, leaving out empty values. */
export function query(params) {
  const search = new URLSearchParams();
  for (const [name, value] of Object.entries(params)) {
    if (value !== undefined && value !== null && value !== "") search.set(name, value);
  }
  const text = search.toString();
  return text ? `?${text}` : "";
}

/**
 * Follows `/api/v1/events/stream{params}` and calls `onEvent(event)` for each
 * event, in log order. A browser's EventSource cannot send the API key, so
 * the stream is read with fetch. On a dropped connection it reconnects after
 * a pause, from the last position seen, so no event is missed or repeated.
 * `onState("live" | "reconnecting" | "closed")` reports the connection.
 */
export function liveFeed(params, { onEvent, onState = () => {} }) {
  let closed = false;
  let lastId = null;
  let controller = null;
  const retryMs = 2000;

  async function run() {
    while (!closed) {
      controller = new AbortController();
      try {
        const search = { ...params };
        if (lastId !== null) search.after = lastId;
        const response = await fetch(`/api/v1/events/stream${query(search)}`, {
          headers: { Authorization: `Bearer ${session.key}`, Accept: "text/event-stream" },
          signal: controller.signal,
        });
        if (response.status === 401) {
          window.dispatchEvent(new CustomEvent("leadline:signed-out"));
          closed = true;
          break;
        }
        if (!response.ok || !response.body) throw new Error(`HTTP ${response.status}`);
        onState("live");
        await readFrames(response.body, (frame) => {
          if (frame.id !== undefined) lastId = frame.id;
          if (!frame.data) return;
          try {
            onEvent(JSON.parse(frame.data));
          } catch (error) {
            console.error("live feed: unreadable event", error);
          }
        });
      } catch (error) {
        if (closed) break;
        console.warn("live feed interrupted", error);
      }
      if (closed) break;
      onState("reconnecting");
      await new Promise((resolve) => setTimeout(resolve, retryMs));
    }
    onState("closed");
  }

  run();
  return {
    close() {
      closed = true;
      if (controller) controller.abort();
    },
  };
}

/** Splits a text/event-stream body into frames ({id, event, data}). */
async function readFrames(body, onFrame) {
  const reader = body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buffer += value;
    let end;
    while ((end = buffer.indexOf("\n\n")) >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const frame = {};
      const data = [];
      for (const line of block.split("\n")) {
        if (!line || line.startsWith(":")) continue;
        const colon = line.indexOf(":");
        const field = colon < 0 ? line : line.slice(0, colon);
        const text = colon < 0 ? "" : line.slice(colon + 1).replace(/^ /, "");
        if (field === "data") data.push(text);
        else if (field === "id") frame.id = text;
        else if (field === "event") frame.event = text;
      }
      if (data.length) frame.data = data.join("\n");
      if (frame.id !== undefined || frame.data) onFrame(frame);
    }
  }
}
