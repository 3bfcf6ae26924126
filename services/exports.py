"""Files handed to staff (CSV opened in a spreadsheet): one writer, formula-safe cells, French Excel defaults."""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import TYPE_CHECKING

from services.formatting import PARIS

if TYPE_CHECKING:
    import pandas as pd  # type: ignore[import-untyped]  # no pandas-stubs in the environment

# A spreadsheet runs a cell starting with these as a formula (CSV/DDE injection): =, +, -, @ (and their
# full-width forms, which some spreadsheets fold to ASCII), and tab / carriage return / line feed, which some
# tools strip before looking at the next character (OWASP "CSV Injection").
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r", "\n", "\uff1d", "\uff0b", "\uff0d", "\uff20")
# What a spreadsheet may skip before it reads the first character (a BOM, a zero-width space, a direction mark,
# a no-break space, a control character): the formula test looks past them, or « \u200b=1+1 » would pass.
_INVISIBLE_CATEGORIES = frozenset({"Cf", "Cc", "Zs", "Zl", "Zp"})
_FORMULA_CHARS = frozenset(FORMULA_PREFIXES)


def _starts_like_formula(value: str) -> bool:
    for char in value:
        if char in _FORMULA_CHARS:
            return True
        if not (char.isspace() or unicodedata.category(char) in _INVISIBLE_CATEGORIES):
            return False
    return False


def neutralise_cell(value: object) -> object:
    """Text a spreadsheet would run as a formula, even after invisible characters, gets a leading apostrophe."""
    if isinstance(value, str) and _starts_like_formula(value):
        return "'" + value
    return value


# Characters XML 1.0 cannot hold (most C0 controls such as \x0b, lone surrogates, U+FFFE/U+FFFF): an
# .xlsx or .docx containing one is refused by Excel and Word, so they are removed before writing.
_NOT_XML = re.compile("[^\t\n\r\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def xml_safe(value: str) -> str:
    """`value` without the characters an XML document (xlsx, docx) cannot contain."""
    return _NOT_XML.sub("", value)


def safe_cell(value: object) -> object:
    """For a spreadsheet cell: XML-safe and formula-neutralised text; other values as they are."""
    if isinstance(value, str):
        return neutralise_cell(xml_safe(value))
    return value


def csv_bytes(header: Sequence[str], rows: Iterable[Sequence[object]], *, delimiter: str = ";") -> bytes:
    """A CSV a French Excel opens as is: UTF-8 with BOM, semicolons (or `delimiter`), every text cell neutralised."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n")
    writer.writerow([neutralise_cell(h) for h in header])
    for row in rows:
        writer.writerow(["" if v is None else neutralise_cell(v) for v in row])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def frame_csv_bytes(frame: pd.DataFrame) -> bytes:
    """A DataFrame as csv_bytes writes it (BOM, semicolons, neutralised cells): never DataFrame.to_csv directly."""
    return csv_bytes([str(c) for c in frame.columns], frame.itertuples(index=False, name=None))


_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()<>#+\-.!|~])")


def md_escape(text: str) -> str:
    """User text made inert in Markdown: every character with a Markdown meaning is backslash-escaped."""
    return _MARKDOWN_SPECIAL.sub(r"\\\1", " ".join(xml_safe(text).split()))


def export_file_name(kind: str, edition_slug: str, extension: str, *, now: datetime) -> str:
    """A downloaded file's name: what it holds, which edition, when (Paris time), e.g.
    contributions-anonyme-centre-val-de-loire-2022-20221124-1530.csv."""
    return f"{kind}-{edition_slug}-{now.astimezone(PARIS):%Y%m%d-%H%M}.{extension}"
