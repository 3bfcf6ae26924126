"""Regroupement in a real browser at laptop size: a proposal shows why each member is in its group."""

from __future__ import annotations

import os
import uuid
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from db.engine import build_engine, session_scope
from services import contributions
from services.contributions import ContributionDraft
from tests.e2e.conftest import LiveApp, open_menu_page, staff_login, wait_for_app
from tests.services.test_grouping_meaning import DISTINCT, GUICHET, TIERS_LIEU, TRAP

pytestmark = pytest.mark.browser

SLOW = 40_000
# Where to keep the screenshot for a person to look at (ESS_SCREENSHOTS=folder), else the test's own folder.
SHOTS = os.environ.get("ESS_SCREENSHOTS")


def seed(app: LiveApp) -> None:
    engine = build_engine(app.database_url)
    with session_scope(engine, write=True) as session:
        for text in [*TIERS_LIEU, TRAP, *GUICHET, *DISTINCT]:
            draft = ContributionDraft(theme_id=1, body=text, idempotency_key=uuid.uuid4().hex)
            contributions.submit_contribution(session=session, draft=draft)
    engine.dispose()


def test_a_proposal_shows_each_members_reason(live_app: LiveApp, page: Page, tmp_path: Path) -> None:
    page.set_viewport_size({"width": 1280, "height": 800})
    seed(live_app)
    staff_login(page, live_app, "anne", menu_entry="Regroupement")
    open_menu_page(page, "Regroupement")
    main = page.get_by_test_id("stMain")
    expect(main.get_by_text("Seuil de ressemblance (%)")).to_be_visible()
    main.get_by_role("button", name="Proposer des groupes").click()
    wait_for_app(page, timeout=SLOW)
    # Nine texts, too few to centre on: at the default two distinct ideas come along too (test_grouping_meaning).
    expect(main.get_by_text("Groupes proposés : 3.")).to_be_visible(timeout=SLOW)
    # The reason column is in each group's table (a canvas grid: its header is what the page exposes as text).
    expect(main.get_by_test_id("stDataFrame").first).to_be_visible()
    expect(main.get_by_text("Pourquoi dans ce groupe").first).to_be_attached()
    main.get_by_test_id("stExpander").first.scroll_into_view_if_needed()
    page.wait_for_timeout(500)
    folder = Path(SHOTS) if SHOTS else tmp_path
    folder.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(folder / "grouping-reasons-1280x800.png"))
