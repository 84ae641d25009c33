"""Issue 16, site audiences: the sandbox checks Meta's rule-based website custom audience (pixel event
sources of this account, retention 1 s–180 days, filters with known operators) and sizes it from the
pixel's own event counts; validate_only creates nothing."""

from __future__ import annotations

import json

import pytest
from sandbox_account import ACCOUNT, Sandbox

from agent_brain.platforms.graph.errors import GraphError
from agent_brain.platforms.meta.adapter import MetaAdapter


async def test_a_website_audience_from_pixel_events(meta: MetaAdapter, sandbox: Sandbox) -> None:
    writes = sandbox.emulator.writes_applied
    checked = await meta.create_website_audience(ACCOUNT, name="Leads 30d", pixel_id="9001", retention_days=30,
                                                 events=("Lead",), validate_only=True)
    assert checked.dry_run and sandbox.emulator.writes_applied == writes
    made = await meta.create_website_audience(ACCOUNT, name="Leads 30d", pixel_id="9001", retention_days=30,
                                              events=("Lead",), url_contains="veneers")
    raw = await meta.client.get(made.object_id, {"fields": "subtype,rule,retention_days,pixel_id,"
                                                           "approximate_count_upper_bound"})
    assert (raw["subtype"], raw["retention_days"], raw["pixel_id"]) == ("WEBSITE", 30, "9001")
    rule = json.loads(raw["rule"])
    [item] = rule["inclusions"]["rules"]
    assert item["event_sources"] == [{"type": "pixel", "id": "9001"}] and item["retention_seconds"] == 30 * 86400
    assert {"field": "event", "operator": "eq", "value": "Lead"} in item["filter"]["filters"]
    assert raw["approximate_count_upper_bound"] == 37 // 2  # 37 pixel leads over 60 seeded days, kept 30
    visitors = await meta.create_website_audience(ACCOUNT, name="All visitors 180d", pixel_id="9001",
                                                  retention_days=180)
    listed = {a.id: a for a in await meta.list_custom_audiences(ACCOUNT)}
    assert listed[visitors.object_id].subtype == "WEBSITE" and listed[visitors.object_id].approximate_count == 1200


@pytest.mark.parametrize(("rule", "why"), [
    ({"inclusions": {"operator": "or", "rules": [{"event_sources": [{"type": "pixel", "id": "9001"}],
                                                  "retention_seconds": 181 * 86400}]}}, "retention_seconds"),
    ({"inclusions": {"operator": "or", "rules": [{"event_sources": [{"type": "pixel", "id": "1001"}],
                                                  "retention_seconds": 86400}]}}, "event_sources"),
    ({"inclusions": {"operator": "or", "rules": []}}, "non-empty"),
    ({"inclusions": {"operator": "or", "rules": [{
        "event_sources": [{"type": "pixel", "id": "9001"}], "retention_seconds": 86400,
        "filter": {"operator": "and", "filters": [{"field": "url", "operator": "sounds_like", "value": "x"}]}}]}},
     "operator"),
])
async def test_rules_meta_refuses_are_refused(meta: MetaAdapter, rule: dict, why: str) -> None:
    with pytest.raises(GraphError) as refused:
        await meta.client.post(f"{ACCOUNT}/customaudiences", {"name": "bad", "rule": json.dumps(rule)})
    assert refused.value.code == 100 and why in (refused.value.user_text or "").lower()
    assert all(a.name != "bad" for a in await meta.list_custom_audiences(ACCOUNT))
