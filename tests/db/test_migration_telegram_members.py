"""0006: chats linked before people were recorded keep working in private, and nobody owns a group."""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from agent_brain.db import migrate


async def test_linked_private_chats_get_their_person_as_owner(engine: AsyncEngine) -> None:
    await migrate.downgrade(engine, "0005")
    async with engine.begin() as conn:
        await conn.execute(text("INSERT INTO users (name, telegram_chat_id) VALUES "
                                "('private-linked', 424242), ('group-linked', -100777), ('unlinked', NULL)"))
    await migrate.upgrade(engine)
    async with engine.connect() as conn:
        rows = (await conn.execute(text(
            "SELECT chat_id, telegram_user_id, role FROM telegram_chat_members ORDER BY chat_id"))).all()
    assert [tuple(r) for r in rows] == [(424242, 424242, "owner")]
