"""Answering a questionnaire online: a draft saved at every step, found again with its resume code, then sent.

A resume code of one edition's questionnaire opens nothing in another: every lookup takes the edition asked.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, func
from sqlmodel import Session, col, select

from models import Answer, Contribution, Questionnaire, QuestionnaireResponse, QuestionType, utcnow
from services import throttle
from services.codes import add_with_fresh_code, normalise_code, readable_code
from services.contributions import submit_contribution
from services.errors import NotFoundError, ValidationError
from services.participants import count_new_respondent
from services.questionnaires.answers import (
    AnswerValue,
    ResponseOrigin,
    ResponseStatus,
    answer_value,
    check_values,
    open_answer_contribution,
    store_answers,
)
from services.questionnaires.definitions import QuestionnaireInfo, get_questionnaire
from services.questionnaires.respondents import Respondent, check_respondent
from services.scope import require_open, resolve_edition_id

RESUME_CODE_LENGTH = 12  # 25^12 ≈ 6·10^16: a draft may hold a name or an e-mail, so not guessable
DRAFT_RETENTION_DAYS = 60  # said in the privacy notice: drafts never sent are deleted after this


@dataclass(frozen=True)
class DraftState:
    """A response as its respondent left it: the answers kept so far, sent or not."""

    questionnaire_id: int
    resume_code: str
    status: str
    answers: dict[str, AnswerValue]
    respondent: Respondent
    updated_at: datetime
    submitted_at: datetime | None


@dataclass(frozen=True)
class ContributionMade:
    """The contribution an open answer became, named by its receipt code."""

    question_code: str
    receipt_code: str


@dataclass(frozen=True)
class ResponseReceipt:
    """What a respondent is shown once their response is sent (again, when `duplicate`)."""

    resume_code: str
    submitted_at: datetime
    answered: int
    contributions: tuple[ContributionMade, ...]
    duplicate: bool = False


UNKNOWN_CODE = "Ce code de reprise ne correspond à aucun brouillon : vérifiez-le."


def _draft_row(session: Session, resume_code: str, edition_id: int) -> QuestionnaireResponse | None:
    """The response behind a resume code, if it answers one of the edition's questionnaires."""
    code = normalise_code(resume_code)
    if len(code.replace("-", "")) != RESUME_CODE_LENGTH:
        return None
    return session.exec(
        select(QuestionnaireResponse)
        .join(Questionnaire, col(Questionnaire.id) == col(QuestionnaireResponse.questionnaire_id))
        .where(QuestionnaireResponse.resume_code == code, Questionnaire.edition_id == edition_id)
    ).first()


NEW_DRAFT_SCOPE = "questionnaire.new"
NEW_DRAFTS_HELD = (
    "Beaucoup de réponses commencent en même temps depuis votre réseau. Rien n'est perdu : vos réponses "
    "sont conservées, réessayez d'enregistrer dans {wait}."
)


def save_draft(
    session: Session,
    *,
    questionnaire_id: int,
    answers: dict[str, object],
    respondent: Respondent | None = None,
    resume_code: str | None = None,
    origin: throttle.Origin | None = None,
    now: datetime | None = None,
    edition_id: int | None = None,
) -> DraftState:
    """Keep what was typed so far (required questions not enforced); creates the draft and its resume code.

    A new draft from `origin` counts against that address's ceiling of new respondents (the same figures as
    new passports: one per person), since each sent draft turns its open answers into contributions. Only an
    open edition's questionnaire takes answers.
    """
    edition = resolve_edition_id(session=session, edition_id=edition_id)
    questionnaire = get_questionnaire(session=session, questionnaire_id=questionnaire_id, edition_id=edition)
    require_open(session=session, edition_id=edition)
    if not questionnaire.active:
        raise ValidationError({"form": "Ce questionnaire est clos : il ne reçoit plus de réponses."})
    clean, errors = check_values(questionnaire.questions, answers, enforce_required=False)
    clean_respondent = None
    if respondent is not None:
        clean_respondent, respondent_errors = check_respondent(
            session=session, respondent=respondent, edition_id=edition
        )
        errors.update(respondent_errors)
    if errors:
        raise ValidationError(errors)
    row = _draft_row(session, resume_code, edition) if resume_code else None
    if resume_code and (row is None or row.questionnaire_id != questionnaire.id):
        raise NotFoundError(UNKNOWN_CODE)
    if row is not None and row.status != ResponseStatus.DRAFT:
        raise ValidationError({"form": "Cette réponse a déjà été envoyée : elle ne peut plus être modifiée."})
    if row is None:
        count_new_respondent(session=session, origin=origin, scope=NEW_DRAFT_SCOPE, message=NEW_DRAFTS_HELD, now=now)
    now = utcnow()
    if row is None:
        # Each new draft sweeps the abandoned ones: the notice's promise needs no scheduler.
        purge_stale_drafts(session=session)
        row = _new_draft(session, questionnaire_id, now)
    if clean_respondent is not None:
        row.organisation = clean_respondent.organisation
        row.actor_type = clean_respondent.actor_type
        row.departement = clean_respondent.departement
        row.respondent_name = clean_respondent.respondent_name
        row.email = clean_respondent.email
    row.updated_at = now
    session.add(row)
    session.flush()
    assert row.id is not None
    store_answers(session, row.id, questionnaire, clean)
    state = _state(session, row, questionnaire)
    assert state is not None
    return state


def _new_draft(session: Session, questionnaire_id: int, now: datetime) -> QuestionnaireResponse:
    return add_with_fresh_code(
        session,
        lambda: QuestionnaireResponse(
            questionnaire_id=questionnaire_id,
            origin=ResponseOrigin.ONLINE.value,
            # Online answers are never "the same response twice": a random fingerprint keys their contributions.
            fingerprint=uuid.uuid4().hex,
            resume_code=readable_code(RESUME_CODE_LENGTH),
            status=ResponseStatus.DRAFT.value,
            created_at=now,
            updated_at=now,
        ),
        what="resume code",
    )


def _state(session: Session, row: QuestionnaireResponse, questionnaire: QuestionnaireInfo) -> DraftState | None:
    by_id = {q.id: q for q in questionnaire.questions}
    answers: dict[str, AnswerValue] = {}
    for a in session.exec(select(Answer).where(Answer.response_id == row.id)).all():
        q = by_id.get(a.question_id)
        value = answer_value(q, a) if q else None
        if q is not None and value is not None:
            answers[q.code] = value
    respondent = Respondent(row.organisation, row.actor_type, row.departement, row.respondent_name, row.email)
    return DraftState(
        questionnaire.id, row.resume_code or "", row.status, answers, respondent, row.updated_at, row.submitted_at
    )


def load_draft(session: Session, *, resume_code: str, edition_id: int | None = None) -> DraftState | None:
    """The draft (or the sent response) behind a resume code, or None for an unknown code or one of another
    edition's questionnaire."""
    edition = resolve_edition_id(session=session, edition_id=edition_id)
    row = _draft_row(session, resume_code, edition)
    if row is None:
        return None
    return _state(
        session, row, get_questionnaire(session=session, questionnaire_id=row.questionnaire_id, edition_id=edition)
    )


def submit_response(
    session: Session,
    *,
    resume_code: str,
    answers: dict[str, object] | None = None,
    respondent: Respondent | None = None,
    edition_id: int | None = None,
) -> ResponseReceipt:
    """Send a draft of the edition's questionnaire: every rule checked, open answers turned into contributions of
    the edition's themes; sending twice changes nothing."""
    edition = resolve_edition_id(session=session, edition_id=edition_id)
    row = _draft_row(session, resume_code, edition)
    if row is None or row.id is None:
        raise NotFoundError(UNKNOWN_CODE)
    questionnaire = get_questionnaire(session=session, questionnaire_id=row.questionnaire_id, edition_id=edition)
    if row.status == ResponseStatus.SUBMITTED:
        return _receipt(session, row, questionnaire, duplicate=True)
    require_open(session=session, edition_id=edition)
    if answers is not None or respondent is not None:
        save_draft(
            session=session,
            questionnaire_id=questionnaire.id,
            answers=answers or {},
            respondent=respondent,
            resume_code=row.resume_code,
            edition_id=edition,
        )
    state = _state(session, row, questionnaire)
    assert state is not None
    _, errors = check_values(questionnaire.questions, dict(state.answers), enforce_required=True)
    if errors:
        raise ValidationError(errors)
    now = utcnow()
    row.status = ResponseStatus.SUBMITTED.value
    row.submitted_at = now
    row.consent_at = now  # sent after the privacy notice shown on every step
    row.updated_at = now
    session.add(row)
    session.flush()
    for q in questionnaire.questions:
        value = state.answers.get(q.code)
        if q.qtype != QuestionType.OPEN or value is None or q.theme_id is None:
            continue
        submit_contribution(
            session=session,
            draft=open_answer_contribution(
                questionnaire_id=questionnaire.id,
                fingerprint=row.fingerprint or "",
                question=q,
                text=str(value),
                author=state.respondent,
                response_id=row.id,
                created_at=now,
            ),
            edition_id=edition,
        )
    return _receipt(session, row, questionnaire, duplicate=False)


def _receipt(
    session: Session, row: QuestionnaireResponse, questionnaire: QuestionnaireInfo, *, duplicate: bool
) -> ResponseReceipt:
    codes = {q.id: q.code for q in questionnaire.questions}
    made = session.exec(
        select(Contribution.question_id, Contribution.receipt_code)
        .where(Contribution.response_id == row.id)
        .order_by(col(Contribution.id))
    ).all()
    answered = session.exec(select(func.count()).select_from(Answer).where(Answer.response_id == row.id)).one()
    assert row.submitted_at is not None
    return ResponseReceipt(
        row.resume_code or "",
        row.submitted_at,
        int(answered),
        tuple(ContributionMade(codes.get(qid or 0, ""), code) for qid, code in made),
        duplicate=duplicate,
    )


def purge_stale_drafts(session: Session, *, older_than_days: int = DRAFT_RETENTION_DAYS) -> int:
    """Delete drafts nobody touched for `older_than_days` days (they may hold a name or an e-mail).

    Every edition's at once: the privacy notice's promise does not depend on the edition a draft answers.
    """
    limit = utcnow() - timedelta(days=older_than_days)
    is_stale = (col(QuestionnaireResponse.status) == ResponseStatus.DRAFT.value) & (
        col(QuestionnaireResponse.updated_at) < limit
    )
    session.execute(delete(Answer).where(col(Answer.response_id).in_(select(QuestionnaireResponse.id).where(is_stale))))
    result = session.execute(delete(QuestionnaireResponse).where(is_stale))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
