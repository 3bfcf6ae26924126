"""Traceability read back: the contributions behind an orientation, and the orientations a contribution fed."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlmodel import Session, col, select

from models import (
    Contribution,
    ContributionGroup,
    ContributionGroupMember,
    GroupStatus,
    ModerationStatus,
    Orientation,
    OrientationLink,
    Stand,
)
from services.drafting.orientations import orientation_row
from services.errors import NotFoundError
from services.scope import resolve_edition_id, theme_ids

NOT_REJECTED = col(Contribution.status) != ModerationStatus.REJECTED.value


@dataclass(frozen=True)
class SourceRow:
    """One contribution behind an orientation, and how it got there."""

    contribution_id: int
    receipt_code: str
    created_at: datetime
    source: str
    stand_name: str | None
    status: str
    stance: str | None  # the participant's own stance when they chose this orientation
    relation: str | None  # the staff link (supports / questions), None for a participant's own stance
    via: str  # "stance", "link" or "group"
    group_id: int | None
    link_id: int | None
    text: str  # masked copy when there is one


@dataclass
class SourceSummary:
    total: int = 0
    by_source: Counter[str] = field(default_factory=Counter)
    by_stance: Counter[str] = field(default_factory=Counter)
    by_relation: Counter[str] = field(default_factory=Counter)


def orientation_sources(session: Session, *, orientation_id: int, edition_id: int | None = None) -> list[SourceRow]:
    """Every contribution behind an orientation: participants' stances, staff links, members of linked groups."""
    orientation_row(session, orientation_id, edition_id)
    return orientation_sources_many(session=session, orientation_ids=[orientation_id], edition_id=edition_id).get(
        orientation_id, []
    )


class _Sources:
    """The sources found so far, one row per contribution and orientation."""

    def __init__(self, ids: Sequence[int]) -> None:
        self.found: dict[int, dict[int, SourceRow]] = {oid: {} for oid in ids}

    def put(
        self,
        oid: int,
        c: Contribution,
        stand: str | None,
        via: str,
        *,
        relation: str | None = None,
        group_id: int | None = None,
        link_id: int | None = None,
    ) -> None:
        # One row per contribution: an explicit staff link wins over a stance or a group membership.
        current = self.found[oid].get(c.id or 0)
        if current is not None and current.via == "link":
            return
        self.found[oid][c.id or 0] = SourceRow(
            contribution_id=c.id or 0,
            receipt_code=c.receipt_code,
            created_at=c.created_at,
            source=c.source,
            stand_name=stand,
            status=c.status,
            stance=c.stance if c.orientation_id == oid else None,
            relation=relation,
            via=via,
            group_id=group_id,
            link_id=link_id,
            text=c.masked_body if c.masked_body is not None else c.body,
        )

    def sorted(self, oid: int) -> list[SourceRow]:
        return sorted(self.found.get(oid, {}).values(), key=lambda r: (r.created_at, r.contribution_id))


def _with_stand() -> Any:
    return select(Contribution, Stand.name).outerjoin(Stand, col(Stand.id) == col(Contribution.stand_id))


def _put_group_members(session: Session, sources: _Sources, by_group: Sequence[OrientationLink]) -> None:
    """The members of each linked group (confirmed groups only, rejected contributions left out)."""
    rows = session.exec(
        select(Contribution, Stand.name, ContributionGroupMember.group_id)
        .outerjoin(Stand, col(Stand.id) == col(Contribution.stand_id))
        .join(ContributionGroupMember, col(ContributionGroupMember.contribution_id) == col(Contribution.id))
        .join(ContributionGroup, col(ContributionGroup.id) == col(ContributionGroupMember.group_id))
        .where(
            col(ContributionGroupMember.group_id).in_([link.group_id for link in by_group]),
            col(ContributionGroup.status) == GroupStatus.CONFIRMED.value,
            NOT_REJECTED,
        )
    ).all()
    members: dict[int, list[tuple[Contribution, str | None]]] = {}
    for c, stand_name, gid in rows:
        members.setdefault(gid, []).append((c, stand_name))
    for link in by_group:
        for c, member_stand in members.get(link.group_id or 0, []):
            sources.put(
                link.orientation_id,
                c,
                member_stand,
                "group",
                relation=link.relation,
                group_id=link.group_id,
                link_id=link.id,
            )


def _put_linked(session: Session, sources: _Sources, by_contribution: Sequence[OrientationLink]) -> None:
    """The contributions staff linked one by one (rejected ones left out)."""
    ids = [link.contribution_id for link in by_contribution]
    contributions = {
        c.id: (c, stand)
        for c, stand in session.exec(_with_stand().where(col(Contribution.id).in_(ids), NOT_REJECTED)).all()
    }
    for link in by_contribution:
        if link.contribution_id in contributions:
            c, stand = contributions[link.contribution_id]
            sources.put(link.orientation_id, c, stand, "link", relation=link.relation, link_id=link.id)


def orientation_sources_many(
    session: Session, *, orientation_ids: Sequence[int], edition_id: int | None = None
) -> dict[int, list[SourceRow]]:
    """`orientation_sources` for several orientations in four queries (the export's whole draft at once).

    Every id asked has an entry; one of another edition's orientations has none of its sources (an empty list).
    """
    asked = list(dict.fromkeys(orientation_ids))
    if not asked:
        return {}
    edition = resolve_edition_id(session=session, edition_id=edition_id)
    ids = [
        int(oid)
        for oid in session.exec(
            select(Orientation.id).where(col(Orientation.id).in_(asked), Orientation.edition_id == edition)
        ).all()
        if oid is not None
    ]
    if not ids:
        return {oid: [] for oid in asked}
    sources = _Sources(ids)
    for c, stand in session.exec(_with_stand().where(col(Contribution.orientation_id).in_(ids), NOT_REJECTED)).all():
        assert c.orientation_id is not None
        sources.put(c.orientation_id, c, stand, "stance")
    links = session.exec(select(OrientationLink).where(col(OrientationLink.orientation_id).in_(ids))).all()
    by_group = [link for link in links if link.group_id is not None]
    if by_group:
        _put_group_members(session, sources, by_group)
    by_contribution = [link for link in links if link.contribution_id is not None]
    if by_contribution:
        _put_linked(session, sources, by_contribution)
    return {oid: sources.sorted(oid) for oid in asked}


def summarise(rows: Sequence[SourceRow]) -> SourceSummary:
    """Counts by origin, by participant stance and by staff link, for an orientation's sources."""
    summary = SourceSummary(total=len(rows))
    for r in rows:
        summary.by_source[r.source] += 1
        if r.stance:
            summary.by_stance[r.stance] += 1
        if r.relation:
            summary.by_relation[r.relation] += 1
    return summary


@dataclass(frozen=True)
class FedOrientation:
    orientation_id: int
    code: str
    title: str
    via: str
    relation: str | None
    stance: str | None


def contribution_orientations(
    session: Session, *, contribution_id: int, edition_id: int | None = None
) -> list[FedOrientation]:
    """Which orientations a contribution fed: its author's stance, staff links, and links to its confirmed groups."""
    edition = resolve_edition_id(session=session, edition_id=edition_id)
    c = session.get(Contribution, contribution_id)
    if c is None or c.theme_id not in theme_ids(session=session, edition_id=edition):
        raise NotFoundError("Cette contribution n'existe pas.")
    fed: dict[int, FedOrientation] = {}
    if c.orientation_id is not None:
        o = orientation_row(session, c.orientation_id, edition)
        fed[o.id or 0] = FedOrientation(o.id or 0, o.code, o.title, "stance", None, c.stance)
    group_ids = session.exec(
        select(ContributionGroupMember.group_id)
        .join(ContributionGroup, col(ContributionGroup.id) == col(ContributionGroupMember.group_id))
        .where(
            ContributionGroupMember.contribution_id == contribution_id,
            ContributionGroup.status == GroupStatus.CONFIRMED.value,
        )
    ).all()
    condition = col(OrientationLink.contribution_id) == contribution_id
    if group_ids:
        condition = condition | col(OrientationLink.group_id).in_(list(group_ids))
    for link, o in session.exec(
        select(OrientationLink, Orientation)
        .join(Orientation, col(Orientation.id) == col(OrientationLink.orientation_id))
        .where(condition)
    ).all():
        via = "link" if link.contribution_id is not None else "group"
        if o.id not in fed or via == "link":
            fed[o.id or 0] = FedOrientation(o.id or 0, o.code, o.title, via, link.relation, c.stance)
    return sorted(fed.values(), key=lambda f: f.code)


@dataclass(frozen=True)
class ThemeContribution:
    contribution_id: int
    receipt_code: str
    source: str
    stance: str | None
    orientation_code: str | None
    group_id: int | None  # its confirmed group, if any
    text: str


def theme_contributions(
    session: Session, *, theme_id: int, limit: int = 2000, edition_id: int | None = None
) -> list[ThemeContribution]:
    """The theme's contributions that count (published or pending), with their confirmed group, oldest first
    (nothing for a theme of another edition)."""
    edition = resolve_edition_id(session=session, edition_id=edition_id)
    if theme_id not in theme_ids(session=session, edition_id=edition):
        return []
    grouped = dict(
        session.exec(
            select(ContributionGroupMember.contribution_id, ContributionGroupMember.group_id)
            .join(ContributionGroup, col(ContributionGroup.id) == col(ContributionGroupMember.group_id))
            .where(ContributionGroup.theme_id == theme_id, ContributionGroup.status == GroupStatus.CONFIRMED.value)
        ).all()
    )
    rows = session.exec(
        select(Contribution, Orientation.code)
        .outerjoin(Orientation, col(Orientation.id) == col(Contribution.orientation_id))
        .where(Contribution.theme_id == theme_id, NOT_REJECTED)
        .order_by(col(Contribution.created_at), col(Contribution.id))
        .limit(limit)
    ).all()
    return [
        ThemeContribution(
            c.id or 0,
            c.receipt_code,
            c.source,
            c.stance,
            code,
            grouped.get(c.id or 0),
            c.masked_body if c.masked_body is not None else c.body,
        )
        for c, code in rows
    ]
