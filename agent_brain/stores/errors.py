"""Typed store errors; transports map them to 404 / 409 / clear chat messages."""

from __future__ import annotations

import uuid


class StoreError(Exception):
    pass


class ConversationNotFoundError(StoreError):
    """No such conversation for this user (another user's id is reported the same way)."""


class ConversationBusyError(StoreError):
    """Another worker holds the conversation's lease: it is still answering."""


class PlanNotFoundError(StoreError):
    pass


class IllegalPlanTransitionError(StoreError):
    def __init__(self, plan_id: uuid.UUID, current: str, target: str) -> None:
        super().__init__(f"plan {plan_id} is {current}; it cannot become {target}")
        self.plan_id = plan_id
        self.current = current
        self.target = target


class PlanExpiredError(IllegalPlanTransitionError):
    def __init__(self, plan_id: uuid.UUID) -> None:
        super().__init__(plan_id, "expired", "approved")
        self.args = (f"plan {plan_id} has expired; ask again to get a fresh plan",)
