"""Staff accounts, throttled password checks and cookie revocation."""

from __future__ import annotations

from datetime import timedelta

import jwt
import pytest
from sqlalchemy.engine import Engine
from sqlmodel import select

from db.engine import session_scope
from models import AuditEvent, Role, utcnow
from services import auth
from services.errors import ValidationError
from services.permissions import CONSOLE_ACTOR
from ui.cookies import COOKIE_VALUE_RE

KEY = "k" * 48
PASSWORD = "correct-horse-battery"


@pytest.fixture
def engine(sqlite_engine: Engine) -> Engine:
    with session_scope(sqlite_engine, write=True) as session:
        auth.create_user(
            session=session,
            username="Claire",
            password=PASSWORD,
            role=Role.ADMIN.value,
            name="Claire Martin",
            actor=CONSOLE_ACTOR,
        )
        auth.create_user(
            session=session, username="org", password=PASSWORD, role=Role.ORGANIZER.value, actor=CONSOLE_ACTOR
        )
    return sqlite_engine


def login(engine: Engine, username: str, password: str, session_key: str = "s1", **kw: object) -> auth.LoginResult:
    with session_scope(engine, write=True) as session:
        return auth.attempt_login(session=session, username=username, password=password, session_key=session_key, **kw)  # type: ignore[arg-type]


def token_for(username: str, issued: float, days: float = 1.0, key: str = KEY) -> str:
    return jwt.encode({"username": username, "exp_date": issued + days * 86400}, key, algorithm="HS256")


def test_create_user_normalises_and_audits(engine: Engine) -> None:
    with session_scope(engine) as session:
        users = {u.username: u for u in auth.list_users(session=session)}
        events = session.exec(select(AuditEvent).where(AuditEvent.action == "create_user")).all()
    assert users["claire"].role == "admin" and users["claire"].name == "Claire Martin"
    assert len(events) == 2


@pytest.mark.parametrize(
    ("username", "password", "role", "field"),
    [
        ("claire", PASSWORD, "admin", "username"),  # exists
        ("a b", PASSWORD, "staff", "username"),
        ("x", PASSWORD, "staff", "username"),
        ("bob", "court", "staff", "password"),
        ("bob", "aaaaaaaaaaaaaaaa", "staff", "password"),
        ("bob", PASSWORD, "superuser", "role"),
    ],
)
def test_create_user_refuses_bad_input_in_french(
    engine: Engine, username: str, password: str, role: str, field: str
) -> None:
    with pytest.raises(ValidationError) as err, session_scope(engine, write=True) as session:
        auth.create_user(session=session, username=username, password=password, role=role, actor="claire")
    assert field in err.value.errors


def test_login_succeeds_case_insensitively_and_records_it(engine: Engine) -> None:
    result = login(engine, " CLAIRE ", PASSWORD)
    assert result.ok and result.account is not None and result.account.role == "admin"
    with session_scope(engine) as session:
        assert auth.get_account(session=session, username="claire").last_login_at is not None  # type: ignore[union-attr]


def test_unknown_and_known_usernames_get_the_same_answer(engine: Engine) -> None:
    wrong = login(engine, "claire", "pas-le-bon", session_key="a")
    unknown = login(engine, "personne", "pas-le-bon", session_key="b")
    assert wrong.message == unknown.message == auth.LOGIN_FAILED
    assert not wrong.ok and not unknown.ok


def test_failures_on_one_account_are_throttled_across_sessions(engine: Engine) -> None:
    for i in range(5):
        assert login(engine, "claire", "faux", session_key=f"attacker-{i}").message == auth.LOGIN_FAILED
    blocked = login(engine, "claire", PASSWORD, session_key="legit")
    assert not blocked.ok and "Patientez" in blocked.message and blocked.retry_after_s > 0
    # An unknown username is throttled just the same: no hint that the account exists.
    for i in range(5):
        login(engine, "fantome", "faux", session_key=f"x-{i}")
    assert "Patientez" in login(engine, "fantome", "faux", session_key="y").message


def test_one_session_cannot_spray_many_accounts(engine: Engine) -> None:
    for name in ["a1", "a2", "a3", "a4", "a5"]:
        login(engine, name, "faux", session_key="spray")
    assert "Patientez" in login(engine, "org", PASSWORD, session_key="spray").message
    assert login(engine, "org", PASSWORD, session_key="another").ok


def test_the_lock_lifts_once_the_window_has_passed(engine: Engine) -> None:
    start = utcnow()
    for i in range(5):
        login(engine, "claire", "faux", session_key=f"k{i}", now=start)
    assert not login(engine, "claire", PASSWORD, session_key="z", now=start + timedelta(seconds=30)).ok
    later = login(engine, "claire", PASSWORD, session_key="z", now=start + timedelta(seconds=61))
    assert later.ok


def test_an_attacker_cannot_lock_the_owner_out_of_a_browser_that_logged_in_before(engine: Engine) -> None:
    mine = auth.issue_device_cookie(username="claire", cookie_key=KEY)
    # An attack that keeps going: five wrong guesses a minute, from browsers that never logged in.
    for i in range(5):
        login(engine, "claire", "faux", session_key=f"attacker-{i}")
    assert "Patientez" in login(engine, "claire", PASSWORD, session_key="attacker-6").message
    assert "Patientez" in login(engine, "claire", PASSWORD, session_key="new-laptop").message
    # Claire, on the browser she logged in with before, still gets in.
    assert login(engine, "Claire", PASSWORD, session_key="claire-laptop", device_cookie=mine, cookie_key=KEY).ok
    # That browser's window is its own: its failures count there, not in the attacker's, and it is throttled too.
    for _ in range(5):
        login(engine, "claire", "faux", session_key="claire-laptop-2", device_cookie=mine, cookie_key=KEY)
    held = login(engine, "claire", PASSWORD, session_key="claire-laptop-3", device_cookie=mine, cookie_key=KEY)
    assert not held.ok and "Patientez" in held.message
    assert login(engine, "org", PASSWORD, session_key="org-laptop").ok  # other accounts untouched


@pytest.mark.parametrize(
    "cookie",
    [
        auth.issue_device_cookie(username="org", cookie_key=KEY),  # another account's
        auth.issue_device_cookie(username="claire", cookie_key="z" * 48),  # signed with another key
        auth.issue_device_cookie(username="claire", cookie_key=KEY)[:-1] + "0",  # altered
        "0" * 32 + "." + "0" * 64,
        "<script>alert(1)</script>",
        "",
    ],
)
def test_only_a_valid_device_cookie_of_the_account_opens_its_own_window(engine: Engine, cookie: str) -> None:
    assert auth.trusted_device(cookie=cookie, username="claire", cookie_key=KEY) is None
    for i in range(5):
        login(engine, "claire", "faux", session_key=f"attacker-{i}")
    refused = login(engine, "claire", PASSWORD, session_key="forger", device_cookie=cookie, cookie_key=KEY)
    assert not refused.ok and "Patientez" in refused.message


def test_device_cookies_are_unique_and_tied_to_the_key() -> None:
    first = auth.issue_device_cookie(username="claire", cookie_key=KEY)
    second = auth.issue_device_cookie(username="Claire ", cookie_key=KEY)
    assert first != second and auth.DEVICE_COOKIE_RE.match(first)
    assert auth.trusted_device(cookie=second, username="claire", cookie_key=KEY) == second.split(".")[0]
    assert auth.trusted_device(cookie=first, username="claire", cookie_key="") is None  # no key, no trust


def test_inactive_accounts_cannot_log_in(engine: Engine) -> None:
    with session_scope(engine, write=True) as session:
        auth.update_user(session=session, username="org", active=False, actor="claire")
    assert login(engine, "org", PASSWORD).message == auth.LOGIN_FAILED


def test_cookie_is_accepted_until_logout_then_refused(engine: Engine) -> None:
    issued = utcnow()
    token = auth.issue_login_cookie(username="claire", cookie_key=KEY, expiry_days=1, now=issued)
    assert token == token_for("claire", issued.timestamp())  # the JWT streamlit-authenticator 0.4.2 writes
    assert COOKIE_VALUE_RE.match(token)  # ui.cookies writes it as it is
    with session_scope(engine) as session:
        account = auth.account_from_cookie(session=session, token=token, cookie_key=KEY, expiry_days=1)
    assert account is not None and account.username == "claire"
    with session_scope(engine, write=True) as session:
        auth.revoke_login_cookies(session=session, username="claire")
    with session_scope(engine) as session:
        assert auth.account_from_cookie(session=session, token=token, cookie_key=KEY, expiry_days=1) is None
        fresh = token_for("claire", utcnow().timestamp() + 1)
        assert auth.account_from_cookie(session=session, token=fresh, cookie_key=KEY, expiry_days=1) is not None


def test_password_change_revokes_older_cookies(engine: Engine) -> None:
    token = token_for("claire", utcnow().timestamp())
    with session_scope(engine, write=True) as session:
        auth.change_password(
            session=session,
            username="claire",
            old_password=PASSWORD,
            new_password="un-nouveau-mot-de-passe",
            actor="claire",
        )
    with session_scope(engine) as session:
        assert auth.account_from_cookie(session=session, token=token, cookie_key=KEY, expiry_days=1) is None
    assert login(engine, "claire", "un-nouveau-mot-de-passe").ok
    assert not login(engine, "claire", PASSWORD, session_key="s2").ok


@pytest.mark.parametrize(
    "token",
    [
        None,
        "",
        "pas-un-jwt",
        token_for("claire", 0),  # expired long ago
        token_for("claire", 10**10, key="une-autre-cle-" + "z" * 40),  # forged
        token_for("inconnu", 10**10),
        jwt.encode({"username": "claire"}, KEY, algorithm="HS256"),  # no expiry
    ],
)
def test_bad_cookies_are_refused(engine: Engine, token: str | None) -> None:
    with session_scope(engine) as session:
        assert auth.account_from_cookie(session=session, token=token, cookie_key=KEY, expiry_days=1) is None


def test_old_password_must_match_when_given(engine: Engine) -> None:
    with pytest.raises(ValidationError) as err, session_scope(engine, write=True) as session:
        auth.change_password(
            session=session,
            username="claire",
            old_password="faux",
            new_password="un-nouveau-mot-de-passe",
            actor="claire",
        )
    assert "old_password" in err.value.errors


def test_the_last_active_admin_cannot_be_demoted_or_disabled(engine: Engine) -> None:
    for change in ({"role": "staff"}, {"active": False}):
        with pytest.raises(ValidationError), session_scope(engine, write=True) as session:
            auth.update_user(session=session, username="claire", actor="claire", **change)  # type: ignore[arg-type]
    with session_scope(engine, write=True) as session:
        auth.update_user(session=session, username="org", role="admin", actor="claire")
        auth.update_user(session=session, username="claire", role="staff", actor="claire")
    with session_scope(engine) as session:
        assert auth.count_admins(session=session) == 1
