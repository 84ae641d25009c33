"""Optimisation maths against hand computations: chi-square, lift interval, Thompson sampling, the rules' edges."""

from __future__ import annotations

import math

import numpy as np
import pytest

from agent_brain.optimization.budget import ObjectFigures, propose
from agent_brain.optimization.stats import Arm, Variant, ab_test, thompson


def test_chi_square_verdict_equals_the_hand_computation() -> None:
    a, b = Variant("A", 2000, 160, 7), Variant("B", 2000, 110, 7)
    verdict = ab_test([a, b])
    # 2×2 table by hand: expected counts from the margins, Pearson's statistic, 1 degree of freedom.
    n, conv = 4000, 270
    expected = [[2000 * conv / n, 2000 * (n - conv) / n]] * 2
    observed = [[160, 1840], [110, 1890]]
    chi2 = sum((o - e) ** 2 / e for row_o, row_e in zip(observed, expected, strict=True)
               for o, e in zip(row_o, row_e, strict=True))
    p = math.erfc(math.sqrt(chi2 / 2))  # survival of chi-square with 1 dof
    assert verdict.ready and verdict.p_value == pytest.approx(p, rel=1e-9)
    assert verdict.significant and verdict.winner == "A"
    assert verdict.lift == pytest.approx(160 / 110 - 1)
    se = math.sqrt(1 / 160 - 1 / 2000 + 1 / 110 - 1 / 2000)
    low, high = verdict.lift_ci
    assert low == pytest.approx(math.exp(math.log(160 / 110) - 1.959963984540054 * se) - 1)
    assert high == pytest.approx(math.exp(math.log(160 / 110) + 1.959963984540054 * se) - 1)


def test_no_verdict_before_100_conversions_each_and_the_days_left() -> None:
    verdict = ab_test([Variant("A", 900, 60, 3), Variant("B", 900, 100, 3)])
    assert not verdict.ready and verdict.winner is None and verdict.p_value is None
    assert verdict.missing == {"A": 40, "B": 0}
    assert verdict.days_left == 2  # A converts 20 a day: 40 more take 2 days
    assert ab_test([Variant("A", 900, 99, 3), Variant("B", 900, 0, 0)]).days_left is None  # B has no pace yet


def test_a_difference_within_noise_has_no_winner() -> None:
    verdict = ab_test([Variant("A", 5000, 150, 10), Variant("B", 5000, 140, 10)])
    assert verdict.ready and not verdict.significant and verdict.winner is None and verdict.p_value > 0.05


def test_thompson_sampling_with_a_fixed_seed() -> None:
    arms = [Arm("A", 1000, 50), Arm("B", 1000, 30), Arm("C", 300, 3)]
    advice = thompson(arms, seed=11, draws=50_000)
    # By hand: the same seed and draws, straight from numpy.
    rng = np.random.default_rng(11)
    s = np.column_stack([rng.beta(1 + a.conversions, 1 + a.trials - a.conversions, size=50_000) for a in arms])
    wins = np.bincount(s.argmax(axis=1), minlength=3) / 50_000
    assert [advice.p_best[a.name] for a in arms] == pytest.approx(list(wins))
    assert advice.p_best["A"] > 0.95 and sum(advice.p_best.values()) == pytest.approx(1)
    assert advice.pause == ["B", "C"]


@pytest.mark.parametrize(("cpa", "expected"), [(1500 * 1.5, None), (1500 * 1.5 + 1, "lower")])
def test_cpa_boundary_is_strict(cpa: float, expected: str | None) -> None:
    spend = round(cpa * 10)
    obj = ObjectFigures("1", "A", 10000, spend, 10, daily=[(100, 1)] * 3)
    result = propose([obj], target_cpa_cents=1500)
    assert (result[0].action if result else None) == expected
    if expected:
        assert result[0].new_budget_cents == 8000 and result[0].reason["cpa_cents"] == round(spend / 10)


@pytest.mark.parametrize(("revenue", "expected"), [(30000, None), (30001, "raise")])
def test_roas_boundary_is_strict(revenue: int, expected: str | None) -> None:
    obj = ObjectFigures("1", "A", 10000, 10000, 5, revenue_cents=revenue, daily=[(100, 1)] * 3)
    result = propose([obj], target_roas=2.0)
    assert (result[0].action if result else None) == expected
    if expected:
        assert result[0].new_budget_cents == 12000


def test_three_idle_days_exactly_pause_two_do_not() -> None:
    three = ObjectFigures("1", "A", 10000, 900, 0, daily=[(100, 2), (300, 0), (300, 0), (300, 0)])
    two = ObjectFigures("2", "B", 10000, 900, 1, daily=[(300, 1), (300, 0), (300, 0)])
    unspent = ObjectFigures("3", "C", 10000, 0, 0, daily=[(300, 0), (0, 0), (300, 0)])
    result = propose([three, two, unspent], target_cpa_cents=100_000)
    assert [(p.id, p.action) for p in result] == [("1", "pause")]


def test_no_targets_no_proposals() -> None:
    with pytest.raises(ValueError, match="needs a target"):
        propose([], target_cpa_cents=None, target_roas=None)
