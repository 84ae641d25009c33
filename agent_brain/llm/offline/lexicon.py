"""The offline model's vocabulary: keyword patterns per concept (RU + EN), object-kind cues, and
what each of the 58 tools is (domain, read/write, which entity it needs).

Pattern mini-language (one string = one alternative): words are separated by spaces; a word
ending in `*` is a stem ("расход*" matches "расходы", "расходам"), any other word must match
whole. `re:` starts a raw regular expression. Matching runs on normalised text (lower case,
ё → е), so patterns are written that way.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache

from agent_brain.llm.offline.text import word_set

# ── concepts: what the user wants to do, and what about ──────────────────────────────────────

ACTIONS: dict[str, tuple[str, ...]] = {
    "pause": ("на паузу", "паузу", "запауз*", "паузни", "останови", "остановить", "остановите", "остановим", "стоп",
              "выключи", "выключить", "выключите", "отключи", "отключить", "приостанови", "приостановить",
              "приостановите", "pause", "stop", "turn off", "switch off", "disable", "halt", "put on hold"),
    "finish": ("заверши", "завершить", "закончи", "закончить", "end", "finish"),
    "resume": ("возобнов*", "включи", "включить", "включите", "сними* с паузы", "убери* с паузы", "сними* паузу",
               "сними* с паузы", "сняти* с паузы", "верни", "вернуть", "снова запусти*", "перезапусти*", "resume",
               "unpause", "turn on", "switch on", "enable", "reactivate", "restart", "re-enable", "активируй",
               "активировать"),
    "launch": ("запусти", "запустить", "запустите", "запустим", "запуск", "стартуй", "начни", "начать", "launch",
               "start", "run", "kick off", "протестир*", "потестир*", "затестир*",
               r"re:^\s*(?:a/b\s+|split\s+)?test(?=\s+(?:the\s+|a\s+|creative))"),  # "test the creative X"
    "set": ("измени*", "поменя*", "установи*", "постав*", "сделай", "выстав*", "задай", "задать", "назнач*",
            "обнови*", "set", "change", "update", "make", "adjust", "modify"),
    "increase": ("увелич*", "подними", "поднять", "повысь", "повысить", "прибавь", "добавь", "нарасти", "increase",
                 "raise", "boost", "bump", "scale up",
                 r"re:\d+(?:[.,]\d+)?\s*(?:%|процент\w*|percent)\s+(?:выше|больше|higher|more)"),
    "decrease": ("уменьш*", "снизь", "снизить", "понизь", "понизить", "сократи*", "урежь", "срежь", "decrease",
                 "reduce", "lower", "cut", "scale down",
                 r"re:\d+(?:[.,]\d+)?\s*(?:%|процент\w*|percent)\s+(?:ниже|меньше|less)"),
    "move": ("переведи", "перевести", "переведите", "перемести*", "передвинь", "перенеси", "отметь", "пометь",
             "move", "mark", "advance"),
    "send": ("отправ*", "разошли", "разослать", "рассылк*", "рассылок", "рассылай", "напиши", "написать", "send", "broadcast",
             "mass message", "bulk message"),
    "analyze": ("проанализир*", "анализируй", "переанализир*", "сделай* анализ", "запусти* анализ", "провед* анализ",
                "разбери", "разобрать", "analyze", "analyse", "re-analyze", "run analysis", "run an analysis",
                "run the analysis"),
    "compare": ("сравн*", "compare", "comparison", "vs", "versus"),
    "search": ("найди", "найти", "поищи", "поиск*", "ищи", "search", "find", "look for", "lookup"),
    # Not an intent of its own; it only tells a new request from a continuation of the last one.
    "show": ("покажи", "показать", "покажите", "выведи", "дай", "show", "list", "display", "give me"),
}

TOPICS: dict[str, tuple[str, ...]] = {
    "spend": ("расход*", "трат*", "потрат*", "затрат*", "spend*", "spent", "costs", "expenses"),
    "budget": ("бюджет*", "budget*"),
    "cpl": ("cpl", "цпл", "цен* лида", "цен* заявки", "цен* за лид*", "цен* за заявк*", "стоимост* лида",
            "стоимост* заявки", "за лид", "за заявку", "по лиду", "по заявке", "по цене лида", "cost per lead", "per lead",
            "price per lead", "дорог* заявк*", "дорог* лид*", "дешев* заявк*", "дешев* лид*", "cheap* lead*",
            "expensive lead*"),
    "target": ("целев*", "target*"),
    "roi": ("roi", "romi", "окупа*", "рентабельн*", "return on *", "payback"),
    "metrics": ("метрик*", "статистик*", "стата", "стату", "показател*", "динамик*", "по дням", "metrics", "stats",
                "statistics", "performance", "daily", "trend*"),
    "retention": ("retention", "удержани*", "досмотр*", "досматр*", "hook rate", "просмотр*", "views", "watch time"),
    "transcript": ("транскрип*", "расшифров*", "текст ролика", "текст видео", "что говорят", "что говорится",
                   "о чем говорится", "transcript*", "transcrib*", r"re:what\s+(?:do|does)\s+.{1,60}?\s+say",
                   "subtitles", "субтитр*"),
    "analysis": ("анализ*", "analysis", "вердикт*", "verdict", "рекомендац*", "recommendation*", "разбор*"),
    "score": ("скор*", "score*", "scoring", "риск*", "risk*", "оценк*", "оценок"),
    "top": ("топ*", "top", "лучш*", "best", "эффективн*", "top performing", "highest", "наибольш*", "максимальн*",
            "самы* высок*", "дешев*", "cheap*", "lowest"),
    "worst": ("худш*", "worst", "плох*", "слаб*", "неэффективн*", "underperform*", "провальн*", "bad", "weak*",
              "most expensive", "priciest",
              "дорог*", "неудачн*"),
    "funnel": ("воронк*", "funnel", "конверси*", "conversion*", "по этапам", "by stage"),
    "revenue": ("выручк*", "доход*", "продаж*", "revenue", "sales", "средн* чек*", "average check", "average order",
                "income", "заработал*", "earned", "покупк*", "покупок", "purchases"),
    "test": ("тест*", "test*", "re:a/b", "ab", "аб", "сплит*", "split test*", "протестир*"),
    "details": ("детал*", "подробн*", "details", "detail", "info", "информаци*", "расскажи*", "карточк*",
                "как дела", "как там", "что с", "how is", "how's", "how are", "tell me about", "what about"),
    "about": ("жалова*", "жалоб*", "спрашива*", "интересова*", "просил*", "упомина*", "говорил*", "писал* про",
              "возражен*", "complain*", "complaint*", "asked about", "asking about", "mentioned", "objection*"),
    # What someone wrote in a dialog ("что написал +7…", "what did … write").
    "messages": ("написал*", "писал*", "wrote", "write", "said", "сказал*", "ответил*", "replied"),
    "ads_generic": ("реклам*", "ads", "advertising", "объявлени*"),
    # Dialogs whose last message is the client's: we owe a reply.
    "awaiting": ("ждут* ответ*", "ждет* ответ*", "ожидают ответ*", "ждут* наш* ответ*", "ждет* наш* ответ*",
                 "ожидают наш* ответ*", "ждут* от нас ответ*", "ждет* от нас ответ*", "без ответа", "не ответили", "не отвечали",
                 "неотвечен*", "не отвечен*", "надо ответить", "нужно ответить", "пора ответить", "unanswered",
                 "need to reply", "need to answer", "should reply", "waiting for our reply", "waiting for a reply",
                 "waiting for reply", "waiting for an answer", "awaiting reply", "awaiting a reply", "need a reply",
                 "needs a reply", "not replied", "haven't replied", "have not replied", "no reply"),
    # Inbound customer messages by intent (issue 19): what customers ask about most.
    "asked": ("что спрашива*", "о чём спрашива*", "о чем спрашива*", "чаще всего спрашива*", "частые вопрос*",
              "частых вопрос*", "популярные вопрос*", "что пишут клиенты", "о чём пишут клиенты", "о чем пишут клиенты",
              "what do customers ask", "what are customers asking", "what customers ask", "most asked",
              "frequent questions", "most common questions", "what do people ask", "what are people asking"),
    # Creatives wearing out: frequency up, CTR down (the risk scores' factors).
    "fatigue": ("выгора*", "выгорел*", "выгорани*", "устал*", "усталост*", "приелись", "примелькал*", "пора мен*",
                "пора замен*", "замен* пора", "need* replac*", "time to replace", "should be replaced",
                "burn* out", "burnout", "burning out", "fatigue*", "wear* out", "wearing out", "worn out",
                "tired", "stale"),
    # The action journal: what the assistant itself changed.
    "history": ("что ты менял*", "что ты поменял*", "что ты изменил*", "что ты делал*", "что менял*",
                "что было изменено", "какие изменения ты", "история изменений", "историю изменений",
                "журнал изменений", "журнал действий", "what did you change", "what have you changed",
                "what you changed", "what did you do", "change history", "history of changes", "changes you made",
                "changes did you make", "action history"),
    "help": ("помощь", "помоги", "что ты умеешь", "что умеешь", "что ты можешь", "help", "what can you do",
             "привет", "hello", "hi", "здравствуй*", "добрый день"),
    "identity": ("кто ты", "ты llm", "ты gpt", "ты нейросеть", "ты бот", "re:are you (?:an? )?(?:llm|gpt|chatgpt|ai|bot|human|robot)",
                 "what are you",
                 "which model", "какая модель", "ты ии", "ты ai"),
}

# Words that name an object kind. A cue followed by a name ("кампанию Виниры СПб") names that
# object; a bare cue ("покажи кампании") asks about the kind as a whole.
KIND_CUES: dict[str, tuple[str, ...]] = {
    "campaign": ("кампани*", "компани*", "campaign*"),
    "adset": ("адсет*", "ад сет*", "ad set*", "adset*", "групп* объявлени*", "ad group*", "adgroup*",  # TikTok/Google
              "группа", "группу", "группы", "группе", "группой"),
    "direction": ("направлени*", "direction*"),
    "creative": ("креатив*", "creative*", "ролик*", "баннер*", "видео*", "video*", "картинк*", "изображени*",
                 "карусел*", "images", "carousel*"),
    "lead": ("лид*", "заявк*", "заявок", "lead*"),
    "dialog": ("диалог*", "переписк*", "переписок", "чат*", "whatsapp", "ватсап*", "вотсап*", "dialog*", "conversation*", "chat*",
               "сообщени*", "messages"),
}

# The domain a concept or a kind cue points at (classification when no tool could be chosen).
CONCEPT_DOMAIN = {
    "spend": "ads", "budget": "ads", "cpl": "ads", "roi": "ads", "ads_generic": "ads", "campaign": "ads", "history": "ads",
    "adset": "ads", "direction": "ads", "retention": "creative", "transcript": "creative", "analysis": "creative",
    "test": "creative", "top": "creative", "worst": "creative", "creative": "creative", "score": "creative",
    "funnel": "crm", "revenue": "crm", "lead": "crm", "move": "crm", "about": "whatsapp", "send": "whatsapp",
    "awaiting": "whatsapp", "fatigue": "creative", "asked": "whatsapp",
    "dialog": "whatsapp",
}

# Singular forms of the cues: "креатив Виниры" names one creative (whose name has "Виниры" in it),
# while "креативы Виниры" may be the creatives of the direction Виниры.
SINGULAR_CUES: dict[str, tuple[str, ...]] = {
    "campaign": ("кампания", "кампанию", "кампанией", "компанию", "campaign"),
    "adset": ("адсет", "адсета", "адсету", "ad set", "adset", "ad group", "группа", "группу", "группе", "группой"),
    "direction": ("направление", "направлением", "direction"),
    "creative": ("креатив", "креатива", "креативу", "креативом", "ролик", "ролика", "creative", "video"),
    "lead": ("лид", "лида", "лиду", "лидом", "lead"),
    "dialog": ("диалог", "диалога", "переписку", "чат", "dialog", "chat", "conversation"),
}

# How a kind is named in questions (RU accusative / EN).
KIND_WORDS: dict[str, dict[str, str]] = {
    "campaign": {"ru": "какую кампанию", "ru_noun": "кампанию", "en": "campaign"},
    "adset": {"ru": "какой адсет", "ru_noun": "адсет", "en": "ad set"},
    "direction": {"ru": "какое направление", "ru_noun": "направление", "en": "direction"},
    "creative": {"ru": "какой креатив", "ru_noun": "креатив", "en": "creative"},
    "lead": {"ru": "какого лида", "ru_noun": "лида", "en": "lead"},
    "dialog": {"ru": "какой диалог (имя или номер телефона)", "ru_noun": "диалог", "en": "dialog (name or phone)"},
    "test": {"ru": "какой тест", "ru_noun": "тест", "en": "test"},
}

# Pronouns that point at the entity in focus ("поставь его на паузу", "pause it").
PRONOUNS = ("его", "ее", "её", "их", "него", "нее", "неё", "этот", "эту", "это", "этого", "этой", "эти", "этих",
            "тот", "ту", "same", "it", "its", "this", "that", "them", "their", "these", "those", "his", "her")
FEMININE_PRONOUNS = ("ее", "её", "нее", "неё", "эту", "этой", "ту")

# Words that are never part of a name or a search ("кампанию за вчера", "campaigns that are …").
FUNCTION_WORDS = word_set(
    "за на в по с и или а но что как какие какой какая какое какую у самая самый самое самые самую самой наиболее пора надо нужно "
    "наименее most least our we "
    "все всех мои моих его ее её их этот эту это эти тот "
    "который которые где когда сегодня вчера неделю месяц потому так пожалуйста сейчас срочно тоже также с "
    "for in on at by to of and or the my all this that these with from last today yesterday week month because "
    "since please now too also it are is was were be been do does did have has had can could should would will what "
    "who whose when why how there here than then so such not no yes its our your their me us"
)

# ── funnel stages, temperatures, statuses ────────────────────────────────────────────────────

# Canonical CRM stage names (the demo funnel; a business with other names can say
# "на этап «X»", which is passed through as is and checked by the tool).
STAGES: dict[str, tuple[str, ...]] = {
    "Новый": ("этап* новый", "стади* новый", "статус* новый", "new stage", "stage new"),
    "Консультация": ("консультаци*", "consultation*"),
    "Записана": ("записан*", "записал*", "записаться", "запись", "booked", "scheduled", "appointment"),
    "Пришла на приём": ("приш* на прием*", "на прием*", "на приеме", "visited", "attended", "showed up"),
    "Лечение": ("лечени*", "лечится", "treatment", "in treatment"),
    "Оплачено": ("оплачен*", "оплатил*", "оплата", "paid", "won"),
    "Отказ": ("отказ*", "lost", "rejected", "declined", "refused"),
}

TEMPERATURES: dict[str, tuple[str, ...]] = {
    "hot": ("горяч*", "hot"),
    "warm": ("тепл*", "warm"),
    "cold": ("холодн*", "cold"),
}

# Status filters, by the value the tools use (campaigns upper-case their values later).
STATUSES: dict[str, tuple[str, ...]] = {
    "draft": ("черновик*", "draft*"),
    "completed": ("завершенн*", "законченн*", "completed", "finished"),
    "paused": ("на паузе", "on pause", "приостановлен*", "остановленн*", "выключенн*", "неактивн*", "paused",
               "stopped", "inactive", "disabled"),
    "active": ("активн*", "работающ*", "запущенн*", "действующ*", "идущ*", "идут", "идет", "текущ*", "active",
               "running", "live", "enabled", "включенн*", "in progress"),
}

MEDIA: dict[str, tuple[str, ...]] = {
    "video": ("видео*", "ролик*", "video*"),
    "image": ("картинк*", "изображени*", "баннер*", "статик*", "фото*", "image*", "picture*", "static*", "photo*"),
    "carousel": ("карусел*", "carousel*"),
}

METRICS: dict[str, tuple[str, ...]] = {
    "cpl": ("по cpl", "по цпл", "по цене лида", "по стоимости лида", "by cpl", "cpl"),
    "ctr": ("по ctr", "ctr", "кликабельн*", "by ctr"),
    "leads": ("по лидам", "по заявкам", "по количеству лидов", "by leads", "most leads", "больше всего лидов"),
    "spend": ("по расходу", "по расходам", "по тратам", "by spend", "most spend"),
}

GROUP_BY: dict[str, tuple[str, ...]] = {
    "day": ("по дням", "by day", "per day", "daily", "по дню"),
    "campaign": ("по кампаниям", "by campaign", "per campaign", "разбивк* по кампаниям"),
    "adset": ("по адсетам", "по группам", "by ad set", "per ad set", "by adset"),
    "direction": ("по направлениям", "by direction", "per direction"),
}

GROUP_BY_CUES = {"all": tuple(p for key in ("campaign", "adset", "direction") for p in GROUP_BY[key])}

RISK: dict[str, tuple[str, ...]] = {
    "high": ("высок* риск*", "риск* высок*", "high risk", "high-risk", "рискованн*"),
    "medium": ("средн* риск*", "medium risk"),
    "low": ("низк* риск*", "low risk", "low-risk"),
}


# ── the tools ─────────────────────────────────────────────────────────────────────────────────


@dataclass(frozen=True)
class ToolInfo:
    domain: str
    write: bool = False
    entity: dict[str, str] = field(default_factory=dict)  # argument → entity kind
    required: tuple[str, ...] = ()  # entity arguments the call cannot go without
    period: bool = False


def _t(domain: str, *, write: bool = False, period: bool = False, required: tuple[str, ...] = (),
       **entity: str) -> ToolInfo:
    return ToolInfo(domain, write, dict(entity), required, period)


TOOLS: dict[str, ToolInfo] = {
    "getCampaigns": _t("ads", period=True),
    "getCampaignDetails": _t("ads", period=True, campaignId="campaign", required=("campaignId",)),
    "getAdSets": _t("ads", period=True, campaignId="campaign", required=("campaignId",)),
    "getSpendReport": _t("ads", period=True),
    "getDirections": _t("ads", period=True),
    "getDirectionDetails": _t("ads", period=True, directionId="direction", required=("directionId",)),
    "getDirectionMetrics": _t("ads", period=True, directionId="direction", required=("directionId",)),
    "getROIReport": _t("ads", period=True, directionId="direction"),
    "getROIComparison": _t("ads", period=True),
    "getActionHistory": _t("ads", period=True),
    "pauseCampaign": _t("ads", write=True, campaignId="campaign", required=("campaignId",)),
    "resumeCampaign": _t("ads", write=True, campaignId="campaign", required=("campaignId",)),
    "pauseAdSet": _t("ads", write=True, adsetId="adset", required=("adsetId",)),
    "resumeAdSet": _t("ads", write=True, adsetId="adset", required=("adsetId",)),
    "updateBudget": _t("ads", write=True, adsetId="adset", required=("adsetId",)),
    "updateDirectionBudget": _t("ads", write=True, directionId="direction", required=("directionId",)),
    "updateDirectionTargetCPL": _t("ads", write=True, directionId="direction", required=("directionId",)),
    "pauseDirection": _t("ads", write=True, directionId="direction", required=("directionId",)),
    "resumeDirection": _t("ads", write=True, directionId="direction", required=("directionId",)),
    "getCreatives": _t("creative", period=True, directionId="direction"),
    "getCreativeDetails": _t("creative", creativeId="creative", required=("creativeId",)),
    "getCreativeMetrics": _t("creative", period=True, creativeId="creative", required=("creativeId",)),
    "getCreativeAnalysis": _t("creative", creativeId="creative", required=("creativeId",)),
    "getTopCreatives": _t("creative", period=True, directionId="direction"),
    "getWorstCreatives": _t("creative", period=True, directionId="direction"),
    "compareCreatives": _t("creative", period=True),
    "getCreativeScores": _t("creative", creativeId="creative"),
    "getCreativeTests": _t("creative", creativeId="creative"),
    "getCreativeTranscript": _t("creative", creativeId="creative", required=("creativeId",)),
    "triggerCreativeAnalysis": _t("creative", write=True, creativeId="creative", required=("creativeId",)),
    "launchCreative": _t("creative", write=True, creativeId="creative", directionId="direction",
                         required=("creativeId", "directionId")),
    "pauseCreative": _t("creative", write=True, creativeId="creative", required=("creativeId",)),
    "startCreativeTest": _t("creative", write=True, creativeId="creative", required=("creativeId",)),
    "stopCreativeTest": _t("creative", write=True, creativeId="creative", required=("creativeId",)),
    "getLeads": _t("crm", period=True, directionId="direction"),
    "getLeadDetails": _t("crm", leadId="lead", required=("leadId",)),
    "getFunnelStats": _t("crm", period=True, directionId="direction"),
    "getRevenueStats": _t("crm", period=True, directionId="direction"),
    "updateLeadStage": _t("crm", write=True, leadId="lead", required=("leadId",)),
    "getDialogs": _t("whatsapp", period=True),
    "getDialogMessages": _t("whatsapp", phone="dialog", required=("phone",)),
    "analyzeDialog": _t("whatsapp", phone="dialog", required=("phone",)),
    "searchDialogSummaries": _t("whatsapp"),
    "sendBulkMessage": _t("whatsapp", write=True),
    "sendSegmentMessage": _t("whatsapp", write=True, directionId="direction"),
    "getInboundStats": _t("whatsapp", period=True),
    # Read as whole messages by `automation.py` (rules, reports, optimizer, breakdowns, accounts, experiments).
    "optimizeBudgets": _t("ads"),
    "getBreakdownReport": _t("ads", period=True, campaignId="campaign"),
    "listAdAccounts": _t("ads"),
    "switchAdAccount": _t("ads", write=True),
    "previewRule": _t("ads"),
    "createRule": _t("ads", write=True),
    "listRules": _t("ads"),
    "setRuleEnabled": _t("ads", write=True),
    "deleteRule": _t("ads", write=True),
    "getRuleActivity": _t("ads"),
    "previewRuleUpdate": _t("ads"),
    "updateRule": _t("ads", write=True),
    "createStrategyRule": _t("ads", write=True),
    "createReportSchedule": _t("ads", write=True),
    "listReportSchedules": _t("ads"),
    "cancelReportSchedule": _t("ads", write=True),
    # Read as whole messages by `meta_ops.py` (issue 16: structures, copies, …).
    "planCampaignStructure": _t("ads"),
    "planCampaignCopy": _t("ads"),
    "archiveCampaign": _t("ads", write=True),
    "previewTargetingChange": _t("ads"),
    "previewAdSetSettings": _t("ads"),
    "listAudiences": _t("ads"),
    "exportTable": _t("ads"),
    "planCreativeABTest": _t("ads"),
    "planLeadAudience": _t("ads"),
    "planSiteAudience": _t("ads"),
    "createLookalike": _t("ads", write=True),
    "deleteAudience": _t("ads", write=True),
    "writeAdCopy": _t("creative"),
    "planCreativeAd": _t("creative"),
    "getAdPreview": _t("creative"),
    "analyzeABTest": _t("creative", period=True),
    "suggestCreativeRotation": _t("creative", period=True),
}
DOMAINS = ("ads", "creative", "crm", "whatsapp")

# Focus keys (session memory) per entity kind.
FOCUS_KEYS = {"campaign": "campaignId", "adset": "adsetId", "direction": "directionId", "creative": "creativeId",
              "lead": "leadId", "dialog": "dialogPhone"}

# What a bare name asks for ("Виниры" → the direction's details), and what a write on "it" means.
DETAIL_TOOL = {"campaign": "getCampaignDetails", "direction": "getDirectionDetails", "creative": "getCreativeDetails",
               "lead": "getLeadDetails", "dialog": "getDialogMessages", "adset": "getAdSets"}
PAUSE_TOOL = {"campaign": "pauseCampaign", "adset": "pauseAdSet", "direction": "pauseDirection",
              "creative": "pauseCreative"}
RESUME_TOOL = {"campaign": "resumeCampaign", "adset": "resumeAdSet", "direction": "resumeDirection"}
# Preferred kind when one span names objects of several kinds ("Анна Иванова": lead and dialog).
KIND_ORDER = ("campaign", "direction", "adset", "creative", "lead", "dialog", "test")

# Per agent: help examples (3–5 phrasings), RU and EN.
HELP: dict[str, dict[str, tuple[str, ...]]] = {
    "ads": {
        "ru": ("Покажи расходы за вчера", "Какие направления активны?", "Поставь на паузу кампанию «Виниры СПб»",
               "Поставь бюджет направления Виниры $60", "Какой ROI за последнюю неделю?"),
        "en": ("Show spend for yesterday", "Which directions are active?", "Pause the campaign “Виниры СПб”",
               "Set the Veneers direction budget to $60", "What is the ROI for the last 7 days?"),
    },
    "creative": {
        "ru": ("Топ-5 креативов по CPL", "Покажи retention креатива «Белоснежная улыбка»",
               "Сравни «Белоснежная улыбка» и «Улыбка за 2 визита»", "Проанализируй креатив «Улыбка за 2 визита»",
               "Запусти креатив «Белоснежная улыбка» в направление Виниры"),
        "en": ("Top 5 creatives by CPL", "Show the retention of “Белоснежная улыбка”",
               "Compare “Белоснежная улыбка” and “Улыбка за 2 визита”", "Analyze the creative “Улыбка за 2 визита”",
               "Launch “Белоснежная улыбка” in the Виниры direction"),
    },
    "crm": {
        "ru": ("Найди горячих лидов", "Лиды за сегодня", "Покажи воронку за месяц", "Какая выручка за месяц?",
               "Переведи Анну Иванову на этап Консультация"),
        "en": ("Find hot leads", "Leads for today", "Show the funnel for the last 30 days",
               "What is the revenue this month?", "Move Анна Иванова to the Консультация stage"),
    },
    "whatsapp": {
        "ru": ("Последние диалоги", "Покажи переписку с +77001234567", "Проанализируй диалог с +79991234567",
               "Найди диалоги, где жаловались на цену"),
        "en": ("Latest dialogs", "Show the conversation with +77001234567", "Analyze the dialog with +79991234567",
               "Find dialogs where clients complained about the price"),
    },
}
AGENT_TITLES = {
    "ads": {"ru": "Реклама и направления", "en": "Ads and directions"},
    "creative": {"ru": "Креативы", "en": "Creatives"},
    "crm": {"ru": "Лиды и воронка", "en": "Leads and funnel"},
    "whatsapp": {"ru": "WhatsApp-диалоги", "en": "WhatsApp dialogs"},
}


# ── pattern compilation ──────────────────────────────────────────────────────────────────────


def _word(word: str) -> str:
    if word.endswith("*"):
        return re.escape(word[:-1]) + r"\w*"
    return re.escape(word)


def pattern(alternatives: tuple[str, ...]) -> re.Pattern[str]:
    """One compiled regex for a tuple of alternatives in the mini-language above."""
    parts = []
    for alt in alternatives:
        if alt.startswith("re:"):
            parts.append(alt[3:])
        else:
            parts.append(r"\s+".join(_word(w) for w in alt.split()))
    return re.compile(r"(?<!\w)(?:" + "|".join(parts) + r")(?!\w)")


@cache
def compiled(table: str) -> dict[str, re.Pattern[str]]:
    """The named table ("ACTIONS", "TOPICS", …) with every entry compiled."""
    return {key: pattern(alts) for key, alts in globals()[table].items()}


@cache
def lexical_pattern() -> re.Pattern[str]:
    """Any word of any table: such words are vocabulary, not parts of a name or a search query."""
    alts: list[str] = []
    for table in (ACTIONS, TOPICS, KIND_CUES, STATUSES, MEDIA, TEMPERATURES, STAGES, METRICS, GROUP_BY, RISK):
        for values in table.values():
            alts.extend(values)
    return pattern(tuple(alts))
