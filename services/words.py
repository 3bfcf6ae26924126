"""The words that come up most in contributions: French stop words out, accents folded for counting only."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from services.text import fold

# Letters only (digits, punctuation, markup and URLs fall apart into nothing or into plain words), with
# inner apostrophes and hyphens kept so "l'emploi" and "auto-entrepreneur" arrive whole.
_TOKEN = re.compile(r"[^\W\d_]+(?:['’\-][^\W\d_]+)*")
# Elided articles and pronouns in front of an apostrophe: "l'emploi" counts as "emploi".
_ELIDED = {"l", "d", "j", "m", "n", "s", "t", "c", "qu", "jusqu", "lorsqu", "puisqu", "quoiqu", "presqu"}
# Pronouns after a verb in questions and imperatives: "faudrait-il" counts as "faudrait", "dites-le" as "dites".
_INVERTED = {
    "il",
    "elle",
    "on",
    "ils",
    "elles",
    "je",
    "tu",
    "nous",
    "vous",
    "ce",
    "t",
    "moi",
    "toi",
    "le",
    "la",
    "les",
    "lui",
    "leur",
    "y",
    "en",
}
MIN_WORD_CHARS = 3

STOP_WORDS_FILE = Path(__file__).resolve().parent.parent / "assets" / "reference" / "stopwords_fr.txt"


def _load_stop_words(path: Path = STOP_WORDS_FILE) -> frozenset[str]:
    """Folded forms (lower case, no accents): what is compared, never what is shown."""
    lines = path.read_text(encoding="utf-8").splitlines()
    return frozenset(fold(word) for line in lines if not line.startswith("#") for word in line.split())


STOP_WORDS = _load_stop_words()


@dataclass(frozen=True)
class WordCount:
    word: str  # as people wrote it most often (accents kept)
    count: int  # contributions that use it (a word repeated in one text counts once)


def words_of(text: str, *, folded: dict[str, str] | None = None) -> list[tuple[str, str]]:
    """The countable words of a text as (as written, folded) pairs: elisions removed, stop and short words out.

    `folded` memoises fold() across calls: a few thousand distinct words come back again and again.
    """
    memo = folded if folded is not None else {}
    found: list[tuple[str, str]] = []
    for token in _TOKEN.findall(text):
        word = token
        if "'" in token or "’" in token:
            parts = re.split(r"['’]", token)
            while len(parts) > 1 and fold(parts[0]) in _ELIDED:
                parts.pop(0)
            word = "'".join(parts)
        if "-" in word:
            pieces = word.split("-")
            while len(pieces) > 1 and fold(pieces[-1]) in _INVERTED:
                pieces.pop()
            word = "-".join(pieces)
        key = memo.get(word)
        if key is None:
            key = memo[word] = fold(word)
        if len(key) < MIN_WORD_CHARS or key in STOP_WORDS:
            continue
        found.append((word, key))
    return found


def _display_form(forms: Counter[str]) -> str:
    """The spelling shown: the most frequent one, accents kept; acronyms (PTCE, DLA) keep their capitals."""
    best, _ = max(forms.items(), key=lambda item: (item[1], sum(not ch.isascii() for ch in item[0]), item[0]))
    return best if best.isupper() and len(best) > 1 else best.lower()


def count_words(texts: Iterable[str], *, top: int = 10) -> list[WordCount]:
    """The `top` words used by the most texts; spellings with and without accents or a plural -s count together."""
    memo: dict[str, str] = {}
    per_text = [words_of(text, folded=memo) for text in texts]
    keys = {key for words in per_text for _, key in words}
    # A plural counts with its singular when both occur ("emplois" → "emploi").
    canonical = {key: key[:-1] if key[-1:] in ("s", "x") and key[:-1] in keys else key for key in keys}
    per_key: Counter[str] = Counter()
    for words in per_text:
        per_key.update({canonical[key] for _, key in words})
    ranked = sorted(per_key.items(), key=lambda item: (-item[1], item[0]))[:top]
    # Spellings are looked at for the winners only; the singular's own spellings are preferred for display
    # ("emploi" rather than "emplois" once both count together).
    singular: dict[str, Counter[str]] = {key: Counter() for key, _ in ranked}
    plural: dict[str, Counter[str]] = {key: Counter() for key, _ in ranked}
    for words in per_text:
        for word, key in words:
            target = canonical[key]
            if target in singular:
                (singular if target == key else plural)[target][word] += 1
    forms = {key: singular[key] or plural[key] for key, _ in ranked}
    return [WordCount(_display_form(forms[key]), count) for key, count in ranked]
