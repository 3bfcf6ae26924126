"""« Opérations du jour » in headless Chromium, on a laptop: a logged-in organiser sees the day's figures, the
backup `manage.py backup` just wrote, an alert for the oldest pending contribution, and the queue moving by itself;
axe-core finds no serious or critical violation in its content."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect
from sqlmodel import select

from db.engine import build_engine, session_scope
from models import Edition, EditionStatus
from services.contributions import ContributionDraft, submit_contribution
from services.formatting import PARIS
from tests.e2e.conftest import LiveApp
from tests.e2e.test_accessibility_browser import AXE, describe
from tests.e2e.test_dashboard_browser import organiser_on

pytestmark = pytest.mark.browser


# Counts changes inside the page's ARIA alerts: nodes added or removed, text rewritten.
WATCH_ALERTS = """() => {
  window.__alertChanges = 0;
  new MutationObserver(records => records.forEach(r => {
    const node = r.target.nodeType === 1 ? r.target : r.target.parentElement;
    if (node && node.closest('[role=alert]')) window.__alertChanges++;
  })).observe(document.querySelector('[data-testid=stMain]'),
              {subtree: true, childList: true, characterData: true});
}"""


def seed(app: LiveApp, *ages_in_minutes: int) -> None:
    """Pending contributions received that many minutes ago, on a conference that runs today."""
    engine = build_engine(app.database_url)
    try:
        with session_scope(engine, write=True) as session:
            edition = session.exec(select(Edition).where(Edition.is_default)).one()
            edition.start_date = edition.end_date = datetime.now(PARIS).date()
            edition.status = EditionStatus.OPEN.value
            session.add(edition)
            for minutes in ages_in_minutes:
                submit_contribution(
                    session=session,
                    draft=ContributionDraft(
                        theme_id=1,
                        body=f"Une idée envoyée il y a {minutes} minutes, numéro {uuid.uuid4().hex[:6]}.",
                        idempotency_key=uuid.uuid4().hex,
                        created_at=datetime.now(UTC) - timedelta(minutes=minutes),
                    ),
                )
    finally:
        engine.dispose()


def audit_main(page: Page) -> list[dict[str, Any]]:
    """axe-core's serious and critical violations in the page's own content. The staff menu is left out: its
    sections are Streamlit's list markup, the same on every staff page (the accessibility sweep's subject)."""
    page.add_script_tag(path=str(AXE))
    options = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]}}
    result = page.evaluate("async (options) => await axe.run({include: [['[data-testid=stMain]']]}, options)", options)
    return [v for v in result["violations"] if v["impact"] in ("serious", "critical")]


def metric(page: Page, label: str):  # type: ignore[no-untyped-def]
    return page.get_by_test_id("stMetric").filter(has_text=label).get_by_test_id("stMetricValue")


def test_an_organiser_runs_the_day_from_the_operations_panel(live_app: LiveApp, page: Page, tmp_path: Path) -> None:
    seed(live_app, 42, 4)
    live_app.manage("backup", str(tmp_path / "sauvegarde.db"))
    organiser_on(page, live_app, "operations")

    expect(page.get_by_role("heading", name="Opérations du jour")).to_be_visible()
    expect(metric(page, "À modérer")).to_have_text("2")
    expect(metric(page, "Attente la plus longue")).to_have_text("42 min")
    # French date and time, Paris time: today's.
    expect(metric(page, "Dernière sauvegarde")).to_have_text(re.compile(r"^\d\d/\d\d/\d{4} \d\d:\d\d$"))
    expect(metric(page, "Dernière sauvegarde")).to_contain_text(datetime.now(PARIS).strftime("%d/%m/%Y"))
    expect(metric(page, "Latence d'écriture")).to_contain_text(" ms")
    expect(page.get_by_test_id("stPlotlyChart")).to_have_count(3)
    expect(page.get_by_role("alert").filter(has_text="attend la modération depuis 42 min")).to_be_visible()
    expect(page.get_by_role("alert").filter(has_text="sans visite depuis 30 min")).to_be_visible()
    expect(page.get_by_role("alert").filter(has_text="sauvegarde")).to_have_count(0)  # one was just written
    expect(page.get_by_role("heading", name="Santé de la base")).to_be_visible()
    violations = audit_main(page)
    assert violations == [], describe(violations)

    # Screen readers read an alert out when its text changes: a refresh that changes no figure rewrites none.
    page.evaluate(WATCH_ALERTS)
    page.wait_for_timeout(12_000)  # a refresh (every 10 s) and its redraw
    assert page.evaluate("() => window.__alertChanges") == 0

    # A contribution arrives: the queue moves without anyone touching the page.
    seed(live_app, 0)
    expect(metric(page, "À modérer")).to_have_text("3", timeout=20_000)
    # And the backlog's alert, whose count changed, was rewritten (the watch above does see changes).
    expect(page.get_by_role("alert").filter(has_text="3 en attente")).to_be_visible()
    assert page.evaluate("() => window.__alertChanges") > 0
