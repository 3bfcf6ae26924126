"""Near-duplicate contributions of one theme: proposed by TF-IDF similarity (scikit-learn), decided by staff.

A confirmed group only adds rows (the group and its members): every contribution stays, with its author,
its supports and its stance, and undoing a group gives them back their own place in the draft.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import numpy as np
from sqlalchemy import delete, func
from sqlmodel import Session, col, select

from models import (
    Contribution,
    ContributionGroup,
    ContributionGroupMember,
    ContributionSupport,
    GroupStatus,
    ModerationStatus,
    Theme,
    utcnow,
)
from services.audit import list_audit_events, record_audit_event
from services.codes import normalise_code
from services.errors import NotFoundError, ValidationError
from services.scope import require_writable, resolve_edition_id, theme_ids
from services.similar import match_key
from services.text import check_text

# Cosine similarity in %, see _neighbours. Staff move it; the default is tuned on the French test fixture.
DEFAULT_THRESHOLD = 60
_BLOCK = 1000
MIN_THRESHOLD = 20
MAX_THRESHOLD = 100
MAX_GROUP_SIZE = 200
REPRESENTATIVE_MAX_CHARS = 2000
ENTITY = "group"
GROUPABLE_STATUSES = (ModerationStatus.PENDING.value, ModerationStatus.PUBLISHED.value)


def _neighbours(keys: Sequence[str], threshold: float) -> list[tuple[float, int, int]]:
    """Pairs (similarity in %, i, j) with i < j at or above `threshold`, best first.

    Cosine similarity of TF-IDF vectors of character 3–4-grams within words (scikit-learn): a typo or
    a plural changes a few n-grams only, so reworded duplicates stay close. The sparse product is done
    by blocks of rows, so memory stays bounded whatever the theme's size.
    """
    # Imported here: scikit-learn costs 1.5 s to import, and most users of this module (erasure, the
    # command line, the pages that only list groups) never compute a neighbour.
    from sklearn.feature_extraction.text import TfidfVectorizer  # type: ignore[import-untyped]  # noqa: PLC0415

    vectors = TfidfVectorizer(
        analyzer="char_wb", ngram_range=(3, 4), sublinear_tf=True, dtype=np.float32
    ).fit_transform(keys)
    cutoff = threshold / 100 - 1e-6
    found_i, found_j, found_s = [], [], []
    for start in range(0, len(keys), _BLOCK):
        block = (vectors[start : start + _BLOCK] @ vectors.T).toarray()
        rows, cols = np.nonzero(block >= cutoff)
        upper = start + rows < cols  # each pair once, never a text with itself
        found_i.append(start + rows[upper])
        found_j.append(cols[upper])
        found_s.append(block[rows[upper], cols[upper]])
    i, j, score = np.concatenate(found_i), np.concatenate(found_j), np.concatenate(found_s)
    order = np.lexsort((j, i, -score))  # best first, then by position: the same input, the same groups
    percent = np.round(score[order].astype(np.float64) * 100, 1)
    return list(zip(percent.tolist(), i[order].tolist(), j[order].tolist(), strict=True))


def cluster_texts(texts: Sequence[str], threshold: float) -> list[list[int]]:
    """Indexes of `texts` grouped by similarity (pairs at or above `threshold` %), groups of two or more.

    Texts are normalised by `match_key` (case, accents, punctuation, French stop words). The best pairs
    are joined first, and two clusters merge only if every member of the smaller one is itself close to
    the larger one's first member: a chain of small rewordings cannot drift into one huge group.
    """
    keys = [match_key(t) for t in texts]
    usable = [i for i, k in enumerate(keys) if k]
    if len(usable) < 2:
        return []
    close: dict[int, set[int]] = {}
    pairs = []
    for score, a, b in _neighbours([keys[i] for i in usable], threshold):
        i, j = usable[a], usable[b]
        close.setdefault(i, set()).add(j)
        close.setdefault(j, set()).add(i)
        pairs.append((score, i, j))
    root_of = {i: i for i in usable}
    members: dict[int, list[int]] = {i: [i] for i in usable}
    for _, i, j in pairs:
        a, b = root_of[i], root_of[j]
        if a == b:
            continue
        if len(members[a]) < len(members[b]) or (len(members[a]) == len(members[b]) and b < a):
            a, b = b, a
        if len(members[a]) + len(members[b]) > MAX_GROUP_SIZE:
            continue
        if not all(m in close.get(a, set()) for m in members[b]):
            continue
        for m in members[b]:
            root_of[m] = a
        members[a].extend(members.pop(b))
    return sorted((sorted(m) for m in members.values() if len(m) > 1), key=lambda m: m[0])


def _check_threshold(threshold: float) -> float:
    if not MIN_THRESHOLD <= threshold <= MAX_THRESHOLD:
        raise ValidationError({"threshold": f"Le seuil va de {MIN_THRESHOLD} à {MAX_THRESHOLD}."})
    return float(threshold)


def _confirmed_members(session: Session, theme_id: int) -> set[int]:
    return set(
        session.exec(
            select(ContributionGroupMember.contribution_id)
            .join(ContributionGroup, col(ContributionGroup.id) == col(ContributionGroupMember.group_id))
            .where(ContributionGroup.theme_id == theme_id, ContributionGroup.status == GroupStatus.CONFIRMED.value)
        ).all()
    )


THEME_REQUIRED = "Choisissez l'une des thématiques de la conférence."


def _check_theme(session: Session, theme_id: int, edition_id: int) -> None:
    """A theme of the edition (groups never mix editions: each lies within one theme)."""
    theme = session.get(Theme, theme_id) if isinstance(theme_id, int) else None
    if theme is None or theme.edition_id != edition_id:
        raise ValidationError({"theme_id": THEME_REQUIRED})


def propose_groups(
    session: Session,
    *,
    theme_id: int,
    threshold: float = DEFAULT_THRESHOLD,
    actor: str,
    edition_id: int | None = None,
) -> int:
    """Replace the theme's pending proposals by fresh ones at `threshold`; returns how many groups were proposed.

    Contributions already in a confirmed group are left out; confirmed, refused and undone groups are kept.
    """
    edition = resolve_edition_id(session=session, edition_id=edition_id)
    _check_theme(session, theme_id, edition)
    require_writable(session=session, edition_id=edition)
    threshold = _check_threshold(threshold)
    stale = list(
        session.exec(
            select(ContributionGroup.id).where(
                ContributionGroup.theme_id == theme_id, ContributionGroup.status == GroupStatus.PROPOSED.value
            )
        ).all()
    )
    if stale:
        session.exec(delete(ContributionGroupMember).where(col(ContributionGroupMember.group_id).in_(stale)))
        session.exec(delete(ContributionGroup).where(col(ContributionGroup.id).in_(stale)))
    taken = _confirmed_members(session, theme_id)
    rows = [
        (cid, title, masked if masked is not None else body)
        for cid, title, body, masked in session.exec(
            select(Contribution.id, Contribution.title, Contribution.body, Contribution.masked_body)
            .where(Contribution.theme_id == theme_id, col(Contribution.status).in_(GROUPABLE_STATUSES))
            .order_by(col(Contribution.created_at), col(Contribution.id))
        ).all()
        if cid is not None and cid not in taken
    ]
    refused = {
        frozenset(_member_ids(session, gid))
        for gid in session.exec(
            select(ContributionGroup.id).where(
                ContributionGroup.theme_id == theme_id, ContributionGroup.status == GroupStatus.REFUSED.value
            )
        ).all()
        if gid is not None
    }
    clusters = [
        cluster
        for cluster in cluster_texts([f"{title} {text}" for _, title, text in rows], threshold)
        if frozenset(rows[i][0] for i in cluster) not in refused
    ]
    now = utcnow()
    for cluster in clusters:
        # The representative is the earliest text: the idea as it first came in (staff can rewrite it).
        group = ContributionGroup(
            theme_id=theme_id,
            representative_text=rows[cluster[0]][2],
            status=GroupStatus.PROPOSED.value,
            threshold=threshold,
            created_by=actor,
            created_at=now,
        )
        session.add(group)
        session.flush()
        session.add_all(ContributionGroupMember(group_id=group.id or 0, contribution_id=rows[i][0]) for i in cluster)
    record_audit_event(
        session=session,
        actor=actor,
        action="group.propose",
        entity_type=ENTITY,
        entity_id=f"theme-{theme_id}",
        before={"proposals": len(stale)},
        after={"proposals": len(clusters), "threshold": threshold},
    )
    session.flush()
    return len(clusters)


@dataclass(frozen=True)
class MemberView:
    contribution_id: int
    receipt_code: str
    created_at: datetime
    source: str
    status: str
    stance: str | None
    orientation_id: int | None
    text: str
    supports: int
    named: bool  # the author chose to appear under a name or an organisation


@dataclass(frozen=True)
class GroupView:
    id: int
    theme_id: int
    status: str
    representative_text: str
    threshold: float | None
    created_by: str
    created_at: datetime
    decided_at: datetime | None
    members: tuple[MemberView, ...]

    @property
    def supports(self) -> int:
        return sum(m.supports for m in self.members)

    @property
    def stances(self) -> Counter[str]:
        return Counter(m.stance for m in self.members if m.stance)

    @property
    def sources(self) -> Counter[str]:
        return Counter(m.source for m in self.members)


def list_groups(
    session: Session,
    *,
    theme_id: int | None = None,
    statuses: Sequence[str] = (),
    edition_id: int | None = None,
) -> list[GroupView]:
    """The edition's groups (largest first) with their members, supports and stances."""
    edition = resolve_edition_id(session=session, edition_id=edition_id)
    stmt = (
        select(ContributionGroup)
        .where(col(ContributionGroup.theme_id).in_(theme_ids(session=session, edition_id=edition)))
        .order_by(col(ContributionGroup.id))
    )
    if theme_id is not None:
        stmt = stmt.where(ContributionGroup.theme_id == theme_id)
    if statuses:
        stmt = stmt.where(col(ContributionGroup.status).in_(list(statuses)))
    groups = list(session.exec(stmt).all())
    if not groups:
        return []
    pairs = session.exec(
        select(ContributionGroupMember.group_id, Contribution)
        .join(Contribution, col(Contribution.id) == col(ContributionGroupMember.contribution_id))
        .where(col(ContributionGroupMember.group_id).in_([g.id for g in groups]))
        .order_by(col(Contribution.created_at), col(Contribution.id))
    ).all()
    ids = list({c.id for _, c in pairs})
    supports = dict(
        session.exec(
            select(ContributionSupport.contribution_id, func.count())
            .where(col(ContributionSupport.contribution_id).in_(ids))
            .group_by(col(ContributionSupport.contribution_id))
        ).all()
    )
    members: dict[int, list[MemberView]] = {}
    for gid, c in pairs:
        members.setdefault(gid, []).append(
            MemberView(
                contribution_id=c.id or 0,
                receipt_code=c.receipt_code,
                created_at=c.created_at,
                source=c.source,
                status=c.status,
                stance=c.stance,
                orientation_id=c.orientation_id,
                text=c.masked_body if c.masked_body is not None else c.body,
                supports=int(supports.get(c.id or 0, 0)),
                named=c.display_mode != "anonymous",
            )
        )
    views = [
        GroupView(
            g.id or 0,
            g.theme_id,
            g.status,
            g.representative_text,
            g.threshold,
            g.created_by,
            g.created_at,
            g.decided_at,
            tuple(members.get(g.id or 0, [])),
        )
        for g in groups
    ]
    return sorted(views, key=lambda v: (-len(v.members), v.id))


def _group(session: Session, group_id: int, edition_id: int | None) -> ContributionGroup:
    """A group of the edition (another edition's does not exist here)."""
    edition = resolve_edition_id(session=session, edition_id=edition_id)
    group = session.get(ContributionGroup, group_id)
    theme = session.get(Theme, group.theme_id) if group is not None else None
    if group is None or theme is None or theme.edition_id != edition:
        raise NotFoundError("Ce groupe n'existe plus : relancez la proposition.")
    return group


def _writable_group(session: Session, group_id: int, edition_id: int | None) -> ContributionGroup:
    group = _group(session, group_id, edition_id)
    theme = session.get(Theme, group.theme_id)
    assert theme is not None
    require_writable(session=session, edition_id=theme.edition_id)
    return group


def _member_ids(session: Session, group_id: int) -> list[int]:
    return sorted(
        session.exec(
            select(ContributionGroupMember.contribution_id).where(ContributionGroupMember.group_id == group_id)
        ).all()
    )


def _check_members(session: Session, group: ContributionGroup, wanted: Sequence[int]) -> list[Contribution]:
    """The contributions `wanted` in `group`: two at least, of its theme, in no other confirmed group."""
    if len(wanted) < 2:
        raise ValidationError({"members": "Un groupe réunit au moins deux contributions."})
    rows = list(session.exec(select(Contribution).where(col(Contribution.id).in_(list(wanted)))).all())
    if len(rows) != len(wanted) or any(r.theme_id != group.theme_id for r in rows):
        raise ValidationError({"members": "Toutes les contributions d'un groupe sont du même thème."})
    others = _confirmed_members(session, group.theme_id) - (
        set(_member_ids(session, group.id or 0)) if group.status == GroupStatus.CONFIRMED.value else set()
    )
    if taken := others & set(wanted):
        codes = ", ".join(sorted(r.receipt_code for r in rows if r.id in taken))
        raise ValidationError({"members": f"Déjà dans un groupe confirmé : {codes}."})
    return rows


def _check_representative(text: str) -> str:
    clean, problem = check_text(text, label="Le texte représentatif", min_chars=5, max_chars=REPRESENTATIVE_MAX_CHARS)
    if problem:
        raise ValidationError({"representative_text": problem})
    return clean


def _set_members(session: Session, group_id: int, before: Sequence[int], wanted: Sequence[int]) -> None:
    """Only the links change: the contributions, their supports and stances stay as they are."""
    for cid in set(before) - set(wanted):
        link = session.get(ContributionGroupMember, (group_id, cid))
        if link is not None:
            session.delete(link)
    session.add_all(
        ContributionGroupMember(group_id=group_id, contribution_id=cid) for cid in set(wanted) - set(before)
    )


def _view(session: Session, group: ContributionGroup) -> GroupView:
    session.flush()
    theme = session.get(Theme, group.theme_id)
    assert theme is not None
    return next(
        g
        for g in list_groups(session=session, theme_id=group.theme_id, edition_id=theme.edition_id)
        if g.id == group.id
    )


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
    group = _writable_group(session, group_id, edition_id)
    if group.status != GroupStatus.PROPOSED.value:
        raise ValidationError({"group": "Seul un groupe proposé peut être confirmé."})
    before_members = _member_ids(session, group_id)
    wanted = sorted(dict.fromkeys(member_ids)) if member_ids is not None else before_members
    _check_members(session, group, wanted)
    text = group.representative_text
    if representative_text is not None:
        text = _check_representative(representative_text)
    _set_members(session, group_id, before_members, wanted)
    before = {"status": group.status, "members": before_members, "representative_text": group.representative_text}
    group.status = GroupStatus.CONFIRMED.value
    group.representative_text = text
    group.decided_at = utcnow()
    session.add(group)
    record_audit_event(
        session=session,
        actor=actor,
        action="group.confirm",
        entity_type=ENTITY,
        entity_id=group_id,
        before=before,
        after={"status": group.status, "members": wanted, "representative_text": text},
    )
    return _view(session, group)


EDITABLE_STATUSES = (GroupStatus.PROPOSED.value, GroupStatus.CONFIRMED.value)
RECEIPT_CODES_MAX = 50


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
    if rejected := [c for c in wanted if found[c][1] not in GROUPABLE_STATUSES]:
        raise ValidationError({"add": f"Contribution rejetée, à remettre d'abord à modérer : {', '.join(rejected)}."})
    return [int(found[c][0] or 0) for c in wanted]


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
    group = _writable_group(session, group_id, edition_id)
    theme = session.get(Theme, group.theme_id)
    assert theme is not None
    if group.status not in EDITABLE_STATUSES:
        raise ValidationError({"group": "Seul un groupe proposé ou confirmé peut être modifié."})
    before_members = _member_ids(session, group_id)
    kept = list(member_ids) if member_ids is not None else before_members
    wanted = sorted(set(kept) | set(_codes_to_ids(session, add_receipt_codes, theme.edition_id)))
    rows = {r.id: r for r in _check_members(session, group, wanted)}
    text = group.representative_text
    if representative_member_id is not None:
        member = rows.get(representative_member_id)
        if member is None:
            raise ValidationError({"representative": "Le texte représentatif vient d'une contribution du groupe."})
        text = _check_representative(member.masked_body if member.masked_body is not None else member.body)
    elif representative_text is not None:
        text = _check_representative(representative_text)
    if wanted == before_members and text == group.representative_text:
        return _view(session, group)
    return _rewrite(
        session,
        group,
        actor=actor,
        action="group.edit",
        current=before_members,
        wanted=wanted,
        text=text,
        note={"representative_member_id": representative_member_id},
    )


def _rewrite(
    session: Session,
    group: ContributionGroup,
    *,
    actor: str,
    action: str,
    current: list[int],
    wanted: list[int],
    text: str,
    note: dict[str, Any],
) -> GroupView:
    """Set the members and representative text of `group`, audited with the state before and after."""
    _set_members(session, group.id or 0, current, wanted)
    before = {"members": current, "representative_text": group.representative_text}
    group.representative_text = text
    session.add(group)
    record_audit_event(
        session=session,
        actor=actor,
        action=action,
        entity_type=ENTITY,
        entity_id=group.id or 0,
        before=before,
        after={"members": wanted, "representative_text": text, **note},
    )
    return _view(session, group)


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
    _group(session, group_id, edition_id)
    events = list_audit_events(session=session, entity_type=ENTITY, entity_id=group_id)
    undone = {e.after.get("undoes") for e in events if e.action == "group.edit.undo" and e.after}
    return [
        GroupChange(e.id or 0, e.created_at, e.actor, e.action, e.before or {}, e.after or {}, e.id in undone)
        for e in events
    ]


def undo_last_edit(session: Session, *, group_id: int, actor: str, edition_id: int | None = None) -> GroupView:
    """Put back the members and representative text the latest edit not yet undone replaced (itself audited)."""
    group = _writable_group(session, group_id, edition_id)
    if group.status not in EDITABLE_STATUSES:
        raise ValidationError({"group": "Seul un groupe proposé ou confirmé peut être modifié."})
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
    current = _member_ids(session, group_id)
    if current != target.after.get("members") or group.representative_text != target.after.get("representative_text"):
        raise ValidationError({"group": "Ce groupe a changé depuis cette modification : rechargez la page."})
    wanted = sorted(int(i) for i in target.before.get("members", []))
    _check_members(session, group, wanted)
    text = str(target.before.get("representative_text", group.representative_text))
    return _rewrite(
        session,
        group,
        actor=actor,
        action="group.edit.undo",
        current=current,
        wanted=wanted,
        text=text,
        note={"undoes": target.event_id},
    )


def _decide(
    session: Session, group_id: int, actor: str, *, expected: str, status: str, action: str, edition_id: int | None
) -> bool:
    group = _writable_group(session, group_id, edition_id)
    if group.status != expected:
        raise ValidationError({"group": "Ce groupe a déjà changé d'état : rechargez la page."})
    before = {"status": group.status}
    group.status = status
    group.decided_at = utcnow()
    session.add(group)
    record_audit_event(
        session=session,
        actor=actor,
        action=action,
        entity_type=ENTITY,
        entity_id=group_id,
        before=before,
        after={"status": status, "members": _member_ids(session, group_id)},
    )
    return True


def refuse_group(session: Session, *, group_id: int, actor: str, edition_id: int | None = None) -> bool:
    """These are not duplicates: the proposal is kept as refused (and not proposed again while it stands)."""
    return _decide(
        session,
        group_id,
        actor,
        expected=GroupStatus.PROPOSED.value,
        status=GroupStatus.REFUSED.value,
        action="group.refuse",
        edition_id=edition_id,
    )


def undo_group(session: Session, *, group_id: int, actor: str, edition_id: int | None = None) -> bool:
    """Undo a confirmed group: its members count on their own again; links to the group stop counting."""
    return _decide(
        session,
        group_id,
        actor,
        expected=GroupStatus.CONFIRMED.value,
        status=GroupStatus.UNDONE.value,
        action="group.undo",
        edition_id=edition_id,
    )
