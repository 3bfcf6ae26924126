"""What reading an export gives (headers and rows as text), the limits every reader enforces, and its error."""

from __future__ import annotations

from dataclasses import dataclass

from services.errors import ServiceError
from services.formatting import format_number
from services.text import fold

# The server refuses uploads above 20 MB (.streamlit/config.toml); the service checks again, for the CLI.
MAX_FILE_BYTES = 20 * 1024 * 1024
MAX_ROWS = 100_000
MAX_COLUMNS = 500
# What a file may hold is bounded before it is held: the 20 MB above bound the bytes, not what they unfold into.
MAX_CELLS = 2_000_000  # rows × columns as read: 100 000 answers of 20 columns, or 4 000 of 500
MAX_BLANK_LINES = 10_000
MAX_SEPARATORS_PER_RECORD = 20 * MAX_COLUMNS  # separators in quoted answers included: far above any real export
MAX_TEXT_CHARS = 30_000_000  # the text of a workbook's shared-string table, loaded whole by the reader
MAX_UNPACKED_BYTES = 200 * 1024 * 1024  # a 20 MB workbook of real answers unpacks to well under this
MAX_PACKING_RATIO = 100  # real workbook parts deflate 5 to 30 times; a zip bomb, thousands of times
MAX_PARTS = 1_000
MAX_MERGES = 10_000


class ImportFileError(ServiceError):
    """The file cannot be read at all (not a CSV/XLSX, empty, too big, no header)."""


@dataclass(frozen=True)
class RawRow:
    line: int  # the line (CSV) or row (XLSX) where this record starts, as a spreadsheet numbers it
    cells: tuple[str, ...]


@dataclass(frozen=True)
class UploadedTable:
    filename: str
    file_kind: str  # "CSV" or "XLSX"
    headers: tuple[str, ...]
    rows: tuple[RawRow, ...]
    blank_lines: int  # records with nothing in them: skipped, and said so in the report
    encoding: str | None = None
    delimiter: str | None = None
    sheet: str | None = None

    def samples(self, column: int, limit: int = 3) -> list[str]:
        """The first distinct non-empty values of a column, to help whoever maps it."""
        found: list[str] = []
        for row in self.rows:
            value = row.cells[column].strip() if column < len(row.cells) else ""
            if value and value not in found:
                found.append(value)
                if len(found) >= limit:
                    break
        return found

    def describe(self) -> str:
        """One French line: what was read and how."""
        parts = [f"{self.file_kind}", f"{format_number(len(self.headers))} colonnes"]
        parts.append(f"{format_number(len(self.rows))} lignes de réponses")
        if self.encoding:
            parts.append(f"encodage {self.encoding}")
        if self.delimiter:
            parts.append(f"séparateur {DELIMITER_NAMES.get(self.delimiter, self.delimiter)}")
        if self.sheet:
            parts.append(f"feuille « {self.sheet} »")
        if self.blank_lines:
            parts.append(f"{format_number(self.blank_lines)} ligne(s) vide(s) ignorée(s)")
        return " · ".join(parts)


DELIMITER_NAMES = {";": "point-virgule", ",": "virgule", "\t": "tabulation", "|": "barre verticale"}


def too_many_rows() -> ImportFileError:
    return ImportFileError(f"Plus de {format_number(MAX_ROWS)} lignes : découpez le fichier.")


def too_many_cells() -> ImportFileError:
    return ImportFileError(f"Plus de {format_number(MAX_CELLS)} cellules : découpez le fichier.")


def too_many_blank_lines() -> ImportFileError:
    return ImportFileError(
        f"Plus de {format_number(MAX_BLANK_LINES)} lignes vides : ce n'est pas un export de réponses."
    )


def check_columns(columns: int) -> None:
    if columns > MAX_COLUMNS:
        raise ImportFileError(f"Plus de {format_number(MAX_COLUMNS)} colonnes : ce n'est pas un export de réponses.")


def check_size(rows: int, cells: int) -> None:
    """Refuse a file as soon as what is read of it passes the row or cell limit (nothing more is read)."""
    if rows > MAX_ROWS:
        raise too_many_rows()
    if cells > MAX_CELLS:
        raise too_many_cells()


def _clean_header(value: str) -> str:
    return " ".join(value.replace("\ufeff", "").split())


def unique_headers(raw: list[str]) -> tuple[str, ...]:
    """The header cells as column names: cleaned, named when empty, numbered when two fold to the same name."""
    headers: list[str] = []
    seen: dict[str, int] = {}
    for index, value in enumerate(raw, start=1):
        name = _clean_header(value) or f"Colonne {index}"
        key = fold(name)
        if key in seen:
            seen[key] += 1
            name = f"{name} ({seen[key]})"
        else:
            seen[key] = 1
        headers.append(name)
    return tuple(headers)


def trim_trailing_empty(raw: list[str]) -> list[str]:
    end = len(raw)
    while end > 0 and not raw[end - 1].strip():
        end -= 1
    return raw[:end]
