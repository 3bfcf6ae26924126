"""« Recharger les données de référence »: staff edits stay, and the page lists them."""

from __future__ import annotations

from sqlmodel import select

from tests.app_pages.helpers import app_as, texts

STAFF_DESCRIPTION = "Description réécrite par l'équipe <b>le matin</b>."


def test_reload_keeps_a_ptce_edited_in_the_app_and_says_so(app_env: str) -> None:
    from db.engine import session_scope
    from models import Ptce
    from services.ptce import update_ptce

    with session_scope(write=True) as session:
        ancenis = session.exec(select(Ptce).where(Ptce.code == "ancenis")).one()
        assert ancenis.id is not None
        update_ptce(session=session, ptce_id=ancenis.id, values={"description": STAFF_DESCRIPTION}, actor="claire")
    at = app_as("admin").run()
    at.switch_page("app_pages/admin_reference.py").run()
    at.button(key="reference_reload").click().run()
    assert not at.exception
    shown = texts(at)
    assert "0 élément(s) ajouté(s), 0 mis à jour depuis les fichiers" in shown
    assert "1 élément(s) modifié(s) dans l'application gardé(s) tels quels" in shown
    kept = at.dataframe[-1].value  # the last table: the edits kept
    assert kept.to_dict("records") == [
        {
            "Type": "PTCE",
            "Code": "ancenis",
            "Non repris du fichier": "description",
            "Pourquoi": "modifié dans l'application",
        }
    ]
    with session_scope() as session:
        assert session.exec(select(Ptce.description).where(Ptce.code == "ancenis")).one() == STAFF_DESCRIPTION


def test_the_page_and_its_reload_are_the_chosen_editions(app_env: str) -> None:
    from db.engine import session_scope
    from models import Ptce
    from services.editions import copy_edition
    from services.permissions import CONSOLE_ACTOR
    from services.ptce import update_ptce
    from tests.editions import load_second_edition
    from ui import edition

    with session_scope(write=True) as session:
        load_second_edition(session)
        ancenis = session.exec(select(Ptce).where(Ptce.code == "ancenis")).one()  # a 2016 project
        assert ancenis.id is not None
        update_ptce(session=session, ptce_id=ancenis.id, values={"description": STAFF_DESCRIPTION}, actor="claire")
    at = app_as("admin")
    at.session_state["edition_slug"] = "centre-val-de-loire-2022"
    at.run()
    at.switch_page("app_pages/admin_reference.py").run()
    assert not at.exception
    metrics = {str(m.label): str(m.value) for m in at.metric}
    assert metrics["Thèmes"] == "4" and metrics["Projets présentés"] == "7" and "PTCE" not in metrics
    assert "Emploi et inclusion" in at.dataframe[0].value["Libellé court"].tolist()
    assert "Relations avec les institutions" not in at.dataframe[0].value["Libellé court"].tolist()
    at.button(key="reference_reload").click().run()
    assert not at.exception
    shown = texts(at)
    # Its own pack, already loaded: nothing to add; the 2016 project staff edited is not this edition's business.
    assert "0 élément(s) ajouté(s), 0 mis à jour depuis les fichiers" in shown
    assert "gardé(s) tels quels" not in shown

    # An edition made in the app has no shipped pack: the page says so, nothing is written.
    with session_scope(write=True) as session:
        copy_edition(
            session=session,
            actor=CONSOLE_ACTOR,
            source_id=1,
            settings={"slug": "pays-de-la-loire-2018", "name": "Conférence 2018", "start_date": "2018-06-28"},
        )
    edition.clear_cache()  # what the editions page does after a copy
    at.run()
    at.selectbox(key="edition_switch").set_value("pays-de-la-loire-2018").run()
    at.button(key="reference_reload").click().run()
    assert not at.exception
    assert "Cette édition n'a pas de pack livré avec l'application : rien à recharger." in texts(at)
