"""What an import (or its dry run) says: the counts that add up, every refused or skipped row with its reason,
the first rows as they will be stored, and the same as a CSV for a spreadsheet."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from services.exports import csv_bytes
from services.formatting import format_datetime, format_number
from services.labels import ACTOR_TYPE_LABELS
from services.questionnaire_import.rows import ConvertedRow, RowProblem
from services.questionnaire_import.targets import FIELD_LABELS
from services.questionnaires import QuestionnaireInfo, display_answer


@dataclass(frozen=True)
class PreviewRow:
    line: int
    status: str  # "À importer", "Déjà importée", "Rejetée"
    values: dict[str, str]  # column label → value as it will be stored
    reason: str = ""  # why a row is refused or skipped (the first reason when there are several)


@dataclass(frozen=True)
class ImportReport:
    filename: str
    rows_read: int
    rows_imported: int
    rows_duplicate: int
    rows_rejected: int
    blank_lines: int
    contributions: int
    problems: tuple[RowProblem, ...]
    preview: tuple[PreviewRow, ...] = ()
    batch_id: int | None = None
    dry_run: bool = True

    @property
    def adds_up(self) -> bool:
        return self.rows_read == self.rows_imported + self.rows_duplicate + self.rows_rejected

    def summary(self) -> str:
        """One French sentence with every count."""
        verb = "à importer" if self.dry_run else "importées"
        text = (
            f"{format_number(self.rows_read)} lignes lues : {format_number(self.rows_imported)} {verb}, "
            f"{format_number(self.rows_duplicate)} déjà présentes, {format_number(self.rows_rejected)} rejetées"
        )
        extra = []
        if self.contributions:
            made = "deviendront" if self.dry_run else "sont devenues"
            extra.append(f"{format_number(self.contributions)} réponses libres {made} des contributions")
        if self.blank_lines:
            extra.append(f"{format_number(self.blank_lines)} ligne(s) vide(s) ignorée(s)")
        return text + (" ; " + " ; ".join(extra) if extra else "") + "."


def report_csv(report: ImportReport) -> bytes:
    """The report as a CSV for a spreadsheet: line, column, value, reason (formula-safe)."""
    rows = [[p.line, p.kind, p.column, p.value, p.reason] for p in report.problems]
    return csv_bytes(["Ligne", "Type", "Colonne", "Valeur", "Motif"], rows)


def preview_values(questionnaire: QuestionnaireInfo, row: ConvertedRow) -> dict[str, str]:
    """A converted row as the preview shows it: column label → value as it will be stored."""
    values: dict[str, str] = {}
    for name, label in FIELD_LABELS.items():
        value = row.fields.get(name)
        if value is None:
            continue
        if isinstance(value, datetime):
            values[label] = format_datetime(value)
        elif name == "actor_type":
            values[label] = ACTOR_TYPE_LABELS.get(str(value), str(value))
        else:
            values[label] = str(value)
    for number, q in enumerate(questionnaire.questions, start=1):
        if q.code in row.answers:
            values[f"Q{number} {q.code}"] = display_answer(q, row.answers[q.code])
    return values
