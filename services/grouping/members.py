"""A group's members and the rules they follow: one theme, two at least, in one confirmed group at most.

The steps that proposals, edits and decisions share; only links change, never the contributions themselves.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlmodel import Session, col, select

from models import Contribution, ContributionGroup, ContributionGroupMember, GroupStatus, ModerationStatus, Theme
from services.errors import NotFoundError, ValidationError
from services.scope import require_writable, resolve_edition_id
from services.text import check_text

ENTITY = "group"
REPRESENTATIVE_MAX_CHARS = 2000
GROUPABLE_STATUSES = (ModerationStatus.PENDING.value, ModerationStatus.PUBLISHED.value)
EDITABLE_STATUSES = (GroupStatus.PROPOSED.value, GroupStatus.CONFIRMED.value)


def confirmed_members(session: Session, theme_id: int) -> set[int]:
    """The contributions of the theme already in a confirmed group."""
    return set(
        session.exec(
            select(ContributionGroupMember.contribution_id)
            .join(ContributionGroup, col(ContributionGroup.id) == col(ContributionGroupMember.group_id))
            .where(ContributionGroup.theme_id == theme_id, ContributionGroup.status == GroupStatus.CONFIRMED.value)
        ).all()
    )


def member_ids(session: Session, group_id: int) -> list[int]:
    """The group's contributions, by id."""
    return sorted(
        session.exec(
            select(ContributionGroupMember.contribution_id).where(ContributionGroupMember.group_id == group_id)
        ).all()
    )


def find_group(session: Session, group_id: int, edition_id: int | None) -> ContributionGroup:
    """A group of the edition (another edition's does not exist here)."""
    edition = resolve_edition_id(session=session, edition_id=edition_id)
    group = session.get(ContributionGroup, group_id)
    theme = session.get(Theme, group.theme_id) if group is not None else None
    if group is None or theme is None or theme.edition_id != edition:
        raise NotFoundError("Ce groupe n'existe plus : relancez la proposition.")
    return group


def writable_group(session: Session, group_id: int, edition_id: int | None) -> ContributionGroup:
    """A group of the edition, the edition not archived."""
    group = find_group(session, group_id, edition_id)
    theme = session.get(Theme, group.theme_id)
    assert theme is not None
    require_writable(session=session, edition_id=theme.edition_id)
    return group


def check_members(session: Session, group: ContributionGroup, wanted: Sequence[int]) -> list[Contribution]:
    """The contributions `wanted` in `group`: two at least, of its theme, in no other confirmed group."""
    if len(wanted) < 2:
        raise ValidationError({"members": "Un groupe réunit au moins deux contributions."})
    rows = list(session.exec(select(Contribution).where(col(Contribution.id).in_(list(wanted)))).all())
    if len(rows) != len(wanted) or any(r.theme_id != group.theme_id for r in rows):
        raise ValidationError({"members": "Toutes les contributions d'un groupe sont du même thème."})
    others = confirmed_members(session, group.theme_id) - (
        set(member_ids(session, group.id or 0)) if group.status == GroupStatus.CONFIRMED.value else set()
    )
    if taken := others & set(wanted):
        codes = ", ".join(sorted(r.receipt_code for r in rows if r.id in taken))
        raise ValidationError({"members": f"Déjà dans un groupe confirmé : {codes}."})
    return rows


def check_representative(text: str) -> str:
    """The representative text staff wrote or chose, checked like every text."""
    clean, problem = check_text(text, label="Le texte représentatif", min_chars=5, max_chars=REPRESENTATIVE_MAX_CHARS)
    if problem:
        raise ValidationError({"representative_text": problem})
    return clean


def set_members(session: Session, group_id: int, before: Sequence[int], wanted: Sequence[int]) -> None:
    """Only the links change: the contributions, their supports and stances stay as they are."""
    for cid in set(before) - set(wanted):
        link = session.get(ContributionGroupMember, (group_id, cid))
        if link is not None:
            session.delete(link)
    session.add_all(
        ContributionGroupMember(group_id=group_id, contribution_id=cid) for cid in set(wanted) - set(before)
    )
