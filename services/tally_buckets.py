"""Reading the rollup `contributiontally` (models.contribution.ContributionTally), which the database's own
triggers keep exact in the same transaction as every write (see db/migrations/versions/0004 and 0005).

A time window is split into whole days, then whole hours (and quarter hours for the time series) read from the
rollup, and the ragged ends of a « last hour » window (less than an hour each) counted from the contribution rows
through the created_at index. The rollup is keyed by theme, so an edition's counts are `theme_id IN (…)` on the
same primary-key ranges, whatever the other editions hold.
"""

from __future__ import annotations

import functools
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, bindparam, func, literal, literal_column
from sqlalchemy import select as core_select
from sqlmodel import Session, col

from models import Contribution, ContributionTally
from services.tally_filters import TallyFilter, fetch_rows, where_filter

# Time buckets: quarter hours for a day of conference, hours beyond (the page may regroup hours into days).
QUARTER_HOUR_S = 900
HOUR_S = 3600
DAY_S = 86400
QUARTER_HOURS_UP_TO = timedelta(days=2)


# Bucket sizes of each family of rollup rows, largest first (models.contribution.ContributionTally).
ROLLUP_WIDTHS: dict[str, tuple[int, ...]] = {
    "base": (DAY_S, HOUR_S, QUARTER_HOUR_S),
    "departement": (DAY_S, HOUR_S),
    "actor_type": (DAY_S, HOUR_S),
    "stance": (DAY_S, HOUR_S),
}
Piece = tuple[int, int | None, int | None]  # width, first bucket (inclusive), last bucket (exclusive); None: open
Span = tuple[datetime | None, datetime | None]  # [since, until) of contribution rows; None: open


def _moment(epoch: int) -> datetime:
    return datetime.fromtimestamp(epoch, UTC)


def _cover(since: datetime | None, until: datetime | None, widths: tuple[int, ...]) -> tuple[list[Piece], list[Span]]:
    """Split [since, until) into whole buckets of the widths, largest first, and the ragged ends left over.

    A bucket k of width w holds the rows whose created_at, truncated to the second, lies in [k·w, (k+1)·w).
    """
    if since is not None and until is not None and since >= until:
        return [], []
    if not widths:
        return [], [(since, until)]
    width = widths[0]
    first = last = None
    if since is not None:
        seconds = since.timestamp()
        first = -(-int(seconds) // width) if seconds == int(seconds) else int(seconds) // width + 1
    if until is not None:
        last = int(until.timestamp()) // width
    if first is not None and last is not None and first >= last:
        return _cover(since, until, widths[1:])
    pieces: list[Piece] = [(width, first, last)]
    spans: list[Span] = []
    for lo, hi in (
        (since, None if first is None else _moment(first * width)),
        (None if last is None else _moment(last * width), until),
    ):
        if lo is not None and hi is not None and lo < hi:
            more_pieces, more_spans = _cover(lo, hi, widths[1:])
            pieces += more_pieces
            spans += more_spans
    return pieces, spans


def _dialect(session: Session) -> str:
    return session.get_bind().dialect.name


def _epoch_bucket(session: Session, width: int) -> ColumnElement[Any]:
    """The bucket of a contribution row, computed exactly as the triggers of migration 0004 do."""
    if _dialect(session) == "sqlite":
        return literal_column(f"CAST(strftime('%s', substr(contribution.created_at, 1, 19)) AS INTEGER) / {int(width)}")
    return literal_column(f"CAST(floor(extract(epoch FROM contribution.created_at)) AS BIGINT) / {int(width)}")


def rollup_column(session: Session, family: str, name: str, width: int) -> Any:
    """The contribution-row expression of one rollup column: the ragged ends of a window here, the batch
    upserts of services.tally_rollup."""
    if name == "bucket":
        return _epoch_bucket(session, width)
    if name == "key1":
        if family == "stance":
            return col(Contribution.orientation_id)
        if family == "base":
            return literal("")
        return func.coalesce(col(getattr(Contribution, family)), "")
    if name == "key2":
        return col(Contribution.stance) if family == "stance" else literal("")
    return col(getattr(Contribution, name))


@functools.cache
def _rollup_statement_of(group: tuple[str, ...], first: bool, last: bool, filtered: tuple[bool, bool, bool]) -> Any:
    T = ContributionTally
    columns = [getattr(T, name) for name in group]
    stmt = core_select(*columns, func.sum(col(T.n))).where(
        col(T.family) == bindparam("family"), col(T.width) == bindparam("width")
    )
    if first:
        stmt = stmt.where(col(T.bucket) >= bindparam("first"))
    if last:
        stmt = stmt.where(col(T.bucket) < bindparam("last"))
    names = ("statuses", "theme_ids", "sources")
    for wanted, column, name in zip(filtered, (T.status, T.theme_id, T.source), names, strict=True):
        if wanted:
            stmt = stmt.where(col(column).in_(bindparam(name, expanding=True)))
    return stmt.group_by(*columns)


def _rollup_statement(group: tuple[str, ...], first: bool, last: bool, filters: TallyFilter) -> Any:
    """One statement per shape, built once and reused (values bound at execution): no per-refresh build."""
    filtered = (bool(filters.statuses), bool(filters.theme_ids), bool(filters.sources))
    return _rollup_statement_of(group, first, last, filtered)


def rollup_counts(
    session: Session,
    filters: TallyFilter,
    family: str,
    group: tuple[str, ...],
    *,
    widths: tuple[int, ...] | None = None,
    span: Span | None = None,
) -> dict[tuple[Any, ...], int]:
    """Counts of the filter's contributions grouped by `group` (rollup column names), zero sums left out.

    Whole buckets come from the rollup (a range of its primary key per width); the ragged ends of the
    window, if any, from the contribution rows. Keys come back as the rollup holds them (key1 as text).
    An end the window leaves open is closed at the first or last contribution of the filter's themes
    (`span` when the caller read it already): the key's range then covers this edition's days, not every
    edition's buckets of that width, which the theme filter would otherwise have to sift one by one.
    """
    pieces, spans = _cover(filters.since, filters.until, widths or ROLLUP_WIDTHS[family])
    if any(first is None or last is None for _width, first, last in pieces):
        oldest, newest = span if span is not None else contribution_span(session, filters)
        if oldest is None or newest is None:
            return {}  # no contribution of these themes at all
        pieces = [
            (
                width,
                int(oldest.timestamp()) // width if first is None else first,
                int(newest.timestamp()) // width + 1 if last is None else last,
            )
            for width, first, last in pieces
        ]
    counts: dict[tuple[Any, ...], int] = {}

    def add(rows: list[Any]) -> None:
        for *key, n in rows:
            k = tuple(key)
            counts[k] = counts.get(k, 0) + int(n)

    for width, first, last in pieces:
        stmt = _rollup_statement(group, first is not None, last is not None, filters)
        values = {"family": family, "width": width, "first": first, "last": last}
        values |= {"statuses": filters.statuses, "theme_ids": filters.theme_ids, "sources": filters.sources}
        add(list(session.connection().execute(stmt, values).all()))
    for since, until in spans:
        raw = [rollup_column(session, family, name, (widths or (0,))[-1]) for name in group]
        stmt = where_filter(core_select(*raw, func.count()), filters, since=since, until=until)
        if family == "stance":
            stmt = stmt.where(col(Contribution.orientation_id).is_not(None), col(Contribution.stance).is_not(None))
        rows = fetch_rows(session, stmt.group_by(*raw))
        if "key1" in group and family == "stance":
            at = group.index("key1")
            rows = [(*r[:at], str(r[at]), *r[at + 1 :]) for r in rows]
        add(rows)
    return {key: n for key, n in counts.items() if n}


def _as_utc(value: datetime | str | None) -> datetime | None:
    if value is None:
        return None
    parsed = datetime.fromisoformat(value) if isinstance(value, str) else value
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


@functools.cache
def _span_statement(themes: int) -> Any:
    """The oldest and newest created_at of each of `themes` themes: one lookup at each end of
    ix_contribution_theme_created per theme (a min or max over `theme_id IN (…)` would read every row)."""
    created, theme = col(Contribution.created_at), col(Contribution.theme_id)
    ends = []
    for i in range(themes):
        ends.append(core_select(func.min(created)).where(theme == bindparam(f"t{i}")).scalar_subquery())
        ends.append(core_select(func.max(created)).where(theme == bindparam(f"t{i}")).scalar_subquery())
    return core_select(*ends)


def contribution_span(session: Session, filters: TallyFilter) -> tuple[datetime | None, datetime | None]:
    """The first and last contribution of the filter's themes, whatever their status (None, None: none)."""
    values = {f"t{i}": theme_id for i, theme_id in enumerate(filters.theme_ids)}
    row = session.connection().execute(_span_statement(len(values)), values).one()
    firsts = [t for t in (_as_utc(v) for v in row[0::2]) if t is not None]
    lasts = [t for t in (_as_utc(v) for v in row[1::2]) if t is not None]
    return (min(firsts) if firsts else None), (max(lasts) if lasts else None)
