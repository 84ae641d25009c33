"""MetaAdapter: the Marketing API surface of seed 000 behind `PlatformAdapter`, over `GraphClient`.

Reads come back as unified models (money in cents). Writes go out as Graph writes that are
reconciled by reading back when their outcome is unknown, and accept `validate_only`
(Graph's `execution_options=["validate_only"]`) for dry runs. Budget changes on an ad set are
paced to Meta's ~4 per hour.
"""

from __future__ import annotations

import asyncio
import base64
import datetime as dt
import json
from collections.abc import Mapping, Sequence
from typing import Any

from agent_brain.money import to_cents
from agent_brain.platforms.base import (
    Ad,
    AdAccount,
    AdSet,
    Campaign,
    Creative,
    CustomAudience,
    Insight,
    InsightsQuery,
    Pixel,
    PlatformAdapter,
    Status,
    Targeting,
    WriteResult,
    leads_from_actions,
)
from agent_brain.platforms.graph.client import BatchRequest, GraphClient
from agent_brain.platforms.graph.errors import GraphError
from agent_brain.platforms.graph.pacing import BudgetChangePacer
from agent_brain.platforms.meta.listings import ListingCache
from agent_brain.platforms.meta.pii import hash_email, hash_phone

CAMPAIGN_FIELDS = "id,name,status,effective_status,objective,daily_budget,lifetime_budget,created_time"
ADSET_FIELDS = ("id,name,status,effective_status,campaign_id,daily_budget,optimization_goal,billing_event,"
                "targeting,created_time")
AD_FIELDS = "id,name,status,effective_status,adset_id,campaign_id,creative"
CREATIVE_FIELDS = "id,name,title,body,image_hash,video_id,call_to_action_type"
AUDIENCE_FIELDS = "id,name,subtype,description,approximate_count_upper_bound"
INSIGHT_FIELDS = ("account_id,campaign_id,campaign_name,adset_id,adset_name,ad_id,ad_name,impressions,reach,"
                  "clicks,inline_link_clicks,spend,actions,video_p25_watched_actions,video_p50_watched_actions,"
                  "video_p75_watched_actions,video_p95_watched_actions")
ASYNC_REPORT_POLL_SECONDS = 1.0


def _cents(value: Any) -> int | None:
    return None if value in (None, "") else int(value)


def _time(value: str | None) -> dt.datetime | None:
    return None if not value else dt.datetime.strptime(value, "%Y-%m-%dT%H:%M:%S%z")


def _campaign(raw: Mapping[str, Any]) -> Campaign:
    return Campaign(
        id=raw["id"], name=raw.get("name", ""), status=raw.get("status", "ACTIVE"),
        effective_status=raw.get("effective_status"), objective=raw.get("objective"),
        daily_budget_cents=_cents(raw.get("daily_budget")), lifetime_budget_cents=_cents(raw.get("lifetime_budget")),
        created_time=_time(raw.get("created_time")),
    )


def _ad_set(raw: Mapping[str, Any]) -> AdSet:
    return AdSet(
        id=raw["id"], campaign_id=raw.get("campaign_id", ""), name=raw.get("name", ""),
        status=raw.get("status", "ACTIVE"), effective_status=raw.get("effective_status"),
        daily_budget_cents=_cents(raw.get("daily_budget")), optimization_goal=raw.get("optimization_goal"),
        billing_event=raw.get("billing_event"),
        targeting=Targeting.from_graph(raw["targeting"]) if raw.get("targeting") else None,
        created_time=_time(raw.get("created_time")),
    )


def _ad(raw: Mapping[str, Any]) -> Ad:
    return Ad(
        id=raw["id"], adset_id=raw.get("adset_id", ""), campaign_id=raw.get("campaign_id"),
        name=raw.get("name", ""), status=raw.get("status", "ACTIVE"), effective_status=raw.get("effective_status"),
        creative_id=(raw.get("creative") or {}).get("id"),
    )


def _first_value(raw: Mapping[str, Any], field: str) -> int:
    values = raw.get(field) or []
    return int(float(values[0]["value"])) if values else 0


def insight_from_graph(raw: Mapping[str, Any], level: str, breakdowns: Sequence[str] = ()) -> Insight:
    object_id = raw.get(f"{level}_id") if level != "account" else f"act_{raw.get('account_id', '')}"
    return Insight(
        level=level,  # type: ignore[arg-type]
        object_id=str(object_id or ""),
        object_name=raw.get(f"{level}_name"),
        date_start=dt.date.fromisoformat(raw["date_start"]),
        date_stop=dt.date.fromisoformat(raw["date_stop"]),
        impressions=int(raw.get("impressions", 0)),
        reach=int(raw.get("reach", 0)),
        clicks=int(raw.get("clicks", 0)),
        link_clicks=int(raw.get("inline_link_clicks", 0)),
        spend_cents=to_cents(raw.get("spend", "0")),
        leads=leads_from_actions(raw.get("actions")),
        video_p25=_first_value(raw, "video_p25_watched_actions"),
        video_p50=_first_value(raw, "video_p50_watched_actions"),
        video_p75=_first_value(raw, "video_p75_watched_actions"),
        video_p95=_first_value(raw, "video_p95_watched_actions"),
        breakdowns={b: str(raw[b]) for b in breakdowns if b in raw},
    )


def _insight_params(query: InsightsQuery) -> dict[str, Any]:
    params: dict[str, Any] = {"level": query.level, "fields": INSIGHT_FIELDS}
    if query.since and query.until:
        params["time_range"] = {"since": query.since.isoformat(), "until": query.until.isoformat()}
    elif query.date_preset:
        params["date_preset"] = query.date_preset
    if query.time_increment is not None:
        params["time_increment"] = query.time_increment
    if query.breakdowns:
        params["breakdowns"] = ",".join(query.breakdowns)
    return params


class MetaAdapter(PlatformAdapter):
    platform = "meta"

    def __init__(self, client: GraphClient, *, pacer: BudgetChangePacer | None = None, list_ttl: float = 0.0) -> None:
        self.client = client
        self.pacer = pacer or BudgetChangePacer()
        # Campaign and ad-set lists: once per turn, shared `list_ttl` seconds, never across a write.
        self.listings = ListingCache(lambda: client.write_generation, ttl=list_ttl)

    # ── accounts ────────────────────────────────────────────────────────────────────────────

    async def list_ad_accounts(self) -> list[AdAccount]:
        fields = "id,name,currency,timezone_name,account_status,amount_spent"
        return [self._account(raw) async for raw in self.client.paginate("me/adaccounts", {"fields": fields})]

    async def token_expiry(self) -> tuple[bool, dt.datetime | None]:
        """Whether the client's own token is valid and when it expires (None: never), via `debug_token`."""
        data = (await self.client.get("debug_token", {}))["data"]
        expires = int(data.get("expires_at") or 0)
        return bool(data.get("is_valid")), dt.datetime.fromtimestamp(expires, dt.UTC) if expires else None

    async def get_ad_account(self, account_id: str) -> AdAccount:
        fields = "id,name,currency,timezone_name,account_status,amount_spent"
        return self._account(await self.client.get(account_id, {"fields": fields}))

    @staticmethod
    def _account(raw: Mapping[str, Any]) -> AdAccount:
        return AdAccount(
            id=raw["id"], name=raw.get("name", ""), currency=raw.get("currency", "USD"),
            timezone=raw.get("timezone_name"), status=str(raw.get("account_status", "")),
            amount_spent_cents=_cents(raw.get("amount_spent")),
        )

    async def minimum_daily_budget_cents(self, account_id: str) -> int:
        body = await self.client.get(f"{account_id}/minimum_budgets")
        return int(body["data"][0]["min_daily_budget_imp"])

    # ── campaigns ───────────────────────────────────────────────────────────────────────────

    async def list_campaigns(self, account_id: str, *, statuses: Sequence[Status] | None = None) -> list[Campaign]:
        params: dict[str, Any] = {"fields": CAMPAIGN_FIELDS, "limit": 100}
        if statuses:
            params["effective_status"] = list(statuses)

        async def load() -> list[Campaign]:
            return [_campaign(raw) async for raw in self.client.paginate(f"{account_id}/campaigns", params)]

        return await self.listings.get(("campaigns", account_id, tuple(statuses or ())), load)

    async def get_campaign(self, campaign_id: str) -> Campaign:
        return _campaign(await self.client.get(campaign_id, {"fields": CAMPAIGN_FIELDS}))

    async def create_campaign(
        self, account_id: str, *, name: str, objective: str, status: Status = "PAUSED",
        daily_budget_cents: int | None = None, special_ad_categories: Sequence[str] = (),
        validate_only: bool = False,
    ) -> WriteResult:
        data: dict[str, Any] = {"name": name, "objective": objective, "status": status,
                                "special_ad_categories": list(special_ad_categories)}
        if daily_budget_cents is not None:
            data["daily_budget"] = daily_budget_cents
        return await self._create(f"{account_id}/campaigns", data, validate_only)

    async def update_campaign(self, campaign_id: str, *, validate_only: bool = False, **changes: Any) -> WriteResult:
        return await self._update(campaign_id, changes, validate_only)

    async def duplicate_campaign(
        self, campaign_id: str, *, deep_copy: bool = True, status: str = "PAUSED", validate_only: bool = False
    ) -> WriteResult:
        data = {"deep_copy": "true" if deep_copy else "false", "status_option": status}
        if validate_only:
            data["execution_options"] = ["validate_only"]
        body = await self.client.post(f"{campaign_id}/copies", data)
        new_id = body.get("copied_campaign_id", campaign_id)
        return WriteResult(success=True, object_id=new_id, applied=not validate_only, dry_run=validate_only,
                           changes={"copied_from": campaign_id}, platform_response=body)

    async def archive(self, object_id: str, *, validate_only: bool = False) -> WriteResult:
        return await self.set_status(object_id, "ARCHIVED", validate_only=validate_only)

    async def bulk_update(self, changes: Mapping[str, Mapping[str, Any]]) -> dict[str, WriteResult | GraphError]:
        """Apply {object_id: {field: value}} in batches of ≤ 50; each object reports its own outcome."""
        ids = list(changes)
        requests = [BatchRequest("POST", object_id, dict(changes[object_id])) for object_id in ids]
        results = await self.client.batch(requests)
        out: dict[str, WriteResult | GraphError] = {}
        for object_id, result in zip(ids, results, strict=True):
            out[object_id] = result.error if result.error is not None else WriteResult(
                success=True, object_id=object_id, changes=dict(changes[object_id]), platform_response=result.body or {}
            )
        return out

    # ── ad sets ─────────────────────────────────────────────────────────────────────────────

    async def list_ad_sets(self, *, account_id: str | None = None, campaign_id: str | None = None) -> list[AdSet]:
        parent = campaign_id or account_id
        if parent is None:
            raise ValueError("list_ad_sets needs account_id or campaign_id")
        params = {"fields": ADSET_FIELDS, "limit": 100}

        async def load() -> list[AdSet]:
            return [_ad_set(raw) async for raw in self.client.paginate(f"{parent}/adsets", params)]

        return await self.listings.get(("adsets", parent), load)

    async def get_ad_set(self, ad_set_id: str) -> AdSet:
        return _ad_set(await self.client.get(ad_set_id, {"fields": ADSET_FIELDS}))

    async def create_ad_set(
        self, account_id: str, *, campaign_id: str, name: str, targeting: Targeting, daily_budget_cents: int | None,
        optimization_goal: str = "LEAD_GENERATION", billing_event: str = "IMPRESSIONS", status: Status = "PAUSED",
        validate_only: bool = False, lifetime_budget_cents: int | None = None, start_time: str | None = None,
        end_time: str | None = None, budget_schedules: Sequence[dict[str, Any]] = (),
    ) -> WriteResult:
        """An ad set with a daily budget, or a lifetime budget with an end_time (ISO 8601), as Graph requires;
        `budget_schedules`: high-demand periods as Graph's `budget_schedule_specs` (daily budgets only)."""
        data: dict[str, Any] = {
            "name": name, "campaign_id": campaign_id, "targeting": targeting.to_graph(),
            "optimization_goal": optimization_goal, "billing_event": billing_event, "status": status,
        }
        if daily_budget_cents is not None:
            data["daily_budget"] = daily_budget_cents
        if lifetime_budget_cents is not None:
            data["lifetime_budget"] = lifetime_budget_cents
        for key, value in (("start_time", start_time), ("end_time", end_time)):
            if value is not None:
                data[key] = value
        if budget_schedules:
            data["budget_schedule_specs"] = list(budget_schedules)
        return await self._create(f"{account_id}/adsets", data, validate_only)

    async def update_ad_set(self, ad_set_id: str, *, validate_only: bool = False, **changes: Any) -> WriteResult:
        if isinstance(changes.get("targeting"), Targeting):
            changes["targeting"] = changes["targeting"].to_graph()
        return await self._update(ad_set_id, changes, validate_only)

    async def validate_targeting(self, account_id: str, targeting: Targeting) -> dict[str, int]:
        """Reach estimate for a targeting spec; Graph rejects an invalid spec with code 100."""
        body = await self.client.get(f"{account_id}/reachestimate", {"targeting_spec": targeting.to_graph()})
        data = body["data"]
        return {"users_lower_bound": int(data["users_lower_bound"]), "users_upper_bound": int(data["users_upper_bound"])}

    async def search_locations(self, query: str, *, location_types: Sequence[str] = ("city",)) -> list[dict[str, Any]]:
        """Graph's targeting search for places (`GET /search?type=adgeolocation`): keys for geo_locations."""
        body = await self.client.get("search", {"type": "adgeolocation", "q": query,
                                                "location_types": list(location_types), "limit": 10})
        return list(body.get("data") or [])

    async def search_interests(self, query: str) -> list[dict[str, Any]]:
        """Graph's targeting search for interests (`GET /search?type=adinterest`)."""
        body = await self.client.get("search", {"type": "adinterest", "q": query, "limit": 10})
        return list(body.get("data") or [])

    # ── creatives, images, ads ──────────────────────────────────────────────────────────────

    async def upload_image(self, account_id: str, content: bytes, *, name: str) -> str:
        body = await self.client.post(f"{account_id}/adimages",
                                      {"bytes": base64.b64encode(content).decode(), "name": name})
        return str(next(iter(body["images"].values()))["hash"])

    async def list_creatives(self, account_id: str) -> list[Creative]:
        params = {"fields": CREATIVE_FIELDS, "limit": 100}
        return [Creative.model_validate({**raw, "name": raw.get("name", "")})
                async for raw in self.client.paginate(f"{account_id}/adcreatives", params)]

    async def create_creative(
        self, account_id: str, *, name: str, page_id: str, message: str, link: str, image_hash: str | None = None,
        headline: str | None = None, call_to_action: str = "LEARN_MORE", validate_only: bool = False,
    ) -> WriteResult:
        link_data: dict[str, Any] = {"message": message, "link": link, "call_to_action": {"type": call_to_action}}
        if image_hash:
            link_data["image_hash"] = image_hash
        if headline:
            link_data["name"] = headline
        data = {"name": name, "object_story_spec": {"page_id": page_id, "link_data": link_data}}
        return await self._create(f"{account_id}/adcreatives", data, validate_only)

    async def list_ads(self, *, account_id: str | None = None, ad_set_id: str | None = None) -> list[Ad]:
        parent = ad_set_id or account_id
        if parent is None:
            raise ValueError("list_ads needs account_id or ad_set_id")
        params = {"fields": AD_FIELDS, "limit": 100}
        return [_ad(raw) async for raw in self.client.paginate(f"{parent}/ads", params)]

    async def create_ad(
        self, account_id: str, *, ad_set_id: str, creative_id: str, name: str, status: Status = "PAUSED",
        validate_only: bool = False,
    ) -> WriteResult:
        data = {"name": name, "adset_id": ad_set_id, "creative": {"creative_id": creative_id}, "status": status}
        return await self._create(f"{account_id}/ads", data, validate_only)

    async def preview(self, ad_id: str, ad_format: str = "MOBILE_FEED_STANDARD") -> str:
        body = await self.client.get(f"{ad_id}/previews", {"ad_format": ad_format})
        return str(body["data"][0]["body"])

    # ── status and budget writes ────────────────────────────────────────────────────────────

    async def set_status(self, object_id: str, status: Status, *, validate_only: bool = False) -> WriteResult:
        return await self._update(object_id, {"status": status}, validate_only)

    async def update_daily_budget(
        self, object_id: str, daily_budget_cents: int, *, validate_only: bool = False
    ) -> WriteResult:
        if daily_budget_cents <= 0:
            raise ValueError("daily budget must be positive")
        if validate_only:
            return await self._update(object_id, {"daily_budget": daily_budget_cents}, True)
        async with self.pacer.budget_change(object_id):
            return await self._update(object_id, {"daily_budget": daily_budget_cents}, False)

    async def _update(self, object_id: str, changes: Mapping[str, Any], validate_only: bool) -> WriteResult:
        data = dict(changes)
        if validate_only:
            data["execution_options"] = ["validate_only"]

        async def read_back() -> dict[str, Any] | None:
            # Outcome unknown (timeout after sending): the change is applied if the object shows it.
            current = await self.client.get(object_id, {"fields": ",".join(changes)})
            applied = all(str(current.get(k)) == str(v) for k, v in changes.items() if not isinstance(v, dict | list))
            return current if applied else None

        body = await self.client.post(object_id, data, verify=None if validate_only else read_back)
        return WriteResult(success=bool(body.get("success", True)), object_id=object_id, applied=not validate_only,
                           dry_run=validate_only, changes=dict(changes), platform_response=body)

    async def _create(self, path: str, data: dict[str, Any], validate_only: bool) -> WriteResult:
        if validate_only:
            data = {**data, "execution_options": ["validate_only"]}
        # Creation is not reconciled by read-back (no id to read before it exists): an unknown
        # outcome surfaces as WriteOutcomeUnknown for the caller to check, never a blind re-send.
        body = await self.client.post(path, data)
        return WriteResult(success=True, object_id=str(body.get("id", "")), applied=not validate_only,
                           dry_run=validate_only, changes=data, platform_response=body)

    # ── insights ────────────────────────────────────────────────────────────────────────────

    async def insights(self, account_id: str, query: InsightsQuery) -> list[Insight]:
        node = query.object_id or account_id
        params = _insight_params(query)
        return [insight_from_graph(raw, query.level, query.breakdowns)
                async for raw in self.client.paginate(f"{node}/insights", params)]

    async def insights_async(
        self, account_id: str, query: InsightsQuery, *, poll_seconds: float = ASYNC_REPORT_POLL_SECONDS,
        max_polls: int = 60,
    ) -> list[Insight]:
        """Large reports: start an async job, poll it, then page through its rows."""
        node = query.object_id or account_id
        run_id = (await self.client.post(f"{node}/insights", _insight_params(query)))["report_run_id"]
        for _ in range(max_polls):
            status = await self.client.get(str(run_id))
            if status.get("async_status") == "Job Completed":
                break
            if status.get("async_status") in ("Job Failed", "Job Skipped"):
                raise RuntimeError(f"insights report {run_id} ended with {status['async_status']}")
            await asyncio.sleep(poll_seconds)
        else:
            raise TimeoutError(f"insights report {run_id} did not finish after {max_polls} polls")
        return [insight_from_graph(raw, query.level, query.breakdowns)
                async for raw in self.client.paginate(f"{run_id}/insights")]

    async def campaign_overview(self, campaign_id: str, *, date_preset: str = "last_7d") -> dict[str, Any]:
        """Campaign, its ad sets and ads, and insights at each level, in ONE batched HTTP call.

        Insights are fetched once per level (not once per object): 6 operations, 1 round trip.
        """
        insight = f"insights?fields={INSIGHT_FIELDS}&date_preset={date_preset}&level="
        requests = [
            BatchRequest("GET", f"{campaign_id}?fields={CAMPAIGN_FIELDS}"),
            BatchRequest("GET", f"{campaign_id}/adsets?fields={ADSET_FIELDS}&limit=200"),
            BatchRequest("GET", f"{campaign_id}/ads?fields={AD_FIELDS}&limit=500"),
            *(BatchRequest("GET", f"{campaign_id}/{insight}{level}&limit=500") for level in ("campaign", "adset", "ad")),
        ]
        results = await self.client.batch(requests)
        for result in results:
            if result.error is not None:
                raise result.error
        campaign, adsets, ads, *levels = (r.body for r in results)
        return {
            "campaign": _campaign(campaign),
            "ad_sets": [_ad_set(raw) for raw in adsets["data"]],
            "ads": [_ad(raw) for raw in ads["data"]],
            "insights": {
                level: [insight_from_graph(raw, level) for raw in body["data"]]
                for level, body in zip(("campaign", "adset", "ad"), levels, strict=True)
            },
        }

    # ── audiences and pixels ────────────────────────────────────────────────────────────────

    async def list_custom_audiences(self, account_id: str) -> list[CustomAudience]:
        params = {"fields": AUDIENCE_FIELDS, "limit": 100}
        return [
            CustomAudience(id=raw["id"], name=raw.get("name", ""), subtype=raw.get("subtype", "CUSTOM"),
                           approximate_count=raw.get("approximate_count_upper_bound"),
                           description=raw.get("description"))
            async for raw in self.client.paginate(f"{account_id}/customaudiences", params)
        ]

    async def create_custom_audience(self, account_id: str, *, name: str, description: str = "") -> WriteResult:
        data = {"name": name, "subtype": "CUSTOM", "description": description,
                "customer_file_source": "USER_PROVIDED_ONLY"}
        return await self._create(f"{account_id}/customaudiences", data, False)

    async def add_audience_users(
        self, audience_id: str, *, emails: Sequence[str] = (), phones: Sequence[str] = (),
        default_country_code: str = "7",
    ) -> dict[str, int]:
        """Normalise and SHA-256 hash e-mails and phones client-side; raw PII never leaves the process."""
        sent = received = invalid = 0
        for schema, values in (("EMAIL_SHA256", [hash_email(e) for e in emails]),
                               ("PHONE_SHA256", [hash_phone(p, default_country_code=default_country_code)
                                                 for p in phones])):
            hashed = [h for h in values if h is not None]
            invalid += len(values) - len(hashed)
            if not hashed:
                continue
            # Meta accepts up to 10 000 rows per request.
            for start in range(0, len(hashed), 10_000):
                body = await self.client.post(f"{audience_id}/users",
                                              {"payload": {"schema": schema, "data": hashed[start:start + 10_000]}})
                sent += len(hashed[start:start + 10_000])
                received += int(body.get("num_received", 0))
                invalid += int(body.get("num_invalid_entries", 0))
        return {"sent": sent, "received": received, "invalid": invalid}

    async def create_lookalike(
        self, account_id: str, *, origin_audience_id: str, country: str, ratio: float = 0.01, name: str | None = None,
    ) -> WriteResult:
        if not 0.01 <= ratio <= 0.20:
            raise ValueError("lookalike ratio must be between 0.01 (1 %) and 0.20 (20 %)")
        data = {"name": name or f"Lookalike {country} {ratio:.0%}", "subtype": "LOOKALIKE",
                "origin_audience_id": origin_audience_id, "lookalike_spec": {"ratio": ratio, "country": country}}
        return await self._create(f"{account_id}/customaudiences", data, False)

    async def create_website_audience(
        self, account_id: str, *, name: str, pixel_id: str, retention_days: int, events: Sequence[str] = (),
        url_contains: str | None = None, description: str = "", validate_only: bool = False,
    ) -> WriteResult:
        """A website custom audience: people the pixel saw (any event, or the given events; optionally on
        pages whose URL contains a text) within `retention_days` (1–180), as Meta's `rule` spec."""
        if not 1 <= retention_days <= 180:
            raise ValueError("a website audience keeps people 1 to 180 days")
        filters: list[dict[str, Any]] = []
        if events:
            filters.append({"field": "event", "operator": "is_any" if len(events) > 1 else "eq",
                            "value": list(events) if len(events) > 1 else events[0]})
        if url_contains:
            filters.append({"field": "url", "operator": "i_contains", "value": url_contains})
        item: dict[str, Any] = {"event_sources": [{"type": "pixel", "id": pixel_id}],
                                "retention_seconds": retention_days * 86400}
        if filters:
            item["filter"] = {"operator": "and", "filters": filters}
        rule = {"inclusions": {"operator": "or", "rules": [item]}}
        data = {"name": name, "rule": json.dumps(rule, ensure_ascii=False), "prefill": True,
                "description": description}
        return await self._create(f"{account_id}/customaudiences", data, validate_only)

    async def list_pixels(self, account_id: str) -> list[Pixel]:
        return [Pixel(id=raw["id"], name=raw.get("name", ""), last_fired_time=_time(raw.get("last_fired_time")))
                async for raw in self.client.paginate(f"{account_id}/adspixels", {"fields": "id,name,last_fired_time"})]

    async def pixel_stats(self, pixel_id: str) -> dict[str, int]:
        body = await self.client.get(f"{pixel_id}/stats", {"aggregation": "event"})
        return {item["value"]: int(item["count"]) for bucket in body["data"] for item in bucket["data"]}
