"""Token-expiry alerts: warn before the token an ad account is reached with stops working.

The expiry comes from the account's stored `token_expires_at` (its own token, recorded when it was
linked) or else from the platform token's `debug_token` (one call per check, not per account). Three
stages, each sent once per expiry (the dedup key carries the expiry date, so a renewed token starts
over): 7 days before, 1 day before, and expired or no longer valid.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from typing import Any

from agent_brain import clock
from agent_brain.platforms.graph.errors import TokenExpiredError
from agent_brain.platforms.meta.adapter import MetaAdapter

log = logging.getLogger(__name__)

WARN_BEFORE = (("1d", dt.timedelta(days=1)), ("7d", dt.timedelta(days=7)))  # the nearest stage first


@dataclass(frozen=True)
class TokenState:
    valid: bool
    expires_at: dt.datetime | None  # None: never expires


async def platform_token_state(platform: MetaAdapter) -> TokenState | None:
    """The platform token's validity and expiry, or None if it cannot be read now (checked next hour)."""
    try:
        valid, expires = await platform.token_expiry()
    except TokenExpiredError:  # Graph refuses an expired or revoked token even for debug_token
        return TokenState(False, None)
    except Exception:
        log.warning("token expiry: debug_token failed", exc_info=True)
        return None
    return TokenState(valid, expires)


def token_findings(account: Any, now: dt.datetime, platform: TokenState | None) -> list[tuple[str, str, str, str, dict]]:
    """The alert due for `account`'s token now, in the shape `alerts` sends (kind, object, key, text, detail)."""
    state = (TokenState(True, account.token_expires_at) if account.token_expires_at is not None else platform)
    if state is None or (state.valid and state.expires_at is None):
        return []
    ru = (account.language or "ru") == "ru"
    name = account.name
    if state.expires_at is None or not state.valid or state.expires_at <= now:
        day = (state.expires_at.date().isoformat() if state.expires_at is not None and state.expires_at <= now
               else clock.today_in(account.timezone).isoformat())
        text = (f"⛔ Доступ к рекламному кабинету «{name}» больше не действует: токен истёк или отозван. "
                "Переподключите кабинет — до этого отчёты, правила и синхронизация не работают." if ru else
                f"⛔ Access to the ad account “{name}” no longer works: the token expired or was revoked. "
                "Reconnect the account — until then reports, rules and the sync stop.")
        return [("token_expiry", "token", f"token:expired:{day}", text, {"stage": "expired", "valid": state.valid})]
    left = state.expires_at - now
    stage = next((s for s, before in WARN_BEFORE if left <= before), None)
    if stage is None:
        return []
    local = state.expires_at.astimezone(clock.zone(account.timezone))
    when = local.strftime("%d.%m.%Y %H:%M") if ru else local.strftime("%Y-%m-%d %H:%M")
    days = left.days
    within = ((f"через {days} дн." if days >= 1 else f"через {max(1, left.seconds // 3600)} ч") if ru
              else (f"in {days} day{'s' if days != 1 else ''}" if days >= 1
                    else f"in {max(1, left.seconds // 3600)} h"))
    text = (f"🔑 Токен доступа к рекламному кабинету «{name}» истекает {within} ({when}). Переподключите кабинет, "
            "чтобы отчёты и правила не остановились." if ru else
            f"🔑 The access token of the ad account “{name}” expires {within} ({when}). Reconnect the account so "
            "reports and rules keep running.")
    return [("token_expiry", "token", f"token:{state.expires_at.date().isoformat()}:{stage}", text,
             {"stage": stage, "expires_at": state.expires_at.isoformat()})]
