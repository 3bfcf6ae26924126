"""The draft orientations of each theme: listing them, editing one (a new version each time), adding, reordering."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, col, select

from models import Orientation, OrientationStatus, OrientationVersion, Theme, utcnow
from services.audit import audit
from services.errors import NotFoundError, ValidationError
from services.reference import OrientationInfo
from services.scope import require_writable, resolve_edition_id
from services.text import check_text

TITLE_MAX_CHARS = 300
BODY_MAX_CHARS = 5000
NOTE_MAX_CHARS = 300
ENTITY = "orientation"
THEME_REQUIRED = "Choisissez l'une des thématiques de la conférence."


@dataclass(frozen=True)
class OrientationView(OrientationInfo):
    """An orientation as the drafting page edits it: the reference's fields, its place, version and last edit."""

    position: int
    version: int
    updated_at: datetime


def as_view(o: Orientation) -> OrientationView:
    return OrientationView(
        o.id or 0, o.code, o.theme_id, o.title, o.body, o.status, o.presented, o.position, o.version, o.updated_at
    )


def orientation_row(
    session: Session, orientation_id: int, edition_id: int | None, *, write: bool = False
) -> Orientation:
    """An orientation of the edition (another edition's does not exist here); `write`: the edition not archived."""
    edition = resolve_edition_id(session=session, edition_id=edition_id)
    row = session.get(Orientation, orientation_id)
    if row is None or row.edition_id != edition:
        raise NotFoundError("Cette orientation n'existe pas.")
    if write:
        require_writable(session=session, edition_id=edition)
    return row


def list_draft_orientations(session: Session, *, theme_id: int, edition_id: int | None = None) -> list[OrientationView]:
    """The draft of one theme of the edition, in its reading order, as editable views (version, position)."""
    edition = resolve_edition_id(session=session, edition_id=edition_id)
    rows = session.exec(
        select(Orientation)
        .where(Orientation.theme_id == theme_id, Orientation.edition_id == edition)
        .order_by(col(Orientation.position), col(Orientation.id))
    ).all()
    return [as_view(o) for o in rows]


def get_orientation(session: Session, *, orientation_id: int, edition_id: int | None = None) -> OrientationView:
    return as_view(orientation_row(session, orientation_id, edition_id))


def _clean(title: str, body: str, status: str) -> tuple[str, str]:
    errors: dict[str, str] = {}
    clean_title, problem = check_text(title, label="Le titre", min_chars=5, max_chars=TITLE_MAX_CHARS)
    if problem:
        errors["title"] = problem
    clean_body, problem = check_text(body, label="Le texte", max_chars=BODY_MAX_CHARS, required=False)
    if problem:
        errors["body"] = problem
    if status not in {s.value for s in OrientationStatus}:
        errors["status"] = "Statut d'orientation inconnu."
    if errors:
        raise ValidationError(errors)
    return clean_title, clean_body


def _snapshot(o: Orientation) -> dict[str, Any]:
    """What a version keeps of an orientation, and what the audit trail records of an edit."""
    return {"title": o.title, "body": o.body, "status": o.status, "version": o.version}


def _add_version(session: Session, o: Orientation, actor: str, note: str) -> None:
    session.add(OrientationVersion(orientation_id=o.id or 0, edited_by=actor, note=note, **_snapshot(o)))


def edit_orientation(
    session: Session,
    *,
    orientation_id: int,
    title: str,
    body: str,
    status: str,
    actor: str,
    note: str = "",
    edition_id: int | None = None,
) -> OrientationView:
    """Save an edit as a new version (text and status); an edit that changes nothing makes no version."""
    row = orientation_row(session, orientation_id, edition_id, write=True)
    clean_title, clean_body = _clean(title, body, status)
    clean_note, problem = check_text(note, label="La note", max_chars=NOTE_MAX_CHARS, required=False)
    if problem:
        raise ValidationError({"note": problem})
    if (row.title, row.body, row.status) == (clean_title, clean_body, status):
        return as_view(row)
    before = _snapshot(row)
    if not session.exec(select(OrientationVersion.id).where(OrientationVersion.orientation_id == row.id)).first():
        _add_version(session, row, "", "Texte d'origine")  # keep the text as it was before the first edit
    row.title, row.body, row.status = clean_title, clean_body, status
    row.version += 1
    row.updated_at = utcnow()
    session.add(row)
    _add_version(session, row, actor, clean_note)
    audit(session, actor, "orientation.edit", row.id or 0, before=before, after=_snapshot(row))
    session.flush()
    return as_view(row)


def _new_code(session: Session, theme: Theme, edition: int) -> str:
    """« T<theme>-N<n> », n the first number after the edition's count of orientations not taken yet."""
    in_edition = Orientation.edition_id == edition
    count = int(session.exec(select(func.count()).select_from(Orientation).where(in_edition)).one())
    code = f"T{theme.position or theme.id}-N{count + 1}"
    while session.exec(select(Orientation.id).where(Orientation.code == code, in_edition)).first() is not None:
        count += 1
        code = f"T{theme.position or theme.id}-N{count + 1}"
    return code


def add_orientation(
    session: Session, *, theme_id: int, title: str, body: str, actor: str, edition_id: int | None = None
) -> OrientationView:
    """A new orientation at the end of its theme, status « nouvelle », version 1; its code is new in the edition."""
    edition = resolve_edition_id(session=session, edition_id=edition_id)
    theme = session.get(Theme, theme_id) if isinstance(theme_id, int) else None
    if theme is None or theme.edition_id != edition:
        raise ValidationError({"theme_id": THEME_REQUIRED})
    require_writable(session=session, edition_id=edition)
    clean_title, clean_body = _clean(title, body, OrientationStatus.NEW.value)
    last = session.exec(select(func.max(Orientation.position)).where(Orientation.theme_id == theme_id)).one()
    row = Orientation(
        edition_id=edition,
        code=_new_code(session, theme, edition),
        theme_id=theme_id,
        title=clean_title,
        body=clean_body,
        status=OrientationStatus.NEW.value,
        position=int(last or 0) + 1,
        presented=False,
    )
    session.add(row)
    session.flush()
    _add_version(session, row, actor, "Nouvelle orientation")
    audit(session, actor, "orientation.add", row.id or 0, after=_snapshot(row))
    session.flush()
    return as_view(row)


def move_orientation(
    session: Session, *, orientation_id: int, offset: int, actor: str, edition_id: int | None = None
) -> bool:
    """Move one orientation up (offset -1) or down (+1) in its theme; False at either end."""
    row = orientation_row(session, orientation_id, edition_id, write=True)
    siblings = list(
        session.exec(
            select(Orientation)
            .where(Orientation.theme_id == row.theme_id)
            .order_by(col(Orientation.position), col(Orientation.id))
        ).all()
    )
    index = next(i for i, o in enumerate(siblings) if o.id == row.id)
    target = index + offset
    if offset == 0 or not 0 <= target < len(siblings):
        return False
    before = [o.code for o in siblings]
    siblings.insert(target, siblings.pop(index))
    for position, o in enumerate(siblings, start=1):
        if o.position != position:
            o.position = position  # loaded in this session: the change is written at the next flush
    audit(
        session,
        actor,
        "orientation.move",
        row.id or 0,
        before={"order": before},
        after={"order": [o.code for o in siblings]},
    )
    return True
