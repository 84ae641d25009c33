"""Memory through the orchestrator: commands in every mode, snapshot and notes in the prompt, context
stats on the run, auto-captured notes, and a rolling summary that never affects the reply."""

from __future__ import annotations

import pytest
from sqlalchemy import select, text
from turns import new_conversation, turn

from agent_brain.db.models import AgentNote, Run
from agent_brain.llm.base import ModelRequest
from agent_brain.llm.offline import OfflineModel
from agent_brain.orchestrator.context import HISTORY_MESSAGES
from agent_brain.stores.records import NewMessage


@pytest.mark.parametrize("mode", ["auto", "plan", "ask"])
async def test_memory_commands_work_in_every_mode(product, mode: str) -> None:  # type: ignore[no-untyped-def]
    orch = product["build"]()
    conv = await new_conversation(orch, product["user_id"], mode)
    remembered = await turn(orch, product["user_id"], conv, "Запомни: клиенты из Алматы не отвечают по выходным")
    assert remembered[0] == {"type": "classified", "domain": "memory", "agents": [], "path": "command"}
    assert "approval_required" not in [e["type"] for e in remembered]
    listed = await turn(orch, product["user_id"], conv, "Что ты помнишь?")
    assert "Алматы" in listed[-1]["text"]
    forgotten = await turn(orch, product["user_id"], conv, "Забудь: клиенты из Алматы")
    assert "Алматы" in forgotten[-1]["text"]
    listed = await turn(orch, product["user_id"], conv, "What do you remember?")
    assert "Алматы" not in listed[-1]["text"]
    assert (await orch.store.get_by_id(conv)).lock_owner is None


async def test_english_memory_commands(product) -> None:  # type: ignore[no-untyped-def]
    orch = product["build"]()
    conv = await new_conversation(orch, product["user_id"])
    await turn(orch, product["user_id"], conv, "Remember: the veneers campaign needs a new creative by Friday")
    async with product["engine"].connect() as conn:
        note = (await conn.execute(select(AgentNote).where(AgentNote.source == "user"))).one()
    assert "veneers" in note.text and note.importance >= 0.9
    listed = await turn(orch, product["user_id"], conv, "What do you remember?")
    assert "veneers" in listed[-1]["text"]


class RecordingOffline(OfflineModel):
    """The offline model, keeping every request it was given (to look at the prompts)."""

    def __init__(self, *, fail_summaries: bool = False) -> None:
        super().__init__()
        self.requests: list[ModelRequest] = []
        self.fail_summaries = fail_summaries

    async def stream(self, request: ModelRequest):  # type: ignore[no-untyped-def, override]
        self.requests.append(request)
        if self.fail_summaries and request.hints.purpose == "summarize":
            raise RuntimeError("summary model down")
        async for event in super().stream(request):
            yield event


async def test_snapshot_specs_and_notes_reach_the_agent_prompt_and_stats_the_run(product) -> None:  # type: ignore[no-untyped-def]
    model = RecordingOffline()
    orch = product["build"](model)
    conv = await new_conversation(orch, product["user_id"])
    await turn(orch, product["user_id"], conv, "Запомни: бюджет на виниры не поднимать до июня")
    await turn(orch, product["user_id"], conv, "Покажи расходы за неделю")
    system = next(r for r in model.requests if r.hints.purpose == "agent").messages[0]["content"]
    assert "## Бизнес-сводка" in system and "## Профиль бизнеса и KPI" in system
    assert "виниры не поднимать" in system
    async with product["engine"].connect() as conn:
        stats = (await conn.execute(select(Run.context_stats).where(Run.conversation_id == conv))).scalar_one()
    assert stats["snapshot"]["freshness"] in ("fresh", "stale")
    assert 0 < stats["budget"]["used"] <= stats["budget"]["budget"]
    assert {"history", "metrics", "profile", "contexts"} <= set(stats["budget"]["blocks"])


async def test_tool_results_are_captured_as_notes_after_the_reply(product) -> None:  # type: ignore[no-untyped-def]
    orch = product["build"]()
    conv = await new_conversation(orch, product["user_id"])
    async with product["engine"].connect() as conn:
        before = (await conn.execute(text("SELECT count(*), max(updated_at) FROM agent_notes"))).one()
    await turn(orch, product["user_id"], conv, "Какие направления активны?")
    await orch.wait_idle()
    async with product["engine"].connect() as conn:
        after = (await conn.execute(text("SELECT count(*), max(updated_at) FROM agent_notes"))).one()
    # New observations were written, or existing ones refreshed (same dedup key): never piled up.
    assert after[0] > before[0] or after[1] > before[1]
    async with product["engine"].connect() as conn:
        sources = set((await conn.execute(text("SELECT source FROM agent_notes WHERE updated_at > :t"),
                                          {"t": before[1]})).scalars())
    assert sources == {"tool:getDirections"}  # captured from a tool's result: data, marked by its source


async def test_summary_runs_after_the_reply_and_its_failure_changes_nothing(product) -> None:  # type: ignore[no-untyped-def]
    for failing in (False, True):
        model = RecordingOffline(fail_summaries=failing)
        orch = product["build"](model)
        conv = await new_conversation(orch, product["user_id"])
        await orch.store.add_messages(conv, [NewMessage(role="user" if i % 2 == 0 else "assistant",
                                                        content=f"Сообщение {i} про кампанию Виниры СПб")
                                             for i in range(HISTORY_MESSAGES + 12)])  # some out of view
        events = await turn(orch, product["user_id"], conv, "Покажи расходы за неделю")
        assert events[-1]["type"] == "done" and events[-1]["text"]
        await orch.wait_idle()
        got = await orch.store.get_by_id(conv)
        assert any(r.hints.purpose == "summarize" for r in model.requests)
        if failing:
            assert got.rolling_summary is None and got.summary_message_count == 0
        else:
            assert got.rolling_summary and got.summary_message_count == got.message_count
        assert got.lock_owner is None


async def test_summary_is_not_run_before_the_rules_say_so(product) -> None:  # type: ignore[no-untyped-def]
    model = RecordingOffline()
    orch = product["build"](model)
    conv = await new_conversation(orch, product["user_id"])
    await turn(orch, product["user_id"], conv, "Покажи расходы за неделю")
    await orch.wait_idle()
    assert not any(r.hints.purpose == "summarize" for r in model.requests)


async def test_direction_answers_say_which_metrics_source_they_used(product) -> None:  # type: ignore[no-untyped-def]
    orch = product["build"]()
    conv = await new_conversation(orch, product["user_id"])
    events = await turn(orch, product["user_id"], conv, "Какие направления активны?")
    assert "Источник: дневная сводка по направлениям." in events[-1]["text"]
    async with product["engine"].begin() as conn:
        await conn.execute(text("DELETE FROM direction_metrics_rollup"))
    conv = await new_conversation(orch, product["user_id"])
    events = await turn(orch, product["user_id"], conv, "Какие направления активны?")
    assert "Источник: история метрик креативов" in events[-1]["text"]
