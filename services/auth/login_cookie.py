"""The login cookie: a signed token naming the account and when it was issued, refused once revoked."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import jwt
from sqlmodel import Session

from models import utcnow
from services.auth.accounts import StaffAccount, get_user


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
    user = get_user(session, username)
    if user is None or not user.active or issued < user.tokens_valid_after.timestamp():
        return None
    return StaffAccount.of(user, signed_in_at=datetime.fromtimestamp(issued, UTC))
