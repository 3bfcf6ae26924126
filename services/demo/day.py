"""The demo day itself: phones walking the circuit, contributions from the workshops, the conference and the
stands, supports; then the questionnaire's answers and the adequacy check's stances (their own modules)."""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, col, select

from models import (
    Contribution,
    ContributionSupport,
    Departement,
    ModerationStatus,
    Orientation,
    Source,
    Stance,
    Stand,
    StandVisit,
)
from services.contributions import ContributionDraft, submit_contribution
from services.demo.common import (
    ORGANISATIONS,
    DemoDay,
    DemoReport,
    at_hour,
    conference_day,
    demo_edition,
    demo_items,
    region_departements,
    theme_of_item,
)
from services.demo.questionnaire import seed_questionnaire
from services.demo.stances import seed_votes
from services.participants import ParticipantRef, create_participant
from services.scope import require_writable, theme_ids


def seed_demo(
    session: Session, *, seed: int = 2016, participants: int = 120, edition_id: int | None = None
) -> DemoReport:
    """Create the demo day of an edition (the default one by default); run again, it adds nothing (demo rows are
    removed first by `remove_demo`). Refused for an archived edition."""
    edition = demo_edition(session, edition_id)
    assert edition.id is not None
    require_writable(session=session, edition_id=edition.id)
    ours = theme_ids(session=session, edition_id=edition.id)
    if not ours:
        return DemoReport(0, 0, 0, 0, 0)
    if session.exec(
        select(func.count())
        .select_from(Contribution)
        .where(col(Contribution.is_demo), col(Contribution.theme_id).in_(ours))
    ).one():
        return DemoReport(0, 0, 0, 0, 0)
    rng = random.Random(seed)  # noqa: S311  (reproducible demo data, not a secret)
    day = conference_day(edition.start_date)
    departements = region_departements(session, edition.region_code)
    stands_by_theme = _stands_by_theme(session, edition.id)
    people = [create_participant(session=session, is_demo=True, edition_id=edition.id) for _ in range(participants)]
    demo = DemoDay(rng, seed, edition.id, day, departements, people)
    visits = _walk_the_circuit(session, demo, [s for ss in stands_by_theme.values() for s in ss])
    created = _seed_contributions(session, demo, stands_by_theme)
    supports = _seed_supports(session, rng, created, people)
    responses, answer_contributions = seed_questionnaire(session, demo)
    stances, paper = seed_votes(session, demo)
    return DemoReport(len(people), len(created) + answer_contributions, visits, responses, supports, stances, paper)


def _stands_by_theme(session: Session, edition_id: int) -> dict[int, list[Stand]]:
    """The edition's open stands, in circuit order, by theme."""
    stands_by_theme: dict[int, list[Stand]] = {}
    for stand in session.exec(
        select(Stand).where(Stand.edition_id == edition_id, col(Stand.active)).order_by(col(Stand.position))
    ).all():
        stands_by_theme.setdefault(stand.theme_id, []).append(stand)
    return stands_by_theme


def _walk_the_circuit(session: Session, demo: DemoDay, every_stand: list[Stand]) -> int:
    """Hunters walk the circuit between the two plenaries (10:30–13:30): distinct stands, one visit each."""
    rng, day = demo.rng, demo.day
    visits = 0
    for person in demo.people:
        for stand in rng.sample(every_stand, k=min(len(every_stand), rng.randint(0, 9))):
            at = at_hour(day, rng.uniform(10.5, 13.5))
            session.add(StandVisit(stand_id=stand.id or 0, participant_id=person.id, created_at=at, is_demo=True))
            visits += 1
    session.flush()
    return visits


def _where_and_when(rng: random.Random, day: datetime, stands: list[Stand] | None) -> tuple[str, datetime, int | None]:
    """Where a contribution was written (workshop weeks before, a stand of its theme, the conference) and when."""
    roll = rng.random()
    if roll < 0.15:
        return Source.WORKSHOP.value, at_hour(day - timedelta(days=rng.randint(40, 70)), rng.uniform(9.5, 17)), None
    if roll < 0.45 and stands:
        at = at_hour(day, rng.uniform(10.6, 13.6))
        return Source.TREASURE_HUNT.value, at, rng.choice(stands).id
    return Source.CONFERENCE.value, at_hour(day, rng.choice([rng.uniform(9.5, 12.5), rng.uniform(14, 16.5)])), None


def _seed_contributions(session: Session, demo: DemoDay, stands_by_theme: dict[int, list[Stand]]) -> list[int]:
    """The demo texts as contributions through the real path (services.contributions); their ids."""
    rng, day, departements = demo.rng, demo.day, demo.departements
    outside = set(session.exec(select(Departement.code).where(col(Departement.region_code).is_(None))).all())
    items = demo_items()
    theme_of = theme_of_item(session, demo.edition_id, items)
    orientations = {
        o.code: o for o in session.exec(select(Orientation).where(Orientation.edition_id == demo.edition_id)).all()
    }
    created: list[int] = []
    for index, item in enumerate(items):
        theme_id = theme_of[str(item["theme"])]
        orientation = orientations.get(item.get("orientation") or "")
        if orientation is not None and orientation.theme_id != theme_id:
            orientation = None  # the same code names another idea in this edition
        departement = item.get("departement")
        if departement and departement not in departements and departement not in outside:
            departement = rng.choice(departements) if departements else None  # written for another Région
        source, at, stand_id = _where_and_when(rng, day, stands_by_theme.get(theme_id))
        author = rng.choice(demo.people) if source != Source.WORKSHOP.value else None
        organisation = rng.choice(ORGANISATIONS) if rng.random() < 0.3 else ""
        draft = ContributionDraft(
            theme_id=theme_id,
            body=item["text"],
            title=item.get("title") or "",
            orientation_id=orientation.id if orientation is not None else None,
            stance=_stance(item, orientation),
            source=source,
            actor_type=item.get("actor_type"),
            departement=departement,
            organisation=organisation,
            display_mode="organisation" if organisation else "anonymous",
            participant_id=author.id if author else None,
            stand_id=stand_id,
            idempotency_key=f"demo-{demo.edition_id}-{demo.seed}-{index:05d}",
            status=ModerationStatus.PUBLISHED.value if rng.random() < 0.7 else ModerationStatus.PENDING.value,
            is_demo=True,
            created_at=at,
        )
        created.append(submit_contribution(session=session, draft=draft, edition_id=demo.edition_id).contribution_id)
    return created


def _stance(item: dict[str, Any], orientation: Orientation | None) -> str | None:
    """The item's stance when it speaks of an orientation of this edition, or proposes a new one."""
    if orientation is not None or item.get("stance") == Stance.NEW_PROPOSAL.value:
        stance: str | None = item.get("stance")
        return stance
    return None


def _seed_supports(session: Session, rng: random.Random, created: list[int], people: list[ParticipantRef]) -> int:
    """Phones supporting some of the contributions (« moi aussi »)."""
    supports = 0
    for contribution_id in rng.sample(created, k=min(25, len(created))):
        for person in rng.sample(people, k=rng.randint(1, 6)):
            session.add(ContributionSupport(contribution_id=contribution_id, participant_id=person.id, is_demo=True))
            supports += 1
    session.flush()
    return supports
