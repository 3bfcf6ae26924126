"""An edition's content edited in the wizard: its themes, its key figures and support schemes (tables). The rest
of an edition's setup has its own pages (stands, drafting) and its questionnaire its module (editions.questionnaire).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, col, select

from models import (
    Contribution,
    ContributionGroup,
    KeyFigure,
    Orientation,
    QuestionnaireSection,
    Stand,
    SupportScheme,
    Theme,
)
from services.audit import audit
from services.editions.pack_export import export_pack
from services.errors import NotFoundError, ValidationError
from services.packs import MAX_THEMES, MIN_THEMES, check_key_figures, check_support_schemes, check_themes
from services.permissions import Permission, require_permission
from services.scope import require_writable

THEME_FIELDS = ("code", "label", "short_label", "color", "description")


def _theme_snapshot(theme: Theme) -> dict[str, Any]:
    return theme.model_dump(include={"id", "edition_id", *THEME_FIELDS, "position"})


def save_theme(
    session: Session, *, actor: str, edition_id: int, values: dict[str, Any], theme_id: int | None = None
) -> int:
    """Create (theme_id None) or edit one of an edition's themes, checked like a pack's; returns its id."""
    require_permission(session=session, actor=actor, permission=Permission.EDITIONS)
    require_writable(session=session, edition_id=edition_id)
    themes = session.exec(select(Theme).where(Theme.edition_id == edition_id).order_by(col(Theme.position))).all()
    row = next((t for t in themes if t.id == theme_id), None) if theme_id is not None else None
    if theme_id is not None and row is None:
        raise NotFoundError("Ce thème n'existe pas dans cette édition.")
    if row is None and len(themes) >= MAX_THEMES:
        raise ValidationError({"themes": f"Une édition compte au plus {MAX_THEMES} thèmes."})
    others = [{k: getattr(t, k) for k in THEME_FIELDS} for t in themes if row is None or t.id != row.id]
    candidate = {k: values.get(k, getattr(row, k) if row is not None else "") for k in THEME_FIELDS}
    # The same checks as a pack's themes: codes unique in the edition, lengths, colours.
    checked = check_themes([*others, candidate])[-1]
    before = _theme_snapshot(row) if row is not None else None
    if row is None:
        row = Theme(edition_id=edition_id, position=len(themes) + 1, **checked)
    else:
        for key, value in checked.items():
            setattr(row, key, value)
    session.add(row)
    session.flush()
    assert row.id is not None
    audit(
        session,
        actor,
        "theme.add" if before is None else "theme.edit",
        row.id,
        before=before,
        after=_theme_snapshot(row),
    )
    return row.id


def delete_theme(session: Session, *, actor: str, edition_id: int, theme_id: int) -> int:
    """Remove a theme that nothing uses yet (no orientation, stand, contribution or questionnaire section)."""
    require_permission(session=session, actor=actor, permission=Permission.EDITIONS)
    require_writable(session=session, edition_id=edition_id)
    row = session.get(Theme, theme_id)
    if row is None or row.edition_id != edition_id:
        raise NotFoundError("Ce thème n'existe pas dans cette édition.")
    remaining = int(session.exec(select(func.count()).select_from(Theme).where(Theme.edition_id == edition_id)).one())
    if remaining <= MIN_THEMES:
        raise ValidationError({"themes": f"Une édition compte au moins {MIN_THEMES} thèmes."})
    for model, what in (
        (Orientation, "des orientations"),
        (Stand, "des stands"),
        (Contribution, "des contributions"),
        (QuestionnaireSection, "une partie du questionnaire"),
        (ContributionGroup, "des regroupements"),
    ):
        used = session.exec(select(func.count()).select_from(model).where(model.theme_id == theme_id)).one()
        if used:
            raise ValidationError(
                {"theme": f"Ce thème porte déjà {what} : changez-en le libellé plutôt que de le supprimer."}
            )
    audit(session, actor, "theme.delete", theme_id, before=_theme_snapshot(row))
    session.delete(row)
    session.flush()
    return theme_id


TABLES: dict[str, tuple[Any, Callable[[list[dict[str, Any]]], list[dict[str, Any]]], str]] = {
    "key_figures": (KeyFigure, check_key_figures, "keyfigure"),
    "support_schemes": (SupportScheme, check_support_schemes, "supportscheme"),
}


def list_edition_rows(session: Session, *, edition_id: int, table: str) -> list[dict[str, Any]]:
    """An edition's key figures or support schemes as the pack writes them (the wizard's tables)."""
    pack = export_pack(session=session, edition_id=edition_id)
    rows: list[dict[str, Any]] = pack.key_figures if table == "key_figures" else pack.support_schemes
    return rows


def save_edition_rows(session: Session, *, actor: str, edition_id: int, table: str, rows: list[dict[str, Any]]) -> int:
    """Replace an edition's key figures or support schemes by `rows`, checked as in a pack; rows kept by code.

    Returns how many rows the edition then holds. Figures are shown in the order given (the home page's headline
    figures are those with a short label).
    """
    require_permission(session=session, actor=actor, permission=Permission.EDITIONS)
    require_writable(session=session, edition_id=edition_id)
    model, check, entity = TABLES[table]
    checked = check(rows)
    existing = {r.code: r for r in session.exec(select(model).where(model.edition_id == edition_id)).all()}
    before = [r.model_dump(exclude={"id", "edition_id"}) for r in existing.values()]
    for position, values in enumerate(checked, start=1):
        row = existing.pop(values["code"], None) or model(edition_id=edition_id, code=values["code"])
        for key, value in values.items():
            setattr(row, key, value)
        if model is KeyFigure:
            row.position = position
        session.add(row)
    for gone in existing.values():
        session.delete(gone)
    session.flush()
    audit(session, actor, f"{entity}.replace", edition_id, before={"rows": before}, after={"rows": checked})
    return len(checked)
