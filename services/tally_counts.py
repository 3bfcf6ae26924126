"""Counts by category (theme, source, département, actor type), the room's pace, the stances on the proposed
orientations, and the data version the live pages' caches are keyed by: every count a GROUP BY, most of them
read from the rollup (services.tally_buckets)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum

import pandas as pd
from sqlalchemy import func
from sqlalchemy import select as core_select
from sqlmodel import Session, col, select

from models import Contribution, ModerationStatus, Orientation, Stance, StandVisit
from services.tally_buckets import contribution_span, rollup_counts
from services.tally_filters import TallyFilter, edition_filter, fetch_rows, ordered_theme_ids, typed_frame, where_filter

RECENT_MINUTES = 15


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
    row = fetch_rows(session, _DATA_VERSION)[0]
    return DataVersion(int(row[0] or 0), int(row[1] or 0))


def last_contribution_at(session: Session, *, edition_id: int | None = None) -> datetime | None:
    """When the edition's newest contribution arrived (one index lookup per theme), None when there is none."""
    return contribution_span(session, edition_filter(session=session, filters=TallyFilter(), edition_id=edition_id))[1]


def theme_tallies(session: Session, *, filters: TallyFilter, edition_id: int | None = None) -> pd.DataFrame:
    """One row per theme of the filter, in theme order: theme_id, published, pending, total (zeros kept)."""
    filters = edition_filter(session=session, filters=filters, edition_id=edition_id)
    counts: dict[int, dict[str, int]] = {}
    for (theme_id, status), n in rollup_counts(session, filters, "base", ("theme_id", "status")).items():
        counts.setdefault(int(theme_id), {})[str(status)] = n
    theme_ids = ordered_theme_ids(session, filters)
    published = [counts.get(t, {}).get(ModerationStatus.PUBLISHED.value, 0) for t in theme_ids]
    pending = [counts.get(t, {}).get(ModerationStatus.PENDING.value, 0) for t in theme_ids]
    return typed_frame(
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
        for (theme_id, key), n in rollup_counts(session, filters, family, ("theme_id", column)).items()
    ]
    triples = [(NOT_GIVEN if key is None else str(key), int(theme_id), int(n)) for theme_id, key, n in rows]
    totals: dict[str, int] = {}
    for key, _theme, n in triples:
        totals[key] = totals.get(key, 0) + n
    # A few dozen rows at most: ordered here rather than by a second pass in the database.
    triples.sort(key=lambda t: (-totals[t[0]], t[0], t[1]))
    return typed_frame(
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
    stmt = where_filter(select(func.count()).select_from(Contribution), filters, since=since)
    return int(fetch_rows(session, stmt)[0][0])


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
    for (orientation_id, stance), n in rollup_counts(session, filters, "stance", ("key1", "key2")).items():
        if stance in _STANCE_FIELDS:
            counts.setdefault(int(orientation_id), {})[_STANCE_FIELDS[stance]] = n
    o = Orientation
    listed = core_select(col(o.id), col(o.code), col(o.theme_id), col(o.title), col(o.presented)).order_by(
        col(o.theme_id), col(o.position), col(o.code)
    )
    listed = listed.where(col(o.theme_id).in_(filters.theme_ids))
    result = [
        OrientationStances(int(oid or 0), code, int(theme_id), title, **counts.get(int(oid or 0), {}))
        for oid, code, theme_id, title, presented in fetch_rows(session, listed)
        if presented or int(oid or 0) in counts
    ]
    return sorted(result, key=lambda s: (-s.controversy, -s.total, s.code))
