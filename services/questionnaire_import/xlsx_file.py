"""Reading an XLSX export: the archive and its XML checked against zip and entity bombs before the reader
unpacks anything, then the first visible sheet as headers and rows (merged and two-row headers included)."""

from __future__ import annotations

import io
import logging
import re
import zipfile
from collections.abc import Iterator
from datetime import date, datetime, time
from typing import IO, Any

import openpyxl  # type: ignore[import-untyped]
from defusedxml import DefusedXmlException  # type: ignore[import-untyped]
from defusedxml.ElementTree import iterparse  # type: ignore[import-untyped]
from openpyxl.utils.cell import column_index_from_string, range_boundaries  # type: ignore[import-untyped]
from openpyxl.xml.constants import SHEET_MAIN_NS  # type: ignore[import-untyped]

from services.formatting import format_number
from services.questionnaire_import.table import (
    MAX_CELLS,
    MAX_MERGES,
    MAX_PACKING_RATIO,
    MAX_PARTS,
    MAX_ROWS,
    MAX_TEXT_CHARS,
    MAX_UNPACKED_BYTES,
    ImportFileError,
    RawRow,
    UploadedTable,
    check_columns,
    check_size,
    too_many_cells,
    too_many_rows,
    trim_trailing_empty,
    unique_headers,
)
from services.questionnaires import NO, YES

log = logging.getLogger(__name__)


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
                        raise too_many_cells()
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
            check_size(0, cells)
            if sheet_data is not None:
                sheet_data.clear()
            number = element.get("r")
            row = int(number) if number else row + 1
            column = widest = 0
            if row > last_row:  # the reader also yields every missing row above this one
                raise too_many_rows()
        elif tag == _SHEET_DATA:
            sheet_data = element
        elif tag == _MERGE:
            min_col, min_row, max_col, max_row = (int(v or 1) for v in range_boundaries(element.get("ref", "")))
            merges.append((min_col, min_row, max_col, max_row))
            merged += (max_col - min_col + 1) * (min(max_row, last_row) - min(min_row, last_row) + 1)
            if len(merges) > MAX_MERGES or merged > MAX_CELLS:
                raise too_many_cells()
    check_size(0, cells + widest)
    return merges


def read_xlsx(filename: str, data: bytes) -> UploadedTable:
    """An XLSX export as headers and rows: its first visible sheet, once the archive and its parts pass the checks."""
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


Grid = dict[int, list[str]]  # the sheet's rows by number, each as wide as the reader gave it


def _widen(grid: Grid, number: int, columns: int) -> list[str]:
    """Row `number` at least `columns` wide (filled in place): only the rows a merge or the header needs grow."""
    cells = grid.get(number)
    if cells is None:
        return [""] * columns
    if len(cells) < columns:
        cells.extend([""] * (columns - len(cells)))
    return cells


def _spread_merges(grid: Grid, merges: list[Merge], header_row: int, last_row: int, width: int) -> None:
    """A merged header cell holds its value in its first cell only: give it to every cell it covers."""
    for min_col, min_row, max_col, max_row in merges:
        if min_row > header_row + 1 or min_col > width:
            continue
        value = _widen(grid, min_row, min_col)[min_col - 1]
        for r in range(min_row, min(max_row, last_row) + 1):
            if r in grid:
                cells = _widen(grid, r, min(max_col, width))
                for c in range(min_col, min(max_col, width) + 1):
                    cells[c - 1] = value


def _header_cells(grid: Grid, merges: list[Merge], header_row: int, width: int) -> tuple[list[str], int]:
    """(the header's cells, how many rows it takes): two rows when merged group titles ("Votre structure")
    stand above the column titles, each column then named « group / title »."""
    group_merges = [m for m in merges if m[1] == header_row and m[3] == header_row and m[2] > m[0]]
    second = header_row + 1
    two_rows = (
        bool(group_merges)
        and second in grid
        and all(
            _widen(grid, second, width)[c - 1].strip() for m in group_merges for c in range(m[0], min(m[2], width) + 1)
        )
    )
    top = _widen(grid, header_row, width)
    if not two_rows:
        return top, 1
    sub = _widen(grid, second, width)
    raw = []
    for top_cell, sub_cell in zip(top, sub, strict=True):
        upper, lower = top_cell.strip(), sub_cell.strip()
        raw.append(lower if not upper or upper == lower else (upper if not lower else f"{upper} / {lower}"))
    return raw, 2


def _answer_rows(grid: Grid, numbers: list[int], columns: int) -> tuple[list[RawRow], int]:
    """(the rows under the header, how many blank rows among them): trailing blank rows (formatting that reaches
    further down) are not "blank lines" of the export."""
    rows: list[RawRow] = []
    blank = 0
    for number in numbers:
        cells = grid[number]
        if not any(c.strip() for c in cells):
            blank += 1
            continue
        # Cells right of the header are kept only if they hold something (then the row is refused).
        extra = [c for c in cells[columns:] if c.strip()]
        own = cells[:columns]
        rows.append(RawRow(number, tuple(own + [""] * (columns - len(own)) + extra)))
    trailing = 0
    for number in reversed(numbers):
        if any(c.strip() for c in grid[number]):
            break
        trailing += 1
    return rows, blank - trailing


def _table_from_sheet(
    filename: str, title: str, lines: list[tuple[int, list[str]]], merges: list[Merge]
) -> UploadedTable:
    """The first non-blank row (or two) of the sheet as the header, the rows below it as the answers."""
    non_blank = [i for i, (_, cells) in enumerate(lines) if any(c.strip() for c in cells)]
    if not non_blank:
        raise ImportFileError("La première feuille du classeur est vide.")
    first = non_blank[0]
    header_row = lines[first][0]
    width = max(len(cells) for _, cells in lines)
    grid = {number: cells for number, cells in lines}
    _spread_merges(grid, merges, header_row, lines[-1][0], width)
    raw, header_rows = _header_cells(grid, merges, header_row, width)
    header = trim_trailing_empty(raw)
    check_columns(len(header))
    numbers = [number for number, _ in lines[first + header_rows :]]
    rows, blank = _answer_rows(grid, numbers, len(header))
    return UploadedTable(filename, "XLSX", unique_headers(header), tuple(rows), blank, sheet=title)
