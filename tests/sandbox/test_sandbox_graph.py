"""The Graph sandbox speaks Graph: paths, fields, paging, errors, insights and state changes."""

from __future__ import annotations

import base64
import hashlib
import json

from sandbox_account import ACCOUNT, TODAY, Sandbox
from sqlalchemy.ext.asyncio import AsyncEngine

from agent_brain.platforms.sandbox.app import create_sandbox_app


async def test_token_is_required_and_checked(sandbox: Sandbox) -> None:
    missing = await sandbox.client.get(f"/v26.0/{ACCOUNT}")
    assert missing.status_code == 400 and missing.json()["error"]["code"] == 104
    wrong = await sandbox.client.get(f"/v26.0/{ACCOUNT}", params={"access_token": "nope"})
    assert wrong.json()["error"]["code"] == 190


async def test_me_adaccounts_and_account_fields(sandbox: Sandbox) -> None:
    accounts = (await sandbox.get("me/adaccounts", fields="name,currency")).json()
    assert accounts["data"] == [{"id": ACCOUNT, "name": "Test Clinic", "currency": "USD"}]
    account = (await sandbox.get(ACCOUNT, fields="name,timezone_name,account_status")).json()
    assert account == {"id": ACCOUNT, "name": "Test Clinic", "timezone_name": "Europe/Moscow", "account_status": 1}


async def test_default_fields_are_id_and_name(sandbox: Sandbox) -> None:
    assert (await sandbox.get("1001")).json() == {"id": "1001", "name": "Имплантация Москва"}


async def test_field_selection_and_graph_value_formats(sandbox: Sandbox) -> None:
    body = (await sandbox.get("2001", fields="name,status,daily_budget,targeting,campaign_id,created_time")).json()
    assert body["daily_budget"] == "3000"  # minor units, as a string
    assert body["targeting"]["age_min"] == 25
    assert body["created_time"].endswith("+0000")
    assert set(body) == {"id", "name", "status", "daily_budget", "targeting", "campaign_id", "created_time"}


async def test_effective_status_follows_parents(sandbox: Sandbox) -> None:
    ads = (await sandbox.get("1001/ads", fields="status,effective_status")).json()["data"]
    by_id = {a["id"]: a["effective_status"] for a in ads}
    assert by_id == {"3001": "ACTIVE", "3002": "ADSET_PAUSED"}
    assert (await sandbox.post("1001", status="PAUSED")).json() == {"success": True}
    ads = (await sandbox.get("1001/ads", fields="effective_status")).json()["data"]
    # The highest paused level wins, as in Graph.
    assert {a["effective_status"] for a in ads} == {"CAMPAIGN_PAUSED"}


async def test_effective_status_filter(sandbox: Sandbox) -> None:
    active = (await sandbox.get(f"{ACCOUNT}/ads", effective_status=["ACTIVE"])).json()["data"]
    assert sorted(a["id"] for a in active) == ["3001", "3003"]


async def test_cursor_paging_ends_without_next(sandbox: Sandbox) -> None:
    seen, after, pages = [], None, 0
    while True:
        params = {"limit": 3, **({"after": after} if after else {})}
        body = (await sandbox.get(f"{ACCOUNT}/ads", **params)).json()
        pages += 1
        seen += [a["id"] for a in body["data"]]
        if "next" not in body["paging"]:
            break
        # Graph's own next URL: the base the client called, the version, the token.
        assert body["paging"]["next"].startswith(f"https://graph.facebook.com/v26.0/{ACCOUNT}/ads?")
        assert "access_token=" in body["paging"]["next"]
        after = body["paging"]["cursors"]["after"]
    assert pages == 2 and sorted(seen) == ["3001", "3002", "3003", "3004"]


async def test_bad_cursor_is_a_graph_error(sandbox: Sandbox) -> None:
    body = (await sandbox.get(f"{ACCOUNT}/ads", after="garbage!!")).json()
    assert body["error"]["code"] == 100


async def test_unknown_object_is_graph_method_exception(sandbox: Sandbox) -> None:
    response = await sandbox.get("999999")
    error = response.json()["error"]
    assert response.status_code == 400
    assert (error["code"], error["error_subcode"], error["type"]) == (100, 33, "GraphMethodException")
    assert error["fbtrace_id"]


async def test_status_and_budget_updates_persist_across_app_instances(sandbox: Sandbox, engine: AsyncEngine) -> None:
    assert (await sandbox.post("2001", status="PAUSED", daily_budget=4500)).json() == {"success": True}
    # A second app over the same database (another worker, or after a restart) sees the change.
    other = create_sandbox_app(engine, today=lambda: TODAY)
    status, body, _ = await other.state.emulator.handle(
        "GET", "/v26.0/2001", {"access_token": "x", "fields": "status,daily_budget"}
    )
    assert status == 200 and (body["status"], body["daily_budget"]) == ("PAUSED", "4500")


async def test_invalid_writes_are_refused_and_change_nothing(sandbox: Sandbox) -> None:
    too_low = (await sandbox.post("2001", daily_budget=50)).json()["error"]
    assert (too_low["code"], too_low["error_subcode"]) == (100, 1885272)
    cbo = (await sandbox.post("2003", daily_budget=9000)).json()["error"]
    assert cbo["error_subcode"] == 1885621  # the campaign owns the budget
    assert (await sandbox.post("2001", status="SLEEPING")).json()["error"]["code"] == 100
    assert (await sandbox.post("2001", colour="blue")).json()["error"]["code"] == 100
    body = (await sandbox.get("2001", fields="status,daily_budget")).json()
    assert (body["status"], body["daily_budget"]) == ("ACTIVE", "3000")
    assert sandbox.emulator.writes_applied == 0


async def test_validate_only_validates_without_applying(sandbox: Sandbox) -> None:
    ok = await sandbox.post("2001", status="PAUSED", execution_options=["validate_only"])
    assert ok.json() == {"success": True}
    assert (await sandbox.get("2001", fields="status")).json()["status"] == "ACTIVE"
    refused = await sandbox.post("2001", daily_budget=1, execution_options=["validate_only"])
    assert refused.json()["error"]["error_subcode"] == 1885272
    assert sandbox.emulator.writes_applied == 0


async def test_create_campaign_adset_creative_ad(sandbox: Sandbox) -> None:
    missing = await sandbox.post(f"{ACCOUNT}/campaigns", name="X", objective="OUTCOME_LEADS")
    assert "special_ad_categories" in missing.json()["error"]["error_user_msg"]
    campaign = (await sandbox.post(f"{ACCOUNT}/campaigns", name="Брекеты", objective="OUTCOME_LEADS",
                                   special_ad_categories=[], status="PAUSED")).json()["id"]
    assert len(campaign) == 18 and campaign.isdigit()
    bad_targeting = await sandbox.post(f"{ACCOUNT}/adsets", name="S", campaign_id=campaign, daily_budget=2000,
                                       billing_event="IMPRESSIONS", optimization_goal="REACH",
                                       targeting={"age_min": 20})
    assert bad_targeting.json()["error"]["error_subcode"] == 1487756
    adset = (await sandbox.post(f"{ACCOUNT}/adsets", name="S", campaign_id=campaign, daily_budget=2000,
                                billing_event="IMPRESSIONS", optimization_goal="REACH",
                                targeting={"geo_locations": {"countries": ["KZ"]}, "age_min": 25,
                                           "age_max": 45})).json()["id"]
    creative = (await sandbox.post(f"{ACCOUNT}/adcreatives", name="C", object_story_spec={
        "page_id": "1", "link_data": {"message": "Ровные зубы", "link": "https://example.com",
                                      "call_to_action": {"type": "LEARN_MORE"}}})).json()["id"]
    ad = (await sandbox.post(f"{ACCOUNT}/ads", name="A", adset_id=adset,
                             creative={"creative_id": creative})).json()["id"]
    body = (await sandbox.get(ad, fields="adset_id,campaign_id,creative,status")).json()
    assert body == {"id": ad, "adset_id": adset, "campaign_id": campaign, "creative": {"id": creative},
                    "status": "PAUSED"}


async def test_deep_copy_campaign(sandbox: Sandbox) -> None:
    body = (await sandbox.post("1001/copies", deep_copy="true", status_option="PAUSED")).json()
    types = [o["ad_object_type"] for o in body["ad_object_ids"]]
    assert types.count("ad_set") == 2 and types.count("ad") == 2
    copy = (await sandbox.get(body["copied_campaign_id"], fields="name,status")).json()
    assert copy["name"] == "Имплантация Москва - Copy" and copy["status"] == "PAUSED"


async def test_delete_marks_deleted_and_hides_from_lists(sandbox: Sandbox) -> None:
    assert (await sandbox.delete("3004")).json() == {"success": True}
    ads = (await sandbox.get(f"{ACCOUNT}/ads")).json()["data"]
    assert "3004" not in [a["id"] for a in ads]
    assert (await sandbox.get("3004", fields="status")).json()["status"] == "DELETED"
    assert (await sandbox.post("3004", status="ACTIVE")).json()["error"]["error_subcode"] == 1487390


async def test_image_upload_returns_md5_hash(sandbox: Sandbox) -> None:
    data = b"\x89PNG fake image"
    body = (await sandbox.post(f"{ACCOUNT}/adimages", bytes=base64.b64encode(data).decode(), name="a.png")).json()
    assert body["images"]["a.png"]["hash"] == hashlib.md5(data).hexdigest()


async def test_previews_need_a_format(sandbox: Sandbox) -> None:
    assert (await sandbox.get("3001/previews")).json()["error"]["code"] == 100
    body = (await sandbox.get("3001/previews", ad_format="MOBILE_FEED_STANDARD")).json()
    assert "<iframe" in body["data"][0]["body"]


async def test_custom_audience_users_must_be_hashed_and_lookalike(sandbox: Sandbox) -> None:
    audience = (await sandbox.post(f"{ACCOUNT}/customaudiences", name="Клиенты", subtype="CUSTOM",
                                   customer_file_source="USER_PROVIDED_ONLY")).json()["id"]
    hashed = hashlib.sha256(b"anna@example.com").hexdigest()
    body = (await sandbox.post(f"{audience}/users", payload={"schema": "EMAIL_SHA256",
                                                             "data": [hashed, "Anna@Example.com"]})).json()
    assert (body["num_received"], body["num_invalid_entries"]) == (2, 1)
    bad = await sandbox.post(f"{ACCOUNT}/customaudiences", name="LAL", subtype="LOOKALIKE",
                             origin_audience_id=audience, lookalike_spec={"ratio": 0.5, "country": "KZ"})
    assert bad.json()["error"]["code"] == 100
    lal = (await sandbox.post(f"{ACCOUNT}/customaudiences", name="LAL", subtype="LOOKALIKE",
                              origin_audience_id=audience, lookalike_spec={"ratio": 0.01, "country": "KZ"})).json()
    got = (await sandbox.get(lal["id"], fields="subtype,lookalike_spec")).json()
    assert got["subtype"] == "LOOKALIKE" and got["lookalike_spec"]["origin"] == [{"id": audience}]


async def test_pixels_stats_minimum_budgets_reach(sandbox: Sandbox) -> None:
    pixels = (await sandbox.get(f"{ACCOUNT}/adspixels", fields="name")).json()["data"]
    assert pixels == [{"id": "9001", "name": "Clinic pixel"}]
    stats = (await sandbox.get("9001/stats", aggregation="event")).json()["data"][0]["data"]
    assert {"value": "Lead", "count": 37} in stats
    budgets = (await sandbox.get(f"{ACCOUNT}/minimum_budgets")).json()["data"][0]
    assert budgets["min_daily_budget_imp"] == 100
    reach = (await sandbox.get(f"{ACCOUNT}/reachestimate", targeting_spec={
        "geo_locations": {"countries": ["RU"]}, "age_min": 25, "age_max": 45})).json()["data"]
    assert 0 < reach["users_lower_bound"] < reach["users_upper_bound"]


# ── insights ────────────────────────────────────────────────────────────────────────────────


async def test_account_insights_sum_the_daily_stats(sandbox: Sandbox) -> None:
    body = (await sandbox.get(f"{ACCOUNT}/insights", fields="spend,impressions,clicks,actions",
                              date_preset="last_7d")).json()
    (row,) = body["data"]
    # last_7d = the 7 days before TODAY; stats cover TODAY-10 … TODAY-1, so days i = 3…9.
    spend = sum(base * 1000 + i * 10 for base in (10, 5, 7) for i in range(3, 10))
    assert row["spend"] == f"{spend / 100:.2f}"
    assert (row["date_start"], row["date_stop"]) == ("2026-03-08", "2026-03-14")
    actions = {a["action_type"]: int(a["value"]) for a in row["actions"]}
    assert actions["offsite_conversion.fb_pixel_lead"] == 21


async def test_campaign_level_daily_increment(sandbox: Sandbox) -> None:
    rows = (await sandbox.get(f"{ACCOUNT}/insights", level="campaign", time_increment=1, date_preset="yesterday",
                              fields="campaign_name,spend")).json()["data"]
    assert {r["campaign_name"] for r in rows} == {"Имплантация Москва", "Виниры СПб"}
    assert all(r["date_start"] == r["date_stop"] == "2026-03-14" for r in rows)


async def test_node_scoped_insights_and_time_range(sandbox: Sandbox) -> None:
    rows = (await sandbox.get("2001/insights", level="ad", fields="ad_id,impressions",
                              time_range={"since": "2026-03-05", "until": "2026-03-06"})).json()["data"]
    assert rows == [{"ad_id": "3001", "impressions": str(10000 + 0 + 10000 + 1),
                     "date_start": "2026-03-05", "date_stop": "2026-03-06"}]
    bad = (await sandbox.get("2001/insights", time_range={"since": "2026-03-06", "until": "2026-03-05"})).json()
    assert bad["error"]["code"] == 100


async def test_breakdowns_add_up_to_the_total(sandbox: Sandbox) -> None:
    total = (await sandbox.get(f"{ACCOUNT}/insights", fields="impressions,spend", date_preset="last_7d")).json()
    rows = (await sandbox.get(f"{ACCOUNT}/insights", fields="impressions,spend", date_preset="last_7d",
                              breakdowns="age,gender")).json()["data"]
    assert len(rows) == 6 * 3 and {"age", "gender"} <= set(rows[0])
    assert sum(int(r["impressions"]) for r in rows) == int(total["data"][0]["impressions"])
    unsupported = (await sandbox.get(f"{ACCOUNT}/insights", breakdowns="zodiac")).json()
    assert unsupported["error"]["code"] == 100


async def test_async_report_job(sandbox: Sandbox) -> None:
    run = (await sandbox.post(f"{ACCOUNT}/insights", level="campaign", date_preset="last_7d",
                              fields="campaign_id,spend")).json()["report_run_id"]
    early = (await sandbox.get(f"{run}/insights")).json()
    assert early["error"]["code"] == 100
    statuses = [(await sandbox.get(run)).json()["async_status"] for _ in range(2)]
    assert statuses == ["Job Running", "Job Completed"]
    rows = (await sandbox.get(f"{run}/insights")).json()["data"]
    assert {r["campaign_id"] for r in rows} == {"1001", "1002"}


# ── batch, usage headers, faults ────────────────────────────────────────────────────────────


async def test_batch_answers_each_request(sandbox: Sandbox) -> None:
    batch = [{"method": "GET", "relative_url": "1001?fields=name"},
             {"method": "POST", "relative_url": "2001", "body": "status=PAUSED"},
             {"method": "GET", "relative_url": "404404"}]
    body = (await sandbox.client.post("/v26.0/", data={"access_token": "sandbox-token-123",
                                                       "batch": json.dumps(batch)})).json()
    assert [item["code"] for item in body] == [200, 200, 400]
    assert json.loads(body[0]["body"]) == {"id": "1001", "name": "Имплантация Москва"}
    assert (await sandbox.get("2001", fields="status")).json()["status"] == "PAUSED"


async def test_batch_over_50_is_refused(sandbox: Sandbox) -> None:
    batch = [{"method": "GET", "relative_url": "1001"}] * 51
    body = (await sandbox.client.post("/v26.0/", data={"access_token": "sandbox-token-123",
                                                       "batch": json.dumps(batch)})).json()
    assert "Maximum batch size is 50" in body["error"]["message"]


async def test_usage_headers_on_every_response(sandbox: Sandbox) -> None:
    response = await sandbox.get("1001")
    app_usage = json.loads(response.headers["X-App-Usage"])
    assert set(app_usage) == {"call_count", "total_cputime", "total_time"}
    assert "acc_id_util_pct" in json.loads(response.headers["X-Ad-Account-Usage"])
    buc = json.loads(response.headers["X-Business-Use-Case-Usage"])
    assert "estimated_time_to_regain_access" in next(iter(buc.values()))[0]


async def test_injected_faults_fail_like_graph_then_recover(sandbox: Sandbox) -> None:
    sandbox.faults.inject("server_error", times=2)
    sandbox.faults.inject("throttle")
    sandbox.faults.inject("rate_limit_429", retry_after_seconds=7, regain_minutes=2)
    sandbox.faults.inject("token_expired")
    first, second = await sandbox.get("1001"), await sandbox.get("1001")
    assert first.status_code == second.status_code == 500 and first.json()["error"]["code"] == 2
    throttled = await sandbox.get("1001")
    assert throttled.status_code == 400 and throttled.json()["error"]["code"] == 80004
    limited = await sandbox.get("1001")
    assert limited.status_code == 429 and limited.headers["Retry-After"] == "7"
    regain = json.loads(limited.headers["X-Business-Use-Case-Usage"])
    assert next(iter(regain.values()))[0]["estimated_time_to_regain_access"] == 2
    expired = (await sandbox.get("1001")).json()["error"]
    assert (expired["code"], expired["error_subcode"]) == (190, 463)
    assert (await sandbox.get("1001")).status_code == 200


async def test_faults_can_target_writes_only(sandbox: Sandbox) -> None:
    sandbox.faults.inject("server_error", method="POST")
    assert (await sandbox.get("1001")).status_code == 200
    assert (await sandbox.post("1001", status="PAUSED")).status_code == 500
    assert (await sandbox.get("1001", fields="status")).json()["status"] == "ACTIVE"


async def test_fault_endpoint_for_http_clients(sandbox: Sandbox) -> None:
    assert (await sandbox.client.post("/_sandbox/faults", json={"kind": "server_error"})).status_code == 204
    assert (await sandbox.get("1001")).status_code == 500
    assert (await sandbox.get("1001")).status_code == 200
