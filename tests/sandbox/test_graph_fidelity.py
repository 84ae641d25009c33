"""Where the sandbox used to differ silently from Graph: validation, read-back, insights
options, paging, error families, expansion, batch dependencies, estimates and previews.

In-process and fast; tests/conformance drives the same behaviour with Meta's SDK over HTTP.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from sandbox_account import ACCOUNT, TOKEN, Sandbox

from agent_brain.platforms.sandbox import reference

TARGETING = {"geo_locations": {"countries": ["KZ"]}, "age_min": 25, "age_max": 45}


def error_of(response: Any) -> dict[str, Any]:
    error = response.json()["error"]
    assert {"message", "type", "code", "is_transient", "fbtrace_id"} <= set(error)
    return error


# ── validation ─────────────────────────────────────────────────────────────────────────────


async def test_invalid_enums_and_legacy_objectives_are_error_100(sandbox: Sandbox) -> None:
    legacy = error_of(await sandbox.post(f"{ACCOUNT}/campaigns", name="X", objective="LEAD_GENERATION",
                                         special_ad_categories=[]))
    assert legacy["code"] == 100 and legacy["is_transient"] is False
    assert "LEAD_GENERATION" in legacy["error_user_msg"] and "OUTCOME_LEADS" in legacy["error_user_msg"]
    bogus = error_of(await sandbox.post(f"{ACCOUNT}/campaigns", name="X", objective="BOGUS",
                                        special_ad_categories=[]))
    assert bogus["message"].startswith("(#100) Param objective must be one of {")
    assert json.loads(bogus["error_data"]) == {"blame_field_specs": [["objective"]]}
    goal = error_of(await sandbox.post(f"{ACCOUNT}/adsets", name="S", campaign_id="1002",
                                       billing_event="IMPRESSIONS", optimization_goal="BOGUS", targeting=TARGETING))
    assert goal["code"] == 100 and "optimization_goal" in goal["message"]
    unknown = error_of(await sandbox.post(f"{ACCOUNT}/campaigns", name="X", objective="OUTCOME_LEADS",
                                          special_ad_categories=[], colour="blue"))
    assert unknown["code"] == 100 and "colour" in unknown["message"]
    assert sandbox.emulator.writes_applied == 0


async def test_unknown_read_fields_are_error_100(sandbox: Sandbox) -> None:
    field = error_of(await sandbox.get("1001", fields="name,nonexistent_field"))
    assert field["message"] == "(#100) Tried accessing nonexisting field (nonexistent_field) on node type (Campaign)"
    metric = error_of(await sandbox.get(f"{ACCOUNT}/insights", fields="spend,bogus_metric"))
    assert metric["message"].startswith("(#100) bogus_metric is not valid for fields param")
    # A breakdown is a dimension, not a field, on Graph too.
    assert error_of(await sandbox.get(f"{ACCOUNT}/insights", fields="age"))["code"] == 100
    syntax = error_of(await sandbox.get("1001", fields="name{"))
    assert syntax["code"] == 2500


async def test_versions(sandbox: Sandbox) -> None:
    current = reference.version()
    assert (await sandbox.client.get(f"/{current}/1001", params={"access_token": TOKEN})).status_code == 200
    old = error_of(await sandbox.client.get("/v19.0/1001", params={"access_token": TOKEN}))
    assert old["code"] == 2635 and current in old["message"]
    future = await sandbox.client.get("/v99.0/1001", params={"access_token": TOKEN})
    assert future.status_code == 400


# ── read-back ──────────────────────────────────────────────────────────────────────────────


async def test_written_fields_are_read_back(sandbox: Sandbox) -> None:
    campaign = (await sandbox.post(f"{ACCOUNT}/campaigns", name="C", objective="OUTCOME_LEADS",
                                   special_ad_categories=[], spend_cap=500000,
                                   start_time="2031-01-01T10:00:00+0300")).json()["id"]
    got = (await sandbox.get(campaign, fields="spend_cap,start_time,bid_strategy")).json()
    assert got == {"id": campaign, "spend_cap": "500000", "start_time": "2031-01-01T07:00:00+0000",
                   "bid_strategy": "LOWEST_COST_WITHOUT_CAP"}
    adset = (await sandbox.post(f"{ACCOUNT}/adsets", name="S", campaign_id=campaign, daily_budget=2000,
                                billing_event="IMPRESSIONS", optimization_goal="LEAD_GENERATION",
                                targeting=TARGETING, bid_strategy="COST_CAP", bid_amount=450,
                                promoted_object={"page_id": "77"}, destination_type="WHATSAPP")).json()["id"]
    got = (await sandbox.get(adset, fields="bid_strategy,bid_amount,promoted_object,destination_type")).json()
    assert got == {"id": adset, "bid_strategy": "COST_CAP", "bid_amount": 450,  # typed as in Meta's reference
                   "promoted_object": {"page_id": "77"}, "destination_type": "WHATSAPP"}
    assert (await sandbox.post(adset, end_time=1924992000, bid_strategy="LOWEST_COST_WITHOUT_CAP")).json() == {
        "success": True}
    got = (await sandbox.get(adset, fields="end_time,bid_strategy")).json()
    assert (got["end_time"], got["bid_strategy"]) == ("2031-01-01T00:00:00+0000", "LOWEST_COST_WITHOUT_CAP")
    tracking = [{"action.type": ["offsite_conversion"], "fb_pixel": ["9001"]}]
    assert (await sandbox.post("3001", tracking_specs=tracking)).json() == {"success": True}
    assert (await sandbox.get("3001", fields="tracking_specs")).json()["tracking_specs"] == tracking


async def test_account_fields_agree_with_insights(sandbox: Sandbox) -> None:
    lifetime = (await sandbox.get(f"{ACCOUNT}/insights", fields="spend", date_preset="maximum")).json()["data"][0]
    account = (await sandbox.get(ACCOUNT, fields="amount_spent,spend_cap,balance,min_daily_budget,currency")).json()
    assert int(account["amount_spent"]) == round(float(lifetime["spend"]) * 100)
    assert {"spend_cap", "balance", "min_daily_budget"} <= set(account)
    pixel = (await sandbox.get("9001", fields="code")).json()
    assert "fbq('init', '9001')" in pixel["code"]


async def test_nested_expansion_and_ids(sandbox: Sandbox) -> None:
    ad = (await sandbox.get("3001", fields="name,creative{title,video_id},adset{name,campaign{name}}")).json()
    assert ad["creative"] == {"id": "5001", "title": "Имплантация за 1 день", "video_id": "777"}
    assert ad["adset"] == {"id": "2001", "name": "Москва 25-45",
                           "campaign": {"id": "1001", "name": "Имплантация Москва"}}
    campaign = (await sandbox.get("1001", fields="adsets.limit(1){name},insights.date_preset(maximum){spend}")).json()
    assert len(campaign["adsets"]["data"]) == 1 and "next" in campaign["adsets"]["paging"]
    assert float(campaign["insights"]["data"][0]["spend"]) > 0
    both = (await sandbox.client.get("/v26.0/", params={"ids": "1001,2001", "fields": "name",
                                                        "access_token": TOKEN})).json()
    assert both == {"1001": {"id": "1001", "name": "Имплантация Москва"}, "2001": {"id": "2001", "name": "Москва 25-45"}}
    assert error_of(await sandbox.client.get("/v26.0/", params={"ids": "1001,404", "access_token": TOKEN}))[
        "code"] == 100


async def test_object_edges_honour_filtering(sandbox: Sandbox) -> None:
    active = (await sandbox.get(f"{ACCOUNT}/ads", filtering=[
        {"field": "ad.effective_status", "operator": "IN", "value": ["ACTIVE"]}])).json()["data"]
    assert sorted(a["id"] for a in active) == ["3001", "3003"]
    named = (await sandbox.get(f"{ACCOUNT}/campaigns", fields="name", filtering=[
        {"field": "name", "operator": "CONTAIN", "value": "виниры"}])).json()["data"]
    assert named == [{"id": "1002", "name": "Виниры СПб"}]
    assert error_of(await sandbox.get(f"{ACCOUNT}/ads", filtering=[
        {"field": "zodiac", "operator": "IN", "value": ["leo"]}]))["code"] == 100


# ── insights ──────────────────────────────────────────────────────────────────────────────


async def insight_rows(sandbox: Sandbox, **params: Any) -> list[dict[str, Any]]:
    body = (await sandbox.get(f"{ACCOUNT}/insights", date_preset="maximum", limit=500, **params)).json()
    return body["data"]


async def test_insights_filtering_and_sort(sandbox: Sandbox) -> None:
    ads = await insight_rows(sandbox, level="ad", fields="ad_id,campaign_id,spend")
    only = await insight_rows(sandbox, level="ad", fields="ad_id,spend",
                              filtering=[{"field": "campaign.id", "operator": "IN", "value": ["1002"]}])
    assert sorted(r["ad_id"] for r in only) == sorted(r["ad_id"] for r in ads if r["campaign_id"] == "1002")
    cutoff = sorted(float(r["spend"]) for r in ads)[1]
    above = await insight_rows(sandbox, level="ad", fields="ad_id,spend",
                               filtering=[{"field": "spend", "operator": "GREATER_THAN", "value": cutoff}])
    assert {r["ad_id"] for r in above} == {r["ad_id"] for r in ads if float(r["spend"]) > cutoff}
    ascending = await insight_rows(sandbox, level="ad", fields="ad_id,spend", sort=["spend_ascending"])
    assert [float(r["spend"]) for r in ascending] == sorted(float(r["spend"]) for r in ads)
    bad = error_of(await sandbox.get(f"{ACCOUNT}/insights", filtering=[
        {"field": "zodiac", "operator": "IN", "value": ["leo"]}]))
    assert bad["code"] == 100
    assert error_of(await sandbox.get(f"{ACCOUNT}/insights", sort=["zodiac_descending"]))["code"] == 100


async def test_levels_add_up(sandbox: Sandbox) -> None:
    totals = {}
    for level in ("account", "campaign", "adset", "ad"):
        rows = await insight_rows(sandbox, level=level, fields="spend,impressions")
        totals[level] = (round(sum(float(r["spend"]) for r in rows), 2), sum(int(r["impressions"]) for r in rows))
    assert len(set(totals.values())) == 1


@pytest.mark.parametrize("breakdown", ["country", "region", "impression_device",
                                       "hourly_stats_aggregated_by_advertiser_time_zone"])
async def test_more_breakdowns_add_up(sandbox: Sandbox, breakdown: str) -> None:
    (total,) = await insight_rows(sandbox, fields="clicks")
    rows = await insight_rows(sandbox, fields="clicks", breakdowns=breakdown)
    assert len(rows) > 1 and sum(int(r["clicks"]) for r in rows) == int(total["clicks"])


async def test_valid_but_unemulated_breakdown_is_an_explicit_error(sandbox: Sandbox) -> None:
    error = error_of(await sandbox.get(f"{ACCOUNT}/insights", breakdowns="dma"))
    assert error["code"] == 100 and "does not emulate" in error["message"]
    ranges = [{"since": "2026-03-01", "until": "2026-03-05"}, {"since": "2026-03-06", "until": "2026-03-10"}]
    error = error_of(await sandbox.get(f"{ACCOUNT}/insights", time_ranges=ranges))
    assert error["code"] == 100 and "time_ranges" in error["message"]


async def test_action_device_breakdown_splits_each_action(sandbox: Sandbox) -> None:
    (plain,) = await insight_rows(sandbox, fields="actions")
    (split,) = await insight_rows(sandbox, fields="actions", action_breakdowns="action_type,action_device")
    totals: dict[str, int] = {}
    for item in split["actions"]:
        totals[item["action_type"]] = totals.get(item["action_type"], 0) + int(item["value"])
    assert totals == {a["action_type"]: int(a["value"]) for a in plain["actions"]}
    assert all("action_device" in item for item in split["actions"])


# ── paging ────────────────────────────────────────────────────────────────────────────────


async def test_cursors_are_keyed_on_objects(sandbox: Sandbox) -> None:
    everything = [a["id"] for a in (await sandbox.get(f"{ACCOUNT}/ads", limit=100)).json()["data"]]
    first = (await sandbox.get(f"{ACCOUNT}/ads", limit=2, summary="true")).json()
    assert first["summary"] == {"total_count": len(everything)} and "previous" not in first["paging"]
    # A new ad lands at the head of the list between the two page reads: nothing repeats.
    creative = {"creative_id": "5001"}
    assert "id" in (await sandbox.post(f"{ACCOUNT}/ads", name="New", adset_id="2001", creative=creative)).json()
    second = (await sandbox.get(f"{ACCOUNT}/ads", limit=2, after=first["paging"]["cursors"]["after"])).json()
    assert [a["id"] for a in first["data"] + second["data"]] == everything
    assert second["paging"]["previous"].startswith(f"https://graph.facebook.com/v26.0/{ACCOUNT}/ads?")
    back = (await sandbox.get(f"{ACCOUNT}/ads", limit=2, before=second["paging"]["cursors"]["before"])).json()
    assert [a["id"] for a in back["data"]] == everything[:2]


# ── faults ────────────────────────────────────────────────────────────────────────────────


@pytest.mark.parametrize(("kind", "options", "status", "code", "header"), [
    ("unknown_error", {}, 400, 1, None),
    ("app_throttle", {}, 400, 4, "X-App-Usage"),
    ("user_throttle", {}, 400, 17, "X-Ad-Account-Usage"),
    ("page_throttle", {}, 400, 32, "X-App-Usage"),
    ("app_limit", {}, 400, 341, "X-App-Usage"),
    ("call_rate_throttle", {}, 400, 613, "X-Ad-Account-Usage"),
    ("business_throttle", {"code": 80003}, 400, 80003, "X-Business-Use-Case-Usage"),
    ("policy_block", {}, 400, 368, None),
    ("permission_denied", {}, 400, 200, None),
])
async def test_fault_families(sandbox: Sandbox, kind: str, options: dict[str, Any], status: int, code: int,
                              header: str | None) -> None:
    sandbox.faults.inject(kind, **options)  # type: ignore[arg-type]
    response = await sandbox.get("1001")
    error = error_of(response)
    assert (response.status_code, error["code"]) == (status, code)
    assert error["is_transient"] is (code in (1, 2, 4, 17, 32, 341, 613) or code >= 80000)
    if header:
        usage = json.loads(response.headers[header])
        assert 100 in (usage.get("call_count"), usage.get("acc_id_util_pct"),
                       next(iter(usage.values()))[0].get("call_count") if header.startswith("X-Bus") else None)


async def test_token_subcodes(sandbox: Sandbox) -> None:
    sandbox.faults.inject("token_expired", subcode=459)
    error = error_of(await sandbox.get("1001"))
    assert (error["code"], error["error_subcode"], error["is_transient"]) == (190, 459, False)
    with pytest.raises(ValueError, match="subcodes"):
        sandbox.faults.inject("token_expired", subcode=1)


# ── batch dependencies, estimates, previews ───────────────────────────────────────────────


async def batch(sandbox: Sandbox, requests: list[dict[str, Any]]) -> list[Any]:
    response = await sandbox.client.post("/v26.0/", data={"access_token": TOKEN, "batch": json.dumps(requests)})
    return response.json()


async def test_batch_jsonpath_dependencies(sandbox: Sandbox) -> None:
    answers = await batch(sandbox, [
        {"method": "POST", "name": "create", "relative_url": f"{ACCOUNT}/campaigns",
         "body": "name=Batch&objective=OUTCOME_LEADS&special_ad_categories=[]"},
        {"method": "GET", "relative_url": "{result=create:$.id}?fields=name,objective"},
        {"method": "GET", "name": "unused", "relative_url": "1001?fields=name"},
    ])
    assert answers[0] is None and answers[2]["code"] == 200  # only referenced responses are omitted
    assert json.loads(answers[1]["body"])["objective"] == "OUTCOME_LEADS"
    failed = await batch(sandbox, [
        {"method": "GET", "name": "missing", "relative_url": "404404"},
        {"method": "GET", "relative_url": "{result=missing:$.id}"},
        {"method": "GET", "relative_url": "1001", "depends_on": "missing"},
    ])
    assert [a["code"] for a in failed] == [400, 400, 400]


async def test_delivery_estimate_and_generatepreviews(sandbox: Sandbox) -> None:
    estimate = (await sandbox.get(f"{ACCOUNT}/delivery_estimate", targeting_spec=TARGETING,
                                  optimization_goal="LEAD_GENERATION")).json()["data"][0]
    assert 0 < estimate["estimate_mau_lower_bound"] <= estimate["estimate_mau_upper_bound"]
    spends = [p["spend"] for p in estimate["daily_outcomes_curve"]]
    assert spends == sorted(spends)
    own = (await sandbox.get("2001/delivery_estimate")).json()["data"][0]
    assert own["estimate_ready"] is True
    assert error_of(await sandbox.get(f"{ACCOUNT}/delivery_estimate", targeting_spec=TARGETING,
                                      optimization_goal="BOGUS"))["code"] == 100
    creative = {"object_story_spec": {"page_id": "1", "link_data": {"link": "https://example.com"}}}
    preview = (await sandbox.get(f"{ACCOUNT}/generatepreviews", creative=creative,
                                 ad_format="MOBILE_FEED_STANDARD")).json()
    assert "<iframe" in preview["data"][0]["body"]
    assert error_of(await sandbox.get(f"{ACCOUNT}/generatepreviews", creative=creative,
                                      ad_format="BOGUS"))["code"] == 100
