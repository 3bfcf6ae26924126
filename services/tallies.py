"""Live tallies of the contributions and of the circuit: every count is a GROUP BY in the database.

Nothing here loads contributions one by one. The counts by theme, source, département, actor type, stance
and time bucket read the rollup `contributiontally` (models.contribution.ContributionTally), which the
database's own triggers keep exact in the same transaction as every write: a few thousand rows per
month of data, whatever the number of contributions. A time window is split into whole days, then whole
hours (and quarter hours for the time series) read from the rollup, and the ragged ends of a « last hour »
window (less than an hour each) counted from the contribution rows through the created_at index.
The only texts read are the bounded sample behind the word counts (`WORDS_TEXTS_PER_THEME`) and the
latest few contributions.

Every tally is an edition's (`edition_id`, the default edition when None): contributions carry no edition of
their own, they hang off a theme, so each function narrows its filter to the edition's theme ids first
(`edition_filter`, one lookup in the theme table). The rollup is keyed by theme, so an edition's counts are
`theme_id IN (…)` on the same primary-key ranges, whatever the other editions hold.
"""

from __future__ import annotations

import dataclasses
import functools
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from typing import Any

import numpy as np
import pandas as pd  # type: ignore[import-untyped]  # no pandas-stubs in the environment
from sqlalchemy import ColumnElement, bindparam, func, literal, literal_column, union_all
from sqlalchemy import select as core_select
from sqlmodel import Session, col, select

from models import (
    Contribution,
    ContributionTally,
    ModerationStatus,
    Orientation,
    Participant,
    Stance,
    Stand,
    StandVisit,
    Theme,
)
from services.formatting import PARIS
from services.published import is_published, published_text, published_title
from services.scope import resolve_edition_id
from services.words import WordCount, count_words

# Rejected contributions (spam, abuse) are out of every count; pending ones count until moderated.
COUNTED_STATUSES: tuple[str, ...] = (ModerationStatus.PENDING.value, ModerationStatus.PUBLISHED.value)
PUBLISHED: tuple[str, ...] = (ModerationStatus.PUBLISHED.value,)

# The word counts read at most this many published texts per theme, newest first. It keeps what the
# chart says current ("what the room is saying now": a whole conference day is a few hundred texts per
# theme), and it bounds the work whatever the size of the table: at most 5 × 300 texts of at most
# 2 000 characters (3 MB), counted in about 15 ms per theme, instead of a cost that grows with a
# region-wide or national consultation.
WORDS_TEXTS_PER_THEME = 300
RECENT_MINUTES = 15
# Time buckets: quarter hours for a day of conference, hours beyond (the page may regroup hours into days).
QUARTER_HOUR_S = 900
HOUR_S = 3600
DAY_S = 86400
QUARTER_HOURS_UP_TO = timedelta(days=2)


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


def _where(
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


def _dialect(session: Session) -> str:
    return session.get_bind().dialect.name


def _rows(session: Session, stmt: Any) -> list[Any]:
    """Rows of a column query, through SQLAlchemy Core: aggregates need none of the ORM's bookkeeping."""
    return list(session.connection().execute(stmt).all())


def _frame(**columns: tuple[list[Any], str]) -> pd.DataFrame:
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


# ---------------------------------------------------------------------------------------------
# The rollup (contributiontally, kept by triggers: see db/migrations/versions/0004 and 0005)

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


def _rollup_counts(
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
        oldest, newest = span if span is not None else _span(session, filters)
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
        stmt = _where(core_select(*raw, func.count()), filters, since=since, until=until)
        if family == "stance":
            stmt = stmt.where(col(Contribution.orientation_id).is_not(None), col(Contribution.stance).is_not(None))
        rows = _rows(session, stmt.group_by(*raw))
        if "key1" in group and family == "stance":
            at = group.index("key1")
            rows = [(*r[:at], str(r[at]), *r[at + 1 :]) for r in rows]
        add(rows)
    return {key: n for key, n in counts.items() if n}


# ---------------------------------------------------------------------------------------------
# What changed since the last look


@dataclass(frozen=True)
class DataVersion:
    """Cheap fingerprint of the live data: part of the cache key, so a new row is seen at the next refresh."""

    last_contribution_id: int
    last_visit_id: int


# Built once: read at every refresh of every live page.
_DATA_VERSION = select(
    select(func.max(Contribution.id)).scalar_subquery(),
    select(func.max(StandVisit.id)).scalar_subquery(),
)


def data_version(session: Session) -> DataVersion:
    """The highest contribution and stand-visit ids (two primary-key lookups, whatever the table size).

    The whole store's, not an edition's: a new row of another edition only costs one recount of the boards,
    while an edition's highest id would be a scan of its themes' rows.
    """
    row = _rows(session, _DATA_VERSION)[0]
    return DataVersion(int(row[0] or 0), int(row[1] or 0))


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


def _span(session: Session, filters: TallyFilter) -> tuple[datetime | None, datetime | None]:
    """The first and last contribution of the filter's themes, whatever their status (None, None: none)."""
    values = {f"t{i}": theme_id for i, theme_id in enumerate(filters.theme_ids)}
    row = session.connection().execute(_span_statement(len(values)), values).one()
    firsts = [t for t in (_as_utc(v) for v in row[0::2]) if t is not None]
    lasts = [t for t in (_as_utc(v) for v in row[1::2]) if t is not None]
    return (min(firsts) if firsts else None), (max(lasts) if lasts else None)


def last_contribution_at(session: Session, *, edition_id: int | None = None) -> datetime | None:
    """When the edition's newest contribution arrived (one index lookup per theme), None when there is none."""
    return _span(session, edition_filter(session=session, filters=TallyFilter(), edition_id=edition_id))[1]


# ---------------------------------------------------------------------------------------------
# Counts by category


@functools.cache
def _theme_ids_statement(filtered: bool) -> Any:
    stmt = select(Theme.id).order_by(col(Theme.position), col(Theme.id))
    return stmt.where(col(Theme.id).in_(bindparam("theme_ids", expanding=True))) if filtered else stmt


def _theme_ids(session: Session, filters: TallyFilter) -> list[int]:
    stmt = _theme_ids_statement(bool(filters.theme_ids))
    return [int(row[0]) for row in session.connection().execute(stmt, {"theme_ids": filters.theme_ids})]


def theme_tallies(session: Session, *, filters: TallyFilter, edition_id: int | None = None) -> pd.DataFrame:
    """One row per theme of the filter, in theme order: theme_id, published, pending, total (zeros kept)."""
    filters = edition_filter(session=session, filters=filters, edition_id=edition_id)
    counts: dict[int, dict[str, int]] = {}
    for (theme_id, status), n in _rollup_counts(session, filters, "base", ("theme_id", "status")).items():
        counts.setdefault(int(theme_id), {})[str(status)] = n
    theme_ids = _theme_ids(session, filters)
    published = [counts.get(t, {}).get(ModerationStatus.PUBLISHED.value, 0) for t in theme_ids]
    pending = [counts.get(t, {}).get(ModerationStatus.PENDING.value, 0) for t in theme_ids]
    return _frame(
        theme_id=(theme_ids, "int64"),
        published=(published, "int64"),
        pending=(pending, "int64"),
        total=([a + b for a, b in zip(published, pending, strict=True)], "int64"),
    )


class Dimension(StrEnum):
    """The categories a tally can be split by (besides the theme)."""

    SOURCE = "source"
    DEPARTEMENT = "departement"
    ACTOR_TYPE = "actor_type"


# Which rollup family answers each dimension, and under which column.
_DIMENSION_KEYS = {
    Dimension.SOURCE: ("base", "source"),
    Dimension.DEPARTEMENT: ("departement", "key1"),
    Dimension.ACTOR_TYPE: ("actor_type", "key1"),
}
NOT_GIVEN = ""  # the key of contributions that left an optional field (département, actor type) empty


def dimension_tallies(
    session: Session, *, filters: TallyFilter, dimension: Dimension, edition_id: int | None = None
) -> pd.DataFrame:
    """Counts by `dimension` and theme: columns key, theme_id, count (empty field → key ""), largest first."""
    filters = edition_filter(session=session, filters=filters, edition_id=edition_id)
    family, column = _DIMENSION_KEYS[Dimension(dimension)]
    rows = [
        (theme_id, key, n)
        for (theme_id, key), n in _rollup_counts(session, filters, family, ("theme_id", column)).items()
    ]
    triples = [(NOT_GIVEN if key is None else str(key), int(theme_id), int(n)) for theme_id, key, n in rows]
    totals: dict[str, int] = {}
    for key, _theme, n in triples:
        totals[key] = totals.get(key, 0) + n
    # A few dozen rows at most: ordered here rather than by a second pass in the database.
    triples.sort(key=lambda t: (-totals[t[0]], t[0], t[1]))
    return _frame(
        key=([t[0] for t in triples], "object"),
        theme_id=([t[1] for t in triples], "int64"),
        count=([t[2] for t in triples], "int64"),
    )


def source_tallies(session: Session, *, filters: TallyFilter, edition_id: int | None = None) -> pd.DataFrame:
    """Counts by source (workshop, questionnaire, conference, treasure hunt, online, paper) and theme."""
    return dimension_tallies(session=session, filters=filters, dimension=Dimension.SOURCE, edition_id=edition_id)


def departement_tallies(session: Session, *, filters: TallyFilter, edition_id: int | None = None) -> pd.DataFrame:
    """Counts by département and theme ("" when the contributor did not say)."""
    return dimension_tallies(session=session, filters=filters, dimension=Dimension.DEPARTEMENT, edition_id=edition_id)


def actor_type_tallies(session: Session, *, filters: TallyFilter, edition_id: int | None = None) -> pd.DataFrame:
    """Counts by actor type and theme ("" when the contributor did not say)."""
    return dimension_tallies(session=session, filters=filters, dimension=Dimension.ACTOR_TYPE, edition_id=edition_id)


def recent_count(
    session: Session,
    *,
    filters: TallyFilter,
    minutes: int = RECENT_MINUTES,
    now: datetime | None = None,
    edition_id: int | None = None,
) -> int:
    """Contributions of the filter received in the last `minutes` (the room's current pace)."""
    filters = edition_filter(session=session, filters=filters, edition_id=edition_id)
    since = (now or datetime.now(UTC)) - timedelta(minutes=minutes)
    if filters.since is not None:
        since = max(since, filters.since)
    # A quarter hour of rows found through created_at, whatever the table size.
    stmt = _where(select(func.count()).select_from(Contribution), filters, since=since)
    return int(_rows(session, stmt)[0][0])


# ---------------------------------------------------------------------------------------------
# Over time


@dataclass(frozen=True)
class TimeSeries:
    """Counts per time bucket and theme: columns bucket (UTC, aware), theme_id, count; oldest first."""

    bucket_s: int
    frame: pd.DataFrame
    first: datetime | None = None
    last: datetime | None = None


def _as_utc(value: datetime | str | None) -> datetime | None:
    if value is None:
        return None
    parsed = datetime.fromisoformat(value) if isinstance(value, str) else value
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def time_series(
    session: Session, *, filters: TallyFilter, bucket_s: int | None = None, edition_id: int | None = None
) -> TimeSeries:
    """Contributions per quarter hour (per hour beyond two days of data) and theme, for the chart over time."""
    filters = edition_filter(session=session, filters=filters, edition_id=edition_id)
    # The bucket size follows the span of the filter's themes (two index lookups per theme); the window,
    # when there is one, bounds it.
    span = _span(session, filters)
    first, last = span
    if first is not None and filters.since is not None:
        first = max(first, filters.since)
    if last is not None and filters.until is not None:
        last = min(last, filters.until)
    empty = _frame(bucket=([], "datetime64[s, UTC]"), theme_id=([], "int64"), count=([], "int64"))
    if first is None or last is None:
        return TimeSeries(bucket_s or QUARTER_HOUR_S, empty)
    if bucket_s is None:
        bucket_s = QUARTER_HOUR_S if last - first <= QUARTER_HOURS_UP_TO else HOUR_S
    if bucket_s not in ROLLUP_WIDTHS["base"]:
        raise ValueError(f"no rollup of {bucket_s} s buckets")
    counts = _rollup_counts(session, filters, "base", ("theme_id", "bucket"), widths=(bucket_s,), span=span)
    if not counts:
        return TimeSeries(bucket_s, empty, first, last)
    # Oldest first, then by theme; bucket starts as epoch seconds turned into datetimes by numpy, at once.
    points = sorted((int(bucket) * bucket_s, int(theme_id), n) for (theme_id, bucket), n in counts.items())
    starts = np.array([p[0] for p in points], dtype=np.int64).astype("datetime64[s]")
    frame = pd.DataFrame(
        {
            "bucket": pd.Series(starts).dt.tz_localize(UTC),
            "theme_id": np.array([p[1] for p in points], dtype=np.int64),
            "count": np.array([p[2] for p in points], dtype=np.int64),
        }
    )
    return TimeSeries(bucket_s, frame, first, last)


# ---------------------------------------------------------------------------------------------
# Stances on the proposed orientations


@dataclass(frozen=True)
class OrientationStances:
    """What the room says of one orientation, and how much it divides it."""

    orientation_id: int
    code: str
    theme_id: int
    title: str
    support: int = 0
    reservations: int = 0
    disagreement: int = 0
    new_proposal: int = 0

    @property
    def total(self) -> int:
        return self.support + self.reservations + self.disagreement + self.new_proposal

    @property
    def net_support(self) -> float | None:
        """Share of supports (with or without reservations) minus share of disagreements, in points (−100…100)."""
        if not self.total:
            return None
        return 100.0 * (self.support + self.reservations - self.disagreement) / self.total

    @property
    def controversy(self) -> float:
        """How much it divides the room: (for + against) ** (smaller side / larger side); 0 when one side is empty.

        A large, even split scores highest; a lopsided or tiny one scores low (the measure used to sort
        "controversial" discussions). New proposals are neither for nor against and do not move it.
        """
        pro = self.support + self.reservations
        against = self.disagreement
        if not pro or not against:
            return 0.0
        return float((pro + against) ** (min(pro, against) / max(pro, against)))


_STANCE_FIELDS = {
    Stance.SUPPORT.value: "support",
    Stance.SUPPORT_WITH_RESERVATIONS.value: "reservations",
    Stance.DISAGREEMENT.value: "disagreement",
    Stance.NEW_PROPOSAL.value: "new_proposal",
}


def orientation_stances(
    session: Session, *, filters: TallyFilter, edition_id: int | None = None
) -> list[OrientationStances]:
    """Every orientation of the filter's themes that was presented or got a stance, the most divisive first."""
    filters = edition_filter(session=session, filters=filters, edition_id=edition_id)
    counts: dict[int, dict[str, int]] = {}
    for (orientation_id, stance), n in _rollup_counts(session, filters, "stance", ("key1", "key2")).items():
        if stance in _STANCE_FIELDS:
            counts.setdefault(int(orientation_id), {})[_STANCE_FIELDS[stance]] = n
    o = Orientation
    listed = core_select(col(o.id), col(o.code), col(o.theme_id), col(o.title), col(o.presented)).order_by(
        col(o.theme_id), col(o.position), col(o.code)
    )
    listed = listed.where(col(o.theme_id).in_(filters.theme_ids))
    result = [
        OrientationStances(int(oid or 0), code, int(theme_id), title, **counts.get(int(oid or 0), {}))
        for oid, code, theme_id, title, presented in _rows(session, listed)
        if presented or int(oid or 0) in counts
    ]
    return sorted(result, key=lambda s: (-s.controversy, -s.total, s.code))


# ---------------------------------------------------------------------------------------------
# Words


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
    for theme_id in _theme_ids(session, filters):
        # One indexed query per theme (theme_id, created_at), newest first, bounded: see WORDS_TEXTS_PER_THEME.
        stmt = _where(
            select(Contribution.title, published_text()).where(Contribution.theme_id == theme_id, is_published()),
            filters,
            statuses=PUBLISHED,
        )
        texts = _rows(session, stmt.order_by(col(Contribution.created_at).desc()).limit(texts_per_theme))
        shown = (f"{published_title(title)}\n{body}" for title, body in texts)
        words: list[WordCount] = count_words(shown, top=top)
        records.extend((theme_id, w.word, w.count, rank) for rank, w in enumerate(words, start=1))
    return _frame(
        theme_id=([r[0] for r in records], "int64"),
        word=([r[1] for r in records], "object"),
        count=([r[2] for r in records], "int64"),
        rank=([r[3] for r in records], "int64"),
    )


# ---------------------------------------------------------------------------------------------
# Latest contributions


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


# ---------------------------------------------------------------------------------------------
# The circuit (treasure hunt)


@dataclass(frozen=True)
class CircuitSummary:
    """The exhibition circuit at a glance, for the filter's themes and time window."""

    visits: int
    hunters: int  # participants with at least one visit
    treasures_found: int  # participants who found the treasure (not split by theme: the treasure is the circuit's)
    stands_open: int
    stands_visited: int
    by_theme: pd.DataFrame = field(default_factory=pd.DataFrame)  # theme_id, visits (every theme, zeros kept)
    by_stand: pd.DataFrame = field(default_factory=pd.DataFrame)  # code, name, theme_id, visits (most visited first)


@functools.cache
def _circuit_statements(since: bool, until: bool) -> tuple[Any, Any]:
    """The circuit's two statements for one filter shape, built once (values bound at execution).

    The visits per stand (a GROUP BY), and the three single figures (hunters, treasures found, open
    stands) as scalar subqueries of one SELECT: one round trip each, whatever the number of figures.
    Stands are the edition's through their themes; the treasure is the edition's passports'.
    """

    def visit_filter(stmt: Any) -> Any:
        stmt = stmt.where(col(Stand.theme_id).in_(bindparam("theme_ids", expanding=True)))
        if since:
            stmt = stmt.where(col(StandVisit.created_at) >= bindparam("since"))
        if until:
            stmt = stmt.where(col(StandVisit.created_at) < bindparam("until"))
        return stmt

    per_stand = visit_filter(
        core_select(col(Stand.code), col(Stand.name), col(Stand.theme_id), func.count(col(StandVisit.id))).join(
            StandVisit, col(StandVisit.stand_id) == col(Stand.id)
        )
    ).group_by(col(Stand.id), col(Stand.code), col(Stand.name), col(Stand.theme_id))
    hunters = visit_filter(
        core_select(func.count(func.distinct(StandVisit.participant_id))).join(
            Stand, col(Stand.id) == col(StandVisit.stand_id)
        )
    )
    found = col(Participant.treasure_found_at)
    treasures = (
        core_select(func.count())
        .select_from(Participant)
        .where(col(Participant.edition_id) == bindparam("edition_id"), found.is_not(None))
    )
    if since:
        treasures = treasures.where(found >= bindparam("since"))
    if until:
        treasures = treasures.where(found < bindparam("until"))
    stands_open = (
        core_select(func.count())
        .select_from(Stand)
        .where(col(Stand.active), col(Stand.theme_id).in_(bindparam("theme_ids", expanding=True)))
    )
    figures = core_select(hunters.scalar_subquery(), treasures.scalar_subquery(), stands_open.scalar_subquery())
    return per_stand, figures


def circuit_summary(session: Session, *, filters: TallyFilter, edition_id: int | None = None) -> CircuitSummary:
    """Visits per theme and per stand, hunters and treasures found (the source filter does not apply)."""
    edition = resolve_edition_id(session=session, edition_id=edition_id)
    filters = edition_filter(session=session, filters=filters, edition_id=edition)
    per_stand_stmt, figures_stmt = _circuit_statements(filters.since is not None, filters.until is not None)
    values: dict[str, Any] = {"theme_ids": list(filters.theme_ids), "edition_id": edition}
    if filters.since is not None:
        values["since"] = filters.since
    if filters.until is not None:
        values["until"] = filters.until
    connection = session.connection()
    per_stand = connection.execute(per_stand_stmt, values).all()
    stands = sorted(((str(c), str(n), int(t), int(v)) for c, n, t, v in per_stand), key=lambda r: (-r[3], r[0]))
    by_stand = _frame(
        code=([r[0] for r in stands], "object"),
        name=([r[1] for r in stands], "object"),
        theme_id=([r[2] for r in stands], "int64"),
        visits=([r[3] for r in stands], "int64"),
    )
    per_theme: dict[int, int] = {}
    for _code, _name, theme_id, visits in stands:  # a few dozen stands at most
        per_theme[theme_id] = per_theme.get(theme_id, 0) + visits
    theme_ids = _theme_ids(session, filters)
    by_theme = _frame(theme_id=(theme_ids, "int64"), visits=([per_theme.get(t, 0) for t in theme_ids], "int64"))
    figures = connection.execute(figures_stmt, values).one()
    return CircuitSummary(
        visits=sum(r[3] for r in stands),
        hunters=int(figures[0]),
        treasures_found=int(figures[1]),
        stands_open=int(figures[2]),
        stands_visited=sum(1 for r in stands if r[3] > 0),
        by_theme=by_theme,
        by_stand=by_stand,
    )
