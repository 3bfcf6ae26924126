"""Contributions close to the one being typed, so a participant can back an idea instead of repeating it."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from rapidfuzz import fuzz, process
from sqlmodel import Session, col, select

from models import Contribution, ContributionSupport, Theme
from services.contributions.supports import support_counts
from services.participants import participant_id_for_token
from services.published import is_published, published_text, published_title
from services.scope import resolve_edition_id
from services.words import words_of

# Below this many characters a text says too little to compare (and every short text looks alike).
MIN_QUERY_CHARS = 20
# token_set_ratio on the words that matter: on the demo set, reworded duplicates of one theme score
# 61-83, closely related ideas 60-61, unrelated contributions 59 at most.
MIN_SCORE = 60.0
MAX_SUGGESTIONS = 3
# Only the most recent contributions of the theme are compared: bounded work per committed text.
MAX_CANDIDATES = 3000
# Present in nearly every contribution here: a word that counts in the word cloud, not for likeness.
_EVERYWHERE = frozenset({"ess"})


@lru_cache(maxsize=50_000)
def match_key(text: str) -> str:
    """The words that matter in a text (services.words: folded, stop words out); cached, it is pure."""
    return " ".join(key for _, key in words_of(text) if key not in _EVERYWHERE)


@dataclass(frozen=True)
class SimilarContribution:
    contribution_id: int
    title: str
    text: str
    score: float
    supports: int
    supported_by_me: bool


def find_similar_contributions(
    session: Session,
    *,
    theme_id: int | None,
    text: str,
    device_token: str | None = None,
    limit: int = MAX_SUGGESTIONS,
    edition_id: int | None = None,
) -> list[SimilarContribution]:
    """Up to `limit` published contributions of the same theme that resemble `text`, as published, best first
    (nothing for a theme of another edition than the one asked)."""
    if theme_id is None or len((text or "").strip()) < MIN_QUERY_CHARS:
        return []
    theme = session.get(Theme, theme_id) if isinstance(theme_id, int) else None
    edition = resolve_edition_id(session=session, edition_id=edition_id)
    if theme is None or theme.edition_id != edition:
        return []
    query = match_key(text)
    if not query:
        return []
    me = (
        participant_id_for_token(session=session, device_token=device_token, edition_id=edition)
        if device_token
        else None
    )
    shown = _candidates(session, theme_id, me)
    best = _distinct_best(query, shown, limit)
    if not best:
        return []
    ids = [cid for _, _, cid in best]
    counts = support_counts(session, ids)
    mine: set[int] = set()
    if me is not None:
        mine = set(
            session.exec(
                select(ContributionSupport.contribution_id).where(
                    col(ContributionSupport.contribution_id).in_(ids), ContributionSupport.participant_id == me
                )
            ).all()
        )
    return [
        SimilarContribution(
            contribution_id=cid,
            title=published_title(shown[cid][0]),  # only the few shown: the detector is not free
            text=shown[cid][1],
            score=float(score),
            supports=counts.get(cid, 0),
            supported_by_me=cid in mine,
        )
        for _, score, cid in best
    ]


def _candidates(session: Session, theme_id: int, me: int | None) -> dict[int, tuple[str, str]]:
    """(title, text as published) of the theme's latest published contributions, but this phone's own."""
    stmt = (
        select(Contribution.id, Contribution.title, published_text())
        .where(Contribution.theme_id == theme_id, is_published())
        .order_by(col(Contribution.created_at).desc())
        .limit(MAX_CANDIDATES)
    )
    if me is not None:
        # Never suggest one's own contributions back (NULL-safe: anonymous paper entries stay candidates).
        stmt = stmt.where((col(Contribution.participant_id).is_(None)) | (Contribution.participant_id != me))
    return {cid: (title, text_) for cid, title, text_ in session.exec(stmt).all() if cid}


def _distinct_best(query: str, shown: dict[int, tuple[str, str]], limit: int) -> list[tuple[str, float, int]]:
    """The `limit` candidates closest to `query` (choice, score, id), best first, each text once."""
    choices = {cid: match_key(f"{title} {text_}") for cid, (title, text_) in shown.items()}
    ranked = process.extract(query, choices, scorer=fuzz.token_set_ratio, score_cutoff=MIN_SCORE, limit=limit * 5)
    # The same text sent twice (a paper copy typed in, an answer re-imported) is offered once.
    best: list[tuple[str, float, int]] = []
    seen: set[str] = set()
    for match in ranked:
        text_key = match_key(shown[match[2]][1])
        if text_key not in seen:
            seen.add(text_key)
            best.append(match)
        if len(best) == limit:
            break
    return best
