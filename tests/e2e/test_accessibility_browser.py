"""Every page in Chromium, participants' on a phone and staff's on a laptop: an axe-core audit with no serious or
critical violation; contributing and moderating with the keyboard alone.

axe-core comes from npm (package.json pins it; `make test` runs `npm ci`) and is injected into each page.
An exclusion is allowed only for a rule broken inside Streamlit's own frontend that the app cannot fix, for
that rule on the exact elements concerned (never the element for every rule); each is named and justified in
STREAMLIT_EXCLUSIONS, docs/RELIABILITY.md and the accessibility statement.

With ESS_RECORD_AXE_AUDIT=1 the run writes what it found (date, axe-core and browser versions, per-page counts,
exclusions, keyboard journeys passed) to assets/accessibility/axe_audit.json, which the statement page shows:
`ESS_RECORD_AXE_AUDIT=1 .venv/bin/python -m pytest tests/e2e/test_accessibility_browser.py -q`, then commit it.
"""

from __future__ import annotations

import os
import re
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

from db.engine import build_engine, session_scope
from services import accessibility
from services.contributions import ContributionDraft, submit_contribution
from tests.e2e.conftest import LAPTOP, PHONE, ROOT, LiveApp, wait_for_app
from tests.e2e.test_access_browser import logged_in_page
from ui.navigation import PAGES, PageSpec

pytestmark = pytest.mark.browser

PASSWORD = "un-mot-de-passe-solide-2016"

AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
RULE_TAGS = ("wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice")
RECORD = os.environ.get("ESS_RECORD_AXE_AUDIT") == "1"
# Query strings for pages that need one to show their content.
QUERIES = {"stand": "?code=S01"}
PARTICIPANT_PAGES = [p for p in PAGES if p.permission is None]
STAFF_PAGES = [p for p in PAGES if p.permission is not None]

# (axe rule id, CSS selector of the elements concerned, why it cannot be fixed from the app). None today: the
# staff menu, which Streamlit drew as a malformed list (<div>s inside its <ul>), is drawn by the app
# (ui/navigation.run_menu). A new entry must name a rule broken inside Streamlit's own frontend.
STREAMLIT_EXCLUSIONS: tuple[tuple[str, str, str], ...] = ()
# What the run found, for the statement's file (filled by the tests below, written at the module's end).
FOUND: dict[str, Any] = {"pages": {}, "journeys": []}


@pytest.fixture(scope="module")
def app(module_app: LiveApp) -> LiveApp:
    return module_app


@pytest.fixture(scope="module")
def phone_page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True, locale="fr-FR")
    yield context.new_page()
    context.close()


@pytest.fixture(scope="module", autouse=True)
def record(browser: Browser) -> Iterator[None]:
    """Write the audit file once every page of both audiences was audited (only when asked to)."""
    yield
    if not RECORD or set(FOUND["pages"]) != {p.url_path for p in PAGES}:
        return
    done = accessibility.AuditRecord(
        audited_on=datetime.now(UTC).date(),
        axe_core=FOUND["axe"],
        browser=f"Chromium {browser.version}",
        rule_tags=RULE_TAGS,
        pages=tuple(FOUND["pages"][p.url_path] for p in PAGES),
        exclusions=tuple(accessibility.Exclusion(*e) for e in STREAMLIT_EXCLUSIONS),
        keyboard_journeys=tuple(FOUND["journeys"]),
    )
    accessibility.write_audit(done)


_RUN_AXE = """async ([options, exclusions]) => {
    const result = await axe.run(document, options);
    // A named exclusion drops one rule on its own elements only; every other rule still checks them.
    for (const v of result.violations) {
        v.nodes = v.nodes.filter(n => {
            const el = n.target.length === 1 ? document.querySelector(n.target[0]) : null;
            return !exclusions.some(([rule, selector]) => rule === v.id && el && el.matches(selector));
        });
    }
    return {version: axe.version, violations: result.violations.filter(v => v.nodes.length)};
}"""


def audit(page: Page) -> list[dict[str, Any]]:
    """axe-core's violations on the page as it is now (WCAG 2.1 A and AA rules, best practices), all impacts."""
    if not AXE.exists():
        pytest.fail("axe-core manque : lancez `make test` (qui fait `npm ci`) ou `npm ci`.")
    page.add_script_tag(path=str(AXE))
    options = {"runOnly": {"type": "tag", "values": list(RULE_TAGS)}}
    exclusions = [[rule, selector] for rule, selector, _ in STREAMLIT_EXCLUSIONS]
    result = page.evaluate(_RUN_AXE, [options, exclusions])
    FOUND["axe"] = result["version"]
    violations: list[dict[str, Any]] = result["violations"]
    return violations


def blocking(violations: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [v for v in violations if v["impact"] in ("serious", "critical")]


def describe(violations: list[dict[str, Any]]) -> str:
    return "\n".join(
        f"{v['id']} ({v['impact']}): {v['help']} — {[n['target'] for n in v['nodes']][:5]}" for v in violations
    )


def _open(page: Page, url: str, spec: PageSpec) -> None:
    page.goto(url)
    wait_for_app(page)
    # Streamlit serves lang="en"; the app declares French (ui/language.py) for screen readers.
    page.wait_for_function("document.documentElement.lang === 'fr'")
    page.wait_for_function("[...document.images].every(i => i.complete)")  # QR codes drawn late
    if spec.url_path == "projecteur":  # drawn by its fragments just after the first run
        expect(page.get_by_text("Toutes thématiques", exact=True)).to_be_visible()


def _audit_pages(page: Page, app: LiveApp, specs: list[PageSpec], audience: str, viewport: str) -> dict[str, str]:
    found: dict[str, str] = {}
    for spec in specs:
        _open(page, f"{app.url}/{spec.url_path}{QUERIES.get(spec.url_path, '')}", spec)
        violations = audit(page)
        counts = {impact: 0 for impact in accessibility.IMPACTS}
        for v in violations:
            counts[v["impact"]] = counts.get(v["impact"], 0) + len(v["nodes"])
        FOUND["pages"][spec.url_path] = accessibility.AuditedPage(spec.url_path, spec.title, audience, viewport, counts)
        if serious := blocking(violations):
            found[spec.url_path] = describe(serious)
    return found


def test_participant_pages_pass_axe_without_serious_violations(app: LiveApp, phone_page: Page) -> None:
    found = _audit_pages(phone_page, app, PARTICIPANT_PAGES, "participants", "390 × 844")
    assert found == {}, "\n\n".join(f"{k}:\n{v}" for k, v in found.items())


@pytest.mark.slow
def test_staff_pages_pass_axe_without_serious_violations(app: LiveApp, browser: Browser) -> None:
    """Every staff page, as an administrator (who sees them all), on a laptop."""
    page = logged_in_page(browser, app, "admin")
    try:
        found = _audit_pages(page, app, STAFF_PAGES, "équipe", f"{LAPTOP['width']} × {LAPTOP['height']}")
    finally:
        page.context.close()
    assert found == {}, "\n\n".join(f"{k}:\n{v}" for k, v in found.items())


def focused(page: Page) -> dict[str, str]:
    element: dict[str, str] = page.evaluate(
        """() => { const e = document.activeElement; return {
            tag: e.tagName.toLowerCase(), role: e.getAttribute('role') || '',
            label: e.getAttribute('aria-label') || '', text: (e.innerText || '').trim().slice(0, 80),
            labelled: (e.labels && e.labels[0] ? e.labels[0].innerText : '') }; }"""
    )
    return element


def tab_to(page: Page, wanted: str, *, limit: int = 80, exact: bool = False) -> dict[str, str]:
    """Press Tab until the focused element's name or text contains (or ends as) `wanted`; fail if it never does."""
    seen = []
    for _ in range(limit):
        page.keyboard.press("Tab")
        now = focused(page)
        seen.append(now)
        # A menu link's text starts with its icon's name ("fact_check\n\nModération"): exact looks at the last line.
        if any(
            (wanted == (now[k].splitlines() or [""])[-1]) if exact else (wanted in now[k])
            for k in ("label", "text", "labelled")
        ):
            return now
    raise AssertionError(f"« {wanted} » jamais atteint au clavier ; parcours : {seen[-15:]}")


def test_a_contribution_can_be_sent_with_the_keyboard_alone(app: LiveApp, phone_page: Page) -> None:
    body = "Ouvrir les marchés publics aux petites structures de l'ESS par des lots plus petits."
    phone_page.goto(f"{app.url}/contribuer")
    wait_for_app(phone_page)
    expect(phone_page.get_by_role("radio", name="Emploi")).to_be_visible()
    phone_page.locator("body").focus()
    # The themes are one radio group: Tab enters it, the arrow keys move inside it, Space chooses.
    tab_to(phone_page, "Relations avec les institutions")
    for _ in range(5):
        if "Emploi" in focused(phone_page)["text"]:
            break
        phone_page.keyboard.press("ArrowRight")
    assert focused(phone_page)["text"] == "Emploi"
    phone_page.keyboard.press("Space")
    wait_for_app(phone_page)
    expect(phone_page.get_by_role("radio", name="Emploi")).to_have_attribute("aria-checked", "true")
    tab_to(phone_page, "Votre contribution")
    phone_page.keyboard.type(body)
    phone_page.keyboard.press("Tab")  # leaving the field commits its text, as a thumb would
    wait_for_app(phone_page)
    tab_to(phone_page, "Envoyer ma contribution")
    phone_page.keyboard.press("Enter")
    wait_for_app(phone_page)
    expect(phone_page.get_by_text("Contribution enregistrée. Merci !")).to_be_visible()
    expect(phone_page.get_by_test_id("stMetricValue")).to_be_visible()  # the receipt code, read on screen
    FOUND["journeys"].append("Contribuer (téléphone) : choisir le thème, écrire, envoyer, lire le reçu")


def _pending_contribution(app: LiveApp, body: str) -> str:
    engine = build_engine(app.database_url)
    try:
        with session_scope(engine, write=True) as session:
            draft = ContributionDraft(theme_id=1, body=body, idempotency_key=uuid.uuid4().hex)
            return submit_contribution(session=session, draft=draft).receipt_code
    finally:
        engine.dispose()


def test_a_moderator_signs_in_reaches_the_queue_and_publishes_with_the_keyboard_alone(
    app: LiveApp, browser: Browser
) -> None:
    receipt = _pending_contribution(app, "Des cantines scolaires approvisionnées par les coopératives agricoles.")
    app.manage("create-user", "clavier", "--role", "staff", "--password-stdin", stdin=PASSWORD + "\n")
    context = browser.new_context(viewport=LAPTOP, locale="fr-FR")
    page = context.new_page()
    try:
        page.goto(app.url)
        wait_for_app(page)
        page.locator("body").focus()
        # Sign in: the team's form is in the sidebar, folded on narrow screens (Enter unfolds it).
        if not page.get_by_role("textbox", name="Identifiant").is_visible():
            tab_to(page, "Espace équipe")
            page.keyboard.press("Enter")
        tab_to(page, "Identifiant")
        page.keyboard.type("clavier")
        tab_to(page, "Mot de passe")
        page.keyboard.type(PASSWORD)
        page.keyboard.press("Enter")  # Enter in a form's field submits the form
        wait_for_app(page)
        expect(page.get_by_role("button", name="Se déconnecter")).to_be_visible()
        # Reach the queue from the menu.
        page.locator("body").focus()
        tab_to(page, "Modération", exact=True, limit=120)
        page.keyboard.press("Enter")
        wait_for_app(page)
        expect(page.get_by_role("heading", name="Modération", exact=True)).to_be_visible()
        # Select the contribution by typing its receipt code, then publish it.
        option = page.get_by_role("option", name=re.compile(re.escape(receipt))).first
        for _ in range(3):
            # The list's options are filtered as the code is typed: Enter picks the first one once it is drawn. On a
            # loaded machine the page can still redraw just after it opens and drop the focus with the keys typed:
            # start again from the top, as a person would.
            wait_for_app(page)
            page.locator("body").focus()
            tab_to(page, "Sélection", limit=150)
            page.keyboard.type(receipt)
            try:
                option.wait_for(timeout=5_000)
                break
            except PlaywrightTimeoutError:
                page.keyboard.press("Escape")
        expect(option).to_be_visible()
        page.keyboard.press("Enter")
        page.keyboard.press("Escape")
        wait_for_app(page)
        expect(page.get_by_text("Actions sur la sélection (1)")).to_be_visible()
        # After the selection's rerun the focus starts again from the top: the menu, the filters, the table.
        tab_to(page, "Publier", exact=True, limit=150)
        page.keyboard.press("Enter")
        wait_for_app(page)
        expect(page.get_by_text("Contributions publiées : 1.")).to_be_visible()
    finally:
        context.close()
    FOUND["journeys"].append("Modérer (ordinateur) : se connecter, ouvrir la file, sélectionner par le code, publier")
