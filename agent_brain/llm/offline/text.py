"""Text primitives: normalisation, tokens with positions, a light Russian stemmer, fuzzy word
similarity (inflection and typos) and language detection. Standard library only."""

from __future__ import annotations

import re
from dataclasses import dataclass

_QUOTES = str.maketrans({"«": '"', "»": '"', "“": '"', "”": '"', "„": '"', "‘": "'", "’": "'", "–": "-", "—": "-",
                         "\u00a0": " ", "ё": "е", "Ё": "Е"})
_WORD = re.compile(r"\w+", re.UNICODE)
_CYR = re.compile(r"[а-яё]", re.IGNORECASE)
_LAT = re.compile(r"[a-z]", re.IGNORECASE)

# Words that say nothing about the language of the sentence (metrics, brands, units).
_NEUTRAL = {"cpl", "cpm", "ctr", "roi", "romi", "id", "whatsapp", "facebook", "meta", "instagram", "crm", "ab", "a", "b",
            "usd", "eur", "rub", "kzt", "vs", "ok", "e", "max", "zoom", "score", "retention", "hook"}

def word_set(spaced: str) -> frozenset[str]:
    """A set of words written as one space-separated string (long word lists stay readable)."""
    return frozenset(spaced.split())


STOPWORDS = word_set(
    "за в во на от до и с со по к ко у о об из для при а но или же ли бы то это этот эта эти the a an of for in on to "
    "at by and or with from is are was be"
)

# Endings stripped by `stem`, longest first (nouns, adjectives, participles in common cases).
_ENDINGS = tuple(sorted(
    # No "ов"/"ев": they end surnames ("Иванов" is not "Иван").
    word_set("иями ями ами ией иям ием иях ого его ому ему ыми ими ых их ой ей ий ый ая яя ое ее ую юю ом ем ам ям "
             "ах ях ия ию ие ье ья ью ы и а я у ю е о ь й"),
    key=lambda e: (-len(e), e),
))


def normalise(text: str) -> str:
    """Lower case, ё → е, typographic quotes and dashes → ASCII; length is preserved."""
    return text.translate(_QUOTES).lower()


@dataclass(frozen=True)
class Token:
    text: str  # normalised
    start: int
    end: int


def tokens(text: str) -> list[Token]:
    """Word tokens of an already normalised text, with their character spans."""
    return [Token(m.group(), m.start(), m.end()) for m in _WORD.finditer(text)]


def stem(word: str) -> str:
    """Strip one inflectional ending, keeping at least three letters ("улыбки" → "улыбк")."""
    if not _CYR.search(word):
        return word[:-1] if len(word) > 4 and word.endswith("s") else word
    for ending in _ENDINGS:
        if word.endswith(ending) and len(word) - len(ending) >= 3:
            return word[: -len(ending)]
    return word


def _common_prefix(a: str, b: str) -> int:
    n = 0
    for x, y in zip(a, b, strict=False):
        if x != y:
            break
        n += 1
    return n


def osa_distance(a: str, b: str) -> int:
    """Damerau-Levenshtein distance (optimal string alignment): a transposition costs one edit."""
    rows = [list(range(len(b) + 1))]
    for i, ca in enumerate(a, 1):
        row = [i] + [0] * len(b)
        for j, cb in enumerate(b, 1):
            cost = 0 if ca == cb else 1
            row[j] = min(rows[-1][j] + 1, row[j - 1] + 1, rows[-1][j - 1] + cost)
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                row[j] = min(row[j], rows[-2][j - 2] + 1)
        rows.append(row)
    return rows[-1][-1]


def similarity(a: str, b: str) -> float:
    """How likely two normalised words are the same word: 1 exact, ~0.9 inflected, ~0.8 one typo, 0 else."""
    if a == b:
        return 1.0
    if any(ch.isdigit() for ch in a + b) or min(len(a), len(b)) < 3:
        return 0.0  # numbers and short words ("за", "1") must match exactly
    short, long_ = sorted((len(a), len(b)))
    cp = _common_prefix(a, b)
    # Inflection: same beginning, a short differing tail ("улыбка"/"улыбки", "Анна"/"Анну").
    if cp >= 3 and cp >= short - 2 and long_ - cp <= min(3, (short - 1) // 2):
        return 0.92
    sa, sb = stem(a), stem(b)
    if sa == sb:
        return 0.9
    if short >= 5:
        allowed = 1 if max(len(sa), len(sb)) <= 7 else 2
        d = osa_distance(sa, sb)
        if d <= allowed:
            return 0.86 - 0.04 * (d - 1)
    return 0.0


def detect_language(text: str, default: str = "ru") -> str:
    """"ru" or "en" by the words written in each script; metric names and brands do not count.

    Capitalised Cyrillic words after the first count half: in "Show spend for Имплантация Москва"
    they are names, not the language of the sentence.
    """
    cyr = lat = 0.0
    for i, m in enumerate(re.finditer(r"\w+", text)):
        word = m.group()
        if word.lower() in _NEUTRAL or word.isdigit():
            continue
        if _CYR.search(word):
            cyr += 0.5 if i and word[0].isupper() else 1.0
        elif _LAT.search(word):
            lat += 1.0
    if cyr == lat:
        return default
    return "ru" if cyr > lat else "en"


def clip(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"
