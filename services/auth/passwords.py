"""Staff passwords: the rules a new one must meet, and its bcrypt hash."""

from __future__ import annotations

import functools
import secrets
import unicodedata

import bcrypt

# Same cost as streamlit-authenticator's Hasher, so its hashes and ours are interchangeable.
BCRYPT_ROUNDS = 12
MIN_PASSWORD_LENGTH = 12
# bcrypt reads at most 72 bytes (bcrypt 5 refuses more rather than truncating silently).
MAX_PASSWORD_BYTES = 72


# Checked against when the username is unknown, so both cases cost one bcrypt check.
@functools.cache
def dummy_hash() -> bytes:
    """Made at the first unknown username, not at import: every process that imports this module (the command
    line, each test run) would otherwise pay a bcrypt hash it never needs."""
    return bcrypt.hashpw(b"not-a-real-password", bcrypt.gensalt(BCRYPT_ROUNDS))


def hash_password(password: str) -> str:
    return bcrypt.hashpw(password.encode("utf-8"), bcrypt.gensalt(BCRYPT_ROUNDS)).decode("ascii")


def password_matches(password: str, password_hash: bytes) -> bool:
    try:
        return bcrypt.checkpw(password.encode("utf-8"), password_hash)
    except (ValueError, UnicodeEncodeError):
        return False


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
