"""Participants are phones, known by a secret device token and a short restore code."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from models import Participant, utcnow
from services import throttle
from services.codes import add_with_fresh_code, device_token, normalise_code, readable_code
from services.errors import ValidationError
from services.scope import require_open, resolve_edition_id

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


def create_participant(session: Session, *, is_demo: bool = False, edition_id: int | None = None) -> ParticipantRef:
    """A new pseudonymous participant of an edition (the default one by default), with a fresh token and a unique
    restore code."""
    edition = resolve_edition_id(session=session, edition_id=edition_id)
    row = add_with_fresh_code(
        session,
        lambda: Participant(
            edition_id=edition, device_token=device_token(), public_code=readable_code(8), is_demo=is_demo
        ),
        what="participant code",
    )
    return _ref(row)


def find_participant(session: Session, *, device_token: str, edition_id: int | None = None) -> ParticipantRef | None:
    """The edition's participant for a device token, touching its last-seen time; None for another edition's."""
    if not device_token or len(device_token) > 64:
        return None
    edition = resolve_edition_id(session=session, edition_id=edition_id)
    row = session.exec(
        select(Participant).where(Participant.device_token == device_token, Participant.edition_id == edition)
    ).first()
    if row is None:
        return None
    row.last_seen_at = utcnow()
    session.add(row)
    return _ref(row)


def find_participant_by_code(
    session: Session, *, public_code: str, edition_id: int | None = None
) -> ParticipantRef | None:
    """Restore a passport on a new phone from its short code: only a passport of that edition."""
    code = normalise_code(public_code)
    if not code:
        return None
    edition = resolve_edition_id(session=session, edition_id=edition_id)
    row = session.exec(
        select(Participant).where(Participant.public_code == code, Participant.edition_id == edition)
    ).first()
    return _ref(row) if row is not None else None


def is_valid_device_token(value: object) -> bool:
    """True if `value` has the shape of a token this app hands out (anything a browser sends is checked)."""
    return isinstance(value, str) and _DEVICE_TOKEN.fullmatch(value) is not None


def participant_id_for_token(session: Session, *, device_token: str, edition_id: int | None = None) -> int | None:
    """The edition's participant id of a device, without writing anything (None for a device that never sent
    anything to this edition: a token of another edition is as unknown as a made-up one)."""
    if not is_valid_device_token(device_token):
        return None
    edition = resolve_edition_id(session=session, edition_id=edition_id)
    return session.exec(
        select(Participant.id).where(Participant.device_token == device_token, Participant.edition_id == edition)
    ).first()


UNKNOWN_DEVICE = "Ce téléphone n'est pas reconnu : rechargez la page puis renvoyez."

# Scopes of services.throttle counted here and by every anonymous write (contributions, supports, visits).
NEW_PASSPORT_SCOPE = "passport.new"
ANONYMOUS_WRITE_SCOPE = "anonymous.write"
NEW_PASSPORTS_HELD = (
    "Beaucoup de nouveaux téléphones envoient en même temps depuis votre réseau. Rien n'est perdu : "
    "votre saisie est conservée, réessayez dans {wait}."
)
WRITES_HELD = (
    "Beaucoup d'envois arrivent en même temps depuis votre réseau. Rien n'est perdu : votre saisie est "
    "conservée, réessayez dans {wait}."
)


def count_anonymous_write(session: Session, *, origin: throttle.Origin | None, now: datetime | None = None) -> None:
    """The per-address ceiling on anonymous writes; raises throttle.Throttled (French message) when it holds.

    `origin` is None for what does not come from a phone (demo data, imports, tests of other rules).
    """
    if origin is not None:
        throttle.take(
            session=session,
            scope=ANONYMOUS_WRITE_SCOPE,
            key=origin.key,
            windows=origin.writes,
            message=WRITES_HELD,
            now=now,
        )


def count_new_respondent(
    session: Session,
    *,
    origin: throttle.Origin | None,
    scope: str = NEW_PASSPORT_SCOPE,
    message: str = NEW_PASSPORTS_HELD,
    now: datetime | None = None,
) -> None:
    """The per-address ceiling on new respondents, one per person: a new passport (by default) or a new
    questionnaire draft (its own `scope` and `message`, the same figures); raises throttle.Throttled when it holds.

    `origin` is None for what does not come from a phone (demo data, imports, tests of other rules).
    """
    if origin is None:
        return
    throttle.take(session=session, scope=scope, key=origin.key, windows=origin.new_passports, message=message, now=now)


def get_or_create_participant(
    session: Session,
    *,
    device_token: str,
    is_demo: bool = False,
    origin: throttle.Origin | None = None,
    now: datetime | None = None,
    edition_id: int | None = None,
) -> ParticipantRef:
    """The participant behind a browser's device token, created on its first contribution or support.

    A new token from `origin` is counted against its ceiling of new passports (any well-formed token makes a
    participant, so without it one script could pose as any number of phones); a known one never is. A passport
    belongs to one edition: a token of another edition is refused (the phone keeps one token per edition, see
    ui/participant.py). Only an open edition takes participants' writes.
    """
    if not is_valid_device_token(device_token):
        raise ValidationError({"device_token": UNKNOWN_DEVICE})
    edition = resolve_edition_id(session=session, edition_id=edition_id)
    require_open(session=session, edition_id=edition)
    row = session.exec(select(Participant).where(Participant.device_token == device_token)).first()
    if row is not None:
        if row.edition_id != edition:
            raise ValidationError({"device_token": UNKNOWN_DEVICE})
        return _ref(row)
    count_new_respondent(session=session, origin=origin, now=now)
    for _ in range(5):
        row = Participant(edition_id=edition, device_token=device_token, public_code=readable_code(8), is_demo=is_demo)
        try:
            with session.begin_nested():
                session.add(row)
                session.flush()
        except IntegrityError:
            # A concurrent first submission from the same phone won, or the public code collided.
            existing = session.exec(select(Participant).where(Participant.device_token == device_token)).first()
            if existing is not None:
                if existing.edition_id != edition:
                    raise ValidationError({"device_token": UNKNOWN_DEVICE}) from None
                return _ref(existing)
            continue
        return _ref(row)
    raise RuntimeError("could not allocate a unique participant code")
