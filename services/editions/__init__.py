"""Conference editions: what each one is, its conference pack (YAML) in and out, copies, settings, archiving.

A conference pack (services.packs) holds a whole edition's setup; services.reference_data.load_pack creates the
edition or brings it up to its pack without undoing what staff changed in the app; `export_pack` writes an edition
back as a pack, so a Région can hand its setup to another, or start its next edition from this one.

One name for callers (`from services import editions`); the work is in info (reading), pack_export, setup
(import, copy, blank, settings, default), content (themes, tables) and questionnaire. `EditionStatus` is
re-exported for the pages and ui/, which never import models.
"""

from models import EditionStatus
from services.editions.content import (
    TABLES,
    THEME_FIELDS,
    delete_theme,
    list_edition_rows,
    save_edition_rows,
    save_theme,
)
from services.editions.info import (
    EDITION_FIELDS,
    EditionInfo,
    default_edition,
    edition_counts,
    edition_of_theme,
    find_edition,
    get_edition,
    list_editions,
    previous_edition,
)
from services.editions.pack_export import export_pack, export_pack_text
from services.editions.questionnaire import QUESTIONNAIRE_TEMPLATE, questionnaire_text, replace_questionnaire
from services.editions.setup import (
    copy_edition,
    create_blank_edition,
    import_pack,
    set_default_edition,
    update_edition_settings,
)
from services.scope import ARCHIVED, require_open, require_writable

__all__ = [
    "ARCHIVED",
    "EDITION_FIELDS",
    "QUESTIONNAIRE_TEMPLATE",
    "TABLES",
    "THEME_FIELDS",
    "EditionInfo",
    "EditionStatus",
    "copy_edition",
    "create_blank_edition",
    "default_edition",
    "delete_theme",
    "edition_counts",
    "edition_of_theme",
    "export_pack",
    "export_pack_text",
    "find_edition",
    "get_edition",
    "import_pack",
    "list_edition_rows",
    "list_editions",
    "previous_edition",
    "questionnaire_text",
    "replace_questionnaire",
    "require_open",
    "require_writable",
    "save_edition_rows",
    "save_theme",
    "set_default_edition",
    "update_edition_settings",
]
