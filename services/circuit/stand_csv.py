"""An edition's stands as a CSV: importing a spreadsheet of stands (bad rows reported, good rows saved) and
exporting them in the same columns."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from typing import Any

from sqlmodel import Session, col, select

from models import Stand
from services.audit import audit
from services.circuit.stand_admin import StandValues, check_stand_values, save_stand
from services.circuit.stand_pages import stand_pages
from services.errors import ValidationError
from services.exports import csv_bytes
from services.formatting import format_number
from services.scope import require_writable, resolve_edition_id
from services.text import has_forbidden_characters

CSV_COLUMNS = ("code", "name", "experience", "carrier", "theme", "description", "question", "position", "ptce")
MAX_STAND_FILE_BYTES = 1024 * 1024  # a circuit of a few dozen stands is a few kilobytes
# Each row is checked against the store under the write lock: a megabyte of short lines would hold it for minutes.
MAX_STAND_ROWS = 1_000
MAX_STAND_COLUMNS = 50


@dataclass(frozen=True)
class RejectedRow:
    line: int  # the line of the file, header = 1
    code: str
    reasons: str


@dataclass(frozen=True)
class StandImportReport:
    created: int
    updated: int
    rejected: list[RejectedRow]


def _decoded(content: bytes) -> str:
    """The file as text, or a French refusal of the whole file (too big, not UTF-8, not text)."""
    if len(content) > MAX_STAND_FILE_BYTES:
        raise ValidationError({"file": "Ce fichier est trop gros pour une liste de stands : 1 Mo au plus."})
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ValidationError(
            {"file": "Ce fichier n'est pas en UTF-8 : enregistrez-le au format « CSV UTF-8 » puis importez-le."}
        ) from None
    if "\x00" in text:
        raise ValidationError({"file": "Ce fichier n'est pas un texte CSV (il contient des octets nuls)."})
    return text


def _records(text: str) -> list[dict[str | Any, str | Any]]:
    """The file's rows, parsed whole before anything is saved: a malformed line refuses the file, never half of it."""
    first = text[: text.find("\n")] if "\n" in text else text  # not splitlines(): a million lines for one
    delimiter = ";" if first.count(";") > first.count(",") else ","  # French spreadsheets export with ';'
    try:
        reader = csv.DictReader(io.StringIO(text, newline=""), delimiter=delimiter)
        header = [(h or "").strip().lower() for h in (reader.fieldnames or [])]
        if len(header) > MAX_STAND_COLUMNS:
            raise ValidationError(
                {"file": f"Plus de {format_number(MAX_STAND_COLUMNS)} colonnes : ce n'est pas une liste de stands."}
            )
        records = []
        for record in reader:
            records.append(record)
            if len(records) > MAX_STAND_ROWS:
                raise ValidationError(
                    {
                        "file": f"Plus de {format_number(MAX_STAND_ROWS)} lignes : une liste de stands en compte "
                        "quelques dizaines. Rien n'a été importé."
                    }
                )
    except csv.Error:
        raise ValidationError(
            {"file": "Ce fichier CSV est mal formé (guillemet non fermé ou cellule démesurée) : corrigez-le."}
        ) from None
    missing = [c for c in ("code", "name", "theme") if c not in header]
    if missing:
        raise ValidationError({"file": "Colonnes obligatoires absentes : " + ", ".join(missing) + "."})
    return records


def _row_values(raw: dict[str | Any, str | Any]) -> StandValues:
    """A row's cells under the import's column names (trimmed, case-insensitive headers; missing ones empty)."""
    row = {(k or "").strip().lower(): (v or "").strip() for k, v in raw.items() if isinstance(v, str)}
    fields: dict[str, Any] = {k: row.get(k, "") for k in CSV_COLUMNS}
    return StandValues(**fields)


def _import_row(
    session: Session, values: StandValues, *, line: int, seen: set[str], actor: str, edition: int
) -> RejectedRow | bool:
    """Save one row's stand (True: an existing stand updated, False: a new one), or why the row is refused."""
    columns, errors = check_stand_values(session, values, edition_id=edition)
    code = str(columns["code"])
    if code in seen and not errors:
        errors["code"] = "Ce code apparaît deux fois dans le fichier."
    if errors:
        shown = "" if has_forbidden_characters(code) else code[:20]  # the report is shown and downloaded
        return RejectedRow(line, shown, " ; ".join(errors.values()))
    seen.add(code)
    existing = session.exec(select(Stand).where(col(Stand.edition_id) == edition, col(Stand.code) == code)).first()
    try:
        save_stand(
            session=session,
            values=values,
            actor=actor,
            stand_id=existing.id if existing else None,
            edition_id=edition,
        )
    except ValidationError as exc:
        return RejectedRow(line, code, " ; ".join(exc.errors.values()))
    return existing is not None


def import_stands_csv(
    session: Session, *, content: bytes, actor: str, edition_id: int | None = None
) -> StandImportReport:
    """Create or update the edition's stands from a CSV (UTF-8, ',' or ';'); bad rows are reported, good rows still
    saved. Codes (stands, themes, projects) are the edition's own."""
    edition = resolve_edition_id(session=session, edition_id=edition_id)
    require_writable(session=session, edition_id=edition)
    records = _records(_decoded(content))
    created = updated = 0
    rejected: list[RejectedRow] = []
    seen: set[str] = set()
    for line, raw in enumerate(records, start=2):
        outcome = _import_row(session, _row_values(raw), line=line, seen=seen, actor=actor, edition=edition)
        if isinstance(outcome, RejectedRow):
            rejected.append(outcome)
        elif outcome:
            updated += 1
        else:
            created += 1
    counts = {"edition_id": edition, "created": created, "updated": updated, "rejected": len(rejected)}
    audit(session, actor, "stand.import", after=counts)
    return StandImportReport(created, updated, rejected)


def export_stands_csv(session: Session, *, edition_id: int | None = None) -> bytes:
    """The edition's stands as a CSV in the import's own columns (theme and project by code): edit, re-import."""
    edition = resolve_edition_id(session=session, edition_id=edition_id)
    rows = [
        (p.code, p.name, p.experience, p.carrier, p.theme_code, p.description, p.question, p.position, p.ptce_code)
        for p in stand_pages(session, edition)
    ]
    return csv_bytes(CSV_COLUMNS, rows)
