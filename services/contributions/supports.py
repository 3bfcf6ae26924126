"""« Je soutiens celle-ci »: a phone backing someone else's published contribution instead of repeating it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from models import Contribution, ContributionSupport, Theme
from services.contributions.submit import participant_for_write
from services.errors import NotFoundError, ValidationError
from services.published import PUBLISHED
from services.scope import resolve_edition_id
from services.throttle import Origin


@dataclass(frozen=True)
class SupportReceipt:
    contribution_id: int
    new: bool  # False when this device already supported it
    supports: int  # supports the contribution now has


def support_contribution(
    session: Session,
    *,
    device_token: str,
    contribution_id: int,
    origin: Origin | None = None,
    now: datetime | None = None,
    edition_id: int | None = None,
) -> SupportReceipt:
    """'Je soutiens celle-ci': one support per published contribution of the open edition and device, never
    one's own."""
    edition = resolve_edition_id(session=session, edition_id=edition_id)
    target = session.get(Contribution, contribution_id)
    # Only what a participant may read can be backed: a published contribution (services.published) of this
    # edition (a phone's passport belongs to one edition).
    if target is None or target.status != PUBLISHED or not _theme_in(session, target.theme_id, edition):
        raise NotFoundError("Cette contribution n'est plus proposée au soutien.")
    participant = participant_for_write(session, device_token=device_token, origin=origin, now=now, edition=edition)
    if target.participant_id == participant.id:
        raise ValidationError({"support": "C'est votre propre contribution : elle compte déjà."})
    existing = session.exec(
        select(ContributionSupport).where(
            ContributionSupport.contribution_id == contribution_id,
            ContributionSupport.participant_id == participant.id,
        )
    ).first()
    new = False
    if existing is None:
        try:
            with session.begin_nested():
                session.add(ContributionSupport(contribution_id=contribution_id, participant_id=participant.id))
                session.flush()
            new = True
        except IntegrityError:
            pass  # a double tap: the first one counted
    return SupportReceipt(contribution_id, new, _support_count(session, contribution_id))


def _theme_in(session: Session, theme_id: int | None, edition_id: int) -> bool:
    theme = session.get(Theme, theme_id) if isinstance(theme_id, int) else None
    return theme is not None and theme.edition_id == edition_id


def support_counts(session: Session, contribution_ids: list[int]) -> dict[int, int]:
    """How many phones support each of these contributions (those without support are left out)."""
    if not contribution_ids:
        return {}
    rows = session.exec(
        select(ContributionSupport.contribution_id, func.count())
        .where(col(ContributionSupport.contribution_id).in_(contribution_ids))
        .group_by(col(ContributionSupport.contribution_id))
    ).all()
    return {cid: int(n) for cid, n in rows}


def _support_count(session: Session, contribution_id: int) -> int:
    return int(
        session.exec(
            select(func.count())
            .select_from(ContributionSupport)
            .where(ContributionSupport.contribution_id == contribution_id)
        ).one()
    )
