"""Staff decisions on a group: confirm a proposal, refuse it, or undo a confirmed group. Nothing is deleted."""

from __future__ import annotations

from collections.abc import Sequence

from sqlmodel import Session

from models import GroupStatus, utcnow
from services.audit import audit
from services.errors import ValidationError
from services.grouping import members
from services.grouping.listing import GroupView, group_view


def confirm_group(
    session: Session,
    *,
    group_id: int,
    actor: str,
    member_ids: Sequence[int] | None = None,
    representative_text: str | None = None,
    edition_id: int | None = None,
) -> GroupView:
    """Confirm a proposed group, optionally with edited members and representative text; nothing is deleted."""
    group = members.writable_group(session, group_id, edition_id)
    if group.status != GroupStatus.PROPOSED.value:
        raise ValidationError({"group": "Seul un groupe proposé peut être confirmé."})
    before_members = members.member_ids(session, group_id)
    wanted = sorted(dict.fromkeys(member_ids)) if member_ids is not None else before_members
    members.check_members(session, group, wanted)
    text = group.representative_text
    if representative_text is not None:
        text = members.check_representative(representative_text)
    members.set_members(session, group_id, before_members, wanted)
    before = {"status": group.status, "members": before_members, "representative_text": group.representative_text}
    group.status = GroupStatus.CONFIRMED.value
    group.representative_text = text
    group.decided_at = utcnow()
    session.add(group)
    after = {"status": group.status, "members": wanted, "representative_text": text}
    audit(session, actor, "group.confirm", group_id, before=before, after=after)
    return group_view(session, group)


# The audited action of each status a decision gives a group.
_ACTIONS = {GroupStatus.REFUSED: "group.refuse", GroupStatus.UNDONE: "group.undo"}


def _decide(
    session: Session, group_id: int, actor: str, edition_id: int | None, *, expected: GroupStatus, status: GroupStatus
) -> bool:
    group = members.writable_group(session, group_id, edition_id)
    if group.status != expected.value:
        raise ValidationError({"group": "Ce groupe a déjà changé d'état : rechargez la page."})
    before = {"status": group.status}
    group.status = status.value
    group.decided_at = utcnow()
    session.add(group)
    after = {"status": status.value, "members": members.member_ids(session, group_id)}
    audit(session, actor, _ACTIONS[status], group_id, before=before, after=after)
    return True


def refuse_group(session: Session, *, group_id: int, actor: str, edition_id: int | None = None) -> bool:
    """These are not duplicates: the proposal is kept as refused (and not proposed again while it stands)."""
    return _decide(session, group_id, actor, edition_id, expected=GroupStatus.PROPOSED, status=GroupStatus.REFUSED)


def undo_group(session: Session, *, group_id: int, actor: str, edition_id: int | None = None) -> bool:
    """Undo a confirmed group: its members count on their own again; links to the group stop counting."""
    return _decide(session, group_id, actor, edition_id, expected=GroupStatus.CONFIRMED, status=GroupStatus.UNDONE)
