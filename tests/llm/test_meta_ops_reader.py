"""The Meta-operations reader takes only what is its own: reads, rules and other agents' requests that share a
word with it («кампани», «до 15.05», «в архиве», «возраст») fall through to the other readers."""

from __future__ import annotations

from collections import defaultdict

import pytest
from offline_cases import TODAY, world_entities

from agent_brain.llm.offline import lexicon, meta_ops

ENTITIES: dict[str, list] = defaultdict(list)
for _e in world_entities():
    ENTITIES[_e.kind].append(_e)
ALL = set(lexicon.TOOLS)


@pytest.mark.parametrize("message", [
    "Create a rule to pause campaigns with CPL above $40",
    "Создай правило: если CPL кампании выше $30 — выключай её",
    "Покажи расходы адсета Москва 25-45 с 1 по 15 мая",
    "how much did the ad set Москва 25-45 spend until May 15?",
    "Покажи кампании в архиве",
    "show archived campaigns",
    "Покажи разбивку по возрасту для адсета Москва 25-45",
    "Запусти тест креатива «Белоснежная улыбка»",
    "Поставь бюджет адсета Москва 25-45 $60",
    "Покажи кампании",
    "Запусти кампанию Виниры СПб",
    "launch the campaign Виниры СПб",
])
def test_not_a_meta_operation(message: str) -> None:
    assert meta_ops.understand(message, "ru", ENTITIES, TODAY, ALL) is None
    assert meta_ops.domain_of(message) is None


@pytest.mark.parametrize(("message", "tool"), [
    ("Создай кампанию на направление Виниры в Казани, $50 в день, креативы «Виниры: до и после»",
     "planCampaignStructure"),
    ("Адсет Москва 18-35 пусть работает до 31 декабря", "previewAdSetSettings"),
    ("Заархивируй кампанию Виниры СПб", "archiveCampaign"),
])
def test_a_meta_operation(message: str, tool: str) -> None:
    found = meta_ops.understand(message, "ru", ENTITIES, TODAY, ALL)
    assert found is not None and [i.tool for i in found.intents] == [tool]


async def test_amounts_in_a_currency_without_minor_units() -> None:
    """In a JPY account «бюджет 5000» is 5000 yen (Graph counts whole yen), in a USD one 500000 cents."""
    import json

    from offline_cases import resolver

    from agent_brain.agents.ads import tools as ads_tools
    from agent_brain.llm.base import ModelRequest, TurnHints, complete
    from agent_brain.llm.offline import OfflineModel

    async def args(message: str, currency: str) -> dict:
        request = ModelRequest(messages=[{"role": "user", "content": message}], tools=ads_tools.schemas(),
                               hints=TurnHints(resolver=resolver(), today=TODAY, currency=currency))
        turn = await complete(OfflineModel(), request)
        return json.loads(turn.tool_calls[0].arguments)

    message = "Создай кампанию на направление Виниры в Казани, 5000 в день, креативы «Виниры: до и после»"
    assert (await args(message, "JPY"))["dailyBudgetCents"] == 5000
    assert (await args(message, "USD"))["dailyBudgetCents"] == 500000
    assert (await args(message.replace("5000", "$50"), "USD"))["dailyBudgetCents"] == 5000
