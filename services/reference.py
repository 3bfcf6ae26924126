"""Read-side of the reference data, as plain objects for the pages."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, or_
from sqlmodel import Session, col, select

from models import (
    Contribution,
    Departement,
    Edition,
    KeyFigure,
    Orientation,
    Ptce,
    Stand,
    StandVisit,
    SupportScheme,
    Theme,
)
from services.scope import resolve_edition_id


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
    short_label: str = ""  # set: one of the home page's headline figures


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


def list_themes(session: Session, *, edition_id: int | None = None) -> list[ThemeInfo]:
    """An edition's themes (the default edition's by default), in their order."""
    edition = resolve_edition_id(session=session, edition_id=edition_id)
    rows = session.exec(
        select(Theme).where(Theme.edition_id == edition).order_by(col(Theme.position), col(Theme.id))
    ).all()
    return [ThemeInfo(t.id or 0, t.code, t.label, t.short_label, t.color, t.description) for t in rows]


def list_orientation_infos(
    session: Session, *, theme_id: int | None = None, edition_id: int | None = None
) -> list[OrientationInfo]:
    """The edition's orientations as reference data (every theme's, or one's), by theme then position."""
    edition = resolve_edition_id(session=session, edition_id=edition_id)
    stmt = (
        select(Orientation)
        .where(Orientation.edition_id == edition)
        .order_by(col(Orientation.theme_id), col(Orientation.position))
    )
    if theme_id is not None:
        stmt = stmt.where(Orientation.theme_id == theme_id)
    return [
        OrientationInfo(o.id or 0, o.code, o.theme_id, o.title, o.body, o.status, o.presented)
        for o in session.exec(stmt).all()
    ]


def list_key_figures(session: Session, *, edition_id: int | None = None) -> list[FigureInfo]:
    edition = resolve_edition_id(session=session, edition_id=edition_id)
    rows = session.exec(
        select(KeyFigure).where(KeyFigure.edition_id == edition).order_by(col(KeyFigure.position), col(KeyFigure.id))
    ).all()
    return [FigureInfo(f.code, f.label, f.value, f.unit, f.year, f.source, f.short_label) for f in rows]


def list_departements(session: Session, *, edition_id: int | None = None) -> list[tuple[str, str]]:
    """The départements people choose from: the edition's Région's, then « hors région »."""
    edition = session.get(Edition, resolve_edition_id(session=session, edition_id=edition_id))
    region = edition.region_code if edition is not None else ""
    rows = session.exec(
        select(Departement)
        .where(or_(col(Departement.region_code) == region, col(Departement.region_code).is_(None)))
        .order_by(col(Departement.region_code).is_(None), col(Departement.code))
    ).all()
    return [(d.code, d.name) for d in rows]


def list_ptce(session: Session, *, edition_id: int | None = None) -> list[dict[str, object]]:
    edition = resolve_edition_id(session=session, edition_id=edition_id)
    rows = session.exec(
        select(Ptce).where(Ptce.edition_id == edition).order_by(col(Ptce.departement), col(Ptce.name))
    ).all()
    return [p.model_dump(exclude={"id"}) for p in rows]


def list_support_schemes(session: Session, *, edition_id: int | None = None) -> list[dict[str, object]]:
    edition = resolve_edition_id(session=session, edition_id=edition_id)
    rows = session.exec(
        select(SupportScheme)
        .where(SupportScheme.edition_id == edition)
        .order_by(col(SupportScheme.provider), col(SupportScheme.name))
    ).all()
    return [s.model_dump(exclude={"id"}) for s in rows]


def list_stands(session: Session, *, edition_id: int | None = None) -> list[dict[str, object]]:
    edition = resolve_edition_id(session=session, edition_id=edition_id)
    rows = session.exec(
        select(Stand).where(Stand.edition_id == edition).order_by(col(Stand.position), col(Stand.code))
    ).all()
    return [s.model_dump(exclude={"created_at"}) for s in rows]


def store_summary(session: Session, *, edition_id: int | None = None) -> StoreSummary:
    """An edition's row counts (the default edition's by default): its reference data, the départements people
    choose from, its themes' contributions and its stands' visits."""
    edition = resolve_edition_id(session=session, edition_id=edition_id)

    def n(model: Any) -> int:
        return int(session.exec(select(func.count()).select_from(model).where(model.edition_id == edition)).one())

    themes = select(Theme.id).where(Theme.edition_id == edition)
    stands = select(Stand.id).where(Stand.edition_id == edition)
    return StoreSummary(
        themes=n(Theme),
        orientations=n(Orientation),
        ptce=n(Ptce),
        stands=n(Stand),
        departements=len(list_departements(session=session, edition_id=edition)),
        support_schemes=n(SupportScheme),
        contributions=int(
            session.exec(
                select(func.count()).select_from(Contribution).where(col(Contribution.theme_id).in_(themes))
            ).one()
        ),
        visits=int(
            session.exec(select(func.count()).select_from(StandVisit).where(col(StandVisit.stand_id).in_(stands))).one()
        ),
    )
