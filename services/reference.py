"""Read-side of the reference data, as plain objects for the pages."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func
from sqlmodel import Session, col, select

from models import (
    Contribution,
    Departement,
    KeyFigure,
    Orientation,
    Ptce,
    Stand,
    StandVisit,
    SupportScheme,
    Theme,
)


@dataclass(frozen=True)
class ThemeInfo:
    id: int
    code: str
    label: str
    short_label: str
    color: str
    description: str


@dataclass(frozen=True)
class OrientationInfo:
    id: int
    code: str
    theme_id: int
    title: str
    body: str
    status: str
    presented: bool


@dataclass(frozen=True)
class FigureInfo:
    code: str
    label: str
    value: float
    unit: str
    year: int | None
    source: str


@dataclass(frozen=True)
class StoreSummary:
    """Row counts shown to admins (and a cheap liveness check of the store)."""

    themes: int
    orientations: int
    ptce: int
    stands: int
    departements: int
    support_schemes: int
    contributions: int
    visits: int


def list_themes(*, session: Session) -> list[ThemeInfo]:
    rows = session.exec(select(Theme).order_by(col(Theme.position), col(Theme.id))).all()
    return [ThemeInfo(t.id, t.code, t.label, t.short_label, t.color, t.description) for t in rows]


def list_orientations(*, session: Session, theme_id: int | None = None) -> list[OrientationInfo]:
    stmt = select(Orientation).order_by(col(Orientation.theme_id), col(Orientation.position))
    if theme_id is not None:
        stmt = stmt.where(Orientation.theme_id == theme_id)
    return [
        OrientationInfo(o.id or 0, o.code, o.theme_id, o.title, o.body, o.status, o.presented)
        for o in session.exec(stmt).all()
    ]


def list_key_figures(*, session: Session) -> list[FigureInfo]:
    rows = session.exec(select(KeyFigure).order_by(col(KeyFigure.id))).all()
    return [FigureInfo(f.code, f.label, f.value, f.unit, f.year, f.source) for f in rows]


def list_departements(*, session: Session) -> list[tuple[str, str]]:
    rows = session.exec(select(Departement).order_by(col(Departement.in_region).desc(), col(Departement.code))).all()
    return [(d.code, d.name) for d in rows]


def list_ptce(*, session: Session) -> list[dict[str, object]]:
    rows = session.exec(select(Ptce).order_by(col(Ptce.departement), col(Ptce.name))).all()
    return [p.model_dump(exclude={"id"}) for p in rows]


def list_support_schemes(*, session: Session) -> list[dict[str, object]]:
    rows = session.exec(select(SupportScheme).order_by(col(SupportScheme.provider), col(SupportScheme.name))).all()
    return [s.model_dump(exclude={"id"}) for s in rows]


def list_stands(*, session: Session) -> list[dict[str, object]]:
    rows = session.exec(select(Stand).order_by(col(Stand.position), col(Stand.code))).all()
    return [s.model_dump(exclude={"created_at"}) for s in rows]


def store_summary(*, session: Session) -> StoreSummary:
    def n(model: type) -> int:
        return int(session.exec(select(func.count()).select_from(model)).one())

    return StoreSummary(
        themes=n(Theme),
        orientations=n(Orientation),
        ptce=n(Ptce),
        stands=n(Stand),
        departements=n(Departement),
        support_schemes=n(SupportScheme),
        contributions=n(Contribution),
        visits=n(StandVisit),
    )
