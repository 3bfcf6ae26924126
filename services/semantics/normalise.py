"""Texts made comparable before any method sees them: one apostrophe, abbreviations spelt out, lemmas for words.

Nothing here changes what is stored or shown: these forms are only compared.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from pathlib import Path

from services.text import fold
from services.words import words_of

ABBREVIATIONS_FILE = Path(__file__).resolve().parents[2] / "assets" / "reference" / "abbreviations_fr.txt"
# Present in nearly every contribution of this conference: a word that tells nothing about likeness.
_EVERYWHERE = frozenset({"ess", "economie", "sociale", "solidaire"})
_APOSTROPHES = str.maketrans({"’": "'", "‘": "'", "ʼ": "'", "`": "'", "´": "'", "«": '"', "»": '"'})


def _load_abbreviations(path: Path = ABBREVIATIONS_FILE) -> list[tuple[re.Pattern[str], str]]:
    """(whole-word pattern, expansion), longest abbreviation first so « com com » wins over « com »."""
    pairs: list[tuple[str, str]] = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#") or "=" not in line:
            continue
        short, _, long = line.partition("=")
        pairs.append((fold(short.strip()), long.strip()))
    pairs.sort(key=lambda pair: -len(pair[0]))
    return [(re.compile(rf"(?<!\w)({re.escape(short)})(?!\w)"), long) for short, long in pairs]


ABBREVIATIONS = _load_abbreviations()


@lru_cache(maxsize=100_000)
def prepare(text: str) -> str:
    """One spelling of the same words: Unicode composed, one kind of apostrophe, spaces collapsed, common
    abbreviations spelt out (matched on the folded text, so « Assos » and « ASSOS » count)."""
    value = unicodedata.normalize("NFC", text or "").translate(_APOSTROPHES)
    value = " ".join(value.split())
    folded = fold(value)
    if len(folded) != len(value):  # a character that folds to several: give up expanding, keep the text
        return value
    for pattern, long in ABBREVIATIONS:
        found = list(pattern.finditer(folded))
        for match in reversed(found):
            start, end = match.span(1)
            value = value[:start] + long + value[end:]
            folded = folded[:start] + fold(long) + folded[end:]
    return value


@lru_cache(maxsize=1)
def _lemmatiser() -> object:
    import simplemma  # noqa: PLC0415  # 0,3 s and 100 MB of tables: only when lemmas are asked for

    return simplemma


@lru_cache(maxsize=200_000)
def lemma(word: str) -> str:
    """The dictionary form of one French word, folded (« lycéennes » → « lyceen »); the word itself if unknown."""
    simplemma = _lemmatiser()
    found: str = simplemma.lemmatize(word.lower(), lang="fr")  # type: ignore[attr-defined]
    return fold(found)


def key_words(text: str) -> list[tuple[str, str]]:
    """The words that carry meaning, as (as written, lemma): stop words, elisions and the conference's
    ever-present words out; a compound counts by its parts (« tiers-lieux » as « tiers » and « lieu »)."""
    found: list[tuple[str, str]] = []
    for word, key in words_of(prepare(text)):
        if key in _EVERYWHERE:
            continue
        parts = [part for part in word.split("-") if part] if "-" in word else [word]
        found.extend((part, lemma(part)) for part in parts)
    return found


@lru_cache(maxsize=100_000)
def lemma_key(text: str) -> str:
    """The lemmas of a text's meaningful words, space-separated: what word-based methods compare."""
    return " ".join(lemma_ for _, lemma_ in key_words(text))
