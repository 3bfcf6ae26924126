"""kill -9 of the server while phones submit: every receipt shown is stored once, the file is sound, the app restarts.

A real `streamlit run` on a real SQLite file; 8 phone sessions (one Chromium, one context each) send contributions
in a loop; the server gets SIGKILL once a dozen receipts were shown and at least one send is in flight. The full
30-session run is `bench/bench_crash.py` (`make bench BENCH=crash`).
"""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path

import pytest

from tests.e2e.conftest import start_app, stop_app
from tests.e2e.phones import run_async, send_one, submit_until_killed

pytestmark = pytest.mark.browser

PHONES = 8
KILL_AFTER = 12
# The per-phone limit (10 per 10 min) is not what is tested here.
SERVER_ENV = {"ESS_CONTRIBUTION_RATE_MAX": "1000"}


def stored_codes_by_text(db: Path) -> tuple[str, dict[str, list[str]]]:
    """integrity_check of the file as the crash left it, and the receipt codes stored for each text."""
    with closing(sqlite3.connect(db)) as conn:
        integrity = str(conn.execute("PRAGMA integrity_check").fetchone()[0])
        by_text: dict[str, list[str]] = {}
        for code, body in conn.execute("SELECT receipt_code, body FROM contribution"):
            by_text.setdefault(body, []).append(code)
    return integrity, by_text


def test_kill_9_while_phones_submit_loses_no_confirmed_contribution(sqlite_url: str, tmp_path: Path) -> None:
    db = Path(sqlite_url.removeprefix("sqlite:///"))
    app = start_app(sqlite_url, tmp_path / "avant.log", extra_env=SERVER_ENV)
    try:
        pid = app.process.pid
        url = app.url
        run = run_async(lambda: submit_until_killed(url, pid, phones=PHONES, kill_after=KILL_AFTER, pause_s=(0.2, 1.0)))
        assert app.process.wait(timeout=30) == -9  # it was the kill, not a crash of its own
    finally:
        stop_app(app)

    assert not run.failures, run.failures
    assert len(run.receipts) >= KILL_AFTER
    assert run.in_flight_at_kill >= 1, "the kill must land while sends are in flight"

    integrity, by_text = stored_codes_by_text(db)
    assert integrity == "ok"
    # Every receipt shown: its text stored exactly once, under that very code.
    lost_or_twice = {text: by_text.get(text, []) for code, text in run.receipts.items() if by_text.get(text) != [code]}
    assert not lost_or_twice
    # Sends cut by the kill: stored once or not at all, never twice; nothing stored that nobody sent.
    ours = {t: c for t, c in by_text.items() if t.startswith("Contribution envoyée pendant l'essai")}
    assert set(ours) <= set(run.attempted)
    assert all(len(codes) == 1 for codes in ours.values())

    # The app restarts on the same file and serves a new participant.
    again = start_app(sqlite_url, tmp_path / "apres.log", extra_env=SERVER_ENV)
    try:
        text = "Après le redémarrage, une contribution de plus pour l'emploi des jeunes dans l'ESS."
        code = run_async(lambda: send_one(again.url, text))
    finally:
        stop_app(again)
    integrity, by_text = stored_codes_by_text(db)
    assert integrity == "ok" and by_text[text] == [code]
    assert all(by_text.get(t) == [c] for c, t in run.receipts.items())
