"""The app shell in a real browser: login, cookie, logout revocation (deep links: test_access_browser.py)."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, Page, expect

from db.engine import build_engine
from services import auth
from tests.e2e.conftest import LAPTOP, LiveApp, menu, open_menu_page, wait_for_app
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


# Deep links to every page, for every role, on a freshly started server: tests/e2e/test_access_browser.py
# (one server for all URL × role pairs instead of one server per page).


def test_login_survives_reload_and_logout_revokes_the_cookie_and_an_attack_cannot_lock_the_owner_out(
    live_app: LiveApp, page: Page, browser: Browser
) -> None:
    live_app.manage(
        "create-user", "claire", "--role", "admin", "--password-stdin", "--name", "Claire Martin", stdin=PASSWORD + "\n"
    )
    page.goto(live_app.url)
    wait_for_app(page)
    _login(page, "claire", "mauvais-mot-de-passe")
    expect(page.get_by_text("Identifiant ou mot de passe incorrect.")).to_be_visible()

    _login(page, "claire", PASSWORD)
    nav = menu(page)
    expect(nav.get_by_text("Comptes de l'équipe")).to_be_visible()
    # The login's own run, no other click: who is logged in, the way out, and no password left in the page.
    sidebar = page.get_by_test_id("stSidebar")
    expect(sidebar.get_by_role("button", name="Se déconnecter")).to_be_visible()
    expect(sidebar.get_by_text("Connecté·e en tant que")).to_be_visible()
    expect(sidebar.get_by_text("Claire Martin", exact=False)).to_be_visible()
    expect(page.get_by_role("textbox", name="Mot de passe")).to_have_count(0)
    assert PASSWORD not in page.content()
    page.wait_for_timeout(1000)  # the cookie component writes asynchronously
    cookie = next(c for c in page.context.cookies() if c["name"] == "ess_staff_auth")

    page.reload()
    wait_for_app(page)
    expect(menu(page).get_by_text("Comptes de l'équipe")).to_be_visible()
    open_menu_page(page, "Comptes de l'équipe")

    page.get_by_role("button", name="Se déconnecter").click()
    wait_for_app(page)
    expect(page.get_by_test_id("stExpander").get_by_text("Espace équipe", exact=True)).to_be_visible()
    page.reload()
    wait_for_app(page)
    assert "Comptes de l'équipe" not in page.locator("body").inner_text()

    # An attacker who copied the cookie before the logout gets nothing from it.
    thief = browser.new_context(viewport=LAPTOP)
    # The cookie read back, as is: playwright types add_cookies with SetCookieParam (the same keys, Optional
    # values), which it does not export, so a Cookie cannot be named as one.
    thief.add_cookies([cookie])  # type: ignore[list-item]
    stolen = thief.new_page()
    stolen.goto(f"{live_app.url}/comptes")
    wait_for_app(stolen)
    assert "Comptes de l'équipe" not in stolen.locator("body").inner_text()
    expect(stolen.get_by_test_id("stExpander").get_by_text("Espace équipe", exact=True)).to_be_visible()

    # Someone now keeps guessing Claire's password (five tries a minute, from browsers that never logged in).
    assert any(c["name"] == "ess_staff_device" for c in page.context.cookies())
    engine = build_engine(live_app.database_url)
    for n in range(5):
        auth.attempt_login(engine=engine, username="claire", password=f"devine-{n}", session_key=f"attaque-{n}")
    engine.dispose()
    thief.close()
    # Any browser that never logged in to her account is held back, even with the right password…
    stranger = browser.new_context(viewport=LAPTOP)
    other = stranger.new_page()
    other.goto(live_app.url)
    wait_for_app(other)
    _login(other, "claire", PASSWORD)
    expect(other.get_by_text("Trop de tentatives de connexion.", exact=False)).to_be_visible()
    stranger.close()
    # …but Claire, on the browser she logged in with before, gets in.
    page.reload()
    wait_for_app(page)
    _login(page, "claire", PASSWORD)
    expect(menu(page).get_by_text("Comptes de l'équipe")).to_be_visible()
