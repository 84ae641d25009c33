// Server-sent events read from a fetch() Response: EventSource can neither POST nor send headers.
//
// Follows the WHATWG "event stream interpretation": lines end in CRLF, LF or CR; a blank line
// dispatches the event; `:` lines are comments (sse-starlette's pings); the `data:` lines of one
// event are joined with "\n"; one space after the colon is dropped. Chunks may split a line, a
// CRLF pair or a multi-byte UTF-8 character anywhere — the streaming decoder and buffer handle it.

/**
 * Yield `{event, data, id}` for every event of the response body. `data` is parsed as JSON
 * (the raw string is passed through when it is not JSON).
 * @param {Response} response
 */
export async function* readEvents(response) {
  const reader = response.body.getReader();
  const decoder = new TextDecoder("utf-8");
  let buffer = "";
  let event = "";
  let data = [];
  let lastId = null;

  function dispatch() {
    const out = data.length ? { event: event || "message", data: parseData(data.join("\n")), id: lastId } : null;
    event = "";
    data = [];
    return out;
  }

  function field(line) {
    if (line.startsWith(":")) return; // comment / keep-alive ping
    const colon = line.indexOf(":");
    const name = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? "" : line.slice(colon + 1);
    if (value.startsWith(" ")) value = value.slice(1);
    if (name === "event") event = value;
    else if (name === "data") data.push(value);
    else if (name === "id" && !value.includes("\0")) lastId = value;
    // `retry` and unknown fields are ignored: a POST is never reconnected.
  }

  function* drain(final) {
    for (;;) {
      const match = /\r\n|\r|\n/.exec(buffer);
      if (!match) break;
      // A CR that ends the buffer may be the first half of a CRLF split across two chunks.
      if (!final && match[0] === "\r" && match.index === buffer.length - 1) break;
      const line = buffer.slice(0, match.index);
      buffer = buffer.slice(match.index + match[0].length);
      if (line === "") {
        const out = dispatch();
        if (out) yield out;
      } else {
        field(line);
      }
    }
  }

  let finished = false;
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) {
        finished = true;
        break;
      }
      buffer += decoder.decode(value, { stream: true });
      yield* drain(false);
    }
    buffer += decoder.decode();
    yield* drain(true);
    if (buffer) field(buffer);
    buffer = "";
    // The spec drops an event without its closing blank line; a server that closed right
    // after its last `data:` line still meant to send it.
    const out = dispatch();
    if (out) yield out;
  } finally {
    // The consumer stopped early (or a read failed): close the connection instead of leaking it.
    if (!finished) await reader.cancel().catch(() => {});
    reader.releaseLock();
  }
}

function parseData(raw) {
  try {
    return JSON.parse(raw);
  } catch {
    return raw;
  }
}
