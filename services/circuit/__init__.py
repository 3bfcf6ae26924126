"""The treasure-hunt circuit of an edition: its stands, visits, passports, the treasure, the organisers' traffic.

Every function works on one edition (`edition_id`, None for the default one): stand codes repeat from one
edition to the next (each has its S01), and a passport belongs to one edition (services.participants), so a
stand, a visit or a passport of another edition is treated as if it did not exist.

The hunt and the stands' administration are separate modules; their public names are re-exported here, the one
name pages and other services use:
- stand_pages: the stands as the hunters see them (a stand's page, the circuit in order);
- hunt: a stand visit, the passport, restoring it on another phone;
- treasure: the rule that awards the treasure, the award, the welcome desk's check;
- traffic: the organisers' live traffic and the dashboard's circuit summary;
- stand_admin: creating, editing, reordering stands, posters;
- stand_csv: importing and exporting the stands as a CSV.
"""

from __future__ import annotations

from services.circuit.hunt import (
    RESTORE_ORIGIN_SCOPE,
    RESTORE_OVERALL_SCOPE,
    RESTORE_SESSION_SCOPE,
    STAND_GONE,
    Passport,
    VisitResult,
    has_visited,
    passport,
    record_stand_visit,
    restore_passport,
    visit_stand,
)
from services.circuit.stand_admin import (
    STAND_CODE,
    TEXT_LABELS,
    TEXT_LIMITS,
    StandValues,
    check_stand_values,
    list_ptce_codes,
    move_stand,
    poster_stands,
    save_stand,
)
from services.circuit.stand_csv import (
    CSV_COLUMNS,
    MAX_STAND_COLUMNS,
    MAX_STAND_FILE_BYTES,
    MAX_STAND_ROWS,
    RejectedRow,
    StandImportReport,
    export_stands_csv,
    import_stands_csv,
)
from services.circuit.stand_pages import StandPage, get_stand_page, list_circuit, normalise_stand_code
from services.circuit.traffic import (
    QUARTER_S,
    CircuitSummary,
    CircuitTraffic,
    StandTraffic,
    circuit_summary,
    circuit_traffic,
)
from services.circuit.treasure import (
    TreasureCheck,
    award_treasure_if_complete,
    check_treasure_code,
    is_complete,
    required_theme_ids,
)

__all__ = [
    "CSV_COLUMNS",
    "MAX_STAND_COLUMNS",
    "MAX_STAND_FILE_BYTES",
    "MAX_STAND_ROWS",
    "QUARTER_S",
    "RESTORE_ORIGIN_SCOPE",
    "RESTORE_OVERALL_SCOPE",
    "RESTORE_SESSION_SCOPE",
    "STAND_CODE",
    "STAND_GONE",
    "TEXT_LABELS",
    "TEXT_LIMITS",
    "CircuitSummary",
    "CircuitTraffic",
    "Passport",
    "RejectedRow",
    "StandImportReport",
    "StandPage",
    "StandTraffic",
    "StandValues",
    "TreasureCheck",
    "VisitResult",
    "award_treasure_if_complete",
    "check_stand_values",
    "check_treasure_code",
    "circuit_summary",
    "circuit_traffic",
    "export_stands_csv",
    "get_stand_page",
    "has_visited",
    "import_stands_csv",
    "is_complete",
    "list_circuit",
    "list_ptce_codes",
    "move_stand",
    "normalise_stand_code",
    "passport",
    "poster_stands",
    "record_stand_visit",
    "required_theme_ids",
    "restore_passport",
    "save_stand",
    "visit_stand",
]
