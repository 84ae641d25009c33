"""Settings validation: invalid values fail at start naming the variable."""

from __future__ import annotations

import pytest
from cryptography.fernet import Fernet

from agent_brain.config import SettingsError, load_settings


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.chdir(tmp_path)  # no stray .env
    for name in ("DATABASE_URL", "OPENAI_API_KEY", "FB_ACCESS_TOKEN", "FB_AD_ACCOUNT_ID", "ENCRYPTION_KEY",
                 "DRY_RUN_MODE", "OPENAI_BASE_URL", "PLAN_TTL_HOURS"):
        monkeypatch.delenv(name, raising=False)


def test_defaults_mean_offline_model_sandbox_and_embedded_db() -> None:
    s = load_settings()
    assert s.database_url is None
    assert s.uses_offline_model and s.uses_graph_sandbox
    assert (s.chat_assistant_model, s.small_model) == ("gpt-4o", "gpt-4o-mini")
    assert s.graph_api_version == "v26.0"


@pytest.mark.parametrize(
    ("variable", "value", "fragment"),
    [
        ("DATABASE_URL", "mysql://root@localhost/db", "PostgreSQL URL"),
        ("ENCRYPTION_KEY", "not-a-key", "agent-brain keygen"),
        ("FB_AD_ACCOUNT_ID", "12ab", "act_"),
        ("DRY_RUN_MODE", "maybe", "boolean"),
        ("OPENAI_BASE_URL", "localhost:8080", "http://"),
        ("PLAN_TTL_HOURS", "0", "greater than or equal to 1"),
    ],
)
def test_invalid_values_name_the_variable(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str, fragment: str
) -> None:
    monkeypatch.setenv(variable, value)
    with pytest.raises(SettingsError) as info:
        load_settings()
    message = str(info.value)
    assert variable in message and fragment in message


def test_several_errors_are_reported_together(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", "sqlite://")
    monkeypatch.setenv("FB_AD_ACCOUNT_ID", "x")
    with pytest.raises(SettingsError) as info:
        load_settings()
    assert "DATABASE_URL" in str(info.value) and "FB_AD_ACCOUNT_ID" in str(info.value)


def test_valid_values_are_normalised(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FB_AD_ACCOUNT_ID", "123456")
    monkeypatch.setenv("ENCRYPTION_KEY", Fernet.generate_key().decode())
    monkeypatch.setenv("OPENAI_BASE_URL", "http://localhost:11434/v1/")
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
    s = load_settings()
    assert s.fb_ad_account_id == "act_123456"
    assert s.openai_base_url == "http://localhost:11434/v1"
    assert not s.uses_offline_model
    assert "sk-test" not in repr(s)
