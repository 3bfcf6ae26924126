"""Bring a store to a usable state, and reload one edition from its shipped pack.

The one entry point to the reference data: `manage.py migrate` (and the app's start) call prepare_store, the
admin page's « Recharger » calls reload_reference_data; both load a pack through the same
services.reference_data.load_pack (départements, settings, themes, projects, stands, orientations and the
pack's questionnaire).
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.engine import Engine
from sqlmodel import Session

from db.engine import session_scope
from db.migrate import upgrade_schema
from models import Edition
from services.audit import audit
from services.errors import NotFoundError
from services.permissions import Permission, require_permission
from services.reference_data import (
    FIELD_LABELS,
    PACKS_DIR,
    KeptEdit,
    ReferenceLoadReport,
    load_pack,
    load_reference_data,
    read_pack_file,
    shipped_pack_for,
)
from services.scope import require_writable

__all__ = ["FIELD_LABELS", "KeptEdit", "ReferenceLoadReport", "prepare_store", "reload_reference_data"]


def prepare_store(engine: Engine) -> ReferenceLoadReport:
    """Migrate to head and load the reference data; safe to run any number of times, never undoes staff edits."""
    upgrade_schema(engine)
    with session_scope(engine, write=True) as session:
        report = load_reference_data(session=session)
    return report


def reload_reference_data(
    session: Session, *, actor: str, edition_id: int, directory: Path = PACKS_DIR
) -> ReferenceLoadReport:
    """« Recharger » an edition from its shipped pack: only an account allowed to edit reference data, and the
    trail says who did."""
    require_permission(session=session, actor=actor, permission=Permission.REFERENCE)
    require_writable(session=session, edition_id=edition_id)
    edition = session.get(Edition, edition_id)
    if edition is None:
        raise NotFoundError("Cette édition n'existe pas.")
    path = shipped_pack_for(edition.slug, directory)
    if path is None:
        raise NotFoundError("Cette édition n'a pas de pack livré avec l'application : rien à recharger.")
    _, report = load_pack(session=session, pack=read_pack_file(path))
    totals = {"inserted": sum(report.inserted.values()), "updated": sum(report.updated.values())}
    audit(session, actor, "reference.reload", edition_id, after=totals | {"kept": len(report.kept)})
    return report
