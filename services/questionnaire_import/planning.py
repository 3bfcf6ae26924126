"""Planning an import: every row converted, then filed as new, already stored (or twice in the file) or refused;
the dry run is this plan reported, the import stores the plan's new rows."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, col, select

from models import QuestionnaireResponse
from services.errors import ValidationError
from services.formatting import format_date
from services.questionnaire_import.mapping import check_mapping
from services.questionnaire_import.report import ImportReport, PreviewRow, preview_values
from services.questionnaire_import.rows import (
    KIND_DUPLICATE,
    KIND_REJECTED,
    ConvertedRow,
    RowProblem,
    becomes_contribution,
    convert_rows,
    mapped_columns,
)
from services.questionnaire_import.table import UploadedTable
from services.questionnaires import QuestionInfo, QuestionnaireInfo, check_in_edition, departement_scope

PREVIEW_ROWS = 20
CHUNK = 500  # IN (...) lists and insert batches

NEW, DUPLICATE, REJECTED = "À importer", "Déjà importée", "Rejetée"


def _existing_fingerprints(session: Session, questionnaire_id: int, fingerprints: list[str]) -> dict[str, datetime]:
    found: dict[str, datetime] = {}
    for start in range(0, len(fingerprints), CHUNK):
        chunk = fingerprints[start : start + CHUNK]
        for fp, created in session.exec(
            select(QuestionnaireResponse.fingerprint, QuestionnaireResponse.created_at).where(
                QuestionnaireResponse.questionnaire_id == questionnaire_id,
                col(QuestionnaireResponse.fingerprint).in_(chunk),
            )
        ).all():
            if fp is not None:
                found[fp] = created
    return found


@dataclass
class Plan:
    new: list[ConvertedRow]
    duplicate: int
    rejected: int
    read: int
    problems: list[RowProblem]
    preview: list[PreviewRow]
    contributions: int

    def report(self, table: UploadedTable, contributions: int, batch_id: int | None = None) -> ImportReport:
        """The plan's report: a dry run's, or with the batch it was stored in, the import's."""
        return ImportReport(
            table.filename,
            self.read,
            len(self.new),
            self.duplicate,
            self.rejected,
            table.blank_lines,
            contributions,
            tuple(self.problems),
            tuple(self.preview),
            batch_id=batch_id,
            dry_run=batch_id is None,
        )


def _file_row(
    plan: Plan,
    row: ConvertedRow,
    known: dict[str, datetime],
    first_seen: dict[str, int],
    by_code: dict[str, QuestionInfo],
) -> str:
    """Count the row as refused, already there or new, with what the report says of it; its preview status."""
    if row.rejected:
        plan.rejected += 1
        plan.problems.extend(row.problems)
        return REJECTED
    if row.fingerprint in known:
        plan.duplicate += 1
        when = format_date(known[row.fingerprint])
        plan.problems.append(RowProblem(row.line, "—", "", f"déjà importée (le {when})", KIND_DUPLICATE))
        return DUPLICATE
    if row.fingerprint in first_seen:
        plan.duplicate += 1
        plan.problems.append(
            RowProblem(row.line, "—", "", f"identique à la ligne {first_seen[row.fingerprint]}", KIND_DUPLICATE)
        )
        return DUPLICATE
    first_seen[row.fingerprint] = row.line
    plan.new.append(row)
    plan.problems.extend(row.notes)
    plan.contributions += sum(1 for code, value in row.answers.items() if becomes_contribution(by_code[code], value))
    return NEW


def _preview_reason(row: ConvertedRow, status: str, plan: Plan) -> str:
    """Why a previewed row is refused (its first problem) or skipped (what was just said of it)."""
    if status == DUPLICATE:
        return plan.problems[-1].reason
    why = row.problems[0] if row.problems else None
    return f"{why.column} : {why.reason}" if why and why.column != "—" else (why.reason if why else "")


def make_plan(
    session: Session, questionnaire: QuestionnaireInfo, table: UploadedTable, mapping: dict[str, str]
) -> Plan:
    """Every row of the file converted and filed, with a valid mapping (else a ValidationError)."""
    problems = check_mapping(questionnaire, mapping)
    if problems:
        raise ValidationError({"mapping": " ".join(problems)})
    departements = departement_scope(session=session, edition_id=questionnaire.edition_id)
    rows = list(convert_rows(questionnaire, table, mapped_columns(questionnaire, table.headers, mapping, departements)))
    known = _existing_fingerprints(session, questionnaire.id, [r.fingerprint for r in rows if r.fingerprint])
    plan = Plan([], 0, 0, len(rows), [], [], 0)
    first_seen: dict[str, int] = {}
    by_code = {q.code: q for q in questionnaire.questions}
    for row in rows:
        status = _file_row(plan, row, known, first_seen, by_code)
        if len(plan.preview) < PREVIEW_ROWS:
            reason = _preview_reason(row, status, plan)
            plan.preview.append(PreviewRow(row.line, status, preview_values(questionnaire, row), reason))
    plan.problems.sort(key=lambda p: (p.line, p.kind != KIND_REJECTED))
    return plan


def analyse_import(
    session: Session,
    *,
    questionnaire: QuestionnaireInfo,
    table: UploadedTable,
    mapping: dict[str, str],
    edition_id: int | None = None,
) -> ImportReport:
    """A dry run into one of the edition's questionnaires: what the import would store, refuse and skip, and the
    first rows as they will be stored."""
    check_in_edition(session=session, questionnaire_id=questionnaire.id, edition_id=edition_id)
    plan = make_plan(session, questionnaire, table, mapping)
    return plan.report(table, plan.contributions)
