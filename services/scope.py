"""Which edition a call works on: the one given, else the default edition (services.editions explains editions).

Every service that reads or writes an edition's data takes `edition_id`; None means the default edition, the one
participants reach without naming one. Kept apart from services.editions (which loads packs) so that any service
can import it without an import cycle.
"""

from __future__ import annotations

from sqlmodel import Session, col, select

from models import Edition, EditionStatus, Theme
from services.errors import NotFoundError, ValidationError

ARCHIVED = "Cette édition est archivée : elle se consulte mais ne se modifie plus."
NOT_OPEN = "Cette édition n'est pas ouverte aux contributions."
NO_EDITION = "Aucune édition de la conférence n'est encore configurée : importez un pack de conférence."


def default_edition_id(session: Session) -> int:
    """The edition marked as default, else the latest open one, else the latest one."""
    for stmt in (
        select(Edition.id).where(col(Edition.is_default)),
        select(Edition.id)
        .where(Edition.status == EditionStatus.OPEN.value)
        .order_by(col(Edition.start_date).desc(), col(Edition.id).desc()),
        select(Edition.id).order_by(col(Edition.start_date).desc(), col(Edition.id).desc()),
    ):
        found = session.exec(stmt).first()
        if found is not None:
            return int(found)
    raise NotFoundError(NO_EDITION)


def resolve_edition_id(session: Session, *, edition_id: int | None) -> int:
    """`edition_id` itself, or the default edition's when None."""
    return edition_id if edition_id is not None else default_edition_id(session=session)


def theme_ids(session: Session, *, edition_id: int) -> list[int]:
    """An edition's theme ids: contributions, groups and the tallies' rollup are scoped by these."""
    return [i for i in session.exec(select(Theme.id).where(Theme.edition_id == edition_id)).all() if i is not None]


def require_writable(session: Session, *, edition_id: int) -> None:
    """Refuse any change to an archived edition (its data is the record of that conference)."""
    row = session.get(Edition, edition_id)
    if row is None:
        raise NotFoundError("Cette édition n'existe pas.")
    if row.status == EditionStatus.ARCHIVED.value:
        raise ValidationError({"edition": ARCHIVED})


def require_open(session: Session, *, edition_id: int) -> None:
    """Refuse a participant's write unless the edition is open."""
    row = session.get(Edition, edition_id)
    if row is None or row.status != EditionStatus.OPEN.value:
        raise ValidationError(
            {"edition": ARCHIVED if row is not None and row.status == EditionStatus.ARCHIVED.value else NOT_OPEN}
        )
