"""Saved mappings (reused on the next export of the same form) and mapping files (for the CLI)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

import yaml
from sqlmodel import Session, col, select

from models import ImportMapping, utcnow
from services.errors import ValidationError
from services.formatting import format_number
from services.questionnaire_import.csv_file import decode_text
from services.questionnaire_import.table import ImportFileError
from services.questionnaires import QuestionnaireInfo, check_in_edition
from services.scope import require_writable
from services.text import has_forbidden_characters

MAX_MAPPING_BYTES = 256 * 1024  # a mapping of 500 columns is a few dozen kilobytes
MAPPING_FORMAT = "ess-correspondance-import"


@dataclass(frozen=True)
class SavedMapping:
    name: str
    columns: dict[str, str]
    created_at: datetime


def list_mappings(session: Session, *, questionnaire_id: int, edition_id: int | None = None) -> list[SavedMapping]:
    """The mappings saved for one of the edition's questionnaires, most recent first."""
    check_in_edition(session=session, questionnaire_id=questionnaire_id, edition_id=edition_id)
    rows = session.exec(
        select(ImportMapping)
        .where(ImportMapping.questionnaire_id == questionnaire_id)
        .order_by(col(ImportMapping.created_at).desc())
    ).all()
    return [SavedMapping(r.name, dict(r.mapping.get("columns") or {}), r.created_at) for r in rows]


def save_mapping(
    session: Session, *, questionnaire_id: int, name: str, columns: dict[str, str], edition_id: int | None = None
) -> SavedMapping:
    """Save (or replace) a named mapping for the next export of the same form (one of the edition's)."""
    edition = check_in_edition(session=session, questionnaire_id=questionnaire_id, edition_id=edition_id)
    require_writable(session=session, edition_id=edition)
    clean = " ".join((name or "").split())
    if not clean or len(clean) > 120 or has_forbidden_characters(clean):
        raise ValidationError({"mapping_name": "Donnez à cette correspondance un nom de 1 à 120 caractères."})
    row = session.exec(
        select(ImportMapping).where(ImportMapping.questionnaire_id == questionnaire_id, ImportMapping.name == clean)
    ).first()
    now = utcnow()
    payload = {"format": MAPPING_FORMAT, "version": 1, "columns": dict(columns)}
    if row is None:
        row = ImportMapping(questionnaire_id=questionnaire_id, name=clean, mapping=payload, created_at=now)
    else:
        row.mapping = payload
        row.created_at = now
    session.add(row)
    session.flush()
    return SavedMapping(clean, dict(columns), now)


def mapping_file(questionnaire: QuestionnaireInfo, columns: dict[str, str]) -> bytes:
    """A mapping as a JSON file, for `manage.py import-answers --mapping` or another computer."""
    payload = {"format": MAPPING_FORMAT, "version": 1, "questionnaire": questionnaire.slug, "columns": columns}
    return json.dumps(payload, ensure_ascii=False, indent=2).encode("utf-8")


def read_mapping_file(data: bytes) -> dict[str, str]:
    """The column → target pairs of a mapping file (JSON, or YAML for one written by hand)."""
    if len(data) > MAX_MAPPING_BYTES:
        raise ImportFileError(
            f"Le fichier de correspondance pèse plus de {format_number(MAX_MAPPING_BYTES // 1024)} Ko : "
            "ce n'est pas une correspondance de colonnes."
        )
    try:
        payload = yaml.safe_load(decode_text(data)[0])
    except yaml.YAMLError as exc:
        raise ImportFileError("Le fichier de correspondance n'est ni du JSON ni du YAML lisible.") from exc
    columns = payload.get("columns") if isinstance(payload, dict) else None
    if not isinstance(columns, dict) or not all(isinstance(k, str) for k in columns):
        raise ImportFileError("Le fichier de correspondance doit contenir « columns » : nom de colonne → cible.")
    # YAML aliases make a nested list of a billion items out of a few lines: only a text is a target.
    if not all(v is None or isinstance(v, str) for v in columns.values()):
        raise ImportFileError("Dans le fichier de correspondance, chaque cible doit être un texte (ou vide).")
    return {str(k): "" if v in (None, "ignore", "ignorer") else str(v) for k, v in columns.items()}
