"""The throttle on codes typed by people without an account: receipt codes and resume codes.

« Qu'est devenue ma contribution ? » and « Mes données » answer whoever types a valid code: what bounds a
guesser is how many wrong codes they may try. As for the passport restore (services.circuit.hunt), wrong codes
are counted per browser session, per address (a keyed hash, services.throttle.origin_key) and overall, with the
same windows (services.throttle.RESTORE_*, the address and overall figures from the settings), and a code is
looked up only while all three allow it. Only failures count, in the caller's write transaction: the caller
returns « not found » rather than raising, so the failure is committed.

Receipt codes are 8 signs of 25 (1.5 x 10^11), resume codes 12: with these windows a day of guessing from ten
addresses finds one of a few thousand receipts with a chance of about 1 in 4 000.
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session

from models import utcnow
from services import throttle

SESSION_SCOPE = "code.session"
ORIGIN_SCOPE = "code.origin"
OVERALL_SCOPE = "code.all"
_OVERALL_KEY = "all"

# The same message whatever was typed: it says nothing of which codes exist.
THROTTLED = "Trop d'essais avec des codes inconnus. Réessayez dans {wait}."


def _checks(session_key: str, origin: throttle.Origin) -> tuple[tuple[str, str, tuple[throttle.Window, ...]], ...]:
    return (
        (SESSION_SCOPE, session_key, throttle.RESTORE_PER_SESSION),
        (ORIGIN_SCOPE, origin.key, origin.restore_failures),
        (OVERALL_SCOPE, _OVERALL_KEY, origin.restore_failures_overall),
    )


def require_guess_allowed(
    session: Session, *, session_key: str, origin: throttle.Origin, now: datetime | None = None
) -> None:
    """Raise throttle.Throttled (French message) while one of the three windows of wrong codes is full."""
    now = now or utcnow()
    waits = [
        throttle.wait_seconds(session=session, scope=scope, key=key, windows=windows, now=now)
        for scope, key, windows in _checks(session_key, origin)
    ]
    wait = max((w for w in waits if w is not None), default=None)
    if wait is not None:
        raise throttle.Throttled(THROTTLED.format(wait=throttle.wait_phrase(wait)), retry_after_s=wait)


def count_wrong_code(
    session: Session, *, session_key: str, origin: throttle.Origin, now: datetime | None = None
) -> None:
    """Count one unknown code in each window (committed with the caller's transaction)."""
    now = now or utcnow()
    for scope, key, _ in _checks(session_key, origin):
        throttle.record_event(session=session, scope=scope, key=key, now=now)
