"""Creative writes that create objects (a launch, an A/B test, an analysis) are settled by reading
back, like every other write: an answer lost after the Graph call (a timeout) or a process that died
there leaves the journal row `unknown`/`sent`; the retry or `recover()` finds what the call made and
never makes it twice. Real PostgreSQL, the Graph sandbox, the demo world."""

from __future__ import annotations

import dataclasses
import datetime as dt
import uuid
from typing import Any

from sqlalchemy import text
from tool_calls import make_callers

from agent_brain.agents.creative.tools import tools
from agent_brain.journal.records import ActionOrigin, WriteTarget
from agent_brain.journal.recovery import recover
from agent_brain.journal.store import ActionJournal
from agent_brain.platforms.meta.adapter import MetaAdapter
from agent_brain.tools.context import ToolContext

DRAFT = "Рассрочка 0% на имплантацию"
VENEERS = "Белоснежная улыбка"
IMPLANT = "Имплантация за 1 день"
NOW = dt.timedelta(0)

call, ok = make_callers(tools)


class LostAnswer(MetaAdapter):
    """The write reaches the platform (or not, `land=False`) and then the answer is lost: a timeout."""

    def __init__(self, inner: MetaAdapter, method: str, *, land: bool = True) -> None:
        super().__init__(inner.client)
        self._method, self._land = method, land

    async def create_ad(self, *args: Any, **kwargs: Any) -> Any:
        return await self._maybe_lose("create_ad", super().create_ad, *args, **kwargs)

    async def set_status(self, object_id: str, status: Any, **kwargs: Any) -> Any:
        if self._method == "set_status" and status != "ACTIVE":
            return await super().set_status(object_id, status, **kwargs)
        return await self._maybe_lose("set_status", super().set_status, object_id, status, **kwargs)

    async def _maybe_lose(self, method: str, real: Any, /, *args: Any, **kwargs: Any) -> Any:
        if method != self._method or kwargs.get("validate_only"):
            return await real(*args, **kwargs)
        if self._land:
            await real(*args, **kwargs)
        raise TimeoutError(f"{method}: no answer")


async def sql(ctx: ToolContext, query: str, **params: Any) -> list[Any]:
    async with ctx.engine.connect() as conn:
        return list((await conn.execute(text(query), params)).all())


async def launch_setup(ctx: ToolContext) -> tuple[str, str, str]:
    [row] = await sql(ctx, "SELECT c.id, d.id AS direction_id, d.fb_adset_id, c.fb_creative_id FROM creatives c "
                           "JOIN directions d ON d.id = c.direction_id WHERE c.title = :t AND c.user_id = :u",
                      t=DRAFT, u=ctx.user_id)
    return str(row.id), str(row.direction_id), row.fb_adset_id


async def ads_of(ctx: ToolContext, ad_set_id: str, cid: str) -> list[Any]:
    [fb_creative] = await sql(ctx, "SELECT fb_creative_id FROM creatives WHERE id = :c", c=uuid.UUID(cid))
    return [ad for ad in await ctx.meta.list_ads(ad_set_id=ad_set_id) if ad.creative_id == fb_creative.fb_creative_id]


async def rows(ctx: ToolContext, tool: str) -> list[Any]:
    return await sql(ctx, "SELECT id, status, idempotency_key FROM ai_actions WHERE tool = :t ORDER BY created_at",
                     t=tool)


async def key_status(ctx: ToolContext, key: str) -> str:
    [row] = await sql(ctx, "SELECT status FROM ai_idempotent_operations WHERE operation_key = :k", k=key)
    return row.status


async def test_a_launch_whose_answer_was_lost_is_settled_by_the_retry_without_a_second_ad(tool_ctx) -> None:  # type: ignore[no-untyped-def]
    cid, direction, ad_set_id = await launch_setup(tool_ctx)
    lost = dataclasses.replace(tool_ctx, meta=LostAnswer(tool_ctx.meta, "create_ad"))
    first = await call(lost, "launchCreative", creativeId=cid, directionId=direction)
    assert not first.success
    [row] = await rows(tool_ctx, "launchCreative")
    assert row.status == "unknown"
    again = await ok(tool_ctx, "launchCreative", creativeId=cid, directionId=direction)
    assert again.get("settled") is True and again["verification"]["verified"]
    [ad] = await ads_of(tool_ctx, ad_set_id, cid)  # one ad, the one the lost call made
    assert ad.status == "ACTIVE"
    assert [r.fb_ad_id for r in await sql(tool_ctx, "SELECT fb_ad_id FROM ad_creative_mapping WHERE creative_id = :c",
                                          c=uuid.UUID(cid))] == [ad.id]
    assert [r.status for r in await rows(tool_ctx, "launchCreative")] == ["verified"]


async def test_recovery_settles_a_launch_that_reached_the_platform_and_records_its_ad(tool_ctx) -> None:  # type: ignore[no-untyped-def]
    cid, direction, ad_set_id = await launch_setup(tool_ctx)
    lost = dataclasses.replace(tool_ctx, meta=LostAnswer(tool_ctx.meta, "create_ad"))
    assert not (await call(lost, "launchCreative", creativeId=cid, directionId=direction)).success
    # The process died right after the call: our bookkeeping never happened.
    assert await sql(tool_ctx, "SELECT 1 FROM ad_creative_mapping WHERE creative_id = :c", c=uuid.UUID(cid)) == []

    report = await recover(tool_ctx.engine, tool_ctx.meta, grace=NOW)
    assert report.applied == 1 and report.unresolved == 0
    [row] = await rows(tool_ctx, "launchCreative")
    assert row.status == "verified" and await key_status(tool_ctx, row.idempotency_key) == "succeeded"
    [ad] = await ads_of(tool_ctx, ad_set_id, cid)
    [mapped] = await sql(tool_ctx, "SELECT fb_ad_id, fb_adset_id, direction_id FROM ad_creative_mapping "
                                   "WHERE creative_id = :c", c=uuid.UUID(cid))
    assert (mapped.fb_ad_id, mapped.fb_adset_id, str(mapped.direction_id)) == (ad.id, ad_set_id, direction)
    [creative] = await sql(tool_ctx, "SELECT status FROM creatives WHERE id = :c", c=uuid.UUID(cid))
    assert creative.status == "active"
    twice = await call(tool_ctx, "launchCreative", creativeId=cid, directionId=direction)
    assert not twice.success and twice.error_code == "already_running"
    assert len(await ads_of(tool_ctx, ad_set_id, cid)) == 1


async def test_recovery_fails_a_launch_that_never_reached_the_platform_so_it_may_run_again(tool_ctx) -> None:  # type: ignore[no-untyped-def]
    cid, direction, ad_set_id = await launch_setup(tool_ctx)
    lost = dataclasses.replace(tool_ctx, meta=LostAnswer(tool_ctx.meta, "create_ad", land=False))
    assert not (await call(lost, "launchCreative", creativeId=cid, directionId=direction)).success
    report = await recover(tool_ctx.engine, tool_ctx.meta, grace=NOW)
    assert report.not_applied == 1 and report.applied == 0
    [row] = await rows(tool_ctx, "launchCreative")
    assert row.status == "failed" and await key_status(tool_ctx, row.idempotency_key) == "failed"
    assert await ads_of(tool_ctx, ad_set_id, cid) == []
    launched = await ok(tool_ctx, "launchCreative", creativeId=cid, directionId=direction)
    assert launched["verification"]["verified"] and len(await ads_of(tool_ctx, ad_set_id, cid)) == 1


async def test_recovery_settles_a_creative_test_by_the_test_it_created(tool_ctx) -> None:  # type: ignore[no-untyped-def]
    [c] = await sql(tool_ctx, "SELECT id FROM creatives WHERE title = :t AND user_id = :u", t=VENEERS, u=tool_ctx.user_id)
    lost = dataclasses.replace(tool_ctx, meta=LostAnswer(tool_ctx.meta, "set_status"))
    assert not (await call(lost, "startCreativeTest", creativeId=str(c.id), budgetCents=2000)).success
    [row] = await rows(tool_ctx, "startCreativeTest")
    assert row.status == "unknown"
    report = await recover(tool_ctx.engine, tool_ctx.meta, grace=NOW)
    assert report.applied == 1
    [row] = await rows(tool_ctx, "startCreativeTest")
    assert row.status == "verified" and await key_status(tool_ctx, row.idempotency_key) == "succeeded"
    [test] = await sql(tool_ctx, "SELECT fb_adset_id FROM creative_tests WHERE creative_id = :c AND status = 'running'",
                       c=c.id)
    assert (await tool_ctx.meta.get_ad_set(test.fb_adset_id)).status == "ACTIVE"


async def test_recovery_fails_a_creative_test_that_was_never_recorded(tool_ctx) -> None:  # type: ignore[no-untyped-def]
    [c] = await sql(tool_ctx, "SELECT id FROM creatives WHERE title = :t AND user_id = :u", t=VENEERS, u=tool_ctx.user_id)
    lost = dataclasses.replace(tool_ctx, meta=LostAnswer(tool_ctx.meta, "create_ad"))  # dies before the test row
    assert not (await call(lost, "startCreativeTest", creativeId=str(c.id), budgetCents=2000)).success
    report = await recover(tool_ctx.engine, tool_ctx.meta, grace=NOW)
    assert report.not_applied == 1
    assert [r.status for r in await rows(tool_ctx, "startCreativeTest")] == ["failed"]


async def test_recovery_settles_an_analysis_by_its_planned_id(tool_ctx) -> None:  # type: ignore[no-untyped-def]
    [c] = await sql(tool_ctx, "SELECT id, title FROM creatives WHERE title = :t AND user_id = :u", t=IMPLANT,
                    u=tool_ctx.user_id)
    done = await ok(tool_ctx, "triggerCreativeAnalysis", creativeId=str(c.id))
    stored = done["result"]["item"]["id"]
    journal = ActionJournal(tool_ctx.engine)
    # One row whose analysis was stored before the crash, one whose analysis never was.
    ids = []
    for analysis_id in (stored, str(uuid.uuid4())):
        action = await journal.intend(
            origin=ActionOrigin(user_id=tool_ctx.user_id, owner="dead-process"), tool="triggerCreativeAnalysis",
            platform="meta", account_id=tool_ctx.platform_account_id,
            target=WriteTarget("creative", str(c.id), c.title), args={"creativeId": str(c.id), "n": analysis_id},
            expected={"analysis_id": analysis_id}, before={"analysis_id": None}, key=f"k-{analysis_id}",
            reversible=False)
        await journal.move(action, "sent")
        ids.append(action)
    report = await recover(tool_ctx.engine, tool_ctx.meta, grace=NOW)
    assert report.applied == 1 and report.not_applied == 1 and report.unresolved == 0
    assert [(await journal.get(i, user_id=tool_ctx.user_id)).status for i in ids] == ["verified", "failed"]
