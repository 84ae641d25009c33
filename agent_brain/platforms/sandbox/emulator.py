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
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from agent_brain import clock
from agent_brain.platforms.sandbox import reference, targeting_search
from agent_brain.platforms.sandbox.budget_schedules import checked_schedules
from agent_brain.platforms.sandbox.faults import FaultInjector
from agent_brain.platforms.sandbox.graph_format import (
    FieldSpec,
    GraphAPIError,
    JsonObject,
    RequestContext,
    current_request,
    graph_time,
    invalid_parameter,
    page,
    parse_fields,
    parse_json_param,
    parse_list_param,
    unknown_path,
    unsupported,
)
from agent_brain.platforms.sandbox.insights import (
    apply_filters,
    check_insights_request,
    compute_rows,
    resolve_range,
    row_filters,
    select_insight_fields,
    sort_rows,
)
from agent_brain.platforms.sandbox.state import SandboxState
from agent_brain.platforms.sandbox.validation import (
    check_objective,
    check_params,
    nonexisting_field,
    require,
)
from agent_brain.platforms.sandbox.website_audiences import website_fields

MIN_DAILY_BUDGET_CENTS = 100
MAX_BATCH = 50
SANDBOX_USER_ID = "100000000000001"
SANDBOX_BUSINESS_ID = "100200300"
HEX64 = re.compile(r"^[0-9a-f]{64}$")

EDGE_TYPES = {
    "campaigns": "campaign", "adsets": "adset", "ads": "ad", "adcreatives": "adcreative",
    "customaudiences": "customaudience", "adspixels": "adspixel", "adimages": "adimage",
}
# Edges a `fields=` expansion may open on a node, e.g. `campaigns{name,adsets{name}}`.
NESTED_EDGES = {
    "adaccount": ("campaigns", "adsets", "ads", "adcreatives", "customaudiences", "adspixels", "insights"),
    "campaign": ("adsets", "ads", "insights"),
    "adset": ("ads", "insights"),
    "ad": ("insights",),
}
# Read fields whose value is another node (`{"id": ...}`), expandable as `creative{title,body}`.
NODE_CLASS_TYPES = {cls: type_ for type_, (_, cls) in reference.NODE_CLASSES.items()}
MONEY_FIELDS = ("daily_budget", "lifetime_budget", "bid_amount", "spend_cap")
IGNORED_PARAMS = {"access_token", "execution_options", "appsecret_proof", "method", "format", "suppress_http_code"}
# Marketing API versions Meta still serves; older ones are refused with error 2635, as Graph does.
OLDEST_SERVED_VERSION = (24, 0)
BATCH_REFERENCE = re.compile(r"\{result=([^:}]+):(\$[^}]*)\}")


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


SANDBOX_APP_ID = "1000000000000001"

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
        self._fixed_today = today  # tests pin the calendar; otherwise each account's own
        self._account_zones: dict[str, str] = {}
        self.valid_tokens = valid_tokens
        self.base_url = base_url
        self.usage = UsageMeter(capacity=usage_capacity)
        self.writes_applied = 0  # observable by tests: real state changes made
        # Pins what `debug_token` answers for a valid token's expiry (unix seconds, 0 = never); None: the
        # sandbox's rules in `_debug_token`.
        self.token_expires_at: int | None = None

    async def today(self, account_id: str) -> dt.date:
        """Today in the ad account's time zone: Graph's date presets follow the account's calendar."""
        if self._fixed_today is not None:
            return self._fixed_today()
        zone = self._account_zones.get(account_id)
        if zone is None:
            account = await self.state.get(account_id)
            zone = self._account_zones[account_id] = (account or {}).get("fields", {}).get("timezone_name") or "UTC"
        return clock.today_in(zone)

    # ── entry point ─────────────────────────────────────────────────────────────────────────

    async def handle(
        self, method: str, path: str, params: dict[str, str], *, base_url: str | None = None,
    ) -> tuple[int, Any, dict[str, str]]:
        """Answer one request: (HTTP status, JSON body, headers). Errors come back in Graph's shape.

        `base_url` is where the client reached the sandbox; paging URLs point back at it.
        """
        method = method.upper()
        parts = [p for p in path.strip("/").split("/") if p]
        headers: dict[str, str] = {}
        try:
            version = reference.version()
            if parts and re.fullmatch(r"v\d+\.\d+", parts[0]):
                version = self._check_version(parts.pop(0))
            ctx = RequestContext(base_url=(base_url or self.base_url).rstrip("/"), version=version,
                                 path="/".join(parts), access_token=params.get("access_token", ""))
            token = current_request.set(ctx)
            try:
                self._authenticate(params)
                account = await self._account_of(parts)
                pct = self.usage.record(account, 3 if method in ("POST", "DELETE") else 1)
                headers = self.usage.headers(account, pct)
                fault = await self.faults.apply(method, SANDBOX_BUSINESS_ID, account)
                if fault is not None and fault.kind == "drop_write" and method in ("POST", "DELETE"):
                    return 200, {"success": True}, headers
                body = await self._dispatch(method, parts, params)
                if fault is not None and fault.kind == "slow_response":  # applied, answered late
                    await asyncio.sleep(fault.delay_seconds)
            finally:
                current_request.reset(token)
            return 200, body, headers
        except GraphAPIError as err:
            return err.http_status, err.body(), {**headers, **err.headers}

    @staticmethod
    def _check_version(raw: str) -> str:
        major, minor = (int(x) for x in raw[1:].split("."))
        current = tuple(int(x) for x in reference.version()[1:].split("."))
        if (major, minor) > current:
            raise GraphAPIError(f"Unknown path components: /{raw}", code=2500)
        if (major, minor) < OLDEST_SERVED_VERSION:
            raise GraphAPIError(
                f"(#2635) You are calling a deprecated version of the Ads API. Please update to the latest "
                f"version: {reference.version()}.", code=2635)
        return raw

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
        if parts == ["search"] and method == "GET":  # Graph's targeting search (a root node, not an object)
            return targeting_search.search(params)
        if not parts:
            if method == "POST" and "batch" in params:
                return await self._batch(params)
            if method == "GET" and params.get("ids"):
                return await self._read_many(params)
            raise unknown_path("/")
        node_id, edge = parts[0], "/".join(parts[1:])
        if node_id == "me":
            return await self._me(method, edge, params)
        if node_id == "debug_token" and not edge and method == "GET":
            return self._debug_token(params)
        node = await self._node(node_id)
        if node.get("status") == "DELETED" and method != "GET":
            raise GraphAPIError("The object has been deleted.", code=100, subcode=1487390)
        route = {
            ("GET", ""): self._read_node,
            ("POST", ""): self._update_node,
            ("DELETE", ""): self._delete_node,
            ("GET", "insights"): self._insights,
            ("POST", "insights"): self._start_report,
            ("GET", "previews"): self._previews,
            ("GET", "generatepreviews"): self._generate_previews,
            ("GET", "delivery_estimate"): self._delivery_estimate,
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

    def _debug_token(self, params: dict[str, str]) -> JsonObject:
        """`GET /debug_token?input_token=…` in Meta's shape (`data`: is_valid, type, expires_at…).

        Sandbox rules: a token the sandbox would refuse, or one containing "expired", is invalid
        (an expired session: code 190, subcode 463); a user token (`EAA…`) lives 60 days from now,
        as a long-lived one does; any other token is a system user's, which never expires (0).
        """
        token = params.get("input_token", "")
        if not token:
            raise invalid_parameter("The parameter input_token is required", field="input_token")
        now = int(clock.now().timestamp())
        scopes = ["ads_management", "ads_read", "business_management"]
        data: JsonObject = {"app_id": SANDBOX_APP_ID, "application": "agent-brain sandbox", "type": "USER",
                            "user_id": "10000000000001", "scopes": scopes,
                            "data_access_expires_at": now + 90 * 86400}
        if "expired" in token or (self.valid_tokens is not None and token not in self.valid_tokens):
            data.update(is_valid=False, expires_at=now - 3600, scopes=[],
                        error={"code": 190, "subcode": 463,
                               "message": "Error validating access token: Session has expired."})
        elif token.startswith("EAA"):
            data.update(is_valid=True, expires_at=now + 60 * 86400, issued_at=now)
        else:
            data.update(is_valid=True, type="SYSTEM_USER", expires_at=0)
        if data["is_valid"] and self.token_expires_at is not None:  # a test pins the expiry (0: never)
            data["expires_at"] = self.token_expires_at
        return {"data": data}

    async def _node(self, node_id: str) -> dict[str, Any]:
        node = await self.state.get(node_id)
        if node is None or (node["type"] == "adaccount") != node_id.startswith("act_"):
            raise unknown_path(node_id)
        return node

    async def _read_many(self, params: dict[str, str]) -> JsonObject:
        """`GET /?ids=a,b`: each object keyed by its id; one unknown id fails the request, as on Graph."""
        ids = parse_list_param(params, "ids")
        if len(ids) > MAX_BATCH:
            raise invalid_parameter(f"at most {MAX_BATCH} ids per request", field="ids")
        out: JsonObject = {}
        for object_id in ids:
            out[object_id] = await self._read_node(await self._node(object_id), "", params)
        return out

    # ── reads ───────────────────────────────────────────────────────────────────────────────

    async def _me(self, method: str, edge: str, params: dict[str, str]) -> JsonObject:
        if method != "GET":
            raise unknown_path("me")
        if edge == "":
            user = {"id": SANDBOX_USER_ID, "name": "Sandbox User"}
            return await self._present("user", user, params, default=["name"])
        if edge == "adaccounts":
            accounts = await self.state.children(type_="adaccount")
            rendered = [await self._present_node(a, params, default=["account_id"]) for a in accounts]
            return page(rendered, params)
        raise unknown_path(f"me/{edge}")

    async def _read_node(self, node: dict[str, Any], edge: str, params: dict[str, str]) -> JsonObject:
        if node["type"] == "adreportrun":
            return await self._report_status(node)
        default = ["account_id"] if node["type"] == "adaccount" else ["name"]
        return await self._present_node(node, params, default=default)

    async def _present_node(
        self, node: dict[str, Any], params: dict[str, str], *, default: list[str], statuses: dict[str, str] | None = None,
    ) -> JsonObject:
        if statuses is None:
            statuses = await self._parent_statuses(node)
        rendered = await self._render(node, statuses)
        return await self._present(node["type"], rendered, params, default=default, node=node)

    async def _present(
        self, type_: str, rendered: JsonObject, params: dict[str, str], *, default: list[str],
        node: dict[str, Any] | None = None,
    ) -> JsonObject:
        specs = parse_fields(params["fields"]) if params.get("fields") else [FieldSpec(f) for f in default]
        return await self._select(type_, rendered, specs, node)

    async def _select(
        self, type_: str, rendered: JsonObject, specs: Sequence[FieldSpec], node: dict[str, Any] | None,
    ) -> JsonObject:
        """The requested fields of a rendered node, expanding nested ones like Graph.

        Unknown fields are Graph's error 100; documented fields without a value are omitted.
        """
        known = reference.node(type_)["fields"]
        out: JsonObject = {"id": rendered["id"]} if "id" in rendered else {}
        for spec in specs:
            if node is not None and spec.name in NESTED_EDGES.get(type_, ()):
                out[spec.name] = await self._nested_edge(node, spec)
                continue
            if spec.name not in known:
                raise nonexisting_field(spec.name, reference.node(type_)["class"])
            value = rendered.get(spec.name)
            if value is None:
                continue
            if spec.children is not None:
                value = await self._expand(known[spec.name], value, spec)
            out[spec.name] = value
        return out

    async def _expand(self, field_type: str, value: Any, spec: FieldSpec) -> Any:
        target = NODE_CLASS_TYPES.get(field_type)
        assert spec.children is not None
        if target is not None and isinstance(value, dict) and "id" in value:
            linked = await self.state.get(str(value["id"]))
            if linked is None:
                return value
            rendered = await self._render(linked, await self._parent_statuses(linked))
            return await self._select(target, rendered, spec.children, linked)
        if isinstance(value, list):
            return [await self._expand(field_type, v, spec) for v in value]
        if isinstance(value, dict):
            return {c.name: value[c.name] for c in spec.children if c.name in value}
        return value

    async def _nested_edge(self, node: dict[str, Any], spec: FieldSpec) -> JsonObject:
        params = {**spec.modifier_params()}
        if spec.children is not None:
            params["fields"] = ",".join(_unparse(c) for c in spec.children)
        if spec.name == "insights":
            return await self._insights(node, "insights", params)
        return await self._list_edge(node, spec.name, params)

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
        check_params(params, reference.edge_params(node["type"], edge, "GET") or {}, where=edge, strict=False)
        objects = await self.state.children(**scope)
        if type_ not in ("campaign", "adset", "ad"):  # deleted audiences and creatives leave Graph's lists
            objects = [o for o in objects if o.get("status") != "DELETED"]
        statuses = await self._account_statuses(node["account_id"])
        rendered = [await self._render(o, statuses) for o in objects]
        wanted = parse_list_param(params, "effective_status")
        if wanted:
            rendered = [o for o in rendered if o.get("effective_status") in wanted]
        elif type_ in ("campaign", "adset", "ad"):
            rendered = [o for o in rendered if o.get("status") != "DELETED"]
        filters = parse_json_param(params, "filtering")
        if filters:
            rendered = apply_filters(rendered, filters, known=set(reference.node(type_)["fields"]))
        specs = parse_fields(params["fields"]) if params.get("fields") else [FieldSpec("name")]
        by_id = {o["id"]: o for o in objects}
        selected = [await self._select(type_, o, specs, by_id.get(o["id"])) for o in rendered]
        return page(selected, params)

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

    async def _render(self, obj: dict[str, Any], statuses: dict[str, str]) -> JsonObject:
        """An object as Graph returns it (all fields; the caller selects).

        Whatever was written is read back: every stored field the reference documents for the
        node type is rendered in the read field's type (money as strings of minor units).
        """
        f = obj["fields"]
        known = reference.node(obj["type"])["fields"]
        base: JsonObject = {"id": obj["id"], "name": obj["name"]}
        for key, value in f.items():
            if key in known and value is not None:
                base[key] = _as_read_type(value, known[key])
        if obj["type"] == "adaccount":
            return {**base, **await self._account_fields(obj)}
        base["account_id"] = obj["account_id"].removeprefix("act_")
        if obj["type"] in ("campaign", "adset", "ad"):
            base.update(status=obj["status"], effective_status=self._effective_status(obj, statuses),
                        configured_status=obj["status"], created_time=graph_time(obj["created_time"]),
                        updated_time=graph_time(obj["updated_time"]))
        if obj["type"] == "campaign":
            base.setdefault("buying_type", "AUCTION")
            base.setdefault("special_ad_categories", [])
            base.setdefault("bid_strategy", "LOWEST_COST_WITHOUT_CAP")
            if "daily_budget" in base or "lifetime_budget" in base:
                base.setdefault("budget_remaining", base.get("daily_budget") or base.get("lifetime_budget"))
        elif obj["type"] == "adset":
            base.update(campaign_id=obj["campaign_id"], campaign={"id": obj["campaign_id"]})
            base.setdefault("targeting", {})
            base.setdefault("bid_strategy", "LOWEST_COST_WITHOUT_CAP")
            base.setdefault("start_time", graph_time(obj["created_time"]))
            base.setdefault("destination_type", "UNDEFINED")
        elif obj["type"] == "ad":
            base.update(campaign_id=obj["campaign_id"], adset_id=obj["adset_id"], campaign={"id": obj["campaign_id"]},
                        adset={"id": obj["adset_id"]},
                        creative={"id": f["creative_id"]} if f.get("creative_id") else None)
        elif obj["type"] == "adspixel":
            base.setdefault("code", _pixel_code(obj["id"]))
            base.setdefault("creation_time", graph_time(obj["created_time"]))
            base.setdefault("last_fired_time", graph_time(obj["updated_time"]))
        elif obj["type"] == "adcreative":
            base["status"] = obj["status"] or "ACTIVE"
        return base

    async def _account_fields(self, account: dict[str, Any]) -> JsonObject:
        """Account-level figures agree with insights: `amount_spent` is the lifetime spend in minor units."""
        f = account["fields"]
        spent = await self.state.lifetime_spend(account["id"])
        spend_cap = int(f.get("spend_cap", 0))
        return {
            "account_id": account["id"].removeprefix("act_"), "currency": f.get("currency", "USD"),
            "timezone_name": f.get("timezone_name", "UTC"),
            "timezone_offset_hours_utc": _utc_offset_hours(f.get("timezone_name", "UTC")),
            "account_status": 1, "disable_reason": 0, "amount_spent": str(spent),
            "spend_cap": str(spend_cap), "balance": "0", "min_daily_budget": MIN_DAILY_BUDGET_CENTS,
            "min_campaign_group_spend_cap": "10000", "is_prepay_account": False,
            "age": round((clock.now() - account["created_time"]).total_seconds() / 86400, 2),
            "created_time": graph_time(account["created_time"]),
            "business": {"id": SANDBOX_BUSINESS_ID, "name": f.get("business_name", "Sandbox Business")},
        }

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
            return page(rows, params, total_count=False)
        rows = await self._compute_insights(node, params)
        return page(rows, params, total_count=False)

    async def _compute_insights(self, node: dict[str, Any], params: dict[str, str]) -> list[JsonObject]:
        if node["type"] not in ("adaccount", "campaign", "adset", "ad"):
            raise unknown_path(f"{node['id']}/insights")
        request = check_insights_request(params, default_level="account" if node["type"] == "adaccount"
                                         else node["type"])
        since, until = resolve_range(params, await self.today(node["account_id"]))
        scope = {"campaign": "campaign_id", "adset": "adset_id", "ad": "ad_id"}.get(node["type"])
        rows = await self.state.stat_rows(
            account_id=node["account_id"], since=since, until=until, **({scope: node["id"]} if scope else {})
        )
        rows = row_filters(rows, request.filters)
        result = compute_rows(rows, request, since=since, until=until)
        return select_insight_fields(sort_rows(result, request.sort), request)

    async def _start_report(self, node: dict[str, Any], edge: str, params: dict[str, str]) -> JsonObject:
        # validate now, as Graph does
        check_insights_request(params, default_level="account" if node["type"] == "adaccount" else node["type"])
        resolve_range(params, await self.today(node["account_id"]))
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
        documented = reference.node(node["type"]).get("update")
        if documented is None:
            raise GraphAPIError(f"Unsupported post request for {node['type']}", code=100, subcode=33)
        changes = check_params(params, documented, where=f"{reference.node(node['type'])['class']} updates")
        status = changes.pop("status", None)
        name = changes.pop("name", None)
        fields = await self._checked_fields(node, changes)
        if self._validate_only(params):
            return {"success": True}
        await self.state.update(node["id"], name=name, status=status, fields=fields)
        self.writes_applied += 1
        return {"success": True}

    async def _checked_fields(self, node: dict[str, Any], values: dict[str, Any]) -> dict[str, Any]:
        """Business rules on top of the reference's types; returns what to store."""
        fields = dict(values)
        for money_field in MONEY_FIELDS:
            if money_field in fields:
                fields[money_field] = await self._budget(node, money_field, str(fields[money_field]))
        if "targeting" in fields:
            fields["targeting"] = self._targeting(fields["targeting"])
        if "objective" in fields:
            check_objective(fields["objective"])
        if "creative" in fields:
            fields["creative_id"] = await self._creative_id(fields.pop("creative"))
        stored = node.get("fields", {})
        strategy = fields.get("bid_strategy", stored.get("bid_strategy"))
        if (node["type"] == "adset" and strategy in ("LOWEST_COST_WITH_BID_CAP", "COST_CAP")
                and fields.get("bid_amount", stored.get("bid_amount")) is None):
            raise invalid_parameter(f"bid_amount is required with bid_strategy {strategy}", field="bid_amount",
                                        user_title="Bid amount required")
        return fields

    async def _creative_id(self, creative: Any) -> str:
        creative_id = str(creative.get("creative_id", "")) if isinstance(creative, dict) else ""
        found = await self.state.get(creative_id) if creative_id else None
        if found is None or found["type"] != "adcreative":
            raise invalid_parameter("creative.creative_id must be an existing ad creative", field="creative")
        return creative_id

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
        documented = reference.edge_params("adaccount", edge, "POST")
        if creator is None or documented is None:
            raise unknown_path(f"{node['id']}/{edge}")
        if type_ == "adimage":  # a bytes upload is named by `name` (the AdImage field), as multipart uploads are
            documented = {**documented, "name": {"type": "string"}}
        values = check_params(params, documented, where=f"{reference.node(type_)['class']} creation")
        spec = await creator(node, values, params)
        if self._validate_only(params):
            return {"success": True}
        if type_ == "adimage":
            return spec  # already stored by the creator; the response shape differs
        created = await self.state.create(account_id=node["id"], **spec)
        self.writes_applied += 1
        return {"id": created["id"]}

    async def _new_campaign(self, account: dict[str, Any], values: dict[str, Any], params: dict[str, str]) -> dict[str, Any]:
        require(values, "name", "objective", "special_ad_categories")
        status = values.pop("status", "PAUSED")
        name = values.pop("name")
        fields = await self._checked_fields({"type": "campaign", "fields": {}}, values)
        return {"type_": "campaign", "name": name, "status": status, "fields": fields}

    async def _new_adset(self, account: dict[str, Any], values: dict[str, Any], params: dict[str, str]) -> dict[str, Any]:
        require(values, "name", "campaign_id", "billing_event", "optimization_goal", "targeting")
        campaign = await self.state.get(str(values.pop("campaign_id")))
        if campaign is None or campaign["type"] != "campaign" or campaign["account_id"] != account["id"]:
            raise invalid_parameter("campaign_id does not belong to this ad account", subcode=1487991,
                                    field="campaign_id")
        name, status = values.pop("name"), values.pop("status", "PAUSED")
        budgeted = values.get("daily_budget") or values.get("lifetime_budget")
        if not budgeted and not (campaign["fields"].get("daily_budget") or campaign["fields"].get("lifetime_budget")):
            raise invalid_parameter("an ad set needs daily_budget or lifetime_budget unless its campaign has one",
                                    field="daily_budget")
        if values.get("lifetime_budget") and not values.get("end_time"):
            raise invalid_parameter("an ad set with lifetime_budget needs end_time", field="end_time")
        schedules = values.pop("budget_schedule_specs", None)
        probe = {"type": "adset", "campaign_id": campaign["id"], "fields": {}}
        fields = await self._checked_fields(probe, values)
        fields.setdefault("bid_strategy", campaign["fields"].get("bid_strategy", "LOWEST_COST_WITHOUT_CAP"))
        if schedules is not None:  # high-demand periods
            fields["budget_schedule_specs"] = checked_schedules(schedules, daily_budget=values.get("daily_budget"),
                                                                now=int(clock.now().timestamp()))
            fields["is_budget_schedule_enabled"] = True
        return {"type_": "adset", "name": name, "status": status,
                "parent_id": campaign["id"], "campaign_id": campaign["id"], "fields": fields}

    async def _new_ad(self, account: dict[str, Any], values: dict[str, Any], params: dict[str, str]) -> dict[str, Any]:
        require(values, "name", "adset_id", "creative")
        adset = await self.state.get(str(values.pop("adset_id")))
        if adset is None or adset["type"] != "adset" or adset["account_id"] != account["id"]:
            raise invalid_parameter("adset_id does not belong to this ad account", field="adset_id")
        name, status = values.pop("name"), values.pop("status", "PAUSED")
        fields = await self._checked_fields({"type": "ad", "fields": {}}, values)
        return {"type_": "ad", "name": name, "status": status,
                "parent_id": adset["id"], "campaign_id": adset["campaign_id"], "adset_id": adset["id"],
                "fields": fields}

    async def _new_creative(self, account: dict[str, Any], values: dict[str, Any], params: dict[str, str]) -> dict[str, Any]:
        spec = values.get("object_story_spec")
        if spec is None and not values.get("object_story_id") and not values.get("asset_feed_spec"):
            raise invalid_parameter("object_story_spec, object_story_id or asset_feed_spec is required",
                                    field="object_story_spec")
        if spec is not None and (not isinstance(spec, dict) or "page_id" not in spec):
            raise invalid_parameter("object_story_spec needs a page_id", field="object_story_spec")
        link = (spec or {}).get("link_data") or {}
        video = (spec or {}).get("video_data") or {}
        derived = {"body": link.get("message") or video.get("message"),
                   "title": link.get("name") or video.get("title"), "image_hash": link.get("image_hash"),
                   "video_id": video.get("video_id"), "link_url": link.get("link"),
                   "call_to_action_type": (link.get("call_to_action") or video.get("call_to_action") or {}).get("type")}
        name = values.pop("name", None) or "Untitled creative"
        fields = {**{k: v for k, v in derived.items() if v}, **values}
        return {"type_": "adcreative", "name": name, "fields": fields}

    async def _new_image(self, account: dict[str, Any], values: dict[str, Any], params: dict[str, str]) -> JsonObject:
        require(values, "bytes")
        try:
            data = base64.b64decode(values["bytes"], validate=True)
        except ValueError as exc:
            raise invalid_parameter("bytes must be base64-encoded image data", field="bytes") from exc
        if not data:
            raise invalid_parameter("bytes is empty", field="bytes")
        digest = hashlib.md5(data).hexdigest()  # Graph's image hash is an MD5 of the file
        name = values.get("name", f"{digest}.jpg")
        if not self._validate_only(params) and await self.state.get(digest) is None:
            await self.state.create(type_="adimage", account_id=account["id"], name=name, object_id=digest,
                                    fields={"hash": digest, "url": f"https://sandbox.local/images/{digest}.jpg"})
            self.writes_applied += 1
        return {"images": {name: {"hash": digest, "url": f"https://sandbox.local/images/{digest}.jpg"}}}

    async def _new_audience(self, account: dict[str, Any], values: dict[str, Any], params: dict[str, str]) -> dict[str, Any]:
        require(values, "name")
        name = values.pop("name")
        subtype = values.setdefault("subtype", "CUSTOM")
        fields: dict[str, Any] = {**values, "approximate_count_lower_bound": 0, "approximate_count_upper_bound": 0}
        if subtype == "LOOKALIKE":
            require(values, "origin_audience_id", "lookalike_spec")
            origin = await self.state.get(str(values["origin_audience_id"]))
            if origin is None or origin["type"] != "customaudience":
                raise invalid_parameter("origin_audience_id must be an existing custom audience",
                                        field="origin_audience_id")
            spec = parse_json_param(values, "lookalike_spec")  # documented as a JSON string
            if not isinstance(spec, dict) or not 0.01 <= float(spec.get("ratio", 0)) <= 0.20 or not spec.get("country"):
                raise invalid_parameter("lookalike_spec needs ratio 0.01–0.20 and a country", field="lookalike_spec")
            size = int(float(spec["ratio"]) * 20_000_000)
            fields.update(lookalike_spec={**spec, "origin": [{"id": origin["id"]}]},
                          approximate_count_lower_bound=int(size * 0.9), approximate_count_upper_bound=size)
        elif values.get("rule") is not None and subtype in ("CUSTOM", "WEBSITE"):  # a website audience
            fields.update(await website_fields(values["rule"], account["id"], self.state.get), subtype="WEBSITE")
        elif subtype != "CUSTOM":
            raise unsupported(f"custom audiences of subtype {subtype}")
        return {"type_": "customaudience", "name": name, "fields": fields}

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

    def _documented(self, node: dict[str, Any], edge: str, params: dict[str, str]) -> dict[str, Any]:
        documented = reference.edge_params(node["type"], edge, "GET")
        if documented is None:
            raise unknown_path(f"{node['id']}/{edge}")
        return check_params(params, documented, where=f"{reference.node(node['type'])['class']}/{edge}", strict=False)

    async def _previews(self, node: dict[str, Any], edge: str, params: dict[str, str]) -> JsonObject:
        if node["type"] not in ("ad", "adcreative"):
            raise unknown_path(f"{node['id']}/previews")
        values = self._documented(node, edge, params)
        require(values, "ad_format")
        return {"data": [{"body": _preview_iframe(node["id"], values["ad_format"])}]}

    async def _generate_previews(self, node: dict[str, Any], edge: str, params: dict[str, str]) -> JsonObject:
        """`GET /act_{id}/generatepreviews?creative={spec}&ad_format=...`: a preview of an unsaved creative."""
        if node["type"] != "adaccount":
            raise unknown_path(f"{node['id']}/{edge}")
        values = self._documented(node, edge, params)
        require(values, "creative", "ad_format")
        creative = values["creative"]
        if not isinstance(creative, dict) or not any(
                k in creative for k in ("object_story_spec", "object_story_id", "asset_feed_spec", "creative_id")):
            raise invalid_parameter("creative needs object_story_spec, object_story_id, asset_feed_spec or "
                                    "creative_id", field="creative")
        key = hashlib.sha256(json.dumps(creative, sort_keys=True).encode()).hexdigest()[:16]
        return {"data": [{"body": _preview_iframe(f"spec-{key}", values["ad_format"])}]}

    async def _pixel_stats(self, node: dict[str, Any], edge: str, params: dict[str, str]) -> JsonObject:
        if node["type"] != "adspixel":
            raise unknown_path(f"{node['id']}/stats")
        aggregation = params.get("aggregation", "event")
        if aggregation != "event":
            raise unsupported(f"pixel stats aggregation={aggregation} (only aggregation=event)")
        events = node["fields"].get("event_counts", {})
        start = dt.datetime.combine(await self.today(node["account_id"]) - dt.timedelta(days=1), dt.time(), dt.UTC)
        return {"data": [{"aggregation": "event", "start_time": graph_time(start),
                          "data": [{"value": k, "count": v} for k, v in sorted(events.items())]}]}

    async def _minimum_budgets(self, node: dict[str, Any], edge: str, params: dict[str, str]) -> JsonObject:
        currency = node["fields"].get("currency", "USD")
        return {"data": [{"currency": currency, "min_daily_budget_imp": MIN_DAILY_BUDGET_CENTS,
                          "min_daily_budget_video_views": MIN_DAILY_BUDGET_CENTS,
                          "min_daily_budget_high_freq": 500, "min_daily_budget_low_freq": 4000}]}

    async def _reach_estimate(self, node: dict[str, Any], edge: str, params: dict[str, str]) -> JsonObject:
        values = self._documented(node, edge, params)
        require(values, "targeting_spec")
        upper = self._audience_size(self._targeting(values["targeting_spec"]))
        return {"data": {"users_lower_bound": int(upper * 0.85), "users_upper_bound": upper,
                         "estimate_ready": True}}

    async def _delivery_estimate(self, node: dict[str, Any], edge: str, params: dict[str, str]) -> JsonObject:
        """Audience size and a daily outcomes curve for a targeting (account) or an ad set's own targeting."""
        values = self._documented(node, edge, params)
        if node["type"] == "adset":
            targeting = node["fields"].get("targeting") or {}
            goal = values.get("optimization_goal") or node["fields"].get("optimization_goal") or "REACH"
        else:
            require(values, "targeting_spec", "optimization_goal")
            targeting, goal = values["targeting_spec"], values["optimization_goal"]
        upper = self._audience_size(self._targeting(targeting))
        curve = []
        for spend in (0, 1000, 5000, 10000, 50000, 100000):  # minor units per day
            reach = int(upper * (1 - 0.5 ** (spend / 50000)) * 0.05)
            curve.append({"spend": spend, "reach": reach, "impressions": int(reach * 1.3),
                          "actions": int(reach * (0.01 if goal != "REACH" else 1))})
        return {"data": [{"daily_outcomes_curve": curve, "estimate_dau": int(upper * 0.6),
                          "estimate_mau_lower_bound": int(upper * 0.85), "estimate_mau_upper_bound": upper,
                          "estimate_ready": True, "targeting_optimization_types": []}]}

    @staticmethod
    def _audience_size(spec: dict[str, Any]) -> int:
        geo = spec["geo_locations"]
        places = (len(geo.get("countries", [])) * 8_000_000 + len(geo.get("regions", [])) * 2_000_000
                  + len(geo.get("cities", [])) * 900_000)
        span = (spec.get("age_max", 65) - spec.get("age_min", 18) + 1) / 48
        share = 0.5 if len(spec.get("genders", [])) == 1 else 1.0
        return max(1000, int(places * span * share))

    # ── batch ───────────────────────────────────────────────────────────────────────────────

    async def _batch(self, params: dict[str, str]) -> list[JsonObject | None]:
        """Graph batch: ≤ 50 sub-requests, each answered with its own code, headers and body.

        Named requests can feed later ones through JSONPath references
        (`{result=name:$.data.0.id}`, in the URL or the body) or `depends_on`; a request whose
        dependency failed is not run. The response of a request a later one depends on is
        omitted (null) unless it sets `omit_response_on_success: false`, as on Graph.
        """
        requests = parse_json_param(params, "batch")
        if not isinstance(requests, list) or not requests:
            raise invalid_parameter("batch must be a non-empty JSON array", field="batch")
        if len(requests) > MAX_BATCH:
            raise GraphAPIError(f"Too many requests in batch message. Maximum batch size is {MAX_BATCH}", code=1)
        for item in requests:
            if not isinstance(item, dict) or "relative_url" not in item:
                raise invalid_parameter("each batch request needs method and relative_url", field="batch")
        referenced = {str(i["depends_on"]) for i in requests if i.get("depends_on")} | {
            m.group(1) for i in requests for m in BATCH_REFERENCE.finditer(f"{i['relative_url']} {i.get('body', '')}")}
        named: dict[str, tuple[int, Any]] = {}
        results: list[JsonObject | None] = []
        ctx = current_request.get()
        for item in requests:
            try:
                relative_url = _resolve_references(str(item["relative_url"]), named)
                body_text = _resolve_references(str(item.get("body") or ""), named)
                depends_on = item.get("depends_on")
                if depends_on and named.get(str(depends_on), (500, None))[0] != 200:
                    raise GraphAPIError(f"The request depends on '{depends_on}', which failed.", code=1)
            except GraphAPIError as err:
                results.append({"code": err.http_status, "headers": [], "body": json.dumps(err.body())})
                continue
            url = urlsplit(relative_url)
            sub: dict[str, str] = dict(parse_qsl(url.query))
            sub.update(dict(parse_qsl(body_text)))
            sub.setdefault("access_token", params["access_token"])
            status, body, headers = await self.handle(str(item.get("method", "GET")), url.path, sub,
                                                      base_url=ctx.base_url if ctx else None)
            if item.get("name"):
                named[str(item["name"])] = (status, body)
                omit = item.get("omit_response_on_success", True) and item["name"] in referenced
                if status == 200 and omit:
                    results.append(None)
                    continue
            results.append({"code": status, "headers": [{"name": k, "value": v} for k, v in headers.items()],
                            "body": json.dumps(body)})
        return results


def _resolve_references(text: str, named: dict[str, tuple[int, Any]]) -> str:
    def value(match: re.Match[str]) -> str:
        name, path = match.group(1), match.group(2)
        if name not in named:
            raise GraphAPIError(f"No request named '{name}' precedes this one in the batch.", code=100)
        status, body = named[name]
        if status != 200:
            raise GraphAPIError(f"The request depends on '{name}', which failed.", code=1)
        found = _json_path(body, path)
        if not found:
            raise GraphAPIError(f"The JSONPath {path} of '{name}' matched nothing.", code=100)
        return ",".join(str(v) for v in found)

    return BATCH_REFERENCE.sub(value, text)


def _json_path(body: Any, path: str) -> list[Any]:
    """The JSONPath subset Graph batches use: `$.a.b`, `$.data.0.id`, `$.data.*.id`."""
    current = [body]
    for step in [p for p in re.split(r"\.|\[|\]", path.removeprefix("$")) if p]:
        following = []
        for value in current:
            if step == "*" and isinstance(value, list):
                following.extend(value)
            elif step == "*" and isinstance(value, dict):
                following.extend(value.values())
            elif isinstance(value, list) and step.isdigit() and int(step) < len(value):
                following.append(value[int(step)])
            elif isinstance(value, dict) and step in value:
                following.append(value[step])
        current = following
    return current


def _unparse(spec: FieldSpec) -> str:
    text = spec.name + "".join(f".{k}({v})" for k, v in spec.modifiers)
    if spec.children is not None:
        text += "{" + ",".join(_unparse(c) for c in spec.children) + "}"
    return text


def _as_read_type(value: Any, field_type: str) -> Any:
    """A stored value in the read field's type: Graph sends money and counts typed `string` as strings."""
    if field_type == "string" and isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    if field_type in ("int", "unsigned int") and isinstance(value, str) and value.lstrip("-").isdigit():
        return int(value)
    return value


def _preview_iframe(key: str, ad_format: str) -> str:
    return (f'<iframe src="https://sandbox.local/preview/{key}?ad_format={ad_format}" '
            'width="540" height="690" scrolling="yes" style="border: none;"></iframe>')


def _pixel_code(pixel_id: str) -> str:
    return ("<!-- Meta Pixel Code -->\n<script>\n!function(f,b,e,v,n,t,s){/* fbevents.js loader */}"
            "(window, document,'script','https://connect.facebook.net/en_US/fbevents.js');\n"
            f"fbq('init', '{pixel_id}');\nfbq('track', 'PageView');\n</script>\n<!-- End Meta Pixel Code -->")


def _utc_offset_hours(zone_name: str) -> int:
    offset = clock.now().astimezone(clock.zone(zone_name)).utcoffset() or dt.timedelta()
    return int(offset.total_seconds() // 3600)
