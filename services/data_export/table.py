"""The contributions as export rows: French headers and labels, anonymised by default, every cell already safe.

Anonymised (the default): no name or organisation of people who chose to appear anonymously, staff-masked
text when there is one, and personal data found in any other text masked on the fly. The full internal
export is an explicit choice. Every text cell is XML-safe and formula-neutralised (services.exports).
An export is one edition's: its themes' contributions, with its orientations, stands and groups.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Select, func
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
from services.audit import audit
from services.editions import get_edition
from services.exports import csv_bytes, safe_cell
from services.formatting import format_datetime
from services.labels import (
    ACTOR_TYPE_LABELS,
    DISPLAY_MODE_LABELS,
    MODERATION_LABELS,
    REJECTION_CATEGORY_LABELS,
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
# « Catégorie du rejet »: what the author was told (services.labels); « Motif du rejet »: staff's note.
INTERNAL_COLUMNS = ("Texte tel que saisi", "Affichage choisi", "Catégorie du rejet", "Motif du rejet", "Saisi par")
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
    "rejection_category",
    "rejection_reason",
    "entered_by",
)


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


@dataclass(frozen=True)
class _Lookups:
    """What the rows name by id, each made safe once: theme, orientation and stand names, supports, tags, groups."""

    themes: dict[int | None, object]
    orientations: dict[int | None, object]
    stands: dict[int | None, object]
    supports: dict[int, int]
    tags: dict[int, list[str]]
    groups: dict[int, int]


def _lookups(session: Session, edition_id: int, scope: Sequence[int]) -> _Lookups:
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
    return _Lookups(themes, orientations, stands, supports, tags, groups)


@dataclass
class _Cells:
    """Labels repeat on every row: each is looked up and made safe once, as is the date, formatted once per
    minute; only what people typed goes through safe_cell row by row."""

    labels: dict[tuple[int, str | None], object] = field(default_factory=dict)
    minutes: dict[datetime, str] = field(default_factory=dict)

    def label(self, mapping: dict[str, str], value: str | None, default: str = "") -> object:
        key = (id(mapping), value)  # the mappings are module constants
        if key not in self.labels:
            self.labels[key] = safe_cell(label(mapping, value, default))
        return self.labels[key]

    def minute(self, created: datetime) -> str:
        minute = created.replace(second=0, microsecond=0)
        if minute not in self.minutes:
            self.minutes[minute] = format_datetime(minute if minute.tzinfo else minute.replace(tzinfo=UTC))
        return self.minutes[minute]


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
    known = _lookups(session, edition_id, scope)
    header = BASE_COLUMNS if anonymised else BASE_COLUMNS + INTERNAL_COLUMNS
    rows: list[tuple[object, ...]] = []
    theme_of: list[str] = []
    source_of: list[str] = []
    cells = _Cells()
    # Core rows (no ORM objects), fetched in chunks: 100 000 contributions load in about a second.
    result = session.connection().execution_options(yield_per=5000).execute(_rows_query(scope, include_rejected))
    for r in result:
        row = _row(tuple(r), known, cells, anonymised=anonymised)
        rows.append(row)
        theme_of.append(str(row[2]))  # the theme's label
        source_of.append(str(row[3]))  # the origin's label
    shown_edition = " · ".join(part for part in (edition.name, edition.place_and_date) if part)
    return ExportTable(header, rows, theme_of, source_of, anonymised, utcnow(), shown_edition)


def _rows_query(scope: Sequence[int], include_rejected: bool) -> Select[Any]:
    table = Contribution.__table__  # type: ignore[attr-defined]
    stmt = (
        core_select(*(table.c[name] for name in _COLUMNS))
        .where(table.c.theme_id.in_(scope))
        .order_by(table.c.created_at, table.c.id)
    )
    if not include_rejected:
        stmt = stmt.where(table.c.status != ModerationStatus.REJECTED.value)
    return stmt


def _row(r: tuple[Any, ...], known: _Lookups, cells: _Cells, *, anonymised: bool) -> tuple[object, ...]:
    """One contribution's cells, in the order of the header."""
    (cid, code, created, tid, source, stand_id, status, oid, stance, title, body, masked) = r[:12]
    (actor_type, departement, name, organisation, display_mode, category, reason, entered_by) = r[12:]
    shown = masked if masked is not None else body
    if anonymised:
        name, organisation = _public_author(display_mode, name, organisation)
        if masked is None:
            shown = mask_personal_data(body)
        title = mask_personal_data(title)
    row: tuple[object, ...] = (
        safe_cell(code),
        cells.minute(created),
        known.themes.get(tid, ""),
        cells.label(SOURCE_LABELS, source),
        known.stands.get(stand_id, "") if stand_id else "",
        cells.label(MODERATION_LABELS, status),
        known.orientations.get(oid, "") if oid else "",
        cells.label(STANCE_LABELS, stance),
        safe_cell(title),
        safe_cell(shown),
        int(known.supports.get(cid, 0)),
        safe_cell(", ".join(sorted(known.tags[cid]))) if cid in known.tags else "",
        f"G{known.groups[cid]}" if cid in known.groups else "",
        cells.label(ACTOR_TYPE_LABELS, actor_type),
        safe_cell(departement or ""),
        safe_cell(name),
        safe_cell(organisation),
    )
    if anonymised:
        return row
    internal = (
        safe_cell(body),
        cells.label(DISPLAY_MODE_LABELS, display_mode),
        cells.label(REJECTION_CATEGORY_LABELS, category),
        safe_cell(reason),
        safe_cell(entered_by),
    )
    return (*row, *internal)


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
    edition = resolve_edition_id(session=session, edition_id=edition_id)
    after = {"anonymised": anonymised, "include_rejected": include_rejected, "edition_id": edition}
    audit(session, actor, "export.download", kind, after=after)
