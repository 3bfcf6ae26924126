"""Load the reference data shipped under assets/reference/, idempotently."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from sqlmodel import Session, SQLModel, select

from models import (
    AuditEvent,
    Departement,
    KeyFigure,
    Orientation,
    OrientationVersion,
    Ptce,
    Stand,
    SupportScheme,
    Theme,
)
from services.audit import record_audit_event
from services.permissions import Permission, require_permission

REFERENCE_DIR = Path(__file__).resolve().parent.parent / "assets" / "reference"


def read_reference_file(name: str, directory: Path = REFERENCE_DIR) -> list[dict[str, Any]]:
    """The list under the file's single top-level key (themes.yaml → `themes`)."""
    data = yaml.safe_load((directory / f"{name}.yaml").read_text(encoding="utf-8"))
    rows = data[name]
    if not isinstance(rows, list):
        raise ValueError(f"{name}.yaml: `{name}` must be a list")
    return rows


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


def stand_staff_fields(session: Session) -> tuple[dict[int, frozenset[str]], frozenset[str], set[str]]:
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
        if isinstance(event.before, dict) and event.before.get("code") != after.get("code"):
            renamed.add(str(event.before.get("code")))
    return fields, everywhere, renamed


def _upsert(
    session: Session, model: type[SQLModel], key: str, values: dict[str, Any], *, kept: frozenset[str] = frozenset()
) -> tuple[bool, bool, tuple[str, ...]]:
    """Insert the row if its key is new, else bring it to the file except the columns in `kept`.

    Returns (inserted, updated, the columns whose file value differs and was not applied).
    """
    column = getattr(model, key)
    row = session.exec(select(model).where(column == values[key])).first()
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


def load_reference_data(*, session: Session, directory: Path = REFERENCE_DIR) -> ReferenceLoadReport:
    """Insert what is missing and refresh from the files what staff never changed; report what was kept.

    Staff change PTCE (update_ptce) and stands (save_stand, the CSV import, move_stand) in the app; a
    reload must never undo that. What staff changed is read from the audit trail those services write in
    the same transaction as the change (before/after per column), because the store records nothing
    else about who last wrote a row: a column staff changed
    keeps the app's value, every other column follows the file, and each difference not applied is in
    the report. A stand staff renamed is not created again under its old code. Orientations are only
    inserted (their text lives on in versions edited in the app); a file difference is reported.
    Themes, départements, support schemes and key figures cannot be edited in the app: the files rule.
    """
    report = ReferenceLoadReport()

    def count(name: str, result: tuple[bool, bool, tuple[str, ...]]) -> None:
        report.inserted[name] = report.inserted.get(name, 0) + int(result[0])
        report.updated[name] = report.updated.get(name, 0) + int(result[1])

    for position, row in enumerate(read_reference_file("themes", directory), start=1):
        values = {k: row[k] for k in ("id", "code", "label", "short_label", "color")}
        values |= {"description": row.get("description", ""), "position": position}
        count("themes", _upsert(session, Theme, "code", values))
    for row in read_reference_file("departements", directory):
        values = {"code": str(row["code"]), "name": row["name"], "in_region": bool(row.get("in_region", True))}
        count("departements", _upsert(session, Departement, "code", values))
    session.flush()

    themes = {t.code: t for t in session.exec(select(Theme)).all()}
    ptce_ids = {p.code: p.id for p in session.exec(select(Ptce)).all()}
    ptce_edits = ptce_staff_fields(session)
    for row in read_reference_file("ptce", directory):
        values = {
            k: row.get(k) for k in ("code", "name", "carrier", "territory", "description", "support", "lat", "lon")
        }
        values["departement"] = str(row["departement"])
        values["description"] = values["description"] or ""
        values["support"] = values["support"] or ""
        existing = ptce_ids.get(values["code"])
        result = _upsert(
            session, Ptce, "code", values, kept=ptce_edits.get(existing, frozenset()) if existing else frozenset()
        )
        count("ptce", result)
        if result[2]:
            report.kept.append(KeptEdit("PTCE", values["code"], result[2], STAFF_EDITED))
    for row in read_reference_file("support_schemes", directory):
        values = {k: row.get(k) or "" for k in ("code", "name", "provider", "description")}
        count("support_schemes", _upsert(session, SupportScheme, "code", values))
    for row in read_reference_file("key_figures", directory):
        values = {k: row.get(k) for k in ("code", "label", "value", "unit", "year", "source")}
        values["unit"] = values["unit"] or ""
        values["source"] = values["source"] or ""
        count("key_figures", _upsert(session, KeyFigure, "code", values))
    session.flush()

    per_theme: dict[str, int] = {}
    for row in read_reference_file("orientations", directory):
        theme = themes[row["theme"]]
        per_theme[row["theme"]] = per_theme.get(row["theme"], 0) + 1
        values = {
            "code": row["code"],
            "theme_id": theme.id,
            "title": row["title"].strip(),
            "body": (row.get("body") or "").strip(),
            "position": per_theme[row["theme"]],
        }
        result = _upsert(session, Orientation, "code", values, kept=ALL)
        count("orientations", result)
        if result[2]:
            report.kept.append(
                KeptEdit("orientation", values["code"], result[2], "texte suivi par ses versions dans l'application")
            )
        if result[0]:
            session.flush()
            orientation = session.exec(select(Orientation).where(Orientation.code == row["code"])).one()
            assert orientation.id is not None
            session.add(
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

    session.flush()
    ptce_ids = {p.code: p.id for p in session.exec(select(Ptce)).all()}
    stand_ids = {s.code: s.id for s in session.exec(select(Stand)).all()}
    stand_edits, every_stand, renamed = stand_staff_fields(session)
    for row in read_reference_file("stands", directory):
        values = {k: (row.get(k) or "") for k in ("code", "name", "experience", "carrier", "description", "question")}
        values["code"] = str(values["code"]).upper()
        values |= {
            "theme_id": themes[row["theme"]].id,
            "position": int(row.get("position") or 0),
            "ptce_id": ptce_ids[row["ptce"]] if row.get("ptce") else None,
        }
        existing = stand_ids.get(values["code"])
        if existing is None and values["code"] in renamed:
            report.kept.append(KeptEdit("stand", values["code"], ("code",), "renommé dans l'application"))
            continue
        kept = every_stand | stand_edits.get(existing, frozenset()) if existing else frozenset()
        result = _upsert(session, Stand, "code", values, kept=kept)
        count("stands", result)
        if result[2]:
            report.kept.append(KeptEdit("stand", values["code"], result[2], STAFF_EDITED))
    session.flush()
    return report


def reload_reference_data(*, session: Session, actor: str, directory: Path = REFERENCE_DIR) -> ReferenceLoadReport:
    """« Recharger » from the app: only an account allowed to edit reference data, and the trail says who did."""
    require_permission(session=session, actor=actor, permission=Permission.REFERENCE)
    report = load_reference_data(session=session, directory=directory)
    record_audit_event(
        session=session,
        actor=actor,
        action="reference.reload",
        entity_type="reference",
        after={
            "inserted": sum(report.inserted.values()),
            "updated": sum(report.updated.values()),
            "kept": len(report.kept),
        },
    )
    return report
