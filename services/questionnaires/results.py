"""A questionnaire's results: its sent responses counted by the database (GROUP BY), whatever their number,
filtered by actor type and département; its open answers; the CSV exports."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, true
from sqlmodel import Session, col, select

from models import Answer, Contribution, Question, Questionnaire, QuestionnaireResponse, QuestionType
from services.errors import NotFoundError
from services.exports import csv_bytes
from services.formatting import format_datetime
from services.labels import ACTOR_TYPE_LABELS, label
from services.questionnaires.answers import (
    NO,
    SCALE_VALUES,
    YES,
    YESNO_LABELS,
    ResponseOrigin,
    ResponseStatus,
    answer_value,
    display_answer,
)
from services.questionnaires.definitions import QuestionInfo, check_in_edition, get_questionnaire
from services.scope import resolve_edition_id


@dataclass(frozen=True)
class QuestionnaireSummary:
    """One of an edition's questionnaires, as a list of them shows it (sent responses counted)."""

    id: int
    slug: str
    title: str
    active: bool
    responses: int


def list_questionnaires(session: Session, *, edition_id: int | None = None) -> list[QuestionnaireSummary]:
    """An edition's questionnaires with their count of sent responses, oldest first."""
    edition = resolve_edition_id(session=session, edition_id=edition_id)
    rows = session.exec(
        select(Questionnaire).where(Questionnaire.edition_id == edition).order_by(col(Questionnaire.id))
    ).all()
    ids = [q.id for q in rows]
    counts = dict(
        session.exec(
            select(QuestionnaireResponse.questionnaire_id, func.count())
            .where(
                QuestionnaireResponse.status == ResponseStatus.SUBMITTED,
                col(QuestionnaireResponse.questionnaire_id).in_(ids),
            )
            .group_by(col(QuestionnaireResponse.questionnaire_id))
        ).all()
    )
    return [QuestionnaireSummary(q.id or 0, q.slug, q.title, q.active, int(counts.get(q.id or 0, 0))) for q in rows]


# ---------------------------------------------------------------------------------------------
# One questionnaire's results: counted by the database (GROUP BY), whatever the number of responses.


@dataclass(frozen=True)
class ResultsFilter:
    """Which sent responses the results count: all, or those of one actor type and/or one département."""

    actor_type: str | None = None
    departement: str | None = None


@dataclass(frozen=True)
class ResultsOverview:
    """How many responses a questionnaire has, by origin, and the contributions made from them."""

    responses: int
    online: int
    imported: int
    drafts: int
    contributions: int


@dataclass(frozen=True)
class ChoiceCount:
    """How many responses picked one choice of a closed question."""

    label: str
    count: int


@dataclass(frozen=True)
class QuestionResult:
    """One question's results within the filter."""

    question: QuestionInfo
    section_title: str
    answered: int  # responses (within the filter) that answered this question
    counts: tuple[ChoiceCount, ...]  # closed questions: every choice, zeros included, in the questionnaire's order
    mean: float | None  # scales only


def _sent(questionnaire_id: int, filters: ResultsFilter) -> list[Any]:
    conditions: list[Any] = [
        QuestionnaireResponse.questionnaire_id == questionnaire_id,
        QuestionnaireResponse.status == ResponseStatus.SUBMITTED,
    ]
    if filters.actor_type:
        conditions.append(QuestionnaireResponse.actor_type == filters.actor_type)
    if filters.departement:
        conditions.append(QuestionnaireResponse.departement == filters.departement)
    return conditions


def results_overview(
    session: Session, *, questionnaire_id: int, filters: ResultsFilter | None = None, edition_id: int | None = None
) -> ResultsOverview:
    """How many responses to one of the edition's questionnaires were sent (online, imported), drafts still open,
    contributions made from them."""
    check_in_edition(session=session, questionnaire_id=questionnaire_id, edition_id=edition_id)
    filters = filters or ResultsFilter()
    by_origin = dict(
        session.exec(
            select(QuestionnaireResponse.origin, func.count())
            .where(*_sent(questionnaire_id, filters))
            .group_by(col(QuestionnaireResponse.origin))
        ).all()
    )
    drafts = session.exec(
        select(func.count())
        .select_from(QuestionnaireResponse)
        .where(
            QuestionnaireResponse.questionnaire_id == questionnaire_id,
            QuestionnaireResponse.status == ResponseStatus.DRAFT,
        )
    ).one()
    contributions = session.exec(
        select(func.count())
        .select_from(Contribution)
        .join(QuestionnaireResponse, col(QuestionnaireResponse.id) == col(Contribution.response_id))
        .where(*_sent(questionnaire_id, filters))
    ).one()
    online = int(by_origin.get(ResponseOrigin.ONLINE.value, 0))
    imported = int(by_origin.get(ResponseOrigin.IMPORT.value, 0))
    return ResultsOverview(online + imported, online, imported, int(drafts), int(contributions))


def _choice_counts(session: Session, question_ids: list[int], conditions: list[Any]) -> dict[tuple[int, str], int]:
    """Counts of each chosen option of multiple-choice questions, unnested by the database's JSON functions."""
    if not question_ids:
        return {}
    if session.get_bind().dialect.name == "sqlite":
        element = func.json_each(Answer.value_choices).table_valued("value").alias("choice")
    else:  # PostgreSQL names a set-returning function's column after its alias unless told: choice(value)
        element = (
            func.json_array_elements_text(Answer.value_choices).table_valued("value").render_derived(name="choice")
        )
    rows = session.exec(
        select(Answer.question_id, element.c.value, func.count())
        .select_from(Answer)
        .join(QuestionnaireResponse, col(QuestionnaireResponse.id) == col(Answer.response_id))
        .join(element, true())
        .where(col(Answer.question_id).in_(question_ids), *conditions)
        .group_by(col(Answer.question_id), element.c.value)
    ).all()
    return {(int(qid), str(value)): int(n) for qid, value, n in rows}


def question_results(
    session: Session, *, questionnaire_id: int, filters: ResultsFilter | None = None, edition_id: int | None = None
) -> list[QuestionResult]:
    """Per question of one of the edition's questionnaires: how many answered, and for closed questions the count
    of each choice (and the mean of scales)."""
    filters = filters or ResultsFilter()
    questionnaire = get_questionnaire(session=session, questionnaire_id=questionnaire_id, edition_id=edition_id)
    conditions = _sent(questionnaire_id, filters)
    answered = dict(
        session.exec(
            select(Answer.question_id, func.count())
            .join(QuestionnaireResponse, col(QuestionnaireResponse.id) == col(Answer.response_id))
            .where(*conditions)
            .group_by(col(Answer.question_id))
        ).all()
    )
    text_counts = dict(
        ((int(qid), str(value)), int(n))
        for qid, value, n in session.exec(
            select(Answer.question_id, Answer.value_text, func.count())
            .join(QuestionnaireResponse, col(QuestionnaireResponse.id) == col(Answer.response_id))
            .join(Question, col(Question.id) == col(Answer.question_id))
            .where(*conditions, col(Question.qtype).in_([QuestionType.SINGLE.value, QuestionType.YESNO.value]))
            .group_by(col(Answer.question_id), col(Answer.value_text))
        ).all()
    )
    number_counts: dict[tuple[int, int], int] = {}
    sums: dict[int, float] = {}
    for qid, value, n in session.exec(
        select(Answer.question_id, Answer.value_number, func.count())
        .join(QuestionnaireResponse, col(QuestionnaireResponse.id) == col(Answer.response_id))
        .where(*conditions, col(Answer.value_number).is_not(None))
        .group_by(col(Answer.question_id), col(Answer.value_number))
    ).all():
        if value is None:
            continue
        number_counts[(int(qid), int(value))] = int(n)
        sums[int(qid)] = sums.get(int(qid), 0.0) + float(value) * int(n)
    multiple_ids = [q.id for q in questionnaire.questions if q.qtype == QuestionType.MULTIPLE]
    choice_counts = _choice_counts(session, multiple_ids, conditions)

    results: list[QuestionResult] = []
    for section in questionnaire.sections:
        for q in section.questions:
            total = int(answered.get(q.id, 0))
            counts: tuple[ChoiceCount, ...] = ()
            mean = None
            if q.qtype == QuestionType.SINGLE:
                counts = tuple(ChoiceCount(c, text_counts.get((q.id, c), 0)) for c in q.choices)
            elif q.qtype == QuestionType.YESNO:
                counts = tuple(ChoiceCount(YESNO_LABELS[v], text_counts.get((q.id, v), 0)) for v in (YES, NO))
            elif q.qtype == QuestionType.MULTIPLE:
                counts = tuple(ChoiceCount(c, choice_counts.get((q.id, c), 0)) for c in q.choices)
            elif q.qtype == QuestionType.SCALE:
                counts = tuple(ChoiceCount(str(v), number_counts.get((q.id, v), 0)) for v in SCALE_VALUES)
                mean = sums[q.id] / total if total and q.id in sums else None
            results.append(QuestionResult(q, section.title, total, counts, mean))
    return results


@dataclass(frozen=True)
class OpenAnswer:
    """One open answer as the results list it, with the contribution made from it."""

    text: str
    organisation: str
    actor_type: str | None
    departement: str | None
    submitted_at: datetime | None
    origin: str
    receipt_code: str | None  # the contribution made from it, if any
    contribution_status: str | None


def list_open_answers(
    session: Session,
    *,
    question_id: int,
    filters: ResultsFilter | None = None,
    limit: int = 200,
    edition_id: int | None = None,
) -> tuple[int, list[OpenAnswer]]:
    """(how many, the latest `limit`) open answers to one question of the edition's questionnaires, each with the
    contribution made from it."""
    edition = resolve_edition_id(session=session, edition_id=edition_id)
    question = session.exec(
        select(Question)
        .join(Questionnaire, col(Questionnaire.id) == col(Question.questionnaire_id))
        .where(Question.id == question_id, Questionnaire.edition_id == edition)
    ).first()
    if question is None:
        raise NotFoundError("Cette question n'existe pas.")
    conditions = [*_sent(question.questionnaire_id, filters or ResultsFilter()), Answer.question_id == question_id]
    total = session.exec(
        select(func.count())
        .select_from(Answer)
        .join(QuestionnaireResponse, col(QuestionnaireResponse.id) == col(Answer.response_id))
        .where(*conditions)
    ).one()
    rows = session.exec(
        select(Answer.value_text, QuestionnaireResponse, Contribution.receipt_code, Contribution.status)
        .join(QuestionnaireResponse, col(QuestionnaireResponse.id) == col(Answer.response_id))
        .outerjoin(
            Contribution,
            (col(Contribution.response_id) == col(Answer.response_id))
            & (col(Contribution.question_id) == col(Answer.question_id)),
        )
        .where(*conditions)
        .order_by(col(QuestionnaireResponse.submitted_at).desc(), col(Answer.id).desc())
        .limit(limit)
    ).all()
    return int(total), [
        OpenAnswer(text or "", r.organisation, r.actor_type, r.departement, r.submitted_at, r.origin, code, status)
        for text, r, code, status in rows
    ]


def export_results_csv(
    session: Session, *, questionnaire_id: int, filters: ResultsFilter | None = None, edition_id: int | None = None
) -> bytes:
    """The counts of every closed question of one of the edition's questionnaires, one line per choice (CSV)."""
    rows: list[list[object]] = []
    results = question_results(
        session=session, questionnaire_id=questionnaire_id, filters=filters, edition_id=edition_id
    )
    for result in results:
        q = result.question
        for count in result.counts:
            share = round(100 * count.count / result.answered, 1) if result.answered else 0.0
            rows.append([q.code, q.text, count.label, count.count, str(share).replace(".", ","), result.answered])
        if q.qtype == QuestionType.OPEN:
            rows.append([q.code, q.text, "(réponses libres)", result.answered, "", result.answered])
    header = ["Code", "Question", "Réponse", "Nombre", "Part (%)", "Répondants à la question"]
    return csv_bytes(header, rows)


def export_responses_csv(
    session: Session, *, questionnaire_id: int, filters: ResultsFilter | None = None, edition_id: int | None = None
) -> bytes:
    """Every sent response to one of the edition's questionnaires, one line each, one column per question
    (personal fields left out)."""
    questionnaire = get_questionnaire(session=session, questionnaire_id=questionnaire_id, edition_id=edition_id)
    questions = questionnaire.questions
    by_id = {q.id: q for q in questions}
    conditions = _sent(questionnaire_id, filters or ResultsFilter())
    responses = session.exec(
        select(QuestionnaireResponse).where(*conditions).order_by(col(QuestionnaireResponse.submitted_at))
    ).all()
    values: dict[int, dict[str, str]] = {r.id or 0: {} for r in responses}
    for answer in session.exec(
        select(Answer)
        .join(QuestionnaireResponse, col(QuestionnaireResponse.id) == col(Answer.response_id))
        .where(*conditions)
    ).all():
        q = by_id.get(answer.question_id)
        if q is not None:
            values[answer.response_id][q.code] = display_answer(q, answer_value(q, answer))
    header = ["Envoyée le", "Origine", "Organisation", "Type d'acteur", "Département", *[q.code for q in questions]]
    rows = (
        [
            format_datetime(r.submitted_at) if r.submitted_at else "",
            "En ligne" if r.origin == ResponseOrigin.ONLINE else "Import",
            r.organisation,
            label(ACTOR_TYPE_LABELS, r.actor_type, ""),
            r.departement or "",
            *[values[r.id or 0].get(q.code, "") for q in questions],
        ]
        for r in responses
    )
    return csv_bytes(header, rows)
