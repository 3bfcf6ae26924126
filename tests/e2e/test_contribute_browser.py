"""Contributing from a phone (390 × 844) in headless Chromium: receipt, reload, bad input, double tap, markup."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, Dialog, Page, expect
from sqlalchemy import func
from sqlmodel import col, select

from db.engine import build_engine, session_scope
from models import Contribution
from services import moderation
from tests.e2e.conftest import LAPTOP, PHONE, LiveApp, open_menu_page, wait_for_app

pytestmark = pytest.mark.browser

BODY = "Soutenir les groupements d'employeurs pour que les petites associations partagent un poste."
XSS = "Les dossiers de subvention <img src=x onerror=alert(1)> [lien](javascript:alert(1)) sont trop lourds."
PASSWORD = "un-mot-de-passe-solide-2016"


def stored(app: LiveApp) -> list[Contribution]:
    engine = build_engine(app.database_url)
    try:
        with session_scope(engine) as session:
            return list(session.exec(select(Contribution).order_by(col(Contribution.id))).all())
    finally:
        engine.dispose()


def count(app: LiveApp) -> int:
    engine = build_engine(app.database_url)
    try:
        with session_scope(engine) as session:
            return int(session.exec(select(func.count()).select_from(Contribution)).one())
    finally:
        engine.dispose()


def open_form(page: Page, app: LiveApp) -> None:
    page.goto(f"{app.url}/contribuer")
    wait_for_app(page)
    expect(page.get_by_role("heading", name="Contribuer")).to_be_visible()


def choose_theme(page: Page, label: str) -> None:
    page.get_by_role("radio", name=label).click()
    wait_for_app(page)


def textarea(page: Page):  # type: ignore[no-untyped-def]
    return page.get_by_test_id("stTextArea").locator("textarea")


def send(page: Page) -> None:
    page.get_by_role("button", name="Envoyer ma contribution").click()
    wait_for_app(page)


def test_submit_see_the_receipt_reload_and_find_it_under_my_contributions(live_app: LiveApp, phone: Page) -> None:
    open_form(phone, live_app)
    choose_theme(phone, "Emploi")
    textarea(phone).fill(BODY)
    send(phone)
    expect(phone.get_by_text("Contribution enregistrée. Merci !")).to_be_visible()
    code = phone.get_by_test_id("stMetricValue").inner_text().strip()
    (row,) = stored(live_app)
    assert row.receipt_code == code and row.body == BODY and row.source == "conference"

    # A reload after sending shows a fresh form and sends nothing again.
    phone.reload()
    wait_for_app(phone)
    expect(textarea(phone)).to_have_value("")
    assert count(live_app) == 1

    # « Mes contributions » finds it from the device cookie, after the reload.
    phone.goto(f"{live_app.url}/mes-contributions")
    wait_for_app(phone)
    expect(phone.get_by_text(code)).to_be_visible()
    expect(phone.get_by_text(BODY)).to_be_visible()
    assert any(c["name"] == "ess_device_pays-de-la-loire-2016" for c in phone.context.cookies())

    # Another phone sees nothing of it.
    other = phone.context.browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True)  # type: ignore[union-attr]
    stranger = other.new_page()
    stranger.goto(f"{live_app.url}/mes-contributions")
    wait_for_app(stranger)
    expect(stranger.get_by_text("Vous n'avez encore rien envoyé depuis ce téléphone.")).to_be_visible()
    assert code not in stranger.locator("body").inner_text()
    other.close()


@pytest.mark.parametrize("gap_ms", [0, 150], ids=["same-tick", "150ms"])
def test_a_double_tap_stores_one_contribution(live_app: LiveApp, phone: Page, gap_ms: int) -> None:
    """Measured before the guard: taps 100-200 ms apart both reached the server and stored two rows."""
    open_form(phone, live_app)
    choose_theme(phone, "Coopération et territoires")
    textarea(phone).fill("Créer une plateforme pour prêter du matériel entre associations d'un même territoire.")
    textarea(phone).blur()  # the text is committed, as when a thumb leaves the field
    wait_for_app(phone)
    # The second tap reaches the server with the browser's state from before the first was saved.
    phone.get_by_role("button", name="Envoyer ma contribution").evaluate(
        "(b, gap) => { b.click(); setTimeout(() => b.isConnected && b.click(), gap); }", gap_ms
    )
    expect(phone.get_by_text("Contribution enregistrée. Merci !")).to_be_visible()
    phone.wait_for_timeout(1500)
    wait_for_app(phone)
    assert count(live_app) == 1
    # Starting a new contribution offers an empty form, not the text replayed by the second tap.
    phone.get_by_role("button", name="Écrire une autre contribution").click()
    wait_for_app(phone)
    expect(textarea(phone)).to_have_value("")
    assert count(live_app) == 1


def test_bad_inputs_show_their_message_keep_the_text_and_store_nothing(live_app: LiveApp, phone: Page) -> None:
    open_form(phone, live_app)
    textarea(phone).fill(BODY)
    send(phone)
    expect(phone.get_by_text("Choisissez l'une des thématiques de la conférence.")).to_be_visible()
    expect(textarea(phone)).to_have_value(BODY)

    choose_theme(phone, "Emploi")
    textarea(phone).fill("Trop court.")
    send(phone)
    expect(phone.get_by_text("trop court : 11 caractère(s), 20 au minimum", exact=False)).to_be_visible()
    expect(textarea(phone)).to_have_value("Trop court.")

    textarea(phone).fill("        \n\n       ")
    send(phone)
    expect(phone.get_by_text("Le texte de la contribution est obligatoire.")).to_be_visible()
    expect(phone.get_by_text("Votre contribution n'est pas partie", exact=False)).to_be_visible()
    assert count(live_app) == 0


def test_markup_in_a_contribution_is_stored_as_typed_and_never_runs(
    live_app: LiveApp, phone: Page, browser: Browser
) -> None:
    dialogs: list[str] = []

    def dismiss(dialog: Dialog) -> None:
        dialogs.append(dialog.message)
        dialog.dismiss()

    def watch(page: Page) -> Page:
        page.on("dialog", dismiss)
        return page

    def assert_inert(page: Page) -> None:
        page.wait_for_timeout(500)  # time enough for a broken image to fire onerror
        assert page.locator("img[src='x']").count() == 0
        assert page.locator("a[href^='javascript']").count() == 0
        assert dialogs == []

    author = watch(phone)
    open_form(author, live_app)
    choose_theme(author, "Relations avec les institutions")
    textarea(author).fill(XSS)
    send(author)
    expect(author.get_by_text("Contribution enregistrée. Merci !")).to_be_visible()
    assert stored(live_app)[0].body == XSS
    expect(author.get_by_text(XSS)).to_be_visible()  # the receipt repeats it, as text
    assert_inert(author)
    author.goto(f"{live_app.url}/mes-contributions")
    wait_for_app(author)
    expect(author.get_by_text(XSS)).to_be_visible()
    assert_inert(author)

    # Once published by moderation, a neighbour typing a similar idea is offered it, still as plain text
    # (a pending contribution is never offered to others: services/published.py).
    engine = build_engine(live_app.database_url)
    try:
        with session_scope(engine, write=True) as session:
            moderation.publish(session=session, contribution_ids=[stored(live_app)[0].id or 0], actor="test-staff")
    finally:
        engine.dispose()
    context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True, locale="fr-FR")
    neighbour = watch(context.new_page())
    open_form(neighbour, live_app)
    choose_theme(neighbour, "Relations avec les institutions")
    textarea(neighbour).fill("Les dossiers de subvention sont bien trop lourds pour nous")
    neighbour.get_by_role("textbox", name="Titre court (facultatif)").click()
    wait_for_app(neighbour)
    expect(neighbour.get_by_text("Des contributions proches existent déjà")).to_be_visible()
    expect(neighbour.get_by_text(XSS)).to_be_visible()
    assert_inert(neighbour)
    context.close()

    # Staff typing it in from paper see it in their list of entries, inert too.
    live_app.manage("create-user", "lea", "--role", "staff", "--password-stdin", stdin=PASSWORD + "\n")
    laptop = browser.new_context(viewport=LAPTOP, locale="fr-FR")
    staff = watch(laptop.new_page())
    staff.goto(live_app.url)
    wait_for_app(staff)
    staff.get_by_test_id("stExpander").get_by_text("Espace équipe", exact=True).click()
    staff.get_by_role("textbox", name="Identifiant").fill("lea")
    staff.get_by_role("textbox", name="Mot de passe").fill(PASSWORD)
    staff.get_by_test_id("stFormSubmitButton").get_by_role("button").click()
    wait_for_app(staff)
    open_menu_page(staff, "Saisie groupée")
    staff.get_by_role("combobox", name="Thème").click()
    staff.get_by_role("option", name="1. Acteurs de l'ESS", exact=False).click()
    wait_for_app(staff)
    staff.get_by_role("textbox", name="Texte de la contribution").fill(XSS + " (papier)")
    staff.get_by_role("button", name="Enregistrer").first.click()
    wait_for_app(staff)
    expect(staff.get_by_text("Enregistrée : reçu", exact=False)).to_be_visible()
    expect(staff.get_by_test_id("stDataFrame")).to_be_visible()
    assert_inert(staff)
    laptop.close()
    assert [r.body for r in stored(live_app)] == [XSS, XSS + " (papier)"]
