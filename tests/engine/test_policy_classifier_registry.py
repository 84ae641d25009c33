"""Policy table, keyword classifier and the tool registry's schema/validation contract."""

from __future__ import annotations

import asyncio
import json

import pytest
from pydantic import BaseModel, Field

from agent_brain.llm.base import ModelRequest, ModelTurn, TurnDone
from agent_brain.orchestrator.classifier import Classifier, keyword_domains
from agent_brain.orchestrator.policy import Decision, decide
from agent_brain.tools.registry import READ, WRITE, ToolArgumentsError, ToolRegistry, run_tool, strict_schema

registry = ToolRegistry("test")


class ReadArgs(BaseModel):
    period: str = Field(default="last_7d", description="period")
    limit: int | None = Field(default=None, ge=1, le=10)


class WriteArgs(BaseModel):
    campaignId: str = Field(pattern=r"^[0-9]+$")
    dailyBudgetCents: int = Field(ge=100)


@registry.tool(kind=READ, timeout=0.05)
async def readSomething(args: ReadArgs, ctx) -> dict:  # type: ignore[no-untyped-def]
    """Read something."""
    await asyncio.sleep(float(args.period) if args.period.replace(".", "").isdigit() else 0)
    return {"ok": True}


@registry.tool(kind=WRITE)
async def writeSomething(args: WriteArgs, ctx) -> dict:  # type: ignore[no-untyped-def]
    """Write something that costs nothing."""
    return {"ok": True}


@registry.tool(kind=WRITE, dangerous=True)
async def pauseSomething(args: WriteArgs, ctx) -> dict:  # type: ignore[no-untyped-def]
    """Pause something."""
    return {"ok": True}


READ_T, WRITE_T, DANGER_T = (registry.get(n) for n in ("readSomething", "writeSomething", "pauseSomething"))


@pytest.mark.parametrize(
    ("mode", "expected"),
    [
        ("auto", (Decision.RUN, Decision.RUN, Decision.PLAN)),
        ("plan", (Decision.RUN, Decision.PLAN, Decision.PLAN)),
        ("ask", (Decision.PLAN, Decision.PLAN, Decision.PLAN)),
    ],
)
def test_mode_policy_table(mode: str, expected: tuple[Decision, ...]) -> None:
    got = tuple(decide(mode, t, tainted=False) for t in (READ_T, WRITE_T, DANGER_T))
    assert got == expected


def test_writes_after_untrusted_tool_output_are_always_planned() -> None:
    assert decide("auto", WRITE_T, tainted=True) is Decision.PLAN
    assert decide("auto", READ_T, tainted=True) is Decision.RUN


def test_only_a_user_grounded_plain_write_runs_despite_taint() -> None:
    assert decide("auto", WRITE_T, tainted=True, user_grounded=True) is Decision.RUN
    assert decide("auto", DANGER_T, tainted=True, user_grounded=True) is Decision.PLAN
    assert decide("plan", WRITE_T, tainted=True, user_grounded=True) is Decision.PLAN


@pytest.mark.parametrize("mode", ["auto", "plan", "ask"])
def test_an_ungrounded_target_is_always_a_plan(mode: str) -> None:
    for grounded_call in (False, True):
        assert decide(mode, WRITE_T, tainted=False, user_grounded=grounded_call,
                      target_grounded=False) is Decision.PLAN


@pytest.mark.parametrize(
    ("text", "domains"),
    [
        ("Покажи расходы за сегодня", ["ads"]),
        ("Какие направления активны?", ["ads"]),
        ("Топ креативы по CPL", ["creative"]),
        ("Покажи retention видео", ["creative"]),
        ("Лиды за сегодня", ["crm"]),
        ("Какая выручка за месяц?", ["crm"]),
        ("Последние диалоги", ["whatsapp"]),
        ("Покажи расходы по кампаниям и лиды за неделю", ["ads", "crm"]),
        ("Show spend for campaign X and the latest dialogs", ["ads", "whatsapp"]),
        ("What is the ROI this week?", ["ads"]),
        ("Привет!", []),
    ],
)
def test_keyword_domains(text: str, domains: list[str]) -> None:
    assert keyword_domains(text) == domains


class _JsonModel:
    name = "fake"
    is_llm = True

    def __init__(self, answer: str) -> None:
        self.answer = answer
        self.requests: list[ModelRequest] = []

    async def stream(self, request: ModelRequest):  # type: ignore[no-untyped-def]
        self.requests.append(request)
        yield TurnDone(ModelTurn(content=self.answer))


async def test_classifier_paths() -> None:
    model = _JsonModel('{"domain": "crm", "agents": ["crm"]}')
    classifier = Classifier(model)
    keywords = await classifier.classify("Лиды за сегодня")
    assert (keywords.domain, keywords.path) == ("crm", "keywords") and not model.requests
    follow_up = await Classifier(_JsonModel("{}")).classify("а за вчера?", last_domain="ads")
    assert (follow_up.domain, follow_up.path) == ("ads", "context")
    fallback = await classifier.classify("Как там дела у Анны?")
    assert (fallback.domain, fallback.agents, fallback.path) == ("crm", ("crm",), "llm")
    assert model.requests[0].json_output
    mixed = await classifier.classify("кампании и креативы")
    assert (mixed.domain, mixed.agents) == ("mixed", ("ads", "creative"))
    broken = await Classifier(_JsonModel("not json")).classify("Как дела?")
    assert (broken.domain, broken.path) == ("ads", "default")


def test_strict_schema_lists_every_property_and_forbids_extras() -> None:
    schema = strict_schema(ReadArgs)
    assert schema["required"] == ["period", "limit"] and schema["additionalProperties"] is False
    assert {"type": "null"} in schema["properties"]["limit"]["anyOf"]
    assert "default" not in json.dumps(schema)
    entry = READ_T.openai_schema()
    assert entry["function"]["strict"] is True and entry["function"]["description"] == "Read something."


def test_every_product_tool_has_a_strict_schema_and_description() -> None:
    from agent_brain.agents import load_agents

    agents = load_agents()
    names = [t.name for a in agents for t in a.tools]
    assert len(names) == len(set(names)) == 52 + 21 + 5 + 7  # whatsapp: + getInboundStats, sendSegmentMessage
    for agent in agents:
        for tool in agent.tools:
            params = tool.openai_schema()["function"]["parameters"]
            assert tool.description and params["additionalProperties"] is False
            assert set(params["required"]) == set(params["properties"])


def test_validation_messages_name_every_problem() -> None:
    with pytest.raises(ToolArgumentsError) as info:
        WRITE_T.validate('{"campaignId": "abc", "dailyBudgetCents": 5}')
    assert len(info.value.problems) == 2
    assert "campaignId" in info.value.message and "dailyBudgetCents" in info.value.message
    with pytest.raises(ToolArgumentsError, match="not valid JSON"):
        WRITE_T.validate('{"campaignId": ')
    with pytest.raises(ToolArgumentsError, match="JSON object"):
        WRITE_T.validate("[1, 2]")
    assert WRITE_T.validate({"campaignId": "1", "dailyBudgetCents": 500, "limit": None}).dailyBudgetCents == 500


async def test_handlers_run_under_their_timeout() -> None:
    from types import SimpleNamespace

    outcome = await run_tool(READ_T, READ_T.validate({"period": "1"}), SimpleNamespace(language="en", platform_account_id=None))
    assert not outcome.success and outcome.error_code == "timeout" and "0 s" in (outcome.error or "")


def test_a_tool_needs_a_docstring_and_a_model() -> None:
    r = ToolRegistry("x")
    with pytest.raises(TypeError, match="docstring"):
        @r.tool(kind=READ)
        async def undocumented(args: ReadArgs, ctx) -> dict:  # type: ignore[no-untyped-def]
            return {}
    with pytest.raises(TypeError, match="pydantic model"):
        @r.tool(kind=READ)
        async def untyped(args, ctx) -> dict:  # type: ignore[no-untyped-def]
            """Doc."""
            return {}
