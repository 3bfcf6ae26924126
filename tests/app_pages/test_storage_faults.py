"""The participant pages when the store fails for real: a full or read-only disk, a database that does not answer.

The store is a real SQLite file on a real small tmpfs (tests/faults.py), or a PostgreSQL address where no
server listens. Each time: a French message (never a trace), the typed text kept, nothing half-written,
and the next try succeeds once the fault is gone.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from core.config import get_settings
from db.engine import dispose_engines
from tests.app_pages.helpers import texts
from tests.app_pages.test_contribute import fill, open_page, send
from tests.conftest import copy_sqlite
from tests.e2e.conftest import _free_port
from tests.faults import fill_disk, free_disk, remount, small_disk
from ui.store import CONTRIBUTION_NOT_SAVED as TECHNICAL_ERROR
from ui.store import UNAVAILABLE

BODY = "Mutualiser un poste de comptable entre trois petites associations du même quartier."


def _point_app_at(url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ESS_DATABASE_URL", url)
    get_settings.cache_clear()
    dispose_engines()
    st.cache_data.clear()
    st.cache_resource.clear()


@pytest.fixture
def db_on_small_disk(sqlite_template: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    with small_disk() as disk:
        db = disk / "ess.db"
        copy_sqlite(sqlite_template, db)
        _point_app_at(f"sqlite:///{db}", monkeypatch)
        yield db
        dispose_engines()
        st.cache_data.clear()
        st.cache_resource.clear()
    get_settings.cache_clear()


def count(db: Path, sql: str, *params: str) -> int:
    with closing(sqlite3.connect(f"file:{db}?mode=ro", uri=True)) as conn:
        return int(conn.execute(sql, params).fetchone()[0])


def stored(db: Path) -> int:
    return count(db, "SELECT count(*) FROM contribution WHERE body = ?", BODY)


def integrity(db: Path) -> str:
    with closing(sqlite3.connect(f"file:{db}?mode=ro", uri=True)) as conn:
        return str(conn.execute("PRAGMA integrity_check").fetchone()[0])


def test_full_disk_keeps_the_text_and_the_next_try_after_space_returns_counts_once(db_on_small_disk: Path) -> None:
    db = db_on_small_disk
    at = fill(open_page("app_pages/contribute.py"), body=BODY)
    fill_disk(db.parent)

    send(at)  # asserts no exception reached the page
    assert TECHNICAL_ERROR in texts(at)
    assert at.text_area(key="contribute_body").value == BODY
    assert not at.metric
    assert stored(db) == 0 and integrity(db) == "ok"

    # Still full: a second try fails the same way, and writes nothing either.
    send(at)
    assert TECHNICAL_ERROR in texts(at) and stored(db) == 0

    free_disk(db.parent)
    send(at)
    assert at.metric and "Contribution enregistrée" in texts(at)
    assert stored(db) == 1 and integrity(db) == "ok"


def test_full_disk_on_a_stand_visit_says_so_and_the_button_stays(db_on_small_disk: Path) -> None:
    db = db_on_small_disk
    at = open_page("app_pages/stand.py", query={"code": "S01"})
    fill_disk(db.parent)
    at.button(key="stand_visit").click().run()
    assert not at.exception
    assert "La visite n'a pas pu être enregistrée (incident technique)" in texts(at)
    assert count(db, "SELECT count(*) FROM standvisit") == 0

    free_disk(db.parent)
    at.button(key="stand_visit").click().run()
    assert not at.exception
    assert "Visite enregistrée dans votre passeport." in texts(at)
    assert count(db, "SELECT count(*) FROM standvisit") == 1


def test_read_only_disk_gives_a_french_message_then_recovers_with_the_text(db_on_small_disk: Path) -> None:
    db = db_on_small_disk
    at = fill(open_page("app_pages/contribute.py"), body=BODY)
    # The kernel only turns a disk read-only once no file on it is open for writing: the app's pool lets go.
    dispose_engines()
    remount(db.parent, read_only=True)
    try:
        send(at)
        shown = texts(at)
        assert TECHNICAL_ERROR in shown or UNAVAILABLE in shown
        assert "Traceback" not in shown and not at.metric
    finally:
        remount(db.parent, read_only=False)
    assert stored(db) == 0 and integrity(db) == "ok"

    # The page's retry, or the one of the fragment that failed (ui/fragments.py): the same French button.
    for retry in [b for b in at.button if (b.key or "").startswith("store_unavailable_retry")]:
        retry.click().run()
    assert at.text_area(key="contribute_body").value == BODY  # the draft survived the failed runs
    send(at)
    assert at.metric and stored(db) == 1


def test_a_database_that_does_not_answer_gives_a_french_message_and_a_retry(monkeypatch: pytest.MonkeyPatch) -> None:
    # A real PostgreSQL address where nothing listens: every connection is refused.
    _point_app_at(f"postgresql+psycopg://postgres@127.0.0.1:{_free_port()}/ess", monkeypatch)
    try:
        at = AppTest.from_file(str(Path(__file__).resolve().parents[2] / "app.py"), default_timeout=30)
        at.run()
        at.switch_page("app_pages/contribute.py").run()
        assert not at.exception
        assert UNAVAILABLE in texts(at)
        retry = at.button(key="store_unavailable_retry")
        assert retry.label == "Réessayer"
        retry.click().run()
        assert not at.exception and UNAVAILABLE in texts(at)
    finally:
        dispose_engines()
        st.cache_data.clear()
        st.cache_resource.clear()
        get_settings.cache_clear()
