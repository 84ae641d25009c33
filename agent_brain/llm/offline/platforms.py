"""Ad platforms named in a message: Meta, TikTok, Google Ads.

`take(message)` finds them and blanks their words, so the rest of the parser never reads
"Google" as a campaign's name; `apply(...)` then puts the platform on the tools that take one.
A message that compares platforms («по всем площадкам», "compare CPL on Meta, TikTok and Google",
ROAS) becomes one spend report grouped by platform. "по площадкам" alone stays the placement
breakdown it always was.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field

from agent_brain.llm.offline.clause import Intent, Parse
from agent_brain.llm.offline.extract import Scan, extract_period
from agent_brain.llm.offline.text import normalise

_WORDS: dict[str, str] = {
    "tiktok": r"tik\s?tok|тик\s?ток\w*|тикток\w*",
    "google": r"google(?:\s+ads)?(?!\s+(?:sheet|doc|таблиц|док|диск|drive))|гугл\w*(?!\s+(?:таблиц|док|диск))|adwords",
    "meta": r"meta|мета|facebook|фейсбук\w*|instagram|инстаграм\w*",
}
_RX = {p: re.compile(rf"(?<![\w-])(?:{rx})(?![\w-])") for p, rx in _WORDS.items()}
_ALL = re.compile(r"(?:по|на|во|в|для)\s+(?:всем|всех|каждой|разным)\s+площадк\w*|все\s+площадки|"
                  r"(?:all|every|each|across)\s+(?:the\s+)?(?:ad\s+)?platforms?|by\s+platform|per\s+platform|"
                  r"(?:по|между)\s+площадкам\s+(?:meta|tiktok|google)")
# In a message about customers' messages Instagram is a channel (Direct), not the ad platform.
_INSTAGRAM = re.compile(r"instagram|инстаграм\w*")
_MESSAGING = re.compile(r"разошл\w*|рассыл\w*|сообщени\w*|диалог\w*|директ\w*|direct|messages?|broadcast|"
                        r"\bdms?\b|whatsapp|ватсап\w*|вотсап\w*")
_ROAS = re.compile(r"(?<![\w-])roas(?![\w-])")
_COMPARE = re.compile(r"сравн\w*|compar\w*|\bvs\b|против")
_FOLDED = ("getSpendReport", "getCampaigns", "getROIReport", "getROIComparison", "compareCreatives",
           "getBreakdownReport", "getDirections")


@dataclass
class Named:
    platforms: list[str] = field(default_factory=list)
    across: bool = False  # the message compares platforms or asks about all of them
    roas: bool = False

    @property
    def by_platform(self) -> bool:
        return self.across or self.roas or len(self.platforms) > 1


def take(message: str) -> tuple[str, Named]:
    """The message with platform words blanked (same length), and what was named."""
    text = normalise(message)
    found: list[tuple[int, str]] = []
    spans: list[tuple[int, int]] = []
    messaging = bool(_MESSAGING.search(text))
    for platform, rx in _RX.items():
        for m in rx.finditer(text):
            if platform == "meta" and messaging and _INSTAGRAM.fullmatch(m.group()):
                continue  # the channel words stay for the messaging tools
            found.append((m.start(), platform))
            spans.append((m.start(), m.end()))
    named = Named(platforms=list(dict.fromkeys(p for _, p in sorted(found))))
    named.across = bool(_ALL.search(text)) or (len(named.platforms) > 1 and bool(_COMPARE.search(text)))
    named.roas = bool(_ROAS.search(text))
    if not found and not named.across:
        return message, named
    chars = list(message)
    for start, end in spans:
        chars[start:end] = " " * (end - start)
    for m in _ALL.finditer(text):
        chars[m.start():m.end()] = " " * (m.end() - m.start())
    return "".join(chars), named


def apply(result: Parse, named: Named, message: str, today: dt.date, available: dict[str, set[str] | None]) -> Parse:
    """Put the named platform on the calls that take one; a comparison becomes a by-platform report."""
    if not named.platforms and not named.by_platform:
        return result
    writes = [i for i in result.intents if i.tool not in _FOLDED]
    if named.by_platform and "getSpendReport" in available and not result.refusals:
        args: dict[str, object] = {"groupBy": "platform"}
        period = next((i.args for i in result.intents if "period" in i.args or "dateFrom" in i.args), None)
        if period is not None:
            args.update({k: v for k, v in period.items() if k in ("period", "dateFrom", "dateTo")})
        else:
            found = extract_period(Scan(normalise(message)), today)
            if found is not None:
                args.update(found.args())
        if len(named.platforms) == 1 and not named.across:
            args["platform"] = named.platforms[0]
        result.intents = [Intent("getSpendReport", args), *writes]
        result.questions.clear()
        result.clarify = None
        if "getSpendReport" not in result.considered:
            result.considered.append("getSpendReport")
        return result
    if len(named.platforms) == 1:
        platform = named.platforms[0]
        for intent in result.intents:
            props = available.get(intent.tool)
            if props is not None and "platform" in props:
                intent.args["platform"] = platform
    return result
