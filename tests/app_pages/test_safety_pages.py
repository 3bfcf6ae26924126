"""Pages under AppTest: oversized uploads refused unread, an unexpected error shown in French without a trace."""

from __future__ import annotations

import sqlite3
import tomllib
import uuid
from pathlib import Path

import pytest
from sqlalchemy import func
from sqlmodel import select
from streamlit.testing.v1 import AppTest

from db.engine import get_engine, session_scope
from models import Stand
from services import contributions
from services import questionnaire_import as qi
from services.circuit import MAX_STAND_FILE_BYTES
from services.contributions import ContributionDraft
from services.permissions import CONSOLE_ACTOR
from tests.app_pages.helpers import ROOT, app_as, texts
from ui.errors import UNEXPECTED

pytestmark = pytest.mark.usefixtures("app_env")


def test_the_server_hides_error_details_and_bounds_uploads() -> None:
    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text(encoding="utf-8"))
    # "none" is the current spelling of the legacy `false`: no message, no trace reaches a browser.
    assert config["client"]["showErrorDetails"] in ("none", False)
    assert config["server"]["maxUploadSize"] * 1024 * 1024 <= qi.MAX_FILE_BYTES
    assert config["server"]["enableXsrfProtection"] is True


def stands() -> int:
    with session_scope() as session:
        return int(session.exec(select(func.count()).select_from(Stand)).one())


def test_an_oversized_stand_file_is_refused_before_it_is_read() -> None:
    at = app_as("admin").run()
    at.switch_page("app_pages/admin_stands.py").run()
    before = stands()
    row = "S99,Un stand,1\n"
    data = ("code,name,theme\n" + row * (MAX_STAND_FILE_BYTES // len(row) + 1)).encode()
    at.file_uploader(key="admin_stands_upload").upload("stands.csv", data, "text/csv").run()
    assert not at.exception
    assert "Mo au plus. Il n'a pas été lu" in texts(at)
    assert not [b for b in at.button if b.key == "admin_stands_import"]  # nothing to send
    assert stands() == before


def test_an_oversized_questionnaire_export_is_refused_before_it_is_read() -> None:
    at = app_as("staff").run()
    at.switch_page("app_pages/import_questionnaire.py").run()
    at.file_uploader[0].upload("export.csv", b"a;b\n" + b"x" * qi.MAX_FILE_BYTES, "text/csv").run()
    assert not at.exception
    content = texts(at)
    assert "20 Mo au plus. Il n'a pas été lu" in content
    assert "colonnes" not in content  # no table was described: the file was never parsed


def test_an_unexpected_error_shows_a_french_message_and_no_trace(app_env: str) -> None:
    """A real fault, not a stub: a date in the store that no code can read breaks the moderation page."""
    with session_scope(write=True) as session:
        draft = ContributionDraft(
            theme_id=1, body="Une idée dont la date sera abîmée.", idempotency_key=uuid.uuid4().hex
        )
        cid = contributions.submit_contribution(session=session, draft=draft).contribution_id
    db = sqlite3.connect(Path(app_env.removeprefix("sqlite:///")))
    db.execute("UPDATE contribution SET updated_at = 'pas une date' WHERE id = ?", (cid,))
    db.commit()
    db.close()
    at = app_as("staff").run()
    at.switch_page("app_pages/moderation.py").run()
    assert not at.exception  # nothing reaches Streamlit's own error box
    assert [e.value for e in at.error] == [UNEXPECTED]
    shown = texts(at)
    for leak in ("Traceback", "Error", "isoformat", "pas une date", 'File "'):
        assert leak not in shown
    # The rest of the app keeps working in the same session.
    at.switch_page("app_pages/home.py").run()
    assert not at.exception and not at.error
    with sqlite3.connect(Path(app_env.removeprefix("sqlite:///"))) as db:
        assert db.execute("SELECT body FROM contribution WHERE id = ?", (cid,)).fetchone() == (draft.body,)


def _login(at: AppTest, username: str, password: str) -> str:
    at.text_input(key="login_username").input(username)
    at.text_input(key="login_password").input(password)
    at.button[0].click().run()
    assert not at.exception
    return texts(at)


def test_staff_login_is_throttled_per_account_and_per_session(monkeypatch: pytest.MonkeyPatch) -> None:
    """Three tries here (five by default): a guesser is slowed per account and per session, in French."""
    from core.config import get_settings
    from services import auth

    monkeypatch.setenv("ESS_LOGIN_MAX_ATTEMPTS", "3")
    get_settings.cache_clear()
    with session_scope(write=True) as session:
        auth.create_user(
            session=session, username="lea", password="mot-de-passe-de-lea", role="admin", actor=CONSOLE_ACTOR
        )
        auth.create_user(
            session=session, username="paul", password="mot-de-passe-de-paul", role="staff", actor=CONSOLE_ACTOR
        )

    attacker = app_as(None).run()
    for _ in range(3):
        assert "Identifiant ou mot de passe incorrect." in _login(attacker, "lea", "devine-t-on")
    # Even the right password is refused now, in this session and for this account, without a bcrypt check.
    assert "Trop de tentatives de connexion. Patientez" in _login(attacker, "lea", "mot-de-passe-de-lea")
    assert "Trop de tentatives de connexion. Patientez" in _login(attacker, "paul", "mot-de-passe-de-paul")
    assert "staff_account" not in attacker.session_state
    # AppTest gives every session the same id, so « another browser » is shown through the service itself:
    # the account is locked from anywhere, another account from another browser is not.
    engine = get_engine()
    elsewhere = auth.attempt_login(
        engine=engine, username="lea", password="mot-de-passe-de-lea", session_key="autre", max_attempts=3
    )
    colleague = auth.attempt_login(
        engine=engine, username="paul", password="mot-de-passe-de-paul", session_key="autre", max_attempts=3
    )
    assert not elsewhere.ok and elsewhere.retry_after_s > 0
    assert colleague.ok  # the lock on « lea » itself lifts when the window has passed (tests/services/test_auth.py)
