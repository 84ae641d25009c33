"""`TikTokAdapter`: TikTok Business API v1.3 behind `PlatformAdapter`.

TikTok's objects map onto the unified ones: advertiser → ad account, campaign → campaign, ad group
→ ad set, ad → ad. `operation_status` ENABLE/DISABLE is ACTIVE/PAUSED; a `secondary_status` ending
in `_DELETE` is DELETED. Budgets are decimal amounts in the advertiser's currency, turned into
minor units here. Every call names its advertiser, so the adapter remembers which advertiser owns
each object it has listed (and looks an unknown id up among its advertisers).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

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
from agent_brain.platforms.graph.errors import InvalidParameterError
from agent_brain.platforms.jsonapi.client import ApiClient
from agent_brain.platforms.money import from_minor, to_minor

API_VERSION = "v1.3"
DEFAULT_BASE_URL = "https://business-api.tiktok.com"
PAGE_SIZE = 1000  # the largest page the /get/ endpoints allow
REPORT_PAGE_SIZE = 1000
MAX_DAILY_REPORT_DAYS = 30

_DATA_LEVEL = {"account": "AUCTION_ADVERTISER", "campaign": "AUCTION_CAMPAIGN", "adset": "AUCTION_ADGROUP",
               "ad": "AUCTION_AD"}
_ID_DIMENSION = {"account": "advertiser_id", "campaign": "campaign_id", "adset": "adgroup_id", "ad": "ad_id"}
_NAME_METRIC = {"campaign": "campaign_name", "adset": "adgroup_name", "ad": "ad_name"}
REPORT_METRICS = ("spend", "impressions", "clicks", "reach", "conversion", "complete_payment_roas")
_OPERATION = {"ACTIVE": "ENABLE", "PAUSED": "DISABLE", "DELETED": "DELETE"}


def tiktok_client(access_token: str, *, base_url: str = DEFAULT_BASE_URL, **kwargs: Any) -> ApiClient:
    from agent_brain.platforms.tiktok.errors import classify

    return ApiClient(platform="tiktok", platform_name="TikTok", root_url=f"{base_url.rstrip('/')}/open_api/{API_VERSION}",
                     secrets={"Access-Token": access_token}, classify=classify,
                     token_header=("Access-Token", "{}"), **kwargs)


def _status(item: dict[str, Any]) -> Status:
    if str(item.get("secondary_status", "")).endswith("_DELETE") or item.get("operation_status") == "DELETE":
        return "DELETED"
    return "ACTIVE" if item.get("operation_status") == "ENABLE" else "PAUSED"


def _time(value: Any) -> dt.datetime | None:
    if not value:
        return None
    return dt.datetime.fromisoformat(str(value)).replace(tzinfo=dt.UTC)


class TikTokAdapter(PlatformAdapter):
    platform = "tiktok"

    def __init__(self, client: ApiClient, advertiser_ids: Sequence[str] = ()) -> None:
        self.client = client
        self.advertiser_ids = list(advertiser_ids)
        self._currency: dict[str, str] = {}
        self._owner: dict[str, tuple[str, str]] = {}  # object id → (advertiser id, "campaign"|"adgroup"|"ad")
        self._modified: dict[str, str] = {}  # object id → `modify_time` as last read

    def attach(self, account_id: str) -> None:
        """Make a linked account's objects findable by id (writes name objects, not accounts)."""
        self.add_advertiser(account_id)

    def add_advertiser(self, advertiser_id: str) -> None:
        if advertiser_id not in self.advertiser_ids:
            self.advertiser_ids.append(advertiser_id)

    # reads

    async def list_ad_accounts(self) -> list[AdAccount]:
        if not self.advertiser_ids:
            return []
        data = await self.client.get("advertiser/info/", {"advertiser_ids": self.advertiser_ids,
                                                          "fields": ["advertiser_id", "name", "currency", "timezone",
                                                                     "status"]})
        accounts = []
        for item in _data(data).get("list") or []:
            self._currency[str(item["advertiser_id"])] = item.get("currency") or "USD"
            accounts.append(AdAccount(id=str(item["advertiser_id"]), name=item.get("name") or "",
                                      currency=item.get("currency") or "USD", timezone=item.get("timezone"),
                                      status=item.get("status")))
        return accounts

    async def currency(self, advertiser_id: str) -> str:
        if advertiser_id not in self._currency:
            self.add_advertiser(advertiser_id)
            await self.list_ad_accounts()
        return self._currency.get(advertiser_id, "USD")

    async def _pages(self, path: str, params: dict[str, Any]) -> list[dict[str, Any]]:
        """Every item of a /get/ endpoint, following `page_info` until `total_page`."""
        items: list[dict[str, Any]] = []
        page = 1
        while True:
            data = _data(await self.client.get(path, {**params, "page": page, "page_size": PAGE_SIZE}))
            items.extend(data.get("list") or [])
            info = data.get("page_info") or {}
            if page >= int(info.get("total_page") or 1):
                return items
            page += 1

    async def _campaigns(self, advertiser_id: str, ids: Sequence[str] | None = None) -> list[Campaign]:
        params: dict[str, Any] = {"advertiser_id": advertiser_id}
        if ids:
            params["filtering"] = {"campaign_ids": list(ids)}
        currency = await self.currency(advertiser_id)
        out = []
        for item in await self._pages("campaign/get/", params):
            self._owner[str(item["campaign_id"])] = (advertiser_id, "campaign")
            self._modified[str(item["campaign_id"])] = str(item.get("modify_time") or "")
            daily = item.get("budget_mode") == "BUDGET_MODE_DAY"
            out.append(Campaign(
                id=str(item["campaign_id"]), name=item.get("campaign_name") or "", status=_status(item),
                effective_status=item.get("secondary_status"), objective=item.get("objective_type"),
                daily_budget_cents=to_minor(item.get("budget"), currency) if daily else None,
                lifetime_budget_cents=to_minor(item.get("budget"), currency)
                if item.get("budget_mode") == "BUDGET_MODE_TOTAL" else None,
                created_time=_time(item.get("create_time"))))
        return out

    async def _ad_groups(self, advertiser_id: str, *, campaign_ids: Sequence[str] | None = None,
                         ids: Sequence[str] | None = None) -> list[AdSet]:
        filtering: dict[str, Any] = {}
        if campaign_ids:
            filtering["campaign_ids"] = list(campaign_ids)
        if ids:
            filtering["adgroup_ids"] = list(ids)
        currency = await self.currency(advertiser_id)
        out = []
        for item in await self._pages("adgroup/get/", {"advertiser_id": advertiser_id,
                                                        **({"filtering": filtering} if filtering else {})}):
            self._owner[str(item["adgroup_id"])] = (advertiser_id, "adgroup")
            self._modified[str(item["adgroup_id"])] = str(item.get("modify_time") or "")
            daily = item.get("budget_mode") == "BUDGET_MODE_DAY"
            out.append(AdSet(
                id=str(item["adgroup_id"]), campaign_id=str(item["campaign_id"]), name=item.get("adgroup_name") or "",
                status=_status(item), effective_status=item.get("secondary_status"),
                daily_budget_cents=to_minor(item.get("budget"), currency) if daily else None,
                optimization_goal=item.get("optimization_goal"), billing_event=item.get("billing_event"),
                created_time=_time(item.get("create_time"))))
        return out

    async def list_campaigns(self, account_id: str, *, statuses: Sequence[Status] | None = None) -> list[Campaign]:
        campaigns = await self._campaigns(account_id)
        return [c for c in campaigns if statuses is None or c.status in statuses]

    async def _locate(self, object_id: str) -> tuple[str, str]:
        """(advertiser id, kind) of an object; unknown ids are looked up among the advertisers."""
        if object_id in self._owner:
            return self._owner[object_id]
        for advertiser in self.advertiser_ids:
            if await self._campaigns(advertiser, [object_id]) or await self._ad_groups(advertiser, ids=[object_id]):
                return self._owner[object_id]
            ads = await self._pages("ad/get/", {"advertiser_id": advertiser, "filtering": {"ad_ids": [object_id]}})
            if ads:
                self._owner[object_id] = (advertiser, "ad")
                return self._owner[object_id]
        raise InvalidParameterError(f"TikTok object {object_id} not found", code=40002)

    async def get_campaign(self, campaign_id: str) -> Campaign:
        advertiser, _ = await self._locate(campaign_id)
        found = await self._campaigns(advertiser, [campaign_id])
        if not found:
            raise InvalidParameterError(f"campaign {campaign_id} not found", code=40002)
        return found[0]

    async def list_ad_sets(self, *, account_id: str | None = None, campaign_id: str | None = None) -> list[AdSet]:
        if account_id is None:
            if campaign_id is None:
                raise ValueError("account_id or campaign_id is required")
            account_id, _ = await self._locate(campaign_id)
        return await self._ad_groups(account_id, campaign_ids=[campaign_id] if campaign_id else None)

    async def get_ad_set(self, ad_set_id: str) -> AdSet:
        advertiser, _ = await self._locate(ad_set_id)
        found = await self._ad_groups(advertiser, ids=[ad_set_id])
        if not found:
            raise InvalidParameterError(f"ad group {ad_set_id} not found", code=40002)
        return found[0]

    async def list_ads(self, *, account_id: str | None = None, ad_set_id: str | None = None) -> list[Ad]:
        if account_id is None:
            if ad_set_id is None:
                raise ValueError("account_id or ad_set_id is required")
            account_id, _ = await self._locate(ad_set_id)
        params: dict[str, Any] = {"advertiser_id": account_id}
        if ad_set_id:
            params["filtering"] = {"adgroup_ids": [ad_set_id]}
        out = []
        for item in await self._pages("ad/get/", params):
            self._owner[str(item["ad_id"])] = (account_id, "ad")
            out.append(Ad(id=str(item["ad_id"]), adset_id=str(item["adgroup_id"]),
                          campaign_id=str(item.get("campaign_id") or "") or None, name=item.get("ad_name") or "",
                          status=_status(item), effective_status=item.get("secondary_status")))
        return out

    async def insights(self, account_id: str, query: InsightsQuery) -> list[Insight]:
        """The integrated report (`/report/integrated/get/`, BASIC) at the query's level, per day
        with `time_increment=1`. Lead = TikTok's `conversion` (the optimisation event)."""
        if query.since is None or query.until is None:
            raise ValueError("TikTok reports need an explicit date range (since/until)")
        if query.breakdowns:
            raise InvalidParameterError("breakdowns are not supported for TikTok here", code=40002)
        level = query.level
        dimensions = [_ID_DIMENSION[level]] + (["stat_time_day"] if query.time_increment == 1 else [])
        metrics = list(REPORT_METRICS) + ([_NAME_METRIC[level]] if level in _NAME_METRIC else [])
        params: dict[str, Any] = {
            "advertiser_id": account_id, "report_type": "BASIC", "data_level": _DATA_LEVEL[level],
            "dimensions": dimensions, "metrics": metrics, "start_date": query.since.isoformat(),
            "end_date": query.until.isoformat(), "page_size": REPORT_PAGE_SIZE,
        }
        if query.object_id:
            kind = (await self._locate(query.object_id))[1]
            params["filtering"] = [{"field_name": f"{kind}_ids", "filter_type": "IN",
                                    "filter_value": f'["{query.object_id}"]'}]
        currency = await self.currency(account_id)
        rows: list[Insight] = []
        # A daily report covers at most 30 days: longer ranges are asked for in 30-day windows.
        windows = _windows(query.since, query.until) if query.time_increment == 1 else [(query.since, query.until)]
        for since, until in windows:
            page = 1
            while True:
                data = _data(await self.client.get("report/integrated/get/", {
                    **params, "start_date": since.isoformat(), "end_date": until.isoformat(), "page": page}))
                rows.extend(_insight(row, level, query, currency) for row in data.get("list") or [])
                if page >= int((data.get("page_info") or {}).get("total_page") or 1):
                    break
                page += 1
        return rows

    async def object_version(self, object_id: str) -> str | None:
        """TikTok's `modify_time` of a campaign or ad group, read now."""
        advertiser, kind = await self._locate(object_id)
        if kind == "campaign":
            await self._campaigns(advertiser, [object_id])
        elif kind == "adgroup":
            await self._ad_groups(advertiser, ids=[object_id])
        return self._modified.get(object_id) or None

    # writes

    async def set_status(self, object_id: str, status: Status, *, validate_only: bool = False) -> WriteResult:
        advertiser, kind = await self._locate(object_id)
        operation = _OPERATION.get(status)
        if operation is None:
            raise InvalidParameterError(f"TikTok has no status {status}", code=40002)
        body = {"advertiser_id": advertiser, f"{kind}_ids": [object_id], "operation_status": operation}
        if validate_only:
            return WriteResult(success=True, object_id=object_id, applied=False, dry_run=True,
                               changes={"status": status})

        async def verify() -> dict[str, Any] | None:
            now = await (self.get_campaign(object_id) if kind == "campaign" else self.get_ad_set(object_id)
                         if kind == "adgroup" else self._ad(advertiser, object_id))
            return {"verified": True} if now.status == status else None

        response = await self.client.post(f"{kind}/status/update/", body, verify=verify)
        return WriteResult(success=True, object_id=object_id, changes={"status": status},
                           platform_response=_data(response))

    async def _ad(self, advertiser: str, ad_id: str) -> Ad:
        ads = await self._pages("ad/get/", {"advertiser_id": advertiser, "filtering": {"ad_ids": [ad_id]}})
        if not ads:
            raise InvalidParameterError(f"ad {ad_id} not found", code=40002)
        item = ads[0]
        return Ad(id=ad_id, adset_id=str(item["adgroup_id"]), name=item.get("ad_name") or "", status=_status(item))

    async def update_daily_budget(self, object_id: str, daily_budget_cents: int, *,
                                  validate_only: bool = False) -> WriteResult:
        """A campaign's budget via `/campaign/update/`, an ad group's via `/adgroup/budget/update/`."""
        advertiser, kind = await self._locate(object_id)
        currency = await self.currency(advertiser)
        amount = float(from_minor(daily_budget_cents, currency))
        if kind == "campaign":
            path, body = "campaign/update/", {"advertiser_id": advertiser, "campaign_id": object_id, "budget": amount}
        elif kind == "adgroup":
            path, body = "adgroup/budget/update/", {"advertiser_id": advertiser,
                                                    "budget": [{"adgroup_id": object_id, "budget": amount}]}
        else:
            raise InvalidParameterError("TikTok ads have no budget of their own", code=40002)
        if validate_only:
            return WriteResult(success=True, object_id=object_id, applied=False, dry_run=True,
                               changes={"daily_budget": daily_budget_cents})

        async def verify() -> dict[str, Any] | None:
            now = await (self.get_campaign(object_id) if kind == "campaign" else self.get_ad_set(object_id))
            return {"verified": True} if now.daily_budget_cents == daily_budget_cents else None

        response = await self.client.post(path, body, verify=verify)
        return WriteResult(success=True, object_id=object_id, changes={"daily_budget": daily_budget_cents},
                           platform_response=_data(response))


def _windows(since: dt.date, until: dt.date, days: int = MAX_DAILY_REPORT_DAYS) -> list[tuple[dt.date, dt.date]]:
    out = []
    while since <= until:
        end = min(until, since + dt.timedelta(days=days - 1))
        out.append((since, end))
        since = end + dt.timedelta(days=1)
    return out


def _data(response: Any) -> dict[str, Any]:
    data = response.get("data") if isinstance(response, dict) else None
    return data if isinstance(data, dict) else {}


def _insight(row: dict[str, Any], level: str, query: InsightsQuery, currency: str) -> Insight:
    dims, metrics = row.get("dimensions") or {}, row.get("metrics") or {}
    if "stat_time_day" in dims:
        day = dt.date.fromisoformat(str(dims["stat_time_day"])[:10])
        start = stop = day
    else:
        assert query.since is not None and query.until is not None
        start, stop = query.since, query.until
    spend = to_minor(metrics.get("spend"), currency)
    roas = float(metrics.get("complete_payment_roas") or 0)
    return Insight(
        level=level, object_id=str(dims.get(_ID_DIMENSION[level])), object_name=metrics.get(_NAME_METRIC.get(level, "")),
        date_start=start, date_stop=stop, impressions=int(float(metrics.get("impressions") or 0)),
        reach=int(float(metrics.get("reach") or 0)), clicks=int(float(metrics.get("clicks") or 0)),
        link_clicks=int(float(metrics.get("clicks") or 0)), spend_cents=spend,
        leads=int(float(metrics.get("conversion") or 0)), conversion_value_cents=round(spend * roas),
    )
