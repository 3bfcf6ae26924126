"""Participants are phones, known by a secret device token and a short restore code."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from models import Participant, utcnow
from services.codes import device_token, normalise_code, readable_code


@dataclass(frozen=True)
class ParticipantRef:
    id: int
    device_token: str
    public_code: str


def _ref(p: Participant) -> ParticipantRef:
    assert p.id is not None
    return ParticipantRef(p.id, p.device_token, p.public_code)


def create_participant(*, session: Session, is_demo: bool = False) -> ParticipantRef:
    """A new pseudonymous participant with a fresh token and a unique restore code."""
    for _ in range(5):
        row = Participant(device_token=device_token(), public_code=readable_code(8), is_demo=is_demo)
        try:
            with session.begin_nested():
                session.add(row)
                session.flush()
        except IntegrityError:
            continue
        return _ref(row)
    raise RuntimeError("could not allocate a unique participant code")


def find_participant(*, session: Session, device_token: str) -> ParticipantRef | None:
    """The participant for a device token, touching its last-seen time."""
    if not device_token or len(device_token) > 64:
        return None
    row = session.exec(select(Participant).where(Participant.device_token == device_token)).first()
    if row is None:
        return None
    row.last_seen_at = utcnow()
    session.add(row)
    return _ref(row)


def find_participant_by_code(*, session: Session, public_code: str) -> ParticipantRef | None:
    """Restore a passport on a new phone from its short code."""
    code = normalise_code(public_code)
    row = session.exec(select(Participant).where(Participant.public_code == code)).first()
    return _ref(row) if row else None
