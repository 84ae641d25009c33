"""Labelled evaluation set for the offline model: messages → expected tool calls or a question.

Names are resolved against the demo clinic (`build_world(2026-05-20)`): campaign and ad set ids
come from the world; directions, creatives, leads and tests get uuid5 ids derived from their
names/keys (the production resolver gives database ids). `today` is Wednesday 2026-05-20.

A case expects either `calls` — (tool, the arguments that matter) — or `ask=True`: no tool call,
a question instead. `agent` limits the tools to one agent's (default: all of them). `history` is the
previous turn's tool calls; `focus` the conversation's focus entities.

`CASES` were written alongside the parser. `BLIND` and `BLIND_2` were each written in one go
and run only afterwards, to see how the parser generalises: on their first run 75/83 (90.4 %)
and 37/45 (82.2 %) were right. `BLIND_3` (issue 11's everyday questions: best/worst campaign by
CPL, follow-ups, dialogs awaiting a reply, burning-out creatives, named-campaign and percentage
budget changes) was written the same way: 5/30 (16.7 %) on its first run, 30/30 after the general
fixes (vocabulary for rankings, awaiting replies and fatigue; a campaign's budget via its direction;
relative changes computed from the resolver's current values). The misses were then fixed by general changes (vocabulary gaps
like "transcribe", "заявок"; verbs after a cue taken for names; an ad set «Тест: X» swallowing
the word "тест"; "креатив Виниры" naming a creative), never by special-casing a message.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass, field
from typing import Any

from agent_brain.demo.world import build_world
from agent_brain.llm.base import Entity
from agent_brain.llm.offline import StaticResolver
from agent_brain.llm.offline.text import detect_language

TODAY = dt.date(2026, 5, 20)
WORLD = build_world(TODAY)
NS = uuid.UUID("5d7e6a1c-3b0f-4c1e-9a55-0f1f2e3d4c5b")


def _uid(kind: str, key: str) -> str:
    return str(uuid.uuid5(NS, f"{kind}:{key}"))


def world_entities() -> list[Entity]:
    out: list[Entity] = []
    by_campaign = {d.fb_campaign_id: d for d in WORLD.directions}
    for c in WORLD.campaigns:
        direction = by_campaign.get(c.id)
        out.append(Entity("campaign", c.id, c.name, {"status": c.status, **(
            {"direction_id": _uid("direction", direction.name), "direction": direction.name} if direction else {})}))
        for a in c.ad_sets:
            out.append(Entity("adset", a.id, a.name, {"campaign_id": c.id, "status": a.status,
                                                      "daily_budget_cents": a.daily_budget_cents}))
    out += [Entity("direction", _uid("direction", d.name), d.name,
                   {"daily_budget_cents": d.daily_budget_cents, "target_cpl_cents": d.target_cpl_cents,
                    "campaign_id": d.fb_campaign_id}) for d in WORLD.directions]
    out += [Entity("creative", _uid("creative", c.title), c.title) for c in WORLD.creatives]
    out += [Entity("lead", _uid("lead", lead.key), lead.name, {"phone": lead.phone, "stage": lead.stage})
            for lead in WORLD.leads]
    out += [Entity("dialog", d.phone, d.contact_name) for d in WORLD.dialogs]
    out += [Entity("test", _uid("test", t.key), t.creative_title) for t in WORLD.creative_tests]
    return out


def resolver() -> StaticResolver:
    return StaticResolver(world_entities())


def WORLD_DIRECTION_BUDGET(name: str) -> int:  # noqa: N802
    return next(d.daily_budget_cents for d in WORLD.directions if d.name == name)


def C(name: str) -> str:  # noqa: N802 — short helpers keep the table readable
    return WORLD.campaign(name).id


def A(name: str) -> str:  # noqa: N802
    return WORLD.ad_set(name).id


def D(name: str) -> str:  # noqa: N802
    return _uid("direction", name)


def CR(name: str) -> str:  # noqa: N802
    return _uid("creative", name)


def L(name: str) -> str:  # noqa: N802
    return _uid("lead", next(lead.key for lead in WORLD.leads if lead.name == name))


class Contains(str):
    """Expected argument: a string containing this (case-insensitive)."""


ABSENT = object()  # expected argument: must not be given


@dataclass(frozen=True)
class Case:
    message: str
    calls: tuple[tuple[str, dict[str, Any]], ...] = ()
    ask: bool = False
    agent: str | None = None
    history: tuple[tuple[str, dict[str, Any]], ...] = ()
    focus: dict[str, Any] = field(default_factory=dict)
    tags: tuple[str, ...] = ()

    @property
    def lang(self) -> str:
        return detect_language(self.message, "ru")


def c(message: str, *calls: tuple[str, dict[str, Any]], **kw: Any) -> Case:
    return Case(message, tuple(calls), **kw)


def ask(message: str, **kw: Any) -> Case:
    return Case(message, ask=True, **kw)


def call(tool: str, **args: Any) -> tuple[str, dict[str, Any]]:
    return tool, args


P = "+79991234567"  # Мария Сидорова
P2 = "+77001234567"  # Анна Иванова

CASES: list[Case] = [
    # ── ads: reads ──────────────────────────────────────────────────────────────────────────
    c("Покажи кампании", call("getCampaigns", status=ABSENT, period=ABSENT)),
    c("Какие кампании сейчас активны?", call("getCampaigns", status="ACTIVE")),
    c("show paused campaigns", call("getCampaigns", status="PAUSED")),
    c("How are my campaigns doing this month?", call("getCampaigns", period="this_month")),
    c("Кампании за прошлый месяц", call("getCampaigns", period="last_month")),
    c("Расскажи про кампанию Имплантация Москва", call("getCampaignDetails", campaignId=C("Имплантация Москва"))),
    c("details of campaign Виниры СПб for the last 14 days",
      call("getCampaignDetails", campaignId=C("Виниры СПб"), period="last_14d")),
    c("как дела у кампании «Отбеливание Москва» за вчера",
      call("getCampaignDetails", campaignId=C("Отбеливание Москва"), period="yesterday")),
    c("Покажи адсеты кампании Имплантация Москва", call("getAdSets", campaignId=C("Имплантация Москва"))),
    c("list the ad sets of Виниры СПб", call("getAdSets", campaignId=C("Виниры СПб"))),
    c("группы объявлений кампании Брекеты Москва за 30 дней",
      call("getAdSets", campaignId=C("Брекеты Москва"), period="last_30d")),
    c("Покажи расходы за сегодня", call("getSpendReport", period="today")),
    c("Сколько потратили вчера?", call("getSpendReport", period="yesterday")),
    c("spend by day for the last 7 days", call("getSpendReport", groupBy="day", period="last_7d")),
    c("расходы по кампаниям за неделю", call("getSpendReport", groupBy="campaign", period="last_7d")),
    c("Какой CPL за месяц?", call("getSpendReport", period="last_30d")),
    c("spend breakdown by direction this month", call("getSpendReport", groupBy="direction", period="this_month")),
    c("Какие направления активны?", call("getDirections", status="active")),
    c("Покажи направления", call("getDirections")),
    c("list directions on pause", call("getDirections", status="paused")),
    c("Покажи направление Виниры", call("getDirectionDetails", directionId=D("Виниры"))),
    c("details of the Отбеливание direction", call("getDirectionDetails", directionId=D("Отбеливание"))),
    c("что с направлением Брекеты?", call("getDirectionDetails", directionId=D("Брекеты"))),
    c("Динамика направления Имплантация по дням за 2 недели",
      call("getDirectionMetrics", directionId=D("Имплантация"), period="last_14d")),
    c("daily metrics for direction Виниры last 30 days",
      call("getDirectionMetrics", directionId=D("Виниры"), period="last_30d")),
    c("Какой ROI за последнюю неделю?", call("getROIReport", period="last_7d")),
    c("ROI report for Имплантация this month",
      call("getROIReport", directionId=D("Имплантация"), period="this_month")),
    c("окупаемость креативов направления Виниры", call("getROIReport", directionId=D("Виниры"))),
    c("Сравни окупаемость направлений", call("getROIComparison", compareBy="direction")),
    c("compare ROI of creatives for last month", call("getROIComparison", compareBy="creative", period="last_month")),
    c("сравни ROI направлений Имплантация и Виниры",
      call("getROIComparison", compareBy="direction", ids=[D("Имплантация"), D("Виниры")])),
    c("Как дела с рекламой?", call("getCampaigns")),
    c("Что ты менял вчера?", call("getActionHistory", period="yesterday")),
    c("what did you change in the last 30 days?", call("getActionHistory", period="last_30d")),
    # ── ads: writes ─────────────────────────────────────────────────────────────────────────
    c("Поставь на паузу кампанию Имплантация Москва", call("pauseCampaign", campaignId=C("Имплантация Москва"))),
    c("pause campaign Виниры СПб because the CPL is too high",
      call("pauseCampaign", campaignId=C("Виниры СПб"), reason=Contains("cpl is too high"))),
    c("Останови кампанию «Брекеты Москва»", call("pauseCampaign", campaignId=C("Брекеты Москва"))),
    c("Включи кампанию Лечение кариеса Москва", call("resumeCampaign", campaignId=C("Лечение кариеса Москва"))),
    c("resume the campaign Лечение кариеса Москва", call("resumeCampaign", campaignId=C("Лечение кариеса Москва"))),
    c("сними с паузы кампанию Отбеливание Москва", call("resumeCampaign", campaignId=C("Отбеливание Москва"))),
    c("Поставь на паузу адсет Москва 45-65", call("pauseAdSet", adsetId=A("Москва 45-65"))),
    c("pause ad set СПб 22-40 женщины", call("pauseAdSet", adsetId=A("СПб 22-40 женщины"))),
    c("Возобнови адсет Москва 18-60", call("resumeAdSet", adsetId=A("Москва 18-60"))),
    c("turn on the ad set Москва 18-60", call("resumeAdSet", adsetId=A("Москва 18-60"))),
    c("Поставь бюджет 50$ на адсет Москва 25-45", call("updateBudget", adsetId=A("Москва 25-45"),
                                                        dailyBudgetCents=5000)),
    c("set the daily budget of ad set Москва 45-65 to $70",
      call("updateBudget", adsetId=A("Москва 45-65"), dailyBudgetCents=7000)),
    c("бюджет адсета СПб 22-40 женщины сделай 65 долларов",
      call("updateBudget", adsetId=A("СПб 22-40 женщины"), dailyBudgetCents=6500)),
    c("увеличь бюджет адсета Москва 25-45 на 20%", call("updateBudget", adsetId=A("Москва 25-45"),
                                                         dailyBudgetCents=6000), tags=("percent",)),
    c("cut the budget of ad set Москва 45-65 by $10",
      call("updateBudget", adsetId=A("Москва 45-65"), dailyBudgetCents=3000), tags=("money",)),
    c("Поставь бюджет направления Виниры $60", call("updateDirectionBudget", directionId=D("Виниры"),
                                                     dailyBudgetCents=6000)),
    c("set the Отбеливание direction budget to 40 dollars",
      call("updateDirectionBudget", directionId=D("Отбеливание"), dailyBudgetCents=4000)),
    c("бюджет направления Брекеты 5 000 руб", ask=True, tags=("money", "currency")),
    c("увеличь бюджет направления Виниры на 20%", call("updateDirectionBudget", directionId=D("Виниры"),
      dailyBudgetCents=round(WORLD_DIRECTION_BUDGET("Виниры") * 1.2)), tags=("percent",)),
    ask("Измени бюджет направления"),
    ask("увеличь бюджет направления Виниры", tags=("money",)),
    c("Установи целевой CPL для направления Отбеливание 15 долларов",
      call("updateDirectionTargetCPL", directionId=D("Отбеливание"), targetCplCents=1500)),
    c("set target CPL of Брекеты to $20.50", call("updateDirectionTargetCPL", directionId=D("Брекеты"),
                                                   targetCplCents=2050)),
    c("поставь на паузу направление Виниры", call("pauseDirection", directionId=D("Виниры"))),
    c("pause the direction Брекеты", call("pauseDirection", directionId=D("Брекеты"))),
    c("Отключи направление Отбеливание", call("pauseDirection", directionId=D("Отбеливание"))),
    c("включи направление Виниры", call("resumeDirection", directionId=D("Виниры"))),
    c("включи обратно направление Брекеты", call("resumeDirection", directionId=D("Брекеты"))),
    c("resume the direction Брекеты", call("resumeDirection", directionId=D("Брекеты"))),
    c("unpause direction Отбеливание", call("resumeDirection", directionId=D("Отбеливание"))),
    c("останови неэффективные кампании", call("getCampaigns")),
    # ── creative ────────────────────────────────────────────────────────────────────────────
    c("Покажи все креативы", call("getCreatives")),
    c("покажи видео креативы направления Виниры",
      call("getCreatives", mediaType="video", directionId=D("Виниры"))),
    c("show draft creatives", call("getCreatives", status="draft")),
    c("активные креативы за неделю", call("getCreatives", status="active", period="last_7d")),
    c("Расскажи про креатив «Белоснежная улыбка»", call("getCreativeDetails", creativeId=CR("Белоснежная улыбка"))),
    c("creative details Улыбка за 2 визита", call("getCreativeDetails", creativeId=CR("Улыбка за 2 визита"))),
    c("Покажи retention креатива Белоснежная улыбка",
      call("getCreativeMetrics", creativeId=CR("Белоснежная улыбка"))),
    c("досмотры ролика Имплантация за 1 день за 2 недели",
      call("getCreativeMetrics", creativeId=CR("Имплантация за 1 день"), period="last_14d")),
    c("metrics of creative Элайнеры вместо брекетов yesterday",
      call("getCreativeMetrics", creativeId=CR("Элайнеры вместо брекетов"), period="yesterday")),
    c("Покажи анализ креатива Белоснежная улыбка", call("getCreativeAnalysis", creativeId=CR("Белоснежная улыбка"))),
    c("what were the recommendations for Улыбка за 2 визита",
      call("getCreativeAnalysis", creativeId=CR("Улыбка за 2 визита"))),
    c("Топ креативы по CPL", call("getTopCreatives", metric="cpl")),
    c("top 3 creatives by CTR this month", call("getTopCreatives", metric="ctr", limit=3, period="this_month")),
    c("5 лучших креативов по лидам за месяц", call("getTopCreatives", metric="leads", limit=5, period="last_30d")),
    c("Худшие креативы за прошлый месяц", call("getWorstCreatives", period="last_month")),
    c("show the 3 worst creatives in Имплантация",
      call("getWorstCreatives", limit=3, directionId=D("Имплантация"))),
    c("Сравни Белоснежная улыбка и Улыбка за 2 визита",
      call("compareCreatives", creativeIds=[CR("Белоснежная улыбка"), CR("Улыбка за 2 визита")])),
    c("compare creatives «Имплантация за 1 день», «Брекеты без боли» and «Минус 8 тонов»",
      call("compareCreatives", creativeIds=[CR("Имплантация за 1 день"), CR("Брекеты без боли"),
                                            CR("Минус 8 тонов")])),
    ask("Сравни эти 3 креатива"),
    c("Покажи креативы с высоким риском", call("getCreativeScores", riskLevel="high")),
    c("risk score of creative Скидка 20% на имплант",
      call("getCreativeScores", creativeId=CR("Скидка 20% на имплант"))),
    c("Какие тесты сейчас идут?", call("getCreativeTests", status="running")),
    c("history of A/B tests for Имплантация за 1 день",
      call("getCreativeTests", creativeId=CR("Имплантация за 1 день"))),
    c("завершённые тесты", call("getCreativeTests", status="completed")),
    c("Покажи транскрипцию креатива «Белоснежная улыбка»",
      call("getCreativeTranscript", creativeId=CR("Белоснежная улыбка"))),
    c("transcript of Лечение кариеса без боли", call("getCreativeTranscript", creativeId=CR("Лечение кариеса без боли"))),
    c("Проанализируй креатив Улыбка за 2 визита", call("triggerCreativeAnalysis", creativeId=CR("Улыбка за 2 визита"))),
    c("run analysis for creative Белые зубы к лету",
      call("triggerCreativeAnalysis", creativeId=CR("Белые зубы к лету"))),
    ask("Проанализируй креатив"),
    c("Запусти креатив Белоснежная улыбка в направление Виниры",
      call("launchCreative", creativeId=CR("Белоснежная улыбка"), directionId=D("Виниры"))),
    c("launch creative Рассрочка 0% на имплантацию in direction Имплантация",
      call("launchCreative", creativeId=CR("Рассрочка 0% на имплантацию"), directionId=D("Имплантация"))),
    ask("Запусти креатив в направление"),
    c("Останови креатив Скидка 20% на имплант", call("pauseCreative", creativeId=CR("Скидка 20% на имплант"))),
    c("pause creative Брекеты для подростков", call("pauseCreative", creativeId=CR("Брекеты для подростков"))),
    c("Запусти A/B тест креатива Улыбка за 2 визита",
      call("startCreativeTest", creativeId=CR("Улыбка за 2 визита"), budgetCents=ABSENT)),
    c("start a test for creative Белоснежная улыбка with a $30 budget",
      call("startCreativeTest", creativeId=CR("Белоснежная улыбка"), budgetCents=3000)),
    c("протестируй креатив Детский стоматолог за 25$",
      call("startCreativeTest", creativeId=CR("Детский стоматолог"), budgetCents=2500)),
    c("Останови тест креатива Голливудская улыбка в СПб",
      call("stopCreativeTest", creativeId=CR("Голливудская улыбка в СПб"))),
    c("stop the test of Элайнеры вместо брекетов", call("stopCreativeTest", creativeId=CR("Элайнеры вместо брекетов"))),
    # ── crm ─────────────────────────────────────────────────────────────────────────────────
    c("Лиды за сегодня", call("getLeads", period="today")),
    c("Найди горячих лидов", call("getLeads", temperature="hot")),
    c("лиды со скором > 70 на этапе консультация", call("getLeads", minScore=71, stage="Консультация")),
    c("show warm leads from Виниры", call("getLeads", temperature="warm", directionId=D("Виниры"))),
    c("cold leads last month", call("getLeads", temperature="cold", period="last_month")),
    c("последние 10 лидов", call("getLeads", limit=10)),
    c("лиды, которые записались", call("getLeads", stage="Записана")),
    c("найди лида Смирнов", call("getLeads", search="Смирнов")),
    c("leads with score between 50 and 80", call("getLeads", minScore=50, maxScore=80)),
    c("тёплые лиды со скором от 60", call("getLeads", temperature="warm", minScore=60)),
    c("Покажи лида Анна Иванова", call("getLeadDetails", leadId=L("Анна Иванова"))),
    c("tell me about lead Иван Петров", call("getLeadDetails", leadId=L("Иван Петров"))),
    c("Расскажи про Петра Сидорова", call("getLeadDetails", leadId=L("Пётр Сидоров")), tags=("inflection",)),
    c("Покажи воронку за месяц", call("getFunnelStats", period="last_30d")),
    c("funnel for Имплантация this month", call("getFunnelStats", directionId=D("Имплантация"), period="this_month")),
    c("конверсия по этапам за неделю", call("getFunnelStats", period="last_7d")),
    c("Какая выручка за месяц?", call("getRevenueStats", period="last_30d")),
    c("revenue for last month", call("getRevenueStats", period="last_month")),
    c("средний чек по направлению Брекеты", call("getRevenueStats", directionId=D("Брекеты"))),
    c("Переведи Анну Иванову на консультацию",
      call("updateLeadStage", leadId=L("Анна Иванова"), stage="Консультация")),
    c("move lead Пётр Сидоров to stage Записана", call("updateLeadStage", leadId=L("Пётр Сидоров"), stage="Записана")),
    c("Отметь, что Иван Петров оплатил", call("updateLeadStage", leadId=L("Иван Петров"), stage="Оплачено")),
    c("mark Мария Сидорова as paid", call("updateLeadStage", leadId=L("Мария Сидорова"), stage="Оплачено")),
    ask("Переведи Марию Сидорову"),
    # ── whatsapp ────────────────────────────────────────────────────────────────────────────
    c("Последние диалоги", call("getDialogs")),
    c("горячие диалоги за неделю", call("getDialogs", interestLevel="hot", period="last_7d")),
    c("show the last 5 conversations", call("getDialogs", limit=5)),
    c("Покажи переписку с +77001234567", call("getDialogMessages", phone=P2)),
    c("show the conversation with +7 700 123 45 67", call("getDialogMessages", phone=P2), tags=("phone",)),
    c("Покажи диалог с Марией Сидоровой", call("getDialogMessages", phone=P), tags=("inflection",)),
    c("Проанализируй диалог с +7999123456", call("analyzeDialog", phone="+7999123456")),
    c("analyze the dialog with 8 999 123 45 67", call("analyzeDialog", phone=P), tags=("phone",)),
    c("Найди диалоги, где жаловались на цену", call("searchDialogSummaries", query=Contains("цен"))),
    c("find conversations where clients asked about installments",
      call("searchDialogSummaries", query=Contains("installments"))),
    c("Кто спрашивал про рассрочку?", call("searchDialogSummaries", query=Contains("рассрочк"))),
    c("Отправь на +77001234567 и 8 999 123-45-67: Здравствуйте! Скидка 10% до пятницы",
      call("sendBulkMessage", phones=[P2, P], message="Здравствуйте! Скидка 10% до пятницы")),
    c('send "Hi! We have free slots on Saturday" to +447700900123, +12025550143',
      call("sendBulkMessage", phones=["+447700900123", "+12025550143"], message="Hi! We have free slots on Saturday")),
    ask("Сделай рассылку горячим лидам"),
    # ── mixed requests ──────────────────────────────────────────────────────────────────────
    c("Покажи расходы за вчера и горячих лидов", call("getSpendReport", period="yesterday"),
      call("getLeads", temperature="hot"), tags=("mixed",)),
    c("Покажи лидов из кампании «Имплантация Москва»", call("getCampaignDetails", campaignId=C("Имплантация Москва")),
      call("getLeads", directionId=D("Имплантация")), tags=("mixed",)),
    c("show spend for last week and the funnel", call("getSpendReport", period="last_7d"), call("getFunnelStats"),
      tags=("mixed",)),
    c("Топ-5 креативов по CPL и выручка за месяц", call("getTopCreatives", limit=5, metric="cpl", period="last_30d"),
      call("getRevenueStats", period="last_30d"), tags=("mixed",)),
    c("Поставь на паузу кампанию Виниры СПб и покажи последние диалоги",
      call("pauseCampaign", campaignId=C("Виниры СПб")), call("getDialogs"), tags=("mixed",)),
    c("покажи направления, горячих лидов и последние диалоги", call("getDirections"),
      call("getLeads", temperature="hot"), call("getDialogs"), tags=("mixed",)),
    c("pause campaigns Имплантация Москва and Виниры СПб", call("pauseCampaign", campaignId=C("Имплантация Москва")),
      call("pauseCampaign", campaignId=C("Виниры СПб")), tags=("mixed",)),
    c("Покажи расходы за вчера и горячих лидов", call("getLeads", temperature="hot"), agent="crm", tags=("mixed",)),
    c("Покажи расходы за вчера и горячих лидов", call("getSpendReport", period="yesterday"), agent="ads",
      tags=("mixed",)),
    c("show the funnel and analyze the dialog with +77001234567", call("getFunnelStats"),
      call("analyzeDialog", phone=P2), tags=("mixed",)),
    c("поставь на паузу кампанию Брекеты Москва и направление Брекеты",
      call("pauseCampaign", campaignId=C("Брекеты Москва")), call("pauseDirection", directionId=D("Брекеты")),
      tags=("mixed",)),
    # ── follow-ups ──────────────────────────────────────────────────────────────────────────
    c("а за вчера?", call("getSpendReport", period="yesterday", groupBy="campaign"),
      history=(call("getSpendReport", period="last_7d", groupBy="campaign"),), tags=("followup",)),
    c("and yesterday?", call("getCampaignDetails", campaignId=C("Имплантация Москва"), period="yesterday"),
      history=(call("getCampaignDetails", campaignId=C("Имплантация Москва"), period="last_7d"),),
      tags=("followup",)),
    c("поставь её на паузу", call("pauseCampaign", campaignId=C("Имплантация Москва")),
      history=(call("getCampaignDetails", campaignId=C("Имплантация Москва")),), tags=("followup",)),
    c("pause it", call("pauseCampaign", campaignId=C("Виниры СПб")), focus={"campaignId": C("Виниры СПб")},
      tags=("followup",)),
    c("а по Виниры?", call("getDirectionMetrics", directionId=D("Виниры"), period="last_14d"),
      history=(call("getDirectionMetrics", directionId=D("Имплантация"), period="last_14d"),), tags=("followup",)),
    c("а по Виниры?", call("getCampaignDetails", campaignId=C("Виниры СПб")),
      history=(call("getCampaignDetails", campaignId=C("Имплантация Москва")),), tags=("followup",)),
    c("поставь его на паузу", call("pauseDirection", directionId=D("Брекеты")), focus={"directionId": D("Брекеты")},
      tags=("followup",)),
    c("покажи его retention", call("getCreativeMetrics", creativeId=CR("Белоснежная улыбка")),
      history=(call("getCreativeDetails", creativeId=CR("Белоснежная улыбка")),), tags=("followup",)),
    c("переведи её на этап Записана", call("updateLeadStage", leadId=L("Анна Иванова"), stage="Записана"),
      history=(call("getLeadDetails", leadId=L("Анна Иванова")),), tags=("followup",)),
    c("проанализируй его", call("analyzeDialog", phone=P2), history=(call("getDialogMessages", phone=P2),),
      tags=("followup",)),
    c("а холодные?", call("getLeads", temperature="cold", period="today"),
      history=(call("getLeads", temperature="hot", period="today"),), tags=("followup",)),
    c("а по CTR?", call("getTopCreatives", metric="ctr"), history=(call("getTopCreatives", metric="cpl"),),
      tags=("followup",)),
    c("and for the Виниры direction?", call("getDirectionMetrics", directionId=D("Виниры"), period="yesterday"),
      history=(call("getSpendReport", period="yesterday"),), tags=("followup",)),
    c("а за прошлый месяц?", call("getCampaignDetails", campaignId=C("Брекеты Москва"), period="last_month"),
      focus={"campaignId": C("Брекеты Москва")}, tags=("followup",)),
    c("and the same for Виниры СПб", call("pauseCampaign", campaignId=C("Виниры СПб")),
      history=(call("pauseCampaign", campaignId=C("Имплантация Москва")),), tags=("followup",)),
    c("а его транскрипцию?", call("getCreativeTranscript", creativeId=CR("Улыбка за 2 визита")),
      focus={"creativeId": CR("Улыбка за 2 визита")}, tags=("followup",)),
    # ── typos and inflection ────────────────────────────────────────────────────────────────
    c("детали кампании Имплантацыя Москва", call("getCampaignDetails", campaignId=C("Имплантация Москва")),
      tags=("typo",)),
    c("покажи креатив Белоснежная улыпка", call("getCreativeDetails", creativeId=CR("Белоснежная улыбка")),
      tags=("typo",)),
    c("покажи лида Ивана Петрова", call("getLeadDetails", leadId=L("Иван Петров")), tags=("inflection",)),
    c("поставь на паузу направление Отбеливания", call("pauseDirection", directionId=D("Отбеливание")),
      tags=("inflection",)),
    c("расходы по направлению Брикеты", call("getDirectionMetrics", directionId=D("Брекеты")), tags=("typo",)),
    c("Сравни Белоснежную улыбку и Улыбку за 2 визита",
      call("compareCreatives", creativeIds=[CR("Белоснежная улыбка"), CR("Улыбка за 2 визита")]),
      tags=("inflection",)),
    c("кампанию Имплантация на паузу", call("pauseCampaign", campaignId=C("Имплантация Москва")),
      tags=("partial",)),
    c("pause the campaign Vinir SPb", ask=True, tags=("typo",)),
    c("Покажи креативы направления Винир", call("getCreatives", directionId=D("Виниры")), tags=("typo",)),
    # ── clarifications ──────────────────────────────────────────────────────────────────────
    ask("кампанию Москва на паузу"),
    ask("креатив улыбка"),
    ask("покажи кампанию Фуфло"),
    ask("pause campaign Summer Sale"),
    ask("поставь на паузу"),
    ask("Покажи retention видео"),
    ask("покажи лида Елена Кузнецова", tags=("duplicates",)),
    ask("set budget of ad set Москва 25-45 to 5000 rubles", tags=("currency",)),
    ask("покажи адсеты", agent="ads"),
    # A name that matches nothing is never replaced by the object in focus.
    ask("pause Summer Sale", focus={"campaignId": C("Виниры СПб")}, tags=("safety",)),
    ask("поставь на паузу кампанию «Летняя акция»", focus={"campaignId": C("Виниры СПб")}, tags=("safety",)),
    # ── periods and values ──────────────────────────────────────────────────────────────────
    c("расходы с 1 по 15 марта", call("getSpendReport", dateFrom="2026-03-01", dateTo="2026-03-15")),
    c("spend from 2026-03-01 to 2026-03-15", call("getSpendReport", dateFrom="2026-03-01", dateTo="2026-03-15")),
    c("расходы 01.03–15.03", call("getSpendReport", dateFrom="2026-03-01", dateTo="2026-03-15")),
    c("spend March 1-15", call("getSpendReport", dateFrom="2026-03-01", dateTo="2026-03-15")),
    c("лиды за позавчера", call("getLeads", dateFrom="2026-05-18", dateTo="2026-05-18")),
    c("расходы за последние 10 дней", call("getSpendReport", dateFrom="2026-05-10", dateTo="2026-05-19")),
    c("расходы в апреле", call("getSpendReport", period="last_month")),
    c("выручка за март", call("getRevenueStats", dateFrom="2026-03-01", dateTo="2026-03-31")),
    c("spend this week", call("getSpendReport", dateFrom="2026-05-18", dateTo="2026-05-20")),
    c("воронка за 3 месяца", call("getFunnelStats", period="last_90d")),
    c("spend for the last 14 days", call("getSpendReport", period="last_14d")),
    c("leads since May 1", call("getLeads", dateFrom="2026-05-01", dateTo="2026-05-20")),
    c("расходы в этом месяце по направлениям", call("getSpendReport", period="this_month", groupBy="direction")),
    c("выручка с 10 апреля по 5 мая", call("getRevenueStats", dateFrom="2026-04-10", dateTo="2026-05-05")),
    # ── help and identity (no tool) ─────────────────────────────────────────────────────────
    ask("Что ты умеешь?", agent="ads", tags=("help",)),
    ask("are you GPT?", tags=("help",)),
    # ── issue 11: everyday questions (several phrasings per intent) ─────────────────────────
    c("Какая кампания самая худшая по цене лида?", call("getSpendReport", groupBy="campaign")),
    c("Which campaign has the worst CPL?", call("getSpendReport", groupBy="campaign")),
    c("самая дешёвая кампания по лиду за вчера", call("getSpendReport", groupBy="campaign", period="yesterday")),
    c("which ad set has the highest cost per lead this week?", call("getSpendReport", groupBy="adset")),
    c("какой адсет самый дорогой по заявке", call("getSpendReport", groupBy="adset")),
    c("best direction by CPL", call("getSpendReport", groupBy="direction")),
    c("а за вчера?", call("getDialogs", period="yesterday"), history=(call("getDialogMessages", phone=P),)),
    c("а за вчера?", call("getCreativeMetrics", creativeId=CR("Белоснежная улыбка"), period="yesterday"),
      history=(call("getCreativeMetrics", creativeId=CR("Белоснежная улыбка")),)),
    c("how about last week?", call("getLeads", period="last_7d"), history=(call("getLeads", period="today"),)),
    c("Кто ждёт ответа в WhatsApp?", call("getDialogs", awaitingReply=True)),
    c("dialogs where we haven't replied", call("getDialogs", awaitingReply=True)),
    c("диалоги без ответа за сегодня", call("getDialogs", awaitingReply=True, period="today")),
    c("какие ролики устали?", call("getCreativeScores", riskLevel="high")),
    c("any creative fatigue?", call("getCreativeScores", riskLevel="high")),
    c("Подними бюджет кампании Брекеты Москва до $50",
      call("updateDirectionBudget", directionId=D("Брекеты"), dailyBudgetCents=5000)),
    c("raise the budget of the campaign Имплантация Москва to $95",
      call("updateDirectionBudget", directionId=D("Имплантация"), dailyBudgetCents=9500)),
    c("Увеличь бюджет направления Брекеты на 20%", call("updateDirectionBudget", directionId=D("Брекеты"),
      dailyBudgetCents=round(WORLD_DIRECTION_BUDGET("Брекеты") * 1.2))),
    c("cut the Виниры direction budget by 10%", call("updateDirectionBudget", directionId=D("Виниры"),
      dailyBudgetCents=round(WORLD_DIRECTION_BUDGET("Виниры") * 0.9))),
    c("Переведи лид с телефоном +79991234567 на этап Записана",
      call("updateLeadStage", leadId=L("Мария Сидорова"), stage="Записана"), focus={"leadId": L("Анна Иванова")}),
    c("move the lead with phone +77001234567 to Консультация",
      call("updateLeadStage", leadId=L("Анна Иванова"), stage="Консультация"),
      focus={"leadId": L("Мария Сидорова")}),
    ask("Переведи на этап Консультация", focus={"leadId": L("Анна Иванова")}),
    c("Какая кампания приносит самые дорогие заявки?", call("getSpendReport", groupBy="campaign")),
    c("Где у нас самый дешёвый лид?", call("getSpendReport", groupBy="campaign")),
    c("Which direction has the lowest CPL?", call("getSpendReport", groupBy="direction")),
    c("Кому надо ответить в вотсапе?", call("getDialogs", awaitingReply=True)),
    c("Есть клиенты, которым мы не ответили?", call("getDialogs", awaitingReply=True)),
    c("Какие креативы пора менять?", call("getCreativeScores", riskLevel="high")),
    c("Which ads are getting tired?", call("getCreativeScores", riskLevel="high")),
    c("Поставь целевой CPL направления Виниры на 10% ниже", call("updateDirectionTargetCPL", directionId=D("Виниры"),
      targetCplCents=round(next(d.target_cpl_cents for d in WORLD.directions if d.name == "Виниры") * 0.9))),
    c("Покажи расходы за неделю и выгрузи их в CSV", call("getSpendReport", period="last_7d")),
    ask("Переведи Кузнецову на этап Отказ"),  # several leads fit: a question with them, never a guess
    ask("Move Елена to Отказ"),
    ask("Переведи лид с телефоном +79000000009 на этап Записана", focus={"leadId": L("Анна Иванова")}),
    # Issue 19: a broadcast to a segment (temperature, stage, direction) with the text after a colon.
    c("Разошли всем горячим клиентам: Скидка 10% до пятницы!",
      call("sendSegmentMessage", temperature="hot", message="Скидка 10% до пятницы!")),
    c("Send to all hot customers: 10% off until Friday!",
      call("sendSegmentMessage", temperature="hot", message="10% off until Friday!")),
    c("разошли лидам на этапе Отказ: Мы скучаем, приходите на бесплатную консультацию",
      call("sendSegmentMessage", stage="Отказ", message="Мы скучаем, приходите на бесплатную консультацию")),
    ask("Разошли всем горячим клиентам сообщение о скидке 10%"),
    c("Разошли тёплым клиентам в инстаграм: Ждём вас на консультацию!",
      call("sendSegmentMessage", temperature="warm", channel="instagram", message="Ждём вас на консультацию!")),
    c("Что спрашивают чаще всего за неделю?", call("getInboundStats", period="last_7d")),
    c("Какие частые вопросы от клиентов за месяц?", call("getInboundStats", period="last_30d")),
    c("what do customers ask about most in the last 30 days?", call("getInboundStats", period="last_30d")),
]

# Blind batch 1 (see the module docstring).
BLIND: list[Case] = [
    c("what did we spend today?", call("getSpendReport", period="today")),
    c("show me yesterday's spend per ad set", call("getSpendReport", period="yesterday", groupBy="adset")),
    c("which campaigns are paused?", call("getCampaigns", status="PAUSED")),
    c("give me the campaign list for the last 90 days", call("getCampaigns", period="last_90d")),
    c("how is the Брекеты Москва campaign performing?", call("getCampaignDetails", campaignId=C("Брекеты Москва"))),
    c("show ad sets for campaign Отбеливание Москва", call("getAdSets", campaignId=C("Отбеливание Москва"))),
    c("what's our CPL this week?", call("getSpendReport", dateFrom="2026-05-18", dateTo="2026-05-20")),
    c("list all directions", call("getDirections")),
    c("show the Имплантация direction", call("getDirectionDetails", directionId=D("Имплантация"))),
    c("Виниры direction trend for the past 2 weeks",
      call("getDirectionMetrics", directionId=D("Виниры"), period="last_14d")),
    c("what's the ROI?", call("getROIReport")),
    c("compare ROI across directions", call("getROIComparison", compareBy="direction")),
    c("stop campaign Отбеливание Москва", call("pauseCampaign", campaignId=C("Отбеливание Москва"))),
    c("reactivate campaign Лечение кариеса Москва", call("resumeCampaign", campaignId=C("Лечение кариеса Москва"))),
    c("disable ad set Москва 18-35", call("pauseAdSet", adsetId=A("Москва 18-35"))),
    c("enable ad set Москва 45-65", call("resumeAdSet", adsetId=A("Москва 45-65"))),
    c("increase the budget of ad set СПб 22-40 женщины by 10%",
      call("updateBudget", adsetId=A("СПб 22-40 женщины"), dailyBudgetCents=4950)),
    c("change the daily budget for direction Имплантация to $120",
      call("updateDirectionBudget", directionId=D("Имплантация"), dailyBudgetCents=12000)),
    c("lower the target CPL for Виниры to $22",
      call("updateDirectionTargetCPL", directionId=D("Виниры"), targetCplCents=2200)),
    c("turn off the Лечение кариеса direction", call("pauseDirection", directionId=D("Лечение кариеса"))),
    c("show me all video creatives", call("getCreatives", mediaType="video")),
    c("paused creatives", call("getCreatives", status="paused")),
    c("tell me about the creative Минус 8 тонов", call("getCreativeDetails", creativeId=CR("Минус 8 тонов"))),
    c("video retention for Отбеливание ZOOM за 1 час",
      call("getCreativeMetrics", creativeId=CR("Отбеливание ZOOM за 1 час"))),
    c("latest analysis of Брекеты без боли", call("getCreativeAnalysis", creativeId=CR("Брекеты без боли"))),
    c("best 10 creatives by leads", call("getTopCreatives", metric="leads", limit=10)),
    c("which creatives are underperforming?", call("getWorstCreatives")),
    c("compare Белые зубы к лету vs Минус 8 тонов",
      call("compareCreatives", creativeIds=[CR("Белые зубы к лету"), CR("Минус 8 тонов")])),
    c("high risk creatives", call("getCreativeScores", riskLevel="high")),
    c("running tests", call("getCreativeTests", status="running")),
    c("transcribe Врач-имплантолог отвечает на вопросы",
      call("getCreativeTranscript", creativeId=CR("Врач-имплантолог отвечает на вопросы"))),
    c("analyze creative Чек-ап зубов за $29", call("triggerCreativeAnalysis", creativeId=CR("Чек-ап зубов за $29"))),
    c("launch Элайнеры вместо брекетов into the Брекеты direction",
      call("launchCreative", creativeId=CR("Элайнеры вместо брекетов"), directionId=D("Брекеты"))),
    c("pause the creative Виниры: до и после", call("pauseCreative", creativeId=CR("Виниры: до и после"))),
    c("A/B test the creative Белые зубы к лету with $15",
      call("startCreativeTest", creativeId=CR("Белые зубы к лету"), budgetCents=1500)),
    c("end the test for Голливудская улыбка в СПб", call("stopCreativeTest", creativeId=CR("Голливудская улыбка в СПб"))),
    c("new leads today", call("getLeads", period="today")),
    c("hot leads in Имплантация with score over 80",
      call("getLeads", temperature="hot", directionId=D("Имплантация"), minScore=81)),
    c("leads at the consultation stage", call("getLeads", stage="Консультация")),
    c("show lead Мария Сидорова", call("getLeadDetails", leadId=L("Мария Сидорова"))),
    c("conversion funnel for last week", call("getFunnelStats", period="last_7d")),
    c("how much revenue did we make yesterday?", call("getRevenueStats", period="yesterday")),
    c("move Иван Петров to Лечение", call("updateLeadStage", leadId=L("Иван Петров"), stage="Лечение")),
    c("recent WhatsApp chats", call("getDialogs")),
    c("open the chat with +79991234567", call("getDialogMessages", phone=P)),
    c("analyze conversation +447700900123", call("analyzeDialog", phone="+447700900123")),
    c("search dialogs for 'гарантия'", call("searchDialogSummaries", query=Contains("гарантия"))),
    c("broadcast 'Clinic closed on Monday' to +77001234567",
      call("sendBulkMessage", phones=[P2], message=Contains("Clinic closed on Monday"))),
    c("show spend yesterday and hot leads", call("getSpendReport", period="yesterday"),
      call("getLeads", temperature="hot")),
    c("top creatives and the funnel this month", call("getTopCreatives", period="this_month"),
      call("getFunnelStats", period="this_month")),
    c("сколько денег ушло за неделю?", call("getSpendReport", period="last_7d")),
    c("статистика по кампаниям за вчера", call("getCampaigns", period="yesterday")),
    c("выключи адсет Москва 25-45", call("pauseAdSet", adsetId=A("Москва 25-45"))),
    c("подними бюджет направления Брекеты до 50 долларов",
      call("updateDirectionBudget", directionId=D("Брекеты"), dailyBudgetCents=5000)),
    c("снизь бюджет адсета Москва 18-35 на 5$", call("updateBudget", adsetId=A("Москва 18-35"),
                                                      dailyBudgetCents=3000)),
    c("какие креативы на паузе?", call("getCreatives", status="paused")),
    c("покажи картинки направления Отбеливание", call("getCreatives", mediaType="image",
                                                        directionId=D("Отбеливание"))),
    c("проанализируй ролик Брекеты без боли", call("triggerCreativeAnalysis", creativeId=CR("Брекеты без боли"))),
    c("запусти тест Белые зубы к лету", call("startCreativeTest", creativeId=CR("Белые зубы к лету"))),
    c("какие лиды отказались?", call("getLeads", stage="Отказ")),
    c("сколько лидов пришло на приём за месяц", call("getLeads", stage="Пришла на приём", period="last_30d")),
    c("переведи лида Пётр Сидоров в статус Отказ", call("updateLeadStage", leadId=L("Пётр Сидоров"), stage="Отказ")),
    c("покажи диалоги с холодными клиентами", call("getDialogs", interestLevel="cold")),
    ask("разошли всем: Завтра клиника не работает"),
    c("Какие возражения чаще всего в диалогах?", call("searchDialogSummaries", query=Contains("возражени"))),
    c("а за месяц?", call("getFunnelStats", period="last_30d"), history=(call("getFunnelStats", period="last_7d"),)),
    c("и для Отбеливание", call("getDirectionDetails", directionId=D("Отбеливание")),
      history=(call("getDirectionDetails", directionId=D("Виниры")),)),
    c("включи её обратно", call("resumeCampaign", campaignId=C("Виниры СПб")),
      history=(call("pauseCampaign", campaignId=C("Виниры СПб")),)),
    # Issue 11: a write whose target only the remembered focus gives is a question offering it, not a write.
    ask("поставь бюджет 70$", focus={"adsetId": A("Москва 25-45")}),
    c("what about Виниры?", call("getROIReport", directionId=D("Виниры")),
      history=(call("getROIReport", directionId=D("Имплантация")),)),
    c("and last month?", call("getRevenueStats", period="last_month"),
      history=(call("getRevenueStats", period="this_month"),)),
    c("now pause it", call("pauseCreative", creativeId=CR("Минус 8 тонов")),
      history=(call("getCreativeDetails", creativeId=CR("Минус 8 тонов")),)),
    c("направление виниры поставь на паузу пожалуйста", call("pauseDirection", directionId=D("Виниры"))),
    c("покажи креатив Голивудская улыбка в СПб", call("getCreativeDetails", creativeId=CR("Голливудская улыбка в СПб"))),
    c("детали направления Имплантацыя", call("getDirectionDetails", directionId=D("Имплантация"))),
    c("лиды по направлению Брекеты за вчера", call("getLeads", directionId=D("Брекеты"), period="yesterday")),
    c("выручка по направлению Имплантация за прошлый месяц",
      call("getRevenueStats", directionId=D("Имплантация"), period="last_month")),
    c("Сколько заявок было сегодня?", call("getLeads", period="today")),
    c("Покажи худшие 3 креатива направления Брекеты",
      call("getWorstCreatives", limit=3, directionId=D("Брекеты"))),
    c("сравни креативы Брекеты без боли и Брекеты для подростков за месяц",
      call("compareCreatives", creativeIds=[CR("Брекеты без боли"), CR("Брекеты для подростков")], period="last_30d")),
    c("покажи скоринг креатива Элайнеры вместо брекетов",
      call("getCreativeScores", creativeId=CR("Элайнеры вместо брекетов"))),
    c("история тестов", call("getCreativeTests")),
    ask("set the budget to $80", focus={"adsetId": A("Москва 45-65")}),
]

# Blind batch 2, written after batch 1's fixes (see the module docstring).
BLIND_2: list[Case] = [
    c("Hi! Could you show me how much we spent over the last 30 days?", call("getSpendReport", period="last_30d")),
    c("пожалуйста, покажи расходы за прошлую неделю по дням", call("getSpendReport", period="last_7d",
                                                                    groupBy="day")),
    c("How many leads did we get yesterday?", call("getLeads", period="yesterday")),
    c("give me a list of active directions", call("getDirections", status="active")),
    c("Как там кампания Виниры СПб?", call("getCampaignDetails", campaignId=C("Виниры СПб"))),
    c("I want to pause the Отбеливание Москва campaign, it's too expensive",
      call("pauseCampaign", campaignId=C("Отбеливание Москва"))),
    c("Please resume ad set Москва 45-65", call("resumeAdSet", adsetId=A("Москва 45-65"))),
    c("Сделай бюджет направления Отбеливание 45$ в день",
      call("updateDirectionBudget", directionId=D("Отбеливание"), dailyBudgetCents=4500)),
    c("reduce the Брекеты direction budget by 25%", call("updateDirectionBudget", directionId=D("Брекеты"),
      dailyBudgetCents=round(WORLD_DIRECTION_BUDGET("Брекеты") * 0.75))),
    c("целевой CPL для Виниры поставь 18 долларов",
      call("updateDirectionTargetCPL", directionId=D("Виниры"), targetCplCents=1800)),
    c("Which creatives have the highest CTR?", call("getTopCreatives", metric="ctr")),
    c("покажи 3 самых плохих креатива", call("getWorstCreatives", limit=3)),
    c("what does the video Улыбка за 2 визита say?", call("getCreativeTranscript",
                                                          creativeId=CR("Улыбка за 2 визита"))),
    c("сделай анализ креатива Минус 8 тонов", call("triggerCreativeAnalysis", creativeId=CR("Минус 8 тонов"))),
    c("please launch the creative Детский стоматолог in the Лечение кариеса direction",
      call("launchCreative", creativeId=CR("Детский стоматолог"), directionId=D("Лечение кариеса"))),
    c("выключи креатив Керамические виниры E.max", call("pauseCreative", creativeId=CR("Керамические виниры E.max"))),
    c("Start an A/B test for Ровные зубы в рассрочку", call("startCreativeTest",
                                                            creativeId=CR("Ровные зубы в рассрочку"))),
    c("останови тест Элайнеры вместо брекетов", call("stopCreativeTest", creativeId=CR("Элайнеры вместо брекетов"))),
    c("Are there any A/B tests that finished?", call("getCreativeTests", status="completed")),
    c("creative scores for Имплант под ключ от $790", call("getCreativeScores",
                                                           creativeId=CR("Имплант под ключ от $790"))),
    c("show hot leads for the last 3 days", call("getLeads", temperature="hot", dateFrom="2026-05-17",
                                                 dateTo="2026-05-19")),
    c("лиды с оценкой выше 90", call("getLeads", minScore=91)),
    c("who is Анна Иванова?", call("getLeadDetails", leadId=L("Анна Иванова"))),
    c("Лида Пётр Сидоров переведи на этап Лечение", call("updateLeadStage", leadId=L("Пётр Сидоров"),
                                                           stage="Лечение")),
    c("What's our average check this month?", call("getRevenueStats", period="this_month")),
    c("where do we lose leads in the funnel?", call("getFunnelStats")),
    c("открой переписку с Анной Ивановой", call("getDialogMessages", phone=P2)),
    c("What did +79991234567 write to us?", call("getDialogMessages", phone=P)),
    c("проанализируй переписку с Марией Сидоровой", call("analyzeDialog", phone=P)),
    c("find dialogs mentioning pain", call("searchDialogSummaries", query=Contains("pain"))),
    c("send +77001234567 a message: Your appointment is confirmed",
      call("sendBulkMessage", phones=[P2], message="Your appointment is confirmed")),
    c("warm dialogs from this week", call("getDialogs", interestLevel="warm", dateFrom="2026-05-18",
                                          dateTo="2026-05-20")),
    c("Покажи расходы за неделю, воронку и топ креативов", call("getSpendReport", period="last_7d"),
      call("getFunnelStats", period="last_7d"), call("getTopCreatives", period="last_7d")),
    c("pause direction Виниры and show its creatives", call("pauseDirection", directionId=D("Виниры")),
      call("getCreatives", directionId=D("Виниры"))),
    c("а за 30 дней?", call("getTopCreatives", metric="cpl", period="last_30d"),
      history=(call("getTopCreatives", metric="cpl"),)),
    c("и по Брекеты Москва", call("getAdSets", campaignId=C("Брекеты Москва")),
      history=(call("getAdSets", campaignId=C("Имплантация Москва")),)),
    c("ok, pause that campaign", call("pauseCampaign", campaignId=C("Брекеты Москва")),
      history=(call("getCampaignDetails", campaignId=C("Брекеты Москва")),)),
    c("what about warm ones?", call("getLeads", temperature="warm"), history=(call("getLeads", temperature="hot"),)),
    ask("поставь бюджет 100$"),
    ask("покажи креатив Виниры"),
    ask("pause the campaign Москва"),
    ask("переведи Елену Кузнецову на консультацию"),
    c("расходы за 1 мая", call("getSpendReport", dateFrom="2026-05-01", dateTo="2026-05-01")),
    c("spend between 2026-04-01 and 2026-04-10", call("getSpendReport", dateFrom="2026-04-01",
                                                      dateTo="2026-04-10")),
    c("leads for May", call("getLeads", period="this_month")),
]


# Written in one go before tuning for issue 11 (everyday questions a new user asked).
BLIND_3: list[Case] = [
    c("Какая кампания самая дорогая по цене заявки?", call("getSpendReport", groupBy="campaign")),
    c("у какой кампании худший CPL за неделю?", call("getSpendReport", groupBy="campaign", period="last_7d")),
    c("Which campaign has the best cost per lead?", call("getSpendReport", groupBy="campaign")),
    c("what's our cheapest campaign per lead this month", call("getSpendReport", groupBy="campaign",
                                                              period="this_month")),
    c("Лучшая кампания по CPL за 30 дней", call("getSpendReport", groupBy="campaign", period="last_30d")),
    c("а за вчера?", call("getLeads", period="yesterday"), history=(call("getLeads", period="today"),)),
    c("а за прошлую неделю?", call("getDialogs", period="last_7d"), history=(call("getDialogs"),)),
    c("what about yesterday?", call("getTopCreatives", period="yesterday"),
      history=(call("getTopCreatives", metric="cpl"),)),
    c("и за 30 дней", call("getCreatives", period="last_30d"), history=(call("getCreatives"),)),
    c("Кому мы ещё не ответили в WhatsApp?", call("getDialogs", awaitingReply=True)),
    c("Какие диалоги ждут нашего ответа?", call("getDialogs", awaitingReply=True)),
    c("which chats are waiting for our reply?", call("getDialogs", awaitingReply=True)),
    c("show unanswered whatsapp dialogs", call("getDialogs", awaitingReply=True)),
    c("Покажи неотвеченные переписки", call("getDialogs", awaitingReply=True)),
    c("Какие креативы выгорают?", call("getCreativeScores", riskLevel="high")),
    c("which creatives are burning out?", call("getCreativeScores", riskLevel="high")),
    c("есть усталость креативов?", call("getCreativeScores", riskLevel="high")),
    c("show creatives with ad fatigue", call("getCreativeScores", riskLevel="high")),
    c("Подними бюджет кампании Брекеты Москва до $50",
      call("updateDirectionBudget", directionId=D("Брекеты"), dailyBudgetCents=5000)),
    c("поставь бюджет кампании Виниры СПб 70 долларов",
      call("updateDirectionBudget", directionId=D("Виниры"), dailyBudgetCents=7000)),
    c("set the budget of campaign Отбеливание Москва to $40",
      call("updateDirectionBudget", directionId=D("Отбеливание"), dailyBudgetCents=4000)),
    c("Увеличь бюджет направления Брекеты на 20%", call("updateDirectionBudget", directionId=D("Брекеты"))),
    c("снизь бюджет направления Виниры на 10%", call("updateDirectionBudget", directionId=D("Виниры"))),
    c("raise the Имплантация direction budget by 15%", call("updateDirectionBudget", directionId=D("Имплантация"))),
    c("уменьши целевой CPL направления Отбеливание на 25%",
      call("updateDirectionTargetCPL", directionId=D("Отбеливание"))),
    c("Какое направление самое дорогое по лиду?", call("getSpendReport", groupBy="direction")),
    c("worst campaign by CPL last 7 days", call("getSpendReport", groupBy="campaign", period="last_7d")),
    c("Переведи лид с телефоном +79991234567 на этап Консультация",
      call("updateLeadStage", leadId=L("Мария Сидорова"), stage="Консультация"),
      focus={"leadId": L("Анна Иванова")}),
    c("а по креативам за вчера?", call("getCreatives", period="yesterday"), history=(call("getSpendReport"),)),
    c("покажи чаты без ответа за неделю", call("getDialogs", awaitingReply=True, period="last_7d")),
]

# Wave 2 (issues 16–18): rules and alerts, scheduled reports, the optimizer, breakdowns, accounts,
# A/B verdicts and creative rotation — read as whole messages (`agent_brain/llm/offline/automation.py`).
# Written alongside the reader; the refusal corpus's phrases for these capabilities moved here.
_ADSET_CPL_PAUSE = {"level": "adset", "metric": "cpl", "operator": ">", "threshold": 4000, "windowDays": 1,
                    "action": "pause"}
WAVE2: list[Case] = [
    c("Создай правило: если CPL адсета выше $40 за сутки — ставь его на паузу",
      call("previewRule", **_ADSET_CPL_PAUSE), call("createRule", **_ADSET_CPL_PAUSE)),
    c("Create a rule to pause ad sets with CPL above $40",
      call("previewRule", **_ADSET_CPL_PAUSE), call("createRule", **_ADSET_CPL_PAUSE)),
    c("Если CPL выше 30 долларов, выключай кампанию",
      call("previewRule", level="campaign", threshold=3000, action="pause"),
      call("createRule", level="campaign", threshold=3000, action="pause")),
    c("If the CPL goes over $30, pause the campaign",
      call("previewRule", level="campaign", metric="cpl", threshold=3000),
      call("createRule", level="campaign", metric="cpl", threshold=3000, action="pause")),
    c("Предупреди меня, если CPL будет выше $40",
      call("previewRule", level="account", metric="cpl", threshold=4000, action="notify"),
      call("createRule", level="account", metric="cpl", threshold=4000, action="notify")),
    c("alert me when spend exceeds $200 a day",
      call("previewRule", metric="spend", threshold=20000, windowDays=1, action="notify"),
      call("createRule", metric="spend", threshold=20000, windowDays=1, action="notify")),
    c("если CTR креатива ниже 1% за 3 дня — поставь на паузу",
      call("previewRule", level="creative", metric="ctr", operator="<", threshold=1.0, windowDays=3),
      call("createRule", level="creative", metric="ctr", operator="<", threshold=1.0, windowDays=3, action="pause")),
    c("увеличивай бюджет адсета на 20%, если CPL ниже $15 за неделю",
      call("previewRule", level="adset", operator="<", threshold=1500, windowDays=7, action="budget_pct",
           actionValue=20.0),
      call("createRule", level="adset", operator="<", threshold=1500, windowDays=7, action="budget_pct",
           actionValue=20.0)),
    ask("Настрой автоправило на выключение дорогих адсетов"),
    ask("create a rule for expensive ad sets"),
    c("Какие у меня правила?", call("listRules")),
    c("show my rules", call("listRules")),
    c("выключи правило 2", call("setRuleEnabled", ruleNumber=2, enabled=False)),
    c("enable rule 1", call("setRuleEnabled", ruleNumber=1, enabled=True)),
    c("удали правило 3", call("deleteRule", ruleNumber=3)),
    c("delete rule 1", call("deleteRule", ruleNumber=1)),
    c("поменяй порог правила 2 на $35", call("previewRuleUpdate", ruleNumber=2, threshold=3500),
      call("updateRule", ruleNumber=2, threshold=3500)),
    c("сделай правило про CPL каждые 2 часа", call("previewRuleUpdate", ruleMetric="cpl", scheduleHours=2),
      call("updateRule", ruleMetric="cpl", scheduleHours=2)),
    c("переведи правило 1 в автоматический режим", call("previewRuleUpdate", ruleNumber=1, mode="auto"),
      call("updateRule", ruleNumber=1, mode="auto")),
    c("поменяй правило про расход: порог $300", call("previewRuleUpdate", ruleMetric="spend", threshold=30000),
      call("updateRule", ruleMetric="spend", threshold=30000)),
    c("change rule 2 threshold to $35", call("previewRuleUpdate", ruleNumber=2, threshold=3500),
      call("updateRule", ruleNumber=2, threshold=3500)),
    c("make the CPL rule run every 2 hours", call("previewRuleUpdate", ruleMetric="cpl", scheduleHours=2),
      call("updateRule", ruleMetric="cpl", scheduleHours=2)),
    c("update rule 2 to check over 3 days", call("previewRuleUpdate", ruleNumber=2, windowDays=3),
      call("updateRule", ruleNumber=2, windowDays=3)),
    ask("change rule 1"),
    c("Что сделали правила за неделю?", call("getRuleActivity", days=7)),
    c("what did the rules do this month?", call("getRuleActivity", days=30)),
    c("Присылай мне отчёт каждое утро в 9", call("createReportSchedule", kind="daily", hour=9, minute=0)),
    c("Каждый понедельник присылай расходы за неделю",
      call("createReportSchedule", kind="weekly", weekday=0, hour=9)),
    c("Send me a spend report every morning", call("createReportSchedule", kind="daily", hour=9)),
    c("Every day at 10 send me the new leads", call("createReportSchedule", kind="daily", hour=10)),
    c("каждую пятницу в 18:30 присылай итоги недели",
      call("createReportSchedule", kind="weekly", weekday=4, hour=18, minute=30)),
    c("Какие отчёты ты присылаешь?", call("listReportSchedules")),
    c("list my scheduled reports", call("listReportSchedules")),
    c("отмени отчёт 1", call("cancelReportSchedule", reportNumber=1)),
    c("cancel report 2", call("cancelReportSchedule", reportNumber=2)),
    c("Оптимизируй бюджеты", call("optimizeBudgets", days=7)),
    c("optimise budgets over the last 14 days", call("optimizeBudgets", days=14)),
    c("Оптимизируй бюджеты каждый день", call("createStrategyRule", kind="optimizer")),
    c("оптимизируй бюджеты каждые 12 часов автоматически",
      call("createStrategyRule", kind="optimizer", scheduleHours=12, mode="auto")),
    c("optimise budgets weekly over the last 14 days",
      call("createStrategyRule", kind="optimizer", scheduleHours=168, days=14)),
    c("Каждый день предлагай ротацию креативов в адсете Москва 25-45",
      call("createStrategyRule", kind="bandit", adsetId=A("Москва 25-45"))),
    c("rotate the creatives in ad set Москва 25-45 daily",
      call("createStrategyRule", kind="bandit", adsetId=A("Москва 25-45"))),
    ask("каждый день делай ротацию креативов"),
    c("Покажи разбивку по возрасту и полу за неделю", call("getBreakdownReport", breakdown="age_gender",
                                                          period="last_7d")),
    c("spend by placement last 30 days", call("getBreakdownReport", breakdown="placement", period="last_30d")),
    c("Расходы по регионам за вчера", call("getBreakdownReport", breakdown="region", period="yesterday")),
    c("leads by hour of day", call("getBreakdownReport", breakdown="hour")),
    c("Мои кабинеты", call("listAdAccounts")),
    c("show my ad accounts", call("listAdAccounts")),
    c("Переключись на кабинет Клиника Казань", call("switchAdAccount", account="Клиника Казань")),
    c("switch to account act_555", call("switchAdAccount", account="act_555")),
    c("Как идёт тест креативов «Белоснежная улыбка» и «Улыбка за 2 визита»?",
      call("analyzeABTest", creativeIds=[CR("Белоснежная улыбка"), CR("Улыбка за 2 визита")])),
    c("A/B test results for «Белоснежная улыбка» vs «Улыбка за 2 визита»",
      call("analyzeABTest", creativeIds=[CR("Белоснежная улыбка"), CR("Улыбка за 2 визита")])),
    c("ротация креативов в адсете Москва 25-45", call("suggestCreativeRotation", adsetId=A("Москва 25-45"))),
    c("which creative is best in the ad set Москва 25-45?",
      call("suggestCreativeRotation", adsetId=A("Москва 25-45"))),
]
CASES += WAVE2


# Issue 16 (Meta operations by chat), read as whole messages (`agent_brain/llm/offline/meta_ops.py`).
# The refusal corpus's phrases for creating and copying campaigns moved here.
_VENEERS_KAZAN = {"direction": "Виниры", "cities": ["Казани"], "dailyBudgetCents": 5000, "ageMin": 25, "ageMax": 45,
                  "gender": "female", "creatives": ["Виниры: до и после", "Голливудская улыбка"]}
META_OPS: list[Case] = [
    c("Создай кампанию на направление Виниры в Казани, $50 в день, женщины 25-45, креативы «Виниры: до и после» "
      "и «Голливудская улыбка»", call("planCampaignStructure", **_VENEERS_KAZAN)),
    c("Create a campaign for the Виниры direction in Kazan, $50 a day, women 25-45, creatives «Виниры: до и после» "
      "and «Голливудская улыбка»",
      call("planCampaignStructure", direction="Виниры", cities=["Kazan"], dailyBudgetCents=5000, ageMin=25,
           ageMax=45, gender="female", creatives=["Виниры: до и после", "Голливудская улыбка"])),
    # Lifetime budgets at creation: the whole run's budget and an end date (the day the ad sets stop).
    c("Создай кампанию на направление Виниры в Казани, $1500 на весь срок до 30 июня, женщины 25-45, креативы «Виниры: "
      "до и после» и «Голливудская улыбка»",
      call("planCampaignStructure", direction="Виниры", cities=["Казани"], lifetimeBudgetCents=150000,
           endDate="2026-06-30", ageMin=25, ageMax=45, gender="female", dailyBudgetCents=ABSENT,
           creatives=["Виниры: до и после", "Голливудская улыбка"])),
    c("Create a campaign for the Виниры direction in Kazan with a $900 lifetime budget from June 1 until June 30, "
      "creatives «Виниры: до и после»",
      call("planCampaignStructure", direction="Виниры", cities=["Kazan"], lifetimeBudgetCents=90000,
           startDate="2026-06-01", endDate="2026-06-30", creatives=["Виниры: до и после"])),
    ask("Создай кампанию на направление Виниры в Казани, $1500 на весь срок, креативы «Голливудская улыбка»"),  # until?
    # Budget schedules (Meta's high-demand periods): days with a higher daily budget.
    c("Создай кампанию на направление Виниры в Казани, $50 в день, в пиковые дни с 20 по 25 декабря +$30 в день, "
      "креативы «Виниры: до и после»",
      call("planCampaignStructure", direction="Виниры", cities=["Казани"], dailyBudgetCents=5000, endDate=ABSENT,
           highDemandPeriods=[{"start": "2026-12-20", "end": "2026-12-25", "extraDailyBudgetCents": 3000}],
           creatives=["Виниры: до и после"])),
    c("Create a campaign for the Виниры direction in Kazan, $40 a day, peak days from December 20 to December 24 "
      "+$20 a day, creatives «Виниры: до и после»",
      call("planCampaignStructure", direction="Виниры", cities=["Kazan"], dailyBudgetCents=4000, endDate=ABSENT,
           highDemandPeriods=[{"start": "2026-12-20", "end": "2026-12-24", "extraDailyBudgetCents": 2000}],
           creatives=["Виниры: до и после"])),
    c("Собери кампанию на отбеливание в Новосибирске, 40 долларов в день, от 18 до 35 лет, креатив «Белые зубы к лету»",
      call("planCampaignStructure", direction="Отбеливание", cities=["Новосибирске"], dailyBudgetCents=4000,
           ageMin=18, ageMax=35, creatives=["Белые зубы к лету"], gender=ABSENT)),
    ask("Создай новую кампанию Имплантация Казань с бюджетом $50 в день на Казань 30-60"),  # which creatives?
    ask("Сделай новую кампанию на отбеливание, бюджет $30"),
    ask("Create a new campaign for veneers with a $40 daily budget"),
    ask("Set up a new campaign targeting Saint Petersburg"),
    c("Скопируй Виниры СПб на Казань", call("planCampaignCopy", campaign="Виниры СПб", city="Казань")),
    c("duplicate the campaign Брекеты Москва to Kazan with $30 a day",
      call("planCampaignCopy", campaign="Брекеты Москва", city="Kazan", dailyBudgetCents=3000)),
    ask("Продублируй кампанию Брекеты Москва"),  # to which city?
    c("Заархивируй кампанию Виниры СПб", call("archiveCampaign", campaignId=C("Виниры СПб"))),
    c("archive the campaign Брекеты Москва", call("archiveCampaign", campaignId=C("Брекеты Москва"))),
    c("Поменяй таргетинг адсета Москва 25-45 на 30-50",
      call("previewTargetingChange", adsetId=A("Москва 25-45"), ageMin=30, ageMax=50, gender=ABSENT)),
    c("Change the age of the Москва 25-45 ad set to 30-50",
      call("previewTargetingChange", adsetId=A("Москва 25-45"), ageMin=30, ageMax=50)),
    c("Сузь таргетинг адсета Москва 18-35 до женщин", call("previewTargetingChange", adsetId=A("Москва 18-35"),
                                                          gender="female", ageMin=ABSENT)),
    c("retarget the ad set Москва 18-35 to Kazan", call("previewTargetingChange", adsetId=A("Москва 18-35"),
                                                        cities=["Kazan"])),
    ask("Поменяй таргетинг адсета Москва 25-45"),
    c("Поставь ставку $5 на адсет Москва 25-45",
      call("previewAdSetSettings", adsetId=A("Москва 25-45"), bidStrategy="LOWEST_COST_WITH_BID_CAP",
           bidAmountCents=500)),
    c("set a cost cap of $20 on the ad set Москва 45-65",
      call("previewAdSetSettings", adsetId=A("Москва 45-65"), bidStrategy="COST_CAP", bidAmountCents=2000)),
    c("Адсет Москва 18-35 пусть работает до 31 декабря",
      call("previewAdSetSettings", adsetId=A("Москва 18-35"), endDate="2026-12-31")),
    c("stop the ad set Москва 18-35 on 2026-06-30", call("previewAdSetSettings", adsetId=A("Москва 18-35"),
                                                         endDate="2026-06-30")),
    ask("Поставь ставку на адсет Москва 25-45"),
    c("напиши 3 варианта текста для Виниры", call("writeAdCopy", direction="Виниры", count=3)),
    c("Придумай текст объявления для виниров", call("writeAdCopy", direction="Виниры")),
    ask("write ad copy for the whitening campaign"),  # English names of directions are not known: which one?
    c("write ad copy for Отбеливание", call("writeAdCopy", direction="Отбеливание")),
    c("Write two ad texts for Брекеты", call("writeAdCopy", direction="Брекеты", count=2)),
    ask("Напиши текст объявления"),  # for which direction?
    c("Создай объявление из загруженной картинки в адсете Москва 25-45: текст «Имплантация за 1 день без боли», "
      "заголовок «Имплант за 1 день», ссылка https://clinic.example/implant, кнопка «Записаться»",
      call("planCreativeAd", adsetId=A("Москва 25-45"), primaryText="Имплантация за 1 день без боли",
           headline="Имплант за 1 день", link="https://clinic.example/implant", callToAction="SIGN_UP")),
    c("Create an ad from the uploaded image in the ad set Москва 18-35 with text «Whiter teeth in one hour», "
      "headline «ZOOM whitening» and link https://clinic.example/zoom",
      call("planCreativeAd", adsetId=A("Москва 18-35"), primaryText="Whiter teeth in one hour",
           headline="ZOOM whitening", link="https://clinic.example/zoom", callToAction=ABSENT)),
    ask("Сделай креатив из картинки"),  # which ad set, text, headline, link?
    # Previews (a link: Meta gives an iframe page, not an image).
    c("Покажи превью объявления «Виниры: до и после»", call("getAdPreview", ad="Виниры: до и после", adFormat=ABSENT)),
    c("как выглядит объявление Голливудская улыбка в СПб в сторис",
      call("getAdPreview", ad="Голливудская улыбка в СПб", adFormat="INSTAGRAM_STORY")),
    c("show the preview of the ad «Белоснежная улыбка» as an Instagram story",  # «Instagram» alone names Meta
      call("getAdPreview", ad="Белоснежная улыбка", adFormat="INSTAGRAM_STORY")),
    c("preview the ad Отбеливание ZOOM за 1 час on desktop",
      call("getAdPreview", ad="Отбеливание ZOOM за 1 час", adFormat="DESKTOP_FEED_STANDARD")),
    ask("покажи превью объявления"),  # which one?
    # A Telegram photo's caption, with the uploaded image's hash the photo handler adds after it.
    c("Объявление в адсете Москва 25-45: текст «Имплантация за 1 день», заголовок «Имплант за день», ссылка "
      "https://clinic.example/implant\n[фото → картинка 0123456789abcdef0123456789abcdef]",
      call("planCreativeAd", adsetId=A("Москва 25-45"), primaryText="Имплантация за 1 день",
           headline="Имплант за день", link="https://clinic.example/implant",
           imageHash="0123456789abcdef0123456789abcdef")),
    c("Ad for the ad set Москва 18-35: text «Whiter teeth in one hour», headline «ZOOM», link "
      "https://clinic.example/zoom\n[photo → image fedcba9876543210fedcba9876543210]",
      call("planCreativeAd", adsetId=A("Москва 18-35"), primaryText="Whiter teeth in one hour", headline="ZOOM",
           link="https://clinic.example/zoom", imageHash="fedcba9876543210fedcba9876543210")),
    ask("объявление для Виниры\n[фото → картинка 0123456789abcdef0123456789abcdef]"),  # which ad set? text?
    c("Мои аудитории", call("listAudiences")),
    c("show my audiences", call("listAudiences")),
    c("Заведи новую аудиторию из базы клиентов", call("planLeadAudience", temperature=ABSENT, stage=ABSENT)),
    c("Создай аудиторию из горячих лидов по направлению Виниры",
      call("planLeadAudience", temperature="hot", direction="Виниры")),
    c("create a custom audience from hot leads", call("planLeadAudience", temperature="hot")),
    c("Собери аудиторию из лидов на этапе Записан", call("planLeadAudience", stage="Записана")),  # the stage's name
    c("Сделай лукалайк 2% из аудитории «CRM: лиды · горячие»",
      call("createLookalike", audience="CRM: лиды · горячие", ratioPercent=2)),
    c("create a 1% lookalike from the audience Hot leads", call("createLookalike", audience="Hot leads",
                                                                ratioPercent=1)),
    ask("Создай lookalike аудиторию 1% по покупателям"),  # from which audience?
    ask("create a lookalike audience from our leads"),
    ask("Сделай мне аудиторию похожих на покупателей"),
    c("Удали аудиторию «Старые лиды»", call("deleteAudience", audience="Старые лиды")),
    # Site audiences from the pixel (Meta's rule-based website custom audience).
    c("Создай аудиторию посетителей сайта за 30 дней", call("planSiteAudience", retentionDays=30, event=ABSENT)),
    c("Собери аудиторию из пикселя: кто оставил заявку на сайте за 90 дней",
      call("planSiteAudience", event="Lead", retentionDays=90)),
    c("Создай аудиторию сайта: кто смотрел страницы с «veneers» за 2 недели",
      call("planSiteAudience", event="ViewContent", retentionDays=14, urlContains="veneers")),
    c("create a website audience of visitors in the last 60 days", call("planSiteAudience", retentionDays=60)),
    c("create an audience from the pixel: people who added to cart in 14 days",
      call("planSiteAudience", event="AddToCart", retentionDays=14)),
    c("build a website audience of people who submitted a lead form, 3 months",
      call("planSiteAudience", event="Lead", retentionDays=90)),
    ask("Создай аудиторию посетителей сайта за год"),  # Meta keeps 1–180 days: asked
    ask("create a website audience of visitors in the last 365 days"),
    c("delete the audience Old leads", call("deleteAudience", audience="Old leads")),
    c("Выгрузи это в CSV", call("exportTable", format="csv")),
    c("выгрузи таблицу в Excel", call("exportTable", format="xlsx")),
    c("export this to xlsx", call("exportTable", format="xlsx")),
    c("download it as csv", call("exportTable", format="csv")),
    ask("Выгрузи отчёт в CSV"),  # which table? show it first
    ask("Экспортируй лиды в Excel"),
    ask("Export the leads to CSV"),
    ask("download the spend report as xlsx"),
    c("Запусти A/B тест креативов «Белоснежная улыбка», «Улыбка за 2 визита» и «Виниры: до и после» на Виниры, "
      "$60 в день", call("planCreativeABTest", direction="Виниры", dailyBudgetCents=6000,
                        creatives=["Белоснежная улыбка", "Улыбка за 2 визита", "Виниры: до и после"])),
    c("run an A/B test of «Брекеты без боли» vs «Элайнеры вместо брекетов» for Брекеты with $40 a day",
      call("planCreativeABTest", direction="Брекеты", dailyBudgetCents=4000,
           creatives=["Брекеты без боли", "Элайнеры вместо брекетов"])),
    ask("Запусти A/B тест креативов «Белоснежная улыбка» и «Улыбка за 2 визита»"),  # direction and budget?
]
CASES += META_OPS


# Issue 20: TikTok and Google Ads next to Meta (these phrases were refused before, `refusal_corpus.py`).
PLATFORMS: list[Case] = [
    c("Покажи кампании в TikTok", call("getCampaigns", platform="tiktok")),
    c("Show TikTok campaigns", call("getCampaigns", platform="tiktok")),
    c("Покажи кампании в фейсбуке за месяц", call("getCampaigns", platform="meta", period="last_30d")),
    c("Сколько мы потратили в Google Ads за неделю?", call("getSpendReport", platform="google", period="last_7d")),
    c("Google Ads spend by campaign last 30 days",
      call("getSpendReport", platform="google", groupBy="campaign", period="last_30d")),
    c("расход за неделю по всем площадкам", call("getSpendReport", groupBy="platform", period="last_7d",
                                                 platform=ABSENT)),
    c("compare CPL on Meta, TikTok and Google this month",
      call("getSpendReport", groupBy="platform", period="this_month", platform=ABSENT)),
    c("What is our Google Ads spend and TikTok ROAS?", call("getSpendReport", groupBy="platform", platform=ABSENT)),
    c("TikTok ROAS", call("getSpendReport", groupBy="platform", platform="tiktok")),
    c("ROAS в тиктоке за неделю", call("getSpendReport", groupBy="platform", platform="tiktok", period="last_7d")),
    c("Останови кампанию Виниры СПб в Meta", call("pauseCampaign", campaignId=C("Виниры СПб"), platform="meta")),
    c("расходы по площадкам за неделю", call("getBreakdownReport", breakdown="placement", period="last_7d")),
    ask("Подними бюджет в тикток до $100"),
    # TikTok and Google Ads say "ad group" / «группа» for an ad set.
    c("Поставь на паузу группу Москва 25-45", call("pauseAdSet", adsetId=A("Москва 25-45"))),
    c("pause the ad group Москва 25-45 on Meta", call("pauseAdSet", adsetId=A("Москва 25-45"), platform="meta")),
    # Rules on another platform's account (issue 20): the rule tools take the platform too.
    c("Создай правило: если CPL кампании в TikTok выше $40 — ставь её на паузу",
      call("previewRule", level="campaign", metric="cpl", threshold=4000, action="pause", platform="tiktok"),
      call("createRule", level="campaign", metric="cpl", threshold=4000, action="pause", platform="tiktok")),
    c("Create a rule to pause Google Ads campaigns with CPL above $30",
      call("previewRule", level="campaign", metric="cpl", threshold=3000, action="pause", platform="google"),
      call("createRule", level="campaign", metric="cpl", threshold=3000, action="pause", platform="google")),
]
CASES += PLATFORMS

