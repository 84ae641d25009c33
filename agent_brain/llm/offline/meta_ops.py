"""The offline model's reading of issue 16's Meta operations: building a campaign structure, copying a
campaign to another city, and (added by later parts) targeting, creatives, copy, audiences, exports.

Like `automation.py`, these requests are read as a whole message before the clause rules, which would
otherwise turn «Создай кампанию …, $50 в день» into the nearest budget change. Everything is taken from
the user's own words: quoted titles, capitalised place names after a preposition, money, an age range
and a gender. What is missing among the essentials (direction, city, budget, creatives) is asked for,
with the user's own directions or creatives as examples; nothing is invented.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Sequence
from typing import Any

from agent_brain.llm.base import Entity
from agent_brain.llm.offline.automation import Understood
from agent_brain.llm.offline.clause import Intent
from agent_brain.llm.offline.extract import _ATOMS, Scan, _atom, extract_money, extract_quoted, extract_stage
from agent_brain.llm.offline.text import normalise
from agent_brain.money import to_cents

TOOLS = ("planCampaignStructure", "planCampaignCopy", "archiveCampaign", "previewTargetingChange", "previewAdSetSettings",
         "writeAdCopy", "planCreativeAd", "getAdPreview", "listAudiences", "planLeadAudience", "planSiteAudience", "createLookalike", "deleteAudience",
         "exportTable", "planCreativeABTest")


def _rx(*alternatives: str) -> re.Pattern[str]:
    return re.compile(r"(?<!\w)(?:" + "|".join(alternatives) + r")", re.IGNORECASE)


_CREATE = _rx(r"созда\w*", r"сделай", r"заведи", r"собери", r"настрой", r"запусти\w* нов\w*", r"create", r"set up",
              r"build", r"make", r"launch a new", r"start a new")
_CAMPAIGN = _rx(r"кампани\w*", r"компани\w*", r"campaigns?\b")
_CREATE_CAMPAIGN = re.compile(r"(?<!\w)(?:(?:созда\w*|сделай|заведи|собери|create|set up|build|make)\s+(?:[\w-]+\s+){0,2}|"
                              r"(?:запусти\w*|launch|start)\s+(?:a\s+)?(?:нов\w+|new)\s+)(?:кампани|компани|campaign)",
                              re.IGNORECASE)  # «запусти кампанию X» resumes one: only «запусти новую …» creates
_RULE_WORDS = _rx(r"правил\w*", r"rules?\b", r"если", r"when(?:ever)?\b", r"\bif\b", r"alert", r"предупред\w*")
_COPY = _rx(r"скопир\w*", r"копи[юя]\b", r"продублир\w*", r"дублир\w*", r"клонир\w*", r"copy", r"duplicate", r"clone")
_PER_DAY = re.compile(r"(?<![\w$.,-])(\d{1,3}(?: \d{3})+|\d+)\s*(?:в день|в сутки|/\s*день|a day|per day|daily)")
_ARCHIVE = _rx(r"заархивир\w*", r"архивируй\w*", r"(?:отправь|перенеси|убери)\w* в архив\b", r"archive\b")
_TARGETING = _rx(r"таргет\w*", r"возраст\w*", r"гео\b", r"геогр\w*", r"аудитори\w* адсет\w*", r"targeting",
                 r"retarget\w*", r"\bages?\b", r"geo\b", r"gender", r"пол\b")
_CHANGE = _rx(r"помен\w*", r"измени\w*", r"сделай", r"постав\w*", r"сузь", r"расширь", r"переключи\w*", r"перевед\w*",
              r"change", r"set", r"make", r"narrow", r"switch", r"move", r"retarget")
_BID = _rx(r"ставк\w*", r"бид\b", r"bid", r"bids", r"бид[- ]?кап\w*", r"bid cap")
_COST_CAP = _rx(r"cost cap", r"кост[- ]?кап\w*", r"предельн\w* (?:цен|стоимост)\w*", r"целев\w* (?:цен|стоимост)\w* "
                r"(?:за )?(?:лид|результат|конверси)\w*")
_LIFETIME = _rx(r"на весь срок", r"за весь (?:срок|период)", r"lifetime", r"на всю кампанию", r"for the whole (?:run|flight)")
_END = _rx(r"до", r"по", r"until", r"till", r"through", r"end(?:s|ing)? on", r"окончани\w*(?: в)?", r"заканчива\w*",
           r"останов\w* (?:после|в)", r"on", r"after")
_RUN_UNTIL = _rx(r"дат\w* оконч\w*", r"окончани\w*", r"заканчива\w*", r"заверш\w*", r"останов\w*", r"работа\w*",
                 r"крути\w*", r"показыва\w*", r"end date", r"end(?:s|ing)?\b", r"stop", r"until", r"run\b", r"running")
_READ_WORDS = _rx(r"покажи\w*", r"сколько", r"какой", r"какие", r"расход\w*", r"show", r"how much", r"how many",
                  r"spend", r"what")
_START = _rx(r"начиная с", r"старт\w*", r"начало", r"с", r"from", r"starting", r"start(?:s|ing)? on")
_WRITE = _rx(r"напиши\w*", r"придумай\w*", r"сочини\w*", r"сгенерир\w*", r"подготов\w*", r"write", r"generate",
             r"come up with", r"draft")
_COPY_TEXT = _rx(r"текст\w*", r"вариант\w* (?:текст|объявлени|реклам)\w*", r"объявлени\w*", r"заголов\w*",
                 r"ad copy", r"copy\b", r"headlines?", r"ad texts?", r"variants? of (?:the )?(?:ad|text)")
_NUMBER_WORDS = {"два": 2, "две": 2, "три": 3, "четыре": 4, "пять": 5, "two": 2, "three": 3, "four": 4, "five": 5}
_COUNT = re.compile(r"(?<!\w)(\d|" + "|".join(_NUMBER_WORDS) + r")\s+(?:вариант|текст|объявлени|variant|version|option|"
                    r"ad text|ad cop|headline)", re.IGNORECASE)
_AD_OBJECT = _rx(r"объявлени\w*", r"креатив\w*", r"\bads?\b", r"creatives?\b")
_IMAGE = _rx(r"картинк\w*", r"изображени\w*", r"фото\w*", r"загруж\w*", r"images?\b", r"pictures?\b", r"photos?\b",
             r"upload\w*")
_ORDINALS = {"первого": 1, "второго": 2, "третьего": 3, "четвертого": 4, "пятого": 5, "first": 1, "second": 2,
             "third": 3, "fourth": 4, "fifth": 5}
_VARIANT = re.compile(r"(?:вариант\w*|variant|version|option)\s+(?:№\s*|no\.?\s*|#)?(\d|" + "|".join(_ORDINALS) + r")"
                      r"|(" + "|".join(_ORDINALS) + r")\s+(?:вариант\w*|variant|version|option)", re.IGNORECASE)
_URL = re.compile(r"https?://[^\s\"«»,;]+[^\s\"«»,;.!?)]")
_HASH = re.compile(r"(?<![0-9a-f])[0-9a-f]{32}(?![0-9a-f])")
_LABELS = {"primaryText": _rx(r"текст\w*", r"text", r"primary text"), "headline": _rx(r"заголов\w*", r"headline"),
           "description": _rx(r"описани\w*", r"description")}
_CTA_WORDS = (("SIGN_UP", _rx(r"записат\w*", r"запись", r"sign up", r"book")),
              ("WHATSAPP_MESSAGE", _rx(r"whatsapp", r"ватсап", r"вотсап")),
              ("CONTACT_US", _rx(r"связат\w*", r"contact us", r"contact")),
              ("GET_QUOTE", _rx(r"узнать цен\w*", r"get (?:a )?quote")),
              ("LEARN_MORE", _rx(r"подробнее", r"узнать больше", r"learn more")))
_CTA_CUE = _rx(r"кнопк\w*", r"button", r"cta", r"call to action", r"призыв\w*")
_AUDIENCE = _rx(r"аудитори\w*", r"audiences?\b")
_LOOKALIKE = _rx(r"lookalike\w*", r"look-alike\w*", r"лукалайк\w*", r"лукэлайк\w*", r"похож\w*", r"similar")
_FROM_CRM = _rx(r"лид\w*", r"клиент\w*", r"crm", r"срм", r"баз\w* клиент\w*", r"покупател\w*", r"leads?\b", r"customers?",
                r"buyers?", r"contacts?")
_LIST_AUDIENCES = re.compile(r"^\W*(?:покажи\s+|show\s+|list\s+|какие\s+|which\s+)?(?:мне\s+|me\s+)?(?:все\s+|all\s+)?"
                             r"(?:мои\s+|my\s+|у меня\s+)?(?:есть\s+)?(?:custom\s+)?(?:аудитори\w*|audiences)"
                             r"(?:\s+(?:у меня|есть|do i have|are there))*\W*$", re.I)
_DELETE = _rx(r"удали\w*", r"delete", r"remove")
_TEMPERATURE = (("hot", _rx(r"горяч\w*", r"hot")), ("warm", _rx(r"т[её]пл\w*", r"warm")),
                ("cold", _rx(r"холодн\w*", r"cold")))
_AUDIENCE_NAME = re.compile(r"(?:аудитори\w*|audience)\s+(?!из\b|from\b|по\b|of\b|на\b)([^\s,.!?][^,.!?]*)", re.I)
_PERCENT = re.compile(r"(\d{1,2})\s*%")
_PREVIEW = _rx(r"превью", r"предпросмотр\w*", r"предварительн\w* просмотр\w*", r"previews?\b", r"как выглядит",
               r"how does")
_PREVIEW_FORMATS = (("INSTAGRAM_STORY", _rx(r"сторис", r"stor(?:y|ies)")), ("INSTAGRAM_REELS", _rx(r"рилс", r"reels?")),
                    ("INSTAGRAM_STANDARD", _rx(r"инстаграм\w*", r"instagram")),
                    ("DESKTOP_FEED_STANDARD", _rx(r"десктоп\w*", r"компьютер\w*", r"desktop")))
_AD_NAMED = re.compile(r"(?:объявлени\w*|(?<!\w)ad)\s+(?!в\b|in\b|for\b|на\b|on\b)(.+?)\s*(?:(?:в|для|на|in|for|on)\s+"
                       r"(?:the\s+)?(?:инстаграм|instagram|сторис|stor|ленте|ленту|feed|десктоп|desktop|компьютер|reels|"
                       r"рилс|mobile|мобильн)\w*.*)?(?:\s+look\w*)?[?.!]*$", re.IGNORECASE)
_HIGH_DEMAND = re.compile(r"(?<!\w)(?:пиков\w*|повышенн\w* спрос\w*|high[- ]demand|peak)[^,;]*", re.IGNORECASE)
_SITE = _rx(r"сайт\w*", r"пиксел\w*", r"посетител\w*", r"website", r"site\b", r"pixel\w*", r"visitors?", r"visited")
_SITE_EVENTS = (("AddToCart", _rx(r"корзин\w*", r"add(?:ed)? to cart", r"cart")),
                ("InitiateCheckout", _rx(r"оформлени\w*", r"checkout")),
                ("Purchase", _rx(r"купил\w*", r"покупк\w*", r"purchas\w*", r"bought")),
                ("Schedule", _rx(r"записал\w*", r"booked", r"scheduled")),
                ("Lead", _rx(r"заявк\w*", r"лид\w*", r"leads?\b", r"форм\w*", r"forms?\b")),
                ("Contact", _rx(r"связал\w*", r"контакт\w*", r"contacted")),
                ("ViewContent", _rx(r"просмотр\w*", r"смотрел\w*", r"viewed", r"view content")))
_DAYS = re.compile(r"(\d{1,3})\s*(?:дн\w*|день|сут\w*|days?\b|d\b)", re.I)
_MONTHS = re.compile(r"(?:(\d{1,2})\s*)?(?:месяц\w*|мес\b|months?\b)", re.I)
_WEEKS = re.compile(r"(?:(\d{1,2})\s*)?(?:недел\w*|weeks?\b)", re.I)
_PAGE_TEXT = re.compile(r"(?:страниц\w*|url|адрес\w*|pages?)\s+(?:с|со|содерж\w*|где есть|contain\w*|with)\s+"
                        r"[«\"']?([^\s«»\"',]+)", re.I)
_EXPORT = _rx(r"выгруз\w*", r"экспорт\w*", r"скача\w*", r"export\w*", r"download")
_AB_TEST = _rx(r"a/b", r"ab[- ]?тест\w*", r"аб[- ]?тест\w*", r"ab[- ]?test\w*", r"сплит[- ]?тест\w*", r"split[- ]?test\w*")
_LAUNCH = _rx(r"запусти\w*", r"сделай", r"создай", r"собери", r"настрой", r"run", r"start", r"launch", r"set up", r"create")
_SHOW = _rx(r"покажи\w*", r"show", r"дай\b", r"give me")
_XLSX = _rx(r"xlsx", r"xls", r"excel", r"эксел\w*", r"иксел\w*")
_NOT_EXPORTED = _rx(r"pdf", r"пдф", r"google", r"гугл\w*", r"sheets?\b")
_TOPIC = _rx(r"лид\w*", r"leads?\b", r"расход\w*", r"spend", r"кампани\w*", r"campaigns?", r"креатив\w*", r"creatives?",
             r"отч[её]т\w*", r"report", r"статистик\w*", r"stats", r"диалог\w*", r"dialogs?")
_FEMALE = _rx(r"женщин\w*", r"девушк\w*", r"women", r"female", r"females")
_MALE = _rx(r"мужчин\w*", r"парн\w*", r"(?<!wo)men\b", r"male", r"males")
_AGES = re.compile(r"(?<![\d$.,])(\d{2})\s*-\s*(\d{2})(?![\d$%])|от\s+(\d{2})\s+до\s+(\d{2})\s*(?:лет|год)|"
                   r"aged?\s+(\d{2})\s+to\s+(\d{2})")
_CREATIVE_CUE = _rx(r"креатив\w*", r"creatives?\b", r"с роликами", r"with the videos")
# A place: a capitalised word (or two) right after a preposition of place.
_PLACE = re.compile(r"(?<!\w)(?:в|во|на|по|in|for|to)\s+(?:город[еау]?\s+|city\s+(?:of\s+)?)?"
                    r"([A-ZА-ЯЁ][\w-]+(?:\s+[A-ZА-ЯЁ][\w-]+)?)")


def _stem(word: str) -> str:
    return word[: max(4, len(word) - 2)]


def _named(text: str, entities: dict[str, Sequence[Entity]], kind: str) -> list[tuple[Entity, int, int]]:
    """Objects of `kind` the (normalised) text names, longest names first, by their name or its stem."""
    found: list[tuple[Entity, int, int]] = []
    for e in sorted(entities.get(kind, ()), key=lambda e: -len(e.name)):
        name = normalise(e.name)
        at = text.find(name)
        if at < 0 and " " not in name and len(name) >= 5:
            m = re.search(r"(?<!\w)" + re.escape(_stem(name)) + r"\w*", text)
            at = m.start() if m else -1
            end = m.end() if m else -1
        else:
            end = at + len(name)
        if at >= 0 and not any(a <= at < b for _, a, b in found):
            found.append((e, at, end))
    return found


def _blank(text: str, spans: Sequence[tuple[int, int]]) -> str:
    chars = list(text)
    for a, b in spans:
        for i in range(max(0, a - 1), min(len(chars), b + 1)):
            chars[i] = " "
    return "".join(chars)


def _places(original: str, skip: Sequence[tuple[int, int]]) -> list[str]:
    text = _blank(original, skip)
    return list(dict.fromkeys(m.group(1) for m in _PLACE.finditer(text)))


def _ages(text: str) -> tuple[int, int] | None:
    m = _AGES.search(text)
    if not m:
        return None
    a, b = (int(g) for g in m.groups() if g is not None)
    return (min(a, b), max(a, b)) if min(a, b) >= 13 and max(a, b) <= 65 else None


def understand(message: str, lang: str, entities: dict[str, Sequence[Entity]], today: dt.date,
               available: set[str], history: Sequence[dict[str, Any]] = ()) -> Understood | None:
    """Intents (or a question) for a Meta operation, or None when the message is not one. `history`: the
    conversation's messages, where «вариант 2» finds the copy variants shown before."""
    text = normalise(message)
    ru = lang == "ru"
    variants = _copy_variants(history) if _VARIANT.search(text) else []

    def creative_ad(*a: Any) -> Understood | None:
        return _creative_ad(*a, variants=variants)

    for reader in (_ab_structure, _export, _audiences, _archive, _copy, _preview, creative_ad, _create, _settings, _targeting,
                   _ad_copy):
        found = reader(text, message, ru, entities, today)
        if found is not None and all(i.tool in available for i in found.intents) and (
                found.intents or found.about in available):
            return found
    return None


# ── «Создай кампанию …» ───────────────────────────────────────────────────────────────────────


def _create(text: str, original: str, ru: bool, entities: dict[str, Sequence[Entity]],
            today: dt.date) -> Understood | None:
    if not _CREATE_CAMPAIGN.search(text) or _COPY.search(text) or _RULE_WORDS.search(text):
        return None
    quoted = extract_quoted(text)
    directions = [(e, a, b) for e, a, b in _named(_blank(text, quoted), entities, "direction")]
    args: dict[str, Any] = {}
    if directions:
        args["direction"] = directions[0][0].name
    cue = _CREATIVE_CUE.search(text)
    titles = [original[a:b].strip() for a, b in quoted if cue and a > cue.start()]
    if not titles and cue:  # unquoted creative names the user has
        titles = [e.name for e, a, _ in _named(text, entities, "creative") if a > cue.start()]
    if titles:
        args["creatives"] = titles
    peak = _HIGH_DEMAND.search(_blank(text, quoted))  # «в пиковые дни с 20 по 25 декабря +$30 в день»
    skip = [*quoted, *((a, b) for _, a, b in directions), *((peak.span(),) if peak else ())]
    places = _places(original, skip)
    if places:
        args["cities"] = places
    if peak:
        start, end = _span_ahead(peak.group(0), today)
        extra = extract_money(Scan(peak.group(0)))
        if start and end and extra:
            args["highDemandPeriods"] = [{"start": start.isoformat(), "end": end.isoformat(),
                                          "extraDailyBudgetCents": extra[0].cents}]
        quoted = sorted([*quoted, peak.span()])  # the period is not the campaign's own dates or budget
    money = extract_money(Scan(_blank(text, quoted)))
    per_day = _PER_DAY.search(_blank(text, quoted))
    lifetime = _LIFETIME.search(text)
    if money and lifetime:  # «$1500 на весь срок до 31 декабря»: a lifetime budget with an end date
        args["lifetimeBudgetCents"] = money[0].cents
    elif money:
        args["dailyBudgetCents"] = money[0].cents
    elif per_day:  # «5000 в день» without a currency: the account's own
        args["dailyBudgetCents"] = to_cents(per_day.group(1).replace(" ", ""))
    unquoted = _blank(text, quoted)
    end = _date_after(unquoted, _END, today)
    if end is not None:
        args["endDate"] = end.isoformat()
        start = _date_after(unquoted, _START, today)
        if start is not None and start < end:
            args["startDate"] = start.isoformat()
    ages = _ages(_blank(text, quoted))
    if ages:
        args["ageMin"], args["ageMax"] = ages
    gender = "female" if _FEMALE.search(text) else "male" if _MALE.search(text) else None
    if gender:
        args["gender"] = gender
    budget = "lifetimeBudgetCents" if lifetime else "dailyBudgetCents"
    missing = [(ru_, en) for key, ru_, en in (("direction", "направление", "the direction"),
                                                ("cities", "город", "the city"),
                                                (budget, "бюджет на весь срок" if lifetime else "дневной бюджет",
                                                 "the lifetime budget" if lifetime else "the daily budget"),
                                                *((("endDate", "дату окончания", "the end date"),) if lifetime else ()),
                                                ("creatives", "креативы", "the creatives")) if key not in args]
    if missing:
        return Understood(questions=[_question(missing, args, entities, ru)], about="planCampaignStructure")
    return Understood(intents=[Intent("planCampaignStructure", args)])


_SAME_MONTH = re.compile(r"(?:с|from)?\s*(\d{1,2})\s*(?:по|до|-|–|to|through|until)\s*\d{1,2}\s+\w+", re.IGNORECASE)


def _span_ahead(segment: str, today: dt.date) -> tuple[dt.date | None, dt.date | None]:
    """«с 20 по 25 декабря» / «from December 20 to December 25» ahead of today: (first day, last day)."""
    cue = _rx(r"по", r"до", r"to", r"through", r"until", r"-", r"–")
    end = _date_after(segment, cue, today)
    start = _date_after(segment, _rx(r"с", r"from"), today)
    short = _SAME_MONTH.search(segment)
    if end is not None and (start is None or start > end) and short:
        try:
            start = end.replace(day=int(short.group(1)))
        except ValueError:
            start = None
    return (start, end) if start and end and start <= end else (None, None)


def _question(missing: list[tuple[str, str]], args: dict[str, Any], entities: dict[str, Sequence[Entity]],
              ru: bool) -> str:
    need = ", ".join(ru_ if ru else en for ru_, en in missing)
    examples = []
    if "direction" not in args:
        names = ", ".join(f"«{e.name}»" for e in list(entities.get("direction", ()))[:6])
        if names:
            examples.append(("Направления: " if ru else "Directions: ") + names + ".")
    if "creatives" not in args and "direction" in args:
        stem = _stem(normalise(str(args["direction"])))
        own = [e for e in entities.get("creative", ()) if stem in normalise(e.name)]
        names = ", ".join(f"«{e.name}»" for e in (own or list(entities.get("creative", ())))[:6])
        if names:
            examples.append(("Креативы: " if ru else "Creatives: ") + names + ".")
    head = (f"Чтобы собрать кампанию, укажите {need}. Например: «Создай кампанию на направление Виниры в Казани, "
            "$50 в день, женщины 25-45, креативы «Виниры: до и после» и «Голливудская улыбка»»." if ru else
            f"To build the campaign, tell me {need}. For example: “Create a campaign for the Виниры direction in "
            "Kazan, $50 a day, women 25-45, creatives “Виниры: до и после” and “Голливудская улыбка””.")
    return " ".join([head, *examples])


# ── «Заархивируй кампанию Виниры Казань» (also how a created structure is undone) ──────────────


def _archive(text: str, original: str, ru: bool, entities: dict[str, Sequence[Entity]],
             today: dt.date) -> Understood | None:
    if not _ARCHIVE.search(text):
        return None
    campaigns = _named(text, entities, "campaign")
    if len(campaigns) != 1:
        return None if not _CAMPAIGN.search(text) else Understood(questions=[
            "Какую кампанию заархивировать? Назовите её." if ru else "Which campaign should I archive? Name it."],
            about="archiveCampaign")
    return Understood(intents=[Intent("archiveCampaign", {"campaignId": campaigns[0][0].id})])


# ── targeting and delivery settings of an ad set ─────────────────────────────────────────────


def _one_adset(text: str, entities: dict[str, Sequence[Entity]]) -> tuple[Entity, int, int] | None:
    found = _named(text, entities, "adset")
    return found[0] if len(found) == 1 else None


def _targeting(text: str, original: str, ru: bool, entities: dict[str, Sequence[Entity]],
               today: dt.date) -> Understood | None:
    if not (_TARGETING.search(text) and _CHANGE.search(text)):
        return None
    named = _one_adset(text, entities)
    if named is None:
        return None  # a campaign's or a direction's targeting: not here (the refusal says so)
    adset, a, b = named
    rest = _blank(text, [(a, b)])
    args: dict[str, Any] = {"adsetId": adset.id}
    ages = _ages(rest)
    if ages:
        args["ageMin"], args["ageMax"] = ages
    if _FEMALE.search(rest):
        args["gender"] = "female"
    elif _MALE.search(rest):
        args["gender"] = "male"
    elif _rx(r"все(?:х)? пол", r"мужчин\w* и женщин\w*", r"all genders", r"men and women").search(rest):
        args["gender"] = "all"
    places = _places(original, [(a, b)])
    if places:
        args["cities"] = places
    if len(args) == 1:
        return Understood(questions=[
            f"Что поменять в таргетинге адсета «{adset.name}»: возраст (например, 30-50), пол или город?" if ru else
            f"What should change in the targeting of “{adset.name}”: the age range (e.g. 30-50), gender or city?"],
            about="previewTargetingChange")
    return Understood(intents=[Intent("previewTargetingChange", args)])


def _date_after(text: str, cue: re.Pattern[str], today: dt.date) -> dt.date | None:
    """The first date right after one of the cue words, in the future (a date without a year is the next one)."""
    for m in cue.finditer(text):
        tail = text[m.end():m.end() + 30]
        for kind, rx in _ATOMS:
            found = rx.match(tail.lstrip())
            if found:
                day = _atom(kind, found, today)
                # A year the user wrote keeps the date; «30 июня» (a 4-letter month is no year) is the next one.
                if day is not None and day < today and not any(
                        (g or "").isdigit() and len(g) == 4 for g in found.groups()):
                    day = day.replace(year=day.year + 1)
                return day
    return None


def _settings(text: str, original: str, ru: bool, entities: dict[str, Sequence[Entity]],
              today: dt.date) -> Understood | None:
    bid, cost_cap, lifetime = _BID.search(text), _COST_CAP.search(text), _LIFETIME.search(text)
    named = _one_adset(text, entities)
    rest = _blank(text, [(named[1], named[2])]) if named else text
    end = _date_after(rest, _END, today)
    if end is not None and not (bid or cost_cap or lifetime) and (not _RUN_UNTIL.search(rest) or _READ_WORDS.search(rest)):
        end = None  # «расходы адсета … по 15.05» is a period to read, not an end date
    if named is None or not (bid or cost_cap or lifetime or end):
        return None
    args: dict[str, Any] = {"adsetId": named[0].id}
    money = extract_money(Scan(rest))
    if cost_cap:
        args["bidStrategy"] = "COST_CAP"
    elif bid:
        args["bidStrategy"] = "LOWEST_COST_WITH_BID_CAP"
    if (bid or cost_cap) and money:
        args["bidAmountCents"] = money[0].cents
    elif lifetime and money:
        args["lifetimeBudgetCents"] = money[0].cents
    if end:
        args["endDate"] = end.isoformat()
    start = _date_after(rest, _START, today)
    if start and start != end:
        args["startDate"] = start.isoformat()
    if ("bidStrategy" in args and "bidAmountCents" not in args) or (lifetime and "lifetimeBudgetCents" not in args):
        return Understood(questions=[
            "Какую сумму поставить? Например: «ставка $5 на адсет …» или «бюджет $500 на весь срок до 31 декабря»."
            if ru else "What amount? For example: “bid cap $5 on the ad set …” or “$500 lifetime budget until "
                       "December 31”."], about="previewAdSetSettings")
    return Understood(intents=[Intent("previewAdSetSettings", args)])


# ── «Запусти A/B тест креативов X, Y, Z на Виниры, $60 в день» ─────────────────────────────────


def _ab_structure(text: str, original: str, ru: bool, entities: dict[str, Sequence[Entity]],
                  today: dt.date) -> Understood | None:
    if not (_AB_TEST.search(text) and _LAUNCH.search(text)):
        return None
    quoted = extract_quoted(text)
    titles = [original[a:b].strip() for a, b in quoted] or \
        [e.name for e, _, _ in sorted(_named(text, entities, "creative"), key=lambda x: x[1])]
    if len(titles) < 2:
        return None  # one creative: the single-creative test (startCreativeTest) reads it
    args: dict[str, Any] = {"creatives": titles[:5]}
    directions = _named(_blank(text, quoted), entities, "direction")
    if directions:
        args["direction"] = directions[0][0].name
    money = extract_money(Scan(_blank(text, quoted)))
    if money:
        args["dailyBudgetCents"] = money[0].cents
    missing = [(r, e) for key, r, e in (("direction", "направление", "the direction"),
                                        ("dailyBudgetCents", "дневной бюджет теста", "the test's daily budget"))
               if key not in args]
    if missing:
        need = ", ".join(r if ru else e for r, e in missing)
        return Understood(questions=[f"Для A/B теста укажите {need}." if ru else f"For the A/B test, tell me {need}."],
                          about="planCreativeABTest")
    return Understood(intents=[Intent("planCreativeABTest", args)])


# ── «Выгрузи это в CSV» ───────────────────────────────────────────────────────────────────────


def _export(text: str, original: str, ru: bool, entities: dict[str, Sequence[Entity]],
            today: dt.date) -> Understood | None:
    if not _EXPORT.search(text) or _NOT_EXPORTED.search(text) or _SHOW.search(text):
        return None  # «покажи … и выгрузи»: the data is shown, the export part is answered by the refusal
    fmt = "xlsx" if _XLSX.search(text) else "csv"
    if _TOPIC.search(text):  # the file is made from a table already shown: show it first, then export it
        return Understood(questions=[
            f"Я выгружаю последнюю показанную таблицу. Сначала покажите нужные данные (например, «Покажи лиды» или "
            f"«Покажи расходы за неделю по кампаниям»), затем напишите «выгрузи в {fmt.upper()}»." if ru else
            f"I export the latest table shown. Show the data first (e.g. “Show leads” or “Show spend for the last 7 "
            f"days by campaign”), then say “export to {fmt.upper()}”."], about="exportTable")
    return Understood(intents=[Intent("exportTable", {"format": fmt})])


# ── audiences: from CRM leads, lookalikes, list, delete ─────────────────────────────────────────


def _audience_name(text: str, original: str) -> str | None:
    quoted = extract_quoted(text)
    if quoted:
        a, b = quoted[-1]
        return original[a:b].strip()
    m = _AUDIENCE_NAME.search(original)
    return m.group(1).strip() if m else None


def _audiences(text: str, original: str, ru: bool, entities: dict[str, Sequence[Entity]],
               today: dt.date) -> Understood | None:
    if _LIST_AUDIENCES.match(text):
        return Understood(intents=[Intent("listAudiences", {})])
    if not _AUDIENCE.search(text) and not _LOOKALIKE.search(text):
        return None
    if _DELETE.search(text) and _AUDIENCE.search(text):
        name = _audience_name(text, original)
        if not name:
            return Understood(questions=["Какую аудиторию удалить? Назовите её." if ru else
                                         "Which audience should I delete? Name it."], about="deleteAudience")
        return Understood(intents=[Intent("deleteAudience", {"audience": name})])
    if not _CREATE.search(text) and not _rx(r"заведи", r"собери", r"построй").search(text):
        return None
    if _LOOKALIKE.search(text):
        m = re.search(r"(?:из|на основе|по|from|based on|of)\s+(?:the\s+|my\s+)?(?:аудитори\w*|audience)\s+(.+?)\s*$",
                      original, re.I)
        quoted = extract_quoted(text)
        source = original[quoted[0][0]:quoted[0][1]] if quoted else (m.group(1).strip(" «»\"'.") if m else None)
        if not source:
            return Understood(questions=[
                "Из какой аудитории сделать похожую? Сначала можно собрать аудиторию из лидов CRM: «Создай аудиторию "
                "из горячих лидов», затем «Сделай лукалайк 1% из аудитории …»." if ru else
                "Which audience should the lookalike come from? You can first build one from CRM leads: “Create an "
                "audience from hot leads”, then “Create a 1% lookalike from the audience …”."], about="createLookalike")
        args: dict[str, Any] = {"audience": source}
        percent = _PERCENT.search(text)
        if percent:
            args["ratioPercent"] = max(1, min(20, int(percent.group(1))))
        return Understood(intents=[Intent("createLookalike", args)])
    if _SITE.search(text):
        return _site_audience(text, original, ru)
    if not _FROM_CRM.search(text):
        return None
    args = {}
    for key, rx in _TEMPERATURE:
        if rx.search(text):
            args["temperature"] = key
            break
    if _rx(r"этап\w*", r"стади\w*", r"stage").search(text):
        stage = extract_stage(text, original)
        if stage:
            args["stage"] = stage
    directions = _named(text, entities, "direction")
    if directions:
        args["direction"] = directions[0][0].name
    return Understood(intents=[Intent("planLeadAudience", args)])


def _site_audience(text: str, original: str, ru: bool) -> Understood:
    """«Создай аудиторию посетителей сайта за 30 дней», «… из пикселя: кто оставил заявку за 90 дней»."""
    args: dict[str, Any] = {}
    event = next((code for code, rx in _SITE_EVENTS if rx.search(text)), None)
    if event:
        args["event"] = event
    days = _DAYS.search(text)
    months, weeks = _MONTHS.search(text), _WEEKS.search(text)
    if days:
        args["retentionDays"] = int(days.group(1))
    elif months:
        args["retentionDays"] = 30 * int(months.group(1) or 1)
    elif weeks:
        args["retentionDays"] = 7 * int(weeks.group(1) or 1)
    elif _rx(r"год\w*", r"лет\b", r"years?\b").search(text):
        args["retentionDays"] = 365
    if not 1 <= args.get("retentionDays", 30) <= 180:
        return Understood(questions=[
            "Meta держит людей в аудитории сайта от 1 до 180 дней. За сколько дней собрать?" if ru else
            "Meta keeps people in a site audience for 1 to 180 days. How many days?"], about="planSiteAudience")
    page = _PAGE_TEXT.search(original)
    if page:
        args["urlContains"] = page.group(1).strip(" «»\"'.")
    return Understood(intents=[Intent("planSiteAudience", args)])


# ── «Создай объявление из загруженной картинки в адсете …: текст «…», заголовок «…», ссылка …» ──────


def _copy_variants(history: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """The variants of the latest writeAdCopy result in the conversation (its own output, shown to the user)."""
    names: dict[str, str] = {}
    for message in history:
        for call in message.get("tool_calls") or []:
            fn = call.get("function", call)
            names[str(call.get("id"))] = str(fn.get("name"))
    for message in reversed(history):
        if message.get("role") == "tool" and names.get(str(message.get("tool_call_id"))) == "writeAdCopy":
            content: Any = message.get("content")
            if isinstance(content, str):
                try:
                    content = json.loads(content or "{}")
                except ValueError:
                    return []
            variants = content.get("variants") if isinstance(content, dict) else None
            return [v for v in variants or [] if isinstance(v, dict)]
    return []


def _preview(text: str, original: str, ru: bool, entities: dict[str, Sequence[Entity]],
             today: dt.date) -> Understood | None:
    """«Покажи превью объявления «Виниры: до и после» в инстаграме», «show the preview of the ad …»."""
    if not (_PREVIEW.search(text) and _AD_OBJECT.search(text)) or _CREATE.search(text):
        return None
    quoted = extract_quoted(text)
    m = _AD_NAMED.search(original)
    name = original[quoted[0][0]:quoted[0][1]].strip() if quoted else (m.group(1).strip(" «»\"'") if m else None)
    if not name:
        return Understood(questions=["Превью какого объявления показать? Назовите его." if ru else
                                     "Which ad's preview should I show? Name it."], about="getAdPreview")
    args: dict[str, Any] = {"ad": name}
    fmt = next((code for code, rx in _PREVIEW_FORMATS if rx.search(text)), None)
    if fmt:
        args["adFormat"] = fmt
    return Understood(intents=[Intent("getAdPreview", args)])


def _ad_from_image(text: str) -> bool:
    """«Создай объявление из загруженной картинки …», or a photo's caption naming an ad («объявление в адсете …»
    with the uploaded image's hash after it, as the Telegram photo handler passes it)."""
    return bool((_CREATE.search(text) or _HASH.search(text)) and _AD_OBJECT.search(text)
                and (_IMAGE.search(text) or _VARIANT.search(text)) and not _CAMPAIGN.search(text))


def _creative_ad(text: str, original: str, ru: bool, entities: dict[str, Sequence[Entity]],
                 today: dt.date, *, variants: Sequence[dict[str, Any]] = ()) -> Understood | None:
    variant = _VARIANT.search(text)
    if not _ad_from_image(text):
        return None
    args: dict[str, Any] = {}
    if variant:
        word = (variant.group(1) or variant.group(2) or "").lower()
        n = int(word) if word.isdigit() else _ORDINALS.get(word, 0)
        if not 1 <= n <= len(variants):
            return Understood(questions=[
                f"Не вижу варианта {n or ''} среди последних текстов. Напишите «напиши 3 варианта текста для …», затем "
                "«создай объявление из варианта 2 в адсете …, ссылка …»." if ru else
                f"I don't see variant {n or ''} among the latest copy. Say “write 3 ad texts for …”, then “create an "
                "ad from variant 2 in the ad set …, link …”."], about="planCreativeAd")
        chosen = variants[n - 1]
        args.update(primaryText=chosen.get("primary_text"), headline=chosen.get("headline"))
        if chosen.get("description"):
            args["description"] = chosen["description"]
    named = _one_adset(text, entities)
    if named is not None:
        args["adsetId"] = named[0].id
    quoted = extract_quoted(text)
    for key, label in _LABELS.items():
        for m in label.finditer(text):
            after = [(a, b) for a, b in quoted if 0 <= a - m.end() <= 4]
            if after:
                args[key] = original[after[0][0]:after[0][1]].strip()
                break
    url = _URL.search(original)
    if url:
        args["link"] = url.group(0)
    image = _HASH.search(text)
    if image:
        args["imageHash"] = image.group(0)
    cue = _CTA_CUE.search(text)
    if cue:
        tail = text[cue.end():cue.end() + 40]
        cta = next((code for code, rx in _CTA_WORDS if rx.search(tail)), None)
        if cta:
            args["callToAction"] = cta
    missing = [(ru_, en) for key, ru_, en in (("adsetId", "адсет", "the ad set"), ("primaryText", "текст", "the text"),
                                                ("headline", "заголовок", "the headline"), ("link", "ссылку", "the link"))
               if key not in args]
    if missing:
        need = ", ".join(r if ru else e for r, e in missing)
        return Understood(questions=[
            f"Для объявления укажите {need}. Например: «Создай объявление из загруженной картинки в адсете Москва 25-45: "
            "текст «…», заголовок «…», ссылка https://…, кнопка «Записаться»»." if ru else
            f"For the ad, tell me {need}. For example: “Create an ad from the uploaded image in the ad set Москва "
            "25-45: text “…”, headline “…”, link https://…, button “Sign up””."], about="planCreativeAd")
    return Understood(intents=[Intent("planCreativeAd", args)])


# ── «Напиши 3 варианта текста для Виниры» ─────────────────────────────────────────────────────


def _ad_copy(text: str, original: str, ru: bool, entities: dict[str, Sequence[Entity]],
             today: dt.date) -> Understood | None:
    if not (_WRITE.search(text) and _COPY_TEXT.search(text)):
        return None
    directions = _named(text, entities, "direction")
    if not directions:
        names = ", ".join(f"«{e.name}»" for e in list(entities.get("direction", ()))[:6])
        return Understood(questions=[
            f"Для какого направления написать текст? {names}." if ru else
            f"Which direction is the copy for? {names}."], about="writeAdCopy")
    args: dict[str, Any] = {"direction": directions[0][0].name, "language": "ru" if ru else "en"}
    m = _COUNT.search(text)
    if m:
        word = m.group(1).lower()
        args["count"] = max(1, min(5, int(word) if word.isdigit() else _NUMBER_WORDS[word]))
    return Understood(intents=[Intent("writeAdCopy", args)])


# ── «Скопируй Виниры СПб на Казань» ───────────────────────────────────────────────────────────


def _copy(text: str, original: str, ru: bool, entities: dict[str, Sequence[Entity]],
          today: dt.date) -> Understood | None:
    if not _COPY.search(text):
        return None
    campaigns = _named(text, entities, "campaign")
    if not campaigns:
        return None  # an ad set, an ad, a creative: not copied here (the refusal says so)
    campaign, a, b = campaigns[0]
    places = _places(original, [(a, b), *extract_quoted(text)])
    args: dict[str, Any] = {"campaign": campaign.name}
    if not places:
        return Understood(questions=[
            f"На какой город скопировать кампанию «{campaign.name}»? Например: «Скопируй {campaign.name} на Казань»."
            if ru else f"Which city should the copy of “{campaign.name}” target? For example: “Copy {campaign.name} "
                       "to Kazan”."], about="planCampaignCopy")
    args["city"] = places[0]
    money = extract_money(Scan(text))
    if money:
        args["dailyBudgetCents"] = money[0].cents
    return Understood(intents=[Intent("planCampaignCopy", args)])


def domain_of(message: str) -> str | None:
    """The agent for a message that is one of these operations as a whole («Создай кампанию … креативы …» names
    creatives but is the Ads agent's), for the classifier; None when it is not one."""
    text = normalise(message)
    if _EXPORT.search(text) and not _NOT_EXPORTED.search(text):
        return "ads"  # exports of any table are the Ads agent's tool
    if _AB_TEST.search(text) and _LAUNCH.search(text) and len(extract_quoted(text)) >= 2:
        return "ads"  # a test structure (a campaign of ad sets) is built by the Ads agent
    if _CREATE_CAMPAIGN.search(text) and not _COPY.search(text) and not _RULE_WORDS.search(text) or \
            _ARCHIVE.search(text) and _CAMPAIGN.search(text):
        return "ads"
    if _ad_from_image(text) or _PREVIEW.search(text) and _AD_OBJECT.search(text):
        return "creative"  # an ad from an uploaded image, or an ad's preview  # an ad from an uploaded image (and a copy variant shown before)
    if _LIST_AUDIENCES.match(text) or (_AUDIENCE.search(text) or _LOOKALIKE.search(text)) and (
            _CREATE.search(text) or _DELETE.search(text) or _rx(r"заведи", r"собери").search(text)):
        return "ads"  # audiences, even «из лидов» (a CRM word)
    if _WRITE.search(text) and _COPY_TEXT.search(text) and not _rx(r"клиент\w*", r"лид\w*", r"рассылк\w*",
                                                                      r"customers?", r"leads?\b").search(text):
        return "creative"  # «напиши текст объявления», not a message to customers
    if _COPY.search(text) and not _rx(r"креатив\w*", r"creatives?\b", r"лид\w*", r"leads?\b").search(text) and \
            _PLACE.search(message):
        return "ads"
    return None
