"""The PostgreSQL schema (ARCHITECTURE.md §5) as SQLAlchemy 2 declarative models.

This module is the single description of the schema: Alembic migrations are written against
it, and the stores build their statements from these tables. Money is always integer cents.

Campaigns, ad sets and ads are not mirrored here: the ad platform (Meta, or the Graph sandbox
with its own `sandbox_*` tables) is their source of truth, and business rows refer to them by
their platform ids (`fb_campaign_id`, `fb_adset_id`, `fb_ad_id`).
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Computed,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Identity,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, TSVECTOR, UUID
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

MODES = ("auto", "plan", "ask")
SOURCES = ("web", "telegram", "cli")
ROLES = ("user", "assistant", "system", "tool")
PLAN_STATUSES = (
    "pending", "approved", "rejected", "expired", "executing", "completed", "partially_completed", "unverified",
    "failed",
)
RUN_STATUSES = ("running", "completed", "error", "cancelled")
DOMAINS = ("ads", "creative", "crm", "whatsapp", "mixed", "memory", "system")
TEMPERATURES = ("hot", "warm", "cold")
CHANNELS = ("whatsapp", "instagram")
MESSAGE_STATUSES = ("received", "queued", "sent", "delivered", "read", "failed")
IDEMPOTENCY_STATUSES = ("in_progress", "succeeded", "failed", "unknown")
# intended → sent → applied → verified | unverified; failed; unknown (settled only by reading back)
ACTION_STATUSES = ("intended", "sent", "applied", "verified", "unverified", "failed", "unknown")
ACTION_SOURCES = (*SOURCES, "system")


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


_sql = text  # for classes with a column named `text`

# Python None is stored as SQL NULL, not as the JSON literal `null`.
Json = JSONB(none_as_null=True)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = {dict[str, Any]: Json, list[Any]: Json}


def _uuid_pk() -> Mapped[uuid.UUID]:
    return mapped_column(UUID(as_uuid=True), primary_key=True, server_default=text("gen_random_uuid()"))


def _created() -> Mapped[dt.datetime]:
    return mapped_column(DateTime(timezone=True), server_default=func.now(), nullable=False)


# ── users and accounts ──────────────────────────────────────────────────────────────────────


class User(Base):
    __tablename__ = "users"
    id: Mapped[uuid.UUID] = _uuid_pk()
    name: Mapped[str] = mapped_column(String(200), unique=True)
    language: Mapped[str] = mapped_column(String(2), server_default="ru")
    telegram_chat_id: Mapped[int | None] = mapped_column(BigInteger, unique=True)
    created_at: Mapped[dt.datetime] = _created()
    # Set by `agent-brain users disable`: no sign-in, chat or bot access until enabled again.
    disabled_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    __table_args__ = (CheckConstraint(_in("language", ("ru", "en")), name="language"),)


class ApiToken(Base):
    """Bearer tokens for the web API; only a SHA-256 of the token is stored."""

    __tablename__ = "api_tokens"
    id: Mapped[uuid.UUID] = _uuid_pk()
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    label: Mapped[str | None] = mapped_column(String(100))
    created_at: Mapped[dt.datetime] = _created()
    last_used_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))


class LoginCode(Base):
    """Single-use, short-lived codes of the web login link; exchanged for a session, stored as a hash."""

    __tablename__ = "login_codes"
    code_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    expires_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    used_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[dt.datetime] = _created()


class WebSession(Base):
    """A browser session behind an HttpOnly cookie; only a SHA-256 of the cookie value is stored."""

    __tablename__ = "web_sessions"
    id: Mapped[uuid.UUID] = _uuid_pk()
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_agent: Mapped[str | None] = mapped_column(String(300))
    created_at: Mapped[dt.datetime] = _created()
    last_used_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))


class TelegramLinkCode(Base):
    """Single-use, expiring codes for `/start <code>`; only a hash of the code is stored."""

    __tablename__ = "telegram_link_codes"
    code_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    expires_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    used_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    used_by_chat_id: Mapped[int | None] = mapped_column(BigInteger)
    created_at: Mapped[dt.datetime] = _created()


TELEGRAM_UPDATE_STATUSES = ("pending", "processing", "done", "failed")


class TelegramUpdate(Base):
    """The webhook inbox: an update is stored before Telegram gets its 200, then processed from here
    by any worker (`telegram_bot.inbox`); `update_id` dedupes re-deliveries. `lease_until` is both the
    claim's lease (processing) and the earliest retry (pending after a failure)."""

    __tablename__ = "telegram_updates"
    update_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    chat_id: Mapped[int | None] = mapped_column(BigInteger)
    payload: Mapped[dict[str, Any]] = mapped_column(JSONB)
    status: Mapped[str] = mapped_column(String(16), server_default="pending")
    attempts: Mapped[int] = mapped_column(Integer, server_default="0")
    claimed_by: Mapped[str | None] = mapped_column(String(100))
    lease_until: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    error: Mapped[str | None] = mapped_column(Text)
    received_at: Mapped[dt.datetime] = _created()
    processed_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    __table_args__ = (
        CheckConstraint(_in("status", TELEGRAM_UPDATE_STATUSES), name="status"),
        Index("ix_telegram_updates_open", "chat_id", "update_id",
              postgresql_where=text("status IN ('pending', 'processing')")),
    )


class TelegramChatState(Base):
    """Per chat, the newest user message the bot has taken as a turn: an edit of that message is
    answered again, an edit of an older one is not (`telegram_bot.edits`); and a pending /stop
    (`telegram_bot.stop`). Shared by every process."""

    __tablename__ = "telegram_chat_state"
    chat_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    last_message_id: Mapped[int] = mapped_column(BigInteger)
    # /stop from any process: the process running the chat's turn sees it and stops the turn.
    stop_requested_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[dt.datetime] = _created()


TELEGRAM_CHAT_ROLES = ("owner", "allowed")


class TelegramChatMember(Base):
    """Telegram people who may act in a linked chat: the one who linked it (`owner`) and those the
    owner allowed (`/allow`). Someone allowed by @username only gets their id pinned when they
    first act. Relinking a chat replaces all of its rows."""

    __tablename__ = "telegram_chat_members"
    id: Mapped[uuid.UUID] = _uuid_pk()
    chat_id: Mapped[int] = mapped_column(BigInteger, index=True)
    telegram_user_id: Mapped[int | None] = mapped_column(BigInteger)
    username: Mapped[str | None] = mapped_column(String(32))  # lower case, without "@"
    display_name: Mapped[str | None] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(10))
    added_at: Mapped[dt.datetime] = _created()
    __table_args__ = (
        CheckConstraint(_in("role", TELEGRAM_CHAT_ROLES), name="role"),
        CheckConstraint("telegram_user_id IS NOT NULL OR username IS NOT NULL", name="identified"),
        Index("uq_telegram_chat_members_person", "chat_id", "telegram_user_id", unique=True,
              postgresql_where=text("telegram_user_id IS NOT NULL")),
        Index("uq_telegram_chat_members_username", "chat_id", "username", unique=True,
              postgresql_where=text("username IS NOT NULL")),
    )


class AdAccount(Base):
    __tablename__ = "ad_accounts"
    id: Mapped[uuid.UUID] = _uuid_pk()
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    platform: Mapped[str] = mapped_column(String(20), server_default="meta")
    external_id: Mapped[str] = mapped_column(String(64))  # e.g. act_1234567890
    name: Mapped[str] = mapped_column(String(200))
    currency: Mapped[str] = mapped_column(String(3), server_default="USD")
    timezone: Mapped[str] = mapped_column(String(64), server_default="UTC")
    is_sandbox: Mapped[bool] = mapped_column(Boolean, server_default=text("false"))
    # Fernet token (agent_brain.security); never stored or logged in clear.
    access_token_encrypted: Mapped[bytes | None] = mapped_column(LargeBinary)
    # When the account's own token expires, if known (stored when linked); token-expiry alerts read it.
    token_expires_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[dt.datetime] = _created()
    __table_args__ = (
        UniqueConstraint("user_id", "platform", "external_id", name="uq_ad_accounts_user_platform_external"),
        CheckConstraint(_in("platform", ("meta", "tiktok", "google", "x")), name="platform"),
    )


# ── chat ────────────────────────────────────────────────────────────────────────────────────


class Conversation(Base):
    __tablename__ = "ai_conversations"
    id: Mapped[uuid.UUID] = _uuid_pk()
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    ad_account_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("ad_accounts.id", ondelete="SET NULL"))
    title: Mapped[str | None] = mapped_column(String(200))
    mode: Mapped[str] = mapped_column(String(8), server_default="plan")
    source: Mapped[str] = mapped_column(String(16))
    telegram_chat_id: Mapped[int | None] = mapped_column(BigInteger)
    # Lease lock: held by `lock_owner` until `lock_expires_at`; a dead worker's lease lapses.
    lock_owner: Mapped[str | None] = mapped_column(String(100))
    lock_expires_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    rolling_summary: Mapped[str | None] = mapped_column(Text)
    summary_message_count: Mapped[int] = mapped_column(Integer, server_default="0")
    # The summary was written over tool output (or over an earlier such summary): outside text.
    summary_tainted: Mapped[bool] = mapped_column(Boolean, server_default=text("false"))
    message_count: Mapped[int] = mapped_column(Integer, server_default="0")
    focus_entities: Mapped[dict[str, Any]] = mapped_column(Json, server_default=text("'{}'::jsonb"))
    last_agent: Mapped[str | None] = mapped_column(String(32))
    last_domain: Mapped[str | None] = mapped_column(String(16))
    created_at: Mapped[dt.datetime] = _created()
    updated_at: Mapped[dt.datetime] = _created()
    __table_args__ = (
        CheckConstraint(_in("mode", MODES), name="mode"),
        CheckConstraint(_in("source", SOURCES), name="source"),
        CheckConstraint("source <> 'telegram' OR telegram_chat_id IS NOT NULL", name="telegram_chat"),
        # One live conversation per Telegram chat: getOrCreate is a single upsert on this index.
        Index(
            "uq_ai_conversations_telegram_chat",
            "telegram_chat_id",
            unique=True,
            postgresql_where=text("source = 'telegram'"),
        ),
        Index("ix_ai_conversations_user_updated", "user_id", text("updated_at DESC")),
    )


class Message(Base):
    """One chat message in OpenAI format; `id` is monotonic and defines the order."""

    __tablename__ = "ai_messages"
    id: Mapped[int] = mapped_column(BigInteger, Identity(always=True), primary_key=True)
    conversation_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("ai_conversations.id", ondelete="CASCADE")
    )
    role: Mapped[str] = mapped_column(String(16))
    content: Mapped[str | None] = mapped_column(Text)
    plan_json: Mapped[dict[str, Any] | None] = mapped_column(Json)
    actions_json: Mapped[list[Any] | None] = mapped_column(Json)
    tool_calls: Mapped[list[Any] | None] = mapped_column(Json)
    tool_call_id: Mapped[str | None] = mapped_column(String(100))
    tool_name: Mapped[str | None] = mapped_column(String(64))
    tool_result: Mapped[Any | None] = mapped_column(Json)
    agent: Mapped[str | None] = mapped_column(String(32))
    domain: Mapped[str | None] = mapped_column(String(16))
    tokens_used: Mapped[int] = mapped_column(Integer, server_default="0")
    created_at: Mapped[dt.datetime] = _created()
    __table_args__ = (
        CheckConstraint(_in("role", ROLES), name="role"),
        CheckConstraint("role <> 'tool' OR tool_call_id IS NOT NULL", name="tool_call_id"),
        Index("ix_ai_messages_conversation_id_id", "conversation_id", "id"),
    )


class PendingPlan(Base):
    __tablename__ = "ai_pending_plans"
    id: Mapped[uuid.UUID] = _uuid_pk()
    conversation_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("ai_conversations.id", ondelete="CASCADE")
    )
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    plan_json: Mapped[dict[str, Any]] = mapped_column(Json)
    status: Mapped[str] = mapped_column(String(24), server_default="pending")
    source: Mapped[str] = mapped_column(String(16))
    telegram_chat_id: Mapped[int | None] = mapped_column(BigInteger)
    telegram_message_id: Mapped[int | None] = mapped_column(BigInteger)
    # Per-step results keyed by step index ("0", "1", …); steps may run one at a time (manual mode).
    execution_results: Mapped[dict[str, Any] | None] = mapped_column(Json)
    # The lease owner running it (`executing`): it holds the conversation's lease and renews it.
    executor: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = _created()
    expires_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    resolved_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[dt.datetime] = _created()
    __table_args__ = (
        CheckConstraint(_in("status", PLAN_STATUSES), name="status"),
        CheckConstraint(_in("source", SOURCES), name="source"),
        Index("ix_ai_pending_plans_conversation_status", "conversation_id", "status"),
    )


class IdempotentOperation(Base):
    """Exactly-once record of a WRITE: key = SHA-256(tool + canonical args + ad account)."""

    __tablename__ = "ai_idempotent_operations"
    operation_key: Mapped[str] = mapped_column(String(64), primary_key=True)
    tool_name: Mapped[str] = mapped_column(String(64))
    ad_account_id: Mapped[str | None] = mapped_column(String(64))
    user_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    status: Mapped[str] = mapped_column(String(16), server_default="in_progress")
    # Times the write was sent under this key: an unknown outcome read back as "not applied" is resent once.
    attempts: Mapped[int] = mapped_column(SmallInteger, server_default="1")
    args: Mapped[dict[str, Any]] = mapped_column(Json)
    result: Mapped[Any | None] = mapped_column(Json)
    created_at: Mapped[dt.datetime] = _created()
    completed_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), index=True)
    __table_args__ = (CheckConstraint(_in("status", IDEMPOTENCY_STATUSES), name="status"),)


class Action(Base):
    """The action journal: one row per intended platform write, written before the call.

    Who asked (user, transport, chat, Telegram person), what (tool, platform, account, target),
    the state read just before, the plan step and idempotency key, and the status with a
    timestamp for each stage. Recovery, history and undo read it.
    """

    __tablename__ = "ai_actions"
    id: Mapped[uuid.UUID] = _uuid_pk()
    user_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    source: Mapped[str] = mapped_column(String(16))
    conversation_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("ai_conversations.id", ondelete="SET NULL")
    )
    telegram_chat_id: Mapped[int | None] = mapped_column(BigInteger)
    telegram_user_id: Mapped[int | None] = mapped_column(BigInteger)
    owner: Mapped[str | None] = mapped_column(String(64))  # the lease owner of the work that sent it
    tool: Mapped[str] = mapped_column(String(64))
    platform: Mapped[str] = mapped_column(String(16))
    account_id: Mapped[str | None] = mapped_column(String(64))
    target_type: Mapped[str | None] = mapped_column(String(32))
    target_id: Mapped[str | None] = mapped_column(String(64))
    target_name: Mapped[str | None] = mapped_column(String(400))
    # How to read the object back without the tool's code (recovery): type, ids, extra locators.
    target: Mapped[dict[str, Any]] = mapped_column(Json, server_default=text("'{}'::jsonb"))
    args: Mapped[dict[str, Any]] = mapped_column(Json)
    expected: Mapped[dict[str, Any]] = mapped_column(Json)
    before_state: Mapped[dict[str, Any] | None] = mapped_column(Json)
    after_state: Mapped[dict[str, Any] | None] = mapped_column(Json)
    response: Mapped[Any | None] = mapped_column(Json)
    error: Mapped[dict[str, Any] | None] = mapped_column(Json)
    plan_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("ai_pending_plans.id", ondelete="SET NULL"))
    step_index: Mapped[int | None] = mapped_column(SmallInteger)
    idempotency_key: Mapped[str] = mapped_column(String(64), index=True)
    reverts_action_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("ai_actions.id", ondelete="SET NULL"))
    reversible: Mapped[bool] = mapped_column(Boolean, server_default="true")
    status: Mapped[str] = mapped_column(String(16), server_default="intended")
    created_at: Mapped[dt.datetime] = _created()
    sent_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    applied_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    settled_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))  # verified/unverified/failed
    updated_at: Mapped[dt.datetime] = _created()
    __table_args__ = (
        CheckConstraint(_in("status", ACTION_STATUSES), name="status"),
        CheckConstraint(_in("source", ACTION_SOURCES), name="source"),
        Index("ix_ai_actions_user_created", "user_id", "created_at"),
        Index("ix_ai_actions_plan_step", "plan_id", "step_index"),
        Index("ix_ai_actions_open", "status", postgresql_where=text("status IN ('intended', 'sent', 'applied', 'unknown')")),
        # An action is undone at most once: a second revert that did not fail is refused by the database.
        Index("uq_ai_actions_reverts", "reverts_action_id", unique=True,
              postgresql_where=text("reverts_action_id IS NOT NULL AND status <> 'failed'")),
    )


class Run(Base):
    """A trace of one agent run (LLM tracing)."""

    __tablename__ = "ai_runs"
    id: Mapped[uuid.UUID] = _uuid_pk()
    conversation_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("ai_conversations.id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    model: Mapped[str] = mapped_column(String(100))
    agent: Mapped[str | None] = mapped_column(String(32))
    domain: Mapped[str | None] = mapped_column(String(16))
    prompt_version: Mapped[str | None] = mapped_column(String(32))
    classifier_path: Mapped[str | None] = mapped_column(String(16))
    prompt_tokens: Mapped[int] = mapped_column(Integer, server_default="0")
    completion_tokens: Mapped[int] = mapped_column(Integer, server_default="0")
    total_tokens: Mapped[int] = mapped_column(Integer, server_default="0")
    tools_planned: Mapped[list[Any]] = mapped_column(Json, server_default=text("'[]'::jsonb"))
    tools_executed: Mapped[list[Any]] = mapped_column(Json, server_default=text("'[]'::jsonb"))
    tool_errors: Mapped[list[Any]] = mapped_column(Json, server_default=text("'[]'::jsonb"))
    context_stats: Mapped[dict[str, Any]] = mapped_column(Json, server_default=text("'{}'::jsonb"))
    latency_ms: Mapped[int | None] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16), server_default="running")
    error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = _created()
    finished_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    __table_args__ = (
        CheckConstraint(_in("status", RUN_STATUSES), name="status"),
        Index("ix_ai_runs_created", "created_at"),
    )


# ── memory ──────────────────────────────────────────────────────────────────────────────────


class BusinessSpec(Base):
    """Procedural memory: tracking / CRM / KPI specs per user and optional ad account."""

    __tablename__ = "business_specs"
    id: Mapped[uuid.UUID] = _uuid_pk()
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    ad_account_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("ad_accounts.id", ondelete="CASCADE"))
    tracking: Mapped[dict[str, Any]] = mapped_column(Json, server_default=text("'{}'::jsonb"))
    crm: Mapped[dict[str, Any]] = mapped_column(Json, server_default=text("'{}'::jsonb"))
    kpi: Mapped[dict[str, Any]] = mapped_column(Json, server_default=text("'{}'::jsonb"))
    updated_at: Mapped[dt.datetime] = _created()
    __table_args__ = (
        UniqueConstraint(
            "user_id", "ad_account_id", name="uq_business_specs_user_account", postgresql_nulls_not_distinct=True
        ),
    )


class AgentNote(Base):
    """Mid-term memory: ≤ 20 notes per (user, ad account, domain), de-duplicated by `dedup_key`."""

    __tablename__ = "agent_notes"
    id: Mapped[uuid.UUID] = _uuid_pk()
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    ad_account_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("ad_accounts.id", ondelete="CASCADE"))
    domain: Mapped[str] = mapped_column(String(16))
    text: Mapped[str] = mapped_column(Text)
    dedup_key: Mapped[str] = mapped_column(String(200))
    # 'user' («Запомни: …»), 'tool:<name>' (captured from that tool's result: data, never instructions),
    # 'auto' (seeded/older observations, treated like tool notes).
    source: Mapped[str] = mapped_column(String(64), server_default="auto")
    importance: Mapped[float] = mapped_column(Float, server_default="0.5")
    created_at: Mapped[dt.datetime] = _created()
    updated_at: Mapped[dt.datetime] = _created()
    __table_args__ = (
        CheckConstraint(_in("domain", ("ads", "creative", "crm", "whatsapp", "general")), name="domain"),
        CheckConstraint(_in("source", ("auto", "user")) + " OR source LIKE 'tool:%'", name="source"),
        CheckConstraint("importance >= 0 AND importance <= 1", name="importance"),
        UniqueConstraint(
            "user_id",
            "ad_account_id",
            "domain",
            "dedup_key",
            name="uq_agent_notes_dedup",
            postgresql_nulls_not_distinct=True,
        ),
    )


# ── business data: directions and creatives ─────────────────────────────────────────────────


class Direction(Base):
    """An advertising vertical (e.g. «Имплантация») bound to one platform campaign/ad set."""

    __tablename__ = "directions"
    id: Mapped[uuid.UUID] = _uuid_pk()
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    ad_account_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("ad_accounts.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(200))
    objective: Mapped[str] = mapped_column(String(32), server_default="whatsapp")
    is_active: Mapped[bool] = mapped_column(Boolean, server_default=text("true"))
    campaign_status: Mapped[str] = mapped_column(String(16), server_default="ACTIVE")
    daily_budget_cents: Mapped[int] = mapped_column(BigInteger)
    target_cpl_cents: Mapped[int | None] = mapped_column(BigInteger)
    fb_campaign_id: Mapped[str | None] = mapped_column(String(32))
    fb_adset_id: Mapped[str | None] = mapped_column(String(32))
    created_at: Mapped[dt.datetime] = _created()
    updated_at: Mapped[dt.datetime] = _created()
    __table_args__ = (
        UniqueConstraint("ad_account_id", "name", name="uq_directions_account_name"),
        CheckConstraint("daily_budget_cents >= 0", name="budget"),
        CheckConstraint("target_cpl_cents IS NULL OR target_cpl_cents > 0", name="target_cpl"),
        CheckConstraint(_in("campaign_status", ("ACTIVE", "PAUSED", "ARCHIVED")), name="campaign_status"),
        Index("ix_directions_user", "user_id"),
    )


def _name_heads(column: str) -> Any:
    """The first three letters of each word of a name (lower case, ё → е; shorter words and numbers whole
    up to three characters) as a `simple` tsvector: what entity resolution looks a message's word heads
    up in (GIN index, exact lexemes), instead of scanning every name."""
    return mapped_column(TSVECTOR, Computed(
        f"to_tsvector('simple'::regconfig, regexp_replace(regexp_replace(translate(COALESCE({column}, "
        f"''::character varying), 'Ёё'::text, 'Ее'::text), '[^[:alnum:]]+'::text, ' '::text, 'g'::text), "
        f"'([[:alnum:]]{{3}})[[:alnum:]]*'::text, '\\1'::text, 'g'::text))", persisted=True), deferred=True)


def _name_key(column: str) -> Any:
    """The heads of a name's words in order ("анн ива" for «Анна Иванова»; migration 0017): a name the
    message spells out whole, in any inflection, is one btree lookup however many namesakes it has."""
    return mapped_column(Text, Computed(
        f"btrim(regexp_replace(regexp_replace(lower(translate(COALESCE({column}, ''::character varying), "
        f"'Ёё'::text, 'Ее'::text)), '[^[:alnum:]]+'::text, ' '::text, 'g'::text), "
        f"'([[:alnum:]]{{3}})[[:alnum:]]*'::text, '\\1'::text, 'g'::text))", persisted=True), deferred=True)


def _name_typos(column: str) -> Any:
    """Typo keys of a name's words of five letters or more (the SQL function `entity_name_typo_keys`,
    migration 0017): the first four letters and the first four left after deleting any one of them, so
    one typo in a word's first letters shares a key with the word."""
    return mapped_column(TSVECTOR, Computed(f"entity_name_typo_keys(COALESCE({column}, ''))", persisted=True),
                         deferred=True)


def _name_indexes(table: str) -> tuple[Index, ...]:
    off = {"fastupdate": "off"}  # no pending list for every lookup to read (migration 0017)
    return (Index(f"ix_{table}_name_heads", "name_heads", postgresql_using="gin", postgresql_with=off),
            Index(f"ix_{table}_name_key", "user_id", "name_key"),
            Index(f"ix_{table}_name_typos", "name_typos", postgresql_using="gin", postgresql_with=off))


class Creative(Base):
    __tablename__ = "creatives"
    id: Mapped[uuid.UUID] = _uuid_pk()
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    ad_account_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("ad_accounts.id", ondelete="CASCADE"))
    direction_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("directions.id", ondelete="SET NULL"))
    title: Mapped[str] = mapped_column(String(300))
    media_type: Mapped[str] = mapped_column(String(8))
    status: Mapped[str] = mapped_column(String(16), server_default="active")
    fb_creative_id: Mapped[str | None] = mapped_column(String(32))
    duration_seconds: Mapped[int | None] = mapped_column(SmallInteger)
    transcript: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = _created()
    name_heads: Mapped[Any] = _name_heads("title")
    name_key: Mapped[Any] = _name_key("title")
    name_typos: Mapped[Any] = _name_typos("title")
    __table_args__ = (
        UniqueConstraint("ad_account_id", "title", name="uq_creatives_account_title"),
        CheckConstraint(_in("media_type", ("video", "image", "carousel")), name="media_type"),
        CheckConstraint(_in("status", ("active", "paused", "draft", "archived")), name="status"),
        Index("ix_creatives_user", "user_id"),
        Index("ix_creatives_direction", "direction_id"),
        *_name_indexes("creatives"),
    )


class CreativeAnalysis(Base):
    __tablename__ = "creative_analyses"
    id: Mapped[uuid.UUID] = _uuid_pk()
    creative_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("creatives.id", ondelete="CASCADE"), index=True)
    score: Mapped[int] = mapped_column(SmallInteger)
    verdict: Mapped[str] = mapped_column(String(16))
    summary: Mapped[str] = mapped_column(Text)
    strengths: Mapped[list[Any]] = mapped_column(Json, server_default=text("'[]'::jsonb"))
    weaknesses: Mapped[list[Any]] = mapped_column(Json, server_default=text("'[]'::jsonb"))
    recommendations: Mapped[list[Any]] = mapped_column(Json, server_default=text("'[]'::jsonb"))
    model: Mapped[str | None] = mapped_column(String(100))
    status: Mapped[str] = mapped_column(String(16), server_default="completed")
    created_at: Mapped[dt.datetime] = _created()
    __table_args__ = (
        CheckConstraint("score BETWEEN 0 AND 100", name="score"),
        CheckConstraint(_in("verdict", ("excellent", "good", "average", "poor")), name="verdict"),
        CheckConstraint(_in("status", ("queued", "running", "completed", "failed")), name="status"),
    )


class CreativeScore(Base):
    """Risk score (0–100, chance of CPL growth) and overall LLM score from the scoring job."""

    __tablename__ = "creative_scores"
    id: Mapped[uuid.UUID] = _uuid_pk()
    creative_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("creatives.id", ondelete="CASCADE"), index=True)
    risk_score: Mapped[int] = mapped_column(SmallInteger)
    llm_score: Mapped[int | None] = mapped_column(SmallInteger)
    risk_level: Mapped[str] = mapped_column(String(8))
    factors: Mapped[list[Any]] = mapped_column(Json, server_default=text("'[]'::jsonb"))
    scored_at: Mapped[dt.datetime] = _created()
    __table_args__ = (
        CheckConstraint("risk_score BETWEEN 0 AND 100", name="risk_score"),
        CheckConstraint("llm_score IS NULL OR llm_score BETWEEN 0 AND 100", name="llm_score"),
        CheckConstraint(_in("risk_level", ("low", "medium", "high")), name="risk_level"),
    )


class CreativeTest(Base):
    __tablename__ = "creative_tests"
    id: Mapped[uuid.UUID] = _uuid_pk()
    creative_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("creatives.id", ondelete="CASCADE"), index=True)
    direction_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("directions.id", ondelete="SET NULL"))
    status: Mapped[str] = mapped_column(String(16), server_default="running")
    budget_cents: Mapped[int] = mapped_column(BigInteger)
    fb_adset_id: Mapped[str | None] = mapped_column(String(32))
    results: Mapped[dict[str, Any]] = mapped_column(Json, server_default=text("'{}'::jsonb"))
    started_at: Mapped[dt.datetime] = _created()
    ended_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    __table_args__ = (
        CheckConstraint(_in("status", ("running", "completed", "stopped", "failed")), name="status"),
        CheckConstraint("budget_cents > 0", name="budget"),
        # At most one running test per creative.
        Index(
            "uq_creative_tests_running", "creative_id", unique=True, postgresql_where=text("status = 'running'")
        ),
    )


class AdCreativeMapping(Base):
    """Which platform ad shows which creative, in which direction."""

    __tablename__ = "ad_creative_mapping"
    id: Mapped[uuid.UUID] = _uuid_pk()
    ad_account_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("ad_accounts.id", ondelete="CASCADE"))
    fb_ad_id: Mapped[str] = mapped_column(String(32))
    fb_adset_id: Mapped[str] = mapped_column(String(32))
    fb_campaign_id: Mapped[str] = mapped_column(String(32))
    creative_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("creatives.id", ondelete="CASCADE"), index=True)
    direction_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("directions.id", ondelete="SET NULL"), index=True
    )
    created_at: Mapped[dt.datetime] = _created()
    __table_args__ = (UniqueConstraint("ad_account_id", "fb_ad_id", name="uq_ad_creative_mapping_ad"),)


class CreativeMetricsDaily(Base):
    """Daily snapshot per platform ad (creative_metrics_history): delivery, leads, video retention."""

    __tablename__ = "creative_metrics_history"
    id: Mapped[int] = mapped_column(BigInteger, Identity(always=True), primary_key=True)
    creative_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("creatives.id", ondelete="CASCADE"))
    fb_ad_id: Mapped[str] = mapped_column(String(32))
    date: Mapped[dt.date] = mapped_column(Date)
    impressions: Mapped[int] = mapped_column(BigInteger, server_default="0")
    reach: Mapped[int] = mapped_column(BigInteger, server_default="0")
    clicks: Mapped[int] = mapped_column(BigInteger, server_default="0")
    link_clicks: Mapped[int] = mapped_column(BigInteger, server_default="0")
    spend_cents: Mapped[int] = mapped_column(BigInteger, server_default="0")
    leads: Mapped[int] = mapped_column(Integer, server_default="0")
    video_views: Mapped[int] = mapped_column(BigInteger, server_default="0")
    video_p25: Mapped[int] = mapped_column(BigInteger, server_default="0")
    video_p50: Mapped[int] = mapped_column(BigInteger, server_default="0")
    video_p75: Mapped[int] = mapped_column(BigInteger, server_default="0")
    video_p95: Mapped[int] = mapped_column(BigInteger, server_default="0")
    __table_args__ = (
        UniqueConstraint("fb_ad_id", "date", name="uq_creative_metrics_history_ad_date"),
        Index("ix_creative_metrics_history_creative_date", "creative_id", "date"),
        Index("ix_creative_metrics_history_date", "date"),
        CheckConstraint("spend_cents >= 0 AND impressions >= 0 AND clicks >= 0 AND leads >= 0", name="non_negative"),
    )


class DirectionMetricsRollup(Base):
    """Daily per-direction rollup (two-stage retrieval: rollup first, history as fallback).

    Filled by the SQL function `refresh_direction_metrics_rollup(from, to)` (see the migration),
    an idempotent upsert from `creative_metrics_history` joined through `ad_creative_mapping`.
    """

    __tablename__ = "direction_metrics_rollup"
    direction_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("directions.id", ondelete="CASCADE"), primary_key=True
    )
    date: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    impressions: Mapped[int] = mapped_column(BigInteger, server_default="0")
    clicks: Mapped[int] = mapped_column(BigInteger, server_default="0")
    spend_cents: Mapped[int] = mapped_column(BigInteger, server_default="0")
    leads: Mapped[int] = mapped_column(Integer, server_default="0")
    active_creatives: Mapped[int] = mapped_column(Integer, server_default="0")
    updated_at: Mapped[dt.datetime] = _created()
    __table_args__ = (Index("ix_direction_metrics_rollup_date", "date"),)


class MetricsSyncRun(Base):
    """One metrics sync (ETL) of an ad account: platform insights → creative_metrics_history → rollup.

    The latest finished run is what "how fresh is this data" answers point to.
    """

    __tablename__ = "metrics_sync_runs"
    id: Mapped[int] = mapped_column(BigInteger, Identity(always=True), primary_key=True)
    ad_account_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("ad_accounts.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(16))
    date_from: Mapped[dt.date] = mapped_column(Date)
    date_to: Mapped[dt.date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(16), server_default="running")
    rows_upserted: Mapped[int] = mapped_column(Integer, server_default="0")
    ads_unmapped: Mapped[int] = mapped_column(Integer, server_default="0")
    error: Mapped[str | None] = mapped_column(Text)
    started_at: Mapped[dt.datetime] = _created()
    finished_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    __table_args__ = (
        Index("ix_metrics_sync_runs_account_started", "ad_account_id", "started_at"),
        CheckConstraint(_in("kind", ("recent", "trailing", "backfill", "manual")), name="kind"),
        CheckConstraint(_in("status", ("running", "completed", "failed")), name="status"),
    )


RULE_LEVELS = ("account", "campaign", "adset", "ad", "direction", "creative")
RULE_METRICS = ("cpl", "ctr", "cpm", "spend", "leads", "frequency")
RULE_ACTIONS = ("notify", "pause", "resume", "budget_pct", "budget_set")
RULE_OUTCOMES = ("proposed", "executed", "notified", "skipped_cooldown", "skipped_cap", "skipped_window",
                 "skipped_state", "failed")


class AutomationRule(Base):
    """A rule: when a metric of the objects in scope crosses a threshold over a window, act.

    Structured (scope · condition · action · schedule), never free text: what it does is what
    these columns say. `mode` propose (default) makes a plan the user approves; auto acts within
    guardrails (a change at most ±50 %, a cooldown and a daily cap per object, once per window).
    """

    __tablename__ = "automation_rules"
    id: Mapped[uuid.UUID] = _uuid_pk()
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    ad_account_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("ad_accounts.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(200))
    # metric: a threshold rule; optimizer / bandit: the budget optimizer or creative bandit on a schedule.
    kind: Mapped[str] = mapped_column(String(16), server_default="metric")
    enabled: Mapped[bool] = mapped_column(Boolean, server_default=text("true"))
    mode: Mapped[str] = mapped_column(String(8), server_default="propose")
    scope_level: Mapped[str] = mapped_column(String(16))
    scope_ids: Mapped[list[str] | None] = mapped_column(ARRAY(Text))  # NULL: every object of the level
    metric: Mapped[str] = mapped_column(String(16))
    operator: Mapped[str] = mapped_column(String(2))
    threshold: Mapped[float] = mapped_column(Float)  # money in minor units, ctr in %, counts as such
    window_days: Mapped[int] = mapped_column(Integer, server_default="1")
    min_spend_cents: Mapped[int] = mapped_column(BigInteger, server_default="0")
    action: Mapped[str] = mapped_column(String(16))
    action_value: Mapped[float | None] = mapped_column(Float)
    schedule_hours: Mapped[int] = mapped_column(Integer, server_default="6")
    cooldown_hours: Mapped[int] = mapped_column(Integer, server_default="24")
    max_changes_per_day: Mapped[int] = mapped_column(Integer, server_default="1")
    last_evaluated_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[dt.datetime] = _created()
    updated_at: Mapped[dt.datetime] = _created()
    __table_args__ = (
        Index("ix_automation_rules_due", "enabled", "last_evaluated_at"),
        Index("ix_automation_rules_user", "user_id"),
        CheckConstraint(_in("mode", ("propose", "auto")), name="mode"),
        CheckConstraint(_in("kind", ("metric", "optimizer", "bandit")), name="kind"),
        CheckConstraint(_in("scope_level", RULE_LEVELS), name="scope_level"),
        CheckConstraint(_in("metric", RULE_METRICS), name="metric"),
        CheckConstraint(_in("operator", (">", ">=", "<", "<=")), name="operator"),
        CheckConstraint(_in("action", RULE_ACTIONS), name="action"),
        CheckConstraint("window_days BETWEEN 1 AND 90 AND schedule_hours BETWEEN 1 AND 168", name="ranges"),
    )


class AutomationRuleEvent(Base):
    """Every firing of a rule on an object, and what came of it (the rules' execution log)."""

    __tablename__ = "automation_rule_events"
    id: Mapped[int] = mapped_column(BigInteger, Identity(always=True), primary_key=True)
    rule_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("automation_rules.id", ondelete="CASCADE"))
    object_id: Mapped[str] = mapped_column(String(64))
    object_name: Mapped[str | None] = mapped_column(String(300))
    window_from: Mapped[dt.date] = mapped_column(Date)
    window_to: Mapped[dt.date] = mapped_column(Date)
    metric_value: Mapped[float | None] = mapped_column(Float)
    outcome: Mapped[str] = mapped_column(String(20))
    plan_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("ai_pending_plans.id", ondelete="SET NULL"))
    detail: Mapped[dict[str, Any]] = mapped_column(Json, server_default=text("'{}'::jsonb"))
    created_at: Mapped[dt.datetime] = _created()
    __table_args__ = (
        Index("ix_automation_rule_events_rule_object", "rule_id", "object_id", "created_at"),
        CheckConstraint(_in("outcome", RULE_OUTCOMES), name="outcome"),
    )


REPORT_KINDS = ("daily", "weekly")
ALERT_KINDS = ("cpl_over_target", "spend_spike", "no_leads", "creative_fatigue", "token_expiry")


class ScheduledReport(Base):
    """«Каждое утро в 9 присылай расходы и лиды за вчера»: a report sent at a local time of the account."""

    __tablename__ = "scheduled_reports"
    id: Mapped[uuid.UUID] = _uuid_pk()
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    ad_account_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("ad_accounts.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(8))
    hour: Mapped[int] = mapped_column(SmallInteger)
    minute: Mapped[int] = mapped_column(SmallInteger, server_default="0")
    weekday: Mapped[int | None] = mapped_column(SmallInteger)  # weekly: 0 = Monday; daily: NULL
    enabled: Mapped[bool] = mapped_column(Boolean, server_default=text("true"))
    next_run_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    last_sent_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[dt.datetime] = _created()
    __table_args__ = (
        Index("ix_scheduled_reports_due", "enabled", "next_run_at"),
        CheckConstraint(_in("kind", REPORT_KINDS), name="kind"),
        CheckConstraint("hour BETWEEN 0 AND 23 AND minute BETWEEN 0 AND 59 AND (weekday IS NULL OR weekday BETWEEN 0 "
                        "AND 6) AND (kind = 'daily') = (weekday IS NULL)", name="when"),
    )


class AlertEvent(Base):
    """An alert sent (deduplicated by key: the same alert for the same object and period goes out once)."""

    __tablename__ = "alert_events"
    id: Mapped[int] = mapped_column(BigInteger, Identity(always=True), primary_key=True)
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    ad_account_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("ad_accounts.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(20))
    object_id: Mapped[str] = mapped_column(String(64))
    dedup_key: Mapped[str] = mapped_column(String(200))
    message: Mapped[str] = mapped_column(Text)
    detail: Mapped[dict[str, Any]] = mapped_column(Json, server_default=text("'{}'::jsonb"))
    created_at: Mapped[dt.datetime] = _created()
    __table_args__ = (
        UniqueConstraint("ad_account_id", "dedup_key", name="uq_alert_events_dedup"),
        CheckConstraint(_in("kind", ALERT_KINDS), name="kind"),
    )


# ── CRM ─────────────────────────────────────────────────────────────────────────────────────


class FunnelStage(Base):
    __tablename__ = "funnel_stages"
    id: Mapped[uuid.UUID] = _uuid_pk()
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(100))
    position: Mapped[int] = mapped_column(SmallInteger)
    is_won: Mapped[bool] = mapped_column(Boolean, server_default=text("false"))
    is_lost: Mapped[bool] = mapped_column(Boolean, server_default=text("false"))
    __table_args__ = (
        UniqueConstraint("user_id", "name", name="uq_funnel_stages_user_name"),
        UniqueConstraint("user_id", "position", name="uq_funnel_stages_user_position"),
    )


class Lead(Base):
    __tablename__ = "leads"
    id: Mapped[uuid.UUID] = _uuid_pk()
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    ad_account_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("ad_accounts.id", ondelete="SET NULL"))
    name: Mapped[str] = mapped_column(String(200))
    phone: Mapped[str | None] = mapped_column(String(32))
    email: Mapped[str | None] = mapped_column(String(200))
    instagram_id: Mapped[str | None] = mapped_column(String(64))  # Instagram-scoped id of a Direct customer
    stage_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("funnel_stages.id"))
    temperature: Mapped[str] = mapped_column(String(8), server_default="warm")
    score: Mapped[int] = mapped_column(SmallInteger, server_default="50")
    # Attribution
    source: Mapped[str] = mapped_column(String(32), server_default="facebook")
    direction_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("directions.id", ondelete="SET NULL"))
    creative_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("creatives.id", ondelete="SET NULL"))
    fb_ad_id: Mapped[str | None] = mapped_column(String(32))
    utm: Mapped[dict[str, Any]] = mapped_column(Json, server_default=text("'{}'::jsonb"))
    notes: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = _created()
    updated_at: Mapped[dt.datetime] = _created()
    name_heads: Mapped[Any] = _name_heads("name")
    name_key: Mapped[Any] = _name_key("name")
    name_typos: Mapped[Any] = _name_typos("name")
    __table_args__ = (
        CheckConstraint(_in("temperature", TEMPERATURES), name="temperature"),
        CheckConstraint("score BETWEEN 0 AND 100", name="score"),
        Index("ix_leads_user_created", "user_id", text("created_at DESC")),
        Index("ix_leads_stage", "stage_id"),
        Index("ix_leads_direction", "direction_id"),
        Index("ix_leads_creative", "creative_id"),
        Index("ix_leads_phone", "phone"),
        Index("ix_leads_instagram", "instagram_id"),
        *_name_indexes("leads"),
    )


class LeadStageChange(Base):
    __tablename__ = "lead_stage_changes"
    id: Mapped[int] = mapped_column(BigInteger, Identity(always=True), primary_key=True)
    lead_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("leads.id", ondelete="CASCADE"), index=True)
    from_stage_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("funnel_stages.id"))
    to_stage_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("funnel_stages.id"))
    changed_by: Mapped[str] = mapped_column(String(32), server_default="system")
    changed_at: Mapped[dt.datetime] = _created()


class Purchase(Base):
    __tablename__ = "purchases"
    id: Mapped[uuid.UUID] = _uuid_pk()
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    lead_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("leads.id", ondelete="SET NULL"), index=True)
    amount_cents: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3), server_default="USD")
    product: Mapped[str | None] = mapped_column(String(200))
    purchased_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    __table_args__ = (
        CheckConstraint("amount_cents > 0", name="amount"),
        Index("ix_purchases_user_purchased", "user_id", "purchased_at"),
    )


# ── WhatsApp ────────────────────────────────────────────────────────────────────────────────


class WhatsAppDialog(Base):
    """A conversation with one customer (seed 004's `conversations`): WhatsApp by phone, Instagram by id."""

    __tablename__ = "whatsapp_dialogs"
    id: Mapped[uuid.UUID] = _uuid_pk()
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    phone: Mapped[str | None] = mapped_column(String(32))  # E.164, e.g. +77001234567
    contact_name: Mapped[str | None] = mapped_column(String(200))
    lead_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("leads.id", ondelete="SET NULL"))
    status: Mapped[str] = mapped_column(String(16), server_default="open")
    message_count: Mapped[int] = mapped_column(Integer, server_default="0")
    last_message_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[dt.datetime] = _created()
    # Inbound messaging (issue 19): the channel, the customer's Instagram-scoped id, the account it
    # came through, and the seed-004 conversation fields.
    channel: Mapped[str] = mapped_column(String(16), server_default="whatsapp")
    instagram_id: Mapped[str | None] = mapped_column(String(64))
    messaging_account_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("messaging_accounts.id", ondelete="SET NULL"))
    context: Mapped[dict[str, Any]] = mapped_column(Json, server_default=text("'{}'::jsonb"))
    summary: Mapped[str | None] = mapped_column(Text)
    sentiment: Mapped[str | None] = mapped_column(String(16))
    language: Mapped[str | None] = mapped_column(String(2))
    # auto: rules may answer; handoff: waiting for the marketer; human: the marketer took it over.
    reply_mode: Mapped[str] = mapped_column(String(16), server_default="auto")
    draft_reply: Mapped[str | None] = mapped_column(Text)
    last_inbound_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    opted_out: Mapped[bool] = mapped_column(Boolean, server_default=text("false"))
    name_heads: Mapped[Any] = _name_heads("contact_name")
    name_key: Mapped[Any] = _name_key("contact_name")
    name_typos: Mapped[Any] = _name_typos("contact_name")
    __table_args__ = (
        UniqueConstraint("user_id", "phone", name="uq_whatsapp_dialogs_user_phone"),
        CheckConstraint(_in("status", ("open", "closed", "archived")), name="status"),
        CheckConstraint("phone ~ '^\\+[0-9]{7,15}$'", name="phone_e164"),
        CheckConstraint(_in("channel", CHANNELS), name="channel"),
        CheckConstraint(_in("reply_mode", ("auto", "handoff", "human")), name="reply_mode"),
        CheckConstraint("phone IS NOT NULL OR instagram_id IS NOT NULL", name="customer_id"),
        Index("ix_whatsapp_dialogs_user_last", "user_id", text("last_message_at DESC")),
        Index("uq_whatsapp_dialogs_user_instagram", "user_id", "instagram_id", unique=True,
              postgresql_where=text("instagram_id IS NOT NULL")),
        *_name_indexes("whatsapp_dialogs"),
    )


class WhatsAppMessage(Base):
    """One message of a dialog (seed 004's `messages`): who sent it and, for a customer's, its analysis."""

    __tablename__ = "whatsapp_messages"
    id: Mapped[int] = mapped_column(BigInteger, Identity(always=True), primary_key=True)
    dialog_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("whatsapp_dialogs.id", ondelete="CASCADE"))
    direction: Mapped[str] = mapped_column(String(3))
    text: Mapped[str] = mapped_column(Text)
    sent_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    # The platform's message id (wamid / Instagram mid): a delivery seen twice is stored once.
    external_id: Mapped[str | None] = mapped_column(String(200))
    sender: Mapped[str | None] = mapped_column(String(16))  # customer | bot | human | echo
    intent: Mapped[str | None] = mapped_column(String(32))
    sentiment: Mapped[str | None] = mapped_column(String(16))
    confidence: Mapped[float | None] = mapped_column(Float)
    # Outbound delivery: queued → sent → delivered → read, or failed (with the platform's error).
    status: Mapped[str | None] = mapped_column(String(16))
    error: Mapped[dict[str, Any] | None] = mapped_column(Json)
    meta: Mapped[dict[str, Any]] = mapped_column(Json, server_default=_sql("'{}'::jsonb"))
    handled_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    __table_args__ = (
        CheckConstraint(_in("direction", ("in", "out")), name="direction"),
        CheckConstraint("sender IS NULL OR " + _in("sender", ("customer", "bot", "human", "echo")), name="sender"),
        CheckConstraint("status IS NULL OR " + _in("status", MESSAGE_STATUSES), name="status"),
        Index("ix_whatsapp_messages_dialog_sent", "dialog_id", "sent_at"),
        Index("uq_whatsapp_messages_external", "external_id", unique=True,
              postgresql_where=_sql("external_id IS NOT NULL")),
    )


class DialogAnalysis(Base):
    """Semantic memory: one analysis per dialog, searchable with Russian/English full text + tags."""

    __tablename__ = "dialog_analysis"
    id: Mapped[uuid.UUID] = _uuid_pk()
    dialog_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("whatsapp_dialogs.id", ondelete="CASCADE"), unique=True
    )
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    language: Mapped[str] = mapped_column(String(2), server_default="ru")
    summary: Mapped[str] = mapped_column(Text)
    tags: Mapped[list[str]] = mapped_column(ARRAY(Text), server_default=text("'{}'::text[]"))
    interest_level: Mapped[str | None] = mapped_column(String(8))
    objections: Mapped[list[str]] = mapped_column(ARRAY(Text), server_default=text("'{}'::text[]"))
    insights: Mapped[dict[str, Any]] = mapped_column(Json, server_default=text("'{}'::jsonb"))
    summary_tsv: Mapped[Any] = mapped_column(
        TSVECTOR,
        Computed(
            "CASE WHEN language = 'en' THEN to_tsvector('english'::regconfig, summary) "
            "ELSE to_tsvector('russian'::regconfig, summary) END",
            persisted=True,
        ),
    )
    analyzed_at: Mapped[dt.datetime] = _created()
    __table_args__ = (
        CheckConstraint(_in("language", ("ru", "en")), name="language"),
        CheckConstraint(
            "interest_level IS NULL OR " + _in("interest_level", ("hot", "warm", "cold")), name="interest_level"
        ),
        Index("ix_dialog_analysis_summary_tsv", "summary_tsv", postgresql_using="gin"),
        Index("ix_dialog_analysis_tags", "tags", postgresql_using="gin"),
    )


# ── inbound messaging (WhatsApp Cloud API, Instagram Messaging) ─────────────────────────────


class MessagingAccount(Base):
    """A WhatsApp phone number id or an Instagram professional account that delivers to our webhooks."""

    __tablename__ = "messaging_accounts"
    id: Mapped[uuid.UUID] = _uuid_pk()
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    platform: Mapped[str] = mapped_column(String(16))
    external_id: Mapped[str] = mapped_column(String(64))  # phone_number_id / Instagram account id
    display_phone: Mapped[str | None] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(200))
    timezone: Mapped[str] = mapped_column(String(64), server_default="UTC")
    # {"start": 9, "end": 20, "days": [0..6]} in the account's time zone (Monday = 0).
    business_hours: Mapped[dict[str, Any]] = mapped_column(
        Json, server_default=text("'{\"start\": 9, \"end\": 20, \"days\": [0, 1, 2, 3, 4, 5]}'::jsonb"))
    auto_reply: Mapped[bool] = mapped_column(Boolean, server_default=text("true"))
    created_at: Mapped[dt.datetime] = _created()
    __table_args__ = (
        UniqueConstraint("platform", "external_id", name="uq_messaging_accounts_platform_external"),
        CheckConstraint(_in("platform", CHANNELS), name="platform"),
    )


class InboundDelivery(Base):
    """The durable inbox: each signed webhook POST as received, processed later (and only once)."""

    __tablename__ = "inbound_deliveries"
    id: Mapped[int] = mapped_column(BigInteger, Identity(always=True), primary_key=True)
    platform: Mapped[str] = mapped_column(String(16))
    body: Mapped[bytes] = mapped_column(LargeBinary)  # the raw bytes the signature covers
    received_at: Mapped[dt.datetime] = _created()
    processed_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    attempts: Mapped[int] = mapped_column(SmallInteger, server_default="0")
    last_error: Mapped[str | None] = mapped_column(Text)
    result: Mapped[dict[str, Any] | None] = mapped_column(Json)
    __table_args__ = (
        CheckConstraint(_in("platform", CHANNELS), name="platform"),
        Index("ix_inbound_deliveries_pending", "received_at", postgresql_where=text("processed_at IS NULL")),
    )


class AutoReplyRule(Base):
    """When to answer a customer without the marketer: by intent and/or keywords, within or outside
    business hours, with a template per language."""

    __tablename__ = "auto_reply_rules"
    id: Mapped[uuid.UUID] = _uuid_pk()
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    account_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("messaging_accounts.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(200))
    intents: Mapped[list[str]] = mapped_column(ARRAY(Text), server_default=text("'{}'::text[]"))
    keywords: Mapped[list[str]] = mapped_column(ARRAY(Text), server_default=text("'{}'::text[]"))
    hours: Mapped[str] = mapped_column(String(8), server_default="any")  # any | open | closed
    template_ru: Mapped[str] = mapped_column(Text)
    template_en: Mapped[str] = mapped_column(Text)
    # The approved WhatsApp template to use outside the 24-hour window (None: no reply then).
    wa_template: Mapped[str | None] = mapped_column(String(100))
    priority: Mapped[int] = mapped_column(SmallInteger, server_default="100")
    enabled: Mapped[bool] = mapped_column(Boolean, server_default=text("true"))
    created_at: Mapped[dt.datetime] = _created()
    __table_args__ = (CheckConstraint(_in("hours", ("any", "open", "closed")), name="hours"),)


# ── Graph sandbox: the emulated ad platform's own state ─────────────────────────────────────


SANDBOX_TYPES = ("adaccount", "campaign", "adset", "ad", "adcreative", "adimage", "customaudience", "adspixel",
                 "adreportrun")


class SandboxObject(Base):
    """A Graph object of the sandbox (campaign, ad set, ad, creative, audience, …).

    Kept in PostgreSQL so a pause survives a restart and every worker sees the same account.
    Graph-specific attributes live in `fields`, as the Graph API returns them.
    """

    __tablename__ = "sandbox_objects"
    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    account_id: Mapped[str] = mapped_column(String(32))
    type: Mapped[str] = mapped_column(String(16))
    parent_id: Mapped[str | None] = mapped_column(String(32))
    campaign_id: Mapped[str | None] = mapped_column(String(32))
    adset_id: Mapped[str | None] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(400))
    status: Mapped[str | None] = mapped_column(String(16))
    fields: Mapped[dict[str, Any]] = mapped_column(Json, server_default=text("'{}'::jsonb"))
    created_time: Mapped[dt.datetime] = _created()
    updated_time: Mapped[dt.datetime] = _created()
    __table_args__ = (
        CheckConstraint(_in("type", SANDBOX_TYPES), name="type"),
        Index("ix_sandbox_objects_account_type", "account_id", "type"),
        Index("ix_sandbox_objects_parent", "parent_id"),
    )


class SandboxAdStats(Base):
    """Daily delivery of one sandbox ad; insights at every level are aggregated from it."""

    __tablename__ = "sandbox_ad_stats"
    ad_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    date: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    account_id: Mapped[str] = mapped_column(String(32))
    campaign_id: Mapped[str] = mapped_column(String(32))
    adset_id: Mapped[str] = mapped_column(String(32))
    impressions: Mapped[int] = mapped_column(BigInteger, server_default="0")
    reach: Mapped[int] = mapped_column(BigInteger, server_default="0")
    clicks: Mapped[int] = mapped_column(BigInteger, server_default="0")
    link_clicks: Mapped[int] = mapped_column(BigInteger, server_default="0")
    spend_cents: Mapped[int] = mapped_column(BigInteger, server_default="0")
    # [{"action_type": "...", "value": n}], as Graph reports them.
    actions: Mapped[list[Any]] = mapped_column(Json, server_default=text("'[]'::jsonb"))
    video_p25: Mapped[int] = mapped_column(BigInteger, server_default="0")
    video_p50: Mapped[int] = mapped_column(BigInteger, server_default="0")
    video_p75: Mapped[int] = mapped_column(BigInteger, server_default="0")
    video_p95: Mapped[int] = mapped_column(BigInteger, server_default="0")
    __table_args__ = (Index("ix_sandbox_ad_stats_account_date", "account_id", "date"),)


class SandboxMessagingCustomer(Base):
    """The messaging sandbox's memory of a customer: when they last wrote to one of its WhatsApp numbers
    or Instagram accounts (the 24-hour window). In PostgreSQL like the rest of the sandbox, so every
    process (web, worker) sees the same customers and a restart forgets nobody."""

    __tablename__ = "sandbox_messaging_customers"
    account_id: Mapped[str] = mapped_column(String(32), primary_key=True)  # phone-number id / IG account id
    customer: Mapped[str] = mapped_column(String(64), primary_key=True)  # wa_id digits / Instagram-scoped id
    last_message_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))


# ── other ad platforms (TikTok, Google Ads): sandboxes and unified daily metrics ─────────────

PLATFORM_SANDBOXES = ("tiktok", "google")
PLATFORM_OBJECT_TYPES = ("account", "budget", "campaign", "adgroup", "ad")


class SandboxPlatformObject(Base):
    """An object of the TikTok or Google Ads sandbox; platform-specific attributes live in `fields`.

    Money is stored in minor units of the account currency; each sandbox renders it as its platform
    does (TikTok decimal amounts, Google micros).
    """

    __tablename__ = "sandbox_platform_objects"
    platform: Mapped[str] = mapped_column(String(16), primary_key=True)
    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    account_id: Mapped[str] = mapped_column(String(32))
    type: Mapped[str] = mapped_column(String(16))
    parent_id: Mapped[str | None] = mapped_column(String(32))
    campaign_id: Mapped[str | None] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(400))
    status: Mapped[str | None] = mapped_column(String(16))
    fields: Mapped[dict[str, Any]] = mapped_column(Json, server_default=text("'{}'::jsonb"))
    created_time: Mapped[dt.datetime] = _created()
    updated_time: Mapped[dt.datetime] = _created()
    __table_args__ = (
        CheckConstraint(_in("platform", PLATFORM_SANDBOXES), name="platform"),
        CheckConstraint(_in("type", PLATFORM_OBJECT_TYPES), name="type"),
        Index("ix_sandbox_platform_objects_account_type", "platform", "account_id", "type"),
    )


class SandboxPlatformStats(Base):
    """Daily delivery of one TikTok/Google sandbox ad; every report level is aggregated from it."""

    __tablename__ = "sandbox_platform_stats"
    platform: Mapped[str] = mapped_column(String(16), primary_key=True)
    ad_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    date: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    account_id: Mapped[str] = mapped_column(String(32))
    campaign_id: Mapped[str] = mapped_column(String(32))
    adgroup_id: Mapped[str] = mapped_column(String(32))
    impressions: Mapped[int] = mapped_column(BigInteger, server_default="0")
    reach: Mapped[int] = mapped_column(BigInteger, server_default="0")
    clicks: Mapped[int] = mapped_column(BigInteger, server_default="0")
    spend_minor: Mapped[int] = mapped_column(BigInteger, server_default="0")
    conversions: Mapped[int] = mapped_column(BigInteger, server_default="0")
    conversion_value_minor: Mapped[int] = mapped_column(BigInteger, server_default="0")
    __table_args__ = (Index("ix_sandbox_platform_stats_account_date", "platform", "account_id", "date"),)


class AdDailyMetrics(Base):
    """One ad's day on any platform, in one schema: the metrics sync loads every linked account.

    Money in minor units of `currency` (the account's); the day is the account's calendar day.
    """

    __tablename__ = "ad_daily_metrics"
    ad_account_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("ad_accounts.id", ondelete="CASCADE"),
                                                     primary_key=True)
    ad_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    date: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    platform: Mapped[str] = mapped_column(String(20))
    currency: Mapped[str] = mapped_column(String(3))
    campaign_id: Mapped[str | None] = mapped_column(String(64))
    adset_id: Mapped[str | None] = mapped_column(String(64))
    ad_name: Mapped[str | None] = mapped_column(String(400))
    spend_cents: Mapped[int] = mapped_column(BigInteger, server_default="0")
    impressions: Mapped[int] = mapped_column(BigInteger, server_default="0")
    clicks: Mapped[int] = mapped_column(BigInteger, server_default="0")
    leads: Mapped[int] = mapped_column(BigInteger, server_default="0")
    conversion_value_cents: Mapped[int] = mapped_column(BigInteger, server_default="0")
    __table_args__ = (
        CheckConstraint(_in("platform", ("meta", "tiktok", "google", "x")), name="platform"),
        Index("ix_ad_daily_metrics_platform_date", "platform", "date"),
    )


# ── platform call discipline shared by every process (`serve --workers N`, `agent-brain worker`) ──


class BudgetChange(Base):
    """One budget change sent for an ad set: Meta allows about 4 per ad set per rolling hour, and every
    process counts the same rows (`platforms/graph/shared.py: PgBudgetChangeLog`)."""

    __tablename__ = "budget_changes"
    id: Mapped[int] = mapped_column(BigInteger, Identity(always=True), primary_key=True)
    ad_set_id: Mapped[str] = mapped_column(String(64))
    changed_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    __table_args__ = (Index("ix_budget_changes_ad_set_id_changed_at", "ad_set_id", "changed_at"),)


class PlatformHealth(Base):
    """A platform's circuit as last opened or closed by any process; the others adopt it."""

    __tablename__ = "platform_health"
    platform: Mapped[str] = mapped_column(String(32), primary_key=True)
    state: Mapped[str] = mapped_column(String(16))  # "open" | "closed"
    opened_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    changed_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))


class AccountThrottleRow(Base):
    """An ad account the platform rate-limited: its calls wait until `paused_until` in every process."""

    __tablename__ = "account_throttles"
    platform: Mapped[str] = mapped_column(String(32), primary_key=True)
    account_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    paused_until: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    strikes: Mapped[int] = mapped_column(Integer, server_default="0")
    code: Mapped[int | None] = mapped_column(Integer)
    changed_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
