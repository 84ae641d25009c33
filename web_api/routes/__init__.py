"""HTTP routes of the web API, one module per resource; `api_router` assembles them.

The contract they implement (issue 6), verbatim:

# Web API contract (issue 6) — all JSON, bearer auth on everything except /health and /
Auth: `Authorization: Bearer <token>` (or `?token=` on the page only; the page stores it in localStorage and then uses the header). Missing/invalid → 401 {"error": {"code": "unauthorized", "message": "..."}}.
Errors always: {"error": {"code": "<snake_case>", "message": "<human, in the request's language (Accept-Language ru|en, default ru)>"}}. Another user's id → 404 not_found.

GET  /health                                   → {"status","database","model","platform","circuit_breaker"}
GET  /api/brain/me                             → {"id","name","language","model":"offline"|name,"model_is_llm":bool,"platform":"sandbox"|"meta"}
POST /api/brain/chat/message  {"message": str (1..8000), "conversationId": uuid|null, "mode": "auto"|"plan"|"ask"|null}
     Accept: text/event-stream → SSE; each event: `event: <type>` + `data: <json of the orchestrator event>` (types: classified, text, tool_start, tool_result, approval_required, step_result, done, error); the FIRST event is `conversation` with {"conversationId"}.
     otherwise → JSON {"conversationId","text","events":[...all events...],"plan": {...}|null}
     busy conversation → 409 {"error":{"code":"busy",...}} (decided BEFORE streaming starts).
POST /api/brain/chat/execute         {"planId": uuid, "autoRetry": bool=false}  → SSE or JSON like above (step_result events, text, done)
POST /api/brain/chat/execute-action  {"planId": uuid, "stepIndex": int}         → same (one step; Yes+Manual)
POST /api/brain/plans/{planId}/approve  {"mode": "all"|"auto"|"manual"} → "all"/"auto" execute like /chat/execute (auto = autoRetry true); "manual" only approves → {"plan": {...}}
POST /api/brain/plans/{planId}/reject   → {"plan": {...}}
GET  /api/brain/plans/{planId}          → {"plan": {"id","status","steps":[{"action","params","description","dangerous"}],"summary","executionResults":{...},"expiresAt"}}
GET  /api/brain/conversations?limit=20&offset=0 → {"items":[{"id","title","mode","source","messageCount","lastAgent","updatedAt"}],"limit","offset"}
POST /api/brain/conversations {"mode": ...} → {"conversation": {...}}
GET  /api/brain/conversations/{id}/messages?limit=100 → {"items":[{"id","role","content","toolCalls","toolName","toolResult","plan","agent","domain","createdAt"}]}
DELETE /api/brain/conversations/{id} → 204
PUT  /api/brain/conversations/{id}/mode {"mode"} → {"conversation": {...}}
GET/POST/DELETE /api/brain/memory/notes  (list; {"text","domain"} add; ?query= forget) ; GET/PUT /api/brain/memory/specs {"tracking","crm","kpi"}
POST /api/brain/telegram/link-code → {"code","expiresAt","startCommand":"/start <code>"}   (single use, 15 min)
Seed-002 Telegram endpoints (used by an external bot process): POST /api/brain/telegram/chat {"telegramChatId": int, "message"} (JSON reply like chat/message), /telegram/clear {"telegramChatId"}, /telegram/mode {"telegramChatId","mode"}, GET /telegram/status?telegramChatId=

Decisions beyond the contract:
- Error bodies may carry more keys: `fields` (422: [{field, location, message}]), `reason`
  (409 on a plan: its current status).
- The Telegram endpoints act for the bearer token's user and only on a chat linked to that user
  (`/start <code>`); any other chat id is 404, so nobody can squat another person's chat.
- POST /chat/message with no conversationId creates the conversation first, so the SSE
  `conversation` event can come first; a `mode` switches the conversation before the turn.
"""

from __future__ import annotations

from fastapi import APIRouter

from web_api.routes import (
    actions,
    auth,
    chat,
    conversations,
    exports,
    inbound,
    me,
    memory,
    plans,
    rules,
    telegram,
    uploads,
)

api_router = APIRouter()
for module in (auth, me, chat, conversations, plans, actions, memory, rules, telegram, inbound, uploads, exports):
    api_router.include_router(module.router)
