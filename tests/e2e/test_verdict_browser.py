"""« Verdict de la salle » in headless Chromium: a tap on a phone reaches the organiser's open page by itself
(its 2 s fragment), and the plenary view fills the room's screen with no menu and no unmoderated text."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from db.engine import build_engine, session_scope
from services import votes
from services.codes import device_token
from tests.e2e.conftest import LiveApp, wait_for_app
from tests.e2e.test_dashboard_browser import organiser_on

pytestmark = pytest.mark.browser


def cast(app: LiveApp, choices: list[str]) -> str:
    """One phone's stances on the first orientations of the ballot; its first orientation's code."""
    engine = build_engine(app.database_url)
    try:
        with session_scope(engine) as session:
            items = votes.ballot(session=session)
        token = device_token()
        for item, choice in zip(items, choices, strict=False):
            with session_scope(engine, write=True) as session:
                votes.cast_vote(
                    session=session, device_token=token, orientation_id=item.id, choice=choice, origin="cards"
                )
        return items[0].code
    finally:
        engine.dispose()


def metric(page: Page, label: str):  # type: ignore[no-untyped-def]
    label_only = page.get_by_test_id("stMetricLabel").get_by_text(label, exact=True)
    return page.get_by_test_id("stMetric").filter(has=label_only).first.get_by_test_id("stMetricValue")


def test_a_tap_reaches_the_open_verdict_page_by_itself(live_app: LiveApp, page: Page) -> None:
    organiser_on(page, live_app, "verdict")
    expect(page.get_by_role("heading", name="Verdict de la salle")).to_be_visible()
    expect(metric(page, "Avis")).to_have_text("0")
    cast(live_app, ["agree", "disagree", "skip"])
    expect(metric(page, "Avis")).to_have_text("3")  # no reload: the live fragment's next refresh
    expect(metric(page, "Participants qui ont donné un avis")).to_have_text("1")
    expect(page.get_by_test_id("stMain").get_by_text("compte deux fois").first).to_be_visible()


def test_the_plenary_view_fills_the_screen_without_the_menu(live_app: LiveApp, page: Page) -> None:
    code = cast(live_app, ["agree"])
    organiser_on(page, live_app, f"projecteur?vue=pleniere&orientation={code}")
    main = page.get_by_test_id("stMain")
    expect(main.get_by_text("Avis exprimés")).to_be_visible()
    expect(main.get_by_text("Moins de 10 avis")).to_be_visible()
    expect(page.get_by_test_id("stSidebar")).to_be_hidden()
    expect(page.locator("[data-testid=stPlotlyChart] .main-svg").first).to_be_visible()
    wait_for_app(page)
