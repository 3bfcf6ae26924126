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

The package's modules, in the order of those steps: `table` (what a read file is, the limits), `reading`
(`read_table`), `csv_file` and `xlsx_file` (each format and its guards), `mapping` and `saved_mappings`,
`converters` (one cell) and `rows` (one row), `planning` (the dry run), `storing` (the import), `report`.
Callers use the names re-exported here.
"""

from services.questionnaire_import.converters import (
    ACTOR_SYNONYMS,
    ANSWER_MAX_CHARS,
    CHOICE_CUTOFF,
    EXPECTED_DEPARTEMENT,
    FRENCH_DEPARTEMENTS,
    REF_MAX_CHARS,
)
from services.questionnaire_import.csv_file import decode_text, sniff_delimiter
from services.questionnaire_import.mapping import (
    FIELD_LABELS,
    FIELD_SYNONYMS,
    HIGH,
    IGNORE,
    LOW,
    MEDIUM,
    NO_SAFE_PROPOSAL,
    MappingTarget,
    Proposal,
    apply_mapping,
    check_mapping,
    field_key,
    mapping_notes,
    mapping_targets,
    missing_columns,
    option_key,
    propose_mapping,
    question_key,
)
from services.questionnaire_import.planning import PREVIEW_ROWS, analyse_import
from services.questionnaire_import.proposal_file import proposed_mapping_file
from services.questionnaire_import.reading import read_table
from services.questionnaire_import.report import ImportReport, PreviewRow, report_csv
from services.questionnaire_import.rows import KIND_DUPLICATE, KIND_NOTE, KIND_REJECTED, ConvertedRow, RowProblem
from services.questionnaire_import.saved_mappings import (
    MAPPING_FORMAT,
    MAX_MAPPING_BYTES,
    SavedMapping,
    list_mappings,
    mapping_file,
    read_mapping_file,
    save_mapping,
)
from services.questionnaire_import.storing import BatchInfo, import_answers, list_batches
from services.questionnaire_import.table import (
    DELIMITER_NAMES,
    MAX_BLANK_LINES,
    MAX_CELLS,
    MAX_COLUMNS,
    MAX_FILE_BYTES,
    MAX_MERGES,
    MAX_PACKING_RATIO,
    MAX_PARTS,
    MAX_ROWS,
    MAX_SEPARATORS_PER_RECORD,
    MAX_TEXT_CHARS,
    MAX_UNPACKED_BYTES,
    ImportFileError,
    RawRow,
    UploadedTable,
)

__all__ = [
    "ACTOR_SYNONYMS",
    "ANSWER_MAX_CHARS",
    "CHOICE_CUTOFF",
    "DELIMITER_NAMES",
    "EXPECTED_DEPARTEMENT",
    "FIELD_LABELS",
    "FIELD_SYNONYMS",
    "FRENCH_DEPARTEMENTS",
    "HIGH",
    "IGNORE",
    "KIND_DUPLICATE",
    "KIND_NOTE",
    "KIND_REJECTED",
    "LOW",
    "MAPPING_FORMAT",
    "MAX_BLANK_LINES",
    "MAX_CELLS",
    "MAX_COLUMNS",
    "MAX_FILE_BYTES",
    "MAX_MAPPING_BYTES",
    "MAX_MERGES",
    "MAX_PACKING_RATIO",
    "MAX_PARTS",
    "MAX_ROWS",
    "MAX_SEPARATORS_PER_RECORD",
    "MAX_TEXT_CHARS",
    "MAX_UNPACKED_BYTES",
    "MEDIUM",
    "NO_SAFE_PROPOSAL",
    "PREVIEW_ROWS",
    "REF_MAX_CHARS",
    "BatchInfo",
    "ConvertedRow",
    "ImportFileError",
    "ImportReport",
    "MappingTarget",
    "PreviewRow",
    "Proposal",
    "RawRow",
    "RowProblem",
    "SavedMapping",
    "UploadedTable",
    "analyse_import",
    "apply_mapping",
    "check_mapping",
    "decode_text",
    "field_key",
    "import_answers",
    "list_batches",
    "list_mappings",
    "mapping_file",
    "mapping_notes",
    "mapping_targets",
    "missing_columns",
    "option_key",
    "propose_mapping",
    "proposed_mapping_file",
    "question_key",
    "read_mapping_file",
    "read_table",
    "report_csv",
    "save_mapping",
    "sniff_delimiter",
]
