"""Logging in: the password check, throttled per account and per browser, and the device cookies."""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func, text
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from db.engine import session_scope
from models import LoginAttempt, StaffUser, utcnow
from services.auth.accounts import USERNAME_RE, StaffAccount, get_user, normalise_username
from services.auth.passwords import dummy_hash, password_matches

LOGIN_FAILED = "Identifiant ou mot de passe incorrect."
LOGIN_THROTTLED = "Trop de tentatives de connexion. Patientez {seconds} s avant de réessayer."
LOGIN_BUSY = "Service de connexion saturé : réessayez dans quelques secondes."
# Any transaction that serialises the login bookkeeping on PostgreSQL (SQLite's BEGIN IMMEDIATE already does).
_LOGIN_LOCK_KEY = 0x455353_4C4F47  # "ESS" "LOG"


# A device cookie (OWASP « Slow Down Online Guessing Attacks with Device Cookies »): given at each
# successful login, it names a browser that already knew this account's password. Its login attempts are
# throttled on their own, so an attacker guessing an admin's password locks out only the browsers that never
# logged in, never the admin's own. It grants nothing else: no session, no role.
DEVICE_COOKIE_RE = re.compile(r"^[0-9a-f]{32}\.[0-9a-f]{64}$")


@dataclass(frozen=True)
class LoginResult:
    ok: bool
    message: str = ""
    account: StaffAccount | None = None
    retry_after_s: int = 0


def _failures_since(session: Session, since: datetime, scope: tuple[Any, ...]) -> int:
    """Failed attempts since `since` in one throttling scope (a tuple of WHERE conditions)."""
    stmt = (
        select(func.count())
        .select_from(LoginAttempt)
        .where(LoginAttempt.created_at >= since, col(LoginAttempt.succeeded).is_(False), *scope)
    )
    return int(session.exec(stmt).one())


def _oldest_failure_since(session: Session, since: datetime, scope: tuple[Any, ...]) -> datetime | None:
    stmt = select(func.min(LoginAttempt.created_at)).where(
        LoginAttempt.created_at >= since, col(LoginAttempt.succeeded).is_(False), *scope
    )
    value: datetime | str | None = session.exec(stmt).one()
    if isinstance(value, str):  # SQLite aggregate bypasses the column type
        value = datetime.fromisoformat(value)
    if value is not None and value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value


def _device_mac(username: str, device: str, cookie_key: str) -> str:
    message = f"staff-device|{normalise_username(username)}|{device}".encode()
    return hmac.new(cookie_key.encode(), message, hashlib.sha256).hexdigest()


def issue_device_cookie(*, username: str, cookie_key: str) -> str:
    """A new device cookie for this account, signed with the app's cookie key."""
    device = secrets.token_hex(16)
    return f"{device}.{_device_mac(username, device, cookie_key)}"


def trusted_device(*, cookie: object, username: str, cookie_key: str) -> str | None:
    """The device a cookie names if it is a valid device cookie of this account, else None."""
    if not isinstance(cookie, str) or not cookie_key or not DEVICE_COOKIE_RE.match(cookie):
        return None
    device, mac = cookie.split(".")
    return device if hmac.compare_digest(mac, _device_mac(username, device, cookie_key)) else None


class PasswordCheckGate:
    """A process-wide bound on the bcrypt work the login form may cause: a flood is refused, never queued.

    At most `concurrency` checks run at once, and `per_second` start on average (bursts of `burst`). A
    check whose turn would come later than `max_wait_s` is refused at once (LOGIN_BUSY), so the waiting
    line is at most `per_second * max_wait_s` long. The throttle of attempt_login counts per account and
    per browser session; this bounds what attempts spread over many names and fresh sessions can cost.
    Hand-written (a dozen lines, the generic cell rate algorithm): the rate-limit libraries count per key
    in a store, this is one in-memory counter that must also bound concurrency.
    """

    def __init__(
        self,
        *,
        per_second: float,
        burst: int = 1,
        concurrency: int = 1,
        max_wait_s: float = 2.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._interval = 1.0 / per_second
        self._tolerance = (max(1, burst) - 1) * self._interval
        self._max_wait = max_wait_s
        self._clock = clock
        self._next = 0.0  # when the next check may start, were there no burst allowance
        self._lock = threading.Lock()
        self._slots = threading.BoundedSemaphore(max(1, concurrency))

    @contextmanager
    def admitted(self) -> Iterator[bool]:
        """Yield True once this check may run (after a wait of at most max_wait_s), False if refused."""
        with self._lock:
            now = self._clock()
            due = max(self._next, now)
            wait = due - self._tolerance - now
            if wait > self._max_wait:
                admitted = False
            else:
                self._next = due + self._interval
                admitted = True
        if not admitted:
            yield False
            return
        deadline = now + self._max_wait
        if wait > 0:
            time.sleep(wait)
        if not self._slots.acquire(timeout=max(0.0, deadline - self._clock())):
            yield False
            return
        try:
            yield True
        finally:
            self._slots.release()


@dataclass(frozen=True)
class _PendingLogin:
    attempt_id: int
    user_id: int | None
    password_hash: bytes


def attempt_login(
    *,
    engine: Engine,
    username: str,
    password: str,
    session_key: str,
    max_attempts: int = 5,
    window_s: int = 60,
    device_cookie: object = None,
    cookie_key: str = "",
    gate: PasswordCheckGate | None = None,
    now: datetime | None = None,
) -> LoginResult:
    """Check a password, throttled per account and per browser session over a sliding window.

    Unknown and known usernames get the same message and the same bcrypt cost. The lock is only
    ever the window, and it is per kind of browser: attempts from browsers with no valid device
    cookie of this account share one window per account; a browser holding one (it logged in to
    this account before) has its own window. An attacker can thus slow down other attackers, never
    the account's owner on the browser they use (and `manage.py reset-password` always works).

    Takes the engine, not a session: the bcrypt check (0.25 s or more) runs between two short write
    transactions, never inside one, so a login flood never holds the store's write lock. The first
    records the attempt as failed before the check (two concurrent attempts cannot both slip under the
    throttle), the second records its outcome. `gate` bounds the process's bcrypt work (PasswordCheckGate).
    """
    now = now or utcnow()
    name = normalise_username(username)[:60]
    # A name no account can have (control characters, lone surrogates, other alphabets) is looked up as
    # one shared unknown name: it must cost the same bcrypt check, and never reach the database as typed.
    if not USERNAME_RE.match(name):
        name = "?" if name else ""
    device = trusted_device(cookie=device_cookie, username=name, cookie_key=cookie_key) if name else None
    with gate.admitted() if gate is not None else nullcontext(True) as admitted:
        if not admitted:
            return LoginResult(False, LOGIN_BUSY, retry_after_s=5)
        with session_scope(engine, write=True) as session:
            pending = _open_attempt(
                session, name, session_key[:64], device, max_attempts=max_attempts, window_s=window_s, now=now
            )
        if isinstance(pending, LoginResult):
            return pending
        matches = password_matches(password or "", pending.password_hash)
    with session_scope(engine, write=True) as session:
        return _close_attempt(session, pending, matches=matches, now=now)


def _open_attempt(
    session: Session,
    name: str,
    session_key: str,
    device: str | None,
    *,
    max_attempts: int,
    window_s: int,
    now: datetime,
) -> _PendingLogin | LoginResult:
    """The throttle check and the attempt's record as a failure, in one short write transaction."""
    if session.get_bind().dialect.name == "postgresql":
        # Serialise the check-then-insert across connections, as BEGIN IMMEDIATE does on SQLite.
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _LOGIN_LOCK_KEY})
    since = now - timedelta(seconds=window_s)
    # The account's window for browsers it does not know, or this trusted device's own; then this session's.
    from_device = col(LoginAttempt.device).is_(None) if device is None else LoginAttempt.device == device
    for scope in ((LoginAttempt.username == name, from_device), (LoginAttempt.session_key == session_key,)):
        if _failures_since(session, since, scope) >= max_attempts:
            oldest = _oldest_failure_since(session, since, scope) or now
            wait = max(1, int((oldest + timedelta(seconds=window_s) - now).total_seconds()) + 1)
            return LoginResult(False, LOGIN_THROTTLED.format(seconds=wait), retry_after_s=wait)
    user = get_user(session, name) if name else None
    attempt = LoginAttempt(username=name, session_key=session_key, device=device, succeeded=False, created_at=now)
    session.add(attempt)
    session.flush()
    assert attempt.id is not None
    if user is None or not user.active:
        return _PendingLogin(attempt.id, None, dummy_hash())
    return _PendingLogin(attempt.id, user.id, user.password_hash.encode("ascii"))


def _close_attempt(session: Session, pending: _PendingLogin, *, matches: bool, now: datetime) -> LoginResult:
    """Record a matching password as a success, unless the account changed during the check."""
    user = session.get(StaffUser, pending.user_id) if pending.user_id is not None and matches else None
    # Deactivated, or given a new password, while its old one was being checked: a failure.
    if user is None or not user.active or user.password_hash.encode("ascii") != pending.password_hash:
        return LoginResult(False, LOGIN_FAILED)
    attempt = session.get(LoginAttempt, pending.attempt_id)
    if attempt is not None:
        attempt.succeeded = True
        session.add(attempt)
    user.last_login_at = now
    session.add(user)
    return LoginResult(True, account=StaffAccount.of(user, signed_in_at=now))
