// The web chat: sidebar of conversations, streamed replies, mode selector, plan approval modal.
// Plain ES modules, no build step, nothing loaded from the network.

import { assistantActions, timestamp, userActions } from "./actions.js";
import { Api, ApiError } from "./api.js";
import { isChartable, timeseriesChart } from "./chart.js";
import { collapseLongLists } from "./collapse.js";
import { followUpButtons, followUpsFor } from "./followups.js";
import { LANG, quote, t } from "./i18n.js";
import { actionLabel, activityLabel, agentLabel, loadLabels } from "./labels.js";
import { renderMarkdown } from "./markdown.js";
import { setupSessions, setupSignIn } from "./sessions.js";

const CONVERSATION_KEY = "agent-brain.conversation";
const MODES = ["auto", "plan", "ask"];

const $ = (id) => document.getElementById(id);
const ui = {
  sidebar: $("sidebar"),
  backdrop: $("backdrop"),
  menuToggle: $("menu-toggle"),
  convList: $("conv-list"),
  convEmpty: $("conv-empty"),
  newChat: $("new-chat"),
  modeSelect: $("mode-select"),
  userBadge: $("user-badge"),
  messages: $("messages"),
  composer: $("composer"),
  input: $("input"),
  send: $("send"),
  stop: $("stop"),
  search: $("conv-search"),
  srStatus: $("sr-status"),
  planDialog: $("plan-dialog"),
  planSummary: $("plan-summary"),
  planSteps: $("plan-steps"),
  planMessage: $("plan-message"),
  planActions: $("plan-actions"),
};

const state = {
  conversationId: null,
  mode: "plan", // for a new conversation: sent with its first message
  streaming: false,
  conversations: [],
  currency: null, // the ad account's, for charts of results that do not name one
};

const api = new Api({
  language: LANG,
  networkMessage: t("networkError"),
  onUnauthorized: () => signIn.open(),
});
const signIn = setupSignIn(api, () => start());
setupSessions(api, () => signIn.open());

// ── small DOM helpers ────────────────────────────────────────────────────────────────────────

function h(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (value === undefined || value === null || value === false) continue;
    if (key === "class") node.className = value;
    else if (key === "text") node.textContent = value;
    else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else node.setAttribute(key, value === true ? "" : String(value));
  }
  for (const child of children.flat()) {
    if (child !== null && child !== undefined && child !== false) node.append(child);
  }
  return node;
}

function announce(text) {
  ui.srStatus.textContent = "";
  // A fresh text node each time so repeated messages are announced again.
  requestAnimationFrame(() => {
    ui.srStatus.textContent = text;
  });
}

function scrollToEnd() {
  const box = ui.messages;
  if (box.scrollHeight - box.scrollTop - box.clientHeight < 160 || state.streaming) box.scrollTop = box.scrollHeight;
}

function translateStatic() {
  document.documentElement.lang = LANG;
  for (const node of document.querySelectorAll("[data-i18n]")) node.textContent = t(node.dataset.i18n);
  for (const node of document.querySelectorAll("[data-i18n-placeholder]")) {
    node.placeholder = t(node.dataset.i18nPlaceholder);
  }
  for (const node of document.querySelectorAll("[data-i18n-aria-label]")) {
    node.setAttribute("aria-label", t(node.dataset.i18nAriaLabel));
  }
  const labels = { auto: t("modeAuto"), plan: t("modePlan"), ask: t("modeAsk") };
  for (const option of ui.modeSelect.options) option.title = labels[option.value];
  ui.modeSelect.title = labels[ui.modeSelect.value];
}

// ── messages ─────────────────────────────────────────────────────────────────────────────────

function showEmptyState() {
  ui.messages.replaceChildren(h("p", { class: "empty-state", text: t("emptyChat") }));
}

function clearEmptyState() {
  for (const node of ui.messages.querySelectorAll(".empty-state")) node.remove();
}

function addUserMessage(text, createdAt) {
  clearEmptyState();
  const node = h("article", { class: "msg msg-user" },
    h("div", { class: "msg-head" }, h("span", { class: "msg-author", text: t("you") }), timestamp(createdAt)),
    h("div", { class: "msg-body" }, text));
  node.append(userActions(node, text, { onSend: (edited) => sendMessage(edited), disabled: () => state.streaming }));
  ui.messages.append(node);
  scrollToEnd();
  return node;
}

function addNote(text, kind = "info") {
  clearEmptyState();
  const node = h("p", { class: `note note-${kind}`, role: kind === "error" ? "alert" : undefined, text });
  ui.messages.append(node);
  scrollToEnd();
  return node;
}

/** Verification mark for one executed plan step: [symbol, words, css kind]. */
function stepOutcome(step) {
  if (!step.success) return ["✗", `${t("stepFailed")}: ${step.error || step.result?.code || ""}`, "failed"];
  const result = step.result || {};
  const verification = result.verification;
  let mark;
  if (result.dry_run) mark = ["🧪", t("stepDryRun"), "dry-run"];
  else if (verification && verification.verified) mark = ["✓", t("stepVerified"), "verified"];
  else if (verification) mark = ["⚠️", verification.warning || t("stepNotVerified"), "unverified"];
  else mark = ["✓", t("stepDone"), "done"];
  if (result.cached) mark[1] += ` (${t("stepCached")})`;
  return mark;
}

function stepTarget(step) {
  const name = step.result?.target?.name;
  return name ? `${actionLabel(step.action)} ${quote(name)}` : actionLabel(step.action);
}

/** One assistant reply: tool activity, streamed Markdown text, charts, plan and step results. */
class AssistantMessage {
  constructor({ live = true, createdAt = null } = {}) {
    this.raw = "";
    this.tools = new Map();
    this.toolNames = new Set();
    this.results = new Map(); // tool → its last successful result (for follow-ups)
    this.pendingRender = false;
    this.activity = h("ul", { class: "msg-activity" });
    this.body = h("div", { class: "msg-body markdown" });
    this.extras = h("div", { class: "msg-extras" });
    this.agent = h("span", { class: "msg-agent" });
    this.node = h("article", { class: "msg msg-assistant", "aria-busy": live ? "true" : undefined },
      h("div", { class: "msg-head" }, h("span", { class: "msg-author", text: t("assistant") }), this.agent,
        timestamp(createdAt)),
      this.activity, this.body, this.extras);
    if (live) {
      this.body.append(h("span", { class: "typing", "aria-label": t("thinking") },
        h("span", {}), h("span", {}), h("span", {})));
    }
    this.activity.hidden = true;
    clearEmptyState();
    ui.messages.append(this.node);
    scrollToEnd();
  }

  setAgent(text) {
    this.agent.textContent = text ? `· ${text}` : "";
  }

  appendText(delta) {
    this.raw += delta;
    this.scheduleRender();
  }

  setText(text) {
    this.raw = text || "";
    this.render();
  }

  scheduleRender() {
    if (this.pendingRender) return;
    this.pendingRender = true;
    requestAnimationFrame(() => {
      if (!this.pendingRender) return; // finish() already rendered the final text
      this.pendingRender = false;
      this.render();
    });
  }

  render() {
    this.body.innerHTML = renderMarkdown(this.raw); // escaped first, see markdown.js
    scrollToEnd();
  }

  toolStart(event) {
    this.toolNames.add(event.tool);
    const item = h("li", { class: "tool tool-running", "data-tool": event.tool },
      h("span", { class: "tool-icon", "aria-hidden": "true", text: "⏳" }),
      h("span", { class: "tool-name", text: `${activityLabel(event.tool)}…` }),
      h("span", { class: "sr-only", text: ` (${t("toolRunning")})` }));
    this.tools.set(event.call_id, item);
    this.activity.append(item);
    this.activity.hidden = false;
    scrollToEnd();
  }

  toolResult(event) {
    let item = this.tools.get(event.call_id);
    if (!item) {
      item = h("li", { class: "tool", "data-tool": event.tool });
      this.activity.append(item);
      this.activity.hidden = false;
    }
    const ok = event.success !== false;
    item.className = `tool ${ok ? "tool-done" : "tool-failed"}`;
    item.replaceChildren(...[
      h("span", { class: "tool-icon", "aria-hidden": "true", text: ok ? "✓" : "✗" }),
      h("span", { class: "tool-name", text: activityLabel(event.tool) }),
      h("span", { class: "sr-only", text: ` (${ok ? t("toolDone") : t("toolFailed")})` }),
      ok ? null : h("span", { class: "tool-error", text: ` — ${event.error || ""}` }),
    ].filter(Boolean));
    if (event.duration_ms) item.title = `${event.duration_ms} ms`;
    if (ok && event.result) this.results.set(event.tool, event.result);
    if (ok && isChartable(event.result)) this.addChart(event.result);
  }

  /** A tool call from the stored history (role "tool"). */
  toolFromHistory(message) {
    const result = message.toolResult;
    const planned = result && result.approval_required;
    const failed = result && result.success === false;
    const kind = failed ? "tool-failed" : planned ? "tool-planned" : "tool-done";
    if (message.toolName) this.toolNames.add(message.toolName);
    if (message.toolName && result && !failed && !planned) this.results.set(message.toolName, result);
    this.activity.append(h("li", { class: `tool ${kind}`, "data-tool": message.toolName || "tool" },
      h("span", { class: "tool-icon", "aria-hidden": "true", text: failed ? "✗" : planned ? "⏸" : "✓" }),
      h("span", { class: "tool-name", text: planned ? actionLabel(message.toolName) : activityLabel(message.toolName) })));
    this.activity.hidden = false;
    if (!failed && !planned && isChartable(result)) this.addChart(result);
  }

  addChart(result) {
    this.extras.append(timeseriesChart(result.series, { currency: result.currency || state.currency }));
    scrollToEnd();
  }

  stepResult(step) {
    const [mark, words, kind] = stepOutcome(step);
    this.activity.append(h("li", { class: `tool step step-${kind}`, "data-step": step.index },
      h("span", { class: "tool-icon", "aria-hidden": "true", text: mark }),
      h("span", { class: "tool-name", text: `${t("step", { n: step.index + 1 })} · ${stepTarget(step)}` }),
      h("span", { class: "step-verdict", text: ` — ${words}` })));
    this.activity.hidden = false;
    scrollToEnd();
  }

  error(message, code) {
    this.extras.append(h("div", { class: "msg-error", role: "alert" },
      h("strong", { text: `${t("errorTitle")}${code ? ` (${code})` : ""}: ` }), message));
    scrollToEnd();
  }

  addPlanButton(planId, plan) {
    this.planButton = h("button", {
      type: "button", class: "btn btn-secondary plan-review", "data-plan-id": planId, text: t("planReview"),
      onclick: () => reviewPlan(planId, plan),
    });
    this.extras.append(this.planButton);
  }

  /** A clarifying question's answers as buttons; a click sends the choice's text as the next message. */
  addChoices(choices) {
    if (!Array.isArray(choices) || !choices.length) return;
    const group = h("div", { class: "msg-choices", role: "group", "aria-label": t("choices") },
      ...choices.map((choice) => h("button", {
        type: "button", class: "btn btn-secondary choice", text: choice.label,
        onclick: () => {
          if (state.streaming) return;
          for (const button of group.querySelectorAll("button")) button.disabled = true; // one answer
          sendMessage(choice.reply_text);
        },
      })));
    this.extras.append(group);
  }

  finish() {
    if (this.pendingRender || this.body.querySelector(".typing")) {
      this.pendingRender = false;
      this.render();
    }
    this.node.removeAttribute("aria-busy");
    if (!this.raw && !this.body.textContent) this.body.hidden = true;
    collapseLongLists(this.body);
  }

  /** Copy / retry under a finished reply, and quick follow-ups after the latest one. */
  addActions(question, { followUps = false } = {}) {
    if (!this.raw) return;
    this.node.append(assistantActions(() => this.raw, {
      onRetry: question ? () => sendMessage(question) : null, disabled: () => state.streaming,
    }));
    const items = followUps ? followUpsFor(this.toolNames, this.results) : [];
    if (items.length) this.node.append(followUpButtons(items, (text) => sendMessage(text)));
  }
}

function dropFollowUps() {
  for (const row of ui.messages.querySelectorAll(".followups")) row.remove();
}

// ── streaming a request into a reply ─────────────────────────────────────────────────────────

/** `stoppable`: a chat turn (Stop shown instead of Send); a plan's execution runs to its end. */
function setStreaming(on, { stoppable = false } = {}) {
  state.streaming = on;
  ui.input.disabled = on;
  ui.send.disabled = on;
  ui.send.hidden = on && stoppable;
  ui.stop.hidden = !(on && stoppable);
  ui.stop.disabled = false;
  ui.stop.textContent = t("stop");
  ui.newChat.disabled = on;
  for (const button of ui.convList.querySelectorAll("button")) button.disabled = on;
  ui.composer.setAttribute("aria-busy", on ? "true" : "false");
  if (on) {
    announce(t("replying"));
  } else {
    ui.input.focus();
  }
}

/**
 * POST `path` and render its events into `reply`. Returns what happened:
 * {ok, approval, steps, error}.
 */
async function runStream(path, body, reply, { onStep, events = null, stoppable = false } = {}) {
  const outcome = { ok: false, approval: null, steps: [], error: null, done: null };
  setStreaming(true, { stoppable });
  try {
    for await (const { type, data } of events || api.stream(path, body)) {
      switch (type) {
        case "conversation":
          if (data.conversationId && data.conversationId !== state.conversationId) {
            state.conversationId = data.conversationId;
            localStorage.setItem(CONVERSATION_KEY, data.conversationId);
            markActiveConversation();
          }
          break;
        case "classified":
          reply.setAgent([...new Set((data.agents && data.agents.length ? data.agents : [data.domain])
            .map(agentLabel).filter(Boolean))].join(", "));
          break;
        case "text":
          reply.appendText(data.text || "");
          break;
        case "tool_start":
          reply.toolStart(data);
          break;
        case "tool_result":
          reply.toolResult(data);
          break;
        case "approval_required":
          outcome.approval = data;
          reply.addPlanButton(data.plan_id, data.plan);
          break;
        case "step_result":
          outcome.steps.push(data);
          reply.stepResult(data);
          if (onStep) onStep(data);
          break;
        case "done":
          outcome.done = data;
          if ((!reply.raw || data.stopped) && data.text) reply.setText(data.text);
          if (data.stopped) reply.node.classList.add("msg-stopped");
          reply.addChoices(data.choices);
          if (data.mode && MODES.includes(data.mode)) ui.modeSelect.value = data.mode;
          break;
        case "error":
          outcome.error = data;
          reply.error(data.code === "busy" ? t("busy") : data.message, data.code);
          break;
        default:
          break; // unknown events are ignored: the server may add more
      }
    }
    if (!outcome.done && !outcome.error) {
      outcome.error = { code: "stream_broken", message: t("streamBroken") };
      reply.error(t("streamBroken"));
    }
    outcome.ok = !outcome.error;
  } catch (err) {
    if (err instanceof ApiError) {
      outcome.error = { code: err.code, message: err.message, status: err.status };
      if (err.status === 409 || err.code === "busy") reply.error(`${t("busy")}`, "busy");
      else if (err.status === 401) reply.error(t("unauthorized"), err.code);
      else reply.error(err.message, err.code);
    } else {
      // The connection broke in the middle of the stream.
      outcome.error = { code: "stream_broken", message: t("streamBroken") };
      reply.error(t("streamBroken"));
    }
  } finally {
    reply.finish();
    setStreaming(false);
    announce(outcome.error ? `${t("errorTitle")}: ${outcome.error.message}` : t("replied"));
    refreshConversations();
  }
  return outcome;
}

async function sendMessage(text) {
  const message = text.trim();
  if (state.streaming || !message) return;
  ui.input.value = "";
  autoGrow();
  dropFollowUps();
  const userNode = addUserMessage(message);
  const reply = new AssistantMessage();
  const isNew = !state.conversationId;
  const outcome = await runStream("/api/brain/chat/message", {
    message, conversationId: state.conversationId, mode: isNew ? state.mode : null,
  }, reply, { stoppable: true });
  if (outcome.error && (outcome.error.status === 409 || outcome.error.status === 401
      || outcome.error.code === "busy" || outcome.error.code === "network")) {
    // Not processed: give the text back so nothing typed is lost.
    userNode.classList.add("msg-unsent");
    if (!ui.input.value) ui.input.value = message;
    autoGrow();
  }
  if (outcome.done) reply.addActions(message, { followUps: !outcome.approval && !outcome.done.stopped });
  if (outcome.approval) reviewPlan(outcome.approval.plan_id, outcome.approval.plan);
}

/** Stop the running turn: the server ends it at a safe point and the partial reply stays, marked. */
async function stopTurn() {
  if (!state.streaming || !state.conversationId) return;
  ui.stop.disabled = true;
  ui.stop.textContent = t("stopping");
  try {
    await api.post(`/api/brain/chat/${encodeURIComponent(state.conversationId)}/stop`);
  } catch (err) {
    if (!(err instanceof ApiError && err.code === "not_running")) addNote(err.message, "error");
  }
}

/** After a reload mid-reply: replay the running turn's events from its start, then follow it live. */
async function resumeRunningTurn(id) {
  let reply = null;
  try {
    const events = api.follow(`/api/brain/chat/${encodeURIComponent(id)}/stream`);
    const first = await events.next();
    if (first.done || state.conversationId !== id) return;
    reply = new AssistantMessage();
    announce(t("resumed"));
    async function* rest() {
      yield first.value;
      yield* events;
    }
    const outcome = await runStream(null, null, reply, { events: rest(), stoppable: true });
    if (outcome.done) {
      const questions = [...ui.messages.querySelectorAll(".msg-user .msg-body")];
      reply.addActions(questions.length ? questions[questions.length - 1].textContent : null,
        { followUps: !outcome.approval && !outcome.done.stopped });
    }
    if (outcome.approval) reviewPlan(outcome.approval.plan_id, outcome.approval.plan);
  } catch (err) {
    if (!(err instanceof ApiError && err.status === 401)) addNote(err.message, "error");
  }
}

// ── plan approval modal ──────────────────────────────────────────────────────────────────────

const plan = {
  id: null,
  steps: [],
  results: {}, // index → step_result (this session) or stored execution result
  busy: false,
  reply: null,
};

function renderPlanSteps() {
  ui.planSteps.replaceChildren(...plan.steps.map((step, index) => {
    const result = plan.results[index];
    let status = null;
    if (result === "running") {
      status = h("span", { class: "step-status step-running", text: t("stepRunning") });
    } else if (result) {
      const [mark, words, kind] = stepOutcome({ ...result, index, action: step.action });
      const target = result.result?.target?.name;
      status = h("span", { class: `step-status step-${kind}` }, h("span", { "aria-hidden": "true", text: `${mark} ` }),
        target ? `${quote(target)} — ${words}` : words);
    }
    // In words: the action, the object's name, before → after and the spend affected (step.view,
    // from GET /plans/{id}); never the tool's name, raw ids or its English description.
    const view = step.view || { title: actionLabel(step.action), target: null, changes: [], spendPerDay: null };
    const changes = (view.changes || []).map((c) => h("li", { class: "plan-change" },
      h("span", { class: "plan-change-label", text: `${c.label}: ` }),
      c.before ? h("span", { class: "plan-before", text: c.before }) : null,
      c.before ? h("span", { class: "plan-arrow", "aria-hidden": "true", text: " → " }) : null,
      h("strong", { class: "plan-after", text: c.after })));
    return h("li", { class: `plan-step${step.dangerous ? " plan-step-dangerous" : ""}`, "data-index": index },
      h("div", { class: "plan-step-line" },
        step.dangerous ? h("span", { class: "danger", title: t("dangerous"), role: "img", "aria-label": t("dangerous"),
          text: "⚠️" }) : null,
        h("strong", { class: "plan-step-action", text: view.title }),
        view.target ? h("span", { class: "plan-step-target", text: ` ${quote(view.target)}` }) : null),
      changes.length ? h("ul", { class: "plan-changes", "aria-label": t("planChange") }, changes) : null,
      view.spendPerDay ? h("p", { class: "plan-spend" }, h("span", { text: `${t("planSpend")}: ` }),
        h("strong", { text: view.spendPerDay })) : null,
      status);
  }));
}

function planMessage(text, kind = "info") {
  ui.planMessage.hidden = !text;
  ui.planMessage.textContent = text || "";
  ui.planMessage.className = `plan-message plan-message-${kind}`;
}

function actionButton(label, hint, className, onclick, extra = {}) {
  return h("button", { type: "button", class: `btn ${className}`, onclick, ...extra },
    h("span", { class: "btn-label", text: label }), hint ? h("small", { class: "btn-hint", text: hint }) : null);
}

function showChoice() {
  ui.planActions.replaceChildren(
    actionButton(t("planNo"), t("planNoHint"), "btn-secondary plan-no", rejectPlan, { autofocus: true }),
    actionButton(t("planYes"), t("planYesHint"), "btn-primary plan-yes", () => executePlan(false)),
    actionButton(t("planYesAuto"), t("planYesAutoHint"), "btn-primary plan-yes-auto", () => executePlan(true)),
    actionButton(t("planYesManual"), t("planYesManualHint"), "btn-primary plan-yes-manual", startManual));
}

function openPlan(planId, planJson, { reply = null, results = {}, manual = false } = {}) {
  plan.id = planId;
  plan.steps = (planJson && planJson.steps) || [];
  plan.results = { ...results };
  plan.reply = reply;
  plan.busy = false;
  const views = plan.steps.map((step) => step.view).filter(Boolean);
  $("plan-title").textContent = plan.steps.length === 1 && views.length === 1
    ? `${views[0].title}${views[0].target ? ` ${quote(views[0].target)}` : ""}?` : t("planTitle");
  ui.planSummary.textContent = plan.steps.length > 1 ? t("planStepsCount", { n: plan.steps.length }) : "";
  planMessage("");
  renderPlanSteps();
  if (manual) startManual();
  else showChoice();
  if (!ui.planDialog.open) ui.planDialog.showModal();
  const first = ui.planActions.querySelector("button");
  if (first) first.focus();
}

function closePlan(note) {
  if (ui.planDialog.open) ui.planDialog.close();
  if (note) addNote(note);
  ui.input.focus();
}

function resolvePlanButtons(planId) {
  for (const button of document.querySelectorAll(`.plan-review[data-plan-id="${CSS.escape(planId)}"]`)) {
    button.disabled = true;
  }
}

function setPlanBusy(on) {
  plan.busy = on;
  for (const button of ui.planActions.querySelectorAll("button")) button.disabled = on;
}

async function rejectPlan() {
  setPlanBusy(true);
  try {
    await api.post(`/api/brain/plans/${encodeURIComponent(plan.id)}/reject`);
    resolvePlanButtons(plan.id);
    closePlan();
    addNote(t("planRejected"));
  } catch (err) {
    planMessage(err.message, "error");
  } finally {
    setPlanBusy(false);
  }
}

async function executePlan(autoRetry) {
  const planId = plan.id;
  closePlan();
  resolvePlanButtons(planId);
  const reply = new AssistantMessage();
  await runStream("/api/brain/chat/execute", { planId, autoRetry }, reply);
}

function nextManualStep() {
  return plan.steps.findIndex((_, index) => {
    const result = plan.results[index];
    return !(result && result !== "running" && result.success);
  });
}

/** Yes+Manual: offer the steps one at a time, each confirmed by its own button. */
function startManual() {
  const index = nextManualStep();
  if (index === -1) {
    planMessage(t("manualDone"), "success");
    resolvePlanButtons(plan.id);
    ui.planActions.replaceChildren(actionButton(t("close"), null, "btn-primary plan-close", () => closePlan()));
    ui.planActions.querySelector("button").focus();
    return;
  }
  const failed = plan.results[index] && plan.results[index] !== "running" && !plan.results[index].success;
  if (failed) {
    ui.planActions.replaceChildren(actionButton(t("close"), null, "btn-primary plan-close", () => closePlan()));
    ui.planActions.querySelector("button").focus();
    return;
  }
  const step = plan.steps[index];
  ui.planActions.replaceChildren(
    actionButton(t("stopHere"), null, "btn-secondary plan-stop", () => closePlan(t("manualStopped"))),
    actionButton(t("runStep", { n: index + 1, action: step.view?.title || actionLabel(step.action) }), null, "btn-primary plan-run-step",
      () => runManualStep(index), { "data-step": index }));
  ui.planActions.querySelector(".plan-run-step").focus();
}

async function runManualStep(index) {
  setPlanBusy(true);
  planMessage("");
  plan.results[index] = "running";
  renderPlanSteps();
  const reply = new AssistantMessage();
  let got = null;
  const outcome = await runStream("/api/brain/chat/execute-action", { planId: plan.id, stepIndex: index }, reply, {
    onStep: (step) => {
      if (step.index === index) got = step;
      plan.results[step.index] = step;
      renderPlanSteps();
    },
  });
  if (!got) {
    plan.results[index] = { success: false, error: outcome.error ? outcome.error.message : t("streamBroken") };
    renderPlanSteps();
  }
  if (outcome.error) planMessage(outcome.error.message, "error");
  setPlanBusy(false);
  startManual();
}

async function reviewPlan(planId, planJson) {
  try {
    const { plan: stored } = await api.get(`/api/brain/plans/${encodeURIComponent(planId)}`);
    if (stored.status === "pending") {
      openPlan(planId, { summary: stored.summary, steps: stored.steps });
    } else if (stored.status === "approved") {
      // A Yes+Manual run left unfinished: continue with the next step.
      const results = {};
      for (const [key, value] of Object.entries(stored.executionResults || {})) results[Number(key)] = value;
      openPlan(planId, { summary: stored.summary, steps: stored.steps }, { results, manual: true });
    } else {
      resolvePlanButtons(planId);
      addNote(t("planStatus", { status: stored.status }));
    }
  } catch (err) {
    if (err instanceof ApiError && err.status !== 401) addNote(err.message, "error");
    else if (!(err instanceof ApiError) && planJson) openPlan(planId, planJson);
  }
}

ui.planDialog.addEventListener("cancel", (event) => {
  // Esc: leave the plan pending (it can be reopened), but never while a step is running.
  event.preventDefault();
  if (plan.busy) return;
  const choosing = Boolean(ui.planActions.querySelector(".plan-yes"));
  closePlan(choosing ? t("planClosed") : null);
});

// ── conversations ────────────────────────────────────────────────────────────────────────────

function formatDate(iso) {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return "";
  const today = new Date();
  const sameDay = date.toDateString() === today.toDateString();
  return new Intl.DateTimeFormat(LANG, sameDay ? { hour: "2-digit", minute: "2-digit" }
    : { day: "2-digit", month: "short" }).format(date);
}

function renderSidebar() {
  ui.convEmpty.hidden = state.conversations.length > 0;
  ui.convList.replaceChildren(...state.conversations.map((conv) => {
    const title = conv.title || t("untitled");
    const current = conv.id === state.conversationId;
    return h("li", { class: `conv${current ? " conv-active" : ""}`, "data-id": conv.id },
      h("button", {
        type: "button", class: "conv-open", "aria-current": current ? "true" : undefined, disabled: state.streaming,
        onclick: () => openConversation(conv.id),
      },
      h("span", { class: "conv-title", text: title }),
      h("span", { class: "conv-meta", text: `${conv.mode} · ${formatDate(conv.updatedAt)}` })),
      h("button", {
        type: "button", class: "btn-icon conv-rename", "aria-label": `${t("rename")}: ${title}`,
        title: t("rename"), disabled: state.streaming, onclick: () => renameConversation(conv), text: "✎",
      }),
      h("button", {
        type: "button", class: "btn-icon conv-delete", "aria-label": t("deleteChat", { title }),
        title: t("deleteChat", { title }), disabled: state.streaming, onclick: () => deleteConversation(conv),
      }, trashIcon()));
  }));
}

function trashIcon() {
  // An SVG, not an emoji: emoji fonts are missing on many Linux desktops.
  const ns = "http://www.w3.org/2000/svg";
  const svg = document.createElementNS(ns, "svg");
  svg.setAttribute("viewBox", "0 0 24 24");
  svg.setAttribute("width", "18");
  svg.setAttribute("height", "18");
  svg.setAttribute("aria-hidden", "true");
  svg.setAttribute("class", "icon");
  const path = document.createElementNS(ns, "path");
  path.setAttribute("d", "M4 7h16M10 11v6M14 11v6M6 7l1 12a2 2 0 0 0 2 2h6a2 2 0 0 0 2-2l1-12M9 7V4h6v3");
  svg.append(path);
  return svg;
}

function markActiveConversation() {
  for (const item of ui.convList.querySelectorAll(".conv")) {
    const current = item.dataset.id === state.conversationId;
    item.classList.toggle("conv-active", current);
    const button = item.querySelector(".conv-open");
    if (current) button.setAttribute("aria-current", "true");
    else button.removeAttribute("aria-current");
  }
}

async function refreshConversations() {
  try {
    const query = ui.search.value.trim();
    const payload = await api.get(`/api/brain/conversations?limit=50&offset=0${query ? `&q=${encodeURIComponent(query)}` : ""}`);
    state.conversations = payload.items || [];
    renderSidebar();
    if (query && !state.conversations.length) {
      ui.convEmpty.hidden = false;
      ui.convEmpty.textContent = t("searchEmpty");
    } else {
      ui.convEmpty.textContent = t("noChats");
    }
  } catch (err) {
    if (!(err instanceof ApiError && err.status === 401)) {
      ui.convEmpty.hidden = false;
      ui.convEmpty.textContent = `${t("sidebarFailed")}: ${err.message}`;
    }
  }
}

function newConversation() {
  if (state.streaming) return;
  state.conversationId = null;
  localStorage.removeItem(CONVERSATION_KEY);
  ui.modeSelect.value = state.mode;
  markActiveConversation();
  showEmptyState();
  closeSidebar();
  ui.input.focus();
}

function renderHistory(items) {
  ui.messages.replaceChildren();
  let tools = [];
  // Only the conversation's last question is still open: older choices are not offered again.
  const lastItem = items.length ? items[items.length - 1] : null;
  let question = null;
  let last = null;
  for (const message of items) {
    if (message.role === "user") {
      addUserMessage(message.content || "", message.createdAt);
      question = message.content || "";
    } else if (message.role === "tool") {
      tools.push(message);
    } else if (message.role === "assistant") {
      const hasCalls = Array.isArray(message.toolCalls) && message.toolCalls.length > 0;
      if (hasCalls && !message.content) continue; // the model only asked for tools
      const reply = new AssistantMessage({ live: false, createdAt: message.createdAt });
      if (message.agent) reply.setAgent(agentLabel(message.agent));
      for (const tool of tools) reply.toolFromHistory(tool);
      tools = [];
      const steps = message.toolResult && Array.isArray(message.toolResult.steps) ? message.toolResult.steps : [];
      for (const step of steps) reply.stepResult(step);
      reply.setText(message.content || "");
      if (message.plan && message.plan.plan_id) reply.addPlanButton(message.plan.plan_id, message.plan);
      if (message === lastItem && message.toolResult) reply.addChoices(message.toolResult.choices);
      reply.finish();
      if (message.content && /_\((ответ остановлен|reply stopped)\)_\s*$/.test(message.content)) {
        reply.node.classList.add("msg-stopped");
      }
      reply.addActions(question);
      last = reply;
    }
  }
  // Quick follow-ups under the latest answer, unless it is waiting for a plan decision.
  const chips = last && !last.node.querySelector(".plan-review") ? followUpsFor(last.toolNames, last.results) : [];
  if (chips.length) last.node.append(followUpButtons(chips, (text) => sendMessage(text)));
  if (!ui.messages.children.length) showEmptyState();
  ui.messages.scrollTop = ui.messages.scrollHeight;
}

async function openConversation(id) {
  if (state.streaming) return;
  closeSidebar();
  try {
    const payload = await api.get(`/api/brain/conversations/${encodeURIComponent(id)}/messages?limit=100`);
    state.conversationId = id;
    localStorage.setItem(CONVERSATION_KEY, id);
    const conv = state.conversations.find((c) => c.id === id);
    if (conv && MODES.includes(conv.mode)) ui.modeSelect.value = conv.mode;
    renderHistory(payload.items || []);
    markActiveConversation();
    resumeRunningTurn(id);
  } catch (err) {
    if (err instanceof ApiError && err.status === 404) {
      localStorage.removeItem(CONVERSATION_KEY);
      newConversation();
      refreshConversations();
    }
    if (!(err instanceof ApiError && err.status === 401)) addNote(err.message, "error");
  }
  ui.input.focus();
}

async function renameConversation(conv) {
  if (state.streaming) return;
  const title = window.prompt(t("renamePrompt"), conv.title || "");
  if (title === null || !title.trim()) return;
  try {
    await api.patch(`/api/brain/conversations/${encodeURIComponent(conv.id)}`, { title: title.trim() });
    await refreshConversations();
  } catch (err) {
    addNote(err.message, "error");
  }
}

let searchTimer = null;
ui.search.addEventListener("input", () => {
  clearTimeout(searchTimer);
  searchTimer = setTimeout(refreshConversations, 250);
});

async function deleteConversation(conv) {
  if (state.streaming) return;
  const title = conv.title || t("untitled");
  if (!window.confirm(t("confirmDelete", { title }))) return;
  try {
    await api.delete(`/api/brain/conversations/${encodeURIComponent(conv.id)}`);
    if (conv.id === state.conversationId) newConversation();
    await refreshConversations();
  } catch (err) {
    addNote(err.message, "error");
  }
}

async function changeMode() {
  const mode = ui.modeSelect.value;
  ui.modeSelect.title = t(`mode${mode[0].toUpperCase()}${mode.slice(1)}`);
  if (!state.conversationId) {
    state.mode = mode;
    return;
  }
  const id = state.conversationId;
  ui.modeSelect.disabled = true;
  try {
    await api.put(`/api/brain/conversations/${encodeURIComponent(id)}/mode`, { mode });
    const conv = state.conversations.find((c) => c.id === id);
    if (conv) conv.mode = mode;
    renderSidebar();
    addNote(t("modeChanged", { mode }));
  } catch (err) {
    const conv = state.conversations.find((c) => c.id === id);
    if (conv) ui.modeSelect.value = conv.mode;
    addNote(err.message, "error");
  } finally {
    ui.modeSelect.disabled = false;
  }
}

// ── sidebar on small screens ─────────────────────────────────────────────────────────────────

function openSidebar() {
  document.body.classList.add("sidebar-open");
  ui.backdrop.hidden = false;
  ui.menuToggle.setAttribute("aria-expanded", "true");
  ui.menuToggle.setAttribute("aria-label", t("closeMenu"));
  const first = ui.sidebar.querySelector("button:not([disabled])");
  if (first) first.focus();
}

function closeSidebar() {
  if (!document.body.classList.contains("sidebar-open")) return;
  document.body.classList.remove("sidebar-open");
  ui.backdrop.hidden = true;
  ui.menuToggle.setAttribute("aria-expanded", "false");
  ui.menuToggle.setAttribute("aria-label", t("openMenu"));
  ui.menuToggle.focus();
}

// ── sign-in ──────────────────────────────────────────────────────────────────────────────────

function loginResultFromUrl() {
  // The login link lands here (after /login set the cookie); a failed code says so once.
  const url = new URL(window.location.href);
  const failed = url.searchParams.get("login") === "failed";
  if (url.searchParams.has("login") || url.searchParams.has("token")) {
    url.searchParams.delete("login");
    url.searchParams.delete("token");
    window.history.replaceState(window.history.state, "", `${url.pathname}${url.search}${url.hash}`);
  }
  return failed;
}

// ── input ────────────────────────────────────────────────────────────────────────────────────

function autoGrow() {
  ui.input.style.height = "auto";
  ui.input.style.height = `${Math.min(ui.input.scrollHeight, 200)}px`;
}

ui.input.addEventListener("keydown", (event) => {
  // Enter sends; Shift+Enter is a new line; Enter that confirms an IME composition is neither.
  if (event.key === "Enter" && !event.shiftKey && !event.isComposing && event.keyCode !== 229) {
    event.preventDefault();
    ui.composer.requestSubmit();
  }
});
ui.input.addEventListener("input", autoGrow);
ui.composer.addEventListener("submit", (event) => {
  event.preventDefault();
  sendMessage(ui.input.value);
});
ui.newChat.addEventListener("click", newConversation);
ui.stop.addEventListener("click", stopTurn);
ui.modeSelect.addEventListener("change", changeMode);
ui.menuToggle.addEventListener("click", () => {
  if (document.body.classList.contains("sidebar-open")) closeSidebar();
  else openSidebar();
});
ui.backdrop.addEventListener("click", closeSidebar);
document.addEventListener("keydown", (event) => {
  if (event.key === "Escape" && document.body.classList.contains("sidebar-open")) closeSidebar();
});

// ── start ────────────────────────────────────────────────────────────────────────────────────

async function start() {
  try {
    const me = await api.get("/api/brain/me");
    ui.userBadge.textContent = [me.name, me.platform, me.model].filter(Boolean).join(" · ");
    state.currency = me.currency || null;
  } catch (err) {
    if (err instanceof ApiError && err.status === 401) return; // the sign-in dialog is open
    addNote(err.message, "error");
  }
  await loadLabels(api);
  await refreshConversations();
  const last = localStorage.getItem(CONVERSATION_KEY);
  if (last && state.conversations.some((c) => c.id === last)) await openConversation(last);
  else newConversation();
}

translateStatic();
const loginFailed = loginResultFromUrl();
showEmptyState();
if (loginFailed) signIn.open(t("loginFailed"));
else start();
