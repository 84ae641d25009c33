"""What a tool handler may use: the caller's identity and account, the database, the platform.

Handlers get everything through this object, never through globals, so every query is scoped to
`user_id` (a user sees and acts on their own data only).
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, Literal

from sqlalchemy.ext.asyncio import AsyncEngine

from agent_brain import clock
from agent_brain.platforms.meta.adapter import MetaAdapter
from agent_brain.platforms.write_safety import WriteGuard

if TYPE_CHECKING:
    from agent_brain.llm.base import ChatModel
    from agent_brain.stores.users import AdAccountRecord


@dataclass
class ToolContext:
    user_id: uuid.UUID
    engine: AsyncEngine
    meta: MetaAdapter
    writes: WriteGuard
    ad_account_id: uuid.UUID | None = None  # our ad_accounts.id
    platform_account_id: str | None = None  # e.g. "act_100200300400"
    currency: str = "USD"
    timezone: str = "UTC"
    language: Literal["ru", "en"] = "ru"
    conversation_id: uuid.UUID | None = None
    dry_run: bool = False
    today: dt.date | None = None  # None → today in the account's calendar (`timezone`)
    writer: ChatModel | None = None  # the conversation's model, for tools that write text (ad copy)
    # The ad account's own token from the encrypted store (None: the process-wide one); never in reprs.
    access_token: str | None = field(default=None, repr=False)
    # Other ad platforms: their adapters, and every account the user linked (any platform).
    # `meta` and `platform_account_id` above are the adapter and account of `platform`.
    platforms: dict[str, Any] = field(default_factory=dict)
    accounts: list[AdAccountRecord] = field(default_factory=list)
    platform: str = "meta"
    # Every linked account's own decrypted token by our ad_accounts.id (never in reprs); `on()`
    # moves the right one into `access_token`, `platform_tokens()` gives each platform's.
    account_tokens: dict[uuid.UUID, str] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        if self.today is None:
            self.today = clock.today_in(self.timezone)

    def require_account(self) -> str:
        """The platform ad account id, or a clear error when the user has none linked."""
        if not self.platform_account_id:
            from agent_brain.tools.registry import ToolError

            raise ToolError(
                "К этому пользователю не привязан рекламный аккаунт." if self.language == "ru"
                else "No ad account is linked to this user.",
                code="no_ad_account",
            )
        return self.platform_account_id

    def linked_platforms(self) -> list[str]:
        """Platforms with a linked account and an adapter, this context's own first."""
        found = [self.platform] if self.platform_account_id else []
        for account in self.accounts:
            if account.platform not in found and (account.platform == "meta" or account.platform in self.platforms):
                found.append(account.platform)
        return found

    def on(self, platform: str) -> ToolContext | None:
        """This context moved to the user's account on `platform` (None: no such account linked)."""
        if platform == self.platform and self.platform_account_id:
            return self
        account = next((a for a in self.accounts if a.platform == platform), None)
        adapter = self.platforms.get(platform) if platform != "meta" else self.platforms.get("meta", self.meta)
        if account is None or adapter is None:
            return None
        if hasattr(adapter, "attach"):
            adapter.attach(account.external_id)
        return replace(self, meta=adapter, platform=platform, ad_account_id=account.id,
                       platform_account_id=account.external_id, currency=account.currency,
                       timezone=account.timezone, access_token=self.account_tokens.get(account.id))

    def platform_tokens(self) -> dict[str, str]:
        """platform → the own token of the account `on(platform)` acts for (only those that have one)."""
        tokens: dict[str, str] = {}
        for account in self.accounts:
            if account.platform not in tokens and account.platform != self.platform \
                    and (token := self.account_tokens.get(account.id)):
                tokens[account.platform] = token
        if self.access_token:
            tokens[self.platform] = self.access_token
        return tokens

