"""A TikTok Business API v1.3 emulator (FastAPI), state in PostgreSQL.

Real paths under `/open_api/v1.3/`, the `Access-Token` header, HTTP 200 with the envelope
`{code, message, request_id, data}` for success and for errors alike, `page`/`page_size` paging
with `page_info`, `filtering` as a JSON query parameter, and the integrated report
(`/report/integrated/get/`, BASIC, levels AUCTION_ADVERTISER/CAMPAIGN/ADGROUP/AD, dimensions with
`stat_time_day`, metrics as strings, at most 30 days per daily report). Status and budget updates
change the stored state. Faults (`POST /_sandbox/faults`) answer with TikTok's codes.
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
import math
from collections import defaultdict
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from sqlalchemy.ext.asyncio import AsyncEngine

from agent_brain import clock
from agent_brain.platforms.money import from_minor, to_minor
from agent_brain.platforms.sandbox.platform_state import (
    PlatformFaults,
    PlatformSandboxState,
    add_control_routes,
)

ROOT = "/open_api/v1.3"
MIN_ADGROUP_DAILY_BUDGET = 20  # currency units, TikTok's floor for a daily ad group budget
MIN_CAMPAIGN_DAILY_BUDGET = 50
MAX_DAILY_REPORT_DAYS = 30
_STATUS = {"ENABLE": "ENABLE", "DISABLE": "DISABLE", "DELETE": "DELETE"}
_FAULTS: dict[str, tuple[int, str, int]] = {  # kind → (code, message, HTTP status)
    "server_error": (50000, "System error, please try again later.", 200),
    "rate_limit": (40100, "Requests made too frequently. Please try again later.", 200),
    "token_expired": (40105, "Access token is incorrect or has been revoked.", 200),
    "permission_denied": (40001, "No permission to operate advertiser.", 200),
    "invalid_parameter": (40002, "Invalid parameters.", 200),
}
_LEVEL = {"AUCTION_ADVERTISER": ("advertiser_id", None), "AUCTION_CAMPAIGN": ("campaign_id", "campaign"),
          "AUCTION_ADGROUP": ("adgroup_id", "adgroup"), "AUCTION_AD": ("ad_id", "ad")}


class TikTokError(Exception):
    def __init__(self, code: int, message: str) -> None:
        self.code, self.message = code, message


class TikTokEmulator:
    def __init__(self, engine: AsyncEngine, *, faults: PlatformFaults | None = None,
                 valid_tokens: set[str] | None = None) -> None:
        self.state = PlatformSandboxState(engine, "tiktok")
        self.faults = faults or PlatformFaults()
        self.valid_tokens = valid_tokens
        self.writes_applied = 0
        self._ids = itertools.count(1)

    def request_id(self) -> str:
        return f"{clock.now():%Y%m%d%H%M%S}{next(self._ids):012d}"

    def envelope(self, code: int, message: str, data: Any = None) -> dict[str, Any]:
        return {"code": code, "message": message, "request_id": self.request_id(), "data": data or {}}

    async def handle(self, method: str, op: str, params: dict[str, Any], token: str | None) -> tuple[int, Any]:
        if not token:
            return 200, self.envelope(40104, "Access token is null.")
        if self.valid_tokens is not None and token not in self.valid_tokens:
            return 200, self.envelope(40105, "Access token is incorrect or has been revoked.")
        fault = await self.faults.take(method)
        drop = False
        if fault is not None:
            if fault.kind == "drop_write":
                drop = True
            else:
                code, message, status = _FAULTS[fault.kind]
                return status, self.envelope(code, message)
        handler = _ROUTES.get((method, op))
        if handler is None:
            return 404, {"code": 40400, "message": "Not Found", "request_id": self.request_id(), "data": {}}
        try:
            data = await handler(self, params, drop)
        except TikTokError as exc:
            return 200, self.envelope(exc.code, exc.message)
        return 200, self.envelope(0, "OK", data)

    async def _advertiser(self, params: dict[str, Any]) -> dict[str, Any]:
        advertiser_id = str(params.get("advertiser_id") or "")
        if not advertiser_id:
            raise TikTokError(40002, "advertiser_id: Missing data for required field.")
        row = await self.state.get(advertiser_id)
        if row is None or row["type"] != "account":
            raise TikTokError(40001, f"No permission to operate advertiser {advertiser_id}.")
        return row

    # reads

    async def advertiser_info(self, params: dict[str, Any], _: bool) -> dict[str, Any]:
        ids = [str(i) for i in _json(params.get("advertiser_ids"), [])]
        if not ids:
            raise TikTokError(40002, "advertiser_ids: Missing data for required field.")
        rows = await self.state.objects("account", ids=ids)
        return {"list": [{"advertiser_id": r["id"], "name": r["name"], "currency": r["fields"]["currency"],
                          "timezone": r["fields"]["timezone"], "status": "STATUS_ENABLE",
                          "company": r["fields"].get("company")} for r in rows]}

    async def _listing(self, params: dict[str, Any], type_: str) -> dict[str, Any]:
        account = await self._advertiser(params)
        filtering = _json(params.get("filtering"), {})
        kwargs: dict[str, Any] = {}
        if filtering.get(f"{type_}_ids"):
            kwargs["ids"] = [str(i) for i in filtering[f"{type_}_ids"]]
        if filtering.get("campaign_ids") and type_ != "campaign":
            kwargs["campaign_ids"] = [str(i) for i in filtering["campaign_ids"]]
        if filtering.get("adgroup_ids") and type_ == "ad":
            kwargs["parent_ids"] = [str(i) for i in filtering["adgroup_ids"]]
        rows = await self.state.objects(type_, account_id=account["id"], **kwargs)
        currency = account["fields"]["currency"]
        return _page([_render(r, currency) for r in rows], params)

    async def campaign_get(self, params: dict[str, Any], _: bool) -> dict[str, Any]:
        return await self._listing(params, "campaign")

    async def adgroup_get(self, params: dict[str, Any], _: bool) -> dict[str, Any]:
        return await self._listing(params, "adgroup")

    async def ad_get(self, params: dict[str, Any], _: bool) -> dict[str, Any]:
        return await self._listing(params, "ad")

    async def report(self, params: dict[str, Any], _: bool) -> dict[str, Any]:
        account = await self._advertiser(params)
        if params.get("report_type", "BASIC") != "BASIC":
            raise TikTokError(40002, "report_type: only BASIC is emulated.")
        level = params.get("data_level", "AUCTION_CAMPAIGN")
        if level not in _LEVEL:
            raise TikTokError(40002, f"data_level: Invalid enum value {level}.")
        id_dim, kind = _LEVEL[level]
        dimensions = _json(params.get("dimensions"), [])
        if id_dim not in dimensions or not set(dimensions) <= {id_dim, "stat_time_day"}:
            raise TikTokError(40002, f"dimensions: {dimensions} is not a valid combination for {level}.")
        try:
            since = dt.date.fromisoformat(str(params["start_date"]))
            until = dt.date.fromisoformat(str(params["end_date"]))
        except (KeyError, ValueError) as exc:
            raise TikTokError(40002, "start_date and end_date are required (YYYY-MM-DD).") from exc
        daily = "stat_time_day" in dimensions
        if until < since or (daily and (until - since).days + 1 > MAX_DAILY_REPORT_DAYS):
            raise TikTokError(40002, f"The time range should be within {MAX_DAILY_REPORT_DAYS} days when "
                                     "grouped by stat_time_day.")
        metrics = _json(params.get("metrics"), ["spend", "impressions"])
        wanted: dict[str, set[str]] = {}
        for item in _json(params.get("filtering"), []):
            wanted[str(item.get("field_name"))] = set(_json(item.get("filter_value"), []))
        names = {r["id"]: r["name"] for t in ("campaign", "adgroup", "ad")
                 for r in await self.state.objects(t, account_id=account["id"])}
        sums: dict[tuple[str, str | None], dict[str, int]] = defaultdict(lambda: defaultdict(int))
        for row in await self.state.stats(account_id=account["id"], since=since, until=until):
            ids = {"campaign_ids": row["campaign_id"], "adgroup_ids": row["adgroup_id"], "ad_ids": row["ad_id"]}
            if any(ids[f] not in values for f, values in wanted.items() if f in ids):
                continue
            key_id = account["id"] if kind is None else row[f"{kind}_id"]
            bucket = sums[(key_id, row["date"].isoformat() if daily else None)]
            for name in ("impressions", "reach", "clicks", "spend_minor", "conversions", "conversion_value_minor"):
                bucket[name] += row[name]
        currency = account["fields"]["currency"]
        out = []
        for (object_id, day), s in sorted(sums.items(), key=lambda kv: (kv[0][1] or "", kv[0][0])):
            dims = {id_dim: object_id, **({"stat_time_day": f"{day} 00:00:00"} if day else {})}
            out.append({"dimensions": dims, "metrics": _report_metrics(metrics, s, currency, names.get(object_id))})
        return _page(out, params)

    # writes

    async def status_update(self, params: dict[str, Any], drop: bool, type_: str) -> dict[str, Any]:
        account = await self._advertiser(params)
        ids = [str(i) for i in _json(params.get(f"{type_}_ids"), [])]
        status = params.get("operation_status")
        if not ids or status not in _STATUS:
            raise TikTokError(40002, f"{type_}_ids and operation_status (ENABLE, DISABLE, DELETE) are required.")
        rows = await self.state.objects(type_, account_id=account["id"], ids=ids)
        if len(rows) != len(set(ids)):
            raise TikTokError(40002, f"{type_}_ids: some ids do not exist.")
        if not drop:
            for object_id in ids:
                await self.state.update(object_id, status=status)
                self.writes_applied += 1
        return {f"{type_}_ids": ids, "status": status}

    async def campaign_status(self, params: dict[str, Any], drop: bool) -> dict[str, Any]:
        return await self.status_update(params, drop, "campaign")

    async def adgroup_status(self, params: dict[str, Any], drop: bool) -> dict[str, Any]:
        return await self.status_update(params, drop, "adgroup")

    async def ad_status(self, params: dict[str, Any], drop: bool) -> dict[str, Any]:
        return await self.status_update(params, drop, "ad")

    async def campaign_update(self, params: dict[str, Any], drop: bool) -> dict[str, Any]:
        account = await self._advertiser(params)
        campaign_id = str(params.get("campaign_id") or "")
        row = await self.state.get(campaign_id)
        if row is None or row["type"] != "campaign" or row["account_id"] != account["id"]:
            raise TikTokError(40002, f"campaign_id {campaign_id} does not exist.")
        fields: dict[str, Any] = {}
        if "budget" in params:
            budget = float(params["budget"])
            if row["fields"].get("budget_mode") == "BUDGET_MODE_INFINITE":
                raise TikTokError(40002, "The campaign has no budget (BUDGET_MODE_INFINITE).")
            if budget < MIN_CAMPAIGN_DAILY_BUDGET:
                raise TikTokError(40002, f"Campaign budget must be at least {MIN_CAMPAIGN_DAILY_BUDGET}.")
            fields["budget_minor"] = to_minor(budget, account["fields"]["currency"])
        if "campaign_name" in params:
            fields["name"] = str(params["campaign_name"])
        if not drop and fields:
            await self.state.update(campaign_id, fields=fields)
            self.writes_applied += 1
        return {"campaign_id": campaign_id}

    async def adgroup_budget(self, params: dict[str, Any], drop: bool) -> dict[str, Any]:
        account = await self._advertiser(params)
        items = _json(params.get("budget"), [])
        if not items:
            raise TikTokError(40002, "budget: Missing data for required field.")
        for item in items:
            row = await self.state.get(str(item.get("adgroup_id")))
            if row is None or row["type"] != "adgroup" or row["account_id"] != account["id"]:
                raise TikTokError(40002, f"adgroup_id {item.get('adgroup_id')} does not exist.")
            if row["fields"].get("budget_mode") != "BUDGET_MODE_DAY":
                raise TikTokError(40002, "Budget of an ad group under campaign budget optimization can't be set.")
            if float(item.get("budget") or 0) < MIN_ADGROUP_DAILY_BUDGET:
                raise TikTokError(40002, f"Ad group daily budget must be at least {MIN_ADGROUP_DAILY_BUDGET}.")
        if not drop:
            for item in items:
                await self.state.update(str(item["adgroup_id"]), fields={
                    "budget_minor": to_minor(item["budget"], account["fields"]["currency"])})
                self.writes_applied += 1
        return {}


_ROUTES: dict[tuple[str, str], Any] = {
    ("GET", "advertiser/info"): TikTokEmulator.advertiser_info,
    ("GET", "campaign/get"): TikTokEmulator.campaign_get,
    ("GET", "adgroup/get"): TikTokEmulator.adgroup_get,
    ("GET", "ad/get"): TikTokEmulator.ad_get,
    ("GET", "report/integrated/get"): TikTokEmulator.report,
    ("POST", "campaign/status/update"): TikTokEmulator.campaign_status,
    ("POST", "adgroup/status/update"): TikTokEmulator.adgroup_status,
    ("POST", "ad/status/update"): TikTokEmulator.ad_status,
    ("POST", "campaign/update"): TikTokEmulator.campaign_update,
    ("POST", "adgroup/budget/update"): TikTokEmulator.adgroup_budget,
}


def _json(value: Any, default: Any) -> Any:
    if value is None:
        return default
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            return default
    return value


def _page(items: list[dict[str, Any]], params: dict[str, Any]) -> dict[str, Any]:
    page = max(1, int(params.get("page") or 1))
    size = min(1000, max(1, int(params.get("page_size") or 10)))
    total = len(items)
    return {"list": items[(page - 1) * size: page * size],
            "page_info": {"page": page, "page_size": size, "total_number": total,
                          "total_page": max(1, math.ceil(total / size))}}


def _render(row: dict[str, Any], currency: str) -> dict[str, Any]:
    f = row["fields"]
    kind = row["type"]
    out: dict[str, Any] = {
        "advertiser_id": row["account_id"], f"{kind}_id": row["id"], f"{kind}_name": f.get("name", row["name"]),
        "operation_status": "DISABLE" if row["status"] == "DELETE" else row["status"],
        "secondary_status": _secondary(kind, row["status"]),
        "create_time": row["created_time"].astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M:%S"),
        "modify_time": row["updated_time"].astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M:%S"),
    }
    if kind == "campaign":
        out.update(objective_type=f.get("objective_type"), budget_mode=f.get("budget_mode"))
    if kind == "adgroup":
        out.update(campaign_id=row["campaign_id"], budget_mode=f.get("budget_mode"),
                   optimization_goal=f.get("optimization_goal"), billing_event=f.get("billing_event"))
    if kind == "ad":
        out.update(campaign_id=row["campaign_id"], adgroup_id=row["parent_id"])
    if kind in ("campaign", "adgroup"):
        out["budget"] = float(from_minor(f.get("budget_minor") or 0, currency))
    return out


def _secondary(kind: str, status: str | None) -> str:
    prefix = {"campaign": "CAMPAIGN_STATUS", "adgroup": "ADGROUP_STATUS", "ad": "AD_STATUS"}[kind]
    return {"ENABLE": f"{prefix}_ENABLE", "DISABLE": f"{prefix}_DISABLE", "DELETE": f"{prefix}_DELETE"}.get(
        status or "", f"{prefix}_DISABLE")


def _report_metrics(metrics: list[str], s: dict[str, int], currency: str, name: str | None) -> dict[str, str]:
    spend = s["spend_minor"]
    values = {
        "spend": f"{from_minor(spend, currency):.2f}", "impressions": str(s["impressions"]),
        "clicks": str(s["clicks"]), "reach": str(s["reach"]), "conversion": str(s["conversions"]),
        "ctr": f"{100 * s['clicks'] / s['impressions']:.2f}" if s["impressions"] else "0.00",
        "cost_per_conversion": f"{from_minor(spend, currency) / s['conversions']:.2f}" if s["conversions"] else "0.00",
        "complete_payment_roas": f"{s['conversion_value_minor'] / spend:.4f}" if spend else "0.0000",
        "campaign_name": name, "adgroup_name": name, "ad_name": name,
    }
    return {m: values[m] for m in metrics if m in values and values[m] is not None}


def create_tiktok_sandbox_app(engine: AsyncEngine, *, faults: PlatformFaults | None = None,
                              valid_tokens: set[str] | None = None) -> FastAPI:
    emulator = TikTokEmulator(engine, faults=faults, valid_tokens=valid_tokens)
    app = FastAPI(title="agent-brain TikTok sandbox", docs_url="/_sandbox/docs", openapi_url="/_sandbox/openapi.json")
    app.state.emulator = emulator

    add_control_routes(app, emulator)

    async def api(request: Request, op: str) -> JSONResponse:
        params: dict[str, Any] = dict(request.query_params)
        if request.method == "POST":
            try:
                body = await request.json()
            except ValueError:
                body = None
            if not isinstance(body, dict):
                return JSONResponse(emulator.envelope(40002, "The request body must be a JSON object."))
            params.update(body)
        status, body = await emulator.handle(request.method, op.strip("/"), params,
                                             request.headers.get("access-token"))
        return JSONResponse(body, status_code=status)

    app.add_api_route(ROOT + "/{op:path}", api, methods=["GET", "POST"], include_in_schema=False)
    return app
