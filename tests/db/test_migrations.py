"""Alembic migrations against a real PostgreSQL."""

from __future__ import annotations

from sqlalchemy import inspect, text
from sqlalchemy.ext.asyncio import AsyncEngine

from agent_brain.db import migrate
from agent_brain.db.models import Base

JOB_QUEUE_TABLES = {"procrastinate_jobs", "procrastinate_events", "procrastinate_periodic_defers", "procrastinate_workers"}


async def _tables(engine: AsyncEngine) -> set[str]:
    async with engine.connect() as conn:
        return set(await conn.run_sync(lambda c: inspect(c).get_table_names())) - {"alembic_version"}


async def _procrastinate_objects(engine: AsyncEngine) -> int:
    async with engine.connect() as conn:
        return (await conn.execute(text(
            "SELECT (SELECT count(*) FROM pg_proc WHERE proname LIKE 'procrastinate%') "
            "+ (SELECT count(*) FROM pg_type WHERE typname LIKE 'procrastinate%' AND typtype IN ('e', 'c'))"))).scalar_one()


async def test_upgrade_downgrade_upgrade_round_trip(engine: AsyncEngine) -> None:
    assert await _tables(engine) == set(Base.metadata.tables) | JOB_QUEUE_TABLES
    await migrate.downgrade(engine, "base")
    assert await _tables(engine) == set()
    assert await _procrastinate_objects(engine) == 0  # the job queue's functions and types went too
    await migrate.upgrade(engine)
    assert await _tables(engine) == set(Base.metadata.tables) | JOB_QUEUE_TABLES


async def test_schema_matches_models_exactly(engine: AsyncEngine) -> None:
    """Autogenerate finds nothing to do: the migration and the models describe one schema."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    def diff(conn):  # type: ignore[no-untyped-def]
        opts = {"compare_type": True, "include_name": migrate.include_name}
        return compare_metadata(MigrationContext.configure(conn, opts=opts), Base.metadata)

    async with engine.connect() as conn:
        assert await conn.run_sync(diff) == []


async def test_enum_checks_and_russian_fts_are_in_place(engine: AsyncEngine) -> None:
    async with engine.connect() as conn:
        checks = set(
            (await conn.execute(text("SELECT conname FROM pg_constraint WHERE contype = 'c'"))).scalars()
        )
        assert {"ck_ai_conversations_mode", "ck_ai_messages_role", "ck_ai_pending_plans_status"} <= checks
        indexes = dict(
            (await conn.execute(text("SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'dialog_analysis'"))).all()
        )
        assert "USING gin (summary_tsv)" in indexes["ix_dialog_analysis_summary_tsv"]
        assert "USING gin (tags)" in indexes["ix_dialog_analysis_tags"]
        generated = (
            await conn.execute(
                text(
                    "SELECT pg_get_expr(d.adbin, d.adrelid) FROM pg_attrdef d JOIN pg_attribute a "
                    "ON a.attrelid = d.adrelid AND a.attnum = d.adnum "
                    "WHERE d.adrelid = 'dialog_analysis'::regclass AND a.attname = 'summary_tsv'"
                )
            )
        ).scalar_one()
        assert "'russian'::regconfig" in generated and "'english'::regconfig" in generated
        fn = (await conn.execute(text("SELECT count(*) FROM pg_proc WHERE proname = 'refresh_direction_metrics_rollup'"))).scalar_one()
        assert fn == 1


async def test_start_up_check_reads_the_head_from_the_scripts_and_runs_alembic_only_when_behind(
        engine: AsyncEngine) -> None:
    """`serve` on an existing database: one SELECT says it is at head, so no Alembic run (issue 14)."""
    from alembic.script import ScriptDirectory

    assert migrate.head_revisions() == set(ScriptDirectory.from_config(migrate.alembic_config()).get_heads())
    assert await migrate.at_head(engine)
    assert await migrate.upgrade_if_needed(engine) is False
    await migrate.downgrade(engine, "-1")
    assert not await migrate.at_head(engine)
    assert await migrate.upgrade_if_needed(engine) is True
    assert await migrate.at_head(engine)
    await migrate.downgrade(engine, "base")  # no alembic_version rows: behind
    assert not await migrate.at_head(engine)
    assert await migrate.upgrade_if_needed(engine) is True


async def test_name_heads_hold_the_first_three_letters_of_each_word(engine: AsyncEngine) -> None:
    """The column entity resolution looks names up in (migration 0012): lower case, ё → е, punctuation
    gone, each word cut to three letters."""
    from agent_brain.stores.users import UserStore

    user, _ = await UserStore(engine).create_user("heads")
    async with engine.begin() as conn:
        heads = (await conn.execute(text(
            "INSERT INTO whatsapp_dialogs (user_id, phone, contact_name) "
            "VALUES (:u, '+77001234567', 'Ёлка-Иванова: E.max #57') RETURNING name_heads::text"), {"u": user.id})).scalar_one()
    assert heads == "'57':5 'e':3 'max':4 'елк':1 'ива':2"
