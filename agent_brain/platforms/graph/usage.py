"""Rate-limit usage headers and a pre-emptive delay: slow down before the limit instead of hitting it.

Meta reports usage on every response:

* `X-App-Usage`: `{"call_count", "total_cputime", "total_time"}`, percentages for the whole app;
* `X-Ad-Account-Usage`: `{"acc_id_util_pct", "reset_time_duration"}` for the ad account called;
* `X-Business-Use-Case-Usage`: `{business_id: [{"type", "call_count", "total_cputime",
  "total_time", "estimated_time_to_regain_access"}]}`, the regain time in MINUTES.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from agent_brain.platforms.graph.clock import Clock, utc_now


def _pct(value: Any) -> float:
    try:
        return max(0.0, float(value))
    except (TypeError, ValueError):
        return 0.0


def _load(header: str | None) -> Any:
    if not header:
        return None
    try:
        return json.loads(header)
    except ValueError:
        return None


@dataclass(frozen=True)
class AppUsage:
    call_count: float = 0.0
    total_cputime: float = 0.0
    total_time: float = 0.0

    @property
    def peak_pct(self) -> float:
        return max(self.call_count, self.total_cputime, self.total_time)


@dataclass(frozen=True)
class AdAccountUsage:
    acc_id_util_pct: float = 0.0
    reset_time_duration: float = 0.0  # seconds until the account's usage window resets


@dataclass(frozen=True)
class BusinessUseCaseUsage:
    business_id: str
    type: str
    call_count: float = 0.0
    total_cputime: float = 0.0
    total_time: float = 0.0
    estimated_time_to_regain_access: float = 0.0  # minutes, as Meta sends it

    @property
    def peak_pct(self) -> float:
        return max(self.call_count, self.total_cputime, self.total_time)

    @property
    def regain_seconds(self) -> float:
        return self.estimated_time_to_regain_access * 60.0


def parse_app_usage(header: str | None) -> AppUsage | None:
    data = _load(header)
    if not isinstance(data, Mapping):
        return None
    return AppUsage(
        _pct(data.get("call_count")), _pct(data.get("total_cputime")), _pct(data.get("total_time"))
    )


def parse_ad_account_usage(header: str | None) -> AdAccountUsage | None:
    data = _load(header)
    if not isinstance(data, Mapping):
        return None
    return AdAccountUsage(_pct(data.get("acc_id_util_pct")), _pct(data.get("reset_time_duration")))


def parse_business_use_case_usage(header: str | None) -> list[BusinessUseCaseUsage]:
    data = _load(header)
    if not isinstance(data, Mapping):
        return []
    usages = []
    for business_id, entries in data.items():
        if not isinstance(entries, list):
            continue
        for entry in entries:
            if not isinstance(entry, Mapping):
                continue
            usages.append(
                BusinessUseCaseUsage(
                    business_id=str(business_id),
                    type=str(entry.get("type", "")),
                    call_count=_pct(entry.get("call_count")),
                    total_cputime=_pct(entry.get("total_cputime")),
                    total_time=_pct(entry.get("total_time")),
                    estimated_time_to_regain_access=_pct(entry.get("estimated_time_to_regain_access")),
                )
            )
    return usages


def header_value(headers: Mapping[str, str], name: str) -> str | None:
    """Case-insensitive lookup: httpx.Headers is, a plain dict from a batch sub-response is not."""
    lowered = name.lower()
    for key, value in headers.items():
        if key.lower() == lowered:
            return value
    return None


@dataclass(frozen=True)
class UsageDelayPolicy:
    """How long to wait before a call, given the highest usage percentage seen.

    No delay below `threshold_pct`; from there the delay grows as
    `max_delay_seconds * ((pct - threshold) / (100 - threshold)) ** exponent`, reaching
    `max_delay_seconds` at 100 %. A positive regain time means Meta already blocks us: wait all of it.
    """

    threshold_pct: float = 75.0
    max_delay_seconds: float = 30.0
    exponent: float = 2.0

    def __post_init__(self) -> None:
        if not 0 <= self.threshold_pct < 100:
            raise ValueError("threshold_pct must be within [0, 100)")
        if self.max_delay_seconds < 0 or self.exponent <= 0:
            raise ValueError("max_delay_seconds must be >= 0 and exponent > 0")

    def delay(self, usage_pct: float, regain_seconds: float = 0.0) -> float:
        if regain_seconds > 0:
            return regain_seconds
        if usage_pct <= self.threshold_pct:
            return 0.0
        fraction = min(1.0, (usage_pct - self.threshold_pct) / (100.0 - self.threshold_pct))
        return self.max_delay_seconds * fraction**self.exponent


@dataclass
class _AccountUsage:
    ad_account: AdAccountUsage | None = None
    observed_at: datetime | None = None
    business_ids: set[str] = field(default_factory=set)


_ACCOUNT_RE = re.compile(r"(?:^|/)(act_\d+)(?:/|$|\?)")


def account_from_path(path: str) -> str | None:
    """`act_123` for any path under an ad account, else None."""
    match = _ACCOUNT_RE.search(path)
    return match.group(1) if match else None


class UsageTracker:
    """Latest usage figures per app, ad account and business, and the delay they imply.

    Business use case figures are keyed by business id and linked to the ad account whose
    response carried them, so a throttled business delays only its own accounts' calls.
    """

    def __init__(self, policy: UsageDelayPolicy | None = None, *, clock: Clock = utc_now) -> None:
        self.policy = policy or UsageDelayPolicy()
        self._clock = clock
        self.app: AppUsage | None = None
        self._accounts: dict[str, _AccountUsage] = {}
        # business id → (figures, when observed): the regain time counts from the observation.
        self._businesses: dict[str, tuple[list[BusinessUseCaseUsage], datetime]] = {}

    def update(self, headers: Mapping[str, str], account_id: str | None = None) -> None:
        now = self._clock()
        app = parse_app_usage(header_value(headers, "x-app-usage"))
        if app is not None:
            self.app = app
        account = self._accounts.setdefault(account_id, _AccountUsage()) if account_id else None
        ad_account = parse_ad_account_usage(header_value(headers, "x-ad-account-usage"))
        if account is not None and ad_account is not None:
            account.ad_account = ad_account
            account.observed_at = now
        by_business: dict[str, list[BusinessUseCaseUsage]] = {}
        for usage in parse_business_use_case_usage(header_value(headers, "x-business-use-case-usage")):
            by_business.setdefault(usage.business_id, []).append(usage)
        for business_id, usages in by_business.items():
            self._businesses[business_id] = (usages, now)
            if account is not None:
                account.business_ids.add(business_id)

    def usage_pct(self, account_id: str | None = None) -> float:
        """The highest usage percentage that applies to a call on `account_id`."""
        peaks = [self.app.peak_pct if self.app else 0.0]
        account = self._accounts.get(account_id) if account_id else None
        if account is not None:
            if account.ad_account is not None:
                peaks.append(account.ad_account.acc_id_util_pct)
            for business_id in account.business_ids:
                usages, _ = self._businesses.get(business_id, ([], None))
                peaks.extend(u.peak_pct for u in usages)
        return max(peaks)

    def regain_seconds(self, account_id: str | None = None) -> float:
        """Seconds left until Meta lifts a business use case block on `account_id`, or 0."""
        account = self._accounts.get(account_id) if account_id else None
        if account is None:
            return 0.0
        now = self._clock()
        remaining = 0.0
        for business_id in account.business_ids:
            usages, observed_at = self._businesses.get(business_id, ([], now))
            for usage in usages:
                if usage.regain_seconds > 0:
                    until = observed_at + timedelta(seconds=usage.regain_seconds)
                    remaining = max(remaining, (until - now).total_seconds())
        return remaining

    def blocked_seconds(self, account_id: str | None) -> float:
        """Seconds Meta still blocks `account_id` by its headers: a business use case regain time,
        or the account usage window's reset while `acc_id_util_pct` is at 100 %. 0 when not blocked."""
        blocked = self.regain_seconds(account_id)
        account = self._accounts.get(account_id) if account_id else None
        if account is not None and account.ad_account is not None and account.observed_at is not None:
            usage = account.ad_account
            if usage.acc_id_util_pct >= 100 and usage.reset_time_duration > 0:
                until = account.observed_at + timedelta(seconds=usage.reset_time_duration)
                blocked = max(blocked, (until - self._clock()).total_seconds())
        return max(0.0, blocked)

    def delay_for(self, account_id: str | None = None) -> float:
        """Seconds to wait before the next call on `account_id` (0 when usage is comfortable)."""
        return self.policy.delay(self.usage_pct(account_id), self.regain_seconds(account_id))
