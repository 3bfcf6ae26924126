"""Staff accounts, password checks with throttling, and login-cookie revocation."""

from __future__ import annotations

import functools
import hashlib
import hmac
import re
import secrets
import threading
import time
import unicodedata
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import bcrypt
import jwt
from sqlalchemy import func, text
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from db.engine import session_scope
from models import LoginAttempt, Role, StaffUser, utcnow
from services.audit import record_audit_event
from services.errors import NotFoundError, ValidationError
from services.permissions import Permission, require_permission
from services.text import check_text

# Same cost as streamlit-authenticator's Hasher, so its hashes and ours are interchangeable.
BCRYPT_ROUNDS = 12
MIN_PASSWORD_LENGTH = 12
# bcrypt reads at most 72 bytes (bcrypt 5 refuses more rather than truncating silently).
MAX_PASSWORD_BYTES = 72
USERNAME_RE = re.compile(r"^[a-z0-9][a-z0-9._-]{1,59}$")
LOGIN_FAILED = "Identifiant ou mot de passe incorrect."
LOGIN_THROTTLED = "Trop de tentatives de connexion. Patientez {seconds} s avant de réessayer."
LOGIN_BUSY = "Service de connexion saturé : réessayez dans quelques secondes."
# Any transaction that serialises the login bookkeeping on PostgreSQL (SQLite's BEGIN IMMEDIATE already does).
_LOGIN_LOCK_KEY = 0x455353_4C4F47  # "ESS" "LOG"

ROLE_LABELS = {
    Role.ORGANIZER.value: "Organisation (suivi en direct)",
    Role.STAFF.value: "Équipe Région (modération, rédaction)",
    Role.ADMIN.value: "Administration",
}

# A device cookie (OWASP « Slow Down Online Guessing Attacks with Device Cookies »): given at each
# successful login, it names a browser that already knew this account's password. Its login attempts are
# throttled on their own, so an attacker guessing an admin's password locks out only the browsers that never
# logged in, never the admin's own. It grants nothing else: no session, no role.
DEVICE_COOKIE_RE = re.compile(r"^[0-9a-f]{32}\.[0-9a-f]{64}$")


# Checked against when the username is unknown, so both cases cost one bcrypt check.
@functools.cache
def _dummy_hash() -> bytes:
    """Made at the first unknown username, not at import: every process that imports this module (the command
    line, each test run) would otherwise pay a bcrypt hash it never needs."""
    return bcrypt.hashpw(b"not-a-real-password", bcrypt.gensalt(BCRYPT_ROUNDS))


@dataclass(frozen=True)
class StaffAccount:
    """What the app needs to know about a logged-in staff member (no password hash)."""

    id: int
    username: str
    name: str
    email: str
    role: str
    active: bool
    last_login_at: datetime | None
    # When the browser session holding this account logged in (its password, or its cookie's issue time);
    # None outside a session. A session that logged in before the account's `tokens_valid_after` is over.
    signed_in_at: datetime | None = None

    @classmethod
    def of(cls, user: StaffUser, signed_in_at: datetime | None = None) -> StaffAccount:
        assert user.id is not None
        return cls(
            user.id, user.username, user.name, user.email, user.role, user.active, user.last_login_at, signed_in_at
        )


@dataclass(frozen=True)
class LoginResult:
    ok: bool
    message: str = ""
    account: StaffAccount | None = None
    retry_after_s: int = 0


def hash_password(password: str) -> str:
    return bcrypt.hashpw(password.encode("utf-8"), bcrypt.gensalt(BCRYPT_ROUNDS)).decode("ascii")


def _password_matches(password: str, password_hash: bytes) -> bool:
    try:
        return bcrypt.checkpw(password.encode("utf-8"), password_hash)
    except (ValueError, UnicodeEncodeError):
        return False


def normalise_username(username: str) -> str:
    return (username or "").strip().lower()


def check_password_rules(password: str) -> str | None:
    """French message when a new password is too weak or cannot be stored, else None."""
    if len(password) < MIN_PASSWORD_LENGTH:
        return f"Le mot de passe doit compter au moins {MIN_PASSWORD_LENGTH} caractères."
    try:
        size = len(password.encode("utf-8"))
    except UnicodeEncodeError:  # a lone surrogate: no keyboard types it, and it has no UTF-8 form to hash
        return "Le mot de passe contient un caractère invalide."
    if size > MAX_PASSWORD_BYTES:
        return (
            f"Le mot de passe ne doit pas dépasser {MAX_PASSWORD_BYTES} octets "
            f"(ici {size} : une lettre accentuée en compte deux, un émoji quatre)."
        )
    # bcrypt stops at a NUL byte: two passwords differing after it would be the same.
    if any(unicodedata.category(c) == "Cc" for c in password):
        return "Le mot de passe ne doit pas contenir de caractère de contrôle."
    if password.strip() != password:
        return "Le mot de passe ne doit pas commencer ni finir par une espace."
    if len(set(password)) < 5:
        return "Le mot de passe est trop répétitif."
    return None


def generate_password() -> str:
    """A random password for a first admin account (printed once)."""
    return secrets.token_urlsafe(15)


def _get_user(session: Session, username: str) -> StaffUser | None:
    return session.exec(select(StaffUser).where(StaffUser.username == normalise_username(username))).first()


def create_user(
    session: Session,
    *,
    username: str,
    password: str,
    role: str,
    actor: str,
    name: str = "",
    email: str = "",
) -> StaffAccount:
    """Create a staff account; refuses a bad username, role or weak password."""
    require_permission(session=session, actor=actor, permission=Permission.USERS)
    username = normalise_username(username)
    errors: dict[str, str] = {}
    if not USERNAME_RE.match(username):
        errors["username"] = (
            "L'identifiant doit compter 2 à 60 caractères : lettres minuscules, chiffres, point, tiret."
        )
    elif _get_user(session, username) is not None:
        errors["username"] = "Cet identifiant existe déjà."
    if role not in ROLE_LABELS:
        errors["role"] = "Rôle inconnu : organizer, staff ou admin."
    if (problem := check_password_rules(password)) is not None:
        errors["password"] = problem
    name, problem = check_text(name, label="Le nom", max_chars=120, required=False)
    if problem:
        errors["name"] = problem
    email, problem = check_text(email, label="Le courriel", max_chars=200, required=False)
    if problem:
        errors["email"] = problem
    if errors:
        raise ValidationError(errors)
    user = StaffUser(
        username=username,
        name=name.strip() or username,
        email=email.strip(),
        password_hash=hash_password(password),
        role=role,
    )
    session.add(user)
    session.flush()
    record_audit_event(
        session=session,
        actor=actor,
        action="create_user",
        entity_type="staffuser",
        entity_id=user.id or "",
        after={"username": username, "role": role},
    )
    return StaffAccount.of(user)


def count_admins(session: Session) -> int:
    stmt = select(func.count()).select_from(StaffUser).where(StaffUser.role == Role.ADMIN.value, StaffUser.active)
    return int(session.exec(stmt).one())


def list_users(session: Session) -> list[StaffAccount]:
    return [StaffAccount.of(u) for u in session.exec(select(StaffUser).order_by(col(StaffUser.username))).all()]


def get_account(session: Session, *, username: str) -> StaffAccount | None:
    user = _get_user(session, username)
    return StaffAccount.of(user) if user and user.active else None


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
        matches = _password_matches(password or "", pending.password_hash)
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
    user = _get_user(session, name) if name else None
    attempt = LoginAttempt(username=name, session_key=session_key, device=device, succeeded=False, created_at=now)
    session.add(attempt)
    session.flush()
    assert attempt.id is not None
    if user is None or not user.active:
        return _PendingLogin(attempt.id, None, _dummy_hash())
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


def session_account(session: Session, *, account: StaffAccount) -> StaffAccount | None:
    """The account as the store has it now for an open browser session, or None if the session is over.

    Over: the account was deactivated or deleted, or its cookies were revoked (logout, password change)
    after the session logged in. A session with no login time is over too.
    """
    user = _get_user(session, account.username)
    signed_in_at = account.signed_in_at
    if user is None or not user.active or signed_in_at is None or signed_in_at < user.tokens_valid_after:
        return None
    return StaffAccount.of(user, signed_in_at=signed_in_at)


def revoke_login_cookies(session: Session, *, username: str, now: datetime | None = None) -> None:
    """Refuse from now on every login cookie issued to this user so far (logout, password change)."""
    user = _get_user(session, username)
    if user is None:
        return
    user.tokens_valid_after = now or utcnow()
    session.add(user)


def change_password(
    session: Session, *, username: str, new_password: str, actor: str, old_password: str | None = None
) -> StaffAccount:
    """Set a new password (checking the old one when given) and revoke existing cookies.

    One's own password, with the old one, needs only the ACCOUNT right; anyone else's needs USERS.
    """
    own = old_password is not None and normalise_username(actor) == normalise_username(username)
    require_permission(session=session, actor=actor, permission=Permission.ACCOUNT if own else Permission.USERS)
    user = _get_user(session, username)
    if user is None:
        raise NotFoundError("Compte introuvable.")
    if old_password is not None and not _password_matches(old_password, user.password_hash.encode("ascii")):
        raise ValidationError({"old_password": "L'ancien mot de passe est incorrect."})
    if (problem := check_password_rules(new_password)) is not None:
        raise ValidationError({"new_password": problem})
    now = utcnow()
    user.password_hash = hash_password(new_password)
    user.password_changed_at = now
    user.tokens_valid_after = now
    session.add(user)
    record_audit_event(
        session=session, actor=actor, action="change_password", entity_type="staffuser", entity_id=user.id or ""
    )
    return StaffAccount.of(user)


def update_user(
    session: Session, *, username: str, actor: str, role: str | None = None, active: bool | None = None
) -> StaffAccount:
    """Change a user's role or active flag, never leaving the app without an active admin."""
    require_permission(session=session, actor=actor, permission=Permission.USERS)
    user = _get_user(session, username)
    if user is None:
        raise NotFoundError("Compte introuvable.")
    before = {"role": user.role, "active": user.active}
    if role is not None:
        if role not in ROLE_LABELS:
            raise ValidationError({"role": "Rôle inconnu."})
        user.role = role
    if active is not None:
        user.active = active
    demotes_admin = (
        before["role"] == Role.ADMIN.value and before["active"] and not (user.role == Role.ADMIN.value and user.active)
    )
    session.add(user)
    session.flush()  # count the admins as they are after this change
    if demotes_admin and count_admins(session=session) == 0:
        raise ValidationError({"role": "Impossible : ce compte est le dernier administrateur actif."})
    if before["active"] and not user.active:
        user.tokens_valid_after = utcnow()
    session.add(user)
    record_audit_event(
        session=session,
        actor=actor,
        action="update_user",
        entity_type="staffuser",
        entity_id=user.id or "",
        before=before,
        after={"role": user.role, "active": user.active},
    )
    return StaffAccount.of(user)


def issue_login_cookie(*, username: str, cookie_key: str, expiry_days: float, now: datetime | None = None) -> str:
    """The login cookie's value: streamlit-authenticator 0.4.2's JWT (username, expiry) plus its issue time.

    `iat` is what account_from_cookie compares with the account's revocation time (streamlit-authenticator
    ignores claims it does not use). Written by the page itself (ui.cookies), not by the library's cookie
    component: that component's iframe could be unmounted by the rerun its sibling "getAll" component
    triggers, and the cookie was then never written (a login lost at the next reload, seen on a busy machine).
    """
    issued = (now or utcnow()).timestamp()
    claims = {"username": username, "exp_date": issued + expiry_days * 86400, "iat": issued}
    return jwt.encode(claims, cookie_key, algorithm="HS256")


# Clocks of several app processes may differ a little: PyJWT refuses an `iat` in its future beyond this.
_CLOCK_LEEWAY_S = 60


def account_from_cookie(
    session: Session, *, token: str | None, cookie_key: str, now: datetime | None = None
) -> StaffAccount | None:
    """The account a login cookie stands for, or None if invalid, expired or revoked.

    Revoked: issued (its `iat` claim) before the account's `tokens_valid_after`. A cookie without `iat`
    (written before it was a claim) cannot say when it was issued, so it is refused.
    """
    if not token:
        return None
    try:
        claims: dict[str, Any] = jwt.decode(
            token, cookie_key, algorithms=["HS256"], leeway=_CLOCK_LEEWAY_S, options={"require": ["iat"]}
        )
    except jwt.PyJWTError:
        return None
    username, exp, issued = claims.get("username"), claims.get("exp_date"), claims.get("iat")
    if not isinstance(username, str) or not isinstance(exp, (int, float)) or not isinstance(issued, (int, float)):
        return None
    now = now or utcnow()
    if exp <= now.timestamp():
        return None
    user = _get_user(session, username)
    if user is None or not user.active or issued < user.tokens_valid_after.timestamp():
        return None
    return StaffAccount.of(user, signed_in_at=datetime.fromtimestamp(issued, UTC))
