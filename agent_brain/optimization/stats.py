"""The statistics behind optimisation: A/B verdicts (chi-square) and the creative bandit (Thompson).

Pure functions over counts, no I/O, so each can be checked against a hand computation.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

# numpy and scipy.stats take about a second to import: they load on the first verdict or bandit
# advice, not at start-up (the creative agent imports this module).

ALPHA = 0.05
MIN_CONVERSIONS = 100  # per variant, before any verdict


@dataclass(frozen=True)
class Variant:
    name: str
    trials: int  # e.g. clicks (or impressions): the denominator of the conversion rate
    conversions: int
    days: int = 0  # days it has run, for the time-left estimate

    @property
    def rate(self) -> float:
        return self.conversions / self.trials if self.trials else 0.0


@dataclass(frozen=True)
class ABVerdict:
    ready: bool  # every variant has at least MIN_CONVERSIONS conversions
    p_value: float | None
    significant: bool
    winner: str | None
    lift: float | None  # relative: winner's rate / the runner-up's − 1
    lift_ci: tuple[float, float] | None  # 95 % interval of that lift
    missing: dict[str, int]  # conversions each variant still needs before a verdict
    days_left: int | None  # at the current pace, until the slowest variant has enough


def ab_test(variants: Sequence[Variant], *, alpha: float = ALPHA, min_conversions: int = MIN_CONVERSIONS) -> ABVerdict:
    """Chi-square test of independence on conversions vs non-conversions across the variants.

    No verdict before every variant has `min_conversions`: then it says how far each is and, from each
    variant's daily pace, how many days are left. The lift compares the best rate with the second best;
    its interval is the delta-method interval of the log rate ratio.
    """
    if len(variants) < 2:
        raise ValueError("an A/B test needs at least two variants")
    if any(v.conversions > v.trials or v.trials < 0 or v.conversions < 0 for v in variants):
        raise ValueError("conversions must be between 0 and the number of trials")
    missing = {v.name: max(0, min_conversions - v.conversions) for v in variants}
    if any(missing.values()):
        short = [v for v in variants if missing[v.name]]
        known = all(v.days and v.conversions for v in short)  # a variant without a pace yet: unknown
        days_left = max(math.ceil(missing[v.name] * v.days / v.conversions) for v in short) if known else None
        return ABVerdict(False, None, False, None, None, None, missing, days_left)
    import numpy as np
    from scipy import stats

    table = np.array([[v.conversions, v.trials - v.conversions] for v in variants])
    _chi2, p_value, _dof, _expected = stats.chi2_contingency(table, correction=False)
    ordered = sorted(variants, key=lambda v: v.rate, reverse=True)
    best, second = ordered[0], ordered[1]
    ratio = best.rate / second.rate
    se = math.sqrt(1 / best.conversions - 1 / best.trials + 1 / second.conversions - 1 / second.trials)
    z = stats.norm.ppf(1 - alpha / 2)
    ci = (math.exp(math.log(ratio) - z * se) - 1, math.exp(math.log(ratio) + z * se) - 1)
    significant = bool(p_value < alpha)
    return ABVerdict(True, float(p_value), significant, best.name if significant else None, ratio - 1, ci,
                     missing, 0)


@dataclass(frozen=True)
class Arm:
    name: str
    trials: int  # clicks (or impressions) delivered
    conversions: int  # leads


@dataclass(frozen=True)
class BanditAdvice:
    p_best: dict[str, float]  # posterior probability that each arm has the highest conversion rate
    share: dict[str, float]  # the delivery share Thompson sampling would give each arm
    pause: list[str]  # arms with enough data and almost no chance of being best


def thompson(arms: Sequence[Arm], *, draws: int = 20_000, seed: int = 7, pause_below: float = 0.05,
             min_trials: int = 200) -> BanditAdvice:
    """Beta(1 + conversions, 1 + non-conversions) posteriors; P(best) by sampling with a fixed seed.

    Under Thompson sampling the share of delivery an arm gets is the probability it is the best, so
    the two coincide; an arm is proposed for pause when it has `min_trials` and P(best) < 5 %.
    """
    if not arms:
        raise ValueError("the bandit needs at least one creative")
    import numpy as np

    rng = np.random.default_rng(seed)
    samples = np.column_stack([rng.beta(1 + a.conversions, 1 + a.trials - a.conversions, size=draws) for a in arms])
    wins = np.bincount(samples.argmax(axis=1), minlength=len(arms)) / draws
    p_best = {a.name: float(w) for a, w in zip(arms, wins, strict=True)}
    pause = [a.name for a in arms if a.trials >= min_trials and p_best[a.name] < pause_below and len(arms) > 1]
    return BanditAdvice(p_best=p_best, share=dict(p_best), pause=pause)
