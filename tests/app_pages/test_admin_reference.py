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
