"""Rolling summary: triggered exactly by the rules; failures never raise."""

from __future__ import annotations

import pytest

from agent_brain.llm.base import ModelRequest, ModelTurn, TurnDone
from agent_brain.memory.summary import RollingSummarizer, summary_due
from agent_brain.stores.records import NewMessage
from agent_brain.stores.unified import UnifiedStore
from agent_brain.stores.users import UserRecord


@pytest.mark.parametrize(
    ("count", "summarised", "utilization", "due"),
    [
        (20, 0, 0.1, False),   # not more than 20
        (21, 0, 0.1, True),
        (21, 12, 0.1, False),  # only 9 new
        (22, 12, 0.1, True),   # 10 new
        (15, 5, 0.91, True),   # budget pressure, 10 new
        (15, 10, 0.95, False),  # under pressure too, fewer than 10 new: not on every turn
        (15, 15, 0.95, False),  # nothing new to summarise
        (15, 5, 0.90, False),  # not above 90 %
    ],
)
def test_summary_rules(count: int, summarised: int, utilization: float, due: bool) -> None:
    assert summary_due(count, summarised, utilization) is due


@pytest.mark.parametrize(
    ("count", "summarised", "hidden", "due"),
    [
        (40, 0, 0, False),    # the whole conversation is in view: a summary would only repeat it
        (40, 0, 1, True),     # a message fell out of view, nothing covers it
        (70, 40, 40, False),  # what fell out is what the last summary covers
        (70, 40, 41, True),
        (70, 65, 60, False),  # fewer than 10 new
    ],
)
def test_summary_only_when_it_shrinks_the_context(count: int, summarised: int, hidden: int, due: bool) -> None:
    assert summary_due(count, summarised, 0.5, hidden=hidden) is due


class _Model:
    name = "fake"
    is_llm = True

    def __init__(self, answer: str | None = None, fail: bool = False) -> None:
        self.answer, self.fail = answer, fail
        self.requests: list[ModelRequest] = []

    async def stream(self, request: ModelRequest):  # type: ignore[no-untyped-def]
        self.requests.append(request)
        if self.fail:
            raise RuntimeError("model down")
        yield TurnDone(ModelTurn(content=self.answer))


async def test_summary_is_stored_with_the_message_count(store: UnifiedStore, user: UserRecord) -> None:
    conv = await store.get_or_create(user_id=user.id, source="web")
    await store.add_messages(conv.id, [NewMessage(role="user", content=f"m{i}") for i in range(22)])
    model = _Model("Пользователь смотрел расходы.")
    assert await RollingSummarizer(store, model).update(conv.id)
    got = await store.get_by_id(conv.id)
    assert (got.rolling_summary, got.summary_message_count) == ("Пользователь смотрел расходы.", 22)
    assert model.requests[0].hints.purpose == "summarize"
    assert "m21" in model.requests[0].messages[-1]["content"]


async def test_a_failing_model_is_logged_not_raised(store: UnifiedStore, user: UserRecord, caplog) -> None:  # type: ignore[no-untyped-def]
    conv = await store.get_or_create(user_id=user.id, source="web")
    await store.add_messages(conv.id, [NewMessage(role="user", content="hi")])
    assert await RollingSummarizer(store, _Model(fail=True)).update(conv.id) is False
    assert "rolling summary failed" in caplog.text
    assert (await store.get_by_id(conv.id)).rolling_summary is None
