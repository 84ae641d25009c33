"""The Ads agent's automation tools: rules (with alerts as notify rules) and scheduled reports.

A rule is shown restated and backtested before it exists: `previewRule` is a read, `createRule` a
dangerous write (always a plan the user approves, in every mode). Every result carries `message`,
the reply in the user's language, written here from the same figures it returns.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import delete, select

from agent_brain import clock
from agent_brain.agents.ads.automation_args import (
    NoArgs,
    ReportRefArgs,
    ReportScheduleArgs,
    RuleActivityArgs,
    RuleArgs,
    RuleRefArgs,
    SetRuleEnabledArgs,
)
from agent_brain.agents.ads.tools import tools
from agent_brain.automation.evaluate import backtest
from agent_brain.automation.reports import ReportScheduleSpec, create_schedule
from agent_brain.automation.rules import RuleSpec
from agent_brain.automation.store import RuleNotFoundError, RulesStore
from agent_brain.db.models import Creative, Direction, ScheduledReport
from agent_brain.money import format_money
from agent_brain.tools.common import say
from agent_brain.tools.context import ToolContext
from agent_brain.tools.registry import READ, WRITE, ToolError

_OUTCOME_WORDS = {
    "proposed": ("предложен план", "plan proposed"), "executed": ("выполнено", "executed"),
    "notified": ("уведомление", "notified"), "skipped_cooldown": ("пропущено: пауза между срабатываниями",
                                                                  "skipped: cooldown"),
    "skipped_cap": ("пропущено: лимит изменений за день", "skipped: daily cap"),
    "skipped_window": ("уже срабатывало за это окно", "already fired for this window"),
    "skipped_state": ("пропущено: объект уже в нужном состоянии", "skipped: already in that state"),
    "failed": ("ошибка", "failed"),
}


def _on_platform(ctx: ToolContext, args: RuleArgs) -> ToolContext:
    """The context of the account the rule is for: the named platform's linked account, else this one.
    TikTok and Google Ads have no directions or creatives of ours: such rules stay on Meta."""
    if args.platform is None or args.platform == ctx.platform:
        return ctx
    moved = ctx.on(args.platform)
    if moved is None:
        raise ToolError(say(ctx, f"Аккаунт {args.platform} не привязан — правило для него не создать.",
                            f"No {args.platform} account is linked, so no rule can watch it."), code="no_ad_account")
    if args.platform != "meta" and args.level in ("direction", "creative"):
        raise ToolError(say(ctx, "Направления и креативы есть только у аккаунта Meta; для TikTok и Google Ads "
                                 "правило может следить за кампаниями, группами объявлений, объявлениями или "
                                 "аккаунтом.",
                            "Directions and creatives exist on the Meta account only; on TikTok and Google Ads a "
                            "rule can watch campaigns, ad groups, ads or the account."), code="level_not_available")
    return moved


async def _scope(ctx: ToolContext, args: RuleArgs) -> tuple[list[str] | None, list[str]]:
    """The ids and names of the object the rule names (None: every object of the level)."""
    if not args.scopeName:
        return None, []
    wanted = args.scopeName.casefold().strip()
    if args.level in ("adset", "campaign"):
        account = ctx.require_account()
        objects = (await ctx.meta.list_ad_sets(account_id=account) if args.level == "adset"
                   else await ctx.meta.list_campaigns(account))
        pairs = [(o.id, o.name) for o in objects]
    elif args.level in ("direction", "creative"):
        table = Direction if args.level == "direction" else Creative
        label = table.name if args.level == "direction" else Creative.title
        async with ctx.engine.connect() as conn:
            pairs = [(str(r[0]), r[1]) for r in (await conn.execute(
                select(table.id, label).where(table.user_id == ctx.user_id))).all()]
    else:
        raise ToolError(say(ctx, "Для этого уровня правило действует на все объекты сразу — без имени.",
                            "At this level a rule covers every object — give no name."), code="scope_not_named")
    exact = [(i, n) for i, n in pairs if n.casefold() == wanted]
    found = exact or [(i, n) for i, n in pairs if wanted in n.casefold()]
    if len(found) == 1:
        return [found[0][0]], [found[0][1]]
    if not found:
        raise ToolError(say(ctx, f"Не нашёл «{args.scopeName}» среди ваших объектов.",
                            f"I could not find “{args.scopeName}” among your objects."), code="not_found")
    names = ", ".join(f"«{n}»" for _, n in found[:6])
    raise ToolError(say(ctx, f"Под «{args.scopeName}» подходят несколько: {names}. Какой именно?",
                        f"Several match “{args.scopeName}”: {names}. Which one?"), code="ambiguous")


async def _backtest_summary(ctx: ToolContext, spec: RuleSpec) -> dict[str, Any]:
    if ctx.ad_account_id is None:
        ctx.require_account()
    result = await backtest(ctx.engine, spec, ad_account_id=ctx.ad_account_id,  # type: ignore[arg-type]
                            last_day=ctx.today - dt.timedelta(days=1))
    effect = result.effect_cents(spec)
    hits = [{"object": h.object_name or h.object_id, "first_day": h.first_day.isoformat(), "days": h.days_fired,
             "spend_after_cents": h.spend_after_first_cents} for h in result.hits]
    if not hits:
        text = say(ctx, f"За 30 дней ({result.first_day} — {result.last_day}) правило не сработало бы ни разу.",
                   f"Over 30 days ({result.first_day} — {result.last_day}) the rule would never have fired.")
    else:
        shown = "; ".join(f"«{h['object']}» с {h['first_day']} ({h['days']} дн.)" if ctx.language == "ru"
                          else f"“{h['object']}” from {h['first_day']} ({h['days']} days)" for h in hits[:5])
        more = len(hits) - 5
        text = say(ctx, f"За 30 дней сработало бы на {len(hits)} объект(ах): {shown}"
                        f"{f' и ещё {more}' if more > 0 else ''}.",
                   f"Over 30 days it would have fired on {len(hits)} object(s): {shown}"
                   f"{f' and {more} more' if more > 0 else ''}.")
        if spec.action == "pause" and effect:
            text += say(ctx, f" Пауза сэкономила бы до {format_money(effect, ctx.currency)}.",
                        f" Pausing would have saved up to {format_money(effect, ctx.currency)}.")
        elif spec.action == "budget_pct" and effect:
            text += say(ctx, f" Изменение бюджета: около {format_money(-effect, ctx.currency)} к расходу.",
                        f" Budget change: about {format_money(-effect, ctx.currency)} of spend.")
    return {"from": result.first_day.isoformat(), "to": result.last_day.isoformat(), "hits": hits,
            "effect_cents": effect, "text": text}


@tools.tool(kind=READ)
async def previewRule(args: RuleArgs, ctx: ToolContext) -> dict[str, Any]:
    """Restate a rule in words and backtest it on the last 30 days, without saving it. Use before
    createRule so the user sees what the rule means and what it would have done."""
    ctx = _on_platform(ctx, args)
    ids, names = await _scope(ctx, args)
    spec = args.spec(ids, names)
    test = await _backtest_summary(ctx, spec)
    return {"rule": spec.model_dump(mode="json"), "description": spec.describe(ctx.language, ctx.currency),
            "backtest": test, "message": f"{spec.describe(ctx.language, ctx.currency)}\n{test['text']}"}


@tools.tool(kind=WRITE, dangerous=True)
async def createRule(args: RuleArgs, ctx: ToolContext) -> dict[str, Any]:
    """Save an automation rule (or an alert: action notify). Checked on its schedule; by default it
    proposes a plan when it fires, in auto mode it acts within guardrails (±50 %, cooldown, daily cap).
    Always needs the user's confirmation."""
    ctx = _on_platform(ctx, args)
    ctx.require_account()
    ids, names = await _scope(ctx, args)
    spec = args.spec(ids, names)
    rule = await RulesStore(ctx.engine).create(ctx.user_id, ctx.ad_account_id, spec)  # type: ignore[arg-type]
    words = spec.describe(ctx.language, ctx.currency)
    return {"rule_id": str(rule.id), "description": words, "target": {"id": str(rule.id), "name": words},
            "message": say(ctx, f"Правило сохранено: {words}", f"Rule saved: {words}")}


@tools.tool(kind=READ)
async def listRules(args: NoArgs, ctx: ToolContext) -> dict[str, Any]:
    """The user's automation rules and alerts, with their state and last check."""
    rules = await RulesStore(ctx.engine).list(ctx.user_id)
    items = [{"id": str(r.id), "enabled": r.enabled, "description": r.spec.describe(ctx.language, ctx.currency),
              "last_evaluated_at": r.last_evaluated_at.isoformat() if r.last_evaluated_at else None} for r in rules]
    if not items:
        message = say(ctx, "Правил пока нет. Например: «Создай правило: если CPL адсета выше $40 за сутки — ставь "
                           "его на паузу».", "No rules yet. For example: “Create a rule: if an ad set's CPL is "
                                             "above $40 over a day, pause it”.")
    else:
        message = "\n".join(f"{n}. {'' if i['enabled'] else '⏸ '}{i['description']}" for n, i in enumerate(items, 1))
    return {"items": items, "message": message}


async def _rule_id(ctx: ToolContext, args: RuleRefArgs) -> Any:
    """The rule the user means: its id, or its number as listRules shows them."""
    if args.ruleId is not None:
        return args.ruleId
    rules = await RulesStore(ctx.engine).list(ctx.user_id)
    if not 1 <= (args.ruleNumber or 0) <= len(rules):
        raise ToolError(say(ctx, f"Правила №{args.ruleNumber} нет: всего правил {len(rules)}.",
                            f"There is no rule #{args.ruleNumber}: there are {len(rules)}."), code="not_found")
    return rules[(args.ruleNumber or 1) - 1].id


@tools.tool(kind=WRITE)
async def setRuleEnabled(args: SetRuleEnabledArgs, ctx: ToolContext) -> dict[str, Any]:
    """Turn a rule on or off (it keeps its settings and log). The rule by id or by its number in listRules."""
    try:
        rule = await RulesStore(ctx.engine).update(ctx.user_id, await _rule_id(ctx, args), enabled=args.enabled)
    except RuleNotFoundError:
        raise ToolError(say(ctx, "Такого правила нет.", "No such rule."), code="not_found") from None
    words = rule.spec.describe(ctx.language, ctx.currency)
    return {"rule_id": str(rule.id), "enabled": rule.enabled,
            "message": say(ctx, f"Правило {'включено' if rule.enabled else 'выключено'}: {words}",
                           f"Rule {'enabled' if rule.enabled else 'disabled'}: {words}")}


@tools.tool(kind=WRITE, dangerous=True)
async def deleteRule(args: RuleRefArgs, ctx: ToolContext) -> dict[str, Any]:
    """Delete a rule and its log (by id or by its number in listRules). Always needs the user's confirmation."""
    store = RulesStore(ctx.engine)
    rule_id = await _rule_id(ctx, args)
    try:
        words = (await store.get(ctx.user_id, rule_id)).spec.describe(ctx.language, ctx.currency)
        await store.delete(ctx.user_id, rule_id)
    except RuleNotFoundError:
        raise ToolError(say(ctx, "Такого правила нет.", "No such rule."), code="not_found") from None
    return {"rule_id": str(rule_id), "message": say(ctx, f"Правило удалено: {words}", f"Rule deleted: {words}")}


@tools.tool(kind=READ)
async def getRuleActivity(args: RuleActivityArgs, ctx: ToolContext) -> dict[str, Any]:
    """What the rules did over the last N days: firings, plans proposed, actions executed, skips."""
    events = await RulesStore(ctx.engine).events(ctx.user_id, since=clock.now() - dt.timedelta(days=args.days))
    items = [{"rule": e["name"] or e["rule_id"], "object": e["object_name"] or e["object_id"],
              "outcome": e["outcome"], "value": e["metric_value"], "at": e["created_at"].isoformat()} for e in events]
    if not items:
        message = say(ctx, f"За {args.days} дн. правила ни разу не срабатывали.",
                      f"The rules did not fire in the last {args.days} days.")
    else:
        lang = 0 if ctx.language == "ru" else 1
        message = "\n".join(f"• {i['at'][:16].replace('T', ' ')} «{i['object']}»: {_OUTCOME_WORDS[i['outcome']][lang]}"
                            for i in items[:20])
    return {"items": items, "message": message}


@tools.tool(kind=WRITE)
async def createReportSchedule(args: ReportScheduleArgs, ctx: ToolContext) -> dict[str, Any]:
    """Send a report on a schedule in the ad account's time zone: daily (yesterday's spend, leads,
    CPL, new CRM leads) or weekly (the week against the week before), with a chart in Telegram."""
    ctx.require_account()
    spec = ReportScheduleSpec(args.kind, args.hour, args.minute, args.weekday)
    report_id = await create_schedule(ctx.engine, ctx.user_id, ctx.ad_account_id, spec)  # type: ignore[arg-type]
    words = spec.describe(ctx.language)
    return {"report_id": str(report_id), "description": words, "target": {"id": str(report_id), "name": words},
            "message": say(ctx, f"Буду присылать отчёт {words} (время кабинета, {ctx.timezone}).",
                           f"I will send the report {words} (the account's time, {ctx.timezone}).")}


@tools.tool(kind=READ)
async def listReportSchedules(args: NoArgs, ctx: ToolContext) -> dict[str, Any]:
    """The user's scheduled reports: what each sends, when (the account's local time) and the next run."""
    async with ctx.engine.connect() as conn:
        rows = (await conn.execute(select(ScheduledReport).where(ScheduledReport.user_id == ctx.user_id,
                                                                 ScheduledReport.enabled)
                                   .order_by(ScheduledReport.created_at))).all()
    items = [{"id": str(r.id), "description": ReportScheduleSpec(r.kind, r.hour, r.minute, r.weekday)
              .describe(ctx.language), "next_run_at": r.next_run_at.isoformat()} for r in rows]
    message = ("\n".join(f"{n}. {i['description']}" for n, i in enumerate(items, 1)) if items
               else say(ctx, "Регулярных отчётов нет.", "No scheduled reports."))
    return {"items": items, "message": message}


@tools.tool(kind=WRITE)
async def cancelReportSchedule(args: ReportRefArgs, ctx: ToolContext) -> dict[str, Any]:
    """Stop sending a scheduled report (by id or by its number in listReportSchedules)."""
    report_id = args.reportId
    if report_id is None:
        async with ctx.engine.connect() as conn:
            ids = list((await conn.execute(select(ScheduledReport.id).where(
                ScheduledReport.user_id == ctx.user_id, ScheduledReport.enabled)
                .order_by(ScheduledReport.created_at))).scalars())
        if not 1 <= (args.reportNumber or 0) <= len(ids):
            raise ToolError(say(ctx, f"Отчёта №{args.reportNumber} нет: всего {len(ids)}.",
                                f"There is no report #{args.reportNumber}: there are {len(ids)}."), code="not_found")
        report_id = ids[(args.reportNumber or 1) - 1]
    async with ctx.engine.begin() as conn:
        row = (await conn.execute(delete(ScheduledReport).where(
            ScheduledReport.id == report_id, ScheduledReport.user_id == ctx.user_id)
            .returning(ScheduledReport.kind, ScheduledReport.hour, ScheduledReport.minute,
                       ScheduledReport.weekday))).first()
    if row is None:
        raise ToolError(say(ctx, "Такого отчёта нет.", "No such report."), code="not_found")
    words = ReportScheduleSpec(row.kind, row.hour, row.minute, row.weekday).describe(ctx.language)
    return {"report_id": str(report_id), "message": say(ctx, f"Больше не присылаю отчёт {words}.",
                                                            f"I will no longer send the report {words}.")}

