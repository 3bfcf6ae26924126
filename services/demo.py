"""A realistic demo day (marked `is_demo`, removable): workshops, questionnaire, conference, circuit."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta
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
    ModerationStatus,
    Orientation,
    OrientationLink,
    Participant,
    Question,
    Questionnaire,
    QuestionnaireResponse,
    QuestionnaireSection,
    Source,
    Stand,
    StandVisit,
    Theme,
)
from services.circuit import record_stand_visit
from services.contributions import ContributionDraft, submit_contribution
from services.formatting import PARIS
from services.participants import create_participant

DEMO_FILE = Path(__file__).resolve().parent.parent / "assets" / "demo" / "contributions.yaml"
CONFERENCE_DAY = datetime(2016, 6, 28, tzinfo=PARIS)
ACTOR_TYPES = ["association", "cooperative", "mutual", "foundation", "ess_company", "network", "public_body"]
DEPARTEMENTS = ["44", "44", "44", "49", "49", "53", "72", "72", "85", "85"]
ORGANISATIONS = [
    "Association Solidarités Anjou",
    "SCOP Les Ateliers du Val",
    "Mutuelle des Mauges",
    "Ressourcerie du Maine",
    "Coopérative d'activité Ouest",
    "Fédération des centres sociaux",
]


@dataclass(frozen=True)
class DemoReport:
    participants: int
    contributions: int
    visits: int
    responses: int
    supports: int


def _at(day: datetime, hour: float) -> datetime:
    return day + timedelta(hours=hour)


def seed_demo(*, session: Session, seed: int = 2016, participants: int = 120) -> DemoReport:
    """Create the demo day; run again, it adds nothing (demo rows are removed first by `remove_demo`)."""
    if session.exec(select(func.count()).select_from(Contribution).where(col(Contribution.is_demo))).one():
        return DemoReport(0, 0, 0, 0, 0)
    rng = random.Random(seed)  # noqa: S311  (reproducible demo data, not a secret)
    items: list[dict[str, Any]] = yaml.safe_load(DEMO_FILE.read_text(encoding="utf-8"))["contributions"]
    themes = {t.code: t.id for t in session.exec(select(Theme)).all()}
    orientations = {o.code: o.id for o in session.exec(select(Orientation)).all()}
    stands_by_theme: dict[int, list[Stand]] = {}
    for stand in session.exec(select(Stand).where(col(Stand.active))).all():
        stands_by_theme.setdefault(stand.theme_id, []).append(stand)

    people = [create_participant(session=session, is_demo=True) for _ in range(participants)]
    visits = 0
    for person in people:
        # Hunters walk the circuit between the two plenaries (10:30–13:30).
        for stand in rng.sample([s for ss in stands_by_theme.values() for s in ss], k=rng.randint(0, 9)):
            at = _at(CONFERENCE_DAY, rng.uniform(10.5, 13.5))
            visits += int(
                record_stand_visit(
                    session=session, participant_id=person.id, stand_code=stand.code, at=at, is_demo=True
                )
            )

    created: list[int] = []
    for index, item in enumerate(items):
        theme_id = themes[item["theme"]]
        roll = rng.random()
        stand_id = None
        if roll < 0.15:
            source, at = (
                Source.WORKSHOP.value,
                _at(CONFERENCE_DAY - timedelta(days=rng.randint(40, 70)), rng.uniform(9.5, 17)),
            )
        elif roll < 0.45 and stands_by_theme.get(theme_id):
            source, at = Source.TREASURE_HUNT.value, _at(CONFERENCE_DAY, rng.uniform(10.6, 13.6))
            stand_id = rng.choice(stands_by_theme[theme_id]).id
        else:
            source, at = (
                Source.CONFERENCE.value,
                _at(CONFERENCE_DAY, rng.choice([rng.uniform(9.5, 12.5), rng.uniform(14, 16.5)])),
            )
        author = rng.choice(people) if source != Source.WORKSHOP.value else None
        organisation = rng.choice(ORGANISATIONS) if rng.random() < 0.3 else ""
        receipt = submit_contribution(
            session=session,
            draft=ContributionDraft(
                theme_id=theme_id,
                body=item["text"],
                title=item.get("title") or "",
                orientation_id=orientations.get(item.get("orientation") or ""),
                stance=item.get("stance"),
                source=source,
                actor_type=item.get("actor_type"),
                departement=item.get("departement"),
                organisation=organisation,
                display_mode="organisation" if organisation else "anonymous",
                participant_id=author.id if author else None,
                stand_id=stand_id,
                idempotency_key=f"demo-{seed}-{index:05d}",
                status=ModerationStatus.PUBLISHED.value if rng.random() < 0.7 else ModerationStatus.PENDING.value,
                is_demo=True,
                created_at=at,
            ),
        )
        created.append(receipt.contribution_id)

    supports = 0
    for contribution_id in rng.sample(created, k=min(25, len(created))):
        for person in rng.sample(people, k=rng.randint(1, 6)):
            session.add(ContributionSupport(contribution_id=contribution_id, participant_id=person.id, is_demo=True))
            supports += 1
    session.flush()

    responses, answer_contributions = _seed_questionnaire(session=session, rng=rng, seed=seed)
    return DemoReport(len(people), len(created) + answer_contributions, visits, responses, supports)


def _seed_questionnaire(*, session: Session, rng: random.Random, seed: int) -> tuple[int, int]:
    questionnaire = session.exec(select(Questionnaire).order_by(col(Questionnaire.id))).first()
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
    demo_texts: list[dict[str, Any]] = yaml.safe_load(DEMO_FILE.read_text(encoding="utf-8"))["contributions"]
    themes = {t.code: t.id for t in session.exec(select(Theme)).all()}
    texts_by_theme: dict[int, list[str]] = {}
    for item in demo_texts:
        texts_by_theme.setdefault(themes[item["theme"]], []).append(item["text"])

    responses = contributions = 0
    for n in range(40):
        submitted = CONFERENCE_DAY - timedelta(days=rng.randint(8, 45), hours=rng.uniform(-6, 6))
        response = QuestionnaireResponse(
            questionnaire_id=questionnaire.id or 0,
            origin="online",
            fingerprint=f"demo-{seed}-{n}",
            status="submitted",
            organisation=rng.choice(ORGANISATIONS),
            actor_type=rng.choice(ACTOR_TYPES),
            departement=rng.choice(DEPARTEMENTS),
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
                if theme_id is None or rng.random() < 0.5:
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
                        idempotency_key=f"demo-{seed}-q{n:03d}-{q.id}",
                        status=ModerationStatus.PUBLISHED.value,
                        is_demo=True,
                        created_at=submitted,
                    ),
                )
                contributions += 1
            session.add(answer)
    session.flush()
    return responses, contributions


def remove_demo(*, session: Session) -> dict[str, int]:
    """Delete every demo row (and what hangs off it), leaving real data untouched."""
    demo_contributions = select(Contribution.id).where(col(Contribution.is_demo))
    demo_responses = select(QuestionnaireResponse.id).where(col(QuestionnaireResponse.is_demo))
    demo_participants = select(Participant.id).where(col(Participant.is_demo))
    removed: dict[str, int] = {}
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
        ("contributions", delete(Contribution).where(col(Contribution.is_demo))),
        ("answers", delete(Answer).where(col(Answer.response_id).in_(demo_responses))),
        ("responses", delete(QuestionnaireResponse).where(col(QuestionnaireResponse.is_demo))),
        ("visits", delete(StandVisit).where(col(StandVisit.participant_id).in_(demo_participants))),
        ("participants", delete(Participant).where(col(Participant.is_demo))),
    ]
    for name, stmt in steps:
        removed[name] = session.execute(stmt).rowcount or 0  # type: ignore[attr-defined]
    return removed
