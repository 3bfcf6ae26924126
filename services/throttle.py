"""Sliding-window throttles kept in the store, for what anyone may do without an account.

Each window counts events (rows of `throttleevent`) of one scope and one key over the last `window_s` seconds.
They live in the store, not in a process's memory, so that every app process and every replica counts the
same events: an attacker gains nothing by spreading requests over them, or by waiting for a restart.

Keys are never network addresses. An address is turned into a keyed hash (HMAC-SHA-256 with the app's secret
key, `origin_key`) before any service sees it, so the store holds no address, and a stolen copy of the store
cannot be matched against the 2^32 IPv4 addresses without the key. Rows are deleted once older than the
longest window (RETENTION), so nothing is kept beyond what a window needs.

Concurrency: a window is read, then the event inserted, in the caller's write transaction. On SQLite writers
take turns, so a window is exact. On PostgreSQL, requests racing on the same key may each see the window one
short of full: a window may be overshot by at most the number of requests in flight at that instant (the
connection pool: 30), a margin these backstops can afford and that an advisory lock per key would have cost
every participant of a venue (they all share the venue's address, hence its key).
"""

from __future__ import annotations

import hashlib
import hmac
import math
import time
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import case, delete, func
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from models import ThrottleEvent, utcnow
from services.errors import ServiceError

# No window is longer: rows older than this are of no use to any window and are deleted.
RETENTION = timedelta(hours=1)
# Deleted per prune at most, so a store left idle for a day costs no single request a long delete. Pruning
# runs at most once a minute per process (a minute's events of a busy venue are a few thousand rows).
_PRUNE_BATCH = 5_000
_PRUNE_EVERY_S = 60.0
_prune_clock = {"next": 0.0}  # per process: pruning is housekeeping, no window depends on when it runs
# What a request from the machine itself (`st.context.ip_address` is None on localhost) is counted as.
LOCAL_ORIGIN = "local"


@dataclass(frozen=True)
class Window:
    """At most `max_events` events of one key within `window_s` seconds."""

    max_events: int
    window_s: int

    def __post_init__(self) -> None:
        if self.window_s > RETENTION.total_seconds():
            raise ValueError("a window longer than RETENTION would lose its events to pruning")


# The figures below are sized for the conference's worst case: a room of 800 people behind ONE address (the
# venue's Wi-Fi NAT), all of them making their first write within 10 minutes (announced on the projector).
#
# New passports (first write of a new device token) per address: 800 in 10 minutes is 13 per 10 s on
# average; 40 per 10 s is three times that (a Poisson count of mean 13 reaches 41 once in a billion windows;
# if the whole room came in 5 minutes, once in 170). 1 200 an hour is the room and half again (second phones,
# private tabs, cleared cookies). A script making tokens at machine speed gets 40, then 4 a second, then
# nothing once 1 200 an hour are made: at most 1 200 fake "phones" an hour per address, where it made
# thousands a minute.
NEW_PASSPORTS = (Window(40, 10), Window(1_200, 3_600))
# Anonymous writes (contributions, supports, stand visits) per address: the same room, each sending a
# contribution, ticking three supports and scanning a stand within 10 minutes, makes 67 writes per 10 s on
# average; 200 is three times that. A day is about 800 x (3 contributions + 15 supports + 15 visits) = 26 400
# writes; 15 000 an hour leaves room for half the day's writes in one hour.
ANONYMOUS_WRITES = (Window(200, 10), Window(15_000, 3_600))
# Stances on the orientations (services.votes), counted apart from the other writes: a room of 800 giving a
# stance on each of 17 orientations is 13 600 taps, most in the minutes after the plenary, and they must not
# use up the budget of contributions. 5 per person per 10 s for 800 people, 40 per person per hour.
STANCES = (Window(4_000, 10), Window(32_000, 3_600))
# Wrong passport-restore codes. A code is 8 signs of 25 (25^8 = 1.5 x 10^11 codes), so guessing is hopeless
# while guesses are few. Per browser session: 5 in 10 minutes (a person who mistypes retries, then waits).
# Per address: 30 in 10 minutes (a room restoring passports makes a handful). Overall: 300 in 10 minutes,
# 43 200 a day: with 800 passports, a day of guessing finds one with a chance of about 1 in 4 400. A
# guess is checked only when every window allows it, and an address that filled its own window is no longer
# counted overall, so one address holds at most 30 of the 300: starving everybody's restores takes ten
# addresses guessing at full speed, where one sufficed.
RESTORE_PER_SESSION = (Window(5, 600),)
RESTORE_PER_ORIGIN = (Window(30, 600),)
RESTORE_OVERALL = (Window(300, 600),)


@dataclass(frozen=True)
class Origin:
    """Where an anonymous request came from (a keyed hash of its network address) and the ceilings for it."""

    key: str
    new_passports: tuple[Window, ...] = NEW_PASSPORTS
    writes: tuple[Window, ...] = ANONYMOUS_WRITES
    stances: tuple[Window, ...] = STANCES
    restore_failures: tuple[Window, ...] = RESTORE_PER_ORIGIN
    restore_failures_overall: tuple[Window, ...] = RESTORE_OVERALL


class Throttled(ServiceError):
    """A throttle holds; `retry_after_s` says when the same action will be accepted again."""

    def __init__(self, message: str, retry_after_s: int) -> None:
        super().__init__(message)
        self.retry_after_s = retry_after_s


def origin_key(address: str | None, *, secret: str) -> str:
    """The keyed hash that stands for a network address in the store (None: a request from this machine)."""
    message = (address or LOCAL_ORIGIN).strip().lower().encode()
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()[:40]


def wait_seconds(
    session: Session, *, scope: str, key: str, windows: tuple[Window, ...], now: datetime | None = None
) -> int | None:
    """Seconds until one more event of `key` is allowed by every window, or None if it is allowed now."""
    now = now or utcnow()
    at = col(ThrottleEvent.created_at)
    mine = (col(ThrottleEvent.scope) == scope, col(ThrottleEvent.key) == key)
    since = [now - timedelta(seconds=w.window_s) for w in windows]
    # One index range scan counts every window (they are nested: all end now).
    counts = session.execute(
        sa_select(*[func.count(case((at > s, 1))) for s in since]).where(*mine, at > min(since))
    ).one()
    wait: float | None = None
    for window, start, n in zip(windows, since, counts, strict=True):
        if int(n) < window.max_events:
            continue
        # The window frees a place when the event that put it over leaves: the (n - max + 1)-th oldest.
        pivot = session.exec(
            select(ThrottleEvent.created_at)
            .where(*mine, at > start)
            .order_by(at)
            .offset(int(n) - window.max_events)
            .limit(1)
        ).first()
        left = window.window_s - (now - pivot).total_seconds() if pivot else window.window_s
        wait = max(wait or 0.0, left)
    return None if wait is None else max(1, math.ceil(wait))


def record_event(session: Session, *, scope: str, key: str, now: datetime | None = None) -> None:
    """Count one event of `key`; at most once a minute per process, forget the events older than every window."""
    now = now or utcnow()
    session.add(ThrottleEvent(scope=scope, key=key, created_at=now))
    if time.monotonic() >= _prune_clock["next"]:
        _prune_clock["next"] = time.monotonic() + _PRUNE_EVERY_S
        prune_events(session=session, now=now)


def prune_events(session: Session, *, now: datetime | None = None) -> int:
    """Delete events older than RETENTION (at most a batch of them); how many were deleted."""
    now = now or utcnow()
    # SKIP LOCKED: concurrent writers on PostgreSQL prune different rows instead of queueing behind each other
    # (SQLite ignores it: its writers take turns anyway).
    stale = (
        select(ThrottleEvent.id)
        .where(col(ThrottleEvent.created_at) < now - RETENTION)
        .limit(_PRUNE_BATCH)
        .with_for_update(skip_locked=True)
    )
    ids = list(session.exec(stale).all())
    if ids:
        session.exec(delete(ThrottleEvent).where(col(ThrottleEvent.id).in_(ids)))  # type: ignore[call-overload]
    return len(ids)


def take(
    session: Session,
    *,
    scope: str,
    key: str,
    windows: tuple[Window, ...],
    message: str,
    now: datetime | None = None,
) -> None:
    """Count one event if every window allows it, else raise Throttled with `message` ({wait} filled in)."""
    now = now or utcnow()
    wait = wait_seconds(session=session, scope=scope, key=key, windows=windows, now=now)
    if wait is not None:
        raise Throttled(message.format(wait=wait_phrase(wait)), retry_after_s=wait)
    record_event(session=session, scope=scope, key=key, now=now)


def wait_phrase(seconds: float) -> str:
    """« 30 s », « 1 minute », « 2 minutes »: a wait as a French phrase, rounded up."""
    if seconds < 60:
        return f"{max(1, math.ceil(seconds))} s"
    minutes = math.ceil(seconds / 60)
    return f"{minutes} minute{'s' if minutes > 1 else ''}"


def wait_message(seconds: float) -> str:
    """The French message shown while the passport-restore throttle holds."""
    return f"Trop d'essais avec des codes inconnus. Réessayez dans {wait_phrase(seconds)}."
