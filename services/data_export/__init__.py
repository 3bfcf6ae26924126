"""The contributions as data: Excel (summary, one sheet per theme and per source, the stances on the orientations)
and CSV; anonymised by default.

The modules: `table` (the rows, anonymised or not, the CSV, the audit of a download) and `excel` (the
workbook and its stances sheet). Callers use the names re-exported here.
"""

from services.data_export.excel import STANCE_COLUMNS, STANCE_SHEET, excel_bytes, excel_export, stance_rows
from services.data_export.table import (
    BASE_COLUMNS,
    INTERNAL_COLUMNS,
    ExportTable,
    contribution_table,
    csv_export,
    record_export,
)

__all__ = [
    "BASE_COLUMNS",
    "INTERNAL_COLUMNS",
    "STANCE_COLUMNS",
    "STANCE_SHEET",
    "ExportTable",
    "contribution_table",
    "csv_export",
    "excel_bytes",
    "excel_export",
    "record_export",
    "stance_rows",
]
