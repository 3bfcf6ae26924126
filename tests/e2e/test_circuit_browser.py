"""The treasure hunt on a phone (390 × 844) in headless Chromium, starting from the stand's printed QR code."""

from __future__ import annotations

import io

import pytest
import zxingcpp
from PIL import Image
from playwright.sync_api import FilePayload, Page, expect
from sqlmodel import select

from db.engine import build_engine, session_scope
from models import Contribution, Participant, Stand, StandVisit
from services import qrcodes
from tests.e2e.conftest import LiveApp, open_menu_page, staff_login, wait_for_app

pytestmark = pytest.mark.browser

BODY = "Un annuaire régional des aides à l'ESS, tenu à jour par la CRESS et ouvert à tous."
EDITION = "pays-de-la-loire-2016"  # the store's default edition: its slug is on every stand's QR code


def scanned_url(app: LiveApp, code: str, name: str) -> str:
    """What a phone camera reads on the stand's QR code (generated for this server's address)."""
    stand = qrcodes.PosterStand(
        code=code, name=name, theme_label="", theme_color="#000000", position=1, edition=EDITION
    )
    found = zxingcpp.read_barcodes(Image.open(io.BytesIO(qrcodes.stand_poster_png(stand, app.url, allow_local=True))))
    assert len(found) == 1
    return str(found[0].text)


def visit(page: Page, app: LiveApp, code: str) -> None:
    url = scanned_url(app, code, code)
    assert url == f"{app.url}/stand?code={code}&edition={EDITION}"
    page.goto(url)
    wait_for_app(page)
    page.get_by_role("button", name="J'ai visité ce stand").click()
    wait_for_app(page)


def db(app: LiveApp):  # type: ignore[no-untyped-def]
    return build_engine(app.database_url)


def test_scan_visit_contribute_and_find_the_treasure(live_app: LiveApp, phone: Page) -> None:
    visit(phone, live_app, "S01")
    expect(phone.get_by_text("Le portail ESSOR", exact=True)).to_be_visible()  # the stand's theme's cards quote it too
    expect(phone.get_by_text("Visite enregistrée dans votre passeport.")).to_be_visible()
    expect(phone.get_by_role("button", name="J'ai visité ce stand")).to_have_count(0)

    # A second scan of the same stand records nothing new.
    phone.goto(f"{live_app.url}/stand?code=S01")
    wait_for_app(phone)
    expect(phone.get_by_text("Visite enregistrée dans votre passeport.")).to_be_visible()

    # Contribute from the stand: its theme is chosen, the source is the treasure hunt.
    phone.get_by_role("link", name="Contribuer depuis ce stand").click()
    wait_for_app(phone)
    expect(phone.get_by_text("Chasse aux trésors · depuis le stand")).to_be_visible()
    expect(phone.get_by_role("radio", name="Relations avec les institutions")).to_be_checked()
    phone.get_by_test_id("stTextArea").locator("textarea").fill(BODY)
    phone.get_by_role("button", name="Envoyer ma contribution").click()
    wait_for_app(phone)
    expect(phone.get_by_text("Contribution enregistrée. Merci !")).to_be_visible()

    phone.get_by_role("link", name="Mon passeport de la chasse aux trésors").click()
    wait_for_app(phone)
    expect(phone.get_by_text("Thèmes couverts : 1 sur 5")).to_be_visible()
    expect(phone.get_by_text("Il vous reste : 4 thèmes à découvrir.")).to_be_visible()

    for code in ("S04", "S07", "S10"):
        visit(phone, live_app, code)
    visit(phone, live_app, "S13")
    expect(phone.get_by_text("Bravo, vous avez trouvé le trésor !", exact=False)).to_be_visible()

    phone.goto(f"{live_app.url}/passeport")
    wait_for_app(phone)
    expect(phone.get_by_text("Bravo ! Vous avez trouvé le trésor de l'ESS.")).to_be_visible()
    treasure = phone.get_by_test_id("stMetric").filter(has_text="Votre code trésor")
    shown = treasure.get_by_test_id("stMetricValue").inner_text().strip()

    engine = db(live_app)
    try:
        with session_scope(engine) as session:
            (contribution,) = session.exec(select(Contribution)).all()
            s01 = session.exec(select(Stand).where(Stand.code == "S01")).one()
            assert contribution.source == "treasure_hunt" and contribution.stand_id == s01.id
            assert len(session.exec(select(StandVisit)).all()) == 5
            (hunter,) = session.exec(select(Participant)).all()
            assert hunter.treasure_code == shown and hunter.treasure_found_at is not None
    finally:
        engine.dispose()


def test_an_unknown_stand_code_is_a_friendly_page(live_app: LiveApp, phone: Page) -> None:
    phone.goto(f"{live_app.url}/stand?code=NOPE")
    wait_for_app(phone)
    expect(phone.get_by_role("heading", name="Stand introuvable")).to_be_visible()
    phone.get_by_role("link", name="Voir le plan du circuit").click()
    wait_for_app(phone)
    expect(phone.get_by_role("heading", name="Le circuit de la chasse aux trésors")).to_be_visible()
    expect(phone.get_by_test_id("stException")).to_have_count(0)


STANDS_CSV = (
    "code;name;theme;experience;position\n"
    "S30;Un tiers-lieu rural;cooperation;Un lieu partagé à la campagne;30\n"
    "S31;;emploi;;\n"
    "S32;Un stand;inconnu;;\n"
)


def test_an_admin_imports_stands_from_a_csv_file_and_reads_the_rejected_rows(live_app: LiveApp, page: Page) -> None:
    staff_login(page, live_app, "camille", role="admin", menu_entry="Stands du circuit")
    open_menu_page(page, "Stands du circuit")
    main = page.get_by_test_id("stMain")
    main.get_by_role("tab", name="Import CSV").click()
    main.locator("input[type=file]").set_input_files(
        files=[FilePayload(name="stands.csv", mimeType="text/csv", buffer=STANDS_CSV.encode("utf-8-sig"))]
    )
    main.get_by_role("button", name="Importer").click()
    wait_for_app(page)
    expect(main.get_by_text("1 stand(s) créé(s), 0 mis à jour, 2 ligne(s) refusée(s).")).to_be_visible()
    panel = main.get_by_role("tabpanel", name="Import CSV")
    expect(panel.get_by_test_id("stDataFrame")).to_be_visible()
    expect(main.get_by_role("button", name="Télécharger le rapport des lignes refusées")).to_be_visible()
    engine = db(live_app)
    try:
        with session_scope(engine) as session:
            created = session.exec(select(Stand).where(Stand.code.in_(["S30", "S31", "S32"]))).all()  # type: ignore[attr-defined]
            assert [(s.code, s.name) for s in created] == [("S30", "Un tiers-lieu rural")]
    finally:
        engine.dispose()
