"""Contributions close to the one being typed, so a participant can back an idea instead of repeating it."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from rapidfuzz import fuzz, process
from sqlalchemy import func
from sqlmodel import Session, col, select

from models import Contribution, ContributionSupport
from services.contributions import VISIBLE_STATUSES
from services.participants import participant_id_for_token
from services.text import fold

# Below this many characters a text says too little to compare (and every short text looks alike).
MIN_QUERY_CHARS = 20
# token_set_ratio on folded words without stop words: on the demo set, reworded duplicates score 62–80
# and unrelated contributions of the same theme stay at or under 59.
MIN_SCORE = 62.0
MAX_SUGGESTIONS = 3
# Only the most recent contributions of the theme are compared: bounded work per keystroke-commit.
MAX_CANDIDATES = 3000

# Words that carry no idea of their own (French function words, and "ESS", present everywhere here).
_STOP_WORDS_TEXT = (
    "les des une dans pour par sur avec sans que qui quoi est sont pas plus mais ont aux ces cette ils elles "
    "nous vous leur leurs tout tous toutes faut faire etre avoir comme bien tres trop aussi encore deja "
    "entre dont donc car alors ess cela ceci son ses notre nos votre vos meme peu afin"
)
_STOP_WORDS = frozenset(_STOP_WORDS_TEXT.split())
_WORD = re.compile(r"[a-z0-9]+")


@lru_cache(maxsize=50_000)
def match_key(text: str) -> str:
    """The words that matter in a text, folded (case and accents) for comparison; cached, it is pure."""
    return " ".join(w for w in _WORD.findall(fold(text)) if len(w) >= 3 and w not in _STOP_WORDS)


@dataclass(frozen=True)
class SimilarContribution:
    contribution_id: int
    title: str
    text: str
    score: float
    supports: int
    supported_by_me: bool


def find_similar_contributions(
    *,
    session: Session,
    theme_id: int | None,
    text: str,
    device_token: str | None = None,
    limit: int = MAX_SUGGESTIONS,
) -> list[SimilarContribution]:
    """Up to `limit` published or pending contributions of the same theme that resemble `text`, best first."""
    if theme_id is None or len((text or "").strip()) < MIN_QUERY_CHARS:
        return []
    query = match_key(text)
    if not query:
        return []
    me = participant_id_for_token(session=session, device_token=device_token) if device_token else None
    stmt = (
        select(Contribution.id, Contribution.title, Contribution.body, Contribution.masked_body)
        .where(Contribution.theme_id == theme_id, col(Contribution.status).in_(VISIBLE_STATUSES))
        .order_by(col(Contribution.created_at).desc())
        .limit(MAX_CANDIDATES)
    )
    if me is not None:
        # Never suggest one's own contributions back (NULL-safe: anonymous paper entries stay candidates).
        stmt = stmt.where((col(Contribution.participant_id).is_(None)) | (Contribution.participant_id != me))
    rows = session.exec(stmt).all()
    shown = {cid: (title, masked if masked is not None else body) for cid, title, body, masked in rows if cid}
    choices = {cid: match_key(f"{title} {text_}") for cid, (title, text_) in shown.items()}
    ranked = process.extract(query, choices, scorer=fuzz.token_set_ratio, score_cutoff=MIN_SCORE, limit=limit * 5)
    # The same text sent twice (a paper copy typed in, an answer re-imported) is offered once.
    best, seen = [], set()
    for match in ranked:
        text_key = match_key(shown[match[2]][1])
        if text_key not in seen:
            seen.add(text_key)
            best.append(match)
        if len(best) == limit:
            break
    if not best:
        return []
    ids = [cid for _, _, cid in best]
    counts = dict(
        session.exec(
            select(ContributionSupport.contribution_id, func.count())
            .where(col(ContributionSupport.contribution_id).in_(ids))
            .group_by(col(ContributionSupport.contribution_id))
        ).all()
    )
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
            title=shown[cid][0],
            text=shown[cid][1],
            score=float(score),
            supports=int(counts.get(cid, 0)),
            supported_by_me=cid in mine,
        )
        for _, score, cid in best
    ]
