"""Admins' side of the circuit: creating, editing and reordering an edition's stands (every change audited), and
what the posters and the stand form need."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, col, select

from models import Edition, Ptce, Stand, Theme
from services.audit import audit
from services.circuit.stand_pages import list_circuit
from services.errors import NotFoundError, ValidationError
from services.ordering import move_in_order
from services.qrcodes import PosterStand
from services.scope import require_writable, resolve_edition_id
from services.text import check_text

STAND_CODE = re.compile(r"[A-Z0-9-]{1,20}")
TEXT_LIMITS = {"name": 160, "experience": 300, "carrier": 200, "description": 2000, "question": 500}
TEXT_LABELS = {
    "name": "Le nom du stand",
    "experience": "L'expérience présentée",
    "carrier": "Le porteur",
    "description": "La description",
    "question": "La question",
}


@dataclass(frozen=True)
class StandValues:
    """What an admin typed (or a CSV row held) for one stand; checked by check_stand_values."""

    code: str
    name: str
    theme: str  # a theme's code or id, as text
    experience: str = ""
    carrier: str = ""
    description: str = ""
    question: str = ""
    position: str = ""
    ptce: str = ""  # a PTCE's code, or empty
    active: bool = True


def _projects_label(session: Session, edition_id: int) -> str:
    row = session.get(Edition, edition_id)
    return row.projects_label if row is not None and row.projects_label else "Projets"


def check_stand_values(
    session: Session, values: StandValues, *, edition_id: int
) -> tuple[dict[str, Any], dict[str, str]]:
    """The stand's columns, or French messages per field (no typed text is quoted back); the theme and the
    project are looked up among the edition's own (their codes repeat from one edition to another)."""
    errors: dict[str, str] = {}
    code = values.code.strip().upper()
    if not STAND_CODE.fullmatch(code):
        errors["code"] = "Code de stand invalide : de 1 à 20 lettres, chiffres ou tirets (par ex. S01)."
    themes: dict[str, int] = {}
    for theme_id, theme_code in session.exec(select(Theme.id, Theme.code).where(Theme.edition_id == edition_id)).all():
        assert theme_id is not None
        themes[str(theme_id)] = themes[theme_code] = theme_id
    theme_id = themes.get(values.theme.strip())
    if theme_id is None:
        errors["theme"] = "Thème inconnu : indiquez le code d'un des thèmes de cette édition."
    if not values.name.strip():
        errors["name"] = "Le nom du stand est obligatoire."
    texts: dict[str, str] = {}
    for key, limit in TEXT_LIMITS.items():
        texts[key], problem = check_text(getattr(values, key), label=TEXT_LABELS[key], max_chars=limit, required=False)
        if problem and key not in errors:
            errors[key] = problem
    position = 0
    if values.position.strip():
        try:
            position = int(values.position.strip())
            if not 0 <= position <= 999:
                raise ValueError
        except ValueError:
            errors["position"] = "La position doit être un nombre entier de 0 à 999."
    ptce_id = None
    if values.ptce.strip():
        ptce_id = session.exec(
            select(Ptce.id).where(col(Ptce.edition_id) == edition_id, col(Ptce.code) == values.ptce.strip())
        ).first()
        if ptce_id is None:
            label = _projects_label(session, edition_id)
            errors["ptce"] = (
                f"{label} : code inconnu dans cette édition. Indiquez le code de l'un d'eux, ou laissez vide."
            )
    columns = {
        "edition_id": edition_id,
        "code": code,
        "name": texts["name"],
        "theme_id": theme_id,
        "experience": texts["experience"],
        "carrier": texts["carrier"],
        "description": texts["description"],
        "question": texts["question"],
        "position": position,
        "ptce_id": ptce_id,
        "active": values.active,
    }
    return columns, errors


def _edition_stand(session: Session, stand_id: int, edition_id: int) -> Stand:
    found = session.get(Stand, stand_id)
    if found is None or found.edition_id != edition_id:
        raise NotFoundError("Ce stand n'existe plus.")
    return found


def save_stand(
    session: Session, *, values: StandValues, actor: str, stand_id: int | None = None, edition_id: int | None = None
) -> int:
    """Create a stand of the edition (stand_id None) or edit one of its stands; returns its id. Codes stay unique
    within the edition (another edition's S01 is no clash)."""
    edition = resolve_edition_id(session=session, edition_id=edition_id)
    require_writable(session=session, edition_id=edition)
    found = _edition_stand(session, stand_id, edition) if stand_id is not None else None
    columns, errors = check_stand_values(session, values, edition_id=edition)
    clash = session.exec(
        select(Stand).where(col(Stand.edition_id) == edition, col(Stand.code) == columns["code"])
    ).first()
    if clash is not None and clash.id != stand_id:
        errors["code"] = "Un autre stand de cette édition porte déjà ce code."
    if errors:
        raise ValidationError(errors)
    if found is None:
        if not values.position.strip():
            last = session.exec(select(func.max(Stand.position)).where(col(Stand.edition_id) == edition)).one()
            columns["position"] = int(last or 0) + 1
        stand = Stand(**columns)
        before = None
    else:
        stand = found
        before = stand.model_dump(exclude={"created_at"})
        for key, value in columns.items():
            setattr(stand, key, value)
    session.add(stand)
    session.flush()
    action = "stand.create" if stand_id is None else "stand.update"
    audit(session, actor, action, stand.code, before=before, after=stand.model_dump(exclude={"created_at"}))
    assert stand.id is not None
    return stand.id


def move_stand(session: Session, *, stand_id: int, offset: int, actor: str, edition_id: int | None = None) -> None:
    """Move a stand up (-1) or down (+1) its edition's circuit; the edition's positions are renumbered 1, 2, 3…"""
    edition = resolve_edition_id(session=session, edition_id=edition_id)
    require_writable(session=session, edition_id=edition)
    stands = list(
        session.exec(
            select(Stand).where(col(Stand.edition_id) == edition).order_by(col(Stand.position), col(Stand.code))
        ).all()
    )
    index = next((i for i, s in enumerate(stands) if s.id == stand_id), None)
    if index is None:
        raise NotFoundError("Ce stand n'existe plus.")
    target = max(0, min(len(stands) - 1, index + offset))
    move_in_order(session, stands, index, target)
    audit(session, actor, "stand.move", stands[target].code, before={"index": index + 1}, after={"index": target + 1})


def poster_stands(session: Session, *, edition_id: int | None = None) -> list[PosterStand]:
    """The edition's open stands as their posters need them (the QR code names the edition), in circuit order."""
    edition = resolve_edition_id(session=session, edition_id=edition_id)
    row = session.get(Edition, edition)
    slug = row.slug if row is not None else ""
    return [
        PosterStand(s.code, s.name, s.theme_label, s.theme_color, s.position, slug)
        for s in list_circuit(session=session, edition_id=edition)
    ]


def list_ptce_codes(session: Session, *, edition_id: int | None = None) -> list[dict[str, str]]:
    """The edition's projects (PTCE) a stand can be linked to: code and name."""
    edition = resolve_edition_id(session=session, edition_id=edition_id)
    rows = session.exec(select(Ptce).where(col(Ptce.edition_id) == edition).order_by(col(Ptce.name))).all()
    return [{"code": p.code, "name": p.name} for p in rows]
