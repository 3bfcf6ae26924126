"""What staff moderate: the queue of an edition's contributions, one contribution's history, the backlog per theme."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, col, select

from models import AuditEvent, Contribution, ContributionTag, ModerationStatus, Stand, Tag, Theme
from services.audit import list_audit_events
from services.errors import NotFoundError
from services.moderation.personal_data import detect_personal_data
from services.scope import resolve_edition_id, theme_ids

ENTITY = "contribution"
QUEUE_LIMIT = 500


@dataclass(frozen=True)
class QueueFilter:
    theme_id: int | None = None
    source: str | None = None
    stand_id: int | None = None
    status: str | None = ModerationStatus.PENDING.value


@dataclass(frozen=True)
class QueueItem:
    contribution_id: int
    receipt_code: str
    created_at: datetime
    theme_id: int
    theme_label: str
    source: str
    stand_name: str | None
    status: str
    title: str
    text: str  # the masked copy when there is one
    body: str  # as typed
    masked: bool
    rejection_reason: str  # staff's note, internal
    rejection_category: str | None  # what the author is told (RejectionCategory), None when not rejected
    tags: tuple[str, ...]
    flags: tuple[str, ...]  # kinds of personal data found in the text as typed


def tags_of(session: Session, ids: Sequence[int]) -> dict[int, list[str]]:
    """The tags of each contribution in `ids`, in alphabetical order (those without any are left out)."""
    if not ids:
        return {}
    rows = session.exec(
        select(ContributionTag.contribution_id, Tag.label)
        .join(Tag, col(Tag.id) == col(ContributionTag.tag_id))
        .where(col(ContributionTag.contribution_id).in_(list(ids)))
        .order_by(col(Tag.label))
    ).all()
    tags: dict[int, list[str]] = {}
    for cid, label in rows:
        tags.setdefault(cid, []).append(label)
    return tags


def _base_query() -> Any:
    return (
        select(Contribution, Theme.short_label, Stand.name)
        .join(Theme, col(Theme.id) == col(Contribution.theme_id))
        .outerjoin(Stand, col(Stand.id) == col(Contribution.stand_id))
        .order_by(col(Contribution.created_at), col(Contribution.id))
    )


def list_queue(
    session: Session,
    *,
    filters: QueueFilter = QueueFilter(),
    limit: int = QUEUE_LIMIT,
    edition_id: int | None = None,
) -> list[QueueItem]:
    """The edition's contributions to moderate, oldest first, filtered by theme, source, stand and status."""
    edition = resolve_edition_id(session=session, edition_id=edition_id)
    stmt = _base_query().where(Theme.edition_id == edition).limit(limit)
    if filters.status:
        stmt = stmt.where(Contribution.status == filters.status)
    if filters.theme_id is not None:
        stmt = stmt.where(Contribution.theme_id == filters.theme_id)
    if filters.source:
        stmt = stmt.where(Contribution.source == filters.source)
    if filters.stand_id is not None:
        stmt = stmt.where(Contribution.stand_id == filters.stand_id)
    return _items(session, session.exec(stmt).all())


def _item(c: Contribution, theme_label: str, stand_name: str | None, tags: list[str]) -> QueueItem:
    return QueueItem(
        contribution_id=c.id or 0,
        receipt_code=c.receipt_code,
        created_at=c.created_at,
        theme_id=c.theme_id,
        theme_label=theme_label,
        source=c.source,
        stand_name=stand_name,
        status=c.status,
        title=c.title,
        text=c.masked_body if c.masked_body is not None else c.body,
        body=c.body,
        masked=c.masked_body is not None,
        rejection_reason=c.rejection_reason,
        rejection_category=c.rejection_category,
        tags=tuple(tags),
        flags=tuple(dict.fromkeys(h.kind for h in detect_personal_data(f"{c.title}\n{c.body}"))),
    )


def _items(session: Session, rows: Sequence[Any]) -> list[QueueItem]:
    tags = tags_of(session, [c.id for c, _, _ in rows if c.id is not None])
    return [_item(c, theme_label, stand_name, tags.get(c.id or 0, [])) for c, theme_label, stand_name in rows]


def get_item(session: Session, *, contribution_id: int, edition_id: int | None = None) -> QueueItem:
    """One contribution of the edition as the moderation queue shows it, whatever its status."""
    edition = resolve_edition_id(session=session, edition_id=edition_id)
    stmt = _base_query().where(Contribution.id == contribution_id, Theme.edition_id == edition)
    items = _items(session, session.exec(stmt).all())
    if not items:
        raise NotFoundError("Cette contribution n'existe pas.")
    return items[0]


@dataclass(frozen=True)
class HistoryEntry:
    at: datetime
    actor: str
    action: str
    before: dict[str, Any]
    after: dict[str, Any]


def contribution_history(
    session: Session, *, contribution_id: int, edition_id: int | None = None
) -> list[HistoryEntry]:
    """Every staff action on one contribution of the edition, latest first."""
    edition = resolve_edition_id(session=session, edition_id=edition_id)
    row = session.get(Contribution, contribution_id)
    if row is None or row.theme_id not in theme_ids(session=session, edition_id=edition):
        raise NotFoundError("Cette contribution n'existe pas.")
    events: list[AuditEvent] = list_audit_events(session=session, entity_type=ENTITY, entity_id=contribution_id)
    return [HistoryEntry(e.created_at, e.actor, e.action, e.before or {}, e.after or {}) for e in events]


@dataclass(frozen=True)
class BacklogRow:
    theme_id: int
    theme_label: str
    pending: int
    published: int
    rejected: int


def backlog_by_theme(session: Session, *, edition_id: int | None = None) -> list[BacklogRow]:
    """The edition's contributions per theme and moderation status (every theme, zero included), for organisers
    too."""
    edition = resolve_edition_id(session=session, edition_id=edition_id)
    themes = session.exec(
        select(Theme).where(Theme.edition_id == edition).order_by(col(Theme.position), col(Theme.id))
    ).all()
    counts = session.exec(
        select(Contribution.theme_id, Contribution.status, func.count())
        .where(col(Contribution.theme_id).in_([t.id for t in themes]))
        .group_by(col(Contribution.theme_id), col(Contribution.status))
    ).all()
    by: dict[tuple[int, str], int] = {(t, s): int(n) for t, s, n in counts}
    return [
        BacklogRow(
            t.id or 0,
            t.short_label,
            by.get((t.id or 0, ModerationStatus.PENDING.value), 0),
            by.get((t.id or 0, ModerationStatus.PUBLISHED.value), 0),
            by.get((t.id or 0, ModerationStatus.REJECTED.value), 0),
        )
        for t in themes
    ]
