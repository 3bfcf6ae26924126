"""The stands of an edition's circuit as the hunters see them: a stand's page, the circuit in order."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlmodel import Session, col, select

from models import Ptce, Stand, Theme
from services.scope import resolve_edition_id


@dataclass(frozen=True)
class StandPage:
    """What a stand's page shows (texts typed by staff: pages draw them as plain text)."""

    id: int
    code: str
    name: str
    experience: str
    carrier: str
    description: str
    question: str
    position: int
    theme_id: int
    theme_code: str
    theme_label: str
    theme_short_label: str
    theme_color: str
    ptce_code: str | None
    ptce_name: str | None
    active: bool


# A StandPage is the stand's own columns, then its theme's (prefixed theme_) and its project's (ptce_).
_STAND_FIELDS = ("id", "code", "name", "experience", "carrier", "description", "question", "position", "theme_id")
_THEME_FIELDS = ("code", "label", "short_label", "color")


def _page(stand: Stand, theme: Theme, ptce: Ptce | None) -> StandPage:
    return StandPage(
        **{name: getattr(stand, name) for name in _STAND_FIELDS},
        **{f"theme_{name}": getattr(theme, name) for name in _THEME_FIELDS},
        ptce_code=ptce.code if ptce else None,
        ptce_name=ptce.name if ptce else None,
        active=stand.active,
    )


def stand_pages(session: Session, edition_id: int, *where: Any) -> list[StandPage]:
    """The edition's stands matching `where` (all of them when empty), in circuit order."""
    stmt = (
        select(Stand, Theme, Ptce)
        .join(Theme, col(Theme.id) == col(Stand.theme_id))
        .join(Ptce, col(Ptce.id) == col(Stand.ptce_id), isouter=True)
        .where(col(Stand.edition_id) == edition_id, *where)
        .order_by(col(Stand.position), col(Stand.code))
    )
    return [_page(stand, theme, ptce) for stand, theme, ptce in session.exec(stmt).all()]


def normalise_stand_code(code: str | None) -> str:
    """What a QR code or a hand-typed address carries, as stored: upper case, no spaces; '' if implausible."""
    cleaned = (code or "").strip().upper()
    return cleaned if 0 < len(cleaned) <= 20 and cleaned.isascii() and cleaned.replace("-", "").isalnum() else ""


def get_stand_page(session: Session, *, code: str, edition_id: int | None = None) -> StandPage | None:
    """An open stand of the edition by its code, or None for an unknown or closed one."""
    cleaned = normalise_stand_code(code)
    if not cleaned:
        return None
    edition = resolve_edition_id(session=session, edition_id=edition_id)
    found = stand_pages(session, edition, col(Stand.code) == cleaned, col(Stand.active))
    return found[0] if found else None


def list_circuit(session: Session, *, include_closed: bool = False, edition_id: int | None = None) -> list[StandPage]:
    """The edition's stands in circuit order (open ones only unless asked)."""
    edition = resolve_edition_id(session=session, edition_id=edition_id)
    return stand_pages(session, edition) if include_closed else stand_pages(session, edition, col(Stand.active))
