"""Answers exported from other survey tools: read the file, map its columns, preview, import, report.

The steps, each a function the import page and `manage.py import-answers` share:
1. `read_table` turns an upload (CSV in any of the usual encodings and delimiters, or XLSX) into
   headers and rows, each row with the line number a person finds in the file;
2. `propose_mapping` relates each column to a question, a respondent field or nothing, from the
   column names (saved mapping first, then exact, then fuzzy); staff correct it; `check_mapping`;
3. `analyse_import` is a dry run: every row converted exactly as the import would, counted, the first
   ones shown as they will be stored;
4. `import_answers` stores the new rows in one transaction and returns the report: read = imported +
   duplicates + rejected, every rejected row with its line, column, value and reason.

A response's fingerprint is a hash of its converted values (or of the source tool's response id when
that column is mapped): importing the same file again, or a newer export holding the earlier rows,
stores only the new rows.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
import json
import logging
import re
import zipfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time
from typing import IO, Any

import openpyxl  # type: ignore[import-untyped]
import yaml
from defusedxml import DefusedXmlException  # type: ignore[import-untyped]
from defusedxml.ElementTree import iterparse  # type: ignore[import-untyped]
from openpyxl.utils.cell import column_index_from_string, range_boundaries  # type: ignore[import-untyped]
from openpyxl.xml.constants import SHEET_MAIN_NS  # type: ignore[import-untyped]
from rapidfuzz import fuzz, process
from sqlalchemy import Table, insert, update
from sqlmodel import Session, SQLModel, col, select

from models import (
    ActorType,
    Answer,
    DisplayMode,
    ImportBatch,
    ImportMapping,
    ModerationStatus,
    QuestionnaireResponse,
    QuestionType,
    Source,
    utcnow,
)
from services.contributions import NAME_MAX_CHARS, ORGANISATION_MAX_CHARS, ContributionDraft, submit_batch
from services.errors import ServiceError, ValidationError
from services.exports import csv_bytes
from services.formatting import PARIS, format_date, format_datetime, format_number
from services.labels import ACTOR_TYPE_LABELS
from services.questionnaires import (
    EMAIL_MAX_CHARS,
    NO,
    OPEN_MAX_CHARS,
    OPEN_MIN_CHARS,
    YES,
    AnswerValue,
    DepartementScope,
    QuestionInfo,
    QuestionnaireInfo,
    ResponseOrigin,
    ResponseStatus,
    answer_columns,
    check_in_edition,
    contribution_key,
    departement_scope,
    display_answer,
)
from services.scope import require_writable
from services.tally_rollup import paused_rollup
from services.text import fold, has_forbidden_characters

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
MAX_MAPPING_BYTES = 256 * 1024  # a mapping of 500 columns is a few dozen kilobytes
ANSWER_MAX_CHARS = 10_000  # an open answer longer than this is a pasted document, not an answer
REF_MAX_CHARS = 100
PREVIEW_ROWS = 20
_CHUNK = 500  # IN (...) lists and insert batches
log = logging.getLogger(__name__)


class ImportFileError(ServiceError):
    """The file cannot be read at all (not a CSV/XLSX, empty, too big, no header)."""


# ---------------------------------------------------------------------------------------------
# 1. Reading the file


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


def read_table(*, filename: str, data: bytes) -> UploadedTable:
    """Read an uploaded CSV or XLSX into headers and rows (every cell as text)."""
    if not data:
        raise ImportFileError("Le fichier est vide.")
    if len(data) > MAX_FILE_BYTES:
        raise ImportFileError(
            f"Le fichier pèse {format_number(len(data) / 1024 / 1024, 1)} Mo : "
            f"{format_number(MAX_FILE_BYTES // 1024 // 1024)} Mo au plus."
        )
    name = filename.lower()
    if data[:4] == b"PK\x03\x04":
        if not name.endswith((".xlsx", ".xlsm")):
            raise ImportFileError("Ce fichier n'est ni un CSV ni un classeur XLSX (les .xls et .ods ne sont pas lus).")
        return _read_xlsx(filename, data)
    if name.endswith((".xls", ".ods")) or data[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":
        raise ImportFileError("Les classeurs .xls et .ods ne sont pas lus : enregistrez-le en .xlsx ou en CSV.")
    return _read_csv(filename, data)


def decode_text(data: bytes) -> tuple[str, str]:
    """(text, encoding name): UTF-8 with or without BOM, UTF-16 with BOM, else Windows-1252, else Latin-1.

    An ordered decode rather than a statistical guess: valid UTF-8 is almost never anything else;
    Windows-1252 (Excel's "CSV" on a French Windows) decodes every byte but five, which only
    Latin-1 accepts. A guesser hesitates between single-byte encodings on short French files.
    """
    if data.startswith(codecs.BOM_UTF8):
        try:
            return data[len(codecs.BOM_UTF8) :].decode("utf-8"), "UTF-8 (avec BOM)"
        except UnicodeDecodeError as exc:
            raise ImportFileError("Le fichier s'annonce en UTF-8 mais contient des octets invalides.") from exc
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return data.decode("utf-16"), "UTF-16"
        except UnicodeDecodeError as exc:
            raise ImportFileError("Le fichier s'annonce en UTF-16 mais contient des octets invalides.") from exc
    try:
        return data.decode("utf-8"), "UTF-8"
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252"), "Windows-1252"
    except UnicodeDecodeError:
        return data.decode("latin-1"), "Latin-1 (ISO-8859-1)"


_LINE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+\Z")  # a line and its own end, as csv expects


def _records(text: str, delimiter: str) -> Iterator[tuple[int, list[str]]]:
    """(line where the record starts, its fields); quoted fields may span several lines.

    The separators of a record are counted on its lines before the csv module splits them: a 20 MB line of
    separators would otherwise become a list of twenty million fields before anything could refuse it.
    """
    separators = 0

    def lines() -> Iterator[str]:
        nonlocal separators
        for match in _LINE.finditer(text):  # not io.StringIO: it would copy the text at four bytes a character
            line = match.group()
            separators += line.count(delimiter)
            if separators > MAX_SEPARATORS_PER_RECORD:
                raise ImportFileError(
                    f"Une ligne du fichier compte plus de {format_number(MAX_SEPARATORS_PER_RECORD)} séparateurs : "
                    "ce n'est pas un export de réponses."
                )
            yield line

    reader = csv.reader(lines(), delimiter=delimiter, quotechar='"', strict=False)
    previous_end = 0
    for fields in reader:
        separators = 0
        yield previous_end + 1, fields
        previous_end = reader.line_num


def sniff_delimiter(text: str) -> str:
    """The delimiter that cuts the first records into the most columns, the same number on every line."""
    sample = text[:65536]
    candidates = [";", ",", "\t", "|"]
    try:
        sniffed = csv.Sniffer().sniff(sample, delimiters="".join(candidates)).delimiter
    except csv.Error:
        sniffed = None
    best, best_score = sniffed or ";", (-1.0, 0, False)
    for delimiter in candidates:
        counts = []
        try:
            for _, fields in _records(sample, delimiter):
                if any(f.strip() for f in fields):
                    counts.append(len(fields))
                if len(counts) >= 50:
                    break
        except csv.Error:
            continue
        if len(counts) > 1:
            counts = counts[:-1]  # the sample may cut the last record
        if not counts or counts[0] < 2:
            continue
        consistency = sum(1 for n in counts if n == counts[0]) / len(counts)
        score = (round(consistency, 2), counts[0], delimiter == sniffed)
        if score > best_score:
            best, best_score = delimiter, score
    return best


def _check_columns(columns: int) -> None:
    if columns > MAX_COLUMNS:
        raise ImportFileError(f"Plus de {format_number(MAX_COLUMNS)} colonnes : ce n'est pas un export de réponses.")


def _check_size(rows: int, cells: int) -> None:
    """Refuse a file as soon as what is read of it passes the row or cell limit (nothing more is read)."""
    if rows > MAX_ROWS:
        raise ImportFileError(f"Plus de {format_number(MAX_ROWS)} lignes : découpez le fichier.")
    if cells > MAX_CELLS:
        raise ImportFileError(f"Plus de {format_number(MAX_CELLS)} cellules : découpez le fichier.")


def _too_many_blank_lines() -> str:
    return f"Plus de {format_number(MAX_BLANK_LINES)} lignes vides : ce n'est pas un export de réponses."


def _clean_header(value: str) -> str:
    return " ".join(value.replace("\ufeff", "").split())


def _unique_headers(raw: list[str]) -> tuple[str, ...]:
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


def _trim_trailing_empty(raw: list[str]) -> list[str]:
    end = len(raw)
    while end > 0 and not raw[end - 1].strip():
        end -= 1
    return raw[:end]


def _read_csv(filename: str, data: bytes) -> UploadedTable:
    text, encoding = decode_text(data)
    if "\x00" in text:
        raise ImportFileError("Ce fichier n'est pas un texte CSV (il contient des octets nuls).")
    delimiter = sniff_delimiter(text)
    header: list[str] | None = None
    rows: list[RawRow] = []
    blank = skipped = cells = 0
    try:
        for line, fields in _records(text, delimiter):
            if not any(f.strip() for f in fields):
                skipped += 1
                if skipped > MAX_BLANK_LINES:
                    raise ImportFileError(_too_many_blank_lines())
                if header is not None:
                    blank += 1
                continue
            if header is None:
                header = _trim_trailing_empty(fields)
                _check_columns(len(header))
                continue
            rows.append(RawRow(line, tuple(fields)))
            cells += len(fields)
            _check_size(len(rows), cells)
    except csv.Error as exc:
        raise ImportFileError(f"Ce CSV est mal formé ({exc}).") from exc
    if header is None:
        raise ImportFileError("Le fichier ne contient aucune ligne d'en-tête.")
    return UploadedTable(filename, "CSV", _unique_headers(header), tuple(rows), blank, encoding, delimiter)


def _xlsx_cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return YES if value else NO
    if isinstance(value, datetime):
        return value.replace(microsecond=0).isoformat(sep=" ")
    if isinstance(value, date | time):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


_UNREADABLE_XLSX = "Ce classeur XLSX est illisible (abîmé ou protégé par un mot de passe ?)."
_XML_DECLARATIONS = (
    "Ce classeur XLSX est illisible : il contient des déclarations XML (DTD, entités) qu'aucun tableur "
    "n'écrit et qui peuvent gonfler sans limite à la lecture. Il n'a pas été lu."
)
Merge = tuple[int, int, int, int]  # (min_col, min_row, max_col, max_row)


def _check_archive(archive: zipfile.ZipFile) -> None:
    """The sizes the archive declares for its parts, checked before any part is unpacked.

    zipfile never unpacks more than a part's declared size (a part that would is refused by its checksum),
    so these figures bound what reading the workbook can cost.
    """
    parts = archive.infolist()
    if len(parts) > MAX_PARTS:
        raise ImportFileError(
            f"Ce classeur XLSX compte plus de {format_number(MAX_PARTS)} parties : il n'a pas été lu."
        )
    unpacked = 0
    for part in parts:
        unpacked += part.file_size
        if part.file_size > 1024 * 1024 and part.file_size > MAX_PACKING_RATIO * max(part.compress_size, 1):
            raise ImportFileError(
                "Ce classeur XLSX est refusé : une de ses parties se décompresse à plus de "
                f"{format_number(MAX_PACKING_RATIO)} fois sa taille (fichier piégé ?). Il n'a pas été lu."
            )
    if unpacked > MAX_UNPACKED_BYTES:
        raise ImportFileError(
            f"Ce classeur XLSX se décompresse en plus de {format_number(MAX_UNPACKED_BYTES // 1024 // 1024)} Mo : "
            "découpez-le ou enregistrez-le en CSV."
        )


def _xml_events(source: IO[bytes], events: tuple[str, ...] = ("end",)) -> Iterator[tuple[str, Any]]:
    """A streamed parse that refuses any DTD: spreadsheet parts never have one, entity bombs always do."""
    return iterparse(source, events=events, forbid_dtd=True)  # type: ignore[no-any-return]


def _local(tag: object) -> str:
    return str(tag).rpartition("}")[2]


_WORKSHEET_PART = re.compile(r"xl/worksheets/[^/]+\.xml")  # scanned on their own (_scan_sheet), not their .rels


def _check_parts(archive: zipfile.ZipFile) -> None:
    """Every XML part other than the worksheets read through once, streamed: no DTD anywhere, and the shared
    strings (which the reader keeps whole in memory) within the row, cell and text limits."""
    for name in archive.namelist():
        if not name.endswith((".xml", ".rels")) or _WORKSHEET_PART.fullmatch(name):
            continue
        strings = chars = 0
        with archive.open(name) as source:
            for _, element in _xml_events(source):
                if _local(element.tag) == "si":
                    strings += 1
                    chars += sum(len(text) for text in element.itertext())
                    element.clear()
                    if strings > MAX_CELLS:
                        raise ImportFileError(f"Plus de {format_number(MAX_CELLS)} cellules : découpez le fichier.")
                    if chars > MAX_TEXT_CHARS:
                        raise ImportFileError(
                            f"Le classeur contient plus de {format_number(MAX_TEXT_CHARS)} caractères de texte : "
                            "découpez le fichier."
                        )


_ROW, _CELL, _MERGE, _SHEET_DATA = (f"{{{SHEET_MAIN_NS}}}{tag}" for tag in ("row", "c", "mergeCell", "sheetData"))


def _scan_sheet(source: IO[bytes]) -> list[Merge]:
    """The sheet's size as the reader will fill it (each row as wide as its last cell), checked while
    streaming its XML, before the reader builds a single row; and its merged ranges."""
    merges: list[Merge] = []
    row = cells = column = widest = merged = 0
    last_row = MAX_ROWS + 10  # a few title or blank rows above the answers
    sheet_data = None
    # Start events only (attributes are all it needs); each finished row is dropped from the tree at the next.
    for _, element in _xml_events(source, ("start",)):
        tag = element.tag
        if tag == _CELL:
            ref = element.get("r")
            column = column_index_from_string(ref.rstrip("0123456789")) if ref else column + 1
            widest = max(widest, column)
        elif tag == _ROW:
            cells += widest
            _check_size(0, cells)
            if sheet_data is not None:
                sheet_data.clear()
            number = element.get("r")
            row = int(number) if number else row + 1
            column = widest = 0
            if row > last_row:  # the reader also yields every missing row above this one
                raise ImportFileError(f"Plus de {format_number(MAX_ROWS)} lignes : découpez le fichier.")
        elif tag == _SHEET_DATA:
            sheet_data = element
        elif tag == _MERGE:
            min_col, min_row, max_col, max_row = (int(v or 1) for v in range_boundaries(element.get("ref", "")))
            merges.append((min_col, min_row, max_col, max_row))
            merged += (max_col - min_col + 1) * (min(max_row, last_row) - min(min_row, last_row) + 1)
            if len(merges) > MAX_MERGES or merged > MAX_CELLS:
                raise ImportFileError(f"Plus de {format_number(MAX_CELLS)} cellules : découpez le fichier.")
    _check_size(0, cells + widest)
    return merges


def _read_xlsx(filename: str, data: bytes) -> UploadedTable:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            _check_archive(archive)
            _check_parts(archive)
            workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
            try:
                sheet = next(
                    (ws for ws in workbook.worksheets if getattr(ws, "sheet_state", "visible") == "visible"), None
                )
                if sheet is None:
                    raise ImportFileError("Le classeur ne contient aucune feuille visible.")
                with archive.open(sheet._worksheet_path) as source:
                    merges = _scan_sheet(source)
                sheet.reset_dimensions()  # some tools write a wrong size: read every row that is there
                lines = [
                    (number, [_xlsx_cell(v) for v in values])
                    for number, values in enumerate(sheet.iter_rows(min_row=1, values_only=True), start=1)
                ]
                title = str(sheet.title)
            finally:
                workbook.close()
    except ImportFileError:
        raise
    except Exception as exc:  # whatever a damaged or hostile workbook makes the reader raise: unreadable
        log.info("unreadable workbook %r: %r", filename, exc)
        cause: BaseException | None = exc
        while cause is not None and not isinstance(cause, DefusedXmlException):
            cause = cause.__cause__ or cause.__context__  # openpyxl wraps what its parser raised
        raise ImportFileError(_UNREADABLE_XLSX if cause is None else _XML_DECLARATIONS) from exc
    return _table_from_sheet(filename, title, lines, merges)


def _table_from_sheet(
    filename: str, title: str, lines: list[tuple[int, list[str]]], merges: list[tuple[int, int, int, int]]
) -> UploadedTable:
    non_blank = [i for i, (_, cells) in enumerate(lines) if any(c.strip() for c in cells)]
    if not non_blank:
        raise ImportFileError("La première feuille du classeur est vide.")
    first = non_blank[0]
    header_row = lines[first][0]
    last_row = lines[-1][0]
    width = max(len(cells) for _, cells in lines)
    # Rows stay as wide as the reader gave them; only the cells a merge or the header needs are filled in.
    grid = {number: cells for number, cells in lines}

    def widen(number: int, columns: int) -> list[str]:
        cells = grid.get(number)
        if cells is None:
            return [""] * columns
        if len(cells) < columns:
            cells.extend([""] * (columns - len(cells)))
        return cells

    # A merged header cell holds its value in its first cell only: give it to every cell it covers.
    for min_col, min_row, max_col, max_row in merges:
        if min_row > header_row + 1 or min_col > width:
            continue
        value = widen(min_row, min_col)[min_col - 1]
        for r in range(min_row, min(max_row, last_row) + 1):
            if r in grid:
                cells = widen(r, min(max_col, width))
                for c in range(min_col, min(max_col, width) + 1):
                    cells[c - 1] = value

    # Two header rows: a merged group title ("Votre structure") above the column titles.
    group_merges = [m for m in merges if m[1] == header_row and m[3] == header_row and m[2] > m[0]]
    second = header_row + 1
    two_rows = (
        bool(group_merges)
        and second in grid
        and all(widen(second, width)[c - 1].strip() for m in group_merges for c in range(m[0], min(m[2], width) + 1))
    )
    top = widen(header_row, width)
    if two_rows:
        sub = widen(second, width)
        raw = []
        for top_cell, sub_cell in zip(top, sub, strict=True):
            upper, lower = top_cell.strip(), sub_cell.strip()
            raw.append(lower if not upper or upper == lower else (upper if not lower else f"{upper} / {lower}"))
        data_start = first + 2
    else:
        raw = top
        data_start = first + 1
    header = _trim_trailing_empty(raw)
    _check_columns(len(header))
    columns = len(header)
    rows: list[RawRow] = []
    blank = 0
    for number, _ in lines[data_start:]:
        cells = grid[number]
        if not any(c.strip() for c in cells):
            blank += 1
            continue
        # Cells right of the header are kept only if they hold something (then the row is refused).
        extra = [c for c in cells[columns:] if c.strip()]
        own = cells[:columns]
        rows.append(RawRow(number, tuple(own + [""] * (columns - len(own)) + extra)))
    # Trailing blank rows (formatting that reaches further down) are not "blank lines" of the export.
    trailing = 0
    for number, _cells in reversed(lines[data_start:]):
        if any(c.strip() for c in grid[number]):
            break
        trailing += 1
    return UploadedTable(filename, "XLSX", _unique_headers(header), tuple(rows), blank - trailing, sheet=title)


# ---------------------------------------------------------------------------------------------
# 2. Mapping columns to questions and respondent fields

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
CHOICE_CUTOFF = 90  # a typo in a choice ("Insertion et emplois") is accepted, another choice is not


def _norm(value: str) -> str:
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


def _short(text: str, limit: int = 70) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def mapping_targets(questionnaire: QuestionnaireInfo) -> list[MappingTarget]:
    """Every choice of the mapping step, in the order shown: ignore, respondent fields, questions, options."""
    targets = [MappingTarget(IGNORE, "— Ignorer cette colonne —")]
    targets += [MappingTarget(field_key(k), f"Répondant · {v}") for k, v in FIELD_LABELS.items()]
    for number, q in enumerate(questionnaire.questions, start=1):
        targets.append(MappingTarget(question_key(q.code), f"Q{number} · {_short(q.text)}"))
    for number, q in enumerate(questionnaire.questions, start=1):
        if q.qtype == QuestionType.MULTIPLE:
            targets += [
                MappingTarget(option_key(q.code, c), f"Q{number} · case « {_short(c, 50)} » (une colonne par choix)")
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
    saved_by_norm = {_norm(h): t for h, t in (saved or {}).items() if t in valid}
    questions = questionnaire.questions
    by_code = {_norm(q.code): q for q in questions}
    texts = {q.code: _norm(q.text) for q in questions}
    synonyms = {s: name for name, words in FIELD_SYNONYMS.items() for s in words}

    # (score, column order, header, target, reason): the best score wins a target, then the leftmost column.
    candidates: list[tuple[float, int, str, str, str]] = []
    proposals: dict[str, Proposal] = {}
    for order, header in enumerate(headers):
        n = _norm(header)
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
    stem, choice = _norm(match.group(1)), _norm(match.group(2))
    multiples = [q for q in questionnaire.questions if q.qtype == QuestionType.MULTIPLE]
    best: tuple[float, str] | None = None
    for q in multiples:
        stem_score = 100.0 if stem in (_norm(q.code), _norm(q.text)) else fuzz.WRatio(stem, _norm(q.text))
        if stem_score < FUZZY_CUTOFF:
            continue
        found = process.extractOne(choice, {c: _norm(c) for c in q.choices}, scorer=fuzz.WRatio, score_cutoff=85)
        if found is not None:
            score = min(stem_score, float(found[1]))
            if best is None or score > best[0]:
                best = (score, option_key(q.code, str(found[2])))
    return best


def apply_mapping(headers: Iterable[str], columns: dict[str, str]) -> dict[str, str]:
    """A saved or file mapping laid on this file's columns: same name, or same name once accents and case are gone."""
    by_norm = {_norm(h): t for h, t in columns.items()}
    return {h: columns.get(h, by_norm.get(_norm(h), IGNORE)) for h in headers}


def missing_columns(headers: Iterable[str], columns: dict[str, str]) -> list[str]:
    """Columns a mapping relates to a question but that this file does not have."""
    present = {_norm(h) for h in headers}
    return [h for h, t in columns.items() if t and _norm(h) not in present]


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


# Saved mappings (reused on the next export of the same form) and mapping files (for the CLI).

MAPPING_FORMAT = "ess-correspondance-import"


@dataclass(frozen=True)
class SavedMapping:
    name: str
    columns: dict[str, str]
    created_at: datetime


def list_mappings(session: Session, *, questionnaire_id: int, edition_id: int | None = None) -> list[SavedMapping]:
    """The mappings saved for one of the edition's questionnaires, most recent first."""
    check_in_edition(session=session, questionnaire_id=questionnaire_id, edition_id=edition_id)
    rows = session.exec(
        select(ImportMapping)
        .where(ImportMapping.questionnaire_id == questionnaire_id)
        .order_by(col(ImportMapping.created_at).desc())
    ).all()
    return [SavedMapping(r.name, dict(r.mapping.get("columns") or {}), r.created_at) for r in rows]


def save_mapping(
    session: Session, *, questionnaire_id: int, name: str, columns: dict[str, str], edition_id: int | None = None
) -> SavedMapping:
    """Save (or replace) a named mapping for the next export of the same form (one of the edition's)."""
    edition = check_in_edition(session=session, questionnaire_id=questionnaire_id, edition_id=edition_id)
    require_writable(session=session, edition_id=edition)
    clean = " ".join((name or "").split())
    if not clean or len(clean) > 120 or has_forbidden_characters(clean):
        raise ValidationError({"mapping_name": "Donnez à cette correspondance un nom de 1 à 120 caractères."})
    row = session.exec(
        select(ImportMapping).where(ImportMapping.questionnaire_id == questionnaire_id, ImportMapping.name == clean)
    ).first()
    now = utcnow()
    payload = {"format": MAPPING_FORMAT, "version": 1, "columns": dict(columns)}
    if row is None:
        row = ImportMapping(questionnaire_id=questionnaire_id, name=clean, mapping=payload, created_at=now)
    else:
        row.mapping = payload
        row.created_at = now
    session.add(row)
    session.flush()
    return SavedMapping(clean, dict(columns), now)


def mapping_file(questionnaire: QuestionnaireInfo, columns: dict[str, str]) -> bytes:
    """A mapping as a JSON file, for `manage.py import-answers --mapping` or another computer."""
    payload = {"format": MAPPING_FORMAT, "version": 1, "questionnaire": questionnaire.slug, "columns": columns}
    return json.dumps(payload, ensure_ascii=False, indent=2).encode("utf-8")


def read_mapping_file(data: bytes) -> dict[str, str]:
    """The column → target pairs of a mapping file (JSON, or YAML for one written by hand)."""
    if len(data) > MAX_MAPPING_BYTES:
        raise ImportFileError(
            f"Le fichier de correspondance pèse plus de {format_number(MAX_MAPPING_BYTES // 1024)} Ko : "
            "ce n'est pas une correspondance de colonnes."
        )
    try:
        payload = yaml.safe_load(decode_text(data)[0])
    except yaml.YAMLError as exc:
        raise ImportFileError("Le fichier de correspondance n'est ni du JSON ni du YAML lisible.") from exc
    columns = payload.get("columns") if isinstance(payload, dict) else None
    if not isinstance(columns, dict) or not all(isinstance(k, str) for k in columns):
        raise ImportFileError("Le fichier de correspondance doit contenir « columns » : nom de colonne → cible.")
    # YAML aliases make a nested list of a billion items out of a few lines: only a text is a target.
    if not all(v is None or isinstance(v, str) for v in columns.values()):
        raise ImportFileError("Dans le fichier de correspondance, chaque cible doit être un texte (ou vide).")
    return {str(k): "" if v in (None, "ignore", "ignorer") else str(v) for k, v in columns.items()}


# ---------------------------------------------------------------------------------------------
# 3. Converting a row: every cell checked, every refusal said in French


@dataclass(frozen=True)
class RowProblem:
    line: int
    column: str
    value: str
    reason: str
    kind: str  # KIND_REJECTED, KIND_NOTE or KIND_DUPLICATE


KIND_REJECTED = "Rejet"
KIND_NOTE = "Remarque"
KIND_DUPLICATE = "Doublon"

_Converter = Callable[[str], tuple[Any, str | None]]
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


def _cached(fn: _Converter) -> _Converter:
    """Closed answers repeat a handful of values over thousands of rows: convert each distinct value once."""
    memo: dict[str, tuple[Any, str | None]] = {}

    def wrapper(raw: str) -> tuple[Any, str | None]:
        hit = memo.get(raw)
        if hit is None:
            hit = memo[raw] = fn(raw)
        return hit

    return wrapper


def _choice_converter(question: QuestionInfo) -> _Converter:
    exact = {_norm(c): c for c in question.choices}

    def convert(raw: str) -> tuple[Any, str | None]:
        n = _norm(raw)
        if n in exact:
            return exact[n], None
        found = process.extractOne(n, exact, scorer=fuzz.ratio, score_cutoff=CHOICE_CUTOFF)
        if found is not None:
            return found[2], None
        return None, "n'est pas l'une des réponses proposées (" + " ; ".join(question.choices) + ")"

    return _cached(convert)


def _multiple_converter(question: QuestionInfo) -> _Converter:
    # Longest first: a choice written inside another ("Grand public" in "Grand public averti") is found whole.
    normalised = sorted(((_norm(c), c) for c in question.choices), key=lambda p: -len(p[0]))
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
        flat = " " + _norm(raw) + " "
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
    n = _norm(raw)
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


def _option_converter(choice: str) -> _Converter:
    own = _norm(choice)

    def convert(raw: str) -> tuple[Any, str | None]:
        n = _norm(raw)
        if n in _TRUE or n == own:
            return True, None
        if n in _FALSE:
            return False, None
        return None, "case cochée ou non attendue (Oui, X, 1 ou le choix lui-même ; vide ou Non sinon)"

    return _cached(convert)


def _text_converter(max_chars: int) -> _Converter:
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
    n = _norm(raw)
    by_label = {_norm(v): k for k, v in ACTOR_TYPE_LABELS.items()} | {_norm(k): k for k in ACTOR_TYPE_LABELS}
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
    return code, code in FRENCH_DEPARTEMENTS


def _departement_converter(departements: DepartementScope) -> _Converter:
    """A département of the edition's Région (number, postal code or name) or « hors région »; a département of
    another Région is kept and filed as « Hors région » with a remark naming both Régions (never in silence, and
    a row is never lost for it: a respondent from elsewhere is one); a whole file imported into the wrong
    edition shows at once in the preview's remarks."""
    allowed = departements.allowed
    by_name = {_norm(name): code for code, name in allowed.items()}
    elsewhere_by_name = {_norm(name): code for code, (name, _) in departements.elsewhere.items()}
    outside = departements.outside

    def elsewhere(code: str) -> tuple[Any, str | None]:
        # A value with a message: kept, and the message becomes the row's remark (see _convert_rows).
        if outside is None:
            return None, departements.refusal(code)
        return outside, departements.filed_outside(code)

    def convert(raw: str) -> tuple[Any, str | None]:
        n = _norm(raw)
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


@dataclass(frozen=True)
class _Column:
    index: int
    header: str
    target: str
    convert: _Converter
    question: QuestionInfo | None = None
    choice: str | None = None


@dataclass
class ConvertedRow:
    line: int
    fields: dict[str, Any]
    answers: dict[str, AnswerValue]  # by question code
    problems: list[RowProblem]
    notes: list[RowProblem] = field(default_factory=list)
    fingerprint: str = ""

    @property
    def rejected(self) -> bool:
        return bool(self.problems)


def _columns(
    questionnaire: QuestionnaireInfo, headers: tuple[str, ...], mapping: dict[str, str], departements: DepartementScope
) -> list[_Column]:
    by_code = {q.code: q for q in questionnaire.questions}
    columns: list[_Column] = []
    for index, header in enumerate(headers):
        target = mapping.get(header, IGNORE)
        if not target:
            continue
        kind, _, rest = target.partition(":")
        if kind == "q":
            q = by_code[rest]
            converter: _Converter = {
                QuestionType.OPEN: _open_converter,
                QuestionType.SINGLE: _choice_converter(q),
                QuestionType.MULTIPLE: _multiple_converter(q),
                QuestionType.SCALE: _cached(_scale_converter),
                QuestionType.YESNO: _cached(_yesno_converter),
            }[QuestionType(q.qtype)]
            columns.append(_Column(index, header, target, converter, q))
        elif kind == "opt":
            code, _, choice = rest.partition(":")
            columns.append(_Column(index, header, target, _option_converter(choice), by_code[code], choice))
        else:
            converter = {
                "organisation": _text_converter(ORGANISATION_MAX_CHARS),
                "respondent_name": _text_converter(NAME_MAX_CHARS),
                "response_ref": _text_converter(REF_MAX_CHARS),
                "email": _email_converter,
                "actor_type": _cached(_actor_converter),
                "departement": _departement_converter(departements),
                "submitted_at": _cached(_date_converter),
            }[rest]
            columns.append(_Column(index, header, target, converter))
    return columns


def _fingerprint(row: ConvertedRow) -> str:
    ref = row.fields.get("response_ref")
    if ref:
        basis: Any = {"ref": ref}
    else:
        fields = {k: (v.astimezone(PARIS).isoformat() if isinstance(v, datetime) else v) for k, v in row.fields.items()}
        basis = {"fields": fields, "answers": row.answers}
    digest = hashlib.sha256(json.dumps(basis, sort_keys=True, ensure_ascii=False).encode()).hexdigest()
    return digest


def _convert_rows(
    questionnaire: QuestionnaireInfo, table: UploadedTable, columns: list[_Column]
) -> Iterator[ConvertedRow]:
    width = len(table.headers)
    by_code = {q.code: q for q in questionnaire.questions}
    header_of = {c.target: c.header for c in columns}
    for raw in table.rows:
        cells = raw.cells
        if len(cells) != width and not (len(cells) > width and not any(c.strip() for c in cells[width:])):
            reason = (
                f"la ligne a {len(cells)} champs au lieu de {width} (séparateur ou guillemet en trop ou en moins ?)"
            )
            shape = RowProblem(raw.line, "—", _short(" | ".join(cells), 120), reason, KIND_REJECTED)
            yield ConvertedRow(raw.line, {}, {}, [shape])
            continue
        row = ConvertedRow(raw.line, {}, {}, [])
        for column in columns:
            value_raw = cells[column.index]
            if not value_raw.strip():
                continue
            value, problem = column.convert(value_raw)
            if problem and value is None:
                row.problems.append(RowProblem(raw.line, column.header, _short(value_raw, 200), problem, KIND_REJECTED))
                continue
            if problem:  # a value kept with a remark (a département of another Région, filed « Hors région »)
                row.notes.append(RowProblem(raw.line, column.header, _short(value_raw, 200), problem, KIND_NOTE))
            q = column.question
            if column.choice is not None and q is not None:
                if value:
                    picked = row.answers.setdefault(q.code, [])
                    assert isinstance(picked, list)
                    picked.append(column.choice)
            elif q is not None:
                row.answers[q.code] = value
            else:
                row.fields[column.target.partition(":")[2]] = value
        for code, value in list(row.answers.items()):
            q = by_code[code]
            if isinstance(value, list) and q.qtype == QuestionType.MULTIPLE:
                row.answers[code] = [c for c in q.choices if c in value]
                if not row.answers[code]:
                    del row.answers[code]
            elif q.qtype == QuestionType.OPEN and isinstance(value, str) and q.theme_id is not None:
                header = header_of[question_key(code)]
                if len(value) < OPEN_MIN_CHARS or len(value) > OPEN_MAX_CHARS:
                    why = (
                        f"réponse de moins de {OPEN_MIN_CHARS} caractères"
                        if len(value) < OPEN_MIN_CHARS
                        else f"réponse de plus de {format_number(OPEN_MAX_CHARS)} caractères"
                    )
                    row.notes.append(
                        RowProblem(
                            raw.line,
                            header,
                            _short(value, 200),
                            f"{why} : gardée comme réponse, sans devenir une contribution",
                            KIND_NOTE,
                        )
                    )
        if not row.problems and not row.answers:
            row.problems.append(
                RowProblem(raw.line, "—", "", "aucune réponse dans les colonnes reliées à une question", KIND_REJECTED)
            )
        if not row.problems:
            row.fingerprint = _fingerprint(row)
        yield row


# ---------------------------------------------------------------------------------------------
# 4. Dry run and import


@dataclass(frozen=True)
class PreviewRow:
    line: int
    status: str  # "À importer", "Déjà importée", "Rejetée"
    values: dict[str, str]  # column label → value as it will be stored
    reason: str = ""  # why a row is refused or skipped (the first reason when there are several)


@dataclass(frozen=True)
class ImportReport:
    filename: str
    rows_read: int
    rows_imported: int
    rows_duplicate: int
    rows_rejected: int
    blank_lines: int
    contributions: int
    problems: tuple[RowProblem, ...]
    preview: tuple[PreviewRow, ...] = ()
    batch_id: int | None = None
    dry_run: bool = True

    @property
    def adds_up(self) -> bool:
        return self.rows_read == self.rows_imported + self.rows_duplicate + self.rows_rejected

    def summary(self) -> str:
        """One French sentence with every count."""
        verb = "à importer" if self.dry_run else "importées"
        text = (
            f"{format_number(self.rows_read)} lignes lues : {format_number(self.rows_imported)} {verb}, "
            f"{format_number(self.rows_duplicate)} déjà présentes, {format_number(self.rows_rejected)} rejetées"
        )
        extra = []
        if self.contributions:
            made = "deviendront" if self.dry_run else "sont devenues"
            extra.append(f"{format_number(self.contributions)} réponses libres {made} des contributions")
        if self.blank_lines:
            extra.append(f"{format_number(self.blank_lines)} ligne(s) vide(s) ignorée(s)")
        return text + (" ; " + " ; ".join(extra) if extra else "") + "."


def report_csv(report: ImportReport) -> bytes:
    """The report as a CSV for a spreadsheet: line, column, value, reason (formula-safe)."""
    rows = [[p.line, p.kind, p.column, p.value, p.reason] for p in report.problems]
    return csv_bytes(["Ligne", "Type", "Colonne", "Valeur", "Motif"], rows)


def _existing_fingerprints(session: Session, questionnaire_id: int, fingerprints: list[str]) -> dict[str, datetime]:
    found: dict[str, datetime] = {}
    for start in range(0, len(fingerprints), _CHUNK):
        chunk = fingerprints[start : start + _CHUNK]
        for fp, created in session.exec(
            select(QuestionnaireResponse.fingerprint, QuestionnaireResponse.created_at).where(
                QuestionnaireResponse.questionnaire_id == questionnaire_id,
                col(QuestionnaireResponse.fingerprint).in_(chunk),
            )
        ).all():
            if fp is not None:
                found[fp] = created
    return found


@dataclass
class _Plan:
    new: list[ConvertedRow]
    duplicate: int
    rejected: int
    read: int
    problems: list[RowProblem]
    preview: list[PreviewRow]
    contributions: int


def _preview_values(questionnaire: QuestionnaireInfo, row: ConvertedRow) -> dict[str, str]:
    values: dict[str, str] = {}
    for name, label in FIELD_LABELS.items():
        value = row.fields.get(name)
        if value is None:
            continue
        if isinstance(value, datetime):
            values[label] = format_datetime(value)
        elif name == "actor_type":
            values[label] = ACTOR_TYPE_LABELS.get(str(value), str(value))
        else:
            values[label] = str(value)
    for number, q in enumerate(questionnaire.questions, start=1):
        if q.code in row.answers:
            values[f"Q{number} {q.code}"] = display_answer(q, row.answers[q.code])
    return values


def _plan(session: Session, questionnaire: QuestionnaireInfo, table: UploadedTable, mapping: dict[str, str]) -> _Plan:
    problems = check_mapping(questionnaire, mapping)
    if problems:
        raise ValidationError({"mapping": " ".join(problems)})
    departements = departement_scope(session=session, edition_id=questionnaire.edition_id)
    rows = list(_convert_rows(questionnaire, table, _columns(questionnaire, table.headers, mapping, departements)))
    known = _existing_fingerprints(session, questionnaire.id, [r.fingerprint for r in rows if r.fingerprint])
    plan = _Plan([], 0, 0, len(rows), [], [], 0)
    first_seen: dict[str, int] = {}
    open_codes = {q.code for q in questionnaire.questions if q.qtype == QuestionType.OPEN and q.theme_id is not None}
    for row in rows:
        if row.rejected:
            plan.rejected += 1
            plan.problems.extend(row.problems)
            status = "Rejetée"
        elif row.fingerprint in known:
            plan.duplicate += 1
            when = format_date(known[row.fingerprint])
            plan.problems.append(RowProblem(row.line, "—", "", f"déjà importée (le {when})", KIND_DUPLICATE))
            status = "Déjà importée"
        elif row.fingerprint in first_seen:
            plan.duplicate += 1
            plan.problems.append(
                RowProblem(row.line, "—", "", f"identique à la ligne {first_seen[row.fingerprint]}", KIND_DUPLICATE)
            )
            status = "Déjà importée"
        else:
            first_seen[row.fingerprint] = row.line
            plan.new.append(row)
            plan.problems.extend(row.notes)
            plan.contributions += sum(
                1
                for code, value in row.answers.items()
                if code in open_codes and isinstance(value, str) and OPEN_MIN_CHARS <= len(value) <= OPEN_MAX_CHARS
            )
            status = "À importer"
        if len(plan.preview) < PREVIEW_ROWS:
            why = row.problems[0] if row.problems else None
            reason = f"{why.column} : {why.reason}" if why and why.column != "—" else (why.reason if why else "")
            if status == "Déjà importée":
                reason = plan.problems[-1].reason
            plan.preview.append(PreviewRow(row.line, status, _preview_values(questionnaire, row), reason))
    plan.problems.sort(key=lambda p: (p.line, p.kind != KIND_REJECTED))
    return plan


def analyse_import(
    session: Session,
    *,
    questionnaire: QuestionnaireInfo,
    table: UploadedTable,
    mapping: dict[str, str],
    edition_id: int | None = None,
) -> ImportReport:
    """A dry run into one of the edition's questionnaires: what the import would store, refuse and skip, and the
    first rows as they will be stored."""
    check_in_edition(session=session, questionnaire_id=questionnaire.id, edition_id=edition_id)
    plan = _plan(session, questionnaire, table, mapping)
    return ImportReport(
        table.filename,
        plan.read,
        len(plan.new),
        plan.duplicate,
        plan.rejected,
        table.blank_lines,
        plan.contributions,
        tuple(plan.problems),
        tuple(plan.preview),
    )


def import_answers(
    session: Session,
    *,
    questionnaire: QuestionnaireInfo,
    table: UploadedTable,
    mapping: dict[str, str],
    created_by: str,
    save_as: str | None = None,
    edition_id: int | None = None,
) -> ImportReport:
    """Store the new rows of an export into one of the edition's questionnaires (one transaction) and return the
    report; optionally save the mapping. Open answers become contributions of the edition's themes."""
    edition = check_in_edition(session=session, questionnaire_id=questionnaire.id, edition_id=edition_id)
    require_writable(session=session, edition_id=edition)
    plan = _plan(session, questionnaire, table, mapping)
    now = utcnow()
    batch = ImportBatch(questionnaire_id=questionnaire.id, filename=table.filename[:255], created_by=created_by[:60])
    session.add(batch)
    session.flush()
    assert batch.id is not None
    # Thousands of contributions: counted in the rollup once at the end rather than row by row by its triggers.
    with paused_rollup(session=session):
        made = _store(
            session=session,
            questionnaire=questionnaire,
            rows=plan.new,
            batch_id=batch.id,
            created_by=created_by,
            now=now,
            edition_id=edition,
        )
    session.execute(
        update(ImportBatch)
        .where(col(ImportBatch.id) == batch.id)
        .values(
            rows_read=plan.read,
            rows_imported=len(plan.new),
            rows_duplicate=plan.duplicate,
            rows_rejected=plan.rejected,
        )
    )
    if save_as:
        save_mapping(
            session=session, questionnaire_id=questionnaire.id, name=save_as, columns=mapping, edition_id=edition
        )
    return ImportReport(
        table.filename,
        plan.read,
        len(plan.new),
        plan.duplicate,
        plan.rejected,
        table.blank_lines,
        made,
        tuple(plan.problems),
        tuple(plan.preview),
        batch_id=batch.id,
        dry_run=False,
    )


def _table(model: type[SQLModel]) -> Table:
    """The model's table, for Core inserts: one executemany per batch, where ORM bulk inserts split the batch
    each time the set of empty columns changes (an answer is text, a number or a list)."""
    table = model.__table__  # type: ignore[attr-defined]
    assert isinstance(table, Table)
    return table


def _store(
    session: Session,
    *,
    questionnaire: QuestionnaireInfo,
    rows: list[ConvertedRow],
    batch_id: int,
    created_by: str,
    now: datetime,
    edition_id: int,
) -> int:
    """Responses, answers and contributions of the new rows, inserted in bulk (Core, not one ORM object per row)."""
    by_code = {q.code: q for q in questionnaire.questions}
    contribution_count = 0
    for start in range(0, len(rows), _CHUNK):
        chunk = rows[start : start + _CHUNK]
        response_params = []
        for row in chunk:
            submitted = row.fields.get("submitted_at") or now
            response_params.append(
                {
                    "questionnaire_id": questionnaire.id,
                    "origin": ResponseOrigin.IMPORT.value,
                    "fingerprint": row.fingerprint,
                    "resume_code": None,
                    "status": ResponseStatus.SUBMITTED.value,
                    "organisation": row.fields.get("organisation", ""),
                    "actor_type": row.fields.get("actor_type"),
                    "departement": row.fields.get("departement"),
                    "respondent_name": row.fields.get("respondent_name", ""),
                    "email": row.fields.get("email", ""),
                    "consent_at": None,
                    "submitted_at": submitted,
                    "import_batch_id": batch_id,
                    "is_demo": False,
                    "created_at": now,
                    "updated_at": now,
                }
            )
        responses = _table(QuestionnaireResponse)
        ids: list[int] = list(
            session.scalars(
                insert(responses).returning(responses.c.id, sort_by_parameter_order=True),
                response_params,
            )
        )
        # Two batches: without the JSON column at all for text and numbers, since a None bound to a JSON
        # column is stored as the JSON text 'null', not as SQL NULL.
        plain_answers: list[dict[str, Any]] = []
        choice_answers: list[dict[str, Any]] = []
        contribution_rows: list[ContributionDraft] = []
        for row, response_id, params in zip(chunk, ids, response_params, strict=True):
            for code, value in row.answers.items():
                q = by_code[code]
                columns = {"response_id": response_id, "question_id": q.id, **answer_columns(q, value)}
                if q.qtype == QuestionType.MULTIPLE:
                    choice_answers.append(columns)
                else:
                    del columns["value_choices"]
                    plain_answers.append(columns)
                if (
                    q.qtype == QuestionType.OPEN
                    and q.theme_id is not None
                    and isinstance(value, str)
                    and OPEN_MIN_CHARS <= len(value) <= OPEN_MAX_CHARS
                ):
                    contribution_rows.append(
                        _contribution_draft(
                            questionnaire_id=questionnaire.id,
                            row=row,
                            question=q,
                            text=value,
                            response_id=response_id,
                            response=params,
                            created_by=created_by,
                        )
                    )
        for batch_answers in (plain_answers, choice_answers):
            if batch_answers:
                session.execute(insert(_table(Answer)), batch_answers)
        contribution_count += _insert_contributions(session, contribution_rows, edition_id)
    return contribution_count


def _contribution_draft(
    *,
    questionnaire_id: int,
    row: ConvertedRow,
    question: QuestionInfo,
    text: str,
    response_id: int,
    response: dict[str, Any],
    created_by: str,
) -> ContributionDraft:
    """An open answer as a contribution: anonymous, dated when the person answered, keyed by the answer."""
    return ContributionDraft(
        idempotency_key=contribution_key(questionnaire_id, row.fingerprint, question.code),
        theme_id=question.theme_id,
        body=text,
        source=Source.QUESTIONNAIRE.value,
        organisation=response["organisation"],
        actor_type=response["actor_type"],
        departement=response["departement"],
        display_mode=DisplayMode.ANONYMOUS.value,
        status=ModerationStatus.PENDING.value,
        response_id=response_id,
        question_id=question.id,
        entered_by=created_by[:60],
        created_at=response["submitted_at"],
    )


def _insert_contributions(session: Session, drafts: list[ContributionDraft], edition_id: int) -> int:
    """The contributions of imported answers, through the batch path of services.contributions (the rules,
    receipt codes and idempotency of every other contribution); returns how many are new."""
    items = submit_batch(session=session, drafts=drafts, edition_id=edition_id)
    # The converters applied the same text limits, so a refusal here would be a bug in one of them: the
    # answer itself is stored all the same, only its contribution is missing, and the log says which.
    for item in items:
        if item.errors:
            log.error("imported answer not turned into a contribution: %s", sorted(item.errors))
    return sum(1 for item in items if item.receipt is not None and not item.receipt.duplicate)


@dataclass(frozen=True)
class BatchInfo:
    id: int
    filename: str
    created_by: str
    created_at: datetime
    rows_read: int
    rows_imported: int
    rows_duplicate: int
    rows_rejected: int


def list_batches(
    session: Session, *, questionnaire_id: int, limit: int = 20, edition_id: int | None = None
) -> list[BatchInfo]:
    """The latest imports into one of the edition's questionnaires, newest first."""
    check_in_edition(session=session, questionnaire_id=questionnaire_id, edition_id=edition_id)
    rows = session.exec(
        select(ImportBatch)
        .where(ImportBatch.questionnaire_id == questionnaire_id)
        .order_by(col(ImportBatch.id).desc())
        .limit(limit)
    ).all()
    return [
        BatchInfo(
            b.id or 0,
            b.filename,
            b.created_by,
            b.created_at,
            b.rows_read,
            b.rows_imported,
            b.rows_duplicate,
            b.rows_rejected,
        )
        for b in rows
    ]
