"""Memory chat commands: parsing in Russian and English, non-commands, domains, replies."""

from __future__ import annotations

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from agent_brain.memory.commands import (
    USER_NOTE_IMPORTANCE,
    MemoryCommand,
    handle_memory_command,
    infer_domain,
    parse_memory_command,
)
from agent_brain.memory.notes import NotesStore
from agent_brain.stores.users import UserRecord


@pytest.mark.parametrize(("text", "body"), [
    ("Запомни: целевой CPL — $25", "целевой CPL — $25"),
    ("запомни, что бюджет на виниры не больше $40", "бюджет на виниры не больше $40"),
    ("Запомни что мы работаем до 20:00", "мы работаем до 20:00"),
    ("Запомните — клиника закрыта по воскресеньям", "клиника закрыта по воскресеньям"),
    ("Пожалуйста, запомни: «креатив с врачом лучше всех»", "креатив с врачом лучше всех"),
    ("запомни, пожалуйста: лиды из Алматы горячие", "лиды из Алматы горячие"),
    ("Remember: our target CPL is $25", "our target CPL is $25"),
    ("remember that we only work in Almaty", "we only work in Almaty"),
    ("Please remember: weekends are off", "weekends are off"),
    ("REMEMBER - budgets are per day", "budgets are per day"),
])
def test_remember_phrasings(text: str, body: str) -> None:
    cmd = parse_memory_command(text)
    assert cmd is not None
    assert (cmd.kind, cmd.text) == ("remember", body)


@pytest.mark.parametrize(("text", "query"), [
    ("Забудь: целевой CPL", "целевой CPL"),
    ("Забудь про бюджет на виниры", "бюджет на виниры"),
    ("забудь о бюджете", "бюджете"),
    ("забудь о том, что мы закрыты по воскресеньям", "мы закрыты по воскресеньям"),
    ("забудь, что клиника работает до 20:00", "клиника работает до 20:00"),
    ("Forget: target CPL", "target CPL"),
    ("forget about the Almaty leads", "the Almaty leads"),
    ("Please forget that weekends are off", "weekends are off"),
])
def test_forget_phrasings(text: str, query: str) -> None:
    assert parse_memory_command(text) == MemoryCommand("forget", query)


@pytest.mark.parametrize("text", [
    "Что ты помнишь?", "что помнишь", "Что ты запомнил обо мне?", "А что ты помнишь?",
    "покажи заметки", "Покажи мои заметки!", "мои заметки",
    "What do you remember?", "what do you remember about me", "show my notes", "Show notes.", "list notes",
])
def test_list_phrasings(text: str) -> None:
    assert parse_memory_command(text) == MemoryCommand("list")


@pytest.mark.parametrize("text", [
    "запомни меня",  # no separator: not a note
    "Запомни это",
    "запомни что-нибудь",
    "Запомнила?",
    "Ты запомнил: бюджет $50?",  # the verb must start the message
    "Как думаешь, запомни: это важно?",
    "remember me",
    "Remember when we launched the campaign?",
    "remember that campaign we paused?",  # a question, not a command
    "Do you remember: the budget?",
    "забудь об этом",  # conversational "never mind"
    "Забудь про это",
    "forget it",
    "forget about it",
    "забудь меня",
    "Что ты помнишь про кампанию «Виниры»?",  # a question about data, for the agents
    "покажи кампании",
    "Покажи расходы за неделю",
    "",
    "   ",
])
def test_non_commands_are_left_to_the_agents(text: str) -> None:
    assert parse_memory_command(text) is None


def test_empty_bodies_are_commands_that_ask_for_more() -> None:
    assert parse_memory_command("Запомни:") == MemoryCommand("remember", "", None)
    assert parse_memory_command("Forget:") == MemoryCommand("forget", "")


@pytest.mark.parametrize(("text", "domain"), [
    ("бюджет кампании не больше $50", "ads"),
    ("целевой CPL $25", "ads"),
    ("креатив с врачом в кадре работает лучше", "creative"),
    ("креатив с CPL $5 — лучший", "creative"),  # tie: the specific domain wins
    ("лиды теряются на этапе консультации", "crm"),
    ("воронка: после записи звоним", "crm"),
    ("в диалогах часто спрашивают про рассрочку", "whatsapp"),
    ("Reply in WhatsApp within 5 minutes", "whatsapp"),
    ("our campaign budget is $50 a day", "ads"),
    ("клиника работает без выходных", "general"),
])
def test_domain_inference(text: str, domain: str) -> None:
    assert infer_domain(text) == domain
    cmd = parse_memory_command(f"Запомни: {text}")
    assert cmd is not None and cmd.domain == domain


# ── replies ─────────────────────────────────────────────────────────────────────────────────


async def run(notes: NotesStore, user: UserRecord, text: str, language: str = "ru") -> str:
    cmd = parse_memory_command(text)
    assert cmd is not None, text
    return await handle_memory_command(cmd, notes, user.id, None, language)


async def test_remember_forget_list_in_russian(engine: AsyncEngine, user: UserRecord) -> None:
    notes = NotesStore(engine)
    assert (await run(notes, user, "Что ты помнишь?")).startswith("Пока ничего не помню")
    assert await run(notes, user, "Запомни: бюджет кампании не больше $50") == (
        "Запомнил (Реклама): «бюджет кампании не больше $50»")
    await run(notes, user, "запомни, что лиды из Алматы горячие")
    await notes.add(user.id, None, "creative", "Топ-креатив: «Улыбка»", importance=0.6)
    [ads] = await notes.list(user.id, None, "ads")
    assert (ads.source, ads.importance) == ("user", USER_NOTE_IMPORTANCE)
    assert await run(notes, user, "что помнишь") == (
        "Вот что я помню:\n\n"
        "Реклама:\n1. бюджет кампании не больше $50\n\n"
        "Креативы:\n2. Топ-креатив: «Улыбка»\n\n"
        "CRM и лиды:\n3. лиды из Алматы горячие"
    )
    assert await run(notes, user, "Забудь про бюджет кампании") == "Забыл (1):\n- бюджет кампании не больше $50"
    assert await run(notes, user, "Забудь: котики") == (
        "Не нашёл заметок по запросу «котики». Посмотреть все: «Что ты помнишь?»")
    assert len(await notes.list(user.id, None)) == 2


async def test_replies_in_english(engine: AsyncEngine, user: UserRecord) -> None:
    notes = NotesStore(engine)
    assert await run(notes, user, "Remember: our creatives must show the doctor", "en") == (
        "Noted (Creatives): “our creatives must show the doctor”")
    assert await run(notes, user, "What do you remember?", "en") == (
        "Here is what I remember:\n\nCreatives:\n1. our creatives must show the doctor")
    assert await run(notes, user, "forget about the doctor", "en") == (
        "Forgotten (1):\n- our creatives must show the doctor")
    assert (await run(notes, user, "Forget: kittens", "en")).startswith("Nothing matched “kittens”")
    assert (await run(notes, user, "show my notes", "en")).startswith("I don't remember anything yet")


async def test_vague_or_empty_commands_change_nothing(engine: AsyncEngine, user: UserRecord) -> None:
    notes = NotesStore(engine)
    await notes.add(user.id, None, "general", "все филиалы работают без выходных")
    assert (await run(notes, user, "Запомни:")).startswith("Что запомнить?")
    assert (await run(notes, user, "Забудь всё")).startswith("Я удаляю заметки только по совпадению")
    assert (await run(notes, user, "Forget: everything", "en")).startswith("I only delete notes")
    assert (await run(notes, user, "Забудь: да")).startswith("Что забыть?")
    assert (await run(notes, user, "Запомни: " + "очень " * 100)).startswith("Слишком длинная заметка")
    assert len(await notes.list(user.id, None)) == 1
