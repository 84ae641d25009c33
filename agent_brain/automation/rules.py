"""What a rule is: a validated structure (scope · condition · action · schedule) and its words.

A rule is never free text the model interprets later: chat, the API and the web panel all produce
a `RuleSpec`, which is checked here (metric units, which actions a level supports, the ±50 %
guardrail) and restated in the user's language before it is saved.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, Field, StringConstraints, model_validator

from agent_brain.money import format_money

Level = Literal["account", "campaign", "adset", "ad", "direction", "creative"]
Metric = Literal["cpl", "ctr", "cpm", "spend", "leads", "frequency"]
Operator = Literal[">", ">=", "<", "<="]
Action = Literal["notify", "pause", "resume", "budget_pct", "budget_set"]
# metric: a threshold on a metric (set-based SQL); optimizer / bandit: the budget optimizer or the creative
# bandit run on the rule's schedule (`agent_brain.automation.strategies`), proposing their plans.
Kind = Literal["metric", "optimizer", "bandit"]

MAX_CHANGE_PCT = 50.0  # no automatic change moves a budget by more than this, either way
MONEY_METRICS = {"cpl", "cpm", "spend"}

# The tool a firing runs on an object of a level (its arguments are built in `automation.act`).
ACTION_TOOLS: dict[tuple[str, str], str] = {
    ("adset", "pause"): "pauseAdSet", ("adset", "resume"): "resumeAdSet",
    ("adset", "budget_pct"): "updateBudget", ("adset", "budget_set"): "updateBudget",
    ("campaign", "pause"): "pauseCampaign", ("campaign", "resume"): "resumeCampaign",
    ("direction", "pause"): "pauseDirection",
    ("direction", "budget_pct"): "updateDirectionBudget", ("direction", "budget_set"): "updateDirectionBudget",
    ("creative", "pause"): "pauseCreative",
}

_LEVEL_WORDS = {
    "ru": {"account": "кабинета", "campaign": "кампании", "adset": "адсета", "ad": "объявления",
           "direction": "направления", "creative": "креатива"},
    "en": {"account": "the account", "campaign": "a campaign", "adset": "an ad set", "ad": "an ad",
           "direction": "a direction", "creative": "a creative"},
}
_METRIC_WORDS = {"ru": {"cpl": "CPL", "ctr": "CTR", "cpm": "CPM", "spend": "расход", "leads": "лидов",
                        "frequency": "частота"},
                 "en": {"cpl": "CPL", "ctr": "CTR", "cpm": "CPM", "spend": "spend", "leads": "leads",
                        "frequency": "frequency"}}
_OPERATOR_WORDS = {"ru": {">": "выше", ">=": "не ниже", "<": "ниже", "<=": "не выше"},
                   "en": {">": "above", ">=": "at least", "<": "below", "<=": "at most"}}


# Platform object ids (Meta's digits, our UUIDs, other platforms' ids) and names a database can hold.
_PRINTABLE = r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f]*$"
ObjectId = Annotated[str, StringConstraints(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.:-]+$")]


class RuleSpec(BaseModel):
    """One rule. Money thresholds and values are in the account currency's minor units."""

    name: str = Field(default="", max_length=200, pattern=_PRINTABLE)
    kind: Kind = "metric"
    scope_level: Level
    scope_ids: list[ObjectId] | None = Field(default=None, max_length=200,
                                             description="None: every object of the level")
    scope_names: list[Annotated[str, StringConstraints(max_length=400, pattern=_PRINTABLE)]] = Field(
        default_factory=list, description="For the restatement only")
    metric: Metric
    operator: Operator
    threshold: float = Field(ge=0, le=1_000_000_000)  # money up to $10M in cents; counts and % far below
    window_days: int = Field(default=1, ge=1, le=90)
    min_spend_cents: int = Field(default=0, ge=0, le=100_000_000_000)  # up to a billion in money
    action: Action = "notify"
    action_value: float | None = Field(default=None, ge=-1_000_000_000, le=1_000_000_000)
    mode: Literal["propose", "auto"] = "propose"
    schedule_hours: int = Field(default=6, ge=1, le=168)
    cooldown_hours: int = Field(default=24, ge=1, le=24 * 30)
    max_changes_per_day: int = Field(default=1, ge=1, le=10)

    @classmethod
    def strategy(cls, kind: Kind, *, scope_ids: list[str] | None = None, scope_names: list[str] | None = None,
                 window_days: int = 7, schedule_hours: int = 24, mode: Literal["propose", "auto"] = "propose",
                 name: str = "") -> RuleSpec:
        """An optimizer rule (the account's active ad sets) or a bandit rule (one ad set's creatives).
        Their condition is the strategy itself: the metric columns hold neutral values nobody reads."""
        return cls(name=name, kind=kind, scope_level="account" if kind == "optimizer" else "adset",
                   scope_ids=scope_ids, scope_names=scope_names or [], metric="spend", operator=">", threshold=0,
                   window_days=window_days, action="notify", mode=mode, schedule_hours=schedule_hours)

    @model_validator(mode="after")
    def _consistent(self) -> RuleSpec:
        if self.kind == "optimizer" and (self.scope_level != "account" or not 3 <= self.window_days <= 30):
            raise ValueError("an optimizer rule covers the account over 3–30 days")
        if self.kind == "bandit" and (self.scope_level != "adset" or not self.scope_ids or len(self.scope_ids) != 1):
            raise ValueError("a bandit rule watches exactly one ad set")
        if self.action != "notify" and (self.scope_level, self.action) not in ACTION_TOOLS:
            supported = sorted({a for (lvl, a) in ACTION_TOOLS if lvl == self.scope_level}) or ["notify"]
            raise ValueError(f"action {self.action!r} is not available for level {self.scope_level!r}; "
                             f"available: {', '.join(['notify', *supported])}")
        if self.action == "budget_pct":
            if self.action_value is None or self.action_value == 0:
                raise ValueError("budget_pct needs a non-zero percentage in action_value")
            if abs(self.action_value) > MAX_CHANGE_PCT:
                raise ValueError(f"a rule may change a budget by at most {MAX_CHANGE_PCT:.0f}% at a time")
        if self.action == "budget_set" and (self.action_value is None or self.action_value < 100):
            raise ValueError("budget_set needs the new daily budget in minor units (at least 100)")
        if self.metric == "ctr" and self.threshold > 100:
            raise ValueError("CTR is a percentage (0–100)")
        return self

    def describe(self, language: str, currency: str = "USD") -> str:
        """The rule in words, as shown to the user before it is saved."""
        ru = language == "ru"
        if self.kind != "metric":
            return _strategy_words(self, ru)
        lang = "ru" if ru else "en"
        value = (format_money(round(self.threshold), currency) if self.metric in MONEY_METRICS
                 else f"{self.threshold:g}%" if self.metric == "ctr" else f"{self.threshold:g}")
        scope = ", ".join(f"«{n}»" for n in self.scope_names) if self.scope_names else None
        level = _LEVEL_WORDS[lang][self.scope_level]
        period = (("за сутки" if self.window_days == 1 else f"за {self.window_days} дн.") if ru
                  else ("over a day" if self.window_days == 1 else f"over {self.window_days} days"))
        what = (f"{_METRIC_WORDS[lang][self.metric]} {level}{f' {scope}' if scope else ''} "
                f"{_OPERATOR_WORDS[lang][self.operator]} {value} {period}")
        act = self._action_words(ru, currency)
        every = f"каждые {self.schedule_hours} ч" if ru else f"every {self.schedule_hours} h"
        how = (("предлагать план на подтверждение" if self.mode == "propose" else "выполнять автоматически")
               if ru else ("propose a plan for approval" if self.mode == "propose" else "act automatically"))
        if ru:
            text = f"Если {what} — {act}. Проверка {every}; {how}."
        else:
            text = f"If {what} — {act}. Checked {every}; {how}."
        if self.min_spend_cents:
            text += (f" Только при расходе от {format_money(self.min_spend_cents, currency)}." if ru
                     else f" Only with spend of at least {format_money(self.min_spend_cents, currency)}.")
        return text

    def _action_words(self, ru: bool, currency: str) -> str:
        if self.action == "notify":
            return "прислать уведомление" if ru else "send a notification"
        if self.action == "pause":
            return "поставить на паузу" if ru else "pause it"
        if self.action == "resume":
            return "включить" if ru else "resume it"
        if self.action == "budget_pct":
            pct = self.action_value or 0
            verb = ("увеличить" if pct > 0 else "уменьшить") if ru else ("raise" if pct > 0 else "lower")
            return f"{verb} бюджет на {abs(pct):g}%" if ru else f"{verb} the budget by {abs(pct):g}%"
        money = format_money(round(self.action_value or 0), currency)
        return f"установить бюджет {money} в день" if ru else f"set the daily budget to {money}"


def _strategy_words(spec: RuleSpec, ru: bool) -> str:
    every = f"каждые {spec.schedule_hours} ч" if ru else f"every {spec.schedule_hours} h"
    how = (("предлагать план на подтверждение" if spec.mode == "propose" else "выполнять автоматически в пределах "
            "ограничений (±50 %, пауза между изменениями, лимит в день)") if ru else
           ("propose a plan for approval" if spec.mode == "propose" else "act automatically within the guardrails "
            "(±50 %, cooldown, daily cap)"))
    if spec.kind == "optimizer":
        return (f"Оптимизатор бюджетов: {every} разбирать активные адсеты за {spec.window_days} дн. (ROAS выше цели "
                f"×1.5 → +20 %, CPL выше цели ×1.5 → −20 %, 3 дня расхода без лидов → пауза) и {how}." if ru else
                f"Budget optimizer: {every} review the active ad sets over {spec.window_days} days (ROAS above "
                f"target ×1.5 → +20 %, CPL above target ×1.5 → −20 %, 3 days of spend without leads → pause) and {how}.")
    where = ", ".join(f"«{n}»" for n in spec.scope_names) or (spec.scope_ids or ["?"])[0]
    return (f"Ротация креативов в адсете {where}: {every} сравнивать креативы за {spec.window_days} дн. (Thompson "
            f"sampling по лидам на клик), креативы с шансом быть лучшим ниже 5 % — на паузу; {how}." if ru else
            f"Creative rotation in ad set {where}: {every} compare the creatives over {spec.window_days} days "
            f"(Thompson sampling on leads per click), pause those under a 5 % chance of being best; {how}.")
