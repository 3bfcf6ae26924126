"""One tap: a device's stance on one orientation, stored (or changed) and counted at once; what a device gave.

Concurrent taps of the same phone on the same orientation are serialised by the unique pair (and, on PostgreSQL,
by a row lock), so the rollup never counts a stance that is not stored.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from models import Orientation, OrientationVote, Participant, Stand, VoteEvent, VoteOrigin, utcnow
from services import throttle
from services.errors import ValidationError
from services.participants import get_or_create_participant, is_valid_device_token
from services.scope import resolve_edition_id
from services.votes import rollups
from services.votes.ballot import (
    CHOICES,
    DEVICE_ORIGINS,
    UNKNOWN_CHOICE,
    UNKNOWN_ORIGIN,
    ballot_orientation,
    require_vote_open,
)

# The per-address ceiling on stances (services.throttle.STANCES), apart from the ceiling on other writes.
STANCE_SCOPE = "anonymous.stance"
STANCES_HELD = (
    "Beaucoup d'avis arrivent en même temps depuis votre réseau. Rien n'est perdu : touchez de nouveau votre "
    "réponse dans {wait}."
)


@dataclass(frozen=True)
class VoteReceipt:
    orientation_id: int
    choice: str
    previous_choice: str | None
    changed: bool  # False when the stance was already this one (a repeated tap, a resent request)


def participant_row(session: Session, device_token: str, edition_id: int) -> Participant | None:
    """The participant of this device in this edition (None for a phone never seen, or a malformed token)."""
    if not is_valid_device_token(device_token):
        return None
    row = session.exec(select(Participant).where(Participant.device_token == device_token)).first()
    return row if row is not None and row.edition_id == edition_id else None


def stored_vote(session: Session, orientation_id: int, participant_id: int) -> OrientationVote | None:
    """The participant's stance on the orientation, row-locked on PostgreSQL."""
    stmt = select(OrientationVote).where(
        OrientationVote.orientation_id == orientation_id, OrientationVote.participant_id == participant_id
    )
    # A row lock on PostgreSQL: two taps of one phone on one orientation change it one after the other.
    return session.exec(stmt.with_for_update()).first()


def cast_vote(
    session: Session,
    *,
    device_token: str,
    orientation_id: int,
    choice: str,
    origin: str,
    stand_code: str | None = None,
    throttle_origin: throttle.Origin | None = None,
    now: datetime | None = None,
    is_demo: bool = False,
    edition_id: int | None = None,
) -> VoteReceipt:
    """One tap: this device's stance on one orientation, stored (or changed) and counted at once.

    Refused with a French message when the orientation is not on the ballot, the choice unknown, or the vote
    closed (for the edition or the theme). A tap that repeats the stored stance changes nothing and is not
    throttled, so a retry after a lost connection is harmless.
    """
    edition = resolve_edition_id(session=session, edition_id=edition_id)
    orientation = _checked_orientation(session, edition, orientation_id, choice, origin)
    unchanged = VoteReceipt(orientation_id, choice, choice, changed=False)
    if _repeats_stored_stance(session, device_token, edition, orientation, choice):
        return unchanged
    # Only now, so that a repeated tap is never throttled.
    _count_stance(session, throttle_origin, now)
    ref = get_or_create_participant(
        session=session,
        device_token=device_token,
        is_demo=is_demo,
        origin=throttle_origin,
        now=now,
        edition_id=edition,
    )
    participant = session.get(Participant, ref.id)
    assert participant is not None
    at = now or utcnow()
    stand_id = _stand_id(session, edition, origin, stand_code)
    new = OrientationVote(
        orientation_id=orientation.id or 0,
        participant_id=ref.id,
        choice=choice,
        origin=origin,
        stand_id=stand_id,
        actor_type=participant.actor_type,
        departement=participant.departement,
        is_demo=is_demo,
        created_at=at,
        updated_at=at,
    )
    previous = _insert_or_previous(session, new)
    previous_choice = None
    if previous is not None:
        if previous.choice == choice:
            return unchanged
        previous_choice = previous.choice
        _move_stance(session, previous, new, at)
    _record_stance(session, new, previous_choice, at)
    if participant.first_vote_at is None:
        participant.first_vote_at = at
        session.add(participant)
    session.flush()
    return VoteReceipt(orientation_id, choice, previous_choice, changed=True)


def _checked_orientation(session: Session, edition: int, orientation_id: int, choice: str, origin: str) -> Orientation:
    """The tap's orientation, once the choice, the origin, the ballot and the open vote are checked (in this order)."""
    if choice not in CHOICES:
        raise ValidationError({"choice": UNKNOWN_CHOICE})
    if origin not in DEVICE_ORIGINS:
        raise ValidationError({"origin": UNKNOWN_ORIGIN})
    orientation = ballot_orientation(session, orientation_id, edition)
    require_vote_open(session, orientation, edition)
    return orientation


def _repeats_stored_stance(
    session: Session, device_token: str, edition: int, orientation: Orientation, choice: str
) -> bool:
    """Whether this device already gave exactly this stance (a repeated tap, a resent request)."""
    known = participant_row(session, device_token, edition)
    if known is None or known.id is None:
        return False
    stored = stored_vote(session, orientation.id or 0, known.id)
    return stored is not None and stored.choice == choice


def _stand_id(session: Session, edition: int, origin: str, stand_code: str | None) -> int | None:
    """The stand a stance was given at (only for a stance given on a stand's page)."""
    if origin != VoteOrigin.STAND.value or not stand_code:
        return None
    return session.exec(select(Stand.id).where(Stand.edition_id == edition, Stand.code == stand_code)).first()


def _insert_or_previous(session: Session, new: OrientationVote) -> OrientationVote | None:
    """Store `new` when the device has no stance on the orientation yet (None); else its stored stance, to change."""
    vote = stored_vote(session, new.orientation_id, new.participant_id)
    if vote is not None:
        return vote
    try:
        with session.begin_nested():
            session.add(new)
            session.flush()
        return None
    except IntegrityError:
        # The same phone's other tap on this orientation got there first: change that one instead.
        vote = stored_vote(session, new.orientation_id, new.participant_id)
        if vote is None:
            raise
        return vote


def _move_stance(session: Session, previous: OrientationVote, new: OrientationVote, at: datetime) -> None:
    """Take the stored stance out of the rollups and turn it into the new one (counted by _record_stance)."""
    rollups.count(session, rollups.StanceKey.of_vote(previous), at=at, delta=-1)
    previous.choice = new.choice
    previous.origin = new.origin
    previous.stand_id = new.stand_id if new.stand_id is not None else previous.stand_id
    previous.actor_type = new.actor_type
    previous.departement = new.departement
    previous.updated_at = at
    session.add(previous)


def _record_stance(session: Session, new: OrientationVote, previous_choice: str | None, at: datetime) -> None:
    """Count the new stance in both rollups and write its event."""
    rollups.count(session, rollups.StanceKey.of_vote(new), at=at, delta=1)
    session.add(
        VoteEvent(
            orientation_id=new.orientation_id,
            participant_id=new.participant_id,
            choice=new.choice,
            previous_choice=previous_choice,
            origin=new.origin,
            created_at=at,
        )
    )


def _count_stance(session: Session, origin: throttle.Origin | None, now: datetime | None) -> None:
    if origin is not None:
        throttle.take(
            session=session, scope=STANCE_SCOPE, key=origin.key, windows=origin.stances, message=STANCES_HELD, now=now
        )


def my_votes(session: Session, *, device_token: str, edition_id: int | None = None) -> dict[int, str]:
    """This device's stances in the edition: orientation id → choice (empty for a phone that never voted)."""
    edition = resolve_edition_id(session=session, edition_id=edition_id)
    participant = participant_row(session, device_token, edition)
    if participant is None:
        return {}
    rows = session.exec(
        select(OrientationVote.orientation_id, OrientationVote.choice).where(
            OrientationVote.participant_id == participant.id
        )
    ).all()
    return {int(o): str(c) for o, c in rows}
