"""Any Région, any edition, in a real browser.

An admin creates the Centre-Val de Loire edition from its pack and a third one by copying 2016, then edits a
theme and a stand of the copy in the app and opens it. A phone contributes to each edition through the address
its QR code names. Each edition's dashboard, projector, Word document and Excel file hold only its own themes and
texts.
"""

from __future__ import annotations

import io

import docx
import pytest
from openpyxl import load_workbook
from playwright.sync_api import Browser, Page, expect
from sqlmodel import col, select

from db.engine import build_engine, session_scope
from models import Contribution, Edition, Stand, Theme
from tests.e2e.conftest import PHONE, LiveApp, _context, open_menu_page, staff_login, wait_for_app
from tests.editions import SECOND_PACK

pytestmark = pytest.mark.browser

SLOW = 30_000
CVL, COPY, FIRST = "centre-val-de-loire-2022", "pays-de-la-loire-2018", "pays-de-la-loire-2016"
NEW_SHORT_LABEL = "Institutions, édition 2018"
NEW_STAND_NAME = "Le portail ESSOR, nouvelle version"
TEXTS = {
    CVL: "Un fonds de garantie pour les reprises d'entreprises par leurs salariés dans le Cher.",
    COPY: "Un guichet unique des aides pour les associations employeuses de Vendée et de Sarthe.",
}


def click_tab(page: Page, name: str) -> None:
    page.get_by_test_id("stMain").get_by_role("tab", name=name).click()
    wait_for_app(page)


def choose(page: Page, label: str, option: str) -> None:
    """A Streamlit selectbox: open it by its label, pick the option."""
    box = page.get_by_test_id("stMain").get_by_role("combobox", name=label, exact=True)
    box.click()
    page.keyboard.type(option)
    page.keyboard.press("Enter")
    wait_for_app(page)
    expect(box).to_have_value(option)


def themes_of(app: LiveApp, slug: str) -> tuple[list[str], set[str]]:
    """(this edition's theme labels, every other edition's labels it does not share)."""
    engine = build_engine(app.database_url)
    try:
        with session_scope(engine) as session:
            rows = session.exec(select(Theme, Edition.slug).join(Edition, col(Edition.id) == Theme.edition_id)).all()
    finally:
        engine.dispose()
    own = [t.label for t, s in rows if s == slug]
    return own, {t.label for t, s in rows if s != slug} - set(own)


def contribute(browser: Browser, app: LiveApp, slug: str) -> None:
    """A phone scans the room's QR code of `slug` (…/contribuer?edition=…) and sends an idea."""
    context = _context(browser, viewport=PHONE, locale="fr-FR", is_mobile=True, has_touch=True)
    phone = context.new_page()
    phone.goto(f"{app.url}/contribuer?edition={slug}")
    wait_for_app(phone)
    expect(phone.get_by_role("heading", name="Contribuer")).to_be_visible()
    engine = build_engine(app.database_url)
    with session_scope(engine) as session:
        first_theme = session.exec(
            select(Theme.short_label)
            .join(Edition, col(Edition.id) == Theme.edition_id)
            .where(Edition.slug == slug)
            .order_by(col(Theme.position))
        ).first()
    engine.dispose()
    phone.get_by_role("radio", name=first_theme).click()  # the edition's own theme chips
    wait_for_app(phone)
    phone.get_by_test_id("stTextArea").locator("textarea").first.fill(TEXTS[slug])
    phone.get_by_role("button", name="Envoyer ma contribution").click()
    wait_for_app(phone)
    expect(phone.get_by_text("Contribution enregistrée. Merci !")).to_be_visible(timeout=SLOW)
    context.close()


def test_two_new_editions_set_up_in_the_app_each_with_only_its_own_figures_and_exports(
    live_app: LiveApp, page: Page, browser: Browser
) -> None:
    staff_login(page, live_app, "adele", role="admin", menu_entry="Éditions")
    main = page.get_by_test_id("stMain")

    # 1. The Centre-Val de Loire edition, from its pack.
    open_menu_page(page, "Éditions", "Éditions de la conférence")
    click_tab(page, "Nouvelle édition")
    main.get_by_text("Importer un pack de conférence (fichier YAML)").click()
    wait_for_app(page)
    main.locator("input[type=file]").set_input_files(str(SECOND_PACK))
    wait_for_app(page)
    expect(main.get_by_text("Pack lisible", exact=False)).to_be_visible(timeout=SLOW)
    main.get_by_role("button", name="Importer ce pack").click()
    wait_for_app(page)
    expect(main.get_by_text("themes +4", exact=False)).to_be_visible(timeout=SLOW)

    # 2. A third edition, copied from 2016, then a theme and a stand edited, then opened to participants.
    page.goto(f"{live_app.url}/editions")
    wait_for_app(page)
    click_tab(page, "Nouvelle édition")
    main.get_by_text("Copier une édition précédente", exact=False).click()
    wait_for_app(page)
    choose(page, "Édition à copier", "Conférence régionale de l'ESS — Pays de la Loire · Angers · 28/06/2016")
    main.get_by_label("Identifiant de la nouvelle édition (dans les QR codes)").fill(COPY)
    main.get_by_label("Ville").first.fill("Nantes")
    # The date field is three segments (day, month, year) typed in one go.
    main.get_by_role("spinbutton", name="day, Date (premier jour)").click()
    page.keyboard.type("26062018")
    main.get_by_role("button", name="Créer la copie").click()
    wait_for_app(page)
    expect(main.get_by_text("créée (en préparation)", exact=False)).to_be_visible(timeout=SLOW)

    click_tab(page, "Thèmes de l'édition")
    expander = main.get_by_test_id("stExpander").first
    expander.locator("summary").click()
    form = expander.get_by_test_id("stForm")
    form.get_by_label("Libellé court").fill(NEW_SHORT_LABEL)
    form.get_by_role("button", name="Enregistrer ce thème").click()
    wait_for_app(page)
    expect(main.get_by_text("Thème enregistré.")).to_be_visible(timeout=SLOW)

    click_tab(page, "Réglages de l'édition")
    choose(page, "Statut", "ouverte")
    main.get_by_role("button", name="Enregistrer les réglages").click()
    wait_for_app(page)
    expect(main.get_by_text("Réglages enregistrés.")).to_be_visible(timeout=SLOW)

    open_menu_page(page, "Stands du circuit")
    click_tab(page, "Ajouter ou modifier")
    choose(page, "Stand", "S01 · 1")
    name = main.get_by_role("textbox", name="Nom *")
    expect(name).to_have_count(1, timeout=SLOW)  # the blank form of « Nouveau stand » has gone
    expect(name).to_have_value("Le portail ESSOR")
    name.fill(NEW_STAND_NAME)
    form = main.get_by_test_id("stForm").filter(has=page.locator("input[aria-label='Nom *']"))
    form.get_by_role("button", name="Enregistrer", exact=True).click()
    wait_for_app(page)

    engine = build_engine(live_app.database_url)
    with session_scope(engine) as session:
        copy = session.exec(select(Edition).where(Edition.slug == COPY)).one()
        assert copy.status == "open" and copy.city == "Nantes"
        assert copy.id is not None
        names = {s.edition_id: s.name for s in session.exec(select(Stand).where(Stand.code == "S01")).all()}
        assert names[copy.id] == NEW_STAND_NAME and names[1] != NEW_STAND_NAME  # 2016's stand untouched
        labels = {t.short_label for t in session.exec(select(Theme).where(Theme.edition_id == copy.id)).all()}
        assert NEW_SHORT_LABEL in labels
    engine.dispose()

    # 3. A phone contributes to each new edition by the address its QR code names.
    for slug in (CVL, COPY):
        contribute(browser, live_app, slug)
    engine = build_engine(live_app.database_url)
    with session_scope(engine) as session:
        by_edition = {
            slug: body
            for body, slug in session.exec(
                select(Contribution.body, Edition.slug)
                .join(Theme, col(Theme.id) == Contribution.theme_id)
                .join(Edition, col(Edition.id) == Theme.edition_id)
            ).all()
        }
    engine.dispose()
    assert by_edition == {CVL: TEXTS[CVL], COPY: TEXTS[COPY]}

    # 4. Each edition's dashboard, projector and exports: only its own themes and texts.
    for slug in (CVL, COPY):
        own, foreign = themes_of(live_app, slug)
        page.goto(f"{live_app.url}/direct?edition={slug}")
        wait_for_app(page, timeout=40_000)
        expect(page.get_by_role("heading", name="En direct")).to_be_visible(timeout=SLOW)
        board = main.inner_text()
        assert not [label for label in foreign if label in board], slug

        page.goto(f"{live_app.url}/projecteur?edition={slug}")
        wait_for_app(page, timeout=40_000)
        screen = main.inner_text()
        assert not [label for label in foreign if label in screen], slug

        page.goto(f"{live_app.url}/exports?edition={slug}")
        wait_for_app(page, timeout=40_000)
        expect(page.get_by_role("heading", name="Exports")).to_be_visible(timeout=SLOW)
        main.get_by_role("button", name="Préparer le document Word").click()
        wait_for_app(page)
        with page.expect_download() as word:
            main.get_by_role("button", name="Télécharger le document Word").click()
        assert slug in word.value.suggested_filename
        document = docx.Document(io.BytesIO(word.value.path().read_bytes()))
        text = "\n".join(p.text for p in document.paragraphs)
        assert any(label in text for label in own)
        assert not [label for label in foreign if label in text], slug

        main.get_by_role("button", name="Préparer le fichier Excel").click()
        wait_for_app(page)
        with page.expect_download() as excel:
            main.get_by_role("button", name="Télécharger le fichier Excel").click()
        book = load_workbook(io.BytesIO(excel.value.path().read_bytes()))
        cells = {str(c.value) for ws in book.worksheets for row in ws.iter_rows() for c in row if c.value}
        assert TEXTS[slug] in cells
        others = [t for s, t in TEXTS.items() if s != slug]
        assert not [t for t in others if t in cells] and not (foreign & cells), slug
