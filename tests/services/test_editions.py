"""Editions and conference packs: read, checked with French messages, loaded, exported, copied, set up, archived."""

from __future__ import annotations

import copy
from typing import Any

import pytest
import yaml
from sqlalchemy import func
from sqlalchemy.engine import Engine
from sqlmodel import select

from db.engine import session_scope
from models import Edition, Orientation, Stand, Theme
from services import auth, editions, packs, scope
from services.errors import PermissionDenied, ValidationError
from services.permissions import CONSOLE_ACTOR
from services.reference_data import PACKS_DIR, read_pack_file
from tests.editions import SECOND_PACK

SHIPPED = sorted(p for p in PACKS_DIR.glob("*.yaml") if p.name != "startup.yaml")


def raw(path: Any = SECOND_PACK) -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(path.read_text(encoding="utf-8"))
    return data


def problems_of(data: object) -> list[str]:
    with pytest.raises(packs.PackError) as caught:
        packs.parse_pack(data)
    return caught.value.problems


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.name)
def test_every_shipped_pack_is_valid_and_survives_a_round_trip_through_yaml(path: Any) -> None:
    pack = read_pack_file(path)
    again = packs.read_pack(packs.dump_pack(pack))
    assert again == pack
    assert packs.MIN_THEMES <= len(pack.themes) <= packs.MAX_THEMES


def test_the_two_shipped_packs_differ_in_region_themes_and_projects() -> None:
    first, second = (read_pack_file(p) for p in (PACKS_DIR / "pays-de-la-loire-2016.yaml", SECOND_PACK))
    assert first.edition["region_code"] != second.edition["region_code"]
    assert len(first.themes) != len(second.themes) and len(first.projects) != len(second.projects)
    # Overlapping codes on purpose: the store must keep editions apart by more than their codes.
    assert {s["code"] for s in first.stands} & {s["code"] for s in second.stands}
    assert {o["code"] for o in first.orientations} & {o["code"] for o in second.orientations}


def test_a_pack_with_problems_lists_each_of_them_in_french() -> None:
    data = raw()
    data["edition"]["region_code"] = "99"
    data["edition"]["slug"] = "Pas Un Slug"
    data["themes"][1]["color"] = "rouge"
    data["themes"].append(dict(data["themes"][0]))  # duplicate code
    data["orientations"][0]["theme"] = "inconnu"
    data["stands"][0]["project"] = "absent"
    problems = problems_of(data)
    text = "\n".join(problems)
    assert "code de Région « 99 » inconnu" in text
    assert "identifiant « pas un slug » invalide" in text
    assert "couleur « rouge » invalide" in text
    assert "en double" in text
    assert "thème « inconnu » absent du pack" in text
    assert "projet « absent » absent du pack" in text


@pytest.mark.parametrize("count", [1, 13])
def test_an_edition_has_from_two_to_twelve_themes(count: int) -> None:
    data = raw()
    theme = data["themes"][0]
    data["themes"] = [{**theme, "code": f"t{i}"} for i in range(count)]
    data["orientations"], data["stands"] = [], []
    data.pop("questionnaire")
    assert any("Il faut de 2 à 12 thèmes" in p for p in problems_of(data))


def test_a_project_outside_the_edition_s_region_is_refused() -> None:
    data = raw()
    data["projects"][0]["departement"] = "44"  # Loire-Atlantique: not in Centre-Val de Loire
    assert any("le département « 44 » n'est pas dans la Région de l'édition" in p for p in problems_of(data))


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b"edition: [unclosed", "n'est pas un YAML lisible"),
        (b"- a\n- b\n", "dictionnaire YAML est attendu"),
        (b"format: autre/2\n", "non pris en charge"),
        (b"a: &x [1]\nb: *x\n", "alias YAML"),
        (b"x" * (packs.MAX_PACK_BYTES + 1), "trop volumineux"),
    ],
)
def test_unreadable_files_are_refused_with_a_reason(content: bytes, expected: str) -> None:
    with pytest.raises(packs.PackError) as caught:
        packs.read_pack(content)
    assert expected in " ".join(caught.value.problems)


def count(engine: Engine, model: Any) -> int:
    with session_scope(engine) as session:
        return int(session.exec(select(func.count()).select_from(model)).one())


def test_import_export_and_reimport_of_a_pack_changes_nothing_the_second_time(store_engine: Engine) -> None:
    with session_scope(store_engine, write=True) as session:
        edition, summary = editions.import_pack(session=session, actor=CONSOLE_ACTOR, pack=read_pack_file(SECOND_PACK))
    assert "themes +4" in summary and edition.region_name == "Centre-Val de Loire"
    with session_scope(store_engine) as session:
        exported = editions.export_pack(session=session, edition_id=edition.id)
    assert exported == read_pack_file(SECOND_PACK)
    with session_scope(store_engine, write=True) as session:
        _, summary = editions.import_pack(session=session, actor=CONSOLE_ACTOR, pack=exported)
    assert summary == "données de référence : rien de nouveau."
    with session_scope(store_engine) as session:
        assert scope.default_edition_id(session=session) == 1  # importing does not move the default
        both = {e.slug: e for e in editions.list_editions(session=session)}
        assert set(both) == {"pays-de-la-loire-2016", "centre-val-de-loire-2022"}
        for code in ("S01", "S02"):
            stands = session.exec(select(Stand).where(Stand.code == code)).all()
            assert {s.edition_id for s in stands} == {1, edition.id}


def test_a_refused_pack_writes_nothing(store_engine: Engine) -> None:
    data = raw()
    data["stands"][0]["theme"] = "inconnu"
    before = count(store_engine, Theme), count(store_engine, Edition)
    with pytest.raises(packs.PackError):
        packs.parse_pack(data)
    assert (count(store_engine, Theme), count(store_engine, Edition)) == before


def test_copy_carries_the_setup_forward_as_a_draft_edition_to_edit(store_engine: Engine) -> None:
    settings = {"slug": "pays-de-la-loire-2018", "start_date": "2018-06-26", "city": "Nantes"}
    with session_scope(store_engine, write=True) as session:
        copied = editions.copy_edition(session=session, actor=CONSOLE_ACTOR, source_id=1, settings=settings)
    assert copied.status == "draft" and copied.city == "Nantes" and copied.region_code == "52"
    assert copied.dates_label == "26/06/2018" and not copied.is_default
    with session_scope(store_engine) as session:
        counts = editions.edition_counts(session=session, edition_id=copied.id)
        assert counts == editions.edition_counts(session=session, edition_id=1)
        orientations = session.exec(select(Orientation).where(Orientation.edition_id == copied.id)).all()
        assert {o.status for o in orientations} == {"proposed"} and {o.version for o in orientations} == {1}
    with session_scope(store_engine, write=True) as session, pytest.raises(ValidationError) as taken:
        editions.copy_edition(session=session, actor=CONSOLE_ACTOR, source_id=1, settings=settings)
    assert "déjà pris" in taken.value.message


def test_settings_are_checked_on_the_server_and_archiving_freezes_the_edition(store_engine: Engine) -> None:
    with session_scope(store_engine, write=True) as session, pytest.raises(ValidationError) as bad:
        editions.update_edition_settings(
            session=session,
            actor=CONSOLE_ACTOR,
            edition_id=1,
            values={"end_date": "2016-06-01", "retention_months": 0, "public_base_url": "ftp://x"},
        )
    text = bad.value.message
    assert "la date de fin précède la date de début" in text
    assert "de 1 à 120 mois" in text and "doit commencer par https://" in text
    with session_scope(store_engine, write=True) as session:
        archived = editions.update_edition_settings(
            session=session, actor=CONSOLE_ACTOR, edition_id=1, values={"status": "archived"}
        )
    assert archived.archived
    with session_scope(store_engine) as session:
        with pytest.raises(ValidationError) as frozen:
            scope.require_writable(session=session, edition_id=1)
        assert "archivée" in frozen.value.message
        with pytest.raises(ValidationError):
            scope.require_open(session=session, edition_id=1)


def test_only_an_admin_sets_up_editions(store_engine: Engine) -> None:
    with session_scope(store_engine, write=True) as session:
        auth.create_user(
            session=session, username="sami", password="un-mot-de-passe-solide", role="staff", actor=CONSOLE_ACTOR
        )
    with session_scope(store_engine, write=True) as session, pytest.raises(PermissionDenied):
        editions.set_default_edition(session=session, actor="sami", edition_id=1)


def test_the_default_edition_is_the_one_chosen_and_previous_is_the_same_region_s(store_engine: Engine) -> None:
    data = raw(PACKS_DIR / "pays-de-la-loire-2016.yaml")
    later = copy.deepcopy(data)
    later["edition"] |= {"slug": "pays-de-la-loire-2018", "start_date": "2018-06-26"}
    with session_scope(store_engine, write=True) as session:
        cvl, _ = editions.import_pack(session=session, actor=CONSOLE_ACTOR, pack=read_pack_file(SECOND_PACK))
        nxt, _ = editions.import_pack(session=session, actor=CONSOLE_ACTOR, pack=packs.parse_pack(later))
        editions.set_default_edition(session=session, actor=CONSOLE_ACTOR, edition_id=cvl.id)
    with session_scope(store_engine) as session:
        assert scope.default_edition_id(session=session) == cvl.id
        previous = editions.previous_edition(session=session, edition_id=nxt.id)
        assert previous is not None and previous.id == 1
        assert editions.previous_edition(session=session, edition_id=cvl.id) is None


def test_key_figures_and_support_schemes_are_replaced_as_tables_checked_like_a_pack(store_engine: Engine) -> None:
    with session_scope(store_engine) as session:
        figures = editions.list_edition_rows(session=session, edition_id=1, table="key_figures")
    assert [f["short_label"] for f in figures][:3] and len(figures) == 6
    kept, dropped = figures[1], figures[0]
    new = {"code": "emplois-2018", "label": "Emplois dans l'ESS", "value": "160000", "unit": "emplois", "year": 2018}
    with session_scope(store_engine, write=True) as session:
        n = editions.save_edition_rows(
            session=session, actor=CONSOLE_ACTOR, edition_id=1, table="key_figures", rows=[new, kept]
        )
    assert n == 2
    with session_scope(store_engine) as session:
        now = editions.list_edition_rows(session=session, edition_id=1, table="key_figures")
    assert [f["code"] for f in now] == ["emplois-2018", kept["code"]] and now[0]["value"] == 160000
    assert dropped["code"] not in {f["code"] for f in now}
    bad: list[dict[str, Any]] = [
        {"code": "x", "label": "", "value": "beaucoup"},
        {"code": "x", "label": "Double", "value": 1},
    ]
    with session_scope(store_engine, write=True) as session, pytest.raises(packs.PackError) as refused:
        editions.save_edition_rows(session=session, actor=CONSOLE_ACTOR, edition_id=1, table="key_figures", rows=bad)
    text = " ".join(refused.value.problems)
    assert "« label » manquant" in text and "n'est pas un nombre" in text and "en double" in text
    with session_scope(store_engine) as session:  # nothing written by the refused save
        assert len(editions.list_edition_rows(session=session, edition_id=1, table="key_figures")) == 2


def test_the_questionnaire_is_rewritten_in_the_app_until_it_has_answers(store_engine: Engine) -> None:
    from models import Question, Questionnaire, QuestionnaireResponse

    with session_scope(store_engine, write=True) as session:
        copy = editions.copy_edition(
            session=session,
            actor=CONSOLE_ACTOR,
            source_id=1,
            settings={"slug": "essai-2030", "start_date": "2030-05-14"},
        )
    with session_scope(store_engine) as session:
        text = editions.questionnaire_text(session=session, edition_id=copy.id)
    data = yaml.safe_load(text)
    data["sections"][0]["questions"].append({"code": "q_nouvelle", "text": "Une nouvelle question ?", "type": "yesno"})
    with session_scope(store_engine, write=True) as session:
        editions.replace_questionnaire(
            session=session, actor=CONSOLE_ACTOR, edition_id=copy.id, text=yaml.safe_dump(data)
        )
    with session_scope(store_engine) as session:
        (questionnaire,) = session.exec(select(Questionnaire).where(Questionnaire.edition_id == copy.id)).all()
        codes = set(session.exec(select(Question.code).where(Question.questionnaire_id == questionnaire.id)).all())
        assert "q_nouvelle" in codes
        first = session.exec(select(Questionnaire).where(Questionnaire.edition_id == 1)).one()
        assert "q_nouvelle" not in set(session.exec(select(Question.code).where(Question.questionnaire_id == first.id)))
    # Problems are listed in French and nothing changes.
    broken = dict(data, sections=[{"title": "Partie", "theme": "inconnu", "questions": [{"code": "a", "type": "x"}]}])
    with session_scope(store_engine, write=True) as session, pytest.raises(packs.PackError) as refused:
        editions.replace_questionnaire(
            session=session, actor=CONSOLE_ACTOR, edition_id=copy.id, text=yaml.safe_dump(broken)
        )
    assert "thème « inconnu » inconnu" in " ".join(refused.value.problems)
    # Once answered, it is frozen: a new identifier makes a new questionnaire and retires the old one from the form.
    assert questionnaire.id is not None
    with session_scope(store_engine, write=True) as session:
        session.add(QuestionnaireResponse(questionnaire_id=questionnaire.id, status="submitted"))
    with session_scope(store_engine, write=True) as session, pytest.raises(ValidationError) as frozen:
        editions.replace_questionnaire(
            session=session, actor=CONSOLE_ACTOR, edition_id=copy.id, text=yaml.safe_dump(data)
        )
    assert "ne se modifie plus" in frozen.value.message
    with session_scope(store_engine, write=True) as session:
        editions.replace_questionnaire(
            session=session,
            actor=CONSOLE_ACTOR,
            edition_id=copy.id,
            text=yaml.safe_dump(dict(data, slug="acteurs-bis")),
        )
    with session_scope(store_engine) as session:
        rows = {
            q.slug: q.active for q in session.exec(select(Questionnaire).where(Questionnaire.edition_id == copy.id))
        }
    assert rows == {questionnaire.slug: False, "acteurs-bis": True}
