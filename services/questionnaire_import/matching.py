"""Proposing a target for each column of an export: its header read against the questions' texts and codes and
the fields' usual names (by meaning, through the text-similarity service), its values checked against what each
target accepts, then one target per column chosen for the whole file at once, each with a calibrated confidence.

The score of a (column, target) pair, in [0, 1]:
- `header`: how close the header is to the target (1 for a question's code or a field's usual name);
- `evidence`: how much the values alone point to this target (e-mail addresses to the e-mail field, one single
  question's choices to that question; nothing for marks, oui/non or free text, which many questions share);
- the two combined as independent clues (1 - (1 - header) × (1 - evidence)), then multiplied by a gate on the
  share of values the target accepts: a column of free text never reaches a scale or a yes/no question.
The assignment maximises the file's total score with each target used once (Hungarian algorithm); a pair's level
comes from its score and its lead over the next best choice, with thresholds measured on the five exports of
tests/fixtures/similarity/exports (see tests/services/test_mapping_eval.py).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from rapidfuzz import fuzz
from scipy.optimize import linear_sum_assignment  # type: ignore[import-untyped]

from models import QuestionType
from services import semantics
from services.questionnaire_import import column_values as cv
from services.questionnaire_import.converters import Converter
from services.questionnaire_import.targets import (
    FIELD_LABELS,
    FIELD_SYNONYMS,
    HIGH,
    IGNORE,
    LOW,
    MEDIUM,
    NO_SAFE_PROPOSAL,
    Proposal,
    field_key,
    norm,
    option_key,
    question_key,
)
from services.questionnaires import QuestionInfo, QuestionnaireInfo

# Levels, calibrated on the five exports (no wrong pair at HIGH_SCORE with HIGH_LEAD; see the module docstring).
HIGH_SCORE = 0.80
HIGH_LEAD = 0.10  # over the column's next best target and the target's next best column
MEDIUM_SCORE = 0.60
LOW_SCORE = 0.50  # below: no proposal
EMPTY_COLUMN = "colonne vide : rien à importer"


def similarity_matrix(texts_a: Sequence[str], texts_b: Sequence[str]) -> np.ndarray:
    """How alike headers and question texts are, in [0, 1]: the app's one text-similarity service (meaning and
    shared words, French-aware, offline), as for grouping and suggestions."""
    return np.asarray(semantics.similarity_matrix(list(texts_a), list(texts_b)), dtype=np.float64)


# --- headers ------------------------------------------------------------------------------------------------

_CHOICE = re.compile(r"^(.*?)\s*\[([^\[\]]+)\]\s*$")
_TOOL_CODE = re.compile(r"^([A-Za-z][\w]*(?:\[[^\]]*\])?)\.\s+(\S.*)$")  # LimeSurvey « G2Q02[SQ001]. Texte »
_NUMBER = re.compile(r"^(?:q(?:uestion)?\s*\.?\s*(\d{1,3})\b|(\d{1,3})\s*[.)°-])\s*[.:)–-]?\s*", re.IGNORECASE)
# « changer d'échelle » is no scale: the hint is « échelle de 1 », « 1 à 5 », « sur 5 », « /5 », « note ».
_SCALE_WORDS = r"(?:\b1\s*(?:à|a|-|/)\s*5\b|\bsur\s*5\b|/\s*5\b|\bnote\b|[ée]chelle de 1|1\s*=.*5\s*=)"
_SCALE_BRACKETS = re.compile(rf"\s*\((?=[^)]*{_SCALE_WORDS})[^)]*\)", re.IGNORECASE)
_SCALE_LEAD = re.compile(r"^\s*(?:sur une [ée]chelle\s+)?de\s+1\b[^,]*?\b5\b(?:\s*\([^)]*\))?\s*,\s*", re.IGNORECASE)
_SCALE_HINT = re.compile(_SCALE_WORDS, re.IGNORECASE)


@dataclass(frozen=True)
class Header:
    raw: str
    text: str  # what is compared by meaning: no tool code, number, choice or scale hint
    code: str  # the tool's code before « . » (LimeSurvey), folded, or the whole header when it is one word
    number: int | None  # « Q12 … », « 12. … »
    choice: str | None  # « Question [Choix] »: one column per choice
    scale_hint: bool  # « (1 à 5) », « note », « /5 »


def parse_header(raw: str) -> Header:
    """The parts of a column name that say different things: tool code, question number, choice, scale."""
    rest = raw.strip()
    code = ""
    tool = _TOOL_CODE.match(rest)
    if tool:
        code, rest = tool.group(1), tool.group(2)
    choice = None
    bracket = _CHOICE.match(rest)
    if bracket:
        rest, choice = bracket.group(1), bracket.group(2).strip()
    elif not code and "[" in rest:  # « q_communication_publics[Grand public] »
        inner = re.match(r"^([\w.-]+)\[([^\]]+)\]$", rest)
        if inner:
            code, choice, rest = inner.group(1), inner.group(2).strip(), ""
    number = None
    numbered = _NUMBER.match(rest)
    if numbered:
        number = int(numbered.group(1) or numbered.group(2))
        rest = rest[numbered.end() :]
    scale_hint = bool(_SCALE_HINT.search(raw))
    text = _SCALE_LEAD.sub("", _SCALE_BRACKETS.sub("", rest)).strip(" ?:.,;-")
    if not code and re.fullmatch(r"[A-Za-z][\w]*", rest):
        code = rest
    return Header(raw, text or rest or code, norm(code.split("[")[0]), number, choice, scale_hint)


def question_text(question: QuestionInfo) -> str:
    """The question's text as compared with headers: without the scale's « De 1 (…) à 5 (…), »."""
    return _SCALE_LEAD.sub("", question.text).strip(" ?")


# --- targets as the matcher sees them --------------------------------------------------------------------


@dataclass(frozen=True)
class _Target:
    key: str
    kind: str  # a field's name, a QuestionType value, or "option"
    name: str  # how a reason names it after « de »: « la question Q3 », « « Organisation » », « un choix de Q5 »
    number: int | None
    question: QuestionInfo | None
    choice: str | None


def _targets(questionnaire: QuestionnaireInfo) -> list[_Target]:
    found = [_Target(field_key(k), k, f"« {v} »", None, None, None) for k, v in FIELD_LABELS.items()]
    for number, q in enumerate(questionnaire.questions, start=1):
        found.append(_Target(question_key(q.code), str(q.qtype), f"la question Q{number}", number, q, None))
        if q.qtype == QuestionType.MULTIPLE:
            found += [
                _Target(option_key(q.code, c), "option", f"un choix de Q{number}", number, q, c) for c in q.choices
            ]
    return found


# --- header scores ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _HeaderScore:
    score: float
    how: str  # "code", "usual", "close", "" (too far to be named)


def _header_scores(headers: list[Header], targets: list[_Target]) -> list[list[_HeaderScore]]:
    """Every header against every target, by meaning; exact codes and usual field names count as certain."""
    questions = [t for t in targets if t.kind not in FIELD_LABELS and t.kind != "option"]
    field_texts = [(k, s) for k in FIELD_LABELS for s in (FIELD_LABELS[k], *FIELD_SYNONYMS[k])]
    q_texts = [question_text(t.question) for t in questions if t.question]
    code_texts = [t.question.code.removeprefix("q_").replace("_", " ") for t in questions if t.question]
    stems = [h.text for h in headers]
    choices = [h.choice or "" for h in headers]
    sim = similarity_matrix(stems, [s for _, s in field_texts] + q_texts + code_texts)
    n_fields, n_q = len(field_texts), len(q_texts)
    q_index = {t.key: i for i, t in enumerate(questions)}
    usual = {name: {norm(s) for s in FIELD_SYNONYMS[name]} for name in FIELD_LABELS}
    field_columns = {k: [j for j, (name, _) in enumerate(field_texts) if name == k] for k in FIELD_LABELS}
    codes = {t.key: norm(t.question.code) for t in targets if t.question}
    target_choices = {t.key: norm(t.choice) for t in targets if t.choice}
    out: list[list[_HeaderScore]] = []
    for i, h in enumerate(headers):
        names = {norm(h.text), h.code, norm(h.raw)}
        first_word = norm(h.text).split(" ")[0]
        choice = norm(choices[i])
        row: list[_HeaderScore] = []
        for t in targets:
            if t.kind in FIELD_LABELS:
                if names & usual[t.kind]:
                    row.append(_HeaderScore(1.0, "usual"))
                else:
                    row.append(_HeaderScore(float(sim[i, field_columns[t.kind]].max()), "close"))
                continue
            assert t.question is not None
            code = codes[t.key]
            if code in names or first_word == code:
                row.append(_HeaderScore(1.0, "code"))
                continue
            j = q_index[question_key(t.question.code)]
            text_score = max(float(sim[i, n_fields + j]), 0.85 * float(sim[i, n_fields + n_q + j]))
            if t.kind == "option":
                choice_score = fuzz.token_set_ratio(choice, target_choices[t.key]) / 100 if choice else 0.0
                text_score = min(text_score, choice_score)
            row.append(_HeaderScore(text_score, "close"))
        out.append(row)
    return out


# --- value fits -----------------------------------------------------------------------------------------------

_FIELD_FITS: dict[str, Callable[[cv.ColumnValues], float]] = {
    "submitted_at": cv.fits_date,
    "email": cv.fits_email,
    "departement": cv.fits_departement,
    "actor_type": cv.fits_actor_type,
    "response_ref": cv.fits_reference,
    "organisation": cv.fits_name,
    "respondent_name": cv.fits_name,
}
# How far values alone point to a field, when nearly all fit: an e-mail column is one, dates may be several.
_FIELD_EVIDENCE = {"email": 0.9, "departement": 0.8, "submitted_at": 0.7, "actor_type": 0.6, "response_ref": 0.4}
_VALUE_WORDS = {
    "submitted_at": "dates",
    "email": "adresses électroniques",
    "departement": "codes de département",
    "actor_type": "types d'acteur",
    "response_ref": "identifiants uniques",
    "organisation": "noms",
    "respondent_name": "noms",
    QuestionType.YESNO.value: "oui / non",
    QuestionType.SCALE.value: "notes de 1 à 5",
    QuestionType.OPEN.value: "textes libres",
    "option": "cases cochées",
}


@dataclass(frozen=True)
class _Fit:
    share: float  # of the values this target accepts
    evidence: float  # how much the values alone point to it


def _open_fit(col: cv.ColumnValues) -> float:
    """Free text fits an open question; short plain words half fit (« Non. », « Salon des SCOP »)."""

    def fit(v: str) -> float:
        if cv.is_free_text(v):
            return 1.0
        return 0.6 if cv.is_short_text(v) and not (cv.is_yes_no(v) or cv.is_mark(v)) else 0.0

    return cv.share(col, fit)


def _fit(col: cv.ColumnValues, t: _Target, memo: dict[str, float], converters: dict[str, Converter]) -> _Fit:
    def once(name: str, compute: Callable[[], float]) -> float:
        if name not in memo:
            memo[name] = compute()
        return memo[name]

    if t.kind in _FIELD_FITS:
        share = once(t.kind, lambda: _FIELD_FITS[t.kind](col))
        evidence = _FIELD_EVIDENCE.get(t.kind, 0.0) if share >= 0.9 else 0.0
        if t.kind == "departement" and col.all_distinct and all(v.isdigit() and len(v) < 4 for v in col.values):
            evidence = 0.0  # 12, 13, 15, 18…: a response number looks like départements
        return _Fit(share, evidence)
    if t.kind == QuestionType.YESNO:
        return _Fit(once("yesno", lambda: cv.fits_yes_no(col)), 0.0)
    if t.kind == QuestionType.SCALE:
        return _Fit(once("scale", lambda: cv.fits_scale(col)), 0.0)
    if t.kind == QuestionType.OPEN:
        return _Fit(once("open", lambda: _open_fit(col)), 0.0)
    if t.kind == "option":
        assert t.choice is not None
        return _Fit(cv.fits_ticks(col, t.choice), 0.0)
    assert t.question is not None
    question = t.question
    if question.code not in converters:
        converters[question.code] = cv.choice_converter(question)
    convert = converters[question.code]
    share = once(t.key, lambda: cv.fits_choices(col, convert))
    exact = cv.fits_exact_choices(col, question) if t.kind == QuestionType.SINGLE else share
    return _Fit(share, 0.8 * exact if exact >= 0.6 else 0.0)


def _gate(share: float) -> float:
    """What a pair keeps of its score given the share of values the target accepts: all of it from 80 %, a
    tenth below half (a value/type mismatch is no small doubt)."""
    if share >= 0.8:
        return 1.0
    if share >= 0.5:
        return 0.4 + 0.6 * (share - 0.5) / 0.3
    return 0.1 * share


# --- the whole file -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Pair:
    score: float
    header: _HeaderScore
    fit: _Fit | None


def _pair(
    h: Header,
    hs: _HeaderScore,
    t: _Target,
    col: cv.ColumnValues | None,
    caches: tuple[dict[str, float], dict[str, Converter]],
) -> _Pair:
    if t.kind == "option" and h.choice is None:
        return _Pair(0.0, hs, None)
    fit = _fit(col, t, *caches) if col is not None else None
    evidence = fit.evidence if fit else 0.0
    score = 1 - (1 - hs.score) * (1 - evidence)
    if t.number is not None and h.number == t.number:
        score = 1 - (1 - score) * 0.65  # « Q12 … » in a sheet typed from the questionnaire as the app numbers it
    if h.choice is not None and t.kind != "option" and hs.how != "code":
        score *= 0.5  # « Question [Choix] » is one choice's column
    if h.scale_hint:
        score = 1 - (1 - score) * 0.85 if t.kind == QuestionType.SCALE else score * 0.6
    if fit is not None:
        score *= _gate(fit.share)
    return _Pair(min(score, 1.0), hs, fit)


def _of(name: str) -> str:
    return f"d'{name}" if name.startswith("un ") else f"de {name}"


def _reason(h: Header, t: _Target, pair: _Pair) -> str:
    parts: list[str] = []
    if pair.header.how == "code":
        parts.append(f"code de la question Q{t.number}")
    elif pair.header.how == "usual":
        parts.append("nom habituel de ce champ")
    elif t.number is not None and h.number == t.number:
        parts.append(f"numéro Q{t.number}")
    if pair.header.how == "close" and pair.header.score >= 0.5:
        # Only our words, question numbers and field names: a reason is drawn as a caption, never the pack's text.
        parts.append(f"intitulé proche {_of(t.name)}")
    if pair.fit is not None and pair.fit.share >= 0.8:
        words = _VALUE_WORDS.get(t.kind)
        if words is None:  # a single or multiple question: its own choices
            words = f"réponses proposées de Q{t.number}"
        parts.append(f"valeurs : {words}")
    return " · ".join(parts) or f"intitulé vaguement proche {_of(t.name)}"


def _level(score: float, lead: float) -> str:
    if score >= HIGH_SCORE and lead >= HIGH_LEAD:
        return HIGH
    if score >= MEDIUM_SCORE:
        return MEDIUM
    return LOW


def match_columns(
    questionnaire: QuestionnaireInfo,
    headers: Sequence[str],
    columns: Sequence[Sequence[str]] | None,
    *,
    taken: frozenset[str] | set[str] = frozenset(),
) -> dict[str, Proposal]:
    """A proposal for each header (its target, why, how sure; nothing below LOW_SCORE), given each column's
    cells (None: headers only), never one of the `taken` targets."""
    targets = [t for t in _targets(questionnaire) if t.key not in taken]
    parsed = [parse_header(h) for h in headers]
    header_scores = _header_scores(parsed, targets)
    values = [cv.column_values(c) for c in columns] if columns is not None else None
    pairs: list[list[_Pair]] = []
    converters: dict[str, Converter] = {}  # one per question for the whole file: each remembers its values
    for i, h in enumerate(parsed):
        col = values[i] if values is not None else None
        if col is not None and col.empty:
            pairs.append([_Pair(0.0, header_scores[i][j], None) for j in range(len(targets))])
            continue
        caches: tuple[dict[str, float], dict[str, Converter]] = ({}, converters)
        pairs.append([_pair(h, header_scores[i][j], t, col, caches) for j, t in enumerate(targets)])
    scores = np.array([[p.score for p in row] for row in pairs], dtype=np.float64).reshape(len(parsed), len(targets))
    chosen = _assign(scores, targets)
    proposals: dict[str, Proposal] = {}
    for i, h in enumerate(parsed):
        if values is not None and values[i].empty:
            proposals[h.raw] = Proposal(IGNORE, EMPTY_COLUMN)
            continue
        j = chosen.get(i)
        if j is None:
            proposals[h.raw] = Proposal(IGNORE, NO_SAFE_PROPOSAL, score=float(scores[i].max(initial=0.0)))
            continue
        score = float(scores[i, j])
        rival_target = float(np.delete(scores[i], j).max(initial=0.0))
        rival_column = float(np.delete(scores[:, j], i).max(initial=0.0))
        lead = score - max(rival_target, rival_column)
        reason = _reason(h, targets[j], pairs[i][j])
        if lead < HIGH_LEAD:
            k = int(np.argsort(scores[i])[-2]) if len(targets) > 1 else j
            if k != j and scores[i, k] >= LOW_SCORE and rival_target >= rival_column:
                reason += f" · hésite avec {targets[k].name}"
        level = _level(score, lead)
        if values is None and level == HIGH and pairs[i][j].header.how == "close":
            level = MEDIUM  # without the values to back it, a header read by meaning is never « élevée »
        proposals[h.raw] = Proposal(targets[j].key, reason, level, round(score, 3))
    return proposals


def _assign(scores: np.ndarray, targets: list[_Target]) -> dict[int, int]:
    """Column index → target index, each target once, maximising the total of the kept pairs' scores."""
    n = scores.shape[0]
    # What a pair brings is its score above the floor: two weak pairs never outweigh one sure pair (with raw
    # scores, 0.58 + 0.50 would beat 1.0 + nothing and push a column off its certain field).
    kept = np.where(scores >= LOW_SCORE, scores - LOW_SCORE + 1e-6, 0.0)
    padded = np.hstack([kept, np.zeros((n, n))])  # a « nothing » per column: weak pairs are never forced
    rows, cols = linear_sum_assignment(padded, maximize=True)
    chosen = {int(r): int(c) for r, c in zip(rows, cols, strict=True) if c < len(targets) and kept[r, c] > 0}
    # A multiple question is imported either whole or one column per choice, never both: keep the stronger side.
    by_question: dict[str, tuple[list[int], list[int]]] = {}
    for r, c in chosen.items():
        if targets[c].question is not None and targets[c].kind not in FIELD_LABELS:
            whole, parts = by_question.setdefault(targets[c].key.split(":")[1], ([], []))
            (parts if targets[c].kind == "option" else whole).append(r)
    for whole, parts in by_question.values():
        if whole and parts:
            best_part = max(scores[r, chosen[r]] for r in parts)
            for r in parts if scores[whole[0], chosen[whole[0]]] >= best_part else whole:
                del chosen[r]
    return chosen
