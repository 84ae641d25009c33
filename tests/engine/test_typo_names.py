"""A typo in the first letters of a name (issue 14): still found without reading every name, and never a
write to another object than the one the user named — a close call between two is a question."""

from __future__ import annotations

from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine
from turns import final_text, issue_11_people, new_conversation, turn

from agent_brain.orchestrator.entity_search import typo_keys

TWINS = ("Алина Трофимчук", "Галина Трофимчук")  # one letter apart, in the first three


async def _stages(engine: AsyncEngine, names: tuple[str, ...]) -> dict[str, str]:
    async with engine.connect() as conn:
        return dict((await conn.execute(text(
            "SELECT l.name, s.name FROM leads l JOIN funnel_stages s ON s.id = l.stage_id WHERE l.name = ANY(:n)"),
            {"n": list(names)})).all())


async def _make_old(engine: AsyncEngine, names: tuple[str, ...]) -> None:
    """Not among the latest leads the resolver offers as examples: found by name or not at all."""
    async with engine.begin() as conn:
        await conn.execute(text("UPDATE leads SET created_at = created_at - interval '3650 days' WHERE name = ANY(:n)"),
                           {"n": list(names)})


async def _add_leads(engine: AsyncEngine, names: tuple[str, ...]) -> None:
    async with engine.begin() as conn:
        for i, name in enumerate(names):
            await conn.execute(text(
                "INSERT INTO leads (user_id, ad_account_id, name, phone, stage_id, direction_id) "
                "SELECT u.id, a.id, :n, :p, s.id, NULL FROM users u JOIN ad_accounts a ON a.user_id = u.id "
                "JOIN funnel_stages s ON s.user_id = u.id AND s.position = (SELECT min(position) "
                "FROM funnel_stages WHERE user_id = u.id) WHERE u.name = 'demo' LIMIT 1"),
                {"n": name, "p": f"+7999000112{i}"})
    await _make_old(engine, names)


def _executed(events: list[dict[str, Any]]) -> list[str]:
    return [e["tool"] for e in events if e["type"] == "tool_result" and e.get("ok", True)]


async def test_typo_keys_in_python_and_sql_agree_on_one_edit_in_the_first_letters(demo_engine: AsyncEngine) -> None:
    """One substitution, insertion, deletion or swap within the first three letters shares a key; two
    substitutions there do not."""
    cases = [("Smith", "Snith", True), ("Smith", "Msith", True), ("Smith", "Smmith", True), ("Smith", "Snoth", False),
             ("Виниры", "Вениры", True), ("Виниры", "Вниры", True), ("Виниры", "Ивниры", True),
             ("Виниры", "Бениры", False), ("Брекеты", "Брикеты", True)]
    async with demo_engine.connect() as conn:
        for name, typo, found in cases:
            query = " | ".join(typo_keys(typo.lower()))
            hit = (await conn.execute(text("SELECT entity_name_typo_keys(:n) @@ to_tsquery('simple', :q)"),
                                      {"n": name, "q": query})).scalar_one()
            assert hit is found, (name, typo)


async def test_a_typo_in_the_first_letters_still_finds_the_campaign(product) -> None:  # type: ignore[no-untyped-def]
    orch = product["build"]()
    user = product["user_id"]
    conv = await new_conversation(orch, user, "plan")
    events = await turn(orch, user, conv, "Поставь на паузу кампанию Вениры СПб")
    [step] = next(e for e in events if e["type"] == "approval_required")["plan"]["steps"]
    assert step["action"] == "pauseCampaign" and "«Виниры СПб»" in step["description"]
    assert "не называли" not in step["description"]  # the typo still names it (grounded)
    campaigns = {c.name: c for c in await product["meta"].list_campaigns(await _account(product["engine"]))}
    assert step["params"]["campaignId"] == campaigns["Виниры СПб"].id
    assert campaigns["Виниры СПб"].status == "ACTIVE"  # planned, not run


async def _account(engine: AsyncEngine) -> str:
    async with engine.connect() as conn:
        return (await conn.execute(text(
            "SELECT a.external_id FROM ad_accounts a JOIN users u ON u.id = a.user_id "
            "WHERE u.name = 'demo' AND a.platform = 'meta' LIMIT 1"))).scalar_one()


async def test_a_typo_in_the_first_letters_of_every_word_still_finds_the_lead(product) -> None:  # type: ignore[no-untyped-def]
    """No word of «Ноталья Стопанова» starts like «Наталья Степанова»: only the typo keys find her."""
    await issue_11_people(product["engine"])  # one «Наталья Степанова» whatever the day
    await _make_old(product["engine"], ("Наталья Степанова",))
    orch = product["build"]()
    user = product["user_id"]
    conv = await new_conversation(orch, user, "auto")
    events = await turn(orch, user, conv, "Переведи лида Ноталья Стопанова на этап Консультация")
    assert _executed(events) == ["updateLeadStage"], final_text(events)
    assert set((await _stages(product["engine"], ("Наталья Степанова",))).values()) == {"Консультация"}


async def test_a_typo_never_moves_the_other_of_two_names_one_letter_apart(product) -> None:  # type: ignore[no-untyped-def]
    await _add_leads(product["engine"], TWINS)
    orch = product["build"]()
    user = product["user_id"]
    before = await _stages(product["engine"], TWINS)
    # Named exactly: that one moves, its one-letter neighbour does not.
    conv = await new_conversation(orch, user, "auto")
    events = await turn(orch, user, conv, "Переведи лида Алина Трофимчук на этап Консультация")
    assert _executed(events) == ["updateLeadStage"], final_text(events)
    after = await _stages(product["engine"], TWINS)
    assert after["Алина Трофимчук"] == "Консультация" and after["Галина Трофимчук"] == before["Галина Трофимчук"]
    # A typo as close to both: no write, a question offering both.
    conv = await new_conversation(orch, user, "auto")
    events = await turn(orch, user, conv, "Переведи лида Малина Трофимчук на этап Записана")
    assert _executed(events) == [] and not any(e["type"] == "approval_required" for e in events)
    reply = final_text(events)
    assert "Алина Трофимчук" in reply and "Галина Трофимчук" in reply
    assert await _stages(product["engine"], TWINS) == after
