"""A participant follows their contribution by its receipt code on a phone (390 × 844), from « en attente » to
« publiée », « regroupée » and « a nourri l'orientation T2-O3 », then erases their data with the same code.

Staff's actions (publish, group, link to an orientation) are done through the services between page loads.
"""

from __future__ import annotations

import os
import re
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from playwright.sync_api import Page, ViewportSize, expect
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from db.engine import build_engine, session_scope
from models import Contribution, ContributionGroup, ContributionGroupMember, Orientation
from services import auth, drafting, grouping, moderation, publication
from services.contributions import ContributionDraft, submit_contribution
from services.permissions import CONSOLE_ACTOR
from tests.e2e.conftest import PHONE, LiveApp, open_menu_page, staff_login, wait_for_app

pytestmark = pytest.mark.browser

STAFF = "test-redaction"
BODY = "Créer un fonds d'amorçage régional pour les coopératives d'activité et d'emploi qui démarrent."
OTHER = "Un fonds régional pour aider les coopératives d'activité et d'emploi à démarrer leur activité."
# Where the screenshots go for a person to look at (ESS_SCREENSHOTS=folder), else the test's own folder.
SHOTS = os.environ.get("ESS_SCREENSHOTS")
WIDE: ViewportSize = {"width": 1366, "height": 900}


@contextmanager
def store(app: LiveApp) -> Iterator[Session]:
    engine: Engine = build_engine(app.database_url)
    try:
        with session_scope(engine, write=True) as session:
            yield session
    finally:
        engine.dispose()


def send_from_phone(phone: Page, app: LiveApp) -> str:
    phone.goto(f"{app.url}/contribuer")
    wait_for_app(phone)
    phone.get_by_role("radio", name="Entreprendre en ESS").click()
    wait_for_app(phone)
    phone.get_by_test_id("stTextArea").locator("textarea").fill(BODY)
    phone.get_by_role("button", name="Envoyer ma contribution").click()
    wait_for_app(phone)
    expect(phone.get_by_text("Contribution enregistrée. Merci !")).to_be_visible()
    return phone.get_by_test_id("stMetricValue").inner_text().strip()


def target_edition(session: Session, orientation_id: int) -> int:
    row = session.get(Orientation, orientation_id)
    assert row is not None
    return row.edition_id


def follow(phone: Page, app: LiveApp, code: str) -> str:
    """Open « Suivre ma contribution » afresh (a new session), type the code, return the page's text."""
    phone.goto(f"{app.url}/suivi")
    wait_for_app(phone)
    phone.get_by_role("textbox", name="Code de reçu").fill(code.lower())
    phone.get_by_role("button", name="Voir son parcours").click()
    wait_for_app(phone)
    expect(phone.get_by_text(f"Contribution {code}")).to_be_visible()
    return phone.locator("[data-testid=stMain]").inner_text()


def test_follow_a_contribution_to_an_orientation_then_erase_it(live_app: LiveApp, phone: Page, tmp_path: Path) -> None:
    folder = Path(SHOTS) if SHOTS else tmp_path
    folder.mkdir(parents=True, exist_ok=True)
    code = send_from_phone(phone, live_app)
    assert "En attente de modération" in follow(phone, live_app, code)

    with store(live_app) as session:
        auth.create_user(session=session, username=STAFF, password="mot-de-passe-du-test", role="staff",
                         actor=CONSOLE_ACTOR)  # fmt: skip
        mine = session.exec(select(Contribution).where(Contribution.receipt_code == code)).one()
        mine_id = mine.id or 0
        other = submit_contribution(
            session=session, draft=ContributionDraft(theme_id=2, body=OTHER, idempotency_key=uuid.uuid4().hex)
        )
    with store(live_app) as session:
        moderation.publish(session=session, contribution_ids=[mine_id, other.contribution_id], actor=STAFF)
    shown = follow(phone, live_app, code)
    assert re.search(r"Publiée le \d\d/\d\d/\d{4} à \d\d:\d\d", shown)

    with store(live_app) as session:  # a proposal as grouping stores it, then staff confirm it
        group = ContributionGroup(theme_id=2, representative_text=OTHER, created_by=STAFF)
        session.add(group)
        session.flush()
        group_id = group.id or 0
        session.add_all(
            ContributionGroupMember(group_id=group_id, contribution_id=c) for c in (mine_id, other.contribution_id)
        )
    with store(live_app) as session:
        grouping.confirm_group(session=session, group_id=group_id, actor=STAFF)
    shown = follow(phone, live_app, code)
    assert "Regroupée avec 1 autre contribution proche" in shown and OTHER in shown

    with store(live_app) as session:
        target = next(o for o in drafting.list_draft_orientations(session=session, theme_id=2) if o.code == "T2-O3")
        drafting.link_sources(session=session, orientation_id=target.id, actor=STAFF, group_ids=[group_id])
    shown = follow(phone, live_app, code)
    assert "A nourri l'orientation T2-O3" in shown and target.title in shown
    assert "Citée dans la stratégie publiée" not in shown

    # Staff publish the results, then the strategy: the journey ends on the strategy's paragraph.
    with store(live_app) as session:
        edition_id = target_edition(session, target.id)
        publication.publish_results(session=session, actor=STAFF, edition_id=edition_id)
        publication.publish_strategy(session=session, actor=STAFF, edition_id=edition_id)
    shown = follow(phone, live_app, code)
    assert "Citée dans la stratégie publiée : orientation T2-O3" in shown and target.title in shown
    if target.body:
        assert target.body.split("\n")[0] in shown
    for name, size in (("390x844", PHONE), ("1366x900", WIDE)):
        phone.set_viewport_size(size)
        phone.screenshot(path=str(folder / f"follow-{name}.png"))
        phone.get_by_text("A nourri l'orientation T2-O3").scroll_into_view_if_needed()
        phone.screenshot(path=str(folder / f"follow-steps-{name}.png"))
    phone.set_viewport_size(PHONE)

    # From « Mes contributions » (this phone's own), the same journey, no code typed.
    phone.goto(f"{live_app.url}/mes-contributions")
    wait_for_app(phone)
    phone.screenshot(path=str(folder / "my-contributions-390x844.png"))
    phone.get_by_role("button", name="Voir son parcours").click()
    wait_for_app(phone)
    expect(phone.get_by_text("A nourri l'orientation T2-O3")).to_be_visible()

    # « Mes données »: the same code shows, then erases, what the app holds about this phone.
    phone.goto(f"{live_app.url}/mes-donnees")
    wait_for_app(phone)
    phone.get_by_role("textbox", name="Code de reçu ou de reprise").fill(code)
    phone.get_by_role("button", name="Voir mes données").click()
    wait_for_app(phone)
    expect(phone.get_by_role("button", name="Télécharger mes données (JSON)")).to_be_visible()
    phone.screenshot(path=str(folder / "my-data-390x844.png"))
    phone.get_by_role("button", name="Effacer mes données").scroll_into_view_if_needed()
    phone.screenshot(path=str(folder / "my-data-erase-390x844.png"))
    phone.set_viewport_size(WIDE)
    phone.screenshot(path=str(folder / "my-data-1366x900.png"))
    phone.set_viewport_size(PHONE)
    phone.get_by_role("textbox", name="Retapez votre code pour confirmer").fill(code)
    phone.get_by_role("button", name="Effacer mes données").click()
    wait_for_app(phone)
    expect(phone.get_by_text("Vos données personnelles sont effacées")).to_be_visible()
    phone.screenshot(path=str(folder / "my-data-erased-390x844.png"))
    # The journey stays (the text anonymised), no longer on this phone.
    assert "A nourri l'orientation T2-O3" in follow(phone, live_app, code)
    with store(live_app) as session:
        row = session.get(Contribution, mine_id)
        assert row is not None and row.participant_id is None and row.personal_data_erased_at is not None


NOTE = "Note interne : relire avec Mme Parmentier avant lundi"


def test_a_moderator_rejects_with_a_motif_the_author_then_reads_without_the_note(
    live_app: LiveApp, phone: Page, page: Page, tmp_path: Path
) -> None:
    """Through the moderation page on a laptop: the code typed in « Sélection », a motif chosen, an internal note
    typed, « Rejeter »; the author's phone then reads « Non publiée » and the motif, never the note."""
    folder = Path(SHOTS) if SHOTS else tmp_path
    folder.mkdir(parents=True, exist_ok=True)
    code = send_from_phone(phone, live_app)

    staff_login(page, live_app, "test-moderation", menu_entry="Modération")
    open_menu_page(page, "Modération")
    selection = page.get_by_role("combobox", name="Sélection")
    selection.click()
    selection.press_sequentially(code)
    page.get_by_role("option", name=re.compile(re.escape(code))).first.click()
    page.keyboard.press("Escape")
    wait_for_app(page)
    expect(page.get_by_text("Actions sur la sélection (1)")).to_be_visible()
    page.get_by_role("combobox", name="Motif du rejet (lu par l'auteur)").click()
    page.get_by_role("option", name="Hors sujet pour la conférence").click()
    wait_for_app(page)
    page.get_by_role("textbox", name="Note interne à l'équipe").fill(NOTE)
    page.get_by_role("textbox", name="Note interne à l'équipe").press("Tab")
    wait_for_app(page)
    page.get_by_role("button", name="Rejeter").click()
    wait_for_app(page)
    expect(page.get_by_text("Contributions rejetées : 1.")).to_be_visible()
    page.screenshot(path=str(folder / "moderation-rejected-1366x900.png"))

    shown = follow(phone, live_app, code)
    assert "Non publiée" in shown and "Motif : Hors sujet pour la conférence" in shown
    assert "Parmentier" not in shown and "Note interne" not in shown
    phone.screenshot(path=str(folder / "follow-rejected-390x844.png"))
    with store(live_app) as session:
        row = session.exec(select(Contribution).where(Contribution.receipt_code == code)).one()
        assert (row.status, row.rejection_category) == ("rejected", "off_topic")
