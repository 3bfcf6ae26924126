"""AppTest helpers: run the real app.py as a given role, without going through the login form."""

from __future__ import annotations

from pathlib import Path

import bcrypt
from sqlmodel import select
from streamlit.testing.v1 import AppTest

from db.engine import session_scope
from models import StaffUser
from services.auth import StaffAccount

ROOT = Path(__file__).resolve().parents[2]
ROLES = (None, "organizer", "staff", "admin")


def script(path: str = "app.py") -> str:
    """AppTest resolves relative paths against the calling file: give it absolute ones."""
    return str(ROOT / path)


# One cheap hash for every test account: these accounts never log in through the form.
_HASH = bcrypt.hashpw(b"test-account-never-logs-in", bcrypt.gensalt(4)).decode("ascii")


def account(role: str, username: str | None = None) -> StaffAccount:
    """A staff account of this role in the test's store (services check the actor there, not in the session)."""
    username = username or f"test-{role}"
    with session_scope(write=True) as session:
        user = session.exec(select(StaffUser).where(StaffUser.username == username)).first()
        if user is None:
            user = StaffUser(username=username, name=f"Test {role}", email="", password_hash=_HASH, role=role)
            session.add(user)
            session.flush()
        return StaffAccount.of(user)


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
