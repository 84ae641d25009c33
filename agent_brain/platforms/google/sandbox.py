"""A Google Ads API (REST) emulator (FastAPI), state in PostgreSQL.

`POST /{version}/customers/{id}/googleAds:searchStream` runs a GAQL query (SELECT … FROM customer |
campaign | ad_group | ad_group_ad | campaign_budget, WHERE with =, !=, IN, BETWEEN joined by AND,
ORDER BY, LIMIT; `segments.date` splits metrics by day) and answers a JSON array of batches with
camelCase fields, int64 as strings, money in micros. `POST …/{campaigns|adGroups|adGroupAds|
campaignBudgets}:mutate` applies `update` operations with an `updateMask`, honours `validateOnly`
and `partialFailure`. Requests need `Authorization: Bearer …` and `developer-token`. Errors use
Google's shape: `{"error": {code, message, status, details: [GoogleAdsFailure]}}`.
"""

from __future__ import annotations

import itertools
import re
import uuid
from collections import defaultdict
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from sqlalchemy.ext.asyncio import AsyncEngine

from agent_brain.platforms.money import micros_to_minor, minor_to_micros
from agent_brain.platforms.sandbox.platform_state import (
    PlatformFaults,
    PlatformSandboxState,
    add_control_routes,
)

MIN_BUDGET_MICROS = 1_000_000  # one currency unit a day
_FAILURE_TYPE = "type.googleapis.com/google.ads.googleads.{version}.errors.GoogleAdsFailure"
_FAULTS: dict[str, tuple[int, str, dict[str, str], str]] = {  # kind → (HTTP, gRPC status, errorCode, message)
    "server_error": (500, "INTERNAL", {"internalError": "INTERNAL_ERROR"},
                     "An internal error has occurred."),
    "rate_limit": (429, "RESOURCE_EXHAUSTED", {"quotaError": "RESOURCE_TEMPORARILY_EXHAUSTED"},
                   "Too many requests. Retry in 30 seconds."),
    "token_expired": (401, "UNAUTHENTICATED", {"authenticationError": "OAUTH_TOKEN_EXPIRED"},
                      "Authentication of the request failed: the OAuth token has expired."),
    "permission_denied": (403, "PERMISSION_DENIED", {"authorizationError": "USER_PERMISSION_DENIED"},
                          "User doesn't have permission to access customer."),
    "invalid_parameter": (400, "INVALID_ARGUMENT", {"requestError": "INVALID_INPUT"},
                          "The input is invalid."),
}
_RESOURCES = {"customer": "account", "campaign": "campaign", "ad_group": "adgroup", "ad_group_ad": "ad",
              "campaign_budget": "budget", "change_status": "change"}
_SERVICES = {"campaigns": "campaign", "adGroups": "adgroup", "adGroupAds": "ad", "campaignBudgets": "budget"}
_METRICS = ("cost_micros", "impressions", "clicks", "conversions", "conversions_value")


class GoogleAdsError(Exception):
    def __init__(self, http: int, status: str, code: dict[str, str], message: str) -> None:
        self.http, self.status, self.code, self.message = http, status, code, message


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(p.title() for p in rest)


# ── GAQL ────────────────────────────────────────────────────────────────────────────────────

_QUERY = re.compile(r"^\s*SELECT\s+(?P<select>.+?)\s+FROM\s+(?P<resource>\w+)"
                    r"(?:\s+WHERE\s+(?P<where>.+?))?(?:\s+ORDER\s+BY\s+(?P<order>.+?))?"
                    r"(?:\s+LIMIT\s+(?P<limit>\d+))?\s*$", re.IGNORECASE | re.DOTALL)
_CONDITION = re.compile(r"^(?P<field>[\w.]+)\s*(?:(?P<op>=|!=|>=|<=|>|<)\s*(?P<value>.+)|"
                        r"\s+(?P<in>NOT\s+IN|IN)\s*\((?P<list>[^)]*)\)|"
                        r"\s+BETWEEN\s+(?P<low>\S+)\s+AND\s+(?P<high>\S+))$", re.IGNORECASE)


def _literal(text: str) -> str:
    return text.strip().strip("'\"")


def parse_gaql(query: str) -> dict[str, Any]:
    match = _QUERY.match(query)
    if not match:
        raise GoogleAdsError(400, "INVALID_ARGUMENT", {"queryError": "PROHIBITED_RESOURCE_TYPE_IN_FROM_CLAUSE"},
                             "Error in query: unexpected input.")
    resource = match["resource"].lower()
    if resource not in _RESOURCES:
        raise GoogleAdsError(400, "INVALID_ARGUMENT", {"queryError": "INVALID_RESOURCE_TYPE_IN_FROM_CLAUSE"},
                             f"Error in query: resource '{resource}' is not supported by the sandbox.")
    fields = [f.strip() for f in match["select"].split(",") if f.strip()]
    conditions = []
    if match["where"]:
        # BETWEEN a AND b holds an AND of its own: protect it before splitting on AND.
        where = re.sub(r"BETWEEN\s+(\S+)\s+AND\s+(\S+)", r"BETWEEN \1 &AND& \2", match["where"], flags=re.I)
        for part in re.split(r"\s+AND\s+", where, flags=re.I):
            cond = _CONDITION.match(part.replace("&AND&", "AND").strip())
            if not cond:
                raise GoogleAdsError(400, "INVALID_ARGUMENT", {"queryError": "BAD_VALUE_IN_WHERE_CLAUSE"},
                                     f"Error in query: cannot parse condition '{part.strip()}'.")
            conditions.append(cond.groupdict())
    order = [o.strip().split() for o in match["order"].split(",")] if match["order"] else []
    return {"fields": fields, "resource": resource, "conditions": conditions, "order": order,
            "limit": int(match["limit"]) if match["limit"] else None}


def _matches(value: Any, cond: dict[str, Any]) -> bool:
    text = "" if value is None else str(value)
    if cond["op"]:
        target = _literal(cond["value"])
        op = cond["op"]
        if op in ("=", "!="):
            return (text == target) == (op == "=")
        return {">": text > target, "<": text < target, ">=": text >= target, "<=": text <= target}[op]
    if cond["in"]:
        values = {_literal(v) for v in cond["list"].split(",") if v.strip()}
        return (text in values) == (cond["in"].upper() == "IN")
    return _literal(cond["low"]) <= text <= _literal(cond["high"])


# ── emulator ────────────────────────────────────────────────────────────────────────────────


class GoogleAdsEmulator:
    def __init__(self, engine: AsyncEngine, *, version: str = "v26", faults: PlatformFaults | None = None,
                 valid_tokens: set[str] | None = None, developer_tokens: set[str] | None = None) -> None:
        self.state = PlatformSandboxState(engine, "google")
        self.version = version
        self.faults = faults or PlatformFaults()
        self.valid_tokens = valid_tokens
        self.developer_tokens = developer_tokens
        self.writes_applied = 0
        self._ids = itertools.count(1)

    def error_body(self, exc: GoogleAdsError, *, index: int | None = None) -> dict[str, Any]:
        item: dict[str, Any] = {"errorCode": exc.code, "message": exc.message}
        if index is not None:
            item["location"] = {"fieldPathElements": [{"fieldName": "operations", "index": index}]}
        return {"code": exc.http if index is None else 3, "message": exc.message if index is None else
                f"Multiple errors in 'details'. First error: {exc.message}", "status": exc.status,
                "details": [{"@type": _FAILURE_TYPE.format(version=self.version), "errors": [item],
                             "requestId": self.request_id()}]}

    def request_id(self) -> str:
        return f"{next(self._ids):06d}{uuid.uuid4().hex[:16]}"

    async def handle(self, method: str, customer: str, operation: str, body: Any,
                     headers: dict[str, str]) -> tuple[int, Any, dict[str, str]]:
        try:
            self._authenticate(headers)
            fault = await self.faults.take(method)
            drop = False
            if fault is not None:
                if fault.kind == "drop_write":
                    drop = True
                else:
                    http, status, code, message = _FAULTS[fault.kind]
                    extra = {"Retry-After": str(fault.retry_after_seconds)} if fault.retry_after_seconds else {}
                    raise GoogleAdsError(http, status, code, message) if not extra else _WithHeaders(
                        http, status, code, message, extra)
            account = await self.state.get(customer)
            if account is None or account["type"] != "account":
                raise GoogleAdsError(403, "PERMISSION_DENIED", {"authorizationError": "USER_PERMISSION_DENIED"},
                                     f"User doesn't have permission to access customer {customer}.")
            if not isinstance(body, dict):
                raise GoogleAdsError(400, "INVALID_ARGUMENT", {"requestError": "INVALID_INPUT"},
                                     "The request body must be a JSON object.")
            if operation == "googleAds:searchStream":
                return 200, await self.search(account, str(body.get("query") or "")), {}
            service = operation.removesuffix(":mutate")
            if operation.endswith(":mutate") and service in _SERVICES:
                return 200, await self.mutate(account, _SERVICES[service], body, drop), {}
            raise GoogleAdsError(404, "NOT_FOUND", {"requestError": "UNKNOWN_RESOURCE"},
                                 f"Unknown operation {operation}.")
        except GoogleAdsError as exc:
            return exc.http, {"error": self.error_body(exc)}, getattr(exc, "headers", {})

    def _authenticate(self, headers: dict[str, str]) -> None:
        auth = headers.get("authorization", "")
        if not auth.startswith("Bearer ") or (self.valid_tokens is not None
                                              and auth.removeprefix("Bearer ") not in self.valid_tokens):
            raise GoogleAdsError(401, "UNAUTHENTICATED", {"authenticationError": "OAUTH_TOKEN_INVALID"},
                                 "Request had invalid authentication credentials.")
        token = headers.get("developer-token")
        if not token:
            raise GoogleAdsError(401, "UNAUTHENTICATED",
                                 {"authenticationError": "DEVELOPER_TOKEN_PARAMETER_MISSING"},
                                 "The developer token is not on the header of the request.")
        if self.developer_tokens is not None and token not in self.developer_tokens:
            raise GoogleAdsError(403, "PERMISSION_DENIED", {"authorizationError": "DEVELOPER_TOKEN_PROHIBITED"},
                                 "Developer token is not allowed with the project sent in the request.")

    async def _entities(self, account: dict[str, Any]) -> dict[str, dict[str, dict[str, Any]]]:
        out: dict[str, dict[str, dict[str, Any]]] = {}
        for type_ in ("budget", "campaign", "adgroup", "ad"):
            out[type_] = {r["id"]: r for r in await self.state.objects(type_, account_id=account["id"])}
        return out

    def _row(self, account: dict[str, Any], resource: str, obj: dict[str, Any] | None,
             entities: dict[str, dict[str, dict[str, Any]]]) -> dict[str, dict[str, Any]]:
        """Every attribute of the row's resource and the resources it implies (flat dotted names)."""
        cid = account["id"]
        currency = account["fields"]["currency"]
        values: dict[str, Any] = {"customer.id": cid, "customer.descriptive_name": account["name"],
                                  "customer.currency_code": currency,
                                  "customer.time_zone": account["fields"]["timezone"],
                                  "customer.status": "ENABLED", "customer.resource_name": f"customers/{cid}"}
        campaign = ad_group = None
        if resource == "campaign":
            campaign = obj
        elif resource == "ad_group":
            ad_group = obj
            campaign = entities["campaign"].get(obj["campaign_id"]) if obj else None
        elif resource == "ad_group_ad":
            assert obj is not None
            ad_group = entities["adgroup"].get(obj["parent_id"])
            campaign = entities["campaign"].get(obj["campaign_id"])
            values.update({"ad_group_ad.ad.id": obj["id"], "ad_group_ad.ad.name": obj["name"],
                           "ad_group_ad.ad.type": obj["fields"].get("type"), "ad_group_ad.status": obj["status"],
                           "ad_group_ad.resource_name": f"customers/{cid}/adGroupAds/{obj['parent_id']}~{obj['id']}"})
        elif resource == "campaign_budget":
            assert obj is not None
            values.update(_budget_values(cid, obj, currency))
        if campaign is not None:
            values.update({"campaign.id": campaign["id"], "campaign.name": campaign["name"],
                           "campaign.status": campaign["status"],
                           "campaign.serving_status": "SERVING" if campaign["status"] == "ENABLED" else "NONE",
                           "campaign.advertising_channel_type": campaign["fields"].get("advertising_channel_type"),
                           "campaign.resource_name": f"customers/{cid}/campaigns/{campaign['id']}",
                           "campaign.campaign_budget": f"customers/{cid}/campaignBudgets/{campaign['fields']['budget_id']}"})
            budget = entities["budget"].get(campaign["fields"]["budget_id"])
            if budget is not None:
                values.update(_budget_values(cid, budget, currency))
        if ad_group is not None:
            values.update({"ad_group.id": ad_group["id"], "ad_group.name": ad_group["name"],
                           "ad_group.status": ad_group["status"], "ad_group.type": ad_group["fields"].get("type"),
                           "ad_group.resource_name": f"customers/{cid}/adGroups/{ad_group['id']}"})
        return values

    async def search(self, account: dict[str, Any], query: str) -> list[dict[str, Any]]:
        q = parse_gaql(query)
        resource, fields = q["resource"], q["fields"]
        entities = await self._entities(account)
        if resource == "customer":
            base = [(None, self._row(account, resource, None, entities))]
        elif resource == "change_status":
            if not any(c["field"] == "change_status.last_change_date_time" for c in q["conditions"]):
                raise GoogleAdsError(400, "INVALID_ARGUMENT", {"queryError": "LIMITED_DATE_RANGE"},
                                     "change_status queries need a filter on last_change_date_time.")
            base = [(None, _change_row(account["id"], o)) for t in ("campaign", "adgroup")
                    for o in entities[t].values() if o["updated_time"] > o["created_time"]]
        else:
            base = [(o, self._row(account, resource, o, entities))
                    for o in entities[_RESOURCES[resource]].values()]
        wants_metrics = any(f.startswith("metrics.") for f in fields)
        by_day = "segments.date" in fields
        date_conds = [c for c in q["conditions"] if c["field"] == "segments.date"]
        rows: list[dict[str, Any]] = []
        if wants_metrics or by_day:
            if resource == "campaign_budget":
                raise GoogleAdsError(400, "INVALID_ARGUMENT", {"queryError": "PROHIBITED_METRIC_IN_SELECT_OR_WHERE_CLAUSE"},
                                     "Metrics cannot be requested for campaign_budget.")
            stats = await self._stats(account, date_conds)
            key_of = {"customer": lambda s: account["id"], "campaign": lambda s: s["campaign_id"],
                      "ad_group": lambda s: s["adgroup_id"], "ad_group_ad": lambda s: s["ad_id"]}[resource]
            sums: dict[tuple[str, str | None], dict[str, int]] = defaultdict(lambda: defaultdict(int))
            for s in stats:
                bucket = sums[(key_of(s), s["date"].isoformat() if by_day else None)]
                for name, column in (("cost_micros", "spend_minor"), ("impressions", "impressions"),
                                     ("clicks", "clicks"), ("conversions", "conversions"),
                                     ("conversions_value", "conversion_value_minor")):
                    bucket[name] += s[column]
            index = {(o["id"] if o else account["id"]): values for o, values in base}
            currency = account["fields"]["currency"]
            for (object_id, day), m in sums.items():
                if object_id not in index:
                    continue
                values = dict(index[object_id])
                values.update({"metrics.cost_micros": minor_to_micros(m["cost_micros"], currency),
                               "metrics.impressions": m["impressions"], "metrics.clicks": m["clicks"],
                               "metrics.conversions": float(m["conversions"]),
                               "metrics.conversions_value": float(m["conversions_value"]) / 100,
                               "segments.date": day})
                rows.append(values)
        else:
            rows = [values for _, values in base]
        for cond in q["conditions"]:
            if cond["field"] == "segments.date":
                continue
            if cond["field"] not in _KNOWN and not any(cond["field"] in r for r in rows):
                raise GoogleAdsError(400, "INVALID_ARGUMENT", {"queryError": "UNRECOGNIZED_FIELD"},
                                     f"Error in query: unrecognized field '{cond['field']}'.")
            rows = [r for r in rows if _matches(r.get(cond["field"]), cond)]
        for field, *direction in reversed(q["order"]):
            rows.sort(key=lambda r, f=field: str(r.get(f) or "").zfill(20) if f.endswith(".id") else str(r.get(f) or ""),
                      reverse=bool(direction and direction[0].upper() == "DESC"))
        if q["limit"] is not None:
            rows = rows[: q["limit"]]
        results = [_project(r, fields) for r in rows]
        mask = ",".join(".".join(_camel(p) for p in f.split(".")) for f in fields)
        return [{"results": results[i:i + 10000], "fieldMask": mask, "requestId": self.request_id()}
                for i in range(0, max(1, len(results)), 10000)]

    async def _stats(self, account: dict[str, Any], date_conds: list[dict[str, Any]]) -> list[dict[str, Any]]:
        import datetime as dt

        low, high = dt.date(2000, 1, 1), dt.date(2100, 1, 1)
        for cond in date_conds:
            if cond["low"]:
                low, high = dt.date.fromisoformat(_literal(cond["low"])), dt.date.fromisoformat(_literal(cond["high"]))
            elif cond["op"] == "=":
                low = high = dt.date.fromisoformat(_literal(cond["value"]))
        return await self.state.stats(account_id=account["id"], since=low, until=high)

    async def mutate(self, account: dict[str, Any], type_: str, body: dict[str, Any], drop: bool) -> dict[str, Any]:
        operations = body.get("operations") or []
        if not operations:
            raise GoogleAdsError(400, "INVALID_ARGUMENT", {"mutateError": "OPERATIONS_REQUIRED"}, "Operations required.")
        partial = bool(body.get("partialFailure"))
        validate_only = bool(body.get("validateOnly"))
        results: list[dict[str, Any]] = []
        errors: list[tuple[int, GoogleAdsError]] = []
        planned: list[tuple[str, dict[str, Any]]] = []
        for index, op in enumerate(operations):
            try:
                planned.append(await self._check(account, type_, op))
                results.append({"resourceName": op["update"]["resourceName"]})
            except GoogleAdsError as exc:
                if not partial:
                    raise GoogleAdsError(exc.http, exc.status, exc.code, exc.message) from exc
                errors.append((index, exc))
                results.append({})
        if not validate_only and not drop:
            for object_id, change in planned:
                await self.state.update(object_id, **change)
                self.writes_applied += 1
        out: dict[str, Any] = {"results": [] if validate_only else results}
        if errors:
            index, exc = errors[0]
            out["partialFailureError"] = self.error_body(exc, index=index)
        return out

    async def _check(self, account: dict[str, Any], type_: str, op: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        update = op.get("update") if isinstance(op, dict) else None
        if not isinstance(update, dict) or "resourceName" not in update:
            raise GoogleAdsError(400, "INVALID_ARGUMENT", {"mutateError": "INVALID_OPERATION"},
                                 "Only update operations with a resourceName are emulated.")
        # A FieldMask in JSON is lowerCamelCase ("amountMicros"); the parser maps it to the proto's
        # snake_case paths, so both spellings name the same field, as on Google's servers.
        mask = {re.sub(r"(?<!^)([A-Z])", lambda m: "_" + m.group(1).lower(), m.strip())
                for m in str(op.get("updateMask") or "").split(",") if m.strip()}
        match = re.fullmatch(r"customers/(\d+)/\w+/(?:(\d+)~)?(\d+)", str(update["resourceName"]))
        row = await self.state.get(match.group(3)) if match and match.group(1) == account["id"] else None
        if row is None or row["type"] != type_:
            raise GoogleAdsError(400, "INVALID_ARGUMENT", {"mutateError": "RESOURCE_NOT_FOUND"},
                                 "Resource was not found.")
        if type_ == "budget":
            if mask != {"amount_micros"}:
                raise GoogleAdsError(400, "INVALID_ARGUMENT", {"fieldMaskError": "FIELD_NOT_FOUND"},
                                     "The field mask must name amount_micros.")
            micros = int(update.get("amountMicros") or 0)
            if micros < MIN_BUDGET_MICROS:
                raise GoogleAdsError(400, "INVALID_ARGUMENT", {"rangeError": "TOO_LOW"}, "Too low.")
            if micros % 10_000:
                raise GoogleAdsError(400, "INVALID_ARGUMENT",
                                     {"campaignBudgetError": "NON_MULTIPLE_OF_MINIMUM_CURRENCY_UNIT"},
                                     "The budget amount must be a multiple of the minimum currency unit.")
            return row["id"], {"fields": {"amount_minor": micros_to_minor(micros, account["fields"]["currency"])}}
        if mask != {"status"} or update.get("status") not in ("ENABLED", "PAUSED", "REMOVED"):
            raise GoogleAdsError(400, "INVALID_ARGUMENT", {"fieldMaskError": "FIELD_NOT_FOUND"},
                                 "Only status updates (updateMask: status) are emulated for this resource.")
        return row["id"], {"status": update["status"]}


class _WithHeaders(GoogleAdsError):
    def __init__(self, http: int, status: str, code: dict[str, str], message: str, headers: dict[str, str]) -> None:
        super().__init__(http, status, code, message)
        self.headers = headers


_KNOWN = frozenset({"campaign.id", "campaign.status", "campaign.name", "ad_group.id", "ad_group.status",
                    "ad_group_ad.ad.id", "ad_group_ad.status", "customer.id", "change_status.campaign",
                    "change_status.ad_group", "change_status.last_change_date_time"})


def _change_row(cid: str, obj: dict[str, Any]) -> dict[str, Any]:
    kind = "campaign" if obj["type"] == "campaign" else "ad_group"
    path = "campaigns" if kind == "campaign" else "adGroups"
    return {"change_status.resource_name": f"customers/{cid}/changeStatus/{obj['id']}",
            "change_status.resource_type": kind.upper(),
            f"change_status.{kind}": f"customers/{cid}/{path}/{obj['id']}",
            "change_status.last_change_date_time": obj["updated_time"].strftime("%Y-%m-%d %H:%M:%S.%f"),
            "change_status.resource_status": "CHANGED"}


def _budget_values(cid: str, budget: dict[str, Any], currency: str) -> dict[str, Any]:
    return {"campaign_budget.id": budget["id"], "campaign_budget.name": budget["name"],
            "campaign_budget.amount_micros": minor_to_micros(budget["fields"]["amount_minor"], currency),
            "campaign_budget.delivery_method": budget["fields"].get("delivery_method"),
            "campaign_budget.resource_name": f"customers/{cid}/campaignBudgets/{budget['id']}"}


def _project(values: dict[str, Any], fields: list[str]) -> dict[str, Any]:
    """The selected fields as nested camelCase JSON, int64 as strings, plus each resource's name."""
    out: dict[str, Any] = {}
    for field in fields:
        if field not in values:
            raise GoogleAdsError(400, "INVALID_ARGUMENT", {"queryError": "UNRECOGNIZED_FIELD"},
                                 f"Error in query: unrecognized field '{field}'.")
        value = values[field]
        if value is None:
            continue
        parts = field.split(".")
        node = out
        for part in parts[:-1]:
            node = node.setdefault(_camel(part), {})
        leaf = parts[-1]
        if isinstance(value, int) and not isinstance(value, bool) and (leaf.endswith(("_micros", "id")) or
                                                                         leaf in ("impressions", "clicks")):
            value = str(value)
        node[_camel(leaf)] = value
        resource = parts[0] if parts[0] != "ad_group_ad" else "ad_group_ad"
        name = values.get(f"{resource}.resource_name")
        if name and parts[0] not in ("metrics", "segments"):
            out.setdefault(_camel(resource), {})["resourceName"] = name
    return out


def create_google_sandbox_app(engine: AsyncEngine, *, version: str = "v26", faults: PlatformFaults | None = None,
                              valid_tokens: set[str] | None = None,
                              developer_tokens: set[str] | None = None) -> FastAPI:
    emulator = GoogleAdsEmulator(engine, version=version, faults=faults, valid_tokens=valid_tokens,
                                 developer_tokens=developer_tokens)
    app = FastAPI(title="agent-brain Google Ads sandbox", docs_url="/_sandbox/docs",
                  openapi_url="/_sandbox/openapi.json")
    app.state.emulator = emulator

    add_control_routes(app, emulator)

    async def api(request: Request, version_: str, customer: str, operation: str) -> JSONResponse:
        if version_ != emulator.version:
            return JSONResponse({"error": {"code": 404, "message": f"Version {version_} is not served here.",
                                           "status": "NOT_FOUND"}}, status_code=404)
        try:
            body = await request.json()
        except ValueError:
            body = None
        status, payload, headers = await emulator.handle(request.method, customer, operation, body,
                                                         {k.lower(): v for k, v in request.headers.items()})
        return JSONResponse(payload, status_code=status, headers=headers)

    app.add_api_route("/{version_}/customers/{customer}/{operation}", api, methods=["POST"], include_in_schema=False)
    return app
