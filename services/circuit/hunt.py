"""The hunter's side of the circuit: recording a stand visit, the passport, and restoring it on another phone."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from models import Participant, Stand, StandVisit, utcnow
from services import throttle
from services.circuit.stand_pages import StandPage, normalise_stand_code, stand_pages
from services.circuit.treasure import (
    award_treasure_if_complete,
    contribution_count,
    required_theme_ids,
    themes_visited,
)
from services.codes import normalise_code
from services.errors import NotFoundError
from services.participants import (
    count_anonymous_write,
    find_participant_by_code,
    get_or_create_participant,
    participant_id_for_token,
)
from services.scope import require_open, resolve_edition_id

STAND_GONE = "Ce stand n'existe pas ou n'est plus ouvert."


def record_stand_visit(
    session: Session,
    *,
    participant_id: int,
    stand_code: str,
    at: datetime | None = None,
    is_demo: bool = False,
    edition_id: int | None = None,
) -> bool:
    """Record a visit once per participant and stand of the edition; True if it is new, False on a repeat scan."""
    edition = resolve_edition_id(session=session, edition_id=edition_id)
    person = session.get(Participant, participant_id)
    if person is None or person.edition_id != edition:
        raise NotFoundError("Ce passeport n'existe pas dans cette édition.")
    stand = session.exec(
        select(Stand).where(Stand.edition_id == edition, Stand.code == stand_code.strip().upper(), Stand.active)
    ).first()
    if stand is None or stand.id is None:
        raise NotFoundError(STAND_GONE)
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


@dataclass(frozen=True)
class Passport:
    """A hunter's progress on the circuit."""

    public_code: str | None  # None until the phone has visited or contributed once
    visited: list[StandPage]
    themes_covered: list[int]
    themes_total: int  # the themes the treasure asks for (the circuit's, see required_theme_ids)
    contributions: int
    missing_theme_ids: list[int]
    remaining: list[StandPage]  # open stands not visited yet, in circuit order
    treasure_code: str | None
    treasure_found_at: datetime | None
    theme_ids: list[int]  # the themes the treasure asks for, in the edition's order

    @property
    def complete(self) -> bool:
        return self.treasure_code is not None


@dataclass(frozen=True)
class VisitResult:
    new: bool
    public_code: str
    treasure_just_found: bool


def has_visited(session: Session, *, device_token: str, stand_code: str, edition_id: int | None = None) -> bool:
    """True if this phone's passport of the edition already holds this stand (no write)."""
    edition = resolve_edition_id(session=session, edition_id=edition_id)
    participant_id = participant_id_for_token(session=session, device_token=device_token, edition_id=edition)
    if participant_id is None:
        return False
    stmt = (
        select(func.count())
        .select_from(StandVisit)
        .join(Stand, col(Stand.id) == col(StandVisit.stand_id))
        .where(
            col(StandVisit.participant_id) == participant_id,
            col(Stand.edition_id) == edition,
            col(Stand.code) == normalise_stand_code(stand_code),
        )
    )
    return int(session.exec(stmt).one()) > 0


def visit_stand(
    session: Session,
    *,
    device_token: str,
    stand_code: str,
    is_demo: bool = False,
    origin: throttle.Origin | None = None,
    now: datetime | None = None,
    edition_id: int | None = None,
) -> VisitResult:
    """« J'ai visité »: the phone's passport of the edition gets this stand once; the treasure is checked at once.

    Only while the edition is open (an archived conference is a record); a token of another edition is refused.
    """
    edition = resolve_edition_id(session=session, edition_id=edition_id)
    require_open(session=session, edition_id=edition)
    count_anonymous_write(session=session, origin=origin, now=now)
    participant = get_or_create_participant(
        session=session, device_token=device_token, is_demo=is_demo, origin=origin, now=now, edition_id=edition
    )
    new = record_stand_visit(
        session=session,
        participant_id=participant.id,
        stand_code=normalise_stand_code(stand_code),
        is_demo=is_demo,
        edition_id=edition,
    )
    found_now = award_treasure_if_complete(session=session, participant_id=participant.id)
    return VisitResult(new=new, public_code=participant.public_code, treasure_just_found=found_now)


def passport(session: Session, *, device_token: str, edition_id: int | None = None) -> Passport:
    """The phone's passport of the edition (empty for a token of another edition), awarding the treasure if a
    contribution completed it since the last visit."""
    edition = resolve_edition_id(session=session, edition_id=edition_id)
    themes = required_theme_ids(session=session, edition_id=edition)
    open_stands = stand_pages(session, edition, col(Stand.active))
    participant_id = participant_id_for_token(session=session, device_token=device_token, edition_id=edition)
    if participant_id is None:
        return Passport(None, [], [], len(themes), 0, themes, open_stands, None, None, themes)
    award_treasure_if_complete(session=session, participant_id=participant_id)
    row = session.get(Participant, participant_id)
    assert row is not None
    visited_ids = set(
        session.exec(select(StandVisit.stand_id).where(col(StandVisit.participant_id) == participant_id)).all()
    )
    visited = stand_pages(session, edition, col(Stand.id).in_(visited_ids)) if visited_ids else []
    covered = themes_visited(session, participant_id, edition)
    return Passport(
        public_code=row.public_code,
        visited=visited,
        themes_covered=[t for t in themes if t in covered],
        themes_total=len(themes),
        contributions=contribution_count(session, participant_id, edition),
        missing_theme_ids=[t for t in themes if t not in covered],
        remaining=[s for s in open_stands if s.id not in visited_ids],
        treasure_code=row.treasure_code,
        treasure_found_at=row.treasure_found_at,
        theme_ids=themes,
    )


RESTORE_SESSION_SCOPE = "restore.session"
RESTORE_ORIGIN_SCOPE = "restore.origin"
RESTORE_OVERALL_SCOPE = "restore.overall"
_OVERALL_KEY = "all"


def restore_passport(
    session: Session,
    *,
    public_code: str,
    session_key: str,
    origin: throttle.Origin,
    now: datetime | None = None,
    edition_id: int | None = None,
) -> str | None:
    """The device token behind a passport's short code of the edition (the new phone takes it over), or None.

    Wrong codes are counted per browser session, per address and overall (services.throttle.RESTORE_*), and
    a code is looked up only while all three windows allow it: that is what bounds guessing. Raises
    throttle.Throttled (French message) while one holds. Only failures are counted, so a person who types the
    right code is held back by nobody's failures but their own session's, their address's, or an attack
    spread over more addresses than the overall window allows (ten at full speed).
    """
    if not normalise_code(public_code):
        return None  # nothing typed: not a guess
    now = now or utcnow()
    checks = (
        (RESTORE_SESSION_SCOPE, session_key, throttle.RESTORE_PER_SESSION),
        (RESTORE_ORIGIN_SCOPE, origin.key, origin.restore_failures),
        (RESTORE_OVERALL_SCOPE, _OVERALL_KEY, origin.restore_failures_overall),
    )
    waits = [
        throttle.wait_seconds(session=session, scope=scope, key=key, windows=windows, now=now)
        for scope, key, windows in checks
    ]
    wait = max((w for w in waits if w is not None), default=None)
    if wait is not None:
        raise throttle.Throttled(throttle.wait_message(wait), retry_after_s=wait)
    # A code of another edition's passport is as unknown here as a made-up one (and counted as a failure).
    ref = find_participant_by_code(session=session, public_code=public_code, edition_id=edition_id)
    if ref is not None:
        return ref.device_token
    for scope, key, _ in checks:
        throttle.record_event(session=session, scope=scope, key=key, now=now)
    return None
