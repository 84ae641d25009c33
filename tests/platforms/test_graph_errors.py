import json
import re

import pytest

from agent_brain.platforms.graph.errors import (
    BudgetChangeRateLimited,
    CircuitOpenError,
    GraphError,
    GraphTimeoutError,
    InvalidParameterError,
    NetworkError,
    PermissionDeniedError,
    PolicyBlockError,
    ThrottledError,
    TokenExpiredError,
    TransientError,
    WriteOutcomeUnknown,
    error_from_response,
    format_wait,
)


def body(code: int | None, subcode: int | None = None, message: str = "boom", **extra: object) -> dict:
    error: dict[str, object] = {"message": message, "type": "OAuthException", "fbtrace_id": "AbC123"}
    if code is not None:
        error["code"] = code
    if subcode is not None:
        error["error_subcode"] = subcode
    error.update(extra)
    return {"error": error}


@pytest.mark.parametrize(
    ("status", "code", "expected"),
    [
        (500, 1, TransientError),
        (503, 2, TransientError),
        (400, 4, ThrottledError),
        (400, 17, ThrottledError),
        (400, 32, ThrottledError),
        (400, 341, ThrottledError),
        (400, 613, ThrottledError),
        (400, 80000, ThrottledError),
        (400, 80004, ThrottledError),
        (400, 80014, ThrottledError),
        (400, 190, TokenExpiredError),
        (400, 10, PermissionDeniedError),
        (403, 200, PermissionDeniedError),
        (400, 299, PermissionDeniedError),
        (400, 100, InvalidParameterError),
        (400, 368, PolicyBlockError),
    ],
)
def test_code_families(status: int, code: int, expected: type[GraphError]) -> None:
    exc = error_from_response(status, body(code), {})
    assert type(exc) is expected
    assert exc.code == code
    assert exc.http_status == status
    assert exc.fbtrace_id == "AbC123"


@pytest.mark.parametrize("code", [80015, 300, 3, 99])
def test_codes_just_outside_a_family_are_generic(code: int) -> None:
    assert type(error_from_response(400, body(code), {})) is GraphError


def test_body_code_wins_over_http_status() -> None:
    # Meta sends throttling as HTTP 400; a 500 carrying code 100 is still the caller's mistake.
    assert isinstance(error_from_response(400, body(17), {}), ThrottledError)
    assert isinstance(error_from_response(500, body(100), {}), InvalidParameterError)


@pytest.mark.parametrize(
    ("status", "payload", "expected"),
    [
        (502, None, TransientError),  # an HTML error page from a proxy
        (500, {"error": {"message": "x"}}, TransientError),
        (429, {}, ThrottledError),
        (401, None, TokenExpiredError),
        (403, {}, PermissionDeniedError),
        (400, {"error": {"message": "x", "is_transient": True}}, TransientError),
        (400, {"error": {"message": "x"}}, GraphError),
        (404, "not json object", GraphError),
    ],
)
def test_http_status_is_the_fallback(status: int, payload: object, expected: type[GraphError]) -> None:
    assert type(error_from_response(status, payload, {})) is expected


def test_retry_after_header_seconds() -> None:
    exc = error_from_response(400, body(613), {"Retry-After": "12"})
    assert isinstance(exc, ThrottledError)
    assert exc.retry_after_seconds == 12


def test_business_use_case_regain_minutes_become_seconds() -> None:
    buc = {
        "1234": [
            {
                "type": "ads_management",
                "call_count": 100,
                "total_cputime": 20,
                "total_time": 30,
                "estimated_time_to_regain_access": 7,
            }
        ]
    }
    exc = error_from_response(400, body(80004), {"x-business-use-case-usage": json.dumps(buc)})
    assert isinstance(exc, ThrottledError)
    assert exc.retry_after_seconds == 7 * 60


def test_throttle_without_hint_has_no_retry_after() -> None:
    exc = error_from_response(400, body(17), {})
    assert isinstance(exc, ThrottledError)
    assert exc.retry_after_seconds is None


def test_str_names_code_subcode_and_trace() -> None:
    exc = error_from_response(400, body(190, 463, "Session has expired"), {})
    assert str(exc) == (
        "Session has expired (code=190, subcode=463, type=OAuthException, http_status=400, fbtrace_id=AbC123)"
    )


def test_circuit_open_messages() -> None:
    exc = CircuitOpenError("meta", 44.2)
    assert exc.user_message("ru") == "Facebook API временно недоступен, повторите через 45 с"
    assert exc.user_message("en") == "Facebook API is temporarily unavailable, try again in 45 s"


def test_token_messages_depend_on_subcode() -> None:
    expired = error_from_response(400, body(190, 463), {})
    checkpoint = error_from_response(400, body(190, 459), {})
    assert "истёк" in expired.user_message("ru")
    assert "подтвердить вход" in checkpoint.user_message("ru")
    assert "expired" in expired.user_message("en")


def test_throttle_message_says_when() -> None:
    exc = ThrottledError("limit", retry_after_seconds=300)
    assert exc.user_message("ru") == "Превышен лимит запросов к Facebook API. Повторите через 5 мин."
    assert exc.user_message("en") == "The Facebook API rate limit was reached. Try again in 5 min."


def test_invalid_parameter_prefers_metas_user_text() -> None:
    exc = error_from_response(400, body(100, error_user_msg="Бюджет ниже минимального"), {})
    assert (
        exc.user_message("ru")
        == "Facebook отклонил запрос из-за неверного параметра: Бюджет ниже минимального"
    )


ALL_ERRORS = [
    GraphError("x", code=999),
    TransientError("x"),
    ThrottledError("x"),
    ThrottledError("x", retry_after_seconds=30),
    TokenExpiredError("x", subcode=463),
    TokenExpiredError("x"),
    PermissionDeniedError("x"),
    InvalidParameterError("x"),
    PolicyBlockError("x"),
    NetworkError("x", sent=True),
    GraphTimeoutError("x", sent=True),
    WriteOutcomeUnknown("POST", "123"),
    CircuitOpenError("meta", 45),
    BudgetChangeRateLimited("120000", 600, max_changes=4),
]
CYRILLIC = re.compile("[а-яё]", re.IGNORECASE)


@pytest.mark.parametrize("exc", ALL_ERRORS, ids=lambda e: type(e).__name__)
def test_every_error_speaks_both_languages(exc: GraphError) -> None:
    ru, en = exc.user_message("ru"), exc.user_message("en")
    assert CYRILLIC.search(ru)
    assert not CYRILLIC.search(en)
    assert ru != en


@pytest.mark.parametrize(
    ("seconds", "ru", "en"),
    [
        (0.2, "1 с", "1 s"),
        (45, "45 с", "45 s"),
        (119, "119 с", "119 s"),
        (119.5, "2 мин", "2 min"),
        (121, "3 мин", "3 min"),
        (3600, "60 мин", "60 min"),
    ],
)
def test_format_wait(seconds: float, ru: str, en: str) -> None:
    assert format_wait(seconds, "ru") == ru
    assert format_wait(seconds, "en") == en
