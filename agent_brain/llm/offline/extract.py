"""Values in a message: periods, money, percentages, phones, counts, scores, stages, temperatures,
statuses and the like.

Extractors run over a `Scan` of the normalised (and entity-masked) text in a fixed order —
phones, dates, periods, percentages, money, scores, counts — and each marks what it consumed,
so "за последние 10 дней" is a period and not a count of 10, and "+77001234567" is not money.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from agent_brain.llm.offline import lexicon
from agent_brain.money import to_cents

# ── the scan ──────────────────────────────────────────────────────────────────────────────────


class Scan:
    """A normalised text and which of its characters an extractor has already consumed."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.used = [False] * len(text)

    def find(self, regex: re.Pattern[str] | str) -> Iterator[re.Match[str]]:
        """Matches that touch no consumed character (the caller decides whether to `take`)."""
        rx = re.compile(regex) if isinstance(regex, str) else regex
        for m in rx.finditer(self.text):
            if not any(self.used[m.start():m.end()]):
                yield m

    def take(self, m: re.Match[str], group: int = 0) -> None:
        for i in range(m.start(group), m.end(group)):
            self.used[i] = True

    def first(self, regex: re.Pattern[str] | str, *, take: bool = True) -> re.Match[str] | None:
        for m in self.find(regex):
            if take:
                self.take(m)
            return m
        return None

    def word_before(self, pos: int) -> str:
        m = re.search(r"(\w+)\W*$", self.text[:pos])
        return m.group(1) if m else ""


# ── periods ───────────────────────────────────────────────────────────────────────────────────

PERIOD_NAMES = ("today", "yesterday", "last_7d", "last_14d", "last_30d", "this_month", "last_month", "last_90d")
_PRESET_DAYS = {7: "last_7d", 14: "last_14d", 30: "last_30d", 90: "last_90d"}


@dataclass(frozen=True)
class Period:
    name: str | None = None
    date_from: dt.date | None = None
    date_to: dt.date | None = None

    def args(self) -> dict[str, Any]:
        if self.name:
            return {"period": self.name}
        assert self.date_from and self.date_to
        return {"dateFrom": self.date_from.isoformat(), "dateTo": self.date_to.isoformat()}

    @classmethod
    def parse(cls, value: object) -> Period | None:
        """A focus value: a preset name or "YYYY-MM-DD:YYYY-MM-DD" / "YYYY-MM-DD..YYYY-MM-DD"."""
        if not isinstance(value, str):
            return None
        if value in PERIOD_NAMES:
            return cls(value)
        m = re.fullmatch(r"(\d{4}-\d{2}-\d{2})\s*(?::|\.\.|…|/)\s*(\d{4}-\d{2}-\d{2})", value.strip())
        if not m:
            return None
        try:
            a, b = dt.date.fromisoformat(m.group(1)), dt.date.fromisoformat(m.group(2))
        except ValueError:
            return None
        return cls(None, min(a, b), max(a, b))


_RU_MONTHS = (("январ", 1), ("феврал", 2), ("март", 3), ("апрел", 4), ("ма", 5), ("июн", 6), ("июл", 7),
              ("август", 8), ("сентябр", 9), ("октябр", 10), ("ноябр", 11), ("декабр", 12))
_EN_MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
MONTH = (r"(?:январ\w*|феврал\w*|март\w*|апрел\w*|ма[йяею]|июн\w*|июл\w*|август\w*|сентябр\w*|октябр\w*|"
         r"ноябр\w*|декабр\w*|january|february|march|april|june|july|august|september|october|november|"
         r"december|jan|feb|mar|apr|may|jun|jul|aug|sept|sep|oct|nov|dec)")
_ORD = r"(?:-?(?:го|е|ое|st|nd|rd|th))?"
_YEAR = r"(?:\s+(\d{4})(?:\s*(?:г\.?|года?))?)?"
_ATOMS = (
    ("iso", re.compile(r"(?<!\d)(\d{4})-(\d{1,2})-(\d{1,2})(?!\d)")),
    ("dmy", re.compile(r"(?<![\d.])(\d{1,2})\.(\d{2})(?:\.(\d{4}|\d{2}))?(?![\d%])")),
    ("slash", re.compile(r"(?<!\d)(\d{1,2})/(\d{1,2})/(\d{4}|\d{2})(?!\d)")),
    ("d_month", re.compile(rf"(?<!\w)(\d{{1,2}}){_ORD}\s+(?:of\s+)?({MONTH})(?!\w){_YEAR}")),
    ("month_d", re.compile(rf"(?<!\w)({MONTH})\s+(\d{{1,2}}){_ORD}(?!\w)(?:,?\s+(\d{{4}}))?")),
)
_DAY_RANGE = (
    # "с 1 по 15 марта", "1-15 марта", "from 1 to 15 March"
    re.compile(rf"(?<!\w)(?:с|from|between|между)?\s*(\d{{1,2}}){_ORD}\s*(?:по|до|-|to|and|и|till|until)\s*"
               rf"(\d{{1,2}}){_ORD}\s+(?:of\s+)?({MONTH})(?!\w){_YEAR}"),
    # "March 1-15", "March 1 to 15"
    re.compile(rf"(?<!\w)({MONTH})\s+(\d{{1,2}}){_ORD}\s*(?:-|to|through|until|till)\s*(\d{{1,2}}){_ORD}(?!\w)"
               r"(?:,?\s+(\d{4}))?"),
)
_CONNECTOR = re.compile(r"^\s*(?:по|до|-|to|till|until|through|and|и|\.\.\.?|…)\s*$")
_FROM = re.compile(r"(?:^|\W)(?:с|со|from|since|начиная с|starting)\s*$")
_MONTH_ALONE = re.compile(rf"(?<!\w)(?:(в|за|on|in|for|during)\s+)?({MONTH})(?!\w){_YEAR}")

_PRESETS = (
    ("this_week", re.compile(r"(?<!\w)(?:(?:на|за)\s+)?(?:этой|эту|текущей|текущую|this|current)\s+(?:недел\w*|week)")),
    ("last_14d", re.compile(r"(?<!\w)(?:2|две|двух|two)\s+(?:недел\w*|weeks?)(?!\w)|(?<!\w)fortnight")),
    ("last_7d", re.compile(r"(?<!\w)(?:недел\w*|week)(?!\w)")),
    ("this_month", re.compile(r"(?<!\w)(?:(?:этот|этом|этого|текущ\w+)\s+месяц\w*|this\s+month|current\s+month|"
                              r"month\s+to\s+date|mtd|с\s+начала\s+месяца)(?!\w)")),
    ("last_month", re.compile(r"(?<!\w)(?:(?:прошл\w+|предыдущ\w+)\s+месяц\w*|(?:last|previous|prior)\s+month)(?!\w)")),
    ("last_90d", re.compile(r"(?<!\w)(?:(?:3|три|трех|three)\s+(?:месяц\w*|months)|квартал\w*|quarter)(?!\w)")),
    ("last_30d", re.compile(r"(?<!\w)(?:месяц\w*|month)(?!\w)")),
    ("year", re.compile(r"(?<!\w)(?:(?:за|last|past)\s+)?(?:год|year|12\s+месяцев|12\s+months)(?!\w)")),
    ("today", re.compile(r"(?<!\w)(?:сегодня\w*|today)(?!\w)")),
    ("before_yesterday", re.compile(r"(?<!\w)(?:позавчера|day\s+before\s+yesterday)(?!\w)")),
    ("yesterday", re.compile(r"(?<!\w)(?:вчера\w*|yesterday)(?!\w)")),
)
_N_DAYS = re.compile(r"(?<!\w)(\d{1,3})\s*(?:дн\w*|день|days?|сут\w*|d)(?!\w)")
_N_WEEKS = re.compile(r"(?<!\w)(\d{1,2})\s*(?:недел\w*|weeks?)(?!\w)")
_N_MONTHS = re.compile(r"(?<!\w)(\d{1,2})\s*(?:месяц\w*|months?)(?!\w)")
_WORD_DAYS = {"семь": 7, "seven": 7, "десять": 10, "ten": 10, "тридцать": 30, "thirty": 30, "два": 2, "три": 3,
              "пять": 5, "five": 5, "three": 3, "two": 2}
_N_WORD_DAYS = re.compile(r"(?<!\w)(" + "|".join(_WORD_DAYS) + r")\s+(?:дн\w*|дня|days)(?!\w)")


def _month_number(word: str) -> int:
    for stem, n in _RU_MONTHS:
        if word.startswith(stem):
            return n
    return _EN_MONTHS.index(word[:3]) + 1


def _mkdate(year: int | None, month: int, day: int, today: dt.date) -> dt.date | None:
    """A date; without a year, the latest one not after today."""
    try:
        if year is not None:
            return dt.date(year if year > 99 else 2000 + year, month, day)
        d = dt.date(today.year, month, day)
        return d if d <= today else dt.date(today.year - 1, month, day)
    except ValueError:
        return None


def _atom(kind: str, m: re.Match[str], today: dt.date) -> dt.date | None:
    g = m.groups()
    if kind == "iso":
        return _mkdate(int(g[0]), int(g[1]), int(g[2]), today)
    if kind == "dmy":
        return _mkdate(int(g[2]) if g[2] else None, int(g[1]), int(g[0]), today)
    if kind == "slash":
        a, b, y = int(g[0]), int(g[1]), int(g[2])
        return _mkdate(y, b, a, today) or _mkdate(y, a, b, today)  # D/M/Y, else the US M/D/Y
    if kind == "d_month":
        return _mkdate(int(g[2]) if g[2] else None, _month_number(g[1]), int(g[0]), today)
    return _mkdate(int(g[2]) if g[2] else None, _month_number(g[0]), int(g[1]), today)


def _range(a: dt.date, b: dt.date) -> Period:
    if a > b:  # "с 25 декабря по 5 января" inferred the years apart
        a = a.replace(year=a.year - 1) if a.replace(year=a.year - 1) <= b else b
    return Period(None, a, b)


def _dates(scan: Scan, today: dt.date) -> Period | None:
    for rx in _DAY_RANGE:
        m = scan.first(rx)
        if m:
            g = m.groups()
            month_word, d1, d2, year = (g[2], g[0], g[1], g[3]) if rx is _DAY_RANGE[0] else (g[0], g[1], g[2], g[3])
            month = _month_number(month_word)
            end = _mkdate(int(year) if year else None, month, int(d2), today)
            start = _mkdate(end.year if end else None, month, int(d1), today) if end else None
            if start and end:
                return _range(start, end)
    atoms: list[tuple[re.Match[str], dt.date]] = []
    for kind, rx in _ATOMS:
        for m in scan.find(rx):
            d = _atom(kind, m, today)
            if d and not any(a.start() <= m.start() < a.end() or m.start() <= a.start() < m.end() for a, _ in atoms):
                atoms.append((m, d))
    atoms.sort(key=lambda x: x[0].start())
    if atoms:
        (m1, d1) = atoms[0]
        scan.take(m1)
        if len(atoms) > 1 and _CONNECTOR.match(scan.text[m1.end():atoms[1][0].start()]):
            scan.take(atoms[1][0])
            return _range(d1, atoms[1][1])
        if _FROM.search(scan.text[max(0, m1.start() - 14):m1.start()]):
            return Period(None, d1, today)
        return Period(None, d1, d1)
    for m in scan.find(_MONTH_ALONE):
        prep, word, year = m.groups()
        if word in ("may", "mar") and not prep and not year:
            continue  # "may" / "mar" alone are more likely English words than months
        scan.take(m)
        month = _month_number(word)
        if year is None and month == today.month:
            return Period("this_month")
        if year is None and month == (today.replace(day=1) - dt.timedelta(days=1)).month:
            return Period("last_month")
        first = _mkdate(int(year) if year else None, month, 1, today)
        if first is None:
            return None
        nxt = (first.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
        return Period(None, first, min(nxt - dt.timedelta(days=1), today))
    return None


def _days_back(n: int, today: dt.date) -> Period:
    """The last n full days, by the same rule as the presets (yesterday inclusive)."""
    if n in _PRESET_DAYS:
        return Period(_PRESET_DAYS[n])
    if n <= 1:
        return Period("yesterday") if n == 1 else Period("today")
    return Period(None, today - dt.timedelta(days=n), today - dt.timedelta(days=1))


def extract_period(scan: Scan, today: dt.date) -> Period | None:
    """The first period named in the text, or None."""
    found = _dates(scan, today)
    if found:
        return found
    for rx, unit in ((_N_DAYS, 1), (_N_WEEKS, 7), (_N_MONTHS, 30)):
        m = scan.first(rx)
        if m:
            return _days_back(int(m.group(1)) * unit, today)
    m = scan.first(_N_WORD_DAYS)
    if m:
        return _days_back(_WORD_DAYS[m.group(1)], today)
    for name, rx in _PRESETS:
        m = scan.first(rx)
        if not m:
            continue
        if name == "this_week":
            return Period(None, today - dt.timedelta(days=today.weekday()), today)
        if name == "year":
            return Period(None, today - dt.timedelta(days=365), today - dt.timedelta(days=1))
        if name == "before_yesterday":
            day = today - dt.timedelta(days=2)
            return Period(None, day, day)
        return Period(name)
    return None


# ── phones ────────────────────────────────────────────────────────────────────────────────────

# "+7 999 123-45-67", "+447700900123", and the Russian/Kazakh trunk forms "8 (700) 123 45 67", "79991234567".
_PHONE = re.compile(r"(?<![\w+])(\+\s?\d[\d\s\-()]{5,18}\d|8[\s\-(]*\d{3}[\s\-)]*\d{3}[\s\-]*\d{2}[\s\-]*\d{2}"
                    r"|7\d{10})(?!\d)")


def phone_spans(scan: Scan) -> list[tuple[str, int, int]]:
    """International numbers ("+7 999 123-45-67", "89991234567" → "+79991234567") with their spans."""
    found: list[tuple[str, int, int]] = []
    for m in scan.find(_PHONE):
        digits = re.sub(r"\D", "", m.group())
        if len(digits) == 11 and digits.startswith("8") and not m.group().startswith("+"):
            digits = "7" + digits[1:]
        if 7 <= len(digits) <= 15:
            scan.take(m)
            found.append(("+" + digits, m.start(), m.end()))
    return found


def extract_phones(scan: Scan) -> list[str]:
    return list(dict.fromkeys(p for p, _, _ in phone_spans(scan)))


# ── money and percentages ─────────────────────────────────────────────────────────────────────

NUM = r"\d{1,3}(?:[ ]\d{3})+(?:[.,]\d{1,2})?|\d+(?:[.,]\d{1,2})?"
_THOUSANDS = r"(?:k|к|тыс\.?|тысяч\w*)"
_CURRENCY_WORDS = (
    ("USD", r"\$|usd|долл\w*|бакс\w*|dollars?|bucks"),
    ("EUR", r"€|eur|евро|euros?"),
    ("RUB", r"₽|rub|rubles?|roubles?|руб\w*|р\.(?!\w)"),
    ("KZT", r"₸|kzt|тенге"),
    ("GBP", r"£|gbp|pounds?"),
    ("CENTS", r"cents?|цент\w*"),
)
_CUR = "|".join(f"(?P<{code}>{rx})" for code, rx in _CURRENCY_WORDS)
_MONEY_BEFORE = re.compile(rf"(?P<sym>[$€£₽₸])\s?(?P<num>{NUM})(?P<k>\s?{_THOUSANDS})?(?!\w)")
_MONEY_AFTER = re.compile(rf"(?<![\w.,])(?P<num>{NUM})(?P<k>\s?{_THOUSANDS})?\s?(?:{_CUR})(?!\w)")
_SYMBOLS = {"$": "USD", "€": "EUR", "£": "GBP", "₽": "RUB", "₸": "KZT"}
_BARE = re.compile(rf"(?<![\w.,$€£₽₸+#-])(?P<num>{NUM})(?P<k>\s?{_THOUSANDS})?(?![\w%.,])")
_PERCENT = re.compile(rf"(?<![\w.,])(?P<num>{NUM})\s?(?:%|процент\w*|percent|pct)(?!\w)")
_DOUBLE = re.compile(r"(?<!\w)(?:в\s+(?:2|два)\s+раза|вдвое|double|twice)(?!\w)")
_HALF = re.compile(r"(?<!\w)(?:вполовину|в\s+(?:2|два)\s+раза\s+меньше|half|halve)(?!\w)")


@dataclass(frozen=True)
class Money:
    cents: int
    currency: str | None  # None: no currency named (a bare number in a money context)
    relation: str  # "by" ("на 20$", "by $20"), "to" ("до 60", "to $60") or "" (plain)


def _amount(num: str, thousands: str | None) -> int:
    cents = to_cents(num.replace(" ", ""))
    return cents * 1000 if thousands else cents


def _relation(scan: Scan, pos: int) -> str:
    before = scan.word_before(pos)
    return {"на": "by", "by": "by", "до": "to", "to": "to"}.get(before, "")


def extract_money(scan: Scan, *, bare: bool = False) -> list[Money]:
    """Amounts with a currency ("$50", "5 000 руб", "50 долларов"); with `bare`, also plain numbers."""
    found: list[tuple[int, Money]] = []
    for m in list(scan.find(_MONEY_BEFORE)):
        scan.take(m)
        found.append((m.start(), Money(_amount(m["num"], m["k"]), _SYMBOLS[m["sym"]], _relation(scan, m.start()))))
    for m in list(scan.find(_MONEY_AFTER)):
        scan.take(m)
        code = next(c for c, _ in _CURRENCY_WORDS if m.group(c))
        cents = _amount(m["num"], m["k"])
        if code == "CENTS":
            found.append((m.start(), Money(cents // 100, None, _relation(scan, m.start()))))
        else:
            found.append((m.start(), Money(cents, code, _relation(scan, m.start()))))
    if bare and not found:
        for m in list(scan.find(_BARE)):
            scan.take(m)
            found.append((m.start(), Money(_amount(m["num"], m["k"]), None, _relation(scan, m.start()))))
    return [money for _, money in sorted(found, key=lambda x: x[0])]


def extract_percent(scan: Scan) -> float | None:
    """A relative change in percent (unsigned; "вдвое" → 100, "вполовину" → -50)."""
    m = scan.first(_PERCENT)
    if m:
        return float(m["num"].replace(" ", "").replace(",", "."))
    if scan.first(_HALF):
        return -50.0
    if scan.first(_DOUBLE):
        return 100.0
    return None


# ── scores and counts ─────────────────────────────────────────────────────────────────────────

_SCORE_WORD = r"(?:score|скор\w*|скоринг\w*|балл\w*|оценк\w*|rating|рейтинг\w*)"
_GE = r"(?:>=|≥|=>|от|не\s+ниже|не\s+меньше|at\s+least|min(?:imum)?|from)"
_GT = r"(?:>|выше|больше|более|above|over|greater\s+than|more\s+than|higher\s+than)"
_LE = r"(?:<=|≤|=<|до|не\s+выше|не\s+больше|at\s+most|max(?:imum)?|up\s+to)"
_LT = r"(?:<|ниже|меньше|менее|below|under|less\s+than|lower\s+than)"
_SCORE_RANGE = re.compile(rf"{_SCORE_WORD}\s*(?:от|from|between)\s*(\d{{1,3}})\s*(?:до|to|and|-)\s*(\d{{1,3}})")
_SCORE_BOUNDS = tuple(
    (kind, re.compile(rf"{_SCORE_WORD}\s*(?:[:=]\s*)?{op}\s*(\d{{1,3}})|{op}\s*(\d{{1,3}})\s*{_SCORE_WORD}"))
    for kind, op in (("ge", _GE), ("gt", _GT), ("le", _LE), ("lt", _LT))
)
_SCORE_PLUS = re.compile(rf"{_SCORE_WORD}\s*(\d{{1,3}})\s*\+")

_COUNTS = (
    re.compile(r"(?<!\w)(?:топ|top)[\s-]*(\d{1,3})(?!\d)"),
    re.compile(r"(?<![\w.,])(\d{1,3})\s+(?:сам\w+\s+)?(?:лучш\w*|худш\w*|best|worst|top|последн\w*|latest|recent|"
               r"новых|new)(?!\w)"),
    re.compile(r"(?<!\w)(?:последн\w*|last|latest|recent|первы\w*|first)\s+(\d{1,3})(?!\d)"),
    # "10 лидов", "3 самых плохих креатива", "5 most recent dialogs"
    re.compile(r"(?<![\w.,])(\d{1,3})\s+(?:[^\W\d]+\s+){0,2}?(?:лид\w*|заявк\w*|заявок|диалог\w*|креатив\w*|чат\w*|"
               r"lead\w*|dialog\w*|creative\w*|conversation\w*|сообщени\w*|messages)(?!\w)"),
)


def extract_scores(scan: Scan) -> tuple[int | None, int | None]:
    """(minScore, maxScore) from "score > 70", "скор от 50 до 80", "score 70+"; strict bounds are made inclusive."""
    m = scan.first(_SCORE_RANGE)
    if m:
        a, b = sorted((int(m.group(1)), int(m.group(2))))
        return a, b
    low = high = None
    for kind, rx in _SCORE_BOUNDS:
        m = scan.first(rx)
        if not m:
            continue
        value = int(m.group(1) or m.group(2))
        if kind == "ge":
            low = value
        elif kind == "gt":
            low = value + 1
        elif kind == "le":
            high = value
        else:
            high = value - 1
    m = scan.first(_SCORE_PLUS)
    if m and low is None:
        low = int(m.group(1))
    clamp = lambda v: None if v is None else max(0, min(100, v))  # noqa: E731
    return clamp(low), clamp(high)


def extract_count(scan: Scan) -> int | None:
    for rx in _COUNTS:
        m = scan.first(rx)
        if m:
            return int(m.group(1))
    return None


# ── vocabulary-based values ───────────────────────────────────────────────────────────────────

_GENERIC_STAGE = re.compile(r"(?<!\w)(?:на|в|to|into)\s+(?:этап|стадию|статус|the\s+stage|stage)\s+\"?([\w -]{2,40}?)\"?"
                            r"\s*(?:$|[.,;!?]|\s(?:и|and|потому|because))")


def lookup(table: str, text: str) -> str | None:
    """The key of the first entry of a lexicon table found in the text (by position)."""
    best: tuple[int, str] | None = None
    for key, rx in lexicon.compiled(table).items():
        m = rx.search(text)
        if m and (best is None or m.start() < best[0]):
            best = (m.start(), key)
    return best[1] if best else None


def extract_stage(text: str, original: str) -> str | None:
    """A funnel stage: a known one by its inflected forms, or whatever follows "на этап …"."""
    known = lookup("STAGES", text)
    if known:
        return known
    m = _GENERIC_STAGE.search(text)
    if m:
        raw = original[m.start(1):m.end(1)] if len(original) == len(text) else m.group(1)
        raw = raw.strip()
        return raw[:1].upper() + raw[1:] if raw else None
    return None


# Double quotes, or single ones that are not apostrophes ("'гарантия'", not "we're").
_QUOTED = re.compile(r"\"([^\"]{2,120})\"|(?<!\w)'([^']{2,120})'(?!\w)")
_REASON = re.compile(r"(?<!\w)(?:потому\s+что|так\s+как|т\.\s?к\.|because|since|due\s+to|из-за|причина:?)\s+(.{3,300})")


def extract_quoted(text: str) -> list[tuple[int, int]]:
    """Spans (inside the quotes) of quoted strings in a normalised text."""
    return [(m.start(1), m.end(1)) if m.group(1) is not None else (m.start(2), m.end(2))
            for m in _QUOTED.finditer(text)]


def extract_reason(text: str, original: str) -> str | None:
    m = _REASON.search(text)
    if not m:
        return None
    src = original if len(original) == len(text) else text
    return src[m.start(1):m.end(1)].strip(" .!")[:300] or None


_TAGS = re.compile(r"(?<!\w)(?:с\s+тег\w*|тег\w*|tagged|tags?|with\s+tags?)\s+\"?([\w:-]{2,40})\"?")


def extract_tags(text: str) -> list[str]:
    return [m.group(1) for m in _TAGS.finditer(text)]


@dataclass
class Values:
    """Everything extracted from one piece of text."""

    period: Period | None = None
    phones: list[str] = field(default_factory=list)
    phone_spans: list[tuple[str, int, int]] = field(default_factory=list)
    money: list[Money] = field(default_factory=list)
    percent: float | None = None
    min_score: int | None = None
    max_score: int | None = None
    count: int | None = None
    temperature: str | None = None
    status: str | None = None
    media: str | None = None
    metric: str | None = None
    group_by: str | None = None
    risk: str | None = None
    reason: str | None = None
    tags: list[str] = field(default_factory=list)
    rest: str = ""  # the text with every extracted value blanked out


def extract(text: str, original: str, today: dt.date, *, bare_money: bool = False) -> Values:
    """All values of a normalised, entity-masked text (`original`: the same text before lower-casing)."""
    scan = Scan(text)
    values = Values()
    values.phone_spans = phone_spans(scan)
    values.phones = list(dict.fromkeys(p for p, _, _ in values.phone_spans))
    values.period = extract_period(scan, today)
    values.percent = extract_percent(scan)
    values.min_score, values.max_score = extract_scores(scan)
    values.money = extract_money(scan)
    values.count = extract_count(scan)
    if bare_money and not values.money:
        values.money = extract_money(scan, bare=True)
    # Vocabulary look-ups skip what the numeric extractors consumed ("текущий месяц" is a period,
    # not the status "текущие").
    rest = "".join("#" if used else ch for ch, used in zip(text, scan.used, strict=True))
    values.temperature = lookup("TEMPERATURES", rest)
    values.status = lookup("STATUSES", rest)
    values.media = lookup("MEDIA", rest)
    values.metric = lookup("METRICS", rest)
    values.group_by = lookup("GROUP_BY", rest)
    values.risk = lookup("RISK", rest)
    values.reason = extract_reason(text, original)
    values.tags = extract_tags(text)
    values.rest = rest
    return values
