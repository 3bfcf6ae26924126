"""Every page's URL opened directly, by every role, on one freshly started server: content only where allowed.

One `streamlit run` for the whole module (its first request is the anonymous sweep, so the server is as
fresh as after a restart) and one browser context per role, logged in through the real form; then a
table-driven loop over URL × role rather than a server per case.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, Page
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

from services.auth import StaffAccount
from tests.e2e.conftest import DEFAULT_TIMEOUT_MS, LAPTOP, LiveApp, menu, wait_for_app
from tests.e2e.test_shell_browser import _login
from ui.navigation import PAGES, PageSpec, visible_pages

pytestmark = pytest.mark.browser

PASSWORD = "un-mot-de-passe-solide-2016"
ROLES = (None, "organizer", "staff", "admin")
# What only the page itself draws: its title (the room screen has none, its metric instead).
MARKERS = {
    "accueil": "Conférence régionale de l'ESS",
    "contribuer": "Contribuer",
    "avis": "Donner mon avis",
    "mes-contributions": "Mes contributions",
    "rejoindre": "Participez à la stratégie régionale de l'ESS",
    "circuit": "Le circuit de la chasse aux trésors",
    "stand": "Stand introuvable",
    "passeport": "Mon passeport",
    "ptce": "PTCE",  # the 2016 edition's name for its projects
    "questionnaire": "Questionnaire aux acteurs",
    "accessibilite": "Déclaration d'accessibilité",
    "resultats": "Résultats de la conférence",
    "direct": "En direct",
    "verdict": "Verdict de la salle",
    "pilotage-vote": "Pilotage du vote",
    "operations": "Opérations du jour",
    "projecteur": "Toutes thématiques",
    "compte": "Mon compte",
    "saisie": "Saisie groupée",
    "import-questionnaire": "Import des réponses au questionnaire",
    "resultats-questionnaire": "Résultats du questionnaire",
    "moderation": "Modération",
    "regroupement": "Regroupement",
    "redaction": "Rédaction",
    "exports": "Exports",
    "donnees-personnelles": "Données personnelles",
    "file-moderation": "File de modération",
    "circuit-direct": "Circuit en direct",
    "stands": "Stands du circuit",
    "comptes": "Comptes de l'équipe",
    "referentiel": "Données de référence",
    "comparer": "Comparer avec l'édition précédente",
    "editions": "Éditions de la conférence",
    "suivi": "Suivre ma contribution",
    "mes-donnees": "Mes données",
}


@pytest.fixture(scope="module")
def app(module_app: LiveApp) -> LiveApp:
    return module_app


def _marker_shown(page: Page, spec: PageSpec) -> bool:
    main = page.get_by_test_id("stMain")
    if spec.url_path == "projecteur":
        return main.get_by_text(MARKERS[spec.url_path], exact=True).count() > 0
    return main.get_by_role("heading", name=MARKERS[spec.url_path], exact=True).count() > 0


def _open(page: Page, url: str, spec: PageSpec | None) -> None:
    page.goto(url)
    wait_for_app(page)
    # Whatever page is drawn (the one asked for, or the home page instead), its title comes first.
    page.locator("[data-testid=stMain] :is(h1, [data-testid=stMetric])").first.wait_for()
    if spec is not None and spec.url_path == "projecteur":  # drawn by a fragment just after the first run
        page.get_by_test_id("stMain").get_by_text(MARKERS["projecteur"], exact=True).first.wait_for(
            timeout=DEFAULT_TIMEOUT_MS
        )


def logged_in_page(browser: Browser, app: LiveApp, role: str) -> Page:
    """A fresh context logged in through the real form as a new account of `role`, its cookie written."""
    app.manage("create-user", f"qa-{role}", "--role", role, "--password-stdin", stdin=PASSWORD + "\n")
    page = browser.new_context(viewport=LAPTOP, locale="fr-FR").new_page()
    page.goto(app.url)
    wait_for_app(page)  # the session's first run over: the form is drawn where it stays
    _login(page, f"qa-{role}", PASSWORD)
    # The login's own run draws either the way out or the form's refusal (throttled, service busy, store down):
    # a refusal fails here with its sentence, not as a missing cookie.
    sidebar = page.get_by_test_id("stSidebar")
    logout = sidebar.get_by_role("button", name="Se déconnecter")
    refusal = sidebar.get_by_test_id("stExpander").get_by_test_id("stAlert")
    outcome = logout.or_(refusal).first
    try:
        outcome.wait_for(timeout=DEFAULT_TIMEOUT_MS)
    except PlaywrightTimeoutError:
        # Seen once in a few hundred logins on a saturated machine: the app idle, the form still filled in, no
        # run for the click (as open_menu_page, a click landing during a rerun can be dropped). Submit once
        # more, as a person would; a second silence is a failure.
        page.get_by_test_id("stFormSubmitButton").get_by_role("button").click()
        wait_for_app(page)
        try:
            outcome.wait_for(timeout=DEFAULT_TIMEOUT_MS)
        except PlaywrightTimeoutError:
            state = page.get_by_test_id("stApp").evaluate(
                "e => e.dataset.testScriptState + ' / ' + e.dataset.testConnectionState"
            )
            pytest.fail(f"{role}: the login form drew no outcome (app {state}); sidebar: {sidebar.inner_text()[:1500]}")
    assert logout.is_visible(), f"{role}: login refused: {refusal.first.inner_text()}"
    # The cookie is written by a script the login run draws in the sidebar: a deep link before it lands would be
    # anonymous. It is not HttpOnly, so the page itself sees it.
    page.wait_for_function(
        "name => document.cookie.split('; ').some(c => c.startsWith(name + '='))",
        arg="ess_staff_auth",
        timeout=DEFAULT_TIMEOUT_MS,
    )
    return page


def allowed_paths(role: str | None) -> set[str]:
    account = None if role is None else StaffAccount(0, "x", "x", "", role, True, None)
    return {spec.url_path for spec in visible_pages(account)}


def test_every_url_shows_content_only_to_the_roles_allowed_to_see_it(app: LiveApp, browser: Browser) -> None:
    failures: list[str] = []
    for role in ROLES:  # anonymous first: the server has served nobody yet
        page = (
            browser.new_context(viewport=LAPTOP, locale="fr-FR").new_page()
            if role is None
            else logged_in_page(browser, app, role)
        )
        allowed = allowed_paths(role)
        for spec in PAGES:
            _open(page, f"{app.url}/{spec.url_path}", spec if spec.url_path in allowed else None)
            shown = _marker_shown(page, spec)
            if spec.url_path in allowed and not shown:
                failures.append(f"{role or 'anonyme'} ne voit pas /{spec.url_path}")
            if spec.url_path not in allowed:
                text = page.get_by_test_id("stMain").inner_text()
                if shown or page.get_by_test_id("stDataFrame").count() or "Traceback" in text:
                    failures.append(f"{role or 'anonyme'} voit le contenu de /{spec.url_path}")
                # It lands on the home page, and its menu does not offer the page either.
                if not page.get_by_role("heading", name=MARKERS["accueil"], exact=True).count():
                    failures.append(f"{role or 'anonyme'} sur /{spec.url_path} n'arrive pas à l'accueil")
                nav = menu(page)
                if nav.count() and nav.get_by_text(spec.title, exact=True).count():
                    failures.append(f"{role or 'anonyme'} a /{spec.url_path} dans son menu")
        page.context.close()
    assert failures == []
