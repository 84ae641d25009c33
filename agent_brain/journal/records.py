"""Who asked for a write, what it targets, and the journalled row as the rest of the code sees it."""

from __future__ import annotations

import dataclasses
import datetime as dt
import uuid
from dataclasses import dataclass, field
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

ActionStatus = Literal["intended", "sent", "applied", "verified", "unverified", "failed", "unknown"]
# Statuses a live writer passes through; a row left in one of them by a dead process is reconciled.
OPEN_STATUSES: tuple[ActionStatus, ...] = ("intended", "sent", "applied", "unknown")


@dataclass(frozen=True)
class ActionOrigin:
    """Who asked: the user, the transport and chat, the Telegram person, the plan step, the lease owner."""

    user_id: uuid.UUID | None = None
    source: str = "system"
    conversation_id: uuid.UUID | None = None
    telegram_chat_id: int | None = None
    telegram_user_id: int | None = None
    owner: str | None = None
    plan_id: uuid.UUID | None = None
    step_index: int | None = None
    reverts_action_id: uuid.UUID | None = None

    def replace(self, **changes: Any) -> ActionOrigin:
        return dataclasses.replace(self, **changes)


@dataclass(frozen=True)
class WriteTarget:
    """The object a write changes: its kind (campaign, adset, direction, lead, dialogs…), id and
    human name, plus what recovery needs to read it back without the tool's code (`locator`)."""

    type: str
    id: str | None
    name: str | None = None
    locator: dict[str, Any] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        return {"type": self.type, "id": self.id, "name": self.name, **self.locator}


class ActionRecord(BaseModel):
    model_config = ConfigDict(from_attributes=True, frozen=True)

    id: uuid.UUID
    user_id: uuid.UUID | None
    source: str
    conversation_id: uuid.UUID | None
    telegram_chat_id: int | None
    telegram_user_id: int | None
    owner: str | None
    tool: str
    platform: str
    account_id: str | None
    target_type: str | None
    target_id: str | None
    target_name: str | None
    target: dict[str, Any]
    args: dict[str, Any]
    expected: dict[str, Any]
    before_state: dict[str, Any] | None
    after_state: dict[str, Any] | None
    response: Any | None
    error: dict[str, Any] | None
    plan_id: uuid.UUID | None
    step_index: int | None
    idempotency_key: str
    reverts_action_id: uuid.UUID | None
    reversible: bool
    status: ActionStatus
    created_at: dt.datetime
    sent_at: dt.datetime | None
    applied_at: dt.datetime | None
    settled_at: dt.datetime | None
    updated_at: dt.datetime

    def to_json(self) -> dict[str, Any]:
        return self.model_dump(mode="json")
