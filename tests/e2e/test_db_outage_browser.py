"""PostgreSQL stopped then restarted under a served app: a French message meanwhile, recovery on its own, nothing lost.

A participant sends from a phone while an organiser watches the self-refreshing live dashboard.

The test runs its own throwaway cluster (tests/pg.py `own_cluster`), never the one the other tests share.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import create_engine, text

from db.engine import build_engine
from services.bootstrap import prepare_store
from tests.e2e.conftest import LiveApp, open_menu_page, staff_login, start_app, stop_app, wait_for_app
from tests.pg import Cluster, own_cluster

pytestmark = [pytest.mark.browser, pytest.mark.postgres]

BEFORE = "Avant la panne : des locaux partagés pour les jeunes associations du quartier de la gare."
DURING = "Pendant la panne : un fonds de garantie régional pour les coopératives qui se créent."
ENGLISH_ERROR = "This app has encountered an error"


@pytest.fixture
def outage_app(tmp_path: Path) -> Iterator[tuple[Cluster, LiveApp]]:
    with own_cluster() as cluster:
        admin = create_engine(f"{cluster.url}/postgres", isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text("CREATE DATABASE ess"))
        admin.dispose()
        engine = build_engine(f"{cluster.url}/ess")
        prepare_store(engine)
        engine.dispose()
        app = start_app(f"{cluster.url}/ess", tmp_path / "streamlit.log")
        try:
            yield cluster, app
        finally:
            stop_app(app)


def stored(app: LiveApp) -> dict[str, list[str]]:
    engine = create_engine(app.database_url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(text("SELECT body, receipt_code FROM contribution")).all()
    finally:
        engine.dispose()
    found: dict[str, list[str]] = {}
    for body, code in rows:
        found.setdefault(body, []).append(code)
    return found


def send(phone: Page, body: str) -> None:
    phone.get_by_test_id("stTextArea").locator("textarea").fill(body)
    phone.get_by_role("button", name="Envoyer ma contribution").click()


def receipt_for(phone: Page, body: str) -> str:
    expect(phone.get_by_test_id("stText").filter(has_text=body)).to_be_visible(timeout=60_000)
    return phone.get_by_test_id("stMetricValue").inner_text().strip()


def test_postgres_stopped_then_restarted(outage_app: tuple[Cluster, LiveApp], phone: Page, page: Page) -> None:
    cluster, app = outage_app
    # An organiser watches the live dashboard, which refreshes itself every 2 s.
    staff_login(page, app, "orga", role="organizer", menu_entry="Tableau de bord")
    open_menu_page(page, "Tableau de bord", "En direct")
    board_down = page.get_by_text("Le service est momentanément indisponible").first  # one per live fragment
    contributions_count = page.get_by_test_id("stMetric").filter(has_text="Contributions").first

    phone.goto(f"{app.url}/contribuer")
    wait_for_app(phone, timeout=60_000)
    phone.get_by_role("radio", name="Emploi").click()
    wait_for_app(phone, timeout=60_000)
    send(phone, BEFORE)
    confirmed = receipt_for(phone, BEFORE)
    phone.get_by_role("button", name="Écrire une autre contribution").click()
    expect(phone.get_by_test_id("stTextArea").locator("textarea")).to_have_value("")
    wait_for_app(phone, timeout=60_000)

    cluster.stop("fast")  # every connection of the app's pool is cut, as in a crash of the database server
    try:
        send(phone, DURING)
        # A French message, whichever of the two guards caught it (the send itself, or the page around it).
        expect(phone.get_by_text("incident technique").first).to_be_visible(timeout=60_000)
        wait_for_app(phone, timeout=60_000)
        body = phone.locator("[data-testid=stMain]").inner_text()
        assert ENGLISH_ERROR not in body and "Traceback" not in body and "psycopg" not in body
        assert not phone.get_by_test_id("stMetricValue").is_visible()
        # The dashboard's next refresh says so too, in French, in place of the numbers.
        expect(board_down).to_be_visible(timeout=60_000)
        assert ENGLISH_ERROR not in page.locator("[data-testid=stMain]").inner_text()
    finally:
        cluster.start()

    # The dashboard comes back by itself at a later refresh.
    expect(board_down).to_have_count(0, timeout=60_000)
    expect(contributions_count).to_be_visible()

    # No restart of the app: its pool (pre_ping) reconnects. The text typed before is still there.
    retry = phone.get_by_role("button", name="Réessayer")
    if retry.is_visible():
        retry.click()
        wait_for_app(phone, timeout=60_000)
    expect(phone.get_by_test_id("stTextArea").locator("textarea")).to_have_value(DURING)
    phone.get_by_role("button", name="Envoyer ma contribution").click()
    during = receipt_for(phone, DURING)

    rows = stored(app)
    assert rows[BEFORE] == [confirmed] and rows[DURING] == [during]
    assert "Traceback" not in phone.locator("[data-testid=stMain]").inner_text()
