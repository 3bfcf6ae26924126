"""The adequacy check under a room's load: 300 participants giving a stance on each of the 17 orientations within
10 minutes, and what one refresh of the verdict costs once the store holds 100 000 stances, beside a GROUP BY
typed by hand over the stance rows.

Rerun alone: `.venv/bin/python -m bench.run votes` (about 25 minutes on 2 cores: the room runs in real time,
10 minutes on SQLite, then 10 on PostgreSQL). Knobs, for a short check of the benchmark itself:
ESS_BENCH_VOTES_SECONDS (the room's window, 600; shorter compresses the room's clock, see below),
ESS_BENCH_VOTES_PARTICIPANTS (300), ESS_BENCH_VOTES_STANCES (100 000), ESS_BENCH_VOTES_PG=0 (SQLite only).

Protocol, part 1 (« la salle »), service level, no browser:
- A store built as `make run` builds one (services.bootstrap.prepare_store: migrations + the startup pack, whose
  ballot has 17 orientations in 5 themes), on a SQLite file (WAL, synchronous=FULL, the app's engine), then on
  a throwaway PostgreSQL server started as tests/pg.py starts one.
- One thread per participant, each with its own device token. Arrivals spread over the first 30 % of the
  window (as the room comes in after the plenary's announcement); each participant then walks the 17 cards in
  the ballot's order, with random think times (exponential), and is done before the window's end, so the
  5 100 taps spread over it. About 10 % change one stance at the end; about 2 % of taps are sent twice at the
  same instant from two threads (a flaky reconnect that resends the tap). Origins: cards 70 %, stand 20 %
  (with the stand's code), after a contribution 10 %.
- Each tap is what ui/store.write does: `db.engine.session_scope(engine, write=True)` around
  `services.votes.cast_vote`, committed when it returns. Tap→saved = from entering that block to its commit
  (the Streamlit rerun around it is not counted). The whole room shares ONE throttle origin (the venue's NAT:
  one address) with the shipped per-address ceilings (core.config defaults: 40 new passports per 10 s,
  1 200 an hour; 200 anonymous writes per 10 s, 15 000 an hour), not the raised ones bench/run.py sets for
  the other benches. A throttled tap waits the `retry_after_s` it is told and is sent again (what the phone's
  message asks of the person); counted.
- Two organisers' pages read the verdict every 2 s meanwhile (vote_version, verdicts, vote_summary).
- A window shorter than 600 s keeps the same taps and compresses the clock: `now` given to cast_vote runs
  600/window times faster, so the throttles and the quarter hours see the 10-minute room's rate.
- Checked at the end: every acknowledged tap's stance is the one stored (lost votes), no stance stored that
  no tap gave, the rollups (counts now, and the quarter hours' running sums) equal a GROUP BY of the stored
  stances, one event per changing tap.

Part 2 (« 100 000 avis »): a fresh store (same build) gets 100 000 stances of about 5 900 devices (17 each),
written in one transaction with SQLAlchemy Core: participants, stances, one event each, and both rollups
computed in Python by the rules of services.votes._count (same keys, same quarter hours). Then a paper entry
and a few hundred real taps (new devices and changes) go through the services on top, and the rollups are
checked against a GROUP BY of the rows. Measured: what one refresh of the verdict page calls when the version
moved, each call in its own pooled session as store.read does: vote_version, verdicts without and with
filters, verdict_over_time of every orientation on the ballot (the most a page shows), vote_summary,
new_devices_per_minute (30 minutes); beside each, the same counts typed by hand over the stance rows on an
open sqlite3 / psycopg connection, asserted equal; interleaved run by run, medians and p95.
"""

from __future__ import annotations

import contextlib
import os
import random
import sqlite3
import statistics
import subprocess
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

os.environ.setdefault("ESS_COOKIE_KEY", "bench-cookie-key-" + "x" * 40)

from sqlalchemy import create_engine, func, insert, text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import OperationalError
from sqlmodel import col, select

from bench.common import ms, quantile
from bench.seed_synthetic import DAY_HOURS, edition_day_start
from core.config import Settings
from db.engine import build_engine, session_scope
from models import (
    OrientationVote,
    Participant,
    Stand,
    VoteEvent,
    VoteTally,
    VoteTallyTime,
)
from services import throttle, verdict, votes
from services.bootstrap import prepare_store
from services.formatting import format_number
from services.permissions import CONSOLE_ACTOR
from services.verdict import VerdictFilter

TITLE = "Avis sur les orientations (adéquation)"
WINDOW_S = float(os.environ.get("ESS_BENCH_VOTES_SECONDS", "600"))
REAL_WINDOW_S = 600.0
PARTICIPANTS = int(os.environ.get("ESS_BENCH_VOTES_PARTICIPANTS", "300"))
STANCES = int(os.environ.get("ESS_BENCH_VOTES_STANCES", "100000"))
WITH_PG = os.environ.get("ESS_BENCH_VOTES_PG", "1") != "0"
ARRIVAL_SHARE = 0.30  # arrivals over the first 30 % of the window
DONE_BY = 0.95  # every participant is done by 95 % of the window
CHANGE_SHARE = 0.10
DOUBLE_SHARE = 0.02
READERS = 2
# The room the per-address ceilings are sized for (services/throttle.py): 800 people behind the venue's address.
SIZED_FOR = 800
READ_EVERY_S = 2.0
QUERY_RUNS = 41
EXTRA_DEVICES = 20  # real taps on the 100 000-stance store: new devices × 17, and as many changes
EXTRA_CHANGES = 300
EDITION_ID = 1
CHOICES = votes.CHOICES
# How the room leans on each orientation (agree, reservations, disagree, skip), in turn: a consensus, a divided
# room, a rejection, a lean, a shrug. Enough to give the verdicts every kind.
PROFILES = ((55, 25, 10, 10), (25, 15, 45, 15), (10, 10, 65, 15), (35, 20, 30, 15), (20, 15, 15, 50))
ORIGINS = (("cards", 70), ("stand", 20), ("contribution", 10))
ACTOR_TYPES = (None, None, "association", "cooperative", "mutual", "foundation", "ess_company", "citizen")
DEPARTEMENTS = (None, "44", "44", "44", "49", "49", "53", "72", "85", "85", "HORS")
FILTER = VerdictFilter(origins=("cards",), actor_types=("association", "cooperative"), departements=("44",))
FILTER_LABEL = "origine « cartes » · association ou coopérative · Loire-Atlantique (44)"


def shipped_room_origin() -> throttle.Origin:
    """The venue's one address with the ceilings the app ships (core.config defaults), as ui.participant.origin_for
    builds it, whatever the environment raised them to."""
    d = {name: f.default for name, f in Settings.model_fields.items() if name.startswith("address_")}
    key = throttle.origin_key("198.51.100.7", secret="bench-votes")
    return throttle.Origin(
        key=key,
        new_passports=(
            throttle.Window(d["address_new_passports_per_10s"], 10),
            throttle.Window(d["address_new_passports_per_hour"], 3_600),
        ),
        writes=(
            throttle.Window(d["address_writes_per_10s"], 10),
            throttle.Window(d["address_writes_per_hour"], 3_600),
        ),
        stances=(
            throttle.Window(d["address_stances_per_10s"], 10),
            throttle.Window(d["address_stances_per_hour"], 3_600),
        ),
    )


# ---------------------------------------------------------------------------------------------
# Part 1: the room


@dataclass(frozen=True)
class Tap:
    at: float  # seconds since the room opened, on the 10-minute clock
    orientation_id: int
    choice: str
    origin: str
    stand_code: str | None
    double: bool = False


@dataclass
class Phone:
    token: str
    taps: list[Tap]


@dataclass
class RoomLog:
    lock: threading.Lock = field(default_factory=threading.Lock)
    saved: list[float] = field(default_factory=list)  # each committed write, seconds
    tap_to_saved: list[float] = field(default_factory=list)  # first attempt → saved, waits included
    saved_at: list[float] = field(default_factory=list)  # when each write committed (room clock, s)
    receipts: dict[tuple[str, int], str] = field(default_factory=dict)  # (token, orientation) → last acked
    changed: int = 0
    unchanged: int = 0
    doubles: int = 0
    doubles_counted_once: int = 0
    throttled: Counter[str] = field(default_factory=Counter)
    errors: list[str] = field(default_factory=list)
    abandoned: int = 0
    reads: list[float] = field(default_factory=list)
    read_errors: int = 0
    loads: list[float] = field(default_factory=list)  # the machine's 1-minute load, sampled every 10 s


def plan_room(
    orientations: list[tuple[int, int]], stands: dict[int, list[str]], participants: int, seed: int = 16
) -> list[Phone]:
    """Every phone's taps on the 10-minute clock; `orientations` are (id, theme_id) in the ballot's order."""
    rng = random.Random(seed)  # reproducible room, not a secret
    phones = []
    for p in range(participants):
        arrival = rng.uniform(0, ARRIVAL_SHARE * REAL_WINDOW_S)
        done = rng.uniform(arrival + 0.5 * (DONE_BY * REAL_WINDOW_S - arrival), DONE_BY * REAL_WINDOW_S)
        chosen: list[tuple[int, int, str]] = []
        for i, (oid, theme_id) in enumerate(orientations):
            chosen.append((oid, theme_id, rng.choices(CHOICES, weights=PROFILES[i % len(PROFILES)])[0]))
        if rng.random() < CHANGE_SHARE:
            oid, theme_id, old = rng.choice(chosen)
            chosen.append((oid, theme_id, rng.choice([c for c in CHOICES if c != old])))
        gaps = [rng.expovariate(1.0) for _ in chosen]
        total = sum(gaps)
        at, taps = arrival, []
        for (oid, theme_id, choice), gap in zip(chosen, gaps, strict=True):
            at += (done - arrival) * gap / total
            origin = rng.choices([o for o, _ in ORIGINS], weights=[w for _, w in ORIGINS])[0]
            stand = rng.choice(stands[theme_id]) if origin == "stand" and stands.get(theme_id) else None
            taps.append(Tap(at, oid, choice, origin, stand, double=rng.random() < DOUBLE_SHARE))
        phones.append(Phone(f"benchvote-room-{seed}-{p:06d}-{rng.getrandbits(64):016x}", taps))
    return phones


class RoomClock:
    """The room's 10-minute clock over a real window of `window_s` seconds."""

    def __init__(self, window_s: float) -> None:
        self.scale = REAL_WINDOW_S / window_s
        self.started = time.perf_counter()
        self.started_utc = datetime.now(UTC)

    def elapsed(self) -> float:
        """Seconds since the room opened, on the 10-minute clock."""
        return (time.perf_counter() - self.started) * self.scale

    def sleep_until(self, at: float) -> None:
        wait = (at - self.elapsed()) / self.scale
        if wait > 0:
            time.sleep(wait)

    def now(self) -> datetime | None:
        """What cast_vote is told the time is: nothing (the real clock) unless the room is compressed."""
        if self.scale == 1:
            return None
        return self.started_utc + timedelta(seconds=self.elapsed())


def _send(engine: Engine, phone: Phone, tap: Tap, origin: throttle.Origin, clock: RoomClock) -> votes.VoteReceipt:
    with session_scope(engine, write=True) as session:
        return votes.cast_vote(
            session=session,
            device_token=phone.token,
            orientation_id=tap.orientation_id,
            choice=tap.choice,
            origin=tap.origin,
            stand_code=tap.stand_code,
            throttle_origin=origin,
            now=clock.now(),
            edition_id=EDITION_ID,
        )


def _tap(
    engine: Engine, phone: Phone, tap: Tap, *, origin: throttle.Origin, clock: RoomClock, log: RoomLog
) -> votes.VoteReceipt | None:
    """One tap as the phone sends it: retried after a throttle's wait or a storage error, as the person would."""
    first = time.perf_counter()
    for _attempt in range(20):
        started = time.perf_counter()
        try:
            receipt = _send(engine, phone, tap, origin, clock)
        except throttle.Throttled as exc:
            with log.lock:
                log.throttled[str(exc)[:60]] += 1
            time.sleep(exc.retry_after_s / clock.scale)
            continue
        except OperationalError as exc:
            with log.lock:
                log.errors.append(str(exc).splitlines()[0][:160])
            time.sleep(1.0 / clock.scale)
            continue
        end = time.perf_counter()
        with log.lock:
            log.saved.append(end - started)
            log.tap_to_saved.append(end - first)
            log.saved_at.append(clock.elapsed())
            log.receipts[(phone.token, tap.orientation_id)] = receipt.choice
            if receipt.changed:
                log.changed += 1
            else:
                log.unchanged += 1
        return receipt
    with log.lock:
        log.abandoned += 1
    return None


def _phone(engine: Engine, phone: Phone, origin: throttle.Origin, clock: RoomClock, log: RoomLog) -> None:
    for tap in phone.taps:
        clock.sleep_until(tap.at)
        if not tap.double:
            _tap(engine, phone, tap, origin=origin, clock=clock, log=log)
            continue
        # The same tap sent twice at once (a reconnect resending it): exactly one of the two may count.
        got: list[votes.VoteReceipt | None] = []

        def resend(tap: Tap = tap, got: list[votes.VoteReceipt | None] = got) -> None:
            got.append(_tap(engine, phone, tap, origin=origin, clock=clock, log=log))

        twin = threading.Thread(target=resend)
        twin.start()
        resend()
        twin.join()
        with log.lock:
            log.doubles += 1
            if sum(1 for r in got if r is not None and r.changed) <= 1:
                log.doubles_counted_once += 1


def _load_sampler(log: RoomLog, stop: threading.Event) -> None:
    """Other programs share the machine: the load seen during the room is reported beside its figures."""
    log.loads.append(os.getloadavg()[0])
    while not stop.wait(10):
        log.loads.append(os.getloadavg()[0])


def _reader(engine: Engine, clock: RoomClock, log: RoomLog, stop: threading.Event) -> None:
    """An organiser's verdict page refreshing every 2 s while the room votes."""
    while not stop.wait(READ_EVERY_S / clock.scale):
        started = time.perf_counter()
        try:
            with session_scope(engine) as session:
                verdict.vote_version(session=session)
            with session_scope(engine) as session:
                verdict.verdicts(session=session, edition_id=EDITION_ID)
            with session_scope(engine) as session:
                verdict.vote_summary(session=session, edition_id=EDITION_ID)
        except OperationalError:
            with log.lock:
                log.read_errors += 1
            continue
        with log.lock:
            log.reads.append(time.perf_counter() - started)


def ballot_and_stands(engine: Engine) -> tuple[list[tuple[int, int]], dict[int, list[str]]]:
    with session_scope(engine) as session:
        items = votes.ballot(session=session, edition_id=EDITION_ID)
        stands: dict[int, list[str]] = {}
        for code, theme_id in session.exec(
            select(Stand.code, Stand.theme_id).where(Stand.edition_id == EDITION_ID, col(Stand.active))
        ).all():
            stands.setdefault(int(theme_id), []).append(str(code))
    return [(b.id, b.theme_id) for b in items], stands


def run_room(engine: Engine, *, participants: int = PARTICIPANTS, window_s: float = WINDOW_S) -> dict[str, Any]:
    """The room on a prepared store; returns the measures and the end-of-run checks."""
    orientations, stands = ballot_and_stands(engine)
    phones = plan_room(orientations, stands, participants)
    origin = shipped_room_origin()
    log = RoomLog()
    clock = RoomClock(window_s)
    stop = threading.Event()
    readers = [threading.Thread(target=_reader, args=(engine, clock, log, stop)) for _ in range(READERS)]
    readers.append(threading.Thread(target=_load_sampler, args=(log, stop)))
    threads = [threading.Thread(target=_phone, args=(engine, p, origin, clock, log)) for p in phones]
    load_start = os.getloadavg()[0]
    cpu_start = time.process_time()
    for t in [*readers, *threads]:
        t.start()
    for t in threads:
        t.join()
    stop.set()
    for t in readers:
        t.join()
    wall = time.perf_counter() - clock.started
    planned = sum(len(p.taps) + sum(t.double for t in p.taps) for p in phones)
    expected = {(p.token, t.orientation_id): t.choice for p in phones for t in p.taps}
    return {
        "log": log,
        "phones": len(phones),
        "orientations": len(orientations),
        "planned": planned,
        "changes": sum(len(p.taps) - len(orientations) for p in phones),
        "wall": wall,
        "scale": clock.scale,
        "cpu": (time.process_time() - cpu_start) / wall,
        "load_start": load_start,
        "load_end": os.getloadavg()[0],
        "checks": check_room(engine, expected, log),
    }


def _pairs(rows: Any) -> dict[tuple[int, str], int]:
    return {(int(o), str(c)): int(n) for o, c, n in rows if n}


def check_room(engine: Engine, expected: dict[tuple[str, int], str], log: RoomLog) -> dict[str, Any]:
    with session_scope(engine) as session:
        stored = {
            (str(token), int(oid)): str(choice)
            for token, oid, choice in session.exec(
                select(Participant.device_token, OrientationVote.orientation_id, OrientationVote.choice).join(
                    Participant, col(Participant.id) == col(OrientationVote.participant_id)
                )
            ).all()
        }
        raw = _pairs(
            session.exec(
                select(OrientationVote.orientation_id, OrientationVote.choice, func.count()).group_by(
                    col(OrientationVote.orientation_id), col(OrientationVote.choice)
                )
            ).all()
        )
        now = _pairs(
            session.exec(
                select(VoteTally.orientation_id, VoteTally.choice, func.sum(VoteTally.n)).group_by(
                    col(VoteTally.orientation_id), col(VoteTally.choice)
                )
            ).all()
        )
        over_time = _pairs(
            session.exec(
                select(VoteTallyTime.orientation_id, VoteTallyTime.choice, func.sum(VoteTallyTime.n)).group_by(
                    col(VoteTallyTime.orientation_id), col(VoteTallyTime.choice)
                )
            ).all()
        )
        shown = {
            (v.orientation_id, c): getattr(v, c)
            for v in verdict.verdicts(session=session, edition_id=EDITION_ID)
            for c in CHOICES
            if getattr(v, c)
        }
        events = int(session.exec(select(func.count()).select_from(VoteEvent)).one())
        voters = verdict.vote_summary(session=session, edition_id=EDITION_ID).voters
    acked = log.receipts
    lost = sum(1 for pair, choice in acked.items() if stored.get(pair) != choice)
    never_acked = sum(1 for pair in expected if pair not in acked)
    return {
        "stored": len(stored),
        "expected": len(expected),
        "lost": lost,
        "not_acknowledged": never_acked,
        "intent_mismatch": sum(1 for pair, choice in expected.items() if stored.get(pair) != choice),
        "unexpected": sum(1 for pair in stored if pair not in expected),
        "rollup_equal": now == raw,
        "time_rollup_equal": over_time == raw,
        "verdict_equal": shown == raw,
        "events": events,
        "changed_receipts": log.changed,
        "voters": voters,
    }


# ---------------------------------------------------------------------------------------------
# Part 2: 100 000 stances


def _bucket(at: datetime) -> int:
    return int(at.timestamp()) // votes.TIME_BUCKET_S


def seed_stances(engine: Engine, n: int, seed: int = 100) -> dict[str, Any]:
    """`n` stances of ceil(n / 17) devices over the conference day, their events and both rollups, in one
    transaction (SQLAlchemy Core); the rollups by the rules of services.votes._count."""
    rng = random.Random(seed)  # synthetic data, reproducible
    orientations, stands = ballot_and_stands(engine)
    per_device = len(orientations)
    devices = -(-n // per_device)
    day_start = edition_day_start(engine, EDITION_ID)
    started = time.perf_counter()
    tally: Counter[tuple[int, str, str, str, str]] = Counter()
    tally_time: Counter[tuple[int, int, str, str]] = Counter()
    with session_scope(engine, write=True) as session:
        conn = session.connection()
        people: list[dict[str, Any]] = []
        for d in range(devices):
            arrived = day_start + timedelta(hours=rng.uniform(0, DAY_HOURS))
            people.append(
                {
                    "edition_id": EDITION_ID,
                    "device_token": f"benchvote-bulk-{seed}-{d:08d}-{rng.getrandbits(64):016x}",
                    "public_code": f"V{d:09d}",
                    "created_at": arrived,
                    "last_seen_at": arrived,
                    "is_demo": False,
                    "actor_type": rng.choice(ACTOR_TYPES),
                    "departement": rng.choice(DEPARTEMENTS),
                    "first_vote_at": arrived + timedelta(seconds=30),
                }
            )
        # No explicit ids: PostgreSQL's sequence must stay ahead of them for the devices that come later.
        conn.execute(insert(Participant), people)
        ids: dict[str, int] = dict(
            conn.execute(  # type: ignore[arg-type]
                select(Participant.device_token, Participant.id).where(
                    col(Participant.device_token).like(f"benchvote-bulk-{seed}-%")
                )
            ).all()
        )
        for person in people:
            person["id"] = ids[person["device_token"]]
        stance_rows: list[dict[str, Any]] = []
        event_rows: list[dict[str, Any]] = []
        left = n
        for person in people:
            at = person["first_vote_at"]
            for i, (oid, theme_id) in enumerate(orientations[: min(per_device, left)]):
                choice = rng.choices(CHOICES, weights=PROFILES[i % len(PROFILES)])[0]
                origin = rng.choices([o for o, _ in ORIGINS], weights=[w for _, w in ORIGINS])[0]
                stand = rng.choice(stands[theme_id]) if origin == "stand" and stands.get(theme_id) else None
                stance_rows.append(
                    {
                        "orientation_id": oid,
                        "participant_id": person["id"],
                        "choice": choice,
                        "origin": origin,
                        "stand_id": None if stand is None else _stand_id(session, stand),
                        "actor_type": person["actor_type"],
                        "departement": person["departement"],
                        "is_demo": False,
                        "created_at": at,
                        "updated_at": at,
                    }
                )
                event_rows.append(
                    {
                        "orientation_id": oid,
                        "participant_id": person["id"],
                        "choice": choice,
                        "origin": origin,
                        "count": 1,
                        "created_at": at,
                    }
                )
                tally[(oid, choice, origin, person["actor_type"] or "", person["departement"] or "")] += 1
                tally_time[(oid, _bucket(at), choice, origin)] += 1
                at += timedelta(seconds=rng.uniform(4, 40))
            left -= min(per_device, left)
        for first in range(0, len(stance_rows), 20_000):
            conn.execute(insert(OrientationVote), stance_rows[first : first + 20_000])
            conn.execute(insert(VoteEvent), event_rows[first : first + 20_000])
        conn.execute(
            insert(VoteTally),
            [
                {"orientation_id": o, "choice": c, "origin": g, "actor_type": a, "departement": d, "n": k}
                for (o, c, g, a, d), k in tally.items()
            ],
        )
        conn.execute(
            insert(VoteTallyTime),
            [
                {"orientation_id": o, "bucket": b, "choice": c, "origin": g, "n": k}
                for (o, b, c, g), k in tally_time.items()
            ],
        )
    seeded = time.perf_counter() - started
    tokens = [p["device_token"] for p in people]
    return {"devices": devices, "stances": len(stance_rows), "seconds": seeded, "tokens": tokens, "day": day_start}


_STAND_IDS: dict[tuple[int, str], int] = {}


def _stand_id(session: Any, code: str) -> int:
    key = (id(session.get_bind()), code)
    if key not in _STAND_IDS:
        _STAND_IDS[key] = int(
            session.exec(select(Stand.id).where(Stand.edition_id == EDITION_ID, Stand.code == code)).one()
        )
    return _STAND_IDS[key]


def taps_on_top(engine: Engine, tokens: list[str], day: datetime, seed: int = 101) -> dict[str, Any]:
    """Real taps through the service on the seeded store: a paper entry, new devices, changes of seeded ones."""
    rng = random.Random(seed)  # reproducible, not a secret
    orientations, _stands = ballot_and_stands(engine)
    at = day + timedelta(hours=DAY_HOURS - 0.5)
    with session_scope(engine, write=True) as session:
        votes.enter_paper_ballots(
            session=session,
            lines=[votes.PaperLine(oid, {c: rng.randint(0, 12) for c in CHOICES}) for oid, _theme in orientations],
            source="Urne de la plénière",
            actor=CONSOLE_ACTOR,
            batch=votes.new_paper_batch(),
            now=at,
            edition_id=EDITION_ID,
        )
    timings: list[float] = []
    plan = [
        (f"benchvote-extra-{seed}-{d:04d}-{'x' * 16}", oid) for d in range(EXTRA_DEVICES) for oid, _ in orientations
    ]
    plan += [(rng.choice(tokens), rng.choice(orientations)[0]) for _ in range(EXTRA_CHANGES)]
    for token, oid in plan:
        started = time.perf_counter()
        with session_scope(engine, write=True) as session:
            votes.cast_vote(
                session=session,
                device_token=token,
                orientation_id=oid,
                choice=rng.choice(CHOICES),
                origin="cards",
                now=at,
                edition_id=EDITION_ID,
            )
        timings.append(time.perf_counter() - started)
    return {"taps": len(plan), "timings": timings}


# The hand-written side: SQL over the stance rows (and the paper ballots), on an open DB-API connection.


def _ts(dialect: str, moment: datetime) -> str:
    utc = moment.astimezone(UTC)
    if dialect == "sqlite":
        return f"'{utc.replace(tzinfo=None).strftime('%Y-%m-%d %H:%M:%S.%f')}'"
    return f"'{utc.isoformat()}'::timestamptz"


def _on_ballot_sql() -> str:
    return (
        "SELECT o.id FROM orientation o JOIN theme t ON t.id = o.theme_id "
        f"WHERE o.edition_id = {EDITION_ID} AND o.presented AND o.status <> 'dropped' "
        "ORDER BY t.position, t.id, o.position, o.id"
    )


def _in(values: tuple[str, ...]) -> str:
    return ", ".join(f"'{v}'" for v in values)


def raw_calls(dialect: str, cursor: Any, now: datetime) -> dict[str, Callable[[], Any]]:
    """Each returns the same counts as the app's call it stands beside."""
    edition = f"o.edition_id = {EDITION_ID}"
    bucket = (
        "CAST(strftime('%s', {c}) AS INTEGER) / 900"
        if dialect == "sqlite"
        else "floor(extract(epoch from {c}) / 900)::bigint"
    )
    minute = (
        "substr(created_at, 1, 16)"
        if dialect == "sqlite"
        else "to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI')"
    )

    def rows(sql: str) -> list[Any]:
        cursor.execute(sql)
        return list(cursor.fetchall())

    def counts(where: str = "", paper: bool = True) -> dict[tuple[int, str], int]:
        ids = [r[0] for r in rows(_on_ballot_sql())]
        got: Counter[tuple[int, str]] = Counter()
        for o, c, n in rows(
            "SELECT v.orientation_id, v.choice, count(*) FROM orientationvote v "
            f"JOIN orientation o ON o.id = v.orientation_id WHERE {edition} {where} GROUP BY v.orientation_id, v.choice"
        ):
            got[(int(o), str(c))] += int(n)
        if paper:
            for o, c, n in rows(
                "SELECT p.orientation_id, p.choice, sum(p.count) FROM paperballot p "
                f"JOIN orientation o ON o.id = p.orientation_id WHERE {edition} AND p.withdrawn_at IS NULL "
                "GROUP BY p.orientation_id, p.choice"
            ):
                got[(int(o), str(c))] += int(n)
        return {k: v for k, v in got.items() if v and k[0] in ids}

    def filtered() -> dict[tuple[int, str], int]:
        where = (
            f"AND v.origin IN ({_in(FILTER.origins)}) AND coalesce(v.actor_type, '') IN ({_in(FILTER.actor_types)}) "
            f"AND coalesce(v.departement, '') IN ({_in(FILTER.departements)})"
        )
        return counts(where, paper=False)

    def over_time() -> dict[tuple[int, str], int]:
        """Per orientation, quarter hour and stance, then the running sums; the last quarter hour's, returned."""
        ids = [r[0] for r in rows(_on_ballot_sql())]
        per: dict[int, dict[int, Counter[str]]] = {}
        for o, b, c, n in rows(
            f"SELECT orientation_id, {bucket.format(c='created_at')} AS b, choice, count(*) FROM orientationvote "
            f"WHERE orientation_id IN ({', '.join(map(str, ids))}) GROUP BY orientation_id, b, choice "
            f"UNION ALL SELECT orientation_id, {bucket.format(c='created_at')} AS b, choice, sum(count) "
            f"FROM paperballot WHERE withdrawn_at IS NULL AND orientation_id IN ({', '.join(map(str, ids))}) "
            "GROUP BY orientation_id, b, choice"
        ):
            per.setdefault(int(o), {}).setdefault(int(b), Counter())[str(c)] += int(n)
        final: dict[tuple[int, str], int] = {}
        for o, buckets in per.items():
            running: Counter[str] = Counter()
            for b in sorted(buckets):
                running.update(buckets[b])
            final |= {(o, c): k for c, k in running.items() if k}
        return final

    def summary() -> tuple[int, int]:
        ((voters, stances),) = rows(
            "SELECT count(DISTINCT v.participant_id), count(*) FROM orientationvote v "
            f"JOIN orientation o ON o.id = v.orientation_id WHERE {edition}"
        )
        (paper,) = rows(
            "SELECT coalesce(sum(p.count), 0) FROM paperballot p JOIN orientation o ON o.id = p.orientation_id "
            f"WHERE {edition} AND p.withdrawn_at IS NULL"
        )
        return int(voters), int(stances) + int(paper[0])

    end = now.astimezone(UTC).replace(second=0, microsecond=0) + timedelta(minutes=1)
    start = end - timedelta(minutes=30)

    def devices() -> dict[str, int]:
        return {
            str(m): int(k)
            for m, k in rows(
                f"SELECT {minute} AS m, count(*) FROM participant WHERE edition_id = {EDITION_ID} "
                f"AND created_at >= {_ts(dialect, start)} AND created_at < {_ts(dialect, end)} GROUP BY m"
            )
        }

    def version() -> int:
        return int(rows("SELECT coalesce(max(id), 0) FROM voteevent")[0][0])

    return {
        "version": version,
        "all": counts,
        "filtered": filtered,
        "over_time": over_time,
        "summary": summary,
        "devices": devices,
    }


def app_calls(engine: Engine, orientation_ids: list[int], now: datetime) -> dict[str, Callable[[], Any]]:
    """What one refresh of the verdict page calls when the version moved, each in its own session (store.read),
    turned into the same counts as the hand-written side."""

    def read(fn: Callable[..., Any], **kwargs: Any) -> Any:
        with session_scope(engine) as session:
            return fn(session=session, **kwargs)

    def shown(rows: list[verdict.Verdict]) -> dict[tuple[int, str], int]:
        return {(v.orientation_id, c): getattr(v, c) for v in rows for c in CHOICES if getattr(v, c)}

    def over_time() -> dict[tuple[int, str], int]:
        frame = read(verdict.verdict_over_time, orientation_ids=orientation_ids)
        last = frame.groupby("orientation_id").tail(1)
        return {(int(r["orientation_id"]), c): int(r[c]) for _, r in last.iterrows() for c in CHOICES if int(r[c])}

    def summary() -> tuple[int, int]:
        s = read(verdict.vote_summary, edition_id=EDITION_ID)
        return s.voters, s.stances

    def devices() -> dict[str, int]:
        frame = read(verdict.new_devices_per_minute, minutes=30, now=now, edition_id=EDITION_ID)
        return {
            m.astimezone(UTC).strftime("%Y-%m-%d %H:%M"): int(k)
            for m, k in zip(frame["minute"], frame["devices"], strict=True)
            if int(k)
        }

    return {
        "version": lambda: read(verdict.vote_version),
        "all": lambda: shown(read(verdict.verdicts, edition_id=EDITION_ID)),
        "filtered": lambda: shown(read(verdict.verdicts, filters=FILTER, edition_id=EDITION_ID)),
        "over_time": over_time,
        "summary": summary,
        "devices": devices,
    }


CALL_LABELS = {
    "version": ("vote_version (clé du cache)", "max(id) des événements"),
    "all": ("verdicts, sans filtre", "GROUP BY orientation, réponse + bulletins papier"),
    "filtered": (f"verdicts, filtre {FILTER_LABEL}", "le même GROUP BY filtré"),
    "over_time": ("verdict_over_time, les 17 orientations", "GROUP BY orientation, quart d'heure, réponse + cumuls"),
    "summary": ("vote_summary", "count(DISTINCT participant), count(*) + papier"),
    "devices": ("new_devices_per_minute (30 min)", "GROUP BY minute sur participant"),
}


def measure_refresh(
    engine: Engine, connect_raw: Callable[[], Any], dialect: str, now: datetime, runs: int = QUERY_RUNS
) -> dict[str, Any]:
    orientation_ids = [oid for oid, _theme in ballot_and_stands(engine)[0]]
    raw_conn = connect_raw()
    try:
        cursor = raw_conn.cursor()
        app = app_calls(engine, orientation_ids, now)
        raw = raw_calls(dialect, cursor, now)
        mismatched = []
        for name in app:  # warm-up, and the same counts on both sides
            got_app, got_raw = app[name](), raw[name]()
            if got_app != got_raw:
                mismatched.append(name)
        times: dict[str, dict[str, list[float]]] = {name: {"app": [], "raw": []} for name in app}
        totals: dict[str, list[float]] = {"app": [], "raw": []}
        for _ in range(runs):
            run_total = {"app": 0.0, "raw": 0.0}
            for name in app:
                for side, fn in (("app", app[name]), ("raw", raw[name])):
                    started = time.perf_counter()
                    fn()
                    spent = time.perf_counter() - started
                    times[name][side].append(spent)
                    run_total[side] += spent
            for side, values in totals.items():
                values.append(run_total[side])
    finally:
        raw_conn.close()
    return {"times": times, "totals": totals, "mismatched": mismatched}


def stance_checks(engine: Engine) -> dict[str, bool]:
    """After the bulk load and the real taps: the rollups equal a GROUP BY of the rows and the paper ballots."""
    with session_scope(engine) as session:
        raw: Counter[tuple[int, str]] = Counter(
            _pairs(
                session.exec(
                    select(OrientationVote.orientation_id, OrientationVote.choice, func.count()).group_by(
                        col(OrientationVote.orientation_id), col(OrientationVote.choice)
                    )
                ).all()
            )
        )
        raw.update(
            _pairs(
                session.execute(
                    text(
                        "SELECT orientation_id, choice, sum(count) FROM paperballot WHERE withdrawn_at IS NULL "
                        "GROUP BY orientation_id, choice"
                    )
                ).all()
            )
        )
        now = _pairs(
            session.exec(
                select(VoteTally.orientation_id, VoteTally.choice, func.sum(VoteTally.n)).group_by(
                    col(VoteTally.orientation_id), col(VoteTally.choice)
                )
            ).all()
        )
        over_time = _pairs(
            session.exec(
                select(VoteTallyTime.orientation_id, VoteTallyTime.choice, func.sum(VoteTallyTime.n)).group_by(
                    col(VoteTallyTime.orientation_id), col(VoteTallyTime.choice)
                )
            ).all()
        )
    expected = {k: v for k, v in raw.items() if v}
    return {"rollup_equal": now == expected, "time_rollup_equal": over_time == expected}


def run_stances(engine: Engine, connect_raw: Callable[[], Any], dialect: str, n: int = STANCES) -> dict[str, Any]:
    seeded = seed_stances(engine, n)
    if dialect == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE"))
    extra = taps_on_top(engine, seeded["tokens"], seeded["day"])
    checks = stance_checks(engine)
    now = seeded["day"] + timedelta(hours=DAY_HOURS / 2)
    load_start = os.getloadavg()[0]
    measured = measure_refresh(engine, connect_raw, dialect, now)
    measured["loads"] = (load_start, os.getloadavg()[0])
    with session_scope(engine) as session:
        summary = verdict.vote_summary(session=session, edition_id=EDITION_ID)
        tally_rows = int(session.exec(select(func.count()).select_from(VoteTally)).one())
        time_rows = int(session.exec(select(func.count()).select_from(VoteTallyTime)).one())
    return {
        **{k: v for k, v in seeded.items() if k != "tokens"},
        "extra": extra,
        "checks": checks,
        "summary": summary,
        "tally_rows": tally_rows,
        "time_rows": time_rows,
        **measured,
    }


# ---------------------------------------------------------------------------------------------
# Report


def room_lines(name: str, r: dict[str, Any]) -> list[str]:
    log: RoomLog = r["log"]
    c = r["checks"]
    spread = []
    if log.saved_at:
        per_minute = Counter(int(at // 60) for at in log.saved_at)
        spread = [per_minute.get(m, 0) for m in range(int(REAL_WINDOW_S // 60))]
    lines = [
        f"**{name}** — {r['phones']} téléphones × {r['orientations']} orientations, {format_number(r['planned'])} "
        f"appuis prévus (dont {r['changes']} changements d'avis et {log.doubles} appuis envoyés deux fois), "
        f"fenêtre de {format_number(REAL_WINDOW_S / r['scale'], 0)} s réelles"
        + (
            f" (horloge de la salle ×{format_number(r['scale'], 1)} : plafonds et quarts d'heure la suivent)"
            if r["scale"] != 1
            else " (temps réel)"
        )
        + f" ; durée {format_number(r['wall'], 0)} s, CPU du processus {format_number(r['cpu'] * 100, 0)} % d'un cœur, "
        f"charge (1 min) {format_number(r['load_start'], 2)} au début, {format_number(r['load_end'], 2)} à la fin, "
        f"{format_number(statistics.median(log.loads), 2)} en médiane et {format_number(max(log.loads), 2)} au "
        "plus (relevée toutes les 10 s ; au-delà de 2, d'autres programmes se partagent les 2 cœurs).",
        "",
        "| Mesure (ms) | n | médiane | p95 | p99 | max |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for label, values in (
        ("appui → enregistré (une écriture validée)", log.saved),
        ("premier envoi → enregistré (attentes du plafond et nouvel envoi compris)", log.tap_to_saved),
        (f"lecture du verdict pendant le vote ({READERS} pages, toutes les {READ_EVERY_S:.0f} s)", log.reads),
    ):
        if values:
            lines.append(
                f"| {label} | {format_number(len(values))} | {ms(statistics.median(values))} | "
                f"**{ms(quantile(values, 0.95))}** | {ms(quantile(values, 0.99))} | {ms(max(values))} |"
            )
    throttled = sum(log.throttled.values())
    lines += [
        "",
        "| Contrôle | Valeur |",
        "|---|---|",
        f"| Avis perdus (appui confirmé, autre avis ou rien en base) | **{c['lost']}** |",
        f"| Avis attendus (dernier choix de chaque téléphone) / en base / différents de l'intention | "
        f"{format_number(c['expected'])} / {format_number(c['stored'])} / {c['intent_mismatch']} |",
        f"| Avis en base qu'aucun appui n'a donnés | {c['unexpected']} |",
        f"| Appuis abandonnés (20 envois refusés) | {log.abandoned} |",
        f"| Appuis comptés / sans effet (même avis déjà enregistré) | {format_number(log.changed)} / "
        f"{format_number(log.unchanged)} |",
        f"| Événements en base / appuis comptés | {format_number(c['events'])} / "
        f"{format_number(c['changed_receipts'])} |",
        f"| Appuis doublés comptés une seule fois | {log.doubles_counted_once} / {log.doubles} |",
        f"| Cumuls « maintenant » = GROUP BY des avis en base | {'oui' if c['rollup_equal'] else '**NON**'} |",
        f"| Cumuls par quart d'heure (sommés) = GROUP BY | {'oui' if c['time_rollup_equal'] else '**NON**'} |",
        f"| verdicts() = GROUP BY | {'oui' if c['verdict_equal'] else '**NON**'} |",
        f"| Participants ayant donné un avis (vote_summary) | {c['voters']} |",
        f"| Refus du plafond par adresse (Throttled) | {throttled}"
        + (" : " + " ; ".join(f"« {m}… » × {k}" for m, k in log.throttled.items()) if throttled else "")
        + " |",
        f"| Erreurs de stockage (OperationalError) | {len(log.errors)} |",
        f"| Lectures du verdict en erreur | {log.read_errors} |",
    ]
    if spread:
        lines.append(f"| Écritures validées par minute de la salle (1 à 10) | {' · '.join(map(str, spread))} |")
    lines += [f"- {e}" for e in log.errors[:5]]
    return lines


def stance_lines(name: str, r: dict[str, Any]) -> list[str]:
    s = r["summary"]
    extra = r["extra"]["timings"]
    lines = [
        f"**{name}** — {format_number(r['stances'])} avis de {format_number(r['devices'])} téléphones écrits en "
        f"{format_number(r['seconds'], 1)} s (insertions SQLAlchemy Core en une transaction, cumuls calculés en "
        f"Python selon les règles de services.votes), puis par les services : une saisie de bulletins papier "
        f"({format_number(s.paper)} bulletins) et {format_number(r['extra']['taps'])} appuis réels "
        f"({EXTRA_DEVICES} nouveaux téléphones × 17, {EXTRA_CHANGES} avis changés ou confirmés), "
        f"écriture médiane {ms(statistics.median(extra))} ms, p95 {ms(quantile(extra, 0.95))} ms. "
        f"En base : {format_number(s.stances)} avis dont papier, {format_number(s.voters)} participants ; "
        f"cumuls : {format_number(r['tally_rows'])} lignes « maintenant », {format_number(r['time_rows'])} lignes "
        f"par quart d'heure. Cumuls = GROUP BY des lignes : "
        f"{'oui' if r['checks']['rollup_equal'] and r['checks']['time_rollup_equal'] else '**NON**'} ; "
        f"mêmes chiffres des deux côtés pour chaque appel : "
        f"{'oui' if not r['mismatched'] else '**NON** (' + ', '.join(r['mismatched']) + ')'}. Charge (1 min) "
        f"{format_number(r['loads'][0], 2)} avant la mesure, {format_number(r['loads'][1], 2)} après.",
        "",
        "| Appel de la page (application, sur les cumuls) | médiane | p95 | GROUP BY à la main sur les avis | médiane "
        "| p95 | rapport des médianes |",
        "|---|---:|---:|---|---:|---:|---:|",
    ]
    for key, (app_label, raw_label) in CALL_LABELS.items():
        a, b = r["times"][key]["app"], r["times"][key]["raw"]
        lines.append(
            f"| {app_label} | {ms(statistics.median(a))} ms | {ms(quantile(a, 0.95))} ms | {raw_label} | "
            f"{ms(statistics.median(b))} ms | {ms(quantile(b, 0.95))} ms | "
            f"{format_number(statistics.median(a) / statistics.median(b), 2)} |"
        )
    a, b = r["totals"]["app"], r["totals"]["raw"]
    lines.append(
        f"| **un rafraîchissement complet** (tous ces appels) | **{ms(statistics.median(a))} ms** | "
        f"**{ms(quantile(a, 0.95))} ms** | **les mêmes chiffres à la main** | **{ms(statistics.median(b))} ms** | "
        f"**{ms(quantile(b, 0.95))} ms** | {format_number(statistics.median(a) / statistics.median(b), 2)} |"
    )
    return lines


def _pg_stores() -> contextlib.AbstractContextManager[str]:
    from tests.pg import running_server

    return running_server()


def run(work_dir: Path) -> str:
    results: dict[str, Any] = {}
    # SQLite: the app's engine on a file store built as `make run` builds one.
    room_db = work_dir / "room.db"
    engine = build_engine(f"sqlite:///{room_db}")
    prepare_store(engine)
    print(f"  room on SQLite: {PARTICIPANTS} phones, {WINDOW_S:.0f} s", flush=True)
    results["room_sqlite"] = run_room(engine)
    engine.dispose()
    stances_db = work_dir / "stances.db"
    engine = build_engine(f"sqlite:///{stances_db}")
    prepare_store(engine)
    print(f"  {STANCES} stances on SQLite", flush=True)
    results["stances_sqlite"] = run_stances(engine, lambda: sqlite3.connect(stances_db), "sqlite")
    engine.dispose()
    pg_note = "" if WITH_PG else "PostgreSQL non mesuré cette fois (ESS_BENCH_VOTES_PG=0)."
    with contextlib.ExitStack() as stack:
        try:
            base = stack.enter_context(_pg_stores()) if WITH_PG else None
        except (RuntimeError, OSError, subprocess.CalledProcessError) as exc:
            base, pg_note = None, f"PostgreSQL non mesuré : {exc}"
        if base is not None:
            import psycopg

            admin = create_engine(f"{base}/postgres", isolation_level="AUTOCOMMIT")
            with admin.connect() as conn:
                for name in ("ess_votes_room", "ess_votes_stances"):
                    conn.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                    conn.execute(text(f"CREATE DATABASE {name}"))
            admin.dispose()
            engine = build_engine(f"{base}/ess_votes_room")
            prepare_store(engine)
            print(f"  room on PostgreSQL: {PARTICIPANTS} phones, {WINDOW_S:.0f} s", flush=True)
            results["room_pg"] = run_room(engine)
            engine.dispose()
            url = f"{base}/ess_votes_stances"
            engine = build_engine(url)
            prepare_store(engine)
            dsn = url.replace("postgresql+psycopg://", "postgresql://")
            print(f"  {STANCES} stances on PostgreSQL", flush=True)
            results["stances_pg"] = run_stances(engine, lambda: psycopg.connect(dsn), "postgresql")
            engine.dispose()
    return report(results, pg_note)


def report(results: dict[str, Any], pg_note: str = "") -> str:
    origin = shipped_room_origin()
    sections = [
        f"Question : {PARTICIPANTS} participants donnent chacun un avis sur les 17 orientations de l'édition de "
        "démarrage en 10 minutes ; combien de temps prend un appui jusqu'à l'enregistrement, perd-on des avis, et "
        "combien coûte un rafraîchissement de la page du verdict quand la base tient "
        f"{format_number(STANCES)} avis, à côté d'un GROUP BY écrit à la main. Mesure au niveau des services "
        "(sans navigateur ni Streamlit) : voir le protocole en tête de `bench/bench_votes.py` ; relancer seul : "
        "`.venv/bin/python -m bench.run votes`.",
        f"### La salle : {PARTICIPANTS} participants × 17 orientations en 10 minutes",
        "Chaque téléphone est un fil avec son propre jeton ; arrivées étalées sur les 3 premières minutes, "
        "temps de réflexion aléatoires, environ 10 % changent un avis à la fin et 2 % des appuis partent deux "
        "fois au même instant ; chaque appui passe par `session_scope(engine, write=True)` + "
        "`services.votes.cast_vote` comme `store.write`, toute la salle derrière UNE adresse (le NAT du lieu) "
        "avec les plafonds livrés ("
        + ", ".join(
            f"{format_number(w.max_events)} {what} / {'10 s' if w.window_s == 10 else 'h'}"
            for what, windows in (("écritures", origin.writes), ("nouveaux passeports", origin.new_passports))
            for w in windows
        )
        + ").",
    ]
    for key, name in (("room_sqlite", "SQLite (fichier, WAL, synchronous=FULL)"), ("room_pg", "PostgreSQL 15")):
        if key in results:
            sections.append("\n".join(room_lines(name, results[key])))
    sections.append(f"### La page du verdict avec {format_number(STANCES)} avis")
    sections.append(
        "Un rafraîchissement de la page quand la version des votes a bougé (sinon seul `vote_version` est "
        "appelé, les résultats restant en cache). Côté application, chaque appel ouvre sa session sur le pool "
        "comme `store.read` et lit les cumuls ; côté « à la main », les mêmes chiffres par GROUP BY sur les "
        "lignes d'avis, sur une connexion sqlite3 / psycopg déjà ouverte (résultats vérifiés égaux avant la "
        f"mesure). {QUERY_RUNS} passages, application et SQL en alternance, même processus, même base. "
        "`verdict_over_time` est mesuré sur les 17 orientations, le plus qu'une page puisse montrer."
    )
    for key, name in (("stances_sqlite", "SQLite"), ("stances_pg", "PostgreSQL 15 (après VACUUM ANALYZE)")):
        if key in results:
            sections.append("\n".join(stance_lines(name, results[key])))
    if pg_note:
        sections.append(pg_note)
    sections.append("### Lecture\n\n" + reading(results))
    return "\n\n".join(sections)


def reading(results: dict[str, Any]) -> str:
    """What the figures of this run say, and what they do not measure."""
    parts = []
    for key, name in (("room_sqlite", "SQLite"), ("room_pg", "PostgreSQL")):
        if key not in results:
            continue
        r = results[key]
        log: RoomLog = r["log"]
        c = r["checks"]
        exact = c["rollup_equal"] and c["time_rollup_equal"] and c["verdict_equal"] and c["unexpected"] == 0
        per_10s = len(log.saved) / REAL_WINDOW_S * 10
        parts.append(
            f"- {name}, la salle : p95 appui → enregistré {ms(quantile(log.saved, 0.95))} ms, max "
            f"{ms(max(log.saved))} ms, pour {format_number(per_10s, 1)} écritures par 10 s en moyenne ; "
            f"**{c['lost']} avis perdu(s)**, {log.abandoned} appui(s) abandonné(s) ; cumuls et verdict égaux au "
            f"GROUP BY des avis en base : {'oui' if exact else '**NON**'} ; appuis doublés comptés une fois : "
            f"{log.doubles_counted_once} sur {log.doubles} ; {sum(log.throttled.values())} refus du plafond par "
            f"adresse ; charge de la machine pendant la salle : {format_number(statistics.median(log.loads), 1)} en "
            f"médiane, {format_number(max(log.loads), 1)} au plus (la queue des temps d'écriture la suit)."
        )
    if "room_sqlite" in results:
        r = results["room_sqlite"]
        per_phone = r["log"].changed / r["phones"]
        peak = max(Counter(int(at // 60) for at in r["log"].saved_at).values())
        short, hourly = shipped_room_origin().writes
        parts.append(
            f"- Plafonds par adresse : la salle entière derrière une adresse fait en moyenne "
            f"{format_number(r['log'].changed / REAL_WINDOW_S * 10, 0)} écritures comptées par 10 s, "
            f"{format_number(peak / 6, 0)} sur sa minute la plus chargée, sous les "
            f"{format_number(short.max_events)} (un appui qui répète l'avis déjà enregistré n'est pas compté). Mais "
            f"chaque téléphone en compte {format_number(per_phone, 1)} : les {SIZED_FOR} personnes pour lesquelles les "
            f"plafonds sont dimensionnés, votant dans la même heure, feraient à elles seules "
            f"{format_number(SIZED_FOR * per_phone, 0)} des {format_number(hourly.max_events)} écritures par heure "
            "de l'adresse, partagées avec les "
            "contributions, les soutiens et les visites de stands (26 400 par jour prévues avant le vote) : le "
            "plafond horaire, dimensionné avant le vote, est à revoir si la plénière fait voter toute la salle en "
            "une heure (ce banc, 300 personnes en 10 minutes, reste en dessous)."
        )
    for key, name in (("stances_sqlite", "SQLite"), ("stances_pg", "PostgreSQL")):
        if key not in results:
            continue
        r = results[key]
        a, b = statistics.median(r["totals"]["app"]), statistics.median(r["totals"]["raw"])
        p95 = quantile(r["totals"]["app"], 0.95)
        verdict_app = statistics.median(r["times"]["all"]["app"])
        verdict_raw = statistics.median(r["times"]["all"]["raw"])
        parts.append(
            f"- {name}, {format_number(r['stances'])} avis : un rafraîchissement complet coûte {ms(a)} ms "
            f"(médiane, p95 {ms(p95)} ms) sur les cumuls, contre {ms(b)} ms pour les mêmes chiffres comptés à la "
            f"main sur les lignes d'avis (rapport {format_number(a / b, 2)}) ; le verdict sans filtre seul : "
            f"{ms(verdict_app)} ms contre {ms(verdict_raw)} ms. Les cumuls tiennent ici "
            f"{format_number(r['tally_rows'] + r['time_rows'])} lignes, bornées par les combinaisons (orientation, "
            "réponse, origine, type d'acteur, département) et les quarts d'heure, pas par le nombre d'avis ; le "
            "GROUP BY à la main parcourt toutes les lignes d'avis et grandit avec elles. Côté application, chaque "
            "appel paie aussi l'ouverture d'une session du pool et l'ORM (les appels de moins d'une milliseconde à "
            "la main en coûtent une ou deux), et `verdict_over_time` met en forme un tableau pandas."
        )
    parts.append(
        "- Ce qui n'est pas mesuré ici : le rerun Streamlit autour de chaque appui et de la page du verdict "
        "(réseau, WebSocket, dessin des graphiques) : la page « Verdict de la salle » n'est pas encore dans cette "
        f"branche ; les {PARTICIPANTS} téléphones et les deux pages de lecture tournent dans un seul processus "
        "Python, comme dans un serveur Streamlit unique (sur SQLite, les écritures d'un processus attendent leur "
        "tour sur un verrou, puis la base) ; les 2 cœurs de la machine portent aussi le serveur PostgreSQL "
        "pendant ses mesures."
    )
    return "\n".join(parts)
