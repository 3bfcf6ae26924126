"""What the room is writing: the words of the newest published texts, and the latest contributions.

The only texts the tallies read: the bounded sample behind the word counts (`WORDS_TEXTS_PER_THEME`) and the
latest few contributions.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import pandas as pd
from sqlalchemy import bindparam, union_all
from sqlalchemy import select as core_select
from sqlmodel import Session, col, select

from models import Contribution
from services.published import is_published, published_text, published_title
from services.tally_filters import (
    PUBLISHED,
    TallyFilter,
    edition_filter,
    fetch_rows,
    ordered_theme_ids,
    typed_frame,
    where_filter,
)
from services.words import WordCount, count_words

# The word counts read at most this many published texts per theme, newest first. It keeps what the
# chart says current ("what the room is saying now": a whole conference day is a few hundred texts per
# theme), and it bounds the work whatever the size of the table: at most 5 × 300 texts of at most
# 2 000 characters (3 MB), counted in about 15 ms per theme, instead of a cost that grows with a
# region-wide or national consultation.
WORDS_TEXTS_PER_THEME = 300


def top_words(
    session: Session,
    *,
    filters: TallyFilter,
    top: int = 10,
    texts_per_theme: int = WORDS_TEXTS_PER_THEME,
    edition_id: int | None = None,
) -> pd.DataFrame:
    """The words used by the most recent published contributions of each theme: theme_id, word, count, rank."""
    filters = edition_filter(session=session, filters=filters, edition_id=edition_id)
    records: list[tuple[int, str, int, int]] = []
    for theme_id in ordered_theme_ids(session, filters):
        # One indexed query per theme (theme_id, created_at), newest first, bounded: see WORDS_TEXTS_PER_THEME.
        stmt = where_filter(
            select(Contribution.title, published_text()).where(Contribution.theme_id == theme_id, is_published()),
            filters,
            statuses=PUBLISHED,
        )
        texts = fetch_rows(session, stmt.order_by(col(Contribution.created_at).desc()).limit(texts_per_theme))
        shown = (f"{published_title(title)}\n{body}" for title, body in texts)
        words: list[WordCount] = count_words(shown, top=top)
        records.extend((theme_id, w.word, w.count, rank) for rank, w in enumerate(words, start=1))
    return typed_frame(
        theme_id=([r[0] for r in records], "int64"),
        word=([r[1] for r in records], "object"),
        count=([r[2] for r in records], "int64"),
        rank=([r[3] for r in records], "int64"),
    )


@dataclass(frozen=True)
class LatestContribution:
    """A contribution as the room may see it: the text to show as plain text, never as markup."""

    contribution_id: int
    created_at: datetime
    theme_id: int
    source: str
    status: str
    title: str
    text: str
    author: str  # "" for anonymous (or erased); a name or an organisation when the author chose so


def _author(display_mode: str, name: str, organisation: str, erased: datetime | None) -> str:
    if erased is not None:
        return ""
    if display_mode == "name":
        return name
    if display_mode == "organisation":
        return organisation
    return ""


@functools.cache
def _latest_statement(themes: int, published_only: bool, shape: tuple[bool, bool, bool, bool]) -> Any:
    """The newest contributions of each of `themes` themes through (theme_id, created_at), then the newest of
    those: a short backward walk per theme, one statement per filter shape (values bound at execution).

    A single ORDER BY created_at over the edition's themes would walk the store's newest rows first, every
    other edition's included, before reaching an older edition's.
    """
    statuses, sources, since, until = shape
    c = Contribution
    columns: tuple[Any, ...] = (
        col(c.id).label("id"),
        col(c.created_at).label("created_at"),
        col(c.theme_id),
        col(c.source),
        col(c.status),
        col(c.title),
        published_text().label("text"),
        col(c.display_mode),
        col(c.author_name),
        col(c.organisation),
        col(c.personal_data_erased_at),
    )
    branches = []
    for i in range(themes):
        branch = core_select(*columns).where(col(c.theme_id) == bindparam(f"t{i}"))
        if statuses:
            branch = branch.where(col(c.status).in_(bindparam("statuses", expanding=True)))
        if published_only:
            branch = branch.where(is_published())
        if sources:
            branch = branch.where(col(c.source).in_(bindparam("sources", expanding=True)))
        if since:
            branch = branch.where(col(c.created_at) >= bindparam("since"))
        if until:
            branch = branch.where(col(c.created_at) < bindparam("until"))
        branches.append(branch.order_by(col(c.created_at).desc(), col(c.id).desc()).limit(bindparam("limit")))
    if len(branches) == 1:
        return branches[0]
    newest = union_all(*(core_select(b.subquery()) for b in branches)).subquery()
    return core_select(newest).order_by(newest.c.created_at.desc(), newest.c.id.desc()).limit(bindparam("limit"))


def latest_contributions(
    session: Session,
    *,
    filters: TallyFilter,
    limit: int = 20,
    published_only: bool = True,
    edition_id: int | None = None,
) -> list[LatestContribution]:
    """The newest contributions of the filter; only published ones, as published, unless staff ask otherwise."""
    filters = edition_filter(session=session, filters=filters, edition_id=edition_id)
    statuses = PUBLISHED if published_only else filters.statuses
    shape = (bool(statuses), bool(filters.sources), filters.since is not None, filters.until is not None)
    values: dict[str, Any] = {f"t{i}": theme_id for i, theme_id in enumerate(filters.theme_ids)}
    values |= {"statuses": statuses, "sources": filters.sources, "since": filters.since, "until": filters.until}
    stmt = _latest_statement(len(filters.theme_ids), published_only, shape)
    rows = list(session.connection().execute(stmt, values | {"limit": limit}).all())
    shown_title = published_title if published_only else str
    return [
        LatestContribution(
            int(cid or 0),
            created,
            int(theme_id),
            source,
            status,
            shown_title(title),
            text,
            _author(mode, name, org, erased),
        )
        for cid, created, theme_id, source, status, title, text, mode, name, org, erased in rows
    ]
