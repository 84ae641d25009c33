"""From a user message to tool calls: the offline model's understanding.

Pipeline: find named objects (resolve.py) and mask them, so "Все зубы за 1 день" is neither a
period nor a count → split the message into clauses ("расходы за вчера и горячие лиды") →
per clause: concepts (lexicon), the object kind it is about, values (extract.py) → the first
matching rule picks the tool(s) → arguments are filled from the clause, then the rest of the
message, then the previous tool call, then the conversation's focus → a tool call, or a
question when something needed is missing or ambiguous.

Only the last *user* message is parsed. Earlier tool calls (the assistant's own) give context
for follow-ups; tool results and assistant text never produce a call (they are data).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from agent_brain.llm.base import Entity, TurnHints
from agent_brain.llm.offline import automation, clarify, lexicon, meta_ops, platforms
from agent_brain.llm.offline.arguments import build_safely, entity_id
from agent_brain.llm.offline.clause import (
    Clause,
    Ctx,
    Intent,
    Parse,
    previous_calls,
    tool_names,
)
from agent_brain.llm.offline.extract import Values, extract, extract_quoted
from agent_brain.llm.offline.followup import followup, period_of
from agent_brain.llm.offline.lexicon import FUNCTION_WORDS, KIND_ORDER, PAUSE_TOOL, RESUME_TOOL, TOOLS
from agent_brain.llm.offline.questions import say
from agent_brain.llm.offline.resolve import (
    Mention,
    find_mentions,
    ids_in,
    load,
    partial_candidates,
    phone_mentions,
    top_level,
)
from agent_brain.llm.offline.rules import choose
from agent_brain.llm.offline.text import detect_language, normalise
from agent_brain.llm.offline.unsupported import WHOLE_MESSAGE, refusal

__all__ = ["Intent", "Parse", "domains_of", "parse", "split_clauses"]


# ── clauses ───────────────────────────────────────────────────────────────────────────────────

_SENTENCE = re.compile(r"[;\n!?]+|\.(?=\s|$)")
_SOFT = re.compile(r",\s+(?:и\s+|а\s+также\s+|and\s+)?|\s+(?:и|а\s+также|а\s+ещ[её]|плюс|and|also|and\s+also|"
                   r"as\s+well\s+as|\+)\s+")
_RELATIVE = re.compile(r"^\s*(?:где|в\s+которых|в\s+каких|которые|который|которая|что|кто|чтобы|если|where|which|"
                       r"who|that|if|with)\b")
_FOLLOWUP = re.compile(r"^\s*(?:а|и|ну|and|what\s+about|how\s+about|same\s+for)\b")
_AGAIN = re.compile(r"(?<!\w)(?:тоже|также|то\s+же\s+самое|too|also|the\s+same|same\s+for)(?!\w)")
_GAP_NAMED = re.compile(r"^[\s\"#:«»]*(?:(?:с|со|with|по|for|of|для|about|про|у|от)\s+)?[\s\"#:«»]*$")
_PRONOUN = lexicon.pattern(lexicon.PRONOUNS)
_FEMININE = lexicon.pattern(lexicon.FEMININE_PRONOUNS)


def _has_signal(text: str) -> bool:
    return any(rx.search(text) for table in ("ACTIONS", "TOPICS", "KIND_CUES") for rx in
               lexicon.compiled(table).values()) or refusal(text, "ru") is not None  # "… и выгрузи в CSV"


def split_clauses(masked: str) -> list[tuple[int, int]]:
    """Clause spans: sentences, then soft splits ("и", ",", "and") where the next part has a concept."""
    spans: list[tuple[int, int]] = []
    start = 0
    for m in list(_SENTENCE.finditer(masked)) + [None]:
        end = m.start() if m else len(masked)
        if masked[start:end].strip():
            spans.extend(_soft_split(masked, start, end))
        start = m.end() if m else end
    return spans


def _soft_split(masked: str, start: int, end: int) -> list[tuple[int, int]]:
    cuts = [(m.start(), m.end()) for m in _SOFT.finditer(masked, start, end)]
    parts: list[tuple[int, int]] = []
    begin = start
    for i, (a, b) in enumerate(cuts):
        nxt_end = cuts[i + 1][0] if i + 1 < len(cuts) else end
        following = masked[b:nxt_end]
        if _has_signal(following) and not _RELATIVE.match(following) and masked[begin:a].strip():
            parts.append((begin, a))
            begin = b
    parts.append((begin, end))
    return parts


# ── the whole message ─────────────────────────────────────────────────────────────────────────

_SEND = lexicon.pattern(lexicon.ACTIONS["send"])
_COLON = re.compile(r":(?!\d)\s*")
_ACTIONS_CARRIED = {"pause", "resume", "launch", "analyze", "compare", "set", "increase", "decrease", "budget", "cpl",
                    "target", "move"}


def _payload_span(text: str) -> tuple[int, int] | None:
    """Where a broadcast's text is: quoted after the send verb, or everything after a colon."""
    m = _SEND.search(text)
    if not m:
        return None
    q = re.search(r"\"([^\"]+)\"|(?<!\w)'([^']+)'(?!\w)", text[m.end():])
    colon = _COLON.search(text, m.end())
    if colon and (not q or colon.start() < m.end() + q.start()):
        return (colon.end(), len(text)) if text[colon.end():].strip() else None
    if q:
        group = 1 if q.group(1) is not None else 2
        return m.end() + q.start(group), m.end() + q.end(group)
    return None


def _mask(text: str, spans: Iterable[tuple[int, int]]) -> str:
    chars = list(text)
    for a, b in spans:
        for i in range(a, min(b, len(chars))):
            chars[i] = "#"
    return "".join(chars)


# Russian verb forms ("отказались", "пришло", "было") follow a cue; names do not end like this.
_VERB = re.compile(r"(?:[аеиоуыя]л|л[аои]|лся|лась|лось|лись|ть|ться|[еиюя]т|ут|ешь)$")


def _unknown_after_cues(text: str, orig: str, cues: list[tuple[str, int, int, bool]]) -> dict[str, str]:
    """Words right after a bare cue that are not vocabulary: a name we could not find ("кампанию Фуфло").

    Latin words count only when capitalised: after "campaigns" English puts verbs ("doing", "running").
    """
    out: dict[str, str] = {}
    lex = lexicon.lexical_pattern()
    same = len(orig) == len(text)
    for kind, _, end, named in cues:
        if named:
            continue
        m = re.match(r"\s*\"?([^\W\d_][\w-]*(?:\s+[^\W\d_][\w-]*){0,2})\"?", text[end:])
        if not m:
            continue
        found = []
        pos = end + m.start(1)
        for w in m.group(1).split():
            start = text.find(w, pos)
            pos = start + len(w)
            capital = same and orig[start:start + 1].isupper()
            latin = not re.search(r"[а-я]", w)
            if lex.fullmatch(w) or w in FUNCTION_WORDS or len(w) < 3 or (_VERB.search(w) and not capital) or (
                    latin and not capital):
                break
            found.append(orig[start:pos] if same else w)
        if found:
            out.setdefault(kind, " ".join(found))
    return out


@dataclass
class _Message:
    """The message prepared once for all its clauses."""

    text: str  # normalised
    original: str
    work: str  # normalised, a broadcast's text blanked out
    masked: str  # names and quotes blanked out too
    mentions: list[Mention]
    quotes: list[tuple[int, int]]
    payload: tuple[int, int] | None


async def parse(message: str, hints: TurnHints, *, tools: Iterable[dict[str, Any]] | None = None,
                history: Sequence[dict[str, Any]] = ()) -> Parse:
    """Understand one user message: the tool calls to make, or the questions to ask."""
    tools = list(tools) if tools is not None else None
    rest, named = platforms.take(message)  # "в TikTok", "по всем площадкам": said apart from the rest
    result = await _parse(rest if rest.strip() else message, hints, tools=tools, history=history)
    return platforms.apply(result, named, message, hints.today, tool_names(tools))


async def _parse(message: str, hints: TurnHints, *, tools: Iterable[dict[str, Any]] | None = None,
                 history: Sequence[dict[str, Any]] = ()) -> Parse:
    available = tool_names(tools)
    open_question = hints.focus.get("clarify")
    asked = str(open_question.get("message") or "") if isinstance(open_question, dict) else ""
    entities = await load(hints.resolver, texts=[message, asked],
                          ids=ids_in(hints.focus) + ids_in([args for _, args in previous_calls(history)]))
    chosen: dict[str, Entity] = {}
    if isinstance(open_question, dict) and open_question.get("message"):
        picked = clarify.answer(message, open_question)
        if picked is not None:  # the answer to our question: the asked-about request, with this object
            message, chosen = str(open_question["message"]), {picked.kind: picked}
    msg = _prepare(message, entities)
    lang = detect_language(_mask(message, [(m.start, m.end) for m in top_level(msg.mentions)]).replace("#", " "),
                           hints.language) if message.strip() else hints.language
    result = Parse(language=lang)
    understood = meta_ops.understand(message, lang, entities, hints.today, set(available), history) or \
        automation.understand(message, lang, entities, hints.today, set(available))
    if understood is not None:  # rules, reports, optimizer, breakdowns, accounts, experiments: read as a whole
        result.intents.extend(understood.intents)
        result.questions.extend(understood.questions)
        return result
    whole = refusal(message, lang)
    if whole is not None and whole.key in WHOLE_MESSAGE:
        result.refusals.append(whole.text)
        return result
    clauses = _merge([_clause(a, b, msg, entities, hints) for a, b in split_clauses(msg.masked)], msg, entities,
                     hints)
    periods = [c.values.period for c in clauses if c.values.period]
    ctx = Ctx(lang, hints, entities, msg.mentions, previous_calls(history), periods[0] if len(periods) == 1 else None,
              chosen=chosen)
    handled = False
    previous: Clause | None = None
    for c in clauses:
        part = refusal(c.orig, lang) if whole is not None else None
        if part is not None:  # "… в TikTok", "… в CSV": said, not turned into the nearest tool
            if part.text not in result.refusals:
                result.refusals.append(part.text)
            continue
        result.concepts |= c.concepts
        result.kinds |= c.kinds
        if previous is not None and c.cues and not (c.concepts - {"details", "help"}):
            # "поставь на паузу кампанию X и направление Y": the second object gets the same action.
            c.concepts |= previous.concepts & _ACTIONS_CARRIED
        intents, questions, relevant = _clause_intents(c, ctx, available, result, followup_ok=not handled)
        result.intents.extend(i for i in intents if i.tool in available)
        if relevant:
            result.questions.extend(q for q in questions if q not in result.questions)
        handled = handled or bool(intents or questions)
        ctx.clause_kind = c.head or next((m.kind for m in top_level(c.mentions)), ctx.clause_kind)
        previous = c
    if whole is not None:
        if not result.refusals:  # the request spans clauses ("если CPL …, выключай")
            result.refusals.append(whole.text)
        # A message that asks for something unsupported never writes: its reads are still answered.
        result.intents = [i for i in result.intents if not TOOLS[i.tool].write]
    result.intents = _finish(result.intents, available)
    asked = next((m for m in ctx.asked if m.candidates and m.kind and m.question in result.questions), None)
    if asked is not None and not result.intents:
        result.clarify = clarify.state(hints.agent, message, asked.kind, asked.candidates, lang)
    return result


def _clause_intents(c: Clause, ctx: Ctx, available: dict[str, set[str] | None], result: Parse, *,
                    followup_ok: bool) -> tuple[list[Intent], list[str], bool]:
    """(intents, questions, whether the questions concern this agent's tools) for one clause."""
    refs_only = c.followup and not (c.concepts - {"details", "show"}) and bool(c.mentions) and bool(ctx.calls)
    if followup_ok and (c.bare or refs_only):
        intents, questions = followup(c, ctx, available)
        result.considered.extend(i.tool for i in intents if i.tool not in result.considered)
        return intents, questions, True
    if c.followup and not c.values.period and ctx.calls:
        prior = next((a for n, a in ctx.calls if TOOLS[n].period), None)
        if prior:
            c.values.period = period_of(prior)
    tools = choose(c, ctx)
    if tools in (["pause?"], ["resume?"]):
        table = PAUSE_TOOL if tools == ["pause?"] else RESUME_TOOL
        result.considered.append(next(iter(table.values())))
        question = say(
            ctx.lang,
            "Что именно поставить на паузу — кампанию, адсет, направление или креатив? Назовите его."
            if table is PAUSE_TOOL else "Что именно возобновить — кампанию или адсет? Назовите его.",
            "What exactly should I pause — a campaign, an ad set, a direction or a creative? Name it."
            if table is PAUSE_TOOL else "What exactly should I resume — a campaign or an ad set? Name it.")
        return [], [question], any(t in available for t in table.values())
    intents: list[Intent] = []
    questions: list[str] = []
    relevant = False
    for tool in tools:
        result.considered.append(tool)
        if tool not in available:
            continue
        relevant = True
        got, asked = build_safely(c, ctx, tool)
        intents += got
        questions += asked
    return intents, questions, relevant


def _prepare(message: str, entities: dict[str, list[Entity]]) -> _Message:
    text = normalise(message)
    original = message if len(message) == len(text) else text
    payload = _payload_span(text)
    work = _mask(text, [payload] if payload else [])
    quotes = extract_quoted(work)
    cue_spans = [(m.end(), m.end() + 60) for rx in lexicon.compiled("KIND_CUES").values() for m in rx.finditer(work)]
    mentions = find_mentions(work, entities, introduced=quotes + cue_spans)
    masked = _mask(work, [(m.start, m.end) for m in top_level(mentions)])
    # Quoted text that named nothing is not vocabulary either: «Тест лето» must not mean "test".
    masked = _mask(masked, [q for q in quotes if not any(m.start <= q[0] < m.end for m in mentions)])
    return _Message(text, original, work, masked, mentions, quotes, payload)


def _clause(a: int, b: int, msg: _Message, entities: dict[str, list[Entity]], hints: TurnHints) -> Clause:
    """Everything the rules need about the message's characters a..b."""
    text, orig = msg.masked[a:b], msg.original[a:b]
    # "кампании на паузе" is a status, not the action "на паузу".
    plain_words = lexicon.compiled("STATUSES")["paused"].sub(lambda m: "#" * len(m.group()), text)
    concepts = {k for table in ("ACTIONS", "TOPICS") for k, rx in lexicon.compiled(table).items()
                if rx.search(plain_words)}
    money_context = bool(concepts & {"budget", "cpl", "target"}) or {"test", "launch"} <= concepts
    values = extract(text, orig, hints.today, bare_money=money_context)
    inside = [m for m in msg.mentions if a <= m.start < b] + _phone_mentions(a, values, entities)
    cues = _cues(a, text, concepts, inside, msg)
    unknown = _unknown_after_cues(text, orig, [(k, s - a, e - a, n) for k, s, e, n in cues])
    unknown.update(_misnamed(cues, inside, msg, entities))
    payload = msg.payload
    return Clause(
        start=a, end=b, text=text, plain=msg.work[a:b], orig=orig, concepts=concepts, cues=cues, mentions=inside,
        values=values, head=_head(cues, inside), quoted=[(qa - a, qb - a) for qa, qb in msg.quotes if a <= qa < b],
        unknown=unknown, loose_name=_loose_name(a, b, msg, inside, values.rest),
        pronoun=bool(_PRONOUN.search(values.rest)), feminine=bool(_FEMININE.search(values.rest)),
        followup=bool(_FOLLOWUP.match(text)), again=bool(_AGAIN.search(text)),
        payload=msg.original[payload[0]:payload[1]].strip() if payload and a <= payload[0] <= b else None,
    )


def _phone_mentions(a: int, values: Values, entities: dict[str, list[Entity]]) -> list[Mention]:
    """Phones as mentions: of the dialog (always, known or not) and of a lead with that phone."""
    by_phone = phone_mentions(values.phones, entities)
    out = []
    for phone, start, end in values.phone_spans:
        found = [(k, e) for k, es in by_phone.items() for e in es
                 if entity_id(e) == phone or e.extra.get("phone") == phone]
        if not any(k == "dialog" for k, _ in found):
            found.append(("dialog", Entity("dialog", phone, phone)))
        # Several leads sharing one phone are one ambiguous mention: asked about, never all written to.
        for kind in dict.fromkeys(k for k, _ in found):
            same = tuple(e for k, e in found if k == kind)
            out.append(Mention(kind, same, a + start, a + end, 1.0, 1.0))
    return out


def _cues(a: int, text: str, concepts: set[str], mentions: list[Mention], msg: _Message
          ) -> list[tuple[str, int, int, bool]]:
    """Object-kind words (kind, start, end, whether a name of that kind follows), in order."""
    # "по кампаниям" is a breakdown ("расходы по кампаниям", "а по кампаниям?"), not a request about
    # campaigns; "статистика по кампаниям" still is one.
    if concepts & {"spend", "cpl"} or _FOLLOWUP.match(text):
        text = lexicon.compiled("GROUP_BY_CUES")["all"].sub(lambda m: "#" * len(m.group()), text)
    cues = []
    for kind, rx in lexicon.compiled("KIND_CUES").items():
        for m in rx.finditer(text):
            end = a + m.end()
            named = any(n.kind == kind and n.start >= end and _GAP_NAMED.match(msg.masked[end:n.start])
                        for n in mentions)
            cues.append((kind, a + m.start(), end, named))
    return sorted(cues, key=lambda x: x[1])


def _head(cues: list[tuple[str, int, int, bool]], mentions: list[Mention]) -> str | None:
    """The kind the clause is about: its first cue without a name ("креативы" in "креативы направления
    Виниры"), else its first named cue, else its first name."""
    head = next((k for k, _, _, named in cues if not named), None) or (cues[0][0] if cues else None)
    if head is None and mentions:
        first = min(m.start for m in mentions)
        head = min((m.kind for m in mentions if m.start == first), key=KIND_ORDER.index)
    return head


def _loose_name(a: int, b: int, msg: _Message, mentions: list[Mention], rest: str) -> str | None:
    """A name the user gave that resolved to nothing: an unmatched quote, or capitalised words that
    are neither vocabulary, values nor the first word of the sentence."""
    for qa, qb in msg.quotes:
        if a <= qa < b and not any(m.start <= qa < m.end for m in msg.mentions):
            return msg.original[qa:qb]
    lex = lexicon.lexical_pattern()
    found: list[str] = []
    for m in re.finditer(r"\w+", msg.original[a:b]):
        word, pos = m.group(), m.start()
        at_start = not msg.original[a:a + pos].strip(" \t\"'«“")
        if (at_start or not word[:1].isupper() or word.isupper() or rest[pos:pos + 1] == "#"
                or msg.masked[a + pos] == "#" or lex.fullmatch(normalise(word)) or normalise(word) in FUNCTION_WORDS
                or any(mm.start <= a + pos < mm.end for mm in mentions)):
            if found:
                break
            continue
        found.append(word)
    return " ".join(found) or None


def _misnamed(cues: list[tuple[str, int, int, bool]], mentions: list[Mention], msg: _Message,
              entities: dict[str, list[Entity]]) -> dict[str, str]:
    """"креатив Виниры": a singular cue followed by another kind's name that also fits objects of the
    cue's kind names an object of the cue's kind (resolved, or asked about, later)."""
    out: dict[str, str] = {}
    for kind, start, end, named in cues:
        if named or not lexicon.pattern(lexicon.SINGULAR_CUES.get(kind, ("-",))).fullmatch(msg.text[start:end]):
            continue
        nxt = next((m for m in mentions if m.kind != kind and m.start >= end
                    and _GAP_NAMED.match(msg.masked[end:m.start])), None)
        if nxt is None or any(k == nxt.kind and e <= nxt.start and _GAP_NAMED.match(msg.masked[e:nxt.start])
                              for k, _, e, _ in cues):
            continue  # "креатив направления Виниры": the name belongs to its own cue
        words = msg.work[nxt.start:nxt.end]
        if partial_candidates(words, entities.get(kind, [])):
            out[kind] = msg.original[nxt.start:nxt.end]
    return out


def _merge(clauses: list[Clause], msg: _Message, entities: dict[str, list[Entity]], hints: TurnHints
           ) -> list[Clause]:
    """Clauses without a concept or object cue belong to the clause before them ("сравни A, B и C")."""
    out: list[Clause] = []
    for c in clauses:
        if out and c.bare and refusal(c.orig, "ru") is None:
            prev = out.pop()
            out.append(_clause(prev.start, c.end, msg, entities, hints))
        else:
            out.append(c)
    return out


def _finish(intents: list[Intent], available: dict[str, set[str] | None]) -> list[Intent]:
    """Drop arguments the tool's schema does not have, and exact duplicates."""
    out: list[Intent] = []
    seen: set[str] = set()
    for intent in intents:
        props = available.get(intent.tool)
        args = intent.args if props is None else {k: v for k, v in intent.args.items() if k in props}
        key = intent.tool + json.dumps(args, sort_keys=True, ensure_ascii=False)
        if key not in seen:
            seen.add(key)
            out.append(Intent(intent.tool, args, intent.note))
    return out


def domains_of(parse: Parse) -> list[str]:
    """The agents a parse points at: the tools' domains, else the concepts' and cues' domains."""
    found = [TOOLS[t].domain for t in parse.considered if t in TOOLS]
    if not found:
        found = [lexicon.CONCEPT_DOMAIN[c] for c in sorted(parse.concepts | parse.kinds) if c in lexicon.CONCEPT_DOMAIN]
    return [d for d in lexicon.DOMAINS if d in found]
