"""Short codes people read aloud or type: receipts, passports, resume codes."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from typing import TypeVar

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, SQLModel

R = TypeVar("R", bound=SQLModel)

# No 0/O, 1/I/L, 2/Z, 5/S, 8/B: letters and digits that are never confused when read or heard.
READABLE_ALPHABET = "ACDEFGHJKMNPQRTUVWXY34679"


def readable_code(length: int = 8, *, group: int = 4) -> str:
    """A random code such as 'K7QF-MC3R' (25^8 ≈ 1.5·10^11 values for length 8)."""
    # One draw from the OS per code, not one per character (an import draws tens of thousands of receipts):
    # a uniform number below 25^length read as `length` base-25 digits is a uniform code.
    n = secrets.randbelow(len(READABLE_ALPHABET) ** length)
    digits = []
    for _ in range(length):
        n, r = divmod(n, len(READABLE_ALPHABET))
        digits.append(READABLE_ALPHABET[r])
    raw = "".join(digits)
    return "-".join(raw[i : i + group] for i in range(0, length, group)) if group else raw


def normalise_code(value: str) -> str:
    """Accept what people type: lower case, spaces, missing dash."""
    cleaned = "".join(ch for ch in (value or "").upper() if ch.isalnum())
    return "-".join(cleaned[i : i + 4] for i in range(0, len(cleaned), 4))


def device_token() -> str:
    """A secret, unguessable token identifying one phone (never shown to others)."""
    return secrets.token_urlsafe(32)


def add_with_fresh_code(session: Session, make_row: Callable[[], R], *, what: str, attempts: int = 5) -> R:
    """Insert the row `make_row` builds (with a random code); a code already taken (the unique index refuses it)
    is drawn again, in a savepoint so the caller's transaction goes on."""
    for _ in range(attempts):
        row = make_row()
        try:
            with session.begin_nested():
                session.add(row)
                session.flush()
        except IntegrityError:
            continue
        return row
    raise RuntimeError(f"could not allocate a unique {what}")
