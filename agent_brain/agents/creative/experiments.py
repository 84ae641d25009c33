"""A/B statistics and the creative bandit as Creative tools (seeds 001 and 003).

* `analyzeABTest` — «Как идёт тест?»: 2–5 creatives over the period, a chi-square test of leads per
  click; no verdict before every creative has 100 leads (it says how far each is and the days left);
  a verdict names the winner, the p-value and the lift with its 95 % interval, and proposes pausing
  the losers (a plan the user approves).
* `suggestCreativeRotation` — for the creatives delivering in one ad set: Thompson sampling on leads per
  click (Beta posteriors, fixed seed) → the chance each is the best, in plain words, and a proposal to
  pause the ones with almost no chance.
"""

from __future__ import annotations

from typing import Any

from pydantic import Field
from sqlalchemy import text

from agent_brain.agents.creative.args import CompareCreativesArgs
from agent_brain.agents.creative.tools import _creative_rows, _period, tools
from agent_brain.optimization.stats import MIN_CONVERSIONS, Arm, Variant, ab_test, thompson
from agent_brain.tools.common import say
from agent_brain.tools.context import ToolContext
from agent_brain.tools.periods import PeriodArgs
from agent_brain.tools.registry import READ, ToolError

_IN_ADSET = text("""
SELECT c.id, c.title, sum(h.clicks)::bigint AS clicks, sum(h.leads)::bigint AS leads
FROM ad_creative_mapping m JOIN creative_metrics_history h ON h.fb_ad_id = m.fb_ad_id
JOIN creatives c ON c.id = m.creative_id AND c.user_id = :user
WHERE m.fb_adset_id = :adset AND m.ad_account_id = :account AND h.date BETWEEN :first AND :last
GROUP BY c.id, c.title HAVING sum(h.clicks) > 0 ORDER BY c.id""")


class RotationArgs(PeriodArgs):
    adsetId: str = Field(min_length=1, max_length=32, description="The ad set whose creatives compete")


def _pause_step(ctx: ToolContext, creative_id: str, title: str, why: str) -> dict[str, Any]:
    return {"action": "pauseCreative", "params": {"creativeId": creative_id},
            "description": say(ctx, f"Поставить на паузу креатив «{title}» (все его объявления): {why}",
                               f"Pause the creative “{title}” (all its ads): {why}")}


@tools.tool(kind=READ)
async def analyzeABTest(args: CompareCreativesArgs, ctx: ToolContext) -> dict[str, Any]:
    """How an A/B test of 2–5 creatives is going: a chi-square test of leads per click (α = 0.05). Gives
    a verdict only when every creative has at least 100 leads — before that, how many each still needs
    and the days left at the current pace; with a verdict, the winner, p-value, lift with a 95 % interval,
    and a proposal to pause the losers."""
    start, end, period = _period(args, ctx)
    rows = {r.id: r for r in await _creative_rows(ctx, start, end, ids=args.creativeIds)}
    if len(rows) != len(args.creativeIds):
        raise ToolError(say(ctx, "Не все креативы найдены.", "Not every creative was found."), code="not_found")
    days = (end - start).days + 1
    variants = [Variant(str(i), int(rows[i].clicks), min(int(rows[i].leads), int(rows[i].clicks)), days)
                for i in args.creativeIds]
    titles = {str(i): rows[i].title for i in args.creativeIds}
    verdict = ab_test(variants)
    out: dict[str, Any] = {"period": period, "variants": [
        {"id": v.name, "name": titles[v.name], "clicks": v.trials, "leads": v.conversions,
         "rate_pct": round(100 * v.rate, 2)} for v in variants], "ready": verdict.ready}
    if not verdict.ready:
        far = ", ".join(f"«{titles[k]}» {say(ctx, 'нужно ещё', 'needs')} {n}" for k, n in verdict.missing.items() if n)
        when = (say(ctx, f" При текущем темпе — ещё около {verdict.days_left} дн.",
                     f" At the current pace, about {verdict.days_left} more days.") if verdict.days_left else "")
        out.update(missing=verdict.missing, days_left=verdict.days_left, message=say(
            ctx, f"Вывода пока нет: для надёжного сравнения нужно по {MIN_CONVERSIONS} лидов на креатив ({far}).{when}",
            f"No verdict yet: a reliable comparison needs {MIN_CONVERSIONS} leads per creative ({far}).{when}"))
        return out
    out.update(p_value=verdict.p_value, significant=verdict.significant, winner=verdict.winner,
               lift=verdict.lift, lift_ci=verdict.lift_ci)
    if not verdict.significant:
        out["message"] = say(ctx, f"Разница не значима (p = {verdict.p_value:.3f} ≥ 0,05): победителя нет, "
                                  "креативы работают одинаково.",
                             f"The difference is not significant (p = {verdict.p_value:.3f} ≥ 0.05): no winner.")
        return out
    assert verdict.winner is not None and verdict.lift is not None and verdict.lift_ci is not None
    low, high = verdict.lift_ci
    losers = [v.name for v in variants if v.name != verdict.winner]
    out["proposed_steps"] = [_pause_step(ctx, k, titles[k], say(ctx, "проиграл A/B тест", "lost the A/B test"))
                             for k in losers]
    out["message"] = say(
        ctx, f"Победил «{titles[verdict.winner]}»: конверсия клика в лид выше на {100 * verdict.lift:.0f}% "
             f"(95% интервал {100 * low:.0f}…{100 * high:.0f}%), p = {verdict.p_value:.4f}. Предлагаю "
             "поставить на паузу остальные.",
        f"“{titles[verdict.winner]}” wins: its click-to-lead rate is {100 * verdict.lift:.0f}% higher (95% "
        f"interval {100 * low:.0f}…{100 * high:.0f}%), p = {verdict.p_value:.4f}. I propose pausing the others.")
    return out


@tools.tool(kind=READ)
async def suggestCreativeRotation(args: RotationArgs, ctx: ToolContext) -> dict[str, Any]:
    """For the creatives delivering in one ad set: Thompson sampling on leads per click (Beta posteriors)
    gives each creative's chance of being the best and the delivery share it deserves; creatives with
    enough clicks and under a 5 % chance are proposed for pause (a plan the user approves)."""
    start, end, period = _period(args, ctx)
    async with ctx.engine.connect() as conn:  # this ad set's own ads only: the creatives compete here
        rows = (await conn.execute(_IN_ADSET, {"adset": args.adsetId, "account": ctx.ad_account_id,
                                               "user": ctx.user_id, "first": start, "last": end})).all()
    if len(rows) < 2:
        raise ToolError(say(ctx, "В этом адсете меньше двух креативов с кликами за период — сравнивать нечего.",
                            "This ad set has fewer than two creatives with clicks in the period."), code="no_data")
    arms = [Arm(str(r.id), int(r.clicks), min(int(r.leads), int(r.clicks))) for r in rows]
    titles = {str(r.id): r.title for r in rows}
    advice = thompson(arms)
    ranked = sorted(advice.p_best.items(), key=lambda kv: kv[1], reverse=True)
    lines = [say(ctx, f"«{titles[k]}»: шанс быть лучшим {100 * p:.0f}%", f"“{titles[k]}”: {100 * p:.0f}% chance "
                                                                          "of being the best") for k, p in ranked]
    message = say(ctx, "По лидам на клик (байесовская оценка):\n", "By leads per click (Bayesian estimate):\n") \
        + "\n".join(lines)
    if advice.pause:
        message += say(ctx, "\nПредлагаю поставить на паузу креативы почти без шансов и отдать их показы лидеру.",
                       "\nI propose pausing the creatives with almost no chance and giving their delivery to the leader.")
    return {"period": period, "p_best": advice.p_best, "share": advice.share, "message": message,
            "proposed_steps": [_pause_step(ctx, k, titles[k], say(ctx, f"шанс быть лучшим {100 * advice.p_best[k]:.1f}%",
                                                                  f"{100 * advice.p_best[k]:.1f}% chance of being best"))
                               for k in advice.pause]}
