"""Loading a conference pack (make run, manage.py, « Recharger ») never undoes what staff changed, never touches
another edition, and takes a pack whole or not at all."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from sqlalchemy import delete, func
from sqlalchemy.engine import Engine
from sqlmodel import col, select

from db.engine import session_scope
from models import (
    Edition,
    KeyFigure,
    Orientation,
    OrientationVersion,
    Ptce,
    Question,
    Questionnaire,
    QuestionnaireSection,
    Stand,
    SupportScheme,
    Theme,
)
from services.bootstrap import reload_reference_data
from services.circuit import StandValues, move_stand, save_stand
from services.packs import PackError
from services.permissions import CONSOLE_ACTOR
from services.ptce import EDITABLE_FIELDS, update_ptce
from services.reference_data import PACKS_DIR, ReferenceLoadReport, load_pack, read_pack_file
from tests.editions import FIRST_EDITION_ID, SECOND_PACK

FIRST_PACK = PACKS_DIR / "pays-de-la-loire-2016.yaml"
STAFF_DESCRIPTION = "Description réécrite par l'équipe le matin de la conférence."
# Every table an edition owns, counted whole-store to prove a refused pack wrote nothing.
OWNED = (
    Edition,
    Theme,
    Orientation,
    OrientationVersion,
    Ptce,
    Stand,
    KeyFigure,
    SupportScheme,
    Questionnaire,
    Question,
)


def pack_copy(tmp_path: Path, change: Any = None, source: Path = FIRST_PACK) -> Path:
    """A copy of a shipped pack, its YAML content changed by `change(data)` first."""
    data = yaml.safe_load(source.read_text(encoding="utf-8"))
    if change is not None:
        change(data)
    path = tmp_path / source.name
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def load(engine: Engine, path: Path = FIRST_PACK) -> tuple[int, ReferenceLoadReport]:
    with session_scope(engine, write=True) as session:
        return load_pack(session=session, pack=read_pack_file(path))


def by_code(rows: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {r["code"]: r for r in rows}


def ptce(engine: Engine, code: str, edition_id: int = FIRST_EDITION_ID) -> Ptce:
    with session_scope(engine) as session:
        return session.exec(select(Ptce).where(Ptce.code == code, Ptce.edition_id == edition_id)).one()


def stand(engine: Engine, code: str, edition_id: int = FIRST_EDITION_ID) -> Stand | None:
    with session_scope(engine) as session:
        return session.exec(select(Stand).where(Stand.code == code, Stand.edition_id == edition_id)).first()


def counts(engine: Engine) -> dict[str, int]:
    with session_scope(engine) as session:
        return {m.__name__: int(session.exec(select(func.count()).select_from(m)).one()) for m in OWNED}


def snapshot(engine: Engine, edition_id: int) -> dict[str, list[tuple[Any, ...]]]:
    """An edition's reference data as rows of plain values (ids included: nothing may be recreated)."""
    with session_scope(engine) as session:

        def rows(model: Any, *columns: str) -> list[tuple[Any, ...]]:
            found = session.exec(select(model).where(model.edition_id == edition_id).order_by(model.id)).all()
            return [tuple(getattr(r, c) for c in ("id", *columns)) for r in found]

        return {
            "themes": rows(Theme, "code", "label", "short_label", "color", "position"),
            "orientations": rows(Orientation, "code", "theme_id", "title", "body", "position"),
            "projects": rows(Ptce, "code", "name", "carrier", "description", "lat", "lon"),
            "stands": rows(Stand, "code", "name", "theme_id", "ptce_id", "position", "question"),
            "figures": rows(KeyFigure, "code", "label", "value"),
            "schemes": rows(SupportScheme, "code", "name"),
            "questionnaires": rows(Questionnaire, "slug", "title"),
        }


def test_loading_the_same_pack_again_changes_nothing(store_engine: Engine) -> None:
    before = snapshot(store_engine, FIRST_EDITION_ID)
    edition_id, report = load(store_engine)
    assert edition_id == FIRST_EDITION_ID
    assert sum(report.inserted.values()) == 0 and sum(report.updated.values()) == 0 and report.kept == []
    assert snapshot(store_engine, FIRST_EDITION_ID) == before
    assert report.summary() == "données de référence : rien de nouveau."


def test_a_ptce_edited_in_the_app_keeps_its_edit_and_the_rest_follows_the_pack(
    store_engine: Engine, tmp_path: Path
) -> None:
    ancenis = ptce(store_engine, "ancenis")
    assert ancenis.id is not None
    # The PTCE page sends the whole form; only the description differs from what the store holds.
    form: dict[str, object] = {k: getattr(ancenis, k) for k in EDITABLE_FIELDS} | {"description": STAFF_DESCRIPTION}
    with session_scope(store_engine, write=True) as session:
        update_ptce(session=session, ptce_id=ancenis.id, values=form, actor="claire")

    # The same pack as shipped: the edit survives (make run and manage.py migrate do exactly this).
    _, same = load(store_engine)
    assert ptce(store_engine, "ancenis").description == STAFF_DESCRIPTION
    assert [(k.kind, k.code, k.fields) for k in same.kept] == [("PTCE", "ancenis", ("description",))]
    assert "PTCE ancenis : modifié dans l'application ; non repris du fichier : description." in same.summary()

    def change(data: dict[str, Any]) -> None:
        projects = by_code(data["projects"])
        projects["ancenis"]["description"] = "Nouvelle description du fichier."
        projects["ancenis"]["lat"] = 47.4  # a column staff never changed on this PTCE
        projects["agglo-nantaise"]["name"] = "PTCE de Nantes Métropole"  # a PTCE staff never touched
        data["projects"].append({**projects["ancenis"], "code": "nouveau", "name": "PTCE ajouté au fichier"})

    _, report = load(store_engine, pack_copy(tmp_path, change))
    after = ptce(store_engine, "ancenis")
    assert after.id == ancenis.id
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
        s03 = session.exec(select(Stand).where(Stand.code == "S03", Stand.edition_id == FIRST_EDITION_ID)).one()
        assert s03.id is not None
        move_stand(session=session, stand_id=s03.id, offset=-1, actor="claire")
    positions = {s.code: s.position for s in _stands(store_engine)}

    def change(data: dict[str, Any]) -> None:
        stands = by_code(data["stands"])
        stands["S01"]["name"] = "Le portail ESSOR, nouvelle version"
        stands["S01"]["question"] = "Question revue dans le fichier ?"  # a column staff never changed
        stands["S02"]["description"] = "Description revue dans le fichier."  # a stand staff never edited
        data["stands"].append({**stands["S02"], "code": "S99", "name": "Stand ajouté au fichier", "position": 99})

    _, report = load(store_engine, pack_copy(tmp_path, change))
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


def test_a_second_edition_with_the_same_codes_leaves_the_first_intact(store_engine: Engine) -> None:
    first = snapshot(store_engine, FIRST_EDITION_ID)
    second_id, report = load(store_engine, SECOND_PACK)
    assert second_id != FIRST_EDITION_ID and report.inserted["editions"] == 1
    second = snapshot(store_engine, second_id)
    assert snapshot(store_engine, FIRST_EDITION_ID) == first
    # The packs overlap on purpose: the same codes, each edition its own rows.
    for kind in ("themes", "orientations", "stands"):
        shared = {r[1] for r in first[kind]} & {r[1] for r in second[kind]}
        assert shared, kind
        assert not {r[0] for r in first[kind]} & {r[0] for r in second[kind]}, kind
    assert {"emploi", "S01", "T1-O1"} <= {r[1] for kind in ("themes", "stands", "orientations") for r in second[kind]}
    # Each edition's rows point at its own themes and projects only.
    own_themes = {r[0] for r in second["themes"]}
    own_projects = {r[0] for r in second["projects"]}
    assert {r[3] for r in second["stands"]} <= own_themes and {r[2] for r in second["orientations"]} <= own_themes
    assert {r[4] for r in second["stands"] if r[4] is not None} <= own_projects
    with session_scope(store_engine) as session:
        defaults = session.exec(select(Edition.id).where(Edition.is_default)).all()
    assert defaults == [FIRST_EDITION_ID]  # the first edition stays the one reached without naming one

    # Loading either pack again touches neither edition.
    for path, edition_id in ((FIRST_PACK, FIRST_EDITION_ID), (SECOND_PACK, second_id)):
        again_id, again = load(store_engine, path)
        assert again_id == edition_id
        assert sum(again.inserted.values()) == 0 and sum(again.updated.values()) == 0
    assert snapshot(store_engine, FIRST_EDITION_ID) == first and snapshot(store_engine, second_id) == second


def test_a_staff_edit_in_one_edition_is_not_reported_in_the_other(store_engine: Engine) -> None:
    second_id, _ = load(store_engine, SECOND_PACK)
    s01 = stand(store_engine, "S01")
    assert s01 is not None and s01.id is not None
    with session_scope(store_engine, write=True) as session:
        save_stand(
            session=session,
            values=StandValues(
                code="S01B",
                name=s01.name,
                theme=str(s01.theme_id),
                experience=s01.experience,
                carrier=s01.carrier,
                description=s01.description,
                question=s01.question,
                position=str(s01.position),
                ptce="",
                active=s01.active,
            ),
            actor="claire",
            stand_id=s01.id,
        )
    # S01 renamed in the first edition: the second edition's S01 is still reloaded, not reported as renamed.
    _, report = load(store_engine, SECOND_PACK)
    assert [k for k in report.kept if k.code == "S01"] == []
    assert stand(store_engine, "S01", second_id) is not None


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (
            lambda d: d["stands"].append({**d["stands"][0], "code": "S98", "theme": "inconnu"}),
            "Stand 16 (S98) : thème « inconnu » absent du pack.",
        ),
        (lambda d: d["themes"][0].update(color="bleu"), "Thème 1 : couleur « bleu » invalide (forme #1A2B3C)."),
        (
            lambda d: d["orientations"].append({**d["orientations"][0]}),
            "Orientation 18 : code « T1-O1 » en double.",
        ),
    ],
    ids=["stand-of-an-unknown-theme", "colour", "duplicate-code"],
)
def test_a_pack_with_a_problem_is_refused_whole_and_writes_nothing(
    store_engine: Engine, tmp_path: Path, change: Any, expected: str
) -> None:
    before = counts(store_engine)

    def broken(data: dict[str, Any]) -> None:
        data["edition"]["slug"] = "pays-de-la-loire-2026"  # a new edition: anything written would show
        data["edition"]["name"] = "Conférence régionale de l'ESS 2026"
        data["themes"].append({**data["themes"][0], "code": "nouveau-theme", "label": "Un thème de plus"})
        change(data)

    with pytest.raises(PackError) as refused:
        load(store_engine, pack_copy(tmp_path, broken))
    assert expected in refused.value.problems
    assert all(p[:1].isupper() for p in refused.value.problems)  # French sentences, one per problem
    assert counts(store_engine) == before


def test_every_problem_of_a_pack_is_listed_at_once(store_engine: Engine, tmp_path: Path) -> None:
    def broken(data: dict[str, Any]) -> None:
        data["themes"][1]["color"] = "rouge"
        data["stands"][0]["theme"] = "absent"
        data["projects"][0]["departement"] = "75"  # Paris: not in the Région of the edition

    before = counts(store_engine)
    with pytest.raises(PackError) as refused:
        load(store_engine, pack_copy(tmp_path, broken))
    problems = refused.value.problems
    assert "Thème 2 : couleur « rouge » invalide (forme #1A2B3C)." in problems
    assert "Stand 1 (S01) : thème « absent » absent du pack." in problems
    assert "Projet 1 (ancenis) : le département « 75 » n'est pas dans la Région de l'édition." in problems
    assert counts(store_engine) == before


def _stands(engine: Engine) -> list[Stand]:
    with session_scope(engine) as session:
        return list(session.exec(select(Stand).where(Stand.edition_id == FIRST_EDITION_ID)).all())


def test_the_admin_reload_brings_back_the_pack_questionnaire_as_manage_migrate_does(store_engine: Engine) -> None:
    """« Recharger » (the admin page) and `manage.py migrate` load a pack through the same entry point
    (services.bootstrap): the page's reload restores the pack's questionnaire too, not only the reference rows."""
    with session_scope(store_engine, write=True) as session:
        questionnaire = session.exec(select(Questionnaire).where(Questionnaire.edition_id == FIRST_EDITION_ID)).one()
        for model in (Question, QuestionnaireSection):
            session.execute(delete(model).where(col(model.questionnaire_id) == questionnaire.id))
        session.delete(questionnaire)
    with session_scope(store_engine, write=True) as session:
        report = reload_reference_data(session=session, actor=CONSOLE_ACTOR, edition_id=FIRST_EDITION_ID)
    assert report.inserted["questionnaires"] == 1
    with session_scope(store_engine) as session:
        assert session.exec(select(Questionnaire).where(Questionnaire.edition_id == FIRST_EDITION_ID)).one()
