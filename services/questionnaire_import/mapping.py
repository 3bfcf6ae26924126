"""Mapping an export's columns to the questionnaire: each column to a question, one choice of a multiple
question, a respondent field or nothing; proposed from the column names and values, checked before use."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from services.questionnaire_import.matching import match_columns
from services.questionnaire_import.table import RawRow
from services.questionnaire_import.targets import (
    FIELD_LABELS,
    FIELD_SYNONYMS,
    HIGH,
    IGNORE,
    LOW,
    MEDIUM,
    NO_SAFE_PROPOSAL,
    MappingTarget,
    Proposal,
    field_key,
    mapping_targets,
    norm,
    option_key,
    question_key,
    shorten,
)
from services.questionnaires import QuestionnaireInfo

__all__ = [
    "FIELD_LABELS",
    "FIELD_SYNONYMS",
    "HIGH",
    "IGNORE",
    "LOW",
    "MEDIUM",
    "NO_SAFE_PROPOSAL",
    "MappingTarget",
    "Proposal",
    "apply_mapping",
    "check_mapping",
    "field_key",
    "mapping_notes",
    "mapping_targets",
    "missing_columns",
    "norm",
    "option_key",
    "propose_mapping",
    "question_key",
    "shorten",
]
SAVED = "correspondance enregistrée"


def propose_mapping(
    questionnaire: QuestionnaireInfo,
    headers: Iterable[str],
    saved: dict[str, str] | None = None,
    *,
    rows: Sequence[RawRow] | None = None,
) -> dict[str, Proposal]:
    """A target for each column: the saved mapping's, else the best of the file's one-to-one matching of headers
    (and of values, when `rows` are given) with the questions and fields, with its confidence and reason."""
    headers = list(headers)
    valid = {t.key for t in mapping_targets(questionnaire)}
    saved_by_norm = {norm(h): t for h, t in (saved or {}).items() if t in valid}
    proposals = {h: Proposal(saved_by_norm[norm(h)], SAVED) for h in headers if norm(h) in saved_by_norm}
    rest = [(i, h) for i, h in enumerate(headers) if h not in proposals]
    columns = None
    if rows is not None:
        columns = [[r.cells[i] if i < len(r.cells) else "" for r in rows] for i, _ in rest]
    taken = {p.target for p in proposals.values() if p.target}  # held by the saved mapping's columns
    proposals |= match_columns(questionnaire, [h for _, h in rest], columns, taken=taken)
    return {h: proposals[h] for h in headers}


def apply_mapping(headers: Iterable[str], columns: dict[str, str]) -> dict[str, str]:
    """A saved or file mapping laid on this file's columns: same name, or same name once accents and case are gone."""
    by_norm = {norm(h): t for h, t in columns.items()}
    return {h: columns.get(h, by_norm.get(norm(h), IGNORE)) for h in headers}


def missing_columns(headers: Iterable[str], columns: dict[str, str]) -> list[str]:
    """Columns a mapping relates to a question but that this file does not have."""
    present = {norm(h) for h in headers}
    return [h for h, t in columns.items() if t and norm(h) not in present]


def check_mapping(questionnaire: QuestionnaireInfo, mapping: dict[str, str]) -> list[str]:
    """French reasons the mapping cannot be used (empty list: it can)."""
    valid = {t.key: t.label for t in mapping_targets(questionnaire)}
    problems: list[str] = []
    used: dict[str, str] = {}
    for header, target in mapping.items():
        if not target:
            continue
        if target not in valid:
            problems.append(f"La colonne « {header} » vise une question qui n'existe pas dans ce questionnaire.")
            continue
        if target in used:
            problems.append(
                f"Les colonnes « {used[target]} » et « {header} » vont toutes deux vers « {valid[target]} » : "
                "n'en gardez qu'une."
            )
        used[target] = header
    option_codes = {t.split(":", 2)[1] for t in used if t.startswith("opt:")}
    for code in sorted(option_codes):
        if question_key(code) in used:
            problems.append(
                f"La question « {valid[question_key(code)]} » est reliée à la fois à une colonne entière et à des "
                "colonnes par choix : choisissez l'une des deux façons."
            )
    if not any(t.startswith(("q:", "opt:")) for t in used):
        problems.append("Aucune colonne n'est reliée à une question : il n'y aurait rien à importer.")
    return problems


def mapping_notes(questionnaire: QuestionnaireInfo, mapping: dict[str, str]) -> list[str]:
    """What staff should know before importing with this mapping (not blocking)."""
    used = set(mapping.values())
    notes = []
    missing = [q.code for q in questionnaire.questions if q.required and question_key(q.code) not in used]
    missing = [c for c in missing if not any(t.startswith(f"opt:{c}:") for t in used)]
    if missing:
        labels = {t.key: t.label for t in mapping_targets(questionnaire)}  # « Q3 · the question », as in the list
        notes.append(
            "Questions obligatoires en ligne sans colonne dans ce fichier (elles resteront sans réponse) : "
            + " ; ".join(f"« {labels[question_key(c)]} »" for c in missing)
            + "."
        )
    if field_key("submitted_at") not in used:
        notes.append("Aucune colonne de date de réponse : la date de l'import servira de date de réponse.")
    if field_key("response_ref") not in used:
        notes.append(
            "Sans identifiant de réponse, une réponse est reconnue à ses valeurs : une réponse corrigée "
            "dans l'outil d'origine sera importée comme une nouvelle réponse."
        )
    return notes
