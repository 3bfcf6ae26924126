"""Conference packs: one human-editable YAML file holding a whole edition's setup (format ess-conference-pack/1).

One name for callers (`from services import packs`); the section checks are in checks (shared with the
wizard's forms and tables), reading, parsing and writing a pack in pack.
"""

from services.packs.checks import (
    CODE_RE,
    COLOR_RE,
    MAX_PACK_BYTES,
    MAX_PROBLEMS_SHOWN,
    MAX_THEMES,
    MIN_THEMES,
    PACK_FORMAT,
    SLUG_RE,
    STATUS_LABELS,
    PackError,
    check_edition_settings,
    check_key_figures,
    check_support_schemes,
    check_themes,
)
from services.packs.pack import Pack, dump_pack, edition_for_yaml, parse_pack, read_pack, read_questionnaire

__all__ = [
    "CODE_RE",
    "COLOR_RE",
    "MAX_PACK_BYTES",
    "MAX_PROBLEMS_SHOWN",
    "MAX_THEMES",
    "MIN_THEMES",
    "PACK_FORMAT",
    "SLUG_RE",
    "STATUS_LABELS",
    "Pack",
    "PackError",
    "check_edition_settings",
    "check_key_figures",
    "check_support_schemes",
    "check_themes",
    "dump_pack",
    "edition_for_yaml",
    "parse_pack",
    "read_pack",
    "read_questionnaire",
]
