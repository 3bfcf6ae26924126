"""Editing a group in place (members kept, added by receipt code, its representative text), its history and undo."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlmodel import Session, col, select

from models import Contribution, ContributionGroup, Theme
from services.audit import audit, list_audit_events
from services.codes import normalise_code
from services.errors import ValidationError
from services.grouping import members
from services.grouping.listing import GroupView, group_view
from services.scope import theme_ids

RECEIPT_CODES_MAX = 50
NOT_EDITABLE = "Seul un groupe proposé ou confirmé peut être modifié."


def split_receipt_codes(text: str) -> list[str]:
    """« k7qf mc3r ; AB12-CD34 » → ['K7QF-MC3R', 'AB12-CD34']: commas, semicolons or lines between codes."""
    return [code for part in re.split(r"[,;\n]", text or "") if (code := normalise_code(part))]


def _codes_to_ids(session: Session, codes: Sequence[str], edition_id: int) -> list[int]:
    # Normalised codes hold only letters, digits and dashes: safe to quote back in a message.
    wanted = list(dict.fromkeys(code for c in codes if (code := normalise_code(c))))
    if len(wanted) > RECEIPT_CODES_MAX:
        raise ValidationError({"add": f"{RECEIPT_CODES_MAX} codes de reçu au plus à la fois."})
    if not wanted:
        return []
    found = {
        code: (cid, status)
        for code, cid, status in session.exec(
            select(Contribution.receipt_code, Contribution.id, Contribution.status).where(
                col(Contribution.receipt_code).in_(wanted),
                col(Contribution.theme_id).in_(theme_ids(session=session, edition_id=edition_id)),
            )
        ).all()
    }
    if missing := [c for c in wanted if c not in found]:
        raise ValidationError({"add": f"Code de reçu inconnu : {', '.join(missing)}."})
    if rejected := [c for c in wanted if found[c][1] not in members.GROUPABLE_STATUSES]:
        raise ValidationError({"add": f"Contribution rejetée, à remettre d'abord à modérer : {', '.join(rejected)}."})
    return [int(found[c][0] or 0) for c in wanted]


def _editable_group(session: Session, group_id: int, edition_id: int | None) -> ContributionGroup:
    group = members.writable_group(session, group_id, edition_id)
    if group.status not in members.EDITABLE_STATUSES:
        raise ValidationError({"group": NOT_EDITABLE})
    return group


def edit_group(
    session: Session,
    *,
    group_id: int,
    actor: str,
    member_ids: Sequence[int] | None = None,
    add_receipt_codes: Sequence[str] = (),
    representative_text: str | None = None,
    representative_member_id: int | None = None,
    edition_id: int | None = None,
) -> GroupView:
    """Edit a proposed or confirmed group in place: keep some members, add others by receipt code, rewrite the
    representative text or take a member's text as it. Audited with the state before and after; undoable."""
    group = _editable_group(session, group_id, edition_id)
    theme = session.get(Theme, group.theme_id)
    assert theme is not None
    before_members = members.member_ids(session, group_id)
    kept = list(member_ids) if member_ids is not None else before_members
    wanted = sorted(set(kept) | set(_codes_to_ids(session, add_receipt_codes, theme.edition_id)))
    rows = {r.id: r for r in members.check_members(session, group, wanted)}
    text = group.representative_text
    if representative_member_id is not None:
        member = rows.get(representative_member_id)
        if member is None:
            raise ValidationError({"representative": "Le texte représentatif vient d'une contribution du groupe."})
        text = members.check_representative(member.masked_body if member.masked_body is not None else member.body)
    elif representative_text is not None:
        text = members.check_representative(representative_text)
    if wanted == before_members and text == group.representative_text:
        return group_view(session, group)
    note = {"representative_member_id": representative_member_id}
    return _rewrite(session, group, actor, "group.edit", current=before_members, wanted=wanted, text=text, note=note)


def _rewrite(
    session: Session,
    group: ContributionGroup,
    actor: str,
    action: str,
    *,
    current: list[int],
    wanted: list[int],
    text: str,
    note: dict[str, Any],
) -> GroupView:
    """Set the members and representative text of `group`, audited with the state before and after."""
    members.set_members(session, group.id or 0, current, wanted)
    before = {"members": current, "representative_text": group.representative_text}
    group.representative_text = text
    session.add(group)
    after = {"members": wanted, "representative_text": text, **note}
    audit(session, actor, action, group.id or 0, before=before, after=after)
    return group_view(session, group)


@dataclass(frozen=True)
class GroupChange:
    event_id: int
    at: datetime
    actor: str
    action: str  # group.propose is not here: only what happened to this group
    before: dict[str, Any]
    after: dict[str, Any]
    undone: bool  # an edit reverted since by « Annuler la dernière modification »


def group_history(session: Session, *, group_id: int, edition_id: int | None = None) -> list[GroupChange]:
    """Every staff decision and edit on one group of the edition, latest first."""
    members.find_group(session, group_id, edition_id)
    events = list_audit_events(session=session, entity_type=members.ENTITY, entity_id=group_id)
    undone = {e.after.get("undoes") for e in events if e.action == "group.edit.undo" and e.after}
    return [
        GroupChange(e.id or 0, e.created_at, e.actor, e.action, e.before or {}, e.after or {}, e.id in undone)
        for e in events
    ]


def undo_last_edit(session: Session, *, group_id: int, actor: str, edition_id: int | None = None) -> GroupView:
    """Put back the members and representative text the latest edit not yet undone replaced (itself audited)."""
    group = _editable_group(session, group_id, edition_id)
    target = next(
        (
            c
            for c in group_history(session=session, group_id=group_id, edition_id=edition_id)
            if c.action == "group.edit" and not c.undone
        ),
        None,
    )
    if target is None:
        raise ValidationError({"group": "Aucune modification de ce groupe à annuler."})
    current = members.member_ids(session, group_id)
    if current != target.after.get("members") or group.representative_text != target.after.get("representative_text"):
        raise ValidationError({"group": "Ce groupe a changé depuis cette modification : rechargez la page."})
    wanted = sorted(int(i) for i in target.before.get("members", []))
    members.check_members(session, group, wanted)
    text = str(target.before.get("representative_text", group.representative_text))
    note = {"undoes": target.event_id}
    return _rewrite(session, group, actor, "group.edit.undo", current=current, wanted=wanted, text=text, note=note)
