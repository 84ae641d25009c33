"""Driving the orchestrator from tests: one turn's events as JSON, a fresh conversation in a mode."""

from __future__ import annotations

import uuid
from typing import Any

from agent_brain.orchestrator.orchestrator import Orchestrator, TurnRequest


async def turn(orch: Orchestrator, user_id: uuid.UUID, conv_id: uuid.UUID, message: str) -> list[dict[str, Any]]:
    return [e.to_json() async for e in orch.process(TurnRequest(user_id, message, "web", conv_id))]


async def new_conversation(orch: Orchestrator, user_id: uuid.UUID, mode: str = "plan") -> uuid.UUID:
    conv = await orch.store.get_or_create(user_id=user_id, source="web")
    await orch.store.set_mode(conv.id, mode)  # type: ignore[arg-type]
    return conv.id


def final_text(events: list[dict[str, Any]]) -> str:
    return next(e for e in events if e["type"] == "done")["text"]
