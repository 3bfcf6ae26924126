"""Contributions close to the one being typed, so a participant can back an idea instead of repeating it.

Asked while the participant types (after each pause, ui/components/typing.py), so each call must stay cheap
whatever the number of published contributions: the theme's published texts are a shared index built once per
data version (services.suggestion_indexes); a call embeds only the typed text, then reads what depends on the
phone (its own contributions, never offered back; its supports) for the few found.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session, col, select

from models import Contribution, ContributionSupport, Theme
from services import semantics
from services.contributions.supports import support_counts
from services.participants import participant_id_for_token
from services.published import is_published, published_title
from services.scope import resolve_edition_id
from services.suggestion_indexes import Copy, match_key, theme_index

__all__ = ["MAX_SUGGESTIONS", "MIN_QUERY_CHARS", "SimilarContribution", "find_similar_contributions", "match_key"]

# Below this many characters a text says too little to compare (and every short text looks alike).
MIN_QUERY_CHARS = 20
MAX_SUGGESTIONS = 3
# The lowest score of a suggestion, under the default method and under the word fallback (chosen on the
# evaluation set: services.semantics.methods).
SUGGEST_THRESHOLD = semantics.SUGGEST_THRESHOLD
FALLBACK_SUGGEST_THRESHOLD = semantics.FALLBACK_SUGGEST_THRESHOLD
# The model's cost grows with the text's length (measured on this 2-core machine under load, one thread:
# ~50 ms for 60 characters, ~230 ms for 300, ~2 s for 2 000): the typed text is compared by its beginning,
# cut at a word, where a participant states the idea, and where suggestions help (before the rest is typed).
QUERY_MAX_CHARS = 200


def query_text(text: str) -> str:
    """The beginning of the typed text that is compared: at most QUERY_MAX_CHARS characters, cut at a word."""
    text = " ".join(text.split())
    if len(text) <= QUERY_MAX_CHARS:
        return text
    cut = text[: QUERY_MAX_CHARS + 1]
    return cut[: cut.rfind(" ")] if " " in cut else cut[:QUERY_MAX_CHARS]


@dataclass(frozen=True)
class SimilarContribution:
    contribution_id: int
    title: str
    text: str
    score: float  # in [0, 1]
    supports: int
    supported_by_me: bool


def min_score(method_name: str) -> float:
    """The threshold of the method that answered (the word fallback scores lower for the same likeness)."""
    return SUGGEST_THRESHOLD if method_name == semantics.DEFAULT_METHOD else FALLBACK_SUGGEST_THRESHOLD


def find_similar_contributions(
    session: Session,
    *,
    theme_id: int | None,
    text: str,
    device_token: str | None = None,
    limit: int = MAX_SUGGESTIONS,
    edition_id: int | None = None,
) -> list[SimilarContribution]:
    """Up to `limit` published contributions of the same theme that resemble `text`, as published, best first,
    each text once and never this phone's own (nothing for a theme of another edition than the one asked)."""
    if theme_id is None or len((text or "").strip()) < MIN_QUERY_CHARS:
        return []
    theme = session.get(Theme, theme_id) if isinstance(theme_id, int) else None
    edition = resolve_edition_id(session=session, edition_id=edition_id)
    if theme is None or theme.edition_id != edition:
        return []
    if not match_key(text):
        return []
    me = (
        participant_id_for_token(session=session, device_token=device_token, edition_id=edition)
        if device_token
        else None
    )
    mine = _own_published(session, theme_id, me)
    shared = theme_index(session, theme_id)
    found = shared.index.search(query_text(text), limit=limit + len(mine), min_score=min_score(shared.index.method))
    best: list[tuple[Copy, float]] = []
    for position, score in found:
        # The same text sent twice is one entry, offered through its oldest copy that is not this phone's own.
        others = [c for c in shared.entries[position].copies if c.contribution_id not in mine]
        if others:
            best.append((others[0], score))
        if len(best) == limit:
            break
    return _with_supports(session, best, me)


def _own_published(session: Session, theme_id: int, me: int | None) -> set[int]:
    """This phone's published contributions of the theme: never suggested back to it."""
    if me is None:
        return set()
    rows = session.exec(
        select(Contribution.id).where(
            Contribution.participant_id == me, Contribution.theme_id == theme_id, is_published()
        )
    ).all()
    return {cid for cid in rows if cid is not None}


def _with_supports(session: Session, best: list[tuple[Copy, float]], me: int | None) -> list[SimilarContribution]:
    if not best:
        return []
    ids = [copy.contribution_id for copy, _ in best]
    counts = support_counts(session, ids)
    supported: set[int] = set()
    if me is not None:
        supported = set(
            session.exec(
                select(ContributionSupport.contribution_id).where(
                    col(ContributionSupport.contribution_id).in_(ids), ContributionSupport.participant_id == me
                )
            ).all()
        )
    return [
        SimilarContribution(
            contribution_id=copy.contribution_id,
            title=published_title(copy.title),  # only the few shown: the detector is not free
            text=copy.text,
            score=score,
            supports=counts.get(copy.contribution_id, 0),
            supported_by_me=copy.contribution_id in supported,
        )
        for copy, score in best
    ]
