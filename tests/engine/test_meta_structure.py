"""Issue 16, structure generation end to end: the phrase (RU and EN) → one plan checked by the Graph sandbox →
approved → a PAUSED campaign with its ad set and ads → «запусти» → ACTIVE; a copy to another city; undo archives;
missing essentials are asked for. The offline model, the real agents and the write path throughout."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import text
from turns import final_text, new_conversation, turn

from agent_brain.journal.undo import propose_undo

ACCOUNT = "act_100200300400"
KAZAN = ("Создай кампанию на направление Виниры в Казани, $50 в день, женщины 25-45, креативы «Виниры: до и после» "
         "и «Голливудская улыбка»")


async def _approve(orch: Any, user_id: uuid.UUID, events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    approval = next(e for e in events if e["type"] == "approval_required")
    return [e.to_json() async for e in orch.execute_plan(user_id, uuid.UUID(approval["plan_id"]))]


async def _campaigns(product: Any) -> dict[str, Any]:
    return {c.name: c for c in await product["meta"].list_campaigns(ACCOUNT)}


async def test_create_a_campaign_by_chat_then_launch_it_then_undo(product: Any) -> None:
    orch = product["build"]()
    user = product["user_id"]
    conv = await new_conversation(orch, user, mode="auto")  # even in auto mode the structure is a plan
    before = await _campaigns(product)
    writes = product["app"].state.emulator.writes_applied
    events = await turn(orch, user, conv, KAZAN)
    assert next(e for e in events if e["type"] == "classified")["domain"] == "ads"
    approval = next(e for e in events if e["type"] == "approval_required")
    [step] = approval["plan"]["steps"]
    assert step["action"] == "createCampaignStructure"
    assert step["params"]["campaignName"] == "Виниры Казань"
    assert "Казань 25-45 женщины" in step["description"] and "validate_only" in step["description"]
    assert product["app"].state.emulator.writes_applied == writes  # planning wrote nothing
    assert await _campaigns(product) == before

    await _approve(orch, user, events)
    created = (await _campaigns(product))["Виниры Казань"]
    assert created.status == "PAUSED"
    [ad_set] = await product["meta"].list_ad_sets(campaign_id=created.id)
    assert ad_set.name == "Казань 25-45 женщины" and ad_set.daily_budget_cents == 5000
    assert len(await product["meta"].list_ads(ad_set_id=ad_set.id)) == 2

    launch = await turn(orch, user, conv, "Запусти кампанию Виниры Казань")
    plan = next(e for e in launch if e["type"] == "approval_required")
    assert [(s["action"], s["params"]["campaignId"]) for s in plan["plan"]["steps"]] == [("resumeCampaign", created.id)]
    await _approve(orch, user, launch)
    assert (await product["meta"].get_campaign(created.id)).status == "ACTIVE"

    async with product["engine"].connect() as conn:
        action_id = (await conn.execute(text(
            "SELECT id FROM ai_actions WHERE tool = 'createCampaignStructure' AND status = 'verified'"))).scalar_one()
    undo = await propose_undo(engine=product["engine"], meta=product["meta"], store=orch.store, user_id=user,
                              language="ru", action_id=action_id)
    assert undo.code == "planned" and undo.plan is not None
    assert [(s.action, s.params) for s in undo.plan.plan.steps] == [("archiveCampaign", {"campaignId": created.id})]
    async for _ in orch.execute_plan(user, undo.plan.id):
        pass
    assert (await product["meta"].get_campaign(created.id)).status == "ARCHIVED"


async def test_english_phrase_and_a_copy_to_another_city(product: Any) -> None:
    orch = product["build"]()
    user = product["user_id"]
    conv = await new_conversation(orch, user, mode="plan")
    events = await turn(orch, user, conv, "Create a campaign for the Виниры direction in Kazan, $40 a day, "
                                          "women 25-45, creatives «Виниры: до и после»")
    [step] = next(e for e in events if e["type"] == "approval_required")["plan"]["steps"]
    assert step["params"]["campaignName"] == "Виниры Kazan"
    assert step["params"]["adSets"][0]["name"] == "Kazan 25-45 women"

    copy = await turn(orch, user, conv, "Скопируй Виниры СПб на Казань")
    [step] = next(e for e in copy if e["type"] == "approval_required")["plan"]["steps"]
    assert step["action"] == "createCampaignStructure" and step["params"]["campaignName"] == "Виниры Казань"
    await _approve(orch, user, copy)
    made = (await _campaigns(product))["Виниры Казань"]
    [ad_set] = await product["meta"].list_ad_sets(campaign_id=made.id)
    assert ad_set.targeting is not None and ad_set.targeting.cities[0]["key"] == "2020946"


async def test_missing_essentials_are_asked_with_the_users_own_options(product: Any) -> None:
    orch = product["build"]()
    user = product["user_id"]
    conv = await new_conversation(orch, user, mode="auto")
    events = await turn(orch, user, conv, "Создай кампанию на направление Виниры в Казани, $50 в день")
    answer = final_text(events)
    assert "креативы" in answer and "«Виниры: до и после»" in answer
    assert not any(e["type"] in ("approval_required", "tool_start") for e in events)
    events = await turn(orch, user, conv, "Create a new campaign for veneers with a $40 daily budget")
    assert "the city" in final_text(events) and not any(e["type"] == "approval_required" for e in events)


class CallsCreateDirectly:
    """A model that skips the checks and asks for createCampaignStructure itself."""

    name = "scripted-direct-create"
    is_llm = True

    async def stream(self, request: Any):  # type: ignore[no-untyped-def]
        from agent_brain.llm.base import ModelTurn, ToolCall, TurnDone, Usage

        if request.messages[-1]["role"] == "user" and request.hints.purpose == "agent":
            args = ('{"campaignName": "Обход", "objective": "OUTCOME_LEADS", "optimizationGoal": "LEAD_GENERATION", '
                    '"specialAdCategories": [], "adSets": [{"name": "x", "cities": [{"key": "2020946", "name": "Казань"}], '
                    '"ageMin": 18, "ageMax": 65, "genders": [], "dailyBudgetCents": 5000, '
                    '"ads": [{"name": "a", "creativeId": "1"}]}]}')
            call = ToolCall(id="c1", name="createCampaignStructure", arguments=args)
            yield TurnDone(ModelTurn(content=None, tool_calls=(call,), usage=Usage(5, 5), model=self.name))
            return
        yield TurnDone(ModelTurn(content="Готово.", usage=Usage(5, 5), model=self.name))


async def test_a_model_cannot_call_the_plan_only_write_directly(product: Any) -> None:
    orch = product["build"](model=CallsCreateDirectly())
    user = product["user_id"]
    conv = await new_conversation(orch, user, mode="auto")
    writes = product["app"].state.emulator.writes_applied
    events = await turn(orch, user, conv, "Создай кампанию Обход")
    assert not any(e["type"] in ("approval_required", "tool_start") for e in events)
    assert product["app"].state.emulator.writes_applied == writes
    assert "Обход" not in await _campaigns(product)


async def test_ad_copy_by_chat_is_honest_about_templates(product: Any) -> None:
    orch = product["build"]()
    user = product["user_id"]
    conv = await new_conversation(orch, user, mode="auto")
    events = await turn(orch, user, conv, "напиши 3 варианта текста для Виниры")
    assert next(e for e in events if e["type"] == "classified")["domain"] == "creative"
    answer = final_text(events)
    assert answer.count("Заголовок:") == 3 and "шаблоны" in answer
    english = await turn(orch, user, conv, "Write two ad texts for Брекеты")
    assert final_text(english).count("Headline:") == 2 and "templates" in final_text(english)


async def test_ab_test_structure_one_ad_set_per_creative_budget_split(product: Any) -> None:
    orch = product["build"]()
    user = product["user_id"]
    conv = await new_conversation(orch, user, mode="auto")
    events = await turn(orch, user, conv, "Запусти A/B тест креативов «Белоснежная улыбка», «Улыбка за 2 визита» и "
                                          "«Виниры: до и после» на Виниры, $60 в день")
    approval = next(e for e in events if e["type"] == "approval_required")
    [step] = approval["plan"]["steps"]
    ad_sets = step["params"]["adSets"]
    assert [a["ads"][0]["name"] for a in ad_sets] == ["Белоснежная улыбка", "Улыбка за 2 визита",
                                                       "Виниры: до и после"]
    assert [a["dailyBudgetCents"] for a in ad_sets] == [2000, 2000, 2000]
    source = next(s for s in await product["meta"].list_ad_sets(account_id=ACCOUNT) if s.name == "СПб 22-40 женщины")
    assert all((a["ageMin"], a["ageMax"], a["genders"]) == (22, 40, [2]) for a in ad_sets)  # the direction's audience
    assert source.targeting is not None
    await _approve(orch, user, events)
    made = next(c for c in await product["meta"].list_campaigns(ACCOUNT) if c.name.startswith("A/B: Виниры"))
    assert made.status == "PAUSED" and len(await product["meta"].list_ad_sets(campaign_id=made.id)) == 3


async def test_a_copy_variant_goes_into_a_creative_plan(product: Any) -> None:
    from agent_brain.agents.creative.ads import upload_ad_image

    orch = product["build"]()
    user = product["user_id"]
    conv = await new_conversation(orch, user, mode="auto")
    ctx = await orch.context_for(user, conversation_id=conv)
    image = await upload_ad_image(ctx, b"\xff\xd8\xff\xe0" + bytes(range(200)), name="veneers.jpg")
    copy = await turn(orch, user, conv, "напиши 3 варианта текста для Виниры")
    variants = next(e for e in copy if e["type"] == "tool_result")["result"]["variants"]
    events = await turn(orch, user, conv, "Создай объявление из варианта 2 в адсете СПб 22-40 женщины, ссылка "
                                          "https://clinic.example/veneers")
    approval = next(e for e in events if e["type"] == "approval_required")
    [step] = approval["plan"]["steps"]
    assert step["action"] == "createCreativeAd"
    assert (step["params"]["primaryText"], step["params"]["headline"], step["params"]["imageHash"]) == \
        (variants[1]["primary_text"], variants[1]["headline"], image["hash"])
    missing = await turn(orch, user, conv, "Создай объявление из варианта 7 в адсете СПб 22-40 женщины, ссылка "
                                           "https://clinic.example/veneers")
    assert not any(e["type"] == "approval_required" for e in missing) and "варианта 7" in final_text(missing)
