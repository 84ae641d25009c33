"""`agent-brain export-user` / `delete-user` on the demo world, next to another user who must not be touched."""

from __future__ import annotations

import json

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from agent_brain.db.models import Base
from agent_brain.security import TokenCipher
from agent_brain.stores.unified import UnifiedStore
from agent_brain.stores.users import UserStore
from agent_brain.stores.web_sessions import WebSessionStore

PLATFORM_TOKEN = "EAAB-demo-user-platform-secret-token"


async def _user_counts(engine: AsyncEngine, user: str) -> dict[str, int]:
    """Rows per table carrying this user's id (the tables that have a user_id column)."""
    counts = {}
    async with engine.connect() as conn:
        for table in Base.metadata.sorted_tables:
            if "user_id" in table.c:
                counts[table.name] = (await conn.execute(text(
                    f"SELECT count(*) FROM {table.name} t JOIN users u ON u.id = t.user_id WHERE u.name = :n"),
                    {"n": user})).scalar_one()
    return counts


async def _prepare(engine: AsyncEngine, key: str) -> tuple[str, str]:
    users = UserStore(engine)
    demo = await users.get_by_name("demo")
    assert demo is not None
    api_token = await users.issue_token(demo.id, label="export-test")
    await WebSessionStore(engine).open_session(demo.id, user_agent="Firefox")
    await users.upsert_ad_account(demo.id, external_id="act_555", name="Second account",
                                  access_token=PLATFORM_TOKEN, cipher=TokenCipher(key.encode()))
    store = UnifiedStore(engine)
    conv = await store.get_or_create(user_id=demo.id, source="web")
    async with engine.begin() as conn:
        await conn.execute(text("INSERT INTO ai_messages (conversation_id, role, content) VALUES "
                                "(:c, 'user', 'покажи расходы'), (:c, 'assistant', 'Расходы: …')"), {"c": conv.id})
    other, other_token = await users.create_user("other")
    await store.get_or_create(user_id=other.id, source="web")
    return api_token, other_token


async def test_export_user_holds_every_row_of_the_user_and_no_secret(demo_cli, demo_engine: AsyncEngine,  # type: ignore[no-untyped-def]
                                                                     encryption_key: str, tmp_path) -> None:
    api_token, _ = await _prepare(demo_engine, encryption_key)
    out = tmp_path / "demo.json"
    done = await demo_cli("export-user", "demo", "-o", str(out))
    assert done.code == 0, done.err
    raw = out.read_text()
    document = json.loads(raw)
    assert document["user"]["name"] == "demo"
    counts = await _user_counts(demo_engine, "demo")
    for table, n in counts.items():
        if table != "users" and n:
            assert len(document["tables"][table]) == n, table
    # Rows reached through a parent, not by user_id: messages of the user's conversations.
    assert [m["content"] for m in document["tables"]["ai_messages"]] == ["покажи расходы", "Расходы: …"]
    assert document["tables"]["creative_metrics_history"]  # through the user's creatives
    assert all(c["user_id"] == document["user"]["id"] for c in document["tables"]["ai_conversations"])
    for secret in (api_token, PLATFORM_TOKEN):
        assert secret not in raw
    assert "access_token_encrypted" not in raw
    assert all(t["token_hash"].startswith("sha256:") and len(t["token_hash"]) == 19
               for t in document["tables"]["api_tokens"])
    assert (await demo_cli("export-user", "nobody")).code == 1


async def test_delete_user_needs_yes_then_removes_everything_of_theirs_only(demo_cli, demo_engine: AsyncEngine,  # type: ignore[no-untyped-def]
                                                                            encryption_key: str) -> None:
    _, other_token = await _prepare(demo_engine, encryption_key)
    before = await _user_counts(demo_engine, "demo")
    other_before = await _user_counts(demo_engine, "other")
    async with demo_engine.connect() as conn:
        sandbox_before = (await conn.execute(text("SELECT count(*) FROM sandbox_objects"))).scalar_one()

    dry = await demo_cli("delete-user", "demo")
    assert dry.code == 1 and "nothing deleted" in dry.err and f"leads {before['leads']}" in dry.err
    assert await _user_counts(demo_engine, "demo") == before

    done = await demo_cli("delete-user", "demo", "--yes")
    assert done.code == 0, done.err
    assert "platform tokens wiped" in done.out
    async with demo_engine.connect() as conn:
        assert (await conn.execute(text("SELECT count(*) FROM users WHERE name = 'demo'"))).scalar_one() == 0
        orphans = {}
        for table in Base.metadata.sorted_tables:
            if "user_id" in table.c:
                orphans[table.name] = (await conn.execute(text(
                    f"SELECT count(*) FROM {table.name} WHERE user_id IS NULL OR user_id NOT IN "
                    f"(SELECT id FROM users)"))).scalar_one()
        tokens = (await conn.execute(text("SELECT count(*) FROM ad_accounts WHERE access_token_encrypted IS NOT NULL"
                                          ))).scalar_one()
        messages = (await conn.execute(text("SELECT count(*) FROM ai_messages"))).scalar_one()
        sandbox_after = (await conn.execute(text("SELECT count(*) FROM sandbox_objects"))).scalar_one()
    assert not any(orphans.values()), orphans  # nothing of theirs left behind, not even with user_id set NULL
    assert tokens == 0 and messages == 0
    assert await _user_counts(demo_engine, "other") == other_before  # the other user is untouched
    assert await UserStore(demo_engine).user_for_token(other_token) is not None
    assert sandbox_after == sandbox_before  # the platform's own objects are not the user's rows
    assert (await demo_cli("delete-user", "demo", "--yes")).code == 1
