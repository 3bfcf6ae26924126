"""« Édition précédente »: organisers see their edition beside the same Région's previous one."""

from __future__ import annotations

from tests.app_pages.helpers import app_as, texts


def test_an_organiser_opens_the_comparison_of_a_first_edition(app_env: str) -> None:
    at = app_as("organizer").run()
    at.switch_page("app_pages/compare.py").run()
    assert not at.exception
    assert "la première de la Région" in texts(at)
    assert at.dataframe[0].value["Indicateur"].tolist()[0] == "Contributions reçues (hors rejetées)"


def test_the_comparison_of_a_copied_edition_shows_both_dates(app_env: str) -> None:
    from db.engine import session_scope
    from services import editions
    from services.permissions import CONSOLE_ACTOR

    with session_scope(write=True) as session:
        nxt = editions.copy_edition(
            session=session,
            actor=CONSOLE_ACTOR,
            source_id=1,
            settings={"slug": "pays-de-la-loire-2018", "start_date": "2018-06-26", "status": "open"},
        )
    at = app_as("staff")
    at.session_state["edition_slug"] = nxt.slug
    at.run()
    at.switch_page("app_pages/compare.py").run()
    assert not at.exception
    columns = at.dataframe[0].value.columns.tolist()
    assert columns == ["Indicateur", "28/06/2016", "26/06/2018"]
