"""Reading contributions back: a phone's own and those it supports, a stand's QR code, the running count, and a
staff member's latest entries."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import case, func
from sqlmodel import Session, col, select

from models import Contribution, ContributionSupport, ModerationStatus, Orientation, Stand, Theme
from services.contributions.supports import support_counts
from services.participants import participant_id_for_token
from services.published import is_published, published_text
from services.scope import resolve_edition_id, theme_ids


@dataclass(frozen=True)
class OwnContribution:
    """A contribution as its author sees it under « Mes contributions »."""

    contribution_id: int
    receipt_code: str
    created_at: datetime
    theme_label: str
    orientation_title: str | None
    stance: str | None
    title: str
    text: str
    status: str
    source: str
    stand_name: str | None
    supports: int


@dataclass(frozen=True)
class SupportedContribution:
    contribution_id: int
    theme_label: str
    text: str | None  # as published; None once it is no longer published (back in moderation, rejected)
    supported_at: datetime
    supports: int


def _shown_text(row: Contribution) -> str:
    """The masked copy when staff made one (personal data removed), else the text as typed."""
    return row.masked_body if row.masked_body is not None else row.body


def _device_in_edition(session: Session, device_token: str, edition_id: int | None) -> tuple[int, int] | None:
    """(edition id, the device's participant id in it), or None for a device that never wrote to the edition."""
    edition = resolve_edition_id(session=session, edition_id=edition_id)
    participant_id = participant_id_for_token(session=session, device_token=device_token, edition_id=edition)
    return None if participant_id is None else (edition, participant_id)


def list_device_contributions(
    session: Session, *, device_token: str, edition_id: int | None = None
) -> list[OwnContribution]:
    """What this phone sent to the edition, newest first (nothing for an unknown device)."""
    device = _device_in_edition(session, device_token, edition_id)
    if device is None:
        return []
    edition, participant_id = device
    rows = session.exec(
        select(Contribution, Theme.short_label, Orientation.title, Stand.name)
        .join(Theme, col(Theme.id) == col(Contribution.theme_id))
        .outerjoin(Orientation, col(Orientation.id) == col(Contribution.orientation_id))
        .outerjoin(Stand, col(Stand.id) == col(Contribution.stand_id))
        .where(Contribution.participant_id == participant_id, Theme.edition_id == edition)
        .order_by(col(Contribution.created_at).desc(), col(Contribution.id).desc())
    ).all()
    counts = support_counts(session, [c.id for c, *_ in rows if c.id is not None])
    return [
        OwnContribution(
            contribution_id=c.id or 0,
            receipt_code=c.receipt_code,
            created_at=c.created_at,
            theme_label=theme_label,
            orientation_title=orientation_title,
            stance=c.stance,
            title=c.title,
            text=_shown_text(c),
            status=c.status,
            source=c.source,
            stand_name=stand_name,
            supports=counts.get(c.id or 0, 0),
        )
        for c, theme_label, orientation_title, stand_name in rows
    ]


def list_device_supports(
    session: Session, *, device_token: str, edition_id: int | None = None
) -> list[SupportedContribution]:
    """The contributions of the edition this phone supported, newest support first."""
    device = _device_in_edition(session, device_token, edition_id)
    if device is None:
        return []
    edition, participant_id = device
    # Someone else's text: read through the published path only (services.published).
    rows = session.exec(
        select(
            Contribution.id,
            Theme.short_label,
            case((is_published(), published_text()), else_=None),
            ContributionSupport.created_at,
        )
        .join(ContributionSupport, col(ContributionSupport.contribution_id) == col(Contribution.id))
        .join(Theme, col(Theme.id) == col(Contribution.theme_id))
        .where(ContributionSupport.participant_id == participant_id, Theme.edition_id == edition)
        .order_by(col(ContributionSupport.created_at).desc())
    ).all()
    counts = support_counts(session, [cid for cid, *_ in rows if cid is not None])
    return [SupportedContribution(cid or 0, label, text, at, counts.get(cid or 0, 0)) for cid, label, text, at in rows]


@dataclass(frozen=True)
class StandContext:
    """The stand a form was opened from (its QR code): sets the theme and the source « chasse aux trésors »."""

    id: int
    code: str
    name: str
    theme_id: int


def find_open_stand(session: Session, *, code: str, edition_id: int | None = None) -> StandContext | None:
    """An active stand of the edition by its code as printed on its QR code, or None (codes repeat across
    editions: S01 of one is not S01 of another)."""
    cleaned = (code or "").strip().upper()
    if not cleaned or len(cleaned) > 20:
        return None
    edition = resolve_edition_id(session=session, edition_id=edition_id)
    row = session.exec(
        select(Stand).where(Stand.code == cleaned, Stand.edition_id == edition, col(Stand.active))
    ).first()
    if row is None or row.id is None:
        return None
    return StandContext(row.id, row.code, row.name, row.theme_id)


def count_contributions(session: Session, *, edition_id: int | None = None) -> int:
    """Every contribution the edition received so far, whatever its source, except those moderation turned down."""
    themes = theme_ids(session=session, edition_id=resolve_edition_id(session=session, edition_id=edition_id))
    return int(
        session.exec(
            select(func.count())
            .select_from(Contribution)
            .where(col(Contribution.theme_id).in_(themes), Contribution.status != ModerationStatus.REJECTED.value)
        ).one()
    )


@dataclass(frozen=True)
class EntryRow:
    receipt_code: str
    created_at: datetime
    theme_label: str
    source: str
    text: str


def list_entries_by(
    session: Session, *, entered_by: str, limit: int = 20, edition_id: int | None = None
) -> list[EntryRow]:
    """The latest contributions of the edition a staff member typed in, to check a batch at a glance."""
    edition = resolve_edition_id(session=session, edition_id=edition_id)
    rows = session.exec(
        select(Contribution, Theme.short_label)
        .join(Theme, col(Theme.id) == col(Contribution.theme_id))
        .where(Contribution.entered_by == entered_by, Theme.edition_id == edition)
        .order_by(col(Contribution.id).desc())
        .limit(limit)
    ).all()
    return [EntryRow(c.receipt_code, c.created_at, label, c.source, c.body) for c, label in rows]
