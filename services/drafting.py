"""Drafting the strategy: orientations per theme, their versions and diffs, staff comments, traceability links."""

from __future__ import annotations

import difflib
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func
from sqlmodel import Session, col, select

from models import (
    Contribution,
    ContributionGroup,
    ContributionGroupMember,
    GroupStatus,
    LinkRelation,
    ModerationStatus,
    Orientation,
    OrientationComment,
    OrientationLink,
    OrientationStatus,
    OrientationVersion,
    Stand,
    Theme,
    VoteOrigin,
    utcnow,
)
from services.audit import record_audit_event
from services.errors import NotFoundError, ValidationError
from services.formatting import format_number, format_percent
from services.labels import ORIENTATION_STATUS_LABELS, label
from services.scope import require_writable, resolve_edition_id, theme_ids
from services.text import check_text
from services.verdict import VERDICT_LABELS, Verdict, VerdictFilter, VerdictKind, verdict_by_orientation, verdicts

TITLE_MAX_CHARS = 300
BODY_MAX_CHARS = 5000
COMMENT_MAX_CHARS = 2000
NOTE_MAX_CHARS = 300
ENTITY = "orientation"
THEME_REQUIRED = "Choisissez l'une des thématiques de la conférence."


@dataclass(frozen=True)
class OrientationView:
    id: int
    code: str
    theme_id: int
    title: str
    body: str
    status: str
    position: int
    version: int
    presented: bool
    updated_at: datetime


def _view(o: Orientation) -> OrientationView:
    return OrientationView(
        o.id or 0, o.code, o.theme_id, o.title, o.body, o.status, o.position, o.version, o.presented, o.updated_at
    )


def _get(session: Session, orientation_id: int, edition_id: int | None, *, write: bool = False) -> Orientation:
    """An orientation of the edition (another edition's does not exist here); `write`: the edition not archived."""
    edition = resolve_edition_id(session=session, edition_id=edition_id)
    row = session.get(Orientation, orientation_id)
    if row is None or row.edition_id != edition:
        raise NotFoundError("Cette orientation n'existe pas.")
    if write:
        require_writable(session=session, edition_id=edition)
    return row


def list_orientations(session: Session, *, theme_id: int, edition_id: int | None = None) -> list[OrientationView]:
    """The draft of one theme of the edition, in its reading order."""
    edition = resolve_edition_id(session=session, edition_id=edition_id)
    rows = session.exec(
        select(Orientation)
        .where(Orientation.theme_id == theme_id, Orientation.edition_id == edition)
        .order_by(col(Orientation.position), col(Orientation.id))
    ).all()
    return [_view(o) for o in rows]


def get_orientation(session: Session, *, orientation_id: int, edition_id: int | None = None) -> OrientationView:
    return _view(_get(session, orientation_id, edition_id))


def _clean(title: str, body: str, status: str) -> tuple[str, str]:
    errors: dict[str, str] = {}
    clean_title, problem = check_text(title, label="Le titre", min_chars=5, max_chars=TITLE_MAX_CHARS)
    if problem:
        errors["title"] = problem
    clean_body, problem = check_text(body, label="Le texte", max_chars=BODY_MAX_CHARS, required=False)
    if problem:
        errors["body"] = problem
    if status not in {s.value for s in OrientationStatus}:
        errors["status"] = "Statut d'orientation inconnu."
    if errors:
        raise ValidationError(errors)
    return clean_title, clean_body


def _snapshot(o: Orientation) -> dict[str, object]:
    return {"title": o.title, "body": o.body, "status": o.status, "version": o.version}


def _add_version(session: Session, o: Orientation, actor: str, note: str) -> None:
    session.add(
        OrientationVersion(
            orientation_id=o.id or 0,
            version=o.version,
            title=o.title,
            body=o.body,
            status=o.status,
            edited_by=actor,
            note=note,
        )
    )


def edit_orientation(
    session: Session,
    *,
    orientation_id: int,
    title: str,
    body: str,
    status: str,
    actor: str,
    note: str = "",
    edition_id: int | None = None,
) -> OrientationView:
    """Save an edit as a new version (text and status); an edit that changes nothing makes no version."""
    row = _get(session, orientation_id, edition_id, write=True)
    clean_title, clean_body = _clean(title, body, status)
    clean_note, problem = check_text(note, label="La note", max_chars=NOTE_MAX_CHARS, required=False)
    if problem:
        raise ValidationError({"note": problem})
    if (row.title, row.body, row.status) == (clean_title, clean_body, status):
        return _view(row)
    before = _snapshot(row)
    if not session.exec(select(OrientationVersion.id).where(OrientationVersion.orientation_id == row.id)).first():
        _add_version(session, row, "", "Texte d'origine")  # keep the text as it was before the first edit
    row.title, row.body, row.status = clean_title, clean_body, status
    row.version += 1
    row.updated_at = utcnow()
    session.add(row)
    _add_version(session, row, actor, clean_note)
    record_audit_event(
        session=session,
        actor=actor,
        action="orientation.edit",
        entity_type=ENTITY,
        entity_id=row.id or 0,
        before=before,
        after=_snapshot(row),
    )
    session.flush()
    return _view(row)


def add_orientation(
    session: Session, *, theme_id: int, title: str, body: str, actor: str, edition_id: int | None = None
) -> OrientationView:
    """A new orientation at the end of its theme, status « nouvelle », version 1; its code is new in the edition."""
    edition = resolve_edition_id(session=session, edition_id=edition_id)
    theme = session.get(Theme, theme_id) if isinstance(theme_id, int) else None
    if theme is None or theme.edition_id != edition:
        raise ValidationError({"theme_id": THEME_REQUIRED})
    require_writable(session=session, edition_id=edition)
    clean_title, clean_body = _clean(title, body, OrientationStatus.NEW.value)
    last = session.exec(select(func.max(Orientation.position)).where(Orientation.theme_id == theme_id)).one()
    in_edition = Orientation.edition_id == edition
    count = int(session.exec(select(func.count()).select_from(Orientation).where(in_edition)).one())
    code = f"T{theme.position or theme.id}-N{count + 1}"
    while session.exec(select(Orientation.id).where(Orientation.code == code, in_edition)).first() is not None:
        count += 1
        code = f"T{theme.position or theme.id}-N{count + 1}"
    row = Orientation(
        edition_id=edition,
        code=code,
        theme_id=theme_id,
        title=clean_title,
        body=clean_body,
        status=OrientationStatus.NEW.value,
        position=int(last or 0) + 1,
        presented=False,
    )
    session.add(row)
    session.flush()
    _add_version(session, row, actor, "Nouvelle orientation")
    record_audit_event(
        session=session,
        actor=actor,
        action="orientation.add",
        entity_type=ENTITY,
        entity_id=row.id or 0,
        after=_snapshot(row),
    )
    session.flush()
    return _view(row)


def move_orientation(
    session: Session, *, orientation_id: int, offset: int, actor: str, edition_id: int | None = None
) -> bool:
    """Move one orientation up (offset -1) or down (+1) in its theme; False at either end."""
    row = _get(session, orientation_id, edition_id, write=True)
    siblings = list(
        session.exec(
            select(Orientation)
            .where(Orientation.theme_id == row.theme_id)
            .order_by(col(Orientation.position), col(Orientation.id))
        ).all()
    )
    index = next(i for i, o in enumerate(siblings) if o.id == row.id)
    target = index + offset
    if offset == 0 or not 0 <= target < len(siblings):
        return False
    before = [o.code for o in siblings]
    siblings.insert(target, siblings.pop(index))
    for position, o in enumerate(siblings, start=1):
        if o.position != position:
            o.position = position
            session.add(o)
    record_audit_event(
        session=session,
        actor=actor,
        action="orientation.move",
        entity_type=ENTITY,
        entity_id=row.id or 0,
        before={"order": before},
        after={"order": [o.code for o in siblings]},
    )
    return True


@dataclass(frozen=True)
class VersionView:
    version: int
    title: str
    body: str
    status: str
    edited_by: str
    note: str
    created_at: datetime


def list_versions(session: Session, *, orientation_id: int, edition_id: int | None = None) -> list[VersionView]:
    """Every version of an orientation, latest first."""
    _get(session, orientation_id, edition_id)
    rows = session.exec(
        select(OrientationVersion)
        .where(OrientationVersion.orientation_id == orientation_id)
        .order_by(col(OrientationVersion.version).desc())
    ).all()
    return [VersionView(v.version, v.title, v.body, v.status, v.edited_by, v.note, v.created_at) for v in rows]


def _as_lines(v: VersionView) -> list[str]:
    lines = [f"Titre : {v.title}", f"Statut : {label(ORIENTATION_STATUS_LABELS, v.status)}", ""]
    return lines + v.body.splitlines()


def diff_versions(session: Session, *, orientation_id: int, old: int, new: int, edition_id: int | None = None) -> str:
    """A readable unified diff (difflib) between two versions of an orientation: '-' removed, '+' added."""
    versions = {
        v.version: v for v in list_versions(session=session, orientation_id=orientation_id, edition_id=edition_id)
    }
    if old not in versions or new not in versions:
        raise NotFoundError("Cette version n'existe pas.")
    a, b = versions[old], versions[new]
    lines = difflib.unified_diff(
        _as_lines(a), _as_lines(b), fromfile=f"version {old}", tofile=f"version {new}", lineterm="", n=3
    )
    return "\n".join(lines)


def word_diff(old: str, new: str) -> list[tuple[str, str]]:
    """Word-level changes between two texts as (kind, words) with kind in '=', '-', '+' (for a table)."""
    a, b = old.split(), new.split()
    out: list[tuple[str, str]] = []
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(a=a, b=b, autojunk=False).get_opcodes():
        if tag == "equal":
            out.append(("=", " ".join(a[i1:i2])))
            continue
        if i2 > i1:
            out.append(("-", " ".join(a[i1:i2])))
        if j2 > j1:
            out.append(("+", " ".join(b[j1:j2])))
    return out


@dataclass(frozen=True)
class CommentView:
    id: int
    author: str
    body: str
    created_at: datetime


def add_comment(
    session: Session, *, orientation_id: int, body: str, actor: str, edition_id: int | None = None
) -> CommentView:
    """A note between staff on an orientation (never published)."""
    _get(session, orientation_id, edition_id, write=True)
    text, problem = check_text(body, label="Le commentaire", min_chars=1, max_chars=COMMENT_MAX_CHARS)
    if problem:
        raise ValidationError({"comment": problem})
    row = OrientationComment(orientation_id=orientation_id, author=actor, body=text)
    session.add(row)
    session.flush()
    record_audit_event(
        session=session,
        actor=actor,
        action="orientation.comment",
        entity_type=ENTITY,
        entity_id=orientation_id,
        after={"comment_id": row.id},
    )
    return CommentView(row.id or 0, row.author, row.body, row.created_at)


def list_comments(session: Session, *, orientation_id: int, edition_id: int | None = None) -> list[CommentView]:
    _get(session, orientation_id, edition_id)
    rows = session.exec(
        select(OrientationComment)
        .where(OrientationComment.orientation_id == orientation_id)
        .order_by(col(OrientationComment.created_at), col(OrientationComment.id))
    ).all()
    return [CommentView(c.id or 0, c.author, c.body, c.created_at) for c in rows]


# ---------------------------------------------------------------------------------------------
# Traceability: from an orientation to its sources, and from a contribution to what it fed.


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
    orientation = _get(session, orientation_id, edition_id, write=True)
    ours = set(theme_ids(session=session, edition_id=orientation.edition_id))
    if relation not in {r.value for r in LinkRelation}:
        raise ValidationError({"relation": "Lien inconnu : « soutient » ou « questionne »."})
    if not contribution_ids and not group_ids:
        raise ValidationError({"selection": "Choisissez au moins une contribution ou un groupe."})
    existing = session.exec(select(OrientationLink).where(OrientationLink.orientation_id == orientation_id)).all()
    have = {(link.contribution_id, link.group_id) for link in existing}
    added: list[dict[str, object]] = []
    for cid in dict.fromkeys(contribution_ids):
        row = session.get(Contribution, cid)
        if row is None or row.theme_id not in ours:
            raise NotFoundError("Une des contributions choisies n'existe plus.")
        if row.theme_id != orientation.theme_id:
            raise ValidationError({"selection": "Une contribution d'un autre thème ne peut pas être liée ici."})
        if (cid, None) not in have:
            session.add(
                OrientationLink(orientation_id=orientation_id, contribution_id=cid, relation=relation, created_by=actor)
            )
            added.append({"contribution_id": cid, "relation": relation})
    for gid in dict.fromkeys(group_ids):
        group = session.get(ContributionGroup, gid)
        if group is None or group.theme_id not in ours:
            raise NotFoundError("Un des groupes choisis n'existe plus.")
        if group.status != GroupStatus.CONFIRMED.value:
            raise ValidationError({"selection": "Seul un groupe confirmé peut être lié à une orientation."})
        if (None, gid) not in have:
            session.add(
                OrientationLink(orientation_id=orientation_id, group_id=gid, relation=relation, created_by=actor)
            )
            added.append({"group_id": gid, "relation": relation})
    if added:
        record_audit_event(
            session=session,
            actor=actor,
            action="orientation.link",
            entity_type=ENTITY,
            entity_id=orientation_id,
            after={"links": added},
        )
    return len(added)


def unlink_source(session: Session, *, link_id: int, actor: str, edition_id: int | None = None) -> bool:
    """Remove one traceability link (True once done)."""
    link = session.get(OrientationLink, link_id)
    if link is None:
        raise NotFoundError("Ce lien n'existe plus.")
    try:
        _get(session, link.orientation_id, edition_id, write=True)
    except NotFoundError:
        raise NotFoundError("Ce lien n'existe plus.") from None
    before = {"contribution_id": link.contribution_id, "group_id": link.group_id, "relation": link.relation}
    session.delete(link)
    record_audit_event(
        session=session,
        actor=actor,
        action="orientation.unlink",
        entity_type=ENTITY,
        entity_id=link.orientation_id,
        before=before,
    )
    return True


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
    _get(session, orientation_id, edition_id)
    return orientation_sources_many(session=session, orientation_ids=[orientation_id], edition_id=edition_id).get(
        orientation_id, []
    )


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
    not_rejected = col(Contribution.status) != ModerationStatus.REJECTED.value
    base = select(Contribution, Stand.name).outerjoin(Stand, col(Stand.id) == col(Contribution.stand_id))
    found: dict[int, dict[int, SourceRow]] = {oid: {} for oid in ids}

    def put(oid: int, c: Contribution, stand: str | None, **how: object) -> None:
        # One row per contribution: an explicit staff link wins over a stance or a group membership.
        current = found[oid].get(c.id or 0)
        if current is not None and current.via == "link":
            return
        found[oid][c.id or 0] = SourceRow(
            contribution_id=c.id or 0,
            receipt_code=c.receipt_code,
            created_at=c.created_at,
            source=c.source,
            stand_name=stand,
            status=c.status,
            stance=c.stance if c.orientation_id == oid else None,
            text=c.masked_body if c.masked_body is not None else c.body,
            **how,  # type: ignore[arg-type]
        )

    for c, stand in session.exec(base.where(col(Contribution.orientation_id).in_(ids), not_rejected)).all():
        assert c.orientation_id is not None
        put(c.orientation_id, c, stand, relation=None, via="stance", group_id=None, link_id=None)
    links = session.exec(select(OrientationLink).where(col(OrientationLink.orientation_id).in_(ids))).all()
    by_contribution = [link for link in links if link.contribution_id is not None]
    by_group = [link for link in links if link.group_id is not None]
    if by_group:
        group_ids = [link.group_id for link in by_group]
        rows = session.exec(
            select(Contribution, Stand.name, ContributionGroupMember.group_id)
            .outerjoin(Stand, col(Stand.id) == col(Contribution.stand_id))
            .join(ContributionGroupMember, col(ContributionGroupMember.contribution_id) == col(Contribution.id))
            .join(ContributionGroup, col(ContributionGroup.id) == col(ContributionGroupMember.group_id))
            .where(
                col(ContributionGroupMember.group_id).in_(group_ids),
                col(ContributionGroup.status) == GroupStatus.CONFIRMED.value,
                not_rejected,
            )
        ).all()
        members: dict[int, list[tuple[Contribution, str | None]]] = {}
        for c, stand_name, gid in rows:
            members.setdefault(gid, []).append((c, stand_name))
        for link in by_group:
            for c, member_stand in members.get(link.group_id or 0, []):
                put(
                    link.orientation_id,
                    c,
                    member_stand,
                    relation=link.relation,
                    via="group",
                    group_id=link.group_id,
                    link_id=link.id,
                )
    if by_contribution:
        rows2 = session.exec(
            base.where(col(Contribution.id).in_([link.contribution_id for link in by_contribution]), not_rejected)
        ).all()
        contributions = {c.id: (c, stand) for c, stand in rows2}
        for link in by_contribution:
            if link.contribution_id in contributions:
                c, stand = contributions[link.contribution_id]
                put(link.orientation_id, c, stand, relation=link.relation, via="link", group_id=None, link_id=link.id)
    return {oid: sorted(found.get(oid, {}).values(), key=lambda r: (r.created_at, r.contribution_id)) for oid in asked}


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
        o = _get(session, c.orientation_id, edition)
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
        .where(Contribution.theme_id == theme_id, col(Contribution.status) != ModerationStatus.REJECTED.value)
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


# ---------------------------------------------------------------------------------------------
# The adequacy check beside the sources: what the room said of each orientation (services/verdict.py).

# A device is a browser's cookie: said once wherever the figures are read.
COOKIE_CAVEAT = (
    "Chaque avis est celui d'un téléphone (un cookie du navigateur) : une personne qui efface ses cookies et "
    "vote de nouveau compte deux fois. Les bulletins papier sont comptés tels que saisis par l'équipe."
)
NOT_ON_BALLOT = "Orientation non soumise à l'avis des participants."


@dataclass(frozen=True)
class StanceFigures:
    """One orientation's stances as the drafting page and the exports state them (counts and shares)."""

    orientation_id: int
    agree: int
    reservations: int
    disagree: int
    skip: int
    paper: int  # of the stances on one side or the other, those from paper ballots
    weighed_in: int
    kind: str
    label: str  # VERDICT_LABELS[kind]
    small_sample: bool

    def share(self, n: int) -> float | None:
        """n as a share of the stances on one side or the other (« sans avis » excluded)."""
        return n / self.weighed_in if self.weighed_in else None

    @property
    def answered(self) -> int:
        return self.weighed_in + self.skip

    @property
    def paper_share(self) -> float | None:
        return self.share(self.paper)


def figures_of(v: Verdict, paper: Verdict | None = None) -> StanceFigures:
    """`paper`: the same orientation's verdict on paper ballots only (its stances on a side are `paper`)."""
    return StanceFigures(
        orientation_id=v.orientation_id,
        agree=v.agree,
        reservations=v.reservations,
        disagree=v.disagree,
        skip=v.skip,
        paper=paper.weighed_in if paper is not None else 0,
        weighed_in=v.weighed_in,
        kind=str(v.kind),
        label=VERDICT_LABELS[v.kind],
        small_sample=v.small_sample and v.weighed_in > 0,
    )


def stance_figures(session: Session, *, edition_id: int | None = None) -> dict[int, StanceFigures]:
    """Every orientation on the edition's ballot → its stance figures, read from the rollups (no stance row)."""
    everything = verdict_by_orientation(session=session, edition_id=edition_id)
    paper_only = VerdictFilter(origins=(VoteOrigin.PAPER.value,))
    on_paper = {v.orientation_id: v for v in verdicts(session=session, filters=paper_only, edition_id=edition_id)}
    return {oid: figures_of(v, on_paper.get(oid)) for oid, v in everything.items()}


def _percent(share: float | None) -> str:
    return format_percent(round((share or 0.0) * 100))


def stance_split(f: StanceFigures) -> str:
    """« 60 % d'accord, 21 % d'accord avec réserves, 19 % pas d'accord »."""
    return (
        f"{_percent(f.share(f.agree))} d'accord, {_percent(f.share(f.reservations))} d'accord avec réserves, "
        f"{_percent(f.share(f.disagree))} pas d'accord"
    )


def stance_sentence(f: StanceFigures | None) -> str:
    """How many participants weighed in and how they split, in one French sentence (None: not on the ballot)."""
    if f is None:
        return NOT_ON_BALLOT
    skipped = f"{format_number(f.skip)} sans avis"
    if not f.weighed_in:
        if f.skip:
            return f"Aucun participant n'a pris position sur cette orientation ({skipped})."
        return "Aucun avis n'a été donné sur cette orientation."
    who = (
        f"{format_number(f.weighed_in)} participants ont donné leur avis"
        if f.weighed_in > 1
        else "1 participant a donné son avis"
    )
    if f.small_sample:
        small = VERDICT_LABELS[VerdictKind.SMALL]
        who += f" ({small[:1].lower()}{small[1:]} : à lire avec prudence)"
    sentence = f"{who} : {stance_split(f)}" + (f" ; {skipped}." if f.skip else ".")
    if not f.small_sample:
        sentence += f" Verdict de la salle : {f.label[:1].lower()}{f.label[1:]}."
    if f.paper:
        sentence += (
            f" Dont {format_number(f.paper)} avis exprimés sur bulletin papier."
            if f.paper > 1
            else " Dont 1 avis exprimé sur bulletin papier."
        )
    return sentence
