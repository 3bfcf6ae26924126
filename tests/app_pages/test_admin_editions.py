"""« Éditions »: set up the next edition in the app (copy, settings, themes), each rule checked by the server."""

from __future__ import annotations

import datetime as dt

from sqlmodel import select

from tests.app_pages.helpers import account, app_as, texts

PAGE = "app_pages/admin_editions.py"


def open_page(role: str = "admin"):  # type: ignore[no-untyped-def]
    at = app_as(role).run()
    at.switch_page(PAGE).run()
    assert not at.exception
    return at


def test_only_admins_have_the_page_in_their_menu(app_env: str) -> None:
    from ui.navigation import visible_pages

    for role, shown in (("organizer", False), ("staff", False), ("admin", True)):
        assert (PAGE in [p.path for p in visible_pages(account(role))]) is shown, role


def test_an_admin_copies_2016_then_edits_a_theme_of_the_copy_and_the_sidebar_follows(app_env: str) -> None:
    from db.engine import session_scope
    from models import Edition, Theme

    at = open_page()
    at.radio(key="ed_new_mode").set_value("copy").run()
    at.text_input(key="ed_copy_slug").set_value("pays-de-la-loire-2018")
    at.text_input(key="ed_copy_city").set_value("Nantes")
    at.date_input(key="ed_copy_start").set_value(dt.date(2018, 6, 26))
    at.button(key="FormSubmitter:ed_copy_form-Créer la copie").click().run()
    assert not at.exception
    assert "créée (en préparation)" in texts(at)
    with session_scope() as session:
        copy = session.exec(select(Edition).where(Edition.slug == "pays-de-la-loire-2018")).one()
        assert copy.status == "draft" and copy.city == "Nantes"
        theme = session.exec(
            select(Theme).where(Theme.edition_id == copy.id).order_by(Theme.position)  # type: ignore[arg-type]
        ).first()
        assert theme is not None
    # The session now works on the copy: its settings and themes are the ones shown.
    assert "26/06/2018" in texts(at)
    form = f"ed_theme_{theme.id}"
    field = next(w for w in at.text_input if w.label == "Libellé court" and w.value == theme.short_label)
    field.set_value("Institutions 2018")
    at.button(key=f"FormSubmitter:{form}-Enregistrer ce thème").click().run()
    assert not at.exception
    with session_scope() as session:
        assert session.get(Theme, theme.id).short_label == "Institutions 2018"  # type: ignore[union-attr]
        first = session.exec(select(Theme).where(Theme.edition_id == 1, Theme.code == theme.code)).one()
        assert first.short_label != "Institutions 2018"  # the 2016 edition is untouched


def test_a_refused_setting_says_why_in_french_and_keeps_what_was_typed(app_env: str) -> None:
    at = open_page()
    retention = next(w for w in at.number_input if "Conservation" in w.label)
    retention.set_value(3)
    url = next(w for w in at.text_input if "Adresse publique" in w.label)
    url.set_value("ftp://exemple")
    at.button(key="FormSubmitter:ed_settings_1-Enregistrer les réglages").click().run()
    assert not at.exception
    assert "doit commencer par https://" in texts(at)
    assert next(w for w in at.text_input if "Adresse publique" in w.label).value == "ftp://exemple"


def test_staff_switch_editions_in_the_sidebar_and_a_link_naming_an_edition_wins(app_env: str) -> None:
    from db.engine import session_scope
    from tests.editions import load_second_edition

    with session_scope(write=True) as session:
        load_second_edition(session)
    at = app_as("staff").run()
    switch = at.sidebar.selectbox(key="edition_switch")
    assert switch.value == "pays-de-la-loire-2016"
    switch.set_value("centre-val-de-loire-2022").run()
    assert not at.exception
    assert "Bourges" in texts(at) and at.sidebar.selectbox(key="edition_switch").value == "centre-val-de-loire-2022"
    at.switch_page("app_pages/compare.py").run()  # the choice holds from page to page
    assert "Centre-Val de Loire" in "\n".join(str(t.value) for t in at.sidebar.text)
    at.query_params["edition"] = "pays-de-la-loire-2016"
    at.switch_page("app_pages/home.py").run()
    assert not at.exception
    assert at.sidebar.selectbox(key="edition_switch").value == "pays-de-la-loire-2016"
    assert "Angers" in texts(at)


def test_a_questionnaire_that_does_not_parse_is_refused_and_the_text_typed_stays(app_env: str) -> None:
    at = open_page()
    area = next(w for w in at.text_area if w.label == "Questionnaire (YAML)")
    area.set_value("slug: [pas fermé")
    at.button(key="FormSubmitter:ed_questionnaire_1-Enregistrer le questionnaire").click().run()
    assert not at.exception
    assert "n'est pas un YAML lisible" in texts(at)
    assert next(w for w in at.text_area if w.label == "Questionnaire (YAML)").value == "slug: [pas fermé"


def test_a_default_edition_still_in_preparation_is_never_shown_to_participants(app_env: str) -> None:
    from db.engine import session_scope
    from services import editions
    from services.permissions import CONSOLE_ACTOR

    with session_scope(write=True) as session:
        draft = editions.copy_edition(
            session=session,
            actor=CONSOLE_ACTOR,
            source_id=1,
            settings={"slug": "brouillon-2030", "start_date": "2030-05-14"},
        )
        editions.set_default_edition(session=session, actor=CONSOLE_ACTOR, edition_id=draft.id)
    participant = app_as(None).run()
    assert not participant.exception and "Angers" in texts(participant)  # the open edition, not the draft
    staff = app_as("staff").run()
    assert "14/05/2030" in texts(staff)  # staff see the edition they are preparing
