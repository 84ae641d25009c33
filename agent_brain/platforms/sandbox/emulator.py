"""The Graph API emulator: node/edge dispatch over the sandbox state.

`GraphEmulator.handle(method, path, params)` answers one Graph request with `(status, body,
headers)`. The HTTP app and the batch endpoint both go through it, so a request behaves the
same on its own or inside a batch.
"""

from __future__ import annotations

import asyncio
import base64
import datetime as dt
import hashlib
import json
import re
import time
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from agent_brain.platforms.sandbox.faults import FaultInjector
from agent_brain.platforms.sandbox.graph_format import (
    GraphAPIError,
    JsonObject,
    graph_time,
    invalid_parameter,
    page,
    parse_json_param,
    parse_list_param,
    requested_fields,
    select,
    unknown_path,
)
from agent_brain.platforms.sandbox.insights import aggregate, resolve_range, select_insight_fields
from agent_brain.platforms.sandbox.state import SandboxState

STATUSES = ("ACTIVE", "PAUSED", "ARCHIVED", "DELETED")
MIN_DAILY_BUDGET_CENTS = 100
MAX_BATCH = 50
SANDBOX_USER_ID = "100000000000001"
SANDBOX_BUSINESS_ID = "100200300"
HEX64 = re.compile(r"^[0-9a-f]{64}$")

EDGE_TYPES = {
    "campaigns": "campaign", "adsets": "adset", "ads": "ad", "adcreatives": "adcreative",
    "customaudiences": "customaudience", "adspixels": "adspixel", "adimages": "adimage",
}
UPDATABLE = {
    "campaign": {"name", "status", "daily_budget", "lifetime_budget", "special_ad_categories"},
    "adset": {"name", "status", "daily_budget", "targeting", "bid_amount", "optimization_goal", "end_time"},
    "ad": {"name", "status", "creative"},
    "customaudience": {"name", "description"},
    "adcreative": {"name"},
}
IGNORED_PARAMS = {"access_token", "execution_options", "appsecret_proof", "method", "format", "suppress_http_code"}


@dataclass
class UsageMeter:
    """Per-account call accounting behind the X-*-Usage headers (writes weigh 3 calls)."""

    capacity: int = 3000
    window_seconds: float = 300.0
    calls: dict[str, deque[tuple[float, int]]] = field(default_factory=dict)

    def record(self, account: str, weight: int) -> int:
        now = time.monotonic()
        log = self.calls.setdefault(account, deque())
        log.append((now, weight))
        while log and log[0][0] < now - self.window_seconds:
            log.popleft()
        return min(100, round(100 * sum(w for _, w in log) / self.capacity))

    def headers(self, account: str, pct: int) -> dict[str, str]:
        return {
            "X-App-Usage": json.dumps({"call_count": pct, "total_cputime": pct // 2, "total_time": pct // 2}),
            "X-Ad-Account-Usage": json.dumps({"acc_id_util_pct": pct, "reset_time_duration": 0}),
            "X-Business-Use-Case-Usage": json.dumps({SANDBOX_BUSINESS_ID: [{
                "type": "ads_management", "call_count": pct, "total_cputime": pct // 2,
                "total_time": pct // 2, "estimated_time_to_regain_access": 0,
            }]}),
        }


Handler = Callable[[dict[str, Any] | None, str, dict[str, str]], Awaitable[JsonObject]]


class GraphEmulator:
    def __init__(
        self,
        state: SandboxState,
        *,
        faults: FaultInjector | None = None,
        today: Callable[[], dt.date] | None = None,
        valid_tokens: set[str] | None = None,
        base_url: str = "https://graph.facebook.com",
        usage_capacity: int = 3000,
    ) -> None:
        self.state = state
        self.faults = faults or FaultInjector()
        self.today = today or (lambda: dt.datetime.now(dt.UTC).date())
        self.valid_tokens = valid_tokens
        self.base_url = base_url
        self.usage = UsageMeter(capacity=usage_capacity)
        self.writes_applied = 0  # observable by tests: real state changes made

    # ── entry point ─────────────────────────────────────────────────────────────────────────

    async def handle(self, method: str, path: str, params: dict[str, str]) -> tuple[int, Any, dict[str, str]]:
        """Answer one request: (HTTP status, JSON body, headers). Errors come back in Graph's shape."""
        method = method.upper()
        parts = [p for p in path.strip("/").split("/") if p]
        if parts and re.fullmatch(r"v\d+\.\d+", parts[0]):
            parts = parts[1:]
        headers: dict[str, str] = {}
        try:
            self._authenticate(params)
            account = await self._account_of(parts)
            pct = self.usage.record(account, 3 if method in ("POST", "DELETE") else 1)
            headers = self.usage.headers(account, pct)
            fault = await self.faults.apply(method, SANDBOX_BUSINESS_ID)
            if fault is not None and fault.kind == "drop_write" and method in ("POST", "DELETE"):
                return 200, {"success": True}, headers
            body = await self._dispatch(method, parts, params)
            if fault is not None and fault.kind == "slow_response":
                await asyncio.sleep(fault.delay_seconds)
            return 200, body, headers
        except GraphAPIError as err:
            return err.http_status, err.body(), {**headers, **err.headers}

    def _authenticate(self, params: dict[str, str]) -> None:
        token = params.get("access_token")
        if not token:
            raise GraphAPIError("An access token is required to request this resource.", code=104)
        if self.valid_tokens is not None and token not in self.valid_tokens:
            raise GraphAPIError("Invalid OAuth access token - Cannot parse access token", code=190)

    async def _account_of(self, parts: list[str]) -> str:
        if not parts:
            return "batch"
        if parts[0].startswith("act_") or parts[0] == "me":
            return parts[0]
        return "objects"

    async def _dispatch(self, method: str, parts: list[str], params: dict[str, str]) -> Any:
        if not parts:
            if method == "POST" and "batch" in params:
                return await self._batch(params)
            raise unknown_path("/")
        node_id, edge = parts[0], "/".join(parts[1:])
        if node_id == "me":
            return await self._me(method, edge, params)
        node = await self.state.get(node_id)
        if node is None or (node["type"] == "adaccount") != node_id.startswith("act_"):
            raise unknown_path(node_id)
        if node.get("status") == "DELETED" and method != "GET":
            raise GraphAPIError("The object has been deleted.", code=100, subcode=1487390)
        route = {
            ("GET", ""): self._read_node,
            ("POST", ""): self._update_node,
            ("DELETE", ""): self._delete_node,
            ("GET", "insights"): self._insights,
            ("POST", "insights"): self._start_report,
            ("GET", "previews"): self._previews,
            ("POST", "copies"): self._copy_campaign,
            ("POST", "users"): self._add_audience_users,
            ("GET", "stats"): self._pixel_stats,
            ("GET", "minimum_budgets"): self._minimum_budgets,
            ("GET", "reachestimate"): self._reach_estimate,
        }.get((method, edge))
        if route is None and edge in EDGE_TYPES:
            route = self._list_edge if method == "GET" else self._create_on_edge
        if route is None:
            raise unknown_path(f"{node_id}/{edge}")
        return await route(node, edge, params)

    # ── reads ───────────────────────────────────────────────────────────────────────────────

    async def _me(self, method: str, edge: str, params: dict[str, str]) -> JsonObject:
        if method != "GET":
            raise unknown_path("me")
        if edge == "":
            return select({"id": SANDBOX_USER_ID, "name": "Sandbox User"}, requested_fields(params, ["name"]))
        if edge == "adaccounts":
            accounts = await self.state.children(type_="adaccount")
            fields = requested_fields(params, ["account_id"])
            rendered = [select(self._render(a, {}), fields) for a in accounts]
            return page(rendered, params, f"{self.base_url}/me/adaccounts")
        raise unknown_path(f"me/{edge}")

    async def _read_node(self, node: dict[str, Any], edge: str, params: dict[str, str]) -> JsonObject:
        if node["type"] == "adreportrun":
            return await self._report_status(node)
        statuses = await self._parent_statuses(node)
        default = ["account_id"] if node["type"] == "adaccount" else ["name"]
        return select(self._render(node, statuses), requested_fields(params, default))

    async def _list_edge(self, node: dict[str, Any], edge: str, params: dict[str, str]) -> JsonObject:
        type_ = EDGE_TYPES[edge]
        scope: dict[str, Any] = {"type_": type_}
        if node["type"] == "adaccount":
            scope["account_id"] = node["id"]
        elif node["type"] == "campaign" and type_ in ("adset", "ad"):
            scope["campaign_id"] = node["id"]
        elif node["type"] == "adset" and type_ == "ad":
            scope["adset_id"] = node["id"]
        else:
            raise unknown_path(f"{node['id']}/{edge}")
        objects = await self.state.children(**scope)
        statuses = await self._account_statuses(node["account_id"])
        rendered = [self._render(o, statuses) for o in objects]
        wanted = parse_list_param(params, "effective_status")
        if wanted:
            rendered = [o for o in rendered if o.get("effective_status") in wanted]
        elif type_ in ("campaign", "adset", "ad"):
            rendered = [o for o in rendered if o.get("status") != "DELETED"]
        fields = requested_fields(params, ["name"])
        return page([select(o, fields) for o in rendered], params, f"{self.base_url}/{node['id']}/{edge}")

    async def _parent_statuses(self, node: dict[str, Any]) -> dict[str, str]:
        ids = [i for i in (node.get("campaign_id"), node.get("adset_id")) if i]
        statuses = {}
        for object_id in ids:
            parent = await self.state.get(object_id)
            if parent is not None:
                statuses[object_id] = parent["status"]
        return statuses

    async def _account_statuses(self, account_id: str) -> dict[str, str]:
        objects = await self.state.children(type_="campaign", account_id=account_id)
        objects += await self.state.children(type_="adset", account_id=account_id)
        return {o["id"]: o["status"] for o in objects}

    def _render(self, obj: dict[str, Any], statuses: dict[str, str]) -> JsonObject:
        """An object as Graph returns it (all fields; the caller selects)."""
        f = obj["fields"]
        base: JsonObject = {"id": obj["id"], "name": obj["name"]}
        if obj["type"] == "adaccount":
            return {**base, "account_id": obj["id"].removeprefix("act_"), "currency": f.get("currency", "USD"),
                    "timezone_name": f.get("timezone_name", "UTC"), "account_status": 1,
                    "amount_spent": str(f.get("amount_spent", 0)),
                    "business": {"id": SANDBOX_BUSINESS_ID, "name": f.get("business_name", "Sandbox Business")}}
        base["account_id"] = obj["account_id"].removeprefix("act_")
        if obj["type"] in ("campaign", "adset", "ad"):
            base.update(status=obj["status"], effective_status=self._effective_status(obj, statuses),
                        configured_status=obj["status"], created_time=graph_time(obj["created_time"]),
                        updated_time=graph_time(obj["updated_time"]))
            for money_field in ("daily_budget", "lifetime_budget", "bid_amount"):
                if f.get(money_field) is not None:
                    base[money_field] = str(f[money_field])
        if obj["type"] == "campaign":
            base.update(objective=f.get("objective"), buying_type=f.get("buying_type", "AUCTION"),
                        special_ad_categories=f.get("special_ad_categories", []))
        elif obj["type"] == "adset":
            base.update(campaign_id=obj["campaign_id"], targeting=f.get("targeting", {}),
                        optimization_goal=f.get("optimization_goal"), billing_event=f.get("billing_event"),
                        bid_strategy=f.get("bid_strategy", "LOWEST_COST_WITHOUT_CAP"))
        elif obj["type"] == "ad":
            base.update(campaign_id=obj["campaign_id"], adset_id=obj["adset_id"],
                        creative={"id": f["creative_id"]} if f.get("creative_id") else None)
        else:
            base.update({k: v for k, v in f.items() if k not in base})
        return base

    @staticmethod
    def _effective_status(obj: dict[str, Any], statuses: dict[str, str]) -> str:
        if obj["status"] != "ACTIVE":
            return obj["status"]
        if obj["type"] in ("adset", "ad") and statuses.get(obj.get("campaign_id") or "") == "PAUSED":
            return "CAMPAIGN_PAUSED"
        if obj["type"] == "ad" and statuses.get(obj.get("adset_id") or "") == "PAUSED":
            return "ADSET_PAUSED"
        return "ACTIVE"

    # ── insights ────────────────────────────────────────────────────────────────────────────

    async def _insights(self, node: dict[str, Any], edge: str, params: dict[str, str]) -> JsonObject:
        if node["type"] == "adreportrun":
            stored = node["fields"]
            if stored.get("async_status") != "Job Completed":
                raise invalid_parameter("the report is not ready yet; poll async_status first")
            target = await self.state.get(stored["node_id"])
            assert target is not None
            rows = await self._compute_insights(target, stored["params"])
            return page(rows, params, f"{self.base_url}/{node['id']}/insights")
        rows = await self._compute_insights(node, params)
        return page(rows, params, f"{self.base_url}/{node['id']}/insights")

    async def _compute_insights(self, node: dict[str, Any], params: dict[str, str]) -> list[JsonObject]:
        if node["type"] not in ("adaccount", "campaign", "adset", "ad"):
            raise unknown_path(f"{node['id']}/insights")
        default_level = "account" if node["type"] == "adaccount" else node["type"]
        level = params.get("level", default_level)
        since, until = resolve_range(params, self.today())
        scope = {"campaign": "campaign_id", "adset": "adset_id", "ad": "ad_id"}.get(node["type"])
        rows = await self.state.stat_rows(
            account_id=node["account_id"], since=since, until=until, **({scope: node["id"]} if scope else {})
        )
        breakdowns = parse_list_param(params, "breakdowns")
        result = aggregate(rows, level=level, since=since, until=until,
                           increment=params.get("time_increment"), breakdowns=breakdowns)
        return select_insight_fields(result, params, breakdowns)

    async def _start_report(self, node: dict[str, Any], edge: str, params: dict[str, str]) -> JsonObject:
        resolve_range(params, self.today())  # validate now, as Graph does
        kept = {k: v for k, v in params.items() if k not in IGNORED_PARAMS}
        run = await self.state.create(
            type_="adreportrun", account_id=node["account_id"], name="report", parent_id=node["id"],
            fields={"node_id": node["id"], "params": kept, "polls": 0, "async_status": "Job Not Started",
                    "async_percent_completion": 0},
        )
        return {"report_run_id": run["id"]}

    async def _report_status(self, run: dict[str, Any]) -> JsonObject:
        # Each poll advances the job: not started → running (50 %) → completed, like a real job.
        polls = run["fields"]["polls"] + 1
        status, pct = ("Job Running", 50) if polls == 1 else ("Job Completed", 100)
        await self.state.update(run["id"], fields={"polls": polls, "async_status": status,
                                                   "async_percent_completion": pct})
        return {"id": run["id"], "async_status": status, "async_percent_completion": pct,
                "account_id": run["account_id"].removeprefix("act_")}

    # ── writes ──────────────────────────────────────────────────────────────────────────────

    @staticmethod
    def _validate_only(params: dict[str, str]) -> bool:
        return "validate_only" in parse_list_param(params, "execution_options")

    async def _update_node(self, node: dict[str, Any], edge: str, params: dict[str, str]) -> JsonObject:
        allowed = UPDATABLE.get(node["type"])
        if allowed is None:
            raise GraphAPIError(f"Unsupported post request for {node['type']}", code=100, subcode=33)
        changes = {k: v for k, v in params.items() if k not in IGNORED_PARAMS}
        unknown = sorted(set(changes) - allowed)
        if unknown:
            raise invalid_parameter(f"param {unknown[0]} is not valid for {node['type']}")
        fields: dict[str, Any] = {}
        status = changes.pop("status", None)
        if status is not None and status not in STATUSES:
            raise invalid_parameter(f"status must be one of {', '.join(STATUSES)}")
        for money_field in ("daily_budget", "lifetime_budget", "bid_amount"):
            if money_field in changes:
                fields[money_field] = await self._budget(node, money_field, changes.pop(money_field))
        if "targeting" in changes:
            fields["targeting"] = self._targeting(parse_json_param(changes, "targeting"))
            changes.pop("targeting")
        if "creative" in changes:
            creative = parse_json_param(changes, "creative") or {}
            fields["creative_id"] = str(creative.get("creative_id", ""))
            changes.pop("creative")
        name = changes.pop("name", None)
        fields.update(changes)
        if self._validate_only(params):
            return {"success": True}
        await self.state.update(node["id"], name=name, status=status, fields=fields)
        self.writes_applied += 1
        return {"success": True}

    async def _budget(self, node: dict[str, Any], name: str, raw: str) -> int:
        try:
            cents = int(raw)
        except ValueError as exc:
            raise invalid_parameter(f"{name} must be an integer amount in the currency's minor unit") from exc
        if name == "daily_budget" and cents < MIN_DAILY_BUDGET_CENTS:
            raise GraphAPIError(
                f"Your budget is too low. The minimum daily budget is {MIN_DAILY_BUDGET_CENTS} (minor units).",
                code=100, subcode=1885272, user_title="Budget too low",
            )
        if name == "daily_budget" and node["type"] == "adset" and node.get("campaign_id"):
            campaign = await self.state.get(node["campaign_id"])
            if campaign is not None and campaign["fields"].get("daily_budget") is not None:
                raise GraphAPIError(
                    "This ad set's campaign uses campaign budget optimization: change the campaign's budget.",
                    code=100, subcode=1885621,
                )
        return cents

    @staticmethod
    def _targeting(spec: Any) -> dict[str, Any]:
        if not isinstance(spec, dict):
            raise invalid_parameter("targeting must be a JSON object")
        geo = spec.get("geo_locations")
        if not isinstance(geo, dict) or not any(geo.get(k) for k in ("countries", "cities", "regions")):
            raise GraphAPIError("Targeting spec must include geo_locations.", code=100, subcode=1487756)
        age_min, age_max = spec.get("age_min", 18), spec.get("age_max", 65)
        if not (isinstance(age_min, int) and isinstance(age_max, int) and 13 <= age_min <= age_max <= 65):
            raise GraphAPIError("Invalid age range: 13 ≤ age_min ≤ age_max ≤ 65.", code=100, subcode=1487083)
        for gender in spec.get("genders", []):
            if gender not in (1, 2):
                raise invalid_parameter("genders accepts 1 (male) and 2 (female)")
        return spec

    async def _delete_node(self, node: dict[str, Any], edge: str, params: dict[str, str]) -> JsonObject:
        if node["type"] not in ("campaign", "adset", "ad", "customaudience", "adcreative"):
            raise GraphAPIError(f"Unsupported delete request for {node['type']}", code=100, subcode=33)
        if not self._validate_only(params):
            await self.state.update(node["id"], status="DELETED")
            self.writes_applied += 1
        return {"success": True}

    async def _create_on_edge(self, node: dict[str, Any], edge: str, params: dict[str, str]) -> JsonObject:
        if node["type"] != "adaccount":
            raise unknown_path(f"{node['id']}/{edge}")
        type_ = EDGE_TYPES[edge]
        creator = {
            "campaign": self._new_campaign, "adset": self._new_adset, "ad": self._new_ad,
            "adcreative": self._new_creative, "adimage": self._new_image, "customaudience": self._new_audience,
        }.get(type_)
        if creator is None:
            raise unknown_path(f"{node['id']}/{edge}")
        spec = await creator(node, params)
        if self._validate_only(params):
            return {"success": True}
        if type_ == "adimage":
            return spec  # already stored by the creator; the response shape differs
        created = await self.state.create(account_id=node["id"], **spec)
        self.writes_applied += 1
        return {"id": created["id"]}

    @staticmethod
    def _require(params: dict[str, str], *names: str) -> None:
        for name in names:
            if not params.get(name):
                raise invalid_parameter(f"the parameter {name} is required")

    async def _new_campaign(self, account: dict[str, Any], params: dict[str, str]) -> dict[str, Any]:
        self._require(params, "name", "objective")
        if "special_ad_categories" not in params:
            raise invalid_parameter("the parameter special_ad_categories is required (use [] for none)")
        status = params.get("status", "PAUSED")
        if status not in STATUSES:
            raise invalid_parameter(f"status must be one of {', '.join(STATUSES)}")
        fields: dict[str, Any] = {"objective": params["objective"],
                                  "special_ad_categories": parse_list_param(params, "special_ad_categories")}
        if params.get("daily_budget"):
            fields["daily_budget"] = await self._budget({"type": "campaign"}, "daily_budget", params["daily_budget"])
        return {"type_": "campaign", "name": params["name"], "status": status, "fields": fields}

    async def _new_adset(self, account: dict[str, Any], params: dict[str, str]) -> dict[str, Any]:
        self._require(params, "name", "campaign_id", "billing_event", "optimization_goal", "targeting")
        campaign = await self.state.get(params["campaign_id"])
        if campaign is None or campaign["type"] != "campaign" or campaign["account_id"] != account["id"]:
            raise invalid_parameter("campaign_id does not belong to this ad account", subcode=1487991)
        fields: dict[str, Any] = {
            "targeting": self._targeting(parse_json_param(params, "targeting")),
            "billing_event": params["billing_event"], "optimization_goal": params["optimization_goal"],
        }
        if params.get("daily_budget"):
            probe = {"type": "adset", "campaign_id": campaign["id"]}
            fields["daily_budget"] = await self._budget(probe, "daily_budget", params["daily_budget"])
        elif campaign["fields"].get("daily_budget") is None:
            raise invalid_parameter("an ad set needs daily_budget unless its campaign has one")
        return {"type_": "adset", "name": params["name"], "status": params.get("status", "PAUSED"),
                "parent_id": campaign["id"], "campaign_id": campaign["id"], "fields": fields}

    async def _new_ad(self, account: dict[str, Any], params: dict[str, str]) -> dict[str, Any]:
        self._require(params, "name", "adset_id", "creative")
        adset = await self.state.get(params["adset_id"])
        if adset is None or adset["type"] != "adset" or adset["account_id"] != account["id"]:
            raise invalid_parameter("adset_id does not belong to this ad account")
        creative = parse_json_param(params, "creative") or {}
        creative_id = str(creative.get("creative_id", ""))
        found = await self.state.get(creative_id) if creative_id else None
        if found is None or found["type"] != "adcreative":
            raise invalid_parameter("creative.creative_id must be an existing ad creative")
        return {"type_": "ad", "name": params["name"], "status": params.get("status", "PAUSED"),
                "parent_id": adset["id"], "campaign_id": adset["campaign_id"], "adset_id": adset["id"],
                "fields": {"creative_id": creative_id}}

    async def _new_creative(self, account: dict[str, Any], params: dict[str, str]) -> dict[str, Any]:
        self._require(params, "name")
        spec = parse_json_param(params, "object_story_spec")
        if not isinstance(spec, dict) or "page_id" not in spec:
            raise invalid_parameter("object_story_spec with a page_id is required")
        link = spec.get("link_data") or {}
        video = spec.get("video_data") or {}
        fields = {"object_story_spec": spec, "body": link.get("message") or video.get("message"),
                  "title": link.get("name") or video.get("title"), "image_hash": link.get("image_hash"),
                  "video_id": video.get("video_id"),
                  "call_to_action_type": (link.get("call_to_action") or video.get("call_to_action") or {}).get("type")}
        return {"type_": "adcreative", "name": params["name"], "fields": {k: v for k, v in fields.items() if v}}

    async def _new_image(self, account: dict[str, Any], params: dict[str, str]) -> JsonObject:
        self._require(params, "bytes")
        try:
            data = base64.b64decode(params["bytes"], validate=True)
        except ValueError as exc:
            raise invalid_parameter("bytes must be base64-encoded image data") from exc
        if not data:
            raise invalid_parameter("bytes is empty")
        digest = hashlib.md5(data).hexdigest()  # Graph's image hash is an MD5 of the file
        name = params.get("name", f"{digest}.jpg")
        if not self._validate_only(params) and await self.state.get(digest) is None:
            await self.state.create(type_="adimage", account_id=account["id"], name=name, object_id=digest,
                                    fields={"hash": digest, "url": f"https://sandbox.local/images/{digest}.jpg"})
            self.writes_applied += 1
        return {"images": {name: {"hash": digest, "url": f"https://sandbox.local/images/{digest}.jpg"}}}

    async def _new_audience(self, account: dict[str, Any], params: dict[str, str]) -> dict[str, Any]:
        self._require(params, "name")
        subtype = params.get("subtype", "CUSTOM")
        fields: dict[str, Any] = {"subtype": subtype, "description": params.get("description"),
                                  "approximate_count_lower_bound": 0, "approximate_count_upper_bound": 0}
        if subtype == "LOOKALIKE":
            self._require(params, "origin_audience_id", "lookalike_spec")
            origin = await self.state.get(params["origin_audience_id"])
            if origin is None or origin["type"] != "customaudience":
                raise invalid_parameter("origin_audience_id must be an existing custom audience")
            spec = parse_json_param(params, "lookalike_spec")
            if not isinstance(spec, dict) or not 0.01 <= float(spec.get("ratio", 0)) <= 0.20 or not spec.get("country"):
                raise invalid_parameter("lookalike_spec needs ratio 0.01–0.20 and a country")
            size = int(float(spec["ratio"]) * 20_000_000)
            fields.update(lookalike_spec={**spec, "origin": [{"id": origin["id"]}]},
                          approximate_count_lower_bound=int(size * 0.9), approximate_count_upper_bound=size)
        elif subtype != "CUSTOM":
            raise invalid_parameter("subtype must be CUSTOM or LOOKALIKE")
        return {"type_": "customaudience", "name": params["name"], "fields": fields}

    async def _add_audience_users(self, node: dict[str, Any], edge: str, params: dict[str, str]) -> JsonObject:
        if node["type"] != "customaudience":
            raise unknown_path(f"{node['id']}/users")
        payload = parse_json_param(params, "payload")
        if not isinstance(payload, dict) or "schema" not in payload or not isinstance(payload.get("data"), list):
            raise invalid_parameter("payload must be {\"schema\": ..., \"data\": [...]}")
        rows = payload["data"]
        invalid = 0
        for row in rows:
            values = row if isinstance(row, list) else [row]
            if not all(isinstance(v, str) and HEX64.match(v) for v in values):
                invalid += 1  # Graph expects normalised, SHA-256-hashed, lower-case hex values
        valid = len(rows) - invalid
        if not self._validate_only(params) and valid:
            f = node["fields"]
            await self.state.update(node["id"], fields={
                "approximate_count_lower_bound": f.get("approximate_count_lower_bound", 0) + valid,
                "approximate_count_upper_bound": f.get("approximate_count_upper_bound", 0) + valid,
            })
            self.writes_applied += 1
        return {"audience_id": node["id"], "session_id": str(abs(hash(node["id"])) % 10**12),
                "num_received": len(rows), "num_invalid_entries": invalid, "invalid_entry_samples": {}}

    async def _copy_campaign(self, node: dict[str, Any], edge: str, params: dict[str, str]) -> JsonObject:
        if node["type"] != "campaign":
            raise unknown_path(f"{node['id']}/copies")
        status_option = params.get("status_option", "PAUSED")
        if status_option not in ("ACTIVE", "PAUSED", "INHERITED_FROM_SOURCE"):
            raise invalid_parameter("status_option must be ACTIVE, PAUSED or INHERITED_FROM_SOURCE")
        if self._validate_only(params):
            return {"success": True}

        def status_of(obj: dict[str, Any]) -> str:
            return obj["status"] if status_option == "INHERITED_FROM_SOURCE" else status_option

        copied = await self.state.create(type_="campaign", account_id=node["account_id"],
                                         name=f"{node['name']} - Copy", status=status_of(node),
                                         fields=node["fields"])
        ids = [{"ad_object_type": "campaign", "source_id": node["id"], "copied_id": copied["id"]}]
        if params.get("deep_copy", "false").lower() == "true":
            for adset in await self.state.children(type_="adset", campaign_id=node["id"]):
                new_set = await self.state.create(
                    type_="adset", account_id=node["account_id"], name=adset["name"], status=status_of(adset),
                    parent_id=copied["id"], campaign_id=copied["id"], fields=adset["fields"])
                ids.append({"ad_object_type": "ad_set", "source_id": adset["id"], "copied_id": new_set["id"]})
                for ad in await self.state.children(type_="ad", adset_id=adset["id"]):
                    new_ad = await self.state.create(
                        type_="ad", account_id=node["account_id"], name=ad["name"], status=status_of(ad),
                        parent_id=new_set["id"], campaign_id=copied["id"], adset_id=new_set["id"],
                        fields=ad["fields"])
                    ids.append({"ad_object_type": "ad", "source_id": ad["id"], "copied_id": new_ad["id"]})
        self.writes_applied += 1
        return {"copied_campaign_id": copied["id"], "ad_object_ids": ids}

    # ── misc reads ──────────────────────────────────────────────────────────────────────────

    async def _previews(self, node: dict[str, Any], edge: str, params: dict[str, str]) -> JsonObject:
        if node["type"] not in ("ad", "adcreative"):
            raise unknown_path(f"{node['id']}/previews")
        self._require(params, "ad_format")
        fmt = params["ad_format"]
        body = (f'<iframe src="https://sandbox.local/preview/{node["id"]}?ad_format={fmt}" '
                'width="540" height="690" scrolling="yes" style="border: none;"></iframe>')
        return {"data": [{"body": body}]}

    async def _pixel_stats(self, node: dict[str, Any], edge: str, params: dict[str, str]) -> JsonObject:
        if node["type"] != "adspixel":
            raise unknown_path(f"{node['id']}/stats")
        aggregation = params.get("aggregation", "event")
        if aggregation != "event":
            raise invalid_parameter("the sandbox supports aggregation=event")
        events = node["fields"].get("event_counts", {})
        start = dt.datetime.combine(self.today() - dt.timedelta(days=1), dt.time(), dt.UTC)
        return {"data": [{"aggregation": "event", "start_time": graph_time(start),
                          "data": [{"value": k, "count": v} for k, v in sorted(events.items())]}]}

    async def _minimum_budgets(self, node: dict[str, Any], edge: str, params: dict[str, str]) -> JsonObject:
        currency = node["fields"].get("currency", "USD")
        return {"data": [{"currency": currency, "min_daily_budget_imp": MIN_DAILY_BUDGET_CENTS,
                          "min_daily_budget_video_views": MIN_DAILY_BUDGET_CENTS,
                          "min_daily_budget_high_freq": 500, "min_daily_budget_low_freq": 4000}]}

    async def _reach_estimate(self, node: dict[str, Any], edge: str, params: dict[str, str]) -> JsonObject:
        spec = self._targeting(parse_json_param(params, "targeting_spec"))
        geo = spec["geo_locations"]
        places = len(geo.get("countries", [])) * 8_000_000 + len(geo.get("cities", [])) * 900_000
        span = (spec.get("age_max", 65) - spec.get("age_min", 18) + 1) / 48
        share = 0.5 if len(spec.get("genders", [])) == 1 else 1.0
        upper = max(1000, int(places * span * share))
        return {"data": {"users_lower_bound": int(upper * 0.85), "users_upper_bound": upper,
                         "estimate_ready": True}}

    # ── batch ───────────────────────────────────────────────────────────────────────────────

    async def _batch(self, params: dict[str, str]) -> list[JsonObject]:
        """Graph batch: ≤ 50 sub-requests, each answered with its own code, headers and body."""
        requests = parse_json_param(params, "batch")
        if not isinstance(requests, list) or not requests:
            raise invalid_parameter("batch must be a non-empty JSON array")
        if len(requests) > MAX_BATCH:
            raise GraphAPIError(f"Too many requests in batch message. Maximum batch size is {MAX_BATCH}", code=1)
        results = []
        for item in requests:
            if not isinstance(item, dict) or "relative_url" not in item:
                raise invalid_parameter("each batch request needs method and relative_url")
            url = urlsplit(str(item["relative_url"]))
            sub: dict[str, str] = dict(parse_qsl(url.query))
            if item.get("body"):
                sub.update(dict(parse_qsl(str(item["body"]))))
            sub.setdefault("access_token", params["access_token"])
            status, body, headers = await self.handle(str(item.get("method", "GET")), url.path, sub)
            results.append({"code": status, "headers": [{"name": k, "value": v} for k, v in headers.items()],
                            "body": json.dumps(body)})
        return results
