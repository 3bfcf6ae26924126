"""The adequacy check's journey in headless Chromium (issue 16's « done when»): on a phone, a participant gives a
stance on every orientation of one theme, changes one, reloads (the stances are kept), while the organiser's
dashboard, open on a laptop, shows the new count by itself. The delays measured are printed (no threshold here:
the machines are shared; the figures are in the closing note and the README)."""

from __future__ import annotations

import re
import time

import pytest
from playwright.sync_api import Page, expect

from db.engine import build_engine, session_scope
from services import verdict, votes
from tests.e2e.conftest import LiveApp, wait_for_app
from tests.e2e.test_dashboard_browser import organiser_on
from tests.e2e.test_verdict_browser import metric

pytestmark = pytest.mark.browser
THEME = "emploi"  # the third theme of the startup edition's pack


def _theme_items(app: LiveApp) -> list[votes.BallotItem]:
    engine = build_engine(app.database_url)
    try:
        with session_scope(engine) as session:
            return [i for i in votes.ballot(session=session) if i.theme_code == THEME]
    finally:
        engine.dispose()


def _verdict_of(app: LiveApp, orientation_id: int) -> verdict.Verdict:
    engine = build_engine(app.database_url)
    try:
        with session_scope(engine) as session:
            return verdict.verdict_by_orientation(session=session)[orientation_id]
    finally:
        engine.dispose()


def test_a_phone_weighs_in_on_a_whole_theme_in_a_few_taps_and_the_dashboard_follows(
    live_app: LiveApp, page: Page, phone: Page
) -> None:
    items = _theme_items(live_app)
    assert len(items) >= 2
    organiser_on(page, live_app, "direct")
    count = metric(page, "Avis sur les orientations")
    expect(count).to_have_text("0")

    phone.goto(f"{live_app.url}/avis?theme={THEME}")
    wait_for_app(phone)
    main = phone.get_by_test_id("stMain")
    taps = 0
    delays: list[float] = []
    for n, item in enumerate(items, start=1):
        expect(main.get_by_text(f"{item.code} · {item.title}").first).to_be_visible()
        main.get_by_role("button", name="D'accord", exact=True).click()
        tapped = time.monotonic()
        taps += 1
        expect(count).to_have_text(str(n), timeout=30_000)  # the dashboard, refreshing by itself
        delays.append(time.monotonic() - tapped)
        wait_for_app(phone)
    # The next card is the next theme's: one tap back, one tap to change the last stance.
    main.get_by_role("button", name="Précédente").click()
    taps += 1
    expect(main.get_by_text(f"{items[-1].code} · {items[-1].title}").first).to_be_visible()
    expect(main.get_by_text(re.compile("Votre avis : D'accord")).first).to_be_visible()
    main.get_by_role("button", name="Pas d'accord", exact=True).click()
    taps += 1
    wait_for_app(phone)
    assert taps < 20, taps
    deadline = time.monotonic() + 30
    while _verdict_of(live_app, items[-1].id).disagree != 1:
        assert time.monotonic() < deadline, "the change never reached the store"
        time.sleep(0.2)
    changed = _verdict_of(live_app, items[-1].id)
    assert (changed.agree, changed.disagree) == (0, 1)
    expect(count).to_have_text(str(len(items)))  # a change moves a stance, it adds none

    phone.reload()
    wait_for_app(phone)
    main.get_by_role("button", name="Voir tous mes avis").click()
    wait_for_app(phone)
    expect(main.get_by_text("Votre avis : D'accord", exact=False)).to_have_count(len(items) - 1)
    expect(main.get_by_text("Votre avis : Pas d'accord", exact=False)).to_have_count(1)
    print(f"\n{taps} taps for {len(items)} orientations; tap → dashboard: {', '.join(f'{d:.1f} s' for d in delays)}")
