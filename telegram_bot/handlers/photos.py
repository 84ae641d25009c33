"""A photo sent to the bot → an image in the ad account's library, the same path as the web upload.

The largest size Telegram offers is fetched (getFile, then `/file/bot<token>/<file_path>`) and handed to
`upload_ad_image` (write path: journalled, keyed on the content, verified by reading the library back).
A caption («объявление в адсете …: текст «…», заголовок «…», ссылка …») then runs as a chat turn that
knows the image's hash, so it ends in the same `createCreativeAd` plan as on the web; a photo without a
caption is acknowledged and the next message («создай объявление из загруженной картинки …») uses it.
"""

from __future__ import annotations

import html
import logging

from aiogram import Bot, F, Router
from aiogram.exceptions import TelegramBadRequest
from aiogram.types import Message

from agent_brain.agents.creative.ads import MAX_IMAGE_BYTES, upload_ad_image
from agent_brain.stores.users import UserRecord
from agent_brain.tools.registry import ToolError
from telegram_bot.deps import TelegramDeps
from telegram_bot.texts import Lang, t
from telegram_bot.turns import run_turn

log = logging.getLogger(__name__)


def caption_turn(caption: str, image_hash: str, lang: Lang) -> str:
    """The turn's text for a captioned photo: the user's caption, then which uploaded image it came with
    (the hash is ours, not third-party text, so it does not taint the turn)."""
    note = f"[фото → картинка {image_hash}]" if lang == "ru" else f"[photo → image {image_hash}]"
    return f"{caption.strip()}\n{note}"


def build_router() -> Router:
    router = Router(name="photos")

    @router.message(F.photo)
    async def photo(message: Message, bot: Bot, user: UserRecord, lang: Lang, deps: TelegramDeps) -> None:
        largest = max(message.photo or [], key=lambda p: (p.width * p.height, p.file_size or 0))
        if (largest.file_size or 0) > MAX_IMAGE_BYTES:
            await message.answer(t(lang, "photo_bad", reason=html.escape(t(lang, "photo_too_big"))))
            return
        try:
            content = (await bot.download(largest.file_id)).read()  # type: ignore[union-attr]
        except TelegramBadRequest as exc:
            log.warning("photo download failed: %s", exc.message)
            await message.answer(t(lang, "photo_bad", reason=html.escape(exc.message)))
            return
        conversation = await deps.runtime.conversations.get_or_create(
            user_id=user.id, source="telegram", telegram_chat_id=message.chat.id)
        ctx = await deps.runtime.orchestrator.context_for(user.id, language=lang, conversation_id=conversation.id)
        try:
            uploaded = await upload_ad_image(ctx, content, name=f"telegram-{largest.file_unique_id}.jpg")
        except ToolError as exc:
            await message.answer(t(lang, "photo_bad", reason=html.escape(exc.message)))
            return
        if message.caption and message.caption.strip():
            await run_turn(deps, bot, message.chat.id, user, caption_turn(message.caption, uploaded["hash"], lang),
                           lang, in_group=message.chat.type != "private")
            return
        await message.answer(t(lang, "photo_uploaded", hash=uploaded["hash"],
                               verified=t(lang, "photo_verified" if uploaded["verified"] else "photo_unverified")))

    return router
