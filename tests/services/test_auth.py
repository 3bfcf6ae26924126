"""Staff accounts, throttled password checks and cookie revocation."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable
from contextlib import closing
from dataclasses import replace
from datetime import timedelta

import bcrypt
import jwt
import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from db.engine import _sqlite_write_locks, session_scope
from models import AuditEvent, LoginAttempt, Role, utcnow
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
    return auth.attempt_login(engine=engine, username=username, password=password, session_key=session_key, **kw)  # type: ignore[arg-type]


def token_for(username: str, issued: float, days: float = 1.0, key: str = KEY, *, iat: bool = True) -> str:
    claims: dict[str, object] = {"username": username, "exp_date": issued + days * 86400}
    if iat:
        claims["iat"] = issued
    return jwt.encode(claims, key, algorithm="HS256")


def test_create_user_normalises_and_audits(engine: Engine) -> None:
    with session_scope(engine) as session:
        users = {u.username: u for u in auth.list_users(session=session)}
        events = session.exec(select(AuditEvent).where(AuditEvent.action == "user.create")).all()
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


def altered(cookie: str) -> str:
    """The same cookie with its last hex digit changed (always changed: a fixed "0" was a no-op 1 time in 16)."""
    return cookie[:-1] + ("1" if cookie[-1] == "0" else "0")


@pytest.mark.parametrize(
    "cookie",
    [
        auth.issue_device_cookie(username="org", cookie_key=KEY),  # another account's
        auth.issue_device_cookie(username="claire", cookie_key="z" * 48),  # signed with another key
        altered(auth.issue_device_cookie(username="claire", cookie_key=KEY)),
        "0" * 32 + "." + "0" * 64,
        "<script>alert(1)</script>",
        "",
    ],
    # Fixed ids: the cookies are random, and parallel workers must collect the same test names.
    ids=["other-account", "other-key", "altered", "zeros", "markup", "empty"],
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
        account = auth.account_from_cookie(session=session, token=token, cookie_key=KEY)
    assert account is not None and account.username == "claire"
    with session_scope(engine, write=True) as session:
        auth.revoke_login_cookies(session=session, username="claire")
    with session_scope(engine) as session:
        assert auth.account_from_cookie(session=session, token=token, cookie_key=KEY) is None
        fresh = token_for("claire", utcnow().timestamp() + 1)
        assert auth.account_from_cookie(session=session, token=fresh, cookie_key=KEY) is not None


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
        assert auth.account_from_cookie(session=session, token=token, cookie_key=KEY) is None
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
        assert auth.account_from_cookie(session=session, token=token, cookie_key=KEY) is None


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


def _write_transaction_open(engine: Engine) -> bool:
    """Whether any write transaction is open on the store, seen from outside the thread that checks."""
    if engine.dialect.name == "sqlite":
        lock = _sqlite_write_locks[id(engine)]
        free = threading.Event()

        def probe() -> None:  # from another thread: the lock is re-entrant for the thread that holds it
            if lock.acquire(blocking=False):
                lock.release()
                free.set()

        prober = threading.Thread(target=probe)
        prober.start()
        prober.join()
        with closing(sqlite3.connect(engine.url.database or "", timeout=0, isolation_level=None)) as other:
            try:
                other.execute("BEGIN IMMEDIATE")
                other.execute("ROLLBACK")
            except sqlite3.OperationalError:
                return True
        return not free.is_set()
    with engine.connect() as conn:
        busy = conn.execute(
            text(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                "AND pid <> pg_backend_pid() AND xact_start IS NOT NULL"
            )
        ).scalar_one()
    return bool(busy)


@pytest.mark.parametrize("username", ["claire", "personne"])
def test_no_write_transaction_is_open_while_the_password_is_checked(
    store_engine: Engine, monkeypatch: pytest.MonkeyPatch, username: str
) -> None:
    with session_scope(store_engine, write=True) as session:
        auth.create_user(
            session=session, username="claire", password=PASSWORD, role=Role.ADMIN.value, actor=CONSOLE_ACTOR
        )
    real_checkpw = bcrypt.checkpw
    seen: list[bool] = []

    def checkpw(password: bytes, hashed: bytes) -> bool:
        seen.append(_write_transaction_open(store_engine))
        return real_checkpw(password, hashed)

    monkeypatch.setattr(bcrypt, "checkpw", checkpw)
    result = login(store_engine, username, PASSWORD, session_key="flood")
    assert result.ok == (username == "claire")
    assert seen == [False]  # one check, for a known as for an unknown name, and nothing was held meanwhile
    with session_scope(store_engine) as session:
        recorded = session.exec(select(LoginAttempt).where(LoginAttempt.session_key == "flood")).all()
    assert [a.succeeded for a in recorded] == [username == "claire"]


def test_lowering_the_cookie_lifetime_does_not_revive_cookies_issued_before_a_logout(engine: Engine) -> None:
    issued = utcnow() - timedelta(hours=1)
    token = auth.issue_login_cookie(username="claire", cookie_key=KEY, expiry_days=7, now=issued)
    with session_scope(engine, write=True) as session:
        auth.revoke_login_cookies(session=session, username="claire")
    # Its issue time is a claim of its own, not derived from ESS_COOKIE_EXPIRY_DAYS, so lowering the setting
    # (which used to make this cookie look issued after the logout) no longer enters the check at all.
    with session_scope(engine) as session:
        assert auth.account_from_cookie(session=session, token=token, cookie_key=KEY) is None


def test_a_cookie_without_its_issue_time_is_refused(engine: Engine) -> None:
    """Cookies written before the issue time was a claim: nothing says when they were issued, so they are refused."""
    with session_scope(engine) as session:
        old = token_for("claire", utcnow().timestamp() + 60, iat=False)
        assert auth.account_from_cookie(session=session, token=old, cookie_key=KEY) is None
        for iat in ("hier", None, [1]):
            odd = jwt.encode({"username": "claire", "exp_date": 10**10, "iat": iat}, KEY, algorithm="HS256")
            assert auth.account_from_cookie(session=session, token=odd, cookie_key=KEY) is None


LONG_PASSWORDS = ["é" * 37, "a-long-passphrase-" * 5, "🙂" * 19]  # 74, 90 and 76 bytes in UTF-8


@pytest.mark.parametrize("password", LONG_PASSWORDS)
def test_passwords_over_72_bytes_are_refused_in_french_when_set(engine: Engine, password: str) -> None:
    assert len(password.encode("utf-8")) > 72
    with pytest.raises(ValidationError) as err, session_scope(engine, write=True) as session:
        auth.create_user(session=session, username="bob", password=password, role="staff", actor=CONSOLE_ACTOR)
    assert "72 octets" in err.value.errors["password"]
    with pytest.raises(ValidationError) as err, session_scope(engine, write=True) as session:
        auth.change_password(session=session, username="claire", new_password=password, actor="claire")
    assert "72 octets" in err.value.errors["new_password"]
    assert "72 octets" in (auth.check_password_rules(password) or "")
    assert auth.check_password_rules("é" * 30 + "abcdefghijkl") is None  # 72 bytes exactly: bcrypt takes it whole


def test_a_password_that_cannot_be_stored_is_refused_in_french(engine: Engine) -> None:
    for password in ("un-mot-de-passe\udc80", "un-mot-de-passe\x00nul"):
        assert auth.check_password_rules(password) is not None


@pytest.mark.parametrize("password", LONG_PASSWORDS)
def test_an_over_long_typed_password_is_a_plain_failure(engine: Engine, password: str) -> None:
    assert login(engine, "claire", password).message == auth.LOGIN_FAILED
    assert login(engine, "personne", password, session_key="s2").message == auth.LOGIN_FAILED


def test_concurrent_attempts_cannot_slip_under_the_throttle_together(
    store_engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each attempt is recorded before its check: of six guesses at once with one try left, one is checked."""
    with session_scope(store_engine, write=True) as session:
        auth.create_user(
            session=session, username="claire", password=PASSWORD, role=Role.ADMIN.value, actor=CONSOLE_ACTOR
        )
    for i in range(4):
        login(store_engine, "claire", "faux", session_key=f"before-{i}")
    checks: list[bytes] = []
    real_checkpw = bcrypt.checkpw

    def checkpw(password: bytes, hashed: bytes) -> bool:
        checks.append(password)
        return real_checkpw(password, hashed)

    monkeypatch.setattr(bcrypt, "checkpw", checkpw)
    start = threading.Barrier(6)
    results: list[auth.LoginResult] = []

    def guess(n: int) -> None:
        start.wait()
        results.append(login(store_engine, "claire", f"devine-{n}", session_key=f"thread-{n}"))

    threads = [threading.Thread(target=guess, args=(n,)) for n in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(checks) == 1
    assert sorted(r.message.startswith("Trop de tentatives") for r in results) == [False] + [True] * 5


def test_the_gate_refuses_what_it_cannot_start_in_time_and_never_queues_more() -> None:
    clock = [100.0]
    gate = auth.PasswordCheckGate(per_second=2, burst=2, concurrency=1, max_wait_s=1.0, clock=lambda: clock[0])
    sleeps: list[float] = []

    def admitted() -> bool:
        with gate.admitted() as ok:
            return ok

    # services.auth.login waits with time.sleep: the same module object, so patching it here is what the gate sees.
    import time

    real_sleep = time.sleep
    time.sleep = sleeps.append  # type: ignore[assignment]  # records each wait (a float) instead of sleeping
    try:
        # Eight logins at the same instant: two at once (the burst), then one every half second, so the
        # third and fourth wait 0.5 and 1 s; the others' turn would come 1.5 s away or more: refused at once.
        assert [admitted() for _ in range(8)] == [True] * 4 + [False] * 4
        assert sleeps == [0.5, 1.0]
        clock[0] = 103.0  # the line has drained: admitted again, without waiting
        assert admitted() and sleeps == [0.5, 1.0]
    finally:
        time.sleep = real_sleep


def test_a_busy_check_slot_refuses_with_a_french_message(engine: Engine) -> None:
    gate = auth.PasswordCheckGate(per_second=100, burst=10, concurrency=1, max_wait_s=0.05)
    with gate.admitted() as held:  # a check that takes longer than the wait allowed
        assert held
        busy = login(engine, "claire", PASSWORD, gate=gate)
    assert not busy.ok and busy.message == auth.LOGIN_BUSY and "saturé" in busy.message
    with session_scope(engine) as session:  # nothing was checked, so nothing counts against the account
        assert not session.exec(select(LoginAttempt)).all()
    assert login(engine, "claire", PASSWORD, gate=gate).ok


def test_an_open_session_ends_with_each_revocation_and_follows_a_role_change(store_engine: Engine) -> None:
    with session_scope(store_engine, write=True) as session:
        auth.create_user(
            session=session, username="claire", password=PASSWORD, role=Role.ADMIN.value, actor=CONSOLE_ACTOR
        )
        auth.create_user(session=session, username="sam", password=PASSWORD, role=Role.STAFF.value, actor=CONSOLE_ACTOR)

    def still_open(account: auth.StaffAccount) -> auth.StaffAccount | None:
        with session_scope(store_engine) as session:
            return auth.session_account(session=session, account=account)

    opened = login(store_engine, "sam", PASSWORD).account
    assert opened is not None and opened.signed_in_at is not None and still_open(opened) == opened
    assert still_open(replace(opened, signed_in_at=None)) is None  # a session that cannot say when it began

    with session_scope(store_engine, write=True) as session:
        auth.update_user(session=session, username="sam", role=Role.ORGANIZER.value, actor="claire")
    assert (still_open(opened) or opened).role == Role.ORGANIZER.value

    revocations: dict[str, Callable[[Session, str], object]] = {
        "logout-elsewhere": lambda s, u: auth.revoke_login_cookies(session=s, username=u),
        "reset": lambda s, u: auth.change_password(
            session=s, username=u, new_password=PASSWORD + "!", actor=CONSOLE_ACTOR
        ),
        "deactivated": lambda s, u: auth.update_user(session=s, username=u, active=False, actor="claire"),
    }
    for username, revoke in revocations.items():
        with session_scope(store_engine, write=True) as session:
            auth.create_user(
                session=session, username=username, password=PASSWORD, role=Role.STAFF.value, actor=CONSOLE_ACTOR
            )
        account = login(store_engine, username, PASSWORD, session_key=username).account
        assert account is not None and still_open(account) is not None
        with session_scope(store_engine, write=True) as session:
            revoke(session, username)
        assert still_open(account) is None, username


@pytest.mark.real_bcrypt
def test_passwords_are_hashed_at_the_production_cost() -> None:
    # Same cost as streamlit-authenticator's Hasher (its hashes and ours are interchangeable); the other
    # tests hash at cost 4 (tests/conftest.py::cheap_password_hashes).
    assert auth.hash_password(PASSWORD).startswith("$2b$12$")
