"""`GoogleAdsAdapter`: the Google Ads API (REST) behind `PlatformAdapter`.

Reads are GAQL queries over `customers/{id}/googleAds:searchStream`; writes are `:mutate` calls
(campaigns, ad groups, ad group ads, campaign budgets) with `partialFailure` on, one operation
each, their failures raised as typed errors. Money arrives in micros and leaves as minor units of
the customer's currency. Customer → ad account, campaign → campaign, ad group → ad set, ad group
ad → ad; a campaign's daily budget is its campaign budget's `amount_micros` (ad groups have none).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from agent_brain import clock
from agent_brain.platforms.base import (
    Ad,
    AdAccount,
    AdSet,
    Campaign,
    Insight,
    InsightsQuery,
    PlatformAdapter,
    Status,
    WriteResult,
)
from agent_brain.platforms.google.errors import classify, partial_failures
from agent_brain.platforms.graph.errors import InvalidParameterError
from agent_brain.platforms.jsonapi.client import ApiClient
from agent_brain.platforms.money import micros_to_minor, minor_to_micros, to_minor

API_VERSION = "v26"  # the latest active version in Google's reference (2026-11)
DEFAULT_BASE_URL = "https://googleads.googleapis.com"
_STATUS = {"ENABLED": "ACTIVE", "PAUSED": "PAUSED", "REMOVED": "DELETED"}
_TO_GOOGLE = {"ACTIVE": "ENABLED", "PAUSED": "PAUSED"}
_FROM = {"account": "customer", "campaign": "campaign", "adset": "ad_group", "ad": "ad_group_ad"}
_METRICS = "metrics.cost_micros, metrics.impressions, metrics.clicks, metrics.conversions, metrics.conversions_value"


def google_client(access_token: str, developer_token: str, *, login_customer_id: str | None = None,
                  base_url: str = DEFAULT_BASE_URL, version: str = API_VERSION, **kwargs: Any) -> ApiClient:
    headers = {"login-customer-id": login_customer_id} if login_customer_id else None
    return ApiClient(platform="google", platform_name="Google Ads",
                     root_url=f"{base_url.rstrip('/')}/{version}",
                     secrets={"Authorization": f"Bearer {access_token}", "developer-token": developer_token},
                     secret_values=(access_token,), classify=classify, headers=headers,
                     token_header=("Authorization", "Bearer {}"), **kwargs)


def _digits(value: str) -> str:
    if not value.replace("-", "").isdigit():
        raise InvalidParameterError(f"not a Google Ads id: {value!r}", code=400)
    return value.replace("-", "")


class GoogleAdsAdapter(PlatformAdapter):
    platform = "google"

    def __init__(self, client: ApiClient, customer_ids: Sequence[str] = ()) -> None:
        self.client = client
        self.customer_ids = [_digits(c) for c in customer_ids]
        self._currency: dict[str, str] = {}
        self._owner: dict[str, tuple[str, str]] = {}  # object id → (customer id, kind)
        self._budget_of: dict[str, str] = {}  # campaign id → campaign budget resource name

    def attach(self, account_id: str) -> None:
        """Make a linked account's objects findable by id (writes name objects, not accounts)."""
        self.add_customer(account_id)

    def add_customer(self, customer_id: str) -> None:
        if _digits(customer_id) not in self.customer_ids:
            self.customer_ids.append(_digits(customer_id))

    async def search(self, customer_id: str, query: str) -> list[dict[str, Any]]:
        """All rows of a GAQL query (every batch of the stream)."""
        batches = await self.client.read_post(f"customers/{_digits(customer_id)}/googleAds:searchStream",
                                              {"query": query})
        return [row for batch in batches or [] for row in batch.get("results") or []]

    async def currency(self, customer_id: str) -> str:
        if customer_id not in self._currency:
            await self._customer(customer_id)
        return self._currency.get(customer_id, "USD")

    async def _customer(self, customer_id: str) -> AdAccount:
        rows = await self.search(customer_id, "SELECT customer.id, customer.descriptive_name, "
                                              "customer.currency_code, customer.time_zone, customer.status "
                                              "FROM customer")
        c = rows[0]["customer"]
        self._currency[customer_id] = c.get("currencyCode") or "USD"
        return AdAccount(id=str(c["id"]), name=c.get("descriptiveName") or "", currency=c.get("currencyCode") or "USD",
                         timezone=c.get("timeZone"), status=c.get("status"))

    async def list_ad_accounts(self) -> list[AdAccount]:
        return [await self._customer(c) for c in self.customer_ids]

    async def _campaigns(self, customer_id: str, where: str = "") -> list[Campaign]:
        currency = await self.currency(customer_id)
        rows = await self.search(customer_id, (
            "SELECT campaign.id, campaign.name, campaign.status, campaign.advertising_channel_type, "
            "campaign.serving_status, campaign_budget.resource_name, campaign_budget.amount_micros "
            f"FROM campaign WHERE campaign.status != 'REMOVED'{where} ORDER BY campaign.id"))
        out = []
        for row in rows:
            c, budget = row["campaign"], row.get("campaignBudget") or {}
            self._owner[str(c["id"])] = (customer_id, "campaign")
            if budget.get("resourceName"):
                self._budget_of[str(c["id"])] = budget["resourceName"]
            out.append(Campaign(id=str(c["id"]), name=c.get("name") or "", status=_STATUS.get(c.get("status"), "PAUSED"),
                                effective_status=c.get("servingStatus"), objective=c.get("advertisingChannelType"),
                                daily_budget_cents=micros_to_minor(budget["amountMicros"], currency)
                                if "amountMicros" in budget else None))
        return out

    async def list_campaigns(self, account_id: str, *, statuses: Sequence[Status] | None = None) -> list[Campaign]:
        return [c for c in await self._campaigns(_digits(account_id)) if statuses is None or c.status in statuses]

    async def _locate(self, object_id: str) -> tuple[str, str]:
        object_id = _digits(object_id)
        if object_id in self._owner:
            return self._owner[object_id]
        for customer in self.customer_ids:
            if await self._campaigns(customer, f" AND campaign.id = {object_id}"):
                return self._owner[object_id]
            if await self._ad_groups(customer, f" AND ad_group.id = {object_id}"):
                return self._owner[object_id]
            if await self._ads(customer, f" AND ad_group_ad.ad.id = {object_id}"):
                return self._owner[object_id]
        raise InvalidParameterError(f"Google Ads object {object_id} not found", code=404)

    async def get_campaign(self, campaign_id: str) -> Campaign:
        customer, _ = await self._locate(campaign_id)
        found = await self._campaigns(customer, f" AND campaign.id = {_digits(campaign_id)}")
        if not found:
            raise InvalidParameterError(f"campaign {campaign_id} not found", code=404)
        return found[0]

    async def _ad_groups(self, customer_id: str, where: str = "") -> list[AdSet]:
        rows = await self.search(customer_id, (
            "SELECT ad_group.id, ad_group.name, ad_group.status, ad_group.type, campaign.id FROM ad_group "
            f"WHERE ad_group.status != 'REMOVED'{where} ORDER BY ad_group.id"))
        out = []
        for row in rows:
            g = row["adGroup"]
            self._owner[str(g["id"])] = (customer_id, "ad_group")
            out.append(AdSet(id=str(g["id"]), campaign_id=str(row["campaign"]["id"]), name=g.get("name") or "",
                             status=_STATUS.get(g.get("status"), "PAUSED"), optimization_goal=g.get("type")))
        return out

    async def list_ad_sets(self, *, account_id: str | None = None, campaign_id: str | None = None) -> list[AdSet]:
        if account_id is None:
            if campaign_id is None:
                raise ValueError("account_id or campaign_id is required")
            account_id, _ = await self._locate(campaign_id)
        where = f" AND campaign.id = {_digits(campaign_id)}" if campaign_id else ""
        return await self._ad_groups(_digits(account_id), where)

    async def get_ad_set(self, ad_set_id: str) -> AdSet:
        customer, _ = await self._locate(ad_set_id)
        found = await self._ad_groups(customer, f" AND ad_group.id = {_digits(ad_set_id)}")
        if not found:
            raise InvalidParameterError(f"ad group {ad_set_id} not found", code=404)
        return found[0]

    async def _ads(self, customer_id: str, where: str = "") -> list[Ad]:
        rows = await self.search(customer_id, (
            "SELECT ad_group_ad.ad.id, ad_group_ad.ad.name, ad_group_ad.status, ad_group.id, campaign.id "
            f"FROM ad_group_ad WHERE ad_group_ad.status != 'REMOVED'{where} ORDER BY ad_group_ad.ad.id"))
        out = []
        for row in rows:
            item = row["adGroupAd"]
            ad_id, group_id = str(item["ad"]["id"]), str(row["adGroup"]["id"])
            self._owner[ad_id] = (customer_id, f"ad_group_ad:{group_id}")
            out.append(Ad(id=ad_id, adset_id=group_id, campaign_id=str(row["campaign"]["id"]),
                          name=item["ad"].get("name") or "", status=_STATUS.get(item.get("status"), "PAUSED")))
        return out

    async def list_ads(self, *, account_id: str | None = None, ad_set_id: str | None = None) -> list[Ad]:
        if account_id is None:
            if ad_set_id is None:
                raise ValueError("account_id or ad_set_id is required")
            account_id, _ = await self._locate(ad_set_id)
        return await self._ads(_digits(account_id), f" AND ad_group.id = {_digits(ad_set_id)}" if ad_set_id else "")

    async def insights(self, account_id: str, query: InsightsQuery) -> list[Insight]:
        """Metrics of the query's level from GAQL; `segments.date` makes them daily. Lead =
        `metrics.conversions`; `conversions_value` is the platform-attributed purchase value."""
        if query.since is None or query.until is None:
            raise ValueError("Google Ads reports need an explicit date range (since/until)")
        if query.breakdowns:
            raise InvalidParameterError("breakdowns are not supported for Google Ads here", code=400)
        customer = _digits(account_id)
        currency = await self.currency(customer)
        level = query.level
        ident = {"account": "customer.id", "campaign": "campaign.id, campaign.name",
                 "adset": "ad_group.id, ad_group.name", "ad": "ad_group_ad.ad.id, ad_group_ad.ad.name"}[level]
        daily = query.time_increment == 1
        where = f"segments.date BETWEEN '{query.since.isoformat()}' AND '{query.until.isoformat()}'"
        if query.object_id:
            kind = (await self._locate(query.object_id))[1]
            column = {"campaign": "campaign.id", "ad_group": "ad_group.id"}.get(kind, "ad_group_ad.ad.id")
            where += f" AND {column} = {_digits(query.object_id)}"
        rows = await self.search(customer, f"SELECT {ident}, {_METRICS}{', segments.date' if daily else ''} "
                                           f"FROM {_FROM[level]} WHERE {where}")
        return [_insight(row, level, query, currency) for row in rows]

    async def object_version(self, object_id: str) -> str | None:
        """The last change of a campaign or ad group (`change_status`, which keeps 90 days)."""
        customer, kind = await self._locate(object_id)
        if kind not in ("campaign", "ad_group"):
            return None
        resource = f"customers/{customer}/{'campaigns' if kind == 'campaign' else 'adGroups'}/{_digits(object_id)}"
        since = clock.today_in("UTC") - dt.timedelta(days=89)
        rows = await self.search(customer, (
            "SELECT change_status.resource_name, change_status.last_change_date_time FROM change_status "
            f"WHERE change_status.{kind} = '{resource}' AND change_status.last_change_date_time >= '{since}' "
            "ORDER BY change_status.last_change_date_time DESC LIMIT 1"))
        return rows[0]["changeStatus"]["lastChangeDateTime"] if rows else None

    # writes

    async def _mutate(self, customer: str, service: str, operation: dict[str, Any], *, validate_only: bool,
                      verify: Any) -> dict[str, Any]:
        body = {"operations": [operation], "partialFailure": True, "validateOnly": validate_only}
        path = f"customers/{customer}/{service}:mutate"
        response = await (self.client.read_post(path, body) if validate_only
                          else self.client.post(path, body, verify=verify))
        failures = partial_failures(response if isinstance(response, dict) else {})
        if failures:
            error = failures[0]
            error.platform_name = self.client.platform_name
            raise error
        return response if isinstance(response, dict) else {}

    async def set_status(self, object_id: str, status: Status, *, validate_only: bool = False) -> WriteResult:
        customer, kind = await self._locate(object_id)
        if status not in _TO_GOOGLE:
            raise InvalidParameterError(f"Google Ads status {status} is not set here", code=400)
        object_id = _digits(object_id)
        if kind == "campaign":
            service, resource = "campaigns", f"customers/{customer}/campaigns/{object_id}"
        elif kind == "ad_group":
            service, resource = "adGroups", f"customers/{customer}/adGroups/{object_id}"
        else:
            group = kind.split(":", 1)[1]
            service, resource = "adGroupAds", f"customers/{customer}/adGroupAds/{group}~{object_id}"
        operation = {"update": {"resourceName": resource, "status": _TO_GOOGLE[status]}, "updateMask": "status"}

        async def verify() -> dict[str, Any] | None:
            if kind == "campaign":
                now = (await self.get_campaign(object_id)).status
            elif kind == "ad_group":
                now = (await self.get_ad_set(object_id)).status
            else:
                now = next((a.status for a in await self._ads(customer, f" AND ad_group_ad.ad.id = {object_id}")), None)
            return {"verified": True} if now == status else None

        response = await self._mutate(customer, service, operation, validate_only=validate_only, verify=verify)
        return WriteResult(success=True, object_id=object_id, applied=not validate_only, dry_run=validate_only,
                           changes={"status": status}, platform_response=response)

    async def update_daily_budget(self, object_id: str, daily_budget_cents: int, *,
                                  validate_only: bool = False) -> WriteResult:
        """A campaign's daily budget: its campaign budget's `amountMicros`."""
        customer, kind = await self._locate(object_id)
        object_id = _digits(object_id)
        if kind != "campaign":
            raise InvalidParameterError("In Google Ads only a campaign (its campaign budget) has a daily budget",
                                        code=400)
        if object_id not in self._budget_of:
            await self.get_campaign(object_id)
        resource = self._budget_of[object_id]
        currency = await self.currency(customer)
        operation = {"update": {"resourceName": resource,
                                "amountMicros": str(minor_to_micros(daily_budget_cents, currency))},
                     "updateMask": "amountMicros"}  # a FieldMask's JSON form: lowerCamelCase paths

        async def verify() -> dict[str, Any] | None:
            now = await self.get_campaign(object_id)
            return {"verified": True} if now.daily_budget_cents == daily_budget_cents else None

        response = await self._mutate(customer, "campaignBudgets", operation, validate_only=validate_only,
                                      verify=verify)
        return WriteResult(success=True, object_id=object_id, applied=not validate_only, dry_run=validate_only,
                           changes={"daily_budget": daily_budget_cents}, platform_response=response)


def _insight(row: dict[str, Any], level: str, query: InsightsQuery, currency: str) -> Insight:
    entity = {"account": "customer", "campaign": "campaign", "adset": "adGroup", "ad": "adGroupAd"}[level]
    obj = row.get(entity) or {}
    if level == "ad":
        obj = obj.get("ad") or {}
    metrics = row.get("metrics") or {}
    day = (row.get("segments") or {}).get("date")
    assert query.since is not None and query.until is not None
    start, stop = (dt.date.fromisoformat(day),) * 2 if day else (query.since, query.until)
    clicks = int(metrics.get("clicks") or 0)
    return Insight(
        level=level, object_id=str(obj.get("id")), object_name=obj.get("name"), date_start=start, date_stop=stop,
        impressions=int(metrics.get("impressions") or 0), clicks=clicks, link_clicks=clicks,
        spend_cents=micros_to_minor(metrics.get("costMicros"), currency),
        leads=round(float(metrics.get("conversions") or 0)),
        conversion_value_cents=to_minor(metrics.get("conversionsValue"), currency),
    )
