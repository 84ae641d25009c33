// Rules panel: the user's automation rules and alerts (GET /api/brain/rules) — switch on/off, delete —
// and a form for a new one that is first restated in words and backtested on the last 30 days
// (POST /api/brain/rules/preview), then saved (POST /api/brain/rules). Money is entered in the account's
// currency and sent in minor units. Self-contained: its own sidebar button and <dialog>.

import { RU, call, sidebarButton } from "./panel.js";

const T = RU
  ? { open: "Правила", title: "Правила и оповещения", close: "Закрыть", empty: "Правил пока нет.", on: "вкл.",
      off: "выкл.", remove: "Удалить", preview: "Проверить на истории", save: "Сохранить правило", new: "Новое правило",
      level: "Что проверять", metric: "Метрика", op: "Условие", threshold: "Порог", window: "Окно, дней",
      action: "Действие", value: "На сколько % / бюджет", mode: "Режим",
      levels: { account: "весь кабинет", campaign: "каждую кампанию", adset: "каждый адсет", ad: "каждое объявление",
                direction: "каждое направление", creative: "каждый креатив" },
      actions: { notify: "оповестить", pause: "поставить на паузу", resume: "включить", budget_pct: "бюджет ±%",
                 budget_set: "бюджет =" },
      modes: { propose: "предлагать план", auto: "выполнять сам" } }
  : { open: "Rules", title: "Rules and alerts", close: "Close", empty: "No rules yet.", on: "on", off: "off",
      remove: "Delete", preview: "Test on history", save: "Save rule", new: "New rule", level: "Watch",
      metric: "Metric", op: "Condition", threshold: "Threshold", window: "Window, days", action: "Action",
      value: "By % / budget", mode: "Mode",
      levels: { account: "the account", campaign: "each campaign", adset: "each ad set", ad: "each ad",
                direction: "each direction", creative: "each creative" },
      actions: { notify: "notify", pause: "pause", resume: "resume", budget_pct: "budget ±%", budget_set: "budget =" },
      modes: { propose: "propose a plan", auto: "act on its own" } };
const MONEY = new Set(["cpl", "cpm", "spend"]);

function select(name, options) {
  const el = document.createElement("select");
  el.name = name;
  for (const [value, label] of Object.entries(options)) el.append(new Option(label, value));
  return el;
}

function field(label, control) {
  const wrap = document.createElement("label");
  wrap.className = "rules-field";
  wrap.append(label + " ", control);
  return wrap;
}

function input(name, type, value) {
  const el = document.createElement("input");
  Object.assign(el, { name, type, value, step: "any", min: "0" });
  return el;
}

function ruleRow(rule, refresh, note) {
  const item = document.createElement("li");
  item.className = "rules-item";
  const text = document.createElement("span");
  text.textContent = rule.description;  // plain text: never markup
  const toggle = document.createElement("button");
  toggle.type = "button";
  toggle.className = "btn";
  toggle.textContent = rule.enabled ? T.on : T.off;
  toggle.setAttribute("aria-pressed", String(rule.enabled));
  toggle.addEventListener("click", async () => {
    try { await call("PATCH", `/api/brain/rules/${rule.id}`, { enabled: !rule.enabled }); await refresh(); }
    catch (error) { note.textContent = error.message; }
  });
  const remove = document.createElement("button");
  remove.type = "button";
  remove.className = "btn";
  remove.textContent = T.remove;
  remove.addEventListener("click", async () => {
    try { await call("DELETE", `/api/brain/rules/${rule.id}`); await refresh(); }
    catch (error) { note.textContent = error.message; }
  });
  item.append(toggle, " ", text, " ", remove);
  return item;
}

function spec(form) {
  const data = Object.fromEntries(new FormData(form).entries());
  const threshold = Number(data.threshold || 0);
  const body = {
    scope_level: data.scope_level, metric: data.metric, operator: data.operator,
    threshold: MONEY.has(data.metric) ? Math.round(threshold * 100) : threshold,
    window_days: Number(data.window_days || 1), action: data.action, mode: data.mode,
  };
  if (data.action === "budget_pct") body.action_value = Number(data.action_value || 0);
  if (data.action === "budget_set") body.action_value = Math.round(Number(data.action_value || 0) * 100);
  return body;
}

function mount() {
  const open = sidebarButton("rules-open", T.open);
  if (!open) return;

  const dialog = document.createElement("dialog");
  dialog.id = "rules-panel";
  dialog.style.maxWidth = "min(44rem, 95vw)";
  dialog.setAttribute("aria-labelledby", "rules-title");
  dialog.innerHTML = `<h2 id="rules-title"></h2><ul class="rules-list"></ul><h3></h3><form class="rules-form"></form>
    <p class="rules-note" role="status"></p><button type="button" class="btn rules-close"></button>`;
  dialog.querySelector("h2").textContent = T.title;
  dialog.querySelector("h3").textContent = T.new;
  dialog.querySelector(".rules-close").textContent = T.close;
  dialog.querySelector(".rules-close").addEventListener("click", () => dialog.close());
  document.body.append(dialog);
  const list = dialog.querySelector(".rules-list");
  const note = dialog.querySelector(".rules-note");
  const form = dialog.querySelector(".rules-form");
  form.append(
    field(T.level, select("scope_level", T.levels)),
    field(T.metric, select("metric", { cpl: "CPL", ctr: "CTR, %", cpm: "CPM", spend: RU ? "расход" : "spend",
                                       leads: RU ? "лиды" : "leads", frequency: RU ? "частота" : "frequency" })),
    field(T.op, select("operator", { ">": ">", ">=": "≥", "<": "<", "<=": "≤" })),
    field(T.threshold, input("threshold", "number", "40")),
    field(T.window, input("window_days", "number", "1")),
    field(T.action, select("action", T.actions)),
    field(T.value, input("action_value", "number", "")),
    field(T.mode, select("mode", T.modes)),
  );
  const preview = document.createElement("button");
  preview.type = "button";
  preview.className = "btn";
  preview.textContent = T.preview;
  const save = document.createElement("button");
  save.type = "submit";
  save.className = "btn btn-primary";
  save.textContent = T.save;
  form.append(preview, " ", save);

  async function refresh() {
    const { items } = await call("GET", "/api/brain/rules");
    list.replaceChildren(...items.map((rule) => ruleRow(rule, refresh, note)));
    if (!items.length) note.textContent = T.empty;
  }
  preview.addEventListener("click", async () => {
    try {
      const body = await call("POST", "/api/brain/rules/preview", spec(form));
      note.textContent = `${body.description} ${body.backtest.hits.length
        ? (RU ? `За 30 дней сработало бы на ${body.backtest.hits.length} объектах.`
              : `Over 30 days it would have fired on ${body.backtest.hits.length} objects.`)
        : (RU ? "За 30 дней не сработало бы ни разу." : "Over 30 days it would never have fired.")}`;
    } catch (error) { note.textContent = error.message; }
  });
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    try {
      const body = await call("POST", "/api/brain/rules", spec(form));
      note.textContent = body.rule.description;
      await refresh();
    } catch (error) { note.textContent = error.message; }
  });
  open.addEventListener("click", async () => {
    note.textContent = "";
    dialog.showModal();
    try { await refresh(); } catch (error) { note.textContent = error.message; }
  });
}

mount();
