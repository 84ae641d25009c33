"""A local Bot API stand-in for tests and benchmarks (aiohttp, loopback only).

Serves the methods the bot uses, as the real Bot API answers them (multipart requests, JSON
`{"ok": …}` replies, 400s for an unchanged edit, over-long text or bad HTML, 429 with
`parameters.retry_after`), keeps the chats' messages, and records every call with a timestamp.
The real aiogram Bot talks to it through `TelegramAPIServer.from_base(standin.base_url)`.

Flood control: `fail_next` injects 429s on demand; a per-chat token bucket (`ChatLimit`, about
one message per second with short bursts) can be enforced, and every call that exceeds it — or
arrives before a previous 429's retry_after has elapsed — is counted as a violation.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import math
import re
import time
import uuid
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from html.parser import HTMLParser
from typing import Any

from aiohttp import web

MAX_DOWNLOAD_BYTES = 20 * 1024 * 1024  # getFile: "bots can download files of up to 20MB in size"
BOT_USER = {"id": 7000001, "is_bot": True, "first_name": "agent-brain", "username": "agent_brain_test_bot"}
# Calls that put or change a message in a chat: these share the per-chat flood budget.
MESSAGE_METHODS = frozenset({"sendMessage", "editMessageText", "sendPhoto", "sendDocument", "deleteMessage",
                             "editMessageReplyMarkup", "editMessageCaption"})
_ALLOWED_TAGS = frozenset({"b", "strong", "i", "em", "u", "ins", "s", "strike", "del", "code", "pre", "a",
                           "tg-spoiler", "span", "blockquote", "tg-emoji"})


@dataclass
class Call:
    method: str
    params: dict[str, Any]
    at: float  # time.monotonic() on arrival
    status: int = 200

    @property
    def chat_id(self) -> int | None:
        value = self.params.get("chat_id")
        return int(value) if value is not None else None


@dataclass
class StoredMessage:
    chat_id: int
    message_id: int
    text: str | None = None  # as sent (HTML source)
    reply_markup: dict[str, Any] | None = None
    caption: str | None = None
    photo: bytes | None = None
    document: bytes | None = None
    deleted: bool = False


@dataclass
class ChatLimit:
    per_second: float = 1.0
    burst: float = 3.0
    tolerance: float = 0.05  # clock jitter between client and server
    min_gap: float = 1.0  # the docs' guideline: about one message per second in a chat
    group_per_minute: int = 20  # in a group
    bot_per_second: int = 30  # over all chats


@dataclass
class _Bucket:
    tokens: float
    at: float
    blocked_until: float = 0.0


@dataclass
class _Failure:
    method: str
    retry_after: int
    chat_id: int | None
    count: int


class _Parse(HTMLParser):
    """Telegram's HTML check: only its tags, properly nested."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.error: str | None = None
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in _ALLOWED_TAGS:
            self.error = self.error or f"Unsupported start tag \"{tag}\""
        self.stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if not self.stack or self.stack.pop() != tag:
            self.error = self.error or f"Unmatched end tag \"{tag}\""

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def visible_text(source: str) -> str:
    """What a Telegram user sees of an HTML message."""
    parser = _Parse()
    parser.feed(source)
    parser.close()
    return "".join(parser.text)


def _utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


class BotAPIStandIn:
    def __init__(self, *, token: str = "123456:TEST-TOKEN", limit: ChatLimit | None = None,
                 enforce_limit: bool = False) -> None:
        self.token = token
        self.limit = limit or ChatLimit()
        self.enforce_limit = enforce_limit
        self.calls: list[Call] = []
        self.messages: dict[tuple[int, int], StoredMessage] = {}
        self.violations = 0
        # Message calls in a chat less than `limit.min_gap` after the previous one (Telegram's
        # "about one message per second per chat"); counted whether or not the limit is enforced.
        self.gap_violations = 0
        self._last_message_at: dict[int, float] = {}
        # Over ~20 message calls in a minute in one group, or ~30 in a second over all chats.
        self.group_violations = 0
        self.bot_violations = 0
        self._recent: list[tuple[float, int]] = []  # (at, chat_id) of message calls, last minute
        self.rate_limited = 0  # 429s answered
        self._updates: list[dict[str, Any]] = []
        self.webhook: dict[str, Any] | None = None  # what setWebhook registered
        self._next_update_id = 1
        self._next_message_id: dict[int, int] = defaultdict(lambda: 100)
        self._buckets: dict[int, _Bucket] = {}
        self._failures: list[_Failure] = []
        self._changed = asyncio.Condition()
        self._closed = False
        self._runner: web.AppRunner | None = None
        self.base_url = ""
        # Files the bot can fetch: file_id → (file_path, bytes); photos users sent (`add_file`) and
        # what the bot itself sent (sendPhoto/sendDocument), as in Telegram.
        self.files: dict[str, tuple[str, bytes]] = {}
        self.downloads: list[str] = []  # file paths fetched through /file/bot<token>/<file_path>

    # ── lifecycle ───────────────────────────────────────────────────────────────────────────

    async def start(self) -> str:
        app = web.Application(client_max_size=20 * 1024 * 1024)
        app.router.add_post("/bot{token}/{method}", self._handle)
        app.router.add_get("/file/bot{token}/{file_path:.+}", self._download)
        self._runner = web.AppRunner(app, access_log=None, handle_signals=False)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.base_url = f"http://127.0.0.1:{port}"
        return self.base_url

    async def close(self) -> None:
        self._closed = True  # ends pending long polls at once
        async with self._changed:
            self._changed.notify_all()
        if self._runner is not None:
            await self._runner.cleanup()

    # ── test controls ───────────────────────────────────────────────────────────────────────

    def push_update(self, update: dict[str, Any]) -> int:
        """Queue an update for getUpdates; an `update_id` is assigned when missing."""
        update = dict(update)
        update.setdefault("update_id", self._next_update_id)
        self._next_update_id = max(self._next_update_id, update["update_id"]) + 1
        self._updates.append(update)
        asyncio.get_running_loop().create_task(self._notify())
        return int(update["update_id"])

    def add_file(self, data: bytes, *, kind: str = "photos", extension: str = "jpg") -> str:
        """Store a file a user sent (e.g. a photo) and return its file_id, as Telegram would hand it to the bot."""
        file_id = f"AgAC{uuid.uuid4().hex}"
        self.files[file_id] = (f"{kind}/file_{len(self.files)}.{extension}", data)
        return file_id

    def next_update_id(self) -> int:
        value = self._next_update_id
        self._next_update_id += 1
        return value

    def fail_next(self, method: str, *, retry_after: int, chat_id: int | None = None, count: int = 1) -> None:
        """Answer the next `count` calls of `method` (in `chat_id`, if given) with 429 retry_after."""
        self._failures.append(_Failure(method, retry_after, chat_id, count))

    def calls_of(self, *methods: str, chat_id: int | None = None) -> list[Call]:
        return [c for c in self.calls
                if (not methods or c.method in methods) and (chat_id is None or c.chat_id == chat_id)]

    def chat_messages(self, chat_id: int) -> list[StoredMessage]:
        return sorted((m for (c, _), m in self.messages.items() if c == chat_id and not m.deleted),
                      key=lambda m: m.message_id)

    async def wait_for(self, predicate: Callable[[], Any], within: float = 10.0) -> Any:
        """Wait until `predicate()` is truthy (re-checked on every call the stand-in receives)."""
        async with asyncio.timeout(within), self._changed:
            while not (result := predicate()):
                await self._changed.wait()
            return result

    async def _notify(self) -> None:
        async with self._changed:
            self._changed.notify_all()

    # ── HTTP ────────────────────────────────────────────────────────────────────────────────

    async def _handle(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.token:
            return _error(401, "Unauthorized")
        method = request.match_info["method"]
        params, files = await _read_params(request)
        call = Call(method, params, time.monotonic())
        self.calls.append(call)
        await self._notify()
        try:
            if method == "getUpdates":
                result: Any = await self._get_updates(params)
            else:
                flood = self._flood_check(call)
                if flood is not None:
                    call.status = 429
                    return flood
                result = self._dispatch(method, params, files)
        except _APIError as exc:
            call.status = exc.status
            return _error(exc.status, exc.description)
        finally:
            await self._notify()
        return web.json_response({"ok": True, "result": result})

    async def _download(self, request: web.Request) -> web.Response:
        """`GET /file/bot<token>/<file_path>`: the file's bytes (Bot API "getFile": the path getFile returned)."""
        if request.match_info["token"] != self.token:
            return _error(401, "Unauthorized")
        path = request.match_info["file_path"]
        found = next((data for stored, data in self.files.values() if stored == path), None)
        if found is None:
            return _error(404, "Not Found")
        self.downloads.append(path)
        return web.Response(body=found, content_type="application/octet-stream")

    def _flood_check(self, call: Call) -> web.Response | None:
        chat_id = call.chat_id
        for failure in self._failures:
            if failure.method == call.method and (failure.chat_id is None or failure.chat_id == chat_id):
                failure.count -= 1
                if failure.count <= 0:
                    self._failures.remove(failure)
                if chat_id is not None:
                    bucket = self._bucket(chat_id, call.at)
                    bucket.blocked_until = max(bucket.blocked_until, call.at + failure.retry_after)
                return self._too_many(failure.retry_after)
        if chat_id is None or call.method not in MESSAGE_METHODS:
            return None
        self._recent = [(at, chat) for at, chat in self._recent if call.at - at < 60.0]
        self._recent.append((call.at, chat_id))
        if chat_id < 0 and sum(1 for _, chat in self._recent if chat == chat_id) > self.limit.group_per_minute:
            self.group_violations += 1
        if sum(1 for at, _ in self._recent if call.at - at < 1.0 - self.limit.tolerance) > self.limit.bot_per_second:
            self.bot_violations += 1
        previous = self._last_message_at.get(chat_id)
        if previous is not None and call.at - previous < self.limit.min_gap - self.limit.tolerance:
            self.gap_violations += 1
        self._last_message_at[chat_id] = call.at
        bucket = self._bucket(chat_id, call.at)
        if call.at < bucket.blocked_until - self.limit.tolerance:
            self.violations += 1
            if self.enforce_limit:
                return self._too_many(math.ceil(bucket.blocked_until - call.at))
        if bucket.tokens < 1.0 - self.limit.tolerance:
            self.violations += 1
            if self.enforce_limit:
                retry = math.ceil((1.0 - bucket.tokens) / self.limit.per_second)
                bucket.blocked_until = call.at + retry
                return self._too_many(retry)
        bucket.tokens = max(0.0, bucket.tokens - 1.0)
        return None

    def _bucket(self, chat_id: int, now: float) -> _Bucket:
        bucket = self._buckets.get(chat_id)
        if bucket is None:
            bucket = self._buckets[chat_id] = _Bucket(self.limit.burst, now)
        bucket.tokens = min(self.limit.burst, bucket.tokens + (now - bucket.at) * self.limit.per_second)
        bucket.at = now
        return bucket

    def _too_many(self, retry_after: int) -> web.Response:
        self.rate_limited += 1
        return web.json_response({"ok": False, "error_code": 429,
                                  "description": f"Too Many Requests: retry after {retry_after}",
                                  "parameters": {"retry_after": retry_after}}, status=429)

    async def _get_updates(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        offset = int(params.get("offset", 0) or 0)
        timeout = float(params.get("timeout", 0) or 0)
        self._updates = [u for u in self._updates if u["update_id"] >= offset]

        async def ready() -> None:
            async with self._changed:
                while not self._updates and not self._closed:
                    await self._changed.wait()

        if not self._updates and timeout > 0:
            with contextlib.suppress(TimeoutError):  # a long poll that ends empty
                await asyncio.wait_for(ready(), timeout)
        return list(self._updates[:100])

    def _dispatch(self, method: str, p: dict[str, Any], files: dict[str, bytes]) -> Any:
        if method == "getMe":
            return BOT_USER
        if method == "setWebhook":
            url = str(p.get("url", ""))
            if not url.startswith("https://"):
                raise _APIError(400, "Bad Request: bad webhook: An HTTPS URL must be provided for webhook")
            secret = p.get("secret_token")
            if secret is not None and not re.fullmatch(r"[A-Za-z0-9_-]{1,256}", str(secret)):
                raise _APIError(400, "Bad Request: secret token contains unallowed characters")
            if _truthy(p.get("drop_pending_updates")):
                self._updates.clear()
            self.webhook = {"url": url, "secret_token": secret, "allowed_updates": _json(p.get("allowed_updates"))}
            return True
        if method == "deleteWebhook":
            if _truthy(p.get("drop_pending_updates")):
                self._updates.clear()
            self.webhook = None
            return True
        if method == "getWebhookInfo":
            return {"url": (self.webhook or {}).get("url", ""), "has_custom_certificate": False,
                    "pending_update_count": len(self._updates)}
        if method in ("setMyCommands", "sendChatAction", "answerCallbackQuery"):
            if method == "answerCallbackQuery" and len(str(p.get("text", ""))) > 200:
                raise _APIError(400, "Bad Request: MESSAGE_TOO_LONG")
            return True
        if method == "sendMessage":
            text = _check_text(p.get("text"), 4096)
            markup = _check_markup(p.get("reply_markup"))
            message = self._new_message(int(p["chat_id"]), text=text, reply_markup=markup)
            return self._message_json(message)
        if method == "editMessageText":
            message = self._existing(p)
            text = _check_text(p.get("text"), 4096)
            markup = _check_markup(p.get("reply_markup"))
            if message.text == text and message.reply_markup == markup:
                raise _APIError(400, "Bad Request: message is not modified: specified new message content "
                                     "and reply markup are exactly the same as a current content and reply "
                                     "markup of the message")
            # As in Telegram: an edit without reply_markup removes the inline keyboard.
            message.text, message.reply_markup = text, markup
            return self._message_json(message)
        if method == "editMessageReplyMarkup":
            message = self._existing(p)
            markup = _check_markup(p.get("reply_markup"))
            if message.reply_markup == markup:
                raise _APIError(400, "Bad Request: message is not modified: specified new message content "
                                     "and reply markup are exactly the same as a current content and reply "
                                     "markup of the message")
            message.reply_markup = markup
            return self._message_json(message)
        if method == "deleteMessage":
            self._existing(p).deleted = True
            return True
        if method == "getFile":
            stored = self.files.get(str(p.get("file_id", "")))
            if stored is None:
                raise _APIError(400, "Bad Request: invalid file_id")
            if len(stored[1]) > MAX_DOWNLOAD_BYTES:  # the Bot API serves files up to 20 MB
                raise _APIError(400, "Bad Request: file is too big")
            file_id = str(p["file_id"])
            return {"file_id": file_id, "file_unique_id": "u" + file_id[-12:], "file_size": len(stored[1]),
                    "file_path": stored[0]}
        if method == "sendPhoto":
            ref = str(p.get("photo", ""))
            data = files.get(ref.removeprefix("attach://")) if ref.startswith("attach://") else None
            if not data:
                raise _APIError(400, "Bad Request: there is no photo in the request")
            caption = _check_text(p["caption"], 1024) if p.get("caption") else None
            message = self._new_message(int(p["chat_id"]), caption=caption, photo=data,
                                        reply_markup=_check_markup(p.get("reply_markup")))
            self.files[f"photo{message.message_id}"] = (f"photos/sent_{message.message_id}.png", data)
            return self._message_json(message)
        if method == "sendDocument":
            ref = str(p.get("document", ""))
            data = files.get(ref.removeprefix("attach://")) if ref.startswith("attach://") else None
            if not data:
                raise _APIError(400, "Bad Request: there is no document in the request")
            caption = _check_text(p["caption"], 1024) if p.get("caption") else None
            message = self._new_message(int(p["chat_id"]), caption=caption, document=data)
            self.files[f"doc{message.message_id}"] = (f"documents/sent_{message.message_id}", data)
            return self._message_json(message)
        raise _APIError(404, "Not Found: method not found")

    def _new_message(self, chat_id: int, **fields: Any) -> StoredMessage:
        self._next_message_id[chat_id] += 1
        message = StoredMessage(chat_id, self._next_message_id[chat_id], **fields)
        self.messages[(chat_id, message.message_id)] = message
        return message

    def _existing(self, p: dict[str, Any]) -> StoredMessage:
        message = self.messages.get((int(p["chat_id"]), int(p["message_id"])))
        if message is None or message.deleted:
            raise _APIError(400, "Bad Request: message to edit not found")
        return message

    def _message_json(self, m: StoredMessage) -> dict[str, Any]:
        body: dict[str, Any] = {"message_id": m.message_id, "date": int(time.time()), "from": BOT_USER,
                                "chat": {"id": m.chat_id, "type": "private" if m.chat_id > 0 else "group"}}
        if m.text is not None:
            body["text"] = visible_text(m.text)
        if m.caption is not None:
            body["caption"] = visible_text(m.caption)
        if m.photo is not None:
            body["photo"] = [{"file_id": f"photo{m.message_id}", "file_unique_id": f"u{m.message_id}",
                              "width": 800, "height": 420, "file_size": len(m.photo)}]
        if m.document is not None:
            body["document"] = {"file_id": f"doc{m.message_id}", "file_unique_id": f"d{m.message_id}",
                                "file_size": len(m.document)}
        if m.reply_markup is not None:
            body["reply_markup"] = m.reply_markup
        return body


class _APIError(Exception):
    def __init__(self, status: int, description: str) -> None:
        super().__init__(description)
        self.status = status
        self.description = description


def _error(status: int, description: str) -> web.Response:
    return web.json_response({"ok": False, "error_code": status, "description": description}, status=status)


async def _read_params(request: web.Request) -> tuple[dict[str, Any], dict[str, bytes]]:
    params: dict[str, Any] = {}
    files: dict[str, bytes] = {}
    if request.content_type == "application/json":
        return dict(await request.json()), files
    form = await request.post()
    for key, value in form.items():
        if isinstance(value, web.FileField):
            files[key] = value.file.read()
        else:
            params[key] = str(value)
    return params, files


def _check_text(source: Any, limit: int) -> str:
    if not source or not str(source).strip():
        raise _APIError(400, "Bad Request: message text is empty")
    parser = _Parse()
    parser.feed(str(source))
    parser.close()
    if parser.error or parser.stack:
        raise _APIError(400, f"Bad Request: can't parse entities: {parser.error or 'unclosed tag'}")
    visible = "".join(parser.text)  # entities already decoded (convert_charrefs)
    if _utf16_len(visible) > limit:
        raise _APIError(400, "Bad Request: message is too long" if limit == 4096 else
                        "Bad Request: message caption is too long")
    return str(source)


def _truthy(value: Any) -> bool:
    return str(value).lower() in ("true", "1")


def _json(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) else value


def _check_markup(raw: Any) -> dict[str, Any] | None:
    if not raw:
        return None
    markup = json.loads(raw) if isinstance(raw, str) else raw
    for row in markup.get("inline_keyboard", []):
        for button in row:
            data = button.get("callback_data")
            if data is not None and not 1 <= len(data.encode()) <= 64:
                raise _APIError(400, "Bad Request: BUTTON_DATA_INVALID")
    return markup


# ── real-format updates, as Telegram sends them ─────────────────────────────────────────────

_message_ids = iter(range(1, 10**9))


def _sender(user_id: int, language_code: str, username: str | None) -> dict[str, Any]:
    sender: dict[str, Any] = {"id": user_id, "is_bot": False, "first_name": "Marketer", "language_code": language_code}
    if username:
        sender["username"] = username
    return sender


def _chat(chat_id: int, chat_type: str) -> dict[str, Any]:
    return ({"id": chat_id, "type": "private", "first_name": "Marketer"} if chat_type == "private"
            else {"id": chat_id, "type": chat_type, "title": "Team"})


def message_update(chat_id: int, text: str, *, update_id: int | None = None, language_code: str = "ru",
                   user_id: int | None = None, username: str | None = None, chat_type: str = "private",
                   reply_to: dict[str, Any] | None = None) -> dict[str, Any]:
    """A user's text message; in a group (`chat_type="group"`) pass the sender's `user_id`."""
    message: dict[str, Any] = {"message_id": next(_message_ids), "date": int(time.time()),
                               "from": _sender(user_id or chat_id, language_code, username),
                               "chat": _chat(chat_id, chat_type), "text": text}
    if text.startswith("/"):
        command = text.split()[0]
        message["entities"] = [{"type": "bot_command", "offset": 0, "length": len(command)}]
    if reply_to is not None:
        message["reply_to_message"] = reply_to
    update: dict[str, Any] = {"message": message}
    if update_id is not None:
        update["update_id"] = update_id
    return update


def edited_update(chat_id: int, message_id: int, text: str, *, update_id: int | None = None,
                  language_code: str = "ru", user_id: int | None = None) -> dict[str, Any]:
    """The user edited their message `message_id` (Telegram sends the new text only)."""
    now = int(time.time())
    update: dict[str, Any] = {"edited_message": {
        "message_id": message_id, "date": now - 5, "edit_date": now,
        "from": _sender(user_id or chat_id, language_code, None), "chat": _chat(chat_id, "private"), "text": text}}
    if update_id is not None:
        update["update_id"] = update_id
    return update


def callback_update(chat_id: int, message_id: int, data: str, *, update_id: int | None = None,
                    language_code: str = "ru", user_id: int | None = None, username: str | None = None,
                    chat_type: str = "private") -> dict[str, Any]:
    update: dict[str, Any] = {"callback_query": {
        "id": str(next(_message_ids)), "from": _sender(user_id or chat_id, language_code, username),
        "chat_instance": str(chat_id), "data": data,
        "message": {"message_id": message_id, "date": int(time.time()), "from": BOT_USER,
                    "chat": _chat(chat_id, chat_type), "text": "…"},
    }}
    if update_id is not None:
        update["update_id"] = update_id
    return update



def photo_update(chat_id: int, file_id: str, *, caption: str | None = None, size: int = 0,
                 update_id: int | None = None, language_code: str = "ru") -> dict[str, Any]:
    """A user's photo (`file_id` from `BotAPIStandIn.add_file`): Telegram sends it as several PhotoSize
    entries, smallest first; the bot downloads the largest. A caption is optional (≤ 1024 characters)."""
    sizes = [{"file_id": f"{file_id}_s", "file_unique_id": f"{file_id[-8:]}s", "width": 90, "height": 90,
              "file_size": 1200},
             {"file_id": file_id, "file_unique_id": file_id[-8:], "width": 1080, "height": 1080, "file_size": size}]
    message: dict[str, Any] = {"message_id": next(_message_ids), "date": int(time.time()),
                               "from": _sender(chat_id, language_code, None), "chat": _chat(chat_id, "private"),
                               "photo": sizes}
    if caption is not None:
        message["caption"] = caption
    update: dict[str, Any] = {"message": message}
    if update_id is not None:
        update["update_id"] = update_id
    return update
