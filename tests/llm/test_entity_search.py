"""The database resolver's candidate set (issue 14): indexed lookups of what a message names, bounded,
and never missing an object the offline parser would resolve from the full lists.

Every labelled case of the offline model (tests/llm/offline_cases.py) is run through both: the
parser's own matching over every object of the demo world (what it resolved before), and the
candidates `TurnEntityResolver` loads from the demo database for that message. Each object the
first finds — fully named, the partly named one it would pick, by phone — must be among the second;
of equally good partial matches (the parser asks which) at least two, so it still asks.
"""

from __future__ import annotations

import re

import httpx
from offline_cases import BLIND, BLIND_2, BLIND_3, CASES, WAVE2
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncEngine

from agent_brain.db.models import User
from agent_brain.llm.base import Entity
from agent_brain.llm.offline.resolve import find_mentions, partial_candidates, pick
from agent_brain.llm.offline.text import normalise, tokens
from agent_brain.orchestrator.entity_search import PER_KIND, PREFIX, SAMPLE, TYPO_MIN, typo_keys
from agent_brain.orchestrator.resolver import DB_KINDS, TurnEntityResolver
from agent_brain.platforms.graph.breaker import BreakerRegistry
from agent_brain.platforms.graph.client import GraphClient
from agent_brain.platforms.meta.adapter import MetaAdapter
from agent_brain.platforms.sandbox.app import create_sandbox_app
from agent_brain.platforms.write_safety import IdempotentExecutor, WriteGuard
from agent_brain.tools.context import ToolContext


async def _context(engine: AsyncEngine, client: GraphClient) -> ToolContext:
    async with engine.connect() as conn:
        user_id = (await conn.execute(select(User.id).where(User.name == "demo"))).scalar_one()
    return ToolContext(user_id=user_id, engine=engine, meta=MetaAdapter(client),
                       writes=WriteGuard(IdempotentExecutor(engine)))


def _client(engine: AsyncEngine) -> GraphClient:
    return GraphClient("t", transport=httpx.ASGITransport(app=create_sandbox_app(engine)),
                       breaker=BreakerRegistry().get("meta"))


_PHONE = re.compile(r"\+?\d[\d\s()\-]{5,18}\d")


def _digits(s: str) -> str:
    return re.sub(r"\D", "", s)


async def _everything(engine: AsyncEngine) -> dict[str, list[Entity]]:
    """Every object of the demo user, as the resolver used to load them (the reference)."""
    queries = {"direction": "SELECT id::text, name, NULL FROM directions",
               "creative": "SELECT id::text, title, NULL FROM creatives",
               "lead": "SELECT id::text, name, phone FROM leads",
               "dialog": "SELECT phone, contact_name, NULL FROM whatsapp_dialogs",
               "test": "SELECT t.id::text, c.title, NULL FROM creative_tests t JOIN creatives c ON c.id = t.creative_id"}
    out: dict[str, list[Entity]] = {}
    async with engine.connect() as conn:
        for kind, sql in queries.items():
            out[kind] = [Entity(kind, i, n or i, {"phone": p} if p else {}) for i, n, p in (await conn.execute(text(sql)))]
    return out


def _reachable(entity: Entity, low: str) -> bool:
    """A name the lookup promises to find: one of its words starts like a word of the message (the
    first three letters), or is one typo away from one within them ("Брикеты": the typo keys)."""
    words = [t.text for t in tokens(low)]
    names = [t.text for t in tokens(normalise(entity.name))]
    if any(n[:PREFIX] in {w[:PREFIX] for w in words} for n in names):
        return True
    keys = {k for w in words if len(w) >= TYPO_MIN and w.isalpha() for k in typo_keys(w)}
    return any(keys & set(typo_keys(n)) for n in names if len(n) >= TYPO_MIN)


async def test_candidates_hold_every_object_the_parser_resolves_from_the_full_lists(demo_engine: AsyncEngine) -> None:
    world = await _everything(demo_engine)
    async with _client(demo_engine) as client:
        ctx = await _context(demo_engine, client)
        misses, checked = [], 0
        for case in CASES + BLIND + BLIND_2 + BLIND_3 + WAVE2:
            # Phones are values, never name words (the parser masks them before matching names).
            low = _PHONE.sub(lambda m: " " * len(m.group()), normalise(case.message))
            wanted = {(m.kind, e.name) for m in find_mentions(low, world) for e in m.entities}
            ties = []
            for kind, items in world.items():
                winner, tied = pick(partial_candidates(low, items))
                if winner is not None and _reachable(winner, low):  # partly named ("кампанию Москва"): picked
                    wanted.add((kind, winner.name))
                elif tied:  # equally good ones: enough of them to still ask which
                    ties.append({(kind, e.name) for e in tied if _reachable(e, low)})
            phones = {_digits(p) for p in _PHONE.findall(case.message)}
            wanted |= {(e.kind, e.name) for kind in ("lead", "dialog") for e in world[kind]
                       if _digits(str(e.extra.get("phone") or (e.id if kind == "dialog" else ""))) in phones}
            resolver = TurnEntityResolver(ctx)
            await resolver.narrow(texts=[case.message])
            got = {(kind, e.name) for kind in DB_KINDS for e in await resolver.entities(kind)}
            checked += len(wanted)
            short = [sorted(t) for t in ties if len(t & got) < min(2, len(t))]
            if wanted - got or short:
                misses.append((case.message, sorted(wanted - got), short))
    assert checked > 100  # the cases do name many objects
    assert not misses, "\n".join(map(repr, misses))


async def test_candidates_stay_bounded_and_keep_the_exact_name_among_many_namesakes(demo_engine: AsyncEngine) -> None:
    async with demo_engine.begin() as conn:
        name = (await conn.execute(text("SELECT name FROM leads ORDER BY name LIMIT 1"))).scalar_one()
        await conn.execute(text(
            "INSERT INTO leads (user_id, ad_account_id, name, phone, stage_id, direction_id) "
            "SELECT user_id, ad_account_id, name || ' ' || g, phone, stage_id, direction_id "
            "FROM leads l CROSS JOIN generate_series(1, 300) g WHERE l.name = :name"), {"name": name})
        await conn.execute(text("ANALYZE leads"))
    first, surname = name.split()[:2]
    async with _client(demo_engine) as client:
        resolver = TurnEntityResolver(await _context(demo_engine, client))
        await resolver.narrow(texts=[f"Покажи карточку лида {first} {surname}"])
        leads = await resolver.entities("lead")
    assert name in {e.name for e in leads}
    assert len(leads) <= SAMPLE + PER_KIND < 300


def _typo(word: str) -> str:
    """The word with its second letter changed: a typo within the head the GIN lookup used to need."""
    other = ("о" if word[1] != "о" else "а") if re.match(r"[а-я]", word[1]) else ("o" if word[1] != "o" else "a")
    return word[0] + other + word[2:]


async def test_a_typo_in_the_first_letters_finds_the_lead_the_creative_and_the_dialog(demo_engine: AsyncEngine) -> None:
    """Each named only by one word with a typo in its first three letters, so no word head of the message
    matches: found through the typo keys (migration 0017), not as one of the resolver's latest examples."""
    words = {"lead": ("лида", "SELECT id::text, name FROM leads"),
             "creative": ("креатив", "SELECT id::text, title FROM creatives"),
             "dialog": ("диалог с", "SELECT phone, contact_name FROM whatsapp_dialogs WHERE phone IS NOT NULL")}
    async with _client(demo_engine) as client:
        ctx = await _context(demo_engine, client)
        control = TurnEntityResolver(ctx)
        await control.narrow(texts=["покажи"])
        for kind, (noun, sql) in words.items():
            shown = {e.id for e in await control.entities(kind)}
            async with demo_engine.connect() as conn:
                rows = (await conn.execute(text(sql))).all()
            ident, word = next((i, w) for i, name in rows if i not in shown
                               for w in re.findall(r"\w+", normalise(name)) if len(w) >= 6 and w.isalpha())
            resolver = TurnEntityResolver(ctx)
            await resolver.narrow(texts=[f"покажи {noun} {_typo(word)}"])
            assert ident in {e.id for e in await resolver.entities(kind)}, (kind, word, _typo(word))
