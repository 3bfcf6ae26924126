"""The contributions as data: Excel (summary, one sheet per theme and per source, the stances on the orientations)
and CSV; anonymised by default.

Anonymised (the default): no name or organisation of people who chose to appear anonymously, staff-masked
text when there is one, and personal data found in any other text masked on the fly. The full internal
export is an explicit choice. Every text cell is XML-safe and formula-neutralised (services.exports).
An export is one edition's: its themes' contributions, with its orientations, stands and groups.
"""

from __future__ import annotations

import io
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

import xlsxwriter  # type: ignore[import-untyped]  # no stubs published
from sqlalchemy import func
from sqlalchemy import select as core_select
from sqlmodel import Session, col, select

from models import (
    Contribution,
    ContributionGroup,
    ContributionGroupMember,
    ContributionSupport,
    ContributionTag,
    DisplayMode,
    GroupStatus,
    ModerationStatus,
    Orientation,
    Stand,
    Tag,
    Theme,
    utcnow,
)
from services import drafting
from services.audit import record_audit_event
from services.editions import get_edition
from services.exports import csv_bytes, neutralise_cell, safe_cell
from services.formatting import format_datetime
from services.labels import (
    ACTOR_TYPE_LABELS,
    DISPLAY_MODE_LABELS,
    MODERATION_LABELS,
    SOURCE_LABELS,
    STANCE_LABELS,
    label,
)
from services.moderation import mask_personal_data
from services.permissions import Permission, require_permission
from services.scope import resolve_edition_id, theme_ids

BASE_COLUMNS = (
    "Reçu",
    "Date",
    "Thème",
    "Origine",
    "Stand",
    "Statut",
    "Orientation",
    "Position",
    "Titre",
    "Texte",
    "Soutiens",
    "Étiquettes",
    "Groupe",
    "Type d'acteur",
    "Département",
    "Auteur",
    "Organisation",
)
INTERNAL_COLUMNS = ("Texte tel que saisi", "Affichage choisi", "Motif du rejet", "Saisi par")
_COLUMNS = (
    "id",
    "receipt_code",
    "created_at",
    "theme_id",
    "source",
    "stand_id",
    "status",
    "orientation_id",
    "stance",
    "title",
    "body",
    "masked_body",
    "actor_type",
    "departement",
    "author_name",
    "organisation",
    "display_mode",
    "rejection_reason",
    "entered_by",
)
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


@dataclass(frozen=True)
class ExportTable:
    header: tuple[str, ...]
    rows: list[tuple[object, ...]]
    theme_of: list[str]  # the theme label of each row (for the per-theme sheets)
    source_of: list[str]  # the origin label of each row (for the per-source sheets)
    anonymised: bool
    generated_at: datetime
    edition: str = ""  # the edition's name and place, for the summary sheet


def _public_author(display_mode: str, name: str, organisation: str) -> tuple[str, str]:
    """What an anonymised export may show of an author: only what they chose to show."""
    if display_mode == DisplayMode.NAME.value:
        return name, organisation
    if display_mode == DisplayMode.ORGANISATION.value:
        return "", organisation
    return "", ""


def contribution_table(
    session: Session,
    *,
    actor: str,
    anonymised: bool = True,
    include_rejected: bool = False,
    theme_id: int | None = None,
    edition_id: int | None = None,
) -> ExportTable:
    """Every contribution of the edition as export rows (French headers and labels), in order of arrival; cells
    already safe. A `theme_id` of another edition gives no row."""
    # Even anonymised, the table holds texts not yet moderated: only an account allowed to export reads it.
    require_permission(session=session, actor=actor, permission=Permission.EXPORTS)
    edition_id = resolve_edition_id(session=session, edition_id=edition_id)
    edition = get_edition(session=session, edition_id=edition_id)
    scope = theme_ids(session=session, edition_id=edition_id)
    if theme_id is not None:
        scope = [t for t in scope if t == theme_id]
    themes = {
        t.id: safe_cell(t.short_label) for t in session.exec(select(Theme).where(Theme.edition_id == edition_id)).all()
    }
    orientations = {
        i: safe_cell(c)
        for i, c in session.exec(
            select(Orientation.id, Orientation.code).where(Orientation.edition_id == edition_id)
        ).all()
    }
    stands = {
        i: safe_cell(n) for i, n in session.exec(select(Stand.id, Stand.name).where(Stand.edition_id == edition_id))
    }
    in_scope = col(Contribution.theme_id).in_(scope)
    supports = dict(
        session.exec(
            select(ContributionSupport.contribution_id, func.count())
            .join(Contribution, col(Contribution.id) == col(ContributionSupport.contribution_id))
            .where(in_scope)
            .group_by(col(ContributionSupport.contribution_id))
        ).all()
    )
    tags: dict[int, list[str]] = {}
    for cid, tag in session.exec(
        select(ContributionTag.contribution_id, Tag.label)
        .join(Tag, col(Tag.id) == col(ContributionTag.tag_id))
        .join(Contribution, col(Contribution.id) == col(ContributionTag.contribution_id))
        .where(in_scope)
    ).all():
        tags.setdefault(cid, []).append(tag)
    groups = dict(
        session.exec(
            select(ContributionGroupMember.contribution_id, ContributionGroupMember.group_id)
            .join(ContributionGroup, col(ContributionGroup.id) == col(ContributionGroupMember.group_id))
            .where(ContributionGroup.status == GroupStatus.CONFIRMED.value, col(ContributionGroup.theme_id).in_(scope))
        ).all()
    )
    table = Contribution.__table__  # type: ignore[attr-defined]
    stmt = (
        core_select(*(table.c[name] for name in _COLUMNS))
        .where(table.c.theme_id.in_(scope))
        .order_by(table.c.created_at, table.c.id)
    )
    if not include_rejected:
        stmt = stmt.where(table.c.status != ModerationStatus.REJECTED.value)
    header = BASE_COLUMNS if anonymised else BASE_COLUMNS + INTERNAL_COLUMNS
    rows: list[tuple[object, ...]] = []
    theme_of: list[str] = []
    source_of: list[str] = []
    # Labels repeat on every row: each is looked up and made safe once (the dicts below), as is the
    # date, formatted once per minute; only what people typed goes through safe_cell row by row.
    labels: dict[tuple[int, str | None], object] = {}

    def shown_label(mapping: dict[str, str], value: str | None, default: str = "") -> object:
        key = (id(mapping), value)  # the mappings are module constants
        if key not in labels:
            labels[key] = safe_cell(label(mapping, value, default))
        return labels[key]

    minutes: dict[datetime, str] = {}
    # Core rows (no ORM objects), fetched in chunks: 100 000 contributions load in about a second.
    result = session.connection().execution_options(yield_per=5000).execute(stmt)
    for r in result:
        (cid, code, created, tid, source, stand_id, status, oid, stance, title, body, masked) = r[:12]
        (actor_type, departement, name, organisation, display_mode, reason, entered_by) = r[12:]
        minute = created.replace(second=0, microsecond=0)
        if minute not in minutes:
            minutes[minute] = format_datetime(minute if minute.tzinfo else minute.replace(tzinfo=UTC))
        shown = masked if masked is not None else body
        if anonymised:
            name, organisation = _public_author(display_mode, name, organisation)
            if masked is None:
                shown = mask_personal_data(body)
            title = mask_personal_data(title)
        theme_label = themes.get(tid, "")
        source_label = shown_label(SOURCE_LABELS, source)
        row: tuple[object, ...] = (
            safe_cell(code),
            minutes[minute],
            theme_label,
            source_label,
            stands.get(stand_id, "") if stand_id else "",
            shown_label(MODERATION_LABELS, status),
            orientations.get(oid, "") if oid else "",
            shown_label(STANCE_LABELS, stance),
            safe_cell(title),
            safe_cell(shown),
            int(supports.get(cid, 0)),
            safe_cell(", ".join(sorted(tags[cid]))) if cid in tags else "",
            f"G{groups[cid]}" if cid in groups else "",
            shown_label(ACTOR_TYPE_LABELS, actor_type),
            safe_cell(departement or ""),
            safe_cell(name),
            safe_cell(organisation),
        )
        if not anonymised:
            row += (
                safe_cell(body),
                shown_label(DISPLAY_MODE_LABELS, display_mode),
                safe_cell(reason),
                safe_cell(entered_by),
            )
        rows.append(row)
        theme_of.append(str(theme_label))
        source_of.append(str(source_label))
    shown_edition = " · ".join(part for part in (edition.name, edition.place_and_date) if part)
    return ExportTable(header, rows, theme_of, source_of, anonymised, utcnow(), shown_edition)


def csv_export(
    session: Session,
    *,
    actor: str,
    anonymised: bool = True,
    include_rejected: bool = False,
    semicolon: bool = True,
    edition_id: int | None = None,
) -> bytes:
    """The edition's contributions as CSV, UTF-8 with BOM; semicolons for a French Excel, commas otherwise."""
    table = contribution_table(
        session=session, actor=actor, anonymised=anonymised, include_rejected=include_rejected, edition_id=edition_id
    )
    return csv_bytes(table.header, table.rows, delimiter=";" if semicolon else ",")


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
    summary_sheet = book.add_worksheet("Synthèse")
    summary_sheet.set_column(0, 0, 40)
    summary_sheet.set_column(1, 1, 30)
    for r, row in enumerate(_summary_rows(table)):
        for c, value in enumerate(row):
            _write(summary_sheet, r, c, safe_cell(value), title_format if r == 0 else None)
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
        for r, row in enumerate(stances, start=1):
            for c, value in enumerate(row):
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


def record_export(
    session: Session,
    *,
    actor: str,
    kind: str,
    anonymised: bool,
    include_rejected: bool,
    edition_id: int | None = None,
) -> None:
    """An export leaves the app: the trail says who took which file of which edition, and whether it held
    personal data."""
    record_audit_event(
        session=session,
        actor=actor,
        action="export.download",
        entity_type="export",
        entity_id=kind,
        after={
            "anonymised": anonymised,
            "include_rejected": include_rejected,
            "edition_id": resolve_edition_id(session=session, edition_id=edition_id),
        },
    )
