"""Write the demo world (`agent_brain.demo.world`) into the business tables.

`today` defaults to today in the demo account's calendar (`agent_brain.clock`). The world is generated relative to it — metrics cover
the 60 days up to yesterday, leads and dialogs are recent — so a freshly seeded demo always looks
current ("spend yesterday", "leads this week" have answers) instead of ageing with the code.

Idempotent by construction: every row is either found by a natural key (a unique constraint:
directions by name, creatives by title, metrics by ad and date, dialogs by phone…) or gets a
deterministic id (uuid5 of the ad account id and the world's own key), and is written with
`INSERT … ON CONFLICT DO NOTHING`. Rows with no key of their own (stage changes, WhatsApp
messages, a new lead's purchases, a new dialog's analysis) are written only with a parent inserted
by the same run. So a second run on the same day writes nothing and leaves every row as it was
(the rollup is refreshed only over newly inserted metric days); a run on a later day only adds
rows whose keys are new (the days since, their leads) and never rewrites existing ones, so changes
made while playing with the demo survive. The business rows are written in one transaction under
an advisory lock, so concurrent seeds cannot interleave.

The seed does not touch the Graph sandbox: the sandbox builds its campaigns and insights from the
same `DemoWorld`, and both agree on every platform id.
"""

from __future__ import annotations

import time as clock
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import Row, Table, select, text
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from agent_brain.clock import today_in as clock_today
from agent_brain.db.models import (
    AdCreativeMapping,
    AgentNote,
    BusinessSpec,
    Creative,
    CreativeAnalysis,
    CreativeMetricsDaily,
    CreativeScore,
    CreativeTest,
    DialogAnalysis,
    Direction,
    FunnelStage,
    Lead,
    LeadStageChange,
    Purchase,
    WhatsAppDialog,
    WhatsAppMessage,
)
from agent_brain.demo.world import DEMO_TIMEZONE, DemoWorld, build_world
from agent_brain.platforms.sandbox.seed import seed_sandbox
from agent_brain.stores.users import UserStore

_LOCK_KEY = 0x0DE_05EED  # pg_advisory_xact_lock key: one demo seed at a time per database
_MAX_PARAMS = 30_000  # asyncpg allows 32 767 bind parameters per statement


@dataclass(frozen=True)
class DemoSeedReport:
    today: date
    user_id: uuid.UUID
    ad_account_id: uuid.UUID
    inserted: dict[str, int]  # rows written by this run, per table
    seconds: float

    @property
    def changed(self) -> bool:
        return any(self.inserted.values())

    def __str__(self) -> str:
        new = sum(self.inserted.values())
        return f"demo world for {self.today}: {new} new rows in {self.seconds:.1f} s" + ("" if new else " (up to date)")


DEMO_PLATFORMS = ("meta", "tiktok", "google")


async def seed_demo(engine: AsyncEngine, *, today: date | None = None,
                    platforms: Sequence[str] = ("meta",)) -> DemoSeedReport:
    """Seed (or top up) the demo user «demo», its sandbox ad account, its business data and the
    Graph sandbox's copy of the account. `platforms` with "tiktok"/"google" also fills those
    sandboxes with the clinic's accounts there and links them to the demo user."""
    started = clock.perf_counter()
    today = today or clock_today(DEMO_TIMEZONE)
    world = build_world(today)
    users = UserStore(engine)
    user = await users.get_or_create_user(world.user.name, language=world.user.language)
    account = await users.upsert_ad_account(
        user.id,
        external_id=world.account.external_id,
        name=world.account.name,
        currency=world.account.currency,
        timezone=world.account.timezone,
        is_sandbox=True,
    )
    async with engine.begin() as conn:
        await conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _LOCK_KEY})
        writer = _Writer(conn, user.id, account.id)
        await writer.write(world)
    # The Graph sandbox serves the same world: its campaigns, ad sets, ads and daily insights.
    writer.inserted.update(await seed_sandbox(engine, world))
    if {"tiktok", "google"} & set(platforms):
        await seed_other_platforms(engine, users, user.id, today, platforms, writer.inserted)
    return DemoSeedReport(
        today=today,
        user_id=user.id,
        ad_account_id=account.id,
        inserted=writer.inserted,
        seconds=clock.perf_counter() - started,
    )


class _Writer:
    def __init__(self, conn: AsyncConnection, user_id: uuid.UUID, account_id: uuid.UUID) -> None:
        self.conn = conn
        self.user_id = user_id
        self.account_id = account_id
        self.inserted: dict[str, int] = {}

    def uid(self, kind: str, key: str) -> uuid.UUID:
        """Deterministic primary key for rows that have no natural key of their own."""
        return uuid.uuid5(self.account_id, f"{kind}:{key}")

    async def insert(self, model: Any, rows: Sequence[dict[str, Any]], *returning: Any) -> list[Row[Any]]:
        """Multi-row INSERT … ON CONFLICT DO NOTHING; returns the rows actually inserted."""
        table: Table = model.__table__
        self.inserted.setdefault(table.name, 0)
        if not rows:
            return []
        cols = returning or tuple(table.primary_key.columns)
        per_statement = max(1, _MAX_PARAMS // len(rows[0]))
        out: list[Row[Any]] = []
        for i in range(0, len(rows), per_statement):
            stmt = pg_insert(table).values(list(rows[i : i + per_statement])).on_conflict_do_nothing()
            out.extend((await self.conn.execute(stmt.returning(*cols))).all())
        self.inserted[table.name] += len(out)
        return out

    async def ids_by(self, column: Any, *where: Any) -> dict[Any, uuid.UUID]:
        table = column.table
        rows = await self.conn.execute(select(column, table.c.id).where(*where))
        return dict(rows.all())

    async def write(self, world: DemoWorld) -> None:
        directions = await self.directions(world)
        creatives = await self.creatives(world, directions)
        await self.ads(world, directions, creatives)
        stages = await self.funnel(world)
        await self.leads(world, directions, creatives, stages)
        await self.dialogs(world)
        await self.memory(world)

    async def directions(self, world: DemoWorld) -> dict[str, uuid.UUID]:
        await self.insert(Direction, [
            {
                "user_id": self.user_id, "ad_account_id": self.account_id, "name": d.name,
                "objective": d.objective, "is_active": d.is_active, "campaign_status": d.campaign_status,
                "daily_budget_cents": d.daily_budget_cents, "target_cpl_cents": d.target_cpl_cents,
                "fb_campaign_id": d.fb_campaign_id, "fb_adset_id": d.fb_adset_id,
                "created_at": d.created_at, "updated_at": d.created_at,
            }
            for d in world.directions
        ])
        return await self.ids_by(Direction.__table__.c.name, Direction.ad_account_id == self.account_id)

    async def creatives(self, world: DemoWorld, directions: dict[str, uuid.UUID]) -> dict[str, uuid.UUID]:
        await self.insert(Creative, [
            {
                "user_id": self.user_id, "ad_account_id": self.account_id, "direction_id": directions.get(c.direction),
                "title": c.title, "media_type": c.media_type, "status": c.status, "fb_creative_id": c.fb_creative_id,
                "duration_seconds": c.duration_seconds, "transcript": c.transcript, "created_at": c.created_at,
            }
            for c in world.creatives
        ])
        ids = await self.ids_by(Creative.__table__.c.title, Creative.ad_account_id == self.account_id)
        await self.insert(CreativeAnalysis, [
            {
                "id": self.uid("creative_analysis", f"{c.title}/{n}"), "creative_id": ids[c.title],
                "score": a.score, "verdict": a.verdict, "summary": a.summary, "strengths": list(a.strengths),
                "weaknesses": list(a.weaknesses), "recommendations": list(a.recommendations), "model": a.model,
                "status": "completed", "created_at": a.created_at,
            }
            for c in world.creatives
            for n, a in enumerate(c.analyses)
        ])
        await self.insert(CreativeScore, [
            {
                "id": self.uid("creative_score", c.title), "creative_id": ids[c.title],
                "risk_score": c.risk.risk_score, "llm_score": c.risk.llm_score, "risk_level": c.risk.risk_level,
                "factors": list(c.risk.factors), "scored_at": c.risk.scored_at,
            }
            for c in world.creatives
        ])
        await self.insert(CreativeTest, [
            {
                "id": self.uid("creative_test", t.key), "creative_id": ids[t.creative_title],
                "direction_id": directions.get(t.direction), "status": t.status, "budget_cents": t.budget_cents,
                "fb_adset_id": t.fb_adset_id, "results": t.results.as_json(), "started_at": t.started_at,
                "ended_at": t.ended_at,
            }
            for t in world.creative_tests
        ])
        return ids

    async def ads(
        self, world: DemoWorld, directions: dict[str, uuid.UUID], creatives: dict[str, uuid.UUID]
    ) -> None:
        ads = list(world.ads())
        await self.insert(AdCreativeMapping, [
            {
                "ad_account_id": self.account_id, "fb_ad_id": ad.id, "fb_adset_id": ad.adset_id,
                "fb_campaign_id": ad.campaign_id, "creative_id": creatives[ad.creative_title],
                "direction_id": directions.get(ad.direction or ""), "created_at": ad.created_time,
            }
            for _, _, ad in ads
        ])
        new_days = await self.insert(CreativeMetricsDaily, [
            {
                "creative_id": creatives[ad.creative_title], "fb_ad_id": ad.id, "date": s.date,
                "impressions": s.impressions, "reach": s.reach, "clicks": s.clicks, "link_clicks": s.link_clicks,
                "spend_cents": s.spend_cents, "leads": s.leads, "video_views": s.video_views,
                "video_p25": s.video_p25, "video_p50": s.video_p50, "video_p75": s.video_p75,
                "video_p95": s.video_p95,
            }
            for _, _, ad in ads
            for s in ad.daily
        ], CreativeMetricsDaily.date)
        # Refreshing only when history grew keeps a repeated seed from touching the rollup at all.
        rollup = 0
        if new_days:
            dates = [row.date for row in new_days]
            rollup = (await self.conn.execute(
                text("SELECT refresh_direction_metrics_rollup(:date_from, :date_to)"),
                {"date_from": min(dates), "date_to": max(dates)},
            )).scalar_one()
        self.inserted["direction_metrics_rollup"] = rollup

    async def funnel(self, world: DemoWorld) -> dict[str, uuid.UUID]:
        await self.insert(FunnelStage, [
            {"user_id": self.user_id, "name": s.name, "position": s.position, "is_won": s.is_won, "is_lost": s.is_lost}
            for s in world.funnel_stages
        ])
        ids = await self.ids_by(FunnelStage.__table__.c.name, FunnelStage.user_id == self.user_id)
        missing = [s.name for s in world.funnel_stages if s.name not in ids]
        if missing:
            raise RuntimeError(f"the demo user's funnel lacks stages {missing}: another stage holds their position")
        return ids

    async def leads(
        self,
        world: DemoWorld,
        directions: dict[str, uuid.UUID],
        creatives: dict[str, uuid.UUID],
        stages: dict[str, uuid.UUID],
    ) -> None:
        inserted = await self.insert(Lead, [
            {
                "id": self.uid("lead", lead.key), "user_id": self.user_id, "ad_account_id": self.account_id,
                "name": lead.name, "phone": lead.phone, "email": lead.email, "stage_id": stages[lead.stage],
                "temperature": lead.temperature, "score": lead.score, "source": lead.source,
                "direction_id": directions.get(lead.direction),
                "creative_id": creatives.get(lead.creative_title or ""), "fb_ad_id": lead.fb_ad_id,
                "utm": dict(lead.utm), "notes": lead.notes, "created_at": lead.created_at,
                "updated_at": lead.updated_at,
            }
            for lead in world.leads
        ], Lead.id)
        new = {row.id for row in inserted}
        fresh = [(self.uid("lead", lead.key), lead) for lead in world.leads if self.uid("lead", lead.key) in new]
        await self.insert(LeadStageChange, [
            {
                "lead_id": lead_id, "from_stage_id": stages[c.from_stage] if c.from_stage else None,
                "to_stage_id": stages[c.to_stage], "changed_by": "system" if c.from_stage is None else "crm",
                "changed_at": c.at,
            }
            for lead_id, lead in fresh
            for c in lead.history
        ])
        fresh_keys = {lead.key: lead_id for lead_id, lead in fresh}
        await self.insert(Purchase, [
            {
                "id": self.uid("purchase", p.key), "user_id": self.user_id, "lead_id": fresh_keys[p.lead_key],
                "amount_cents": p.amount_cents, "currency": p.currency, "product": p.product,
                "purchased_at": p.purchased_at,
            }
            for p in world.purchases
            if p.lead_key in fresh_keys
        ])

    async def dialogs(self, world: DemoWorld) -> None:
        lead_ids = {d.lead_key: self.uid("lead", d.lead_key) for d in world.dialogs if d.lead_key}
        # A lead deleted while playing with the demo must not break a later seed's foreign key.
        present = set((await self.conn.execute(select(Lead.id).where(Lead.id.in_(lead_ids.values())))).scalars())
        linked = {key: lead_id for key, lead_id in lead_ids.items() if lead_id in present}
        inserted = await self.insert(WhatsAppDialog, [
            {
                "user_id": self.user_id, "phone": d.phone, "contact_name": d.contact_name,
                "lead_id": linked.get(d.lead_key or ""),
                "status": d.status, "message_count": len(d.messages), "last_message_at": d.last_message_at,
                "created_at": d.messages[0].sent_at,
            }
            for d in world.dialogs
        ], WhatsAppDialog.id, WhatsAppDialog.phone)
        new = {row.phone: row.id for row in inserted}
        fresh = [d for d in world.dialogs if d.phone in new]
        await self.insert(WhatsAppMessage, [
            {"dialog_id": new[d.phone], "direction": m.direction, "text": m.text, "sent_at": m.sent_at}
            for d in fresh
            for m in d.messages
        ])
        await self.insert(DialogAnalysis, [
            {
                "dialog_id": new[d.phone], "user_id": self.user_id, "language": d.language, "summary": d.summary,
                "tags": list(d.tags), "interest_level": d.interest_level, "objections": list(d.objections),
                "insights": {
                    "interests": list(d.interests), "objections": list(d.objections),
                    "next_action": d.next_action, "score": d.score, "scenario": d.scenario,
                },
                "analyzed_at": d.last_message_at,
            }
            for d in fresh
        ])

    async def memory(self, world: DemoWorld) -> None:
        noted_at = datetime.combine(world.metrics_end, time(17), tzinfo=UTC)
        spec = world.business_spec()
        await self.insert(BusinessSpec, [{
            "user_id": self.user_id, "ad_account_id": self.account_id, "tracking": spec["tracking"],
            "crm": spec["crm"], "kpi": spec["kpi"], "updated_at": noted_at,
        }])
        await self.insert(AgentNote, [
            {
                "user_id": self.user_id, "ad_account_id": self.account_id, "domain": n.domain, "text": n.text,
                "dedup_key": n.dedup_key, "source": "auto", "importance": n.importance,
                "created_at": noted_at + timedelta(minutes=i), "updated_at": noted_at + timedelta(minutes=i),
            }
            for i, n in enumerate(world.notes)
        ])


async def seed_other_platforms(engine: AsyncEngine, users: UserStore, user_id: uuid.UUID, today: date,
                               platforms: Sequence[str], inserted: dict[str, int]) -> None:
    """The clinic's TikTok and Google Ads accounts: their sandboxes, and the demo user's links."""
    from agent_brain.platforms.sandbox import platform_seed

    for table, n in (await platform_seed.seed_platform_sandboxes(engine, today)).items():
        inserted[table] = inserted.get(table, 0) + n
    for platform, external_id, label in (("tiktok", platform_seed.TIKTOK_ADVERTISER_ID, "TikTok"),
                                         ("google", platform_seed.GOOGLE_CUSTOMER_ID, "Google Ads")):
        if platform in platforms:
            await users.upsert_ad_account(user_id, platform=platform, external_id=external_id,
                                          name=f"{platform_seed.BUSINESS} — {label}", currency=platform_seed.CURRENCY,
                                          timezone=platform_seed.TIMEZONE, is_sandbox=True)

