"""Token budget: priorities, trimming, the latest messages kept, tool exchanges whole."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from agent_brain.memory.budget import PRIORITIES, Block, TokenBudget
from agent_brain.tokens import count_message_tokens, count_tokens


def conversation(n: int) -> list[dict]:
    messages = []
    for i in range(n):
        if i % 5 == 3:
            messages.append({"role": "assistant", "content": None, "tool_calls": [
                {"id": f"c{i}", "type": "function", "function": {"name": "getSpendReport", "arguments": "{}"}}]})
            messages.append({"role": "tool", "tool_call_id": f"c{i}",
                             "content": json.dumps({"items": [{"name": f"Кампания {j}", "spend_cents": j * 100}
                                                              for j in range(40)]}, ensure_ascii=False)})
        else:
            role = "user" if i % 2 == 0 else "assistant"
            messages.append({"role": role, "content": f"Сообщение номер {i}: покажи расходы и лиды по кампаниям " * 3})
    return messages


def key(message: dict) -> tuple:
    """Identity of a message for comparison (old tool results may come back shortened)."""
    return message["role"], message.get("tool_call_id"), (message.get("content") or "")[:40]


def blocks(history: list[dict], *, metrics: str = "", profile: str = "", contexts: str = "") -> list[Block]:
    return [
        Block("history", PRIORITIES["history"], messages=history,
              message_tokens=[count_message_tokens(m) for m in history]),
        Block("metrics", PRIORITIES["metrics"], text=metrics),
        Block("profile", PRIORITIES["profile"], text=profile),
        Block("contexts", PRIORITIES["contexts"], text=contexts),
    ]


def test_a_200_message_conversation_stays_within_budget_and_keeps_the_latest() -> None:
    history = conversation(200)
    budget = TokenBudget(8000)
    fitted = budget.fit(blocks(history, metrics="Расход за 7 дней: $1,234.00\n" * 30,
                               profile="Целевой CPL: $15\n" * 20, contexts="Заметка\n" * 50))
    assert fitted.stats["used"] <= budget.available
    assert fitted.history and key(fitted.history[-1]) == key(history[-1])  # the newest message survives
    kept = fitted.history
    assert [key(m) for m in kept] == [key(m) for m in history[len(history) - len(kept):]]  # oldest dropped first
    assert kept[0]["role"] != "tool"
    for i, message in enumerate(kept):  # every tool result follows its call
        if message["role"] == "tool":
            assert kept[i - 1].get("tool_calls") or kept[i - 1]["role"] == "tool"
    assert fitted.stats["blocks"]["history"]["dropped"] > 0


def test_everything_fits_when_small() -> None:
    history = conversation(6)
    fitted = TokenBudget(8000).fit(blocks(history, metrics="m", profile="p", contexts="c"))
    assert [key(m) for m in fitted.history] == [key(m) for m in history]
    assert fitted.text == {"metrics": "m", "profile": "p", "contexts": "c"}
    assert fitted.stats["utilization"] < 0.5


def test_lower_priority_blocks_give_way_first() -> None:
    big = "строка контекста с цифрами 12345\n" * 2000
    fitted = TokenBudget(6000).fit(blocks([], metrics=big, profile=big, contexts=big))
    tokens = {name: fitted.stats["blocks"][name]["tokens"] for name in ("metrics", "profile", "contexts")}
    assert tokens["metrics"] > tokens["profile"] > tokens["contexts"]
    assert all(fitted.stats["blocks"][n]["truncated"] for n in tokens)


def test_old_tool_results_are_shortened() -> None:
    huge = {"role": "tool", "tool_call_id": "c1", "content": json.dumps({"rows": list(range(5000))})}
    call = {"role": "assistant", "content": None, "tool_calls": [
        {"id": "c1", "type": "function", "function": {"name": "x", "arguments": "{}"}}]}
    fitted = TokenBudget(8000).fit(blocks([{"role": "user", "content": "q"}, call, huge]))
    assert fitted.history[-1]["content"].endswith("…[truncated]")
    assert count_tokens(fitted.history[-1]["content"]) < 700


def test_reserves_must_leave_room() -> None:
    with pytest.raises(ValueError):
        TokenBudget(2000)


@settings(max_examples=40, deadline=None)
@given(n=st.integers(min_value=0, max_value=120), total=st.integers(min_value=3500, max_value=12000),
       extra=st.integers(min_value=0, max_value=3000))
def test_never_over_budget(n: int, total: int, extra: int) -> None:
    fitted = TokenBudget(total).fit(blocks(conversation(n), metrics="x " * extra, contexts="y " * extra))
    assert fitted.stats["used"] <= TokenBudget(total).available
