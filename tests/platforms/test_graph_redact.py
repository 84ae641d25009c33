import logging

import pytest

from agent_brain.platforms.graph.errors import GraphError
from agent_brain.platforms.graph.redact import REDACTED, RedactingFilter, redact_text, register_secret

SECRET = "EAAredactme0123456789secretvalue"


@pytest.fixture(autouse=True)
def _registered() -> None:
    register_secret(SECRET)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "https://graph.facebook.com/v26.0/me?access_token=abcDEF123&fields=id",
            "https://graph.facebook.com/v26.0/me?access_token=[REDACTED]&fields=id",
        ),
        ('{"access_token": "abcDEF123", "id": 1}', '{"access_token": "[REDACTED]", "id": 1}'),
        ("appsecret_proof=deadbeef&x=1", "appsecret_proof=[REDACTED]&x=1"),
        ("ACCESS_TOKEN=abc", "ACCESS_TOKEN=[REDACTED]"),
        ("no secrets here", "no secrets here"),
    ],
)
def test_redact_parameters(text: str, expected: str) -> None:
    assert redact_text(text) == expected


def test_registered_secret_is_removed_in_any_format() -> None:
    assert redact_text(f"Authorization: OAuth {SECRET}") == f"Authorization: OAuth {REDACTED}"


def test_short_strings_are_not_registered() -> None:
    register_secret("id")
    assert redact_text("fields=id,name") == "fields=id,name"


def test_filter_redacts_message_args_and_exception(caplog: pytest.LogCaptureFixture) -> None:
    logger = logging.getLogger("tests.redact.filter")
    logger.addFilter(RedactingFilter())
    try:
        with caplog.at_level(logging.DEBUG, logger="tests.redact.filter"):
            logger.info("calling %s", f"https://x/me?access_token={SECRET}")
            try:
                raise RuntimeError(f"token was {SECRET}")
            except RuntimeError:
                logger.exception("failed with %r", {"token": SECRET})
        formatted = "\n".join(logging.Formatter().format(r) for r in caplog.records)
    finally:
        logger.filters.clear()
    assert len(caplog.records) == 2
    assert SECRET not in caplog.text
    assert SECRET not in formatted
    assert REDACTED in caplog.records[0].getMessage()
    assert "RuntimeError: token was [REDACTED]" in formatted


def test_graph_error_text_is_redacted() -> None:
    exc = GraphError(f"Invalid OAuth access token {SECRET}", code=190)
    assert SECRET not in str(exc)
    assert SECRET not in repr(exc)
