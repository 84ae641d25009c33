// The web API client: the HttpOnly session cookie (the page never holds a secret), JSON errors
// `{"error": {code, message}}`, SSE over POST.

import { readEvents } from "./sse.js";

export class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.name = "ApiError";
    this.status = status;
    this.code = code;
  }
}

export class Api {
  /**
   * @param {{language: string, onUnauthorized: (e: ApiError) => void, networkMessage: string}} options
   */
  constructor({ language, onUnauthorized, networkMessage }) {
    this.language = language;
    this.onUnauthorized = onUnauthorized;
    this.networkMessage = networkMessage;
  }

  async request(method, path, { body, stream = false } = {}) {
    const headers = {
      Accept: stream ? "text/event-stream" : "application/json",
      "Accept-Language": this.language,
    };
    if (body !== undefined) headers["Content-Type"] = "application/json";
    let response;
    try {
      response = await fetch(path, {
        method, headers, body: body === undefined ? undefined : JSON.stringify(body), cache: "no-store",
        credentials: "same-origin",
      });
    } catch {
      throw new ApiError(0, "network", this.networkMessage);
    }
    if (!response.ok) {
      let code = `http_${response.status}`;
      let message = response.statusText || code;
      try {
        const payload = await response.json();
        if (payload && payload.error) {
          code = payload.error.code || code;
          message = payload.error.message || message;
        } else if (payload && typeof payload.detail === "string") {
          message = payload.detail;
        }
      } catch {
        /* not JSON */
      }
      const error = new ApiError(response.status, code, message);
      if (response.status === 401) this.onUnauthorized(error);
      throw error;
    }
    return response;
  }

  async json(method, path, body) {
    const response = await this.request(method, path, { body });
    if (response.status === 204) return null;
    const text = await response.text();
    return text ? JSON.parse(text) : null;
  }

  get(path) {
    return this.json("GET", path);
  }

  post(path, body = {}) {
    return this.json("POST", path, body);
  }

  put(path, body) {
    return this.json("PUT", path, body);
  }

  delete(path) {
    return this.json("DELETE", path);
  }

  patch(path, body) {
    return this.json("PATCH", path, body);
  }

  /** GET an event stream (re-attaching to a running turn); yields nothing when the server answers 204. */
  async* follow(path) {
    const response = await this.request("GET", path, { stream: true });
    if (response.status === 204) return;
    for await (const { event, data } of readEvents(response)) yield { type: event, data };
  }

  /**
   * POST and yield `{type, data}` per event. A server that answers JSON instead of a stream
   * (the contract allows it) is replayed as the same events.
   */
  async* stream(path, body) {
    const response = await this.request("POST", path, { body, stream: true });
    const type = response.headers.get("content-type") || "";
    if (type.includes("text/event-stream")) {
      for await (const { event, data } of readEvents(response)) {
        yield { type: event === "message" && data && data.type ? data.type : event, data };
      }
      return;
    }
    const payload = await response.json();
    if (payload.conversationId) yield { type: "conversation", data: { conversationId: payload.conversationId } };
    for (const event of payload.events || []) yield { type: event.type, data: event };
  }
}
