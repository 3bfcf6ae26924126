"""Storing an import: the plan's new rows as responses, answers and contributions, inserted in bulk in one
transaction under an import batch; and the list of past batches."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Table, insert, update
from sqlmodel import Session, SQLModel, col, select

from models import (
    Answer,
    DisplayMode,
    ImportBatch,
    ModerationStatus,
    QuestionnaireResponse,
    QuestionType,
    Source,
    utcnow,
)
from services.contributions import ContributionDraft, submit_batch
from services.questionnaire_import.planning import CHUNK, make_plan
from services.questionnaire_import.report import ImportReport
from services.questionnaire_import.rows import ConvertedRow, becomes_contribution
from services.questionnaire_import.saved_mappings import save_mapping
from services.questionnaire_import.table import UploadedTable
from services.questionnaires import (
    QuestionInfo,
    QuestionnaireInfo,
    ResponseOrigin,
    ResponseStatus,
    answer_columns,
    check_in_edition,
    contribution_key,
)
from services.scope import require_writable
from services.tally_rollup import paused_rollup

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class _Batch:
    """Where the rows of one import go, and who and when they are stamped with."""

    questionnaire: QuestionnaireInfo
    id: int
    created_by: str
    now: datetime
    edition_id: int


def import_answers(
    session: Session,
    *,
    questionnaire: QuestionnaireInfo,
    table: UploadedTable,
    mapping: dict[str, str],
    created_by: str,
    save_as: str | None = None,
    edition_id: int | None = None,
) -> ImportReport:
    """Store the new rows of an export into one of the edition's questionnaires (one transaction) and return the
    report; optionally save the mapping. Open answers become contributions of the edition's themes."""
    edition = check_in_edition(session=session, questionnaire_id=questionnaire.id, edition_id=edition_id)
    require_writable(session=session, edition_id=edition)
    plan = make_plan(session, questionnaire, table, mapping)
    now = utcnow()
    row = ImportBatch(questionnaire_id=questionnaire.id, filename=table.filename[:255], created_by=created_by[:60])
    session.add(row)
    session.flush()
    assert row.id is not None
    batch = _Batch(questionnaire, row.id, created_by, now, edition)
    # Thousands of contributions: counted in the rollup once at the end rather than row by row by its triggers.
    with paused_rollup(session=session):
        made = sum(
            _store_chunk(session, batch, plan.new[start : start + CHUNK]) for start in range(0, len(plan.new), CHUNK)
        )
    session.execute(
        update(ImportBatch)
        .where(col(ImportBatch.id) == batch.id)
        .values(
            rows_read=plan.read,
            rows_imported=len(plan.new),
            rows_duplicate=plan.duplicate,
            rows_rejected=plan.rejected,
        )
    )
    if save_as:
        save_mapping(
            session=session, questionnaire_id=questionnaire.id, name=save_as, columns=mapping, edition_id=edition
        )
    return plan.report(table, made, batch_id=batch.id)


def _table(model: type[SQLModel]) -> Table:
    """The model's table, for Core inserts: one executemany per batch, where ORM bulk inserts split the batch
    each time the set of empty columns changes (an answer is text, a number or a list)."""
    table = model.__table__  # type: ignore[attr-defined]
    assert isinstance(table, Table)
    return table


def _response_columns(batch: _Batch, row: ConvertedRow) -> dict[str, Any]:
    """The stored response of a new row: submitted when its date column says, else now."""
    return {
        "questionnaire_id": batch.questionnaire.id,
        "origin": ResponseOrigin.IMPORT.value,
        "fingerprint": row.fingerprint,
        "resume_code": None,
        "status": ResponseStatus.SUBMITTED.value,
        "organisation": row.fields.get("organisation", ""),
        "actor_type": row.fields.get("actor_type"),
        "departement": row.fields.get("departement"),
        "respondent_name": row.fields.get("respondent_name", ""),
        "email": row.fields.get("email", ""),
        "consent_at": None,
        "submitted_at": row.fields.get("submitted_at") or batch.now,
        "import_batch_id": batch.id,
        "is_demo": False,
        "created_at": batch.now,
        "updated_at": batch.now,
    }


def _store_chunk(session: Session, batch: _Batch, chunk: list[ConvertedRow]) -> int:
    """Responses, answers and contributions of some new rows, inserted in bulk (Core, not one ORM object per row);
    returns how many contributions are new."""
    by_code = {q.code: q for q in batch.questionnaire.questions}
    response_params = [_response_columns(batch, row) for row in chunk]
    responses = _table(QuestionnaireResponse)
    ids: list[int] = list(
        session.scalars(insert(responses).returning(responses.c.id, sort_by_parameter_order=True), response_params)
    )
    # Two batches: without the JSON column at all for text and numbers, since a None bound to a JSON
    # column is stored as the JSON text 'null', not as SQL NULL.
    plain_answers: list[dict[str, Any]] = []
    choice_answers: list[dict[str, Any]] = []
    drafts: list[ContributionDraft] = []
    for row, response_id, response in zip(chunk, ids, response_params, strict=True):
        for code, value in row.answers.items():
            q = by_code[code]
            columns = {"response_id": response_id, "question_id": q.id, **answer_columns(q, value)}
            if q.qtype == QuestionType.MULTIPLE:
                choice_answers.append(columns)
            else:
                del columns["value_choices"]
                plain_answers.append(columns)
            if becomes_contribution(q, value):
                assert isinstance(value, str)
                drafts.append(_contribution_draft(batch, q, value, response_id, response))
    for batch_answers in (plain_answers, choice_answers):
        if batch_answers:
            session.execute(insert(_table(Answer)), batch_answers)
    return _insert_contributions(session, drafts, batch.edition_id)


def _contribution_draft(
    batch: _Batch, question: QuestionInfo, text: str, response_id: int, response: dict[str, Any]
) -> ContributionDraft:
    """An open answer as a contribution: anonymous, dated when the person answered, keyed by the answer."""
    return ContributionDraft(
        idempotency_key=contribution_key(batch.questionnaire.id, response["fingerprint"], question.code),
        theme_id=question.theme_id,
        body=text,
        source=Source.QUESTIONNAIRE.value,
        organisation=response["organisation"],
        actor_type=response["actor_type"],
        departement=response["departement"],
        display_mode=DisplayMode.ANONYMOUS.value,
        status=ModerationStatus.PENDING.value,
        response_id=response_id,
        question_id=question.id,
        entered_by=batch.created_by[:60],
        created_at=response["submitted_at"],
    )


def _insert_contributions(session: Session, drafts: list[ContributionDraft], edition_id: int) -> int:
    """The contributions of imported answers, through the batch path of services.contributions (the rules,
    receipt codes and idempotency of every other contribution); returns how many are new."""
    items = submit_batch(session=session, drafts=drafts, edition_id=edition_id)
    # The converters applied the same text limits, so a refusal here would be a bug in one of them: the
    # answer itself is stored all the same, only its contribution is missing, and the log says which.
    for item in items:
        if item.errors:
            log.error("imported answer not turned into a contribution: %s", sorted(item.errors))
    return sum(1 for item in items if item.receipt is not None and not item.receipt.duplicate)


@dataclass(frozen=True)
class BatchInfo:
    id: int
    filename: str
    created_by: str
    created_at: datetime
    rows_read: int
    rows_imported: int
    rows_duplicate: int
    rows_rejected: int


def list_batches(
    session: Session, *, questionnaire_id: int, limit: int = 20, edition_id: int | None = None
) -> list[BatchInfo]:
    """The latest imports into one of the edition's questionnaires, newest first."""
    check_in_edition(session=session, questionnaire_id=questionnaire_id, edition_id=edition_id)
    rows = session.exec(
        select(ImportBatch)
        .where(ImportBatch.questionnaire_id == questionnaire_id)
        .order_by(col(ImportBatch.id).desc())
        .limit(limit)
    ).all()
    return [
        BatchInfo(
            b.id or 0,
            b.filename,
            b.created_by,
            b.created_at,
            b.rows_read,
            b.rows_imported,
            b.rows_duplicate,
            b.rows_rejected,
        )
        for b in rows
    ]
