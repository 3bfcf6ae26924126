"""Files handed to staff (CSV opened in a spreadsheet): one writer, formula-safe cells, French Excel defaults."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Sequence

# A spreadsheet runs a cell starting with these as a formula (CSV/DDE injection): =, +, -, @,
# and tab / carriage return / line feed, which some tools strip before looking at the next character.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r", "\n")


def neutralise_cell(value: object) -> object:
    """Text that a spreadsheet would run as a formula gets a leading apostrophe; other values pass as they are."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
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
