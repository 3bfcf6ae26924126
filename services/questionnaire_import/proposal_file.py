"""A proposed mapping written as a file for staff to review (`manage.py import-answers --propose-mapping`):
the mapping file format read by `read_mapping_file`, each column preceded by a comment giving its target's label,
the proposal's confidence and what matched."""

from __future__ import annotations

import re
from collections.abc import Sequence

import yaml

from services.questionnaire_import.saved_mappings import MAPPING_FORMAT
from services.questionnaire_import.targets import IGNORE, Proposal, mapping_targets
from services.questionnaires import QuestionnaireInfo

_UNPRINTABLE = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]+")


def _one_line(text: str) -> str:
    """A comment stays one line whatever a file name or a label holds."""
    return _UNPRINTABLE.sub(" ", text).strip()


def _pair(header: str, target: str) -> list[str]:
    """One `columns` entry, indented (a header over 128 characters is written as YAML's « ? key / : value »)."""
    dumped = str(yaml.safe_dump({header: target}, allow_unicode=True, default_flow_style=False, width=10**6))
    return ["  " + line for line in dumped.rstrip("\n").split("\n")]


def proposed_mapping_file(
    questionnaire: QuestionnaireInfo, *, filename: str, headers: Sequence[str], proposals: dict[str, Proposal]
) -> bytes:
    """The proposals as a commented YAML mapping file, in the file's column order."""
    labels = {t.key: t.label for t in mapping_targets(questionnaire)}
    lines = [
        "# Correspondance proposée, à relire avant l'import (manage.py import-answers --propose-mapping).",
        f"# Fichier : {_one_line(filename)} · questionnaire : {questionnaire.slug}",
        "# Chaque colonne du fichier → sa cible : q:CODE (une question), opt:CODE:CHOIX (un choix d'une question",
        "# à choix multiples, une colonne par choix), field:NOM (organisation, actor_type, departement,",
        '# respondent_name, email, submitted_at, response_ref) ou "" (colonne ignorée).',
        "# Le commentaire au-dessus de chaque colonne dit la cible proposée, la confiance (élevée, moyenne,",
        "# faible) et ce qui a été reconnu. Corrigez les cibles, puis importez :",
        f"#   manage.py import-answers FICHIER --questionnaire {questionnaire.slug} --mapping CE_FICHIER",
        f"format: {MAPPING_FORMAT}",
        "version: 1",
        f"questionnaire: {questionnaire.slug}",
        "columns:",
    ]
    for header in headers:
        proposal = proposals[header]
        if proposal.target == IGNORE:
            note = proposal.reason
        else:
            level = f"confiance {proposal.confidence}" if proposal.confidence else "enregistrée"
            note = f"{labels[proposal.target]} — {level} : {proposal.reason}"
        lines.append(f"  # {_one_line(note)}")
        lines += _pair(header, proposal.target)
    return ("\n".join(lines) + "\n").encode("utf-8")
