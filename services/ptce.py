"""The PTCE catalogue: the pôles the Région supports, with their stands and contributions."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from sqlalchemy import ColumnElement, func, or_
from sqlmodel import Session, col, select

from models import Contribution, Departement, Edition, ModerationStatus, Ptce, Stand, Theme
from services import geo
from services.audit import audit
from services.errors import NotFoundError, ValidationError
from services.published import is_published, published_text
from services.scope import require_writable, resolve_edition_id
from services.text import check_text

# field → (French label, max characters, required)
TEXT_FIELDS = {
    "name": ("Le nom", 160, True),
    "carrier": ("Le porteur", 200, True),
    "territory": ("Le territoire", 200, True),
    "description": ("La description", 4000, False),
    "support": ("Le soutien reçu", 4000, False),
}
EDITABLE_FIELDS = ("name", "carrier", "territory", "departement", "description", "support", "lat", "lon")


@dataclass(frozen=True)
class PtceCard:
    id: int
    code: str
    name: str
    carrier: str
    territory: str
    departement: str
    departement_name: str
    description: str
    support: str
    lat: float | None
    lon: float | None
    stands: list[tuple[str, str]] = field(default_factory=list)  # (code, name) of open stands
    contributions: int = 0  # tagged with the PTCE or made at one of its stands, rejected ones left out
    latest: list[str] = field(default_factory=list)  # a few published texts (masked where staff masked them)


def _linked(ptce_ids: list[int]) -> ColumnElement[bool]:
    return or_(col(Contribution.ptce_id).in_(ptce_ids), col(Stand.ptce_id).in_(ptce_ids))


def _open_stands(session: Session, ids: list[int]) -> dict[int, list[tuple[str, str]]]:
    """PTCE id → (code, name) of its open stands, in the circuit's order."""
    stands: dict[int, list[tuple[str, str]]] = {}
    for ptce_id, code, name in session.exec(
        select(Stand.ptce_id, Stand.code, Stand.name)
        .where(col(Stand.ptce_id).in_(ids), col(Stand.active))
        .order_by(col(Stand.position))
    ).all():
        if ptce_id is not None:
            stands.setdefault(int(ptce_id), []).append((code, name))
    return stands


# A contribution counts for a PTCE if tagged with it, or else if made at one of its stands.
_OWNER = func.coalesce(Contribution.ptce_id, Stand.ptce_id)


def _contribution_counts(session: Session, ids: list[int]) -> dict[int, int]:
    """PTCE id → how many contributions it counts, rejected ones left out."""
    counted = (
        select(_OWNER, func.count())
        .select_from(Contribution)
        .join(Stand, col(Stand.id) == col(Contribution.stand_id), isouter=True)
    )
    counted = counted.where(_linked(ids), col(Contribution.status) != ModerationStatus.REJECTED.value)
    return {int(k): int(n) for k, n in session.exec(counted.group_by(_OWNER)).all() if k is not None}


def _latest_texts(session: Session, ids: list[int], latest: int) -> dict[int, list[str]]:
    """PTCE id → its `latest` most recent published texts (masked where staff masked them)."""
    texts: dict[int, list[str]] = {}
    published = (
        select(_OWNER, published_text())
        .select_from(Contribution)
        .join(Stand, col(Stand.id) == col(Contribution.stand_id), isouter=True)
        .where(_linked(ids), is_published())
        .order_by(col(Contribution.created_at).desc())
        .limit(latest * max(len(ids), 1) * 4)
    )
    for key, text in session.exec(published).all():
        bucket = texts.setdefault(int(key), [])
        if len(bucket) < latest:
            bucket.append(str(text))
    return texts


def list_ptce_catalogue(
    session: Session, *, departement: str | None = None, latest: int = 3, edition_id: int | None = None
) -> list[PtceCard]:
    """An edition's projects, optionally for one département, with linked stands and contribution counts."""
    edition = resolve_edition_id(session=session, edition_id=edition_id)
    stmt = (
        select(Ptce, Departement.name)
        .join(Departement, col(Departement.code) == col(Ptce.departement))
        .where(Ptce.edition_id == edition)
    )
    if departement:
        stmt = stmt.where(col(Ptce.departement) == departement)
    rows = session.exec(stmt.order_by(col(Ptce.departement), col(Ptce.name))).all()
    ids = [p.id for p, _ in rows if p.id is not None]
    stands = _open_stands(session, ids)
    counts = _contribution_counts(session, ids)
    texts = _latest_texts(session, ids, latest) if latest else {}
    return [
        PtceCard(
            id=p.id,
            code=p.code,
            name=p.name,
            carrier=p.carrier,
            territory=p.territory,
            departement=p.departement,
            departement_name=dep_name,
            description=p.description,
            support=p.support,
            lat=p.lat,
            lon=p.lon,
            stands=stands.get(p.id, []),
            contributions=counts.get(p.id, 0),
            latest=texts.get(p.id, []),
        )
        for p, dep_name in rows
        if p.id is not None
    ]


def update_ptce(session: Session, *, ptce_id: int, values: dict[str, object], actor: str) -> int:
    """Staff edit one PTCE of the catalogue (audited); returns its id."""
    row = session.get(Ptce, ptce_id)
    if row is None:
        raise NotFoundError("Ce projet n'existe plus.")
    require_writable(session=session, edition_id=row.edition_id)
    changes = {k: v for k, v in values.items() if k in EDITABLE_FIELDS}
    errors = _check_texts(changes)
    if "departement" in changes:
        edition = session.get(Edition, row.edition_id)
        if str(changes["departement"]) not in geo.departement_codes(edition.region_code if edition else ""):
            errors["departement"] = "Département inconnu dans la Région de cette édition."
    errors.update(_check_coordinates(row, changes))
    if errors:
        raise ValidationError(errors)
    before = {k: getattr(row, k) for k in changes}
    for key, value in changes.items():
        setattr(row, key, value)
    session.add(row)
    audit(session, actor, "ptce.update", ptce_id, before=before, after={k: getattr(row, k) for k in changes})
    return ptce_id


def _check_texts(changes: dict[str, object]) -> dict[str, str]:
    """Each text field changed, cleaned in place; its French message when refused."""
    errors: dict[str, str] = {}
    for key, (label, limit, required) in TEXT_FIELDS.items():
        if key in changes:
            changes[key], problem = check_text(str(changes[key] or ""), label=label, max_chars=limit, required=required)
            if problem:
                errors[key] = problem
    return errors


def _check_coordinates(row: Ptce, changes: dict[str, object]) -> dict[str, str]:
    """Latitude and longitude changed, read as numbers in place (a French comma allowed) and kept in France."""
    errors: dict[str, str] = {}
    for key in ("lat", "lon"):
        value = changes.get(key)
        if value is None:
            continue
        try:
            number = float(str(value).replace(",", "."))
        except ValueError:
            number = math.nan
        if math.isfinite(number):
            changes[key] = number
        else:
            errors[key] = "Coordonnée invalide."
    lat, lon = changes.get("lat", row.lat), changes.get("lon", row.lon)
    placed = [k for k in ("lat", "lon") if k in changes and k not in errors and changes[k] is not None]
    if placed and isinstance(lat, float | int) and isinstance(lon, float | int) and not geo.is_in_france(lat, lon):
        for key in placed:  # a latitude and a longitude are only wrong together
            errors[key] = "Coordonnée hors de France."
    return errors


def tag_contribution_with_ptce(
    session: Session, *, receipt_code: str, ptce_code: str | None, actor: str, edition_id: int | None = None
) -> int:
    """Link a contribution of the edition (found by its receipt code) to one of its projects, or unlink it with
    None (audited); its id."""
    edition = resolve_edition_id(session=session, edition_id=edition_id)
    require_writable(session=session, edition_id=edition)
    code = "".join(ch for ch in (receipt_code or "").upper() if ch.isalnum())
    code = f"{code[:4]}-{code[4:]}" if len(code) == 8 else code
    contribution = session.exec(
        select(Contribution)
        .join(Theme, col(Theme.id) == col(Contribution.theme_id))
        .where(col(Contribution.receipt_code) == code, Theme.edition_id == edition)
    ).first()
    if contribution is None:
        raise ValidationError({"receipt_code": "Aucune contribution de cette édition ne porte ce code de reçu."})
    ptce_id = None
    if ptce_code:
        ptce_id = session.exec(select(Ptce.id).where(col(Ptce.code) == ptce_code, Ptce.edition_id == edition)).first()
        if ptce_id is None:
            raise ValidationError({"ptce": "Ce projet n'existe plus dans cette édition."})
    before = {"ptce_id": contribution.ptce_id}
    contribution.ptce_id = ptce_id
    session.add(contribution)
    audit(session, actor, "contribution.tag_ptce", contribution.id, before=before, after={"ptce_id": ptce_id})
    assert contribution.id is not None
    return contribution.id
