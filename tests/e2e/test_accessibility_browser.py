"""Participant pages in Chromium on a phone: an axe-core audit with no serious or critical violation, and the
contribution form used with the keyboard alone.

axe-core comes from npm (package.json pins it; `make test` runs `npm ci`) and is injected into each page.
An exclusion is allowed only for a rule broken inside Streamlit's own frontend that the app cannot fix,
for the exact element concerned; each is explained in docs/RELIABILITY.md.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.e2e.conftest import PHONE, ROOT, LiveApp, wait_for_app

pytestmark = pytest.mark.browser

AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
PARTICIPANT_URLS = {
    "accueil": "accueil",
    "contribuer": "contribuer",
    "avis": "avis",
    "mes contributions": "mes-contributions",
    "stand": "stand?code=S01",
    "passeport": "passeport",
    "questionnaire": "questionnaire",
    "PTCE": "ptce",
    "rejoindre": "rejoindre",
    "circuit": "circuit",
}
# (rule id, CSS selector of the one element concerned): Streamlit frontend parts the app cannot change.
STREAMLIT_EXCLUSIONS: tuple[tuple[str, str], ...] = ()


@pytest.fixture(scope="module")
def app(module_app: LiveApp) -> LiveApp:
    return module_app


@pytest.fixture(scope="module")
def phone_page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True, locale="fr-FR")
    yield context.new_page()
    context.close()


def audit(page: Page) -> list[dict[str, Any]]:
    """axe-core's serious and critical violations on the page as it is now (WCAG 2.1 A and AA rules)."""
    if not AXE.exists():
        pytest.fail("axe-core manque : lancez `make test` (qui fait `npm ci`) ou `npm ci`.")
    page.add_script_tag(path=str(AXE))
    options = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]}}
    exclude = [[selector] for _, selector in STREAMLIT_EXCLUSIONS]
    result = page.evaluate(
        "async ([options, exclude]) => await axe.run({include: [document], exclude}, options)", [options, exclude]
    )
    return [v for v in result["violations"] if v["impact"] in ("serious", "critical")]


def describe(violations: list[dict[str, Any]]) -> str:
    return "\n".join(
        f"{v['id']} ({v['impact']}): {v['help']} — {[n['target'] for n in v['nodes']][:5]}" for v in violations
    )


def test_participant_pages_pass_axe_without_serious_violations(app: LiveApp, phone_page: Page) -> None:
    found: dict[str, str] = {}
    for name, path in PARTICIPANT_URLS.items():
        phone_page.goto(f"{app.url}/{path}")
        wait_for_app(phone_page)
        # Streamlit serves lang="en"; the app declares French (ui/language.py) for screen readers.
        phone_page.wait_for_function("document.documentElement.lang === 'fr'")
        phone_page.wait_for_function("[...document.images].every(i => i.complete)")  # QR codes drawn late
        if violations := audit(phone_page):
            found[name] = describe(violations)
    assert found == {}, "\n\n".join(f"{k}:\n{v}" for k, v in found.items())


def focused(page: Page) -> dict[str, str]:
    element: dict[str, str] = page.evaluate(
        """() => { const e = document.activeElement; return {
            tag: e.tagName.toLowerCase(), role: e.getAttribute('role') || '',
            label: e.getAttribute('aria-label') || '', text: (e.innerText || '').trim().slice(0, 80),
            labelled: (e.labels && e.labels[0] ? e.labels[0].innerText : '') }; }"""
    )
    return element


def tab_to(page: Page, wanted: str, *, limit: int = 80) -> dict[str, str]:
    """Press Tab until the focused element's name or text contains `wanted`; fail if it never does."""
    seen = []
    for _ in range(limit):
        page.keyboard.press("Tab")
        now = focused(page)
        seen.append(now)
        if any(wanted in now[k] for k in ("label", "text", "labelled")):
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
