"""Built-in alerts, checked hourly for every account, each sent once (deduplicated by a key).

* `cpl_over_target` — a direction's CPL yesterday above its target (the direction's own, else the
  KPI spec's `target_cpl_by_direction` / `target_cpl_cents`); on TikTok and Google Ads accounts
  (no directions there) each campaign's CPL yesterday from `ad_daily_metrics` against `target_cpl_cents`;
* `spend_spike` — yesterday's spend above 1.5 × the average of the 7 days before (and ≥ $10), on every
  platform (TikTok and Google Ads accounts from `ad_daily_metrics`);
* `creative_fatigue` — over the last 3 days a creative's frequency rose ≥ 20 % and its CTR fell ≥ 20 %
  against the 7 days before (with ≥ 1,000 impressions), once a week per creative;
* `no_leads` — during working hours (09–21 in the account's zone) the ads spent today but no CRM
  lead arrived in the last 4 hours, once per 4-hour block;
* `token_expiry` — the token the account is reached with expires within 7 days, then within 1 day,
  or has expired / is no longer valid (`agent_brain.automation.token_alerts`): once per stage.

The dedup key (kind, object, period) is unique per account: a second worker, or a second run in the
same period, inserts nothing and sends nothing.
"""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncEngine

from agent_brain import clock
from agent_brain.automation.act import Notify, conversation_for
from agent_brain.automation.token_alerts import platform_token_state, token_findings
from agent_brain.db.models import AdAccount, AlertEvent, User
from agent_brain.memory.specs import BusinessSpecsStore, target_cpl_cents
from agent_brain.money import format_money
from agent_brain.platforms.meta.adapter import MetaAdapter
from agent_brain.stores.records import NewMessage
from agent_brain.stores.unified import UnifiedStore

log = logging.getLogger(__name__)

SPIKE_FACTOR, SPIKE_MIN_CENTS = 1.5, 1000
FATIGUE_CHANGE, FATIGUE_MIN_IMPRESSIONS = 0.2, 1000
WORKING_HOURS, QUIET_HOURS = range(9, 21), 4

_DIRECTIONS_YESTERDAY = text("""
SELECT d.id, d.name, d.target_cpl_cents, r.spend_cents, r.leads
FROM directions d JOIN direction_metrics_rollup r ON r.direction_id = d.id AND r.date = :day
WHERE d.ad_account_id = :account AND r.spend_cents > 0""")
_ACCOUNT_DAYS = text("""
SELECT h.date, sum(h.spend_cents)::bigint AS spend FROM creative_metrics_history h
JOIN ad_creative_mapping m ON m.fb_ad_id = h.fb_ad_id
WHERE m.ad_account_id = :account AND h.date BETWEEN :first AND :last GROUP BY h.date""")
# TikTok and Google Ads accounts: their ad-days as the metrics sync loaded them (all platforms, one schema).
_PLATFORM_DAYS = text("""
SELECT date, sum(spend_cents)::bigint AS spend FROM ad_daily_metrics
WHERE ad_account_id = :account AND date BETWEEN :first AND :last GROUP BY date""")
_PLATFORM_NAMES = {"tiktok": "TikTok", "google": "Google Ads"}
_PLATFORM_CAMPAIGNS_YESTERDAY = text("""
SELECT campaign_id, sum(spend_cents)::bigint AS spend, sum(leads)::bigint AS leads FROM ad_daily_metrics
WHERE ad_account_id = :account AND date = :day AND campaign_id IS NOT NULL
GROUP BY campaign_id HAVING sum(spend_cents) > 0 ORDER BY campaign_id""")
_CREATIVE_TREND = text("""
SELECT c.id, c.title,
  (sum(h.impressions) FILTER (WHERE h.date > :split))::bigint AS imp_new, (sum(h.reach) FILTER (WHERE h.date > :split))::bigint AS reach_new,
  (sum(h.clicks) FILTER (WHERE h.date > :split))::bigint AS clicks_new,
  (sum(h.impressions) FILTER (WHERE h.date <= :split))::bigint AS imp_old, (sum(h.reach) FILTER (WHERE h.date <= :split))::bigint AS reach_old,
  (sum(h.clicks) FILTER (WHERE h.date <= :split))::bigint AS clicks_old
FROM creatives c JOIN creative_metrics_history h ON h.creative_id = c.id
WHERE c.ad_account_id = :account AND h.date BETWEEN :first AND :last GROUP BY c.id, c.title""")
_RECENT_LEADS = text("SELECT count(*) FROM leads WHERE ad_account_id = :account AND created_at >= :since")


async def check_alerts(engine: AsyncEngine, store: UnifiedStore, *, now: dt.datetime | None = None,
                       notify: Notify | None = None, platform: MetaAdapter | None = None) -> int:
    """Check every account; send what is new. Returns how many alerts went out. With `platform`, the
    expiry of its token (debug_token) is checked for the accounts reached with it."""
    now = now or clock.now()
    async with engine.connect() as conn:
        accounts = (await conn.execute(select(AdAccount.id, AdAccount.user_id, AdAccount.timezone, AdAccount.currency,
                                              AdAccount.name, AdAccount.token_expires_at, AdAccount.platform,
                                              User.language)
                                       .join(User, User.id == AdAccount.user_id))).all()
    platform_token = await platform_token_state(platform) if platform is not None else None
    sent = 0
    for account in accounts:
        try:
            found = await _findings(engine, account, now) + token_findings(
                account, now, platform_token if account.platform == "meta" else None)  # the Meta token only
        except Exception:  # one account's data problem never stops the others' alerts
            log.exception("alerts for account %s failed", account.id)
            continue
        for kind, object_id, key, message, detail in found:
            sent += await _send_once(engine, store, account, kind, object_id, key, message, detail, notify)
    return sent


async def _findings(engine: AsyncEngine, account: Any, now: dt.datetime) -> list[tuple[str, str, str, str, dict]]:
    ru = (account.language or "ru") == "ru"
    money = lambda cents: format_money(round(cents), account.currency)  # noqa: E731
    local = now.astimezone(clock.zone(account.timezone))
    today = local.date()
    yesterday = today - dt.timedelta(days=1)
    spec = await BusinessSpecsStore(engine).get(account.user_id, account.id)
    out: list[tuple[str, str, str, str, dict]] = []
    async with engine.connect() as conn:
        for d in (await conn.execute(_DIRECTIONS_YESTERDAY, {"day": yesterday, "account": account.id})).all():
            target = d.target_cpl_cents or target_cpl_cents(spec, d.name)
            cpl = d.spend_cents / max(d.leads, 1)
            if target and cpl > target:
                out.append(("cpl_over_target", str(d.id), f"cpl:{d.id}:{yesterday}",
                            f"⚠️ CPL направления «{d.name}» вчера {money(cpl)} — выше цели {money(target)}." if ru else
                            f"⚠️ Direction “{d.name}” had a CPL of {money(cpl)} yesterday — above the {money(target)} target.",
                            {"cpl_cents": round(cpl), "target_cents": target, "day": str(yesterday)}))
        other = _PLATFORM_NAMES.get(account.platform)
        target = target_cpl_cents(spec) if other else None
        for c in (await conn.execute(_PLATFORM_CAMPAIGNS_YESTERDAY, {"day": yesterday, "account": account.id})).all() \
                if target else []:
            cpl = c.spend / max(c.leads, 1)
            if cpl > target:
                out.append(("cpl_over_target", c.campaign_id, f"cpl:{c.campaign_id}:{yesterday}",
                            f"⚠️ CPL кампании {c.campaign_id} ({other}) вчера {money(cpl)} — выше цели {money(target)}."
                            if ru else f"⚠️ Campaign {c.campaign_id} ({other}) had a CPL of {money(cpl)} yesterday — "
                            f"above the {money(target)} target.",
                            {"cpl_cents": round(cpl), "target_cents": target, "day": str(yesterday),
                             "platform": account.platform}))
        days = {r.date: int(r.spend) for r in (await conn.execute(_PLATFORM_DAYS if other else _ACCOUNT_DAYS, {
            "account": account.id, "first": yesterday - dt.timedelta(days=7), "last": today})).all()}
        before = [days.get(yesterday - dt.timedelta(days=k), 0) for k in range(1, 8)]
        avg = sum(before) / 7
        if days.get(yesterday, 0) >= SPIKE_MIN_CENTS and avg and days[yesterday] > SPIKE_FACTOR * avg:
            where = f" ({other})" if other else ""
            out.append(("spend_spike", "account", f"spike:{yesterday}",
                        f"⚠️ Расход{where} вчера {money(days[yesterday])} — в {days[yesterday] / avg:.1f} раза выше "
                        f"среднего за неделю ({money(avg)})." if ru else
                        f"⚠️ Spend{where} yesterday was {money(days[yesterday])} — {days[yesterday] / avg:.1f}× the "
                        f"week's average ({money(avg)}).", {"spend_cents": days[yesterday], "average_cents": round(avg)}))
        split = yesterday - dt.timedelta(days=3)
        week = today.isocalendar()
        for c in (await conn.execute(_CREATIVE_TREND, {"account": account.id, "split": split,
                                                       "first": split - dt.timedelta(days=6), "last": yesterday})).all():
            if not (c.imp_new and c.imp_new >= FATIGUE_MIN_IMPRESSIONS and c.imp_old and c.reach_new and c.reach_old):
                continue
            freq_new, freq_old = c.imp_new / c.reach_new, c.imp_old / c.reach_old
            ctr_new, ctr_old = c.clicks_new / c.imp_new, c.clicks_old / c.imp_old
            if freq_new >= freq_old * (1 + FATIGUE_CHANGE) and ctr_old and ctr_new <= ctr_old * (1 - FATIGUE_CHANGE):
                out.append(("creative_fatigue", str(c.id), f"fatigue:{c.id}:{week.year}-{week.week}",
                            f"🔥 Креатив «{c.title}» выгорает: частота {freq_old:.2f} → {freq_new:.2f}, "
                            f"CTR {100 * ctr_old:.2f}% → {100 * ctr_new:.2f}%." if ru else
                            f"🔥 Creative “{c.title}” is burning out: frequency {freq_old:.2f} → {freq_new:.2f}, "
                            f"CTR {100 * ctr_old:.2f}% → {100 * ctr_new:.2f}%.",
                            {"frequency": [round(freq_old, 2), round(freq_new, 2)],
                             "ctr": [round(100 * ctr_old, 2), round(100 * ctr_new, 2)]}))
        if local.hour in WORKING_HOURS and local.hour - QUIET_HOURS >= WORKING_HOURS.start and days.get(today, 0) > 0:
            recent = (await conn.execute(_RECENT_LEADS, {"account": account.id,
                                                         "since": now - dt.timedelta(hours=QUIET_HOURS)})).scalar_one()
            if not recent:
                out.append(("no_leads", "account", f"noleads:{today}:{local.hour // QUIET_HOURS}",
                            f"⚠️ Реклама сегодня тратит ({money(days[today])}), а новых лидов нет уже "
                            f"{QUIET_HOURS} ч." if ru else
                            f"⚠️ The ads are spending today ({money(days[today])}) but no lead has come in for "
                            f"{QUIET_HOURS} h.", {"spend_today_cents": days[today]}))
    return out


async def _send_once(engine: AsyncEngine, store: UnifiedStore, account: Any, kind: str, object_id: str, key: str,
                     message: str, detail: dict[str, Any], notify: Notify | None) -> int:
    async with engine.begin() as conn:
        inserted = (await conn.execute(pg_insert(AlertEvent).values(
            user_id=account.user_id, ad_account_id=account.id, kind=kind, object_id=object_id, dedup_key=key,
            message=message, detail=detail, created_at=clock.now())
            .on_conflict_do_nothing(constraint="uq_alert_events_dedup").returning(AlertEvent.id))).scalar()
    if inserted is None:
        return 0
    conversation_id: uuid.UUID = await conversation_for(engine, store, account.user_id)
    await store.add_message(conversation_id, NewMessage(role="assistant", content=message, domain="automation"))
    if notify:
        try:
            await notify(account.user_id, conversation_id, message, None)
        except Exception:
            log.exception("alert %s: delivery beyond the conversation failed", key)
    return 1
