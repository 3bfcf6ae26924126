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
from tests.e2e.conftest import LiveApp, open_menu_page, staff_login, wait_for_app

pytestmark = pytest.mark.browser

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
    staff_login(page, app, "anne", menu_entry="Rédaction")


def test_moderate_group_draft_and_download_the_word_file(live_app: LiveApp, page: Page) -> None:
    seed(live_app)
    login(page, live_app)
    main = page.get_by_test_id("stMain")

    open_menu_page(page, "Modération")
    main.get_by_role("button", name="Tout sélectionner").click()
    wait_for_app(page)
    main.get_by_role("button", name="Publier", exact=True).click()
    wait_for_app(page)
    expect(main.get_by_text("Contributions publiées : 4.")).to_be_visible(timeout=SLOW)

    open_menu_page(page, "Regroupement")
    main.get_by_role("button", name="Proposer des groupes").click()
    wait_for_app(page)
    expect(main.get_by_text("Groupes proposés : 1.")).to_be_visible(timeout=SLOW)
    main.get_by_role("button", name="Confirmer le groupe").click()
    wait_for_app(page)
    expect(main.get_by_text("confirmé : 3 contributions", exact=False)).to_be_visible(timeout=SLOW)

    open_menu_page(page, "Rédaction")
    form = main.get_by_test_id("stForm").filter(has_text="Enregistrer une nouvelle version")
    form.get_by_role("textbox", name="Titre").fill(NEW_TITLE)
    form.get_by_role("button", name="Enregistrer une nouvelle version").click()
    wait_for_app(page)
    expect(main.get_by_text("Version 2 enregistrée.")).to_be_visible(timeout=SLOW)

    open_menu_page(page, "Exports")
    main.get_by_role("button", name="Préparer le document Word").click()
    wait_for_app(page)
    with page.expect_download() as download:
        main.get_by_role("button", name="Télécharger le document Word").click()
    assert download.value.suggested_filename.endswith(".docx")
    document = docx.Document(io.BytesIO(download.value.path().read_bytes()))
    headings = [p.text for p in document.paragraphs if p.style is not None and p.style.name.startswith("Heading")]
    assert any(NEW_TITLE in h for h in headings)
    assert headings[-1] == "Annexe — sources"
