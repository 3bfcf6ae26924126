"""Load conference packs (assets/editions/) and the national list of départements into the store, idempotently.

services.bootstrap is the entry point (the CLI, the app's start and the admin page's « Recharger »).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from sqlmodel import Session, select

from models import (
    AuditEvent,
    Departement,
    Edition,
    KeyFigure,
    Orientation,
    OrientationVersion,
    Ptce,
    Stand,
    SupportScheme,
    Theme,
)
from services import geo
from services.packs import Pack, read_pack
from services.questionnaires import load_questionnaire_definition

PACKS_DIR = Path(__file__).resolve().parent.parent / "assets" / "editions"
# Which shipped packs a fresh store starts with (`make run`): data, so that no Région is named in code.
STARTUP_FILE = PACKS_DIR / "startup.yaml"
# People from outside the edition's Région choose this instead of a département.
OUTSIDE_CODE, OUTSIDE_NAME = "HORS", "Hors région"


def startup_packs(directory: Path = PACKS_DIR) -> list[Path]:
    """The packs listed in startup.yaml, in order."""
    names = yaml.safe_load((directory / "startup.yaml").read_text(encoding="utf-8"))["load_at_startup"]
    return [directory / str(name) for name in names]


def shipped_pack_for(slug: str, directory: Path = PACKS_DIR) -> Path | None:
    """The shipped pack file of an edition, if the edition came from one."""
    for path in sorted(directory.glob("*.yaml")):
        if path.name == "startup.yaml":
            continue
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        if isinstance(data, dict) and isinstance(data.get("edition"), dict) and data["edition"].get("slug") == slug:
            return path
    return None


# Columns whose differences a reload reports, in French.
FIELD_LABELS = {
    "name": "nom",
    "carrier": "porteur",
    "territory": "territoire",
    "departement": "département",
    "description": "description",
    "support": "soutien reçu",
    "lat": "latitude",
    "lon": "longitude",
    "experience": "expérience",
    "question": "question",
    "theme_id": "thème",
    "position": "ordre",
    "ptce_id": "PTCE",
    "title": "intitulé",
    "body": "texte",
    "code": "code",
}


@dataclass(frozen=True)
class KeptEdit:
    """A row the reload did not bring back to its file: what the app holds is kept."""

    kind: str  # "PTCE", "stand", "orientation"
    code: str
    fields: tuple[str, ...]  # columns whose file value differs and was not applied
    reason: str  # French, why it was kept

    def message(self) -> str:
        shown = ", ".join(FIELD_LABELS.get(f, f) for f in self.fields)
        return f"{self.kind} {self.code} : {self.reason} ; non repris du fichier : {shown}."


@dataclass
class ReferenceLoadReport:
    """What a reference load did: rows inserted, rows refreshed from the files, staff edits kept."""

    inserted: dict[str, int] = field(default_factory=dict)
    updated: dict[str, int] = field(default_factory=dict)
    kept: list[KeptEdit] = field(default_factory=list)

    def summary(self) -> str:
        """One French line of counts, then one line per staff edit kept."""
        added = ", ".join(f"{k} +{v}" for k, v in self.inserted.items() if v) or "rien de nouveau"
        changed = ", ".join(f"{k} {v}" for k, v in self.updated.items() if v)
        lines = [
            f"données de référence : {added}"
            + (f" ; mises à jour depuis les fichiers : {changed}" if changed else "")
            + "."
        ]
        if self.kept:
            lines.append(
                f"{len(self.kept)} élément(s) modifié(s) dans l'application gardé(s) tel(s) quel(s) "
                "(le fichier diffère) :"
            )
            lines += [f"  - {k.message()}" for k in self.kept]
        return "\n".join(lines)


# Marks every column of a row as the app's (a row staff created, or an event that kept no detail).
ALL = frozenset({"*"})
STAFF_EDITED = "modifié dans l'application"


def _changed_keys(before: Any, after: Any) -> frozenset[str]:
    if not isinstance(before, dict) or not isinstance(after, dict):
        return ALL
    return frozenset(k for k in before.keys() | after.keys() if before.get(k) != after.get(k))


def _staff_changes(session: Session, entity_type: str) -> list[AuditEvent]:
    return list(session.exec(select(AuditEvent).where(AuditEvent.entity_type == entity_type)).all())


def ptce_staff_fields(session: Session) -> dict[int, frozenset[str]]:
    """PTCE id → the columns staff changed through update_ptce (from its audit events)."""
    fields: dict[int, frozenset[str]] = {}
    for event in _staff_changes(session, "ptce"):
        if event.entity_id.isdigit():
            key = int(event.entity_id)
            fields[key] = fields.get(key, frozenset()) | _changed_keys(event.before, event.after)
    return fields


def stand_staff_fields(
    session: Session, stand_ids: set[int] | None = None
) -> tuple[dict[int, frozenset[str]], frozenset[str], set[str]]:
    """Stand id → columns staff changed; columns staff changed on every stand; codes staff renamed away.

    save_stand (form and CSV import) logs the whole row before and after, keyed by the stand's id inside;
    move_stand renumbers every stand but logs one event, so any move makes the order the app's for all.
    """
    fields: dict[int, frozenset[str]] = {}
    everywhere: frozenset[str] = frozenset()
    renamed: set[str] = set()
    for event in _staff_changes(session, "stand"):
        if event.action == "stand.move":
            everywhere |= {"position"}
            continue
        after = event.after if isinstance(event.after, dict) else {}
        if not isinstance(after.get("id"), int):
            continue  # stand.import: a count of rows, each already logged by save_stand
        changed = ALL if event.before is None else _changed_keys(event.before, after)
        fields[after["id"]] = fields.get(after["id"], frozenset()) | changed
        in_scope = stand_ids is None or after["id"] in stand_ids
        if in_scope and isinstance(event.before, dict) and event.before.get("code") != after.get("code"):
            renamed.add(str(event.before.get("code")))
    return fields, everywhere, renamed


def _upsert(
    session: Session,
    model: Any,
    key: str,
    values: dict[str, Any],
    *,
    kept: frozenset[str] = frozenset(),
) -> tuple[bool, bool, tuple[str, ...]]:
    """Insert the row if its key is new (within its edition, when the table has one), else bring it to the file
    except the columns in `kept`. Returns (inserted, updated, the columns whose file value differs, not applied).
    """
    stmt = select(model).where(getattr(model, key) == values[key])
    if "edition_id" in values:
        stmt = stmt.where(model.edition_id == values["edition_id"])
    row = session.exec(stmt).first()
    if row is None:
        session.add(model(**values))
        return True, False, ()
    updated = False
    skipped: list[str] = []
    for name, value in values.items():
        if getattr(row, name) == value:
            continue
        if "*" in kept or name in kept:
            skipped.append(name)
            continue
        setattr(row, name, value)
        updated = True
    if updated:
        session.add(row)
    return False, updated, tuple(skipped)


def load_departements(session: Session) -> int:
    """Every French département from the national list (and « hors région »); returns how many were added."""
    added = 0
    rows: list[tuple[str, str, str | None]] = [(d.code, d.name, r.code) for r in geo.regions() for d in r.departements]
    rows.append((OUTSIDE_CODE, OUTSIDE_NAME, None))
    for code, name, region_code in rows:
        added += int(_upsert(session, Departement, "code", {"code": code, "name": name, "region_code": region_code})[0])
    session.flush()
    return added


def load_pack(session: Session, *, pack: Pack) -> tuple[int, ReferenceLoadReport]:
    """Create the pack's edition or bring it up to the pack; (edition id, report). Staff edits are kept.

    Staff change projects (update_ptce) and stands (save_stand, the CSV import, move_stand) in the app; a
    reload must never undo that. What staff changed is read from the audit trail those services write in
    the same transaction as the change (before/after per column), because the store records nothing
    else about who last wrote a row: a column staff changed keeps the app's value, every other column
    follows the file, and each difference not applied is in the report. A stand staff renamed is not
    created again under its old code. Orientations are only inserted (their text lives on in versions
    edited in the app); a file difference is reported. An existing edition keeps the settings it has in the
    app. Every row is looked up within the pack's edition only: two editions may share codes.
    """
    report = ReferenceLoadReport()
    report.inserted["departements"] = load_departements(session=session)
    loader = _PackLoader(session, _edition_row(session, pack, report), report)
    themes = loader.themes(pack.themes)
    loader.projects(pack.projects)
    loader.support_schemes_and_figures(pack.support_schemes, pack.key_figures)
    loader.orientations(pack.orientations, themes)
    loader.stands(pack.stands, themes)
    if pack.questionnaire is not None:
        created = load_questionnaire_definition(session=session, edition_id=loader.edition_id, data=pack.questionnaire)
        report.inserted["questionnaires"] = int(created[1])
    return loader.edition_id, report


def _edition_row(session: Session, pack: Pack, report: ReferenceLoadReport) -> Edition:
    """The pack's edition (by its identifier); created when new (the default one if it is the first), an existing
    one keeping the settings it has in the app."""
    edition = session.exec(select(Edition).where(Edition.slug == pack.edition["slug"])).first()
    if edition is None:
        edition = Edition(**pack.edition, is_default=session.exec(select(Edition)).first() is None)
        session.add(edition)
        session.flush()
        report.inserted["editions"] = 1
    return edition


# The columns of a stand a pack gives as they are (its theme and project are given by code).
STAND_COLUMNS = ("code", "name", "experience", "carrier", "description", "question", "position")
Upserted = tuple[bool, bool, tuple[str, ...]]  # (inserted, updated, columns whose file value was not applied)


class _PackLoader:
    """One pack's sections into one edition, in order (themes, projects, schemes and figures, orientations, stands),
    counting in the report what each inserted and updated."""

    def __init__(self, session: Session, edition: Edition, report: ReferenceLoadReport) -> None:
        assert edition.id is not None
        self.session, self.edition, self.edition_id, self.report = session, edition, edition.id, report

    def count(self, name: str, result: Upserted) -> None:
        self.report.inserted[name] = self.report.inserted.get(name, 0) + int(result[0])
        self.report.updated[name] = self.report.updated.get(name, 0) + int(result[1])

    def codes(self, model: Any) -> dict[str, int | None]:
        """Code → id of the edition's rows of one table."""
        return {r.code: r.id for r in self.session.exec(select(model).where(model.edition_id == self.edition_id)).all()}

    def themes(self, rows: list[dict[str, Any]]) -> dict[str, Theme]:
        for position, row in enumerate(rows, start=1):
            values = {**row, "edition_id": self.edition_id, "position": position}
            self.count("themes", _upsert(self.session, Theme, "code", values))
        self.session.flush()
        return {t.code: t for t in self.session.exec(select(Theme).where(Theme.edition_id == self.edition_id)).all()}

    def projects(self, rows: list[dict[str, Any]]) -> None:
        ptce_ids = self.codes(Ptce)
        ptce_edits = ptce_staff_fields(self.session)
        for row in rows:
            values = {**row, "edition_id": self.edition_id}
            existing = ptce_ids.get(values["code"])
            kept = ptce_edits.get(existing, frozenset()) if existing else frozenset()
            result = _upsert(self.session, Ptce, "code", values, kept=kept)
            self.count("ptce", result)
            if result[2]:
                label = self.edition.projects_label or "projet"
                self.report.kept.append(KeptEdit(label, values["code"], result[2], STAFF_EDITED))

    def support_schemes_and_figures(self, schemes: list[dict[str, Any]], figures: list[dict[str, Any]]) -> None:
        for row in schemes:
            self.count(
                "support_schemes", _upsert(self.session, SupportScheme, "code", {**row, "edition_id": self.edition_id})
            )
        for position, row in enumerate(figures, start=1):
            values = {**row, "edition_id": self.edition_id, "position": position}
            self.count("key_figures", _upsert(self.session, KeyFigure, "code", values))
        self.session.flush()

    def orientations(self, rows: list[dict[str, Any]], themes: dict[str, Theme]) -> None:
        """Orientations are only inserted, each with its first version: their text lives on in the app."""
        per_theme: dict[str, int] = {}
        for row in rows:
            per_theme[row["theme"]] = per_theme.get(row["theme"], 0) + 1
            values = {
                "edition_id": self.edition_id,
                "code": row["code"],
                "theme_id": themes[row["theme"]].id,
                "title": row["title"],
                "body": row["body"],
                "position": per_theme[row["theme"]],
            }
            result = _upsert(self.session, Orientation, "code", values, kept=ALL)
            self.count("orientations", result)
            if result[2]:
                reason = "texte suivi par ses versions dans l'application"
                self.report.kept.append(KeptEdit("orientation", values["code"], result[2], reason))
            if result[0]:
                self._first_version(row["code"])
        self.session.flush()

    def _first_version(self, code: str) -> None:
        self.session.flush()
        orientation = self.session.exec(
            select(Orientation).where(Orientation.edition_id == self.edition_id, Orientation.code == code)
        ).one()
        assert orientation.id is not None
        self.session.add(
            OrientationVersion(
                orientation_id=orientation.id,
                version=1,
                title=orientation.title,
                body=orientation.body,
                status=orientation.status,
                edited_by="reference",
                note="Orientation proposée en plénière",
            )
        )

    def stands(self, rows: list[dict[str, Any]], themes: dict[str, Theme]) -> None:
        """A stand staff renamed is not created again under its old code; staff's columns are kept."""
        ptce_ids = self.codes(Ptce)
        stand_ids = self.codes(Stand)
        stand_edits, every_stand, renamed = stand_staff_fields(
            self.session, {i for i in stand_ids.values() if i is not None}
        )
        for row in rows:
            values = {
                k: row[k] for k in ("code", "name", "experience", "carrier", "description", "question", "position")
            }
            values |= {
                "edition_id": self.edition_id,
                "theme_id": themes[row["theme"]].id,
                "ptce_id": ptce_ids[row["project"]] if row.get("project") else None,
            }
            existing = stand_ids.get(values["code"])
            if existing is None and values["code"] in renamed:
                self.report.kept.append(KeptEdit("stand", values["code"], ("code",), "renommé dans l'application"))
                continue
            kept = every_stand | stand_edits.get(existing, frozenset()) if existing else frozenset()
            result = _upsert(self.session, Stand, "code", values, kept=kept)
            self.count("stands", result)
            if result[2]:
                self.report.kept.append(KeptEdit("stand", values["code"], result[2], STAFF_EDITED))
        self.session.flush()


def read_pack_file(path: Path) -> Pack:
    """A pack from a file on disk, checked (French problems in PackError)."""
    return read_pack(path.read_bytes())


def load_reference_data(session: Session, *, directory: Path = PACKS_DIR) -> ReferenceLoadReport:
    """The national départements and every startup pack (startup.yaml): what `make run` starts with."""
    total = ReferenceLoadReport()
    for path in startup_packs(directory):
        _, report = load_pack(session=session, pack=read_pack_file(path))
        for name, n in report.inserted.items():
            total.inserted[name] = total.inserted.get(name, 0) + n
        for name, n in report.updated.items():
            total.updated[name] = total.updated.get(name, 0) + n
        total.kept += report.kept
    return total
