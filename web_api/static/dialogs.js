// Dialogs panel: the user's WhatsApp / Instagram customer dialogs (GET /api/brain/inbound/dialogs), by
// default those waiting for a reply, each message with its analysis (intent, sentiment, confidence, lead
// temperature — GET /api/brain/inbound/dialogs/{id}/messages). Live while open: an EventSource on
// /api/brain/inbound/stream says which dialogs changed (from any server process) and the panel re-reads them.
// Self-contained: its own sidebar button and <dialog>. Customer text is always plain text, never markup.

import { RU, call, sidebarButton } from "./panel.js";

const T = RU
  ? { open: "Входящие", title: "Входящие диалоги", close: "Закрыть", awaiting: "только ждущие ответа",
      empty: "Диалогов, ждущих ответа, нет.", emptyAll: "Диалогов с клиентами пока нет.", live: "обновляется вживую",
      offline: "нет связи, переподключаюсь…", show: "Сообщения", hide: "Свернуть",
      channels: { whatsapp: "WhatsApp", instagram: "Instagram" },
      senders: { customer: "клиент", bot: "бот", human: "менеджер", echo: "мы (эхо)" },
      intents: { price_question: "вопрос о цене", booking: "запись", complaint: "жалоба", objection: "возражение",
                 human_request: "просит менеджера", opt_out: "отписка", spam: "спам", greeting: "приветствие",
                 question: "вопрос", other: "прочее" },
      sentiments: { positive: "позитив", neutral: "нейтрально", negative: "негатив" },
      temperatures: { hot: "горячий", warm: "тёплый", cold: "холодный" },
      modes: { auto: "авто", handoff: "ждёт менеджера", human: "ведёт менеджер" } }
  : { open: "Inbox", title: "Customer dialogs", close: "Close", awaiting: "awaiting a reply only",
      empty: "No dialog is waiting for a reply.", emptyAll: "No customer dialogs yet.", live: "live",
      offline: "disconnected, reconnecting…", show: "Messages", hide: "Hide",
      channels: { whatsapp: "WhatsApp", instagram: "Instagram" },
      senders: { customer: "customer", bot: "bot", human: "manager", echo: "us (echo)" },
      intents: { price_question: "price question", booking: "booking", complaint: "complaint", objection: "objection",
                 human_request: "asks for a human", opt_out: "opt-out", spam: "spam", greeting: "greeting",
                 question: "question", other: "other" },
      sentiments: { positive: "positive", neutral: "neutral", negative: "negative" },
      temperatures: { hot: "hot", warm: "warm", cold: "cold" },
      modes: { auto: "auto", handoff: "awaits a manager", human: "manager answers" } };

function badge(kind, value, label) {
  const el = document.createElement("span");
  el.className = `inbox-badge inbox-${kind}`;
  el.dataset[kind] = value;
  el.textContent = label || value;
  return el;
}

function analysisBadges(analysis, temperature) {
  const out = [];
  if (analysis && analysis.intent) out.push(badge("intent", analysis.intent, T.intents[analysis.intent]));
  if (analysis && analysis.sentiment) out.push(badge("sentiment", analysis.sentiment, T.sentiments[analysis.sentiment]));
  if (analysis && typeof analysis.confidence === "number") {
    out.push(badge("confidence", String(analysis.confidence), `${Math.round(analysis.confidence * 100)}%`));
  }
  const temp = temperature || (analysis && analysis.temperature);
  if (temp) out.push(badge("temperature", temp, T.temperatures[temp]));
  return out;
}

function messageRow(message) {
  const item = document.createElement("li");
  item.className = `inbox-message inbox-${message.direction}`;
  const who = document.createElement("strong");
  who.textContent = `${T.senders[message.sender] || message.sender || ""}: `;
  const text = document.createElement("span");
  text.className = "inbox-text";
  text.textContent = message.text;
  item.append(who, text, " ", ...analysisBadges(message.analysis));
  return item;
}

function dialogRow(dialog, expanded, toggle) {
  const item = document.createElement("li");
  item.className = "inbox-dialog";
  item.dataset.dialogId = dialog.id;
  const head = document.createElement("div");
  head.className = "inbox-head";
  const name = document.createElement("strong");
  name.className = "inbox-name";
  name.textContent = dialog.name || "—";
  head.append(name, " ", badge("channel", dialog.channel, T.channels[dialog.channel]),
              " ", badge("mode", dialog.replyMode, T.modes[dialog.replyMode]));
  if (dialog.temperature) head.append(" ", badge("temperature", dialog.temperature, T.temperatures[dialog.temperature]));
  const button = document.createElement("button");
  button.type = "button";
  button.className = "btn inbox-toggle";
  button.textContent = expanded ? T.hide : T.show;
  button.setAttribute("aria-expanded", String(expanded));
  button.addEventListener("click", () => toggle(dialog.id));
  head.append(" ", button);
  item.append(head);
  const last = dialog.lastMessage;
  if (last && !expanded) {
    const line = document.createElement("p");
    line.className = "inbox-last";
    const text = document.createElement("span");
    text.className = "inbox-text";
    text.textContent = last.text;
    line.append(text, " ", ...analysisBadges(last.direction === "in" ? last : null));
    item.append(line);
  }
  return item;
}

function mount() {
  const open = sidebarButton("inbox-open", T.open);
  if (!open) return;

  const dialog = document.createElement("dialog");
  dialog.id = "inbox-panel";
  dialog.style.maxWidth = "min(46rem, 95vw)";
  dialog.setAttribute("aria-labelledby", "inbox-title");
  dialog.innerHTML = `<h2 id="inbox-title"></h2>
    <p><label><input type="checkbox" class="inbox-awaiting" checked> <span></span></label>
       <span class="inbox-live" role="status"></span></p>
    <p class="inbox-note" role="status"></p><ul class="inbox-list"></ul>
    <button type="button" class="btn inbox-close"></button>`;
  dialog.querySelector("h2").textContent = T.title;
  dialog.querySelector("label span").textContent = T.awaiting;
  dialog.querySelector(".inbox-close").textContent = T.close;
  document.body.append(dialog);
  const list = dialog.querySelector(".inbox-list");
  const note = dialog.querySelector(".inbox-note");
  const live = dialog.querySelector(".inbox-live");
  const awaiting = dialog.querySelector(".inbox-awaiting");
  const expanded = new Set();
  let source = null;
  let pending = null;

  async function refresh() {
    try {
      const { items } = await call("GET", `/api/brain/inbound/dialogs?limit=50&awaiting=${awaiting.checked}`);
      const rows = await Promise.all(items.map(async (d) => {
        const row = dialogRow(d, expanded.has(d.id), toggle);
        if (expanded.has(d.id)) {
          const { items: messages } = await call("GET", `/api/brain/inbound/dialogs/${d.id}/messages?limit=50`);
          const thread = document.createElement("ul");
          thread.className = "inbox-thread";
          thread.append(...messages.map(messageRow));
          row.append(thread);
        }
        return row;
      }));
      list.replaceChildren(...rows);
      note.textContent = items.length ? "" : (awaiting.checked ? T.empty : T.emptyAll);
    } catch (error) {
      note.textContent = error.message;
    }
  }

  function soon() {  // a burst of deliveries → one re-read
    if (pending) return;
    pending = setTimeout(() => { pending = null; refresh(); }, 150);
  }

  function toggle(id) {
    if (expanded.has(id)) expanded.delete(id); else expanded.add(id);
    refresh();
  }

  function connect() {
    source = new EventSource("/api/brain/inbound/stream", { withCredentials: true });
    source.addEventListener("ready", () => { live.textContent = T.live; dialog.dataset.live = "on"; soon(); });
    source.addEventListener("dialogs", soon);
    source.onerror = () => { live.textContent = T.offline; dialog.dataset.live = "off"; };  // EventSource retries
  }

  function disconnect() {
    if (source) source.close();
    source = null;
    dialog.dataset.live = "off";
    live.textContent = "";
  }

  awaiting.addEventListener("change", refresh);
  dialog.querySelector(".inbox-close").addEventListener("click", () => dialog.close());
  dialog.addEventListener("close", disconnect);
  open.addEventListener("click", async () => {
    note.textContent = "";
    dialog.showModal();
    connect();
    await refresh();
  });
}

mount();
