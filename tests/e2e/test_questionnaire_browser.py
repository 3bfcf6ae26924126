"""The questionnaire in a real browser: a staff import from upload to report, an actor answering on a phone."""

from __future__ import annotations

import sqlite3

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import LiveApp, open_menu_page, staff_login, wait_for_app
from tests.fixtures.questionnaire_files import FIXTURES

pytestmark = pytest.mark.browser

# A fresh server's first runs import the whole app: on a busy two-core machine that exceeds the 5 s default.
SLOW = 20_000


def login(page: Page, app: LiveApp, username: str) -> None:
    staff_login(page, app, username, menu_entry="Import du questionnaire")


def test_upload_mapping_preview_import_report(live_app: LiveApp, page: Page) -> None:
    login(page, live_app, "anne")
    open_menu_page(page, "Import du questionnaire", "Import des réponses au questionnaire")

    page.locator("[data-testid=stFileUploader] input[type=file]").set_input_files(
        str(FIXTURES / "acteurs_windows1252.csv")
    )
    main = page.get_by_test_id("stMain")
    expect(main.get_by_text("encodage Windows-1252 · séparateur point-virgule", exact=False)).to_be_visible(
        timeout=SLOW
    )
    # The preview is computed in the same run as the mapping: once it shows, the page is still.
    summary = "6 lignes lues : 4 à importer, 0 déjà présentes, 2 rejetées"
    expect(main.get_by_text(summary, exact=False)).to_be_visible(timeout=SLOW)
    wait_for_app(page)

    # Mapping: the proposal is there; staff send "Remarques" to the respondent's name.
    remarks = page.locator("[class*=st-key-imp_column_9]")
    expect(remarks.get_by_text("Remarques", exact=True)).to_be_visible()
    option = page.get_by_role("option", name="Répondant · Nom de la personne")
    remarks.get_by_role("combobox").click()
    if not option.is_visible():  # the list closes if a rerun lands on the click: open it again
        wait_for_app(page)
        remarks.get_by_role("combobox").click()
    option.click()
    wait_for_app(page)

    # Preview: every row checked, the first ones as they will be stored.
    expect(main.get_by_text(summary, exact=False)).to_be_visible()
    expect(main.get_by_test_id("stDataFrame").first).to_be_visible()

    # Import, then the report.
    main.get_by_role("button", name="Importer 4 réponses").click()
    wait_for_app(page)
    done = "Import terminé. 6 lignes lues : 4 importées, 0 déjà présentes, 2 rejetées"
    expect(main.get_by_text(done)).to_be_visible(timeout=SLOW)
    with page.expect_download() as download:
        main.get_by_role("button", name="Télécharger le rapport (CSV)").click()
    report = download.value.path().read_bytes().decode("utf-8-sig").splitlines()
    assert report[0] == "Ligne;Type;Colonne;Valeur;Motif"
    assert report[1].startswith("4;Rejet;De 1 à 5") and report[3].startswith("6;Rejet;Département;Bretagne")
    # The corrected mapping was the one used: "Remarques" became the respondent's name.
    with sqlite3.connect(live_app.database_url.removeprefix("sqlite:///")) as conn:
        names = {row[0] for row in conn.execute("SELECT respondent_name FROM questionnaireresponse")}
    assert names == {"RAS", ""}


def test_an_actor_answers_on_a_phone_and_gets_a_resume_code(live_app: LiveApp, phone: Page) -> None:
    phone.goto(f"{live_app.url}/questionnaire")
    wait_for_app(phone)
    main = phone.get_by_test_id("stMain")
    # A deep link on a fresh server: the first run imports the app, which takes a few seconds on a busy machine.
    expect(main.get_by_role("heading", name="Questionnaire aux acteurs")).to_be_visible(timeout=SLOW)
    main.get_by_role("button", name="Commencer").click()
    wait_for_app(phone)
    expect(main.get_by_text("Étape 1 sur 7 · Votre structure")).to_be_visible(timeout=SLOW)
    main.get_by_role("button", name="Suivant").click()
    wait_for_app(phone)
    expect(main.get_by_text("Cette question est obligatoire.").first).to_be_visible(timeout=SLOW)

    main.get_by_text("1 à 9 salariés", exact=True).click()
    main.get_by_text("Insertion et emploi", exact=True).click()
    wait_for_app(phone)
    main.get_by_role("button", name="Suivant").click()
    wait_for_app(phone)
    expect(main.get_by_text("Étape 2 sur 7 · Relations avec les institutions")).to_be_visible(timeout=SLOW)
    main.get_by_role("button", name="Finir plus tard").click()
    wait_for_app(phone)
    code = main.get_by_test_id("stCode").inner_text().strip()
    assert len(code) == 14 and code.count("-") == 2
