"""The treasure at the end of the hunt: the rule that awards it, the award, and the welcome desk's check."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from models import (
    Contribution,
    Edition,
    EditionStatus,
    ModerationStatus,
    Participant,
    Stand,
    StandVisit,
    Theme,
    utcnow,
)
from services.codes import readable_code
from services.scope import resolve_edition_id


def themes_visited(session: Session, participant_id: int, edition_id: int) -> set[int]:
    """The themes of the stands this passport of the edition holds."""
    stmt = (
        select(Stand.theme_id)
        .join(StandVisit, col(StandVisit.stand_id) == col(Stand.id))
        .where(col(StandVisit.participant_id) == participant_id, col(Stand.edition_id) == edition_id)
        .group_by(col(Stand.theme_id))
    )
    return {int(t) for t in session.exec(stmt).all()}


def contribution_count(session: Session, participant_id: int, edition_id: int) -> int:
    """The passport's contributions to the edition's themes, rejected ones left out."""
    stmt = (
        select(func.count())
        .select_from(Contribution)
        .join(Theme, col(Theme.id) == col(Contribution.theme_id))
        .where(
            col(Contribution.participant_id) == participant_id,
            col(Theme.edition_id) == edition_id,
            col(Contribution.status) != ModerationStatus.REJECTED.value,
        )
    )
    return int(session.exec(stmt).one())


def required_theme_ids(session: Session, *, edition_id: int | None = None) -> list[int]:
    """The themes the treasure asks a stand of: the edition's themes that have an open stand on the circuit,
    in the edition's order, whatever their number (a theme without any stand cannot be asked for)."""
    edition = resolve_edition_id(session=session, edition_id=edition_id)
    on_circuit = select(Stand.theme_id).where(col(Stand.edition_id) == edition, col(Stand.active))
    stmt = (
        select(Theme.id)
        .where(col(Theme.edition_id) == edition, col(Theme.id).in_(on_circuit))
        .order_by(col(Theme.position), col(Theme.id))
    )
    return [t for t in session.exec(stmt).all() if t is not None]


def is_complete(session: Session, *, participant_id: int) -> bool:
    """The rule: a stand of each theme of the passport's edition visited, and at least one contribution to it."""
    row = session.get(Participant, participant_id)
    if row is None:
        return False
    themes = set(required_theme_ids(session=session, edition_id=row.edition_id))
    return (
        bool(themes)  # an empty circuit hides no treasure
        and themes <= themes_visited(session, participant_id, row.edition_id)
        and contribution_count(session, participant_id, row.edition_id) > 0
    )


def award_treasure_if_complete(session: Session, *, participant_id: int) -> bool:
    """Give the participant a treasure code the first time the rule holds; True only that first time.

    Never in an edition that is not open: an archived conference's passports are a record.
    """
    row = session.get(Participant, participant_id)
    if row is None or row.treasure_code is not None:
        return False
    edition = session.get(Edition, row.edition_id)
    if edition is None or edition.status != EditionStatus.OPEN.value:
        return False
    if not is_complete(session=session, participant_id=participant_id):
        return False
    for _ in range(5):
        try:
            with session.begin_nested():
                row.treasure_code = "T-" + readable_code(6, group=0)
                row.treasure_found_at = utcnow()
                session.add(row)
                session.flush()
        except IntegrityError:
            session.refresh(row)
            if row.treasure_code is not None:
                return False  # another request of the same phone was first
            continue
        return True
    raise RuntimeError("could not allocate a unique treasure code")


@dataclass(frozen=True)
class TreasureCheck:
    found_at: datetime
    public_code: str


def check_treasure_code(session: Session, *, code: str, edition_id: int | None = None) -> TreasureCheck | None:
    """The welcome desk's check: when this treasure code was found in the edition, or None if it does not exist."""
    cleaned = "".join(ch for ch in (code or "").upper() if ch.isalnum())
    if not cleaned:
        return None
    edition = resolve_edition_id(session=session, edition_id=edition_id)
    value = "T-" + (cleaned[1:] if len(cleaned) == 7 and cleaned.startswith("T") else cleaned)
    row = session.exec(
        select(Participant).where(col(Participant.treasure_code) == value, col(Participant.edition_id) == edition)
    ).first()
    if row is None or row.treasure_found_at is None:
        return None
    return TreasureCheck(row.treasure_found_at, row.public_code)
