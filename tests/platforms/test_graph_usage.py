from __future__ import annotations

import json
from typing import TYPE_CHECKING

import pytest
from hypothesis import given
from hypothesis import strategies as st

from agent_brain.platforms.graph.usage import (
    UsageDelayPolicy,
    UsageTracker,
    account_from_path,
    parse_ad_account_usage,
    parse_app_usage,
    parse_business_use_case_usage,
)

if TYPE_CHECKING:
    from tests.platforms.conftest import FakeClock


def buc(business_id: str, *, calls: float = 10, regain_minutes: float = 0) -> str:
    return json.dumps(
        {
            business_id: [
                {
                    "type": "ads_management",
                    "call_count": calls,
                    "total_cputime": 1,
                    "total_time": 2,
                    "estimated_time_to_regain_access": regain_minutes,
                }
            ]
        }
    )


def test_parse_headers() -> None:
    app = parse_app_usage('{"call_count": 28, "total_time": 25, "total_cputime": 61}')
    assert app is not None and app.peak_pct == 61
    account = parse_ad_account_usage('{"acc_id_util_pct": 9.67, "reset_time_duration": 300}')
    assert account is not None and account.acc_id_util_pct == 9.67 and account.reset_time_duration == 300
    [usage] = parse_business_use_case_usage(buc("112233", calls=95, regain_minutes=3))
    assert usage.business_id == "112233" and usage.type == "ads_management"
    assert usage.peak_pct == 95
    assert usage.regain_seconds == 180


@pytest.mark.parametrize("raw", [None, "", "not json", "[1, 2]", '{"x": "y"}'])
def test_garbage_headers_are_ignored(raw: str | None) -> None:
    assert parse_business_use_case_usage(raw) == []
    app = parse_app_usage(raw)
    assert app is None or app.peak_pct == 0


def test_account_from_path() -> None:
    assert account_from_path("act_123/campaigns") == "act_123"
    assert account_from_path("/act_123") == "act_123"
    assert account_from_path("120000000/insights") is None


def test_delay_policy_shape() -> None:
    policy = UsageDelayPolicy(threshold_pct=75, max_delay_seconds=30, exponent=2)
    assert policy.delay(0) == 0
    assert policy.delay(75) == 0
    assert policy.delay(87.5) == pytest.approx(7.5)
    assert policy.delay(100) == 30
    assert policy.delay(250) == 30
    # Meta already blocks us: wait the whole regain time, whatever the percentages say.
    assert policy.delay(10, regain_seconds=600) == 600


@given(
    a=st.floats(min_value=0, max_value=300, allow_nan=False),
    b=st.floats(min_value=0, max_value=300, allow_nan=False),
    threshold=st.floats(min_value=0, max_value=99),
    max_delay=st.floats(min_value=0, max_value=120),
)
def test_delay_is_monotonic_and_bounded(a: float, b: float, threshold: float, max_delay: float) -> None:
    policy = UsageDelayPolicy(threshold_pct=threshold, max_delay_seconds=max_delay)
    low, high = sorted((a, b))
    assert 0 <= policy.delay(low) <= policy.delay(high) <= max_delay


def test_tracker_app_usage_slows_every_call(clock: FakeClock) -> None:
    tracker = UsageTracker(clock=clock)
    tracker.update({"X-App-Usage": '{"call_count": 50, "total_time": 10, "total_cputime": 10}'})
    assert tracker.delay_for("act_1") == 0
    tracker.update({"X-App-Usage": '{"call_count": 95, "total_time": 10, "total_cputime": 10}'})
    assert tracker.delay_for("act_1") > 0
    assert tracker.delay_for(None) == tracker.delay_for("act_1")


def test_tracker_account_usage_is_per_account(clock: FakeClock) -> None:
    tracker = UsageTracker(clock=clock)
    tracker.update({"X-Ad-Account-Usage": '{"acc_id_util_pct": 99, "reset_time_duration": 120}'}, "act_1")
    assert tracker.delay_for("act_1") > 0
    assert tracker.delay_for("act_2") == 0


def test_tracker_regain_time_counts_down_and_clears(clock: FakeClock) -> None:
    tracker = UsageTracker(clock=clock)
    tracker.update({"x-business-use-case-usage": buc("777", calls=100, regain_minutes=5)}, "act_1")
    assert tracker.delay_for("act_1") == 300
    assert tracker.delay_for("act_2") == 0  # a different account, not linked to business 777
    clock.advance(120)
    assert tracker.delay_for("act_1") == 180
    tracker.update({"x-business-use-case-usage": buc("777", calls=5, regain_minutes=0)}, "act_1")
    assert tracker.delay_for("act_1") == 0
