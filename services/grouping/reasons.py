"""Why each member is in its group, in plain French words staff can check against the texts.

Each member is compared with the group's first (earliest) text, the one proposed as representative: the
meaning score of their sentence vectors, and the words they share. Vectors come from the store when they
were computed for these texts (services.semantics.contribution_vectors at proposal time), else from the
model's memory: listing groups never writes, and never calls the model once per member.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlmodel import Session

from services import semantics
from services.formatting import format_percent
from services.semantics import model
from services.similar import match_key

# Shared words named in a reason; the rest is « … ».
_WORDS_SHOWN = 6

REFERENCE = "référence : le texte le plus ancien"
SAME_TEXT = "même texte, à l'écriture près"
CLOSE_SPELLING = "orthographe voisine (aucun mot identique)"


def known_vectors(session: Session, items: Sequence[tuple[int, str]]) -> model.Matrix | None:
    """Sentence vectors of (contribution id, compared text), in order, without writing anything; None when the
    model is unavailable. Stored ones are read back; the others are computed in the model's memory only (the
    next proposal stores them)."""
    if not items or not model.available():
        return None
    semantics.recall_stored(session, items)
    return model.embed([text for _, text in items])


def shared_words(a: str, b: str) -> tuple[str, ...]:
    """Words of `a` whose lemma `b` also has, as `a` wrote them (semantics.explain's words, without its scores)."""
    theirs = {lemma for _, lemma in semantics.key_words(b)}
    shared: list[str] = []
    seen: set[str] = set()
    for word, lemma in semantics.key_words(a):
        if lemma in theirs and lemma not in seen:
            seen.add(lemma)
            shared.append(word.lower() if not word.isupper() else word)
    return tuple(shared)


def _words(words: Sequence[str]) -> str:
    shown = ", ".join(words[:_WORDS_SHOWN])
    return shown + (", …" if len(words) > _WORDS_SHOWN else "")


def reason(meaning: float | None, words: Sequence[str], *, identical: bool, close: float) -> str:
    """One member's reason: « sens proche (84 %) · mots en commun : tiers, lieu », « mêmes mots : … », …

    `meaning`: the sentence model's score alone (in [0, 1]), None without the model (as in
    semantics.Explanation); `words`: the words shared with the reference; `close`: the meaning score from which
    the meaning is called close.
    """
    if identical:
        return SAME_TEXT
    if meaning is None:  # compared by words only
        return f"mêmes mots : {_words(words)}" if words else CLOSE_SPELLING
    shown = format_percent(meaning * 100)
    if meaning >= close:
        return f"sens proche ({shown})" + (f" · mots en commun : {_words(words)}" if words else "")
    if words:
        return f"mêmes mots : {_words(words)} · sens {shown}"
    return f"sens peu proche ({shown}), aucun mot en commun : à vérifier"


def group_reasons(texts: Sequence[str], vectors: model.Matrix | None, *, close: float) -> list[str]:
    """The reason of each text of a group (its first text being the reference), from vectors already known."""
    if not texts:
        return []
    meanings: list[float | None] = [None] * len(texts)
    if vectors is not None:
        row = semantics.space(texts, method_name="e5", vectors=vectors).block(0, 1)[0]
        meanings = [float(score) for score in row]
    first_key = match_key(texts[0])
    reasons = [REFERENCE]
    for n in range(1, len(texts)):
        identical = bool(first_key) and match_key(texts[n]) == first_key
        reasons.append(reason(meanings[n], shared_words(texts[0], texts[n]), identical=identical, close=close))
    return reasons
