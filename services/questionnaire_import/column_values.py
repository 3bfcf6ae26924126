"""What a column's values say it holds, whatever its header: dates, e-mail addresses, départements, oui/non,
marks of 1 to 5, one question's choices, ticks, free text, unique codes. Each detector returns the share of the
column's values (0 to 1) that fit one kind of target, with the import's own converters where they exist, so a
column proposed with « valeurs : … » is one the import accepts."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cache, cached_property

from models import QuestionType
from services import geo
from services.questionnaire_import.converters import (
    _TRUE,
    FRENCH_DEPARTEMENTS,
    Converter,
    _actor_converter,
    _choice_converter,
    _date_converter,
    _multiple_converter,
)
from services.questionnaire_import.targets import norm
from services.questionnaires import QuestionInfo

MAX_DISTINCT = 120  # the distinct values looked at per column: enough to tell a kind, quick on 100 000 rows
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_YES_NO = frozenset({"oui", "non", "o", "n", "yes", "no", "y", "vrai", "faux", "true", "false"})
_MARK = re.compile(r"^\s*([0-9]+)(?:[.,]0+)?\s*(?:/\s*5)?\s*$")
_NUMBER = re.compile(r"^\s*-?[0-9]+(?:[.,][0-9]+)?\s*$")
_CODE = re.compile(r"^[\w.:/#-]{1,40}$")
_DEPARTEMENT_IN_BRACKETS = re.compile(r"\((\d{2,3}|2[ab])\)\s*$")
_UNTICKED = frozenset({"non", "n", "no", "0", "non coche"})
OUTSIDE_WORDS = frozenset({"hors region", "autre region"})


@dataclass(frozen=True)
class ColumnValues:
    """A column's distinct non-empty values (at most MAX_DISTINCT) and how many cells hold each."""

    values: tuple[str, ...]
    counts: tuple[int, ...]
    filled: int  # non-empty cells
    rows: int  # all cells

    @cached_property
    def folded(self) -> tuple[str, ...]:
        """The values as `norm` writes them, in the same order."""
        return tuple(norm(v) for v in self.values)

    @property
    def empty(self) -> bool:
        return not self.values

    @property
    def all_distinct(self) -> bool:
        return self.filled > 1 and len(self.values) == self.filled


def column_values(cells: Sequence[str]) -> ColumnValues:
    """The distinct non-empty values of one column, in order of appearance."""
    seen: dict[str, int] = {}
    filled = 0
    for cell in cells:
        value = cell.strip()
        if value:
            filled += 1
            if value in seen:
                seen[value] += 1
            elif len(seen) < MAX_DISTINCT:
                seen[value] = 1
    return ColumnValues(tuple(seen), tuple(seen.values()), filled, len(cells))


def share(col: ColumnValues, test: Callable[[str], float]) -> float:
    """The part of the column's cells (weighted by how often each distinct value occurs) that `test` accepts."""
    total = sum(col.counts)
    if not total:
        return 0.0
    return sum(float(test(v)) * n for v, n in zip(col.values, col.counts, strict=True)) / total


def is_date(value: str) -> bool:
    text = value.strip()
    # Every form the import reads starts with a digit and is short: free text is turned away before strptime.
    return text[:1].isdigit() and len(text) <= 32 and _date_converter(text)[1] is None


def is_email(value: str) -> bool:
    return _EMAIL.match(value) is not None


@cache
def _departement_names() -> frozenset[str]:
    return frozenset(norm(d.name) for r in geo.regions() for d in r.departements)


def is_departement(value: str) -> bool:
    """A département's number (44, 049, 2A), a postal code, a name, « Name (44) », or « hors région »."""
    n = norm(value)
    if n in _departement_names() or n in OUTSIDE_WORDS:
        return True
    bracket = _DEPARTEMENT_IN_BRACKETS.search(value.strip().lower())
    if bracket:
        return bracket.group(1).upper().lstrip("0").zfill(2) in FRENCH_DEPARTEMENTS
    compact = value.strip().upper()
    if re.fullmatch(r"\d{5}", compact):
        return compact[:2] in FRENCH_DEPARTEMENTS or compact[:3] in FRENCH_DEPARTEMENTS or compact[:2] == "20"
    if re.fullmatch(r"0?(\d{2}|2[AB])|9[78]\d", compact):
        return compact.lstrip("0").zfill(2) in FRENCH_DEPARTEMENTS or compact in FRENCH_DEPARTEMENTS
    return False


def share_folded(col: ColumnValues, test: Callable[[str], bool]) -> float:
    """`share` of a test on the folded values (`norm`)."""
    total = sum(col.counts)
    if not total:
        return 0.0
    return sum(n for f, n in zip(col.folded, col.counts, strict=True) if test(f)) / total


def is_yes_no(value: str) -> bool:
    return norm(value) in _YES_NO


def is_mark(value: str) -> bool:
    match = _MARK.match(value)
    return match is not None and 1 <= int(match.group(1)) <= 5


def is_tick(value: str, choice: str) -> bool:
    """A cell of a column-per-choice export: ticked (Oui, X, 1, the choice itself) or explicitly not."""
    n = norm(value)
    return n in _TRUE or n in _UNTICKED or n == norm(choice)


def is_free_text(value: str) -> bool:
    """Something a person wrote: several words, not a date, a number, an address or oui/non."""
    text = value.strip()
    if len(text) < 15 or len(text.split()) < 3:
        return False
    return not (is_date(text) or is_email(text) or _NUMBER.match(text))


def is_short_text(value: str) -> bool:
    """A few plain words: no date, no number, no address."""
    text = value.strip()
    return 0 < len(text) <= 80 and not (is_date(text) or is_email(text) or _NUMBER.match(text))


def is_name(value: str) -> bool:
    """What a structure's or a person's name looks like: a few words, not a sentence (no final full stop)."""
    text = value.strip()
    return is_short_text(text) and len(text) <= 60 and len(text.split()) <= 8 and not text.endswith((".", "!", "?"))


def is_actor_type(value: str) -> bool:
    return _actor_converter(value)[1] is None


def fits_date(col: ColumnValues) -> float:
    return share(col, is_date)


def fits_email(col: ColumnValues) -> float:
    return share(col, is_email)


def fits_departement(col: ColumnValues) -> float:
    return share(col, is_departement)


def fits_yes_no(col: ColumnValues) -> float:
    return share_folded(col, lambda n: n in _YES_NO)


def fits_scale(col: ColumnValues) -> float:
    return share(col, is_mark)


def fits_free_text(col: ColumnValues) -> float:
    return share(col, is_free_text)


def fits_short_text(col: ColumnValues) -> float:
    return share(col, is_short_text)


def fits_name(col: ColumnValues) -> float:
    return share(col, is_name)


def fits_actor_type(col: ColumnValues) -> float:
    return share(col, is_actor_type)


def fits_reference(col: ColumnValues) -> float:
    """Unique short codes (the survey tool's response number): 1 when every value is one and none repeats."""
    if not col.all_distinct:
        return 0.0
    return share(col, lambda v: _CODE.match(v.strip()) is not None)


def choice_converter(question: QuestionInfo) -> Converter:
    """The import's converter of a single or multiple question (build it once per file: it remembers values)."""
    return (_multiple_converter if question.qtype == QuestionType.MULTIPLE else _choice_converter)(question)


def fits_choices(col: ColumnValues, convert: Converter) -> float:
    """Share of values the import takes as answers of a single or multiple question (its `choice_converter`)."""
    return share(col, lambda v: convert(v)[1] is None)


def fits_exact_choices(col: ColumnValues, question: QuestionInfo) -> float:
    """Share of values that are one of the question's choices word for word (accents and case aside)."""
    choices = {norm(c) for c in question.choices}
    return share_folded(col, lambda n: n in choices)


def fits_ticks(col: ColumnValues, choice: str) -> float:
    ticks = _TRUE | _UNTICKED | {norm(choice)}
    return share_folded(col, lambda n: n in ticks)
