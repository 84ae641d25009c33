"""Inbound messaging (issue 19): WhatsApp Cloud API and Instagram Messaging customers, answered.

    signed webhook POST → `webhooks` (signature, durable inbox row + queued job, 200 at once)
    → `inbox` (claim a delivery, exactly once) → `ingest` (customer dialog, lead, message,
    `analysis`) → `react` (auto-reply `rules` / handoff to the marketer) → `send` (through the
    write path and the Graph client; status callbacks come back through the webhook).

`live` announces every processed delivery over PostgreSQL LISTEN/NOTIFY (the web Dialogs panel's SSE
stream, whichever process did the work); `delivery` reports, per recipient, what did not reach the
customer — including WhatsApp's late `failed` callbacks (131026).
"""

from __future__ import annotations

from agent_brain.config import Settings

# The sandbox's demo values, used when META_APP_SECRET / META_VERIFY_TOKEN are unset.
SANDBOX_APP_SECRET = "sandbox-app-secret"
SANDBOX_VERIFY_TOKEN = "sandbox-verify-token"


def app_secret(settings: Settings) -> str:
    secret = settings.meta_app_secret.get_secret_value() if settings.meta_app_secret else ""
    return secret or SANDBOX_APP_SECRET


def verify_token(settings: Settings) -> str:
    token = settings.meta_verify_token.get_secret_value() if settings.meta_verify_token else ""
    return token or SANDBOX_VERIFY_TOKEN
