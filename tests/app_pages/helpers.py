"""AppTest helpers: run the real app.py as a given role, without going through the login form."""

from __future__ import annotations

from pathlib import Path

from streamlit.testing.v1 import AppTest

from services.auth import StaffAccount

ROOT = Path(__file__).resolve().parents[2]
ROLES = (None, "organizer", "staff", "admin")


def script(path: str = "app.py") -> str:
    """AppTest resolves relative paths against the calling file: give it absolute ones."""
    return str(ROOT / path)


def account(role: str, username: str | None = None) -> StaffAccount:
    return StaffAccount(
        id=1,
        username=username or f"test-{role}",
        name=f"Test {role}",
        email="",
        role=role,
        active=True,
        last_login_at=None,
    )


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
