// History panel: the user's platform writes from the action journal (GET /api/brain/actions), each
// reversible one with an Undo button (POST /api/brain/actions/{id}/revert → a plan to approve in the chat).
// Self-contained: it adds its own button to the sidebar and its own <dialog>.

import { RU, call, sidebarButton } from "./panel.js";

const T = RU
  ? { title: "История изменений", open: "История", close: "Закрыть", undo: "Отменить", empty: "Изменений пока нет",
      statuses: { verified: "проверено", unverified: "не подтверждено", failed: "не применено", unknown: "неизвестно",
                  applied: "применено", sent: "отправлено", intended: "не отправлено" } }
  : { title: "Change history", open: "History", close: "Close", undo: "Undo", empty: "No changes yet",
      statuses: { verified: "verified", unverified: "not verified", failed: "not applied", unknown: "unknown",
                  applied: "applied", sent: "sent", intended: "not sent" } };
const UNDOABLE = new Set(["pauseCampaign", "resumeCampaign", "pauseAdSet", "resumeAdSet", "updateBudget",
  "updateDirectionBudget", "updateDirectionTargetCPL", "updateLeadStage"]);

function state(value) {
  if (!value) return "—";
  const entries = Object.entries(value);
  return entries.map(([k, v]) => (entries.length === 1 ? String(v) : `${k}=${v}`)).join(", ");
}

function row(action, onUndo) {
  const item = document.createElement("li");
  item.className = "history-item";
  const when = new Date(action.createdAt).toLocaleString(RU ? "ru-RU" : "en-GB", { dateStyle: "short", timeStyle: "short" });
  const target = action.target.name ? ` «${action.target.name}»` : "";
  const text = document.createElement("span");
  text.textContent = `${when} ${action.tool}${target}: ${state(action.before)} → ${state(action.after || action.expected)}`
    + ` — ${T.statuses[action.status] || action.status}`;
  item.append(text);
  if (action.reversible && UNDOABLE.has(action.tool) && !action.revertsActionId
      && (action.status === "verified" || action.status === "unverified")) {
    const button = document.createElement("button");
    button.type = "button";
    button.className = "btn";
    button.textContent = T.undo;
    button.addEventListener("click", () => onUndo(action, item));
    item.append(" ", button);
  }
  return item;
}

function mount() {
  const open = sidebarButton("history-open", T.open);
  if (!open) return;

  const dialog = document.createElement("dialog");
  dialog.id = "history-panel";
  dialog.style.maxWidth = "min(40rem, 95vw)";
  dialog.setAttribute("aria-labelledby", "history-title");
  dialog.innerHTML = `<h2 id="history-title"></h2><p class="history-note" role="status"></p>
    <ul class="history-list"></ul><button type="button" class="btn history-close"></button>`;
  dialog.querySelector("h2").textContent = T.title;
  dialog.querySelector(".history-close").textContent = T.close;
  dialog.querySelector(".history-close").addEventListener("click", () => dialog.close());
  document.body.append(dialog);
  const list = dialog.querySelector(".history-list");
  const note = dialog.querySelector(".history-note");

  async function undo(action, item) {
    try {
      const reply = await call("POST", `/api/brain/actions/${action.id}/revert`);
      note.textContent = reply.text;
      item.querySelector("button")?.remove();
    } catch (error) {
      note.textContent = error.message;
    }
  }

  open.addEventListener("click", async () => {
    note.textContent = "";
    list.replaceChildren();
    dialog.showModal();
    try {
      const { items } = await call("GET", "/api/brain/actions?limit=50");
      if (!items.length) note.textContent = T.empty;
      list.append(...items.map((a) => row(a, undo)));
    } catch (error) {
      note.textContent = error.message;
    }
  });
}

mount();
