"""Staff accounts, password checks with throttling, and login-cookie revocation.

One name for callers (`from services import auth`); the work is in passwords, accounts, login and login_cookie.
`Role` and `utcnow` are re-exported for the pages and ui/, which never import models.
"""

from models import Role, utcnow
from services.auth.accounts import (
    ROLE_LABELS,
    USERNAME_RE,
    StaffAccount,
    change_password,
    count_admins,
    create_user,
    get_account,
    list_users,
    normalise_username,
    revoke_login_cookies,
    session_account,
    update_user,
)
from services.auth.login import (
    DEVICE_COOKIE_RE,
    LOGIN_BUSY,
    LOGIN_FAILED,
    LOGIN_THROTTLED,
    LoginResult,
    PasswordCheckGate,
    attempt_login,
    issue_device_cookie,
    trusted_device,
)
from services.auth.login_cookie import account_from_cookie, issue_login_cookie
from services.auth.passwords import (
    BCRYPT_ROUNDS,
    MAX_PASSWORD_BYTES,
    MIN_PASSWORD_LENGTH,
    check_password_rules,
    generate_password,
    hash_password,
)

__all__ = [
    "BCRYPT_ROUNDS",
    "DEVICE_COOKIE_RE",
    "LOGIN_BUSY",
    "LOGIN_FAILED",
    "LOGIN_THROTTLED",
    "MAX_PASSWORD_BYTES",
    "MIN_PASSWORD_LENGTH",
    "ROLE_LABELS",
    "USERNAME_RE",
    "LoginResult",
    "PasswordCheckGate",
    "Role",
    "StaffAccount",
    "account_from_cookie",
    "attempt_login",
    "change_password",
    "check_password_rules",
    "count_admins",
    "create_user",
    "generate_password",
    "get_account",
    "hash_password",
    "issue_device_cookie",
    "issue_login_cookie",
    "list_users",
    "normalise_username",
    "revoke_login_cookies",
    "session_account",
    "trusted_device",
    "update_user",
    "utcnow",
]
