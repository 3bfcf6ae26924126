"""A served app whose disk fills up while a participant types: a French message, the text kept, and recovery.

The SQLite store lives on a real tmpfs of a few MB mounted by the test (tests/faults.py), filled with a plain
file; the server is a real `streamlit run` process, the phone a real headless Chromium.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.conftest import copy_sqlite
from tests.e2e.conftest import LiveApp, start_app, stop_app, wait_for_app
from tests.faults import fill_disk, free_disk, small_disk

pytestmark = pytest.mark.browser

BODY = "Un réseau régional de tiers-lieux pour que les porteurs de projets de l'ESS se rencontrent."


@pytest.fixture
def app_on_small_disk(sqlite_template: Path, tmp_path: Path) -> Iterator[LiveApp]:
    with small_disk() as disk:
        copy_sqlite(sqlite_template, disk / "ess.db")
        app = start_app(f"sqlite:///{disk / 'ess.db'}", tmp_path / "streamlit.log")
        try:
            yield app
        finally:
            stop_app(app)


def rows(db: Path) -> tuple[int, str]:
    with closing(sqlite3.connect(f"file:{db}?mode=ro", uri=True)) as conn:
        count = int(conn.execute("SELECT count(*) FROM contribution WHERE body = ?", (BODY,)).fetchone()[0])
        return count, str(conn.execute("PRAGMA integrity_check").fetchone()[0])


def test_full_disk_keeps_the_text_and_recovers_when_space_returns(app_on_small_disk: LiveApp, phone: Page) -> None:
    app = app_on_small_disk
    db = Path(app.database_url.removeprefix("sqlite:///"))
    phone.goto(f"{app.url}/contribuer")
    wait_for_app(phone, timeout=60_000)
    phone.get_by_role("radio", name="Emploi").click()
    wait_for_app(phone, timeout=60_000)
    textarea = phone.get_by_test_id("stTextArea").locator("textarea")
    textarea.fill(BODY)

    fill_disk(db.parent)  # the disk fills up while the participant is typing
    phone.get_by_role("button", name="Envoyer ma contribution").click()
    expect(phone.get_by_text("n'a pas pu être enregistrée (incident technique)")).to_be_visible(timeout=60_000)
    wait_for_app(phone, timeout=60_000)
    expect(textarea).to_have_value(BODY)
    main = phone.locator("[data-testid=stMain]").inner_text()
    assert "Traceback" not in main and "disk is full" not in main and "encountered an error" not in main
    assert not phone.get_by_test_id("stMetricValue").is_visible()
    assert rows(db) == (0, "ok")  # nothing half-written

    free_disk(db.parent)  # space returns: the same tap now goes through, and counts once
    phone.get_by_role("button", name="Envoyer ma contribution").click()
    expect(phone.get_by_text("Contribution enregistrée. Merci !")).to_be_visible(timeout=60_000)
    expect(phone.get_by_test_id("stText").filter(has_text=BODY)).to_be_visible()
    assert rows(db) == (1, "ok")
