"""Proposing groups: the theme's contributions clustered by likeness of meaning and words, as proposals staff
then decide on."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete
from sqlmodel import Session, col, select

from models import Contribution, ContributionGroup, ContributionGroupMember, GroupStatus, Theme, utcnow
from services import semantics
from services.audit import audit
from services.errors import ValidationError
from services.grouping.members import GROUPABLE_STATUSES, confirmed_members, member_ids
from services.grouping.reasons import known_vectors
from services.grouping.similarity import DEFAULT_THRESHOLD, check_threshold, cluster_texts, group_method, uses_meaning
from services.scope import require_writable, resolve_edition_id
from services.semantics.model import Matrix

THEME_REQUIRED = "Choisissez l'une des thématiques de la conférence."
# (contribution id, title, text as published) of a contribution that may be grouped
Candidate = tuple[int, str, str]


def _check_theme(session: Session, theme_id: int, edition_id: int) -> None:
    """A theme of the edition (groups never mix editions: each lies within one theme)."""
    theme = session.get(Theme, theme_id) if isinstance(theme_id, int) else None
    if theme is None or theme.edition_id != edition_id:
        raise ValidationError({"theme_id": THEME_REQUIRED})


def _group_ids(session: Session, theme_id: int, status: GroupStatus) -> list[int]:
    return [
        gid
        for gid in session.exec(
            select(ContributionGroup.id).where(
                ContributionGroup.theme_id == theme_id, ContributionGroup.status == status.value
            )
        ).all()
        if gid is not None
    ]


def _drop_proposals(session: Session, theme_id: int) -> int:
    """Delete the theme's pending proposals (their member links first); returns how many there were."""
    stale = _group_ids(session, theme_id, GroupStatus.PROPOSED)
    if stale:
        session.exec(delete(ContributionGroupMember).where(col(ContributionGroupMember.group_id).in_(stale)))
        session.exec(delete(ContributionGroup).where(col(ContributionGroup.id).in_(stale)))
    return len(stale)


def _candidates(session: Session, theme_id: int) -> list[Candidate]:
    """The theme's groupable contributions not yet in a confirmed group, oldest first."""
    taken = confirmed_members(session, theme_id)
    return [
        (cid, title, masked if masked is not None else body)
        for cid, title, body, masked in session.exec(
            select(Contribution.id, Contribution.title, Contribution.body, Contribution.masked_body)
            .where(Contribution.theme_id == theme_id, col(Contribution.status).in_(GROUPABLE_STATUSES))
            .order_by(col(Contribution.created_at), col(Contribution.id))
        ).all()
        if cid is not None and cid not in taken
    ]


def _store_proposal(
    session: Session,
    text_of: dict[int, str],
    cluster: tuple[int, ...],
    *,
    theme_id: int,
    threshold: float,
    actor: str,
    at: datetime,
) -> None:
    # The representative is the earliest text: the idea as it first came in (staff can rewrite it).
    group = ContributionGroup(
        theme_id=theme_id,
        representative_text=text_of[cluster[0]],
        status=GroupStatus.PROPOSED.value,
        threshold=threshold,
        created_by=actor,
        created_at=at,
    )
    session.add(group)
    session.flush()
    session.add_all(ContributionGroupMember(group_id=group.id or 0, contribution_id=cid) for cid in cluster)


@dataclass(frozen=True)
class GroupPlan:
    """Groups computed in a read session (`plan_groups`), for `propose_groups` to store in a short write
    transaction: the model's and the clustering's seconds are spent while other writers go on."""

    theme_id: int
    threshold: float
    method: str
    candidates: tuple[tuple[int, str], ...]  # (contribution id, compared text), as the clusters saw them
    clusters: tuple[tuple[int, ...], ...]  # contribution ids, each group's earliest first

    @property
    def embedded(self) -> int:
        """How many texts were read by meaning (0 without the model)."""
        return len(self.candidates) if uses_meaning(self.method) else 0


def _clusters(
    rows: list[Candidate], threshold: float, method_name: str | None, vectors: Matrix | None
) -> tuple[tuple[int, ...], ...]:
    texts = [semantics.contribution_text(title, text) for _, title, text in rows]
    found = cluster_texts(texts, threshold, vectors=vectors, method_name=method_name)
    return tuple(tuple(rows[i][0] for i in cluster) for cluster in found)


def plan_groups(
    session: Session,
    *,
    theme_id: int,
    threshold: float = DEFAULT_THRESHOLD,
    edition_id: int | None = None,
    method_name: str | None = None,
) -> GroupPlan | None:
    """The groups a proposal of the theme would make now, computed without writing anything (vectors not yet
    stored are computed in the model's memory; `propose_groups` stores them). None when the theme or the
    threshold is not one `propose_groups` accepts: it says why."""
    edition = resolve_edition_id(session=session, edition_id=edition_id)
    try:
        _check_theme(session, theme_id, edition)
        threshold = check_threshold(threshold, method_name)
    except ValidationError:
        return None
    rows = _candidates(session, theme_id)
    items = [(cid, semantics.contribution_text(title, text)) for cid, title, text in rows]
    vectors = known_vectors(session, items) if uses_meaning(method_name) else None
    return GroupPlan(
        theme_id=theme_id,
        threshold=threshold,
        method=group_method(method_name),
        candidates=tuple(items),
        clusters=_clusters(rows, threshold, method_name, vectors),
    )


def propose_groups(
    session: Session,
    *,
    theme_id: int,
    threshold: float = DEFAULT_THRESHOLD,
    actor: str,
    edition_id: int | None = None,
    method_name: str | None = None,
    plan: GroupPlan | None = None,
) -> int:
    """Replace the theme's pending proposals by fresh ones at `threshold` (% of the likeness score); returns how
    many groups were proposed. `plan`: the same proposal computed ahead by `plan_groups` (used if the theme's
    candidates have not changed since), so that this write transaction only stores.

    Contributions already in a confirmed group are left out; confirmed, refused and undone groups are kept.
    Sentence vectors are read back from the store, and those missing are computed once and stored, so
    proposing again at another threshold embeds nothing. `method_name`: a method of services.semantics
    (None: the default, or the word fallback without the model).
    """
    edition = resolve_edition_id(session=session, edition_id=edition_id)
    _check_theme(session, theme_id, edition)
    require_writable(session=session, edition_id=edition)
    threshold = check_threshold(threshold, method_name)
    stale = _drop_proposals(session, theme_id)
    rows = _candidates(session, theme_id)
    # A set of contributions staff refused as a group is not proposed again while the refusal stands.
    refused = {frozenset(member_ids(session, gid)) for gid in _group_ids(session, theme_id, GroupStatus.REFUSED)}
    items = [(cid, semantics.contribution_text(title, text)) for cid, title, text in rows]
    vectors = semantics.contribution_vectors(session, items) if uses_meaning(method_name) and items else None
    current = (
        plan is not None
        and (plan.theme_id, plan.threshold, plan.method) == (theme_id, threshold, group_method(method_name))
        and plan.candidates == tuple(items)
    )
    # The plan, if nothing changed since it was computed (else, rarely, the same work here, under the lock).
    found = plan.clusters if plan is not None and current else _clusters(rows, threshold, method_name, vectors)
    clusters = [cluster for cluster in found if frozenset(cluster) not in refused]
    text_of = {cid: text for cid, _, text in rows}
    now = utcnow()
    for cluster in clusters:
        _store_proposal(session, text_of, cluster, theme_id=theme_id, threshold=threshold, actor=actor, at=now)
    audit(
        session,
        actor,
        "group.propose",
        f"theme-{theme_id}",
        before={"proposals": stale},
        after={"proposals": len(clusters), "threshold": threshold, "method": group_method(method_name)},
    )
    session.flush()
    return len(clusters)
