"""Formula injection (CSV/DDE): every cell that a spreadsheet could run is neutralised, whatever hides in front.

OWASP « CSV Injection »: a cell starting with =, +, -, @, a tab or a carriage return is run as a formula; some
spreadsheets skip a BOM, a zero-width space or a no-break space before looking, so those must not hide it. And
no file the app writes may bypass the one neutralising writer (services/exports.py).
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from pathlib import Path

import openpyxl
import pandas as pd
from hypothesis import given
from hypothesis import strategies as st

from models import utcnow
from services import data_export
from services.exports import FORMULA_PREFIXES, csv_bytes, frame_csv_bytes, neutralise_cell

ROOT = Path(__file__).resolve().parents[2]
# What a spreadsheet may skip before the first character it reads.
invisible = st.characters(categories=["Cf", "Cc", "Zs", "Zl", "Zp"]) | st.sampled_from("\ufeff\u200b\u200e\u2060 \t")
invisibles = st.text(alphabet=invisible, max_size=5)
formula_start = st.sampled_from(FORMULA_PREFIXES)
SKIPPED = {"Cf", "Cc", "Zs", "Zl", "Zp"}


def runs_as_formula(cell: str) -> bool:
    """What a lenient spreadsheet does: skip the invisible characters, then look at the first one."""
    head = next((ch for ch in cell if ch in "\t\r\n" or not (ch.isspace() or unicodedata.category(ch) in SKIPPED)), "")
    return head in FORMULA_PREFIXES


def test_a_formula_behind_an_invisible_character_is_neutralised() -> None:
    for cell in ("\u200b=1+1", '\ufeff=HYPERLINK("http://x")', " =1+1", "\u00a0@SUM(A1)", "\u2060+1", "\u202e-1"):
        assert neutralise_cell(cell) == "'" + cell, repr(cell)
    for cell in ("Bonjour", "x=1", "1+1", "'=déjà neutralisée", ""):
        assert neutralise_cell(cell) == cell, repr(cell)


@given(invisibles, formula_start, st.text(max_size=30))
def test_any_formula_behind_invisible_characters_gets_an_apostrophe(prefix: str, start: str, rest: str) -> None:
    cell = prefix + start + rest
    assert neutralise_cell(cell) == "'" + cell


@given(st.text(max_size=40))
def test_neutralising_changes_nothing_but_a_leading_apostrophe_and_is_idempotent(cell: str) -> None:
    once = neutralise_cell(cell)
    assert once in (cell, "'" + cell)
    assert neutralise_cell(once) == once
    assert not runs_as_formula(str(once))


@given(st.lists(st.lists(st.text(max_size=20), min_size=1, max_size=4), min_size=1, max_size=5))
def test_no_cell_of_a_written_csv_runs_as_a_formula(rows: list[list[str]]) -> None:
    width = max(len(r) for r in rows)
    data = csv_bytes([f"c{i}" for i in range(width)], rows)
    read = list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline=""), delimiter=";"))
    assert not [cell for row in read for cell in row if runs_as_formula(cell)]


def test_the_stand_rejection_report_is_neutralised() -> None:
    # The frame admin_stands.py builds from the import's rejected rows: a code or a reason may be anything typed.
    rejected = pd.DataFrame({"Ligne": [2, 3], "Code": ["\u200b=cmd|' /C calc'!A0", "@SUM(1)"], "Raison": ["-x", "ok"]})
    text = frame_csv_bytes(rejected).decode("utf-8-sig")
    read = list(csv.reader(io.StringIO(text), delimiter=";"))
    assert read[0] == ["Ligne", "Code", "Raison"]
    assert read[1] == ["2", "'\u200b=cmd|' /C calc'!A0", "'-x"]
    assert read[2] == ["3", "'@SUM(1)", "ok"]


def test_the_xlsx_writer_neutralises_whatever_it_is_given() -> None:
    table = data_export.ExportTable(
        header=("Texte",),
        rows=[('\ufeff=HYPERLINK("http://x")',)],
        theme_of=["T"],
        source_of=["S"],
        anonymised=True,
        generated_at=utcnow(),
    )
    book = openpyxl.load_workbook(io.BytesIO(data_export.excel_bytes(table)))
    cells = [c.value for ws in book.worksheets[1:] for row in ws.iter_rows(min_row=2) for c in row]
    assert cells and all(v == '\'\ufeff=HYPERLINK("http://x")' for v in cells)


def test_no_file_is_written_around_the_neutralising_writer() -> None:
    # Spreadsheet files leave the app through services/exports.py (csv_bytes, frame_csv_bytes) and the one .xlsx
    # writer of services/data_export/excel.py; a direct to_csv, csv.writer or workbook elsewhere would skip them.
    direct = re.compile(r"\.to_csv\(|\.to_excel\(|csv\.writer\(|csv\.DictWriter\(|Workbook\(")
    allowed = {"services/exports.py", "services/data_export/excel.py"}
    found = [
        f"{path.relative_to(ROOT)}:{n}"
        for folder in ("services", "app_pages", "ui", "core", "db")
        for path in sorted((ROOT / folder).rglob("*.py"))
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1)
        if direct.search(line) and str(path.relative_to(ROOT)) not in allowed
    ]
    found += [
        f"manage.py:{n}"
        for n, line in enumerate((ROOT / "manage.py").read_text().splitlines(), 1)
        if direct.search(line)
    ]
    assert found == []
