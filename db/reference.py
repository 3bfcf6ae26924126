"""Load the reference data shipped under assets/reference/, idempotently."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from sqlmodel import Session, SQLModel, select

from models import (
    Departement,
    KeyFigure,
    Orientation,
    OrientationVersion,
    Ptce,
    Stand,
    SupportScheme,
    Theme,
)

REFERENCE_DIR = Path(__file__).resolve().parent.parent / "assets" / "reference"


def read_reference_file(name: str, directory: Path = REFERENCE_DIR) -> list[dict[str, Any]]:
    """The list under the file's single top-level key (themes.yaml → `themes`)."""
    data = yaml.safe_load((directory / f"{name}.yaml").read_text(encoding="utf-8"))
    rows = data[name]
    if not isinstance(rows, list):
        raise ValueError(f"{name}.yaml: `{name}` must be a list")
    return rows


def _upsert(session: Session, model: type[SQLModel], key: str, values: dict[str, Any], *, overwrite: bool) -> bool:
    """Insert the row if its key is new; refresh it from the file when `overwrite`. True if inserted."""
    column = getattr(model, key)
    row = session.exec(select(model).where(column == values[key])).first()
    if row is None:
        session.add(model(**values))
        return True
    if overwrite:
        for name, value in values.items():
            setattr(row, name, value)
        session.add(row)
    return False


def load_reference_data(*, session: Session, directory: Path = REFERENCE_DIR) -> dict[str, int]:
    """Insert what is missing; refresh the fixed facts (themes, PTCE, figures...) from the files.

    Orientations and stands are only inserted: staff edit them in the app afterwards, and
    reloading the files must never undo their work.
    """
    inserted: dict[str, int] = {}

    def count(name: str, was_inserted: bool) -> None:
        inserted[name] = inserted.get(name, 0) + int(was_inserted)

    for position, row in enumerate(read_reference_file("themes", directory), start=1):
        values = {k: row[k] for k in ("id", "code", "label", "short_label", "color")}
        values |= {"description": row.get("description", ""), "position": position}
        count("themes", _upsert(session, Theme, "code", values, overwrite=True))
    for row in read_reference_file("departements", directory):
        values = {"code": str(row["code"]), "name": row["name"], "in_region": bool(row.get("in_region", True))}
        count("departements", _upsert(session, Departement, "code", values, overwrite=True))
    session.flush()

    themes = {t.code: t for t in session.exec(select(Theme)).all()}
    for row in read_reference_file("ptce", directory):
        values = {
            k: row.get(k) for k in ("code", "name", "carrier", "territory", "description", "support", "lat", "lon")
        }
        values["departement"] = str(row["departement"])
        values["description"] = values["description"] or ""
        values["support"] = values["support"] or ""
        count("ptce", _upsert(session, Ptce, "code", values, overwrite=True))
    for row in read_reference_file("support_schemes", directory):
        values = {k: row.get(k) or "" for k in ("code", "name", "provider", "description")}
        count("support_schemes", _upsert(session, SupportScheme, "code", values, overwrite=True))
    for row in read_reference_file("key_figures", directory):
        values = {k: row.get(k) for k in ("code", "label", "value", "unit", "year", "source")}
        values["unit"] = values["unit"] or ""
        values["source"] = values["source"] or ""
        count("key_figures", _upsert(session, KeyFigure, "code", values, overwrite=True))
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
        was_inserted = _upsert(session, Orientation, "code", values, overwrite=False)
        count("orientations", was_inserted)
        if was_inserted:
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

    ptce_ids = {p.code: p.id for p in session.exec(select(Ptce)).all()}
    for row in read_reference_file("stands", directory):
        values = {k: (row.get(k) or "") for k in ("code", "name", "experience", "carrier", "description", "question")}
        values["code"] = str(values["code"]).upper()
        values |= {
            "theme_id": themes[row["theme"]].id,
            "position": int(row.get("position") or 0),
            "ptce_id": ptce_ids[row["ptce"]] if row.get("ptce") else None,
        }
        count("stands", _upsert(session, Stand, "code", values, overwrite=False))
    session.flush()
    return inserted
