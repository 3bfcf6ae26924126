"""After the conference in a real browser: moderate → group → draft → download the Word file of the strategy."""

from __future__ import annotations

import io
import uuid

import docx
import pytest
from playwright.sync_api import Page, expect

from db.engine import build_engine, session_scope
from services import contributions
from services.contributions import ContributionDraft
from tests.e2e.conftest import LiveApp, wait_for_app

pytestmark = pytest.mark.browser

PASSWORD = "un-mot-de-passe-solide-2016"
SLOW = 20_000
TEXTS = [
    "Créer un guichet unique pour les aides régionales aux associations de l'ESS.",
    "Creer un guichet unique pour les aides regionales aux associations de l'ESS",
    "Un guichet unic pour toutes les aides de la région aux associations !",
    "Développer les achats publics responsables auprès des entreprises d'insertion.",
]
NEW_TITLE = "Un guichet unique des aides régionales pour les structures de l'ESS"


def seed(app: LiveApp) -> None:
    engine = build_engine(app.database_url)
    with session_scope(engine, write=True) as session:
        for text in TEXTS:
            draft = ContributionDraft(theme_id=1, body=text, idempotency_key=uuid.uuid4().hex)
            contributions.submit_contribution(session=session, draft=draft)
    engine.dispose()


def login(page: Page, app: LiveApp) -> None:
    app.manage("create-user", "anne", "--role", "staff", "--password-stdin", "--name", "Anne", stdin=PASSWORD + "\n")
    page.goto(app.url)
    expect(page.get_by_role("heading", name="Conférence régionale de l'ESS")).to_be_visible(timeout=SLOW)
    wait_for_app(page)
    if not page.get_by_role("textbox", name="Identifiant").is_visible():
        page.get_by_test_id("stExpander").get_by_text("Espace équipe", exact=True).click()
    page.get_by_role("textbox", name="Identifiant").fill("anne")
    page.get_by_role("textbox", name="Mot de passe").fill(PASSWORD)
    page.get_by_test_id("stFormSubmitButton").get_by_role("button").click()
    wait_for_app(page)
    expect(page.get_by_test_id("stSidebarNav").get_by_text("Rédaction", exact=True)).to_be_visible(timeout=SLOW)


def open_page(page: Page, title: str) -> None:
    heading = page.get_by_role("heading", name=title, exact=True)
    for _ in range(3):  # on a saturated machine a click can land during a rerun and be dropped: click again
        page.get_by_test_id("stSidebarNav").get_by_text(title, exact=True).click()
        wait_for_app(page, timeout=40_000)
        try:
            expect(heading).to_be_visible(timeout=SLOW)
            return
        except AssertionError:
            continue
    expect(heading).to_be_visible(timeout=SLOW)


def test_moderate_group_draft_and_download_the_word_file(live_app: LiveApp, page: Page) -> None:
    seed(live_app)
    login(page, live_app)
    main = page.get_by_test_id("stMain")

    open_page(page, "Modération")
    main.get_by_role("button", name="Tout sélectionner").click()
    wait_for_app(page)
    main.get_by_role("button", name="Publier", exact=True).click()
    wait_for_app(page)
    expect(main.get_by_text("Contributions publiées : 4.")).to_be_visible(timeout=SLOW)

    open_page(page, "Regroupement")
    main.get_by_role("button", name="Proposer des groupes").click()
    wait_for_app(page)
    expect(main.get_by_text("Groupes proposés : 1.")).to_be_visible(timeout=SLOW)
    main.get_by_role("button", name="Confirmer le groupe").click()
    wait_for_app(page)
    expect(main.get_by_text("confirmé : 3 contributions", exact=False)).to_be_visible(timeout=SLOW)

    open_page(page, "Rédaction")
    form = main.get_by_test_id("stForm").filter(has_text="Enregistrer une nouvelle version")
    form.get_by_role("textbox", name="Titre").fill(NEW_TITLE)
    form.get_by_role("button", name="Enregistrer une nouvelle version").click()
    wait_for_app(page)
    expect(main.get_by_text("Version 2 enregistrée.")).to_be_visible(timeout=SLOW)

    open_page(page, "Exports")
    main.get_by_role("button", name="Préparer le document Word").click()
    wait_for_app(page)
    with page.expect_download() as download:
        main.get_by_role("button", name="Télécharger le document Word").click()
    assert download.value.suggested_filename.endswith(".docx")
    document = docx.Document(io.BytesIO(download.value.path().read_bytes()))
    headings = [p.text for p in document.paragraphs if p.style is not None and p.style.name.startswith("Heading")]
    assert any(NEW_TITLE in h for h in headings)
    assert headings[-1] == "Annexe — sources"
