"""The app shell in a real browser: deep links on a fresh server, login, cookie, logout revocation."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.e2e.conftest import LAPTOP, LiveApp, wait_for_app
from ui.navigation import PAGES

pytestmark = pytest.mark.browser

STAFF_PAGES = [p for p in PAGES if p.permission is not None]
PASSWORD = "un-mot-de-passe-solide-2016"


def _login(page: Page, username: str, password: str) -> None:
    field = page.get_by_role("textbox", name="Identifiant")
    if not field.is_visible():
        page.get_by_test_id("stExpander").get_by_text("Espace équipe", exact=True).click()
    page.get_by_role("textbox", name="Identifiant").fill(username)
    page.get_by_role("textbox", name="Mot de passe").fill(password)
    page.get_by_test_id("stFormSubmitButton").get_by_role("button").click()
    wait_for_app(page)


@pytest.mark.parametrize("spec", STAFF_PAGES, ids=lambda p: p.url_path)
def test_anonymous_deep_link_on_a_fresh_server_shows_no_staff_content(live_app: LiveApp, page: Page, spec) -> None:  # type: ignore[no-untyped-def]
    """Each staff page, opened by its URL as the very first request of a freshly started server."""
    page.goto(f"{live_app.url}/{spec.url_path}")
    wait_for_app(page)
    expect(page.get_by_role("heading", name="Conférence régionale de l'ESS")).to_be_visible()
    body = page.locator("[data-testid=stMain]").inner_text()
    for other in STAFF_PAGES:
        assert other.title not in body
    assert (
        page.get_by_test_id("stSidebarNav").count() == 0
        or spec.title not in page.get_by_test_id("stSidebarNav").inner_text()
    )


def test_login_survives_reload_and_logout_revokes_the_cookie(live_app: LiveApp, page: Page, browser: Browser) -> None:
    live_app.manage(
        "create-user", "claire", "--role", "admin", "--password-stdin", "--name", "Claire Martin", stdin=PASSWORD + "\n"
    )
    page.goto(live_app.url)
    wait_for_app(page)
    _login(page, "claire", "mauvais-mot-de-passe")
    expect(page.get_by_text("Identifiant ou mot de passe incorrect.")).to_be_visible()

    _login(page, "claire", PASSWORD)
    nav = page.get_by_test_id("stSidebarNav")
    expect(nav.get_by_text("Comptes de l'équipe")).to_be_visible()
    page.wait_for_timeout(1000)  # the cookie component writes asynchronously
    cookie = next(c for c in page.context.cookies() if c["name"] == "ess_staff_auth")

    page.reload()
    wait_for_app(page)
    expect(page.get_by_test_id("stSidebarNav").get_by_text("Comptes de l'équipe")).to_be_visible()
    page.get_by_test_id("stSidebarNav").get_by_text("Comptes de l'équipe").click()
    wait_for_app(page)
    expect(page.get_by_role("heading", name="Comptes de l'équipe")).to_be_visible()

    page.get_by_role("button", name="Se déconnecter").click()
    wait_for_app(page)
    expect(page.get_by_test_id("stExpander").get_by_text("Espace équipe", exact=True)).to_be_visible()
    page.reload()
    wait_for_app(page)
    assert "Comptes de l'équipe" not in page.locator("body").inner_text()

    # An attacker who copied the cookie before the logout gets nothing from it.
    thief = browser.new_context(viewport=LAPTOP)
    thief.add_cookies([cookie])
    stolen = thief.new_page()
    stolen.goto(f"{live_app.url}/comptes")
    wait_for_app(stolen)
    assert "Comptes de l'équipe" not in stolen.locator("body").inner_text()
    expect(stolen.get_by_test_id("stExpander").get_by_text("Espace équipe", exact=True)).to_be_visible()
    thief.close()
