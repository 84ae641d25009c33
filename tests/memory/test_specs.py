"""BusinessSpecsStore: partial merge, account over user-level fallback, validation, prompt text."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from agent_brain.db.models import BusinessSpec as SpecRow
from agent_brain.memory.specs import BusinessSpec, BusinessSpecsStore, format_for_prompt, target_cpl_cents
from agent_brain.stores.users import UserRecord, UserStore


@pytest.fixture
def specs(engine: AsyncEngine) -> BusinessSpecsStore:
    return BusinessSpecsStore(engine)


@pytest.fixture
async def account(engine: AsyncEngine, user: UserRecord) -> uuid.UUID:
    return (await UserStore(engine).upsert_ad_account(user.id, external_id="act_1", name="Clinic")).id


async def test_empty_when_nothing_is_stored(specs: BusinessSpecsStore, user: UserRecord, account: uuid.UUID) -> None:
    spec = await specs.get(user.id, account)
    assert spec == BusinessSpec()
    assert spec.is_empty
    assert target_cpl_cents(spec) is None
    assert format_for_prompt(spec, "ru") == ""


async def test_update_merges_keys_and_removes_none(specs: BusinessSpecsStore, user: UserRecord) -> None:
    spec = await specs.update(user.id, None, kpi={"target_cpl_cents": 2500, "currency": "usd"},
                              crm={"funnel": ["Новый", "Записана"]})
    assert spec.kpi == {"target_cpl_cents": 2500, "currency": "USD"}
    spec = await specs.update(user.id, None, kpi={"max_cpl_cents": 4000, "currency": None})
    assert spec.kpi == {"target_cpl_cents": 2500, "max_cpl_cents": 4000}
    assert spec.crm == {"funnel": ["Новый", "Записана"]}  # untouched sections stay
    assert await specs.get(user.id, None) == spec
    assert await specs.update(user.id, None) == spec  # nothing to change


async def test_account_spec_overrides_the_user_level_one(
    engine: AsyncEngine, specs: BusinessSpecsStore, user: UserRecord, other_user: UserRecord, account: uuid.UUID
) -> None:
    await specs.update(user.id, None, kpi={"target_cpl_cents": 2500, "currency": "USD"},
                       tracking={"pixel_id": "px1"})
    merged = await specs.update(user.id, account, kpi={"target_cpl_cents": 3000})
    assert merged.kpi == {"target_cpl_cents": 3000, "currency": "USD"}
    assert merged.tracking == {"pixel_id": "px1"}  # falls back to the user level
    assert await specs.get(user.id, account) == merged
    assert (await specs.get(user.id, None)).kpi["target_cpl_cents"] == 2500
    other_account = (await UserStore(engine).upsert_ad_account(user.id, external_id="a2", name="B")).id
    assert (await specs.get(user.id, other_account)).kpi["target_cpl_cents"] == 2500
    assert (await specs.get(other_user.id, None)).is_empty


async def test_update_is_an_upsert_of_one_row_per_scope(
    engine: AsyncEngine, specs: BusinessSpecsStore, user: UserRecord, account: uuid.UUID
) -> None:
    for cents in (1000, 2000, 3000):
        await specs.update(user.id, account, kpi={"target_cpl_cents": cents})
        await specs.update(user.id, None, kpi={"max_cpl_cents": cents})
    async with engine.connect() as conn:
        rows = (await conn.execute(select(SpecRow.ad_account_id, SpecRow.kpi).where(SpecRow.user_id == user.id))).all()
    assert sorted((r.ad_account_id is None, r.kpi) for r in rows) == [
        (False, {"target_cpl_cents": 3000}), (True, {"max_cpl_cents": 3000})]


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"kpi": {"target_cpl_cents": -1}}, r"invalid kpi: target_cpl_cents: .*greater than or equal to 0"),
    ({"kpi": {"target_cpl_cents": 12.5}}, r"invalid kpi: target_cpl_cents"),
    ({"kpi": {"target_cpl_cents": "2500"}}, r"invalid kpi: target_cpl_cents"),
    ({"kpi": {"target_cpl_cents": True}}, r"invalid kpi: target_cpl_cents"),
    ({"kpi": {"daily_cap_cents": -5}}, r"daily_cap_cents must be a non-negative integer"),
    ({"kpi": {"target_cpl_by_direction": {"Виниры": -100}}}, r"target_cpl_by_direction.Виниры"),
    ({"kpi": {"currency": "dollars"}}, r"invalid kpi: currency"),
    ({"kpi": {"target_roi_percent": -3}}, r"invalid kpi: target_roi_percent"),
    ({"crm": {"funnel": "Новый, Записана"}}, r"invalid crm: funnel"),
    ({"tracking": {"extra": {"fee_cents": -1}}}, r"fee_cents must be a non-negative integer"),
    ({"tracking": {"when": object()}}, r"invalid tracking: values must be plain JSON"),
    ({"kpi": ["target_cpl_cents"]}, r"kpi must be an object"),
])
async def test_invalid_updates_raise_value_error(kwargs: dict, message: str) -> None:
    # Validation comes before any statement: an engine that cannot connect proves it (and is fast).
    specs = BusinessSpecsStore(create_async_engine("postgresql+asyncpg://nobody@127.0.0.1:9/none"))
    with pytest.raises(ValueError, match=message):
        await specs.update(uuid.uuid4(), None, **kwargs)


async def test_a_rejected_update_writes_nothing(specs: BusinessSpecsStore, user: UserRecord) -> None:
    await specs.update(user.id, None, kpi={"target_cpl_cents": 2500})
    with pytest.raises(ValueError, match="max_cpl_cents"):
        await specs.update(user.id, None, kpi={"target_cpl_cents": 3000, "max_cpl_cents": -1})
    assert (await specs.get(user.id, None)).kpi == {"target_cpl_cents": 2500}


def test_target_cpl_per_direction_then_global() -> None:
    spec = BusinessSpec(kpi={"target_cpl_cents": 2500, "target_cpl_by_direction": {"Виниры": 4000, "Брекеты": None}})
    assert target_cpl_cents(spec) == 2500
    assert target_cpl_cents(spec, "Виниры") == 4000
    assert BusinessSpecsStore.target_cpl_cents(spec, "Брекеты") == 2500
    assert target_cpl_cents(BusinessSpec(kpi={"target_cpl_cents": 0})) is None


def test_format_for_prompt_puts_kpi_first() -> None:
    spec = BusinessSpec(
        tracking={"pixel_id": "px1"},
        crm={"funnel": ["Новый", "Консультация", "Записана"], "won_stage": "Записана"},
        kpi={"currency": "USD", "max_cpl_cents": 4000, "target_cpl_cents": 2500, "target_roi_percent": 200,
             "target_cpl_by_direction": {"Виниры": 3000}, "note": "без выходных"},
    )
    assert format_for_prompt(spec, "en") == (
        "Business profile:\n"
        "KPI: target CPL: $25.00; max CPL: $40.00; target ROI: 200%; target CPL by direction: Виниры $30.00; "
        "currency: USD; note: без выходных\n"
        "CRM: funnel: Новый → Консультация → Записана; won stage: Записана\n"
        "Tracking: pixel: px1"
    )
    ru = BusinessSpecsStore.format_for_prompt(spec, "ru")
    assert ru.splitlines()[:2] == ["Бизнес-профиль:", ru.splitlines()[1]]
    assert ru.splitlines()[1].startswith("KPI: целевой CPL: $25.00; макс. CPL: $40.00")


async def test_the_demo_spec(demo_engine: AsyncEngine) -> None:
    async with demo_engine.connect() as conn:
        row = (await conn.execute(select(SpecRow.user_id, SpecRow.ad_account_id))).one()
    spec = await BusinessSpecsStore(demo_engine).get(row.user_id, row.ad_account_id)
    assert target_cpl_cents(spec) == 2500
    [name, *_] = spec.kpi["target_cpl_by_direction"]
    assert target_cpl_cents(spec, name) == spec.kpi["target_cpl_by_direction"][name]
    text = format_for_prompt(spec, "ru")
    assert text.splitlines()[1].startswith("KPI: целевой CPL: $25.00; макс. CPL: $40.00; целевой ROI: 200%")
    assert all(len(line) <= 400 for line in text.splitlines())
