"""Issue 16, Telegram photo → creative: the bot fetches the photo the Bot API way (getFile, then
/file/bot<token>/<file_path>), puts it into the ad library through the write path (as the web upload does),
and a caption — or the next message — ends in the same createCreativeAd plan, which creates the ad paused."""

from __future__ import annotations

import hashlib

import httpx
import pytest
from aiogram.exceptions import TelegramBadRequest
from sqlalchemy import text
from tg_support import DEMO_CHAT, Telegram

from telegram_bot import approvals
from telegram_bot.standin import photo_update

JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + bytes(range(200))


async def _send_photo(tg: Telegram, data: bytes, caption: str | None = None, language_code: str = "ru") -> None:
    file_id = tg.standin.add_file(data)
    update_id = tg.standin.push_update(photo_update(DEMO_CHAT, file_id, caption=caption, size=len(data),
                                                    language_code=language_code))
    await tg.processed(update_id)


async def _uploads(tg: Telegram) -> list[tuple[str, str]]:
    async with tg.engine.connect() as conn:
        rows = (await conn.execute(text("SELECT target_id, status FROM ai_actions WHERE tool = 'uploadAdImage' "
                                        "ORDER BY created_at"))).all()
    return [tuple(r) for r in rows]


async def test_captioned_photo_becomes_a_creative_ad_plan_and_runs(tg: Telegram) -> None:
    await tg.link(DEMO_CHAT)
    writes = tg.writes
    caption = ("Объявление в адсете Москва 25-45: текст «Имплантация за 1 день без боли», заголовок «Имплант за 1 "
               "день», ссылка https://clinic.example/implant, кнопка «Записаться»")
    await _send_photo(tg, JPEG, caption)
    digest = hashlib.md5(JPEG).hexdigest()  # noqa: S324 - Graph's image hash
    [get_file] = tg.standin.calls_of("getFile")
    assert not get_file.params["file_id"].endswith("_s")  # the largest size, not the thumbnail
    assert len(tg.standin.downloads) == 1 and tg.standin.downloads[0].startswith("photos/")
    assert await _uploads(tg) == [(digest, "verified")]
    assert tg.writes == writes + 1  # the upload only; the ad waits for approval
    async with tg.engine.connect() as conn:
        plan = (await conn.execute(text("SELECT id, plan_json -> 'steps' AS steps FROM ai_pending_plans WHERE status = 'pending'"))).one()
    [step] = plan.steps
    assert step["action"] == "createCreativeAd"
    params = step["params"]
    assert (params["imageHash"], params["headline"], params["callToAction"], params["link"]) == \
        (digest, "Имплант за 1 день", "SIGN_UP", "https://clinic.example/implant")
    card = tg.standin.chat_messages(DEMO_CHAT)[-1]
    assert card.reply_markup is not None  # ✅ / ❌
    approve = approvals.callback_data("a", plan.id)
    assert approve in [b["callback_data"] for row in card.reply_markup["inline_keyboard"] for b in row]
    await tg.press(DEMO_CHAT, card.message_id, approve)
    await tg.runtime.orchestrator.wait_idle()
    async with tg.engine.connect() as conn:
        action = (await conn.execute(text("SELECT status, response FROM ai_actions WHERE tool = 'createCreativeAd'"))
                  ).one()
    assert action.status == "verified"
    ad = await tg.runtime.meta.client.get(action.response["ad_id"], {"fields": "status,creative"})
    assert ad["status"] == "PAUSED"


async def test_photo_then_a_message_uses_the_latest_upload(tg: Telegram) -> None:
    await tg.link(DEMO_CHAT)
    await _send_photo(tg, JPEG + b"second", language_code="en")
    digest = hashlib.md5(JPEG + b"second").hexdigest()  # noqa: S324
    assert digest in tg.last_reply(DEMO_CHAT) and "library" in tg.last_reply(DEMO_CHAT)
    await tg.say(DEMO_CHAT, "Create an ad from the uploaded image in the ad set Москва 18-35 with text «Whiter teeth "
                            "in one hour», headline «ZOOM whitening» and link https://clinic.example/zoom",
                 language_code="en")
    async with tg.engine.connect() as conn:
        plan = (await conn.execute(text("SELECT plan_json -> 'steps' AS steps FROM ai_pending_plans WHERE status = 'pending'"))).one()
    assert plan.steps[0]["action"] == "createCreativeAd" and plan.steps[0]["params"]["imageHash"] == digest


async def test_not_an_image_is_refused_and_nothing_is_written(tg: Telegram) -> None:
    await tg.link(DEMO_CHAT)
    writes = tg.writes
    await _send_photo(tg, b"GIF89a not an image we take", "объявление в адсете Москва 25-45")
    assert "не загрузил" in tg.last_reply(DEMO_CHAT)
    assert tg.writes == writes and await _uploads(tg) == []
    async with tg.engine.connect() as conn:
        assert (await conn.execute(text("SELECT count(*) FROM ai_pending_plans"))).scalar() == 0


async def test_standin_serves_files_as_the_bot_api_does(tg: Telegram) -> None:
    file_id = tg.standin.add_file(JPEG)
    got = await tg.bot.get_file(file_id)
    assert got.file_path and got.file_size == len(JPEG)
    assert (await tg.bot.download_file(got.file_path)).read() == JPEG  # type: ignore[union-attr]
    bad = tg.standin.base_url + "/file/botWRONG/" + got.file_path
    async with httpx.AsyncClient() as client:
        assert (await client.get(bad)).status_code == 401
    with pytest.raises(TelegramBadRequest, match="invalid file_id"):
        await tg.bot.get_file("AgACunknown")
