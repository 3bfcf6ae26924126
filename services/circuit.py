"""The treasure-hunt circuit: recording visits to stands."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from models import Stand, StandVisit, utcnow
from services.errors import NotFoundError


def record_stand_visit(
    *, session: Session, participant_id: int, stand_code: str, at: datetime | None = None, is_demo: bool = False
) -> bool:
    """Record a visit once per participant and stand; True if it is new, False on a repeat scan."""
    stand = session.exec(select(Stand).where(Stand.code == stand_code.strip().upper(), Stand.active)).first()
    if stand is None or stand.id is None:
        raise NotFoundError("Ce stand n'existe pas ou n'est plus ouvert.")
    existing = session.exec(
        select(StandVisit).where(StandVisit.stand_id == stand.id, StandVisit.participant_id == participant_id)
    ).first()
    if existing is not None:
        return False
    try:
        with session.begin_nested():
            session.add(
                StandVisit(stand_id=stand.id, participant_id=participant_id, created_at=at or utcnow(), is_demo=is_demo)
            )
            session.flush()
    except IntegrityError:
        return False  # a concurrent scan of the same stand won
    return True
