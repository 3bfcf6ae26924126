"""Traceability links staff draw from an orientation to contributions and confirmed groups (supports / questions)."""

from __future__ import annotations

from collections.abc import Sequence

from sqlmodel import Session, select

from models import Contribution, ContributionGroup, GroupStatus, LinkRelation, Orientation, OrientationLink
from services.audit import audit
from services.drafting.orientations import orientation_row
from services.errors import NotFoundError, ValidationError
from services.scope import theme_ids

# (contribution id, group id) of an existing link: one of the two is None
LinkKey = tuple[int | None, int | None]


def _contribution_links(
    session: Session, orientation: Orientation, ids: Sequence[int], ours: set[int], have: set[LinkKey]
) -> list[LinkKey]:
    """(contribution id, None) of each contribution to link not linked yet; each of the orientation's theme."""
    new: list[LinkKey] = []
    for cid in dict.fromkeys(ids):
        row = session.get(Contribution, cid)
        if row is None or row.theme_id not in ours:
            raise NotFoundError("Une des contributions choisies n'existe plus.")
        if row.theme_id != orientation.theme_id:
            raise ValidationError({"selection": "Une contribution d'un autre thème ne peut pas être liée ici."})
        if (cid, None) not in have:
            new.append((cid, None))
    return new


def _group_links(session: Session, ids: Sequence[int], ours: set[int], have: set[LinkKey]) -> list[LinkKey]:
    """(None, group id) of each confirmed group to link not linked yet."""
    new: list[LinkKey] = []
    for gid in dict.fromkeys(ids):
        group = session.get(ContributionGroup, gid)
        if group is None or group.theme_id not in ours:
            raise NotFoundError("Un des groupes choisis n'existe plus.")
        if group.status != GroupStatus.CONFIRMED.value:
            raise ValidationError({"selection": "Seul un groupe confirmé peut être lié à une orientation."})
        if (None, gid) not in have:
            new.append((None, gid))
    return new


def link_sources(
    session: Session,
    *,
    orientation_id: int,
    actor: str,
    relation: str = LinkRelation.SUPPORTS.value,
    contribution_ids: Sequence[int] = (),
    group_ids: Sequence[int] = (),
    edition_id: int | None = None,
) -> int:
    """Link contributions or confirmed groups to an orientation (supports / questions); returns links added.

    A contribution or a group of another edition does not exist here (its theme is not the orientation's anyway).
    """
    orientation = orientation_row(session, orientation_id, edition_id, write=True)
    ours = set(theme_ids(session=session, edition_id=orientation.edition_id))
    if relation not in {r.value for r in LinkRelation}:
        raise ValidationError({"relation": "Lien inconnu : « soutient » ou « questionne »."})
    if not contribution_ids and not group_ids:
        raise ValidationError({"selection": "Choisissez au moins une contribution ou un groupe."})
    existing = session.exec(select(OrientationLink).where(OrientationLink.orientation_id == orientation_id)).all()
    have = {(link.contribution_id, link.group_id) for link in existing}
    new = _contribution_links(session, orientation, contribution_ids, ours, have)
    new += _group_links(session, group_ids, ours, have)
    added: list[dict[str, object]] = []
    for cid, gid in new:
        target = {"contribution_id": cid} if gid is None else {"group_id": gid}
        session.add(OrientationLink(orientation_id=orientation_id, relation=relation, created_by=actor, **target))
        added.append({**target, "relation": relation})
    if added:
        audit(session, actor, "orientation.link", orientation_id, after={"links": added})
    return len(added)


def unlink_source(session: Session, *, link_id: int, actor: str, edition_id: int | None = None) -> bool:
    """Remove one traceability link (True once done)."""
    link = session.get(OrientationLink, link_id)
    if link is None:
        raise NotFoundError("Ce lien n'existe plus.")
    try:
        orientation_row(session, link.orientation_id, edition_id, write=True)
    except NotFoundError:
        raise NotFoundError("Ce lien n'existe plus.") from None
    before = {"contribution_id": link.contribution_id, "group_id": link.group_id, "relation": link.relation}
    session.delete(link)
    audit(session, actor, "orientation.unlink", link.orientation_id, before=before)
    return True
