"""Settings: one pydantic-settings class read from the environment and `.env`.

Invalid values fail at start with a message that names the variable (see `load_settings`).
"""

from __future__ import annotations

import base64
import functools
import json
from pathlib import Path
from typing import Annotated, Literal

import platformdirs
from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

REPO_ROOT = Path(__file__).resolve().parent.parent
GRAPH_API_VERSION = "v26.0"


class SettingsError(RuntimeError):
    """Raised when the configuration is invalid; the message names every offending variable."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_file=".env", env_file_encoding="utf-8", extra="ignore", case_sensitive=False
    )

    # production: secrets must be explicit (no generated key file that a recreated container loses).
    environment: Literal["development", "production"] = "development"

    # Database: unset → an embedded PostgreSQL under `data_dir`.
    database_url: str | None = None

    # Models: any OpenAI-compatible endpoint; no key → the offline model.
    openai_api_key: SecretStr | None = None
    openai_base_url: str | None = None
    chat_assistant_model: str = "gpt-4o"
    small_model: Annotated[str, Field(validation_alias="CHAT_ASSISTANT_SMALL_MODEL")] = "gpt-4o-mini"

    telegram_bot_token: SecretStr | None = None
    telegram_api_base: str | None = None
    telegram_webhook_secret: SecretStr | None = None
    # Off: `/start <code>` links private chats only. On: group chats too (writes there are always
    # plans, approved only by the person who linked the chat or people they /allow).
    telegram_allow_groups: bool = False

    fb_access_token: SecretStr | None = None
    fb_ad_account_id: str | None = None
    # Another Graph endpoint (e.g. `agent-brain sandbox --port N`, used by bench/crash_recovery.py).
    graph_base_url: str | None = None
    graph_api_version: str = GRAPH_API_VERSION
    # TikTok and Google Ads: without credentials their sandboxes serve in-process (like Graph's).
    tiktok_access_token: SecretStr | None = None
    tiktok_base_url: str | None = None
    google_ads_access_token: SecretStr | None = None
    google_ads_developer_token: SecretStr | None = None
    google_ads_login_customer_id: str | None = None
    google_ads_base_url: str | None = None
    google_ads_api_version: str = "v26"

    # Meta webhooks (WhatsApp Cloud API, Instagram Messaging): the app secret signs every delivery
    # (X-Hub-Signature-256), the verify token answers the subscription check. Unset → the sandbox's
    # demo values (`agent_brain.inbound.SANDBOX_APP_SECRET` / `SANDBOX_VERIFY_TOKEN`).
    meta_app_secret: SecretStr | None = None
    meta_verify_token: SecretStr | None = None

    dry_run_mode: bool = False
    # Fernet key (urlsafe base64 of 32 bytes) for tokens stored at rest. Unset → a key file
    # generated once under `data_dir` (mode 0600).
    encryption_key: SecretStr | None = None
    data_dir: Path = Field(default_factory=lambda: Path(platformdirs.user_data_dir("agent-brain")))

    # Browser origins allowed to call the API cross-site (JSON list or comma-separated). Empty: no
    # CORS headers at all — the web chat is served from the API's own origin.
    cors_origins: Annotated[list[str], NoDecode] = []

    # Data retention in days (0 = keep forever), enforced daily by the `enforce_retention` job.
    retention_messages_days: Annotated[int, Field(ge=0)] = 365
    retention_runs_days: Annotated[int, Field(ge=0)] = 90
    retention_journal_days: Annotated[int, Field(ge=0)] = 365
    retention_dialogs_days: Annotated[int, Field(ge=0)] = 365

    log_level: str = "INFO"
    # text: one readable line per record; json: one JSON object per line with the turn id (log shippers).
    log_format: Literal["text", "json"] = "text"
    plan_ttl_hours: Annotated[int, Field(ge=1, le=24 * 30)] = 24
    conversation_lock_lease_seconds: Annotated[int, Field(ge=2, le=3600)] = 15
    # Context window given to an agent: history, snapshot, specs and notes share what the system
    # prompt and tool replies leave free.
    context_budget_tokens: Annotated[int, Field(ge=4000, le=200_000)] = 8000

    @field_validator("database_url")
    @classmethod
    def _postgres_url(cls, value: str | None) -> str | None:
        if value is None or value == "":
            return None
        if not value.startswith(("postgresql://", "postgres://", "postgresql+asyncpg://")):
            raise ValueError("must be a PostgreSQL URL such as postgresql://user:pass@host:5432/db")
        return value

    @field_validator("cors_origins", mode="before")
    @classmethod
    def _origins(cls, value: object) -> object:
        if isinstance(value, str):
            text = value.strip()
            if text.startswith("["):
                return json.loads(text)
            return [o.strip().rstrip("/") for o in text.split(",") if o.strip()]
        return value

    @field_validator("encryption_key")
    @classmethod
    def _fernet_key(cls, value: SecretStr | None) -> SecretStr | None:
        if value is None or value.get_secret_value() == "":
            return None
        try:
            raw = base64.urlsafe_b64decode(value.get_secret_value().encode())
        except ValueError as exc:
            raise ValueError("must be urlsafe base64 (generate one with `agent-brain keygen`)") from exc
        if len(raw) != 32:
            raise ValueError("must decode to 32 bytes (generate one with `agent-brain keygen`)")
        return value

    @model_validator(mode="after")
    def _production_secrets(self) -> Settings:
        if self.environment == "production" and self.encryption_key is None:
            raise ValueError("ENCRYPTION_KEY is required when ENVIRONMENT=production (create one with "
                             "`agent-brain keygen`): a key generated into the data directory is lost with the "
                             "container, and every stored platform token with it")
        return self

    @field_validator("fb_ad_account_id")
    @classmethod
    def _ad_account(cls, value: str | None) -> str | None:
        if not value:
            return None
        digits = value.removeprefix("act_")
        if not digits.isdigit():
            raise ValueError("must be an ad account id like act_1234567890")
        return f"act_{digits}"

    @field_validator("openai_base_url", "telegram_api_base", "graph_base_url")
    @classmethod
    def _http_url(cls, value: str | None) -> str | None:
        if not value:
            return None
        if not value.startswith(("http://", "https://")):
            raise ValueError("must start with http:// or https://")
        return value.rstrip("/")

    @property
    def uses_offline_model(self) -> bool:
        return self.openai_api_key is None or not self.openai_api_key.get_secret_value()

    @property
    def uses_graph_sandbox(self) -> bool:
        return self.fb_access_token is None or not self.fb_access_token.get_secret_value()


def load_settings(**overrides: object) -> Settings:
    """Build settings, turning a validation error into one readable message per variable."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        lines = []
        for err in exc.errors():
            message = err["msg"].removeprefix("Value error, ")
            lines.append(f"{str(err['loc'][0]).upper()}: {message}" if err["loc"] else message)
        raise SettingsError("Invalid configuration:\n  " + "\n  ".join(lines)) from None


@functools.cache
def get_settings() -> Settings:
    return load_settings()
