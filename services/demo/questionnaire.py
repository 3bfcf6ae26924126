"""The demo day's questionnaire: forty organisations answering weeks before, their open answers becoming
contributions through the real path (services.contributions)."""

from __future__ import annotations

import random
from datetime import timedelta

from sqlmodel import Session, col, select

from models import (
    Answer,
    ModerationStatus,
    Question,
    Questionnaire,
    QuestionnaireResponse,
    QuestionnaireSection,
    Source,
)
from services.contributions import ContributionDraft, submit_contribution
from services.demo.common import ACTOR_TYPES, ORGANISATIONS, DemoDay, demo_items, theme_of_item


def _texts_by_theme(session: Session, edition_id: int) -> dict[int, list[str]]:
    """The demo texts by the edition's theme they fall to: what open answers say."""
    demo_texts = demo_items()
    theme_of = theme_of_item(session, edition_id, demo_texts)
    texts_by_theme: dict[int, list[str]] = {}
    for item in demo_texts:
        texts_by_theme.setdefault(theme_of[str(item["theme"])], []).append(item["text"])
    return texts_by_theme


def _closed_answer(rng: random.Random, q: Question, answer: Answer) -> bool:
    """Fill the answer to a closed question (scale, yes/no, choices); False when there is nothing to choose from
    (an open question, or a choice question without choices: then left empty)."""
    if q.qtype == "scale":
        answer.value_number = float(rng.choices([1, 2, 3, 4, 5], weights=[1, 2, 4, 5, 3])[0])
    elif q.qtype == "yesno":
        answer.value_text = rng.choice(["oui", "oui", "non"])
    elif q.qtype == "single" and q.choices:
        answer.value_text = rng.choice(q.choices)
    elif q.qtype == "multiple" and q.choices:
        answer.value_choices = rng.sample(q.choices, k=rng.randint(1, min(3, len(q.choices))))
    else:
        return False
    return True


def seed_questionnaire(session: Session, demo: DemoDay) -> tuple[int, int]:
    """Forty demo responses to the edition's questionnaire (if it has one); (responses, contributions made)."""
    rng, seed, edition_id, departements = demo.rng, demo.seed, demo.edition_id, demo.departements
    questionnaire = session.exec(
        select(Questionnaire).where(Questionnaire.edition_id == edition_id).order_by(col(Questionnaire.id))
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
    texts_by_theme = _texts_by_theme(session, edition_id)
    responses = contributions = 0
    for n in range(40):
        submitted = demo.day - timedelta(days=rng.randint(8, 45), hours=rng.uniform(-6, 6))
        response = QuestionnaireResponse(
            questionnaire_id=questionnaire.id or 0,
            origin="online",
            fingerprint=f"demo-{edition_id}-{seed}-{n}",
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
            if not _closed_answer(rng, q, answer) and q.qtype == "open":
                theme_id = theme_of_section.get(q.section_id)
                if theme_id is None or theme_id not in texts_by_theme or rng.random() < 0.5:
                    continue
                answer.value_text = rng.choice(texts_by_theme[theme_id])
                draft = ContributionDraft(
                    theme_id=theme_id,
                    body=answer.value_text,
                    source=Source.QUESTIONNAIRE.value,
                    actor_type=response.actor_type,
                    departement=response.departement,
                    organisation=response.organisation,
                    response_id=response.id,
                    question_id=q.id,
                    idempotency_key=f"demo-{edition_id}-{seed}-q{n:03d}-{q.id}",
                    status=ModerationStatus.PUBLISHED.value,
                    is_demo=True,
                    created_at=submitted,
                )
                submit_contribution(session=session, draft=draft, edition_id=edition_id)
                contributions += 1
            session.add(answer)
    session.flush()
    return responses, contributions
