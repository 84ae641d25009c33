"""Typed Graph API errors and their classification.

Every error of this layer is a `GraphError`, so callers can catch one type and show
`exc.user_message(lang)` to the marketer. Text built from Meta's messages is redacted.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

from agent_brain.platforms.graph.redact import redact_text
from agent_brain.platforms.graph.usage import header_value, parse_business_use_case_usage

THROTTLE_CODES = frozenset({4, 17, 32, 341, 613, *range(80000, 80015)})
# Limits on one ad account (17 user/account request limit, 613 when the call is on an account,
# 80000–80014 business use case limits): they pause that account, never the platform.
ACCOUNT_THROTTLE_CODES = frozenset({17, 613, *range(80000, 80015)})
TRANSIENT_CODES = frozenset({1, 2})
TOKEN_CODES = frozenset({190})
PERMISSION_CODES = frozenset({10, *range(200, 300)})
INVALID_PARAMETER_CODES = frozenset({100})
POLICY_BLOCK_CODES = frozenset({368})


def _is_ru(lang: str) -> bool:
    return lang.lower().startswith("ru")


def format_wait(seconds: float, lang: str) -> str:
    """ "45 s" / "45 с" under two minutes, whole minutes (rounded up) above."""
    seconds = max(1, math.ceil(seconds))
    if seconds < 120:
        return f"{seconds} с" if _is_ru(lang) else f"{seconds} s"
    minutes = math.ceil(seconds / 60)
    return f"{minutes} мин" if _is_ru(lang) else f"{minutes} min"


def _renamed(text: str, platform_name: str) -> str:
    if platform_name == "Facebook":
        return text
    return text.replace("Facebook API", f"{platform_name} API").replace("Facebook", platform_name)


class GraphError(Exception):
    """An error from the Graph API layer.

    Attributes mirror Meta's error object (`code`, `subcode` = `error_subcode`, `type`,
    `message`, `fbtrace_id`) plus the HTTP status; all may be None for locally raised errors.
    `user_title`/`user_text` are Meta's `error_user_title`/`error_user_msg` when it sent them.
    """

    _ru = "Facebook API вернул ошибку: {detail}"
    _en = "The Facebook API returned an error: {detail}"
    # The same classes serve TikTok and Google Ads (`platforms/jsonapi`): their client sets the
    # name, and every user message says that platform instead of Facebook.
    platform_name = "Facebook"

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        own = cls.__dict__.get("user_message")
        if own is not None:
            def user_message(self: GraphError, lang: str = "ru", _own: Any = own) -> str:
                return _renamed(_own(self, lang), self.platform_name)

            cls.user_message = user_message  # type: ignore[method-assign]

    def __init__(
        self,
        message: str,
        *,
        code: int | None = None,
        subcode: int | None = None,
        type: str | None = None,
        fbtrace_id: str | None = None,
        http_status: int | None = None,
        user_title: str | None = None,
        user_text: str | None = None,
    ) -> None:
        self.message = redact_text(message)
        self.code = code
        self.subcode = subcode
        self.type = type
        self.fbtrace_id = fbtrace_id
        self.http_status = http_status
        self.user_title = redact_text(user_title) if user_title else None
        self.user_text = redact_text(user_text) if user_text else None
        super().__init__(self._describe())

    def _describe(self) -> str:
        parts = [
            f"{name}={value}"
            for name, value in (
                ("code", self.code),
                ("subcode", self.subcode),
                ("type", self.type),
                ("http_status", self.http_status),
                ("fbtrace_id", self.fbtrace_id),
            )
            if value is not None
        ]
        return f"{self.message} ({', '.join(parts)})" if parts else self.message

    def user_message(self, lang: str = "ru") -> str:
        """One clear sentence for the marketer, in Russian (`lang="ru"`) or English."""
        detail = self.user_text or self.message
        template = self._ru if _is_ru(lang) else self._en
        return _renamed(template.format(detail=detail), self.platform_name)


class TransientError(GraphError):
    """Meta's side failed (codes 1, 2, HTTP 5xx): the same request may succeed later."""

    _ru = "Facebook API временно не отвечает. Повторите попытку через минуту."
    _en = "The Facebook API is temporarily not responding. Please try again in a minute."


class ThrottledError(GraphError):
    """A rate limit was hit (codes 4, 17, 32, 341, 613, 80000–80014; HTTP 429).

    `retry_after_seconds` is the server's own estimate (`Retry-After`, or the business use case
    header's `estimated_time_to_regain_access` converted from minutes) when it gave one.
    """

    def __init__(self, message: str, *, retry_after_seconds: float | None = None, **kwargs: Any) -> None:
        self.retry_after_seconds = retry_after_seconds
        super().__init__(message, **kwargs)

    def user_message(self, lang: str = "ru") -> str:
        if self.retry_after_seconds:
            wait = format_wait(self.retry_after_seconds, lang)
            if _is_ru(lang):
                return f"Превышен лимит запросов к Facebook API. Повторите через {wait}."
            return f"The Facebook API rate limit was reached. Try again in {wait}."
        if _is_ru(lang):
            return "Превышен лимит запросов к Facebook API. Повторите через несколько минут."
        return "The Facebook API rate limit was reached. Try again in a few minutes."


class AccountThrottledError(ThrottledError):
    """Refused locally: Meta is limiting this ad account, so its calls wait until the regain time.

    Other accounts' calls are unaffected. `retry_after_seconds` is the time left of the pause.
    """

    def __init__(self, account_id: str, seconds_left: float, *, code: int | None = None) -> None:
        self.account_id = account_id
        super().__init__(
            f"ad account {account_id} is rate-limited by Meta; retry in {max(0.0, seconds_left):.0f} s",
            retry_after_seconds=max(0.0, seconds_left),
            code=code,
        )

    def user_message(self, lang: str = "ru") -> str:
        wait = format_wait(self.retry_after_seconds or 0.0, lang)
        if _is_ru(lang):
            return (f"Facebook временно ограничил запросы к рекламному аккаунту {self.account_id}. "
                    f"Повторите через {wait}.")
        return f"Facebook is temporarily limiting requests to ad account {self.account_id}. Try again in {wait}."


class TokenExpiredError(GraphError):
    """The access token is no longer valid (code 190); the user has to reconnect the account."""

    _by_subcode = {
        459: (
            "Facebook требует подтвердить вход в аккаунт. Войдите в Facebook, пройдите проверку и переподключите рекламный аккаунт.",
            "Facebook requires you to confirm your login. Sign in to Facebook, complete the check and reconnect the ad account.",
        ),
        460: (
            "Пароль Facebook был изменён, доступ отозван. Переподключите рекламный аккаунт.",
            "The Facebook password was changed and access was revoked. Please reconnect the ad account.",
        ),
        463: (
            "Срок действия доступа к Facebook истёк. Переподключите рекламный аккаунт.",
            "Access to Facebook has expired. Please reconnect the ad account.",
        ),
    }
    _default = (
        "Доступ к Facebook больше не действует. Переподключите рекламный аккаунт.",
        "Access to Facebook is no longer valid. Please reconnect the ad account.",
    )

    def user_message(self, lang: str = "ru") -> str:
        ru, en = self._by_subcode.get(self.subcode or 0, self._default)
        return ru if _is_ru(lang) else en


class PermissionDeniedError(GraphError):
    """The token lacks a permission or role for this object (codes 10, 200–299)."""

    _ru = "Нет прав на это действие в Facebook. Проверьте роль в рекламном аккаунте и разрешения приложения."
    _en = "No permission for this action on Facebook. Check your role in the ad account and the app's permissions."


class InvalidParameterError(GraphError):
    """Meta rejected a parameter (code 100): the request must change before it can succeed."""

    _ru = "Facebook отклонил запрос из-за неверного параметра: {detail}"
    _en = "Facebook rejected the request because of an invalid parameter: {detail}"


class PolicyBlockError(GraphError):
    """Meta blocked the action under its policies (code 368)."""

    _ru = "Facebook временно заблокировал это действие по правилам платформы. Проверьте «Качество аккаунта» и повторите позже."
    _en = "Facebook temporarily blocked this action under its policies. Check Account Quality and try again later."


class NetworkError(GraphError):
    """The request failed below HTTP (DNS, TCP, TLS, a dropped connection).

    `sent` is False only when the request certainly never left (connect failures, no free
    connection in the pool): such a write can be retried safely.
    """

    _ru = "Не удалось связаться с Facebook API (ошибка сети). Повторите попытку."
    _en = "Could not reach the Facebook API (network error). Please try again."

    def __init__(self, message: str, *, sent: bool, **kwargs: Any) -> None:
        self.sent = sent
        super().__init__(message, **kwargs)


class GraphTimeoutError(NetworkError):
    """The Graph API did not answer in time (named so as not to shadow the builtin)."""

    _ru = "Facebook API не ответил вовремя. Повторите попытку."
    _en = "The Facebook API did not answer in time. Please try again."


class WriteOutcomeUnknown(GraphError):
    """A write was sent but its outcome is unknown (timeout, dropped connection, 5xx).

    Retrying blindly could apply it twice; reconcile by reading the object back. The failure
    that made the outcome unknown is chained as `__cause__`.
    """

    _ru = "Facebook не подтвердил изменение: неизвестно, применилось ли оно. Проверьте состояние объекта перед повтором."
    _en = "Facebook did not confirm the change, so it is unknown whether it was applied. Check the object before retrying."

    def __init__(self, method: str, path: str) -> None:
        self.method = method
        self.path = redact_text(path)
        super().__init__(f"outcome of {method} {self.path} is unknown")


class CircuitOpenError(GraphError):
    """The platform's circuit breaker is open: the call was refused without being sent."""

    def __init__(self, platform: str, seconds_until_retry: float) -> None:
        self.platform = platform
        self.seconds_until_retry = max(0.0, seconds_until_retry)
        super().__init__(f"circuit for {platform} is open; retry in {self.seconds_until_retry:.1f} s")

    def user_message(self, lang: str = "ru") -> str:
        wait = format_wait(self.seconds_until_retry, lang)
        if _is_ru(lang):
            return f"Facebook API временно недоступен, повторите через {wait}"
        return f"Facebook API is temporarily unavailable, try again in {wait}"


class BudgetChangeRateLimited(GraphError):
    """Refused locally: this ad set's budget already changed the maximum number of times this hour."""

    def __init__(self, ad_set_id: str, retry_after_seconds: float, *, max_changes: int) -> None:
        self.ad_set_id = ad_set_id
        self.retry_after_seconds = max(0.0, retry_after_seconds)
        self.max_changes = max_changes
        super().__init__(
            f"budget of ad set {ad_set_id} changed {max_changes} times within the last hour; "
            f"next change allowed in {self.retry_after_seconds:.0f} s"
        )

    def user_message(self, lang: str = "ru") -> str:
        wait = format_wait(self.retry_after_seconds, lang)
        if _is_ru(lang):
            return (
                f"Бюджет группы объявлений {self.ad_set_id} уже менялся {self.max_changes} раза за последний час — "
                f"Facebook чаще не разрешает. Следующее изменение возможно через {wait}."
            )
        return (
            f"The budget of ad set {self.ad_set_id} has already changed {self.max_changes} times in the last hour, "
            f"the most Facebook allows. The next change is possible in {wait}."
        )


def retry_after_from_headers(headers: Mapping[str, str], *, now: datetime | None = None) -> float | None:
    """Seconds the server asked us to wait: `Retry-After` (seconds or HTTP date), else the largest
    `estimated_time_to_regain_access` (minutes) in `X-Business-Use-Case-Usage`."""
    raw = header_value(headers, "retry-after")
    if raw:
        raw = raw.strip()
        try:
            return max(0.0, float(raw))
        except ValueError:
            try:
                when = parsedate_to_datetime(raw)
            except (TypeError, ValueError):
                when = None
            if when is not None:
                if when.tzinfo is None:
                    when = when.replace(tzinfo=UTC)
                return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())
    regain = max(
        (
            u.regain_seconds
            for u in parse_business_use_case_usage(header_value(headers, "x-business-use-case-usage"))
        ),
        default=0.0,
    )
    return regain or None


def _as_int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def error_from_response(status: int, body_json: Any, headers: Mapping[str, str] | None = None) -> GraphError:
    """Classify a failed Graph response.

    The body's `error.code` decides first: Meta sends most throttling as HTTP 400 with the code
    in the body, not as 429. The HTTP status is the fallback for bodies without a usable code
    (an HTML 502 page from a proxy, an empty body).
    """
    headers = headers or {}
    error = body_json.get("error") if isinstance(body_json, Mapping) else None
    if not isinstance(error, Mapping):
        error = {}
    code = _as_int(error.get("code"))
    kwargs: dict[str, Any] = {
        "code": code,
        "subcode": _as_int(error.get("error_subcode")),
        "type": error.get("type") if isinstance(error.get("type"), str) else None,
        "fbtrace_id": error.get("fbtrace_id") if isinstance(error.get("fbtrace_id"), str) else None,
        "http_status": status,
        "user_title": error.get("error_user_title")
        if isinstance(error.get("error_user_title"), str)
        else None,
        "user_text": error.get("error_user_msg") if isinstance(error.get("error_user_msg"), str) else None,
    }
    message = error.get("message") if isinstance(error.get("message"), str) else f"HTTP {status}"

    if code in THROTTLE_CODES:
        return ThrottledError(message, retry_after_seconds=retry_after_from_headers(headers), **kwargs)
    if code in TRANSIENT_CODES:
        return TransientError(message, **kwargs)
    if code in TOKEN_CODES:
        return TokenExpiredError(message, **kwargs)
    if code in PERMISSION_CODES:
        return PermissionDeniedError(message, **kwargs)
    if code in INVALID_PARAMETER_CODES:
        return InvalidParameterError(message, **kwargs)
    if code in POLICY_BLOCK_CODES:
        return PolicyBlockError(message, **kwargs)

    if status == 429:
        return ThrottledError(message, retry_after_seconds=retry_after_from_headers(headers), **kwargs)
    if status >= 500 or error.get("is_transient") is True:
        return TransientError(message, **kwargs)
    if status == 401:
        return TokenExpiredError(message, **kwargs)
    if status == 403:
        return PermissionDeniedError(message, **kwargs)
    return GraphError(message, **kwargs)
