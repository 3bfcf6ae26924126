"""Regroupement and Rédaction under AppTest: propose and confirm a group, edit, link, diff, comment."""

from __future__ import annotations

import uuid

import pytest
from sqlmodel import col, select
from streamlit.testing.v1 import AppTest

from db.engine import session_scope
from models import Contribution, ContributionGroup, Orientation, OrientationComment
from services import contributions, grouping
from services.contributions import ContributionDraft
from tests.app_pages.helpers import app_as, texts

pytestmark = pytest.mark.usefixtures("app_env")

GROUPING = "app_pages/grouping.py"
DRAFTING = "app_pages/drafting.py"
EVIL = "Un guichet unique des aides [clic](javascript:alert(1)) **gras** pour les associations."
DUPLICATES = [
    "Créer un guichet unique pour les aides régionales aux associations de l'ESS.",
    "Creer un guichet unique pour les aides regionales aux associations de l'ESS",
    "Un guichet unic pour toutes les aides de la région aux associations !",
]


def add(body: str, theme_id: int = 1) -> int:
    with session_scope(write=True) as session:
        draft = ContributionDraft(theme_id=theme_id, body=body, idempotency_key=uuid.uuid4().hex)
        return contributions.submit_contribution(session=session, draft=draft).contribution_id


def open_as(role: str, page: str) -> AppTest:
    at = app_as(role).run()
    at.switch_page(page).run()
    assert not at.exception
    return at


@pytest.mark.parametrize("page", [GROUPING, DRAFTING])
@pytest.mark.parametrize("role", [None, "organizer"])
def test_only_staff_reach_grouping_and_drafting(role: str | None, page: str) -> None:
    at = app_as(role).run()
    with pytest.raises(ValueError):
        at.switch_page(page)


def test_propose_then_confirm_a_group_with_an_edited_text() -> None:
    ids = [add(t) for t in DUPLICATES]
    add("Développer les achats publics responsables auprès des entreprises d'insertion.")
    at = open_as("staff", GROUPING)
    at.button(key="grouping_propose").click().run()
    assert not at.exception
    assert "Groupes proposés : 1." in texts(at)
    with session_scope() as session:
        group = session.exec(select(ContributionGroup)).one()
    at.text_area(key=f"grouping_text_{group.id}").input("Un guichet unique des aides régionales.")
    at.button(key=f"grouping_confirm_{group.id}").click().run()
    assert not at.exception
    assert f"Groupe G{group.id} confirmé : 3 contributions." in texts(at)
    with session_scope() as session:
        stored = session.get(ContributionGroup, group.id)
        assert stored is not None
        assert (stored.status, stored.representative_text) == ("confirmed", "Un guichet unique des aides régionales.")
    at.segmented_control(key="grouping_status").set_value("confirmed").run()
    at.button(key=f"grouping_undo_{group.id}").click().run()
    assert not at.exception
    assert "défait" in texts(at)
    assert len(ids) == 3


def test_a_confirmed_group_is_edited_on_the_page_and_the_edit_undone() -> None:
    ids = [add(t) for t in DUPLICATES]
    extra = add("Développer les achats publics responsables auprès des entreprises d'insertion.")
    add("Un texte d'un autre thème sur un guichet unique des aides aux associations.", theme_id=2)
    with session_scope() as session:
        code = session.get(Contribution, extra)
        assert code is not None
        extra_code = code.receipt_code
    at = open_as("staff", GROUPING)
    at.button(key="grouping_propose").click().run()
    with session_scope() as session:
        group = session.exec(select(ContributionGroup)).one()
    assert group.id is not None
    at.button(key=f"grouping_confirm_{group.id}").click().run()
    assert not at.exception
    at.segmented_control(key="grouping_status").set_value("confirmed").run()
    # Take the first member out, add another contribution by its receipt code typed in lower case.
    at.multiselect(key=f"grouping_members_{group.id}").set_value(ids[1:]).run()
    at.text_input(key=f"grouping_add_{group.id}").input(extra_code.lower()).run()
    at.selectbox(key=f"grouping_rep_{group.id}").set_value(str(ids[2])).run()
    at.button(key=f"grouping_save_{group.id}").click().run()
    assert not at.exception
    assert f"Groupe G{group.id} modifié : 3 contributions." in texts(at)
    with session_scope() as session:
        stored = grouping.list_groups(session=session, theme_id=1, statuses=["confirmed"])[0]
        assert sorted(m.contribution_id for m in stored.members) == sorted([*ids[1:], extra])
        assert stored.representative_text == DUPLICATES[2]
    # The history is on the page, and the edit can be undone.
    actions = [a for df in at.dataframe if "Action" in df.value.columns for a in df.value["Action"]]
    assert actions[:2] == ["Modifié", "Confirmé"]
    at.button(key=f"grouping_undo_edit_{group.id}").click().run()
    assert not at.exception
    assert f"Dernière modification du groupe G{group.id} annulée." in texts(at)
    with session_scope() as session:
        stored = grouping.list_groups(session=session, theme_id=1, statuses=["confirmed"])[0]
        assert sorted(m.contribution_id for m in stored.members) == sorted(ids)
    # A code from another theme is refused with a French message, and nothing changes.
    with session_scope() as session:
        other = session.exec(select(Contribution).where(Contribution.theme_id == 2)).one()
    at.text_input(key=f"grouping_add_{group.id}").input(other.receipt_code).run()
    at.button(key=f"grouping_save_{group.id}").click().run()
    assert not at.exception
    assert "Toutes les contributions d'un groupe sont du même thème." in [e.value for e in at.error]


def test_drafting_edits_make_versions_with_a_diff_and_user_text_stays_text() -> None:
    cid = add(EVIL)
    at = open_as("staff", DRAFTING)
    assert [t.value for t in at.title] == ["Rédaction"]
    assert not any("javascript:" in m.value for m in at.markdown)
    with session_scope() as session:
        first = session.exec(
            select(Orientation).where(Orientation.theme_id == 1).order_by(col(Orientation.position))
        ).first()
        assert first is not None
    form_area = at.text_area[1]  # the edit form's text (the first is the new-orientation form)
    form_area.input(first.body + "\nUn comité de suivi chaque année.")
    at.selectbox[-1].set_value("amended")  # the status in the edit form
    submit = next(b for b in at.button if b.label == "Enregistrer une nouvelle version")
    submit.click().run()
    assert not at.exception
    assert "Version 2 enregistrée." in texts(at)
    diffs = [c.value for c in at.code]
    assert diffs and "+Un comité de suivi chaque année." in diffs[0] and "+Statut : Amendée" in diffs[0]

    link = next(ms for ms in at.multiselect if ms.label == "Contributions")
    link.set_value([cid])
    next(b for b in at.button if b.label == "Lier à l'orientation").click().run()
    assert not at.exception
    assert "Liens ajoutés : 1." in texts(at)

    comment = next(t for t in at.text_area if t.label == "Commentaire pour l'équipe")
    comment.input("**À valider** avec la CRESS")
    next(b for b in at.button if b.label == "Publier le commentaire").click().run()
    assert not at.exception
    with session_scope() as session:
        assert session.exec(select(OrientationComment.body)).all() == ["**À valider** avec la CRESS"]
    assert any("**À valider** avec la CRESS" in t.value for t in at.text)
