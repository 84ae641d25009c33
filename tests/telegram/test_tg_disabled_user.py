"""A user disabled by the operator (`agent-brain users disable`) gets nothing from the bot: their
linked chat reads as unlinked, and a fresh code of theirs links nothing; enabling them restores the chat."""

from __future__ import annotations

from tg_support import Telegram, new_chat

from agent_brain.admin.users import set_disabled


async def test_a_disabled_users_chat_gets_no_data_until_enabled(tg: Telegram) -> None:
    user = await tg.demo_user()
    code, _ = await tg.links.codes.issue(user.id)
    chat = new_chat()
    await tg.say(chat, f"/start {code}")
    assert "Чат привязан к аккаунту demo" in tg.last_reply(chat)

    assert await set_disabled(tg.engine, "demo", disabled=True) is True
    for message in ("Покажи расходы за неделю", "/status"):
        await tg.say(chat, message)
        assert "не привязан" in tg.last_reply(chat)
    assert not any("$" in r for r in tg.replies(chat))
    fresh, _ = await tg.links.codes.issue(user.id)
    other = new_chat()
    await tg.say(other, f"/start {fresh}")
    assert "Код не подошёл" in tg.last_reply(other)

    assert await set_disabled(tg.engine, "demo", disabled=False) is True
    await tg.say(chat, "/status")
    assert "не привязан" not in tg.last_reply(chat)
