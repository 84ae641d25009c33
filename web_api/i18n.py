"""Texts shown to people: ru or en, chosen by the request's Accept-Language (default ru)."""

from __future__ import annotations

from typing import Any, Literal

from starlette.requests import HTTPConnection

Language = Literal["ru", "en"]


def language_of(request: HTTPConnection) -> Language:
    """The preferred of ru/en in Accept-Language (q-values honoured); ru when neither is named."""
    best: tuple[float, Language] = (0.0, "ru")
    for part in request.headers.get("accept-language", "").split(","):
        tag, _, params = part.strip().partition(";")
        primary = tag.strip().lower().split("-")[0]
        if primary not in ("ru", "en"):
            continue
        q = 1.0
        for param in params.split(";"):
            key, _, value = param.strip().partition("=")
            if key == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        if q > best[0]:
            best = (q, "ru" if primary == "ru" else "en")
    return best[1]


# code → (ru, en)
MESSAGES: dict[str, tuple[str, str]] = {
    "unauthorized": ("Нужен вход: откройте ссылку входа или передайте заголовок Authorization: Bearer <token>.",
                     "Sign-in required: open the login link or send Authorization: Bearer <token>."),
    "cross_site": ("Запрос с другого сайта отклонён.", "A request from another site was refused."),
    "login_failed": ("Код входа неверен, уже использован или истёк — запросите новую ссылку входа.",
                     "The login code is wrong, already used or expired — get a new login link."),
    "session_not_found": ("Сеанс не найден.", "Session not found."),
    "not_running": ("Сейчас в этом диалоге ничего не выполняется.", "Nothing is running in this conversation."),
    "not_found": ("Не найдено.", "Not found."),
    "conversation_not_found": ("Диалог не найден.", "Conversation not found."),
    "plan_not_found": ("План не найден.", "Plan not found."),
    "chat_not_linked": ("Этот Telegram-чат не привязан к вашему аккаунту.",
                        "This Telegram chat is not linked to your account."),
    "busy": ("Я ещё отвечаю на предыдущее сообщение — подождите немного.",
             "Still answering the previous message — one moment."),
    "plan_expired": ("Срок действия плана истёк — попросите сделать новый.",
                     "This plan has expired — ask for a new one."),
    "empty": ("Пустое сообщение.", "Empty message."),
    "validation_error": ("Проверьте поля запроса: {fields}.", "Check the request fields: {fields}."),
    "method_not_allowed": ("Метод не поддерживается.", "Method not allowed."),
    "internal": ("Внутренняя ошибка; повторите позже.", "Internal error; please try again later."),
}
PLAN_STATES = {  # why a plan cannot make a transition, by its current status
    "pending": ("план ещё ждёт подтверждения", "the plan is still awaiting approval"),
    "approved": ("план уже подтверждён", "the plan is already approved"),
    "executing": ("план уже выполняется", "the plan is already running"),
    "completed": ("план уже выполнен", "the plan has already been executed"),
    "failed": ("план уже выполнялся и завершился ошибкой", "the plan already ran and failed"),
    "rejected": ("план отменён", "the plan was cancelled"),
    "expired": ("срок действия плана истёк", "the plan has expired"),
}


def message(code: str, language: Language, **fmt: Any) -> str:
    ru, en = MESSAGES.get(code, MESSAGES["internal"])
    return (ru if language == "ru" else en).format(**fmt)
