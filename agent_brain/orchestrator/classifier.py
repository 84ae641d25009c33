"""Which agent(s) a message is for: keyword stems first (RU + EN), then a model, then the last topic.

Strong stems name a domain's objects ("кампани", "креатив", "лид", "диалог"); weak stems are
metrics several domains share ("cpl", "расход", "roi") and only count when no strong stem
matched. Several strong domains → `mixed` with those agents. The path that decided is recorded.
Before the keywords: an answer to the conversation's open question goes to the agent that asked
it, and a request for something the product cannot do to one agent (it refuses once).
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass

from agent_brain.llm.base import ChatModel, ModelRequest, TurnHints, complete
from agent_brain.llm.offline import meta_ops
from agent_brain.llm.offline.clarify import looks_like_answer
from agent_brain.llm.offline.unsupported import WHOLE_MESSAGE, refusal

log = logging.getLogger(__name__)

DOMAINS = ("ads", "creative", "crm", "whatsapp")

STRONG: dict[str, tuple[str, ...]] = {
    "ads": ("кампани", "адсет", "ад сет", "группу объявлен", "групп объявлен", "направлен", "бюджет",
            "campaign", "adset", "ad set", "direction", "budget", "таргет", "targeting"),
    "creative": ("креатив", "видео", "ролик", "баннер", "retention", "удержан", "досмотр", "транскрип",
                 "creative", "video", "transcript", "a/b", "аб тест", "ab test", "сплит"),
    "crm": ("лид", "заявк", "воронк", "выручк", "продаж", "этап", "стади", "оплат", "покупк", "средний чек",
            "lead", "funnel", "revenue", "sales", "stage", "purchase", "average check", "crm", "срм"),
    "whatsapp": ("диалог", "переписк", "whatsapp", "ватсап", "вотсап", "рассылк", "возражен", "жаловал",
                 "dialog", "conversation", "chat with", "broadcast", "objection", "complain"),
}
WEAK: dict[str, tuple[str, ...]] = {
    "ads": ("расход", "потрат", "spend", "cpl", "cpm", "ctr", "roi", "окупаем", "показ", "impression", "охват",
            "reach", "реклам", "ads", "объявлен", "пауз", "останов", "stop", "pause"),
    "crm": ("клиент", "конверси", "conversion", "client"),
    "whatsapp": ("сообщени", "message", "написал", "напиш"),
}
_WORD = re.compile(r"[\w/+-]+", re.UNICODE)


@dataclass(frozen=True)
class Classification:
    domain: str  # one of DOMAINS or "mixed"
    agents: tuple[str, ...]
    path: str  # keywords | context | llm | offline | default


# Where a message's asks part: "расходы за неделю и новые лиды" is two asks, each with its own domain.
_PARTS = re.compile(r"[?!;.\n]+|,\s*|\s+(?:и|а\s+также|плюс|and|also|plus)\s+")


def _part_domains(lowered: str) -> list[str]:
    strong = [d for d in DOMAINS if any(stem in lowered for stem in STRONG[d])]
    if strong:
        return strong
    return [d for d in DOMAINS if any(stem in lowered for stem in WEAK.get(d, ()))]


def keyword_domains(text: str) -> list[str]:
    """Strong stems of the whole message; a part of it with only weak stems ("сколько потратили")
    still adds its domain, so a two-part question reaches both agents."""
    lowered = " ".join(_WORD.findall(text.lower().replace("ё", "е")))
    found = _part_domains(lowered)
    if found:
        parts = [" ".join(_WORD.findall(p)) for p in _PARTS.split(text.lower().replace("ё", "е"))]
        found += [d for p in parts if p for d in _part_domains(p) if d not in found]
    return [d for d in DOMAINS if d in found]


def _result(domains: Sequence[str], path: str) -> Classification:
    ordered = tuple(d for d in DOMAINS if d in domains)
    return Classification("mixed" if len(ordered) > 1 else ordered[0], ordered, path)


class Classifier:
    def __init__(self, model: ChatModel, *, model_name: str | None = None) -> None:
        self.model = model
        self.model_name = model_name

    async def classify(
        self, text: str, *, last_domain: str | None = None, history: Sequence[dict] = (), hints: TurnHints | None = None
    ) -> Classification:
        question = (hints.focus if hints else {}).get("clarify")
        if isinstance(question, dict) and question.get("agent") in DOMAINS and looks_like_answer(text, question):
            # «тот, у которого телефон …», «второй», a clicked choice: the agent that asked reads it.
            return Classification(question["agent"], (question["agent"],), "context")
        operation = meta_ops.domain_of(text)
        if operation is not None:  # «Создай кампанию … креативы …»: one agent builds the whole structure
            return Classification(operation, (operation,), "keywords")
        refused = refusal(text, "ru")
        if refused is not None and refused.key in WHOLE_MESSAGE:
            # One thing the product cannot do: one agent says so (not one refusal per domain).
            return Classification(refused.domain, (refused.domain,), "keywords")
        found = keyword_domains(text)
        if found:
            return _result(found, "keywords")
        # No domain words. The model sees the recent history, so it can tell a message naming
        # only objects ("Сравни «Белоснежная улыбка» и …") from a follow-up of the last topic.
        by_model = await self._ask_model(text, history, hints)
        if by_model:
            return _result(by_model, "llm" if self.model.is_llm else "offline")
        if last_domain in DOMAINS:
            # Nothing decided it: a follow-up ("а за вчера?", "pause it") continues the last topic.
            return Classification(last_domain, (last_domain,), "context")
        return Classification("ads", ("ads",), "default")

    async def _ask_model(self, text: str, history: Sequence[dict], hints: TurnHints | None) -> list[str]:
        system = (
            "Classify the marketer's message for routing. Domains: ads (campaigns, ad sets, directions, budgets, "
            "spend, ROI), creative (creatives, videos, retention, A/B tests), crm (leads, funnel, revenue), "
            "whatsapp (dialogs, messages, broadcasts). Answer with JSON only: "
            '{"domain": "ads|creative|crm|whatsapp|mixed", "agents": ["..."]}'
        )
        request = ModelRequest(
            messages=[{"role": "system", "content": system}, *list(history)[-4:], {"role": "user", "content": text}],
            model=self.model_name, json_output=True, temperature=0,
            hints=TurnHints(purpose="classify", domains=DOMAINS, **_hint_fields(hints)),
        )
        try:
            turn = await complete(self.model, request)
            data = json.loads(turn.content or "{}")
        except Exception:  # a fallback must not break the turn
            log.warning("classifier model fallback failed", exc_info=True)
            return []
        return [a for a in (data.get("agents") or [data.get("domain")]) if a in DOMAINS]


def _hint_fields(hints: TurnHints | None) -> dict:
    if hints is None:
        return {}
    return {"language": hints.language, "focus": hints.focus, "resolver": hints.resolver, "today": hints.today,
            "currency": hints.currency}
