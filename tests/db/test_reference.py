"""Reloading the reference files (make run, manage.py migrate, « Recharger ») never undoes what staff changed."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy.engine import Engine
from sqlmodel import select

from db.engine import session_scope
from db.reference import REFERENCE_DIR, ReferenceLoadReport, load_reference_data
from models import Ptce, Stand
from services.circuit import StandValues, move_stand, save_stand
from services.ptce import EDITABLE_FIELDS, update_ptce

STAFF_DESCRIPTION = "Description réécrite par l'équipe le matin de la conférence."


def edited_files(tmp_path: Path, name: str, change: Any) -> Path:
    """A copy of the shipped reference files with `name`.yaml changed by `change(rows)`."""
    directory = tmp_path / "reference"
    shutil.copytree(REFERENCE_DIR, directory)
    path = directory / f"{name}.yaml"
    rows = yaml.safe_load(path.read_text(encoding="utf-8"))[name]
    change(rows)
    path.write_text(yaml.safe_dump({name: rows}, allow_unicode=True), encoding="utf-8")
    return directory


def reload(engine: Engine, directory: Path = REFERENCE_DIR) -> ReferenceLoadReport:
    with session_scope(engine, write=True) as session:
        return load_reference_data(session=session, directory=directory)


def ptce(engine: Engine, code: str) -> Ptce:
    with session_scope(engine) as session:
        return session.exec(select(Ptce).where(Ptce.code == code)).one()


def stand(engine: Engine, code: str) -> Stand | None:
    with session_scope(engine) as session:
        return session.exec(select(Stand).where(Stand.code == code)).first()


def test_a_ptce_edited_in_the_app_keeps_its_edit_and_the_rest_follows_the_files(
    store_engine: Engine, tmp_path: Path
) -> None:
    ancenis = ptce(store_engine, "ancenis")
    assert ancenis.id is not None
    # The PTCE page sends the whole form; only the description differs from what the store holds.
    form: dict[str, object] = {k: getattr(ancenis, k) for k in EDITABLE_FIELDS} | {"description": STAFF_DESCRIPTION}
    with session_scope(store_engine, write=True) as session:
        update_ptce(session=session, ptce_id=ancenis.id, values=form, actor="claire")

    # The same files as shipped: the edit survives (make run and manage.py migrate do exactly this).
    same = reload(store_engine)
    assert ptce(store_engine, "ancenis").description == STAFF_DESCRIPTION
    assert [(k.kind, k.code, k.fields) for k in same.kept] == [("PTCE", "ancenis", ("description",))]
    assert "PTCE ancenis : modifié dans l'application ; non repris du fichier : description." in same.summary()

    def change(rows: list[dict[str, Any]]) -> None:
        by_code = {r["code"]: r for r in rows}
        by_code["ancenis"]["description"] = "Nouvelle description du fichier."
        by_code["ancenis"]["lat"] = 47.4  # a column staff never changed on this PTCE
        by_code["agglo-nantaise"]["name"] = "PTCE de Nantes Métropole"  # a PTCE staff never touched
        rows.append({**by_code["ancenis"], "code": "nouveau", "name": "PTCE ajouté au fichier"})

    report = reload(store_engine, edited_files(tmp_path, "ptce", change))
    after = ptce(store_engine, "ancenis")
    assert after.description == STAFF_DESCRIPTION
    assert after.lat == 47.4
    assert ptce(store_engine, "agglo-nantaise").name == "PTCE de Nantes Métropole"
    assert ptce(store_engine, "nouveau").name == "PTCE ajouté au fichier"
    assert report.inserted["ptce"] == 1 and report.updated["ptce"] == 2
    assert [(k.kind, k.code, k.fields) for k in report.kept] == [("PTCE", "ancenis", ("description",))]


def test_stands_edited_moved_or_renamed_in_the_app_are_kept(store_engine: Engine, tmp_path: Path) -> None:
    def form(row: Stand, **changes: str) -> StandValues:
        values = StandValues(
            code=row.code,
            name=row.name,
            theme=str(row.theme_id),
            experience=row.experience,
            carrier=row.carrier,
            description=row.description,
            question=row.question,
            position=str(row.position),
            ptce="",
            active=row.active,
        )
        return StandValues(**(values.__dict__ | changes))

    s01, s04 = stand(store_engine, "S01"), stand(store_engine, "S04")
    assert s01 is not None and s01.id is not None and s04 is not None and s04.id is not None
    with session_scope(store_engine, write=True) as session:
        save_stand(session=session, values=form(s01, name="Portail ESSOR (stand 1)"), actor="claire", stand_id=s01.id)
        save_stand(session=session, values=form(s04, code="S04B"), actor="claire", stand_id=s04.id)
        s03 = session.exec(select(Stand).where(Stand.code == "S03")).one()
        assert s03.id is not None
        move_stand(session=session, stand_id=s03.id, offset=-1, actor="claire")
    positions = {s.code: s.position for s in _stands(store_engine)}

    def change(rows: list[dict[str, Any]]) -> None:
        by_code = {r["code"]: r for r in rows}
        by_code["S01"]["name"] = "Le portail ESSOR, nouvelle version"
        by_code["S01"]["question"] = "Question revue dans le fichier ?"  # a column staff never changed
        by_code["S02"]["description"] = "Description revue dans le fichier."  # a stand staff never edited
        rows.append({**by_code["S02"], "code": "S99", "name": "Stand ajouté au fichier", "position": 99})

    report = reload(store_engine, edited_files(tmp_path, "stands", change))
    s01_after, s02_after = stand(store_engine, "S01"), stand(store_engine, "S02")
    assert s01_after is not None and s02_after is not None
    assert s01_after.name == "Portail ESSOR (stand 1)"
    assert s01_after.question == "Question revue dans le fichier ?"
    assert s02_after.description == "Description revue dans le fichier."
    # The renamed stand is not created again under its old code, and the order staff set stays.
    assert stand(store_engine, "S04") is None and stand(store_engine, "S04B") is not None
    assert {s.code: s.position for s in _stands(store_engine) if s.code != "S99"} == positions
    new = stand(store_engine, "S99")
    assert new is not None and new.name == "Stand ajouté au fichier"
    kept = {(k.code, k.fields) for k in report.kept if k.kind == "stand"}
    assert ("S01", ("name",)) in kept and ("S04", ("code",)) in kept
    assert any(code == "S03" and "position" in fields for code, fields in kept)
    assert "stand S04 : renommé dans l'application ; non repris du fichier : code." in report.summary()


def _stands(engine: Engine) -> list[Stand]:
    with session_scope(engine) as session:
        return list(session.exec(select(Stand)).all())
