"""The contribution and staff pages with two editions in the store: each shows only the session's edition.

Participants reach the second edition by its URL (?edition=…), staff by the sidebar's choice (kept in the session);
texts of the other edition never appear, and an archived edition is read, not changed.
"""

from __future__ import annotations

import uuid

import pytest
from sqlmodel import col, select
from streamlit.testing.v1 import AppTest

from db.engine import session_scope
from models import Contribution, Edition, EditionStatus, Orientation, Theme
from services import contributions
from services.codes import device_token
from services.contributions import ContributionDraft
from services.scope import ARCHIVED
from tests.app_pages.helpers import app_as, texts
from tests.editions import FIRST_EDITION_ID, load_second_edition
from ui import participant
from ui.edition import K_SLUG

pytestmark = pytest.mark.usefixtures("app_env")

SLUG = "centre-val-de-loire-2022"
TEXT_A = "Un dossier unique de demande d'aide pour les petites associations de l'ouest."
TEXT_B = "Une porte d'entrée commune pour le financement des entrepreneurs du Cher."


def themes(edition_id: int) -> list[int]:
    with session_scope() as session:
        ids = session.exec(select(Theme.id).where(Theme.edition_id == edition_id).order_by(col(Theme.position))).all()
        return [i for i in ids if i is not None]  # stored rows: every id is set


def seed(*, token: str | None = None) -> int:
    """The second edition, one contribution in each edition; the second edition's id."""
    with session_scope(write=True) as session:
        b = load_second_edition(session)
    for edition_id, text in ((FIRST_EDITION_ID, TEXT_A), (b, TEXT_B)):
        with session_scope(write=True) as session:
            draft = ContributionDraft(theme_id=themes(edition_id)[0], body=text, idempotency_key=uuid.uuid4().hex)
            if token is not None and edition_id == b:
                contributions.submit_from_device(session=session, device_token=token, draft=draft, edition_id=b)
            else:
                contributions.submit_contribution(session=session, draft=draft, edition_id=edition_id)
    return b


def set_status(edition_id: int, status: str) -> None:
    with session_scope(write=True) as session:
        row = session.get(Edition, edition_id)
        assert row is not None
        row.status = status
        session.add(row)


def staff_on(page: str, *, second: bool = True, role: str = "staff") -> AppTest:
    at = app_as(role)
    if second:
        at.session_state[K_SLUG] = SLUG
    at.run()
    at.switch_page(page).run()
    assert not at.exception
    return at


def everything(at: AppTest) -> str:
    """Texts and dataframes and widget options: wherever the other edition's data could leak."""
    parts = [texts(at)]
    parts += [el.value.to_csv() for el in at.dataframe]
    parts += [str(opt) for box in at.selectbox for opt in box.options]
    parts += [str(m.label) for m in at.metric]
    return "\n".join(parts)


def test_the_moderation_queue_and_backlog_show_the_sessions_edition_only() -> None:
    seed()
    at_b = staff_on("app_pages/moderation.py")
    assert TEXT_B in everything(at_b) and TEXT_A not in everything(at_b)
    assert len(at_b.metric) == 4  # the second edition has four themes
    at_a = staff_on("app_pages/moderation.py", second=False)
    assert TEXT_A in everything(at_a) and TEXT_B not in everything(at_a)
    assert len(at_a.metric) == 5
    backlog = staff_on("app_pages/moderation_backlog.py", role="organizer")
    frame = backlog.dataframe[0].value
    assert len(frame) == 4 and frame["À modérer"].tolist() == ["1", "0", "0", "0"]


def test_grouping_and_drafting_offer_the_sessions_themes_and_orientations() -> None:
    b = seed()
    with session_scope() as session:
        labels_b = set(session.exec(select(Theme.label).where(Theme.edition_id == b)).all())
        labels_a = set(session.exec(select(Theme.label).where(Theme.edition_id == FIRST_EDITION_ID)).all())
        first_b = session.exec(
            select(Orientation.title).where(Orientation.edition_id == b, Orientation.code == "T1-O1")
        ).one()
        first_a = session.exec(
            select(Orientation.title).where(Orientation.edition_id == FIRST_EDITION_ID, Orientation.code == "T1-O1")
        ).one()
    for page in ("app_pages/grouping.py", "app_pages/drafting.py"):
        at = staff_on(page)
        shown = everything(at)
        assert all(label in shown for label in labels_b), page
        assert not any(label in shown for label in labels_a), page
    drafting = staff_on("app_pages/drafting.py")
    shown = everything(drafting)
    assert first_b in shown and first_a not in shown
    assert TEXT_B in shown and TEXT_A not in shown


def test_a_participant_on_the_second_editions_url_contributes_to_it() -> None:
    b = seed()
    token = device_token()
    at = app_as(None)
    at.session_state["device_token"] = token
    at.run()
    at.query_params.update({"edition": SLUG})
    at.switch_page("app_pages/contribute.py").run()
    assert not at.exception
    pills = at.button_group(key="contribute_theme")
    assert list(pills.options) and len(pills.options) == 4
    pills.set_value(themes(b)[1]).run()
    at.text_area(key="contribute_body").input("Des permanences d'accompagnement dans les bourgs ruraux.").run()
    at.button(key="contribute_send").click().run()
    assert not at.exception
    assert "Contribution enregistrée" in texts(at)
    with session_scope() as session:
        row = session.exec(select(Contribution).where(Contribution.theme_id == themes(b)[1])).one()
        assert row.participant_id is not None
    at.switch_page("app_pages/my_contributions.py").run()
    assert not at.exception
    assert "bourgs ruraux" in texts(at) and TEXT_A not in texts(at)


def test_my_contributions_lists_only_the_sessions_edition() -> None:
    token = device_token()
    seed(token=token)
    at = app_as(None)
    at.session_state[participant.token_key(SLUG)] = token  # the phone's token for that edition
    at.run()
    at.switch_page("app_pages/my_contributions.py").run()
    assert not at.exception
    assert TEXT_B not in texts(at) and "Vous n'avez encore rien envoyé" in texts(at)
    at.query_params.update({"edition": SLUG})
    at.switch_page("app_pages/my_contributions.py").run()
    assert TEXT_B in texts(at)


def test_an_archived_edition_is_read_not_changed() -> None:
    b = seed()
    set_status(b, EditionStatus.ARCHIVED.value)
    at = staff_on("app_pages/moderation.py")
    assert ARCHIVED in texts(at) and TEXT_B in everything(at)
    at.button(key="moderation_all").click().run()
    assert at.button(key="moderation_publish").disabled
    for page in ("app_pages/grouping.py", "app_pages/drafting.py", "app_pages/bulk_entry.py"):
        assert ARCHIVED in texts(staff_on(page)), page
    # A participant holding the archived edition's URL is told so (archived editions stay visible to all).
    phone = app_as(None).run()
    phone.query_params.update({"edition": SLUG})
    phone.switch_page("app_pages/contribute.py").run()
    assert not phone.exception
    assert ARCHIVED in texts(phone) and not phone.button_group
    with session_scope() as session:
        assert session.exec(select(Contribution).where(col(Contribution.theme_id).in_(themes(b)))).all()
