"""Ad copy: a configured model writes variants, each within Meta's limits (over-limit ones are dropped); without
a model, deterministic templates that say they are templates."""

from __future__ import annotations

import dataclasses
import json
from typing import Any

from tool_calls import make_callers

from agent_brain.agents.creative import AGENT
from agent_brain.agents.creative.copy import LIMITS
from agent_brain.llm.base import ModelRequest, ModelTurn, TurnDone, Usage
from agent_brain.tools.context import ToolContext

call, ok = make_callers(AGENT.tools)


class Copywriter:
    """A scripted model behind the ChatModel interface: fixed variants, one of them too long."""

    name = "scripted-copywriter"
    is_llm = True

    def __init__(self) -> None:
        self.requests: list[ModelRequest] = []

    async def stream(self, request: ModelRequest):  # type: ignore[no-untyped-def]
        self.requests.append(request)
        variants = [{"primary_text": "Виниры E.max: улыбка, которой хочется делиться.", "headline": "Виниры в СПб",
                     "description": "Запись в WhatsApp"},
                    {"primary_text": "x" * (LIMITS["primary_text"] + 1), "headline": "Слишком длинно"},
                    {"primary_text": "Моделирование улыбки до начала лечения.", "headline": "Увидеть результат заранее"}]
        yield TurnDone(ModelTurn(content=json.dumps({"variants": variants}, ensure_ascii=False), usage=Usage(9, 9),
                                 model=self.name))


def _within_limits(variants: list[dict[str, Any]]) -> bool:
    return all(len(v[k]) <= LIMITS[k] for v in variants for k in LIMITS)


async def test_templates_without_a_model_say_so_and_repeat_exactly(tool_ctx: ToolContext) -> None:
    first = await ok(tool_ctx, "writeAdCopy", direction="Виниры", count=3)
    again = await ok(tool_ctx, "writeAdCopy", direction="виниров", count=3)
    assert first["source"] == "template" and first["variants"] == again["variants"]
    assert len(first["variants"]) == 3 and _within_limits(first["variants"])
    assert "WhatsApp" in first["variants"][0]["primary_text"]  # the direction takes leads in WhatsApp
    assert "шаблоны" in first["message"]
    english = await ok(dataclasses.replace(tool_ctx, language="en"), "writeAdCopy", direction="Отбеливание", count=5)
    assert len(english["variants"]) == 5 and _within_limits(english["variants"])
    assert "site" in english["variants"][0]["primary_text"] and "templates" in english["message"]
    unknown = await call(tool_ctx, "writeAdCopy", direction="Протезирование")
    assert not unknown.success and unknown.error_code == "not_found"


async def test_a_configured_model_writes_the_variants_within_limits(tool_ctx: ToolContext) -> None:
    model = Copywriter()
    out = await ok(dataclasses.replace(tool_ctx, writer=model), "writeAdCopy", direction="Виниры", count=3)
    assert out["source"] == "model"
    assert [v["headline"] for v in out["variants"]] == ["Виниры в СПб", "Увидеть результат заранее"]
    assert "шаблоны" not in out["message"]
    assert "Виниры" in model.requests[0].messages[-1]["content"] and model.requests[0].json_output
