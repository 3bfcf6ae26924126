"""The public results page in headless Chromium: an anonymous phone finds nothing before staff publish, then the
results and the open data, never a pending or rejected text; staff preview and publish from « Exports »."""

from __future__ import annotations

import io
import zipfile

import pytest
from playwright.sync_api import Page, expect

from db.engine import build_engine
from tests.e2e.conftest import LiveApp, menu, open_menu_page, staff_login, wait_for_app
from tests.public_seed import PENDING_MARKER, PUBLISHED_MARKER, REJECTED_MARKER, PublicSeed, seed_public

pytestmark = pytest.mark.browser
SHOTS = "/tmp/shots/public"


def _seed(app: LiveApp) -> PublicSeed:
    engine = build_engine(app.database_url)
    try:
        return seed_public(engine)
    finally:
        engine.dispose()


def _main_text(page: Page) -> str:
    return page.get_by_test_id("stMain").inner_text()


def _results_links(page: Page) -> int:
    return menu(page).get_by_role("link").filter(has_text="Résultats").count()


def test_an_anonymous_visitor_sees_the_results_only_once_staff_publish_them(
    live_app: LiveApp, phone: Page, page: Page
) -> None:
    seed = _seed(live_app)
    phone.goto(f"{live_app.url}/resultats")
    wait_for_app(phone)
    expect(phone.get_by_text("ne sont pas encore publiés")).to_be_visible()
    before = _main_text(phone)
    assert PUBLISHED_MARKER not in before and PENDING_MARKER not in before
    assert _results_links(phone) == 0  # not in the menu yet
    phone.screenshot(path=f"{SHOTS}/phone-before.png", full_page=True)

    staff_login(page, live_app, "equipe", menu_entry="Exports")
    open_menu_page(page, "Exports")
    page.get_by_text("Aperçu de la page publique").click()
    wait_for_app(page)
    expect(page.get_by_text(PUBLISHED_MARKER)).to_be_visible()
    preview = _main_text(page)
    assert PENDING_MARKER not in preview and REJECTED_MARKER not in preview
    page.get_by_role("button", name="Publier les résultats").click()
    wait_for_app(page)
    expect(page.get_by_role("button", name="Publier la stratégie")).to_be_visible()
    page.get_by_text("Publication des résultats").scroll_into_view_if_needed()
    page.screenshot(path=f"{SHOTS}/laptop-staff-preview.png", full_page=True)

    phone.reload()
    wait_for_app(phone)
    expect(phone.get_by_text(PUBLISHED_MARKER).first).to_be_visible()
    expect(phone.get_by_text(seed.orientation_code).first).to_be_visible()
    after = phone.locator("body").inner_text()
    assert PENDING_MARKER not in after and REJECTED_MARKER not in after and "06 12 34 56 78" not in after
    assert _results_links(phone) == 1  # now in the menu
    phone.screenshot(path=f"{SHOTS}/phone-after.png", full_page=True)
    with phone.expect_download() as download:
        phone.get_by_role("button", name="Télécharger les données ouvertes (zip)").click()
    with zipfile.ZipFile(io.BytesIO(open(download.value.path(), "rb").read())) as archive:
        contents = {name: archive.read(name).decode("utf-8") for name in archive.namelist()}
    assert any(PUBLISHED_MARKER in text for text in contents.values())
    for name, text in contents.items():
        assert PENDING_MARKER not in text and REJECTED_MARKER not in text, name

    page.get_by_role("button", name="Publier la stratégie").click()
    wait_for_app(page)
    page.goto(f"{live_app.url}/resultats")
    wait_for_app(page)
    expect(page.get_by_text("Sources : 3 contributions").first).to_be_visible()
    page.screenshot(path=f"{SHOTS}/laptop-strategy.png", full_page=True)
    shown = page.locator("body").inner_text()
    assert PENDING_MARKER not in shown and REJECTED_MARKER not in shown
