"""The answers of a response: checked by their question's type (one checker shared by the online form and the
import), stored in their columns, read back and displayed; the contribution an open answer becomes; the states a
response goes through.
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import null
from sqlmodel import Session, col, select

from models import Answer, QuestionType, Source
from services.contributions import BODY_MAX_CHARS, BODY_MIN_CHARS, ContributionDraft
from services.questionnaires.definitions import QuestionInfo, QuestionnaireInfo
from services.questionnaires.respondents import Respondent
from services.text import check_text

AnswerValue = str | int | list[str]
YES, NO = "oui", "non"
YESNO_LABELS = {YES: "Oui", NO: "Non"}
SCALE_VALUES = (1, 2, 3, 4, 5)
# An open answer becomes a contribution: the same limits apply to it.
OPEN_MIN_CHARS = BODY_MIN_CHARS
OPEN_MAX_CHARS = BODY_MAX_CHARS


class ResponseStatus(StrEnum):
    """A response is a draft until it is sent (online) or imported."""

    DRAFT = "draft"
    SUBMITTED = "submitted"


class ResponseOrigin(StrEnum):
    """Where a sent response comes from: the online form, or an import of another tool's export."""

    ONLINE = "online"
    IMPORT = "import"


def is_blank(value: object) -> bool:
    if isinstance(value, str):
        return not value.strip()
    return value is None or value == []


def check_answer(question: QuestionInfo, raw: object) -> tuple[AnswerValue | None, str | None]:
    """(clean value or None when unanswered, French error or None) for what a form sent for one question."""
    if is_blank(raw):
        return None, ("Cette question est obligatoire." if question.required else None)
    if question.qtype == QuestionType.OPEN:
        text, problem = check_text(
            str(raw), label="Votre réponse", min_chars=OPEN_MIN_CHARS, max_chars=OPEN_MAX_CHARS, required=False
        )
        return (None, problem) if problem else (text, None)
    if question.qtype == QuestionType.SINGLE:
        return (str(raw), None) if raw in question.choices else (None, "Choisissez l'une des réponses proposées.")
    if question.qtype == QuestionType.MULTIPLE:
        picked = list(raw) if isinstance(raw, list | tuple) else [raw]
        if any(p not in question.choices for p in picked):
            return None, "Choisissez parmi les réponses proposées."
        # Stored in the questionnaire's order, without repeats: the same answer always looks the same.
        return [c for c in question.choices if c in picked], None
    if question.qtype == QuestionType.SCALE:
        if isinstance(raw, bool) or not isinstance(raw, int | float | str):
            return None, "Choisissez une note de 1 à 5."
        try:
            number = float(raw)
        except ValueError:
            return None, "Choisissez une note de 1 à 5."
        if not number.is_integer() or int(number) not in SCALE_VALUES:
            return None, "Choisissez une note de 1 à 5."
        return int(number), None
    if question.qtype == QuestionType.YESNO:
        return (str(raw), None) if raw in (YES, NO) else (None, "Répondez par oui ou par non.")
    return None, "Type de question inconnu."


def answer_columns(question: QuestionInfo, value: AnswerValue) -> dict[str, Any]:
    """The Answer columns holding `value`: numbers for scales, a list for multiple choices, text otherwise."""
    if question.qtype == QuestionType.SCALE:
        return {"value_text": None, "value_number": float(value), "value_choices": None}  # type: ignore[arg-type]
    if question.qtype == QuestionType.MULTIPLE:
        return {"value_text": None, "value_number": None, "value_choices": list(value)}  # type: ignore[arg-type]
    return {"value_text": str(value), "value_number": None, "value_choices": None}


def answer_value(question: QuestionInfo, answer: Answer) -> AnswerValue | None:
    """The value an Answer row holds, as check_answer returns it (None when it holds none)."""
    if question.qtype == QuestionType.SCALE:
        return int(answer.value_number) if answer.value_number is not None else None
    if question.qtype == QuestionType.MULTIPLE:
        return list(answer.value_choices or [])
    return answer.value_text


def display_answer(question: QuestionInfo, value: AnswerValue | None) -> str:
    """An answer as a person reads it (exports, previews)."""
    if value is None:
        return ""
    if question.qtype == QuestionType.MULTIPLE and isinstance(value, list):
        return " ; ".join(value)
    if question.qtype == QuestionType.YESNO:
        return YESNO_LABELS.get(str(value), str(value))
    return str(value)


def contribution_key(questionnaire_id: int, fingerprint: str, question_code: str) -> str:
    """The idempotency key of the contribution made from one answer: a second import or send finds the first."""
    digest = hashlib.sha256(f"{questionnaire_id}\n{fingerprint}\n{question_code}".encode()).hexdigest()
    return f"qr-{digest[:40]}"


def check_values(
    questions: list[QuestionInfo], answers: dict[str, object], *, enforce_required: bool
) -> tuple[dict[str, AnswerValue | None], dict[str, str]]:
    """(clean value per question code, French message per refused one): a draft skips the questions not sent and
    keeps blanks; a section or a send (`enforce_required`) checks every question, required ones included."""
    clean: dict[str, AnswerValue | None] = {}
    errors: dict[str, str] = {}
    for q in questions:
        if q.code not in answers and not enforce_required:
            continue
        value, problem = check_answer(q, answers.get(q.code))
        if problem and (enforce_required or not is_blank(answers.get(q.code))):
            errors[q.code] = problem
        else:
            clean[q.code] = value
    return clean, errors


def check_section(questionnaire: QuestionnaireInfo, section_index: int, answers: dict[str, object]) -> dict[str, str]:
    """French messages per question code for one section, required questions included (the 'Suivant' check)."""
    questions = list(questionnaire.sections[section_index].questions)
    return check_values(questions, answers, enforce_required=True)[1]


def store_answers(
    session: Session, response_id: int, questionnaire: QuestionnaireInfo, clean: dict[str, AnswerValue | None]
) -> None:
    """Bring a response's Answer rows to `clean` (checked values): written, changed, or deleted when blanked."""
    by_code = {q.code: q for q in questionnaire.questions}
    ids = [by_code[c].id for c in clean]
    existing = {
        a.question_id: a
        for a in session.exec(
            select(Answer).where(Answer.response_id == response_id, col(Answer.question_id).in_(ids))
        ).all()
    }
    for code, value in clean.items():
        question = by_code[code]
        row = existing.get(question.id)
        if value is None:
            if row is not None:
                session.delete(row)
            continue
        if row is None:
            row = Answer(response_id=response_id, question_id=question.id)
        for name, column_value in answer_columns(question, value).items():
            # A None bound to the JSON column is stored as the JSON text 'null': null() is SQL NULL.
            setattr(row, name, null() if column_value is None and name == "value_choices" else column_value)
        session.add(row)
    session.flush()


def open_answer_contribution(
    *,
    questionnaire_id: int,
    fingerprint: str,
    question: QuestionInfo,
    text: str,
    author: Respondent,
    response_id: int | None,
    created_at: datetime | None,
    entered_by: str = "",
) -> ContributionDraft:
    """An open answer as a contribution of its section's theme, anonymous, keyed by the answer: a second send or
    import of the same response finds the first."""
    return ContributionDraft(
        idempotency_key=contribution_key(questionnaire_id, fingerprint, question.code),
        theme_id=question.theme_id,
        body=text,
        source=Source.QUESTIONNAIRE.value,
        organisation=author.organisation,
        actor_type=author.actor_type,
        departement=author.departement,
        response_id=response_id,
        question_id=question.id,
        entered_by=entered_by,
        created_at=created_at,
    )
