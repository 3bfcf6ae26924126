"""Participants are phones, known by a secret device token and a short restore code."""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from models import Participant, utcnow
from services.codes import device_token, normalise_code, readable_code
from services.errors import ValidationError

# What services.codes.device_token() produces (43 URL-safe characters), with room for longer tokens.
# Anything else (a hand-edited cookie, a truncated URL) is refused rather than stored.
_DEVICE_TOKEN = re.compile(r"[A-Za-z0-9_-]{32,64}")


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


def is_valid_device_token(value: object) -> bool:
    """True if `value` has the shape of a token this app hands out (anything a browser sends is checked)."""
    return isinstance(value, str) and _DEVICE_TOKEN.fullmatch(value) is not None


def participant_id_for_token(*, session: Session, device_token: str) -> int | None:
    """The participant id of a device, without writing anything (None for a device that never sent anything)."""
    if not is_valid_device_token(device_token):
        return None
    return session.exec(select(Participant.id).where(Participant.device_token == device_token)).first()


def get_or_create_participant(*, session: Session, device_token: str, is_demo: bool = False) -> ParticipantRef:
    """The participant behind a browser's device token, created on its first contribution or support."""
    if not is_valid_device_token(device_token):
        raise ValidationError({"device_token": "Ce téléphone n'est pas reconnu : rechargez la page puis renvoyez."})
    row = session.exec(select(Participant).where(Participant.device_token == device_token)).first()
    if row is not None:
        return _ref(row)
    for _ in range(5):
        row = Participant(device_token=device_token, public_code=readable_code(8), is_demo=is_demo)
        try:
            with session.begin_nested():
                session.add(row)
                session.flush()
        except IntegrityError:
            # A concurrent first submission from the same phone won, or the public code collided.
            existing = session.exec(select(Participant).where(Participant.device_token == device_token)).first()
            if existing is not None:
                return _ref(existing)
            continue
        return _ref(row)
    raise RuntimeError("could not allocate a unique participant code")
