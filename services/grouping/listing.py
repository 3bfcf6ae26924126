"""The groups as staff and the drafting page read them: members, their supports and stances."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func
from sqlmodel import Session, col, select

from models import Contribution, ContributionGroup, ContributionGroupMember, ContributionSupport, Theme
from services import semantics
from services.grouping.reasons import group_reasons, known_vectors
from services.grouping.similarity import DEFAULT_THRESHOLD
from services.scope import resolve_edition_id, theme_ids


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
    # Why it is in its group, next to the group's first text (services.grouping.reasons); "" unless asked for.
    reason: str = ""


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


def _groups(session: Session, edition: int, theme_id: int | None, statuses: Sequence[str]) -> list[ContributionGroup]:
    stmt = (
        select(ContributionGroup)
        .where(col(ContributionGroup.theme_id).in_(theme_ids(session=session, edition_id=edition)))
        .order_by(col(ContributionGroup.id))
    )
    if theme_id is not None:
        stmt = stmt.where(ContributionGroup.theme_id == theme_id)
    if statuses:
        stmt = stmt.where(col(ContributionGroup.status).in_(list(statuses)))
    return list(session.exec(stmt).all())


def _member_view(c: Contribution, supports: int, reason: str = "") -> MemberView:
    return MemberView(
        contribution_id=c.id or 0,
        receipt_code=c.receipt_code,
        created_at=c.created_at,
        source=c.source,
        status=c.status,
        stance=c.stance,
        orientation_id=c.orientation_id,
        text=c.masked_body if c.masked_body is not None else c.body,
        supports=supports,
        named=c.display_mode != "anonymous",
        reason=reason,
    )


def _members(session: Session, groups: Sequence[ContributionGroup], *, reasons: bool) -> dict[int, list[MemberView]]:
    """group id → its members, oldest first, with how many supports each has (and why each is there)."""
    group_ids = [g.id for g in groups]
    pairs = session.exec(
        select(ContributionGroupMember.group_id, Contribution)
        .join(Contribution, col(Contribution.id) == col(ContributionGroupMember.contribution_id))
        .where(col(ContributionGroupMember.group_id).in_(group_ids))
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
    rows: dict[int, list[Contribution]] = {}
    for gid, c in pairs:
        rows.setdefault(gid, []).append(c)
    why = _reasons(session, groups, rows) if reasons else {}
    return {
        gid: [
            _member_view(c, int(supports.get(c.id or 0, 0)), why.get(gid, [""] * len(cs))[n]) for n, c in enumerate(cs)
        ]
        for gid, cs in rows.items()
    }


def _reasons(
    session: Session, groups: Sequence[ContributionGroup], rows: dict[int, list[Contribution]]
) -> dict[int, list[str]]:
    """group id → each member's reason, from vectors read once for every member listed."""
    texts = {
        c.id or 0: semantics.contribution_text(c.title, c.masked_body if c.masked_body is not None else c.body)
        for cs in rows.values()
        for c in cs
    }
    items = list(texts.items())
    vectors = known_vectors(session, items)
    row_of = {cid: n for n, (cid, _) in enumerate(items)}
    found: dict[int, list[str]] = {}
    for g in groups:
        ids = [c.id or 0 for c in rows.get(g.id or 0, [])]
        own = vectors[[row_of[i] for i in ids]] if vectors is not None and ids else None
        close = (g.threshold if g.threshold is not None else DEFAULT_THRESHOLD) / 100
        found[g.id or 0] = group_reasons([texts[i] for i in ids], own, close=close)
    return found


def list_groups(
    session: Session,
    *,
    theme_id: int | None = None,
    statuses: Sequence[str] = (),
    edition_id: int | None = None,
    reasons: bool = False,
) -> list[GroupView]:
    """The edition's groups (largest first) with their members, supports and stances; with `reasons`, why each
    member is in its group (services.grouping.reasons: plain text, no model call when vectors are stored)."""
    edition = resolve_edition_id(session=session, edition_id=edition_id)
    groups = _groups(session, edition, theme_id, statuses)
    if not groups:
        return []
    members = _members(session, groups, reasons=reasons)
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


def group_view(session: Session, group: ContributionGroup) -> GroupView:
    """One group as list_groups shows it, once its changes are flushed."""
    session.flush()
    theme = session.get(Theme, group.theme_id)
    assert theme is not None
    return next(
        g
        for g in list_groups(session=session, theme_id=group.theme_id, edition_id=theme.edition_id)
        if g.id == group.id
    )
