"""Mapping an export's columns to the questionnaire: each column to a question, one choice of a multiple
question, a respondent field or nothing; proposed from the column names, checked before use."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from rapidfuzz import fuzz, process

from models import QuestionType
from services.formatting import format_number
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
    "email": ("email", "e mail", "mail", "courriel", "adresse mail", "adresse e mail", "adresse electronique"),
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
FUZZY_CUTOFF = 80  # below this, a column is left unmapped: staff decide


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


@dataclass(frozen=True)
class Proposal:
    target: str
    reason: str  # French, shown next to the proposal


def propose_mapping(
    questionnaire: QuestionnaireInfo, headers: Iterable[str], saved: dict[str, str] | None = None
) -> dict[str, Proposal]:
    """A target for each column: the saved mapping's, else a field or question name, else the closest question."""
    valid = {t.key for t in mapping_targets(questionnaire)}
    saved_by_norm = {norm(h): t for h, t in (saved or {}).items() if t in valid}
    questions = questionnaire.questions
    by_code = {norm(q.code): q for q in questions}
    texts = {q.code: norm(q.text) for q in questions}
    synonyms = {s: name for name, words in FIELD_SYNONYMS.items() for s in words}

    # (score, column order, header, target, reason): the best score wins a target, then the leftmost column.
    candidates: list[tuple[float, int, str, str, str]] = []
    proposals: dict[str, Proposal] = {}
    for order, header in enumerate(headers):
        n = norm(header)
        if n in saved_by_norm:
            proposals[header] = Proposal(saved_by_norm[n], "correspondance enregistrée")
            continue
        if n in by_code or n.split(" ")[0] in by_code:
            code = by_code.get(n) or by_code[n.split(" ")[0]]
            candidates.append((101.0, order, header, question_key(code.code), "code de la question"))
            continue
        if n in synonyms:
            candidates.append((100.0, order, header, field_key(synonyms[n]), "nom habituel de ce champ"))
            continue
        option = _propose_option(questionnaire, header)
        if option is not None:
            candidates.append((option[0], order, header, option[1], _resemblance(option[0])))
            continue
        # Short names ("Nom", "Âge") say too little to be matched with a long question by resemblance.
        if len(n) >= 12 and len(n.split()) >= 3:
            found = process.extractOne(n, texts, scorer=fuzz.WRatio, score_cutoff=FUZZY_CUTOFF)
            if found is not None:
                score = float(found[1])
                candidates.append((score, order, header, question_key(str(found[2])), _resemblance(score)))
                continue
            synonym = process.extractOne(n, list(synonyms), scorer=fuzz.ratio, score_cutoff=90)
            if synonym is not None:
                score = float(synonym[1])
                candidates.append((score, order, header, field_key(synonyms[str(synonym[0])]), _resemblance(score)))
    taken = {p.target for p in proposals.values() if p.target}
    for _, _, header, target, reason in sorted(candidates, key=lambda c: (-c[0], c[1])):
        if target in taken:
            continue
        taken.add(target)
        proposals[header] = Proposal(target, reason)
    return {h: proposals.get(h, Proposal(IGNORE, "aucune question ne ressemble à ce nom")) for h in headers}


def _resemblance(score: float) -> str:
    return f"ressemblance {format_number(min(score, 100))} %"


def _propose_option(questionnaire: QuestionnaireInfo, header: str) -> tuple[float, str] | None:
    """'Question text [Choice]' (LimeSurvey, Google Forms grids): one column per choice of a multiple question."""
    match = re.match(r"^(.*?)\s*[\[(]([^\[\]()]+)[\])]\s*$", header)
    if not match:
        return None
    stem, choice = norm(match.group(1)), norm(match.group(2))
    multiples = [q for q in questionnaire.questions if q.qtype == QuestionType.MULTIPLE]
    best: tuple[float, str] | None = None
    for q in multiples:
        stem_score = 100.0 if stem in (norm(q.code), norm(q.text)) else fuzz.WRatio(stem, norm(q.text))
        if stem_score < FUZZY_CUTOFF:
            continue
        found = process.extractOne(choice, {c: norm(c) for c in q.choices}, scorer=fuzz.WRatio, score_cutoff=85)
        if found is not None:
            score = min(stem_score, float(found[1]))
            if best is None or score > best[0]:
                best = (score, option_key(q.code, str(found[2])))
    return best


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
                f"La question {code} est reliée à la fois à une colonne entière et à des colonnes par choix : "
                "choisissez l'une des deux façons."
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
        notes.append(
            "Questions obligatoires en ligne sans colonne dans ce fichier (elles resteront sans réponse) : "
            + ", ".join(missing)
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
