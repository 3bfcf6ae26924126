"""AppTest helpers: run the real app.py as a given role, without going through the login form."""

from __future__ import annotations

import os
from pathlib import Path

from sqlmodel import select
from streamlit.testing.v1 import AppTest

from models import StaffUser, utcnow
from services.auth import StaffAccount

ROOT = Path(__file__).resolve().parents[2]
ROLES = (None, "organizer", "staff", "admin")


def script(path: str = "app.py") -> str:
    """AppTest resolves relative paths against the calling file: give it absolute ones."""
    return str(ROOT / path)


def account(role: str, username: str | None = None) -> StaffAccount:
    """A session's account, as after a login: the account is added to the test's store if missing.

    Every run checks the session's account against the store (ui.auth.current_account), so it must exist
    there; it gets an unusable password hash (no bcrypt cost, no login through the form).
    """
    from db.engine import session_scope
    from services.auth import session_account

    assert os.environ.get("ESS_DATABASE_URL"), "account() needs the app_env fixture (the test's own store)"
    username = username or f"test-{role}"
    with session_scope(write=True) as session:
        user = session.exec(select(StaffUser).where(StaffUser.username == username)).first()
        if user is None:
            session.add(StaffUser(username=username, name=f"Test {role}", password_hash="!", role=role))
        elif user.role != role:
            user.role = role
            session.add(user)
    with session_scope() as session:
        held = StaffAccount(0, username, "", "", role, True, None, signed_in_at=utcnow())
        fresh = session_account(session=session, account=held)
    assert fresh is not None
    return fresh


def app_as(role: str | None, timeout: float = 30) -> AppTest:
    at = AppTest.from_file(script(), default_timeout=timeout)
    if role is not None:
        at.session_state["staff_account"] = account(role)
    return at


def texts(at: AppTest) -> str:
    """Every piece of text AppTest sees on the page, joined (titles, markdown, text, captions, alerts)."""
    parts: list[str] = []
    for kind in ("title", "header", "subheader", "markdown", "text", "caption", "success", "error", "warning", "info"):
        parts.extend(str(el.value) for el in getattr(at, kind))
    return "\n".join(parts)
