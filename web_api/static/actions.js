// Per-message tools: a timestamp, copy, retry (ask again) and edit-and-resend. Retry and edit send a
// new message; the earlier exchange stays in the history as it happened.

import { LANG, t } from "./i18n.js";

/** A <time> for a message: the hour for today, the date and hour before. */
export function timestamp(iso) {
  const date = iso ? new Date(iso) : new Date();
  const node = document.createElement("time");
  if (Number.isNaN(date.getTime())) return node;
  node.className = "msg-time";
  node.dateTime = date.toISOString();
  const today = date.toDateString() === new Date().toDateString();
  node.textContent = new Intl.DateTimeFormat(LANG, today ? { hour: "2-digit", minute: "2-digit" }
    : { day: "2-digit", month: "short", hour: "2-digit", minute: "2-digit" }).format(date);
  node.title = new Intl.DateTimeFormat(LANG, { dateStyle: "full", timeStyle: "medium" }).format(date);
  return node;
}

function button(label, className, onclick) {
  const node = document.createElement("button");
  node.type = "button";
  node.className = `btn btn-link msg-action ${className}`;
  node.textContent = label;
  node.addEventListener("click", onclick);
  return node;
}

async function copyText(text) {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch {
    // Clipboard API refused (no permission, not focused): the selection fallback.
    const area = document.createElement("textarea");
    area.value = text;
    area.setAttribute("readonly", "");
    area.className = "sr-only";
    document.body.append(area);
    area.select();
    const ok = document.execCommand("copy");
    area.remove();
    return ok;
  }
}

/** Copy and retry under an assistant reply. `getText` gives the reply's Markdown source. */
export function assistantActions(getText, { onRetry, disabled }) {
  const bar = document.createElement("div");
  bar.className = "msg-actions";
  const copy = button(t("copy"), "msg-copy", async () => {
    if (await copyText(getText())) {
      copy.textContent = t("copied");
      setTimeout(() => { copy.textContent = t("copy"); }, 1500);
    }
  });
  bar.append(copy);
  if (onRetry) bar.append(button(t("retry"), "msg-retry", () => { if (!disabled()) onRetry(); }));
  return bar;
}

/** Edit-and-resend and copy under a user message: editing opens the text in place; Send sends it anew. */
export function userActions(node, text, { onSend, disabled }) {
  const bar = document.createElement("div");
  bar.className = "msg-actions";
  bar.append(button(t("copy"), "msg-copy", () => copyText(text)));
  bar.append(button(t("edit"), "msg-edit", () => {
    if (disabled() || node.querySelector(".msg-editor")) return;
    const editor = document.createElement("form");
    editor.className = "msg-editor";
    const area = document.createElement("textarea");
    area.value = text;
    area.rows = Math.min(8, text.split("\n").length + 1);
    area.setAttribute("aria-label", t("edit"));
    const send = button(t("editSend"), "btn-primary msg-edit-send", () => editor.requestSubmit());
    send.type = "submit";
    const cancel = button(t("editCancel"), "msg-edit-cancel", () => editor.remove());
    editor.append(area, send, cancel);
    editor.addEventListener("submit", (event) => {
      event.preventDefault();
      const edited = area.value.trim();
      if (!edited || disabled()) return;
      editor.remove();
      onSend(edited);
    });
    node.append(editor);
    area.focus();
  }));
  return bar;
}
