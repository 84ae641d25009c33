"""Requests the product cannot do, recognised before any tool is chosen.

A request for something the tools do not cover (creating campaigns, other ad platforms,
reminders, file exports, non-metric automation, several accounts at once, deleting, bids, targeting…) must never turn into
the nearest tool that happens to share a word with it ("Создай кампанию … $50" is not a budget
change). `refusal()` finds such a request and says so in one sentence, with the nearest thing
the product can do. The patterns use the lexicon's mini-language (`lexicon.pattern`) on
normalised text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

from agent_brain.llm.offline.lexicon import pattern
from agent_brain.llm.offline.text import normalise


@dataclass(frozen=True)
class Capability:
    """Something the product cannot do: how it is asked, and what to say instead (RU, EN)."""

    key: str
    domain: str  # the agent that answers the refusal
    asks: tuple[str, ...]  # any of these alone …
    with_: tuple[str, ...] = ()  # … or, when given, only together with one of these
    ru: str = ""
    en: str = ""


_OBJECTS = ("кампани*", "компани*", "адсет*", "ад сет*", "групп* объявлени*", "объявлени*", "аудитори*",
            "лукалайк*", "лукэлайк*", "look-alike*", "lookalike*", "campaign*", "ad set*", "adset*", "ad", "ads",
            "audience*", "пиксел*", "pixel*", "лендинг*", "landing*", "форм*", "form", "forms")
_CHANGE = ("измени*", "поменя*", "установи*", "постав*", "сделай", "выстав*", "задай", "обнови*", "добав*",
           "расширь", "сузь", "убери", "set", "change", "update", "make", "adjust", "add", "expand", "narrow")

CAPABILITIES: tuple[Capability, ...] = (
    Capability(
        "platform", "ads",
        ("яндекс*", "yandex",
         "vk", "вк", "вконтакт*", "vkontakte", "twitter", "твиттер*", "x ads", "linkedin", "линкедин*", "snapchat",
         "pinterest", "авито", "avito", "telegram ads", "телеграм ads", "mytarget", "майтаргет*"),
        ru="Этого я пока не умею: я вижу рекламу Meta (Facebook и Instagram), TikTok и Google Ads, другие площадки "
           "не подключены. Могу показать то же по ним — например, «Покажи кампании» или «Расход по всем площадкам».",
        en="I can't do that yet: I see Meta (Facebook and Instagram), TikTok and Google Ads; other platforms are not "
           "connected. I can show the same for those — e.g. “Show campaigns” or “Spend by platform”."),
    Capability(  # metric rules and alerts are understood first (`automation.py`); what is left is not a metric
        "rule", "ads",
        ("автоматическ*", "automatically", "автоматизац*", "автоматизир*", "automation", "automate"),
        ru="Этого я пока не умею: автоматизировать это действие. Могу создать правило по метрике — например, "
           "«Создай правило: если CPL адсета выше $40 за сутки — ставь его на паузу» — или предупреждение: "
           "«Предупреди, если расход за день больше $200».",
        en="I can't do that yet: automate this action. I can create a rule on a metric — e.g. “Create a rule: if "
           "an ad set's CPL is above $40 over a day, pause it” — or an alert: “Alert me if daily spend exceeds $200”."),
    Capability(
        "create", "ads",
        ("созда*", "заведи", "завести", "добав* нов*", "откр* нов*", "запусти* нов* кампани*", "нов* кампани*", "нов* адсет*", "нов* объявлени*", "нов* аудитори*",
         "create", "set up a new", "add a new", "open a new", "launch a new campaign", "new campaign*", "new ad set*", "new ad", "new audience*", "build a campaign"),
        with_=(*_OBJECTS, "направлени*", "direction*"),
        ru="Этого я пока не умею: создавать кампании, адсеты, объявления, направления и аудитории. Могу показать "
           "текущие кампании и направления, поменять бюджет существующего направления или поставить его на паузу.",
        en="I can't do that yet: I don't create campaigns, ad sets, ads, directions or audiences. I can show the "
           "current campaigns and directions, change an existing direction's budget or pause it."),
    Capability(
        "audience", "ads",
        ("аудитори*", "audience*", "lookalike*", "look-alike*", "лукалайк*", "лукэлайк*", "похожих на"),
        ru="Этого я пока не умею: работать с аудиториями (создавать, собирать похожие, менять). Могу показать "
           "адсеты и их результаты.",
        en="I can't do that yet: work with audiences (create, build lookalikes, change). I can show the ad sets "
           "and their results."),
    Capability(
        "schedule", "ads",
        ("кажд* утр*", "кажд* вечер*", "кажд* день", "кажд* дня", "кажд* недел*", "кажд* понедельник*", "кажд* час*",
         "ежедневно присыл*", "ежедневн* отчет*", "еженедельн*", "по расписани*", "присылай*", "присылать",
         "напоминай*", "напомни*", "every morning", "every evening", "every day", "every week", "every monday",
         "every hour", "each morning", "on a schedule", "завтра утр*", "завтра вечер*", "ночью", "на ночь",
         "по ночам", "по выходным", "tomorrow morning", "tomorrow evening", "at night", "overnight", "on weekends",
         "re:(?:в|at)\\s+\\d{1,2}[:.]\\d{2}", "re:at\\s+\\d{1,2}\\s*(?:am|pm)", "schedule it", "schedule a report", "scheduled report*",
         "remind me", "weekly report*",
         "daily report*", "send me a report", "send me the report", "send me reports"),
        ru="Этого я пока не умею: напоминания и действия в заданное время (например, паузы на ночь). Могу "
           "присылать отчёт по расписанию — «Каждое утро в 9 присылай расходы и лиды за вчера» — или сделать "
           "нужное сейчас.",
        en="I can't do that yet: reminders and actions at a set time (overnight pauses, say). I can send a report "
           "on a schedule — “Every morning at 9 send me yesterday's spend and leads” — or do it now."),
    Capability(
        "export", "ads",
        ("csv", "xlsx", "xls", "excel", "эксел*", "иксел*", "pdf", "пдф", "выгруз*", "экспорт*", "export*",
         "download", "скача*", "google sheet*", "гугл таблиц*", "таблиц*", "файл*", "file", "spreadsheet*"),
        ru="Этого я пока не умею: выгружать в PDF или Google Таблицы, или показывать и выгружать одним сообщением. "
           "Файл CSV или Excel делаю из последней показанной таблицы: напишите «выгрузи в CSV» или «выгрузи в Excel».",
        en="I can't do that yet: export to PDF or Google Sheets, or show and export in one message. I make a CSV or "
           "Excel file from the latest table shown: say “export to CSV” or “export to Excel”."),
    Capability(
        "account", "ads",
        ("друг* аккаунт*", "друг* кабинет*", "втор* аккаунт*", "втор* кабинет*", "все* аккаунт*", "все* кабинет*",
         "друг* рекламн* кабинет*", "друг* рекламн* аккаунт*", "втор* рекламн* кабинет*", "втор* рекламн* аккаунт*",
         "все* рекламн* кабинет*", "все* рекламн* аккаунт*", "переключи* на втор*", "переключи* на друг*",
         "переключи* на аккаунт*", "переключи* аккаунт*", "переключи* кабинет*", "аккаунт* клиент*",
         "кабинет* клиент*", "another account", "other account*", "another ad account", "other ad account*",
         "second account", "all accounts", "all ad accounts", "switch account*", "switch to account",
         "client's account"),
        ru="Этого я пока не умею: смотреть несколько кабинетов сразу или «другой» кабинет без названия. Могу "
           "переключиться на нужный — «Переключись на кабинет <название>» — или показать список: «Мои кабинеты».",
        en="I can't do that yet: look at several ad accounts at once, or at “another” one without its name. I can "
           "switch to the one you name — “Switch to account <name>” — or list them: “Show my ad accounts”."),
    Capability(
        "delete", "ads",
        ("удали*", "удалить", "удалите", "снеси", "архивир*", "заархивир*", "delete", "remove", "archive", "erase"),
        with_=(*_OBJECTS, "креатив*", "creative*", "направлени*", "direction*", "лид*", "lead*", "диалог*",
               "dialog*", "переписк*", "тест*", "test*"),
        ru="Этого я пока не умею: удалять объекты (кампанию можно заархивировать: «Заархивируй кампанию …»). Могу "
           "поставить кампанию, адсет, направление или креатив на паузу — с вашим подтверждением.",
        en="I can't do that yet: delete objects (a campaign can be archived: “Archive the campaign …”). I can pause "
           "a campaign, ad set, direction or creative — after your confirmation."),
    Capability(
        "copy", "ads",
        ("дублир*", "продублир*", "скопир*", "копир*", "клонир*", "duplicate", "copy", "clone"),
        with_=(*_OBJECTS, "креатив*", "creative*", "направлени*", "direction*"),
        ru="Этого я пока не умею: копировать кампании, адсеты или объявления. Могу показать их настройки "
           "и результаты.",
        en="I can't do that yet: duplicate campaigns, ad sets or ads. I can show their settings and results."),
    Capability(
        "targeting", "ads",
        ("таргетинг*", "targeting", "интересы", "interests", "placement*", "плейсмент*", "площадк*",
         "гео", "geo", "возраст*", "age", "ages"),
        with_=_CHANGE,
        ru="Этого я пока не умею: менять таргетинг, гео, возраст или плейсменты. Могу показать адсеты "
           "с их результатами.",
        en="I can't do that yet: change targeting, geo, age or placements. I can show the ad sets with their "
           "results."),
    Capability(
        "bid", "ads",
        ("ставк*", "bid", "bids", "bid cap", "cost cap", "биддинг*", "bidding", "стратеги* ставок"),
        ru="Этого я пока не умею: менять ставки и стратегии ставок. Могу поменять дневной бюджет направления "
           "или целевой CPL — с вашим подтверждением.",
        en="I can't do that yet: change bids or bid strategies. I can change a direction's daily budget or target "
           "CPL — after your confirmation."),
    Capability(
        "channel", "whatsapp",
        ("email*", "e-mail*", "емейл*", "имейл*", "письм*", "по почте", "на почту", "почтой", "смс", "sms", "telegram рассылк*",
         "рассылк* в телеграм*", "viber", "вайбер*", "звон*", "call them", "позвони*"),
        ru="Этого я пока не умею: писать клиентам по почте, SMS, в Viber или звонить — у меня только WhatsApp и "
           "Instagram Direct. Могу показать диалоги или подготовить рассылку — с вашим подтверждением.",
        en="I can't do that yet: email, SMS, Viber or calls — I only have WhatsApp and Instagram Direct. I can "
           "show the dialogs or prepare a broadcast — after your confirmation."),
    Capability(
        "generate", "creative",
        ("придумай*", "сгенерир*", "генерир*", "нарисуй*", "сочини*", "напиши текст*", "напиши рекламн*",
         "напиши объявлени*", "напиши креатив*", "напиши сценари*", "generate", "write an ad", "write ad copy",
         "write a script", "write copy", "draw", "design a", "come up with", "brainstorm"),
        ru="Этого я пока не умею: придумывать тексты, сценарии или картинки для рекламы. Могу показать лучшие "
           "креативы и их разбор — из них видно, что работает.",
        en="I can't do that yet: write ad copy, scripts or images. I can show the top creatives and their "
           "analysis — they show what works."),
    Capability(
        "transfer", "ads",
        ("перекин*", "перенеси бюджет*", "перенести бюджет*", "перераспредел*", "раздели* бюджет*",
         "распредели* бюджет*", "move budget", "move the budget", "shift budget", "shift the budget",
         "transfer budget", "transfer the budget", "reallocate", "redistribute", "split the budget"),
        ru="Этого я пока не умею: переносить бюджет между объектами одной командой. Могу поменять бюджет "
           "каждого направления отдельно — например, «Поставь бюджет направления Виниры $60».",
        en="I can't do that yet: move budget between objects in one step. I can change each direction's budget "
           "separately — e.g. “Set the Виниры direction budget to $60”."),
    Capability(
        "upload", "creative",
        ("загрузи*", "загрузить", "залей", "залить", "upload*", "нов* креатив* из", "нов* креатив* по ссылк*",
         "new creative from", "from this link", "по ссылке", "из ссылки"),
        ru="Этого я пока не умею: загружать новые креативы. Могу показать уже загруженные и запустить "
           "любой из них в направление — с вашим подтверждением.",
        en="I can't do that yet: upload new creatives. I can show the uploaded ones and launch any of them in a "
           "direction — after your confirmation."),
    Capability(
        "edit_ad", "ads",
        ("текст* объявлени*", "текст* реклам*", "ad text", "ad copy", "headline*", "заголов*", "описани* объявлени*",
         "креатив* в объявлени*", "creative in the ad", "ссылк* в объявлени*", "link in the ad"),
        with_=_CHANGE + ("замени*", "replace", "swap", "edit", "отредактир*", "перепиши"),
        ru="Этого я пока не умею: редактировать объявления (текст, заголовок, ссылку, креатив). Могу показать "
           "креативы и их результаты или запустить готовый креатив в направление.",
        en="I can't do that yet: edit ads (text, headline, link, creative). I can show the creatives and their "
           "results or launch a ready creative in a direction."),
    Capability(
        "competitors", "ads",
        ("конкурент*", "competitor*", "ad library", "библиотек* реклам*"),
        ru="Этого я пока не умею: смотреть рекламу конкурентов. Могу показать ваши кампании и креативы "
           "с их результатами.",
        en="I can't do that yet: look at competitors' ads. I can show your campaigns and creatives with their "
           "results."),
    Capability(
        "forecast", "ads",
        ("прогноз*", "спрогнозир*", "предскаж*", "forecast*", "predict*", "projection*", "как* будет прибыл*",
         "как* будет выручк*", "сколько заработаем", "сколько будет стоить", "will we earn", "will we make",
         "what will our"),
        ru="Этого я пока не умею: строить прогнозы. Могу показать динамику по дням за прошедший период — "
           "например, «Покажи расходы за 30 дней по дням».",
        en="I can't do that yet: forecasts. I can show the daily trend for a past period — e.g. “Show spend for the "
           "last 30 days by day”."),
)


# Refusals that describe the whole message: nothing in it is to be done piecemeal ("создай правило:
# если …, ставь на паузу" is not a pause).
WHOLE_MESSAGE = frozenset({"create", "rule", "schedule", "copy", "generate", "transfer", "audience", "upload"})


@dataclass(frozen=True)
class Refusal:
    key: str
    domain: str
    text: str


@cache
def _compiled() -> tuple[tuple[Capability, re.Pattern[str], re.Pattern[str] | None], ...]:
    return tuple((c, pattern(c.asks), pattern(c.with_) if c.with_ else None) for c in CAPABILITIES)


def refusal(text: str, lang: str) -> Refusal | None:
    """The first capability the (whole or partial) message asks for that the product does not have."""
    norm = normalise(text)
    for capability, asks, with_ in _compiled():
        if asks.search(norm) and (with_ is None or with_.search(norm)):
            return Refusal(capability.key, capability.domain, capability.ru if lang == "ru" else capability.en)
    return None


def is_refusal(text: str) -> bool:
    """Whether a reply is one of these refusals (its fixed opening)."""
    return text.startswith(("Этого я пока не умею", "I can't do that yet"))
