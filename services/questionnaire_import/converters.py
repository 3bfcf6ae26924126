"""Converting a cell: each mapped column gets a converter that turns its text into the value stored, or says
in French why it cannot (a value with a message is kept, the message becoming a remark)."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime
from typing import Any

from rapidfuzz import fuzz, process

from models import ActorType, QuestionType
from services.contributions import NAME_MAX_CHARS, ORGANISATION_MAX_CHARS
from services.formatting import PARIS, format_number
from services.labels import ACTOR_TYPE_LABELS
from services.questionnaire_import.targets import norm
from services.questionnaires import EMAIL_MAX_CHARS, NO, YES, DepartementScope, QuestionInfo
from services.text import has_forbidden_characters

ANSWER_MAX_CHARS = 10_000  # an open answer longer than this is a pasted document, not an answer
REF_MAX_CHARS = 100
CHOICE_CUTOFF = 90  # a typo in a choice ("Insertion et emplois") is accepted, another choice is not

Converter = Callable[[str], tuple[Any, str | None]]

_TRUE = {"oui", "o", "yes", "y", "1", "x", "vrai", "true", "coche", "selectionne"}
_FALSE = {"non", "n", "no", "0", "faux", "false", "non coche"}
_SCALE = re.compile(r"^\s*([1-5])(?:[.,]0+)?\s*(?:/\s*5)?(?:\s*[-–:.)]\s*.*)?$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
ACTOR_SYNONYMS: dict[str, ActorType] = {
    "asso": ActorType.ASSOCIATION,
    "association loi 1901": ActorType.ASSOCIATION,
    "scop": ActorType.COOPERATIVE,
    "scic": ActorType.COOPERATIVE,
    "cae": ActorType.COOPERATIVE,
    "cooperative": ActorType.COOPERATIVE,
    "mutuelle": ActorType.MUTUAL,
    "mutuelle d assurance": ActorType.MUTUAL,
    "fondation": ActorType.FOUNDATION,
    "entreprise": ActorType.ESS_COMPANY,
    "esus": ActorType.ESS_COMPANY,
    "entreprise solidaire d utilite sociale": ActorType.ESS_COMPANY,
    "entreprise commerciale de l ess": ActorType.ESS_COMPANY,
    "reseau": ActorType.NETWORK,
    "federation": ActorType.NETWORK,
    "tete de reseau": ActorType.NETWORK,
    "collectivite": ActorType.LOCAL_AUTHORITY,
    "commune": ActorType.LOCAL_AUTHORITY,
    "intercommunalite": ActorType.LOCAL_AUTHORITY,
    "epci": ActorType.LOCAL_AUTHORITY,
    "etat": ActorType.PUBLIC_BODY,
    "organisme public": ActorType.PUBLIC_BODY,
    "etablissement public": ActorType.PUBLIC_BODY,
    "citoyen": ActorType.CITIZEN,
    "citoyenne": ActorType.CITIZEN,
    "particulier": ActorType.CITIZEN,
    "autre": ActorType.OTHER,
}
_DATE_FORMATS = (
    "%d/%m/%Y %H:%M:%S",
    "%d/%m/%Y %H:%M",
    "%d/%m/%Y",
    "%d/%m/%y %H:%M",
    "%d/%m/%y",
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%d %H:%M",
    "%Y-%m-%dT%H:%M:%S",
    "%Y-%m-%d",
    "%Y/%m/%d %H:%M:%S",
    "%d-%m-%Y %H:%M:%S",
    "%d-%m-%Y",
    "%d.%m.%Y %H:%M",
    "%d.%m.%Y",
)


def _cached(fn: Converter) -> Converter:
    """Closed answers repeat a handful of values over thousands of rows: convert each distinct value once."""
    memo: dict[str, tuple[Any, str | None]] = {}

    def wrapper(raw: str) -> tuple[Any, str | None]:
        hit = memo.get(raw)
        if hit is None:
            hit = memo[raw] = fn(raw)
        return hit

    return wrapper


def _choice_converter(question: QuestionInfo) -> Converter:
    exact = {norm(c): c for c in question.choices}

    def convert(raw: str) -> tuple[Any, str | None]:
        n = norm(raw)
        if n in exact:
            return exact[n], None
        found = process.extractOne(n, exact, scorer=fuzz.ratio, score_cutoff=CHOICE_CUTOFF)
        if found is not None:
            return found[2], None
        return None, "n'est pas l'une des réponses proposées (" + " ; ".join(question.choices) + ")"

    return _cached(convert)


def _multiple_converter(question: QuestionInfo) -> Converter:
    # Longest first: a choice written inside another ("Grand public" in "Grand public averti") is found whole.
    normalised = sorted(((norm(c), c) for c in question.choices), key=lambda p: -len(p[0]))
    single = _choice_converter(question)

    def by_pieces(raw: str, separators: str) -> list[str] | None:
        picked = []
        for piece in (p.strip() for p in re.split(separators, raw)):
            if not piece:
                continue
            value, problem = single(piece)
            if problem:
                return None
            picked.append(value)
        return picked

    def convert(raw: str) -> tuple[Any, str | None]:
        # Choices are found in the text itself: tools separate them with commas, and choices hold commas too.
        flat = " " + norm(raw) + " "
        picked: set[str] = set()
        for n, choice in normalised:
            if n and f" {n} " in flat:
                picked.add(choice)
                flat = flat.replace(f" {n} ", " ")
        leftover = [w for w in flat.split() if w not in {"et", "ou"}]
        if leftover:
            # Typos: cut at the separators and match each piece on its own.
            pieces = by_pieces(raw, r"[;|\n]") or by_pieces(raw, r"[,;|\n]")
            if pieces is None:
                return None, f"contient « {' '.join(leftover)} », qui n'est pas l'une des réponses proposées"
            picked = set(pieces)
        return [c for c in question.choices if c in picked], None

    return _cached(convert)


def _scale_converter(raw: str) -> tuple[Any, str | None]:
    match = _SCALE.match(raw)
    return (int(match.group(1)), None) if match else (None, "une note de 1 à 5 est attendue")


def _yesno_converter(raw: str) -> tuple[Any, str | None]:
    n = norm(raw)
    if n in _TRUE:
        return YES, None
    if n in _FALSE:
        return NO, None
    return None, "oui ou non est attendu"


# Any C0/C1 control or surrogate: a quick filter before the exact rule of services.text (most texts have none).
_SUSPECT = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")


def _forbidden(text: str) -> bool:
    return bool(_SUSPECT.search(text)) and has_forbidden_characters(text)


def _open_converter(raw: str) -> tuple[Any, str | None]:
    text = raw.replace("\r\n", "\n").replace("\r", "\n").strip()
    if _forbidden(text):
        return None, "contient des caractères de contrôle"
    if len(text) > ANSWER_MAX_CHARS:
        return None, f"dépasse {format_number(ANSWER_MAX_CHARS)} caractères"
    return text, None


def option_converter(choice: str) -> Converter:
    """The converter of a column holding one choice of a multiple question (ticked or not)."""
    own = norm(choice)

    def convert(raw: str) -> tuple[Any, str | None]:
        n = norm(raw)
        if n in _TRUE or n == own:
            return True, None
        if n in _FALSE:
            return False, None
        return None, "case cochée ou non attendue (Oui, X, 1 ou le choix lui-même ; vide ou Non sinon)"

    return _cached(convert)


def _text_converter(max_chars: int) -> Converter:
    def convert(raw: str) -> tuple[Any, str | None]:
        text = " ".join(raw.split())
        if _forbidden(text):
            return None, "contient des caractères de contrôle"
        if len(text) > max_chars:
            return None, f"dépasse {format_number(max_chars)} caractères"
        return text, None

    return convert


def _email_converter(raw: str) -> tuple[Any, str | None]:
    text = raw.strip()
    if len(text) > EMAIL_MAX_CHARS or not _EMAIL.match(text):
        return None, "n'est pas une adresse électronique (nom@domaine.fr)"
    return text, None


def _actor_converter(raw: str) -> tuple[Any, str | None]:
    n = norm(raw)
    by_label = {norm(v): k for k, v in ACTOR_TYPE_LABELS.items()} | {norm(k): k for k in ACTOR_TYPE_LABELS}
    if n in by_label:
        return by_label[n], None
    if n in ACTOR_SYNONYMS:
        return ACTOR_SYNONYMS[n].value, None
    for word, actor in ACTOR_SYNONYMS.items():
        if n.startswith(word + " "):
            return actor.value, None
    found = process.extractOne(n, by_label, scorer=fuzz.ratio, score_cutoff=85)
    if found is not None:
        return found[0] and by_label[str(found[0])], None
    return None, "type d'acteur inconnu (" + " ; ".join(ACTOR_TYPE_LABELS.values()) + ")"


# Codes of the French official geographic code (INSEE): the 101 départements (01-95 without 20, Corsica's 2A
# and 2B, the five overseas) and the overseas collectivities, whose people are just as surely outside the region.
FRENCH_DEPARTEMENTS = frozenset(
    [f"{n:02d}" for n in range(1, 96) if n != 20]
    + ["2A", "2B", "971", "972", "973", "974", "976"]
    + ["975", "977", "978", "984", "986", "987", "988"]
)
EXPECTED_DEPARTEMENT = "numéro ou nom attendu, par exemple 49 ou Maine-et-Loire"


def _departement_from_number(digits: str) -> tuple[str, bool]:
    """(département code, is it one) for a typed code or a postal code: 97100 → 971, 20000 → Corsica."""
    if len(digits) == 5:
        if digits.startswith(("97", "98")):
            return digits[:3], digits[:3] in FRENCH_DEPARTEMENTS
        if digits.startswith("20"):  # Corsica: 200xx-201xx Corse-du-Sud, 202xx and 206xx Haute-Corse
            return ("2A" if digits[2] in "01" else "2B"), digits[2] in "0126"
        return digits[:2], digits[:2] in FRENCH_DEPARTEMENTS
    code = digits.upper()
    if len(code) == 3 and code.startswith("0"):  # zero-padded by some tools (« 049 »): no real code starts with 0
        code = code[1:]
    return code, code in FRENCH_DEPARTEMENTS


_NAME_AND_NUMBER = re.compile(r"^(.*?)\s*\(\s*(\d{2,3}|2[abAB])\s*\)$")


def _departement_converter(departements: DepartementScope) -> Converter:
    """A département of the edition's Région (number, postal code or name) or « hors région »; a département of
    another Région is kept and filed as « Hors région » with a remark naming both Régions (never in silence, and
    a row is never lost for it: a respondent from elsewhere is one); a whole file imported into the wrong
    edition shows at once in the preview's remarks."""
    allowed = departements.allowed
    by_name = {norm(name): code for code, name in allowed.items()}
    elsewhere_by_name = {norm(name): code for code, (name, _) in departements.elsewhere.items()}
    outside = departements.outside

    def elsewhere(code: str) -> tuple[Any, str | None]:
        # A value with a message: kept, and the message becomes the row's remark (see rows.convert_rows).
        if outside is None:
            return None, departements.refusal(code)
        return outside, departements.filed_outside(code)

    def convert(raw: str) -> tuple[Any, str | None]:
        # « Loire-Atlantique (44) », as survey tools list départements: the name and the number must agree.
        named = _NAME_AND_NUMBER.match(raw.strip())
        if named:
            by_number = convert(named.group(2))
            if not named.group(1).strip() or convert(named.group(1)) == by_number:
                return by_number
            return None, f"le nom et le numéro désignent deux départements différents ({EXPECTED_DEPARTEMENT})"
        n = norm(raw)
        if n in by_name:
            return by_name[n], None
        if n in elsewhere_by_name:
            return elsewhere(elsewhere_by_name[n])
        match = re.match(r"^(\d{5}|\d{2,3}|2[ab])\b", n)
        if match:
            digits = match.group(1)
            code, real = _departement_from_number(digits)
            if code in allowed:
                return code, None
            if not real:
                # Never filed as "Hors région": a mistyped code may well be a respondent of the region.
                what = "ce code postal n'est celui" if len(digits) == 5 else "ce numéro n'est celui"
                return None, f"{what} d'aucun département français ({EXPECTED_DEPARTEMENT})"
            return elsewhere(code)
        if n in ("hors region", "autre region", "autre") and outside is not None:
            return outside, None
        found = process.extractOne(n, by_name, scorer=fuzz.ratio, score_cutoff=85)
        if found is not None:
            return by_name[str(found[0])], None
        found = process.extractOne(n, elsewhere_by_name, scorer=fuzz.ratio, score_cutoff=85)
        if found is not None:
            return elsewhere(elsewhere_by_name[str(found[0])])
        return None, f"département inconnu ({EXPECTED_DEPARTEMENT})"

    return _cached(convert)


_FRENCH_DATETIME = re.compile(r"^(\d{2})/(\d{2})/(\d{4}) (\d{2}):(\d{2})(?::(\d{2}))?$")


def _date_converter(raw: str) -> tuple[Any, str | None]:
    text = raw.strip()
    quick = _FRENCH_DATETIME.match(text)  # the usual export form, every row a different value: no strptime
    if quick:
        day, month, year, hour, minute, second = (int(g or 0) for g in quick.groups())
        try:
            return datetime(year, month, day, hour, minute, second, tzinfo=PARIS), None
        except ValueError:
            return None, "date impossible (jour ou mois hors limites)"
    for fmt in _DATE_FORMATS:
        try:
            parsed = datetime.strptime(text, fmt)
        except ValueError:
            continue
        return parsed.replace(tzinfo=PARIS), None  # the tools export local time: Paris
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return None, "date illisible (forme attendue : 14/05/2030 14:30)"
    return (parsed if parsed.tzinfo else parsed.replace(tzinfo=PARIS)), None


def question_converter(question: QuestionInfo) -> Converter:
    """The converter of a column holding a whole question's answer."""
    return {
        QuestionType.OPEN: _open_converter,
        QuestionType.SINGLE: _choice_converter(question),
        QuestionType.MULTIPLE: _multiple_converter(question),
        QuestionType.SCALE: _cached(_scale_converter),
        QuestionType.YESNO: _cached(_yesno_converter),
    }[QuestionType(question.qtype)]


def field_converter(name: str, departements: DepartementScope) -> Converter:
    """The converter of a column holding one of the respondent's fields."""
    return {
        "organisation": _text_converter(ORGANISATION_MAX_CHARS),
        "respondent_name": _text_converter(NAME_MAX_CHARS),
        "response_ref": _text_converter(REF_MAX_CHARS),
        "email": _email_converter,
        "actor_type": _cached(_actor_converter),
        "departement": _departement_converter(departements),
        "submitted_at": _cached(_date_converter),
    }[name]
