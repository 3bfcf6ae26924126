"""The demo day's adequacy check: stances given on the phones over the day, and one urn of paper ballots."""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from sqlmodel import Session, col, select

from models import Participant, Stand
from services import votes
from services.demo.common import ACTOR_TYPES, DemoDay, at_hour
from services.participants import ParticipantRef
from services.permissions import CONSOLE_ACTOR

# How a room answers (agree, reservations, disagree, skip): most orientations broadly agreed, some dividing the
# room, a few rejected, so that every view of the verdict has something to show.
AGREED = (0.50, 0.25, 0.12, 0.13)
DIVIDED = (0.24, 0.16, 0.45, 0.15)
REJECTED = (0.10, 0.10, 0.65, 0.15)


def _profile(index: int) -> tuple[float, ...]:
    if index % 6 == 2:
        return DIVIDED
    if index % 8 == 5:
        return REJECTED
    return AGREED


def seed_votes(session: Session, demo: DemoDay) -> tuple[int, int]:
    """Demo stances through the real path (services.votes.cast_vote, so the rollups hold them) over the day,
    a few changed later, and one entry of paper ballots; nothing on a theme whose vote is closed."""
    rng, edition_id = demo.rng, demo.edition_id
    items = votes.ballot(session=session, edition_id=edition_id)
    if not items:
        return 0, 0
    stands: dict[int, list[str]] = {}
    for code, theme_id in session.exec(
        select(Stand.code, Stand.theme_id).where(Stand.edition_id == edition_id, col(Stand.active))
    ).all():
        stands.setdefault(theme_id, []).append(code)
    _describe_people(session, rng, demo.people, demo.departements)
    stances = sum(
        _weigh_in(session, rng, person, items=items, stands=stands, day=demo.day, edition_id=edition_id)
        for person in demo.people
    )
    return stances, _paper_urn(session, rng, items=items, seed=demo.seed, edition_id=edition_id, day=demo.day)


def _describe_people(
    session: Session, rng: random.Random, people: list[ParticipantRef], departements: list[str]
) -> None:
    """Some phones describe themselves (actor type, département), for the results' filters."""
    for person in people:
        row = session.get(Participant, person.id)
        if row is not None and rng.random() < 0.6:
            row.actor_type = rng.choice(ACTOR_TYPES)
            row.departement = rng.choice(departements) if departements else None
            session.add(row)
    session.flush()


def _weigh_in(
    session: Session,
    rng: random.Random,
    person: ParticipantRef,
    *,
    items: list[votes.BallotItem],
    stands: dict[int, list[str]],
    day: datetime,
    edition_id: int,
) -> int:
    """One phone's stances, between the first plenary and the second: most weigh in on part of the ballot, some
    on all of it, from the cards, a stand or elsewhere; one in twenty changes its mind later. How many given."""
    choices = list(votes.CHOICES)
    share = rng.choice([0.3, 0.6, 0.9, 1.0])
    planned = []
    for index, item in enumerate(items):
        if item.open and rng.random() <= share:
            choice = rng.choices(choices, weights=_profile(index))[0]
            planned.append((at_hour(day, rng.uniform(9.75, 15.5)), item, choice))
    stances = 0
    for at, item, choice in sorted(planned, key=lambda p: p[0]):
        origin = rng.choices(list(votes.DEVICE_ORIGINS), weights=[3, 6, 1])[0]
        stand_code = rng.choice(stands[item.theme_id]) if stands.get(item.theme_id) else None
        if origin == "stand" and stand_code is None:
            origin = "cards"
        votes.cast_vote(
            session=session,
            device_token=person.device_token,
            orientation_id=item.id,
            choice=choice,
            origin=origin,
            stand_code=stand_code if origin == "stand" else None,
            now=at,
            is_demo=True,
            edition_id=edition_id,
        )
        stances += 1
        if rng.random() < 0.05:  # a change of mind later in the day
            votes.cast_vote(
                session=session,
                device_token=person.device_token,
                orientation_id=item.id,
                choice=rng.choice([c for c in choices if c != choice]),
                origin="cards",
                now=at + timedelta(minutes=rng.randint(20, 90)),
                is_demo=True,
                edition_id=edition_id,
            )
    return stances


def _paper_urn(
    session: Session, rng: random.Random, *, items: list[votes.BallotItem], seed: int, edition_id: int, day: datetime
) -> int:
    """One urn of paper ballots, counted at the end of the day, on the first theme's orientations."""
    choices = list(votes.CHOICES)
    first_theme = [i for i in items if i.theme_id == items[0].theme_id]
    lines = [
        votes.PaperLine(i.id, {c: rng.randint(1 if c == choices[0] else 0, 6) for c in choices}) for i in first_theme
    ]
    entry = votes.enter_paper_ballots(
        session=session,
        lines=lines,
        source="Urne de l'accueil (démonstration)",
        actor=CONSOLE_ACTOR,
        batch=f"demo-{edition_id}-{seed}",
        now=at_hour(day, 16.75),
        is_demo=True,
        edition_id=edition_id,
    )
    return entry.ballots
