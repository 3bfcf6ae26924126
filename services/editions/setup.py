"""Setting up editions: import a pack, copy one, start a blank one, change its settings, pick the default."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session, select

from models import Edition, EditionStatus, utcnow
from services.audit import audit
from services.editions.info import EDITION_FIELDS, EditionInfo, edition_info, get_edition
from services.editions.pack_export import export_pack
from services.errors import NotFoundError, ValidationError
from services.packs import PACK_FORMAT, Pack, check_edition_settings, edition_for_yaml, parse_pack
from services.permissions import Permission, require_permission
from services.reference_data import load_pack
from services.scope import ARCHIVED


def _require_free_slug(session: Session, slug: str, *, other_than: int | None = None) -> None:
    """Refuse an identifier another edition already has (it names the edition in QR codes and links)."""
    stmt = select(Edition).where(Edition.slug == slug)
    if other_than is not None:
        stmt = stmt.where(Edition.id != other_than)
    if session.exec(stmt).first() is not None:
        raise ValidationError({"slug": f"L'identifiant « {slug} » est déjà pris par une autre édition."})


def _settings(row: Edition) -> dict[str, Any]:
    """An edition's settings as the audit trail records them (JSON values)."""
    return row.model_dump(include=set(EDITION_FIELDS), mode="json")


def import_pack(session: Session, *, actor: str, pack: Pack) -> tuple[EditionInfo, str]:
    """Create the pack's edition, or bring the existing one (same identifier) up to it; (edition, French summary)."""
    require_permission(session=session, actor=actor, permission=Permission.EDITIONS)
    existing = session.exec(select(Edition).where(Edition.slug == pack.edition["slug"])).first()
    if existing is not None and existing.status == EditionStatus.ARCHIVED.value:
        raise ValidationError({"edition": ARCHIVED})
    edition_id, report = load_pack(session=session, pack=pack)
    action = "edition.import" if existing is None else "edition.reload"
    audit(
        session,
        actor,
        action,
        edition_id,
        after={"slug": pack.edition["slug"], "inserted": sum(report.inserted.values())},
    )
    return get_edition(session=session, edition_id=edition_id), report.summary()


def copy_edition(session: Session, *, actor: str, source_id: int, settings: dict[str, Any]) -> EditionInfo:
    """A new edition (in preparation) carrying forward the source's themes, orientations, stands, projects,
    key figures, support schemes and questionnaire, to edit in the app; `settings` are the new edition's."""
    require_permission(session=session, actor=actor, permission=Permission.EDITIONS)
    source = export_pack(session=session, edition_id=source_id)
    checked = check_edition_settings({**source.edition, **settings, "status": EditionStatus.DRAFT.value})
    _require_free_slug(session, checked["slug"])
    if source.questionnaire is not None:
        # A questionnaire identifier names its edition's form: the copy gets its own.
        source.questionnaire = {**source.questionnaire, "slug": f"questionnaire-{checked['slug']}"[:60]}
    pack = parse_pack({**source.as_dict(), "edition": edition_for_yaml(checked)})
    edition_id, _ = load_pack(session=session, pack=pack)
    audit(session, actor, "edition.copy", edition_id, after={"slug": checked["slug"], "from": source_id})
    return get_edition(session=session, edition_id=edition_id)


def create_blank_edition(
    session: Session, *, actor: str, settings: dict[str, Any], themes: list[dict[str, Any]]
) -> EditionInfo:
    """A new edition from its settings and its themes only (orientations, stands… added in the app)."""
    require_permission(session=session, actor=actor, permission=Permission.EDITIONS)
    checked = check_edition_settings({**settings, "status": EditionStatus.DRAFT.value})
    _require_free_slug(session, checked["slug"])
    pack = parse_pack({"format": PACK_FORMAT, "edition": edition_for_yaml(checked), "themes": themes})
    edition_id, _ = load_pack(session=session, pack=pack)
    audit(session, actor, "edition.create", edition_id, after={"slug": checked["slug"]})
    return get_edition(session=session, edition_id=edition_id)


def update_edition_settings(session: Session, *, actor: str, edition_id: int, values: dict[str, Any]) -> EditionInfo:
    """Change an edition's settings (not its identifier once participants may hold its QR codes)."""
    require_permission(session=session, actor=actor, permission=Permission.EDITIONS)
    row = session.get(Edition, edition_id)
    if row is None:
        raise NotFoundError("Cette édition n'existe pas.")
    before = _settings(row)
    checked = check_edition_settings({**before, **values})
    if checked["slug"] != row.slug:
        _require_free_slug(session, checked["slug"], other_than=edition_id)
    if row.status == EditionStatus.ARCHIVED.value and checked["status"] == EditionStatus.ARCHIVED.value:
        raise ValidationError({"edition": ARCHIVED + " Rouvrez-la d'abord (statut « ouverte »)."})
    for key, value in checked.items():
        setattr(row, key, value)
    row.updated_at = utcnow()
    session.add(row)
    audit(session, actor, "edition.update", edition_id, before=before, after=_settings(row))
    session.flush()
    return edition_info(row)


def set_default_edition(session: Session, *, actor: str, edition_id: int) -> EditionInfo:
    """Make this edition the one participants reach without naming one."""
    require_permission(session=session, actor=actor, permission=Permission.EDITIONS)
    if session.get(Edition, edition_id) is None:
        raise NotFoundError("Cette édition n'existe pas.")
    for row in session.exec(select(Edition)).all():
        row.is_default = row.id == edition_id
        session.add(row)
    audit(session, actor, "edition.default", edition_id)
    session.flush()
    return get_edition(session=session, edition_id=edition_id)
