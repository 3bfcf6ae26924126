"""The moderation pages under AppTest: who opens them, bulk decisions, masking, the trail, text never as markdown."""

from __future__ import annotations

import uuid

import pytest
from sqlmodel import select
from streamlit.testing.v1 import AppTest

from db.engine import session_scope
from models import Contribution
from services import contributions, moderation
from services.contributions import ContributionDraft
from tests.app_pages.helpers import account, app_as, script, texts

pytestmark = pytest.mark.usefixtures("app_env")

PAGE = "app_pages/moderation.py"
BACKLOG = "app_pages/moderation_backlog.py"
EVIL = "Voir [clic](javascript:alert(1)) **gras** <img src=x onerror=alert(1)> : contactez M. Dupont au 06 12 34 56 78."


def add(body: str, theme_id: int = 1) -> int:
    with session_scope(write=True) as session:
        draft = ContributionDraft(theme_id=theme_id, body=body, idempotency_key=uuid.uuid4().hex)
        return contributions.submit_contribution(session=session, draft=draft).contribution_id


def status(cid: int) -> Contribution:
    with session_scope() as session:
        row = session.exec(select(Contribution).where(Contribution.id == cid)).one()
        return row


def open_as(role: str, page: str = PAGE) -> AppTest:
    at = app_as(role).run()
    at.switch_page(page).run()
    assert not at.exception
    return at


@pytest.mark.parametrize("role", ["staff", "admin"])
def test_staff_open_the_queue(role: str) -> None:
    add("Une contribution qui attend sa modération depuis ce matin.")
    at = open_as(role)
    assert [t.value for t in at.title] == ["Modération"]
    assert len(at.dataframe) == 1


@pytest.mark.parametrize("role", [None, "organizer"])
def test_others_cannot_moderate(role: str | None) -> None:
    at = app_as(role).run()
    with pytest.raises(ValueError):
        at.switch_page(PAGE)
    direct = AppTest.from_file(script(PAGE), default_timeout=30)
    if role is not None:
        direct.session_state["staff_account"] = account(role)
    direct.run()
    assert not direct.exception
    assert not direct.title and "réservée aux équipes habilitées" in texts(direct)


@pytest.mark.parametrize("role", ["organizer", "staff"])
def test_organisers_see_the_backlog_per_theme(role: str) -> None:
    add("Une contribution du thème de l'emploi à modérer.", theme_id=3)
    at = open_as(role, BACKLOG)
    assert not at.exception
    frame = at.dataframe[0].value
    assert frame.loc[frame["Thème"].str.startswith("3."), "À modérer"].tolist() == ["1"]


def test_bulk_publish_then_reject_with_a_category_and_an_internal_note() -> None:
    a = add("Première contribution à publier : un guichet unique pour les aides.")
    b = add("Deuxième contribution à publier : un annuaire des structures de l'ESS.")
    c = add("Troisième contribution, hors sujet, à rejeter avec un motif lisible.")
    at = open_as("staff")
    at.multiselect(key="moderation_selection").set_value([a, b]).run()
    at.button(key="moderation_publish").click().run()
    assert not at.exception
    assert "Contributions publiées : 2." in texts(at)
    assert status(a).status == "published" and status(b).status == "published"
    assert at.multiselect(key="moderation_selection").value == []

    at.multiselect(key="moderation_selection").set_value([c]).run()
    at.button(key="moderation_reject").click().run()
    assert not at.exception
    assert "Le motif du rejet est obligatoire." in texts(at) and moderation.CATEGORY_REQUIRED in texts(at)
    assert status(c).status == "pending"
    # The note alone is not enough: the category is what the author reads.
    at.text_input(key="moderation_reason").input("Hors sujet, cite un voisin")
    at.button(key="moderation_reject").click().run()
    assert not at.exception
    assert moderation.CATEGORY_REQUIRED in texts(at) and status(c).status == "pending"
    categories = at.selectbox(key="moderation_category")
    assert categories.options[0] == "Choisissez le motif" and "Hors sujet pour la conférence" in categories.options
    categories.set_value("off_topic").run()
    at.button(key="moderation_reject").click().run()
    assert not at.exception
    assert "Contributions rejetées : 1." in texts(at)
    rejected = status(c)
    assert (rejected.status, rejected.rejection_category) == ("rejected", "off_topic")
    assert rejected.rejection_reason == "Hors sujet, cite un voisin"
    # Both fields emptied for the next decision (the pending queue is now empty: the form is not drawn).
    assert at.session_state["moderation_category"] == "" and at.session_state["moderation_reason"] == ""

    at.selectbox(key="moderation_status").set_value("rejected").run()
    assert not at.exception
    assert at.dataframe[0].value["Motif du rejet"].tolist() == ["Hors sujet pour la conférence"]
    # The examined item: the category (what the author reads) beside the internal note.
    drawn = texts(at)
    assert "Motif du rejet (lu par l'auteur) :" in drawn and "Note interne à l'équipe :" in drawn
    assert {"Hors sujet pour la conférence", "Hors sujet, cite un voisin"} <= {t.value for t in at.text}
    history = at.dataframe[-1].value
    assert history["Action"].tolist() == ["Rejetée"] and history["Par"].tolist() == ["test-staff"]
    assert "catégorie du motif : Hors sujet pour la conférence" in history["Après"].tolist()[0]


def test_tags_theme_and_masking_from_the_page() -> None:
    cid = add(EVIL)
    at = open_as("staff")
    assert "Données personnelles repérées : nom, téléphone." in texts(at)
    # The participant's text is plain text, never markdown.
    assert any(t.value == EVIL for t in at.text)
    assert not any("javascript:" in m.value for m in at.markdown)

    at.multiselect(key="moderation_selection").set_value([cid]).run()
    at.text_input(key="moderation_tags").input("Numérique, formation")
    at.button(key="moderation_tag").click().run()
    assert "Étiquettes ajoutées : 2." in texts(at)

    at.multiselect(key="moderation_selection").set_value([cid]).run()
    at.button(key="moderation_mask").click().run()
    assert not at.exception
    masked = status(cid).masked_body
    assert masked is not None and "Dupont" not in masked and "06 12" not in masked

    at.multiselect(key="moderation_selection").set_value([cid]).run()
    at.selectbox(key="moderation_new_theme").set_value("4").run()
    at.button(key="moderation_retheme").click().run()
    assert not at.exception
    assert status(cid).theme_id == 4
    history = at.dataframe[-1].value
    assert history["Action"].tolist() == ["Thème changé", "Données personnelles masquées", "Étiquettes"]
