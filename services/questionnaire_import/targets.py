"""What a column can be mapped to (ignore, a respondent field, a question, one choice of a multiple question),
the names survey tools give those fields, and a proposal for one column. No matching here: `matching` does it."""

from __future__ import annotations

import re
from dataclasses import dataclass

from models import QuestionType
from services.questionnaires import QuestionnaireInfo
from services.text import fold

IGNORE = ""
FIELD_LABELS: dict[str, str] = {
    "organisation": "Organisation",
    "actor_type": "Type d'acteur",
    "departement": "Département",
    "respondent_name": "Nom de la personne",
    "email": "Adresse électronique",
    "submitted_at": "Date de la réponse",
    "response_ref": "Identifiant de la réponse dans l'outil d'origine",
}
# Column names survey tools and spreadsheets use for those fields (folded: no accents, lower case).
FIELD_SYNONYMS: dict[str, tuple[str, ...]] = {
    "organisation": (
        "organisation",
        "organisme",
        "structure",
        "nom de la structure",
        "nom de votre structure",
        "votre structure",
        "nom de l organisation",
        "raison sociale",
    ),
    "actor_type": (
        "type d acteur",
        "type de structure",
        "statut",
        "statut juridique",
        "forme juridique",
        "famille de l ess",
        "vous etes",
    ),
    "departement": ("departement", "dept", "dpt", "code departement", "votre departement", "code postal", "cp"),
    "respondent_name": ("nom", "nom prenom", "prenom nom", "nom et prenom", "votre nom", "nom du repondant", "contact"),
    "email": (
        "email",
        "e mail",
        "mail",
        "courriel",
        "adresse mail",
        "adresse e mail",
        "adresse electronique",
        "adresse de messagerie",  # Microsoft Forms
    ),
    "submitted_at": (
        "horodateur",
        "horodatage",
        "date",
        "date de reponse",
        "date de soumission",
        "date de saisie",
        "date d envoi",
        "submitdate",
        "date submitted",
        "timestamp",
        "heure de fin",
        "completion time",
        "soumis le",
    ),
    "response_ref": (
        "id",
        "identifiant",
        "id de reponse",
        "identifiant de reponse",
        "numero de reponse",
        "n de reponse",
        "response id",
        "serial",
        "numero de soumission",
        "sid",
    ),
}


def norm(value: str) -> str:
    """Folded and reduced to words: what two spellings of the same column name share."""
    return " ".join(re.sub(r"[^0-9a-z]+", " ", fold(value)).split())


@dataclass(frozen=True)
class MappingTarget:
    key: str  # "" (ignore), "field:<name>", "q:<code>" or "opt:<code>:<choice>"
    label: str


def field_key(name: str) -> str:
    return f"field:{name}"


def question_key(code: str) -> str:
    return f"q:{code}"


def option_key(code: str, choice: str) -> str:
    return f"opt:{code}:{choice}"


def shorten(text: str, limit: int = 70) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def mapping_targets(questionnaire: QuestionnaireInfo) -> list[MappingTarget]:
    """Every choice of the mapping step, in the order shown: ignore, respondent fields, questions, options."""
    targets = [MappingTarget(IGNORE, "— Ignorer cette colonne —")]
    targets += [MappingTarget(field_key(k), f"Répondant · {v}") for k, v in FIELD_LABELS.items()]
    for number, q in enumerate(questionnaire.questions, start=1):
        targets.append(MappingTarget(question_key(q.code), f"Q{number} · {shorten(q.text)}"))
    for number, q in enumerate(questionnaire.questions, start=1):
        if q.qtype == QuestionType.MULTIPLE:
            targets += [
                MappingTarget(option_key(q.code, c), f"Q{number} · case « {shorten(c, 50)} » (une colonne par choix)")
                for c in q.choices
            ]
    return targets


# How sure a proposal is, as shown to staff. A saved mapping is no guess: its proposals carry no level.
HIGH = "élevée"
MEDIUM = "moyenne"
LOW = "faible"
NO_SAFE_PROPOSAL = "aucune proposition sûre : choisissez"


@dataclass(frozen=True)
class Proposal:
    target: str
    reason: str  # French, shown next to the proposal: what matched (never a bare percentage)
    confidence: str = ""  # HIGH, MEDIUM, LOW; "" for a saved mapping or no proposal
    score: float = 0.0  # the combined score in [0, 1] the level was read from (for measurement, not shown)
