"""The demo world generator: deterministic, internally consistent, plausible."""

from __future__ import annotations

import re
from collections import Counter
from datetime import date, datetime, timedelta

import pytest

from agent_brain.demo.world import (
    HISTORY_DAYS,
    LEAD_ACTION_TYPES,
    MSK,
    DemoWorld,
    build_world,
    fingerprint,
)

TODAY = date(2026, 5, 20)
E164 = re.compile(r"^\+[1-9][0-9]{7,14}$")
GRAPH_ID = re.compile(r"^[1-9][0-9]{14,17}$")


@pytest.fixture(scope="module")
def world() -> DemoWorld:
    return build_world(TODAY)


def _now(today: date) -> datetime:
    return datetime(today.year, today.month, today.day, tzinfo=MSK)


def _rows(world: DemoWorld):
    return [(campaign, ad_set, ad, s) for campaign, ad_set, ad in world.ads() for s in ad.daily]


# ── determinism ─────────────────────────────────────────────────────────────────────────────


def test_same_today_gives_an_identical_world() -> None:
    uncached = build_world.__wrapped__
    first, second = uncached(TODAY), uncached(TODAY)
    assert first == second
    assert fingerprint(first) == fingerprint(second)


def test_another_today_gives_another_world_of_the_same_shape() -> None:
    other = build_world(TODAY + timedelta(days=1))
    assert fingerprint(other) != fingerprint(build_world(TODAY))
    assert other.metrics_end == TODAY
    # Platform ids do not depend on the date: the sandbox and the DB agree whenever they were built.
    assert [ad.id for *_, ad in other.ads()] == [ad.id for *_, ad in build_world(TODAY).ads()]


@pytest.mark.parametrize("today", [date(2025, 1, 1), date(2025, 8, 14), date(2026, 2, 28)])
def test_any_today_builds_a_complete_world(today: date) -> None:
    w = build_world(today)
    assert {lead.name for lead in w.leads} >= {"Анна Иванова", "Пётр Сидоров", "Иван Петров", "Мария Сидорова"}
    assert len(w.leads) >= 200 and len(w.dialogs) >= 50
    assert max(s.date for *_, s in _rows(w)) == today - timedelta(days=1)


# ── ads and metrics ─────────────────────────────────────────────────────────────────────────


def test_named_ads_entities_and_ids(world: DemoWorld) -> None:
    assert world.account.external_id == "act_100200300400"
    assert world.account.currency == "USD"
    assert {"Имплантация Москва", "Виниры СПб"} <= {c.name for c in world.campaigns}
    assert len(world.campaigns) >= 3
    ad_set = world.ad_set("Москва 25-45")
    assert ad_set.campaign_id == world.campaign("Имплантация Москва").id
    assert ad_set.targeting.to_graph()["age_min"] == 25

    ids = [c.id for c in world.campaigns]
    ids += [a.id for c in world.campaigns for a in c.ad_sets]
    ids += [ad.id for *_, ad in world.ads()]
    ids += [c.fb_creative_id for c in world.creatives]
    assert all(GRAPH_ID.match(i) for i in ids)
    assert len(ids) == len(set(ids))

    for campaign in world.campaigns:
        assert campaign.status in ("ACTIVE", "PAUSED")
        assert campaign.objective in ("OUTCOME_LEADS", "OUTCOME_ENGAGEMENT")
        assert campaign.daily_budget_cents == sum(a.daily_budget_cents for a in campaign.ad_sets) > 0
        for ad_set in campaign.ad_sets:
            assert ad_set.campaign_id == campaign.id and ad_set.status in ("ACTIVE", "PAUSED")
            assert ad_set.targeting.age_min < ad_set.targeting.age_max
            for ad in ad_set.ads:
                assert (ad.campaign_id, ad.adset_id) == (campaign.id, ad_set.id)
                assert world.creative(ad.creative_title).fb_creative_id == ad.fb_creative_id


def test_directions(world: DemoWorld) -> None:
    assert len(world.directions) >= 5
    assert {"Имплантация", "Виниры", "Отбеливание", "Брекеты", "Лечение кариеса"} <= {d.name for d in world.directions}
    assert sum(not d.is_active for d in world.directions) == 1
    campaigns = {c.id: c for c in world.campaigns}
    for d in world.directions:
        campaign = campaigns[d.fb_campaign_id]
        assert campaign.direction == d.name
        assert d.fb_adset_id in {a.id for a in campaign.ad_sets}
        assert d.campaign_status == ("ACTIVE" if d.is_active else "PAUSED") == campaign.status
        assert d.daily_budget_cents > 0 and d.target_cpl_cents > 0


def test_sixty_days_of_contiguous_metrics(world: DemoWorld) -> None:
    for *_, ad in world.ads():
        dates = [s.date for s in ad.daily]
        assert dates == sorted(dates)
        assert all((b - a).days == 1 for a, b in zip(dates, dates[1:], strict=False)), ad.name
        assert all(world.metrics_start <= d <= world.metrics_end for d in dates)
    # An always-on ad covers the whole window, ending yesterday.
    for ad in world.ad_set("Москва 25-45").ads:
        if ad.creative_title == "Имплантация за 1 день":
            assert len(ad.daily) == HISTORY_DAYS
            assert ad.daily[-1].date == TODAY - timedelta(days=1)
    # The paused direction stopped delivering when it was paused.
    paused = next(d for d in world.directions if not d.is_active)
    last = max(s.date for _, _, ad, s in _rows(world) if ad.direction == paused.name and ad.campaign_id == paused.fb_campaign_id)
    assert last < world.metrics_end - timedelta(days=5)


def test_daily_stats_invariants(world: DemoWorld) -> None:
    for *_, ad, s in _rows(world):
        assert s.spend_cents >= 0
        assert 0 < s.reach <= s.impressions
        assert 0 <= s.link_clicks <= s.clicks <= s.impressions
        assert 0 <= s.leads <= s.link_clicks
        assert s.messaging_leads + s.pixel_leads + s.custom_leads == s.leads
        assert sum(n for _, n in s.lead_actions) == s.leads
        assert {kind for kind, _ in s.lead_actions} <= set(LEAD_ACTION_TYPES)
        if world.creative(ad.creative_title).media_type == "video":
            assert s.impressions >= s.video_views >= s.video_p25 >= s.video_p50 >= s.video_p75 >= s.video_p95 >= 0
            assert s.video_p25 > 0
        else:
            assert s.video_views == s.video_p25 == s.video_p95 == 0


def test_rates_are_plausible(world: DemoWorld) -> None:
    rows = _rows(world)
    impressions = sum(s.impressions for *_, s in rows)
    assert 0.01 <= sum(s.clicks for *_, s in rows) / impressions <= 0.02
    with_leads = [s for *_, s in rows if s.leads]
    in_band = [s for s in with_leads if 500 <= s.spend_cents / s.leads <= 4000]
    assert len(in_band) / len(with_leads) >= 0.75  # single ad-days are noisy; most stay in $5–$40
    spend, leads = Counter(), Counter()
    for *_, ad, s in rows:
        spend[ad.direction] += s.spend_cents
        leads[ad.direction] += s.leads
    for name in spend:
        assert 500 <= spend[name] / leads[name] <= 4000, name
    # Seasonality: weekdays bring more leads than weekends.
    by_weekday = Counter()
    for *_, s in rows:
        by_weekday[s.date.weekday() < 5] += s.leads
    assert by_weekday[True] / 5 > by_weekday[False] / 2


def test_best_and_worst_creatives_stand_out(world: DemoWorld) -> None:
    spend, leads = Counter(), Counter()
    for *_, ad, s in _rows(world):
        spend[ad.creative_title] += s.spend_cents
        leads[ad.creative_title] += s.leads
    implant = [t for t in spend if world.creative(t).direction == "Имплантация"]
    cpl = {t: spend[t] / max(leads[t], 1) for t in implant}
    assert min(cpl, key=cpl.__getitem__) == "Имплантация за 1 день"
    assert max(cpl, key=cpl.__getitem__) == "Скидка 20% на имплант"
    assert cpl["Скидка 20% на имплант"] > 2.5 * cpl["Имплантация за 1 день"]


# ── creatives ───────────────────────────────────────────────────────────────────────────────


def test_creatives(world: DemoWorld) -> None:
    titles = {c.title for c in world.creatives}
    assert len(titles) == len(world.creatives) >= 20
    assert {"Имплантация за 1 день", "Белоснежная улыбка", "Улыбка за 2 визита"} <= titles
    media = Counter(c.media_type for c in world.creatives)
    assert media["video"] >= 5 and media["image"] >= 5
    for c in world.creatives:
        if c.media_type == "video":
            assert c.duration_seconds and c.transcript and re.search("[а-я]", c.transcript)
        assert c.analyses
        for a in c.analyses:
            assert 0 <= a.score <= 100 and a.verdict in ("excellent", "good", "average", "poor")
            assert a.strengths and a.weaknesses and a.recommendations and a.summary
        assert 0 <= c.risk.risk_score <= 100 and 0 <= c.risk.llm_score <= 100
        assert c.risk.risk_level == ("low" if c.risk.risk_score < 35 else "medium" if c.risk.risk_score < 65 else "high")
    assert world.creative("Скидка 20% на имплант").risk.risk_level == "high"
    assert world.creative("Имплантация за 1 день").analyses[-1].verdict == "excellent"


def test_creative_tests(world: DemoWorld) -> None:
    statuses = Counter(t.status for t in world.creative_tests)
    assert statuses["running"] >= 1 and statuses["completed"] >= 1
    running = [t.creative_title for t in world.creative_tests if t.status == "running"]
    assert len(running) == len(set(running))  # at most one running test per creative
    for t in world.creative_tests:
        ad = world.ad(t.fb_ad_id)
        assert ad.adset_id == t.fb_adset_id and ad.creative_title == t.creative_title
        assert t.results.spend_cents == sum(s.spend_cents for s in ad.daily) <= t.budget_cents
        assert (t.ended_at is None) == (t.status == "running")


# ── CRM ─────────────────────────────────────────────────────────────────────────────────────


def test_funnel_stages(world: DemoWorld) -> None:
    assert [s.name for s in sorted(world.funnel_stages, key=lambda s: s.position)] == [
        "Новый", "Консультация", "Записана", "Пришла на приём", "Лечение", "Оплачено", "Отказ",
    ]
    assert [s.name for s in world.funnel_stages if s.is_won] == ["Оплачено"]
    assert [s.name for s in world.funnel_stages if s.is_lost] == ["Отказ"]


def test_leads(world: DemoWorld) -> None:
    assert len(world.leads) >= 200
    assert len({lead.key for lead in world.leads}) == len(world.leads)
    phones = [lead.phone for lead in world.leads]
    assert all(E164.match(p) for p in phones) and len(set(phones)) == len(phones)
    assert Counter(lead.temperature for lead in world.leads).keys() == {"hot", "warm", "cold"}
    stages = Counter(lead.stage for lead in world.leads)
    assert all(stages[s.name] > 0 for s in world.funnel_stages)
    now = _now(world.today)
    for lead in world.leads:
        assert 0 <= lead.score <= 100
        assert lead.history[0].from_stage is None and lead.history[0].at == lead.created_at
        assert lead.history[-1].to_stage == lead.stage
        assert [c.at for c in lead.history] == sorted(c.at for c in lead.history)
        assert all(c.from_stage == p.to_stage for p, c in zip(lead.history, lead.history[1:], strict=False))
        assert lead.updated_at < now
        if lead.fb_ad_id:
            # Attributed to an ad that delivered leads on the lead's (Moscow) day.
            ad = world.ad(lead.fb_ad_id)
            day = next(s for s in ad.daily if s.date == lead.created_at.astimezone(MSK).date())
            assert day.leads > 0 and lead.creative_title == ad.creative_title and lead.direction == ad.direction
            assert dict(lead.utm)["utm_content"] == ad.id


def test_named_leads(world: DemoWorld) -> None:
    by_name = {lead.name: lead for lead in world.leads}
    expected = {"Анна Иванова": (82, "hot"), "Пётр Сидоров": (54, "warm"), "Иван Петров": (85, "hot"),
                "Мария Сидорова": (78, "hot")}
    implant_msk = world.campaign("Имплантация Москва").id
    for name, (score, temperature) in expected.items():
        lead = by_name[name]
        assert (lead.score, lead.temperature, lead.fb_campaign_id) == (score, temperature, implant_msk)
    assert by_name["Иван Петров"].stage == "Консультация"
    assert by_name["Мария Сидорова"].stage == "Записана"
    assert sum(lead.name in expected for lead in world.leads) == 4


def test_lead_counts_match_the_ads_in_scale(world: DemoWorld) -> None:
    platform = Counter()
    for *_, s in _rows(world):
        platform[s.date] += s.leads
    crm = Counter(lead.created_at.astimezone(MSK).date() for lead in world.leads if lead.fb_ad_id)
    assert 0.3 <= sum(crm.values()) / sum(platform.values()) <= 1.0
    assert all(crm[day] <= platform[day] for day in crm)


def test_purchases(world: DemoWorld) -> None:
    assert world.purchases
    leads = {lead.key: lead for lead in world.leads}
    ranges = {"Имплантация": (80_000, 250_000), "Лечение кариеса": (6_000, 25_000)}
    for p in world.purchases:
        lead = leads[p.lead_key]
        assert lead.stage == "Оплачено" and p.amount_cents > 0 and p.currency == "USD"
        lo, hi = ranges.get(lead.direction, (10_000, 500_000))
        assert lo <= p.amount_cents <= hi and p.product
    assert {p.lead_key for p in world.purchases} == {k for k, lead in leads.items() if lead.stage == "Оплачено"}


# ── WhatsApp ────────────────────────────────────────────────────────────────────────────────


def test_dialogs(world: DemoWorld) -> None:
    assert len(world.dialogs) >= 50
    phones = [d.phone for d in world.dialogs]
    assert all(E164.match(p) for p in phones) and len(set(phones)) == len(phones)
    assert {"+77001234567", "+79991234567"} <= set(phones)
    leads = {lead.key: lead for lead in world.leads}
    now = _now(world.today)
    for d in world.dialogs:
        assert 3 <= len(d.messages) <= 15
        assert {m.direction for m in d.messages} == {"in", "out"}
        times = [m.sent_at for m in d.messages]
        assert times == sorted(times) and times[-1] < now
        assert d.summary and d.tags and d.interest_level in ("hot", "warm", "cold")
        script = "[a-z]" if d.language == "en" else "[а-я]"
        assert all(re.search(script, m.text) for m in d.messages)
        if d.lead_key:
            lead = leads[d.lead_key]
            assert lead.phone == d.phone and times[0] >= lead.created_at
    languages = Counter(d.language for d in world.dialogs)
    assert languages["ru"] > 40 and languages["en"] >= 2
    summaries = " ".join(d.summary for d in world.dialogs)
    assert "возражал" in summaries and "сомневается из-за стоимости" in summaries and "жаловал" in summaries
    assert sum("цена" in d.tags for d in world.dialogs) >= 5
    maria = next(d for d in world.dialogs if d.phone == "+79991234567")
    assert leads[maria.lead_key or ""].name == "Мария Сидорова" and "высокая цена" in maria.objections


def test_user_spec_and_notes(world: DemoWorld) -> None:
    assert (world.user.name, world.user.language) == ("demo", "ru")
    spec = world.business_spec()
    assert spec["kpi"]["target_cpl_cents"] == world.kpi_target_cpl_cents > 0
    assert spec["crm"]["funnel"][0] == "Новый"
    assert len(world.notes) >= 3
    assert len({(n.domain, n.dedup_key) for n in world.notes}) == len(world.notes)
