"""Staff accounts: creating them, their role and active flag, their password, and whether a session still holds."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func
from sqlmodel import Session, col, select

from models import Role, StaffUser, utcnow
from services.audit import audit
from services.auth.passwords import check_password_rules, hash_password, password_matches
from services.errors import NotFoundError, ValidationError
from services.permissions import Permission, require_permission
from services.text import check_text

USERNAME_RE = re.compile(r"^[a-z0-9][a-z0-9._-]{1,59}$")

ROLE_LABELS = {
    Role.ORGANIZER.value: "Organisation (suivi en direct)",
    Role.STAFF.value: "Équipe Région (modération, rédaction)",
    Role.ADMIN.value: "Administration",
}


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


def normalise_username(username: str) -> str:
    return (username or "").strip().lower()


def get_user(session: Session, username: str) -> StaffUser | None:
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
    elif get_user(session, username) is not None:
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
    audit(session, actor, "user.create", user.id, entity_type="staffuser", after={"username": username, "role": role})
    return StaffAccount.of(user)


def count_admins(session: Session) -> int:
    stmt = select(func.count()).select_from(StaffUser).where(StaffUser.role == Role.ADMIN.value, StaffUser.active)
    return int(session.exec(stmt).one())


def list_users(session: Session) -> list[StaffAccount]:
    return [StaffAccount.of(u) for u in session.exec(select(StaffUser).order_by(col(StaffUser.username))).all()]


def get_account(session: Session, *, username: str) -> StaffAccount | None:
    user = get_user(session, username)
    return StaffAccount.of(user) if user and user.active else None


def session_account(session: Session, *, account: StaffAccount) -> StaffAccount | None:
    """The account as the store has it now for an open browser session, or None if the session is over.

    Over: the account was deactivated or deleted, or its cookies were revoked (logout, password change)
    after the session logged in. A session with no login time is over too.
    """
    user = get_user(session, account.username)
    signed_in_at = account.signed_in_at
    if user is None or not user.active or signed_in_at is None or signed_in_at < user.tokens_valid_after:
        return None
    return StaffAccount.of(user, signed_in_at=signed_in_at)


def revoke_login_cookies(session: Session, *, username: str, now: datetime | None = None) -> None:
    """Refuse from now on every login cookie issued to this user so far (logout, password change)."""
    user = get_user(session, username)
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
    user = get_user(session, username)
    if user is None:
        raise NotFoundError("Compte introuvable.")
    if old_password is not None and not password_matches(old_password, user.password_hash.encode("ascii")):
        raise ValidationError({"old_password": "L'ancien mot de passe est incorrect."})
    if (problem := check_password_rules(new_password)) is not None:
        raise ValidationError({"new_password": problem})
    now = utcnow()
    user.password_hash = hash_password(new_password)
    user.password_changed_at = now
    user.tokens_valid_after = now
    session.add(user)
    audit(session, actor, "user.password", user.id, entity_type="staffuser")
    return StaffAccount.of(user)


def update_user(
    session: Session, *, username: str, actor: str, role: str | None = None, active: bool | None = None
) -> StaffAccount:
    """Change a user's role or active flag, never leaving the app without an active admin."""
    require_permission(session=session, actor=actor, permission=Permission.USERS)
    user = get_user(session, username)
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
    after = {"role": user.role, "active": user.active}
    audit(session, actor, "user.update", user.id, entity_type="staffuser", before=before, after=after)
    return StaffAccount.of(user)
