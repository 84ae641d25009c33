"""Scheduled reports: «каждое утро в 9 присылай расходы и лиды за вчера», weekly summaries.

A schedule is a local time of the ad account (its time zone, not the server's). The job that sends
them claims due rows with `FOR UPDATE SKIP LOCKED` and moves `next_run_at` in the same
transaction, so a report goes out once however many workers run. Figures come from our metrics
tables (kept current by the metrics sync) and the CRM; the text says which days it covers.
Delivery is at most once: the schedule moves on before the message is written, so a crash in
between skips one report rather than sending it twice.
"""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import insert, select, text, update
from sqlalchemy.ext.asyncio import AsyncEngine

from agent_brain import clock
from agent_brain.automation.act import Notify, conversation_for
from agent_brain.db.models import AdAccount, ScheduledReport, User
from agent_brain.money import format_money
from agent_brain.stores.records import NewMessage
from agent_brain.stores.unified import UnifiedStore

log = logging.getLogger(__name__)

_DAILY = text("""
SELECT h.date, sum(h.spend_cents) AS spend, sum(h.leads) AS leads
FROM creative_metrics_history h JOIN ad_creative_mapping m ON m.fb_ad_id = h.fb_ad_id
WHERE m.ad_account_id = :account AND h.date BETWEEN :first AND :last
GROUP BY h.date ORDER BY h.date""")
_NEW_LEADS = text("""
SELECT count(*) FROM leads WHERE ad_account_id = :account
  AND created_at >= CAST(:first AS date)::timestamp AT TIME ZONE :tz
  AND created_at < (CAST(:last AS date) + 1)::timestamp AT TIME ZONE :tz""")


@dataclass(frozen=True)
class ReportScheduleSpec:
    kind: str  # daily | weekly
    hour: int
    minute: int = 0
    weekday: int | None = None  # weekly: 0 = Monday

    def describe(self, language: str) -> str:
        at = f"{self.hour:02d}:{self.minute:02d}"
        if language == "ru":
            days = ["понедельник", "вторник", "среду", "четверг", "пятницу", "субботу", "воскресенье"]
            return (f"каждый день в {at}: расходы и лиды за вчера" if self.kind == "daily"
                    else f"каждую неделю в {days[self.weekday or 0]} в {at}: итоги недели")
        days_en = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
        return (f"every day at {at}: yesterday's spend and leads" if self.kind == "daily"
                else f"every {days_en[self.weekday or 0]} at {at}: the week's summary")


def next_run(after: dt.datetime, timezone: str, spec: ReportScheduleSpec) -> dt.datetime:
    """The first moment strictly after `after` that is the schedule's local time in that zone."""
    tz = clock.zone(timezone)
    local = after.astimezone(tz)
    candidate = local.replace(hour=spec.hour, minute=spec.minute, second=0, microsecond=0)
    for _ in range(9):
        if candidate > local and (spec.weekday is None or candidate.weekday() == spec.weekday):
            return candidate.astimezone(dt.UTC)
        candidate = (candidate + dt.timedelta(days=1)).replace(hour=spec.hour, minute=spec.minute)
    raise AssertionError("a weekly schedule repeats within 8 days")


async def create_schedule(engine: AsyncEngine, user_id: uuid.UUID, ad_account_id: uuid.UUID,
                          spec: ReportScheduleSpec) -> uuid.UUID:
    async with engine.begin() as conn:
        timezone = (await conn.execute(select(AdAccount.timezone).where(AdAccount.id == ad_account_id))).scalar_one()
        return (await conn.execute(insert(ScheduledReport).values(
            user_id=user_id, ad_account_id=ad_account_id, kind=spec.kind, hour=spec.hour, minute=spec.minute,
            weekday=spec.weekday, next_run_at=next_run(clock.now(), timezone, spec))
            .returning(ScheduledReport.id))).scalar_one()


async def build_report(engine: AsyncEngine, ad_account_id: uuid.UUID, kind: str, *, today: dt.date,
                       timezone: str, language: str, currency: str) -> tuple[str, dict[str, Any]]:
    """The report's text and its daily series (for a chart), for the days before `today`."""
    ru = language == "ru"
    days = 1 if kind == "daily" else 7
    last = today - dt.timedelta(days=1)
    first = last - dt.timedelta(days=days - 1)
    chart_first = last - dt.timedelta(days=13 if kind == "weekly" else 6)
    async with engine.connect() as conn:
        rows = (await conn.execute(_DAILY, {"account": ad_account_id, "first": chart_first, "last": last})).all()
        new_leads = (await conn.execute(_NEW_LEADS, {"account": ad_account_id, "first": first, "last": last,
                                                     "tz": timezone or "UTC"})).scalar_one()
    by_day = {r.date: (int(r.spend), int(r.leads)) for r in rows}
    spend = sum(s for d, (s, _) in by_day.items() if first <= d <= last)
    leads = sum(n for d, (_, n) in by_day.items() if first <= d <= last)
    cpl = format_money(round(spend / leads), currency) if leads else "—"
    period = str(last) if days == 1 else f"{first} — {last}"
    if ru:
        lines = [f"📊 {'Отчёт за' if days == 1 else 'Итоги недели'} {period}",
                 f"Расход: {format_money(spend, currency)} · лиды (реклама): {leads} · CPL: {cpl}",
                 f"Новых лидов в CRM: {new_leads}"]
    else:
        lines = [f"📊 {'Report for' if days == 1 else 'Week in review'} {period}",
                 f"Spend: {format_money(spend, currency)} · leads (ads): {leads} · CPL: {cpl}",
                 f"New CRM leads: {new_leads}"]
    if kind == "weekly":
        prev = [by_day.get(first - dt.timedelta(days=k + 1), (0, 0)) for k in range(7)]
        prev_spend, prev_leads = sum(s for s, _ in prev), sum(n for _, n in prev)
        if prev_spend:
            change = round(100 * (spend - prev_spend) / prev_spend)
            lines.append(f"К прошлой неделе: расход {change:+d}%, лиды {leads - prev_leads:+d}" if ru
                          else f"Against the week before: spend {change:+d}%, leads {leads - prev_leads:+d}")
    if not by_day:
        lines.append("Данных о рекламе за эти дни нет." if ru else "No advertising data for these days.")
    series = [{"date": (chart_first + dt.timedelta(days=k)).isoformat(),
               "spend_cents": by_day.get(chart_first + dt.timedelta(days=k), (0, 0))[0],
               "leads": by_day.get(chart_first + dt.timedelta(days=k), (0, 0))[1]}
              for k in range((last - chart_first).days + 1)]
    return "\n".join(lines), {"series": series, "period": {"from": first.isoformat(), "to": last.isoformat()},
                              "total": {"spend_cents": spend, "leads": leads}, "currency": currency}


async def send_due_reports(engine: AsyncEngine, store: UnifiedStore, *, now: dt.datetime | None = None,
                           notify: Notify | None = None) -> int:
    """Send every report whose time has come, each exactly once (claimed and rescheduled atomically)."""
    now = now or clock.now()
    sent = 0
    while True:
        async with engine.begin() as conn:
            row = (await conn.execute(
                select(ScheduledReport.__table__, AdAccount.timezone, AdAccount.currency, User.language)
                .join(AdAccount, AdAccount.id == ScheduledReport.ad_account_id)
                .join(User, User.id == ScheduledReport.user_id)
                .where(ScheduledReport.enabled, ScheduledReport.next_run_at <= now)
                .order_by(ScheduledReport.next_run_at).limit(1)
                .with_for_update(of=ScheduledReport, skip_locked=True))).first()
            if row is None:
                return sent
            report = row
            spec = ReportScheduleSpec(report.kind, report.hour, report.minute, report.weekday)
            language = row.language or "ru"
            body, payload = await build_report(engine, report.ad_account_id, report.kind,
                                               today=clock.today_in(row.timezone), timezone=row.timezone,
                                               language=language, currency=row.currency)
            await conn.execute(update(ScheduledReport).where(ScheduledReport.id == report.id).values(
                next_run_at=next_run(now, row.timezone, spec), last_sent_at=now))
        conversation_id = await conversation_for(engine, store, report.user_id)
        await store.add_message(conversation_id, NewMessage(role="assistant", content=body, domain="automation",
                                                            tool_name="scheduledReport", tool_result=payload))
        if notify:
            try:
                await notify(report.user_id, conversation_id, body, {"chart": payload})
            except Exception:  # the report is in the conversation; a Telegram hiccup is not a resend
                log.exception("report %s: delivery beyond the conversation failed", report.id)
        sent += 1
