"""Similar contributions while typing, on a phone (390 × 844): they appear after a pause in the typing, before
« Envoyer » is tapped and before the text area is left; a pending contribution with the same words never does."""

from __future__ import annotations

import os
import uuid
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect
from sqlmodel import select

from db.engine import build_engine, session_scope
from models import Theme
from services import contributions
from services.contributions import ContributionDraft
from tests.e2e.conftest import LAPTOP, LiveApp, wait_for_app

pytestmark = [pytest.mark.browser, pytest.mark.slow]

THEME = "Emploi"
PUBLISHED = "Mutualiser un poste de comptable entre plusieurs petites associations du territoire."
PENDING = "Créer une monnaie locale pour payer les salaires dans les associations du territoire."
# The published idea in other words, typed key by key as on a phone.
REWORDED = "Partager un comptable entre petites assos du territoire"
SUGGESTIONS = "Des contributions proches existent déjà"
# Where the screenshots go when SCREENSHOTS_DIR is set (a person looks at them); else the test's own folder.
SHOTS = os.environ.get("SCREENSHOTS_DIR")


def seed(app: LiveApp) -> None:
    engine = build_engine(app.database_url)
    try:
        with session_scope(engine, write=True) as session:
            theme_id = session.exec(select(Theme.id).where(Theme.short_label == THEME)).one()
            for body, status in ((PUBLISHED, "published"), (PENDING, "pending")):
                draft = ContributionDraft(theme_id=theme_id, body=body, status=status, idempotency_key=uuid.uuid4().hex)
                contributions.submit_contribution(session=session, draft=draft)
    finally:
        engine.dispose()


def textarea(page: Page):  # type: ignore[no-untyped-def]
    return page.get_by_test_id("stTextArea").locator("textarea")


def open_form_with_theme(page: Page, app: LiveApp) -> None:
    page.goto(f"{app.url}/contribuer")
    wait_for_app(page)
    page.get_by_role("radio", name=THEME).click()
    wait_for_app(page)


def shoot(page: Page, tmp_path: Path, name: str) -> None:
    folder = Path(SHOTS) if SHOTS else tmp_path
    folder.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(folder / f"{name}.png"), full_page=False)


def test_a_reworded_published_idea_shows_while_typing_a_pending_one_never(
    live_app: LiveApp, phone: Page, browser: Browser, tmp_path: Path
) -> None:
    seed(live_app)
    open_form_with_theme(phone, live_app)
    field = textarea(phone)
    field.click()
    field.press_sequentially(REWORDED, delay=40)
    # No blur, no « Envoyer »: the pause in the typing is enough. (The first one loads the model and the word
    # tables in the fresh server: a loaded machine is given time.)
    expect(phone.get_by_text(SUGGESTIONS)).to_be_visible(timeout=60_000)
    expect(phone.get_by_text(PUBLISHED)).to_be_visible()
    expect(phone.get_by_role("button", name="Je soutiens celle-ci")).to_be_visible()
    assert phone.evaluate("() => document.activeElement && document.activeElement.tagName") == "TEXTAREA"
    expect(field).to_have_value(REWORDED)  # nothing typed was lost to the reruns
    assert phone.get_by_text(PENDING).count() == 0
    phone.get_by_role("button", name="Je soutiens celle-ci").scroll_into_view_if_needed()
    shoot(phone, tmp_path, "typing-phone-390x844")

    # The pending one's own words, typed: still never shown.
    field.press_sequentially(" et créer une monnaie locale pour payer les salaires", delay=20)
    phone.wait_for_timeout(1500)
    wait_for_app(phone)
    assert phone.get_by_text(PENDING).count() == 0
    expect(field).to_have_value(REWORDED + " et créer une monnaie locale pour payer les salaires")

    # Sent as typed, and the server still validates it.
    phone.get_by_role("button", name="Envoyer ma contribution").click()
    wait_for_app(phone)
    expect(phone.get_by_text("Contribution enregistrée. Merci !")).to_be_visible()
    phone.get_by_role("button", name="Écrire une autre contribution").click()
    wait_for_app(phone)
    expect(textarea(phone)).to_have_value("")
    assert phone.get_by_text(SUGGESTIONS).count() == 0

    context = browser.new_context(viewport=LAPTOP, locale="fr-FR")
    laptop = context.new_page()
    laptop.set_viewport_size({"width": 1280, "height": 800})
    open_form_with_theme(laptop, live_app)
    textarea(laptop).click()
    textarea(laptop).press_sequentially(REWORDED, delay=30)
    expect(laptop.get_by_text(PUBLISHED)).to_be_visible()
    laptop.get_by_role("button", name="Je soutiens celle-ci").scroll_into_view_if_needed()
    shoot(laptop, tmp_path, "typing-laptop-1280x800")
    context.close()
    # Every run went through: no error the participant would not see (the app shows none, the log keeps them).
    assert "Traceback" not in live_app.log.read_text(errors="replace")
