"""The entry point for an uploaded file: its size checked, then read as a CSV or an XLSX workbook."""

from __future__ import annotations

from services.formatting import format_number
from services.questionnaire_import.csv_file import read_csv
from services.questionnaire_import.table import MAX_FILE_BYTES, ImportFileError, UploadedTable
from services.questionnaire_import.xlsx_file import read_xlsx


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
        return read_xlsx(filename, data)
    if name.endswith((".xls", ".ods")) or data[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":
        raise ImportFileError("Les classeurs .xls et .ods ne sont pas lus : enregistrez-le en .xlsx ou en CSV.")
    return read_csv(filename, data)
