"""What a voter says of themself (actor type, département), and the optional written « pourquoi ? »."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, select

from models import OrientationVote, Participant, Source
from services import throttle
from services.contributions import ContributionDraft, RateLimit, Receipt, check_author_fields, submit_from_device
from services.errors import ValidationError
from services.participants import count_anonymous_write, get_or_create_participant
from services.scope import require_open, resolve_edition_id
from services.votes import rollups
from services.votes.ballot import CONTRIBUTION_STANCE, ballot_orientation
from services.votes.casting import participant_row, stored_vote

NO_STANCE_YET = "Donnez d'abord votre avis sur cette orientation, puis dites pourquoi."


@dataclass(frozen=True)
class VoterProfile:
    actor_type: str | None = None
    departement: str | None = None


def voter_profile(session: Session, *, device_token: str, edition_id: int | None = None) -> VoterProfile:
    """What this device said of its holder (nothing for a phone never seen)."""
    edition = resolve_edition_id(session=session, edition_id=edition_id)
    participant = participant_row(session, device_token, edition)
    if participant is None:
        return VoterProfile()
    return VoterProfile(participant.actor_type, participant.departement)


def set_voter_profile(
    session: Session,
    *,
    device_token: str,
    actor_type: str | None,
    departement: str | None,
    throttle_origin: throttle.Origin | None = None,
    edition_id: int | None = None,
) -> VoterProfile:
    """The participant's optional description (actor type, département); the stances already given follow it."""
    edition = resolve_edition_id(session=session, edition_id=edition_id)
    actor_type = actor_type or None
    departement = departement or None
    _name, _org, errors = check_author_fields(
        session=session, name="", organisation="", actor_type=actor_type, departement=departement, edition_id=edition
    )
    if errors:
        raise ValidationError(errors)
    require_open(session=session, edition_id=edition)
    known = participant_row(session, device_token, edition)
    if known is not None and (known.actor_type, known.departement) == (actor_type, departement):
        return VoterProfile(actor_type, departement)
    count_anonymous_write(session=session, origin=throttle_origin)
    ref = get_or_create_participant(
        session=session, device_token=device_token, origin=throttle_origin, edition_id=edition
    )
    participant = session.get(Participant, ref.id)
    assert participant is not None
    participant.actor_type, participant.departement = actor_type, departement
    session.add(participant)
    # The counts now follow the new description (the movement over the day has no such split).
    for vote in session.exec(select(OrientationVote).where(OrientationVote.participant_id == ref.id)).all():
        for delta, a, d in ((-1, vote.actor_type, vote.departement), (1, actor_type, departement)):
            key = rollups.StanceKey(vote.orientation_id, vote.choice, vote.origin, a, d)
            rollups.add_tally(session, key, delta)
        vote.actor_type, vote.departement = actor_type, departement
        session.add(vote)
    session.flush()
    return VoterProfile(actor_type, departement)


def explain_vote(
    session: Session,
    *,
    device_token: str,
    orientation_id: int,
    text: str,
    idempotency_key: str,
    rate_limit: RateLimit | None = None,
    throttle_origin: throttle.Origin | None = None,
    now: datetime | None = None,
    edition_id: int | None = None,
) -> Receipt:
    """The optional « pourquoi ? »: a contribution on the orientation with the device's stance, through the usual
    path (rules, moderation, receipt, similarity)."""
    edition = resolve_edition_id(session=session, edition_id=edition_id)
    orientation = ballot_orientation(session, orientation_id, edition)
    participant = participant_row(session, device_token, edition)
    stored = None if participant is None else stored_vote(session, orientation.id or 0, participant.id or 0)
    if stored is None:
        raise ValidationError({"choice": NO_STANCE_YET})
    assert participant is not None
    draft = ContributionDraft(
        theme_id=orientation.theme_id,
        body=text,
        idempotency_key=idempotency_key,
        orientation_id=orientation.id,
        stance=CONTRIBUTION_STANCE[stored.choice],
        source=Source.CONFERENCE.value,
        actor_type=participant.actor_type,
        departement=participant.departement,
    )
    return submit_from_device(
        session=session,
        device_token=device_token,
        draft=draft,
        rate_limit=rate_limit,
        origin=throttle_origin,
        now=now,
        edition_id=edition,
    )
