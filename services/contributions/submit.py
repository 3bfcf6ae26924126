"""Storing one contribution, from a phone or from staff, once: every rule checked here, whatever the form did."""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from sqlalchemy import func
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from models import Contribution, utcnow
from services.circuit import award_treasure_if_complete
from services.codes import readable_code
from services.contributions.idempotency import Receipt, same_contribution
from services.contributions.validation import ContributionDraft, row_values, validate
from services.errors import ServiceError
from services.participants import (
    ParticipantRef,
    count_anonymous_write,
    get_or_create_participant,
    participant_id_for_token,
)
from services.scope import require_open, require_writable, resolve_edition_id
from services.throttle import Origin


@dataclass(frozen=True)
class RateLimit:
    """At most `max_count` contributions per device within `window_s` seconds (settings decide both)."""

    max_count: int
    window_s: int


class RateLimitExceeded(ServiceError):
    """A device sent too many contributions too quickly; `retry_after_s` says when it may send again."""

    def __init__(self, message: str, retry_after_s: int) -> None:
        super().__init__(message)
        self.retry_after_s = retry_after_s


def _check_rate(session: Session, participant_id: int, limit: RateLimit) -> None:
    now = utcnow()
    since = now - timedelta(seconds=limit.window_s)
    recent = session.exec(
        select(func.count(), func.min(Contribution.created_at)).where(
            Contribution.participant_id == participant_id, Contribution.created_at >= since
        )
    ).one()
    count, oldest = int(recent[0]), recent[1]
    if count < limit.max_count:
        return
    # MIN() keeps the column type, so `oldest` comes back as an aware datetime on SQLite too.
    retry_after = limit.window_s - (now - oldest).total_seconds() if oldest else limit.window_s
    minutes = max(1, math.ceil(retry_after / 60))
    window_min = max(1, round(limit.window_s / 60))
    raise RateLimitExceeded(
        f"Vous avez déjà envoyé {count} contributions en {window_min} minutes depuis ce téléphone, "
        f"le maximum prévu. Votre texte est conservé : vous pourrez l'envoyer dans {minutes} minute"
        f"{'s' if minutes > 1 else ''}.",
        retry_after_s=max(1, int(retry_after)),
    )


def submit_contribution(
    session: Session,
    *,
    draft: ContributionDraft,
    rate_limit: RateLimit | None = None,
    edition_id: int | None = None,
) -> Receipt:
    """Validate and store a contribution to an edition once per idempotency key; a retry returns the first receipt.

    Staff entries, imports and demo data come this way: refused once the edition is archived.
    """
    edition = resolve_edition_id(session=session, edition_id=edition_id)
    first = same_contribution(session, draft=draft, edition_id=edition, participant_id=draft.participant_id)
    if first is not None:
        return first
    return _store(session, draft, edition, rate_limit)


def _store(session: Session, draft: ContributionDraft, edition: int, rate_limit: RateLimit | None) -> Receipt:
    """Check and insert a contribution that same_contribution did not know."""
    require_writable(session=session, edition_id=edition)
    clean = validate(session, draft, edition)
    # After validation (so field messages come first); a retry never gets here, so it is never throttled.
    if rate_limit is not None and draft.participant_id is not None:
        _check_rate(session, draft.participant_id, rate_limit)
    assert draft.theme_id is not None  # checked by validate
    now = draft.created_at or utcnow()
    for _ in range(5):
        row = Contribution(receipt_code=readable_code(8), **row_values(draft, clean, now))
        try:
            with session.begin_nested():
                session.add(row)
                session.flush()
        except IntegrityError:
            # Either a concurrent request for the same contribution won the race, or a receipt code collided.
            first = same_contribution(session, draft=draft, edition_id=edition, participant_id=draft.participant_id)
            if first is not None:
                return first
            continue
        assert row.id is not None
        return Receipt(row.id, row.receipt_code, row.created_at)
    raise RuntimeError("could not allocate a unique receipt code")


# ---------------------------------------------------------------------------------------------
# From a participant's phone: the device is the only identity (no account, nothing personal).


def participant_for_write(
    session: Session, *, device_token: str, origin: Origin | None, now: datetime | None, edition: int
) -> ParticipantRef:
    """The device's participant for an anonymous write (contribution, support) to an open edition, counted
    against its address's ceiling and created on first use."""
    require_open(session=session, edition_id=edition)
    count_anonymous_write(session=session, origin=origin, now=now)
    return get_or_create_participant(
        session=session, device_token=device_token, origin=origin, now=now, edition_id=edition
    )


def submit_from_device(
    session: Session,
    *,
    device_token: str,
    draft: ContributionDraft,
    rate_limit: RateLimit | None = None,
    origin: Origin | None = None,
    now: datetime | None = None,
    edition_id: int | None = None,
) -> Receipt:
    """A participant's submission to an open edition: tied to the device (created on first use), throttled per
    device and address."""
    edition = resolve_edition_id(session=session, edition_id=edition_id)
    # A contribution already stored is answered with its receipt even if the edition has closed since or the
    # device or its address is now throttled.
    known = participant_id_for_token(session=session, device_token=device_token, edition_id=edition)
    first = same_contribution(session, draft=draft, edition_id=edition, participant_id=known)
    if first is not None:
        return first
    participant = participant_for_write(session, device_token=device_token, origin=origin, now=now, edition=edition)
    receipt = _store(session, replace(draft, participant_id=participant.id), edition, rate_limit)
    # A contribution can be the last step of the treasure hunt: the organisers' count moves at once.
    award_treasure_if_complete(session=session, participant_id=participant.id)
    return receipt
