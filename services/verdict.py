"""The verdict of the adequacy check: what the room says of each proposed orientation, read from the rollups.

services/votes.py stores the stances and keeps the rollups (models/vote.py); everything here reads them, never
the stance rows, so a live page costs the same with 300 stances or 100 000.

The verdict per orientation: how many weighed in (« passer » is answered but weighs on neither side), the
share in agreement (with or without reservations: broad agreement), the share in disagreement (rejection), and
how evenly the room splits (division: 100 % for a half-and-half room). Below `SMALL_SAMPLE` stances a verdict
is labelled as a small sample, and an exact split as a tie.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum

import pandas as pd  # type: ignore[import-untyped]  # no pandas-stubs in the environment
from sqlalchemy import func
from sqlalchemy import select as core_select
from sqlmodel import Session, col, select

from models import (
    Contribution,
    ContributionSupport,
    ModerationStatus,
    Orientation,
    Participant,
    Theme,
    VoteChoice,
    VoteEvent,
    VoteOrigin,
    VoteTally,
    VoteTallyTime,
    utcnow,
)
from services.formatting import PARIS
from services.published import published_text, published_title
from services.scope import resolve_edition_id
from services.votes import CHOICES, CONTRIBUTION_STANCE, TIME_BUCKET_S, on_ballot, vote_settings

# Below this many stances (agreeing or not) a verdict says so instead of pretending to a trend.
SMALL_SAMPLE = 10
# Broad agreement: at least this share agrees, with or without reservations.
CONSENSUS_SHARE = 0.75
# A divided room: agreement and disagreement within this many points of each other (40/60 at most).
DIVIDED_GAP = 0.20


# ---------------------------------------------------------------------------------------------
# The verdict


class VerdictKind(StrEnum):
    NONE = "none"  # nobody yet
    SMALL = "small"  # fewer than SMALL_SAMPLE stances
    TIE = "tie"
    CONSENSUS = "consensus"
    DIVIDED = "divided"
    REJECTED = "rejected"
    LEANING_AGREE = "leaning_agree"


# What each verdict is called on the live pages, the drafting page and the exports.
VERDICT_LABELS: dict[str, str] = {
    VerdictKind.NONE: "Pas encore d'avis",
    VerdictKind.SMALL: f"Moins de {SMALL_SAMPLE} avis",
    VerdictKind.TIE: "À égalité",
    VerdictKind.CONSENSUS: "Consensus",
    VerdictKind.DIVIDED: "Salle partagée",
    VerdictKind.REJECTED: "Rejet",
    VerdictKind.LEANING_AGREE: "Plutôt d'accord",
}


@dataclass(frozen=True)
class VerdictFilter:
    """The results' filters; empty tuples mean « all ». '' in actor_types / departements: not given."""

    theme_ids: tuple[int, ...] = ()
    origins: tuple[str, ...] = ()
    actor_types: tuple[str, ...] = ()
    departements: tuple[str, ...] = ()


@dataclass(frozen=True)
class Verdict:
    """The room's stances on one orientation."""

    orientation_id: int
    code: str
    title: str
    theme_id: int
    position: int
    agree: int = 0
    reservations: int = 0
    disagree: int = 0
    skip: int = 0
    paper: int = 0  # of which paper ballots (any stance)
    vote_open: bool = True

    @property
    def weighed_in(self) -> int:
        """Stances on one side or the other (« passer » excluded)."""
        return self.agree + self.reservations + self.disagree

    @property
    def answered(self) -> int:
        return self.weighed_in + self.skip

    def _share(self, n: int) -> float | None:
        return n / self.weighed_in if self.weighed_in else None

    @property
    def consensus(self) -> float | None:
        """Broad agreement: the share agreeing, with or without reservations."""
        return self._share(self.agree + self.reservations)

    @property
    def rejection(self) -> float | None:
        return self._share(self.disagree)

    @property
    def division(self) -> float | None:
        """1 for a room split half and half, 0 for a unanimous one."""
        if not self.weighed_in:
            return None
        return 1 - abs(self.agree + self.reservations - self.disagree) / self.weighed_in

    @property
    def small_sample(self) -> bool:
        return self.weighed_in < SMALL_SAMPLE

    @property
    def kind(self) -> VerdictKind:
        if not self.weighed_in:
            return VerdictKind.NONE
        if self.small_sample:
            return VerdictKind.SMALL
        agreeing = self.agree + self.reservations
        if agreeing == self.disagree:
            return VerdictKind.TIE
        consensus, rejection = self.consensus or 0.0, self.rejection or 0.0
        if consensus >= CONSENSUS_SHARE:
            return VerdictKind.CONSENSUS
        if abs(consensus - rejection) <= DIVIDED_GAP:
            return VerdictKind.DIVIDED
        return VerdictKind.REJECTED if rejection > consensus else VerdictKind.LEANING_AGREE


SORT_KEYS = ("division", "consensus", "rejection", "weighed_in", "position")


def sort_verdicts(rows: Iterable[Verdict], key: str) -> list[Verdict]:
    """Most divided / most agreed / most rejected / most answered first, or the ballot's order; small samples last."""
    rows = list(rows)
    if key == "position":
        return rows
    if key not in SORT_KEYS:
        raise ValueError(key)

    def score(v: Verdict) -> tuple[int, float, int]:
        value = float(getattr(v, key) or 0.0)
        # A division of 100 % on 3 stances is not a divided room: small samples come after the others.
        return (0 if not v.small_sample or key == "weighed_in" else 1, -value, -v.weighed_in)

    return sorted(rows, key=score)


def verdicts(
    session: Session, *, filters: VerdictFilter = VerdictFilter(), edition_id: int | None = None
) -> list[Verdict]:
    """Every orientation on the ballot (filtered by theme), in the ballot's order, with its counts from the rollup."""
    edition = resolve_edition_id(session=session, edition_id=edition_id)
    settings = vote_settings(session=session, edition_id=edition)
    stmt = (
        select(Orientation)
        .join(Theme, col(Theme.id) == col(Orientation.theme_id))
        .where(Orientation.edition_id == edition, on_ballot())
        .order_by(col(Theme.position), col(Theme.id), col(Orientation.position), col(Orientation.id))
    )
    if filters.theme_ids:
        stmt = stmt.where(col(Orientation.theme_id).in_(filters.theme_ids))
    orientations = list(session.exec(stmt).all())
    ids = [o.id for o in orientations if o.id is not None]
    counts: dict[int, dict[str, int]] = {}
    paper: dict[int, int] = {}
    if ids:
        tally = select(VoteTally.orientation_id, VoteTally.choice, VoteTally.origin, func.sum(VoteTally.n)).where(
            col(VoteTally.orientation_id).in_(ids)
        )
        if filters.origins:
            tally = tally.where(col(VoteTally.origin).in_(filters.origins))
        if filters.actor_types:
            tally = tally.where(col(VoteTally.actor_type).in_(filters.actor_types))
        if filters.departements:
            tally = tally.where(col(VoteTally.departement).in_(filters.departements))
        tally = tally.group_by(col(VoteTally.orientation_id), col(VoteTally.choice), col(VoteTally.origin))
        for orientation_id, choice, origin, total in session.exec(tally).all():
            n = int(total or 0)
            per = counts.setdefault(int(orientation_id), {})
            per[choice] = per.get(choice, 0) + n
            if origin == VoteOrigin.PAPER.value:
                paper[int(orientation_id)] = paper.get(int(orientation_id), 0) + n
    result = []
    for position, o in enumerate(orientations):
        per = counts.get(o.id or 0, {})
        result.append(
            Verdict(
                orientation_id=o.id or 0,
                code=o.code,
                title=o.title,
                theme_id=o.theme_id,
                position=position,
                agree=per.get(VoteChoice.AGREE.value, 0),
                reservations=per.get(VoteChoice.RESERVATIONS.value, 0),
                disagree=per.get(VoteChoice.DISAGREE.value, 0),
                skip=per.get(VoteChoice.SKIP.value, 0),
                paper=paper.get(o.id or 0, 0),
                vote_open=settings.theme_open(o.theme_id),
            )
        )
    return result


def verdict_by_orientation(session: Session, *, edition_id: int | None = None) -> dict[int, Verdict]:
    """Every orientation's verdict (no filter), by orientation id: the drafting page and the exports."""
    return {v.orientation_id: v for v in verdicts(session=session, edition_id=edition_id)}


def verdict_over_time(
    session: Session,
    *,
    orientation_ids: Sequence[int],
    origins: Sequence[str] = (),
) -> pd.DataFrame:
    """How the stances moved: per orientation and quarter hour (Paris time), the counts at its end (running sums).

    Columns: orientation_id, at, agree, reservations, disagree, skip. Read from the quarter-hour rollup only.
    """
    columns = ["orientation_id", "at", *CHOICES]
    if not orientation_ids:
        return pd.DataFrame(columns=columns)
    stmt = select(VoteTallyTime.orientation_id, VoteTallyTime.bucket, VoteTallyTime.choice, func.sum(VoteTallyTime.n))
    stmt = stmt.where(col(VoteTallyTime.orientation_id).in_(list(orientation_ids)))
    if origins:
        stmt = stmt.where(col(VoteTallyTime.origin).in_(list(origins)))
    stmt = stmt.group_by(col(VoteTallyTime.orientation_id), col(VoteTallyTime.bucket), col(VoteTallyTime.choice))
    rows = session.exec(stmt).all()
    if not rows:
        return pd.DataFrame(columns=columns)
    frame = pd.DataFrame(rows, columns=["orientation_id", "bucket", "choice", "n"])
    wide = frame.pivot_table(index=["orientation_id", "bucket"], columns="choice", values="n", aggfunc="sum")
    wide = wide.reindex(columns=list(CHOICES), fill_value=0).fillna(0).astype(int)
    wide = wide.groupby(level="orientation_id").cumsum().reset_index()
    # The end of each quarter hour: the counts as they stood then.
    wide["at"] = pd.to_datetime((wide["bucket"] + 1) * TIME_BUCKET_S, unit="s", utc=True).dt.tz_convert(PARIS)
    return wide[columns]


def vote_version(session: Session) -> int:
    """Changes with every stance given or changed and every paper entry or withdrawal: the live caches' key."""
    return int(session.execute(core_select(func.coalesce(func.max(col(VoteEvent.id)), 0))).scalar_one())


@dataclass(frozen=True)
class VoteSummary:
    voters: int  # devices that gave at least one stance
    stances: int  # stances stored now (devices and paper ballots, « passer » included)
    paper: int  # of which paper ballots


def vote_summary(session: Session, *, edition_id: int | None = None) -> VoteSummary:
    """The headline counts: devices that weighed in (from the participants, not the stances) and stances."""
    edition = resolve_edition_id(session=session, edition_id=edition_id)
    voters = session.exec(
        select(func.count())
        .select_from(Participant)
        .where(Participant.edition_id == edition, col(Participant.first_vote_at).is_not(None))
    ).one()
    totals = session.exec(
        select(VoteTally.origin, func.sum(VoteTally.n))
        .join(Orientation, col(Orientation.id) == col(VoteTally.orientation_id))
        .where(Orientation.edition_id == edition)
        .group_by(col(VoteTally.origin))
    ).all()
    by_origin = {origin: int(n or 0) for origin, n in totals}
    return VoteSummary(
        voters=int(voters),
        stances=sum(by_origin.values()),
        paper=by_origin.get(VoteOrigin.PAPER.value, 0),
    )


def new_devices_per_minute(
    session: Session, *, minutes: int = 30, now: datetime | None = None, edition_id: int | None = None
) -> pd.DataFrame:
    """Phones seen for the first time, per minute over the last `minutes` (Paris time): a burst shows a device
    that votes again after clearing its cookie, or a script. Columns: minute, devices (0 for quiet minutes)."""
    edition = resolve_edition_id(session=session, edition_id=edition_id)
    end = (now or utcnow()).astimezone(UTC).replace(second=0, microsecond=0) + timedelta(minutes=1)
    start = end - timedelta(minutes=minutes)
    created = session.exec(
        select(Participant.created_at).where(
            Participant.edition_id == edition, col(Participant.created_at) >= start, col(Participant.created_at) < end
        )
    ).all()
    per_minute: dict[datetime, int] = {}
    for at in created:
        key = at.astimezone(UTC).replace(second=0, microsecond=0)
        per_minute[key] = per_minute.get(key, 0) + 1
    slots = [start + timedelta(minutes=i) for i in range(minutes)]
    return pd.DataFrame(
        {"minute": [s.astimezone(PARIS) for s in slots], "devices": [per_minute.get(s, 0) for s in slots]}
    )


# ---------------------------------------------------------------------------------------------
# The published « pourquoi ? » behind each stance


@dataclass(frozen=True)
class Reason:
    orientation_id: int
    choice: str
    title: str
    text: str
    supports: int


def representative_reasons(
    session: Session, *, orientation_ids: Sequence[int], per_choice: int = 1, edition_id: int | None = None
) -> dict[int, list[Reason]]:
    """For each orientation, a few published reasons per side (agree, with reservations, disagree): the most
    supported first, then the newest. Published and masked texts only."""
    edition = resolve_edition_id(session=session, edition_id=edition_id)
    by_stance = {stance: choice for choice, stance in CONTRIBUTION_STANCE.items() if stance is not None}
    if not orientation_ids:
        return {}
    supports = (
        select(ContributionSupport.contribution_id, func.count().label("n"))
        .group_by(col(ContributionSupport.contribution_id))
        .subquery()
    )
    support_count = func.coalesce(supports.c.n, 0)
    stmt = (
        core_select(
            col(Contribution.orientation_id),
            col(Contribution.stance),
            col(Contribution.title),
            published_text(),
            support_count,
        )
        .join(Orientation, col(Orientation.id) == col(Contribution.orientation_id))
        .outerjoin(supports, supports.c.contribution_id == col(Contribution.id))
        .where(
            col(Contribution.orientation_id).in_(list(orientation_ids)),
            col(Orientation.edition_id) == edition,
            col(Contribution.stance).in_(list(by_stance)),
            col(Contribution.status) == ModerationStatus.PUBLISHED.value,
        )
        .order_by(support_count.desc(), col(Contribution.created_at).desc())
    )
    result: dict[int, list[Reason]] = {}
    taken: dict[tuple[int, str], int] = {}
    for orientation_id, stance, title, text, n in session.execute(stmt).all():
        choice = by_stance[str(stance)]
        key = (int(orientation_id), choice)
        if taken.get(key, 0) >= per_choice:
            continue
        taken[key] = taken.get(key, 0) + 1
        result.setdefault(int(orientation_id), []).append(
            Reason(int(orientation_id), choice, published_title(title or ""), str(text), int(n))
        )
    order = {c: i for i, c in enumerate(CHOICES)}
    return {k: sorted(v, key=lambda r: order[r.choice]) for k, v in result.items()}
