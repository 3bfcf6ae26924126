"""Staff bulk entry under AppTest: who may open it, one by one, pasted batches, never twice, same rules."""

from __future__ import annotations

import pytest
from sqlmodel import col, select
from streamlit.testing.v1 import AppTest

from db.engine import session_scope
from models import Contribution
from tests.app_pages.helpers import account, app_as, script, texts

pytestmark = pytest.mark.usefixtures("app_env")

PAGE = "app_pages/bulk_entry.py"
SUBMIT = "FormSubmitter:bulk_one-Enregistrer"


def open_as(role: str) -> AppTest:
    at = app_as(role).run()
    at.switch_page(PAGE).run()
    assert not at.exception
    return at


def rows() -> list[Contribution]:
    with session_scope() as session:
        return list(session.exec(select(Contribution).order_by(col(Contribution.id))).all())


@pytest.mark.parametrize("role", ["staff", "admin"])
def test_staff_and_admins_open_it(role: str) -> None:
    at = open_as(role)
    assert [t.value for t in at.title] == ["Saisie groupée"]


@pytest.mark.parametrize("role", [None, "organizer"])
def test_others_cannot_reach_it_from_the_menu(role: str | None) -> None:
    at = app_as(role).run()
    with pytest.raises(ValueError):
        at.switch_page(PAGE)


@pytest.mark.parametrize("role", [None, "organizer"])
def test_the_page_guards_itself_when_run_directly(role: str | None) -> None:
    at = AppTest.from_file(script(PAGE), default_timeout=30)
    if role is not None:
        at.session_state["staff_account"] = account(role)
    at.run()
    assert not at.exception
    assert not at.title and not at.text_area
    assert "réservée aux équipes habilitées" in texts(at)


def test_one_by_one_entry_clears_the_text_and_keeps_the_shared_settings() -> None:
    at = open_as("staff")
    at.segmented_control(key="bulk_source").set_value("paper").run()
    at.selectbox(key="bulk_theme").set_value(4).run()
    at.selectbox(key="bulk_departement").set_value("53").run()
    for n in range(3):
        at.text_area(key="bulk_body").input(f"Formulaire papier numéro {n} : mutualiser les locaux entre associations.")
        at.button(key=SUBMIT).click().run()
        assert not at.exception
        assert at.text_area(key="bulk_body").value == ""
    assert "Enregistrée : reçu" in texts(at)
    stored = rows()
    assert len(stored) == 3
    assert {(r.source, r.theme_id, r.departement, r.entered_by, r.participant_id) for r in stored} == {
        ("paper", 4, "53", "test-staff", None)
    }
    assert at.selectbox(key="bulk_theme").value == 4
    assert len(at.dataframe) == 1  # the latest entries, for checking at a glance


def test_a_refused_entry_keeps_its_text_and_its_message() -> None:
    at = open_as("staff")
    at.text_area(key="bulk_body").input("Trop court")
    at.button(key=SUBMIT).click().run()
    assert not at.exception
    errors = " ".join(e.value for e in at.error)
    assert "Choisissez l'une des thématiques de la conférence." in errors and "trop court" in errors
    assert at.text_area(key="bulk_body").value == "Trop court"
    assert rows() == []


def test_a_pasted_batch_stores_the_good_paragraphs_and_keeps_the_bad_ones_to_fix() -> None:
    at = open_as("staff")
    at.selectbox(key="bulk_theme").set_value(2).run()
    good = [
        "Atelier de Laval : il manque un incubateur d'innovation sociale en Mayenne.",
        "Atelier de Laval : faire connaître les SCOP aux cédants d'entreprise.",
    ]
    at.text_area(key="bulk_paste").input(f"{good[0]}\n\ntrop court\n\n{good[1]}").run()
    assert "3 contributions détectées." in texts(at)
    at.button(key="bulk_send_batch").click().run()
    assert not at.exception
    assert "2 contributions enregistrées." in texts(at)
    assert at.text_area(key="bulk_paste").value == "trop court"
    assert [r.body for r in rows()] == good
    assert {r.source for r in rows()} == {"workshop"}

    # Fixing the refused paragraph and pasting the whole batch again stores only what is new.
    fixed = "Atelier de Laval : un fonds d'amorçage régional pour les projets de l'ESS."
    at.text_area(key="bulk_paste").input(f"{good[0]}\n\n{fixed}\n\n{good[1]}").run()
    at.button(key="bulk_send_batch").click().run()
    assert not at.exception
    assert "1 contribution enregistrée." in texts(at)
    assert "2 déjà reçue(s)" in texts(at)
    assert len(rows()) == 3
