"""The organisers' view of the circuit: its live traffic (circuit_traffic, the « Circuit en direct » page) and its
summary for the dashboard's filters (circuit_summary), every count a GROUP BY in the database."""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import pandas as pd
from sqlalchemy import BigInteger, Integer, and_, bindparam, cast, func, literal_column, type_coerce
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from models import Contribution, ModerationStatus, Participant, Stand, StandVisit
from services.scope import resolve_edition_id
from services.tally_filters import TallyFilter, edition_filter, ordered_theme_ids, typed_frame

QUARTER_S = 900


@dataclass(frozen=True)
class StandTraffic:
    code: str
    name: str
    theme_id: int
    position: int
    visits: int
    contributions: int  # contributions sent from the stand's page
    converted: int  # visitors of the stand who also contributed from it

    @property
    def conversion(self) -> float | None:
        return self.converted / self.visits if self.visits else None


@dataclass(frozen=True)
class CircuitTraffic:
    stands: list[StandTraffic]  # every open stand, in circuit order, zeros kept
    visits_by_theme: dict[int, int]
    visits_by_quarter: list[tuple[datetime, int]]  # start of each 15-minute slot with visits, UTC
    hunters: int
    treasures_found: int

    @property
    def unreached(self) -> list[StandTraffic]:
        return [s for s in self.stands if s.visits == 0]


def _visit_quarter(session: Session) -> Any:
    created = col(StandVisit.created_at)
    if session.get_bind().dialect.name == "sqlite":
        # Stored as 'YYYY-MM-DD HH:MM:SS…' UTC: the hour's text plus the quarter number (0–3).
        minute = cast(func.substr(created, 15, 2), Integer)
        return func.substr(created, 1, 14).op("||")(minute.op("/")(literal_column("15")))
    seconds: Any = literal_column(str(QUARTER_S))
    epoch = cast(func.floor(func.extract("epoch", created)), BigInteger)
    return type_coerce(epoch.op("/")(seconds).op("*")(seconds), BigInteger)


def _quarter_start(value: int | str) -> datetime:
    if isinstance(value, int):
        return datetime.fromtimestamp(value, UTC)
    return datetime.fromisoformat(f"{value[:13]}:{int(value[14:]) * 15:02d}").replace(tzinfo=UTC)


def _per_stand_counts(edition_stands: Any, visit_where: list[Any]) -> tuple[Any, Any, Any]:
    """Subqueries keyed by stand: its visits, the contributions sent from its page, its visitors who contributed
    from it."""
    visits = (
        select(StandVisit.stand_id, func.count().label("n"))
        .where(*visit_where)
        .group_by(col(StandVisit.stand_id))
        .subquery()
    )
    sent = (
        select(Contribution.stand_id, func.count().label("n"))
        .where(
            col(Contribution.stand_id).in_(edition_stands), col(Contribution.status) != ModerationStatus.REJECTED.value
        )
        .group_by(col(Contribution.stand_id))
        .subquery()
    )
    contributed = (
        select(Contribution.stand_id, Contribution.participant_id)
        .where(col(Contribution.stand_id).in_(edition_stands), col(Contribution.participant_id).is_not(None))
        .distinct()
        .subquery()
    )
    converted = (
        select(StandVisit.stand_id, func.count().label("n"))
        .join(
            contributed,
            and_(
                contributed.c.stand_id == col(StandVisit.stand_id),
                contributed.c.participant_id == col(StandVisit.participant_id),
            ),
        )
        .where(*visit_where)
        .group_by(col(StandVisit.stand_id))
        .subquery()
    )
    return visits, sent, converted


def _stand_traffic(session: Session, edition: int, edition_stands: Any, visit_where: list[Any]) -> list[StandTraffic]:
    """Every open stand of the edition in circuit order with its three counts, zeros kept."""
    visits, sent, converted = _per_stand_counts(edition_stands, visit_where)
    # sqlalchemy's own select: sqlmodel's is typed for four columns at most.
    rows = (
        session.connection()
        .execute(
            sa_select(  # type: ignore[call-overload]  # col() is typed as the column's Python type
                Stand.code,
                Stand.name,
                Stand.theme_id,
                Stand.position,
                func.coalesce(visits.c.n, 0),
                func.coalesce(sent.c.n, 0),
                func.coalesce(converted.c.n, 0),
            )
            .outerjoin(visits, visits.c.stand_id == col(Stand.id))
            .outerjoin(sent, sent.c.stand_id == col(Stand.id))
            .outerjoin(converted, converted.c.stand_id == col(Stand.id))
            .where(col(Stand.edition_id) == edition, col(Stand.active))
            .order_by(col(Stand.position), col(Stand.code))
        )
        .all()
    )
    return [StandTraffic(c, n, int(t), int(p), int(v), int(s), int(k)) for c, n, t, p, v, s, k in rows]


def _visits_by_theme(session: Session, visit_where: list[Any]) -> dict[int, int]:
    by_theme = session.exec(
        select(Stand.theme_id, func.count())
        .join(StandVisit, col(StandVisit.stand_id) == col(Stand.id))
        .where(*visit_where)
        .group_by(col(Stand.theme_id))
    ).all()
    return {int(k): int(v) for k, v in dict(by_theme).items()}


def _visits_by_quarter(session: Session, visit_where: list[Any]) -> list[tuple[datetime, int]]:
    quarter = _visit_quarter(session)
    per_quarter = session.exec(
        select(quarter, func.count()).where(*visit_where).group_by(quarter).order_by(quarter)
    ).all()
    return [(_quarter_start(q), int(n)) for q, n in per_quarter]


def _hunters(session: Session, visit_where: list[Any]) -> int:
    return int(session.exec(select(func.count(func.distinct(StandVisit.participant_id))).where(*visit_where)).one())


def _treasures_found(session: Session, edition: int) -> int:
    found = (
        select(func.count())
        .select_from(Participant)
        .where(col(Participant.edition_id) == edition, col(Participant.treasure_found_at).is_not(None))
    )
    return int(session.exec(found).one())


def circuit_traffic(session: Session, *, include_demo: bool = True, edition_id: int | None = None) -> CircuitTraffic:
    """The edition's visits per stand, theme and quarter hour, unreached stands, visit→contribution conversion,
    treasures."""
    edition = resolve_edition_id(session=session, edition_id=edition_id)
    # Visits and contributions hang off a stand: the edition's are those of its stands (a few dozen ids).
    edition_stands = select(Stand.id).where(col(Stand.edition_id) == edition)
    visit_where: list[Any] = [col(StandVisit.stand_id).in_(edition_stands)]
    if not include_demo:
        visit_where.append(~col(StandVisit.is_demo))
    return CircuitTraffic(
        stands=_stand_traffic(session, edition, edition_stands, visit_where),
        visits_by_theme=_visits_by_theme(session, visit_where),
        visits_by_quarter=_visits_by_quarter(session, visit_where),
        hunters=_hunters(session, visit_where),
        treasures_found=_treasures_found(session, edition),
    )


# ---------------------------------------------------------------------------------------------
# The dashboard's « Circuit » tab: the same visits for the filter's themes and time window


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
        sa_select(col(Stand.code), col(Stand.name), col(Stand.theme_id), func.count(col(StandVisit.id))).join(
            StandVisit, col(StandVisit.stand_id) == col(Stand.id)
        )
    ).group_by(col(Stand.id), col(Stand.code), col(Stand.name), col(Stand.theme_id))
    hunters = visit_filter(
        sa_select(func.count(func.distinct(StandVisit.participant_id))).join(
            Stand, col(Stand.id) == col(StandVisit.stand_id)
        )
    )
    found = col(Participant.treasure_found_at)
    treasures = (
        sa_select(func.count())
        .select_from(Participant)
        .where(col(Participant.edition_id) == bindparam("edition_id"), found.is_not(None))
    )
    if since:
        treasures = treasures.where(found >= bindparam("since"))
    if until:
        treasures = treasures.where(found < bindparam("until"))
    stands_open = (
        sa_select(func.count())
        .select_from(Stand)
        .where(col(Stand.active), col(Stand.theme_id).in_(bindparam("theme_ids", expanding=True)))
    )
    figures = sa_select(hunters.scalar_subquery(), treasures.scalar_subquery(), stands_open.scalar_subquery())
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
    by_stand = typed_frame(
        code=([r[0] for r in stands], "object"),
        name=([r[1] for r in stands], "object"),
        theme_id=([r[2] for r in stands], "int64"),
        visits=([r[3] for r in stands], "int64"),
    )
    per_theme: dict[int, int] = {}
    for _code, _name, theme_id, visits in stands:  # a few dozen stands at most
        per_theme[theme_id] = per_theme.get(theme_id, 0) + visits
    theme_ids = ordered_theme_ids(session, filters)
    by_theme = typed_frame(theme_id=(theme_ids, "int64"), visits=([per_theme.get(t, 0) for t in theme_ids], "int64"))
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
