"""What every tally follows: the filter (themes, sources, time window) narrowed to an edition, and the small
query helpers the tally modules share (the filter as a WHERE clause, rows through SQLAlchemy Core, typed frames).

Contributions carry no edition of their own, they hang off a theme, so each tally narrows its filter to the
edition's theme ids first (`edition_filter`, one lookup in the theme table).
"""

from __future__ import annotations

import dataclasses
import functools
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import bindparam
from sqlalchemy import select as core_select
from sqlmodel import Session, col, select

from models import Contribution, ModerationStatus, Theme
from services.formatting import PARIS
from services.scope import resolve_edition_id

# Rejected contributions (spam, abuse) are out of every count; pending ones count until moderated.
COUNTED_STATUSES: tuple[str, ...] = (ModerationStatus.PENDING.value, ModerationStatus.PUBLISHED.value)
PUBLISHED: tuple[str, ...] = (ModerationStatus.PUBLISHED.value,)


class Window(StrEnum):
    """The time windows offered by the filters; resolved against the clock when a query runs."""

    ALL = "all"
    DAY = "day"
    LAST_3H = "3h"
    LAST_HOUR = "1h"


@dataclass(frozen=True)
class TallyFilter:
    """What every tally follows. Empty tuples mean "all"; `until` is exclusive."""

    theme_ids: tuple[int, ...] = ()
    sources: tuple[str, ...] = ()
    since: datetime | None = None
    until: datetime | None = None
    statuses: tuple[str, ...] = COUNTED_STATUSES


# No theme has this id (ids start at 1): the filter of a theme that is not the edition's matches nothing.
NO_THEME = 0


@functools.cache
def _edition_themes_statement() -> Any:
    return (
        core_select(col(Theme.id))
        .where(col(Theme.edition_id) == bindparam("edition_id"))
        .order_by(col(Theme.position), col(Theme.id))
    )


def edition_filter(session: Session, *, filters: TallyFilter, edition_id: int | None = None) -> TallyFilter:
    """`filters` narrowed to the edition's themes: a theme of another edition asked for counts nothing."""
    edition = resolve_edition_id(session=session, edition_id=edition_id)
    own = [int(row[0]) for row in session.connection().execute(_edition_themes_statement(), {"edition_id": edition})]
    wanted = tuple(sorted(t for t in own if not filters.theme_ids or t in filters.theme_ids))
    return dataclasses.replace(filters, theme_ids=wanted or (NO_THEME,))


def window_bounds(window: str, *, day: date | None = None, now: datetime) -> tuple[datetime | None, datetime | None]:
    """UTC bounds of a window: a whole Paris day for DAY, the last hours for the others, none for ALL."""
    if window == Window.DAY:
        local_day = day or now.astimezone(PARIS).date()
        start = datetime.combine(local_day, time(0), tzinfo=PARIS)
        end = datetime.combine(local_day + timedelta(days=1), time(0), tzinfo=PARIS)
        return start.astimezone(UTC), end.astimezone(UTC)
    if window == Window.LAST_3H:
        return now - timedelta(hours=3), None
    if window == Window.LAST_HOUR:
        return now - timedelta(hours=1), None
    if window == Window.ALL:
        return None, None
    raise ValueError(f"unknown window: {window}")


def make_filter(
    *,
    theme_ids: tuple[int, ...] = (),
    sources: tuple[str, ...] = (),
    window: str = Window.ALL,
    day: date | None = None,
    now: datetime | None = None,
) -> TallyFilter:
    """A filter from what the page's widgets say, the window resolved against `now` (the clock by default)."""
    since, until = window_bounds(window, day=day, now=now or datetime.now(UTC))
    return TallyFilter(theme_ids=tuple(sorted(theme_ids)), sources=tuple(sorted(sources)), since=since, until=until)


def where_filter(
    stmt: Any,
    filters: TallyFilter,
    *,
    statuses: tuple[str, ...] | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    table: Any = Contribution,
) -> Any:
    """Apply the filter to contribution rows (or to rollup rows: `table`); `since`/`until` narrow its window."""
    statuses = filters.statuses if statuses is None else statuses
    if statuses:
        stmt = stmt.where(col(table.status).in_(statuses))
    if filters.theme_ids:
        stmt = stmt.where(col(table.theme_id).in_(filters.theme_ids))
    if filters.sources:
        stmt = stmt.where(col(table.source).in_(filters.sources))
    if table is Contribution:
        since = filters.since if since is None else since
        until = filters.until if until is None else until
        if since is not None:
            stmt = stmt.where(col(Contribution.created_at) >= since)
        if until is not None:
            stmt = stmt.where(col(Contribution.created_at) < until)
    return stmt


def fetch_rows(session: Session, stmt: Any) -> list[Any]:
    """Rows of a column query, through SQLAlchemy Core: aggregates need none of the ORM's bookkeeping."""
    return list(session.connection().execute(stmt).all())


def typed_frame(**columns: tuple[list[Any], str]) -> pd.DataFrame:
    """A DataFrame from plain lists with explicit dtypes (object for text: no Arrow conversion to pay).

    Through numpy arrays: a quarter of the cost of pandas parsing each dtype name, at every refresh.
    """
    data: dict[str, Any] = {}
    for name, (values, dtype) in columns.items():
        if dtype == "int64":
            data[name] = np.array(values, dtype=np.int64)
        elif dtype == "object":
            data[name] = np.array(values, dtype=object) if values else np.empty(0, dtype=object)
        else:
            data[name] = pd.Series(values, dtype=dtype)
    return pd.DataFrame(data)


@functools.cache
def _theme_ids_statement(filtered: bool) -> Any:
    stmt = select(Theme.id).order_by(col(Theme.position), col(Theme.id))
    return stmt.where(col(Theme.id).in_(bindparam("theme_ids", expanding=True))) if filtered else stmt


def ordered_theme_ids(session: Session, filters: TallyFilter) -> list[int]:
    stmt = _theme_ids_statement(bool(filters.theme_ids))
    return [int(row[0]) for row in session.connection().execute(stmt, {"theme_ids": filters.theme_ids})]
