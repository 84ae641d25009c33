"""«Напиши 3 варианта текста для Виниры»: ad copy variants within Meta's visible length limits.

With a language model configured, the conversation's model writes them (JSON, checked against the
limits; a variant over a limit is dropped, never cut mid-word). Without one — or when the model's answer
is unusable — deterministic templates built from the direction's name and lead channel are returned,
and the answer says they are templates. Nothing is invented about the business: the templates make no
price or discount claims. A variant goes into a creative with «создай креатив из варианта 2 …»
(`createCreativeAd`, which takes the text, headline and description as arguments).
"""

from __future__ import annotations

import json
import logging
from typing import Any, Literal

from pydantic import BaseModel, Field
from sqlalchemy import select

from agent_brain.agents.creative.tools import tools
from agent_brain.db.models import Direction
from agent_brain.llm.base import ModelRequest, TurnHints, complete
from agent_brain.tools.common import say
from agent_brain.tools.context import ToolContext
from agent_brain.tools.registry import READ, ToolError

log = logging.getLogger(__name__)

# Meta's recommended maximums: text beyond them is cut off with "…" in most placements.
LIMITS = {"primary_text": 125, "headline": 40, "description": 30}

_TEMPLATES: dict[str, tuple[tuple[str, str, str], ...]] = {
    "ru": (
        ("{name}: расскажем о вариантах и стоимости и ответим на вопросы. {cta}", "{name} — запишитесь",
         "Ответим в течение дня"),
        ("Думаете о {name_lower}? Врач разберёт вашу ситуацию и предложит план. {cta}", "План лечения: {name_lower}",
         "Запись онлайн"),
        ("{name} без лишних визитов: всё обсудим заранее и подберём удобное время. {cta}", "{name}: удобное время",
         "Подберём время"),
        ("Отзывы пациентов о направлении «{name}» — у нас на странице. {cta}", "{name}: отзывы пациентов",
         "Читайте отзывы"),
        ("Есть вопросы про {name_lower}? Задайте их врачу — это ни к чему не обязывает. {cta}", "Вопрос врачу",
         "Спросите врача"),
    ),
    "en": (
        ("{name}: we'll walk you through the options and prices and answer your questions. {cta}",
         "{name} — book a visit", "We reply the same day"),
        ("Thinking about {name_lower}? A doctor will review your case and suggest a plan. {cta}",
         "Your {name_lower} plan", "Book online"),
        ("{name} without extra visits: we agree everything in advance and find a time that suits you. {cta}",
         "{name}: at your time", "Pick a time"),
        ("Read what patients say about {name_lower} on our page. {cta}", "{name}: patient reviews", "Read reviews"),
        ("Questions about {name_lower}? Ask a doctor — no commitment. {cta}", "Ask a doctor", "Ask us"),
    ),
}
_CTA = {("whatsapp", "ru"): "Напишите нам в WhatsApp.", ("whatsapp", "en"): "Message us on WhatsApp.",
        ("other", "ru"): "Оставьте заявку на сайте.", ("other", "en"): "Leave a request on our site."}


class WriteCopyArgs(BaseModel):
    direction: str = Field(min_length=1, max_length=200, description="The direction the copy is for, e.g. «Виниры»")
    count: int = Field(default=3, ge=1, le=5, description="How many variants")
    language: Literal["ru", "en"] | None = Field(default=None, description="Default: the conversation's language")


class Variant(BaseModel):
    primary_text: str = Field(min_length=1, max_length=LIMITS["primary_text"])
    headline: str = Field(min_length=1, max_length=LIMITS["headline"])
    description: str = Field(default="", max_length=LIMITS["description"])


async def _direction(ctx: ToolContext, name: str) -> Any:
    async with ctx.engine.connect() as conn:
        rows = (await conn.execute(select(Direction.name, Direction.objective).where(
            Direction.user_id == ctx.user_id, Direction.ad_account_id == ctx.ad_account_id))).all()
    wanted = name.casefold().strip()
    stem = wanted[: max(4, len(wanted) - 2)]
    found = [r for r in rows if r.name.casefold() == wanted] or [r for r in rows if r.name.casefold().startswith(stem)]
    if len(found) != 1:
        names = ", ".join(f"«{r.name}»" for r in (found or rows))
        raise ToolError(say(ctx, f"Уточните направление: {names}.", f"Which direction? {names}."),
                        code="ambiguous" if found else "not_found")
    return found[0]


def templates(name: str, objective: str, language: str, count: int) -> list[Variant]:
    """Deterministic variants: the same direction always gets the same texts."""
    cta = _CTA[("whatsapp" if objective == "whatsapp" else "other", language)]
    out = []
    for text, headline, description in _TEMPLATES[language][:count]:
        values = {"name": name, "name_lower": name[:1].lower() + name[1:], "cta": cta}
        variant = {"primary_text": text.format(**values), "headline": headline.format(**values),
                   "description": description.format(**values)}
        if len(variant["headline"]) > LIMITS["headline"]:  # a long direction name
            variant["headline"] = name[: LIMITS["headline"]].rstrip()
        out.append(Variant.model_validate(variant))
    return out


async def _from_model(ctx: ToolContext, name: str, objective: str, language: str, count: int) -> list[Variant]:
    assert ctx.writer is not None
    channel = "WhatsApp" if objective == "whatsapp" else "a lead form on the website"
    prompt = (f"Write {count} different Facebook/Instagram ad copy variants in {'Russian' if language == 'ru' else 'English'} "
              f"for the «{name}» service of a dental clinic; leads come via {channel}. Do not invent prices, "
              f"discounts or guarantees. Limits: primary_text ≤ {LIMITS['primary_text']} characters, headline ≤ "
              f"{LIMITS['headline']}, description ≤ {LIMITS['description']}. Answer with JSON only: "
              '{"variants": [{"primary_text": "...", "headline": "...", "description": "..."}]}')
    turn = await complete(ctx.writer, ModelRequest(
        messages=[{"role": "system", "content": "You are a careful performance-marketing copywriter."},
                  {"role": "user", "content": prompt}],
        json_output=True, temperature=0.7, hints=TurnHints(purpose="synthesize", language=language)))  # text, no tools
    raw = json.loads(turn.content or "{}").get("variants") or []
    variants = []
    for item in raw:
        try:
            variants.append(Variant.model_validate(item))
        except ValueError:
            log.info("ad copy variant over Meta's limits dropped")
    return variants[:count]


@tools.tool(kind=READ, timeout=60)
async def writeAdCopy(args: WriteCopyArgs, ctx: ToolContext) -> dict[str, Any]:
    """Write ad copy variants (primary text ≤ 125, headline ≤ 40, description ≤ 30 characters) for a
    direction, in the conversation's language. Uses the language model when one is configured; otherwise
    deterministic templates, and says so. Changes nothing."""
    direction = await _direction(ctx, args.direction)
    language = args.language or ctx.language
    variants: list[Variant] = []
    source = "template"
    if ctx.writer is not None and getattr(ctx.writer, "is_llm", False):
        try:
            variants = await _from_model(ctx, direction.name, direction.objective, language, args.count)
        except Exception:  # the model's failure must not lose the answer: templates follow
            log.warning("ad copy model failed; using templates", exc_info=True)
        source = "model" if variants else "template"
    if not variants:
        variants = templates(direction.name, direction.objective, language, args.count)
    ru = language == "ru"
    note = "" if source == "model" else (
        "Языковая модель не подключена — это шаблоны, а не сгенерированные тексты." if ru else
        "No language model is configured — these are templates, not generated copy.")
    lines = [f"{n}. {v.primary_text}\n   {'Заголовок' if ru else 'Headline'}: {v.headline}"
             + (f"\n   {'Описание' if ru else 'Description'}: {v.description}" if v.description else "")
             for n, v in enumerate(variants, 1)]
    head = (f"Варианты текста для «{direction.name}» (лимиты Meta: текст 125, заголовок 40, описание 30 символов):"
            if ru else f"Copy variants for “{direction.name}” (Meta's limits: text 125, headline 40, description 30 "
                       "characters):")
    message = "\n".join([head, *lines] + ([note] if note else []))
    return {"direction": direction.name, "language": language, "source": source, "limits": LIMITS,
            "variants": [v.model_dump() for v in variants], "message": message}
