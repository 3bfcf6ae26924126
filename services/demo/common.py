"""What every part of the demo day shares: its texts, its clock, its people's organisations, its edition."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any

import yaml
from sqlmodel import Session, col, select

from models import Departement, Edition, Theme
from services.errors import NotFoundError
from services.formatting import PARIS
from services.participants import ParticipantRef
from services.scope import resolve_edition_id

DEMO_FILE = Path(__file__).resolve().parent.parent.parent / "assets" / "demo" / "contributions.yaml"
ACTOR_TYPES = ["association", "cooperative", "mutual", "foundation", "ess_company", "network", "public_body"]
# Named after no place: the demo runs for any Région.
ORGANISATIONS = [
    "Association Solidarités locales",
    "SCOP Les Ateliers du Val",
    "Mutuelle solidaire du territoire",
    "Ressourcerie du pays",
    "Coopérative d'activité et d'emploi",
    "Fédération des centres sociaux",
]


@dataclass(frozen=True)
class DemoReport:
    participants: int
    contributions: int
    visits: int
    responses: int
    supports: int
    stances: int = 0  # the adequacy check: stances given on the phones
    paper_ballots: int = 0  # and counted on paper


@dataclass(frozen=True)
class DemoDay:
    """What every part of one demo day draws from: its random source, its edition, its clock, its people."""

    rng: random.Random
    seed: int
    edition_id: int
    day: datetime  # midnight of the conference day, Paris time
    departements: list[str]  # what a demo participant may give: the edition's Région's
    people: list[ParticipantRef]


def at_hour(day: datetime, hour: float) -> datetime:
    return day + timedelta(hours=hour)


def conference_day(start_date: date) -> datetime:
    """Midnight, Paris time, of the edition's first day: the demo's hours are counted from it."""
    return datetime.combine(start_date, time(0, 0), tzinfo=PARIS)


def demo_items() -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = yaml.safe_load(DEMO_FILE.read_text(encoding="utf-8"))["contributions"]
    return items


def theme_of_item(session: Session, edition_id: int, items: list[dict[str, Any]]) -> dict[str, int]:
    """Each demo theme code → a theme of the edition: the same code when it has one, else the next theme in order."""
    themes = session.exec(
        select(Theme).where(Theme.edition_id == edition_id).order_by(col(Theme.position), col(Theme.id))
    ).all()
    by_code = {t.code: t.id or 0 for t in themes}
    mapping: dict[str, int] = {}
    for index, code in enumerate(dict.fromkeys(str(item["theme"]) for item in items)):
        mapping[code] = by_code.get(code) or (themes[index % len(themes)].id or 0)
    return mapping


def region_departements(session: Session, region_code: str) -> list[str]:
    """The codes a demo participant may give: the edition's Région's départements."""
    return list(
        session.exec(
            select(Departement.code).where(Departement.region_code == region_code).order_by(col(Departement.code))
        ).all()
    )


def demo_edition(session: Session, edition_id: int | None) -> Edition:
    row = session.get(Edition, resolve_edition_id(session=session, edition_id=edition_id))
    if row is None or row.id is None:
        raise NotFoundError("Cette édition n'existe pas.")
    return row
