"""The contributions as an Excel workbook: a summary, one sheet per theme and per origin, the stances sheet."""

from __future__ import annotations

import io
from collections import Counter
from collections.abc import Iterator, Sequence
from typing import Any

import xlsxwriter  # type: ignore[import-untyped]  # no stubs published
from sqlmodel import Session, select

from models import Orientation, Theme
from services import drafting
from services.data_export.table import ExportTable, contribution_table
from services.exports import neutralise_cell, safe_cell
from services.formatting import format_datetime
from services.scope import resolve_edition_id

# The adequacy check, one row per orientation on the ballot: counts only, never a device or a participant.
STANCE_SHEET = "Avis sur les orientations"
STANCE_COLUMNS = (
    "Code",
    "Thème",
    "Titre",
    "D'accord",
    "Avec réserves",
    "Pas d'accord",
    "Sans avis",
    "Avis exprimés",
    "dont bulletins papier",
    "Verdict",
)
_WIDTHS = {"Texte": 80, "Titre": 30, "Texte tel que saisi": 80, "Orientation": 14, "Thème": 24, "Étiquettes": 24}
_FORBIDDEN_IN_SHEET_NAMES = str.maketrans({c: " " for c in "[]:*?/\\"})


def _sheet_name(base: str, used: set[str]) -> str:
    name = " ".join(base.translate(_FORBIDDEN_IN_SHEET_NAMES).split())[:31].strip("'") or "Feuille"
    candidate, n = name, 2
    while candidate.lower() in used:
        suffix = f" ({n})"
        candidate, n = name[: 31 - len(suffix)] + suffix, n + 1
    used.add(candidate.lower())
    return candidate


def _summary_rows(table: ExportTable) -> Iterator[Sequence[object]]:
    yield ("Export des contributions", "")
    if table.edition:
        yield ("Édition", table.edition)
    yield ("Généré le", format_datetime(table.generated_at))
    yield ("Anonymisé", "oui" if table.anonymised else "non : export interne complet, à ne pas diffuser")
    yield ("Contributions", len(table.rows))
    yield ("", "")
    yield ("Par thème", "")
    for theme, n in sorted(Counter(table.theme_of).items()):
        yield (theme, n)
    yield ("", "")
    yield ("Par origine", "")
    for source, n in sorted(Counter(table.source_of).items()):
        yield (source, n)


def excel_export(
    session: Session,
    *,
    actor: str,
    anonymised: bool = True,
    include_rejected: bool = False,
    edition_id: int | None = None,
) -> bytes:
    """The edition's .xlsx: a summary sheet, one sheet per theme, one per origin; filters and frozen headers."""
    table = contribution_table(
        session=session, actor=actor, anonymised=anonymised, include_rejected=include_rejected, edition_id=edition_id
    )
    return excel_bytes(table, stances=stance_rows(session=session, edition_id=edition_id))


def stance_rows(session: Session, *, edition_id: int | None = None) -> list[tuple[object, ...]]:
    """The sheet « Avis sur les orientations »: per orientation on the ballot, its counts per answer and verdict.

    Read from the rollups (services/verdict.py): the file holds counts, no device token, no participant id.
    """
    edition_id = resolve_edition_id(session=session, edition_id=edition_id)
    themes = {t.id: t.short_label or t.label for t in session.exec(select(Theme).where(Theme.edition_id == edition_id))}
    orientations = {
        oid: (code, theme_id, title)
        for oid, code, theme_id, title in session.exec(
            select(Orientation.id, Orientation.code, Orientation.theme_id, Orientation.title).where(
                Orientation.edition_id == edition_id
            )
        )
    }
    rows: list[tuple[object, ...]] = []
    for oid, f in drafting.stance_figures(session=session, edition_id=edition_id).items():
        code, theme_id, title = orientations[oid]
        rows.append(
            (
                safe_cell(code),
                safe_cell(themes.get(theme_id, "")),
                safe_cell(title),
                f.agree,
                f.reservations,
                f.disagree,
                f.skip,
                f.weighed_in,
                f.paper,
                safe_cell(f.label),
            )
        )
    return rows


def _write_summary(book: xlsxwriter.Workbook, table: ExportTable, title_format: Any) -> None:
    """The first sheet, « Synthèse »: the export's figures, its first row in bold."""
    sheet = book.add_worksheet("Synthèse")
    sheet.set_column(0, 0, 40)
    sheet.set_column(1, 1, 30)
    for r, row in enumerate(_summary_rows(table)):
        for c, value in enumerate(row):
            _write(sheet, r, c, safe_cell(value), title_format if r == 0 else None)


def excel_bytes(table: ExportTable, stances: Sequence[Sequence[object]] | None = None) -> bytes:
    """Write `table` as .xlsx: a summary sheet, one sheet per theme, one per origin; filters, frozen headers.
    `stances` (stance_rows): the sheet « Avis sur les orientations », after the others.

    XlsxWriter in constant-memory mode: each sheet's rows go to its own temporary file as they are written,
    so the workbook never holds the cells in memory. The rows, made safe once by contribution_table
    (formula-neutralised, XML-cleaned), are each written to their theme's sheet and their origin's sheet,
    one cell type at a time (write_string/write_number: XlsxWriter never guesses a formula or a URL).
    """
    header, rows = table.header, table.rows
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(
        buffer,
        {
            "constant_memory": True,
            "strings_to_formulas": False,
            "strings_to_urls": False,
            "strings_to_numbers": False,
        },
    )
    title_format = book.add_format({"bold": True})
    header_format = book.add_format({"bold": True, "bg_color": "#E8EEF4", "text_wrap": True})
    _write_summary(book, table, title_format)
    used = {"synthèse"}

    def new_sheet(title: str) -> list[object]:
        sheet = book.add_worksheet(_sheet_name(title, used))
        for c, name in enumerate(header):
            sheet.set_column(c, c, _WIDTHS.get(name, 14))
            _write(sheet, 0, c, name, header_format)
        sheet.freeze_panes(1, 0)
        return [sheet, 0]  # the sheet and its last written row

    sheets: dict[str, list[object]] = {}
    for theme in sorted(set(table.theme_of)):
        sheets[f"t:{theme}"] = new_sheet(theme)
    for source in sorted(set(table.source_of)):
        sheets[f"s:{source}"] = new_sheet(f"Origine - {source}")
    if not sheets:  # nothing to export: still one sheet with the column titles
        sheets["empty"] = new_sheet("Contributions")
    for row, theme, source in zip(rows, table.theme_of, table.source_of, strict=True):
        for target in (sheets[f"t:{theme}"], sheets[f"s:{source}"]):
            sheet, r = target[0], int(target[1]) + 1  # type: ignore[call-overload]
            target[1] = r
            for c, value in enumerate(row):
                _write(sheet, r, c, value)
    for sheet, last in sheets.values():
        sheet.autofilter(0, 0, max(int(last), 1), len(header) - 1)  # type: ignore[attr-defined,call-overload]
    if stances is not None:
        stance_sheet = book.add_worksheet(_sheet_name(STANCE_SHEET, used))
        for c, name in enumerate(STANCE_COLUMNS):
            stance_sheet.set_column(c, c, {"Titre": 60, "Thème": 24, "Verdict": 18}.get(name, 12))
            _write(stance_sheet, 0, c, name, header_format)
        stance_sheet.freeze_panes(1, 0)
        for r, stance_row in enumerate(stances, start=1):
            for c, value in enumerate(stance_row):
                _write(stance_sheet, r, c, value)
        stance_sheet.autofilter(0, 0, max(len(stances), 1), len(STANCE_COLUMNS) - 1)
    book.close()
    return buffer.getvalue()


def _write(sheet: object, r: int, c: int, value: object, cell_format: object | None = None) -> None:
    """One cell, typed explicitly: numbers as numbers, everything else as neutralised text; empty cells skipped."""
    if isinstance(value, bool):
        sheet.write_string(r, c, "oui" if value else "non", cell_format)  # type: ignore[attr-defined]
    elif isinstance(value, int | float):
        sheet.write_number(r, c, value, cell_format)  # type: ignore[attr-defined]
    elif value is not None and value != "":
        # Neutralised here too, whatever the caller did (idempotent, and a first-character test in the common
        # case): the only place a cell of an .xlsx is written, so no text reaches a sheet unneutralised.
        sheet.write_string(r, c, str(neutralise_cell(str(value))), cell_format)  # type: ignore[attr-defined]
