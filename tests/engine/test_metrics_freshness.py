"""Answers that read stored metrics quote their freshness from `metrics_sync_runs` («данные на 14:05»):
the account's latest completed sync, on the account's clock; nothing when the account was never synced.
Offline model, real PostgreSQL, the demo world."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import text
from turns import final_text, new_conversation, turn

from agent_brain import clock


async def _sync_run(engine, account_id, finished: dt.datetime, status: str = "completed") -> None:  # type: ignore[no-untyped-def]
    async with engine.begin() as conn:
        await conn.execute(text(
            "INSERT INTO metrics_sync_runs (ad_account_id, kind, date_from, date_to, status, started_at, finished_at) "
            "VALUES (:a, 'recent', :d, :d, :s, :f, :f)"), {"a": account_id, "d": finished.date(), "s": status,
                                                          "f": finished})


async def _account(engine):  # type: ignore[no-untyped-def]
    async with engine.connect() as conn:
        return (await conn.execute(text("SELECT id, timezone FROM ad_accounts"))).one()


def _label(at: dt.datetime, zone: str) -> str:
    local = at.astimezone(clock.zone(zone))
    return local.strftime("%H:%M") if local.date() == clock.today_in(zone) else local.strftime("%d.%m %H:%M")


async def test_metrics_answers_quote_the_last_completed_sync(product) -> None:  # type: ignore[no-untyped-def]
    orch, user_id, engine = product["build"](), product["user_id"], product["engine"]
    account = await _account(engine)
    conv = await new_conversation(orch, user_id)

    never = await turn(orch, user_id, conv, "Какие направления активны?")
    result = next(e for e in never if e["type"] == "tool_result")["result"]
    assert "data_as_of" not in result and "Данные на" not in final_text(never)  # never synced: nothing to quote

    synced = clock.now().replace(second=0, microsecond=0) - dt.timedelta(minutes=50)
    await _sync_run(engine, account.id, synced - dt.timedelta(hours=1))
    await _sync_run(engine, account.id, synced)
    await _sync_run(engine, account.id, synced + dt.timedelta(minutes=40), status="failed")  # not quoted
    answer = await turn(orch, user_id, conv, "Какие направления активны?")
    as_of = next(e for e in answer if e["type"] == "tool_result")["result"]["data_as_of"]
    assert as_of["local"] == _label(synced, account.timezone)
    assert f"Данные на {as_of['local']}." in final_text(answer)

    english = await turn(orch, user_id, conv, "Top 5 creatives by CPL")
    assert f"Data as of {_label(synced, account.timezone)}." in final_text(english)


async def test_a_sync_on_an_earlier_day_is_quoted_with_its_date(product) -> None:  # type: ignore[no-untyped-def]
    orch, user_id, engine = product["build"](), product["user_id"], product["engine"]
    account = await _account(engine)
    earlier = dt.datetime.combine(clock.today_in(account.timezone) - dt.timedelta(days=2), dt.time(14, 5),
                                  clock.zone(account.timezone))
    await _sync_run(engine, account.id, earlier)
    answer = await turn(orch, user_id, await new_conversation(orch, user_id), "Какие направления активны?")
    assert f"Данные на {earlier.strftime('%d.%m')} 14:05." in final_text(answer)
