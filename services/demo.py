"""A realistic demo day of one edition (marked `is_demo`, removable): workshops, questionnaire, conference, circuit.

The demo texts (assets/demo/contributions.yaml) are written for the themes of the 2016 pack; another edition's
themes get them in turn, by position, when their codes differ. Dates follow the edition's own conference day,
départements its Région.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import delete, func
from sqlmodel import Session, col, select

from models import (
    Answer,
    Contribution,
    ContributionGroupMember,
    ContributionSupport,
    ContributionTag,
    Departement,
    Edition,
    ModerationStatus,
    Orientation,
    OrientationLink,
    PaperBallot,
    Participant,
    Question,
    Questionnaire,
    QuestionnaireResponse,
    QuestionnaireSection,
    Source,
    Stance,
    Stand,
    StandVisit,
    Theme,
)
from services import votes
from services.contributions import ContributionDraft, submit_contribution
from services.errors import NotFoundError
from services.formatting import PARIS
from services.participants import ParticipantRef, create_participant
from services.permissions import CONSOLE_ACTOR
from services.scope import require_writable, resolve_edition_id, theme_ids

DEMO_FILE = Path(__file__).resolve().parent.parent / "assets" / "demo" / "contributions.yaml"
ACTOR_TYPES = ["association", "cooperative", "mutual", "foundation", "ess_company", "network", "public_body"]
# Named after no place: the demo runs for any Région.
ORGANISATIONS = [
    "Association Solidarités locales",
    "SCOP Les Ateliers du Val",
    "Mutuelle solidaire du territoire",
    "Ressourcerie du pays",
    "Coopérative d'activité et d'emploi",
    "Fédération des centres sociaux",
]


@dataclass(frozen=True)
class DemoReport:
    participants: int
    contributions: int
    visits: int
    responses: int
    supports: int
    stances: int = 0  # the adequacy check: stances given on the phones
    paper_ballots: int = 0  # and counted on paper


def _at(day: datetime, hour: float) -> datetime:
    return day + timedelta(hours=hour)


def conference_day(start_date: date) -> datetime:
    """Midnight, Paris time, of the edition's first day: the demo's hours are counted from it."""
    return datetime.combine(start_date, time(0, 0), tzinfo=PARIS)


def _demo_items() -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = yaml.safe_load(DEMO_FILE.read_text(encoding="utf-8"))["contributions"]
    return items


def _theme_of_item(session: Session, edition_id: int, items: list[dict[str, Any]]) -> dict[str, int]:
    """Each demo theme code → a theme of the edition: the same code when it has one, else the next theme in order."""
    themes = session.exec(
        select(Theme).where(Theme.edition_id == edition_id).order_by(col(Theme.position), col(Theme.id))
    ).all()
    by_code = {t.code: t.id or 0 for t in themes}
    mapping: dict[str, int] = {}
    for index, code in enumerate(dict.fromkeys(str(item["theme"]) for item in items)):
        mapping[code] = by_code.get(code) or (themes[index % len(themes)].id or 0)
    return mapping


def _departements(session: Session, region_code: str) -> list[str]:
    """The codes a demo participant may give: the edition's Région's départements."""
    return list(
        session.exec(
            select(Departement.code).where(Departement.region_code == region_code).order_by(col(Departement.code))
        ).all()
    )


def _edition(session: Session, edition_id: int | None) -> Edition:
    row = session.get(Edition, resolve_edition_id(session=session, edition_id=edition_id))
    if row is None or row.id is None:
        raise NotFoundError("Cette édition n'existe pas.")
    return row


def seed_demo(
    session: Session, *, seed: int = 2016, participants: int = 120, edition_id: int | None = None
) -> DemoReport:
    """Create the demo day of an edition (the default one by default); run again, it adds nothing (demo rows are
    removed first by `remove_demo`). Refused for an archived edition."""
    edition = _edition(session, edition_id)
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
    departements = _departements(session, edition.region_code)
    outside = set(session.exec(select(Departement.code).where(col(Departement.region_code).is_(None))).all())
    items = _demo_items()
    theme_of = _theme_of_item(session, edition.id, items)
    orientations = {
        o.code: o for o in session.exec(select(Orientation).where(Orientation.edition_id == edition.id)).all()
    }
    stands_by_theme: dict[int, list[Stand]] = {}
    for stand in session.exec(
        select(Stand).where(Stand.edition_id == edition.id, col(Stand.active)).order_by(col(Stand.position))
    ).all():
        stands_by_theme.setdefault(stand.theme_id, []).append(stand)
    every_stand = [s for ss in stands_by_theme.values() for s in ss]

    people = [create_participant(session=session, is_demo=True, edition_id=edition.id) for _ in range(participants)]
    visits = 0
    for person in people:
        # Hunters walk the circuit between the two plenaries (10:30–13:30): distinct stands, one visit each.
        for stand in rng.sample(every_stand, k=min(len(every_stand), rng.randint(0, 9))):
            at = _at(day, rng.uniform(10.5, 13.5))
            session.add(StandVisit(stand_id=stand.id or 0, participant_id=person.id, created_at=at, is_demo=True))
            visits += 1
    session.flush()

    created: list[int] = []
    for index, item in enumerate(items):
        theme_id = theme_of[str(item["theme"])]
        orientation = orientations.get(item.get("orientation") or "")
        if orientation is not None and orientation.theme_id != theme_id:
            orientation = None  # the same code names another idea in this edition
        departement = item.get("departement")
        if departement and departement not in departements and departement not in outside:
            departement = rng.choice(departements) if departements else None  # written for another Région
        roll = rng.random()
        stand_id = None
        if roll < 0.15:
            source, at = (
                Source.WORKSHOP.value,
                _at(day - timedelta(days=rng.randint(40, 70)), rng.uniform(9.5, 17)),
            )
        elif roll < 0.45 and stands_by_theme.get(theme_id):
            source, at = Source.TREASURE_HUNT.value, _at(day, rng.uniform(10.6, 13.6))
            stand_id = rng.choice(stands_by_theme[theme_id]).id
        else:
            source, at = (
                Source.CONFERENCE.value,
                _at(day, rng.choice([rng.uniform(9.5, 12.5), rng.uniform(14, 16.5)])),
            )
        author = rng.choice(people) if source != Source.WORKSHOP.value else None
        organisation = rng.choice(ORGANISATIONS) if rng.random() < 0.3 else ""
        receipt = submit_contribution(
            session=session,
            draft=ContributionDraft(
                theme_id=theme_id,
                body=item["text"],
                title=item.get("title") or "",
                orientation_id=orientation.id if orientation is not None else None,
                stance=item.get("stance")
                if orientation is not None or item.get("stance") == Stance.NEW_PROPOSAL.value
                else None,
                source=source,
                actor_type=item.get("actor_type"),
                departement=departement,
                organisation=organisation,
                display_mode="organisation" if organisation else "anonymous",
                participant_id=author.id if author else None,
                stand_id=stand_id,
                idempotency_key=f"demo-{edition.id}-{seed}-{index:05d}",
                status=ModerationStatus.PUBLISHED.value if rng.random() < 0.7 else ModerationStatus.PENDING.value,
                is_demo=True,
                created_at=at,
            ),
            edition_id=edition.id,
        )
        created.append(receipt.contribution_id)

    supports = 0
    for contribution_id in rng.sample(created, k=min(25, len(created))):
        for person in rng.sample(people, k=rng.randint(1, 6)):
            session.add(ContributionSupport(contribution_id=contribution_id, participant_id=person.id, is_demo=True))
            supports += 1
    session.flush()

    responses, answer_contributions = _seed_questionnaire(
        session=session, rng=rng, seed=seed, edition=edition, departements=departements, day=day
    )
    stances, paper = _seed_votes(
        session=session, rng=rng, seed=seed, edition=edition, people=people, departements=departements, day=day
    )
    return DemoReport(len(people), len(created) + answer_contributions, visits, responses, supports, stances, paper)


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


def _seed_votes(
    session: Session,
    *,
    rng: random.Random,
    seed: int,
    edition: Edition,
    people: list[ParticipantRef],
    departements: list[str],
    day: datetime,
) -> tuple[int, int]:
    """Demo stances through the real path (services.votes.cast_vote, so the rollups hold them) over the day,
    a few changed later, and one entry of paper ballots; nothing on a theme whose vote is closed."""
    assert edition.id is not None
    items = votes.ballot(session=session, edition_id=edition.id)
    if not items:
        return 0, 0
    stands: dict[int, list[str]] = {}
    for code, theme_id in session.exec(
        select(Stand.code, Stand.theme_id).where(Stand.edition_id == edition.id, col(Stand.active))
    ).all():
        stands.setdefault(theme_id, []).append(code)
    choices = list(votes.CHOICES)
    stances = 0
    for person in people:
        row = session.get(Participant, person.id)
        if row is not None and rng.random() < 0.6:  # some describe themselves, for the filters
            row.actor_type = rng.choice(ACTOR_TYPES)
            row.departement = rng.choice(departements) if departements else None
            session.add(row)
    session.flush()
    for person in people:
        # Between the first plenary and the second: most weigh in on part of the ballot, some on all of it.
        share = rng.choice([0.3, 0.6, 0.9, 1.0])
        planned = []
        for index, item in enumerate(items):
            if item.open and rng.random() <= share:
                choice = rng.choices(choices, weights=_profile(index))[0]
                planned.append((_at(day, rng.uniform(9.75, 15.5)), item, choice))
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
                edition_id=edition.id,
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
                    edition_id=edition.id,
                )
    # One urn of paper ballots, counted at the end of the day, on the first theme's orientations.
    first_theme = [i for i in items if i.theme_id == items[0].theme_id]
    lines = [
        votes.PaperLine(i.id, {c: rng.randint(1 if c == choices[0] else 0, 6) for c in choices}) for i in first_theme
    ]
    entry = votes.enter_paper_ballots(
        session=session,
        lines=lines,
        source="Urne de l'accueil (démonstration)",
        actor=CONSOLE_ACTOR,
        batch=f"demo-{edition.id}-{seed}",
        now=_at(day, 16.75),
        is_demo=True,
        edition_id=edition.id,
    )
    return stances, entry.ballots


def _seed_questionnaire(
    session: Session, *, rng: random.Random, seed: int, edition: Edition, departements: list[str], day: datetime
) -> tuple[int, int]:
    questionnaire = session.exec(
        select(Questionnaire).where(Questionnaire.edition_id == edition.id).order_by(col(Questionnaire.id))
    ).first()
    if questionnaire is None:
        return 0, 0
    questions = session.exec(
        select(Question).where(Question.questionnaire_id == questionnaire.id).order_by(col(Question.position))
    ).all()
    theme_of_section = {
        s.id: s.theme_id
        for s in session.exec(
            select(QuestionnaireSection).where(QuestionnaireSection.questionnaire_id == questionnaire.id)
        ).all()
    }
    demo_texts = _demo_items()
    assert edition.id is not None
    theme_of = _theme_of_item(session, edition.id, demo_texts)
    texts_by_theme: dict[int, list[str]] = {}
    for item in demo_texts:
        texts_by_theme.setdefault(theme_of[str(item["theme"])], []).append(item["text"])

    responses = contributions = 0
    for n in range(40):
        submitted = day - timedelta(days=rng.randint(8, 45), hours=rng.uniform(-6, 6))
        response = QuestionnaireResponse(
            questionnaire_id=questionnaire.id or 0,
            origin="online",
            fingerprint=f"demo-{edition.id}-{seed}-{n}",
            status="submitted",
            organisation=rng.choice(ORGANISATIONS),
            actor_type=rng.choice(ACTOR_TYPES),
            departement=rng.choice(departements) if departements else None,
            consent_at=submitted,
            submitted_at=submitted,
            created_at=submitted,
            updated_at=submitted,
            is_demo=True,
        )
        session.add(response)
        session.flush()
        responses += 1
        for q in questions:
            answer = Answer(response_id=response.id or 0, question_id=q.id or 0)
            if q.qtype == "scale":
                answer.value_number = float(rng.choices([1, 2, 3, 4, 5], weights=[1, 2, 4, 5, 3])[0])
            elif q.qtype == "yesno":
                answer.value_text = rng.choice(["oui", "oui", "non"])
            elif q.qtype == "single" and q.choices:
                answer.value_text = rng.choice(q.choices)
            elif q.qtype == "multiple" and q.choices:
                answer.value_choices = rng.sample(q.choices, k=rng.randint(1, min(3, len(q.choices))))
            elif q.qtype == "open":
                theme_id = theme_of_section.get(q.section_id)
                if theme_id is None or theme_id not in texts_by_theme or rng.random() < 0.5:
                    continue
                answer.value_text = rng.choice(texts_by_theme[theme_id])
                submit_contribution(
                    session=session,
                    draft=ContributionDraft(
                        theme_id=theme_id,
                        body=answer.value_text,
                        source=Source.QUESTIONNAIRE.value,
                        actor_type=response.actor_type,
                        departement=response.departement,
                        organisation=response.organisation,
                        response_id=response.id,
                        question_id=q.id,
                        idempotency_key=f"demo-{edition.id}-{seed}-q{n:03d}-{q.id}",
                        status=ModerationStatus.PUBLISHED.value,
                        is_demo=True,
                        created_at=submitted,
                    ),
                    edition_id=edition.id,
                )
                contributions += 1
            session.add(answer)
    session.flush()
    return responses, contributions


def remove_demo(session: Session, *, edition_id: int | None = None) -> dict[str, int]:
    """Delete every demo row of an edition (and what hangs off it), leaving real data and other editions untouched."""
    edition = _edition(session, edition_id)
    assert edition.id is not None
    require_writable(session=session, edition_id=edition.id)
    ours = theme_ids(session=session, edition_id=edition.id)
    demo_contributions = select(Contribution.id).where(col(Contribution.is_demo), col(Contribution.theme_id).in_(ours))
    demo_responses = select(QuestionnaireResponse.id).where(
        col(QuestionnaireResponse.is_demo),
        col(QuestionnaireResponse.questionnaire_id).in_(
            select(Questionnaire.id).where(Questionnaire.edition_id == edition.id)
        ),
    )
    demo_participants = select(Participant.id).where(col(Participant.is_demo), Participant.edition_id == edition.id)
    removed: dict[str, int] = {}
    # Stances and paper ballots leave their rollups with them (services.votes), before their participants go.
    demo_voters = list(session.exec(demo_participants).all())
    removed["votes"] = votes.forget_votes(session=session, participant_ids=[p for p in demo_voters if p is not None])
    demo_paper = select(PaperBallot.id).where(
        col(PaperBallot.is_demo),
        col(PaperBallot.orientation_id).in_(select(Orientation.id).where(Orientation.edition_id == edition.id)),
    )
    removed["paper_ballots"] = votes.forget_paper_ballots(
        session=session, paper_ids=[p for p in session.exec(demo_paper).all() if p is not None]
    )
    steps: list[tuple[str, Any]] = [
        (
            "supports",
            delete(ContributionSupport).where(
                col(ContributionSupport.contribution_id).in_(demo_contributions)
                | col(ContributionSupport.participant_id).in_(demo_participants)
            ),
        ),
        ("tags", delete(ContributionTag).where(col(ContributionTag.contribution_id).in_(demo_contributions))),
        (
            "group_members",
            delete(ContributionGroupMember).where(col(ContributionGroupMember.contribution_id).in_(demo_contributions)),
        ),
        ("links", delete(OrientationLink).where(col(OrientationLink.contribution_id).in_(demo_contributions))),
        (
            "contributions",
            delete(Contribution).where(col(Contribution.is_demo), col(Contribution.theme_id).in_(ours)),
        ),
        ("answers", delete(Answer).where(col(Answer.response_id).in_(demo_responses))),
        ("responses", delete(QuestionnaireResponse).where(col(QuestionnaireResponse.id).in_(demo_responses))),
        ("visits", delete(StandVisit).where(col(StandVisit.participant_id).in_(demo_participants))),
        ("participants", delete(Participant).where(col(Participant.id).in_(demo_participants))),
    ]
    for name, stmt in steps:
        removed[name] = session.execute(stmt).rowcount or 0  # type: ignore[attr-defined]
    return removed
