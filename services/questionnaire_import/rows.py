"""Converting a row: every mapped cell checked by its column's converter, every refusal said in French, and the
row's fingerprint, by which an import recognises a response it already holds."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from models import QuestionType
from services.formatting import PARIS, format_number
from services.questionnaire_import.converters import Converter, field_converter, option_converter, question_converter
from services.questionnaire_import.table import RawRow, UploadedTable
from services.questionnaire_import.targets import IGNORE, question_key, shorten
from services.questionnaires import (
    OPEN_MAX_CHARS,
    OPEN_MIN_CHARS,
    AnswerValue,
    DepartementScope,
    QuestionInfo,
    QuestionnaireInfo,
)


@dataclass(frozen=True)
class RowProblem:
    line: int
    column: str
    value: str
    reason: str
    kind: str  # KIND_REJECTED, KIND_NOTE or KIND_DUPLICATE


KIND_REJECTED = "Rejet"
KIND_NOTE = "Remarque"
KIND_DUPLICATE = "Doublon"


@dataclass(frozen=True)
class Column:
    index: int
    header: str
    target: str
    convert: Converter
    question: QuestionInfo | None = None
    choice: str | None = None


@dataclass
class ConvertedRow:
    line: int
    fields: dict[str, Any]
    answers: dict[str, AnswerValue]  # by question code
    problems: list[RowProblem]
    notes: list[RowProblem] = field(default_factory=list)
    fingerprint: str = ""

    @property
    def rejected(self) -> bool:
        return bool(self.problems)


def becomes_contribution(question: QuestionInfo, value: AnswerValue) -> bool:
    """An open answer to a question of a theme, within a contribution's length, is also stored as a contribution."""
    return (
        question.qtype == QuestionType.OPEN
        and question.theme_id is not None
        and isinstance(value, str)
        and OPEN_MIN_CHARS <= len(value) <= OPEN_MAX_CHARS
    )


def mapped_columns(
    questionnaire: QuestionnaireInfo, headers: tuple[str, ...], mapping: dict[str, str], departements: DepartementScope
) -> list[Column]:
    """The mapped columns of the file, each with the converter of its target."""
    by_code = {q.code: q for q in questionnaire.questions}
    columns: list[Column] = []
    for index, header in enumerate(headers):
        target = mapping.get(header, IGNORE)
        if not target:
            continue
        kind, _, rest = target.partition(":")
        if kind == "q":
            q = by_code[rest]
            columns.append(Column(index, header, target, question_converter(q), q))
        elif kind == "opt":
            code, _, choice = rest.partition(":")
            columns.append(Column(index, header, target, option_converter(choice), by_code[code], choice))
        else:
            columns.append(Column(index, header, target, field_converter(rest, departements)))
    return columns


def _fingerprint(row: ConvertedRow) -> str:
    ref = row.fields.get("response_ref")
    if ref:
        basis: Any = {"ref": ref}
    else:
        fields = {k: (v.astimezone(PARIS).isoformat() if isinstance(v, datetime) else v) for k, v in row.fields.items()}
        basis = {"fields": fields, "answers": row.answers}
    digest = hashlib.sha256(json.dumps(basis, sort_keys=True, ensure_ascii=False).encode()).hexdigest()
    return digest


def _shape_problem(raw: RawRow, width: int) -> RowProblem | None:
    """A row with more or fewer fields than the header (empty fields past the end aside) is refused whole."""
    cells = raw.cells
    if len(cells) == width or (len(cells) > width and not any(c.strip() for c in cells[width:])):
        return None
    reason = f"la ligne a {len(cells)} champs au lieu de {width} (séparateur ou guillemet en trop ou en moins ?)"
    return RowProblem(raw.line, "—", shorten(" | ".join(cells), 120), reason, KIND_REJECTED)


def _read_cells(raw: RawRow, columns: list[Column]) -> ConvertedRow:
    """The row's mapped cells converted and put where they go: a field, an answer, a ticked choice."""
    row = ConvertedRow(raw.line, {}, {}, [])
    for column in columns:
        value_raw = raw.cells[column.index]
        if not value_raw.strip():
            continue
        value, problem = column.convert(value_raw)
        if problem and value is None:
            row.problems.append(RowProblem(raw.line, column.header, shorten(value_raw, 200), problem, KIND_REJECTED))
            continue
        if problem:  # a value kept with a remark (a département of another Région, filed « Hors région »)
            row.notes.append(RowProblem(raw.line, column.header, shorten(value_raw, 200), problem, KIND_NOTE))
        q = column.question
        if column.choice is not None and q is not None:
            if value:
                picked = row.answers.setdefault(q.code, [])
                assert isinstance(picked, list)
                picked.append(column.choice)
        elif q is not None:
            row.answers[q.code] = value
        else:
            row.fields[column.target.partition(":")[2]] = value
    return row


def _tidy_answers(row: ConvertedRow, by_code: dict[str, QuestionInfo], header_of: dict[str, str]) -> None:
    """Ticked choices in the questionnaire's order (none ticked: no answer); a remark on each open answer too
    short or too long to become a contribution."""
    for code, value in list(row.answers.items()):
        q = by_code[code]
        if isinstance(value, list) and q.qtype == QuestionType.MULTIPLE:
            row.answers[code] = [c for c in q.choices if c in value]
            if not row.answers[code]:
                del row.answers[code]
        elif q.qtype == QuestionType.OPEN and isinstance(value, str) and q.theme_id is not None:
            if OPEN_MIN_CHARS <= len(value) <= OPEN_MAX_CHARS:
                continue
            why = (
                f"réponse de moins de {OPEN_MIN_CHARS} caractères"
                if len(value) < OPEN_MIN_CHARS
                else f"réponse de plus de {format_number(OPEN_MAX_CHARS)} caractères"
            )
            reason = f"{why} : gardée comme réponse, sans devenir une contribution"
            header = header_of[question_key(code)]
            row.notes.append(RowProblem(row.line, header, shorten(value, 200), reason, KIND_NOTE))


def convert_rows(
    questionnaire: QuestionnaireInfo, table: UploadedTable, columns: list[Column]
) -> Iterator[ConvertedRow]:
    """Every row of the file converted exactly as the import stores it, with its refusals and remarks."""
    width = len(table.headers)
    by_code = {q.code: q for q in questionnaire.questions}
    header_of = {c.target: c.header for c in columns}
    for raw in table.rows:
        shape = _shape_problem(raw, width)
        if shape is not None:
            yield ConvertedRow(raw.line, {}, {}, [shape])
            continue
        row = _read_cells(raw, columns)
        _tidy_answers(row, by_code, header_of)
        if not row.problems and not row.answers:
            row.problems.append(
                RowProblem(raw.line, "—", "", "aucune réponse dans les colonnes reliées à une question", KIND_REJECTED)
            )
        if not row.problems:
            row.fingerprint = _fingerprint(row)
        yield row
