"""Personal data in a contribution's text: emails, phone numbers and third parties' names, found and masked."""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator
from dataclasses import dataclass

# Personal data found in a contribution's text, flagged for staff and masked on request.
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
# French numbers, national (06 12 34 56 78, 06.12.34.56.78) or international (+33 6 12 34 56 78).
_PHONE = re.compile(r"(?<!\d)(?:(?:\+|00)33[\s.-]?|0)[1-9](?:[\s.-]?\d{2}){4}(?!\d)")
# A third party named with a civility: « M. Dupont », « Madame Anne Martin », « Mme Le Goff ».
_NAMED = re.compile(
    r"\b(?:M\.|Mr\.?|Mme|Mlle|Monsieur|Madame|Mademoiselle|Dr\.?|Docteur|Maître|Me)\s+"
    r"(?:[A-ZÀ-Ý][\w'’-]+)(?:\s+[A-ZÀ-Ý][\w'’-]+)?"
)
# A third party named without a civility: a known given name then a capitalised surname, « Claire Dubois »,
# « Jean-Pierre Le Goff », « Sophie MARTIN ». Candidates are every capitalised word followed by another
# (a zero-width lookahead, so « Bonjour Claire Dubois » still reaches « Claire »); only those whose first
# word is a given name are kept: « Saint-Nazaire », « La Roche-sur-Yon », « France Active » are not people.
_UPPER, _LOWER = "A-ZÀ-ÖØ-Þ", "a-zß-öø-ÿ"
_CANDIDATE = re.compile(
    rf"(?<![\w'’-])(?=(?P<first>[{_UPPER}][{_LOWER}]+(?:-[{_UPPER}][{_LOWER}]+)*)\s+"
    rf"(?P<last>(?:(?:de|du|des|van|von|Le|La|De|Du|Van)\s+|[dD]['’])?[{_UPPER}][\w'’]+(?:-[{_UPPER}][\w'’]+)*)"
    rf"(?P<more>\s+[{_UPPER}][\w'’]+(?:-[{_UPPER}][\w'’]+)*)?)"
)
# Given names that are far more often a place or a fragment than a person in these texts.
_NOT_GIVEN_NAMES = frozenset({"France", "Lorraine", "Aude", "El", "Thi", "Nath", "Line"})


@functools.cache
def french_given_names() -> frozenset[str]:
    """Given names used in France, from Faker's person providers (MIT) for French-speaking locales.

    Faker (a well-kept, pinned dependency) ships these lists offline; they come from birth-register
    statistics of each country. Loaded on first use: importing Faker costs about half a second.
    """
    from faker.providers.person import fr_BE, fr_CA, fr_CH, fr_DZ, fr_FR  # noqa: PLC0415 (lazy: heavy import)

    names: set[str] = set()
    for module in (fr_FR, fr_BE, fr_CH, fr_CA, fr_DZ):
        for attr in ("first_names", "first_names_male", "first_names_female"):
            values = getattr(module.Provider, attr, ())
            names.update(values.keys() if isinstance(values, dict) else values)
    return frozenset(n for n in names if n not in _NOT_GIVEN_NAMES)


def _is_given_name(word: str, given: frozenset[str]) -> bool:
    return all(part in given for part in word.split("-"))


def _third_party_names(text: str) -> Iterator[tuple[int, int]]:
    """(start, end) of « Prénom Nom » in `text`: a known given name, then one or two capitalised words."""
    given = french_given_names()
    for m in _CANDIDATE.finditer(text):
        if not _is_given_name(m.group("first"), given):
            continue
        # « Anne Marie Dupont »: a third word only when the second is itself a given name.
        end = m.end("more") if m.group("more") and _is_given_name(m.group("last"), given) else m.end("last")
        yield m.start("first"), end


PERSONAL_DATA_KINDS: dict[str, str] = {"email": "courriel", "phone": "téléphone", "name": "nom"}
_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (("email", _EMAIL), ("phone", _PHONE), ("name", _NAMED))


@dataclass(frozen=True)
class PersonalDataHit:
    kind: str  # a key of PERSONAL_DATA_KINDS
    text: str
    start: int
    end: int


def detect_personal_data(text: str) -> list[PersonalDataHit]:
    """Emails, phone numbers and names of third parties found in `text`, in reading order, never overlapping.

    Suggestions for staff to confirm: a name is flagged after a civility or as a known given name followed
    by a capitalised surname.
    """
    if not text:
        return []
    hits: list[PersonalDataHit] = []

    def add(kind: str, start: int, end: int) -> None:
        if not any(start < h.end and h.start < end for h in hits):
            hits.append(PersonalDataHit(kind, text[start:end], start, end))

    for kind, pattern in _PATTERNS:
        if kind == "email" and "@" not in text:
            continue  # the slowest scan, and the export masks every text of 100 000 contributions
        for m in pattern.finditer(text):
            add(kind, m.start(), m.end())
    for start, end in _third_party_names(text):
        add("name", start, end)
    return sorted(hits, key=lambda h: h.start)


def mask_personal_data(text: str) -> str:
    """`text` with every detected piece of personal data replaced by a bracketed French placeholder."""
    hits = detect_personal_data(text)
    if not hits:
        return text
    out, last = [], 0
    for hit in hits:
        out.append(text[last : hit.start])
        out.append(f"[{PERSONAL_DATA_KINDS[hit.kind]} masqué]")
        last = hit.end
    out.append(text[last:])
    return "".join(out)
